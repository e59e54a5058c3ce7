//! The SSO add-on ("Pass"): application, operator decisions, the development checkout,
//! Stripe-signed webhooks, cancellation, and the Cron driven at chosen times.
//!
//! Webhooks are signed here with `hmac`/`sha2` directly, following Stripe's published
//! scheme, not with orgpass's own signing function.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{
    client::{Client, Resp},
    create_org, last_mail, unique_email, urlencode, verified_session, World, PASSWORD,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "pass::application_and_operator_decisions",
        application_and_operator_decisions,
    ),
    (
        "pass::checkout_webhooks_and_cancel",
        checkout_webhooks_and_cancel,
    ),
    (
        "pass::cron_enforces_trials_and_cancellations",
        cron_enforces_trials_and_cancellations,
    ),
    (
        "pass::operator_routes_need_the_token",
        operator_routes_need_the_token,
    ),
    (
        "pass::stripe_checkout_and_cancel_requests",
        stripe_checkout_and_cancel_requests,
    ),
];

/// `.dev.vars`
const OPERATOR: &str = "dev-operator-token-not-secret";
const WEBHOOK_SECRET: &[u8] = b"whsec_development_not_secret";
const DAY_MS: i64 = 24 * 3600 * 1000;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn ms_of(rfc3339: &Value) -> i64 {
    // "YYYY-MM-DDTHH:MM:SSZ" -> ms, by the civil-date arithmetic (test-side, independent).
    let s = rfc3339
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {rfc3339}"));
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400) + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)) * 1000
}

pub fn operator(c: &Client, method: &str, path: &str, body: Option<&Value>) -> Resp {
    let auth = format!("Bearer {OPERATOR}");
    let mut headers = vec![("authorization", auth.as_str())];
    let text = body.map(Value::to_string);
    if text.is_some() {
        headers.push(("content-type", "application/json"));
    }
    c.send(method, path, &headers, text.as_deref())
}

fn apply(c: &Client, token: &str, key: &str, admin_email: &str) -> Resp {
    c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/application"),
        Some(token),
        &json!({"admin_name": "Pat Admin", "admin_email": admin_email, "company_name": "Acme Ltd", "space_key": key}),
    )
}

