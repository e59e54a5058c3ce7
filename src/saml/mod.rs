//! SAML 2.0 for the service provider side (pure): XML reading, exclusive
//! canonicalization, XML-DSig verification, Response/Assertion validation,
//! AuthnRequest and metadata.
//!
//! The verification core arrives with its own issue (see the issue tracker); the
//! module is declared now so that the rings of the crate are visible from the tree.
