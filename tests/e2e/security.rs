//! The attacker's review (issue "Security hardening"): each finding's class, one test
//! per place, against the real Worker and its local D1.

use serde_json::{json, Value};

use crate::{
    client::Client,
    team::{invitation_token, invite, joined, org_with_admin, team_client, Person},
    unique_email, World, PASSWORD,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "security::an_inviter_places_invitees_only_where_they_could_directly",
        inviter_places_only_where_allowed,
    ),
    (
        "security::an_invitation_grants_only_what_its_sender_still_holds",
        invitation_holds_senders_right,
    ),
    (
        "security::a_reinvite_replaces_only_what_its_sender_could_revoke",
        reinvite_replaces_only_revocable,
    ),
    (
        "security::parallel_wrong_passwords_are_all_counted",
        parallel_wrong_passwords,
    ),
    (
        "security::a_privilege_change_never_undoes_a_parallel_demotion",
        no_lost_member_updates,
    ),
    (
        "security::a_managed_account_stays_in_its_organization",
        managed_accounts_stay_home,
    ),
    (
        "security::confusable_addresses_never_meet_an_account",
        confusable_addresses,
    ),
    (
        "security::names_are_visible_and_free_of_bidi_controls",
        visible_names,
    ),
    (
        "security::an_unconfirmed_sign_up_never_blocks_the_owner",
        unconfirmed_sign_ups_give_way,
    ),
    (
        "security::a_login_is_bound_to_the_browser_that_started_it",
        login_csrf_at_the_acs,
    ),
    (
        "security::starting_single_sign_on_is_limited_per_address",
        sso_starts_limited,
    ),
    (
        "security::junk_at_the_acs_never_erases_a_failure_that_matters",
        junk_never_evicts,
    ),
    (
        "security::a_click_on_the_link_never_activates_someone_elses_password",
        confirming_needs_the_chosen_password,
    ),
];

