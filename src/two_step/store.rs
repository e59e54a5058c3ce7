//! Two-step verification in D1: pending and confirmed secrets, recovery codes, login
//! challenges. A code is accepted by a guarded write that marks the batch accepting
//! it (`totp_marker`, `recovery_codes.spent_by`); what the code unlocks in the same
//! batch is conditioned on that mark, so a code used twice at once unlocks once.

use orgpass_app::{
    ports::{
        AccountRecord, CodeProof, Enrolment, Event, NewMail, NewSession, PortError, TwoStepState,
        TwoStepStore,
    },
    two_step::{CHALLENGE_ATTEMPTS, CODES_PER_ACCOUNT, CODES_PER_IP},
};
use orgpass_core::{Timestamp, TokenHash};
use serde::Deserialize;
use worker::{wasm_bindgen::JsValue, D1PreparedStatement, D1Result};

use crate::{
    accounts::store::live_account,
    platform::d1::{changes, int, rows, text, time, AccountRow, D1Store, ACCOUNT_COLUMNS},
    self_service::store::live_ids,
};

/// The live, unspent challenge `?1` (at `?2` now)'s account id, as a subquery.
const CHALLENGE_ACCOUNT: &str = "(SELECT account_id FROM two_step_challenges \
     WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2)";

#[derive(Deserialize)]
struct StateRow {
    totp_secret: Option<String>,
    totp_pending: Option<String>,
    totp_last_step: Option<f64>,
    #[serde(flatten)]
    account: AccountRow,
}

#[derive(Deserialize)]
struct CodeRow {
    code_hash: String,
}

/// The two-step state from a row of [`state_stmt`]'s and the unused codes.
#[allow(clippy::cast_possible_truncation)]
fn state_of(
    row: Option<&D1Result>,
    codes: Option<&D1Result>,
    reserved: bool,
) -> Result<Option<TwoStepState>, PortError> {
    let Some(row) = rows::<StateRow>(row)?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(TwoStepState {
        account: row.account.into_record()?.0,
        secret: row.totp_secret,
        pending: row.totp_pending,
        last_step: row.totp_last_step.map(|s| s as i64),
        recovery: rows::<CodeRow>(codes)?
            .into_iter()
            .map(|c| c.code_hash)
            .collect(),
        reserved,
    }))
}

impl D1Store {
    /// The two-step columns of the account `account` (an SQL expression over `args`).
    fn state_stmts(
        &self,
        account: &str,
        args: &[JsValue],
    ) -> Result<[D1PreparedStatement; 2], PortError> {
        Ok([
            self.stmt(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS}, a.totp_secret, a.totp_pending, a.totp_last_step \
                     FROM accounts a WHERE a.id IN {account}"
                ),
                args,
            )?,
            self.stmt(
                &format!(
                    "SELECT code_hash FROM recovery_codes WHERE used_at IS NULL \
                     AND account_id IN {account}"
                ),
                args,
            )?,
        ])
    }

    /// Accepts `proof` for the account `account` (an SQL expression over `?1`, `?4`),
    /// marking it with `?3`; parameters `?1` `account`'s, `?2` the step or digest,
    /// `?3` the marker, `?4` now. The condition that it was accepted here follows (by
    /// primary key: the account's row, or its code's).
    fn accept_stmt(
        &self,
        account: &str,
        proof: &CodeProof,
        args: &[JsValue],
    ) -> Result<(D1PreparedStatement, String), PortError> {
        Ok(match proof {
            CodeProof::Totp { .. } => (
                self.stmt(
                    &format!(
                        "UPDATE accounts SET totp_last_step = ?2, totp_marker = ?3 \
                         WHERE id = {account} AND totp_enabled_at IS NOT NULL \
                         AND (totp_last_step IS NULL OR totp_last_step < ?2)"
                    ),
                    args,
                )?,
                format!(
                    "EXISTS (SELECT 1 FROM accounts WHERE id = {account} AND totp_marker = ?3)"
                ),
            ),
            CodeProof::Recovery { .. } => (
                self.stmt(
                    &format!(
                        "UPDATE recovery_codes SET used_at = ?4, spent_by = ?3 \
                         WHERE account_id = {account} AND code_hash = ?2 AND used_at IS NULL"
                    ),
                    args,
                )?,
                format!(
                    "EXISTS (SELECT 1 FROM recovery_codes WHERE account_id = {account} \
                     AND code_hash = ?2 AND spent_by = ?3)"
                ),
            ),
        })
    }

    /// Queues `mail` while `condition` (over `?1`–`?4` of `args`) holds.
    fn outbox_when(
        &self,
        mail: &NewMail,
        condition: &str,
        args: &[JsValue],
    ) -> Result<D1PreparedStatement, PortError> {
        let mut all = args.to_vec();
        all.extend([
            text(&mail.id),
            text(mail.to.as_str()),
            text(&mail.subject),
            text(&mail.text),
            text(&mail.html),
        ]);
        let n = args.len();
        self.stmt(
            &format!(
                "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
                 SELECT ?{}, ?{}, ?{}, ?{}, ?{}, ?4 WHERE {condition}",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5
            ),
            &all,
        )
    }
}

