//! The audit log (docs/api.md "Audit log"): every change an administrator, a member or
//! the IdP makes is an event written with the change, never without it; administrators
//! read their organization's events only, filtered and a page at a time.

use serde_json::{json, Value};

use crate::{
    client::Client,
    pass::{cron, log_in, log_in_with, now_ms, org_in_trial},
    scim::{patch_body, provisioning_token, scim_send},
    sso::{failures, managed, peers, reference_in, sp_login, sso_client, sso_org},
    team::{invitation_token, invite, joined, org_with_admin, team_client},
    two_step::{challenge, enrol, oathtool, second_step, wrong_code},
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
    (
        "audit::the_csv_export_is_every_matching_event_in_chunks",
        the_csv_export_is_every_matching_event_in_chunks,
    ),
    (
        "audit::the_log_streams_to_a_signed_endpoint_in_order_at_least_once",
        the_log_streams_to_a_signed_endpoint_in_order_at_least_once,
    ),
    (
        "audit::invitations_logins_and_two_step_are_recorded",
        invitations_logins_and_two_step_are_recorded,
    ),
    (
        "audit::the_add_on_and_sso_logins_are_recorded_and_failures_are_their_view",
        the_add_on_and_sso_logins_are_recorded_and_failures_are_their_view,
    ),
];

