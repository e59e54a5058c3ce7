//! The audit log in D1 (migrations/0018_audit_events.sql): the statement every audited
//! write adds to its batch, and the page administrators read.

use orgpass_app::ports::{
    AuditStore, CsvChunk, DueStream, Event, EventRecord, MemberContext, PortError, StreamOutcome,
    StreamRecord, TargetRecord,
};
use orgpass_core::{audit::Query, policy::Permit, SpaceKey, Timestamp, TokenHash};
use serde::Deserialize;
use worker::{wasm_bindgen::JsValue, D1PreparedStatement};

use crate::{
    organizations::store::{context_from, CONTEXT_STATEMENTS},
    platform::d1::{changes, int, millis, opt_text, rows, text, time, D1Store},
};

impl D1Store {
    /// Runs `statements` as one batch that also records `event`: its statement goes right
    /// after `statements[change]`, the change it records, and its result is taken out of
    /// the answer, so the caller reads the results of its own statements where they were.
    pub(crate) async fn batch_recording(
        &self,
        mut statements: Vec<D1PreparedStatement>,
        change: usize,
        event: &Event,
        space_key: &SpaceKey,
    ) -> Result<Vec<worker::D1Result>, PortError> {
        let at = (change + 1).min(statements.len());
        statements.insert(at, self.event_stmt(space_key, event)?);
        let mut results = self.batch(statements).await?;
        if results.len() > at {
            results.remove(at);
        }
        Ok(results)
    }

    /// The statement that records `event` in `space_key`'s log, written where `guard`
    /// (SQL over its own `args`, at most [`GUARD_ARGS`], `?1`…) holds when it runs. A
    /// deletion that removes what its event names puts it just before itself, guarded
    /// by its own condition: in the batch's one transaction both see the same rows.
    pub(crate) fn event_stmt_where(
        &self,
        space_key: &SpaceKey,
        event: &Event,
        guard: &str,
        args: &[JsValue],
    ) -> Result<D1PreparedStatement, PortError> {
        self.events_stmt(
            Some(space_key),
            event,
            &format!("SELECT ?11 AS space_key, NULL AS targets, NULL AS actor_id WHERE {guard}"),
            args,
        )
    }

    /// The statement that records `event` about a person (a login, their two-step
    /// verification) in the log of each organization they belong to, the person its
    /// target: the account with `id` when given, else the account with `email` (none
    /// is fine). It is written where `guard` (SQL over `args`, `?1`…, at most
    /// [`GUARD_ARGS`] − 2) holds.
    pub(crate) fn member_events_stmt(
        &self,
        event: &Event,
        (id, email): (Option<&str>, Option<&str>),
        guard: &str,
        args: &[JsValue],
    ) -> Result<D1PreparedStatement, PortError> {
        let (i, e) = (args.len() + 1, args.len() + 2);
        let mut all = args.to_vec();
        all.extend([opt_text(id), opt_text(email)]);
        self.owner_events_stmt(
            event,
            &format!("coalesce(?{i}, (SELECT id FROM accounts WHERE email = ?{e}))"),
            (guard, &all),
            false,
        )
    }

    /// As [`Self::member_events_stmt`], for the account that the SQL `account` names
    /// (over `args`, as `guard`); with `acting` that account is also the actor (the
    /// owner of a link it used, whom only the SQL knows).
    pub(crate) fn owner_events_stmt(
        &self,
        event: &Event,
        account: &str,
        (guard, args): (&str, &[JsValue]),
        acting: bool,
    ) -> Result<D1PreparedStatement, PortError> {
        let actor = if acting { "m.account_id" } else { "NULL" };
        self.events_stmt(
            None,
            event,
            &format!(
                "SELECT m.space_key, json_array(json_object('type', 'account', 'id', m.account_id)) \
                   AS targets, {actor} AS actor_id FROM memberships m \
                 WHERE m.account_id = {account} AND ({guard})"
            ),
            args,
        )
    }

