//! What one request (or scheduled run) works with: configuration from the Worker's
//! vars and secrets, the time, the database, and the [`App`] built over them.

use orgpass_app::{App, Config};
use orgpass_core::Timestamp;
use worker::{Context, Env};

use crate::{
    mail::mailer::HttpMailer,
    platform::{
        crypto::{PlatformRandom, WebCryptoPbkdf2},
        d1::D1Store,
    },
};

/// Configuration read from `wrangler.toml` `[vars]` and secrets.
#[derive(Clone)]
pub struct Settings {
    /// `ENVIRONMENT == "development"`: development routes on, HSTS off.
    pub development: bool,
    /// `BASE_URL`, without a trailing slash.
    pub base_url: String,
    /// The email provider, when `EMAIL_API_URL` is set.
    pub email: Option<(String, String, String)>,
    /// `OPERATOR_TOKEN`: operator routes exist only when it is set.
    pub operator_token: Option<String>,
    /// `BILLING_WEBHOOK_SECRET`: the payment provider's webhook signing secret.
    pub webhook_secret: Option<String>,
    /// `OIDC_SIGNING_KEY` (signs) and `OIDC_NEXT_SIGNING_KEY` (published ahead of a
    /// rotation): PKCS#8 RSA private keys, PEM or one line of base64 DER.
    pub oidc_keys: Vec<String>,
    /// The payment provider (`PAYMENT_PROVIDER`: `stripe`, or `development` in
    /// development).
    pub payments: Option<crate::plan::payments::Provider>,
    /// `DOH_URL`: the DNS-over-HTTPS resolver for domain verification.
    pub doh_url: String,
    /// `DOH_METHOD`: `GET` (default), `POST` or `JSON`.
    pub doh_method: crate::domains::resolver::DohMethod,
}

impl Settings {
    /// Reads the settings; missing optional values fall back to safe defaults
    /// (production behaviour, mail kept in the outbox).
    #[must_use]
    pub fn from_env(env: &Env) -> Self {
        let var = |name: &str| {
            env.var(name)
                .ok()
                .map(|v| v.to_string())
                .filter(|v| !v.is_empty())
        };
        let secret = |name: &str| {
            env.secret(name)
                .ok()
                .map(|v| v.to_string())
                .filter(|v| !v.is_empty())
        };
        let email = var("EMAIL_API_URL").map(|url| {
            (
                url,
                secret("EMAIL_API_TOKEN").unwrap_or_default(),
                var("EMAIL_FROM").unwrap_or_else(|| "orgpass <no-reply@localhost>".to_owned()),
            )
        });
        let development = var("ENVIRONMENT").as_deref() == Some("development");
        let base_url = var("BASE_URL")
            .unwrap_or_else(|| "http://127.0.0.1:8787".to_owned())
            .trim_end_matches('/')
            .to_owned();
        let payments = match var("PAYMENT_PROVIDER").as_deref() {
            Some("stripe") => match (secret("STRIPE_SECRET_KEY"), var("STRIPE_PRICE_ID")) {
                (Some(secret_key), Some(price_id)) => {
                    Some(crate::plan::payments::Provider::Stripe {
                        secret_key,
                        price_id,
                        api_base: var("STRIPE_API_BASE")
                            .unwrap_or_else(|| crate::plan::payments::STRIPE_API.to_owned()),
                    })
                }
                _ => None,
            },
            Some("development") | None if development => {
                Some(crate::plan::payments::Provider::Development {
                    base_url: base_url.clone(),
                })
            }
            _ => None,
        };
        Self {
            development,
            base_url,
            email,
            operator_token: secret("OPERATOR_TOKEN"),
            webhook_secret: secret("BILLING_WEBHOOK_SECRET"),
            // A secret in production; `make dev` and the tests pass a generated key as a var.
            oidc_keys: ["OIDC_SIGNING_KEY", "OIDC_NEXT_SIGNING_KEY"]
                .iter()
                .filter_map(|name| secret(name).or_else(|| var(name)))
                .collect(),
            payments,
            doh_url: var("DOH_URL")
                .unwrap_or_else(|| "https://cloudflare-dns.com/dns-query".to_owned()),
            doh_method: crate::domains::resolver::DohMethod::parse(var("DOH_METHOD").as_deref()),
        }
    }

    /// The email provider client, if configured.
    #[must_use]
    pub fn mailer(&self) -> Option<HttpMailer> {
        self.email.as_ref().map(|(url, token, from)| HttpMailer {
            url: url.clone(),
            token: token.clone(),
            from: from.clone(),
        })
    }
}

