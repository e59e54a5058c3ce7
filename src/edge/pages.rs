//! The HTML pages of docs/api.md "Pages". Forms post back to the same paths; each POST
//! checks the origin and the form's CSRF token before anything else.

use std::collections::HashMap;

use worker::{Headers, Request, Response};

use super::auth::{check_form, form_csrf, session_token, Via};
use super::context::Ctx;
use super::error::{describe, ApiError};
use super::http::{self, safe_return_to, see_other, set_cookie, CSRF_COOKIE, SESSION_COOKIE};
use super::views::{self, Chrome};
use orgpass_app::accounts::{session_seconds, SignUp, Verifying};
use orgpass_app::orgs::{CreateOrg, UpdateOrg};
use orgpass_app::ports::{AccountRecord, Random};
use orgpass_app::AppError;
use orgpass_core::{FieldError, SecretToken, TokenHash};

type Handled = Result<Response, ApiError>;

/// An HTML response with optional cookies to set.
pub(super) fn html(status: u16, body: &str, cookies: &[String]) -> Handled {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    for c in cookies {
        headers.append("set-cookie", c)?;
    }
    Ok(Response::ok(body)?
        .with_status(status)
        .with_headers(headers))
}

/// The form CSRF token for this visitor, and the cookie to set when it is new.
pub(super) fn csrf(req: &Request) -> Result<(String, Vec<String>), ApiError> {
    let mut fresh = [0u8; 32];
    super::crypto::PlatformRandom
        .fill(&mut fresh)
        .map_err(AppError::Unavailable)?;
    let (token, cookie) = form_csrf(req, &SecretToken::from_random(&fresh));
    Ok((
        token,
        cookie
            .map(|c| vec![set_cookie(CSRF_COOKIE, &c, session_seconds())])
            .unwrap_or_default(),
    ))
}

/// The cookie session's token hash, if the visitor has one.
pub(super) fn cookie_session(req: &Request) -> Option<TokenHash> {
    session_token(req)
        .filter(|(_, via)| *via == Via::Cookie)
        .map(|(t, _)| t.hash())
}

pub(super) fn login_redirect(path: &str) -> Handled {
    let target: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", path)
        .finish();
    Ok(see_other(&format!("/login?{target}"))?)
}

/// A page for a refusal that has no form to go back to.
pub fn error_page(error: &ApiError, account: Option<&AccountRecord>) -> Handled {
    let d = describe(error);
    let chrome = Chrome { account, csrf: "" };
    let title = match d.status {
        404 => "Not found",
        403 => "Not allowed",
        410 => "Link no longer valid",
        429 => "Too many attempts",
        500 => "Something went wrong",
        _ => "That did not work",
    };
    let response = html(
        d.status,
        &views::message(
            &chrome,
            title,
            &format!(
                "<p>{}</p><p><a href=\"/\">Back to orgpass</a></p>",
                orgpass_app::html::escape(d.message)
            ),
        ),
        &[],
    )?;
    with_retry_after(response, d.retry_after)
}

/// Adds `Retry-After` to a page answering a rate limit.
fn with_retry_after(mut response: Response, seconds: Option<i64>) -> Handled {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .set("retry-after", &seconds.to_string())?;
    }
    Ok(response)
}

pub(super) fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

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
            let dev = if cx.settings.development {
                format!(
                    "<p class=\"muted\">Development: the message is in the <a href=\"/dev/mailbox?to={}\">development mailbox</a>.</p>",
                    orgpass_app::html::escape(account.email.as_str())
                )
            } else {
                String::new()
            };
            let body = format!(
                "<p>We sent a confirmation link to <strong>{}</strong>. Open it to activate your account, then log in.</p>{dev}",
                orgpass_app::html::escape(account.email.as_str())
            );
            html(
                201,
                &views::message(&chrome, "Check your email", &body),
                &cookies,
            )
        }
        Err(AppError::Invalid(invalid)) => html(
            400,
            &views::signup(&chrome, &csrf, email, name, &invalid.0, None),
            &cookies,
        ),
        Err(AppError::EmailTaken) => {
            let taken = [FieldError::new(
                "email",
                "email_taken",
                "An account with this email already exists. Log in instead.",
            )];
            html(
                409,
                &views::signup(&chrome, &csrf, email, name, &taken, None),
                &cookies,
            )
        }
        Err(e) => error_page(&e.into(), None),
    }
}

