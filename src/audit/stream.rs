//! Log streaming's edge: POSTs an organization's events to its endpoint, signed
//! (docs/api.md "Audit log"). The Cron decides what to send and when
//! ([`orgpass_app::App::deliver_audit_streams`]).

use orgpass_app::ports::{EventRecord, StreamSender};
use orgpass_core::{
    log_stream::{self, SIGNATURE_HEADER, TIMEOUT_SECONDS},
    Timestamp,
};
use serde_json::json;
use worker::{AbortSignal, Fetch, Headers, Method, Request, RequestInit};

use super::api::event_json;

/// The Cron Trigger that delivers streams every minute (the hourly one delivers too).
pub const STREAMS_CRON: &str = "* * * * *";

/// Sends with `fetch`, a JSON body `{"events": [...]}` (the API's shape, oldest first).
pub struct HttpStreamSender;

impl StreamSender for HttpStreamSender {
    async fn send(
        &self,
        url: &str,
        secret: &str,
        events: &[EventRecord],
        now: Timestamp,
    ) -> Result<(), String> {
        let events: Vec<_> = events.iter().map(event_json).collect();
        let body = json!({ "events": events }).to_string();
        let signature = log_stream::signature(secret.as_bytes(), now, body.as_bytes())
            .ok_or("signature: no key")?;
        let headers = Headers::new();
        for (name, value) in [
            ("content-type", "application/json"),
            ("user-agent", "orgpass-log-stream/1"),
            (SIGNATURE_HEADER, signature.as_str()),
        ] {
            headers
                .set(name, value)
                .map_err(|e| format!("headers: {e}"))?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let request = Request::new_with_init(url, &init).map_err(|e| format!("request: {e}"))?;
        let signal = AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(
            TIMEOUT_SECONDS * 1000,
        ));
        match Fetch::Request(request).send_with_signal(&signal).await {
            Ok(response) if (200..300).contains(&response.status_code()) => Ok(()),
            Ok(response) => Err(format!("answered {}", response.status_code())),
            Err(e) => Err(format!("fetch: {e}")),
        }
    }
}
