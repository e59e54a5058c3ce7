//! Our verdict on every SAML fixture beside python3-saml's (OneLogin's library on
//! libxmlsec1, strict mode; tests/oracle/python3_saml_verdicts.py), as an
//! independent oracle. Where python3-saml refuses, we must refuse too. Where we refuse
//! and it accepts, the fixture must be one of the rules we hold more strictly than it
//! does — each a MUST of the SAML profile or core that python3-saml does not check
//! (docs/saml.md, the profile table) — with exactly our expected variant. Everything else
//! agrees. Runs under `make test` (the e2e target installs python3-saml first).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test binary: a failed step is a failed test"
)]

use std::{collections::BTreeMap, process::Command};

use saml_sp::{verify_response, Certificate, Expectations, SamlError, Timestamp};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const PYTHON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../.tools/oracle-venv/bin/python"
);
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/oracle/python3_saml_verdicts.py"
);

/// Rules python3-saml 1.16 does not check, which we hold (saml-profiles-2.0-os §4.1.4.2,
/// saml-core-2.0-os §2.5.1).
const STRICTER: &[(&str, SamlError)] = &[
    (
        "profile-confirmation-not-before",
        SamlError::ConfirmationNotBefore,
    ),
    (
        "profile-confirmation-without-not-on-or-after",
        SamlError::ConfirmationWithoutExpiry,
    ),
    ("profile-inverted-window", SamlError::InvalidTimeWindow),
    ("profile-issuer-format", SamlError::IssuerFormat),
    ("profile-no-audience-restriction", SamlError::WrongAudience),
    (
        "profile-second-audience-restriction",
        SamlError::WrongAudience,
    ),
    ("profile-two-one-time-use", SamlError::DuplicateCondition),
];

fn ours(name: &str, xml: &[u8]) -> Result<(), SamlError> {
    let key = ["rsa4096", "p256", "p384"]
        .into_iter()
        .find(|k| name.starts_with(k))
        .unwrap_or("rsa2048");
    let pem = std::fs::read_to_string(format!("{DIR}/keys/{key}.crt")).unwrap();
    let certs = [Certificate::parse(&pem).unwrap().key().clone()];
    let unsolicited = name == "idp-initiated";
    let expect = Expectations {
        idp_entity_id: "https://idp.example.com/metadata",
        sp_entity_id: "https://sp.example.com/saml/acme",
        acs_url: "https://sp.example.com/saml/acme/acs",
        keys: &certs,
        in_response_to: (!unsolicited).then_some("_req5e1a0c"),
        allow_idp_initiated: unsolicited,
        allow_sha1: false,
        clock_skew_seconds: 180,
        now: Timestamp::parse_rfc3339("2026-01-01T00:01:00Z").unwrap(),
    };
    verify_response(xml, &expect).map(|_| ())
}

#[test]
fn our_verdicts_beside_python3_saml() {
    let out = Command::new(PYTHON)
        .args([SCRIPT, DIR])
        .output()
        .expect("python3-saml is installed (scripts/install-test-peers.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: BTreeMap<String, (bool, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["name"].as_str().unwrap().to_owned(),
                (
                    v["ok"].as_bool().unwrap(),
                    v["error"].as_str().unwrap_or_default().to_owned(),
                ),
            )
        })
        .collect();
    let files: Vec<_> = std::fs::read_dir(DIR)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".xml").map(str::to_owned)
        })
        .collect();
    assert!(files.len() >= 30, "every fixture: {files:?}");
    let mut report = Vec::new();
    for name in &files {
        let xml = std::fs::read(format!("{DIR}/{name}.xml")).unwrap();
        let (their_ok, their_error) = theirs.get(name).cloned().expect(name);
        let our = ours(name, &xml);
        let stricter = STRICTER.iter().find(|(n, _)| n == name);
        report.push(format!(
            "{name}: ours {our:?}, python3-saml {}",
            if their_ok { "accepts" } else { &their_error }
        ));
        match (our, their_ok, stricter) {
            (Ok(()), false, _) => {
                panic!("{name}: we accept what python3-saml refuses ({their_error})")
            }
            (Err(e), true, Some((_, want))) => assert_eq!(&e, want, "{name}"),
            (Err(e), true, None) => panic!("{name}: we refuse ({e:?}) what python3-saml accepts"),
            (Ok(()), true, Some(_)) => panic!("{name}: listed as stricter, yet we accept it"),
            (Ok(()), true, None) | (Err(_), false, None) => {}
            (Err(_), false, Some(_)) => {
                panic!("{name}: python3-saml refuses it now; drop it from STRICTER")
            }
        }
    }
    println!("{}", report.join("\n"));
}
