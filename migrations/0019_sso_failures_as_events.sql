-- orgpass schema, part 19: an event's details, and the SSO failure list as a view of
-- the audit log (docs/api.md "Audit log"). `details` is a JSON object of strings
-- (NULL when an event has none): an `sso.login_failed` keeps its reference code, its
-- precise cause (`reason`), how far the response got (`kind`: verified, issuer,
-- anonymous) and, for a verified response, its NameID. The failures kept so far move
-- into the log, in their order, and their table goes.
ALTER TABLE audit_events ADD COLUMN details TEXT;

INSERT INTO audit_events (id, space_key, occurred_at, action, actor_type, targets, outcome, details)
  SELECT 'evt_' || lower(hex(randomblob(16))), space_key, at, 'sso.login_failed', 'idp', '[]',
    'failure', json_object('reference', reference, 'reason', variant, 'kind', kind, 'name_id', name_id)
  FROM sso_failures ORDER BY id;

DROP TABLE sso_failures;
