//! Projects: the projects tab (the projects the viewer sees, creating one, the project
//! creators) and one project's page (its people, groups and diagrams).

use orgpass_app::pages::{ProjectPage, ProjectsTab};
use orgpass_core::Role;

use crate::{
    members::views::who,
    views::{csrf_input, html, post_button, select, settings_frame, Chrome, Feedback, Field},
};

/// The project roles a form offers: (value, label).
pub const PROJECT_ROLES: [(&str, &str); 3] = [
    ("viewer", "Viewer"),
    ("editor", "Editor"),
    ("admin", "Admin"),
];

/// The projects tab: the projects the viewer sees, creating one, and (administrators)
/// the project creators.
#[must_use]
pub fn projects(chrome: &Chrome<'_>, tab: &ProjectsTab, feedback: &Feedback<'_>) -> String {
    let csrf = chrome.csrf;
    let key = tab.view.org.space_key.as_str();
    let projects = &tab.projects;
    let body = html! {
        @if projects.is_empty() {
            p.muted { "No projects you belong to yet." }
        } @else {
            ul {
                @for p in projects {
                    li { a href={ "/orgs/" (key) "/settings/projects/" (p.id) } { (p.name) } }
                }
            }
        }
        @if tab.may_create {
            h2 { "Create a project" }
            form method="post" action={ "/orgs/" (key) "/settings/projects" } novalidate {
                (csrf_input(csrf))
                (Field::new("Project name", "name", "text", "", feedback.errors).required())
                button type="submit" { "Create project" }
            }
        }
        @if let Some(creators) = &tab.creators {
            @let (ids, members) = (&creators.ids, &creators.people);
            @let candidates: Vec<(&str, &str)> = members
                .iter()
                .filter(|m| m.membership.role == Role::Member && !ids.contains(&m.account_id))
                .map(|m| (m.account_id.as_str(), m.email.as_str()))
                .collect();
            h2 { "Project creators" }
            p.muted { "Besides administrators, these people may create projects. Guests cannot." }
            ul {
                @for id in ids {
                    li {
                        (who(members, id)) " "
                        (post_button(&format!("/orgs/{key}/settings/project-creators/remove?account={id}"), csrf, "Remove", "link"))
                    }
                }
            }
            @if !candidates.is_empty() {
                form.row method="post" action={ "/orgs/" (key) "/settings/project-creators/add" } {
                    (csrf_input(csrf))
                    div.field { (select("creator-account", "account", "Project creator", &candidates, "")) }
                    button type="submit" { "Add project creator" }
                }
            }
        }
    };
    settings_frame(chrome, &tab.view, "Projects", feedback, &body)
}

/// One project: its people with effective roles, adding people and groups, diagrams.
#[must_use]
pub fn project(chrome: &Chrome<'_>, p: &ProjectPage, feedback: &Feedback<'_>) -> String {
    let csrf = chrome.csrf;
    let view = &p.view;
    let key = view.org.space_key.as_str();
    let base = format!("/orgs/{key}/settings/projects/{}", p.project.id);
    let people: Vec<(&str, &str)> = p
        .people
        .iter()
        .map(|m| (m.account_id.as_str(), m.email.as_str()))
        .collect();
    let groups: Vec<(&str, &str)> = p
        .groups
        .iter()
        .map(|g| (g.id.as_str(), g.name.as_str()))
        .collect();
    let body = html! {
        h2 { (p.project.name) }
        table {
            thead { tr { th { "Person" } th { "Project role" } th { "Through" } } }
            tbody {
                @for m in &p.members {
                    tr id={ "project-member-" (m.account_id) } {
                        td { (who(&p.people, &m.account_id)) }
                        td { (m.role.as_str()) }
                        td {
                            @for (i, v) in m.via.iter().enumerate() {
                                @if i > 0 { ", " }
                                @match v.strip_prefix("group:").map(|id| p.groups.iter().find(|g| g.id == id)) {
                                    Some(Some(g)) => { "group " (g.name) }
                                    _ => (v),
                                }
                            }
                            " "
                            @if p.may_manage && m.via.iter().any(|v| v == "direct") {
                                (post_button(&format!("{base}/remove-member?account={}", m.account_id), csrf, "Remove", "link"))
                            }
                        }
                    }
                }
            }
        }
        @if p.may_manage {
            h2 { "Add people" }
            form.row method="post" action={ (base) "/member" } {
                (csrf_input(csrf))
                div.field { (select("member-account", "account", "Person", &people, "")) }
                div.field { (select("member-role", "role", "Project role", &PROJECT_ROLES, "editor")) }
                button type="submit" { "Add person" }
            }
            @if !groups.is_empty() {
                form.row method="post" action={ (base) "/group" } {
                    (csrf_input(csrf))
                    div.field { (select("group-group", "group", "Group", &groups, "")) }
                    div.field { (select("group-role", "role", "Group's project role", &PROJECT_ROLES, "editor")) }
                    button type="submit" { "Add group" }
                }
            }
        }
        h2 { "Diagrams" }
        ul {
            @for d in &p.diagrams {
                li {
                    (d.title) " "
                    @if p.may_edit {
                        (post_button(&format!("{base}/delete-diagram?diagram={}", d.id), csrf, "Delete", "link"))
                    }
                }
            }
        }
        @if p.may_edit {
            form.row method="post" action={ (base) "/diagram" } novalidate {
                (csrf_input(csrf))
                (Field::new("Diagram title", "title", "text", "", feedback.errors).required())
                button type="submit" { "Create diagram" }
            }
        }
        p { a href={ "/orgs/" (key) "/settings/projects" } { "All projects" } }
    };
    settings_frame(chrome, view, "Projects", feedback, &body)
}
