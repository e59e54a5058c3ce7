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
    /// The provider could not take it now (a 5xx, 408, 429, a network error, the
    /// time-out): try again later, not before `retry_after_seconds` when it said so.
    Failed {
        /// For logs and the operator.
        reason: String,
        /// The provider's `Retry-After`, in seconds.
        retry_after_seconds: Option<u32>,
    },
    /// The provider refused the message itself (another 4xx): sending it again would
    /// not help.
    Rejected(String),
}

/// What the outbox writes after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempted {
    /// Sent: done.
    Sent,
    /// Not sent; try again at this time.
    Retry(String, Timestamp),
    /// Not sent, and never will be (refused, or out of time): the operator sees it.
    GaveUp(String),
}

/// The email outbox.
pub trait Outbox {
    /// Messages to `to`, newest first (development mailbox).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn mail_to(&self, to: &Email, limit: u32) -> Result<Vec<MailRecord>, PortError>;

    /// Claims up to `limit` queued messages due at `window.0` (the longest waiting
    /// first) for `lease` until `window.1`: one conditional update, so a message is
    /// claimed by one sender at a time, and comes back only once the lease ran out
    /// (a sender that died), never while it is being sent. `which` is the most
    /// messages and, when given, the time they were written (a request's own, after
    /// its answer).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn claim_mail(
        &self,
        window: (Timestamp, Timestamp),
        lease: &str,
        which: (u32, Option<Timestamp>),
    ) -> Result<Vec<ClaimedMail>, PortError>;

    /// Writes how the attempt on the message `claim.0` under the lease `claim.1`
    /// ended, and gives the lease back.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn record_delivery(
        &self,
        claim: (&str, &str),
        outcome: &Attempted,
        now: Timestamp,
    ) -> Result<(), PortError>;

    /// Messages that were given up (for the operator), newest first.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn failed_mail(&self, limit: u32) -> Result<Vec<FailedMail>, PortError>;
}

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMail {
    /// The message.
    pub mail: MailRecord,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// A message given up, as the operator sees it (no body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMail {
    /// Its id.
    pub id: String,
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// When it was written.
    pub created_at: Timestamp,
    /// Attempts made.
    pub attempts: u32,
    /// The last reason.
    pub last_error: Option<String>,
}

/// The email provider.
pub trait Mailer {
    /// Hands one message to the provider.
    async fn send(&self, mail: &MailRecord) -> Delivery;
}
