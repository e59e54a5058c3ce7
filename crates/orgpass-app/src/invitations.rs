//! Invitations (docs/product.md §4, docs/api.md "Members, invitations, groups"): invite several
//! people at once, list, resend, revoke, and accept — by a signed-in account with the
//! invited email, or by signing up from the link. The lifecycle is
//! [`orgpass_core::invitation`]; exactly-once acceptance is the store's conditional
//! update.

use orgpass_core::{
    audit::Action,
    invitation::{self, InvitationState, Refusal},
    policy::{authorize, OrgAction, Permit},
    token::TOKEN_BYTES,
    DisplayName, Email, Invalid, Password, Role, SecretToken, SpaceKey, TokenHash,
};

use super::{
    accounts::{LoggedIn, SESSION_DAYS},
    mail::{self, InvitationMail},
    orgs::{decide, OrgView},
    ports::{
        Acceptance, AccountRecord, AccountStore, Actor, Client, InvitationLookup, InvitationRecord,
        InvitationStore, Joiner, MemberStore, NewInvitation, OrgStore, PasswordHasher, Random,
    },
    App, AppError,
};

/// An invitation request as typed.
#[derive(Debug, Clone, Default)]
pub struct Invite<'a> {
    /// Email addresses (each entry may hold several).
    pub emails: Vec<&'a str>,
    /// Role on joining.
    pub role: &'a str,
    /// Groups to join.
    pub group_ids: Vec<&'a str>,
    /// Personal message.
    pub message: Option<&'a str>,
}

