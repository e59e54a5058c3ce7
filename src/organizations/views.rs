//! Organizations: its views.

use crate::views::*;
use orgpass_app::html::escape;
use orgpass_app::orgs::OrgView;
use orgpass_core::organization::CATALOGUE;
use orgpass_core::FieldError;

/// The form that creates an organization.
#[must_use]
pub fn new_org(
    chrome: &Chrome<'_>,
    csrf: &str,
    name: &str,
    product: &str,
    organization_id: &str,
    errors: &[FieldError],
) -> String {
    let options: String = CATALOGUE
        .iter()
        .map(|p| {
            let checked = if p.key == product { " checked" } else { "" };
            format!(
                r#"<label class="choice"><input type="radio" name="product" value="{key}"{checked}> <strong>{name}</strong> <span class="muted">{summary} · {days}-day free trial</span></label>"#,
                key = p.key,
                name = p.name,
                summary = p.summary,
                days = p.trial_days,
            )
        })
        .collect();
    let product_error = errors
        .iter()
        .find(|e| e.field == "product")
        .map_or_else(String::new, |e| {
            format!(r#"<p class="error">{}</p>"#, escape(e.message))
        });
    let body = format!(
        r#"<section class="card"><h1>Create an organization</h1><form method="post" action="/orgs/new" novalidate><input type="hidden" name="csrf" value="{csrf}">{name}<fieldset><legend>Start a free trial of</legend>{options}{product_error}</fieldset>{org_id}<p class="muted">The organization ID is what your colleagues type to log in with single sign-on. Leave it empty to get one made from the name.</p><button type="submit">Create organization</button></form></section>"#,
        csrf = escape(csrf),
        name = field(
            "Organization name",
            "name",
            "text",
            name,
            errors,
            "required"
        ),
        org_id = field(
            "Organization ID (optional)",
            "organization_id",
            "text",
            organization_id,
            errors,
            r#"pattern="[a-z0-9-]{3,20}""#
        ),
    );
    page("New organization", chrome, &body)
}

/// The settings page, profile tab.
#[must_use]
pub fn settings_profile(
    chrome: &Chrome<'_>,
    csrf: &str,
    view: &OrgView,
    form: (&str, &str),
    errors: &[FieldError],
    notice: Option<&str>,
    alert_text: Option<&str>,
) -> String {
    let org = &view.org;
    let admin = view.membership.role == orgpass_core::Role::Administrator;
    let products: String = org
        .products
        .iter()
        .map(|p| {
            format!(
                "<li><strong>{}</strong> <span class=\"muted\">{} · {}{}</span></li>",
                escape(&p.product),
                escape(&p.plan),
                escape(&p.status),
                p.trial_ends_at
                    .map(|t| format!(" · trial ends {}", t.to_rfc3339()))
                    .unwrap_or_default()
            )
        })
        .collect();
    let edit = if admin {
        format!(
            r#"<h2>Edit profile</h2><form method="post" action="/orgs/{key}/settings" novalidate><input type="hidden" name="csrf" value="{csrf}">{name}{id}<button type="submit">Save</button></form>"#,
            key = escape(org.space_key.as_str()),
            csrf = escape(csrf),
            name = field(
                "Organization name",
                "name",
                "text",
                form.0,
                errors,
                "required"
            ),
            id = field(
                "Organization ID",
                "organization_id",
                "text",
                form.1,
                errors,
                "required"
            ),
        )
    } else {
        "<p class=\"muted\">Only administrators can change the profile.</p>".to_owned()
    };
    let notice = notice.map_or_else(String::new, |n| {
        format!(r#"<p class="notice" role="status">{}</p>"#, escape(n))
    });
    let body = format!(
        r#"<section class="card wide"><p class="muted"><a href="/">Dashboard</a> / Settings</p><h1>{name}</h1>{tabs}{notice}{alert}<dl class="facts"><dt>Organization ID</dt><dd><code>{id}</code></dd><dt>Space key</dt><dd><code>{key}</code></dd><dt>Your role</dt><dd>{role}</dd><dt>Created</dt><dd>{created}</dd><dt>Single sign-on add-on</dt><dd>{pass}</dd></dl><h2>Products</h2><ul>{products}</ul>{edit}</section>"#,
        name = escape(&org.name),
        key = escape(org.space_key.as_str()),
        id = escape(org.organization_id.as_str()),
        role = view.membership.role.as_str(),
        created = org.created_at.to_rfc3339(),
        pass = org.pass.status(),
        alert = alert(alert_text),
        tabs = tabs(org.space_key.as_str(), "Profile"),
    );
    page(&format!("{} settings", org.name), chrome, &body)
}
