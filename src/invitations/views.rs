//! Invitations: the invitations tab (the form, and for administrators the list with
//! resend and revoke), and the invitation page a link opens.

use orgpass_app::{invitations::meant_for, pages::InvitationsTab, ports::InvitationLookup};
use orgpass_core::{invitation::InvitationState, FieldError};

use crate::{
    members::views::ROLES,
    views::{
        alert, csrf_input, html, page, post_button, select, settings_frame, Chrome, Feedback, Field,
    },
};

/// What the invitation form holds.
#[derive(Debug, Default, Clone)]
pub struct InviteForm {
    /// The addresses typed.
    pub emails: String,
    /// The role chosen.
    pub role: String,
    /// The groups ticked.
    pub group_ids: Vec<String>,
    /// The message.
    pub message: String,
}

/// The button's label for the addresses typed.
#[must_use]
pub fn invite_label(typed: &str) -> String {
    let n = orgpass_core::invitation::invitees([typed])
        .map_or(0, |i| i.emails.len() + i.malformed.len());
    match n {
        0 => "Invite members".to_owned(),
        1 => "Invite 1 member".to_owned(),
        n => format!("Invite {n} members"),
    }
}

/// The invitations tab: the invitation form (administrators and members who may
/// invite) and, for administrators, the invitations (states as of now) with resend
/// and revoke.
#[must_use]
pub fn invitations(
    chrome: &Chrome<'_>,
    tab: &InvitationsTab,
    form: &InviteForm,
    feedback: &Feedback<'_>,
) -> String {
    let csrf = chrome.csrf;
    let key = tab.view.org.space_key.as_str();
    let groups = &tab.groups;
    let may_invite = !tab.roles.is_empty();
    let roles: Vec<(&str, &str)> = ROLES
        .iter()
        .copied()
        .filter(|(r, _)| tab.roles.iter().any(|role| role.as_str() == *r))
        .collect();
    let role = if form.role.is_empty() {
        "member"
    } else {
        form.role.as_str()
    };
    let error = feedback.errors.iter().find(|e| e.field == "emails");
    let action = |id: &str, what: &str| format!("/orgs/{key}/settings/invitations/{id}/{what}");
    let body = html! {
        @if may_invite {
            h2 { "Invite people" }
            form method="post" action={ "/orgs/" (key) "/settings/invitations" } novalidate {
                (csrf_input(csrf))
                div.field {
                    label for="emails" { "Email addresses (one per line, or separated by commas)" }
                    textarea id="emails" name="emails" rows="4" aria-describedby="emails-error" { (form.emails) }
                    @if let Some(e) = error { p.error id="emails-error" { (e.message) } }
                }
                div.field { (select("role", "role", "Role", &roles, role)) }
                @if !groups.is_empty() {
                    fieldset {
                        legend { "Add to groups" }
                        @for g in groups {
                            label.choice {
                                input type="checkbox" name="group_ids" value=(g.id) checked[form.group_ids.contains(&g.id)];
                                " " (g.name)
                            }
                        }
                    }
                }
                div.field {
                    label for="message" { "Message (optional)" }
                    textarea id="message" name="message" rows="2" { (form.message) }
                }
                button type="submit" id="invite-button" { (invite_label(&form.emails)) }
                " "
                noscript { button.link type="submit" name="count" value="1" { "Count" } }
            }
            script src="/static/invite.js" {}
        } @else {
            p.muted { "Ask an administrator to invite people." }
        }
        @if let Some(list) = &tab.invitations {
            h2 { "Invitations" }
            table {
                thead { tr { th { "Email" } th { "Role" } th { "Status" } th {} } }
                tbody {
                    @for i in list {
                        tr id={ "invitation-" (i.id) } {
                            td { (i.email.as_str()) }
                            td { (i.role.as_str()) }
                            td {
                                (i.state.status())
                                @if let InvitationState::Pending { expires_at } = i.state { " until " (expires_at.to_rfc3339()) }
                            }
                            td {
                                @match i.state {
                                    InvitationState::Pending { .. } => {
                                        (post_button(&action(&i.id, "resend"), csrf, "Resend", "link")) " "
                                        (post_button(&action(&i.id, "revoke"), csrf, "Revoke", "link"))
                                    }
                                    InvitationState::Expired => (post_button(&action(&i.id, "resend"), csrf, "Resend", "link")),
                                    _ => {}
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    settings_frame(chrome, &tab.view, "Invitations", feedback, &body)
}

/// The invitation page: sign up, join, or the wrong account.
#[must_use]
pub fn invitation(
    chrome: &Chrome<'_>,
    csrf: &str,
    token: &str,
    found: &InvitationLookup,
    errors: &[FieldError],
    alert_text: Option<&str>,
) -> String {
    let i = &found.invitation;
    let path = format!("/invitations/{token}");
    let back: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    let body = html! {
        section.card {
            h1 { "Join " (found.org_name) }
            (alert(alert_text))
            p {
                strong { (found.inviter_name) } " invited " strong { (i.email.as_str()) }
                " to join " strong { (found.org_name) } " as " (i.role.as_str()) "."
            }
            @match chrome.account {
                Some(account) if meant_for(found, &account.email) => {
                    form method="post" action=(path) {
                        (csrf_input(csrf))
                        button type="submit" { "Join " (found.org_name) }
                    }
                }
                Some(account) => {
                    p.alert role="alert" {
                        "You are logged in as " strong { (account.email.as_str()) }
                        ", but this invitation is for " strong { (i.email.as_str()) }
                        ". Log out, then open the link again."
                    }
                }
                None => {
                    h2 { "Create your account" }
                    form method="post" action={ (path) "/signup" } novalidate {
                        (csrf_input(csrf))
                        div.field {
                            label for="email" { "Email" }
                            input id="email" type="email" value=(i.email.as_str()) readonly;
                        }
                        (Field::new("Your name", "name", "text", "", errors).autocomplete("name").required())
                        (Field::new("Password (at least 10 characters)", "password", "password", "", errors)
                            .autocomplete("new-password").minlength(10).required())
                        button type="submit" { "Create account and join" }
                    }
                    p.muted {
                        "Already have an account for " (i.email.as_str()) "? "
                        a href={ "/login?return_to=" (back) } { "Log in" } " to join."
                    }
                }
            }
        }
    };
    page(&format!("Join {}", found.org_name), chrome, &body)
}
