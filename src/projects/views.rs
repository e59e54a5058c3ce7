//! Projects: its views.

use crate::members::views::who;
use crate::views::field;
use crate::views::Chrome;
use crate::views::Feedback;
use crate::views::*;
use orgpass_app::html::escape;
use orgpass_app::orgs::OrgView;
use orgpass_app::ports::DiagramRecord;
use orgpass_app::ports::GroupRecord;
use orgpass_app::ports::MemberRecord;
use orgpass_app::ports::ProjectRecord;
use orgpass_app::projects::EffectiveMember;
use orgpass_core::Role;

pub(crate) const PROJECT_ROLES: [(&str, &str); 3] = [
    ("viewer", "Viewer"),
    ("editor", "Editor"),
    ("admin", "Admin"),
];

/// The projects tab: the projects the viewer sees, creating one, and (administrators)
/// the project creators.
#[must_use]
pub fn projects(
    chrome: &Chrome<'_>,
    csrf: &str,
    view: &OrgView,
    projects: &[ProjectRecord],
    may_create: bool,
    creators: Option<(&[String], &[MemberRecord])>,
    feedback: &Feedback<'_>,
) -> String {
    let key = escape(view.org.space_key.as_str());
    let items: String = projects
        .iter()
        .map(|p| {
            format!(
                r#"<li><a href="/orgs/{key}/settings/projects/{id}">{name}</a></li>"#,
                id = escape(&p.id),
                name = escape(&p.name)
            )
        })
        .collect();
    let list = if items.is_empty() {
        "<p class=\"muted\">No projects you belong to yet.</p>".to_owned()
    } else {
        format!("<ul>{items}</ul>")
    };
    let create = if may_create {
        format!(
            r#"<h2>Create a project</h2><form method="post" action="/orgs/{key}/settings/projects" novalidate>{hidden}{name}<button type="submit">Create project</button></form>"#,
            hidden = hidden(csrf),
            name = field(
                "Project name",
                "name",
                "text",
                "",
                feedback.errors,
                "required"
            ),
        )
    } else {
        String::new()
    };
    let creators = creators.map_or_else(String::new, |(ids, members)| {
        let people: String = ids
            .iter()
            .map(|id| {
                format!(
                    "<li>{} {}</li>",
                    who(members, id),
                    button(&format!("/orgs/{key}/settings/project-creators/remove?account={}", escape(id)), csrf, "Remove", "link")
                )
            })
            .collect();
        let candidates: Vec<(&str, &str)> = members
            .iter()
            .filter(|m| m.membership.role == Role::Member && !ids.contains(&m.account_id))
            .map(|m| (m.account_id.as_str(), m.email.as_str()))
            .collect();
        let add = if candidates.is_empty() {
            String::new()
        } else {
            format!(
                r#"<form method="post" action="/orgs/{key}/settings/project-creators/add" class="row">{hidden}<div class="field">{select}</div><button type="submit">Add project creator</button></form>"#,
                hidden = hidden(csrf),
                select = select("account", "Project creator", &candidates, ""),
            )
        };
        format!("<h2>Project creators</h2><p class=\"muted\">Besides administrators, these people may create projects. Guests cannot.</p><ul>{people}</ul>{add}")
    });
    frame(
        chrome,
        view,
        "Projects",
        feedback,
        &format!("{list}{create}{creators}"),
    )
}

/// What one project's page shows.
pub struct ProjectPage<'a> {
    /// The project.
    pub project: &'a ProjectRecord,
    /// Everyone with a role, effective.
    pub members: &'a [EffectiveMember],
    /// Its diagrams.
    pub diagrams: &'a [DiagramRecord],
    /// The organization's people (for names and choices).
    pub people: &'a [MemberRecord],
    /// The organization's groups (for choices).
    pub groups: &'a [GroupRecord],
    /// The viewer may manage the project.
    pub manage: bool,
    /// The viewer may create and change diagrams.
    pub edit: bool,
}

/// One project: its people with effective roles, adding people and groups, diagrams.
#[must_use]
pub fn project(
    chrome: &Chrome<'_>,
    csrf: &str,
    view: &OrgView,
    p: &ProjectPage<'_>,
    feedback: &Feedback<'_>,
) -> String {
    let key = escape(view.org.space_key.as_str());
    let base = format!("/orgs/{key}/settings/projects/{}", escape(&p.project.id));
    let rows: String = p
        .members
        .iter()
        .map(|m| {
            let via: Vec<String> = m
                .via
                .iter()
                .map(|v| match v.strip_prefix("group:") {
                    Some(id) => p.groups.iter().find(|g| g.id == id).map_or_else(|| escape(v), |g| format!("group {}", escape(&g.name))),
                    None => escape(v),
                })
                .collect();
            let remove = if p.manage && m.via.iter().any(|v| v == "direct") {
                button(&format!("{base}/remove-member?account={}", escape(&m.account_id)), csrf, "Remove", "link")
            } else {
                String::new()
            };
            format!(
                r#"<tr id="project-member-{id}"><td>{who}</td><td>{role}</td><td>{via} {remove}</td></tr>"#,
                id = escape(&m.account_id),
                who = who(p.people, &m.account_id),
                role = m.role.as_str(),
                via = via.join(", "),
            )
        })
        .collect();
    let manage = if p.manage {
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
        let group_form = if groups.is_empty() {
            String::new()
        } else {
            format!(
                r#"<form method="post" action="{base}/group" class="row">{hidden}<div class="field">{group}</div><div class="field">{role}</div><button type="submit">Add group</button></form>"#,
                hidden = hidden(csrf),
                group = select("group", "Group", &groups, ""),
                role = select("role", "Group's project role", &PROJECT_ROLES, "editor"),
            )
        };
        format!(
            r#"<h2>Add people</h2><form method="post" action="{base}/member" class="row">{hidden}<div class="field">{person}</div><div class="field">{role}</div><button type="submit">Add person</button></form>{group_form}"#,
            hidden = hidden(csrf),
            person = select("account", "Person", &people, ""),
            role = select("role", "Project role", &PROJECT_ROLES, "editor"),
        )
    } else {
        String::new()
    };
    let diagrams: String = p
        .diagrams
        .iter()
        .map(|d| {
            let delete = if p.edit {
                button(
                    &format!("{base}/delete-diagram?diagram={}", escape(&d.id)),
                    csrf,
                    "Delete",
                    "link",
                )
            } else {
                String::new()
            };
            format!("<li>{} {delete}</li>", escape(&d.title))
        })
        .collect();
    let create = if p.edit {
        format!(
            r#"<form method="post" action="{base}/diagram" class="row" novalidate>{hidden}{title}<button type="submit">Create diagram</button></form>"#,
            hidden = hidden(csrf),
            title = field(
                "Diagram title",
                "title",
                "text",
                "",
                feedback.errors,
                "required"
            ),
        )
    } else {
        String::new()
    };
    let body = format!(
        r#"<h2>{name}</h2><table><thead><tr><th>Person</th><th>Project role</th><th>Through</th></tr></thead><tbody>{rows}</tbody></table>{manage}<h2>Diagrams</h2><ul>{diagrams}</ul>{create}<p><a href="/orgs/{key}/settings/projects">All projects</a></p>"#,
        name = escape(&p.project.name),
    );
    frame(chrome, view, "Projects", feedback, &body)
}
