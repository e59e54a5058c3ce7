//! The OpenID Connect provider the products sign people in through. So far: the
//! operator's registry of clients (one or more per product) and the published signing
//! keys.

pub mod api;
pub mod store;
