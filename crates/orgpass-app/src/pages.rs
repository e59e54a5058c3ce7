//! Page-shaped use cases: what one settings tab or page shows, in one call from its
//! handler, with the policy's decisions about what the viewer may do there (`may_*`).
//! The edge renders these and decides nothing.
//!
//! Every one reads what it shows in one round trip: the caller's context and the
//! page's rows in one batch (the e2e test `pages::settings_tabs_read_in_one_batch`
//! asserts it).

use orgpass_core::{
    policy::{authorize, sees_group, sees_member, OrgAction},
    project::ProjectAction,
    Role, SpaceKey,
};

use super::{
    members::{Members, DEFAULT_PAGE, MAX_PAGE},
    orgs::{decide, OrgView},
    ports::{
        AccountStore, DiagramRecord, DomainRecord, DomainStore, GroupRecord, InvitationRecord,
        InvitationStore, MemberRecord, MemberStore, OrgStore, ProjectRecord, ProjectStore,
        ProjectTarget, Random,
    },
    projects::{effective_member, EffectiveMember, Loaded},
    App, AppError,
};

/// The profile tab (the settings page).
#[derive(Debug, Clone)]
pub struct ProfileTab {
    /// The viewer and the organization (the add-on's status as of now).
    pub view: OrgView,
    /// The viewer may change the name and the organization ID.
    pub may_edit: bool,
}

/// The plan tab.
#[derive(Debug, Clone)]
pub struct PlanTab {
    /// The viewer and the organization.
    pub view: OrgView,
    /// The viewer may apply, upgrade or cancel.
    pub may_manage: bool,
}

/// The domains tab (administrators).
#[derive(Debug, Clone)]
pub struct DomainsTab {
    /// The viewer and the organization.
    pub view: OrgView,
    /// The organization's domains, by name.
    pub domains: Vec<DomainRecord>,
}

/// The members tab.
#[derive(Debug, Clone)]
pub struct MembersTab {
    /// One page of the members the viewer may see, and the groups.
    pub members: Members,
    /// The viewer may change roles and remove people.
    pub may_manage: bool,
}

/// One group as the groups tab shows it.
#[derive(Debug, Clone)]
pub struct GroupEntry {
    /// The group.
    pub group: GroupRecord,
    /// The viewer may rename or delete it and change its members.
    pub may_manage: bool,
}

/// The groups tab.
#[derive(Debug, Clone)]
pub struct GroupsTab {
    /// The viewer and the organization.
    pub view: OrgView,
    /// The groups the viewer may see.
    pub groups: Vec<GroupEntry>,
    /// The people the viewer may see (names, and whom a group can gain).
    pub people: Vec<MemberRecord>,
    /// The viewer may create a group.
    pub may_create: bool,
    /// The viewer may set everyone's role in a group.
    pub may_set_roles: bool,
}

/// The invitations tab.
#[derive(Debug, Clone)]
pub struct InvitationsTab {
    /// The viewer and the organization.
    pub view: OrgView,
    /// The groups an invitation may add to.
    pub groups: Vec<GroupRecord>,
    /// The roles the viewer may invite with (empty: the viewer may not invite).
    pub roles: Vec<Role>,
    /// The invitations, states as of now, for those who may manage them.
    pub invitations: Option<Vec<InvitationRecord>>,
}

/// The projects tab's project creators (for administrators).
#[derive(Debug, Clone)]
pub struct Creators {
    /// The chosen creators' account ids.
    pub ids: Vec<String>,
    /// The people (names, and who can be chosen).
    pub people: Vec<MemberRecord>,
}

/// The projects tab.
#[derive(Debug, Clone)]
pub struct ProjectsTab {
    /// The viewer and the organization.
    pub view: OrgView,
    /// The projects the viewer sees.
    pub projects: Vec<ProjectRecord>,
    /// The viewer may create a project.
    pub may_create: bool,
    /// The project creators, when the viewer may choose them.
    pub creators: Option<Creators>,
}

