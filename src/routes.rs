//! The one route table: every path and method orgpass answers, and the room that
//! answers it.

use serde_json::json;
use worker::{Method, Request, Response};

use crate::web::context::Ctx;
use crate::web::error::ApiError;
use crate::web::http::json_response;
use crate::web::Handled;
use crate::{
    accounts, domains, groups, invitations, mail, members, organizations, plan, projects,
    single_sign_on, views,
};

/// Whether a path is served as HTML (errors become pages) rather than JSON.
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/") || path == "/healthz" || path == "/dev/mail")
}

/// The one route table.
pub async fn route(req: &mut Request, cx: &Ctx) -> Result<Response, ApiError> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    use Method::{Delete, Get, Patch, Post, Put};
    match (segments.as_slice(), method) {
        (["healthz"], Get) => health(),
        (["static", "orgpass.css"], Get) => {
            let mut response = Response::ok(views::CSS)?;
            response
                .headers_mut()
                .set("content-type", "text/css; charset=utf-8")?;
            Ok(response)
        }
        (["api", "v1", "accounts"], Post) => accounts::api::sign_up(req, cx).await,
        (["api", "v1", "accounts", "verify-email"], Post) => {
            accounts::api::verify_email(req, cx).await
        }
        (["api", "v1", "sessions"], Post) => accounts::api::log_in(req, cx).await,
        (["api", "v1", "sessions", "current"], Delete) => accounts::api::log_out(req, cx).await,
        (["api", "v1", "me"], Get) => accounts::api::me(req, cx).await,
        (["api", "v1", "orgs"], Post) => organizations::api::create_org(req, cx).await,
        (["api", "v1", "orgs", org], Get) => organizations::api::get_org(req, cx, org).await,
        (["api", "v1", "orgs", org], Patch) => organizations::api::update_org(req, cx, org).await,
        (["api", "v1", "orgs", org, "pass"], Get) => plan::api::get(req, cx, org).await,
        (["api", "v1", "orgs", org, "pass", "application"], Post) => {
            plan::api::apply(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "pass", "upgrade"], Post) => {
            plan::api::upgrade(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "pass", "cancel"], Post) => {
            plan::api::cancel(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "domains"], Post) => domains::api::add(req, cx, org).await,
        (["api", "v1", "orgs", org, "domains"], Get) => domains::api::list(req, cx, org).await,
        (["api", "v1", "orgs", org, "domains", id, "verify"], Post) => {
            domains::api::verify(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "domains", id], Delete) => {
            domains::api::delete(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "saml"], Get) => {
            single_sign_on::api::get_settings(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "saml"], Put) => {
            single_sign_on::api::put_settings(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "saml"], Delete) => {
            single_sign_on::api::delete_settings(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "saml", "failures"], Get) => {
            single_sign_on::api::failures(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "managed-accounts"], Post) => {
            single_sign_on::api::create_managed(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "managed-accounts", id], Delete) => {
            single_sign_on::api::delete_managed(req, cx, org, id).await
        }
        (["saml", org, "metadata"], Get) => single_sign_on::acs::metadata(cx, org),
        (["saml", org, "acs"], Post) => single_sign_on::acs::acs(req, cx, org).await,
        (["login", "sso"], Get) => single_sign_on::login::login_sso(req, cx).await,
        (["login", "sso", "continue"], Get) => {
            single_sign_on::login::continue_login(req, cx, false).await
        }
        (["login", "sso", "continue"], Post) => {
            single_sign_on::login::continue_login(req, cx, true).await
        }
        (["orgs", org, "settings", tab @ ("authentication" | "managed-accounts")], Get) => {
            single_sign_on::pages::tab(req, cx, org, tab).await
        }
        (
            ["orgs", org, "settings", tab @ ("authentication" | "managed-accounts"), rest @ ..],
            Post,
        ) => single_sign_on::pages::submit(req, cx, org, tab, rest).await,
        (["api", "v1", "orgs", org, "members"], Get) => members::api::list(req, cx, org).await,
        (["api", "v1", "orgs", org, "members", id], Patch) => {
            members::api::change(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "members", id], Delete) => {
            members::api::remove(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "invitations"], Post) => {
            invitations::api::invite(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "invitations"], Get) => {
            invitations::api::invitations(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "invitations", id, "resend"], Post) => {
            invitations::api::resend(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "invitations", id], Delete) => {
            invitations::api::revoke(req, cx, org, id).await
        }
        (["api", "v1", "invitations", token], Get) => invitations::api::open(cx, token).await,
        (["api", "v1", "invitations", token, "accept"], Post) => {
            invitations::api::accept(req, cx, token).await
        }
        (["api", "v1", "invitations", token, "signup"], Post) => {
            invitations::api::sign_up(req, cx, token).await
        }
        (["api", "v1", "orgs", org, "groups"], Post) => {
            groups::api::create_group(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "groups"], Get) => groups::api::groups(req, cx, org).await,
        (["api", "v1", "orgs", org, "groups", id], Patch) => {
            groups::api::rename_group(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "groups", id], Delete) => {
            groups::api::delete_group(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "groups", id, "members", account], Put) => {
            groups::api::group_member(req, cx, org, id, account, true).await
        }
        (["api", "v1", "orgs", org, "groups", id, "members", account], Delete) => {
            groups::api::group_member(req, cx, org, id, account, false).await
        }
        (["api", "v1", "orgs", org, "groups", id, "role"], Post) => {
            groups::api::group_role(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "project-creators"], Get) => {
            projects::api::creators(req, cx, org).await
        }
        (["api", "v1", "orgs", org, "project-creators", account], Put) => {
            projects::api::creator(req, cx, org, account, true).await
        }
        (["api", "v1", "orgs", org, "project-creators", account], Delete) => {
            projects::api::creator(req, cx, org, account, false).await
        }
        (["api", "v1", "orgs", org, "projects"], Post) => projects::api::create(req, cx, org).await,
        (["api", "v1", "orgs", org, "projects"], Get) => projects::api::list(req, cx, org).await,
        (["api", "v1", "orgs", org, "projects", id, "members"], Get) => {
            projects::api::members(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "projects", id, kind @ ("members" | "groups"), who], Put) => {
            projects::api::role(req, cx, org, id, (kind, who), true).await
        }
        (
            ["api", "v1", "orgs", org, "projects", id, kind @ ("members" | "groups"), who],
            Delete,
        ) => projects::api::role(req, cx, org, id, (kind, who), false).await,
        (["api", "v1", "orgs", org, "projects", id, "diagrams"], Post) => {
            projects::api::create_diagram(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "projects", id, "diagrams"], Get) => {
            projects::api::diagrams(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "diagrams", id], Patch) => {
            projects::api::rename_diagram(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "diagrams", id], Delete) => {
            projects::api::delete_diagram(req, cx, org, id).await
        }
        (["api", "v1", "orgs", org, "authorize"], Post) => {
            projects::api::authorize(req, cx, org).await
        }
        (["api", "v1", "accounts", "set-password"], Post) => {
            accounts::api::set_password(req, cx).await
        }
        (["api", "v1", "billing", "webhook"], Post) => plan::api::webhook(req, cx).await,
        (["api", "v1", "operator", "pass", "applications"], Get) => {
            plan::api::operator_list(req, cx).await
        }
        (["api", "v1", "operator", "pass", "applications", org, "approve"], Post) => {
            plan::api::operator_decide(req, cx, org, true).await
        }
        (["api", "v1", "operator", "pass", "applications", org, "reject"], Post) => {
            plan::api::operator_decide(req, cx, org, false).await
        }
        (["api", "v1", "operator", "orgs", org, "pass"], Patch) => {
            plan::api::operator_trial(req, cx, org).await
        }
        (["static", "invite.js"], Get) => {
            let mut response = Response::ok(views::INVITE_JS)?;
            response
                .headers_mut()
                .set("content-type", "text/javascript; charset=utf-8")?;
            Ok(response)
        }
        (["orgs", org, "settings", "members"], Get) => members::pages::tab(req, cx, org).await,
        (["orgs", org, "settings", "invitations"], Get) => {
            invitations::pages::tab(req, cx, org).await
        }
        (["orgs", org, "settings", "groups"], Get) => groups::pages::tab(req, cx, org).await,
        (["orgs", org, "settings", "projects"], Get) => projects::pages::tab(req, cx, org).await,
        (["orgs", org, "settings", "projects", id], Get) => {
            projects::pages::project(req, cx, org, id).await
        }
        (["orgs", org, "settings", "members", rest @ ..], Post) => {
            members::pages::submit(req, cx, org, rest).await
        }
        (["orgs", org, "settings", "invitations", rest @ ..], Post) => {
            invitations::pages::submit(req, cx, org, rest).await
        }
        (["orgs", org, "settings", "groups", rest @ ..], Post) => {
            groups::pages::submit(req, cx, org, rest).await
        }
        (["orgs", org, "settings", rest @ ..], Post)
            if matches!(rest.first(), Some(&("projects" | "project-creators"))) =>
        {
            projects::pages::submit(req, cx, org, rest).await
        }
        (["invitations", token], Get) => invitations::pages::invitation(req, cx, token).await,
        (["invitations", token], Post) => invitations::pages::join(req, cx, token).await,
        (["invitations", token, "signup"], Post) => {
            invitations::pages::sign_up(req, cx, token).await
        }
        (["orgs", org, "settings", "plan"], Get) => plan::pages::plan(req, cx, org).await,
        (["orgs", org, "settings", "domains"], Get) => domains::pages::domains(req, cx, org).await,
        (["orgs", org, "settings", "domains", "add"], Post) => {
            domains::pages::domains_submit(req, cx, org, None, "add").await
        }
        (["orgs", org, "settings", "domains", id, action], Post) => {
            domains::pages::domains_submit(req, cx, org, Some(id), action).await
        }
        (["orgs", org, "settings", "plan", action], Post) => {
            plan::pages::plan_submit(req, cx, org, action).await
        }
        (["dev", "checkout"], Get) if cx.settings.development => {
            plan::pages::dev_checkout(req, cx).await
        }
        (["dev", "checkout"], Post) if cx.settings.development => {
            plan::pages::dev_checkout_submit(req, cx).await
        }
        (["set-password"], Get) => accounts::pages::set_password_form(req),
        (["set-password"], Post) => accounts::pages::set_password_submit(req, cx).await,
        (["dev", "mail"], Get) if cx.settings.development => mail::api::dev_mail(req, cx).await,
        (["dev", "mailbox"], Get) if cx.settings.development => mail::pages::mailbox(req, cx).await,
        ([""], Get) => accounts::pages::home(req, cx).await,
        (["signup"], Get) => accounts::pages::signup_form(req),
        (["signup"], Post) => accounts::pages::signup_submit(req, cx).await,
        (["verify-email"], Get) => accounts::pages::verify_email(req, cx).await,
        (["verify-email"], Post) => accounts::pages::verify_email_submit(req, cx).await,
        (["login"], Get) => accounts::pages::login_form(req),
        (["login"], Post) => accounts::pages::login_submit(req, cx).await,
        (["logout"], Post) => accounts::pages::logout(req, cx).await,
        (["orgs", "new"], Get) => organizations::pages::new_org_form(req, cx).await,
        (["orgs", "new"], Post) => organizations::pages::new_org_submit(req, cx).await,
        (["orgs", org, "settings"], Get) => organizations::pages::settings(req, cx, org).await,
        (["orgs", org, "settings"], Post) => {
            organizations::pages::settings_submit(req, cx, org).await
        }
        (known, _) if is_known(known, cx.settings.development) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::RouteNotFound),
    }
}

