//! HTTP handlers of SCIM provisioning (docs/api.md "SCIM 2.0 provisioning"): the
//! administrators' token routes under `/api/v1/orgs/{org}/scim/tokens`, and the IdP's
//! service at `/scim/v2/{org}`, which answers in `application/scim+json` with SCIM error
//! bodies (RFC 7644 §3.12).

use orgpass_app::{
    ports::ScimTokenRecord,
    scim::{ScimClient, ScimRefusal},
};
use orgpass_core::SecretToken;
use serde_json::{json, Value};
use worker::Request;

use crate::web::{
    auth::require_session,
    context::Ctx,
    http::{self, json_response, no_content, rfc3339},
    Handled,
};

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

fn token_json(t: &ScimTokenRecord) -> Value {
    json!({
        "id": t.id,
        "created_at": t.created_at.to_rfc3339(),
        "last_used_at": rfc3339(t.last_used_at),
    })
}

/// `POST /api/v1/orgs/{org}/scim/tokens`
pub async fn create_token(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let (record, secret) = cx.app().create_scim_token(&token, key).await?;
    let mut response = json_response(
        201,
        &json!({ "token": token_json(&record), "secret": secret.expose() }),
    )?;
    response.headers_mut().set("cache-control", "no-store")?;
    Ok(response)
}

/// `GET /api/v1/orgs/{org}/scim/tokens`
pub async fn list_tokens(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let tokens = cx.app().scim_tokens(&token, key).await?;
    let list: Vec<Value> = tokens.iter().map(token_json).collect();
    Ok(json_response(200, &json!({ "tokens": list }))?)
}

/// `DELETE /api/v1/orgs/{org}/scim/tokens/{id}`
pub async fn revoke_token(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().revoke_scim_token(&token, key, id).await?;
    no_content()
}

/// A SCIM answer: `value` as `application/scim+json`.
fn scim_json(status: u16, value: &Value) -> Handled {
    let mut response = json_response(status, value)?;
    response
        .headers_mut()
        .set("content-type", "application/scim+json; charset=utf-8")?;
    Ok(response)
}

/// A SCIM error body (RFC 7644 §3.12).
fn scim_error(status: u16, scim_type: Option<&str>, detail: &str) -> Handled {
    let mut body = json!({
        "schemas": [ERROR_SCHEMA],
        "status": status.to_string(),
        "detail": detail,
    });
    if let (Some(t), Some(map)) = (scim_type, body.as_object_mut()) {
        map.insert("scimType".into(), t.into());
    }
    let mut response = scim_json(status, &body)?;
    if status == 401 {
        response
            .headers_mut()
            .set("www-authenticate", "Bearer realm=\"orgpass SCIM\"")?;
    }
    Ok(response)
}

/// The provisioning token an IdP presents: `Authorization: Bearer <secret>`.
fn bearer(req: &Request) -> Option<SecretToken> {
    let value = http::header(req, "authorization")?;
    let (scheme, secret) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    SecretToken::parse(secret.trim())
}

/// Every request under `/scim/v2/{org}/…`: the token first, then the resource.
pub async fn service(req: &mut Request, cx: &Ctx, key: &str, rest: &[&str]) -> Handled {
    let secret = bearer(req).map(|s| s.hash());
    let client = match cx.app().scim_client(key, secret.as_ref()).await {
        Ok(client) => client,
        Err(Ok(ScimRefusal::Unauthenticated)) => {
            return scim_error(
                401,
                None,
                "A provisioning token of this organization is required.",
            )
        }
        Err(Ok(ScimRefusal::PassInactive)) => {
            return scim_error(
                403,
                None,
                "The organization's single sign-on add-on is not in trial or active.",
            )
        }
        Err(Err(e)) => {
            worker::console_error!("scim: {e}");
            return scim_error(503, None, "The service is unavailable; try again.");
        }
    };
    match (rest, req.method()) {
        (["ServiceProviderConfig"], worker::Method::Get) => service_provider_config(cx, &client),
        (["ServiceProviderConfig"], _) => scim_error(405, None, "Only GET is allowed here."),
        _ => scim_error(404, None, "No such SCIM resource."),
    }
}

/// `GET /scim/v2/{org}/ServiceProviderConfig` (RFC 7643 §5). It states what the
/// service does today: Users and Groups, with filters and PATCH, come next
/// (docs/api.md), and each flag turns on with its endpoint.
fn service_provider_config(cx: &Ctx, client: &ScimClient) -> Handled {
    let base = format!(
        "{}/scim/v2/{}",
        cx.settings.base_url,
        client.space_key.as_str()
    );
    scim_json(
        200,
        &json!({
            "schemas": [CONFIG_SCHEMA],
            "patch": { "supported": false },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": false, "maxResults": 0 },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": false },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Provisioning token",
                "description": "A provisioning token of the organization, sent as \
                                Authorization: Bearer <token>.",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{base}/ServiceProviderConfig"),
            },
        }),
    )
}
