//! Groups: the groups tab, and its forms
//! (`POST /orgs/{org}/settings/groups[/{id}/{rename|delete|add|remove|role}]`).

use orgpass_core::TokenHash;
use worker::Request;

use super::views;
use crate::{
    views::{Chrome, Feedback},
    web::{
        context::Ctx,
        error::{page_refusal, settle, ApiError},
        http::{self},
        page::{cookie_session, csrf, done_notice, html, login_redirect, posted},
        Handled,
    },
};

/// `GET /orgs/{org}/settings/groups`
pub async fn tab(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path(key));
    };
    let feedback = Feedback {
        notice: done_notice(req),
        ..Feedback::default()
    };
    render(req, cx, &token, key, 200, &feedback, "").await
}

async fn render(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    key: &str,
    status: u16,
    feedback: &Feedback<'_>,
    typed: &str,
) -> Handled {
    let tab = match cx.app().groups_tab(token, key).await {
        Ok(tab) => tab,
        Err(e) => return page_refusal(e.into(), &path(key)),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&tab.view.viewer),
        csrf: &csrf,
    };
    html(
        status,
        &views::groups(&chrome, &tab, feedback, typed),
        &cookies,
    )
}

/// `POST /orgs/{org}/settings/groups[/{id}/{action}]`
pub async fn submit(req: &mut Request, cx: &Ctx, key: &str, rest: &[&str]) -> Handled {
    let back = path(key);
    let form = match posted(req, &back).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let app = cx.app();
    let token = &form.token;
    // Removing names the account in the query: each member's button is its own form.
    let account = http::query(req, "account").unwrap_or_default();
    let result = match rest {
        [] => app
            .create_group(token, key, form.one("name"))
            .await
            .map(drop),
        [id, "rename"] => app
            .rename_group(token, key, id, form.one("name"))
            .await
            .map(drop),
        [id, "delete"] => app.remove_group(token, key, id).await,
        [id, "add"] => {
            app.set_group_member(token, key, id, form.one("account"), true)
                .await
        }
        [id, "remove"] => app.set_group_member(token, key, id, &account, false).await,
        [id, "role"] => app
            .set_group_role(token, key, id, form.one("role"))
            .await
            .map(drop),
        _ => return Err(ApiError::RouteNotFound),
    };
    let again = match settle(result, &back) {
        Ok(again) => again,
        Err(answer) => return answer,
    };
    let feedback = again.feedback();
    render(
        req,
        cx,
        token,
        key,
        again.status,
        &feedback,
        form.one("name"),
    )
    .await
}

fn path(key: &str) -> String {
    format!("/orgs/{key}/settings/groups")
}
