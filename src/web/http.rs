//! HTTP plumbing: bodies with size limits, JSON and form parsing, JSON and error
//! responses, cookies, security headers, the client address.

use std::collections::HashMap;

use orgpass_core::Timestamp;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use worker::{Headers, Request, Response};

use crate::web::{
    error::{describe, ApiError},
    Handled,
};

pub(crate) fn rfc3339(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::from(t.to_rfc3339()))
}

pub(crate) fn no_content() -> Handled {
    Ok(Response::empty()?.with_status(204))
}

/// Largest body any route but the ACS accepts.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The session cookie.
pub const SESSION_COOKIE: &str = "orgpass_session";

/// The CSRF cookie for forms shown before login.
pub const CSRF_COOKIE: &str = "orgpass_csrf";

/// Reads the body, refusing more than `limit` bytes (by `Content-Length` first, so a
/// large body is not read at all, then by what arrived).
///
/// # Errors
/// [`ApiError::TooLarge`]; [`ApiError::MalformedBody`] when it cannot be read.
pub async fn body(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = header(req, "content-length").and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge);
    }
    let bytes = req.bytes().await.map_err(|_| ApiError::MalformedBody)?;
    if bytes.len() > limit {
        return Err(ApiError::TooLarge);
    }
    Ok(bytes)
}

/// Parses a JSON body of type `T`.
///
/// # Errors
/// [`ApiError::UnsupportedMediaType`] unless the body is `application/json`;
/// [`ApiError::TooLarge`]; [`ApiError::MalformedBody`] for malformed JSON or wrong
/// types.
pub async fn json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let content_type = header(req, "content-type").unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("application/json") {
        // Checked before the size so that a cross-site form post is refused early.
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes = body(req, BODY_LIMIT).await?;
    serde_json::from_slice(&bytes).map_err(|_| ApiError::MalformedBody)
}

/// Parses an `application/x-www-form-urlencoded` body.
///
/// # Errors
/// [`ApiError::TooLarge`]; [`ApiError::MalformedBody`].
pub async fn form(req: &mut Request) -> Result<HashMap<String, String>, ApiError> {
    Ok(form_pairs(req).await?.into_iter().collect())
}

