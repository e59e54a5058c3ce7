//! The Authentication (SAML) and Managed accounts settings tabs. Forms post to
//! `/orgs/{org}/settings/{tab}[/{id}]/{action}`; [`submit`] checks the form, makes one
//! use-case call and answers 303 back to the tab, or the tab again with what was refused.

use crate::single_sign_on::api::SamlBody;
use crate::views::alert;
use crate::views::page;
use crate::views::tabs;
use crate::views::Chrome;
use crate::views::Feedback;
use crate::web::auth::check_form;
use crate::web::context::Ctx;
use crate::web::error::describe;
use crate::web::error::error_page;
use crate::web::error::ApiError;
use crate::web::http;
use crate::web::http::see_other;
use crate::web::page::cookie_session;
use crate::web::page::csrf;
use crate::web::page::field;
use crate::web::page::html;
use crate::web::page::login_redirect;
use crate::web::Handled;
use orgpass_app::html::escape;
use orgpass_app::orgs::OrgView;
use orgpass_app::ports::GroupRecord;
use orgpass_app::ports::MemberRecord;
use orgpass_app::ports::SsoFailureRecord;
use orgpass_app::sso::ManagedInput;
use orgpass_app::sso::SamlView;
use orgpass_app::AppError;
use orgpass_core::saml_settings::Expiry;
use orgpass_core::saml_settings::DEFAULT_CLOCK_SKEW_SECONDS;
use orgpass_core::FieldError;
use orgpass_core::Role;
use orgpass_core::Timestamp;
use orgpass_core::TokenHash;
use std::collections::HashMap;
use worker::Request;

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
    render(req, cx, &token, key, tab, 200, &feedback, &HashMap::new()).await
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
) -> Handled {
    let path = format!("/orgs/{key}/settings/{tab}");
    let app = cx.app();
    let refused = |e: AppError| match e {
        AppError::Unauthenticated => login_redirect(&path),
        e => error_page(&e.into(), None),
    };
    let (csrf, cookies) = csrf(req)?;
    let (view, body) = if tab == "authentication" {
        let (view, saml, failures) = match app.authentication_tab(token, key).await {
            Ok(found) => found,
            Err(e) => return refused(e),
        };
        let body = authentication(&csrf, &view, &saml, &failures, feedback, typed, cx.now);
        (view, body)
    } else {
        let (view, groups) = match app.list_groups(token, key).await {
            Ok(found) => found,
            Err(e) => return refused(e),
        };
        if view.membership.role != Role::Administrator {
            return error_page(&AppError::Forbidden.into(), Some(&view.viewer));
        }
        let page = app
            .list_members(token, key, None, orgpass_app::members::MAX_PAGE)
            .await?;
        let managed: Vec<&MemberRecord> = page.members.iter().filter(|m| m.managed).collect();
        let body = managed_accounts(&csrf, &view, &managed, &groups, feedback, typed);
        (view, body)
    };
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    let title = if tab == "authentication" {
        "authentication"
    } else {
        "managed accounts"
    };
    html(
        status,
        &page(&format!("{} {title}", view.org.name), &chrome, &body),
        &cookies,
    )
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
    let cache = cx.saml_cache();
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
            app.save_saml_settings(&cache, &token, key, settings)
                .await
                .map(|_| ())
        }
        ("authentication", ["delete"]) => app.remove_saml_settings(&cache, &token, key).await,
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
            render(req, cx, &token, key, tab, 400, &feedback, &form).await
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
            render(req, cx, &token, key, tab, d.status, &feedback, &form).await
        }
    }
}

fn error_of(errors: &[FieldError], name: &str) -> String {
    errors
        .iter()
        .find(|e| e.field == name)
        .map_or_else(String::new, |e| {
            format!(
                r#"<p class="error" id="{name}-error">{}</p>"#,
                escape(e.message)
            )
        })
}

