//! Accounts: its views.

use crate::views::*;
use orgpass_app::html::escape;
use orgpass_app::ports::AccountRecord;
use orgpass_app::ports::MembershipSummary;
use orgpass_core::FieldError;

/// The sign-up form.
#[must_use]
pub fn signup(
    chrome: &Chrome<'_>,
    csrf: &str,
    email: &str,
    name: &str,
    errors: &[FieldError],
    alert_text: Option<&str>,
) -> String {
    let body = format!(
        r#"<section class="card"><h1>Create your account</h1>{alert}<form method="post" action="/signup" novalidate><input type="hidden" name="csrf" value="{csrf}">{email}{name}{password}<button type="submit">Sign up</button></form><p class="muted">Already have an account? <a href="/login">Log in</a>.</p></section>"#,
        alert = alert(alert_text),
        csrf = escape(csrf),
        email = field(
            "Email",
            "email",
            "email",
            email,
            errors,
            r#"autocomplete="email" required"#
        ),
        name = field(
            "Your name",
            "name",
            "text",
            name,
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
    );
    page("Sign up", chrome, &body)
}

/// The login form.
#[must_use]
pub fn login(
    chrome: &Chrome<'_>,
    csrf: &str,
    email: &str,
    return_to: &str,
    alert_text: Option<&str>,
) -> String {
    let body = format!(
        r#"<section class="card"><h1>Log in</h1>{alert}<form method="post" action="/login" novalidate><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="return_to" value="{return_to}">{email}{password}<button type="submit">Log in</button></form><p><a href="{sso}" class="button secondary" id="sso-login">Log in with managed account</a></p><p class="muted">No account yet? <a href="/signup">Sign up</a>.</p></section>"#,
        alert = alert(alert_text),
        csrf = escape(csrf),
        return_to = escape(return_to),
        sso = escape(&format!(
            "/login/sso?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("return_to", return_to)
                .finish()
        )),
        email = field(
            "Email",
            "email",
            "email",
            email,
            &[],
            r#"autocomplete="username" required"#
        ),
        password = field(
            "Password",
            "password",
            "password",
            "",
            &[],
            r#"autocomplete="current-password" required"#
        ),
    );
    page("Log in", chrome, &body)
}

/// The dashboard of a signed-in person.
#[must_use]
pub fn dashboard(
    chrome: &Chrome<'_>,
    account: &AccountRecord,
    orgs: &[MembershipSummary],
) -> String {
    let list = if orgs.is_empty() {
        "<p class=\"muted\">You are not in any organization yet.</p>".to_owned()
    } else {
        let items: String = orgs
            .iter()
            .map(|o| {
                format!(
                    r#"<li><a href="/orgs/{key}/settings">{name}</a> <span class="muted">{id} · {role}</span></li>"#,
                    key = escape(&o.space_key),
                    name = escape(&o.name),
                    id = escape(&o.organization_id),
                    role = o.membership.role.as_str(),
                )
            })
            .collect();
        format!("<ul class=\"orgs\">{items}</ul>")
    };
    let body = format!(
        r#"<section class="card"><h1>Hello, {name}</h1><h2>Your organizations</h2>{list}<p><a class="button" href="/orgs/new">Create an organization</a></p></section>"#,
        name = escape(&account.name),
    );
    page("Dashboard", chrome, &body)
}

/// The landing page for visitors.
#[must_use]
pub fn landing(chrome: &Chrome<'_>) -> String {
    page(
        "Welcome",
        chrome,
        r#"<section class="card"><h1>orgpass</h1><p>One account and one organization for Tracker, Diagrams and Chat, with single sign-on for your company.</p><p><a class="button" href="/signup">Create an account</a> <a href="/login">Log in</a></p></section>"#,
    )
}

/// The form that sets a password from an emailed link.
#[must_use]
pub fn set_password(chrome: &Chrome<'_>, csrf: &str, token: &str, errors: &[FieldError]) -> String {
    let body = format!(
        r#"<section class="card"><h1>Choose a password</h1><form method="post" action="/set-password" novalidate><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="token" value="{token}">{password}<button type="submit">Save password</button></form></section>"#,
        csrf = escape(csrf),
        token = escape(token),
        password = field(
            "New password (at least 10 characters)",
            "password",
            "password",
            "",
            errors,
            r#"autocomplete="new-password" required"#
        ),
    );
    page("Choose a password", chrome, &body)
}
