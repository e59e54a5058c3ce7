//! The signing keys: the public half of a configured PKCS#8 RSA key, as the JWKS
//! publishes it.

/// The public half of an RS256 signing key, as the JWKS publishes it.
///
/// The key comes from a Worker secret in PKCS#8 (RFC 5208): PEM (`-----BEGIN PRIVATE
/// KEY-----`) or the base64 of its DER on one line (what `make dev` writes). Only the
/// modulus and exponent are read here (no arithmetic on the private parts: signing is
/// WebCrypto's). The `kid` is the key's RFC 7638 thumbprint; it is computed here, over
/// the three members RFC 7638 §3.2 names, because `jwt-compact`'s RSA JWK needs its
/// `rsa` feature, which would put a second copy of the `rsa` crate (0.9 beside our
/// 0.10) into the Worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    /// RFC 7638 SHA-256 thumbprint, base64url.
    pub kid: String,
    /// The modulus, base64url without padding (RFC 7518 §6.3.1.1).
    pub n: String,
    /// The public exponent, base64url without padding.
    pub e: String,
    /// The modulus size in bits.
    pub bits: usize,
}

/// Why a configured signing key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Neither PEM nor base64 of DER.
    Encoding,
    /// Not a PKCS#8 RSA private key.
    NotRsa,
    /// Shorter than 2048 bits.
    TooShort,
}

/// The DER of a PKCS#8 key given as PEM or as one line of base64 (what WebCrypto
/// imports).
///
/// # Errors
/// [`KeyError::Encoding`].
pub fn der_of(input: &str) -> Result<Vec<u8>, KeyError> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let text = input.trim();
    let body: String = if text.starts_with("-----BEGIN PRIVATE KEY-----") {
        text.lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::trim)
            .collect()
    } else {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    };
    STANDARD.decode(body).map_err(|_| KeyError::Encoding)
}

/// The unsigned big-endian integer without leading zero bytes.
fn unsigned(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

impl PublicJwk {
    /// The public JWK of a configured PKCS#8 RSA private key.
    ///
    /// # Errors
    /// [`KeyError`].
    pub fn from_pkcs8(input: &str) -> Result<Self, KeyError> {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
        /// rsaEncryption (RFC 8017 appendix C).
        const RSA_ENCRYPTION: pkcs8::ObjectIdentifier =
            pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
        let der = der_of(input)?;
        let info =
            pkcs8::PrivateKeyInfoRef::try_from(der.as_slice()).map_err(|_| KeyError::NotRsa)?;
        if info.algorithm.oid != RSA_ENCRYPTION {
            return Err(KeyError::NotRsa);
        }
        let key =
            pkcs1::RsaPrivateKeyRef::try_from(info.private_key).map_err(|_| KeyError::NotRsa)?;
        let modulus = unsigned(key.modulus.as_bytes());
        let exponent = unsigned(key.public_exponent.as_bytes());
        let bits = modulus.len() * 8 - modulus.first().map_or(8, |b| b.leading_zeros() as usize);
        if bits < 2048 {
            return Err(KeyError::TooShort);
        }
        let (n, e) = (B64URL.encode(modulus), B64URL.encode(exponent));
        Ok(Self {
            kid: thumbprint(&n, &e),
            n,
            e,
            bits,
        })
    }
}

/// The RFC 7638 SHA-256 thumbprint of an RSA JWK with members `n` and `e`
/// (base64url): SHA-256 of the required members, in lexicographic order, without
/// whitespace (§3.2, §3.3).
#[must_use]
pub fn thumbprint(n: &str, e: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
    use sha2::{Digest, Sha256};
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    B64URL.encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod key_tests {
    use super::*;

    /// RFC 7638 §3.1's example key: its thumbprint is given there.
    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn keys_that_are_not_rsa_pkcs8_are_refused() {
        assert_eq!(
            PublicJwk::from_pkcs8("not base64 !"),
            Err(KeyError::Encoding)
        );
        assert_eq!(PublicJwk::from_pkcs8("AAAA"), Err(KeyError::NotRsa));
    }
}
