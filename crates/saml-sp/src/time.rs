//! Time as a value: the verifier never reads a clock. The caller reads it once (per
//! request, say) and passes a [`Timestamp`] in; orgpass uses this one type everywhere.

use chrono::{DateTime, SecondsFormat};

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60 * 1000;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

impl Timestamp {
    /// The instant `ms` milliseconds after the epoch.
    #[must_use]
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    #[must_use]
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This instant plus `ms` milliseconds (saturating).
    #[must_use]
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// This instant plus whole days.
    #[must_use]
    pub const fn plus_days(self, days: i64) -> Self {
        self.plus_millis(days.saturating_mul(DAY_MS))
    }

    /// Reads an RFC 3339 date-time (any offset, fractions allowed).
    #[must_use]
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| Self(t.timestamp_millis()))
    }

    /// RFC 3339 in UTC with second precision, e.g. `2026-11-23T12:00:00Z`.
    #[must_use]
    pub fn to_rfc3339(self) -> String {
        DateTime::from_timestamp_millis(self.0)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_utc() {
        assert_eq!(
            Timestamp::from_millis(0).to_rfc3339(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_millis(1_795_435_200_123).to_rfc3339(),
            "2026-11-23T12:00:00Z"
        );
    }

    #[test]
    fn adds_days() {
        let t = Timestamp::from_millis(1_000);
        assert_eq!(t.plus_days(2).millis(), 1_000 + 2 * DAY_MS);
        assert_eq!(
            Timestamp::from_millis(i64::MAX).plus_millis(1).millis(),
            i64::MAX
        );
    }
}
