//! SAML login benchmark (docs/performance.md): the ACS under `wrangler dev` with
//! responses signed by a real IdP (pysaml2 through xmlsec1, RSA 2048 and 4096), each
//! response used once. Reports, per key size:
//! - wall time per login from a client on loopback (p50/p90/p99) and the D1 round
//!   trips of each login (the response header the development Worker adds);
//! - CPU time per login from V8's sampling profiler through wrangler's inspector
//!   (`benches/cpu-profile.mjs`), beside a bare request;
//! - logins per second through the ACS under a load generator (threads on loopback
//!   posting distinct valid responses), with p50/p99 latency.
//!
//! Run with `make bench-sso`. Not a test: it never fails on slow numbers.

// Statistics over counts and timings: the numbers are small and printed, not stored.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs, clippy::disallowed_methods, dead_code)]

#[path = "common/account.rs"]
mod account;
#[path = "../tests/e2e/client.rs"]
mod client;
#[path = "common/cpu.rs"]
mod cpu;
#[path = "../tests/e2e/idp_peer.rs"]
mod idp_peer;
#[path = "common/load.rs"]
mod load;
#[path = "../tests/e2e/server.rs"]
mod server;
#[path = "common/sso_org.rs"]
mod sso_org;

use std::time::Instant;

use client::Client;
use idp_peer::IdpPeer;
use serde_json::{json, Value};
use sso_org::{org, Org};

/// Serial logins measured per key size.
const SERIAL: usize = 100;
/// Logins under load.
const LOAD: usize = 400;
/// Concurrent clients of the load generator.
const CONCURRENCY: usize = 8;

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn body(response: &str) -> String {
    format!("SAMLResponse={}&RelayState=%2F", urlencode(response))
}

fn serial(c: &Client, o: &Org, responses: &[String], label: &str) {
    let mut times = Vec::new();
    let mut trips = Vec::new();
    for r in responses {
        let start = Instant::now();
        let resp = c.send(
            "POST",
            &format!("/saml/{}/acs", o.key),
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(&body(r)),
        );
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(resp.status, 303, "{label}: {}", resp.body);
        trips.push(resp.round_trips());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label:<44} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>6}",
        times.len(),
        pct(&times, 0.5),
        pct(&times, 0.9),
        pct(&times, 0.99),
        trips.iter().max().unwrap()
    );
}

fn load(base: &str, o: &Org, responses: Vec<String>, label: &str) -> f64 {
    let url = format!("{base}/saml/{}/acs", o.key);
    let n = responses.len();
    let r = load::run(CONCURRENCY, n, 303, move |agent, i| {
        load::status(
            agent
                .post(&url)
                .set("content-type", "application/x-www-form-urlencoded")
                .send_string(&body(&responses[i])),
        )
    });
    println!(
        "{label:<44} {:>5} {:>8.0} {:>8.2} {:>8.2}",
        r.n, r.per_second, r.p50, r.p99
    );
    r.per_second
}

/// `GET /healthz` under the same load: the trivial route the ACS is compared with.
fn trivial(base: &str, n: usize) -> f64 {
    let url = format!("{base}/healthz");
    let r = load::run(CONCURRENCY, n, 200, move |agent, _| {
        load::status(agent.get(&url).call())
    });
    println!(
        "{:<44} {:>5} {:>8.0} {:>8.2} {:>8.2}",
        "GET /healthz (trivial route)", r.n, r.per_second, r.p50, r.p99
    );
    r.per_second
}

