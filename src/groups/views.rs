//! Groups: the groups tab (each group, its people, and what the viewer may do to it).

use orgpass_app::pages::GroupsTab;

use crate::{
    members::views::{who, ROLES},
    views::{csrf_input, html, post_button, select, settings_frame, Chrome, Feedback, Field},
};

/// The groups tab.
#[must_use]
pub fn groups(
    chrome: &Chrome<'_>,
    tab: &GroupsTab,
    feedback: &Feedback<'_>,
    typed: &str,
) -> String {
    let csrf = chrome.csrf;
    let key = tab.view.org.space_key.as_str();
    let members = &tab.people;
    let body = html! {
        @for entry in &tab.groups {
            @let (g, manage) = (&entry.group, entry.may_manage);
            @let base = format!("/orgs/{key}/settings/groups/{}", g.id);
            article.group id={ "group-" (g.id) } {
                h2 { (g.name) }
                ul {
                    @for id in &g.member_ids {
                        li {
                            (who(members, id)) " "
                            @if manage {
                                (post_button(&format!("{base}/remove?account={id}"), csrf, "Remove", "link"))
                            }
                        }
                    }
                }
                @if manage {
                    @let candidates: Vec<(&str, &str)> = members
                        .iter()
                        .filter(|m| !g.member_ids.contains(&m.account_id))
                        .map(|m| (m.account_id.as_str(), m.email.as_str()))
                        .collect();
                    @if !candidates.is_empty() {
                        form.row method="post" action={ (base) "/add" } {
                            (csrf_input(csrf))
                            div.field { (select(&format!("add-{}", g.id), "account", &format!("Add to {}", g.name), &candidates, "")) }
                            button type="submit" { "Add to group" }
                        }
                    }
                    @if tab.may_set_roles {
                        form.row method="post" action={ (base) "/role" } {
                            (csrf_input(csrf))
                            div.field { (select(&format!("group-role-{}", g.id), "role", &format!("Role for all of {}", g.name), &ROLES, "member")) }
                            button type="submit" { "Set everyone's role" }
                        }
                    }
                    form.row method="post" action={ (base) "/rename" } {
                        (csrf_input(csrf))
                        div.field {
                            label for={ "rename-" (g.id) } { "New name" }
                            input id={ "rename-" (g.id) } name="name" type="text" value=(g.name);
                        }
                        button type="submit" { "Rename" }
                    }
                    (post_button(&format!("{base}/delete"), csrf, "Delete group", "link"))
                }
            }
        }
        @if tab.may_create {
            h2 { "Create a group" }
            form method="post" action={ "/orgs/" (key) "/settings/groups" } novalidate {
                (csrf_input(csrf))
                (Field::new("Group name", "name", "text", typed, feedback.errors).required())
                button type="submit" { "Create group" }
            }
        }
    };
    settings_frame(chrome, &tab.view, "Groups", feedback, &body)
}
