//! The OpenID Connect provider: the operator's registry of the products' clients.

use serde_json::json;

use crate::{pass::operator, World};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "oidc::the_operator_registers_lists_rotates_and_deletes_clients",
        clients,
    ),
    (
        "oidc::the_jwks_publishes_the_signing_key_as_node_reads_it",
        jwks,
    ),
];

/// The JWKS against Node's own reading of the configured key (OpenSSL's PKCS#8 parser
/// and JWK export, sharing no code with ours), and the RFC 7638 thumbprint computed in
/// JavaScript.
fn jwks(w: &World) {
    let c = w.client();
    let r = c.get("/.well-known/jwks.json", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
    let keys = r.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = &keys[0];
    assert_eq!(
        (&key["kty"], &key["alg"], &key["use"]),
        (&json!("RSA"), &json!("RS256"), &json!("sig"))
    );
    assert!(
        key.get("d").is_none() && key.get("p").is_none(),
        "no private parts"
    );
    let script = "const c = require('node:crypto'); \
        const k = c.createPrivateKey({ key: Buffer.from(process.argv[1], 'base64'), format: 'der', type: 'pkcs8' }); \
        const j = c.createPublicKey(k).export({ format: 'jwk' }); \
        const kid = c.createHash('sha256').update(JSON.stringify({ e: j.e, kty: j.kty, n: j.n })).digest('base64url'); \
        process.stdout.write(JSON.stringify({ n: j.n, e: j.e, kid }));";
    let out = std::process::Command::new("node")
        .args(["-e", script, crate::server::oidc_key()])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let node: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(key["n"], node["n"]);
    assert_eq!(key["e"], node["e"]);
    assert_eq!(key["kid"], node["kid"]);
}

fn clients(w: &World) {
    // Its own Worker: the test reads D1 directly (see `self_service::managed_session`).
    let c = w.other_client("oidc", &[]);
    let body = json!({
        "name": "Tracker web",
        "product": "tracker",
        "redirect_uris": ["https://tracker.example.com/callback", "http://127.0.0.1:5173/cb"],
        "post_logout_redirect_uris": ["https://tracker.example.com/"],
        "backchannel_logout_uri": "https://tracker.example.com/backchannel",
    });
    let r = operator(&c, "POST", "/api/v1/operator/clients", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let client = &created["client"];
    let id = client["client_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cli_"), "{id}");
    assert_eq!(client["product"], "tracker");
    assert_eq!(client["redirect_uris"], body["redirect_uris"]);
    assert_eq!(
        client["post_logout_redirect_uris"],
        body["post_logout_redirect_uris"]
    );
    assert_eq!(
        client["backchannel_logout_uri"],
        body["backchannel_logout_uri"]
    );
    assert!(client["created_at"].as_str().unwrap().ends_with('Z'));
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43);

    // Stored as a hash only; listed without it.
    let stored = w.other_query(
        "oidc",
        &format!("SELECT secret_hash FROM oidc_clients WHERE client_id = '{id}'"),
    );
    let hash = stored[0]["secret_hash"].as_str().unwrap();
    assert_ne!(hash, secret);
    assert_eq!(hash, {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(secret.as_bytes()))
    });
    let r = operator(&c, "GET", "/api/v1/operator/clients", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains(&secret) && !r.body.contains(hash));
    let listed = r.json()["clients"].as_array().unwrap().clone();
    assert!(listed.iter().any(|l| l["client_id"] == id.as_str()));

    // Rotation: a new secret, a new hash.
    let r = operator(
        &c,
        "POST",
        &format!("/api/v1/operator/clients/{id}/secret"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rotated = r.json()["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(rotated, secret);
    let stored = w.other_query(
        "oidc",
        &format!("SELECT secret_hash FROM oidc_clients WHERE client_id = '{id}'"),
    );
    assert_ne!(stored[0]["secret_hash"].as_str().unwrap(), hash);

    // Refusals change nothing.
    for (bad, code) in [
        (
            json!({"name": "x", "product": "tracker", "redirect_uris": []}),
            "invalid_redirect_uri",
        ),
        (
            json!({"name": "x", "product": "tracker", "redirect_uris": ["http://tracker.example.com/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"name": "x", "product": "tracker", "redirect_uris": ["https://t.example/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"name": "x", "product": "spreadsheets", "redirect_uris": ["https://t.example/cb"]}),
            "unknown_product",
        ),
        (
            json!({"name": "x", "product": "chat", "redirect_uris": ["https://t.example/cb"],
                   "backchannel_logout_uri": "ftp://t.example/"}),
            "invalid_backchannel_logout_uri",
        ),
        (json!({"name": "x", "product": "chat"}), "invalid_request"),
    ] {
        let count = || {
            operator(&c, "GET", "/api/v1/operator/clients", None).json()["clients"]
                .as_array()
                .unwrap()
                .len()
        };
        let before = count();
        let r = operator(&c, "POST", "/api/v1/operator/clients", Some(&bad));
        assert_eq!(
            (r.status, r.code()),
            (400, code.to_owned()),
            "{bad}: {}",
            r.body
        );
        assert_eq!(count(), before, "{bad}: nothing stored");
    }
    // The operator's token is required.
    let r = c.json(
        "POST",
        "/api/v1/operator/clients",
        Some("not-the-token"),
        &body,
    );
    assert_eq!((r.status, r.code()), (401, "unauthenticated".into()));
    let r = c.get("/api/v1/operator/clients", None);
    assert_eq!(r.status, 401);

    let r = operator(
        &c,
        "DELETE",
        &format!("/api/v1/operator/clients/{id}"),
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let r = operator(
        &c,
        "DELETE",
        &format!("/api/v1/operator/clients/{id}"),
        None,
    );
    assert_eq!((r.status, r.code()), (404, "not_found".into()));
    let r = operator(
        &c,
        "POST",
        &format!("/api/v1/operator/clients/{id}/secret"),
        None,
    );
    assert_eq!(r.status, 404);
}
