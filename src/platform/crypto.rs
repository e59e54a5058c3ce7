//! The runtime's cryptography behind the ports: PBKDF2 through WebCrypto
//! (`crypto.subtle.deriveBits`, native speed inside workerd) and randomness through
//! `getrandom` (which calls `crypto.getRandomValues` in the Worker).

use orgpass_app::ports::{PasswordHasher, PortError, Random};
use orgpass_core::{account::HASH_LEN, Password};
use worker::{
    js_sys::{Array, Object, Reflect, Uint8Array},
    wasm_bindgen::{JsCast, JsValue},
    wasm_bindgen_futures::JsFuture,
};

/// Randomness from the platform CSPRNG.
pub struct PlatformRandom;

impl Random for PlatformRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), PortError> {
        getrandom::getrandom(buf).map_err(|e| PortError(format!("random: {e}")))
    }
}

/// PBKDF2-HMAC-SHA256 through WebCrypto.
pub struct WebCryptoPbkdf2;

fn js_error(context: &str) -> impl Fn(JsValue) -> PortError + '_ {
    move |e| PortError(format!("webcrypto {context}: {e:?}"))
}

/// The derived key's length in bits (32 bytes: 256 fits any integer type).
#[allow(clippy::cast_possible_truncation)]
const HASH_BITS: u32 = (8 * HASH_LEN) as u32;

impl PasswordHasher for WebCryptoPbkdf2 {
    async fn derive(
        &self,
        password: &Password,
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; HASH_LEN], PortError> {
        let scope: web_sys::WorkerGlobalScope = worker::js_sys::global().unchecked_into();
        let subtle = scope.crypto().map_err(js_error("crypto"))?.subtle();
        let key_data = Uint8Array::from(password.expose().as_bytes());
        let usages = Array::of1(&JsValue::from_str("deriveBits"));
        let key = JsFuture::from(
            subtle
                .import_key_with_str("raw", &key_data, "PBKDF2", false, &usages)
                .map_err(js_error("importKey"))?,
        )
        .await
        .map_err(js_error("importKey"))?;
        let params = Object::new();
        for (name, value) in [
            ("name", JsValue::from_str("PBKDF2")),
            ("hash", JsValue::from_str("SHA-256")),
            ("salt", Uint8Array::from(salt).into()),
            ("iterations", JsValue::from_f64(f64::from(iterations))),
        ] {
            Reflect::set(&params, &JsValue::from_str(name), &value).map_err(js_error("params"))?;
        }
        let bits = JsFuture::from(
            subtle
                .derive_bits_with_object(&params, &key.unchecked_into(), HASH_BITS)
                .map_err(js_error("deriveBits"))?,
        )
        .await
        .map_err(js_error("deriveBits"))?;
        Uint8Array::new(&bits)
            .to_vec()
            .try_into()
            .map_err(|_| PortError("webcrypto deriveBits: wrong length".to_owned()))
    }
}

thread_local! {
    /// The signing key of this isolate: the configured key's text, its `kid` and the
    /// imported key. Reading the PKCS#8 key and importing it cost more than a
    /// signature, so they happen once per isolate (and again only when the configured
    /// key changes).
    static SIGNING_KEY: std::cell::RefCell<Option<(String, String, web_sys::CryptoKey)>> =
        const { std::cell::RefCell::new(None) };
}

fn subtle() -> Result<web_sys::SubtleCrypto, PortError> {
    let scope: web_sys::WorkerGlobalScope = worker::js_sys::global().unchecked_into();
    Ok(scope.crypto().map_err(js_error("crypto"))?.subtle())
}

fn rs256() -> Result<Object, PortError> {
    let params = Object::new();
    for (name, value) in [("name", "RSASSA-PKCS1-v1_5"), ("hash", "SHA-256")] {
        Reflect::set(&params, &JsValue::from_str(name), &JsValue::from_str(value))
            .map_err(js_error("params"))?;
    }
    Ok(params)
}

/// An RS256 signing key: the `kid` of the configured PKCS#8 key `key_text` (PEM or
/// base64 DER) and the key, imported into WebCrypto non-extractable, for signing only.
pub struct SigningKey {
    /// RFC 7638 thumbprint.
    pub kid: String,
    key: web_sys::CryptoKey,
}

impl SigningKey {
    /// The key of `key_text`, from this isolate's cache when it is the same key.
    ///
    /// # Errors
    /// [`PortError`] when the key cannot be read or WebCrypto refuses it.
    pub async fn of(key_text: &str) -> Result<Self, PortError> {
        let cached = SIGNING_KEY.with(|k| {
            k.borrow()
                .as_ref()
                .filter(|(text, _, _)| text == key_text)
                .map(|(_, kid, key)| (kid.clone(), key.clone()))
        });
        if let Some((kid, key)) = cached {
            return Ok(Self { kid, key });
        }
        let refused = |e| PortError(format!("oidc: signing key refused: {e:?}"));
        let kid = orgpass_core::oidc::PublicJwk::from_pkcs8(key_text)
            .map_err(refused)?
            .kid;
        let der = orgpass_core::oidc::keys::der_of(key_text).map_err(refused)?;
        let usages = Array::of1(&JsValue::from_str("sign"));
        let key: web_sys::CryptoKey = JsFuture::from(
            subtle()?
                .import_key_with_object(
                    "pkcs8",
                    &Uint8Array::from(der.as_slice()),
                    &rs256()?,
                    false,
                    &usages,
                )
                .map_err(js_error("importKey"))?,
        )
        .await
        .map_err(js_error("importKey"))?
        .unchecked_into();
        SIGNING_KEY.with(|k| {
            *k.borrow_mut() = Some((key_text.to_owned(), kid.clone(), key.clone()));
        });
        Ok(Self { kid, key })
    }

    /// The RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) of `data`.
    ///
    /// # Errors
    /// [`PortError`] when WebCrypto refuses.
    pub async fn sign(&self, data: &[u8]) -> Result<Vec<u8>, PortError> {
        let signature = JsFuture::from(
            subtle()?
                .sign_with_object_and_u8_array(&rs256()?, &self.key, data)
                .map_err(js_error("sign"))?,
        )
        .await
        .map_err(js_error("sign"))?;
        Ok(Uint8Array::new(&signature).to_vec())
    }
}
