//! Account self-service over the API (docs/api.md "Account self-service"): the
//! forgotten password, a fresh verification link, name, password and email changes,
//! sessions, leaving an organization, deleting the account.

use serde_json::{json, Value};

use crate::{
    client::{Client, Resp},
    last_mail, mailed_token,
    security::parallel,
    team::{joined, org_with_admin},
    verified_session, World, PASSWORD,
};

/// A fresh address, as orgpass stores it (lower case).
fn unique_email(tag: &str) -> String {
    crate::unique_email(tag).to_lowercase()
}

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "self_service::a_reset_link_sets_the_password_and_ends_every_session",
        reset_ends_every_session,
    ),
    (
        "self_service::reset_and_resend_answer_alike_for_every_address",
        links_answer_alike,
    ),
    (
        "self_service::link_requests_are_limited_per_address",
        link_requests_are_limited,
    ),
    (
        "self_service::parallel_confirmations_of_one_reset_link_succeed_once",
        parallel_resets,
    ),
    (
        "self_service::a_fresh_verification_link_leaves_the_old_one_working",
        resend_verification,
    ),
    (
        "self_service::a_password_change_needs_the_current_one_and_ends_other_sessions",
        change_password,
    ),
    (
        "self_service::an_email_change_takes_effect_on_confirmation",
        change_email,
    ),
    (
        "self_service::sessions_are_listed_and_ended_one_by_one",
        sessions,
    ),
    (
        "self_service::leaving_and_deleting_keep_every_organization_administered",
        leave_and_delete,
    ),
    (
        "self_service::a_managed_account_changes_only_its_name",
        managed_accounts,
    ),
    (
        "self_service::each_route_makes_at_most_two_round_trips",
        round_trips,
    ),
];

const NEW_PASSWORD: &str = "a brand new passphrase";

fn log_in(c: &Client, email: &str, password: &str) -> Resp {
    c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": password}),
    )
}

fn token_of(r: &Resp) -> String {
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["token"].as_str().unwrap().to_owned()
}

fn me(c: &Client, token: &str) -> Resp {
    c.get("/api/v1/me", Some(token))
}

fn request_reset(c: &Client, email: &str) -> Resp {
    c.json(
        "POST",
        "/api/v1/accounts/password-reset",
        None,
        &json!({ "email": email }),
    )
}

fn mails_to(c: &Client, to: &str) -> Vec<Value> {
    let r = c.get(&format!("/dev/mail?to={}", crate::urlencode(to)), None);
    r.json()["messages"].as_array().unwrap().clone()
}

fn reset_token(c: &Client, email: &str) -> String {
    let mail = last_mail(c, email);
    assert_eq!(mail["subject"], "Reset your orgpass password");
    let link = mail["links"][0].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/reset-password?token=", c.base)),
        "{link}"
    );
    link.split("token=").nth(1).unwrap().to_owned()
}

fn confirm_reset(c: &Client, token: &str, password: &str) -> Resp {
    c.json(
        "POST",
        "/api/v1/accounts/password-reset/confirm",
        None,
        &json!({"token": token, "password": password}),
    )
}

fn reset_ends_every_session(w: &World) {
    let c = w.client();
    let email = unique_email("Reset");
    let first = verified_session(&c, &email);
    let second = token_of(&log_in(&c, &email, PASSWORD));

    let r = request_reset(&c, &email);
    assert_eq!(r.status, 202, "{}", r.body);
    let token = reset_token(&c, &email);

    // Bad input changes nothing: the link still works afterwards.
    let r = confirm_reset(&c, &token, "short");
    assert_eq!(
        (r.status, r.code()),
        (400, "password_too_short".into()),
        "{}",
        r.body
    );
    let r = confirm_reset(&c, "not-a-token", NEW_PASSWORD);
    assert_eq!((r.status, r.code()), (400, "invalid_token".into()));
    assert_eq!(me(&c, &first).status, 200);

    let page = |t: &str| c.get(&format!("/reset-password?token={t}"), None);
    assert_eq!(page(&token).status, 200, "the link's page opens");
    let r = confirm_reset(&c, &token, NEW_PASSWORD);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["account"]["email"], email);
    // A used link's page says so before anything is typed.
    let used = page(&token);
    assert_eq!(used.status, 410);
    assert!(used.body.contains("already used"), "{}", used.body);
    assert_eq!(page("not-a-token").status, 400);
    // Every session ended, bearer and cookie alike (one secret).
    for t in [&first, &second] {
        assert_eq!(me(&c, t).status, 401);
        let r = c.send(
            "GET",
            "/api/v1/me",
            &[("cookie", &format!("orgpass_session={t}"))],
            None,
        );
        assert_eq!(r.status, 401);
    }
    assert_eq!(log_in(&c, &email, PASSWORD).status, 401);
    assert_eq!(log_in(&c, &email, NEW_PASSWORD).status, 201);
    let r = confirm_reset(&c, &token, "yet another passphrase");
    assert_eq!((r.status, r.code()), (410, "token_used".into()));
    assert_eq!(
        last_mail(&c, &email)["subject"],
        "Your orgpass password was changed"
    );
    let logged = w.dev.log_text();
    assert!(!logged.contains(&token), "the link's token is never logged");
}

