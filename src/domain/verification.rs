//! Domains an organization proves it controls, and the lifecycle of that proof
//! (PRODUCT.md §7 "Domains").
//!
//! ```text
//!   add ──► Pending ──(record found)──► Verified ──(found)──► Verified (misses = 0)
//!            │  ▲                         │
//!            │  │ 3rd daily miss          │ miss (misses + 1, re-check in a day)
//!            │  └─────────────────────────┘
//!            │ (not found, 30 days after being added or dropped back)
//!            ▼
//!          Failed
//! ```
//!
//! Checks of a pending domain back off ([`PENDING_BACKOFF_MINUTES`]); verified domains
//! are re-checked daily. A resolver that cannot answer is not a check: the state stays
//! as it is (the caller makes no transition).

use super::time::{Timestamp, DAY_MS, MINUTE_MS};
use super::validation::FieldError;

/// How long a domain may stay pending before it fails.
pub const PENDING_DAYS: i64 = 30;
/// Consecutive daily misses that drop a verified domain back to pending.
pub const MISSES_TO_PENDING: u32 = 3;
/// Waits between automatic checks of a pending domain; the last repeats.
pub const PENDING_BACKOFF_MINUTES: [i64; 5] = [5, 30, 120, 720, 1440];

/// Providers of free mailboxes: their domains cannot belong to an organization.
pub const FREE_MAIL: &[&str] = &[
    "163.com",
    "aol.com",
    "fastmail.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hey.com",
    "hotmail.com",
    "icloud.com",
    "live.com",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "naver.com",
    "outlook.com",
    "pm.me",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "t-online.de",
    "tutanota.com",
    "web.de",
    "yahoo.co.jp",
    "yahoo.co.uk",
    "yahoo.com",
    "yahoo.fr",
    "yandex.com",
    "yandex.ru",
    "ymail.com",
    "zoho.com",
];

/// A domain name as organizations claim it: lower case, ASCII (IDNs in punycode), no
/// final dot, at least two labels, not an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName(String);

const INVALID: FieldError = FieldError::new(
    "domain",
    "invalid_domain",
    "Enter a domain name such as example.com (no scheme, path or IP address).",
);

impl DomainName {
    /// Validates and normalises `input` (international names become punycode).
    ///
    /// # Errors
    /// `invalid_domain`, or `free_mail_domain` for a free-mail provider's domain.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let trimmed = input.trim().trim_end_matches('.');
        if trimmed.is_empty() || trimmed.contains(['/', ':', '@', ' ']) {
            return Err(INVALID);
        }
        let ascii = idna::domain_to_ascii(trimmed).map_err(|_| INVALID)?;
        let labels: Vec<&str> = ascii.split('.').collect();
        let valid = ascii.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            // A numeric last label means an IPv4 address (or nonsense).
            && labels.last().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
        if !valid {
            return Err(INVALID);
        }
        if FREE_MAIL.contains(&ascii.as_str()) {
            return Err(FieldError::new(
                "domain",
                "free_mail_domain",
                "Free-mail domains such as gmail.com cannot belong to an organization.",
            ));
        }
        Ok(Self(ascii))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the TXT record is published.
    #[must_use]
    pub fn challenge_name(&self) -> String {
        format!("_orgpass-challenge.{}", self.0)
    }
}

/// A domain's verification state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainState {
    /// Waiting for the record.
    Pending {
        /// When the domain was added (or dropped back): the 30 days count from here.
        since: Timestamp,
        /// Automatic checks made so far (for the back-off).
        checks: u32,
        /// When the Cron checks next.
        next_check: Timestamp,
    },
    /// The record was found.
    Verified {
        /// When it was first found.
        verified_at: Timestamp,
        /// Consecutive daily checks that did not find it.
        misses: u32,
        /// When the Cron checks next.
        next_check: Timestamp,
    },
    /// Not verified within 30 days; the administrator may delete and add it again.
    Failed {
        /// When it failed.
        at: Timestamp,
    },
}

