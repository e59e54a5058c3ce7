//! The single sign-on add-on: application, operator decisions, upgrade and cancel
//! through the payment provider, provider webhooks, and the Cron's enforcement
//! (docs/product.md §7). Decisions come from the pure state machine in
//! [`orgpass_core::pass`]; every write is a compare-and-set on the stored state.

use orgpass_core::{
    audit::Action,
    pass::{Pass, Refused},
    policy::OrgAction,
    stripe::{self as billing, EventKind},
    token::TOKEN_BYTES,
    validation::bounded_name,
    Email, FieldError, Invalid, Password, SecretToken, SpaceKey, Timestamp, TokenHash,
};

use super::{
    mail,
    orgs::OrgView,
    ports::{
        AccountStore, Actor, Audit, BillingRef, Conversion, ExpiryReport, OrgRecord, OrgStore,
        PassApplication, PassChange, PassStore, PasswordHasher, PaymentProvider, Random, TokenUse,
    },
    App, AppError,
};

/// The add-on application form.
#[derive(Debug)]
pub struct ApplyInput<'a> {
    /// Plan admin's name.
    pub admin_name: &'a str,
    /// Plan admin's email.
    pub admin_email: &'a str,
    /// Company name.
    pub company_name: &'a str,
    /// The organization's space key, typed again to guard against applying for the
    /// wrong organization.
    pub space_key: &'a str,
}

/// What an operator does to an application or a trial.
#[derive(Debug, Clone, Copy)]
pub enum OperatorAction {
    /// Approve: a 30-day trial starts.
    Approve,
    /// Reject.
    Reject,
    /// Move the trial's end.
    SetTrialEnd(Timestamp),
}

/// What a webhook came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The add-on's state changed to this status.
    Applied(&'static str),
    /// The event was seen before: nothing changed.
    Duplicate,
    /// An event orgpass does not act on (another type, no organization of ours, a
    /// move the add-on's state does not allow), recorded and acknowledged.
    Ignored,
}

/// What the Cron's add-on jobs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassJobsReport {
    /// Time-driven state changes and ended sessions.
    pub expiry: ExpiryReport,
    /// Reminders queued.
    pub reminders: u64,
    /// Managed accounts turned into normal ones.
    pub converted: u64,
}

/// Managed accounts converted per Cron run at most (bounds the run's statements;
/// the next run continues).
pub const CONVERSIONS_PER_RUN: u32 = 48;
/// How long a set-password link works.
pub const SET_PASSWORD_DAYS: i64 = 7;

/// What a change of the add-on's state carries besides the state.
#[derive(Default)]
struct Extras<'a> {
    application: Option<&'a PassApplication>,
    audit: Option<Audit<'a>>,
    mail: Option<&'a super::ports::NewMail>,
    billing: Option<BillingRef<'a>>,
}

fn refused(r: Refused) -> AppError {
    AppError::PassRefused(r)
}

