//! The edge: the only code that names `worker`.
//!
//! - [`fetch`] reads the clock once, builds the request context, dispatches through
//!   the one route table ([`route`]), adds the security headers and writes one log
//!   line per request (method, path without query or tokens, status, duration, D1
//!   round trips). Secrets, tokens and bodies are never logged.
//! - [`scheduled`] is the hourly Cron Trigger: it uses the event's scheduled time as
//!   "now", delivers queued mail and purges what has expired.

pub mod api;
pub mod auth;
pub mod context;
pub mod crypto;
pub mod d1;
pub mod doh;
pub mod domains;
pub mod error;
pub mod http;
pub mod mailer;
pub mod members;
pub mod pages;
pub mod pass;
pub mod payments;
pub mod projects;
pub mod sso;
pub mod sso_pages;
pub mod team_pages;
pub mod team_views;
pub mod views;

use worker::{event, Context, Env, Method, Request, Response, ScheduleContext, ScheduledEvent};

use context::{Ctx, Settings};
use d1::D1Store;
use error::ApiError;
use orgpass_core::Timestamp;

/// Whether a path is served as HTML (errors become pages) rather than JSON.
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/") || path == "/healthz" || path == "/dev/mail")
}

/// The one route table.
async fn route(req: &mut Request, cx: &Ctx) -> Result<Response, ApiError> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    use Method::{Delete, Get, Patch, Post, Put};
    match (segments.as_slice(), method) {
        (["healthz"], Get) => api::health(),
        (["static", "orgpass.css"], Get) => {
            let mut response = Response::ok(views::CSS)?;
            response
                .headers_mut()
                .set("content-type", "text/css; charset=utf-8")?;
            Ok(response)
        }
        (["api", "v1", "accounts"], Post) => api::sign_up(req, cx).await,
        (["api", "v1", "accounts", "verify-email"], Post) => api::verify_email(req, cx).await,
        (["api", "v1", "sessions"], Post) => api::log_in(req, cx).await,
        (["api", "v1", "sessions", "current"], Delete) => api::log_out(req, cx).await,
        (["api", "v1", "me"], Get) => api::me(req, cx).await,
        (["api", "v1", "orgs"], Post) => api::create_org(req, cx).await,
        (["api", "v1", "orgs", org], Get) => api::get_org(req, cx, org).await,
        (["api", "v1", "orgs", org], Patch) => api::update_org(req, cx, org).await,
        (["api", "v1", "orgs", org, "pass"], Get) => pass::get(req, cx, org).await,
        (["api", "v1", "orgs", org, "pass", "application"], Post) => {
            pass::apply(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "pass", "upgrade"], Post) => pass::upgrade(req, cx, org).await,
        (["api", "v1", "orgs", org, "pass", "cancel"], Post) => pass::cancel(req, cx, org).await,
        (["api", "v1", "orgs", org, "domains"], Post) => domains::add(req, cx, org).await,
        (["api", "v1", "orgs", org, "domains"], Get) => domains::list(req, cx, org).await,
        (["api", "v1", "orgs", org, "domains", id, "verify"], Post) => {
            domains::verify(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "domains", id], Delete) => {
            domains::delete(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "saml"], Get) => sso::get_settings(req, cx, org).await,
        (["api", "v1", "orgs", org, "saml"], Put) => sso::put_settings(req, cx, org).await,
        (["api", "v1", "orgs", org, "saml"], Delete) => sso::delete_settings(req, cx, org).await,
        (["api", "v1", "orgs", org, "saml", "failures"], Get) => sso::failures(req, cx, org).await,
        (["api", "v1", "orgs", org, "managed-accounts"], Post) => {
            sso::create_managed(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "managed-accounts", id], Delete) => {
            sso::delete_managed(req, cx, org, id).await
        }
        (["saml", org, "metadata"], Get) => sso::metadata(cx, org),
        (["saml", org, "acs"], Post) => sso::acs(req, cx, org).await,
        (["login", "sso"], Get) => sso::login_sso(req, cx).await,
        (["login", "sso", "continue"], Get) => sso::continue_login(req, cx, false).await,
        (["login", "sso", "continue"], Post) => sso::continue_login(req, cx, true).await,
        (["orgs", org, "settings", tab @ ("authentication" | "managed-accounts")], Get) => {
            sso_pages::tab(req, cx, org, tab).await
        }
        (
            ["orgs", org, "settings", tab @ ("authentication" | "managed-accounts"), rest @ ..],
            Post,
        ) => sso_pages::submit(req, cx, org, tab, rest).await,
        (["api", "v1", "orgs", org, "members"], Get) => members::list(req, cx, org).await,
        (["api", "v1", "orgs", org, "members", id], Patch) => {
            members::change(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "members", id], Delete) => {
            members::remove(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "invitations"], Post) => members::invite(req, cx, org).await,
        (["api", "v1", "orgs", org, "invitations"], Get) => {
            members::invitations(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "invitations", id, "resend"], Post) => {
            members::resend(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "invitations", id], Delete) => {
            members::revoke(req, cx, org, id).await
        }
        (["api", "v1", "invitations", token], Get) => members::open(cx, token).await,
        (["api", "v1", "invitations", token, "accept"], Post) => {
            members::accept(req, cx, token).await
        }
        (["api", "v1", "invitations", token, "signup"], Post) => {
            members::sign_up(req, cx, token).await
        }
        (["api", "v1", "orgs", org, "groups"], Post) => members::create_group(req, cx, org).await,
        (["api", "v1", "orgs", org, "groups"], Get) => members::groups(req, cx, org).await,
        (["api", "v1", "orgs", org, "groups", id], Patch) => {
            members::rename_group(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "groups", id], Delete) => {
            members::delete_group(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "groups", id, "members", account], Put) => {
            members::group_member(req, cx, org, id, account, true).await
        }
        (["api", "v1", "orgs", org, "groups", id, "members", account], Delete) => {
            members::group_member(req, cx, org, id, account, false).await
        }
        (["api", "v1", "orgs", org, "groups", id, "role"], Post) => {
            members::group_role(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "project-creators"], Get) => {
            projects::creators(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "project-creators", account], Put) => {
            projects::creator(req, cx, org, account, true).await
        }
        (["api", "v1", "orgs", org, "project-creators", account], Delete) => {
            projects::creator(req, cx, org, account, false).await
        }
        (["api", "v1", "orgs", org, "projects"], Post) => projects::create(req, cx, org).await,
        (["api", "v1", "orgs", org, "projects"], Get) => projects::list(req, cx, org).await,
        (["api", "v1", "orgs", org, "projects", id, "members"], Get) => {
            projects::members(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "projects", id, kind @ ("members" | "groups"), who], Put) => {
            projects::role(req, cx, org, id, (kind, who), true).await
        }
        (
            ["api", "v1", "orgs", org, "projects", id, kind @ ("members" | "groups"), who],
            Delete,
        ) => projects::role(req, cx, org, id, (kind, who), false).await,
        (["api", "v1", "orgs", org, "projects", id, "diagrams"], Post) => {
            projects::create_diagram(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "projects", id, "diagrams"], Get) => {
            projects::diagrams(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "diagrams", id], Patch) => {
            projects::rename_diagram(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "diagrams", id], Delete) => {
            projects::delete_diagram(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "authorize"], Post) => projects::authorize(req, cx, org).await,
        (["api", "v1", "accounts", "set-password"], Post) => pass::set_password(req, cx).await,
        (["api", "v1", "billing", "webhook"], Post) => pass::webhook(req, cx).await,
        (["api", "v1", "operator", "pass", "applications"], Get) => {
            pass::operator_list(req, cx).await
        }
        (["api", "v1", "operator", "pass", "applications", org, "approve"], Post) => {
            pass::operator_decide(req, cx, org, true).await
        }
        (["api", "v1", "operator", "pass", "applications", org, "reject"], Post) => {
            pass::operator_decide(req, cx, org, false).await
        }
        (["api", "v1", "operator", "orgs", org, "pass"], Patch) => {
            pass::operator_trial(req, cx, org).await
        }
        (["static", "invite.js"], Get) => {
            let mut response = Response::ok(team_views::INVITE_JS)?;
            response
                .headers_mut()
                .set("content-type", "text/javascript; charset=utf-8")?;
            Ok(response)
        }
        (["orgs", org, "settings", tab], Get) if team_pages::TABS.contains(tab) => {
            team_pages::tab(req, cx, org, tab).await
        }
        (["orgs", org, "settings", "projects", id], Get) => {
            team_pages::project(req, cx, org, id).await
        }
        (["orgs", org, "settings", rest @ ..], Post)
            if matches!(
                rest.first(),
                Some(&("members" | "invitations" | "groups" | "projects" | "project-creators"))
            ) =>
        {
            team_pages::submit(req, cx, org, rest).await
        }
        (["invitations", token], Get) => team_pages::invitation(req, cx, token).await,
        (["invitations", token], Post) => team_pages::join(req, cx, token).await,
        (["invitations", token, "signup"], Post) => team_pages::sign_up(req, cx, token).await,
        (["orgs", org, "settings", "plan"], Get) => pages::plan(req, cx, org).await,
        (["orgs", org, "settings", "domains"], Get) => pages::domains(req, cx, org).await,
        (["orgs", org, "settings", "domains", "add"], Post) => {
            pages::domains_submit(req, cx, org, None, "add").await
        }
        (["orgs", org, "settings", "domains", id, action], Post) => {
            pages::domains_submit(req, cx, org, Some(id), action).await
        }
        (["orgs", org, "settings", "plan", action], Post) => {
            pages::plan_submit(req, cx, org, action).await
        }
        (["dev", "checkout"], Get) if cx.settings.development => pages::dev_checkout(req, cx).await,
        (["dev", "checkout"], Post) if cx.settings.development => {
            pages::dev_checkout_submit(req, cx).await
        }
        (["set-password"], Get) => pages::set_password_form(req),
        (["set-password"], Post) => pages::set_password_submit(req, cx).await,
        (["dev", "mail"], Get) if cx.settings.development => api::dev_mail(req, cx).await,
        (["dev", "mailbox"], Get) if cx.settings.development => pages::mailbox(req, cx).await,
        ([""], Get) => pages::home(req, cx).await,
        (["signup"], Get) => pages::signup_form(req),
        (["signup"], Post) => pages::signup_submit(req, cx).await,
        (["verify-email"], Get) => pages::verify_email(req, cx).await,
        (["verify-email"], Post) => pages::verify_email_submit(req, cx).await,
        (["login"], Get) => pages::login_form(req),
        (["login"], Post) => pages::login_submit(req, cx).await,
        (["logout"], Post) => pages::logout(req, cx).await,
        (["orgs", "new"], Get) => pages::new_org_form(req, cx).await,
        (["orgs", "new"], Post) => pages::new_org_submit(req, cx).await,
        (["orgs", org, "settings"], Get) => pages::settings(req, cx, org).await,
        (["orgs", org, "settings"], Post) => pages::settings_submit(req, cx, org).await,
        (known, _) if is_known(known, cx.settings.development) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::RouteNotFound),
    }
}

