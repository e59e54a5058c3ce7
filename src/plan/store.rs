//! The add-on's storage in D1: compare-and-set state changes with what they carry,
//! operator lists, webhook bookkeeping, and the Cron's set-based statements (their
//! number does not grow with the number of organizations).

use orgpass_app::ports::{
    AccountRecord, BillingRef, Conversion, Event, ExpiryReport, OrgRecord, PassChange, PassStore,
    PortError, ReminderTemplate, TokenUse,
};
use orgpass_core::{pass::GRACE_DAYS, time::DAY_MS, SpaceKey, Timestamp, TokenHash};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use crate::{
    accounts::store::sso_allows_account_sql,
    organizations::store::{OrgRow, ProductRow, ORG_COLUMNS, PRODUCTS_SQL},
    platform::d1::{
        changes, int, opt_text, rows, text, time, AccountRow, D1Store, ACCOUNT_COLUMNS,
    },
};

fn opt_time(t: Option<Timestamp>) -> JsValue {
    t.map_or(JsValue::NULL, time)
}

/// HTML-escapes an SQL expression (the same five characters as `app::html::escape`).
fn sql_escape(expr: &str) -> String {
    format!(
        "replace(replace(replace(replace(replace({expr}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '\"', '&quot;'), '''', '&#39;')"
    )
}

/// Fills the reminder placeholders from `o` (organization) and `r` (reminder).
fn fill(template_param: &str, escape: bool) -> String {
    let e = |x: &str| if escape { sql_escape(x) } else { x.to_owned() };
    format!(
        "replace(replace(replace({template_param}, '{{name}}', {}), '{{organization}}', {}), '{{date}}', \
         strftime('%Y-%m-%d %H:%M UTC', r.trial_ends_at / 1000, 'unixepoch'))",
        e("o.pass_admin_name"),
        e("o.name"),
    )
}

#[derive(Deserialize)]
struct Seen {
    seen: f64,
}

#[derive(Deserialize)]
struct ConvertRow {
    #[serde(flatten)]
    account: AccountRow,
    org_name: String,
}

/// Rows per multi-row statement in a conversion batch (D1 binds at most 100
/// parameters per statement; the outbox rows take 5 each).
const CONVERSION_CHUNK: usize = 12;

impl PassStore for D1Store {
    async fn change_pass(&self, change: &PassChange<'_>) -> Result<bool, PortError> {
        let key = text(change.space_key.as_str());
        let (status, trial, period, cancel) = change.to.columns();
        let (old_status, old_trial, old_period, old_cancel) = change.from.columns();
        let nonce = text(&change.change_id);
        let app = change.application;
        let billing = change.billing;
        let mut statements = vec![self.stmt(
            "UPDATE organizations SET pass_status = ?2, pass_trial_ends_at = ?3, \
             pass_current_period_end = ?4, pass_cancel_at = ?5, pass_change_id = ?6, \
             pass_admin_name = coalesce(?7, pass_admin_name), pass_admin_email = coalesce(?8, pass_admin_email), \
             pass_company_name = coalesce(?9, pass_company_name), pass_applied_at = coalesce(?10, pass_applied_at), \
             billing_customer_id = coalesce(?11, billing_customer_id), \
             billing_subscription_id = coalesce(?12, billing_subscription_id) \
             WHERE space_key = ?1 AND pass_status = ?13 AND pass_trial_ends_at IS ?14 \
             AND pass_current_period_end IS ?15 AND pass_cancel_at IS ?16",
            &[
                key.clone(),
                text(status),
                opt_time(trial),
                opt_time(period),
                opt_time(cancel),
                nonce.clone(),
                opt_text(app.map(|a| a.admin_name.as_str())),
                opt_text(app.map(|a| a.admin_email.as_str())),
                opt_text(app.map(|a| a.company_name.as_str())),
                opt_time(app.map(|a| a.applied_at)),
                opt_text(billing.and_then(|b| b.customer)),
                opt_text(billing.and_then(|b| b.subscription)),
                text(old_status),
                opt_time(old_trial),
                opt_time(old_period),
                opt_time(old_cancel),
            ],
        )?];
        let ours =
            "EXISTS (SELECT 1 FROM organizations WHERE space_key = ?1 AND pass_change_id = ?2)";
        if let Some(mail) = change.mail {
            statements.push(self.stmt(
                &format!(
                    "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
                     SELECT ?3, ?4, ?5, ?6, ?7, ?8 WHERE {ours}"
                ),
                &[
                    key.clone(),
                    nonce.clone(),
                    text(&mail.id),
                    text(mail.to.as_str()),
                    text(&mail.subject),
                    text(&mail.text),
                    text(&mail.html),
                    time(change.now),
                ],
            )?);
        }
        if let Some(audit) = &change.audit {
            statements.push(self.stmt(
                &format!(
                    "INSERT INTO operator_audit (at, actor, action, space_key, detail) \
                     SELECT ?3, ?4, ?5, ?1, ?6 WHERE {ours}"
                ),
                &[
                    key.clone(),
                    nonce.clone(),
                    time(change.now),
                    text(audit.actor),
                    text(audit.action),
                    text(&audit.detail),
                ],
            )?);
        }
        if let Some(b) = billing {
            statements.push(self.stmt(
                &format!(
                    "INSERT INTO billing_events (event_id, type, space_key, received_at) \
                     SELECT ?3, ?4, ?1, ?5 WHERE {ours}"
                ),
                &[
                    key,
                    nonce,
                    text(b.event_id),
                    text(b.event_type),
                    time(change.now),
                ],
            )?);
        }
        if let Some(event) = &change.event {
            statements.push(self.event_stmt_where(
                change.space_key,
                event,
                ours,
                &[text(change.space_key.as_str()), text(&change.change_id)],
            )?);
        }
        let results = self.batch(statements).await?;
        Ok(changes(results.first())? == 1)
    }

