-- orgpass schema, part 17: the SCIM service's last refusals, for the Authentication tab
-- (docs/api.md "SCIM provisioning"). Only refusals of an authenticated IdP are noted (a
-- request with a valid token of the organization), so nobody without a token can write
-- here; each organization keeps its last 20 (src/provisioning/store.rs). `request` is the
-- method and the path below the service's base URL; `detail` is orgpass's own message,
-- which may quote what the IdP sent (a filter, a path), never a token.
CREATE TABLE scim_errors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  request TEXT NOT NULL,
  status INTEGER NOT NULL,
  scim_type TEXT,
  detail TEXT NOT NULL
);
CREATE INDEX scim_errors_org ON scim_errors (space_key, id);
