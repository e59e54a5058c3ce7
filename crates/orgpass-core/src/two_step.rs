//! Two-step verification: time-based one-time passwords (RFC 6238 over RFC 4226's
//! HOTP: HMAC-SHA-1, 6 digits, 30-second steps) and single-use recovery codes.
//!
//! - A **secret** is 20 random bytes (RFC 4226 §4 recommends 160 bits), shown once as
//!   base32 and as an `otpauth://` URI (Google Authenticator's key-URI format, which
//!   every authenticator app reads).
//! - A **code** is accepted for the current step and one step either side (clock drift,
//!   RFC 6238 §5.2), and only for a step later than the last one accepted: a code
//!   works once ([`verify`] returns the step to store).
//! - **Recovery codes** are 80 random bits each, shown once as `xxxx-xxxx-xxxx-xxxx`
//!   (base32, lower case) and stored as SHA-256 digests; one works once ever.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::time::Timestamp;

/// Bytes of a TOTP secret.
pub const SECRET_BYTES: usize = 20;
/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one.
pub const DRIFT_STEPS: i64 = 1;
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes of one recovery code.
pub const RECOVERY_BYTES: usize = 10;
/// The issuer an authenticator app shows.
pub const ISSUER: &str = "orgpass";

/// A TOTP secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret([u8; SECRET_BYTES]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// A secret from random bytes.
    #[must_use]
    pub const fn from_random(bytes: [u8; SECRET_BYTES]) -> Self {
        Self(bytes)
    }

    /// The base32 form (no padding): what people type into an app, and the stored form.
    #[must_use]
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// Reads the base32 form back.
    #[must_use]
    pub fn from_base32(text: &str) -> Option<Self> {
        let bytes = BASE32_NOPAD.decode(text.as_bytes()).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// The `otpauth://totp/…` URI for `account` (its email), for the QR code.
    #[must_use]
    pub fn otpauth_uri(&self, account: &str) -> String {
        let label: String =
            form_urlencoded::byte_serialize(format!("{ISSUER}:{account}").as_bytes())
                .collect::<String>()
                // A label's space is %20 (the key-URI format), not form encoding's '+'.
                .replace('+', "%20");
        format!(
            "otpauth://totp/{label}?secret={}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            self.to_base32()
        )
    }
}

/// HOTP (RFC 4226 §5.3): the `digits`-digit code of `counter`.
#[must_use]
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC accepts a key of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest.last().copied().unwrap_or(0) & 0x0f);
    let window: [u8; 4] = digest
        .get(offset..offset + 4)
        .and_then(|s| s.try_into().ok())
        .unwrap_or([0; 4]);
    let binary = u32::from_be_bytes(window) & 0x7fff_ffff;
    binary % 10u32.pow(digits)
}

/// The step `now` falls in.
#[must_use]
pub const fn step_of(now: Timestamp) -> i64 {
    now.millis().div_euclid(STEP_SECONDS * 1000)
}

/// The code of `secret` at step `step`, as the app shows it (zero-padded).
#[must_use]
pub fn code_at(secret: &Secret, step: i64) -> String {
    let counter = u64::try_from(step).unwrap_or(0);
    format!(
        "{:0width$}",
        hotp(&secret.0, counter, DIGITS),
        width = DIGITS as usize
    )
}

