//! Accounts, sessions, login attempts and account tokens.

use orgpass_core::{Email, Timestamp, TokenHash};

use super::*;

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
    /// Two-step verification is on (a TOTP secret is confirmed).
    pub two_step: bool,
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

/// The client a request came from, as recorded with the sessions it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    /// The client's IP address (`CF-Connecting-IP`).
    pub ip: String,
    /// Its `User-Agent`, shortened to [`Client::USER_AGENT_MAX`] characters.
    pub user_agent: String,
}

impl Client {
    /// The longest user agent kept.
    pub const USER_AGENT_MAX: usize = 256;

    /// A client from its address and user agent (shortened).
    #[must_use]
    pub fn new(ip: &str, user_agent: &str) -> Self {
        Self {
            ip: ip.to_owned(),
            user_agent: user_agent.chars().take(Self::USER_AGENT_MAX).collect(),
        }
    }
}

/// A new session to store.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Public id (`sess_…`), shown in the account's session list.
    pub id: String,
    /// Hash of the token given to the client.
    pub token_hash: TokenHash,
    /// Whose session.
    pub account_id: String,
    /// Start.
    pub created_at: Timestamp,
    /// Absolute end.
    pub expires_at: Timestamp,
    /// Who signed in from where.
    pub client: Client,
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
    async fn consume_verification(
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
    /// for `window` is cleared and the IP's place returned. `event` (the login) goes
    /// to the log of each organization the account belongs to.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_session(
        &self,
        session: &NewSession,
        email: &Email,
        ip: &str,
        window: Timestamp,
        event: &Event,
    ) -> Result<(), PortError>;

    /// Records `event` about the account with `id`, or else with `email` (none is
    /// fine: then nothing is written), in the log of each organization it belongs to:
    /// a failed login, which changes nothing else.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn record_account_event(
        &self,
        who: (Option<&str>, Option<&Email>),
        event: &Event,
    ) -> Result<(), PortError>;

    /// Stores a login's two-step challenge (the password was right) and gives the
    /// attempt's reservation back like [`Self::create_session`], in one batch.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn insert_challenge(
        &self,
        challenge: &NewChallenge<'_>,
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
    async fn delete_expired(&self, now: Timestamp) -> Result<u64, PortError>;
}
