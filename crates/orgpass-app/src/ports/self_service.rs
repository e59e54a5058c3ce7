//! What a person does to their own account: emailed links to recover it, the checks of
//! the current password, email and password changes, the list of sessions, deletion.

use orgpass_core::{Email, Timestamp, TokenHash};

use super::*;

/// The emailed link a request for one asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// "Forgot password": a normal account's reset link.
    ResetPassword,
    /// A fresh email-verification link for a normal account not yet confirmed.
    VerifyEmail,
}

impl LinkPurpose {
    /// The `account_tokens.purpose` and rate-limit prefix of the link.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ResetPassword => "reset_password",
            Self::VerifyEmail => "verify_email",
        }
    }
}

/// What a request for a link found once it asked for its place under the limits.
#[derive(Debug, Clone)]
pub struct LinkAttempt {
    /// The account of the address, if any (its kind decides whether a link is stored,
    /// inside the store's write, not here).
    pub account: Option<AccountRecord>,
    /// Whether the request got a place under both limits (the address's and the
    /// client IP's).
    pub reserved: bool,
}

/// An emailed link to store.
#[derive(Debug, Clone, Copy)]
pub struct NewLink {
    /// What it is for.
    pub purpose: LinkPurpose,
    /// Hash of the link's token.
    pub token: TokenHash,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Digest of the requesting browser's secret (verification links only).
    pub browser: Option<TokenHash>,
}

/// A signed-in person's account as read to check their current password, with the
/// attempt's place under the login limits.
#[derive(Debug, Clone)]
pub struct CredentialCheck {
    /// The session's account.
    pub account: AccountRecord,
    /// Its encoded password record (`None` for managed accounts).
    pub password_record: Option<String>,
    /// Whether the check got a place under the login limits of the account's email
    /// and the client IP (a failed check counts as a failed login).
    pub reserved: bool,
}

/// A login-limit reservation to give back once the password it guarded was right.
#[derive(Debug, Clone)]
pub struct Release<'a> {
    /// The account's email (its counter is cleared).
    pub email: &'a Email,
    /// The client IP (its place is returned).
    pub ip: &'a str,
    /// The window the reservation was made in.
    pub window: Timestamp,
}

/// One session of an account, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Public id (`sess_…`).
    pub id: String,
    /// Start.
    pub created_at: Timestamp,
    /// Last request made with it (refreshed at most every few minutes).
    pub last_used_at: Timestamp,
    /// The client IP it was started from.
    pub ip: String,
    /// The user agent it was started with.
    pub user_agent: String,
    /// The session of the request that asks.
    pub current: bool,
}

/// What the account page shows: the account, its live sessions, its organizations.
#[derive(Debug, Clone)]
pub struct AccountOverview {
    /// The session's account.
    pub account: AccountRecord,
    /// Its live sessions, newest first.
    pub sessions: Vec<SessionRecord>,
    /// Its memberships.
    pub organizations: Vec<MembershipSummary>,
}

/// A requested email change, confirmed by the link sent to the new address.
#[derive(Debug, Clone)]
pub struct NewEmailChange<'a> {
    /// Whose.
    pub account_id: &'a str,
    /// Hash of the link's token.
    pub token: TokenHash,
    /// The new address.
    pub new_email: &'a Email,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

/// What confirming an email change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailConfirmation {
    /// The account now has the new address.
    Changed(AccountRecord),
    /// Another account took the new address meanwhile; the link stays unused.
    Taken,
    /// The link is unknown, expired or used.
    Refused(TokenUse<()>),
}

/// What deleting an account came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountDeletion {
    /// The account, its sessions, tokens and memberships are gone.
    Done,
    /// It is the only administrator of some organization.
    LastAdmin,
    /// It is the last normal administrator of an organization with single sign-on.
    LastNormalAdmin,
}

