//! The OpenID Connect provider: the operator's registry of the products' clients, and
//! products signing people in through it with a certified relying-party library
//! (openid-client, `tests/oidc/product.mjs`).

use serde_json::{json, Value};

use crate::{
    client::{Client, Resp},
    create_org,
    pass::operator,
    product::{answer, hidden, param, Product, Visitor},
    unique_email, verified_session, World,
};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "oidc::discovery_names_every_endpoint",
        discovery,
    ),
    (
        "oidc::a_product_signs_a_signed_in_person_in_refreshes_and_a_reused_refresh_token_ends_the_family",
        signed_in_person,
    ),
    (
        "oidc::a_signed_out_browser_logs_in_with_password_and_two_step_and_comes_back",
        signed_out_browser,
    ),
    (
        "oidc::authorization_refusals_stay_at_orgpass_or_go_back_with_state",
        authorization_refusals,
    ),
    (
        "oidc::codes_work_once_in_two_round_trips_and_client_secrets_and_pkce_are_checked",
        codes,
    ),
    (
        "oidc::removed_members_lose_the_organization_and_revoked_tokens_stop",
        removal_and_revocation,
    ),
    (
        "oidc::managed_accounts_sign_in_through_their_idp_and_lose_the_products_when_the_add_on_ends",
        managed_accounts,
    ),
    (
        "oidc::expired_codes_access_and_refresh_tokens_are_refused",
        expiry,
    ),
    (
        "oidc::the_openidconnect_crate_signs_in_verifies_the_id_token_and_refreshes",
        openidconnect_crate,
    ),
    (
        "oidc::rp_initiated_logout_ends_the_session_and_returns_only_to_registered_uris",
        rp_initiated_logout,
    ),
    (
        "oidc::back_channel_logout_reaches_each_client_within_seconds_and_the_cron_retries",
        back_channel_logout,
    ),
    (
        "oidc::the_operator_registers_lists_rotates_and_deletes_clients",
        clients,
    ),
    (
        "oidc::the_jwks_publishes_the_signing_key_as_node_reads_it",
        jwks,
    ),
];

