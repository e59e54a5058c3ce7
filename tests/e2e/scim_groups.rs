//! SCIM Groups (docs/api.md "SCIM 2.0 provisioning"): an IdP creates, reads, filters,
//! renames, changes the members of, and deletes the organization's groups, with the
//! request bodies Okta and Entra ID send (their provisioning guides' examples); members
//! are the organization's Users only; a group change lifts no one above the policy;
//! concurrent changes are never lost; and a token stops with its creator's right.

use serde_json::{json, Value};

use crate::{
    client::Client,
    scim::{assert_scim_error, patch_body, provisioning_token, scim_send},
    sso::{managed, peers, sso_client, sso_org, SsoOrg},
    team::{groups_of, joined, members_of},
    World,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "scim_groups::groups_follow_okta_and_entra_and_lift_no_one_above_the_policy",
        groups_follow_okta_and_entra_and_lift_no_one_above_the_policy,
    ),
    (
        "scim_groups::concurrent_group_changes_are_never_lost",
        concurrent_group_changes_are_never_lost,
    ),
    (
        "scim_groups::a_token_works_only_while_its_creator_is_an_administrator",
        a_token_works_only_while_its_creator_is_an_administrator,
    ),
];

/// Creates a SCIM User `local@domain`; its id.
fn user(c: &Client, secret: &str, o: &SsoOrg, local: &str) -> String {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("{local}@{}", o.domain),
        "name": {"givenName": local, "familyName": "Tester"},
        "active": true
    });
    let r = scim_send(
        c,
        secret,
        "POST",
        &format!("/scim/v2/{}/Users", o.key),
        Some(&body.to_string()),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_owned()
}

/// The member ids of a Group resource, sorted (a multi-valued attribute has no order).
fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// `ids`, sorted.
fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    ids.sort();
    ids
}

