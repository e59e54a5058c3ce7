//! The organization's groups as SCIM Groups in D1 (migrations/0016_scim_groups.sql). A
//! Group's members are the managed accounts in it; its version is `groups.version`,
//! which the migration's triggers grow with every change of the group, made here or
//! anywhere else. A write is a compare-and-set on it.

use orgpass_app::ports::{
    Event, GroupWrite, GroupWritten, NewScimGroup, PortError, ScimAccess, ScimGroupRecord,
    ScimGroupStore,
};
use orgpass_core::{
    invitation::group_name_key,
    scim::groups::{GroupAttr, GroupFilter},
    SpaceKey, Timestamp, TokenHash,
};
use serde::Deserialize;
use worker::D1Result;

use super::{
    sql::Column,
    store::{pass_of, Listing, TOKEN_VALID},
};
use crate::platform::d1::{changes, int, millis, opt_text, rows, text, D1Store};

/// The groups of the organization bound at `?1`, with the ids of their managed members
/// (or none, when the IdP asked to leave them out) as a JSON list.
fn group_sql(members: bool) -> String {
    let members = if members {
        "(SELECT json_group_array(id) FROM (SELECT ma.id \
           FROM group_members gm JOIN accounts ma ON ma.id = gm.account_id \
             AND ma.managed_by = g.space_key \
           WHERE gm.group_id = g.id ORDER BY gm.added_at, ma.id))"
    } else {
        "'[]'"
    };
    format!(
        "SELECT g.id, g.name, g.external_id, g.created_at, \
           COALESCE(g.updated_at, g.created_at) AS updated_at, g.version, {members} AS members \
         FROM groups g WHERE g.space_key = ?1"
    )
}

/// The SQL of a Group attribute (over [`group_sql`]'s `g`).
const fn column(attr: GroupAttr) -> Column {
    match attr {
        GroupAttr::Id => Column::Plain("g.id"),
        // Lower-cased as the filter's value is (the name's key).
        GroupAttr::DisplayName => Column::Plain("g.name_key"),
        GroupAttr::ExternalId => Column::Plain("g.external_id"),
        GroupAttr::Member => Column::Many {
            within: "SELECT 1 FROM group_members fm JOIN accounts fa ON fa.id = fm.account_id \
                       AND fa.managed_by = g.space_key WHERE fm.group_id = g.id",
            expr: "fm.account_id",
        },
        GroupAttr::Created => Column::Plain("g.created_at"),
        GroupAttr::LastModified => Column::Plain("COALESCE(g.updated_at, g.created_at)"),
    }
}

#[derive(Deserialize)]
struct GroupRow {
    id: String,
    name: String,
    external_id: Option<String>,
    created_at: f64,
    updated_at: f64,
    version: f64,
    members: String,
}

impl GroupRow {
    fn into_record(self) -> Result<ScimGroupRecord, PortError> {
        let member_ids: Vec<String> = serde_json::from_str(&self.members)
            .map_err(|_| PortError(format!("d1: members of group {}", self.id)))?;
        // A counter: a non-negative integer.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let version = self.version as u64;
        Ok(ScimGroupRecord {
            id: self.id,
            name: self.name,
            external_id: self.external_id,
            member_ids,
            created_at: millis(self.created_at),
            updated_at: millis(self.updated_at),
            version,
        })
    }
}

fn groups_from(result: Option<&D1Result>) -> Result<Vec<ScimGroupRecord>, PortError> {
    rows::<GroupRow>(result)?
        .into_iter()
        .map(GroupRow::into_record)
        .collect()
}

/// Every id in the JSON list at `list` is a User of the organization at `?1` (a managed
/// account with its membership).
fn all_users(list: &str) -> String {
    format!(
        "((SELECT count(*) FROM json_each({list}) j JOIN accounts a ON a.id = j.value \
            AND a.managed_by = ?1 \
          JOIN memberships m ON m.space_key = ?1 AND m.account_id = a.id) \
          = json_array_length({list}))"
    )
}

