//! Account self-service (docs/api.md "Account self-service"): getting back in after a
//! forgotten password, a fresh verification link, and what a signed-in person changes
//! about their own account — name, email, password, sessions, leaving an organization,
//! deleting the account.
//!
//! - **No enumeration.** A request for an emailed link answers the same for every
//!   address after the same work: the token and the mail are made either way, and the
//!   store's write decides, inside its SQL, whether the address has an account the
//!   link applies to ([`SelfServiceStore::insert_link`]).
//! - **Links** are 256-bit tokens, emailed once and stored as their SHA-256 only, spent
//!   by one guarded write (concurrent confirmations succeed once).
//! - **The current password** guards the email, the password and deletion; each check
//!   counts against the login limits before the derivation, like a login.
//! - **Managed accounts** are their organization's: they change nothing of this but
//!   their name (403 `managed_account`).

use orgpass_core::{
    audit::Action, ratelimit, token::TOKEN_BYTES, DisplayName, Email, FieldError, Password,
    SecretToken, TokenHash,
};

use super::{
    mail,
    ports::{
        AccountDeletion, AccountOverview, AccountRecord, AccountStore, Actor, CredentialCheck,
        EmailConfirmation, LinkPurpose, NewEmailChange, NewLink, PasswordHasher, Random, Release,
        SelfServiceStore, TokenUse,
    },
    App, AppError,
};

/// How long a password-reset link works.
pub const RESET_HOURS: i64 = 1;
/// How long the link that confirms a new email address works.
pub const EMAIL_CHANGE_HOURS: i64 = 24;
/// A session's "last used" time is refreshed at most this often.
pub const TOUCH_EVERY_MINUTES: i64 = 5;

/// A refusal of a spent, unknown or expired link.
const fn link_error<T>(used: &TokenUse<T>) -> AppError {
    match used {
        TokenUse::Expired => AppError::TokenExpired,
        TokenUse::AlreadyUsed => AppError::TokenUsed,
        TokenUse::Unknown | TokenUse::Spent(_) => AppError::TokenInvalid,
    }
}

impl<S: AccountStore + SelfServiceStore, H: PasswordHasher, R: Random> App<S, H, R> {
    /// Emails a `purpose` link to `email` if it has an account the purpose applies to
    /// (a normal account; for a verification, one not yet confirmed), and answers the
    /// same after the same work otherwise. `browser`: the requesting browser's secret
    /// digest, which lets a verification link confirm at once there.
    ///
    /// # Errors
    /// `invalid_email` for what cannot be an address, [`AppError::RateLimited`],
    /// [`AppError::Unavailable`].
    pub async fn request_link(
        &self,
        purpose: LinkPurpose,
        email: &str,
        ip: &str,
        browser: Option<TokenHash>,
    ) -> Result<(), AppError> {
        let email = Email::parse(email)?;
        let window = ratelimit::window_start(self.now);
        let attempt = self.store.reserve_link(purpose, &email, ip, window).await?;
        if !attempt.reserved {
            return Err(AppError::RateLimited {
                retry_after_seconds: ratelimit::retry_after(self.now).0,
            });
        }
        let name = attempt.account.as_ref().map_or("", |a| a.name.as_str());
        let token = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        let base = &self.config.base_url;
        let id = self.new_id("mail")?;
        let (mail, hours, browser) = match purpose {
            LinkPurpose::ResetPassword => (
                mail::password_reset(id, &email, name, base, &token),
                RESET_HOURS,
                None,
            ),
            LinkPurpose::VerifyEmail => (
                mail::verification_again(id, &email, name, base, &token),
                super::accounts::VERIFICATION_HOURS,
                browser,
            ),
        };
        let link = NewLink {
            purpose,
            token: token.hash(),
            expires_at: self.now.plus_millis(hours * 3_600_000),
            browser,
        };
        self.store
            .insert_link(&email, &link, &mail, self.now)
            .await?;
        Ok(())
    }

    /// Whether a reset (`reset_password`) or email-change (`change_email`) link can
    /// still be used, so that its page tells at once (nothing is spent).
    ///
    /// # Errors
    /// [`AppError::TokenInvalid`], [`AppError::TokenExpired`], [`AppError::TokenUsed`].
    pub async fn check_link(&self, token: &str, purpose: &str) -> Result<(), AppError> {
        let token = SecretToken::parse(token.trim()).ok_or(AppError::TokenInvalid)?;
        match self
            .store
            .read_link(&token.hash(), purpose, self.now)
            .await?
        {
            TokenUse::Spent(()) => Ok(()),
            other => Err(link_error(&other)),
        }
    }