/// The account's own settings. Each method is one round trip.
pub trait SelfServiceStore {
    /// Reserves a request for a `purpose` link to `email` from `ip` in the window
    /// starting at `window` (limits [`orgpass_core::ratelimit::LINKS_PER_EMAIL`] and
    /// [`orgpass_core::ratelimit::LINKS_PER_IP`]; never given back), and reads the
    /// address's account.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn reserve_link(
        &self,
        purpose: LinkPurpose,
        email: &Email,
        ip: &str,
        window: Timestamp,
    ) -> Result<LinkAttempt, PortError>;

    /// Stores `link` and queues `mail` for the account of `email`, in one batch, only
    /// where the purpose applies: a normal account (a reset), a normal account not yet
    /// confirmed (a verification). Anywhere else the same statements write nothing, so
    /// the request costs the same whatever the address.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn insert_link(
        &self,
        email: &Email,
        link: &NewLink,
        mail: &NewMail,
        now: Timestamp,
    ) -> Result<(), PortError>;

    /// The state of an emailed link of `purpose` (`reset_password` or `change_email`),
    /// without spending it (`TokenUse::Spent(())` here means "still usable").
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn read_link(
        &self,
        token: &TokenHash,
        purpose: &str,
        now: Timestamp,
    ) -> Result<TokenUse<()>, PortError>;

    /// Spends a reset link and, in the same batch: sets the password record, confirms
    /// the email (the link reached it), ends **every** session of the account, spends
    /// its other reset links and queues `notice` (mail `mail_id`) to the account's
    /// address. Exactly one of concurrent callers gets [`TokenUse::Spent`].
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn write_reset_password(
        &self,
        token: &TokenHash,
        password_record: &str,
        notice: (&str, &MailTemplate),
        at: (Timestamp, &Event),
    ) -> Result<TokenUse<AccountRecord>, PortError>;

    /// Reserves a check of the current password of the session's account (against
    /// the login limits of its email and `ip`) and reads the account; `None` without a
    /// live session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn reserve_credential_check(
        &self,
        session: &TokenHash,
        ip: &str,
        window: Timestamp,
        now: Timestamp,
    ) -> Result<Option<CredentialCheck>, PortError>;

    /// Sets a normal account's password record, ends every session of the account
    /// but `keep`, gives the check's reservation back and queues the notice of `told`,
    /// in one batch, with its event in each organization of the account.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn update_own_password(
        &self,
        account_id: &str,
        keep: &TokenHash,
        password_record: &str,
        release: &Release<'_>,
        told: (&NewMail, &Event),
        now: Timestamp,
    ) -> Result<(), PortError>;

    /// Stores an email change and queues its two mails (the link to the new address,
    /// the notice to the old one), giving the check's reservation back, in one batch —
    /// only while no account has the new address. `false`: taken, nothing written.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn insert_email_change(
        &self,
        change: &NewEmailChange<'_>,
        mails: [&NewMail; 2],
        release: &Release<'_>,
        now: Timestamp,
    ) -> Result<bool, PortError>;

    /// Spends an email-change link and moves its account to the new address, in one
    /// batch, only while no other account has that address.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn confirm_email_change(
        &self,
        token: &TokenHash,
        at: (Timestamp, &Event),
    ) -> Result<EmailConfirmation, PortError>;

    /// The session's account, its live sessions and its memberships; `None` without a
    /// live session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn account_overview(
        &self,
        session: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<AccountOverview>, PortError>;

    /// Ends the session `session_id` of the account of `session`. `None` without a
    /// live session; `Some(false)` when the account has no such live session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn end_own_session(
        &self,
        session: &TokenHash,
        session_id: &str,
        now: Timestamp,
    ) -> Result<Option<bool>, PortError>;

    /// Renames the session's account; `None` without a live session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn update_own_name(
        &self,
        session: &TokenHash,
        name: &str,
        now: Timestamp,
    ) -> Result<Option<AccountRecord>, PortError>;

    /// Deletes a normal account with its sessions, tokens and memberships (and their
    /// group and project rows) in one batch, unless it is the last administrator (or
    /// last normal administrator under SSO) of an organization. Each organization it
    /// leaves records `event`, the account its target.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn delete_own_account(
        &self,
        account_id: &str,
        now: Timestamp,
        event: &Event,
    ) -> Result<AccountDeletion, PortError>;

    /// Records that the session was used now from `client`, at most once per
    /// [`crate::self_service::TOUCH_EVERY_MINUTES`] (a guarded write; the edge makes
    /// it after answering).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn touch_session(&self, session: &TokenHash, now: Timestamp) -> Result<(), PortError>;
}
