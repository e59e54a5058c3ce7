//! The audit log (docs/api.md "Audit log"): every change an administrator, a member or
//! the IdP makes is an event written with the change, never without it; administrators
//! read their organization's events only, filtered and a page at a time.

use serde_json::{json, Value};

use crate::{
    client::Client,
    pass::{cron, log_in},
    scim::{patch_body, provisioning_token, scim_send},
    sso::{peers, sso_client, sso_org},
    team::{joined, org_with_admin, team_client},
    World,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "audit::changes_are_recorded_with_who_what_whom_and_where_and_refusals_are_not",
        changes_are_recorded_with_who_what_whom_and_where_and_refusals_are_not,
    ),
    (
        "audit::the_idp_is_recorded_as_its_token",
        the_idp_is_recorded_as_its_token,
    ),
    (
        "audit::events_are_kept_thirteen_months",
        events_are_kept_thirteen_months,
    ),
    (
        "audit::settings_domains_and_projects_are_recorded",
        settings_domains_and_projects_are_recorded,
    ),
];

/// The events `token` reads with `query` (`action=…&limit=…`); the answer must be 200.
fn events(c: &Client, token: &str, key: &str, query: &str) -> (Vec<Value>, Option<String>) {
    let r = c.get(
        &format!("/api/v1/orgs/{key}/audit-events?{query}"),
        Some(token),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.round_trips(), 1, "a page is one round trip");
    let body = r.json();
    (
        body["events"].as_array().unwrap().clone(),
        body["next_cursor"].as_str().map(str::to_owned),
    )
}

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