/// Puts the Users of the JSON list at `list` in the group `group` (`?1` the space key,
/// `now` the time), where `condition` holds.
fn joining(group: &str, list: &str, now: &str, condition: &str) -> String {
    format!(
        "INSERT INTO group_members (group_id, space_key, account_id, added_at) \
         SELECT {group}, ?1, a.id, {now} FROM json_each({list}) j \
           JOIN accounts a ON a.id = j.value AND a.managed_by = ?1 \
           JOIN memberships m ON m.space_key = ?1 AND m.account_id = a.id \
         WHERE {condition} \
         ON CONFLICT (group_id, account_id) DO NOTHING"
    )
}

fn json_list(ids: &[String]) -> Result<String, PortError> {
    serde_json::to_string(ids).map_err(|e| PortError(format!("json: {e}")))
}

#[derive(Deserialize)]
struct Checks {
    found: f64,
    current: f64,
    free: f64,
    users: f64,
}

impl Checks {
    fn of(result: Option<&D1Result>) -> Result<Self, PortError> {
        rows::<Self>(result)?
            .into_iter()
            .next()
            .ok_or_else(|| PortError("d1: no check row".to_owned()))
    }

    /// Why a write that changed nothing did not.
    fn refusal(&self) -> GroupWritten {
        if self.found == 0.0 {
            GroupWritten::Missing
        } else if self.current == 0.0 {
            GroupWritten::Changed
        } else if self.free == 0.0 {
            GroupWritten::NameTaken
        } else if self.users == 0.0 {
            GroupWritten::UnknownMember
        } else {
            GroupWritten::Changed
        }
    }
}

/// The one group a write read back.
fn written(result: Option<&D1Result>) -> Result<GroupWritten, PortError> {
    groups_from(result)?
        .into_iter()
        .next()
        .map(GroupWritten::Done)
        .ok_or_else(|| PortError("d1: the written group is gone".to_owned()))
}

impl ScimGroupStore for D1Store {
    async fn scim_groups(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
        filter: Option<&GroupFilter>,
        offset: u32,
        limit: u32,
        members: bool,
    ) -> Result<Option<(ScimAccess, u64, Vec<ScimGroupRecord>)>, PortError> {
        let page = group_sql(members);
        let listing = Listing {
            count: "SELECT count(*) AS n FROM groups g WHERE g.space_key = ?1",
            page: &page,
            order: "g.created_at, g.id",
            column: &column,
        };
        let Some((access, total, rows)) = self
            .scim_page::<_, GroupRow>(space_key, secret, now, &listing, filter, offset, limit)
            .await?
        else {
            return Ok(None);
        };
        let groups = rows
            .into_iter()
            .map(GroupRow::into_record)
            .collect::<Result<_, _>>()?;
        Ok(Some((access, total, groups)))
    }

    async fn scim_group_with_token(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
        id: &str,
    ) -> Result<Option<(ScimAccess, Option<ScimGroupRecord>)>, PortError> {
        let mut statements = self.token_statements(space_key, secret, now)?;
        statements.push(self.stmt(
            &format!("{} AND {TOKEN_VALID} AND g.id = ?3", group_sql(true)),
            &[text(space_key.as_str()), text(&secret.to_hex()), text(id)],
        )?);
        let results = self.batch(statements).await?;
        let Some(pass) = pass_of(results.get(1), space_key)? else {
            return Ok(None);
        };
        Ok(Some((
            pass,
            groups_from(results.get(2))?.into_iter().next(),
        )))
    }

    async fn scim_group(
        &self,
        space_key: &SpaceKey,
        id: &str,
    ) -> Result<Option<ScimGroupRecord>, PortError> {
        let result = self
            .one(self.stmt(
                &format!("{} AND g.id = ?2", group_sql(true)),
                &[text(space_key.as_str()), text(id)],
            )?)
            .await?;
        Ok(groups_from(Some(&result))?.into_iter().next())
    }

