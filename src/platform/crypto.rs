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
