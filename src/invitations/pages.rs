//! Invitations: the invitations tab and its forms
//! (`POST /orgs/{org}/settings/invitations[/{id}/{resend|revoke}]`), and the invitation
//! page a link opens (`/invitations/{token}`: join, or sign up and join).

use orgpass_app::{accounts::session_seconds, invitations::Invite, AppError};
use orgpass_core::TokenHash;
use worker::Request;

use super::views::{self, InviteForm};
use crate::{
    views::{Chrome, Feedback},
    web::{
        auth::check_form,
        context::Ctx,
        error::{error_page, page_refusal, settle, ApiError},
        http::{self, see_other, set_cookie, SESSION_COOKIE},
        page::{cookie_session, csrf, done_notice, html, login_redirect, posted},
        Handled,
    },
};

/// `GET /orgs/{org}/settings/invitations`
pub async fn tab(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path(key));
    };
    let feedback = Feedback {
        notice: done_notice(req),
        ..Feedback::default()
    };
    render(req, cx, &token, key, 200, &feedback, &InviteForm::default()).await
}

async fn render(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    key: &str,
    status: u16,
    feedback: &Feedback<'_>,
    form: &InviteForm,
) -> Handled {
    let tab = match cx.app().invitations_tab(token, key).await {
        Ok(tab) => tab,
        Err(e) => return page_refusal(e.into(), &path(key)),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&tab.view.viewer),
        csrf: &csrf,
    };
    html(
        status,
        &views::invitations(&chrome, &tab, form, feedback),
        &cookies,
    )
}

/// `POST /orgs/{org}/settings/invitations[/{id}/{resend|revoke}]`
pub async fn submit(req: &mut Request, cx: &Ctx, key: &str, rest: &[&str]) -> Handled {
    let back = path(key);
    let posted = match posted(req, &back).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let app = cx.app();
    let token = &posted.token;
    let mut form = InviteForm::default();
    let result = match rest {
        [] => {
            form = InviteForm {
                emails: posted.one("emails").to_owned(),
                role: posted.one("role").to_owned(),
                group_ids: posted
                    .all("group_ids")
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                message: posted.one("message").to_owned(),
            };
            if posted.one("count") == "1" {
                // The no-JavaScript way to see "Invite N members" for what was typed.
                return render(req, cx, token, key, 200, &Feedback::default(), &form).await;
            }
            let input = Invite {
                emails: vec![form.emails.as_str()],
                role: &form.role,
                group_ids: form.group_ids.iter().map(String::as_str).collect(),
                message: Some(form.message.as_str()),
            };
            match app.invite(token, key, &input).await {
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
                    let feedback = Feedback {
                        notice: Some(&note),
                        ..Feedback::default()
                    };
                    return render(req, cx, token, key, 201, &feedback, &InviteForm::default())
                        .await;
                }
                Err(e) => Err(e),
            }
        }
        [id, "resend"] => {
            let done = app.resend_invitation(token, key, id).await.map(drop);
            cx.deliver_mail_soon();
            done
        }
        [id, "revoke"] => app.revoke_invitation(token, key, id).await,
        _ => return Err(ApiError::RouteNotFound),
    };
    let again = match settle(result, &back) {
        Ok(again) => again,
        Err(answer) => return answer,
    };
    let feedback = again.feedback();
    render(req, cx, token, key, again.status, &feedback, &form).await
}

fn path(key: &str) -> String {
    format!("/orgs/{key}/settings/invitations")
}

/// `GET /invitations/{token}`: the three cases, or why the link no longer works.
pub async fn invitation(req: &mut Request, cx: &Ctx, token: &str) -> Handled {
    let session = cookie_session(req);
    let (found, account) = match cx.app().invitation_page(session.as_ref(), token).await {
        Ok(page) => page,
        Err(e) => return error_page(&e.into(), None),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: account.as_ref(),
        csrf: &csrf,
    };
    html(
        200,
        &views::invitation(&chrome, &csrf, token, &found, &[], None),
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
        Err(e) => page_refusal(e.into(), &path),
    }
}

/// `POST /invitations/{token}/signup`: creates the account, joins, logs in.
pub async fn sign_up(req: &mut Request, cx: &Ctx, token: &str) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let app = cx.app();
    let name = form.get("name").map_or("", String::as_str);
    let password = form.get("password").map_or("", String::as_str);
    match app
        .sign_up_by_invitation(token, name, password, &http::client(req))
        .await
    {
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
                &views::invitation(
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
