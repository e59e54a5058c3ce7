//! web::page.

use crate::web::auth::form_csrf;
use crate::web::auth::session_token;
use crate::web::auth::Via;
use crate::web::error::ApiError;
use crate::web::http::see_other;
use crate::web::http::set_cookie;
use crate::web::http::CSRF_COOKIE;
use crate::web::Handled;
use orgpass_app::accounts::session_seconds;
use orgpass_app::ports::Random;
use orgpass_app::AppError;
use orgpass_core::SecretToken;
use orgpass_core::TokenHash;
use std::collections::HashMap;
use worker::Headers;
use worker::Request;
use worker::Response;

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

pub(crate) fn login_redirect(path: &str) -> Handled {
    let target: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", path)
        .finish();
    Ok(see_other(&format!("/login?{target}"))?)
}

pub(crate) fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}
