//! D1 implementations of the storage ports. All SQL lives here, parameterised; every
//! method is one round trip (one statement or one atomic `batch`), counted for the
//! request log.
//!
//! Every request's statements go through one D1 session (the Sessions API, for read
//! replication; docs/architecture.md "Reads near the reader"): it starts where the
//! request's bookmark says, or on any replica for a read-only request, or on the primary
//! for a write, and its bookmark after the last statement goes back to the client.
//!
//! Conditional writes carry their own guards (`WHERE NOT EXISTS`, `ON CONFLICT`,
//! `UPDATE … WHERE used_at IS NULL`), so that the row counts D1 reports decide
//! outcomes like "email taken" or "token already used" exactly once, even under
//! concurrency.

use std::{cell::Cell, rc::Rc};

use orgpass_app::ports::{AccountRecord, PortError};
use orgpass_core::{Email, Timestamp};
use serde::{de::DeserializeOwned, Deserialize};
use worker::{
    wasm_bindgen::JsValue, D1Database, D1DatabaseSession, D1PreparedStatement, D1Result,
    D1SessionConstraint,
};

/// Where a request's D1 session starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStart {
    /// After this bookmark (the client's last one): it reads its own writes.
    After(String),
    /// Anywhere (a read-only request without a bookmark).
    AnyReplica,
    /// On the primary (a write, the Cron).
    Primary,
}

/// The longest bookmark accepted from a client.
const BOOKMARK_MAX: usize = 128;

/// A client's bookmark, if it has the shape D1's have (hex digits and dashes); anything
/// else is ignored (the request then starts as if it had none).
#[must_use]
pub fn bookmark(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()
        && text.len() <= BOOKMARK_MAX
        && text.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
    .then_some(text)
}

/// The database of one request, counting its round trips.
#[derive(Clone)]
pub struct D1Store {
    db: Rc<D1DatabaseSession>,
    trips: Rc<Cell<u32>>,
    sessions_ended: Rc<Cell<bool>>,
}

impl D1Store {
    /// Opens the request's session on the `DB` binding.
    ///
    /// # Errors
    /// When the runtime refuses the session.
    pub fn new(db: &D1Database, start: &SessionStart) -> worker::Result<Self> {
        let session = match start {
            SessionStart::After(bookmark) => db.with_session(Some(bookmark))?,
            SessionStart::AnyReplica => {
                db.with_session_constraint(D1SessionConstraint::FirstUnconstrained)?
            }
            SessionStart::Primary => {
                db.with_session_constraint(D1SessionConstraint::FirstPrimary)?
            }
        };
        Ok(Self {
            db: Rc::new(session),
            trips: Rc::new(Cell::new(0)),
            sessions_ended: Rc::new(Cell::new(false)),
        })
    }

    /// The session's bookmark after its last statement (`None` before any): a client
    /// that presents it next time reads at least what this request read and wrote.
    #[must_use]
    pub fn bookmark(&self) -> Option<String> {
        self.db.get_bookmark().ok().flatten()
    }

    /// Round trips made so far.
    #[must_use]
    pub fn round_trips(&self) -> u32 {
        self.trips.get()
    }

    /// Whether this request prepared a statement that ends sessions
    /// ([`Self::ending_sessions`]): its Back-Channel Logouts are then delivered right
    /// after the response.
    #[must_use]
    pub fn sessions_ended(&self) -> bool {
        self.sessions_ended.get()
    }

