//! SCIM 2.0 provisioning (docs/api.md "SCIM 2.0 provisioning"): the organization's
//! provisioning tokens, and the authentication of an IdP's requests with them.
//!
//! Administrators create tokens while the SSO add-on is `trial` or `active`, and may
//! list and revoke them at any time. A token is a 256-bit secret shown once and stored
//! as its SHA-256 only; it authenticates `/scim/v2/{org}` of its own organization, and
//! only while the add-on allows SSO.
//!
//! A SCIM User is a managed account of the organization (`orgpass_core::scim::users`):
//! created with the `member` role, no password and no welcome email (the IdP tells its
//! people), in a verified domain, under the same guards as an administrator's.

use orgpass_core::{
    pass::Pass,
    policy::{self, Membership, OrgAction, Permit},
    scim::{
        patch::{self, PatchError},
        users::{user_filter, InputError, UserInput},
    },
    token::TOKEN_BYTES,
    Role, SecretToken, SpaceKey, Timestamp, TokenHash,
};

use super::{
    ports::{
        AccountStore, AdminChange, DomainStore, ManagedRefusal, NewManagedAccount, OrgStore,
        PortError, ProvisionedFields, Random, ScimStore, ScimTokenRecord, ScimUserRecord, SsoStore,
        UserWrite, UserWritten,
    },
    App, AppError,
};

/// The most Users one page holds (`ServiceProviderConfig`'s `filter.maxResults`).
pub const MAX_PAGE: u32 = 100;

/// Why a SCIM operation was refused (RFC 7644 §3.12: the edge answers each with its
/// status and `scimType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimError {
    /// 401: no token, or not one of this organization's.
    Unauthenticated,
    /// 403: the organization's SSO add-on is not `trial` or `active`.
    PassInactive,
    /// 400 `invalidFilter`.
    InvalidFilter(String),
    /// 400 `invalidSyntax`.
    InvalidSyntax(String),
    /// 400 `invalidValue`.
    InvalidValue(String),
    /// 409 `uniqueness`: the userName is taken.
    Uniqueness,
    /// 400: the organization has no SAML settings, so it has no managed accounts.
    NotConfigured,
    /// 400 `invalidPath`.
    InvalidPath(String),
    /// 400 `noTarget`.
    NoTarget(String),
    /// 400 `mutability`.
    Mutability(String),
    /// 412: `If-Match` names another version.
    PreconditionFailed,
    /// 409: the write would break an invariant, or the User kept changing meanwhile.
    Conflict(&'static str),
    /// 404.
    NotFound,
    /// 503; details for the log only.
    Unavailable(PortError),
}

impl From<PortError> for ScimError {
    fn from(e: PortError) -> Self {
        Self::Unavailable(e)
    }
}

impl From<InputError> for ScimError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Syntax(d) => Self::InvalidSyntax(d),
            InputError::Value(d) => Self::InvalidValue(d),
        }
    }
}

impl From<PatchError> for ScimError {
    fn from(e: PatchError) -> Self {
        match e {
            PatchError::Syntax(d) => Self::InvalidSyntax(d),
            PatchError::Path(d) => Self::InvalidPath(d),
            PatchError::NoTarget(d) => Self::NoTarget(d),
            PatchError::Mutability(d) => Self::Mutability(d),
        }
    }
}

/// Attributes of a User that a PATCH may name and that orgpass derives or does not keep:
/// accepted, then ignored (the one email is the userName).
const IGNORED_USER_ATTRIBUTES: &[&str] = &[
    "emails",
    "phoneNumbers",
    "addresses",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "x509Certificates",
    "groups",
];

/// How often a write that lost a race with another is tried again.
const WRITE_ATTEMPTS: usize = 5;

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

/// One page of Users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersPage {
    /// How many Users match in all.
    pub total: u64,
    /// The 1-based index of the first one here.
    pub start_index: u32,
    /// The Users.
    pub users: Vec<ScimUserRecord>,
}

/// `startIndex` (1-based; less than 1 is 1) and `count` (at most [`MAX_PAGE`]; negative
/// is 0) as RFC 7644 §3.4.2.4 reads them.
///
/// # Errors
/// [`ScimError::InvalidValue`] for a value that is not an integer.
pub fn page_window(
    start_index: Option<&str>,
    count: Option<&str>,
) -> Result<(u32, u32), ScimError> {
    let int = |name: &str, v: Option<&str>, default: i64| match v {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| ScimError::InvalidValue(format!("{name} must be an integer"))),
    };
    let start = int("startIndex", start_index, 1)?.clamp(1, i64::from(u32::MAX));
    let count = int("count", count, i64::from(MAX_PAGE))?.clamp(0, i64::from(MAX_PAGE));
    Ok((
        u32::try_from(start).unwrap_or(u32::MAX),
        u32::try_from(count).unwrap_or(MAX_PAGE),
    ))
}

/// An IdP authenticated for one organization's SCIM service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimClient {
    /// The organization.
    pub space_key: SpaceKey,
    /// The token's authority: an administrator created it, and it acts for the
    /// organization's administrators on its managed accounts (`ManageMembers`).
    permit: Permit,
}

