//! Members: the members tab, and its forms (`POST /orgs/{org}/settings/members/{id}/{update|remove}`).

use orgpass_app::members::ChangeMember;
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

/// `GET /orgs/{org}/settings/members`
pub async fn tab(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path(key));
    };
    let feedback = Feedback {
        notice: done_notice(req),
        ..Feedback::default()
    };
    render(req, cx, &token, key, 200, &feedback).await
}

async fn render(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    key: &str,
    status: u16,
    feedback: &Feedback<'_>,
) -> Handled {
    let cursor = http::query(req, "cursor");
    let tab = match cx.app().members_tab(token, key, cursor.as_deref()).await {
        Ok(tab) => tab,
        Err(e) => return page_refusal(e.into(), &path(key)),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&tab.members.view.viewer),
        csrf: &csrf,
    };
    html(status, &views::members(&chrome, &tab, feedback), &cookies)
}

/// `POST /orgs/{org}/settings/members/{id}/{update|remove}`
pub async fn submit(req: &mut Request, cx: &Ctx, key: &str, rest: &[&str]) -> Handled {
    let back = path(key);
    let form = match posted(req, &back).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let app = cx.app();
    let result = match rest {
        [id, "update"] => app
            .change_member(
                &form.token,
                key,
                id,
                ChangeMember {
                    role: Some(form.one("role")),
                    // A box left ticked while choosing "guest" is not a request to give a
                    // guest the privilege: the row's one form carries both.
                    can_invite: Some(form.one("can_invite") == "1" && form.one("role") != "guest"),
                },
            )
            .await
            .map(drop),
        [id, "remove"] => app.remove_member(&form.token, key, id).await,
        _ => return Err(ApiError::RouteNotFound),
    };
    let again = match settle(result, &back) {
        Ok(again) => again,
        Err(answer) => return answer,
    };
    let feedback = again.feedback();
    render(req, cx, &form.token, key, again.status, &feedback).await
}

fn path(key: &str) -> String {
    format!("/orgs/{key}/settings/members")
}
