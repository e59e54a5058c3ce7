//! What every route shares: health, security headers, unknown routes and methods,
//! development-only routes, the Cron Trigger, form CSRF, and logs without secrets.

use serde_json::json;

use crate::{unique_email, verified_session, World, PASSWORD};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    ("platform::health", health),
    (
        "platform::d1_bookmarks_are_issued_honoured_and_read_your_writes_holds",
        d1_bookmarks,
    ),
    (
        "platform::security_headers_on_pages_and_api",
        security_headers_on_pages_and_api,
    ),
    (
        "platform::unknown_routes_and_methods",
        unknown_routes_and_methods,
    ),
    (
        "platform::production_hides_development_routes",
        production_hides_development_routes,
    ),
    (
        "platform::cron_runs_at_the_given_time",
        cron_runs_at_the_given_time,
    ),
    (
        "platform::forms_need_their_csrf_token",
        forms_need_their_csrf_token,
    ),
    ("platform::logs_carry_no_secrets", logs_carry_no_secrets),
];

fn health(w: &World) {
    let r = w.client().get("/healthz", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["ok"], true);
    assert!(r.json()["version"].is_string());
}

fn security_headers_on_pages_and_api(w: &World) {
    let c = w.client();
    for path in ["/", "/login", "/api/v1/me", "/nope"] {
        let r = c.get(path, None);
        let csp = r
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(r.header("referrer-policy").is_some(), "{path}");
        assert!(
            r.header("strict-transport-security").is_none(),
            "{path}: no HSTS in development"
        );
    }
    let page = c.get("/login", None);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let css = c.get("/static/orgpass.css", None);
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
}

fn unknown_routes_and_methods(w: &World) {
    let c = w.client();
    let r = c.get("/api/v1/nope", None);
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    let r = c.send("PUT", "/api/v1/me", &[], None);
    assert_eq!((r.status, r.code().as_str()), (405, "method_not_allowed"));
    let page = c.get("/no/such/page", None);
    assert_eq!(page.status, 404);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
}

fn production_hides_development_routes(w: &World) {
    let p = w.production_client();
    let r = p.get("/dev/mail?to=a@example.com", None);
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    assert_eq!(p.get("/dev/mailbox", None).status, 404);
    let r = p.get("/healthz", None);
    assert!(r
        .header("strict-transport-security")
        .unwrap()
        .contains("max-age="));
    assert!(r.header("x-orgpass-d1-round-trips").is_none());
    // Sign-up still works; the mail waits in the outbox for a provider.
    let s = p.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": unique_email("prod"), "password": PASSWORD, "name": "P"}),
    );
    assert_eq!(s.status, 201, "{}", s.body);
}

