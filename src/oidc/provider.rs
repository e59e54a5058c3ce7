//! The OpenID Provider's endpoints over HTTP (docs/api.md "Products sign in"):
//! discovery, authorization, token, userinfo and revocation. The use cases are
//! `orgpass_app::oidc`; here are the wire formats, and the RS256 signature of the ID
//! token through WebCrypto.

use orgpass_app::{
    oidc::{Authorize, Grant, OAuthError, AUTHORIZE_PATH},
    ports::PortError,
};
use orgpass_core::oidc::{
    authorize::{client_credentials, ClientCredentials, CredentialsError},
    jws,
};
use serde_json::{json, Value};
use worker::{Method, Request, Response};

use crate::{
    views::Chrome,
    web::{
        context::Ctx,
        error::ApiError,
        http,
        http::json_response,
        page::{cookie_session, html, login_redirect},
        Handled,
    },
};

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/oauth2/token";
/// The userinfo endpoint's path.
pub const USERINFO_PATH: &str = "/oauth2/userinfo";
/// The revocation endpoint's path.
pub const REVOKE_PATH: &str = "/oauth2/revoke";
/// The end-session endpoint's path (RP-Initiated Logout).
pub const END_SESSION_PATH: &str = "/oauth2/logout";

/// Whether `path` is one of the provider's machine endpoints (JSON errors, never the
/// session's `last_used_at`: their bearer tokens are not sessions).
#[must_use]
pub fn is_machine_endpoint(path: &str) -> bool {
    matches!(path, TOKEN_PATH | USERINFO_PATH | REVOKE_PATH) || path.starts_with("/.well-known/")
}

