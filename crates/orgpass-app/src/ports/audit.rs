//! The audit log (docs/api.md "Audit log"): the event a write records, and the log as
//! administrators read it.

use orgpass_core::{
    audit::{Action, ActorType, Outcome, Query, Target},
    SpaceKey, Timestamp, TokenHash,
};

use orgpass_core::policy::Permit;

use super::{Client, MemberContext, PortError};

/// Who acted. The store copies an account's email and name into the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// What kind of actor.
    pub kind: ActorType,
    /// An account's id, a provisioning token's id; `None` for the operator and the Cron.
    pub id: Option<String>,
}

impl Actor {
    /// A signed-in account.
    #[must_use]
    pub fn account(id: &str) -> Self {
        Self {
            kind: ActorType::Account,
            id: Some(id.to_owned()),
        }
    }

    /// Someone not signed in (a login attempt): an account actor without an id.
    #[must_use]
    pub const fn anyone() -> Self {
        Self {
            kind: ActorType::Account,
            id: None,
        }
    }

    /// orgpass itself: the Cron, a payment provider's webhook.
    #[must_use]
    pub const fn system() -> Self {
        Self {
            kind: ActorType::System,
            id: None,
        }
    }

    /// orgpass's staff.
    #[must_use]
    pub const fn operator() -> Self {
        Self {
            kind: ActorType::Operator,
            id: None,
        }
    }

    /// The organization's IdP, named by its entity ID once its signature checked out.
    #[must_use]
    pub fn idp(entity_id: Option<&str>) -> Self {
        Self {
            kind: ActorType::Idp,
            id: entity_id.map(str::to_owned),
        }
    }
}

/// An event to record with the change it describes: the store writes it in the change's
/// batch, right after the change's statement, and only if that statement changed a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub action: Action,
    /// Who did it.
    pub actor: Actor,
    /// To what.
    pub targets: Vec<Target>,
    /// Whether it happened.
    pub outcome: Outcome,
    /// When.
    pub at: Timestamp,
    /// From where (none for the Cron).
    pub client: Option<Client>,
    /// What else the event says (`reference`, `reason` …), in order.
    pub details: Vec<(&'static str, String)>,
}

impl Event {
    /// The event with `target` added.
    #[must_use]
    pub fn target(mut self, kind: &'static str, id: &str, name: Option<&str>) -> Self {
        self.targets.push(Target::new(kind, id, name));
        self
    }

    /// The event with the detail `key` set to `value`.
    #[must_use]
    pub fn detail(mut self, key: &'static str, value: &str) -> Self {
        self.details.push((key, value.to_owned()));
        self
    }

    /// The event of an attempt that changed nothing (`outcome: failure`).
    #[must_use]
    pub const fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }
}

/// A target as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct TargetRecord {
    /// `account`, `group`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Its name when the event was written.
    pub name: Option<String>,
}

/// An event as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Its place in the log (the cursor).
    pub seq: i64,
    /// Its public id.
    pub id: String,
    /// When.
    pub occurred_at: Timestamp,
    /// The action's name.
    pub action: String,
    /// The actor's kind.
    pub actor_type: String,
    /// The actor's id.
    pub actor_id: Option<String>,
    /// An account actor's email then.
    pub actor_email: Option<String>,
    /// An account actor's name then.
    pub actor_name: Option<String>,
    /// The targets.
    pub targets: Vec<TargetRecord>,
    /// The client's address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// Its details, by key.
    pub details: Vec<(String, String)>,
}

/// A chunk of the CSV export: its lines, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvChunk {
    /// The events' lines (RFC 4180, CRLF ends), newest first.
    pub text: String,
    /// How many events.
    pub rows: u32,
    /// The oldest event's place in the log (the next chunk's cursor).
    pub last: Option<i64>,
}

