//! Verified domains and the DNS resolver.

use orgpass_core::{policy::Permit, SpaceKey, Timestamp, TokenHash};

use super::*;

/// A domain as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRecord {
    /// Opaque id (`dom_…`).
    pub id: String,
    /// The organization that claims it.
    pub space_key: SpaceKey,
    /// The name.
    pub name: orgpass_core::verification::DomainName,
    /// The TXT value to publish at `_orgpass-challenge.<name>`.
    pub txt_value: String,
    /// Where verification stands.
    pub state: orgpass_core::verification::DomainState,
    /// When it was last checked.
    pub last_checked_at: Option<Timestamp>,
    /// The TXT values found at the last check.
    pub last_found: Vec<String>,
    /// When it was added.
    pub created_at: Timestamp,
}

/// Domains and their verification.
pub trait DomainStore {
    /// Adds `domain`; `false` (nothing written) when the organization has it already.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn insert_domain(
        &self,
        permit: &Permit,
        domain: &DomainRecord,
        event: &super::Event,
    ) -> Result<bool, PortError>;

    /// The viewer's context and the organization's domains, in one round trip (the
    /// domains tab, the list and an on-demand check; the use case decides what the
    /// viewer sees).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn domains_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<(MemberContext, Vec<DomainRecord>)>, PortError>;

    /// Records a check: the new state and what was found, if the stored state is still
    /// `domain.state` (compare-and-set); `false` otherwise. When `notify` is set, a copy
    /// of that email goes to each administrator of the organization, in the same batch,
    /// and so does `event`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn record_check(
        &self,
        domain: &DomainRecord,
        to: orgpass_core::verification::DomainState,
        found: &[String],
        notify: Option<&MailTemplate>,
        now: Timestamp,
        event: Option<&Event>,
    ) -> Result<bool, PortError>;

    /// Deletes a domain of the organization; `false` when there was none.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn delete_domain(
        &self,
        permit: &Permit,
        id: &str,
        event: &super::Event,
    ) -> Result<bool, PortError>;

    /// Up to `limit` domains due for an automatic check at `now`, soonest first.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn due_domains(&self, now: Timestamp, limit: u32)
        -> Result<Vec<DomainRecord>, PortError>;
}

/// The resolver could not answer (SERVFAIL, timeout, connection refused, a body that is
/// not a DNS answer); the text is for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverUnavailable(pub String);

/// DNS-over-HTTPS lookups.
pub trait Resolver {
    /// The TXT values at `name` (empty for NXDOMAIN or no TXT records).
    ///
    /// # Errors
    /// [`ResolverUnavailable`].
    async fn txt(&self, name: &str) -> Result<Vec<String>, ResolverUnavailable>;
}
