//! Organizations: the form that creates one, and the settings page's profile tab.

use orgpass_app::pages::ProfileTab;
use orgpass_core::{organization::CATALOGUE, FieldError};

use crate::views::{
    checkbox, csrf_input, field_error, html, page, settings_frame, Chrome, Feedback, Field,
};

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
    let product_error = errors.iter().find(|e| e.field == "product");
    let body = html! {
        section.card {
            h1 { "Create an organization" }
            form method="post" action="/orgs/new" novalidate {
                (csrf_input(csrf))
                (Field::new("Organization name", "name", "text", name, errors).required())
                fieldset {
                    legend { "Start a free trial of" }
                    @for p in CATALOGUE {
                        label.choice {
                            input type="radio" name="product" value=(p.key) checked[p.key == product];
                            " " strong { (p.name) } " "
                            span.muted { (p.summary) " · " (p.trial_days) "-day free trial" }
                        }
                    }
                    @if let Some(e) = product_error { p.error { (e.message) } }
                }
                (Field::new("Organization ID (optional)", "organization_id", "text", organization_id, errors)
                    .pattern("[a-z0-9-]{3,20}"))
                p.muted { "The organization ID is what your colleagues type to log in with single sign-on. Leave it empty to get one made from the name." }
                button type="submit" { "Create organization" }
            }
        }
    };
    page("New organization", chrome, &body)
}

/// The settings page, profile tab.
#[must_use]
pub fn settings_profile(
    chrome: &Chrome<'_>,
    tab: &ProfileTab,
    form: (&str, &str),
    errors: &[FieldError],
    feedback: &Feedback<'_>,
) -> String {
    let csrf = chrome.csrf;
    let view = &tab.view;
    let org = &view.org;
    let body = html! {
        dl.facts {
            dt { "Organization ID" } dd { code { (org.organization_id.as_str()) } }
            dt { "Space key" } dd { code { (org.space_key.as_str()) } }
            dt { "Your role" } dd { (view.membership.role.as_str()) }
            dt { "Created" } dd { (org.created_at.to_rfc3339()) }
            dt { "Single sign-on add-on" } dd { (org.pass.status()) }
            dt { "Two-step verification" } dd { @if org.require_two_step { "required of every member" } @else { "up to each member" } }
        }
        h2 { "Products" }
        ul {
            @for p in &org.products {
                li {
                    strong { (p.product) } " "
                    span.muted {
                        (p.plan) " · " (p.status)
                        @if let Some(t) = p.trial_ends_at { " · trial ends " (t.to_rfc3339()) }
                    }
                }
            }
        }
        @if tab.may_edit {
            h2 { "Edit profile" }
            form method="post" action={ "/orgs/" (org.space_key.as_str()) "/settings" } novalidate {
                (csrf_input(csrf))
                (Field::new("Organization name", "name", "text", form.0, errors).required())
                (Field::new("Organization ID", "organization_id", "text", form.1, errors).required())
                (checkbox("Require two-step verification of every member (managed accounts are exempt: their IdP decides)", "require_two_step", org.require_two_step))
                @if !view.viewer.two_step {
                    p.muted { "To require it, first " a href="/account#two-step" { "turn it on for your own account" } "." }
                }
                (field_error(errors, "require_two_step"))
                button type="submit" { "Save" }
            }
        } @else {
            p.muted { "Only administrators can change the profile." }
        }
    };
    settings_frame(chrome, view, "Profile", feedback, &body)
}
