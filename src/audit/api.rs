//! `GET /api/v1/orgs/{org}/audit-events` (docs/api.md "Audit log"): administrators read
//! their organization's events, newest first, filtered by action, actor and time, a
//! page at a time.

use orgpass_app::ports::{EventRecord, StreamRecord};
use orgpass_core::audit::Query;
use serde_json::{json, Value};
use worker::Request;

use crate::web::{
    auth::require_session,
    context::Ctx,
    http::{self, json_response, no_content, rfc3339},
    Handled,
};

/// An event as the API shows it.
pub(crate) fn event_json(e: &EventRecord) -> Value {
    json!({
        "id": e.id,
        "occurred_at": e.occurred_at.to_rfc3339(),
        "action": e.action,
        "actor": {
            "type": e.actor_type,
            "id": e.actor_id,
            "email": e.actor_email,
            "name": e.actor_name,
        },
        "targets": e.targets,
        "context": { "ip": e.ip, "user_agent": e.user_agent },
        "outcome": e.outcome,
        "details": e.details
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect::<serde_json::Map<String, Value>>(),
    })
}

/// The query's filters, as the URL gives them.
pub(crate) fn query_of(req: &Request) -> Result<Query, orgpass_core::FieldError> {
    let q = |name| http::query(req, name);
    Query::parse(
        q("action").as_deref(),
        q("actor_id").as_deref(),
        q("since").as_deref(),
        q("until").as_deref(),
        q("limit").as_deref(),
        q("cursor").as_deref(),
    )
}

/// `GET /api/v1/orgs/{org}/audit-events.csv?action=&actor_id=&since=&until=&cursor=`: the
/// header and first chunk are read (with the right) before the answer starts; the rest
/// is streamed a chunk (one D1 query, formatted by SQLite) at a time, so neither the
/// Worker's memory nor its CPU grows with the log beyond passing text on.
pub async fn csv(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let app = cx.app();
    let (first, export) = app.audit_csv(&token, key, query_of(req)).await?;
    let chunks = futures_util::stream::unfold(
        (Some(first), export, app),
        |(first, mut export, app)| async move {
            if let Some(first) = first {
                return Some((Ok(first.into_bytes()), (None, export, app)));
            }
            match app.audit_csv_next(&mut export).await {
                Ok(Some(text)) => Some((Ok(text.into_bytes()), (None, export, app))),
                Ok(None) => None,
                // Headers are gone: the body breaks off, which the client sees.
                Err(e) => Some((
                    Err(worker::Error::RustError(e.to_string())),
                    (None, export_done(export), app),
                )),
            }
        },
    );
    let headers = worker::Headers::new();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set(
        "content-disposition",
        &format!("attachment; filename=\"audit-log-{key}.csv\""),
    )?;
    headers.set("cache-control", "no-store")?;
    Ok(worker::Response::from_stream(chunks)?.with_headers(headers))
}

/// The export after a failure: nothing more follows.
fn export_done(mut export: orgpass_app::audit::CsvExport) -> orgpass_app::audit::CsvExport {
    export.more = false;
    export
}

/// `GET /api/v1/orgs/{org}/audit-events?action=&actor_id=&since=&until=&limit=&cursor=`
pub async fn list(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let page = cx.app().audit_events(&token, key, query_of(req)).await?;
    let events: Vec<Value> = page.events.iter().map(event_json).collect();
    Ok(json_response(
        200,
        &json!({ "events": events, "next_cursor": page.next }),
    )?)
}

/// A log stream as the API shows it (never its secret).
pub(crate) fn stream_json(s: Option<&StreamRecord>) -> Value {
    s.map_or(Value::Null, |s| {
        json!({
            "url": s.url,
            "created_at": s.created_at.to_rfc3339(),
            "pending_events": s.pending,
            "failed_attempts": s.attempts,
            "next_attempt_at": s.next_attempt_at.to_rfc3339(),
            "last_attempt_at": rfc3339(s.last_attempt_at),
            "last_delivered_at": rfc3339(s.last_delivered_at),
            "last_error": s.last_error,
        })
    })
}

/// `GET /api/v1/orgs/{org}/audit-stream`
pub async fn stream_get(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let (_, stream) = cx.app().audit_stream(&token, key).await?;
    Ok(json_response(
        200,
        &json!({ "stream": stream_json(stream.as_ref()) }),
    )?)
}

#[derive(serde::Deserialize)]
struct StreamBody {
    url: String,
}

/// `PUT /api/v1/orgs/{org}/audit-stream` `{url}` → the stream and its signing secret,
/// shown this once.
pub async fn stream_put(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let body: StreamBody = http::json(req).await?;
    let app = cx.app();
    let secret = app.set_audit_stream(&token, key, &body.url).await?;
    let (_, stream) = app.audit_stream(&token, key).await?;
    Ok(json_response(
        200,
        &json!({ "stream": stream_json(stream.as_ref()), "secret": secret }),
    )?)
}

/// `DELETE /api/v1/orgs/{org}/audit-stream`
pub async fn stream_delete(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().remove_audit_stream(&token, key).await?;
    no_content()
}
