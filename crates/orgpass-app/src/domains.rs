//! Domain verification use cases (docs/product.md §7 "Domains"): add, list, verify on
//! demand, delete (administrators, while the add-on allows SSO), and the Cron's
//! re-checks. Decisions come from [`orgpass_core::verification`].

use orgpass_core::{
    audit::Action,
    policy::{OrgAction, Permit},
    verification::{Check, DomainName, DomainState},
    SpaceKey, TokenHash,
};

use super::{
    orgs::{decide, OrgView},
    ports::{AccountStore, Actor, DomainRecord, DomainStore, Event, OrgStore, Random, Resolver},
    App, AppError,
};

/// Domains checked per Cron run at most (the rest wait for the next run).
pub const CHECKS_PER_RUN: u32 = 40;

/// The outcome of an on-demand check: the domain as it now is, and what was found.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The domain.
    pub domain: DomainRecord,
    /// Every TXT value found at the challenge name (so a mismatch is visible).
    pub found: Vec<String>,
}

/// What one Cron pass over due domains did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecheckReport {
    /// Domains checked.
    pub checked: u32,
    /// Domains now verified that were not.
    pub verified: u32,
    /// Verified domains dropped back to pending.
    pub dropped: u32,
    /// Pending domains that failed.
    pub failed: u32,
    /// Checks the resolver could not answer (each counted as not found).
    pub unavailable: u32,
}

fn check_of(found: &[String], expected: &str) -> Check {
    if found.iter().any(|v| v == expected) {
        Check::Found
    } else {
        Check::NotFound
    }
}