    /// The statement that records `event` once for each row of `rows` (SQL over its
    /// own `args`, `?1`…, at most [`GUARD_ARGS`]), in the log of the row's `space_key`,
    /// with the row's `targets` (a JSON array) or, where that is `NULL`, the event's,
    /// and the row's `actor_id` where the event names none (an account known only to
    /// the SQL, as the owner of a link):
    /// one statement for any number of organizations, as the Cron's set-based writes
    /// and a person's events in each organization they belong to need.
    pub(crate) fn events_stmt(
        &self,
        space_key: Option<&SpaceKey>,
        event: &Event,
        rows: &str,
        args: &[JsValue],
    ) -> Result<D1PreparedStatement, PortError> {
        if args.len() > GUARD_ARGS {
            return Err(PortError("audit: too many guard arguments".to_owned()));
        }
        let targets: Vec<TargetRecord> = event
            .targets
            .iter()
            .map(|t| TargetRecord {
                kind: t.kind.to_owned(),
                id: t.id.clone(),
                name: t.name.clone(),
            })
            .collect();
        let targets =
            serde_json::to_string(&targets).map_err(|e| PortError(format!("json: {e}")))?;
        let details = if event.details.is_empty() {
            JsValue::NULL
        } else {
            let object: serde_json::Map<String, serde_json::Value> = event
                .details
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(v.as_str())))
                .collect();
            text(&serde_json::Value::Object(object).to_string())
        };
        let client = event.client.as_ref();
        let mut all = args.to_vec();
        all.resize(GUARD_ARGS, JsValue::NULL);
        all.extend([
            opt_text(space_key.map(SpaceKey::as_str)),
            time(event.at),
            text(event.action.as_str()),
            text(event.actor.kind.as_str()),
            opt_text(event.actor.id.as_deref()),
            text(&targets),
            opt_text(client.map(|c| c.ip.as_str())),
            opt_text(client.map(|c| c.user_agent.as_str())),
            text(event.outcome.as_str()),
            details,
        ]);
        self.stmt(
            &format!(
                "INSERT INTO audit_events (id, space_key, occurred_at, action, actor_type, actor_id, \
                   actor_email, actor_name, targets, ip, user_agent, outcome, details) \
                 SELECT 'evt_' || lower(hex(randomblob(16))), r.space_key, ?12, ?13, ?14, \
                   coalesce(?15, r.actor_id), \
                   (SELECT email FROM accounts WHERE id = coalesce(?15, r.actor_id) AND ?14 = 'account'), \
                   (SELECT name FROM accounts WHERE id = coalesce(?15, r.actor_id) AND ?14 = 'account'), \
                   (SELECT json_group_array(json_object( \
                       'type', json_extract(t.value, '$.type'), \
                       'id', json_extract(t.value, '$.id'), \
                       'name', COALESCE(json_extract(t.value, '$.name'), \
                         CASE json_extract(t.value, '$.type') \
                         WHEN 'account' THEN (SELECT email FROM accounts \
                           WHERE id = json_extract(t.value, '$.id')) \
                         WHEN 'group' THEN (SELECT name FROM groups \
                           WHERE id = json_extract(t.value, '$.id')) \
                         WHEN 'domain' THEN (SELECT name FROM domains \
                           WHERE id = json_extract(t.value, '$.id')) \
                         WHEN 'organization' THEN (SELECT name FROM organizations \
                           WHERE space_key = json_extract(t.value, '$.id')) \
                         WHEN 'project' THEN (SELECT name FROM projects \
                           WHERE id = json_extract(t.value, '$.id')) END))) \
                     FROM json_each(coalesce(r.targets, ?16)) t), \
                   ?17, ?18, ?19, ?20 \
                 FROM ({rows}) r"
            ),
            &all,
        )
    }

    /// The statement that records `event`, to go right after the statement of the change
    /// it records: it inserts only if that statement changed a row (SQLite's
    /// `changes()`, which counts the connection's last `INSERT`, `UPDATE` or `DELETE`,
    /// not its triggers' rows), so a refused or failed change records nothing. An
    /// account actor's email and name, and a target's name not given (an account's
    /// email, a group's, a domain's or an organization's name), are copied from their
    /// rows.
    fn event_stmt(
        &self,
        space_key: &SpaceKey,
        event: &Event,
    ) -> Result<D1PreparedStatement, PortError> {
        self.event_stmt_where(space_key, event, "changes() > 0", &[])
    }
}

/// The most arguments an event's guard may have.
pub(crate) const GUARD_ARGS: usize = 10;

#[derive(Deserialize)]
pub(crate) struct EventRow {
    seq: f64,
    id: String,
    occurred_at: f64,
    action: String,
    actor_type: String,
    actor_id: Option<String>,
    actor_email: Option<String>,
    actor_name: Option<String>,
    targets: String,
    ip: Option<String>,
    user_agent: Option<String>,
    outcome: String,
    details: Option<String>,
}

