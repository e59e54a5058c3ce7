//! Who may do what in an organization (docs/product.md §3–§6), as one pure decision.
//!
//! [`authorize`] is the only way to obtain an [`Authorized`] value, and [`permit`] the
//! only way to obtain a [`Permit`] (that decision bound to one organization). The
//! stores' writes that change an organization take a `Permit` instead of a space key,
//! so a forgotten check does not compile and a write lands only in the organization it
//! was decided for (docs/architecture.md "Why"). Actions that depend on the target carry what the decision needs
//! (`Invite(role)`, `ManageGroup { belongs }`, `CreateProject { creator }`).
//!
//! | action | administrator | member | guest |
//! |---|---|---|---|
//! | view the organization, list members and groups | yes | yes (all) | yes (only people and groups they share a group with) |
//! | leave it | yes | yes | yes |
//! | edit profile, plan, change roles, remove members, group roles, project creators | yes | no | no |
//! | invite | any role | `member`/`guest` with **can invite** | no |
//! | list, resend, revoke invitations | yes | no | no |
//! | create a group | yes | yes | no |
//! | manage a group | yes | groups they belong to | no |
//! | create a project | yes | if chosen as project creator | no |
//!
//! Projects and diagrams are decided by [`super::project`] from the effective project
//! role.

use super::organization::{Role, SpaceKey};

/// A person's membership of one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// Their role.
    pub role: Role,
    /// The "Member Plus" privilege: may invite others.
    pub can_invite: bool,
}

/// Something a member may try to do with their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgAction {
    /// See the organization's profile and settings pages.
    View,
    /// Change the name or the organization ID.
    EditProfile,
    /// Apply for, upgrade or cancel the SSO add-on (the plan); domains.
    ManagePlan,
    /// Read, export and stream the audit log (streaming is an export that goes on).
    ReadAuditLog,
    /// List members and groups (what each sees is [`sees_member`] / [`sees_group`]).
    ListMembers,
    /// Change someone's role or privilege, remove someone, set a group's role.
    ManageMembers,
    /// Invite people with this role.
    Invite(Role),
    /// List, resend and revoke invitations.
    ManageInvitations,
    /// Create a group.
    CreateGroup,
    /// Rename or delete a group, add or remove its members.
    ManageGroup {
        /// The actor belongs to the group.
        belongs: bool,
    },
    /// Choose the project creators.
    ManageProjectCreators,
    /// Leave the organization (one's own membership only).
    Leave,
    /// Create a project.
    CreateProject {
        /// The actor is one of the chosen project creators.
        creator: bool,
    },
}

/// Proof that the policy allowed `action` for one membership. Only [`authorize`]
/// constructs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorized {
    action: OrgAction,
}

impl Authorized {
    /// The action that was allowed.
    #[must_use]
    pub const fn action(&self) -> OrgAction {
        self.action
    }
}

/// Permission to act on one organization: the policy's decision bound to the
/// organization it was made for. Only [`permit`] makes one, and the stores' writes that
/// need a decision take it instead of a space key, so such a write cannot be called
/// without one and writes only where the decision was made (lldap's admin handler is
/// the model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    space_key: SpaceKey,
    proof: Authorized,
}

impl Permit {
    /// The organization the decision is for.
    #[must_use]
    pub const fn space_key(&self) -> &SpaceKey {
        &self.space_key
    }

    /// The action that was allowed.
    #[must_use]
    pub const fn action(&self) -> OrgAction {
        self.proof.action
    }
}

/// Decides `action` for `membership` of the organization `space_key`.
///
/// # Errors
/// [`Denied`] when the role does not allow it.
pub fn permit(
    space_key: SpaceKey,
    membership: Membership,
    action: OrgAction,
) -> Result<Permit, Denied> {
    let proof = authorize(membership, action)?;
    Ok(Permit { space_key, proof })
}

/// The policy refused the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied;

/// Decides whether `membership` allows `action`.
///
/// # Errors
/// [`Denied`] when the role does not allow it.
pub fn authorize(membership: Membership, action: OrgAction) -> Result<Authorized, Denied> {
    use OrgAction as A;
    use Role::{Administrator, Guest, Member};
    let allowed = match (membership.role, action) {
        (_, A::View | A::ListMembers | A::Leave) | (Administrator, _) => true,
        (Member, A::Invite(Member | Guest)) => membership.can_invite,
        (Member, A::CreateGroup) => true,
        (Member, A::ManageGroup { belongs }) => belongs,
        (Member, A::CreateProject { creator }) => creator,
        (Member | Guest, _) => false,
    };
    if allowed {
        Ok(Authorized { action })
    } else {
        Err(Denied)
    }
}

/// Whether `viewer` sees another member in lists: administrators and members see
/// everyone; guests see themselves and the members of the groups they belong to.
#[must_use]
pub fn sees_member(viewer: Membership, shares_group: bool, is_self: bool) -> bool {
    viewer.role != Role::Guest || shares_group || is_self
}