fn links_answer_alike(w: &World) {
    let c = w.client();
    let known = unique_email("Known");
    verified_session(&c, &known);
    let unknown = unique_email("Nobody");
    let unverified = unique_email("Unverified");
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": unverified, "password": PASSWORD, "name": "U"}),
    );
    assert_eq!(r.status, 201);

    for path in [
        "/api/v1/accounts/password-reset",
        "/api/v1/accounts/verify-email/resend",
    ] {
        let answers: Vec<(u16, String, u32)> = [&known, &unknown, &unverified]
            .iter()
            .map(|email| {
                let r = c.json("POST", path, None, &json!({ "email": email }));
                (r.status, r.body.clone(), r.round_trips())
            })
            .collect();
        assert!(
            answers.iter().all(|a| a == &answers[0]),
            "{path}: {answers:?}"
        );
        assert_eq!(answers[0].0, 202);
    }
    // What was sent: a reset to the two accounts, a fresh verification only to the
    // unconfirmed one, nothing to the address without an account.
    assert!(mails_to(&c, &unknown).is_empty());
    let subjects = |to: &str| -> Vec<String> {
        mails_to(&c, to)
            .iter()
            .map(|m| m["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        subjects(&known),
        [
            "Reset your orgpass password",
            "Confirm your email address for orgpass"
        ],
        "the sign-up's and the reset's only"
    );
    assert_eq!(
        subjects(&unverified),
        [
            "Confirm your email address for orgpass",
            "Reset your orgpass password",
            "Confirm your email address for orgpass"
        ]
    );
    let r = c.json(
        "POST",
        "/api/v1/accounts/password-reset",
        None,
        &json!({"email": "not an address"}),
    );
    assert_eq!(
        (r.status, r.code()),
        (400, "invalid_email".into()),
        "{}",
        r.body
    );
}

fn link_requests_are_limited(w: &World) {
    let c = w.client();
    let email = unique_email("Limited");
    verified_session(&c, &email);
    for _ in 0..3 {
        assert_eq!(request_reset(&c, &email).status, 202);
    }
    let r = request_reset(&c, &email);
    assert_eq!((r.status, r.code()), (429, "rate_limited".into()));
    assert!(r.header("retry-after").is_some());
    // The limit is the address's, whether or not it has an account, and from any IP.
    let elsewhere = w.client();
    assert_eq!(request_reset(&elsewhere, &email).status, 429);
    let nobody = unique_email("NobodyLimited");
    for _ in 0..3 {
        assert_eq!(request_reset(&elsewhere, &nobody).status, 202);
    }
    assert_eq!(request_reset(&elsewhere, &nobody).status, 429);
    // Resends count apart from resets.
    let r = c.json(
        "POST",
        "/api/v1/accounts/verify-email/resend",
        None,
        &json!({ "email": email }),
    );
    assert_eq!(r.status, 202);
}

fn parallel_resets(w: &World) {
    let c = w.client();
    let email = unique_email("ParallelReset");
    verified_session(&c, &email);
    assert_eq!(request_reset(&c, &email).status, 202);
    let token = reset_token(&c, &email);
    let base = c.base.clone();
    let results = parallel(8, move |i| {
        let c = Client::new(&base);
        let r = confirm_reset(&c, &token, &format!("parallel passphrase {i}"));
        let code = if r.status == 200 {
            String::new()
        } else {
            r.code()
        };
        (i, r.status, code)
    });
    let winners: Vec<_> = results.iter().filter(|(_, s, _)| *s == 200).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(_, s, code)| *s == 200 || (*s == 410 && code == "token_used")),
        "{results:?}"
    );
    let winner = winners[0].0;
    for (i, _, _) in &results {
        let r = log_in(&c, &email, &format!("parallel passphrase {i}"));
        assert_eq!(r.status == 201, *i == winner, "password {i}: {}", r.status);
    }
}