/// `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3).
pub fn discovery(cx: &Ctx) -> Handled {
    let issuer = &cx.settings.base_url;
    let body = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{issuer}{REVOKE_PATH}"),
        "end_session_endpoint": format!("{issuer}{END_SESSION_PATH}"),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "scopes_supported": ["openid", "profile", "email", "organizations", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_supported": [
            "iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "sid", "nonce", "at_hash",
            "name", "email", "email_verified", "organizations"
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    let mut response = json_response(200, &body)?;
    response.headers_mut().set(
        "cache-control",
        &format!("public, max-age={}", super::api::JWKS_MAX_AGE_SECONDS),
    )?;
    Ok(response)
}

/// `GET` or `POST /oauth2/authorize`: a code for a signed-in browser, the login pages
/// for a signed-out one (they come back here), an error page for an unknown client or
/// redirect URI, every other refusal back at the client.
pub async fn authorize(req: &mut Request, cx: &Ctx) -> Handled {
    let (pairs, length) = if req.method() == Method::Post {
        let pairs = http::form_pairs(req).await?;
        let length = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        (pairs, length)
    } else {
        let url = req.url()?;
        let length = url.query().map_or(0, str::len);
        (url.query_pairs().into_owned().collect(), length)
    };
    let session = cookie_session(req);
    match cx
        .app()
        .authorize(&pairs, length, session.as_ref())
        .await
        .map_err(orgpass_app::AppError::Unavailable)?
    {
        Authorize::Redirect(to) => Ok(http::see_other(&to)?),
        Authorize::Login { return_to } => login_redirect(&return_to),
        Authorize::Here(code) => {
            let message = if code == "invalid_redirect_uri" {
                "This sign-in link would send you to an address its application has not \
                 registered with orgpass, so orgpass stops here. Go back to the application \
                 and try again, or tell its operator."
            } else {
                "This sign-in link names an application orgpass does not know. Go back to \
                 the application and try again, or tell its operator."
            };
            let chrome = Chrome {
                account: None,
                csrf: "",
            };
            html(
                400,
                &crate::views::refusal(&chrome, "This sign-in link does not work", message),
                &[],
            )
        }
    }
}

/// An OAuth 2.0 error response (RFC 6749 §5.2; RFC 6750 §3 for userinfo).
fn oauth_error(error: &OAuthError, basic: bool) -> Handled {
    let (status, code, description) = match error {
        OAuthError::InvalidRequest(d) => (400, "invalid_request", *d),
        OAuthError::InvalidClient => (401, "invalid_client", "Client authentication failed."),
        OAuthError::InvalidGrant(d) => (400, "invalid_grant", *d),
        OAuthError::UnsupportedGrantType => (
            400,
            "unsupported_grant_type",
            "Only authorization_code and refresh_token are supported.",
        ),
        OAuthError::InvalidScope => (
            400,
            "invalid_scope",
            "The scope asked for is not within the one granted.",
        ),
        OAuthError::InvalidToken => (
            401,
            "invalid_token",
            "The access token is not valid (unknown, expired, revoked, or its session ended).",
        ),
        OAuthError::Unavailable(e) => {
            return Err(ApiError::from(orgpass_app::AppError::Unavailable(
                e.clone(),
            )))
        }
    };
    let mut response = json_response(
        status,
        &json!({ "error": code, "error_description": description }),
    )?;
    let headers = response.headers_mut();
    headers.set("pragma", "no-cache")?;
    if *error == OAuthError::InvalidToken {
        headers.set(
            "www-authenticate",
            &format!(r#"Bearer error="invalid_token", error_description="{description}""#),
        )?;
    } else if *error == OAuthError::InvalidClient && basic {
        headers.set("www-authenticate", r#"Basic realm="orgpass""#)?;
    }
    Ok(response)
}

/// The client credentials of a token or revocation request, or the refusal.
fn credentials(req: &Request, body: &[(String, String)]) -> Result<ClientCredentials, Handled> {
    let authorization = http::header(req, "authorization");
    client_credentials(authorization.as_deref(), body).map_err(|e| match e {
        CredentialsError::Missing => oauth_error(&OAuthError::InvalidClient, false),
        CredentialsError::Malformed => oauth_error(
            &OAuthError::InvalidRequest(
                "Authenticate the client once: client_secret_basic or client_secret_post.",
            ),
            authorization.is_some(),
        ),
    })
}

/// The form body of a machine endpoint, which must be `application/x-www-form-urlencoded`.
async fn form_body(req: &mut Request) -> Result<Vec<(String, String)>, Handled> {
    let form = http::header(req, "content-type").is_some_and(|t| {
        t.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    if !form {
        return Err(oauth_error(
            &OAuthError::InvalidRequest(
                "Send the parameters as application/x-www-form-urlencoded.",
            ),
            false,
        ));
    }
    http::form_pairs(req).await.map_err(Err)
}

/// The form body and client credentials of a token or revocation request, or the
/// refusal that answers it.
async fn client_request(
    req: &mut Request,
) -> Result<(Vec<(String, String)>, ClientCredentials), Handled> {
    let body = form_body(req).await?;
    let credentials = credentials(req, &body)?;
    Ok((body, credentials))
}

/// `POST /oauth2/token`
pub async fn token(req: &mut Request, cx: &Ctx) -> Handled {
    let (body, credentials) = match client_request(req).await {
        Ok(read) => read,
        Err(answer) => return answer,
    };
    match cx.app().grant(&credentials, &body).await {
        Ok(grant) => token_response(cx, grant).await,
        Err(e) => oauth_error(&e, credentials.basic),
    }
}

/// The compact JWS of `claims` (header `typ`), signed RS256 by the first configured
/// key (`OIDC_SIGNING_KEY`).
///
/// # Errors
/// [`PortError`] when no signing key is configured, or WebCrypto refuses.
pub(crate) async fn sign(keys: &[String], typ: &str, claims: &Value) -> Result<String, PortError> {
    let key = keys
        .first()
        .ok_or_else(|| PortError("oidc: no OIDC_SIGNING_KEY configured".to_owned()))?;
    let key = crate::platform::crypto::SigningKey::of(key).await?;
    let input = jws::signing_input(&jws::header(&key.kid, typ), claims);
    Ok(jws::compact(&input, &key.sign(input.as_bytes()).await?))
}

async fn token_response(cx: &Ctx, grant: Grant) -> Handled {
    let id_token = sign(&cx.settings.oidc_keys, "JWT", &grant.id_token)
        .await
        .map_err(orgpass_app::AppError::Unavailable)?;
    let mut body = json!({
        "access_token": grant.access_token.expose(),
        "token_type": "Bearer",
        "expires_in": grant.expires_in,
        "scope": grant.scope,
        "id_token": id_token,
    });
    if let (Some(refresh), Some(fields)) = (&grant.refresh_token, body.as_object_mut()) {
        fields.insert("refresh_token".into(), json!(refresh.expose()));
    }
    let mut response = json_response(200, &body)?;
    response.headers_mut().set("pragma", "no-cache")?;
    Ok(response)
}

/// `GET` or `POST /oauth2/userinfo` with `Authorization: Bearer` (or, on POST, the
/// `access_token` form field: RFC 6750 §2.2).
pub async fn userinfo(req: &mut Request, cx: &Ctx) -> Handled {
    let mut token = http::header(req, "authorization").and_then(|h| {
        let (scheme, value) = h.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| value.trim().to_owned())
    });
    if token.is_none() && req.method() == Method::Post {
        if let Ok(body) = form_body(req).await {
            token = body
                .into_iter()
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v);
        }
    }
    match cx.app().userinfo(token.as_deref()).await {
        Ok(claims) => Ok(json_response(200, &Value::Object(claims))?),
        Err(e) => oauth_error(&e, false),
    }
}

/// `POST /oauth2/revoke` (RFC 7009): 200 whether or not the token was known.
pub async fn revoke(req: &mut Request, cx: &Ctx) -> Handled {
    let (body, credentials) = match client_request(req).await {
        Ok(read) => read,
        Err(answer) => return answer,
    };
    match cx.app().revoke(&credentials, &body).await {
        Ok(()) => Ok(Response::empty()?.with_status(200)),
        Err(e) => oauth_error(&e, credentials.basic),
    }
}
