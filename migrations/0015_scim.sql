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

-- What SCIM keeps of a managed account beyond its email and name (accounts): the IdP's
-- externalId, the name's parts, and whether the IdP has it active. A managed account
-- without a row here (created by an administrator) is an active SCIM User all the same.
-- `updated_at` is the User's version; `write_id` is the random id of the one batch that
-- last wrote it: the batch's later statements act only if the row carries theirs.
CREATE TABLE scim_users (
  account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  external_id TEXT,
  given_name TEXT,
  family_name TEXT,
  display_name TEXT,                           -- as the IdP sent it (accounts.name is derived)
  active INTEGER CHECK (active IN (0, 1)),     -- NULL: unassigned, which behaves as 1
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  write_id TEXT
);
CREATE INDEX scim_users_external ON scim_users (space_key, external_id);
