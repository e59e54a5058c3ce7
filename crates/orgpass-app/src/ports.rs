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

use orgpass_core::account::HASH_LEN;
use orgpass_core::pass::Pass;
use orgpass_core::{
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

/// What a login attempt found once it asked for its place under the limits.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// The account and its encoded password record, if the email has an account.
    pub account: Option<(AccountRecord, Option<String>)>,
    /// Whether the attempt got a place under both limits (the email's and the client
    /// IP's). A reserved attempt counts as a failure until the login succeeds.
    pub reserved: bool,
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

/// A sign-up's email-verification token.
#[derive(Debug, Clone, Copy)]
pub struct NewVerification {
    /// Hash of the link's token.
    pub token: TokenHash,
    /// When the link stops working.
    pub expires_at: Timestamp,
    /// Digest of the secret the signing-up browser keeps, when it keeps one.
    pub browser: Option<TokenHash>,
}

/// A verification link not used yet (`TokenUse::Spent` here means "found, still
/// usable"; nothing is spent by reading it).
#[derive(Debug, Clone)]
pub struct PendingVerification {
    /// The account it confirms.
    pub account: AccountRecord,
    /// Its password record.
    pub password_record: Option<String>,
    /// Digest of the signing-up browser's secret.
    pub browser: Option<TokenHash>,
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

/// An email for several recipients chosen by the store (for example, every
/// administrator of an organization).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTemplate {
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
        verification: &NewVerification,
        mail: &NewMail,
    ) -> Result<bool, PortError>;

    /// The state of an email-verification token, without spending it: the account it
    /// would confirm, its password record and the sign-up browser's digest.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn pending_verification(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<TokenUse<PendingVerification>, PortError>;

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

    /// Reserves a login attempt for `email` from `ip` in the window starting at
    /// `window` — one conditional write that counts it against both limits only while
    /// both are below them ([`orgpass_core::ratelimit`]), so concurrent attempts cannot
    /// all pass a check made before any of them was counted — and reads the account.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn reserve_login(
        &self,
        email: &Email,
        ip: &str,
        window: Timestamp,
    ) -> Result<LoginAttempt, PortError>;

    /// Stores a session and gives back the attempt's reservation: the email's counter
    /// for `window` is cleared and the IP's place returned.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_session(
        &self,
        session: &NewSession,
        email: &Email,
        ip: &str,
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
    /// expired account tokens, failure counters of past windows, and normal accounts
    /// whose email was never confirmed within
    /// [`crate::accounts::UNVERIFIED_DAYS`] (they hold no membership; the address
    /// is free again). Returns the number of rows removed.
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

/// An application for the SSO add-on, as the administrator filed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassApplication {
    /// The plan admin's name.
    pub admin_name: String,
    /// The plan admin's email (reminders go there).
    pub admin_email: Email,
    /// The company.
    pub company_name: String,
    /// When it was filed.
    pub applied_at: Timestamp,
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
    /// The SSO add-on as stored (readers apply `Pass::at(now)`).
    pub pass: Pass,
    /// The add-on application, once filed.
    pub application: Option<PassApplication>,
    /// The payment provider's subscription, once there is one.
    pub subscription_id: Option<String>,
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
    Updated(Box<OrgRecord>),
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

/// Billing references a webhook brings along.
#[derive(Debug, Clone, Copy)]
pub struct BillingRef<'a> {
    /// Provider's event id (recorded: a replay changes nothing).
    pub event_id: &'a str,
    /// Provider's event type.
    pub event_type: &'a str,
    /// Provider's customer id, remembered to find the organization in later events.
    pub customer: Option<&'a str>,
    /// Provider's subscription id, remembered to cancel it.
    pub subscription: Option<&'a str>,
}

/// An operator action to record in the audit trail.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    /// Who (the operator credential and client address).
    pub actor: &'a str,
    /// What (`approve`, `reject`, `set_trial_end`).
    pub action: &'a str,
    /// Details (new state, dates).
    pub detail: String,
}

