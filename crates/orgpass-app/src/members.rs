//! Members and groups (docs/product.md §3 and §5, docs/api.md "Members, invitations, groups"):
//! listing with the guest visibility rule, role and privilege changes, removal, and
//! groups with their members and bulk role change. Decisions come from
//! [`orgpass_core::policy`]; the store's guards repeat the "last administrator" rule
//! so that concurrent changes cannot break it.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use orgpass_core::{
    audit::Action,
    invitation::group_name,
    policy::{authorize, may_hold_privileges, permit, sees_group, sees_member, OrgAction, Permit},
    FieldError, Invalid, Role, SpaceKey, TokenHash,
};

use super::{
    orgs::{decide, OrgView},
    ports::{
        AccountStore, Actor, AdminChange, GroupRecord, MemberChange, MemberRecord, MemberStore,
        MemberUpdate, OrgStore, Random, Written,
    },
    App, AppError,
};

/// Members per page unless asked otherwise.
pub const DEFAULT_PAGE: u32 = 50;
/// Members per page at most.
pub const MAX_PAGE: u32 = 200;

/// One page of members.
#[derive(Debug, Clone)]
pub struct Members {
    /// The viewer and the organization.
    pub view: OrgView,
    /// The members the viewer may see, by email.
    pub members: Vec<MemberRecord>,
    /// Cursor of the next page, when there may be one.
    pub next: Option<String>,
    /// The groups the viewer may see, by name.
    pub groups: Vec<GroupRecord>,
}

/// A change to a member; absent fields stay.
#[derive(Debug, Default, Clone, Copy)]
pub struct ChangeMember<'a> {
    /// New role as typed.
    pub role: Option<&'a str>,
    /// New privilege.
    pub can_invite: Option<bool>,
}

fn invalid_limit() -> FieldError {
    FieldError::new(
        "limit",
        "invalid_limit",
        "Ask for 1 to 200 members per page.",
    )
}

/// Reads a page size (`None`: the default).
///
/// # Errors
/// `invalid_limit` outside 1–200.
pub fn page_limit(input: Option<&str>) -> Result<u32, FieldError> {
    match input {
        None => Ok(DEFAULT_PAGE),
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            _ => Err(invalid_limit()),
        },
    }
}

fn parse_cursor(cursor: Option<&str>) -> Result<Option<String>, FieldError> {
    let bad = FieldError::new(
        "cursor",
        "invalid_cursor",
        "This cursor is not one we gave out.",
    );
    cursor
        .filter(|c| !c.is_empty())
        .map(|c| {
            B64URL
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(bad)
        })
        .transpose()
}

impl<S: AccountStore + OrgStore + MemberStore, H, R: Random> App<S, H, R> {
    /// A page of members after `cursor`, at most `limit`; guests see themselves and the
    /// members of their groups.
    ///
    /// # Errors
    /// `invalid_cursor`, [`AppError::Unauthenticated`], [`AppError::NotFound`],
    /// [`AppError::Unavailable`].
    pub async fn list_members(
        &self,
        token: &TokenHash,
        key: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Members, AppError> {
        let after = parse_cursor(cursor)?;
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let page = self
            .store
            .members_page(token, self.now, &space_key, after.as_deref(), limit)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (account, org, membership) = super::orgs::admitted(page.context, false)?;
        authorize(membership, OrgAction::ListMembers).map_err(|_| AppError::Forbidden)?;
        let full = u32::try_from(page.members.len()).unwrap_or(u32::MAX) >= limit;
        let next = page
            .members
            .last()
            .filter(|_| full)
            .map(|m| B64URL.encode(m.email.as_str()));
        let members = page
            .members
            .into_iter()
            .filter(|m| sees_member(membership, m.shares_group, m.account_id == account.id))
            .collect();
        let groups = page
            .groups
            .into_iter()
            .filter(|g| sees_group(membership, g.member_ids.contains(&account.id)))
            .collect();
        Ok(Members {
            view: OrgView {
                org,
                membership,
                viewer: account,
            },
            members,
            next,
            groups,
        })
    }

    /// Changes a member's role and/or **can invite** (administrators). Guests cannot
    /// hold **can invite**; making someone a guest also ends their project creation and
    /// lowers their direct project administration to editor. Only the fields given are
    /// written, decided over the member's current row inside the one write, so a
    /// concurrent change of the other field is never undone.
    ///
    /// # Errors
    /// `invalid_role`, [`AppError::GuestNotAllowed`], [`AppError::LastAdmin`],
    /// [`AppError::LastUnmanagedAdmin`], [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn change_member(
        &self,
        token: &TokenHash,
        key: &str,
        account_id: &str,
        input: ChangeMember<'_>,
    ) -> Result<MemberRecord, AppError> {
        let role = input.role.map(Role::parse).transpose()?;
        if input.can_invite == Some(true) && role.is_some_and(|r| !may_hold_privileges(r)) {
            return Err(AppError::GuestNotAllowed);
        }
        let (view, permit) = self.member(token, key, OrgAction::ManageMembers).await?;
        let update = MemberUpdate {
            role,
            can_invite: input.can_invite,
        };
        let event = self
            .event(Action::MemberRoleChanged, Actor::account(&view.viewer.id))
            .target("account", account_id, None);
        match self
            .store
            .update_member(&permit, account_id, &view.viewer.id, update, &event)
            .await?
        {
            MemberChange::Done(member) => Ok(member),
            MemberChange::GuestNotAllowed => Err(AppError::GuestNotAllowed),
            MemberChange::Refused(AdminChange::LastNormalAdmin) => {
                Err(AppError::LastUnmanagedAdmin)
            }
            MemberChange::Refused(AdminChange::LastAdmin) => Err(AppError::LastAdmin),
            MemberChange::Refused(_) => Err(AppError::NotFound),
        }
    }

