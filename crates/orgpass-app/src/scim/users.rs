//! SCIM Users: the organization's managed accounts (`orgpass_core::scim::users`),
//! created with the `member` role, no password and no welcome email (the IdP tells its
//! people), in a verified domain, under the same guards as an administrator's.

use orgpass_core::{
    audit::Action,
    scim::{
        patch,
        users::{user_filter, UserInput, USER_SHAPE},
    },
    Role, SpaceKey, Timestamp, TokenHash,
};

use super::{Page, ScimClient, ScimError, WRITE_ATTEMPTS};
use crate::{
    ports::{
        AdminChange, ManagedRefusal, NewManagedAccount, ProvisionedFields, Random, ScimStore,
        ScimUserRecord, SsoStore, UserWrite, UserWritten,
    },
    App,
};

/// The detail of a userName's `uniqueness`.
const TAKEN: &str = "An account with this userName exists.";

/// A User's version, its weak ETag (RFC 7644 §3.14): it changes with every write.
#[must_use]
pub fn user_version(u: &ScimUserRecord) -> String {
    format!("W/\"{}\"", u.updated_at.millis())
}

/// The User's writable attributes as JSON: what a PATCH applies to, and (with `id`,
/// `emails` and `meta`) what the service answers. An unassigned attribute is absent.
#[must_use]
pub fn user_resource(u: &ScimUserRecord) -> serde_json::Map<String, serde_json::Value> {
    let mut name = serde_json::Map::new();
    if let Some(g) = &u.given_name {
        name.insert("givenName".into(), g.clone().into());
    }
    if let Some(f) = &u.family_name {
        name.insert("familyName".into(), f.clone().into());
    }
    let mut r = serde_json::Map::new();
    r.insert("userName".into(), u.email.as_str().into());
    if !name.is_empty() {
        r.insert("name".into(), name.into());
    }
    if let Some(d) = &u.display_name {
        r.insert("displayName".into(), d.clone().into());
    }
    if let Some(x) = &u.external_id {
        r.insert("externalId".into(), x.clone().into());
    }
    if let Some(a) = u.active {
        r.insert("active".into(), a.into());
    }
    r
}

impl<S: ScimStore, H, R: Random> App<S, H, R> {
    /// One page of the organization's Users matching `filter`, read in the same batch
    /// as the token (one round trip): the rows are read only for a token of the
    /// organization, and answered only if its add-on allows SSO.
    ///
    /// # Errors
    /// [`ScimError::Unauthenticated`], [`ScimError::PassInactive`] (before any filter
    /// or window error), [`ScimError::InvalidFilter`], [`ScimError::InvalidValue`] (the
    /// window), [`ScimError::Unavailable`].
    pub async fn scim_users_page(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
        filter: Option<&str>,
        start_index: Option<&str>,
        count: Option<&str>,
    ) -> Result<Page<ScimUserRecord>, ScimError> {
        let (space_key, secret, asked) = self
            .asked(key, secret, filter, user_filter, start_index, count)
            .await?;
        let read = self
            .store
            .scim_users(
                &space_key,
                secret,
                self.now,
                asked.filter.as_ref(),
                asked.start_index - 1,
                asked.count,
            )
            .await?;
        let (pass, total, items) = read.map_or((None, 0, Vec::new()), |(p, t, u)| (Some(p), t, u));
        self.client_of(space_key, pass)?;
        Ok(Page {
            total,
            start_index: asked.start_index,
            items,
        })
    }

    /// Lets the IdP in and reads one User of the organization, in one batch.
    ///
    /// # Errors
    /// [`ScimError::Unauthenticated`], [`ScimError::PassInactive`], [`ScimError::NotFound`]
    /// (also another organization's, or a normal account), [`ScimError::Unavailable`].
    pub async fn scim_user_for(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
        id: &str,
    ) -> Result<(ScimClient, ScimUserRecord), ScimError> {
        let (Some(space_key), Some(secret)) = (SpaceKey::parse(key), secret) else {
            return Err(ScimError::Unauthenticated);
        };
        let read = self
            .store
            .scim_user_with_token(&space_key, secret, self.now, id)
            .await?;
        let (pass, user) = match read {
            Some((pass, user)) => (Some(pass), user),
            None => (None, None),
        };
        let client = self.client_of(space_key, pass)?;
        Ok((client, user.ok_or(ScimError::NotFound)?))
    }
}

