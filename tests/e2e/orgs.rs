//! Organizations: creation with a product trial, reading, changing the name and the
//! organization ID, the ID reservation rule, and isolation between organizations.

use serde_json::json;

use crate::{create_org, unique_email, verified_session, World};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    ("orgs::create_read_update", create_read_update),
    ("orgs::refusals", refusals),
    (
        "orgs::an_id_given_up_stays_reserved",
        an_id_given_up_stays_reserved,
    ),
    ("orgs::other_people_see_nothing", other_people_see_nothing),
];

/// An organization ID no other test (or run) uses.
fn unique_id(tag: &str) -> String {
    let email = unique_email(tag);
    let n: String = email
        .split('@')
        .next()
        .unwrap()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let tail = &n[n.len().saturating_sub(14)..];
    format!("{}-{}", &tag[..tag.len().min(4)], tail.to_lowercase())
}

fn create_read_update(w: &World) {
    let c = w.client();
    let token = verified_session(&c, &unique_email("orgs"));
    let r = c.json(
        "POST",
        "/api/v1/orgs",
        Some(&token),
        &json!({"name": "  Acme Corp ", "product": "diagrams"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(
        r.round_trips() <= 2,
        "POST /api/v1/orgs used {}",
        r.round_trips()
    );
    let org = &r.json()["org"];
    assert_eq!(org["name"], "Acme Corp");
    let key = org["space_key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 10);
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{key}"
    );
    let id = org["organization_id"].as_str().unwrap();
    assert!(id.starts_with("acme-corp-") && id.len() <= 20, "{id}");
    assert_eq!(org["products"][0]["product"], "diagrams");
    assert_eq!(org["products"][0]["plan"], "trial");
    assert!(org["products"][0]["trial_ends_at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(org["pass"]["status"], "none");
    assert_eq!(r.json()["membership"]["role"], "administrator");

    let me = c.get("/api/v1/me", Some(&token)).json();
    assert_eq!(me["organizations"][0]["space_key"], key.as_str());
    assert_eq!(me["organizations"][0]["role"], "administrator");
    assert_eq!(me["organizations"][0]["can_invite"], false);

    let got = c.get(&format!("/api/v1/orgs/{key}"), Some(&token));
    assert_eq!(got.status, 200);
    assert_eq!(
        got.round_trips(),
        1,
        "reading an organization is one round trip"
    );
    assert_eq!(got.json()["org"], *org);

    let new_id = unique_id("renamed");
    let r = c.json(
        "PATCH",
        &format!("/api/v1/orgs/{key}"),
        Some(&token),
        &json!({"name": "Acme", "organization_id": new_id.to_uppercase()}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.round_trips() <= 2, "PATCH used {}", r.round_trips());
    assert_eq!(r.json()["org"]["name"], "Acme");
    assert_eq!(r.json()["org"]["organization_id"], new_id.as_str());
    assert_eq!(
        r.json()["org"]["space_key"],
        key.as_str(),
        "the space key never changes"
    );

    // The settings page needs at most two round trips too.
    let page = c.send(
        "GET",
        &format!("/orgs/{key}/settings"),
        &[("cookie", &format!("orgpass_session={token}"))],
        None,
    );
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&new_id));
    assert!(
        page.round_trips() <= 2,
        "settings page used {}",
        page.round_trips()
    );
}

fn refusals(w: &World) {
    let c = w.client();
    let token = verified_session(&c, &unique_email("orgref"));
    let post = |body: serde_json::Value| c.json("POST", "/api/v1/orgs", Some(&token), &body);
    let cases = [
        (
            json!({"name": "A", "product": "crm"}),
            400,
            "unknown_product",
        ),
        (
            json!({"name": "A", "product": "tracker", "organization_id": "-bad-"}),
            400,
            "invalid_organization_id",
        ),
        (
            json!({"name": "A", "product": "tracker", "organization_id": "ab"}),
            400,
            "invalid_organization_id",
        ),
        (
            json!({"name": "", "product": "tracker"}),
            400,
            "invalid_name",
        ),
        (json!({"name": "A", "product": 3}), 400, "invalid_request"),
        (json!({"name": "A"}), 400, "invalid_request"),
    ];
    for (body, status, code) in cases {
        let r = post(body.clone());
        assert_eq!((r.status, r.code().as_str()), (status, code), "{body}");
    }
    let id = unique_id("taken");
    create_org(&c, &token, "First", Some(&id));
    let taken = post(json!({"name": "Second", "product": "tracker", "organization_id": id}));
    assert_eq!(
        (taken.status, taken.code().as_str()),
        (409, "organization_id_taken")
    );
    let orgs = c.get("/api/v1/me", Some(&token)).json()["organizations"].clone();
    assert_eq!(
        orgs.as_array().unwrap().len(),
        1,
        "refusals created nothing"
    );

    let anonymous = c.json(
        "POST",
        "/api/v1/orgs",
        None,
        &json!({"name": "A", "product": "tracker"}),
    );
    assert_eq!(
        (anonymous.status, anonymous.code().as_str()),
        (401, "unauthenticated")
    );
}

fn an_id_given_up_stays_reserved(w: &World) {
    let c = w.client();
    let ada = verified_session(&c, &unique_email("ada"));
    let bob = verified_session(&c, &unique_email("bob"));
    let first = unique_id("first");
    let second = unique_id("second");
    let org = create_org(&c, &ada, "Ada's", Some(&first));
    let key = org["space_key"].as_str().unwrap();
    let patch = |token: &str, key: &str, id: &str| {
        c.json(
            "PATCH",
            &format!("/api/v1/orgs/{key}"),
            Some(token),
            &json!({ "organization_id": id }),
        )
    };
    assert_eq!(patch(&ada, key, &second).status, 200);
    // Bob cannot take the ID Ada's organization gave up, by creation or by change.
    let r = c.json(
        "POST",
        "/api/v1/orgs",
        Some(&bob),
        &json!({"name": "Bob's", "product": "chat", "organization_id": first}),
    );
    assert_eq!(r.code(), "organization_id_taken");
    let bobs = create_org(&c, &bob, "Bob's", None);
    let r = patch(&bob, bobs["space_key"].as_str().unwrap(), &first);
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "organization_id_taken")
    );
    // Ada's organization may take it back.
    let back = patch(&ada, key, &first);
    assert_eq!(back.status, 200);
    assert_eq!(back.json()["org"]["organization_id"], first.as_str());
}

fn other_people_see_nothing(w: &World) {
    let c = w.client();
    let ada = verified_session(&c, &unique_email("owner"));
    let eve = verified_session(&c, &unique_email("eve"));
    let org = create_org(&c, &ada, "Private", None);
    let key = org["space_key"].as_str().unwrap();
    let foreign = c.get(&format!("/api/v1/orgs/{key}"), Some(&eve));
    let unknown = c.get("/api/v1/orgs/ZZZZZZZZZZ", Some(&eve));
    let malformed = c.get("/api/v1/orgs/not-a-key", Some(&eve));
    assert_eq!(
        (foreign.status, foreign.code().as_str()),
        (404, "not_found")
    );
    assert_eq!(
        foreign.body, unknown.body,
        "a foreign key answers exactly like an unknown one"
    );
    assert_eq!(foreign.body, malformed.body);
    let patch = c.json(
        "PATCH",
        &format!("/api/v1/orgs/{key}"),
        Some(&eve),
        &json!({"name": "Mine"}),
    );
    assert_eq!((patch.status, patch.code().as_str()), (404, "not_found"));
    let page = c.send(
        "GET",
        &format!("/orgs/{key}/settings"),
        &[("cookie", &format!("orgpass_session={eve}"))],
        None,
    );
    assert_eq!(page.status, 404);
    let still = c.get(&format!("/api/v1/orgs/{key}"), Some(&ada)).json();
    assert_eq!(still["org"]["name"], "Private", "nothing changed");
}
