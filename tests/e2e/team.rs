//! Members, invitations, groups, projects, diagrams and `authorize` over HTTP against
//! the real Worker and its local D1 (docs/product.md §3–§6).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    client::{Client, Resp},
    create_org, last_mail,
    pass::{cron, log_in},
    unique_email, verified_session, World, PASSWORD,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    ("team::invite_several_and_join_three_ways", invite_several),
    ("team::bad_invitations_change_nothing", bad_invitations),
    ("team::ten_concurrent_accepts_join_once", concurrent_accepts),
    ("team::invitations_expire", invitations_expire),
    (
        "team::roles_privileges_and_the_last_admin",
        roles_and_last_admin,
    ),
    ("team::removal_ends_access_at_once", removal_ends_access),
    ("team::guests_see_only_their_groups", guest_visibility),
    ("team::groups_and_bulk_roles", groups),
    ("team::projects_roles_and_diagrams", projects),
    ("team::authorize_answers_with_a_reason", authorize),
    ("team::member_list_pages", member_pages),
    (
        "team::foreign_ids_are_not_found_on_every_route",
        foreign_ids,
    ),
];

/// The Worker these tests share: its own D1, so that the Cron runs other tests make
/// in the future (which expire every pending invitation) do not reach it.
pub fn team_client(w: &World) -> Client {
    w.other_client("team", &[])
}

pub struct Person {
    pub token: String,
    pub id: String,
    pub email: String,
}

/// An organization with a fresh administrator.
pub fn org_with_admin(c: &Client, tag: &str) -> (String, Person) {
    let email = unique_email(tag);
    let token = verified_session(c, &email);
    let org = create_org(c, &token, "Team Co", None);
    let me = c.get("/api/v1/me", Some(&token)).json();
    let person = Person {
        token,
        id: me["account"]["id"].as_str().unwrap().to_owned(),
        email,
    };
    (org["space_key"].as_str().unwrap().to_owned(), person)
}

/// The token in the newest invitation link mailed to `to`.
pub fn invitation_token(c: &Client, to: &str) -> String {
    let mail = last_mail(c, to);
    let link = mail["links"][0].as_str().unwrap().to_owned();
    link.rsplit("/invitations/").next().unwrap().to_owned()
}

pub fn invite(c: &Client, admin: &str, key: &str, emails: &[&str], role: &str) -> Resp {
    c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(admin),
        &json!({"emails": emails, "role": role}),
    )
}

/// Someone new invited with `role` who signs up from the link.
pub fn joined(c: &Client, admin: &str, key: &str, role: &str, tag: &str) -> Person {
    let email = unique_email(tag);
    let r = invite(c, admin, key, &[&email], role);
    assert_eq!(r.status, 201, "{}", r.body);
    let token = invitation_token(c, &email);
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{token}/signup"),
        None,
        &json!({"name": tag, "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let body = r.json();
    Person {
        token: body["token"].as_str().unwrap().to_owned(),
        id: body["account"]["id"].as_str().unwrap().to_owned(),
        email,
    }
}

/// A member as `GET /api/v1/orgs/{org}/members` lists them (docs/api.md; the fields
/// these tests read).
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    pub account_id: String,
    pub email: String,
    pub role: String,
}

/// A group as `GET /api/v1/orgs/{org}/groups` lists them.
#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub member_ids: Vec<String>,
}

/// An invitation as `GET /api/v1/orgs/{org}/invitations` lists them (the fields these
/// tests read).
#[derive(Debug, Clone, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub role: String,
    pub status: String,
}

/// Reads `field` of a JSON answer as a list of `T` (the answer must be 200).
fn list_of<T: serde::de::DeserializeOwned>(r: &Resp, field: &str) -> Vec<T> {
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_value(r.json()[field].clone())
        .unwrap_or_else(|e| panic!("{field} of {}: {e}", r.body))
}

/// Every member `token` may see in `key` (one page of up to 200).
pub fn members_of(c: &Client, token: &str, key: &str) -> Vec<Member> {
    list_of(
        &c.get(
            &format!("/api/v1/orgs/{key}/members?limit=200"),
            Some(token),
        ),
        "members",
    )
}

/// The groups `token` may see in `key`.
pub fn groups_of(c: &Client, token: &str, key: &str) -> Vec<Group> {
    list_of(
        &c.get(&format!("/api/v1/orgs/{key}/groups"), Some(token)),
        "groups",
    )
}

/// The invitations of `key` in `status` (all when empty), as an administrator sees them.
pub fn invitations_of(c: &Client, token: &str, key: &str, status: &str) -> Vec<Invitation> {
    list_of(
        &c.get(
            &format!("/api/v1/orgs/{key}/invitations?status={status}"),
            Some(token),
        ),
        "invitations",
    )
}

