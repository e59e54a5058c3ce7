//! The JSON API of docs/api.md (`/api/v1/…`). Each handler authenticates (extractor), makes
//! one call into `app`, and maps the result.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use super::auth::require_session;
use super::context::Ctx;
use super::error::ApiError;
use super::http::{self, json_response, set_cookie, SESSION_COOKIE};
use orgpass_app::accounts::{session_seconds, SignUp};
use orgpass_app::orgs::{CreateOrg, OrgView, UpdateOrg};
use orgpass_app::ports::{AccountRecord, MembershipSummary, OrgRecord};
use orgpass_core::pass::Pass;
use orgpass_core::Timestamp;

type Handled = Result<Response, ApiError>;

fn rfc3339(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::from(t.to_rfc3339()))
}

/// `account` of docs/api.md.
#[must_use]
pub fn account_json(a: &AccountRecord) -> Value {
    json!({
        "id": a.id,
        "email": a.email.as_str(),
        "name": a.name,
        "managed": a.managed,
        "email_verified": a.email_verified,
        "created_at": a.created_at.to_rfc3339(),
    })
}

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
    })
}

fn org_view_json(view: &OrgView, now: Timestamp) -> Value {
    json!({
        "org": org_json(&view.org, now),
        "membership": {"role": view.membership.role.as_str(), "can_invite": view.membership.can_invite},
    })
}

fn membership_json(m: &MembershipSummary) -> Value {
    json!({
        "space_key": m.space_key,
        "organization_id": m.organization_id,
        "name": m.name,
        "role": m.membership.role.as_str(),
        "can_invite": m.membership.can_invite,
    })
}

/// Strings that arrive as JSON: any other JSON type is a malformed body.
#[derive(Deserialize)]
struct SignUpBody {
    email: String,
    password: String,
    name: String,
}

/// `POST /api/v1/accounts`
pub async fn sign_up(req: &mut Request, cx: &Ctx) -> Handled {
    let body: SignUpBody = http::json(req).await?;
    let (browser, binding) = super::pages::signup_binding()?;
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
struct TokenBody {
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
struct LoginBody {
    email: String,
    password: String,
}

/// `POST /api/v1/sessions`: the token in the body and as the session cookie.
pub async fn log_in(req: &mut Request, cx: &Ctx) -> Handled {
    let body: LoginBody = http::json(req).await?;
    let ip = http::client_ip(req);
    let session = cx.app().log_in(&body.email, &body.password, &ip).await?;
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
struct CreateOrgBody {
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
struct UpdateOrgBody {
    name: Option<String>,
    organization_id: Option<String>,
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
            },
        )
        .await?;
    Ok(json_response(200, &org_view_json(&view, cx.now))?)
}

/// `GET /dev/mail?to=` (development only; the router hides it elsewhere).
pub async fn dev_mail(req: &mut Request, cx: &Ctx) -> Handled {
    let to = http::query(req, "to").unwrap_or_default();
    let messages = cx.app().mailbox(&to).await?;
    let list: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!({
                "id": m.mail.id,
                "to": m.mail.to.as_str(),
                "subject": m.mail.subject,
                "text": m.mail.text,
                "html": m.mail.html,
                "links": orgpass_app::mail::links(&m.mail.text),
                "created_at": m.created_at.to_rfc3339(),
            })
        })
        .collect();
    Ok(json_response(200, &json!({ "messages": list }))?)
}

/// `GET /healthz`
pub fn health() -> Handled {
    Ok(json_response(
        200,
        &json!({"ok": true, "version": env!("CARGO_PKG_VERSION")}),
    )?)
}
