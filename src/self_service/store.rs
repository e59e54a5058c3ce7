//! The account's own settings in D1: emailed links, password checks and changes, email
//! changes, the session list, deletion. Each method is one batch.

use orgpass_app::{
    ports::{
        AccountDeletion, AccountOverview, AccountRecord, CredentialCheck, EmailConfirmation, Event,
        LinkAttempt, LinkPurpose, MailTemplate, NewEmailChange, NewLink, NewMail, PortError,
        Release, SelfServiceStore, SessionRecord, TokenUse,
    },
    self_service::TOUCH_EVERY_MINUTES,
};
use orgpass_core::{ratelimit, time::MINUTE_MS, Email, Timestamp, TokenHash};
use serde::Deserialize;
use worker::D1PreparedStatement;

use crate::{
    accounts::store::{live_account, SPENT_ACCOUNT},
    members::store::LAST_ADMIN_ANYWHERE,
    platform::d1::{
        changes, int, millis, opt_text, rows, text, time, AccountRow, D1Store, ACCOUNT_COLUMNS,
    },
};

/// `?2` is the last normal administrator of some organization with single sign-on
/// (deleting it would leave that organization with managed administrators only).
const LAST_NORMAL_ADMIN_ANYWHERE: &str =
    "EXISTS (SELECT 1 FROM memberships x JOIN accounts xa ON xa.id = x.account_id \
       WHERE x.account_id = ?2 AND x.role = 'administrator' AND xa.managed_by IS NULL \
       AND EXISTS (SELECT 1 FROM saml_settings WHERE space_key = x.space_key) \
       AND (SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id \
            WHERE m.space_key = x.space_key AND m.role = 'administrator' AND a.managed_by IS NULL) <= 1)";

impl D1Store {
    /// Queues `mail` only if the account token `token` was stored (by this batch).
    fn outbox_if_token(
        &self,
        mail: &NewMail,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<D1PreparedStatement, PortError> {
        self.stmt(
            "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
             WHERE EXISTS (SELECT 1 FROM account_tokens WHERE token_hash = ?7 AND created_at = ?6)",
            &[
                text(&mail.id),
                text(mail.to.as_str()),
                text(&mail.subject),
                text(&mail.text),
                text(&mail.html),
                time(now),
                text(&token.to_hex()),
            ],
        )
    }
}

/// The live session's account (`?1` token hash, `?2` now) as a subquery of ids.
pub(crate) fn live_ids() -> String {
    format!(
        "(SELECT a.id FROM sessions s JOIN accounts a ON a.id = s.account_id \
          WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 AND {})",
        crate::accounts::store::sso_allows_account_sql()
    )
}

impl SelfServiceStore for D1Store {
    async fn reserve_link(
        &self,
        purpose: LinkPurpose,
        email: &Email,
        ip: &str,
        window: Timestamp,
    ) -> Result<LinkAttempt, PortError> {
        let prefix = purpose.as_str();
        let (reserved, account) = self
            .reserve_and_read(
                &[
                    (
                        &format!("{prefix}:email:{email}"),
                        ratelimit::LINKS_PER_EMAIL,
                    ),
                    (&format!("{prefix}:ip:{ip}"), ratelimit::LINKS_PER_IP),
                ],
                email,
                window,
            )
            .await?;
        let account = account.map(|(a, _)| a);
        Ok(LinkAttempt { account, reserved })
    }

    async fn insert_link(
        &self,
        email: &Email,
        link: &NewLink,
        mail: &NewMail,
        now: Timestamp,
    ) -> Result<(), PortError> {
        self.batch(vec![
            self.stmt(
                "INSERT INTO account_tokens (token_hash, purpose, account_id, created_at, expires_at, browser_hash) \
                 SELECT ?1, ?2, a.id, ?3, ?4, ?5 FROM accounts a \
                 WHERE a.email = ?6 AND a.managed_by IS NULL \
                   AND (?2 <> 'verify_email' OR a.email_verified_at IS NULL)",
                &[
                    text(&link.token.to_hex()),
                    text(link.purpose.as_str()),
                    time(now),
                    time(link.expires_at),
                    opt_text(link.browser.map(|b| b.to_hex()).as_deref()),
                    text(email.as_str()),
                ],
            )?,
            self.outbox_if_token(mail, &link.token, now)?,
        ])
        .await?;
        Ok(())
    }

    async fn read_link(
        &self,
        token: &TokenHash,
        purpose: &str,
        now: Timestamp,
    ) -> Result<TokenUse<()>, PortError> {
        #[derive(Deserialize)]
        struct Row {
            used_at: Option<f64>,
            expires_at: f64,
        }
        let result = self
            .one(self.stmt(
                "SELECT used_at, expires_at FROM account_tokens WHERE token_hash = ?1 AND purpose = ?2",
                &[text(&token.to_hex()), text(purpose)],
            )?)
            .await?;
        Ok(match rows::<Row>(Some(&result))?.into_iter().next() {
            None => TokenUse::Unknown,
            Some(r) if r.used_at.is_some() => TokenUse::AlreadyUsed,
            Some(r) if millis(r.expires_at) <= now => TokenUse::Expired,
            Some(_) => TokenUse::Spent(()),
        })
    }

