//! The `saml-verify` command as support staff run it: arguments, XML or base64 input,
//! JSON out, exit codes.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test binary: a failed step is a failed test"
)]

use std::{
    io::Write as _,
    process::{Command, Stdio},
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn run(extra: &[&str], file: &str, stdin: Option<&[u8]>) -> (i32, serde_json::Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_saml-verify"));
    cmd.args(["--idp-cert", &format!("{DIR}/keys/rsa2048.crt")])
        .args(["--idp-entity-id", "https://idp.example.com/metadata"])
        .args(["--sp-entity-id", "https://sp.example.com/saml/acme"])
        .args(["--acs", "https://sp.example.com/saml/acme/acs"])
        .args(["--now", "2026-01-01T00:01:00Z"])
        .args(extra)
        .arg(file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap(), json)
}

#[test]
fn verifies_a_response_file() {
    let (code, out) = run(
        &["--in-response-to", "_req5e1a0c"],
        &format!("{DIR}/rsa2048-both.xml"),
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["ok"], true);
    assert_eq!(out["name_id"], "alice@acme-example.com");
    assert_eq!(out["attributes"]["groups"][1], "r&d <west>");
    assert_eq!(out["assertion_id"], "_a4b8e6f20c1");
    assert_eq!(out["not_on_or_after"], "2026-01-01T00:05:00Z");
}

#[test]
fn reads_base64_from_stdin() {
    use base64::Engine as _;
    let xml = std::fs::read(format!("{DIR}/idp-initiated.xml")).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
    let (code, out) = run(&["--allow-idp-initiated"], "-", Some(b64.as_bytes()));
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["name_id"], "alice@acme-example.com");
}

#[test]
fn answers_the_variant_and_exits_1() {
    let file = format!("{DIR}/rsa2048-sha1.xml");
    let (code, out) = run(&["--in-response-to", "_req5e1a0c"], &file, None);
    assert_eq!(
        (code, out),
        (
            1,
            serde_json::json!({"ok": false, "error": "sha1_not_allowed"})
        )
    );
    let (code, _) = run(
        &["--in-response-to", "_req5e1a0c", "--allow-sha1"],
        &file,
        None,
    );
    assert_eq!(code, 0);
    let (code, out) = run(&["--in-response-to", "_other"], &file, None);
    assert_eq!((code, out["error"].as_str()), (1, Some("sha1_not_allowed")));
    let (code, out) = run(&["--in-response-to", "_other", "--allow-sha1"], &file, None);
    assert_eq!(
        (code, out["error"].as_str()),
        (1, Some("in_response_to_mismatch"))
    );
    let (code, out) = run(
        &[
            "--allow-idp-initiated",
            "--clock-skew",
            "0",
            "--now",
            "2026-01-01T00:06:00Z",
        ],
        &format!("{DIR}/idp-initiated.xml"),
        None,
    );
    assert_eq!((code, out["error"].as_str()), (1, Some("expired")));
}

#[test]
fn wrong_usage_exits_2() {
    let (code, out) = run(&["--bogus"], "x", None);
    assert_eq!((code, out), (2, serde_json::Value::Null));
    let (code, _) = run(&[], "/nonexistent/file.xml", None);
    assert_eq!(code, 2);
}
