//! Server-rendered HTML. Every page works without JavaScript; every form field has a
//! label, and a refused field shows its message next to it.

use orgpass_app::html::escape;
use orgpass_app::orgs::OrgView;
use orgpass_app::ports::{AccountRecord, MailRecord, MembershipSummary};
use orgpass_core::organization::CATALOGUE;
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

/// The sign-up form.
#[must_use]
pub fn signup(
    chrome: &Chrome<'_>,
    csrf: &str,
    email: &str,
    name: &str,
    errors: &[FieldError],
    alert_text: Option<&str>,
) -> String {
    let body = format!(
        r#"<section class="card"><h1>Create your account</h1>{alert}<form method="post" action="/signup" novalidate><input type="hidden" name="csrf" value="{csrf}">{email}{name}{password}<button type="submit">Sign up</button></form><p class="muted">Already have an account? <a href="/login">Log in</a>.</p></section>"#,
        alert = alert(alert_text),
        csrf = escape(csrf),
        email = field(
            "Email",
            "email",
            "email",
            email,
            errors,
            r#"autocomplete="email" required"#
        ),
        name = field(
            "Your name",
            "name",
            "text",
            name,
            errors,
            r#"autocomplete="name" required"#
        ),
        password = field(
            "Password (at least 10 characters)",
            "password",
            "password",
            "",
            errors,
            r#"autocomplete="new-password" minlength="10" required"#
        ),
    );
    page("Sign up", chrome, &body)
}

/// The login form.
#[must_use]
pub fn login(
    chrome: &Chrome<'_>,
    csrf: &str,
    email: &str,
    return_to: &str,
    alert_text: Option<&str>,
) -> String {
    let body = format!(
        r#"<section class="card"><h1>Log in</h1>{alert}<form method="post" action="/login" novalidate><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="return_to" value="{return_to}">{email}{password}<button type="submit">Log in</button></form><p><a href="{sso}" class="button secondary" id="sso-login">Log in with managed account</a></p><p class="muted">No account yet? <a href="/signup">Sign up</a>.</p></section>"#,
        alert = alert(alert_text),
        csrf = escape(csrf),
        return_to = escape(return_to),
        sso = escape(&format!(
            "/login/sso?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("return_to", return_to)
                .finish()
        )),
        email = field(
            "Email",
            "email",
            "email",
            email,
            &[],
            r#"autocomplete="username" required"#
        ),
        password = field(
            "Password",
            "password",
            "password",
            "",
            &[],
            r#"autocomplete="current-password" required"#
        ),
    );
    page("Log in", chrome, &body)
}

/// The dashboard of a signed-in person.
#[must_use]
pub fn dashboard(
    chrome: &Chrome<'_>,
    account: &AccountRecord,
    orgs: &[MembershipSummary],
) -> String {
    let list = if orgs.is_empty() {
        "<p class=\"muted\">You are not in any organization yet.</p>".to_owned()
    } else {
        let items: String = orgs
            .iter()
            .map(|o| {
                format!(
                    r#"<li><a href="/orgs/{key}/settings">{name}</a> <span class="muted">{id} · {role}</span></li>"#,
                    key = escape(&o.space_key),
                    name = escape(&o.name),
                    id = escape(&o.organization_id),
                    role = o.membership.role.as_str(),
                )
            })
            .collect();
        format!("<ul class=\"orgs\">{items}</ul>")
    };
    let body = format!(
        r#"<section class="card"><h1>Hello, {name}</h1><h2>Your organizations</h2>{list}<p><a class="button" href="/orgs/new">Create an organization</a></p></section>"#,
        name = escape(&account.name),
    );
    page("Dashboard", chrome, &body)
}

/// The landing page for visitors.
#[must_use]
pub fn landing(chrome: &Chrome<'_>) -> String {
    page(
        "Welcome",
        chrome,
        r#"<section class="card"><h1>orgpass</h1><p>One account and one organization for Tracker, Diagrams and Chat, with single sign-on for your company.</p><p><a class="button" href="/signup">Create an account</a> <a href="/login">Log in</a></p></section>"#,
    )
}

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