/// A [`DomainState`] as the database stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// `pending`, `verified` or `failed`.
    pub status: &'static str,
    /// Pending since.
    pub since: Option<Timestamp>,
    /// Pending: automatic checks so far.
    pub checks: u32,
    /// Next automatic check.
    pub next_check: Option<Timestamp>,
    /// Verified at.
    pub verified_at: Option<Timestamp>,
    /// Verified: consecutive misses.
    pub misses: u32,
    /// Failed at.
    pub failed_at: Option<Timestamp>,
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The expected value is among the TXT records.
    Found,
    /// It is not (no record, or other values).
    NotFound,
}

fn backoff(checks: u32) -> i64 {
    let i = usize::try_from(checks).unwrap_or(usize::MAX);
    PENDING_BACKOFF_MINUTES
        .get(i)
        .or(PENDING_BACKOFF_MINUTES.last())
        .copied()
        .unwrap_or(1440)
        * MINUTE_MS
}

impl DomainState {
    /// A domain just added.
    #[must_use]
    pub fn added(now: Timestamp) -> Self {
        Self::Pending {
            since: now,
            checks: 0,
            next_check: now.plus_millis(backoff(0)),
        }
    }

    /// Whether the Cron should check it at `now`.
    #[must_use]
    pub fn due(self, now: Timestamp) -> bool {
        match self {
            Self::Pending { next_check, .. } | Self::Verified { next_check, .. } => {
                next_check <= now
            }
            Self::Failed { .. } => false,
        }
    }

    /// The state after a check at `now` (on demand or by the Cron).
    #[must_use]
    pub fn after(self, check: Check, now: Timestamp) -> Self {
        match (self, check) {
            (Self::Failed { .. }, _) => self,
            (Self::Pending { .. }, Check::Found) | (Self::Verified { .. }, Check::Found) => {
                Self::Verified {
                    verified_at: match self {
                        Self::Verified { verified_at, .. } => verified_at,
                        _ => now,
                    },
                    misses: 0,
                    next_check: now.plus_millis(DAY_MS),
                }
            }
            (Self::Pending { since, checks, .. }, Check::NotFound) => {
                if now >= since.plus_days(PENDING_DAYS) {
                    Self::Failed { at: now }
                } else {
                    let checks = checks.saturating_add(1);
                    Self::Pending {
                        since,
                        checks,
                        next_check: now.plus_millis(backoff(checks)),
                    }
                }
            }
            (
                Self::Verified {
                    verified_at,
                    misses,
                    ..
                },
                Check::NotFound,
            ) => {
                let misses = misses.saturating_add(1);
                if misses >= MISSES_TO_PENDING {
                    Self::added(now)
                } else {
                    Self::Verified {
                        verified_at,
                        misses,
                        next_check: now.plus_millis(DAY_MS),
                    }
                }
            }
        }
    }

    /// The stored columns.
    #[must_use]
    pub const fn columns(self) -> Columns {
        let none = Columns {
            status: "",
            since: None,
            checks: 0,
            next_check: None,
            verified_at: None,
            misses: 0,
            failed_at: None,
        };
        match self {
            Self::Pending {
                since,
                checks,
                next_check,
            } => Columns {
                status: "pending",
                since: Some(since),
                checks,
                next_check: Some(next_check),
                ..none
            },
            Self::Verified {
                verified_at,
                misses,
                next_check,
            } => Columns {
                status: "verified",
                next_check: Some(next_check),
                verified_at: Some(verified_at),
                misses,
                ..none
            },
            Self::Failed { at } => Columns {
                status: "failed",
                failed_at: Some(at),
                ..none
            },
        }
    }

    /// Reads the stored columns back (`None` when they do not make a state).
    #[must_use]
    pub fn from_columns(c: &Columns) -> Option<Self> {
        Some(match c.status {
            "pending" => Self::Pending {
                since: c.since?,
                checks: c.checks,
                next_check: c.next_check?,
            },
            "verified" => Self::Verified {
                verified_at: c.verified_at?,
                misses: c.misses,
                next_check: c.next_check?,
            },
            "failed" => Self::Failed { at: c.failed_at? },
            _ => return None,
        })
    }

