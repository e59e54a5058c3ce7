//! The HTML pages over plain HTTP (the browser test walks the happy path): login form
//! outcomes, redirects for visitors, and refusals rendered next to their fields.

use crate::{
    client::{Client, Resp},
    create_org, unique_email, urlencode, verified_session, World, PASSWORD,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    ("pages::login_form_outcomes", login_form_outcomes),
    (
        "pages::visitors_are_sent_to_login_and_back",
        visitors_are_sent_to_login_and_back,
    ),
    (
        "pages::organization_forms_show_refusals",
        organization_forms_show_refusals,
    ),
    (
        "pages::plan_tab_applies_and_upgrades",
        plan_tab_applies_and_upgrades,
    ),
    (
        "pages::settings_tabs_read_in_one_batch",
        settings_tabs_read_in_one_batch,
    ),
];

/// The visitor's form CSRF token and cookie (as a browser would hold them).
pub(crate) fn form_session(c: &Client, page: &str, session: Option<&str>) -> (String, String) {
    let cookie = session.map(|s| format!("orgpass_session={s}"));
    let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
    let r = c.send("GET", page, &headers, None);
    assert_eq!(r.status, 200, "{page}: {}", r.body);
    let token = crate::csrf_in(&r.body);
    let cookie = match cookie {
        Some(c) => c,
        None => r
            .all("set-cookie")
            .into_iter()
            .find(|c| c.starts_with("orgpass_csrf="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
    };
    (token, cookie)
}

pub(crate) fn post_form(c: &Client, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Resp {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    c.send(
        "POST",
        path,
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", cookie),
            ("origin", &c.base),
        ],
        Some(&body.join("&")),
    )
}

fn login_form_outcomes(w: &World) {
    let c = w.client();
    let email = unique_email("pagelogin");
    verified_session(&c, &email);
    let (csrf, cookie) = form_session(&c, "/login?return_to=/orgs/new", None);
    assert!(c
        .get("/login?return_to=/orgs/new", None)
        .body
        .contains("value=\"/orgs/new\""));

    let wrong = post_form(
        &c,
        "/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", &email),
            ("password", "not it at all"),
            ("return_to", "/orgs/new"),
        ],
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("The email or password is not right."));
    assert!(wrong
        .header("set-cookie")
        .is_none_or(|c| !c.starts_with("orgpass_session")));

    let right = post_form(
        &c,
        "/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", &email),
            ("password", PASSWORD),
            ("return_to", "/orgs/new"),
        ],
    );
    assert_eq!(right.status, 303);
    assert_eq!(right.header("location"), Some("/orgs/new"));
    assert!(right
        .all("set-cookie")
        .iter()
        .any(|c| c.starts_with("orgpass_session=") && c.contains("HttpOnly")));

    // An off-site return_to becomes "/".
    let offsite = post_form(
        &c,
        "/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", &email),
            ("password", PASSWORD),
            ("return_to", "//evil.example/"),
        ],
    );
    assert_eq!(offsite.header("location"), Some("/"));
}

fn visitors_are_sent_to_login_and_back(w: &World) {
    let c = w.client();
    let r = c.get("/orgs/new", None);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login?return_to=%2Forgs%2Fnew"));
    let r = c.get("/orgs/ABCDE12345/settings", None);
    assert_eq!(r.status, 303);
    let landing = c.get("/", None);
    assert_eq!(landing.status, 200);
    assert!(landing.body.contains("href=\"/signup\""));
}

