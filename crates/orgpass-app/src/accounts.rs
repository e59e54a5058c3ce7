//! Sign-up, email verification, login, logout and "who am I" (docs/product.md §1, docs/api.md
//! "Accounts and sessions").

use orgpass_core::{
    account::{PASSWORD_ITERATIONS, SALT_LEN},
    audit::Action,
    ratelimit,
    token::TOKEN_BYTES,
    DisplayName, Email, Invalid, Password, PasswordRecord, SecretToken, Timestamp, TokenHash,
};

use super::{
    mail,
    ports::{
        AccountRecord, AccountStore, Actor, Client, MembershipSummary, NewChallenge, NewSession,
        NewVerification, PasswordHasher, PendingVerification, Random, TokenUse,
    },
    App, AppError,
};

/// How long a session lasts.
pub const SESSION_DAYS: i64 = 30;
/// How long an email-verification link works.
pub const VERIFICATION_HOURS: i64 = 24;
/// How long a sign-up whose email is never confirmed is kept before the Cron deletes it
/// (until then it blocks only another plain sign-up of the address: an invitation or a
/// managed account replaces it at once).
pub const UNVERIFIED_DAYS: i64 = 7;

/// Input of a sign-up.
#[derive(Debug)]
pub struct SignUp<'a> {
    /// Email as typed.
    pub email: &'a str,
    /// Password as typed.
    pub password: &'a str,
    /// Display name as typed.
    pub name: &'a str,
    /// Digest of a secret the signing-up browser keeps in a cookie: the emailed link
    /// confirms at once only there ([`App::open_verification`]).
    pub browser: Option<TokenHash>,
}

/// What opening a verification link came to.
#[derive(Debug)]
pub enum Verifying {
    /// Confirmed (the browser that signed up opened it).
    Confirmed(AccountRecord),
    /// Anywhere else: the password chosen at sign-up is asked for first, so that
    /// confirming never activates a password the confirmer did not choose.
    NeedsPassword(AccountRecord),
}

/// What a right password came to.
#[derive(Debug)]
pub enum LogIn {
    /// Logged in.
    Done(LoggedIn),
    /// Two-step verification is on: the second step needs this short-lived token and
    /// a code ([`App::complete_login`]).
    SecondStep(SecretToken),
}

impl LogIn {
    /// The session, when the login is complete.
    #[must_use]
    pub fn session(self) -> Option<LoggedIn> {
        match self {
            Self::Done(session) => Some(session),
            Self::SecondStep(_) => None,
        }
    }
}

/// A successful login: the secret to hand to the client, and who it is.
#[derive(Debug)]
pub struct LoggedIn {
    /// Session token (bearer and cookie value).
    pub token: SecretToken,
    /// The account.
    pub account: AccountRecord,
}

impl<S, H, R: Random> App<S, H, R> {
    /// A fresh session for `account_id`, lasting until `expires_at`, started by `client`:
    /// the secret for the client and the record for the store.
    pub(super) fn new_session(
        &self,
        account_id: &str,
        expires_at: Timestamp,
        client: &Client,
    ) -> Result<(SecretToken, NewSession), AppError> {
        let token = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        let session = NewSession {
            id: self.new_id("sess")?,
            token_hash: token.hash(),
            account_id: account_id.to_owned(),
            created_at: self.now,
            expires_at,
            client: client.clone(),
        };
        Ok((token, session))
    }
}

impl<S, H: PasswordHasher, R: Random> App<S, H, R> {
    /// The stored form of a new password: fresh salt, current iteration count.
    pub(super) async fn password_record(&self, password: &Password) -> Result<String, AppError> {
        let salt: [u8; SALT_LEN] = self.random_bytes()?;
        let hash = self
            .hasher
            .derive(password, &salt, PASSWORD_ITERATIONS)
            .await?;
        Ok(PasswordRecord {
            iterations: PASSWORD_ITERATIONS,
            salt: salt.to_vec(),
            hash,
        }
        .encode())
    }

    /// Whether `password` is the one of the encoded record `stored`. Without a record
    /// (an unknown or managed account) the same derivation is made against a dummy one
    /// and the answer is `false`, so neither the answer nor its timing tells the cases
    /// apart.
    pub(super) async fn password_matches(
        &self,
        stored: Option<&str>,
        password: &Password,
    ) -> Result<bool, AppError> {
        match stored.and_then(|s| PasswordRecord::decode(s).ok()) {
            Some(record) => {
                let derived = self
                    .hasher
                    .derive(password, &record.salt, record.iterations)
                    .await?;
                Ok(record.matches(&derived))
            }
            None => {
                self.hasher
                    .derive(password, &[0u8; SALT_LEN], PASSWORD_ITERATIONS)
                    .await?;
                Ok(false)
            }
        }
    }
}

