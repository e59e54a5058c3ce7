//! The use cases of orgpass, written against ports.
//!
//! [`App`] bundles the ports one request needs ([`ports::AccountStore`],
//! [`ports::OrgStore`], [`ports::Outbox`], [`ports::PasswordHasher`],
//! [`ports::Random`]) with the request's `now` and configuration. Each use case is one
//! method; the edge calls exactly one per request and maps the result to HTTP. No HTTP
//! types appear here, and no `worker`: the same code runs natively in `cargo test`
//! with the fakes of [`fake`].

pub mod accounts;
pub mod audit;
pub mod clients;
pub mod domains;
pub mod error;
#[cfg(test)]
pub mod fake;
pub mod html;
pub mod invitations;
pub mod logout;
pub mod mail;
pub mod members;
pub mod oidc;
pub mod orgs;
pub mod pages;
pub mod pass;
pub mod ports;
pub mod projects;
pub mod scim;
pub mod self_service;
pub mod sso;
#[cfg(test)]
mod tests;
pub mod two_step;

pub use error::AppError;
use orgpass_core::Timestamp;
use ports::{PortError, Random};

/// Settings the use cases read.
#[derive(Debug, Clone)]
pub struct Config {
    /// Start of every absolute URL orgpass emits (no trailing slash).
    pub base_url: String,
}

/// The ports and context of one request (or one scheduled run).
pub struct App<S, H, R> {
    /// Storage: accounts, organizations, outbox.
    pub store: S,
    /// Password key derivation.
    pub hasher: H,
    /// Randomness.
    pub random: R,
    /// The request's time.
    pub now: Timestamp,
    /// Settings.
    pub config: Config,
    /// The request's client (address and user agent), which the audit log records;
    /// `None` for a scheduled run.
    pub client: Option<ports::Client>,
}

impl<S, H, R: Random> App<S, H, R> {
    /// `N` random bytes.
    fn random_bytes<const N: usize>(&self) -> Result<[u8; N], AppError> {
        let mut bytes = [0u8; N];
        self.random
            .fill(&mut bytes)
            .map_err(AppError::Unavailable)?;
        Ok(bytes)
    }

    /// The audit event of `action` by `actor` now, from this request's client
    /// (docs/api.md "Audit log"); its targets are added with [`ports::Event::target`].
    #[must_use]
    pub fn event(&self, action: orgpass_core::audit::Action, actor: ports::Actor) -> ports::Event {
        ports::Event {
            action,
            actor,
            targets: Vec::new(),
            outcome: orgpass_core::audit::Outcome::Success,
            at: self.now,
            client: self.client.clone(),
            details: Vec::new(),
        }
    }

    /// A fresh opaque id with `prefix`.
    fn new_id(&self, prefix: &str) -> Result<String, AppError> {
        Ok(orgpass_core::token::new_id(prefix, &self.random_bytes()?))
    }

    /// [`Self::new_id`] for the use cases whose only failure is a port's (the OAuth
    /// endpoints answer in their own error format).
    fn fresh_id(&self, prefix: &str) -> Result<String, PortError> {
        let mut bytes = [0u8; 16];
        self.random.fill(&mut bytes)?;
        Ok(orgpass_core::token::new_id(prefix, &bytes))
    }
}

impl From<PortError> for AppError {
    fn from(error: PortError) -> Self {
        Self::Unavailable(error)
    }
}
