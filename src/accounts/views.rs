//! Accounts: the sign-up and login forms, the dashboard, the landing page, the
//! set-password form, the email confirmation step.

use orgpass_app::ports::{AccountRecord, MembershipSummary};
use orgpass_core::FieldError;

use crate::views::{alert, csrf_input, html, message, page, Chrome, Field};

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
    let body = html! {
        section.card {
            h1 { "Create your account" }
            (alert(alert_text))
            form method="post" action="/signup" novalidate {
                (csrf_input(csrf))
                (Field::new("Email", "email", "email", email, errors).autocomplete("email").required())
                (Field::new("Your name", "name", "text", name, errors).autocomplete("name").required())
                (Field::new("Password (at least 10 characters)", "password", "password", "", errors)
                    .autocomplete("new-password").minlength(10).required())
                button type="submit" { "Sign up" }
            }
            p.muted { "Already have an account? " a href="/login" { "Log in" } "." }
        }
    };
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
    let sso = format!(
        "/login/sso?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", return_to)
            .finish()
    );
    let body = html! {
        section.card {
            h1 { "Log in" }
            (alert(alert_text))
            form method="post" action="/login" novalidate {
                (csrf_input(csrf))
                input type="hidden" name="return_to" value=(return_to);
                (Field::new("Email", "email", "email", email, &[]).autocomplete("username").required())
                (Field::new("Password", "password", "password", "", &[]).autocomplete("current-password").required())
                button type="submit" { "Log in" }
            }
            p { a href="/forgot-password" id="forgot-password" { "Forgot password?" } }
            p { a.button.secondary href=(sso) id="sso-login" { "Log in with managed account" } }
            p.muted { "No account yet? " a href="/signup" { "Sign up" } ". No confirmation email? "
                a href="/verify-email/resend" { "Send it again" } "." }
        }
    };
    page("Log in", chrome, &body)
}

/// The dashboard of a signed-in person.
#[must_use]
pub fn dashboard(
    chrome: &Chrome<'_>,
    account: &AccountRecord,
    orgs: &[MembershipSummary],
) -> String {
    let body = html! {
        section.card {
            h1 { "Hello, " (account.name) }
            h2 { "Your organizations" }
            @if orgs.is_empty() {
                p.muted { "You are not in any organization yet." }
            } @else {
                ul.orgs {
                    @for o in orgs {
                        li {
                            a href={ "/orgs/" (o.space_key) "/settings" } { (o.name) } " "
                            span.muted { (o.organization_id) " · " (o.membership.role.as_str()) }
                        }
                    }
                }
            }
            p { a.button href="/orgs/new" { "Create an organization" } " " a href="/account" { "Account settings" } }
        }
    };
    page("Dashboard", chrome, &body)
}

/// The landing page for visitors.
#[must_use]
pub fn landing(chrome: &Chrome<'_>) -> String {
    let body = html! {
        section.card {
            h1 { "orgpass" }
            p { "One account and one organization for Tracker, Diagrams and Chat, with single sign-on for your company." }
            p { a.button href="/signup" { "Create an account" } " " a href="/login" { "Log in" } }
        }
    };
    page("Welcome", chrome, &body)
}

/// The form that sets a password from an emailed link.
#[must_use]
pub fn set_password(chrome: &Chrome<'_>, csrf: &str, token: &str, errors: &[FieldError]) -> String {
    let body = html! {
        section.card {
            h1 { "Choose a password" }
            form method="post" action="/set-password" novalidate {
                (csrf_input(csrf))
                input type="hidden" name="token" value=(token);
                (Field::new("New password (at least 10 characters)", "password", "password", "", errors)
                    .autocomplete("new-password").required())
                button type="submit" { "Save password" }
            }
        }
    };
    page("Choose a password", chrome, &body)
}

/// "Check your email" after signing up (in development, with a link to the mailbox).
#[must_use]
pub fn check_email(chrome: &Chrome<'_>, email: &str, development: bool) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .finish();
    let body = html! {
        p { "We sent a confirmation link to " strong { (email) } ". Open it to activate your account, then log in." }
        p.muted { "Nothing arrived? " a href={ "/verify-email/resend?" (query) } { "Send it again" } "." }
        @if development {
            p.muted {
                "Development: the message is in the "
                a href={ "/dev/mailbox?to=" (email) } { "development mailbox" } "."
            }
        }
    };
    message(chrome, "Check your email", &body)
}

/// An emailed link did its work: `{email} {what}`, and the way to the login.
#[must_use]
pub fn done_log_in(chrome: &Chrome<'_>, email: &str, title: &str, what: &str) -> String {
    let body = html! {
        p { "Thank you: " strong { (email) } " " (what) "." }
        p { a.button href="/login" { "Log in" } }
    };
    message(chrome, title, &body)
}

/// The email confirmation opened in another browser: the password chosen at sign-up
/// confirms it.
#[must_use]
pub fn confirm_with_password(
    chrome: &Chrome<'_>,
    csrf: &str,
    token: &str,
    email: &str,
    errors: &[FieldError],
) -> String {
    let body = html! {
        section.card {
            h1 { "Confirm your email" }
            p { "To confirm " strong { (email) } ", enter the password chosen when this account was created." }
            form method="post" action="/verify-email" {
                (csrf_input(csrf))
                input type="hidden" name="token" value=(token);
                (Field::new("Password", "password", "password", "", errors).autocomplete("current-password").required())
                button type="submit" { "Confirm" }
            }
            p.muted { "Did not sign up? Ignore this: nothing happens without the password, and the unconfirmed account is deleted after 7 days." }
        }
    };
    page("Confirm your email", chrome, &body)
}
