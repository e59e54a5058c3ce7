//! Invitations.

use orgpass_core::{policy::Permit, Email, Role, SpaceKey, Timestamp, TokenHash};

use super::*;

/// An invitation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    /// Opaque id (`inv_…`).
    pub id: String,
    /// The organization.
    pub space_key: SpaceKey,
    /// Invitee.
    pub email: Email,
    /// Role on joining.
    pub role: Role,
    /// Groups to join.
    pub group_ids: Vec<String>,
    /// Personal message.
    pub message: Option<String>,
    /// Inviter's account id.
    pub invited_by: String,
    /// Lifecycle state as stored (readers apply `at(now)`).
    pub state: orgpass_core::invitation::InvitationState,
    /// When it was made (or last resent).
    pub created_at: Timestamp,
}

/// An invitation found by its token, with what the invitation page shows.
#[derive(Debug, Clone)]
pub struct InvitationLookup {
    /// The invitation.
    pub invitation: InvitationRecord,
    /// The organization's name.
    pub org_name: String,
    /// The organization ID.
    pub organization_id: String,
    /// The inviter's name.
    pub inviter_name: String,
}

/// A new invitation with its token hash and email.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// The record.
    pub record: InvitationRecord,
    /// Hash of the link's token.
    pub token: TokenHash,
    /// The email with the link.
    pub mail: NewMail,
    /// Its `invitation.sent`, recorded if it is written.
    pub event: Event,
}

/// What an invitation request must know before writing.
#[derive(Debug, Clone)]
pub struct InviteFacts {
    /// Which of the emails already belong to members.
    pub members: Vec<Email>,
    /// Which of the emails have a pending invitation that has not expired.
    pub pending: Vec<Email>,
    /// The organization's group ids.
    pub group_ids: Vec<String>,
    /// The ids of the groups the inviter belongs to.
    pub inviter_group_ids: Vec<String>,
}

/// What the one conditional acceptance of an invitation came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// This batch joined the account.
    Joined,
    /// The inviter no longer holds the right to invite with this role (demoted,
    /// removed, **can invite** taken away): the invitation is as good as revoked.
    InviterLacksRight,
    /// Another batch won, or the invitation is no longer pending.
    Lost,
}

/// The account joining through an invitation, and the session to start when it signs
/// up on the way.
#[derive(Debug, Clone)]
pub struct Joiner<'a> {
    /// The account (new, when `signup` is given).
    pub account: &'a AccountRecord,
    /// For a sign-up: the password record and the first session.
    pub signup: Option<(&'a str, &'a NewSession)>,
    /// A fresh random id: only the batch whose id the invitation then carries joins.
    pub accept_id: &'a str,
}

/// What the invitations tab reads in one batch.
#[derive(Debug, Clone)]
pub struct InvitationsPage {
    /// The viewer and the organization.
    pub context: MemberContext,
    /// The organization's groups (empty unless the viewer is a member).
    pub groups: Vec<GroupRecord>,
    /// Its invitations, newest first (empty unless the viewer is an administrator).
    pub invitations: Vec<InvitationRecord>,
}

/// Invitations.
pub trait InvitationStore {
    /// The inviter's context (the session's) with which of `emails` are members
    /// already, which have a live pending invitation, the organization's group ids and
    /// the inviter's own groups, in one round trip; `None` without a live session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn invite_facts(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        emails: &[Email],
    ) -> Result<Option<(MemberContext, InviteFacts)>, PortError>;

    /// Stores the invitations and queues their emails, atomically. With
    /// `replace_pending` (a sender who may revoke invitations) an earlier pending
    /// invitation of the same email is revoked (its link stops working); without it, an
    /// email with a live pending invitation is skipped, as is an email that became a
    /// member meanwhile. Each invitation written records its event; each one revoked
    /// so (`replacing.0`) records `replacing.1` (its target the invitation).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn create_invitations(
        &self,
        permit: &Permit,
        invitations: &[NewInvitation],
        replacing: (bool, &Event),
        now: Timestamp,
    ) -> Result<(), PortError>;

    /// The organization's invitations with `status` (all when `None`), newest first.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn invitations(
        &self,
        space_key: &SpaceKey,
        status: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<InvitationRecord>, PortError>;

    /// The viewer's context and one invitation of the organization, in one round trip;
    /// `None` without a live session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn invitation(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        id: &str,
    ) -> Result<Option<(MemberContext, Option<InvitationRecord>)>, PortError>;

    /// Gives a pending or expired invitation a new token and end, and queues the email;
    /// `false` when it is no longer pending or expired.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn refresh_invitation(
        &self,
        permit: &Permit,
        invitation: &NewInvitation,
        now: Timestamp,
    ) -> Result<bool, PortError>;

    /// Revokes a pending invitation; `false` when it is not pending.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn mark_invitation_revoked(
        &self,
        permit: &Permit,
        id: &str,
        now: Timestamp,
        event: &Event,
    ) -> Result<bool, PortError>;

    /// The invitation of a token.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn invitation_by_token(
        &self,
        token: &TokenHash,
    ) -> Result<Option<InvitationLookup>, PortError>;

    /// The viewer's context, the groups (for a member) and the invitations (for an
    /// administrator) of an organization, in one round trip: the invitations tab.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn invitations_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<InvitationsPage>, PortError>;

    /// The account of a live `session` (if any) and the invitation of `token`, in one
    /// round trip: what the invitation page and its accept path start from.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn session_and_invitation(
        &self,
        session: Option<&TokenHash>,
        now: Timestamp,
        token: &TokenHash,
    ) -> Result<(Option<AccountRecord>, Option<InvitationLookup>), PortError>;

    /// Accepts the invitation for `joiner` if it is still pending at `now` and meant for
    /// the joiner's email: marks it accepted, creates the account and session for a
    /// sign-up, adds the membership and the groups — one conditional update decides, so
    /// exactly one of concurrent callers joins. The inviter's right is read at that
    /// moment: the role only while the inviter may still invite with it, each group
    /// only while the inviter could still put a member into it. Anything but
    /// [`Acceptance::Joined`]: nothing was written. `recorded` is the invitation's
    /// organization and the `invitation.accepted` written with the join.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn consume_invitation(
        &self,
        token: &TokenHash,
        joiner: &Joiner<'_>,
        now: Timestamp,
        recorded: (&SpaceKey, &Event),
    ) -> Result<Acceptance, PortError>;

    /// Writes down the invitations whose time is over; returns how many.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn mark_expired_invitations(&self, now: Timestamp) -> Result<u64, PortError>;
}
