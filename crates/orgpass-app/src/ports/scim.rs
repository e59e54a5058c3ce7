//! SCIM provisioning tokens (docs/api.md "SCIM 2.0 provisioning").

use orgpass_core::{
    pass::Pass,
    policy::Permit,
    scim::{groups::GroupFilter, users::UserFilter},
    Email, SpaceKey, Timestamp, TokenHash,
};

use super::{Event, PortError};

/// An IdP's accepted token: which one, and its organization's add-on state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimAccess {
    /// The token's id (the audit log's SCIM actor).
    pub token_id: String,
    /// The organization's add-on state.
    pub pass: Pass,
}

/// A provisioning token as administrators see it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimTokenRecord {
    /// Id.
    pub id: String,
    /// Created at.
    pub created_at: Timestamp,
    /// When an IdP last used it (to the minute).
    pub last_used_at: Option<Timestamp>,
    /// Whether it works: its creator is still an administrator of the organization.
    pub active: bool,
}

/// A managed account as a SCIM User.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUserRecord {
    /// The account id (the User's `id`).
    pub id: String,
    /// `userName`.
    pub email: Email,
    /// The account's name, as orgpass shows it.
    pub name: String,
    /// `displayName` (an account an administrator created: its name).
    pub display_name: Option<String>,
    /// `name.givenName`.
    pub given_name: Option<String>,
    /// `name.familyName`.
    pub family_name: Option<String>,
    /// `externalId`.
    pub external_id: Option<String>,
    /// `active` (`None`: unassigned, which behaves as true).
    pub active: Option<bool>,
    /// `meta.created`.
    pub created_at: Timestamp,
    /// `meta.lastModified` (and the version).
    pub updated_at: Timestamp,
}

/// A User's new attributes, written only if it is still at the version read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWrite<'a> {
    /// The account.
    pub id: &'a str,
    /// Its `meta.lastModified` when read (the compare-and-set's expectation).
    pub expected: Timestamp,
    /// The new state (email, name, the SCIM fields).
    pub user: &'a ScimUserRecord,
    /// A random id of this write (the batch's later statements act only if it won).
    pub write_id: &'a str,
}

/// What became of a [`UserWrite`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserWritten {
    /// Written (and, for a deactivation, its sessions ended).
    Done,
    /// No managed account of the organization has this id.
    Missing,
    /// It changed since it was read; nothing was written.
    Changed,
    /// Another account has the new email.
    EmailTaken,
    /// The new email is not in a verified domain of the organization.
    DomainNotVerified,
}

/// A refusal of an authenticated IdP's request, as the Authentication tab lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimRefusalRecord {
    /// When.
    pub at: Timestamp,
    /// The method and the path below the base URL (`PATCH /Users/acct_…`).
    pub request: String,
    /// The HTTP status.
    pub status: u16,
    /// The `scimType`, if any.
    pub scim_type: Option<String>,
    /// The error body's `detail`.
    pub detail: String,
}

/// How many refusals an organization keeps.
pub const SCIM_REFUSALS_KEPT: u32 = 20;

/// Storage of provisioning tokens and of managed accounts as SCIM Users.
pub trait ScimStore {
    /// Notes a refusal of the organization's IdP, keeping the last
    /// [`SCIM_REFUSALS_KEPT`] (one batch).
    async fn insert_scim_refusal(
        &self,
        space_key: &SpaceKey,
        refusal: &ScimRefusalRecord,
    ) -> Result<(), PortError>;

    /// Stores a new token of the permit's organization, made by `created_by`.
    async fn insert_scim_token(
        &self,
        permit: &Permit,
        token: &ScimTokenRecord,
        secret: &TokenHash,
        created_by: &str,
        event: &Event,
    ) -> Result<(), PortError>;

    /// The permit's organization's tokens, oldest first.
    async fn read_scim_tokens(&self, permit: &Permit) -> Result<Vec<ScimTokenRecord>, PortError>;

    /// Deletes one of the permit's organization's tokens (`false`: no such token there).
    async fn delete_scim_token(
        &self,
        permit: &Permit,
        id: &str,
        event: &Event,
    ) -> Result<bool, PortError>;

