//! The audit log (docs/api.md "Audit log"): the administrators' read of their
//! organization's events ([`api`]) and its D1 storage, including the statement every
//! audited write adds to its batch ([`store`]).

pub mod api;
pub mod store;
