//! Accounts and sessions: sign-up, verification, login, logout, /me, and every
//! refusal docs/api.md names for them.

use serde_json::json;

use crate::{last_mail, mailed_token, unique_email, verified_session, World, PASSWORD};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "accounts::sign_up_verify_log_in_me_log_out",
        sign_up_verify_log_in_me_log_out,
    ),
    (
        "accounts::sign_up_refuses_bad_input_and_writes_nothing",
        sign_up_refuses_bad_input_and_writes_nothing,
    ),
    (
        "accounts::email_taken_case_insensitively",
        email_taken_case_insensitively,
    ),
    (
        "accounts::verification_tokens_are_single_use",
        verification_tokens_are_single_use,
    ),
    (
        "accounts::unknown_email_and_wrong_password_answer_alike",
        unknown_email_and_wrong_password_answer_alike,
    ),
    (
        "accounts::unverified_email_is_refused_only_with_the_right_password",
        unverified_email_is_refused_only_with_the_right_password,
    ),
    (
        "accounts::failed_logins_are_limited_per_account",
        failed_logins_are_limited_per_account,
    ),
    (
        "accounts::failed_logins_are_limited_per_ip",
        failed_logins_are_limited_per_ip,
    ),
    (
        "accounts::cookie_writes_must_come_from_this_origin",
        cookie_writes_must_come_from_this_origin,
    ),
    ("accounts::me_needs_a_live_session", me_needs_a_live_session),
];

fn sign_up_verify_log_in_me_log_out(w: &World) {
    let c = w.client();
    let email = unique_email("Flow");
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": format!("  {}  ", email.to_uppercase()), "password": PASSWORD, "name": " Ada "}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let account = &r.json()["account"];
    assert_eq!(account["email"], email.to_lowercase());
    assert_eq!(account["name"], "Ada");
    assert_eq!(account["managed"], false);
    assert_eq!(account["email_verified"], false);
    assert!(account["id"].as_str().unwrap().starts_with("acct_"));
    assert!(account["created_at"].as_str().unwrap().ends_with('Z'));

    let email = email.to_lowercase();
    let mail = last_mail(&c, &email);
    assert_eq!(mail["to"], email);
    let link = mail["links"][0].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/verify-email?token=", c.base)),
        "{link}"
    );
    assert!(
        mail["html"].as_str().unwrap().contains(link),
        "HTML part carries the link"
    );

    let token = mailed_token(&c, &email);
    let r = c.json(
        "POST",
        "/api/v1/accounts/verify-email",
        None,
        &json!({ "token": token }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["account"]["email_verified"], true);

    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let session = r.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(session.len(), 43, "256-bit token, base64url");
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with(&format!("orgpass_session={session};")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }

    // Bearer and cookie are the same secret.
    let me = c.get("/api/v1/me", Some(&session));
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["account"]["email"], email);
    assert_eq!(me.json()["organizations"], json!([]));
    assert!(
        me.round_trips() <= 2,
        "GET /api/v1/me used {} round trips",
        me.round_trips()
    );
    let by_cookie = c.send(
        "GET",
        "/api/v1/me",
        &[("cookie", &format!("orgpass_session={session}"))],
        None,
    );
    assert_eq!(by_cookie.status, 200);

    // Logging out with the bearer token ends the cookie too.
    let r = c.send(
        "DELETE",
        "/api/v1/sessions/current",
        &[("authorization", &format!("Bearer {session}"))],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let after = c.send(
        "GET",
        "/api/v1/me",
        &[("cookie", &format!("orgpass_session={session}"))],
        None,
    );
    assert_eq!(
        (after.status, after.code().as_str()),
        (401, "unauthenticated")
    );
}

