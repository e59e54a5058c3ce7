//! The members, invitations, groups and projects settings tabs, one project's page,
//! and the invitation page (`/invitations/{token}`). Forms post to
//! `/orgs/{org}/settings/{tab}[/{id}]/{action}`; [`submit`] checks the form, makes one
//! use-case call, and answers 303 back to the tab, or the tab again with what was
//! refused.

use crate::invitations::views::InviteForm;
use crate::projects::views::ProjectPage;
use crate::views::Chrome;
use crate::views::Feedback;
use crate::web::auth::check_form;
use crate::web::context::Ctx;
use crate::web::error::describe;
use crate::web::error::error_page;
use crate::web::error::ApiError;
use crate::web::http;
use crate::web::http::see_other;
use crate::web::http::set_cookie;
use crate::web::http::SESSION_COOKIE;
use crate::web::page::cookie_session;
use crate::web::page::csrf;
use crate::web::page::html;
use crate::web::page::login_redirect;
use crate::web::Handled;
use orgpass_app::accounts::session_seconds;
use orgpass_app::invitations::Invite;
use orgpass_app::members::MAX_PAGE;
use orgpass_app::AppError;
use orgpass_core::project;
use orgpass_core::project::effective;
use orgpass_core::project::ProjectAction;
use orgpass_core::FieldError;
use orgpass_core::Role;
use orgpass_core::TokenHash;
use std::collections::HashMap;
use worker::Request;

/// The settings tabs this module serves.
pub const TABS: [&str; 4] = ["members", "invitations", "groups", "projects"];

/// What to show again after a refused form.
#[derive(Default)]
struct Again<'a> {
    status: u16,
    feedback: Feedback<'a>,
    invite: InviteForm,
    typed: String,
}

/// `GET /orgs/{org}/settings/{tab}`
pub async fn tab(req: &mut Request, cx: &Ctx, key: &str, tab: &str) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect(&format!("/orgs/{key}/settings/{tab}"));
    };
    let notice = http::query(req, "done").map(|_| "Done.");
    let again = Again {
        status: 200,
        feedback: Feedback {
            notice,
            ..Feedback::default()
        },
        ..Again::default()
    };
    render(req, cx, &token, key, tab, again).await
}

/// `GET /orgs/{org}/settings/projects/{id}`
pub async fn project(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect(&format!("/orgs/{key}/settings/projects/{id}"));
    };
    let notice = http::query(req, "done").map(|_| "Done.");
    let feedback = Feedback {
        notice,
        ..Feedback::default()
    };
    render_project(req, cx, &token, key, id, 200, feedback).await
}

fn refused(e: AppError, path: &str) -> Result<Handled, AppError> {
    match e {
        AppError::Unauthenticated => Ok(login_redirect(path)),
        e @ (AppError::NotFound | AppError::Forbidden | AppError::Unavailable(_)) => {
            Ok(error_page(&e.into(), None))
        }
        other => Err(other),
    }
}

