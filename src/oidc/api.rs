//! The OpenID Connect provider over HTTP: so far the operator's client registry
//! (`/api/v1/operator/clients`) and the published keys (`/.well-known/jwks.json`),
//! docs/api.md "Products sign in".

use orgpass_app::{clients::NewClient, ports::ClientRecord};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

use crate::{
    plan::api::operator,
    web::{
        context::Ctx,
        http,
        http::{json_response, no_content},
        Handled,
    },
};

/// How long relying parties may cache the JWKS. A new key is published through
/// `OIDC_NEXT_SIGNING_KEY` at least this long before it signs.
pub const JWKS_MAX_AGE_SECONDS: u32 = 3600;

/// `GET /.well-known/jwks.json`: the public halves of the configured signing keys
/// (RS256, `kid` = RFC 7638 thumbprint). A key that cannot be read is left out and
/// logged (never its value).
pub fn jwks(cx: &Ctx) -> Handled {
    let keys: Vec<Value> = cx
        .settings
        .oidc_keys
        .iter()
        .enumerate()
        .filter_map(|(i, key)| match orgpass_core::oidc::PublicJwk::from_pkcs8(key) {
            Ok(jwk) => Some(json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": jwk.kid, "n": jwk.n, "e": jwk.e,
            })),
            Err(e) => {
                worker::console_error!("oidc: signing key {i} refused: {e:?}");
                None
            }
        })
        .collect();
    let mut response = json_response(200, &json!({ "keys": keys }))?;
    response.headers_mut().set(
        "cache-control",
        &format!("public, max-age={JWKS_MAX_AGE_SECONDS}"),
    )?;
    Ok(response)
}

/// `client` of docs/api.md (never its secret).
fn client_json(c: &ClientRecord) -> Value {
    json!({
        "client_id": c.client_id,
        "name": c.name,
        "product": c.product,
        "redirect_uris": c.redirect_uris,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
        "backchannel_logout_uri": c.backchannel_logout_uri,
        "created_at": c.created_at.to_rfc3339(),
    })
}

#[derive(Deserialize)]
pub(crate) struct ClientBody {
    name: String,
    product: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    backchannel_logout_uri: Option<String>,
}

/// `POST /api/v1/operator/clients`: the secret is in this answer only.
pub async fn register(req: &mut Request, cx: &Ctx) -> Handled {
    operator(req, cx)?;
    let body: ClientBody = http::json(req).await?;
    let (client, secret) = cx
        .app()
        .register_client(NewClient {
            name: &body.name,
            product: &body.product,
            redirect_uris: &body.redirect_uris,
            post_logout_redirect_uris: &body.post_logout_redirect_uris,
            backchannel_logout_uri: body.backchannel_logout_uri.as_deref(),
        })
        .await?;
    Ok(json_response(
        201,
        &json!({ "client": client_json(&client), "client_secret": secret.expose() }),
    )?)
}

/// `GET /api/v1/operator/clients`
pub async fn list(req: &mut Request, cx: &Ctx) -> Handled {
    operator(req, cx)?;
    let clients = cx.app().clients().await?;
    Ok(json_response(
        200,
        &json!({ "clients": clients.iter().map(client_json).collect::<Vec<_>>() }),
    )?)
}

/// `DELETE /api/v1/operator/clients/{client_id}`
pub async fn remove(req: &mut Request, cx: &Ctx, id: &str) -> Handled {
    operator(req, cx)?;
    cx.app().remove_client(id).await?;
    no_content()
}

/// `POST /api/v1/operator/clients/{client_id}/secret`: a new secret, shown once.
pub async fn rotate(req: &mut Request, cx: &Ctx, id: &str) -> Handled {
    operator(req, cx)?;
    let secret = cx.app().rotate_client_secret(id).await?;
    Ok(json_response(
        200,
        &json!({ "client_secret": secret.expose() }),
    )?)
}