    /// The add-on state of `space_key` when `secret` is one of its tokens, noting the
    /// use (at most once a minute per token); `None` for any other secret.
    async fn use_scim_token(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<ScimAccess>, PortError>;

    /// When `secret` is a token of `space_key`: its use noted (as [`Self::use_scim_token`]),
    /// the organization's add-on state, and one page of its managed accounts matching
    /// `filter`, oldest first (`offset` rows skipped, at most `limit`), with how many
    /// match in all; all in one batch. `None` for any other secret.
    async fn scim_users(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
        filter: Option<&UserFilter>,
        offset: u32,
        limit: u32,
    ) -> Result<Option<(ScimAccess, u64, Vec<ScimUserRecord>)>, PortError>;

    /// When `secret` is a token of `space_key`: its use noted, the organization's add-on
    /// state and its managed account `id` (if any), in one batch. `None` for any other
    /// secret.
    async fn scim_user_with_token(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
        id: &str,
    ) -> Result<Option<(ScimAccess, Option<ScimUserRecord>)>, PortError>;

    /// One managed account of the organization.
    async fn scim_user(
        &self,
        space_key: &SpaceKey,
        id: &str,
    ) -> Result<Option<ScimUserRecord>, PortError>;

    /// Writes a User if it is still at `write.expected` (one batch): its email and name,
    /// its SCIM fields and version (`user.updated_at`, later than `expected`), and when it
    /// is deactivated, the end of its sessions (whose Back-Channel Logouts are queued).
    async fn update_scim_user(
        &self,
        space_key: &SpaceKey,
        write: &UserWrite<'_>,
        event: &Event,
    ) -> Result<UserWritten, PortError>;
}

/// A group of the organization as a SCIM Group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroupRecord {
    /// The group's id.
    pub id: String,
    /// `displayName`.
    pub name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// The ids of its members who are Users (managed accounts), in the order they
    /// joined.
    pub member_ids: Vec<String>,
    /// `meta.created`.
    pub created_at: Timestamp,
    /// `meta.lastModified`.
    pub updated_at: Timestamp,
    /// The version: it grows with every change of the group, whoever makes it.
    pub version: u64,
}

/// A new Group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScimGroup<'a> {
    /// Its id.
    pub id: &'a str,
    /// `displayName`.
    pub name: &'a str,
    /// `externalId`.
    pub external_id: Option<&'a str>,
    /// Its members: Users of the organization.
    pub member_ids: &'a [String],
    /// Now.
    pub now: Timestamp,
}

/// A Group's new state, written only if it is still at the version read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupWrite<'a> {
    /// The group.
    pub id: &'a str,
    /// Its version when read (the compare-and-set's expectation).
    pub expected: u64,
    /// `displayName`.
    pub name: &'a str,
    /// `externalId`.
    pub external_id: Option<&'a str>,
    /// Users who join it (each must be one of the organization's).
    pub added: &'a [String],
    /// Users who leave it.
    pub removed: &'a [String],
    /// A random id of this write (the batch's later statements act only if it won).
    pub write_id: &'a str,
    /// Now.
    pub now: Timestamp,
}

/// What became of a Group's create or [`GroupWrite`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupWritten {
    /// Written: the Group as it now is.
    Done(ScimGroupRecord),
    /// No group of the organization has this id.
    Missing,
    /// It changed since it was read; nothing was written.
    Changed,
    /// Another group of the organization has the name.
    NameTaken,
    /// A member to add is not a User of the organization.
    UnknownMember,
}

/// Storage of the organization's groups as SCIM Groups.
pub trait ScimGroupStore {
    /// When `secret` is a token of `space_key`: its use noted (as
    /// [`ScimStore::use_scim_token`]), the organization's add-on state, and one page of
    /// its groups matching `filter`, oldest first (`offset` skipped, at most `limit`),
    /// with how many match in all; without their members unless `members`. `None` for
    /// any other secret.
    #[allow(clippy::too_many_arguments)]
    async fn scim_groups(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
        filter: Option<&GroupFilter>,
        offset: u32,
        limit: u32,
        members: bool,
    ) -> Result<Option<(ScimAccess, u64, Vec<ScimGroupRecord>)>, PortError>;

    /// When `secret` is a token of `space_key`: its use noted, the add-on state and the
    /// group `id` (if the organization's), in one batch. `None` for any other secret.
    async fn scim_group_with_token(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
        id: &str,
    ) -> Result<Option<(ScimAccess, Option<ScimGroupRecord>)>, PortError>;

    /// One group of the organization.
    async fn scim_group(
        &self,
        space_key: &SpaceKey,
        id: &str,
    ) -> Result<Option<ScimGroupRecord>, PortError>;

    /// Creates a group with its members, if its name is free and every member is a User
    /// of the organization (one batch).
    async fn insert_scim_group(
        &self,
        space_key: &SpaceKey,
        group: &NewScimGroup<'_>,
        event: &Event,
    ) -> Result<GroupWritten, PortError>;

    /// Writes a group if it is still at `write.expected` (one batch), and reads it back.
    async fn update_scim_group(
        &self,
        space_key: &SpaceKey,
        write: &GroupWrite<'_>,
        event: &Event,
    ) -> Result<GroupWritten, PortError>;
}