impl<S: AccountStore, H: PasswordHasher, R: Random> App<S, H, R> {
    /// Creates a normal account and queues its verification email.
    ///
    /// # Errors
    /// Field errors (`invalid_email`, `password_too_short`, `invalid_name`, …),
    /// [`AppError::EmailTaken`], [`AppError::Unavailable`].
    pub async fn sign_up(&self, input: SignUp<'_>) -> Result<AccountRecord, AppError> {
        let mut invalid = Invalid::default();
        let email = invalid.check(Email::parse(input.email));
        let password = invalid.check(Password::new_password(input.password));
        let name = invalid.check(DisplayName::parse(input.name));
        invalid.into_result()?;
        let (Some(email), Some(password), Some(name)) = (email, password, name) else {
            return Err(AppError::Invalid(Invalid::default()));
        };

        let record = self.password_record(&password).await?;
        let account = AccountRecord {
            id: self.new_id("acct")?,
            email,
            name: name.as_str().to_owned(),
            managed: false,
            email_verified: false,
            two_step: false,
            created_at: self.now,
        };
        let token = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        let mail = mail::verification(
            self.new_id("mail")?,
            &account.email,
            &account.name,
            &self.config.base_url,
            &token,
        );
        let verification = NewVerification {
            token: token.hash(),
            expires_at: self.now.plus_millis(VERIFICATION_HOURS * 3_600_000),
            browser: input.browser,
        };
        let created = self
            .store
            .create_account(&account, &record, &verification, &mail)
            .await?;
        if created {
            Ok(account)
        } else {
            Err(AppError::EmailTaken)
        }
    }

    /// Confirms an email address with the token from the verification link.
    ///
    /// # Errors
    /// [`AppError::TokenInvalid`], [`AppError::TokenExpired`], [`AppError::TokenUsed`],
    /// [`AppError::Unavailable`].
    pub async fn verify_email(&self, token: &str) -> Result<AccountRecord, AppError> {
        let token = SecretToken::parse(token.trim()).ok_or(AppError::TokenInvalid)?;
        match self
            .store
            .consume_verification(&token.hash(), self.now)
            .await?
        {
            TokenUse::Spent(account) => Ok(account),
            TokenUse::Unknown => Err(AppError::TokenInvalid),
            TokenUse::Expired => Err(AppError::TokenExpired),
            TokenUse::AlreadyUsed => Err(AppError::TokenUsed),
        }
    }

    /// The account a verification link would confirm (nothing is spent).
    async fn pending_verification(&self, token: &str) -> Result<PendingVerification, AppError> {
        let secret = SecretToken::parse(token.trim()).ok_or(AppError::TokenInvalid)?;
        match self
            .store
            .pending_verification(&secret.hash(), self.now)
            .await?
        {
            TokenUse::Spent(pending) => Ok(pending),
            TokenUse::Unknown => Err(AppError::TokenInvalid),
            TokenUse::Expired => Err(AppError::TokenExpired),
            TokenUse::AlreadyUsed => Err(AppError::TokenUsed),
        }
    }

    /// Opens a verification link in a browser: confirms at once where the browser holds
    /// the sign-up's secret (`browser`), else asks for the password first.
    ///
    /// # Errors
    /// [`AppError::TokenInvalid`], [`AppError::TokenExpired`], [`AppError::TokenUsed`],
    /// [`AppError::Unavailable`].
    pub async fn open_verification(
        &self,
        token: &str,
        browser: Option<&str>,
    ) -> Result<Verifying, AppError> {
        let pending = self.pending_verification(token).await?;
        let presented = browser.and_then(SecretToken::parse).map(|b| b.hash());
        match (pending.browser, presented) {
            (Some(stored), Some(presented)) if stored.matches(&presented) => {
                Ok(Verifying::Confirmed(self.verify_email(token).await?))
            }
            _ => Ok(Verifying::NeedsPassword(pending.account)),
        }
    }

