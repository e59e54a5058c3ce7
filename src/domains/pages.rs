//! Domains' page: the domains tab and its forms (add, check now, delete).

use orgpass_app::AppError;
use orgpass_core::TokenHash;
use worker::Request;

use super::views;
use crate::{
    views::Chrome,
    web::{
        auth::check_form,
        context::Ctx,
        error::{describe, error_page, page_refusal, ApiError},
        http,
        http::see_other,
        page::{cookie_session, csrf, field, html, login_redirect},
        Handled,
    },
};

/// `GET /orgs/{org}/settings/domains`
pub async fn domains(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let path = format!("/orgs/{space_key}/settings/domains");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let notice = http::query(req, "done").map(|_| "Done.");
    render_domains(
        req,
        cx,
        &token,
        space_key,
        200,
        crate::views::Feedback {
            notice,
            ..Default::default()
        },
        "",
    )
    .await
}

pub(crate) async fn render_domains(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    space_key: &str,
    status: u16,
    feedback: crate::views::Feedback<'_>,
    typed: &str,
) -> Handled {
    let tab = match cx.app().domains_tab(token, space_key).await {
        Ok(tab) => tab,
        Err(e) => return page_refusal(e.into(), &format!("/orgs/{space_key}/settings/domains")),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&tab.view.viewer),
        csrf: &csrf,
    };
    html(
        status,
        &views::domains(&chrome, &tab, &feedback, typed),
        &cookies,
    )
}

/// `POST /orgs/{org}/settings/domains/add`, `…/{id}/verify`, `…/{id}/delete`
pub async fn domains_submit(
    req: &mut Request,
    cx: &Ctx,
    space_key: &str,
    id: Option<&str>,
    action: &str,
) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let path = format!("/orgs/{space_key}/settings/domains");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let app = cx.app();
    let typed = field(&form, "domain");
    let result = match (action, id) {
        ("add", None) => app.add_domain(&token, space_key, typed).await.map(|_| ()),
        ("verify", Some(id)) => app
            .verify_domain(&token, space_key, id, &cx.resolver())
            .await
            .map(|_| ()),
        ("delete", Some(id)) => app.remove_domain(&token, space_key, id).await,
        _ => return Err(ApiError::RouteNotFound),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("{path}?done=1"))?),
        Err(AppError::Unauthenticated) => login_redirect(&path),
        Err(AppError::Invalid(invalid)) => {
            let feedback = crate::views::Feedback {
                errors: &invalid.0,
                ..Default::default()
            };
            render_domains(req, cx, &token, space_key, 400, feedback, typed).await
        }
        Err(e @ (AppError::NotFound | AppError::Forbidden | AppError::Unavailable(_))) => {
            error_page(&e.into(), None)
        }
        Err(e) => {
            let d = describe(&ApiError::from(e));
            let feedback = crate::views::Feedback {
                alert: Some(d.message),
                ..Default::default()
            };
            render_domains(req, cx, &token, space_key, d.status, feedback, typed).await
        }
    }
}
