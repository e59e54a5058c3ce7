//! The SAML core against responses signed by xmlsec1 (tests/fixtures, see its
//! README), and one test per attack class, each asserting its own refusal.

use super::{
    c14n::{self, Options},
    dsig,
    metadata::{sp_metadata, IdpMetadata},
    xml::Document,
    *,
};
use crate::time::Timestamp;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../tests/fixtures/", $name))
    };
}

const ACS: &str = "https://sp.example.com/saml/acme/acs";
const SP: &str = "https://sp.example.com/saml/acme";
const IDP: &str = "https://idp.example.com/metadata";
const REQUEST: &str = "_req5e1a0c";
/// One minute after the fixtures' IssueInstant (2026-01-01T00:00:00Z).
const NOW: i64 = 1_767_225_660_000;

const ALL_SIGNED: &[(&str, &str, &str)] = &[
    (
        "rsa2048-assertion",
        fixture!("rsa2048-assertion.xml"),
        fixture!("keys/rsa2048.crt"),
    ),
    (
        "rsa2048-response",
        fixture!("rsa2048-response.xml"),
        fixture!("keys/rsa2048.crt"),
    ),
    (
        "rsa2048-both",
        fixture!("rsa2048-both.xml"),
        fixture!("keys/rsa2048.crt"),
    ),
    (
        "rsa4096-assertion",
        fixture!("rsa4096-assertion.xml"),
        fixture!("keys/rsa4096.crt"),
    ),
    (
        "rsa4096-response",
        fixture!("rsa4096-response.xml"),
        fixture!("keys/rsa4096.crt"),
    ),
    (
        "rsa4096-both",
        fixture!("rsa4096-both.xml"),
        fixture!("keys/rsa4096.crt"),
    ),
    (
        "p256-assertion",
        fixture!("p256-assertion.xml"),
        fixture!("keys/p256.crt"),
    ),
    (
        "p256-response",
        fixture!("p256-response.xml"),
        fixture!("keys/p256.crt"),
    ),
    (
        "p384-assertion",
        fixture!("p384-assertion.xml"),
        fixture!("keys/p384.crt"),
    ),
    (
        "rsa2048-sha512",
        fixture!("rsa2048-sha512.xml"),
        fixture!("keys/rsa2048.crt"),
    ),
    (
        "okta-style",
        fixture!("okta-style.xml"),
        fixture!("keys/rsa2048.crt"),
    ),
    (
        "entra-style",
        fixture!("entra-style.xml"),
        fixture!("keys/rsa2048.crt"),
    ),
];

const ASSERTION_SIGNED: &str = fixture!("rsa2048-assertion.xml");
const RESPONSE_SIGNED: &str = fixture!("rsa2048-response.xml");
const RSA2048: &str = fixture!("keys/rsa2048.crt");

fn cert(pem: &str) -> Certificate {
    Certificate::parse(pem).unwrap()
}

fn expectations(keys: &[VerificationKey]) -> Expectations<'_> {
    Expectations {
        idp_entity_id: IDP,
        sp_entity_id: SP,
        acs_url: ACS,
        keys,
        in_response_to: Some(REQUEST),
        allow_idp_initiated: false,
        allow_sha1: false,
        clock_skew_seconds: 180,
        now: Timestamp::from_millis(NOW),
    }
}

fn check_with(
    xml: &str,
    pem: &str,
    tweak: impl FnOnce(&mut Expectations<'_>),
) -> Result<VerifiedLogin, SamlError> {
    let keys = [cert(pem).key().clone()];
    let mut expect = expectations(&keys);
    tweak(&mut expect);
    verify_response(xml.as_bytes(), &expect)
}

fn check(xml: &str) -> Result<VerifiedLogin, SamlError> {
    check_with(xml, RSA2048, |_| {})
}

fn refused(xml: &str) -> SamlError {
    check(xml).expect_err("must be refused")
}

/// Replaces exactly one occurrence (the test is wrong if the text is not there once).
fn swap(xml: &str, from: &str, to: &str) -> String {
    assert_eq!(xml.matches(from).count(), 1, "{from}");
    xml.replacen(from, to, 1)
}

/// The text from the first `start` to the end of the first `end` after it.
fn cut<'a>(xml: &'a str, start: &str, end: &str) -> &'a str {
    let from = xml.find(start).unwrap();
    let to = from + xml[from..].find(end).unwrap() + end.len();
    &xml[from..to]
}

fn assertion_of(xml: &str) -> &str {
    cut(xml, "<saml:Assertion", "</saml:Assertion>")
}

fn signature_in(xml: &str) -> &str {
    cut(xml, "<ds:Signature", "</ds:Signature>")
}

