//! Organizations' pages: the form that creates one, the profile tab and its form.

use orgpass_app::{
    orgs::{CreateOrg, UpdateOrg},
    AppError,
};
use orgpass_core::FieldError;
use worker::Request;

use super::views;
use crate::{
    views::{Chrome, Feedback},
    web::{
        auth::check_form,
        context::Ctx,
        error::{describe, error_page},
        http,
        http::see_other,
        page::{cookie_session, csrf, field, html, login_redirect},
        Handled,
    },
};

/// `GET /orgs/new`
pub async fn new_org_form(req: &mut Request, cx: &Ctx) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect("/orgs/new");
    };
    let Ok((account, _)) = cx.app().me(&token).await else {
        return login_redirect("/orgs/new");
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&account),
        csrf: &csrf,
    };
    html(
        200,
        &views::new_org(&chrome, &csrf, "", "tracker", "", &[]),
        &cookies,
    )
}

/// `POST /orgs/new`
pub async fn new_org_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let Some(token) = cookie_session(req) else {
        return login_redirect("/orgs/new");
    };
    let (name, product, id) = (
        field(&form, "name"),
        field(&form, "product"),
        field(&form, "organization_id"),
    );
    let result = cx
        .app()
        .create_org(
            &token,
            CreateOrg {
                name,
                product,
                organization_id: Some(id),
            },
        )
        .await;
    let errors: Vec<FieldError> = match result {
        Ok(view) => {
            return Ok(see_other(&format!(
                "/orgs/{}/settings",
                view.org.space_key
            ))?)
        }
        Err(AppError::Unauthenticated) => return login_redirect("/orgs/new"),
        Err(AppError::Invalid(invalid)) => invalid.0,
        Err(e @ AppError::OrganizationIdTaken) => describe(&e.into()).fields,
        Err(e) => return error_page(&e.into(), None),
    };
    let (account, _) = cx.app().me(&token).await?;
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&account),
        csrf: &csrf,
    };
    let status = if errors.iter().any(|e| e.code == "organization_id_taken") {
        409
    } else {
        400
    };
    html(
        status,
        &views::new_org(&chrome, &csrf, name, product, id, &errors),
        &cookies,
    )
}

/// `GET /orgs/{org}/settings` (the profile tab).
pub async fn settings(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let path = format!("/orgs/{space_key}/settings");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    match cx.app().profile_tab(&token, space_key).await {
        Ok(tab) => {
            let (csrf, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: Some(&tab.view.viewer),
                csrf: &csrf,
            };
            let notice = http::query(req, "saved").map(|_| "Saved.");
            let org = &tab.view.org;
            let form = (org.name.clone(), org.organization_id.to_string());
            html(
                200,
                &views::settings_profile(
                    &chrome,
                    &tab,
                    (&form.0, &form.1),
                    &[],
                    &Feedback {
                        notice,
                        ..Feedback::default()
                    },
                ),
                &cookies,
            )
        }
        Err(AppError::Unauthenticated) => login_redirect(&path),
        Err(e) => error_page(&e.into(), None),
    }
}

/// `POST /orgs/{org}/settings`: saves the profile.
pub async fn settings_submit(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let path = format!("/orgs/{space_key}/settings");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let (name, id) = (field(&form, "name"), field(&form, "organization_id"));
    let app = cx.app();
    let result = app
        .update_org(
            &token,
            space_key,
            UpdateOrg {
                name: Some(name),
                organization_id: Some(id),
                require_two_step: Some(form.contains_key("require_two_step")),
            },
        )
        .await;
    let (errors, status) = match result {
        Ok(_) => return Ok(see_other(&format!("{path}?saved=1"))?),
        Err(AppError::Unauthenticated) => return login_redirect(&path),
        Err(AppError::TwoStepNotEnabled) => (
            vec![orgpass_core::FieldError::new(
                "require_two_step",
                "two_step_not_enabled",
                "Turn on two-step verification for your own account first.",
            )],
            409,
        ),
        Err(e @ (AppError::Invalid(_) | AppError::OrganizationIdTaken)) => {
            let d = describe(&e.into());
            (d.fields, d.status)
        }
        Err(e) => return error_page(&e.into(), None),
    };
    let tab = app.profile_tab(&token, space_key).await?;
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&tab.view.viewer),
        csrf: &csrf,
    };
    html(
        status,
        &views::settings_profile(
            &chrome,
            &tab,
            (name, id),
            &errors,
            &Feedback {
                alert: Some("Some fields need attention."),
                ..Feedback::default()
            },
        ),
        &cookies,
    )
}
