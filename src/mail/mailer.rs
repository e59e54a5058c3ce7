//! Delivery through an email provider's HTTP API: a JSON POST of
//! `{from, to, subject, text, html}` with `Authorization: Bearer EMAIL_API_TOKEN` to
//! `EMAIL_API_URL` (the shape Resend and Postmark-style APIs accept), with the message
//! id as `Idempotency-Key`. A 5xx, 408, 409, 425 or 429 (with its `Retry-After`) or no
//! answer is tried again later; another 4xx refuses the message for good. Only the
//! message id and the provider's status are logged, never the body.

use orgpass_app::ports::{Delivery, MailRecord, Mailer};
use worker::{AbortSignal, Fetch, Headers, Method, Request, RequestInit};

/// The provider's endpoint and credentials.
pub struct HttpMailer {
    /// Send endpoint.
    pub url: String,
    /// Bearer token.
    pub token: String,
    /// Sender address.
    pub from: String,
}

/// A failure to try again later.
fn retry(reason: String, retry_after_seconds: Option<u32>) -> Delivery {
    Delivery::Failed {
        reason,
        retry_after_seconds,
    }
}

impl Mailer for HttpMailer {
    async fn send(&self, mail: &MailRecord) -> Delivery {
        let body = serde_json::json!({
            "from": self.from,
            "to": [mail.mail.to.as_str()],
            "subject": mail.mail.subject,
            "text": mail.mail.text,
            "html": mail.mail.html,
            "headers": {"X-Orgpass-Message-Id": mail.mail.id},
        });
        let headers = Headers::new();
        let auth = format!("Bearer {}", self.token);
        // The message id as the idempotency key (Resend's and Stripe's header): a send
        // that timed out here but reached the provider is not delivered twice.
        if headers.set("content-type", "application/json").is_err()
            || headers.set("authorization", &auth).is_err()
            || headers.set("idempotency-key", &mail.mail.id).is_err()
        {
            return retry("could not build headers".to_owned(), None);
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.to_string().into()));
        let request = match Request::new_with_init(&self.url, &init) {
            Ok(r) => r,
            Err(e) => return retry(format!("request: {e}"), None),
        };
        // Within the claim's time (`SEND_SECONDS` a message): a send never outlives it.
        let signal = AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(
            orgpass_app::mail::SEND_SECONDS * 1000,
        ));
        match Fetch::Request(request).send_with_signal(&signal).await {
            Ok(response) => {
                let status = response.status_code();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .ok()
                    .flatten()
                    .and_then(|v| v.trim().parse::<u32>().ok());
                match status {
                    200..=299 => Delivery::Sent,
                    // Worth another try: the provider's own trouble, a time-out, its
                    // rate limit (with the wait it asks for), a conflict of the key.
                    408 | 409 | 425 | 429 | 500..=599 => {
                        retry(format!("provider answered {status}"), retry_after)
                    }
                    _ => Delivery::Rejected(format!("provider answered {status}")),
                }
            }
            Err(e) => retry(format!("fetch: {e}"), None),
        }
    }
}
