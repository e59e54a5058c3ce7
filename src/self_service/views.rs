//! Self-service pages: asking for a reset or a fresh verification link, choosing a
//! new password, confirming a new address, and the account page.

use orgpass_app::ports::{AccountOverview, SessionRecord};
use orgpass_core::{FieldError, Timestamp};

use crate::views::{
    csrf_input, html, message, notice, page, post_button, Chrome, Feedback, Field, Markup,
};

/// A time as people read it: `2026-12-02 03:58 UTC`.
fn when(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    format!("{} UTC", s.get(..16).unwrap_or(&s).replace('T', " "))
}

/// The form that asks for an emailed link (`action`: where it posts).
fn ask_for_link(
    chrome: &Chrome<'_>,
    (title, intro, button): (&str, &str, &str),
    action: &str,
    email: &str,
    feedback: &Feedback<'_>,
) -> String {
    let body = html! {
        section.card {
            h1 { (title) }
            (notice(feedback))
            p { (intro) }
            form method="post" action=(action) novalidate {
                (csrf_input(chrome.csrf))
                (Field::new("Email", "email", "email", email, feedback.errors).autocomplete("email").required())
                button type="submit" { (button) }
            }
            p.muted { a href="/login" { "Back to log in" } }
        }
    };
    page(title, chrome, &body)
}

/// `/forgot-password`.
#[must_use]
pub fn forgot_password(chrome: &Chrome<'_>, email: &str, feedback: &Feedback<'_>) -> String {
    ask_for_link(
        chrome,
        (
            "Forgot your password?",
            "Enter the email address of your account and we will send you a link to choose a new password.",
            "Send the link",
        ),
        "/forgot-password",
        email,
        feedback,
    )
}

/// `/verify-email/resend`.
#[must_use]
pub fn resend_verification(chrome: &Chrome<'_>, email: &str, feedback: &Feedback<'_>) -> String {
    ask_for_link(
        chrome,
        (
            "Send the confirmation link again",
            "Enter the address you signed up with and we will send a new confirmation link.",
            "Send a new link",
        ),
        "/verify-email/resend",
        email,
        feedback,
    )
}

/// The answer to every request for a link, whatever the address.
#[must_use]
pub fn link_sent(chrome: &Chrome<'_>, email: &str, development: bool) -> String {
    let body = html! {
        p { "If " strong { (email) } " belongs to an account, a link is on its way. It works once." }
        p.muted { "Nothing arrived after a few minutes? Check the spam folder, or ask again." }
        @if development {
            p.muted {
                "Development: the message is in the "
                a href={ "/dev/mailbox?to=" (email) } { "development mailbox" } "."
            }
        }
        p { a.button href="/login" { "Back to log in" } }
    };
    message(chrome, "Check your email", &body)
}

/// `/reset-password?token=`: the new password.
#[must_use]
pub fn reset_password(chrome: &Chrome<'_>, token: &str, errors: &[FieldError]) -> String {
    let body = html! {
        section.card {
            h1 { "Choose a new password" }
            p { "Setting it signs you out on every device." }
            form method="post" action="/reset-password" novalidate {
                (csrf_input(chrome.csrf))
                input type="hidden" name="token" value=(token);
                (Field::new("New password (at least 10 characters)", "password", "password", "", errors)
                    .autocomplete("new-password").minlength(10).required())
                button type="submit" { "Save the new password" }
            }
        }
    };
    page("Choose a new password", chrome, &body)
}

/// `/confirm-email?token=`: one button (a link's GET changes nothing).
#[must_use]
pub fn confirm_email(chrome: &Chrome<'_>, token: &str) -> String {
    let body = html! {
        p { "Confirm that this address is the new email address of your orgpass account." }
        form method="post" action="/confirm-email" {
            (csrf_input(chrome.csrf))
            input type="hidden" name="token" value=(token);
            button type="submit" { "Confirm the new address" }
        }
    };
    message(chrome, "Confirm your new email", &body)
}

/// The account is gone.
#[must_use]
pub fn deleted(chrome: &Chrome<'_>) -> String {
    let body = html! {
        p { "Your account, its sessions and its memberships are deleted. The address can sign up again." }
        p { a.button href="/" { "Back to orgpass" } }
    };
    message(chrome, "Account deleted", &body)
}

/// Which form of the account page a refusal belongs to (its errors show only there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The name.
    Name,
    /// The email change.
    Email,
    /// The password change.
    Password,
    /// Deletion.
    Delete,
    /// Sessions and organizations (buttons only).
    Other,
}

/// What the account page's forms show again after a refusal.
#[derive(Clone, Copy, Default)]
pub struct Typed<'a> {
    /// The name as typed.
    pub name: Option<&'a str>,
    /// The new email as typed.
    pub email: &'a str,
}

