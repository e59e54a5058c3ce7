//! Who may do what in an organization (PRODUCT.md §3), as one pure decision.
//!
//! [`authorize`] is the only way to obtain an [`Authorized`] value, and the use cases
//! that change an organization require one, so a forgotten check does not compile
//! (DESIGN.md rule 4). This actions are the organization's own; members,
//! invitations, groups and projects extend [`OrgAction`] in their issue.

use super::organization::Role;

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
    /// Apply for, upgrade or cancel the SSO add-on (the plan).
    ManagePlan,
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

/// The policy refused the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied;

/// Decides whether `membership` allows `action`.
///
/// # Errors
/// [`Denied`] when the role does not allow it.
pub fn authorize(membership: Membership, action: OrgAction) -> Result<Authorized, Denied> {
    let allowed = match action {
        OrgAction::View => true,
        OrgAction::EditProfile | OrgAction::ManagePlan => membership.role == Role::Administrator,
    };
    if allowed {
        Ok(Authorized { action })
    } else {
        Err(Denied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_and_action() {
        use OrgAction::*;
        use Role::*;
        let table = [
            (Administrator, View, true),
            (Administrator, EditProfile, true),
            (Member, View, true),
            (Member, EditProfile, false),
            (Guest, View, true),
            (Guest, EditProfile, false),
            (Administrator, ManagePlan, true),
            (Member, ManagePlan, false),
            (Guest, ManagePlan, false),
        ];
        for (role, action, allowed) in table {
            for can_invite in [false, true] {
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
}
