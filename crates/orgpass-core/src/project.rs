//! Projects and diagrams (docs/product.md §6): project roles, the effective role of a
//! person, and the one decision about project and diagram actions.
//!
//! A person's **effective role** in a project is the highest of their direct role and
//! the roles of the groups they belong to ([`effective`]); for a guest it is capped at
//! `editor`, since guests are never project administrators (a direct `admin` for a
//! guest is refused outright by [`assignable`]). Organization administrators manage
//! every project without a project role.
//!
//! [`decide`] answers the products' question (allowed, and why); [`authorize`] is the
//! same decision as a capability ([`ProjectAuthorized`]) that the use cases require.

use super::{
    organization::{Role, SpaceKey},
    validation::FieldError,
};

/// A role in a project, ordered `Viewer < Editor < Admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProjectRole {
    /// Views the project and its diagrams.
    Viewer,
    /// Also creates, edits and deletes diagrams.
    Editor,
    /// Also manages the project and its members.
    Admin,
}

impl ProjectRole {
    /// The stable name used in the API and the database.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    /// Reads a stable name.
    ///
    /// # Errors
    /// `invalid_project_role` for anything else.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        match input {
            "viewer" => Ok(Self::Viewer),
            "editor" => Ok(Self::Editor),
            "admin" => Ok(Self::Admin),
            _ => Err(FieldError::new(
                "role",
                "invalid_project_role",
                "Choose admin, editor or viewer.",
            )),
        }
    }
}

/// Where one of a person's project roles comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// Given to the person directly.
    Direct,
    /// Through membership of this group (its id).
    Group(String),
}

impl Via {
    /// `direct` or `group:<id>`, as the API shows it.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Direct => "direct".to_owned(),
            Self::Group(id) => format!("group:{id}"),
        }
    }
}

/// One project role a person holds, and where from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role.
    pub role: ProjectRole,
    /// Its source.
    pub via: Via,
}

/// The effective project role of a person with organization role `org_role` holding
/// `grants`: the highest, capped at `editor` for guests; `None` without any grant.
#[must_use]
pub fn effective(org_role: Role, grants: &[Grant]) -> Option<ProjectRole> {
    let highest = grants.iter().map(|g| g.role).max()?;
    Some(if org_role == Role::Guest {
        highest.min(ProjectRole::Editor)
    } else {
        highest
    })
}

/// A guest cannot be given a project `admin` role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestNotAllowed;

/// Whether a person with `org_role` may be given `role` directly in a project.
///
/// # Errors
/// [`GuestNotAllowed`] for `admin` to a guest.
pub fn assignable(org_role: Role, role: ProjectRole) -> Result<(), GuestNotAllowed> {
    if org_role == Role::Guest && role == ProjectRole::Admin {
        Err(GuestNotAllowed)
    } else {
        Ok(())
    }
}

/// Something one may do with a project or its diagrams (docs/api.md `authorize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectAction {
    /// See the project, its members and diagrams.
    View,
    /// Rename the project, manage its members and groups.
    Manage,
    /// Create a diagram.
    DiagramCreate,
    /// Open a diagram.
    DiagramView,
    /// Change a diagram.
    DiagramEdit,
    /// Delete a diagram.
    DiagramDelete,
}

impl ProjectAction {
    /// Reads the API name (`project.view`, …, `diagram.delete`).
    #[must_use]
    pub fn parse(input: &str) -> Option<Self> {
        Some(match input {
            "project.view" => Self::View,
            "project.manage" => Self::Manage,
            "diagram.create" => Self::DiagramCreate,
            "diagram.view" => Self::DiagramView,
            "diagram.edit" => Self::DiagramEdit,
            "diagram.delete" => Self::DiagramDelete,
            _ => return None,
        })
    }

    /// The lowest project role that allows the action.
    #[must_use]
    pub const fn needs(self) -> ProjectRole {
        match self {
            Self::View | Self::DiagramView => ProjectRole::Viewer,
            Self::DiagramCreate | Self::DiagramEdit | Self::DiagramDelete => ProjectRole::Editor,
            Self::Manage => ProjectRole::Admin,
        }
    }
}

/// Why a project decision came out as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Allowed: organization administrators manage every project.
    OrganizationAdministrator,
    /// Allowed by this effective project role.
    ProjectRole(ProjectRole),
    /// Refused: the person is not a member of the organization.
    NotOrganizationMember,
    /// Refused: the person has no role in the project.
    NotProjectMember,
    /// Refused: the effective role is lower than the action needs.
    RoleTooLow {
        /// The person's effective role.
        has: ProjectRole,
        /// What the action needs.
        needs: ProjectRole,
    },
}

