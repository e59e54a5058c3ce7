//! Single sign-on at the edge: the SAML settings and managed-account API, the SAML
//! endpoints (SP metadata, ACS), `/login/sso`, and the KV cache of settings.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{KvStore, Request, Response};

use super::auth::require_session;
use super::context::Ctx;
use super::error::ApiError;
use super::http::{self, json_response, see_other, set_cookie, SESSION_COOKIE};
use super::members::member_json;
use super::pages::html;
use super::views::{self, Chrome};
use orgpass_app::html::escape;
use orgpass_app::ports::{AccountRecord, SamlRecord, SettingsCache, SsoFailureRecord};
use orgpass_app::sso::{Continue, Hint, ManagedInput, Refusal, SamlView, StartSso};
use orgpass_app::AppError;
use orgpass_core::saml_settings::{pem, Expiry, SamlSettings, SettingsInput};
use orgpass_core::{SpaceKey, Timestamp};
use saml_sp::Certificate;

type Handled = Result<Response, ApiError>;

/// Largest ACS body (docs/api.md: the ACS accepts up to 256 KiB).
pub const ACS_BODY_LIMIT: usize = 256 * 1024;
/// How long a KV entry of settings lives without a change (it is rewritten on every
/// change and checked against D1's version on every login).
const CACHE_TTL_SECONDS: u64 = 24 * 3600;

/// SAML settings cached in KV under `saml:{space_key}`.
pub struct KvSettings(pub Option<KvStore>);

/// The cached form: certificates as base64 DER.
#[derive(Serialize, Deserialize)]
struct Cached {
    idp_entity_id: String,
    idp_sso_url: String,
    certificates: Vec<String>,
    allow_idp_initiated: bool,
    clock_skew_seconds: i64,
    allow_sha1: bool,
    updated_at: i64,
}

fn cache_key(space_key: &SpaceKey) -> String {
    format!("saml:{}", space_key.as_str())
}

impl Cached {
    fn of(record: &SamlRecord) -> Self {
        use base64::Engine as _;
        let s = &record.settings;
        Self {
            idp_entity_id: s.idp_entity_id.clone(),
            idp_sso_url: s.idp_sso_url.clone(),
            certificates: s
                .certificates
                .iter()
                .map(|c| base64::engine::general_purpose::STANDARD.encode(c.der()))
                .collect(),
            allow_idp_initiated: s.allow_idp_initiated,
            clock_skew_seconds: s.clock_skew_seconds,
            allow_sha1: s.allow_sha1,
            updated_at: record.updated_at.millis(),
        }
    }