/// One change of the add-on's state, with what must be written with it.
#[derive(Debug, Clone)]
pub struct PassChange<'a> {
    /// The organization.
    pub space_key: &'a SpaceKey,
    /// The stored state the change was decided on: the write happens only if it is
    /// still the stored state (compare-and-set), so concurrent changes cannot both win.
    pub from: Pass,
    /// The new state.
    pub to: Pass,
    /// A fresh random id for this change: the statements written with it run only if
    /// the stored state carries this id afterwards.
    pub change_id: String,
    /// When.
    pub now: Timestamp,
    /// A new application to store.
    pub application: Option<&'a PassApplication>,
    /// An operator action to record.
    pub audit: Option<Audit<'a>>,
    /// An email to queue.
    pub mail: Option<&'a NewMail>,
    /// A provider event to record.
    pub billing: Option<BillingRef<'a>>,
}

/// Placeholders a reminder template may use; the store fills them per organization.
pub const REMINDER_PLACEHOLDERS: [&str; 3] = ["{name}", "{date}", "{organization}"];

/// A trial reminder, to be sent set-based to every organization whose trial end falls
/// in `(now + after_ms, now + up_to_ms]`.
#[derive(Debug, Clone)]
pub struct ReminderTemplate {
    /// Stable kind (`trial_7d`, `trial_1d`).
    pub kind: &'static str,
    /// Lower bound (exclusive) of the remaining time.
    pub after_ms: i64,
    /// Upper bound (inclusive) of the remaining time.
    pub up_to_ms: i64,
    /// Subject.
    pub subject: String,
    /// Plain text with placeholders.
    pub text: String,
    /// HTML with placeholders (the store escapes what it fills in).
    pub html: String,
}

/// What one pass over due add-ons changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Trials that ran out.
    pub trials_expired: u64,
    /// Cancellations that took effect.
    pub canceled: u64,
    /// Paid periods that lapsed unpaid.
    pub lapsed: u64,
    /// Sessions of managed accounts ended.
    pub sessions_ended: u64,
}

/// A managed account turned into a normal one, with its set-password link.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The account.
    pub account_id: String,
    /// Hash of the set-password token.
    pub token: TokenHash,
    /// When the token expires.
    pub expires_at: Timestamp,
    /// The email with the link.
    pub mail: NewMail,
}

/// The add-on's storage: state changes, operator lists, webhooks, the Cron's
/// set-based work, and password setting.
pub trait PassStore {
    /// Applies `change` if the stored state is still `change.from`; `false` (nothing
    /// written) otherwise.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn change_pass(&self, change: &PassChange<'_>) -> Result<bool, PortError>;

    /// An organization by space key.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn organization(&self, key: &SpaceKey) -> Result<Option<OrgRecord>, PortError>;

    /// Organizations whose stored add-on status is `status`, oldest application first.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn applications(&self, status: &str, limit: u32) -> Result<Vec<OrgRecord>, PortError>;

    /// Whether a provider event was applied already, and the organization it concerns
    /// (by space key, else by the remembered customer id).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn billing_context(
        &self,
        event_id: &str,
        space_key: Option<&str>,
        customer: Option<&str>,
    ) -> Result<(bool, Option<OrgRecord>), PortError>;

    /// Records a provider event that changes no state.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn record_billing_event(
        &self,
        event: BillingRef<'_>,
        space_key: Option<&str>,
        now: Timestamp,
    ) -> Result<(), PortError>;

    /// Writes down the time-driven moves due at `now` for every organization at once
    /// and ends the sessions of managed accounts whose add-on no longer allows SSO.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn expire_passes(&self, now: Timestamp) -> Result<ExpiryReport, PortError>;

    /// Sends each due reminder once per trial end (set-based); returns how many.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn send_trial_reminders(
        &self,
        now: Timestamp,
        run_id: &str,
        templates: &[ReminderTemplate],
    ) -> Result<u64, PortError>;

    /// Up to `limit` managed accounts of organizations whose cancellation took effect,
    /// each with its organization's name.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn managed_accounts_to_convert(
        &self,
        limit: u32,
    ) -> Result<Vec<(AccountRecord, String)>, PortError>;

    /// Makes the accounts normal and queues their set-password emails, atomically;
    /// an account converted meanwhile is skipped. Returns how many were converted.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn convert_managed_accounts(
        &self,
        conversions: &[Conversion],
        now: Timestamp,
    ) -> Result<u64, PortError>;

    /// Spends a set-password token and stores the new password record (the email is
    /// then verified, since the link reached it).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn set_password(
        &self,
        token: &TokenHash,
        password_record: &str,
        now: Timestamp,
    ) -> Result<TokenUse<AccountRecord>, PortError>;
}

