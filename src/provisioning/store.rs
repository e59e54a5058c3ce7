//! Provisioning tokens, managed accounts as SCIM Users and the service's last refusals
//! in D1 (migrations/0015_scim.sql, 0017_scim_errors.sql). A filter over Users arrives resolved and typed
//! (`orgpass_core::scim::users`) and becomes a `WHERE` clause whose every value is a bound
//! parameter: only column names and operators, all from this file, are ever written into
//! the SQL.

use orgpass_app::ports::{
    Event, PortError, ProvisionedAccount, ProvisioningFacts, ScimAccess, ScimRefusalRecord,
    ScimStore, ScimTokenRecord, ScimUserRecord, UserWrite, UserWritten, PROVISIONED_SHOWN,
    SCIM_REFUSALS_KEPT,
};
use orgpass_core::{
    pass::Pass,
    policy::Permit,
    scim::{
        typed::{Attribute, Typed},
        users::{UserAttr, UserFilter},
    },
    Email, SpaceKey, Timestamp, TokenHash,
};
use serde::{de::DeserializeOwned, Deserialize};
use worker::{wasm_bindgen::JsValue, D1PreparedStatement, D1Result};

use super::sql::{where_sql, Column};
use crate::platform::d1::{changes, int, millis, opt_text, rows, text, time, D1Store};

/// A managed account as a SCIM User: `a` the account, `su` what SCIM keeps of it.
const USER_SQL: &str = "SELECT a.id, a.email, a.name, a.created_at, su.external_id, \
       su.given_name, su.family_name, \
       CASE WHEN su.account_id IS NULL THEN a.name ELSE su.display_name END AS display_name, \
       CASE WHEN su.account_id IS NULL THEN 1 ELSE su.active END AS active, \
       COALESCE(su.updated_at, a.created_at) AS updated_at \
     FROM accounts a LEFT JOIN scim_users su ON su.account_id = a.id \
     WHERE a.managed_by = ?1";

#[derive(Deserialize)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    created_at: f64,
    external_id: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    display_name: Option<String>,
    active: Option<f64>,
    updated_at: f64,
}

impl UserRow {
    fn into_record(self) -> ScimUserRecord {
        ScimUserRecord {
            id: self.id,
            email: Email::from_stored(&self.email),
            name: self.name,
            given_name: self.given_name,
            family_name: self.family_name,
            display_name: self.display_name,
            external_id: self.external_id,
            active: self.active.map(|a| a != 0.0),
            created_at: millis(self.created_at),
            updated_at: millis(self.updated_at),
        }
    }
}

/// The SQL of a User attribute (columns of [`USER_SQL`]).
const fn column(attr: UserAttr) -> Column {
    Column::Plain(match attr {
        UserAttr::Id => "a.id",
        // Stored lower-cased (the filter's value is too).
        UserAttr::UserName | UserAttr::Email => "a.email",
        UserAttr::ExternalId => "su.external_id",
        // SQLite's lower() folds ASCII only: a name differing from the filter's value
        // in the case of a non-ASCII letter does not match (docs/api.md).
        UserAttr::DisplayName => {
            "lower(CASE WHEN su.account_id IS NULL THEN a.name ELSE su.display_name END)"
        }
        UserAttr::GivenName => "lower(su.given_name)",
        UserAttr::FamilyName => "lower(su.family_name)",
        UserAttr::EmailType => "'work'",
        UserAttr::EmailPrimary => "1",
        UserAttr::Active => "COALESCE(su.active, 1)",
        UserAttr::Created => "a.created_at",
        UserAttr::LastModified => "COALESCE(su.updated_at, a.created_at)",
    })
}

/// A token's last use is written at most this often (an IdP syncing sends bursts).
const LAST_USED_EVERY_MS: i64 = 60_000;

#[derive(Deserialize)]
struct TokenRow {
    id: String,
    created_at: f64,
    last_used_at: Option<f64>,
    active: f64,
}

#[derive(Deserialize)]
struct PassRow {
    token_id: String,
    pass_status: String,
    pass_trial_ends_at: Option<f64>,
    pass_current_period_end: Option<f64>,
    pass_cancel_at: Option<f64>,
}

