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
    /// The imported signing key of this isolate, by `kid`: importing a PKCS#8 key costs
    /// more than a signature, so it happens once per isolate (and again only when the
    /// configured key changes).
    static SIGNING_KEY: std::cell::RefCell<Option<(String, web_sys::CryptoKey)>> =
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

/// An RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) of `data` by the PKCS#8 key
/// `der` whose `kid` is given, through WebCrypto. The key is imported non-extractable,
/// for signing only.
///
/// # Errors
/// [`PortError`] when WebCrypto refuses the key or the signature.
pub async fn sign_rs256(kid: &str, der: &[u8], data: &[u8]) -> Result<Vec<u8>, PortError> {
    let subtle = subtle()?;
    let cached = SIGNING_KEY.with(|k| {
        k.borrow()
            .as_ref()
            .filter(|(id, _)| id == kid)
            .map(|(_, key)| key.clone())
    });
    let key = if let Some(key) = cached {
        key
    } else {
        let usages = Array::of1(&JsValue::from_str("sign"));
        let key: web_sys::CryptoKey = JsFuture::from(
            subtle
                .import_key_with_object("pkcs8", &Uint8Array::from(der), &rs256()?, false, &usages)
                .map_err(js_error("importKey"))?,
        )
        .await
        .map_err(js_error("importKey"))?
        .unchecked_into();
        SIGNING_KEY.with(|k| *k.borrow_mut() = Some((kid.to_owned(), key.clone())));
        key
    };
    let signature = JsFuture::from(
        subtle
            .sign_with_object_and_u8_array(&rs256()?, &key, data)
            .map_err(js_error("sign"))?,
    )
    .await
    .map_err(js_error("sign"))?;
    Ok(Uint8Array::new(&signature).to_vec())
}