fn proof_value(proof: &CodeProof) -> JsValue {
    match proof {
        CodeProof::Totp { step } => int(*step),
        CodeProof::Recovery { hash } => text(hash),
    }
}

impl TwoStepStore for D1Store {
    async fn write_pending_secret(
        &self,
        session: &TokenHash,
        secret: &str,
        now: Timestamp,
    ) -> Result<Option<Enrolment>, PortError> {
        let results = self
            .batch(vec![
                self.stmt(
                    &format!(
                        "UPDATE accounts SET totp_pending = ?3 WHERE id IN {} \
                         AND managed_by IS NULL AND totp_enabled_at IS NULL",
                        live_ids()
                    ),
                    &[text(&session.to_hex()), time(now), text(secret)],
                )?,
                self.live_account_stmt(session, now)?,
            ])
            .await?;
        let stored = changes(results.first())? == 1;
        Ok(live_account(rows(results.get(1))?)?.map(|account| {
            if account.managed {
                Enrolment::Managed
            } else if stored {
                Enrolment::Started(account)
            } else {
                Enrolment::AlreadyOn
            }
        }))
    }

    async fn reserve_code_check(
        &self,
        session: &TokenHash,
        ip: &str,
        window: Timestamp,
        now: Timestamp,
    ) -> Result<Option<TwoStepState>, PortError> {
        let args = [text(&session.to_hex()), time(now)];
        let live = live_ids();
        let [state, codes] = self.state_stmts(&live, &args)?;
        let results = self
            .batch(vec![
                self.reserve_via_stmt(
                    (
                        &format!("SELECT 'two_step:account:' || a.id FROM accounts a WHERE a.id IN {live}"),
                        CODES_PER_ACCOUNT,
                    ),
                    args.to_vec(),
                    (&format!("two_step:ip:{ip}"), CODES_PER_IP),
                    window,
                )?,
                state,
                codes,
            ])
            .await?;
        state_of(
            results.get(1),
            results.get(2),
            changes(results.first())? > 0,
        )
    }

    async fn enable_two_step(
        &self,
        account_id: &str,
        pending: &str,
        step: i64,
        recovery: &[String],
        (notice, event): (&NewMail, &Event),
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let marker = text(&D1Store::spend_marker()?);
        let codes = serde_json::to_string(recovery).map_err(|e| PortError(format!("json: {e}")))?;
        // ?1 account, ?2 pending secret, ?3 marker, ?4 now, ?5 step, ?6 the codes.
        let args = [
            text(account_id),
            text(pending),
            marker,
            time(now),
            int(step),
            text(&codes),
        ];
        let here = "EXISTS (SELECT 1 FROM accounts WHERE id = ?1 AND totp_marker = ?3)";
        let results = self
            .batch(vec![
                self.stmt(
                    "UPDATE accounts SET totp_secret = totp_pending, totp_pending = NULL, \
                       totp_enabled_at = ?4, totp_last_step = ?5, totp_marker = ?3 \
                     WHERE id = ?1 AND totp_pending = ?2 AND totp_enabled_at IS NULL \
                       AND managed_by IS NULL",
                    &args[..5],
                )?,
                self.stmt(
                    &format!("DELETE FROM recovery_codes WHERE account_id = ?1 AND {here}"),
                    &args[..3],
                )?,
                self.stmt(
                    &format!(
                        "INSERT INTO recovery_codes (account_id, code_hash, created_at) \
                         SELECT ?1, j.value, ?4 FROM json_each(?6) j WHERE {here}"
                    ),
                    &args,
                )?,
                self.outbox_when(notice, here, &args[..4])?,
                self.member_events_stmt(event, (Some(account_id), None), here, &args[..3])?,
            ])
            .await?;
        Ok(changes(results.first())? == 1)
    }

