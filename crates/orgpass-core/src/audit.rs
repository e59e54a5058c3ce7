//! The audit log's vocabulary (docs/api.md "Audit log"): what happened ([`Action`]), who
//! did it ([`ActorType`]), to what ([`Target`]), with what [`Outcome`]; and the question
//! an administrator asks of it ([`Query`]), checked.
//!
//! An event is written by the storage in the same batch as the change it records, and
//! only if that change happened: the use case names the event beside the write, the
//! store adds one statement after the write's.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};

use crate::{validation::FieldError, Timestamp};

/// What happened. The names are the API's (`member.role_changed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An organization was created.
    OrganizationCreated,
    /// The organization's name, ID or two-step rule changed.
    OrganizationUpdated,
    /// Someone was invited.
    InvitationSent,
    /// An invitation was revoked.
    InvitationRevoked,
    /// An invitation was accepted: its invitee joined.
    InvitationAccepted,
    /// Someone's role in a project was set or taken away.
    ProjectMemberSet,
    /// A group's role in a project was set or taken away.
    ProjectGroupSet,
    /// Someone was chosen, or no longer, as a project creator.
    ProjectCreatorSet,
    /// A domain's TXT record was found: it is verified.
    DomainVerified,
    /// A verified domain's TXT record was gone on its re-check.
    DomainUnverified,
    /// Someone signed in through the IdP.
    SsoLoginSucceeded,
    /// A SAML response was refused (the target is its reference code).
    SsoLoginFailed,
    /// The organization applied for the SSO add-on.
    PassApplied,
    /// The operator approved the application: the trial began.
    PassApproved,
    /// The operator rejected the application.
    PassRejected,
    /// The trial or the subscription ended.
    PassExpired,
    /// The add-on became a paid subscription.
    PassUpgraded,
    /// The operator moved the trial's end.
    PassTrialEndChanged,
    /// A paid period was renewed.
    PassRenewed,
    /// The subscription was canceled.
    PassCanceled,
    /// A member signed in with their password.
    LoginSucceeded,
    /// A wrong password or code was given for a member's account.
    LoginFailed,
    /// A member turned two-step verification on.
    TwoStepEnabled,
    /// A member turned two-step verification off.
    TwoStepDisabled,
    /// A member changed their password (the current one given).
    PasswordChanged,
    /// A member set a new password with a reset link.
    PasswordReset,
    /// A member's email changed (the new address confirmed).
    EmailChanged,
    /// The log's streaming endpoint was registered (or replaced, with a new secret).
    AuditStreamUpdated,
    /// The log's streaming endpoint was removed.
    AuditStreamDeleted,
    /// A member's role or `can_invite` changed.
    MemberRoleChanged,
    /// An administrator removed a member.
    MemberRemoved,
    /// A member left.
    MemberLeft,
    /// A group was created.
    GroupCreated,
    /// A group was renamed.
    GroupRenamed,
    /// A group was deleted.
    GroupDeleted,
    /// Someone joined a group.
    GroupMemberAdded,
    /// Someone left a group.
    GroupMemberRemoved,
    /// A project was created.
    ProjectCreated,
    /// The SAML settings were saved.
    SamlUpdated,
    /// The SAML settings were removed.
    SamlDeleted,
    /// A domain was added.
    DomainAdded,
    /// A domain was deleted.
    DomainDeleted,
    /// An administrator created a managed account.
    ManagedAccountCreated,
    /// An administrator deleted a managed account.
    ManagedAccountDeleted,
    /// A provisioning token was created.
    ScimTokenCreated,
    /// A provisioning token was revoked.
    ScimTokenRevoked,
    /// The IdP created a User.
    ScimUserCreated,
    /// The IdP changed a User.
    ScimUserUpdated,
    /// The IdP deactivated a User.
    ScimUserDeactivated,
    /// The IdP deleted a User.
    ScimUserDeleted,
    /// The IdP created a Group.
    ScimGroupCreated,
    /// The IdP changed a Group (its name or members).
    ScimGroupUpdated,
    /// The IdP deleted a Group.
    ScimGroupDeleted,
}

