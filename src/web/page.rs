//! Answering with a page: HTML responses, the form CSRF token, the cookie session,
//! the login redirect, reading a posted settings form.

use std::collections::HashMap;

use orgpass_app::{accounts::session_seconds, ports::Random, AppError};
use orgpass_core::{SecretToken, TokenHash};
use worker::{Headers, Request, Response};

use crate::web::{
    auth::{form_csrf, session_token, Via},
    error::ApiError,
    http::{see_other, set_cookie, CSRF_COOKIE},
    Handled,
};

/// An HTML response with optional cookies to set.
pub(crate) fn html(status: u16, body: &str, cookies: &[String]) -> Handled {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    for c in cookies {
        headers.append("set-cookie", c)?;
    }
    Ok(Response::ok(body)?
        .with_status(status)
        .with_headers(headers))
}

/// The form CSRF token for this visitor, and the cookie to set when it is new.
pub(crate) fn csrf(req: &Request) -> Result<(String, Vec<String>), ApiError> {
    let mut fresh = [0u8; 32];
    crate::platform::crypto::PlatformRandom
        .fill(&mut fresh)
        .map_err(AppError::Unavailable)?;
    let (token, cookie) = form_csrf(req, &SecretToken::from_random(&fresh));
    Ok((
        token,
        cookie
            .map(|c| vec![set_cookie(CSRF_COOKIE, &c, session_seconds())])
            .unwrap_or_default(),
    ))
}

/// The cookie session's token hash, if the visitor has one.
pub(crate) fn cookie_session(req: &Request) -> Option<TokenHash> {
    session_token(req)
        .filter(|(_, via)| *via == Via::Cookie)
        .map(|(t, _)| t.hash())
}

/// 303 to the login page, which comes back to `path`.
pub(crate) fn login_redirect(path: &str) -> Handled {
    let target: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", path)
        .finish();
    Ok(see_other(&format!("/login?{target}"))?)
}

/// Where a form that logged someone in sends the browser: `return_to`, with 303 — but
/// an authorization request of a product is continued from a page instead
/// (`<meta http-equiv="refresh">` and a link). The authorization endpoint redirects to the
/// product's origin, and browsers check a form's CSP `form-action 'self'` against every
/// redirect that follows its submission (Chromium refuses the product's callback there);
/// a new navigation from a page is not a form submission.
pub(crate) fn go_on(return_to: &str) -> Handled {
    if !return_to.starts_with(orgpass_app::oidc::AUTHORIZE_PATH) {
        return Ok(see_other(return_to)?);
    }
    let chrome = crate::views::Chrome {
        account: None,
        csrf: "",
    };
    let body = maud::html! {
        meta http-equiv="refresh" content=(format!("0; url={return_to}"));
        p { "You are logged in. Taking you back to the application…" }
        p { a href=(return_to) id="continue" { "Continue" } }
    };
    html(
        200,
        &crate::views::message(&chrome, "Logged in", &body),
        &[],
    )
}

/// A form field's value ("" when absent).
pub(crate) fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

/// A posted settings form: its fields in order (for repeated checkboxes) and the
/// session that sent it.
pub(crate) struct Posted {
    /// The fields, in order.
    pub pairs: Vec<(String, String)>,
    /// The cookie session's token hash.
    pub token: TokenHash,
}

impl Posted {
    /// The first value of field `name` ("" when absent).
    pub fn one(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of field `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Reads a settings form: checks its CSRF token and finds the session. `Err` is the
/// answer that ends the request (a refused token; no session → the login page, which
/// comes back to `back`).
pub(crate) async fn posted(req: &mut Request, back: &str) -> Result<Posted, Handled> {
    let pairs = match crate::web::http::form_pairs(req).await {
        Ok(pairs) => pairs,
        Err(e) => return Err(Err(e)),
    };
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone());
    if let Err(e) = crate::web::auth::check_form(req, csrf.as_ref()) {
        return Err(Err(e));
    }
    match cookie_session(req) {
        Some(token) => Ok(Posted { pairs, token }),
        None => Err(login_redirect(back)),
    }
}

/// The notice of a tab reached by the 303 after a successful form (`?done=1`).
pub(crate) fn done_notice(req: &Request) -> Option<&'static str> {
    crate::web::http::query(req, "done").map(|_| "Done.")
}
