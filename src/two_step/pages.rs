//! Two-step pages: `/login/two-step`, enrolment and turning it off from the account
//! page (`/account/two-step…`), and the page an organization's requirement shows.

use orgpass_app::{ports::AccountRecord, AppError};
use orgpass_core::FieldError;
use worker::Request;

use super::views;
use crate::{
    accounts::pages::{login_again, signed_in},
    views::Chrome,
    web::{
        auth::check_form,
        context::Ctx,
        error::{describe, error_page, form_refusal, with_retry_after},
        http,
        http::{safe_return_to, see_other},
        page::{csrf, field, html, posted},
        Handled,
    },
};

/// The second-step form (`status` 200 the first time, the refusal's after).
pub fn second_step(
    req: &Request,
    token: &str,
    return_to: &str,
    errors: &[FieldError],
    refusal: Option<(u16, &str)>,
) -> Handled {
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    let (status, alert) = refusal.map_or((200, None), |(s, a)| (s, Some(a)));
    html(
        status,
        &views::second_step(&chrome, token, return_to, errors, alert),
        &cookies,
    )
}

/// `POST /login/two-step`
pub async fn complete(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let token = field(&form, "two_step_token");
    let return_to = safe_return_to(form.get("return_to").map(String::as_str));
    match cx
        .app()
        .complete_login(token, field(&form, "code"), &http::client(req))
        .await
    {
        Ok(session) => signed_in(&session, &return_to),
        Err(e @ AppError::ChallengeInvalid) => {
            let d = describe(&e.into());
            login_again(req, "", &return_to, d.status, d.message)
        }
        Err(e @ (AppError::LoginCodeRefused | AppError::RateLimited { .. })) => {
            let d = describe(&e.into());
            let response = second_step(
                req,
                token,
                &return_to,
                &d.fields,
                Some((d.status, d.message)),
            )?;
            with_retry_after(response, d.retry_after)
        }
        Err(e) => error_page(&e.into(), None),
    }
}

const BACK: &str = "/account";

/// `POST /account/two-step`: the enrolment page with a fresh secret.
pub async fn start(req: &mut Request, cx: &Ctx) -> Handled {
    let form = match posted(req, BACK).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let app = cx.app();
    match app.start_two_step(&form.token).await {
        Ok(enrolled) => enrol_page(
            req,
            &enrolled.account,
            &enrolled.secret,
            &enrolled.otpauth_uri,
            &[],
        ),
        Err(e) => refused(e),
    }
}

fn enrol_page(
    req: &Request,
    account: &AccountRecord,
    secret: &str,
    uri: &str,
    errors: &[FieldError],
) -> Handled {
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(account),
        csrf: &csrf,
    };
    html(
        if errors.is_empty() { 200 } else { 400 },
        &views::enrol(&chrome, secret, uri, errors),
        &cookies,
    )
}

/// A refusal with no form of its own: back to the account page, which shows the
/// refusal's message by its code (`?refused=`), or the refusal's own answer.
fn refused(error: AppError) -> Handled {
    let code = describe(&error.clone().into()).code;
    match form_refusal(error, BACK) {
        Ok(_) => Ok(see_other(&format!("{BACK}?refused={code}"))?),
        Err(answer) => answer,
    }
}

/// `POST /account/two-step/confirm`: on, and the recovery codes.
pub async fn confirm(req: &mut Request, cx: &Ctx) -> Handled {
    let form = match posted(req, BACK).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let app = cx.app();
    let ip = http::client_ip(req);
    match app
        .confirm_two_step(&form.token, form.one("code"), &ip)
        .await
    {
        Ok((account, codes)) => {
            cx.deliver_mail_soon();
            let (csrf, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: Some(&account),
                csrf: &csrf,
            };
            html(200, &views::recovery_codes(&chrome, &codes), &cookies)
        }
        Err(e @ AppError::InvalidCode) => {
            // The page again with the secret it showed (only shown: the code is
            // checked against the stored pending secret), the refusal by the field.
            let (account, _) = app.me(&form.token).await?;
            let Some(secret) = orgpass_core::two_step::Secret::from_base32(form.one("secret"))
            else {
                return refused(e);
            };
            let d = describe(&e.into());
            enrol_page(
                req,
                &account,
                &secret.to_base32(),
                &secret.otpauth_uri(account.email.as_str()),
                &d.fields,
            )
        }
        Err(e) => refused(e),
    }
}

/// `POST /account/two-step/disable`
pub async fn disable(req: &mut Request, cx: &Ctx) -> Handled {
    let form = match posted(req, BACK).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let ip = http::client_ip(req);
    match cx
        .app()
        .disable_two_step(&form.token, form.one("code"), &ip)
        .await
    {
        Ok(()) => {
            cx.deliver_mail_soon();
            Ok(see_other(&format!("{BACK}?done=two-step-off"))?)
        }
        Err(e) => refused(e),
    }
}

/// The page of an organization whose two-step requirement keeps the visitor out.
pub fn required(account: Option<&orgpass_app::ports::AccountRecord>) -> Handled {
    let chrome = Chrome { account, csrf: "" };
    html(403, &views::required(&chrome), &[])
}
