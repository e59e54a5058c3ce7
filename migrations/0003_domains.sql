-- orgpass schema, part 3: domains an organization proves it controls.
-- The TXT value is not secret (it is published in DNS); it is random so that one
-- organization cannot reuse another's record.

CREATE TABLE domains (
  id TEXT PRIMARY KEY,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  name TEXT NOT NULL,                          -- normalised: lower case, punycode, no final dot
  txt_value TEXT NOT NULL,                     -- orgpass-verification=<random>
  status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed')),
  since INTEGER,                               -- pending: added or dropped back at
  checks INTEGER NOT NULL DEFAULT 0,           -- pending: automatic checks so far (back-off)
  next_check INTEGER,                          -- pending, verified: when the Cron checks next
  verified_at INTEGER,
  misses INTEGER NOT NULL DEFAULT 0,           -- verified: consecutive daily misses
  failed_at INTEGER,
  last_checked_at INTEGER,
  last_found TEXT NOT NULL DEFAULT '[]',       -- JSON array of the TXT values found last time
  created_at INTEGER NOT NULL,
  UNIQUE (space_key, name)
);
CREATE INDEX domains_due ON domains (status, next_check);
CREATE INDEX domains_name ON domains (name, status);