/// The payment provider (Stripe, or the development checkout).
pub trait PaymentProvider {
    /// Creates a hosted checkout for `org`'s subscription; returns its URL.
    ///
    /// # Errors
    /// [`PortError`] when the provider cannot be reached or refuses.
    async fn checkout(
        &self,
        org: &OrgRecord,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<String, PortError>;

    /// Tells the provider to end `org`'s subscription at the end of the period.
    ///
    /// # Errors
    /// [`PortError`] when the provider cannot be reached or refuses.
    async fn cancel_at_period_end(&self, org: &OrgRecord) -> Result<(), PortError>;
}

/// A domain as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRecord {
    /// Opaque id (`dom_…`).
    pub id: String,
    /// The organization that claims it.
    pub space_key: SpaceKey,
    /// The name.
    pub name: orgpass_core::verification::DomainName,
    /// The TXT value to publish at `_orgpass-challenge.<name>`.
    pub txt_value: String,
    /// Where verification stands.
    pub state: orgpass_core::verification::DomainState,
    /// When it was last checked.
    pub last_checked_at: Option<Timestamp>,
    /// The TXT values found at the last check.
    pub last_found: Vec<String>,
    /// When it was added.
    pub created_at: Timestamp,
}

/// Domains and their verification.
pub trait DomainStore {
    /// Adds `domain`; `false` (nothing written) when the organization has it already.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn add_domain(&self, domain: &DomainRecord) -> Result<bool, PortError>;

    /// The organization's domains, by name.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn domains(&self, space_key: &SpaceKey) -> Result<Vec<DomainRecord>, PortError>;

    /// Records a check: the new state and what was found, if the stored state is still
    /// `domain.state` (compare-and-set); `false` otherwise. When `notify` is set, a copy
    /// of that email goes to each administrator of the organization, in the same batch.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn record_check(
        &self,
        domain: &DomainRecord,
        to: orgpass_core::verification::DomainState,
        found: &[String],
        notify: Option<&MailTemplate>,
        now: Timestamp,
    ) -> Result<bool, PortError>;

    /// Deletes a domain of the organization; `false` when there was none.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn delete_domain(&self, space_key: &SpaceKey, id: &str) -> Result<bool, PortError>;

    /// Up to `limit` domains due for an automatic check at `now`, soonest first.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn due_domains(&self, now: Timestamp, limit: u32)
        -> Result<Vec<DomainRecord>, PortError>;
}

/// The resolver could not answer (SERVFAIL, timeout, connection refused, a body that is
/// not a DNS answer); the text is for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverUnavailable(pub String);

/// DNS-over-HTTPS lookups.
pub trait Resolver {
    /// The TXT values at `name` (empty for NXDOMAIN or no TXT records).
    ///
    /// # Errors
    /// [`ResolverUnavailable`].
    async fn txt(&self, name: &str) -> Result<Vec<String>, ResolverUnavailable>;
}

/// A member of an organization as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// The account's id.
    pub account_id: String,
    /// Email.
    pub email: Email,
    /// Display name.
    pub name: String,
    /// A managed account (logs in through SSO).
    pub managed: bool,
    /// Role and privilege.
    pub membership: Membership,
    /// The groups they belong to.
    pub group_ids: Vec<String>,
    /// They share a group with the viewer (what a guest may see).
    pub shares_group: bool,
}

/// A page of the member list.
#[derive(Debug, Clone)]
pub struct MembersPage {
    /// The viewer and the organization.
    pub context: MemberContext,
    /// Members after the cursor, by email; the store already leaves out whom a guest
    /// may not see (the use case checks again with the policy).
    pub members: Vec<MemberRecord>,
}

/// A change of a member's role or privilege: only the fields given are written, over
/// the member's current row (never a value read a round trip earlier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberUpdate {
    /// New role, if it changes.
    pub role: Option<Role>,
    /// New privilege, if it changes.
    pub can_invite: Option<bool>,
}

/// What a member change came to, decided inside the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Written; the member as they are now.
    Done(MemberRecord),
    /// Refused by the administrator guards (or the target is not a member).
    Refused(AdminChange),
    /// **can invite** was asked for someone who is (or becomes) a guest.
    GuestNotAllowed,
}

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// Opaque id (`grp_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Members' account ids.
    pub member_ids: Vec<String>,
}

