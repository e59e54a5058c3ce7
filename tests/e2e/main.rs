//! End-to-end tests: the real Worker (the wasm in `build/`) under `wrangler dev`,
//! with a fresh local D1/KV, driven over HTTP and, for the browser tests, through
//! headless Chromium. One binary, one shared start-up, unique data per test.
//!
//! Run with `make e2e` (which builds the Worker first) or `make test`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs, clippy::disallowed_methods)]
// Clock readings and counts in assertions: small numbers, never stored.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap
)]

mod accounts;
mod audit;
mod browser;
mod capture;
mod client;
mod dns_peer;
mod domains;
mod idp_peer;
mod mail;
mod oidc;
mod orgs;
mod pages;
mod pass;
mod platform;
mod product;
mod round_trips;
mod saml_backends;
mod scim;
mod scim_groups;
mod security;
mod self_service;
mod server;
mod sso;
mod team;
mod two_step;

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use client::Client;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::json;
use server::Server;

/// What every test gets: the development Worker, and on demand more Workers with other
/// settings (each started once, shared, stopped at the end).
pub struct World {
    pub dev: Server,
    others: std::sync::Mutex<Vec<(String, Server)>>,
    /// The SSO tests' real peers (DoH server, pysaml2 IdPs), started on first use.
    pub sso: std::sync::OnceLock<sso::Peers>,
}

impl World {
    pub fn client(&self) -> Client {
        Client::new(&self.dev.base)
    }

    /// A client of the Worker started as `name` with `vars` (started on first use).
    pub fn other_client(&self, name: &str, vars: &[(&str, &str)]) -> Client {
        let mut others = self
            .others
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, server)) = others.iter().find(|(n, _)| n == name) {
            return Client::new(&server.base);
        }
        let server = Server::start(name, vars);
        let client = Client::new(&server.base);
        others.push((name.to_owned(), server));
        client
    }

    /// Runs SQL against the local D1 of the Worker started as `name`.
    pub fn other_sql(&self, name: &str, sql: &str) {
        let others = self
            .others
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (_, server) = others.iter().find(|(n, _)| n == name).expect("started");
        server.sql(sql);
    }

    /// Rows of a query against the local D1 of the Worker started as `name`.
    pub fn other_query(&self, name: &str, sql: &str) -> Vec<serde_json::Value> {
        let others = self
            .others
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (_, server) = others.iter().find(|(n, _)| n == name).expect("started");
        server.query(sql)
    }

    /// A second Worker with `ENVIRONMENT=production` (no development routes, HSTS).
    pub fn production_client(&self) -> Client {
        self.other_client(
            "production",
            &[("ENVIRONMENT", "production"), ("OPERATOR_TOKEN", "")],
        )
    }

    fn stop(&mut self) {
        drop(self.sso.take());
        self.dev.stop();
        for (_, server) in self
            .others
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter_mut()
        {
            server.stop();
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// An email no other test (or run) uses.
pub fn unique_email(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{tag}-{n}-{nanos}@example.com")
}

pub const PASSWORD: &str = "correct horse battery staple";

/// The newest email to `to`, from the development mailbox.
pub fn last_mail(c: &Client, to: &str) -> serde_json::Value {
    let r = c.get(&format!("/dev/mail?to={}", urlencode(to)), None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["messages"][0].clone()
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `token` parameter of the first link in the newest email to `to`.
pub fn mailed_token(c: &Client, to: &str) -> String {
    let link = last_mail(c, to)["links"][0].as_str().unwrap().to_owned();
    link.split("token=").nth(1).unwrap().to_owned()
}

/// Signs up, verifies by the mailed link, logs in; returns the session token.
pub fn verified_session(c: &Client, email: &str) -> String {
    let r = c.json(
        "POST",
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": PASSWORD, "name": "Test Person"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let token = mailed_token(c, email);
    let r = c.json(
        "POST",
        "/api/v1/accounts/verify-email",
        None,
        &json!({ "token": token }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["token"].as_str().unwrap().to_owned()
}

/// Creates an organization and returns its JSON (`org`).
pub fn create_org(c: &Client, token: &str, name: &str, org_id: Option<&str>) -> serde_json::Value {
    let mut body = json!({"name": name, "product": "tracker"});
    if let Some(id) = org_id {
        body["organization_id"] = id.into();
    }
    let r = c.json("POST", "/api/v1/orgs", Some(token), &body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["org"].clone()
}

type TestFn = fn(&World);

fn tests() -> Vec<(&'static str, TestFn)> {
    let mut all = Vec::new();
    all.extend(accounts::TESTS.iter().copied());
    all.extend(orgs::TESTS.iter().copied());
    all.extend(pages::TESTS.iter().copied());
    all.extend(pass::TESTS.iter().copied());
    all.extend(domains::TESTS.iter().copied());
    all.extend(team::TESTS.iter().copied());
    all.extend(platform::TESTS.iter().copied());
    all.extend(mail::TESTS.iter().copied());
    all.extend(sso::TESTS.iter().copied());
    all.extend(security::TESTS.iter().copied());
    all.extend(self_service::TESTS.iter().copied());
    all.extend(two_step::TESTS.iter().copied());
    all.extend(round_trips::TESTS.iter().copied());
    all.extend(oidc::TESTS.iter().copied());
    all.extend(saml_backends::TESTS.iter().copied());
    all.extend(scim::TESTS.iter().copied());
    all.extend(audit::TESTS.iter().copied());
    all.extend(scim_groups::TESTS.iter().copied());
    all.extend(browser::TESTS.iter().copied());
    all
}

fn main() {
    let args = Arguments::from_args();
    let listed = tests();
    if args.list {
        let trials = listed
            .iter()
            .map(|(name, _)| Trial::test(*name, || Ok(())))
            .collect();
        libtest_mimic::run(&args, trials).exit();
    }
    let world = Arc::new(World {
        dev: Server::start("dev", &[]),
        others: std::sync::Mutex::new(Vec::new()),
        sso: std::sync::OnceLock::new(),
    });
    let trials = listed
        .into_iter()
        .map(|(name, f)| {
            let world = Arc::clone(&world);
            Trial::test(name, move || {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&world))).map_err(|e| {
                    let msg = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "panicked".to_owned());
                    Failed::from(msg)
                })
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    match Arc::try_unwrap(world) {
        Ok(mut world) => world.stop(),
        Err(_) => eprintln!("warning: a test still holds the servers"),
    }
    conclusion.exit();
}

/// The CSRF token a page's forms carry.
pub fn csrf_in(body: &str) -> String {
    body.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form with a CSRF token")
        .to_owned()
}

/// HTML-escapes like the pages do (maud: `&`, `<`, `>` and `"`), for finding values
/// in them.
pub fn app_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
