//! Every refusal the HTTP surface can give, mapped to a status and a stable code in
//! one place ([`describe`]), with a table-driven test.

use orgpass_app::{ports::AccountRecord, AppError};
use orgpass_core::FieldError;
use worker::Response;

use crate::{
    views::{Chrome, Feedback},
    web::{
        http::see_other,
        page::{html, login_redirect},
        Handled,
    },
};

/// A page for a refusal that has no form to go back to.
pub fn error_page(error: &ApiError, account: Option<&AccountRecord>) -> Handled {
    if *error == ApiError::App(AppError::TwoStepRequired) {
        // Not a dead end: the page leads to enrolment.
        return crate::two_step::pages::required(account);
    }
    let d = describe(error);
    let chrome = Chrome { account, csrf: "" };
    let title = match d.status {
        404 => "Not found",
        403 => "Not allowed",
        410 => "Link no longer valid",
        429 => "Too many attempts",
        500 => "Something went wrong",
        _ => "That did not work",
    };
    let response = html(
        d.status,
        &crate::views::refusal(&chrome, title, d.message),
        &[],
    )?;
    with_retry_after(response, d.retry_after)
}

/// A refusal on a page: not logged in → the login page, which comes back to `path`;
/// anything else → the error page. Pages decide this here and nowhere else.
pub fn page_refusal(error: ApiError, path: &str) -> Handled {
    match error {
        ApiError::App(AppError::Unauthenticated) => login_redirect(path),
        e => error_page(&e, None),
    }
}

/// What a refused form shows again: the status, the refused fields, the alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Again {
    /// HTTP status.
    pub status: u16,
    /// Refused fields, shown next to them.
    pub errors: Vec<FieldError>,
    /// The sentence above the form.
    pub alert: String,
}

/// A refused form post. `Err` is the answer when there is no form to go back to (not
/// logged in → the login page coming back to `path`; not found, not allowed,
/// unavailable → the error page); `Ok` is what the form shows again.
///
/// # Errors
/// The final answer, as above.
pub fn form_refusal(error: AppError, path: &str) -> Result<Again, Handled> {
    match error {
        AppError::Unauthenticated => Err(login_redirect(path)),
        e @ (AppError::NotFound | AppError::Forbidden | AppError::Unavailable(_)) => {
            Err(error_page(&e.into(), None))
        }
        e => {
            let d = describe_app(&e);
            let alert = match &e {
                AppError::InvalidEmails(bad) => {
                    format!("{} Not addresses: {}", d.message, bad.join(", "))
                }
                _ => d.message.to_owned(),
            };
            Ok(Again {
                status: d.status,
                errors: d.fields,
                alert,
            })
        }
    }
}

/// The end of a settings form post: done → 303 back to `back` with `?done=1`; a
/// refusal with no form to go back to → its answer (`Err` both); else `Ok`, what the
/// form shows again ([`form_refusal`]).
///
/// # Errors
/// The final answer, as above.
pub fn settle(result: Result<(), AppError>, back: &str) -> Result<Again, Handled> {
    match result {
        Ok(()) => Err(see_other(&format!("{back}?done=1")).map_err(ApiError::from)),
        Err(e) => form_refusal(e, back),
    }
}

impl Again {
    /// The feedback of the form shown again: the refused fields and the alert.
    #[must_use]
    pub fn feedback(&self) -> Feedback<'_> {
        Feedback {
            errors: &self.errors,
            notice: None,
            alert: Some(&self.alert),
        }
    }
}

/// [`describe`] of a use case's refusal.
fn describe_app(error: &AppError) -> Described {
    describe(&ApiError::App(error.clone()))
}

/// Adds `Retry-After` to a page answering a rate limit.
pub(crate) fn with_retry_after(mut response: Response, seconds: Option<i64>) -> Handled {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .set("retry-after", &seconds.to_string())?;
    }
    Ok(response)
}

