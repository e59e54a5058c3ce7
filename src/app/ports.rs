//! Ports: what the use cases need from the outside world, and the records that cross
//! them. The edge implements them with D1, WebCrypto and `fetch`; [`super::fake`]
//! implements them in memory for native tests.
//!
//! Each store method is one round trip to the database (one statement or one atomic
//! batch), so the cost of a use case can be read from the calls it makes.

// The Worker is single-threaded: futures need not be `Send`, so plain `async fn` in
// traits is what we want.
#![allow(async_fn_in_trait)]

use std::fmt;

use crate::domain::account::HASH_LEN;
use crate::domain::{
    Email, Membership, OrganizationId, OrganizationName, Password, Role, SpaceKey, Timestamp,
    TokenHash,
};

/// A dependency (database, runtime crypto, network) failed. The text is for logs
/// only and never reaches a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortError(pub String);

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Cryptographically secure random bytes.
pub trait Random {
    /// Fills `buf`.
    ///
    /// # Errors
    /// [`PortError`] when the source fails.
    fn fill(&self, buf: &mut [u8]) -> Result<(), PortError>;
}

/// PBKDF2-HMAC-SHA256 key derivation.
pub trait PasswordHasher {
    /// Derives [`HASH_LEN`] bytes from `password` with `salt` and `iterations`.
    ///
    /// # Errors
    /// [`PortError`] when the runtime refuses (e.g. too many iterations).
    async fn derive(
        &self,
        password: &Password,
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; HASH_LEN], PortError>;
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// Opaque id (`acct_…`).
    pub id: String,
    /// Normalised email.
    pub email: Email,
    /// Display name.
    pub name: String,
    /// Owned by an organization, logs in only through its SSO.
    pub managed: bool,
    /// The email was confirmed (by link, or by accepting an invitation).
    pub email_verified: bool,
    /// Creation time.
    pub created_at: Timestamp,
}

/// What a login needs to know about an email address.
#[derive(Debug, Clone)]
pub struct LoginLookup {
    /// The account and its encoded password record, if the email has an account.
    pub account: Option<(AccountRecord, Option<String>)>,
    /// Failures counted for this email in the current window.
    pub account_failures: i64,
    /// Failures counted for the client IP in the current window.
    pub ip_failures: i64,
}

/// A new session to store.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Hash of the token given to the client.
    pub token_hash: TokenHash,
    /// Whose session.
    pub account_id: String,
    /// Start.
    pub created_at: Timestamp,
    /// Absolute end.
    pub expires_at: Timestamp,
}

/// The result of spending a single-use token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenUse<T> {
    /// The token was valid and is now used.
    Spent(T),
    /// No such token.
    Unknown,
    /// The token's time is over.
    Expired,
    /// The token was used before.
    AlreadyUsed,
}

/// An email to store in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Opaque id (`mail_…`).
    pub id: String,
    /// Recipient.
    pub to: Email,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// An email in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    /// The mail.
    pub mail: NewMail,
    /// When it was written.
    pub created_at: Timestamp,
}

/// Accounts, sessions, single-use account tokens and login failure counters.
pub trait AccountStore {
    /// Creates `account` with its password record, its email-verification token and
    /// the verification email, atomically. Returns `false` (and writes nothing) when
    /// the email already has an account.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_account(
        &self,
        account: &AccountRecord,
        password_record: &str,
        verification: &TokenHash,
        verification_expires: Timestamp,
        mail: &NewMail,
    ) -> Result<bool, PortError>;

    /// Spends an email-verification token and marks its account's email verified,
    /// atomically; exactly one of concurrent callers gets [`TokenUse::Spent`].
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn verify_email(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<TokenUse<AccountRecord>, PortError>;

    /// The account for `email` with failure counters for the email and `ip` in the
    /// window starting at `window`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn login_lookup(
        &self,
        email: &Email,
        ip: &str,
        window: Timestamp,
    ) -> Result<LoginLookup, PortError>;

    /// Counts one failed login for `email` and `ip` in `window`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn record_login_failure(
        &self,
        email: &Email,
        ip: &str,
        window: Timestamp,
    ) -> Result<(), PortError>;

    /// Stores a session and clears the email's failure counter for `window`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_session(
        &self,
        session: &NewSession,
        email: &Email,
        window: Timestamp,
    ) -> Result<(), PortError>;

    /// Ends a session (idempotent).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn revoke_session(&self, token: &TokenHash, now: Timestamp) -> Result<(), PortError>;

    /// The account of a live (unrevoked, unexpired) session, with the summaries of its
    /// memberships.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn session_with_orgs(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<(AccountRecord, Vec<MembershipSummary>)>, PortError>;

    /// Deletes what can no longer be used: expired or revoked sessions, spent or
    /// expired account tokens, failure counters of past windows. Returns the number
    /// of rows removed.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, PortError>;
}

