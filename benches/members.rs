//! Members and authorization benchmark (docs/performance.md): seeds an organization
//! with 5,000 members (a tenth of them in groups, a project shared with a group) into a
//! fresh local D1, then times under `wrangler dev`, from a client on loopback, the
//! member list pages, the `authorize` question and a project's effective members, with
//! the D1 round trips each reported; then measures the CPU time per request with V8's
//! sampling profiler through wrangler's inspector (`benches/cpu-profile.mjs`).
//!
//! Run with `make bench-members`. Not a test: it never fails on slow numbers.

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

const MEMBERS: usize = 5000;
const N: usize = 100;

fn measure(name: &str, mut f: impl FnMut(usize) -> Resp) {
    let mut times = Vec::with_capacity(N);
    let mut trips = Vec::new();
    for i in 0..N {
        let start = Instant::now();
        let r = f(i);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(r.status < 300, "{name}: {} {}", r.status, r.body);
        trips.push(r.round_trips());
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "{name:<52} {N:>4} {:>8.2} {:>8.2} {:>8.2} {:>4}",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        trips.iter().max().unwrap()
    );
}

fn main() {
    let mut server = server::Server::start("bench-members", &[]);
    let c = Client::new(&server.base);
    // The administrator signs up through the API (a real password record and session).
    let email = "admin@bench.example";
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": "correct horse battery staple", "name": "Admin"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    server.sql("UPDATE accounts SET email_verified_at = 1 WHERE email = 'admin@bench.example'");
    let login = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": "correct horse battery staple"}),
    );
    let token = login.json()["token"].as_str().unwrap().to_owned();
    let admin_id = login.json()["account"]["id"].as_str().unwrap().to_owned();
    let org = c.json(
        "POST",
        "/api/v1/orgs",
        Some(&token),
        &json!({"name": "Bench", "product": "diagrams"}),
    );
    let key = org.json()["org"]["space_key"].as_str().unwrap().to_owned();
    let started = Instant::now();
    server.sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MEMBERS}) \
         INSERT INTO accounts (id, email, name, email_verified_at, created_at) \
         SELECT printf('acct_b%05d', i), printf('m%05d@bench.example', i), printf('Member %d', i), 1, 1 FROM n; \
         INSERT INTO memberships (space_key, account_id, role, can_invite, created_at) \
         SELECT '{key}', id, CASE WHEN substr(id, -2) = '00' THEN 'guest' ELSE 'member' END, 0, 1 \
         FROM accounts WHERE id LIKE 'acct_b%'; \
         INSERT INTO groups (id, space_key, name, name_key, created_at) VALUES \
           ('grp_b1', '{key}', 'Design', 'design', 1), ('grp_b2', '{key}', 'Sales', 'sales', 1); \
         INSERT INTO group_members (group_id, space_key, account_id, added_at) \
         SELECT CASE WHEN substr(id, -1) = '0' THEN 'grp_b1' ELSE 'grp_b2' END, '{key}', id, 1 \
         FROM accounts WHERE id LIKE 'acct_b%' AND (substr(id, -1) IN ('0', '5')); \
         INSERT INTO projects (id, space_key, name, created_at) VALUES ('prj_b1', '{key}', 'Launch', 1); \
         INSERT INTO project_groups (project_id, group_id, role, added_at) VALUES ('prj_b1', 'grp_b1', 'editor', 1); \
         INSERT INTO project_members (project_id, space_key, account_id, role, added_at) \
           VALUES ('prj_b1', '{key}', 'acct_b00010', 'viewer', 1); \
         INSERT INTO diagrams (id, space_key, project_id, title, created_by, created_at, updated_at) \
           VALUES ('dgm_b1', '{key}', 'prj_b1', 'Flow', 'acct_b00010', 1, 1);"
    ));
    println!(
        "seeded {MEMBERS} members, 2 groups, a project in {:.1} s\n",
        started.elapsed().as_secs_f64()
    );
    // A guest in group Design, for the guest's filtered list.
    let guest = "acct_b00100";
    server.sql(&format!(
        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES \
         ('{}', '{guest}', 1, 9999999999999)",
        sha256_hex(GUEST_TOKEN)
    ));

    println!(
        "{:<52} {:>4} {:>8} {:>8} {:>8} {:>4}",
        "route (wall time on loopback)", "n", "p50 ms", "p90 ms", "p99 ms", "D1"
    );
    let first = format!("/api/v1/orgs/{key}/members?limit=200");
    let page = c.get(&first, Some(&token)).json();
    assert_eq!(page["members"].as_array().unwrap().len(), 200);
    let middle_cursor = {
        // The cursor of page 13 (members 2,401–2,600).
        let mut cursor = page["next_cursor"].as_str().unwrap().to_owned();
        for _ in 0..11 {
            cursor = c
                .get(&format!("{first}&cursor={cursor}"), Some(&token))
                .json()["next_cursor"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        cursor
    };
    let middle = format!("{first}&cursor={middle_cursor}");
    let small = format!("/api/v1/orgs/{key}/members?limit=50");
    let authorize_body =
        json!({"account_id": "acct_b00010", "action": "diagram.edit", "diagram_id": "dgm_b1"});
    let authorize = format!("/api/v1/orgs/{key}/authorize");
    let project_members = format!("/api/v1/orgs/{key}/projects/prj_b1/members");
    measure("GET members?limit=200 (first page of 5,001)", |_| {
        c.get(&first, Some(&token))
    });
    measure("GET members?limit=200 (page 13, by cursor)", |_| {
        c.get(&middle, Some(&token))
    });
    measure("GET members?limit=50", |_| c.get(&small, Some(&token)));
    measure("GET members?limit=200 as a guest (sees 501)", |_| {
        c.get(&first, Some(GUEST_TOKEN))
    });
    measure("POST authorize (group editor, diagram.edit)", |_| {
        c.json("POST", &authorize, Some(&token), &authorize_body)
    });
    measure("GET project members (effective roles, 501)", |_| {
        c.get(&project_members, Some(&token))
    });
    measure("GET /healthz (baseline)", |_| c.get("/healthz", None));
    let _ = admin_id;

    // CPU per request, through the inspector.
    let bearer = format!("Bearer {token}");
    let cases: Vec<Value> = vec![
        json!({"label": "GET /healthz (baseline)", "url": format!("{}/healthz", server.base), "n": N}),
        json!({"label": "GET members?limit=200 (first page)", "url": format!("{}{first}", server.base), "headers": {"authorization": bearer}, "n": N}),
        json!({"label": "GET members?limit=200 (page 13)", "url": format!("{}{middle}", server.base), "headers": {"authorization": bearer}, "n": N}),
        json!({"label": "GET members?limit=50", "url": format!("{}{small}", server.base), "headers": {"authorization": bearer}, "n": N}),
        json!({"label": "POST authorize", "url": format!("{}{authorize}", server.base), "method": "POST",
               "headers": {"authorization": bearer, "content-type": "application/json"}, "body": authorize_body.to_string(), "n": N}),
        json!({"label": "GET project members (501)", "url": format!("{}{project_members}", server.base), "headers": {"authorization": bearer}, "n": N}),
    ];
    println!(
        "\n{:<52} {:>12} {:>14}",
        "CPU per request (V8 profiler)", "ms", "over baseline"
    );
    let mut baseline = None;
    for (label, ms) in cpu::profile(server.inspector, &cases) {
        let base = *baseline.get_or_insert(ms);
        println!("{label:<52} {ms:>12.2} {:>14.2}", ms - base);
    }
    server.stop();
}

const GUEST_TOKEN: &str = "benchGuestTokenbenchGuestTokenbenchGuestTok";

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}
