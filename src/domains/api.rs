//! HTTP handlers of domain verification (docs/api.md "Single sign-on add-on": domains).

use orgpass_app::ports::DomainRecord;
use orgpass_core::verification::DomainState;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::web::{auth::require_session, context::Ctx, http, http::json_response, Handled};

/// `domain` of docs/api.md, with what the last check found.
#[must_use]
pub fn domain_json(d: &DomainRecord) -> Value {
    let verified_at = match d.state {
        DomainState::Verified { verified_at, .. } => Some(verified_at.to_rfc3339()),
        _ => None,
    };
    json!({
        "id": d.id,
        "name": d.name.as_str(),
        "status": d.state.status(),
        "txt_name": d.name.challenge_name(),
        "txt_value": d.txt_value,
        "created_at": d.created_at.to_rfc3339(),
        "verified_at": verified_at,
        "last_checked_at": d.last_checked_at.map(|t| t.to_rfc3339()),
        "last_found": d.last_found,
    })
}

#[derive(Deserialize)]
struct AddBody {
    domain: String,
}

/// `POST /api/v1/orgs/{org}/domains`
pub async fn add(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let body: AddBody = http::json(req).await?;
    let domain = cx.app().add_domain(&token, key, &body.domain).await?;
    Ok(json_response(
        201,
        &json!({ "domain": domain_json(&domain) }),
    )?)
}

/// `GET /api/v1/orgs/{org}/domains`
pub async fn list(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let domains = cx.app().list_domains(&token, key).await?;
    let list: Vec<Value> = domains.iter().map(domain_json).collect();
    Ok(json_response(200, &json!({ "domains": list }))?)
}

/// `POST /api/v1/orgs/{org}/domains/{id}/verify`
pub async fn verify(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    let v = cx
        .app()
        .verify_domain(&token, key, id, &cx.resolver())
        .await?;
    Ok(json_response(
        200,
        &json!({ "domain": domain_json(&v.domain), "found": v.found }),
    )?)
}

/// `DELETE /api/v1/orgs/{org}/domains/{id}`
pub async fn delete(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().remove_domain(&token, key, id).await?;
    Ok(Response::empty()?.with_status(204))
}
