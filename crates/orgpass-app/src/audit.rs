//! Reading the audit log (docs/api.md "Audit log"): administrators only, their own
//! organization's events only, newest first, one page per round trip. Events are written
//! by the writes they record (each store adds the event to the change's batch).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use orgpass_core::{
    audit::{Action, Query, CSV_CHUNK, CSV_HEADER},
    log_stream::{self, BATCH, SECRET_BYTES, STREAMS_PER_RUN},
    policy::OrgAction,
    FieldError, SpaceKey, TokenHash,
};

use super::{
    orgs::{decide, OrgView},
    ports::{
        AccountStore, Actor, AuditStore, CsvChunk, EventRecord, OrgStore, Random, StreamOutcome,
        StreamRecord, StreamSender,
    },
    App, AppError,
};

/// What a Cron run's deliveries did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Events acknowledged.
    pub delivered: u64,
    /// Streams whose attempt failed.
    pub failed: u64,
}

/// The CSV export under way: what it asks and where it is.
#[derive(Debug, Clone)]
pub struct CsvExport {
    /// The session that asked.
    pub token: TokenHash,
    /// The organization.
    pub space_key: SpaceKey,
    /// The filters; `before` moves on with each chunk.
    pub query: Query,
    /// Whether another chunk may follow.
    pub more: bool,
}

/// One page of the log.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The viewer and the organization.
    pub view: OrgView,
    /// The events, newest first.
    pub events: Vec<EventRecord>,
    /// The cursor of the next (older) page, when this one is full.
    pub next: Option<String>,
    /// The organization's log stream, if any (the tab shows its state).
    pub stream: Option<StreamRecord>,
}

impl<S: AccountStore + OrgStore + AuditStore, H, R: Random> App<S, H, R> {
    /// The page of `key`'s events that `query` asks for (administrators; one round
    /// trip). A query that did not read is refused only for someone who may read.
    ///
    /// # Errors
    /// The query's field error, [`AppError::Forbidden`], [`AppError::NotFound`],
    /// [`AppError::Unauthenticated`], [`AppError::Unavailable`].
    pub async fn audit_events(
        &self,
        token: &TokenHash,
        key: &str,
        query: Result<Query, FieldError>,
    ) -> Result<AuditPage, AppError> {
        self.audit_read(token, key, query)
            .await?
            .map_err(|(_, e)| e.into())
    }