#[test]
fn every_fixture_signed_by_xmlsec1_verifies() {
    for (name, xml, pem) in ALL_SIGNED {
        let login = check_with(xml, pem, |_| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(login.name_id(), "alice@acme-example.com", "{name}");
        assert_eq!(login.name_id_format(), Some(NAMEID_EMAIL));
        assert_eq!(login.issuer(), IDP);
        assert_eq!(login.assertion_id(), "_a4b8e6f20c1");
        assert_eq!(login.session_index(), Some("_s9d2e7a51"));
        assert_eq!(login.in_response_to(), Some(REQUEST));
        // The earlier of SubjectConfirmationData (00:05) and Conditions (00:10).
        assert_eq!(login.not_on_or_after().to_rfc3339(), "2026-01-01T00:05:00Z");
        assert_eq!(login.attributes()["email"], ["alice@acme-example.com"]);
        assert_eq!(login.attributes()["groups"], ["engineering", "r&d <west>"]);
        assert_eq!(
            login.certificate_fingerprint(),
            cert(pem).fingerprint_sha256()
        );
        let both = name.ends_with("both") || *name == "okta-style";
        assert_eq!(
            login.response_signed(),
            both || name.ends_with("response"),
            "{name}"
        );
        assert_eq!(
            login.assertion_signed(),
            both || !name.ends_with("response"),
            "{name}"
        );
    }
}

/// Our canonical bytes are exactly the ones xmlsec1 (libxml2's canonicalizer) digested
/// and signed for the same signature.
#[test]
fn canonical_form_matches_xmlsec1() {
    let expected: &[(&str, &str, &str)] = &[
        (
            "rsa2048-assertion",
            fixture!("c14n/rsa2048-assertion.digest.xml"),
            fixture!("c14n/rsa2048-assertion.signedinfo.xml"),
        ),
        (
            "rsa2048-both",
            fixture!("c14n/rsa2048-both.digest.xml"),
            fixture!("c14n/rsa2048-both.signedinfo.xml"),
        ),
        (
            "okta-style",
            fixture!("c14n/okta-style.digest.xml"),
            fixture!("c14n/okta-style.signedinfo.xml"),
        ),
        (
            "entra-style",
            fixture!("c14n/entra-style.digest.xml"),
            fixture!("c14n/entra-style.signedinfo.xml"),
        ),
        (
            "p256-response",
            fixture!("c14n/p256-response.digest.xml"),
            fixture!("c14n/p256-response.signedinfo.xml"),
        ),
        (
            "p384-assertion",
            fixture!("c14n/p384-assertion.digest.xml"),
            fixture!("c14n/p384-assertion.signedinfo.xml"),
        ),
    ];
    for (name, digest, signed_info) in expected {
        let (_, xml, _) = ALL_SIGNED.iter().find(|(n, _, _)| n == name).unwrap();
        let doc = Document::parse(xml.as_bytes()).unwrap();
        let (sig, _) = doc
            .elements()
            .find(|(_, e)| e.name.is(DSIG_NS, "Signature"))
            .unwrap();
        let signed = doc.element(sig).unwrap().parent.unwrap();
        let info = doc
            .children_named(sig, DSIG_NS, "SignedInfo")
            .next()
            .unwrap();
        let prefixes = vec!["xs".to_owned()];
        let ours = c14n::canonicalize(
            &doc,
            signed,
            Options {
                with_comments: false,
                inclusive_prefixes: &prefixes,
                exclude: Some(sig),
            },
        );
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            *digest,
            "{name} digest input"
        );
        let ours = c14n::canonicalize(
            &doc,
            info,
            Options {
                with_comments: false,
                inclusive_prefixes: &[],
                exclude: None,
            },
        );
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            *signed_info,
            "{name} SignedInfo"
        );
    }
}

#[test]
fn sha1_only_with_the_opt_in() {
    let xml = fixture!("rsa2048-sha1.xml");
    assert_eq!(check(xml).unwrap_err(), SamlError::Sha1NotAllowed);
    assert!(check_with(xml, RSA2048, |e| e.allow_sha1 = true).is_ok());
}

#[test]
fn in_response_to_and_idp_initiated() {
    let unsolicited = fixture!("idp-initiated.xml");
    assert_eq!(
        check_with(unsolicited, RSA2048, |e| e.in_response_to = None).unwrap_err(),
        SamlError::IdpInitiatedNotAllowed
    );
    let login = check_with(unsolicited, RSA2048, |e| {
        e.in_response_to = None;
        e.allow_idp_initiated = true;
    })
    .unwrap();
    assert_eq!(login.in_response_to(), None);
    assert_eq!(refused(unsolicited), SamlError::InResponseToMissing);
    assert_eq!(
        check_with(ASSERTION_SIGNED, RSA2048, |e| e.in_response_to =
            Some("_other"))
        .unwrap_err(),
        SamlError::InResponseToMismatch
    );
    assert_eq!(
        check_with(ASSERTION_SIGNED, RSA2048, |e| {
            e.in_response_to = None;
            e.allow_idp_initiated = true;
        })
        .unwrap_err(),
        SamlError::UnexpectedInResponseTo
    );
}

/// Only the Assertion is signed: rewriting the (unsigned) Response's InResponseTo to
/// another pending request does not help, the signed confirmation still names the first.
#[test]
fn in_response_to_is_read_from_the_signed_confirmation_too() {
    let moved = swap(
        ASSERTION_SIGNED,
        "Destination=\"https://sp.example.com/saml/acme/acs\" InResponseTo=\"_req5e1a0c\"",
        "Destination=\"https://sp.example.com/saml/acme/acs\" InResponseTo=\"_other\"",
    );
    assert_eq!(
        check_with(&moved, RSA2048, |e| e.in_response_to = Some("_other")).unwrap_err(),
        SamlError::InResponseToMismatch
    );
}

