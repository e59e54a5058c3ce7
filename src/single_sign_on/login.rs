//! Starting a login (`/login/sso`: the form, the AuthnRequest, the browser binding)
//! and handing an unsolicited login's session to the browser (`/login/sso/continue`).

use orgpass_app::{
    ports::AccountRecord,
    sso::{Continue, StartSso},
    AppError,
};
use serde_json::json;
use worker::Request;

use super::views;
use crate::{
    views::Chrome,
    web::{
        context::Ctx,
        error::ApiError,
        http,
        http::{see_other, set_cookie, SESSION_COOKIE},
        page::html,
        Handled,
    },
};

/// `GET /login/sso`: the form, or with `organization_id` the redirect to the IdP (or the
/// neutral page).
pub async fn login_sso(req: &mut Request, cx: &Ctx) -> Handled {
    let return_to = http::safe_return_to(http::query(req, "return_to").as_deref());
    let Some(org_id) = http::query(req, "organization_id") else {
        return sso_form(&return_to, "", false);
    };
    let ip = http::client_ip(req);
    match cx.app().start_sso(&org_id, Some(&return_to), &ip).await? {
        StartSso::Redirect {
            url,
            space_key,
            browser,
        } => {
            let mut response = see_other(&url)?;
            response.headers_mut().append(
                "set-cookie",
                &binding_cookie(
                    space_key.as_str(),
                    browser.expose(),
                    orgpass_app::sso::REQUEST_MINUTES * 60,
                ),
            )?;
            Ok(response)
        }
        StartSso::Neutral => sso_form(&return_to, &org_id, true),
        StartSso::RateLimited {
            retry_after_seconds,
        } => Err(ApiError::App(AppError::RateLimited {
            retry_after_seconds,
        })),
    }
}

/// The cookie that binds a login in flight to the browser that started it. The IdP's
/// POST to the ACS is cross-site, which a `SameSite=Lax` cookie does not follow, hence
/// `SameSite=None` (with `Secure`); the path limits it to that organization's ACS.
pub const BINDING_COOKIE: &str = "orgpass_sso";

pub(crate) fn binding_cookie(space_key: &str, value: &str, max_age_seconds: i64) -> String {
    format!(
        "{BINDING_COOKIE}={value}; Max-Age={max_age_seconds}; Path=/saml/{space_key}/acs; HttpOnly; Secure; SameSite=None"
    )
}

/// The cookie that carries an unsolicited login's session to its confirmation step,
/// and only there.
pub const PENDING_COOKIE: &str = "orgpass_sso_login";

/// How long the confirmation step can be taken.
pub(crate) const PENDING_SECONDS: i64 = 300;

pub(crate) fn pending_cookie(value: &str, max_age_seconds: i64) -> String {
    format!(
        "{PENDING_COOKIE}={value}; Max-Age={max_age_seconds}; Path=/login/sso/continue; HttpOnly; Secure; SameSite=Lax"
    )
}

/// `GET /login/sso/continue` (after an unsolicited login) and `POST` (its
/// confirmation): hands the IdP's session to the browser at once when the browser is
/// signed in as nobody else; otherwise asks first, and only the confirming `POST`
/// (same origin, CSRF token) switches.
pub async fn continue_login(req: &mut Request, cx: &Ctx, confirmed: bool) -> Handled {
    let return_to = if confirmed {
        let form = http::form(req).await?;
        crate::web::auth::check_form(req, form.get("csrf"))?;
        http::safe_return_to(form.get("return_to").map(String::as_str))
    } else {
        http::safe_return_to(http::query(req, "return_to").as_deref())
    };
    let pending = http::cookie(req, PENDING_COOKIE).unwrap_or_default();
    let current = crate::web::auth::session_token(req)
        .filter(|(_, via)| *via == crate::web::auth::Via::Cookie)
        .map(|(t, _)| t.hash());
    let login = match cx.app().continue_sso(&pending, current.as_ref()).await? {
        Continue::Promote(login) => login,
        Continue::Confirm { login, .. } if confirmed => login,
        Continue::Confirm { signed_in, login } => {
            return confirm_switch(req, &signed_in, &login, &return_to);
        }
    };
    worker::console_log!(
        "{}",
        json!({"event": "sso_login_continued", "account": login.id})
    );
    let mut response = crate::web::page::go_on(&return_to)?;
    response.headers_mut().append(
        "set-cookie",
        &set_cookie(
            SESSION_COOKIE,
            &pending,
            orgpass_app::sso::SSO_SESSION_HOURS * 3600,
        ),
    )?;
    response
        .headers_mut()
        .append("set-cookie", &pending_cookie("", 0))?;
    Ok(response)
}

/// "You are logged in as … — continue as …?"
pub(crate) fn confirm_switch(
    req: &Request,
    signed_in: &AccountRecord,
    login: &AccountRecord,
    return_to: &str,
) -> Handled {
    let (csrf, cookies) = crate::web::page::csrf(req)?;
    let chrome = Chrome {
        account: Some(signed_in),
        csrf: &csrf,
    };
    html(
        200,
        &views::confirm_switch(&chrome, &csrf, signed_in, login, return_to),
        &cookies,
    )
}

/// The "Log in with managed account" form; `neutral`: the answer for an ID that cannot
/// start single sign-on (unknown, or without SSO: the same words, never a redirect).
pub(crate) fn sso_form(return_to: &str, typed: &str, neutral: bool) -> Handled {
    let chrome = Chrome {
        account: None,
        csrf: "",
    };
    let mut response = html(
        200,
        &views::sso_form(&chrome, return_to, typed, neutral),
        &[],
    )?;
    // The form's answer is a redirect to the IdP: CSP `form-action` also governs where a
    // form submission is redirected, so this page allows leaving the site.
    response.headers_mut().set(
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' https: http:; \
         frame-ancestors 'none'; base-uri 'none'",
    )?;
    Ok(response)
}