/// A page that confirms an emailed link did its work and points to the login.
fn done_log_in(account: &AccountRecord, title: &str, what: &str) -> Handled {
    let chrome = Chrome {
        account: None,
        csrf: "",
    };
    let body = format!(
        "<p>Thank you: <strong>{}</strong> {what}.</p><p><a class=\"button\" href=\"/login\">Log in</a></p>",
        orgpass_app::html::escape(account.email.as_str())
    );
    html(200, &views::message(&chrome, title, &body), &[])
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
    super::crypto::PlatformRandom
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

fn confirm_with_password(
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
    let body = format!(
        r#"<section class="card"><h1>Confirm your email</h1><p>To confirm <strong>{email}</strong>, enter the password chosen when this account was created.</p><form method="post" action="/verify-email"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="token" value="{token}">{field}<button type="submit">Confirm</button></form><p class="muted">Did not sign up? Ignore this: nothing happens without the password, and the unconfirmed account is deleted after 7 days.</p></section>"#,
        email = orgpass_app::html::escape(account.email.as_str()),
        csrf = orgpass_app::html::escape(csrf),
        token = orgpass_app::html::escape(token),
        field = views::field(
            "Password",
            "password",
            "password",
            "",
            &errors,
            r#"autocomplete="current-password" required"#
        ),
    );
    html(
        if error.is_some() { 403 } else { 200 },
        &views::page("Confirm your email", &chrome, &body),
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
    let ip = http::client_ip(req);
    match cx.app().log_in(email, field(&form, "password"), &ip).await {
        Ok(session) => {
            let mut response = see_other(&return_to)?;
            response.headers_mut().append(
                "set-cookie",
                &set_cookie(SESSION_COOKIE, session.token.expose(), session_seconds()),
            )?;
            Ok(response)
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

/// `GET /orgs/new`
pub async fn new_org_form(req: &mut Request, cx: &Ctx) -> Handled {
    let Some(token) = cookie_session(req) else {
        return login_redirect("/orgs/new");
    };
    let Ok((account, _)) = cx.app().me(&token).await else {
        return login_redirect("/orgs/new");
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&account),
        csrf: &csrf,
    };
    html(
        200,
        &views::new_org(&chrome, &csrf, "", "tracker", "", &[]),
        &cookies,
    )
}

/// `POST /orgs/new`
pub async fn new_org_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let Some(token) = cookie_session(req) else {
        return login_redirect("/orgs/new");
    };
    let (name, product, id) = (
        field(&form, "name"),
        field(&form, "product"),
        field(&form, "organization_id"),
    );
    let result = cx
        .app()
        .create_org(
            &token,
            CreateOrg {
                name,
                product,
                organization_id: Some(id),
            },
        )
        .await;
    let errors: Vec<FieldError> = match result {
        Ok(view) => {
            return Ok(see_other(&format!(
                "/orgs/{}/settings",
                view.org.space_key
            ))?)
        }
        Err(AppError::Unauthenticated) => return login_redirect("/orgs/new"),
        Err(AppError::Invalid(invalid)) => invalid.0,
        Err(AppError::OrganizationIdTaken) => vec![FieldError::new(
            "organization_id",
            "organization_id_taken",
            "This organization ID is taken. Choose another.",
        )],
        Err(e) => return error_page(&e.into(), None),
    };
    let (account, _) = cx.app().me(&token).await?;
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&account),
        csrf: &csrf,
    };
    let status = if errors.iter().any(|e| e.code == "organization_id_taken") {
        409
    } else {
        400
    };
    html(
        status,
        &views::new_org(&chrome, &csrf, name, product, id, &errors),
        &cookies,
    )
}

/// `GET /orgs/{org}/settings` (the profile tab).
pub async fn settings(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let path = format!("/orgs/{space_key}/settings");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let app = cx.app();
    match app.get_org(&token, space_key).await {
        Ok(mut view) => {
            // The profile shows the add-on's status as it stands now.
            view.org.pass = view.org.pass.at(cx.now);
            let (csrf, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: Some(&view.viewer),
                csrf: &csrf,
            };
            let notice = http::query(req, "saved").map(|_| "Saved.");
            let form = (view.org.name.clone(), view.org.organization_id.to_string());
            html(
                200,
                &views::settings_profile(
                    &chrome,
                    &csrf,
                    &view,
                    (&form.0, &form.1),
                    &[],
                    notice,
                    None,
                ),
                &cookies,
            )
        }
        Err(AppError::Unauthenticated) => login_redirect(&path),
        Err(e) => error_page(&e.into(), None),
    }
}

/// `POST /orgs/{org}/settings`: saves the profile.
pub async fn settings_submit(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let path = format!("/orgs/{space_key}/settings");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let (name, id) = (field(&form, "name"), field(&form, "organization_id"));
    let app = cx.app();
    let result = app
        .update_org(
            &token,
            space_key,
            UpdateOrg {
                name: Some(name),
                organization_id: Some(id),
            },
        )
        .await;
    let (errors, status) = match result {
        Ok(_) => return Ok(see_other(&format!("{path}?saved=1"))?),
        Err(AppError::Unauthenticated) => return login_redirect(&path),
        Err(AppError::Invalid(invalid)) => (invalid.0, 400),
        Err(AppError::OrganizationIdTaken) => (
            vec![FieldError::new(
                "organization_id",
                "organization_id_taken",
                "This organization ID is taken. Choose another.",
            )],
            409,
        ),
        Err(e) => return error_page(&e.into(), None),
    };
    let view = app.get_org(&token, space_key).await?;
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    html(
        status,
        &views::settings_profile(
            &chrome,
            &csrf,
            &view,
            (name, id),
            &errors,
            None,
            Some("Some fields need attention."),
        ),
        &cookies,
    )
}

/// `GET /dev/mailbox?to=`: the development mailbox for people.
pub async fn mailbox(req: &mut Request, cx: &Ctx) -> Handled {
    let to = http::query(req, "to").unwrap_or_default();
    let messages = if to.is_empty() {
        Vec::new()
    } else {
        cx.app().mailbox(&to).await.unwrap_or_default()
    };
    html(
        200,
        &views::mailbox(
            &Chrome {
                account: None,
                csrf: "",
            },
            &to,
            &messages,
        ),
        &[],
    )
}

/// `GET /orgs/{org}/settings/plan`
pub async fn plan(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let path = format!("/orgs/{space_key}/settings/plan");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    match cx.app().get_org(&token, space_key).await {
        Ok(view) => {
            let (csrf, cookies) = csrf(req)?;
            let chrome = Chrome {
                account: Some(&view.viewer),
                csrf: &csrf,
            };
            let notice = match (http::query(req, "upgraded"), http::query(req, "done")) {
                (Some(_), _) => Some("Thank you: the payment went through."),
                (_, Some(_)) => Some("Saved."),
                _ => None,
            };
            let email = view.viewer.email.to_string();
            let form = [
                view.viewer.name.as_str(),
                email.as_str(),
                view.org.name.as_str(),
            ];
            let feedback = views::Feedback {
                notice,
                ..Default::default()
            };
            html(
                200,
                &views::plan(&chrome, &csrf, &view, cx.now, &feedback, form),
                &cookies,
            )
        }
        Err(AppError::Unauthenticated) => login_redirect(&path),
        Err(e) => error_page(&e.into(), None),
    }
}

/// `POST /orgs/{org}/settings/plan/{apply|upgrade|cancel}`
pub async fn plan_submit(req: &mut Request, cx: &Ctx, space_key: &str, action: &str) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let path = format!("/orgs/{space_key}/settings/plan");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let app = cx.app();
    let provider = cx.settings.payments.clone();
    let result = match (action, provider) {
        ("apply", _) => app
            .apply_for_pass(
                &token,
                space_key,
                orgpass_app::pass::ApplyInput {
                    admin_name: field(&form, "admin_name"),
                    admin_email: field(&form, "admin_email"),
                    company_name: field(&form, "company_name"),
                    space_key: field(&form, "space_key"),
                },
            )
            .await
            .map(|_| format!("{path}?done=1")),
        ("upgrade", Some(p)) => app.start_upgrade(&token, space_key, &p).await,
        ("cancel", Some(p)) => app
            .cancel_pass(&token, space_key, &p)
            .await
            .map(|_| format!("{path}?done=1")),
        ("upgrade" | "cancel", None) => Err(AppError::Upstream(orgpass_app::ports::PortError(
            "no payment provider configured".to_owned(),
        ))),
        _ => return Err(ApiError::RouteNotFound),
    };
    let (errors, message) = match result {
        Ok(location) => {
            if action == "apply" {
                cx.deliver_mail_soon();
            }
            return Ok(see_other(&location)?);
        }
        Err(AppError::Unauthenticated) => return login_redirect(&path),
        Err(AppError::Invalid(invalid)) => (invalid.0, None),
        Err(e @ (AppError::NotFound | AppError::Forbidden | AppError::Unavailable(_))) => {
            return error_page(&e.into(), None)
        }
        Err(e) => {
            let d = describe(&ApiError::from(e));
            (d.fields, Some(d.message))
        }
    };
    let view = app.get_org(&token, space_key).await?;
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    let form_values = [
        field(&form, "admin_name"),
        field(&form, "admin_email"),
        field(&form, "company_name"),
    ];
    let status = if errors.is_empty() { 409 } else { 400 };
    html(
        status,
        &views::plan(
            &chrome,
            &csrf,
            &view,
            cx.now,
            &views::Feedback {
                errors: &errors,
                notice: None,
                alert: message.or(Some("Some fields need attention.")),
            },
            form_values,
        ),
        &cookies,
    )
}

