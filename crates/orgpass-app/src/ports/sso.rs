//! SAML single sign-on: settings, managed accounts, logins in flight, the ACS, its signature checks.

use orgpass_core::{policy::Permit, Email, Role, SpaceKey, Timestamp, TokenHash};

use super::*;

/// An organization's stored SAML settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlRecord {
    /// The settings.
    pub settings: orgpass_core::saml_settings::SamlSettings,
    /// Last saved.
    pub updated_at: Timestamp,
}

/// One SSO failure, as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoFailureRecord {
    /// When.
    pub at: Timestamp,
    /// The reference shown on the person's failure page and logged.
    pub reference: String,
    /// The precise cause (a stable snake_case code).
    pub variant: String,
    /// The NameID, when the response was verified (never an unverified one).
    pub name_id: Option<String>,
    /// How far the response got, which decides what the failure may push out.
    pub kind: FailureKind,
}

/// What a failed ACS post was, for keeping the failures that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The IdP's signature checked out (only its key makes these).
    Verified,
    /// A response naming the configured IdP that failed before anything was verified
    /// (a forged or broken signature, say): an attempt worth keeping.
    Issuer,
    /// Anything anyone can post: no response, not base64, not XML, another issuer.
    Anonymous,
}

impl FailureKind {
    /// The stored form.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Issuer => "issuer",
            Self::Anonymous => "anonymous",
        }
    }

    /// Reads the stored form (unknown: anonymous).
    #[must_use]
    pub fn parse(stored: &str) -> Self {
        match stored {
            "verified" => Self::Verified,
            "issuer" => Self::Issuer,
            _ => Self::Anonymous,
        }
    }
}

/// A managed account to create with its membership, groups and email.
#[derive(Debug, Clone)]
pub struct NewManagedAccount {
    /// The new account's id.
    pub account_id: String,
    /// Its email (in a verified domain of the organization).
    pub email: Email,
    /// Display name.
    pub name: String,
    /// Organization role.
    pub role: Role,
    /// Groups of the organization to join.
    pub group_ids: Vec<String>,
    /// The email explaining how to log in (none for an account an IdP provisions).
    pub mail: Option<NewMail>,
    /// The SCIM attributes, for an account an IdP provisions.
    pub provisioned: Option<ProvisionedFields>,
    /// Now.
    pub now: Timestamp,
}

/// What SCIM keeps of a provisioned account beyond its email and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedFields {
    /// `externalId`.
    pub external_id: Option<String>,
    /// `name.givenName`.
    pub given_name: Option<String>,
    /// `name.familyName`.
    pub family_name: Option<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `active` (`None`: unassigned, which behaves as true).
    pub active: Option<bool>,
}

/// Why a managed account was not created (the store's guards decide, in the write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagedRefusal {
    /// The organization has no SAML settings.
    NotConfigured,
    /// The email's domain is not a verified domain of the organization.
    DomainNotVerified,
    /// The email already has an account.
    EmailTaken,
    /// A group id is not one of the organization's groups.
    UnknownGroup,
}

/// A login started at `/login/sso`, to store until the IdP answers.
#[derive(Debug, Clone)]
pub struct NewSsoRequest {
    /// Digest of the RelayState secret.
    pub relay_hash: TokenHash,
    /// Digest of the secret in the starting browser's cookie.
    pub browser_hash: TokenHash,
    /// The client address, for the per-address limit on starting logins.
    pub ip: String,
    /// The AuthnRequest's ID.
    pub request_id: String,
    /// A same-site path to return to.
    pub return_to: String,
    /// Now.
    pub now: Timestamp,
    /// When it can no longer be answered.
    pub expires_at: Timestamp,
}

/// A stored login in flight, found by its RelayState.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoRequestRecord {
    /// The AuthnRequest's ID (the expected InResponseTo).
    pub request_id: String,
    /// Where to go after the login.
    pub return_to: String,
    /// When it expires.
    pub expires_at: Timestamp,
    /// Already answered once.
    pub used: bool,
    /// Digest of the secret in the starting browser's cookie.
    pub browser_hash: Option<TokenHash>,
}

/// What starting a login came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoStarted {
    /// Stored: the organization's space key and IdP SSO URL.
    Stored(SpaceKey, String),
    /// Nothing to start (unknown ID, no settings, add-on inactive): the neutral answer.
    Neutral,
    /// The client address started too many logins in the current window.
    RateLimited,
}

