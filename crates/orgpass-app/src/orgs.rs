//! Creating, reading and changing organizations (docs/product.md §2, docs/api.md
//! "Organizations").

use orgpass_core::{
    audit::Action,
    pass::Pass,
    policy::{permit, OrgAction, Permit},
    Invalid, Membership, OrganizationId, OrganizationName, Product, Role, SpaceKey, TokenHash,
};

use super::{
    ports::{
        AccountRecord, AccountStore, Actor, MemberContext, OrgChange, OrgRecord, OrgStore,
        OrgUpdate, ProductRecord, Random,
    },
    App, AppError,
};

/// Input of organization creation.
#[derive(Debug)]
pub struct CreateOrg<'a> {
    /// Name as typed.
    pub name: &'a str,
    /// Catalogue key of the product whose trial starts.
    pub product: &'a str,
    /// Organization ID as typed; one is suggested from the name when absent.
    pub organization_id: Option<&'a str>,
}

/// Input of an organization update; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct UpdateOrg<'a> {
    /// New name.
    pub name: Option<&'a str>,
    /// New organization ID.
    pub organization_id: Option<&'a str>,
    /// Require two-step verification of normal members (or no longer).
    pub require_two_step: Option<bool>,
}

/// An organization as seen by one of its members.
#[derive(Debug, Clone)]
pub struct OrgView {
    /// The organization.
    pub org: OrgRecord,
    /// The viewer's membership.
    pub membership: Membership,
    /// The viewer.
    pub viewer: AccountRecord,
}

/// Attempts at drawing a free suggested organization ID.
const SUGGESTION_ATTEMPTS: usize = 3;

impl<S: AccountStore + OrgStore, H, R: Random> App<S, H, R> {
    /// Creates an organization whose first administrator is the signed-in person, and
    /// starts the chosen product's trial.
    ///
    /// # Errors
    /// Field errors (`invalid_name`, `unknown_product`, `invalid_organization_id`),
    /// [`AppError::Unauthenticated`], [`AppError::ManagedAccount`] (a managed account
    /// belongs to its own organization only), [`AppError::OrganizationIdTaken`],
    /// [`AppError::Unavailable`].
    pub async fn create_org(
        &self,
        token: &TokenHash,
        input: CreateOrg<'_>,
    ) -> Result<OrgView, AppError> {
        let mut invalid = Invalid::default();
        let name = invalid.check(OrganizationName::parse(input.name));
        let product = invalid.check(Product::parse(input.product));
        let chosen_id = match input
            .organization_id
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(id) => invalid.check(OrganizationId::parse(id)).map(Some),
            None => Some(None),
        };
        invalid.into_result()?;
        let (Some(name), Some(product), Some(chosen_id)) = (name, product, chosen_id) else {
            return Err(AppError::Invalid(Invalid::default()));
        };

