//! SAML single sign-on end to end (docs/product.md §7): settings imported from a real IdP's
//! metadata (pysaml2, signing through xmlsec1), a domain verified through a real
//! DNS-over-HTTPS server, managed accounts, SP- and IdP-initiated logins through the
//! real ACS with RSA 2048 and 4096 and every signing placement, the attack classes
//! replayed through the ACS, the failure list, the trial's end, and the Cron's cleanup.

use std::sync::Mutex;

use serde_json::{json, Value};

use crate::{
    client::{Client, Resp},
    dns_peer::DnsPeer,
    idp_peer::{AcsPost, IdpPeer},
    last_mail,
    pass::{log_in, operator, org_in_trial},
    unique_email, verified_session, World,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    ("sso::settings_validation_and_import", settings),
    ("sso::managed_accounts_and_their_rules", managed_accounts),
    (
        "sso::last_unmanaged_admin_on_every_path",
        last_unmanaged_admin,
    ),
    ("sso::sp_initiated_login_2048_and_4096", sp_initiated),
    ("sso::idp_initiated_only_where_allowed", idp_initiated),
    ("sso::attacks_through_the_acs_create_no_session", attacks),
    ("sso::trial_end_refuses_login_with_a_reason", trial_end),
    (
        "sso::a_login_reads_the_stored_keys_or_the_pems_saved_before_them",
        stored_keys,
    ),
    (
        "sso::neutral_login_page_metadata_and_cleanup",
        neutral_and_cleanup,
    ),
];

/// The real peers the SSO tests share: a DoH server and two pysaml2 IdPs.
pub struct Peers {
    pub dns: Mutex<DnsPeer>,
    pub idp: IdpPeer,
    pub idp4096: IdpPeer,
}

pub fn peers(w: &World) -> &Peers {
    w.sso.get_or_init(|| Peers {
        dns: Mutex::new(DnsPeer::start()),
        idp: IdpPeer::start(2048),
        idp4096: IdpPeer::start(4096),
    })
}

/// The Worker these tests share (its DoH resolver is the test DNS server).
pub fn sso_client(w: &World) -> Client {
    let url = peers(w).dns.lock().unwrap().url();
    w.other_client("sso", &[("DOH_URL", &url)])
}

/// An organization in its add-on trial, with SAML from `idp`'s metadata and a verified
/// domain.
pub struct SsoOrg {
    pub key: String,
    pub org_id: String,
    pub admin: String,
    pub admin_email: String,
    pub domain: String,
    pub sp: String,
}

pub fn put_saml(c: &Client, token: &str, key: &str, body: &Value) -> Resp {
    c.json(
        "PUT",
        &format!("/api/v1/orgs/{key}/saml"),
        Some(token),
        body,
    )
}