/// The JWKS against Node's own reading of the configured key (OpenSSL's PKCS#8 parser
/// and JWK export, sharing no code with ours), and the RFC 7638 thumbprint computed in
/// JavaScript.
fn jwks(w: &World) {
    let c = w.client();
    let r = c.get("/.well-known/jwks.json", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
    let keys = r.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = &keys[0];
    assert_eq!(
        (&key["kty"], &key["alg"], &key["use"]),
        (&json!("RSA"), &json!("RS256"), &json!("sig"))
    );
    assert!(
        key.get("d").is_none() && key.get("p").is_none(),
        "no private parts"
    );
    let script = "const c = require('node:crypto'); \
        const k = c.createPrivateKey({ key: Buffer.from(process.argv[1], 'base64'), format: 'der', type: 'pkcs8' }); \
        const j = c.createPublicKey(k).export({ format: 'jwk' }); \
        const kid = c.createHash('sha256').update(JSON.stringify({ e: j.e, kty: j.kty, n: j.n })).digest('base64url'); \
        process.stdout.write(JSON.stringify({ n: j.n, e: j.e, kid }));";
    let out = std::process::Command::new("node")
        .args(["-e", script, crate::server::oidc_key()])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let node: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(key["n"], node["n"]);
    assert_eq!(key["e"], node["e"]);
    assert_eq!(key["kid"], node["kid"]);
}

fn clients(w: &World) {
    // Its own Worker: the test reads D1 directly (see `self_service::managed_session`).
    let c = w.other_client("oidc", &[]);
    let body = json!({
        "name": "Tracker web",
        "product": "tracker",
        "redirect_uris": ["https://tracker.example.com/callback", "http://127.0.0.1:5173/cb"],
        "post_logout_redirect_uris": ["https://tracker.example.com/"],
        "backchannel_logout_uri": "https://tracker.example.com/backchannel",
    });
    let r = operator(&c, "POST", "/api/v1/operator/clients", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let client = &created["client"];
    let id = client["client_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cli_"), "{id}");
    assert_eq!(client["product"], "tracker");
    assert_eq!(client["redirect_uris"], body["redirect_uris"]);
    assert_eq!(
        client["post_logout_redirect_uris"],
        body["post_logout_redirect_uris"]
    );
    assert_eq!(
        client["backchannel_logout_uri"],
        body["backchannel_logout_uri"]
    );
    assert!(client["created_at"].as_str().unwrap().ends_with('Z'));
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43);

    // Stored as a hash only; listed without it.
    let stored = w.other_query(
        "oidc",
        &format!("SELECT secret_hash FROM oidc_clients WHERE client_id = '{id}'"),
    );
    let hash = stored[0]["secret_hash"].as_str().unwrap();
    assert_ne!(hash, secret);
    assert_eq!(hash, {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(secret.as_bytes()))
    });
    let r = operator(&c, "GET", "/api/v1/operator/clients", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains(&secret) && !r.body.contains(hash));
    let listed = r.json()["clients"].as_array().unwrap().clone();
    assert!(listed.iter().any(|l| l["client_id"] == id.as_str()));

    // Rotation: a new secret, a new hash.
    let r = operator(
        &c,
        "POST",
        &format!("/api/v1/operator/clients/{id}/secret"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rotated = r.json()["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(rotated, secret);
    let stored = w.other_query(
        "oidc",
        &format!("SELECT secret_hash FROM oidc_clients WHERE client_id = '{id}'"),
    );
    assert_ne!(stored[0]["secret_hash"].as_str().unwrap(), hash);

    // Refusals change nothing.
    for (bad, code) in [
        (
            json!({"name": "x", "product": "tracker", "redirect_uris": []}),
            "invalid_redirect_uri",
        ),
        (
            json!({"name": "x", "product": "tracker", "redirect_uris": ["http://tracker.example.com/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"name": "x", "product": "tracker", "redirect_uris": ["https://t.example/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"name": "x", "product": "spreadsheets", "redirect_uris": ["https://t.example/cb"]}),
            "unknown_product",
        ),
        (
            json!({"name": "x", "product": "chat", "redirect_uris": ["https://t.example/cb"],
                   "backchannel_logout_uri": "ftp://t.example/"}),
            "invalid_backchannel_logout_uri",
        ),
        (json!({"name": "x", "product": "chat"}), "invalid_request"),
    ] {
        let count = || {
            operator(&c, "GET", "/api/v1/operator/clients", None).json()["clients"]
                .as_array()
                .unwrap()
                .len()
        };
        let before = count();
        let r = operator(&c, "POST", "/api/v1/operator/clients", Some(&bad));
        assert_eq!(
            (r.status, r.code()),
            (400, code.to_owned()),
            "{bad}: {}",
            r.body
        );
        assert_eq!(count(), before, "{bad}: nothing stored");
    }
    // The operator's token is required.
    let r = c.json(
        "POST",
        "/api/v1/operator/clients",
        Some("not-the-token"),
        &body,
    );
    assert_eq!((r.status, r.code()), (401, "unauthenticated".into()));
    let r = c.get("/api/v1/operator/clients", None);
    assert_eq!(r.status, 401);

    let r = operator(
        &c,
        "DELETE",
        &format!("/api/v1/operator/clients/{id}"),
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let r = operator(
        &c,
        "DELETE",
        &format!("/api/v1/operator/clients/{id}"),
        None,
    );
    assert_eq!((r.status, r.code()), (404, "not_found".into()));
    let r = operator(
        &c,
        "POST",
        &format!("/api/v1/operator/clients/{id}/secret"),
        None,
    );
    assert_eq!(r.status, 404);
}

/// `/.well-known/openid-configuration`: the issuer is `BASE_URL`, every endpoint is
/// named, and openid-client accepts it (every other test discovers through it).
fn discovery(w: &World) {
    let c = w.client();
    let r = c.get("/.well-known/openid-configuration", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
    let d = r.json();
    assert_eq!(d["issuer"], c.base.as_str());
    for (name, path) in [
        ("authorization_endpoint", "/oauth2/authorize"),
        ("token_endpoint", "/oauth2/token"),
        ("userinfo_endpoint", "/oauth2/userinfo"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("end_session_endpoint", "/oauth2/logout"),
        ("jwks_uri", "/.well-known/jwks.json"),
    ] {
        assert_eq!(d[name], format!("{}{path}", c.base).as_str(), "{name}");
    }
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert_eq!(d["backchannel_logout_supported"], true);
    assert_eq!(d["backchannel_logout_session_supported"], true);
}

/// A normal account in an organization with the product, and one without it.
struct Person {
    email: String,
    token: String,
    key: String,
}

fn person(c: &Client, tag: &str) -> Person {
    let email = unique_email(tag).to_lowercase();
    let token = verified_session(c, &email);
    let key = create_org(c, &token, &format!("{tag} Org"), None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    Person { email, token, key }
}

/// Sends the visitor to the product's `/login` (with `query`) and follows every
/// redirect; the product's last answer and the URLs visited.
fn sign_in(v: &Visitor, product: &Product, query: &str) -> (Resp, Vec<String>) {
    v.visit(&format!("{}/login{query}", product.base))
}

fn signed_in_person(w: &World) {
    let c = w.client();
    let p = person(&c, "OidcPerson");
    // A second organization without the product: not listed.
    let other = create_org_with(&c, &p.token, "chat");
    let product = Product::start(&c, "tracker", &[]);
    let v = Visitor::new();
    v.set_cookie(&c.base, "orgpass_session", &p.token);
    let (r, visited) = sign_in(&v, &product, "");
    assert_eq!(r.status, 200, "{visited:?}: {}", r.body);
    // product → orgpass's authorization endpoint → straight back with a code.
    assert_eq!(visited.len(), 3, "{visited:?}");
    assert!(visited[1].starts_with(&format!("{}/oauth2/authorize?", c.base)));
    assert_eq!(param(&visited[2], "iss").as_deref(), Some(c.base.as_str()));
    let got = answer(&r);
    let claims = &got["claims"];
    let me = c.get("/api/v1/me", Some(&p.token)).json();
    assert_eq!(claims["sub"], me["account"]["id"]);
    assert_eq!(claims["iss"], c.base.as_str());
    assert_eq!(claims["aud"], product.client_id.as_str());
    assert_eq!(claims["azp"], product.client_id.as_str());
    assert_eq!(claims["email"], p.email.as_str());
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Test Person");
    assert!(claims["sid"].as_str().unwrap().starts_with("sess_"));
    assert!(claims["nonce"].is_string());
    assert!(claims["at_hash"].is_string());
    let sessions = c.get("/api/v1/me/sessions", Some(&p.token)).json();
    let current = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()
        .clone();
    assert_eq!(claims["sid"], current["id"]);
    let created = chrono_seconds(current["created_at"].as_str().unwrap());
    assert_eq!(
        claims["auth_time"].as_i64(),
        Some(created),
        "auth_time is the login's"
    );
    let exp = claims["exp"].as_i64().unwrap();
    assert_eq!(exp - claims["iat"].as_i64().unwrap(), 600);
    let orgs = claims["organizations"].as_array().unwrap();
    assert_eq!(
        orgs.len(),
        1,
        "only the organization with the product: {orgs:?}"
    );
    assert_eq!(orgs[0]["space_key"], p.key.as_str());
    assert_ne!(orgs[0]["space_key"], other.as_str());
    assert_eq!(orgs[0]["role"], "administrator");
    assert_eq!(orgs[0]["managed"], false);
    assert_eq!(orgs[0]["product"]["plan"], "trial");
    assert!(orgs[0]["product"]["trial_ends_at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    // userinfo answers the same claims.
    for name in ["sub", "email", "email_verified", "name", "organizations"] {
        assert_eq!(got["userinfo"][name], claims[name], "{name}");
    }
    // Signed by the key the JWKS publishes (jose checked the signature too).
    let jwks = c.get("/.well-known/jwks.json", None).json();
    assert_eq!(got["kid"], jwks["keys"][0]["kid"]);
    assert_eq!(
        got["scope"],
        "openid profile email organizations offline_access"
    );

    // Refresh: a new refresh token each time, fresh claims, no nonce.
    let first = got["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    let r = v.product_post(&product, "/refresh");
    assert_eq!(r.status, 200, "{}", r.body);
    let refreshed = answer(&r);
    let second = refreshed["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    assert_eq!(refreshed["claims"]["sub"], claims["sub"]);
    assert_eq!(refreshed["claims"]["auth_time"], claims["auth_time"]);
    assert!(refreshed["claims"].get("nonce").is_none());

    // The first refresh token again: refused, and the family ends (the newest too).
    let r = token(
        &c,
        &product,
        &format!("grant_type=refresh_token&refresh_token={first}"),
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("invalid_grant")),
        "{}",
        r.body
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = v.product_post(&product, "/refresh");
    assert_eq!(answer(&r)["error"], "invalid_grant", "{}", r.body);
    // The access tokens of the family stop too.
    let access = refreshed["tokens"]["access_token"].as_str().unwrap();
    let r = c.get("/oauth2/userinfo", Some(access));
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
}

/// Creates an organization with `product` and returns its space key.
fn create_org_with(c: &Client, token: &str, product: &str) -> String {
    let r = c.json(
        "POST",
        "/api/v1/orgs",
        Some(token),
        &json!({"name": format!("{product} only"), "product": product}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["org"]["space_key"].as_str().unwrap().to_owned()
}

fn chrono_seconds(rfc3339: &str) -> i64 {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", rfc3339, "+%s"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Logs the session `token` out through the API.
fn log_out(c: &Client, token: &str) {
    let r = c.send(
        "DELETE",
        "/api/v1/sessions/current",
        &[("authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
}

/// A token request with the product's Basic credentials.
fn token(c: &Client, product: &Product, body: &str) -> Resp {
    c.send(
        "POST",
        "/oauth2/token",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", &product.basic()),
        ],
        Some(body),
    )
}

fn signed_out_browser(w: &World) {
    let c = w.client();
    let p = person(&c, "OidcSignedOut");
    // client_secret_post this time.
    let product = Product::start(&c, "tracker", &[("CLIENT_AUTH", "post")]);
    let v = Visitor::new();
    let (page, visited) = sign_in(&v, &product, "");
    let at = visited.last().unwrap().clone();
    assert!(
        at.starts_with(&format!(
            "{}/login?return_to=%2Foauth2%2Fauthorize%3F",
            c.base
        )),
        "{at}"
    );
    let (r, visited) = v.log_in(&at, &page, &p.email);
    assert_eq!(r.status, 200, "{visited:?}: {}", r.body);
    let got = answer(&r);
    assert_eq!(got["claims"]["email"], p.email.as_str());
    assert_eq!(
        got["claims"]["organizations"][0]["space_key"],
        p.key.as_str()
    );

    // max_age=0 (openid-client then checks auth_time): the signed-in browser logs in
    // again, and comes back with a fresh auth_time.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (page, visited) = sign_in(&v, &product, "?max_age=0");
    assert!(
        visited.last().unwrap().contains("/login?return_to="),
        "{visited:?}"
    );
    let (r, visited) = v.log_in(visited.last().unwrap(), &page, &p.email);
    assert_eq!(r.status, 200, "{visited:?}: {}", r.body);
    let again = answer(&r);
    assert!(
        again["claims"]["auth_time"].as_i64() > got["claims"]["auth_time"].as_i64(),
        "{again}"
    );

    // With two-step verification on, the second step comes between.
    let q = person(&c, "OidcTwoStep");
    let (secret, _) = crate::two_step::enrol(&c, &q.token);
    let v = Visitor::new();
    let (page, visited) = sign_in(&v, &product, "");
    let (second, _) = v.log_in(visited.last().unwrap(), &page, &q.email);
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(
        second.body.contains("action=\"/login/two-step\""),
        "{}",
        second.body
    );
    let (r, visited) = v.post(
        &format!("{}/login/two-step", c.base),
        &[
            ("csrf", &crate::csrf_in(&second.body)),
            ("two_step_token", &hidden(&second.body, "two_step_token")),
            ("return_to", &hidden(&second.body, "return_to")),
            // The enrolment used this step's code: the next one (a code works once).
            ("code", &crate::two_step::oathtool(&secret, 1)),
        ],
    );
    assert_eq!(r.status, 200, "{visited:?}: {}", r.body);
    assert_eq!(answer(&r)["claims"]["email"], q.email.as_str());
}

/// The authorization endpoint with the browser of `v`: its first answer.
fn authorize(c: &Client, cookie: Option<&str>, query: &str) -> Resp {
    let header = cookie.map(|s| format!("orgpass_session={s}"));
    let headers: Vec<(&str, &str)> = header.iter().map(|h| ("cookie", h.as_str())).collect();
    c.send("GET", &format!("/oauth2/authorize?{query}"), &headers, None)
}

/// PKCE: a verifier and its S256 challenge.
fn pkce(seed: &str) -> (String, String) {
    use base64::Engine;
    use sha2::Digest;
    let verifier = format!("{seed:-<50}");
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn request(product: &Product, challenge: &str, extra: &str) -> String {
    format!(
        "client_id={}&redirect_uri={}&response_type=code&scope=openid%20email%20offline_access\
         &state=st8&nonce=n0nce&code_challenge={challenge}&code_challenge_method=S256{extra}",
        product.client_id,
        crate::urlencode(&format!("{}/callback", product.base)),
    )
}

fn authorization_refusals(w: &World) {
    let c = w.client();
    let p = person(&c, "OidcRefusals");
    let product = Product::start(&c, "tracker", &[]);
    let (_, challenge) = pkce("refusals");
    let good = request(&product, &challenge, "");
    let callback = format!("{}/callback?", product.base);

    // Unknown client, unregistered redirect URI: a page here, never a redirect.
    for bad in [
        good.replace(&product.client_id, "cli_unknown"),
        good.replace("%2Fcallback", "%2Fcallback%2Fother"),
        good.replace(
            &format!(
                "redirect_uri={}",
                crate::urlencode(&format!("{}/callback", product.base))
            ),
            "redirect_uri=https%3A%2F%2Fevil.example%2F",
        ),
    ] {
        let r = authorize(&c, Some(&p.token), &bad);
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert!(r.header("location").is_none());
        assert!(
            r.body.contains("This sign-in link does not work"),
            "{}",
            r.body
        );
    }
    // Other refusals go back with error, state and iss.
    for (bad, error) in [
        (
            good.replace("&code_challenge_method=S256", ""),
            "invalid_request",
        ),
        (
            good.replace(&format!("&code_challenge={challenge}"), ""),
            "invalid_request",
        ),
        (
            good.replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (good.replace("scope=openid%20", "scope="), "invalid_scope"),
    ] {
        let r = authorize(&c, Some(&p.token), &bad);
        assert_eq!(r.status, 303, "{bad}: {}", r.body);
        let to = r.header("location").unwrap();
        assert!(to.starts_with(&callback), "{to}");
        assert_eq!(param(to, "error").as_deref(), Some(error), "{to}");
        assert_eq!(param(to, "state").as_deref(), Some("st8"));
        assert_eq!(param(to, "iss").as_deref(), Some(c.base.as_str()));
        assert!(param(to, "code").is_none());
    }
    // prompt=none: a code with a session, login_required without one.
    let r = authorize(&c, Some(&p.token), &format!("{good}&prompt=none"));
    assert!(
        param(r.header("location").unwrap(), "code").is_some(),
        "{:?}",
        r.header("location")
    );
    let r = authorize(&c, None, &format!("{good}&prompt=none"));
    assert_eq!(
        param(r.header("location").unwrap(), "error").as_deref(),
        Some("login_required")
    );
    // prompt=login and an exceeded max_age: log in again, and come back without them
    // (the login that follows is the one they asked for).
    for extra in ["&prompt=login", "&max_age=0"] {
        if extra == "&max_age=0" {
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        let r = authorize(&c, Some(&p.token), &format!("{good}{extra}"));
        assert_eq!(r.status, 303, "{}", r.body);
        let to = r.header("location").unwrap();
        assert!(to.starts_with("/login?return_to="), "{extra}: {to}");
        let back = param(to, "return_to").unwrap();
        assert!(
            !back.contains("prompt") && !back.contains("max_age"),
            "{back}"
        );
    }
    let r = authorize(&c, Some(&p.token), &format!("{good}&max_age=3600"));
    assert!(param(r.header("location").unwrap(), "code").is_some());
    let r = authorize(&c, None, &format!("{good}&max_age=0&prompt=none"));
    assert_eq!(
        param(r.header("location").unwrap(), "error").as_deref(),
        Some("login_required")
    );
}

fn code_of(r: &Resp) -> String {
    assert_eq!(r.status, 303, "{}", r.body);
    param(r.header("location").unwrap(), "code").expect("a code")
}

fn codes(w: &World) {
    let c = w.client();
    let p = person(&c, "OidcCodes");
    let product = Product::start(&c, "tracker", &[]);
    let (verifier, challenge) = pkce("codes");
    let query = request(&product, &challenge, "");
    let redirect = crate::urlencode(&format!("{}/callback", product.base));
    let exchange = |code: &str, verifier: &str| {
        format!("grant_type=authorization_code&code={code}&redirect_uri={redirect}&code_verifier={verifier}")
    };

    // A signed-in browser's authorization: two round trips (read, write the code).
    let r = authorize(&c, Some(&p.token), &query);
    assert_eq!(r.round_trips(), 2, "authorization for a signed-in browser");
    let code = code_of(&r);
    // Wrong secret, no credentials, wrong verifier, wrong redirect URI: refused, and the
    // code still works after.
    let wrong = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                product.client_id,
                "x".repeat(43)
            ))
        )
    };
    let r = c.send(
        "POST",
        "/oauth2/token",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", &wrong),
        ],
        Some(&exchange(&code, &verifier)),
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (401, json!("invalid_client"))
    );
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"orgpass\"")
    );
    let r = c.send(
        "POST",
        "/oauth2/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&exchange(&code, &verifier)),
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (401, json!("invalid_client"))
    );
    let (other_verifier, _) = pkce("another");
    let r = token(&c, &product, &exchange(&code, &other_verifier));
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("invalid_grant")),
        "{}",
        r.body
    );
    let r = token(
        &c,
        &product,
        &exchange(&code, &verifier).replace("%2Fcallback", "%2Fother"),
    );
    assert_eq!(r.json()["error"], "invalid_grant");
    let r = token(&c, &product, "grant_type=password&username=a&password=b");
    assert_eq!(r.json()["error"], "unsupported_grant_type");
    let r = c.send(
        "POST",
        "/oauth2/token",
        &[
            ("content-type", "application/json"),
            ("authorization", &product.basic()),
        ],
        Some("{}"),
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("invalid_request"))
    );

    // client_secret_post works as well; the exchange is two round trips.
    let r = c.send(
        "POST",
        "/oauth2/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&format!(
            "{}&client_id={}&client_secret={}",
            exchange(&code, &verifier),
            product.client_id,
            product.secret
        )),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.round_trips(), 2, "token endpoint: one read, one write");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("pragma"), Some("no-cache"));
    let tokens = r.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 600);
    assert_eq!(tokens["scope"], "openid email offline_access");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let r = c.get("/oauth2/userinfo", Some(&access));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.round_trips(), 1, "userinfo: one read");
    assert_eq!(r.json()["email"], p.email.as_str());
    assert!(r.json().get("name").is_none(), "no profile scope");
    assert!(
        r.json().get("organizations").is_none(),
        "no organizations scope"
    );

    // The code again: refused, and what it gave stops working.
    let r = token(&c, &product, &exchange(&code, &verifier));
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);
    assert_eq!(c.get("/oauth2/userinfo", Some(&access)).status, 401);
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let r = token(
        &c,
        &product,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    );
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);

    // Eight exchanges of one code at once: exactly one gets tokens.
    let code = code_of(&authorize(&c, Some(&p.token), &query));
    let body = exchange(&code, &verifier);
    let answers: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| token(&c, &product, &body).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        answers.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|s| *s == 200 || *s == 400),
        "{answers:?}"
    );

    // Eight refreshes of one refresh token at once: one gets tokens, the others count
    // as reuse, so the family ends (the winner's new refresh token too).
    let code = code_of(&authorize(&c, Some(&p.token), &query));
    let r = token(&c, &product, &exchange(&code, &verifier));
    assert_eq!(r.status, 200, "{}", r.body);
    let body = format!(
        "grant_type=refresh_token&refresh_token={}",
        r.json()["refresh_token"].as_str().unwrap()
    );
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let r = token(&c, &product, &body);
                    (r.status, r.json())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let next = winners[0]["refresh_token"].as_str().unwrap();
    let r = token(
        &c,
        &product,
        &format!("grant_type=refresh_token&refresh_token={next}"),
    );
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);

    // Another client cannot use this client's code.
    let other = Product::start(&c, "tracker", &[]);
    let code = code_of(&authorize(&c, Some(&p.token), &query));
    let r = token(&c, &other, &exchange(&code, &verifier));
    assert_eq!(r.json()["error"], "invalid_grant");
    // A logged-out session's code stops at once (expiry: `expiry` below).
    let code = code_of(&authorize(&c, Some(&p.token), &query));
    log_out(&c, &p.token);
    let r = token(&c, &product, &exchange(&code, &verifier));
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);
}