/// Runs `n` calls of `f` at once (released together by a barrier); their results.
pub fn parallel<T: Send + 'static>(
    n: usize,
    f: impl Fn(usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let f = std::sync::Arc::new(f);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (f, barrier) = (f.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                f(i)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn statuses(mut list: Vec<u16>) -> Vec<(u16, usize)> {
    list.sort_unstable();
    let mut out: Vec<(u16, usize)> = Vec::new();
    for s in list {
        match out.last_mut() {
            Some((last, n)) if *last == s => *n += 1,
            _ => out.push((s, 1)),
        }
    }
    out
}

fn group(c: &Client, token: &str, key: &str, name: &str) -> String {
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/groups"),
        Some(token),
        &json!({ "name": name }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["group"]["id"].as_str().unwrap().to_owned()
}

fn set(c: &Client, token: &str, method: &str, path: &str, body: &Value) -> u16 {
    c.json(method, path, Some(token), body).status
}

/// A member with **can invite** in a fresh organization.
fn member_plus(c: &Client, admin: &Person, key: &str, tag: &str) -> Person {
    let plus = joined(c, &admin.token, key, "member", tag);
    let path = format!("/api/v1/orgs/{key}/members/{}", plus.id);
    assert_eq!(
        set(
            c,
            &admin.token,
            "PATCH",
            &path,
            &json!({"can_invite": true})
        ),
        200
    );
    plus
}

fn group_ids_of(c: &Client, token: &str, key: &str, account: &str) -> Vec<String> {
    let r = c.get(
        &format!("/api/v1/orgs/{key}/members?limit=200"),
        Some(token),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["account_id"] == account)
        .map(|m| {
            m["group_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn sign_up_from_link(c: &Client, email: &str) -> (u16, Value) {
    let token = invitation_token(c, email);
    let r = c.json(
        "POST",
        &format!("/api/v1/invitations/{token}/signup"),
        None,
        &json!({"name": "Invitee", "password": PASSWORD}),
    );
    let body = r.json();
    (r.status, body)
}

/// Finding 1: a Member Plus invited into a group they do not belong to, whose project
/// role then reached a project the inviter could not see.
fn inviter_places_only_where_allowed(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "placer-admin");
    let plus = member_plus(&c, &admin, &key, "placer-plus");
    // The administrators' group holds `admin` on a project the Member Plus cannot see.
    let theirs = group(&c, &admin.token, &key, "Admins only");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/projects"),
        Some(&admin.token),
        &json!({"name": "Secret"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let project = r.json()["project"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/orgs/{key}/projects/{project}/groups/{theirs}");
    assert_eq!(
        set(&c, &admin.token, "PUT", &path, &json!({"role": "admin"})),
        204
    );

    let victim = unique_email("placed");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&plus.token),
        &json!({"emails": [victim], "role": "member", "group_ids": [theirs]}),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.code(), "forbidden");
    let r = c.get(&format!("/dev/mail?to={victim}"), None);
    assert!(
        r.json()["messages"].as_array().unwrap().is_empty(),
        "nothing mailed"
    );

    // A group the Member Plus belongs to (creating one joins it) is theirs to give.
    let own = group(&c, &plus.token, &key, "Plus's own");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&plus.token),
        &json!({"emails": [victim], "role": "member", "group_ids": [own]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let (status, body) = sign_up_from_link(&c, &victim);
    assert_eq!(status, 201, "{body}");
    let id = body["account"]["id"].as_str().unwrap();
    assert_eq!(group_ids_of(&c, &admin.token, &key, id), vec![own.clone()]);
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/authorize"),
        Some(&admin.token),
        &json!({"account_id": id, "action": "project.manage", "project_id": project}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["allowed"], false, "{}", r.body);

    // Administrators place anyone anywhere.
    let by_admin = unique_email("placed-by-admin");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&admin.token),
        &json!({"emails": [by_admin], "role": "member", "group_ids": [theirs]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    // Direct group changes re-check the actor: a member outside a group is refused.
    let path = format!("/api/v1/orgs/{key}/groups/{theirs}/members/{}", plus.id);
    assert_eq!(set(&c, &plus.token, "PUT", &path, &json!({})), 403);
    assert!(group_ids_of(&c, &admin.token, &key, &plus.id).contains(&own));
}

/// Finding 1's sibling at acceptance: an invitation carries its sender's right as it
/// is when the link is used — a role only while they may still invite with it, a group
/// only while they could still put a member into it.
fn invitation_holds_senders_right(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "lapse-admin");
    let plus = member_plus(&c, &admin, &key, "lapse-plus");
    let own = group(&c, &plus.token, &key, "Lapsing group");

    // Into a group the sender has left meanwhile: the person joins, the group does not.
    let first = unique_email("lapse-group");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&plus.token),
        &json!({"emails": [first], "role": "member", "group_ids": [own]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let path = format!("/api/v1/orgs/{key}/groups/{own}/members/{}", plus.id);
    assert_eq!(set(&c, &admin.token, "DELETE", &path, &json!({})), 204);
    let (status, body) = sign_up_from_link(&c, &first);
    assert_eq!(status, 201, "{body}");
    let id = body["account"]["id"].as_str().unwrap();
    assert!(group_ids_of(&c, &admin.token, &key, id).is_empty());

    // From a sender whose **can invite** was taken away: the link no longer works.
    let second = unique_email("lapse-role");
    let r = invite(&c, &plus.token, &key, &[&second], "member");
    assert_eq!(r.status, 201, "{}", r.body);
    let path = format!("/api/v1/orgs/{key}/members/{}", plus.id);
    assert_eq!(
        set(
            &c,
            &admin.token,
            "PATCH",
            &path,
            &json!({"can_invite": false})
        ),
        200
    );
    let (status, body) = sign_up_from_link(&c, &second);
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"]["code"], "invitation_revoked");
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": second, "password": PASSWORD}),
    );
    assert_eq!(r.status, 401, "no account was made: {}", r.body);

    // An administrator's invitation dies with their administration.
    let (key2, admin2) = org_with_admin(&c, "lapse-admin2");
    let other_admin = joined(
        &c,
        &admin2.token,
        &key2,
        "administrator",
        "lapse-second-admin",
    );
    let third = unique_email("lapse-admin-role");
    let r = invite(&c, &other_admin.token, &key2, &[&third], "administrator");
    assert_eq!(r.status, 201, "{}", r.body);
    let path = format!("/api/v1/orgs/{key2}/members/{}", other_admin.id);
    assert_eq!(
        set(
            &c,
            &admin2.token,
            "PATCH",
            &path,
            &json!({"role": "member"})
        ),
        200
    );
    let (status, body) = sign_up_from_link(&c, &third);
    assert_eq!(status, 410, "{body}");
}

/// Finding 9: a Member Plus re-invited an address and so revoked an administrator's
/// pending `administrator` invitation.
fn reinvite_replaces_only_revocable(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "reinvite-admin");
    let plus = member_plus(&c, &admin, &key, "reinvite-plus");
    let target = unique_email("reinvited");
    let r = invite(&c, &admin.token, &key, &[&target], "administrator");
    assert_eq!(r.status, 201, "{}", r.body);
    let admins_link = invitation_token(&c, &target);

    let r = invite(&c, &plus.token, &key, &[&target], "guest");
    assert_eq!(r.status, 201, "{}", r.body);
    let body = r.json();
    assert!(body["invitations"].as_array().unwrap().is_empty(), "{body}");
    assert_eq!(body["refused"][0]["code"], "already_invited", "{body}");
    assert_eq!(invitation_token(&c, &target), admins_link, "nothing mailed");

    let r = c.get(&format!("/api/v1/invitations/{admins_link}"), None);
    assert_eq!(r.json()["status"], "pending", "{}", r.body);
    assert_eq!(r.json()["role"], "administrator", "{}", r.body);
    let r = c.get(
        &format!("/api/v1/orgs/{key}/invitations?status=pending"),
        Some(&admin.token),
    );
    let list = r.json();
    let pending: Vec<&Value> = list["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["email"] == target.as_str())
        .collect();
    assert_eq!(pending.len(), 1, "{}", r.body);
    assert_eq!(pending[0]["role"], "administrator");

    // The administrator still replaces their own (or anyone's) pending invitation.
    let r = invite(&c, &admin.token, &key, &[&target], "member");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["invitations"].as_array().unwrap().len(), 1);
    let r = c.get(&format!("/api/v1/invitations/{admins_link}"), None);
    assert_eq!(r.json()["status"], "revoked", "{}", r.body);
}

/// Finding 3: 40 concurrent wrong passwords were all evaluated although the limit is
/// 10 per account; the same for the 50-per-address limit.
fn parallel_wrong_passwords(w: &World) {
    let c = w.client();
    let email = unique_email("guessed");
    crate::verified_session(&c, &email);
    let guesser = Client::new(&c.base);
    let (g, e) = (guesser.clone(), email.clone());
    let answers = parallel(40, move |i| {
        g.json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": e, "password": format!("wrong guess {i}")}),
        )
        .status
    });
    assert_eq!(statuses(answers), vec![(401, 10), (429, 30)]);
    // Even the right password waits now, from anywhere.
    let r = Client::new(&c.base).json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());

    // One address, many accounts: 50 evaluated, the rest refused.
    let spray = Client::new(&c.base);
    let answers = parallel(60, move |i| {
        spray
            .json(
                "POST",
                "/api/v1/sessions",
                None,
                &json!({"email": format!("sprayed-{i}-{}", unique_email("x")), "password": "wrong guess"}),
            )
            .status
    });
    assert_eq!(statuses(answers), vec![(401, 50), (429, 10)]);

    // A success gives its place back: nine failures and a success leave the next nine
    // failures allowed.
    let other = unique_email("released");
    crate::verified_session(&c, &other);
    let me = Client::new(&c.base);
    let attempt = |password: &str| {
        me.json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": other, "password": password}),
        )
        .status
    };
    for _ in 0..9 {
        assert_eq!(attempt("wrong guess"), 401);
    }
    assert_eq!(attempt(PASSWORD), 201);
    for _ in 0..9 {
        assert_eq!(attempt("wrong guess"), 401);
    }
}

fn role_of(c: &Client, token: &str, key: &str, account: &str) -> (String, bool) {
    let r = c.get(
        &format!("/api/v1/orgs/{key}/members?limit=200"),
        Some(token),
    );
    let list = r.json();
    let m = list["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["account_id"] == account)
        .cloned()
        .unwrap();
    (
        m["role"].as_str().unwrap().to_owned(),
        m["can_invite"].as_bool().unwrap(),
    )
}

/// Finding 4: `PATCH …/members/{id}` with only `can_invite` wrote back the role it had
/// read, undoing a concurrent demotion that had answered 200.
fn no_lost_member_updates(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "lost-update-admin");
    for round in 0..4 {
        let target = joined(
            &c,
            &admin.token,
            &key,
            "administrator",
            &format!("lost-{round}"),
        );
        let path = format!("/api/v1/orgs/{key}/members/{}", target.id);
        let (cl, p, t) = (c.clone(), path.clone(), admin.token.clone());
        let answers = parallel(12, move |i| {
            let body = if i == 0 {
                json!({"role": "member"})
            } else {
                json!({"can_invite": i.is_multiple_of(2)})
            };
            cl.json("PATCH", &p, Some(&t), &body).status
        });
        assert!(answers.iter().all(|s| *s == 200), "{answers:?}");
        let (role, _) = role_of(&c, &admin.token, &key, &target.id);
        assert_eq!(role, "member", "round {round}: the demotion was undone");
    }

    // Only what is asked changes: a role change keeps the privilege, and a guest never
    // holds it (`guest_not_allowed`).
    let plus = joined(&c, &admin.token, &key, "member", "lost-plus");
    let path = format!("/api/v1/orgs/{key}/members/{}", plus.id);
    assert_eq!(
        set(
            &c,
            &admin.token,
            "PATCH",
            &path,
            &json!({"can_invite": true})
        ),
        200
    );
    assert_eq!(
        set(
            &c,
            &admin.token,
            "PATCH",
            &path,
            &json!({"role": "administrator"})
        ),
        200
    );
    assert_eq!(
        role_of(&c, &admin.token, &key, &plus.id),
        ("administrator".into(), true)
    );
    assert_eq!(
        set(&c, &admin.token, "PATCH", &path, &json!({"role": "guest"})),
        200
    );
    assert_eq!(
        role_of(&c, &admin.token, &key, &plus.id),
        ("guest".into(), false)
    );
    let r = c.json(
        "PATCH",
        &path,
        Some(&admin.token),
        &json!({"can_invite": true}),
    );
    assert_eq!(r.code(), "guest_not_allowed", "{}", r.body);
    assert_eq!(
        role_of(&c, &admin.token, &key, &plus.id),
        ("guest".into(), false)
    );

    // Two administrators demoting each other at once: one stays.
    let (key2, first) = org_with_admin(&c, "mutual-demotion");
    let second = joined(&c, &first.token, &key2, "administrator", "mutual-second");
    let jobs = [
        (first.token.clone(), second.id.clone()),
        (second.token.clone(), first.id.clone()),
    ];
    let (cl, k) = (c.clone(), key2.clone());
    let answers = parallel(2, move |i| {
        let (token, other) = &jobs[i];
        cl.json(
            "PATCH",
            &format!("/api/v1/orgs/{k}/members/{other}"),
            Some(token),
            &json!({"role": "member"}),
        )
        .status
    });
    let admins = [&first.id, &second.id]
        .iter()
        .filter(|id| role_of(&c, &first.token, &key2, id).0 == "administrator")
        .count();
    // The loser is refused by the guard (409) or, when it comes second, by its role.
    assert_eq!(
        answers.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|s| [200, 403, 409].contains(s)),
        "{answers:?}"
    );
    assert_eq!(admins, 1, "{answers:?}");
}

/// Finding 5: a managed account created an organization and administered it; deleting
/// the account then left that organization without an administrator.
fn managed_accounts_stay_home(w: &World) {
    use crate::sso::{managed, peers, session_cookie, sp_login, sso_client, sso_org};
    let c = sso_client(w);
    let idp = &peers(w).idp;
    let o = sso_org(w, &c, idp, false);
    let (id, email) = managed(&c, &o, "homebody", "member");
    let (_, r) = sp_login(&c, idp, &o.org_id, &email, "assertion", "/");
    assert_eq!(r.status, 303, "{}", r.body);
    let session = session_cookie(&r).unwrap();
    let r = c.json(
        "POST",
        "/api/v1/orgs",
        Some(&session),
        &json!({"name": "Side business", "product": "tracker"}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "managed_account"),
        "{}",
        r.body
    );
    let me = c.get("/api/v1/me", Some(&session)).json();
    assert_eq!(me["organizations"].as_array().unwrap().len(), 1, "{me}");

    // Data from before the rule: the managed account is the only administrator of
    // another organization. Deleting it is refused until that one has another.
    let (other_key, founder) = org_with_admin(&c, "elsewhere");
    w.other_sql(
        "sso",
        &format!(
            "INSERT INTO memberships (space_key, account_id, role, can_invite, created_at) \
             VALUES ('{other_key}', '{id}', 'administrator', 0, 0)"
        ),
    );
    let r = c.json(
        "DELETE",
        &format!("/api/v1/orgs/{other_key}/members/{}", founder.id),
        Some(&founder.token),
        &json!({}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let delete = format!("/api/v1/orgs/{}/managed-accounts/{id}", o.key);
    let r = c.json("DELETE", &delete, Some(&o.admin), &json!({}));
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "last_admin"),
        "{}",
        r.body
    );
    let r = c.get("/api/v1/me", Some(&session));
    assert_eq!(r.status, 200, "nothing was deleted: {}", r.body);
    w.other_sql(
        "sso",
        &format!("UPDATE memberships SET role = 'member' WHERE space_key = '{other_key}' AND account_id = '{id}'"),
    );
    w.other_sql(
        "sso",
        &format!(
            "INSERT INTO memberships (space_key, account_id, role, can_invite, created_at) \
             VALUES ('{other_key}', '{}', 'administrator', 0, 0)",
            founder.id
        ),
    );
    let r = c.json("DELETE", &delete, Some(&o.admin), &json!({}));
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(c.get("/api/v1/me", Some(&session)).status, 401);
}

/// Finding 6: a signed NameID written with U+212A KELVIN SIGN logged in as `karl@…`.
fn confusable_addresses(w: &World) {
    use crate::sso::{managed, peers, refused, session_cookie, sp_login, sso_client, sso_org};
    let c = sso_client(w);
    let idp = &peers(w).idp;
    let o = sso_org(w, &c, idp, false);
    let (_, email) = managed(&c, &o, "karl", "member");
    let local = email.split('@').next().unwrap().to_owned();
    for (label, lookalike) in [
        ("kelvin sign", format!("\u{212A}arl@{}", o.domain)),
        ("fullwidth", format!("\u{FF4B}arl@{}", o.domain)),
        ("nbsp", format!("{local}\u{00A0}@{}", o.domain)),
    ] {
        let (_, r) = sp_login(&c, idp, &o.org_id, &lookalike, "assertion", "/");
        assert!(session_cookie(&r).is_none(), "{label}: no session");
        refused(&c, &o, &r, "account_not_found");
    }
    // The real one still logs in, in any ASCII case.
    let (_, r) = sp_login(&c, idp, &o.org_id, &email.to_uppercase(), "assertion", "/");
    assert_eq!(r.status, 303, "{}", r.body);

    // Nobody can sign up, invite or create a managed account with a look-alike.
    for lookalike in [
        "\u{212A}arl@example.com",
        "karl\u{0131}@example.com",
        "\u{017F}am@example.com",
        "\u{FF4B}arl@example.com",
        "karl\u{00A0}@example.com",
    ] {
        let r = c.json(
            "POST",
            "/api/v1/accounts",
            None,
            &json!({"email": lookalike, "password": PASSWORD, "name": "Look Alike"}),
        );
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "invalid_email"),
            "{lookalike:?}"
        );
        let r = c.json(
            "POST",
            &format!("/api/v1/orgs/{}/managed-accounts", o.key),
            Some(&o.admin),
            &json!({"email": lookalike.replace("example.com", &o.domain), "name": "Look Alike", "role": "member"}),
        );
        assert_eq!(r.status, 400, "{lookalike:?}: {}", r.body);
    }
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/invitations", o.key),
        Some(&o.admin),
        &json!({"emails": ["\u{212A}arl@example.com"], "role": "member"}),
    );
    assert_eq!(r.code(), "invalid_email", "{}", r.body);
}

