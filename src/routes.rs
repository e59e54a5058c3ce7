//! The one route table: every path and method orgpass answers, and the room that
//! answers it.

use serde_json::json;
use worker::{Method, Request, Response};

use crate::{
    accounts, audit, domains, groups, invitations, mail, members, oidc, organizations, plan,
    projects, provisioning, self_service,
    self_service::pages::Ask,
    single_sign_on, two_step, views,
    web::{context::Ctx, error::ApiError, http::json_response, Handled},
};

/// Whether a path is served as HTML (errors become pages) rather than JSON.
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path == "/healthz"
        || path == "/dev/mail"
        || path == "/dev/saml/verify"
        || path.starts_with("/scim/")
        || oidc::provider::is_machine_endpoint(path))
}

/// The one route table: each row is a method, a path pattern (segments; a name binds
/// that segment) and the handler. [`route`] dispatches through it; a path that
/// matches some row with another method answers 405, any other 404 (`is_known`,
/// derived from the same rows, so that the two can never disagree).
macro_rules! routes {
    ($req:ident, $cx:ident, $development:ident;
     $($method:ident $pattern:pat $(if $guard:expr)? => $handler:expr,)*) => {
        /// Dispatches one request through the route table.
        pub async fn route($req: &mut Request, $cx: &Ctx) -> Result<Response, ApiError> {
            let path = $req.path();
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            let $development = $cx.settings.development;
            match (segments.as_slice(), $req.method()) {
                $(($pattern, Method::$method) $(if $guard)? => $handler,)*
                (known, _) if is_known(known, $development) => Err(ApiError::MethodNotAllowed),
                _ => Err(ApiError::RouteNotFound),
            }
        }

        /// Whether some row of the table matches `segments` with any method (rows of one
        /// path with several methods repeat their pattern, hence the allow).
        #[allow(unused_variables, unreachable_patterns)]
        fn is_known(segments: &[&str], $development: bool) -> bool {
            match segments {
                $($pattern $(if $guard)? => true,)*
                _ => false,
            }
        }
    };
}

