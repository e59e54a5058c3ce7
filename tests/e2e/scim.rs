//! SCIM provisioning tokens (docs/api.md "SCIM 2.0 provisioning"): administrators
//! create them while the add-on allows SSO, see them without their secrets, revoke
//! them; a token lets an IdP into its own organization's `/scim/v2` only, and only while
//! the add-on is `trial` or `active`; every refusal is a SCIM error body.

use serde_json::{json, Value};

use crate::{
    client::{Client, Resp},
    create_org,
    pages::{form_session, post_form},
    pass::{operator, org_in_trial},
    sso::{
        managed, me_by_cookie, peers, refused, session_cookie, sp_login, sso_client, sso_org,
        SsoOrg,
    },
    unique_email, urlencode, verified_session, World,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "scim::tokens_are_shown_once_work_for_their_organization_only_and_revoke_at_once",
        tokens_are_shown_once_work_for_their_organization_only_and_revoke_at_once,
    ),
    (
        "scim::users_are_created_listed_filtered_and_read_as_okta_and_entra_do_it",
        users_are_created_listed_filtered_and_read_as_okta_and_entra_do_it,
    ),
    (
        "scim::a_deactivated_user_loses_access_at_once_and_patches_never_lose_an_update",
        a_deactivated_user_loses_access_at_once_and_patches_never_lose_an_update,
    ),
    (
        "scim::scim2_tester_finds_no_failed_check",
        scim2_tester_finds_no_failed_check,
    ),
    (
        "scim::the_authentication_tab_shows_provisioning_and_makes_and_revokes_tokens",
        the_authentication_tab_shows_provisioning_and_makes_and_revokes_tokens,
    ),
];

fn scim(c: &Client, secret: Option<&str>, key: &str, path: &str) -> Resp {
    c.get(&format!("/scim/v2/{key}/{path}"), secret)
}

/// A SCIM error body with `status`.
pub(crate) fn assert_scim_error(r: &Resp, status: u16) {
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
    assert_scim_error(&scim(&c, Some(&second_secret), &key, "Users"), 403);
    assert_eq!(tokens(&c, &admin, &key).len(), 1);
    let denied = c.json("POST", &path, Some(&admin), &json!({}));
    assert_eq!(denied.code(), "pass_inactive");
}