/// Finding 12: names made only of zero-width characters, or holding U+202E, were
/// accepted and shown in pages and emails. Every route that takes a name.
fn visible_names(w: &World) {
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "names-admin");
    let group_id = group(&c, &admin.token, &key, "Fine name");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/projects"),
        Some(&admin.token),
        &json!({"name": "Fine project"}),
    );
    let project = r.json()["project"]["id"].as_str().unwrap().to_owned();
    let invitee = unique_email("names-invitee");
    assert_eq!(
        invite(&c, &admin.token, &key, &[&invitee], "member").status,
        201
    );
    let link = invitation_token(&c, &invitee);
    for bad in [
        "\u{200B}\u{200C}\u{200D}",
        "\u{2060}",
        "Eve\u{202E}gnp.exe",
        "\u{2067}x\u{2069}",
    ] {
        let email = unique_email("names");
        let attempts = [
            (
                "POST",
                "/api/v1/accounts".to_owned(),
                None,
                json!({"email": email, "password": PASSWORD, "name": bad}),
            ),
            (
                "POST",
                format!("/api/v1/invitations/{link}/signup"),
                None,
                json!({"password": PASSWORD, "name": bad}),
            ),
            (
                "POST",
                "/api/v1/orgs".to_owned(),
                Some(&admin.token),
                json!({"name": bad, "product": "tracker"}),
            ),
            (
                "PATCH",
                format!("/api/v1/orgs/{key}"),
                Some(&admin.token),
                json!({ "name": bad }),
            ),
            (
                "POST",
                format!("/api/v1/orgs/{key}/groups"),
                Some(&admin.token),
                json!({ "name": bad }),
            ),
            (
                "PATCH",
                format!("/api/v1/orgs/{key}/groups/{group_id}"),
                Some(&admin.token),
                json!({ "name": bad }),
            ),
            (
                "POST",
                format!("/api/v1/orgs/{key}/projects"),
                Some(&admin.token),
                json!({ "name": bad }),
            ),
            (
                "POST",
                format!("/api/v1/orgs/{key}/projects/{project}/diagrams"),
                Some(&admin.token),
                json!({ "title": bad }),
            ),
            (
                "POST",
                format!("/api/v1/orgs/{key}/pass/application"),
                Some(&admin.token),
                json!({"admin_name": bad, "admin_email": admin.email, "company_name": "Co", "space_key": key}),
            ),
        ];
        for (method, path, token, body) in attempts {
            let r = c.json(method, &path, token.map(String::as_str), &body);
            assert_eq!(
                (r.status, r.code().as_str()),
                (400, "invalid_name"),
                "{method} {path} {bad:?}: {}",
                r.body
            );
        }
        let r = c.json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": email, "password": PASSWORD}),
        );
        assert_eq!(r.status, 401, "no account for {bad:?}");
    }
    // The invitation's message is quoted in the email: no bidi controls there either.
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/invitations"),
        Some(&admin.token),
        &json!({"emails": [unique_email("msg")], "role": "member", "message": "open \u{202E}fdp.exe"}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "invalid_message"),
        "{}",
        r.body
    );
    let org = c
        .get(&format!("/api/v1/orgs/{key}"), Some(&admin.token))
        .json();
    assert_eq!(org["org"]["name"], "Team Co");
    let r = c.get(&format!("/api/v1/invitations/{link}"), None);
    assert_eq!(r.json()["status"], "pending", "{}", r.body);
}