/// An organization of a new administrator, with its add-on applied for and approved.
/// Also returns the administrator's login email last.
pub fn org_in_trial(c: &Client) -> (String, String, String, i64, String) {
    let admin_email = unique_email("planadmin");
    let login = unique_email("passadmin");
    let token = verified_session(c, &login);
    let key = create_org(c, &token, "Pass Org", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(apply(c, &token, &key, &admin_email).status, 201);
    let r = operator(
        c,
        "POST",
        &format!("/api/v1/operator/pass/applications/{key}/approve"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let ends = ms_of(&r.json()["pass"]["trial_ends_at"]);
    (token, key, admin_email, ends, login)
}

/// A fresh session for `email` (a Cron run far in the future purges sessions that
/// have expired by then, as it should; the test's clock has not moved).
pub fn log_in(c: &Client, email: &str) -> String {
    log_in_with(c, email, PASSWORD)
}

/// A session for `email` with `password`.
pub fn log_in_with(c: &Client, email: &str, password: &str) -> String {
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": password}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["token"].as_str().unwrap().to_owned()
}

fn pass_of(c: &Client, token: &str, key: &str) -> Value {
    let r = c.get(&format!("/api/v1/orgs/{key}/pass"), Some(token));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["pass"].clone()
}

fn signed_webhook(c: &Client, event: &Value, timestamp: i64, secret: &[u8]) -> Resp {
    let body = event.to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let signature = format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    );
    c.send(
        "POST",
        "/api/v1/billing/webhook",
        &[
            ("content-type", "application/json"),
            ("stripe-signature", &signature),
        ],
        Some(&body),
    )
}

fn application_and_operator_decisions(w: &World) {
    // Its own Worker: the test reads D1 directly (see `self_service::managed_session`).
    let c = w.other_client("operator", &[]);
    let token = verified_session(&c, &unique_email("applicant"));
    let key = create_org(&c, &token, "Applicant Org", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(pass_of(&c, &token, &key)["status"], "none");
    let admin_email = unique_email("planadmin");

    let wrong_key = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/application"),
        Some(&token),
        &json!({"admin_name": "Pat", "admin_email": admin_email, "company_name": "Acme", "space_key": "ZZZZZZZZZZ"}),
    );
    assert_eq!(
        (wrong_key.status, wrong_key.code().as_str()),
        (400, "space_key_mismatch")
    );
    let bad_email = apply(&c, &token, &key, "not-an-email");
    assert_eq!(bad_email.code(), "invalid_email");
    assert!(bad_email.json()["error"]["fields"]["admin_email"].is_string());
    assert_eq!(
        pass_of(&c, &token, &key)["status"],
        "none",
        "refusals change nothing"
    );

    let eve = verified_session(&c, &unique_email("eve"));
    assert_eq!(
        apply(&c, &eve, &key, &admin_email).status,
        404,
        "another organization's add-on is invisible"
    );

    let r = apply(&c, &token, &key, &admin_email);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["pass"]["status"], "applied");
    let mail = last_mail(&c, &admin_email);
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .contains("single sign-on application"),
        "{mail}"
    );
    let again = apply(&c, &token, &key, &admin_email);
    assert_eq!(
        (again.status, again.code().as_str()),
        (409, "pass_already_applied")
    );
    let upgrade = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/upgrade"),
        Some(&token),
        &json!({}),
    );
    assert_eq!(
        (upgrade.status, upgrade.code().as_str()),
        (409, "pass_not_eligible")
    );

    let list = operator(
        &c,
        "GET",
        "/api/v1/operator/pass/applications?status=applied",
        None,
    );
    assert_eq!(list.status, 200);
    let ours = list.json()["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["space_key"] == key.as_str())
        .cloned()
        .unwrap();
    assert_eq!(ours["admin_email"], admin_email.as_str());
    assert_eq!(ours["company_name"], "Acme Ltd");

    let approved = operator(
        &c,
        "POST",
        &format!("/api/v1/operator/pass/applications/{key}/approve"),
        None,
    );
    assert_eq!(approved.status, 200, "{}", approved.body);
    let pass = &approved.json()["pass"];
    assert_eq!(pass["status"], "trial");
    let days = (ms_of(&pass["trial_ends_at"]) - now_ms()) as f64 / DAY_MS as f64;
    assert!((29.9..=30.0).contains(&days), "trial of {days} days");
    assert_eq!(pass_of(&c, &token, &key)["status"], "trial");
    for action in ["approve", "reject"] {
        let r = operator(
            &c,
            "POST",
            &format!("/api/v1/operator/pass/applications/{key}/{action}"),
            None,
        );
        assert_eq!(
            (r.status, r.code().as_str()),
            (409, "pass_not_applied"),
            "{action}"
        );
    }
    let extended = operator(
        &c,
        "PATCH",
        &format!("/api/v1/operator/orgs/{key}/pass"),
        Some(&json!({"trial_ends_at": "2099-01-01T00:00:00Z"})),
    );
    assert_eq!(extended.status, 200, "{}", extended.body);
    assert_eq!(
        extended.json()["pass"]["trial_ends_at"],
        "2099-01-01T00:00:00Z"
    );
    let bad_time = operator(
        &c,
        "PATCH",
        &format!("/api/v1/operator/orgs/{key}/pass"),
        Some(&json!({"trial_ends_at": "soon"})),
    );
    assert_eq!(bad_time.code(), "invalid_time");
    let unknown = operator(
        &c,
        "POST",
        "/api/v1/operator/pass/applications/ZZZZZZZZZZ/approve",
        None,
    );
    assert_eq!(unknown.status, 404);
    let audit = w.other_query(
        "operator",
        &format!(
        "SELECT actor, action, detail FROM operator_audit WHERE space_key = '{key}' ORDER BY id"
    ),
    );
    let actions: Vec<&str> = audit
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["approve", "set_trial_end"],
        "refused actions are not recorded"
    );
    assert!(audit[0]["actor"]
        .as_str()
        .unwrap()
        .starts_with("operator-token@"));
    assert!(audit[0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("applied -> trial until "));

    // A rejected organization cannot pay, and may apply again.
    let token2 = verified_session(&c, &unique_email("rejected"));
    let key2 = create_org(&c, &token2, "Rejected Org", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(apply(&c, &token2, &key2, &admin_email).status, 201);
    let rejected = operator(
        &c,
        "POST",
        &format!("/api/v1/operator/pass/applications/{key2}/reject"),
        None,
    );
    assert_eq!(rejected.json()["pass"]["status"], "rejected");
    let upgrade = c.json(
        "POST",
        &format!("/api/v1/orgs/{key2}/pass/upgrade"),
        Some(&token2),
        &json!({}),
    );
    assert_eq!(upgrade.code(), "pass_not_eligible");
    assert_eq!(apply(&c, &token2, &key2, &admin_email).status, 201);
}

/// Pays through the development checkout as a browser would (form GET, then POST).
fn pay_by_dev_checkout(c: &Client, token: &str, key: &str) {
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/upgrade"),
        Some(token),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let url = r.json()["checkout_url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{}/dev/checkout?org={key}", c.base));
    let cookie = format!("orgpass_session={token}");
    let page = c.send(
        "GET",
        &format!("/dev/checkout?org={key}"),
        &[("cookie", &cookie)],
        None,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = crate::csrf_in(&page.body);
    let done = c.send(
        "POST",
        "/dev/checkout",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", &cookie),
            ("origin", &c.base),
        ],
        Some(&format!("csrf={csrf}&org={key}")),
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.header("location").unwrap(),
        format!("/orgs/{key}/settings/plan?upgraded=1")
    );
}

