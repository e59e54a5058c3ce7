//! SCIM 2.0 (RFC 7643, RFC 7644): the filter and PATCH-path grammar ([`filter`]), and the
//! User resource as orgpass keeps it, with filters over it resolved and typed ([`users`]),
//! and PATCH operations applied to a resource's JSON ([`patch`]).

pub mod filter;
pub mod patch;
pub mod users;

#[cfg(test)]
mod tests;
