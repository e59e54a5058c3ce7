//! orgpass: accounts, organizations and single sign-on, as one Cloudflare Worker.
//!
//! This package is the Worker, the outermost ring and the only code that names
//! `worker`. The rules live in the workspace's pure crates, and arrows point inward
//! only (see `docs/architecture.md`):
//!
//! - `saml-sp` (`crates/saml-sp`): the SAML service-provider verifier, pure.
//! - `orgpass-core` (`crates/orgpass-core`): the pure rules and formats of orgpass.
//! - `orgpass-app` (`crates/orgpass-app`): the use cases, written against ports.
//!
//! Here a request goes `fetch` → [`routes::route`] → a room's handler (`api.rs` for
//! JSON, `pages.rs` for HTML) → one use case of `orgpass-app` → the room's D1 store
//! (`store.rs`), and back through the room's `views.rs` or [`web::error`].
//!
//! - Rooms, named by the product's words: [`accounts`], [`organizations`],
//!   [`members`], [`invitations`], [`groups`], [`projects`], [`single_sign_on`],
//!   [`domains`], [`plan`], [`mail`].
//! - [`web`]: the request's plumbing (context, HTTP helpers, sessions and CSRF, the one
//!   error map, page answers); [`views`]: the layout and the partials every page uses;
//!   [`platform`]: what the Workers runtime gives every room (D1, WebCrypto).
//!
//! `fetch` reads the clock once, builds the request context, dispatches through the
//! route table, adds the security headers and writes one log line per request (method,
//! path without query or tokens, status, duration, D1 round trips). Secrets, tokens and
//! bodies are never logged. `scheduled` is the hourly Cron Trigger: it uses the
//! event's scheduled time as "now", delivers queued mail and purges what has expired.
//!
//! Shipped code may not `unwrap`, `expect`, `panic!` or index slices (a panic kills
//! the Worker isolate); the workspace lints and `clippy.toml` deny them outside tests.

pub mod accounts;
pub mod audit;
pub mod domains;
pub mod groups;
pub mod invitations;
pub mod mail;
pub mod members;
pub mod oidc;
pub mod organizations;
pub mod plan;
pub mod platform;
pub mod projects;
pub mod provisioning;
pub mod routes;
pub mod self_service;
pub mod single_sign_on;
pub mod two_step;
pub mod views;
pub mod web;

use orgpass_core::Timestamp;
use platform::d1::D1Store;
use web::{
    context::{Ctx, Settings},
    error::ApiError,
    http,
};
use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