/// Parses an `application/x-www-form-urlencoded` body keeping every value of repeated
/// fields (checkboxes), in order.
///
/// # Errors
/// [`ApiError::TooLarge`]; [`ApiError::MalformedBody`].
pub async fn form_pairs(req: &mut Request) -> Result<Vec<(String, String)>, ApiError> {
    let bytes = body(req, BODY_LIMIT).await?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

/// A request header, if present.
#[must_use]
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// A query parameter, if present.
#[must_use]
pub fn query(req: &Request, name: &str) -> Option<String> {
    let url = req.url().ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A cookie of the request, if present.
#[must_use]
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    header(req, "cookie")?.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

/// The client's address as Cloudflare reports it (`CF-Connecting-IP`, set by the
/// edge and not forgeable there), or `unknown`.
#[must_use]
pub fn client_ip(req: &Request) -> String {
    header(req, "cf-connecting-ip")
        .filter(|ip| !ip.is_empty() && ip.len() <= 64)
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The client as a session records it: its address and user agent.
#[must_use]
pub fn client(req: &Request) -> orgpass_app::ports::Client {
    orgpass_app::ports::Client::new(
        &client_ip(req),
        &header(req, "user-agent").unwrap_or_default(),
    )
}

/// A `Set-Cookie` value. Always `Secure` (browsers accept it on `http://127.0.0.1`
/// and `localhost`), `HttpOnly` and `SameSite=Lax`.
#[must_use]
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> String {
    format!("{name}={value}; Max-Age={max_age_seconds}; Path=/; HttpOnly; Secure; SameSite=Lax")
}

/// A JSON response.
///
/// # Errors
/// When the runtime cannot build the response.
pub fn json_response<T: Serialize>(status: u16, value: &T) -> worker::Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// The JSON error body of docs/api.md: `{"error": {"code", "message", "fields"?}}`, with
/// `Retry-After` for rate limits.
///
/// # Errors
/// When the runtime cannot build the response.
pub fn error_response(error: &ApiError) -> worker::Result<Response> {
    let d = describe(error);
    let mut body = serde_json::Map::new();
    body.insert("code".into(), d.code.into());
    body.insert("message".into(), d.message.into());
    if !d.fields.is_empty() {
        let fields: serde_json::Map<String, serde_json::Value> = d
            .fields
            .iter()
            .map(|f| (f.field.to_owned(), serde_json::Value::from(f.message)))
            .collect();
        body.insert("fields".into(), fields.into());
    }
    if let ApiError::App(orgpass_app::AppError::InvalidEmails(list)) = error {
        body.insert("invalid_emails".into(), list.clone().into());
    }
    let response = json_response(d.status, &serde_json::json!({ "error": body }))?;
    if let Some(seconds) = d.retry_after {
        response
            .headers()
            .set("retry-after", &seconds.to_string())?;
    }
    Ok(response)
}

/// A `303 See Other` to a same-site path.
///
/// # Errors
/// When the runtime cannot build the response.
pub fn see_other(location: &str) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("location", location)?;
    Ok(Response::empty()?.with_status(303).with_headers(headers))
}

/// Adds the security headers every response carries.
pub fn secure(response: &mut Response, production: bool) -> worker::Result<()> {
    let h = response.headers_mut();
    // A page that needs another policy (the SSO form) has set its own.
    if !h.has("content-security-policy")? {
        h.set(
            "content-security-policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        )?;
    }
    h.set("x-content-type-options", "nosniff")?;
    // Not `no-referrer`: with it, browsers send `Origin: null` on form posts, which the
    // same-origin check must refuse. `same-origin` still keeps URLs (and any token in
    // them) from other sites.
    h.set("referrer-policy", "same-origin")?;
    h.set("x-frame-options", "DENY")?;
    // A response that may be cached (the JWKS) has said so itself.
    if !h.has("cache-control")? {
        h.set("cache-control", "no-store")?;
    }
    if production {
        h.set(
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        )?;
    }
    Ok(())
}

/// A same-site path to return to after login
/// ([`orgpass_core::validation::same_site_path`]); anything else is `/`.
#[must_use]
pub fn safe_return_to(input: Option<&str>) -> String {
    input
        .and_then(orgpass_core::validation::same_site_path)
        .unwrap_or("/")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_stays_on_site() {
        assert_eq!(safe_return_to(Some("/orgs/new?x=1")), "/orgs/new?x=1");
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/");
        assert_eq!(safe_return_to(Some(&format!("/{}", "a".repeat(8200)))), "/");
    }

    #[test]
    fn cookies_are_secure_httponly_lax() {
        let c = set_cookie(SESSION_COOKIE, "v", 60);
        assert_eq!(
            c,
            "orgpass_session=v; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
    }
}

/// The request and response header that carries a D1 bookmark (API clients).
pub const BOOKMARK_HEADER: &str = "x-orgpass-bookmark";
/// The cookie that carries it (browsers).
pub const BOOKMARK_COOKIE: &str = "orgpass_bookmark";
/// How long a browser keeps its bookmark: long past any replica's lag, after which an
/// old bookmark is harmless (every replica is beyond it).
const BOOKMARK_SECONDS: i64 = 600;

/// The D1 bookmarks of one request: what the client presented (the header, else the
/// cookie; ignored unless it has a bookmark's shape) and whether it came as a cookie.
#[derive(Debug, Clone, Default)]
pub struct Bookmarks {
    presented: Option<String>,
    cookie: Option<String>,
}

impl Bookmarks {
    /// What `req` presents.
    #[must_use]
    pub fn of(req: &Request) -> Self {
        let valid = |v: String| crate::platform::d1::bookmark(&v).map(str::to_owned);
        let cookie = cookie(req, BOOKMARK_COOKIE).and_then(valid);
        let presented = header(req, BOOKMARK_HEADER)
            .and_then(valid)
            .or_else(|| cookie.clone());
        Self { presented, cookie }
    }

    /// Where the request's D1 session starts. A read-only method (GET, HEAD) starts
    /// after the presented bookmark, else on any replica. Every other method starts on
    /// the primary, bookmark or not (the primary is past any bookmark): what a write
    /// request reads to decide (who the caller is, what they may do) is then never a
    /// replica's older view, and a privilege revoked a moment ago is revoked for it.
    #[must_use]
    pub fn start(&self, method: &worker::Method) -> crate::platform::d1::SessionStart {
        use crate::platform::d1::SessionStart;
        match (method, &self.presented) {
            (worker::Method::Get | worker::Method::Head, Some(b)) => SessionStart::After(b.clone()),
            (worker::Method::Get | worker::Method::Head, None) => SessionStart::AnyReplica,
            _ => SessionStart::Primary,
        }
    }

    /// Hands the session's `bookmark` back: in the header on every response, and to a
    /// browser (`page`) in the cookie when it moved.
    ///
    /// # Errors
    /// When the runtime refuses a header.
    pub fn hand_back(
        &self,
        response: &mut Response,
        bookmark: Option<&str>,
        page: bool,
    ) -> worker::Result<()> {
        let Some(bookmark) = bookmark else {
            return Ok(());
        };
        response.headers_mut().set(BOOKMARK_HEADER, bookmark)?;
        if page && self.cookie.as_deref() != Some(bookmark) {
            response.headers_mut().append(
                "set-cookie",
                &set_cookie(BOOKMARK_COOKIE, bookmark, BOOKMARK_SECONDS),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod bookmark_tests {
    use super::Bookmarks;
    use crate::platform::d1::{bookmark, SessionStart};
    use worker::Method;

    #[test]
    fn only_reads_start_after_a_bookmark_or_on_a_replica() {
        let with = Bookmarks {
            presented: Some("0000000a-00000001".to_owned()),
            cookie: None,
        };
        let without = Bookmarks::default();
        for read in [Method::Get, Method::Head] {
            assert_eq!(
                with.start(&read),
                SessionStart::After("0000000a-00000001".to_owned())
            );
            assert_eq!(without.start(&read), SessionStart::AnyReplica);
        }
        // A write decides on the primary's view, bookmark or not.
        for write in [Method::Post, Method::Put, Method::Patch, Method::Delete] {
            assert_eq!(with.start(&write), SessionStart::Primary);
            assert_eq!(without.start(&write), SessionStart::Primary);
        }
    }

    #[test]
    fn a_bookmark_is_hex_digits_and_dashes() {
        assert_eq!(bookmark(" 0000000a-00000001 "), Some("0000000a-00000001"));
        for junk in ["", "x", "0000'; DROP", &"a".repeat(129)] {
            assert_eq!(bookmark(junk), None, "{junk}");
        }
    }
}