/// One project's page.
#[derive(Debug, Clone)]
pub struct ProjectPage {
    /// The viewer and the organization.
    pub view: OrgView,
    /// The project.
    pub project: ProjectRecord,
    /// Everyone with a role, effective.
    pub members: Vec<EffectiveMember>,
    /// Its diagrams.
    pub diagrams: Vec<DiagramRecord>,
    /// The organization's people the viewer may see (names, and choices).
    pub people: Vec<MemberRecord>,
    /// The groups the viewer may see (choices).
    pub groups: Vec<GroupRecord>,
    /// The viewer may manage the project's people and groups.
    pub may_manage: bool,
    /// The viewer may create and delete diagrams.
    pub may_edit: bool,
}

/// The managed-accounts tab.
#[derive(Debug, Clone)]
pub struct ManagedAccountsTab {
    /// The viewer and the organization.
    pub view: OrgView,
    /// The organization's managed accounts.
    pub managed: Vec<MemberRecord>,
    /// The groups a new managed account may join.
    pub groups: Vec<GroupRecord>,
}

impl<S: AccountStore + OrgStore, H, R: Random> App<S, H, R> {
    /// The profile tab (one round trip).
    ///
    /// # Errors
    /// As [`Self::get_org`].
    pub async fn profile_tab(
        &self,
        token: &orgpass_core::TokenHash,
        key: &str,
    ) -> Result<ProfileTab, AppError> {
        let mut view = self.get_org(token, key).await?;
        view.org.pass = view.org.pass.at(self.now);
        let may_edit = authorize(view.membership, OrgAction::EditProfile).is_ok();
        Ok(ProfileTab { view, may_edit })
    }

    /// The plan tab (one round trip).
    ///
    /// # Errors
    /// As [`Self::get_org`].
    pub async fn plan_tab(
        &self,
        token: &orgpass_core::TokenHash,
        key: &str,
    ) -> Result<PlanTab, AppError> {
        let view = self.get_org(token, key).await?;
        let may_manage = authorize(view.membership, OrgAction::ManagePlan).is_ok();
        Ok(PlanTab { view, may_manage })
    }
}

impl<S: AccountStore + OrgStore + DomainStore, H, R: Random> App<S, H, R> {
    /// The domains tab (administrators; one round trip).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::Unauthenticated`].
    pub async fn domains_tab(
        &self,
        token: &orgpass_core::TokenHash,
        key: &str,
    ) -> Result<DomainsTab, AppError> {
        let (view, _, domains) = self.admin_domains(token, key).await?;
        Ok(DomainsTab { view, domains })
    }
}