fn sign_up_unconfirmed(c: &Client, email: &str, password: &str) {
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": password, "name": "Squatter"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

fn login_status(c: &Client, email: &str, password: &str) -> u16 {
    Client::new(&c.base)
        .json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": email, "password": password}),
        )
        .status
}

/// Finding 7: an unconfirmed sign-up with someone else's address blocked its owner for
/// good (invitation sign-up and managed-account creation answered `email_taken`).
fn unconfirmed_sign_ups_give_way(w: &World) {
    const SQUATTER: &str = "the squatter's password";
    // An invitation replaces it.
    let c = team_client(w);
    let (key, admin) = org_with_admin(&c, "squat-admin");
    let owner = unique_email("squatted-invitee");
    sign_up_unconfirmed(&c, &owner, SQUATTER);
    assert_eq!(
        invite(&c, &admin.token, &key, &[&owner], "member").status,
        201
    );
    let (status, body) = sign_up_from_link(&c, &owner);
    assert_eq!(status, 201, "{body}");
    assert_eq!(login_status(&c, &owner, SQUATTER), 401);
    assert_eq!(login_status(&c, &owner, PASSWORD), 201);

    // A managed account replaces it.
    use crate::sso::{peers, sso_client, sso_org};
    let sc = sso_client(w);
    let o = sso_org(w, &sc, &peers(w).idp, false);
    let address = format!("squatted@{}", o.domain);
    sign_up_unconfirmed(&sc, &address, SQUATTER);
    let r = sc.json(
        "POST",
        &format!("/api/v1/orgs/{}/managed-accounts", o.key),
        Some(&o.admin),
        &json!({"email": address, "name": "Real Owner", "role": "member"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(login_status(&sc, &address, SQUATTER), 401);
    // A confirmed account is never replaced.
    let confirmed = format!("confirmed@{}", o.domain);
    crate::verified_session(&sc, &confirmed);
    let r = sc.json(
        "POST",
        &format!("/api/v1/orgs/{}/managed-accounts", o.key),
        Some(&o.admin),
        &json!({"email": confirmed, "name": "Someone", "role": "member"}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "email_taken"),
        "{}",
        r.body
    );
    assert_eq!(login_status(&sc, &confirmed, PASSWORD), 201);

    // The Cron deletes unconfirmed sign-ups after 7 days (on a Worker of its own: the
    // Cron's other jobs at that time would reach other tests' data).
    let pc = w.other_client("purge", &[]);
    let stale = unique_email("stale-sign-up");
    sign_up_unconfirmed(&pc, &stale, SQUATTER);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let day = 86_400_000;
    crate::pass::cron(&pc, now + 6 * day);
    let again = pc.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": stale, "password": PASSWORD, "name": "Owner"}),
    );
    assert_eq!(again.code(), "email_taken", "kept for 7 days");
    crate::pass::cron(&pc, now + 7 * day + 60_000);
    let again = pc.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": stale, "password": PASSWORD, "name": "Owner"}),
    );
    assert_eq!(again.status, 201, "{}", again.body);
}

/// Finding 2: an attacker's own valid response and RelayState, auto-posted from another
/// site in the victim's browser, replaced the victim's session.
fn login_csrf_at_the_acs(w: &World) {
    use crate::sso::{
        continue_unsolicited, cookie_set, managed, me_by_cookie, peers, post_acs, put_saml,
        refused, session_cookie, sp_login, sso_client, sso_org,
    };
    let c = sso_client(w);
    let idp = &peers(w).idp;
    let o = sso_org(w, &c, idp, false);
    let (_, attacker) = managed(&c, &o, "mallory", "member");
    // The victim is signed in with a password (a cookie session of their own).
    let victim_email = unique_email("csrf-victim");
    let victim_session = crate::verified_session(&c, &victim_email);

    // The attacker runs a login in their own browser up to the IdP's auto-post form.
    let attacker_browser = Client::new(&c.base);
    let r = attacker_browser.get(&format!("/login/sso?organization_id={}", o.org_id), None);
    assert_eq!(r.status, 303);
    assert!(cookie_set(&r, "orgpass_sso").is_some(), "a binding cookie");
    let set = r.all("set-cookie").join("\n");
    assert!(
        set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=None"),
        "{set}"
    );
    assert!(set.contains(&format!("Path=/saml/{}/acs", o.key)), "{set}");
    // ... and has the victim's browser post it (no binding cookie there, or the
    // victim's own from a login of theirs).
    let (mut post, _) = sp_login(
        &attacker_browser,
        idp,
        &o.org_id,
        &attacker,
        "assertion",
        "/",
    );
    post.browser = None;
    let r = post_acs(&c, &post);
    refused(&c, &o, &r, "browser_mismatch");
    let victims_own = c.get(&format!("/login/sso?organization_id={}", o.org_id), None);
    post.browser = cookie_set(&victims_own, "orgpass_sso");
    let r = post_acs(&c, &post);
    refused(&c, &o, &r, "browser_mismatch");
    let me = me_by_cookie(&c, &victim_session);
    assert_eq!(me.json()["account"]["email"], victim_email.as_str());

    // Unsolicited responses (where allowed) never switch a signed-in browser silently.
    let r = put_saml(
        &c,
        &o.admin,
        &o.key,
        &json!({"idp_metadata_xml": idp.metadata(), "allow_idp_initiated": true}),
    );
    assert_eq!(r.status, 200);
    let post = idp.unsolicited(&o.sp, &attacker, "assertion", Some("/"));
    let acs = post_acs(&c, &post);
    let page = continue_unsolicited(&c, &acs, Some(&victim_session));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(session_cookie(&page).is_none(), "not switched");
    assert!(page.body.contains(&victim_email) && page.body.contains(&attacker));
    assert_eq!(
        me_by_cookie(&c, &victim_session).json()["account"]["email"],
        victim_email.as_str()
    );
    // Only the person's own confirmation (same origin, the page's CSRF token) switches.
    let pending = cookie_set(&acs, "orgpass_sso_login").unwrap();
    let cookie = format!("orgpass_sso_login={pending}; orgpass_session={victim_session}");
    let csrf = crate::csrf_in(&page.body);
    let forged = c.send(
        "POST",
        "/login/sso/continue",
        &[
            ("cookie", &cookie),
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", "http://evil.example"),
        ],
        Some(&format!("csrf={csrf}&return_to=%2F")),
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
    let origin = c.base.clone();
    let confirmed = c.send(
        "POST",
        "/login/sso/continue",
        &[
            ("cookie", &cookie),
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", &origin),
        ],
        Some(&format!("csrf={csrf}&return_to=%2F")),
    );
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    let switched = session_cookie(&confirmed).expect("the new session");
    assert_eq!(
        me_by_cookie(&c, &switched).json()["account"]["email"],
        attacker.as_str()
    );
    // A browser signed in as nobody (or as the same account) goes straight on.
    let post = idp.unsolicited(&o.sp, &attacker, "assertion", Some("/"));
    let r = continue_unsolicited(&c, &post_acs(&c, &post), Some(&switched));
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Finding 14: `/login/sso` writes a row per valid organization ID without
/// authentication; it is limited per client address (every start counts).
fn sso_starts_limited(w: &World) {
    use crate::sso::{peers, sso_client, sso_org};
    let c = sso_client(w);
    let o = sso_org(w, &c, &peers(w).idp, false);
    let one_address = Client::new(&c.base);
    // Unknown IDs count too, so the limit does not tell which IDs exist.
    let start = |c: &Client, i: usize, id: &str| {
        let org = if i.is_multiple_of(10) {
            "no-such-org-id"
        } else {
            id
        };
        c.get(&format!("/login/sso?organization_id={org}"), None)
            .status
    };
    for i in 0..90 {
        assert_ne!(start(&one_address, i, &o.org_id), 429, "start {i}");
    }
    // The last places go to parallel requests: exactly ten of twenty get one.
    let (cl, id) = (one_address.clone(), o.org_id.clone());
    let answers = parallel(20, move |i| start(&cl, i + 1, &id));
    let refused = answers.iter().filter(|s| **s == 429).count();
    assert_eq!(refused, 10, "{answers:?}");
    let rows = w.other_query(
        "sso",
        &format!(
            "SELECT count(*) AS n FROM saml_requests WHERE space_key = '{}'",
            o.key
        ),
    );
    assert!(rows[0]["n"].as_i64().unwrap() <= 99, "{rows:?}");
    let r = one_address.get(&format!("/login/sso?organization_id={}", o.org_id), None);
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    // Another address is not affected.
    let r = Client::new(&c.base).get(&format!("/login/sso?organization_id={}", o.org_id), None);
    assert_eq!(r.status, 303);
}

/// Finding 11: twenty junk posts to the ACS erased the record of a forged-signature
/// attempt (every post was recorded and the list kept 20).
fn junk_never_evicts(w: &World) {
    use crate::sso::{managed, peers, post_acs, sso_client, sso_org};
    let c = sso_client(w);
    let idp = &peers(w).idp;
    let o = sso_org(w, &c, idp, false);
    let (_, email) = managed(&c, &o, "forgery-target", "member");
    let list = |c: &Client| {
        let r = c.get(
            &format!("/api/v1/orgs/{}/saml/failures", o.key),
            Some(&o.admin),
        );
        r.json()["failures"].as_array().unwrap().clone()
    };
    // A response naming our IdP with a forged signature (one character of it
    // changed), as an attacker posts it.
    let post = idp.unsolicited(&o.sp, &email, "assertion", None);
    let xml = post.xml();
    let start = xml.find("SignatureValue>").unwrap() + "SignatureValue>".len();
    let mut forged = xml.clone();
    let flip = if &xml[start..=start] == "A" { "B" } else { "A" };
    forged.replace_range(start..=start, flip);
    let r = post_acs(&c, &post.with_xml(&forged));
    assert_eq!(r.status, 403);
    let reference = r
        .body
        .split("<code id=\"reference\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    let first = list(&c)[0].clone();
    assert_eq!(first["reference"], reference.as_str(), "{first}");
    assert_eq!(first["kind"], "issuer", "{first}");

    // Junk from one address: recorded 10 times in the window, then no more.
    let junk = Client::new(&c.base);
    let path = format!("/saml/{}/acs", o.key);
    let form = [("content-type", "application/x-www-form-urlencoded")];
    for i in 0..25_u32 {
        let body = if i.is_multiple_of(2) {
            "RelayState=x".to_owned()
        } else {
            "SAMLResponse=AAAA".to_owned()
        };
        assert_eq!(junk.send("POST", &path, &form, Some(&body)).status, 403);
    }
    let now = list(&c);
    let anonymous = now.iter().filter(|f| f["kind"] == "anonymous").count();
    assert_eq!(anonymous, 10, "{now:?}");
    // From many addresses: the anonymous list is capped, the forgery stays.
    for _ in 0..4 {
        let more = Client::new(&c.base);
        for _ in 0..10 {
            more.send("POST", &path, &form, Some("SAMLResponse=AAAA"));
        }
    }
    let now = list(&c);
    assert_eq!(now.iter().filter(|f| f["kind"] == "anonymous").count(), 20);
    assert!(
        now.iter().any(|f| f["reference"] == reference.as_str()),
        "{now:?}"
    );

    // Kept like every event, 13 months: the Cron removes older ones (the time is moved back).
    w.other_sql(
        "sso",
        &format!(
            "UPDATE audit_events SET occurred_at = occurred_at - 397 * 86400000 WHERE space_key = '{}' AND json_extract(details, '$.reference') = '{reference}'",
            o.key
        ),
    );
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    crate::pass::cron(&c, at);
    let now = list(&c);
    assert!(
        !now.iter().any(|f| f["reference"] == reference.as_str()),
        "{now:?}"
    );
    assert!(!now.is_empty());
}

/// Finding 7's third rule: the owner of an address clicked the confirmation link of a
/// sign-up someone else made with it, and so made that person's password valid.
fn confirming_needs_the_chosen_password(w: &World) {
    const SQUATTER: &str = "the squatter's password";
    let c = w.client();
    let owner = unique_email("clicked");
    // The squatter signs up in their own browser, which keeps the sign-up cookie.
    let squatter = Client::new(&c.base);
    let r = squatter.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": owner, "password": SQUATTER, "name": "Squatter"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let set = r.all("set-cookie").join("\n");
    assert!(
        set.contains("orgpass_signup=") && set.contains("Path=/verify-email"),
        "{set}"
    );
    let binding = set
        .split("orgpass_signup=")
        .nth(1)
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let link = crate::mailed_token(&c, &owner);

    // The owner clicks the link in their mailbox: a page asks for the password.
    let page = c.get(&format!("/verify-email?token={link}"), None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("name=\"password\""), "{}", page.body);
    assert_eq!(login_status(&c, &owner, SQUATTER), 403, "still unconfirmed");
    // ... and their own password does not fit.
    let csrf = crate::csrf_in(&page.body);
    let cookie = page
        .all("set-cookie")
        .into_iter()
        .find_map(|c| c.strip_prefix("orgpass_csrf="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .map(|v| format!("orgpass_csrf={v}"))
        .unwrap_or_default();
    let origin = c.base.clone();
    let submit = |password: &str| {
        c.send(
            "POST",
            "/verify-email",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", &origin),
                ("cookie", &cookie),
            ],
            Some(&format!(
                "csrf={}&token={}&password={}",
                crate::urlencode(&csrf),
                crate::urlencode(&link),
                crate::urlencode(password)
            )),
        )
    };
    let wrong = submit("the owner's own password");
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    assert_eq!(login_status(&c, &owner, SQUATTER), 403, "still unconfirmed");

    // Only the sign-up's own browser confirms with a click (or whoever knows the
    // password chosen at sign-up, from anywhere).
    let r = squatter.send(
        "GET",
        &format!("/verify-email?token={link}"),
        &[("cookie", &format!("orgpass_signup={binding}"))],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("is confirmed"), "{}", r.body);
    assert_eq!(login_status(&c, &owner, SQUATTER), 201);

    let phone = unique_email("other-device");
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": phone, "password": PASSWORD, "name": "Phone"}),
    );
    assert_eq!(r.status, 201);
    let link = crate::mailed_token(&c, &phone);
    let _ = c.get(&format!("/verify-email?token={link}"), None);
    let ok = c.send(
        "POST",
        "/verify-email",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", &origin),
            ("cookie", &cookie),
        ],
        Some(&format!(
            "csrf={}&token={}&password={}",
            crate::urlencode(&csrf),
            crate::urlencode(&link),
            crate::urlencode(PASSWORD)
        )),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(login_status(&c, &phone, PASSWORD), 201);
}