/// `GET /dev/checkout?org=` (development provider only): the test payment page.
pub async fn dev_checkout(req: &mut Request, cx: &Ctx) -> Handled {
    let key = http::query(req, "org").unwrap_or_default();
    let path = format!("/dev/checkout?org={key}");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let view = match cx.app().get_org(&token, &key).await {
        Ok(view) => view,
        Err(AppError::Unauthenticated) => return login_redirect(&path),
        Err(e) => return error_page(&e.into(), None),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    html(
        200,
        &views::dev_checkout(&chrome, &csrf, view.org.space_key.as_str(), &view.org.name),
        &cookies,
    )
}

/// `POST /dev/checkout`: completes the test payment by signing a
/// `checkout.session.completed` event with the webhook secret and handing it to the
/// same verification and handling as a provider's webhook.
pub async fn dev_checkout_submit(req: &mut Request, cx: &Ctx) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let key = field(&form, "org").to_owned();
    let Some(token) = cookie_session(req) else {
        return login_redirect(&format!("/dev/checkout?org={key}"));
    };
    let app = cx.app();
    // The same checks as starting an upgrade: an administrator, an eligible add-on.
    let provider = cx
        .settings
        .payments
        .clone()
        .ok_or(ApiError::RouteNotFound)?;
    if let Err(e) = app.start_upgrade(&token, &key, &provider).await {
        return error_page(&e.into(), None);
    }
    let secret = cx
        .settings
        .webhook_secret
        .clone()
        .ok_or(ApiError::RouteNotFound)?;
    let mut id = [0u8; 16];
    super::crypto::PlatformRandom
        .fill(&mut id)
        .map_err(AppError::Unavailable)?;
    let suffix = hex::encode(id);
    let event = serde_json::json!({
        "id": format!("evt_dev_{suffix}"),
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {
            "object": "checkout.session",
            "id": format!("cs_dev_{suffix}"),
            "client_reference_id": key,
            "customer": format!("cus_dev_{key}"),
            "subscription": format!("sub_dev_{suffix}"),
            "metadata": {"space_key": key},
        }},
    })
    .to_string();
    let signature =
        orgpass_core::stripe::sign(event.as_bytes(), secret.as_bytes(), cx.now.millis() / 1000)
            .ok_or(ApiError::MalformedBody)?;
    match app
        .billing_webhook(event.as_bytes(), Some(&signature), secret.as_bytes())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/orgs/{key}/settings/plan?upgraded=1"))?),
        Err(e) => error_page(&e.into(), None),
    }
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