#[test]
fn time_audience_issuer_destination_recipient_status() {
    let at = |ms: i64| move |e: &mut Expectations<'_>| e.now = Timestamp::from_millis(ms);
    // SubjectConfirmationData ends 00:05, skew 180 s: accepted until 00:08.
    assert!(check_with(ASSERTION_SIGNED, RSA2048, at(NOW + 6 * 60_000)).is_ok());
    assert_eq!(
        check_with(ASSERTION_SIGNED, RSA2048, at(NOW + 7 * 60_000)).unwrap_err(),
        SamlError::Expired
    );
    // Conditions start 23:59:30: accepted from 23:56:30.
    assert!(check_with(ASSERTION_SIGNED, RSA2048, at(NOW - 4 * 60_000)).is_ok());
    assert_eq!(
        check_with(ASSERTION_SIGNED, RSA2048, at(NOW - 5 * 60_000)).unwrap_err(),
        SamlError::NotYetValid
    );
    assert_eq!(
        check_with(ASSERTION_SIGNED, RSA2048, |e| {
            e.clock_skew_seconds = 0;
            e.now = Timestamp::from_millis(NOW + 4 * 60_000);
        })
        .unwrap_err(),
        SamlError::Expired
    );
    assert_eq!(
        check_with(ASSERTION_SIGNED, RSA2048, |e| e.sp_entity_id =
            "https://other.example")
        .unwrap_err(),
        SamlError::WrongAudience
    );
    assert_eq!(
        check_with(ASSERTION_SIGNED, RSA2048, |e| e.idp_entity_id =
            "https://evil.example")
        .unwrap_err(),
        SamlError::WrongIssuer
    );
    assert_eq!(
        check_with(ASSERTION_SIGNED, RSA2048, |e| e.acs_url =
            "https://sp.example.com/saml/other/acs")
        .unwrap_err(),
        SamlError::WrongDestination
    );
    // Only the Assertion is signed: the Response's Destination can be changed, the
    // signed Recipient cannot.
    let other = "https://sp.example.com/saml/other/acs";
    let moved = swap(
        ASSERTION_SIGNED,
        &format!("Destination=\"{ACS}\""),
        &format!("Destination=\"{other}\""),
    );
    assert_eq!(
        check_with(&moved, RSA2048, |e| e.acs_url = other).unwrap_err(),
        SamlError::WrongRecipient
    );
    let denied = swap(ASSERTION_SIGNED, "status:Success", "status:Requester");
    assert_eq!(
        refused(&denied),
        SamlError::StatusNotSuccess {
            code: "urn:oasis:names:tc:SAML:2.0:status:Requester".into()
        }
    );
    // With the Response signed, a changed status is a changed document.
    assert_eq!(
        refused(&swap(RESPONSE_SIGNED, "status:Success", "status:Requester")),
        SamlError::DigestMismatch
    );
}

#[test]
fn signature_removed() {
    let stripped = ASSERTION_SIGNED.replace(signature_in(ASSERTION_SIGNED), "");
    assert_eq!(refused(&stripped), SamlError::SignatureMissing);
}

#[test]
fn keys_come_only_from_configuration() {
    // Signed by another key that KeyInfo carries: refused, naming the stranger.
    assert_eq!(
        refused(fixture!("attacker-signed.xml")),
        SamlError::UntrustedCertificate
    );
    // The same without KeyInfo: simply invalid.
    let attacker = fixture!("attacker-signed.xml");
    let no_key_info = attacker.replace(cut(attacker, "<ds:KeyInfo>", "</ds:KeyInfo>"), "");
    assert_eq!(refused(&no_key_info), SamlError::SignatureInvalid);
    // A P-256 signature where only an RSA certificate is configured: its KeyInfo names
    // a certificate we do not have; without KeyInfo, the key kind does not fit.
    let p256 = fixture!("p256-assertion.xml");
    assert_eq!(refused(p256), SamlError::UntrustedCertificate);
    let bare = p256.replace(cut(p256, "<ds:KeyInfo>", "</ds:KeyInfo>"), "");
    assert_eq!(refused(&bare), SamlError::KeyTypeMismatch);
    // Two configured certificates (a rotation): either verifies.
    let keys = [cert(fixture!("keys/rsa4096.crt")), cert(RSA2048)].map(|c| c.key().clone());
    let login = verify_response(ASSERTION_SIGNED.as_bytes(), &expectations(&keys)).unwrap();
    assert_eq!(
        login.certificate_fingerprint(),
        cert(RSA2048).fingerprint_sha256()
    );
}

/// XSW1/XSW2: the signed Response is kept (inside the signature, or beside it) and a
/// forged one is put around it.
#[test]
fn xsw1_and_xsw2_wrapped_response() {
    let original =
        RESPONSE_SIGNED.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let forged_root = swap(original, "ID=\"_r7f3c2a9d1e\"", "ID=\"_evil\"")
        .replace("alice@acme-example.com", "mallory@acme-example.com")
        .replace("_a4b8e6f20c1", "_evil_assertion");
    // XSW1: the original Response inside the Signature element.
    let sig = signature_in(&forged_root).to_owned();
    let inner = sig.replace("</ds:Signature>", &format!("{original}</ds:Signature>"));
    assert_eq!(
        refused(&forged_root.replace(&sig, &inner)),
        SamlError::AssertionCount
    );
    // XSW2: the original Response as a sibling before the signature.
    let beside = forged_root.replace(&sig, &format!("{original}{sig}"));
    assert_eq!(refused(&beside), SamlError::AssertionCount);
    // Even without a second Assertion, the reference no longer names the root.
    let alone = swap(original, "ID=\"_r7f3c2a9d1e\"", "ID=\"_evil\"");
    assert_eq!(refused(&alone), SamlError::ReferenceMismatch);
}

