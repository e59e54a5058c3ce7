//! SAML verification natively, side by side with libxmlsec1 in one run: for each signed
//! response, our full validation (parse, c14n, digest, signature, every SAML check)
//! per second, then libxmlsec1's parse-and-verify of the same document in a loop inside
//! one Python process (benches/xmlsec_verify.py), and the ratio. Prints numbers; never
//! fails on slow ones. Run with `make bench-saml`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::disallowed_methods
)]

use std::{
    hint::black_box,
    process::Command,
    time::{Duration, Instant},
};

use saml_sp::{verify_response, Certificate};

#[path = "common/saml_fixtures.rs"]
mod fixtures;
use fixtures::DIR;

const SECONDS: u64 = 3;

fn ours(xml: &[u8], cert: &Certificate) -> f64 {
    let certs = [cert.key().clone()];
    let expect = fixtures::expectations(&certs);
    verify_response(xml, &expect).expect("the fixture verifies");
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(SECONDS) {
        for _ in 0..20 {
            black_box(verify_response(black_box(xml), &expect).unwrap());
        }
        n += 20;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

fn xmlsec(file: &str, cert: &str) -> Option<f64> {
    let python = std::env::var("BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/xmlsec_verify.py"
        ))
        .args([file, cert, &SECONDS.to_string()])
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "xmlsec reference failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn main() {
    println!(
        "{:<22} {:>10} {:>12} {:>14} {:>8}",
        "response", "bytes", "ours /s", "libxmlsec1 /s", "ratio"
    );
    for (name, key) in [
        ("rsa2048-response", "rsa2048"),
        ("rsa2048-assertion", "rsa2048"),
        ("rsa2048-both", "rsa2048"),
        ("rsa4096-response", "rsa4096"),
        ("rsa4096-assertion", "rsa4096"),
        ("p256-response", "p256"),
    ] {
        let file = format!("{DIR}/{name}.xml");
        let cert_file = format!("{DIR}/keys/{key}.crt");
        let xml = std::fs::read(&file).unwrap();
        let cert = Certificate::parse(&std::fs::read_to_string(&cert_file).unwrap()).unwrap();
        let ours = ours(&xml, &cert);
        // xmlsec verifies the first signature only: "both" is compared with that one.
        let theirs = xmlsec(&file, &cert_file);
        let (theirs_s, ratio) = match theirs {
            Some(t) => (format!("{t:.0}"), format!("{:.2}x", ours / t)),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{name:<22} {:>10} {ours:>12.0} {theirs_s:>14} {ratio:>8}",
            xml.len()
        );
    }
    println!("ratio = ours / libxmlsec1 (higher is faster); ours does every SAML check too.");
}