    async fn organization(&self, key: &SpaceKey) -> Result<Option<OrgRecord>, PortError> {
        let k = text(key.as_str());
        let results = self
            .batch(vec![
                self.stmt(
                    &format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.space_key = ?1"),
                    std::slice::from_ref(&k),
                )?,
                self.stmt(PRODUCTS_SQL, &[k])?,
            ])
            .await?;
        match rows::<OrgRow>(results.first())?.into_iter().next() {
            Some(row) => Ok(Some(row.into_record(rows::<ProductRow>(results.get(1))?)?)),
            None => Ok(None),
        }
    }

    async fn applications(&self, status: &str, limit: u32) -> Result<Vec<OrgRecord>, PortError> {
        let result = self
            .one(self.stmt(
                &format!(
                    "SELECT {ORG_COLUMNS} FROM organizations o WHERE o.pass_status = ?1 \
                     ORDER BY o.pass_applied_at, o.space_key LIMIT ?2"
                ),
                &[text(status), int(i64::from(limit))],
            )?)
            .await?;
        rows::<OrgRow>(Some(&result))?
            .into_iter()
            .map(|row| row.into_record(Vec::new()))
            .collect()
    }

    async fn billing_context(
        &self,
        event_id: &str,
        space_key: Option<&str>,
        customer: Option<&str>,
    ) -> Result<(bool, Option<OrgRecord>), PortError> {
        let results = self
            .batch(vec![
                self.stmt(
                    "SELECT count(*) AS seen FROM billing_events WHERE event_id = ?1",
                    &[text(event_id)],
                )?,
                self.stmt(
                    &format!(
                        "SELECT {ORG_COLUMNS} FROM organizations o \
                         WHERE o.space_key = ?1 OR o.billing_customer_id = ?2 \
                         ORDER BY (o.space_key IS ?1) DESC LIMIT 1"
                    ),
                    &[opt_text(space_key), opt_text(customer)],
                )?,
            ])
            .await?;
        let seen = rows::<Seen>(results.first())?
            .first()
            .is_some_and(|s| s.seen > 0.0);
        let org = rows::<OrgRow>(results.get(1))?
            .into_iter()
            .next()
            .map(|row| row.into_record(Vec::new()))
            .transpose()?;
        Ok((seen, org))
    }

    async fn record_billing_event(
        &self,
        event: BillingRef<'_>,
        space_key: Option<&str>,
        now: Timestamp,
    ) -> Result<(), PortError> {
        self.one(self.stmt(
            "INSERT INTO billing_events (event_id, type, space_key, received_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (event_id) DO NOTHING",
            &[text(event.event_id), text(event.event_type), opt_text(space_key), time(now)],
        )?)
        .await?;
        Ok(())
    }

