//! Domains in D1.

use orgpass_app::ports::{
    DomainRecord, DomainStore, Event, MailTemplate, MemberContext, PortError,
};
use orgpass_core::{
    policy::Permit,
    verification::{Columns, DomainName, DomainState},
    SpaceKey, Timestamp, TokenHash,
};
use serde::Deserialize;

use crate::{
    organizations::store::{context_from, CONTEXT_STATEMENTS},
    platform::d1::{changes, int, millis, rows, text, time, D1Store},
};

const COLUMNS: &str = "id, space_key, name, txt_value, status, since, checks, next_check, \
     verified_at, misses, failed_at, last_checked_at, last_found, created_at";

#[derive(Deserialize)]
struct Row {
    id: String,
    space_key: String,
    name: String,
    txt_value: String,
    status: String,
    since: Option<f64>,
    checks: f64,
    next_check: Option<f64>,
    verified_at: Option<f64>,
    misses: f64,
    failed_at: Option<f64>,
    last_checked_at: Option<f64>,
    last_found: String,
    created_at: f64,
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn count(n: f64) -> u32 {
    n.max(0.0) as u32
}

impl Row {
    fn into_record(self) -> Result<DomainRecord, PortError> {
        let bad = |what: &str| {
            PortError(format!(
                "d1: stored {what} of domain {} is invalid",
                self.id
            ))
        };
        let status = match self.status.as_str() {
            "pending" => "pending",
            "verified" => "verified",
            "failed" => "failed",
            _ => return Err(bad("status")),
        };
        let state = DomainState::from_columns(&Columns {
            status,
            since: self.since.map(millis),
            checks: count(self.checks),
            next_check: self.next_check.map(millis),
            verified_at: self.verified_at.map(millis),
            misses: count(self.misses),
            failed_at: self.failed_at.map(millis),
        })
        .ok_or_else(|| bad("state"))?;
        Ok(DomainRecord {
            space_key: SpaceKey::parse(&self.space_key).ok_or_else(|| bad("space key"))?,
            name: DomainName::parse(&self.name).map_err(|_| bad("name"))?,
            txt_value: self.txt_value,
            state,
            last_checked_at: self.last_checked_at.map(millis),
            last_found: serde_json::from_str(&self.last_found).map_err(|_| bad("findings"))?,
            created_at: millis(self.created_at),
            id: self.id,
        })
    }
}

fn opt_time(t: Option<Timestamp>) -> worker::wasm_bindgen::JsValue {
    t.map_or(worker::wasm_bindgen::JsValue::NULL, time)
}

impl D1Store {
    /// The organization's domains, by name.
    fn domains_stmt(&self, space_key: &SpaceKey) -> Result<worker::D1PreparedStatement, PortError> {
        self.stmt(
            &format!("SELECT {COLUMNS} FROM domains WHERE space_key = ?1 ORDER BY name"),
            &[text(space_key.as_str())],
        )
    }
}

/// Reads a [`D1Store::domains_stmt`] result.
fn domains_from(result: Option<&worker::D1Result>) -> Result<Vec<DomainRecord>, PortError> {
    rows::<Row>(result)?
        .into_iter()
        .map(Row::into_record)
        .collect()
}

impl DomainStore for D1Store {
    async fn insert_domain(
        &self,
        permit: &Permit,
        d: &DomainRecord,
        event: &orgpass_app::ports::Event,
    ) -> Result<bool, PortError> {
        let c = d.state.columns();
        let results = self
            .batch_recording(
                vec![self.stmt(
                "INSERT INTO domains (id, space_key, name, txt_value, status, since, checks, next_check, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (space_key, name) DO NOTHING",
                &[
                    text(&d.id),
                    text(permit.space_key().as_str()),
                    text(d.name.as_str()),
                    text(&d.txt_value),
                    text(c.status),
                    opt_time(c.since),
                    int(i64::from(c.checks)),
                    opt_time(c.next_check),
                    time(d.created_at),
                ],
            )?],
                0,
                event,
                permit.space_key(),
            )
            .await?;
        Ok(changes(results.first())? == 1)
    }

