//! Two-step verification over the API: enrolment, the login's second step with codes
//! computed by OATH Toolkit's `oathtool` (an RFC 6238 implementation that shares no
//! code with ours), recovery codes, the attempt limit, turning it off, and
//! organizations that require it.

use std::process::Command;

use serde_json::{json, Value};

use crate::{
    client::{Client, Resp},
    last_mail,
    security::parallel,
    team::{joined, org_with_admin},
    verified_session, World, PASSWORD,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "two_step::enrol_then_log_in_with_a_code_each_accepted_once",
        enrol_and_log_in,
    ),
    (
        "two_step::five_wrong_codes_end_the_second_step",
        five_wrong_codes,
    ),
    (
        "two_step::one_code_in_parallel_logs_in_once",
        parallel_codes,
    ),
    ("two_step::turning_it_off_needs_a_code", turn_off),
    (
        "two_step::an_organization_can_require_it_of_normal_members",
        organization_requires_it,
    ),
];

fn email(tag: &str) -> String {
    crate::unique_email(tag).to_lowercase()
}

/// The code `oathtool` computes for `secret`, `steps` steps from now.
pub fn oathtool(secret: &str, steps: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = i64::try_from(now).unwrap() + steps * 30;
    let out = Command::new("oathtool")
        .args(["--totp", "-b", "--now", &format!("@{at}"), secret])
        .output()
        .expect("oathtool (make test installs Debian's oathtool)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A 6-digit code that is no accepted step's around now.
pub fn wrong_code(secret: &str) -> String {
    let near: Vec<String> = (-2..=2).map(|s| oathtool(secret, s)).collect();
    (0..10u32)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

/// Turns two-step verification on for the session; the secret and recovery codes.
pub fn enrol(c: &Client, token: &str) -> (String, Vec<String>) {
    let r = c.json("POST", "/api/v1/me/two-step", Some(token), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    let r = c.json(
        "POST",
        "/api/v1/me/two-step/confirm",
        Some(token),
        &json!({ "code": oathtool(&secret, 0) }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let codes = r.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// The second-step token of a login with the right password.
pub fn challenge(c: &Client, email: &str) -> String {
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["two_step_required"], true);
    assert!(
        body.get("token").is_none(),
        "no session before the second step"
    );
    assert!(r.header("set-cookie").is_none());
    body["two_step_token"].as_str().unwrap().to_owned()
}

pub fn second_step(c: &Client, token: &str, code: &str) -> Resp {
    c.json(
        "POST",
        "/api/v1/sessions/two-step",
        None,
        &json!({"two_step_token": token, "code": code}),
    )
}

fn me(c: &Client, token: &str) -> Value {
    let r = c.get("/api/v1/me", Some(token));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn enrol_and_log_in(w: &World) {
    // Its own Worker: the test reads D1 directly (see `self_service::managed_session`).
    let c = w.other_client("two-step", &[]);
    let address = email("TwoStep");
    let token = verified_session(&c, &address);
    assert_eq!(me(&c, &token)["account"]["two_step_enabled"], false);

    let r = c.json("POST", "/api/v1/me/two-step", Some(&token), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/orgpass%3A"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=orgpass"));
    // Not on until confirmed: the password alone still logs in.
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": address, "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    let confirm = |code: &str| {
        c.json(
            "POST",
            "/api/v1/me/two-step/confirm",
            Some(&token),
            &json!({ "code": code }),
        )
    };
    let r = confirm(&wrong_code(&secret));
    assert_eq!(
        (r.status, r.code()),
        (400, "invalid_code".into()),
        "{}",
        r.body
    );
    let now_code = oathtool(&secret, 0);
    let r = confirm(&now_code);
    assert_eq!(r.status, 200, "{}", r.body);
    let codes: Vec<String> = r.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.len() == 19), "{codes:?}");
    assert_eq!(me(&c, &token)["account"]["two_step_enabled"], true);
    assert_eq!(
        last_mail(&c, &address)["subject"],
        "Two-step verification is on for your orgpass account"
    );
    let r = c.json("POST", "/api/v1/me/two-step", Some(&token), &json!({}));
    assert_eq!((r.status, r.code()), (409, "two_step_enabled".into()));
    let stored = w.other_query(
        "two-step",
        &format!(
            "SELECT count(*) AS n FROM recovery_codes r JOIN accounts a ON a.id = r.account_id \
         WHERE a.email = '{address}' AND r.code_hash = '{}'",
            codes[0]
        ),
    );
    assert_eq!(stored[0]["n"], 0, "recovery codes are stored hashed");

    // The code that confirmed the enrolment was used: the next step's code logs in.
    let t = challenge(&c, &address);
    let r = second_step(&c, &t, &now_code);
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.body
    );
    let next = oathtool(&secret, 1);
    let r = second_step(&c, &t, &next);
    assert_eq!(r.status, 201, "{}", r.body);
    let session = r.json()["token"].as_str().unwrap().to_owned();
    assert!(r
        .header("set-cookie")
        .unwrap()
        .starts_with("orgpass_session="));
    me(&c, &session);
    // The challenge is spent, and the code works once.
    let r = second_step(&c, &t, &oathtool(&secret, 1));
    assert_eq!((r.status, r.code()), (401, "invalid_token".into()));
    let t = challenge(&c, &address);
    let r = second_step(&c, &t, &next);
    assert_eq!((r.status, r.code()), (401, "invalid_code".into()));

    // A recovery code once ever (typed any way).
    let r = second_step(&c, &t, &codes[3].to_uppercase().replace('-', " "));
    assert_eq!(r.status, 201, "{}", r.body);
    let t = challenge(&c, &address);
    let r = second_step(&c, &t, &codes[3]);
    assert_eq!((r.status, r.code()), (401, "invalid_code".into()));
    let r = second_step(&c, &t, &codes[4]);
    assert_eq!(r.status, 201, "{}", r.body);
}

fn five_wrong_codes(w: &World) {
    let c = w.client();
    let address = email("FiveWrong");
    let token = verified_session(&c, &address);
    let (secret, _) = enrol(&c, &token);
    let t = challenge(&c, &address);
    let right = oathtool(&secret, 1);
    let wrong = wrong_code(&secret);
    for _ in 0..5 {
        let r = second_step(&c, &t, &wrong);
        assert_eq!(
            (r.status, r.code()),
            (401, "invalid_code".into()),
            "{}",
            r.body
        );
    }
    let r = second_step(&c, &t, &right);
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_token".into()),
        "{}",
        r.body
    );
    // A new login gets a new challenge.
    let t = challenge(&c, &address);
    assert_eq!(second_step(&c, &t, &right).status, 201);
    let r = second_step(&c, "not-a-token", &right);
    assert_eq!((r.status, r.code()), (401, "invalid_token".into()));
}

fn parallel_codes(w: &World) {
    let c = w.client();
    let address = email("ParallelCode");
    let token = verified_session(&c, &address);
    let (secret, _) = enrol(&c, &token);
    let challenges: Vec<String> = (0..6).map(|_| challenge(&c, &address)).collect();
    let code = oathtool(&secret, 1);
    let base = c.base.clone();
    let results = parallel(6, move |i| {
        let c = Client::new(&base);
        second_step(&c, &challenges[i], &code).status
    });
    let mut sorted = results.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [201, 401, 401, 401, 401, 401], "{results:?}");
}

fn turn_off(w: &World) {
    let c = w.client();
    let address = email("TurnOff");
    let token = verified_session(&c, &address);
    let off = |code: &str| {
        c.json(
            "DELETE",
            "/api/v1/me/two-step",
            Some(&token),
            &json!({ "code": code }),
        )
    };
    let r = off("123456");
    assert_eq!((r.status, r.code()), (409, "two_step_disabled".into()));
    let r = c.json(
        "POST",
        "/api/v1/me/two-step/confirm",
        Some(&token),
        &json!({"code": "123456"}),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "two_step_disabled".into()),
        "nothing to confirm"
    );
    let (secret, codes) = enrol(&c, &token);
    let r = off("12345");
    assert_eq!((r.status, r.code()), (400, "invalid_code".into()));
    let r = off(&oathtool(&secret, 0));
    assert_eq!(
        (r.status, r.code()),
        (400, "invalid_code".into()),
        "the confirming code was used"
    );
    assert_eq!(me(&c, &token)["account"]["two_step_enabled"], true);
    let r = off(&codes[0]);
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(me(&c, &token)["account"]["two_step_enabled"], false);
    assert_eq!(
        last_mail(&c, &address)["subject"],
        "Two-step verification is off for your orgpass account"
    );
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": address, "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "the password alone again: {}", r.body);
    // The recovery codes went with it: after enrolling again the old ones open nothing.
    let (_, fresh) = enrol(&c, &token);
    assert!(!fresh.contains(&codes[1]));
    let t = challenge(&c, &address);
    let r = second_step(&c, &t, &codes[1]);
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.body
    );
    assert_eq!(second_step(&c, &t, &fresh[0]).status, 201);
}

