//! The Authentication (SAML) and Managed accounts settings tabs. Forms post to
//! `/orgs/{org}/settings/{tab}[/{id}]/{action}`; [`submit`] checks the form, makes one
//! use-case call and answers 303 back to the tab, or the tab again with what was refused.

use std::collections::HashMap;

use orgpass_app::{sso::ManagedInput, AppError};
use orgpass_core::{FieldError, TokenHash};
use worker::Request;

use super::{api::SamlBody, views};
use crate::{
    views::{Chrome, Feedback},
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

/// `GET /orgs/{org}/settings/{authentication|managed-accounts}`
pub async fn tab(req: &mut Request, cx: &Ctx, key: &str, tab: &str) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect(&format!("/orgs/{key}/settings/{tab}"));
    };
    let notice = http::query(req, "done").map(|_| "Done.");
    let feedback = Feedback {
        notice,
        ..Feedback::default()
    };
    render(
        req,
        cx,
        &token,
        key,
        tab,
        200,
        &feedback,
        &HashMap::new(),
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    key: &str,
    tab: &str,
    status: u16,
    feedback: &Feedback<'_>,
    typed: &HashMap<String, String>,
    new_secret: Option<&str>,
) -> Handled {
    let path = format!("/orgs/{key}/settings/{tab}");
    let app = cx.app();
    let refused = |e: AppError| match e {
        AppError::Unauthenticated => login_redirect(&path),
        e => error_page(&e.into(), None),
    };
    let (csrf, cookies) = csrf(req)?;
    let page = if tab == "authentication" {
        let (view, saml, failures, provisioning) = match app.authentication_tab(token, key).await {
            Ok(found) => found,
            Err(e) => return refused(e),
        };
        let chrome = Chrome {
            account: Some(&view.viewer),
            csrf: &csrf,
        };
        let scim = views::Provisioning {
            facts: &provisioning,
            base_url: &format!("{}/scim/v2/{key}", cx.settings.base_url),
            new_secret,
        };
        views::authentication(
            &chrome, &view, &saml, &failures, &scim, feedback, typed, cx.now,
        )
    } else {
        let tab = match app.managed_accounts_tab(token, key).await {
            Ok(tab) => tab,
            Err(e) => return refused(e),
        };
        let chrome = Chrome {
            account: Some(&tab.view.viewer),
            csrf: &csrf,
        };
        views::managed_accounts(&chrome, &tab, feedback, typed)
    };
    html(status, &page, &cookies)
}

/// `POST /orgs/{org}/settings/authentication/{save|import|delete}`,
/// `…/managed-accounts/create`, `…/managed-accounts/{id}/delete`
pub async fn submit(req: &mut Request, cx: &Ctx, key: &str, tab: &str, rest: &[&str]) -> Handled {
    let pairs = http::form_pairs(req).await?;
    let form: HashMap<String, String> = pairs.iter().cloned().collect();
    check_form(req, form.get("csrf"))?;
    let path = format!("/orgs/{key}/settings/{tab}");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let app = cx.app();
    let checked = |name: &str| form.get(name).is_some_and(|v| v == "on" || v == "1");
    let result = match (tab, rest) {
        ("authentication", ["save" | "import"]) => {
            let import = rest == ["import"];
            let skew = field(&form, "clock_skew_seconds").trim();
            let skew = if skew.is_empty() {
                Ok(None)
            } else {
                skew.parse::<i64>().map(Some).map_err(|_| {
                    orgpass_core::Invalid::from(FieldError::new(
                        "clock_skew_seconds",
                        "invalid_clock_skew",
                        "The clock skew is a number of seconds from 0 to 600.",
                    ))
                })
            };
            let settings = skew.and_then(|clock_skew_seconds| {
                let body = SamlBody {
                    idp_metadata_xml: import.then(|| field(&form, "idp_metadata_xml").to_owned()),
                    idp_entity_id: Some(field(&form, "idp_entity_id").to_owned()),
                    idp_sso_url: Some(field(&form, "idp_sso_url").to_owned()),
                    idp_certificates: Some(vec![
                        field(&form, "certificate_1").to_owned(),
                        field(&form, "certificate_2").to_owned(),
                    ]),
                    allow_idp_initiated: Some(checked("allow_idp_initiated")),
                    clock_skew_seconds,
                    allow_sha1: Some(checked("allow_sha1")),
                };
                if import
                    && body
                        .idp_metadata_xml
                        .as_deref()
                        .is_none_or(|x| x.trim().is_empty())
                {
                    return Err(FieldError::new(
                        "idp_metadata_xml",
                        "invalid_metadata",
                        "Paste the IdP's SAML metadata XML.",
                    )
                    .into());
                }
                body.settings()
            });
            app.save_saml_settings(&token, key, settings)
                .await
                .map(|_| ())
        }
        ("authentication", ["delete"]) => app.remove_saml_settings(&token, key).await,
        // The secret is shown on this one answer (never in a URL or a redirect).
        ("authentication", ["scim-tokens", "create"]) => {
            match app.create_scim_token(&token, key).await {
                Ok((_, secret)) => {
                    let feedback = Feedback {
                        notice: Some(
                            "Provisioning token created. Copy it now: it is shown only once.",
                        ),
                        ..Feedback::default()
                    };
                    let mut page = render(
                        req,
                        cx,
                        &token,
                        key,
                        tab,
                        201,
                        &feedback,
                        &HashMap::new(),
                        Some(secret.expose()),
                    )
                    .await?;
                    page.headers_mut().set("cache-control", "no-store")?;
                    return Ok(page);
                }
                Err(e) => Err(e),
            }
        }
        ("authentication", ["scim-tokens", id, "revoke"]) => {
            app.revoke_scim_token(&token, key, id).await
        }
        ("managed-accounts", ["create"]) => {
            let input = ManagedInput {
                email: field(&form, "email"),
                name: field(&form, "name"),
                role: field(&form, "role"),
                group_ids: pairs
                    .iter()
                    .filter(|(k, _)| k == "group_ids")
                    .map(|(_, v)| v.as_str())
                    .collect(),
            };
            let created = app
                .create_managed_account(&token, key, &input)
                .await
                .map(|_| ());
            if created.is_ok() {
                cx.deliver_mail_soon();
            }
            created
        }
        ("managed-accounts", [id, "delete"]) => app.remove_managed_account(&token, key, id).await,
        _ => return Err(ApiError::RouteNotFound),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("{path}?done=1"))?),
        Err(AppError::Unauthenticated) => login_redirect(&path),
        Err(AppError::Invalid(invalid)) => {
            let feedback = Feedback {
                errors: &invalid.0,
                ..Feedback::default()
            };
            render(req, cx, &token, key, tab, 400, &feedback, &form, None).await
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
            render(req, cx, &token, key, tab, d.status, &feedback, &form, None).await
        }
    }
}