impl Action {
    /// Every action, in the order the API lists them.
    pub const ALL: &'static [Self] = &[
        Self::OrganizationCreated,
        Self::OrganizationUpdated,
        Self::InvitationSent,
        Self::InvitationRevoked,
        Self::InvitationAccepted,
        Self::ProjectMemberSet,
        Self::ProjectGroupSet,
        Self::ProjectCreatorSet,
        Self::DomainVerified,
        Self::DomainUnverified,
        Self::SsoLoginSucceeded,
        Self::SsoLoginFailed,
        Self::PassApplied,
        Self::PassApproved,
        Self::PassRejected,
        Self::PassExpired,
        Self::PassUpgraded,
        Self::PassTrialEndChanged,
        Self::PassRenewed,
        Self::PassCanceled,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::TwoStepEnabled,
        Self::TwoStepDisabled,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::EmailChanged,
        Self::AuditStreamUpdated,
        Self::AuditStreamDeleted,
        Self::MemberRoleChanged,
        Self::MemberRemoved,
        Self::MemberLeft,
        Self::GroupCreated,
        Self::GroupRenamed,
        Self::GroupDeleted,
        Self::GroupMemberAdded,
        Self::GroupMemberRemoved,
        Self::ProjectCreated,
        Self::SamlUpdated,
        Self::SamlDeleted,
        Self::DomainAdded,
        Self::DomainDeleted,
        Self::ManagedAccountCreated,
        Self::ManagedAccountDeleted,
        Self::ScimTokenCreated,
        Self::ScimTokenRevoked,
        Self::ScimUserCreated,
        Self::ScimUserUpdated,
        Self::ScimUserDeactivated,
        Self::ScimUserDeleted,
        Self::ScimGroupCreated,
        Self::ScimGroupUpdated,
        Self::ScimGroupDeleted,
    ];

    /// The API's name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OrganizationCreated => "organization.created",
            Self::OrganizationUpdated => "organization.updated",
            Self::InvitationSent => "invitation.sent",
            Self::InvitationRevoked => "invitation.revoked",
            Self::InvitationAccepted => "invitation.accepted",
            Self::ProjectMemberSet => "project.member_set",
            Self::ProjectGroupSet => "project.group_set",
            Self::ProjectCreatorSet => "project.creator_set",
            Self::DomainVerified => "domain.verified",
            Self::DomainUnverified => "domain.unverified",
            Self::SsoLoginSucceeded => "sso.login_succeeded",
            Self::SsoLoginFailed => "sso.login_failed",
            Self::PassApplied => "pass.applied",
            Self::PassApproved => "pass.approved",
            Self::PassRejected => "pass.rejected",
            Self::PassExpired => "pass.expired",
            Self::PassUpgraded => "pass.upgraded",
            Self::PassTrialEndChanged => "pass.trial_end_changed",
            Self::PassRenewed => "pass.renewed",
            Self::PassCanceled => "pass.canceled",
            Self::LoginSucceeded => "account.login_succeeded",
            Self::LoginFailed => "account.login_failed",
            Self::TwoStepEnabled => "account.two_step_enabled",
            Self::TwoStepDisabled => "account.two_step_disabled",
            Self::PasswordChanged => "account.password_changed",
            Self::PasswordReset => "account.password_reset",
            Self::EmailChanged => "account.email_changed",
            Self::AuditStreamUpdated => "audit_stream.updated",
            Self::AuditStreamDeleted => "audit_stream.deleted",
            Self::MemberRoleChanged => "member.role_changed",
            Self::MemberRemoved => "member.removed",
            Self::MemberLeft => "member.left",
            Self::GroupCreated => "group.created",
            Self::GroupRenamed => "group.renamed",
            Self::GroupDeleted => "group.deleted",
            Self::GroupMemberAdded => "group.member_added",
            Self::GroupMemberRemoved => "group.member_removed",
            Self::ProjectCreated => "project.created",
            Self::SamlUpdated => "saml.updated",
            Self::SamlDeleted => "saml.deleted",
            Self::DomainAdded => "domain.added",
            Self::DomainDeleted => "domain.deleted",
            Self::ManagedAccountCreated => "managed_account.created",
            Self::ManagedAccountDeleted => "managed_account.deleted",
            Self::ScimTokenCreated => "scim.token_created",
            Self::ScimTokenRevoked => "scim.token_revoked",
            Self::ScimUserCreated => "scim.user_created",
            Self::ScimUserUpdated => "scim.user_updated",
            Self::ScimUserDeactivated => "scim.user_deactivated",
            Self::ScimUserDeleted => "scim.user_deleted",
            Self::ScimGroupCreated => "scim.group_created",
            Self::ScimGroupUpdated => "scim.group_updated",
            Self::ScimGroupDeleted => "scim.group_deleted",
        }
    }

    /// The action named `name`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorType {
    /// A person signed in to orgpass.
    Account,
    /// orgpass's staff, with the operator token.
    Operator,
    /// The organization's IdP, with a provisioning token.
    Scim,
    /// The organization's IdP, through a SAML response.
    Idp,
    /// orgpass itself (the Cron).
    System,
}

impl ActorType {
    /// The API's name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Operator => "operator",
            Self::Scim => "scim",
            Self::Idp => "idp",
            Self::System => "system",
        }
    }
}

/// Whether the action succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was tried and refused (a security event: nothing changed).
    Failure,
}

impl Outcome {
    /// The API's name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// What an action was done to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `account`, `group`, `scim_token`, …
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// Its name when the event was written (an email, a group's name), if known.
    pub name: Option<String>,
}

