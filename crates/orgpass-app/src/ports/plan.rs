//! The single sign-on add-on (plan), its billing and the payment provider.

use orgpass_core::{pass::Pass, SpaceKey, Timestamp, TokenHash};

use super::*;

/// Billing references a webhook brings along.
#[derive(Debug, Clone, Copy)]
pub struct BillingRef<'a> {
    /// Provider's event id (recorded: a replay changes nothing).
    pub event_id: &'a str,
    /// Provider's event type.
    pub event_type: &'a str,
    /// Provider's customer id, remembered to find the organization in later events.
    pub customer: Option<&'a str>,
    /// Provider's subscription id, remembered to cancel it.
    pub subscription: Option<&'a str>,
}

/// An operator action to record in the audit trail.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    /// Who (the operator credential and client address).
    pub actor: &'a str,
    /// What (`approve`, `reject`, `set_trial_end`).
    pub action: &'a str,
    /// Details (new state, dates).
    pub detail: String,
}

/// One change of the add-on's state, with what must be written with it.
#[derive(Debug, Clone)]
pub struct PassChange<'a> {
    /// The organization.
    pub space_key: &'a SpaceKey,
    /// The stored state the change was decided on: the write happens only if it is
    /// still the stored state (compare-and-set), so concurrent changes cannot both win.
    pub from: Pass,
    /// The new state.
    pub to: Pass,
    /// A fresh random id for this change: the statements written with it run only if
    /// the stored state carries this id afterwards.
    pub change_id: String,
    /// When.
    pub now: Timestamp,
    /// A new application to store.
    pub application: Option<&'a PassApplication>,
    /// An operator action to record.
    pub audit: Option<Audit<'a>>,
    /// An email to queue.
    pub mail: Option<&'a NewMail>,
    /// A provider event to record.
    pub billing: Option<BillingRef<'a>>,
    /// The organization's audit event of the change.
    pub event: Option<Event>,
}

/// Placeholders a reminder template may use; the store fills them per organization.
pub const REMINDER_PLACEHOLDERS: [&str; 3] = ["{name}", "{date}", "{organization}"];

/// A trial reminder, to be sent set-based to every organization whose trial end falls
/// in `(now + after_ms, now + up_to_ms]`.
#[derive(Debug, Clone)]
pub struct ReminderTemplate {
    /// Stable kind (`trial_7d`, `trial_1d`).
    pub kind: &'static str,
    /// Lower bound (exclusive) of the remaining time.
    pub after_ms: i64,
    /// Upper bound (inclusive) of the remaining time.
    pub up_to_ms: i64,
    /// Subject.
    pub subject: String,
    /// Plain text with placeholders.
    pub text: String,
    /// HTML with placeholders (the store escapes what it fills in).
    pub html: String,
}

/// What one pass over due add-ons changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Trials that ran out.
    pub trials_expired: u64,
    /// Cancellations that took effect.
    pub canceled: u64,
    /// Paid periods that lapsed unpaid.
    pub lapsed: u64,
    /// Sessions of managed accounts ended.
    pub sessions_ended: u64,
}

/// A managed account turned into a normal one, with its set-password link.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The account.
    pub account_id: String,
    /// Hash of the set-password token.
    pub token: TokenHash,
    /// When the token expires.
    pub expires_at: Timestamp,
    /// The email with the link.
    pub mail: NewMail,
}

/// The add-on's storage: state changes, operator lists, webhooks, the Cron's
/// set-based work, and password setting.
pub trait PassStore {
    /// Applies `change` if the stored state is still `change.from`; `false` (nothing
    /// written) otherwise.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn change_pass(&self, change: &PassChange<'_>) -> Result<bool, PortError>;

    /// An organization by space key.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn organization(&self, key: &SpaceKey) -> Result<Option<OrgRecord>, PortError>;

    /// Organizations whose stored add-on status is `status`, oldest application first.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn applications(&self, status: &str, limit: u32) -> Result<Vec<OrgRecord>, PortError>;

    /// Whether a provider event was applied already, and the organization it concerns
    /// (by space key, else by the remembered customer id).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn billing_context(
        &self,
        event_id: &str,
        space_key: Option<&str>,
        customer: Option<&str>,
    ) -> Result<(bool, Option<OrgRecord>), PortError>;

    /// Records a provider event that changes no state.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn record_billing_event(
        &self,
        event: BillingRef<'_>,
        space_key: Option<&str>,
        now: Timestamp,
    ) -> Result<(), PortError>;

    /// Writes down the time-driven moves due at `now` for every organization at once
    /// and ends the sessions of managed accounts whose add-on no longer allows SSO;
    /// each organization whose add-on ends gets `event` (the Cron's `pass.expired`),
    /// its target the organization.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn expire_passes(&self, now: Timestamp, event: &Event)
        -> Result<ExpiryReport, PortError>;

    /// Sends each due reminder once per trial end (set-based); returns how many.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn send_trial_reminders(
        &self,
        now: Timestamp,
        run_id: &str,
        templates: &[ReminderTemplate],
    ) -> Result<u64, PortError>;

    /// Up to `limit` managed accounts of organizations whose cancellation took effect,
    /// each with its organization's name.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn managed_accounts_to_convert(
        &self,
        limit: u32,
    ) -> Result<Vec<(AccountRecord, String)>, PortError>;

    /// Makes the accounts normal and queues their set-password emails, atomically;
    /// an account converted meanwhile is skipped. Returns how many were converted.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn convert_managed_accounts(
        &self,
        conversions: &[Conversion],
        now: Timestamp,
    ) -> Result<u64, PortError>;

    /// Spends a set-password token and stores the new password record (the email is
    /// then verified, since the link reached it).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn write_password(
        &self,
        token: &TokenHash,
        password_record: &str,
        now: Timestamp,
    ) -> Result<TokenUse<AccountRecord>, PortError>;
}

/// The payment provider (Stripe, or the development checkout).
pub trait PaymentProvider {
    /// Creates a hosted checkout for `org`'s subscription; returns its URL.
    ///
    /// # Errors
    /// [`PortError`] when the provider cannot be reached or refuses.
    async fn checkout(
        &self,
        org: &OrgRecord,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<String, PortError>;

    /// Tells the provider to end `org`'s subscription at the end of the period.
    ///
    /// # Errors
    /// [`PortError`] when the provider cannot be reached or refuses.
    async fn cancel_at_period_end(&self, org: &OrgRecord) -> Result<(), PortError>;
}
