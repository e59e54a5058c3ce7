//! Domains: its views.

use crate::views::*;
use orgpass_app::html::escape;
use orgpass_app::orgs::OrgView;

/// The domains tab: each domain with the exact record to publish, its state, the last
/// check and what it found; a form to add one.
#[must_use]
pub fn domains(
    chrome: &Chrome<'_>,
    csrf: &str,
    view: &OrgView,
    list: &[orgpass_app::ports::DomainRecord],
    feedback: &Feedback<'_>,
    typed: &str,
) -> String {
    let org = &view.org;
    let key = escape(org.space_key.as_str());
    let csrf = escape(csrf);
    let rows: String = list
        .iter()
        .map(|d| {
            let found = if d.last_found.is_empty() {
                "nothing".to_owned()
            } else {
                d.last_found.iter().map(|v| format!("<code>{}</code>", escape(v))).collect::<Vec<_>>().join(", ")
            };
            let checked = d.last_checked_at.map_or_else(|| "not yet".to_owned(), |t| t.to_rfc3339());
            format!(
                r#"<article class="domain" id="domain-{id}"><h2>{name} <span class="status">{status}</span></h2><p>Publish this DNS record:</p><dl class="facts record"><dt>Name</dt><dd><code>{txt_name}</code></dd><dt>Type</dt><dd><code>TXT</code></dd><dt>Value</dt><dd><code>{value}</code></dd></dl><p class="muted">Last checked: {checked}. Found: {found}.</p><form method="post" action="/orgs/{key}/settings/domains/{id}/verify" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit">Check now</button></form> <form method="post" action="/orgs/{key}/settings/domains/{id}/delete" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" class="link">Delete</button></form></article>"#,
                id = escape(&d.id),
                name = escape(d.name.as_str()),
                status = d.state.status(),
                txt_name = escape(&d.name.challenge_name()),
                value = escape(&d.txt_value),
            )
        })
        .collect();
    let notice = feedback.notice.map_or_else(String::new, |n| {
        format!(r#"<p class="notice" role="status">{}</p>"#, escape(n))
    });
    let body = format!(
        r#"<section class="card wide"><p class="muted"><a href="/">Dashboard</a> / Settings</p><h1>{name}</h1>{tabs}{notice}{alert}<p>Verify the domains your people's email addresses use: managed accounts can only be created in verified domains.</p>{rows}<h2>Add a domain</h2><form method="post" action="/orgs/{key}/settings/domains/add" novalidate><input type="hidden" name="csrf" value="{csrf}">{field}<button type="submit">Add domain</button></form></section>"#,
        name = escape(&org.name),
        tabs = tabs(org.space_key.as_str(), "Domains"),
        alert = alert(feedback.alert),
        field = field(
            "Domain",
            "domain",
            "text",
            typed,
            feedback.errors,
            r#"placeholder="example.com" required"#
        ),
    );
    page(&format!("{} domains", org.name), chrome, &body)
}