    /// A statement that ends sessions (sets `sessions.revoked_at`, or deletes accounts
    /// with live sessions). The trigger of migrations/0013 queues the Back-Channel
    /// Logouts whatever prepares the statement; preparing it through here also has them
    /// delivered right after the response instead of at the next Cron.
    pub(crate) fn ending_sessions(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> Result<D1PreparedStatement, PortError> {
        self.sessions_ended.set(true);
        self.stmt(sql, args)
    }

    /// A prepared statement. D1 refuses a statement bound with more parameters than
    /// its highest `?N`, so statements of one batch can share one argument list: the
    /// list is cut after the highest parameter `sql` names.
    pub(crate) fn stmt(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> Result<D1PreparedStatement, PortError> {
        let used = args.get(..highest_param(sql)).unwrap_or(args);
        self.db.prepare(sql).bind(used).map_err(port)
    }

    pub(crate) async fn batch(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<D1Result>, PortError> {
        self.trips.set(self.trips.get() + 1);
        self.db.batch(statements).await.map_err(port)
    }

    pub(crate) async fn one(&self, statement: D1PreparedStatement) -> Result<D1Result, PortError> {
        self.trips.set(self.trips.get() + 1);
        statement.all().await.map_err(port)
    }
}

/// The highest `?N` that `sql` names (0 for none).
fn highest_param(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let mut highest = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'?' {
            let digits: String = bytes
                .get(i + 1..)
                .unwrap_or_default()
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .map(|d| char::from(*d))
                .collect();
            highest = highest.max(digits.parse().unwrap_or(0));
        }
    }
    highest
}

pub(crate) fn port(error: worker::Error) -> PortError {
    PortError(format!("d1: {error}"))
}

/// A text parameter.
pub(crate) fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// An integer parameter (D1 numbers are doubles: exact up to 2^53, ample for
/// millisecond timestamps and counters).
#[allow(clippy::cast_precision_loss)]
pub(crate) fn int(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

pub(crate) fn time(t: Timestamp) -> JsValue {
    int(t.millis())
}

pub(crate) fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, text)
}

pub(crate) fn rows<T: DeserializeOwned>(result: Option<&D1Result>) -> Result<Vec<T>, PortError> {
    result
        .ok_or_else(|| PortError("d1: batch returned too few results".to_owned()))?
        .results::<T>()
        .map_err(port)
}

/// Whether a query returned any row.
pub(crate) fn found(result: Option<&D1Result>) -> Result<bool, PortError> {
    Ok(!rows::<serde_json::Value>(result)?.is_empty())
}

pub(crate) fn changes(result: Option<&D1Result>) -> Result<usize, PortError> {
    let meta = result
        .ok_or_else(|| PortError("d1: batch returned too few results".to_owned()))?
        .meta()
        .map_err(port)?;
    Ok(meta.and_then(|m| m.changes).unwrap_or(0))
}

/// Rows changed by all statements of a batch.
pub(crate) fn total_changes(results: &[D1Result]) -> Result<u64, PortError> {
    let mut total = 0u64;
    for r in results {
        total += changes(Some(r))? as u64;
    }
    Ok(total)
}

/// The account columns, in the order [`AccountRow`] reads them.
pub(crate) const ACCOUNT_COLUMNS: &str =
    "a.id, a.email, a.name, a.password_hash, a.managed_by, a.email_verified_at, a.created_at, \
     a.totp_enabled_at";

/// An `accounts` row.
#[derive(Deserialize)]
pub(crate) struct AccountRow {
    id: String,
    email: String,
    name: String,
    password_hash: Option<String>,
    managed_by: Option<String>,
    email_verified_at: Option<f64>,
    created_at: f64,
    totp_enabled_at: Option<f64>,
}

impl AccountRow {
    pub(crate) fn into_record(self) -> Result<(AccountRecord, Option<String>), PortError> {
        let email = Email::from_stored(&self.email);
        Ok((
            AccountRecord {
                id: self.id,
                email,
                name: self.name,
                managed: self.managed_by.is_some(),
                email_verified: self.email_verified_at.is_some(),
                two_step: self.totp_enabled_at.is_some(),
                created_at: millis(self.created_at),
            },
            self.password_hash,
        ))
    }
}

#[allow(clippy::cast_possible_truncation)]
pub(crate) fn millis(n: f64) -> Timestamp {
    Timestamp::from_millis(n as i64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_highest_parameter_is_found() {
        assert_eq!(super::highest_param("SELECT 1"), 0);
        assert_eq!(
            super::highest_param("WHERE a = ?2 AND b = ?10 OR c = ?3"),
            10
        );
    }
}
