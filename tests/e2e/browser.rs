//! Real-browser tests: headless Chromium (Debian's, driven through chromedriver over
//! WebDriver) signs up, follows the emailed link, logs in, creates an organization
//! and sees its settings page, with no JavaScript of ours involved. Screenshots land
//! in `target/e2e/`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::{last_mail, unique_email, World, PASSWORD};

pub const TESTS: &[(&str, crate::TestFn)] = &[(
    "browser::sign_up_confirm_log_in_create_organization",
    sign_up_confirm_log_in_create_organization,
)];

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