fn textarea(label: &str, name: &str, value: &str, errors: &[FieldError], rows: u8) -> String {
    format!(
        r#"<div class="field"><label for="{name}">{label}</label><textarea id="{name}" name="{name}" rows="{rows}" spellcheck="false">{value}</textarea>{error}</div>"#,
        label = escape(label),
        value = escape(value),
        error = error_of(errors, name),
    )
}

fn checkbox(label: &str, name: &str, on: bool) -> String {
    let checked = if on { " checked" } else { "" };
    format!(
        r#"<div class="field"><label><input type="checkbox" name="{name}"{checked}> {label}</label></div>"#,
        label = escape(label)
    )
}

fn notice(feedback: &Feedback<'_>) -> String {
    feedback.notice.map_or_else(String::new, |n| {
        format!(r#"<p class="notice" role="status">{}</p>"#, escape(n))
    })
}

fn authentication(
    csrf: &str,
    view: &OrgView,
    saml: &SamlView,
    failures: &[SsoFailureRecord],
    feedback: &Feedback<'_>,
    typed: &HashMap<String, String>,
    now: Timestamp,
) -> String {
    let org = &view.org;
    let key = escape(org.space_key.as_str());
    let csrf = escape(csrf);
    let errors = feedback.errors;
    let settings = saml.record.as_ref().map(|r| &r.settings);
    let value = |name: &str, stored: Option<String>| {
        typed.get(name).cloned().or(stored).unwrap_or_default()
    };
    let inactive = if org.pass.sso_allowed(now) {
        String::new()
    } else {
        r#"<p class="alert" role="alert">The single sign-on add-on is not in its trial or active: SAML settings cannot be changed and managed accounts cannot log in. See the Plan tab.</p>"#.to_owned()
    };
    let sp = format!(
        r#"<h2>For your identity provider</h2><dl class="facts"><dt>SP entity ID (Audience)</dt><dd><code id="sp-entity-id">{entity}</code></dd><dt>ACS URL (HTTP-POST)</dt><dd><code id="acs-url">{acs}</code></dd><dt>NameID format</dt><dd><code>emailAddress</code></dd><dt>SP metadata</dt><dd><a href="{meta}" id="sp-metadata">{meta}</a></dd></dl>"#,
        entity = escape(&saml.sp.entity_id),
        acs = escape(&saml.sp.acs_url),
        meta = escape(&saml.sp.metadata_url),
    );
    let current = match (&saml.record, settings) {
        (Some(record), Some(s)) => {
            let certs: String = s
                .certificates
                .iter()
                .map(|c| {
                    let warning = match Expiry::of(c, now) {
                        Expiry::Valid => String::new(),
                        Expiry::Soon(days) => format!(r#" <strong class="warning">expires in {days} days: add the IdP's next certificate</strong>"#),
                        Expiry::Expired => r#" <strong class="warning">expired (still trusted because it is configured; replace it when the IdP rotates)</strong>"#.to_owned(),
                    };
                    format!(
                        r#"<li class="certificate">{subject} · {kind} · expires {end}{warning}<br><code class="muted">SHA-256 {fp}</code></li>"#,
                        subject = escape(c.subject()),
                        kind = escape(&c.key_description()),
                        end = escape(&c.not_after().to_rfc3339()),
                        fp = escape(&c.fingerprint_sha256()),
                    )
                })
                .collect();
            format!(
                r#"<h2>Current settings</h2><dl class="facts" id="saml-current"><dt>IdP entity ID</dt><dd><code>{entity}</code></dd><dt>IdP SSO URL</dt><dd><code>{sso}</code></dd><dt>Signing certificates</dt><dd><ul>{certs}</ul></dd><dt>IdP-initiated login</dt><dd>{idp}</dd><dt>Clock skew</dt><dd>{skew} s</dd><dt>SHA-1</dt><dd>{sha1}</dd><dt>Saved</dt><dd>{saved}</dd></dl><form method="post" action="/orgs/{key}/settings/authentication/delete" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" class="link">Remove SAML settings</button></form>"#,
                entity = escape(&s.idp_entity_id),
                sso = escape(&s.idp_sso_url),
                idp = if s.allow_idp_initiated {
                    "allowed"
                } else {
                    "not allowed"
                },
                skew = s.clock_skew_seconds,
                sha1 = if s.allow_sha1 { "allowed" } else { "refused" },
                saved = escape(&record.updated_at.to_rfc3339()),
            )
        }
        _ => r#"<p id="saml-current">SAML is not configured yet.</p>"#.to_owned(),
    };
    let cert = |i: usize| {
        settings
            .and_then(|s| s.certificates.get(i))
            .map(orgpass_core::saml_settings::pem)
    };
    let skew_value = value(
        "clock_skew_seconds",
        Some(
            settings
                .map_or(DEFAULT_CLOCK_SKEW_SECONDS, |s| s.clock_skew_seconds)
                .to_string(),
        ),
    );
    let idp_initiated = typed.get("allow_idp_initiated").is_some()
        || (typed.is_empty() && settings.is_some_and(|s| s.allow_idp_initiated));
    let sha1 = typed.get("allow_sha1").is_some()
        || (typed.is_empty() && settings.is_some_and(|s| s.allow_sha1));
    let options = format!(
        "{}{}{}",
        checkbox(
            "Allow IdP-initiated login",
            "allow_idp_initiated",
            idp_initiated
        ),
        crate::views::field(
            "Allowed clock skew (seconds, 0–600)",
            "clock_skew_seconds",
            "number",
            &skew_value,
            errors,
            r#"min="0" max="600""#
        ),
        checkbox(
            "Allow SHA-1 signatures (only if your IdP cannot do better)",
            "allow_sha1",
            sha1
        ),
    );
    let manual = format!(
        r#"<h2>Configure</h2><form method="post" action="/orgs/{key}/settings/authentication/save" novalidate id="saml-form"><input type="hidden" name="csrf" value="{csrf}">{entity}{sso}{c1}{c2}{options}<button type="submit">Save SAML settings</button></form>"#,
        entity = crate::views::field(
            "IdP entity ID (Issuer)",
            "idp_entity_id",
            "text",
            &value("idp_entity_id", settings.map(|s| s.idp_entity_id.clone())),
            errors,
            "required"
        ),
        sso = crate::views::field(
            "IdP SSO URL (HTTP-Redirect)",
            "idp_sso_url",
            "url",
            &value("idp_sso_url", settings.map(|s| s.idp_sso_url.clone())),
            errors,
            "required"
        ),
        c1 = textarea(
            "Signing certificate (PEM)",
            "certificate_1",
            &value("certificate_1", cert(0)),
            errors,
            6
        ),
        c2 = textarea(
            "Second signing certificate, during a rotation (optional)",
            "certificate_2",
            &value("certificate_2", cert(1)),
            &[],
            4
        ),
    ) + &error_of(errors, "idp_certificates");
    let import = format!(
        r#"<h2>Or import the IdP's metadata</h2><form method="post" action="/orgs/{key}/settings/authentication/import" novalidate id="metadata-form"><input type="hidden" name="csrf" value="{csrf}">{xml}{options}<button type="submit">Import metadata</button></form>"#,
        xml = textarea(
            "IdP metadata XML",
            "idp_metadata_xml",
            typed.get("idp_metadata_xml").map_or("", String::as_str),
            errors,
            8
        ),
    );
    let failure_rows: String = failures
        .iter()
        .map(|f| {
            format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&f.at.to_rfc3339()),
                escape(&f.reference),
                escape(&f.variant),
                escape(f.name_id.as_deref().unwrap_or("—")),
            )
        })
        .collect();
    let failures = if failures.is_empty() {
        r#"<p class="muted" id="sso-failures">No single sign-on failures.</p>"#.to_owned()
    } else {
        format!(
            r#"<table id="sso-failures"><thead><tr><th>Time</th><th>Reference</th><th>Cause</th><th>NameID</th></tr></thead><tbody>{failure_rows}</tbody></table>"#
        )
    };
    format!(
        r#"<section class="card wide"><p class="muted"><a href="/">Dashboard</a> / Settings</p><h1>{name}</h1>{tabs}{notice}{alert}{inactive}<p>Organization ID for single sign-on: <code>{org_id}</code> (people type it at “Log in with managed account”).</p>{sp}{current}{manual}{import}<h2>Last single sign-on failures</h2>{failures}</section>"#,
        name = escape(&org.name),
        tabs = tabs(org.space_key.as_str(), "Authentication"),
        notice = notice(feedback),
        alert = alert(feedback.alert),
        org_id = escape(org.organization_id.as_str()),
    )
}

