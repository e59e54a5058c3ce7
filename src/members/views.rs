//! Members: the members tab, and the pieces the other team tabs share (the roles
//! offered, a person's name in a list).

use orgpass_app::{pages::MembersTab, ports::MemberRecord};
use orgpass_core::Role;

use crate::views::{
    csrf_input, html, post_button, select, settings_frame, Chrome, Feedback, Markup,
};

/// The organization roles a form offers: (value, label).
pub const ROLES: [(&str, &str); 3] = [
    ("administrator", "Administrator"),
    ("member", "Member"),
    ("guest", "Guest"),
];

/// A person's name for lists (name and email), or the id when not visible.
#[must_use]
pub fn who(members: &[MemberRecord], id: &str) -> Markup {
    match members.iter().find(|m| m.account_id == id) {
        Some(m) => html! { (m.name) " " span.muted { (m.email.as_str()) } },
        None => html! { (id) },
    }
}

/// The members tab: everyone the viewer may see; administrators change roles and remove.
#[must_use]
pub fn members(chrome: &Chrome<'_>, tab: &MembersTab, feedback: &Feedback<'_>) -> String {
    let csrf = chrome.csrf;
    let view = &tab.members.view;
    let (list, groups) = (&tab.members.members, &tab.members.groups);
    let key = view.org.space_key.as_str();
    let admin = tab.may_manage;
    let body = html! {
        @if view.membership.role == Role::Guest {
            p.muted { "As a guest you see the members of your groups." }
        }
        table {
            thead { tr { th { "Person" } th { "Role" } th { "Groups" } @if admin { th { "Change" } } } }
            tbody {
                @for m in list {
                    tr id={ "member-" (m.account_id) } {
                        td { (m.name) br; span.muted { (m.email.as_str()) } }
                        td {
                            (m.membership.role.as_str())
                            @if m.membership.can_invite { " · can invite" }
                            @if m.managed { " · managed" }
                        }
                        td {
                            @for (i, g) in m.group_ids.iter().filter_map(|id| groups.iter().find(|g| &g.id == id)).enumerate() {
                                @if i > 0 { ", " }
                                (g.name)
                            }
                        }
                        @if admin {
                            td {
                                form.row method="post" action={ "/orgs/" (key) "/settings/members/" (m.account_id) "/update" } {
                                    (csrf_input(csrf))
                                    (select(&format!("role-{}", m.account_id), "role", &format!("Role of {}", m.email), &ROLES, m.membership.role.as_str()))
                                    label.choice {
                                        input type="checkbox" name="can_invite" value="1" checked[m.membership.can_invite];
                                        " can invite"
                                    }
                                    button type="submit" { "Save" }
                                }
                                " "
                                (post_button(&format!("/orgs/{key}/settings/members/{}/remove", m.account_id), csrf, "Remove", "link"))
                            }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = &tab.members.next {
            p { a href={ "/orgs/" (key) "/settings/members?cursor=" (cursor) } { "Next page" } }
        }
    };
    settings_frame(chrome, view, "Members", feedback, &body)
}