/// What an invitation request came to.
#[derive(Debug, Clone)]
pub struct Invited {
    /// The invitations sent.
    pub invitations: Vec<InvitationRecord>,
    /// Emails refused, each with its code (`already_member`, `already_invited`).
    pub refused: Vec<(Email, &'static str)>,
}

/// What happened when a link was opened by someone signed in (or not).
#[derive(Debug, Clone)]
pub struct Joined {
    /// The organization joined.
    pub space_key: SpaceKey,
    /// Its name.
    pub org_name: String,
    /// Its organization ID.
    pub organization_id: String,
    /// The role received.
    pub role: Role,
}

impl<S, H, R> App<S, H, R>
where
    S: AccountStore + OrgStore + MemberStore + InvitationStore,
    H: PasswordHasher,
    R: Random,
{
    /// Invites the typed emails with one role and optional groups (administrators, or
    /// members with **can invite** for `member` and `guest`). Emails of members are
    /// refused one by one with `already_member`; the others go out.
    ///
    /// The inviter may put an invitee only where they could put a member directly
    /// (docs/architecture.md "No privilege beyond the granter's"): a group only if the
    /// policy lets them manage it (a member:
    /// the groups they belong to). A re-invite replaces a pending invitation only when
    /// its sender may revoke invitations; otherwise that email is refused with
    /// `already_invited`.
    ///
    /// # Errors
    /// [`AppError::InvalidEmails`] naming what is not an address (nothing is sent),
    /// `no_emails`, `too_many_emails`, `invalid_role`, `invalid_message`,
    /// `unknown_group`, [`AppError::Forbidden`] (also for a group the inviter may not
    /// manage), [`AppError::NotFound`].
    pub async fn invite(
        &self,
        token: &TokenHash,
        key: &str,
        input: &Invite<'_>,
    ) -> Result<Invited, AppError> {
        let mut invalid = Invalid::default();
        let invitees = invalid.check(invitation::invitees(input.emails.iter().copied()));
        let role = invalid.check(Role::parse(input.role));
        let message = invalid.check(invitation::message(input.message));
        invalid.into_result()?;
        let (Some(invitees), Some(role), Some(message)) = (invitees, role, message) else {
            return Err(AppError::Invalid(Invalid::default()));
        };
        if !invitees.malformed.is_empty() {
            return Err(AppError::InvalidEmails(invitees.malformed));
        }
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let (context, facts) = self
            .store
            .invite_facts(token, self.now, &space_key, &invitees.emails)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (view, permit) = decide(context, OrgAction::Invite(role))?;
        let mut group_ids: Vec<String> = Vec::new();
        for id in &input.group_ids {
            if !facts.group_ids.iter().any(|g| g == id) {
                return Err(orgpass_core::FieldError::new(
                    "group_ids",
                    "unknown_group",
                    "One of the groups does not exist.",
                )
                .into());
            }
            let belongs = facts.inviter_group_ids.iter().any(|g| g == id);
            authorize(view.membership, OrgAction::ManageGroup { belongs })
                .map_err(|_| AppError::Forbidden)?;
            if !group_ids.iter().any(|g| g == id) {
                group_ids.push((*id).to_owned());
            }
        }
        let replace_pending = authorize(view.membership, OrgAction::ManageInvitations).is_ok();
        let mut refused = Vec::new();
        let mut new = Vec::new();
        for email in invitees.emails {
            if facts.members.contains(&email) {
                refused.push((email, "already_member"));
                continue;
            }
            if !replace_pending && facts.pending.contains(&email) {
                refused.push((email, "already_invited"));
                continue;
            }
            let record = InvitationRecord {
                id: self.new_id("inv")?,
                space_key: view.org.space_key.clone(),
                email,
                role,
                group_ids: group_ids.clone(),
                message: message.clone(),
                invited_by: view.viewer.id.clone(),
                state: InvitationState::new(self.now),
                created_at: self.now,
            };
            new.push(self.with_link(record, &view)?);
        }
        if !new.is_empty() {
            let revoked = self.event(Action::InvitationRevoked, Actor::account(&view.viewer.id));
            self.store
                .create_invitations(&permit, &new, (replace_pending, &revoked), self.now)
                .await?;
        }
        Ok(Invited {
            invitations: new.into_iter().map(|n| n.record).collect(),
            refused,
        })
    }

    /// A fresh token and its email for `record`.
    fn with_link(
        &self,
        record: InvitationRecord,
        view: &OrgView,
    ) -> Result<NewInvitation, AppError> {
        let secret = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        let expires_at = match record.state {
            InvitationState::Pending { expires_at } => expires_at,
            _ => self.now,
        };
        let mail = mail::invitation(
            self.new_id("mail")?,
            &record.email,
            InvitationMail {
                inviter: &view.viewer.name,
                organization: &view.org.name,
                role: record.role,
                message: record.message.as_deref(),
                expires_at,
            },
            &self.config.base_url,
            &secret,
        );
        let event = self
            .event(Action::InvitationSent, Actor::account(&view.viewer.id))
            .target("invitation", &record.id, Some(record.email.as_str()));
        Ok(NewInvitation {
            record,
            token: secret.hash(),
            mail,
            event,
        })
    }

    /// The organization's invitations (administrators), `status` as of now.
    ///
    /// # Errors
    /// `invalid_status`, [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn list_invitations(
        &self,
        token: &TokenHash,
        key: &str,
        status: Option<&str>,
    ) -> Result<(OrgView, Vec<InvitationRecord>), AppError> {
        let status = match status.filter(|s| !s.is_empty()) {
            None => None,
            Some(s @ ("pending" | "accepted" | "revoked" | "expired")) => Some(s),
            Some(_) => {
                return Err(orgpass_core::FieldError::new(
                    "status",
                    "invalid_status",
                    "Choose pending, accepted, revoked or expired.",
                )
                .into())
            }
        };
        let (view, _proof) = self
            .member(token, key, OrgAction::ManageInvitations)
            .await?;
        let mut list = self
            .store
            .invitations(&view.org.space_key, status, self.now)
            .await?;
        for invitation in &mut list {
            invitation.state = invitation.state.at(self.now);
        }
        Ok((view, list))
    }

    /// The viewer's view and permit to manage invitations, and invitation `id`, from one
    /// round trip.
    async fn managed_invitation(
        &self,
        token: &TokenHash,
        key: &str,
        id: &str,
    ) -> Result<(OrgView, Permit, InvitationRecord), AppError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let (context, record) = self
            .store
            .invitation(token, self.now, &space_key, id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (view, permit) = decide(context, OrgAction::ManageInvitations)?;
        Ok((view, permit, record.ok_or(AppError::NotFound)?))
    }