        let (account, _) = self
            .store
            .session_with_orgs(token, self.now)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if account.managed {
            return Err(AppError::ManagedAccount);
        }
        let role = Role::of_creator();
        let attempts = if chosen_id.is_some() {
            1
        } else {
            SUGGESTION_ATTEMPTS
        };
        for _ in 0..attempts {
            let organization_id = match &chosen_id {
                Some(id) => id.clone(),
                None => OrganizationId::suggest(&name, &self.random_bytes()?),
            };
            let org = OrgRecord {
                space_key: self.new_space_key()?,
                organization_id,
                name: name.as_str().to_owned(),
                created_at: self.now,
                products: vec![ProductRecord {
                    product: product.key.to_owned(),
                    plan: "trial".to_owned(),
                    status: "trialing".to_owned(),
                    trial_ends_at: Some(self.now.plus_days(product.trial_days)),
                }],
                pass: Pass::None,
                application: None,
                subscription_id: None,
                require_two_step: false,
            };
            let event = self
                .event(Action::OrganizationCreated, Actor::account(&account.id))
                .target("organization", org.space_key.as_str(), Some(&org.name));
            if self
                .store
                .create_organization(&org, &account.id, role, &event)
                .await?
            {
                return Ok(OrgView {
                    org,
                    membership: Membership {
                        role,
                        can_invite: false,
                    },
                    viewer: account,
                });
            }
        }
        Err(AppError::OrganizationIdTaken)
    }

    /// The organization `space_key` as seen by the signed-in member.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`]; [`AppError::NotFound`] for an unknown key and for
    /// an organization the caller does not belong to (the same answer);
    /// [`AppError::Unavailable`].
    pub async fn get_org(&self, token: &TokenHash, space_key: &str) -> Result<OrgView, AppError> {
        let (view, _) = self.member(token, space_key, OrgAction::View).await?;
        Ok(view)
    }

    /// Changes the name and/or organization ID (administrators).
    ///
    /// # Errors
    /// As [`Self::get_org`], plus [`AppError::Forbidden`] for non-administrators,
    /// field errors, [`AppError::OrganizationIdTaken`].
    pub async fn update_org(
        &self,
        token: &TokenHash,
        space_key: &str,
        input: UpdateOrg<'_>,
    ) -> Result<OrgView, AppError> {
        let mut invalid = Invalid::default();
        let name = input
            .name
            .map(|n| invalid.check(OrganizationName::parse(n)));
        let id = input
            .organization_id
            .map(|id| invalid.check(OrganizationId::parse(id)));
        invalid.into_result()?;
        let (view, permit) = self
            .member(token, space_key, OrgAction::EditProfile)
            .await?;
        let name = name.flatten().filter(|n| n.as_str() != view.org.name);
        let id = id.flatten().filter(|id| *id != view.org.organization_id);
        let two_step = input
            .require_two_step
            .filter(|on| *on != view.org.require_two_step);
        if name.is_none() && id.is_none() && two_step.is_none() {
            return Ok(view);
        }
        // Requiring it of others needs it of oneself (the store re-checks in its write).
        if two_step == Some(true) && !view.viewer.two_step {
            return Err(AppError::TwoStepNotEnabled);
        }
        let change = OrgChange {
            name: name.as_ref(),
            organization_id: id.as_ref(),
            require_two_step: two_step.map(|on| (on, view.viewer.id.as_str())),
        };
        let event = self
            .event(Action::OrganizationUpdated, Actor::account(&view.viewer.id))
            .target(
                "organization",
                view.org.space_key.as_str(),
                Some(
                    name.as_ref()
                        .map_or(view.org.name.as_str(), OrganizationName::as_str),
                ),
            );
        match self
            .store
            .update_organization(&permit, &change, self.now, &event)
            .await?
        {
            OrgUpdate::Updated(org) => Ok(OrgView { org: *org, ..view }),
            OrgUpdate::IdTaken => Err(AppError::OrganizationIdTaken),
            OrgUpdate::TwoStepNotEnabled => Err(AppError::TwoStepNotEnabled),
            OrgUpdate::Missing => Err(AppError::NotFound),
        }
    }

    /// Loads the caller's view of an organization and asks the policy for `action`: the
    /// [`Permit`] is what the store's writes for that action take.
    pub(super) async fn member(
        &self,
        token: &TokenHash,
        space_key: &str,
        action: OrgAction,
    ) -> Result<(OrgView, Permit), AppError> {
        let Some(key) = SpaceKey::parse(space_key) else {
            // An impossible key is answered like an unknown one, after authentication.
            self.store
                .session_with_orgs(token, self.now)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            return Err(AppError::NotFound);
        };
        let context = self
            .store
            .member_context(token, self.now, &key)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        decide(context, action)
    }

    /// The answer for a space key that cannot exist: authenticate, then 404.
    pub(super) async fn unknown_org(&self, token: &TokenHash) -> AppError {
        match self.store.session_with_orgs(token, self.now).await {
            Ok(Some(_)) => AppError::NotFound,
            Ok(None) => AppError::Unauthenticated,
            Err(e) => AppError::Unavailable(e),
        }
    }

    fn new_space_key(&self) -> Result<SpaceKey, AppError> {
        // 32 bytes hold 10 usable ones with overwhelming probability; a source that
        // keeps failing is broken, not unlucky.
        for _ in 0..4 {
            if let Some(key) = SpaceKey::from_random(&self.random_bytes::<32>()?) {
                return Ok(key);
            }
        }
        Err(AppError::Unavailable(super::ports::PortError(
            "random source yields no space key".to_owned(),
        )))
    }
}

/// The view and the policy's permit for `action` from a member context read for it:
/// not a member → not found; not allowed → forbidden.
///
/// # Errors
/// [`AppError::NotFound`], [`AppError::Forbidden`].
/// The caller's organization and membership from a context read for them: not a
/// member → not found; kept out by the organization's two-step requirement →
/// [`AppError::TwoStepRequired`] (leaving is let through: `leaving`).
pub(super) fn admitted(
    MemberContext { account, org }: MemberContext,
    leaving: bool,
) -> Result<(AccountRecord, OrgRecord, orgpass_core::Membership), AppError> {
    let (org, membership) = org.ok_or(AppError::NotFound)?;
    if !leaving
        && orgpass_core::two_step::keeps_out(
            org.require_two_step,
            account.managed,
            account.two_step,
        )
    {
        return Err(AppError::TwoStepRequired);
    }
    Ok((account, org, membership))
}

pub(super) fn decide(
    context: MemberContext,
    action: OrgAction,
) -> Result<(OrgView, Permit), AppError> {
    let (account, org, membership) = admitted(context, action == OrgAction::Leave)?;
    let permit =
        permit(org.space_key.clone(), membership, action).map_err(|_| AppError::Forbidden)?;
    Ok((
        OrgView {
            org,
            membership,
            viewer: account,
        },
        permit,
    ))
}
