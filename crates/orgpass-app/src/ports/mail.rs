//! The email outbox and the mail provider.

use orgpass_core::{Email, Timestamp};

use super::*;

/// An email to store in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Opaque id (`mail_…`).
    pub id: String,
    /// Recipient.
    pub to: Email,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// An email for several recipients chosen by the store (for example, every
/// administrator of an organization).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTemplate {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// An email in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    /// The mail.
    pub mail: NewMail,
    /// When it was written.
    pub created_at: Timestamp,
}

/// Outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The provider accepted the message.
    Sent,
    /// The provider refused or could not be reached; the text is for logs.
    Failed(String),
}

/// The email outbox.
pub trait Outbox {
    /// Messages to `to`, newest first (development mailbox).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn mail_to(&self, to: &Email, limit: u32) -> Result<Vec<MailRecord>, PortError>;

    /// Queued messages to deliver, oldest first, with fewer than `max_attempts`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn queued_mail(
        &self,
        limit: u32,
        max_attempts: u32,
    ) -> Result<Vec<MailRecord>, PortError>;

    /// Records the outcome of delivering message `id`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn record_delivery(
        &self,
        id: &str,
        outcome: &Delivery,
        now: Timestamp,
    ) -> Result<(), PortError>;
}

/// The email provider.
pub trait Mailer {
    /// Hands one message to the provider.
    async fn send(&self, mail: &MailRecord) -> Delivery;
}
