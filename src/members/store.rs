//! Members and groups in D1. Every statement names the organization's space key, so an
//! id from another organization matches nothing.

use orgpass_app::ports::{
    AdminChange, Event, GroupRecord, MemberChange, MemberContext, MemberRecord, MemberStore,
    MemberUpdate, MembersPage, PortError, Written,
};
use orgpass_core::{
    invitation::group_name_key, policy::Permit, Email, Role, SpaceKey, Timestamp, TokenHash,
};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use crate::{
    accounts::store::membership,
    organizations::store::{context_from, CONTEXT_STATEMENTS},
    platform::d1::{changes, found, int, opt_text, rows, text, time, D1Store},
};

/// Member columns over `m` (memberships) and `a` (accounts), in [`MemberRow`] order;
/// `?V` stands for the viewer's account id expression.
fn member_columns(viewer: &str) -> String {
    format!(
        "m.account_id, a.email, a.name, a.managed_by, m.role, m.can_invite, \
         (SELECT json_group_array(gm.group_id) FROM group_members gm \
            WHERE gm.space_key = m.space_key AND gm.account_id = m.account_id) AS group_ids, \
         {} AS shares_group",
        shares_group(viewer, "m.account_id")
    )
}

/// Whether `viewer` and `other` (SQL expressions) share a group of `m.space_key`.
fn shares_group(viewer: &str, other: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM group_members mine JOIN group_members theirs \
           ON theirs.group_id = mine.group_id \
           WHERE mine.space_key = m.space_key AND mine.account_id = {viewer} \
             AND theirs.account_id = {other})"
    )
}

#[derive(Deserialize)]
struct MemberRow {
    account_id: String,
    email: String,
    name: String,
    managed_by: Option<String>,
    role: String,
    can_invite: f64,
    group_ids: String,
    shares_group: f64,
}

impl MemberRow {
    fn into_record(self) -> Result<MemberRecord, PortError> {
        let bad = |what: &str| {
            PortError(format!(
                "d1: stored {what} of member {} is invalid",
                self.account_id
            ))
        };
        Ok(MemberRecord {
            email: Email::from_stored(&self.email),
            name: self.name,
            managed: self.managed_by.is_some(),
            membership: membership(&self.role, self.can_invite)?,
            group_ids: serde_json::from_str(&self.group_ids).map_err(|_| bad("groups"))?,
            shares_group: self.shares_group != 0.0,
            account_id: self.account_id,
        })
    }
}

#[derive(Deserialize)]
struct GroupRow {
    id: String,
    name: String,
    member_ids: String,
}

/// `?2` is an administrator of `?1` and the only one.
pub(crate) const LAST_ADMIN: &str =
    "(EXISTS (SELECT 1 FROM memberships WHERE space_key = ?1 AND account_id = ?2 \
       AND role = 'administrator') \
     AND (SELECT count(*) FROM memberships WHERE space_key = ?1 AND role = 'administrator') <= 1)";

/// `?2` is the only administrator of some organization it belongs to — whichever: an
/// account's deletion must keep every organization it is in administered.
pub(crate) const LAST_ADMIN_ANYWHERE: &str =
    "EXISTS (SELECT 1 FROM memberships x WHERE x.account_id = ?2 AND x.role = 'administrator' \
       AND (SELECT count(*) FROM memberships y WHERE y.space_key = x.space_key AND y.role = 'administrator') <= 1)";

/// `?2` is a normal (non-managed) administrator of `?1`, SAML is configured for `?1`,
/// and no other normal administrator exists: docs/product.md §3's SSO invariant.
pub(crate) const LAST_NORMAL_ADMIN: &str =
    "(EXISTS (SELECT 1 FROM saml_settings WHERE space_key = ?1) \
     AND EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id \
       WHERE m.space_key = ?1 AND m.account_id = ?2 AND m.role = 'administrator' AND a.managed_by IS NULL) \
     AND (SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id \
       WHERE m.space_key = ?1 AND m.role = 'administrator' AND a.managed_by IS NULL) <= 1)";

/// Whether the row of a `SELECT {LAST_NORMAL_ADMIN} AS x` says the guard holds.
fn guard_hit(result: Option<&worker::D1Result>) -> Result<bool, PortError> {
    #[derive(Deserialize)]
    struct Hit {
        x: f64,
    }
    Ok(rows::<Hit>(result)?.first().is_some_and(|h| h.x != 0.0))
}

