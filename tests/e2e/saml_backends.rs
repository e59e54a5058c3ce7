//! The differential test of the two SAML signature back ends: every fixture xmlsec1
//! signed and every attack on a signature, verified natively (RustCrypto, the
//! `rustcrypto` feature of saml-sp) and inside the Worker (WebCrypto, through
//! `POST /dev/saml/verify`), must get the same verdict: the same error code, or the
//! same login (NameID, assertion, signing certificate).

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use saml_sp::{Certificate, Expectations, Timestamp};
use serde_json::{json, Value};

use crate::World;

pub const TESTS: &[(&str, crate::TestFn)] = &[(
    "saml_backends::webcrypto_and_rustcrypto_agree_on_every_fixture_and_attack",
    both_back_ends_agree,
)];

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/saml-sp/tests/fixtures");
const IDP: &str = "https://idp.example.com/metadata";
const SP: &str = "https://sp.example.com/saml/acme";
const ACS: &str = "https://sp.example.com/saml/acme/acs";
const REQUEST: &str = "_req5e1a0c";
/// One minute after the fixtures' IssueInstant.
const NOW: &str = "2026-01-01T00:01:00Z";
/// The group orders of P-256 and P-384 (SEC 2), for the malleated `(r, n − s)`.
const P256_N: &str = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
const P384_N: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973";

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap()
}

/// One case: a response, the configured certificates, and the expectation flags.
struct Case {
    name: String,
    xml: String,
    certs: Vec<&'static str>,
    unsolicited: bool,
    allow_sha1: bool,
    now: &'static str,
}

