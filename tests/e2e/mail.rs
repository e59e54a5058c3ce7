//! Delivery through an email provider's HTTP API, against a capturing HTTP server on
//! loopback standing in for the provider (no real provider is reachable here). What is
//! pinned is orgpass's side of the exchange: the request it makes, and what it does
//! with the provider's answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{unique_email, World, PASSWORD};

pub const TESTS: &[(&str, crate::TestFn)] = &[(
    "mail::queued_mail_is_posted_to_the_provider",
    queued_mail_is_posted_to_the_provider,
)];

#[derive(Clone, Debug)]
struct Captured {
    path: String,
    authorization: String,
    body: Value,
}

/// A one-route HTTP/1.1 server recording every request and answering `status`.
fn provider(status: u16) -> (String, Arc<Mutex<Vec<Captured>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/emails", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let (mut length, mut authorization) = (0usize, String::new());
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap_or((line, ""));
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "authorization" => authorization = value.trim().to_owned(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            record.lock().unwrap().push(Captured {
                path: request_line
                    .split(' ')
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned(),
                authorization,
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
            );
            let mut stream = stream;
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (url, seen)
}

fn queued_mail_is_posted_to_the_provider(w: &World) {
    let (url, seen) = provider(202);
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

    let started = Instant::now();
    let captured = loop {
        if let Some(m) = seen
            .lock()
            .unwrap()
            .iter()
            .find(|m| m.body["to"][0] == email.as_str())
            .cloned()
        {
            break m;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the provider never got the message"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(captured.path, "/emails");
    assert_eq!(captured.authorization, "Bearer provider-test-token");
    assert_eq!(captured.body["from"], "orgpass <no-reply@orgpass.test>");
    assert_eq!(
        captured.body["subject"],
        "Confirm your email address for orgpass"
    );
    let text = captured.body["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("{}/verify-email?token=", c.base)),
        "{text}"
    );
    assert!(captured.body["html"]
        .as_str()
        .unwrap()
        .contains("verify-email?token="));
    assert!(captured.body["headers"]["X-Orgpass-Message-Id"]
        .as_str()
        .unwrap()
        .starts_with("mail_"));

    // Sent mail is not sent again by the Cron.
    let before = seen.lock().unwrap().len();
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
    let again = seen
        .lock()
        .unwrap()
        .iter()
        .skip(before)
        .filter(|m| m.body["to"][0] == email.as_str())
        .count();
    assert_eq!(again, 0, "a delivered message is delivered once");
}