impl<S, H, R> App<S, H, R>
where
    S: AccountStore + OrgStore + MemberStore + InvitationStore + ProjectStore,
    R: Random,
{
    /// The members tab: one page after `cursor` (one round trip).
    ///
    /// # Errors
    /// As [`Self::list_members`].
    pub async fn members_tab(
        &self,
        token: &orgpass_core::TokenHash,
        key: &str,
        cursor: Option<&str>,
    ) -> Result<MembersTab, AppError> {
        let members = self.list_members(token, key, cursor, DEFAULT_PAGE).await?;
        let may_manage = authorize(members.view.membership, OrgAction::ManageMembers).is_ok();
        Ok(MembersTab {
            members,
            may_manage,
        })
    }

    /// The groups tab (one round trip).
    ///
    /// # Errors
    /// As [`Self::list_members`].
    pub async fn groups_tab(
        &self,
        token: &orgpass_core::TokenHash,
        key: &str,
    ) -> Result<GroupsTab, AppError> {
        let Members {
            view,
            members,
            groups,
            ..
        } = self.list_members(token, key, None, MAX_PAGE).await?;
        let membership = view.membership;
        let groups = groups
            .into_iter()
            .map(|group| {
                let belongs = group.member_ids.contains(&view.viewer.id);
                GroupEntry {
                    may_manage: authorize(membership, OrgAction::ManageGroup { belongs }).is_ok(),
                    group,
                }
            })
            .collect();
        Ok(GroupsTab {
            groups,
            people: members,
            may_create: authorize(membership, OrgAction::CreateGroup).is_ok(),
            may_set_roles: authorize(membership, OrgAction::ManageMembers).is_ok(),
            view,
        })
    }

    /// The managed-accounts tab (administrators; one round trip).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], and as [`Self::list_members`].
    pub async fn managed_accounts_tab(
        &self,
        token: &orgpass_core::TokenHash,
        key: &str,
    ) -> Result<ManagedAccountsTab, AppError> {
        let Members {
            view,
            members,
            groups,
            ..
        } = self.list_members(token, key, None, MAX_PAGE).await?;
        authorize(view.membership, OrgAction::ManageMembers).map_err(|_| AppError::Forbidden)?;
        Ok(ManagedAccountsTab {
            view,
            managed: members.into_iter().filter(|m| m.managed).collect(),
            groups,
        })
    }

    /// The invitations tab (one round trip).
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Unauthenticated`].
    pub async fn invitations_tab(
        &self,
        token: &orgpass_core::TokenHash,
        key: &str,
    ) -> Result<InvitationsTab, AppError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let page = self
            .store
            .invitations_page(token, self.now, &space_key)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (view, _) = decide(page.context, OrgAction::View)?;
        let membership = view.membership;
        let groups = page
            .groups
            .into_iter()
            .filter(|g| sees_group(membership, g.member_ids.contains(&view.viewer.id)))
            .collect();
        let roles = [Role::Administrator, Role::Member, Role::Guest]
            .into_iter()
            .filter(|r| authorize(membership, OrgAction::Invite(*r)).is_ok())
            .collect();
        let invitations = authorize(membership, OrgAction::ManageInvitations)
            .is_ok()
            .then(|| {
                page.invitations
                    .into_iter()
                    .map(|mut i| {
                        i.state = i.state.at(self.now);
                        i
                    })
                    .collect()
            });
        Ok(InvitationsTab {
            view,
            groups,
            roles,
            invitations,
        })
    }

    /// The projects tab (one round trip).
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Unauthenticated`].
    pub async fn projects_tab(
        &self,
        token: &orgpass_core::TokenHash,
        key: &str,
    ) -> Result<ProjectsTab, AppError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let page = self
            .store
            .projects_page(token, self.now, &space_key)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let creator = page.cx.creator;
        let Loaded { view, .. } = Loaded::of(page.cx)?;
        let membership = view.membership;
        let may_create = authorize(membership, OrgAction::CreateProject { creator }).is_ok();
        let creators = authorize(membership, OrgAction::ManageProjectCreators)
            .is_ok()
            .then(|| Creators {
                ids: page.creators,
                people: visible_people(&view, page.people),
            });
        Ok(ProjectsTab {
            view,
            projects: page.projects,
            may_create,
            creators,
        })
    }

    /// One project's page, with what the viewer may do there (one round trip).
    ///
    /// # Errors
    /// [`AppError::NotFound`] (also for a project the viewer cannot view),
    /// [`AppError::Unauthenticated`].
    pub async fn project_page(
        &self,
        token: &orgpass_core::TokenHash,
        key: &str,
        project_id: &str,
    ) -> Result<ProjectPage, AppError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let read = self
            .store
            .project_page(token, self.now, &space_key, project_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let loaded = Loaded::of(read.cx)?;
        let target = ProjectTarget::Project(project_id);
        let (project, _) = loaded.judge(target, ProjectAction::View)?;
        let may = |action| loaded.judge(target, action).is_ok();
        let (may_manage, may_edit) = (
            may(ProjectAction::Manage),
            may(ProjectAction::DiagramCreate),
        );
        let Loaded { view, .. } = loaded;
        let membership = view.membership;
        let groups = read
            .groups
            .into_iter()
            .filter(|g| sees_group(membership, g.member_ids.contains(&view.viewer.id)))
            .collect();
        Ok(ProjectPage {
            members: read.members.iter().filter_map(effective_member).collect(),
            diagrams: read.diagrams,
            people: visible_people(&view, read.people),
            groups,
            may_manage,
            may_edit,
            project,
            view,
        })
    }
}

/// The members a viewer may see (the store already leaves out the others; the policy
/// checks again).
fn visible_people(view: &OrgView, people: Vec<MemberRecord>) -> Vec<MemberRecord> {
    people
        .into_iter()
        .filter(|m| {
            sees_member(
                view.membership,
                m.shares_group,
                m.account_id == view.viewer.id,
            )
        })
        .collect()
}
