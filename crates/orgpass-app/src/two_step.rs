//! Two-step verification (docs/api.md "Account self-service"): enrolment with a TOTP
//! secret and its QR code, confirmation with a first code (which hands out 10
//! recovery codes), the second step of a login, turning it off.
//!
//! - A login whose password is right gets a **challenge** instead of a session: a
//!   256-bit token living [`CHALLENGE_MINUTES`], good for [`CHALLENGE_ATTEMPTS`] codes
//!   and spent by the one that is right. Codes also count against per-account and
//!   per-IP limits, so new challenges do not buy new guesses.
//! - A TOTP code is accepted once (its step must be later than the last accepted);
//!   a recovery code once ever. The store accepts a proof with a guarded write in the
//!   same batch as what it unlocks.
//! - Managed accounts have none of this: their IdP decides how they sign in.

use orgpass_core::{
    audit::Action,
    ratelimit,
    two_step::{self, Secret, RECOVERY_BYTES, RECOVERY_CODES, SECRET_BYTES},
    SecretToken, TokenHash,
};

use super::{
    accounts::{LoggedIn, SESSION_DAYS},
    mail,
    ports::{
        AccountRecord, AccountStore, Actor, Client, CodeProof, Enrolment, Random, TwoStepState,
        TwoStepStore,
    },
    App, AppError,
};

/// How long a login's second step may take.
pub const CHALLENGE_MINUTES: i64 = 5;
/// Codes one challenge may try.
pub const CHALLENGE_ATTEMPTS: i64 = 5;
/// Codes an account may have tried per rate-limit window (all challenges together).
pub const CODES_PER_ACCOUNT: i64 = 20;
/// Codes a client IP may try per window.
pub const CODES_PER_IP: i64 = 50;

/// A started enrolment: what the person puts into their authenticator app.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// The secret, base32.
    pub secret: String,
    /// The `otpauth://` URI (the QR code's content).
    pub otpauth_uri: String,
    /// Whose (for the page's header).
    pub account: AccountRecord,
}

/// The proof a typed code is for `state`, if it is one: an unused recovery code, or
/// a TOTP code of a fresh step of the confirmed secret.
fn proof_of(state: &TwoStepState, code: &str, now: orgpass_core::Timestamp) -> Option<CodeProof> {
    if two_step::is_recovery_code(code) {
        let hash = two_step::recovery_hash(code);
        return state
            .recovery
            .iter()
            .any(|h| h == &hash)
            .then_some(CodeProof::Recovery { hash });
    }
    let secret = Secret::from_base32(state.secret.as_deref()?)?;
    two_step::verify(&secret, code, now, state.last_step).map(|step| CodeProof::Totp { step })
}

fn limited(now: orgpass_core::Timestamp) -> AppError {
    AppError::RateLimited {
        retry_after_seconds: ratelimit::retry_after(now).0,
    }
}

impl<S: AccountStore + TwoStepStore, H, R: Random> App<S, H, R> {
    /// Starts (or restarts) enrolment: a fresh secret, pending until a first code
    /// confirms it.
    ///
    /// # Errors
    /// [`AppError::ManagedAccount`], [`AppError::TwoStepAlreadyOn`],
    /// [`AppError::Unauthenticated`].
    pub async fn start_two_step(&self, session: &TokenHash) -> Result<Enrolled, AppError> {
        let secret = Secret::from_random(self.random_bytes::<SECRET_BYTES>()?);
        let encoded = secret.to_base32();
        match self
            .store
            .write_pending_secret(session, &encoded, self.now)
            .await?
            .ok_or(AppError::Unauthenticated)?
        {
            Enrolment::Started(account) => Ok(Enrolled {
                otpauth_uri: secret.otpauth_uri(account.email.as_str()),
                secret: encoded,
                account,
            }),
            Enrolment::Managed => Err(AppError::ManagedAccount),
            Enrolment::AlreadyOn => Err(AppError::TwoStepAlreadyOn),
        }
    }

    /// The session's two-step state once a code check got its place.
    async fn code_check(&self, session: &TokenHash, ip: &str) -> Result<TwoStepState, AppError> {
        let window = ratelimit::window_start(self.now);
        let state = self
            .store
            .reserve_code_check(session, ip, window, self.now)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if state.account.managed {
            return Err(AppError::ManagedAccount);
        }
        if !state.reserved {
            return Err(limited(self.now));
        }
        Ok(state)
    }