fn sign_up_refuses_bad_input_and_writes_nothing(w: &World) {
    let c = w.client();
    let email = unique_email("bad");
    let post = |body: &str, content_type: &str| {
        c.send(
            "POST",
            "/api/v1/accounts",
            &[("content-type", content_type)],
            Some(body),
        )
    };
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (
            "{not json".into(),
            "application/json",
            400,
            "invalid_request",
        ),
        (
            json!({"email": 5, "password": PASSWORD, "name": "A"}).to_string(),
            "application/json",
            400,
            "invalid_request",
        ),
        (
            json!({"email": email, "name": "A"}).to_string(),
            "application/json",
            400,
            "invalid_request",
        ),
        (
            json!({"email": "not-an-email", "password": PASSWORD, "name": "A"}).to_string(),
            "application/json",
            400,
            "invalid_email",
        ),
        (
            json!({"email": email, "password": "short", "name": "A"}).to_string(),
            "application/json",
            400,
            "password_too_short",
        ),
        (
            json!({"email": email, "password": PASSWORD, "name": "  "}).to_string(),
            "application/json",
            400,
            "invalid_name",
        ),
        (
            json!({"email": "x", "password": "y", "name": ""}).to_string(),
            "application/json",
            400,
            "invalid_request",
        ),
        (
            format!("email={email}&password=x&name=y"),
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
        (
            json!({"email": email, "password": PASSWORD, "name": "x".repeat(70 * 1024)})
                .to_string(),
            "application/json",
            413,
            "too_large",
        ),
    ];
    for (body, content_type, status, code) in cases {
        let r = post(&body, content_type);
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{}",
            &body[..body.len().min(80)]
        );
    }
    let r = post(
        &json!({"email": "nope", "password": "short", "name": "A"}).to_string(),
        "application/json",
    );
    let fields = &r.json()["error"]["fields"];
    assert!(
        fields["email"].is_string() && fields["password"].is_string(),
        "{}",
        r.body
    );
    assert!(fields.get("name").is_none());

    let mail = c.get(&format!("/dev/mail?to={}", crate::urlencode(&email)), None);
    assert_eq!(
        mail.json()["messages"],
        json!([]),
        "a refused sign-up sends nothing"
    );
    let login = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(
        login.code(),
        "invalid_credentials",
        "and creates no account"
    );
}

fn email_taken_case_insensitively(w: &World) {
    let c = w.client();
    let email = unique_email("taken");
    let body = |e: &str| json!({"email": e, "password": PASSWORD, "name": "A"});
    assert_eq!(
        c.json("POST", "/api/v1/accounts", None, &body(&email))
            .status,
        201
    );
    let again = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &body(&email.to_uppercase()),
    );
    assert_eq!((again.status, again.code().as_str()), (409, "email_taken"));
    let mail = c.get(&format!("/dev/mail?to={}", crate::urlencode(&email)), None);
    assert_eq!(mail.json()["messages"].as_array().unwrap().len(), 1);
}

fn verification_tokens_are_single_use(w: &World) {
    let c = w.client();
    let email = unique_email("verify");
    c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": PASSWORD, "name": "A"}),
    );
    let token = mailed_token(&c, &email);
    let verify = |t: &str| {
        c.json(
            "POST",
            "/api/v1/accounts/verify-email",
            None,
            &json!({ "token": t }),
        )
    };
    assert_eq!(verify(&token).status, 200);
    let again = verify(&token);
    assert_eq!((again.status, again.code().as_str()), (410, "token_used"));
    let unknown = verify("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        (unknown.status, unknown.code().as_str()),
        (400, "invalid_token")
    );
    let garbage = verify("../../etc/passwd");
    assert_eq!(
        (garbage.status, garbage.code().as_str()),
        (400, "invalid_token")
    );
    // The page answers the same way, in HTML.
    let page = c.get(&format!("/verify-email?token={token}"), None);
    assert_eq!(page.status, 410);
    assert!(page.body.contains("already used"), "{}", page.body);
}

fn unknown_email_and_wrong_password_answer_alike(w: &World) {
    let c = w.client();
    let email = unique_email("alike");
    verified_session(&c, &email);
    let wrong = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": "wrong password!"}),
    );
    let unknown = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": unique_email("nobody"), "password": "wrong password!"}),
    );
    assert_eq!(
        (wrong.status, wrong.code().as_str()),
        (401, "invalid_credentials")
    );
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.status, unknown.status);
    assert!(wrong.header("set-cookie").is_none());
}

fn unverified_email_is_refused_only_with_the_right_password(w: &World) {
    let c = w.client();
    let email = unique_email("unverified");
    c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": PASSWORD, "name": "A"}),
    );
    let wrong = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": "not the password"}),
    );
    assert_eq!(wrong.code(), "invalid_credentials");
    let right = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(
        (right.status, right.code().as_str()),
        (403, "email_not_verified")
    );
}

/// The 15-minute window (aligned to the epoch) of the failure counters, now.
fn window() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        / 900_000
}

