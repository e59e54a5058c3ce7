//! OpenID Connect clients in D1.

use orgpass_app::ports::{ClientRecord, ClientStore, PortError};
use orgpass_core::{Timestamp, TokenHash};
use serde::Deserialize;

use crate::platform::d1::{changes, millis, opt_text, rows, text, time, D1Store};

#[derive(Deserialize)]
struct ClientRow {
    client_id: String,
    name: String,
    product: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: Option<String>,
    created_at: f64,
}

impl ClientRow {
    fn into_record(self) -> Result<ClientRecord, PortError> {
        let list = |s: &str| {
            serde_json::from_str::<Vec<String>>(s)
                .map_err(|e| PortError(format!("d1: stored URIs of {}: {e}", self.client_id)))
        };
        Ok(ClientRecord {
            redirect_uris: list(&self.redirect_uris)?,
            post_logout_redirect_uris: list(&self.post_logout_redirect_uris)?,
            client_id: self.client_id,
            name: self.name,
            product: self.product,
            backchannel_logout_uri: self.backchannel_logout_uri,
            created_at: millis(self.created_at),
        })
    }
}

fn json_list(list: &[String]) -> Result<String, PortError> {
    serde_json::to_string(list).map_err(|e| PortError(format!("json: {e}")))
}

impl ClientStore for D1Store {
    async fn insert_client(
        &self,
        client: &ClientRecord,
        secret: &TokenHash,
    ) -> Result<(), PortError> {
        self.one(self.stmt(
            "INSERT INTO oidc_clients (client_id, name, product, secret_hash, redirect_uris, \
               post_logout_redirect_uris, backchannel_logout_uri, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                text(&client.client_id),
                text(&client.name),
                text(&client.product),
                text(&secret.to_hex()),
                text(&json_list(&client.redirect_uris)?),
                text(&json_list(&client.post_logout_redirect_uris)?),
                opt_text(client.backchannel_logout_uri.as_deref()),
                time(client.created_at),
            ],
        )?)
        .await?;
        Ok(())
    }

    async fn read_clients(&self) -> Result<Vec<ClientRecord>, PortError> {
        let result = self
            .one(self.stmt(
                "SELECT client_id, name, product, redirect_uris, post_logout_redirect_uris, \
                   backchannel_logout_uri, created_at FROM oidc_clients ORDER BY created_at, client_id",
                &[],
            )?)
            .await?;
        rows::<ClientRow>(Some(&result))?
            .into_iter()
            .map(ClientRow::into_record)
            .collect()
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, PortError> {
        let result = self
            .one(self.stmt(
                "DELETE FROM oidc_clients WHERE client_id = ?1",
                &[text(client_id)],
            )?)
            .await?;
        Ok(changes(Some(&result))? == 1)
    }

    async fn update_client_secret(
        &self,
        client_id: &str,
        secret: &TokenHash,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let result = self
            .one(self.stmt(
                "UPDATE oidc_clients SET secret_hash = ?2, secret_rotated_at = ?3 WHERE client_id = ?1",
                &[text(client_id), text(&secret.to_hex()), time(now)],
            )?)
            .await?;
        Ok(changes(Some(&result))? == 1)
    }
}
