//! OpenID Connect provider rules that need no IO: what a client registration may
//! contain (docs/api.md "Products sign in").
//!
//! - A **redirect URI** (and a post-logout redirect or back-channel logout URI) is an
//!   absolute `https` URL, or `http` on a loopback host (RFC 8252 §7.3, for development),
//!   without a fragment (OAuth 2.0 §3.1.2) and without user information. It is stored
//!   exactly as registered: the authorization endpoint compares strings, never a
//!   normalised form, so what was registered is what matches.

use super::{
    organization::Product,
    validation::{bounded_name, FieldError, Invalid},
};

/// The longest URI a client may register.
pub const URI_MAX: usize = 2000;
/// The most URIs of one kind a client may register.
pub const URIS_MAX: usize = 20;

/// A client registration as the operator asks for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRegistration {
    /// Name shown to people and the operator.
    pub name: String,
    /// The catalogue product it signs people into.
    pub product: &'static str,
    /// The exact redirect URIs (at least one).
    pub redirect_uris: Vec<String>,
    /// The exact URIs RP-initiated logout may return to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Where Back-Channel Logout tokens are posted.
    pub backchannel_logout_uri: Option<String>,
}

/// Whether `input` may be registered as a redirect-like URI.
#[must_use]
pub fn acceptable_uri(input: &str) -> bool {
    if input.len() > URI_MAX || input != input.trim() {
        return false;
    }
    let Ok(url) = url::Url::parse(input) else {
        return false;
    };
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    scheme_ok
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.fragment().is_none()
        && !input.contains('#')
        && url.username().is_empty()
        && url.password().is_none()
}

fn uris(
    list: &[String],
    field: &'static str,
    code: &'static str,
    message: &'static str,
) -> Result<Vec<String>, FieldError> {
    if list.len() > URIS_MAX || !list.iter().all(|u| acceptable_uri(u)) {
        return Err(FieldError::new(field, code, message));
    }
    let mut unique: Vec<String> = Vec::with_capacity(list.len());
    for uri in list {
        if !unique.contains(uri) {
            unique.push(uri.clone());
        }
    }
    Ok(unique)
}

impl ClientRegistration {
    /// Checks a registration.
    ///
    /// # Errors
    /// [`Invalid`] naming each refused field: `invalid_name`, `unknown_product`,
    /// `invalid_redirect_uri` (also for none at all), `invalid_post_logout_redirect_uri`,
    /// `invalid_backchannel_logout_uri`.
    pub fn check(
        name: &str,
        product: &str,
        redirect_uris: &[String],
        post_logout_redirect_uris: &[String],
        backchannel_logout_uri: Option<&str>,
    ) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let name = invalid.check(bounded_name(name));
        let product = invalid.check(Product::parse(product));
        let redirect = invalid.check(if redirect_uris.is_empty() {
            Err(FieldError::new(
                "redirect_uris",
                "invalid_redirect_uri",
                "Give at least one redirect URI.",
            ))
        } else {
            uris(
                redirect_uris,
                "redirect_uris",
                "invalid_redirect_uri",
                "Each redirect URI must be an absolute https URL (http only on a loopback host), without a fragment.",
            )
        });
        let post_logout = invalid.check(uris(
            post_logout_redirect_uris,
            "post_logout_redirect_uris",
            "invalid_post_logout_redirect_uri",
            "Each post-logout redirect URI must be an absolute https URL (http only on a loopback host), without a fragment.",
        ));
        let backchannel = invalid.check(match backchannel_logout_uri {
            Some(uri) if !acceptable_uri(uri) => Err(FieldError::new(
                "backchannel_logout_uri",
                "invalid_backchannel_logout_uri",
                "The back-channel logout URI must be an absolute https URL (http only on a loopback host), without a fragment.",
            )),
            other => Ok(other.map(str::to_owned)),
        });
        invalid.into_result()?;
        match (name, product, redirect, post_logout, backchannel) {
            (Some(name), Some(product), Some(redirect_uris), Some(post), Some(backchannel)) => {
                Ok(Self {
                    name,
                    product: product.key,
                    redirect_uris,
                    post_logout_redirect_uris: post,
                    backchannel_logout_uri: backchannel,
                })
            }
            _ => Err(Invalid::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_http_without_fragments() {
        for ok in [
            "https://tracker.example.com/callback",
            "https://tracker.example.com/cb?x=1",
            "http://127.0.0.1:3000/callback",
            "http://localhost/cb",
            "http://[::1]:8080/cb",
        ] {
            assert!(acceptable_uri(ok), "{ok}");
        }
        for bad in [
            "http://tracker.example.com/callback",
            "https://tracker.example.com/cb#frag",
            "https://tracker.example.com/cb#",
            "/callback",
            "javascript:alert(1)",
            "https://user:pw@tracker.example.com/cb",
            " https://tracker.example.com/cb",
            "custom-scheme://cb",
            "",
        ] {
            assert!(!acceptable_uri(bad), "{bad}");
        }
        assert!(!acceptable_uri(&format!(
            "https://a.example/{}",
            "x".repeat(URI_MAX)
        )));
    }

    #[test]
    fn a_registration_names_every_refused_field() {
        let Err(invalid) = ClientRegistration::check(
            "",
            "spreadsheets",
            &[],
            &["http://x.example/".to_owned()],
            Some("ftp://x"),
        ) else {
            panic!()
        };
        let codes: Vec<&str> = invalid.0.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            [
                "invalid_name",
                "unknown_product",
                "invalid_redirect_uri",
                "invalid_post_logout_redirect_uri",
                "invalid_backchannel_logout_uri"
            ]
        );
        let ok = ClientRegistration::check(
            " Tracker web ",
            "tracker",
            &[
                "https://t.example/cb".to_owned(),
                "https://t.example/cb".to_owned(),
            ],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(ok.name, "Tracker web");
        assert_eq!(ok.redirect_uris, ["https://t.example/cb"]);
    }
}

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

/// The DER of a PKCS#8 key given as PEM or as one line of base64.
fn der_of(input: &str) -> Result<Vec<u8>, KeyError> {
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