fn resend_verification(w: &World) {
    let c = w.client();
    let email = unique_email("Resend");
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": PASSWORD, "name": "R"}),
    );
    assert_eq!(r.status, 201);
    let old = mailed_token(&c, &email);
    let r = c.json(
        "POST",
        "/api/v1/accounts/verify-email/resend",
        None,
        &json!({ "email": email }),
    );
    assert_eq!(r.status, 202);
    let fresh = mailed_token(&c, &email);
    assert_ne!(old, fresh);
    // The old link keeps working until it expires; then the new one is used up too
    // in the sense that the address is confirmed.
    let r = c.json(
        "POST",
        "/api/v1/accounts/verify-email",
        None,
        &json!({ "token": old }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["account"]["email_verified"], true);
    let before = mails_to(&c, &email).len();
    let r = c.json(
        "POST",
        "/api/v1/accounts/verify-email/resend",
        None,
        &json!({ "email": email }),
    );
    assert_eq!(r.status, 202);
    assert_eq!(
        mails_to(&c, &email).len(),
        before,
        "a confirmed address gets nothing"
    );
}

fn put_password(c: &Client, token: &str, current: &str, new: &str) -> Resp {
    c.json(
        "PUT",
        "/api/v1/me/password",
        Some(token),
        &json!({"current_password": current, "new_password": new}),
    )
}

fn change_password(w: &World) {
    let c = w.client();
    let email = unique_email("ChangePw");
    let this = verified_session(&c, &email);
    let other = token_of(&log_in(&c, &email, PASSWORD));

    let r = put_password(&c, &this, "not the password", NEW_PASSWORD);
    assert_eq!(
        (r.status, r.code()),
        (403, "invalid_credentials".into()),
        "{}",
        r.body
    );
    let r = put_password(&c, &this, PASSWORD, "short");
    assert_eq!(
        (r.status, r.code()),
        (400, "password_too_short".into()),
        "{}",
        r.body
    );
    assert!(
        r.json()["error"]["fields"]["new_password"].is_string(),
        "{}",
        r.body
    );
    assert_eq!(me(&c, &other).status, 200, "refusals change nothing");
    let r = put_password(&c, "x", PASSWORD, NEW_PASSWORD);
    assert_eq!(r.status, 401);

    let r = put_password(&c, &this, PASSWORD, NEW_PASSWORD);
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(me(&c, &this).status, 200, "this session stays");
    assert_eq!(me(&c, &other).status, 401, "every other session ends");
    assert_eq!(log_in(&c, &email, PASSWORD).status, 401);
    assert_eq!(log_in(&c, &email, NEW_PASSWORD).status, 201);
    assert_eq!(
        last_mail(&c, &email)["subject"],
        "Your orgpass password was changed"
    );
}

fn post_email(c: &Client, token: &str, email: &str, password: &str) -> Resp {
    c.json(
        "POST",
        "/api/v1/me/email",
        Some(token),
        &json!({"email": email, "current_password": password}),
    )
}

fn confirm_email(c: &Client, token: &str) -> Resp {
    c.json(
        "POST",
        "/api/v1/accounts/confirm-email",
        None,
        &json!({ "token": token }),
    )
}

