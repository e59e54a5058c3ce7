//! The emails orgpass sends, composed as plain text and HTML, and their delivery
//! from the outbox.
//!
//! Every email is first written to the D1 outbox in the same batch as the change that
//! causes it, so a change never commits without its email or the other way round.
//! Delivery is a separate step ([`App::deliver_queued`]): right after the request
//! (`waitUntil`) and again from the Cron for whatever failed. A sender claims each
//! message first (a lease, one conditional update), so concurrent senders never send
//! the same message; one the provider could not take is retried with back-off
//! ([`next_attempt`]) for [`RETRY_HOURS`], then given up and shown to the operator.

use orgpass_core::{time::MINUTE_MS, Email, SecretToken, Timestamp};

use super::{
    html::escape,
    ports::{Attempted, Delivery, FailedMail, Mailer, NewMail, Outbox, Random},
    App, AppError,
};

/// How long a message is retried before it is given up.
pub const RETRY_HOURS: i64 = 24;

/// The longest one send may take (the mailer's time-out); a claim of `n` messages
/// holds `n` times this and a minute more, longer than sending them one after another
/// can take, so a message is never claimed again while it is being sent.
pub const SEND_SECONDS: u32 = 10;

/// When a message written at `created_at`, whose attempt number `attempts` just failed
/// at `now`, is tried again: 1, 2, 4 … minutes later, at most an hour apart, and not
/// before the provider's `Retry-After`; `None` once that is past [`RETRY_HOURS`].
#[must_use]
pub fn next_attempt(
    created_at: Timestamp,
    attempts: u32,
    now: Timestamp,
    retry_after_seconds: Option<u32>,
) -> Option<Timestamp> {
    let backoff = (1_i64 << attempts.saturating_sub(1).min(6)).min(60) * MINUTE_MS;
    let asked = i64::from(retry_after_seconds.unwrap_or(0)) * 1000;
    let at = now.plus_millis(backoff.max(asked));
    (at <= created_at.plus_millis(RETRY_HOURS * 60 * MINUTE_MS)).then_some(at)
}

/// The email that confirms an address after sign-up.
#[must_use]
pub fn verification(
    id: String,
    to: &Email,
    name: &str,
    base_url: &str,
    token: &SecretToken,
) -> NewMail {
    let link = format!("{base_url}/verify-email?token={}", token.expose());
    let text = format!(
        "Hello {name},\n\nplease confirm your email address for orgpass by opening this link:\n\n{link}\n\nThe link works once and expires in 24 hours. If you did not sign up, ignore this email.\n"
    );
    let html = format!(
        "<p>Hello {name},</p><p>please confirm your email address for orgpass:</p><p><a href=\"{link}\">Confirm my email address</a></p><p>The link works once and expires in 24 hours. If you did not sign up, ignore this email.</p>",
        name = escape(name),
        link = escape(&link),
    );
    NewMail {
        id,
        to: to.clone(),
        subject: "Confirm your email address for orgpass".to_owned(),
        text,
        html,
    }
}

/// A short letter: a greeting, paragraphs, an optional button link and a closing
/// line, as plain text and HTML (every piece escaped once, here).
#[derive(Debug, Clone, Copy)]
pub struct Letter<'a> {
    /// Subject line.
    pub subject: &'a str,
    /// The name after "Hello" (empty: "Hello,").
    pub name: &'a str,
    /// The paragraphs before the link.
    pub lines: &'a [&'a str],
    /// The link: its label in HTML, and the URL.
    pub link: Option<(&'a str, &'a str)>,
    /// The paragraph after the link.
    pub closing: &'a str,
}

impl Letter<'_> {
    /// The letter as a template (recipient chosen later).
    #[must_use]
    pub fn template(&self) -> super::ports::MailTemplate {
        let hello = if self.name.is_empty() {
            "Hello,".to_owned()
        } else {
            format!("Hello {},", self.name)
        };
        let mut text = format!("{hello}\n\n");
        let mut html = format!("<p>{}</p>", escape(&hello));
        for line in self.lines {
            text.push_str(line);
            text.push_str("\n\n");
            html.push_str(&format!("<p>{}</p>", escape(line)));
        }
        if let Some((label, url)) = self.link {
            text.push_str(url);
            text.push_str("\n\n");
            html.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                escape(url),
                escape(label)
            ));
        }
        text.push_str(self.closing);
        text.push('\n');
        html.push_str(&format!("<p>{}</p>", escape(self.closing)));
        super::ports::MailTemplate {
            subject: self.subject.to_owned(),
            text,
            html,
        }
    }

    /// The letter to `to`, as mail `id`.
    #[must_use]
    pub fn to(&self, id: String, to: &Email) -> NewMail {
        addressed(self.template(), id, to)
    }
}

