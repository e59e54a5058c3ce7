//! The administrators' provisioning-token routes under `/api/v1/orgs/{org}/scim/tokens`
//! (docs/api.md "SCIM provisioning"); the IdP's service is [`super::service`].

use orgpass_app::ports::ScimTokenRecord;
use serde_json::{json, Value};
use worker::Request;

use crate::web::{
    auth::require_session,
    context::Ctx,
    http::{json_response, no_content, rfc3339},
    Handled,
};

fn token_json(t: &ScimTokenRecord) -> Value {
    json!({
        "id": t.id,
        "created_at": t.created_at.to_rfc3339(),
        "last_used_at": rfc3339(t.last_used_at),
        "active": t.active,
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
