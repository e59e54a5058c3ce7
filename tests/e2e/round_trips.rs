//! Every route at its D1 round-trip floor (issue #12): a read is one round trip, a write
//! two (one read batch, one write batch). Each route is called once as a user would and
//! its count read from the development Worker's `x-orgpass-d1-round-trips` header, so a
//! regression fails here.

use serde_json::json;

use crate::{
    client::{Client, Resp},
    team::{invite, joined, org_with_admin},
    unique_email, World,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[(
    "round_trips::the_team_routes_are_at_their_floor",
    team_routes,
)];

fn send(
    c: &Client,
    method: &str,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> Resp {
    match body {
        Some(b) => c.json(method, path, Some(token), &b),
        None => c.send(
            method,
            path,
            &[("authorization", &format!("Bearer {token}"))],
            None,
        ),
    }
}

fn team_routes(w: &World) {
    let c = w.client();
    let (key, admin) = org_with_admin(&c, "RoundTrips");
    let member = joined(&c, &admin.token, &key, "member", "RoundTripsMember");
    let t = admin.token.as_str();
    let mut seen = Vec::new();
    let mut check = |label: &str, r: Resp, status: u16, floor: u32| {
        assert_eq!(r.status, status, "{label}: {}", r.body);
        seen.push((label.to_owned(), r.round_trips(), floor));
    };
    check(
        "PATCH member",
        send(
            &c,
            "PATCH",
            &format!("/api/v1/orgs/{key}/members/{}", member.id),
            t,
            Some(json!({"can_invite": true})),
        ),
        200,
        2,
    );
    let email = unique_email("RoundTripsInvite");
    check(
        "POST invitations",
        invite(&c, t, &key, &[&email], "member"),
        201,
        2,
    );
    let invitations = c
        .get(&format!("/api/v1/orgs/{key}/invitations"), Some(t))
        .json();
    let id = invitations["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == email.to_lowercase().as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        "resend invitation",
        send(
            &c,
            "POST",
            &format!("/api/v1/orgs/{key}/invitations/{id}/resend"),
            t,
            Some(json!({})),
        ),
        200,
        2,
    );
    check(
        "revoke invitation",
        send(
            &c,
            "DELETE",
            &format!("/api/v1/orgs/{key}/invitations/{id}"),
            t,
            None,
        ),
        204,
        2,
    );
    let r = send(
        &c,
        "POST",
        &format!("/api/v1/orgs/{key}/groups"),
        t,
        Some(json!({"name": "Ops"})),
    );
    let group = r.json()["group"]["id"].as_str().unwrap().to_owned();
    check("create group", r, 201, 2);
    check(
        "rename group",
        send(
            &c,
            "PATCH",
            &format!("/api/v1/orgs/{key}/groups/{group}"),
            t,
            Some(json!({"name": "Ops 2"})),
        ),
        200,
        2,
    );
    check(
        "add to group",
        send(
            &c,
            "PUT",
            &format!("/api/v1/orgs/{key}/groups/{group}/members/{}", member.id),
            t,
            None,
        ),
        204,
        2,
    );
    check(
        "remove from group",
        send(
            &c,
            "DELETE",
            &format!("/api/v1/orgs/{key}/groups/{group}/members/{}", member.id),
            t,
            None,
        ),
        204,
        2,
    );
    check(
        "delete group",
        send(
            &c,
            "DELETE",
            &format!("/api/v1/orgs/{key}/groups/{group}"),
            t,
            None,
        ),
        204,
        2,
    );
    eprintln!("{seen:?}");
    let over: Vec<_> = seen.iter().filter(|(_, n, floor)| n > floor).collect();
    assert!(over.is_empty(), "over the floor: {over:?}");
}