/// A path fit for the log: no query string, and no token-bearing segments.
fn loggable(path: &str) -> String {
    let mut out = String::new();
    let mut redact_next = false;
    for segment in path.split('/').skip(1) {
        out.push('/');
        if redact_next {
            out.push_str(":token");
            redact_next = false;
        } else {
            out.push_str(segment);
            redact_next = segment == "invitations" && !path.starts_with("/api/v1/orgs/");
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, runtime: Context) -> worker::Result<Response> {
    let started = worker::Date::now().as_millis();
    let now = Timestamp::from_millis(i64::try_from(started).unwrap_or(i64::MAX));
    let settings = Settings::from_env(&env);
    let bookmarks = web::http::Bookmarks::of(&req);
    let store = D1Store::new(&env.d1("DB")?, &bookmarks.start(&req.method()))?;
    let cx = Ctx {
        settings,
        now,
        store,
        runtime: Some(runtime),
        kv: env.kv("KV").ok(),
        fetches: std::rc::Rc::default(),
        client: Some(web::http::client(&req)),
    };
    let path = req.path();
    let method = req.method();
    let result = routes::route(&mut req, &cx).await;
    let (mut response, failure) = match result {
        Ok(response) => (response, None),
        Err(error) => {
            let response = if routes::is_page(&path) {
                web::error::error_page(&error, None)
            } else {
                http::error_response(&error).map_err(ApiError::from)
            };
            let detail = match &error {
                // A dependency that failed (D1, the runtime) or a provider that refused
                // (Stripe, DoH): the detail is for the log, never for the client.
                ApiError::App(
                    orgpass_app::AppError::Unavailable(e) | orgpass_app::AppError::Upstream(e),
                ) => Some(e.to_string()),
                _ => None,
            };
            match response {
                Ok(r) => (r, detail),
                Err(_) => (Response::error("internal error", 500)?, detail),
            }
        }
    };
    http::secure(&mut response, !cx.settings.development)?;
    // Read your writes: the next request that presents this starts where this one ended.
    bookmarks.hand_back(
        &mut response,
        cx.store.bookmark().as_deref(),
        routes::is_page(&path),
    )?;
    if cx.store.sessions_ended() {
        cx.deliver_logouts_soon();
    }
    if response.status_code() < 400 && !oidc::provider::is_machine_endpoint(&path) {
        if let Some((token, _)) = web::auth::session_token(&req) {
            cx.touch_session_soon(token.hash());
        }
    }
    if cx.settings.development {
        // Lets tests and benchmarks check the D1 and DoH round trips of each route.
        response.headers_mut().set(
            "x-orgpass-d1-round-trips",
            &cx.store.round_trips().to_string(),
        )?;
        response
            .headers_mut()
            .set("x-orgpass-fetches", &cx.fetches.get().to_string())?;
    }
    let elapsed = worker::Date::now().as_millis().saturating_sub(started);
    let mut line = serde_json::Map::new();
    line.insert("method".into(), method.to_string().into());
    line.insert("path".into(), loggable(&path).into());
    line.insert("status".into(), response.status_code().into());
    line.insert("ms".into(), elapsed.into());
    line.insert("d1".into(), cx.store.round_trips().into());
    if cx.fetches.get() > 0 {
        line.insert("fetches".into(), cx.fetches.get().into());
    }
    if let Some(detail) = failure {
        line.insert("error".into(), detail.into());
    }
    let line = serde_json::Value::Object(line);
    worker::console_log!("{line}");
    Ok(response)
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _runtime: ScheduleContext) {
    #[allow(clippy::cast_possible_truncation)]
    let now = Timestamp::from_millis(event.schedule() as i64);
    let settings = Settings::from_env(&env);
    let store = match env.d1("DB") {
        Ok(db) => match D1Store::new(&db, &platform::d1::SessionStart::Primary) {
            Ok(store) => store,
            Err(e) => {
                worker::console_error!("scheduled: no D1 session: {e}");
                return;
            }
        },
        Err(e) => {
            worker::console_error!("scheduled: no DB binding: {e}");
            return;
        }
    };
    let cx = Ctx {
        settings,
        now,
        store,
        runtime: None,
        kv: env.kv("KV").ok(),
        fetches: std::rc::Rc::default(),
        client: None,
    };
    let app = cx.app();
    let mut line = serde_json::Map::new();
    line.insert("event".into(), "scheduled".into());
    line.insert("cron".into(), event.cron().into());
    line.insert("now".into(), now.to_rfc3339().into());
    // Every minute: only the mail that is due and the log streams.
    let every_minute = event.cron() == audit::stream::STREAMS_CRON;
    if !every_minute {
        hourly(&app, &cx, &mut line).await;
    }
    if let Some(mailer) = cx.settings.mailer() {
        match app
            .deliver_queued(&mailer, if every_minute { 40 } else { 100 })
            .await
        {
            Ok(r) => {
                line.insert("mail_sent".into(), r.sent.into());
                line.insert("mail_failed".into(), r.failed.into())
            }
            Err(e) => line.insert("mail_error".into(), e.to_string().into()),
        };
    }
    match app
        .deliver_audit_streams(&audit::stream::HttpStreamSender)
        .await
    {
        Ok(r) => {
            line.insert("stream_events_delivered".into(), r.delivered.into());
            line.insert("streams_failed".into(), r.failed.into())
        }
        Err(e) => line.insert("streams_error".into(), e.to_string().into()),
    };
    line.insert("d1".into(), cx.store.round_trips().into());
    let line = serde_json::Value::Object(line);
    worker::console_log!("{line}");
}

/// The hourly Cron's work: purges, expiries, reminders, re-checks, Back-Channel
/// Logouts (mail and the log streams follow on every run).
async fn hourly(
    app: &web::context::EdgeApp,
    cx: &Ctx,
    line: &mut serde_json::Map<String, serde_json::Value>,
) {
    match app.purge_expired().await {
        Ok(n) => line.insert("purged".into(), n.into()),
        Err(e) => line.insert("purge_error".into(), e.to_string().into()),
    };
    match app.purge_sso().await {
        Ok(n) => line.insert("sso_purged".into(), n.into()),
        Err(e) => line.insert("sso_purge_error".into(), e.to_string().into()),
    };
    match app.expire_invitations().await {
        Ok(n) => line.insert("invitations_expired".into(), n.into()),
        Err(e) => line.insert("invitations_error".into(), e.to_string().into()),
    };
    match app.run_pass_jobs().await {
        Ok(r) => {
            line.insert("trials_expired".into(), r.expiry.trials_expired.into());
            line.insert("cancellations".into(), r.expiry.canceled.into());
            line.insert("lapsed".into(), r.expiry.lapsed.into());
            line.insert(
                "managed_sessions_ended".into(),
                r.expiry.sessions_ended.into(),
            );
            line.insert("reminders".into(), r.reminders.into());
            line.insert("accounts_converted".into(), r.converted.into())
        }
        Err(e) => line.insert("pass_error".into(), e.to_string().into()),
    };
    match app.recheck_domains(&cx.resolver()).await {
        Ok(r) => {
            line.insert("domains_checked".into(), r.checked.into());
            line.insert("domains_verified".into(), r.verified.into());
            line.insert("domains_dropped".into(), r.dropped.into());
            line.insert("domains_failed".into(), r.failed.into());
            line.insert("domains_resolver_unavailable".into(), r.unavailable.into())
        }
        Err(e) => line.insert("domains_error".into(), e.to_string().into()),
    };
    let channel = oidc::logout::HttpLogoutChannel {
        keys: cx.settings.oidc_keys.clone(),
    };
    match app.deliver_logouts(&channel, 100).await {
        Ok(r) => {
            line.insert("logouts_delivered".into(), r.delivered.into());
            line.insert("logouts_failed".into(), r.failed.into())
        }
        Err(e) => line.insert("logouts_error".into(), e.to_string().into()),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_paths_hide_tokens() {
        assert_eq!(loggable("/"), "/");
        assert_eq!(
            loggable("/orgs/ABCDE12345/settings"),
            "/orgs/ABCDE12345/settings"
        );
        assert_eq!(loggable("/invitations/secret-token"), "/invitations/:token");
        assert_eq!(
            loggable("/api/v1/invitations/secret/accept"),
            "/api/v1/invitations/:token/accept"
        );
        assert_eq!(
            loggable("/api/v1/orgs/K/invitations/inv_1"),
            "/api/v1/orgs/K/invitations/inv_1"
        );
    }
}