/// A new provisioning token of the organization, by its administrator.
pub(crate) fn provisioning_token(c: &Client, o: &SsoOrg) -> String {
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/scim/tokens", o.key),
        Some(&o.admin),
        &json!({}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["secret"].as_str().unwrap().to_owned()
}

pub(crate) fn scim_send(
    c: &Client,
    secret: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Resp {
    let auth = format!("Bearer {secret}");
    let mut headers = vec![("authorization", auth.as_str())];
    if body.is_some() {
        headers.push(("content-type", "application/scim+json"));
    }
    c.send(method, path, &headers, body)
}

fn users_are_created_listed_filtered_and_read_as_okta_and_entra_do_it(w: &World) {
    let c = sso_client(w);
    let o = sso_org(w, &c, &peers(w).idp, false);
    let secret = provisioning_token(&c, &o);
    let users = format!("/scim/v2/{}/Users", o.key);
    let list = |filter: &str| {
        let r = scim_send(
            &c,
            &secret,
            "GET",
            &format!("{users}?filter={}", urlencode(filter)),
            None,
        );
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        r.json()
    };
    let ids = |page: &Value| -> Vec<String> {
        page["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect()
    };

    // Okta searches by userName before it creates, then creates (its documented body).
    let ada = format!("Ada.Lovelace@{}", o.domain.to_uppercase());
    let before = list(&format!("userName eq \"{ada}\""));
    assert_eq!(before["totalResults"], 0);
    assert_eq!(
        before["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    let okta = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": ada,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": true, "value": ada, "type": "work"}],
        "displayName": "Ada Lovelace",
        "locale": "en-US",
        "externalId": "00u1okta",
        "groups": [],
        "password": "1mp0ssible!",
        "active": true
    })
    .to_string();
    let r = scim_send(&c, &secret, "POST", &users, Some(&okta));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.round_trips(), 2, "the token, then the one guarded write");
    let user = r.json();
    let ada_id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(user["userName"], ada.to_lowercase());
    assert_eq!(user["externalId"], "00u1okta");
    assert_eq!(user["name"]["givenName"], "Ada");
    assert_eq!(user["displayName"], "Ada Lovelace");
    assert_eq!(user["active"], true);
    assert_eq!(
        user["emails"],
        json!([{"value": ada.to_lowercase(), "type": "work", "primary": true}])
    );
    assert_eq!(user["meta"]["resourceType"], "User");
    let location = format!("{}{users}/{ada_id}", c.base);
    assert_eq!(user["meta"]["location"], location);
    assert_eq!(r.header("location"), Some(location.as_str()));
    assert_eq!(r.header("etag"), user["meta"]["version"].as_str());
    assert!(!r.body.contains("1mp0ssible"), "the password is not kept");

    // It is a managed account of the organization: a member, without a password.
    let members = c
        .get(&format!("/api/v1/orgs/{}/members", o.key), Some(&o.admin))
        .json();
    let member = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["account_id"] == ada_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (member["role"].as_str(), member["managed"].as_bool()),
        (Some("member"), Some(true))
    );

    // The same userName again, in any case: 409 uniqueness, nothing written.
    let again = scim_send(
        &c,
        &secret,
        "POST",
        &users,
        Some(&okta.replace("Ada.Lovelace", "ADA.LOVELACE")),
    );
    assert_scim_error(&again, 409);
    assert_eq!(again.json()["scimType"], "uniqueness");
    // Outside the verified domains, not an email, not JSON, not an object.
    for (body, scim_type) in [
        (
            json!({"userName": "ada@gmail.com"}).to_string(),
            "invalidValue",
        ),
        (
            json!({"userName": "not an email"}).to_string(),
            "invalidValue",
        ),
        (
            json!({"userName": format!("x@{}", o.domain), "active": "perhaps"}).to_string(),
            "invalidValue",
        ),
        ("{\"userName\": ".to_owned(), "invalidSyntax"),
        ("[]".to_owned(), "invalidSyntax"),
    ] {
        let r = scim_send(&c, &secret, "POST", &users, Some(&body));
        assert_scim_error(&r, 400);
        assert_eq!(r.json()["scimType"], scim_type, "{body}");
    }

    // Entra ID: attribute names in other cases, booleans as strings.
    let grace = format!("grace@{}", o.domain);
    let entra = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": "5f2c-entra",
        "UserName": grace,
        "Active": "False",
        "displayName": "Grace Hopper",
        "emails": [{"Primary": true, "type": "work", "value": grace}],
        "name": {"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"}
    })
    .to_string();
    let r = scim_send(&c, &secret, "POST", &users, Some(&entra));
    assert_eq!(r.status, 201, "{}", r.body);
    let grace_id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["active"], false);

    // An account an administrator created is a User too.
    let (admin_made, _) = managed(&c, &o, "byhand", "member");

    // Filters the IdPs send, and the rest of the grammar.
    let all = list("");
    assert_eq!(all["totalResults"], 3);
    assert_eq!(
        ids(&all),
        vec![ada_id.clone(), grace_id.clone(), admin_made.clone()],
        "oldest first"
    );
    assert_eq!(
        ids(&list(&format!("userName eq \"{}\"", ada.to_uppercase()))),
        vec![ada_id.clone()]
    );
    assert_eq!(
        ids(&list("externalId eq \"00u1okta\"")),
        vec![ada_id.clone()]
    );
    assert_eq!(
        list("externalId eq \"00U1OKTA\"")["totalResults"],
        0,
        "externalId is case-exact"
    );
    assert_eq!(
        ids(&list(&format!(
            "emails[type eq \"work\"].value eq \"{grace}\""
        ))),
        vec![grace_id.clone()]
    );
    assert_eq!(ids(&list("active eq \"False\"")), vec![grace_id.clone()]);
    assert_eq!(
        ids(&list("active eq true")),
        vec![ada_id.clone(), admin_made.clone()]
    );
    assert_eq!(
        ids(&list("externalId pr")),
        vec![ada_id.clone(), grace_id.clone()]
    );
    assert_eq!(ids(&list("not (externalId pr)")), vec![admin_made.clone()]);
    assert_eq!(
        ids(&list(
            "name.givenName sw \"GR\" or displayName co \"lovelace\""
        )),
        vec![ada_id.clone(), grace_id.clone()]
    );
    assert_eq!(
        ids(&list(&format!(
            "userName ew \"{}\" and active eq false",
            o.domain
        ))),
        vec![grace_id.clone()]
    );
    assert_eq!(
        ids(&list("meta.created ge \"2000-01-01T00:00:00Z\"")).len(),
        3
    );
    assert_eq!(
        list("meta.lastModified lt \"2000-01-01T00:00:00Z\"")["totalResults"],
        0
    );
    // A value is only ever a value.
    assert_eq!(list("userName eq \"x' OR 1=1 --\"")["totalResults"], 0);
    assert_eq!(list("displayName eq \"\\\") OR (1=1\"")["totalResults"], 0);
    for bad in [
        "userName",
        "userName eq",
        "nickName eq \"x\"",
        "active gt 1",
        "(userName pr",
        "meta.created co \"2026\"",
    ] {
        let r = scim_send(
            &c,
            &secret,
            "GET",
            &format!("{users}?filter={}", urlencode(bad)),
            None,
        );
        assert_scim_error(&r, 400);
        assert_eq!(r.json()["scimType"], "invalidFilter", "{bad}");
    }

    // A search by POST: the same, from a SearchRequest body, in one round trip.
    let search = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "externalId eq \"00u1okta\"",
        "attributes": ["userName"],
        "count": 10
    })
    .to_string();
    let found = scim_send(
        &c,
        &secret,
        "POST",
        &format!("{users}/.search"),
        Some(&search),
    );
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.round_trips(), 1);
    assert_eq!(ids(&found.json()), vec![ada_id.clone()]);
    assert!(
        found.json()["Resources"][0].get("externalId").is_none(),
        "attributes honoured"
    );
    let anonymous = c.send(
        "POST",
        &format!("{users}/.search"),
        &[("content-type", "application/scim+json")],
        Some("nope"),
    );
    assert_scim_error(&anonymous, 401);

    // Without a token of the organization nothing is read, and a bad filter is not
    // even looked at.
    let unknown = "A".repeat(43);
    for presented in [None, Some(unknown.as_str())] {
        for query in ["", "?filter=nickName%20eq%201", "?count=many"] {
            let r = c.get(&format!("{users}{query}"), presented);
            assert_scim_error(&r, 401);
        }
    }

    // Pages: 1-based startIndex, count at most 100.
    let page = scim_send(
        &c,
        &secret,
        "GET",
        &format!("{users}?startIndex=2&count=1"),
        None,
    );
    assert_eq!(
        page.round_trips(),
        1,
        "the token, the page and its count: one batch"
    );
    let page = page.json();
    assert_eq!(
        (
            page["totalResults"].as_u64(),
            page["startIndex"].as_u64(),
            page["itemsPerPage"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(ids(&page), vec![grace_id.clone()]);
    let none = scim_send(&c, &secret, "GET", &format!("{users}?count=0"), None).json();
    assert_eq!(
        (none["totalResults"].as_u64(), none["itemsPerPage"].as_u64()),
        (Some(3), Some(0))
    );
    let zero = scim_send(
        &c,
        &secret,
        "GET",
        &format!("{users}?startIndex=0&count=500"),
        None,
    )
    .json();
    assert_eq!(
        (zero["startIndex"].as_u64(), zero["itemsPerPage"].as_u64()),
        (Some(1), Some(3))
    );
    assert_scim_error(
        &scim_send(&c, &secret, "GET", &format!("{users}?count=many"), None),
        400,
    );

    // One User; a normal account (the administrator) is not a User.
    let one = scim_send(&c, &secret, "GET", &format!("{users}/{ada_id}"), None);
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.json()["externalId"], "00u1okta");
    assert_eq!(one.header("etag"), one.json()["meta"]["version"].as_str());
    let me = c.get("/api/v1/me", Some(&o.admin)).json();
    let admin_id = me["account"]["id"].as_str().unwrap();
    assert_scim_error(
        &scim_send(&c, &secret, "GET", &format!("{users}/{admin_id}"), None),
        404,
    );
    assert_scim_error(
        &scim_send(&c, &secret, "GET", &format!("{users}/acct_nope"), None),
        404,
    );
    assert_scim_error(&scim_send(&c, &secret, "DELETE", &users, None), 405);
    let config = scim(&c, Some(&secret), &o.key, "ServiceProviderConfig").json();
    assert_eq!(
        (
            config["filter"]["supported"].as_bool(),
            config["filter"]["maxResults"].as_u64()
        ),
        (Some(true), Some(100))
    );
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["etag"]["supported"], true);
}

