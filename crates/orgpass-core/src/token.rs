//! Secret tokens (sessions, email verification, later invitations and password
//! links) and their hashes.
//!
//! A token is 256 random bits, shown once (cookie, bearer, email link) as 43
//! characters of base64url. Only its SHA-256 hash is stored, so a copy of the
//! database cannot be replayed as credentials.

use std::fmt;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use sha2::{Digest, Sha256};

/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;

/// A secret token as handed to its holder. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// A token from [`TOKEN_BYTES`] random bytes.
    #[must_use]
    pub fn from_random(random: &[u8; TOKEN_BYTES]) -> Self {
        Self(B64URL.encode(random))
    }

    /// A token presented by a client. Anything that cannot be a token of ours (wrong
    /// length or alphabet) is refused before any lookup.
    #[must_use]
    pub fn parse(input: &str) -> Option<Self> {
        let ok = input.len() == 43
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(input.to_owned()))
    }

    /// The secret, to give to its holder (cookie, response body, email link).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash under which the token is stored.
    #[must_use]
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(..)")
    }
}

/// SHA-256 of a token: what the database keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// Lower-case hex, the storage form.
    #[must_use]
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The raw digest.
    #[must_use]
    pub const fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Reads the storage form back (`None` for anything but 64 hex digits).
    #[must_use]
    pub fn from_hex(hex: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex, &mut out).ok()?;
        Some(Self(out))
    }

    /// Compares in constant time (for digests of secrets a client presents).
    #[must_use]
    pub fn matches(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.0.ct_eq(&other.0).into()
    }
}

/// An opaque identifier with a type prefix (`acct_…`, `mail_…`): 128 random bits as
/// lower-case hex. Not secret; unguessable so that ids leak nothing about volume.
#[must_use]
pub fn new_id(prefix: &str, random: &[u8; 16]) -> String {
    let mut id = String::with_capacity(prefix.len() + 33);
    id.push_str(prefix);
    id.push('_');
    for b in random {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_characters_and_parse_back() {
        let token = SecretToken::from_random(&[0xfb; TOKEN_BYTES]);
        assert_eq!(token.expose().len(), 43);
        assert_eq!(SecretToken::parse(token.expose()), Some(token.clone()));
        assert!(SecretToken::parse("short").is_none());
        assert!(SecretToken::parse(&"+".repeat(43)).is_none());
        assert_eq!(format!("{token:?}"), "SecretToken(..)");
    }

    #[test]
    fn the_hash_is_sha256_of_the_token_text() {
        // sha256("abc"), FIPS 180-2 appendix B.1, checks the hashing, not only its shape.
        let abc = SecretToken("abc".to_owned());
        assert_eq!(
            abc.hash().to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let a = SecretToken::from_random(&[1; TOKEN_BYTES]);
        let b = SecretToken::from_random(&[2; TOKEN_BYTES]);
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn ids_carry_their_prefix() {
        assert_eq!(
            new_id("acct", &[0xab; 16]),
            format!("acct_{}", "ab".repeat(16))
        );
    }
}