/// The request's token is one of the organization's, made by someone who is still one
/// of its administrators (`?1` the space key, `?2` the token's digest): statements
/// batched after [`D1Store::token_statements`] read only for such a request.
pub(crate) const TOKEN_VALID: &str = "EXISTS (SELECT 1 FROM scim_tokens t \
       JOIN memberships m ON m.space_key = t.space_key AND m.account_id = t.created_by \
         AND m.role = 'administrator' \
     WHERE t.space_key = ?1 AND t.token_hash = ?2)";

/// What a page of one resource type reads (the rows only for a valid token of the
/// organization at `?1`): `count` and `page` are SQL to which the token's and the
/// filter's conditions are added with `AND`, `order` the page's `ORDER BY`, `column`
/// where the filter's attributes are.
pub(crate) struct Listing<'a, A> {
    pub(crate) count: &'a str,
    pub(crate) page: &'a str,
    pub(crate) order: &'a str,
    pub(crate) column: &'a dyn Fn(A) -> Column,
}

impl D1Store {
    /// One page of a resource type for the IdP holding `secret`, in one batch: the
    /// token's use and the add-on state, how many match `filter`, and the page's rows
    /// (`offset` skipped, at most `limit`). `None` for a secret that is no valid token of
    /// `space_key`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn scim_page<A: Attribute, T: DeserializeOwned>(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
        listing: &Listing<'_, A>,
        filter: Option<&Typed<A>>,
        offset: u32,
        limit: u32,
    ) -> Result<Option<(ScimAccess, u64, Vec<T>)>, PortError> {
        // Each statement its own argument list, so that none has a gap before the
        // filter's values: the count's and the page's differ by the window.
        let who = [text(space_key.as_str()), text(&secret.to_hex())];
        let mut count_args = who.to_vec();
        let mut page_args = [&who[..], &[int(i64::from(limit)), int(i64::from(offset))]].concat();
        let (count_if, page_if) = filter.map_or_else(
            || ("1".to_owned(), "1".to_owned()),
            |f| {
                (
                    where_sql(f, &mut count_args, listing.column),
                    where_sql(f, &mut page_args, listing.column),
                )
            },
        );
        let mut statements = self.token_statements(space_key, secret, now)?;
        statements.push(self.stmt(
            &format!("{} AND {TOKEN_VALID} AND {count_if}", listing.count),
            &count_args,
        )?);
        statements.push(self.stmt(
            &format!(
                "{} AND {TOKEN_VALID} AND {page_if} ORDER BY {} LIMIT ?3 OFFSET ?4",
                listing.page, listing.order
            ),
            &page_args,
        )?);
        let results = self.batch(statements).await?;
        let Some(access) = pass_of(results.get(1), space_key)? else {
            return Ok(None);
        };
        #[derive(Deserialize)]
        struct Count {
            n: f64,
        }
        let total = rows::<Count>(results.get(2))?.first().map_or(0.0, |c| c.n);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let total = total as u64; // a row count: a non-negative integer
        Ok(Some((access, total, rows::<T>(results.get(3))?)))
    }
}

impl D1Store {
    /// The organization's tokens, oldest first.
    fn tokens_stmt(&self, space_key: &SpaceKey) -> Result<D1PreparedStatement, PortError> {
        self.stmt(
            "SELECT t.id, t.created_at, t.last_used_at, EXISTS (SELECT 1 FROM memberships m \
               WHERE m.space_key = t.space_key AND m.account_id = t.created_by \
                 AND m.role = 'administrator') AS active \
             FROM scim_tokens t WHERE t.space_key = ?1 ORDER BY t.created_at, t.id",
            &[text(space_key.as_str())],
        )
    }

    /// The tokens, how many of the organization's managed accounts an IdP wrote (and
    /// deactivated), the first of them by email, and the service's last refusals: read
    /// with the Authentication tab's batch ([`provisioning_from`]).
    pub(crate) fn provisioning_statements(
        &self,
        space_key: &SpaceKey,
    ) -> Result<[D1PreparedStatement; PROVISIONING_STATEMENTS], PortError> {
        let space = [text(space_key.as_str())];
        Ok([
            self.tokens_stmt(space_key)?,
            self.stmt(
                "SELECT count(*) AS n, coalesce(sum(active = 0), 0) AS d FROM scim_users \
                 WHERE space_key = ?1",
                &space,
            )?,
            self.stmt(
                &format!(
                    "SELECT a.id, a.email, COALESCE(su.active, 1) AS active, su.updated_at \
                     FROM scim_users su JOIN accounts a ON a.id = su.account_id \
                     WHERE su.space_key = ?1 ORDER BY a.email LIMIT {PROVISIONED_SHOWN}"
                ),
                &space,
            )?,
            self.stmt(
                "SELECT at, request, status, scim_type, detail FROM scim_errors \
                 WHERE space_key = ?1 ORDER BY id DESC",
                &space,
            )?,
        ])
    }