/// The development mailbox.
#[must_use]
pub fn mailbox(chrome: &Chrome<'_>, to: &str, messages: &[MailRecord]) -> String {
    let items: String = messages
        .iter()
        .map(|m| {
            let links: String = orgpass_app::mail::links(&m.mail.text)
                .iter()
                .map(|l| format!(r#"<li><a href="{0}">{0}</a></li>"#, escape(l)))
                .collect();
            format!(
                "<article class=\"mail\"><h2>{}</h2><p class=\"muted\">to {} · {}</p><pre>{}</pre><ul>{links}</ul></article>",
                escape(&m.mail.subject),
                escape(m.mail.to.as_str()),
                m.created_at.to_rfc3339(),
                escape(&m.mail.text),
            )
        })
        .collect();
    let body = format!(
        r#"<section class="card wide"><h1>Development mailbox</h1><form method="get" action="/dev/mailbox"><div class="field"><label for="to">Recipient</label><input id="to" name="to" type="email" value="{to}"></div><button type="submit">Show mail</button></form>{items}</section>"#,
        to = escape(to),
    );
    page("Mailbox", chrome, &body)
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
pub(super) fn tabs(key: &str, current: &str) -> String {
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

/// The plan tab: the add-on's state and what can be done next.
#[must_use]
pub fn plan(
    chrome: &Chrome<'_>,
    csrf: &str,
    view: &OrgView,
    now: orgpass_core::Timestamp,
    feedback: &Feedback<'_>,
    form: [&str; 3],
) -> String {
    let Feedback {
        errors,
        notice,
        alert: alert_text,
    } = *feedback;
    use orgpass_core::pass::Pass;
    let org = &view.org;
    let key = escape(org.space_key.as_str());
    let admin = view.membership.role == orgpass_core::Role::Administrator;
    let button = |action: &str, label: &str| {
        format!(
            r#"<form method="post" action="/orgs/{key}/settings/plan/{action}" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit">{label}</button></form>"#,
            csrf = escape(csrf)
        )
    };
    let date = |t: orgpass_core::Timestamp| t.to_rfc3339();
    let (state, actions) = match org.pass.at(now) {
        Pass::None | Pass::Rejected => {
            let rejected = if org.pass.at(now) == Pass::Rejected {
                "<p>The last application was not approved. You may apply again.</p>"
            } else {
                ""
            };
            let apply = format!(
                r#"{rejected}<h2>Apply for a free 30-day trial</h2><form method="post" action="/orgs/{key}/settings/plan/apply" novalidate><input type="hidden" name="csrf" value="{csrf}">{name}{email}{company}{space}<button type="submit">Apply</button></form>"#,
                csrf = escape(csrf),
                name = field("Plan admin's name", "admin_name", "text", form[0], errors, "required"),
                email = field("Plan admin's email", "admin_email", "email", form[1], errors, "required"),
                company = field("Company name", "company_name", "text", form[2], errors, "required"),
                space = field(&format!("Space key (type {} to confirm)", org.space_key), "space_key", "text", "", errors, "required"),
            );
            ("Single sign-on is not part of this organization's plan yet.".to_owned(), apply)
        }
        Pass::Applied => ("Your application is being reviewed. Approval starts a free 30-day trial.".to_owned(), String::new()),
        Pass::Trial { ends_at } => (format!("Free trial until {}.", date(ends_at)), button("upgrade", "Upgrade")),
        Pass::Active { period_end, cancel_at: None } => (format!("Active, paid until {}.", date(period_end)), button("cancel", "Cancel at period end")),
        Pass::Active { cancel_at: Some(at), .. } => (format!("Active until {}, then canceled.", date(at)), button("upgrade", "Keep subscription")),
        Pass::Expired => ("The trial or subscription has ended: single sign-on is off and managed accounts cannot log in. Your data and organization ID are kept.".to_owned(), button("upgrade", "Upgrade")),
        Pass::Canceled => ("The subscription was canceled. Your data and organization ID are kept.".to_owned(), button("upgrade", "Subscribe again")),
    };
    let actions = if admin {
        actions
    } else {
        "<p class=\"muted\">Only administrators can change the plan.</p>".to_owned()
    };
    let notice = notice.map_or_else(String::new, |n| {
        format!(r#"<p class="notice" role="status">{}</p>"#, escape(n))
    });
    let body = format!(
        r#"<section class="card wide"><p class="muted"><a href="/">Dashboard</a> / Settings</p><h1>{name}</h1>{tabs}{notice}{alert}<dl class="facts"><dt>Single sign-on add-on</dt><dd id="pass-status">{status}</dd></dl><p>{state}</p>{actions}</section>"#,
        name = escape(&org.name),
        tabs = tabs(org.space_key.as_str(), "Plan"),
        status = org.pass.at(now).status(),
        state = escape(&state),
        alert = alert(alert_text),
    );
    page(&format!("{} plan", org.name), chrome, &body)
}

/// The development checkout page (no card: a button that completes the payment).
#[must_use]
pub fn dev_checkout(chrome: &Chrome<'_>, csrf: &str, key: &str, name: &str) -> String {
    let body = format!(
        r#"<section class="card"><h1>Test checkout</h1><p>Development payment provider: no card is charged. Completing the payment sends a signed <code>checkout.session.completed</code> event through the same webhook verification as the real provider.</p><p>Single sign-on add-on for <strong>{name}</strong>, monthly.</p><form method="post" action="/dev/checkout"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="org" value="{key}"><button type="submit">Complete test payment</button></form></section>"#,
        name = escape(name),
        csrf = escape(csrf),
        key = escape(key),
    );
    page("Test checkout", chrome, &body)
}

/// The form that sets a password from an emailed link.
#[must_use]
pub fn set_password(chrome: &Chrome<'_>, csrf: &str, token: &str, errors: &[FieldError]) -> String {
    let body = format!(
        r#"<section class="card"><h1>Choose a password</h1><form method="post" action="/set-password" novalidate><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="token" value="{token}">{password}<button type="submit">Save password</button></form></section>"#,
        csrf = escape(csrf),
        token = escape(token),
        password = field(
            "New password (at least 10 characters)",
            "password",
            "password",
            "",
            errors,
            r#"autocomplete="new-password" required"#
        ),
    );
    page("Choose a password", chrome, &body)
}

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
