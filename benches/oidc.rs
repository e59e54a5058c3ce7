//! OpenID Connect provider benchmark (docs/performance.md): under `wrangler dev` with
//! the release Worker, the CPU time per request of discovery, the JWKS, the
//! authorization endpoint for a signed-in browser, the token endpoint (code exchange
//! and refresh, each with its RS256 signature through WebCrypto) and userinfo, from
//! V8's sampling profiler through wrangler's inspector (`benches/cpu-profile.mjs`),
//! with each route's D1 round trips. Codes and refresh tokens are single use, so one is
//! seeded in SQL per request.
//!
//! Run with `make bench-oidc`. Not a test: it never fails on slow numbers (the round
//! trips are pinned by the end-to-end tests).

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

use base64::Engine;
use client::Client;
use serde_json::{json, Value};

const N: usize = 150;
const OPERATOR: &str = "dev-operator-token-not-secret";
const VERIFIER: &str = "bench-verifier-bench-verifier-bench-verifier-0001";

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// A token of our shape (43 base64url characters) numbered `i`.
fn token(tag: &str, i: usize) -> String {
    format!("{tag:a<14}{i:029}")
}

fn main() {
    let mut server = server::Server::start("bench-oidc", &[]);
    let base = server.base.clone();
    let c = Client::new(&base);
    let (account, session) = account::signed_in(&server, &c, "oidc@bench.example", "Bench");
    for product in ["tracker", "chat"] {
        let r = c.json(
            "POST",
            "/api/v1/orgs",
            Some(&session),
            &json!({"name": format!("Bench {product}"), "product": product}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let sid = c.get("/api/v1/me/sessions", Some(&session)).json()["sessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let redirect = "http://127.0.0.1:9/callback";
    let r = c.json(
        "POST",
        "/api/v1/operator/clients",
        Some(OPERATOR),
        &json!({"name": "Bench", "product": "tracker", "redirect_uris": [redirect]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let client_id = r.json()["client"]["client_id"].as_str().unwrap().to_owned();
    let secret = r.json()["client_secret"].as_str().unwrap().to_owned();
    let challenge = {
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(VERIFIER.as_bytes()))
    };

    // One code and one refresh token per request, and one access token for userinfo.
    let scope = "openid profile email organizations offline_access";
    let mut seed = String::new();
    for i in 0..=N {
        seed.push_str(&format!(
            "INSERT INTO oidc_codes (code_hash, family_id, client_id, account_id, session_id, \
               redirect_uri, scope, nonce, code_challenge, auth_time, created_at, expires_at) \
             VALUES ('{}', 'fam_code{i}', '{client_id}', '{account}', '{sid}', '{redirect}', \
               '{scope}', 'n', '{challenge}', 1, 1, 99999999999999); \
             INSERT INTO oidc_tokens (token_hash, kind, family_id, client_id, account_id, \
               session_id, scope, auth_time, created_at, expires_at) \
             VALUES ('{}', 'refresh', 'fam_refresh{i}', '{client_id}', '{account}', '{sid}', \
               '{scope}', 1, 1, 99999999999999); ",
            sha256_hex(&token("code", i)),
            sha256_hex(&token("refresh", i)),
        ));
        // (`wrangler d1 execute` takes the SQL as an argument: in pieces.)
        if i % 25 == 24 {
            server.sql(&seed);
            seed.clear();
        }
    }
    seed.push_str(&format!(
        "INSERT INTO oidc_tokens (token_hash, kind, family_id, client_id, account_id, session_id, \
           scope, auth_time, created_at, expires_at) \
         VALUES ('{}', 'access', 'fam_access', '{client_id}', '{account}', '{sid}', '{scope}', \
           1, 1, 99999999999999);",
        sha256_hex(&token("access", 0)),
    ));
    server.sql(&seed);

    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"))
    );
    let form = json!({"content-type": "application/x-www-form-urlencoded", "authorization": basic});
    let encoded = |s: &str| -> String { form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let bodies = |f: &dyn Fn(usize) -> String| -> Vec<String> { (0..=N).map(f).collect() };
    let authorize = format!(
        "{base}/oauth2/authorize?client_id={client_id}&redirect_uri={}&response_type=code\
         &scope={}&state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256",
        encoded(redirect),
        encoded(scope)
    );
    let cases: Vec<Value> = vec![
        json!({"label": "GET /healthz (baseline)", "url": format!("{base}/healthz"), "n": N}),
        json!({"label": "GET /.well-known/openid-configuration", "url": format!("{base}/.well-known/openid-configuration"), "n": N, "expect": 200}),
        json!({"label": "GET /.well-known/jwks.json", "url": format!("{base}/.well-known/jwks.json"), "n": N, "expect": 200}),
        json!({"label": "GET /oauth2/authorize (signed in)", "url": authorize,
               "headers": {"cookie": format!("orgpass_session={session}")}, "n": N, "expect": 303}),
        json!({"label": "POST /oauth2/token (code, RS256)", "url": format!("{base}/oauth2/token"),
               "method": "POST", "headers": form, "expect": 200,
               "bodies": bodies(&|i| format!("grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={VERIFIER}",
                   token("code", i), encoded(redirect)))}),
        json!({"label": "POST /oauth2/token (refresh, RS256)", "url": format!("{base}/oauth2/token"),
               "method": "POST", "headers": form, "expect": 200,
               "bodies": bodies(&|i| format!("grant_type=refresh_token&refresh_token={}", token("refresh", i)))}),
        json!({"label": "GET /oauth2/userinfo", "url": format!("{base}/oauth2/userinfo"),
               "headers": {"authorization": format!("Bearer {}", token("access", 0))}, "n": N, "expect": 200}),
    ];
    println!(
        "{:<44} {:>8} {:>14}",
        "CPU per request (V8 profiler)", "ms", "over baseline"
    );
    let mut baseline = None;
    for (label, ms) in cpu::profile(server.inspector, &cases) {
        let base = *baseline.get_or_insert(ms);
        println!("{label:<44} {ms:>8.2} {:>14.2}", ms - base);
    }
    // Round trips, from the development header.
    let r = c.send(
        "GET",
        &authorize.replace(&base, ""),
        &[("cookie", &format!("orgpass_session={session}"))],
        None,
    );
    println!("D1 round trips: authorize {}", r.round_trips());
    server.stop();
}
