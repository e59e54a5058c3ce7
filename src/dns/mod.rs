//! DNS-over-HTTPS messages (pure): RFC 8484 / RFC 1035 encoding and decoding, TXT
//! parsing, for domain verification.
//!
//! The codec arrives with the domain-verification issue; the module is declared now
//! so that the rings of the crate are visible from the tree.