/// Paths that exist with some other method (for 405 rather than 404).
fn is_known(segments: &[&str], development: bool) -> bool {
    matches!(
        segments,
        ["healthz"]
            | ["api", "v1", "accounts"]
            | ["api", "v1", "accounts", "verify-email"]
            | ["api", "v1", "sessions"]
            | ["api", "v1", "sessions", "current"]
            | ["api", "v1", "me"]
            | ["api", "v1", "orgs"]
            | ["api", "v1", "orgs", _]
            | ["api", "v1", "orgs", _, "pass", ..]
            | ["api", "v1", "orgs", _, "domains", ..]
            | [
                "api",
                "v1",
                "orgs",
                _,
                "members" | "invitations" | "groups" | "project-creators" | "projects" | "diagrams",
                ..
            ]
            | ["api", "v1", "orgs", _, "authorize"]
            | ["api", "v1", "orgs", _, "saml", ..]
            | ["api", "v1", "orgs", _, "managed-accounts", ..]
            | ["saml", _, "metadata" | "acs"]
            | ["login", "sso"]
            | ["login", "sso", "continue"]
            | [
                "orgs",
                _,
                "settings",
                "authentication" | "managed-accounts",
                ..
            ]
            | ["api", "v1", "invitations", _, ..]
            | ["api", "v1", "accounts", "set-password"]
            | ["api", "v1", "billing", "webhook"]
            | ["orgs", _, "settings", "plan", ..]
            | ["orgs", _, "settings", "domains", ..]
            | [
                "orgs",
                _,
                "settings",
                "members" | "invitations" | "groups" | "projects" | "project-creators",
                ..
            ]
            | ["invitations", _, ..]
            | ["static", _]
            | ["set-password"]
            | [""]
            | ["signup"]
            | ["verify-email"]
            | ["login"]
            | ["logout"]
            | ["orgs", "new"]
            | ["orgs", _, "settings"]
    ) || (development
        && matches!(
            segments,
            ["dev", "mail"] | ["dev", "mailbox"] | ["dev", "checkout"]
        ))
}

/// `GET /healthz`
pub fn health() -> Handled {
    Ok(json_response(
        200,
        &json!({"ok": true, "version": env!("CARGO_PKG_VERSION")}),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_answer_405_not_404() {
        assert!(is_known(&["api", "v1", "me"], false));
        assert!(!is_known(&["api", "v1", "nope"], false));
        assert!(!is_known(&["dev", "mail"], false));
        assert!(is_known(&["dev", "mail"], true));
    }
}
