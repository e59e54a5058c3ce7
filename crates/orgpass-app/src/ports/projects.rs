//! Projects, their people and groups, and diagrams.

use orgpass_core::{policy::Permit, project::ProjectPermit, Role, SpaceKey, Timestamp, TokenHash};

use super::*;

/// A project as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRecord {
    /// Opaque id (`prj_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: Timestamp,
}

/// A diagram as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagramRecord {
    /// Opaque id (`dgm_…`).
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Title.
    pub title: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// What a project decision needs, read in one round trip with the caller's session.
#[derive(Debug, Clone)]
pub struct ProjectContext {
    /// The caller and the organization.
    pub context: MemberContext,
    /// The caller is a project creator.
    pub creator: bool,
    /// The project, when one was named (directly or through a diagram) and it is this
    /// organization's.
    pub project: Option<ProjectRecord>,
    /// The diagram, when one was named and it is this organization's.
    pub diagram: Option<DiagramRecord>,
    /// The caller's project roles in that project.
    pub grants: Vec<orgpass_core::project::Grant>,
    /// The organization role of the subject (the account asked about; the caller when
    /// none was named), `None` when not a member.
    pub subject_role: Option<Role>,
    /// The subject's project roles in that project.
    pub subject_grants: Vec<orgpass_core::project::Grant>,
}

/// What the projects tab reads in one batch.
#[derive(Debug, Clone)]
pub struct ProjectsPage {
    /// The caller's project context (no project named).
    pub cx: ProjectContext,
    /// The projects the caller sees (administrators: all), by creation time.
    pub projects: Vec<ProjectRecord>,
    /// The project creators (read for administrators only).
    pub creators: Vec<String>,
    /// The members the caller may see.
    pub people: Vec<MemberRecord>,
    /// The organization's groups.
    pub groups: Vec<GroupRecord>,
}

/// What one project's page reads in one batch.
#[derive(Debug, Clone)]
pub struct ProjectPageRead {
    /// The caller's context for that project.
    pub cx: ProjectContext,
    /// Everyone with a role in it, with their grants.
    pub members: Vec<ProjectMemberRecord>,
    /// Its diagrams.
    pub diagrams: Vec<DiagramRecord>,
    /// The members the caller may see.
    pub people: Vec<MemberRecord>,
    /// The organization's groups.
    pub groups: Vec<GroupRecord>,
}

/// Which project (or diagram) a request is about.
#[derive(Debug, Clone, Copy)]
pub enum ProjectTarget<'a> {
    /// None (creating or listing projects).
    None,
    /// A project by id.
    Project(&'a str),
    /// A diagram by id (and so its project).
    Diagram(&'a str),
}

/// A project member with their grants and organization role.
#[derive(Debug, Clone)]
pub struct ProjectMemberRecord {
    /// Account id.
    pub account_id: String,
    /// Their organization role.
    pub org_role: Role,
    /// Their project roles.
    pub grants: Vec<orgpass_core::project::Grant>,
}

/// Project creators, projects, their members and groups, diagrams.
pub trait ProjectStore {
    /// The projects tab in one round trip: the caller's context, the projects they see,
    /// the project creators (for an administrator), the members they may see and the
    /// groups.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn projects_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<ProjectsPage>, PortError>;

    /// One project's page in one round trip: the caller's context for the project, its
    /// members and diagrams, the members the caller may see and the groups.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn project_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<Option<ProjectPageRead>, PortError>;

    /// The caller's context with `subject`'s standing (the caller when `None`) in the
    /// target project: one round trip.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn project_context(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        subject: Option<&str>,
        target: ProjectTarget<'_>,
    ) -> Result<Option<ProjectContext>, PortError>;

    /// The project creators' account ids.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn project_creators(&self, space_key: &SpaceKey) -> Result<Vec<String>, PortError>;

    /// Adds or removes a project creator; [`Written::Missing`] for a non-member,
    /// [`Written::Refused`] for a guest.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn write_project_creator(
        &self,
        permit: &Permit,
        account_id: &str,
        add: bool,
        at: (Timestamp, &Event),
    ) -> Result<Written, PortError>;

    /// Creates a project with `creator` as its `admin`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn insert_project(
        &self,
        permit: &Permit,
        project: &ProjectRecord,
        creator: &str,
        event: &super::Event,
    ) -> Result<(), PortError>;

    /// Projects, by creation time: all of them when `account` is `None`, else those in
    /// which the account has a role (directly or through a group).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn projects(
        &self,
        space_key: &SpaceKey,
        account: Option<&str>,
    ) -> Result<Vec<ProjectRecord>, PortError>;

    /// Everyone with a role in the project, with their grants.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn read_project_members(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<Vec<ProjectMemberRecord>, PortError>;

    /// Gives (`Some`) or takes away (`None`) an account's direct project role;
    /// [`Written::Missing`] for a non-member, [`Written::Refused`] for `admin` to a
    /// guest.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn write_project_member(
        &self,
        permit: &ProjectPermit,
        account_id: &str,
        role: Option<orgpass_core::project::ProjectRole>,
        at: (Timestamp, &Event),
    ) -> Result<Written, PortError>;

    /// Gives or takes away a group's project role; [`Written::Missing`] for another
    /// organization's group.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn write_project_group(
        &self,
        permit: &ProjectPermit,
        group_id: &str,
        role: Option<orgpass_core::project::ProjectRole>,
        at: (Timestamp, &Event),
    ) -> Result<Written, PortError>;

    /// Creates a diagram.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn insert_diagram(
        &self,
        permit: &ProjectPermit,
        diagram: &DiagramRecord,
        creator: &str,
    ) -> Result<(), PortError>;

    /// A project's diagrams, by creation time.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn diagrams(
        &self,
        space_key: &SpaceKey,
        project_id: &str,
    ) -> Result<Vec<DiagramRecord>, PortError>;

    /// Retitles (`Some`) or deletes (`None`) a diagram of the permit's project.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn update_diagram(
        &self,
        permit: &ProjectPermit,
        id: &str,
        title: Option<&str>,
        now: Timestamp,
    ) -> Result<Written, PortError>;
}
