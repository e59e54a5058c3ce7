//! SCIM provisioning benchmark (docs/performance.md): an IdP provisioning 1,000 Users in
//! a row through `POST /scim/v2/{org}/Users` against the release Worker under `wrangler
//! dev`, then pages of 100, a filtered search, PATCHes, a Group grown to 1,000 members
//! one PATCH at a time, and CPU per request. Reports wall
//! time (p50/p99), the D1 round trips of each request (the development Worker's header)
//! and CPU (V8's sampling profiler). Run with `make bench-scim`. Not a test: it never
//! fails on slow numbers.

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
#[path = "../tests/e2e/server.rs"]
mod server;
#[path = "common/sso_org.rs"]
mod sso_org;

use std::time::Instant;

use client::{Client, Resp};
use idp_peer::IdpPeer;
use serde_json::json;

/// Users provisioned in a row.
const USERS: usize = 1000;

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn send(c: &Client, secret: &str, method: &str, path: &str, body: Option<&str>) -> Resp {
    let auth = format!("Bearer {secret}");
    let mut headers = vec![("authorization", auth.as_str())];
    if body.is_some() {
        headers.push(("content-type", "application/scim+json"));
    }
    c.send(method, path, &headers, body)
}

/// Runs `n` requests made by `request`, prints wall p50/p99 and the round trips.
fn row(label: &str, n: usize, mut request: impl FnMut(usize) -> Resp, expect: u16) -> f64 {
    let mut ms = Vec::with_capacity(n);
    let mut trips = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        let r = request(i);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status, expect, "{label}: {}", r.body);
        trips.push(r.round_trips());
    }
    let total = started.elapsed().as_secs_f64();
    ms.sort_by(f64::total_cmp);
    trips.sort_unstable();
    println!(
        "{label:<44} {n:>5} {:>8.2} {:>8.2} {:>9.1} {:>6}",
        pct(&ms, 0.5),
        pct(&ms, 0.99),
        total,
        if trips.first() == trips.last() {
            format!("{}", trips[0])
        } else {
            format!("{}-{}", trips[0], trips[trips.len() - 1])
        }
    );
    total
}