impl<S: AccountStore + OrgStore + DomainStore + ScimStore, H, R: Random> App<S, H, R> {
    /// Creates a provisioning token (administrators, add-on `trial`/`active`); its secret
    /// is returned once.
    ///
    /// # Errors
    /// [`AppError::PassInactive`], [`AppError::Forbidden`], [`AppError::NotFound`],
    /// [`AppError::Unauthenticated`], [`AppError::Unavailable`].
    pub async fn create_scim_token(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<(ScimTokenRecord, SecretToken), AppError> {
        let (view, permit) = self.sso_admin(token, key).await?;
        let record = ScimTokenRecord {
            id: self.new_id("scim")?,
            created_at: self.now,
            last_used_at: None,
        };
        let secret = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        self.store
            .insert_scim_token(&permit, &record, &secret.hash(), &view.viewer.id)
            .await?;
        Ok((record, secret))
    }

    /// The organization's provisioning tokens (administrators; also once the add-on
    /// has lapsed, so that they can be revoked).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::Unauthenticated`],
    /// [`AppError::Unavailable`].
    pub async fn scim_tokens(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<Vec<ScimTokenRecord>, AppError> {
        let (_, permit) = self.member(token, key, OrgAction::ManagePlan).await?;
        Ok(self.store.read_scim_tokens(&permit).await?)
    }

    /// Revokes a provisioning token at once (administrators).
    ///
    /// # Errors
    /// [`AppError::NotFound`] (also another organization's token), [`AppError::Forbidden`],
    /// [`AppError::Unauthenticated`], [`AppError::Unavailable`].
    pub async fn revoke_scim_token(
        &self,
        token: &TokenHash,
        key: &str,
        id: &str,
    ) -> Result<(), AppError> {
        let (_, permit) = self.member(token, key, OrgAction::ManagePlan).await?;
        if self.store.delete_scim_token(&permit, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

impl<S: ScimStore, H, R: Random> App<S, H, R> {
    /// Lets an IdP in to the SCIM service of the organization `key` with the bearer
    /// secret it presented (`None`: no `Authorization: Bearer`).
    ///
    /// # Errors
    /// [`ScimError::Unauthenticated`], [`ScimError::PassInactive`],
    /// [`ScimError::Unavailable`].
    pub async fn scim_client(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
    ) -> Result<ScimClient, ScimError> {
        let (Some(space_key), Some(secret)) = (SpaceKey::parse(key), secret) else {
            return Err(ScimError::Unauthenticated);
        };
        let pass = self
            .store
            .use_scim_token(&space_key, secret, self.now)
            .await?;
        self.client_of(space_key, pass)
    }

    /// The client of a token whose organization's add-on state is `pass` (`None`: the
    /// token is none of the organization's).
    fn client_of(&self, space_key: SpaceKey, pass: Option<Pass>) -> Result<ScimClient, ScimError> {
        let pass = pass.ok_or(ScimError::Unauthenticated)?;
        if !pass.sso_allowed(self.now) {
            return Err(ScimError::PassInactive);
        }
        let administrators = Membership {
            role: Role::Administrator,
            can_invite: true,
        };
        let permit = policy::permit(space_key.clone(), administrators, OrgAction::ManageMembers)
            .map_err(|_| ScimError::Unauthenticated)?;
        Ok(ScimClient { space_key, permit })
    }

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
    ) -> Result<UsersPage, ScimError> {
        let asked = filter
            .filter(|f| !f.trim().is_empty())
            .map(user_filter)
            .transpose()
            .map_err(|e| ScimError::InvalidFilter(e.0))
            .and_then(|f| Ok((f, page_window(start_index, count)?)));
        let (filter, (start_index, count)) = match asked {
            Ok(asked) => asked,
            Err(e) => {
                // Only a client that may ask learns what was wrong with the question.
                self.scim_client(key, secret).await?;
                return Err(e);
            }
        };
        let (Some(space_key), Some(secret)) = (SpaceKey::parse(key), secret) else {
            return Err(ScimError::Unauthenticated);
        };
        let read = self
            .store
            .scim_users(
                &space_key,
                secret,
                self.now,
                filter.as_ref(),
                start_index - 1,
                count,
            )
            .await?;
        let (pass, total, users) = match read {
            Some((pass, total, users)) => (Some(pass), total, users),
            None => (None, 0, Vec::new()),
        };
        self.client_of(space_key, pass)?;
        Ok(UsersPage {
            total,
            start_index,
            users,
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
        let id = self.new_id("acct").map_err(|e| match e {
            AppError::Unavailable(p) => ScimError::Unavailable(p),
            other => ScimError::Unavailable(PortError(other.to_string())),
        })?;
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
            .insert_managed_account(&client.permit, &account)
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
            Err(ManagedRefusal::EmailTaken) => Err(ScimError::Uniqueness),
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
            patch::apply(&mut resource, body, IGNORED_USER_ATTRIBUTES)?;
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
            .delete_managed_account(&client.permit, id)
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
            let write_id = self.new_id("wr").map_err(|e| match e {
                AppError::Unavailable(p) => ScimError::Unavailable(p),
                other => ScimError::Unavailable(PortError(other.to_string())),
            })?;
            let write = UserWrite {
                id: &id,
                expected: current.updated_at,
                user: &user,
                write_id: &write_id,
            };
            match self
                .store
                .update_scim_user(&client.space_key, &write)
                .await?
            {
                UserWritten::Done => return Ok(user),
                UserWritten::Missing => return Err(ScimError::NotFound),
                UserWritten::EmailTaken => return Err(ScimError::Uniqueness),
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
