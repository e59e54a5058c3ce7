//! Two-step verification over JSON (docs/api.md "Account self-service").

use serde::Deserialize;
use serde_json::json;
use worker::Request;

use crate::{
    accounts::api::logged_in,
    web::{
        auth::require_session,
        context::Ctx,
        http,
        http::{json_response, no_content},
        Handled,
    },
};

/// `POST /api/v1/me/two-step`: a fresh secret, pending until confirmed.
pub async fn start(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let enrolled = cx.app().start_two_step(&token).await?;
    Ok(json_response(
        200,
        &json!({ "secret": enrolled.secret, "otpauth_uri": enrolled.otpauth_uri }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct CodeBody {
    code: String,
}

/// `POST /api/v1/me/two-step/confirm`: on, with the recovery codes (shown once).
pub async fn confirm(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let body: CodeBody = http::json(req).await?;
    let (_, codes) = cx
        .app()
        .confirm_two_step(&token, &body.code, &http::client_ip(req))
        .await?;
    cx.deliver_mail_soon();
    Ok(json_response(200, &json!({ "recovery_codes": codes }))?)
}

/// `DELETE /api/v1/me/two-step`: off, with a TOTP or recovery code.
pub async fn disable(req: &mut Request, cx: &Ctx) -> Handled {
    let token = require_session(req)?;
    let body: CodeBody = http::json(req).await?;
    cx.app()
        .disable_two_step(&token, &body.code, &http::client_ip(req))
        .await?;
    cx.deliver_mail_soon();
    no_content()
}

#[derive(Deserialize)]
pub(crate) struct SecondStepBody {
    two_step_token: String,
    code: String,
}

/// `POST /api/v1/sessions/two-step`: the second step of a login.
pub async fn complete(req: &mut Request, cx: &Ctx) -> Handled {
    let body: SecondStepBody = http::json(req).await?;
    let session = cx
        .app()
        .complete_login(&body.two_step_token, &body.code, &http::client(req))
        .await?;
    logged_in(&session)
}