/// XSW3–XSW8: the signed Assertion is kept somewhere (before, inside, after the forged
/// one, in Extensions, in the signature's Object) while a forged one is read.
#[test]
fn xsw3_to_xsw8_wrapped_assertion() {
    let original = assertion_of(ASSERTION_SIGNED);
    let forged = original
        .replace("_a4b8e6f20c1", "_evil")
        .replace("alice@acme-example.com", "mallory@acme-example.com");
    let forged_unsigned = forged.replace(signature_in(&forged), "");
    let with = |body: String| ASSERTION_SIGNED.replace(original, &body);
    // XSW3: forged (unsigned) first, original after it.
    assert_eq!(
        refused(&with(format!("{forged_unsigned}{original}"))),
        SamlError::AssertionCount
    );
    // XSW4: original inside the forged one.
    let xsw4 =
        forged_unsigned.replace("</saml:Assertion>", &format!("{original}</saml:Assertion>"));
    assert_eq!(refused(&with(xsw4)), SamlError::AssertionCount);
    // XSW5: forged keeps the signature (same ID), original after it.
    let cloned_id = original.replace("alice@acme-example.com", "mallory@acme-example.com");
    assert_eq!(
        refused(&with(format!("{cloned_id}{original}"))),
        SamlError::DuplicateId
    );
    // XSW6: forged with the signature, the original inside that signature.
    let sig = signature_in(&cloned_id);
    let xsw6 = cloned_id.replace(
        sig,
        &sig.replace(
            "</ds:Signature>",
            &format!("<ds:Object>{original}</ds:Object></ds:Signature>"),
        ),
    );
    assert_eq!(refused(&with(xsw6)), SamlError::DuplicateId);
    // XSW7: the original inside Extensions, forged one read.
    let xsw7 = format!("<samlp:Extensions>{original}</samlp:Extensions>{forged_unsigned}");
    assert_eq!(refused(&with(xsw7)), SamlError::AssertionCount);
    // XSW8: forged with the signature, the original in a ds:Object of it, under a new ID.
    let renamed = original.replace("_a4b8e6f20c1", "_moved");
    let xsw8 = cloned_id.replace(
        sig,
        &sig.replace(
            "</ds:Signature>",
            &format!("<ds:Object>{renamed}</ds:Object></ds:Signature>"),
        ),
    );
    assert_eq!(refused(&with(xsw8)), SamlError::AssertionCount);
    // A signature moved into an Object with only one Assertion: malformed signature.
    let object = ASSERTION_SIGNED.replace(
        "</ds:Signature>",
        "<ds:Object><x/></ds:Object></ds:Signature>",
    );
    assert_eq!(refused(&object), SamlError::MalformedSignature);
}

#[test]
fn second_assertion_unsigned_or_signed_by_another() {
    let original = assertion_of(ASSERTION_SIGNED);
    let second = original
        .replace(signature_in(original), "")
        .replace("_a4b8e6f20c1", "_second");
    assert_eq!(
        refused(&ASSERTION_SIGNED.replace(original, &format!("{original}{second}"))),
        SamlError::AssertionCount
    );
    let attacker = fixture!("attacker-signed.xml");
    let theirs = assertion_of(attacker).replace("_a4b8e6f20c1", "_theirs");
    assert_eq!(
        refused(&ASSERTION_SIGNED.replace(original, &format!("{original}{theirs}"))),
        SamlError::AssertionCount
    );
}

#[test]
fn duplicate_ids_and_references_elsewhere() {
    let dup = swap(
        ASSERTION_SIGNED,
        "<samlp:Status>",
        "<samlp:Status ID=\"_a4b8e6f20c1\">",
    );
    assert_eq!(refused(&dup), SamlError::DuplicateId);
    let dup_spelling = swap(
        ASSERTION_SIGNED,
        "<samlp:Status>",
        "<samlp:Status Id=\"_a4b8e6f20c1\">",
    );
    assert_eq!(refused(&dup_spelling), SamlError::DuplicateId);
    // The Response's signature pointing at the Assertion (or at the whole document).
    let elsewhere = swap(
        RESPONSE_SIGNED,
        "URI=\"#_r7f3c2a9d1e\"",
        "URI=\"#_a4b8e6f20c1\"",
    );
    assert_eq!(refused(&elsewhere), SamlError::ReferenceMismatch);
    let whole = swap(RESPONSE_SIGNED, "URI=\"#_r7f3c2a9d1e\"", "URI=\"\"");
    assert_eq!(refused(&whole), SamlError::ReferenceMismatch);
    // A second Reference in SignedInfo.
    let reference = cut(RESPONSE_SIGNED, "<ds:Reference", "</ds:Reference>");
    let two = RESPONSE_SIGNED.replace(reference, &format!("{reference}{reference}"));
    assert_eq!(refused(&two), SamlError::ReferenceCount);
    // A signature on an element other than the Response or the Assertion.
    let misplaced = swap(
        RESPONSE_SIGNED,
        "<samlp:Status>",
        &format!("<samlp:Status>{}", signature_in(ASSERTION_SIGNED)),
    );
    assert_eq!(refused(&misplaced), SamlError::UnexpectedSignature);
}

#[test]
fn comment_injection_never_truncates_the_name_id() {
    // Comments are outside the digest, so the signature still holds; the NameID is
    // read whole.
    let injected = swap(
        ASSERTION_SIGNED,
        ">alice@acme-example.com</saml:NameID>",
        ">alice@acme<!---->-example.com</saml:NameID>",
    );
    assert_eq!(
        check(&injected).unwrap().name_id(),
        "alice@acme-example.com"
    );
    let pi = swap(
        ASSERTION_SIGNED,
        ">alice@acme-example.com</saml:NameID>",
        ">alice@acme<?x y?>-example.com</saml:NameID>",
    );
    // A processing instruction is canonical content: the digest no longer matches.
    assert_eq!(refused(&pi), SamlError::DigestMismatch);
}