/// Why a request is refused: a use-case outcome or something the edge itself decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// A use case refused or failed.
    App(AppError),
    /// The body is over the route's limit.
    TooLarge,
    /// A cookie-authenticated write from another origin, or a form without a valid
    /// CSRF token.
    Csrf,
    /// The body is not the JSON (or form) it should be.
    MalformedBody,
    /// A JSON route got a body that is not `application/json`.
    UnsupportedMediaType,
    /// No such route (or a development route outside development).
    RouteNotFound,
    /// The route exists, but not with this method.
    MethodNotAllowed,
    /// The ACS refused a SAML response (the cause is logged with a reference).
    Sso(orgpass_app::sso::SsoFailure),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::App(AppError::Unavailable(orgpass_app::ports::PortError(
            format!("runtime: {e}"),
        )))
    }
}

/// How a refusal is shown: status, stable code, a sentence, the refused fields and,
/// for rate limits, the seconds to wait. Every text is `&'static str`: a failure's
/// detail (a D1 or provider message) cannot reach a client through it, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// HTTP status.
    pub status: u16,
    /// Stable snake_case code.
    pub code: &'static str,
    /// A sentence for people; never internal detail.
    pub message: &'static str,
    /// Refused fields.
    pub fields: Vec<FieldError>,
    /// `Retry-After` seconds.
    pub retry_after: Option<i64>,
}

