//! The email outbox in D1.

use orgpass_app::ports::{Delivery, MailRecord, NewMail, Outbox, PortError};
use orgpass_core::{Email, Timestamp};
use serde::Deserialize;

use crate::platform::d1::{int, millis, rows, text, time, D1Store};

#[derive(Deserialize)]
struct MailRow {
    id: String,
    to_email: String,
    subject: String,
    text_body: String,
    html_body: String,
    created_at: f64,
}

impl MailRow {
    fn into_record(self) -> Result<MailRecord, PortError> {
        Ok(MailRecord {
            mail: NewMail {
                to: Email::from_stored(&self.to_email),
                id: self.id,
                subject: self.subject,
                text: self.text_body,
                html: self.html_body,
            },
            created_at: millis(self.created_at),
        })
    }
}

const MAIL_COLUMNS: &str = "id, to_email, subject, text_body, html_body, created_at";

impl D1Store {
    /// The statement that queues `mail`; with `only_if_account`, only when that account
    /// exists (so a refused sign-up queues nothing).
    pub(crate) fn outbox_insert(
        &self,
        mail: &NewMail,
        now: Timestamp,
        only_if_account: Option<&str>,
    ) -> Result<worker::D1PreparedStatement, PortError> {
        self.stmt(
            "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
             WHERE ?7 IS NULL OR EXISTS (SELECT 1 FROM accounts WHERE id = ?7 AND created_at = ?6)",
            &[
                text(&mail.id),
                text(mail.to.as_str()),
                text(&mail.subject),
                text(&mail.text),
                text(&mail.html),
                time(now),
                crate::platform::d1::opt_text(only_if_account),
            ],
        )
    }
}

impl Outbox for D1Store {
    async fn mail_to(&self, to: &Email, limit: u32) -> Result<Vec<MailRecord>, PortError> {
        let result = self
            .one(self.stmt(
                &format!(
                    "SELECT {MAIL_COLUMNS} FROM outbox WHERE to_email = ?1 \
                     ORDER BY created_at DESC, rowid DESC LIMIT ?2"
                ),
                &[text(to.as_str()), int(i64::from(limit))],
            )?)
            .await?;
        rows::<MailRow>(Some(&result))?
            .into_iter()
            .map(MailRow::into_record)
            .collect()
    }

    async fn queued_mail(
        &self,
        limit: u32,
        max_attempts: u32,
    ) -> Result<Vec<MailRecord>, PortError> {
        let result = self
            .one(self.stmt(
                &format!(
                    "SELECT {MAIL_COLUMNS} FROM outbox WHERE status = 'queued' AND attempts < ?2 \
                     ORDER BY created_at, rowid LIMIT ?1"
                ),
                &[int(i64::from(limit)), int(i64::from(max_attempts))],
            )?)
            .await?;
        rows::<MailRow>(Some(&result))?
            .into_iter()
            .map(MailRow::into_record)
            .collect()
    }

    async fn record_delivery(
        &self,
        id: &str,
        outcome: &Delivery,
        now: Timestamp,
    ) -> Result<(), PortError> {
        let (sent, error) = match outcome {
            Delivery::Sent => (true, None),
            Delivery::Failed(e) => (false, Some(e.as_str())),
        };
        self.one(self.stmt(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, \
             sent_at = CASE WHEN ?2 THEN ?4 ELSE sent_at END, \
             status = CASE WHEN ?2 THEN 'sent' WHEN attempts + 1 >= ?5 THEN 'failed' ELSE 'queued' END \
             WHERE id = ?1 AND status = 'queued'",
            &[
                text(id),
                int(i64::from(sent)),
                crate::platform::d1::opt_text(error),
                time(now),
                int(i64::from(orgpass_app::mail::MAX_ATTEMPTS)),
            ],
        )?)
        .await?;
        Ok(())
    }
}