/// `GET /orgs/{org}/settings/domains`
pub async fn domains(req: &mut Request, cx: &Ctx, space_key: &str) -> Handled {
    let path = format!("/orgs/{space_key}/settings/domains");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let notice = http::query(req, "done").map(|_| "Done.");
    render_domains(
        req,
        cx,
        &token,
        space_key,
        200,
        views::Feedback {
            notice,
            ..Default::default()
        },
        "",
    )
    .await
}

async fn render_domains(
    req: &Request,
    cx: &Ctx,
    token: &TokenHash,
    space_key: &str,
    status: u16,
    feedback: views::Feedback<'_>,
    typed: &str,
) -> Handled {
    let app = cx.app();
    let view = match app.get_org(token, space_key).await {
        Ok(view) => view,
        Err(AppError::Unauthenticated) => {
            return login_redirect(&format!("/orgs/{space_key}/settings/domains"))
        }
        Err(e) => return error_page(&e.into(), None),
    };
    let list = match app.list_domains(token, space_key).await {
        Ok(list) => list,
        Err(e) => return error_page(&e.into(), Some(&view.viewer)),
    };
    let (csrf, cookies) = csrf(req)?;
    let chrome = Chrome {
        account: Some(&view.viewer),
        csrf: &csrf,
    };
    html(
        status,
        &views::domains(&chrome, &csrf, &view, &list, &feedback, typed),
        &cookies,
    )
}

