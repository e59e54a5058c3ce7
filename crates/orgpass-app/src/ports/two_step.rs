//! Two-step verification: enrolment, the second step of a login, turning it off.

use orgpass_core::{Timestamp, TokenHash};

use super::*;

/// What proves a second step: a TOTP code of a step later than the last one
/// accepted, or an unused recovery code. The store accepts it at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeProof {
    /// A TOTP code of this 30-second step.
    Totp {
        /// The step.
        step: i64,
    },
    /// A recovery code with this digest.
    Recovery {
        /// SHA-256 hex of the code as typed ([`orgpass_core::two_step::recovery_hash`]).
        hash: String,
    },
}

impl CodeProof {
    /// What proved it, as the audit log says: `totp` or `recovery_code`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Totp { .. } => "totp",
            Self::Recovery { .. } => "recovery_code",
        }
    }
}

/// An account's two-step state, read to check a code against it.
#[derive(Debug, Clone)]
pub struct TwoStepState {
    /// The account.
    pub account: AccountRecord,
    /// The confirmed secret (base32), while two-step verification is on.
    pub secret: Option<String>,
    /// An enrolment's secret awaiting its first code.
    pub pending: Option<String>,
    /// The last step whose code was accepted.
    pub last_step: Option<i64>,
    /// The digests of the account's unused recovery codes.
    pub recovery: Vec<String>,
    /// Whether the attempt got a place under the two-step limits (per account and per
    /// client IP).
    pub reserved: bool,
}

/// What starting an enrolment came to.
#[derive(Debug, Clone)]
pub enum Enrolment {
    /// The pending secret is stored (it replaced any earlier pending one).
    Started(AccountRecord),
    /// The account is managed: its organization's IdP decides.
    Managed,
    /// Two-step verification is on already.
    AlreadyOn,
}

/// A login waiting for its second step.
#[derive(Debug, Clone)]
pub struct NewChallenge<'a> {
    /// Hash of the short-lived token given to the client.
    pub token: TokenHash,
    /// Whose login.
    pub account_id: &'a str,
    /// When the password was found right.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// Two-step verification in the store. Each method is one round trip.
pub trait TwoStepStore {
    /// Stores `secret` (base32) as the pending secret of the session's normal account
    /// while two-step verification is off; `None` without a live session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn write_pending_secret(
        &self,
        session: &TokenHash,
        secret: &str,
        now: Timestamp,
    ) -> Result<Option<Enrolment>, PortError>;

    /// Reserves a code check of the session's account under the two-step limits
    /// (`ip`, `window`) and reads its two-step state; `None` without a live session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn reserve_code_check(
        &self,
        session: &TokenHash,
        ip: &str,
        window: Timestamp,
        now: Timestamp,
    ) -> Result<Option<TwoStepState>, PortError>;

    /// Turns two-step verification on with the pending secret `pending` — only while
    /// it is still the pending one (compare-and-set) — with the accepted `step`, the
    /// recovery-code digests (replacing any old ones) and `notice`, in one batch.
    /// `false`: the pending secret changed meanwhile, nothing written. `told` is the
    /// notice and the event, which goes to the log of each organization of the
    /// account, like the next two methods'.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn enable_two_step(
        &self,
        account_id: &str,
        pending: &str,
        step: i64,
        recovery: &[String],
        told: (&NewMail, &Event),
        now: Timestamp,
    ) -> Result<bool, PortError>;

    /// Accepts `proof` once and, in the same batch, turns two-step verification off
    /// (secret, recovery codes) and queues `notice`. `false`: the proof was used
    /// meanwhile, nothing written.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn disable_two_step(
        &self,
        account_id: &str,
        proof: &CodeProof,
        notice: &NewMail,
        now: Timestamp,
        event: &Event,
    ) -> Result<bool, PortError>;

    /// Counts one code against the live, unspent challenge `token` (at most
    /// [`crate::two_step::CHALLENGE_ATTEMPTS`]) and against the two-step limits of its
    /// account and `ip`, and reads the account's two-step state. `None` when the
    /// challenge is unknown, expired, spent or out of attempts.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn attempt_challenge(
        &self,
        token: &TokenHash,
        ip: &str,
        window: Timestamp,
        now: Timestamp,
    ) -> Result<Option<TwoStepState>, PortError>;

    /// Accepts `proof` once, spends the challenge and stores `session`, in one batch
    /// (each only if the one before it happened here). `None`: the proof or the
    /// challenge was used meanwhile, nothing written.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn complete_challenge(
        &self,
        token: &TokenHash,
        proof: &CodeProof,
        session: &NewSession,
        now: Timestamp,
        event: &Event,
    ) -> Result<Option<AccountRecord>, PortError>;
}
