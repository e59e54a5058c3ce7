//! Accounts: display names, password policy and the stored password record.
//!
//! docs/product.md §1: passwords have at least 10 characters and are hashed with
//! PBKDF2-HMAC-SHA256 with a per-account random salt and a stored iteration count, so
//! the count can be raised later (a record with fewer iterations than
//! [`PASSWORD_ITERATIONS`] still verifies). The derivation itself is a port
//! (`orgpass_app::ports::PasswordHasher`): WebCrypto at the edge, a native implementation in
//! tests.

use base64::{engine::general_purpose::STANDARD_NO_PAD as B64, Engine};
use subtle::ConstantTimeEq;

use super::validation::FieldError;

/// Iterations for new password records: workerd's WebCrypto maximum.
pub const PASSWORD_ITERATIONS: u32 = 100_000;
/// Bytes of salt for new password records.
pub const SALT_LEN: usize = 16;
/// Bytes of derived key stored.
pub const HASH_LEN: usize = 32;
/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password, in bytes (bounds the hashing work an anonymous caller
/// can ask for).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A person's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Validates and trims `input`.
    ///
    /// # Errors
    /// `invalid_name` when empty, longer than 100 characters or with control
    /// characters.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        super::validation::bounded_name(input).map(Self)
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password a person chose, accepted by the policy. Never logged, never stored.
pub struct Password(String);

impl Password {
    /// Checks the policy for a new password.
    ///
    /// # Errors
    /// `password_too_short` under [`MIN_PASSWORD_CHARS`] characters,
    /// `password_too_long` over [`MAX_PASSWORD_BYTES`] bytes.
    pub fn new_password(input: &str) -> Result<Self, FieldError> {
        if input.chars().count() < MIN_PASSWORD_CHARS {
            return Err(FieldError::new(
                "password",
                "password_too_short",
                "Use at least 10 characters.",
            ));
        }
        if input.len() > MAX_PASSWORD_BYTES {
            return Err(FieldError::new(
                "password",
                "password_too_long",
                "Use at most 1024 bytes.",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    /// A password typed at login: no policy beyond the size bound, since old
    /// passwords must keep working if the policy tightens.
    ///
    /// # Errors
    /// `password_too_long` over [`MAX_PASSWORD_BYTES`] bytes.
    pub fn attempt(input: &str) -> Result<Self, FieldError> {
        if input.len() > MAX_PASSWORD_BYTES {
            return Err(FieldError::new(
                "password",
                "password_too_long",
                "Use at most 1024 bytes.",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    /// The secret, for the hasher only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A stored password: algorithm, iterations, salt and derived key, encoded as
/// `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRecord {
    /// PBKDF2 iteration count used for this record.
    pub iterations: u32,
    /// Per-account random salt.
    pub salt: Vec<u8>,
    /// The derived key.
    pub hash: [u8; HASH_LEN],
}

/// A stored password record that could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedPasswordRecord;

const SCHEME: &str = "pbkdf2-sha256";

impl PasswordRecord {
    /// The storage form.
    #[must_use]
    pub fn encode(&self) -> String {
        format!(
            "{SCHEME}${}${}${}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(self.hash)
        )
    }

    /// Reads the storage form.
    ///
    /// # Errors
    /// [`MalformedPasswordRecord`] for another scheme or a damaged value.
    pub fn decode(stored: &str) -> Result<Self, MalformedPasswordRecord> {
        let mut parts = stored.split('$');
        let (Some(SCHEME), Some(iterations), Some(salt), Some(hash), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(MalformedPasswordRecord);
        };
        let iterations = iterations
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(MalformedPasswordRecord)?;
        let salt = B64.decode(salt).map_err(|_| MalformedPasswordRecord)?;
        let hash: [u8; HASH_LEN] = B64
            .decode(hash)
            .ok()
            .and_then(|h| h.try_into().ok())
            .ok_or(MalformedPasswordRecord)?;
        Ok(Self {
            iterations,
            salt,
            hash,
        })
    }

    /// Whether `derived` (the key derived from an attempt with this record's salt and
    /// iterations) is this record's key, compared in constant time.
    #[must_use]
    pub fn matches(&self, derived: &[u8; HASH_LEN]) -> bool {
        self.hash.ct_eq(derived).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
        for bad in ["", "   ", "a\u{0}b", "line\nbreak"] {
            assert!(matches!(DisplayName::parse(bad), Err(e) if e.code == "invalid_name"));
        }
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
    }

    #[test]
    fn password_policy_counts_characters_not_bytes() {
        assert!(matches!(
            Password::new_password("123456789"),
            Err(e) if e.code == "password_too_short"
        ));
        assert!(Password::new_password("1234567890").is_ok());
        // Nine two-byte characters are still nine characters.
        assert!(Password::new_password(&"é".repeat(9)).is_err());
        assert!(matches!(
            Password::new_password(&"x".repeat(1025)),
            Err(e) if e.code == "password_too_long"
        ));
        // Login attempts are not held to the sign-up policy.
        assert!(Password::attempt("short").is_ok());
        assert!(Password::attempt(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = Password::new_password("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(..)");
    }

    #[test]
    fn record_round_trips_and_rejects_damage() {
        let record = PasswordRecord {
            iterations: PASSWORD_ITERATIONS,
            salt: vec![7; SALT_LEN],
            hash: [9; HASH_LEN],
        };
        let encoded = record.encode();
        assert!(encoded.starts_with("pbkdf2-sha256$100000$"));
        assert_eq!(PasswordRecord::decode(&encoded).unwrap(), record);
        assert!(record.matches(&[9; HASH_LEN]));
        assert!(!record.matches(&[8; HASH_LEN]));
        for bad in [
            "",
            "bcrypt$10$x$y",
            "pbkdf2-sha256$0$AAAA$AAAA",
            "pbkdf2-sha256$x$AAAA$AAAA",
            "pbkdf2-sha256$100$AAAA$AAAA",
            &format!("{encoded}$extra"),
        ] {
            assert_eq!(
                PasswordRecord::decode(bad),
                Err(MalformedPasswordRecord),
                "{bad}"
            );
        }
    }
}