    async fn domains_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<(MemberContext, Vec<DomainRecord>)>, PortError> {
        let mut statements = self.context_statements(token, now, space_key)?;
        statements.push(self.domains_stmt(space_key)?);
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        Ok(Some((
            context,
            domains_from(results.get(CONTEXT_STATEMENTS))?,
        )))
    }

    async fn record_check(
        &self,
        d: &DomainRecord,
        to: DomainState,
        found: &[String],
        notify: Option<&MailTemplate>,
        now: Timestamp,
        event: Option<&Event>,
    ) -> Result<bool, PortError> {
        let (old, new) = (d.state.columns(), to.columns());
        let found = serde_json::to_string(found).map_err(|e| PortError(format!("json: {e}")))?;
        let mut statements = vec![self.stmt(
            "UPDATE domains SET status = ?2, since = ?3, checks = ?4, next_check = ?5, verified_at = ?6, \
             misses = ?7, failed_at = ?8, last_checked_at = ?9, last_found = ?10 \
             WHERE id = ?1 AND status = ?11 AND next_check IS ?12 AND checks = ?13 AND misses = ?14",
            &[
                text(&d.id),
                text(new.status),
                opt_time(new.since),
                int(i64::from(new.checks)),
                opt_time(new.next_check),
                opt_time(new.verified_at),
                int(i64::from(new.misses)),
                opt_time(new.failed_at),
                time(now),
                text(&found),
                text(old.status),
                opt_time(old.next_check),
                int(i64::from(old.checks)),
                int(i64::from(old.misses)),
            ],
        )?];
        if let Some(mail) = notify {
            // One message per administrator, only if this check's update happened (the
            // domain now carries this check's time and state).
            statements.push(self.stmt(
                "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
                 SELECT 'mail_' || lower(hex(randomblob(16))), a.email, ?3, ?4, ?5, ?6 \
                 FROM memberships m JOIN accounts a ON a.id = m.account_id \
                 WHERE m.space_key = ?1 AND m.role = 'administrator' AND EXISTS \
                 (SELECT 1 FROM domains WHERE id = ?2 AND last_checked_at = ?6 AND status = ?7)",
                &[
                    text(d.space_key.as_str()),
                    text(&d.id),
                    text(&mail.subject),
                    text(&mail.text),
                    text(&mail.html),
                    time(now),
                    text(new.status),
                ],
            )?);
        }
        let results = match event {
            Some(event) => {
                self.batch_recording(statements, 0, event, &d.space_key)
                    .await?
            }
            None => self.batch(statements).await?,
        };
        Ok(changes(results.first())? == 1)
    }

    async fn delete_domain(
        &self,
        permit: &Permit,
        id: &str,
        event: &orgpass_app::ports::Event,
    ) -> Result<bool, PortError> {
        let space_key = permit.space_key();
        let args = [text(space_key.as_str()), text(id)];
        let ours = "space_key = ?1 AND id = ?2";
        // The event goes first, guarded as the deletion is, so that it names the domain.
        let results = self
            .batch(vec![
                self.event_stmt_where(
                    space_key,
                    event,
                    &format!("EXISTS (SELECT 1 FROM domains WHERE {ours})"),
                    &args,
                )?,
                self.stmt(&format!("DELETE FROM domains WHERE {ours}"), &args)?,
            ])
            .await?;
        let results = results.get(1..).unwrap_or_default();
        Ok(changes(results.first())? == 1)
    }

    async fn due_domains(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<DomainRecord>, PortError> {
        let result = self
            .one(self.stmt(
                &format!(
                    "SELECT {COLUMNS} FROM domains WHERE status IN ('pending', 'verified') AND next_check <= ?1 \
                     ORDER BY next_check LIMIT ?2"
                ),
                &[time(now), int(i64::from(limit))],
            )?)
            .await?;
        rows::<Row>(Some(&result))?
            .into_iter()
            .map(Row::into_record)
            .collect()
    }
}