#[test]
fn changed_content_breaks_the_digest() {
    assert_eq!(
        refused(&swap(ASSERTION_SIGNED, ">engineering<", ">administrators<")),
        SamlError::DigestMismatch
    );
    assert_eq!(
        refused(&swap(
            ASSERTION_SIGNED,
            "SessionIndex=\"_s9d2e7a51\"",
            "SessionIndex=\"_other\""
        )),
        SamlError::DigestMismatch
    );
    let added = swap(
        ASSERTION_SIGNED,
        "<saml:Subject>",
        "<saml:Subject xmlns:x=\"urn:x\" x:ID=\"_evil\">",
    );
    assert_eq!(refused(&added), SamlError::DigestMismatch);
    // A changed signature value.
    let value = cut(
        ASSERTION_SIGNED,
        "<ds:SignatureValue>",
        "</ds:SignatureValue>",
    );
    let text = &value["<ds:SignatureValue>".len()..];
    let flipped = if text.starts_with('A') {
        text.replacen('A', "B", 1)
    } else {
        format!("A{}", &text[1..])
    };
    let flipped = format!("<ds:SignatureValue>{flipped}");
    assert_eq!(
        refused(&ASSERTION_SIGNED.replace(value, &flipped)),
        SamlError::SignatureInvalid
    );
}

#[test]
fn dtd_entities_and_billion_laughs() {
    let body = ASSERTION_SIGNED.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let xxe = format!(
        "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
        body.replace("_s9d2e7a51", "&x;")
    );
    assert_eq!(refused(&xxe), SamlError::Doctype);
    let laughs = format!(
        "<!DOCTYPE r [<!ENTITY l \"lol\"><!ENTITY l1 \"&l;&l;&l;&l;&l;&l;&l;&l;&l;&l;\"><!ENTITY l2 \"&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;\">]>{}",
        body.replace("alice@acme-example.com</saml:NameID>", "&l2;</saml:NameID>")
    );
    assert_eq!(refused(&laughs), SamlError::Doctype);
    assert_eq!(
        refused(&body.replace("_s9d2e7a51", "&x;")),
        SamlError::EntityReference
    );
}

#[test]
fn namespace_redefinition_of_saml_and_ds() {
    // `ds` bound to another namespace: that is no XML-DSig signature at all.
    let ds = swap(
        ASSERTION_SIGNED,
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">",
        "<ds:Signature xmlns:ds=\"urn:evil\">",
    );
    assert_eq!(refused(&ds), SamlError::SignatureMissing);
    // `saml` rebound on the Assertion: no SAML Assertion is left.
    let saml = swap(
        ASSERTION_SIGNED,
        "<saml:Assertion ",
        "<saml:Assertion xmlns:saml=\"urn:evil\" ",
    );
    assert_eq!(refused(&saml), SamlError::AssertionCount);
    // Prefixes may be anything as long as they resolve to the right namespaces.
    let renamed = ASSERTION_SIGNED
        .replace("saml:", "a:")
        .replace("xmlns:saml=", "xmlns:a=");
    assert!(
        matches!(refused(&renamed), SamlError::DigestMismatch),
        "prefixes are signed content"
    );
}

#[test]
fn attribute_order_and_duplicate_attributes() {
    // Attribute order is not content: c14n sorts.
    let reordered = swap(
        ASSERTION_SIGNED,
        "ID=\"_a4b8e6f20c1\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\">",
        "IssueInstant=\"2026-01-01T00:00:00Z\" Version=\"2.0\" ID=\"_a4b8e6f20c1\">",
    );
    assert!(check(&reordered).is_ok());
    let twice = swap(
        ASSERTION_SIGNED,
        "ID=\"_a4b8e6f20c1\" Version",
        "ID=\"_a4b8e6f20c1\" ID=\"_evil\" Version",
    );
    assert_eq!(refused(&twice), SamlError::DuplicateAttribute);
    let name_twice = swap(
        ASSERTION_SIGNED,
        "Name=\"email\"",
        "Name=\"email\" Name=\"role\"",
    );
    assert_eq!(refused(&name_twice), SamlError::DuplicateAttribute);
}

#[test]
fn only_the_allowed_transforms_and_canonicalization() {
    let transform = "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">";
    let inclusive = swap(
        ASSERTION_SIGNED,
        transform,
        "<ds:Transform Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\">",
    );
    assert_eq!(refused(&inclusive), SamlError::UnsupportedTransform);
    let xpath = swap(ASSERTION_SIGNED, transform, &format!("<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>not(ancestor-or-self::*)</ds:XPath></ds:Transform>{transform}"));
    assert_eq!(refused(&xpath), SamlError::UnsupportedTransform);
    let method =
        "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>";
    let void = swap(
        ASSERTION_SIGNED,
        method,
        "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#base64\"/>",
    );
    assert_eq!(refused(&void), SamlError::UnsupportedCanonicalization);
    let md5 = swap(
        ASSERTION_SIGNED,
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2001/04/xmldsig-more#md5",
    );
    assert_eq!(refused(&md5), SamlError::UnsupportedDigest);
    let hmac = swap(
        ASSERTION_SIGNED,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
    );
    assert_eq!(refused(&hmac), SamlError::UnsupportedSignatureAlgorithm);
}

#[test]
fn encrypted_assertions_and_other_roots() {
    let original = assertion_of(ASSERTION_SIGNED);
    let encrypted = ASSERTION_SIGNED.replace(
        original,
        "<saml:EncryptedAssertion><x/></saml:EncryptedAssertion>",
    );
    assert_eq!(refused(&encrypted), SamlError::EncryptedAssertion);
    let request = format!("<samlp:AuthnRequest xmlns:samlp=\"{PROTOCOL_NS}\" ID=\"_x\"/>");
    assert_eq!(refused(&request), SamlError::NotAResponse);
    assert_eq!(refused("not xml"), SamlError::TextOutsideRoot);
}

