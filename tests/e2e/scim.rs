//! SCIM provisioning tokens (docs/api.md "SCIM 2.0 provisioning"): administrators
//! create them while the add-on allows SSO, see them without their secrets, revoke
//! them; a token lets an IdP into its own organization's `/scim/v2` only, and only while
//! the add-on is `trial` or `active`; every refusal is a SCIM error body.

use serde_json::{json, Value};

use crate::{
    client::{Client, Resp},
    create_org,
    pass::{operator, org_in_trial},
    unique_email, verified_session, World,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[(
    "scim::tokens_are_shown_once_work_for_their_organization_only_and_revoke_at_once",
    tokens_are_shown_once_work_for_their_organization_only_and_revoke_at_once,
)];

fn scim(c: &Client, secret: Option<&str>, key: &str, path: &str) -> Resp {
    c.get(&format!("/scim/v2/{key}/{path}"), secret)
}

/// A SCIM error body with `status`.
fn assert_scim_error(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/scim+json"),
        "{:?}",
        r.header("content-type")
    );
    let body = r.json();
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], status.to_string());
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

fn tokens(c: &Client, session: &str, key: &str) -> Vec<Value> {
    let r = c.get(&format!("/api/v1/orgs/{key}/scim/tokens"), Some(session));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["tokens"].as_array().unwrap().clone()
}

fn tokens_are_shown_once_work_for_their_organization_only_and_revoke_at_once(w: &World) {
    // Its own Worker: the add-on's trial is moved into the past below.
    let c = w.other_client("scim", &[]);
    let (admin, key, _, _, _) = org_in_trial(&c);
    let path = format!("/api/v1/orgs/{key}/scim/tokens");

    // Created: the secret once, the record without it.
    let created = c.json("POST", &path, Some(&admin), &json!({}));
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let body = created.json();
    let secret = body["secret"].as_str().unwrap().to_owned();
    let id = body["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    assert_eq!(body["token"]["last_used_at"], Value::Null);
    let listed = tokens(&c, &admin, &key);
    assert_eq!(listed, vec![body["token"].clone()]);
    assert!(!listed[0].to_string().contains(&secret));

    // The token lets the IdP in; its use is noted.
    let config = scim(&c, Some(&secret), &key, "ServiceProviderConfig");
    assert_eq!(config.status, 200, "{}", config.body);
    assert!(config
        .header("content-type")
        .unwrap()
        .starts_with("application/scim+json"));
    let config = config.json();
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    assert!(config["meta"]["location"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/scim/v2/{key}/ServiceProviderConfig")));
    assert!(tokens(&c, &admin, &key)[0]["last_used_at"].is_string());
    assert_scim_error(&scim(&c, Some(&secret), &key, "NoSuchResource"), 404);

    // No token, a malformed one, someone's session, and a token of another organization:
    // 401 with a Bearer challenge, the same answer for each.
    let other_admin = verified_session(&c, &unique_email("scimother"));
    let other_key = create_org(&c, &other_admin, "Other SCIM Org", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    for (who, presented, at) in [
        ("no token", None, key.as_str()),
        ("not a token", Some("x"), key.as_str()),
        ("a session token", Some(admin.as_str()), key.as_str()),
        (
            "another organization's",
            Some(secret.as_str()),
            other_key.as_str(),
        ),
        (
            "an unknown organization",
            Some(secret.as_str()),
            "ZZZZZZZZZZ",
        ),
    ] {
        let r = scim(&c, presented, at, "ServiceProviderConfig");
        assert_scim_error(&r, 401);
        assert!(
            r.header("www-authenticate").unwrap().starts_with("Bearer"),
            "{who}"
        );
    }

    // Only administrators of the organization manage its tokens.
    assert_eq!(c.get(&path, Some(&other_admin)).status, 404);
    assert_eq!(
        c.json("POST", &path, Some(&other_admin), &json!({})).status,
        404
    );
    assert_eq!(c.get(&path, None).status, 401);
    // An organization without the add-on cannot create one.
    let refused = c.json(
        "POST",
        &format!("/api/v1/orgs/{other_key}/scim/tokens"),
        Some(&other_admin),
        &json!({}),
    );
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (403, "pass_inactive"),
        "{}",
        refused.body
    );

    // A second token; revoking the first stops it at once and leaves the second.
    let second = c.json("POST", &path, Some(&admin), &json!({})).json();
    let second_secret = second["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        c.send(
            "DELETE",
            &format!("{path}/{id}"),
            &[("authorization", &format!("Bearer {admin}"))],
            None
        )
        .status,
        204
    );
    assert_scim_error(&scim(&c, Some(&secret), &key, "ServiceProviderConfig"), 401);
    assert_eq!(
        scim(&c, Some(&second_secret), &key, "ServiceProviderConfig").status,
        200
    );
    let left: Vec<Value> = tokens(&c, &admin, &key);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], second["token"]["id"]);
    // Revoking it again, or through another organization: 404.
    assert_eq!(
        c.send(
            "DELETE",
            &format!("{path}/{id}"),
            &[("authorization", &format!("Bearer {admin}"))],
            None
        )
        .status,
        404
    );

    // The add-on lapses: the token is refused with 403; administrators still see and
    // revoke their tokens.
    let lapsed = operator(
        &c,
        "PATCH",
        &format!("/api/v1/operator/orgs/{key}/pass"),
        Some(&json!({"trial_ends_at": "2001-01-01T00:00:00Z"})),
    );
    assert_eq!(lapsed.status, 200, "{}", lapsed.body);
    assert_scim_error(
        &scim(&c, Some(&second_secret), &key, "ServiceProviderConfig"),
        403,
    );
    assert_eq!(tokens(&c, &admin, &key).len(), 1);
    let denied = c.json("POST", &path, Some(&admin), &json!({}));
    assert_eq!(denied.code(), "pass_inactive");
}
