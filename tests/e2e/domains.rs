//! Domain verification against a real DNS-over-HTTPS server (Knot behind dnsdist):
//! record present, absent, wrong, several, split in two strings, upstream SERVFAIL,
//! upstream down, DoH server down, and a record that disappears after verification,
//! dropped back to pending by three daily Cron runs.

use serde_json::{json, Value};

use crate::{
    client::{Client, Resp},
    create_org,
    dns_peer::DnsPeer,
    pass::{cron, log_in, org_in_trial},
    unique_email, verified_session, World,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "domains::verification_through_real_doh",
        verification_through_real_doh,
    ),
    (
        "domains::failing_names_do_not_starve_a_good_one",
        failing_names_do_not_starve_a_good_one,
    ),
];

const DAY_MS: i64 = 24 * 3600 * 1000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn add(c: &Client, token: &str, key: &str, domain: &str) -> Resp {
    c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/domains"),
        Some(token),
        &json!({ "domain": domain }),
    )
}

fn verify(c: &Client, token: &str, key: &str, id: &str) -> Resp {
    c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/domains/{id}/verify"),
        Some(token),
        &json!({}),
    )
}

fn status_of(c: &Client, token: &str, key: &str, id: &str) -> Value {
    let list = c.get(&format!("/api/v1/orgs/{key}/domains"), Some(token));
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.round_trips(), 1, "the list: one read");
    list.json()["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .cloned()
        .unwrap()
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

fn verification_through_real_doh(w: &World) {
    let mut dns = DnsPeer::start();
    let url = dns.url();
    let c = w.other_client("domains", &[("DOH_URL", &url)]);
    let (token, key, _, _, login) = org_in_trial(&c);
    let tag = unique_email("d")
        .split('@')
        .next()
        .unwrap()
        .replace('-', "");
    let domain = format!("acme{tag}.example");

    // Refusals.
    let r = add(&c, &token, &key, "gmail.com");
    assert_eq!((r.status, r.code().as_str()), (400, "free_mail_domain"));
    for bad in ["192.0.2.1", "localhost", "https://acme.example/"] {
        assert_eq!(add(&c, &token, &key, bad).code(), "invalid_domain", "{bad}");
    }
    let other = verified_session(&c, &unique_email("nopass"));
    let other_key = create_org(&c, &other, "No Pass", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = add(&c, &other, &other_key, &domain);
    assert_eq!((r.status, r.code().as_str()), (403, "pass_inactive"));

    let r = add(&c, &token, &key, &format!("  {}. ", domain.to_uppercase()));
    assert_eq!(r.status, 201, "{}", r.body);
    let d = r.json()["domain"].clone();
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(d["name"], domain.as_str());
    assert_eq!(d["status"], "pending");
    let txt_name = format!("_orgpass-challenge.{domain}");
    assert_eq!(d["txt_name"], txt_name.as_str());
    let value = d["txt_value"].as_str().unwrap().to_owned();
    assert!(
        value.starts_with("orgpass-verification=") && value.len() > 40,
        "{value}"
    );
    assert_eq!(add(&c, &token, &key, &domain).code(), "domain_exists");
    // Another organization may claim the same domain.
    let (token2, key2, _, _, _) = org_in_trial(&c);
    assert_eq!(add(&c, &token2, &key2, &domain).status, 201);
    // But not see or verify this one.
    assert_eq!(verify(&c, &token2, &key2, &id).status, 404);

    // Absent: NXDOMAIN, nothing found, still pending. One read, one write (#12).
    let r = verify(&c, &token, &key, &id);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.round_trips(), 2, "a check: one read batch, one write");
    assert_eq!(
        (
            r.json()["domain"]["status"].clone(),
            r.json()["found"].clone()
        ),
        (json!("pending"), json!([]))
    );

    // A wrong value and an unrelated record: both shown, still pending.
    dns.set(
        &txt_name,
        &[&["orgpass-verification=wrong"], &["v=spf1 -all"]],
    );
    let r = verify(&c, &token, &key, &id);
    assert_eq!(r.json()["domain"]["status"], "pending");
    assert_eq!(
        sorted(&r.json()["found"]),
        ["orgpass-verification=wrong", "v=spf1 -all"]
    );
    assert_eq!(
        sorted(&status_of(&c, &token, &key, &id)["last_found"]),
        ["orgpass-verification=wrong", "v=spf1 -all"]
    );

    // The right value, split into two character-strings, among others: verified.
    let (head, tail) = value.split_at(21);
    dns.set(&txt_name, &[&[head, tail], &["v=spf1 -all"]]);
    let r = verify(&c, &token, &key, &id);
    assert_eq!(r.json()["domain"]["status"], "verified", "{}", r.body);
    assert!(r.json()["domain"]["verified_at"].is_string());

    // The domains tab shows the exact record, the state and what was found.
    let cookie = format!("orgpass_session={token}");
    let page = c.send(
        "GET",
        &format!("/orgs/{key}/settings/domains"),
        &[("cookie", &cookie)],
        None,
    );
    assert_eq!(page.status, 200);
    for expected in [
        txt_name.as_str(),
        value.as_str(),
        "verified",
        "v=spf1 -all",
        "Check now",
    ] {
        assert!(page.body.contains(expected), "the page lacks {expected}");
    }
    let csrf = crate::csrf_in(&page.body);
    let refused = c.send(
        "POST",
        &format!("/orgs/{key}/settings/domains/add"),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", &cookie),
            ("origin", &c.base),
        ],
        Some(&format!("csrf={csrf}&domain=gmail.com")),
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("id=\"domain-error\""),
        "the refusal sits next to the field"
    );
    let checked = c.send(
        "POST",
        &format!("/orgs/{key}/settings/domains/{id}/verify"),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", &cookie),
            ("origin", &c.base),
        ],
        Some(&format!("csrf={csrf}")),
    );
    assert_eq!(checked.status, 303, "{}", checked.body);

    // An answer is cached in KV for its TTL (when KV can hold it that long: 60 s and
    // more): a second domain with a 300-second record keeps its first answer.
    let cached = format!("cached{tag}.example");
    let r = add(&c, &token, &key, &cached);
    let cached_id = r.json()["domain"]["id"].as_str().unwrap().to_owned();
    let cached_name = format!("_orgpass-challenge.{cached}");
    dns.set_with_ttl(&cached_name, 300, &[&["first"]]);
    assert_eq!(
        verify(&c, &token, &key, &cached_id).json()["found"],
        json!(["first"])
    );
    dns.set_with_ttl(&cached_name, 300, &[&["second"]]);
    assert_eq!(
        verify(&c, &token, &key, &cached_id).json()["found"],
        json!(["first"]),
        "served from the cache"
    );

    // SERVFAIL from upstream: 502, status unchanged.
    let broken = format!("{tag}.broken.example");
    let r = add(&c, &token, &key, &broken);
    let broken_id = r.json()["domain"]["id"].as_str().unwrap().to_owned();
    let r = verify(&c, &token, &key, &broken_id);
    assert_eq!((r.status, r.code().as_str()), (502, "upstream_unavailable"));
    assert_eq!(status_of(&c, &token, &key, &broken_id)["status"], "pending");

    // Upstream down (dnsdist answers an HTTP error), then the DoH server down
    // (connection refused): 502, and the verified domain stays verified.
    dns.stop_knot();
    let r = verify(&c, &token, &key, &id);
    assert_eq!((r.status, r.code().as_str()), (502, "upstream_unavailable"));
    dns.stop_dnsdist();
    let r = verify(&c, &token, &key, &id);
    assert_eq!((r.status, r.code().as_str()), (502, "upstream_unavailable"));
    assert_eq!(status_of(&c, &token, &key, &id)["status"], "verified");
    dns.start_knot();
    dns.start_dnsdist();

    // The record is briefly gone: an administrator's checks find nothing, and count no
    // miss (only the daily checks do).
    dns.set(&txt_name, &[]);
    for click in 1..=3 {
        let r = verify(&c, &token, &key, &id);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["found"], json!([]));
        assert_eq!(r.json()["domain"]["status"], "verified", "click {click}");
    }

    // The record disappears: three daily Cron runs drop the domain back to pending.
    let start = now_ms();
    for day in 1..=3 {
        cron(&c, start + day * DAY_MS + 60_000);
        let token = log_in(&c, &login);
        let expected = if day < 3 { "verified" } else { "pending" };
        assert_eq!(
            status_of(&c, &token, &key, &id)["status"],
            expected,
            "after day {day}"
        );
    }

    // Each administrator is told, once.
    let mail = crate::last_mail(&c, &login);
    assert_eq!(mail["subject"], format!("{domain} is no longer verified"));
    assert!(
        mail["text"].as_str().unwrap().contains(&value),
        "the email repeats the record to publish"
    );

    // Delete; a second delete (or another organization's id) is 404.
    let token = log_in(&c, &login);
    let r = c.send(
        "DELETE",
        &format!("/api/v1/orgs/{key}/domains/{id}"),
        &[("authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(r.status, 204);
    let r = c.send(
        "DELETE",
        &format!("/api/v1/orgs/{key}/domains/{id}"),
        &[("authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(r.status, 404);

    // The same check sent as an RFC 8484 POST (DOH_METHOD=POST) to the same server.
    let post = w.other_client("domains-post", &[("DOH_URL", &url), ("DOH_METHOD", "POST")]);
    let (ptoken, pkey, _, _, _) = org_in_trial(&post);
    let pdomain = format!("post{tag}.example");
    let d = add(&post, &ptoken, &pkey, &pdomain).json()["domain"].clone();
    dns.set(
        &format!("_orgpass-challenge.{pdomain}"),
        &[&[d["txt_value"].as_str().unwrap()]],
    );
    let r = verify(&post, &ptoken, &pkey, d["id"].as_str().unwrap());
    assert_eq!(r.json()["domain"]["status"], "verified", "{}", r.body);
}

/// Finding 6 of #16: 40 names whose lookups fail (SERVFAIL) ahead of a good one in the
/// queue. Each run checks 40; a failed lookup moves its domain back with the back-off
/// like any check, so the good domain is checked on the next run, and the failing ones
/// fail after their 30 days instead of staying pending for ever.
fn failing_names_do_not_starve_a_good_one(w: &World) {
    let mut dns = DnsPeer::start();
    let c = w.other_client("domains-fair", &[("DOH_URL", &dns.url())]);
    let (token, key, _, _, login) = org_in_trial(&c);
    let tag = unique_email("f")
        .split('@')
        .next()
        .unwrap()
        .replace('-', "");
    let mut broken = Vec::new();
    for i in 0..40 {
        let r = add(&c, &token, &key, &format!("b{i}{tag}.broken.example"));
        assert_eq!(r.status, 201, "{}", r.body);
        broken.push(r.json()["domain"]["id"].as_str().unwrap().to_owned());
    }
    let good = format!("good{tag}.example");
    let d = add(&c, &token, &key, &good).json()["domain"].clone();
    dns.set(
        &format!("_orgpass-challenge.{good}"),
        &[&[d["txt_value"].as_str().unwrap()]],
    );
    let good_id = d["id"].as_str().unwrap().to_owned();
    let start = now_ms();
    // The first run is due for all 41 and takes the 40 oldest: the failing ones.
    cron(&c, start + 6 * 60_000);
    assert_eq!(status_of(&c, &token, &key, &good_id)["status"], "pending");
    let first = status_of(&c, &token, &key, &broken[0]);
    assert!(first["last_checked_at"].is_string(), "{first}");
    // The next run reaches the good one.
    cron(&c, start + 7 * 60_000);
    assert_eq!(
        status_of(&c, &token, &key, &good_id)["status"],
        "verified",
        "checked on the run after, not starved"
    );
    // Past their 30 days the failing ones fail (the run also ends the trial's session:
    // log in again).
    cron(&c, start + 31 * DAY_MS);
    let token = log_in(&c, &login);
    for id in &broken {
        assert_eq!(status_of(&c, &token, &key, id)["status"], "failed", "{id}");
    }
    assert_eq!(status_of(&c, &token, &key, &good_id)["status"], "verified");
}