/// The one mapping from refusals to HTTP.
#[must_use]
pub fn describe(error: &ApiError) -> Described {
    let simple = |status, code, message| Described {
        status,
        code,
        message,
        fields: Vec::new(),
        retry_after: None,
    };
    match error {
        ApiError::App(app) => match app {
            AppError::Invalid(invalid) => Described {
                status: 400,
                code: invalid.code(),
                message: "Some fields need attention.",
                fields: invalid.0.clone(),
                retry_after: None,
            },
            AppError::Unauthenticated => simple(401, "unauthenticated", "Log in first."),
            AppError::InvalidCredentials => simple(
                401,
                "invalid_credentials",
                "The email or password is not right.",
            ),
            AppError::WrongPassword => Described {
                fields: vec![FieldError::new(
                    "current_password",
                    "invalid_credentials",
                    "The current password is not right.",
                )],
                ..simple(403, "invalid_credentials", "The current password is not right.")
            },
            AppError::TwoStepRequired => simple(
                403,
                "two_step_required",
                "This organization requires two-step verification: turn it on in your account first.",
            ),
            AppError::TwoStepNotEnabled => simple(
                409,
                "two_step_not_enabled",
                "Turn on two-step verification for your own account first.",
            ),
            AppError::TwoStepAlreadyOn => simple(
                409,
                "two_step_enabled",
                "Two-step verification is already on.",
            ),
            AppError::TwoStepOff => simple(409, "two_step_disabled", "Two-step verification is off."),
            AppError::InvalidCode => Described {
                fields: vec![FieldError::new("code", "invalid_code", "That code is not right.")],
                ..simple(400, "invalid_code", "That code is not right.")
            },
            AppError::ChallengeInvalid => simple(
                401,
                "invalid_token",
                "This sign-in has expired. Log in again.",
            ),
            AppError::LoginCodeRefused => Described {
                fields: vec![FieldError::new("code", "invalid_code", "That code is not right.")],
                ..simple(401, "invalid_code", "That code is not right.")
            },
            AppError::EmailNotVerified => simple(
                403,
                "email_not_verified",
                "Confirm your email address first: open the link we sent you.",
            ),
            AppError::ManagedAccount => simple(
                403,
                "managed_account",
                "This account is managed by its organization and belongs to it alone.",
            ),
            AppError::RateLimited {
                retry_after_seconds,
            } => Described {
                retry_after: Some(*retry_after_seconds),
                ..simple(
                    429,
                    "rate_limited",
                    "Too many failed attempts. Try again later.",
                )
            },
            AppError::EmailTaken => Described {
                fields: vec![FieldError::new(
                    "email",
                    "email_taken",
                    "An account with this email already exists. Log in instead.",
                )],
                ..simple(
                    409,
                    "email_taken",
                    "An account with this email already exists.",
                )
            },
            AppError::NotFound => simple(404, "not_found", "Not found."),
            AppError::Forbidden => simple(403, "forbidden", "Your role does not allow this."),
            AppError::OrganizationIdTaken => Described {
                fields: vec![FieldError::new(
                    "organization_id",
                    "organization_id_taken",
                    "This organization ID is taken. Choose another.",
                )],
                ..simple(
                    409,
                    "organization_id_taken",
                    "This organization ID is taken. Choose another.",
                )
            },
            AppError::TokenInvalid => simple(400, "invalid_token", "This link is not valid."),
            AppError::TokenExpired => simple(410, "token_expired", "This link has expired."),
            AppError::TokenUsed => simple(410, "token_used", "This link was already used."),
            AppError::PassInactive => simple(
                403,
                "pass_inactive",
                "Single sign-on needs the add-on in its trial or an active subscription.",
            ),
            AppError::DomainExists => Described {
                fields: vec![FieldError::new(
                    "domain",
                    "domain_exists",
                    "This organization already has this domain.",
                )],
                ..simple(
                    409,
                    "domain_exists",
                    "This organization already has this domain.",
                )
            },
            AppError::SpaceKeyMismatch => Described {
                fields: vec![FieldError::new(
                    "space_key",
                    "space_key_mismatch",
                    "This is not this organization's space key. Copy it from the profile tab.",
                )],
                ..simple(
                    400,
                    "space_key_mismatch",
                    "The space key does not match this organization.",
                )
            },
            AppError::PassRefused(r) => {
    use orgpass_core::pass::Refused;
                let (code, message) = match r {
                    Refused::AlreadyApplied => (
                        "pass_already_applied",
                        "The add-on was already applied for.",
                    ),
                    Refused::NotApplied => (
                        "pass_not_applied",
                        "There is no application waiting for review.",
                    ),
                    Refused::NotInTrial => ("pass_not_in_trial", "The add-on is not in its trial."),
                    Refused::NotEligible => (
                        "pass_not_eligible",
                        "The add-on must be approved before it can be paid for.",
                    ),
                    Refused::NotActive => {
                        ("pass_not_active", "The add-on has no active subscription.")
                    }
                    Refused::AlreadyCanceled => (
                        "pass_already_canceled",
                        "The subscription is already set to end.",
                    ),
                };
                simple(409, code, message)
            }
            AppError::LastAdmin => simple(
                409,
                "last_admin",
                "An organization needs at least one administrator. Make someone else an administrator first.",
            ),
            AppError::LastUnmanagedAdmin => simple(
                409,
                "last_unmanaged_admin",
                "While single sign-on is configured, at least one administrator must log in with a password, so that an identity provider outage cannot lock the organization out.",
            ),
            AppError::SsoNotConfigured => simple(
                409,
                "sso_not_configured",
                "Configure SAML single sign-on (Authentication settings) before creating managed accounts.",
            ),
            AppError::DomainNotVerified => simple(
                409,
                "domain_not_verified",
                "Managed accounts need an email address in one of the organization's verified domains.",
            ),
            AppError::GuestNotAllowed => simple(
                409,
                "guest_not_allowed",
                "Guests cannot be project admins, project creators or invite others.",
            ),
            AppError::InvalidEmails(_) => Described {
                fields: vec![FieldError::new(
                    "emails",
                    "invalid_email",
                    "Some of these are not email addresses.",
                )],
                ..simple(
                    400,
                    "invalid_email",
                    "Some of these are not email addresses; nothing was sent.",
                )
            },
            AppError::Invitation(refusal) => {
                use orgpass_core::invitation::Refusal;
                let (code, message) = match refusal {
                    Refusal::Expired => (
                        "invitation_expired",
                        "This invitation has expired. Ask for a new one.",
                    ),
                    Refusal::Used => ("invitation_used", "This invitation was already used."),
                    Refusal::Revoked => ("invitation_revoked", "This invitation was revoked."),
                };
                simple(410, code, message)
            }
            AppError::InvitationEmailMismatch => simple(
                409,
                "invitation_email_mismatch",
                "This invitation is for another email address. Log out and open the link again.",
            ),
            AppError::InvitationNotPending => simple(
                409,
                "invitation_not_pending",
                "This invitation is no longer pending.",
            ),
            AppError::GroupNameTaken => Described {
                fields: vec![FieldError::new(
                    "name",
                    "group_name_taken",
                    "Another group already has this name.",
                )],
                ..simple(
                    409,
                    "group_name_taken",
                    "Another group already has this name.",
                )
            },
            AppError::Conflict => simple(
                409,
                "conflict",
                "Something changed meanwhile. Reload and try again.",
            ),
            AppError::InvalidSignature(_) => simple(
                400,
                "invalid_signature",
                "The signature is missing, wrong or too old.",
            ),
            AppError::Upstream(_) => simple(
                502,
                "upstream_unavailable",
                "A service orgpass depends on did not answer. Try again.",
            ),
            AppError::Unavailable(_) => simple(
                500,
                "internal_error",
                "Something went wrong on our side. Try again.",
            ),
        },
        ApiError::TooLarge => simple(413, "too_large", "The request body is too large."),
        ApiError::Csrf => simple(
            403,
            "csrf",
            "This request did not come from an orgpass page. Reload the page and try again.",
        ),
        ApiError::MalformedBody => simple(400, "invalid_request", "The request body is not valid."),
        ApiError::UnsupportedMediaType => simple(
            415,
            "unsupported_media_type",
            "Send the body as application/json.",
        ),
        ApiError::RouteNotFound => simple(404, "not_found", "Not found."),
        ApiError::MethodNotAllowed => simple(
            405,
            "method_not_allowed",
            "This method is not allowed here.",
        ),
        ApiError::Sso(failure) => match failure {
            orgpass_app::sso::SsoFailure::Unavailable => simple(
                503,
                "sso_unavailable",
                "orgpass could not complete the login just now.",
            ),
            _ => simple(403, "sso_failed", "Single sign-on failed."),
        },
    }
}

