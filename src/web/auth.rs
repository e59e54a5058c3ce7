//! Authentication and request-forgery defences.
//!
//! - A request is authenticated by `Authorization: Bearer <token>` or the
//!   `orgpass_session` cookie; both carry the same secret.
//! - A cookie-authenticated unsafe request (POST, PUT, PATCH, DELETE) must come from
//!   this origin: `Origin`, or failing that `Referer`, must match the request's own
//!   origin, else 403 `csrf`. Bearer requests are exempt (a browser never attaches a
//!   bearer token by itself).
//! - HTML forms also carry a CSRF token: derived from the session token when signed in,
//!   from the `orgpass_csrf` cookie before (double submit), and compared in constant
//!   time.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use orgpass_app::AppError;
use orgpass_core::{SecretToken, TokenHash};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use worker::{Method, Request};

use crate::web::{
    error::ApiError,
    http::{cookie, header, CSRF_COOKIE, SESSION_COOKIE},
};

/// How the session token arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer`.
    Bearer,
    /// The session cookie.
    Cookie,
}

/// The session token of a request, if it has one of our shape.
#[must_use]
pub fn session_token(req: &Request) -> Option<(SecretToken, Via)> {
    if let Some(value) = header(req, "authorization") {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .and_then(|t| SecretToken::parse(t.trim()));
        // A malformed Authorization header is not silently replaced by the cookie.
        return token.map(|t| (t, Via::Bearer));
    }
    cookie(req, SESSION_COOKIE)
        .and_then(|v| SecretToken::parse(&v))
        .map(|t| (t, Via::Cookie))
}

/// Whether the request's `Origin` (or, without one, `Referer`) is its own origin.
#[must_use]
pub fn same_origin(req: &Request) -> bool {
    let Ok(url) = req.url() else { return false };
    let own = url.origin().ascii_serialization();
    if let Some(origin) = header(req, "origin") {
        return origin == own;
    }
    header(req, "referer")
        .and_then(|r| worker::Url::parse(&r).ok())
        .is_some_and(|r| r.origin().ascii_serialization() == own)
}

fn unsafe_method(req: &Request) -> bool {
    !matches!(req.method(), Method::Get | Method::Head | Method::Options)
}

/// The session of an API request, enforcing the same-origin rule for cookies.
///
/// # Errors
/// [`AppError::Unauthenticated`] without a token; [`ApiError::Csrf`] for a
/// cookie-authenticated unsafe request from elsewhere.
pub fn require_session(req: &Request) -> Result<TokenHash, ApiError> {
    let (token, via) = session_token(req).ok_or(ApiError::App(AppError::Unauthenticated))?;
    if via == Via::Cookie && unsafe_method(req) && !same_origin(req) {
        return Err(ApiError::Csrf);
    }
    Ok(token.hash())
}

/// The CSRF token that forms of this request's visitor must carry, and, when the
/// visitor has neither session nor CSRF cookie yet, the new cookie value to set.
#[must_use]
pub fn form_csrf(req: &Request, fresh: &SecretToken) -> (String, Option<String>) {
    if let Some((session, Via::Cookie)) = session_token(req) {
        return (derive(&session), None);
    }
    match cookie(req, CSRF_COOKIE).and_then(|v| SecretToken::parse(&v)) {
        Some(anon) => (derive(&anon), None),
        None => (derive(fresh), Some(fresh.expose().to_owned())),
    }
}

/// Checks a submitted form: same origin, and its `csrf` field matches.
///
/// # Errors
/// [`ApiError::Csrf`].
pub fn check_form(req: &Request, submitted: Option<&String>) -> Result<(), ApiError> {
    let expected = session_token(req)
        .filter(|(_, via)| *via == Via::Cookie)
        .map(|(t, _)| t)
        .or_else(|| cookie(req, CSRF_COOKIE).and_then(|v| SecretToken::parse(&v)))
        .map(|t| derive(&t));
    match (expected, submitted) {
        (Some(expected), Some(submitted))
            if same_origin(req) && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) =>
        {
            Ok(())
        }
        _ => Err(ApiError::Csrf),
    }
}

fn derive(secret: &SecretToken) -> String {
    let mut h = Sha256::new();
    h.update(b"orgpass csrf v1\0");
    h.update(secret.expose().as_bytes());
    B64URL.encode(h.finalize())
}