/// What the ACS reads before verifying, in one round trip.
#[derive(Debug, Clone)]
pub struct AcsState {
    /// The organization exists.
    pub org_exists: bool,
    /// Its add-on allows SSO now.
    pub sso_allowed: bool,
    /// What a login needs of its settings (`None`: not configured).
    pub settings: Option<orgpass_core::saml_settings::LoginSettings>,
    /// The login in flight named by the RelayState, if any.
    pub request: Option<SsoRequestRecord>,
}

/// A verified login to turn into a session, in one batch.
#[derive(Debug, Clone)]
pub struct SsoCompletion<'a> {
    /// The organization.
    pub space_key: &'a SpaceKey,
    /// The Assertion's ID (the replay record's key).
    pub assertion_id: &'a str,
    /// Keep the replay record until then.
    pub keep_until: Timestamp,
    /// The login in flight it answers (SP-initiated).
    pub relay_hash: Option<&'a TokenHash>,
    /// The NameID as an email.
    pub email: &'a Email,
    /// The session to create.
    pub session: &'a NewSession,
    /// Its `sso.login_succeeded`, recorded with the session (the store adds the
    /// account as its target).
    pub event: &'a Event,
}

/// How a verified login ended in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoOutcome {
    /// The session exists.
    LoggedIn(AccountRecord),
    /// The assertion ID was used before.
    Replayed,
    /// The login in flight was answered already (or expired) meanwhile.
    RequestUsed,
    /// No managed account of the organization has this email.
    NoAccount,
    /// The managed account is deactivated (SCIM `active: false`).
    Deactivated,
}

/// What the Authentication tab shows, read in one batch.
#[derive(Debug, Clone)]
pub struct AuthenticationPage {
    /// The viewer and the organization.
    pub context: MemberContext,
    /// The organization's settings, if any.
    pub settings: Option<SamlRecord>,
    /// The failures to list ([`SsoStore::read_sso_failures`]).
    pub failures: Vec<SsoFailureRecord>,
    /// SCIM provisioning: the tokens and who was provisioned.
    pub provisioning: ProvisioningFacts,
}

/// What the Authentication tab shows of SCIM provisioning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisioningFacts {
    /// The provisioning tokens, oldest first.
    pub tokens: Vec<super::ScimTokenRecord>,
    /// Managed accounts an IdP has written over SCIM.
    pub provisioned: u64,
    /// Of those, deactivated ones.
    pub deactivated: u64,
    /// The first of them by email (at most [`PROVISIONED_SHOWN`]).
    pub accounts: Vec<ProvisionedAccount>,
    /// The service's last refusals of an authenticated IdP, newest first.
    pub errors: Vec<super::ScimRefusalRecord>,
}

/// How many provisioned accounts the Authentication tab lists.
pub const PROVISIONED_SHOWN: u32 = 100;

/// A managed account an IdP has written over SCIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedAccount {
    /// The account id (its SCIM `id`).
    pub id: String,
    /// Its email.
    pub email: Email,
    /// Whether the IdP has it active.
    pub active: bool,
    /// When the IdP last wrote it.
    pub updated_at: Timestamp,
}

impl ProvisioningFacts {
    /// The IdP's last request with any token (to the minute).
    #[must_use]
    pub fn last_sync(&self) -> Option<Timestamp> {
        self.tokens.iter().filter_map(|t| t.last_used_at).max()
    }
}

/// SAML settings, managed accounts, logins in flight, replay records and failures.
#[allow(async_fn_in_trait)]
pub trait SsoStore {
    /// The viewer's context, the settings and the failures of an organization, in one
    /// round trip (the Authentication tab; the use case decides what the viewer sees).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn authentication_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<AuthenticationPage>, PortError>;

    /// The organization's settings.
    async fn read_saml_settings(
        &self,
        space_key: &SpaceKey,
    ) -> Result<Option<SamlRecord>, PortError>;

    /// Saves the settings, unless no normal (non-managed) administrator would remain:
    /// `false` then, and nothing changes.
    async fn write_saml_settings(
        &self,
        permit: &Permit,
        settings: &orgpass_core::saml_settings::SamlSettings,
        by: &str,
        now: Timestamp,
        event: &Event,
    ) -> Result<bool, PortError>;

    /// Removes the settings (`false`: there were none).
    async fn delete_saml_settings(&self, permit: &Permit, event: &Event)
        -> Result<bool, PortError>;