fn removal_and_revocation(w: &World) {
    let c = w.client();
    let admin = person(&c, "OidcOwner");
    let joined = crate::team::joined(&c, &admin.token, &admin.key, "member", "OidcMember");
    let member = joined.token.clone();
    let own = create_org(&c, &member, "Member's own", None)["space_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let product = Product::start(&c, "tracker", &[]);
    let v = Visitor::new();
    v.set_cookie(&c.base, "orgpass_session", &member);
    let (r, _) = sign_in(&v, &product, "");
    let got = answer(&r);
    let keys = |claims: &Value| -> Vec<String> {
        let mut k: Vec<String> = claims["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["space_key"].as_str().unwrap().to_owned())
            .collect();
        k.sort();
        k
    };
    let mut both = vec![admin.key.clone(), own.clone()];
    both.sort();
    assert_eq!(keys(&got["claims"]), both);
    let member_entry = got["claims"]["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["space_key"] == admin.key.as_str())
        .unwrap()
        .clone();
    assert_eq!(member_entry["role"], "member");

    // Removed from the organization: the next refresh and userinfo drop it.
    let account = joined.id.clone();
    let r = c.send(
        "DELETE",
        &format!("/api/v1/orgs/{}/members/{account}", admin.key),
        &[("authorization", &format!("Bearer {}", admin.token))],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let r = v.visit(&format!("{}/me", product.base)).0;
    assert_eq!(keys(&answer(&r)), vec![own.clone()], "{}", r.body);
    let r = v.product_post(&product, "/refresh");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(keys(&answer(&r)["claims"]), vec![own.clone()]);

    // Revocation (RFC 7009): the refresh token's family ends.
    let r = v.product_post(&product, "/revoke");
    assert_eq!(r.status, 200, "{}", r.body);
    let r = v.product_post(&product, "/refresh");
    assert_eq!(answer(&r)["error"], "invalid_grant", "{}", r.body);
    // An unknown token is no error; a wrong secret is.
    let r = c.send(
        "POST",
        "/oauth2/revoke",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", &product.basic()),
        ],
        Some(&format!("token={}", "y".repeat(43))),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.send(
        "POST",
        "/oauth2/revoke",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&format!(
            "token={}&client_id={}&client_secret={}",
            "y".repeat(43),
            product.client_id,
            "z".repeat(43)
        )),
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (401, json!("invalid_client"))
    );
}

/// The managed-account path through the pysaml2 IdP of the SSO tests: the product sends
/// a signed-out browser to orgpass, whose login page's "Log in with managed account"
/// carries the authorization request through the SAML login and back.
/// A managed account's sign-in to `product` through the pysaml2 IdP, from the product's
/// "log in" on: the visitor and the product's answer.
fn managed_sign_in(
    c: &Client,
    idp: &crate::idp_peer::IdpPeer,
    o: &crate::sso::SsoOrg,
    product: &Product,
    email: &str,
) -> (Visitor, Value) {
    use crate::sso::{session_cookie, sp_login};
    let v = Visitor::new();
    let (page, visited) = sign_in(&v, product, "");
    assert!(
        visited.last().unwrap().contains("/login?return_to="),
        "{visited:?}"
    );
    assert!(page.body.contains("id=\"sso-login\""), "{}", page.body);
    let return_to = hidden(&page.body, "return_to");
    assert!(return_to.starts_with("/oauth2/authorize?"), "{return_to}");
    let (_, acs) = sp_login(c, idp, &o.org_id, email, "assertion", &return_to);
    // The ACS goes on to the authorization request from a page (not a redirect after
    // the IdP's form: a CSP form-action there would have the browser refuse the product).
    assert_eq!(acs.status, 200, "{}", acs.body);
    assert_eq!(
        crate::product::meta_refresh(&acs.body),
        Some(return_to.clone())
    );
    v.set_cookie(&c.base, "orgpass_session", &session_cookie(&acs).unwrap());
    let (r, visited) = v.visit(&format!("{}{return_to}", c.base));
    assert_eq!(r.status, 200, "{visited:?}: {}", r.body);
    (v, answer(&r))
}

fn managed_accounts(w: &World) {
    use crate::sso::{managed, peers, sso_client, sso_org};
    let c = sso_client(w);
    let p = peers(w);
    let o = sso_org(w, &c, &p.idp, false);
    let (account, email) = managed(&c, &o, "olga", "member");
    let product = Product::start(&c, "tracker", &[]);
    let (v, got) = managed_sign_in(&c, &p.idp, &o, &product, &email);
    let got_claims_sid = got["claims"]["sid"].clone();
    assert_eq!(got["claims"]["sub"], account.as_str());
    assert_eq!(got["claims"]["email"], email.as_str());
    let orgs = got["claims"]["organizations"].as_array().unwrap().clone();
    assert_eq!(orgs.len(), 1, "{orgs:?}");
    assert_eq!(orgs[0]["space_key"], o.key.as_str());
    assert_eq!(orgs[0]["managed"], true);
    assert_eq!(orgs[0]["role"], "member");

    // The administrator deletes another managed account: the product hears of its
    // session (the account's deletion queues it, migrations/0013).
    let (mia, mia_email) = managed(&c, &o, "mia", "member");
    let (_, mia_got) = managed_sign_in(&c, &p.idp, &o, &product, &mia_email);
    let r = c.send(
        "DELETE",
        &format!("/api/v1/orgs/{}/managed-accounts/{mia}", o.key),
        &[("authorization", &format!("Bearer {}", o.admin))],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let got_logouts = logouts_at(&v, &product, 1, 10);
    assert_eq!(got_logouts.len(), 1, "{got_logouts:?}");
    assert_eq!(got_logouts[0]["sub"], mia.as_str());
    assert_eq!(got_logouts[0]["sid"], mia_got["claims"]["sid"]);

    // The IdP deactivates another over SCIM (Okta's PATCH): the product hears of its
    // session at once too.
    let (nia, nia_email) = managed(&c, &o, "nia", "member");
    let (_, nia_got) = managed_sign_in(&c, &p.idp, &o, &product, &nia_email);
    let secret = crate::scim::provisioning_token(&c, &o);
    let r = crate::scim::scim_send(
        &c,
        &secret,
        "PATCH",
        &format!("/scim/v2/{}/Users/{nia}", o.key),
        Some(&crate::scim::patch_body(
            json!([{"op": "replace", "value": {"active": false}}]),
        )),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let got_logouts = logouts_at(&v, &product, 2, 10);
    assert_eq!(got_logouts.len(), 2, "{got_logouts:?}");
    assert_eq!(got_logouts[1]["sub"], nia.as_str());
    assert_eq!(got_logouts[1]["sid"], nia_got["claims"]["sid"]);

    // The operator ends the trial: refresh, userinfo and authorization all refuse.
    let r = operator(
        &c,
        "PATCH",
        &format!("/api/v1/operator/orgs/{}/pass", o.key),
        Some(&json!({"trial_ends_at": "2020-01-01T00:00:00Z"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = v.product_post(&product, "/refresh");
    assert_eq!(answer(&r)["error"], "invalid_grant", "{}", r.body);
    let access = got["tokens"]["access_token"].as_str().unwrap();
    assert_eq!(c.get("/oauth2/userinfo", Some(access)).status, 401);
    let (r, visited) = sign_in(&v, &product, "");
    // The browser still holds the orgpass session: the answer is access_denied, back at
    // the product (openid-client reads it as an authorization error).
    let back = visited.last().unwrap();
    assert!(
        back.starts_with(&format!("{}/callback?", product.base)),
        "{visited:?}"
    );
    assert_eq!(
        param(back, "error").as_deref(),
        Some("access_denied"),
        "{back}"
    );
    assert_eq!(answer(&r)["error"], "access_denied", "{}", r.body);

    // The Cron ends the managed session for good: the product hears of it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let r = c.get(
        &format!("/cdn-cgi/handler/scheduled?cron=0+*+*+*+*&time={now}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let got = logouts_at(&v, &product, 3, 10);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[2]["sub"], account.as_str());
    assert_eq!(got[2]["sid"], got_claims_sid);
}

fn rp_initiated_logout(w: &World) {
    let c = w.client();
    let p = person(&c, "OidcLogout");
    let product = Product::start(&c, "tracker", &[]);
    let v = Visitor::new();
    v.set_cookie(&c.base, "orgpass_session", &p.token);
    let (r, _) = sign_in(&v, &product, "");
    let id_token = answer(&r)["tokens"]["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The product's "log out": orgpass ends the session and comes back with the state.
    let (r, visited) = v.visit(&format!("{}/logout", product.base));
    assert_eq!(r.status, 200, "{visited:?}: {}", r.body);
    assert!(
        visited[1].starts_with(&format!("{}/oauth2/logout?", c.base)),
        "{visited:?}"
    );
    assert_eq!(
        visited.last().unwrap(),
        &format!("{}/?state=bye", product.base)
    );
    assert_eq!(answer(&r)["logged_out"], true);
    assert_eq!(
        c.get("/api/v1/me", Some(&p.token)).status,
        401,
        "the orgpass session ended"
    );

    // A valid hint with an unregistered post-logout URI: logged out, never redirected.
    let q = person(&c, "OidcLogoutOther");
    let v = Visitor::new();
    v.set_cookie(&c.base, "orgpass_session", &q.token);
    let (r, _) = sign_in(&v, &product, "");
    let hint = answer(&r)["tokens"]["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c.get(
        &format!(
            "/oauth2/logout?id_token_hint={hint}&post_logout_redirect_uri={}&state=x",
            crate::urlencode("https://evil.example/")
        ),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("location").is_none());
    assert!(r.body.contains("You are logged out"), "{}", r.body);
    assert_eq!(c.get("/api/v1/me", Some(&q.token)).status, 401);

    // No hint (or a forged one): a signed-in person is asked, and nothing ends until
    // they confirm.
    let s = person(&c, "OidcLogoutAsk");
    let cookie = format!("orgpass_session={}", s.token);
    // One signature character changed where it carries bits of the value (the last
    // one carries padding too): the token reads, its RS256 check fails.
    let at = id_token.len() - 10;
    let was = &id_token[at..=at];
    let forged = format!(
        "{}{}{}",
        &id_token[..at],
        if was == "A" { "B" } else { "A" },
        &id_token[at + 1..]
    );
    for query in [
        format!(
            "post_logout_redirect_uri={}",
            crate::urlencode(&format!("{}/", product.base))
        ),
        format!(
            "id_token_hint={forged}&post_logout_redirect_uri={}",
            crate::urlencode(&format!("{}/", product.base))
        ),
    ] {
        let r = c.send(
            "GET",
            &format!("/oauth2/logout?{query}"),
            &[("cookie", &cookie)],
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.header("location").is_none(), "{query}");
        assert!(r.body.contains("id=\"confirm-logout\""), "{}", r.body);
        assert_eq!(c.get("/api/v1/me", Some(&s.token)).status, 200, "not yet");
    }
    let v = Visitor::new();
    v.set_cookie(&c.base, "orgpass_session", &s.token);
    let (page, _) = v.visit(&format!("{}/oauth2/logout", c.base));
    let (r, _) = v.post(
        &format!("{}/oauth2/logout", c.base),
        &[("csrf", &crate::csrf_in(&page.body)), ("confirm", "1")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("You are logged out"));
    assert_eq!(c.get("/api/v1/me", Some(&s.token)).status, 401);
}

/// The logout tokens a product received, polled for up to `seconds`.
fn logouts_at(v: &Visitor, product: &Product, at_least: usize, seconds: u64) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let (r, _) = v.visit(&format!("{}/backchannel-log", product.base));
        let list = answer(&r).as_array().unwrap().clone();
        if list.len() >= at_least || started.elapsed().as_secs() >= seconds {
            return list;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn back_channel_logout(w: &World) {
    // Its own Worker: the test runs the Cron at a later time.
    let c = w.other_client("oidc-logout", &[]);
    let p = person(&c, "OidcBackChannel");
    let a = Product::start(&c, "tracker", &[]);
    let b = Product::start(&c, "tracker", &[("FAIL_BACKCHANNEL", "1")]);
    let v = Visitor::new();
    v.set_cookie(&c.base, "orgpass_session", &p.token);
    let claims_a = answer(&sign_in(&v, &a, "").0)["claims"].clone();
    let claims_b = answer(&sign_in(&v, &b, "").0)["claims"].clone();
    assert_eq!(claims_a["sid"], claims_b["sid"]);
    // A product that never got tokens of this session gets nothing.
    let idle = Product::start(&c, "tracker", &[]);

    // The person logs out of orgpass (through the API here).
    log_out(&c, &p.token);
    let got = logouts_at(&v, &a, 1, 10);
    assert_eq!(got.len(), 1, "within seconds: {got:?}");
    let token = &got[0];
    assert_eq!(token["sid"], claims_a["sid"]);
    assert_eq!(token["sub"], claims_a["sub"]);
    assert_eq!(token["aud"], a.client_id.as_str());
    assert_eq!(token["iss"], c.base.as_str());
    // The product ended its own session of that sid.
    let (r, _) = v.visit(&format!("{}/me", a.base));
    assert_eq!(r.status, 401, "{}", r.body);
    // B answered 500 the first time; the Cron tries again after a minute.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(logouts_at(&v, &b, 1, 0).is_empty());
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 120_000;
    let r = c.get(
        &format!("/cdn-cgi/handler/scheduled?cron=0+*+*+*+*&time={later}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let got_b = logouts_at(&v, &b, 1, 10);
    assert_eq!(got_b.len(), 1, "{got_b:?}");
    assert_eq!(got_b[0]["sid"], claims_b["sid"]);
    assert_ne!(got_b[0]["jti"], token["jti"], "each logout its own jti");
    assert!(logouts_at(&v, &idle, 1, 0).is_empty());
    // Delivered ones are not sent again.
    let r = c.get(
        &format!(
            "/cdn-cgi/handler/scheduled?cron=0+*+*+*+*&time={}",
            later + 3_600_000
        ),
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(logouts_at(&v, &a, 2, 1).len(), 1);
    assert_eq!(logouts_at(&v, &b, 2, 1).len(), 1);

    // Deleting an account logs its live sessions out of the products too.
    let admin = crate::pass::log_in(&c, &p.email);
    let member = crate::team::joined(&c, &admin, &p.key, "member", "OidcLeaver");
    let v = Visitor::new();
    v.set_cookie(&c.base, "orgpass_session", &member.token);
    let claims = answer(&sign_in(&v, &a, "").0)["claims"].clone();
    let r = c.json(
        "DELETE",
        "/api/v1/me",
        Some(&member.token),
        &json!({"current_password": crate::PASSWORD}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let got = logouts_at(&v, &a, 2, 10);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1]["sid"], claims["sid"]);
    assert_eq!(got[1]["sub"], member.id.as_str());
}

/// The `openidconnect` crate's HTTP, over ureq (it brings no client of its own here).
fn rp_http(req: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, std::io::Error> {
    use std::io::Read;
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut r = agent.request(req.method().as_str(), &req.uri().to_string());
    for (k, v) in req.headers() {
        r = r.set(k.as_str(), v.to_str().unwrap());
    }
    let sent = if req.body().is_empty() {
        r.call()
    } else {
        r.send_bytes(req.body())
    };
    let resp = match sent {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(std::io::Error::other(e.to_string())),
    };
    let mut builder = openidconnect::http::Response::builder().status(resp.status());
    for name in resp.headers_names() {
        if let Some(v) = resp.header(&name) {
            builder = builder.header(name.as_str(), v);
        }
    }
    let mut body = Vec::new();
    resp.into_reader().read_to_end(&mut body)?;
    builder.body(body).map_err(std::io::Error::other)
}

/// A second opinion: the `openidconnect` crate (Rust) discovers orgpass, runs the code
/// flow with PKCE, verifies the ID token's signature against the JWKS, nonce, audience
/// and issuer, reads userinfo and refreshes.
fn openidconnect_crate(w: &World) {
    use openidconnect::{
        core::{CoreClient, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims},
        AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
        OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    };
    let c = w.client();
    let p = person(&c, "OidcRust");
    let redirect = "http://127.0.0.1:9/callback";
    let r = operator(
        &c,
        "POST",
        "/api/v1/operator/clients",
        Some(&json!({"name": "Rust RP", "product": "tracker", "redirect_uris": [redirect]})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let client_id = r.json()["client"]["client_id"].as_str().unwrap().to_owned();
    let secret = r.json()["client_secret"].as_str().unwrap().to_owned();

    let issuer = IssuerUrl::new(c.base.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover(&issuer, &rp_http).expect("discovery");
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id),
        Some(ClientSecret::new(secret)),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = rp
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("offline_access".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let path = url.as_str().strip_prefix(&c.base).unwrap().to_owned();
    let r = c.send(
        "GET",
        &path,
        &[("cookie", &format!("orgpass_session={}", p.token))],
        None,
    );
    let to = r.header("location").unwrap().to_owned();
    assert_eq!(
        param(&to, "state").as_deref(),
        Some(state.secret().as_str())
    );
    let code = param(&to, "code").unwrap();
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request(&rp_http)
        .expect("the code exchange");
    let claims = tokens
        .id_token()
        .expect("an ID token")
        .claims(&rp.id_token_verifier(), &nonce)
        .expect("a valid ID token");
    let me = c.get("/api/v1/me", Some(&p.token)).json();
    assert_eq!(
        claims.subject().as_str(),
        me["account"]["id"].as_str().unwrap()
    );
    assert_eq!(claims.email().unwrap().as_str(), p.email);
    assert_eq!(claims.email_verified(), Some(true));
    let info: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request(&rp_http)
        .expect("userinfo");
    assert_eq!(info.email().unwrap().as_str(), p.email);
    let refreshed = rp
        .exchange_refresh_token(tokens.refresh_token().expect("offline_access"))
        .unwrap()
        .request(&rp_http)
        .expect("the refresh");
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        tokens.refresh_token().unwrap().secret()
    );
    let again = refreshed
        .id_token()
        .unwrap()
        .claims(&rp.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("a valid refreshed ID token");
    assert_eq!(again.subject(), claims.subject());
}

/// Codes (60 seconds), access tokens (10 minutes) and refresh tokens (30 days) past
/// their time, set back in D1 (on a Worker of its own) rather than waited for.
fn expiry(w: &World) {
    let c = w.other_client("oidc-expiry", &[]);
    let p = person(&c, "OidcExpiry");
    let product = Product::start(&c, "tracker", &[]);
    let (verifier, challenge) = pkce("expiry");
    let query = request(&product, &challenge, "");
    let redirect = crate::urlencode(&format!("{}/callback", product.base));
    let exchange = |code: &str| {
        format!("grant_type=authorization_code&code={code}&redirect_uri={redirect}&code_verifier={verifier}")
    };
    let hash = |t: &str| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(t.as_bytes()))
    };
    let code = code_of(&authorize(&c, Some(&p.token), &query));
    let r = token(&c, &product, &exchange(&code));
    assert_eq!(r.status, 200, "{}", r.body);
    let (access, refresh) = (
        r.json()["access_token"].as_str().unwrap().to_owned(),
        r.json()["refresh_token"].as_str().unwrap().to_owned(),
    );
    let late = code_of(&authorize(&c, Some(&p.token), &query));
    w.other_sql(
        "oidc-expiry",
        &format!(
            "UPDATE oidc_codes SET expires_at = 1000 WHERE code_hash = '{}'; \
             UPDATE oidc_tokens SET expires_at = 1000 WHERE token_hash IN ('{}', '{}');",
            hash(&late),
            hash(&access),
            hash(&refresh)
        ),
    );
    let r = token(&c, &product, &exchange(&late));
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("invalid_grant")),
        "{}",
        r.body
    );
    assert_eq!(c.get("/oauth2/userinfo", Some(&access)).status, 401);
    let r = token(
        &c,
        &product,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    );
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);
}
