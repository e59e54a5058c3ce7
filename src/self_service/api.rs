//! Account self-service over JSON (docs/api.md "Account self-service").

use orgpass_app::ports::{LinkPurpose, SessionRecord};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

use crate::{
    accounts::api::account_json,
    web::{
        auth::require_session,
        context::Ctx,
        http,
        http::{json_response, no_content},
        Handled,
    },
};

/// One session as its owner sees it.
fn session_json(s: &SessionRecord) -> Value {
    json!({
        "id": s.id,
        "created_at": s.created_at.to_rfc3339(),
        "last_used_at": s.last_used_at.to_rfc3339(),
        "ip": s.ip,
        "user_agent": s.user_agent,
        "current": s.current,
    })
}

/// The one answer to every request for an emailed link.
fn link_requested() -> Handled {
    Ok(json_response(
        202,
        &json!({ "message": "If the address has an account this applies to, a link is on its way." }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct EmailBody {
    email: String,
}

/// `POST /api/v1/accounts/password-reset`
pub async fn request_reset(req: &mut Request, cx: &Ctx) -> Handled {
    let body: EmailBody = http::json(req).await?;
    cx.app()
        .request_link(
            LinkPurpose::ResetPassword,
            &body.email,
            &http::client_ip(req),
            None,
        )
        .await?;
    cx.deliver_mail_soon();
    link_requested()
}

/// `POST /api/v1/accounts/verify-email/resend`: the new link confirms at once in this
/// browser (it gets the sign-up cookie), elsewhere after the password.
pub async fn resend_verification(req: &mut Request, cx: &Ctx) -> Handled {
    let body: EmailBody = http::json(req).await?;
    let (browser, binding) = crate::accounts::pages::signup_binding()?;
    cx.app()
        .request_link(
            LinkPurpose::VerifyEmail,
            &body.email,
            &http::client_ip(req),
            Some(browser),
        )
        .await?;
    cx.deliver_mail_soon();
    let mut response = link_requested()?;
    response.headers_mut().append("set-cookie", &binding)?;
    Ok(response)
}

#[derive(Deserialize)]
pub(crate) struct ResetBody {
    token: String,
    password: String,
}

/// `POST /api/v1/accounts/password-reset/confirm`
pub async fn confirm_reset(req: &mut Request, cx: &Ctx) -> Handled {
    let body: ResetBody = http::json(req).await?;
    let account = cx.app().reset_password(&body.token, &body.password).await?;
    cx.deliver_mail_soon();
    Ok(json_response(
        200,
        &json!({ "account": account_json(&account) }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct TokenBody {
    token: String,
}

/// `POST /api/v1/accounts/confirm-email`
pub async fn confirm_email(req: &mut Request, cx: &Ctx) -> Handled {
    let body: TokenBody = http::json(req).await?;
    let account = cx.app().confirm_email_change(&body.token).await?;
    Ok(json_response(
        200,
        &json!({ "account": account_json(&account) }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct NameBody {
    name: String,
}

/// `PATCH /api/v1/me`
pub async fn rename(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let body: NameBody = http::json(req).await?;
    let account = cx.app().rename_self(&token, &body.name).await?;
    Ok(json_response(
        200,
        &json!({ "account": account_json(&account) }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// `PUT /api/v1/me/password`
pub async fn change_password(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let body: PasswordBody = http::json(req).await?;
    cx.app()
        .change_password(
            &token,
            &body.current_password,
            &body.new_password,
            &http::client_ip(req),
        )
        .await?;
    cx.deliver_mail_soon();
    no_content()
}

#[derive(Deserialize)]
pub(crate) struct EmailChangeBody {
    email: String,
    current_password: String,
}

/// `POST /api/v1/me/email`
pub async fn change_email(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let body: EmailChangeBody = http::json(req).await?;
    let new_email = cx
        .app()
        .request_email_change(
            &token,
            &body.email,
            &body.current_password,
            &http::client_ip(req),
        )
        .await?;
    cx.deliver_mail_soon();
    Ok(json_response(
        202,
        &json!({ "pending_email": new_email.as_str() }),
    )?)
}

/// `GET /api/v1/me/sessions`
pub async fn sessions(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let overview = cx.app().account_overview(&token).await?;
    Ok(json_response(
        200,
        &json!({ "sessions": overview.sessions.iter().map(session_json).collect::<Vec<_>>() }),
    )?)
}

/// `DELETE /api/v1/me/sessions/{id}`
pub async fn end_session(req: &mut Request, cx: &Ctx, id: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().end_own_session(&token, id).await?;
    no_content()
}

/// `DELETE /api/v1/orgs/{org}/members/me`
pub async fn leave(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().leave_organization(&token, key).await?;
    no_content()
}

#[derive(Deserialize)]
pub(crate) struct DeleteBody {
    current_password: String,
}

/// `DELETE /api/v1/me`: the session cookie goes with the account.
pub async fn delete_account(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let body: DeleteBody = http::json(req).await?;
    cx.app()
        .delete_self(&token, &body.current_password, &http::client_ip(req))
        .await?;
    let response = no_content()?;
    response
        .headers()
        .set("set-cookie", &http::set_cookie(http::SESSION_COOKIE, "", 0))?;
    Ok(response)
}
