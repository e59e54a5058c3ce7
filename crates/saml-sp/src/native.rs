//! The native signature back end (feature `rustcrypto`): RustCrypto's `rsa`, `p256` and
//! `p384` perform the checks [`crate::response::Pending`] asks for. The `saml-verify`
//! command, the tests, the fuzzer and the benches use it; the Worker leaves the feature
//! off and performs the same checks with the runtime's WebCrypto (`src/single_sign_on/
//! signatures.rs`), and a differential test requires both to give identical verdicts.

use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use rsa::pkcs1::DecodeRsaPublicKey as _;

use super::{
    cert::KeyKind,
    dsig::{DigestAlg, SignatureAlg, SignatureCheck},
    response::{Expectations, Pending, VerifiedLogin},
    SamlError,
};

/// A public key parsed by RustCrypto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// RSA.
    Rsa(rsa::PublicKey),
    /// ECDSA on P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// ECDSA on P-384.
    P384(p384::ecdsa::VerifyingKey),
}

impl Key {
    /// Parses the key of `kind` (`point`: the SubjectPublicKeyInfo's bit string).
    pub(crate) fn new(kind: KeyKind, point: &[u8]) -> Result<Self, SamlError> {
        let key = match kind {
            KeyKind::Rsa { .. } => rsa::PublicKey::from_pkcs1_der(point).ok().map(Self::Rsa),
            KeyKind::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .ok()
                .map(Self::P256),
            KeyKind::P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .ok()
                .map(Self::P384),
        };
        key.ok_or(SamlError::UnsupportedKey)
    }
}

impl DigestAlg {
    /// The DER of DigestInfo up to the hash itself (RFC 8017 §9.2, note 1).
    fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Self::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            Self::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Self::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Self::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

/// Whether the signature of `check` verifies.
#[must_use]
pub fn verify(check: &SignatureCheck<'_>) -> bool {
    let digest = check.algorithm.digest();
    let hashed = digest.digest(check.message);
    let sig = check.signature;
    match (check.key.native(), check.algorithm) {
        // The digest is ours (sha2 0.10), so the DigestInfo that PKCS#1 v1.5 wraps it
        // in is given whole, and `rsa` compares the full encoded message with it.
        (Key::Rsa(k), SignatureAlg::Rsa(d)) => {
            let digest_info = [d.digest_info_prefix(), &hashed].concat();
            k.verify(rsa::Pkcs1v15Sign::new_unprefixed(), &digest_info, sig)
                .is_ok()
        }
        // XML-DSig carries ECDSA signatures as r || s (RFC 4050), not DER.
        (Key::P256(k), SignatureAlg::Ecdsa(_)) => p256::ecdsa::Signature::from_slice(sig)
            .is_ok_and(|s| k.verify_prehash(&hashed, &s).is_ok()),
        (Key::P384(k), SignatureAlg::Ecdsa(_)) => p384::ecdsa::Signature::from_slice(sig)
            .is_ok_and(|s| k.verify_prehash(&hashed, &s).is_ok()),
        // The core asks only for checks whose key fits the algorithm.
        _ => false,
    }
}

/// Verifies `xml` (a decoded `SAMLResponse`) against what we `expect`, the signatures
/// checked by RustCrypto: [`Pending::start`], [`verify`] for each check,
/// [`Pending::finish`].
///
/// # Errors
/// The [`SamlError`] naming the first rule broken.
pub fn verify_response(xml: &[u8], expect: &Expectations<'_>) -> Result<VerifiedLogin, SamlError> {
    let pending = Pending::start(xml, expect)?;
    let verdicts: Vec<bool> = pending.checks().iter().map(verify).collect();
    pending.finish(&verdicts)
}
