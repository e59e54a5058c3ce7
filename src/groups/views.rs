//! Groups: its views.

use crate::members::views::{who, ROLES};
use crate::views::field;
use crate::views::Chrome;
use crate::views::Feedback;
use crate::views::*;
use orgpass_app::html::escape;
use orgpass_app::orgs::OrgView;
use orgpass_app::ports::GroupRecord;
use orgpass_app::ports::MemberRecord;
use orgpass_core::Role;

/// The groups tab.
#[must_use]
pub fn groups(
    chrome: &Chrome<'_>,
    csrf: &str,
    view: &OrgView,
    groups: &[GroupRecord],
    members: &[MemberRecord],
    feedback: &Feedback<'_>,
    typed: &str,
) -> String {
    let key = escape(view.org.space_key.as_str());
    let role = view.membership.role;
    let list: String = groups
        .iter()
        .map(|g| {
            let belongs = g.member_ids.contains(&view.viewer.id);
            let manage = role == Role::Administrator || (role == Role::Member && belongs);
            let base = format!("/orgs/{key}/settings/groups/{}", escape(&g.id));
            let people: String = g
                .member_ids
                .iter()
                .map(|id| {
                    let remove = if manage {
                        button(&format!("{base}/remove?account={}", escape(id)), csrf, "Remove", "link")
                    } else {
                        String::new()
                    };
                    format!("<li>{} {remove}</li>", who(members, id))
                })
                .collect();
            let tools = if manage {
                let candidates: Vec<(&str, &str)> = members
                    .iter()
                    .filter(|m| !g.member_ids.contains(&m.account_id))
                    .map(|m| (m.account_id.as_str(), m.email.as_str()))
                    .collect();
                let add = if candidates.is_empty() {
                    String::new()
                } else {
                    format!(
                        r#"<form method="post" action="{base}/add" class="row">{hidden}<div class="field">{select}</div><button type="submit">Add to group</button></form>"#,
                        hidden = hidden(csrf),
                        select = select("account", &format!("Add to {}", g.name), &candidates, ""),
                    )
                };
                let bulk = if role == Role::Administrator {
                    format!(
                        r#"<form method="post" action="{base}/role" class="row">{hidden}<div class="field">{select}</div><button type="submit">Set everyone's role</button></form>"#,
                        hidden = hidden(csrf),
                        select = select("role", &format!("Role for all of {}", g.name), &ROLES, "member"),
                    )
                } else {
                    String::new()
                };
                format!(
                    r#"{add}{bulk}<form method="post" action="{base}/rename" class="row">{hidden}<div class="field"><label for="rename-{id}">New name</label><input id="rename-{id}" name="name" type="text" value="{name}"></div><button type="submit">Rename</button></form>{delete}"#,
                    hidden = hidden(csrf),
                    id = escape(&g.id),
                    name = escape(&g.name),
                    delete = button(&format!("{base}/delete"), csrf, "Delete group", "link"),
                )
            } else {
                String::new()
            };
            format!(
                r#"<article class="group" id="group-{id}"><h2>{name}</h2><ul>{people}</ul>{tools}</article>"#,
                id = escape(&g.id),
                name = escape(&g.name),
            )
        })
        .collect();
    let create = if role == Role::Guest {
        String::new()
    } else {
        format!(
            r#"<h2>Create a group</h2><form method="post" action="/orgs/{key}/settings/groups" novalidate>{hidden}{name}<button type="submit">Create group</button></form>"#,
            hidden = hidden(csrf),
            name = field(
                "Group name",
                "name",
                "text",
                typed,
                feedback.errors,
                "required"
            ),
        )
    };
    frame(chrome, view, "Groups", feedback, &format!("{list}{create}"))
}