/// The condition of the events `query` asks for (with [`ADMIN_SESSION`], read only for
/// an administrator: `?1` token hash, `?2` now, `?3` space key; `?4`…`?8` the filters
/// and cursor, see [`query_args`]). Only the filters given are in the SQL, so SQLite
/// can choose the `(space_key, action, seq)` index for an action (a `?4 IS NULL OR …`
/// would scan the organization's events); the arguments stay in their places.
fn events_where(query: &Query) -> String {
    let mut sql = String::from("space_key = ?3");
    for (given, condition) in [
        (query.action.is_some(), " AND action = ?4"),
        (query.actor_id.is_some(), " AND actor_id = ?5"),
        (query.since.is_some(), " AND occurred_at >= ?6"),
        (query.until.is_some(), " AND occurred_at < ?7"),
        (query.before.is_some(), " AND seq < ?8"),
    ] {
        if given {
            sql.push_str(condition);
        }
    }
    sql
}

/// [`events_where`]'s arguments, then `?9` the most rows.
fn query_args(
    token: &TokenHash,
    now: Timestamp,
    space_key: &SpaceKey,
    query: &Query,
    rows: u32,
) -> [JsValue; 9] {
    [
        text(&token.to_hex()),
        time(now),
        text(space_key.as_str()),
        opt_text(query.action.map(|a| a.as_str())),
        opt_text(query.actor_id.as_deref()),
        query.since.map_or(JsValue::NULL, time),
        query.until.map_or(JsValue::NULL, time),
        query.before.map_or(JsValue::NULL, int),
        int(i64::from(rows)),
    ]
}

/// One CSV field of `expr` (RFC 4180): always quoted, inner quotes doubled, `NULL` as
/// empty. A value that a spreadsheet would run as a formula (first character `=`, `+`,
/// `-`, `@`, tab or CR: a name or user agent anyone can choose) gets a leading `'`, as
/// OWASP advises for CSV exports.
fn csv_field(expr: &str) -> String {
    format!(
        "'\"' || replace(CASE WHEN substr({expr}, 1, 1) IN ('=', '+', '-', '@', char(9), char(13)) \
           THEN '''' || {expr} ELSE coalesce({expr}, '') END, '\"', '\"\"') || '\"'"
    )
}

impl D1Store {
    /// The statement of a CSV chunk: the events' lines, formatted by SQLite and joined
    /// into one string (one value for the Worker to pass on, however many rows), with
    /// their count and the oldest one's place. The lines are joined in the subquery's
    /// order, newest first.
    fn csv_stmt(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        (query, rows): (&Query, u32),
    ) -> Result<D1PreparedStatement, PortError> {
        let line = [
            csv_field("id"),
            csv_field("strftime('%Y-%m-%dT%H:%M:%SZ', occurred_at / 1000, 'unixepoch')"),
            csv_field("action"),
            csv_field("actor_type"),
            csv_field("actor_id"),
            csv_field("actor_email"),
            csv_field("actor_name"),
            csv_field("targets"),
            csv_field("ip"),
            csv_field("user_agent"),
            csv_field("outcome"),
            csv_field("coalesce(details, '{}')"),
        ]
        .join(" || ',' || ");
        self.stmt(
            &format!(
                "SELECT coalesce(group_concat(line, ''), '') AS text, count(*) AS n, min(seq) AS last \
                 FROM (SELECT seq, {line} || char(13, 10) AS line FROM audit_events \
                   WHERE {filters} AND {ADMIN_SESSION} ORDER BY seq DESC LIMIT ?9)",
                filters = events_where(query)
            ),
            &query_args(token, now, space_key, query, rows),
        )
    }
}

impl D1Store {
    /// The statement of the organization's stream with its waiting events, for an
    /// administrator's session (`?1` token hash, `?2` now, `?3` space key).
    fn stream_stmt(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<D1PreparedStatement, PortError> {
        self.stmt(
            &format!(
                "SELECT url, created_at, attempts, next_attempt_at, last_attempt_at, last_delivered_at, \
                   last_error, (SELECT count(*) FROM audit_events e \
                     WHERE e.space_key = st.space_key AND e.seq > st.delivered_seq) AS pending \
                 FROM audit_streams st WHERE st.space_key = ?3 AND {ADMIN_SESSION}"
            ),
            &[text(&token.to_hex()), time(now), text(space_key.as_str())],
        )
    }
}

/// A [`D1Store::stream_stmt`] result.
fn stream_from(result: Option<&worker::D1Result>) -> Result<Option<StreamRecord>, PortError> {
    // Counts: small integers.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(rows::<StreamRow>(result)?
        .into_iter()
        .next()
        .map(|r| StreamRecord {
            url: r.url,
            created_at: millis(r.created_at),
            pending: r.pending as u64,
            attempts: r.attempts as u32,
            next_attempt_at: millis(r.next_attempt_at),
            last_attempt_at: r.last_attempt_at.map(millis),
            last_delivered_at: r.last_delivered_at.map(millis),
            last_error: r.last_error,
        }))
}