fn session_row(s: &SessionRecord, csrf: &str) -> Markup {
    html! {
        tr {
            td {
                (s.user_agent.as_str())
                @if s.current { " " strong { "(this session)" } }
            }
            td { (s.ip.as_str()) }
            td { (when(s.created_at)) }
            td { (when(s.last_used_at)) }
            td {
                @if !s.current {
                    (post_button(&format!("/account/sessions/{}/end", s.id), csrf, "End", "link"))
                }
            }
        }
    }
}

/// `/account`: name, email, password, sessions, organizations, deletion.
#[must_use]
pub fn account(
    chrome: &Chrome<'_>,
    overview: &AccountOverview,
    (section, feedback): (Section, &Feedback<'_>),
    typed: Typed<'_>,
) -> String {
    let a = &overview.account;
    let csrf = chrome.csrf;
    let errors = |s: Section| if s == section { feedback.errors } else { &[] };
    let body = html! {
        section.card.wide {
            p.muted { a href="/" { "Dashboard" } " / Account" }
            h1 { "Your account" }
            (notice(feedback))
            @if a.managed {
                p.muted { "This account is managed by its organization: its single sign-on decides how you log in." }
            }

            h2 { "Name" }
            form method="post" action="/account/name" novalidate {
                (csrf_input(csrf))
                (Field::new("Your name", "name", "text", typed.name.unwrap_or(&a.name), errors(Section::Name))
                    .autocomplete("name").required())
                button type="submit" { "Save the name" }
            }

            @if !a.managed {
                h2 { "Email" }
                p { "Your address is " strong { (a.email.as_str()) } ". A new one takes effect once you open the link we send to it." }
                form method="post" action="/account/email" novalidate {
                    (csrf_input(csrf))
                    (Field::new("New email address", "email", "email", typed.email, errors(Section::Email))
                        .id("new-email").autocomplete("email").required())
                    (Field::new("Current password", "current_password", "password", "", errors(Section::Email))
                        .id("email-password").autocomplete("current-password").required())
                    button type="submit" { "Change the email" }
                }

                h2 { "Password" }
                form method="post" action="/account/password" novalidate {
                    (csrf_input(csrf))
                    (Field::new("Current password", "current_password", "password", "", errors(Section::Password))
                        .id("password-current").autocomplete("current-password").required())
                    (Field::new("New password (at least 10 characters)", "new_password", "password", "", errors(Section::Password))
                        .autocomplete("new-password").minlength(10).required())
                    button type="submit" { "Change the password" }
                }
                p.muted { "Changing it signs you out everywhere else." }

                h2 id="two-step" { "Two-step verification" }
                @if a.two_step {
                    p { strong { "On." } " Logging in asks for a code from your authenticator app (or a recovery code)." }
                    form method="post" action="/account/two-step/disable" novalidate {
                        (csrf_input(csrf))
                        (Field::new("Code from the app, or a recovery code", "code", "text", "", &[])
                            .id("disable-code").autocomplete("one-time-code").verbatim().required())
                        button type="submit" { "Turn off two-step verification" }
                    }
                } @else {
                    p { strong { "Off." } " Add a code from an authenticator app to every login: a stolen password alone no longer gets in." }
                    (post_button("/account/two-step", csrf, "Set up two-step verification", ""))
                }
            }

            h2 { "Sessions" }
            table {
                thead { tr { th { "Browser" } th { "IP address" } th { "Signed in" } th { "Last used" } th { span.sr { "End" } } } }
                tbody { @for s in &overview.sessions { (session_row(s, csrf)) } }
            }

            h2 { "Organizations" }
            @if overview.organizations.is_empty() {
                p.muted { "You are not in any organization." }
            } @else {
                table {
                    thead { tr { th { "Organization" } th { "Role" } th { span.sr { "Leave" } } } }
                    tbody {
                        @for o in &overview.organizations {
                            tr {
                                td { a href={ "/orgs/" (o.space_key) "/settings" } { (o.name) } }
                                td { (o.membership.role.as_str()) }
                                td {
                                    @if !a.managed {
                                        (post_button(&format!("/account/organizations/{}/leave", o.space_key), csrf, "Leave", "link"))
                                    }
                                }
                            }
                        }
                    }
                }
            }

            @if !a.managed {
                h2 { "Delete the account" }
                p { "This deletes the account, its sessions and its memberships at once. It cannot be undone. The last administrator of an organization must hand it over first." }
                form method="post" action="/account/delete" novalidate {
                    (csrf_input(csrf))
                    (Field::new("Current password", "current_password", "password", "", errors(Section::Delete))
                        .id("delete-password").autocomplete("current-password").required())
                    button type="submit" { "Delete my account" }
                }
            }
        }
    };
    page("Your account", chrome, &body)
}
