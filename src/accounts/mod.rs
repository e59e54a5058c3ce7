//! Accounts: sign-up, email verification, log-in and log-out, the dashboard, setting a password from an emailed link.

pub mod api;
pub mod pages;
pub mod store;
pub mod views;
