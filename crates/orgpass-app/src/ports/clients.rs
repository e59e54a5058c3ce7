//! OpenID Connect clients: the products' registrations, kept by the operator.

use orgpass_core::{Timestamp, TokenHash};

use super::*;

/// A registered client as stored (its secret only as a hash, never read back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// Opaque id (`cli_…`), the OAuth `client_id`.
    pub client_id: String,
    /// Name.
    pub name: String,
    /// The catalogue product it signs people into.
    pub product: String,
    /// The exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The exact post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Where Back-Channel Logout tokens go.
    pub backchannel_logout_uri: Option<String>,
    /// Registration time.
    pub created_at: Timestamp,
}

/// The registered clients.
pub trait ClientStore {
    /// Stores a client with the hash of its secret.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn insert_client(
        &self,
        client: &ClientRecord,
        secret: &TokenHash,
    ) -> Result<(), PortError>;

    /// Every client, oldest first.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn read_clients(&self) -> Result<Vec<ClientRecord>, PortError>;

    /// Deletes a client; `false` when there is none with this id.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn delete_client(&self, client_id: &str) -> Result<bool, PortError>;

    /// Replaces a client's secret hash (the old secret stops working at once); `false`
    /// when there is no such client.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn update_client_secret(
        &self,
        client_id: &str,
        secret: &TokenHash,
        now: Timestamp,
    ) -> Result<bool, PortError>;
}
