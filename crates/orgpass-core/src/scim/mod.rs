//! SCIM 2.0 (RFC 7643, RFC 7644): the filter and PATCH-path grammar ([`filter`]), filters
//! resolved against a resource type's attributes ([`typed`]), the User and Group
//! resources as orgpass keeps them ([`users`], [`groups`]), and PATCH operations applied
//! to a resource's JSON ([`patch`]).

pub mod filter;
pub mod groups;
pub mod patch;
pub mod typed;
pub mod users;

#[cfg(test)]
mod tests;
