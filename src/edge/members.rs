//! HTTP handlers of members, invitations and groups (docs/api.md "Members, invitations,
//! groups"): authenticate, one call into `app`, map the result.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use super::api::account_json;
use super::auth::require_session;
use super::context::Ctx;
use super::error::ApiError;
use super::http::{self, json_response, set_cookie, SESSION_COOKIE};
use orgpass_app::accounts::session_seconds;
use orgpass_app::invitations::{Invite, Joined};
use orgpass_app::members::{page_limit, ChangeMember};
use orgpass_app::ports::{GroupRecord, InvitationRecord, MemberRecord};
use orgpass_core::invitation::InvitationState;
use orgpass_core::Timestamp;

type Handled = Result<Response, ApiError>;

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

/// An invitation as the API shows it, its state as of `now`.
#[must_use]
pub fn invitation_json(i: &InvitationRecord, now: Timestamp) -> Value {
    let expires_at = match i.state {
        InvitationState::Pending { expires_at } => Some(expires_at.to_rfc3339()),
        _ => None,
    };
    json!({
        "id": i.id,
        "email": i.email.as_str(),
        "role": i.role.as_str(),
        "status": i.state.at(now).status(),
        "group_ids": i.group_ids,
        "message": i.message,
        "created_at": i.created_at.to_rfc3339(),
        "expires_at": expires_at,
    })
}

/// `group` of docs/api.md.
#[must_use]
pub fn group_json(g: &GroupRecord) -> Value {
    json!({ "id": g.id, "name": g.name, "member_ids": g.member_ids })
}

fn joined_org_json(j: &Joined) -> Value {
    json!({
        "space_key": j.space_key.as_str(),
        "name": j.org_name,
        "organization_id": j.organization_id,
    })
}

fn joined_json(j: &Joined) -> Value {
    json!({ "organization": joined_org_json(j), "role": j.role.as_str() })
}

fn no_content() -> Handled {
    Ok(Response::empty()?.with_status(204))
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
struct ChangeBody {
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

#[derive(Deserialize)]
struct InviteBody {
    emails: Vec<String>,
    role: String,
    #[serde(default)]
    group_ids: Vec<String>,
    message: Option<String>,
}

/// `POST /api/v1/orgs/{org}/invitations`
pub async fn invite(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let body: InviteBody = http::json(req).await?;
    let input = Invite {
        emails: body.emails.iter().map(String::as_str).collect(),
        role: &body.role,
        group_ids: body.group_ids.iter().map(String::as_str).collect(),
        message: body.message.as_deref(),
    };
    let invited = cx.app().invite(&token, key, &input).await?;
    cx.deliver_mail_soon();
    let list: Vec<Value> = invited
        .invitations
        .iter()
        .map(|i| invitation_json(i, cx.now))
        .collect();
    let refused: Vec<Value> = invited
        .refused
        .iter()
        .map(|(email, code)| json!({ "email": email.as_str(), "code": code }))
        .collect();
    Ok(json_response(
        201,
        &json!({ "invitations": list, "refused": refused }),
    )?)
}

/// `GET /api/v1/orgs/{org}/invitations?status=…`
pub async fn invitations(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let status = http::query(req, "status");
    let (_, list) = cx
        .app()
        .list_invitations(&token, key, status.as_deref())
        .await?;
    let list: Vec<Value> = list.iter().map(|i| invitation_json(i, cx.now)).collect();
    Ok(json_response(200, &json!({ "invitations": list }))?)
}

/// `POST /api/v1/orgs/{org}/invitations/{id}/resend`
pub async fn resend(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    let invitation = cx.app().resend_invitation(&token, key, id).await?;
    cx.deliver_mail_soon();
    Ok(json_response(
        200,
        &json!({ "invitation": invitation_json(&invitation, cx.now) }),
    )?)
}

/// `DELETE /api/v1/orgs/{org}/invitations/{id}`
pub async fn revoke(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().revoke_invitation(&token, key, id).await?;
    no_content()
}

/// `GET /api/v1/invitations/{token}` (no session needed)
pub async fn open(cx: &Ctx, token: &str) -> Handled {
    let found = cx.app().open_invitation(token).await?;
    Ok(json_response(
        200,
        &json!({
            "organization": {"name": found.org_name, "organization_id": found.organization_id},
            "email": found.invitation.email.as_str(),
            "role": found.invitation.role.as_str(),
            "status": found.invitation.state.status(),
            "invited_by": found.inviter_name,
        }),
    )?)
}

/// `POST /api/v1/invitations/{token}/accept`
pub async fn accept(req: &mut Request, cx: &Ctx, token: &str) -> Handled {
    let session = require_session(req)?;
    let joined = cx.app().accept_invitation(&session, token).await?;
    Ok(json_response(200, &joined_json(&joined))?)
}

#[derive(Deserialize)]
struct SignUpBody {
    name: String,
    password: String,
}

/// `POST /api/v1/invitations/{token}/signup`: the new account's session in the body and
/// as the cookie.
pub async fn sign_up(req: &mut Request, cx: &Ctx, token: &str) -> Handled {
    let body: SignUpBody = http::json(req).await?;
    let (session, joined) = cx
        .app()
        .sign_up_by_invitation(token, &body.name, &body.password)
        .await?;
    let response = json_response(
        201,
        &json!({
            "token": session.token.expose(),
            "account": account_json(&session.account),
            "organization": joined_org_json(&joined),
            "role": joined.role.as_str(),
        }),
    )?;
    response.headers().set(
        "set-cookie",
        &set_cookie(SESSION_COOKIE, session.token.expose(), session_seconds()),
    )?;
    Ok(response)
}

#[derive(Deserialize)]
struct NameBody {
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
struct RoleBody {
    role: String,
}

/// `POST /api/v1/orgs/{org}/groups/{group_id}/role`
pub async fn group_role(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    let body: RoleBody = http::json(req).await?;
    let changed = cx.app().set_group_role(&token, key, id, &body.role).await?;
    Ok(json_response(200, &json!({ "changed": changed }))?)
}
