//! SCIM Groups: the organization's groups (`orgpass_core::scim::groups`), whose members an
//! IdP changes among the organization's Users.
//!
//! The token acts with administrators' authority, which may put anyone in any group;
//! it reaches only the managed accounts, so a person who signed up themselves is never
//! added or removed by an IdP. Membership of a group lifts no one above the policy: a
//! guest in a group that administers a project is that project's editor (the effective
//! project role, `orgpass_core::project`), and no organization role changes.

use std::collections::BTreeSet;

use orgpass_core::{
    audit::Action,
    scim::{
        groups::{group_filter, GroupInput, GROUP_SHAPE},
        patch,
    },
    SpaceKey, TokenHash,
};

use super::{Page, ScimClient, ScimError, WRITE_ATTEMPTS};
use crate::{
    ports::{
        GroupWrite, GroupWritten, MemberStore, NewScimGroup, Random, ScimGroupRecord,
        ScimGroupStore, ScimStore, Written,
    },
    App,
};

/// The detail of a displayName's `uniqueness`.
const TAKEN: &str = "A group with this displayName exists.";

/// A Group's version, its weak ETag (RFC 7644 §3.14).
#[must_use]
pub fn group_version(g: &ScimGroupRecord) -> String {
    format!("W/\"{}\"", g.version)
}

/// The Group's writable attributes as JSON: what a PATCH applies to, and (with `id`,
/// the members' `$ref` and `meta`) what the service answers.
#[must_use]
pub fn group_resource(g: &ScimGroupRecord) -> serde_json::Map<String, serde_json::Value> {
    let mut r = serde_json::Map::new();
    r.insert("displayName".into(), g.name.clone().into());
    if let Some(x) = &g.external_id {
        r.insert("externalId".into(), x.clone().into());
    }
    let members = g
        .member_ids
        .iter()
        .map(|id| serde_json::json!({ "value": id }))
        .collect();
    r.insert("members".into(), serde_json::Value::Array(members));
    r
}

fn refused(written: GroupWritten) -> ScimError {
    match written {
        GroupWritten::Done(_) | GroupWritten::Changed => ScimError::Conflict(
            "The Group kept changing while this request was writing it; try again.",
        ),
        GroupWritten::Missing => ScimError::NotFound,
        GroupWritten::NameTaken => ScimError::Uniqueness(TAKEN),
        GroupWritten::UnknownMember => ScimError::InvalidValue(
            "every member must be a User of this organization (its id)".to_owned(),
        ),
    }
}

impl<S: ScimStore + ScimGroupStore, H, R: Random> App<S, H, R> {
    /// One page of the organization's Groups matching `filter`, read in the same batch
    /// as the token (one round trip); with their members unless `members` is false
    /// (`excludedAttributes=members`, as Entra ID asks).
    ///
    /// # Errors
    /// As [`Self::scim_users_page`].
    pub async fn scim_groups_page(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
        filter: Option<&str>,
        start_index: Option<&str>,
        count: Option<&str>,
        members: bool,
    ) -> Result<Page<ScimGroupRecord>, ScimError> {
        let (space_key, secret, asked) = self
            .asked(key, secret, filter, group_filter, start_index, count)
            .await?;
        let read = self
            .store
            .scim_groups(
                &space_key,
                secret,
                self.now,
                asked.filter.as_ref(),
                asked.start_index - 1,
                asked.count,
                members,
            )
            .await?;
        let (pass, total, items) = read.map_or((None, 0, Vec::new()), |(p, t, g)| (Some(p), t, g));
        self.client_of(space_key, pass)?;
        Ok(Page {
            total,
            start_index: asked.start_index,
            items,
        })
    }

    /// Lets the IdP in and reads one Group of the organization, in one batch.
    ///
    /// # Errors
    /// [`ScimError::Unauthenticated`], [`ScimError::PassInactive`], [`ScimError::NotFound`]
    /// (also another organization's), [`ScimError::Unavailable`].
    pub async fn scim_group_for(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
        id: &str,
    ) -> Result<(ScimClient, ScimGroupRecord), ScimError> {
        let (Some(space_key), Some(secret)) = (SpaceKey::parse(key), secret) else {
            return Err(ScimError::Unauthenticated);
        };
        let read = self
            .store
            .scim_group_with_token(&space_key, secret, self.now, id)
            .await?;
        let (pass, group) = read.map_or((None, None), |(p, g)| (Some(p), g));
        let client = self.client_of(space_key, pass)?;
        Ok((client, group.ok_or(ScimError::NotFound)?))
    }

    /// Creates a Group: a group of the organization with the Users named as members.
    ///
    /// # Errors
    /// [`ScimError::InvalidValue`] (also a member who is no User of the organization),
    /// [`ScimError::InvalidSyntax`], [`ScimError::Uniqueness`], [`ScimError::Unavailable`].
    pub async fn create_scim_group(
        &self,
        client: &ScimClient,
        body: &serde_json::Value,
    ) -> Result<ScimGroupRecord, ScimError> {
        let input = GroupInput::parse(body)?;
        let id = self.scim_id("grp")?;
        let group = NewScimGroup {
            id: &id,
            name: &input.name,
            external_id: input.external_id.as_deref(),
            member_ids: &input.member_ids,
            now: self.now,
        };
        match self
            .store
            .insert_scim_group(
                &client.space_key,
                &group,
                &self.event(Action::ScimGroupCreated, client.actor()).target(
                    "group",
                    &id,
                    Some(&input.name),
                ),
            )
            .await?
        {
            GroupWritten::Done(g) => Ok(g),
            other => Err(refused(other)),
        }
    }