fn managed_accounts(
    csrf: &str,
    view: &OrgView,
    managed: &[&MemberRecord],
    groups: &[GroupRecord],
    feedback: &Feedback<'_>,
    typed: &HashMap<String, String>,
) -> String {
    let org = &view.org;
    let key = escape(org.space_key.as_str());
    let csrf = escape(csrf);
    let errors = feedback.errors;
    let rows: String = managed
        .iter()
        .map(|m| {
            format!(
                r#"<tr id="managed-{id}"><td>{name}<br><span class="muted">{email}</span></td><td>{role}</td><td><form method="post" action="/orgs/{key}/settings/managed-accounts/{id}/delete" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" class="link">Delete account</button></form></td></tr>"#,
                id = escape(&m.account_id),
                name = escape(&m.name),
                email = escape(m.email.as_str()),
                role = m.membership.role.as_str(),
            )
        })
        .collect();
    let list = if managed.is_empty() {
        r#"<p class="muted">No managed accounts yet.</p>"#.to_owned()
    } else {
        format!(
            r#"<table id="managed-accounts"><thead><tr><th>Person</th><th>Role</th><th></th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    let typed_role = typed.get("role").map_or("member", String::as_str);
    let roles: String = ["member", "guest", "administrator"]
        .iter()
        .map(|r| {
            let selected = if *r == typed_role { " selected" } else { "" };
            format!(r#"<option value="{r}"{selected}>{r}</option>"#)
        })
        .collect();
    let group_boxes: String = groups
        .iter()
        .map(|g| {
            format!(
                r#"<label><input type="checkbox" name="group_ids" value="{id}"> {name}</label> "#,
                id = escape(&g.id),
                name = escape(&g.name)
            )
        })
        .collect();
    let group_field = if groups.is_empty() {
        String::new()
    } else {
        format!(
            r#"<fieldset class="field"><legend>Groups</legend>{group_boxes}{}</fieldset>"#,
            error_of(errors, "group_ids")
        )
    };
    format!(
        r#"<section class="card wide"><p class="muted"><a href="/">Dashboard</a> / Settings</p><h1>{name}</h1>{tabs}{notice}{alert}<p>Managed accounts belong to this organization and log in only through its SAML single sign-on (no password). Their email must be in a verified domain.</p>{list}<h2>Create a managed account</h2><form method="post" action="/orgs/{key}/settings/managed-accounts/create" novalidate id="managed-form"><input type="hidden" name="csrf" value="{csrf}">{email}{person}<div class="field"><label for="role">Role</label><select id="role" name="role">{roles}</select></div>{group_field}<button type="submit">Create managed account</button></form></section>"#,
        name = escape(&org.name),
        tabs = tabs(org.space_key.as_str(), "Managed accounts"),
        notice = notice(feedback),
        alert = alert(feedback.alert),
        email = crate::views::field(
            "Email",
            "email",
            "email",
            typed.get("email").map_or("", String::as_str),
            errors,
            "required"
        ),
        person = crate::views::field(
            "Name",
            "name",
            "text",
            typed.get("name").map_or("", String::as_str),
            errors,
            "required"
        ),
    )
}