/// Runs a rate-limit scenario inside one counting window: one that straddles a window
/// boundary (counters start afresh there, by design) is run again with fresh data.
fn in_one_window(scenario: impl Fn() -> Result<(), String>) {
    for _ in 0..2 {
        let start = window();
        let outcome = scenario();
        if window() == start {
            return outcome.unwrap_or_else(|e| panic!("{e}"));
        }
    }
    panic!("two runs straddled a window boundary");
}

fn failed_logins_are_limited_per_account(w: &World) {
    in_one_window(|| limited_per_account(w));
}

fn limited_per_account(w: &World) -> Result<(), String> {
    let c = w.client();
    let email = unique_email("limit");
    verified_session(&c, &email);
    for i in 0..10 {
        // Different addresses: the account limit, not the IP limit, is under test.
        let mut other = c.clone();
        other.ip = format!("192.0.2.{}", i + 1);
        let r = other.json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": email, "password": "wrong password!"}),
        );
        assert_eq!(r.code(), "invalid_credentials", "attempt {i}");
    }
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email.to_uppercase(), "password": PASSWORD}),
    );
    if r.status != 429 {
        return Err(format!("expected 429, got {} {}", r.status, r.body));
    }
    assert_eq!(r.code(), "rate_limited");
    let wait: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    Ok(())
}

fn failed_logins_are_limited_per_ip(w: &World) {
    in_one_window(|| limited_per_ip(w));
}

fn limited_per_ip(w: &World) -> Result<(), String> {
    let c = w.client();
    let email = unique_email("iplimit");
    let session = verified_session(&c, &email);
    assert!(!session.is_empty());
    for i in 0..50 {
        let r = c.json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": format!("stranger{i}-{email}"), "password": "wrong password!"}),
        );
        assert_eq!(r.code(), "invalid_credentials", "attempt {i}");
    }
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    if r.status != 429 {
        return Err(format!("expected 429, got {} {}", r.status, r.body));
    }
    assert_eq!(r.code(), "rate_limited");
    assert!(r.header("retry-after").is_some());
    let elsewhere = w.client();
    let r = elsewhere.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "another address is not limited: {}", r.body);
    Ok(())
}

fn cookie_writes_must_come_from_this_origin(w: &World) {
    let c = w.client();
    let session = verified_session(&c, &unique_email("csrf"));
    let cookie = format!("orgpass_session={session}");
    let body = json!({"name": "Evil Corp", "product": "tracker"}).to_string();
    let post = |extra: &[(&str, &str)]| {
        let mut headers = vec![
            ("cookie", cookie.as_str()),
            ("content-type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        c.send("POST", "/api/v1/orgs", &headers, Some(&body))
    };
    let none = post(&[]);
    assert_eq!((none.status, none.code().as_str()), (403, "csrf"));
    let foreign = post(&[("origin", "https://evil.example")]);
    assert_eq!((foreign.status, foreign.code().as_str()), (403, "csrf"));
    let foreign_referer = post(&[("referer", "https://evil.example/page")]);
    assert_eq!(foreign_referer.code(), "csrf");
    let me = c.get("/api/v1/me", Some(&session));
    assert_eq!(me.json()["organizations"], json!([]), "nothing was created");

    let own = c.base.clone();
    assert_eq!(post(&[("origin", &own)]).status, 201);
    assert_eq!(post(&[("referer", &format!("{own}/orgs/new"))]).status, 201);
    // Bearer requests need no Origin: browsers never attach bearer tokens by themselves.
    let bearer = c.json(
        "POST",
        "/api/v1/orgs",
        Some(&session),
        &json!({"name": "B", "product": "chat"}),
    );
    assert_eq!(bearer.status, 201);
    // Logout by cookie follows the same rule.
    let out = c.send(
        "DELETE",
        "/api/v1/sessions/current",
        &[("cookie", &cookie)],
        None,
    );
    assert_eq!(out.code(), "csrf");
    let out = c.send(
        "DELETE",
        "/api/v1/sessions/current",
        &[("cookie", &cookie), ("origin", &own)],
        None,
    );
    assert_eq!(out.status, 204);
}

fn me_needs_a_live_session(w: &World) {
    let c = w.client();
    for auth in [
        None,
        Some("Bearer nonsense"),
        Some("Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", *a)).collect();
        let r = c.send("GET", "/api/v1/me", &headers, None);
        assert_eq!(
            (r.status, r.code().as_str()),
            (401, "unauthenticated"),
            "{auth:?}"
        );
    }
}
