//! The KV cache of an organization's SAML settings for the login path.

use orgpass_app::ports::{SamlRecord, SettingsCache};
use orgpass_core::{saml_settings::SamlSettings, SpaceKey, Timestamp};
use saml_sp::Certificate;
use serde::{Deserialize, Serialize};
use worker::KvStore;

use crate::web::context::Ctx;

/// How long a KV entry of settings lives without a change (it is rewritten on every
/// change and checked against D1's version on every login).
pub(crate) const CACHE_TTL_SECONDS: u64 = 24 * 3600;

/// SAML settings cached in KV under `saml:{space_key}`.
pub struct KvSettings(pub Option<KvStore>);

/// The cached form: certificates as base64 DER.
#[derive(Serialize, Deserialize)]
pub(crate) struct Cached {
    idp_entity_id: String,
    idp_sso_url: String,
    certificates: Vec<String>,
    allow_idp_initiated: bool,
    clock_skew_seconds: i64,
    allow_sha1: bool,
    updated_at: i64,
}

pub(crate) fn cache_key(space_key: &SpaceKey) -> String {
    format!("saml:{}", space_key.as_str())
}

impl Cached {
    fn of(record: &SamlRecord) -> Self {
        use base64::Engine as _;
        let s = &record.settings;
        Self {
            idp_entity_id: s.idp_entity_id.clone(),
            idp_sso_url: s.idp_sso_url.clone(),
            certificates: s
                .certificates
                .iter()
                .map(|c| base64::engine::general_purpose::STANDARD.encode(c.der()))
                .collect(),
            allow_idp_initiated: s.allow_idp_initiated,
            clock_skew_seconds: s.clock_skew_seconds,
            allow_sha1: s.allow_sha1,
            updated_at: record.updated_at.millis(),
        }
    }

    fn record(self) -> Option<SamlRecord> {
        let certificates = self
            .certificates
            .iter()
            .map(|c| Certificate::parse(c).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(SamlRecord {
            settings: SamlSettings {
                idp_entity_id: self.idp_entity_id,
                idp_sso_url: self.idp_sso_url,
                certificates,
                allow_idp_initiated: self.allow_idp_initiated,
                clock_skew_seconds: self.clock_skew_seconds,
                allow_sha1: self.allow_sha1,
            },
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

impl SettingsCache for KvSettings {
    async fn get(&self, space_key: &SpaceKey) -> Option<SamlRecord> {
        let kv = self.0.as_ref()?;
        let text = kv.get(&cache_key(space_key)).text().await.ok()??;
        serde_json::from_str::<Cached>(&text).ok()?.record()
    }

    async fn put(&self, space_key: &SpaceKey, record: &SamlRecord) {
        let Some(kv) = &self.0 else { return };
        let Ok(json) = serde_json::to_string(&Cached::of(record)) else {
            return;
        };
        if let Ok(put) = kv.put(&cache_key(space_key), json) {
            // Best effort: a failed write costs the next login a D1 read.
            let _ = put.expiration_ttl(CACHE_TTL_SECONDS).execute().await;
        }
    }

    async fn forget(&self, space_key: &SpaceKey) {
        if let Some(kv) = &self.0 {
            let _ = kv.delete(&cache_key(space_key)).await;
        }
    }
}

impl Ctx {
    /// The KV cache of SAML settings.
    #[must_use]
    pub fn saml_cache(&self) -> KvSettings {
        KvSettings(self.kv.clone())
    }
}