    fn record(self) -> Option<SamlRecord> {
        let certificates = self
            .certificates
            .iter()
            .map(|c| Certificate::parse(c).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(SamlRecord {
            settings: SamlSettings {
                idp_entity_id: self.idp_entity_id,
                idp_sso_url: self.idp_sso_url,
                certificates,
                allow_idp_initiated: self.allow_idp_initiated,
                clock_skew_seconds: self.clock_skew_seconds,
                allow_sha1: self.allow_sha1,
            },
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

impl SettingsCache for KvSettings {
    async fn get(&self, space_key: &SpaceKey) -> Option<SamlRecord> {
        let kv = self.0.as_ref()?;
        let text = kv.get(&cache_key(space_key)).text().await.ok()??;
        serde_json::from_str::<Cached>(&text).ok()?.record()
    }

    async fn put(&self, space_key: &SpaceKey, record: &SamlRecord) {
        let Some(kv) = &self.0 else { return };
        let Ok(json) = serde_json::to_string(&Cached::of(record)) else {
            return;
        };
        if let Ok(put) = kv.put(&cache_key(space_key), json) {
            // Best effort: a failed write costs the next login a D1 read.
            let _ = put.expiration_ttl(CACHE_TTL_SECONDS).execute().await;
        }
    }

    async fn forget(&self, space_key: &SpaceKey) {
        if let Some(kv) = &self.0 {
            let _ = kv.delete(&cache_key(space_key)).await;
        }
    }
}

impl Ctx {
    /// The KV cache of SAML settings.
    #[must_use]
    pub fn saml_cache(&self) -> KvSettings {
        KvSettings(self.kv.clone())
    }
}

/// A certificate as the API and the page show it.
fn certificate_json(cert: &Certificate, now: Timestamp) -> Value {
    let expiry = Expiry::of(cert, now);
    json!({
        "subject": cert.subject(),
        "key": cert.key_description(),
        "fingerprint_sha256": cert.fingerprint_sha256(),
        "not_after": cert.not_after().to_rfc3339(),
        "expiry": expiry.code(),
        "days_left": match expiry { Expiry::Soon(d) => Some(d), _ => None },
    })
}

/// `saml` of docs/api.md.
#[must_use]
pub fn saml_json(view: &SamlView, now: Timestamp) -> Value {
    let mut out = json!({
        "configured": view.record.is_some(),
        "sp_entity_id": view.sp.entity_id,
        "acs_url": view.sp.acs_url,
        "sp_metadata_url": view.sp.metadata_url,
    });
    if let (Some(r), Some(map)) = (&view.record, out.as_object_mut()) {
        let s = &r.settings;
        map.insert("idp_entity_id".into(), s.idp_entity_id.clone().into());
        map.insert("idp_sso_url".into(), s.idp_sso_url.clone().into());
        map.insert(
            "idp_certificates".into(),
            s.certificates.iter().map(pem).collect::<Vec<_>>().into(),
        );
        map.insert(
            "certificate_details".into(),
            s.certificates
                .iter()
                .map(|c| certificate_json(c, now))
                .collect::<Vec<_>>()
                .into(),
        );
        map.insert("allow_idp_initiated".into(), s.allow_idp_initiated.into());
        map.insert("clock_skew_seconds".into(), s.clock_skew_seconds.into());
        map.insert("allow_sha1".into(), s.allow_sha1.into());
        map.insert("updated_at".into(), r.updated_at.to_rfc3339().into());
    }
    out
}

/// The body of `PUT /api/v1/orgs/{org}/saml`: typed settings or IdP metadata.
#[derive(Deserialize, Default)]
pub struct SamlBody {
    pub(super) idp_metadata_xml: Option<String>,
    pub(super) idp_entity_id: Option<String>,
    pub(super) idp_sso_url: Option<String>,
    pub(super) idp_certificates: Option<Vec<String>>,
    pub(super) allow_idp_initiated: Option<bool>,
    pub(super) clock_skew_seconds: Option<i64>,
    pub(super) allow_sha1: Option<bool>,
}

impl SamlBody {
    /// Validates the body into settings.
    ///
    /// # Errors
    /// The refused fields.
    pub fn settings(&self) -> Result<SamlSettings, orgpass_core::Invalid> {
        let idp = self.allow_idp_initiated.unwrap_or(false);
        let sha1 = self.allow_sha1.unwrap_or(false);
        match self
            .idp_metadata_xml
            .as_deref()
            .filter(|x| !x.trim().is_empty())
        {
            Some(xml) => SamlSettings::from_metadata(xml, idp, self.clock_skew_seconds, sha1),
            None => SamlSettings::from_input(&SettingsInput {
                idp_entity_id: self.idp_entity_id.as_deref().unwrap_or_default(),
                idp_sso_url: self.idp_sso_url.as_deref().unwrap_or_default(),
                certificates: self
                    .idp_certificates
                    .iter()
                    .flatten()
                    .map(String::as_str)
                    .collect(),
                allow_idp_initiated: idp,
                clock_skew_seconds: self.clock_skew_seconds,
                allow_sha1: sha1,
            }),
        }
    }
}

/// `GET /api/v1/orgs/{org}/saml`
pub async fn get_settings(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let view = cx.app().saml_settings(&token, key).await?;
    Ok(json_response(
        200,
        &json!({ "saml": saml_json(&view, cx.now) }),
    )?)
}

/// `PUT /api/v1/orgs/{org}/saml`
pub async fn put_settings(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let body: SamlBody = http::json(req).await?;
    let view = cx
        .app()
        .save_saml_settings(&cx.saml_cache(), &token, key, body.settings())
        .await?;
    Ok(json_response(
        200,
        &json!({ "saml": saml_json(&view, cx.now) }),
    )?)
}

/// `DELETE /api/v1/orgs/{org}/saml`
pub async fn delete_settings(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    cx.app()
        .remove_saml_settings(&cx.saml_cache(), &token, key)
        .await?;
    Ok(Response::empty()?.with_status(204))
}

/// A failure as the API and the page show it.
#[must_use]
pub fn failure_json(f: &SsoFailureRecord) -> Value {
    json!({
        "at": f.at.to_rfc3339(),
        "reference": f.reference,
        "variant": f.variant,
        "name_id": f.name_id,
        "kind": f.kind.as_str(),
    })
}

/// `GET /api/v1/orgs/{org}/saml/failures`
pub async fn failures(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let list = cx.app().sso_failures(&token, key).await?;
    let list: Vec<Value> = list.iter().map(failure_json).collect();
    Ok(json_response(200, &json!({ "failures": list }))?)
}

#[derive(Deserialize)]
struct ManagedBody {
    email: String,
    name: String,
    role: String,
    #[serde(default)]
    group_ids: Vec<String>,
}

/// `POST /api/v1/orgs/{org}/managed-accounts`
pub async fn create_managed(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let body: ManagedBody = http::json(req).await?;
    let input = ManagedInput {
        email: &body.email,
        name: &body.name,
        role: &body.role,
        group_ids: body.group_ids.iter().map(String::as_str).collect(),
    };
    let member = cx.app().create_managed_account(&token, key, &input).await?;
    cx.deliver_mail_soon();
    Ok(json_response(
        201,
        &json!({ "member": member_json(&member) }),
    )?)
}

/// `DELETE /api/v1/orgs/{org}/managed-accounts/{account_id}`
pub async fn delete_managed(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().remove_managed_account(&token, key, id).await?;
    Ok(Response::empty()?.with_status(204))
}

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
            &cx.saml_cache(),
            key,
            response_field.as_deref(),
            relay_state.as_deref(),
            browser.as_deref(),
            &http::client_ip(req),
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
            let mut response = see_other(&login.return_to)?;
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
fn hint_text(hint: Hint) -> (&'static str, &'static str) {
    match hint {
        Hint::Certificate => ("The identity provider's signature was not accepted.", "Ask your administrator to check the identity provider's signing certificate (and algorithm) configured in orgpass's Authentication settings: it may have been rotated."),
        Hint::EntityId => ("The response was meant for another service or came from another identity provider.", "Ask your administrator to check the IdP entity ID in orgpass, and the SP entity ID and ACS URL configured in the identity provider."),
        Hint::Clock => ("The response is outside its validity time.", "Ask your administrator to check the identity provider's clock, or the allowed clock skew in orgpass. Then try again."),
        Hint::AccountNotFound => ("No account of this organization matches the identity you logged in with.", "Ask your administrator to create a managed account with your email address, or check the email the identity provider sends (NameID)."),
        Hint::PassInactive => ("Single sign-on is off for this organization: its trial or subscription has ended.", "Ask your administrator to renew the single sign-on add-on on the organization's Plan settings. Your data is kept."),
        Hint::NotConfigured => ("Single sign-on is not set up for this organization.", "Ask your administrator to configure SAML in orgpass's Authentication settings."),
        Hint::StartAgain => ("This login cannot be completed: it was already used, it expired, or it was not started here.", "Start again from the orgpass login page. If it keeps failing, ask your administrator whether IdP-initiated login is allowed."),
        Hint::Response => ("The identity provider's response could not be accepted.", "Ask your administrator to check the identity provider's SAML settings for orgpass."),
        Hint::Unavailable => ("orgpass could not complete the login just now.", "Try again in a moment."),
    }
}

fn failure_page(refusal: &Refusal) -> Handled {
    let (what, check) = hint_text(refusal.failure.hint());
    let chrome = Chrome {
        account: None,
        csrf: "",
    };
    let status = if refusal.failure == orgpass_app::sso::SsoFailure::Unavailable {
        503
    } else {
        403
    };
    html(
        status,
        &views::message(
            &chrome,
            "Single sign-on failed",
            &format!(
                r#"<p>{what}</p><p>{check}</p><p>Reference: <code id="reference">{reference}</code> (give it to your administrator; it is in their list of single sign-on failures).</p><p><a href="/login/sso">Log in with managed account</a> · <a href="/login">Log in with a password</a></p>"#,
                what = escape(what),
                check = escape(check),
                reference = escape(&refusal.reference),
            ),
        ),
        &[],
    )
}

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

fn binding_cookie(space_key: &str, value: &str, max_age_seconds: i64) -> String {
    format!(
        "{BINDING_COOKIE}={value}; Max-Age={max_age_seconds}; Path=/saml/{space_key}/acs; HttpOnly; Secure; SameSite=None"
    )
}

/// The cookie that carries an unsolicited login's session to its confirmation step,
/// and only there.
pub const PENDING_COOKIE: &str = "orgpass_sso_login";
/// How long the confirmation step can be taken.
const PENDING_SECONDS: i64 = 300;

fn pending_cookie(value: &str, max_age_seconds: i64) -> String {
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
        super::auth::check_form(req, form.get("csrf"))?;
        http::safe_return_to(form.get("return_to").map(String::as_str))
    } else {
        http::safe_return_to(http::query(req, "return_to").as_deref())
    };
    let pending = http::cookie(req, PENDING_COOKIE).unwrap_or_default();
    let current = super::auth::session_token(req)
        .filter(|(_, via)| *via == super::auth::Via::Cookie)
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
    let mut response = see_other(&return_to)?;
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
fn confirm_switch(
    req: &Request,
    signed_in: &AccountRecord,
    login: &AccountRecord,
    return_to: &str,
) -> Handled {
    let (csrf, cookies) = super::pages::csrf(req)?;
    let chrome = Chrome {
        account: Some(signed_in),
        csrf: &csrf,
    };
    let body = format!(
        r#"<section class="card"><h1>Switch account?</h1><p>You are logged in as <strong>{current}</strong>. Your identity provider has just logged you in as <strong>{new}</strong>.</p><p>If you did not start this login, stay as you are: someone may be trying to sign you in to their account.</p><form method="post" action="/login/sso/continue"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="return_to" value="{return_to}"><button type="submit">Continue as {new}</button></form><p><a href="{return_to}">Stay logged in as {current}</a></p></section>"#,
        current = escape(signed_in.email.as_str()),
        new = escape(login.email.as_str()),
        csrf = escape(&csrf),
        return_to = escape(return_to),
    );
    html(
        200,
        &views::page("Switch account?", &chrome, &body),
        &cookies,
    )
}

/// The "Log in with managed account" form; `neutral`: the answer for an ID that cannot
/// start single sign-on (unknown, or without SSO: the same words, never a redirect).
fn sso_form(return_to: &str, typed: &str, neutral: bool) -> Handled {
    let chrome = Chrome {
        account: None,
        csrf: "",
    };
    let notice = if neutral {
        r#"<p class="alert" role="alert" id="sso-unavailable">Single sign-on cannot start for this organization ID. Check the ID with your administrator; if it is right, single sign-on may not be set up or active for it.</p>"#
    } else {
        ""
    };
    let body = format!(
        r#"<section class="card"><h1>Log in with managed account</h1>{notice}<p>Your organization's administrator gave you an organization ID. You will be sent to your company's identity provider to log in.</p><form method="get" action="/login/sso"><input type="hidden" name="return_to" value="{return_to}">{field}<button type="submit">Continue</button></form><p class="muted"><a href="/login">Log in with a password</a> instead.</p></section>"#,
        return_to = escape(return_to),
        field = views::field(
            "Organization ID",
            "organization_id",
            "text",
            typed,
            &[],
            r#"autocomplete="organization" required autocapitalize="none" spellcheck="false""#
        ),
    );
    let mut response = html(
        200,
        &views::page("Log in with managed account", &chrome, &body),
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
