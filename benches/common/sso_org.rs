//! An organization set up for single sign-on, shared by the SSO and SCIM benches: in
//! its add-on trial, SAML from a pysaml2 IdP (IdP-initiated allowed, so that pre-signed
//! responses can be posted in any order), a verified domain (seeded: the tests verify
//! through DoH) and one managed account. The administrator is `account::signed_in`'s.

use serde_json::json;

use super::{account::signed_in, client::Client, idp_peer::IdpPeer, server};

pub struct Org {
    pub key: String,
    pub sp: String,
    pub user: String,
    /// The administrator's session token.
    pub admin: String,
    /// The verified domain.
    pub domain: String,
}

/// The organization; `tag` makes its names unique in the run.
pub fn org(server: &server::Server, c: &Client, idp: &IdpPeer, tag: &str) -> Org {
    let email = format!("admin-{tag}@bench.example");
    let (_, token) = signed_in(server, c, &email, "Admin");
    let key = c
        .json(
            "POST",
            "/api/v1/orgs",
            Some(&token),
            &json!({"name": "Bench", "product": "diagrams"}),
        )
        .json()["org"]["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/application"),
        Some(&token),
        &json!({"admin_name": "A", "admin_email": email, "company_name": "Bench", "space_key": key}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c.send(
        "POST",
        &format!("/api/v1/operator/pass/applications/{key}/approve"),
        &[
            ("authorization", "Bearer dev-operator-token-not-secret"),
            ("content-type", "application/json"),
        ],
        Some("{}"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.json(
        "PUT",
        &format!("/api/v1/orgs/{key}/saml"),
        Some(&token),
        &json!({"idp_metadata_xml": idp.metadata(), "allow_idp_initiated": true}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // The domain is verified through DoH in the tests; here it is seeded.
    server.sql(&format!(
        "INSERT INTO domains (id, space_key, name, txt_value, status, verified_at, created_at) \
         VALUES ('dom_{tag}', '{key}', 'corp-{tag}.example', 'x', 'verified', 1, 1)"
    ));
    let user = format!("pat@corp-{tag}.example");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/managed-accounts"),
        Some(&token),
        &json!({"email": user, "name": "Pat", "role": "member"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    Org {
        sp: format!("{}/saml/{key}", c.base),
        key,
        user,
        admin: token,
        domain: format!("corp-{tag}.example"),
    }
}