/// A [`D1Store::csv_stmt`] result.
fn csv_chunk(result: Option<&worker::D1Result>) -> Result<CsvChunk, PortError> {
    #[derive(Deserialize)]
    struct Row {
        text: String,
        n: f64,
        last: Option<f64>,
    }
    let row = rows::<Row>(result)?
        .into_iter()
        .next()
        .ok_or_else(|| PortError("d1: no CSV chunk".to_owned()))?;
    // Counts and sequence numbers: integers well inside f64's exact range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(CsvChunk {
        text: row.text,
        rows: row.n as u32,
        last: row.last.map(|l| l as i64),
    })
}

/// The session `?1` (now `?2`) is an administrator of `?3`.
const ADMIN_SESSION: &str = "EXISTS (SELECT 1 FROM sessions s JOIN memberships m \
     ON m.account_id = s.account_id AND m.space_key = ?3 AND m.role = 'administrator' \
     WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2)";

#[derive(Deserialize)]
struct StreamRow {
    url: String,
    created_at: f64,
    pending: f64,
    attempts: f64,
    next_attempt_at: f64,
    last_attempt_at: Option<f64>,
    last_delivered_at: Option<f64>,
    last_error: Option<String>,
}

#[derive(Deserialize)]
struct DueRow {
    space_key: String,
    url: String,
    secret: String,
    delivered_seq: f64,
    attempts: f64,
}

impl AuditStore for D1Store {
    async fn audit_stream(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<(MemberContext, Option<StreamRecord>)>, PortError> {
        let mut statements = self.context_statements(token, now, space_key)?;
        statements.push(self.stream_stmt(token, now, space_key)?);
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        let stream = stream_from(results.get(CONTEXT_STATEMENTS))?;
        Ok(Some((context, stream)))
    }

    async fn put_audit_stream(
        &self,
        permit: &Permit,
        (url, secret): (&str, &str),
        now: Timestamp,
        event: &Event,
    ) -> Result<(), PortError> {
        let space_key = permit.space_key();
        // A new stream starts after the newest event now; a replaced one keeps its place
        // (what its old endpoint did not acknowledge goes to the new one).
        self.batch_recording(
            vec![self.stmt(
                "INSERT INTO audit_streams (space_key, url, secret, created_at, delivered_seq, next_attempt_at) \
                 VALUES (?1, ?2, ?3, ?4, coalesce((SELECT max(seq) FROM audit_events WHERE space_key = ?1), 0), ?4) \
                 ON CONFLICT (space_key) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
                   created_at = excluded.created_at, attempts = 0, next_attempt_at = excluded.next_attempt_at, \
                   last_error = NULL",
                &[text(space_key.as_str()), text(url), text(secret), time(now)],
            )?],
            0,
            event,
            space_key,
        )
        .await?;
        Ok(())
    }

    async fn delete_audit_stream(&self, permit: &Permit, event: &Event) -> Result<bool, PortError> {
        let space_key = permit.space_key();
        let key = text(space_key.as_str());
        let results = self
            .batch(vec![
                self.event_stmt_where(
                    space_key,
                    event,
                    "EXISTS (SELECT 1 FROM audit_streams WHERE space_key = ?1)",
                    std::slice::from_ref(&key),
                )?,
                self.stmt("DELETE FROM audit_streams WHERE space_key = ?1", &[key])?,
            ])
            .await?;
        Ok(changes(results.get(1))? == 1)
    }

    async fn due_streams(&self, now: Timestamp, limit: u32) -> Result<Vec<DueStream>, PortError> {
        let result = self
            .one(self.stmt(
                "SELECT space_key, url, secret, delivered_seq, attempts FROM audit_streams st \
                 WHERE next_attempt_at <= ?1 AND EXISTS (SELECT 1 FROM audit_events e \
                   WHERE e.space_key = st.space_key AND e.seq > st.delivered_seq) \
                 ORDER BY next_attempt_at LIMIT ?2",
                &[time(now), int(i64::from(limit))],
            )?)
            .await?;
        // Sequence numbers and counts: integers well inside f64's exact range.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        rows::<DueRow>(Some(&result))?
            .into_iter()
            .map(|r| {
                Ok(DueStream {
                    space_key: SpaceKey::parse(&r.space_key)
                        .ok_or_else(|| PortError("d1: a stream's space key".to_owned()))?,
                    url: r.url,
                    secret: r.secret,
                    delivered_seq: r.delivered_seq as i64,
                    attempts: r.attempts as u32,
                })
            })
            .collect()
    }

    async fn stream_events(
        &self,
        space_key: &SpaceKey,
        after: i64,
        limit: u32,
    ) -> Result<Vec<EventRecord>, PortError> {
        let result = self
            .one(self.stmt(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM audit_events WHERE space_key = ?1 AND seq > ?2 \
                     ORDER BY seq LIMIT ?3"
                ),
                &[text(space_key.as_str()), int(after), int(i64::from(limit))],
            )?)
            .await?;
        event_records(Some(&result))
    }

