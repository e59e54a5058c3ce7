//! Email addresses, in one canonical form built on construction.
//!
//! docs/product.md §1: emails are unique and compared case-insensitively after trimming.
//! The canonical form is what every place that stores or compares an address uses
//! (sign-up, login, invitations, managed accounts, the SAML NameID), so it must never
//! let two different addresses meet:
//!
//! - only ASCII whitespace is trimmed, and only ASCII letters are case-folded in the
//!   local part: Unicode case mapping would turn U+212A KELVIN SIGN into `k` and let
//!   `\u{212A}arl@…` log in as `karl@…`;
//! - the local part is printable ASCII (`atext` and dots); what it cannot represent
//!   faithfully (non-ASCII letters, confusables such as dotless i, long s, fullwidth
//!   letters, NBSP) is refused rather than folded;
//! - the domain is IDNA-normalised (UTS #46, the mapping browsers and resolvers apply,
//!   then punycode), so it compares as DNS does, and must then be letter-digit-hyphen
//!   labels.
//!
//! Validation is otherwise practical (what sign-up forms of WorkOS or Auth0 accept):
//! one `@`, no quotes, at least two domain labels.

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
        let trimmed = input.trim_matches(|c: char| c.is_ascii_whitespace());
        if trimmed.len() > 254 {
            return Err(INVALID);
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(INVALID)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
        if !local_ok || domain.is_empty() {
            return Err(INVALID);
        }
        let domain = if domain.is_ascii() {
            domain.to_ascii_lowercase()
        } else {
            idna::domain_to_ascii(domain).map_err(|_| INVALID)?
        };
        if !valid_domain(&domain) {
            return Err(INVALID);
        }
        let email = format!("{}@{domain}", local.to_ascii_lowercase());
        if email.len() > 254 {
            return Err(INVALID);
        }
        Ok(Self(email))
    }

    /// An address read back from the system of record, where only [`Email::parse`]'s
    /// output is ever written; kept as stored (an address stored under an older rule
    /// still reads, and simply never matches new input that the rule now refuses).
    #[must_use]
    pub fn from_stored(stored: &str) -> Self {
        Self(stored.to_owned())
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
    fn folds_only_ascii_and_refuses_confusables() {
        // Each of these looks like (or Unicode-folds to) an ASCII address; none may
        // become one.
        for confusable in [
            "\u{212A}arl@corp.example",     // KELVIN SIGN
            "karl\u{0131}@corp.example",    // dotless i
            "\u{017F}am@corp.example",      // long s (upper-cases to S)
            "\u{FF4B}arl@corp.example",     // fullwidth k
            "karl\u{00A0}@corp.example",    // NBSP inside
            "\u{00A0}karl@corp.example",    // NBSP as "whitespace"
            "karl@corp.example\u{00A0}",    // NBSP at the end
            "\u{0130}stanbul@corp.example", // dotted capital I
            "stra\u{00DF}e@corp.example",   // sharp s
        ] {
            assert!(
                matches!(Email::parse(confusable), Err(e) if e.code == "invalid_email"),
                "{confusable:?}"
            );
        }
        // ASCII case and ASCII whitespace fold; nothing else.
        assert_eq!(
            Email::parse("\t KARL@Corp.Example\r\n").unwrap().as_str(),
            "karl@corp.example"
        );
        // The domain is IDNA-normalised: fullwidth letters map as DNS maps them, and
        // international names become punycode.
        assert_eq!(
            Email::parse("karl@\u{FF43}orp.example").unwrap().as_str(),
            "karl@corp.example"
        );
        let idn = Email::parse("karl@B\u{00FC}cher.example").unwrap();
        assert_eq!(idn.as_str(), "karl@xn--bcher-kva.example");
        assert_eq!(idn.domain(), "xn--bcher-kva.example");
        assert_eq!(idn, Email::parse("KARL@xn--BCHER-kva.example").unwrap());
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
