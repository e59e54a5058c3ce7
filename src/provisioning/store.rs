//! Provisioning tokens in D1 (migrations/0015_scim.sql).

use orgpass_app::ports::{PortError, ScimStore, ScimTokenRecord};
use orgpass_core::{pass::Pass, policy::Permit, SpaceKey, Timestamp, TokenHash};
use serde::Deserialize;

use crate::platform::d1::{changes, int, millis, rows, text, time, D1Store};

/// A token's last use is written at most this often (an IdP syncing sends bursts).
const LAST_USED_EVERY_MS: i64 = 60_000;

#[derive(Deserialize)]
struct TokenRow {
    id: String,
    created_at: f64,
    last_used_at: Option<f64>,
}

#[derive(Deserialize)]
struct PassRow {
    pass_status: String,
    pass_trial_ends_at: Option<f64>,
    pass_current_period_end: Option<f64>,
    pass_cancel_at: Option<f64>,
}

impl ScimStore for D1Store {
    async fn insert_scim_token(
        &self,
        permit: &Permit,
        token: &ScimTokenRecord,
        secret: &TokenHash,
        created_by: &str,
    ) -> Result<(), PortError> {
        self.one(self.stmt(
            "INSERT INTO scim_tokens (id, space_key, token_hash, created_at, created_by) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                text(&token.id),
                text(permit.space_key().as_str()),
                text(&secret.to_hex()),
                time(token.created_at),
                text(created_by),
            ],
        )?)
        .await?;
        Ok(())
    }

    async fn read_scim_tokens(&self, permit: &Permit) -> Result<Vec<ScimTokenRecord>, PortError> {
        let result = self
            .one(self.stmt(
                "SELECT id, created_at, last_used_at FROM scim_tokens WHERE space_key = ?1 \
                 ORDER BY created_at, id",
                &[text(permit.space_key().as_str())],
            )?)
            .await?;
        Ok(rows::<TokenRow>(Some(&result))?
            .into_iter()
            .map(|r| ScimTokenRecord {
                id: r.id,
                created_at: millis(r.created_at),
                last_used_at: r.last_used_at.map(millis),
            })
            .collect())
    }

    async fn delete_scim_token(&self, permit: &Permit, id: &str) -> Result<bool, PortError> {
        let result = self
            .one(self.stmt(
                "DELETE FROM scim_tokens WHERE space_key = ?1 AND id = ?2",
                &[text(permit.space_key().as_str()), text(id)],
            )?)
            .await?;
        Ok(changes(Some(&result))? == 1)
    }

    async fn use_scim_token(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<Pass>, PortError> {
        let args = [
            text(space_key.as_str()),
            text(&secret.to_hex()),
            time(now),
            int(now.millis() - LAST_USED_EVERY_MS),
        ];
        let results = self
            .batch(vec![
                self.stmt(
                    "UPDATE scim_tokens SET last_used_at = ?3 \
                     WHERE space_key = ?1 AND token_hash = ?2 \
                       AND (last_used_at IS NULL OR last_used_at <= ?4)",
                    &args,
                )?,
                self.stmt(
                    "SELECT o.pass_status, o.pass_trial_ends_at, o.pass_current_period_end, \
                            o.pass_cancel_at \
                     FROM scim_tokens t JOIN organizations o ON o.space_key = t.space_key \
                     WHERE t.space_key = ?1 AND t.token_hash = ?2",
                    &args,
                )?,
            ])
            .await?;
        let Some(row) = rows::<PassRow>(results.get(1))?.into_iter().next() else {
            return Ok(None);
        };
        Pass::from_columns(
            &row.pass_status,
            row.pass_trial_ends_at.map(millis),
            row.pass_current_period_end.map(millis),
            row.pass_cancel_at.map(millis),
        )
        .map(Some)
        .ok_or_else(|| PortError(format!("d1: stored pass state of {}", space_key.as_str())))
    }
}