/// A template sent to one recipient, as mail `id`.
#[must_use]
pub fn addressed(template: super::ports::MailTemplate, id: String, to: &Email) -> NewMail {
    NewMail {
        id,
        to: to.clone(),
        subject: template.subject,
        text: template.text,
        html: template.html,
    }
}

/// The "forgot password" link.
#[must_use]
pub fn password_reset(
    id: String,
    to: &Email,
    name: &str,
    base_url: &str,
    token: &SecretToken,
) -> NewMail {
    let link = format!("{base_url}/reset-password?token={}", token.expose());
    Letter {
        subject: "Reset your orgpass password",
        name,
        lines: &["Someone (we hope you) asked to reset the password of your orgpass account. Choose a new one here:"],
        link: Some(("Choose a new password", &link)),
        closing: "The link works once and expires in 1 hour. Setting a new password signs you out everywhere. If you did not ask for this, ignore this email: your password stays as it is.",
    }
    .to(id, to)
}

/// A fresh email-verification link (the old one keeps working until it expires).
#[must_use]
pub fn verification_again(
    id: String,
    to: &Email,
    name: &str,
    base_url: &str,
    token: &SecretToken,
) -> NewMail {
    let link = format!("{base_url}/verify-email?token={}", token.expose());
    Letter {
        subject: "Confirm your email address for orgpass",
        name,
        lines: &["Here is a new link to confirm your email address for orgpass:"],
        link: Some(("Confirm my email address", &link)),
        closing: "The link works once and expires in 24 hours. If you did not sign up, ignore this email.",
    }
    .to(id, to)
}

/// The notice that an account's password was changed (or reset).
#[must_use]
pub fn password_changed(base_url: &str) -> super::ports::MailTemplate {
    let link = format!("{base_url}/forgot-password");
    Letter {
        subject: "Your orgpass password was changed",
        name: "",
        lines: &["The password of your orgpass account was just changed, and your other sessions were ended."],
        link: Some(("Reset it now", &link)),
        closing: "If this was not you, reset your password at once with the link above.",
    }
    .template()
}

/// The notice that two-step verification was turned on (`on`) or off.
#[must_use]
pub fn two_step_changed(id: String, to: &Email, base_url: &str, on: bool) -> NewMail {
    let link = format!("{base_url}/account");
    let (subject, line) = if on {
        (
            "Two-step verification is on for your orgpass account",
            "Two-step verification was just turned on for your orgpass account: logging in now asks for a code from your authenticator app. Keep your recovery codes somewhere safe.",
        )
    } else {
        (
            "Two-step verification is off for your orgpass account",
            "Two-step verification was just turned off for your orgpass account: logging in asks for the password only.",
        )
    };
    Letter {
        subject,
        name: "",
        lines: &[line],
        link: Some(("Review your account", &link)),
        closing: "If this was not you, reset your password at once and turn two-step verification back on.",
    }
    .to(id, to)
}

/// The link that confirms a new address (sent to the new address).
#[must_use]
pub fn email_change(
    id: String,
    to: &Email,
    name: &str,
    base_url: &str,
    token: &SecretToken,
) -> NewMail {
    let link = format!("{base_url}/confirm-email?token={}", token.expose());
    Letter {
        subject: "Confirm your new email address for orgpass",
        name,
        lines: &["Please confirm that this is the new email address of your orgpass account:"],
        link: Some(("Confirm my new address", &link)),
        closing: "The link works once and expires in 24 hours. Until then the account keeps its old address. If you did not ask for this, ignore this email.",
    }
    .to(id, to)
}

/// The notice to the old address that a change to `new_email` was asked for.
#[must_use]
pub fn email_change_notice(
    id: String,
    to: &Email,
    name: &str,
    new_email: &Email,
    base_url: &str,
) -> NewMail {
    let line = format!(
        "Someone signed in to your orgpass account asked to change its email address to {new_email}. The change takes effect once the new address confirms it."
    );
    let link = format!("{base_url}/account");
    Letter {
        subject: "Your orgpass email address is being changed",
        name,
        lines: &[&line],
        link: Some(("Review your account", &link)),
        closing: "If this was not you, change your password now: the request needed it.",
    }
    .to(id, to)
}

