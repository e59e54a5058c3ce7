//! Account self-service benchmark (docs/performance.md): under `wrangler dev` with the
//! release Worker, the CPU time per request of the routes that derive a password (login,
//! password change, reset confirmation) against those that do not (reset request, the
//! second step of a login, the session list, the account page), from V8's sampling
//! profiler through wrangler's inspector (`benches/cpu-profile.mjs`), and each route's
//! D1 round trips. Single-use inputs (reset links, challenges, recovery codes) are
//! seeded in SQL, one per request.
//!
//! Run with `make bench-self-service`. Not a test: it never fails on slow numbers.

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
#[path = "../tests/e2e/server.rs"]
mod server;

use client::Client;
use serde_json::{json, Value};

/// Requests per case (the limits allow it: links 20 per IP, codes 20 per account).
const N: usize = 15;
use account::PASSWORD;

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// A token of our shape (43 base64url characters) numbered `i`.
fn token(tag: &str, i: usize) -> String {
    format!("{tag:a<14}{i:029}")
}

/// A recovery code of our shape (16 base32 characters) numbered `i`.
fn recovery(i: usize) -> String {
    let letter = |n: usize| char::from(b'a' + u8::try_from(n % 26).unwrap());
    format!("aaaaaaaaaaaaaa{}{}", letter(i / 26), letter(i))
}

fn main() {
    let mut server = server::Server::start("bench-self-service", &[]);
    let base = server.base.clone();
    let c = Client::new(&base);
    let (_, main_token) = account::signed_in(&server, &c, "main@bench.example", "Bench");
    let (two_step_id, _) = account::signed_in(&server, &c, "twostep@bench.example", "Bench");
    account::signed_in(&server, &c, "login@bench.example", "Bench");

    // One reset link per request, each of its own account (a reset spends the account's
    // other links), and a second step per request (challenge + recovery code).
    let mut seed = String::new();
    for i in 0..=N {
        seed.push_str(&format!(
            "INSERT INTO accounts (id, email, name, email_verified_at, created_at) \
             VALUES ('acct_reset{i}', 'reset{i}@bench.example', 'Reset', 1, 1); \
             INSERT INTO account_tokens (token_hash, purpose, account_id, created_at, expires_at) \
             VALUES ('{}', 'reset_password', 'acct_reset{i}', 1, 99999999999999); \
             INSERT INTO two_step_challenges (token_hash, account_id, created_at, expires_at) \
             VALUES ('{}', '{two_step_id}', 1, 99999999999999); \
             INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES ('{two_step_id}', '{}', 1); ",
            sha256_hex(&token("reset", i)),
            sha256_hex(&token("challenge", i)),
            sha256_hex(&recovery(i)),
        ));
    }
    seed.push_str(&format!(
        "UPDATE accounts SET totp_secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', totp_enabled_at = 1 \
         WHERE id = '{two_step_id}';"
    ));
    server.sql(&seed);

    let json_headers = json!({"content-type": "application/json"});
    let bearer = json!({"authorization": format!("Bearer {main_token}"), "content-type": "application/json"});
    let password = |i: usize| format!("bench password {i:04}");
    let mut changes: Vec<String> = Vec::new();
    // The first change moves from the sign-up password; each next one from the last.
    changes.push(json!({"current_password": PASSWORD, "new_password": password(0)}).to_string());
    for i in 0..N {
        changes.push(
            json!({"current_password": password(i), "new_password": password(i + 1)}).to_string(),
        );
    }
    let bodies =
        |f: &dyn Fn(usize) -> Value| -> Vec<String> { (0..=N).map(|i| f(i).to_string()).collect() };
    let cases: Vec<Value> = vec![
        json!({"label": "GET /healthz (baseline)", "url": format!("{base}/healthz"), "n": N}),
        json!({"label": "POST /api/v1/sessions (PBKDF2 ×1)", "url": format!("{base}/api/v1/sessions"),
               "method": "POST", "headers": json_headers,
               "body": json!({"email": "login@bench.example", "password": PASSWORD}).to_string(), "n": N, "expect": 201}),
        json!({"label": "PUT /api/v1/me/password (PBKDF2 ×2)", "url": format!("{base}/api/v1/me/password"),
               "method": "PUT", "headers": bearer, "bodies": changes, "expect": 204}),
        json!({"label": "POST …/password-reset/confirm (PBKDF2 ×1)", "url": format!("{base}/api/v1/accounts/password-reset/confirm"),
               "method": "POST", "headers": json_headers,
               "bodies": bodies(&|i| json!({"token": token("reset", i), "password": password(100 + i)})), "expect": 200}),
        json!({"label": "POST /api/v1/accounts/password-reset", "url": format!("{base}/api/v1/accounts/password-reset"),
               "method": "POST", "headers": json_headers,
               "bodies": bodies(&|i| json!({"email": format!("nobody{i}@bench.example")})), "expect": 202}),
        json!({"label": "POST /api/v1/sessions/two-step (recovery code)", "url": format!("{base}/api/v1/sessions/two-step"),
               "method": "POST", "headers": json_headers,
               "bodies": bodies(&|i| json!({"two_step_token": token("challenge", i), "code": recovery(i)})), "expect": 201}),
        json!({"label": "GET /api/v1/me/sessions", "url": format!("{base}/api/v1/me/sessions"),
               "headers": bearer, "n": N, "expect": 200}),
        json!({"label": "GET /account (page)", "url": format!("{base}/account"),
               "headers": {"cookie": format!("orgpass_session={main_token}")}, "n": N, "expect": 200}),
    ];
    println!(
        "{:<52} {:>12} {:>14}",
        "CPU per request (V8 profiler)", "ms", "over baseline"
    );
    let mut baseline = None;
    for (label, ms) in cpu::profile(server.inspector, &cases) {
        let base = *baseline.get_or_insert(ms);
        println!("{label:<52} {ms:>12.2} {:>14.2}", ms - base);
    }
    server.stop();
}