    async fn expire_passes(
        &self,
        now: Timestamp,
        event: &Event,
    ) -> Result<ExpiryReport, PortError> {
        let n = time(now);
        let lapsed_before = int(now.millis() - GRACE_DAYS * DAY_MS);
        // Each expiry's events go first, over the same rows: in the batch's one
        // transaction the update after them ends exactly those.
        let ending = |condition: &str, at: &JsValue| {
            self.events_stmt(
                None,
                event,
                &format!(
                    "SELECT space_key, json_array(json_object('type', 'organization', 'id', space_key)) \
                       AS targets, NULL AS actor_id FROM organizations WHERE {condition}"
                ),
                std::slice::from_ref(at),
            )
        };
        let (trial, canceling, lapsing) = (
            "pass_status = 'trial' AND pass_trial_ends_at <= ?1",
            "pass_status = 'active' AND pass_cancel_at <= ?1",
            "pass_status = 'active' AND pass_current_period_end <= ?1",
        );
        let results = self
            .batch(vec![
                ending(trial, &n)?,
                self.stmt(
                    &format!(
                        "UPDATE organizations SET pass_status = 'expired', pass_trial_ends_at = NULL, \
                         pass_change_id = NULL WHERE {trial}"
                    ),
                    std::slice::from_ref(&n),
                )?,
                ending(canceling, &n)?,
                self.stmt(
                    &format!(
                        "UPDATE organizations SET pass_status = 'canceled', pass_current_period_end = NULL, \
                         pass_cancel_at = NULL, pass_change_id = NULL WHERE {canceling}"
                    ),
                    std::slice::from_ref(&n),
                )?,
                ending(lapsing, &lapsed_before)?,
                self.stmt(
                    &format!(
                        "UPDATE organizations SET pass_status = 'expired', pass_current_period_end = NULL, \
                         pass_cancel_at = NULL, pass_change_id = NULL WHERE {lapsing}"
                    ),
                    std::slice::from_ref(&lapsed_before),
                )?,
                self.ending_sessions(
                    &format!(
                        "UPDATE sessions SET revoked_at = ?2 WHERE revoked_at IS NULL AND account_id IN \
                         (SELECT a.id FROM accounts a WHERE a.managed_by IS NOT NULL AND NOT {})",
                        sso_allows_account_sql()
                    ),
                    &[JsValue::NULL, n],
                )?,
            ])
            .await?;
        let count = |i: usize| changes(results.get(i)).map(|c| c as u64);
        Ok(ExpiryReport {
            trials_expired: count(1)?,
            canceled: count(3)?,
            lapsed: count(5)?,
            sessions_ended: count(6)?,
        })
    }

    async fn send_trial_reminders(
        &self,
        now: Timestamp,
        run_id: &str,
        templates: &[ReminderTemplate],
    ) -> Result<u64, PortError> {
        let mut statements = Vec::new();
        for t in templates {
            statements.push(self.stmt(
                "INSERT INTO pass_reminders (space_key, kind, trial_ends_at, sent_at, run_id) \
                 SELECT space_key, ?2, pass_trial_ends_at, ?1, ?3 FROM organizations \
                 WHERE pass_status = 'trial' AND pass_admin_email IS NOT NULL \
                 AND pass_trial_ends_at > ?1 + ?4 AND pass_trial_ends_at <= ?1 + ?5 \
                 ON CONFLICT (space_key, kind, trial_ends_at) DO NOTHING",
                &[
                    time(now),
                    text(t.kind),
                    text(run_id),
                    int(t.after_ms),
                    int(t.up_to_ms),
                ],
            )?);
            statements.push(self.stmt(
                &format!(
                    "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
                     SELECT 'mail_' || lower(hex(randomblob(16))), o.pass_admin_email, ?4, {}, {}, ?1 \
                     FROM pass_reminders r JOIN organizations o ON o.space_key = r.space_key \
                     WHERE r.run_id = ?3 AND r.kind = ?2",
                    fill("?5", false),
                    fill("?6", true),
                ),
                &[time(now), text(t.kind), text(run_id), text(&t.subject), text(&t.text), text(&t.html)],
            )?);
        }
        let results = self.batch(statements).await?;
        let mut sent = 0u64;
        for (i, r) in results.iter().enumerate() {
            if i % 2 == 1 {
                sent += changes(Some(r))? as u64;
            }
        }
        Ok(sent)
    }