    /// Sends a pending (or expired) invitation again with a new link; the old link
    /// stops working.
    ///
    /// # Errors
    /// [`AppError::InvitationNotPending`], [`AppError::Forbidden`],
    /// [`AppError::NotFound`].
    pub async fn resend_invitation(
        &self,
        token: &TokenHash,
        key: &str,
        id: &str,
    ) -> Result<InvitationRecord, AppError> {
        let (view, permit, record) = self.managed_invitation(token, key, id).await?;
        let state = record
            .state
            .resend(self.now)
            .map_err(|_| AppError::InvitationNotPending)?;
        let fresh = self.with_link(
            InvitationRecord {
                state,
                created_at: self.now,
                ..record
            },
            &view,
        )?;
        if self
            .store
            .refresh_invitation(&permit, &fresh, self.now)
            .await?
        {
            Ok(fresh.record)
        } else {
            Err(AppError::InvitationNotPending)
        }
    }

    /// Revokes a pending invitation.
    ///
    /// # Errors
    /// [`AppError::InvitationNotPending`], [`AppError::Forbidden`],
    /// [`AppError::NotFound`].
    pub async fn revoke_invitation(
        &self,
        token: &TokenHash,
        key: &str,
        id: &str,
    ) -> Result<(), AppError> {
        let (view, permit, record) = self.managed_invitation(token, key, id).await?;
        record
            .state
            .revoke(self.now)
            .map_err(|_| AppError::InvitationNotPending)?;
        let event = self
            .event(Action::InvitationRevoked, Actor::account(&view.viewer.id))
            .target("invitation", id, Some(record.email.as_str()));
        if self
            .store
            .mark_invitation_revoked(&permit, id, self.now, &event)
            .await?
        {
            Ok(())
        } else {
            Err(AppError::InvitationNotPending)
        }
    }

    /// The invitation behind a link (no session needed), its state as of now.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a token that is not one.
    pub async fn open_invitation(&self, token: &str) -> Result<InvitationLookup, AppError> {
        let token = SecretToken::parse(token.trim()).ok_or(AppError::NotFound)?;
        let mut found = self
            .store
            .invitation_by_token(&token.hash())
            .await?
            .ok_or(AppError::NotFound)?;
        found.invitation.state = found.invitation.state.at(self.now);
        Ok(found)
    }

    /// The invitation page: the invitation (still open: else why not) and the visitor's
    /// account when a session is given, in one round trip.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Invitation`] (expired, used, revoked).
    pub async fn invitation_page(
        &self,
        session: Option<&TokenHash>,
        token: &str,
    ) -> Result<(InvitationLookup, Option<AccountRecord>), AppError> {
        let token = SecretToken::parse(token.trim()).ok_or(AppError::NotFound)?;
        let (account, found) = self
            .store
            .session_and_invitation(session, self.now, &token.hash())
            .await?;
        let mut found = found.ok_or(AppError::NotFound)?;
        found.invitation.state = found.invitation.state.at(self.now);
        found
            .invitation
            .state
            .accept(self.now)
            .map_err(AppError::Invitation)?;
        Ok((found, account))
    }

    /// Joins the organization of an invitation as the signed-in account, whose email
    /// must be the invited one.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`], [`AppError::NotFound`],
    /// [`AppError::InvitationEmailMismatch`], [`AppError::Invitation`] (expired, used,
    /// revoked), [`AppError::Forbidden`] for a managed account (it belongs to its own
    /// organization only).
    pub async fn accept_invitation(
        &self,
        session: &TokenHash,
        token: &str,
    ) -> Result<Joined, AppError> {
        let token_hash = SecretToken::parse(token.trim())
            .ok_or(AppError::NotFound)?
            .hash();
        // The session and the invitation in one batch; the join is the second round trip.
        let (account, found) = self
            .store
            .session_and_invitation(Some(session), self.now, &token_hash)
            .await?;
        let account = account.ok_or(AppError::Unauthenticated)?;
        let mut found = found.ok_or(AppError::NotFound)?;
        found.invitation.state = found.invitation.state.at(self.now);
        found
            .invitation
            .state
            .accept(self.now)
            .map_err(AppError::Invitation)?;
        if found.invitation.email != account.email {
            return Err(AppError::InvitationEmailMismatch);
        }
        // A managed account belongs to its own organization only (docs/product.md §1), and
        // already is a member there.
        if account.managed {
            return Err(AppError::Forbidden);
        }
        let accept_id = self.new_id("acc")?;
        let joiner = Joiner {
            account: &account,
            signup: None,
            accept_id: &accept_id,
        };
        self.join(token, &found, &joiner).await
    }

