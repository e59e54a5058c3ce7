-- Two-step verification (TOTP, RFC 6238) and organizations that require it.
--
-- accounts:
--   totp_secret      base32 secret while two-step verification is on
--   totp_pending     an enrolment's secret until a first code confirms it
--   totp_enabled_at  when it was turned on (NULL: off)
--   totp_last_step   the last 30-second step whose code was accepted: a code works once
--   totp_marker      a random value of the batch that accepted it, so the rest of that
--                    batch acts only on its own acceptance
ALTER TABLE accounts ADD COLUMN totp_secret TEXT;
ALTER TABLE accounts ADD COLUMN totp_pending TEXT;
ALTER TABLE accounts ADD COLUMN totp_enabled_at INTEGER;
ALTER TABLE accounts ADD COLUMN totp_last_step INTEGER;
ALTER TABLE accounts ADD COLUMN totp_marker TEXT;

-- Single-use recovery codes, as SHA-256 digests (10 per enrolment).
CREATE TABLE recovery_codes (
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at INTEGER,
  spent_by TEXT,
  PRIMARY KEY (account_id, code_hash)
);

-- A login whose password was right, waiting for its second step: a short-lived token
-- (its hash here), at most 5 codes tried, spent once.
CREATE TABLE two_step_challenges (
  token_hash TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  used_at INTEGER,
  spent_by TEXT
);
CREATE INDEX two_step_challenges_account ON two_step_challenges (account_id);
CREATE INDEX two_step_challenges_expiry ON two_step_challenges (expires_at);

-- While on, a normal member without two-step verification is refused the
-- organization's routes (403 two_step_required); managed accounts are exempt.
ALTER TABLE organizations ADD COLUMN require_two_step INTEGER NOT NULL DEFAULT 0
  CHECK (require_two_step IN (0, 1));
