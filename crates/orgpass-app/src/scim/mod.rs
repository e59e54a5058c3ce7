//! SCIM 2.0 provisioning (docs/api.md "SCIM 2.0 provisioning"): the organization's
//! provisioning tokens, and the authentication of an IdP's requests with them.
//!
//! Administrators create tokens while the SSO add-on is `trial` or `active`, and may
//! list and revoke them at any time. A token is a 256-bit secret shown once and stored
//! as its SHA-256 only; it authenticates `/scim/v2/{org}` of its own organization, and
//! only while the add-on allows SSO.
//!
//! A SCIM User is a managed account of the organization ([`users`]); a SCIM Group is a
//! group of the organization, whose members an IdP changes among its Users ([`groups`]).
//!
//! A token acts with the authority of the administrator who created it, and only while
//! they are an administrator of the organization: a demoted or removed administrator's
//! tokens stop working (as Okta's API tokens do), so that no token outlives the right it
//! was made with.

use orgpass_core::{
    audit::{Action, ActorType},
    policy::{self, Membership, OrgAction, Permit},
    scim::{patch::PatchError, typed::FilterError, users::InputError},
    token::TOKEN_BYTES,
    Role, SecretToken, SpaceKey, TokenHash,
};

use super::{
    ports::{
        AccountStore, Actor, DomainStore, OrgStore, PortError, Random, ScimAccess,
        ScimRefusalRecord, ScimStore, ScimTokenRecord,
    },
    App, AppError,
};

/// The most Users one page holds (`ServiceProviderConfig`'s `filter.maxResults`).
pub const MAX_PAGE: u32 = 100;

mod groups;
mod users;

pub use groups::*;
pub use users::*;

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
    /// 409 `uniqueness`: the userName or displayName is taken (the detail says which).
    Uniqueness(&'static str),
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
    /// 409: the write would break an invariant, or the resource kept changing meanwhile.
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

/// How often a write that lost a race with another is tried again.
pub(crate) const WRITE_ATTEMPTS: usize = 5;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// How many match in all.
    pub total: u64,
    /// The 1-based index of the first one here.
    pub start_index: u32,
    /// The resources.
    pub items: Vec<T>,
}

/// What a list asks, checked: its filter, and its window.
pub(crate) struct Asked<F> {
    pub(crate) filter: Option<F>,
    /// 1-based.
    pub(crate) start_index: u32,
    pub(crate) count: u32,
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
    pub(crate) permit: Permit,
    /// The token's id.
    pub token_id: String,
}

impl ScimClient {
    /// The client as the audit log's actor.
    #[must_use]
    pub fn actor(&self) -> Actor {
        Actor {
            kind: ActorType::Scim,
            id: Some(self.token_id.clone()),
        }
    }
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
            active: true,
        };
        let secret = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        let event = self
            .event(Action::ScimTokenCreated, Actor::account(&view.viewer.id))
            .target("scim_token", &record.id, None);
        self.store
            .insert_scim_token(&permit, &record, &secret.hash(), &view.viewer.id, &event)
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
        let (view, permit) = self.member(token, key, OrgAction::ManagePlan).await?;
        let event = self
            .event(Action::ScimTokenRevoked, Actor::account(&view.viewer.id))
            .target("scim_token", id, None);
        if self.store.delete_scim_token(&permit, id, &event).await? {
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

    /// A list's question checked (`parse` reads its filter), with the organization and
    /// secret it is asked with. Only a client that may ask learns what was wrong with the
    /// question: the token is checked first when it is.
    pub(crate) async fn asked<'a, F>(
        &self,
        key: &str,
        secret: Option<&'a TokenHash>,
        filter: Option<&str>,
        parse: fn(&str) -> Result<F, FilterError>,
        start_index: Option<&str>,
        count: Option<&str>,
    ) -> Result<(SpaceKey, &'a TokenHash, Asked<F>), ScimError> {
        let asked = filter
            .filter(|f| !f.trim().is_empty())
            .map(parse)
            .transpose()
            .map_err(|e| ScimError::InvalidFilter(e.0))
            .and_then(|filter| {
                let (start_index, count) = page_window(start_index, count)?;
                Ok(Asked {
                    filter,
                    start_index,
                    count,
                })
            });
        let asked = match asked {
            Ok(asked) => asked,
            Err(e) => {
                self.scim_client(key, secret).await?;
                return Err(e);
            }
        };
        let (Some(space_key), Some(secret)) = (SpaceKey::parse(key), secret) else {
            return Err(ScimError::Unauthenticated);
        };
        Ok((space_key, secret, asked))
    }

    /// Notes a refusal the service answered the organization's authenticated IdP with,
    /// for its administrators (the request line and detail clipped to 200 and 300
    /// characters). Called only after the token was accepted.
    ///
    /// # Errors
    /// [`PortError`] when the store fails (the caller answers the IdP all the same).
    pub async fn note_scim_refusal(
        &self,
        key: &str,
        request: &str,
        status: u16,
        scim_type: Option<&str>,
        detail: &str,
    ) -> Result<(), PortError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Ok(());
        };
        let clip = |s: &str, n: usize| s.chars().take(n).collect::<String>();
        let refusal = ScimRefusalRecord {
            at: self.now,
            request: clip(request, 200),
            status,
            scim_type: scim_type.map(str::to_owned),
            detail: clip(detail, 300),
        };
        self.store.insert_scim_refusal(&space_key, &refusal).await
    }

    /// A random id for a SCIM write.
    pub(crate) fn scim_id(&self, prefix: &str) -> Result<String, ScimError> {
        self.new_id(prefix).map_err(|e| match e {
            AppError::Unavailable(p) => ScimError::Unavailable(p),
            other => ScimError::Unavailable(PortError(other.to_string())),
        })
    }

    /// The client of a token whose organization's add-on state is `pass` (`None`: the
    /// token is none of the organization's).
    pub(crate) fn client_of(
        &self,
        space_key: SpaceKey,
        access: Option<ScimAccess>,
    ) -> Result<ScimClient, ScimError> {
        let access = access.ok_or(ScimError::Unauthenticated)?;
        if !access.pass.sso_allowed(self.now) {
            return Err(ScimError::PassInactive);
        }
        let administrators = Membership {
            role: Role::Administrator,
            can_invite: true,
        };
        let permit = policy::permit(space_key.clone(), administrators, OrgAction::ManageMembers)
            .map_err(|_| ScimError::Unauthenticated)?;
        Ok(ScimClient {
            space_key,
            permit,
            token_id: access.token_id,
        })
    }
}