    /// Creates the invited person's account (its email is the invited one, counted as
    /// verified), joins the organization and logs in.
    ///
    /// # Errors
    /// `password_too_short`, `invalid_name`, [`AppError::EmailTaken`] (log in and
    /// accept instead), [`AppError::NotFound`], [`AppError::Invitation`].
    pub async fn sign_up_by_invitation(
        &self,
        token: &str,
        name: &str,
        password: &str,
        client: &Client,
    ) -> Result<(LoggedIn, Joined), AppError> {
        let mut invalid = Invalid::default();
        let password = invalid.check(Password::new_password(password));
        let name = invalid.check(DisplayName::parse(name));
        invalid.into_result()?;
        let (Some(password), Some(name)) = (password, name) else {
            return Err(AppError::Invalid(Invalid::default()));
        };
        let found = self.open_invitation(token).await?;
        found
            .invitation
            .state
            .accept(self.now)
            .map_err(AppError::Invitation)?;
        let record = self.password_record(&password).await?;
        let account = AccountRecord {
            id: self.new_id("acct")?,
            email: found.invitation.email.clone(),
            name: name.as_str().to_owned(),
            managed: false,
            email_verified: true,
            two_step: false,
            created_at: self.now,
        };
        let (secret, session) =
            self.new_session(&account.id, self.now.plus_days(SESSION_DAYS), client)?;
        let accept_id = self.new_id("acc")?;
        let joiner = Joiner {
            account: &account,
            signup: Some((&record, &session)),
            accept_id: &accept_id,
        };
        let joined = self.join(token, &found, &joiner).await?;
        Ok((
            LoggedIn {
                token: secret,
                account,
            },
            joined,
        ))
    }

    /// Runs the one conditional acceptance; when it loses, says why.
    async fn join(
        &self,
        token: &str,
        found: &InvitationLookup,
        joiner: &Joiner<'_>,
    ) -> Result<Joined, AppError> {
        let hash = SecretToken::parse(token.trim())
            .ok_or(AppError::NotFound)?
            .hash();
        let event = self
            .event(
                Action::InvitationAccepted,
                Actor::account(&joiner.account.id),
            )
            .target(
                "invitation",
                &found.invitation.id,
                Some(found.invitation.email.as_str()),
            );
        match self
            .store
            .consume_invitation(
                &hash,
                joiner,
                self.now,
                (&found.invitation.space_key, &event),
            )
            .await?
        {
            Acceptance::Joined => {
                return Ok(Joined {
                    space_key: found.invitation.space_key.clone(),
                    org_name: found.org_name.clone(),
                    organization_id: found.organization_id.clone(),
                    role: found.invitation.role,
                })
            }
            // The sender's right lapsed (demoted, removed, **can invite** taken away):
            // what they could no longer permit, the link no longer grants.
            Acceptance::InviterLacksRight => return Err(AppError::Invitation(Refusal::Revoked)),
            Acceptance::Lost => {}
        }
        // Someone else won, or the state moved: read it again to answer precisely.
        let now = self.open_invitation(token).await?;
        match now.invitation.state.accept(self.now) {
            Err(refusal) => Err(AppError::Invitation(refusal)),
            // Still pending: the sign-up's email got an account meanwhile.
            Ok(_) if joiner.signup.is_some() => Err(AppError::EmailTaken),
            Ok(_) => Err(AppError::Conflict),
        }
    }

    /// The Cron's part: writes down invitations whose time is over.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn expire_invitations(&self) -> Result<u64, AppError> {
        Ok(self.store.mark_expired_invitations(self.now).await?)
    }
}

/// Whether `email` is the one `found` was sent to (the invitation page's three cases).
#[must_use]
pub fn meant_for(found: &InvitationLookup, email: &Email) -> bool {
    found.invitation.email == *email
}
