//! The OpenID Connect provider the products sign people in through: the operator's
//! registry of clients (one or more per product) and the published signing keys
//! ([`api`]), the protocol's endpoints ([`provider`]), logging out both ways
//! ([`logout`]) and their D1 storage ([`store`]).

pub mod api;
pub mod logout;
pub mod provider;
pub mod store;