/// Whether `viewer` sees a group: guests only the groups they belong to.
#[must_use]
pub fn sees_group(viewer: Membership, belongs: bool) -> bool {
    viewer.role != Role::Guest || belongs
}

/// Whether someone with `role` may hold the **can invite** privilege or be a project
/// creator (guests may not).
#[must_use]
pub fn may_hold_privileges(role: Role) -> bool {
    role != Role::Guest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permit_is_the_decision_bound_to_its_organization() {
        let key = SpaceKey::parse("ACME123456").unwrap();
        let admin = Membership {
            role: Role::Administrator,
            can_invite: false,
        };
        let member = Membership {
            role: Role::Member,
            ..admin
        };
        let granted = permit(key.clone(), admin, OrgAction::ManageMembers).unwrap();
        assert_eq!(granted.space_key(), &key);
        assert_eq!(granted.action(), OrgAction::ManageMembers);
        assert_eq!(permit(key, member, OrgAction::ManageMembers), Err(Denied));
    }

    #[test]
    fn every_role_and_action() {
        use OrgAction as A;
        use Role::{Administrator as Ad, Guest as G, Member as M};
        // (role, action, allowed without can_invite, allowed with can_invite)
        let table = [
            (Ad, A::View, true, true),
            (M, A::View, true, true),
            (G, A::View, true, true),
            (Ad, A::EditProfile, true, true),
            (M, A::EditProfile, false, false),
            (G, A::EditProfile, false, false),
            (Ad, A::ManagePlan, true, true),
            (M, A::ManagePlan, false, false),
            (G, A::ManagePlan, false, false),
            (Ad, A::ReadAuditLog, true, true),
            (M, A::ReadAuditLog, false, false),
            (G, A::ReadAuditLog, false, false),
            (Ad, A::ListMembers, true, true),
            (M, A::ListMembers, true, true),
            (G, A::ListMembers, true, true),
            (Ad, A::ManageMembers, true, true),
            (M, A::ManageMembers, false, false),
            (G, A::ManageMembers, false, false),
            (Ad, A::Invite(Ad), true, true),
            (Ad, A::Invite(M), true, true),
            (Ad, A::Invite(G), true, true),
            (M, A::Invite(Ad), false, false),
            (M, A::Invite(M), false, true),
            (M, A::Invite(G), false, true),
            (G, A::Invite(Ad), false, false),
            (G, A::Invite(M), false, false),
            (G, A::Invite(G), false, false),
            (Ad, A::ManageInvitations, true, true),
            (M, A::ManageInvitations, false, false),
            (G, A::ManageInvitations, false, false),
            (Ad, A::CreateGroup, true, true),
            (M, A::CreateGroup, true, true),
            (G, A::CreateGroup, false, false),
            (Ad, A::ManageGroup { belongs: false }, true, true),
            (Ad, A::ManageGroup { belongs: true }, true, true),
            (M, A::ManageGroup { belongs: false }, false, false),
            (M, A::ManageGroup { belongs: true }, true, true),
            (G, A::ManageGroup { belongs: false }, false, false),
            (G, A::ManageGroup { belongs: true }, false, false),
            (Ad, A::ManageProjectCreators, true, true),
            (M, A::ManageProjectCreators, false, false),
            (G, A::ManageProjectCreators, false, false),
            (Ad, A::CreateProject { creator: false }, true, true),
            (M, A::CreateProject { creator: false }, false, false),
            (M, A::CreateProject { creator: true }, true, true),
            (G, A::CreateProject { creator: true }, false, false),
            (G, A::CreateProject { creator: false }, false, false),
        ];
        for (role, action, plain, plus) in table {
            for (can_invite, allowed) in [(false, plain), (true, plus)] {
                let decision = authorize(Membership { role, can_invite }, action);
                assert_eq!(
                    decision.is_ok(),
                    allowed,
                    "{role:?} {action:?} {can_invite}"
                );
                if let Ok(proof) = decision {
                    assert_eq!(proof.action(), action);
                }
            }
        }
    }

    #[test]
    fn guests_see_only_their_groups() {
        let of = |role| Membership {
            role,
            can_invite: false,
        };
        for role in [Role::Administrator, Role::Member] {
            assert!(sees_member(of(role), false, false));
            assert!(sees_group(of(role), false));
        }
        assert!(!sees_member(of(Role::Guest), false, false));
        assert!(sees_member(of(Role::Guest), true, false));
        assert!(sees_member(of(Role::Guest), false, true));
        assert!(!sees_group(of(Role::Guest), false));
        assert!(sees_group(of(Role::Guest), true));
    }

    #[test]
    fn guests_hold_no_privileges() {
        assert!(may_hold_privileges(Role::Member));
        assert!(may_hold_privileges(Role::Administrator));
        assert!(!may_hold_privileges(Role::Guest));
    }
}
