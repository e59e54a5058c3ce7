//! orgpass: accounts, organizations and single sign-on, as one Cloudflare Worker.
//!
//! This package is the Worker, the outermost ring and the only code that names
//! `worker`: routing, handlers, HTML, the D1 and WebCrypto implementations of the
//! ports, the Cron Trigger. The rules live in the workspace's pure crates, and arrows
//! point inward only (see `docs/architecture.md`):
//!
//! - `saml-sp` (`crates/saml-sp`): the SAML service-provider verifier, pure.
//! - `orgpass-core` (`crates/orgpass-core`): the pure rules and formats of orgpass.
//! - `orgpass-app` (`crates/orgpass-app`): the use cases, written against ports.
//!
//! Shipped code may not `unwrap`, `expect`, `panic!` or index slices (a panic kills
//! the Worker isolate); the workspace lints and `clippy.toml` deny them outside tests.

pub mod edge;
