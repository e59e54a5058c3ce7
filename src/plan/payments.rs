//! The payment providers behind `orgpass_app::ports::PaymentProvider`: Stripe and the
//! development checkout.
//!
//! - `stripe`: Checkout Sessions created over Stripe's HTTPS API (subscription mode,
//!   one price), cancellation at period end on the subscription. Card data never
//!   reaches orgpass: people pay on Stripe's hosted page, and Stripe reports back by
//!   signed webhook.
//! - `development`: the checkout page is orgpass's own `/dev/checkout`, which completes
//!   the payment by signing a Stripe-shaped event with the webhook secret and passing it
//!   through the same verification as real webhooks. Only with `ENVIRONMENT=development`.

use orgpass_app::ports::{OrgRecord, PaymentProvider, PortError};
use serde::Deserialize;
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// The configured provider.
#[derive(Clone)]
pub enum Provider {
    /// Stripe, with its secret API key and the subscription's price.
    Stripe {
        /// `sk_…`.
        secret_key: String,
        /// `price_…`.
        price_id: String,
        /// The API's base URL (`STRIPE_API_BASE`, default Stripe's own).
        api_base: String,
    },
    /// The development checkout on orgpass itself.
    Development {
        /// orgpass's BASE_URL.
        base_url: String,
    },
}

/// Stripe's API.
pub const STRIPE_API: &str = "https://api.stripe.com/v1";

#[derive(Deserialize)]
struct CheckoutSession {
    url: String,
}

async fn stripe_post(
    api_base: &str,
    secret_key: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Result<String, PortError> {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter())
        .finish();
    let headers = Headers::new();
    let auth = format!("Bearer {secret_key}");
    let fail = |e: worker::Error| PortError(format!("stripe: {e}"));
    headers.set("authorization", &auth).map_err(fail)?;
    headers
        .set("content-type", "application/x-www-form-urlencoded")
        .map_err(fail)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.into()));
    let request = Request::new_with_init(&format!("{api_base}{path}"), &init).map_err(fail)?;
    let mut response = Fetch::Request(request).send().await.map_err(fail)?;
    let status = response.status_code();
    let text = response.text().await.map_err(fail)?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        // Stripe's error bodies name the problem, never a secret of ours.
        Err(PortError(format!(
            "stripe {path} answered {status}: {}",
            text.chars().take(300).collect::<String>()
        )))
    }
}

impl PaymentProvider for Provider {
    async fn checkout(
        &self,
        org: &OrgRecord,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<String, PortError> {
        match self {
            Self::Development { base_url } => {
                Ok(format!("{base_url}/dev/checkout?org={}", org.space_key))
            }
            Self::Stripe {
                secret_key,
                price_id,
                api_base,
            } => {
                let key = org.space_key.as_str();
                let email = org
                    .application
                    .as_ref()
                    .map(|a| a.admin_email.as_str().to_owned());
                let mut form = vec![
                    ("mode", "subscription"),
                    ("line_items[0][price]", price_id.as_str()),
                    ("line_items[0][quantity]", "1"),
                    ("success_url", success_url),
                    ("cancel_url", cancel_url),
                    ("client_reference_id", key),
                    ("metadata[space_key]", key),
                    ("subscription_data[metadata][space_key]", key),
                ];
                if let Some(email) = email.as_deref() {
                    form.push(("customer_email", email));
                }
                let body = stripe_post(api_base, secret_key, "/checkout/sessions", &form).await?;
                let session: CheckoutSession = serde_json::from_str(&body)
                    .map_err(|e| PortError(format!("stripe checkout session: {e}")))?;
                Ok(session.url)
            }
        }
    }

    async fn cancel_at_period_end(&self, org: &OrgRecord) -> Result<(), PortError> {
        match self {
            Self::Development { .. } => Ok(()),
            Self::Stripe {
                secret_key,
                api_base,
                ..
            } => {
                let subscription = org
                    .subscription_id
                    .as_deref()
                    .ok_or_else(|| PortError("stripe: no subscription recorded".to_owned()))?;
                stripe_post(
                    api_base,
                    secret_key,
                    &format!("/subscriptions/{subscription}"),
                    &[("cancel_at_period_end", "true")],
                )
                .await
                .map(|_| ())
            }
        }
    }
}