impl<S: ScimStore + SsoStore, H, R: Random> App<S, H, R> {
    /// One User of the organization.
    ///
    /// # Errors
    /// [`ScimError::NotFound`] (also another organization's, or a normal account),
    /// [`ScimError::Unavailable`].
    pub async fn scim_user(
        &self,
        client: &ScimClient,
        id: &str,
    ) -> Result<ScimUserRecord, ScimError> {
        self.store
            .scim_user(&client.space_key, id)
            .await?
            .ok_or(ScimError::NotFound)
    }

    /// Creates a User: a managed account with the `member` role.
    ///
    /// # Errors
    /// [`ScimError::InvalidValue`] (also a userName outside the verified domains),
    /// [`ScimError::InvalidSyntax`], [`ScimError::Uniqueness`],
    /// [`ScimError::NotConfigured`], [`ScimError::Unavailable`].
    pub async fn create_scim_user(
        &self,
        client: &ScimClient,
        body: &serde_json::Value,
    ) -> Result<ScimUserRecord, ScimError> {
        let input = UserInput::parse(body)?;
        let id = self.scim_id("acct")?;
        let account = NewManagedAccount {
            account_id: id.clone(),
            email: input.email.clone(),
            name: input.name.clone(),
            role: Role::Member,
            group_ids: Vec::new(),
            mail: None,
            provisioned: Some(ProvisionedFields {
                external_id: input.external_id.clone(),
                given_name: input.given_name.clone(),
                family_name: input.family_name.clone(),
                display_name: input.display_name.clone(),
                active: input.active,
            }),
            now: self.now,
        };
        match self
            .store
            .insert_managed_account(
                &client.permit,
                &account,
                &self.event(Action::ScimUserCreated, client.actor()).target(
                    "account",
                    &id,
                    Some(input.email.as_str()),
                ),
            )
            .await?
        {
            Ok(()) => Ok(ScimUserRecord {
                id,
                email: input.email,
                name: input.name,
                given_name: input.given_name,
                family_name: input.family_name,
                display_name: input.display_name,
                external_id: input.external_id,
                active: input.active,
                created_at: self.now,
                updated_at: self.now,
            }),
            Err(ManagedRefusal::NotConfigured) => Err(ScimError::NotConfigured),
            Err(ManagedRefusal::DomainNotVerified) => Err(ScimError::InvalidValue(
                "userName must be in a verified domain of the organization".to_owned(),
            )),
            Err(ManagedRefusal::EmailTaken) => Err(ScimError::Uniqueness(TAKEN)),
            Err(ManagedRefusal::UnknownGroup) => {
                Err(ScimError::InvalidValue("unknown group".to_owned()))
            }
        }
    }

    /// Replaces a User's attributes (PUT): what `body` leaves out is cleared. The token
    /// and the User are read in one batch, and `body` is judged only after them.
    ///
    /// # Errors
    /// As [`Self::scim_user_for`] and [`Self::create_scim_user`], and
    /// [`ScimError::PreconditionFailed`], [`ScimError::Conflict`].
    pub async fn replace_scim_user(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
        id: &str,
        body: &Result<serde_json::Value, ScimError>,
        if_match: Option<&str>,
    ) -> Result<ScimUserRecord, ScimError> {
        let (client, current) = self.scim_user_for(key, secret, id).await?;
        let input = UserInput::parse(body.as_ref().map_err(Clone::clone)?)?;
        self.write_user(&client, current, if_match, |_| Ok(input.clone()))
            .await
    }

    /// Applies a PATCH (RFC 7644 §3.5.2) to a User: read (with the token, in one batch),
    /// apply, check as a replace, write if unchanged meanwhile (else again, from a fresh
    /// read).
    ///
    /// # Errors
    /// As [`Self::replace_scim_user`], and [`ScimError::InvalidPath`],
    /// [`ScimError::NoTarget`], [`ScimError::Mutability`].
    pub async fn patch_scim_user(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
        id: &str,
        body: &Result<serde_json::Value, ScimError>,
        if_match: Option<&str>,
    ) -> Result<ScimUserRecord, ScimError> {
        let (client, current) = self.scim_user_for(key, secret, id).await?;
        let body = body.as_ref().map_err(Clone::clone)?;
        self.write_user(&client, current, if_match, |current| {
            let mut resource = user_resource(current);
            patch::apply(&mut resource, body, &USER_SHAPE)?;
            Ok(UserInput::parse(&serde_json::Value::Object(resource))?)
        })
        .await
    }

