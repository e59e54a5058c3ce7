//! IdP signing certificates: the only source of keys the verifier trusts.
//!
//! A [`Certificate`] is parsed with RustCrypto's `x509-cert` when settings are saved (and
//! shown); what a login needs of it is its [`VerificationKey`]: the DER of the
//! SubjectPublicKeyInfo, the key's kind, and the certificate's SHA-256. That key is the
//! stored form too ([`VerificationKey::from_stored`]), so a login reads no X.509.
//!
//! The key is RSA (PKCS#1 inside the SubjectPublicKeyInfo, 1024 to 8192 bits, an odd
//! exponent from 3 to 2^33 − 1: the bounds of RustCrypto's `rsa`, checked here on the
//! bytes so that both signature back ends accept the same keys) or an uncompressed
//! ECDSA point on P-256 or P-384. With the `rustcrypto` feature the key is also parsed
//! by `rsa`, `p256` or `p384` (which checks an EC point is on its curve); without it the
//! runtime's WebCrypto checks the point when it imports the key.
//!
//! The certificate's own signature and validity are not checked: in SAML a certificate
//! is a pinned key container (as in every IdP's metadata), and expiry is shown to
//! administrators, not enforced at login (it would lock an organization out on the day
//! the IdP forgets).

use sha2::{Digest as _, Sha256};
use x509_cert::{
    der::{asn1::ObjectIdentifier, Decode as _, DecodePem as _, Encode as _},
    spki::SubjectPublicKeyInfoRef,
};

use super::SamlError;
use crate::time::Timestamp;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// The RSA modulus sizes accepted, in bits.
pub const RSA_BITS: std::ops::RangeInclusive<usize> = 1024..=8192;

/// What a verification key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA (PKCS#1 v1.5 signatures) with a modulus of `bits`.
    Rsa {
        /// The modulus size.
        bits: usize,
    },
    /// ECDSA on P-256.
    P256,
    /// ECDSA on P-384.
    P384,
}

/// The public key of a configured certificate: what a signature check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    spki: Vec<u8>,
    kind: KeyKind,
    certificate_sha256: [u8; 32],
    #[cfg(feature = "rustcrypto")]
    native: crate::native::Key,
}

impl VerificationKey {
    /// The key of a SubjectPublicKeyInfo (DER), from the certificate whose SHA-256 is
    /// `certificate_sha256`.
    ///
    /// # Errors
    /// [`SamlError::UnsupportedKey`].
    pub fn new(spki: &[u8], certificate_sha256: [u8; 32]) -> Result<Self, SamlError> {
        let info =
            SubjectPublicKeyInfoRef::from_der(spki).map_err(|_| SamlError::UnsupportedKey)?;
        let point = info.subject_public_key.raw_bytes();
        let kind = if info.algorithm.oid == RSA_ENCRYPTION {
            KeyKind::Rsa {
                bits: rsa_bits(point)?,
            }
        } else if info.algorithm.oid == EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = info
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as().ok())
                .ok_or(SamlError::UnsupportedKey)?;
            let (kind, field) = match curve {
                c if c == P256_CURVE => (KeyKind::P256, 32),
                c if c == P384_CURVE => (KeyKind::P384, 48),
                _ => return Err(SamlError::UnsupportedKey),
            };
            // Uncompressed only: 0x04 || X || Y (SEC 1 §2.3.3), what IdPs issue and
            // what every WebCrypto imports.
            if point.len() != 1 + 2 * field || point.first() != Some(&0x04) {
                return Err(SamlError::UnsupportedKey);
            }
            kind
        } else {
            return Err(SamlError::UnsupportedKey);
        };
        Ok(Self {
            #[cfg(feature = "rustcrypto")]
            native: crate::native::Key::new(kind, point)?,
            spki: spki.to_vec(),
            kind,
            certificate_sha256,
        })
    }

    /// The key as [`Self::stored`] wrote it.
    ///
    /// # Errors
    /// [`SamlError::UnsupportedKey`] when it is not one.
    pub fn from_stored(text: &str) -> Result<Self, SamlError> {
        let (sha, spki) = text.split_once('.').ok_or(SamlError::UnsupportedKey)?;
        let sha: [u8; 32] = hex::decode(sha)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or(SamlError::UnsupportedKey)?;
        let spki = super::decode_base64(spki.as_bytes()).map_err(|_| SamlError::UnsupportedKey)?;
        Self::new(&spki, sha)
    }

    /// The stored form: the certificate's SHA-256 in hex, a dot, the SPKI in base64.
    #[must_use]
    pub fn stored(&self) -> String {
        use base64::Engine as _;
        format!(
            "{}.{}",
            hex::encode(self.certificate_sha256),
            base64::engine::general_purpose::STANDARD.encode(&self.spki)
        )
    }

    /// The DER of the SubjectPublicKeyInfo (what WebCrypto imports as `spki`).
    #[must_use]
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// The key's kind.
    #[must_use]
    pub const fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The SHA-256 of the certificate the key came from.
    #[must_use]
    pub const fn certificate_sha256(&self) -> &[u8; 32] {
        &self.certificate_sha256
    }

    /// The certificate's SHA-256 fingerprint as IdPs show it: upper-case hex pairs
    /// joined by colons.
    #[must_use]
    pub fn fingerprint_sha256(&self) -> String {
        self.certificate_sha256
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// The RustCrypto key (native builds).
    #[cfg(feature = "rustcrypto")]
    pub(crate) const fn native(&self) -> &crate::native::Key {
        &self.native
    }
}

