//! Ports: what the use cases need from the outside world, and the records that cross
//! them. The edge implements them with D1, WebCrypto and `fetch`; [`super::fake`]
//! implements them in memory for native tests.
//!
//! Each store method is one round trip to the database (one statement or one atomic
//! batch), so the cost of a use case can be read from the calls it makes.

// The Worker is single-threaded: futures need not be `Send`, so plain `async fn` in
// traits is what we want.
#![allow(async_fn_in_trait)]

use std::fmt;

mod accounts;
mod audit;
mod clients;
mod domains;
mod invitations;
mod mail;
mod members;
mod oidc;
mod organizations;
mod plan;
mod projects;
mod scim;
mod self_service;
mod sso;
mod two_step;

pub use accounts::*;
pub use audit::*;
pub use clients::*;
pub use domains::*;
pub use invitations::*;
pub use mail::*;
pub use members::*;
pub use oidc::*;
pub use organizations::*;
use orgpass_core::{account::HASH_LEN, Password};
pub use plan::*;
pub use projects::*;
pub use scim::*;
pub use self_service::*;
pub use sso::*;
pub use two_step::*;

/// A dependency (database, runtime crypto, network) failed. The text is for logs
/// only and never reaches a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortError(pub String);

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Cryptographically secure random bytes.
pub trait Random {
    /// Fills `buf`.
    ///
    /// # Errors
    /// [`PortError`] when the source fails.
    fn fill(&self, buf: &mut [u8]) -> Result<(), PortError>;
}

/// PBKDF2-HMAC-SHA256 key derivation.
pub trait PasswordHasher {
    /// Derives [`HASH_LEN`] bytes from `password` with `salt` and `iterations`.
    ///
    /// # Errors
    /// [`PortError`] when the runtime refuses (e.g. too many iterations).
    async fn derive(
        &self,
        password: &Password,
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; HASH_LEN], PortError>;
}
