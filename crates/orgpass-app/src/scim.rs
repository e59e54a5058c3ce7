//! SCIM 2.0 provisioning (docs/api.md "SCIM 2.0 provisioning"): the organization's
//! provisioning tokens, and the authentication of an IdP's requests with them.
//!
//! Administrators create tokens while the SSO add-on is `trial` or `active`, and may
//! list and revoke them at any time. A token is a 256-bit secret shown once and stored
//! as its SHA-256 only; it authenticates `/scim/v2/{org}` of its own organization, and
//! only while the add-on allows SSO.

use orgpass_core::{policy::OrgAction, token::TOKEN_BYTES, SecretToken, SpaceKey, TokenHash};

use super::{
    ports::{AccountStore, DomainStore, OrgStore, Random, ScimStore, ScimTokenRecord},
    App, AppError,
};

/// Why a SCIM request was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimRefusal {
    /// No token, or not one of this organization's (401).
    Unauthenticated,
    /// The organization's SSO add-on is not `trial` or `active` (403).
    PassInactive,
}

/// An IdP authenticated for one organization's SCIM service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimClient {
    /// The organization.
    pub space_key: SpaceKey,
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

    /// Lets an IdP in to the SCIM service of the organization `key` with the bearer
    /// secret it presented (`None`: no `Authorization: Bearer`).
    ///
    /// # Errors
    /// `Err(Ok(refusal))` for a refusal, `Err(Err(_))` when D1 failed.
    pub async fn scim_client(
        &self,
        key: &str,
        secret: Option<&TokenHash>,
    ) -> Result<ScimClient, Result<ScimRefusal, AppError>> {
        let (Some(space_key), Some(secret)) = (SpaceKey::parse(key), secret) else {
            return Err(Ok(ScimRefusal::Unauthenticated));
        };
        let pass = self
            .store
            .use_scim_token(&space_key, secret, self.now)
            .await
            .map_err(|e| Err(AppError::Unavailable(e)))?
            .ok_or(Ok(ScimRefusal::Unauthenticated))?;
        if !pass.sso_allowed(self.now) {
            return Err(Ok(ScimRefusal::PassInactive));
        }
        Ok(ScimClient { space_key })
    }
}
