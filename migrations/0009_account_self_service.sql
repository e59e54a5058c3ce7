-- Account self-service: password reset and email-change links, and sessions a person
-- can see and end.
--
-- account_tokens gains two purposes (a CHECK cannot be altered in SQLite, so the table
-- is rebuilt; nothing references it):
--   reset_password  the emailed "forgot password" link (1 hour);
--   change_email    the link sent to a new address, which carries that address in
--                   new_email until it is confirmed.
-- and spent_by: a random value the spending batch writes with used_at, so the rest of
-- that batch acts only on its own spend (two spends in one millisecond cannot both
-- pass a check of used_at alone).
CREATE TABLE account_tokens_next (
  token_hash TEXT PRIMARY KEY,
  purpose TEXT NOT NULL
    CHECK (purpose IN ('verify_email', 'set_password', 'reset_password', 'change_email')),
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  browser_hash TEXT,
  new_email TEXT,
  spent_by TEXT,
  CHECK ((purpose = 'change_email') = (new_email IS NOT NULL))
);
INSERT INTO account_tokens_next
  (token_hash, purpose, account_id, created_at, expires_at, used_at, browser_hash)
  SELECT token_hash, purpose, account_id, created_at, expires_at, used_at, browser_hash
  FROM account_tokens;
DROP TABLE account_tokens;
ALTER TABLE account_tokens_next RENAME TO account_tokens;
CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose);

-- A session has a public id (the token's hash never leaves the database), the client
-- that signed in, and when it was last used (refreshed at most every few minutes).
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN last_used_at INTEGER;
UPDATE sessions SET id = 'sess_' || lower(hex(randomblob(12))), last_used_at = created_at;
CREATE UNIQUE INDEX sessions_id ON sessions (id);