    /// As [`Self::audit_events`], but a query that did not read comes back with the
    /// viewer's view of the organization (which the Audit log tab shows around the
    /// field's message), read in the same one round trip as the right.
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::Unauthenticated`],
    /// [`AppError::Unavailable`].
    pub async fn audit_read(
        &self,
        token: &TokenHash,
        key: &str,
        query: Result<Query, FieldError>,
    ) -> Result<Result<AuditPage, (OrgView, FieldError)>, AppError> {
        let query = match query {
            Ok(query) => query,
            Err(e) => {
                let (view, _) = self.member(token, key, OrgAction::ReadAuditLog).await?;
                return Ok(Err((view, e)));
            }
        };
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let (context, events, stream) = self
            .store
            .audit_page(token, self.now, &space_key, &query)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (view, _) = decide(context, OrgAction::ReadAuditLog)?;
        let full = u32::try_from(events.len()).unwrap_or(u32::MAX) >= query.limit;
        let next = events
            .last()
            .filter(|_| full)
            .map(|e| orgpass_core::audit::cursor(e.seq));
        Ok(Ok(AuditPage {
            view,
            events,
            next,
            stream,
        }))
    }

    /// The CSV export of `key`'s events that `query` filters (its `limit` does not
    /// apply: every matching event, newest first): the header and the first chunk,
    /// after the right (one round trip), and the export to go on with
    /// ([`Self::audit_csv_next`]).
    ///
    /// # Errors
    /// As [`Self::audit_events`].
    pub async fn audit_csv(
        &self,
        token: &TokenHash,
        key: &str,
        query: Result<Query, FieldError>,
    ) -> Result<(String, CsvExport), AppError> {
        let query = match query {
            Ok(query) => query,
            Err(e) => {
                self.member(token, key, OrgAction::ReadAuditLog).await?;
                return Err(e.into());
            }
        };
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let (context, chunk) = self
            .store
            .audit_csv(token, self.now, &space_key, (&query, CSV_CHUNK))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        decide(context, OrgAction::ReadAuditLog)?;
        let mut export = CsvExport {
            token: *token,
            space_key,
            query,
            more: false,
        };
        let text = format!("{CSV_HEADER}{}", export.advance(chunk));
        Ok((text, export))
    }

    /// The export's next chunk of lines; `None` when it is done. Each chunk is one
    /// round trip that reads only while the session is still an administrator's.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn audit_csv_next(&self, export: &mut CsvExport) -> Result<Option<String>, AppError> {
        if !export.more {
            return Ok(None);
        }
        let chunk = self
            .store
            .audit_csv_next(
                &export.token,
                self.now,
                &export.space_key,
                (&export.query, CSV_CHUNK),
            )
            .await?;
        Ok(Some(export.advance(chunk)).filter(|text| !text.is_empty()))
    }
}

impl<S: AccountStore + OrgStore + AuditStore, H, R: Random> App<S, H, R> {
    /// The organization's log stream (administrators; one round trip).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::Unauthenticated`].
    pub async fn audit_stream(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<(OrgView, Option<StreamRecord>), AppError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let (context, stream) = self
            .store
            .audit_stream(token, self.now, &space_key)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (view, _) = decide(context, OrgAction::ReadAuditLog)?;
        Ok((view, stream))
    }

    /// Registers the endpoint that receives the log's events from now on, with a new
    /// signing secret, which is returned this once (administrators). Registering again
    /// replaces the endpoint and the secret.
    ///
    /// # Errors
    /// `invalid_url`, [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn set_audit_stream(
        &self,
        token: &TokenHash,
        key: &str,
        url: &str,
    ) -> Result<String, AppError> {
        let url = log_stream::endpoint(url.trim())?;
        let (view, permit) = self.member(token, key, OrgAction::ReadAuditLog).await?;
        let secret = format!(
            "whsec_{}",
            B64URL.encode(self.random_bytes::<SECRET_BYTES>()?)
        );
        let event = self
            .event(Action::AuditStreamUpdated, Actor::account(&view.viewer.id))
            .detail("url", &url);
        self.store
            .put_audit_stream(&permit, (&url, &secret), self.now, &event)
            .await?;
        Ok(secret)
    }

    /// Removes the endpoint (administrators).
    ///
    /// # Errors
    /// [`AppError::NotFound`] (also when there is none), [`AppError::Forbidden`].
    pub async fn remove_audit_stream(&self, token: &TokenHash, key: &str) -> Result<(), AppError> {
        let (view, permit) = self.member(token, key, OrgAction::ReadAuditLog).await?;
        let event = self.event(Action::AuditStreamDeleted, Actor::account(&view.viewer.id));
        if self.store.delete_audit_stream(&permit, &event).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

impl<S: AuditStore, H, R> App<S, H, R> {
    /// The Cron's deliveries: each due stream gets its next batch of events, oldest
    /// first; a 2xx moves the stream past them, anything else schedules a retry with
    /// back-off. One organization's events go in order: the next batch starts only
    /// after this one is acknowledged.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store fails (an endpoint's failure is the
    /// stream's, recorded on it).
    pub async fn deliver_audit_streams(
        &self,
        sender: &impl StreamSender,
    ) -> Result<StreamReport, AppError> {
        let mut report = StreamReport::default();
        for stream in self.store.due_streams(self.now, STREAMS_PER_RUN).await? {
            let events = self
                .store
                .stream_events(&stream.space_key, stream.delivered_seq, BATCH)
                .await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                continue;
            };
            let outcome = match sender
                .send(&stream.url, &stream.secret, &events, self.now)
                .await
            {
                Ok(()) => {
                    report.delivered += events.len() as u64;
                    StreamOutcome::Delivered(last)
                }
                Err(why) => {
                    report.failed += 1;
                    StreamOutcome::Failed(
                        why,
                        log_stream::next_attempt(self.now, stream.attempts + 1),
                    )
                }
            };
            self.store
                .stream_attempted(&stream.space_key, stream.delivered_seq, &outcome, self.now)
                .await?;
        }
        Ok(report)
    }
}

impl CsvExport {
    /// Takes `chunk` in: the cursor moves past it; more may follow a full one.
    fn advance(&mut self, chunk: CsvChunk) -> String {
        self.more = chunk.rows >= CSV_CHUNK;
        if let Some(last) = chunk.last {
            self.query.before = Some(last);
        }
        chunk.text
    }
}
