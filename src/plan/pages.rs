//! The plan's pages: the plan tab and its forms, and the development checkout.

use orgpass_app::{ports::Random, AppError};
use worker::Request;

use super::views;
use crate::{
    views::Chrome,
    web::{
        auth::check_form,
        context::Ctx,
        error::{describe, error_page, ApiError},
        http,
        http::see_other,
        page::{cookie_session, csrf, field, html, login_redirect},
        Handled,
    },
};

/// `GET /orgs/{org}/settings/plan`
pub async fn plan(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let path = format!("/orgs/{space_key}/settings/plan");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    match cx.app().plan_tab(&token, space_key).await {
        Ok(tab) => {
            let view = &tab.view;
            let (csrf, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: Some(&view.viewer),
                csrf: &csrf,
            };
            let notice = match (http::query(req, "upgraded"), http::query(req, "done")) {
                (Some(_), _) => Some("Thank you: the payment went through."),
                (_, Some(_)) => Some("Saved."),
                _ => None,
            };
            let email = view.viewer.email.to_string();
            let form = [
                view.viewer.name.as_str(),
                email.as_str(),
                view.org.name.as_str(),
            ];
            let feedback = crate::views::Feedback {
                notice,
                ..Default::default()
            };
            html(
                200,
                &views::plan(&chrome, &tab, cx.now, &feedback, form),
                &cookies,
            )
        }
        Err(AppError::Unauthenticated) => login_redirect(&path),
        Err(e) => error_page(&e.into(), None),
    }
}

/// `POST /orgs/{org}/settings/plan/{apply|upgrade|cancel}`
pub async fn plan_submit(req: &mut Request, cx: &Ctx, space_key: &str, action: &str) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let path = format!("/orgs/{space_key}/settings/plan");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let app = cx.app();
    let provider = cx.settings.payments.clone();
    let result = match (action, provider) {
        ("apply", _) => app
            .apply_for_pass(
                &token,
                space_key,
                orgpass_app::pass::ApplyInput {
                    admin_name: field(&form, "admin_name"),
                    admin_email: field(&form, "admin_email"),
                    company_name: field(&form, "company_name"),
                    space_key: field(&form, "space_key"),
                },
            )
            .await
            .map(|_| format!("{path}?done=1")),
        ("upgrade", Some(p)) => app.start_upgrade(&token, space_key, &p).await,
        ("cancel", Some(p)) => app
            .cancel_pass(&token, space_key, &p)
            .await
            .map(|_| format!("{path}?done=1")),
        ("upgrade" | "cancel", None) => Err(AppError::Upstream(orgpass_app::ports::PortError(
            "no payment provider configured".to_owned(),
        ))),
        _ => return Err(ApiError::RouteNotFound),
    };
    let (errors, message) = match result {
        Ok(location) => {
            if action == "apply" {
                cx.deliver_mail_soon();
            }
            return Ok(see_other(&location)?);
        }
        Err(AppError::Unauthenticated) => return login_redirect(&path),
        Err(AppError::Invalid(invalid)) => (invalid.0, None),
        Err(e @ (AppError::NotFound | AppError::Forbidden | AppError::Unavailable(_))) => {
            return error_page(&e.into(), None)
        }
        Err(e) => {
            let d = describe(&ApiError::from(e));
            (d.fields, Some(d.message))
        }
    };
    let tab = app.plan_tab(&token, space_key).await?;
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&tab.view.viewer),
        csrf: &csrf,
    };
    let form_values = [
        field(&form, "admin_name"),
        field(&form, "admin_email"),
        field(&form, "company_name"),
    ];
    let status = if errors.is_empty() { 409 } else { 400 };
    html(
        status,
        &views::plan(
            &chrome,
            &tab,
            cx.now,
            &crate::views::Feedback {
                errors: &errors,
                notice: None,
                alert: message.or(Some("Some fields need attention.")),
            },
            form_values,
        ),
        &cookies,
    )
}

/// `GET /dev/checkout?org=` (development provider only): the test payment page.
pub async fn dev_checkout(req: &mut Request, cx: &Ctx) -> Handled {
    let key = http::query(req, "org").unwrap_or_default();
    let path = format!("/dev/checkout?org={key}");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let view = match cx.app().get_org(&token, &key).await {
        Ok(view) => view,
        Err(AppError::Unauthenticated) => return login_redirect(&path),
        Err(e) => return error_page(&e.into(), None),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    html(
        200,
        &views::dev_checkout(&chrome, &csrf, view.org.space_key.as_str(), &view.org.name),
        &cookies,
    )
}

/// `POST /dev/checkout`: completes the test payment by signing a
/// `checkout.session.completed` event with the webhook secret and handing it to the
/// same verification and handling as a provider's webhook.
pub async fn dev_checkout_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let key = field(&form, "org").to_owned();
    let Some(token) = cookie_session(req) else {
        return login_redirect(&format!("/dev/checkout?org={key}"));
    };
    let app = cx.app();
    // The same checks as starting an upgrade: an administrator, an eligible add-on.
    let provider = cx
        .settings
        .payments
        .clone()
        .ok_or(ApiError::RouteNotFound)?;
    if let Err(e) = app.start_upgrade(&token, &key, &provider).await {
        return error_page(&e.into(), None);
    }
    let secret = cx
        .settings
        .webhook_secret
        .clone()
        .ok_or(ApiError::RouteNotFound)?;
    let mut id = [0u8; 16];
    crate::platform::crypto::PlatformRandom
        .fill(&mut id)
        .map_err(AppError::Unavailable)?;
    let suffix = hex::encode(id);
    let event = serde_json::json!({
        "id": format!("evt_dev_{suffix}"),
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {
            "object": "checkout.session",
            "id": format!("cs_dev_{suffix}"),
            "client_reference_id": key,
            "customer": format!("cus_dev_{key}"),
            "subscription": format!("sub_dev_{suffix}"),
            "metadata": {"space_key": key},
        }},
    })
    .to_string();
    let signature =
        orgpass_core::stripe::sign(event.as_bytes(), secret.as_bytes(), cx.now.millis() / 1000)
            .ok_or(ApiError::MalformedBody)?;
    match app
        .billing_webhook(event.as_bytes(), Some(&signature), secret.as_bytes())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/orgs/{key}/settings/plan?upgraded=1"))?),
        Err(e) => error_page(&e.into(), None),
    }
}