/// The concrete application of the Worker.
pub type EdgeApp = App<D1Store, WebCryptoPbkdf2, PlatformRandom>;

thread_local! {
    /// When this isolate last touched each session (by token hash).
    static TOUCHED: std::cell::RefCell<std::collections::HashMap<orgpass_core::TokenHash, i64>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// At most this many sessions are remembered per isolate.
const TOUCHED_MAX: usize = 10_000;

/// One request's context.
pub struct Ctx {
    /// Settings.
    pub settings: Settings,
    /// The request's time, read once.
    pub now: Timestamp,
    /// The database, counting round trips.
    pub store: D1Store,
    /// The runtime context, for work after the response.
    pub runtime: Option<Context>,
    /// The KV namespace (a cache only).
    pub kv: Option<worker::KvStore>,
    /// Outgoing DoH requests made by this request.
    pub fetches: std::rc::Rc<std::cell::Cell<u32>>,
    /// The request's client (address, user agent); `None` for a scheduled run.
    pub client: Option<orgpass_app::ports::Client>,
}

impl Ctx {
    /// The resolver for domain verification, caching in KV.
    #[must_use]
    pub fn resolver(&self) -> crate::domains::resolver::DohResolver {
        crate::domains::resolver::DohResolver {
            url: self.settings.doh_url.clone(),
            method: self.settings.doh_method,
            cache: self.kv.clone(),
            fetches: std::rc::Rc::clone(&self.fetches),
        }
    }

    /// The use cases over this request's ports.
    #[must_use]
    pub fn app(&self) -> EdgeApp {
        App {
            store: self.store.clone(),
            hasher: WebCryptoPbkdf2,
            random: PlatformRandom,
            now: self.now,
            config: Config {
                base_url: self.settings.base_url.clone(),
            },
            client: self.client.clone(),
        }
    }

    /// Records, after the response has gone, that the session `token` was used now (a
    /// guarded write that changes the row at most every few minutes). An isolate that
    /// touched the session less than that ago does not send the statement at all: it
    /// would change nothing, and it is a write to the primary on every request.
    pub fn touch_session_soon(&self, token: orgpass_core::TokenHash) {
        let Some(runtime) = self.runtime.as_ref() else {
            return;
        };
        let window = orgpass_app::self_service::TOUCH_EVERY_MINUTES * 60_000;
        let now = self.now.millis();
        let due = TOUCHED.with(|t| {
            let mut touched = t.borrow_mut();
            if touched.get(&token).is_some_and(|at| now - at < window) {
                return false;
            }
            if touched.len() >= TOUCHED_MAX {
                touched.retain(|_, at| now - *at < window);
                if touched.len() >= TOUCHED_MAX {
                    touched.clear();
                }
            }
            touched.insert(token, now);
            true
        });
        if !due {
            return;
        }
        let app = self.app();
        runtime.wait_until(async move {
            if let Err(e) = app.touch_session(&token).await {
                worker::console_error!("session touch: {e}");
            }
        });
    }

    /// Posts the Back-Channel Logouts that this request's ended sessions queued, after
    /// the response has gone (the Cron retries what fails).
    pub fn deliver_logouts_soon(&self) {
        let Some(runtime) = self.runtime.as_ref() else {
            return;
        };
        let app = self.app();
        let channel = crate::oidc::logout::HttpLogoutChannel {
            keys: self.settings.oidc_keys.clone(),
        };
        runtime.wait_until(async move {
            match app.deliver_logouts(&channel, 20).await {
                Ok(report) => worker::console_log!(
                    "{}",
                    serde_json::json!({"event": "backchannel_logout", "delivered": report.delivered, "failed": report.failed})
                ),
                Err(e) => worker::console_error!("backchannel logout: {e}"),
            }
        });
    }

    /// Delivers queued mail after the response has gone, when a provider is
    /// configured (otherwise mail stays in the outbox, readable in development).
    pub fn deliver_mail_soon(&self) {
        let (Some(mailer), Some(runtime)) = (self.settings.mailer(), self.runtime.as_ref()) else {
            return;
        };
        let app = self.app();
        runtime.wait_until(async move {
            match app.deliver_own(&mailer).await {
                Ok(report) => worker::console_log!(
                    "{}",
                    serde_json::json!({"event": "mail_delivery", "sent": report.sent, "failed": report.failed})
                ),
                Err(e) => worker::console_error!("mail delivery: {e}"),
            }
        });
    }
}