fn organization_forms_show_refusals(w: &World) {
    let c = w.client();
    let session = verified_session(&c, &unique_email("pageorg"));
    let taken = create_org(&c, &session, "Taken", None)["organization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (csrf, cookie) = form_session(&c, "/orgs/new", Some(&session));

    let r = post_form(
        &c,
        "/orgs/new",
        &cookie,
        &[
            ("csrf", &csrf),
            ("name", "Mine"),
            ("product", "chat"),
            ("organization_id", &taken),
        ],
    );
    assert_eq!(r.status, 409);
    assert!(
        r.body.contains("id=\"organization_id-error\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"Mine\""), "typed values are kept");
    let r = post_form(
        &c,
        "/orgs/new",
        &cookie,
        &[("csrf", &csrf), ("name", ""), ("product", "crm")],
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("id=\"name-error\"") && r.body.contains("Choose a product"));

    let r = post_form(
        &c,
        "/orgs/new",
        &cookie,
        &[
            ("csrf", &csrf),
            ("name", "Page Org"),
            ("product", "chat"),
            ("organization_id", ""),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let settings = r.header("location").unwrap().to_owned();
    assert!(settings.starts_with("/orgs/") && settings.ends_with("/settings"));

    let r = post_form(
        &c,
        &settings,
        &cookie,
        &[
            ("csrf", &csrf),
            ("name", "Page Org 2"),
            ("organization_id", "-bad"),
        ],
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("id=\"organization_id-error\""));
    let r = post_form(
        &c,
        &settings,
        &cookie,
        &[
            ("csrf", "forged"),
            ("name", "X"),
            ("organization_id", &taken),
        ],
    );
    assert_eq!(r.status, 403, "a forged token changes nothing");
    let me = c.get("/api/v1/me", Some(&session)).json();
    assert!(me["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["name"] != "X" && o["name"] != "Page Org 2"));
}

fn plan_tab_applies_and_upgrades(w: &World) {
    let c = w.client();
    let session = verified_session(&c, &unique_email("plantab"));
    let key = create_org(&c, &session, "Plan Tab Org", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let plan = format!("/orgs/{key}/settings/plan");
    let (csrf, cookie) = form_session(&c, &plan, Some(&session));
    let page = c.send("GET", &plan, &[("cookie", &cookie)], None);
    assert!(
        page.body.contains("id=\"pass-status\">none<"),
        "{}",
        page.body
    );
    for label in [
        "Plan admin's name",
        "Plan admin's email",
        "Company name",
        "Space key",
    ] {
        assert!(page.body.contains(label), "labelled field {label}");
    }
    let apply = format!("{plan}/apply");
    let admin = unique_email("tabadmin");
    let form = |space: &str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", csrf.clone()),
            ("admin_name", "Pat".to_owned()),
            ("admin_email", admin.clone()),
            ("company_name", "Tab Ltd".to_owned()),
            ("space_key", space.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post_form(&c, &apply, &cookie, &refs)
    };
    let r = post(form("WRONGKEY00"));
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("id=\"space_key-error\""),
        "the refusal sits next to the field"
    );
    assert!(
        r.body.contains(&format!("value=\"{admin}\"")),
        "typed values are kept"
    );
    let r = post(form(&key));
    assert_eq!(r.status, 303, "{}", r.body);
    let page = c.send("GET", &plan, &[("cookie", &cookie)], None);
    assert!(page.body.contains("being reviewed"));

    let auth = "Bearer dev-operator-token-not-secret";
    let r = c.send(
        "POST",
        &format!("/api/v1/operator/pass/applications/{key}/approve"),
        &[("authorization", auth)],
        None,
    );
    assert_eq!(r.status, 200);
    let page = c.send("GET", &plan, &[("cookie", &cookie)], None);
    assert!(page.body.contains("Free trial until"));
    let r = post_form(&c, &format!("{plan}/upgrade"), &cookie, &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location").unwrap(),
        format!("{}/dev/checkout?org={key}", c.base)
    );
}

/// Each settings tab is one page-shaped use case; those that read one batch cost one D1
/// round trip (the development header says how many the Worker made).
fn settings_tabs_read_in_one_batch(w: &World) {
    let c = w.client();
    let admin = unique_email("tabs");
    let session = verified_session(&c, &admin);
    let key = create_org(&c, &session, "Tabs Org", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie = format!("orgpass_session={session}");
    let get = |path: &str| {
        let r = c.send("GET", path, &[("cookie", &cookie)], None);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.round_trips()
    };
    let settings = format!("/orgs/{key}/settings");
    for (tab, trips) in [
        ("", 1),
        ("/plan", 1),
        ("/members", 1),
        ("/groups", 1),
        ("/managed-accounts", 1),
        ("/authentication", 1),
        ("/domains", 1),
        ("/invitations", 1),
        ("/projects", 1),
        ("/audit-log", 1),
        ("/audit-log/stream", 1),
    ] {
        assert_eq!(get(&format!("{settings}{tab}")), trips, "{settings}{tab}");
    }
    let project = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/projects"),
        Some(&session),
        &serde_json::json!({"name": "Roadmap"}),
    );
    assert_eq!(project.status, 201, "{}", project.body);
    let id = project.json()["project"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&format!("{settings}/projects/{id}")),
        1,
        "a project's page"
    );
    // The invitation page reads the visitor's session and the invitation together.
    let invitee = unique_email("tabs-invitee");
    let r = crate::team::invite(&c, &session, &key, &[&invitee], "member");
    assert_eq!(r.status, 201, "{}", r.body);
    let token = crate::team::invitation_token(&c, &invitee);
    assert_eq!(get(&format!("/invitations/{token}")), 1);
}
