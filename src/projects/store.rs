//! Project creators, projects, project roles and diagrams in D1. Rows carry the space
//! key; a project named by id is only ever read together with its organization's key.

use orgpass_app::{
    members::MAX_PAGE,
    ports::{
        DiagramRecord, Event, PortError, ProjectContext, ProjectMemberRecord, ProjectPageRead,
        ProjectRecord, ProjectStore, ProjectTarget, ProjectsPage, Written,
    },
};
use orgpass_core::{
    policy::Permit,
    project::{Grant, ProjectPermit, ProjectRole, Via},
    Role, SpaceKey, Timestamp, TokenHash,
};
use serde::Deserialize;

use crate::{
    members::store::team_from,
    organizations::store::{context_from, CONTEXT_STATEMENTS},
    platform::d1::{changes, found, millis, opt_text, rows, text, time, D1Store},
};

#[derive(Deserialize)]
struct ProjectRow {
    id: String,
    name: String,
    created_at: f64,
}

impl From<ProjectRow> for ProjectRecord {
    fn from(r: ProjectRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            created_at: millis(r.created_at),
        }
    }
}

#[derive(Deserialize)]
struct DiagramRow {
    id: String,
    project_id: String,
    title: String,
    created_at: f64,
    updated_at: f64,
}

impl From<DiagramRow> for DiagramRecord {
    fn from(r: DiagramRow) -> Self {
        Self {
            id: r.id,
            project_id: r.project_id,
            title: r.title,
            created_at: millis(r.created_at),
            updated_at: millis(r.updated_at),
        }
    }
}

#[derive(Deserialize)]
struct GrantRow {
    role: String,
    group_id: Option<String>,
}

#[derive(Deserialize)]
struct MemberGrantRow {
    account_id: String,
    org_role: String,
    role: String,
    group_id: Option<String>,
}

#[derive(Deserialize)]
struct RoleRow {
    role: String,
}

fn grant(role: &str, group_id: Option<String>) -> Result<Grant, PortError> {
    Ok(Grant {
        role: ProjectRole::parse(role)
            .map_err(|_| PortError(format!("d1: unknown project role {role}")))?,
        via: group_id.map_or(Via::Direct, Via::Group),
    })
}

fn grants(result: Option<&worker::D1Result>) -> Result<Vec<Grant>, PortError> {
    rows::<GrantRow>(result)?
        .into_iter()
        .map(|g| grant(&g.role, g.group_id))
        .collect()
}

fn org_role(result: Option<&worker::D1Result>) -> Result<Option<Role>, PortError> {
    rows::<RoleRow>(result)?
        .into_iter()
        .next()
        .map(|r| {
            Role::parse(&r.role).map_err(|_| PortError(format!("d1: unknown role {}", r.role)))
        })
        .transpose()
}

/// The project roles of account `{who}` in project `{project}` of `{key}` (SQL
/// expressions): direct, and through each of their groups.
fn grants_sql(key: &str, who: &str, project: &str) -> String {
    format!(
        "SELECT pm.role, NULL AS group_id FROM project_members pm \
           WHERE pm.space_key = {key} AND pm.account_id = {who} AND pm.project_id = {project} \
         UNION ALL \
         SELECT pg.role, pg.group_id FROM group_members gm JOIN project_groups pg ON pg.group_id = gm.group_id \
           WHERE gm.space_key = {key} AND gm.account_id = {who} AND pg.project_id = {project}"
    )
}

/// The caller of a batch that binds `?1` token hash and `?2` now.
const CALLER: &str =
    "(SELECT account_id FROM sessions WHERE token_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2)";

/// How many statements [`D1Store::project_context_statements`] makes.
const PROJECT_CONTEXT_STATEMENTS: usize = CONTEXT_STATEMENTS + 6;

