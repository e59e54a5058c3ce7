//! SCIM provisioning tokens (docs/api.md "SCIM 2.0 provisioning").

use orgpass_core::{pass::Pass, policy::Permit, SpaceKey, Timestamp, TokenHash};

use super::PortError;

/// A provisioning token as administrators see it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimTokenRecord {
    /// Id.
    pub id: String,
    /// Created at.
    pub created_at: Timestamp,
    /// When an IdP last used it (to the minute).
    pub last_used_at: Option<Timestamp>,
}

/// Storage of provisioning tokens.
pub trait ScimStore {
    /// Stores a new token of the permit's organization, made by `created_by`.
    async fn insert_scim_token(
        &self,
        permit: &Permit,
        token: &ScimTokenRecord,
        secret: &TokenHash,
        created_by: &str,
    ) -> Result<(), PortError>;

    /// The permit's organization's tokens, oldest first.
    async fn read_scim_tokens(&self, permit: &Permit) -> Result<Vec<ScimTokenRecord>, PortError>;

    /// Deletes one of the permit's organization's tokens (`false`: no such token there).
    async fn delete_scim_token(&self, permit: &Permit, id: &str) -> Result<bool, PortError>;

    /// The add-on state of `space_key` when `secret` is one of its tokens, noting the
    /// use (at most once a minute per token); `None` for any other secret.
    async fn use_scim_token(
        &self,
        space_key: &SpaceKey,
        secret: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<Pass>, PortError>;
}