/// `POST /orgs/{org}/settings/domains/add`, `…/{id}/verify`, `…/{id}/delete`
pub async fn domains_submit(
    req: &mut Request,
    cx: &Ctx,
    space_key: &str,
    id: Option<&str>,
    action: &str,
) -> Handled {
    let form = http::form(req).await?;
    check_form(req, form.get("csrf"))?;
    let path = format!("/orgs/{space_key}/settings/domains");
    let Some(token) = cookie_session(req) else {
        return login_redirect(&path);
    };
    let app = cx.app();
    let typed = field(&form, "domain");
    let result = match (action, id) {
        ("add", None) => app.add_domain(&token, space_key, typed).await.map(|_| ()),
        ("verify", Some(id)) => app
            .verify_domain(&token, space_key, id, &cx.resolver())
            .await
            .map(|_| ()),
        ("delete", Some(id)) => app.remove_domain(&token, space_key, id).await,
        _ => return Err(ApiError::RouteNotFound),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("{path}?done=1"))?),
        Err(AppError::Unauthenticated) => login_redirect(&path),
        Err(AppError::Invalid(invalid)) => {
            let feedback = views::Feedback {
                errors: &invalid.0,
                ..Default::default()
            };
            render_domains(req, cx, &token, space_key, 400, feedback, typed).await
        }
        Err(e @ (AppError::NotFound | AppError::Forbidden | AppError::Unavailable(_))) => {
            error_page(&e.into(), None)
        }
        Err(e) => {
            let d = describe(&ApiError::from(e));
            let feedback = views::Feedback {
                alert: Some(d.message),
                ..Default::default()
            };
            render_domains(req, cx, &token, space_key, d.status, feedback, typed).await
        }
    }
}