#[test]
fn post_binding_base64() {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(ASSERTION_SIGNED);
    let wrapped: String = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    assert_eq!(
        decode_base64(wrapped.as_bytes()).unwrap(),
        ASSERTION_SIGNED.as_bytes()
    );
    assert_eq!(decode_base64(b"not base64!"), Err(SamlError::NotBase64));
}

#[test]
fn certificates_parse_with_fingerprint_and_key() {
    let c = cert(RSA2048);
    assert_eq!(c.key_description(), "RSA 2048");
    assert_eq!(c.fingerprint_sha256().len(), 32 * 3 - 1);
    assert_eq!(cert(fixture!("keys/rsa4096.crt")).rsa_bits(), Some(4096));
    assert_eq!(
        cert(fixture!("keys/p256.crt")).key_description(),
        "ECDSA P-256"
    );
    assert_eq!(
        cert(fixture!("keys/p384.crt")).key_description(),
        "ECDSA P-384"
    );
    assert_eq!(
        Certificate::parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
        Err(SamlError::InvalidCertificate)
    );
    assert_eq!(
        Certificate::parse("garbage"),
        Err(SamlError::InvalidCertificate)
    );
    // Bare base64 (as in metadata) gives the same certificate.
    let body: String = RSA2048
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert_eq!(cert(&body), c);
}

#[test]
fn metadata_both_ways() {
    let ours = sp_metadata(SP, ACS);
    let doc = Document::parse(ours.as_bytes()).unwrap();
    assert_eq!(doc.attr(doc.root(), "entityID"), Some(SP));
    assert!(ours.contains(&format!("Location=\"{ACS}\"")));
    let body = |pem: &str| {
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
    };
    let idp = format!(
        r#"<md:EntityDescriptor xmlns:md="{METADATA_NS}" xmlns:ds="{DSIG_NS}" entityID="{IDP}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/redirect"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#,
        body(RSA2048),
        body(fixture!("keys/rsa4096.crt")),
        body(fixture!("keys/p256.crt")),
    );
    let parsed = IdpMetadata::parse(idp.as_bytes()).unwrap();
    assert_eq!(parsed.entity_id, IDP);
    assert_eq!(
        parsed.sso_url.as_deref(),
        Some("https://idp.example.com/redirect")
    );
    assert_eq!(
        parsed.certificates.len(),
        2,
        "signing and unspecified use, not encryption"
    );
    assert_eq!(IdpMetadata::parse(b"<x/>"), Err(SamlError::InvalidMetadata));
}

#[test]
fn every_error_has_its_own_code() {
    let all = [
        SamlError::TooLarge,
        SamlError::TooDeep,
        SamlError::TooManyAttributes,
        SamlError::TooManyNodes,
        SamlError::TooMuchText,
        SamlError::TooManyPrefixes,
        SamlError::IssuerFormat,
        SamlError::ConfirmationNotBefore,
        SamlError::ConfirmationWithoutExpiry,
        SamlError::InvalidTimeWindow,
        SamlError::UnsupportedCondition,
        SamlError::DuplicateCondition,
        SamlError::MissingAuthnStatement,
        SamlError::MalformedAuthnStatement,
        SamlError::SessionEnded,
        SamlError::NotUtf8,
        SamlError::NotBase64,
        SamlError::MalformedXml { at: 0 },
        SamlError::Doctype,
        SamlError::EntityReference,
        SamlError::MultipleRoots,
        SamlError::TextOutsideRoot,
        SamlError::DuplicateAttribute,
        SamlError::UndeclaredPrefix,
        SamlError::InvalidNamespace,
        SamlError::DuplicateId,
        SamlError::SignatureMissing,
        SamlError::UnexpectedSignature,
        SamlError::MalformedSignature,
        SamlError::ReferenceCount,
        SamlError::ReferenceMismatch,
        SamlError::UnsupportedCanonicalization,
        SamlError::UnsupportedTransform,
        SamlError::UnsupportedDigest,
        SamlError::UnsupportedSignatureAlgorithm,
        SamlError::Sha1NotAllowed,
        SamlError::KeyTypeMismatch,
        SamlError::UntrustedCertificate,
        SamlError::SignatureInvalid,
        SamlError::DigestMismatch,
        SamlError::NotAResponse,
        SamlError::UnsupportedVersion,
        SamlError::StatusNotSuccess {
            code: String::new(),
        },
        SamlError::EncryptedAssertion,
        SamlError::AssertionCount,
        SamlError::WrongIssuer,
        SamlError::WrongDestination,
        SamlError::NoBearerConfirmation,
        SamlError::WrongRecipient,
        SamlError::WrongAudience,
        SamlError::NotYetValid,
        SamlError::Expired,
        SamlError::InvalidTimestamp,
        SamlError::InResponseToMissing,
        SamlError::InResponseToMismatch,
        SamlError::UnexpectedInResponseTo,
        SamlError::IdpInitiatedNotAllowed,
        SamlError::MissingNameId,
        SamlError::MissingAssertionId,
        SamlError::InvalidCertificate,
        SamlError::UnsupportedKey,
        SamlError::InvalidMetadata,
    ];
    let mut codes: Vec<&str> = all.iter().map(SamlError::code).collect();
    assert!(codes.iter().all(|c| c
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())));
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
}