/// The status of `DELETE path` with the `Authorization` header `auth`.
fn delete(c: &Client, path: &str, auth: &str) -> u16 {
    c.send("DELETE", path, &[("authorization", auth)], None)
        .status
}

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
            "invitation.accepted",
            "invitation.sent",
            "organization.created",
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
    assert_eq!(actions(&mine), ["invitation.accepted"], "Bea joined");
    let (later, _) = events(&c, &admin.token, &key, "since=2999-01-01T00:00:00Z");
    assert!(later.is_empty());
    let (first, cursor) = events(&c, &admin.token, &key, "limit=5");
    assert_eq!(first.len(), 5);
    let (rest, end) = events(
        &c,
        &admin.token,
        &key,
        &format!("limit=5&cursor={}", cursor.unwrap()),
    );
    assert_eq!(
        actions(&rest),
        [
            "member.role_changed",
            "invitation.accepted",
            "invitation.sent",
            "organization.created"
        ]
    );
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
    let r = tab("?limit=7");
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
    assert_eq!(actions(&theirs), ["organization.created"], "{theirs:?}");
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
    let now = now_ms();
    // An add-on in trial, which the Cron ends on the way.
    let (trial_admin, trial_key, _, _, trial_login) = org_in_trial(&c);
    let pass: Vec<Value> = events(&c, &trial_admin, &trial_key, "").0;
    assert_eq!(
        actions(&pass),
        ["pass.approved", "pass.applied", "organization.created"]
    );
    assert_eq!(
        pass[0]["actor"],
        json!({"type": "operator", "id": null, "email": null, "name": null})
    );
    assert_eq!(pass[1]["actor"]["type"], "account");
    // Twelve months on, the event is there (the run ends the old session: log in again,
    // which is an event too).
    cron(&c, now + 365 * day);
    let token = log_in(&c, &admin.email);
    assert_eq!(
        actions(&events(&c, &token, &key, "").0),
        [
            "account.login_succeeded",
            "group.created",
            "organization.created"
        ]
    );
    let token = log_in(&c, &trial_login);
    let expired = events(&c, &token, &trial_key, "action=pass.expired").0;
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0]["actor"]["type"], "system");
    assert_eq!(
        expired[0]["targets"],
        json!([{"type": "organization", "id": trial_key, "name": "Pass Org"}])
    );
    assert_eq!(
        expired[0]["context"],
        json!({"ip": null, "user_agent": null})
    );
    // Past 13 months (396 days), the Cron deletes them.
    cron(&c, now + 397 * day);
    let token = log_in(&c, &admin.email);
    assert_eq!(
        actions(&events(&c, &token, &key, "").0),
        ["account.login_succeeded"],
        "only this login is younger"
    );
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
    assert_eq!(delete(&c, &gone, &auth), 204);
    assert_eq!(delete(&c, &gone, &auth), 404);
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
    // A project role given, given again (nothing changes), taken away.
    let (member, member_email) = managed(&c, &o, "auditproject", "member");
    let grant = format!("/api/v1/orgs/{}/projects/{project}/members/{member}", o.key);
    for _ in 0..2 {
        let r = c.json("PUT", &grant, Some(&o.admin), &json!({"role": "editor"}));
        assert_eq!(r.status, 204, "{}", r.body);
    }
    assert_eq!(delete(&c, &grant, &auth), 204);
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/groups", o.key),
        Some(&o.admin),
        &json!({"name": "Project people"}),
    );
    let team = r.json()["group"]["id"].as_str().unwrap().to_owned();
    let r = c.json(
        "PUT",
        &format!("/api/v1/orgs/{}/projects/{project}/groups/{team}", o.key),
        Some(&o.admin),
        &json!({"role": "viewer"}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        only("project.group_set")[0]["targets"][1],
        json!({"type": "group", "id": team, "name": "Project people"})
    );
    // The right to create projects, given twice (once recorded) and taken.
    let creator = format!("/api/v1/orgs/{}/project-creators/{member}", o.key);
    for _ in 0..2 {
        let r = c.send("PUT", &creator, &[("authorization", &auth)], None);
        assert_eq!(r.status, 204, "{}", r.body);
    }
    assert_eq!(delete(&c, &creator, &auth), 204);
    let creators = only("project.creator_set");
    assert_eq!(actions(&creators).len(), 2, "{creators:#?}");
    assert_eq!(
        creators[0]["details"],
        json!({"may_create_projects": "false"})
    );
    assert_eq!(
        creators[1]["details"],
        json!({"may_create_projects": "true"})
    );
    assert_eq!(creators[1]["targets"][0]["name"], member_email.as_str());
    let set = only("project.member_set");
    assert_eq!(set.len(), 2, "given once, taken once: {set:#?}");
    assert_eq!(set[0]["details"], json!({"role": "none"}));
    assert_eq!(set[1]["details"], json!({"role": "editor"}));
    assert_eq!(
        set[1]["targets"],
        json!([
            {"type": "project", "id": project, "name": "Audited"},
            {"type": "account", "id": member, "name": member_email}
        ])
    );

    let saml = format!("/api/v1/orgs/{}/saml", o.key);
    assert_eq!(delete(&c, &saml, &auth), 204);
    assert_eq!(delete(&c, &saml, &auth), 404);
    assert_eq!(only("saml.deleted").len(), 1);
}