/// What one delivery run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryReport {
    /// Messages the provider accepted.
    pub sent: u32,
    /// Messages that failed this time.
    pub failed: u32,
}

impl<S: Outbox, H, R: Random> App<S, H, R> {
    /// Hands up to `limit` queued messages to `mailer`, recording each outcome.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the outbox cannot be read or written.
    pub async fn deliver_queued(
        &self,
        mailer: &impl Mailer,
        limit: u32,
    ) -> Result<DeliveryReport, AppError> {
        self.deliver((limit, None), mailer).await
    }

    /// Hands the messages this request wrote (at `self.now`) to `mailer`, right after
    /// its answer: a backlog is the Cron's, so a request never waits behind others'.
    ///
    /// # Errors
    /// As [`Self::deliver_queued`].
    pub async fn deliver_own(&self, mailer: &impl Mailer) -> Result<DeliveryReport, AppError> {
        self.deliver((10, Some(self.now)), mailer).await
    }

    async fn deliver(
        &self,
        which: (u32, Option<Timestamp>),
        mailer: &impl Mailer,
    ) -> Result<DeliveryReport, AppError> {
        let mut report = DeliveryReport::default();
        let lease = self.new_id("lease")?;
        let until = self
            .now
            .plus_millis(i64::from(which.0) * i64::from(SEND_SECONDS) * 1000 + MINUTE_MS);
        for claimed in self
            .store
            .claim_mail((self.now, until), &lease, which)
            .await?
        {
            let outcome = match mailer.send(&claimed.mail).await {
                Delivery::Sent => {
                    report.sent += 1;
                    Attempted::Sent
                }
                Delivery::Failed {
                    reason,
                    retry_after_seconds,
                } => {
                    report.failed += 1;
                    match next_attempt(
                        claimed.mail.created_at,
                        claimed.attempts + 1,
                        self.now,
                        retry_after_seconds,
                    ) {
                        Some(at) => Attempted::Retry(reason, at),
                        None => Attempted::GaveUp(reason),
                    }
                }
                Delivery::Rejected(reason) => {
                    report.failed += 1;
                    Attempted::GaveUp(reason)
                }
            };
            self.store
                .record_delivery((&claimed.mail.mail.id, &lease), &outcome, self.now)
                .await?;
        }
        Ok(report)
    }

    /// The messages given up, newest first (the operator's view).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn failed_mail(&self) -> Result<Vec<FailedMail>, AppError> {
        Ok(self.store.failed_mail(100).await?)
    }

    /// The development mailbox: messages to `to`, newest first.
    ///
    /// # Errors
    /// `invalid_email` for a malformed address; [`AppError::Unavailable`].
    pub async fn mailbox(&self, to: &str) -> Result<Vec<super::ports::MailRecord>, AppError> {
        let to = Email::parse(to)?;
        Ok(self.store.mail_to(&to, 50).await?)
    }
}

/// Every `http://` or `https://` URL in `text`, in order (the development mailbox
/// lists them so that tests and people can follow them).
#[must_use]
pub fn links(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '('))
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches(['.', ',', ')']).to_owned())
        .collect()
}

/// The confirmation that an add-on application arrived.
#[must_use]
pub fn pass_application(id: String, to: &Email, admin_name: &str, organization: &str) -> NewMail {
    let text = format!(
        "Hello {admin_name},\n\nwe received the application for the single sign-on add-on of {organization}. We review applications within two business days; approval starts a free 30-day trial, and we will write to you then.\n"
    );
    let html = format!(
        "<p>Hello {},</p><p>we received the application for the single sign-on add-on of <strong>{}</strong>. We review applications within two business days; approval starts a free 30-day trial, and we will write to you then.</p>",
        escape(admin_name),
        escape(organization),
    );
    NewMail {
        id,
        to: to.clone(),
        subject: format!("Your single sign-on application for {organization}"),
        text,
        html,
    }
}