impl Reason {
    /// The stable reason code of the API.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::OrganizationAdministrator => "organization_administrator",
            Self::ProjectRole(ProjectRole::Admin) => "project_admin",
            Self::ProjectRole(ProjectRole::Editor) => "project_editor",
            Self::ProjectRole(ProjectRole::Viewer) => "project_viewer",
            Self::NotOrganizationMember => "not_organization_member",
            Self::NotProjectMember => "not_project_member",
            Self::RoleTooLow {
                needs: ProjectRole::Admin,
                ..
            } => "requires_project_admin",
            Self::RoleTooLow {
                needs: ProjectRole::Editor,
                ..
            } => "requires_project_editor",
            Self::RoleTooLow {
                needs: ProjectRole::Viewer,
                ..
            } => "requires_project_viewer",
        }
    }
}

/// Proof that [`authorize`] allowed `action` on a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectAuthorized {
    action: ProjectAction,
    reason: Reason,
}

impl ProjectAuthorized {
    /// The action allowed.
    #[must_use]
    pub const fn action(&self) -> ProjectAction {
        self.action
    }

    /// Why it was allowed.
    #[must_use]
    pub const fn reason(&self) -> Reason {
        self.reason
    }
}

/// Decides `action` for a person whose organization role is `org_role` (`None`: not a
/// member) and whose effective project role is `role`.
///
/// # Errors
/// The [`Reason`] of the refusal.
pub fn authorize(
    org_role: Option<Role>,
    role: Option<ProjectRole>,
    action: ProjectAction,
) -> Result<ProjectAuthorized, Reason> {
    let reason = match (org_role, role) {
        (None, _) => return Err(Reason::NotOrganizationMember),
        (Some(Role::Administrator), _) => Reason::OrganizationAdministrator,
        (Some(_), None) => return Err(Reason::NotProjectMember),
        (Some(_), Some(has)) if has < action.needs() => {
            return Err(Reason::RoleTooLow {
                has,
                needs: action.needs(),
            })
        }
        (Some(_), Some(has)) => Reason::ProjectRole(has),
    };
    Ok(ProjectAuthorized { action, reason })
}

/// Permission to act on one project: [`authorize`]'s decision bound to the organization
/// and the project it was made for. Only [`permit`] makes one; the stores' project
/// writes take it instead of a space key and a project id, so such a write cannot be
/// called without a decision, nor land in another project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPermit {
    space_key: SpaceKey,
    project_id: String,
    proof: ProjectAuthorized,
}

impl ProjectPermit {
    /// The organization.
    #[must_use]
    pub const fn space_key(&self) -> &SpaceKey {
        &self.space_key
    }

    /// The project.
    #[must_use]
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The action allowed.
    #[must_use]
    pub const fn action(&self) -> ProjectAction {
        self.proof.action
    }
}

/// Decides `action` on project `project_id` of `space_key` ([`authorize`]).
///
/// # Errors
/// The [`Reason`] of the refusal.
pub fn permit(
    space_key: SpaceKey,
    project_id: &str,
    org_role: Option<Role>,
    role: Option<ProjectRole>,
    action: ProjectAction,
) -> Result<ProjectPermit, Reason> {
    let proof = authorize(org_role, role, action)?;
    Ok(ProjectPermit {
        space_key,
        project_id: project_id.to_owned(),
        proof,
    })
}

/// [`authorize`] as the products' yes/no with a reason.
#[must_use]
pub fn decide(
    org_role: Option<Role>,
    role: Option<ProjectRole>,
    action: ProjectAction,
) -> (bool, Reason) {
    match authorize(org_role, role, action) {
        Ok(proof) => (true, proof.reason()),
        Err(reason) => (false, reason),
    }
}

/// A project name or diagram title: trimmed, 1 to 100 characters, no control
/// characters.
///
/// # Errors
/// `invalid_name` (`field`) otherwise.
pub fn title(field: &'static str, input: &str) -> Result<String, FieldError> {
    super::validation::bounded_name(input).map_err(|e| FieldError { field, ..e })
}

#[cfg(test)]
mod tests {
    use ProjectAction as A;
    use ProjectRole::{Admin, Editor, Viewer};

    use super::*;

    #[test]
    fn a_project_permit_is_the_decision_bound_to_its_project() {
        let key = SpaceKey::parse("ACME123456").unwrap();
        let granted = permit(
            key.clone(),
            "prj_1",
            Some(Role::Member),
            Some(Editor),
            A::DiagramCreate,
        )
        .unwrap();
        assert_eq!((granted.space_key(), granted.project_id()), (&key, "prj_1"));
        assert_eq!(granted.action(), A::DiagramCreate);
        assert_eq!(
            permit(
                key,
                "prj_1",
                Some(Role::Member),
                Some(Viewer),
                A::DiagramCreate
            ),
            Err(Reason::RoleTooLow {
                has: Viewer,
                needs: Editor
            })
        );
    }