fn cron_runs_at_the_given_time(w: &World) {
    let c = w.client();
    let token = verified_session(&c, &unique_email("cron"));
    let out = c.send(
        "DELETE",
        "/api/v1/sessions/current",
        &[("authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(out.status, 204);
    // "now" for the run is the event's time: a minute from now in this run's log line.
    // (Further ahead would purge the live sessions of tests running beside this one.)
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 60_000;
    let r = c.get(
        &format!("/cdn-cgi/handler/scheduled?cron=0+*+*+*+*&time={time}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let expected = chrono_like(time);
    let log = wait_for_log(w, &format!("\"now\":\"{expected}"));
    let line = log
        .lines()
        .find(|l| l.contains(&expected) && l.contains("scheduled"))
        .unwrap();
    let purged: u64 = line
        .split("\"purged\":")
        .nth(1)
        .unwrap()
        .split([',', '}'])
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(purged >= 1, "the revoked session is purged: {line}");
}

/// `YYYY-MM-DDTHH:MM` of a Unix millisecond time (enough to find the log line).
fn chrono_like(ms: u128) -> String {
    let secs = (ms / 1000) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant), for the test only.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

fn wait_for_log(w: &World, needle: &str) -> String {
    for _ in 0..50 {
        let log = w.dev.log_text();
        if log.contains(needle) {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("log never showed {needle}");
}

fn forms_need_their_csrf_token(w: &World) {
    let c = w.client();
    let own = c.base.clone();
    let email = unique_email("form");
    let form = format!(
        "email={}&password=correct+horse+battery&name=Form",
        crate::urlencode(&email)
    );
    let post = |headers: &[(&str, &str)]| {
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        c.send("POST", "/signup", &all, Some(&form))
    };
    assert_eq!(post(&[("origin", &own)]).status, 403, "no token");
    // The form page sets the double-submit cookie and embeds the matching token.
    let page = c.get("/signup", None);
    let set = page
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("orgpass_csrf="))
        .unwrap()
        .to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let token = crate::csrf_in(&page.body);
    for label in ["Email", "Your name", "Password"] {
        assert!(
            page.body.contains(&format!(">{label}")),
            "labelled field {label}"
        );
    }
    let with_token = |origin: &str, t: &str| {
        let body = format!("{form}&csrf={t}");
        c.send(
            "POST",
            "/signup",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &cookie),
                ("origin", origin),
            ],
            Some(&body),
        )
    };
    assert_eq!(
        with_token("https://evil.example", &token).status,
        403,
        "foreign origin"
    );
    assert_eq!(with_token(&own, "forged").status, 403, "wrong token");
    let ok = with_token(&own, &token);
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert!(ok.body.contains("Check your email"));
    // A refused field is shown next to the field, with the other values kept.
    let again = with_token(&own, &token);
    assert_eq!(again.status, 409);
    assert!(again.body.contains("already exists"));
    assert!(again.body.contains(&crate::app_escape(&email)));
}

fn logs_carry_no_secrets(w: &World) {
    let c = w.client();
    let email = unique_email("logs");
    let session = verified_session(&c, &email);
    let verification = crate::mailed_token(&c, &email);
    c.get("/api/v1/me", Some(&session));
    c.get(&format!("/verify-email?token={verification}"), None);
    let log = wait_for_log(w, "/verify-email\"");
    for secret in [session.as_str(), verification.as_str(), PASSWORD] {
        assert!(!log.contains(secret), "the log contains a secret");
    }
    assert!(
        log.contains("\"d1\":"),
        "request lines count D1 round trips"
    );
}

/// D1 read replication's bookmarks (docs/architecture.md "Reads near the reader"): every
/// response that read or wrote carries the session's bookmark; a request that presents
/// one (header, or cookie for browsers) starts its session there, so it reads what the
/// earlier request wrote.
fn d1_bookmarks(w: &crate::World) {
    // A Worker of its own: the bookmark is the database's position, which other tests'
    // writes would move between two requests here.
    let c = w.other_client("bookmarks", &[]);
    let token = crate::verified_session(&c, &crate::unique_email("bookmark"));
    let shape = |b: &str| !b.is_empty() && b.bytes().all(|x| x.is_ascii_hexdigit() || x == b'-');
    let bookmark_of = |r: &crate::client::Resp| {
        r.header("x-orgpass-bookmark")
            .unwrap_or_default()
            .to_owned()
    };
    let me = |headers: &[(&str, &str)]| {
        let auth = format!("Bearer {token}");
        let mut all = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        c.send("GET", "/api/v1/me", &all, None)
    };
    // Read your writes, request after request.
    for i in 0..10 {
        let name = format!("Renamed {i}");
        let r = c.json(
            "PATCH",
            "/api/v1/me",
            Some(&token),
            &json!({ "name": name }),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let written = bookmark_of(&r);
        assert!(
            shape(&written),
            "a write hands its bookmark back: {written:?}"
        );
        let r = me(&[("x-orgpass-bookmark", &written)]);
        assert_eq!(r.json()["account"]["name"], name.as_str());
        assert!(
            bookmark_of(&r) >= written,
            "{} < {written}",
            bookmark_of(&r)
        );
    }
    // Honoured: a session started after a bookmark keeps the later of it and what D1
    // answers, so a bookmark beyond the database's comes back as it was sent.
    let now = bookmark_of(&me(&[]));
    assert!(shape(&now), "a read hands its bookmark back too: {now:?}");
    let later = format!("ffffffff{}", &now[8..]);
    assert_eq!(bookmark_of(&me(&[("x-orgpass-bookmark", &later)])), later);
    // A write starts on the primary whatever it presents: what it decides on is never
    // a replica's older view (so the bookmark beyond the database's is not kept).
    let auth = format!("Bearer {token}");
    let r = c.send(
        "PATCH",
        "/api/v1/me",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
            ("x-orgpass-bookmark", &later),
        ],
        Some(r#"{"name": "Written on the primary"}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(bookmark_of(&r) < later, "{}", bookmark_of(&r));
    // Ignored when it is not a bookmark: the request starts as if it had none.
    let r = me(&[("x-orgpass-bookmark", "not a bookmark; drop table")]);
    assert_eq!(r.status, 200);
    let ignored = bookmark_of(&r);
    assert!(
        shape(&ignored) && ignored >= now && ignored < later,
        "{ignored}"
    );
    // Browsers: the cookie, set when the bookmark moved, honoured like the header.
    let session = format!("orgpass_session={token}");
    let page = c.send("GET", "/account", &[("cookie", &session)], None);
    assert_eq!(page.status, 200);
    let set = page
        .all("set-cookie")
        .into_iter()
        .find(|h| h.starts_with("orgpass_bookmark="))
        .expect("the bookmark cookie")
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(
        set.starts_with(&format!("orgpass_bookmark={};", bookmark_of(&page))),
        "{set}"
    );
    let with_later = format!("{session}; orgpass_bookmark={later}");
    let page = c.send("GET", "/account", &[("cookie", &with_later)], None);
    assert_eq!(bookmark_of(&page), later);
    // The API's JSON answers carry only the header.
    assert!(me(&[]).all("set-cookie").is_empty());
}
