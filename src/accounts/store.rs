//! Accounts, sessions, account tokens and login failure counters in D1.

use orgpass_app::ports::{
    AccountRecord, AccountStore, Event, LoginAttempt, MembershipSummary, NewChallenge, NewMail,
    NewSession, NewVerification, PendingVerification, PortError, TokenUse,
};
use orgpass_core::{ratelimit, Email, Membership, Role, Timestamp, TokenHash};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use crate::platform::d1::{
    changes, int, rows, text, time, total_changes, AccountRow, D1Store, ACCOUNT_COLUMNS,
};

/// Spent and expired account tokens are kept this long, so that a late click on a
/// link says "already used" or "expired" rather than "unknown".
const KEEP_SPENT_TOKENS_MS: i64 = 7 * orgpass_core::time::DAY_MS;

/// The condition that the organization `key` (an SQL expression) allows single sign-on
/// at `now` (an SQL parameter): the SQL form of `Pass::sso_allowed`, evaluated per
/// request from the stored end times so an expiry takes effect on time whatever the
/// Cron does.
pub(crate) fn sso_allowed_sql(key: &str, now: &str) -> String {
    let grace = orgpass_core::pass::GRACE_DAYS * orgpass_core::time::DAY_MS;
    format!(
        "EXISTS (SELECT 1 FROM organizations p WHERE p.space_key = {key} \
           AND ((p.pass_status = 'trial' AND p.pass_trial_ends_at > {now}) \
             OR (p.pass_status = 'active' AND (p.pass_cancel_at IS NULL OR p.pass_cancel_at > {now}) \
                 AND p.pass_current_period_end + {grace} > {now})))"
    )
}

/// The condition, over `a` (accounts) and `?2` (now), that a managed account's
/// organization allows single sign-on at that time.
pub(crate) fn sso_allows_account_sql() -> String {
    format!(
        "(a.managed_by IS NULL OR {})",
        sso_allowed_sql("a.managed_by", "?2")
    )
}

/// The live session's account, joined; `?1` token hash, `?2` now. A managed account's
/// session lives only while its organization's add-on allows single sign-on.
fn live_account_sql() -> String {
    format!(
        "SELECT {ACCOUNT_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 AND {}",
        sso_allows_account_sql()
    )
}

pub(crate) fn live_account(rows_of: Vec<AccountRow>) -> Result<Option<AccountRecord>, PortError> {
    rows_of
        .into_iter()
        .next()
        .map(|row| row.into_record().map(|(a, _)| a))
        .transpose()
}

/// The rows of [`D1Store::memberships_stmt`].
pub(crate) fn summaries(
    result: Option<&worker::D1Result>,
) -> Result<Vec<MembershipSummary>, PortError> {
    rows::<SummaryRow>(result)?
        .into_iter()
        .map(|r| {
            Ok(MembershipSummary {
                membership: membership(&r.role, r.can_invite)?,
                space_key: r.space_key,
                organization_id: r.organization_id,
                name: r.name,
            })
        })
        .collect()
}