fn main() {
    let server = server::Server::start("bench-scim", &[]);
    let c = Client::new(&server.base);
    let idp = IdpPeer::start(2048);
    let o = sso_org::org(&server, &c, &idp, "scim");
    let secret = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{}/scim/tokens", o.key),
            Some(&o.admin),
            &json!({}),
        )
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = format!("/scim/v2/{}/Users", o.key);
    let body = |i: usize| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("person{i}@{}", o.domain),
            "name": {"givenName": "Person", "familyName": format!("{i}")},
            "displayName": format!("Person {i}"),
            "externalId": format!("ext-{i}"),
            "active": true
        })
        .to_string()
    };

    println!(
        "{:<44} {:>5} {:>8} {:>8} {:>9} {:>6}",
        "SCIM request (serial, one client)", "n", "p50 ms", "p99 ms", "total s", "D1"
    );
    let total = row(
        "POST /Users: provisioning in a row",
        USERS,
        |i| send(&c, &secret, "POST", &users, Some(&body(i))),
        201,
    );
    println!(
        "  → {USERS} Users provisioned in {total:.1} s ({:.0} per second)",
        USERS as f64 / total
    );
    row(
        "GET /Users?count=100 (pages of the 1,001)",
        100,
        |i| {
            send(
                &c,
                &secret,
                "GET",
                &format!("{users}?startIndex={}&count=100", 1 + (i % 10) * 100),
                None,
            )
        },
        200,
    );
    row(
        "GET /Users?filter=userName eq … (Okta's search)",
        100,
        |i| {
            let f = format!(
                "userName eq \"PERSON{}@{}\"",
                i * 7,
                o.domain.to_uppercase()
            );
            send(
                &c,
                &secret,
                "GET",
                &format!("{users}?filter={}", urlencode(&f)),
                None,
            )
        },
        200,
    );
    let ids: Vec<String> = send(&c, &secret, "GET", &format!("{users}?count=100"), None).json()
        ["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let patch = |value: bool| {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": value}}]
        })
        .to_string()
    };
    row(
        "PATCH /Users/{id} active false (Okta)",
        ids.len(),
        |i| {
            send(
                &c,
                &secret,
                "PATCH",
                &format!("{users}/{}", ids[i]),
                Some(&patch(false)),
            )
        },
        200,
    );
    row(
        "PATCH /Users/{id} active true",
        ids.len(),
        |i| {
            send(
                &c,
                &secret,
                "PATCH",
                &format!("{users}/{}", ids[i]),
                Some(&patch(true)),
            )
        },
        200,
    );

    // Groups: one made with 100 members, grown to 1,000 one PATCH at a time (each
    // reads the Group's members and writes with a compare-and-set), then read.
    let all_ids: Vec<String> = (0..10)
        .flat_map(|page| {
            send(
                &c,
                &secret,
                "GET",
                &format!("{users}?startIndex={}&count=100", 1 + page * 100),
                None,
            )
            .json()["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let groups = format!("/scim/v2/{}/Groups", o.key);
    let members = |ids: &[String]| {
        ids.iter()
            .map(|id| json!({"value": id}))
            .collect::<Vec<_>>()
    };
    let mut group = String::new();
    row(
        "POST /Groups with 100 members",
        1,
        |_| {
            let r = send(
                &c,
                &secret,
                "POST",
                &groups,
                Some(
                    &json!({"displayName": "Everyone", "members": members(&all_ids[..100])})
                        .to_string(),
                ),
            );
            group = format!("{groups}/{}", r.json()["id"].as_str().unwrap_or_default());
            r
        },
        201,
    );
    let add = |id: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]
        })
        .to_string()
    };
    row(
        "PATCH /Groups/{id} add a member (100 → 1,000)",
        all_ids.len() - 100,
        |i| send(&c, &secret, "PATCH", &group, Some(&add(&all_ids[100 + i]))),
        200,
    );
    row(
        "GET /Groups/{id} (1,000 members)",
        100,
        |_| send(&c, &secret, "GET", &group, None),
        200,
    );
    row(
        "GET /Groups?excludedAttributes=members",
        100,
        |_| {
            send(
                &c,
                &secret,
                "GET",
                &format!("{groups}?excludedAttributes=members"),
                None,
            )
        },
        200,
    );

    // CPU per request, beside a bare one.
    let auth = format!("Bearer {secret}");
    let renames: Vec<String> = (0..100)
        .map(|i| {
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "displayName", "value": format!("Everyone {i}")}]
            })
            .to_string()
        })
        .collect();
    let page_url = format!("{}{users}?count=100", c.base);
    let bodies: Vec<String> = (USERS..USERS + 200).map(body).collect();
    let cases = vec![
        json!({"label": "GET /healthz (baseline)", "url": format!("{}/healthz", c.base), "n": 200}),
        json!({"label": "GET /Users?count=100", "url": page_url, "headers": {"authorization": auth}, "n": 100, "expect": 200}),
        json!({"label": "POST /Users", "url": format!("{}{users}", c.base), "method": "POST",
               "headers": {"authorization": auth, "content-type": "application/scim+json"},
               "bodies": bodies, "expect": 201}),
        json!({"label": "GET /Groups/{id} (1,000 members)", "url": format!("{}{group}", c.base),
               "headers": {"authorization": auth}, "n": 100, "expect": 200}),
        json!({"label": "PATCH /Groups/{id} rename (1,000 members)", "url": format!("{}{group}", c.base),
               "method": "PATCH", "headers": {"authorization": auth, "content-type": "application/scim+json"},
               "bodies": renames, "expect": 200}),
    ];
    println!("\n{:<44} {:>8}", "CPU per request (V8 profiler)", "ms");
    for (label, ms) in cpu::profile(server.inspector, &cases) {
        println!("{label:<44} {ms:>8.2}");
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