impl D1Store {
    /// The statements of a project context (the member context, the creator right, the
    /// project or diagram named, the caller's and the subject's grants), to lead a
    /// batch; [`project_context_from`] reads them.
    fn project_context_statements(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        subject: Option<&str>,
        target: ProjectTarget<'_>,
    ) -> Result<Vec<worker::D1PreparedStatement>, PortError> {
        let (project_id, diagram_id) = match target {
            ProjectTarget::None => (None, None),
            ProjectTarget::Project(p) => (Some(p), None),
            ProjectTarget::Diagram(d) => (None, Some(d)),
        };
        // ?1 token, ?2 now, ?3 key, ?4 project id, ?5 diagram id, ?6 subject. D1 wants
        // exactly as many bindings as the highest parameter a statement names.
        let args = [
            text(&token.to_hex()),
            time(now),
            text(space_key.as_str()),
            opt_text(project_id),
            opt_text(diagram_id),
            opt_text(subject),
        ];
        let caller = CALLER;
        let project =
            "coalesce(?4, (SELECT project_id FROM diagrams WHERE space_key = ?3 AND id = ?5))";
        let mut statements = self.context_statements(token, now, space_key)?;
        statements.extend([
            self.stmt(
                &format!(
                    "SELECT 1 AS x FROM project_creators WHERE space_key = ?3 AND account_id = {caller}"
                ),
                &args[..3],
            )?,
            self.stmt(
                &format!(
                    "SELECT id, name, created_at FROM projects WHERE space_key = ?3 AND id = {project}"
                ),
                &args[..5],
            )?,
            self.stmt(
                "SELECT id, project_id, title, created_at, updated_at FROM diagrams \
                 WHERE space_key = ?3 AND id = ?5",
                &args[..5],
            )?,
            self.stmt(&grants_sql("?3", caller, project), &args[..5])?,
            self.stmt(
                &format!(
                    "SELECT role FROM memberships WHERE space_key = ?3 AND account_id = coalesce(?6, {caller})"
                ),
                &args,
            )?,
            self.stmt(
                &grants_sql("?3", &format!("coalesce(?6, {caller})"), project),
                &args,
            )?,
        ]);
        Ok(statements)
    }

