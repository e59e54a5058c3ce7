//! The OpenID Connect provider: the operator's registry of the products' clients.

use serde_json::json;

use crate::{pass::operator, World};

pub const TESTS: &[(&str, crate::TestFn)] = &[(
    "oidc::the_operator_registers_lists_rotates_and_deletes_clients",
    clients,
)];

fn clients(w: &World) {
    let c = w.client();
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
    let stored = w.dev.query(&format!(
        "SELECT secret_hash FROM oidc_clients WHERE client_id = '{id}'"
    ));
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
    let stored = w.dev.query(&format!(
        "SELECT secret_hash FROM oidc_clients WHERE client_id = '{id}'"
    ));
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
