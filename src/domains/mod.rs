//! Domains: adding, verifying over DNS-over-HTTPS (the resolver), re-checking, deleting.

pub mod api;
pub mod pages;
pub mod resolver;
pub mod store;
pub mod views;
