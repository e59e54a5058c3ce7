//! The worst 256 KiB ACS bodies we can build, natively: how long the SAML core takes to
//! refuse each (parse, and whatever it reaches before a signature is checked). Every
//! step of the reader must be linear and bounded (attributes per element, elements,
//! depth, text); the goal is under 20 ms per document. Prints numbers; never fails on
//! slow ones. Run with `make bench-saml-hostile`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::disallowed_methods
)]

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use saml_sp::{verify_response, Certificate};

#[path = "common/saml_fixtures.rs"]
mod fixtures;
use fixtures::DIR;

const LIMIT: usize = 256 * 1024;
const P: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// Repeats `unit(i)` inside `open` … `close` until the document is just under 256 KiB.
fn fill(open: &str, unit: impl Fn(usize) -> String, close: &str) -> String {
    let mut doc = String::from(open);
    let mut i = 0;
    loop {
        let u = unit(i);
        if doc.len() + u.len() + close.len() > LIMIT {
            break;
        }
        doc.push_str(&u);
        i += 1;
    }
    doc.push_str(close);
    doc
}

fn shapes() -> Vec<(&'static str, String)> {
    let response = format!("<samlp:Response xmlns:samlp=\"{P}\"");
    let mut out = vec![
        (
            "one element, attributes until 256 KiB",
            fill(&response, |i| format!(" a{i}=\"\""), "/>"),
        ),
        (
            "one element, namespace declarations until 256 KiB",
            fill(&response, |i| format!(" xmlns:p{i}=\"u\""), "/>"),
        ),
        (
            "declarations, then attributes naming the first prefix",
            fill(
                &format!("{response} xmlns:p=\"u\""),
                |i| format!(" p:a{i}=\"\""),
                "/>",
            ),
        ),
        (
            "empty elements until 256 KiB",
            fill(
                &format!("{response}>"),
                |_| "<a/>".to_owned(),
                "</samlp:Response>",
            ),
        ),
        (
            "character references until 256 KiB",
            fill(
                &format!("{response}>"),
                |_| "&#65;".to_owned(),
                "</samlp:Response>",
            ),
        ),
        (
            "comments until 256 KiB",
            fill(
                &format!("{response}>"),
                |_| "<!---->".to_owned(),
                "</samlp:Response>",
            ),
        ),
    ];
    // 60 levels, each declaring 60 prefixes, then leaves with attributes in the
    // outermost prefix (namespace look-ups walk up through every level).
    let mut deep = format!("{response}>");
    for level in 0..60 {
        deep.push_str("<d");
        for p in 0..60 {
            deep.push_str(&format!(" xmlns:q{level}x{p}=\"u{p}\""));
        }
        deep.push('>');
    }
    let close: String = "</d>".repeat(60) + "</samlp:Response>";
    let leaf = |_: usize| {
        let mut s = String::from("<e");
        for a in 0..60 {
            s.push_str(&format!(" q0x0:a{a}=\"\""));
        }
        s.push_str("/>");
        s
    };
    out.push((
        "60 levels × 60 declarations, leaves with 60 attributes",
        fill(&deep, leaf, &close),
    ));
    // A real signed response whose Signature carries an enormous PrefixList.
    let fixture = std::fs::read_to_string(format!("{DIR}/rsa2048-assertion.xml")).unwrap();
    let marker = "Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>";
    if let Some(at) = fixture.find(marker) {
        let head = &fixture[..at];
        let tail = &fixture[at + marker.len()..];
        let open = format!(
            "{head}Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\""
        );
        let close = format!("\"/></ds:CanonicalizationMethod>{tail}");
        out.push((
            "a signed response with a 250 KiB PrefixList",
            fill(&open, |i| format!("p{i} "), &close),
        ));
    }
    out
}

fn main() {
    let pem = std::fs::read_to_string(format!("{DIR}/keys/rsa2048.crt")).unwrap();
    let certs = [Certificate::parse(&pem).unwrap().key().clone()];
    let expect = fixtures::expectations(&certs);
    println!("hostile ACS bodies, natively (goal: every one under 20 ms)");
    let mut worst = 0.0f64;
    for (name, doc) in shapes() {
        let verdict = verify_response(doc.as_bytes(), &expect)
            .map(|_| "accepted".to_owned())
            .unwrap_or_else(|e| e.code().to_owned());
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < Duration::from_millis(1500) || n < 3 {
            black_box(verify_response(black_box(doc.as_bytes()), &expect).ok());
            n += 1;
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
        worst = worst.max(ms);
        println!(
            "  {name:<58} {:>4} KiB  {ms:>9.3} ms  ({verdict})",
            doc.len() / 1024
        );
    }
    println!("worst: {worst:.3} ms per document");
}
