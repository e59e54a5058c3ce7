-- OpenID Connect grants. Codes and tokens are 256-bit random values kept only as their
-- SHA-256 (hex). Every code and the tokens it leads to share a family_id: a reused code
-- or refresh token ends the whole family (docs/api.md "Products sign in").
--
-- oidc_codes: an authorization code, single use, for 60 seconds. It remembers the
-- orgpass session (session_id = sessions.id, its `sid`) and the login's time; spent_by is
-- the marker of the exchange that used it (the rest of that batch acts on its own spend).
CREATE TABLE oidc_codes (
  code_hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL,
  client_id TEXT NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  scope TEXT NOT NULL,
  nonce TEXT,
  code_challenge TEXT NOT NULL,
  auth_time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  spent_by TEXT
);

-- oidc_tokens: access tokens (kind 'access', 10 minutes) and refresh tokens ('refresh',
-- rotated on every use: used_at marks a spent one, spent_by the spend that did it).
-- A token works only while its orgpass session lives (joined on session_id), so every
-- way a session ends also ends the tokens it led to. revoked_at ends a family.
CREATE TABLE oidc_tokens (
  token_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
  family_id TEXT NOT NULL,
  client_id TEXT NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  auth_time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  spent_by TEXT,
  revoked_at INTEGER
);
CREATE INDEX oidc_tokens_family ON oidc_tokens (family_id);
CREATE INDEX oidc_tokens_session ON oidc_tokens (session_id);
