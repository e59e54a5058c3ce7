//! The failed-login limit (docs/api.md): at most 10 failures per account and 50 per client
//! IP in 15 minutes; past that, logins are refused with a time to wait.
//!
//! Counting uses fixed 15-minute windows aligned to the epoch: one counter row per key
//! and window. An attempt **reserves** its place before the password is derived: one
//! conditional upsert counts it against both keys only while both are below their
//! limits ([`may_reserve`] is that condition), so parallel attempts cannot all pass a
//! check made before any was counted. A success gives its place back. A burst that
//! straddles a window boundary can reach twice the limit; that bound is what the
//! simpler bookkeeping costs.

use super::time::{Timestamp, MINUTE_MS};

/// Length of a counting window.
pub const WINDOW_MS: i64 = 15 * MINUTE_MS;
/// Failures allowed per account (by normalised email) in a window.
pub const PER_ACCOUNT: i64 = 10;
/// Failures allowed per client IP in a window.
pub const PER_IP: i64 = 50;
/// Single sign-on logins a client IP may start in a window (`/login/sso` writes a row
/// per start, without authentication). Generous: a company behind one address starts
/// many in the morning.
pub const SSO_STARTS_PER_IP: i64 = 100;
/// Emailed links (password reset, verification resend) an address may be sent in a
/// window, whether or not it has an account (the limit tells nothing either way).
pub const LINKS_PER_EMAIL: i64 = 3;
/// Emailed-link requests a client IP may make in a window.
pub const LINKS_PER_IP: i64 = 20;

/// The window that `now` falls in, by its start.
#[must_use]
pub fn window_start(now: Timestamp) -> Timestamp {
    Timestamp::from_millis(now.millis() - now.millis().rem_euclid(WINDOW_MS))
}

/// Refusal: the caller must wait this many whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub i64);

/// Whether one more attempt may be reserved given the attempts already counted in the
/// current window (the stores evaluate this inside their conditional write).
#[must_use]
pub const fn may_reserve(account_count: i64, ip_count: i64) -> bool {
    account_count < PER_ACCOUNT && ip_count < PER_IP
}

/// The wait a refused attempt is told: whole seconds until its window ends, never 0.
#[must_use]
pub fn retry_after(now: Timestamp) -> RetryAfter {
    let end = window_start(now).millis() + WINDOW_MS;
    RetryAfter(((end - now.millis() + 999) / 1000).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_quarter_hours() {
        let t = Timestamp::from_millis(WINDOW_MS * 7 + 1234);
        assert_eq!(window_start(t).millis(), WINDOW_MS * 7);
        assert_eq!(
            window_start(Timestamp::from_millis(WINDOW_MS * 7)).millis(),
            WINDOW_MS * 7
        );
    }

    #[test]
    fn limits_refuse_at_the_threshold_with_time_to_window_end() {
        let now = Timestamp::from_millis(WINDOW_MS * 3 + 60_000);
        assert!(may_reserve(9, 49));
        assert!(!may_reserve(10, 0));
        assert!(!may_reserve(0, 50));
        assert_eq!(retry_after(now), RetryAfter(14 * 60));
        // Rounded up, never zero.
        let last_ms = Timestamp::from_millis(WINDOW_MS * 4 - 1);
        assert_eq!(retry_after(last_ms), RetryAfter(1));
    }
}
