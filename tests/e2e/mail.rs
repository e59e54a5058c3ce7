//! Delivery through an email provider's HTTP API, against a capturing HTTP server on
//! loopback standing in for the provider (no real provider is reachable here). What is
//! pinned is orgpass's side of the exchange: the request it makes, and what it does
//! with the provider's answer.

use std::time::Duration;

use serde_json::json;

use crate::{capture::Capture, unique_email, World, PASSWORD};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "mail::queued_mail_is_posted_to_the_provider",
        queued_mail_is_posted_to_the_provider,
    ),
    (
        "mail::an_outage_loses_nothing_and_sends_once",
        an_outage_loses_nothing_and_sends_once,
    ),
    (
        "mail::a_slow_provider_gets_each_message_once",
        a_slow_provider_gets_each_message_once,
    ),
];

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

/// Runs the hourly Cron as of `at_ms` (it delivers what is due).
fn hourly(c: &crate::client::Client, at_ms: i64) {
    let r = c.get(
        &format!("/cdn-cgi/handler/scheduled?cron=0+*+*+*+*&time={at_ms}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Finding 4 and 5 of #16: the provider fails with 500, then rate-limits with
/// `Retry-After`, then recovers. The message waits out each back-off (and the wait the
/// provider asked for), is sent once after the recovery, always with its own id as
/// the idempotency key, and never again.
fn an_outage_loses_nothing_and_sends_once(w: &World) {
    let provider = Capture::start(500, "{}");
    let url = format!("{}/emails", provider.base);
    let c = w.other_client(
        "mailer-outage",
        &[
            ("EMAIL_API_URL", &url),
            ("EMAIL_API_TOKEN", "provider-test-token"),
        ],
    );
    let email = unique_email("outage");
    let to_them = || {
        provider
            .all()
            .into_iter()
            .filter(|m| m.json()["to"][0] == email.as_str())
            .collect::<Vec<_>>()
    };
    let start = crate::pass::now_ms();
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": PASSWORD, "name": "O"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // The request's own delivery, after its answer: 500.
    provider.wait_for(|m| m.json()["to"][0] == email.as_str());
    // Not due yet (a minute's back-off): the Cron leaves it.
    hourly(&c, start + 30_000);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(to_them().len(), 1, "backing off");
    // Due: 500 again, then two minutes.
    hourly(&c, start + 70_000);
    assert_eq!(to_them().len(), 2);
    // Due again: the provider is rate-limiting and asks for ten minutes.
    provider.answer_with(429, "{}", &[("retry-after", "600")]);
    hourly(&c, start + 200_000);
    assert_eq!(to_them().len(), 3);
    // Four minutes would be the back-off; the provider's ten minutes hold.
    provider.answer(202, "{}");
    hourly(&c, start + 200_000 + 300_000);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(to_them().len(), 3, "Retry-After honoured");
    hourly(&c, start + 200_000 + 601_000);
    let sent = to_them();
    assert_eq!(
        sent.len(),
        4,
        "accepted on the first try after the recovery"
    );
    let id = sent[0].json()["headers"]["X-Orgpass-Message-Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        sent.iter()
            .all(|m| m.header("idempotency-key") == Some(id.as_str())),
        "one key for every attempt"
    );
    // Sent: never again.
    hourly(&c, start + 3_600_000);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(to_them().len(), 4);
    // Nothing was given up.
    let failed = c.send(
        "GET",
        "/api/v1/operator/mail/failed",
        &[("authorization", "Bearer dev-operator-token-not-secret")],
        None,
    );
    assert_eq!(failed.status, 200, "{}", failed.body);
    assert!(!failed.body.contains(&email), "{}", failed.body);
}

/// Finding 5 of #16: with a provider that takes 3 seconds a send, the message's own
/// delivery, three other requests' deliveries and the Cron all run while it is being
/// sent; the claim lets only the first send it.
fn a_slow_provider_gets_each_message_once(w: &World) {
    let provider = Capture::start(202, "{}");
    provider.slow(Duration::from_secs(3));
    let url = format!("{}/emails", provider.base);
    let c = w.other_client(
        "mailer-slow",
        &[
            ("EMAIL_API_URL", &url),
            ("EMAIL_API_TOKEN", "provider-test-token"),
        ],
    );
    let sign_up = |email: &str| {
        let r = c.json(
            "POST",
            "/api/v1/accounts",
            None,
            &json!({"email": email, "password": PASSWORD, "name": "S"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    };
    let first = unique_email("slowfirst");
    sign_up(&first);
    provider.wait_for(|m| m.json()["to"][0] == first.as_str());
    // While that send is under way: three more sign-ups (each delivers after its
    // answer) and the Cron.
    let others: Vec<String> = (0..3).map(|i| unique_email(&format!("slow{i}"))).collect();
    std::thread::scope(|scope| {
        for email in &others {
            scope.spawn(|| sign_up(email));
        }
        scope.spawn(|| hourly(&c, crate::pass::now_ms()));
    });
    // Each arrives (the Cron may have claimed some and sends them one after another,
    // 3 seconds each); then time for any second send to show.
    for email in &others {
        provider.wait_for(|m| m.json()["to"][0] == email.as_str());
    }
    std::thread::sleep(Duration::from_secs(4));
    let count = |to: &str| {
        provider
            .all()
            .iter()
            .filter(|m| m.json()["to"][0] == to)
            .count()
    };
    assert_eq!(count(&first), 1, "sent once");
    for email in &others {
        assert_eq!(count(email), 1, "{email}: sent once");
    }
}