    /// A token's use noted (at most once a minute), then the add-on state of its
    /// organization (a row only for a valid token of `space_key`: [`TOKEN_VALID`]).
    pub(crate) fn token_statements(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
    ) -> Result<Vec<D1PreparedStatement>, PortError> {
        let args = [
            text(space_key.as_str()),
            text(&secret.to_hex()),
            time(now),
            int(now.millis() - LAST_USED_EVERY_MS),
        ];
        Ok(vec![
            self.stmt(
                &format!(
                    "UPDATE scim_tokens SET last_used_at = ?3 \
                     WHERE space_key = ?1 AND token_hash = ?2 \
                       AND (last_used_at IS NULL OR last_used_at <= ?4) AND {TOKEN_VALID}"
                ),
                &args,
            )?,
            self.stmt(
                &format!(
                    "SELECT t.id AS token_id, o.pass_status, o.pass_trial_ends_at, \
                            o.pass_current_period_end, o.pass_cancel_at \
                     FROM organizations o JOIN scim_tokens t ON t.space_key = o.space_key \
                     WHERE o.space_key = ?1 AND t.token_hash = ?2 AND {TOKEN_VALID}"
                ),
                &args,
            )?,
        ])
    }
}

fn tokens_from(result: Option<&D1Result>) -> Result<Vec<ScimTokenRecord>, PortError> {
    Ok(rows::<TokenRow>(result)?
        .into_iter()
        .map(|r| ScimTokenRecord {
            id: r.id,
            created_at: millis(r.created_at),
            last_used_at: r.last_used_at.map(millis),
            active: r.active != 0.0,
        })
        .collect())
}

/// How many statements [`D1Store::provisioning_statements`] makes.
pub(crate) const PROVISIONING_STATEMENTS: usize = 4;

/// What [`D1Store::provisioning_statements`] read (their results, in order).
pub(crate) fn provisioning_from(results: &[D1Result]) -> Result<ProvisioningFacts, PortError> {
    #[derive(Deserialize)]
    struct Counts {
        n: f64,
        d: f64,
    }
    #[derive(Deserialize)]
    struct AccountRow {
        id: String,
        email: String,
        active: f64,
        updated_at: f64,
    }
    #[derive(Deserialize)]
    struct RefusalRow {
        at: f64,
        request: String,
        status: f64,
        scim_type: Option<String>,
        detail: String,
    }
    let counts = rows::<Counts>(results.get(1))?.into_iter().next();
    // Row counts and HTTP statuses: non-negative integers.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (provisioned, deactivated) = counts.map_or((0, 0), |c| (c.n as u64, c.d as u64));
    let accounts = rows::<AccountRow>(results.get(2))?
        .into_iter()
        .map(|a| ProvisionedAccount {
            id: a.id,
            email: Email::from_stored(&a.email),
            active: a.active != 0.0,
            updated_at: millis(a.updated_at),
        })
        .collect();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let errors = rows::<RefusalRow>(results.get(3))?
        .into_iter()
        .map(|r| ScimRefusalRecord {
            at: millis(r.at),
            request: r.request,
            status: r.status as u16,
            scim_type: r.scim_type,
            detail: r.detail,
        })
        .collect();
    Ok(ProvisioningFacts {
        tokens: tokens_from(results.first())?,
        provisioned,
        deactivated,
        accounts,
        errors,
    })
}

/// The token and add-on state read by the second of [`D1Store::token_statements`].
pub(crate) fn pass_of(
    result: Option<&D1Result>,
    space_key: &SpaceKey,
) -> Result<Option<ScimAccess>, PortError> {
    let Some(row) = rows::<PassRow>(result)?.into_iter().next() else {
        return Ok(None);
    };
    let pass = Pass::from_columns(
        &row.pass_status,
        row.pass_trial_ends_at.map(millis),
        row.pass_current_period_end.map(millis),
        row.pass_cancel_at.map(millis),
    )
    .ok_or_else(|| PortError(format!("d1: stored pass state of {}", space_key.as_str())))?;
    Ok(Some(ScimAccess {
        token_id: row.token_id,
        pass,
    }))
}