pub fn sso_org(w: &World, c: &Client, idp: &IdpPeer, allow_idp_initiated: bool) -> SsoOrg {
    let (admin, key, _, _, admin_email) = org_in_trial(c);
    let org = c.get(&format!("/api/v1/orgs/{key}"), Some(&admin)).json()["org"].clone();
    let r = put_saml(
        c,
        &admin,
        &key,
        &json!({"idp_metadata_xml": idp.metadata(), "allow_idp_initiated": allow_idp_initiated}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let tag = unique_email("d")
        .split('@')
        .next()
        .unwrap()
        .replace('-', "");
    let domain = format!("corp{tag}.example");
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{key}/domains"),
        Some(&admin),
        &json!({ "domain": domain }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let d = r.json()["domain"].clone();
    peers(w).dns.lock().unwrap().set(
        d["txt_name"].as_str().unwrap(),
        &[&[d["txt_value"].as_str().unwrap()]],
    );
    let r = c.json(
        "POST",
        &format!(
            "/api/v1/orgs/{key}/domains/{}/verify",
            d["id"].as_str().unwrap()
        ),
        Some(&admin),
        &json!({}),
    );
    assert_eq!(r.json()["domain"]["status"], "verified", "{}", r.body);
    SsoOrg {
        sp: format!("{}/saml/{key}", c.base),
        key,
        org_id: org["organization_id"].as_str().unwrap().to_owned(),
        admin,
        admin_email,
        domain,
    }
}

pub fn managed(c: &Client, o: &SsoOrg, local: &str, role: &str) -> (String, String) {
    let email = format!("{local}@{}", o.domain);
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/managed-accounts", o.key),
        Some(&o.admin),
        &json!({"email": email, "name": "Managed Person", "role": role}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    (
        r.json()["member"]["account_id"]
            .as_str()
            .unwrap()
            .to_owned(),
        email,
    )
}

/// Posts an IdP's form to the ACS as a browser would.
pub fn post_acs(c: &Client, post: &AcsPost) -> Resp {
    let mut body = format!("SAMLResponse={}", crate::urlencode(&post.saml_response));
    if let Some(r) = &post.relay_state {
        body.push_str(&format!("&RelayState={}", crate::urlencode(r)));
    }
    let path = post
        .action
        .strip_prefix(&c.base)
        .expect("an ACS of this Worker");
    let cookie = post
        .browser
        .as_ref()
        .map(|b| format!("orgpass_sso={b}"))
        .unwrap_or_default();
    let mut headers = vec![
        ("content-type", "application/x-www-form-urlencoded"),
        ("origin", "http://idp.invalid"),
    ];
    if !cookie.is_empty() {
        headers.push(("cookie", cookie.as_str()));
    }
    // Each post comes from an address of its own, as IdP posts come from the
    // browsers of many people (the per-address limit on recording failures is tested
    // on its own).
    Client::new(&c.base).send("POST", path, &headers, Some(&body))
}

/// The value of cookie `name` that a response sets.
pub fn cookie_set(r: &Resp, name: &str) -> Option<String> {
    r.all("set-cookie")
        .into_iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// An unsolicited login's second step as a browser takes it: the ACS's 303 to
/// `/login/sso/continue` with the pending cookie, then that GET (with `session`, the
/// browser's current session cookie, if any).
pub fn continue_unsolicited(c: &Client, acs: &Resp, session: Option<&str>) -> Resp {
    assert_eq!(acs.status, 303, "{}", acs.body);
    let to = acs.header("location").unwrap().to_owned();
    assert!(to.starts_with("/login/sso/continue?"), "{to}");
    assert!(
        session_cookie(acs).is_none(),
        "no session before the second step"
    );
    let pending = cookie_set(acs, "orgpass_sso_login").expect("the pending cookie");
    let mut cookie = format!("orgpass_sso_login={pending}");
    if let Some(s) = session {
        cookie.push_str(&format!("; orgpass_session={s}"));
    }
    c.send("GET", &to, &[("cookie", &cookie)], None)
}

/// The session cookie a response sets.
pub fn session_cookie(r: &Resp) -> Option<String> {
    r.all("set-cookie")
        .into_iter()
        .find_map(|c| c.strip_prefix("orgpass_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

pub fn me_by_cookie(c: &Client, cookie: &str) -> Resp {
    c.send(
        "GET",
        "/api/v1/me",
        &[("cookie", &format!("orgpass_session={cookie}"))],
        None,
    )
}

pub fn failures(c: &Client, o: &SsoOrg) -> Vec<Value> {
    let r = c.get(
        &format!("/api/v1/orgs/{}/saml/failures", o.key),
        Some(&o.admin),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["failures"].as_array().unwrap().clone()
}

pub fn reference_in(body: &str) -> String {
    body.split("<code id=\"reference\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("a reference code")
        .to_owned()
}

/// Asserts a refused ACS post: 403 page, no cookie, and the newest failure has
/// `variant` and the page's reference.
pub fn refused(c: &Client, o: &SsoOrg, r: &Resp, variant: &str) {
    assert_eq!(r.status, 403, "{variant}: {}", r.body);
    assert!(session_cookie(r).is_none(), "{variant}: no session");
    let reference = reference_in(&r.body);
    let newest = failures(c, o)[0].clone();
    assert_eq!(newest["variant"], variant, "{newest}");
    assert_eq!(newest["reference"], reference.as_str());
}

/// The SP-initiated login in full, as a browser without JavaScript would do it:
/// `/login/sso` → 303 to the IdP → its login form → its auto-submit form → the ACS.
pub fn sp_login(
    c: &Client,
    idp: &IdpPeer,
    org_id: &str,
    user: &str,
    sign: &str,
    return_to: &str,
) -> (AcsPost, Resp) {
    let r = c.get(
        &format!(
            "/login/sso?organization_id={}&return_to={}",
            crate::urlencode(org_id),
            crate::urlencode(return_to)
        ),
        None,
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let to_idp = r.header("location").unwrap().to_owned();
    assert!(
        to_idp.starts_with(&format!("{}/sso/redirect?SAMLRequest=", idp.base)),
        "{to_idp}"
    );
    assert!(to_idp.contains("&RelayState="), "{to_idp}");
    let form = idp.get(&to_idp);
    assert_eq!(form.status, 200, "{}", form.body);
    let field = |name: &str| {
        form.body
            .split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|v| v.split('"').next())
            .map(|v| v.replace("&amp;", "&").replace("&quot;", "\""))
            .unwrap_or_default()
    };
    let answer = idp.post_form(
        &format!("{}/sso/login", idp.base),
        &[
            ("request_id", &field("request_id")),
            ("sp", &field("sp")),
            ("acs", &field("acs")),
            ("relay_state", &field("relay_state")),
            ("user", user),
            ("sign", sign),
        ],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let mut post = AcsPost::from_form(&answer.body);
    post.browser = cookie_set(&r, "orgpass_sso");
    assert!(
        post.browser.is_some(),
        "/login/sso binds the login to the browser"
    );
    let r = post_acs(c, &post);
    (post, r)
}

fn settings(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    let (admin, key, _, _, _) = org_in_trial(&c);
    let path = format!("/api/v1/orgs/{key}/saml");

    // Before any settings: the SP's own URLs, to paste into the IdP.
    let r = c.get(&path, Some(&admin));
    assert_eq!(r.status, 200, "{}", r.body);
    let s = r.json()["saml"].clone();
    assert_eq!(s["configured"], false);
    assert_eq!(s["sp_entity_id"], format!("{}/saml/{key}", c.base));
    assert_eq!(s["acs_url"], format!("{}/saml/{key}/acs", c.base));
    assert_eq!(
        s["sp_metadata_url"],
        format!("{}/saml/{key}/metadata", c.base)
    );

    // Bad input: every refused field named, nothing saved.
    let weak = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/saml-sp/tests/fixtures/keys/rsa1024.crt"
    ))
    .unwrap();
    let r = put_saml(
        &c,
        &admin,
        &key,
        &json!({"idp_entity_id": "", "idp_sso_url": "ftp://x", "idp_certificates": ["nope"], "clock_skew_seconds": 900}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "invalid_request"),
        "{}",
        r.body
    );
    let fields = r.json()["error"]["fields"].clone();
    for f in [
        "idp_entity_id",
        "idp_sso_url",
        "idp_certificates",
        "clock_skew_seconds",
    ] {
        assert!(fields.get(f).is_some(), "{f}: {fields}");
    }
    let r = put_saml(
        &c,
        &admin,
        &key,
        &json!({"idp_entity_id": "https://idp.example", "idp_sso_url": "https://idp.example/sso", "idp_certificates": [weak]}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "weak_key"),
        "{}",
        r.body
    );
    let r = put_saml(
        &c,
        &admin,
        &key,
        &json!({"idp_metadata_xml": "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/>"}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "invalid_metadata"),
        "{}",
        r.body
    );
    assert_eq!(
        c.get(&path, Some(&admin)).json()["saml"]["configured"],
        false
    );

    // Typed settings with two certificates (a rotation), then the IdP's metadata.
    let cert = |idp: &IdpPeer| {
        std::fs::read_to_string(
            concat!(env!("CARGO_MANIFEST_DIR"), "/target/e2e/idp/idp-").to_owned()
                + &format!("{}.crt", idp.bits),
        )
        .unwrap()
    };
    let r = put_saml(
        &c,
        &admin,
        &key,
        &json!({
        "idp_entity_id": p.idp.entity_id(), "idp_sso_url": format!("{}/sso/redirect", p.idp.base),
        "idp_certificates": [cert(&p.idp), cert(&p.idp4096)], "allow_idp_initiated": true, "clock_skew_seconds": 60}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.round_trips(), 2, "saving settings: one read, one write");
    let s = r.json()["saml"].clone();
    assert_eq!(s["configured"], true);
    assert_eq!(s["idp_certificates"].as_array().unwrap().len(), 2);
    assert_eq!(s["certificate_details"][1]["key"], "RSA 4096");
    assert_eq!(s["certificate_details"][0]["expiry"], "valid");
    assert_eq!(s["clock_skew_seconds"], 60);
    let r = put_saml(
        &c,
        &admin,
        &key,
        &json!({"idp_metadata_xml": p.idp.metadata()}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let s = c.get(&path, Some(&admin)).json()["saml"].clone();
    assert_eq!(s["idp_entity_id"], p.idp.entity_id());
    assert_eq!(s["idp_sso_url"], format!("{}/sso/redirect", p.idp.base));
    assert_eq!(s["idp_certificates"].as_array().unwrap().len(), 1);
    assert_eq!(s["clock_skew_seconds"], 180, "the default");
    assert_eq!(s["allow_idp_initiated"], false);

    // Only administrators; never another organization; never without the add-on.
    let (other_admin, other_key, _, _, _) = org_in_trial(&c);
    assert_eq!(c.get(&path, Some(&other_admin)).status, 404);
    assert_eq!(
        put_saml(
            &c,
            &other_admin,
            &key,
            &json!({"idp_metadata_xml": p.idp.metadata()})
        )
        .status,
        404
    );
    let no_pass = verified_session(&c, &unique_email("nopass"));
    let no_pass_key = crate::create_org(&c, &no_pass, "No Pass", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = put_saml(
        &c,
        &no_pass,
        &no_pass_key,
        &json!({"idp_metadata_xml": p.idp.metadata()}),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "pass_inactive"));
    let _ = other_key;

    // Removal: configured no more.
    let r = c.send(
        "DELETE",
        &path,
        &[("authorization", &format!("Bearer {admin}"))],
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        c.get(&path, Some(&admin)).json()["saml"]["configured"],
        false
    );
}

fn managed_accounts(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    let (admin, key, _, _, _) = org_in_trial(&c);
    let create = |body: Value| {
        c.json(
            "POST",
            &format!("/api/v1/orgs/{key}/managed-accounts"),
            Some(&admin),
            &body,
        )
    };
    // No SAML yet.
    let r = create(json!({"email": "a@corp.example", "name": "A", "role": "member"}));
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "sso_not_configured"),
        "{}",
        r.body
    );

    let o = sso_org(w, &c, &p.idp, false);
    let create = |body: Value| {
        c.json(
            "POST",
            &format!("/api/v1/orgs/{}/managed-accounts", o.key),
            Some(&o.admin),
            &body,
        )
    };
    let r = create(json!({"email": "a@unverified.example", "name": "A", "role": "member"}));
    assert_eq!((r.status, r.code().as_str()), (409, "domain_not_verified"));
    let r = create(json!({"email": "nope", "name": "", "role": "owner"}));
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_request"));
    let r = create(
        json!({"email": format!("x@{}", o.domain), "name": "X", "role": "member", "group_ids": ["grp_nope"]}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "unknown_group"));
    let r = create(json!({"email": o.admin_email, "name": "X", "role": "member"}));
    assert_eq!(
        r.code(),
        "domain_not_verified",
        "the admin's own (unverified) domain"
    );

    // A group to join at creation.
    let g = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/groups", o.key),
        Some(&o.admin),
        &json!({"name": "Engineering"}),
    );
    assert_eq!(g.status, 201, "{}", g.body);
    let group_id = g.json()["group"]["id"].as_str().unwrap().to_owned();
    let email = format!("Dana.Lee@{}", o.domain.to_uppercase());
    let r = create(
        json!({"email": email, "name": "Dana Lee", "role": "member", "group_ids": [group_id]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let m = r.json()["member"].clone();
    assert_eq!(m["managed"], true);
    assert_eq!(m["email"], email.to_lowercase());
    assert_eq!(m["group_ids"], json!([group_id]));
    let id = m["account_id"].as_str().unwrap().to_owned();
    assert_eq!(
        create(json!({"email": email, "name": "Again", "role": "member"})).code(),
        "email_taken"
    );

    // The invitation email says how to log in.
    let mail = last_mail(&c, &email.to_lowercase());
    let link = format!("{}/login/sso?organization_id={}", c.base, o.org_id);
    assert!(
        mail["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == &json!(link)),
        "{mail}"
    );
    assert!(mail["text"].as_str().unwrap().contains(&o.org_id));

    // No password, ever; and the answer is an unknown address's (nothing tells that a
    // managed account exists), counted against the limit like any failure.
    for _ in 0..10 {
        let r = c.json(
            "POST",
            "/api/v1/sessions",
            None,
            &json!({"email": email, "password": "whatever-password"}),
        );
        assert_eq!(
            (r.status, r.code().as_str()),
            (401, "invalid_credentials"),
            "{}",
            r.body
        );
    }
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": "whatever-password"}),
    );
    assert_eq!((r.status, r.code().as_str()), (429, "rate_limited"));

    // It is a member, in its group; it logs in through the IdP.
    let members = c
        .get(&format!("/api/v1/orgs/{}/members", o.key), Some(&o.admin))
        .json()["members"]
        .clone();
    assert!(members
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["account_id"] == id.as_str() && x["managed"] == true));
    let (_, r) = sp_login(&c, &p.idp, &o.org_id, &email, "assertion", "/");
    let cookie = session_cookie(&r).expect("a session");

    // It belongs to its organization only: another organization's invitation cannot be
    // accepted with it.
    let (other_admin, other_key, _, _, _) = org_in_trial(&c);
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{other_key}/invitations"),
        Some(&other_admin),
        &json!({"emails": [email], "role": "member"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let link = last_mail(&c, &email.to_lowercase())["links"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let invitation = link.rsplit("/invitations/").next().unwrap().to_owned();
    let r = c.send(
        "POST",
        &format!("/api/v1/invitations/{invitation}/accept"),
        &[
            ("cookie", &format!("orgpass_session={cookie}")),
            ("origin", &c.base),
            ("content-type", "application/json"),
        ],
        Some("{}"),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "forbidden"),
        "{}",
        r.body
    );

    // Only its organization's administrators delete it; then its session is gone.
    let del = |token: &str, key: &str, id: &str| {
        c.send(
            "DELETE",
            &format!("/api/v1/orgs/{key}/managed-accounts/{id}"),
            &[("authorization", &format!("Bearer {token}"))],
            None,
        )
    };
    assert_eq!(del(&other_admin, &o.key, &id).status, 404);
    let admin_id = c.get("/api/v1/me", Some(&o.admin)).json()["account"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        del(&o.admin, &o.key, &admin_id).status,
        404,
        "a normal account is not a managed one"
    );
    assert_eq!(del(&o.admin, &o.key, &id).status, 204);
    assert_eq!(me_by_cookie(&c, &cookie).status, 401);
    assert_eq!(del(&o.admin, &o.key, &id).status, 404);
}

fn last_unmanaged_admin(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    let o = sso_org(w, &c, &p.idp, false);
    let admin_id = c.get("/api/v1/me", Some(&o.admin)).json()["account"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (managed_admin, _) = managed(&c, &o, "boss", "administrator");
    let auth = format!("Bearer {}", o.admin);
    let patch = |id: &str, role: &str| {
        c.json(
            "PATCH",
            &format!("/api/v1/orgs/{}/members/{id}", o.key),
            Some(&o.admin),
            &json!({"role": role}),
        )
    };
    // The only normal administrator: not demoted, not removed, not through a group.
    assert_eq!(patch(&admin_id, "member").code(), "last_unmanaged_admin");
    let r = c.send(
        "DELETE",
        &format!("/api/v1/orgs/{}/members/{admin_id}", o.key),
        &[("authorization", &auth)],
        None,
    );
    assert_eq!((r.status, r.code().as_str()), (409, "last_unmanaged_admin"));
    let g = c
        .json(
            "POST",
            &format!("/api/v1/orgs/{}/groups", o.key),
            Some(&o.admin),
            &json!({"name": "Admins"}),
        )
        .json()["group"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c.send(
        "PUT",
        &format!("/api/v1/orgs/{}/groups/{g}/members/{admin_id}", o.key),
        &[("authorization", &auth)],
        None,
    );
    assert!(r.status < 300, "{}", r.body);
    let r = c.json(
        "POST",
        &format!("/api/v1/orgs/{}/groups/{g}/role", o.key),
        Some(&o.admin),
        &json!({"role": "member"}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "last_unmanaged_admin"),
        "{}",
        r.body
    );
    // A managed administrator may be demoted (a normal one remains).
    assert_eq!(patch(&managed_admin, "member").status, 200);
    assert_eq!(patch(&managed_admin, "administrator").status, 200);

    // The managed administrator logs in through the IdP while SAML is configured.
    let (_, r) = sp_login(
        &c,
        &p.idp,
        &o.org_id,
        &format!("boss@{}", o.domain),
        "assertion",
        "/",
    );
    let boss = session_cookie(&r).expect("a session");
    let as_boss = |method: &str, path: &str, body: &Value| {
        c.send(
            method,
            path,
            &[
                ("cookie", &format!("orgpass_session={boss}")),
                ("origin", &c.base),
                ("content-type", "application/json"),
            ],
            Some(&body.to_string()),
        )
    };

    // Without SAML the rule is off: the normal administrator may step down...
    let saml = format!("/api/v1/orgs/{}/saml", o.key);
    assert_eq!(
        c.send("DELETE", &saml, &[("authorization", &auth)], None)
            .status,
        204
    );
    assert_eq!(patch(&admin_id, "member").status, 200);
    // ...but SAML cannot be configured again while no normal administrator exists.
    let r = as_boss("PUT", &saml, &json!({"idp_metadata_xml": p.idp.metadata()}));
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "last_unmanaged_admin"),
        "{}",
        r.body
    );
    let r = as_boss(
        "PATCH",
        &format!("/api/v1/orgs/{}/members/{admin_id}", o.key),
        &json!({"role": "administrator"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = as_boss("PUT", &saml, &json!({"idp_metadata_xml": p.idp.metadata()}));
    assert_eq!(r.status, 200, "{}", r.body);
}

fn sp_initiated(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    for idp in [&p.idp, &p.idp4096] {
        let o = sso_org(w, &c, idp, false);
        let (_, email) = managed(&c, &o, "erin", "member");
        for sign in ["assertion", "response", "both"] {
            let return_to = format!("/orgs/{}/settings?from={sign}", o.key);
            // The NameID matches whatever its case.
            let (post, r) = sp_login(&c, idp, &o.org_id, &email.to_uppercase(), sign, &return_to);
            assert_eq!(r.status, 303, "{} bits, {sign}: {}", idp.bits, r.body);
            assert_eq!(r.header("location"), Some(return_to.as_str()));
            assert_eq!(r.round_trips(), 2, "read state, one batch write");
            let cookie = session_cookie(&r).expect("the session cookie");
            assert!(r
                .all("set-cookie")
                .iter()
                .any(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax")));
            let me = me_by_cookie(&c, &cookie);
            assert_eq!(me.status, 200);
            assert_eq!(me.json()["account"]["email"], email.as_str());
            assert_eq!(me.json()["account"]["managed"], true);
            // The same post again: the login it answered is spent.
            refused(&c, &o, &post_acs(&c, &post), "request_used");
            // The response with another login's RelayState: InResponseTo differs.
            let r = c.get(&format!("/login/sso?organization_id={}", o.org_id), None);
            let other_relay = r
                .header("location")
                .unwrap()
                .split("RelayState=")
                .nth(1)
                .unwrap()
                .to_owned();
            let mut crossed = post.clone();
            crossed.relay_state = Some(percent_decode(&other_relay));
            // In another browser: refused before the response is even read.
            refused(&c, &o, &post_acs(&c, &crossed), "browser_mismatch");
            // In the browser that started that other login: InResponseTo differs.
            crossed.browser = cookie_set(&r, "orgpass_sso");
            refused(&c, &o, &post_acs(&c, &crossed), "in_response_to_mismatch");
        }
        // The response without its RelayState is unsolicited, and this org refuses those.
        let (mut post, _) = sp_login(&c, idp, &o.org_id, &email, "assertion", "/");
        post.relay_state = None;
        let r = post_acs(&c, &post);
        assert_eq!(r.status, 403);
    }
}

/// A login reads the keys stored when the settings were saved (no X.509 at login);
/// settings saved before the keys were stored (migration 0014) log in from their PEMs.
fn stored_keys(w: &World) {
    const WORKER: &str = "sso-keys";
    let url = peers(w).dns.lock().unwrap().url();
    let c = w.other_client(WORKER, &[("DOH_URL", &url)]);
    let idp = &peers(w).idp;
    let o = sso_org(w, &c, idp, false);
    let (_, email) = managed(&c, &o, "keys", "member");
    let login = |c: &Client| sp_login(c, idp, &o.org_id, &email, "both", "/").1;
    let row = format!("FROM saml_settings WHERE space_key = '{}'", o.key);
    let stored = w.other_query(WORKER, &format!("SELECT signing_keys {row}"));
    let keys: Vec<String> =
        serde_json::from_str(stored[0]["signing_keys"].as_str().unwrap()).unwrap();
    // One key per certificate: the certificate's SHA-256, a dot, the SPKI in base64.
    let saml = c
        .get(&format!("/api/v1/orgs/{}/saml", o.key), Some(&o.admin))
        .json();
    let certificates = saml["saml"]["certificate_details"].as_array().unwrap();
    assert_eq!(keys.len(), certificates.len());
    let fingerprint = certificates[0]["fingerprint_sha256"]
        .as_str()
        .unwrap()
        .replace(':', "")
        .to_lowercase();
    assert!(
        keys[0].starts_with(&format!("{fingerprint}.MII")),
        "{}",
        keys[0]
    );
    assert_eq!(login(&c).status, 303);
    // What the login reads is the stored keys: with them unreadable it fails, though
    // the PEMs beside them are sound.
    w.other_sql(
        WORKER,
        &format!(
            "UPDATE saml_settings SET signing_keys = '[\"junk\"]' WHERE space_key = '{}'",
            o.key
        ),
    );
    let r = login(&c);
    assert_eq!(r.status, 503, "{}", r.body);
    // Saved before the keys were stored: the PEMs.
    w.other_sql(
        WORKER,
        &format!(
            "UPDATE saml_settings SET signing_keys = NULL WHERE space_key = '{}'",
            o.key
        ),
    );
    assert_eq!(login(&c).status, 303);
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn idp_initiated(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    let o = sso_org(w, &c, &p.idp, false);
    let (_, email) = managed(&c, &o, "ivan", "member");
    let post = p
        .idp
        .unsolicited(&o.sp, &email, "assertion", Some("/orgs/x"));
    refused(&c, &o, &post_acs(&c, &post), "idp_initiated_not_allowed");

    let r = put_saml(
        &c,
        &o.admin,
        &o.key,
        &json!({"idp_metadata_xml": p.idp.metadata(), "allow_idp_initiated": true}),
    );
    assert_eq!(r.status, 200);
    for (relay, expected) in [
        (
            Some(format!("/orgs/{}/settings", o.key)),
            format!("/orgs/{}/settings", o.key),
        ),
        (Some("https://evil.example/".to_owned()), "/".to_owned()),
        (Some("//evil.example/".to_owned()), "/".to_owned()),
        (None, "/".to_owned()),
    ] {
        let post = p.idp.unsolicited(&o.sp, &email, "both", relay.as_deref());
        let r = continue_unsolicited(&c, &post_acs(&c, &post), None);
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.header("location"), Some(expected.as_str()), "{relay:?}");
        assert!(session_cookie(&r).is_some());
        // The same assertion twice: a replay.
        refused(&c, &o, &post_acs(&c, &post), "replay");
        let f = failures(&c, &o)[0].clone();
        assert_eq!(f["name_id"], email.as_str(), "verified NameIDs are shown");
    }
}

fn attacks(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    let o = sso_org(w, &c, &p.idp, true);
    let (_, victim) = managed(&c, &o, "victim", "administrator");
    let attacker = format!("victim@{}.attacker.example", o.domain);
    let fresh = |user: &str| p.idp.unsolicited(&o.sp, user, "assertion", None);
    let before = c.get("/api/v1/me", Some(&o.admin)).status;
    assert_eq!(before, 200);

    // Comment injection: the NameID's text is all of it, not the part before a comment.
    let post = fresh(&attacker);
    let xml = post.xml().replacen(
        &format!("victim@{}", o.domain),
        &format!("victim@{}<!---->", o.domain),
        1,
    );
    assert!(xml.contains("<!---->"));
    refused(
        &c,
        &o,
        &post_acs(&c, &post.with_xml(&xml)),
        "account_not_found",
    );

    // A changed NameID after signing.
    let xml = fresh(&attacker).xml().replace(&attacker, &victim);
    refused(
        &c,
        &o,
        &post_acs(&c, &post.with_xml(&xml)),
        "digest_mismatch",
    );

    // Signature wrapping: a forged Assertion for the victim beside (or around) the
    // signed one for the attacker.
    let signed = fresh(&attacker).xml();
    let start = signed
        .find("<ns1:Assertion")
        .or_else(|| signed.find("<saml:Assertion"))
        .expect("an assertion");
    let end_tag = if signed[start..].starts_with("<ns1:") {
        "</ns1:Assertion>"
    } else {
        "</saml:Assertion>"
    };
    let end = signed.find(end_tag).unwrap() + end_tag.len();
    let assertion = &signed[start..end];
    let forged = assertion
        .replace(&attacker, &victim)
        .replacen("ID=\"", "ID=\"forged", 1);
    let forged_unsigned = strip_signature(&forged).unwrap_or(forged.clone());
    let xsw1 = format!(
        "{}{}{}",
        &signed[..start],
        forged_unsigned,
        &signed[start..]
    );
    let r = post_acs(&c, &post.with_xml(&xsw1));
    assert_eq!(r.status, 403, "{}", r.body);
    let v = failures(&c, &o)[0]["variant"].as_str().unwrap().to_owned();
    assert!(
        ["assertion_count", "duplicate_id"].contains(&v.as_str()),
        "{v}"
    );
    let xsw2 = format!(
        "{}{}{}",
        &signed[..start],
        forged_unsigned.replacen(">", &format!(">{assertion}"), 1),
        &signed[end..]
    );
    let r = post_acs(&c, &post.with_xml(&xsw2));
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(session_cookie(&r).is_none());

    // A DOCTYPE (entity expansion) is refused before anything else.
    let doctype = signed.replacen(
        "<ns0:Response",
        "<!DOCTYPE r [<!ENTITY x \"y\">]><ns0:Response",
        1,
    );
    let r = post_acs(&c, &post.with_xml(&doctype));
    assert_eq!(r.status, 403);

    // Signed by another IdP's key (the 4096-bit one, not configured here).
    let other = p.idp4096.unsolicited(&o.sp, &victim, "assertion", None);
    let r = post_acs(&c, &other);
    assert_eq!(r.status, 403);
    let v = failures(&c, &o)[0]["variant"].as_str().unwrap().to_owned();
    assert!(
        [
            "wrong_issuer",
            "signature_invalid",
            "untrusted_certificate",
            "key_type_mismatch"
        ]
        .contains(&v.as_str()),
        "{v}"
    );

    // Meant for another organization (audience, destination, recipient), posted here.
    let o2 = sso_org(w, &c, &p.idp, true);
    let theirs = p.idp.unsolicited(&o2.sp, &victim, "assertion", None);
    let ours = AcsPost {
        browser: None,
        action: format!("{}/acs", o.sp),
        ..theirs
    };
    let r = post_acs(&c, &ours);
    assert_eq!(r.status, 403);
    let v = failures(&c, &o)[0]["variant"].as_str().unwrap().to_owned();
    assert!(
        ["wrong_destination", "wrong_recipient", "wrong_audience"].contains(&v.as_str()),
        "{v}"
    );

    // Unsigned: the signature removed.
    let s = fresh(&victim).xml();
    let unsigned = strip_signature(&s).expect("a signature");
    refused(
        &c,
        &o,
        &post_acs(&c, &post.with_xml(&unsigned)),
        "signature_missing",
    );

    // SHA-1 only where the organization opted in.
    let sha1 = p
        .idp
        .unsolicited_with(&o.sp, &victim, "assertion", None, "sha1");
    refused(&c, &o, &post_acs(&c, &sha1), "sha1_not_allowed");

    // Not base64, nothing at all, not XML, too large.
    refused(
        &c,
        &o,
        &post_acs(
            &c,
            &AcsPost {
                saml_response: "!!!".into(),
                ..post.clone()
            },
        ),
        "not_base64",
    );
    let r = c.send(
        "POST",
        &format!("/saml/{}/acs", o.key),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some("RelayState=%2F"),
    );
    refused(&c, &o, &r, "missing_response");
    refused(
        &c,
        &o,
        &post_acs(&c, &post.with_xml("<a><b></a>")),
        "malformed_xml",
    );
    let big = format!("SAMLResponse={}", "A".repeat(300 * 1024));
    let r = c.send(
        "POST",
        &format!("/saml/{}/acs", o.key),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&big),
    );
    assert_eq!(r.status, 413);

    // None of it made a session for the victim: the only sessions are the admin's.
    let rows = w.other_query(
        "sso",
        &format!("SELECT count(*) AS n FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.email = '{victim}'"),
    );
    assert_eq!(rows[0]["n"], 0, "no session for the victim");
    // The failure list shows at most 20 anonymous failures (junk anyone can post),
    // and junk never pushes out the others.
    for _ in 0..8 {
        post_acs(&c, &post.with_xml("x"));
    }
    let list = failures(&c, &o);
    let anonymous = list.iter().filter(|f| f["kind"] == "anonymous").count();
    assert!(anonymous <= 20, "{list:?}");
    assert!(list.iter().any(|f| f["kind"] == "issuer"), "{list:?}");
}

/// `xml` without its first `Signature` element, whatever its prefix.
fn strip_signature(xml: &str) -> Option<String> {
    let at = xml
        .find(":Signature ")
        .or_else(|| xml.find(":Signature>"))?;
    let open = xml[..at].rfind('<')?;
    let prefix = &xml[open + 1..at];
    let close = format!("</{prefix}:Signature>");
    let end = xml[at..].find(&close)? + at + close.len();
    Some(format!("{}{}", &xml[..open], &xml[end..]))
}

fn trial_end(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    let o = sso_org(w, &c, &p.idp, true);
    let (_, email) = managed(&c, &o, "tess", "member");
    let (_, r) = sp_login(&c, &p.idp, &o.org_id, &email, "assertion", "/");
    let cookie = session_cookie(&r).unwrap();
    assert_eq!(me_by_cookie(&c, &cookie).status, 200);

    // The operator ends the trial now.
    let past = "2020-01-01T00:00:00Z";
    let r = operator(
        &c,
        "PATCH",
        &format!("/api/v1/operator/orgs/{}/pass", o.key),
        Some(&json!({"trial_ends_at": past})),
    );
    assert!(r.status == 200 || r.status == 409, "{}", r.body);
    let r = w.other_query(
        "sso",
        &format!(
            "SELECT pass_status FROM organizations WHERE space_key = '{}'",
            o.key
        ),
    );
    if r[0]["pass_status"] == "trial" {
        w.other_sql(
            "sso",
            &format!(
                "UPDATE organizations SET pass_trial_ends_at = 1000 WHERE space_key = '{}'",
                o.key
            ),
        );
    }
    // The managed session ends; SP-initiated login answers the neutral page; an
    // IdP-initiated response is refused with a page that says why.
    assert_eq!(me_by_cookie(&c, &cookie).status, 401);
    let r = c.get(&format!("/login/sso?organization_id={}", o.org_id), None);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"sso-unavailable\""));
    let post = p.idp.unsolicited(&o.sp, &email, "assertion", None);
    let r = post_acs(&c, &post);
    assert_eq!(r.status, 403);
    assert!(
        r.body.contains("trial or subscription has ended"),
        "{}",
        r.body
    );
    // Administrators still see why (their normal account logs in with a password).
    let admin = log_in(&c, &o.admin_email);
    let f = c
        .get(
            &format!("/api/v1/orgs/{}/saml/failures", o.key),
            Some(&admin),
        )
        .json()["failures"][0]
        .clone();
    assert_eq!(f["variant"], "pass_inactive");
    assert_eq!(f["reference"], reference_in(&r.body).as_str());
}

fn neutral_and_cleanup(w: &World) {
    let c = sso_client(w);
    let p = peers(w);
    // An unknown ID and an organization without SSO get the same page.
    let unknown = c.get("/login/sso?organization_id=no-such-org-anywhere", None);
    let token = verified_session(&c, &unique_email("plain"));
    let plain = crate::create_org(&c, &token, "Plain", None)["organization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let known = c.get(&format!("/login/sso?organization_id={plain}"), None);
    assert_eq!((unknown.status, known.status), (200, 200));
    assert_eq!(
        unknown.body.replace("no-such-org-anywhere", "ID"),
        known.body.replace(&plain, "ID")
    );
    let form = c.get("/login/sso", None);
    assert!(form.body.contains("name=\"organization_id\""));
    assert!(c
        .get("/login", None)
        .body
        .contains("Log in with managed account"));

    // SP metadata.
    let o = sso_org(w, &c, &p.idp, true);
    let r = c.get(&format!("/saml/{}/metadata", o.key), None);
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .contains("samlmetadata+xml"));
    assert!(r.body.contains(&format!("entityID=\"{}\"", o.sp)));
    assert!(r.body.contains(&format!("Location=\"{}/acs\"", o.sp)));
    // An ACS of no organization.
    let r = c.send(
        "POST",
        "/saml/ZZZZZZZZZZ/acs",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some("SAMLResponse=AAAA"),
    );
    assert_eq!(r.status, 403);
    assert!(r.body.contains("id=\"reference\""));

    // The Cron removes replay records past their time and expired logins in flight.
    let (_, email) = managed(&c, &o, "cleo", "member");
    let r = post_acs(&c, &p.idp.unsolicited(&o.sp, &email, "assertion", None));
    let r = continue_unsolicited(&c, &r, None);
    assert_eq!(r.status, 303, "{}", r.body);
    c.get(&format!("/login/sso?organization_id={}", o.org_id), None);
    let count = |table: &str| {
        w.other_query(
            "sso",
            &format!(
                "SELECT count(*) AS n FROM {table} WHERE space_key = '{}'",
                o.key
            ),
        )[0]["n"]
            .as_i64()
            .unwrap()
    };
    assert!(count("saml_replays") >= 1 && count("saml_requests") >= 1);
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 2 * 3600 * 1000;
    crate::pass::cron(&c, later);
    assert_eq!((count("saml_replays"), count("saml_requests")), (0, 0));
}
