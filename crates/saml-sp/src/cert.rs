//! IdP signing certificates: the only source of keys the verifier trusts.
//!
//! Parsed with RustCrypto's `x509-cert`; the public key is taken as RSA (PKCS#1 inside
//! the SubjectPublicKeyInfo) or as an ECDSA point on P-256 or P-384. The certificate's
//! own signature and validity are not checked: in SAML a certificate is a pinned key
//! container (as in every IdP's metadata), and expiry is shown to administrators, not
//! enforced at login (it would lock an organization out on the day the IdP forgets).

use rsa::{pkcs1::DecodeRsaPublicKey as _, traits::PublicKeyParts as _};
use sha2::{Digest as _, Sha256};
use x509_cert::der::{asn1::ObjectIdentifier, Decode as _, DecodePem as _, Encode as _};

use super::SamlError;
use crate::time::Timestamp;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// A public key the verifier can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA (PKCS#1 v1.5 signatures).
    Rsa(rsa::PublicKey),
    /// ECDSA on P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// ECDSA on P-384.
    P384(p384::ecdsa::VerifyingKey),
}

/// A configured X.509 certificate and the key it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    key: PublicKey,
    fingerprint: [u8; 32],
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
        let spki = tbs.subject_public_key_info();
        let point = spki.subject_public_key.raw_bytes();
        let key = if spki.algorithm.oid == RSA_ENCRYPTION {
            PublicKey::Rsa(
                rsa::PublicKey::from_pkcs1_der(point).map_err(|_| SamlError::UnsupportedKey)?,
            )
        } else if spki.algorithm.oid == EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as().ok())
                .ok_or(SamlError::UnsupportedKey)?;
            if curve == P256_CURVE {
                PublicKey::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map_err(|_| SamlError::UnsupportedKey)?,
                )
            } else if curve == P384_CURVE {
                PublicKey::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map_err(|_| SamlError::UnsupportedKey)?,
                )
            } else {
                return Err(SamlError::UnsupportedKey);
            }
        } else {
            return Err(SamlError::UnsupportedKey);
        };
        let not_after = i64::try_from(tbs.validity().not_after.to_unix_duration().as_millis())
            .map_err(|_| SamlError::InvalidCertificate)?;
        Ok(Self {
            der: der.to_vec(),
            key,
            fingerprint: Sha256::digest(der).into(),
            not_after: Timestamp::from_millis(not_after),
            subject: tbs.subject().to_string(),
        })
    }

    /// The key.
    #[must_use]
    pub fn key(&self) -> &PublicKey {
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
        self.fingerprint
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
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
        match &self.key {
            PublicKey::Rsa(k) => format!("RSA {}", self.rsa_bits().unwrap_or(k.size() * 8)),
            PublicKey::P256(_) => "ECDSA P-256".to_owned(),
            PublicKey::P384(_) => "ECDSA P-384".to_owned(),
        }
    }

    /// The RSA modulus size in bits (`None` for ECDSA keys).
    #[must_use]
    pub fn rsa_bits(&self) -> Option<usize> {
        match &self.key {
            PublicKey::Rsa(k) => usize::try_from(k.n().bit_width_vartime()).ok(),
            _ => None,
        }
    }
}