impl ScimStore for D1Store {
    async fn insert_scim_refusal(
        &self,
        space_key: &SpaceKey,
        refusal: &ScimRefusalRecord,
    ) -> Result<(), PortError> {
        let args = [
            text(space_key.as_str()),
            time(refusal.at),
            text(&refusal.request),
            int(i64::from(refusal.status)),
            opt_text(refusal.scim_type.as_deref()),
            text(&refusal.detail),
            int(i64::from(SCIM_REFUSALS_KEPT)),
        ];
        self.batch(vec![
            self.stmt(
                "INSERT INTO scim_errors (space_key, at, request, status, scim_type, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &args[..6],
            )?,
            self.stmt(
                "DELETE FROM scim_errors WHERE space_key = ?1 AND id NOT IN \
                 (SELECT id FROM scim_errors WHERE space_key = ?1 ORDER BY id DESC LIMIT ?2)",
                &[args[0].clone(), args[6].clone()],
            )?,
        ])
        .await?;
        Ok(())
    }

    async fn insert_scim_token(
        &self,
        permit: &Permit,
        token: &ScimTokenRecord,
        secret: &TokenHash,
        created_by: &str,
        event: &Event,
    ) -> Result<(), PortError> {
        let insert = self.stmt(
            "INSERT INTO scim_tokens (id, space_key, token_hash, created_at, created_by) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                text(&token.id),
                text(permit.space_key().as_str()),
                text(&secret.to_hex()),
                time(token.created_at),
                text(created_by),
            ],
        )?;
        self.batch_recording(vec![insert], 0, event, permit.space_key())
            .await?;
        Ok(())
    }

    async fn read_scim_tokens(&self, permit: &Permit) -> Result<Vec<ScimTokenRecord>, PortError> {
        let result = self.one(self.tokens_stmt(permit.space_key())?).await?;
        tokens_from(Some(&result))
    }

    async fn delete_scim_token(
        &self,
        permit: &Permit,
        id: &str,
        event: &Event,
    ) -> Result<bool, PortError> {
        let delete = self.stmt(
            "DELETE FROM scim_tokens WHERE space_key = ?1 AND id = ?2",
            &[text(permit.space_key().as_str()), text(id)],
        )?;
        let results = self
            .batch_recording(vec![delete], 0, event, permit.space_key())
            .await?;
        Ok(changes(results.first())? == 1)
    }

    async fn use_scim_token(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<ScimAccess>, PortError> {
        let results = self
            .batch(self.token_statements(space_key, secret, now)?)
            .await?;
        pass_of(results.get(1), space_key)
    }

    async fn scim_users(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
        filter: Option<&UserFilter>,
        offset: u32,
        limit: u32,
    ) -> Result<Option<(ScimAccess, u64, Vec<ScimUserRecord>)>, PortError> {
        let listing = Listing {
            count: "SELECT count(*) AS n FROM accounts a \
                    LEFT JOIN scim_users su ON su.account_id = a.id WHERE a.managed_by = ?1",
            page: USER_SQL,
            order: "a.created_at, a.id",
            column: &column,
        };
        let page = self
            .scim_page::<_, UserRow>(space_key, secret, now, &listing, filter, offset, limit)
            .await?;
        Ok(page.map(|(access, total, rows)| {
            let users = rows.into_iter().map(UserRow::into_record).collect();
            (access, total, users)
        }))
    }

    async fn scim_user_with_token(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
        id: &str,
    ) -> Result<Option<(ScimAccess, Option<ScimUserRecord>)>, PortError> {
        let mut statements = self.token_statements(space_key, secret, now)?;
        statements.push(self.stmt(
            &format!("{USER_SQL} AND {TOKEN_VALID} AND a.id = ?3"),
            &[text(space_key.as_str()), text(&secret.to_hex()), text(id)],
        )?);
        let results = self.batch(statements).await?;
        let Some(pass) = pass_of(results.get(1), space_key)? else {
            return Ok(None);
        };
        let user = rows::<UserRow>(results.get(2))?
            .into_iter()
            .next()
            .map(UserRow::into_record);
        Ok(Some((pass, user)))
    }

    async fn scim_user(
        &self,
        space_key: &SpaceKey,
        id: &str,
    ) -> Result<Option<ScimUserRecord>, PortError> {
        let result = self
            .one(self.stmt(
                &format!("{USER_SQL} AND a.id = ?2"),
                &[text(space_key.as_str()), text(id)],
            )?)
            .await?;
        Ok(rows::<UserRow>(Some(&result))?
            .into_iter()
            .next()
            .map(UserRow::into_record))
    }

    async fn update_scim_user(
        &self,
        space_key: &SpaceKey,
        write: &UserWrite<'_>,
        event: &Event,
    ) -> Result<UserWritten, PortError> {
        let u = write.user;
        let args = [
            text(space_key.as_str()),
            text(write.id),
            time(write.expected),
            time(u.updated_at),
            text(u.email.as_str()),
            text(&u.name),
            text(u.email.domain()),
            opt_text(u.external_id.as_deref()),
            opt_text(u.given_name.as_deref()),
            opt_text(u.family_name.as_deref()),
            u.active.map_or(JsValue::NULL, |a| int(i64::from(a))),
            text(write.write_id),
            opt_text(u.display_name.as_deref()),
        ];
        // The account at the version read; its new email free and, when it changes, in
        // a verified domain. Evaluated once, by the first statement, in the batch's one
        // transaction; the later statements act only if it wrote (`won`: the row carries
        // this write's random id).
        let current =
            "COALESCE((SELECT su.updated_at FROM scim_users su WHERE su.account_id = ?2), \
             (SELECT a.created_at FROM accounts a WHERE a.id = ?2 AND a.managed_by = ?1)) = ?3";
        let free = "NOT EXISTS (SELECT 1 FROM accounts WHERE email = ?5 AND id <> ?2)";
        let domain =
            "(?5 = (SELECT email FROM accounts WHERE id = ?2) OR EXISTS (SELECT 1 FROM domains \
             WHERE space_key = ?1 AND name = ?7 AND status = 'verified'))";
        let managed = "EXISTS (SELECT 1 FROM accounts WHERE id = ?2 AND managed_by = ?1)";
        let won = "EXISTS (SELECT 1 FROM scim_users WHERE account_id = ?2 AND write_id = ?12)";
        let mut statements = vec![
            self.stmt(
                &format!("SELECT {managed} AS a, {current} AS b, {free} AS c, {domain} AS d"),
                &args,
            )?,
            self.stmt(
                &format!(
                    "INSERT INTO scim_users (account_id, space_key, external_id, given_name, \
                       family_name, active, created_at, updated_at, write_id, display_name) \
                     SELECT ?2, ?1, ?8, ?9, ?10, ?11, ?4, ?4, ?12, ?13 \
                     WHERE {managed} AND {current} AND {free} AND {domain} \
                     ON CONFLICT (account_id) DO UPDATE SET external_id = excluded.external_id, \
                       given_name = excluded.given_name, family_name = excluded.family_name, \
                       active = excluded.active, updated_at = excluded.updated_at, \
                       write_id = excluded.write_id, display_name = excluded.display_name"
                ),
                &args,
            )?,
            self.stmt(
                &format!(
                    "UPDATE accounts SET email = ?5, name = ?6 \
                     WHERE id = ?2 AND managed_by = ?1 AND {won}"
                ),
                &args,
            )?,
        ];
        if u.active == Some(false) {
            // Deactivated: every session ends now (the trigger queues the products'
            // Back-Channel Logouts), and the ACS refuses it until it is active again.
            statements.push(self.ending_sessions(
                &format!(
                    "UPDATE sessions SET revoked_at = ?4 \
                     WHERE account_id = ?2 AND revoked_at IS NULL AND {won}"
                ),
                &args,
            )?);
        }
        // The event follows the compare-and-set (the second statement).
        let results = self
            .batch_recording(statements, 1, event, space_key)
            .await?;
        if changes(results.get(1))? >= 1 {
            return Ok(UserWritten::Done);
        }
        #[derive(Deserialize)]
        struct Checks {
            a: f64,
            b: Option<f64>,
            c: f64,
            d: Option<f64>,
        }
        let checks = rows::<Checks>(results.first())?
            .into_iter()
            .next()
            .ok_or_else(|| PortError("d1: no check row".to_owned()))?;
        Ok(if checks.a == 0.0 {
            UserWritten::Missing
        } else if checks.b != Some(1.0) {
            UserWritten::Changed
        } else if checks.c == 0.0 {
            UserWritten::EmailTaken
        } else if checks.d != Some(1.0) {
            UserWritten::DomainNotVerified
        } else {
            UserWritten::Changed
        })
    }
}