fn groups_follow_okta_and_entra_and_lift_no_one_above_the_policy(w: &World) {
    let c = sso_client(w);
    let o = sso_org(w, &c, &peers(w).idp, false);
    let secret = provisioning_token(&c, &o);
    let groups = format!("/scim/v2/{}/Groups", o.key);
    let send = |method: &str, path: &str, body: Option<&Value>| {
        scim_send(
            &c,
            &secret,
            method,
            path,
            body.map(Value::to_string).as_deref(),
        )
    };
    let patch =
        |path: &str, ops: Value| scim_send(&c, &secret, "PATCH", path, Some(&patch_body(ops)));
    let ada = user(&c, &secret, &o, "ada");
    let bob = user(&c, &secret, &o, "bob");
    // A guest managed account (made by an administrator) is a User too.
    let (gus, _) = managed(&c, &o, "gus", "guest");
    let admin_id = members_of(&c, &o.admin, &o.key)
        .into_iter()
        .find(|m| m.email == o.admin_email)
        .unwrap()
        .account_id;

    // Discovery names both resource types and both schemas.
    let types = send("GET", &format!("/scim/v2/{}/ResourceTypes", o.key), None).json();
    let names: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User", "Group"]);
    let schema = send(
        "GET",
        &format!(
            "/scim/v2/{}/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
            o.key
        ),
        None,
    );
    assert_eq!(schema.status, 200, "{}", schema.body);
    assert_eq!(schema.json()["attributes"][1]["name"], "members");

    // Okta looks the group up by name before it pushes it.
    let looked = send(
        "GET",
        &format!(
            "{groups}?filter={}",
            crate::urlencode("displayName eq \"Engineering\"")
        ),
        None,
    );
    assert_eq!(looked.status, 200, "{}", looked.body);
    assert_eq!(looked.json()["totalResults"], 0);

    // Okta pushes a group with its members.
    let okta = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Engineering",
        "members": [{"value": ada, "display": format!("ada@{}", o.domain)}]
    });
    let r = send("POST", &groups, Some(&okta));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.round_trips(), 2, "the token, then the one guarded write");
    let created = r.json();
    let eng = created["id"].as_str().unwrap().to_owned();
    let location = format!("{}{groups}/{eng}", c.base);
    assert_eq!(r.header("location"), Some(location.as_str()));
    assert_eq!(created["meta"]["resourceType"], "Group");
    assert_eq!(created["meta"]["location"], location);
    assert_eq!(r.header("etag"), created["meta"]["version"].as_str());
    assert_eq!(
        created["members"],
        json!([{
            "value": ada,
            "$ref": format!("{}/scim/v2/{}/Users/{ada}", c.base, o.key),
            "type": "User"
        }])
    );
    // The group is an orgpass group, with ada in it.
    let g = groups_of(&c, &o.admin, &o.key)
        .into_iter()
        .find(|g| g.id == eng)
        .unwrap();
    assert_eq!(
        (g.name.as_str(), g.member_ids.clone()),
        ("Engineering", vec![ada.clone()])
    );

    // Entra ID creates one with its externalId and no members.
    let entra = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "Sales",
        "members": []
    });
    let r = send("POST", &groups, Some(&entra));
    assert_eq!(r.status, 201, "{}", r.body);
    let sales = r.json()["id"].as_str().unwrap().to_owned();

    // Refusals change nothing: a taken name (whatever its case), a member who is no
    // User (unknown, or the administrator who signed up themselves), a body without a
    // name.
    let taken = send(
        "POST",
        &groups,
        Some(&json!({"displayName": "ENGINEERING"})),
    );
    assert_scim_error(&taken, 409);
    assert_eq!(taken.json()["scimType"], "uniqueness");
    for member in ["acct_nobody", admin_id.as_str()] {
        let r = send(
            "POST",
            &groups,
            Some(&json!({"displayName": "Ghosts", "members": [{"value": member}]})),
        );
        assert_scim_error(&r, 400);
        assert_eq!(r.json()["scimType"], "invalidValue");
    }
    let r = send("POST", &groups, Some(&json!({"members": []})));
    assert_scim_error(&r, 400);
    let all = send("GET", &groups, None).json();
    assert_eq!(all["totalResults"], 2, "{all}");

    // Okta adds members, then removes one by a value filter.
    let group = format!("{groups}/{eng}");
    let r = patch(
        &group,
        json!([{"op": "add", "path": "members", "value": [
            {"value": bob, "display": format!("bob@{}", o.domain)},
            {"value": gus}
        ]}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.round_trips(),
        2,
        "the token with the Group, then the compare-and-set with its read-back"
    );
    assert_eq!(member_ids(&r.json()), sorted(&[&ada, &bob, &gus]));
    let r = patch(
        &group,
        json!([{"op": "remove", "path": format!("members[value eq \"{bob}\"]")}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(member_ids(&r.json()), sorted(&[&ada, &gus]));
    // Adding a member who is no User changes nothing.
    let r = patch(
        &group,
        json!([{"op": "add", "path": "members", "value": [{"value": bob}, {"value": admin_id}]}]),
    );
    assert_scim_error(&r, 400);
    assert_eq!(r.json()["scimType"], "invalidValue");

    // Entra ID asks whether someone is a member, and leaves members out of its reads.
    let asked = send(
        "GET",
        &format!(
            "{groups}?filter={}&excludedAttributes=members",
            crate::urlencode(&format!("id eq \"{eng}\" and members[value eq \"{gus}\"]"))
        ),
        None,
    );
    assert_eq!(
        asked.round_trips(),
        1,
        "the token and the page in one batch"
    );
    let asked = asked.json();
    assert_eq!(asked["totalResults"], 1, "{asked}");
    assert!(asked["Resources"][0].get("members").is_none(), "{asked}");
    let asked = send(
        "GET",
        &format!(
            "{groups}?filter={}",
            crate::urlencode(&format!("members.value eq \"{bob}\""))
        ),
        None,
    )
    .json();
    assert_eq!(asked["totalResults"], 0, "{asked}");
    let by_external = send(
        "GET",
        &format!(
            "{groups}?filter={}",
            crate::urlencode("externalId eq \"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\"")
        ),
        None,
    )
    .json();
    assert_eq!(by_external["Resources"][0]["id"], sales.as_str());

    // The policy: a group that administers a project makes its guests editors only.
    let project = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/projects", o.key),
        Some(&o.admin),
        &json!({"name": "Rockets"}),
    );
    assert_eq!(project.status, 201, "{}", project.body);
    let project = project.json()["project"]["id"].as_str().unwrap().to_owned();
    let r = c.json(
        "PUT",
        &format!("/api/v1/orgs/{}/projects/{project}/groups/{eng}", o.key),
        Some(&o.admin),
        &json!({"role": "admin"}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let people = c.get(
        &format!("/api/v1/orgs/{}/projects/{project}/members", o.key),
        Some(&o.admin),
    );
    assert_eq!(people.status, 200, "{}", people.body);
    let role_of = |id: &str| {
        people.json()["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["account_id"] == id)
            .map(|m| m["role"].as_str().unwrap().to_owned())
    };
    assert_eq!(role_of(&ada).as_deref(), Some("admin"));
    assert_eq!(
        role_of(&gus).as_deref(),
        Some("editor"),
        "a guest is never a project admin"
    );
    let orgs_members = members_of(&c, &o.admin, &o.key);
    let role = |id: &str| {
        orgs_members
            .iter()
            .find(|m| m.account_id == id)
            .map(|m| m.role.clone())
    };
    assert_eq!(
        role(&gus).as_deref(),
        Some("guest"),
        "no organization role changed"
    );

    // Someone who signed up themselves joins the group through the API: the Group's
    // version moves, but SCIM does not show them, and its replace leaves them in.
    let before = send("GET", &group, None);
    let tag = before.header("etag").unwrap();
    let r = c.send(
        "PUT",
        &format!("/api/v1/orgs/{}/groups/{eng}/members/{admin_id}", o.key),
        &[("authorization", &format!("Bearer {}", o.admin))],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let after = send("GET", &group, None);
    assert_ne!(
        after.header("etag"),
        Some(tag),
        "any change moves the version"
    );
    assert_eq!(member_ids(&after.json()), sorted(&[&ada, &gus]));
    // A write naming the version before that change fails its precondition.
    let auth = format!("Bearer {secret}");
    let stale = c.send(
        "PATCH",
        &group,
        &[
            ("authorization", auth.as_str()),
            ("content-type", "application/scim+json"),
            ("if-match", tag),
        ],
        Some(&patch_body(
            json!([{"op": "replace", "path": "displayName", "value": "X"}]),
        )),
    );
    assert_scim_error(&stale, 412);

    // Entra ID removes members with a value list and renames with capitalised ops.
    let r = patch(
        &group,
        json!([
            {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": ada}]},
            {"op": "Replace", "path": "displayName", "value": "Engineering (EMEA)"}
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let now = r.json();
    assert_eq!(now["displayName"], "Engineering (EMEA)");
    assert_eq!(member_ids(&now), [gus.as_str()]);
    // A replace of the whole Group (PUT) sets its Users; the self-signed-up admin stays.
    let put = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Engineering",
        "members": [{"value": bob}]
    });
    let r = send("PUT", &group, Some(&put));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(member_ids(&r.json()), [bob.as_str()]);
    let g = groups_of(&c, &o.admin, &o.key)
        .into_iter()
        .find(|g| g.id == eng)
        .unwrap();
    let mut in_group = g.member_ids.clone();
    in_group.sort();
    let mut want = vec![admin_id.clone(), bob.clone()];
    want.sort();
    assert_eq!(in_group, want);

    // DELETE deletes the group; its people stay in the organization.
    let r = send("DELETE", &group, None);
    assert_eq!(r.status, 204, "{}", r.body);
    assert_scim_error(&send("GET", &group, None), 404);
    assert_scim_error(&send("DELETE", &group, None), 404);
    assert!(groups_of(&c, &o.admin, &o.key).iter().all(|g| g.id != eng));
    let left = members_of(&c, &o.admin, &o.key);
    for id in [&ada, &bob, &gus] {
        assert!(left.iter().any(|m| &m.account_id == id));
    }
    // The service searches one resource type at a time.
    let r = send(
        "POST",
        &format!("/scim/v2/{}/.search", o.key),
        Some(&json!({"filter": "displayName pr"})),
    );
    assert_scim_error(&r, 501);
}

fn concurrent_group_changes_are_never_lost(w: &World) {
    let c = sso_client(w);
    let o = sso_org(w, &c, &peers(w).idp, false);
    let secret = provisioning_token(&c, &o);
    let people: Vec<String> = (0..8)
        .map(|i| user(&c, &secret, &o, &format!("crowd{i}")))
        .collect();
    let r = scim_send(
        &c,
        &secret,
        "POST",
        &format!("/scim/v2/{}/Groups", o.key),
        Some(&json!({"displayName": "Crowd"}).to_string()),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let group = format!(
        "/scim/v2/{}/Groups/{}",
        o.key,
        r.json()["id"].as_str().unwrap()
    );
    // In each round four IdP workers write at the same moment: two add a person each,
    // one renames the Group, one changes its externalId. Each write reads the Group,
    // changes it and writes its name and externalId with its members' changes, so
    // without the version's compare-and-set the rename and the externalId would undo
    // each other.
    for round in 0..4 {
        let start = std::sync::Barrier::new(4);
        let name = format!("Crowd {round}");
        let external = format!("ext-{round}");
        let bodies = [
            json!([{"op": "add", "path": "members", "value": [{"value": people[2 * round]}]}]),
            json!([{"op": "add", "path": "members", "value": [{"value": people[2 * round + 1]}]}]),
            json!([{"op": "replace", "path": "displayName", "value": name}]),
            json!([{"op": "replace", "path": "externalId", "value": external}]),
        ];
        let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = bodies
                .iter()
                .map(|ops| {
                    let (c, secret, group, start) = (&c, &secret, &group, &start);
                    scope.spawn(move || {
                        let body = patch_body(ops.clone());
                        start.wait();
                        let r = scim_send(c, secret, "PATCH", group, Some(&body));
                        (r.status, r.body)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (status, body) in &statuses {
            assert_eq!(*status, 200, "{body}");
        }
        let now = scim_send(&c, &secret, "GET", &group, None).json();
        let mut got = member_ids(&now);
        got.sort();
        let mut want = people[..2 * round + 2].to_vec();
        want.sort();
        assert_eq!(got, want, "round {round}: no member change was lost");
        assert_eq!(
            (now["displayName"].as_str(), now["externalId"].as_str()),
            (Some(name.as_str()), Some(external.as_str())),
            "round {round}: no attribute change was lost"
        );
    }
}

fn a_token_works_only_while_its_creator_is_an_administrator(w: &World) {
    let c = sso_client(w);
    let o = sso_org(w, &c, &peers(w).idp, false);
    let second = joined(&c, &o.admin, &o.key, "administrator", "scimadmin");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/scim/tokens", o.key),
        Some(&second.token),
        &json!({}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    let groups = format!("/scim/v2/{}/Groups", o.key);
    assert_eq!(scim_send(&c, &secret, "GET", &groups, None).status, 200);
    let set_role = |role: &str| {
        let r = c.json(
            "PATCH",
            &format!("/api/v1/orgs/{}/members/{}", o.key, second.id),
            Some(&o.admin),
            &json!({"role": role}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    };
    let listed = |c: &Client| {
        let r = c.get(
            &format!("/api/v1/orgs/{}/scim/tokens", o.key),
            Some(&o.admin),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["tokens"][0]["active"].clone()
    };
    assert_eq!(listed(&c), true);

    // Demoted, its creator's tokens stop at once: for reads and for writes.
    set_role("member");
    assert_scim_error(&scim_send(&c, &secret, "GET", &groups, None), 401);
    let r = scim_send(
        &c,
        &secret,
        "POST",
        &groups,
        Some(&json!({"displayName": "Takeover"}).to_string()),
    );
    assert_scim_error(&r, 401);
    assert!(groups_of(&c, &o.admin, &o.key)
        .iter()
        .all(|g| g.name != "Takeover"));
    assert_eq!(listed(&c), false, "the administrators see that it stopped");

    // An administrator again, the token works again.
    set_role("administrator");
    assert_eq!(scim_send(&c, &secret, "GET", &groups, None).status, 200);
}