/// A typed code without the spaces and dashes people add.
#[must_use]
pub fn normalize(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The step whose code `input` is, if it is one of the accepted steps around `now`
/// later than `last_used` (a code works once). Compared in constant time.
#[must_use]
pub fn verify(secret: &Secret, input: &str, now: Timestamp, last_used: Option<i64>) -> Option<i64> {
    let input = normalize(input);
    if input.len() != DIGITS as usize || !input.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_of(now);
    let mut found = None;
    for step in (current - DRIFT_STEPS)..=(current + DRIFT_STEPS) {
        let fresh = last_used.is_none_or(|last| step > last);
        let matches: bool = code_at(secret, step)
            .as_bytes()
            .ct_eq(input.as_bytes())
            .into();
        if matches && fresh && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Whether an organization that requires two-step verification (`required`) keeps an
/// account out: a normal account without it. Managed accounts are exempt (their IdP
/// decides how they sign in).
#[must_use]
pub const fn keeps_out(required: bool, managed: bool, enabled: bool) -> bool {
    required && !managed && !enabled
}

/// A recovery code as shown to its holder: `xxxx-xxxx-xxxx-xxxx`.
#[must_use]
pub fn recovery_code(random: &[u8; RECOVERY_BYTES]) -> String {
    let plain = BASE32_NOPAD.encode(random).to_ascii_lowercase();
    plain
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The stored digest of a recovery code as typed (spaces, dashes and case ignored).
#[must_use]
pub fn recovery_hash(input: &str) -> String {
    hex::encode(Sha256::digest(normalize(input).as_bytes()))
}

/// Whether `input` looks like a recovery code rather than a TOTP code.
#[must_use]
pub fn is_recovery_code(input: &str) -> bool {
    let n = normalize(input);
    n.len() == RECOVERY_BYTES * 8 / 5 && n.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows: the 20-byte ASCII key "12345678901234567890",
    /// T0 = 0, X = 30 s, 8 digits.
    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let key = b"12345678901234567890";
        let vectors: [(u64, u32); 6] = [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ];
        for (seconds, expected) in vectors {
            assert_eq!(hotp(key, seconds / 30, 8), expected, "T = {seconds}");
        }
    }

    /// RFC 4226 Appendix D: HOTP values of the same key for counters 0–9.
    #[test]
    fn rfc4226_appendix_d_vectors() {
        let key = b"12345678901234567890";
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(key, counter as u64, 6), *code);
        }
    }

    fn secret() -> Secret {
        Secret::from_random(*b"12345678901234567890")
    }

    #[test]
    fn a_code_is_accepted_around_now_and_once() {
        let now = Timestamp::from_millis(59_000);
        let s = secret();
        assert_eq!(code_at(&s, step_of(now)), "287082");
        assert_eq!(verify(&s, "287 082", now, None), Some(1));
        // Used: the same step is refused, a later one accepted.
        assert_eq!(verify(&s, "287082", now, Some(1)), None);
        assert_eq!(verify(&s, &code_at(&s, 2), now, Some(1)), Some(2));
        // One step of drift either way, not two.
        assert_eq!(verify(&s, &code_at(&s, 0), now, None), Some(0));
        assert_eq!(verify(&s, &code_at(&s, 3), now, None), None);
        assert_eq!(verify(&s, "12345", now, None), None);
        assert_eq!(verify(&s, "abcdef", now, None), None);
    }

    #[test]
    fn secrets_round_trip_through_base32_and_the_uri() {
        let s = secret();
        assert_eq!(s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(Secret::from_base32(&s.to_base32()), Some(s.clone()));
        assert_eq!(Secret::from_base32("GEZDGNBV"), None);
        assert_eq!(
            s.otpauth_uri("ada+x@example.com"),
            "otpauth://totp/orgpass%3Aada%2Bx%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=orgpass&algorithm=SHA1&digits=6&period=30"
        );
        assert!(!format!("{s:?}").contains("GEZ"));
    }

    #[test]
    fn recovery_codes_are_grouped_and_hashed_as_typed() {
        let code = recovery_code(&[0xff; RECOVERY_BYTES]);
        assert_eq!(code, "7777-7777-7777-7777");
        assert!(is_recovery_code(&code));
        assert!(is_recovery_code("7777 7777 7777 7777"));
        assert!(!is_recovery_code("123456"));
        assert_eq!(recovery_hash(&code), recovery_hash("77777777 77777777"));
        assert_eq!(
            recovery_hash(&code),
            recovery_hash("7777-7777-7777-7777".to_uppercase().as_str())
        );
    }
}