    /// The stable name (`pending`, `verified`, `failed`).
    #[must_use]
    pub const fn status(self) -> &'static str {
        match self {
            Self::Pending { .. } => "pending",
            Self::Verified { .. } => "verified",
            Self::Failed { .. } => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + minutes * MINUTE_MS)
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(
            DomainName::parse(" Acme-Example.COM. ").unwrap().as_str(),
            "acme-example.com"
        );
        assert_eq!(
            DomainName::parse("bücher.example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            DomainName::parse("acme-example.com")
                .unwrap()
                .challenge_name(),
            "_orgpass-challenge.acme-example.com"
        );
    }

    #[test]
    fn refuses_what_is_not_a_domain_of_an_organization() {
        for bad in [
            "",
            "localhost",
            "192.168.0.1",
            "10.0.0.1.",
            "::1",
            "[2001:db8::1]",
            "https://acme.com",
            "acme.com/path",
            "user@acme.com",
            "-acme.com",
            "acme-.com",
            "a..com",
            "acme .com",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert!(
                matches!(DomainName::parse(bad), Err(e) if e.code == "invalid_domain"),
                "{bad:?}"
            );
        }
        for free in ["gmail.com", "GMAIL.com.", "outlook.com", "proton.me"] {
            assert!(
                matches!(DomainName::parse(free), Err(e) if e.code == "free_mail_domain"),
                "{free}"
            );
        }
    }

    /// Walks every transition.
    #[test]
    fn lifecycle() {
        let s = DomainState::added(t(0));
        assert_eq!(s.status(), "pending");
        assert!(!s.due(t(4)) && s.due(t(5)));
        // Pending checks back off: 5 min, then 30, 120, 720, 1440, 1440, …
        let s = s.after(Check::NotFound, t(5));
        assert_eq!(
            s,
            DomainState::Pending {
                since: t(0),
                checks: 1,
                next_check: t(35)
            }
        );
        let s = s.after(Check::NotFound, t(35));
        assert!(
            matches!(s, DomainState::Pending { checks: 2, next_check, .. } if next_check == t(155))
        );
        // Found: verified, re-checked daily.
        let v = s.after(Check::Found, t(200));
        assert_eq!(
            v,
            DomainState::Verified {
                verified_at: t(200),
                misses: 0,
                next_check: t(200 + 1440)
            }
        );
        // Two misses keep it verified; a find resets the count; the third miss in a row
        // drops it back to pending, counting 30 days afresh.
        let v1 = v.after(Check::NotFound, t(1640));
        let v2 = v1.after(Check::NotFound, t(3080));
        assert!(
            matches!(v2, DomainState::Verified { misses: 2, verified_at, .. } if verified_at == t(200))
        );
        assert!(matches!(
            v2.after(Check::Found, t(4520)),
            DomainState::Verified { misses: 0, .. }
        ));
        let dropped = v2.after(Check::NotFound, t(4520));
        assert_eq!(dropped, DomainState::added(t(4520)));
        // Still not found 30 days after: failed, and never checked again.
        let failed = dropped.after(Check::NotFound, t(4520 + 30 * 1440));
        assert_eq!(
            failed,
            DomainState::Failed {
                at: t(4520 + 30 * 1440)
            }
        );
        assert!(!failed.due(t(i64::from(i32::MAX))));
        for s in [dropped, v2, failed] {
            assert_eq!(DomainState::from_columns(&s.columns()), Some(s));
        }
        let broken = Columns {
            next_check: None,
            ..dropped.columns()
        };
        assert_eq!(DomainState::from_columns(&broken), None);
        assert_eq!(failed.after(Check::Found, t(99_999)), failed);
        // Back-off stays at a day once the table runs out.
        let mut p = DomainState::added(t(0));
        for i in 0..10 {
            p = p.after(Check::NotFound, t(i * 10));
        }
        assert!(matches!(p, DomainState::Pending { next_check, .. } if next_check == t(90 + 1440)));
    }
}
