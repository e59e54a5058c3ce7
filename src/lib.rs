//! orgpass: accounts, organizations and single sign-on, as one Cloudflare Worker.
//!
//! The crate is built in three rings; arrows point inward only (see
//! `docs/architecture.md`):
//!
//! - [`domain`], [`saml`], [`dns`]: pure rules and formats. No IO, no clock, no
//!   randomness, never `worker`.
//! - [`app`]: the use cases, written against ports (traits) for storage, password
//!   hashing and randomness, so that they run natively under `cargo test` with fakes.
//! - [`edge`]: the only code that names `worker`: routing, handlers, HTML, the D1 and
//!   WebCrypto implementations of the ports, and the Cron Trigger.
//!
//! Shipped code may not `unwrap`, `expect`, `panic!` or index slices (a panic kills
//! the Worker isolate); `Cargo.toml` and `clippy.toml` deny them outside tests.

pub mod app;
pub mod dns;
pub mod domain;
pub mod edge;
pub mod saml;
