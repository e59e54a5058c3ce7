-- orgpass schema, part 4: groups, invitations, project creators, projects with their
-- members and groups, and diagrams (PRODUCT.md §3–§6).
-- Every row carries its organization's space key, so that a query for one organization
-- can never reach another's rows by id. Rows that hang off a membership reference it,
-- and the removal batch deletes them explicitly as well.

CREATE TABLE groups (
  id TEXT PRIMARY KEY,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,                     -- lower-cased name: unique per organization
  created_at INTEGER NOT NULL,
  UNIQUE (space_key, name_key)
);

CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  space_key TEXT NOT NULL,
  account_id TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, account_id),
  FOREIGN KEY (space_key, account_id) REFERENCES memberships (space_key, account_id) ON DELETE CASCADE
);
CREATE INDEX group_members_account ON group_members (space_key, account_id);

-- Tokens are stored only as SHA-256 hex digests. `accept_id` is the random id of the
-- one accepting batch that won: the statements that join the member run only if the
-- row carries it.
CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  email TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('administrator', 'member', 'guest')),
  group_ids TEXT NOT NULL DEFAULT '[]',       -- JSON array of group ids to join
  message TEXT,
  invited_by TEXT NOT NULL,                   -- account id of the inviter
  token_hash TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_at INTEGER,                         -- accepted or revoked at
  accepted_by TEXT,
  accept_id TEXT
);
CREATE INDEX invitations_org ON invitations (space_key, status, created_at);
CREATE INDEX invitations_email ON invitations (space_key, email, status);
CREATE INDEX invitations_expiry ON invitations (status, expires_at);
CREATE INDEX invitations_accept ON invitations (accept_id) WHERE accept_id IS NOT NULL;

CREATE TABLE project_creators (
  space_key TEXT NOT NULL,
  account_id TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (space_key, account_id),
  FOREIGN KEY (space_key, account_id) REFERENCES memberships (space_key, account_id) ON DELETE CASCADE
);

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX projects_org ON projects (space_key, created_at);

CREATE TABLE project_members (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  space_key TEXT NOT NULL,
  account_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  added_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, account_id),
  FOREIGN KEY (space_key, account_id) REFERENCES memberships (space_key, account_id) ON DELETE CASCADE
);
CREATE INDEX project_members_account ON project_members (space_key, account_id);

CREATE TABLE project_groups (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  added_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, group_id)
);
CREATE INDEX project_groups_group ON project_groups (group_id);

CREATE TABLE diagrams (
  id TEXT PRIMARY KEY,
  space_key TEXT NOT NULL,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX diagrams_project ON diagrams (project_id, created_at);