fn checkout_webhooks_and_cancel(w: &World) {
    let c = w.client();
    let (token, key, _, _, _) = org_in_trial(&c);
    pay_by_dev_checkout(&c, &token, &key);
    let pass = pass_of(&c, &token, &key);
    assert_eq!(pass["status"], "active");
    let period_end = ms_of(&pass["current_period_end"]);
    assert!(
        (period_end - now_ms() - 30 * DAY_MS).abs() < 60_000,
        "a month paid"
    );

    let now_s = now_ms() / 1000;
    let later = now_s + 60 * 86_400;
    let invoice = json!({
        "id": format!("evt_test_{}", unique_email("evt").replace(['@', '.'], "_")),
        "type": "invoice.paid",
        "data": {"object": {"customer": format!("cus_dev_{key}"), "lines": {"data": [{"period": {"start": now_s, "end": later}}]}}},
    });
    let forged = signed_webhook(&c, &invoice, now_s, b"whsec_wrong");
    assert_eq!(
        (forged.status, forged.code().as_str()),
        (400, "invalid_signature")
    );
    let stale = signed_webhook(&c, &invoice, now_s - 600, WEBHOOK_SECRET);
    assert_eq!(
        (stale.status, stale.code().as_str()),
        (400, "invalid_signature")
    );
    let unsigned = c.send(
        "POST",
        "/api/v1/billing/webhook",
        &[("content-type", "application/json")],
        Some(&invoice.to_string()),
    );
    assert_eq!(unsigned.code(), "invalid_signature");
    assert_eq!(
        ms_of(&pass_of(&c, &token, &key)["current_period_end"]),
        period_end,
        "nothing changed"
    );

    let paid = signed_webhook(&c, &invoice, now_s, WEBHOOK_SECRET);
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json()["pass_status"], "active");
    assert_eq!(
        ms_of(&pass_of(&c, &token, &key)["current_period_end"]),
        later * 1000
    );
    let replay = signed_webhook(&c, &invoice, now_s, WEBHOOK_SECRET);
    assert_eq!(replay.status, 200);
    assert_eq!(replay.json()["duplicate"], true);

    let stranger = json!({"id": "evt_unknown_org", "type": "checkout.session.completed",
        "data": {"object": {"client_reference_id": "ZZZZZZZZZZ", "customer": "cus_nobody"}}});
    // Signed events orgpass cannot act on are acknowledged (else Stripe retries them for
    // days) and recorded: about no organization here, or a move the state refuses.
    let r = signed_webhook(&c, &stranger, now_s, WEBHOOK_SECRET);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["ignored"], true);
    let r = signed_webhook(&c, &stranger, now_s, WEBHOOK_SECRET);
    assert_eq!(r.json()["duplicate"], true, "recorded: {}", r.body);
    let other_token = verified_session(&c, &unique_email("nopass"));
    let unpaid = create_org(&c, &other_token, "Never Applied", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = json!({"id": format!("evt_refused_{unpaid}"), "type": "checkout.session.completed",
        "data": {"object": {"client_reference_id": unpaid, "customer": "cus_refused"}}});
    let r = signed_webhook(&c, &refused, now_s, WEBHOOK_SECRET);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["ignored"], true);
    assert_eq!(
        pass_of(&c, &other_token, &unpaid)["status"],
        "none",
        "nothing changed"
    );
    let other = json!({"id": format!("evt_other_{key}"), "type": "customer.created", "data": {"object": {}}});
    assert_eq!(
        signed_webhook(&c, &other, now_s, WEBHOOK_SECRET).json()["ignored"],
        true
    );

    let cancel = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/cancel"),
        Some(&token),
        &json!({}),
    );
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    let pass = &cancel.json()["pass"];
    assert_eq!(
        pass["status"], "active",
        "cancel keeps the add-on until the period ends"
    );
    assert_eq!(pass["cancel_at"], pass["current_period_end"]);
    let twice = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/cancel"),
        Some(&token),
        &json!({}),
    );
    assert_eq!(
        (twice.status, twice.code().as_str()),
        (409, "pass_already_canceled")
    );
}

