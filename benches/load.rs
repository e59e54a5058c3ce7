//! Load, side by side (#12 item 5, docs/performance.md): in one `wrangler dev` run of the
//! release Worker, the throughput of authenticated routes under 8 concurrent loopback
//! clients, each as a ratio of a trivial route's (`GET /healthz`, measured before and
//! after them) in the same run, with p50/p99. The ACS is measured the same way in
//! `make bench-sso` (it needs signed responses).
//!
//! Run with `make bench-load`. Not a test: it never fails on slow numbers.

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
#[path = "common/load.rs"]
mod load;
#[path = "../tests/e2e/server.rs"]
mod server;

use client::Client;
use serde_json::json;

const CONCURRENCY: usize = 8;
const N: usize = 800;
const MEMBERS: usize = 250;
const OPERATOR: &str = "dev-operator-token-not-secret";
const VERIFIER: &str = "bench-verifier-bench-verifier-bench-verifier-0001";

fn line(label: &str, r: &load::Load, reference: Option<f64>) {
    let ratio = reference.map_or(String::new(), |t| {
        format!("{:.1} %", 100.0 * r.per_second / t)
    });
    println!(
        "{label:<46} {:>5} {:>8.0} {:>8.2} {:>8.2} {ratio:>9}",
        r.n, r.per_second, r.p50, r.p99
    );
}

fn main() {
    let mut server = server::Server::start("bench-load", &[]);
    let base = server.base.clone();
    let c = Client::new(&base);
    let (_, token) = account::signed_in(&server, &c, "load@bench.example", "Load");
    let r = c.json(
        "POST",
        "/api/v1/orgs",
        Some(&token),
        &json!({"name": "Load", "product": "tracker"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let key = r.json()["org"]["space_key"].as_str().unwrap().to_owned();
    server.sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MEMBERS}) \
         INSERT INTO accounts (id, email, name, email_verified_at, created_at) \
         SELECT printf('acct_l%05d', i), printf('m%05d@load.example', i), printf('Member %d', i), 1, 1 FROM n; \
         INSERT INTO memberships (space_key, account_id, role, can_invite, created_at) \
         SELECT '{key}', id, 'member', 0, 1 FROM accounts WHERE id LIKE 'acct_l%';"
    ));
    let r = c.json(
        "POST",
        "/api/v1/operator/clients",
        Some(OPERATOR),
        &json!({"name": "Load", "product": "tracker", "redirect_uris": ["http://127.0.0.1:9/callback"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let client_id = r.json()["client"]["client_id"].as_str().unwrap().to_owned();
    let challenge = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(VERIFIER.as_bytes()))
    };
    let authorize = format!(
        "{base}/oauth2/authorize?client_id={client_id}\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&response_type=code\
         &scope=openid%20profile%20email%20organizations&state=s&nonce=n\
         &code_challenge={challenge}&code_challenge_method=S256"
    );
    let members = format!("{base}/api/v1/orgs/{key}/members?limit=200");
    assert_eq!(
        c.get(
            &format!("/api/v1/orgs/{key}/members?limit=200"),
            Some(&token)
        )
        .json()["members"]
            .as_array()
            .unwrap()
            .len(),
        200
    );

    println!(
        "{:<46} {:>5} {:>8} {:>8} {:>8} {:>9}",
        format!("under load ({CONCURRENCY} clients, loopback)"),
        "n",
        "req/s",
        "p50 ms",
        "p99 ms",
        "/ trivial"
    );
    // Each workload: (label, expected status, request i). Run once unmeasured to warm
    // the isolate and the local D1 up, then measured, the trivial route before and after.
    let bearer = format!("Bearer {token}");
    let cookie = format!("orgpass_session={token}");
    type Request = Box<dyn Fn(&ureq::Agent, usize) -> u16 + Send + Sync>;
    let workload = |which: &str| -> (u16, Request) {
        let (healthz, me) = (format!("{base}/healthz"), format!("{base}/api/v1/me"));
        let (members, authorize) = (members.clone(), authorize.clone());
        let (bearer, cookie) = (bearer.clone(), cookie.clone());
        match which {
            "trivial" => (
                200,
                Box::new(move |a, _| load::status(a.get(&healthz).call())),
            ),
            "me" => (
                200,
                Box::new(move |a, _| load::status(a.get(&me).set("authorization", &bearer).call())),
            ),
            "members" => (
                200,
                Box::new(move |a, _| {
                    load::status(a.get(&members).set("authorization", &bearer).call())
                }),
            ),
            _ => (
                303,
                Box::new(move |a, _| load::status(a.get(&authorize).set("cookie", &cookie).call())),
            ),
        }
    };
    let measure = |which: &str, n: usize| {
        let (expect, send) = workload(which);
        load::run(CONCURRENCY, n, expect, send)
    };
    for which in ["trivial", "me", "members", "authorize"] {
        measure(which, N / 4);
    }
    let before = measure("trivial", N);
    let me = measure("me", N);
    let page = measure("members", N);
    let codes = measure("authorize", N);
    let after = measure("trivial", N);
    let reference = (before.per_second + after.per_second) / 2.0;
    line("GET /healthz (trivial route, before)", &before, None);
    line("GET /api/v1/me", &me, Some(reference));
    line("GET members?limit=200 (of 251)", &page, Some(reference));
    line(
        "GET /oauth2/authorize (signed in: a code)",
        &codes,
        Some(reference),
    );
    line("GET /healthz (trivial route, after)", &after, None);
    server.stop();
}