fn changes_are_recorded_with_who_what_whom_and_where_and_refusals_are_not(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "auditadm");
    let bea = joined(&c, &admin.token, &key, "member", "auditbea");
    let auth = format!("Bearer {}", admin.token);
    let send = |method: &str, path: &str, body: Option<Value>| {
        let body = body.map(|b| b.to_string());
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("user-agent", "audit-test/1.0"),
        ];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        c.send(method, path, &headers, body.as_deref())
    };

    // A role change, then a group's life.
    let r = send(
        "PATCH",
        &format!("/api/v1/orgs/{key}/members/{}", bea.id),
        Some(json!({"role": "guest"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(
        "POST",
        &format!("/api/v1/orgs/{key}/groups"),
        Some(json!({"name": "Auditors"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let group = r.json()["group"]["id"].as_str().unwrap().to_owned();
    let member = format!("/api/v1/orgs/{key}/groups/{group}/members/{}", bea.id);
    // Five concurrent adds of the same person: one joins, one event.
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..5)
            .map(|_| scope.spawn(|| send("PUT", &member, None).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
    assert_eq!(send("DELETE", &member, None).status, 204);
    let r = send(
        "PATCH",
        &format!("/api/v1/orgs/{key}/groups/{group}"),
        Some(json!({"name": "Auditors (old)"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        send(
            "DELETE",
            &format!("/api/v1/orgs/{key}/groups/{group}"),
            None
        )
        .status,
        204
    );

    // Refusals write nothing: the last administrator cannot step down, a taken name.
    let r = send(
        "PATCH",
        &format!("/api/v1/orgs/{key}/members/{}", admin.id),
        Some(json!({"role": "member"})),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        send(
            "DELETE",
            &format!("/api/v1/orgs/{key}/groups/{group}"),
            None
        )
        .status,
        404
    );

    let (all, next) = events(&c, &admin.token, &key, "");
    assert_eq!(next, None);
    assert_eq!(
        actions(&all),
        [
            "group.deleted",
            "group.renamed",
            "group.member_removed",
            "group.member_added",
            "group.created",
            "member.role_changed",
        ],
        "newest first, one event per change made: {all:#?}"
    );
    let role = &all[5];
    assert_eq!(role["actor"]["type"], "account");
    assert_eq!(role["actor"]["id"], admin.id.as_str());
    assert_eq!(role["actor"]["email"], admin.email.as_str());
    assert_eq!(
        role["targets"],
        json!([{"type": "account", "id": bea.id, "name": bea.email}])
    );
    assert_eq!(role["context"]["ip"], c.ip.as_str());
    assert_eq!(role["context"]["user_agent"], "audit-test/1.0");
    assert_eq!(role["outcome"], "success");
    assert!(role["id"].as_str().unwrap().starts_with("evt_"));
    // The deleted group is still named by its event.
    assert_eq!(all[0]["targets"][0]["name"], "Auditors (old)");
    assert_eq!(
        all[3]["targets"],
        json!([
            {"type": "group", "id": group, "name": "Auditors"},
            {"type": "account", "id": bea.id, "name": bea.email}
        ])
    );

    // Filters and pages.
    let (only, _) = events(&c, &admin.token, &key, "action=group.created");
    assert_eq!(actions(&only), ["group.created"]);
    let (mine, _) = events(&c, &admin.token, &key, &format!("actor_id={}", bea.id));
    assert!(mine.is_empty());
    let (later, _) = events(&c, &admin.token, &key, "since=2999-01-01T00:00:00Z");
    assert!(later.is_empty());
    let (first, cursor) = events(&c, &admin.token, &key, "limit=4");
    assert_eq!(first.len(), 4);
    let (rest, end) = events(
        &c,
        &admin.token,
        &key,
        &format!("limit=4&cursor={}", cursor.unwrap()),
    );
    assert_eq!(actions(&rest), ["group.created", "member.role_changed"]);
    assert_eq!(end, None);
    for (query, code) in [
        ("action=member.exploded", "invalid_action"),
        ("since=yesterday", "invalid_time"),
        ("limit=500", "invalid_limit"),
        ("cursor=nope", "invalid_cursor"),
    ] {
        let r = c.get(
            &format!("/api/v1/orgs/{key}/audit-events?{query}"),
            Some(&admin.token),
        );
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.code(), code);
    }

    // The Audit log tab shows them, filters them and pages back.
    let cookie = format!("orgpass_session={}", admin.token);
    let tab = |query: &str| {
        c.send(
            "GET",
            &format!("/orgs/{key}/settings/audit-log{query}"),
            &[("cookie", &cookie)],
            None,
        )
    };
    let r = tab("");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.round_trips(), 1);
    assert!(r.body.contains("<code>group.created</code>"), "{}", r.body);
    assert!(r.body.contains(&admin.email));
    assert!(r.body.contains(&bea.email), "targets by name");
    let r = tab("?action=group.created");
    assert_eq!(r.body.matches("<tr id=\"event-").count(), 1, "{}", r.body);
    let r = tab("?limit=4");
    let older = r
        .body
        .split(r#"id="audit-older" href=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to older events")
        .replace("&amp;", "&");
    let r = c.send("GET", &older, &[("cookie", &cookie)], None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body.matches("<tr id=\"event-").count(),
        2,
        "the two oldest"
    );
    assert!(!r.body.contains("audit-older"));
    let r = tab("?action=member.exploded");
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("No event has this action."));
    let member_tab = c.send(
        "GET",
        &format!("/orgs/{key}/settings/audit-log"),
        &[("cookie", &format!("orgpass_session={}", bea.token))],
        None,
    );
    assert_eq!(member_tab.status, 403, "{}", member_tab.body);

    // Only administrators, and only their own organization's.
    let r = c.get(
        &format!("/api/v1/orgs/{key}/audit-events"),
        Some(&bea.token),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = c.get(
        &format!("/api/v1/orgs/{key}/audit-events?action=nope"),
        Some(&bea.token),
    );
    assert_eq!(
        r.status, 403,
        "a bad filter is judged after the right: {}",
        r.body
    );
    let (other_key, other) = org_with_admin(&c, "auditother");
    let r = c.get(
        &format!("/api/v1/orgs/{key}/audit-events"),
        Some(&other.token),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let (theirs, _) = events(&c, &other.token, &other_key, "");
    assert!(theirs.is_empty(), "{theirs:?}");
    assert_eq!(
        c.get(&format!("/api/v1/orgs/{key}/audit-events"), None)
            .status,
        401
    );
}

fn the_idp_is_recorded_as_its_token(w: &World) {
    let c = sso_client(w);
    let o = sso_org(w, &c, &peers(w).idp, false);
    let secret = provisioning_token(&c, &o);
    let token_id = c
        .get(
            &format!("/api/v1/orgs/{}/scim/tokens", o.key),
            Some(&o.admin),
        )
        .json()["tokens"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = format!("/scim/v2/{}/Users", o.key);
    let email = format!("ivy@{}", o.domain);
    let r = scim_send(
        &c,
        &secret,
        "POST",
        &users,
        Some(&json!({"userName": email}).to_string()),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let ivy = r.json()["id"].as_str().unwrap().to_owned();
    let user = format!("{users}/{ivy}");
    let deactivate = patch_body(json!([{"op": "replace", "value": {"active": false}}]));
    assert_eq!(
        scim_send(&c, &secret, "PATCH", &user, Some(&deactivate)).status,
        200
    );
    // Okta sends it again: nothing changes, nothing is recorded.
    assert_eq!(
        scim_send(&c, &secret, "PATCH", &user, Some(&deactivate)).status,
        200
    );
    // A refused create is no event.
    let r = scim_send(
        &c,
        &secret,
        "POST",
        &users,
        Some(&json!({"userName": email}).to_string()),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(scim_send(&c, &secret, "DELETE", &user, None).status, 204);

    let (all, _) = events(&c, &o.admin, &o.key, "");
    let scim: Vec<&Value> = all
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("scim."))
        .collect();
    let names: Vec<&str> = scim.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "scim.user_deleted",
            "scim.user_deactivated",
            "scim.user_created",
            "scim.token_created"
        ],
        "{all:#?}"
    );
    for e in &scim[..3] {
        assert_eq!(e["actor"]["type"], "scim");
        assert_eq!(e["actor"]["id"], token_id.as_str());
        assert_eq!(
            e["targets"][0],
            json!({"type": "account", "id": ivy, "name": email})
        );
    }
    assert_eq!(scim[3]["actor"]["type"], "account");
    assert_eq!(
        scim[3]["targets"],
        json!([{"type": "scim_token", "id": token_id, "name": null}])
    );
}

fn events_are_kept_thirteen_months(w: &World) {
    // Its own Worker: the Cron runs a year ahead here.
    let c = w.other_client("audit-retention", &[]);
    let (key, admin) = org_with_admin(&c, "auditkeep");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/groups"),
        Some(&admin.token),
        &json!({"name": "Kept"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let day = 24 * 3600 * 1000;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    // Twelve months on, the event is there (the run ends the old session: log in again).
    cron(&c, now + 365 * day);
    let token = log_in(&c, &admin.email);
    assert_eq!(actions(&events(&c, &token, &key, "").0), ["group.created"]);
    // Past 13 months (396 days), the Cron deletes it.
    cron(&c, now + 397 * day);
    let token = log_in(&c, &admin.email);
    assert!(events(&c, &token, &key, "").0.is_empty());
}

fn settings_domains_and_projects_are_recorded(w: &World) {
    let c = sso_client(w);
    let o = sso_org(w, &c, &peers(w).idp, false);
    let only = |action: &str| events(&c, &o.admin, &o.key, &format!("action={action}")).0;
    // Setting the organization up saved SAML settings and added its domain.
    let saved = only("saml.updated");
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(saved[0]["targets"][0]["type"], "organization");
    assert_eq!(saved[0]["targets"][0]["id"], o.key.as_str());
    let added = only("domain.added");
    assert_eq!(added[0]["targets"][0]["name"], o.domain.as_str());

    let name = format!("gone{}.example", o.key.to_lowercase());
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/domains", o.key),
        Some(&o.admin),
        &json!({ "domain": name }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["domain"]["id"].as_str().unwrap().to_owned();
    let gone = format!("/api/v1/orgs/{}/domains/{id}", o.key);
    let auth = format!("Bearer {}", o.admin);
    assert_eq!(
        c.send("DELETE", &gone, &[("authorization", &auth)], None)
            .status,
        204
    );
    assert_eq!(
        c.send("DELETE", &gone, &[("authorization", &auth)], None)
            .status,
        404
    );
    let deleted = only("domain.deleted");
    assert_eq!(
        deleted.len(),
        1,
        "the second delete changed nothing: {deleted:?}"
    );
    assert_eq!(
        deleted[0]["targets"],
        json!([{"type": "domain", "id": id, "name": name}]),
        "the deleted domain is still named"
    );

    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/projects", o.key),
        Some(&o.admin),
        &json!({"name": "Audited"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let project = r.json()["project"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        only("project.created")[0]["targets"],
        json!([{"type": "project", "id": project, "name": "Audited"}])
    );

    let saml = format!("/api/v1/orgs/{}/saml", o.key);
    assert_eq!(
        c.send("DELETE", &saml, &[("authorization", &auth)], None)
            .status,
        204
    );
    assert_eq!(
        c.send("DELETE", &saml, &[("authorization", &auth)], None)
            .status,
        404
    );
    assert_eq!(only("saml.deleted").len(), 1);
}