    /// Removes a member (administrators): their access to the organization ends with
    /// their next request, and they leave its groups and projects.
    ///
    /// # Errors
    /// [`AppError::LastAdmin`], [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn remove_member(
        &self,
        token: &TokenHash,
        key: &str,
        account_id: &str,
    ) -> Result<(), AppError> {
        let (view, permit) = self.member(token, key, OrgAction::ManageMembers).await?;
        let event = self
            .event(Action::MemberRemoved, Actor::account(&view.viewer.id))
            .target("account", account_id, None);
        match self
            .store
            .delete_membership(&permit, account_id, &event)
            .await?
        {
            AdminChange::Done => Ok(()),
            AdminChange::Missing => Err(AppError::NotFound),
            AdminChange::LastAdmin => Err(AppError::LastAdmin),
            AdminChange::LastNormalAdmin => Err(AppError::LastUnmanagedAdmin),
        }
    }

    /// Leaves the organization (one's own membership, with its groups and project
    /// roles). Managed accounts cannot: they belong to their organization.
    ///
    /// # Errors
    /// [`AppError::ManagedAccount`], [`AppError::LastAdmin`],
    /// [`AppError::LastUnmanagedAdmin`], [`AppError::NotFound`].
    pub async fn leave_organization(&self, token: &TokenHash, key: &str) -> Result<(), AppError> {
        let (view, permit) = self.member(token, key, OrgAction::Leave).await?;
        if view.viewer.managed {
            return Err(AppError::ManagedAccount);
        }
        let me = &view.viewer.id;
        let event = self
            .event(Action::MemberLeft, Actor::account(me))
            .target("account", me, None);
        match self.store.delete_membership(&permit, me, &event).await? {
            AdminChange::Done => Ok(()),
            AdminChange::Missing => Err(AppError::NotFound),
            AdminChange::LastAdmin => Err(AppError::LastAdmin),
            AdminChange::LastNormalAdmin => Err(AppError::LastUnmanagedAdmin),
        }
    }

    /// The groups the caller may see, with the caller's view of the organization.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`], [`AppError::NotFound`].
    pub async fn list_groups(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<(OrgView, Vec<GroupRecord>), AppError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let (context, groups) = self
            .store
            .groups_with_context(token, self.now, &space_key)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (view, _) = decide(context, OrgAction::ListMembers)?;
        let groups = groups
            .into_iter()
            .filter(|g| sees_group(view.membership, g.member_ids.contains(&view.viewer.id)))
            .collect();
        Ok((view, groups))
    }

    /// Creates a group (administrators and members). A member who creates a group
    /// joins it, so that they can manage it.
    ///
    /// # Errors
    /// `invalid_name`, [`AppError::GroupNameTaken`], [`AppError::Forbidden`].
    pub async fn create_group(
        &self,
        token: &TokenHash,
        key: &str,
        name: &str,
    ) -> Result<GroupRecord, AppError> {
        let name = group_name(name)?;
        let (view, permit) = self.member(token, key, OrgAction::CreateGroup).await?;
        let member_ids = if view.membership.role == Role::Administrator {
            Vec::new()
        } else {
            vec![view.viewer.id.clone()]
        };
        let group = GroupRecord {
            id: self.new_id("grp")?,
            name,
            member_ids,
        };
        let event = self
            .event(Action::GroupCreated, Actor::account(&view.viewer.id))
            .target("group", &group.id, Some(&group.name));
        match self
            .store
            .insert_group(&permit, &group, self.now, &event)
            .await?
        {
            Written::Done => Ok(group),
            Written::Missing | Written::Refused => Err(AppError::GroupNameTaken),
        }
    }

    /// The caller's view and a group they may manage (administrators: any; members:
    /// their own). A group the caller may not even see is not found.
    async fn managed_group(
        &self,
        token: &TokenHash,
        key: &str,
        group_id: &str,
    ) -> Result<(OrgView, GroupRecord, Permit), AppError> {
        let (view, groups) = self.list_groups(token, key).await?;
        let group = groups
            .into_iter()
            .find(|g| g.id == group_id)
            .ok_or(AppError::NotFound)?;
        let belongs = group.member_ids.contains(&view.viewer.id);
        let permit = permit(
            view.org.space_key.clone(),
            view.membership,
            OrgAction::ManageGroup { belongs },
        )
        .map_err(|_| AppError::Forbidden)?;
        Ok((view, group, permit))
    }

    /// Renames a group.
    ///
    /// # Errors
    /// `invalid_name`, [`AppError::GroupNameTaken`], [`AppError::Forbidden`],
    /// [`AppError::NotFound`].
    pub async fn rename_group(
        &self,
        token: &TokenHash,
        key: &str,
        group_id: &str,
        name: &str,
    ) -> Result<GroupRecord, AppError> {
        let name = group_name(name)?;
        let (view, group, permit) = self.managed_group(token, key, group_id).await?;
        let event = self
            .event(Action::GroupRenamed, Actor::account(&view.viewer.id))
            .target("group", group_id, Some(&name));
        match self
            .store
            .update_group_name(&permit, group_id, &name, &event)
            .await?
        {
            Written::Done => Ok(GroupRecord { name, ..group }),
            Written::Missing => Err(AppError::NotFound),
            Written::Refused => Err(AppError::GroupNameTaken),
        }
    }

    /// Deletes a group (its people stay members of the organization).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn remove_group(
        &self,
        token: &TokenHash,
        key: &str,
        group_id: &str,
    ) -> Result<(), AppError> {
        let (view, group, permit) = self.managed_group(token, key, group_id).await?;
        let event = self
            .event(Action::GroupDeleted, Actor::account(&view.viewer.id))
            .target("group", group_id, Some(&group.name));
        match self.store.delete_group(&permit, group_id, &event).await? {
            Written::Done => Ok(()),
            _ => Err(AppError::NotFound),
        }
    }

    /// Adds (`add`) or removes someone to or from a group.
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`] (also for someone who is not a
    /// member of the organization).
    pub async fn set_group_member(
        &self,
        token: &TokenHash,
        key: &str,
        group_id: &str,
        account_id: &str,
        add: bool,
    ) -> Result<(), AppError> {
        let (view, group, permit) = self.managed_group(token, key, group_id).await?;
        let action = if add {
            Action::GroupMemberAdded
        } else {
            Action::GroupMemberRemoved
        };
        let event = self
            .event(action, Actor::account(&view.viewer.id))
            .target("group", group_id, Some(&group.name))
            .target("account", account_id, None);
        match self
            .store
            .write_group_member(
                &permit,
                group_id,
                account_id,
                add,
                &view.viewer.id,
                self.now,
                &event,
            )
            .await?
        {
            Written::Done => Ok(()),
            Written::Refused => Err(AppError::Forbidden),
            Written::Missing => Err(AppError::NotFound),
        }
    }

    /// Sets the organization role of every member of a group (administrators); returns
    /// how many changed.
    ///
    /// # Errors
    /// `invalid_role`, [`AppError::LastAdmin`], [`AppError::Forbidden`],
    /// [`AppError::NotFound`].
    pub async fn set_group_role(
        &self,
        token: &TokenHash,
        key: &str,
        group_id: &str,
        role: &str,
    ) -> Result<u64, AppError> {
        let role = Role::parse(role).map_err(Invalid::from)?;
        let (_, permit) = self.member(token, key, OrgAction::ManageMembers).await?;
        match self.store.write_group_role(&permit, group_id, role).await? {
            Ok(changed) => Ok(changed),
            Err(AdminChange::LastAdmin) => Err(AppError::LastAdmin),
            Err(AdminChange::LastNormalAdmin) => Err(AppError::LastUnmanagedAdmin),
            Err(_) => Err(AppError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors() {
        assert_eq!(page_limit(None), Ok(DEFAULT_PAGE));
        assert_eq!(page_limit(Some("200")), Ok(200));
        assert!(page_limit(Some("201")).is_err());
        assert!(page_limit(Some("0")).is_err());
        assert!(page_limit(Some("x")).is_err());
        let cursor = B64URL.encode("ann@example.com");
        assert_eq!(
            parse_cursor(Some(&cursor)),
            Ok(Some("ann@example.com".to_owned()))
        );
        assert_eq!(parse_cursor(None), Ok(None));
        assert!(parse_cursor(Some("!!")).is_err());
    }
}