#[test]
fn a_verified_element_is_the_one_signed() {
    let doc = Document::parse(ASSERTION_SIGNED.as_bytes()).unwrap();
    let assertion = doc
        .children_named(doc.root(), ASSERTION_NS, "Assertion")
        .next()
        .unwrap();
    let sig = dsig::signature_of(&doc, assertion).unwrap().unwrap();
    let keys = [cert(RSA2048).key().clone()];
    let prepared = dsig::prepare(&doc, sig, &keys, false).unwrap();
    let verdicts: Vec<bool> = prepared.checks(&keys).map(|c| native::verify(&c)).collect();
    let proof = prepared.conclude(&doc, &keys, &verdicts).unwrap();
    assert_eq!(proof.node(), assertion);
}

/// The seam between the core and a signature back end: what the core asks, and that it
/// concludes from the verdicts it is given and nothing else.
#[test]
fn the_core_asks_for_checks_and_concludes_from_their_verdicts() {
    let rsa4096 = cert(fixture!("keys/rsa4096.crt"));
    let p256 = cert(fixture!("keys/p256.crt"));
    let rsa2048 = cert(RSA2048);
    let keys = [
        rsa4096.key().clone(),
        p256.key().clone(),
        rsa2048.key().clone(),
    ];
    let expect = expectations(&keys);
    let pending = Pending::start(ASSERTION_SIGNED.as_bytes(), &expect).unwrap();
    let checks = pending.checks();
    // One check per key that fits the algorithm (RSA), in the configured order; the
    // message is the canonical SignedInfo xmlsec1 signed.
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0].key, rsa4096.key());
    assert_eq!(checks[1].key, rsa2048.key());
    assert_eq!(
        checks[0].algorithm,
        dsig::SignatureAlg::Rsa(dsig::DigestAlg::Sha256)
    );
    assert_eq!(
        checks[0].message,
        fixture!("c14n/rsa2048-assertion.signedinfo.xml").as_bytes()
    );
    assert_eq!(checks[0].signature.len(), 256);
    let verdicts: Vec<bool> = checks.iter().map(native::verify).collect();
    assert_eq!(verdicts, [false, true]);
    drop(checks);
    // The signer is the key whose check passed.
    let start = || Pending::start(ASSERTION_SIGNED.as_bytes(), &expect).unwrap();
    let login = start().finish(&verdicts).unwrap();
    assert_eq!(
        login.certificate_fingerprint(),
        rsa2048.fingerprint_sha256()
    );
    // No verdict, or only failures: refused.
    for verdicts in [&[][..], &[false], &[false, false]] {
        assert_eq!(
            start().finish(verdicts).unwrap_err(),
            SamlError::SignatureInvalid
        );
    }
    // A passing verdict does not excuse the digest: the core checks it itself.
    let changed = swap(ASSERTION_SIGNED, ">engineering<", ">administrators<");
    let tampered = Pending::start(changed.as_bytes(), &expect).unwrap();
    assert_eq!(
        tampered.finish(&[true, true]).unwrap_err(),
        SamlError::DigestMismatch
    );
    // No key of the signature's kind: nothing to ask, and the refusal names the
    // certificate KeyInfo carries, which is not configured.
    let only_p256 = [p256.key().clone()];
    let pending = Pending::start(ASSERTION_SIGNED.as_bytes(), &expectations(&only_p256)).unwrap();
    assert!(pending.checks().is_empty());
    assert_eq!(
        pending.finish(&[]).unwrap_err(),
        SamlError::UntrustedCertificate
    );
}

#[test]
fn verification_keys_round_trip_through_their_stored_form() {
    for pem in [
        RSA2048,
        fixture!("keys/rsa4096.crt"),
        fixture!("keys/p256.crt"),
        fixture!("keys/p384.crt"),
    ] {
        let key = cert(pem).key().clone();
        assert_eq!(VerificationKey::from_stored(&key.stored()).unwrap(), key);
    }
    for junk in ["", ".", "00.AAAA", &format!("{}.AAAA", "00".repeat(32))] {
        assert_eq!(
            VerificationKey::from_stored(junk).unwrap_err(),
            SamlError::UnsupportedKey
        );
    }
}