impl Case {
    fn new(name: impl Into<String>, xml: String, certs: &[&'static str]) -> Self {
        Self {
            name: name.into(),
            xml,
            certs: certs.to_vec(),
            unsolicited: false,
            allow_sha1: false,
            now: NOW,
        }
    }

    fn pems(&self) -> Vec<String> {
        self.certs
            .iter()
            .map(|c| read(&format!("keys/{c}.crt")))
            .collect()
    }

    /// The RustCrypto verdict, in the Worker's answer's terms.
    fn native(&self) -> Value {
        let keys: Vec<_> = self
            .pems()
            .iter()
            .map(|p| Certificate::parse(p).unwrap().key().clone())
            .collect();
        let expect = Expectations {
            idp_entity_id: IDP,
            sp_entity_id: SP,
            acs_url: ACS,
            keys: &keys,
            in_response_to: (!self.unsolicited).then_some(REQUEST),
            allow_idp_initiated: self.unsolicited,
            allow_sha1: self.allow_sha1,
            clock_skew_seconds: 180,
            now: Timestamp::parse_rfc3339(self.now).unwrap(),
        };
        match saml_sp::verify_response(self.xml.as_bytes(), &expect) {
            Ok(login) => json!({
                "ok": true,
                "name_id": login.name_id(),
                "assertion_id": login.assertion_id(),
                "certificate_fingerprint": login.certificate_fingerprint(),
            }),
            Err(e) => json!({"ok": false, "error": e.code()}),
        }
    }

    /// The WebCrypto verdict, and how many checks WebCrypto performed.
    fn worker(&self, w: &World) -> (Value, u64) {
        let r = w.client().json(
            "POST",
            "/dev/saml/verify",
            None,
            &json!({
                "response": B64.encode(&self.xml),
                "certificates": self.pems(),
                "idp_entity_id": IDP,
                "sp_entity_id": SP,
                "acs_url": ACS,
                "in_response_to": (!self.unsolicited).then_some(REQUEST),
                "allow_idp_initiated": self.unsolicited,
                "allow_sha1": self.allow_sha1,
                "clock_skew_seconds": 180,
                "now": self.now,
            }),
        );
        assert_eq!(r.status, 200, "{}: {}", self.name, r.body);
        let mut answer = r.json();
        let checks = answer["checks"].as_u64().unwrap_or(0);
        let verdict = match answer["ok"].as_bool() {
            Some(true) => json!({
                "ok": true,
                "name_id": answer["name_id"],
                "assertion_id": answer["assertion_id"],
                "certificate_fingerprint": answer["certificate_fingerprint"],
            }),
            _ => {
                answer.as_object_mut().unwrap().remove("checks");
                answer
            }
        };
        (verdict, checks)
    }
}

/// The base64 text of the first `ds:SignatureValue`.
fn signature_value(xml: &str) -> &str {
    let start = xml.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
    let end = start + xml[start..].find("</ds:SignatureValue>").unwrap();
    &xml[start..end]
}

/// `xml` with its first signature value's bytes changed by `change`.
fn resign(xml: &str, change: impl FnOnce(&mut Vec<u8>)) -> String {
    let text = signature_value(xml);
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut bytes = B64.decode(compact).unwrap();
    change(&mut bytes);
    xml.replacen(text, &B64.encode(bytes), 1)
}

/// `n − s` of big-endian numbers of one length.
fn complement(n_hex: &str, s: &[u8]) -> Vec<u8> {
    let n = hex::decode(n_hex).unwrap();
    let mut out = vec![0; n.len()];
    let mut borrow = 0i16;
    for i in (0..n.len()).rev() {
        let mut d = i16::from(n[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    // Every fixture, with its own key, then with every other key alone, then in a
    // rotation (another key first).
    let keys = ["rsa2048", "rsa4096", "p256", "p384"];
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".xml"))
        .collect();
    names.sort();
    for name in &names {
        let own = keys
            .into_iter()
            .find(|k| name.starts_with(k))
            .unwrap_or("rsa2048");
        let xml = read(name);
        let mut case = Case::new(name.clone(), xml.clone(), &[own]);
        case.unsolicited = name == "idp-initiated.xml";
        let unsolicited = case.unsolicited;
        cases.push(case);
        for other in keys.into_iter().filter(|k| *k != own) {
            let mut alone = Case::new(format!("{name} with {other}"), xml.clone(), &[other]);
            alone.unsolicited = unsolicited;
            cases.push(alone);
            let mut rotation = Case::new(
                format!("{name} with {other}, {own}"),
                xml.clone(),
                &[other, own],
            );
            rotation.unsolicited = unsolicited;
            cases.push(rotation);
        }
    }
    let mut sha1 = Case::new(
        "sha1 with the opt-in",
        read("rsa2048-sha1.xml"),
        &["rsa2048"],
    );
    sha1.allow_sha1 = true;
    cases.push(sha1);
    let mut late = Case::new("expired", read("rsa2048-both.xml"), &["rsa2048"]);
    late.now = "2026-01-01T01:00:00Z";
    cases.push(late);

    // Attacks on the signature value itself, for every key kind.
    let signed = [
        ("rsa2048-assertion.xml", "rsa2048", None),
        ("rsa2048-response.xml", "rsa2048", None),
        ("rsa4096-both.xml", "rsa4096", None),
        ("p256-assertion.xml", "p256", Some(P256_N)),
        ("p256-response.xml", "p256", Some(P256_N)),
        ("p384-assertion.xml", "p384", Some(P384_N)),
    ];
    for (file, key, order) in signed {
        let xml = read(file);
        let mut add = |what: &str, xml: String| {
            cases.push(Case::new(format!("{file}: {what}"), xml, &[key]));
        };
        add("first byte flipped", resign(&xml, |b| b[0] ^= 0x01));
        add(
            "last byte flipped",
            resign(&xml, |b| *b.last_mut().unwrap() ^= 0x80),
        );
        add("one byte short", resign(&xml, |b| b.truncate(b.len() - 1)));
        add("one byte long", resign(&xml, |b| b.insert(0, 0)));
        add("doubled", resign(&xml, |b| b.extend(b.clone())));
        add(
            "all zero",
            resign(&xml, |b| b.iter_mut().for_each(|x| *x = 0)),
        );
        add(
            "all ones",
            resign(&xml, |b| b.iter_mut().for_each(|x| *x = 0xFF)),
        );
        add("empty", resign(&xml, Vec::clear));
        if let Some(n) = order {
            // r and s are each as long as the order (hex: two digits a byte).
            let half = n.len() / 2;
            add("r and s swapped", resign(&xml, |b| b.rotate_left(half)));
            add(
                "s replaced by n - s (malleated, still valid)",
                resign(&xml, |b| {
                    let s = b.split_off(half);
                    let mut t = complement(n, &s);
                    b.append(&mut t);
                }),
            );
            add(
                "r = n",
                resign(&xml, |b| {
                    b[..half].copy_from_slice(&hex::decode(n).unwrap())
                }),
            );
            add(
                "s = n",
                resign(&xml, |b| {
                    b[half..].copy_from_slice(&hex::decode(n).unwrap())
                }),
            );
        }
        // The same signature under another method: the hash or the key kind changes.
        for (from, to) in [
            ("rsa-sha256", "rsa-sha512"),
            ("rsa-sha256", "rsa-sha384"),
            ("rsa-sha256", "ecdsa-sha256"),
            ("ecdsa-sha256", "ecdsa-sha384"),
            ("ecdsa-sha384", "ecdsa-sha256"),
            ("ecdsa-sha256", "rsa-sha256"),
        ] {
            let from = format!("xmldsig-more#{from}\"");
            if xml.contains(&from) {
                add(
                    &format!("method {to}"),
                    xml.replacen(&from, &format!("xmldsig-more#{to}\""), 1),
                );
            }
        }
        // Signed content changed, and the digest with it: the signature no longer
        // covers SignedInfo.
        add(
            "NameID changed",
            xml.replacen(
                "alice@acme-example.com</saml:NameID>",
                "mallory@acme-example.com</saml:NameID>",
                1,
            ),
        );
        let digest_start = xml.find("<ds:DigestValue>").unwrap() + "<ds:DigestValue>".len();
        let mut other_digest = xml.clone();
        other_digest.replace_range(digest_start..=digest_start, "A");
        add("DigestValue changed", other_digest);
    }
    cases
}

fn both_back_ends_agree(w: &World) {
    let cases = corpus();
    let mut verdicts = std::collections::BTreeMap::<String, usize>::new();
    let mut checked = 0;
    for case in &cases {
        let native = case.native();
        let (worker, checks) = case.worker(w);
        assert_eq!(
            worker, native,
            "{}: WebCrypto and RustCrypto disagree",
            case.name
        );
        let key = if native["ok"] == true {
            "ok".to_owned()
        } else {
            native["error"].as_str().unwrap().to_owned()
        };
        *verdicts.entry(key).or_default() += 1;
        checked += usize::from(checks > 0);
    }
    // The corpus reaches the signature arithmetic and both sides of it.
    eprintln!(
        "saml back ends: {} cases, {checked} with checks, {verdicts:?}",
        cases.len()
    );
    assert!(cases.len() > 150, "{}", cases.len());
    assert!(verdicts["ok"] >= 20, "{verdicts:?}");
    for code in [
        "signature_invalid",
        "untrusted_certificate",
        "digest_mismatch",
        "sha1_not_allowed",
        "expired",
    ] {
        assert!(verdicts.contains_key(code), "no {code} case: {verdicts:?}");
    }
    assert!(checked > 100, "{checked}");
}