/// Seeds a managed account of `key` with a session; returns (email, session token).
fn seed_managed(w: &World, server: &str, key: &str) -> (String, String) {
    let email = unique_email("managed").replace("@example.com", "@corp.example");
    let id = format!(
        "acct_seed_{}",
        hex::encode(Sha256::digest(email.as_bytes()))
    )
    .chars()
    .take(40)
    .collect::<String>();
    let token: String = hex::encode(Sha256::digest(format!("session {email}").as_bytes()))
        .chars()
        .take(43)
        .collect();
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    let now = now_ms();
    let sql = format!(
        "INSERT INTO accounts (id, email, name, password_hash, managed_by, email_verified_at, created_at) \
         VALUES ('{id}', '{email}', 'Managed Person', NULL, '{key}', {now}, {now}); \
         INSERT INTO memberships (space_key, account_id, role, can_invite, created_at) VALUES ('{key}', '{id}', 'member', 0, {now}); \
         INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ('{hash}', '{id}', {now}, {});",
        // Long-lived, so that only the add-on's state can end it in this test.
        now + 400 * DAY_MS
    );
    w.other_sql(server, &sql);
    (email, token)
}

pub fn cron(c: &Client, at_ms: i64) {
    let r = c.get(
        &format!("/cdn-cgi/handler/scheduled?cron=0+*+*+*+*&time={at_ms}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

fn mail_count(c: &Client, to: &str, subject_part: &str) -> usize {
    let r = c.get(&format!("/dev/mail?to={}", urlencode(to)), None);
    r.json()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().contains(subject_part))
        .count()
}

fn cron_enforces_trials_and_cancellations(w: &World) {
    // Its own Worker: running the Cron in the future touches every organization.
    const SERVER: &str = "pass-cron";
    let c = w.other_client(SERVER, &[]);
    let (_, key, admin_email, trial_end, login) = org_in_trial(&c);
    let (managed_email, managed) = seed_managed(w, SERVER, &key);
    assert_eq!(
        c.get("/api/v1/me", Some(&managed)).status,
        200,
        "a managed account works during the trial"
    );

    cron(&c, trial_end - 7 * DAY_MS + 60_000);
    cron(&c, trial_end - 7 * DAY_MS + 120_000);
    assert_eq!(
        mail_count(&c, &admin_email, "ends in 7 days"),
        1,
        "one 7-day reminder, however often the Cron runs"
    );
    cron(&c, trial_end - DAY_MS + 60_000);
    cron(&c, trial_end - DAY_MS + 60_000);
    assert_eq!(mail_count(&c, &admin_email, "ends tomorrow"), 1);
    let reminder = last_mail(&c, &admin_email);
    assert!(
        reminder["text"].as_str().unwrap().contains("Pass Org"),
        "{reminder}"
    );

    // The trial ends: the Cron writes it down and ends the managed sessions.
    cron(&c, trial_end + 60_000);
    let token = log_in(&c, &login);
    assert_eq!(pass_of(&c, &token, &key)["status"], "expired");
    assert_eq!(
        c.get("/api/v1/me", Some(&managed)).status,
        401,
        "managed sessions end with the trial"
    );
    assert_eq!(
        c.get("/api/v1/me", Some(&token)).status,
        200,
        "normal accounts keep working"
    );

    // Upgrading restores SSO; a new managed session works again.
    pay_by_dev_checkout(&c, &token, &key);
    let (_, managed2) = seed_managed(w, SERVER, &key);
    assert_eq!(c.get("/api/v1/me", Some(&managed2)).status, 200);

    // Shortening a trial takes effect at once, per request, before any Cron run.
    let (token3, key3, _, _, _) = org_in_trial(&c);
    let (_, managed3) = seed_managed(w, SERVER, &key3);
    assert_eq!(c.get("/api/v1/me", Some(&managed3)).status, 200);
    let past = "2020-01-01T00:00:00Z";
    let r = operator(
        &c,
        "PATCH",
        &format!("/api/v1/operator/orgs/{key3}/pass"),
        Some(&json!({"trial_ends_at": past})),
    );
    assert_eq!(r.json()["pass"]["status"], "expired", "{}", r.body);
    assert_eq!(c.get("/api/v1/me", Some(&managed3)).status, 401);
    assert_eq!(pass_of(&c, &token3, &key3)["status"], "expired");

    // Cancel: effective at the period end, when managed accounts become normal ones.
    let cancel = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/cancel"),
        Some(&token),
        &json!({}),
    );
    let cancel_at = ms_of(&cancel.json()["pass"]["cancel_at"]);
    cron(&c, cancel_at - 60_000);
    let token = log_in(&c, &login);
    assert_eq!(pass_of(&c, &token, &key)["status"], "active");
    cron(&c, cancel_at + 60_000);
    let token = log_in(&c, &login);
    assert_eq!(pass_of(&c, &token, &key)["status"], "canceled");
    assert_eq!(c.get("/api/v1/me", Some(&managed2)).status, 401);
    cron(&c, cancel_at + 120_000);
    assert_eq!(
        mail_count(&c, &managed_email, "Choose a password"),
        1,
        "one set-password email each, even over two runs"
    );
    let link = last_mail(&c, &managed_email)["links"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        link.starts_with(&format!("{}/set-password?token=", c.base)),
        "{link}"
    );
    let set_token = link.split("token=").nth(1).unwrap();
    let short = c.json(
        "POST",
        "/api/v1/accounts/set-password",
        None,
        &json!({"token": set_token, "password": "short"}),
    );
    assert_eq!(short.code(), "password_too_short");
    let set = c.json(
        "POST",
        "/api/v1/accounts/set-password",
        None,
        &json!({"token": set_token, "password": PASSWORD}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["account"]["managed"], false);
    let again = c.json(
        "POST",
        "/api/v1/accounts/set-password",
        None,
        &json!({"token": set_token, "password": PASSWORD}),
    );
    assert_eq!(again.code(), "token_used");
    let login = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": managed_email, "password": PASSWORD}),
    );
    assert_eq!(
        login.status, 201,
        "the former managed account logs in with its password: {}",
        login.body
    );
    let me = c
        .get("/api/v1/me", Some(login.json()["token"].as_str().unwrap()))
        .json();
    assert_eq!(
        me["organizations"][0]["space_key"],
        key.as_str(),
        "and is still a member"
    );
}

fn operator_routes_need_the_token(w: &World) {
    let c = w.client();
    let none = c.get("/api/v1/operator/pass/applications", None);
    assert_eq!(
        (none.status, none.code().as_str()),
        (401, "unauthenticated")
    );
    let wrong = c.send(
        "GET",
        "/api/v1/operator/pass/applications",
        &[("authorization", "Bearer wrong")],
        None,
    );
    assert_eq!(wrong.code(), "unauthenticated");
    // Without OPERATOR_TOKEN the routes do not exist.
    let p = w.production_client();
    let r = p.send(
        "GET",
        "/api/v1/operator/pass/applications",
        &[("authorization", &format!("Bearer {OPERATOR}"))],
        None,
    );
    assert_eq!(r.status, 404);
}

fn stripe_checkout_and_cancel_requests(w: &World) {
    let stripe = crate::capture::Capture::start(
        200,
        r#"{"id":"cs_test_1","url":"https://checkout.stripe.com/c/pay/cs_test_1"}"#,
    );
    let api = format!("{}/v1", stripe.base);
    let c = w.other_client(
        "stripe",
        &[
            ("PAYMENT_PROVIDER", "stripe"),
            ("STRIPE_SECRET_KEY", "sk_test_orgpass"),
            ("STRIPE_PRICE_ID", "price_pass_monthly"),
            ("STRIPE_API_BASE", &api),
        ],
    );
    let (token, key, admin_email, _, _) = org_in_trial(&c);

    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/upgrade"),
        Some(&token),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["checkout_url"],
        "https://checkout.stripe.com/c/pay/cs_test_1"
    );
    let session = stripe.wait_for(|r| r.path == "/v1/checkout/sessions");
    assert_eq!(session.method, "POST");
    assert_eq!(session.authorization, "Bearer sk_test_orgpass");
    assert!(session
        .content_type
        .starts_with("application/x-www-form-urlencoded"));
    for (field, value) in [
        ("mode", "subscription"),
        ("line_items[0][price]", "price_pass_monthly"),
        ("line_items[0][quantity]", "1"),
        ("client_reference_id", key.as_str()),
        ("metadata[space_key]", key.as_str()),
        ("subscription_data[metadata][space_key]", key.as_str()),
        ("customer_email", admin_email.as_str()),
    ] {
        assert_eq!(session.form(field).as_deref(), Some(value), "{field}");
    }
    assert!(session
        .form("success_url")
        .unwrap()
        .starts_with(&format!("{}/orgs/{key}/settings/plan", c.base)));

    // Stripe reports the payment; orgpass remembers the subscription to cancel it later.
    let now_s = now_ms() / 1000;
    let completed = json!({"id": format!("evt_cs_{key}"), "type": "checkout.session.completed",
        "data": {"object": {"client_reference_id": key, "customer": "cus_stripe_1", "subscription": "sub_stripe_1"}}});
    assert_eq!(
        signed_webhook(&c, &completed, now_s, WEBHOOK_SECRET).status,
        200
    );
    assert_eq!(pass_of(&c, &token, &key)["status"], "active");

    // A provider failure changes nothing and says so.
    stripe.answer(500, r#"{"error":{"message":"boom"}}"#);
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/cancel"),
        Some(&token),
        &json!({}),
    );
    assert_eq!((r.status, r.code().as_str()), (502, "upstream_unavailable"));
    assert!(pass_of(&c, &token, &key)["cancel_at"].is_null());

    stripe.answer(200, r#"{"id":"sub_stripe_1","cancel_at_period_end":true}"#);
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/pass/cancel"),
        Some(&token),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let cancel = stripe
        .all()
        .into_iter()
        .rfind(|r| r.path == "/v1/subscriptions/sub_stripe_1")
        .unwrap();
    assert_eq!(cancel.form("cancel_at_period_end").as_deref(), Some("true"));
    assert_eq!(cancel.authorization, "Bearer sk_test_orgpass");
}