/// An organization's log stream as its administrators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    /// Where events are POSTed.
    pub url: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// Events waiting (after the last one delivered).
    pub pending: u64,
    /// Failed deliveries in a row.
    pub attempts: u32,
    /// When the Cron tries next.
    pub next_attempt_at: Timestamp,
    /// The last delivery attempt.
    pub last_attempt_at: Option<Timestamp>,
    /// The last delivery the endpoint acknowledged.
    pub last_delivered_at: Option<Timestamp>,
    /// Why the last attempt failed (status or error), while failing.
    pub last_error: Option<String>,
}

/// A stream the Cron is to deliver to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueStream {
    /// The organization.
    pub space_key: SpaceKey,
    /// Where.
    pub url: String,
    /// The signing secret.
    pub secret: String,
    /// The last event delivered: the next batch starts after it.
    pub delivered_seq: i64,
    /// Failed deliveries in a row so far.
    pub attempts: u32,
}

/// How a delivery attempt ended, written by compare-and-set on the stream's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamOutcome {
    /// Acknowledged up to and including this event.
    Delivered(i64),
    /// Not acknowledged: why, and when to try again.
    Failed(String, Timestamp),
}

/// POSTs a stream's events to its endpoint (the edge's `fetch`).
pub trait StreamSender {
    /// Sends `events` (oldest first) to `url`, signed with `secret` at `now`.
    ///
    /// # Errors
    /// Why the endpoint did not acknowledge them (a status other than 2xx, a network
    /// error, the time-out).
    async fn send(
        &self,
        url: &str,
        secret: &str,
        events: &[EventRecord],
        now: Timestamp,
    ) -> Result<(), String>;
}

/// Reading the audit log.
pub trait AuditStore {
    /// The viewer's context and the organization's stream (one round trip).
    async fn audit_stream(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<(MemberContext, Option<StreamRecord>)>, PortError>;

    /// Registers (or replaces) the stream at `endpoint`'s URL with its new secret; it
    /// delivers the events after the newest one now, starting with `event` (written
    /// in the same batch).
    async fn put_audit_stream(
        &self,
        permit: &Permit,
        endpoint: (&str, &str),
        now: Timestamp,
        event: &Event,
    ) -> Result<(), PortError>;

    /// Removes the stream; `false` when there was none.
    async fn delete_audit_stream(&self, permit: &Permit, event: &Event) -> Result<bool, PortError>;

    /// Streams due at `now` with events waiting, the longest waiting first, at most
    /// `limit`.
    async fn due_streams(&self, now: Timestamp, limit: u32) -> Result<Vec<DueStream>, PortError>;

    /// The stream's next events after `after`, oldest first, at most `limit`.
    async fn stream_events(
        &self,
        space_key: &SpaceKey,
        after: i64,
        limit: u32,
    ) -> Result<Vec<EventRecord>, PortError>;

    /// Writes how the attempt from `from` ended, only if the stream is still at `from`
    /// (a concurrent run that delivered first wins; nothing is sent twice by design
    /// beyond at-least-once).
    async fn stream_attempted(
        &self,
        space_key: &SpaceKey,
        from: i64,
        outcome: &StreamOutcome,
        now: Timestamp,
    ) -> Result<bool, PortError>;

    /// As [`Self::audit_page`], but the events come as CSV lines (the store formats
    /// them, so the Worker only passes text on); `ask` is the query and the most
    /// events.
    async fn audit_csv(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        ask: (&Query, u32),
    ) -> Result<Option<(MemberContext, CsvChunk)>, PortError>;

    /// The next CSV chunk of `query` (its cursor moved on), read only while the
    /// session is an administrator's: empty once it is not.
    async fn audit_csv_next(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        ask: (&Query, u32),
    ) -> Result<CsvChunk, PortError>;

    /// The viewer's context and, for an administrator of `space_key`, the page of its
    /// events that `query` asks for, newest first, and its log stream (one round trip).
    async fn audit_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        query: &Query,
    ) -> Result<Option<(MemberContext, Vec<EventRecord>, Option<StreamRecord>)>, PortError>;
}
