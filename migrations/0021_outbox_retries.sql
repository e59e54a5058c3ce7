-- orgpass schema, part 21: mail that is never lost or sent twice (issue #16). A sender
-- claims a message before sending it (`lease_id` until `lease_until`, taken by one
-- conditional update), so concurrent senders never send the same message; a message
-- the provider could not take waits until `next_attempt_at` (back-off, the provider's
-- Retry-After) and is retried for 24 hours before it is given up (`failed`, which the
-- operator lists). A new message is due at once (0).
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN lease_id TEXT;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
