//! Invitations: its views.

use crate::members::views::ROLES;
use crate::views::alert;
use crate::views::field;
use crate::views::page;
use crate::views::Chrome;
use crate::views::Feedback;
use crate::views::*;
use orgpass_app::html::escape;
use orgpass_app::invitations::meant_for;
use orgpass_app::orgs::OrgView;
use orgpass_app::ports::GroupRecord;
use orgpass_app::ports::InvitationLookup;
use orgpass_app::ports::InvitationRecord;
use orgpass_core::invitation::InvitationState;
use orgpass_core::Role;

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
    csrf: &str,
    view: &OrgView,
    groups: &[GroupRecord],
    list: Option<&[InvitationRecord]>,
    form: &InviteForm,
    feedback: &Feedback<'_>,
) -> String {
    let key = escape(view.org.space_key.as_str());
    let admin = view.membership.role == Role::Administrator;
    let may_invite = admin || (view.membership.role == Role::Member && view.membership.can_invite);
    let roles: Vec<(&str, &str)> = ROLES
        .iter()
        .copied()
        .filter(|(r, _)| admin || *r != "administrator")
        .collect();
    let role = if form.role.is_empty() {
        "member"
    } else {
        form.role.as_str()
    };
    let error = feedback
        .errors
        .iter()
        .find(|e| e.field == "emails")
        .map_or_else(String::new, |e| {
            format!(
                r#"<p class="error" id="emails-error">{}</p>"#,
                escape(e.message)
            )
        });
    let boxes: String = groups
        .iter()
        .map(|g| {
            let checked = if form.group_ids.contains(&g.id) { " checked" } else { "" };
            format!(
                r#"<label class="choice"><input type="checkbox" name="group_ids" value="{}"{checked}> {}</label>"#,
                escape(&g.id),
                escape(&g.name)
            )
        })
        .collect();
    let groups_box = if boxes.is_empty() {
        String::new()
    } else {
        format!("<fieldset><legend>Add to groups</legend>{boxes}</fieldset>")
    };
    let form_html = if may_invite {
        format!(
            r#"<h2>Invite people</h2><form method="post" action="/orgs/{key}/settings/invitations" novalidate>{hidden}<div class="field"><label for="emails">Email addresses (one per line, or separated by commas)</label><textarea id="emails" name="emails" rows="4" aria-describedby="emails-error">{emails}</textarea>{error}</div><div class="field">{role}</div>{groups_box}<div class="field"><label for="message">Message (optional)</label><textarea id="message" name="message" rows="2">{message}</textarea></div><button type="submit" id="invite-button">{label}</button> <noscript><button type="submit" name="count" value="1" class="link">Count</button></noscript></form><script src="/static/invite.js"></script>"#,
            hidden = hidden(csrf),
            emails = escape(&form.emails),
            role = select("role", "Role", &roles, role),
            message = escape(&form.message),
            label = invite_label(&form.emails),
        )
    } else {
        "<p class=\"muted\">Ask an administrator to invite people.</p>".to_owned()
    };
    let table = list.map_or_else(String::new, |list| {
        let rows: String = list
            .iter()
            .map(|i| {
                let state = i.state;
                let actions = match state {
                    InvitationState::Pending { .. } => format!(
                        "{} {}",
                        button(&format!("/orgs/{key}/settings/invitations/{}/resend", i.id), csrf, "Resend", "link"),
                        button(&format!("/orgs/{key}/settings/invitations/{}/revoke", i.id), csrf, "Revoke", "link"),
                    ),
                    InvitationState::Expired => button(&format!("/orgs/{key}/settings/invitations/{}/resend", i.id), csrf, "Resend", "link"),
                    _ => String::new(),
                };
                let until = match state {
                    InvitationState::Pending { expires_at } => format!(" until {}", expires_at.to_rfc3339()),
                    _ => String::new(),
                };
                format!(
                    r#"<tr id="invitation-{id}"><td>{email}</td><td>{role}</td><td>{status}{until}</td><td>{actions}</td></tr>"#,
                    id = escape(&i.id),
                    email = escape(i.email.as_str()),
                    role = i.role.as_str(),
                    status = state.status(),
                )
            })
            .collect();
        format!(r#"<h2>Invitations</h2><table><thead><tr><th>Email</th><th>Role</th><th>Status</th><th></th></tr></thead><tbody>{rows}</tbody></table>"#)
    });
    frame(
        chrome,
        view,
        "Invitations",
        feedback,
        &format!("{form_html}{table}"),
    )
}

/// The invitation page: sign up, join, or the wrong account.
#[must_use]
pub fn invitation(
    chrome: &Chrome<'_>,
    csrf: &str,
    token: &str,
    found: &InvitationLookup,
    errors: &[orgpass_core::FieldError],
    alert_text: Option<&str>,
) -> String {
    let i = &found.invitation;
    let path = format!("/invitations/{token}");
    let intro = format!(
        "<p><strong>{inviter}</strong> invited <strong>{email}</strong> to join <strong>{org}</strong> as {role}.</p>",
        inviter = escape(&found.inviter_name),
        email = escape(i.email.as_str()),
        org = escape(&found.org_name),
        role = i.role.as_str(),
    );
    let action = match chrome.account {
        Some(account) if meant_for(found, &account.email) => format!(
            r#"<form method="post" action="{path}">{hidden}<button type="submit">Join {org}</button></form>"#,
            path = escape(&path),
            hidden = hidden(csrf),
            org = escape(&found.org_name),
        ),
        Some(account) => format!(
            r#"<p class="alert" role="alert">You are logged in as <strong>{me}</strong>, but this invitation is for <strong>{email}</strong>. Log out, then open the link again.</p>"#,
            me = escape(account.email.as_str()),
            email = escape(i.email.as_str()),
        ),
        None => format!(
            r#"<h2>Create your account</h2><form method="post" action="{path}/signup" novalidate>{hidden}<div class="field"><label for="email">Email</label><input id="email" type="email" value="{email}" readonly></div>{name}{password}<button type="submit">Create account and join</button></form><p class="muted">Already have an account for {email}? <a href="/login?return_to={back}">Log in</a> to join.</p>"#,
            path = escape(&path),
            hidden = hidden(csrf),
            email = escape(i.email.as_str()),
            name = field(
                "Your name",
                "name",
                "text",
                "",
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
            back = escape(&form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()),
        ),
    };
    let body = format!(
        r#"<section class="card"><h1>Join {org}</h1>{alert}{intro}{action}</section>"#,
        org = escape(&found.org_name),
        alert = alert(alert_text),
    );
    page(&format!("Join {}", found.org_name), chrome, &body)
}
