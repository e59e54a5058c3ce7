//! Walk-throughs of the use cases over the in-memory fakes.

use orgpass_core::{ratelimit, Role, SecretToken, Timestamp, TokenHash};

use super::{
    accounts::SignUp,
    fake::{app, CountingRandom, MemoryStore, NativePbkdf2},
    mail::links,
    orgs::{CreateOrg, UpdateOrg},
    ports::Client,
    App, AppError,
};

const NOW: i64 = 1_795_435_200_000;
type TestApp = App<MemoryStore, NativePbkdf2, CountingRandom>;

fn sign_up<'a>(email: &'a str) -> SignUp<'a> {
    SignUp {
        email,
        password: "correct horse battery",
        name: "Ada Lovelace",
        browser: None,
    }
}

fn token_from_last_mail(app: &TestApp) -> String {
    let mail = app.store.all_mail().pop().unwrap();
    let link = links(&mail.text).pop().unwrap();
    link.split("token=").nth(1).unwrap().to_owned()
}

async fn signed_in(app: &TestApp, email: &str) -> TokenHash {
    app.sign_up(sign_up(email)).await.unwrap();
    app.verify_email(&token_from_last_mail(app)).await.unwrap();
    app.log_in(
        email,
        "correct horse battery",
        &Client::new("192.0.2.1", "test"),
    )
    .await
    .unwrap()
    .session()
    .unwrap()
    .token
    .hash()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn sign_up_verify_log_in_me_log_out() {
    block_on(async {
        let app = app(NOW);
        let account = app.sign_up(sign_up("  Ada@Example.com ")).await.unwrap();
        assert_eq!(account.email.as_str(), "ada@example.com");
        assert!(!account.email_verified && !account.managed);

        let mail = app.store.all_mail().pop().unwrap();
        assert_eq!(mail.to.as_str(), "ada@example.com");
        assert!(links(&mail.text)[0].starts_with("http://orgpass.test/verify-email?token="));

        // Before verification the right password is answered with email_not_verified.
        let refused = app
            .log_in(
                "ada@example.com",
                "correct horse battery",
                &Client::new("ip", "test"),
            )
            .await;
        assert!(matches!(refused, Err(AppError::EmailNotVerified)));

        let token = token_from_last_mail(&app);
        assert!(app.verify_email(&token).await.unwrap().email_verified);
        assert!(matches!(
            app.verify_email(&token).await,
            Err(AppError::TokenUsed)
        ));

        let session = app
            .log_in(
                "ADA@example.com",
                "correct horse battery",
                &Client::new("ip", "test"),
            )
            .await
            .unwrap()
            .session()
            .unwrap();
        let (me, orgs) = app.me(&session.token.hash()).await.unwrap();
        assert_eq!(me.id, account.id);
        assert!(orgs.is_empty());

        app.log_out(&session.token.hash()).await.unwrap();
        assert!(matches!(
            app.me(&session.token.hash()).await,
            Err(AppError::Unauthenticated)
        ));
    });
}

#[test]
fn sign_up_refuses_bad_fields_together_and_taken_emails() {
    block_on(async {
        let app = app(NOW);
        let refused = app
            .sign_up(SignUp {
                email: "nope",
                password: "short",
                name: " ",
                browser: None,
            })
            .await;
        let Err(AppError::Invalid(invalid)) = refused else {
            panic!("{refused:?}")
        };
        let codes: Vec<_> = invalid.0.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            ["invalid_email", "password_too_short", "invalid_name"]
        );
        assert_eq!(invalid.code(), "invalid_request");
        assert_eq!(app.store.round_trips.get(), 0, "nothing written");

        app.sign_up(sign_up("a@example.com")).await.unwrap();
        let again = app.sign_up(sign_up("A@EXAMPLE.COM")).await;
        assert!(matches!(again, Err(AppError::EmailTaken)));
        assert_eq!(app.store.all_mail().len(), 1, "no second email");
    });
}

