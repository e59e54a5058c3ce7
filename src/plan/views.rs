//! The plan: the plan tab (the add-on's state and what can be done next) and the
//! development checkout.

use orgpass_app::pages::PlanTab;
use orgpass_core::{pass::Pass, Timestamp};

use crate::views::{
    csrf_input, html, page, post_button, settings_frame, Chrome, Feedback, Field, Markup,
};

/// The plan tab. `form`: the application's admin name, admin email and company, as
/// typed.
#[must_use]
pub fn plan(
    chrome: &Chrome<'_>,
    tab: &PlanTab,
    now: Timestamp,
    feedback: &Feedback<'_>,
    form: [&str; 3],
) -> String {
    let csrf = chrome.csrf;
    let view = &tab.view;
    let org = &view.org;
    let key = org.space_key.as_str();
    let errors = feedback.errors;
    let button = |action: &str, label: &str| {
        post_button(
            &format!("/orgs/{key}/settings/plan/{action}"),
            csrf,
            label,
            "",
        )
    };
    let date = |t: Timestamp| t.to_rfc3339();
    let pass = org.pass.at(now);
    let (state, actions): (String, Markup) = match pass {
        Pass::None | Pass::Rejected => {
            let confirm = format!("Space key (type {key} to confirm)");
            let apply = html! {
                @if pass == Pass::Rejected {
                    p { "The last application was not approved. You may apply again." }
                }
                h2 { "Apply for a free 30-day trial" }
                form method="post" action={ "/orgs/" (key) "/settings/plan/apply" } novalidate {
                    (csrf_input(csrf))
                    (Field::new("Plan admin's name", "admin_name", "text", form[0], errors).required())
                    (Field::new("Plan admin's email", "admin_email", "email", form[1], errors).required())
                    (Field::new("Company name", "company_name", "text", form[2], errors).required())
                    (Field::new(&confirm, "space_key", "text", "", errors).required())
                    button type="submit" { "Apply" }
                }
            };
            ("Single sign-on is not part of this organization's plan yet.".to_owned(), apply)
        }
        Pass::Applied => (
            "Your application is being reviewed. Approval starts a free 30-day trial.".to_owned(),
            html! {},
        ),
        Pass::Trial { ends_at } => (
            format!("Free trial until {}.", date(ends_at)),
            button("upgrade", "Upgrade"),
        ),
        Pass::Active { period_end, cancel_at: None } => (
            format!("Active, paid until {}.", date(period_end)),
            button("cancel", "Cancel at period end"),
        ),
        Pass::Active { cancel_at: Some(at), .. } => (
            format!("Active until {}, then canceled.", date(at)),
            button("upgrade", "Keep subscription"),
        ),
        Pass::Expired => (
            "The trial or subscription has ended: single sign-on is off and managed accounts cannot log in. Your data and organization ID are kept.".to_owned(),
            button("upgrade", "Upgrade"),
        ),
        Pass::Canceled => (
            "The subscription was canceled. Your data and organization ID are kept.".to_owned(),
            button("upgrade", "Subscribe again"),
        ),
    };
    let body = html! {
        dl.facts { dt { "Single sign-on add-on" } dd id="pass-status" { (pass.status()) } }
        p { (state) }
        @if tab.may_manage {
            (actions)
        } @else {
            p.muted { "Only administrators can change the plan." }
        }
    };
    settings_frame(chrome, view, "Plan", feedback, &body)
}

/// The development checkout page (no card: a button that completes the payment).
#[must_use]
pub fn dev_checkout(chrome: &Chrome<'_>, csrf: &str, key: &str, name: &str) -> String {
    let body = html! {
        section.card {
            h1 { "Test checkout" }
            p {
                "Development payment provider: no card is charged. Completing the payment sends a signed "
                code { "checkout.session.completed" }
                " event through the same webhook verification as the real provider."
            }
            p { "Single sign-on add-on for " strong { (name) } ", monthly." }
            form method="post" action="/dev/checkout" {
                (csrf_input(csrf))
                input type="hidden" name="org" value=(key);
                button type="submit" { "Complete test payment" }
            }
        }
    };
    page("Test checkout", chrome, &body)
}
