//! Invitations over JSON (docs/api.md "Members, invitations, groups"): inviting,
//! listing, resending, revoking, opening a link, accepting, signing up by invitation.

use orgpass_app::{
    accounts::session_seconds,
    invitations::{Invite, Joined},
    ports::InvitationRecord,
};
use orgpass_core::{invitation::InvitationState, Timestamp};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

use crate::{
    accounts::api::account_json,
    web::{
        auth::require_session,
        context::Ctx,
        http,
        http::{json_response, no_content, set_cookie, SESSION_COOKIE},
        Handled,
    },
};

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

pub(crate) fn joined_org_json(j: &Joined) -> Value {
    json!({
        "space_key": j.space_key.as_str(),
        "name": j.org_name,
        "organization_id": j.organization_id,
    })
}

pub(crate) fn joined_json(j: &Joined) -> Value {
    json!({ "organization": joined_org_json(j), "role": j.role.as_str() })
}

#[derive(Deserialize)]
pub(crate) struct InviteBody {
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
pub(crate) struct SignUpBody {
    name: String,
    password: String,
}

/// `POST /api/v1/invitations/{token}/signup`: the new account's session in the body and
/// as the cookie.
pub async fn sign_up(req: &mut Request, cx: &Ctx, token: &str) -> Handled {
    let body: SignUpBody = http::json(req).await?;
    let (session, joined) = cx
        .app()
        .sign_up_by_invitation(token, &body.name, &body.password, &http::client(req))
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