/// The templates of the trial reminders (placeholders filled set-based by the store:
/// `{name}` the plan admin, `{organization}`, `{date}` the trial's end).
#[must_use]
pub fn trial_reminders(base_url: &str) -> Vec<super::ports::ReminderTemplate> {
    use orgpass_core::{pass::Reminder, time::DAY_MS};
    Reminder::ALL
        .iter()
        .map(|r| {
            let (after, up_to) = r.window_days();
            let when = match r {
                Reminder::SevenDays => "in 7 days",
                Reminder::OneDay => "tomorrow",
            };
            let link = format!("{base_url}/");
            super::ports::ReminderTemplate {
                kind: r.kind(),
                after_ms: after * DAY_MS,
                up_to_ms: up_to * DAY_MS,
                subject: format!("Your single sign-on trial ends {when}"),
                text: format!(
                    "Hello {{name}},\n\nthe single sign-on trial of {{organization}} ends {when}, on {{date}}. Upgrade on the organization's Plan settings to keep single sign-on: {link}\n\nWithout an upgrade, single sign-on stops at the end of the trial and managed accounts cannot log in; your data is kept.\n"
                ),
                html: format!(
                    "<p>Hello {{name}},</p><p>the single sign-on trial of <strong>{{organization}}</strong> ends {when}, on {{date}}.</p><p><a href=\"{link}\">Upgrade on the Plan settings</a> to keep single sign-on. Without an upgrade, single sign-on stops at the end of the trial and managed accounts cannot log in; your data is kept.</p>",
                    link = escape(&link),
                ),
            }
        })
        .collect()
}

/// The email that gives a formerly managed account its password link.
#[must_use]
pub fn set_password(
    id: String,
    to: &Email,
    name: &str,
    organization: &str,
    base_url: &str,
    token: &SecretToken,
) -> NewMail {
    let link = format!("{base_url}/set-password?token={}", token.expose());
    let text = format!(
        "Hello {name},\n\n{organization} no longer uses single sign-on, so your account now logs in with a password. Choose one here:\n\n{link}\n\nThe link works once and expires in 7 days.\n"
    );
    let html = format!(
        "<p>Hello {},</p><p>{} no longer uses single sign-on, so your account now logs in with a password.</p><p><a href=\"{link}\">Choose a password</a></p><p>The link works once and expires in 7 days.</p>",
        escape(name),
        escape(organization),
        link = escape(&link),
    );
    NewMail {
        id,
        to: to.clone(),
        subject: "Choose a password for orgpass".to_owned(),
        text,
        html,
    }
}

/// The warning that a verified domain's record is gone (the store sends it to every
/// administrator of the organization).
#[must_use]
pub fn domain_dropped(
    domain: &str,
    txt_name: &str,
    txt_value: &str,
    base_url: &str,
    space_key: &str,
) -> super::ports::MailTemplate {
    let link = format!("{base_url}/orgs/{space_key}/settings/domains");
    let text = format!(
        "Hello,\n\nthe verification record of {domain} has not been found for three days in a row, so the domain is no longer verified. Publish it again to keep creating managed accounts in it:\n\n  {txt_name}  TXT  {txt_value}\n\nDomains: {link}\n"
    );
    let html = format!(
        "<p>Hello,</p><p>the verification record of <strong>{d}</strong> has not been found for three days in a row, so the domain is no longer verified. Publish it again to keep creating managed accounts in it:</p><p><code>{n}</code> TXT <code>{v}</code></p><p><a href=\"{l}\">Domains</a></p>",
        d = escape(domain),
        n = escape(txt_name),
        v = escape(txt_value),
        l = escape(&link),
    );
    super::ports::MailTemplate {
        subject: format!("{domain} is no longer verified"),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_honour_retry_after_and_end_after_a_day() {
        let t = Timestamp::from_millis;
        let at = |attempts, retry| {
            next_attempt(t(0), attempts, t(0), retry).map(|a| a.millis() / MINUTE_MS)
        };
        assert_eq!(
            [1, 2, 3, 4, 7, 8, 20].map(|a| at(a, None)),
            [1, 2, 4, 8, 60, 60, 60].map(Some)
        );
        assert_eq!(
            at(1, Some(600)),
            Some(10),
            "the provider's wait when longer"
        );
        assert_eq!(at(5, Some(30)), Some(16), "the back-off when longer");
        let day = RETRY_HOURS * 60 * MINUTE_MS;
        assert!(next_attempt(t(0), 9, t(day - 60 * MINUTE_MS), None).is_some());
        assert_eq!(
            next_attempt(t(0), 9, t(day - 30 * MINUTE_MS), None),
            None,
            "given up"
        );
    }

    #[test]
    fn verification_mail_carries_the_link_and_escapes_the_name() {
        let token = SecretToken::from_random(&[3; 32]);
        let to = Email::parse("a@example.com").unwrap();
        let mail = verification(
            "mail_1".into(),
            &to,
            "<Ada>",
            "http://127.0.0.1:8787",
            &token,
        );
        let link = format!(
            "http://127.0.0.1:8787/verify-email?token={}",
            token.expose()
        );
        assert_eq!(links(&mail.text), vec![link.clone()]);
        assert!(mail.html.contains("&lt;Ada&gt;"));
        assert!(!mail.html.contains("<Ada>"));
        assert!(mail.html.contains(&link));
    }

    #[test]
    fn links_are_found_in_prose() {
        assert_eq!(
            links("see https://a.example/x. and (http://b.example/y), not ftp://c"),
            vec!["https://a.example/x", "http://b.example/y"]
        );
    }
}

/// What an invitation email says.
#[derive(Debug, Clone, Copy)]
pub struct InvitationMail<'a> {
    /// The inviter's display name.
    pub inviter: &'a str,
    /// The organization's name.
    pub organization: &'a str,
    /// The role on joining.
    pub role: orgpass_core::Role,
    /// The personal message, if any.
    pub message: Option<&'a str>,
    /// The link's end.
    pub expires_at: orgpass_core::Timestamp,
}

