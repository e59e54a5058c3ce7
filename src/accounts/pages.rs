//! Accounts' pages: the landing page and dashboard, sign-up, email confirmation (at
//! once in the browser that signed up, else with the password), log-in and log-out,
//! setting a password from an emailed link.

use orgpass_app::{
    accounts::{session_seconds, LogIn, LoggedIn, SignUp, Verifying},
    ports::{AccountRecord, Random},
    AppError,
};
use orgpass_core::{FieldError, SecretToken, TokenHash};
use worker::Request;

use super::views;
use crate::{
    views::Chrome,
    web::{
        auth::check_form,
        context::Ctx,
        error::{describe, error_page, with_retry_after, ApiError},
        http,
        http::{safe_return_to, see_other, set_cookie, SESSION_COOKIE},
        page::{cookie_session, csrf, field, html},
        Handled,
    },
};

/// `GET /`: the dashboard, or the landing page for visitors.
pub async fn home(req: &mut Request, cx: &Ctx) -> Handled {
    let (csrf, cookies) = csrf(req)?;
    if let Some(token) = cookie_session(req) {
        if let Ok((account, orgs)) = cx.app().me(&token).await {
            let chrome = Chrome {
                account: Some(&account),
                csrf: &csrf,
            };
            return html(200, &views::dashboard(&chrome, &account, &orgs), &cookies);
        }
    }
    html(
        200,
        &views::landing(&Chrome {
            account: None,
            csrf: &csrf,
        }),
        &cookies,
    )
}

/// `GET /signup`
pub fn signup_form(req: &mut Request) -> Handled {
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    html(
        200,
        &views::signup(&chrome, &csrf, "", "", &[], None),
        &cookies,
    )
}

/// `POST /signup`
pub async fn signup_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    let (email, name) = (field(&form, "email"), field(&form, "name"));
    let (browser, binding) = signup_binding()?;
    let mut cookies = cookies;
    cookies.push(binding);
    let result = cx
        .app()
        .sign_up(SignUp {
            email,
            password: field(&form, "password"),
            name,
            browser: Some(browser),
        })
        .await;
    match result {
        Ok(account) => {
            cx.deliver_mail_soon();
            html(
                201,
                &views::check_email(&chrome, account.email.as_str(), cx.settings.development),
                &cookies,
            )
        }
        Err(AppError::Invalid(invalid)) => html(
            400,
            &views::signup(&chrome, &csrf, email, name, &invalid.0, None),
            &cookies,
        ),
        Err(e @ AppError::EmailTaken) => {
            let d = describe(&e.into());
            html(
                d.status,
                &views::signup(&chrome, &csrf, email, name, &d.fields, None),
                &cookies,
            )
        }
        Err(e) => error_page(&e.into(), None),
    }
}

/// A page that confirms an emailed link did its work and points to the login.
pub(crate) fn done_log_in(account: &AccountRecord, title: &str, what: &str) -> Handled {
    let chrome = Chrome {
        account: None,
        csrf: "",
    };
    html(
        200,
        &views::done_log_in(&chrome, account.email.as_str(), title, what),
        &[],
    )
}

/// The cookie that marks the browser a sign-up came from: the emailed link confirms at
/// once only there (elsewhere the page asks for the password chosen at sign-up).
pub const SIGNUP_COOKIE: &str = "orgpass_signup";

/// A fresh sign-up secret: its digest for the store, and the cookie carrying it.
///
/// # Errors
/// When randomness is unavailable.
pub fn signup_binding() -> Result<(TokenHash, String), ApiError> {
    let mut fresh = [0u8; 32];
    crate::platform::crypto::PlatformRandom
        .fill(&mut fresh)
        .map_err(AppError::Unavailable)?;
    let secret = SecretToken::from_random(&fresh);
    let cookie = format!(
        "{SIGNUP_COOKIE}={}; Max-Age={}; Path=/verify-email; HttpOnly; Secure; SameSite=Lax",
        secret.expose(),
        orgpass_app::accounts::VERIFICATION_HOURS * 3600
    );
    Ok((secret.hash(), cookie))
}

/// `GET /verify-email?token=`: in the browser that signed up, confirms the address (a
/// GET may, as Auth0's links do: it only confirms what the link was sent to); anywhere
/// else it asks for the password chosen at sign-up first, so that someone who never
/// signed up cannot, by clicking, activate a password chosen by whoever used their
/// address.
pub async fn verify_email(req: &mut Request, cx: &Ctx) -> Handled {
    let token = http::query(req, "token").unwrap_or_default();
    let browser = http::cookie(req, SIGNUP_COOKIE);
    match cx.app().open_verification(&token, browser.as_deref()).await {
        Ok(Verifying::Confirmed(account)) => {
            done_log_in(&account, "Email confirmed", "is confirmed")
        }
        Ok(Verifying::NeedsPassword(account)) => {
            let (csrf, cookies) = csrf(req)?;
            confirm_with_password(&csrf, &cookies, &token, &account, None)
        }
        Err(e) => error_page(&e.into(), None),
    }
}

