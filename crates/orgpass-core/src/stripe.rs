//! Payment-provider webhooks, verified exactly as Stripe signs them, and the events
//! orgpass acts on.
//!
//! Stripe sends `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` where each
//! `v1` is HMAC-SHA256, keyed with the endpoint's signing secret (the whole `whsec_…`
//! string), over `"<t>.<raw body>"`. A request is accepted when one `v1` matches (in
//! constant time) and `t` is within [`TOLERANCE_SECONDS`] of now. The development
//! checkout signs its events with the same function and sends them through the same
//! verification, so both providers share one code path.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use crate::Timestamp;

/// Accepted distance between the signature's timestamp and now.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No header, or no `t=` or `v1=` in it.
    Malformed,
    /// No `v1` matches.
    Mismatch,
    /// The timestamp is too old (or too far ahead).
    Stale,
}

/// HMAC-SHA256 over `"<t>.<payload>"`. (HMAC accepts keys of every length, so the
/// `None` branch is never taken; it keeps the code free of panics.)
fn mac(secret: &[u8], timestamp: i64, payload: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    Some(mac)
}

/// The `Stripe-Signature` header for `payload` signed at `timestamp` (seconds).
#[must_use]
pub fn sign(payload: &[u8], secret: &[u8], timestamp: i64) -> Option<String> {
    let tag = mac(secret, timestamp, payload)?.finalize().into_bytes();
    Some(format!("t={timestamp},v1={}", hex::encode(tag)))
}

/// Verifies a `Stripe-Signature` header over `payload`.
///
/// # Errors
/// [`SignatureError`].
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secret: &[u8],
    now: Timestamp,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => {
                if let Ok(bytes) = hex::decode(sig) {
                    candidates.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let matched = candidates
        .iter()
        .any(|c| mac(secret, timestamp, payload).is_some_and(|m| m.verify_slice(c).is_ok()));
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if (now.millis() / 1000 - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// The events orgpass acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `checkout.session.completed`: the first payment went through.
    CheckoutCompleted,
    /// `invoice.paid`: a period was paid.
    InvoicePaid,
    /// `invoice.payment_failed`: a renewal failed (the provider retries).
    InvoicePaymentFailed,
    /// `customer.subscription.deleted`: the subscription ended.
    SubscriptionDeleted,
    /// Anything else: acknowledged and ignored.
    Other(String),
}

/// What an event says, as far as orgpass needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Provider's event id (`evt_…`), for idempotency.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// The organization, when the event names it (checkout `client_reference_id`, or
    /// `metadata.space_key` on the object or its subscription details).
    pub space_key: Option<String>,
    /// Provider's customer id.
    pub customer: Option<String>,
    /// Provider's subscription id.
    pub subscription: Option<String>,
    /// End of the paid period, when the event carries it (invoice lines).
    pub period_end: Option<Timestamp>,
}

/// The body is not an event we can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedEvent;

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    object: Value,
}

