//! Accounts over JSON (docs/api.md "Accounts and sessions"): sign-up, email
//! confirmation, log-in and log-out, `me`, setting a password from an emailed link.

use orgpass_app::{
    accounts::{session_seconds, LogIn, LoggedIn, SignUp},
    ports::AccountRecord,
};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::{
    organizations::api::membership_json,
    web::{
        auth::require_session,
        context::Ctx,
        http,
        http::{json_response, set_cookie, SESSION_COOKIE},
        Handled,
    },
};

/// `account` of docs/api.md.
#[must_use]
pub fn account_json(a: &AccountRecord) -> Value {
    json!({
        "id": a.id,
        "email": a.email.as_str(),
        "name": a.name,
        "managed": a.managed,
        "email_verified": a.email_verified,
        "two_step_enabled": a.two_step,
        "created_at": a.created_at.to_rfc3339(),
    })
}

/// Strings that arrive as JSON: any other JSON type is a malformed body.
#[derive(Deserialize)]
pub(crate) struct SignUpBody {
    email: String,
    password: String,
    name: String,
}

/// `POST /api/v1/accounts`
pub async fn sign_up(req: &mut Request, cx: &Ctx) -> Handled {
    let body: SignUpBody = http::json(req).await?;
    let (browser, binding) = crate::accounts::pages::signup_binding()?;
    let account = cx
        .app()
        .sign_up(SignUp {
            email: &body.email,
            password: &body.password,
            name: &body.name,
            browser: Some(browser),
        })
        .await?;
    cx.deliver_mail_soon();
    let mut response = json_response(201, &json!({ "account": account_json(&account) }))?;
    response.headers_mut().append("set-cookie", &binding)?;
    Ok(response)
}

#[derive(Deserialize)]
pub(crate) struct TokenBody {
    token: String,
}

/// `POST /api/v1/accounts/verify-email`
pub async fn verify_email(req: &mut Request, cx: &Ctx) -> Handled {
    let body: TokenBody = http::json(req).await?;
    let account = cx.app().verify_email(&body.token).await?;
    Ok(json_response(
        200,
        &json!({ "account": account_json(&account) }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct LoginBody {
    email: String,
    password: String,
}

/// `POST /api/v1/sessions`: the token in the body and as the session cookie — or,
/// with two-step verification on, the token of the second step
/// (`POST /api/v1/sessions/two-step`).
pub async fn log_in(req: &mut Request, cx: &Ctx) -> Handled {
    let body: LoginBody = http::json(req).await?;
    match cx
        .app()
        .log_in(&body.email, &body.password, &http::client(req))
        .await?
    {
        LogIn::Done(session) => logged_in(&session),
        LogIn::SecondStep(token) => Ok(json_response(
            200,
            &json!({ "two_step_required": true, "two_step_token": token.expose() }),
        )?),
    }
}

/// 201 with the session's token in the body and as the cookie.
pub(crate) fn logged_in(session: &LoggedIn) -> Handled {
    let response = json_response(
        201,
        &json!({ "token": session.token.expose(), "account": account_json(&session.account) }),
    )?;
    response.headers().set(
        "set-cookie",
        &set_cookie(SESSION_COOKIE, session.token.expose(), session_seconds()),
    )?;
    Ok(response)
}

/// `DELETE /api/v1/sessions/current`: ends the session however it was presented.
pub async fn log_out(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    cx.app().log_out(&token).await?;
    let response = Response::empty()?.with_status(204);
    response
        .headers()
        .set("set-cookie", &set_cookie(SESSION_COOKIE, "", 0))?;
    Ok(response)
}

/// `GET /api/v1/me`
pub async fn me(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let (account, orgs) = cx.app().me(&token).await?;
    Ok(json_response(
        200,
        &json!({
            "account": account_json(&account),
            "organizations": orgs.iter().map(membership_json).collect::<Vec<_>>(),
        }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct SetPasswordBody {
    token: String,
    password: String,
}

/// `POST /api/v1/accounts/set-password`
pub async fn set_password(req: &mut Request, cx: &Ctx) -> Handled {
    let body: SetPasswordBody = http::json(req).await?;
    let account = cx.app().set_password(&body.token, &body.password).await?;
    Ok(json_response(
        200,
        &json!({ "account": crate::accounts::api::account_json(&account) }),
    )?)
}
