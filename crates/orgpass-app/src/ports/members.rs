//! Members and groups.

use orgpass_core::{policy::Permit, Email, Membership, Role, SpaceKey, Timestamp, TokenHash};

use super::*;

/// A member of an organization as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// The account's id.
    pub account_id: String,
    /// Email.
    pub email: Email,
    /// Display name.
    pub name: String,
    /// A managed account (logs in through SSO).
    pub managed: bool,
    /// Role and privilege.
    pub membership: Membership,
    /// The groups they belong to.
    pub group_ids: Vec<String>,
    /// They share a group with the viewer (what a guest may see).
    pub shares_group: bool,
}

/// A page of the member list.
#[derive(Debug, Clone)]
pub struct MembersPage {
    /// The viewer and the organization.
    pub context: MemberContext,
    /// Members after the cursor, by email; the store already leaves out whom a guest
    /// may not see (the use case checks again with the policy).
    pub members: Vec<MemberRecord>,
    /// The organization's groups, by name (empty unless the viewer is a member), read
    /// in the same batch so that a team page costs one round trip.
    pub groups: Vec<GroupRecord>,
}

/// A change of a member's role or privilege: only the fields given are written, over
/// the member's current row (never a value read a round trip earlier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberUpdate {
    /// New role, if it changes.
    pub role: Option<Role>,
    /// New privilege, if it changes.
    pub can_invite: Option<bool>,
}

/// What a member change came to, decided inside the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Written; the member as they are now.
    Done(MemberRecord),
    /// Refused by the administrator guards (or the target is not a member).
    Refused(AdminChange),
    /// **can invite** was asked for someone who is (or becomes) a guest.
    GuestNotAllowed,
}

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// Opaque id (`grp_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Members' account ids.
    pub member_ids: Vec<String>,
}

/// Outcome of a write that may find its target gone or its name taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Done.
    Done,
    /// The target does not exist in this organization.
    Missing,
    /// A guard refused (name taken, last administrator, …).
    Refused,
}

/// The outcome of a change that could take away administrators (a role change, a
/// removal, a group's role, deleting a managed account); the store's guards decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChange {
    /// Done.
    Done,
    /// The target does not exist in this organization.
    Missing,
    /// No administrator would remain.
    LastAdmin,
    /// No normal (non-managed) administrator would remain while SAML is configured.
    LastNormalAdmin,
}

/// Members and groups. Every write takes the audit [`Event`] it records, which the store
/// writes in the same batch only if the change is made.
pub trait MemberStore {
    /// The viewer's context, one page of members and the groups, in one round trip.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn members_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Option<MembersPage>, PortError>;

    /// The viewer's context and the organization's groups, in one round trip (the
    /// group routes decide on them before they write).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn groups_with_context(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<(MemberContext, Vec<GroupRecord>)>, PortError>;

    /// Changes a member in one guarded statement over their current row: the fields
    /// not given keep their current values, the last-administrator guards look at the
    /// current role, and a guest loses `can_invite`, project creation and direct project
    /// administration in the same batch. The member is read back as `viewer` sees them.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn update_member(
        &self,
        permit: &Permit,
        account_id: &str,
        viewer: &str,
        update: MemberUpdate,
        event: &Event,
    ) -> Result<MemberChange, PortError>;

    /// Removes a member with their group, project and creator rows, atomically;
    /// [`AdminChange::LastAdmin`] / [`AdminChange::LastNormalAdmin`] when the
    /// guards refuse.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn delete_membership(
        &self,
        permit: &Permit,
        account_id: &str,
        event: &Event,
    ) -> Result<AdminChange, PortError>;

    /// Creates a group (with its first member, if given); [`Written::Refused`] when the
    /// name is taken.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn insert_group(
        &self,
        permit: &Permit,
        group: &GroupRecord,
        now: Timestamp,
        event: &Event,
    ) -> Result<Written, PortError>;

    /// Renames a group; [`Written::Refused`] when the name is taken.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn update_group_name(
        &self,
        permit: &Permit,
        id: &str,
        name: &str,
        event: &Event,
    ) -> Result<Written, PortError>;

    /// Deletes a group (its memberships and project roles go with it).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn delete_group(
        &self,
        permit: &Permit,
        id: &str,
        event: &Event,
    ) -> Result<Written, PortError>;

    /// Adds (`add`) or removes a member of a group on behalf of `actor`;
    /// [`Written::Missing`] when the group or the member is not this organization's,
    /// [`Written::Refused`] when `actor` no longer may manage the group at the moment of
    /// the write (neither an administrator nor a member of it).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    #[allow(clippy::too_many_arguments)]
    async fn write_group_member(
        &self,
        permit: &Permit,
        group_id: &str,
        account_id: &str,
        add: bool,
        actor: &str,
        now: Timestamp,
        event: &Event,
    ) -> Result<Written, PortError>;

    /// Sets the organization role of every member of a group; returns how many
    /// changed, or [`Written::Refused`] when no administrator would remain.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn write_group_role(
        &self,
        permit: &Permit,
        group_id: &str,
        role: Role,
    ) -> Result<Result<u64, AdminChange>, PortError>;
}