routes! {
    req, cx, development;
    Get ["healthz"] => health(),
    Get [".well-known", "jwks.json"] => oidc::api::jwks(cx),
    Get [".well-known", "openid-configuration"] => oidc::provider::discovery(cx),
    Get ["oauth2", "authorize"] => oidc::provider::authorize(req, cx).await,
    Post ["oauth2", "authorize"] => oidc::provider::authorize(req, cx).await,
    Post ["oauth2", "token"] => oidc::provider::token(req, cx).await,
    Get ["oauth2", "userinfo"] => oidc::provider::userinfo(req, cx).await,
    Post ["oauth2", "userinfo"] => oidc::provider::userinfo(req, cx).await,
    Post ["oauth2", "revoke"] => oidc::provider::revoke(req, cx).await,
    Get ["oauth2", "logout"] => oidc::logout::end_session(req, cx).await,
    Post ["oauth2", "logout"] => oidc::logout::end_session(req, cx).await,
    Get ["static", "orgpass.css"] => asset(views::CSS, "text/css; charset=utf-8"),
    Get ["scim", "v2", org, rest @ ..] => provisioning::service::service(req, cx, org, rest).await,
    Post ["scim", "v2", org, rest @ ..] => provisioning::service::service(req, cx, org, rest).await,
    Put ["scim", "v2", org, rest @ ..] => provisioning::service::service(req, cx, org, rest).await,
    Patch ["scim", "v2", org, rest @ ..] => provisioning::service::service(req, cx, org, rest).await,
    Delete ["scim", "v2", org, rest @ ..] => provisioning::service::service(req, cx, org, rest).await,
    Post ["api", "v1", "orgs", org, "scim", "tokens"] => provisioning::api::create_token(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "scim", "tokens"] => provisioning::api::list_tokens(req, cx, org).await,
    Delete ["api", "v1", "orgs", org, "scim", "tokens", id] => provisioning::api::revoke_token(req, cx, org, id).await,
    Post ["api", "v1", "accounts"] => accounts::api::sign_up(req, cx).await,
    Post ["api", "v1", "accounts", "verify-email"] => accounts::api::verify_email(req, cx).await,
    Post ["api", "v1", "sessions"] => accounts::api::log_in(req, cx).await,
    Delete ["api", "v1", "sessions", "current"] => accounts::api::log_out(req, cx).await,
    Get ["api", "v1", "me"] => accounts::api::me(req, cx).await,
    Patch ["api", "v1", "me"] => self_service::api::rename(req, cx).await,
    Delete ["api", "v1", "me"] => self_service::api::delete_account(req, cx).await,
    Put ["api", "v1", "me", "password"] => self_service::api::change_password(req, cx).await,
    Post ["api", "v1", "me", "email"] => self_service::api::change_email(req, cx).await,
    Post ["api", "v1", "me", "two-step"] => two_step::api::start(req, cx).await,
    Post ["api", "v1", "me", "two-step", "confirm"] => two_step::api::confirm(req, cx).await,
    Delete ["api", "v1", "me", "two-step"] => two_step::api::disable(req, cx).await,
    Post ["api", "v1", "sessions", "two-step"] => two_step::api::complete(req, cx).await,
    Get ["api", "v1", "me", "sessions"] => self_service::api::sessions(req, cx).await,
    Delete ["api", "v1", "me", "sessions", id] => self_service::api::end_session(req, cx, id).await,
    Post ["api", "v1", "accounts", "password-reset"] =>
        self_service::api::request_reset(req, cx).await,
    Post ["api", "v1", "accounts", "password-reset", "confirm"] =>
        self_service::api::confirm_reset(req, cx).await,
    Post ["api", "v1", "accounts", "verify-email", "resend"] =>
        self_service::api::resend_verification(req, cx).await,
    Post ["api", "v1", "accounts", "confirm-email"] =>
        self_service::api::confirm_email(req, cx).await,
    Post ["api", "v1", "orgs"] => organizations::api::create_org(req, cx).await,
    Get ["api", "v1", "orgs", org] => organizations::api::get_org(req, cx, org).await,
    Patch ["api", "v1", "orgs", org] => organizations::api::update_org(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "pass"] => plan::api::get(req, cx, org).await,
    Post ["api", "v1", "orgs", org, "pass", "application"] => plan::api::apply(req, cx, org).await,
    Post ["api", "v1", "orgs", org, "pass", "upgrade"] => plan::api::upgrade(req, cx, org).await,
    Post ["api", "v1", "orgs", org, "pass", "cancel"] => plan::api::cancel(req, cx, org).await,
    Post ["api", "v1", "orgs", org, "domains"] => domains::api::add(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "domains"] => domains::api::list(req, cx, org).await,
    Post ["api", "v1", "orgs", org, "domains", id, "verify"] =>
        domains::api::verify(req, cx, org, id).await,
    Delete ["api", "v1", "orgs", org, "domains", id] =>
        domains::api::delete(req, cx, org, id).await,
    Get ["api", "v1", "orgs", org, "saml"] => single_sign_on::api::get_settings(req, cx, org).await,
    Put ["api", "v1", "orgs", org, "saml"] => single_sign_on::api::put_settings(req, cx, org).await,
    Delete ["api", "v1", "orgs", org, "saml"] =>
        single_sign_on::api::delete_settings(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "saml", "failures"] =>
        single_sign_on::api::failures(req, cx, org).await,
    Post ["api", "v1", "orgs", org, "managed-accounts"] =>
        single_sign_on::api::create_managed(req, cx, org).await,
    Delete ["api", "v1", "orgs", org, "managed-accounts", id] =>
        single_sign_on::api::delete_managed(req, cx, org, id).await,
    Get ["saml", org, "metadata"] => single_sign_on::acs::metadata(cx, org),
    Post ["saml", org, "acs"] => single_sign_on::acs::acs(req, cx, org).await,
    Get ["login", "sso"] => single_sign_on::login::login_sso(req, cx).await,
    Get ["login", "sso", "continue"] => single_sign_on::login::continue_login(req, cx, false).await,
    Post ["login", "sso", "continue"] => single_sign_on::login::continue_login(req, cx, true).await,
    Get ["orgs", org, "settings", tab @ ("authentication" | "managed-accounts")] =>
        single_sign_on::pages::tab(req, cx, org, tab).await,
    Post ["orgs", org, "settings", tab @ ("authentication" | "managed-accounts"), rest @ ..] =>
        single_sign_on::pages::submit(req, cx, org, tab, rest).await,
    Get ["api", "v1", "orgs", org, "members"] => members::api::list(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "audit-events"] => audit::api::list(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "audit-events.csv"] => audit::api::csv(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "audit-stream"] => audit::api::stream_get(req, cx, org).await,
    Put ["api", "v1", "orgs", org, "audit-stream"] => audit::api::stream_put(req, cx, org).await,
    Delete ["api", "v1", "orgs", org, "audit-stream"] => audit::api::stream_delete(req, cx, org).await,
    Patch ["api", "v1", "orgs", org, "members", id] => members::api::change(req, cx, org, id).await,
    Delete ["api", "v1", "orgs", org, "members", "me"] =>
        self_service::api::leave(req, cx, org).await,
    Delete ["api", "v1", "orgs", org, "members", id] =>
        members::api::remove(req, cx, org, id).await,
    Post ["api", "v1", "orgs", org, "invitations"] => invitations::api::invite(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "invitations"] =>
        invitations::api::invitations(req, cx, org).await,
    Post ["api", "v1", "orgs", org, "invitations", id, "resend"] =>
        invitations::api::resend(req, cx, org, id).await,
    Delete ["api", "v1", "orgs", org, "invitations", id] =>
        invitations::api::revoke(req, cx, org, id).await,
    Get ["api", "v1", "invitations", token] => invitations::api::open(cx, token).await,
    Post ["api", "v1", "invitations", token, "accept"] =>
        invitations::api::accept(req, cx, token).await,
    Post ["api", "v1", "invitations", token, "signup"] =>
        invitations::api::sign_up(req, cx, token).await,
    Post ["api", "v1", "orgs", org, "groups"] => groups::api::create_group(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "groups"] => groups::api::groups(req, cx, org).await,
    Patch ["api", "v1", "orgs", org, "groups", id] =>
        groups::api::rename_group(req, cx, org, id).await,
    Delete ["api", "v1", "orgs", org, "groups", id] =>
        groups::api::delete_group(req, cx, org, id).await,
    Put ["api", "v1", "orgs", org, "groups", id, "members", account] =>
        groups::api::group_member(req, cx, org, id, account, true).await,
    Delete ["api", "v1", "orgs", org, "groups", id, "members", account] =>
        groups::api::group_member(req, cx, org, id, account, false).await,
    Post ["api", "v1", "orgs", org, "groups", id, "role"] =>
        groups::api::group_role(req, cx, org, id).await,
    Get ["api", "v1", "orgs", org, "project-creators"] =>
        projects::api::creators(req, cx, org).await,
    Put ["api", "v1", "orgs", org, "project-creators", account] =>
        projects::api::creator(req, cx, org, account, true).await,
    Delete ["api", "v1", "orgs", org, "project-creators", account] =>
        projects::api::creator(req, cx, org, account, false).await,
    Post ["api", "v1", "orgs", org, "projects"] => projects::api::create(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "projects"] => projects::api::list(req, cx, org).await,
    Get ["api", "v1", "orgs", org, "projects", id, "members"] =>
        projects::api::members(req, cx, org, id).await,
    Put ["api", "v1", "orgs", org, "projects", id, kind @ ("members" | "groups"), who] =>
        projects::api::role(req, cx, org, id, (kind, who), true).await,
    Delete ["api", "v1", "orgs", org, "projects", id, kind @ ("members" | "groups"), who] =>
        projects::api::role(req, cx, org, id, (kind, who), false).await,
    Post ["api", "v1", "orgs", org, "projects", id, "diagrams"] =>
        projects::api::create_diagram(req, cx, org, id).await,
    Get ["api", "v1", "orgs", org, "projects", id, "diagrams"] =>
        projects::api::diagrams(req, cx, org, id).await,
    Patch ["api", "v1", "orgs", org, "diagrams", id] =>
        projects::api::rename_diagram(req, cx, org, id).await,
    Delete ["api", "v1", "orgs", org, "diagrams", id] =>
        projects::api::delete_diagram(req, cx, org, id).await,
    Post ["api", "v1", "orgs", org, "authorize"] => projects::api::authorize(req, cx, org).await,
    Post ["api", "v1", "accounts", "set-password"] => accounts::api::set_password(req, cx).await,
    Post ["api", "v1", "billing", "webhook"] => plan::api::webhook(req, cx).await,
    Get ["api", "v1", "operator", "pass", "applications"] =>
        plan::api::operator_list(req, cx).await,
    Post ["api", "v1", "operator", "pass", "applications", org, "approve"] =>
        plan::api::operator_decide(req, cx, org, true).await,
    Post ["api", "v1", "operator", "pass", "applications", org, "reject"] =>
        plan::api::operator_decide(req, cx, org, false).await,
    Patch ["api", "v1", "operator", "orgs", org, "pass"] =>
        plan::api::operator_trial(req, cx, org).await,
    Get ["api", "v1", "operator", "mail", "failed"] => mail::api::operator_failed(req, cx).await,
    Post ["api", "v1", "operator", "clients"] => oidc::api::register(req, cx).await,
    Get ["api", "v1", "operator", "clients"] => oidc::api::list(req, cx).await,
    Delete ["api", "v1", "operator", "clients", id] => oidc::api::remove(req, cx, id).await,
    Post ["api", "v1", "operator", "clients", id, "secret"] =>
        oidc::api::rotate(req, cx, id).await,
    Get ["static", "invite.js"] => asset(views::INVITE_JS, "text/javascript; charset=utf-8"),
    Get ["orgs", org, "settings", "members"] => members::pages::tab(req, cx, org).await,
    Get ["orgs", org, "settings", "invitations"] => invitations::pages::tab(req, cx, org).await,
    Get ["orgs", org, "settings", "groups"] => groups::pages::tab(req, cx, org).await,
    Get ["orgs", org, "settings", "audit-log"] => audit::pages::tab(req, cx, org).await,
    Get ["orgs", org, "settings", "audit-log", "stream"] => audit::pages::stream(req, cx, org).await,
    Post ["orgs", org, "settings", "audit-log", "stream", action] =>
        audit::pages::stream_submit(req, cx, org, action).await,
    Get ["orgs", org, "settings", "projects"] => projects::pages::tab(req, cx, org).await,
    Get ["orgs", org, "settings", "projects", id] =>
        projects::pages::project(req, cx, org, id).await,
    Post ["orgs", org, "settings", "members", rest @ ..] =>
        members::pages::submit(req, cx, org, rest).await,
    Post ["orgs", org, "settings", "invitations", rest @ ..] =>
        invitations::pages::submit(req, cx, org, rest).await,
    Post ["orgs", org, "settings", "groups", rest @ ..] =>
        groups::pages::submit(req, cx, org, rest).await,
    Post ["orgs", org, "settings", rest @ ..] if matches!(rest.first(), Some(&("projects" | "project-creators"))) =>
        projects::pages::submit(req, cx, org, rest).await,
    Get ["invitations", token] => invitations::pages::invitation(req, cx, token).await,
    Post ["invitations", token] => invitations::pages::join(req, cx, token).await,
    Post ["invitations", token, "signup"] => invitations::pages::sign_up(req, cx, token).await,
    Get ["orgs", org, "settings", "plan"] => plan::pages::plan(req, cx, org).await,
    Get ["orgs", org, "settings", "domains"] => domains::pages::domains(req, cx, org).await,
    Post ["orgs", org, "settings", "domains", "add"] =>
        domains::pages::domains_submit(req, cx, org, None, "add").await,
    Post ["orgs", org, "settings", "domains", id, action] =>
        domains::pages::domains_submit(req, cx, org, Some(id), action).await,
    Post ["orgs", org, "settings", "plan", action] =>
        plan::pages::plan_submit(req, cx, org, action).await,
    Get ["dev", "checkout"] if development => plan::pages::dev_checkout(req, cx).await,
    Post ["dev", "checkout"] if development => plan::pages::dev_checkout_submit(req, cx).await,
    Get ["set-password"] => accounts::pages::set_password_form(req),
    Post ["set-password"] => accounts::pages::set_password_submit(req, cx).await,
    Get ["dev", "mail"] if development => mail::api::dev_mail(req, cx).await,
    Get ["dev", "mailbox"] if development => mail::pages::mailbox(req, cx).await,
    Post ["dev", "saml", "verify"] if development => single_sign_on::api::dev_verify(req, cx).await,
    Get [""] => accounts::pages::home(req, cx).await,
    Get ["signup"] => accounts::pages::signup_form(req),
    Post ["signup"] => accounts::pages::signup_submit(req, cx).await,
    Get ["verify-email"] => accounts::pages::verify_email(req, cx).await,
    Post ["verify-email"] => accounts::pages::verify_email_submit(req, cx).await,
    Get ["login"] => accounts::pages::login_form(req),
    Post ["login"] => accounts::pages::login_submit(req, cx).await,
    Post ["logout"] => accounts::pages::logout(req, cx).await,
    Get ["forgot-password"] => self_service::pages::ask_form(req, Ask::Reset),
    Post ["forgot-password"] => self_service::pages::ask_submit(req, cx, Ask::Reset).await,
    Get ["verify-email", "resend"] => self_service::pages::ask_form(req, Ask::Verification),
    Post ["verify-email", "resend"] =>
        self_service::pages::ask_submit(req, cx, Ask::Verification).await,
    Get ["reset-password"] => self_service::pages::reset_form(req, cx).await,
    Post ["reset-password"] => self_service::pages::reset_submit(req, cx).await,
    Get ["confirm-email"] => self_service::pages::confirm_email_form(req, cx).await,
    Post ["confirm-email"] => self_service::pages::confirm_email_submit(req, cx).await,
    Get ["account"] => self_service::pages::account(req, cx).await,
    Post ["login", "two-step"] => two_step::pages::complete(req, cx).await,
    Post ["account", "two-step"] => two_step::pages::start(req, cx).await,
    Post ["account", "two-step", "confirm"] => two_step::pages::confirm(req, cx).await,
    Post ["account", "two-step", "disable"] => two_step::pages::disable(req, cx).await,
    Post ["account", rest @ ..] => self_service::pages::submit(req, cx, rest).await,
    Get ["orgs", "new"] => organizations::pages::new_org_form(req, cx).await,
    Post ["orgs", "new"] => organizations::pages::new_org_submit(req, cx).await,
    Get ["orgs", org, "settings"] => organizations::pages::settings(req, cx, org).await,
    Post ["orgs", org, "settings"] => organizations::pages::settings_submit(req, cx, org).await,
}

/// `GET /healthz`
pub fn health() -> Handled {
    Ok(json_response(
        200,
        &json!({"ok": true, "version": env!("CARGO_PKG_VERSION")}),
    )?)
}

/// A static file compiled into the Worker.
fn asset(body: &str, content_type: &str) -> Handled {
    let mut response = Response::ok(body)?;
    response.headers_mut().set("content-type", content_type)?;
    Ok(response)
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
        // Derived from the same rows as the dispatch: every pattern kind is known.
        assert!(is_known(
            &["orgs", "K", "settings", "groups", "g1", "rename"],
            false
        ));
        assert!(is_known(
            &["orgs", "K", "settings", "project-creators", "add"],
            false
        ));
        assert!(is_known(&["saml", "K", "acs"], false));
        assert!(!is_known(&["orgs", "K", "settings", "nope"], false));
        assert!(!is_known(&["orgs", "K", "settings", "nope", "x"], false));
    }
}
