//! Project creators, projects, project members and groups, diagrams, and the
//! products' authorization question (docs/product.md §6, docs/api.md "Projects and diagrams").
//!
//! Each request reads the caller's context and their standing in the project in one
//! round trip ([`ProjectStore::project_context`]); decisions come from
//! [`orgpass_core::project`], whose capability the writes need.

use orgpass_core::{
    audit::Action,
    policy::{authorize, permit, OrgAction},
    project::{self, assignable, effective, ProjectAction, ProjectPermit, ProjectRole, Reason},
    FieldError, Invalid, Role, SpaceKey, TokenHash,
};

use super::{
    orgs::OrgView,
    ports::{
        AccountStore, Actor, DiagramRecord, OrgStore, ProjectContext, ProjectMemberRecord,
        ProjectRecord, ProjectStore, ProjectTarget, Random, Written,
    },
    App, AppError,
};

/// A project member's effective role, with where it comes from.
#[derive(Debug, Clone)]
pub struct EffectiveMember {
    /// Account id.
    pub account_id: String,
    /// Effective role.
    pub role: ProjectRole,
    /// Sources (`direct`, `group:<id>`).
    pub via: Vec<String>,
}

/// The answer to a product's question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Yes or no.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
}

/// The caller's view of the organization, and the loaded project context.
pub(super) struct Loaded {
    pub(super) view: OrgView,
    pub(super) cx: ProjectContext,
}

impl Loaded {
    /// The caller's view and project context, from a context read for it (not a member
    /// of the organization → not found).
    pub(super) fn of(cx: ProjectContext) -> Result<Self, AppError> {
        let (viewer, org, membership) = super::orgs::admitted(cx.context.clone(), false)?;
        let view = OrgView {
            org,
            membership,
            viewer,
        };
        Ok(Self { view, cx })
    }

    /// The caller's effective role in the project the context names.
    pub(super) fn role(&self) -> Option<ProjectRole> {
        effective(self.view.membership.role, &self.cx.grants)
    }

    /// Decides `action` on the project the context names; a project the caller may not
    /// even view is not found.
    pub(super) fn judge(
        &self,
        target: ProjectTarget<'_>,
        action: ProjectAction,
    ) -> Result<(ProjectRecord, ProjectPermit), AppError> {
        let project = self.cx.project.clone().ok_or(AppError::NotFound)?;
        if matches!(target, ProjectTarget::Diagram(_)) && self.cx.diagram.is_none() {
            return Err(AppError::NotFound);
        }
        let (org_role, role) = (Some(self.view.membership.role), self.role());
        if project::authorize(org_role, role, ProjectAction::View).is_err() {
            return Err(AppError::NotFound);
        }
        let permit = project::permit(
            self.view.org.space_key.clone(),
            &project.id,
            org_role,
            role,
            action,
        )
        .map_err(|_| AppError::Forbidden)?;
        Ok((project, permit))
    }
}