/// `POST /verify-email`: the confirmation with the sign-up's password.
pub async fn verify_email_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let token = field(&form, "token");
    let ip = http::client_ip(req);
    match cx
        .app()
        .verify_email_with_password(token, field(&form, "password"), &ip)
        .await
    {
        Ok(account) => done_log_in(&account, "Email confirmed", "is confirmed"),
        Err(AppError::InvalidCredentials) => {
            let (csrf, cookies) = csrf(req)?;
            let account = match cx.app().open_verification(token, None).await {
                Ok(Verifying::NeedsPassword(a) | Verifying::Confirmed(a)) => a,
                Err(e) => return error_page(&e.into(), None),
            };
            confirm_with_password(
                &csrf,
                &cookies,
                token,
                &account,
                Some("That is not the password this account was created with."),
            )
        }
        Err(e) => error_page(&e.into(), None),
    }
}

pub(crate) fn confirm_with_password(
    csrf: &str,
    cookies: &[String],
    token: &str,
    account: &AccountRecord,
    error: Option<&'static str>,
) -> Handled {
    let chrome = Chrome {
        account: None,
        csrf,
    };
    let errors = error
        .map(|m| vec![FieldError::new("password", "invalid_credentials", m)])
        .unwrap_or_default();
    html(
        if error.is_some() { 403 } else { 200 },
        &views::confirm_with_password(&chrome, csrf, token, account.email.as_str(), &errors),
        cookies,
    )
}

/// `GET /login`
pub fn login_form(req: &mut Request) -> Handled {
    let (csrf, cookies) = csrf(req)?;
    let return_to = safe_return_to(http::query(req, "return_to").as_deref());
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    html(
        200,
        &views::login(&chrome, &csrf, "", &return_to, None),
        &cookies,
    )
}

/// `POST /login`: sets the session cookie and goes back to `return_to`.
pub async fn login_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let email = field(&form, "email");
    let return_to = safe_return_to(form.get("return_to").map(String::as_str));
    match cx
        .app()
        .log_in(email, field(&form, "password"), &http::client(req))
        .await
    {
        Ok(LogIn::Done(session)) => signed_in(&session, &return_to),
        Ok(LogIn::SecondStep(token)) => {
            crate::two_step::pages::second_step(req, token.expose(), &return_to, &[], None)
        }
        Err(e @ AppError::Unavailable(_)) => error_page(&e.into(), None),
        Err(e) => {
            let error = ApiError::from(e);
            let d = describe(&error);
            let (csrf, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: None,
                csrf: &csrf,
            };
            let response = html(
                d.status,
                &views::login(&chrome, &csrf, email, &return_to, Some(d.message)),
                &cookies,
            )?;
            with_retry_after(response, d.retry_after)
        }
    }
}

/// On to `return_to` (`web::page::go_on`) with the session cookie of `session`.
pub(crate) fn signed_in(session: &LoggedIn, return_to: &str) -> Handled {
    let mut response = crate::web::page::go_on(return_to)?;
    response.headers_mut().append(
        "set-cookie",
        &set_cookie(SESSION_COOKIE, session.token.expose(), session_seconds()),
    )?;
    Ok(response)
}

/// The login page again, with `alert` (`status`).
pub(crate) fn login_again(
    req: &Request,
    email: &str,
    return_to: &str,
    status: u16,
    alert: &str,
) -> Handled {
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    html(
        status,
        &views::login(&chrome, &csrf, email, return_to, Some(alert)),
        &cookies,
    )
}

/// `POST /logout`
pub async fn logout(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    if let Some(token) = cookie_session(req) {
        cx.app().log_out(&token).await?;
    }
    let mut response = see_other("/")?;
    response
        .headers_mut()
        .append("set-cookie", &set_cookie(SESSION_COOKIE, "", 0))?;
    Ok(response)
}

/// `GET /set-password?token=`
pub fn set_password_form(req: &mut Request) -> Handled {
    let token = http::query(req, "token").unwrap_or_default();
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: None,
        csrf: &csrf,
    };
    html(
        200,
        &views::set_password(&chrome, &csrf, &token, &[]),
        &cookies,
    )
}

/// `POST /set-password`
pub async fn set_password_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let token = field(&form, "token");
    match cx.app().set_password(token, field(&form, "password")).await {
        Ok(account) => done_log_in(&account, "Password saved", "has its password"),
        Err(AppError::Invalid(invalid)) => {
            let (csrf, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: None,
                csrf: &csrf,
            };
            html(
                400,
                &views::set_password(&chrome, &csrf, token, &invalid.0),
                &cookies,
            )
        }
        Err(e) => error_page(&e.into(), None),
    }
}