#[test]
fn the_reader_is_bounded_before_any_signature() {
    use super::xml::{MAX_ATTRIBUTES, MAX_NODES};
    let p = "urn:oasis:names:tc:SAML:2.0:protocol";
    // Attributes and declarations per element (the 16,000-attribute body of the
    // review is refused at the 65th).
    let attrs: String = (0..MAX_ATTRIBUTES).map(|i| format!(" a{i}=\"\"")).collect();
    let at_limit =
        format!("<samlp:Response{attrs}/>").replace("a0=\"\"", &format!("xmlns:samlp=\"{p}\""));
    assert!(!matches!(
        Document::parse(at_limit.as_bytes()),
        Err(SamlError::TooManyAttributes)
    ));
    let over = format!("<samlp:Response xmlns:samlp=\"{p}\"{attrs}/>");
    assert_eq!(
        Document::parse(over.as_bytes()).err(),
        Some(SamlError::TooManyAttributes)
    );
    let many: String = (0..16_000).map(|i| format!(" a{i}=\"\"")).collect();
    let review = format!("<samlp:Response xmlns:samlp=\"{p}\"{many}/>");
    assert_eq!(refused(&review), SamlError::TooManyAttributes);
    // Duplicates are still found (by raw name, and by resolved name).
    let dup = "<r xmlns:a=\"u\" xmlns:b=\"u\" a:x=\"1\" b:x=\"2\"/>";
    assert_eq!(
        Document::parse(dup.as_bytes()).err(),
        Some(SamlError::DuplicateAttribute)
    );
    let dup_decl = "<r xmlns:a=\"u\" xmlns:a=\"v\"/>";
    assert_eq!(
        Document::parse(dup_decl.as_bytes()).err(),
        Some(SamlError::DuplicateAttribute)
    );
    // Nodes in all.
    let nodes = format!("<r>{}</r>", "<a/>".repeat(MAX_NODES));
    assert_eq!(
        Document::parse(nodes.as_bytes()).err(),
        Some(SamlError::TooManyNodes)
    );
    let fits = format!("<r>{}</r>", "<a/>".repeat(MAX_NODES - 1));
    assert!(Document::parse(fits.as_bytes()).is_ok());
    // Prefixes still resolve through the scope: a sibling's declaration is not in
    // scope, an ancestor's is, and an inner one shadows it until its element closes.
    let scoped = "<r xmlns:p=\"outer\"><a xmlns:p=\"inner\"><p:x/></a><p:y/></r>";
    let doc = Document::parse(scoped.as_bytes()).unwrap();
    let ns: Vec<_> = doc
        .elements()
        .filter(|(_, e)| e.name.prefix.as_deref() == Some("p"))
        .map(|(_, e)| e.name.ns.clone().unwrap())
        .collect();
    assert_eq!(ns, ["inner", "outer"]);
    assert_eq!(
        Document::parse(b"<r xmlns:=\"u\"/>").err(),
        Some(SamlError::InvalidNamespace)
    );
    let sibling = "<r><a xmlns:p=\"u\"/><p:x/></r>";
    assert_eq!(
        Document::parse(sibling.as_bytes()).err(),
        Some(SamlError::UndeclaredPrefix)
    );
    // An InclusiveNamespaces PrefixList is bounded too.
    let list: String = (0..=dsig::MAX_PREFIXES).map(|i| format!("p{i} ")).collect();
    let long = swap(
        ASSERTION_SIGNED,
        "PrefixList=\"xs\"",
        &format!("PrefixList=\"xs {list}\""),
    );
    assert_eq!(refused(&long), SamlError::TooManyPrefixes);
    let info = swap(
        ASSERTION_SIGNED,
        "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
        &format!("<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"{list}\"/></ds:CanonicalizationMethod>"),
    );
    assert_eq!(refused(&info), SamlError::TooManyPrefixes);
}

/// The Web Browser SSO profile's rules (saml-profiles-2.0-os §4.1.4.2–4.1.4.5) and the
/// core's conditions and authentication statements (saml-core-2.0-os §2.5, §2.7.2),
/// each broken once in a response xmlsec1 signed (tests/fixtures/make.py,
/// `PROFILE`): docs/saml.md's table names these rows.
const PROFILE: &[(&str, &str, Option<SamlError>)] = &[
    (
        "profile-no-authn-statement",
        fixture!("profile-no-authn-statement.xml"),
        Some(SamlError::MissingAuthnStatement),
    ),
    (
        "profile-authn-without-instant",
        fixture!("profile-authn-without-instant.xml"),
        Some(SamlError::MalformedAuthnStatement),
    ),
    (
        "profile-session-ended",
        fixture!("profile-session-ended.xml"),
        Some(SamlError::SessionEnded),
    ),
    (
        "profile-session-bound",
        fixture!("profile-session-bound.xml"),
        None,
    ),
    (
        "profile-confirmation-not-before",
        fixture!("profile-confirmation-not-before.xml"),
        Some(SamlError::ConfirmationNotBefore),
    ),
    (
        "profile-confirmation-without-not-on-or-after",
        fixture!("profile-confirmation-without-not-on-or-after.xml"),
        Some(SamlError::ConfirmationWithoutExpiry),
    ),
    (
        "profile-holder-of-key-only",
        fixture!("profile-holder-of-key-only.xml"),
        Some(SamlError::NoBearerConfirmation),
    ),
    (
        "profile-unknown-condition",
        fixture!("profile-unknown-condition.xml"),
        Some(SamlError::UnsupportedCondition),
    ),
    (
        "profile-two-one-time-use",
        fixture!("profile-two-one-time-use.xml"),
        Some(SamlError::DuplicateCondition),
    ),
    (
        "profile-one-time-use",
        fixture!("profile-one-time-use.xml"),
        None,
    ),
    (
        "profile-inverted-window",
        fixture!("profile-inverted-window.xml"),
        Some(SamlError::InvalidTimeWindow),
    ),
    (
        "profile-second-audience-restriction",
        fixture!("profile-second-audience-restriction.xml"),
        Some(SamlError::WrongAudience),
    ),
    (
        "profile-no-audience-restriction",
        fixture!("profile-no-audience-restriction.xml"),
        Some(SamlError::WrongAudience),
    ),
    (
        "profile-issuer-format",
        fixture!("profile-issuer-format.xml"),
        Some(SamlError::IssuerFormat),
    ),
    (
        "profile-issuer-entity-format",
        fixture!("profile-issuer-entity-format.xml"),
        None,
    ),
];

#[test]
fn the_web_browser_sso_profile_holds() {
    for (name, xml, expected) in PROFILE {
        let got = check(xml);
        match expected {
            Some(e) => assert_eq!(got.as_ref().err(), Some(e), "{name}"),
            None => assert!(got.is_ok(), "{name}: {got:?}"),
        }
    }
    // The session this SP makes ends by the IdP's SessionNotOnOrAfter.
    let bound = check(fixture!("profile-session-bound.xml")).unwrap();
    assert_eq!(
        bound.session_not_on_or_after().map(|t| t.to_rfc3339()),
        Some("2026-01-01T02:00:00Z".to_owned())
    );
    assert_eq!(
        check(ASSERTION_SIGNED).unwrap().session_not_on_or_after(),
        None
    );
}
