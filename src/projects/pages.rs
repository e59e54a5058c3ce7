//! Projects: the projects tab, one project's page, and their forms
//! (`POST /orgs/{org}/settings/projects[/{id}/{action}]`,
//! `POST /orgs/{org}/settings/project-creators/{add|remove}`).

use orgpass_core::TokenHash;
use worker::Request;

use super::views;
use crate::{
    views::{Chrome, Feedback},
    web::{
        context::Ctx,
        error::{page_refusal, settle, ApiError},
        http::{self, see_other},
        page::{cookie_session, csrf, done_notice, html, login_redirect, posted},
        Handled,
    },
};

/// `GET /orgs/{org}/settings/projects`
pub async fn tab(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect(&tab_path(key));
    };
    let feedback = Feedback {
        notice: done_notice(req),
        ..Feedback::default()
    };
    render_tab(req, cx, &token, key, 200, &feedback).await
}

/// `GET /orgs/{org}/settings/projects/{id}`
pub async fn project(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect(&project_path(key, id));
    };
    let feedback = Feedback {
        notice: done_notice(req),
        ..Feedback::default()
    };
    render_project(req, cx, &token, key, id, 200, &feedback).await
}

async fn render_tab(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    key: &str,
    status: u16,
    feedback: &Feedback<'_>,
) -> Handled {
    let tab = match cx.app().projects_tab(token, key).await {
        Ok(tab) => tab,
        Err(e) => return page_refusal(e.into(), &tab_path(key)),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&tab.view.viewer),
        csrf: &csrf,
    };
    html(status, &views::projects(&chrome, &tab, feedback), &cookies)
}

async fn render_project(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    key: &str,
    id: &str,
    status: u16,
    feedback: &Feedback<'_>,
) -> Handled {
    let page = match cx.app().project_page(token, key, id).await {
        Ok(page) => page,
        Err(e) => return page_refusal(e.into(), &project_path(key, id)),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&page.view.viewer),
        csrf: &csrf,
    };
    html(status, &views::project(&chrome, &page, feedback), &cookies)
}

/// `POST /orgs/{org}/settings/{projects[/{id}/{action}] | project-creators/{action}}`;
/// `rest` starts with `projects` or `project-creators`.
pub async fn submit(req: &mut Request, cx: &Ctx, key: &str, rest: &[&str]) -> Handled {
    let back = match rest {
        ["projects", id, _] => project_path(key, id),
        _ => tab_path(key),
    };
    let form = match posted(req, &back).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let app = cx.app();
    let token = &form.token;
    // Removing names the person (or diagram) in the query: each row's button is its
    // own form.
    let query = |name: &str| http::query(req, name).unwrap_or_default();
    let result = match rest {
        ["projects"] => match app.create_project(token, key, form.one("name")).await {
            Ok(p) => return Ok(see_other(&format!("{back}/{}?done=1", p.id))?),
            Err(e) => Err(e),
        },
        ["projects", id, "member"] => {
            app.set_project_member(token, key, id, form.one("account"), Some(form.one("role")))
                .await
        }
        ["projects", id, "remove-member"] => {
            app.set_project_member(token, key, id, &query("account"), None)
                .await
        }
        ["projects", id, "group"] => {
            app.set_project_group(token, key, id, form.one("group"), Some(form.one("role")))
                .await
        }
        ["projects", id, "diagram"] => app
            .create_diagram(token, key, id, form.one("title"))
            .await
            .map(drop),
        ["projects", _, "delete-diagram"] => app
            .change_diagram(token, key, &query("diagram"), None)
            .await
            .map(drop),
        ["project-creators", "add"] => {
            app.set_project_creator(token, key, form.one("account"), true)
                .await
        }
        ["project-creators", "remove"] => {
            app.set_project_creator(token, key, &query("account"), false)
                .await
        }
        _ => return Err(ApiError::RouteNotFound),
    };
    let again = match settle(result, &back) {
        Ok(again) => again,
        Err(answer) => return answer,
    };
    let feedback = again.feedback();
    match rest {
        ["projects", id, _] => {
            render_project(req, cx, token, key, id, again.status, &feedback).await
        }
        _ => render_tab(req, cx, token, key, again.status, &feedback).await,
    }
}

fn tab_path(key: &str) -> String {
    format!("/orgs/{key}/settings/projects")
}

fn project_path(key: &str, id: &str) -> String {
    format!("/orgs/{key}/settings/projects/{id}")
}