#[test]
fn verification_tokens_expire_and_unknown_ones_are_refused() {
    block_on(async {
        let mut app = app(NOW);
        app.sign_up(sign_up("a@example.com")).await.unwrap();
        let token = token_from_last_mail(&app);
        app.now = Timestamp::from_millis(NOW).plus_days(2);
        assert!(matches!(
            app.verify_email(&token).await,
            Err(AppError::TokenExpired)
        ));
        let unknown = SecretToken::from_random(&[9; 32]);
        assert!(matches!(
            app.verify_email(unknown.expose()).await,
            Err(AppError::TokenInvalid)
        ));
        assert!(matches!(
            app.verify_email("x").await,
            Err(AppError::TokenInvalid)
        ));
    });
}

#[test]
fn unknown_email_and_wrong_password_look_the_same_and_cost_the_same() {
    block_on(async {
        let app = app(NOW);
        signed_in(&app, "a@example.com").await;
        let before = app.hasher.calls.get();
        let unknown = app
            .log_in(
                "nobody@example.com",
                "whatever pw",
                &Client::new("ip", "test"),
            )
            .await;
        let after_unknown = app.hasher.calls.get();
        let wrong = app
            .log_in(
                "a@example.com",
                "wrong password",
                &Client::new("ip", "test"),
            )
            .await;
        assert!(matches!(unknown, Err(AppError::InvalidCredentials)));
        assert!(matches!(wrong, Err(AppError::InvalidCredentials)));
        assert_eq!(after_unknown - before, 1);
        assert_eq!(app.hasher.calls.get() - after_unknown, 1);
        let malformed = app
            .log_in("not an email", "whatever pw", &Client::new("ip", "test"))
            .await;
        assert!(matches!(malformed, Err(AppError::InvalidCredentials)));
    });
}

#[test]
fn failed_logins_are_limited_per_account_then_released() {
    block_on(async {
        let mut app = app(NOW);
        signed_in(&app, "a@example.com").await;
        for _ in 0..ratelimit::PER_ACCOUNT {
            let r = app
                .log_in(
                    "a@example.com",
                    "wrong password",
                    &Client::new("ip", "test"),
                )
                .await;
            assert!(matches!(r, Err(AppError::InvalidCredentials)));
        }
        // Even the right password waits now.
        let limited = app
            .log_in(
                "a@example.com",
                "correct horse battery",
                &Client::new("ip", "test"),
            )
            .await;
        let Err(AppError::RateLimited {
            retry_after_seconds,
        }) = limited
        else {
            panic!("{limited:?}")
        };
        assert!((1..=900).contains(&retry_after_seconds));
        app.now = app.now.plus_millis(retry_after_seconds * 1000);
        assert!(app
            .log_in(
                "a@example.com",
                "correct horse battery",
                &Client::new("ip", "test")
            )
            .await
            .is_ok());
    });
}

#[test]
fn failed_logins_are_limited_per_ip_across_accounts() {
    block_on(async {
        let app = app(NOW);
        signed_in(&app, "a@example.com").await;
        for i in 0..ratelimit::PER_IP {
            let _ = app
                .log_in(
                    &format!("u{i}@example.com"),
                    "wrong password",
                    &Client::new("203.0.113.9", "test"),
                )
                .await;
        }
        let limited = app
            .log_in(
                "a@example.com",
                "correct horse battery",
                &Client::new("203.0.113.9", "test"),
            )
            .await;
        assert!(matches!(limited, Err(AppError::RateLimited { .. })));
        // Another address is not affected.
        assert!(app
            .log_in(
                "a@example.com",
                "correct horse battery",
                &Client::new("198.51.100.1", "test")
            )
            .await
            .is_ok());
    });
}

