-- orgpass schema, part 16: groups as SCIM Groups (docs/api.md "SCIM 2.0 provisioning").
-- `version` is the Group's version (its ETag): it grows with every change of its name,
-- its externalId or its members, whoever makes it (the pages, the API, an invitation's
-- acceptance, SCIM), because the triggers below count them. `updated_at` is when it last
-- grew (NULL: never, the group is as created). `write_id` is the random id of the one
-- SCIM batch that last wrote the group: that batch's later statements act only if the
-- row carries theirs.
ALTER TABLE groups ADD COLUMN external_id TEXT;
ALTER TABLE groups ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN updated_at INTEGER;
ALTER TABLE groups ADD COLUMN write_id TEXT;

CREATE TRIGGER groups_version_on_change AFTER UPDATE OF name, external_id, write_id ON groups
BEGIN
  UPDATE groups SET version = version + 1,
    updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
  WHERE id = NEW.id;
END;

CREATE TRIGGER groups_version_on_join AFTER INSERT ON group_members
BEGIN
  UPDATE groups SET version = version + 1,
    updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
  WHERE id = NEW.group_id;
END;

CREATE TRIGGER groups_version_on_leave AFTER DELETE ON group_members
BEGIN
  UPDATE groups SET version = version + 1,
    updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
  WHERE id = OLD.group_id;
END;
