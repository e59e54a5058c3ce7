//! Members: its views.

use crate::views::Chrome;
use crate::views::Feedback;
use crate::views::*;
use orgpass_app::html::escape;
use orgpass_app::orgs::OrgView;
use orgpass_app::ports::GroupRecord;
use orgpass_app::ports::MemberRecord;
use orgpass_core::Role;

pub(crate) const ROLES: [(&str, &str); 3] = [
    ("administrator", "Administrator"),
    ("member", "Member"),
    ("guest", "Guest"),
];

/// A person's name for lists (name and email), or the id when not visible.
pub(crate) fn who(members: &[MemberRecord], id: &str) -> String {
    members.iter().find(|m| m.account_id == id).map_or_else(
        || escape(id),
        |m| {
            format!(
                "{} <span class=\"muted\">{}</span>",
                escape(&m.name),
                escape(m.email.as_str())
            )
        },
    )
}

/// The members tab: everyone the viewer may see; administrators change roles and remove.
#[must_use]
pub fn members(
    chrome: &Chrome<'_>,
    csrf: &str,
    view: &OrgView,
    list: &[MemberRecord],
    groups: &[GroupRecord],
    next: Option<&str>,
    feedback: &Feedback<'_>,
) -> String {
    let key = view.org.space_key.as_str();
    let admin = view.membership.role == Role::Administrator;
    let rows: String = list
        .iter()
        .map(|m| {
            let group_names: Vec<String> = m
                .group_ids
                .iter()
                .filter_map(|id| groups.iter().find(|g| &g.id == id))
                .map(|g| escape(&g.name))
                .collect();
            let managed = if m.managed { " · managed" } else { "" };
            let actions = if admin {
                let checked = if m.membership.can_invite { " checked" } else { "" };
                format!(
                    r#"<td><form method="post" action="/orgs/{key}/settings/members/{id}/update" class="row">{hidden}{role}<label class="choice"><input type="checkbox" name="can_invite" value="1"{checked}> can invite</label><button type="submit">Save</button></form> {remove}</td>"#,
                    key = escape(key),
                    id = escape(&m.account_id),
                    hidden = hidden(csrf),
                    role = select("role", &format!("Role of {}", m.email), &ROLES, m.membership.role.as_str()),
                    remove = button(&format!("/orgs/{key}/settings/members/{}/remove", m.account_id), csrf, "Remove", "link"),
                )
            } else {
                String::new()
            };
            format!(
                r#"<tr id="member-{id}"><td>{name}<br><span class="muted">{email}</span></td><td>{role}{plus}{managed}</td><td>{groups}</td>{actions}</tr>"#,
                id = escape(&m.account_id),
                name = escape(&m.name),
                email = escape(m.email.as_str()),
                role = m.membership.role.as_str(),
                plus = if m.membership.can_invite { " · can invite" } else { "" },
                groups = group_names.join(", "),
            )
        })
        .collect();
    let more = next.map_or_else(String::new, |cursor| {
        format!(
            r#"<p><a href="/orgs/{}/settings/members?cursor={}">Next page</a></p>"#,
            escape(key),
            escape(cursor)
        )
    });
    let scope = if view.membership.role == Role::Guest {
        "<p class=\"muted\">As a guest you see the members of your groups.</p>"
    } else {
        ""
    };
    let head = if admin { "<th>Change</th>" } else { "" };
    let body = format!(
        r#"{scope}<table><thead><tr><th>Person</th><th>Role</th><th>Groups</th>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"#
    );
    frame(chrome, view, "Members", feedback, &body)
}
