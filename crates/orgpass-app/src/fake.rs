//! In-memory implementations of the ports, for native tests of the use cases. They
//! keep the same promises as the D1 store (uniqueness, single use, atomic writes), so
//! a use-case test that passes here tests the logic, and the end-to-end suite tests
//! the SQL.

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
};

use orgpass_core::{
    account::HASH_LEN,
    policy::{Membership, Permit},
    ratelimit, Email, Password, Role, SpaceKey, Timestamp, TokenHash,
};
use sha2::{Digest, Sha256};

use super::{ports::*, App, Config};

/// Deterministic "random" bytes: SHA-256 of a counter.
#[derive(Default)]
pub struct CountingRandom(Cell<u64>);

impl Random for CountingRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), PortError> {
        for chunk in buf.chunks_mut(32) {
            let n = self.0.get() + 1;
            self.0.set(n);
            let block = Sha256::digest(n.to_le_bytes());
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

/// Real PBKDF2-HMAC-SHA256 (the `pbkdf2` crate), counting its calls.
#[derive(Default)]
pub struct NativePbkdf2 {
    /// Derivations performed.
    pub calls: Cell<u32>,
}

impl PasswordHasher for NativePbkdf2 {
    async fn derive(
        &self,
        password: &Password,
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; HASH_LEN], PortError> {
        self.calls.set(self.calls.get() + 1);
        // Tests use few iterations for speed: the stored count is honoured either way.
        let mut out = [0u8; HASH_LEN];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            password.expose().as_bytes(),
            salt,
            iterations.min(1_000),
            &mut out,
        );
        Ok(out)
    }
}

struct Token {
    account_id: String,
    expires_at: Timestamp,
    used: bool,
    browser: Option<TokenHash>,
}

struct Session {
    account_id: String,
    expires_at: Timestamp,
    revoked: bool,
}

#[derive(Default)]
struct State {
    accounts: Vec<(AccountRecord, Option<String>)>,
    tokens: HashMap<TokenHash, Token>,
    sessions: HashMap<TokenHash, Session>,
    failures: HashMap<(String, i64), i64>,
    orgs: Vec<OrgRecord>,
    org_ids: HashMap<String, String>,
    members: Vec<(String, String, Membership)>,
    outbox: Vec<(MailRecord, u32, bool)>,
}

/// The in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    state: RefCell<State>,
    /// Round trips made (each method is one).
    pub round_trips: Cell<u32>,
}

impl MemoryStore {
    fn trip(&self) {
        self.round_trips.set(self.round_trips.get() + 1);
    }

    fn live_account(&self, token: &TokenHash, now: Timestamp) -> Option<AccountRecord> {
        let state = self.state.borrow();
        let session = state.sessions.get(token)?;
        if session.revoked || session.expires_at <= now {
            return None;
        }
        state
            .accounts
            .iter()
            .find(|(a, _)| a.id == session.account_id)
            .map(|(a, _)| a.clone())
    }

    /// Every mail in the outbox, oldest first.
    pub fn all_mail(&self) -> Vec<NewMail> {
        self.state
            .borrow()
            .outbox
            .iter()
            .map(|(m, _, _)| m.mail.clone())
            .collect()
    }

    /// Adds a managed account (no password), as the SSO issue's use case will.
    pub fn insert_managed(&self, email: &str, now: Timestamp) {
        let account = AccountRecord {
            id: format!("acct_managed_{email}"),
            email: Email::parse(email).unwrap(),
            name: "Managed".to_owned(),
            managed: true,
            email_verified: true,
            two_step: false,
            created_at: now,
        };
        self.state.borrow_mut().accounts.push((account, None));
    }

    /// Makes an account's email verified, as a test shortcut.
    pub fn mark_verified(&self, email: &str) {
        for (a, _) in &mut self.state.borrow_mut().accounts {
            if a.email.as_str() == email {
                a.email_verified = true;
            }
        }
    }
}

impl AccountStore for MemoryStore {
    async fn create_account(
        &self,
        account: &AccountRecord,
        password_record: &str,
        verification: &NewVerification,
        mail: &NewMail,
    ) -> Result<bool, PortError> {
        self.trip();
        let mut s = self.state.borrow_mut();
        if s.accounts.iter().any(|(a, _)| a.email == account.email) {
            return Ok(false);
        }
        s.accounts
            .push((account.clone(), Some(password_record.to_owned())));
        s.tokens.insert(
            verification.token,
            Token {
                account_id: account.id.clone(),
                expires_at: verification.expires_at,
                used: false,
                browser: verification.browser,
            },
        );
        s.outbox.push((
            MailRecord {
                mail: mail.clone(),
                created_at: account.created_at,
            },
            0,
            false,
        ));
        Ok(true)
    }

