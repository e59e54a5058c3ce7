//! Organizations over JSON (docs/api.md "Organizations"): create, read, rename; the
//! organization and membership JSON the other rooms share.

use orgpass_app::{
    orgs::{CreateOrg, OrgView, UpdateOrg},
    ports::{MembershipSummary, OrgRecord},
};
use orgpass_core::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

use crate::{
    plan::api::pass_json,
    web::{
        auth::require_session,
        context::Ctx,
        http,
        http::{json_response, rfc3339},
        Handled,
    },
};

/// `org` of docs/api.md.
#[must_use]
pub fn org_json(o: &OrgRecord, now: Timestamp) -> Value {
    json!({
        "space_key": o.space_key.as_str(),
        "organization_id": o.organization_id.as_str(),
        "name": o.name,
        "created_at": o.created_at.to_rfc3339(),
        "products": o.products.iter().map(|p| json!({
            "product": p.product,
            "plan": p.plan,
            "status": p.status,
            "trial_ends_at": rfc3339(p.trial_ends_at),
        })).collect::<Vec<_>>(),
        "pass": pass_json(o.pass, now),
        "require_two_step": o.require_two_step,
    })
}

pub(crate) fn org_view_json(view: &OrgView, now: Timestamp) -> Value {
    json!({
        "org": org_json(&view.org, now),
        "membership": {"role": view.membership.role.as_str(), "can_invite": view.membership.can_invite},
    })
}

pub(crate) fn membership_json(m: &MembershipSummary) -> Value {
    json!({
        "space_key": m.space_key,
        "organization_id": m.organization_id,
        "name": m.name,
        "role": m.membership.role.as_str(),
        "can_invite": m.membership.can_invite,
    })
}

#[derive(Deserialize)]
pub(crate) struct CreateOrgBody {
    name: String,
    product: String,
    organization_id: Option<String>,
}

/// `POST /api/v1/orgs`
pub async fn create_org(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let body: CreateOrgBody = http::json(req).await?;
    let view = cx
        .app()
        .create_org(
            &token,
            CreateOrg {
                name: &body.name,
                product: &body.product,
                organization_id: body.organization_id.as_deref(),
            },
        )
        .await?;
    Ok(json_response(201, &org_view_json(&view, cx.now))?)
}

/// `GET /api/v1/orgs/{org}`
pub async fn get_org(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let token = require_session(req)?;
    let view = cx.app().get_org(&token, space_key).await?;
    Ok(json_response(200, &org_view_json(&view, cx.now))?)
}

#[derive(Deserialize)]
pub(crate) struct UpdateOrgBody {
    name: Option<String>,
    organization_id: Option<String>,
    require_two_step: Option<bool>,
}

/// `PATCH /api/v1/orgs/{org}`
pub async fn update_org(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let token = require_session(req)?;
    let body: UpdateOrgBody = http::json(req).await?;
    let view = cx
        .app()
        .update_org(
            &token,
            space_key,
            UpdateOrg {
                name: body.name.as_deref(),
                organization_id: body.organization_id.as_deref(),
                require_two_step: body.require_two_step,
            },
        )
        .await?;
    Ok(json_response(200, &org_view_json(&view, cx.now))?)
}