    /// Replaces a Group (PUT): its name, externalId and member Users become the body's.
    ///
    /// # Errors
    /// As [`Self::scim_group_for`] and [`Self::create_scim_group`], and
    /// [`ScimError::PreconditionFailed`], [`ScimError::Conflict`].
    pub async fn replace_scim_group(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
        id: &str,
        body: &Result<serde_json::Value, ScimError>,
        if_match: Option<&str>,
    ) -> Result<ScimGroupRecord, ScimError> {
        let (client, current) = self.scim_group_for(key, secret, id).await?;
        let input = GroupInput::parse(body.as_ref().map_err(Clone::clone)?)?;
        self.write_group(&client, current, if_match, |_| Ok(input.clone()))
            .await
    }

    /// Applies a PATCH to a Group: read (with the token), apply, check as a replace,
    /// write if unchanged meanwhile (else again, from a fresh read).
    ///
    /// # Errors
    /// As [`Self::replace_scim_group`], and [`ScimError::InvalidPath`],
    /// [`ScimError::NoTarget`], [`ScimError::Mutability`].
    pub async fn patch_scim_group(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
        id: &str,
        body: &Result<serde_json::Value, ScimError>,
        if_match: Option<&str>,
    ) -> Result<ScimGroupRecord, ScimError> {
        let (client, current) = self.scim_group_for(key, secret, id).await?;
        let body = body.as_ref().map_err(Clone::clone)?;
        self.write_group(&client, current, if_match, |current| {
            let mut resource = group_resource(current);
            patch::apply(&mut resource, body, &GROUP_SHAPE)?;
            Ok(GroupInput::parse(&serde_json::Value::Object(resource))?)
        })
        .await
    }

    /// The read-modify-write of a Group: `change` makes the new state from the current
    /// one; the write is a compare-and-set on the version read, and changes only the
    /// members who join or leave.
    async fn write_group(
        &self,
        client: &ScimClient,
        first: ScimGroupRecord,
        if_match: Option<&str>,
        change: impl Fn(&ScimGroupRecord) -> Result<GroupInput, ScimError>,
    ) -> Result<ScimGroupRecord, ScimError> {
        let id = first.id.clone();
        let mut read = Some(first);
        for _ in 0..WRITE_ATTEMPTS {
            let current = match read.take() {
                Some(current) => current,
                None => self
                    .store
                    .scim_group(&client.space_key, &id)
                    .await?
                    .ok_or(ScimError::NotFound)?,
            };
            if if_match
                .is_some_and(|tag| tag.trim() != "*" && tag.trim() != group_version(&current))
            {
                return Err(ScimError::PreconditionFailed);
            }
            let input = change(&current)?;
            let now: BTreeSet<&str> = current.member_ids.iter().map(String::as_str).collect();
            let wanted: BTreeSet<&str> = input.member_ids.iter().map(String::as_str).collect();
            let added: Vec<String> = input
                .member_ids
                .iter()
                .filter(|m| !now.contains(m.as_str()))
                .cloned()
                .collect();
            let removed: Vec<String> = current
                .member_ids
                .iter()
                .filter(|m| !wanted.contains(m.as_str()))
                .cloned()
                .collect();
            // A change that changes nothing (an IdP repeating itself) writes nothing:
            // the version and the audit log stay as they are.
            if added.is_empty()
                && removed.is_empty()
                && input.name == current.name
                && input.external_id == current.external_id
            {
                return Ok(current);
            }
            let write_id = self.scim_id("wr")?;
            let write = GroupWrite {
                id: &id,
                expected: current.version,
                name: &input.name,
                external_id: input.external_id.as_deref(),
                added: &added,
                removed: &removed,
                write_id: &write_id,
                now: self.now,
            };
            match self
                .store
                .update_scim_group(
                    &client.space_key,
                    &write,
                    &self.event(Action::ScimGroupUpdated, client.actor()).target(
                        "group",
                        &id,
                        Some(&input.name),
                    ),
                )
                .await?
            {
                GroupWritten::Done(g) => return Ok(g),
                // Someone else wrote first: with If-Match that is a failed precondition,
                // without it the change is made again on what they wrote.
                GroupWritten::Changed if if_match.is_some() => {
                    return Err(ScimError::PreconditionFailed)
                }
                GroupWritten::Changed => {}
                other => return Err(refused(other)),
            }
        }
        Err(refused(GroupWritten::Changed))
    }
}

impl<S: MemberStore, H, R: Random> App<S, H, R> {
    /// Deletes a Group: the group, its memberships and its project roles (its people stay
    /// members of the organization).
    ///
    /// # Errors
    /// [`ScimError::NotFound`], [`ScimError::Unavailable`].
    pub async fn delete_scim_group(&self, client: &ScimClient, id: &str) -> Result<(), ScimError> {
        let event = self
            .event(Action::ScimGroupDeleted, client.actor())
            .target("group", id, None);
        match self.store.delete_group(&client.permit, id, &event).await? {
            Written::Done => Ok(()),
            Written::Missing | Written::Refused => Err(ScimError::NotFound),
        }
    }
}
