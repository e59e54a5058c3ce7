-- Back-Channel Logout 1.0: a queue of logout tokens to deliver, one row per (client,
-- ended session), each with its own jti. Rows are made by triggers, so that every way
-- an orgpass session ends (today's and tomorrow's) tells the clients that hold tokens
-- of it: an UPDATE that sets sessions.revoked_at (logout, password reset, a session
-- ended from /account, a managed account losing access, RP-initiated logout), and the
-- deletion of an account (its live sessions go with it).
--
-- A new row is due at once (next_attempt_at 0). Delivery (after the response, then by
-- the Cron until delivered or out of attempts)
-- leases rows with leased_by, so that two deliverers do not post the same row at once;
-- a crash after a post only means it is posted again (at least once, same jti).
CREATE TABLE oidc_logouts (
  jti TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  leased_by TEXT,
  delivered_at INTEGER,
  last_error TEXT
);
CREATE INDEX oidc_logouts_due ON oidc_logouts (next_attempt_at) WHERE delivered_at IS NULL;

CREATE TRIGGER oidc_logout_on_session_end AFTER UPDATE OF revoked_at ON sessions
WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
BEGIN
  INSERT INTO oidc_logouts (jti, client_id, session_id, account_id, created_at, next_attempt_at)
  SELECT lower(hex(randomblob(16))), c.client_id, NEW.id, NEW.account_id, NEW.revoked_at, 0
  FROM oidc_clients c
  WHERE c.backchannel_logout_uri IS NOT NULL
    AND EXISTS (SELECT 1 FROM oidc_tokens t WHERE t.session_id = NEW.id AND t.client_id = c.client_id);
END;

-- BEFORE: the account's sessions and tokens are still there (they go by cascade).
CREATE TRIGGER oidc_logout_on_account_delete BEFORE DELETE ON accounts
BEGIN
  INSERT INTO oidc_logouts (jti, client_id, session_id, account_id, created_at, next_attempt_at)
  SELECT lower(hex(randomblob(16))), c.client_id, s.id, OLD.id,
         CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0
  FROM sessions s JOIN oidc_clients c ON c.backchannel_logout_uri IS NOT NULL
  WHERE s.account_id = OLD.id AND s.revoked_at IS NULL
    AND EXISTS (SELECT 1 FROM oidc_tokens t WHERE t.session_id = s.id AND t.client_id = c.client_id);
END;
