-- orgpass schema, part 18: the audit log (docs/api.md "Audit log"). An event is inserted
-- by the batch that makes the change it records, by the statement right after the
-- change's, and only if that statement changed a row (SQLite's changes(); see
-- src/audit/store.rs). `seq` orders the log (newest first) and is the cursor; `id` is
-- the public, random id. Actor email and name are copied when the event is written, so
-- that the log still says who it was after an account is gone.
CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  occurred_at INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor_type TEXT NOT NULL CHECK (actor_type IN ('account', 'operator', 'scim', 'idp', 'system')),
  actor_id TEXT,
  actor_email TEXT,
  actor_name TEXT,
  targets TEXT NOT NULL DEFAULT '[]',         -- JSON [{type, id, name}]
  ip TEXT,
  user_agent TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure'))
);
CREATE INDEX audit_events_org ON audit_events (space_key, seq);
CREATE INDEX audit_events_org_action ON audit_events (space_key, action, seq);
CREATE INDEX audit_events_time ON audit_events (occurred_at);
