//! The assertion consumer service (`POST /saml/{org}/acs`) and the SP metadata: the
//! SAML response in, a session (or a failure page with a reference) out.

use orgpass_app::sso::{Hint, Refusal};
use orgpass_core::SpaceKey;
use serde_json::json;
use worker::{Request, Response};

use super::views;
use crate::{
    platform::crypto::WebCryptoSignatures,
    single_sign_on::login::{binding_cookie, pending_cookie, BINDING_COOKIE, PENDING_SECONDS},
    views::Chrome,
    web::{
        context::Ctx,
        error::{describe, ApiError},
        http,
        http::{see_other, set_cookie, SESSION_COOKIE},
        page::html,
        Handled,
    },
};

/// Largest ACS body (docs/api.md: the ACS accepts up to 256 KiB).
pub const ACS_BODY_LIMIT: usize = 256 * 1024;

/// `GET /saml/{org}/metadata`: our SP metadata (public: IdPs fetch it).
pub fn metadata(cx: &Ctx, key: &str) -> Handled {
    let Some(key) = SpaceKey::parse(key) else {
        return Err(ApiError::RouteNotFound);
    };
    let sp = orgpass_core::saml_settings::SpUrls::new(&cx.settings.base_url, key.as_str());
    let mut response = Response::ok(saml_sp::metadata::sp_metadata(&sp.entity_id, &sp.acs_url))?;
    response.headers_mut().set(
        "content-type",
        "application/samlmetadata+xml; charset=utf-8",
    )?;
    Ok(response)
}

/// `POST /saml/{org}/acs`: the IdP's response (HTTP-POST binding). A cross-site POST by
/// design: no same-origin check, its protection is the SAML verification.
pub async fn acs(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let browser = http::cookie(req, BINDING_COOKIE);
    let bytes = http::body(req, ACS_BODY_LIMIT).await?;
    let mut response_field = None;
    let mut relay_state = None;
    for (name, value) in form_urlencoded::parse(&bytes) {
        match name.as_ref() {
            "SAMLResponse" if response_field.is_none() => response_field = Some(value.into_owned()),
            "RelayState" if relay_state.is_none() => relay_state = Some(value.into_owned()),
            _ => {}
        }
    }
    match cx
        .app()
        .acs(
            &WebCryptoSignatures,
            key,
            (response_field.as_deref(), relay_state.as_deref()),
            browser.as_deref(),
            &http::client(req),
        )
        .await
    {
        Ok(login) => {
            worker::console_log!(
                "{}",
                json!({"event": "sso_login", "org": key, "account": login.account.id, "unsolicited": login.unsolicited})
            );
            if login.unsolicited {
                // The browser may be signed in as someone else, and its Lax session
                // cookie does not come with the IdP's cross-site POST: hand the new
                // session over on a same-site GET that sees it (continue_login).
                let mut response = see_other(&format!(
                    "/login/sso/continue?return_to={}",
                    form_urlencoded::byte_serialize(login.return_to.as_bytes()).collect::<String>()
                ))?;
                response.headers_mut().append(
                    "set-cookie",
                    &pending_cookie(login.token.expose(), PENDING_SECONDS),
                )?;
                return Ok(response);
            }
            // (An authorization request of a product goes on from a page: the IdP's
            // auto-submitted form may carry a CSP `form-action` too.)
            let mut response = crate::web::page::go_on(&login.return_to)?;
            response.headers_mut().append(
                "set-cookie",
                &set_cookie(SESSION_COOKIE, login.token.expose(), login.max_age_seconds),
            )?;
            response
                .headers_mut()
                .append("set-cookie", &binding_cookie(key, "", 0))?;
            Ok(response)
        }
        Err(refusal) => {
            // The precise cause goes to the log (never the response or its NameID).
            worker::console_log!(
                "{}",
                json!({
                    "event": "sso_failure",
                    "org": key,
                    "reference": refusal.reference,
                    "variant": refusal.failure.variant(),
                    "detail": refusal.detail,
                })
            );
            failure_page(&refusal)
        }
    }
}

/// What the person is told, by cause: what to ask an administrator to check.
pub(crate) fn hint_text(hint: Hint) -> (&'static str, &'static str) {
    match hint {
        Hint::Certificate => ("The identity provider's signature was not accepted.", "Ask your administrator to check the identity provider's signing certificate (and algorithm) configured in orgpass's Authentication settings: it may have been rotated."),
        Hint::EntityId => ("The response was meant for another service or came from another identity provider.", "Ask your administrator to check the IdP entity ID in orgpass, and the SP entity ID and ACS URL configured in the identity provider."),
        Hint::Clock => ("The response is outside its validity time.", "Ask your administrator to check the identity provider's clock, or the allowed clock skew in orgpass. Then try again."),
        Hint::AccountNotFound => ("No account of this organization matches the identity you logged in with.", "Ask your administrator to create a managed account with your email address, or check the email the identity provider sends (NameID)."),
        Hint::AccountDeactivated => ("Your account in this organization is deactivated.", "Your organization's identity provider has deactivated your access to orgpass. Ask your administrator to reactivate it."),
        Hint::PassInactive => ("Single sign-on is off for this organization: its trial or subscription has ended.", "Ask your administrator to renew the single sign-on add-on on the organization's Plan settings. Your data is kept."),
        Hint::NotConfigured => ("Single sign-on is not set up for this organization.", "Ask your administrator to configure SAML in orgpass's Authentication settings."),
        Hint::StartAgain => ("This login cannot be completed: it was already used, it expired, or it was not started here.", "Start again from the orgpass login page. If it keeps failing, ask your administrator whether IdP-initiated login is allowed."),
        Hint::Response => ("The identity provider's response could not be accepted.", "Ask your administrator to check the identity provider's SAML settings for orgpass."),
        Hint::Unavailable => ("orgpass could not complete the login just now.", "Try again in a moment."),
    }
}

pub(crate) fn failure_page(refusal: &Refusal) -> Handled {
    let (what, check) = hint_text(refusal.failure.hint());
    let chrome = Chrome {
        account: None,
        csrf: "",
    };
    html(
        describe(&ApiError::Sso(refusal.failure.clone())).status,
        &views::failure(&chrome, what, check, &refusal.reference),
        &[],
    )
}
