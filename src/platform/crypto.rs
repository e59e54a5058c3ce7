//! The runtime's cryptography behind the ports: PBKDF2 through WebCrypto
//! (`crypto.subtle.deriveBits`, native speed inside workerd), randomness through
//! `getrandom` (which calls `crypto.getRandomValues` in the Worker), the OpenID Connect
//! signing key, and the SAML signature checks (`crypto.subtle.verify`).

use std::{cell::RefCell, collections::HashMap};

use orgpass_app::ports::{PasswordHasher, PortError, Random, SignatureVerifier};
use orgpass_core::{account::HASH_LEN, Password};
use saml_sp::{
    dsig::{DigestAlg, SignatureAlg},
    KeyKind, SignatureCheck,
};
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
    static SIGNING_KEY: RefCell<Option<(String, String, web_sys::CryptoKey)>> =
        const { RefCell::new(None) };

    /// The IdP keys this isolate has imported for SAML signature checks, by SPKI and
    /// import parameters (an RSA key is imported for one hash). Importing costs more
    /// than a check, so it happens once per key and isolate.
    static SAML_KEYS: RefCell<HashMap<(Vec<u8>, &'static str), web_sys::CryptoKey>> =
        RefCell::new(HashMap::new());
}

/// At most this many imported IdP keys are kept per isolate (then the cache starts over).
const SAML_KEYS_MAX: usize = 256;

fn subtle() -> Result<web_sys::SubtleCrypto, PortError> {
    let scope: web_sys::WorkerGlobalScope = worker::js_sys::global().unchecked_into();
    Ok(scope.crypto().map_err(js_error("crypto"))?.subtle())
}

/// An algorithm object of string members, e.g. `{name: "ECDSA", hash: "SHA-256"}`.
fn params(members: &[(&str, &str)]) -> Result<Object, PortError> {
    let params = Object::new();
    for (name, value) in members {
        Reflect::set(&params, &JsValue::from_str(name), &JsValue::from_str(value))
            .map_err(js_error("params"))?;
    }
    Ok(params)
}

/// Whether `signature` verifies over `message` with `key` (`crypto.subtle.verify`). A
/// refusal (a signature of the wrong length, say) is a signature that does not verify.
async fn verify(
    algorithm: &Object,
    key: &web_sys::CryptoKey,
    signature: &[u8],
    message: &[u8],
) -> Result<bool, PortError> {
    let Ok(promise) =
        subtle()?.verify_with_object_and_u8_array_and_u8_array(algorithm, key, signature, message)
    else {
        return Ok(false);
    };
    Ok(JsFuture::from(promise)
        .await
        .is_ok_and(|v| v.as_bool() == Some(true)))
}

fn rs256() -> Result<Object, PortError> {
    params(&[("name", "RSASSA-PKCS1-v1_5"), ("hash", "SHA-256")])
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

/// SAML signature checks through WebCrypto: RSASSA-PKCS1-v1_5 with SHA-1/256/384/512
/// and ECDSA on P-256 and P-384, whose IEEE P1363 signature format (r ‖ s) is
/// XML-DSig's. The differential test (tests/e2e/saml_backends.rs) holds these verdicts
/// to RustCrypto's on every fixture and attack case.
pub struct WebCryptoSignatures;

const fn hash_name(digest: DigestAlg) -> &'static str {
    match digest {
        DigestAlg::Sha1 => "SHA-1",
        DigestAlg::Sha256 => "SHA-256",
        DigestAlg::Sha384 => "SHA-384",
        DigestAlg::Sha512 => "SHA-512",
    }
}

/// The `importKey` parameters of a check's key: `(algorithm name, hash or curve)`.
const fn import_params(check: &SignatureCheck<'_>) -> (&'static str, &'static str, &'static str) {
    match (check.key.kind(), check.algorithm) {
        (KeyKind::P256, _) => ("ECDSA", "namedCurve", "P-256"),
        (KeyKind::P384, _) => ("ECDSA", "namedCurve", "P-384"),
        (KeyKind::Rsa { .. }, alg) => ("RSASSA-PKCS1-v1_5", "hash", hash_name(alg.digest())),
    }
}

