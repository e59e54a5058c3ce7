//! The plan: its views.

use crate::views::*;
use orgpass_app::html::escape;
use orgpass_app::orgs::OrgView;

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