fn invitations_logins_and_two_step_are_recorded(w: &World) {
    // Its own Worker: logins count against per-address limits shared by a Worker.
    let c = w.other_client("audit-people", &[]);
    let (key, admin) = org_with_admin(&c, "auditpeople");
    let only = |action: &str| events(&c, &admin.token, &key, &format!("action={action}")).0;

    // An invitation sent and revoked; another sent and accepted.
    let gone = crate::unique_email("auditgone");
    let r = invite(&c, &admin.token, &key, &[&gone], "member");
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["invitations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = format!("/api/v1/orgs/{key}/invitations/{id}");
    let auth = format!("Bearer {}", admin.token);
    assert_eq!(delete(&c, &revoke, &auth), 204);
    assert_ne!(
        delete(&c, &revoke, &auth),
        204,
        "a second revoke is refused"
    );
    assert_eq!(
        only("invitation.revoked")[0]["targets"],
        json!([{"type": "invitation", "id": id, "name": gone}])
    );
    assert_eq!(only("invitation.revoked").len(), 1);
    // Inviting someone again replaces (revokes) their pending invitation.
    let twice = crate::unique_email("audittwice");
    let r = invite(&c, &admin.token, &key, &[&twice], "member");
    let first = r.json()["invitations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        invite(&c, &admin.token, &key, &[&twice], "guest").status,
        201
    );
    let revoked = only("invitation.revoked");
    assert_eq!(revoked.len(), 2, "{revoked:#?}");
    assert_eq!(
        revoked[0]["targets"],
        json!([{"type": "invitation", "id": first, "name": twice}])
    );
    assert_eq!(revoked[0]["actor"]["id"], admin.id.as_str());
    let cy = joined(&c, &admin.token, &key, "member", "auditcy");
    let accepted = only("invitation.accepted");
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["actor"]["id"], cy.id.as_str());
    assert_eq!(accepted[0]["actor"]["email"], cy.email.as_str());
    assert_eq!(only("invitation.sent").len(), 4);
    // A link used twice joins once.
    let again = invitation_token(&c, &cy.email);
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{again}/accept"),
        Some(&cy.token),
        &json!({}),
    );
    assert_ne!(r.status, 200, "{}", r.body);
    assert_eq!(only("invitation.accepted").len(), 1);

    // The organization renamed; the same name again changes nothing.
    for _ in 0..2 {
        let r = c.json(
            "PATCH",
            &format!("/api/v1/orgs/{key}"),
            Some(&admin.token),
            &json!({"name": "Audited People"}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let updated = only("organization.updated");
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(
        updated[0]["targets"],
        json!([{"type": "organization", "id": key, "name": "Audited People"}])
    );

    // Cy's logins: a wrong password (someone, not Cy, acted), then the right one.
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": cy.email, "password": "not the password at all"}),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": crate::unique_email("nobody"), "password": "not the password at all"}),
    );
    assert_eq!(
        r.status, 401,
        "an unknown address: the same answer, no event"
    );
    let failed = only("account.login_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["outcome"], "failure");
    assert_eq!(failed[0]["actor"]["type"], "account");
    assert_eq!(failed[0]["actor"]["id"], Value::Null);
    assert_eq!(
        failed[0]["targets"],
        json!([{"type": "account", "id": cy.id, "name": cy.email}])
    );
    assert_eq!(failed[0]["details"], json!({"reason": "wrong_password"}));
    let token = log_in(&c, &cy.email);
    let ok = only("account.login_succeeded");
    assert_eq!(ok.len(), 1, "{ok:?}");
    assert_eq!(ok[0]["actor"]["id"], cy.id.as_str());
    assert_eq!(ok[0]["details"], json!({"method": "password"}));

    // Two-step verification on, a wrong code and a right one at the next login.
    let (secret, _) = enrol(&c, &token);
    assert_eq!(only("account.two_step_enabled").len(), 1);
    let step = challenge(&c, &cy.email);
    assert_eq!(second_step(&c, &step, &wrong_code(&secret)).status, 401);
    // The next step's code: enrolment spent this one's.
    let r = second_step(&c, &step, &oathtool(&secret, 1));
    assert_eq!(r.status, 201, "{}", r.body);
    let failed = only("account.login_failed");
    assert_eq!(failed[0]["details"], json!({"reason": "wrong_code"}));
    assert_eq!(failed[0]["targets"][0]["id"], cy.id.as_str());
    let session = r.json()["token"].as_str().unwrap().to_owned();
    let ok = only("account.login_succeeded");
    assert_eq!(ok.len(), 2);
    assert_eq!(
        ok[0]["details"],
        json!({"method": "password", "second_step": "totp"})
    );

    // A password change, with the current one (a wrong one changes nothing).
    let change = |current: &str| {
        c.json(
            "PUT",
            "/api/v1/me/password",
            Some(&session),
            &json!({"current_password": current, "new_password": "a new horse battery staple"}),
        )
        .status
    };
    assert_ne!(change("not the password"), 204);
    assert_eq!(change(crate::PASSWORD), 204);
    let changed = only("account.password_changed");
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["actor"]["id"], cy.id.as_str());

    // A reset link and an email change: the link's owner acted.
    let fay = joined(&c, &admin.token, &key, "member", "auditfay");
    let r = c.json(
        "POST",
        "/api/v1/accounts/password-reset",
        None,
        &json!({ "email": fay.email }),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let r = c.json(
        "POST",
        "/api/v1/accounts/password-reset/confirm",
        None,
        &json!({"token": crate::mailed_token(&c, &fay.email), "password": "fay's new horse battery"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let reset = only("account.password_reset");
    assert_eq!(reset.len(), 1, "{reset:?}");
    assert_eq!(reset[0]["actor"]["id"], fay.id.as_str());
    assert_eq!(reset[0]["targets"][0]["id"], fay.id.as_str());
    let fay_token = log_in_with(&c, &fay.email, "fay's new horse battery");
    let moved = crate::unique_email("auditfaymoved");
    let r = c.json(
        "POST",
        "/api/v1/me/email",
        Some(&fay_token),
        &json!({"email": moved, "current_password": "fay's new horse battery"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let r = c.json(
        "POST",
        "/api/v1/accounts/confirm-email",
        None,
        &json!({ "token": crate::mailed_token(&c, &moved) }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let changed = only("account.email_changed");
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["actor"]["email"], moved.as_str());
    assert_eq!(
        changed[0]["targets"],
        json!([{"type": "account", "id": fay.id, "name": moved}])
    );

    // Someone who deletes their account leaves: the event still names them.
    let dee = joined(&c, &admin.token, &key, "member", "auditdee");
    let r = c.json(
        "DELETE",
        "/api/v1/me",
        Some(&dee.token),
        &json!({"current_password": crate::PASSWORD}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let left = only("member.left");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["actor"]["email"], dee.email.as_str());
    assert_eq!(left[0]["details"], json!({"reason": "account_deleted"}));
    assert_eq!(left[0]["targets"][0]["id"], dee.id.as_str());

    // None of it is in another organization's log.
    let (other_key, other) = org_with_admin(&c, "auditpeopleother");
    let theirs: Vec<Value> = events(&c, &other.token, &other_key, "").0;
    assert_eq!(actions(&theirs), ["organization.created"], "{theirs:?}");
}

fn the_add_on_and_sso_logins_are_recorded_and_failures_are_their_view(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    let o = sso_org(w, &c, &p.idp, false);
    let only = |action: &str| events(&c, &o.admin, &o.key, &format!("action={action}")).0;
    assert_eq!(only("organization.created").len(), 1);
    assert_eq!(only("pass.applied").len(), 1);
    assert_eq!(only("pass.approved")[0]["actor"]["type"], "operator");
    let verified = only("domain.verified");
    assert_eq!(verified.len(), 1, "{verified:?}");
    assert_eq!(verified[0]["actor"]["type"], "account");
    assert_eq!(verified[0]["targets"][0]["name"], o.domain.as_str());

    // A managed account signs in through the IdP.
    let (account, email) = managed(&c, &o, "auditsso", "member");
    let (_, r) = sp_login(&c, &p.idp, &o.org_id, &email, "assertion", "/");
    assert_eq!(r.status, 303, "{}", r.body);
    let ok = only("sso.login_succeeded");
    assert_eq!(ok.len(), 1, "{ok:?}");
    assert_eq!(ok[0]["actor"]["type"], "idp");
    assert!(
        ok[0]["actor"]["id"]
            .as_str()
            .unwrap()
            .starts_with(&p.idp.base),
        "{ok:?}"
    );
    assert_eq!(
        ok[0]["targets"],
        json!([{"type": "account", "id": account, "name": email}])
    );

    // A refused response: its event carries the reference code the person was shown,
    // and the failure list is that event.
    let r = Client::new(&c.base).send(
        "POST",
        &format!("/saml/{}/acs", o.key),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some("SAMLResponse=AAAA"),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let reference = reference_in(&r.body);
    let failed = only("sso.login_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["outcome"], "failure");
    assert_eq!(failed[0]["actor"]["type"], "idp");
    assert_eq!(failed[0]["details"]["reference"], reference.as_str());
    assert_eq!(failed[0]["details"]["kind"], "anonymous");
    let listed = failures(&c, &o);
    assert_eq!(listed[0]["reference"], reference.as_str());
    assert_eq!(listed[0]["variant"], failed[0]["details"]["reason"]);
    // A verified response for no account: its NameID is kept.
    let nobody = format!("nobody@{}", o.domain);
    let (_, r) = sp_login(&c, &p.idp, &o.org_id, &nobody, "assertion", "/");
    assert_eq!(r.status, 403, "{}", r.body);
    let failed = only("sso.login_failed");
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["details"]["kind"], "verified", "{failed:?}");
    assert_eq!(failed[0]["details"]["reason"], "account_not_found");
    assert_eq!(failed[0]["details"]["name_id"], nobody.as_str());
    assert_eq!(only("sso.login_succeeded").len(), 1);
}

fn the_csv_export_is_every_matching_event_in_chunks(w: &World) {
    // Its own Worker: the test seeds D1 directly.
    let c = w.other_client("audit-csv", &[]);
    let (key, admin) = org_with_admin(&c, "auditcsv");
    let bea = joined(&c, &admin.token, &key, "member", "auditcsvbea");
    // 2,345 events beside the real ones (three chunks of 1,000), with names that need
    // quoting and one a spreadsheet would run.
    w.other_sql(
        "audit-csv",
        &format!(
            "INSERT INTO audit_events (id, space_key, occurred_at, action, actor_type, actor_id, \
               actor_name, targets, outcome) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2345) \
             SELECT 'evt_seed' || i, '{key}', 1764000000000 + i, 'group.created', 'account', 'acct_seed', \
               CASE WHEN i = 7 THEN '=HYPERLINK(\"http://evil.example\")' ELSE 'Seed \"' || i || '\", ok' END, \
               '[]', 'success' FROM n"
        ),
    );
    let csv_of = |token: &str, query: &str| {
        c.get(
            &format!("/api/v1/orgs/{key}/audit-events.csv?{query}"),
            Some(token),
        )
    };
    let r = csv_of(&admin.token, "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(r
        .header("content-disposition")
        .is_some_and(|d| d.starts_with("attachment")));
    assert!(r.body.ends_with("\r\n"), "CRLF line ends");
    let mut reader = csv::ReaderBuilder::new().from_reader(r.body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "id",
            "occurred_at",
            "action",
            "actor_type",
            "actor_id",
            "actor_email",
            "actor_name",
            "targets",
            "ip",
            "user_agent",
            "outcome",
            "details"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // Every event once, newest first by the log's order (the seeds came last), and the
    // real ones as the API shows them: the organization, the invitation, the join.
    assert_eq!(rows.len(), 2345 + 3, "every event once");
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), rows.len(), "no event twice across chunks");
    assert_eq!(&rows[0][0], "evt_seed2345");
    let tail: Vec<&str> = rows[2345..].iter().map(|r| &r[2]).collect();
    assert_eq!(
        tail,
        [
            "invitation.accepted",
            "invitation.sent",
            "organization.created"
        ]
    );
    let (joined_event, _) = events(&c, &admin.token, &key, "action=invitation.accepted");
    let (api, row) = (&joined_event[0], &rows[2345]);
    assert_eq!(&row[0], api["id"].as_str().unwrap());
    assert_eq!(&row[1], api["occurred_at"].as_str().unwrap());
    assert_eq!(&row[3], "account");
    assert_eq!(&row[4], bea.id.as_str());
    assert_eq!(&row[5], bea.email.as_str());
    assert_eq!(&row[8], c.ip.as_str());
    let targets: Value = serde_json::from_str(&row[7]).unwrap();
    assert_eq!(targets, api["targets"]);
    let seed = |i: usize| {
        rows.iter()
            .find(|r| &r[0] == format!("evt_seed{i}").as_str())
            .unwrap()
    };
    assert_eq!(&seed(5)[6], "Seed \"5\", ok", "quotes and commas survive");
    assert_eq!(
        &seed(7)[6],
        "'=HYPERLINK(\"http://evil.example\")",
        "a formula is not run by a spreadsheet"
    );
    assert_eq!(&seed(7)[11], "{}");

    // The same filters as the API.
    let r = csv_of(&admin.token, "action=organization.created");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(r.body.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][2], "organization.created");
    let r = csv_of(&admin.token, "since=2999-01-01T00:00:00Z");
    assert_eq!(r.body.lines().count(), 1, "the header alone: {}", r.body);
    let r = csv_of(&admin.token, "until=nope");
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.code(), "invalid_time");

    // Administrators of this organization only.
    assert_eq!(csv_of(&bea.token, "").status, 403);
    let (_, other) = org_with_admin(&c, "auditcsvother");
    assert_eq!(csv_of(&other.token, "").status, 404);
    assert_eq!(
        c.get(&format!("/api/v1/orgs/{key}/audit-events.csv"), None)
            .status,
        401
    );

    // The tab links the download with its filters.
    let r = c.send(
        "GET",
        &format!("/orgs/{key}/settings/audit-log?action=group.created"),
        &[("cookie", &format!("orgpass_session={}", admin.token))],
        None,
    );
    assert!(
        r.body.contains(&format!(
            "href=\"/api/v1/orgs/{key}/audit-events.csv?action=group.created\""
        )),
        "{}",
        r.body
    );
    // The browser follows it with its session cookie.
    let r = c.send(
        "GET",
        &format!("/api/v1/orgs/{key}/audit-events.csv?action=organization.created"),
        &[("cookie", &format!("orgpass_session={}", admin.token))],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body.lines().count(), 2, "{}", r.body);
}

/// Runs the every-minute Cron Trigger (log streams only) as of `at_ms`.
fn stream_cron(c: &Client, at_ms: i64) {
    let r = c.get(
        &format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={at_ms}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Checks a delivery's `Orgpass-Signature` with `secret` the way a receiver would:
/// HMAC-SHA256 over `t.body`, Stripe's scheme, computed here with the `hmac` crate.
fn signed_by(delivery: &crate::capture::Captured, secret: &str) -> bool {
    use hmac::Mac;
    let header = delivery.header("orgpass-signature").expect("a signature");
    let (t, v1) = header
        .split_once(",v1=")
        .and_then(|(t, v1)| Some((t.strip_prefix("t=")?, v1)))
        .expect("t=…,v1=…");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", delivery.body).as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap()).is_ok()
}

fn the_log_streams_to_a_signed_endpoint_in_order_at_least_once(w: &World) {
    // Its own Worker: the test runs its Cron.
    let c = w.other_client("audit-stream", &[]);
    let (key, admin) = org_with_admin(&c, "auditstream");
    let bea = joined(&c, &admin.token, &key, "member", "auditstreambea");
    let path = format!("/api/v1/orgs/{key}/audit-stream");
    let r = c.get(&path, Some(&admin.token));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["stream"], Value::Null);
    let endpoint = crate::capture::Capture::start(500, "{}");
    let url = format!("{}/orgpass-events", endpoint.base);
    // Refusals: a plain-HTTP address elsewhere, a member.
    let r = c.json(
        "PUT",
        &path,
        Some(&admin.token),
        &json!({"url": "http://siem.example.com/x"}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.code(), "invalid_url");
    let r = c.json("PUT", &path, Some(&bea.token), &json!({ "url": url }));
    assert_eq!(r.status, 403, "{}", r.body);

    let r = c.json("PUT", &path, Some(&admin.token), &json!({ "url": url }));
    assert_eq!(r.status, 200, "{}", r.body);
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(
        r.json()["stream"]["pending_events"],
        1,
        "its own registration, not the past"
    );
    assert!(
        !c.get(&path, Some(&admin.token)).body.contains(&secret),
        "shown once"
    );
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/groups"),
        Some(&admin.token),
        &json!({"name": "Streamed"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    // The endpoint fails: the attempt is written down and retried later, not sooner.
    let now = now_ms();
    stream_cron(&c, now);
    assert_eq!(endpoint.all().len(), 1);
    let state = c.get(&path, Some(&admin.token)).json()["stream"].clone();
    assert_eq!(state["failed_attempts"], 1, "{state}");
    assert_eq!(state["last_error"], "answered 500");
    assert_eq!(state["pending_events"], 2);
    stream_cron(&c, now + 10_000);
    assert_eq!(endpoint.all().len(), 1, "backing off");
    // The Audit log tab says so, in its one round trip.
    let tab = c.send(
        "GET",
        &format!("/orgs/{key}/settings/audit-log"),
        &[("cookie", &format!("orgpass_session={}", admin.token))],
        None,
    );
    assert_eq!(tab.round_trips(), 1);
    let state = tab
        .body
        .split("id=\"audit-stream-state\"")
        .nth(1)
        .expect("the stream's state on the tab");
    assert!(
        state.contains("failing") && state.contains("answered 500"),
        "{state}"
    );

    // It answers: the same events again (at least once), in order, signed.
    endpoint.answer(204, "");
    stream_cron(&c, now + 120_000);
    let posts = endpoint.all();
    assert_eq!(posts.len(), 2);
    let delivery = &posts[1];
    assert_eq!(delivery.method, "POST");
    assert_eq!(delivery.path, "/orgpass-events");
    assert_eq!(delivery.content_type, "application/json");
    assert!(
        signed_by(delivery, &secret),
        "{:?}",
        delivery.header("orgpass-signature")
    );
    assert!(!signed_by(delivery, "whsec_someone_else"));
    assert_eq!(delivery.body, posts[0].body, "the failed batch, again");
    let sent = delivery.json()["events"].as_array().unwrap().clone();
    assert_eq!(
        actions(&sent),
        ["audit_stream.updated", "group.created"],
        "oldest first"
    );
    let (logged, _) = events(&c, &admin.token, &key, "action=group.created");
    assert_eq!(sent[1], logged[0], "the API's shape");
    let state = c.get(&path, Some(&admin.token)).json()["stream"].clone();
    assert_eq!(state["pending_events"], 0, "{state}");
    assert_eq!(state["failed_attempts"], 0);
    assert_eq!(state["last_error"], Value::Null);
    assert!(state["last_delivered_at"].is_string());

    // Only what is new goes next; nothing is sent twice once acknowledged.
    let group = logged[0]["targets"][0]["id"].as_str().unwrap().to_owned();
    let auth = format!("Bearer {}", admin.token);
    let r = c.send(
        "DELETE",
        &format!("/api/v1/orgs/{key}/groups/{group}"),
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    stream_cron(&c, now + 180_000);
    stream_cron(&c, now + 240_000);
    let posts = endpoint.all();
    assert_eq!(posts.len(), 3, "one more delivery, then nothing waiting");
    assert_eq!(
        actions(posts[2].json()["events"].as_array().unwrap()),
        ["group.deleted"]
    );

    // The page shows the state; stopping stops the deliveries.
    let cookie = format!("orgpass_session={}", admin.token);
    let page = c.send(
        "GET",
        &format!("/orgs/{key}/settings/audit-log/stream"),
        &[("cookie", &cookie)],
        None,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&url), "{}", page.body);
    assert!(!page.body.contains(&secret));
    assert_eq!(delete(&c, &path, &auth), 204);
    assert_eq!(delete(&c, &path, &auth), 404);
    assert_eq!(
        c.get(&path, Some(&admin.token)).json()["stream"],
        Value::Null
    );
    stream_cron(&c, now + 300_000);
    assert_eq!(endpoint.all().len(), 3);
    let (deleted, _) = events(&c, &admin.token, &key, "action=audit_stream.deleted");
    assert_eq!(deleted.len(), 1);
}
