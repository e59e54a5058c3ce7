//! Audit log benchmark (docs/performance.md): seeds one organization's log with
//! 100,000 events into a fresh local D1, then, under `wrangler dev` from a client on
//! loopback, times a page of the API (100 events) and the CSV export of all of them
//! (wall time, bytes, D1 round trips), and measures the CPU time of each with V8's
//! sampling profiler through wrangler's inspector (`benches/cpu-profile.mjs`).
//!
//! Run with `make bench-audit`. Not a test: it never fails on slow numbers.

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

#[path = "../tests/e2e/client.rs"]
mod client;
#[path = "common/cpu.rs"]
mod cpu;
#[path = "../tests/e2e/server.rs"]
mod server;

use std::time::Instant;

use client::{Client, Resp};
use serde_json::{json, Value};

const EVENTS: usize = 100_000;
const N: usize = 100;
const EXPORTS: usize = 5;

fn percentiles(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    (pct(0.5), pct(0.9), pct(0.99))
}

fn measure(name: &str, n: usize, mut f: impl FnMut() -> Resp) -> Resp {
    let mut times = Vec::with_capacity(n);
    let mut last = None;
    for _ in 0..n {
        let start = Instant::now();
        let r = f();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(r.status < 300, "{name}: {} {}", r.status, r.body);
        last = Some(r);
    }
    let r = last.unwrap();
    let (p50, p90, p99) = percentiles(times);
    println!(
        "{name:<44} {n:>4} {p50:>9.1} {p90:>9.1} {p99:>9.1} {:>10} {:>4}",
        r.body.len(),
        r.round_trips()
    );
    r
}

fn main() {
    let mut server = server::Server::start("bench-audit", &[]);
    let c = Client::new(&server.base);
    let email = "admin@bench.example";
    let password = "correct horse battery staple";
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": password, "name": "Admin"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    server.sql("UPDATE accounts SET email_verified_at = 1 WHERE email = 'admin@bench.example'");
    let login = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": password}),
    );
    let token = login.json()["token"].as_str().unwrap().to_owned();
    let r = c.json(
        "POST",
        "/api/v1/orgs",
        Some(&token),
        &json!({"name": "Bench Audit", "product": "tracker"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let key = r.json()["org"]["space_key"].as_str().unwrap().to_owned();

    // 100,000 events as the log keeps them: an administrator's changes to people, with
    // an address, a browser's user agent and one named target each.
    let seed = Instant::now();
    for batch in 0..(EVENTS / 10_000) {
        server.sql(&format!(
            "INSERT INTO audit_events (id, space_key, occurred_at, action, actor_type, actor_id, \
               actor_email, actor_name, targets, ip, user_agent, outcome) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) \
             SELECT 'evt_' || lower(hex(randomblob(16))), '{key}', 1764000000000 + ({batch} * 10000 + i) * 1000, \
               'member.role_changed', 'account', 'acct_0123456789abcdef0123456789abcdef', \
               'admin@bench.example', 'Admin', \
               json_array(json_object('type', 'account', 'id', 'acct_' || lower(hex(randomblob(16))), \
                 'name', 'person' || i || '@bench.example')), \
               '203.0.113.' || (i % 250), \
               'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36', \
               'success' FROM n"
        ));
    }
    println!(
        "seeded {EVENTS} events in {:.1} s\n",
        seed.elapsed().as_secs_f64()
    );

    let page = format!("/api/v1/orgs/{key}/audit-events");
    let csv = format!("/api/v1/orgs/{key}/audit-events.csv");
    let filtered = format!("{csv}?action=organization.created");
    println!(
        "{:<44} {:>4} {:>9} {:>9} {:>9} {:>10} {:>4}",
        "route (wall time on loopback)", "n", "p50 ms", "p90 ms", "p99 ms", "bytes", "D1"
    );
    measure("GET audit-events (a page of 100)", N, || {
        c.get(&page, Some(&token))
    });
    let r = measure("GET audit-events.csv (all 100,001)", EXPORTS, || {
        c.get(&csv, Some(&token))
    });
    let lines = r.body.lines().count();
    assert_eq!(lines, EVENTS + 2, "the header and every event");
    measure("GET audit-events.csv?action= (1 of 100,001)", N, || {
        c.get(&filtered, Some(&token))
    });
    measure("GET /healthz (baseline)", N, || c.get("/healthz", None));
    println!(
        "(the export's D1 column is its first chunk's; every chunk is one query: {} in all)\n",
        EVENTS / 1000 + 1
    );

    let bearer = format!("Bearer {token}");
    let cases: Vec<Value> = vec![
        json!({"label": "GET /healthz (baseline)", "url": format!("{}/healthz", server.base), "n": N}),
        json!({"label": "GET audit-events (a page of 100)", "url": format!("{}{page}", server.base), "headers": {"authorization": bearer}, "n": N}),
        json!({"label": "GET audit-events.csv (all 100,001)", "url": format!("{}{csv}", server.base), "headers": {"authorization": bearer}, "n": EXPORTS}),
        json!({"label": "GET audit-events.csv?action= (1)", "url": format!("{}{filtered}", server.base), "headers": {"authorization": bearer}, "n": N}),
    ];
    println!(
        "{:<44} {:>12} {:>14}",
        "CPU per request (V8 profiler)", "ms", "over baseline"
    );
    let mut baseline = None;
    for (label, ms) in cpu::profile(server.inspector, &cases) {
        let base = *baseline.get_or_insert(ms);
        println!("{label:<44} {ms:>12.2} {:>14.2}", ms - base);
    }
    server.stop();
}