/// Paths that exist with some other method (for 405 rather than 404).
fn is_known(segments: &[&str], development: bool) -> bool {
    matches!(
        segments,
        ["healthz"]
            | ["api", "v1", "accounts"]
            | ["api", "v1", "accounts", "verify-email"]
            | ["api", "v1", "sessions"]
            | ["api", "v1", "sessions", "current"]
            | ["api", "v1", "me"]
            | ["api", "v1", "orgs"]
            | ["api", "v1", "orgs", _]
            | ["api", "v1", "orgs", _, "pass", ..]
            | ["api", "v1", "orgs", _, "domains", ..]
            | [
                "api",
                "v1",
                "orgs",
                _,
                "members" | "invitations" | "groups" | "project-creators" | "projects" | "diagrams",
                ..
            ]
            | ["api", "v1", "orgs", _, "authorize"]
            | ["api", "v1", "orgs", _, "saml", ..]
            | ["api", "v1", "orgs", _, "managed-accounts", ..]
            | ["saml", _, "metadata" | "acs"]
            | ["login", "sso"]
            | ["login", "sso", "continue"]
            | [
                "orgs",
                _,
                "settings",
                "authentication" | "managed-accounts",
                ..
            ]
            | ["api", "v1", "invitations", _, ..]
            | ["api", "v1", "accounts", "set-password"]
            | ["api", "v1", "billing", "webhook"]
            | ["orgs", _, "settings", "plan", ..]
            | ["orgs", _, "settings", "domains", ..]
            | [
                "orgs",
                _,
                "settings",
                "members" | "invitations" | "groups" | "projects" | "project-creators",
                ..
            ]
            | ["invitations", _, ..]
            | ["static", _]
            | ["set-password"]
            | [""]
            | ["signup"]
            | ["verify-email"]
            | ["login"]
            | ["logout"]
            | ["orgs", "new"]
            | ["orgs", _, "settings"]
    ) || (development
        && matches!(
            segments,
            ["dev", "mail"] | ["dev", "mailbox"] | ["dev", "checkout"]
        ))
}

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
    let store = D1Store::new(env.d1("DB")?);
    let cx = Ctx {
        settings,
        now,
        store,
        runtime: Some(runtime),
        kv: env.kv("KV").ok(),
        fetches: std::rc::Rc::default(),
    };
    let path = req.path();
    let method = req.method();
    let result = route(&mut req, &cx).await;
    let (mut response, failure) = match result {
        Ok(response) => (response, None),
        Err(error) => {
            let response = if is_page(&path) {
                pages::error_page(&error, None)
            } else {
                http::error_response(&error).map_err(ApiError::from)
            };
            let detail = match &error {
                ApiError::App(orgpass_app::AppError::Unavailable(e)) => Some(e.to_string()),
                _ => None,
            };
            match response {
                Ok(r) => (r, detail),
                Err(_) => (Response::error("internal error", 500)?, detail),
            }
        }
    };
    http::secure(&mut response, !cx.settings.development)?;
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
        Ok(db) => D1Store::new(db),
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
    };
    let app = cx.app();
    let mut line = serde_json::Map::new();
    line.insert("event".into(), "scheduled".into());
    line.insert("cron".into(), event.cron().into());
    line.insert("now".into(), now.to_rfc3339().into());
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
    if let Some(mailer) = cx.settings.mailer() {
        match app.deliver_queued(&mailer, 100).await {
            Ok(r) => {
                line.insert("mail_sent".into(), r.sent.into());
                line.insert("mail_failed".into(), r.failed.into())
            }
            Err(e) => line.insert("mail_error".into(), e.to_string().into()),
        };
    }
    line.insert("d1".into(), cx.store.round_trips().into());
    let line = serde_json::Value::Object(line);
    worker::console_log!("{line}");
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

    #[test]
    fn known_paths_answer_405_not_404() {
        assert!(is_known(&["api", "v1", "me"], false));
        assert!(!is_known(&["api", "v1", "nope"], false));
        assert!(!is_known(&["dev", "mail"], false));
        assert!(is_known(&["dev", "mail"], true));
    }
}
