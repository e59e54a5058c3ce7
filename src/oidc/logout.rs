//! Logging out of the products over HTTP: the end-session endpoint (RP-Initiated
//! Logout 1.0) with its pages, and the channel Back-Channel Logout tokens go out
//! through (RS256 through WebCrypto, a form POST with a timeout). The rules are
//! `orgpass_app::logout`.

use maud::html;
use orgpass_app::{
    logout::{EndSession, EndSessionRequest},
    ports::{LogoutChannel, PortError},
    AppError,
};
use orgpass_core::oidc::hint::read_hint;
use serde_json::Value;
use worker::{AbortSignal, Fetch, Headers, Method, Request, RequestInit};

use crate::{
    platform::crypto::verify_rs256,
    views::{csrf_input, message, Chrome},
    web::{
        auth::check_form,
        context::Ctx,
        http,
        http::{see_other, set_cookie, SESSION_COOKIE},
        page::{cookie_session, csrf, html},
        Handled,
    },
};

/// How long a client's back-channel logout endpoint may take to answer.
const POST_TIMEOUT_MS: u32 = 5000;

/// `GET` or `POST /oauth2/logout`: with a valid `id_token_hint` the session it names
/// ends and the browser goes to the registered `post_logout_redirect_uri` (else to a
/// "logged out" page); without one, a signed-in person is asked to confirm. The
/// confirmation form posts back here with `confirm`.
pub async fn end_session(req: &mut Request, cx: &Ctx) -> Handled {
    let pairs = if req.method() == Method::Post {
        http::form_pairs(req).await?
    } else {
        req.url()?.query_pairs().into_owned().collect()
    };
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let cookie = cookie_session(req);
    // The confirmation is the form's POST only.
    if req.method() == Method::Post && get("confirm").is_some() {
        check_form(req, pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v))?;
        if let Some(token) = &cookie {
            cx.app().log_out(token).await?;
        }
        return logged_out(true);
    }
    // The hint's RS256 check is WebCrypto's; the claims are read by the core.
    let hint = match get("id_token_hint").and_then(read_hint) {
        Some(untrusted) => {
            let verified = verify_rs256(
                &cx.settings.oidc_keys,
                untrusted.kid(),
                untrusted.signing_input(),
                untrusted.signature(),
            )
            .await
            .map_err(AppError::Unavailable)?;
            untrusted.accept(verified, &cx.settings.base_url)
        }
        None => None,
    };
    let outcome = cx
        .app()
        .end_session(EndSessionRequest {
            hint: hint.as_ref(),
            client_id: get("client_id"),
            post_logout_redirect_uri: get("post_logout_redirect_uri"),
            state: get("state"),
            cookie: cookie.as_ref(),
        })
        .await
        .map_err(AppError::Unavailable)?;
    match outcome {
        EndSession::Redirect { to, clear_cookie } => {
            let mut response = see_other(&to)?;
            if clear_cookie {
                response
                    .headers_mut()
                    .append("set-cookie", &set_cookie(SESSION_COOKIE, "", 0))?;
            }
            Ok(response)
        }
        EndSession::LoggedOut { clear_cookie } => logged_out(clear_cookie),
        EndSession::Confirm => {
            let (token, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: None,
                csrf: &token,
            };
            let body = html! {
                p { "An application asked orgpass to log you out." }
                form method="post" action=(super::provider::END_SESSION_PATH) {
                    (csrf_input(&token))
                    input type="hidden" name="confirm" value="1";
                    button type="submit" id="confirm-logout" { "Log out of orgpass" }
                }
                p { a href="/" { "Stay logged in" } }
            };
            html(200, &message(&chrome, "Log out?", &body), &cookies)
        }
    }
}

/// The "you are logged out" page, clearing the session cookie if asked.
fn logged_out(clear_cookie: bool) -> Handled {
    let chrome = Chrome {
        account: None,
        csrf: "",
    };
    let body =
        html! { p { "You are logged out of orgpass." } p { a href="/login" { "Log in again" } } };
    let cookies = if clear_cookie {
        vec![set_cookie(SESSION_COOKIE, "", 0)]
    } else {
        Vec::new()
    };
    html(200, &message(&chrome, "Logged out", &body), &cookies)
}

/// Back-Channel Logout tokens, signed with the configured key and posted as
/// `logout_token=…` (Back-Channel Logout 1.0 §2.5).
pub struct HttpLogoutChannel {
    /// The configured signing keys (the first signs).
    pub keys: Vec<String>,
}

impl LogoutChannel for HttpLogoutChannel {
    async fn sign(&self, claims: &Value) -> Result<String, PortError> {
        super::provider::sign(&self.keys, "logout+jwt", claims).await
    }

    async fn post(&self, uri: &str, logout_token: &str) -> Result<(), String> {
        let headers = Headers::new();
        headers
            .set("content-type", "application/x-www-form-urlencoded")
            .map_err(|e| format!("headers: {e}"))?;
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("logout_token", logout_token)
            .finish();
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let request = Request::new_with_init(uri, &init).map_err(|e| format!("request: {e}"))?;
        let signal = AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(POST_TIMEOUT_MS));
        match Fetch::Request(request).send_with_signal(&signal).await {
            Ok(response) if (200..300).contains(&response.status_code()) => Ok(()),
            Ok(response) => Err(format!("answered {}", response.status_code())),
            Err(e) => Err(format!("fetch: {e}")),
        }
    }
}
