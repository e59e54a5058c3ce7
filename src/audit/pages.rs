//! The Audit log tab (`GET /orgs/{org}/settings/audit-log?action=&actor_id=&since=&until=&cursor=`),
//! for administrators.

use worker::Request;

use super::{api::query_of, views};
use crate::{
    views::Chrome,
    web::{
        context::Ctx,
        error::page_refusal,
        http,
        page::{cookie_session, csrf, html, login_redirect},
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