    /// Confirms enrolment with a current code of the pending secret: two-step
    /// verification is on, and the account with its 10 recovery codes (shown once) is
    /// returned.
    ///
    /// # Errors
    /// [`AppError::InvalidCode`], [`AppError::TwoStepAlreadyOn`],
    /// [`AppError::TwoStepOff`] (no enrolment started), [`AppError::ManagedAccount`],
    /// [`AppError::RateLimited`], [`AppError::Conflict`] (restarted meanwhile).
    pub async fn confirm_two_step(
        &self,
        session: &TokenHash,
        code: &str,
        ip: &str,
    ) -> Result<(AccountRecord, Vec<String>), AppError> {
        let state = self.code_check(session, ip).await?;
        if state.account.two_step {
            return Err(AppError::TwoStepAlreadyOn);
        }
        let pending = state.pending.as_deref().ok_or(AppError::TwoStepOff)?;
        let secret = Secret::from_base32(pending).ok_or(AppError::TwoStepOff)?;
        let step = two_step::verify(&secret, code, self.now, None).ok_or(AppError::InvalidCode)?;
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            codes.push(two_step::recovery_code(
                &self.random_bytes::<RECOVERY_BYTES>()?,
            ));
        }
        let hashes: Vec<String> = codes.iter().map(|c| two_step::recovery_hash(c)).collect();
        let notice = mail::two_step_changed(
            self.new_id("mail")?,
            &state.account.email,
            &self.config.base_url,
            true,
        );
        let event = self.event(Action::TwoStepEnabled, Actor::account(&state.account.id));
        if self
            .store
            .enable_two_step(
                &state.account.id,
                pending,
                step,
                &hashes,
                (&notice, &event),
                self.now,
            )
            .await?
        {
            Ok((state.account, codes))
        } else {
            Err(AppError::Conflict)
        }
    }

    /// Turns two-step verification off with a current TOTP code or a recovery code.
    ///
    /// # Errors
    /// [`AppError::InvalidCode`], [`AppError::TwoStepOff`],
    /// [`AppError::ManagedAccount`], [`AppError::RateLimited`],
    /// [`AppError::Unauthenticated`].
    pub async fn disable_two_step(
        &self,
        session: &TokenHash,
        code: &str,
        ip: &str,
    ) -> Result<(), AppError> {
        let state = self.code_check(session, ip).await?;
        if !state.account.two_step {
            return Err(AppError::TwoStepOff);
        }
        let proof = proof_of(&state, code, self.now).ok_or(AppError::InvalidCode)?;
        let notice = mail::two_step_changed(
            self.new_id("mail")?,
            &state.account.email,
            &self.config.base_url,
            false,
        );
        let event = self
            .event(Action::TwoStepDisabled, Actor::account(&state.account.id))
            .detail("with", proof.kind());
        if self
            .store
            .disable_two_step(&state.account.id, &proof, &notice, self.now, &event)
            .await?
        {
            Ok(())
        } else {
            Err(AppError::InvalidCode)
        }
    }

    /// The second step of a login: the challenge's token and a current TOTP code or
    /// an unused recovery code give the session.
    ///
    /// # Errors
    /// [`AppError::LoginCodeRefused`] (401 `invalid_code`), [`AppError::ChallengeInvalid`]
    /// (unknown, expired, spent or out of attempts: 401 `invalid_token`),
    /// [`AppError::RateLimited`].
    pub async fn complete_login(
        &self,
        token: &str,
        code: &str,
        client: &Client,
    ) -> Result<LoggedIn, AppError> {
        let token = SecretToken::parse(token.trim()).ok_or(AppError::ChallengeInvalid)?;
        let window = ratelimit::window_start(self.now);
        let state = self
            .store
            .attempt_challenge(&token.hash(), &client.ip, window, self.now)
            .await?
            .ok_or(AppError::ChallengeInvalid)?;
        if !state.reserved {
            return Err(limited(self.now));
        }
        let id = state.account.id.as_str();
        let Some(proof) = proof_of(&state, code, self.now) else {
            let event = self
                .event(Action::LoginFailed, Actor::anyone())
                .failed()
                .detail("reason", "wrong_code");
            self.store
                .record_account_event((Some(id), None), &event)
                .await?;
            return Err(AppError::LoginCodeRefused);
        };
        let (secret, session) = self.new_session(id, self.now.plus_days(SESSION_DAYS), client)?;
        let event = self
            .event(Action::LoginSucceeded, Actor::account(id))
            .detail("method", "password")
            .detail("second_step", proof.kind());
        let account = self
            .store
            .complete_challenge(&token.hash(), &proof, &session, self.now, &event)
            .await?
            .ok_or(AppError::LoginCodeRefused)?;
        Ok(LoggedIn {
            token: secret,
            account,
        })
    }
}