/// One string of each item, sorted.
fn sorted_by<T>(list: &[T], field: impl Fn(&T) -> &str) -> Vec<String> {
    let mut out: Vec<String> = list.iter().map(|x| field(x).to_owned()).collect();
    out.sort();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn invite_several(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "inviter");
    let (new, existing, third) = (
        unique_email("newbie"),
        unique_email("existing"),
        unique_email("third"),
    );
    let existing_token = verified_session(&c, &existing);
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&admin.token),
        &json!({
            "emails": [new, format!("{}, {}", existing.to_uppercase(), third), admin.email, new],
            "role": "member",
            "message": "Welcome aboard!"
        }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let body = r.json();
    let sent: Vec<Invitation> = serde_json::from_value(body["invitations"].clone()).unwrap();
    assert_eq!(
        sorted_by(&sent, |i| &i.email),
        sorted(vec![new.clone(), existing.clone(), third.clone()]),
        "duplicates count once"
    );
    assert!(sent
        .iter()
        .all(|i| i.status == "pending" && i.role == "member"));
    assert_eq!(
        body["refused"],
        json!([{"email": admin.email, "code": "already_member"}])
    );

    // The email: inviter, organization, role, message, link; text and HTML.
    let mail = last_mail(&c, &new);
    let text = mail["text"].as_str().unwrap();
    for part in [
        "Test Person",
        "Team Co",
        "member",
        "Welcome aboard!",
        "/invitations/",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    let tokens: Vec<String> = [&new, &existing, &third]
        .iter()
        .map(|e| invitation_token(&c, e))
        .collect();
    assert!(tokens.iter().all(|t| t.len() == 43), "256-bit tokens");

    // The link's page data without a session.
    let r = c.get(&format!("/api/v1/invitations/{}", tokens[0]), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["organization"]["name"], "Team Co");
    assert_eq!(r.json()["email"], new.as_str());
    assert_eq!(r.json()["status"], "pending");

    // 1. Sign up from the link: email fixed to the invited one, verified, joined.
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{}/signup", tokens[0]),
        None,
        &json!({"name": "New Person", "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let signup = r.json();
    assert_eq!(signup["account"]["email"], new.as_str());
    assert_eq!(signup["account"]["email_verified"], true);
    assert!(r
        .header("set-cookie")
        .unwrap()
        .starts_with("orgpass_session="));
    let me = c
        .get("/api/v1/me", Some(signup["token"].as_str().unwrap()))
        .json();
    assert_eq!(me["organizations"][0]["space_key"], key.as_str());
    assert_eq!(me["organizations"][0]["role"], "member");
    log_in(&c, &new); // a normal account with the password chosen

    // 2. A signed-in account with another email is told so and not joined.
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{}/accept", tokens[1]),
        Some(&admin.token),
        &json!({}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "invitation_email_mismatch")
    );
    // Signing up for an email that has an account is refused: log in and accept.
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{}/signup", tokens[1]),
        None,
        &json!({"name": "Dup", "password": PASSWORD}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "email_taken"));
    //    The existing account joins at once.
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{}/accept", tokens[1]),
        Some(&existing_token),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["organization"]["space_key"], key.as_str());
    // One batch reads the session and the invitation, one batch joins.
    assert_eq!(r.round_trips(), 2, "accepting an invitation");
    let again = c.json(
        "POST",
        &format!("/api/v1/invitations/{}/accept", tokens[1]),
        Some(&existing_token),
        &json!({}),
    );
    assert_eq!(
        (again.status, again.code().as_str()),
        (410, "invitation_used")
    );

    // 3. Resend gives a new link and kills the old one; revoke kills the new one.
    let pending = invitations_of(&c, &admin.token, &key, "pending");
    assert_eq!(sorted_by(&pending, |i| &i.email), vec![third.clone()]);
    let id = pending[0].id.as_str();
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations/{id}/resend"),
        Some(&admin.token),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = invitation_token(&c, &third);
    assert_ne!(fresh, tokens[2]);
    let old = c.get(&format!("/api/v1/invitations/{}", tokens[2]), None);
    assert_eq!(old.status, 404, "the old link stops working");
    let r = c.send(
        "DELETE",
        &format!("/api/v1/orgs/{key}/invitations/{id}"),
        &[("authorization", &format!("Bearer {}", admin.token))],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let third_token = verified_session(&c, &third);
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{fresh}/accept"),
        Some(&third_token),
        &json!({}),
    );
    assert_eq!((r.status, r.code().as_str()), (410, "invitation_revoked"));
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations/{id}/resend"),
        Some(&admin.token),
        &json!({}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "invitation_not_pending")
    );

    let members = members_of(&c, &admin.token, &key);
    assert_eq!(
        sorted_by(&members, |m| &m.email),
        sorted(vec![admin.email.clone(), new, existing]),
    );
    // Invited again while pending: the earlier link dies, the new one works.
    let again = unique_email("twice");
    invite(&c, &admin.token, &key, &[&again], "guest");
    let first = invitation_token(&c, &again);
    invite(&c, &admin.token, &key, &[&again], "member");
    let second = invitation_token(&c, &again);
    let r = c.get(&format!("/api/v1/invitations/{first}"), None);
    assert_eq!(r.json()["status"], "revoked");
    let r = c.get(&format!("/api/v1/invitations/{second}"), None);
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["role"].as_str()),
        (Some("pending"), Some("member"))
    );
}

