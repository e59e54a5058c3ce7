//! The products' OpenID Connect clients, registered by the operator (docs/api.md
//! "Products sign in"): register, list, delete, rotate the secret. A secret is a
//! 256-bit token shown once and stored as its SHA-256 only.

use orgpass_core::{oidc::ClientRegistration, token::TOKEN_BYTES, SecretToken};

use super::{
    ports::{ClientRecord, ClientStore, Random},
    App, AppError,
};

/// What the operator asks to register.
#[derive(Debug, Clone, Copy)]
pub struct NewClient<'a> {
    /// Name.
    pub name: &'a str,
    /// Catalogue product key.
    pub product: &'a str,
    /// Exact redirect URIs.
    pub redirect_uris: &'a [String],
    /// Exact post-logout redirect URIs.
    pub post_logout_redirect_uris: &'a [String],
    /// Back-Channel Logout URI.
    pub backchannel_logout_uri: Option<&'a str>,
}

impl<S: ClientStore, H, R: Random> App<S, H, R> {
    /// Registers a client; its secret is returned once.
    ///
    /// # Errors
    /// Field errors (`invalid_name`, `unknown_product`, `invalid_redirect_uri`, …),
    /// [`AppError::Unavailable`].
    pub async fn register_client(
        &self,
        input: NewClient<'_>,
    ) -> Result<(ClientRecord, SecretToken), AppError> {
        let checked = ClientRegistration::check(
            input.name,
            input.product,
            input.redirect_uris,
            input.post_logout_redirect_uris,
            input.backchannel_logout_uri,
        )?;
        let client = ClientRecord {
            client_id: self.new_id("cli")?,
            name: checked.name,
            product: checked.product.to_owned(),
            redirect_uris: checked.redirect_uris,
            post_logout_redirect_uris: checked.post_logout_redirect_uris,
            backchannel_logout_uri: checked.backchannel_logout_uri,
            created_at: self.now,
        };
        let secret = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        self.store.insert_client(&client, &secret.hash()).await?;
        Ok((client, secret))
    }

    /// Every registered client.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn clients(&self) -> Result<Vec<ClientRecord>, AppError> {
        Ok(self.store.read_clients().await?)
    }

    /// Deletes a client.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Unavailable`].
    pub async fn remove_client(&self, client_id: &str) -> Result<(), AppError> {
        if self.store.delete_client(client_id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Gives a client a new secret (shown once); the old one stops working at once.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Unavailable`].
    pub async fn rotate_client_secret(&self, client_id: &str) -> Result<SecretToken, AppError> {
        let secret = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        if self
            .store
            .update_client_secret(client_id, &secret.hash(), self.now)
            .await?
        {
            Ok(secret)
        } else {
            Err(AppError::NotFound)
        }
    }
}
