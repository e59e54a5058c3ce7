-- orgpass schema, part 5: SAML single sign-on (PRODUCT.md §7): each organization's IdP
-- settings, the AuthnRequests in flight (keyed by the RelayState the browser carries
-- to the IdP and back), the assertion IDs already used, and the last SSO failures
-- shown to administrators.

-- An organization "has SAML configured" exactly when it has a row here.
CREATE TABLE saml_settings (
  space_key TEXT PRIMARY KEY REFERENCES organizations (space_key) ON DELETE CASCADE,
  idp_entity_id TEXT NOT NULL,
  idp_sso_url TEXT NOT NULL,
  certificates TEXT NOT NULL,                  -- JSON array of PEM certificates (1 or 2)
  allow_idp_initiated INTEGER NOT NULL CHECK (allow_idp_initiated IN (0, 1)),
  clock_skew_seconds INTEGER NOT NULL CHECK (clock_skew_seconds BETWEEN 0 AND 600),
  allow_sha1 INTEGER NOT NULL CHECK (allow_sha1 IN (0, 1)),
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL                     -- account id
);

-- A login started by /login/sso. The RelayState is a random secret stored as its
-- SHA-256 digest; the row is used once (used_at) and lives minutes.
CREATE TABLE saml_requests (
  relay_hash TEXT PRIMARY KEY,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  request_id TEXT NOT NULL,                    -- the AuthnRequest ID (InResponseTo)
  return_to TEXT NOT NULL,                     -- a same-site path
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

-- Every accepted assertion ID, per organization, until its NotOnOrAfter (plus skew):
-- the primary key refuses a second use. `session_hash` names the login that won, so
-- the statements batched after the insert act only for that login.
CREATE TABLE saml_replays (
  space_key TEXT NOT NULL,
  assertion_id TEXT NOT NULL,
  keep_until INTEGER NOT NULL,
  session_hash TEXT NOT NULL,
  PRIMARY KEY (space_key, assertion_id)
);
CREATE INDEX saml_replays_expiry ON saml_replays (keep_until);

-- The last SSO failures per organization (the ACS keeps 20), for the Authentication tab.
CREATE TABLE sso_failures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  reference TEXT NOT NULL,                     -- shown on the failure page and logged
  variant TEXT NOT NULL,                       -- the precise cause (snake_case)
  name_id TEXT                                 -- when the response was verified far enough
);
CREATE INDEX sso_failures_org ON sso_failures (space_key, id);