    async fn write_reset_password(
        &self,
        token: &TokenHash,
        password_record: &str,
        (mail_id, notice): (&str, &MailTemplate),
        (now, event): (Timestamp, &Event),
    ) -> Result<TokenUse<AccountRecord>, PortError> {
        let then = |spent: &crate::accounts::store::Spent| {
            Ok(vec![
                self.owner_events_stmt(event, SPENT_ACCOUNT, ("1", &spent.args(&[])), true)?,
                // Every session ends: whoever knew the old password is out.
                self.ending_sessions(
                    &format!(
                        "UPDATE sessions SET revoked_at = ?2 WHERE revoked_at IS NULL \
                         AND account_id = {SPENT_ACCOUNT}"
                    ),
                    &spent.args(&[]),
                )?,
                // The account's other reset links are spent with this one.
                self.stmt(
                    &format!(
                        "UPDATE account_tokens SET used_at = ?2 WHERE purpose = 'reset_password' \
                         AND used_at IS NULL AND account_id = {SPENT_ACCOUNT}"
                    ),
                    &spent.args(&[]),
                )?,
                self.stmt(
                    &format!(
                        "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
                         SELECT ?4, a.email, ?5, ?6, ?7, ?2 FROM accounts a WHERE a.id = {SPENT_ACCOUNT}"
                    ),
                    &spent.args(&[
                        text(mail_id),
                        text(&notice.subject),
                        text(&notice.text),
                        text(&notice.html),
                    ]),
                )?,
            ])
        };
        self.spend_token(
            token,
            "reset_password",
            now,
            (", password_hash = ?4", &[text(password_record)]),
            then,
        )
        .await
    }

    async fn reserve_credential_check(
        &self,
        session: &TokenHash,
        ip: &str,
        window: Timestamp,
        now: Timestamp,
    ) -> Result<Option<CredentialCheck>, PortError> {
        // The login reservation, with the email key read from the session.
        let reserve = self.reserve_via_stmt(
            (
                &format!(
                    "SELECT 'email:' || a.email FROM accounts a WHERE a.id IN {}",
                    live_ids()
                ),
                ratelimit::PER_ACCOUNT,
            ),
            vec![text(&session.to_hex()), time(now)],
            (&format!("ip:{ip}"), ratelimit::PER_IP),
            window,
        )?;
        let results = self
            .batch(vec![
                self.stmt(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id IN {}",
                        live_ids()
                    ),
                    &[text(&session.to_hex()), time(now)],
                )?,
                reserve,
            ])
            .await?;
        let Some(row) = rows::<AccountRow>(results.first())?.into_iter().next() else {
            return Ok(None);
        };
        let (account, password_record) = row.into_record()?;
        Ok(Some(CredentialCheck {
            account,
            password_record,
            reserved: changes(results.get(1))? > 0,
        }))
    }

    async fn update_own_password(
        &self,
        account_id: &str,
        keep: &TokenHash,
        password_record: &str,
        release: &Release<'_>,
        (notice, event): (&NewMail, &Event),
        now: Timestamp,
    ) -> Result<(), PortError> {
        let mut statements = vec![
            self.stmt(
                "UPDATE accounts SET password_hash = ?2 WHERE id = ?1 AND managed_by IS NULL",
                &[text(account_id), text(password_record)],
            )?,
            self.member_events_stmt(event, (Some(account_id), None), "changes() > 0", &[])?,
            self.ending_sessions(
                "UPDATE sessions SET revoked_at = ?3 WHERE account_id = ?1 AND token_hash <> ?2 \
                 AND revoked_at IS NULL",
                &[text(account_id), text(&keep.to_hex()), time(now)],
            )?,
            self.outbox_insert(notice, now, None)?,
        ];
        statements.extend(self.release_stmts(release.email, release.ip, release.window)?);
        self.batch(statements).await?;
        Ok(())
    }

