//! The Audit log tab (`GET /orgs/{org}/settings/audit-log?action=&actor_id=&since=&until=&cursor=`)
//! and its log stream page (`…/audit-log/stream`), for administrators.

use orgpass_app::AppError;
use orgpass_core::TokenHash;
use worker::Request;

use super::{api::query_of, views};
use crate::{
    views::{Chrome, Feedback},
    web::{
        auth::check_form,
        context::Ctx,
        error::{describe, error_page, page_refusal, ApiError},
        http::{self, see_other},
        page::{cookie_session, csrf, field, html, login_redirect},
        Handled,
    },
};

/// `GET /orgs/{org}/settings/audit-log`
pub async fn tab(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let path = format!("/orgs/{key}/settings/audit-log");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let q = |name| http::query(req, name).unwrap_or_default();
    let (action, actor_id, since, until) = (q("action"), q("actor_id"), q("since"), q("until"));
    let filters = views::Filters {
        action: &action,
        actor_id: &actor_id,
        since: &since,
        until: &until,
    };
    // A filter that does not read: the tab again, saying which (the right to read
    // was checked first).
    let (page, errors, view) = match cx.app().audit_read(&token, key, query_of(req)).await {
        Ok(Ok(page)) => {
            let view = page.view.clone();
            (Some(page), Vec::new(), view)
        }
        Ok(Err((view, refused))) => (None, vec![refused], view),
        Err(e) => return page_refusal(e.into(), &path),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    let status = if errors.is_empty() { 200 } else { 400 };
    html(
        status,
        &views::audit_log(&chrome, &view, page.as_ref(), &filters, &errors),
        &cookies,
    )
}

/// `GET /orgs/{org}/settings/audit-log/stream`
pub async fn stream(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let path = format!("/orgs/{key}/settings/audit-log/stream");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let notice = http::query(req, "done").map(|_| "Done.");
    let feedback = Feedback {
        notice,
        ..Feedback::default()
    };
    render_stream(req, cx, &token, key, (200, &feedback), (None, "")).await
}

async fn render_stream(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    key: &str,
    (status, feedback): (u16, &Feedback<'_>),
    (secret, typed): (Option<&str>, &str),
) -> Handled {
    let (view, stream) = match cx.app().audit_stream(token, key).await {
        Ok(found) => found,
        Err(e) => return page_refusal(e.into(), &format!("/orgs/{key}/settings/audit-log/stream")),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    html(
        status,
        &views::audit_stream(&chrome, &view, stream.as_ref(), secret, feedback, typed),
        &cookies,
    )
}

/// `POST /orgs/{org}/settings/audit-log/stream/set` (`url`) and `…/remove`. The new
/// secret is shown on this answer only.
pub async fn stream_submit(req: &mut Request, cx: &Ctx, key: &str, action: &str) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let path = format!("/orgs/{key}/settings/audit-log/stream");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let app = cx.app();
    let typed = field(&form, "url");
    let result = match action {
        "set" => app.set_audit_stream(&token, key, typed).await.map(Some),
        "remove" => app.remove_audit_stream(&token, key).await.map(|()| None),
        _ => return Err(ApiError::RouteNotFound),
    };
    match result {
        Ok(Some(secret)) => {
            let feedback = Feedback {
                notice: Some("Streaming to the endpoint."),
                ..Feedback::default()
            };
            render_stream(req, cx, &token, key, (200, &feedback), (Some(&secret), "")).await
        }
        Ok(None) => Ok(see_other(&format!("{path}?done=1"))?),
        Err(AppError::Unauthenticated) => login_redirect(&path),
        Err(AppError::Invalid(invalid)) => {
            let feedback = Feedback {
                errors: &invalid.0,
                ..Feedback::default()
            };
            render_stream(req, cx, &token, key, (400, &feedback), (None, typed)).await
        }
        Err(e @ (AppError::NotFound | AppError::Forbidden | AppError::Unavailable(_))) => {
            error_page(&e.into(), None)
        }
        Err(e) => {
            let d = describe(&ApiError::from(e));
            let feedback = Feedback {
                alert: Some(d.message),
                ..Feedback::default()
            };
            render_stream(req, cx, &token, key, (d.status, &feedback), (None, typed)).await
        }
    }
}