/// The modulus size of a PKCS#1 RSAPublicKey, within the bounds RustCrypto's `rsa`
/// accepts (`PublicKey::new`: 1024 to 8192 bits, the modulus odd, the exponent odd and
/// from 3 to 2^33 − 1).
fn rsa_bits(pkcs1: &[u8]) -> Result<usize, SamlError> {
    fn unsigned(bytes: &[u8]) -> &[u8] {
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        bytes.get(start..).unwrap_or_default()
    }
    let key = pkcs1::RsaPublicKeyRef::try_from(pkcs1).map_err(|_| SamlError::UnsupportedKey)?;
    let n = unsigned(key.modulus.as_bytes());
    let e = unsigned(key.public_exponent.as_bytes());
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    let exponent = e.iter().try_fold(0_u64, |acc, b| {
        acc.checked_mul(256).map(|a| a | u64::from(*b))
    });
    let odd = |bytes: &[u8]| bytes.last().is_some_and(|b| b & 1 == 1);
    match exponent {
        Some(3..=0x1_FFFF_FFFF) if RSA_BITS.contains(&bits) && odd(n) && odd(e) => Ok(bits),
        _ => Err(SamlError::UnsupportedKey),
    }
}

/// A configured X.509 certificate and the key it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    key: VerificationKey,
    not_after: Timestamp,
    subject: String,
}

impl Certificate {
    /// Parses PEM (`-----BEGIN CERTIFICATE-----`), or bare base64 DER as metadata and
    /// KeyInfo carry it.
    ///
    /// # Errors
    /// [`SamlError::InvalidCertificate`] or [`SamlError::UnsupportedKey`].
    pub fn parse(text: &str) -> Result<Self, SamlError> {
        let text = text.trim();
        if text.starts_with("-----BEGIN") {
            let cert = x509_cert::Certificate::from_pem(text.as_bytes())
                .map_err(|_| SamlError::InvalidCertificate)?;
            let der = cert.to_der().map_err(|_| SamlError::InvalidCertificate)?;
            Self::from_der(&der)
        } else {
            let der =
                super::decode_base64(text.as_bytes()).map_err(|_| SamlError::InvalidCertificate)?;
            Self::from_der(&der)
        }
    }

    /// Parses DER.
    ///
    /// # Errors
    /// [`SamlError::InvalidCertificate`] or [`SamlError::UnsupportedKey`].
    pub fn from_der(der: &[u8]) -> Result<Self, SamlError> {
        let cert =
            x509_cert::Certificate::from_der(der).map_err(|_| SamlError::InvalidCertificate)?;
        let tbs = cert.tbs_certificate();
        let spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|_| SamlError::InvalidCertificate)?;
        let key = VerificationKey::new(&spki, Sha256::digest(der).into())?;
        let not_after = i64::try_from(tbs.validity().not_after.to_unix_duration().as_millis())
            .map_err(|_| SamlError::InvalidCertificate)?;
        Ok(Self {
            der: der.to_vec(),
            key,
            not_after: Timestamp::from_millis(not_after),
            subject: tbs.subject().to_string(),
        })
    }

    /// The key.
    #[must_use]
    pub fn key(&self) -> &VerificationKey {
        &self.key
    }

    /// The DER bytes.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The SHA-256 fingerprint as IdPs show it: upper-case hex pairs joined by colons.
    #[must_use]
    pub fn fingerprint_sha256(&self) -> String {
        self.key.fingerprint_sha256()
    }

    /// When the certificate expires.
    #[must_use]
    pub fn not_after(&self) -> Timestamp {
        self.not_after
    }

    /// The subject's distinguished name.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The key's kind and size, e.g. `RSA 2048`, `ECDSA P-256`.
    #[must_use]
    pub fn key_description(&self) -> String {
        match self.key.kind {
            KeyKind::Rsa { bits } => format!("RSA {bits}"),
            KeyKind::P256 => "ECDSA P-256".to_owned(),
            KeyKind::P384 => "ECDSA P-384".to_owned(),
        }
    }

    /// The RSA modulus size in bits (`None` for ECDSA keys).
    #[must_use]
    pub fn rsa_bits(&self) -> Option<usize> {
        match self.key.kind {
            KeyKind::Rsa { bits } => Some(bits),
            _ => None,
        }
    }
}
