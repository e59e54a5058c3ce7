-- SSO failures are kept 30 days by kind, so that junk can never push out a failure
-- that matters: `verified` (the IdP's signature checked out; it has a NameID),
-- `issuer` (a response naming the configured IdP that failed before or at the
-- signature, e.g. a forged signature), `anonymous` (anything else anyone can post:
-- no response, not base64, not XML, another issuer). Each kind evicts only its own;
-- anonymous and issuer failures are also counted per client address.
ALTER TABLE sso_failures ADD COLUMN kind TEXT NOT NULL DEFAULT 'anonymous'
  CHECK (kind IN ('verified', 'issuer', 'anonymous'));
UPDATE sso_failures SET kind = 'verified' WHERE name_id IS NOT NULL;
CREATE INDEX sso_failures_kind ON sso_failures (space_key, kind, id);