impl<S: AccountStore + OrgStore + ProjectStore, H, R: Random> App<S, H, R> {
    async fn load(
        &self,
        token: &TokenHash,
        key: &str,
        subject: Option<&str>,
        target: ProjectTarget<'_>,
    ) -> Result<Loaded, AppError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let cx = self
            .store
            .project_context(token, self.now, &space_key, subject, target)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Loaded::of(cx)
    }

    /// Loads a project (or a diagram's project) and decides `action` for the caller. A
    /// project the caller may not even view is not found.
    async fn project_action(
        &self,
        token: &TokenHash,
        key: &str,
        target: ProjectTarget<'_>,
        action: ProjectAction,
    ) -> Result<(Loaded, ProjectRecord, ProjectPermit), AppError> {
        let loaded = self.load(token, key, None, target).await?;
        let (project, permit) = loaded.judge(target, action)?;
        Ok((loaded, project, permit))
    }

    /// The project creators (administrators).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn list_project_creators(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<Vec<String>, AppError> {
        let (view, _proof) = self
            .member(token, key, OrgAction::ManageProjectCreators)
            .await?;
        Ok(self.store.project_creators(&view.org.space_key).await?)
    }

    /// Chooses (`add`) or unchooses a project creator (administrators; never a guest).
    ///
    /// # Errors
    /// [`AppError::GuestNotAllowed`], [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn set_project_creator(
        &self,
        token: &TokenHash,
        key: &str,
        account_id: &str,
        add: bool,
    ) -> Result<(), AppError> {
        let (view, permit) = self
            .member(token, key, OrgAction::ManageProjectCreators)
            .await?;
        let event = self
            .event(Action::ProjectCreatorSet, Actor::account(&view.viewer.id))
            .target("account", account_id, None)
            .detail("may_create_projects", if add { "true" } else { "false" });
        match self
            .store
            .write_project_creator(&permit, account_id, add, (self.now, &event))
            .await?
        {
            Written::Done => Ok(()),
            Written::Missing => Err(AppError::NotFound),
            Written::Refused => Err(AppError::GuestNotAllowed),
        }
    }

    /// Creates a project (administrators and project creators); its creator becomes
    /// its `admin`.
    ///
    /// # Errors
    /// `invalid_name`, [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn create_project(
        &self,
        token: &TokenHash,
        key: &str,
        name: &str,
    ) -> Result<ProjectRecord, AppError> {
        let name = project::title("name", name)?;
        let loaded = self.load(token, key, None, ProjectTarget::None).await?;
        let permit = permit(
            loaded.view.org.space_key.clone(),
            loaded.view.membership,
            OrgAction::CreateProject {
                creator: loaded.cx.creator,
            },
        )
        .map_err(|_| AppError::Forbidden)?;
        let record = ProjectRecord {
            id: self.new_id("prj")?,
            name,
            created_at: self.now,
        };
        let me = &loaded.view.viewer.id;
        let event = self
            .event(Action::ProjectCreated, Actor::account(me))
            .target("project", &record.id, Some(&record.name));
        self.store
            .insert_project(&permit, &record, me, &event)
            .await?;
        Ok(record)
    }

    /// The projects the caller can see (administrators: all), and whether the caller
    /// may create projects.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn list_projects(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<(OrgView, Vec<ProjectRecord>, bool), AppError> {
        let loaded = self.load(token, key, None, ProjectTarget::None).await?;
        let view = loaded.view;
        let all = view.membership.role == Role::Administrator;
        let projects = self
            .store
            .projects(
                &view.org.space_key,
                (!all).then_some(view.viewer.id.as_str()),
            )
            .await?;
        let may_create = authorize(
            view.membership,
            OrgAction::CreateProject {
                creator: loaded.cx.creator,
            },
        )
        .is_ok();
        Ok((view, projects, may_create))
    }

    /// Everyone with a role in a project, with their effective roles.
    ///
    /// # Errors
    /// [`AppError::NotFound`] (also for a project the caller cannot view).
    pub async fn project_members(
        &self,
        token: &TokenHash,
        key: &str,
        project_id: &str,
    ) -> Result<(ProjectRecord, Vec<EffectiveMember>), AppError> {
        let (loaded, project, _proof) = self
            .project_action(
                token,
                key,
                ProjectTarget::Project(project_id),
                ProjectAction::View,
            )
            .await?;
        let members = self
            .store
            .read_project_members(&loaded.view.org.space_key, project_id)
            .await?;
        Ok((
            project,
            members.iter().filter_map(effective_member).collect(),
        ))
    }

    /// Gives (`Some`) or takes away an account's direct project role (project admins
    /// and organization administrators).
    ///
    /// # Errors
    /// `invalid_project_role`, [`AppError::GuestNotAllowed`], [`AppError::Forbidden`],
    /// [`AppError::NotFound`].
    pub async fn set_project_member(
        &self,
        token: &TokenHash,
        key: &str,
        project_id: &str,
        account_id: &str,
        role: Option<&str>,
    ) -> Result<(), AppError> {
        let role = role
            .map(ProjectRole::parse)
            .transpose()
            .map_err(Invalid::from)?;
        let loaded = self
            .load(
                token,
                key,
                Some(account_id),
                ProjectTarget::Project(project_id),
            )
            .await?;
        let Some(project) = &loaded.cx.project else {
            return Err(AppError::NotFound);
        };
        let caller_role = effective(loaded.view.membership.role, &loaded.cx.grants);
        let org_role = Some(loaded.view.membership.role);
        if project::authorize(org_role, caller_role, ProjectAction::View).is_err() {
            return Err(AppError::NotFound);
        }
        let permit = project::permit(
            loaded.view.org.space_key.clone(),
            &project.id,
            org_role,
            caller_role,
            ProjectAction::Manage,
        )
        .map_err(|_| AppError::Forbidden)?;
        let subject_role = loaded.cx.subject_role.ok_or(AppError::NotFound)?;
        if let Some(role) = role {
            assignable(subject_role, role).map_err(|_| AppError::GuestNotAllowed)?;
        }
        let event = self
            .event(
                Action::ProjectMemberSet,
                Actor::account(&loaded.view.viewer.id),
            )
            .target("project", &project.id, Some(&project.name))
            .target("account", account_id, None)
            .detail("role", role.map_or("none", ProjectRole::as_str));
        match self
            .store
            .write_project_member(&permit, account_id, role, (self.now, &event))
            .await?
        {
            Written::Done => Ok(()),
            Written::Missing => Err(AppError::NotFound),
            Written::Refused => Err(AppError::GuestNotAllowed),
        }
    }

    /// Gives (`Some`) or takes away a group's project role.
    ///
    /// # Errors
    /// `invalid_project_role`, [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn set_project_group(
        &self,
        token: &TokenHash,
        key: &str,
        project_id: &str,
        group_id: &str,
        role: Option<&str>,
    ) -> Result<(), AppError> {
        let role = role
            .map(ProjectRole::parse)
            .transpose()
            .map_err(Invalid::from)?;
        let (loaded, _, permit) = self
            .project_action(
                token,
                key,
                ProjectTarget::Project(project_id),
                ProjectAction::Manage,
            )
            .await?;
        let event = self
            .event(
                Action::ProjectGroupSet,
                Actor::account(&loaded.view.viewer.id),
            )
            .target("project", project_id, None)
            .target("group", group_id, None)
            .detail("role", role.map_or("none", ProjectRole::as_str));
        match self
            .store
            .write_project_group(&permit, group_id, role, (self.now, &event))
            .await?
        {
            Written::Done => Ok(()),
            _ => Err(AppError::NotFound),
        }
    }

    /// Creates a diagram (editors and up).
    ///
    /// # Errors
    /// `invalid_name` (`title`), [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn create_diagram(
        &self,
        token: &TokenHash,
        key: &str,
        project_id: &str,
        title: &str,
    ) -> Result<DiagramRecord, AppError> {
        let title = project::title("title", title)?;
        let (loaded, project, permit) = self
            .project_action(
                token,
                key,
                ProjectTarget::Project(project_id),
                ProjectAction::DiagramCreate,
            )
            .await?;
        let diagram = DiagramRecord {
            id: self.new_id("dgm")?,
            project_id: project.id,
            title,
            created_at: self.now,
            updated_at: self.now,
        };
        self.store
            .insert_diagram(&permit, &diagram, &loaded.view.viewer.id)
            .await?;
        Ok(diagram)
    }

    /// A project's diagrams (viewers and up).
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn list_diagrams(
        &self,
        token: &TokenHash,
        key: &str,
        project_id: &str,
    ) -> Result<Vec<DiagramRecord>, AppError> {
        let (loaded, _project, _proof) = self
            .project_action(
                token,
                key,
                ProjectTarget::Project(project_id),
                ProjectAction::View,
            )
            .await?;
        Ok(self
            .store
            .diagrams(&loaded.view.org.space_key, project_id)
            .await?)
    }

    /// Retitles (`Some`) or deletes (`None`) a diagram (editors and up).
    ///
    /// # Errors
    /// `invalid_name` (`title`), [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn change_diagram(
        &self,
        token: &TokenHash,
        key: &str,
        diagram_id: &str,
        title: Option<&str>,
    ) -> Result<Option<DiagramRecord>, AppError> {
        let title = title.map(|t| project::title("title", t)).transpose()?;
        let action = if title.is_some() {
            ProjectAction::DiagramEdit
        } else {
            ProjectAction::DiagramDelete
        };
        let (loaded, _, permit) = self
            .project_action(token, key, ProjectTarget::Diagram(diagram_id), action)
            .await?;
        let diagram = loaded.cx.diagram.clone().ok_or(AppError::NotFound)?;
        match self
            .store
            .update_diagram(&permit, diagram_id, title.as_deref(), self.now)
            .await?
        {
            Written::Done => Ok(title.map(|title| DiagramRecord {
                title,
                updated_at: self.now,
                ..diagram
            })),
            _ => Err(AppError::NotFound),
        }
    }

    /// May `account_id` do `action` (on `project_id` or `diagram_id`)? Administrators
    /// may ask about anyone, others only about themselves. One round trip.
    ///
    /// # Errors
    /// `invalid_action`, `missing_target`, [`AppError::Forbidden`] (asking about
    /// someone else), [`AppError::NotFound`] (the project or diagram is not this
    /// organization's).
    pub async fn authorize_action(
        &self,
        token: &TokenHash,
        key: &str,
        account_id: &str,
        action: &str,
        project_id: Option<&str>,
        diagram_id: Option<&str>,
    ) -> Result<Decision, AppError> {
        let action = ProjectAction::parse(action).ok_or_else(|| {
            Invalid::from(FieldError::new(
                "action",
                "invalid_action",
                "Ask about project.view, project.manage, diagram.create, diagram.view, diagram.edit or diagram.delete.",
            ))
        })?;
        let target = match (diagram_id, project_id) {
            (Some(d), _) => ProjectTarget::Diagram(d),
            (None, Some(p)) => ProjectTarget::Project(p),
            (None, None) => {
                return Err(Invalid::from(FieldError::new(
                    "project_id",
                    "missing_target",
                    "Name the project_id or the diagram_id.",
                ))
                .into())
            }
        };
        let loaded = self.load(token, key, Some(account_id), target).await?;
        if loaded.view.membership.role != Role::Administrator && account_id != loaded.view.viewer.id
        {
            return Err(AppError::Forbidden);
        }
        let project = loaded.cx.project.as_ref().ok_or(AppError::NotFound)?;
        if let (Some(p), ProjectTarget::Diagram(_)) = (project_id, target) {
            if p != project.id {
                return Err(AppError::NotFound);
            }
        }
        if matches!(target, ProjectTarget::Diagram(_)) && loaded.cx.diagram.is_none() {
            return Err(AppError::NotFound);
        }
        let role = loaded
            .cx
            .subject_role
            .and_then(|r| effective(r, &loaded.cx.subject_grants));
        let (allowed, reason) = project::decide(loaded.cx.subject_role, role, action);
        Ok(Decision { allowed, reason })
    }
}

pub(super) fn effective_member(m: &ProjectMemberRecord) -> Option<EffectiveMember> {
    let role = effective(m.org_role, &m.grants)?;
    let mut via: Vec<&orgpass_core::project::Via> = m.grants.iter().map(|g| &g.via).collect();
    via.sort();
    Some(EffectiveMember {
        account_id: m.account_id.clone(),
        role,
        via: via
            .into_iter()
            .map(orgpass_core::project::Via::label)
            .collect(),
    })
}