fn organization_requires_it(w: &World) {
    let c = w.client();
    let (key, admin) = org_with_admin(&c, "Requires");
    let member = joined(&c, &admin.token, &key, "member", "NoTwoStep");
    let leaver = joined(&c, &admin.token, &key, "member", "Leaver");
    let require = |on: bool| {
        c.json(
            "PATCH",
            &format!("/api/v1/orgs/{key}"),
            Some(&admin.token),
            &json!({ "require_two_step": on }),
        )
    };
    let r = require(true);
    assert_eq!(
        (r.status, r.code()),
        (409, "two_step_not_enabled".into()),
        "{}",
        r.body
    );
    enrol(&c, &admin.token);
    let r = require(true);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["org"]["require_two_step"], true);

    // A member without it: refused on the organization's routes, not elsewhere.
    for path in [
        format!("/api/v1/orgs/{key}"),
        format!("/api/v1/orgs/{key}/members"),
        format!("/api/v1/orgs/{key}/projects"),
    ] {
        let r = c.get(&path, Some(&member.token));
        assert_eq!(
            (r.status, r.code()),
            (403, "two_step_required".into()),
            "{path}: {}",
            r.body
        );
    }
    me(&c, &member.token);
    let page = c.send(
        "GET",
        &format!("/orgs/{key}/settings/members"),
        &[("cookie", &format!("orgpass_session={}", member.token))],
        None,
    );
    assert_eq!(page.status, 403);
    assert!(
        page.body.contains("Two-step verification required")
            && page.body.contains("/account#two-step")
    );
    // Leaving stays possible.
    let r = c.json(
        "DELETE",
        &format!("/api/v1/orgs/{key}/members/me"),
        Some(&leaver.token),
        &json!({}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    // (Managed accounts are exempt: self_service::a_managed_account_changes_only_its_name.)
    // Enrolled, the member is back in.
    enrol(&c, &member.token);
    assert_eq!(
        c.get(&format!("/api/v1/orgs/{key}"), Some(&member.token))
            .status,
        200
    );
    // The administrator turns it off again.
    let r = require(false);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["org"]["require_two_step"], false);
}