impl D1Store {
    /// The memberships of the live session's account, by organization name.
    pub(crate) fn memberships_stmt(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<worker::D1PreparedStatement, PortError> {
        self.stmt(
            "SELECT o.space_key, o.organization_id, o.name, m.role, m.can_invite \
             FROM sessions s JOIN memberships m ON m.account_id = s.account_id \
             JOIN organizations o ON o.space_key = m.space_key \
             WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 \
             ORDER BY o.name COLLATE NOCASE, o.space_key",
            &[text(&token.to_hex()), time(now)],
        )
    }

    pub(crate) fn live_account_stmt(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<worker::D1PreparedStatement, PortError> {
        self.stmt(&live_account_sql(), &[text(&token.to_hex()), time(now)])
    }
}

/// The parameters that name one spend of a token, for the statements that follow it
/// in the spending batch: `?1` the token's hash, `?2` now, `?3` the spend's marker.
pub(crate) struct Spent {
    pub hash: JsValue,
    pub now: JsValue,
    pub marker: JsValue,
}

impl Spent {
    /// `?1`–`?3` followed by `more`.
    pub(crate) fn args(&self, more: &[JsValue]) -> Vec<JsValue> {
        let mut args = vec![self.hash.clone(), self.now.clone(), self.marker.clone()];
        args.extend_from_slice(more);
        args
    }
}

/// The SQL condition, over `?1` and `?3` of [`Spent`], that picks the spent token's
/// account id.
pub(crate) const SPENT_ACCOUNT: &str =
    "(SELECT account_id FROM account_tokens WHERE token_hash = ?1 AND spent_by = ?3)";

#[derive(Deserialize)]
struct TokenRow {
    used_at: Option<f64>,
    #[serde(flatten)]
    account: AccountRow,
}

#[derive(Deserialize)]
struct SummaryRow {
    space_key: String,
    organization_id: String,
    name: String,
    role: String,
    can_invite: f64,
}

pub(crate) fn membership(role: &str, can_invite: f64) -> Result<Membership, PortError> {
    Ok(Membership {
        role: Role::parse(role).map_err(|_| PortError(format!("d1: unknown role {role}")))?,
        can_invite: can_invite != 0.0,
    })
}

fn email_key(email: &Email) -> String {
    format!("email:{email}")
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

impl D1Store {
    /// One conditional upsert that counts an attempt against every `(key, limit)` in
    /// the window starting at `window` only while each counter is below its limit
    /// (all or none): the reservation [`orgpass_core::ratelimit`] describes. Its row
    /// count is 0 when the attempt is refused. All or none holds because SQLite computes
    /// an `INSERT … SELECT` that reads its own target table completely before the first
    /// row is written (the e2e test of 40 parallel guesses pins the count).
    pub(crate) fn reserve_stmt(
        &self,
        limits: &[(&str, i64)],
        window: Timestamp,
    ) -> Result<worker::D1PreparedStatement, PortError> {
        let list: Vec<serde_json::Value> = limits
            .iter()
            .map(|(key, limit)| serde_json::json!({"k": key, "n": limit}))
            .collect();
        let list = serde_json::to_string(&list).map_err(|e| PortError(format!("json: {e}")))?;
        self.stmt(
            "INSERT INTO login_failures (key, window_start, count) \
             SELECT json_extract(j.value, '$.k'), ?2, 1 FROM json_each(?1) j \
             WHERE NOT EXISTS (SELECT 1 FROM json_each(?1) l JOIN login_failures f \
               ON f.key = json_extract(l.value, '$.k') AND f.window_start = ?2 \
               WHERE f.count >= json_extract(l.value, '$.n')) \
             ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1",
            &[text(&list), time(window)],
        )
    }

    /// A fresh random marker for one spend of a token (`account_tokens.spent_by`): the
    /// statements after the spend act only where their own batch spent it.
    pub(crate) fn spend_marker() -> Result<String, PortError> {
        let mut bytes = [0u8; 16];
        orgpass_app::ports::Random::fill(&crate::platform::crypto::PlatformRandom, &mut bytes)?;
        Ok(hex::encode(bytes))
    }

    /// One batch: the reservation of `limits` ([`Self::reserve_stmt`]) and the account
    /// of `email` with its password record. Whether it was reserved, and the account.
    pub(crate) async fn reserve_and_read(
        &self,
        limits: &[(&str, i64)],
        email: &Email,
        window: Timestamp,
    ) -> Result<(bool, Option<(AccountRecord, Option<String>)>), PortError> {
        let results = self
            .batch(vec![
                self.reserve_stmt(limits, window)?,
                self.stmt(
                    &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email = ?1"),
                    &[text(email.as_str())],
                )?,
            ])
            .await?;
        let account = rows::<AccountRow>(results.get(1))?
            .into_iter()
            .next()
            .map(AccountRow::into_record)
            .transpose()?;
        Ok((changes(results.first())? > 0, account))
    }

    /// Gives a login reservation back once the password it guarded was right: the
    /// email's counter of the window is cleared and the IP's place returned.
    pub(crate) fn release_stmts(
        &self,
        email: &Email,
        ip: &str,
        window: Timestamp,
    ) -> Result<[worker::D1PreparedStatement; 2], PortError> {
        Ok([
            self.stmt(
                "DELETE FROM login_failures WHERE key = ?1 AND window_start = ?2",
                &[text(&email_key(email)), time(window)],
            )?,
            self.stmt(
                "UPDATE login_failures SET count = count - 1 WHERE key = ?1 AND window_start = ?2 AND count > 0",
                &[text(&ip_key(ip)), time(window)],
            )?,
        ])
    }

    /// The reservation of [`Self::reserve_stmt`] for two keys when the first is only
    /// known inside the database: `first` is a scalar subquery yielding it (over the
    /// parameters `args`, `NULL` when there is nothing to count for), `second` the
    /// other key. Both keys are counted, or neither (none when `first` is `NULL`).
    pub(crate) fn reserve_via_stmt(
        &self,
        (first, first_limit): (&str, i64),
        mut args: Vec<JsValue>,
        (second, second_limit): (&str, i64),
        window: Timestamp,
    ) -> Result<worker::D1PreparedStatement, PortError> {
        let k = args.len();
        let (n1, key2, n2, w) = (k + 1, k + 2, k + 3, k + 4);
        args.extend([
            int(first_limit),
            text(second),
            int(second_limit),
            time(window),
        ]);
        self.stmt(
            &format!(
                "WITH k (key, n) AS ( \
                   SELECT ({first}), ?{n1} WHERE ({first}) IS NOT NULL \
                   UNION ALL SELECT ?{key2}, ?{n2} WHERE ({first}) IS NOT NULL) \
                 INSERT INTO login_failures (key, window_start, count) \
                 SELECT key, ?{w}, 1 FROM k WHERE (SELECT count(*) FROM k) = 2 \
                   AND NOT EXISTS (SELECT 1 FROM k l JOIN login_failures f \
                     ON f.key = l.key AND f.window_start = ?{w} WHERE f.count >= l.n) \
                 ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1"
            ),
            &args,
        )
    }

    /// Spends a single-use account token of `purpose` and applies `set` (extra
    /// `accounts` assignments, parameters from `?4` on) to its account, which also
    /// becomes email-verified (the link reached the address); then runs `then`, built
    /// by [`Spent`] from the spend's own condition. One batch; exactly one of
    /// concurrent callers gets [`TokenUse::Spent`].
    pub(crate) async fn spend_token(
        &self,
        token: &TokenHash,
        purpose: &str,
        now: Timestamp,
        (set, set_args): (&str, &[JsValue]),
        then: impl FnOnce(&Spent) -> Result<Vec<worker::D1PreparedStatement>, PortError>,
    ) -> Result<TokenUse<AccountRecord>, PortError> {
        let hash = text(&token.to_hex());
        let marker = text(&Self::spend_marker()?);
        let purpose = text(purpose);
        let mut update_args = vec![hash.clone(), time(now), marker.clone()];
        update_args.extend_from_slice(set_args);
        let spent = Spent {
            hash: hash.clone(),
            now: time(now),
            marker: marker.clone(),
        };
        let mut statements = vec![
            self.stmt(
                "UPDATE account_tokens SET used_at = ?2, spent_by = ?3 WHERE token_hash = ?1 \
                 AND purpose = ?4 AND used_at IS NULL AND expires_at > ?2",
                &[hash.clone(), time(now), marker, purpose.clone()],
            )?,
            self.stmt(
                &format!(
                    "UPDATE accounts SET email_verified_at = coalesce(email_verified_at, ?2){set} \
                     WHERE id = (SELECT account_id FROM account_tokens \
                                 WHERE token_hash = ?1 AND spent_by = ?3)"
                ),
                &update_args,
            )?,
        ];
        statements.extend(then(&spent)?);
        statements.push(self.stmt(
            &format!(
                "SELECT t.used_at, {ACCOUNT_COLUMNS} FROM account_tokens t \
                 JOIN accounts a ON a.id = t.account_id \
                 WHERE t.token_hash = ?1 AND t.purpose = ?2"
            ),
            &[hash, purpose],
        )?);
        let last = statements.len() - 1;
        let results = self.batch(statements).await?;
        let spent = changes(results.first())? == 1;
        let Some(row) = rows::<TokenRow>(results.get(last))?.into_iter().next() else {
            return Ok(TokenUse::Unknown);
        };
        let used = row.used_at.is_some();
        let (account, _) = row.account.into_record()?;
        Ok(match (spent, used) {
            (true, _) => TokenUse::Spent(account),
            (false, true) => TokenUse::AlreadyUsed,
            (false, false) => TokenUse::Expired,
        })
    }
}

/// The most expired audit events one scheduled run deletes.
const AUDIT_PURGED_PER_RUN: i64 = 5000;

impl AccountStore for D1Store {
    async fn create_account(
        &self,
        account: &AccountRecord,
        password_record: &str,
        verification: &NewVerification,
        mail: &NewMail,
    ) -> Result<bool, PortError> {
        let results = self
            .batch(vec![
                self.stmt(
                    "INSERT INTO accounts (id, email, name, password_hash, created_at) \
                     SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE email = ?2)",
                    &[
                        text(&account.id),
                        text(account.email.as_str()),
                        text(&account.name),
                        text(password_record),
                        time(account.created_at),
                    ],
                )?,
                self.stmt(
                    "INSERT INTO account_tokens (token_hash, purpose, account_id, created_at, expires_at, browser_hash) \
                     SELECT ?1, 'verify_email', ?2, ?3, ?4, ?5 \
                     WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?2 AND created_at = ?3)",
                    &[
                        text(&verification.token.to_hex()),
                        text(&account.id),
                        time(account.created_at),
                        time(verification.expires_at),
                        crate::platform::d1::opt_text(verification.browser.map(|b| b.to_hex()).as_deref()),
                    ],
                )?,
                self.outbox_insert(mail, account.created_at, Some(&account.id))?,
            ])
            .await?;
        Ok(changes(results.first())? == 1)
    }

    async fn pending_verification(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<TokenUse<PendingVerification>, PortError> {
        #[derive(Deserialize)]
        struct Row {
            used_at: Option<f64>,
            expires_at: f64,
            browser_hash: Option<String>,
            #[serde(flatten)]
            account: AccountRow,
        }
        let result = self
            .one(self.stmt(
                &format!(
                    "SELECT t.used_at, t.expires_at, t.browser_hash, {ACCOUNT_COLUMNS} FROM account_tokens t \
                     JOIN accounts a ON a.id = t.account_id \
                     WHERE t.token_hash = ?1 AND t.purpose = 'verify_email'"
                ),
                &[text(&token.to_hex())],
            )?)
            .await?;
        let Some(row) = rows::<Row>(Some(&result))?.into_iter().next() else {
            return Ok(TokenUse::Unknown);
        };
        if row.used_at.is_some() {
            return Ok(TokenUse::AlreadyUsed);
        }
        if crate::platform::d1::millis(row.expires_at) <= now {
            return Ok(TokenUse::Expired);
        }
        let browser = row.browser_hash.as_deref().and_then(TokenHash::from_hex);
        let (account, password_record) = row.account.into_record()?;
        Ok(TokenUse::Spent(PendingVerification {
            account,
            password_record,
            browser,
        }))
    }

    async fn consume_verification(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<TokenUse<AccountRecord>, PortError> {
        self.spend_token(token, "verify_email", now, ("", &[]), |_| Ok(vec![]))
            .await
    }

    async fn reserve_login(
        &self,
        email: &Email,
        ip: &str,
        window: Timestamp,
    ) -> Result<LoginAttempt, PortError> {
        let (reserved, account) = self
            .reserve_and_read(
                &[
                    (&email_key(email), ratelimit::PER_ACCOUNT),
                    (&ip_key(ip), ratelimit::PER_IP),
                ],
                email,
                window,
            )
            .await?;
        Ok(LoginAttempt { account, reserved })
    }

    async fn create_session(
        &self,
        session: &NewSession,
        email: &Email,
        ip: &str,
        window: Timestamp,
        event: &Event,
    ) -> Result<(), PortError> {
        let [release_email, release_ip] = self.release_stmts(email, ip, window)?;
        self.batch(vec![
            self.stmt(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, id, ip, user_agent, last_used_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?3)",
                &[
                    text(&session.token_hash.to_hex()),
                    text(&session.account_id),
                    time(session.created_at),
                    time(session.expires_at),
                    text(&session.id),
                    text(&session.client.ip),
                    text(&session.client.user_agent),
                ],
            )?,
            self.member_events_stmt(
                event,
                (Some(&session.account_id), None),
                "EXISTS (SELECT 1 FROM sessions WHERE token_hash = ?1)",
                &[text(&session.token_hash.to_hex())],
            )?,
            release_email,
            release_ip,
        ])
        .await?;
        Ok(())
    }

    async fn record_account_event(
        &self,
        (id, email): (Option<&str>, Option<&Email>),
        event: &Event,
    ) -> Result<(), PortError> {
        self.one(self.member_events_stmt(event, (id, email.map(Email::as_str)), "1", &[])?)
            .await?;
        Ok(())
    }

    async fn insert_challenge(
        &self,
        challenge: &NewChallenge<'_>,
        email: &Email,
        ip: &str,
        window: Timestamp,
    ) -> Result<(), PortError> {
        let [release_email, release_ip] = self.release_stmts(email, ip, window)?;
        self.batch(vec![
            self.stmt(
                "INSERT INTO two_step_challenges (token_hash, account_id, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                &[
                    text(&challenge.token.to_hex()),
                    text(challenge.account_id),
                    time(challenge.created_at),
                    time(challenge.expires_at),
                ],
            )?,
            release_email,
            release_ip,
        ])
        .await?;
        Ok(())
    }

    async fn revoke_session(&self, token: &TokenHash, now: Timestamp) -> Result<(), PortError> {
        self.one(self.ending_sessions(
            "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
            &[text(&token.to_hex()), time(now)],
        )?)
        .await?;
        Ok(())
    }

    async fn session_with_orgs(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<(AccountRecord, Vec<MembershipSummary>)>, PortError> {
        let results = self
            .batch(vec![
                self.live_account_stmt(token, now)?,
                self.memberships_stmt(token, now)?,
            ])
            .await?;
        let Some(account) = live_account(rows(results.first())?)? else {
            return Ok(None);
        };
        Ok(Some((account, summaries(results.get(1))?)))
    }

    async fn delete_expired(&self, now: Timestamp) -> Result<u64, PortError> {
        let results = self
            .batch(vec![
                self.stmt(
                    "DELETE FROM sessions WHERE expires_at <= ?1 OR revoked_at IS NOT NULL",
                    &[time(now)],
                )?,
                self.stmt(
                    "DELETE FROM account_tokens WHERE expires_at <= ?1 OR used_at <= ?1",
                    &[int(now.millis() - KEEP_SPENT_TOKENS_MS)],
                )?,
                self.stmt(
                    "DELETE FROM two_step_challenges WHERE expires_at <= ?1",
                    &[time(now)],
                )?,
                // Spent codes stay a day, so that a replay still ends its family.
                self.stmt(
                    "DELETE FROM oidc_codes WHERE expires_at <= ?1",
                    &[time(now.plus_days(-1))],
                )?,
                self.stmt(
                    "DELETE FROM oidc_tokens WHERE expires_at <= ?1",
                    &[time(now)],
                )?,
                // Back-Channel Logouts stay a week after delivery (or after their first
                // attempt, when every attempt failed: the last is about a day later).
                self.stmt(
                    "DELETE FROM oidc_logouts WHERE created_at <= ?1",
                    &[time(now.plus_days(-7))],
                )?,
                self.stmt(
                    "DELETE FROM login_failures WHERE window_start < ?1",
                    &[int(orgpass_core::ratelimit::window_start(now).millis())],
                )?,
                self.stmt(
                    "DELETE FROM accounts WHERE email_verified_at IS NULL AND managed_by IS NULL \
                     AND created_at <= ?1 \
                     AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = accounts.id)",
                    &[time(now.plus_days(-orgpass_app::accounts::UNVERIFIED_DAYS))],
                )?,
                // Audit events past their 13 months, oldest first and at most a bounded
                // number a run (whatever the number of organizations): a backlog goes
                // over the next runs.
                self.stmt(
                    "DELETE FROM audit_events WHERE seq IN (SELECT seq FROM audit_events \
                     WHERE occurred_at <= ?1 ORDER BY seq LIMIT ?2)",
                    &[
                        time(now.plus_days(-orgpass_core::audit::RETENTION_DAYS)),
                        int(AUDIT_PURGED_PER_RUN),
                    ],
                )?,
            ])
            .await?;
        total_changes(&results)
    }
}
