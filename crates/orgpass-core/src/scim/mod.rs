//! SCIM 2.0 (RFC 7643, RFC 7644): the filter and PATCH-path grammar ([`filter`]).

pub mod filter;

#[cfg(test)]
mod tests;
