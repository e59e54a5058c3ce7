//! Delivery through an email provider's HTTP API: a JSON POST of
//! `{from, to, subject, text, html}` with `Authorization: Bearer EMAIL_API_TOKEN` to
//! `EMAIL_API_URL` (the shape Resend and Postmark-style APIs accept). Only the message
//! id and the provider's status are logged, never the body.

use orgpass_app::ports::{Delivery, MailRecord, Mailer};
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// The provider's endpoint and credentials.
pub struct HttpMailer {
    /// Send endpoint.
    pub url: String,
    /// Bearer token.
    pub token: String,
    /// Sender address.
    pub from: String,
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
        if headers.set("content-type", "application/json").is_err()
            || headers.set("authorization", &auth).is_err()
        {
            return Delivery::Failed("could not build headers".to_owned());
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.to_string().into()));
        let request = match Request::new_with_init(&self.url, &init) {
            Ok(r) => r,
            Err(e) => return Delivery::Failed(format!("request: {e}")),
        };
        match Fetch::Request(request).send().await {
            Ok(response) if (200..300).contains(&response.status_code()) => Delivery::Sent,
            Ok(response) => {
                Delivery::Failed(format!("provider answered {}", response.status_code()))
            }
            Err(e) => Delivery::Failed(format!("fetch: {e}")),
        }
    }
}
