//! Delivery through an email provider's HTTP API, against a capturing HTTP server on
//! loopback standing in for the provider (no real provider is reachable here). What is
//! pinned is orgpass's side of the exchange: the request it makes, and what it does
//! with the provider's answer.

use std::time::Duration;

use serde_json::json;

use crate::{capture::Capture, unique_email, World, PASSWORD};

pub const TESTS: &[(&str, crate::TestFn)] = &[(
    "mail::queued_mail_is_posted_to_the_provider",
    queued_mail_is_posted_to_the_provider,
)];

fn queued_mail_is_posted_to_the_provider(w: &World) {
    let provider = Capture::start(202, "{}");
    let url = format!("{}/emails", provider.base);
    let c = w.other_client(
        "mailer",
        &[
            ("EMAIL_API_URL", &url),
            ("EMAIL_API_TOKEN", "provider-test-token"),
            ("EMAIL_FROM", "orgpass <no-reply@orgpass.test>"),
        ],
    );
    let email = unique_email("delivered");
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": PASSWORD, "name": "D"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    let captured = provider.wait_for(|m| m.json()["to"][0] == email.as_str());
    let body = captured.json();
    assert_eq!(
        (captured.method.as_str(), captured.path.as_str()),
        ("POST", "/emails")
    );
    assert!(captured.content_type.starts_with("application/json"));
    assert_eq!(captured.authorization, "Bearer provider-test-token");
    assert_eq!(body["from"], "orgpass <no-reply@orgpass.test>");
    assert_eq!(body["subject"], "Confirm your email address for orgpass");
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("{}/verify-email?token=", c.base)),
        "{text}"
    );
    assert!(body["html"]
        .as_str()
        .unwrap()
        .contains("verify-email?token="));
    assert!(body["headers"]["X-Orgpass-Message-Id"]
        .as_str()
        .unwrap()
        .starts_with("mail_"));

    // Sent mail is not sent again by the Cron.
    let before = provider.all().len();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let cron = c.get(
        &format!("/cdn-cgi/handler/scheduled?cron=0+*+*+*+*&time={now}"),
        None,
    );
    assert_eq!(cron.status, 200);
    std::thread::sleep(Duration::from_millis(500));
    let again = provider
        .all()
        .iter()
        .skip(before)
        .filter(|m| m.json()["to"][0] == email.as_str())
        .count();
    assert_eq!(again, 0, "a delivered message is delivered once");
}