async fn render(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    key: &str,
    tab: &str,
    again: Again<'_>,
) -> Handled {
    let path = format!("/orgs/{key}/settings/{tab}");
    let app = cx.app();
    let (view, groups) = match app.list_groups(token, key).await {
        Ok(found) => found,
        Err(e) => return refused(e, &path).unwrap_or_else(|e| error_page(&e.into(), None)),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    let admin = view.membership.role == Role::Administrator;
    let body = match tab {
        "members" => {
            let cursor = http::query(req, "cursor");
            let page = app
                .list_members(
                    token,
                    key,
                    cursor.as_deref(),
                    orgpass_app::members::DEFAULT_PAGE,
                )
                .await?;
            crate::members::views::members(
                &chrome,
                &csrf,
                &view,
                &page.members,
                &groups,
                page.next.as_deref(),
                &again.feedback,
            )
        }
        "invitations" => {
            let list = if admin {
                Some(app.list_invitations(token, key, None).await?.1)
            } else {
                None
            };
            crate::invitations::views::invitations(
                &chrome,
                &csrf,
                &view,
                &groups,
                list.as_deref(),
                &again.invite,
                &again.feedback,
            )
        }
        "groups" => {
            let people = app.list_members(token, key, None, MAX_PAGE).await?.members;
            crate::groups::views::groups(
                &chrome,
                &csrf,
                &view,
                &groups,
                &people,
                &again.feedback,
                &again.typed,
            )
        }
        _ => {
            let (_, projects, may_create) = app.list_projects(token, key).await?;
            let creators = if admin {
                Some((
                    app.list_project_creators(token, key).await?,
                    app.list_members(token, key, None, MAX_PAGE).await?.members,
                ))
            } else {
                None
            };
            crate::projects::views::projects(
                &chrome,
                &csrf,
                &view,
                &projects,
                may_create,
                creators.as_ref().map(|(c, m)| (c.as_slice(), m.as_slice())),
                &again.feedback,
            )
        }
    };
    html(again.status, &body, &cookies)
}

async fn render_project(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    key: &str,
    id: &str,
    status: u16,
    feedback: Feedback<'_>,
) -> Handled {
    let path = format!("/orgs/{key}/settings/projects/{id}");
    let app = cx.app();
    let (project, members) = match app.project_members(token, key, id).await {
        Ok(found) => found,
        Err(e) => return refused(e, &path).unwrap_or_else(|e| error_page(&e.into(), None)),
    };
    let diagrams = app.list_diagrams(token, key, id).await?;
    let (view, groups) = app.list_groups(token, key).await?;
    let people = app.list_members(token, key, None, MAX_PAGE).await?.members;
    let own = effective(
        view.membership.role,
        &members
            .iter()
            .filter(|m| m.account_id == view.viewer.id)
            .map(|m| project::Grant {
                role: m.role,
                via: project::Via::Direct,
            })
            .collect::<Vec<_>>(),
    );
    let org_role = Some(view.membership.role);
    let may = |action| project::authorize(org_role, own, action).is_ok();
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    let page = ProjectPage {
        project: &project,
        members: &members,
        diagrams: &diagrams,
        people: &people,
        groups: &groups,
        manage: may(ProjectAction::Manage),
        edit: may(ProjectAction::DiagramCreate),
    };
    html(
        status,
        &crate::projects::views::project(&chrome, &csrf, &view, &page, &feedback),
        &cookies,
    )
}

fn one<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// `POST /orgs/{org}/settings/{tab}[/{id}]/{action}` (see the module docs).
pub async fn submit(req: &mut Request, cx: &Ctx, key: &str, rest: &[&str]) -> Handled {
    let form = http::form_pairs(req).await?;
    let fields: HashMap<String, String> = form.iter().cloned().collect();
    check_form(req, fields.get("csrf"))?;
    let tab = rest.first().copied().unwrap_or_default();
    let back = match rest {
        ["projects", id, _] => format!("/orgs/{key}/settings/projects/{id}"),
        ["project-creators", ..] => format!("/orgs/{key}/settings/projects"),
        _ => format!("/orgs/{key}/settings/{tab}"),
    };
    let Some(token) = cookie_session(req) else {
        return login_redirect(&back);
    };
    let app = cx.app();
    let query = |name: &str| http::query(req, name).unwrap_or_default();
    let mut invite = InviteForm::default();
    let result: Result<(), AppError> = match rest {
        ["members", id, "update"] => app
            .change_member(
                &token,
                key,
                id,
                orgpass_app::members::ChangeMember {
                    role: Some(one(&form, "role")),
                    // A box left ticked while choosing "guest" is not a request to give a
                    // guest the privilege: the row's one form carries both.
                    can_invite: Some(
                        one(&form, "can_invite") == "1" && one(&form, "role") != "guest",
                    ),
                },
            )
            .await
            .map(drop),
        ["members", id, "remove"] => app.remove_member(&token, key, id).await,
        ["invitations"] => {
            invite = InviteForm {
                emails: one(&form, "emails").to_owned(),
                role: one(&form, "role").to_owned(),
                group_ids: form
                    .iter()
                    .filter(|(k, _)| k == "group_ids")
                    .map(|(_, v)| v.clone())
                    .collect(),
                message: one(&form, "message").to_owned(),
            };
            if one(&form, "count") == "1" {
                // The no-JavaScript way to see "Invite N members" for what was typed.
                let again = Again {
                    status: 200,
                    invite,
                    ..Again::default()
                };
                return render(req, cx, &token, key, "invitations", again).await;
            }
            let input = Invite {
                emails: vec![invite.emails.as_str()],
                role: &invite.role,
                group_ids: invite.group_ids.iter().map(String::as_str).collect(),
                message: Some(invite.message.as_str()),
            };
            match app.invite(&token, key, &input).await {
                Ok(done) => {
                    cx.deliver_mail_soon();
                    let sent = done.invitations.len();
                    let members: Vec<&str> = done.refused.iter().map(|(e, _)| e.as_str()).collect();
                    let note = if members.is_empty() {
                        format!("{sent} invited.")
                    } else {
                        format!("{sent} invited. Already members: {}.", members.join(", "))
                    };
                    // Answered in place (not redirected) so that the notice can name the
                    // refused addresses without putting them in a URL.
                    let again = Again {
                        status: 201,
                        feedback: Feedback {
                            notice: Some(&note),
                            ..Feedback::default()
                        },
                        ..Again::default()
                    };
                    return render(req, cx, &token, key, "invitations", again).await;
                }
                Err(e) => Err(e),
            }
        }
        ["invitations", id, "resend"] => {
            let done = app.resend_invitation(&token, key, id).await.map(drop);
            cx.deliver_mail_soon();
            done
        }
        ["invitations", id, "revoke"] => app.revoke_invitation(&token, key, id).await,
        ["groups"] => app
            .create_group(&token, key, one(&form, "name"))
            .await
            .map(drop),
        ["groups", id, "rename"] => app
            .rename_group(&token, key, id, one(&form, "name"))
            .await
            .map(drop),
        ["groups", id, "delete"] => app.remove_group(&token, key, id).await,
        ["groups", id, "add"] => {
            app.set_group_member(&token, key, id, one(&form, "account"), true)
                .await
        }
        ["groups", id, "remove"] => {
            app.set_group_member(&token, key, id, &query("account"), false)
                .await
        }
        ["groups", id, "role"] => app
            .set_group_role(&token, key, id, one(&form, "role"))
            .await
            .map(drop),
        ["projects"] => match app.create_project(&token, key, one(&form, "name")).await {
            Ok(p) => return Ok(see_other(&format!("{back}/{}?done=1", p.id))?),
            Err(e) => Err(e),
        },
        ["projects", id, "member"] => {
            app.set_project_member(
                &token,
                key,
                id,
                one(&form, "account"),
                Some(one(&form, "role")),
            )
            .await
        }
        ["projects", id, "remove-member"] => {
            app.set_project_member(&token, key, id, &query("account"), None)
                .await
        }
        ["projects", id, "group"] => {
            app.set_project_group(
                &token,
                key,
                id,
                one(&form, "group"),
                Some(one(&form, "role")),
            )
            .await
        }
        ["projects", id, "diagram"] => app
            .create_diagram(&token, key, id, one(&form, "title"))
            .await
            .map(drop),
        ["projects", _, "delete-diagram"] => app
            .change_diagram(&token, key, &query("diagram"), None)
            .await
            .map(drop),
        ["project-creators", "add"] => {
            app.set_project_creator(&token, key, one(&form, "account"), true)
                .await
        }
        ["project-creators", "remove"] => {
            app.set_project_creator(&token, key, &query("account"), false)
                .await
        }
        _ => return Err(ApiError::RouteNotFound),
    };
    let error = match result {
        Ok(()) => return Ok(see_other(&format!("{back}?done=1"))?),
        Err(e) => match refused(e, &back) {
            Ok(answer) => return answer,
            Err(e) => e,
        },
    };
    let d = describe(&ApiError::from(error.clone()));
    let errors: Vec<FieldError> = match &error {
        AppError::Invalid(invalid) => invalid.0.clone(),
        AppError::InvalidEmails(_) => d.fields.clone(),
        AppError::GroupNameTaken => vec![FieldError::new(
            "name",
            "group_name_taken",
            "Another group already has this name.",
        )],
        _ => Vec::new(),
    };
    let detail = match &error {
        AppError::InvalidEmails(bad) => format!("{} Not addresses: {}", d.message, bad.join(", ")),
        _ => d.message.to_owned(),
    };
    let feedback = Feedback {
        errors: &errors,
        notice: None,
        alert: Some(&detail),
    };
    if let ["projects", id, _] = rest {
        return render_project(req, cx, &token, key, id, d.status, feedback).await;
    }
    let again = Again {
        status: d.status,
        feedback,
        invite,
        typed: one(&form, "name").to_owned(),
    };
    render(req, cx, &token, key, tab, again).await
}

/// `GET /invitations/{token}`: the three cases, or why the link no longer works.
pub async fn invitation(req: &mut Request, cx: &Ctx, token: &str) -> Handled {
    let app = cx.app();
    let found = match app.open_invitation(token).await {
        Ok(found) => found,
        Err(e) => return error_page(&e.into(), None),
    };
    if let Err(refusal) = found.invitation.state.accept(cx.now) {
        return error_page(&AppError::Invitation(refusal).into(), None);
    }
    let account = match cookie_session(req) {
        Some(session) => app.me(&session).await.ok().map(|(a, _)| a),
        None => None,
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: account.as_ref(),
        csrf: &csrf,
    };
    html(
        200,
        &crate::invitations::views::invitation(&chrome, &csrf, token, &found, &[], None),
        &cookies,
    )
}

/// `POST /invitations/{token}`: joins as the signed-in account.
pub async fn join(req: &mut Request, cx: &Ctx, token: &str) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let path = format!("/invitations/{token}");
    let Some(session) = cookie_session(req) else {
        return login_redirect(&path);
    };
    match cx.app().accept_invitation(&session, token).await {
        Ok(joined) => Ok(see_other(&format!("/orgs/{}/settings", joined.space_key))?),
        Err(AppError::Unauthenticated) => login_redirect(&path),
        Err(e) => error_page(&e.into(), None),
    }
}

/// `POST /invitations/{token}/signup`: creates the account, joins, logs in.
pub async fn sign_up(req: &mut Request, cx: &Ctx, token: &str) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let app = cx.app();
    let name = form.get("name").map_or("", String::as_str);
    let password = form.get("password").map_or("", String::as_str);
    match app.sign_up_by_invitation(token, name, password).await {
        Ok((session, joined)) => {
            let mut response = see_other(&format!("/orgs/{}/settings", joined.space_key))?;
            response.headers_mut().set(
                "set-cookie",
                &set_cookie(SESSION_COOKIE, session.token.expose(), session_seconds()),
            )?;
            Ok(response)
        }
        Err(AppError::Invalid(invalid)) => {
            let found = app.open_invitation(token).await?;
            let (csrf, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: None,
                csrf: &csrf,
            };
            html(
                400,
                &crate::invitations::views::invitation(
                    &chrome,
                    &csrf,
                    token,
                    &found,
                    &invalid.0,
                    Some("Some fields need attention."),
                ),
                &cookies,
            )
        }
        Err(e) => error_page(&e.into(), None),
    }
}