/// Outcome of a write that may find its target gone or its name taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Done.
    Done,
    /// The target does not exist in this organization.
    Missing,
    /// A guard refused (name taken, last administrator, …).
    Refused,
}

/// The outcome of a change that could take away administrators (a role change, a
/// removal, a group's role, deleting a managed account); the store's guards decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChange {
    /// Done.
    Done,
    /// The target does not exist in this organization.
    Missing,
    /// No administrator would remain.
    LastAdmin,
    /// No normal (non-managed) administrator would remain while SAML is configured.
    LastNormalAdmin,
}

/// Members and groups.
pub trait MemberStore {
    /// The viewer's context and one page of members, in one round trip.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn members_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Option<MembersPage>, PortError>;

    /// Changes a member in one guarded statement over their current row: the fields
    /// not given keep their current values, the last-administrator guards look at the
    /// current role, and a guest loses `can_invite`, project creation and direct project
    /// administration in the same batch. The member is read back as `viewer` sees them.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn update_member(
        &self,
        space_key: &SpaceKey,
        account_id: &str,
        viewer: &str,
        update: MemberUpdate,
    ) -> Result<MemberChange, PortError>;

    /// Removes a member with their group, project and creator rows, atomically;
    /// [`AdminChange::LastAdmin`] / [`AdminChange::LastNormalAdmin`] when the
    /// guards refuse.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn remove_member(
        &self,
        space_key: &SpaceKey,
        account_id: &str,
    ) -> Result<AdminChange, PortError>;

    /// The organization's groups, by name.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn groups(&self, space_key: &SpaceKey) -> Result<Vec<GroupRecord>, PortError>;

    /// Creates a group (with its first member, if given); [`Written::Refused`] when the
    /// name is taken.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_group(
        &self,
        space_key: &SpaceKey,
        group: &GroupRecord,
        now: Timestamp,
    ) -> Result<Written, PortError>;

    /// Renames a group; [`Written::Refused`] when the name is taken.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn rename_group(
        &self,
        space_key: &SpaceKey,
        id: &str,
        name: &str,
    ) -> Result<Written, PortError>;

    /// Deletes a group (its memberships and project roles go with it).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn delete_group(&self, space_key: &SpaceKey, id: &str) -> Result<Written, PortError>;

    /// Adds (`add`) or removes a member of a group on behalf of `actor`;
    /// [`Written::Missing`] when the group or the member is not this organization's,
    /// [`Written::Refused`] when `actor` no longer may manage the group at the moment of
    /// the write (neither an administrator nor a member of it).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn set_group_member(
        &self,
        space_key: &SpaceKey,
        group_id: &str,
        account_id: &str,
        add: bool,
        actor: &str,
        now: Timestamp,
    ) -> Result<Written, PortError>;

    /// Sets the organization role of every member of a group; returns how many
    /// changed, or [`Written::Refused`] when no administrator would remain.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn set_group_role(
        &self,
        space_key: &SpaceKey,
        group_id: &str,
        role: Role,
    ) -> Result<Result<u64, AdminChange>, PortError>;
}

/// An invitation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    /// Opaque id (`inv_…`).
    pub id: String,
    /// The organization.
    pub space_key: SpaceKey,
    /// Invitee.
    pub email: Email,
    /// Role on joining.
    pub role: Role,
    /// Groups to join.
    pub group_ids: Vec<String>,
    /// Personal message.
    pub message: Option<String>,
    /// Inviter's account id.
    pub invited_by: String,
    /// Lifecycle state as stored (readers apply `at(now)`).
    pub state: orgpass_core::invitation::InvitationState,
    /// When it was made (or last resent).
    pub created_at: Timestamp,
}

/// An invitation found by its token, with what the invitation page shows.
#[derive(Debug, Clone)]
pub struct InvitationLookup {
    /// The invitation.
    pub invitation: InvitationRecord,
    /// The organization's name.
    pub org_name: String,
    /// The organization ID.
    pub organization_id: String,
    /// The inviter's name.
    pub inviter_name: String,
}

/// A new invitation with its token hash and email.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// The record.
    pub record: InvitationRecord,
    /// Hash of the link's token.
    pub token: TokenHash,
    /// The email with the link.
    pub mail: NewMail,
}