#[cfg(test)]
mod tests {
    use orgpass_app::ports::PortError;
    use orgpass_core::{
        invitation::Refusal as InvRefusal, pass::Refused, stripe::SignatureError, Invalid,
    };

    use super::*;

    #[test]
    fn every_refusal_has_its_status_and_code() {
        const EMAIL: FieldError = FieldError::new("email", "invalid_email", "x");
        const NAME: FieldError = FieldError::new("name", "invalid_name", "y");
        let table: Vec<(ApiError, u16, &str)> = vec![
            (
                AppError::Invalid(Invalid(vec![EMAIL])).into(),
                400,
                "invalid_email",
            ),
            (
                AppError::Invalid(Invalid(vec![EMAIL, NAME])).into(),
                400,
                "invalid_request",
            ),
            (AppError::Unauthenticated.into(), 401, "unauthenticated"),
            (
                AppError::InvalidCredentials.into(),
                401,
                "invalid_credentials",
            ),
            (AppError::EmailNotVerified.into(), 403, "email_not_verified"),
            (
                AppError::RateLimited {
                    retry_after_seconds: 5,
                }
                .into(),
                429,
                "rate_limited",
            ),
            (AppError::EmailTaken.into(), 409, "email_taken"),
            (AppError::NotFound.into(), 404, "not_found"),
            (AppError::ManagedAccount.into(), 403, "managed_account"),
            (AppError::WrongPassword.into(), 403, "invalid_credentials"),
            (AppError::TwoStepRequired.into(), 403, "two_step_required"),
            (
                AppError::TwoStepNotEnabled.into(),
                409,
                "two_step_not_enabled",
            ),
            (AppError::TwoStepAlreadyOn.into(), 409, "two_step_enabled"),
            (AppError::TwoStepOff.into(), 409, "two_step_disabled"),
            (AppError::InvalidCode.into(), 400, "invalid_code"),
            (AppError::LoginCodeRefused.into(), 401, "invalid_code"),
            (AppError::ChallengeInvalid.into(), 401, "invalid_token"),
            (AppError::Forbidden.into(), 403, "forbidden"),
            (
                AppError::OrganizationIdTaken.into(),
                409,
                "organization_id_taken",
            ),
            (AppError::TokenInvalid.into(), 400, "invalid_token"),
            (AppError::TokenExpired.into(), 410, "token_expired"),
            (AppError::TokenUsed.into(), 410, "token_used"),
            (AppError::PassInactive.into(), 403, "pass_inactive"),
            (AppError::DomainExists.into(), 409, "domain_exists"),
            (AppError::SpaceKeyMismatch.into(), 400, "space_key_mismatch"),
            (
                AppError::PassRefused(Refused::AlreadyApplied).into(),
                409,
                "pass_already_applied",
            ),
            (
                AppError::PassRefused(Refused::NotApplied).into(),
                409,
                "pass_not_applied",
            ),
            (
                AppError::PassRefused(Refused::NotInTrial).into(),
                409,
                "pass_not_in_trial",
            ),
            (
                AppError::PassRefused(Refused::NotEligible).into(),
                409,
                "pass_not_eligible",
            ),
            (
                AppError::PassRefused(Refused::NotActive).into(),
                409,
                "pass_not_active",
            ),
            (
                AppError::PassRefused(Refused::AlreadyCanceled).into(),
                409,
                "pass_already_canceled",
            ),
            (AppError::LastAdmin.into(), 409, "last_admin"),
            (AppError::GuestNotAllowed.into(), 409, "guest_not_allowed"),
            (
                AppError::LastUnmanagedAdmin.into(),
                409,
                "last_unmanaged_admin",
            ),
            (AppError::SsoNotConfigured.into(), 409, "sso_not_configured"),
            (
                AppError::DomainNotVerified.into(),
                409,
                "domain_not_verified",
            ),
            (
                AppError::InvalidEmails(vec!["x".into()]).into(),
                400,
                "invalid_email",
            ),
            (
                AppError::Invitation(InvRefusal::Expired).into(),
                410,
                "invitation_expired",
            ),
            (
                AppError::Invitation(InvRefusal::Used).into(),
                410,
                "invitation_used",
            ),
            (
                AppError::Invitation(InvRefusal::Revoked).into(),
                410,
                "invitation_revoked",
            ),
            (
                AppError::InvitationEmailMismatch.into(),
                409,
                "invitation_email_mismatch",
            ),
            (
                AppError::InvitationNotPending.into(),
                409,
                "invitation_not_pending",
            ),
            (AppError::GroupNameTaken.into(), 409, "group_name_taken"),
            (AppError::Conflict.into(), 409, "conflict"),
            (
                AppError::InvalidSignature(SignatureError::Stale).into(),
                400,
                "invalid_signature",
            ),
            (
                AppError::Upstream(PortError("secret detail".into())).into(),
                502,
                "upstream_unavailable",
            ),
            (
                AppError::Unavailable(PortError("secret detail".into())).into(),
                500,
                "internal_error",
            ),
            (ApiError::TooLarge, 413, "too_large"),
            (ApiError::Csrf, 403, "csrf"),
            (ApiError::MalformedBody, 400, "invalid_request"),
            (
                ApiError::UnsupportedMediaType,
                415,
                "unsupported_media_type",
            ),
            (ApiError::RouteNotFound, 404, "not_found"),
            (ApiError::MethodNotAllowed, 405, "method_not_allowed"),
        ];
        for (error, status, code) in table {
            let d = describe(&error);
            assert_eq!((d.status, d.code), (status, code), "{error:?}");
        }
        let sso = |f| describe(&ApiError::Sso(f)).status;
        assert_eq!(sso(orgpass_app::sso::SsoFailure::Unavailable), 503);
        assert_eq!(sso(orgpass_app::sso::SsoFailure::Replay), 403);
        // Conflicts that belong to one field carry it, for forms and JSON alike.
        for (error, field) in [
            (AppError::EmailTaken, "email"),
            (AppError::OrganizationIdTaken, "organization_id"),
            (AppError::GroupNameTaken, "name"),
            (AppError::DomainExists, "domain"),
            (AppError::SpaceKeyMismatch, "space_key"),
            (AppError::InvalidEmails(vec!["x".into()]), "emails"),
        ] {
            let fields = describe(&error.clone().into()).fields;
            assert_eq!(
                fields.iter().map(|f| f.field).collect::<Vec<_>>(),
                vec![field],
                "{error:?}"
            );
        }
        let limited = describe(
            &AppError::RateLimited {
                retry_after_seconds: 5,
            }
            .into(),
        );
        assert_eq!(limited.retry_after, Some(5));
        let fields = describe(&AppError::Invalid(Invalid(vec![EMAIL, NAME])).into()).fields;
        assert_eq!(fields, vec![EMAIL, NAME]);
    }
}
