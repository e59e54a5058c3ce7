//! Two-step pages: the login's second step, enrolment (the QR code, the secret, the
//! first code), the recovery codes, and the refusal of an organization that requires
//! two-step verification.

use orgpass_core::FieldError;
use qrcode::{render::svg, EcLevel, QrCode};

use crate::views::{alert, csrf_input, html, message, page, Chrome, Field, Markup, PreEscaped};

/// The login's second step.
#[must_use]
pub fn second_step(
    chrome: &Chrome<'_>,
    token: &str,
    return_to: &str,
    errors: &[FieldError],
    alert_text: Option<&str>,
) -> String {
    let body = html! {
        section.card {
            h1 { "Two-step verification" }
            (alert(alert_text))
            p { "Enter the 6-digit code from your authenticator app, or one of your recovery codes." }
            form method="post" action="/login/two-step" novalidate {
                (csrf_input(chrome.csrf))
                input type="hidden" name="two_step_token" value=(token);
                input type="hidden" name="return_to" value=(return_to);
                (Field::new("Code", "code", "text", "", errors)
                    .autocomplete("one-time-code").verbatim().required())
                button type="submit" { "Verify" }
            }
            p.muted { a href="/login" { "Start over" } }
        }
    };
    page("Two-step verification", chrome, &body)
}

/// The QR code of `uri` as inline SVG. `qrcode` (kennytm) is pure Rust with no
/// default features here (no `image`): the SVG is a string, built without IO.
fn qr_svg(uri: &str) -> Markup {
    let svg = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).map_or_else(
        |_| String::new(),
        |code| {
            code.render::<svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        },
    );
    // The SVG is our own renderer's output over our own URI: markup, not text.
    PreEscaped(svg)
}

/// Enrolment: scan, or type the secret, then confirm with a first code.
#[must_use]
pub fn enrol(chrome: &Chrome<'_>, secret: &str, uri: &str, errors: &[FieldError]) -> String {
    let body = html! {
        section.card {
            p.muted { a href="/account" { "Account" } " / Two-step verification" }
            h1 { "Set up two-step verification" }
            p { "Scan this code with an authenticator app (Google Authenticator, 1Password, Authy, …):" }
            figure.qr role="img" aria-label="QR code of the secret" { (qr_svg(uri)) }
            p { "Or type this secret into the app: " code id="totp-secret" { (secret) } }
            form method="post" action="/account/two-step/confirm" novalidate {
                (csrf_input(chrome.csrf))
                input type="hidden" name="secret" value=(secret);
                (Field::new("Code from the app", "code", "text", "", errors)
                    .autocomplete("one-time-code").verbatim().required())
                button type="submit" { "Turn on" }
            }
        }
    };
    page("Set up two-step verification", chrome, &body)
}

/// Two-step verification is on: the recovery codes, shown once.
#[must_use]
pub fn recovery_codes(chrome: &Chrome<'_>, codes: &[String]) -> String {
    let body = html! {
        p { "Two-step verification is on. Keep these recovery codes somewhere safe: each one logs you in once if you lose your phone. They are shown only now." }
        ul id="recovery-codes" { @for c in codes { li { code { (c) } } } }
        p { a.button href="/account" { "Done" } }
    };
    message(chrome, "Your recovery codes", &body)
}

/// An organization requires two-step verification and the visitor has not turned it on.
#[must_use]
pub fn required(chrome: &Chrome<'_>) -> String {
    let body = html! {
        p { "This organization requires two-step verification. Turn it on for your account to continue: it takes a minute with an authenticator app." }
        p { a.button href="/account#two-step" { "Set up two-step verification" } }
    };
    message(chrome, "Two-step verification required", &body)
}
