//! The one error type of the use cases. Each variant is a distinct, stable outcome;
//! `edge::error` maps it to an HTTP status and code in one tested table.

use std::fmt;

use orgpass_core::Invalid;

use super::ports::PortError;

/// Why a use case refused or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// Some input fields were refused.
    Invalid(Invalid),
    /// No live session.
    Unauthenticated,
    /// Unknown email or wrong password (deliberately the same).
    InvalidCredentials,
    /// A signed-in person's current password was not right (their session is fine).
    WrongPassword,
    /// The organization requires two-step verification and the caller has not turned
    /// it on.
    TwoStepRequired,
    /// Requiring two-step verification needs the caller to have it on first.
    TwoStepNotEnabled,
    /// Two-step verification is on already (enrol again after turning it off).
    TwoStepAlreadyOn,
    /// Two-step verification is off (nothing to confirm or turn off).
    TwoStepOff,
    /// A two-step code that is not right (or was used).
    InvalidCode,
    /// A login's second-step token that is unknown, expired, spent or out of attempts.
    ChallengeInvalid,
    /// The second step of a login with a code that is not right (or was used).
    LoginCodeRefused,
    /// The password was right but the email is not confirmed yet.
    EmailNotVerified,
    /// A managed account asked for something only a normal account may do: it belongs
    /// to its organization alone (it cannot create or join another) and its
    /// organization owns it.
    ManagedAccount,
    /// Too many failed logins; try again after this many seconds.
    RateLimited {
        /// Seconds to wait.
        retry_after_seconds: i64,
    },
    /// The email already has an account.
    EmailTaken,
    /// No such thing, or not visible to the caller (never tell the two apart).
    NotFound,
    /// Visible, but the caller's role does not allow the action.
    Forbidden,
    /// The organization ID is, or once was, another organization's.
    OrganizationIdTaken,
    /// A single-use token that does not exist.
    TokenInvalid,
    /// A single-use token whose time is over.
    TokenExpired,
    /// A single-use token that was already used.
    TokenUsed,
    /// The SSO add-on is not in trial or active: SSO features are unavailable.
    PassInactive,
    /// The organization already has this domain.
    DomainExists,
    /// The space key typed into the add-on application is not the organization's.
    SpaceKeyMismatch,
    /// The add-on's state does not allow the action.
    PassRefused(orgpass_core::pass::Refused),
    /// The change would leave the organization without an administrator.
    LastAdmin,
    /// While SAML is configured, at least one administrator must be a normal
    /// (non-managed) account.
    LastUnmanagedAdmin,
    /// Managed accounts need the organization's SAML settings first.
    SsoNotConfigured,
    /// The email's domain is not a verified domain of the organization.
    DomainNotVerified,
    /// Guests cannot hold this (project admin, project creator, can invite).
    GuestNotAllowed,
    /// Some of the emails typed are not email addresses (listed verbatim).
    InvalidEmails(Vec<String>),
    /// An invitation link that is no longer usable.
    Invitation(orgpass_core::invitation::Refusal),
    /// The signed-in account's email is not the invited one.
    InvitationEmailMismatch,
    /// The invitation is not pending (resend or revoke).
    InvitationNotPending,
    /// Another group of the organization has this name.
    GroupNameTaken,
    /// The state changed while the request was deciding; nothing was written.
    Conflict,
    /// A webhook's signature is missing, wrong or stale.
    InvalidSignature(orgpass_core::stripe::SignatureError),
    /// An external service (payment provider) failed; details for the log only.
    Upstream(PortError),
    /// A dependency failed; details for the log only.
    Unavailable(PortError),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(e) => write!(f, "unavailable: {e}"),
            other => write!(f, "{other:?}"),
        }
    }
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid)
    }
}

impl From<orgpass_core::FieldError> for AppError {
    fn from(error: orgpass_core::FieldError) -> Self {
        Self::Invalid(error.into())
    }
}