impl<S: AccountStore + OrgStore + PassStore, H, R: Random> App<S, H, R> {
    /// Applies for the add-on (administrators) and confirms by email to the plan admin.
    ///
    /// # Errors
    /// Field errors (`invalid_name`, `invalid_email`), [`AppError::SpaceKeyMismatch`],
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::PassRefused`],
    /// [`AppError::Conflict`].
    pub async fn apply_for_pass(
        &self,
        token: &TokenHash,
        key: &str,
        input: ApplyInput<'_>,
    ) -> Result<OrgView, AppError> {
        let mut invalid = Invalid::default();
        let admin_name = invalid.check(bounded_name(input.admin_name).map_err(|e| FieldError {
            field: "admin_name",
            ..e
        }));
        let admin_email = invalid.check(Email::parse(input.admin_email).map_err(|e| FieldError {
            field: "admin_email",
            ..e
        }));
        let company = invalid.check(bounded_name(input.company_name).map_err(|e| FieldError {
            field: "company_name",
            ..e
        }));
        invalid.into_result()?;
        let (Some(admin_name), Some(admin_email), Some(company_name)) =
            (admin_name, admin_email, company)
        else {
            return Err(AppError::Invalid(Invalid::default()));
        };
        let (view, _) = self.member(token, key, OrgAction::ManagePlan).await?;
        if input.space_key.trim() != view.org.space_key.as_str() {
            return Err(AppError::SpaceKeyMismatch);
        }
        let to = view.org.pass.apply(self.now).map_err(refused)?;
        let application = PassApplication {
            admin_name,
            admin_email,
            company_name,
            applied_at: self.now,
        };
        let mail = mail::pass_application(
            self.new_id("mail")?,
            &application.admin_email,
            &application.admin_name,
            &view.org.name,
        );
        self.commit(
            &view.org.space_key,
            (view.org.pass, to),
            Actor::account(&view.viewer.id),
            Extras {
                application: Some(&application),
                mail: Some(&mail),
                ..Extras::default()
            },
        )
        .await?;
        Ok(OrgView {
            org: OrgRecord {
                pass: to,
                application: Some(application),
                ..view.org
            },
            ..view
        })
    }

    /// Starts an upgrade: the provider's checkout URL (administrators).
    ///
    /// # Errors
    /// As [`Self::apply_for_pass`], plus [`AppError::Upstream`].
    pub async fn start_upgrade(
        &self,
        token: &TokenHash,
        key: &str,
        provider: &impl PaymentProvider,
    ) -> Result<String, AppError> {
        let (view, _) = self.member(token, key, OrgAction::ManagePlan).await?;
        view.org.pass.can_upgrade(self.now).map_err(refused)?;
        let plan = format!(
            "{}/orgs/{}/settings/plan",
            self.config.base_url, view.org.space_key
        );
        provider
            .checkout(&view.org, &format!("{plan}?upgraded=1"), &plan)
            .await
            .map_err(AppError::Upstream)
    }

    /// Cancels at the end of the paid period (administrators).
    ///
    /// # Errors
    /// As [`Self::start_upgrade`].
    pub async fn cancel_pass(
        &self,
        token: &TokenHash,
        key: &str,
        provider: &impl PaymentProvider,
    ) -> Result<OrgView, AppError> {
        let (view, _) = self.member(token, key, OrgAction::ManagePlan).await?;
        let to = view.org.pass.cancel(self.now).map_err(refused)?;
        provider
            .cancel_at_period_end(&view.org)
            .await
            .map_err(AppError::Upstream)?;
        self.commit(
            &view.org.space_key,
            (view.org.pass, to),
            Actor::account(&view.viewer.id),
            Extras::default(),
        )
        .await?;
        Ok(OrgView {
            org: OrgRecord {
                pass: to,
                ..view.org
            },
            ..view
        })
    }

    /// Applications (or organizations) whose add-on status is `status`.
    ///
    /// # Errors
    /// `invalid_status`; [`AppError::Unavailable`].
    pub async fn operator_applications(&self, status: &str) -> Result<Vec<OrgRecord>, AppError> {
        if !Pass::STATUSES.contains(&status) {
            return Err(FieldError::new(
                "status",
                "invalid_status",
                "Use a status such as applied, trial or active.",
            )
            .into());
        }
        Ok(self.store.applications(status, 200).await?)
    }

    /// An operator approves, rejects, or moves a trial's end; recorded in the audit
    /// trail with `actor`.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::PassRefused`], [`AppError::Conflict`].
    pub async fn operator_act(
        &self,
        actor: &str,
        key: &str,
        action: OperatorAction,
    ) -> Result<OrgRecord, AppError> {
        let key = SpaceKey::parse(key).ok_or(AppError::NotFound)?;
        let org = self
            .store
            .organization(&key)
            .await?
            .ok_or(AppError::NotFound)?;
        let (to, name) = match action {
            OperatorAction::Approve => (org.pass.approve(self.now), "approve"),
            OperatorAction::Reject => (org.pass.reject(self.now), "reject"),
            OperatorAction::SetTrialEnd(at) => {
                (org.pass.set_trial_end(self.now, at), "set_trial_end")
            }
        };
        let to = to.map_err(refused)?;
        let (_, trial_end, _, _) = to.columns();
        self.commit(
            &key,
            (org.pass, to),
            Actor::operator(),
            Extras {
                audit: Some(Audit {
                    actor,
                    action: name,
                    detail: format!(
                        "{} -> {}{}",
                        org.pass.status(),
                        to.status(),
                        trial_end
                            .map(|t| format!(" until {}", t.to_rfc3339()))
                            .unwrap_or_default()
                    ),
                }),
                ..Extras::default()
            },
        )
        .await?;
        Ok(OrgRecord { pass: to, ..org })
    }

    /// Applies a payment-provider webhook after verifying its signature with `secret`.
    /// A replayed event changes nothing; so does, recorded and acknowledged
    /// ([`WebhookOutcome::Ignored`]), one about no known organization or one the
    /// add-on's state does not allow.
    ///
    /// # Errors
    /// [`AppError::InvalidSignature`]; `invalid_request` for an unreadable event;
    /// [`AppError::Conflict`] when a concurrent change won (the provider retries).
    pub async fn billing_webhook(
        &self,
        body: &[u8],
        signature: Option<&str>,
        secret: &[u8],
    ) -> Result<WebhookOutcome, AppError> {
        billing::verify(signature, body, secret, self.now).map_err(AppError::InvalidSignature)?;
        let event = billing::parse(body).map_err(|_| {
            AppError::from(FieldError::new(
                "body",
                "invalid_request",
                "The event cannot be read.",
            ))
        })?;
        let reference = BillingRef {
            event_id: &event.id,
            event_type: match &event.kind {
                EventKind::CheckoutCompleted => "checkout.session.completed",
                EventKind::InvoicePaid => "invoice.paid",
                EventKind::InvoicePaymentFailed => "invoice.payment_failed",
                EventKind::SubscriptionDeleted => "customer.subscription.deleted",
                EventKind::Other(other) => other,
            },
            customer: event.customer.as_deref(),
            subscription: event.subscription.as_deref(),
        };
        let (seen, org) = self
            .store
            .billing_context(
                &event.id,
                event.space_key.as_deref(),
                event.customer.as_deref(),
            )
            .await?;
        if seen {
            return Ok(WebhookOutcome::Duplicate);
        }
        if matches!(
            event.kind,
            EventKind::Other(_) | EventKind::InvoicePaymentFailed
        ) {
            let key = org.as_ref().map(|o| o.space_key.as_str().to_owned());
            self.store
                .record_billing_event(reference, key.as_deref(), self.now)
                .await?;
            return Ok(WebhookOutcome::Ignored);
        }
        // A signed event is always acknowledged (else the provider retries it for days):
        // one about no organization here, or one the add-on's state does not allow, is
        // recorded as seen and changes nothing.
        let Some(org) = org else {
            self.store
                .record_billing_event(reference, None, self.now)
                .await?;
            return Ok(WebhookOutcome::Ignored);
        };
        let month_on = self.now.plus_days(30);
        let to = match event.kind {
            EventKind::CheckoutCompleted => org
                .pass
                .payment_completed(self.now, event.period_end.unwrap_or(month_on)),
            // Providers do not promise order: an invoice paid before the checkout event
            // arrives starts the subscription just the same.
            EventKind::InvoicePaid => match org.pass.at(self.now) {
                Pass::Active { .. } => org
                    .pass
                    .invoice_paid(self.now, event.period_end.unwrap_or(month_on)),
                _ => org
                    .pass
                    .payment_completed(self.now, event.period_end.unwrap_or(month_on)),
            },
            EventKind::SubscriptionDeleted => org.pass.subscription_deleted(self.now),
            EventKind::InvoicePaymentFailed | EventKind::Other(_) => Ok(org.pass),
        };
        let Ok(to) = to else {
            self.store
                .record_billing_event(reference, Some(org.space_key.as_str()), self.now)
                .await?;
            return Ok(WebhookOutcome::Ignored);
        };
        self.commit(
            &org.space_key,
            (org.pass, to),
            Actor::system(),
            Extras {
                billing: Some(reference),
                ..Extras::default()
            },
        )
        .await?;
        Ok(WebhookOutcome::Applied(to.at(self.now).status()))
    }

    /// The Cron's add-on work at `self.now`: write down expiries (ending managed
    /// sessions), send due reminders, convert managed accounts of canceled
    /// organizations (a bounded number per run).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn run_pass_jobs(&self) -> Result<PassJobsReport, AppError> {
        let expiry = self
            .store
            .expire_passes(self.now, &self.event(Action::PassExpired, Actor::system()))
            .await?;
        let run_id = self.new_id("run")?;
        let reminders = self
            .store
            .send_trial_reminders(
                self.now,
                &run_id,
                &mail::trial_reminders(&self.config.base_url),
            )
            .await?;
        let mut conversions = Vec::new();
        for (account, organization) in self
            .store
            .managed_accounts_to_convert(CONVERSIONS_PER_RUN)
            .await?
        {
            let token = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
            conversions.push(Conversion {
                mail: mail::set_password(
                    self.new_id("mail")?,
                    &account.email,
                    &account.name,
                    &organization,
                    &self.config.base_url,
                    &token,
                ),
                account_id: account.id,
                token: token.hash(),
                expires_at: self.now.plus_days(SET_PASSWORD_DAYS),
            });
        }
        let converted = if conversions.is_empty() {
            0
        } else {
            self.store
                .convert_managed_accounts(&conversions, self.now)
                .await?
        };
        Ok(PassJobsReport {
            expiry,
            reminders,
            converted,
        })
    }

    /// Writes `from → to` for `space_key` with what it carries, as one compare-and-set,
    /// and records its event by `actor`.
    async fn commit(
        &self,
        space_key: &SpaceKey,
        (from, to): (Pass, Pass),
        actor: Actor,
        extras: Extras<'_>,
    ) -> Result<(), AppError> {
        let change = PassChange {
            space_key,
            from,
            to,
            change_id: self.new_id("chg")?,
            now: self.now,
            application: extras.application,
            audit: extras.audit,
            mail: extras.mail,
            billing: extras.billing,
            event: from.action_to(to).map(|action| {
                self.event(action, actor)
                    .target("organization", space_key.as_str(), None)
            }),
        };
        if self.store.change_pass(&change).await? {
            Ok(())
        } else {
            Err(AppError::Conflict)
        }
    }
}

impl<S: PassStore, H: PasswordHasher, R: Random> App<S, H, R> {
    /// Sets the password of a formerly managed account with the emailed token.
    ///
    /// # Errors
    /// Field errors for the password; [`AppError::TokenInvalid`],
    /// [`AppError::TokenExpired`], [`AppError::TokenUsed`].
    pub async fn set_password(
        &self,
        token: &str,
        password: &str,
    ) -> Result<super::ports::AccountRecord, AppError> {
        let password = Password::new_password(password)?;
        let token = SecretToken::parse(token.trim()).ok_or(AppError::TokenInvalid)?;
        let record = self.password_record(&password).await?;
        match self
            .store
            .write_password(&token.hash(), &record, self.now)
            .await?
        {
            TokenUse::Spent(account) => Ok(account),
            TokenUse::Unknown => Err(AppError::TokenInvalid),
            TokenUse::Expired => Err(AppError::TokenExpired),
            TokenUse::AlreadyUsed => Err(AppError::TokenUsed),
        }
    }
}