fn string_at(v: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(v, |v, key| v.get(key))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Reads an event body.
///
/// # Errors
/// [`MalformedEvent`].
pub fn parse(body: &[u8]) -> Result<Event, MalformedEvent> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|_| MalformedEvent)?;
    let o = &envelope.data.object;
    let kind = match envelope.kind.as_str() {
        "checkout.session.completed" => EventKind::CheckoutCompleted,
        "invoice.paid" => EventKind::InvoicePaid,
        "invoice.payment_failed" => EventKind::InvoicePaymentFailed,
        "customer.subscription.deleted" => EventKind::SubscriptionDeleted,
        other => EventKind::Other(other.to_owned()),
    };
    let space_key = string_at(o, &["client_reference_id"])
        .or_else(|| string_at(o, &["metadata", "space_key"]))
        .or_else(|| string_at(o, &["subscription_details", "metadata", "space_key"]))
        .or_else(|| {
            string_at(
                o,
                &["parent", "subscription_details", "metadata", "space_key"],
            )
        });
    let subscription = match kind {
        EventKind::SubscriptionDeleted => string_at(o, &["id"]),
        _ => string_at(o, &["subscription"])
            .or_else(|| string_at(o, &["parent", "subscription_details", "subscription"])),
    };
    let period_end = o
        .get("lines")
        .and_then(|l| l.get("data"))
        .and_then(Value::as_array)
        .and_then(|lines| {
            lines
                .iter()
                .filter_map(|l| l.get("period")?.get("end")?.as_i64())
                .max()
        })
        .map(|seconds| Timestamp::from_millis(seconds.saturating_mul(1000)));
    Ok(Event {
        id: envelope.id,
        kind,
        space_key,
        customer: string_at(o, &["customer"]),
        subscription,
        period_end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_secret";

    #[test]
    fn matches_stripes_published_scheme() {
        // Computed independently with Python's hmac module:
        // hmac.new(b"whsec_test_secret", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            sign(b"{}", SECRET, 1_700_000_000).unwrap(),
            "t=1700000000,v1=ceb8863f7208fa249a6cd8f951e993c7563412aca65866f6272283debe143ab3"
        );
    }

    #[test]
    fn verifies_fresh_signatures_only() {
        let body = br#"{"id":"evt_1"}"#;
        let now = Timestamp::from_millis(1_700_000_100_000);
        let header = sign(body, SECRET, 1_700_000_000).unwrap();
        assert_eq!(verify(Some(&header), body, SECRET, now), Ok(()));
        // Several v1 values (during secret rotation): one match is enough.
        let rotated = format!("t=1700000000,v1={},{}", "00".repeat(32), &header[13..]);
        assert_eq!(verify(Some(&rotated), body, SECRET, now), Ok(()));
        assert_eq!(
            verify(Some(&header), br#"{"id":"evt_2"}"#, SECRET, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header), body, b"whsec_other", now),
            Err(SignatureError::Mismatch)
        );
        let later = Timestamp::from_millis(1_700_000_000_000 + 301_000);
        assert_eq!(
            verify(Some(&header), body, SECRET, later),
            Err(SignatureError::Stale)
        );
        for bad in ["", "t=1700000000", "v1=abcd", "t=x,v1=abcd"] {
            assert_eq!(
                verify(Some(bad), body, SECRET, now),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            verify(None, body, SECRET, now),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn reads_the_events_we_act_on() {
        let checkout = br#"{"id":"evt_1","type":"checkout.session.completed","data":{"object":
            {"client_reference_id":"ABCDE12345","customer":"cus_1","subscription":"sub_1"}}}"#;
        let e = parse(checkout).unwrap();
        assert_eq!(e.kind, EventKind::CheckoutCompleted);
        assert_eq!(e.space_key.as_deref(), Some("ABCDE12345"));
        assert_eq!(e.customer.as_deref(), Some("cus_1"));
        assert_eq!(e.subscription.as_deref(), Some("sub_1"));

        let invoice = br#"{"id":"evt_2","type":"invoice.paid","data":{"object":{"customer":"cus_1",
            "parent":{"subscription_details":{"subscription":"sub_1","metadata":{"space_key":"ABCDE12345"}}},
            "lines":{"data":[{"period":{"start":1700000000,"end":1702592000}}]}}}}"#;
        let e = parse(invoice).unwrap();
        assert_eq!(e.kind, EventKind::InvoicePaid);
        assert_eq!(e.space_key.as_deref(), Some("ABCDE12345"));
        assert_eq!(
            e.period_end,
            Some(Timestamp::from_millis(1_702_592_000_000))
        );

        let deleted = br#"{"id":"evt_3","type":"customer.subscription.deleted","data":{"object":{"id":"sub_1","customer":"cus_1"}}}"#;
        let e = parse(deleted).unwrap();
        assert_eq!(
            (e.kind, e.subscription.as_deref()),
            (EventKind::SubscriptionDeleted, Some("sub_1"))
        );

        let other = br#"{"id":"evt_4","type":"customer.created","data":{"object":{}}}"#;
        assert_eq!(
            parse(other).unwrap().kind,
            EventKind::Other("customer.created".into())
        );
        assert_eq!(parse(b"{}"), Err(MalformedEvent));
        assert_eq!(parse(b"not json"), Err(MalformedEvent));
    }
}
