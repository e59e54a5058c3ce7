//! Arbitrary bytes through the SAML core: the XML reader, exclusive c14n of whatever
//! tree comes out, the response verifier and the IdP metadata reader. Must never
//! panic, loop or allocate without bound (inputs are capped at 256 KiB like the ACS).
#![no_main]

use libfuzzer_sys::fuzz_target;
use saml_sp::Timestamp;
use saml_sp::c14n::{canonicalize, Options};
use saml_sp::metadata::IdpMetadata;
use saml_sp::xml::Document;
use saml_sp::{verify_response, Certificate, Expectations};

const CERT: &str = include_str!("../../crates/saml-sp/tests/fixtures/keys/rsa2048.crt");

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = Document::parse(data) {
        let _ = canonicalize(
            &doc,
            doc.root(),
            Options { with_comments: true, inclusive_prefixes: &["#default".into()], exclude: None },
        );
    }
    let Ok(cert) = Certificate::parse(CERT) else { return };
    let certs = [cert.key().clone()];
    let expect = Expectations {
        idp_entity_id: "https://idp.example.com/metadata",
        sp_entity_id: "https://sp.example.com/saml/acme",
        acs_url: "https://sp.example.com/saml/acme/acs",
        keys: &certs,
        in_response_to: Some("_req5e1a0c"),
        allow_idp_initiated: false,
        allow_sha1: true,
        clock_skew_seconds: 180,
        now: Timestamp::from_millis(1_767_225_660_000),
    };
    let _ = verify_response(data, &expect);
    let _ = IdpMetadata::parse(data);
});