    /// Confirms an address from a browser other than the signing-up one: the password
    /// chosen at sign-up must be given (counted against the login limits).
    ///
    /// # Errors
    /// As [`Self::open_verification`], [`AppError::InvalidCredentials`],
    /// [`AppError::RateLimited`].
    pub async fn verify_email_with_password(
        &self,
        token: &str,
        password: &str,
        ip: &str,
    ) -> Result<AccountRecord, AppError> {
        let password = Password::attempt(password)?;
        let pending = self.pending_verification(token).await?;
        let window = ratelimit::window_start(self.now);
        let attempt = self
            .store
            .reserve_login(&pending.account.email, ip, window)
            .await?;
        if !attempt.reserved {
            return Err(AppError::RateLimited {
                retry_after_seconds: ratelimit::retry_after(self.now).0,
            });
        }
        if !self
            .password_matches(pending.password_record.as_deref(), &password)
            .await?
        {
            return Err(AppError::InvalidCredentials);
        }
        self.verify_email(token).await
    }

    /// Logs in with email and password from `client`.
    ///
    /// The attempt is counted against the limits before the password is derived (one
    /// conditional write), so parallel guesses cannot outrun the counter. Unknown email,
    /// a managed account (it has no password) and a wrong password give the same
    /// answer after the same work (a derivation against a dummy record), so neither the
    /// answer nor its timing tells whether or which account exists.
    ///
    /// # Errors
    /// [`AppError::RateLimited`], [`AppError::InvalidCredentials`],
    /// [`AppError::EmailNotVerified`], [`AppError::Unavailable`]; `invalid_request` for
    /// an absurdly long password.
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        client: &Client,
    ) -> Result<LogIn, AppError> {
        let ip = client.ip.as_str();
        let password = Password::attempt(password)?;
        // A malformed email cannot have an account: same answer as an unknown one.
        let Ok(email) = Email::parse(email) else {
            return Err(AppError::InvalidCredentials);
        };
        let window = ratelimit::window_start(self.now);
        let attempt = self.store.reserve_login(&email, ip, window).await?;
        if !attempt.reserved {
            return Err(AppError::RateLimited {
                retry_after_seconds: ratelimit::retry_after(self.now).0,
            });
        }
        let (account, stored) = match attempt.account {
            // A managed account logs in through its IdP only; the login page offers
            // that path to everyone alike.
            Some((account, stored)) if !account.managed => (Some(account), stored),
            _ => (None, None),
        };
        let matches = self.password_matches(stored.as_deref(), &password).await?;
        // A failure is already counted: the reservation stays. It is recorded in the
        // logs of the address's account, if there is one, by the same statement either
        // way (no answer or timing tells which).
        let account = match account {
            Some(account) if matches => account,
            _ => {
                let event = self
                    .event(Action::LoginFailed, Actor::anyone())
                    .failed()
                    .detail("reason", "wrong_password");
                self.store
                    .record_account_event((None, Some(&email)), &event)
                    .await?;
                return Err(AppError::InvalidCredentials);
            }
        };
        if !account.email_verified {
            return Err(AppError::EmailNotVerified);
        }
        if account.two_step {
            let token = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
            let challenge = NewChallenge {
                token: token.hash(),
                account_id: &account.id,
                created_at: self.now,
                expires_at: self
                    .now
                    .plus_millis(super::two_step::CHALLENGE_MINUTES * 60_000),
            };
            self.store
                .insert_challenge(&challenge, &email, ip, window)
                .await?;
            return Ok(LogIn::SecondStep(token));
        }
        let (token, session) =
            self.new_session(&account.id, self.now.plus_days(SESSION_DAYS), client)?;
        let event = self
            .event(Action::LoginSucceeded, Actor::account(&account.id))
            .detail("method", "password");
        self.store
            .create_session(&session, &email, ip, window, &event)
            .await?;
        Ok(LogIn::Done(LoggedIn { token, account }))
    }

    /// Ends the session (both its cookie and bearer uses: they are one secret).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn log_out(&self, token: &TokenHash) -> Result<(), AppError> {
        Ok(self.store.revoke_session(token, self.now).await?)
    }

    /// The signed-in account and the organizations it belongs to.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] without a live session; [`AppError::Unavailable`].
    pub async fn me(
        &self,
        token: &TokenHash,
    ) -> Result<(AccountRecord, Vec<MembershipSummary>), AppError> {
        self.store
            .session_with_orgs(token, self.now)
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    /// Removes expired sessions, tokens and counters (the Cron's housekeeping).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn purge_expired(&self) -> Result<u64, AppError> {
        Ok(self.store.delete_expired(self.now).await?)
    }
}

/// The time a session made now would end (for the cookie's `Max-Age`).
#[must_use]
pub const fn session_seconds() -> i64 {
    SESSION_DAYS * 24 * 3600
}
