//! Route benchmark: starts the release Worker under `wrangler dev` (as the end-to-end
//! tests do), then times each route over many requests and prints the D1 round trips
//! the Worker reported. Local wall time includes wrangler's proxy and the local D1
//! (SQLite); it is a regression yardstick, not a production latency.
//!
//! Run with `make bench`. Not a test: it never fails on slow numbers.

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
#[path = "../tests/e2e/server.rs"]
mod server;

use std::time::Instant;

use client::{Client, Resp};
use serde_json::json;

const N: usize = 200;

fn measure(name: &str, n: usize, mut f: impl FnMut(usize) -> Resp) {
    let mut times = Vec::with_capacity(n);
    let mut trips = Vec::new();
    for i in 0..n {
        let start = Instant::now();
        let r = f(i);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(r.status < 500, "{name}: {} {}", r.status, r.body);
        if let Some(t) = r.header("x-orgpass-d1-round-trips") {
            trips.push(t.parse::<u32>().unwrap());
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    let trips = trips.iter().max().map_or("-".to_owned(), u32::to_string);
    println!(
        "{name:<44} {n:>5} {:>9.2} {:>9.2} {:>9.2} {trips:>6}",
        pct(0.5),
        pct(0.9),
        pct(0.99)
    );
}

/// PBKDF2-HMAC-SHA256 at the production iteration count, natively (the `pbkdf2` crate):
/// a yardstick for the CPU time WebCrypto spends per sign-up and login inside workerd,
/// which local wall times cannot isolate.
fn pbkdf2_reference() {
    let mut out = [0u8; 32];
    let runs = 20;
    let start = Instant::now();
    for i in 0..runs {
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
            b"correct horse battery",
            &[i as u8; 16],
            100_000,
            &mut out,
        );
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    println!(
        "reference: native PBKDF2-HMAC-SHA256, 100,000 iterations: {ms:.1} ms CPU per derivation\n"
    );
}

fn main() {
    pbkdf2_reference();
    let mut server = server::Server::start("bench", &[]);
    let c = Client::new(&server.base);
    println!(
        "{:<44} {:>5} {:>9} {:>9} {:>9} {:>6}",
        "route", "n", "p50 ms", "p90 ms", "p99 ms", "D1"
    );

    measure("GET /healthz", N, |_| c.get("/healthz", None));
    let stamp = std::process::id();
    measure("POST /api/v1/accounts (PBKDF2 100k)", 50, |i| {
        c.json(
            "POST",
            "/api/v1/accounts",
            None,
            &json!({"email": format!("bench-{stamp}-{i}@example.com"), "password": "correct horse battery", "name": "B"}),
        )
    });
    let email = format!("bench-{stamp}-0@example.com");
    let mail = c.get(&format!("/dev/mail?to={email}"), None).json();
    let token = mail["messages"][0]["links"][0]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    c.json(
        "POST",
        "/api/v1/accounts/verify-email",
        None,
        &json!({ "token": token }),
    );
    measure("POST /api/v1/sessions (PBKDF2 100k)", 50, |i| {
        // Spread over addresses so the per-IP failure limit never interferes.
        let mut other = c.clone();
        other.ip = format!("198.19.0.{}", i % 250 + 1);
        other.json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": email, "password": "correct horse battery"}),
        )
    });
    let session = c
        .json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": email, "password": "correct horse battery"}),
        )
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    measure("GET /api/v1/me", N, |_| c.get("/api/v1/me", Some(&session)));
    measure("POST /api/v1/orgs", 50, |i| {
        c.json(
            "POST",
            "/api/v1/orgs",
            Some(&session),
            &json!({"name": format!("Bench {i}"), "product": "tracker"}),
        )
    });
    let key = c.get("/api/v1/me", Some(&session)).json()["organizations"][0]["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    measure("GET /api/v1/orgs/{org}", N, |_| {
        c.get(&format!("/api/v1/orgs/{key}"), Some(&session))
    });
    measure("PATCH /api/v1/orgs/{org} (name)", N, |i| {
        c.json(
            "PATCH",
            &format!("/api/v1/orgs/{key}"),
            Some(&session),
            &json!({"name": format!("Bench {i}")}),
        )
    });
    let cookie = format!("orgpass_session={session}");
    measure("GET /orgs/{org}/settings (page)", N, |_| {
        c.send(
            "GET",
            &format!("/orgs/{key}/settings"),
            &[("cookie", &cookie)],
            None,
        )
    });
    measure("GET / (dashboard, 51 organizations)", N, |_| {
        c.send("GET", "/", &[("cookie", &cookie)], None)
    });
    server.stop();
}
