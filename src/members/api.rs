//! Members over JSON (docs/api.md "Members, invitations, groups"): the list, a
//! change of role or privilege, removal.

use orgpass_app::{
    members::{page_limit, ChangeMember},
    ports::MemberRecord,
};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

use crate::web::{
    auth::require_session,
    context::Ctx,
    error::ApiError,
    http,
    http::{json_response, no_content},
    Handled,
};

/// `member` of docs/api.md.
#[must_use]
pub fn member_json(m: &MemberRecord) -> Value {
    json!({
        "account_id": m.account_id,
        "email": m.email.as_str(),
        "name": m.name,
        "role": m.membership.role.as_str(),
        "can_invite": m.membership.can_invite,
        "managed": m.managed,
        "group_ids": m.group_ids,
    })
}

/// `GET /api/v1/orgs/{org}/members?cursor=…&limit=…`
pub async fn list(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let limit =
        page_limit(http::query(req, "limit").as_deref()).map_err(|e| ApiError::App(e.into()))?;
    let cursor = http::query(req, "cursor");
    let page = cx
        .app()
        .list_members(&token, key, cursor.as_deref(), limit)
        .await?;
    let members: Vec<Value> = page.members.iter().map(member_json).collect();
    Ok(json_response(
        200,
        &json!({ "members": members, "next_cursor": page.next }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct ChangeBody {
    role: Option<String>,
    can_invite: Option<bool>,
}

/// `PATCH /api/v1/orgs/{org}/members/{account_id}`
pub async fn change(req: &mut Request, cx: &Ctx, key: &str, account_id: &str) -> Handled {
    let token = require_session(req)?;
    let body: ChangeBody = http::json(req).await?;
    let member = cx
        .app()
        .change_member(
            &token,
            key,
            account_id,
            ChangeMember {
                role: body.role.as_deref(),
                can_invite: body.can_invite,
            },
        )
        .await?;
    Ok(json_response(
        200,
        &json!({ "member": member_json(&member) }),
    )?)
}

/// `DELETE /api/v1/orgs/{org}/members/{account_id}`
pub async fn remove(req: &mut Request, cx: &Ctx, key: &str, account_id: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().remove_member(&token, key, account_id).await?;
    no_content()
}