/// What an invitation request must know before writing.
#[derive(Debug, Clone)]
pub struct InviteFacts {
    /// Which of the emails already belong to members.
    pub members: Vec<Email>,
    /// Which of the emails have a pending invitation that has not expired.
    pub pending: Vec<Email>,
    /// The organization's group ids.
    pub group_ids: Vec<String>,
    /// The ids of the groups the inviter belongs to.
    pub inviter_group_ids: Vec<String>,
}

/// What the one conditional acceptance of an invitation came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// This batch joined the account.
    Joined,
    /// The inviter no longer holds the right to invite with this role (demoted,
    /// removed, **can invite** taken away): the invitation is as good as revoked.
    InviterLacksRight,
    /// Another batch won, or the invitation is no longer pending.
    Lost,
}

/// The account joining through an invitation, and the session to start when it signs
/// up on the way.
#[derive(Debug, Clone)]
pub struct Joiner<'a> {
    /// The account (new, when `signup` is given).
    pub account: &'a AccountRecord,
    /// For a sign-up: the password record and the first session.
    pub signup: Option<(&'a str, &'a NewSession)>,
    /// A fresh random id: only the batch whose id the invitation then carries joins.
    pub accept_id: &'a str,
}

/// Invitations.
pub trait InvitationStore {
    /// Which of `emails` are members already, and the organization's group ids.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn invite_facts(
        &self,
        space_key: &SpaceKey,
        emails: &[Email],
        inviter: &str,
        now: Timestamp,
    ) -> Result<InviteFacts, PortError>;

    /// Stores the invitations and queues their emails, atomically. With
    /// `replace_pending` (a sender who may revoke invitations) an earlier pending
    /// invitation of the same email is revoked (its link stops working); without it, an
    /// email with a live pending invitation is skipped, as is an email that became a
    /// member meanwhile.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_invitations(
        &self,
        space_key: &SpaceKey,
        invitations: &[NewInvitation],
        replace_pending: bool,
        now: Timestamp,
    ) -> Result<(), PortError>;

    /// The organization's invitations with `status` (all when `None`), newest first.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn invitations(
        &self,
        space_key: &SpaceKey,
        status: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<InvitationRecord>, PortError>;

    /// One invitation of the organization.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn invitation(
        &self,
        space_key: &SpaceKey,
        id: &str,
    ) -> Result<Option<InvitationRecord>, PortError>;

    /// Gives a pending or expired invitation a new token and end, and queues the email;
    /// `false` when it is no longer pending or expired.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn resend_invitation(
        &self,
        invitation: &NewInvitation,
        now: Timestamp,
    ) -> Result<bool, PortError>;

    /// Revokes a pending invitation; `false` when it is not pending.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn revoke_invitation(
        &self,
        space_key: &SpaceKey,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, PortError>;

    /// The invitation of a token.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn invitation_by_token(
        &self,
        token: &TokenHash,
    ) -> Result<Option<InvitationLookup>, PortError>;

    /// Accepts the invitation for `joiner` if it is still pending at `now` and meant for
    /// the joiner's email: marks it accepted, creates the account and session for a
    /// sign-up, adds the membership and the groups — one conditional update decides, so
    /// exactly one of concurrent callers joins. The inviter's right is read at that
    /// moment: the role only while the inviter may still invite with it, each group
    /// only while the inviter could still put a member into it. Anything but
    /// [`Acceptance::Joined`]: nothing was written.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn accept_invitation(
        &self,
        token: &TokenHash,
        joiner: &Joiner<'_>,
        now: Timestamp,
    ) -> Result<Acceptance, PortError>;

    /// Writes down the invitations whose time is over; returns how many.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn expire_invitations(&self, now: Timestamp) -> Result<u64, PortError>;
}

/// A project as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRecord {
    /// Opaque id (`prj_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: Timestamp,
}

/// A diagram as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagramRecord {
    /// Opaque id (`dgm_…`).
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Title.
    pub title: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// What a project decision needs, read in one round trip with the caller's session.