    async fn insert_email_change(
        &self,
        change: &NewEmailChange<'_>,
        [confirm, notice]: [&NewMail; 2],
        release: &Release<'_>,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let hash = text(&change.token.to_hex());
        let mut statements = vec![
            // An earlier change still waiting is replaced by this one.
            self.stmt(
                "UPDATE account_tokens SET expires_at = ?2 WHERE account_id = ?1 \
                 AND purpose = 'change_email' AND used_at IS NULL AND expires_at > ?2",
                &[text(change.account_id), time(now)],
            )?,
            self.stmt(
                "INSERT INTO account_tokens (token_hash, purpose, account_id, created_at, expires_at, new_email) \
                 SELECT ?1, 'change_email', ?2, ?3, ?4, ?5 \
                 WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE email = ?5)",
                &[
                    hash,
                    text(change.account_id),
                    time(now),
                    time(change.expires_at),
                    text(change.new_email.as_str()),
                ],
            )?,
            self.outbox_if_token(confirm, &change.token, now)?,
            self.outbox_if_token(notice, &change.token, now)?,
        ];
        statements.extend(self.release_stmts(release.email, release.ip, release.window)?);
        let results = self.batch(statements).await?;
        Ok(changes(results.get(1))? == 1)
    }

    async fn confirm_email_change(
        &self,
        token: &TokenHash,
        (now, event): (Timestamp, &Event),
    ) -> Result<EmailConfirmation, PortError> {
        #[derive(Deserialize)]
        struct Row {
            used_at: Option<f64>,
            expires_at: f64,
            taken: f64,
            #[serde(flatten)]
            account: AccountRow,
        }
        let hash = text(&token.to_hex());
        let marker = text(&D1Store::spend_marker()?);
        let results = self
            .batch(vec![
                self.stmt(
                    "UPDATE account_tokens SET used_at = ?2, spent_by = ?3 WHERE token_hash = ?1 \
                     AND purpose = 'change_email' AND used_at IS NULL AND expires_at > ?2 \
                     AND NOT EXISTS (SELECT 1 FROM accounts x WHERE x.email = account_tokens.new_email)",
                    &[hash.clone(), time(now), marker.clone()],
                )?,
                self.stmt(
                    &format!(
                        "UPDATE accounts SET \
                           email = (SELECT new_email FROM account_tokens WHERE token_hash = ?1 AND spent_by = ?3), \
                           email_verified_at = coalesce(email_verified_at, ?2) \
                         WHERE id = {SPENT_ACCOUNT}"
                    ),
                    &[hash.clone(), time(now), marker.clone()],
                )?,
                self.owner_events_stmt(
                    event,
                    SPENT_ACCOUNT,
                    ("1", &[hash.clone(), time(now), marker]),
                    true,
                )?,
                self.stmt(
                    &format!(
                        "SELECT t.used_at, t.expires_at, \
                           EXISTS (SELECT 1 FROM accounts x WHERE x.email = t.new_email AND x.id <> t.account_id) AS taken, \
                           {ACCOUNT_COLUMNS} FROM account_tokens t JOIN accounts a ON a.id = t.account_id \
                         WHERE t.token_hash = ?1 AND t.purpose = 'change_email'"
                    ),
                    &[hash],
                )?,
            ])
            .await?;
        let spent = changes(results.first())? == 1;
        let Some(row) = rows::<Row>(results.get(3))?.into_iter().next() else {
            return Ok(EmailConfirmation::Refused(TokenUse::Unknown));
        };
        Ok(if spent {
            EmailConfirmation::Changed(row.account.into_record()?.0)
        } else if row.used_at.is_some() {
            EmailConfirmation::Refused(TokenUse::AlreadyUsed)
        } else if millis(row.expires_at) <= now {
            EmailConfirmation::Refused(TokenUse::Expired)
        } else if row.taken != 0.0 {
            EmailConfirmation::Taken
        } else {
            // Unspent, unexpired, not taken: the account has the address already.
            EmailConfirmation::Refused(TokenUse::AlreadyUsed)
        })
    }