/// One organization a person belongs to, as listed on `/me` and the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipSummary {
    /// Space key.
    pub space_key: String,
    /// Organization ID.
    pub organization_id: String,
    /// Name.
    pub name: String,
    /// The person's membership.
    pub membership: Membership,
}

/// A product subscription of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    /// Catalogue key.
    pub product: String,
    /// Plan (`trial` at creation).
    pub plan: String,
    /// Status (`trialing`, later `active`, `expired`, …).
    pub status: String,
    /// End of the free trial.
    pub trial_ends_at: Option<Timestamp>,
}

/// The SSO add-on's stored state (its lifecycle arrives with its own issue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassRecord {
    /// `none`, `applied`, `trial`, `active`, `expired`, `canceled`, `rejected`.
    pub status: String,
    /// End of the add-on's trial.
    pub trial_ends_at: Option<Timestamp>,
    /// End of the paid period.
    pub current_period_end: Option<Timestamp>,
    /// When a cancellation takes effect.
    pub cancel_at: Option<Timestamp>,
}

/// An organization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    /// Permanent key.
    pub space_key: SpaceKey,
    /// Current organization ID.
    pub organization_id: OrganizationId,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Products and their trials.
    pub products: Vec<ProductRecord>,
    /// The SSO add-on.
    pub pass: PassRecord,
}

/// A signed-in person looking at one organization.
#[derive(Debug, Clone)]
pub struct MemberContext {
    /// Who.
    pub account: AccountRecord,
    /// The organization and their membership; `None` when they are not a member (or
    /// it does not exist: callers must not tell the two apart).
    pub org: Option<(OrgRecord, Membership)>,
}

/// What a change of organization ID came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgUpdate {
    /// Changed; the organization as it now is.
    Updated(OrgRecord),
    /// The ID is, or once was, another organization's.
    IdTaken,
    /// The organization does not exist (any more).
    Missing,
}

/// Organizations and memberships.
pub trait OrgStore {
    /// Creates `org` with its products, claims its organization ID and makes
    /// `creator` a member with `role`, atomically. Returns `false` (writing nothing)
    /// when the organization ID is, or once was, another organization's.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_organization(
        &self,
        org: &OrgRecord,
        creator: &str,
        role: Role,
    ) -> Result<bool, PortError>;

    /// The live session's account and, if it is a member, the organization with the
    /// membership: one round trip for every organization-scoped request.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn member_context(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<MemberContext>, PortError>;

    /// Renames and/or changes the organization ID, atomically. A new ID is claimed for
    /// good; an ID the organization held before may be taken back.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn update_organization(
        &self,
        space_key: &SpaceKey,
        name: Option<&OrganizationName>,
        organization_id: Option<&OrganizationId>,
        now: Timestamp,
    ) -> Result<OrgUpdate, PortError>;
}

/// Outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The provider accepted the message.
    Sent,
    /// The provider refused or could not be reached; the text is for logs.
    Failed(String),
}

/// The email outbox.
pub trait Outbox {
    /// Messages to `to`, newest first (development mailbox).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn mail_to(&self, to: &Email, limit: u32) -> Result<Vec<MailRecord>, PortError>;

    /// Queued messages to deliver, oldest first, with fewer than `max_attempts`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn queued_mail(
        &self,
        limit: u32,
        max_attempts: u32,
    ) -> Result<Vec<MailRecord>, PortError>;

    /// Records the outcome of delivering message `id`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn record_delivery(
        &self,
        id: &str,
        outcome: &Delivery,
        now: Timestamp,
    ) -> Result<(), PortError>;
}

/// The email provider.
pub trait Mailer {
    /// Hands one message to the provider.
    async fn send(&self, mail: &MailRecord) -> Delivery;
}