#[derive(Debug, Clone)]
pub struct ProjectContext {
    /// The caller and the organization.
    pub context: MemberContext,
    /// The caller is a project creator.
    pub creator: bool,
    /// The project, when one was named (directly or through a diagram) and it is this
    /// organization's.
    pub project: Option<ProjectRecord>,
    /// The diagram, when one was named and it is this organization's.
    pub diagram: Option<DiagramRecord>,
    /// The caller's project roles in that project.
    pub grants: Vec<orgpass_core::project::Grant>,
    /// The organization role of the subject (the account asked about; the caller when
    /// none was named), `None` when not a member.
    pub subject_role: Option<Role>,
    /// The subject's project roles in that project.
    pub subject_grants: Vec<orgpass_core::project::Grant>,
}

/// Which project (or diagram) a request is about.
#[derive(Debug, Clone, Copy)]
pub enum ProjectTarget<'a> {
    /// None (creating or listing projects).
    None,
    /// A project by id.
    Project(&'a str),
    /// A diagram by id (and so its project).
    Diagram(&'a str),
}

/// A project member with their grants and organization role.
#[derive(Debug, Clone)]
pub struct ProjectMemberRecord {
    /// Account id.
    pub account_id: String,
    /// Their organization role.
    pub org_role: Role,
    /// Their project roles.
    pub grants: Vec<orgpass_core::project::Grant>,
}

/// Project creators, projects, their members and groups, diagrams.
pub trait ProjectStore {
    /// The caller's context with `subject`'s standing (the caller when `None`) in the
    /// target project: one round trip.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn project_context(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        subject: Option<&str>,
        target: ProjectTarget<'_>,
    ) -> Result<Option<ProjectContext>, PortError>;

    /// The project creators' account ids.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn project_creators(&self, space_key: &SpaceKey) -> Result<Vec<String>, PortError>;

    /// Adds or removes a project creator; [`Written::Missing`] for a non-member,
    /// [`Written::Refused`] for a guest.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn set_project_creator(
        &self,
        space_key: &SpaceKey,
        account_id: &str,
        add: bool,
        now: Timestamp,
    ) -> Result<Written, PortError>;

    /// Creates a project with `creator` as its `admin`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_project(
        &self,
        space_key: &SpaceKey,
        project: &ProjectRecord,
        creator: &str,
    ) -> Result<(), PortError>;

    /// Projects, by creation time: all of them when `account` is `None`, else those in
    /// which the account has a role (directly or through a group).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn projects(
        &self,
        space_key: &SpaceKey,
        account: Option<&str>,
    ) -> Result<Vec<ProjectRecord>, PortError>;

    /// Everyone with a role in the project, with their grants.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn project_members(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<Vec<ProjectMemberRecord>, PortError>;

    /// Gives (`Some`) or takes away (`None`) an account's direct project role;
    /// [`Written::Missing`] for a non-member, [`Written::Refused`] for `admin` to a
    /// guest.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn set_project_member(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
        account_id: &str,
        role: Option<orgpass_core::project::ProjectRole>,
        now: Timestamp,
    ) -> Result<Written, PortError>;

    /// Gives or takes away a group's project role; [`Written::Missing`] for another
    /// organization's group.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn set_project_group(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
        group_id: &str,
        role: Option<orgpass_core::project::ProjectRole>,
        now: Timestamp,
    ) -> Result<Written, PortError>;

    /// Creates a diagram.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_diagram(
        &self,
        space_key: &SpaceKey,
        diagram: &DiagramRecord,
        creator: &str,
    ) -> Result<(), PortError>;

    /// A project's diagrams, by creation time.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn diagrams(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<Vec<DiagramRecord>, PortError>;

    /// Retitles (`Some`) or deletes (`None`) a diagram.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn change_diagram(
        &self,
        space_key: &SpaceKey,
        id: &str,
        title: Option<&str>,
        now: Timestamp,
    ) -> Result<Written, PortError>;
}

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
    /// The email explaining how to log in.
    pub mail: NewMail,
    /// Now.
    pub now: Timestamp,
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
    /// When its settings were last saved (`None`: not configured).
    pub settings_version: Option<Timestamp>,
    /// Its settings (read only when the cache had none).
    pub settings: Option<SamlRecord>,
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
}

/// SAML settings, managed accounts, logins in flight, replay records and failures.
#[allow(async_fn_in_trait)]
pub trait SsoStore {
    /// The organization's settings.
    async fn saml_settings(&self, space_key: &SpaceKey) -> Result<Option<SamlRecord>, PortError>;