fn bad_invitations(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "strict");
    let good = unique_email("good");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&admin.token),
        &json!({"emails": [good, "not-an-email", "also@bad@x"], "role": "member"}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_email"));
    assert_eq!(
        r.json()["error"]["invalid_emails"],
        json!(["not-an-email", "also@bad@x"])
    );
    let mail = c
        .get(&format!("/dev/mail?to={}", crate::urlencode(&good)), None)
        .json();
    assert_eq!(mail["messages"], json!([]), "nothing was sent");

    let many: Vec<String> = (0..101)
        .map(|i| format!("p{i}-{}", unique_email("many")))
        .collect();
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&admin.token),
        &json!({"emails": many, "role": "member"}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "too_many_emails"));
    for (body, code) in [
        (json!({"emails": [], "role": "member"}), "no_emails"),
        (json!({"emails": [good], "role": "owner"}), "invalid_role"),
        (
            json!({"emails": [good], "role": "member", "group_ids": ["grp_nope"]}),
            "unknown_group",
        ),
        (
            json!({"emails": [good], "role": "member", "message": "x".repeat(1001)}),
            "invalid_message",
        ),
    ] {
        let r = c.json(
            "POST",
            &format!("/api/v1/orgs/{key}/invitations"),
            Some(&admin.token),
            &body,
        );
        assert_eq!((r.status, r.code().as_str()), (400, code), "{body}");
    }
    let list = c
        .get(
            &format!("/api/v1/orgs/{key}/invitations"),
            Some(&admin.token),
        )
        .json();
    assert_eq!(list["invitations"], json!([]));
    let r = c.get(
        &format!("/api/v1/orgs/{key}/invitations?status=lost"),
        Some(&admin.token),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_status"));

    // Member without and with "can invite"; guests never.
    let member = joined(&c, &admin.token, &key, "member", "plain");
    let guest = joined(&c, &admin.token, &key, "guest", "guesty");
    let r = invite(&c, &member.token, &key, &[&unique_email("x")], "member");
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = invite(&c, &guest.token, &key, &[&unique_email("x")], "guest");
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = c.json(
        "PATCH",
        &format!("/api/v1/orgs/{key}/members/{}", member.id),
        Some(&admin.token),
        &json!({"can_invite": true}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["member"]["can_invite"], true);
    let r = invite(
        &c,
        &member.token,
        &key,
        &[&unique_email("x")],
        "administrator",
    );
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = invite(&c, &member.token, &key, &[&unique_email("x")], "guest");
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c.get(
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&member.token),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "forbidden"),
        "only administrators list them"
    );
    // Tokens that are not ours.
    let r = c.get("/api/v1/invitations/not-a-token", None);
    assert_eq!(r.status, 404);
    let r = c.get(&format!("/api/v1/invitations/{}", "A".repeat(43)), None);
    assert_eq!(r.status, 404);
}

fn concurrent_accepts(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "race");
    let email = unique_email("racer");
    let session = verified_session(&c, &email);
    assert_eq!(
        invite(&c, &admin.token, &key, &[&email], "member").status,
        201
    );
    let token = invitation_token(&c, &email);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(10));
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let (c, token, session, barrier) =
                (c.clone(), token.clone(), session.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let r = c.json(
                    "POST",
                    &format!("/api/v1/invitations/{token}/accept"),
                    Some(&session),
                    &json!({}),
                );
                (
                    r.status,
                    if r.status == 200 {
                        String::new()
                    } else {
                        r.code()
                    },
                )
            })
        })
        .collect();
    let outcomes: Vec<(u16, String)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let joins = outcomes.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(joins, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|(s, code)| *s == 200 || (*s == 410 && code == "invitation_used")),
        "{outcomes:?}"
    );
    let members = members_of(&c, &admin.token, &key);
    assert_eq!(members.iter().filter(|m| m.email == email).count(), 1);
}

fn invitations_expire(w: &World) {
    // Its own Worker: the Cron run in the future expires every pending invitation.
    let c = w.other_client("team-clock", &[]);
    let (key, admin) = org_with_admin(&c, "expiry");
    let email = unique_email("late");
    let r = invite(&c, &admin.token, &key, &[&email], "member");
    let expires = crate::pass::ms_of(&r.json()["invitations"][0]["expires_at"]);
    let token = invitation_token(&c, &email);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let week = 7 * 24 * 3600 * 1000;
    assert!(
        (expires - (now_ms + week)).abs() < 120_000,
        "7 days: {expires}"
    );
    cron(&c, now_ms + week + 3_600_000);
    assert_eq!(
        sorted_by(&invitations_of(&c, &admin.token, &key, "expired"), |i| &i
            .email),
        vec![email.clone()]
    );
    let r = c.get(&format!("/api/v1/invitations/{token}"), None);
    assert_eq!(r.json()["status"], "expired");
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{token}/signup"),
        None,
        &json!({"name": "Late", "password": PASSWORD}),
    );
    assert_eq!((r.status, r.code().as_str()), (410, "invitation_expired"));
}