    async fn account_overview(
        &self,
        session: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<AccountOverview>, PortError> {
        #[derive(Deserialize)]
        struct Row {
            id: Option<String>,
            created_at: f64,
            last_used_at: f64,
            ip: String,
            user_agent: String,
            current: f64,
        }
        let args = [text(&session.to_hex()), time(now)];
        let results = self
            .batch(vec![
                self.live_account_stmt(session, now)?,
                self.stmt(
                    &format!(
                        "SELECT s.id, s.created_at, coalesce(s.last_used_at, s.created_at) AS last_used_at, \
                           coalesce(s.ip, '') AS ip, coalesce(s.user_agent, '') AS user_agent, \
                           s.token_hash = ?1 AS current \
                         FROM sessions s WHERE s.account_id IN {} \
                           AND s.revoked_at IS NULL AND s.expires_at > ?2 \
                         ORDER BY s.created_at DESC, s.id",
                        live_ids()
                    ),
                    &args,
                )?,
                self.memberships_stmt(session, now)?,
            ])
            .await?;
        let Some(account) = live_account(rows(results.first())?)? else {
            return Ok(None);
        };
        let organizations = crate::accounts::store::summaries(results.get(2))?;
        let sessions = rows::<Row>(results.get(1))?
            .into_iter()
            .map(|r| SessionRecord {
                id: r.id.unwrap_or_default(),
                created_at: millis(r.created_at),
                last_used_at: millis(r.last_used_at),
                ip: r.ip,
                user_agent: r.user_agent,
                current: r.current != 0.0,
            })
            .collect();
        Ok(Some(AccountOverview {
            account,
            sessions,
            organizations,
        }))
    }

    async fn end_own_session(
        &self,
        session: &TokenHash,
        session_id: &str,
        now: Timestamp,
    ) -> Result<Option<bool>, PortError> {
        let results = self
            .batch(vec![
                self.live_account_stmt(session, now)?,
                self.ending_sessions(
                    &format!(
                        "UPDATE sessions SET revoked_at = ?2 WHERE id = ?3 AND revoked_at IS NULL \
                         AND expires_at > ?2 AND account_id IN {}",
                        live_ids()
                    ),
                    &[text(&session.to_hex()), time(now), text(session_id)],
                )?,
            ])
            .await?;
        if live_account(rows(results.first())?)?.is_none() {
            return Ok(None);
        }
        Ok(Some(changes(results.get(1))? == 1))
    }

    async fn update_own_name(
        &self,
        session: &TokenHash,
        name: &str,
        now: Timestamp,
    ) -> Result<Option<AccountRecord>, PortError> {
        let results = self
            .batch(vec![
                self.stmt(
                    &format!("UPDATE accounts SET name = ?3 WHERE id IN {}", live_ids()),
                    &[text(&session.to_hex()), time(now), text(name)],
                )?,
                self.live_account_stmt(session, now)?,
            ])
            .await?;
        live_account(rows(results.get(1))?)
    }

    async fn delete_own_account(
        &self,
        account_id: &str,
        now: Timestamp,
        event: &Event,
    ) -> Result<AccountDeletion, PortError> {
        // `?2` is the account (the guards' convention); `?1` repeats it; `?3` is now.
        let args = [text(account_id), text(account_id), time(now)];
        let guard = format!(
            "EXISTS (SELECT 1 FROM accounts WHERE id = ?1 AND managed_by IS NULL) \
             AND NOT ({LAST_ADMIN_ANYWHERE} OR {LAST_NORMAL_ADMIN_ANYWHERE})"
        );
        // Each organization it leaves records so first, while its memberships (and its
        // email, which the event keeps) are there. Its live sessions end next, so that
        // the products holding tokens of them hear of it (the trigger of
        // migrations/0013 queues their Back-Channel Logouts).
        let mut statements = vec![
            self.member_events_stmt(event, (Some(account_id), None), &guard, &args)?,
            self.ending_sessions(
                &format!(
                    "UPDATE sessions SET revoked_at = ?3 \
                 WHERE account_id = ?1 AND revoked_at IS NULL AND {guard}"
                ),
                &args,
            )?,
        ];
        // Every statement sees the same guard (nothing it reads changes before the
        // last one), so all run or none. Everything that refers to the account is
        // deleted by name: D1 counts rows a cascade deletes as changes of the
        // account's DELETE, whose count of one says the deletion happened.
        for table in [
            "group_members",
            "project_members",
            "project_creators",
            "memberships",
            "sessions",
            "account_tokens",
            "recovery_codes",
            "two_step_challenges",
            "oidc_tokens",
            "oidc_codes",
        ] {
            statements.push(self.stmt(
                &format!("DELETE FROM {table} WHERE account_id = ?1 AND {guard}"),
                &args,
            )?);
        }
        statements.push(self.stmt(
            &format!("DELETE FROM accounts WHERE id = ?1 AND {guard}"),
            &args,
        )?);
        statements.push(self.stmt(&format!("SELECT {LAST_NORMAL_ADMIN_ANYWHERE} AS x"), &args)?);
        let last = statements.len() - 1;
        let results = self.batch(statements).await?;
        #[derive(Deserialize)]
        struct Hit {
            x: f64,
        }
        Ok(if changes(results.get(last - 1))? == 1 {
            AccountDeletion::Done
        } else if rows::<Hit>(results.get(last))?
            .first()
            .is_some_and(|h| h.x != 0.0)
        {
            AccountDeletion::LastNormalAdmin
        } else {
            AccountDeletion::LastAdmin
        })
    }

    async fn touch_session(&self, session: &TokenHash, now: Timestamp) -> Result<(), PortError> {
        self.one(self.stmt(
            "UPDATE sessions SET last_used_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL \
             AND (last_used_at IS NULL OR last_used_at <= ?3)",
            &[
                text(&session.to_hex()),
                time(now),
                int(now.millis() - TOUCH_EVERY_MINUTES * MINUTE_MS),
            ],
        )?)
        .await?;
        Ok(())
    }
}
