//! The development mailbox as JSON (`GET /dev/mail`, development only), and the
//! operator's list of messages given up.

use serde_json::{json, Value};
use worker::Request;

use crate::web::{context::Ctx, http, http::json_response, Handled};

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

/// `GET /api/v1/operator/mail/failed`: the messages given up after their 24 hours of
/// retries (or refused by the provider), newest first, without their bodies.
pub async fn operator_failed(req: &mut Request, cx: &Ctx) -> Handled {
    crate::plan::api::operator(req, cx)?;
    let list: Vec<Value> = cx
        .app()
        .failed_mail()
        .await?
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "to": m.to,
                "subject": m.subject,
                "created_at": m.created_at.to_rfc3339(),
                "attempts": m.attempts,
                "last_error": m.last_error,
            })
        })
        .collect();
    Ok(json_response(200, &json!({ "messages": list }))?)
}