fn change_email(w: &World) {
    let c = w.client();
    let old = unique_email("OldAddress");
    let token = verified_session(&c, &old);
    let taken = unique_email("Taken");
    verified_session(&c, &taken);
    let new = unique_email("NewAddress");

    let r = post_email(&c, &token, &new, "wrong password");
    assert_eq!((r.status, r.code()), (403, "invalid_credentials".into()));
    let r = post_email(&c, &token, &taken, PASSWORD);
    assert_eq!(
        (r.status, r.code()),
        (409, "email_taken".into()),
        "{}",
        r.body
    );
    let r = post_email(&c, &token, "nope", PASSWORD);
    assert_eq!(r.status, 400);
    assert!(mails_to(&c, &new).is_empty());

    let r = post_email(&c, &token, &new.to_uppercase(), PASSWORD);
    assert_eq!(r.status, 202, "{}", r.body);
    let notice = last_mail(&c, &old);
    assert_eq!(
        notice["subject"],
        "Your orgpass email address is being changed"
    );
    assert!(notice["text"].as_str().unwrap().contains(&new));
    let link = last_mail(&c, &new)["links"][0].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{}/confirm-email?token=", c.base)),
        "{link}"
    );
    let link_token = link.split("token=").nth(1).unwrap().to_owned();
    assert_eq!(
        me(&c, &token).json()["account"]["email"],
        old,
        "not before confirmation"
    );

    // Confirmed in parallel: once.
    let base = c.base.clone();
    let token_for_all = link_token.clone();
    let statuses = parallel(6, move |_| {
        confirm_email(&Client::new(&base), &token_for_all).status
    });
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [200, 410, 410, 410, 410, 410], "{statuses:?}");
    assert_eq!(me(&c, &token).json()["account"]["email"], new);
    assert_eq!(log_in(&c, &new, PASSWORD).status, 201);
    assert_eq!(log_in(&c, &old, PASSWORD).status, 401);
    let r = confirm_email(&c, &link_token);
    assert_eq!((r.status, r.code()), (410, "token_used".into()));
    // The old address is free again.
    verified_session(&c, &old);

    // Taken meanwhile: the confirmation is refused and changes nothing.
    let later = unique_email("Later");
    let r = post_email(&c, &token, &later, PASSWORD);
    assert_eq!(r.status, 202);
    let later_token = mailed_token(&c, &later);
    verified_session(&c, &later);
    let r = confirm_email(&c, &later_token);
    assert_eq!(
        (r.status, r.code()),
        (409, "email_taken".into()),
        "{}",
        r.body
    );
    assert_eq!(me(&c, &token).json()["account"]["email"], new);
}