fn main() {
    let mut server = server::Server::start("bench-sso", &[]);
    let c = Client::new(&server.base);
    let idp2048 = IdpPeer::start(2048);
    let idp4096 = IdpPeer::start(4096);
    let o2048 = org(&server, &c, &idp2048, "r2048");
    let o4096 = org(&server, &c, &idp4096, "r4096");

    let started = Instant::now();
    let batch = |idp: &IdpPeer, o: &Org, sign: &str, n: usize| idp.batch(&o.sp, &o.user, sign, n);
    let serial_2048 = batch(&idp2048, &o2048, "assertion", SERIAL);
    let serial_4096 = batch(&idp4096, &o4096, "assertion", SERIAL);
    let cpu_2048 = batch(&idp2048, &o2048, "assertion", SERIAL + 1);
    let cpu_2048_both = batch(&idp2048, &o2048, "both", SERIAL + 1);
    let cpu_4096 = batch(&idp4096, &o4096, "assertion", SERIAL + 1);
    let load_2048 = batch(&idp2048, &o2048, "assertion", LOAD);
    let load_4096 = batch(&idp4096, &o4096, "assertion", LOAD);
    eprintln!(
        "signed {} responses with pysaml2/xmlsec1 in {:.1} s",
        2 * SERIAL + 3 * (SERIAL + 1) + 2 * LOAD,
        started.elapsed().as_secs_f64()
    );

    println!(
        "{:<44} {:>5} {:>8} {:>8} {:>8} {:>6}",
        "ACS login, serial (ms)", "n", "p50", "p90", "p99", "D1"
    );
    serial(
        &c,
        &o2048,
        &serial_2048,
        "POST /saml/{org}/acs RSA 2048 (Assertion)",
    );
    serial(
        &c,
        &o4096,
        &serial_4096,
        "POST /saml/{org}/acs RSA 4096 (Assertion)",
    );

    // CPU per login, through the inspector.
    let form = json!({"content-type": "application/x-www-form-urlencoded"});
    let cases: Vec<Value> = vec![
        json!({"label": "GET /healthz (baseline)", "url": format!("{}/healthz", server.base), "n": SERIAL}),
        json!({"label": "ACS login RSA 2048 (Assertion signed)", "url": format!("{}/saml/{}/acs", server.base, o2048.key),
               "method": "POST", "headers": form, "expect": 303, "bodies": cpu_2048.iter().map(|r| body(r)).collect::<Vec<_>>()}),
        json!({"label": "ACS login RSA 2048 (Response and Assertion)", "url": format!("{}/saml/{}/acs", server.base, o2048.key),
               "method": "POST", "headers": form, "expect": 303, "bodies": cpu_2048_both.iter().map(|r| body(r)).collect::<Vec<_>>()}),
        json!({"label": "ACS login RSA 4096 (Assertion signed)", "url": format!("{}/saml/{}/acs", server.base, o4096.key),
               "method": "POST", "headers": form, "expect": 303, "bodies": cpu_4096.iter().map(|r| body(r)).collect::<Vec<_>>()}),
    ];
    println!(
        "\n{:<44} {:>8} {:>14} {:>8}",
        "CPU per login (V8 profiler)", "ms", "over baseline", "budget"
    );
    let mut baseline = None;
    for (label, ms) in cpu::profile(server.inspector, &cases) {
        let base = *baseline.get_or_insert(ms);
        let budget = if label.contains("4096") {
            "6"
        } else if label.contains("2048") {
            "2"
        } else {
            ""
        };
        println!("{label:<44} {ms:>8.2} {:>14.2} {budget:>8}", ms - base);
    }

    println!(
        "\n{:<44} {:>5} {:>8} {:>8} {:>8}",
        format!("ACS under load ({CONCURRENCY} clients)"),
        "n",
        "logins/s",
        "p50 ms",
        "p99 ms"
    );
    let before = trivial(&server.base, LOAD);
    let rsa2048 = load(
        &server.base,
        &o2048,
        load_2048,
        "RSA 2048, distinct responses",
    );
    let rsa4096 = load(
        &server.base,
        &o4096,
        load_4096,
        "RSA 4096, distinct responses",
    );
    let after = trivial(&server.base, LOAD);
    let reference = (before + after) / 2.0;
    println!(
        "ACS throughput / the trivial route's: {:.1} % (RSA 2048), {:.1} % (RSA 4096)",
        100.0 * rsa2048 / reference,
        100.0 * rsa4096 / reference
    );
    server.stop();
}