    async fn insert_scim_group(
        &self,
        space_key: &SpaceKey,
        group: &NewScimGroup<'_>,
        event: &Event,
    ) -> Result<GroupWritten, PortError> {
        let args = [
            text(space_key.as_str()),
            text(group.id),
            text(group.name),
            text(&group_name_key(group.name)),
            int(group.now.millis()),
            opt_text(group.external_id),
            text(&json_list(group.member_ids)?),
        ];
        let free = "NOT EXISTS (SELECT 1 FROM groups WHERE space_key = ?1 AND name_key = ?4)";
        let users = all_users("?7");
        let results = self
            .batch_recording(vec![
                self.stmt(
                    &format!("SELECT 1 AS found, 1 AS current, {free} AS free, {users} AS users"),
                    &args,
                )?,
                self.stmt(
                    &format!(
                        "INSERT INTO groups (id, space_key, name, name_key, created_at, external_id) \
                         SELECT ?2, ?1, ?3, ?4, ?5, ?6 WHERE {free} AND {users}"
                    ),
                    &args,
                )?,
                self.stmt(
                    &joining(
                        "?2",
                        "?7",
                        "?5",
                        "EXISTS (SELECT 1 FROM groups WHERE id = ?2 AND space_key = ?1)",
                    ),
                    &args,
                )?,
                self.stmt(&format!("{} AND g.id = ?2", group_sql(true)), &args)?,
            ], 1, event, space_key)
            .await?;
        if changes(results.get(1))? == 1 {
            return written(results.get(3));
        }
        Ok(Checks::of(results.first())?.refusal())
    }

    async fn update_scim_group(
        &self,
        space_key: &SpaceKey,
        write: &GroupWrite<'_>,
        event: &Event,
    ) -> Result<GroupWritten, PortError> {
        #[allow(clippy::cast_possible_wrap)]
        let expected = write.expected as i64; // a counter far below i64::MAX
        let args = [
            text(space_key.as_str()),
            text(write.id),
            int(expected),
            text(write.name),
            text(&group_name_key(write.name)),
            opt_text(write.external_id),
            text(&json_list(write.added)?),
            text(&json_list(write.removed)?),
            text(write.write_id),
            int(write.now.millis()),
        ];
        let found = "EXISTS (SELECT 1 FROM groups WHERE space_key = ?1 AND id = ?2)";
        let current =
            "EXISTS (SELECT 1 FROM groups WHERE space_key = ?1 AND id = ?2 AND version = ?3)";
        let free =
            "NOT EXISTS (SELECT 1 FROM groups WHERE space_key = ?1 AND name_key = ?5 AND id <> ?2)";
        let users = all_users("?7");
        // The first statement decides, in the batch's one transaction; the later ones act
        // only if it wrote (`won`: the row carries this write's random id).
        let won = "EXISTS (SELECT 1 FROM groups WHERE id = ?2 AND write_id = ?9)";
        let results = self
            .batch_recording(vec![
                self.stmt(
                    &format!(
                        "SELECT {found} AS found, {current} AS current, {free} AS free, \
                         {users} AS users"
                    ),
                    &args,
                )?,
                self.stmt(
                    &format!(
                        "UPDATE groups SET name = ?4, name_key = ?5, external_id = ?6, write_id = ?9 \
                         WHERE space_key = ?1 AND id = ?2 AND version = ?3 AND {free} AND {users}"
                    ),
                    &args,
                )?,
                self.stmt(
                    &format!(
                        "DELETE FROM group_members WHERE space_key = ?1 AND group_id = ?2 \
                           AND account_id IN (SELECT value FROM json_each(?8)) \
                           AND account_id IN (SELECT id FROM accounts WHERE managed_by = ?1) \
                           AND {won}"
                    ),
                    &args,
                )?,
                self.stmt(&joining("?2", "?7", "?10", won), &args)?,
                self.stmt(&format!("{} AND g.id = ?2", group_sql(true)), &args)?,
            ], 1, event, space_key)
            .await?;
        // D1 counts the rows its triggers changed too (the version's).
        if changes(results.get(1))? >= 1 {
            return written(results.get(4));
        }
        Ok(Checks::of(results.first())?.refusal())
    }
}
