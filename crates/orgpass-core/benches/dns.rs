//! DNS codec benchmark (natively): TXT queries built and answers read per second, on
//! answers captured from a real DoH server (tests/fixtures/dns). Prints numbers; never
//! fails on slow ones. Run with `make bench-dns`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::disallowed_methods
)]

use std::{hint::black_box, time::Instant};

use orgpass_core::dns::{read_txt_answer, txt_query};

fn rate(label: &str, n: u32, mut f: impl FnMut(u32)) {
    let start = Instant::now();
    for i in 0..n {
        f(i);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label:<48} {:>12.0} /s  ({:.0} ns each)",
        f64::from(n) / secs,
        secs * 1e9 / f64::from(n)
    );
}

fn main() {
    let n = 2_000_000;
    rate("txt_query (_orgpass-challenge.acme-example.com)", n, |i| {
        // Any id will do: the low 16 bits of the counter.
        #[allow(clippy::cast_possible_truncation)]
        black_box(txt_query(i as u16, black_box("_orgpass-challenge.acme-example.com")).unwrap());
    });
    for (case, bytes) in [
        (
            "present",
            &include_bytes!("../tests/fixtures/dns/present.bin")[..],
        ),
        (
            "several",
            &include_bytes!("../tests/fixtures/dns/several.bin")[..],
        ),
        (
            "alias",
            &include_bytes!("../tests/fixtures/dns/alias.bin")[..],
        ),
        (
            "absent",
            &include_bytes!("../tests/fixtures/dns/absent.bin")[..],
        ),
    ] {
        let name = format!("_orgpass-challenge.{case}.example");
        rate(
            &format!("read_txt_answer ({case}, {} bytes)", bytes.len()),
            n,
            |_| {
                black_box(read_txt_answer(black_box(bytes), 0xBEEF, &name).unwrap());
            },
        );
    }
}