    /// Saves the settings, unless no normal (non-managed) administrator would remain:
    /// `false` then, and nothing changes.
    async fn save_saml_settings(
        &self,
        space_key: &SpaceKey,
        settings: &orgpass_core::saml_settings::SamlSettings,
        by: &str,
        now: Timestamp,
    ) -> Result<bool, PortError>;

    /// Removes the settings (`false`: there were none).
    async fn delete_saml_settings(&self, space_key: &SpaceKey) -> Result<bool, PortError>;

    /// The SSO failures to show, newest first: the newest
    /// [`SSO_VERIFIED_FAILURES_LISTED`] that were verified or named the configured IdP,
    /// and the newest [`SSO_FAILURES_KEPT`] anonymous ones, so that junk never hides
    /// a failure that matters.
    async fn sso_failures(&self, space_key: &SpaceKey) -> Result<Vec<SsoFailureRecord>, PortError>;

    /// Creates a managed account with its membership, groups and email, or says why
    /// not (nothing written then).
    async fn create_managed_account(
        &self,
        space_key: &SpaceKey,
        account: &NewManagedAccount,
    ) -> Result<Result<(), ManagedRefusal>, PortError>;

    /// Deletes a managed account of the organization (`Refused`: it is the last
    /// administrator).
    async fn delete_managed_account(
        &self,
        space_key: &SpaceKey,
        account_id: &str,
    ) -> Result<AdminChange, PortError>;

    /// Stores a login in flight for the organization with this ID, if it has SAML
    /// settings and its add-on allows SSO and the client address is under its limit
    /// (every start counts, whatever the ID); returns its space key and IdP SSO URL.
    async fn start_sso(
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
        with_settings: bool,
        now: Timestamp,
    ) -> Result<AcsState, PortError>;

    /// Records the assertion ID, uses the login in flight and creates the session, all
    /// or nothing (one batch).
    async fn complete_sso(
        &self,
        completion: &SsoCompletion<'_>,
        now: Timestamp,
    ) -> Result<SsoOutcome, PortError>;

    /// Records a failure posted from `ip`. A verified failure is always kept; the
    /// others (anyone can post them) only within [`SSO_ANONYMOUS_FAILURES_PER_IP`] per
    /// address and window. Each [`FailureKind`] evicts only older failures of its own
    /// kind, beyond [`SSO_VERIFIED_FAILURES_KEPT`] (verified, issuer) or
    /// [`SSO_ANONYMOUS_FAILURES_KEPT`] (anonymous).
    async fn record_sso_failure(
        &self,
        space_key: &SpaceKey,
        failure: &SsoFailureRecord,
        ip: &str,
    ) -> Result<(), PortError>;

    /// Deletes replay records and logins in flight that can no longer matter, and
    /// failures older than [`SSO_FAILURE_DAYS`].
    async fn purge_sso(&self, now: Timestamp) -> Result<u64, PortError>;
}

/// Anonymous (unverified) failures listed per organization.
pub const SSO_FAILURES_KEPT: u32 = 20;
/// Failures of verified responses listed per organization.
pub const SSO_VERIFIED_FAILURES_LISTED: u32 = 50;
/// Anonymous failures stored per organization at most (older ones give way).
pub const SSO_ANONYMOUS_FAILURES_KEPT: u32 = 200;
/// Failures of verified responses stored per organization at most.
pub const SSO_VERIFIED_FAILURES_KEPT: u32 = 1000;
/// Unverified (issuer and anonymous) failures recorded per client address in a
/// 15-minute window.
pub const SSO_ANONYMOUS_FAILURES_PER_IP: i64 = 10;
/// How long failures are kept.
pub const SSO_FAILURE_DAYS: i64 = 30;

/// A cache of SAML settings for the login path (KV at the edge). Every change of the
/// settings rewrites it; the login path also compares the cached `updated_at` with
/// D1's, so a stale entry (KV is eventually consistent) is never used. Losing or
/// missing an entry costs a D1 read, nothing more.
#[allow(async_fn_in_trait)]
pub trait SettingsCache {
    /// The cached settings, if any (errors count as a miss).
    async fn get(&self, space_key: &SpaceKey) -> Option<SamlRecord>;
    /// Caches the settings.
    async fn put(&self, space_key: &SpaceKey, record: &SamlRecord);
    /// Forgets them.
    async fn forget(&self, space_key: &SpaceKey);
}
