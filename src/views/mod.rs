//! views.

use orgpass_app::html::escape;
use orgpass_app::orgs::OrgView;
use orgpass_app::ports::AccountRecord;
use orgpass_core::FieldError;

/// The stylesheet, served at `/static/orgpass.css` (the CSP allows no inline styles).
pub const CSS: &str = include_str!("orgpass.css");

/// What the header shows about the visitor.
pub struct Chrome<'a> {
    /// The signed-in account, if any.
    pub account: Option<&'a AccountRecord>,
    /// The CSRF token for the logout form.
    pub csrf: &'a str,
}

/// A whole page.
#[must_use]
pub fn page(title: &str, chrome: &Chrome<'_>, body: &str) -> String {
    let nav = match chrome.account {
        Some(account) => format!(
            r#"<span class="who">{}</span><form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="{}"><button type="submit" class="link">Log out</button></form>"#,
            escape(&account.email.to_string()),
            escape(chrome.csrf)
        ),
        None => {
            r#"<a href="/login">Log in</a> <a href="/signup" class="button">Sign up</a>"#.to_owned()
        }
    };
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · orgpass</title><link rel="stylesheet" href="/static/orgpass.css"></head><body><header><a href="/" class="brand">orgpass</a><nav>{nav}</nav></header><main>{body}</main></body></html>"#,
        title = escape(title),
    )
}

/// A labelled input with its error, if any.
#[must_use]
pub fn field(
    label: &str,
    name: &str,
    kind: &str,
    value: &str,
    errors: &[FieldError],
    extra: &str,
) -> String {
    let error = errors.iter().find(|e| e.field == name);
    let (class, message, described) = match error {
        Some(e) => (
            " invalid",
            format!(
                r#"<p class="error" id="{name}-error">{}</p>"#,
                escape(e.message)
            ),
            format!(r#" aria-invalid="true" aria-describedby="{name}-error""#),
        ),
        None => ("", String::new(), String::new()),
    };
    format!(
        r#"<div class="field{class}"><label for="{name}">{label}</label><input id="{name}" name="{name}" type="{kind}" value="{value}"{described} {extra}>{message}</div>"#,
        label = escape(label),
        value = escape(value),
    )
}

/// A banner for a refusal that belongs to no single field.
#[must_use]
pub fn alert(message: Option<&str>) -> String {
    message.map_or_else(String::new, |m| {
        format!(r#"<p class="alert" role="alert">{}</p>"#, escape(m))
    })
}

/// A message page (`h1` and a paragraph of HTML).
#[must_use]
pub fn message(chrome: &Chrome<'_>, title: &str, html: &str) -> String {
    page(
        title,
        chrome,
        &format!(
            "<section class=\"card\"><h1>{}</h1>{html}</section>",
            escape(title)
        ),
    )
}

/// What a page says back about the last submission.
#[derive(Clone, Copy, Default)]
pub struct Feedback<'a> {
    /// Refused fields, shown next to them.
    pub errors: &'a [FieldError],
    /// A success notice.
    pub notice: Option<&'a str>,
    /// A refusal that belongs to no field.
    pub alert: Option<&'a str>,
}

/// The settings tabs, with `current` marked.
pub(crate) fn tabs(key: &str, current: &str) -> String {
    let tab = |path: &str, label: &str| {
        let mark = if label == current {
            r#" aria-current="page""#
        } else {
            ""
        };
        format!(
            r#"<a href="/orgs/{key}/settings{path}"{mark}>{label}</a>"#,
            key = escape(key)
        )
    };
    format!(
        r#"<nav class="tabs" aria-label="Settings">{}{}{}{}{}{}{}{}{}</nav>"#,
        tab("", "Profile"),
        tab("/members", "Members"),
        tab("/invitations", "Invitations"),
        tab("/groups", "Groups"),
        tab("/projects", "Projects"),
        tab("/plan", "Plan"),
        tab("/domains", "Domains"),
        tab("/authentication", "Authentication"),
        tab("/managed-accounts", "Managed accounts")
    )
}

/// The script served at `/static/invite.js`.
pub const INVITE_JS: &str = include_str!("invite.js");

pub(crate) fn hidden(csrf: &str) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        escape(csrf)
    )
}

/// A one-button form posting to `action`.
pub(crate) fn button(action: &str, csrf: &str, label: &str, class: &str) -> String {
    format!(
        r#"<form method="post" action="{}" class="inline">{}<button type="submit" class="{class}">{}</button></form>"#,
        escape(action),
        hidden(csrf),
        escape(label)
    )
}

pub(crate) fn select(name: &str, label: &str, options: &[(&str, &str)], selected: &str) -> String {
    let options: String = options
        .iter()
        .map(|(value, text)| {
            let mark = if *value == selected { " selected" } else { "" };
            format!(
                r#"<option value="{}"{mark}>{}</option>"#,
                escape(value),
                escape(text)
            )
        })
        .collect();
    format!(
        r#"<label class="sr" for="{id}">{label}</label><select id="{id}" name="{name}">{options}</select>"#,
        id = escape(&format!("{name}-{}", label.len())),
        label = escape(label),
        name = escape(name),
    )
}

pub(crate) fn notice(feedback: &Feedback<'_>) -> String {
    let notice = feedback.notice.map_or_else(String::new, |n| {
        format!(r#"<p class="notice" role="status">{}</p>"#, escape(n))
    });
    format!("{notice}{}", alert(feedback.alert))
}

pub(crate) fn frame(
    chrome: &Chrome<'_>,
    view: &OrgView,
    tab: &str,
    feedback: &Feedback<'_>,
    body: &str,
) -> String {
    let org = &view.org;
    page(
        &format!("{} {}", org.name, tab.to_lowercase()),
        chrome,
        &format!(
            r#"<section class="card wide"><p class="muted"><a href="/">Dashboard</a> / Settings</p><h1>{name}</h1>{tabs}{notice}{body}</section>"#,
            name = escape(&org.name),
            tabs = tabs(org.space_key.as_str(), tab),
            notice = notice(feedback),
        ),
    )
}
