//! Groups over JSON (docs/api.md "Members, invitations, groups").

use orgpass_app::ports::GroupRecord;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

use crate::web::{
    auth::require_session,
    context::Ctx,
    http,
    http::{json_response, no_content},
    Handled,
};

/// `group` of docs/api.md.
#[must_use]
pub fn group_json(g: &GroupRecord) -> Value {
    json!({ "id": g.id, "name": g.name, "member_ids": g.member_ids })
}

#[derive(Deserialize)]
pub(crate) struct NameBody {
    name: String,
}

/// `POST /api/v1/orgs/{org}/groups`
pub async fn create_group(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let body: NameBody = http::json(req).await?;
    let group = cx.app().create_group(&token, key, &body.name).await?;
    Ok(json_response(201, &json!({ "group": group_json(&group) }))?)
}

/// `GET /api/v1/orgs/{org}/groups`
pub async fn groups(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let (_, groups) = cx.app().list_groups(&token, key).await?;
    let list: Vec<Value> = groups.iter().map(group_json).collect();
    Ok(json_response(200, &json!({ "groups": list }))?)
}

/// `PATCH /api/v1/orgs/{org}/groups/{group_id}`
pub async fn rename_group(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    let body: NameBody = http::json(req).await?;
    let group = cx.app().rename_group(&token, key, id, &body.name).await?;
    Ok(json_response(200, &json!({ "group": group_json(&group) }))?)
}

/// `DELETE /api/v1/orgs/{org}/groups/{group_id}`
pub async fn delete_group(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().remove_group(&token, key, id).await?;
    no_content()
}

/// `PUT` (`add`) or `DELETE /api/v1/orgs/{org}/groups/{group_id}/members/{account_id}`
pub async fn group_member(
    req: &mut Request,
    cx: &Ctx,
    key: &str,
    id: &str,
    account_id: &str,
    add: bool,
) -> Handled {
    let token = require_session(req)?;
    cx.app()
        .set_group_member(&token, key, id, account_id, add)
        .await?;
    no_content()
}

#[derive(Deserialize)]
pub(crate) struct RoleBody {
    role: String,
}

/// `POST /api/v1/orgs/{org}/groups/{group_id}/role`
pub async fn group_role(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    let body: RoleBody = http::json(req).await?;
    let changed = cx.app().set_group_role(&token, key, id, &body.role).await?;
    Ok(json_response(200, &json!({ "changed": changed }))?)
}