impl D1Store {
    /// What becoming a guest takes away from `accounts` (an SQL set of account ids of
    /// `?1`): project creation and direct project administration (lowered to editor).
    /// Each statement acts only on accounts that are guests once the batch's update ran.
    fn guest_cleanup(
        &self,
        key: &str,
        accounts: &str,
        args: &[worker::wasm_bindgen::JsValue],
    ) -> Result<Vec<worker::D1PreparedStatement>, PortError> {
        let guests = format!(
            "account_id IN ({accounts}) AND account_id IN \
             (SELECT account_id FROM memberships WHERE space_key = {key} AND role = 'guest')"
        );
        Ok(vec![
            self.stmt(
                &format!("DELETE FROM project_creators WHERE space_key = {key} AND {guests}"),
                args,
            )?,
            self.stmt(
                &format!(
                    "UPDATE project_members SET role = 'editor' \
                     WHERE space_key = {key} AND role = 'admin' AND {guests}"
                ),
                args,
            )?,
            self.stmt(
                &format!(
                    "UPDATE memberships SET can_invite = 0 \
                     WHERE space_key = {key} AND role = 'guest' AND account_id IN ({accounts})"
                ),
                args,
            )?,
        ])
    }
}

/// The groups of the space bound at `space` (e.g. `?1`) with their member ids in the
/// order they were added; the caller appends further conditions and the order.
pub(crate) fn groups_sql(space: &str) -> String {
    format!(
        "SELECT g.id, g.name, (SELECT json_group_array(account_id) FROM \
           (SELECT account_id FROM group_members WHERE group_id = g.id ORDER BY added_at)) AS member_ids \
         FROM groups g WHERE g.space_key = {space}"
    )
}

/// Reads the rows of a [`groups_sql`] statement.
pub(crate) fn group_records(
    result: Option<&worker::D1Result>,
) -> Result<Vec<GroupRecord>, PortError> {
    rows::<GroupRow>(result)?
        .into_iter()
        .map(|g| {
            Ok(GroupRecord {
                member_ids: serde_json::from_str(&g.member_ids)
                    .map_err(|_| PortError(format!("d1: members of group {}", g.id)))?,
                id: g.id,
                name: g.name,
            })
        })
        .collect()
}

impl D1Store {
    /// The two statements of a team read, to follow a member context in a batch: one
    /// page of the members the session's account may see (by email, after `after`, at
    /// most `limit`), and the organization's groups (for a member of it). `?1` token
    /// hash, `?2` now, `?3` space key.
    pub(crate) fn team_statements(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        after: Option<&str>,
        limit: u32,
    ) -> Result<[worker::D1PreparedStatement; 2], PortError> {
        // The page is chosen first (by email, after the cursor, without the people a
        // guest may not see); its group lists are then read for those rows only.
        let members = self.stmt(
            &format!(
                "WITH viewer AS (SELECT v.account_id, v.role FROM sessions s \
                   JOIN memberships v ON v.account_id = s.account_id AND v.space_key = ?3 \
                   WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2), \
                 page AS (SELECT m.space_key, m.account_id, m.role, m.can_invite, a.email, a.name, a.managed_by \
                   FROM viewer, memberships m JOIN accounts a ON a.id = m.account_id \
                   WHERE m.space_key = ?3 AND a.email > ?4 \
                     AND (viewer.role <> 'guest' OR m.account_id = viewer.account_id OR {shares}) \
                   ORDER BY a.email LIMIT ?5) \
                 SELECT {columns} FROM viewer, page m JOIN accounts a ON a.id = m.account_id ORDER BY a.email",
                shares = shares_group("viewer.account_id", "m.account_id"),
                columns = member_columns("viewer.account_id"),
            ),
            &[
                text(&token.to_hex()),
                time(now),
                text(space_key.as_str()),
                text(after.unwrap_or("")),
                int(i64::from(limit)),
            ],
        )?;
        let groups = self.stmt(
            &format!(
                "{groups} AND EXISTS (SELECT 1 FROM sessions s \
                   JOIN memberships v ON v.account_id = s.account_id AND v.space_key = ?3 \
                   WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2) \
                 ORDER BY g.name_key",
                groups = groups_sql("?3")
            ),
            &[text(&token.to_hex()), time(now), text(space_key.as_str())],
        )?;
        Ok([members, groups])
    }
}

/// Reads the results of [`D1Store::team_statements`] at `at` and `at + 1`.
pub(crate) fn team_from(
    results: &[worker::D1Result],
    at: usize,
) -> Result<(Vec<MemberRecord>, Vec<GroupRecord>), PortError> {
    let members = rows::<MemberRow>(results.get(at))?
        .into_iter()
        .map(MemberRow::into_record)
        .collect::<Result<_, _>>()?;
    Ok((members, group_records(results.get(at + 1))?))
}