impl Target {
    /// A target of `kind`.
    #[must_use]
    pub fn new(kind: &'static str, id: &str, name: Option<&str>) -> Self {
        Self {
            kind,
            id: id.to_owned(),
            name: name.map(str::to_owned),
        }
    }
}

/// The most events one page holds.
pub const MAX_PAGE: u32 = 100;

/// The CSV export's header row (RFC 4180, CRLF line ends): one column per field of an
/// event, `targets` and `details` as their JSON.
pub const CSV_HEADER: &str = "id,occurred_at,action,actor_type,actor_id,actor_email,actor_name,\
targets,ip,user_agent,outcome,details\r\n";

/// Events per chunk of the CSV export: one D1 query each, so 100,000 events are 100
/// queries (the Workers Free plan allows 1,000 calls to Cloudflare services a request).
pub const CSV_CHUNK: u32 = 1000;
/// How long events are kept: 13 months, counted as 396 days (the Cron deletes older ones).
pub const RETENTION_DAYS: i64 = 396;

/// An administrator's question to the log, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Only this action.
    pub action: Option<Action>,
    /// Only this actor's.
    pub actor_id: Option<String>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
    /// At most this many (1 to [`MAX_PAGE`]).
    pub limit: u32,
    /// Older than the event with this sequence number (the cursor).
    pub before: Option<i64>,
}

impl Query {
    /// Reads the query parameters (each `None` when absent or empty).
    ///
    /// # Errors
    /// A [`FieldError`] for the first parameter that does not read.
    pub fn parse(
        action: Option<&str>,
        actor_id: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<Self, FieldError> {
        let action = given(action)
            .map(|a| {
                Action::parse(a).ok_or(FieldError::new(
                    "action",
                    "invalid_action",
                    "No event has this action.",
                ))
            })
            .transpose()?;
        let time = |field, v: Option<&str>| {
            given(v)
                .map(|t| {
                    Timestamp::parse_rfc3339(t).ok_or(FieldError::new(
                        field,
                        "invalid_time",
                        "Give a time as RFC 3339, such as 2026-01-31T09:00:00Z.",
                    ))
                })
                .transpose()
        };
        let limit = match given(limit) {
            None => MAX_PAGE,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=MAX_PAGE).contains(l))
                .ok_or(FieldError::new(
                    "limit",
                    "invalid_limit",
                    "The limit is a number from 1 to 100.",
                ))?,
        };
        let before = given(cursor)
            .map(|c| {
                decode_cursor(c).ok_or(FieldError::new(
                    "cursor",
                    "invalid_cursor",
                    "This cursor is not one we gave out.",
                ))
            })
            .transpose()?;
        Ok(Self {
            action,
            actor_id: given(actor_id).map(str::to_owned),
            since: time("since", since)?,
            until: time("until", until)?,
            limit,
            before,
        })
    }
}

/// A parameter's value, `None` when absent or blank.
fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// The cursor after the event with sequence number `seq`: opaque to clients.
#[must_use]
pub fn cursor(seq: i64) -> String {
    B64URL.encode(format!("evt:{seq}"))
}

fn decode_cursor(text: &str) -> Option<i64> {
    let bytes = B64URL.decode(text).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    text.strip_prefix("evt:")?.parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_name() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(*a));
        }
        assert_eq!(Action::parse("member.exploded"), None);
    }

    #[test]
    fn queries_read_or_say_what_is_wrong() {
        let q = Query::parse(
            Some("group.created"),
            Some("acct_1"),
            Some("2026-01-01T00:00:00Z"),
            None,
            Some("10"),
            Some(&cursor(42)),
        )
        .unwrap();
        assert_eq!(q.action, Some(Action::GroupCreated));
        assert_eq!(q.actor_id.as_deref(), Some("acct_1"));
        assert!(q.since.is_some() && q.until.is_none());
        assert_eq!((q.limit, q.before), (10, Some(42)));
        let all = Query::parse(None, Some(""), None, None, None, None).unwrap();
        assert_eq!(
            (all.limit, all.actor_id, all.before),
            (MAX_PAGE, None, None)
        );
        for (args, field) in [
            ([Some("nope"), None, None, None, None, None], "action"),
            ([None, None, Some("yesterday"), None, None, None], "since"),
            (
                [None, None, None, Some("2026-13-01T00:00:00Z"), None, None],
                "until",
            ),
            ([None, None, None, None, Some("0"), None], "limit"),
            ([None, None, None, None, Some("101"), None], "limit"),
            ([None, None, None, None, None, Some("!!")], "cursor"),
            ([None, None, None, None, None, Some("ZXZ0Oi0x")], "cursor"),
        ] {
            let e = Query::parse(args[0], args[1], args[2], args[3], args[4], args[5]).unwrap_err();
            assert_eq!(e.field, field);
        }
    }
}