    /// Everyone with a role in a project, with their grants (one row per grant).
    fn project_members_stmt(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<worker::D1PreparedStatement, PortError> {
        self.stmt(
            PROJECT_MEMBERS_SQL,
            &[text(space_key.as_str()), text(project_id)],
        )
    }

    /// A project's diagrams, by creation time.
    fn diagrams_stmt(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<worker::D1PreparedStatement, PortError> {
        self.stmt(
            "SELECT id, project_id, title, created_at, updated_at FROM diagrams \
             WHERE space_key = ?1 AND project_id = ?2 ORDER BY created_at, id",
            &[text(space_key.as_str()), text(project_id)],
        )
    }
}

/// Reads the results of [`D1Store::project_context_statements`].
fn project_context_from(results: &[worker::D1Result]) -> Result<Option<ProjectContext>, PortError> {
    let Some(context) = context_from(results)? else {
        return Ok(None);
    };
    let at = |i: usize| results.get(CONTEXT_STATEMENTS + i);
    Ok(Some(ProjectContext {
        context,
        creator: found(at(0))?,
        project: rows::<ProjectRow>(at(1))?
            .into_iter()
            .next()
            .map(Into::into),
        diagram: rows::<DiagramRow>(at(2))?
            .into_iter()
            .next()
            .map(Into::into),
        grants: grants(at(3))?,
        subject_role: org_role(at(4))?,
        subject_grants: grants(at(5))?,
    }))
}

/// Everyone with a role in project `?2` of `?1`: direct grants and group grants, one row
/// per grant, by account.
const PROJECT_MEMBERS_SQL: &str = "SELECT pm.account_id, m.role AS org_role, pm.role, NULL AS group_id \
                   FROM project_members pm JOIN memberships m \
                     ON m.space_key = pm.space_key AND m.account_id = pm.account_id \
                   WHERE pm.space_key = ?1 AND pm.project_id = ?2 \
                 UNION ALL \
                 SELECT gm.account_id, m.role, pg.role, pg.group_id FROM project_groups pg \
                   JOIN groups g ON g.id = pg.group_id AND g.space_key = ?1 \
                   JOIN group_members gm ON gm.group_id = pg.group_id \
                   JOIN memberships m ON m.space_key = gm.space_key AND m.account_id = gm.account_id \
                   WHERE pg.project_id = ?2 \
                 ORDER BY 1";

/// Reads a [`PROJECT_MEMBERS_SQL`] result into one record per account.
fn project_members_from(
    result: Option<&worker::D1Result>,
) -> Result<Vec<ProjectMemberRecord>, PortError> {
    let mut members: Vec<ProjectMemberRecord> = Vec::new();
    for row in rows::<MemberGrantRow>(result)? {
        let g = grant(&row.role, row.group_id)?;
        match members.last_mut() {
            Some(last) if last.account_id == row.account_id => last.grants.push(g),
            _ => members.push(ProjectMemberRecord {
                org_role: Role::parse(&row.org_role)
                    .map_err(|_| PortError(format!("d1: unknown role {}", row.org_role)))?,
                account_id: row.account_id,
                grants: vec![g],
            }),
        }
    }
    Ok(members)
}

/// Reads the account ids of a project-creators statement.
fn creators_from(result: Option<&worker::D1Result>) -> Result<Vec<String>, PortError> {
    #[derive(Deserialize)]
    struct Row {
        account_id: String,
    }
    Ok(rows::<Row>(result)?
        .into_iter()
        .map(|r| r.account_id)
        .collect())
}

impl ProjectStore for D1Store {
    async fn project_context(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        subject: Option<&str>,
        target: ProjectTarget<'_>,
    ) -> Result<Option<ProjectContext>, PortError> {
        let statements = self.project_context_statements(token, now, space_key, subject, target)?;
        let results = self.batch(statements).await?;
        project_context_from(&results)
    }

    async fn projects_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<ProjectsPage>, PortError> {
        let mut statements =
            self.project_context_statements(token, now, space_key, None, ProjectTarget::None)?;
        let args = [text(&token.to_hex()), time(now), text(space_key.as_str())];
        // Administrators see every project; the others those they have a role in.
        statements.push(self.stmt(
            &format!(
                "SELECT id, name, created_at FROM projects WHERE space_key = ?3 AND ( \
                   EXISTS (SELECT 1 FROM memberships WHERE space_key = ?3 AND account_id = {CALLER} \
                     AND role = 'administrator') \
                   OR id IN (SELECT project_id FROM project_members WHERE space_key = ?3 AND account_id = {CALLER}) \
                   OR id IN (SELECT pg.project_id FROM group_members gm \
                     JOIN project_groups pg ON pg.group_id = gm.group_id \
                     WHERE gm.space_key = ?3 AND gm.account_id = {CALLER})) \
                 ORDER BY created_at, id"
            ),
            &args,
        )?);
        // The creators, for an administrator only (the use case decides again).
        statements.push(self.stmt(
            &format!(
                "SELECT account_id FROM project_creators WHERE space_key = ?3 \
                   AND EXISTS (SELECT 1 FROM memberships WHERE space_key = ?3 AND account_id = {CALLER} \
                     AND role = 'administrator') \
                 ORDER BY added_at"
            ),
            &args,
        )?);
        statements.extend(self.team_statements(token, now, space_key, None, MAX_PAGE)?);
        let results = self.batch(statements).await?;
        let Some(cx) = project_context_from(&results)? else {
            return Ok(None);
        };
        let at = |i: usize| results.get(PROJECT_CONTEXT_STATEMENTS + i);
        let (people, groups) = team_from(&results, PROJECT_CONTEXT_STATEMENTS + 2)?;
        Ok(Some(ProjectsPage {
            cx,
            projects: rows::<ProjectRow>(at(0))?
                .into_iter()
                .map(Into::into)
                .collect(),
            creators: creators_from(at(1))?,
            people,
            groups,
        }))
    }

    async fn project_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<Option<ProjectPageRead>, PortError> {
        let mut statements = self.project_context_statements(
            token,
            now,
            space_key,
            None,
            ProjectTarget::Project(project_id),
        )?;
        statements.push(self.project_members_stmt(space_key, project_id)?);
        statements.push(self.diagrams_stmt(space_key, project_id)?);
        statements.extend(self.team_statements(token, now, space_key, None, MAX_PAGE)?);
        let results = self.batch(statements).await?;
        let Some(cx) = project_context_from(&results)? else {
            return Ok(None);
        };
        let at = |i: usize| results.get(PROJECT_CONTEXT_STATEMENTS + i);
        let (people, groups) = team_from(&results, PROJECT_CONTEXT_STATEMENTS + 2)?;
        Ok(Some(ProjectPageRead {
            cx,
            members: project_members_from(at(0))?,
            diagrams: rows::<DiagramRow>(at(1))?
                .into_iter()
                .map(Into::into)
                .collect(),
            people,
            groups,
        }))
    }

    async fn project_creators(&self, space_key: &SpaceKey) -> Result<Vec<String>, PortError> {
        let result = self
            .one(self.stmt(
                "SELECT account_id FROM project_creators WHERE space_key = ?1 ORDER BY added_at",
                &[text(space_key.as_str())],
            )?)
            .await?;
        creators_from(Some(&result))
    }

    async fn write_project_creator(
        &self,
        permit: &Permit,
        account_id: &str,
        add: bool,
        (now, event): (Timestamp, &Event),
    ) -> Result<Written, PortError> {
        let space_key = permit.space_key();
        let args = [text(space_key.as_str()), text(account_id), time(now)];
        let change = if add {
            self.stmt(
                "INSERT INTO project_creators (space_key, account_id, added_at) \
                 SELECT space_key, account_id, ?3 FROM memberships \
                 WHERE space_key = ?1 AND account_id = ?2 AND role <> 'guest' \
                 ON CONFLICT (space_key, account_id) DO NOTHING",
                &args,
            )?
        } else {
            self.stmt(
                "DELETE FROM project_creators WHERE space_key = ?1 AND account_id = ?2",
                &args[..2],
            )?
        };
        let results = self
            .batch_recording(
                vec![
                    change,
                    self.stmt(
                        "SELECT role FROM memberships WHERE space_key = ?1 AND account_id = ?2",
                        &args[..2],
                    )?,
                ],
                0,
                event,
                space_key,
            )
            .await?;
        Ok(match org_role(results.get(1))? {
            None => Written::Missing,
            Some(Role::Guest) if add => Written::Refused,
            Some(_) => Written::Done,
        })
    }

    async fn insert_project(
        &self,
        permit: &Permit,
        project: &ProjectRecord,
        creator: &str,
        event: &orgpass_app::ports::Event,
    ) -> Result<(), PortError> {
        let space_key = permit.space_key();
        let args = [
            text(&project.id),
            text(space_key.as_str()),
            text(&project.name),
            time(project.created_at),
            text(creator),
        ];
        self.batch_recording(
            vec![
            self.stmt(
                "INSERT INTO projects (id, space_key, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                &args[..4],
            )?,
            self.stmt(
                "INSERT INTO project_members (project_id, space_key, account_id, role, added_at) \
                 SELECT ?1, ?2, account_id, 'admin', ?4 FROM memberships \
                 WHERE space_key = ?2 AND account_id = ?5 AND role <> 'guest'",
                &args,
            )?,
        ],
            0,
            event,
            space_key,
        )
        .await?;
        Ok(())
    }

    async fn projects(
        &self,
        space_key: &SpaceKey,
        account: Option<&str>,
    ) -> Result<Vec<ProjectRecord>, PortError> {
        let result = self
            .one(self.stmt(
                "SELECT id, name, created_at FROM projects WHERE space_key = ?1 AND (?2 IS NULL \
                   OR id IN (SELECT project_id FROM project_members WHERE space_key = ?1 AND account_id = ?2) \
                   OR id IN (SELECT pg.project_id FROM group_members gm \
                     JOIN project_groups pg ON pg.group_id = gm.group_id \
                     WHERE gm.space_key = ?1 AND gm.account_id = ?2)) \
                 ORDER BY created_at, id",
                &[text(space_key.as_str()), opt_text(account)],
            )?)
            .await?;
        Ok(rows::<ProjectRow>(Some(&result))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn read_project_members(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<Vec<ProjectMemberRecord>, PortError> {
        let result = self
            .one(self.project_members_stmt(space_key, project_id)?)
            .await?;
        project_members_from(Some(&result))
    }

    async fn write_project_member(
        &self,
        permit: &ProjectPermit,
        account_id: &str,
        role: Option<ProjectRole>,
        (now, event): (Timestamp, &Event),
    ) -> Result<Written, PortError> {
        let (space_key, project_id) = (permit.space_key(), permit.project_id());
        let args = [
            text(space_key.as_str()),
            text(project_id),
            text(account_id),
            opt_text(role.map(ProjectRole::as_str)),
            time(now),
        ];
        let change = if role.is_some() {
            self.stmt(
                "INSERT INTO project_members (project_id, space_key, account_id, role, added_at) \
                 SELECT p.id, p.space_key, m.account_id, ?4, ?5 FROM projects p \
                 JOIN memberships m ON m.space_key = p.space_key AND m.account_id = ?3 \
                 WHERE p.space_key = ?1 AND p.id = ?2 AND (?4 <> 'admin' OR m.role <> 'guest') \
                 ON CONFLICT (project_id, account_id) DO UPDATE SET role = excluded.role \
                 WHERE project_members.role <> excluded.role",
                &args,
            )?
        } else {
            self.stmt(
                "DELETE FROM project_members WHERE space_key = ?1 AND project_id = ?2 AND account_id = ?3",
                &args[..3],
            )?
        };
        let results = self
            .batch_recording(
                vec![
                    change,
                    self.stmt(
                        "SELECT m.role FROM projects p JOIN memberships m \
                       ON m.space_key = p.space_key AND m.account_id = ?3 \
                     WHERE p.space_key = ?1 AND p.id = ?2",
                        &args[..3],
                    )?,
                ],
                0,
                event,
                space_key,
            )
            .await?;
        Ok(match org_role(results.get(1))? {
            None => Written::Missing,
            Some(Role::Guest) if role == Some(ProjectRole::Admin) => Written::Refused,
            Some(_) => Written::Done,
        })
    }

    async fn write_project_group(
        &self,
        permit: &ProjectPermit,
        group_id: &str,
        role: Option<ProjectRole>,
        (now, event): (Timestamp, &Event),
    ) -> Result<Written, PortError> {
        let (space_key, project_id) = (permit.space_key(), permit.project_id());
        let args = [
            text(space_key.as_str()),
            text(project_id),
            text(group_id),
            opt_text(role.map(ProjectRole::as_str)),
            time(now),
        ];
        let change = if role.is_some() {
            self.stmt(
                "INSERT INTO project_groups (project_id, group_id, role, added_at) \
                 SELECT p.id, g.id, ?4, ?5 FROM projects p JOIN groups g ON g.space_key = p.space_key AND g.id = ?3 \
                 WHERE p.space_key = ?1 AND p.id = ?2 \
                 ON CONFLICT (project_id, group_id) DO UPDATE SET role = excluded.role \
                 WHERE project_groups.role <> excluded.role",
                &args,
            )?
        } else {
            self.stmt(
                "DELETE FROM project_groups WHERE project_id = ?2 AND group_id = ?3 \
                 AND group_id IN (SELECT id FROM groups WHERE space_key = ?1)",
                &args[..3],
            )?
        };
        let results = self
            .batch_recording(vec![
                change,
                self.stmt(
                    "SELECT 1 AS x FROM projects p JOIN groups g ON g.space_key = p.space_key AND g.id = ?3 \
                     WHERE p.space_key = ?1 AND p.id = ?2",
                    &args[..3],
                )?,
            ], 0, event, space_key)
            .await?;
        Ok(if found(results.get(1))? {
            Written::Done
        } else {
            Written::Missing
        })
    }

    async fn insert_diagram(
        &self,
        permit: &ProjectPermit,
        diagram: &DiagramRecord,
        creator: &str,
    ) -> Result<(), PortError> {
        let space_key = permit.space_key();
        self.one(self.stmt(
            "INSERT INTO diagrams (id, space_key, project_id, title, created_by, created_at, updated_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6 \
             WHERE EXISTS (SELECT 1 FROM projects WHERE space_key = ?2 AND id = ?3)",
            &[
                text(&diagram.id),
                text(space_key.as_str()),
                text(permit.project_id()),
                text(&diagram.title),
                text(creator),
                time(diagram.created_at),
            ],
        )?)
        .await?;
        Ok(())
    }

    async fn diagrams(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<Vec<DiagramRecord>, PortError> {
        let result = self.one(self.diagrams_stmt(space_key, project_id)?).await?;
        Ok(rows::<DiagramRow>(Some(&result))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn update_diagram(
        &self,
        permit: &ProjectPermit,
        id: &str,
        title: Option<&str>,
        now: Timestamp,
    ) -> Result<Written, PortError> {
        let (space, project) = (text(permit.space_key().as_str()), text(permit.project_id()));
        let statement = match title {
            Some(title) => self.stmt(
                "UPDATE diagrams SET title = ?4, updated_at = ?5 \
                 WHERE space_key = ?1 AND project_id = ?2 AND id = ?3",
                &[space, project, text(id), text(title), time(now)],
            )?,
            None => self.stmt(
                "DELETE FROM diagrams WHERE space_key = ?1 AND project_id = ?2 AND id = ?3",
                &[space, project, text(id)],
            )?,
        };
        let result = self.one(statement).await?;
        Ok(if changes(Some(&result))? == 1 {
            Written::Done
        } else {
            Written::Missing
        })
    }
}