    fn grants(list: &[(ProjectRole, Via)]) -> Vec<Grant> {
        list.iter()
            .map(|(role, via)| Grant {
                role: *role,
                via: via.clone(),
            })
            .collect()
    }

    #[test]
    fn effective_role_is_the_highest_and_guests_stop_at_editor() {
        let g = |id: &str| Via::Group(id.to_owned());
        assert_eq!(effective(Role::Member, &[]), None);
        let mixed = grants(&[(Viewer, Via::Direct), (Admin, g("a")), (Editor, g("b"))]);
        assert_eq!(effective(Role::Member, &mixed), Some(Admin));
        assert_eq!(effective(Role::Guest, &mixed), Some(Editor));
        assert_eq!(
            effective(Role::Guest, &grants(&[(Viewer, g("a"))])),
            Some(Viewer)
        );
        assert_eq!(assignable(Role::Guest, Admin), Err(GuestNotAllowed));
        assert_eq!(assignable(Role::Guest, Editor), Ok(()));
        assert_eq!(assignable(Role::Member, Admin), Ok(()));
        assert_eq!(Via::Direct.label(), "direct");
        assert_eq!(g("grp_1").label(), "group:grp_1");
    }

    #[test]
    fn every_role_and_action() {
        let actions = [
            (A::View, "project.view"),
            (A::Manage, "project.manage"),
            (A::DiagramCreate, "diagram.create"),
            (A::DiagramView, "diagram.view"),
            (A::DiagramEdit, "diagram.edit"),
            (A::DiagramDelete, "diagram.delete"),
        ];
        // (org role, project role, [view, manage, create, view diagram, edit, delete])
        type Row = (Option<Role>, Option<ProjectRole>, [bool; 6], &'static str);
        let table: [Row; 9] = [
            (
                Some(Role::Administrator),
                None,
                [true; 6],
                "organization_administrator",
            ),
            (Some(Role::Member), Some(Admin), [true; 6], "project_admin"),
            (
                Some(Role::Member),
                Some(Editor),
                [true, false, true, true, true, true],
                "",
            ),
            (
                Some(Role::Member),
                Some(Viewer),
                [true, false, false, true, false, false],
                "",
            ),
            (Some(Role::Member), None, [false; 6], "not_project_member"),
            (
                Some(Role::Guest),
                Some(Editor),
                [true, false, true, true, true, true],
                "",
            ),
            (
                Some(Role::Guest),
                Some(Viewer),
                [true, false, false, true, false, false],
                "",
            ),
            (Some(Role::Guest), None, [false; 6], "not_project_member"),
            (None, Some(Admin), [false; 6], "not_organization_member"),
        ];
        for (org_role, role, allowed, fixed_reason) in table {
            for ((action, name), want) in actions.iter().zip(allowed) {
                assert_eq!(ProjectAction::parse(name), Some(*action));
                let (ok, reason) = decide(org_role, role, *action);
                assert_eq!(ok, want, "{org_role:?} {role:?} {action:?}");
                assert_eq!(authorize(org_role, role, *action).is_ok(), want);
                if !fixed_reason.is_empty() {
                    assert_eq!(reason.code(), fixed_reason);
                } else if ok {
                    assert_eq!(reason, Reason::ProjectRole(role.unwrap()));
                } else {
                    assert!(matches!(reason, Reason::RoleTooLow { .. }), "{reason:?}");
                }
            }
        }
        assert_eq!(ProjectAction::parse("diagram.fly"), None);
        assert_eq!(
            decide(Some(Role::Member), Some(Viewer), A::DiagramEdit)
                .1
                .code(),
            "requires_project_editor"
        );
        assert_eq!(
            decide(Some(Role::Member), Some(Editor), A::Manage).1.code(),
            "requires_project_admin"
        );
    }

    #[test]
    fn roles_parse_and_order() {
        for role in [Viewer, Editor, Admin] {
            assert_eq!(ProjectRole::parse(role.as_str()), Ok(role));
        }
        assert!(ProjectRole::parse("owner").is_err());
        assert!(Viewer < Editor && Editor < Admin);
        assert!(title("name", "  Roadmap ").is_ok_and(|t| t == "Roadmap"));
        assert_eq!(title("title", "").unwrap_err().field, "title");
    }
}