impl MemberStore for D1Store {
    async fn members_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Option<MembersPage>, PortError> {
        let mut statements = self.context_statements(token, now, space_key)?;
        statements.extend(self.team_statements(token, now, space_key, after, limit)?);
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        let (members, groups) = team_from(&results, CONTEXT_STATEMENTS)?;
        Ok(Some(MembersPage {
            context,
            members,
            groups,
        }))
    }

    async fn groups_with_context(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<(MemberContext, Vec<GroupRecord>)>, PortError> {
        let mut statements = self.context_statements(token, now, space_key)?;
        statements.push(self.stmt(
            &format!("{} ORDER BY g.name_key", groups_sql("?3")),
            &[text(&token.to_hex()), time(now), text(space_key.as_str())],
        )?);
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        Ok(Some((
            context,
            group_records(results.get(CONTEXT_STATEMENTS))?,
        )))
    }

    async fn update_member(
        &self,
        permit: &Permit,
        account_id: &str,
        viewer: &str,
        update: MemberUpdate,
        event: &Event,
    ) -> Result<MemberChange, PortError> {
        let space_key = permit.space_key();
        let args = [
            text(space_key.as_str()),
            text(account_id),
            opt_text(update.role.map(Role::as_str)),
            update
                .can_invite
                .map_or(JsValue::NULL, |c| int(i64::from(c))),
            text(viewer),
        ];
        // Everything is read from the row as it is now: the role it ends with, whether
        // that takes an administrator away (and so needs the guards), and the privilege
        // (kept unless given; never held by a guest).
        let role_after = "coalesce(?3, role)";
        let mut statements = vec![
            self.stmt(
                &format!(
                    "UPDATE memberships SET role = {role_after}, \
                       can_invite = CASE WHEN {role_after} = 'guest' THEN 0 ELSE coalesce(?4, can_invite) END \
                     WHERE space_key = ?1 AND account_id = ?2 \
                       AND NOT (?4 IS 1 AND {role_after} = 'guest') \
                       AND NOT (role = 'administrator' AND {role_after} <> 'administrator' \
                         AND ({LAST_ADMIN} OR {LAST_NORMAL_ADMIN}))"
                ),
                &args[..4],
            )?,
            self.stmt(
                &format!(
                    "SELECT {} FROM memberships m JOIN accounts a ON a.id = m.account_id \
                     WHERE m.space_key = ?1 AND m.account_id = ?2",
                    member_columns("?3")
                ),
                &[args[0].clone(), args[1].clone(), args[4].clone()],
            )?,
            self.stmt(&format!("SELECT {LAST_NORMAL_ADMIN} AS x"), &args[..2])?,
        ];
        if update.role == Some(Role::Guest) {
            statements.extend(self.guest_cleanup("?1", "?2", &args[..2])?);
        }
        let results = self
            .batch_recording(statements, 0, event, space_key)
            .await?;
        let Some(member) = rows::<MemberRow>(results.get(1))?
            .into_iter()
            .next()
            .map(MemberRow::into_record)
            .transpose()?
        else {
            return Ok(MemberChange::Refused(AdminChange::Missing));
        };
        Ok(if changes(results.first())? == 1 {
            MemberChange::Done(member)
        } else if update.can_invite == Some(true) && member.membership.role == Role::Guest {
            // Unchanged, so the row read back is the one the guard saw.
            MemberChange::GuestNotAllowed
        } else if guard_hit(results.get(2))? {
            MemberChange::Refused(AdminChange::LastNormalAdmin)
        } else {
            MemberChange::Refused(AdminChange::LastAdmin)
        })
    }

    async fn delete_membership(
        &self,
        permit: &Permit,
        account_id: &str,
        event: &Event,
    ) -> Result<AdminChange, PortError> {
        let space_key = permit.space_key();
        let args = [text(space_key.as_str()), text(account_id)];
        // The guard is evaluated alike by every statement (the administrator count
        // changes only with the last one), so either all run or none.
        let mut statements = Vec::new();
        for table in [
            "group_members",
            "project_members",
            "project_creators",
            "memberships",
        ] {
            statements.push(self.stmt(
                &format!(
                    "DELETE FROM {table} WHERE space_key = ?1 AND account_id = ?2 \
                     AND NOT ({LAST_ADMIN} OR {LAST_NORMAL_ADMIN})"
                ),
                &args,
            )?);
        }
        statements.push(self.stmt(
            "SELECT 1 AS x FROM memberships WHERE space_key = ?1 AND account_id = ?2",
            &args,
        )?);
        statements.push(self.stmt(&format!("SELECT {LAST_NORMAL_ADMIN} AS x"), &args)?);
        // The event follows the membership's own deletion (the fourth statement).
        let results = self
            .batch_recording(statements, 3, event, space_key)
            .await?;
        Ok(if changes(results.get(3))? == 1 {
            AdminChange::Done
        } else if !found(results.get(4))? {
            AdminChange::Missing
        } else if guard_hit(results.get(5))? {
            AdminChange::LastNormalAdmin
        } else {
            AdminChange::LastAdmin
        })
    }

    async fn insert_group(
        &self,
        permit: &Permit,
        group: &GroupRecord,
        now: Timestamp,
        event: &Event,
    ) -> Result<Written, PortError> {
        let space_key = permit.space_key();
        let members = serde_json::to_string(&group.member_ids)
            .map_err(|e| PortError(format!("json: {e}")))?;
        let args = [
            text(&group.id),
            text(space_key.as_str()),
            text(&group.name),
            text(&group_name_key(&group.name)),
            time(now),
            text(&members),
        ];
        let results = self
            .batch_recording(vec![
                self.stmt(
                    "INSERT INTO groups (id, space_key, name, name_key, created_at) \
                     SELECT ?1, ?2, ?3, ?4, ?5 \
                     WHERE NOT EXISTS (SELECT 1 FROM groups WHERE space_key = ?2 AND name_key = ?4)",
                    &args[..5],
                )?,
                self.stmt(
                    "INSERT INTO group_members (group_id, space_key, account_id, added_at) \
                     SELECT ?1, ?2, m.account_id, ?5 FROM json_each(?6) j \
                     JOIN memberships m ON m.space_key = ?2 AND m.account_id = j.value \
                     WHERE EXISTS (SELECT 1 FROM groups WHERE id = ?1 AND created_at = ?5)",
                    &args,
                )?,
            ], 0, event, space_key)
            .await?;
        Ok(if changes(results.first())? == 1 {
            Written::Done
        } else {
            Written::Refused
        })
    }

    async fn update_group_name(
        &self,
        permit: &Permit,
        id: &str,
        name: &str,
        event: &Event,
    ) -> Result<Written, PortError> {
        let space_key = permit.space_key();
        let args = [
            text(space_key.as_str()),
            text(id),
            text(name),
            text(&group_name_key(name)),
        ];
        let results = self
            .batch_recording(vec![
                self.stmt(
                    "UPDATE groups SET name = ?3, name_key = ?4 WHERE space_key = ?1 AND id = ?2 \
                     AND NOT EXISTS (SELECT 1 FROM groups WHERE space_key = ?1 AND name_key = ?4 AND id <> ?2)",
                    &args,
                )?,
                self.stmt(
                    "SELECT 1 AS x FROM groups WHERE space_key = ?1 AND id = ?2",
                    &args[..2],
                )?,
            ], 0, event, space_key)
            .await?;
        // D1 counts the rows the version trigger changed too (migrations/0016).
        Ok(if changes(results.first())? >= 1 {
            Written::Done
        } else if found(results.get(1))? {
            Written::Refused
        } else {
            Written::Missing
        })
    }

    async fn delete_group(
        &self,
        permit: &Permit,
        id: &str,
        event: &Event,
    ) -> Result<Written, PortError> {
        let space_key = permit.space_key();
        let args = [text(space_key.as_str()), text(id)];
        let ours = "group_id IN (SELECT id FROM groups WHERE space_key = ?1 AND id = ?2)";
        // The event goes first, guarded as the deletion is, so that it can still name
        // the group.
        let results = self
            .batch(vec![
                self.event_stmt_where(
                    space_key,
                    event,
                    "EXISTS (SELECT 1 FROM groups WHERE space_key = ?1 AND id = ?2)",
                    &args,
                )?,
                self.stmt(&format!("DELETE FROM project_groups WHERE {ours}"), &args)?,
                self.stmt(&format!("DELETE FROM group_members WHERE {ours}"), &args)?,
                self.stmt("DELETE FROM groups WHERE space_key = ?1 AND id = ?2", &args)?,
            ])
            .await?;
        Ok(if changes(results.get(3))? == 1 {
            Written::Done
        } else {
            Written::Missing
        })
    }

    async fn write_group_member(
        &self,
        permit: &Permit,
        group_id: &str,
        account_id: &str,
        add: bool,
        actor: &str,
        now: Timestamp,
        event: &Event,
    ) -> Result<Written, PortError> {
        let space_key = permit.space_key();
        let args = [
            text(space_key.as_str()),
            text(group_id),
            text(account_id),
            time(now),
            text(actor),
        ];
        // The actor's right is read again inside the write (an administrator, or a
        // member of the group), so a right lost since the decision grants nothing.
        let may = "(EXISTS (SELECT 1 FROM memberships WHERE space_key = ?1 AND account_id = ?5 \
               AND role = 'administrator') \
             OR EXISTS (SELECT 1 FROM group_members gm JOIN memberships am \
               ON am.space_key = gm.space_key AND am.account_id = gm.account_id AND am.role = 'member' \
               WHERE gm.space_key = ?1 AND gm.group_id = ?2 AND gm.account_id = ?5))";
        let change = if add {
            self.stmt(
                &format!(
                    "INSERT INTO group_members (group_id, space_key, account_id, added_at) \
                     SELECT g.id, g.space_key, m.account_id, ?4 FROM groups g \
                     JOIN memberships m ON m.space_key = g.space_key AND m.account_id = ?3 \
                     WHERE g.space_key = ?1 AND g.id = ?2 AND {may} \
                     ON CONFLICT (group_id, account_id) DO NOTHING"
                ),
                &args,
            )?
        } else {
            self.stmt(
                &format!(
                    "DELETE FROM group_members WHERE space_key = ?1 AND group_id = ?2 AND account_id = ?3 \
                     AND {may}"
                ),
                &args,
            )?
        };
        let results = self
            .batch_recording(
                vec![
                    self.stmt(&format!("SELECT 1 AS x WHERE {may}"), &args)?,
                    change,
                    self.stmt(
                        "SELECT 1 AS x FROM groups g JOIN memberships m \
                       ON m.space_key = g.space_key AND m.account_id = ?3 \
                     WHERE g.space_key = ?1 AND g.id = ?2",
                        &args[..3],
                    )?,
                ],
                1,
                event,
                space_key,
            )
            .await?;
        Ok(if !found(results.get(2))? {
            Written::Missing
        } else if found(results.first())? {
            Written::Done
        } else {
            Written::Refused
        })
    }

    async fn write_group_role(
        &self,
        permit: &Permit,
        group_id: &str,
        role: Role,
    ) -> Result<Result<u64, AdminChange>, PortError> {
        let space_key = permit.space_key();
        let args = [
            text(space_key.as_str()),
            text(group_id),
            text(role.as_str()),
        ];
        let in_group =
            "SELECT account_id FROM group_members WHERE space_key = ?1 AND group_id = ?2";
        // Another administrator must remain outside the group, unless the group
        // becomes administrators.
        let keeps = format!(
            "(?3 = 'administrator' OR EXISTS (SELECT 1 FROM memberships WHERE space_key = ?1 \
               AND role = 'administrator' AND account_id NOT IN ({in_group})))"
        );
        // And while SAML is configured, a normal administrator outside the group.
        let keeps_normal = format!(
            "(?3 = 'administrator' OR NOT EXISTS (SELECT 1 FROM saml_settings WHERE space_key = ?1) \
              OR EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id \
                WHERE m.space_key = ?1 AND m.role = 'administrator' AND a.managed_by IS NULL \
                  AND m.account_id NOT IN ({in_group})))"
        );
        let mut statements = vec![
            self.stmt(
                &format!(
                    "SELECT {keeps} AS keeps, {keeps_normal} AS keeps_normal, \
                     EXISTS (SELECT 1 FROM groups WHERE space_key = ?1 AND id = ?2) AS found"
                ),
                &args,
            )?,
            self.stmt(
                &format!(
                    "UPDATE memberships SET role = ?3 WHERE space_key = ?1 AND role <> ?3 \
                     AND account_id IN ({in_group}) AND {keeps} AND {keeps_normal}"
                ),
                &args,
            )?,
        ];
        if role == Role::Guest {
            statements.extend(self.guest_cleanup("?1", in_group, &args[..2])?);
        }
        #[derive(Deserialize)]
        struct Check {
            keeps: f64,
            keeps_normal: f64,
            found: f64,
        }
        let results = self.batch(statements).await?;
        let check = rows::<Check>(results.first())?.into_iter().next();
        Ok(match check {
            Some(c) if c.found == 0.0 => Err(AdminChange::Missing),
            Some(c) if c.keeps == 0.0 => Err(AdminChange::LastAdmin),
            Some(c) if c.keeps_normal == 0.0 => Err(AdminChange::LastNormalAdmin),
            Some(_) => Ok(changes(results.get(1))? as u64),
            None => Err(AdminChange::Missing),
        })
    }
}
