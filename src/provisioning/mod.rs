//! SCIM 2.0 provisioning (docs/api.md "SCIM 2.0 provisioning"): the administrators'
//! token routes ([`api`]), the IdP's `/scim/v2/{org}` service ([`service`]) with its
//! resources and queries as JSON ([`resources`]) and its self-description
//! ([`discovery`]), and their D1 storage: tokens, Users and refusals ([`store`]),
//! Groups ([`group_store`]), filters as SQL ([`sql`]).

pub mod api;
pub mod discovery;
pub mod group_store;
mod resources;
pub mod service;
mod sql;
pub mod store;
