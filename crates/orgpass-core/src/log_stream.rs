//! Log streaming (docs/api.md "Audit log"): an organization's endpoint receives its
//! events as signed JSON POSTs, in order, at least once. The queue is the log itself: a
//! stream remembers the last event it delivered, and every later event is waiting. This
//! module holds the rules the delivery follows; the Cron delivers.

use crate::{stripe, validation::FieldError, Timestamp};

/// Events per POST at most.
pub const BATCH: u32 = 100;

/// Streams the Cron delivers to per run at most (each is one `fetch`, inside the
/// Workers Free plan's 50 subrequests beside the run's other work).
pub const STREAMS_PER_RUN: u32 = 10;

/// How long one POST may take before it counts as failed.
pub const TIMEOUT_SECONDS: u32 = 10;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Orgpass-Signature";

/// Bytes of a stream's signing secret.
pub const SECRET_BYTES: usize = 32;

/// An endpoint an organization may register: HTTPS (or HTTP to a loopback address, for
/// development), no credentials in it, no fragment (as back-channel logout URIs).
///
/// # Errors
/// `invalid_url`.
pub fn endpoint(url: &str) -> Result<String, FieldError> {
    if crate::oidc::acceptable_uri(url) {
        Ok(url.to_owned())
    } else {
        Err(FieldError::new(
            "url",
            "invalid_url",
            "Give an https:// address without credentials or a #fragment.",
        ))
    }
}

/// When a stream whose delivery failed `attempts` times in a row (now counting the
/// failure just made) is tried again: after 1, 2, 4 … minutes, at most 6 hours apart.
#[must_use]
pub fn next_attempt(now: Timestamp, attempts: u32) -> Timestamp {
    let minutes = 1_i64 << attempts.saturating_sub(1).min(9);
    now.plus_millis(minutes.min(360) * 60_000)
}

/// The signature header of `body` sent at `now` with `secret`: Stripe's scheme,
/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, so a receiver can use the code
/// it already has for Stripe's webhooks, and the timestamp bounds replays.
#[must_use]
pub fn signature(secret: &[u8], now: Timestamp, body: &[u8]) -> Option<String> {
    stripe::sign(body, secret, now.millis() / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_or_loopback() {
        assert!(endpoint("https://siem.example.com/hook").is_ok());
        assert!(endpoint("http://127.0.0.1:9000/hook").is_ok());
        for bad in [
            "http://siem.example.com/hook",
            "https://user:pw@siem.example.com/",
            "https://siem.example.com/#x",
            "ftp://siem.example.com/",
            "siem.example.com",
            "",
        ] {
            assert_eq!(endpoint(bad).unwrap_err().code, "invalid_url", "{bad}");
        }
    }

    #[test]
    fn retries_back_off_to_six_hours() {
        let now = Timestamp::from_millis(0);
        let minutes = |a| next_attempt(now, a).millis() / 60_000;
        assert_eq!(
            [1, 2, 3, 4, 9, 10, 40].map(minutes),
            [1, 2, 4, 8, 256, 360, 360]
        );
    }

    #[test]
    fn the_signature_is_stripes() {
        let now = Timestamp::from_millis(1_700_000_000_000);
        let header = signature(b"whsec", now, b"{}").unwrap();
        assert!(header.starts_with("t=1700000000,v1="), "{header}");
        assert!(stripe::verify(Some(&header), b"{}", b"whsec", now).is_ok());
        assert!(stripe::verify(Some(&header), b"{ }", b"whsec", now).is_err());
    }
}