    async fn managed_accounts_to_convert(
        &self,
        limit: u32,
    ) -> Result<Vec<(AccountRecord, String)>, PortError> {
        let result = self
            .one(self.stmt(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS}, o.name AS org_name FROM accounts a \
                     JOIN organizations o ON o.space_key = a.managed_by \
                     WHERE o.pass_status = 'canceled' ORDER BY a.created_at LIMIT ?1"
                ),
                &[int(i64::from(limit))],
            )?)
            .await?;
        rows::<ConvertRow>(Some(&result))?
            .into_iter()
            .map(|r| Ok((r.account.into_record()?.0, r.org_name)))
            .collect()
    }

    async fn convert_managed_accounts(
        &self,
        conversions: &[Conversion],
        now: Timestamp,
    ) -> Result<u64, PortError> {
        let mut statements = Vec::new();
        // Explicit `?N` numbering throughout: SQLite numbers a bare `?` after the
        // largest number seen so far, so mixing the two styles miscounts.
        let values = |rows: usize, width: usize| -> String {
            (0..rows)
                .map(|r| {
                    let cols: Vec<String> =
                        (1..=width).map(|c| format!("?{}", r * width + c)).collect();
                    format!("({})", cols.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        for chunk in conversions.chunks(CONVERSION_CHUNK) {
            let rows3 = values(chunk.len(), 3);
            let rows5 = values(chunk.len(), 5);
            let ids = values(chunk.len(), 1);
            let mut token_args = Vec::new();
            let mut mail_args = Vec::new();
            let mut id_args = Vec::new();
            for c in chunk {
                token_args.extend([
                    text(&c.token.to_hex()),
                    text(&c.account_id),
                    time(c.expires_at),
                ]);
                mail_args.extend([
                    text(&c.mail.id),
                    text(c.mail.to.as_str()),
                    text(&c.mail.subject),
                    text(&c.mail.text),
                    text(&c.mail.html),
                ]);
                id_args.push(text(&c.account_id));
            }
            // `now` is the last parameter.
            token_args.push(time(now));
            mail_args.push(time(now));
            let n_tokens = token_args.len();
            let n_mail = mail_args.len();
            // Tokens and mail first, guarded on the account still being managed, then
            // the conversion itself: a concurrent run converts (and mails) once.
            statements.push(self.stmt(
                &format!(
                    "INSERT INTO account_tokens (token_hash, purpose, account_id, created_at, expires_at) \
                     SELECT v.column1, 'set_password', v.column2, ?{n_tokens}, v.column3 FROM (VALUES {rows3}) v \
                     WHERE EXISTS (SELECT 1 FROM accounts WHERE id = v.column2 AND managed_by IS NOT NULL)"
                ),
                &token_args,
            )?);
            statements.push(self.stmt(
                &format!(
                    "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
                     SELECT v.column1, v.column2, v.column3, v.column4, v.column5, ?{n_mail} FROM (VALUES {rows5}) v \
                     WHERE EXISTS (SELECT 1 FROM accounts WHERE email = v.column2 AND managed_by IS NOT NULL)"
                ),
                &mail_args,
            )?);
            statements.push(self.stmt(
                &format!(
                    "UPDATE accounts SET managed_by = NULL WHERE managed_by IS NOT NULL \
                     AND id IN (SELECT column1 FROM (VALUES {ids}))"
                ),
                &id_args,
            )?);
        }
        let results = self.batch(statements).await?;
        let mut converted = 0u64;
        for (i, r) in results.iter().enumerate() {
            if i % 3 == 2 {
                converted += changes(Some(r))? as u64;
            }
        }
        Ok(converted)
    }

    async fn write_password(
        &self,
        token: &TokenHash,
        password_record: &str,
        now: Timestamp,
    ) -> Result<TokenUse<AccountRecord>, PortError> {
        self.spend_token(
            token,
            "set_password",
            now,
            (", password_hash = ?4", &[text(password_record)]),
            |_| Ok(vec![]),
        )
        .await
    }
}