    /// Deletes a User: the managed account, its membership, groups, project roles and
    /// sessions.
    ///
    /// # Errors
    /// [`ScimError::NotFound`], [`ScimError::Conflict`] (the last administrator),
    /// [`ScimError::Unavailable`].
    pub async fn delete_scim_user(&self, client: &ScimClient, id: &str) -> Result<(), ScimError> {
        match self
            .store
            .delete_managed_account(
                &client.permit,
                id,
                &self
                    .event(Action::ScimUserDeleted, client.actor())
                    .target("account", id, None),
            )
            .await?
        {
            AdminChange::Done => Ok(()),
            AdminChange::Missing => Err(ScimError::NotFound),
            AdminChange::LastAdmin | AdminChange::LastNormalAdmin => Err(ScimError::Conflict(
                "The organization's last administrator cannot be deleted.",
            )),
        }
    }

    /// The read-modify-write of a User: `change` makes the new state from the current
    /// one; the write is a compare-and-set on the version read.
    async fn write_user(
        &self,
        client: &ScimClient,
        first: ScimUserRecord,
        if_match: Option<&str>,
        change: impl Fn(&ScimUserRecord) -> Result<UserInput, ScimError>,
    ) -> Result<ScimUserRecord, ScimError> {
        let id = first.id.clone();
        let mut read = Some(first);
        for _ in 0..WRITE_ATTEMPTS {
            let current = match read.take() {
                Some(current) => current,
                None => self.scim_user(client, &id).await?,
            };
            if if_match.is_some_and(|tag| tag.trim() != "*" && tag.trim() != user_version(&current))
            {
                return Err(ScimError::PreconditionFailed);
            }
            let input = change(&current)?;
            // The new version is later than the one read, whatever the clock says.
            let updated_at =
                Timestamp::from_millis(self.now.millis().max(current.updated_at.millis() + 1));
            let user = ScimUserRecord {
                id: current.id.clone(),
                email: input.email,
                name: input.name,
                given_name: input.given_name,
                family_name: input.family_name,
                display_name: input.display_name,
                external_id: input.external_id,
                active: input.active,
                created_at: current.created_at,
                updated_at,
            };
            let write_id = self.scim_id("wr")?;
            // A change that changes nothing (an IdP repeating itself) writes nothing.
            let unchanged = ScimUserRecord {
                updated_at: current.updated_at,
                ..user.clone()
            };
            if unchanged == current {
                return Ok(current);
            }
            // Deactivation is its own event; any other write is an update.
            let action = if user.active == Some(false) && current.active != Some(false) {
                Action::ScimUserDeactivated
            } else {
                Action::ScimUserUpdated
            };
            let event = self.event(action, client.actor()).target(
                "account",
                &id,
                Some(user.email.as_str()),
            );
            let write = UserWrite {
                id: &id,
                expected: current.updated_at,
                user: &user,
                write_id: &write_id,
            };
            match self
                .store
                .update_scim_user(&client.space_key, &write, &event)
                .await?
            {
                UserWritten::Done => return Ok(user),
                UserWritten::Missing => return Err(ScimError::NotFound),
                UserWritten::EmailTaken => return Err(ScimError::Uniqueness(TAKEN)),
                UserWritten::DomainNotVerified => {
                    return Err(ScimError::InvalidValue(
                        "userName must be in a verified domain of the organization".to_owned(),
                    ))
                }
                // Someone else wrote first: with If-Match that is a failed precondition,
                // without it the change is made again on what they wrote.
                UserWritten::Changed if if_match.is_some() => {
                    return Err(ScimError::PreconditionFailed)
                }
                UserWritten::Changed => {}
            }
        }
        Err(ScimError::Conflict(
            "The User kept changing while this request was writing it; try again.",
        ))
    }
}
