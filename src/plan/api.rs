//! The plan over JSON (docs/api.md "Single sign-on add-on (Pass)"): the add-on's state,
//! applying, upgrading, cancelling, the billing webhook, the operator's routes.

use orgpass_app::{
    pass::{ApplyInput, OperatorAction, WebhookOutcome},
    ports::{OrgRecord, PortError},
    AppError,
};
use orgpass_core::{pass::Pass, FieldError, Timestamp};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use worker::Request;

use crate::web::{
    auth::require_session,
    context::Ctx,
    error::ApiError,
    http,
    http::{json_response, rfc3339, BODY_LIMIT},
    Handled,
};

/// `pass` of docs/api.md, as it stands at `now` (expiries apply on time even if the Cron
/// has not written them yet).
#[must_use]
pub fn pass_json(pass: Pass, now: Timestamp) -> Value {
    let effective = pass.at(now);
    let (_, trial_ends_at, current_period_end, cancel_at) = pass.columns();
    json!({
        "status": effective.status(),
        "trial_ends_at": rfc3339(trial_ends_at),
        "current_period_end": rfc3339(current_period_end),
        "cancel_at": rfc3339(cancel_at),
    })
}

pub(crate) fn no_provider() -> ApiError {
    ApiError::App(AppError::Upstream(PortError(
        "no payment provider configured".to_owned(),
    )))
}

/// `GET /api/v1/orgs/{org}/pass`
pub async fn get(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let view = cx.app().get_org(&token, key).await?;
    Ok(json_response(
        200,
        &json!({ "pass": pass_json(view.org.pass, cx.now) }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct ApplyBody {
    admin_name: String,
    admin_email: String,
    company_name: String,
    space_key: String,
}

/// `POST /api/v1/orgs/{org}/pass/application`
pub async fn apply(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let body: ApplyBody = http::json(req).await?;
    let view = cx
        .app()
        .apply_for_pass(
            &token,
            key,
            ApplyInput {
                admin_name: &body.admin_name,
                admin_email: &body.admin_email,
                company_name: &body.company_name,
                space_key: &body.space_key,
            },
        )
        .await?;
    cx.deliver_mail_soon();
    Ok(json_response(
        201,
        &json!({ "pass": pass_json(view.org.pass, cx.now) }),
    )?)
}

/// `POST /api/v1/orgs/{org}/pass/upgrade`
pub async fn upgrade(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let provider = cx.settings.payments.clone().ok_or_else(no_provider)?;
    let url = cx.app().start_upgrade(&token, key, &provider).await?;
    Ok(json_response(200, &json!({ "checkout_url": url }))?)
}

/// `POST /api/v1/orgs/{org}/pass/cancel`
pub async fn cancel(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let provider = cx.settings.payments.clone().ok_or_else(no_provider)?;
    let view = cx.app().cancel_pass(&token, key, &provider).await?;
    Ok(json_response(
        200,
        &json!({ "pass": pass_json(view.org.pass, cx.now) }),
    )?)
}

/// `POST /api/v1/billing/webhook`: Stripe-signed events (no session, no Origin: the
/// signature is the authentication).
pub async fn webhook(req: &mut Request, cx: &Ctx) -> Handled {
    let secret = cx
        .settings
        .webhook_secret
        .clone()
        .ok_or(ApiError::RouteNotFound)?;
    let body = http::body(req, BODY_LIMIT).await?;
    let signature = http::header(req, "stripe-signature");
    let outcome = cx
        .app()
        .billing_webhook(&body, signature.as_deref(), secret.as_bytes())
        .await?;
    let outcome = match outcome {
        WebhookOutcome::Applied(status) => json!({"received": true, "pass_status": status}),
        WebhookOutcome::Duplicate => json!({"received": true, "duplicate": true}),
        WebhookOutcome::Ignored => json!({"received": true, "ignored": true}),
    };
    Ok(json_response(200, &outcome)?)
}

/// The operator's identity for the audit trail, after checking the bearer token
/// against `OPERATOR_TOKEN` in constant time (digests first, so that lengths leak
/// nothing). Without a configured token, operator routes do not exist.
pub(crate) fn operator(req: &Request, cx: &Ctx) -> Result<String, ApiError> {
    let configured = cx
        .settings
        .operator_token
        .as_deref()
        .ok_or(ApiError::RouteNotFound)?;
    let presented = http::header(req, "authorization")
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        .unwrap_or_default();
    let matches: bool = Sha256::digest(presented.as_bytes())
        .ct_eq(&Sha256::digest(configured.as_bytes()))
        .into();
    if presented.is_empty() || !matches {
        return Err(ApiError::App(AppError::Unauthenticated));
    }
    Ok(format!("operator-token@{}", http::client_ip(req)))
}

pub(crate) fn application_json(o: &OrgRecord, now: Timestamp) -> Value {
    let a = o.application.as_ref();
    json!({
        "space_key": o.space_key.as_str(),
        "organization_id": o.organization_id.as_str(),
        "name": o.name,
        "pass": pass_json(o.pass, now),
        "admin_name": a.map(|a| a.admin_name.clone()),
        "admin_email": a.map(|a| a.admin_email.as_str().to_owned()),
        "company_name": a.map(|a| a.company_name.clone()),
        "applied_at": a.map(|a| a.applied_at.to_rfc3339()),
    })
}

/// `GET /api/v1/operator/pass/applications?status=applied`
pub async fn operator_list(req: &mut Request, cx: &Ctx) -> Handled {
    operator(req, cx)?;
    let status = http::query(req, "status").unwrap_or_else(|| "applied".to_owned());
    let list = cx.app().operator_applications(&status).await?;
    let list: Vec<Value> = list.iter().map(|o| application_json(o, cx.now)).collect();
    Ok(json_response(200, &json!({ "applications": list }))?)
}

/// `POST /api/v1/operator/pass/applications/{org}/approve` and `…/reject`
pub async fn operator_decide(req: &mut Request, cx: &Ctx, key: &str, approve: bool) -> Handled {
    let actor = operator(req, cx)?;
    let action = if approve {
        OperatorAction::Approve
    } else {
        OperatorAction::Reject
    };
    let org = cx.app().operator_act(&actor, key, action).await?;
    Ok(json_response(
        200,
        &json!({ "pass": pass_json(org.pass, cx.now) }),
    )?)
}

#[derive(Deserialize)]
pub(crate) struct TrialBody {
    trial_ends_at: String,
}

/// `PATCH /api/v1/operator/orgs/{org}/pass` with `{trial_ends_at}`
pub async fn operator_trial(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let actor = operator(req, cx)?;
    let body: TrialBody = http::json(req).await?;
    let at = Timestamp::parse_rfc3339(&body.trial_ends_at).ok_or_else(|| {
        AppError::from(FieldError::new(
            "trial_ends_at",
            "invalid_time",
            "Give an RFC 3339 time such as 2026-12-31T00:00:00Z.",
        ))
    })?;
    let org = cx
        .app()
        .operator_act(&actor, key, OperatorAction::SetTrialEnd(at))
        .await?;
    Ok(json_response(
        200,
        &json!({ "pass": pass_json(org.pass, cx.now) }),
    )?)
}