    /// The SSO failures to show, newest first: the newest
    /// [`SSO_VERIFIED_FAILURES_LISTED`] that were verified or named the configured IdP,
    /// and the newest [`SSO_FAILURES_KEPT`] anonymous ones, so that junk never hides
    /// a failure that matters.
    async fn read_sso_failures(
        &self,
        space_key: &SpaceKey,
    ) -> Result<Vec<SsoFailureRecord>, PortError>;

    /// Creates a managed account with its membership, groups and email, or says why
    /// not (nothing written then).
    async fn insert_managed_account(
        &self,
        permit: &Permit,
        account: &NewManagedAccount,
        event: &Event,
    ) -> Result<Result<(), ManagedRefusal>, PortError>;

    /// Deletes a managed account of the organization (`Refused`: it is the last
    /// administrator).
    async fn delete_managed_account(
        &self,
        permit: &Permit,
        account_id: &str,
        event: &Event,
    ) -> Result<AdminChange, PortError>;

    /// Stores a login in flight for the organization with this ID, if it has SAML
    /// settings and its add-on allows SSO and the client address is under its limit
    /// (every start counts, whatever the ID); returns its space key and IdP SSO URL.
    async fn insert_sso_request(
        &self,
        organization_id: &orgpass_core::OrganizationId,
        request: &NewSsoRequest,
    ) -> Result<SsoStarted, PortError>;

    /// The accounts of two live sessions, in one round trip: the one an unsolicited
    /// login made (still to be confirmed) and the one the browser already holds.
    async fn pending_login(
        &self,
        pending: &TokenHash,
        current: Option<&TokenHash>,
        now: Timestamp,
    ) -> Result<(Option<AccountRecord>, Option<AccountRecord>), PortError>;

    /// What the ACS needs before verifying (one round trip).
    async fn acs_state(
        &self,
        space_key: &SpaceKey,
        relay_hash: Option<&TokenHash>,
        now: Timestamp,
    ) -> Result<AcsState, PortError>;

    /// Records the assertion ID, uses the login in flight and creates the session, all
    /// or nothing (one batch).
    async fn complete_sso(
        &self,
        completion: &SsoCompletion<'_>,
        now: Timestamp,
    ) -> Result<SsoOutcome, PortError>;

    /// Records a failure of `kind` posted from `ip` as its `sso.login_failed` event
    /// (the failure list is a view of these). A verified failure is always recorded
    /// and kept like every event; the others (anyone can post them) only within
    /// [`SSO_ANONYMOUS_FAILURES_PER_IP`] per address and window, and each of those
    /// kinds evicts only older failures of its own kind, beyond
    /// [`SSO_ISSUER_FAILURES_KEPT`] (issuer) or [`SSO_ANONYMOUS_FAILURES_KEPT`]
    /// (anonymous).
    async fn record_sso_failure(
        &self,
        space_key: &SpaceKey,
        kind: FailureKind,
        event: &Event,
        ip: &str,
    ) -> Result<(), PortError>;

    /// Deletes replay records and logins in flight that can no longer matter.
    async fn delete_expired_sso(&self, now: Timestamp) -> Result<u64, PortError>;
}

/// Anonymous (unverified) failures listed per organization.
pub const SSO_FAILURES_KEPT: u32 = 20;
/// Failures of verified responses listed per organization.
pub const SSO_VERIFIED_FAILURES_LISTED: u32 = 50;
/// Anonymous failures stored per organization at most (older ones give way).
pub const SSO_ANONYMOUS_FAILURES_KEPT: u32 = 200;
/// Failures of responses that name the organization's IdP but were refused before
/// anything was verified, stored per organization at most.
pub const SSO_ISSUER_FAILURES_KEPT: u32 = 1000;
/// Unverified (issuer and anonymous) failures recorded per client address in a
/// 15-minute window.
pub const SSO_ANONYMOUS_FAILURES_PER_IP: i64 = 10;

/// The signature back end of SAML logins: performs the checks the SAML core names
/// (`saml_sp::Pending::checks`). WebCrypto at the edge; RustCrypto natively.
#[allow(async_fn_in_trait)]
pub trait SignatureVerifier {
    /// One verdict per check, in their order.
    ///
    /// # Errors
    /// [`PortError`] when the back end cannot answer (not for a signature that does not
    /// verify: that is a `false`).
    async fn verify(&self, checks: &[saml_sp::SignatureCheck<'_>]) -> Result<Vec<bool>, PortError>;
}
