//! What the xmlsec1-signed fixtures (tests/fixtures/README.md) were made for: the
//! SP, IdP, request and instant every SAML bench verifies them against.

use saml_sp::{Expectations, Timestamp, VerificationKey};

/// The fixtures' folder.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The expectations of the fixtures' SP at their instant (2026-01-01T00:01:00Z).
pub fn expectations(keys: &[VerificationKey]) -> Expectations<'_> {
    Expectations {
        idp_entity_id: "https://idp.example.com/metadata",
        sp_entity_id: "https://sp.example.com/saml/acme",
        acs_url: "https://sp.example.com/saml/acme/acs",
        keys,
        in_response_to: Some("_req5e1a0c"),
        allow_idp_initiated: false,
        allow_sha1: false,
        clock_skew_seconds: 180,
        now: Timestamp::from_millis(1_767_225_660_000),
    }
}