    async fn disable_two_step(
        &self,
        account_id: &str,
        proof: &CodeProof,
        notice: &NewMail,
        now: Timestamp,
        event: &Event,
    ) -> Result<bool, PortError> {
        let args = [
            text(account_id),
            proof_value(proof),
            text(&D1Store::spend_marker()?),
            time(now),
        ];
        let (accept, accepted) = self.accept_stmt("?1", proof, &args)?;
        let results = self
            .batch(vec![
                accept,
                self.stmt(
                    &format!(
                        "UPDATE accounts SET totp_secret = NULL, totp_pending = NULL, \
                         totp_enabled_at = NULL WHERE id = ?1 AND {accepted}"
                    ),
                    &args,
                )?,
                self.outbox_when(notice, &accepted, &args)?,
                self.member_events_stmt(event, (Some(account_id), None), &accepted, &args)?,
                self.stmt(
                    &format!(
                        "DELETE FROM two_step_challenges WHERE account_id = ?1 AND {accepted}"
                    ),
                    &args,
                )?,
                // Last: a recovery code's own row is the mark the others checked.
                self.stmt(
                    &format!("DELETE FROM recovery_codes WHERE account_id = ?1 AND {accepted}"),
                    &args,
                )?,
            ])
            .await?;
        Ok(changes(results.get(1))? == 1)
    }

    async fn attempt_challenge(
        &self,
        token: &TokenHash,
        ip: &str,
        window: Timestamp,
        now: Timestamp,
    ) -> Result<Option<TwoStepState>, PortError> {
        let args = [text(&token.to_hex()), time(now), int(CHALLENGE_ATTEMPTS)];
        let open = "token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 AND attempts < ?3";
        let [state, codes] = self.state_stmts(CHALLENGE_ACCOUNT, &args[..2])?;
        let results = self
            .batch(vec![
                self.reserve_via_stmt(
                    (
                        &format!(
                            "SELECT 'two_step:account:' || account_id FROM two_step_challenges WHERE {open}"
                        ),
                        CODES_PER_ACCOUNT,
                    ),
                    args.to_vec(),
                    (&format!("two_step:ip:{ip}"), CODES_PER_IP),
                    window,
                )?,
                self.stmt(
                    &format!("UPDATE two_step_challenges SET attempts = attempts + 1 WHERE {open}"),
                    &args,
                )?,
                state,
                codes,
            ])
            .await?;
        if changes(results.get(1))? != 1 {
            return Ok(None);
        }
        state_of(
            results.get(2),
            results.get(3),
            changes(results.first())? > 0,
        )
    }

    async fn complete_challenge(
        &self,
        token: &TokenHash,
        proof: &CodeProof,
        session: &NewSession,
        now: Timestamp,
        event: &Event,
    ) -> Result<Option<AccountRecord>, PortError> {
        // ?1 challenge, ?2 step or digest, ?3 marker, ?4 now; then the session's.
        let args = [
            text(&token.to_hex()),
            proof_value(proof),
            text(&D1Store::spend_marker()?),
            time(now),
            text(&session.token_hash.to_hex()),
            time(session.expires_at),
            text(&session.id),
            text(&session.client.ip),
            text(&session.client.user_agent),
        ];
        let account = "(SELECT account_id FROM two_step_challenges \
             WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?4)";
        let (accept, accepted) = self.accept_stmt(account, proof, &args[..4])?;
        let results = self
            .batch(vec![
                accept,
                self.stmt(
                    &format!(
                        "UPDATE two_step_challenges SET used_at = ?4, spent_by = ?3 \
                         WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?4 AND {accepted}"
                    ),
                    &args[..4],
                )?,
                self.stmt(
                    "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, id, ip, user_agent, last_used_at) \
                     SELECT ?5, c.account_id, ?4, ?6, ?7, ?8, ?9, ?4 FROM two_step_challenges c \
                     WHERE c.token_hash = ?1 AND c.spent_by = ?3",
                    &args,
                )?,
                self.member_events_stmt(
                    event,
                    (Some(&session.account_id), None),
                    "EXISTS (SELECT 1 FROM sessions WHERE token_hash = ?1)",
                    &args[4..5],
                )?,
                self.stmt(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
                         WHERE s.token_hash = ?1"
                    ),
                    &args[4..5],
                )?,
            ])
            .await?;
        live_account(rows(results.get(4))?)
    }
}
