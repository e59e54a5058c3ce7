//! Single sign-on over JSON (docs/api.md "SAML settings", "Managed accounts"): the settings, the
//! failures, managed accounts.

use orgpass_app::{
    ports::SsoFailureRecord,
    sso::{ManagedInput, SamlView},
};
use orgpass_core::{
    saml_settings::{pem, Expiry, SamlSettings, SettingsInput},
    Timestamp,
};
use saml_sp::Certificate;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::{
    members::api::member_json,
    web::{auth::require_session, context::Ctx, http, http::json_response, Handled},
};

/// A certificate as the API and the page show it.
pub(crate) fn certificate_json(cert: &Certificate, now: Timestamp) -> Value {
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
    pub(crate) idp_metadata_xml: Option<String>,
    pub(crate) idp_entity_id: Option<String>,
    pub(crate) idp_sso_url: Option<String>,
    pub(crate) idp_certificates: Option<Vec<String>>,
    pub(crate) allow_idp_initiated: Option<bool>,
    pub(crate) clock_skew_seconds: Option<i64>,
    pub(crate) allow_sha1: Option<bool>,
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
        .save_saml_settings(&token, key, body.settings())
        .await?;
    Ok(json_response(
        200,
        &json!({ "saml": saml_json(&view, cx.now) }),
    )?)
}

/// `DELETE /api/v1/orgs/{org}/saml`
pub async fn delete_settings(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().remove_saml_settings(&token, key).await?;
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
pub(crate) struct ManagedBody {
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

/// What `POST /dev/saml/verify` verifies: a response and everything a login expects.
#[derive(Deserialize)]
pub(crate) struct DevVerifyBody {
    /// The `SAMLResponse` (base64, as the HTTP-POST binding carries it).
    response: String,
    /// PEM certificates.
    certificates: Vec<String>,
    idp_entity_id: String,
    sp_entity_id: String,
    acs_url: String,
    in_response_to: Option<String>,
    #[serde(default)]
    allow_idp_initiated: bool,
    #[serde(default)]
    allow_sha1: bool,
    clock_skew_seconds: i64,
    /// RFC 3339.
    now: String,
}

/// `POST /dev/saml/verify` (development only): the Worker's SAML verifier on demand,
/// its signature checks performed by WebCrypto as at the ACS. The answer is the one
/// `saml-verify` gives (`ok`, the login or the error code) plus `checks`, how many
/// signature checks WebCrypto performed. For the differential test of the two signature
/// back ends and for support.
pub async fn dev_verify(req: &mut Request, _cx: &Ctx) -> Handled {
    use orgpass_app::ports::SignatureVerifier as _;
    let body: DevVerifyBody = http::json(req).await?;
    let refused = |e: saml_sp::SamlError| json!({"ok": false, "error": e.code()});
    let answer = async {
        let keys = body
            .certificates
            .iter()
            .map(|pem| Certificate::parse(pem).map(|c| c.key().clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(refused)?;
        let now = Timestamp::parse_rfc3339(&body.now)
            .ok_or_else(|| refused(saml_sp::SamlError::InvalidTimestamp))?;
        let expect = saml_sp::Expectations {
            idp_entity_id: &body.idp_entity_id,
            sp_entity_id: &body.sp_entity_id,
            acs_url: &body.acs_url,
            keys: &keys,
            in_response_to: body.in_response_to.as_deref(),
            allow_idp_initiated: body.allow_idp_initiated,
            allow_sha1: body.allow_sha1,
            clock_skew_seconds: body.clock_skew_seconds,
            now,
        };
        let xml = saml_sp::decode_base64(body.response.as_bytes()).map_err(refused)?;
        let pending = saml_sp::Pending::start(&xml, &expect).map_err(refused)?;
        let checks = pending.checks();
        let verdicts = crate::platform::crypto::WebCryptoSignatures
            .verify(&checks)
            .await
            .map_err(|e| json!({"ok": false, "error": "unavailable", "detail": e.0}))?;
        let count = checks.len();
        drop(checks);
        let login = pending
            .finish(&verdicts)
            .map_err(|e| json!({"ok": false, "error": e.code(), "checks": count}))?;
        Ok::<Value, Value>(json!({
            "ok": true,
            "checks": count,
            "name_id": login.name_id(),
            "assertion_id": login.assertion_id(),
            "certificate_fingerprint": login.certificate_fingerprint(),
            "response_signed": login.response_signed(),
            "assertion_signed": login.assertion_signed(),
        }))
    };
    let answer = answer.await.unwrap_or_else(|refusal| refusal);
    Ok(json_response(200, &answer)?)
}
