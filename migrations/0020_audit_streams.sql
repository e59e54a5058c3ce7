-- orgpass schema, part 20: log streaming (docs/api.md "Audit log"). An organization's
-- endpoint receives its events as signed POSTs, in order, at least once. The queue is
-- the log itself: `delivered_seq` is the last event the endpoint acknowledged (2xx),
-- every later event of the organization waits, and the Cron delivers them in order,
-- a batch at a time, moving `delivered_seq` by compare-and-set only after a 2xx.
-- `secret` signs the POSTs (HMAC-SHA256, as Stripe signs webhooks); it is needed in
-- full to sign, so it is kept as the credential it is (shown once, replaced by
-- registering again), never logged.
CREATE TABLE audit_streams (
  space_key TEXT PRIMARY KEY REFERENCES organizations (space_key) ON DELETE CASCADE,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  delivered_seq INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,       -- failed deliveries in a row
  next_attempt_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_delivered_at INTEGER,
  last_error TEXT
);
CREATE INDEX audit_streams_due ON audit_streams (next_attempt_at);
