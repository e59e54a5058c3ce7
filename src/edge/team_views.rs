//! HTML of the members, invitations, groups and projects settings tabs and of the
//! invitation page. Every form works without JavaScript; the one script only updates
//! the "Invite N members" button as addresses are typed.

use super::views::{alert, field, page, tabs, Chrome, Feedback};
use orgpass_app::html::escape;
use orgpass_app::invitations::meant_for;
use orgpass_app::orgs::OrgView;
use orgpass_app::ports::{
    DiagramRecord, GroupRecord, InvitationLookup, InvitationRecord, MemberRecord, ProjectRecord,
};
use orgpass_app::projects::EffectiveMember;
use orgpass_core::invitation::InvitationState;
use orgpass_core::Role;

/// The script served at `/static/invite.js`.
pub const INVITE_JS: &str = include_str!("invite.js");

fn hidden(csrf: &str) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        escape(csrf)
    )
}

/// A one-button form posting to `action`.
fn button(action: &str, csrf: &str, label: &str, class: &str) -> String {
    format!(
        r#"<form method="post" action="{}" class="inline">{}<button type="submit" class="{class}">{}</button></form>"#,
        escape(action),
        hidden(csrf),
        escape(label)
    )
}

fn select(name: &str, label: &str, options: &[(&str, &str)], selected: &str) -> String {
    let options: String = options
        .iter()
        .map(|(value, text)| {
            let mark = if *value == selected { " selected" } else { "" };
            format!(
                r#"<option value="{}"{mark}>{}</option>"#,
                escape(value),
                escape(text)
            )
        })
        .collect();
    format!(
        r#"<label class="sr" for="{id}">{label}</label><select id="{id}" name="{name}">{options}</select>"#,
        id = escape(&format!("{name}-{}", label.len())),
        label = escape(label),
        name = escape(name),
    )
}

const ROLES: [(&str, &str); 3] = [
    ("administrator", "Administrator"),
    ("member", "Member"),
    ("guest", "Guest"),
];
const PROJECT_ROLES: [(&str, &str); 3] = [
    ("viewer", "Viewer"),
    ("editor", "Editor"),
    ("admin", "Admin"),
];

fn notice(feedback: &Feedback<'_>) -> String {
    let notice = feedback.notice.map_or_else(String::new, |n| {
        format!(r#"<p class="notice" role="status">{}</p>"#, escape(n))
    });
    format!("{notice}{}", alert(feedback.alert))
}

fn frame(
    chrome: &Chrome<'_>,
    view: &OrgView,
    tab: &str,
    feedback: &Feedback<'_>,
    body: &str,
) -> String {
    let org = &view.org;
    page(
        &format!("{} {}", org.name, tab.to_lowercase()),
        chrome,
        &format!(
            r#"<section class="card wide"><p class="muted"><a href="/">Dashboard</a> / Settings</p><h1>{name}</h1>{tabs}{notice}{body}</section>"#,
            name = escape(&org.name),
            tabs = tabs(org.space_key.as_str(), tab),
            notice = notice(feedback),
        ),
    )
}

/// A person's name for lists (name and email), or the id when not visible.
fn who(members: &[MemberRecord], id: &str) -> String {
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
