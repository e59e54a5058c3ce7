//! Email addresses, normalised on construction.
//!
//! PRODUCT.md §1: emails are unique and compared case-insensitively after trimming,
//! so the normal form is the trimmed, lower-cased address. Validation is deliberately
//! practical (what sign-up forms of WorkOS or Auth0 accept): one `@`, a local part of
//! printable characters without spaces or quotes, and a domain of at least two
//! letter-digit-hyphen labels.

use std::fmt;

use super::validation::FieldError;

/// A valid, normalised email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

const INVALID: FieldError = FieldError::new(
    "email",
    "invalid_email",
    "Enter a valid email address, like name@example.com.",
);

impl Email {
    /// Validates and normalises `input`.
    ///
    /// # Errors
    /// [`FieldError`] `invalid_email` when the address is malformed or too long.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let email = input.trim().to_lowercase();
        if email.len() > 254 {
            return Err(INVALID);
        }
        let (local, domain) = email.split_once('@').ok_or(INVALID)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.bytes().all(|b| {
                b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b) || b >= 0x80
            });
        if !local_ok || !valid_domain(domain) {
            return Err(INVALID);
        }
        Ok(Self(email))
    }

    /// The normalised address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    #[must_use]
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
        assert_eq!(email.domain(), "example.com");
        assert_eq!(email, Email::parse("ada.lovelace@example.com").unwrap());
    }

    #[test]
    fn accepts_common_forms() {
        for ok in ["a@b.co", "first+tag@sub.example.org", "o'brien@x-y.example"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_malformed() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long = format!("a@{}.com", "b".repeat(250));
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a b@example.com",
            "a@@example.com",
            "a@exa mple.com",
            "a@-example.com",
            "a@example.-com",
            "a@example..com",
            ".a@example.com",
            "a..b@example.com",
            "\"quoted\"@example.com",
            "a@example.123",
            long_local.as_str(),
            long.as_str(),
        ] {
            assert!(
                matches!(Email::parse(bad), Err(e) if e.code == "invalid_email"),
                "{bad:?}"
            );
        }
    }
}