impl WebCryptoSignatures {
    /// The imported key of `check`, from this isolate's cache when it was seen before.
    /// `None` when WebCrypto refuses the key (an EC point off its curve, say): no
    /// signature verifies with it.
    async fn key(check: &SignatureCheck<'_>) -> Result<Option<web_sys::CryptoKey>, PortError> {
        let (name, member, value) = import_params(check);
        let id = (check.key.spki().to_vec(), value);
        if let Some(key) = SAML_KEYS.with(|k| k.borrow().get(&id).cloned()) {
            return Ok(Some(key));
        }
        let usages = Array::of1(&JsValue::from_str("verify"));
        let import = subtle()?
            .import_key_with_object(
                "spki",
                &Uint8Array::from(check.key.spki()),
                &params(&[("name", name), (member, value)])?,
                false,
                &usages,
            )
            .map_err(js_error("importKey"))?;
        let Ok(key) = JsFuture::from(import).await else {
            return Ok(None);
        };
        let key: web_sys::CryptoKey = key.unchecked_into();
        SAML_KEYS.with(|k| {
            let mut keys = k.borrow_mut();
            if keys.len() >= SAML_KEYS_MAX {
                keys.clear();
            }
            keys.insert(id, key.clone());
        });
        Ok(Some(key))
    }
}

impl SignatureVerifier for WebCryptoSignatures {
    async fn verify(&self, checks: &[SignatureCheck<'_>]) -> Result<Vec<bool>, PortError> {
        let mut verdicts = Vec::with_capacity(checks.len());
        for check in checks {
            let Some(key) = Self::key(check).await? else {
                verdicts.push(false);
                continue;
            };
            let algorithm = match check.algorithm {
                SignatureAlg::Rsa(_) => params(&[("name", "RSASSA-PKCS1-v1_5")])?,
                SignatureAlg::Ecdsa(d) => params(&[("name", "ECDSA"), ("hash", hash_name(d))])?,
            };
            verdicts.push(verify(&algorithm, &key, check.signature, check.message).await?);
        }
        Ok(verdicts)
    }
}

thread_local! {
    /// The public halves of the configured OpenID Connect keys this isolate imported,
    /// by `kid`, to check the `id_token_hint`s it receives.
    static HINT_KEYS: RefCell<HashMap<String, web_sys::CryptoKey>> = RefCell::new(HashMap::new());
}

/// Whether `signature` is an RS256 signature over `message` by the configured signing
/// key (PKCS#8 texts `keys`) whose `kid` is `kid`. The public half is imported into
/// WebCrypto as a JWK once per isolate.
///
/// # Errors
/// [`PortError`] when WebCrypto fails (not for a signature that does not verify).
pub async fn verify_rs256(
    keys: &[String],
    kid: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, PortError> {
    // The kid must be a configured key's now (a key removed from the configuration
    // verifies nothing, whatever this isolate imported before).
    let Some(jwk) = keys
        .iter()
        .filter_map(|k| orgpass_core::oidc::PublicJwk::from_pkcs8(k).ok())
        .find(|jwk| jwk.kid == kid)
    else {
        return Ok(false);
    };
    let cached = HINT_KEYS.with(|k| k.borrow().get(kid).cloned());
    let key = match cached {
        Some(key) => key,
        None => {
            let data = params(&[("kty", "RSA"), ("n", &jwk.n), ("e", &jwk.e)])?;
            let usages = Array::of1(&JsValue::from_str("verify"));
            let key: web_sys::CryptoKey = JsFuture::from(
                subtle()?
                    .import_key_with_object("jwk", &data, &rs256()?, false, &usages)
                    .map_err(js_error("importKey"))?,
            )
            .await
            .map_err(js_error("importKey"))?
            .unchecked_into();
            HINT_KEYS.with(|k| k.borrow_mut().insert(kid.to_owned(), key.clone()));
            key
        }
    };
    verify(&rs256()?, &key, signature, message).await
}
