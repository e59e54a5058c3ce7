//! Organizations, their products and the member context of a request.

use orgpass_core::{
    pass::Pass, policy::Permit, Email, Membership, OrganizationId, OrganizationName, Role,
    SpaceKey, Timestamp, TokenHash,
};

use super::*;

/// One organization a person belongs to, as listed on `/me` and the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipSummary {
    /// Space key.
    pub space_key: String,
    /// Organization ID.
    pub organization_id: String,
    /// Name.
    pub name: String,
    /// The person's membership.
    pub membership: Membership,
}

/// A product subscription of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    /// Catalogue key.
    pub product: String,
    /// Plan (`trial` at creation).
    pub plan: String,
    /// Status (`trialing`, later `active`, `expired`, …).
    pub status: String,
    /// End of the free trial.
    pub trial_ends_at: Option<Timestamp>,
}

/// An application for the SSO add-on, as the administrator filed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassApplication {
    /// The plan admin's name.
    pub admin_name: String,
    /// The plan admin's email (reminders go there).
    pub admin_email: Email,
    /// The company.
    pub company_name: String,
    /// When it was filed.
    pub applied_at: Timestamp,
}

/// An organization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    /// Permanent key.
    pub space_key: SpaceKey,
    /// Current organization ID.
    pub organization_id: OrganizationId,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Products and their trials.
    pub products: Vec<ProductRecord>,
    /// The SSO add-on as stored (readers apply `Pass::at(now)`).
    pub pass: Pass,
    /// The add-on application, once filed.
    pub application: Option<PassApplication>,
    /// The payment provider's subscription, once there is one.
    pub subscription_id: Option<String>,
    /// Normal members must have two-step verification on to use the organization.
    pub require_two_step: bool,
}

/// A signed-in person looking at one organization.
#[derive(Debug, Clone)]
pub struct MemberContext {
    /// Who.
    pub account: AccountRecord,
    /// The organization and their membership; `None` when they are not a member (or
    /// it does not exist: callers must not tell the two apart).
    pub org: Option<(OrgRecord, Membership)>,
}

/// What a change of organization ID came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgUpdate {
    /// Changed; the organization as it now is.
    Updated(Box<OrgRecord>),
    /// The ID is, or once was, another organization's.
    IdTaken,
    /// Requiring two-step verification needs the actor to have it on (they turned it
    /// off meanwhile); nothing changed.
    TwoStepNotEnabled,
    /// The organization does not exist (any more).
    Missing,
}

/// What an organization update changes (`None`: stays).
#[derive(Debug, Clone, Copy, Default)]
pub struct OrgChange<'a> {
    /// The new name.
    pub name: Option<&'a OrganizationName>,
    /// The new organization ID.
    pub organization_id: Option<&'a OrganizationId>,
    /// Whether two-step verification is required, and who asks (turning it on needs
    /// their own on).
    pub require_two_step: Option<(bool, &'a str)>,
}

/// Organizations and memberships.
pub trait OrgStore {
    /// Creates `org` with its products, claims its organization ID and makes
    /// `creator` a member with `role`, atomically. Returns `false` (writing nothing)
    /// when the organization ID is, or once was, another organization's.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_organization(
        &self,
        org: &OrgRecord,
        creator: &str,
        role: Role,
        event: &Event,
    ) -> Result<bool, PortError>;

    /// The live session's account and, if it is a member, the organization with the
    /// membership: one round trip for every organization-scoped request.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn member_context(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<MemberContext>, PortError>;

    /// Renames and/or changes the organization ID, atomically. A new ID is claimed for
    /// good; an ID the organization held before may be taken back.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn update_organization(
        &self,
        permit: &Permit,
        change: &OrgChange<'_>,
        now: Timestamp,
        event: &Event,
    ) -> Result<OrgUpdate, PortError>;
}