    /// Sets a new password with a reset link; every session of the account ends.
    ///
    /// # Errors
    /// Password field errors, [`AppError::TokenInvalid`], [`AppError::TokenExpired`],
    /// [`AppError::TokenUsed`], [`AppError::Unavailable`].
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
    ) -> Result<AccountRecord, AppError> {
        let password = Password::new_password(password)?;
        let token = SecretToken::parse(token.trim()).ok_or(AppError::TokenInvalid)?;
        let record = self.password_record(&password).await?;
        let notice = mail::password_changed(&self.config.base_url);
        // The link's owner acts (the store names them from the link).
        let event = self.event(Action::PasswordReset, Actor::anyone());
        let used = self
            .store
            .write_reset_password(
                &token.hash(),
                &record,
                (&self.new_id("mail")?, &notice),
                (self.now, &event),
            )
            .await?;
        match used {
            TokenUse::Spent(account) => Ok(account),
            other => Err(link_error(&other)),
        }
    }

    /// The session's normal account once `password` is proven to be its password,
    /// with the reservation to give back.
    async fn check_password(
        &self,
        session: &TokenHash,
        password: &Password,
        ip: &str,
    ) -> Result<(CredentialCheck, orgpass_core::Timestamp), AppError> {
        let window = ratelimit::window_start(self.now);
        let check = self
            .store
            .reserve_credential_check(session, ip, window, self.now)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if check.account.managed {
            return Err(AppError::ManagedAccount);
        }
        if !check.reserved {
            return Err(AppError::RateLimited {
                retry_after_seconds: ratelimit::retry_after(self.now).0,
            });
        }
        let matches = self
            .password_matches(check.password_record.as_deref(), password)
            .await?;
        if matches {
            Ok((check, window))
        } else {
            Err(AppError::WrongPassword)
        }
    }

    /// Changes the password of the session's account (the current one required);
    /// every other session ends.
    ///
    /// # Errors
    /// Password field errors on `new_password`, [`AppError::WrongPassword`],
    /// [`AppError::ManagedAccount`], [`AppError::RateLimited`],
    /// [`AppError::Unauthenticated`], [`AppError::Unavailable`].
    pub async fn change_password(
        &self,
        session: &TokenHash,
        current: &str,
        new_password: &str,
        ip: &str,
    ) -> Result<(), AppError> {
        let new_password = Password::new_password(new_password).map_err(|e| {
            AppError::Invalid(FieldError::new("new_password", e.code, e.message).into())
        })?;
        let current = Password::attempt(current)?;
        let (check, window) = self.check_password(session, &current, ip).await?;
        let record = self.password_record(&new_password).await?;
        let notice = mail::addressed(
            mail::password_changed(&self.config.base_url),
            self.new_id("mail")?,
            &check.account.email,
        );
        let release = Release {
            email: &check.account.email,
            ip,
            window,
        };
        let event = self.event(Action::PasswordChanged, Actor::account(&check.account.id));
        self.store
            .update_own_password(
                &check.account.id,
                session,
                &record,
                &release,
                (&notice, &event),
                self.now,
            )
            .await?;
        Ok(())
    }

    /// Asks to move the session's account to `new_email`: a link goes to the new
    /// address and a notice to the old one; the change happens on confirmation.
    ///
    /// # Errors
    /// `invalid_email`, `same_email`, [`AppError::EmailTaken`],
    /// [`AppError::WrongPassword`], [`AppError::ManagedAccount`],
    /// [`AppError::RateLimited`], [`AppError::Unauthenticated`].
    pub async fn request_email_change(
        &self,
        session: &TokenHash,
        new_email: &str,
        current: &str,
        ip: &str,
    ) -> Result<Email, AppError> {
        let new_email = Email::parse(new_email)?;
        let current = Password::attempt(current)?;
        let (check, window) = self.check_password(session, &current, ip).await?;
        let account = &check.account;
        if account.email == new_email {
            return Err(FieldError::new(
                "email",
                "same_email",
                "This is already the account's email address.",
            )
            .into());
        }
        let token = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        let base = &self.config.base_url;
        let confirm = mail::email_change(
            self.new_id("mail")?,
            &new_email,
            &account.name,
            base,
            &token,
        );
        let notice = mail::email_change_notice(
            self.new_id("mail")?,
            &account.email,
            &account.name,
            &new_email,
            base,
        );
        let change = NewEmailChange {
            account_id: &account.id,
            token: token.hash(),
            new_email: &new_email,
            expires_at: self.now.plus_millis(EMAIL_CHANGE_HOURS * 3_600_000),
        };
        let release = Release {
            email: &account.email,
            ip,
            window,
        };
        if self
            .store
            .insert_email_change(&change, [&confirm, &notice], &release, self.now)
            .await?
        {
            Ok(new_email)
        } else {
            Err(AppError::EmailTaken)
        }
    }

    /// Confirms an email change with the link sent to the new address.
    ///
    /// # Errors
    /// [`AppError::EmailTaken`] (taken meanwhile), [`AppError::TokenInvalid`],
    /// [`AppError::TokenExpired`], [`AppError::TokenUsed`].
    pub async fn confirm_email_change(&self, token: &str) -> Result<AccountRecord, AppError> {
        let token = SecretToken::parse(token.trim()).ok_or(AppError::TokenInvalid)?;
        let event = self.event(Action::EmailChanged, Actor::anyone());
        match self
            .store
            .confirm_email_change(&token.hash(), (self.now, &event))
            .await?
        {
            EmailConfirmation::Changed(account) => Ok(account),
            EmailConfirmation::Taken => Err(AppError::EmailTaken),
            EmailConfirmation::Refused(used) => Err(link_error(&used)),
        }
    }

    /// The session's account, its live sessions and its organizations (the account
    /// page, and the API's session list).
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`], [`AppError::Unavailable`].
    pub async fn account_overview(&self, session: &TokenHash) -> Result<AccountOverview, AppError> {
        self.store
            .account_overview(session, self.now)
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    /// Ends one of the account's own sessions (its token stops working at once).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a session that is not the account's, or not live;
    /// [`AppError::Unauthenticated`].
    pub async fn end_own_session(&self, session: &TokenHash, id: &str) -> Result<(), AppError> {
        match self.store.end_own_session(session, id, self.now).await? {
            Some(true) => Ok(()),
            Some(false) => Err(AppError::NotFound),
            None => Err(AppError::Unauthenticated),
        }
    }

    /// Renames the session's account (managed accounts too: the name is theirs).
    ///
    /// # Errors
    /// `invalid_name`, [`AppError::Unauthenticated`].
    pub async fn rename_self(
        &self,
        session: &TokenHash,
        name: &str,
    ) -> Result<AccountRecord, AppError> {
        let name = DisplayName::parse(name)?;
        self.store
            .update_own_name(session, name.as_str(), self.now)
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    /// Deletes the session's account (its password required): its sessions, tokens
    /// and memberships go with it and the address is free again.
    ///
    /// # Errors
    /// [`AppError::LastAdmin`], [`AppError::LastUnmanagedAdmin`],
    /// [`AppError::WrongPassword`], [`AppError::ManagedAccount`],
    /// [`AppError::RateLimited`], [`AppError::Unauthenticated`].
    pub async fn delete_self(
        &self,
        session: &TokenHash,
        current: &str,
        ip: &str,
    ) -> Result<(), AppError> {
        let current = Password::attempt(current)?;
        let (check, _) = self.check_password(session, &current, ip).await?;
        let event = self
            .event(Action::MemberLeft, Actor::account(&check.account.id))
            .detail("reason", "account_deleted");
        match self
            .store
            .delete_own_account(&check.account.id, self.now, &event)
            .await?
        {
            AccountDeletion::Done => Ok(()),
            AccountDeletion::LastAdmin => Err(AppError::LastAdmin),
            AccountDeletion::LastNormalAdmin => Err(AppError::LastUnmanagedAdmin),
        }
    }

    /// Records that the session was used now (the edge calls it after answering).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn touch_session(&self, session: &TokenHash) -> Result<(), AppError> {
        Ok(self.store.touch_session(session, self.now).await?)
    }
}