    async fn stream_attempted(
        &self,
        space_key: &SpaceKey,
        from: i64,
        outcome: &StreamOutcome,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let (key, from, now) = (text(space_key.as_str()), int(from), time(now));
        let statement = match outcome {
            StreamOutcome::Delivered(last) => self.stmt(
                "UPDATE audit_streams SET delivered_seq = ?3, attempts = 0, next_attempt_at = ?4, \
                   last_attempt_at = ?4, last_delivered_at = ?4, last_error = NULL \
                 WHERE space_key = ?1 AND delivered_seq = ?2",
                &[key, from, int(*last), now],
            )?,
            StreamOutcome::Failed(why, next) => self.stmt(
                "UPDATE audit_streams SET attempts = attempts + 1, next_attempt_at = ?3, \
                   last_attempt_at = ?4, last_error = ?5 \
                 WHERE space_key = ?1 AND delivered_seq = ?2",
                &[key, from, time(*next), now, text(why)],
            )?,
        };
        let result = self.one(statement).await?;
        Ok(changes(Some(&result))? == 1)
    }

    async fn audit_csv(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        ask: (&Query, u32),
    ) -> Result<Option<(MemberContext, CsvChunk)>, PortError> {
        let mut statements = self.context_statements(token, now, space_key)?;
        statements.push(self.csv_stmt(token, now, space_key, ask)?);
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        Ok(Some((context, csv_chunk(results.get(CONTEXT_STATEMENTS))?)))
    }

    async fn audit_csv_next(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        ask: (&Query, u32),
    ) -> Result<CsvChunk, PortError> {
        let result = self.one(self.csv_stmt(token, now, space_key, ask)?).await?;
        csv_chunk(Some(&result))
    }

    async fn audit_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        query: &Query,
    ) -> Result<Option<(MemberContext, Vec<EventRecord>, Option<StreamRecord>)>, PortError> {
        let mut statements = self.context_statements(token, now, space_key)?;
        statements.push(self.stmt(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM audit_events \
                 WHERE {filters} AND {ADMIN_SESSION} ORDER BY seq DESC LIMIT ?9",
                filters = events_where(query)
            ),
            &query_args(token, now, space_key, query, query.limit),
        )?);
        statements.push(self.stream_stmt(token, now, space_key)?);
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        let events = event_records(results.get(CONTEXT_STATEMENTS))?;
        let stream = stream_from(results.get(CONTEXT_STATEMENTS + 1))?;
        Ok(Some((context, events, stream)))
    }
}

/// An event's `details` column read back: its strings by key (`null`s left out).
pub(crate) fn details_of(column: Option<&str>) -> Vec<(String, String)> {
    column
        .and_then(|c| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(c).ok())
        .map(|object| {
            object
                .into_iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The columns [`event_records`] reads.
pub(crate) const EVENT_COLUMNS: &str = "seq, id, occurred_at, action, actor_type, actor_id, \
   actor_email, actor_name, targets, ip, user_agent, outcome, details";

/// Events read with [`EVENT_COLUMNS`].
// Sequence numbers and times: integers well inside f64's exact range.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn event_records(
    result: Option<&worker::D1Result>,
) -> Result<Vec<EventRecord>, PortError> {
    rows::<EventRow>(result)?
        .into_iter()
        .map(|r| {
            Ok(EventRecord {
                seq: r.seq as i64,
                targets: serde_json::from_str(&r.targets)
                    .map_err(|_| PortError(format!("d1: targets of event {}", r.id)))?,
                id: r.id,
                occurred_at: millis(r.occurred_at),
                action: r.action,
                actor_type: r.actor_type,
                actor_id: r.actor_id,
                actor_email: r.actor_email,
                actor_name: r.actor_name,
                ip: r.ip,
                user_agent: r.user_agent,
                outcome: r.outcome,
                details: details_of(r.details.as_deref()),
            })
        })
        .collect()
}
