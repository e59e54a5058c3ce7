//! The plan: the single sign-on add-on (trial, subscription, cancellation), billing webhooks, the payment provider, the operator routes, the development checkout.

pub mod api;
pub mod pages;
pub mod payments;
pub mod store;
pub mod views;