/// The invitation to join an organization, with its single-use link.
#[must_use]
pub fn invitation(
    id: String,
    to: &Email,
    what: InvitationMail<'_>,
    base_url: &str,
    token: &SecretToken,
) -> NewMail {
    let link = format!("{base_url}/invitations/{}", token.expose());
    let InvitationMail {
        inviter,
        organization,
        role,
        message,
        expires_at,
    } = what;
    let role = role.as_str();
    let expires = expires_at.to_rfc3339();
    let quoted_text = message.map_or_else(String::new, |m| {
        let quoted: Vec<String> = m.lines().map(|l| format!("> {l}")).collect();
        format!("{inviter} wrote:\n{}\n\n", quoted.join("\n"))
    });
    let text = format!(
        "Hello,\n\n{inviter} invited you to join {organization} on orgpass as {role}.\n\n{quoted_text}Accept the invitation here:\n\n{link}\n\nThe link works once and expires on {expires}. If you do not want to join, ignore this email.\n"
    );
    let quoted_html = message.map_or_else(String::new, |m| {
        format!(
            "<p>{} wrote:</p><blockquote>{}</blockquote>",
            escape(inviter),
            escape(m).replace('\n', "<br>")
        )
    });
    let html = format!(
        "<p>Hello,</p><p><strong>{inviter}</strong> invited you to join <strong>{organization}</strong> on orgpass as <strong>{role}</strong>.</p>{quoted_html}<p><a href=\"{link}\">Accept the invitation</a></p><p>The link works once and expires on {expires}. If you do not want to join, ignore this email.</p>",
        inviter = escape(inviter),
        organization = escape(organization),
        link = escape(&link),
    );
    NewMail {
        id,
        to: to.clone(),
        subject: format!("{inviter} invited you to {organization} on orgpass"),
        text,
        html,
    }
}

/// The email to a new managed account: who created it, and how to log in (through the
/// organization's identity provider; there is no password).
#[must_use]
pub fn managed_account(
    id: String,
    to: &Email,
    creator: &str,
    organization: &str,
    organization_id: &str,
    base_url: &str,
) -> NewMail {
    let link = format!(
        "{base_url}/login/sso?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("organization_id", organization_id)
            .finish()
    );
    let text = format!(
        "Hello,\n\n{creator} created an orgpass account for you ({to}) in {organization}.\n\nYou log in with your company's single sign-on, not with a password: open\n\n{link}\n\nor choose \"Log in with managed account\" on the orgpass login page and enter the organization ID {organization_id}. You will be sent to your identity provider and come back signed in.\n",
        to = to.as_str()
    );
    let html = format!(
        "<p>Hello,</p><p><strong>{creator}</strong> created an orgpass account for you ({to}) in <strong>{organization}</strong>.</p><p>You log in with your company's single sign-on, not with a password:</p><p><a href=\"{link}\">Log in with single sign-on</a></p><p>Or choose “Log in with managed account” on the orgpass login page and enter the organization ID <code>{org_id}</code>.</p>",
        creator = escape(creator),
        to = escape(to.as_str()),
        organization = escape(organization),
        link = escape(&link),
        org_id = escape(organization_id),
    );
    NewMail {
        id,
        to: to.clone(),
        subject: format!("Your {organization} account on orgpass"),
        text,
        html,
    }
}
