//! Domain-verification benchmark: `POST /api/v1/orgs/{org}/domains/{id}/verify` through
//! the release Worker under `wrangler dev`, against a real DoH server (Knot behind
//! dnsdist) on loopback. Prints wall time per request, DoH fetches and D1 round trips
//! (from the development headers): one fetch for an answer too short-lived to cache,
//! none when the answer is cached. Run with `make bench-dns`.

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
#[path = "../tests/e2e/dns_peer.rs"]
mod dns_peer;
#[path = "../tests/e2e/server.rs"]
mod server;

use std::time::Instant;

use client::Client;
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

fn measure(label: &str, n: usize, c: &Client, token: &str, path: &str) {
    let mut times = Vec::new();
    let mut fetches = Vec::new();
    let mut trips = Vec::new();
    for _ in 0..n {
        let start = Instant::now();
        let r = c.json("POST", path, Some(token), &json!({}));
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status, 200, "{}", r.body);
        fetches.push(
            r.header("x-orgpass-fetches")
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
        trips.push(r.round_trips());
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "{label:<40} n={n:<4} p50 {:>6.2} ms  p90 {:>6.2} ms  fetches {}..{}  D1 {}",
        pct(0.5),
        pct(0.9),
        fetches.iter().min().unwrap(),
        fetches.iter().max().unwrap(),
        trips.iter().max().unwrap()
    );
}

fn main() {
    let mut dns = dns_peer::DnsPeer::start();
    let mut server = server::Server::start("bench-verify", &[("DOH_URL", &dns.url())]);
    let c = Client::new(&server.base);
    let email = format!("verify-bench-{}@example.com", std::process::id());
    c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": PASSWORD, "name": "B"}),
    );
    let mail = c.get(&format!("/dev/mail?to={email}"), None).json();
    let link = mail["messages"][0]["links"][0].as_str().unwrap().to_owned();
    let verify_token = link.split("token=").nth(1).unwrap();
    c.json(
        "POST",
        "/api/v1/accounts/verify-email",
        None,
        &json!({ "token": verify_token }),
    );
    let token = c
        .json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = c
        .json(
            "POST",
            "/api/v1/orgs",
            Some(&token),
            &json!({"name": "Bench", "product": "tracker"}),
        )
        .json()["org"]["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/application"),
        Some(&token),
        &json!({"admin_name": "B", "admin_email": email, "company_name": "B", "space_key": key}),
    );
    c.send(
        "POST",
        &format!("/api/v1/operator/pass/applications/{key}/approve"),
        &[("authorization", "Bearer dev-operator-token-not-secret")],
        None,
    );

    for (domain, ttl, label) in [
        ("fresh.example", 1, "verify, answer not cacheable (TTL 1 s)"),
        ("cached.example", 300, "verify, answer cached (TTL 300 s)"),
    ] {
        let d = c
            .json(
                "POST",
                &format!("/api/v1/orgs/{key}/domains"),
                Some(&token),
                &json!({ "domain": domain }),
            )
            .json()["domain"]
            .clone();
        let value = d["txt_value"].as_str().unwrap();
        dns.set_with_ttl(&format!("_orgpass-challenge.{domain}"), ttl, &[&[value]]);
        let path = format!(
            "/api/v1/orgs/{key}/domains/{}/verify",
            d["id"].as_str().unwrap()
        );
        // The first check verifies (and, for the long TTL, fills the cache).
        assert_eq!(
            c.json("POST", &path, Some(&token), &json!({})).json()["domain"]["status"],
            "verified"
        );
        measure(label, 200, &c, &token, &path);
    }
    server.stop();
}
