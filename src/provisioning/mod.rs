//! SCIM 2.0 provisioning (docs/api.md "SCIM 2.0 provisioning"): the organization's
//! provisioning tokens ([`api`]: the administrators' routes, and the IdP's
//! `/scim/v2/{org}` service), the service's self-description ([`discovery`]), and their
//! D1 storage: tokens and Users ([`store`]), Groups ([`group_store`]), filters as SQL
//! ([`sql`]).

pub mod api;
pub mod discovery;
pub mod group_store;
mod sql;
pub mod store;
