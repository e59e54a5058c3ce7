-- orgpass schema, part 15: SCIM 2.0 provisioning (docs/api.md "SCIM 2.0 provisioning").
-- An organization's provisioning tokens: 256-bit secrets shown once, stored as their
-- SHA-256 hex digest only; a token authenticates its own organization's /scim/v2 only.
CREATE TABLE scim_tokens (
  id TEXT PRIMARY KEY,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,                    -- account id of the administrator
  last_used_at INTEGER                         -- to the minute (see src/provisioning/store.rs)
);
CREATE INDEX scim_tokens_org ON scim_tokens (space_key, created_at);
