//! Self-service pages (no JavaScript needed): `/forgot-password`, `/reset-password`,
//! `/verify-email/resend`, `/confirm-email` and the account page `/account` with its
//! forms under `/account/…`.

use orgpass_app::{ports::LinkPurpose, AppError};
use worker::Request;

use super::views::{self, Section, Typed};
use crate::{
    accounts::pages::done_log_in,
    views::{Chrome, Feedback},
    web::{
        auth::check_form,
        context::Ctx,
        error::{describe, error_page, form_refusal, page_refusal, with_retry_after, ApiError},
        http,
        http::{see_other, set_cookie, SESSION_COOKIE},
        page::{cookie_session, csrf, field, html, posted},
        Handled,
    },
};

/// Which link a request form asks for, and how its page looks.
#[derive(Clone, Copy)]
pub enum Ask {
    /// `/forgot-password`.
    Reset,
    /// `/verify-email/resend`.
    Verification,
}

impl Ask {
    fn render(self, chrome: &Chrome<'_>, email: &str, feedback: &Feedback<'_>) -> String {
        match self {
            Self::Reset => views::forgot_password(chrome, email, feedback),
            Self::Verification => views::resend_verification(chrome, email, feedback),
        }
    }
}

/// `GET /forgot-password`, `GET /verify-email/resend` (`?email=` fills the field).
pub fn ask_form(req: &mut Request, ask: Ask) -> Handled {
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    let email = http::query(req, "email").unwrap_or_default();
    html(
        200,
        &ask.render(&chrome, &email, &Feedback::default()),
        &cookies,
    )
}

/// `POST /forgot-password`, `POST /verify-email/resend`: the same page for every
/// address.
pub async fn ask_submit(req: &mut Request, cx: &Ctx, ask: Ask) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let (csrf, mut cookies) = csrf(req)?;
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    let email = field(&form, "email");
    let (purpose, browser) = match ask {
        Ask::Reset => (LinkPurpose::ResetPassword, None),
        Ask::Verification => {
            let (browser, binding) = crate::accounts::pages::signup_binding()?;
            cookies.push(binding);
            (LinkPurpose::VerifyEmail, Some(browser))
        }
    };
    match cx
        .app()
        .request_link(purpose, email, &http::client_ip(req), browser)
        .await
    {
        Ok(()) => {
            cx.deliver_mail_soon();
            html(
                200,
                &views::link_sent(&chrome, email.trim(), cx.settings.development),
                &cookies,
            )
        }
        Err(e @ (AppError::Invalid(_) | AppError::RateLimited { .. })) => {
            let d = describe(&e.into());
            let feedback = Feedback {
                errors: &d.fields,
                notice: None,
                alert: d.fields.is_empty().then_some(d.message),
            };
            let response = html(d.status, &ask.render(&chrome, email, &feedback), &cookies)?;
            with_retry_after(response, d.retry_after)
        }
        Err(e) => error_page(&e.into(), None),
    }
}

/// `GET /reset-password?token=`: a link that can no longer be used says so at once.
pub async fn reset_form(req: &mut Request, cx: &Ctx) -> Handled {
    let token = http::query(req, "token").unwrap_or_default();
    if let Err(e) = cx.app().check_link(&token, "reset_password").await {
        return error_page(&e.into(), None);
    }
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    html(200, &views::reset_password(&chrome, &token, &[]), &cookies)
}

/// `POST /reset-password`: every session ends; the page leads to the login.
pub async fn reset_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let token = field(&form, "token");
    match cx
        .app()
        .reset_password(token, field(&form, "password"))
        .await
    {
        Ok(account) => {
            cx.deliver_mail_soon();
            let mut response = done_log_in(&account, "Password changed", "has a new password")?;
            // This browser's session (if any) ended with the others.
            response
                .headers_mut()
                .append("set-cookie", &set_cookie(SESSION_COOKIE, "", 0))?;
            Ok(response)
        }
        Err(AppError::Invalid(invalid)) => {
            let (csrf, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: None,
                csrf: &csrf,
            };
            html(
                400,
                &views::reset_password(&chrome, token, &invalid.0),
                &cookies,
            )
        }
        Err(e) => error_page(&e.into(), None),
    }
}

/// `GET /confirm-email?token=`: a button, so that a mail scanner's GET changes nothing
/// (a link that can no longer be used says so at once).
pub async fn confirm_email_form(req: &mut Request, cx: &Ctx) -> Handled {
    let token = http::query(req, "token").unwrap_or_default();
    if let Err(e) = cx.app().check_link(&token, "change_email").await {
        return error_page(&e.into(), None);
    }
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    html(200, &views::confirm_email(&chrome, &token), &cookies)
}