#[test]
fn organizations_are_created_read_and_renamed_by_their_administrators() {
    block_on(async {
        let app = app(NOW);
        let ada = signed_in(&app, "ada@example.com").await;
        let bob = signed_in(&app, "bob@example.com").await;

        let created = app
            .create_org(
                &ada,
                CreateOrg {
                    name: "Acme Corp",
                    product: "diagrams",
                    organization_id: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(created.membership.role, Role::Administrator);
        assert!(created
            .org
            .organization_id
            .as_str()
            .starts_with("acme-corp-"));
        assert_eq!(created.org.products[0].product, "diagrams");
        assert_eq!(
            created.org.products[0].trial_ends_at,
            Some(Timestamp::from_millis(NOW).plus_days(30))
        );
        let key = created.org.space_key.as_str().to_owned();

        let (_, orgs) = app.me(&ada).await.unwrap();
        assert_eq!(orgs.len(), 1);
        assert_eq!(orgs[0].space_key, key);

        // The profile and plan tabs carry the policy's decisions for the page.
        let profile = app.profile_tab(&ada, &key).await.unwrap();
        assert!(profile.may_edit);
        assert!(app.plan_tab(&ada, &key).await.unwrap().may_manage);
        assert!(matches!(
            app.profile_tab(&bob, &key).await,
            Err(AppError::NotFound)
        ));

        // Another person sees nothing, exactly as for a key that does not exist.
        assert!(matches!(
            app.get_org(&bob, &key).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.get_org(&bob, "ZZZZZZZZZZ").await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.get_org(&bob, "bad").await,
            Err(AppError::NotFound)
        ));
        let nobody = SecretToken::from_random(&[1; 32]).hash();
        assert!(matches!(
            app.get_org(&nobody, &key).await,
            Err(AppError::Unauthenticated)
        ));

        let renamed = app
            .update_org(
                &ada,
                &key,
                UpdateOrg {
                    name: Some("Acme"),
                    organization_id: Some("acme"),
                    require_two_step: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.org.name, "Acme");
        assert_eq!(renamed.org.organization_id.as_str(), "acme");
        let invalid = app
            .update_org(
                &ada,
                &key,
                UpdateOrg {
                    name: None,
                    organization_id: Some("-bad"),
                    require_two_step: None,
                },
            )
            .await;
        assert!(
            matches!(invalid, Err(AppError::Invalid(i)) if i.code() == "invalid_organization_id")
        );
    });
}

#[test]
fn an_organization_id_given_up_is_never_handed_to_another_organization() {
    block_on(async {
        let app = app(NOW);
        let ada = signed_in(&app, "ada@example.com").await;
        let bob = signed_in(&app, "bob@example.com").await;
        let create = |name, id| CreateOrg {
            name,
            product: "tracker",
            organization_id: Some(id),
        };
        let acme = app.create_org(&ada, create("Acme", "acme")).await.unwrap();
        let key = acme.org.space_key.as_str().to_owned();
        let taken = app.create_org(&bob, create("Other", "acme")).await;
        assert!(matches!(taken, Err(AppError::OrganizationIdTaken)));

        let change = |id| UpdateOrg {
            name: None,
            organization_id: Some(id),
            require_two_step: None,
        };
        app.update_org(&ada, &key, change("acme-2")).await.unwrap();
        // Given up, but still reserved for its first owner.
        let reuse = app.create_org(&bob, create("Other", "acme")).await;
        assert!(matches!(reuse, Err(AppError::OrganizationIdTaken)));
        let back = app.update_org(&ada, &key, change("acme")).await.unwrap();
        assert_eq!(back.org.organization_id.as_str(), "acme");

        let other = app
            .create_org(&bob, create("Other", "other"))
            .await
            .unwrap();
        let other_key = other.org.space_key.as_str().to_owned();
        let steal = app.update_org(&bob, &other_key, change("acme-2")).await;
        assert!(matches!(steal, Err(AppError::OrganizationIdTaken)));
        // And nobody can edit an organization they are not in.
        let foreign = app.update_org(&bob, &key, change("mine")).await;
        assert!(matches!(foreign, Err(AppError::NotFound)));
    });
}

#[test]
fn creating_an_organization_needs_a_session_and_valid_fields() {
    block_on(async {
        let app = app(NOW);
        let nobody = SecretToken::from_random(&[1; 32]).hash();
        let input = || CreateOrg {
            name: "Acme",
            product: "tracker",
            organization_id: None,
        };
        assert!(matches!(
            app.create_org(&nobody, input()).await,
            Err(AppError::Unauthenticated)
        ));
        let ada = signed_in(&app, "ada@example.com").await;
        let bad = app
            .create_org(
                &ada,
                CreateOrg {
                    name: "Acme",
                    product: "crm",
                    organization_id: Some("x"),
                },
            )
            .await;
        let Err(AppError::Invalid(invalid)) = bad else {
            panic!("{bad:?}")
        };
        let codes: Vec<_> = invalid.0.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["unknown_product", "invalid_organization_id"]);
    });
}

#[test]
fn managed_accounts_answer_like_unknown_ones_and_count() {
    block_on(async {
        let app = app(NOW);
        app.store.insert_managed("m@corp.example", app.now);
        let before = app.hasher.calls.get();
        for password in ["anything at all", ""] {
            let r = app
                .log_in("M@corp.example", password, &Client::new("ip", "test"))
                .await;
            assert!(matches!(r, Err(AppError::InvalidCredentials)), "{r:?}");
        }
        // The same work as for an unknown address: one derivation per attempt.
        assert_eq!(app.hasher.calls.get() - before, 2);
        for _ in 2..ratelimit::PER_ACCOUNT {
            let _ = app
                .log_in(
                    "m@corp.example",
                    "anything at all",
                    &Client::new("ip", "test"),
                )
                .await;
        }
        let r = app
            .log_in(
                "m@corp.example",
                "anything at all",
                &Client::new("ip", "test"),
            )
            .await;
        assert!(matches!(r, Err(AppError::RateLimited { .. })), "{r:?}");
    });
}

#[test]
fn unconfirmed_sign_ups_are_purged_after_seven_days_and_free_the_address() {
    block_on(async {
        let mut app = app(NOW);
        app.sign_up(sign_up("squatted@example.com")).await.unwrap();
        signed_in(&app, "owner@example.com").await;
        app.now = app.now.plus_days(super::accounts::UNVERIFIED_DAYS - 1);
        app.purge_expired().await.unwrap();
        assert!(matches!(
            app.sign_up(sign_up("squatted@example.com")).await,
            Err(AppError::EmailTaken)
        ));
        app.now = app.now.plus_days(1);
        app.purge_expired().await.unwrap();
        assert!(app.sign_up(sign_up("squatted@example.com")).await.is_ok());
        // A confirmed account stays whatever its age.
        assert!(app
            .log_in(
                "owner@example.com",
                "correct horse battery",
                &Client::new("192.0.2.1", "test")
            )
            .await
            .is_ok());
    });
}

#[test]
fn a_link_confirms_at_once_only_in_the_browser_that_signed_up() {
    use super::accounts::Verifying;
    block_on(async {
        let app = app(NOW);
        let browser = orgpass_core::SecretToken::from_random(&[7u8; 32]);
        app.sign_up(SignUp {
            browser: Some(browser.hash()),
            ..sign_up("squatted@example.com")
        })
        .await
        .unwrap();
        let link = token_from_last_mail(&app);
        // Elsewhere (the address's owner, who never signed up): the password first.
        let other = orgpass_core::SecretToken::from_random(&[8u8; 32]);
        for presented in [None, Some(other.expose())] {
            let opened = app.open_verification(&link, presented).await.unwrap();
            assert!(matches!(opened, Verifying::NeedsPassword(_)), "{opened:?}");
        }
        let guess = app
            .verify_email_with_password(&link, "the owner's own password", "192.0.2.9")
            .await;
        assert!(
            matches!(guess, Err(AppError::InvalidCredentials)),
            "{guess:?}"
        );
        let still = app
            .log_in(
                "squatted@example.com",
                "correct horse battery",
                &Client::new("192.0.2.1", "test"),
            )
            .await;
        assert!(
            matches!(still, Err(AppError::EmailNotVerified)),
            "{still:?}"
        );
        // The browser that signed up confirms with a click.
        let opened = app
            .open_verification(&link, Some(browser.expose()))
            .await
            .unwrap();
        assert!(matches!(opened, Verifying::Confirmed(_)), "{opened:?}");
        assert!(matches!(
            app.open_verification(&link, Some(browser.expose())).await,
            Err(AppError::TokenUsed)
        ));
    });
}

#[test]
fn the_sign_up_password_confirms_from_anywhere() {
    block_on(async {
        let app = app(NOW);
        app.sign_up(sign_up("phone@example.com")).await.unwrap();
        let link = token_from_last_mail(&app);
        let confirmed = app
            .verify_email_with_password(&link, "correct horse battery", "192.0.2.9")
            .await
            .unwrap();
        assert!(confirmed.email_verified);
    });
}
