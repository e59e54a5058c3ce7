//! The email outbox in D1.

use orgpass_app::ports::{
    Attempted, ClaimedMail, FailedMail, MailRecord, NewMail, Outbox, PortError,
};
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

    async fn claim_mail(
        &self,
        (now, lease_until): (Timestamp, Timestamp),
        lease: &str,
        (limit, written_at): (u32, Option<Timestamp>),
    ) -> Result<Vec<ClaimedMail>, PortError> {
        #[derive(Deserialize)]
        struct Row {
            attempts: f64,
            #[serde(flatten)]
            mail: MailRow,
        }
        let results = self
            .batch(vec![
                self.stmt(
                    "UPDATE outbox SET lease_id = ?2, lease_until = ?3 WHERE id IN \
                     (SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= ?1 \
                       AND (lease_until IS NULL OR lease_until <= ?1) \
                       AND (?5 IS NULL OR created_at = ?5) \
                     ORDER BY next_attempt_at, created_at, rowid LIMIT ?4)",
                    &[
                        time(now),
                        text(lease),
                        time(lease_until),
                        int(i64::from(limit)),
                        written_at.map_or(worker::wasm_bindgen::JsValue::NULL, time),
                    ],
                )?,
                self.stmt(
                    &format!(
                        "SELECT attempts, {MAIL_COLUMNS} FROM outbox WHERE lease_id = ?1 \
                         AND lease_until = ?2 AND status = 'queued' ORDER BY created_at, rowid"
                    ),
                    &[text(lease), time(lease_until)],
                )?,
            ])
            .await?;
        // Attempts: small integers.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        rows::<Row>(results.get(1))?
            .into_iter()
            .map(|r| {
                Ok(ClaimedMail {
                    attempts: r.attempts as u32,
                    mail: r.mail.into_record()?,
                })
            })
            .collect()
    }

    async fn record_delivery(
        &self,
        (id, lease): (&str, &str),
        outcome: &Attempted,
        now: Timestamp,
    ) -> Result<(), PortError> {
        let (status, error, next) = match outcome {
            Attempted::Sent => ("sent", None, None),
            Attempted::Retry(why, at) => ("queued", Some(why.as_str()), Some(*at)),
            Attempted::GaveUp(why) => ("failed", Some(why.as_str()), None),
        };
        // Only under its own lease: a sender whose lease ran out (and whose message
        // another sender took) writes nothing.
        self.one(self.stmt(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?4, status = ?3, \
               sent_at = CASE WHEN ?3 = 'sent' THEN ?5 ELSE sent_at END, \
               next_attempt_at = coalesce(?6, next_attempt_at), lease_id = NULL, lease_until = NULL \
             WHERE id = ?1 AND lease_id = ?2 AND status = 'queued'",
            &[
                text(id),
                text(lease),
                text(status),
                crate::platform::d1::opt_text(error),
                time(now),
                next.map_or(worker::wasm_bindgen::JsValue::NULL, time),
            ],
        )?)
        .await?;
        Ok(())
    }

    async fn failed_mail(&self, limit: u32) -> Result<Vec<FailedMail>, PortError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            to_email: String,
            subject: String,
            created_at: f64,
            attempts: f64,
            last_error: Option<String>,
        }
        let result = self
            .one(self.stmt(
                "SELECT id, to_email, subject, created_at, attempts, last_error FROM outbox \
                 WHERE status = 'failed' ORDER BY created_at DESC LIMIT ?1",
                &[int(i64::from(limit))],
            )?)
            .await?;
        // Attempts: small integers.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(rows::<Row>(Some(&result))?
            .into_iter()
            .map(|r| FailedMail {
                id: r.id,
                to: r.to_email,
                subject: r.subject,
                created_at: millis(r.created_at),
                attempts: r.attempts as u32,
                last_error: r.last_error,
            })
            .collect())
    }
}
