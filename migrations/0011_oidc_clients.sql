-- OpenID Connect clients: the products' registrations, made by the operator. The
-- secret is kept only as its SHA-256 (shown once at registration or rotation); URI
-- lists are JSON arrays of the exact strings registered (compared exactly).
CREATE TABLE oidc_clients (
  client_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  product TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
  backchannel_logout_uri TEXT,
  created_at INTEGER NOT NULL,
  secret_rotated_at INTEGER
);