impl<S: AccountStore + OrgStore + DomainStore, H, R: Random> App<S, H, R> {
    /// An administrator's view of the organization, with the add-on allowing SSO.
    pub(super) async fn sso_admin(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<(OrgView, Permit), AppError> {
        let (view, permit) = self.member(token, key, OrgAction::ManagePlan).await?;
        if !view.org.pass.sso_allowed(self.now) {
            return Err(AppError::PassInactive);
        }
        Ok((view, permit))
    }

    /// Adds a domain to verify; the TXT record to publish comes with it.
    ///
    /// # Errors
    /// `invalid_domain`, `free_mail_domain`, [`AppError::PassInactive`],
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::DomainExists`].
    pub async fn add_domain(
        &self,
        token: &TokenHash,
        key: &str,
        name: &str,
    ) -> Result<DomainRecord, AppError> {
        let name = DomainName::parse(name)?;
        let (view, permit) = self.sso_admin(token, key).await?;
        let value: [u8; 16] = self.random_bytes()?;
        let domain = DomainRecord {
            id: self.new_id("dom")?,
            space_key: permit.space_key().clone(),
            name,
            txt_value: format!("orgpass-verification={}", hex::encode(value)),
            state: DomainState::added(self.now),
            last_checked_at: None,
            last_found: Vec::new(),
            created_at: self.now,
        };
        let event = self
            .event(Action::DomainAdded, Actor::account(&view.viewer.id))
            .target("domain", &domain.id, Some(domain.name.as_str()));
        if self.store.insert_domain(&permit, &domain, &event).await? {
            Ok(domain)
        } else {
            Err(AppError::DomainExists)
        }
    }

    /// The organization's domains.
    ///
    /// # Errors
    /// As [`Self::add_domain`].
    pub async fn list_domains(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<Vec<DomainRecord>, AppError> {
        let (_, _, domains) = self.admin_domains(token, key).await?;
        Ok(domains)
    }

    /// An administrator's view and permit with the organization's domains, from one
    /// round trip (the domains tab, the list, an on-demand check).
    pub(super) async fn admin_domains(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<(OrgView, Permit, Vec<DomainRecord>), AppError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        let (context, domains) = self
            .store
            .domains_page(token, self.now, &space_key)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (view, permit) = decide(context, OrgAction::ManagePlan)?;
        Ok((view, permit, domains))
    }

    /// Checks a domain now and records the outcome.
    ///
    /// # Errors
    /// As [`Self::add_domain`], [`AppError::NotFound`] for another organization's id,
    /// [`AppError::Upstream`] when the resolver cannot answer (nothing changes).
    pub async fn verify_domain(
        &self,
        token: &TokenHash,
        key: &str,
        id: &str,
        resolver: &impl Resolver,
    ) -> Result<Verification, AppError> {
        let (view, _, domains) = self.admin_domains(token, key).await?;
        if !view.org.pass.sso_allowed(self.now) {
            return Err(AppError::PassInactive);
        }
        let domain = domains
            .into_iter()
            .find(|d| d.id == id)
            .ok_or(AppError::NotFound)?;
        let found = resolver
            .txt(&domain.name.challenge_name())
            .await
            .map_err(|e| AppError::Upstream(super::ports::PortError(e.0)))?;
        let to = domain
            .state
            .after_on_demand(check_of(&found, &domain.txt_value), self.now);
        let event = self.check_event(&domain, to, Actor::account(&view.viewer.id));
        if !self
            .store
            .record_check(&domain, to, &found, None, self.now, event.as_ref())
            .await?
        {
            return Err(AppError::Conflict);
        }
        Ok(Verification {
            domain: DomainRecord {
                state: to,
                last_checked_at: Some(self.now),
                last_found: found.clone(),
                ..domain
            },
            found,
        })
    }

    /// Deletes a domain.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Forbidden`].
    pub async fn remove_domain(
        &self,
        token: &TokenHash,
        key: &str,
        id: &str,
    ) -> Result<(), AppError> {
        let (view, permit) = self.member(token, key, OrgAction::ManagePlan).await?;
        let event = self
            .event(Action::DomainDeleted, Actor::account(&view.viewer.id))
            .target("domain", id, None);
        if self.store.delete_domain(&permit, id, &event).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The event of a check that moves `domain` to `to`: `domain.verified` when the
    /// record is found, `domain.unverified` when a verified domain loses it.
    fn check_event(&self, domain: &DomainRecord, to: DomainState, actor: Actor) -> Option<Event> {
        let was = matches!(domain.state, DomainState::Verified { .. });
        let is = matches!(to, DomainState::Verified { .. });
        let action = match (was, is) {
            (false, true) => Action::DomainVerified,
            (true, false) => Action::DomainUnverified,
            _ => return None,
        };
        Some(
            self.event(action, actor)
                .target("domain", &domain.id, Some(domain.name.as_str())),
        )
    }

    /// The Cron's re-checks: pending domains with back-off, verified ones daily.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store fails (a resolver failure only skips).
    pub async fn recheck_domains(
        &self,
        resolver: &impl Resolver,
    ) -> Result<RecheckReport, AppError> {
        let mut report = RecheckReport::default();
        for domain in self.store.due_domains(self.now, CHECKS_PER_RUN).await? {
            // A resolver that cannot answer is a check too: the domain moves back in
            // the queue with its back-off, so the others get their turn.
            let (check, found) = match resolver.txt(&domain.name.challenge_name()).await {
                Ok(found) => (check_of(&found, &domain.txt_value), found),
                Err(_) => {
                    report.unavailable += 1;
                    (Check::Unavailable, Vec::new())
                }
            };
            let to = domain.state.after(check, self.now);
            let mut notify = None;
            match (domain.state, to) {
                (DomainState::Pending { .. }, DomainState::Verified { .. }) => report.verified += 1,
                (DomainState::Verified { .. }, DomainState::Pending { .. }) => {
                    report.dropped += 1;
                    notify = Some(super::mail::domain_dropped(
                        domain.name.as_str(),
                        &domain.name.challenge_name(),
                        &domain.txt_value,
                        &self.config.base_url,
                        domain.space_key.as_str(),
                    ));
                }
                (_, DomainState::Failed { .. }) => report.failed += 1,
                _ => {}
            }
            let event = self.check_event(&domain, to, Actor::system());
            if self
                .store
                .record_check(
                    &domain,
                    to,
                    &found,
                    notify.as_ref(),
                    self.now,
                    event.as_ref(),
                )
                .await?
            {
                report.checked += 1;
            }
        }
        Ok(report)
    }
}