fn sessions(w: &World) {
    let c = w.client();
    let email = unique_email("Sessions");
    let first = verified_session(&c, &email);
    let r = c.send(
        "POST",
        "/api/v1/sessions",
        &[
            ("content-type", "application/json"),
            ("user-agent", "Second Browser/1.0"),
        ],
        Some(&json!({"email": email, "password": PASSWORD}).to_string()),
    );
    let second = token_of(&r);

    let r = c.get("/api/v1/me/sessions", Some(&first));
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r.json()["sessions"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    let current: Vec<_> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    let other = list.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["user_agent"], "Second Browser/1.0");
    assert_eq!(other["ip"], c.ip);
    assert!(other["id"].as_str().unwrap().starts_with("sess_"));
    assert!(other["last_used_at"].as_str().unwrap().ends_with('Z'));
    assert!(!r.body.contains(&second), "no token in the list");

    // Another account cannot end it.
    let stranger = verified_session(&c, &unique_email("Stranger"));
    let id = other["id"].as_str().unwrap();
    let r = c.json(
        "DELETE",
        &format!("/api/v1/me/sessions/{id}"),
        Some(&stranger),
        &json!({}),
    );
    assert_eq!((r.status, r.code()), (404, "not_found".into()));
    assert_eq!(me(&c, &second).status, 200);

    let r = c.json(
        "DELETE",
        &format!("/api/v1/me/sessions/{id}"),
        Some(&first),
        &json!({}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        me(&c, &second).status,
        401,
        "its token stops working at once"
    );
    let r = c.json(
        "DELETE",
        &format!("/api/v1/me/sessions/{id}"),
        Some(&first),
        &json!({}),
    );
    assert_eq!(r.status, 404);
    let r = c.get("/api/v1/me/sessions", Some(&first));
    assert_eq!(r.json()["sessions"].as_array().unwrap().len(), 1);
}

fn delete_me(c: &Client, token: &str, password: &str) -> Resp {
    c.json(
        "DELETE",
        "/api/v1/me",
        Some(token),
        &json!({ "current_password": password }),
    )
}

fn leave_and_delete(w: &World) {
    // Its own Worker: the test reads D1 directly (see `managed_session`).
    let c = w.other_client("deletion", &[]);
    let (key, admin) = org_with_admin(&c, "LeaveAdmin");
    let member = joined(&c, &admin.token, &key, "member", "Leaver");

    // The only administrator can neither leave nor go.
    let leave = |token: &str| {
        c.json(
            "DELETE",
            &format!("/api/v1/orgs/{key}/members/me"),
            Some(token),
            &json!({}),
        )
    };
    let r = leave(&admin.token);
    assert_eq!(
        (r.status, r.code()),
        (409, "last_admin".into()),
        "{}",
        r.body
    );
    let r = delete_me(&c, &admin.token, PASSWORD);
    assert_eq!(
        (r.status, r.code()),
        (409, "last_admin".into()),
        "{}",
        r.body
    );
    assert_eq!(me(&c, &admin.token).status, 200, "refused: nothing changed");

    // A member leaves.
    let r = leave(&member.token);
    assert_eq!(r.status, 204, "{}", r.body);
    let orgs = me(&c, &member.token).json()["organizations"].clone();
    assert_eq!(orgs, json!([]));
    let r = c.get(&format!("/api/v1/orgs/{key}"), Some(&member.token));
    assert_eq!(r.status, 404);

    // Deleting needs the password, then the account, its sessions and memberships go,
    // and the address can sign up again.
    let r = delete_me(&c, &member.token, "wrong password");
    assert_eq!((r.status, r.code()), (403, "invalid_credentials".into()));
    let second = token_of(&log_in(&c, &member.email, PASSWORD));
    let r = delete_me(&c, &member.token, PASSWORD);
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(me(&c, &member.token).status, 401);
    assert_eq!(me(&c, &second).status, 401);
    assert_eq!(log_in(&c, &member.email, PASSWORD).status, 401);
    let rows = w.other_query(
        "deletion",
        &format!(
            "SELECT (SELECT count(*) FROM accounts WHERE id = '{id}') AS a, \
                (SELECT count(*) FROM sessions WHERE account_id = '{id}') AS s, \
                (SELECT count(*) FROM memberships WHERE account_id = '{id}') AS m",
            id = member.id
        ),
    );
    assert_eq!(rows[0], json!({"a": 0, "s": 0, "m": 0}));
    verified_session(&c, &member.email);

    // With another administrator, the first may go.
    let other = joined(&c, &admin.token, &key, "administrator", "SecondAdmin");
    let r = delete_me(&c, &admin.token, PASSWORD);
    assert_eq!(r.status, 204, "{}", r.body);
    let members = c.get(&format!("/api/v1/orgs/{key}/members"), Some(&other.token));
    assert_eq!(members.json()["members"].as_array().unwrap().len(), 1);
}

/// A managed account of the organization `key` on the Worker started as `server`, put
/// in its SSO trial, with a live session (what the ACS would have made): the session
/// token and the email. Tests that write D1 directly use a Worker of their own:
/// `wrangler d1 execute` beside requests of other tests can leave the Worker's SQLite
/// busy (`SQLITE_BUSY`, seen once in CI).
pub fn managed_session(w: &World, server: &str, key: &str) -> (String, String) {
    let email = unique_email("Managed");
    let secret: String = {
        use sha2::Digest;
        let seed = hex::encode(sha2::Sha256::digest(email.as_bytes()));
        format!("m{}", &seed[..42])
    };
    assert_eq!(secret.len(), 43);
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(secret.as_bytes()))
    };
    let id = format!("acct_managed_{}", &hash[..12]);
    w.other_sql(server, &format!(
        "UPDATE organizations SET pass_status = 'trial', pass_trial_ends_at = 99999999999999 WHERE space_key = '{key}'; \
         INSERT INTO accounts (id, email, name, managed_by, email_verified_at, created_at) \
           VALUES ('{id}', '{email}', 'Managed', '{key}', 1, 1); \
         INSERT INTO memberships (space_key, account_id, role, created_at) VALUES ('{key}', '{id}', 'member', 1); \
         INSERT INTO sessions (token_hash, account_id, created_at, expires_at, id, last_used_at) \
           VALUES ('{hash}', '{id}', 1, 99999999999999, 'sess_managed{}', 1);",
        &hash[..8]
    ));
    (secret, email)
}

