-- orgpass schema, part 1: accounts, sessions, account tokens, login counters,
-- organizations with their products and claimed IDs, memberships, and the email outbox.
-- Times are integer milliseconds since the Unix epoch (UTC). Tokens are stored only as
-- SHA-256 hex digests.

CREATE TABLE organizations (
  space_key TEXT PRIMARY KEY,                 -- 10 chars A-Z0-9, never changes
  organization_id TEXT NOT NULL UNIQUE,       -- current slug; history in organization_ids
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  pass_status TEXT NOT NULL DEFAULT 'none'
    CHECK (pass_status IN ('none', 'applied', 'trial', 'active', 'expired', 'canceled', 'rejected')),
  pass_trial_ends_at INTEGER,
  pass_current_period_end INTEGER,
  pass_cancel_at INTEGER
);

-- Every organization ID ever claimed, with its owner: an ID an organization gave up is
-- never handed to another one (its owner may take it back). No foreign key: the claim is
-- written first in the creation batch and decides whether the rest runs.
CREATE TABLE organization_ids (
  organization_id TEXT PRIMARY KEY,
  space_key TEXT NOT NULL,
  claimed_at INTEGER NOT NULL
);
CREATE INDEX organization_ids_owner ON organization_ids (space_key);

CREATE TABLE organization_products (
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  product TEXT NOT NULL,                      -- catalogue key: tracker, diagrams, chat
  plan TEXT NOT NULL,                         -- trial, ...
  status TEXT NOT NULL,                       -- trialing, active, expired, ...
  trial_ends_at INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (space_key, product)
);

CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,                 -- trimmed and lower-cased
  name TEXT NOT NULL,
  password_hash TEXT,                         -- pbkdf2-sha256$iter$salt$hash; NULL for managed accounts
  managed_by TEXT REFERENCES organizations (space_key) ON DELETE CASCADE,
  email_verified_at INTEGER,
  created_at INTEGER NOT NULL,
  CHECK (managed_by IS NULL OR password_hash IS NULL)
);
CREATE INDEX accounts_managed_by ON accounts (managed_by) WHERE managed_by IS NOT NULL;

CREATE TABLE memberships (
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('administrator', 'member', 'guest')),
  can_invite INTEGER NOT NULL DEFAULT 0 CHECK (can_invite IN (0, 1)),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (space_key, account_id)
);
CREATE INDEX memberships_account ON memberships (account_id);
CREATE INDEX memberships_role ON memberships (space_key, role);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Single-use tokens sent by email for an account (verification; later set-password).
CREATE TABLE account_tokens (
  token_hash TEXT PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'set_password')),
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX account_tokens_account ON account_tokens (account_id);

-- Failed logins per key ('email:<address>' or 'ip:<address>') and 15-minute window.
CREATE TABLE login_failures (
  key TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (key, window_start)
);

CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  to_email TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  sent_at INTEGER,
  last_error TEXT
);
CREATE INDEX outbox_recipient ON outbox (to_email, created_at);
CREATE INDEX outbox_queue ON outbox (status, created_at);