    async fn consume_verification(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<TokenUse<AccountRecord>, PortError> {
        self.trip();
        let mut s = self.state.borrow_mut();
        let Some(t) = s.tokens.get_mut(token) else {
            return Ok(TokenUse::Unknown);
        };
        if t.used {
            return Ok(TokenUse::AlreadyUsed);
        }
        if t.expires_at <= now {
            return Ok(TokenUse::Expired);
        }
        t.used = true;
        let id = t.account_id.clone();
        let account = s
            .accounts
            .iter_mut()
            .find(|(a, _)| a.id == id)
            .map(|(a, _)| {
                a.email_verified = true;
                a.clone()
            });
        Ok(account.map_or(TokenUse::Unknown, TokenUse::Spent))
    }

    async fn pending_verification(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<TokenUse<PendingVerification>, PortError> {
        self.trip();
        let s = self.state.borrow();
        let Some(t) = s.tokens.get(token) else {
            return Ok(TokenUse::Unknown);
        };
        if t.used {
            return Ok(TokenUse::AlreadyUsed);
        }
        if t.expires_at <= now {
            return Ok(TokenUse::Expired);
        }
        Ok(s.accounts
            .iter()
            .find(|(a, _)| a.id == t.account_id)
            .map_or(TokenUse::Unknown, |(a, p)| {
                TokenUse::Spent(PendingVerification {
                    account: a.clone(),
                    password_record: p.clone(),
                    browser: t.browser,
                })
            }))
    }

    async fn reserve_login(
        &self,
        email: &Email,
        ip: &str,
        window: Timestamp,
    ) -> Result<LoginAttempt, PortError> {
        self.trip();
        let mut s = self.state.borrow_mut();
        let keys = [
            (format!("email:{email}"), window.millis()),
            (format!("ip:{ip}"), window.millis()),
        ];
        let count = |s: &State, k: &(String, i64)| s.failures.get(k).copied().unwrap_or(0);
        let reserved = ratelimit::may_reserve(count(&s, &keys[0]), count(&s, &keys[1]));
        if reserved {
            for key in keys {
                *s.failures.entry(key).or_default() += 1;
            }
        }
        Ok(LoginAttempt {
            account: s.accounts.iter().find(|(a, _)| a.email == *email).cloned(),
            reserved,
        })
    }

    async fn record_account_event(
        &self,
        _who: (Option<&str>, Option<&Email>),
        _event: &Event,
    ) -> Result<(), PortError> {
        self.trip();
        Ok(())
    }

    async fn create_session(
        &self,
        session: &NewSession,
        email: &Email,
        ip: &str,
        window: Timestamp,
        _event: &Event,
    ) -> Result<(), PortError> {
        self.trip();
        let mut s = self.state.borrow_mut();
        s.failures
            .remove(&(format!("email:{email}"), window.millis()));
        if let Some(n) = s.failures.get_mut(&(format!("ip:{ip}"), window.millis())) {
            *n = (*n - 1).max(0);
        }
        s.sessions.insert(
            session.token_hash,
            Session {
                account_id: session.account_id.clone(),
                expires_at: session.expires_at,
                revoked: false,
            },
        );
        Ok(())
    }

    async fn insert_challenge(
        &self,
        _challenge: &NewChallenge<'_>,
        email: &Email,
        _ip: &str,
        window: Timestamp,
    ) -> Result<(), PortError> {
        // The fakes' accounts never turn two-step verification on (the end-to-end
        // suite covers it); the reservation is given back as for a session.
        self.trip();
        self.state
            .borrow_mut()
            .failures
            .remove(&(format!("email:{email}"), window.millis()));
        Ok(())
    }

    async fn revoke_session(&self, token: &TokenHash, _now: Timestamp) -> Result<(), PortError> {
        self.trip();
        if let Some(s) = self.state.borrow_mut().sessions.get_mut(token) {
            s.revoked = true;
        }
        Ok(())
    }

    async fn session_with_orgs(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<(AccountRecord, Vec<MembershipSummary>)>, PortError> {
        self.trip();
        let Some(account) = self.live_account(token, now) else {
            return Ok(None);
        };
        let s = self.state.borrow();
        let orgs = s
            .members
            .iter()
            .filter(|(_, a, _)| *a == account.id)
            .filter_map(|(key, _, m)| {
                s.orgs
                    .iter()
                    .find(|o| o.space_key.as_str() == key)
                    .map(|o| MembershipSummary {
                        space_key: key.clone(),
                        organization_id: o.organization_id.as_str().to_owned(),
                        name: o.name.clone(),
                        membership: *m,
                    })
            })
            .collect();
        Ok(Some((account, orgs)))
    }

    async fn delete_expired(&self, now: Timestamp) -> Result<u64, PortError> {
        self.trip();
        let mut s = self.state.borrow_mut();
        let before = s.sessions.len() + s.tokens.len() + s.accounts.len();
        s.sessions.retain(|_, v| !v.revoked && v.expires_at > now);
        s.tokens.retain(|_, v| !v.used && v.expires_at > now);
        let cutoff = now.plus_days(-super::accounts::UNVERIFIED_DAYS);
        let members: Vec<String> = s.members.iter().map(|(_, a, _)| a.clone()).collect();
        s.accounts.retain(|(a, _)| {
            a.email_verified || a.managed || a.created_at > cutoff || members.contains(&a.id)
        });
        Ok((before - s.sessions.len() - s.tokens.len() - s.accounts.len()) as u64)
    }
}

impl OrgStore for MemoryStore {
    async fn create_organization(
        &self,
        org: &OrgRecord,
        creator: &str,
        role: Role,
        _event: &Event,
    ) -> Result<bool, PortError> {
        self.trip();
        let mut s = self.state.borrow_mut();
        let id = org.organization_id.as_str().to_owned();
        if s.org_ids.contains_key(&id) {
            return Ok(false);
        }
        s.org_ids.insert(id, org.space_key.as_str().to_owned());
        s.orgs.push(org.clone());
        s.members.push((
            org.space_key.as_str().to_owned(),
            creator.to_owned(),
            Membership {
                role,
                can_invite: false,
            },
        ));
        Ok(true)
    }

    async fn member_context(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<MemberContext>, PortError> {
        self.trip();
        let Some(account) = self.live_account(token, now) else {
            return Ok(None);
        };
        let s = self.state.borrow();
        let org = s
            .members
            .iter()
            .find(|(k, a, _)| k == space_key.as_str() && *a == account.id)
            .and_then(|(_, _, m)| {
                s.orgs
                    .iter()
                    .find(|o| o.space_key == *space_key)
                    .map(|o| (o.clone(), *m))
            });
        Ok(Some(MemberContext { account, org }))
    }

    async fn update_organization(
        &self,
        permit: &Permit,
        change: &OrgChange<'_>,
        _now: Timestamp,
        _event: &Event,
    ) -> Result<OrgUpdate, PortError> {
        let (name, organization_id) = (change.name, change.organization_id);
        let space_key = permit.space_key();
        self.trip();
        let mut s = self.state.borrow_mut();
        if let Some(id) = organization_id {
            match s.org_ids.get(id.as_str()) {
                Some(owner) if owner != space_key.as_str() => return Ok(OrgUpdate::IdTaken),
                _ => {}
            }
            s.org_ids
                .insert(id.as_str().to_owned(), space_key.as_str().to_owned());
        }
        let Some(org) = s.orgs.iter_mut().find(|o| o.space_key == *space_key) else {
            return Ok(OrgUpdate::Missing);
        };
        if let Some(name) = name {
            org.name = name.as_str().to_owned();
        }
        if let Some(id) = organization_id {
            org.organization_id = id.clone();
        }
        if let Some((on, _)) = change.require_two_step {
            // The fakes' accounts never have two-step verification on.
            if on {
                return Ok(OrgUpdate::TwoStepNotEnabled);
            }
            org.require_two_step = false;
        }
        Ok(OrgUpdate::Updated(Box::new(org.clone())))
    }
}

impl Outbox for MemoryStore {
    async fn mail_to(&self, to: &Email, limit: u32) -> Result<Vec<MailRecord>, PortError> {
        self.trip();
        let s = self.state.borrow();
        Ok(s.outbox
            .iter()
            .rev()
            .filter(|(m, _, _)| m.mail.to == *to)
            .take(limit as usize)
            .map(|(m, _, _)| m.clone())
            .collect())
    }

    async fn claim_mail(
        &self,
        _window: (Timestamp, Timestamp),
        _lease: &str,
        (limit, _written_at): (u32, Option<Timestamp>),
    ) -> Result<Vec<ClaimedMail>, PortError> {
        self.trip();
        let s = self.state.borrow();
        Ok(s.outbox
            .iter()
            .filter(|(_, _, done)| !done)
            .take(limit as usize)
            .map(|(m, attempts, _)| ClaimedMail {
                mail: m.clone(),
                attempts: *attempts,
            })
            .collect())
    }

    async fn record_delivery(
        &self,
        (id, _lease): (&str, &str),
        outcome: &Attempted,
        _now: Timestamp,
    ) -> Result<(), PortError> {
        self.trip();
        for (m, attempts, done) in &mut self.state.borrow_mut().outbox {
            if m.mail.id == id {
                *attempts += 1;
                *done = !matches!(outcome, Attempted::Retry(..));
            }
        }
        Ok(())
    }

    async fn failed_mail(&self, _limit: u32) -> Result<Vec<FailedMail>, PortError> {
        self.trip();
        Ok(Vec::new())
    }
}

/// An [`App`] over fresh fakes at `now`.
pub fn app(now: i64) -> App<MemoryStore, NativePbkdf2, CountingRandom> {
    App {
        store: MemoryStore::default(),
        hasher: NativePbkdf2::default(),
        random: CountingRandom::default(),
        now: Timestamp::from_millis(now),
        config: Config {
            base_url: "http://orgpass.test".to_owned(),
        },
        client: None,
    }
}