/// `POST /confirm-email`
pub async fn confirm_email_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    match cx.app().confirm_email_change(field(&form, "token")).await {
        Ok(account) => done_log_in(&account, "Email changed", "is the account's email now"),
        Err(e) => error_page(&e.into(), None),
    }
}

const BACK: &str = "/account";

/// The notice after a successful form (`?done=`).
fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "name" => "Your name is saved.",
        "email" => "We sent a link to the new address: open it to finish the change.",
        "password" => "Your password is changed, and your other sessions have ended.",
        "session" => "The session is ended.",
        "left" => "You left the organization.",
        "two-step-off" => "Two-step verification is off.",
        _ => return None,
    })
}

/// The alert after a refused two-step form (`?refused=` names the refusal's code; only
/// these are shown, so the query cannot put words on the page).
fn refused_alert(code: &str) -> Option<&'static str> {
    Some(match code {
        "invalid_code" => "That code is not right.",
        "two_step_enabled" => "Two-step verification is already on.",
        "two_step_disabled" => "Two-step verification is off: set it up first.",
        "rate_limited" => "Too many attempts. Try again later.",
        "managed_account" => "This account is managed by its organization.",
        "conflict" => "Two-step verification was set up again meanwhile: start over.",
        _ => return None,
    })
}

/// Renders the account page with `feedback` for `section`.
async fn render(
    req: &Request,
    cx: &Ctx,
    status: u16,
    (section, feedback): (Section, &Feedback<'_>),
    typed: Typed<'_>,
) -> Handled {
    let Some(token) = cookie_session(req) else {
        return crate::web::page::login_redirect(BACK);
    };
    let overview = match cx.app().account_overview(&token).await {
        Ok(overview) => overview,
        Err(e) => return page_refusal(e.into(), BACK),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&overview.account),
        csrf: &csrf,
    };
    html(
        status,
        &views::account(&chrome, &overview, (section, feedback), typed),
        &cookies,
    )
}

/// `GET /account`
pub async fn account(req: &mut Request, cx: &Ctx) -> Handled {
    let done = http::query(req, "done").unwrap_or_default();
    let refused = http::query(req, "refused").unwrap_or_default();
    let feedback = Feedback {
        notice: done_notice(&done),
        alert: refused_alert(&refused),
        ..Feedback::default()
    };
    render(req, cx, 200, (Section::Other, &feedback), Typed::default()).await
}

/// `POST /account/{name|email|password|delete}`, `/account/sessions/{id}/end`,
/// `/account/organizations/{key}/leave`.
pub async fn submit(req: &mut Request, cx: &Ctx, rest: &[&str]) -> Handled {
    let form = match posted(req, BACK).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let app = cx.app();
    let token = &form.token;
    let ip = http::client_ip(req);
    let (section, result) = match rest {
        ["name"] => (
            Section::Name,
            app.rename_self(token, form.one("name"))
                .await
                .map(|_| "name"),
        ),
        ["email"] => (
            Section::Email,
            app.request_email_change(token, form.one("email"), form.one("current_password"), &ip)
                .await
                .map(|_| "email"),
        ),
        ["password"] => (
            Section::Password,
            app.change_password(
                token,
                form.one("current_password"),
                form.one("new_password"),
                &ip,
            )
            .await
            .map(|()| "password"),
        ),
        ["sessions", id, "end"] => (
            Section::Other,
            app.end_own_session(token, id).await.map(|()| "session"),
        ),
        ["organizations", key, "leave"] => (
            Section::Other,
            app.leave_organization(token, key).await.map(|()| "left"),
        ),
        ["delete"] => match app
            .delete_self(token, form.one("current_password"), &ip)
            .await
        {
            Ok(()) => {
                let chrome = Chrome {
                    account: None,
                    csrf: "",
                };
                return html(
                    200,
                    &views::deleted(&chrome),
                    &[set_cookie(SESSION_COOKIE, "", 0)],
                );
            }
            Err(e) => (Section::Delete, Err(e)),
        },
        _ => return Err(ApiError::RouteNotFound),
    };
    let error = match result {
        Ok(done) => {
            cx.deliver_mail_soon();
            return Ok(see_other(&format!("{BACK}?done={done}"))?);
        }
        Err(e) => e,
    };
    let again = match form_refusal(error, BACK) {
        Ok(again) => again,
        Err(answer) => return answer,
    };
    let typed = Typed {
        name: (section == Section::Name).then(|| form.one("name")),
        email: if section == Section::Email {
            form.one("email")
        } else {
            ""
        },
    };
    let response = render(req, cx, again.status, (section, &again.feedback()), typed).await?;
    Ok(response)
}