fn managed_accounts(w: &World) {
    let c = w.other_client("managed", &[]);
    let (key, admin) = org_with_admin(&c, "ManagedOwner");
    // The organization requires two-step verification; managed accounts are exempt
    // (their IdP decides) and cannot enrol here.
    crate::two_step::enrol(&c, &admin.token);
    let r = c.json(
        "PATCH",
        &format!("/api/v1/orgs/{key}"),
        Some(&admin.token),
        &json!({"require_two_step": true}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let (secret, email) = managed_session(w, "managed", &key);
    let secret = secret.as_str();
    assert_eq!(me(&c, secret).status, 200);
    assert_eq!(
        c.get(&format!("/api/v1/orgs/{key}"), Some(secret)).status,
        200
    );
    let r = c.json("POST", "/api/v1/me/two-step", Some(secret), &json!({}));
    assert_eq!((r.status, r.code()), (403, "managed_account".into()));
    for r in [
        put_password(&c, secret, "anything at all", NEW_PASSWORD),
        post_email(&c, secret, &unique_email("Elsewhere"), "anything at all"),
        delete_me(&c, secret, "anything at all"),
        c.json(
            "DELETE",
            &format!("/api/v1/orgs/{key}/members/me"),
            Some(secret),
            &json!({}),
        ),
    ] {
        assert_eq!(
            (r.status, r.code()),
            (403, "managed_account".into()),
            "{}",
            r.body
        );
    }
    // No reset link for it: its organization's IdP is its password.
    let r = request_reset(&c, &email);
    assert_eq!(r.status, 202);
    assert!(mails_to(&c, &email).is_empty());
    // Its name is its own.
    let r = c.json(
        "PATCH",
        "/api/v1/me",
        Some(secret),
        &json!({"name": "  New Name "}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["account"]["name"], "New Name");
    let r = c.json("PATCH", "/api/v1/me", Some(secret), &json!({"name": ""}));
    assert_eq!(r.status, 400);
    assert_eq!(me(&c, secret).json()["account"]["name"], "New Name");
}

/// The D1 round trips of every self-service route (the development header), pinned:
/// one read or write batch, or a reservation and then one batch.
fn round_trips(w: &World) {
    let c = w.client();
    let (key, admin) = org_with_admin(&c, "Trips");
    let person = joined(&c, &admin.token, &key, "member", "Tripper");
    let email = person.email.to_lowercase();
    let mut seen = Vec::new();
    let mut check = |what: &str, r: Resp, status: u16, trips: u32| {
        assert_eq!(r.status, status, "{what}: {}", r.body);
        seen.push((what.to_owned(), r.round_trips()));
        assert_eq!(r.round_trips(), trips, "{what}");
    };
    check("reset request", request_reset(&c, &email), 202, 2);
    let token = reset_token(&c, &email);
    check(
        "reset confirm",
        confirm_reset(&c, &token, NEW_PASSWORD),
        200,
        1,
    );
    let t = token_of(&log_in(&c, &email, NEW_PASSWORD));
    let t = t.as_str();
    check(
        "resend",
        c.json(
            "POST",
            "/api/v1/accounts/verify-email/resend",
            None,
            &json!({"email": email}),
        ),
        202,
        2,
    );
    check(
        "rename",
        c.json("PATCH", "/api/v1/me", Some(t), &json!({"name": "Trip"})),
        200,
        1,
    );
    check(
        "password",
        put_password(&c, t, NEW_PASSWORD, PASSWORD),
        204,
        2,
    );
    let new = unique_email("TripsNew");
    check("email", post_email(&c, t, &new, PASSWORD), 202, 2);
    let link = mailed_token(&c, &new);
    check("confirm email", confirm_email(&c, &link), 200, 1);
    check("sessions", c.get("/api/v1/me/sessions", Some(t)), 200, 1);
    check(
        "end session",
        c.json(
            "DELETE",
            "/api/v1/me/sessions/sess_unknown",
            Some(t),
            &json!({}),
        ),
        404,
        1,
    );
    check(
        "account page",
        c.send(
            "GET",
            "/account",
            &[("cookie", &format!("orgpass_session={t}"))],
            None,
        ),
        200,
        1,
    );
    check(
        "leave",
        c.json(
            "DELETE",
            &format!("/api/v1/orgs/{key}/members/me"),
            Some(t),
            &json!({}),
        ),
        204,
        2,
    );
    check("delete", delete_me(&c, t, PASSWORD), 204, 2);
    println!("round trips per route: {seen:?}");
}
