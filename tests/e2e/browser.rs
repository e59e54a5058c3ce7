//! Real-browser tests: headless Chromium (Debian's, driven through chromedriver over
//! WebDriver) signs up, follows the emailed link, logs in, creates an organization
//! and sees its settings page; an administrator invites three people at once, who join
//! in the two ways, and groups put people into a project. Screenshots land in
//! `target/e2e/`.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::{last_mail, unique_email, World, PASSWORD};

pub const TESTS: &[(&str, crate::TestFn)] = &[
    (
        "browser::sign_up_confirm_log_in_create_organization",
        sign_up_confirm_log_in_create_organization,
    ),
    (
        "browser::invite_three_join_two_ways_revoke_one_groups_and_guests",
        invite_join_revoke_groups_guests,
    ),
    (
        "browser::saml_configured_from_metadata_and_a_managed_login",
        saml_configured_and_managed_login,
    ),
    (
        "browser::forgot_password_back_in_and_the_account_page",
        forgot_password_and_account_page,
    ),
    (
        "browser::an_organization_requiring_two_step_walks_a_member_through_enrolment",
        two_step_enrolment,
    ),
    (
        "browser::a_product_sends_a_signed_out_browser_through_orgpass_login_and_back",
        product_sign_in,
    ),
];

struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (make test installs Debian's chromium-driver)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver) -> Client {
    let profile = std::env::temp_dir().join(format!(
        "orgpass-chromium-{}-{}",
        std::process::id(),
        driver.port
    ));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

async fn fill(b: &Client, name: &str, value: &str) {
    let field = b
        .find(Locator::Css(&format!("input[name='{name}']")))
        .await
        .unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Clicks `target` and waits until the browser has left the current document (a click
/// does not wait for the navigation it starts).
async fn click_and_wait(b: &Client, target: Locator<'_>) {
    let old = b.find(Locator::Css("html")).await.unwrap();
    b.find(target).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "the click did not navigate");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Types into the input `name` of the form posting to `form_action`.
async fn fill_in(b: &Client, form_action: &str, name: &str, value: &str) {
    let field = b
        .find(Locator::Css(&format!(
            "form[action='{form_action}'] input[name='{name}']"
        )))
        .await
        .unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

async fn submit(b: &Client, form_action: &str) {
    let button = format!("form[action='{form_action}'] button[type='submit']");
    click_and_wait(b, Locator::Css(&button)).await;
}

async fn heading(b: &Client) -> String {
    b.find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn screenshot(b: &Client, name: &str) {
    let png = b.screenshot().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

fn sign_up_confirm_log_in_create_organization(w: &World) {
    let http = w.client();
    let base = http.base.clone();
    let email = unique_email("browser");
    let driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let b = browser(&driver).await;
        b.goto(&format!("{base}/signup")).await.unwrap();
        assert_eq!(heading(&b).await, "Create your account");
        fill(&b, "email", &email).await;
        fill(&b, "name", "Grace Hopper").await;
        fill(&b, "password", "short").await;
        submit(&b, "/signup").await;
        // The refusal is shown next to the field, and the other values are kept.
        let error = b
            .find(Locator::Css("#password-error"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(error.contains("10 characters"), "{error}");
        let kept = b
            .find(Locator::Css("input[name='email']"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some(email.as_str()));
        fill(&b, "password", PASSWORD).await;
        submit(&b, "/signup").await;
        assert_eq!(heading(&b).await, "Check your email");

        let link = last_mail(&http, &email)["links"][0]
            .as_str()
            .unwrap()
            .to_owned();
        b.goto(&link).await.unwrap();
        assert_eq!(heading(&b).await, "Email confirmed");
        click_and_wait(&b, Locator::LinkText("Log in")).await;
        fill(&b, "email", &email).await;
        fill(&b, "password", PASSWORD).await;
        submit(&b, "/login").await;
        assert_eq!(heading(&b).await, "Hello, Grace Hopper");

        click_and_wait(&b, Locator::LinkText("Create an organization")).await;
        fill(&b, "name", "Hopper Labs").await;
        b.find(Locator::Css("input[name='product'][value='diagrams']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        submit(&b, "/orgs/new").await;
        assert_eq!(heading(&b).await, "Hopper Labs");
        let url = b.current_url().await.unwrap();
        assert!(
            url.path().starts_with("/orgs/") && url.path().ends_with("/settings"),
            "{url}"
        );
        let page = b.source().await.unwrap();
        assert!(
            page.contains("Profile") && page.contains("diagrams") && page.contains("administrator")
        );
        screenshot(&b, "settings-profile").await;

        // Rename through the profile form.
        fill(&b, "name", "Hopper Laboratories").await;
        click_and_wait(
            &b,
            Locator::Css("form[method='post'] button[type='submit']:not(.link)"),
        )
        .await;
        assert_eq!(heading(&b).await, "Hopper Laboratories");
        assert!(b.source().await.unwrap().contains("Saved."));

        // The plan tab offers the add-on's application form.
        click_and_wait(&b, Locator::LinkText("Plan")).await;
        assert_eq!(
            b.find(Locator::Css("#pass-status"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
            "none"
        );
        screenshot(&b, "settings-plan").await;

        // Log out from the header.
        click_and_wait(&b, Locator::Css("form[action='/logout'] button")).await;
        assert_eq!(heading(&b).await, "orgpass");
        b.close().await.unwrap();
    });
}

async fn text_of(b: &Client, css: &str) -> String {
    b.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn log_in_as(b: &Client, base: &str, email: &str, return_to: &str) {
    b.goto(&format!(
        "{base}/login?return_to={}",
        crate::urlencode(return_to)
    ))
    .await
    .unwrap();
    fill(b, "email", email).await;
    fill(b, "password", PASSWORD).await;
    submit(b, "/login").await;
}

async fn log_out(b: &Client) {
    click_and_wait(b, Locator::Css("form[action='/logout'] button")).await;
}

async fn choose(b: &Client, form_action: &str, name: &str, value: &str) {
    b.find(Locator::Css(&format!(
        "form[action='{form_action}'] select[name='{name}'] option[value='{value}']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
}

fn invite_join_revoke_groups_guests(w: &World) {
    use crate::team::{invitation_token, joined, org_with_admin, team_client};
    let http = team_client(w);
    let base = http.base.clone();
    let (key, admin) = org_with_admin(&http, "badmin");
    let (newcomer, existing, third) = (
        unique_email("newcomer"),
        unique_email("existing"),
        unique_email("third"),
    );
    crate::verified_session(&http, &existing);
    let guest = joined(&http, &admin.token, &key, "guest", "bguest");
    let driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let b = browser(&driver).await;
        let settings = format!("/orgs/{key}/settings");
        log_in_as(&b, &base, &admin.email, &format!("{settings}/invitations")).await;
        assert_eq!(heading(&b).await, "Team Co");

        // Three colleagues in one go; the button counts them as they are typed.
        let area = b.find(Locator::Css("textarea#emails")).await.unwrap();
        area.send_keys(&format!("{newcomer}\n{existing},"))
            .await
            .unwrap();
        assert_eq!(text_of(&b, "#invite-button").await, "Invite 2 members");
        area.send_keys(&format!(" {third}")).await.unwrap();
        assert_eq!(text_of(&b, "#invite-button").await, "Invite 3 members");
        screenshot(&b, "settings-invitations").await;
        click_and_wait(&b, Locator::Css("#invite-button")).await;
        assert!(text_of(&b, ".notice").await.contains("3 invited"));
        let mut pending = 0;
        for row in b.find_all(Locator::Css("tbody tr")).await.unwrap() {
            pending += usize::from(row.text().await.unwrap().contains("pending"));
        }
        assert_eq!(pending, 3, "the guest's accepted invitation is listed too");

        // The third is revoked from the list.
        let third_token = invitation_token(&http, &third);
        let row = b
            .find(Locator::XPath(&format!("//tr[td[text()='{third}']]")))
            .await
            .unwrap();
        let revoke = row
            .find(Locator::Css("form[action$='/revoke'] button"))
            .await
            .unwrap();
        let old = b.find(Locator::Css("html")).await.unwrap();
        revoke.click().await.unwrap();
        while old.tag_name().await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(b.source().await.unwrap().contains("revoked"));
        log_out(&b).await;

        // One signs up from the emailed link (the email is fixed to the invited one).
        let token = invitation_token(&http, &newcomer);
        b.goto(&format!("{base}/invitations/{token}"))
            .await
            .unwrap();
        assert_eq!(heading(&b).await, "Join Team Co");
        let shown = b
            .find(Locator::Css("input#email"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(shown.as_deref(), Some(newcomer.as_str()));
        fill(&b, "name", "New Comer").await;
        fill(&b, "password", PASSWORD).await;
        submit(&b, &format!("/invitations/{token}/signup")).await;
        assert_eq!(heading(&b).await, "Team Co");
        assert!(b.source().await.unwrap().contains("member"));
        log_out(&b).await;

        // One joins with the account they already have.
        let token = invitation_token(&http, &existing);
        log_in_as(&b, &base, &existing, &format!("/invitations/{token}")).await;
        assert_eq!(heading(&b).await, "Join Team Co");
        submit(&b, &format!("/invitations/{token}")).await;
        assert_eq!(heading(&b).await, "Team Co");
        log_out(&b).await;

        // The revoked link is refused with a page that says so.
        b.goto(&format!("{base}/invitations/{third_token}"))
            .await
            .unwrap();
        assert_eq!(heading(&b).await, "Link no longer valid");
        assert!(b.source().await.unwrap().contains("revoked"));

        // Groups put people into a project at once.
        log_in_as(&b, &base, &admin.email, &format!("{settings}/groups")).await;
        fill(&b, "name", "Design").await;
        submit(&b, &format!("{settings}/groups")).await;
        let groups = http
            .get(&format!("/api/v1/orgs/{key}/groups"), Some(&admin.token))
            .json();
        let design = groups["groups"][0]["id"].as_str().unwrap().to_owned();
        let members = http
            .get(&format!("/api/v1/orgs/{key}/members"), Some(&admin.token))
            .json();
        let id_of = |email: &str| {
            members["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["email"] == email)
                .unwrap()["account_id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let add = format!("{settings}/groups/{design}/add");
        for who in [id_of(&newcomer), id_of(&existing), guest.id.clone()] {
            choose(&b, &add, "account", &who).await;
            submit(&b, &add).await;
        }
        screenshot(&b, "settings-groups").await;
        click_and_wait(&b, Locator::LinkText("Projects")).await;
        fill(&b, "name", "Launch").await;
        submit(&b, &format!("{settings}/projects")).await;
        let project_path = b.current_url().await.unwrap().path().to_owned();
        choose(&b, &format!("{project_path}/group"), "group", &design).await;
        choose(&b, &format!("{project_path}/group"), "role", "editor").await;
        submit(&b, &format!("{project_path}/group")).await;
        for who in [id_of(&newcomer), id_of(&existing)] {
            let role = text_of(&b, &format!("#project-member-{who} td:nth-child(2)")).await;
            assert_eq!(role, "editor");
            let via = text_of(&b, &format!("#project-member-{who} td:nth-child(3)")).await;
            assert!(via.contains("group Design"), "{via}");
        }
        // A guest cannot become a project admin.
        choose(&b, &format!("{project_path}/member"), "account", &guest.id).await;
        choose(&b, &format!("{project_path}/member"), "role", "admin").await;
        submit(&b, &format!("{project_path}/member")).await;
        assert!(text_of(&b, ".alert")
            .await
            .contains("Guests cannot be project admins"));
        screenshot(&b, "project").await;
        log_out(&b).await;

        // The guest sees only the members of their group.
        log_in_as(&b, &base, &guest.email, &format!("{settings}/members")).await;
        let rows = b.find_all(Locator::Css("tbody tr")).await.unwrap();
        let mut seen = Vec::new();
        for row in rows {
            seen.push(row.text().await.unwrap());
        }
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(!seen.iter().any(|r| r.contains(&admin.email)), "{seen:?}");
        b.close().await.unwrap();
    });
}

/// docs/product.md §7 end to end: an administrator configures SAML from the IdP's metadata
/// and creates a managed account on the settings pages; that person logs in through the
/// pysaml2 IdP from `/login`, cookies and all, and lands on the dashboard.
fn saml_configured_and_managed_login(w: &World) {
    let http = crate::sso::sso_client(w);
    let peers = crate::sso::peers(w);
    let idp = &peers.idp;
    let base = http.base.clone();
    // The organization in its trial, with a verified domain (through the real DoH server).
    let o = crate::sso::sso_org(w, &http, idp, false);
    let r = http.send(
        "DELETE",
        &format!("/api/v1/orgs/{}/saml", o.key),
        &[("authorization", &format!("Bearer {}", o.admin))],
        None,
    );
    assert_eq!(r.status, 204);
    let person = format!("grace.managed@{}", o.domain);
    let driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let b = browser(&driver).await;
        let settings = format!("/orgs/{}/settings/authentication", o.key);
        log_in_as(&b, &base, &o.admin_email, &settings).await;
        assert!(text_of(&b, "#saml-current")
            .await
            .contains("not configured"));
        assert_eq!(text_of(&b, "#acs-url").await, format!("{}/acs", o.sp));
        // Paste the IdP's metadata and import it.
        let textarea = b.find(Locator::Css("#idp_metadata_xml")).await.unwrap();
        b.execute(
            "arguments[0].value = arguments[1];",
            vec![
                serde_json::to_value(&textarea).unwrap(),
                json!(idp.metadata()),
            ],
        )
        .await
        .unwrap();
        submit(
            &b,
            &format!("/orgs/{}/settings/authentication/import", o.key),
        )
        .await;
        let current = text_of(&b, "#saml-current").await;
        assert!(current.contains(&idp.entity_id()), "{current}");
        assert!(current.contains("RSA 2048"), "{current}");
        screenshot(&b, "settings-authentication").await;

        // A managed account in the verified domain.
        click_and_wait(&b, Locator::LinkText("Managed accounts")).await;
        let create = format!("/orgs/{}/settings/managed-accounts/create", o.key);
        fill(&b, "email", "someone@elsewhere.example").await;
        fill(&b, "name", "Grace Managed").await;
        submit(&b, &create).await;
        assert!(
            b.source().await.unwrap().contains("verified domains"),
            "refused outside the domain"
        );
        fill(&b, "email", &person).await;
        fill(&b, "name", "Grace Managed").await;
        submit(&b, &create).await;
        assert!(text_of(&b, "#managed-accounts").await.contains(&person));
        screenshot(&b, "settings-managed-accounts").await;
        log_out(&b).await;

        // The person: /login → "Log in with managed account" → the IdP → back, signed in.
        b.goto(&format!("{base}/login")).await.unwrap();
        click_and_wait(&b, Locator::Css("#sso-login")).await;
        assert_eq!(heading(&b).await, "Log in with managed account");
        fill(&b, "organization_id", &o.org_id).await;
        click_and_wait(&b, Locator::Css("form[action='/login/sso'] button")).await;
        let at_idp = b.current_url().await.unwrap();
        assert!(
            at_idp
                .as_str()
                .starts_with(&format!("{}/sso/redirect", idp.base)),
            "{at_idp}"
        );
        fill(&b, "user", &person).await;
        click_and_wait(&b, Locator::Css("#login")).await;
        // pysaml2's page posts itself to the ACS, which answers 303 to the dashboard.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(url) = b.current_url().await {
                if url.as_str() == format!("{base}/") {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "never reached the dashboard");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(heading(&b).await, "Hello, Grace Managed");
        let cookies = b.get_all_cookies().await.unwrap();
        assert!(cookies.iter().any(|c| c.name() == "orgpass_session"));
        screenshot(&b, "sso-dashboard").await;
        b.close().await.unwrap();
    });
}

/// Someone who forgot their password gets back in from the login page alone, then
/// manages their account on its page.
fn forgot_password_and_account_page(w: &World) {
    let http = w.client();
    let base = http.base.clone();
    let email = unique_email("forgetful").to_lowercase();
    crate::verified_session(&http, &email);
    let new_password = "remembered at last";
    let driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let b = browser(&driver).await;
        b.goto(&format!("{base}/login")).await.unwrap();
        click_and_wait(&b, Locator::LinkText("Forgot password?")).await;
        assert_eq!(heading(&b).await, "Forgot your password?");
        fill(&b, "email", &email).await;
        submit(&b, "/forgot-password").await;
        assert_eq!(heading(&b).await, "Check your email");

        assert_eq!(
            last_mail(&http, &email)["subject"],
            "Reset your orgpass password"
        );
        // The development mailbox's link, clicked.
        b.goto(&format!(
            "{base}/dev/mailbox?to={}",
            crate::urlencode(&email)
        ))
        .await
        .unwrap();
        click_and_wait(
            &b,
            Locator::Css(&format!("a[href^='{base}/reset-password?token=']")),
        )
        .await;
        assert_eq!(heading(&b).await, "Choose a new password");
        fill(&b, "password", "short").await;
        submit(&b, "/reset-password").await;
        assert!(text_of(&b, "#password-error")
            .await
            .contains("10 characters"));
        fill(&b, "password", new_password).await;
        submit(&b, "/reset-password").await;
        assert_eq!(heading(&b).await, "Password changed");

        click_and_wait(&b, Locator::LinkText("Log in")).await;
        fill(&b, "email", &email).await;
        fill(&b, "password", new_password).await;
        submit(&b, "/login").await;
        assert_eq!(heading(&b).await, "Hello, Test Person");

        click_and_wait(&b, Locator::LinkText("Account settings")).await;
        assert_eq!(heading(&b).await, "Your account");
        assert!(b.source().await.unwrap().contains("(this session)"));
        fill(&b, "name", "Tess Person").await;
        submit(&b, "/account/name").await;
        assert_eq!(text_of(&b, ".notice").await, "Your name is saved.");
        assert_eq!(
            b.find(Locator::Css("input[name='name']"))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("Tess Person")
        );

        // The password form wants the current password; its error shows there only.
        fill_in(
            &b,
            "/account/password",
            "current_password",
            "not my password",
        )
        .await;
        fill_in(
            &b,
            "/account/password",
            "new_password",
            "another fine passphrase",
        )
        .await;
        submit(&b, "/account/password").await;
        assert!(text_of(&b, "#password-current-error")
            .await
            .contains("not right"));
        assert!(b.find(Locator::Css("#email-password-error")).await.is_err());
        fill_in(&b, "/account/password", "current_password", new_password).await;
        fill_in(
            &b,
            "/account/password",
            "new_password",
            "another fine passphrase",
        )
        .await;
        submit(&b, "/account/password").await;
        assert!(text_of(&b, ".notice").await.contains("password is changed"));
        screenshot(&b, "account").await;
    });
    let r = http.json(
        "POST",
        "/api/v1/sessions",
        None,
        &json!({"email": email, "password": "another fine passphrase"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

/// An organization requires two-step verification; a member without it is led from
/// the organization to enrolment (the QR code, the secret, a first code the test
/// computes with oathtool), gets recovery codes, and logs in again with a code.
fn two_step_enrolment(w: &World) {
    let http = w.client();
    let base = http.base.clone();
    let (key, admin) = crate::team::org_with_admin(&http, "RequiresTwoStep");
    crate::two_step::enrol(&http, &admin.token);
    let r = http.json(
        "PATCH",
        &format!("/api/v1/orgs/{key}"),
        Some(&admin.token),
        &json!({"require_two_step": true}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let member = crate::team::joined(&http, &admin.token, &key, "member", "Enrolling");
    let email = member.email.to_lowercase();
    let driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let b = browser(&driver).await;
        let settings = format!("{base}/orgs/{key}/settings");
        b.goto(&format!("{base}/login?return_to=/orgs/{key}/settings"))
            .await
            .unwrap();
        fill(&b, "email", &email).await;
        fill(&b, "password", PASSWORD).await;
        submit(&b, "/login").await;
        assert_eq!(heading(&b).await, "Two-step verification required");
        click_and_wait(&b, Locator::LinkText("Set up two-step verification")).await;
        assert_eq!(heading(&b).await, "Your account");
        submit(&b, "/account/two-step").await;
        assert_eq!(heading(&b).await, "Set up two-step verification");
        assert!(
            b.find(Locator::Css("figure.qr svg")).await.is_ok(),
            "the QR code is inline SVG"
        );
        let secret = text_of(&b, "#totp-secret").await;
        screenshot(&b, "two-step-enrol").await;
        // What an authenticator app's camera reads: ZBar decodes the screenshot.
        let png =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e/two-step-enrol.png");
        let out = std::process::Command::new("zbarimg")
            .args(["-q", "--raw"])
            .arg(&png)
            .output()
            .expect("zbarimg (make test installs Debian's zbar-tools)");
        let decoded = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            decoded.starts_with("otpauth://totp/orgpass%3A")
                && decoded.contains(&format!("secret={secret}&issuer=orgpass")),
            "{decoded}"
        );
        fill(&b, "code", "12345").await;
        submit(&b, "/account/two-step/confirm").await;
        assert!(text_of(&b, "#code-error").await.contains("not right"));
        assert_eq!(
            text_of(&b, "#totp-secret").await,
            secret,
            "the same secret again"
        );
        fill(&b, "code", &crate::two_step::oathtool(&secret, 0)).await;
        submit(&b, "/account/two-step/confirm").await;
        assert_eq!(heading(&b).await, "Your recovery codes");
        let codes = b
            .find_all(Locator::Css("#recovery-codes li"))
            .await
            .unwrap();
        assert_eq!(codes.len(), 10);
        screenshot(&b, "two-step-recovery-codes").await;

        b.goto(&settings).await.unwrap();
        assert_eq!(heading(&b).await, "Team Co");

        // Logging in again asks for the second step.
        click_and_wait(&b, Locator::Css("form[action='/logout'] button")).await;
        b.goto(&format!("{base}/login")).await.unwrap();
        fill(&b, "email", &email).await;
        fill(&b, "password", PASSWORD).await;
        submit(&b, "/login").await;
        assert_eq!(heading(&b).await, "Two-step verification");
        fill(&b, "code", &crate::two_step::oathtool(&secret, 1)).await;
        submit(&b, "/login/two-step").await;
        assert_eq!(heading(&b).await, "Hello, Enrolling");
        b.goto(&format!("{base}/account")).await.unwrap();
        assert!(b
            .source()
            .await
            .unwrap()
            .contains("Turn off two-step verification"));
    });
}

/// The OpenID Connect flow as a person sees it: a product's page (openid-client,
/// `tests/oidc/product.mjs`) sends the signed-out browser to orgpass's login page, which
/// comes back to the product signed in; the product's "Log out" logs out of orgpass too.
fn product_sign_in(w: &World) {
    let http = w.client();
    let base = http.base.clone();
    let email = unique_email("product").to_lowercase();
    let token = crate::verified_session(&http, &email);
    crate::create_org(&http, &token, "Product People", None);
    let product = crate::product::Product::start(&http, "tracker", &[]);
    let driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let b = browser(&driver).await;
        b.goto(&format!("{}/home", product.base)).await.unwrap();
        click_and_wait(&b, Locator::Id("login")).await;
        assert_eq!(heading(&b).await, "Log in");
        assert!(b
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&format!("{base}/login?return_to=")));
        fill(&b, "email", &email).await;
        fill(&b, "password", PASSWORD).await;
        submit(&b, "/login").await;
        assert_eq!(heading(&b).await, "Signed in");
        assert_eq!(
            b.current_url().await.unwrap().as_str(),
            format!("{}/home", product.base)
        );
        assert!(text_of(&b, "#who").await.contains(&email));
        assert_eq!(
            text_of(&b, "#organizations").await,
            "Product People: administrator"
        );
        screenshot(&b, "product-signed-in").await;
        // Log out at the product: orgpass's session ends as well.
        click_and_wait(&b, Locator::Id("logout")).await;
        assert_eq!(heading(&b).await, "Tracker");
        b.goto(&format!("{base}/account")).await.unwrap();
        assert_eq!(heading(&b).await, "Log in");
        b.close().await.unwrap();
    });
}