fn roles_and_last_admin(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "roles");
    let member = joined(&c, &admin.token, &key, "member", "mem");
    let path = |id: &str| format!("/api/v1/orgs/{key}/members/{id}");
    // The last administrator can be neither demoted nor removed.
    let r = c.json(
        "PATCH",
        &path(&admin.id),
        Some(&admin.token),
        &json!({"role": "member"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "last_admin"));
    let r = c.send(
        "DELETE",
        &path(&admin.id),
        &[("authorization", &format!("Bearer {}", admin.token))],
        None,
    );
    assert_eq!((r.status, r.code().as_str()), (409, "last_admin"));
    // Only administrators change roles.
    let r = c.json(
        "PATCH",
        &path(&admin.id),
        Some(&member.token),
        &json!({"role": "guest"}),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    // Guests cannot hold "can invite"; becoming a guest drops it.
    let r = c.json(
        "PATCH",
        &path(&member.id),
        Some(&admin.token),
        &json!({"can_invite": true}),
    );
    assert_eq!(r.json()["member"]["can_invite"], true);
    let r = c.json(
        "PATCH",
        &path(&member.id),
        Some(&admin.token),
        &json!({"role": "guest"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (
            r.json()["member"]["role"].as_str(),
            r.json()["member"]["can_invite"].as_bool()
        ),
        (Some("guest"), Some(false))
    );
    let r = c.json(
        "PATCH",
        &path(&member.id),
        Some(&admin.token),
        &json!({"can_invite": true}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "guest_not_allowed"));
    let r = c.json(
        "PATCH",
        &path(&member.id),
        Some(&admin.token),
        &json!({"role": "owner"}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_role"));
    let r = c.json(
        "PATCH",
        &path("acct_nobody"),
        Some(&admin.token),
        &json!({"role": "member"}),
    );
    assert_eq!(r.status, 404);
    // With a second administrator, the first may step down.
    let r = c.json(
        "PATCH",
        &path(&member.id),
        Some(&admin.token),
        &json!({"role": "administrator"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.json(
        "PATCH",
        &path(&admin.id),
        Some(&admin.token),
        &json!({"role": "member"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.json(
        "PATCH",
        &path(&member.id),
        Some(&member.token),
        &json!({"role": "member"}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "last_admin"),
        "the new last one is kept too"
    );
}

fn removal_ends_access(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "remover");
    let leaver = joined(&c, &admin.token, &key, "member", "leaver");
    let second_session = log_in(&c, &leaver.email);
    let group = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{key}/groups"),
            Some(&leaver.token),
            &json!({"name": "Leavers"}),
        )
        .json();
    let group_id = group["group"]["id"].as_str().unwrap().to_owned();
    let project = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{key}/projects"),
            Some(&admin.token),
            &json!({"name": "P"}),
        )
        .json()["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c.json(
        "PUT",
        &format!(
            "/api/v1/orgs/{key}/projects/{project}/members/{}",
            leaver.id
        ),
        Some(&admin.token),
        &json!({"role": "editor"}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        c.get(&format!("/api/v1/orgs/{key}"), Some(&second_session))
            .status,
        200
    );

    let r = c.send(
        "DELETE",
        &format!("/api/v1/orgs/{key}/members/{}", leaver.id),
        &[("authorization", &format!("Bearer {}", admin.token))],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    for session in [&leaver.token, &second_session] {
        let r = c.get(&format!("/api/v1/orgs/{key}"), Some(session));
        assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
        let r = c.get(&format!("/api/v1/orgs/{key}/members"), Some(session));
        assert_eq!(r.status, 404);
    }
    assert_eq!(
        c.get("/api/v1/me", Some(&leaver.token)).status,
        200,
        "the account itself lives on"
    );
    let g = groups_of(&c, &admin.token, &key)
        .into_iter()
        .find(|g| g.id == group_id)
        .unwrap();
    assert!(g.member_ids.is_empty(), "removed from its groups");
    let members = c
        .get(
            &format!("/api/v1/orgs/{key}/projects/{project}/members"),
            Some(&admin.token),
        )
        .json();
    assert!(
        !members.to_string().contains(&leaver.id),
        "removed from its projects: {members}"
    );
}

fn guest_visibility(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "vis");
    let guest = joined(&c, &admin.token, &key, "guest", "guest");
    let mate = joined(&c, &admin.token, &key, "member", "mate");
    let stranger = joined(&c, &admin.token, &key, "member", "stranger");
    let team = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{key}/groups"),
            Some(&admin.token),
            &json!({"name": "Design"}),
        )
        .json()["group"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{key}/groups"),
            Some(&admin.token),
            &json!({"name": "Sales"}),
        )
        .json()["group"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (g, who) in [
        (&team, &guest.id),
        (&team, &mate.id),
        (&other, &stranger.id),
    ] {
        let r = c.send(
            "PUT",
            &format!("/api/v1/orgs/{key}/groups/{g}/members/{who}"),
            &[("authorization", &format!("Bearer {}", admin.token))],
            None,
        );
        assert_eq!(r.status, 204, "{}", r.body);
    }
    let seen = members_of(&c, &guest.token, &key);
    assert_eq!(
        sorted_by(&seen, |m| &m.account_id),
        sorted(vec![guest.id.clone(), mate.id.clone()])
    );
    let all = members_of(&c, &mate.token, &key);
    assert_eq!(all.len(), 4, "members see everyone");
    assert_eq!(
        sorted_by(&groups_of(&c, &guest.token, &key), |g| &g.id),
        vec![team.clone()]
    );
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/groups"),
        Some(&guest.token),
        &json!({"name": "Mine"}),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = c.json(
        "PATCH",
        &format!("/api/v1/orgs/{key}/groups/{team}"),
        Some(&guest.token),
        &json!({"name": "Ours"}),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = c.json(
        "PATCH",
        &format!("/api/v1/orgs/{key}/groups/{other}"),
        Some(&guest.token),
        &json!({"name": "Ours"}),
    );
    assert_eq!(r.status, 404, "a group a guest cannot see is not found");
}

fn groups(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "grouper");
    let member = joined(&c, &admin.token, &key, "member", "gm");
    let other = joined(&c, &admin.token, &key, "member", "go");
    let url = format!("/api/v1/orgs/{key}/groups");
    let r = c.json(
        "POST",
        &url,
        Some(&member.token),
        &json!({"name": "  Builders "}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let g = r.json()["group"].clone();
    assert_eq!(g["name"], "Builders");
    assert_eq!(
        g["member_ids"],
        json!([member.id]),
        "a member who creates a group joins it"
    );
    let id = g["id"].as_str().unwrap().to_owned();
    let r = c.json(
        "POST",
        &url,
        Some(&admin.token),
        &json!({"name": "BUILDERS"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "group_name_taken"));
    let r = c.json("POST", &url, Some(&admin.token), &json!({"name": ""}));
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_name"));
    let admins = c
        .json("POST", &url, Some(&admin.token), &json!({"name": "Admins"}))
        .json();
    let admins_id = admins["group"]["id"].as_str().unwrap().to_owned();
    let r = c.json(
        "PATCH",
        &format!("{url}/{admins_id}"),
        Some(&admin.token),
        &json!({"name": "builders"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "group_name_taken"));
    // A member manages their own group, not another.
    let put = |token: &str, g: &str, who: &str| {
        c.send(
            "PUT",
            &format!("{url}/{g}/members/{who}"),
            &[("authorization", &format!("Bearer {token}"))],
            None,
        )
    };
    assert_eq!(put(&member.token, &id, &other.id).status, 204);
    assert_eq!(put(&member.token, &id, &other.id).status, 204, "idempotent");
    assert_eq!(put(&member.token, &admins_id, &other.id).status, 403);
    assert_eq!(put(&member.token, &id, "acct_nobody").status, 404);
    let r = c.json(
        "PATCH",
        &format!("{url}/{id}"),
        Some(&member.token),
        &json!({"name": "Makers"}),
    );
    assert_eq!(r.json()["group"]["name"], "Makers");
    // Bulk role change: administrators only; never leaves no administrator.
    let r = c.json(
        "POST",
        &format!("{url}/{id}/role"),
        Some(&member.token),
        &json!({"role": "guest"}),
    );
    assert_eq!(r.status, 403);
    let r = c.json(
        "POST",
        &format!("{url}/{id}/role"),
        Some(&admin.token),
        &json!({"role": "guest"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["changed"], 2);
    let roles: Vec<(String, String)> = members_of(&c, &admin.token, &key)
        .into_iter()
        .map(|m| (m.account_id, m.role))
        .collect();
    assert!(
        roles.contains(&(member.id.clone(), "guest".into()))
            && roles.contains(&(other.id.clone(), "guest".into()))
    );
    assert_eq!(put(&admin.token, &admins_id, &admin.id).status, 204);
    let r = c.json(
        "POST",
        &format!("{url}/{admins_id}/role"),
        Some(&admin.token),
        &json!({"role": "member"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "last_admin"));
    let r = c.send(
        "DELETE",
        &format!("{url}/{id}"),
        &[("authorization", &format!("Bearer {}", admin.token))],
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        sorted_by(&groups_of(&c, &admin.token, &key), |g| &g.id),
        vec![admins_id.clone()]
    );
    // Invited straight into a group: joining puts them in it.
    let email = unique_email("into-group");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&admin.token),
        &json!({"emails": [email], "role": "member", "group_ids": [admins_id]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["invitations"][0]["group_ids"], json!([admins_id]));
    let token = invitation_token(&c, &email);
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{token}/signup"),
        None,
        &json!({"name": "Grouped", "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let newcomer = r.json()["account"]["id"].as_str().unwrap().to_owned();
    let list = c.get(&url, Some(&admin.token)).json();
    assert_eq!(list["groups"][0]["member_ids"], json!([admin.id, newcomer]));
}

fn projects(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "projects");
    let creator = joined(&c, &admin.token, &key, "member", "creator");
    let viewer = joined(&c, &admin.token, &key, "member", "viewer");
    let guest = joined(&c, &admin.token, &key, "guest", "pguest");
    let bearer = |t: &str| format!("Bearer {t}");
    let base = format!("/api/v1/orgs/{key}");
    // Project creators: administrators choose them; never guests.
    let r = c.json(
        "POST",
        &format!("{base}/projects"),
        Some(&creator.token),
        &json!({"name": "Roadmap"}),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = c.send(
        "PUT",
        &format!("{base}/project-creators/{}", creator.id),
        &[("authorization", &bearer(&admin.token))],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let r = c.send(
        "PUT",
        &format!("{base}/project-creators/{}", guest.id),
        &[("authorization", &bearer(&admin.token))],
        None,
    );
    assert_eq!((r.status, r.code().as_str()), (409, "guest_not_allowed"));
    let r = c.send(
        "PUT",
        &format!("{base}/project-creators/{}", creator.id),
        &[("authorization", &bearer(&creator.token))],
        None,
    );
    assert_eq!(r.status, 403);
    let list = c
        .get(&format!("{base}/project-creators"), Some(&admin.token))
        .json();
    assert_eq!(list["project_creators"], json!([creator.id]));
    let r = c.json(
        "POST",
        &format!("{base}/projects"),
        Some(&creator.token),
        &json!({"name": "Roadmap"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let project = r.json()["project"]["id"].as_str().unwrap().to_owned();
    let pbase = format!("{base}/projects/{project}");

    // A group puts people into the project at once.
    let team = c
        .json(
            "POST",
            &format!("{base}/groups"),
            Some(&admin.token),
            &json!({"name": "Readers"}),
        )
        .json()["group"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for who in [&viewer.id, &guest.id] {
        c.send(
            "PUT",
            &format!("{base}/groups/{team}/members/{who}"),
            &[("authorization", &bearer(&admin.token))],
            None,
        );
    }
    let r = c.json(
        "PUT",
        &format!("{pbase}/groups/{team}"),
        Some(&creator.token),
        &json!({"role": "admin"}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let r = c.json(
        "PUT",
        &format!("{pbase}/members/{}", viewer.id),
        Some(&creator.token),
        &json!({"role": "viewer"}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let members = c
        .get(&format!("{pbase}/members"), Some(&viewer.token))
        .json()["members"]
        .clone();
    let of = |id: &str| {
        members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["account_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(of(&creator.id)["role"], "admin");
    assert_eq!(
        of(&viewer.id)["role"],
        "admin",
        "the highest of direct and group roles"
    );
    assert_eq!(
        of(&viewer.id)["via"],
        json!(["direct", format!("group:{team}")])
    );
    assert_eq!(
        of(&guest.id)["role"],
        "editor",
        "a guest is never a project admin"
    );
    let r = c.json(
        "PUT",
        &format!("{pbase}/members/{}", guest.id),
        Some(&creator.token),
        &json!({"role": "admin"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "guest_not_allowed"));
    let r = c.json(
        "PUT",
        &format!("{pbase}/members/{}", guest.id),
        Some(&creator.token),
        &json!({"role": "owner"}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_project_role"));
    let r = c.json(
        "PUT",
        &format!("{pbase}/groups/{team}"),
        Some(&creator.token),
        &json!({"role": "viewer"}),
    );
    assert_eq!(r.status, 204);

    // Diagrams by effective role: viewers read, editors write.
    let r = c.json(
        "POST",
        &format!("{pbase}/diagrams"),
        Some(&viewer.token),
        &json!({"title": "Flow"}),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = c.json(
        "PUT",
        &format!("{pbase}/members/{}", guest.id),
        Some(&creator.token),
        &json!({"role": "editor"}),
    );
    assert_eq!(r.status, 204);
    let r = c.json(
        "POST",
        &format!("{pbase}/diagrams"),
        Some(&guest.token),
        &json!({"title": " Flow "}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let diagram = r.json()["diagram"]["id"].as_str().unwrap().to_owned();
    let list = c
        .get(&format!("{pbase}/diagrams"), Some(&viewer.token))
        .json();
    assert_eq!(list["diagrams"][0]["title"], "Flow");
    let r = c.json(
        "PATCH",
        &format!("{base}/diagrams/{diagram}"),
        Some(&viewer.token),
        &json!({"title": "Mine"}),
    );
    assert_eq!(r.status, 403);
    let r = c.json(
        "PATCH",
        &format!("{base}/diagrams/{diagram}"),
        Some(&guest.token),
        &json!({"title": "Flow v2"}),
    );
    assert_eq!(r.json()["diagram"]["title"], "Flow v2");
    let r = c.json(
        "PATCH",
        &format!("{base}/diagrams/{diagram}"),
        Some(&guest.token),
        &json!({"title": ""}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_name"));
    // The guest manages nothing; an outsider to the project sees nothing.
    let r = c.json(
        "PUT",
        &format!("{pbase}/members/{}", viewer.id),
        Some(&guest.token),
        &json!({"role": "editor"}),
    );
    assert_eq!(r.status, 403);
    let outsider = joined(&c, &admin.token, &key, "member", "outsider");
    assert_eq!(
        c.get(&format!("{pbase}/diagrams"), Some(&outsider.token))
            .status,
        404
    );
    let visible = c
        .get(&format!("{base}/projects"), Some(&outsider.token))
        .json();
    assert_eq!(visible["projects"], json!([]));
    let visible = c
        .get(&format!("{base}/projects"), Some(&guest.token))
        .json();
    let ids: Vec<&str> = visible["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![project.as_str()]);
    let r = c.send(
        "DELETE",
        &format!("{base}/diagrams/{diagram}"),
        &[("authorization", &bearer(&guest.token))],
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        c.get(&format!("{pbase}/diagrams"), Some(&admin.token))
            .json()["diagrams"],
        json!([])
    );
    // Removing the group's role takes its members out.
    let r = c.send(
        "DELETE",
        &format!("{pbase}/groups/{team}"),
        &[("authorization", &bearer(&creator.token))],
        None,
    );
    assert_eq!(r.status, 204);
    let members = c
        .get(&format!("{pbase}/members"), Some(&admin.token))
        .json();
    let of = |id: &str| {
        members["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["account_id"] == id)
            .cloned()
    };
    assert_eq!(of(&viewer.id).unwrap()["role"], "viewer");
    assert_eq!(of(&viewer.id).unwrap()["via"], json!(["direct"]));
}

fn authorize(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "authz");
    let editor = joined(&c, &admin.token, &key, "member", "ed");
    let stranger = joined(&c, &admin.token, &key, "member", "str");
    let base = format!("/api/v1/orgs/{key}");
    let project = c
        .json(
            "POST",
            &format!("{base}/projects"),
            Some(&admin.token),
            &json!({"name": "A"}),
        )
        .json()["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.json(
        "PUT",
        &format!("{base}/projects/{project}/members/{}", editor.id),
        Some(&admin.token),
        &json!({"role": "editor"}),
    );
    let diagram = c
        .json(
            "POST",
            &format!("{base}/projects/{project}/diagrams"),
            Some(&editor.token),
            &json!({"title": "D"}),
        )
        .json()["diagram"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ask =
        |token: &str, body: Value| c.json("POST", &format!("{base}/authorize"), Some(token), &body);
    let cases = [
        (
            &admin.token,
            &editor.id,
            "diagram.edit",
            json!({"diagram_id": diagram}),
            true,
            "project_editor",
        ),
        (
            &admin.token,
            &editor.id,
            "project.manage",
            json!({"project_id": project}),
            false,
            "requires_project_admin",
        ),
        (
            &admin.token,
            &admin.id,
            "project.manage",
            json!({"project_id": project}),
            true,
            "organization_administrator",
        ),
        (
            &admin.token,
            &stranger.id,
            "project.view",
            json!({"project_id": project}),
            false,
            "not_project_member",
        ),
        (
            &admin.token,
            &"acct_nobody".to_owned(),
            "project.view",
            json!({"project_id": project}),
            false,
            "not_organization_member",
        ),
        (
            &editor.token,
            &editor.id,
            "diagram.delete",
            json!({"diagram_id": diagram}),
            true,
            "project_editor",
        ),
        (
            &stranger.token,
            &stranger.id,
            "diagram.view",
            json!({"diagram_id": diagram}),
            false,
            "not_project_member",
        ),
    ];
    for (token, who, action, mut target, allowed, reason) in cases {
        target["account_id"] = who.as_str().into();
        target["action"] = action.into();
        let r = ask(token, target.clone());
        assert_eq!(r.status, 200, "{target} {}", r.body);
        assert_eq!(
            (r.json()["allowed"].as_bool(), r.json()["reason"].as_str()),
            (Some(allowed), Some(reason)),
            "{target}"
        );
        assert_eq!(r.round_trips(), 1, "one D1 round trip");
    }
    let r = ask(
        &editor.token,
        json!({"account_id": stranger.id, "action": "project.view", "project_id": project}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "forbidden"),
        "others ask only about themselves"
    );
    let r = ask(
        &admin.token,
        json!({"account_id": editor.id, "action": "project.fly", "project_id": project}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_action"));
    let r = ask(
        &admin.token,
        json!({"account_id": editor.id, "action": "project.view"}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "missing_target"));
    let r = ask(
        &admin.token,
        json!({"account_id": editor.id, "action": "project.view", "project_id": "prj_nope"}),
    );
    assert_eq!(r.status, 404);
}

fn member_pages(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "pager");
    for i in 0..4 {
        joined(&c, &admin.token, &key, "member", &format!("page{i}"));
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = c.get(
            &format!("/api/v1/orgs/{key}/members?limit=2&cursor={cursor}"),
            Some(&admin.token),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.round_trips(), 1, "one D1 round trip per page");
        let body = r.json();
        let page = body["members"].as_array().unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|m| m["email"].as_str().unwrap().to_owned()));
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    let mut ordered = seen.clone();
    ordered.sort();
    assert_eq!(seen, ordered, "by email, none twice");
    for bad in ["limit=0", "limit=201", "limit=x", "cursor=%21%21"] {
        let r = c.get(
            &format!("/api/v1/orgs/{key}/members?{bad}"),
            Some(&admin.token),
        );
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
}

/// Every route that takes an id, called through organization A with ids of
/// organization B (by A's administrator), answers 404 and changes nothing.
fn foreign_ids(w: &World) {
    let c = team_client(w);
    let (a, alice) = org_with_admin(&c, "orga");
    let (b, bob) = org_with_admin(&c, "orgb");
    let b_member = joined(&c, &bob.token, &b, "member", "bmember");
    let b_group = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{b}/groups"),
            Some(&bob.token),
            &json!({"name": "B"}),
        )
        .json()["group"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_project = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{b}/projects"),
            Some(&bob.token),
            &json!({"name": "B"}),
        )
        .json()["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_diagram = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{b}/projects/{b_project}/diagrams"),
            Some(&bob.token),
            &json!({"title": "B"}),
        )
        .json()["diagram"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_invitee = unique_email("binv");
    let b_invitation = invite(&c, &bob.token, &b, &[&b_invitee], "member").json()["invitations"][0]
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A has its own objects, so that only the foreign id is wrong.
    let a_group = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{a}/groups"),
            Some(&alice.token),
            &json!({"name": "A"}),
        )
        .json()["group"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a_project = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{a}/projects"),
            Some(&alice.token),
            &json!({"name": "A"}),
        )
        .json()["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let role = json!({"role": "editor"});
    let org_role = json!({"role": "member"});
    let name = json!({"name": "Stolen"});
    let title = json!({"title": "Stolen"});
    let none = json!({});
    let routes: Vec<(&str, String, Value)> = vec![
        (
            "PATCH",
            format!("/api/v1/orgs/{a}/members/{}", b_member.id),
            org_role.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{a}/members/{}", b_member.id),
            none.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{a}/invitations/{b_invitation}/resend"),
            none.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{a}/invitations/{b_invitation}"),
            none.clone(),
        ),
        (
            "PATCH",
            format!("/api/v1/orgs/{a}/groups/{b_group}"),
            name.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{a}/groups/{b_group}"),
            none.clone(),
        ),
        (
            "PUT",
            format!("/api/v1/orgs/{a}/groups/{b_group}/members/{}", alice.id),
            none.clone(),
        ),
        (
            "PUT",
            format!("/api/v1/orgs/{a}/groups/{a_group}/members/{}", b_member.id),
            none.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{a}/groups/{b_group}/members/{}", bob.id),
            none.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{a}/groups/{b_group}/role"),
            org_role.clone(),
        ),
        (
            "PUT",
            format!("/api/v1/orgs/{a}/project-creators/{}", b_member.id),
            none.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{a}/project-creators/{}", b_member.id),
            none.clone(),
        ),
        (
            "GET",
            format!("/api/v1/orgs/{a}/projects/{b_project}/members"),
            none.clone(),
        ),
        (
            "PUT",
            format!("/api/v1/orgs/{a}/projects/{b_project}/members/{}", alice.id),
            role.clone(),
        ),
        (
            "PUT",
            format!(
                "/api/v1/orgs/{a}/projects/{a_project}/members/{}",
                b_member.id
            ),
            role.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{a}/projects/{b_project}/members/{}", bob.id),
            none.clone(),
        ),
        (
            "PUT",
            format!("/api/v1/orgs/{a}/projects/{b_project}/groups/{a_group}"),
            role.clone(),
        ),
        (
            "PUT",
            format!("/api/v1/orgs/{a}/projects/{a_project}/groups/{b_group}"),
            role.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{a}/projects/{a_project}/groups/{b_group}"),
            none.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{a}/projects/{b_project}/diagrams"),
            title.clone(),
        ),
        (
            "GET",
            format!("/api/v1/orgs/{a}/projects/{b_project}/diagrams"),
            none.clone(),
        ),
        (
            "PATCH",
            format!("/api/v1/orgs/{a}/diagrams/{b_diagram}"),
            title.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{a}/diagrams/{b_diagram}"),
            none.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{a}/authorize"),
            json!({"account_id": alice.id, "action": "diagram.view", "diagram_id": b_diagram}),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{a}/authorize"),
            json!({"account_id": alice.id, "action": "project.view", "project_id": b_project}),
        ),
    ];
    for (method, path, body) in &routes {
        let r = c.json(method, path, Some(&alice.token), body);
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
        assert_eq!(r.code(), "not_found", "{method} {path}");
    }
    // And B's own paths with A's administrator: the organization itself is not found.
    for (method, path, body) in &routes {
        let path = path.replacen(&a, &b, 1);
        let r = c.json(method, &path, Some(&alice.token), body);
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
    }
    for path in [
        "members",
        "invitations",
        "groups",
        "projects",
        "project-creators",
    ] {
        let r = c.get(&format!("/api/v1/orgs/{b}/{path}"), Some(&alice.token));
        assert_eq!(r.status, 404, "{path}");
    }
    // Nothing of B changed.
    let members = members_of(&c, &bob.token, &b);
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m.role != "editor"));
    let groups = groups_of(&c, &bob.token, &b);
    assert_eq!(groups[0].name, "B");
    assert!(groups[0].member_ids.is_empty());
    let diagrams = c
        .get(
            &format!("/api/v1/orgs/{b}/projects/{b_project}/diagrams"),
            Some(&bob.token),
        )
        .json();
    assert_eq!(diagrams["diagrams"][0]["title"], "B");
    assert_eq!(invitations_of(&c, &bob.token, &b, "pending").len(), 1);
    let creators = c
        .get(
            &format!("/api/v1/orgs/{b}/project-creators"),
            Some(&bob.token),
        )
        .json();
    assert_eq!(creators["project_creators"], json!([]));
    let pm = c
        .get(
            &format!("/api/v1/orgs/{b}/projects/{b_project}/members"),
            Some(&bob.token),
        )
        .json();
    assert_eq!(pm["members"].as_array().unwrap().len(), 1, "{pm}");
}
