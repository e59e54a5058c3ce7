//! The audit log (docs/api.md "Audit log"): the administrators' read of their
//! organization's events ([`api`]), the Audit log tab ([`pages`], [`views`]), its D1
//! storage, including the statement every audited write adds to its batch ([`store`]),
//! and the POSTs of log streaming ([`stream`]).

pub mod api;
pub mod pages;
pub mod store;
pub mod stream;
pub mod views;