pub(crate) fn patch_body(ops: Value) -> String {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
        .to_string()
}

fn a_deactivated_user_loses_access_at_once_and_patches_never_lose_an_update(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    let o = sso_org(w, &c, &p.idp, false);
    let secret = provisioning_token(&c, &o);
    let users = format!("/scim/v2/{}/Users", o.key);
    let email = format!("lin@{}", o.domain);
    let created = scim_send(&c, &secret, "POST", &users, Some(&json!({"userName": email, "externalId": "okta-lin", "name": {"givenName": "Lin", "familyName": "Wu"}}).to_string()));
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let user = format!("{users}/{id}");

    // The person signs in through the IdP.
    let (_, r) = sp_login(&c, &p.idp, &o.org_id, &email, "assertion", "/");
    let cookie = session_cookie(&r).expect("a session");
    assert_eq!(me_by_cookie(&c, &cookie).status, 200);

    // Okta deactivates: a replace without a path. The session ends at once, and the IdP
    // can no longer sign them in; the account stays, inactive.
    let r = scim_send(
        &c,
        &secret,
        "PATCH",
        &user,
        Some(&patch_body(
            json!([{"op": "replace", "value": {"active": false}}]),
        )),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.round_trips(),
        2,
        "the token with the read, then the one guarded write"
    );
    assert_eq!(r.json()["active"], false);
    assert_eq!(
        r.json()["name"]["givenName"],
        "Lin",
        "a PATCH changes only what it names"
    );
    let one = scim_send(&c, &secret, "GET", &user, None);
    assert_eq!(one.round_trips(), 1, "the token and the User in one batch");
    // Without the token, not even the body is judged.
    let anonymous = c.send(
        "PATCH",
        &user,
        &[("content-type", "application/scim+json")],
        Some("not json"),
    );
    assert_scim_error(&anonymous, 401);
    assert_eq!(
        me_by_cookie(&c, &cookie).status,
        401,
        "the session ended with the deactivation"
    );
    let (_, r) = sp_login(&c, &p.idp, &o.org_id, &email, "assertion", "/");
    refused(&c, &o, &r, "account_deactivated");
    assert!(r.body.contains("deactivated"), "the person is told why");
    assert_eq!(
        scim_send(&c, &secret, "GET", &user, None).json()["active"],
        false
    );

    // Entra reactivates with its own spelling: a capitalised op, a path, a string boolean.
    let r = scim_send(
        &c,
        &secret,
        "PATCH",
        &user,
        Some(&patch_body(json!([
            {"op": "Replace", "path": "active", "value": "True"},
            {"op": "Replace", "path": "name.givenName", "value": "Lina"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": email}
        ]))),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (
            r.json()["active"].as_bool(),
            r.json()["name"]["givenName"].as_str()
        ),
        (Some(true), Some("Lina"))
    );
    let (_, r) = sp_login(&c, &p.idp, &o.org_id, &email, "assertion", "/");
    assert!(
        session_cookie(&r).is_some(),
        "active again: the login works: {}",
        r.body
    );

    // PUT replaces: what it leaves out is cleared. If-Match with an old version: 412,
    // nothing written; with the current one it writes.
    let before = scim_send(&c, &secret, "GET", &user, None);
    let etag = before.header("etag").unwrap().to_owned();
    let put = json!({"userName": email, "displayName": "Lin Wu", "active": true}).to_string();
    let auth = format!("Bearer {secret}");
    let stale = c.send(
        "PUT",
        &user,
        &[
            ("authorization", &auth),
            ("content-type", "application/scim+json"),
            ("if-match", "W/\"1\""),
        ],
        Some(&put),
    );
    assert_scim_error(&stale, 412);
    let r = c.send(
        "PUT",
        &user,
        &[
            ("authorization", &auth),
            ("content-type", "application/scim+json"),
            ("if-match", &etag),
        ],
        Some(&put),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let replaced = r.json();
    assert_eq!(replaced["displayName"], "Lin Wu");
    assert!(
        replaced.get("externalId").is_none(),
        "cleared by the replace"
    );
    assert!(replaced["name"].get("givenName").is_none());
    assert_ne!(r.header("etag").unwrap(), etag, "a new version");
    assert_scim_error(
        &c.send(
            "PATCH",
            &user,
            &[
                ("authorization", &auth),
                ("content-type", "application/scim+json"),
                ("if-match", &etag),
            ],
            Some(&patch_body(
                json!([{"op": "replace", "path": "displayName", "value": "x"}]),
            )),
        ),
        412,
    );

    // Refusals change nothing.
    let other = format!("other@{}", o.domain);
    assert_eq!(
        scim_send(
            &c,
            &secret,
            "POST",
            &users,
            Some(&json!({"userName": other}).to_string())
        )
        .status,
        201
    );
    for (body, status, scim_type) in [
        (
            patch_body(json!([{"op": "replace", "path": "userName", "value": other}])),
            409,
            Some("uniqueness"),
        ),
        (
            patch_body(
                json!([{"op": "replace", "path": "userName", "value": "lin@elsewhere.example"}]),
            ),
            400,
            Some("invalidValue"),
        ),
        (
            patch_body(json!([{"op": "replace", "path": "id", "value": "acct_x"}])),
            400,
            Some("mutability"),
        ),
        (patch_body(json!([{"op": "remove"}])), 400, Some("noTarget")),
        (
            patch_body(json!([{"op": "replace", "path": "members[value eq \"x\"]", "value": 1}])),
            400,
            Some("invalidPath"),
        ),
        (
            patch_body(json!([{"op": "shuffle", "path": "active"}])),
            400,
            Some("invalidSyntax"),
        ),
        (
            patch_body(json!([{"op": "replace", "path": "active", "value": "perhaps"}])),
            400,
            Some("invalidValue"),
        ),
        ("not json".to_owned(), 400, Some("invalidSyntax")),
    ] {
        let r = scim_send(&c, &secret, "PATCH", &user, Some(&body));
        assert_scim_error(&r, status);
        assert_eq!(r.json()["scimType"].as_str(), scim_type, "{body}");
    }
    let unchanged = scim_send(&c, &secret, "GET", &user, None);
    assert_eq!(
        unchanged.json(),
        replaced,
        "nothing written by the refusals"
    );
    assert_scim_error(
        &scim_send(
            &c,
            &secret,
            "PATCH",
            &format!("{users}/acct_nope"),
            Some(&patch_body(
                json!([{"op": "replace", "path": "active", "value": false}]),
            )),
        ),
        404,
    );

    // Concurrent PATCHes of different attributes: each is a compare-and-set on the
    // version it read, tried again when another won, so neither change is lost.
    for round in 0..5 {
        let attrs = [
            "name.givenName",
            "name.familyName",
            "displayName",
            "externalId",
        ];
        let values: Vec<String> = attrs.iter().map(|a| format!("{a}-{round}")).collect();
        let start = std::sync::Barrier::new(attrs.len());
        let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = attrs
                .iter()
                .zip(&values)
                .map(|(attr, value)| {
                    let (c, secret, user, start) = (&c, &secret, &user, &start);
                    scope.spawn(move || {
                        let body =
                            patch_body(json!([{"op": "replace", "path": attr, "value": value}]));
                        start.wait();
                        let r = scim_send(c, secret, "PATCH", user, Some(&body));
                        (r.status, r.body)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (status, body) in &statuses {
            assert_eq!(*status, 200, "{body}");
        }
        let now = scim_send(&c, &secret, "GET", &user, None).json();
        assert_eq!(
            [
                now["name"]["givenName"].as_str(),
                now["name"]["familyName"].as_str(),
                now["displayName"].as_str(),
                now["externalId"].as_str()
            ],
            [
                Some(values[0].as_str()),
                Some(values[1].as_str()),
                Some(values[2].as_str()),
                Some(values[3].as_str())
            ],
            "round {round}: no concurrent write was lost"
        );
    }

    // DELETE removes the account with its membership; again: 404.
    let r = scim_send(&c, &secret, "DELETE", &user, None);
    assert_eq!(r.status, 204, "{}", r.body);
    assert_scim_error(&scim_send(&c, &secret, "GET", &user, None), 404);
    assert_scim_error(&scim_send(&c, &secret, "DELETE", &user, None), 404);
    let members = c
        .get(&format!("/api/v1/orgs/{}/members", o.key), Some(&o.admin))
        .json();
    assert!(
        !members.to_string().contains(&id),
        "the membership went with it"
    );
}

/// The independent compliance checker (`scim2-tester` from PyPI, in .tools/scim-venv,
/// installed by scripts/install-test-peers.sh) against the real Worker.
fn scim2_tester_finds_no_failed_check(w: &World) {
    let c = sso_client(w);
    let o = sso_org(w, &c, &peers(w).idp, false);
    let secret = provisioning_token(&c, &o);
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(format!("{root}/.tools/scim-venv/bin/python"))
        .arg(format!("{root}/tests/scim/compliance.py"))
        .arg(format!("{}/scim/v2/{}", c.base, o.key))
        .arg(&secret)
        .arg(&o.domain)
        .output()
        .expect("the scim2-tester venv (scripts/install-test-peers.sh)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "scim2-tester:\n{report}");
    assert!(report.contains(" 0 failed"), "{report}");
}

fn the_authentication_tab_shows_provisioning_and_makes_and_revokes_tokens(w: &World) {
    let c = sso_client(w);
    let o = sso_org(w, &c, &peers(w).idp, false);
    let tab = format!("/orgs/{}/settings/authentication", o.key);
    let cookie = format!("orgpass_session={}", o.admin);
    let page = |c: &Client| {
        let r = c.send("GET", &tab, &[("cookie", &cookie)], None);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.round_trips(), 1, "the tab reads in one batch");
        r.body
    };
    let before = page(&c);
    assert!(
        before.contains(&format!("{}/scim/v2/{}", c.base, o.key)),
        "the base URL"
    );
    assert!(before.contains("No provisioning tokens."));
    assert!(before.contains(r#"id="scim-last-sync">never"#), "{before}");
    assert!(before.contains("has not provisioned anyone yet"));
    assert!(before.contains("No request of your identity provider has been refused."));

    // The form creates a token; its secret is on that one answer only.
    let (csrf, cookie) = form_session(&c, &tab, Some(&o.admin));
    let created = post_form(
        &c,
        &format!("{tab}/scim-tokens/create"),
        &cookie,
        &[("csrf", &csrf)],
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let secret = created
        .body
        .split(r#"<code id="scim-secret">"#)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret is shown")
        .to_owned();
    assert_eq!(secret.len(), 43);
    let users = format!("/scim/v2/{}/Users", o.key);
    let r = scim_send(
        &c,
        &secret,
        "POST",
        &users,
        Some(&json!({"userName": format!("tab@{}", o.domain)}).to_string()),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let tab_user = r.json()["id"].as_str().unwrap().to_owned();
    // A refused request of the IdP is noted for the administrators; one without a valid
    // token is not (nobody without a token writes there).
    let refused = scim_send(
        &c,
        &secret,
        "POST",
        &users,
        Some(&json!({"userName": "someone@elsewhere.example"}).to_string()),
    );
    assert_scim_error(&refused, 400);
    let anonymous = scim_send(&c, &"x".repeat(43), "POST", &users, Some("{}"));
    assert_scim_error(&anonymous, 401);

    let after = page(&c);
    assert!(
        after.contains(&format!(r#"id="scim-account-{tab_user}""#)),
        "the provisioned account is listed: {after}"
    );
    let errors = after
        .split(r#"id="scim-errors""#)
        .nth(1)
        .expect("the last errors are listed");
    assert!(errors.contains("POST /Users"), "{errors}");
    assert!(errors.contains("invalidValue"), "{errors}");
    assert!(errors.contains("verified domain"), "{errors}");
    assert_eq!(
        errors.matches("<tr><td>").count(),
        1,
        "only the authenticated refusal: {errors}"
    );
    assert!(!after.contains(&secret), "never shown again");
    assert!(
        !after.contains(r#"id="scim-last-sync">never"#),
        "the IdP's use is the last sync"
    );
    assert!(after.contains(r#"id="scim-provisioned">1"#), "{after}");
    let id = tokens(&c, &o.admin, &o.key)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(after.contains(&format!("scim-token-{id}")));

    // Revoking from the tab stops the token at once.
    let revoked = post_form(
        &c,
        &format!("{tab}/scim-tokens/{id}/revoke"),
        &cookie,
        &[("csrf", &csrf)],
    );
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_scim_error(&scim_send(&c, &secret, "GET", &users, None), 401);
    assert!(page(&c).contains("No provisioning tokens."));
    // Without the form's CSRF token nothing happens.
    let forged = post_form(&c, &format!("{tab}/scim-tokens/create"), &cookie, &[]);
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(tokens(&c, &o.admin, &o.key).is_empty());
}
