//! A bench's signed-in person: an account signed up through the API, confirmed in SQL,
//! logged in (a real password record and session).

use serde_json::json;

use super::{client::Client, server::Server};

/// The password every bench account has.
pub const PASSWORD: &str = "correct horse battery staple";

/// A confirmed account with a session: its id and token.
pub fn signed_in(server: &Server, c: &Client, email: &str, name: &str) -> (String, String) {
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": PASSWORD, "name": name}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    server.sql(&format!(
        "UPDATE accounts SET email_verified_at = 1 WHERE email = '{email}'"
    ));
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let body = r.json();
    (
        body["account"]["id"].as_str().unwrap().to_owned(),
        body["token"].as_str().unwrap().to_owned(),
    )
}
