//! SAML single sign-on use cases (docs/product.md §7): the organization's SAML settings,
//! managed accounts, starting a login at the IdP, and the assertion consumer service.
//!
//! A login, SP-initiated:
//! ```text
//!  /login/sso ──start_sso──► D1: saml_requests (RelayState digest → request ID, return_to)
//!      │ 303 IdP?SAMLRequest=…&RelayState=secret
//!  IdP ──POST /saml/{org}/acs──► acs:
//!      read  (1 D1 round trip): org + add-on, request by RelayState, settings on a KV miss
//!      verify (saml::verify_response: signature, issuer, audience, times, InResponseTo)
//!      write (1 D1 batch): replay record (unique) → request used → session, all or nothing
//! ```
//! The browser's cookies play no part: the login state is server-side, keyed by the
//! RelayState secret (the ACS is a cross-site POST, which Lax cookies do not follow).
//! Every refusal is recorded with its precise [`SsoFailure`] cause and a reference code
//! the person sees; the person is told only what to ask an administrator to check.

use orgpass_core::{
    audit::Action,
    policy::OrgAction,
    saml_settings::{SamlSettings, SpUrls},
    time::MINUTE_MS,
    token::TOKEN_BYTES,
    validation::{bounded_name, same_site_path},
    Email, FieldError, Invalid, Membership, OrganizationId, Role, SecretToken, SpaceKey, TokenHash,
};
use saml_sp::{request::AuthnRequest, Expectations, Pending, SamlError};

use super::{
    orgs::{decide, OrgView},
    ports::{
        AccountRecord, AccountStore, Actor, AdminChange, Client, DomainStore, FailureKind,
        ManagedRefusal, MemberRecord, NewManagedAccount, NewSsoRequest, OrgStore,
        ProvisioningFacts, Random, SamlRecord, SignatureVerifier, SsoCompletion, SsoFailureRecord,
        SsoOutcome, SsoRequestRecord, SsoStarted, SsoStore,
    },
    App, AppError,
};

/// How long a login may stay at the IdP (typing a password, a second factor).
pub const REQUEST_MINUTES: i64 = 15;
/// How long a session made by single sign-on lasts: the IdP is asked again at least
/// this often, so that its deprovisioning takes effect within a working day.
pub const SSO_SESSION_HOURS: i64 = 12;

/// Why a single sign-on attempt was refused: one variant per cause, for the log and the
/// administrators' failure list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoFailure {
    /// The space key in the ACS URL names no organization.
    UnknownOrganization,
    /// The organization has no SAML settings.
    NotConfigured,
    /// The add-on is not in trial or active.
    PassInactive,
    /// No `SAMLResponse` field.
    MissingResponse,
    /// The login in flight named by the RelayState has expired.
    RequestExpired,
    /// The login in flight named by the RelayState was answered already.
    RequestUsed,
    /// The login in flight named by the RelayState was started in another browser (or
    /// the browser's binding cookie is missing): a login CSRF, or a lost cookie.
    OtherBrowser,
    /// The SAML core refused the response.
    Saml(SamlError),
    /// The assertion ID was used before.
    Replay,
    /// No managed account of the organization has the NameID's email.
    AccountNotFound,
    /// The account is deactivated (by the organization's IdP, over SCIM).
    AccountDeactivated,
    /// Storage failed (details in the log line).
    Unavailable,
}

/// What a person is told to ask an administrator to check, by cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// The IdP signing certificate and algorithms configured in orgpass.
    Certificate,
    /// The IdP entity ID, and the SP entity ID / ACS URL configured in the IdP.
    EntityId,
    /// The clocks of the IdP (and the allowed clock skew).
    Clock,
    /// The person has no managed account (or a different email at the IdP).
    AccountNotFound,
    /// The person's account is deactivated.
    AccountDeactivated,
    /// The add-on's trial or subscription has ended.
    PassInactive,
    /// Single sign-on is not set up for the organization.
    NotConfigured,
    /// The login must be started again from orgpass.
    StartAgain,
    /// The IdP's response could not be read or is not acceptable.
    Response,
    /// orgpass could not complete the login; try again.
    Unavailable,
}

impl SsoFailure {
    /// The stable code of the cause (for the log and the failure list).
    #[must_use]
    pub fn variant(&self) -> &'static str {
        match self {
            Self::UnknownOrganization => "unknown_organization",
            Self::NotConfigured => "sso_not_configured",
            Self::PassInactive => "pass_inactive",
            Self::MissingResponse => "missing_response",
            Self::RequestExpired => "request_expired",
            Self::RequestUsed => "request_used",
            Self::OtherBrowser => "browser_mismatch",
            Self::Saml(e) => e.code(),
            Self::Replay => "replay",
            Self::AccountNotFound => "account_not_found",
            Self::AccountDeactivated => "account_deactivated",
            Self::Unavailable => "unavailable",
        }
    }

    /// What the person should ask an administrator to check.
    #[must_use]
    pub fn hint(&self) -> Hint {
        use SamlError as E;
        match self {
            Self::UnknownOrganization | Self::NotConfigured => Hint::NotConfigured,
            Self::PassInactive => Hint::PassInactive,
            Self::AccountNotFound => Hint::AccountNotFound,
            Self::AccountDeactivated => Hint::AccountDeactivated,
            Self::Unavailable => Hint::Unavailable,
            Self::MissingResponse => Hint::Response,
            Self::RequestExpired | Self::RequestUsed | Self::OtherBrowser | Self::Replay => {
                Hint::StartAgain
            }
            Self::Saml(e) => match e {
                E::SignatureMissing
                | E::KeyTypeMismatch
                | E::UntrustedCertificate
                | E::SignatureInvalid
                | E::DigestMismatch
                | E::Sha1NotAllowed
                | E::UnsupportedSignatureAlgorithm
                | E::UnsupportedDigest => Hint::Certificate,
                E::WrongIssuer | E::WrongAudience | E::WrongDestination | E::WrongRecipient => {
                    Hint::EntityId
                }
                E::NotYetValid | E::Expired => Hint::Clock,
                E::InResponseToMissing
                | E::InResponseToMismatch
                | E::UnexpectedInResponseTo
                | E::IdpInitiatedNotAllowed => Hint::StartAgain,
                // Exhaustive on purpose: a new refusal of the SAML core must be given
                // its hint here, not fall into a default.
                E::TooLarge
                | E::TooDeep
                | E::TooManyAttributes
                | E::TooManyNodes
                | E::TooMuchText
                | E::TooManyPrefixes
                | E::NotUtf8
                | E::NotBase64
                | E::MalformedXml { .. }
                | E::Doctype
                | E::EntityReference
                | E::MultipleRoots
                | E::TextOutsideRoot
                | E::DuplicateAttribute
                | E::UndeclaredPrefix
                | E::InvalidNamespace
                | E::DuplicateId
                | E::UnexpectedSignature
                | E::MalformedSignature
                | E::ReferenceCount
                | E::ReferenceMismatch
                | E::UnsupportedCanonicalization
                | E::UnsupportedTransform
                | E::NotAResponse
                | E::UnsupportedVersion
                | E::StatusNotSuccess { .. }
                | E::EncryptedAssertion
                | E::AssertionCount
                | E::NoBearerConfirmation
                | E::InvalidTimestamp
                | E::MissingNameId
                | E::MissingAssertionId
                | E::IssuerFormat
                | E::ConfirmationNotBefore
                | E::ConfirmationWithoutExpiry
                | E::InvalidTimeWindow
                | E::UnsupportedCondition
                | E::DuplicateCondition
                | E::MissingAuthnStatement
                | E::MalformedAuthnStatement
                | E::SessionEnded
                | E::InvalidCertificate
                | E::UnsupportedKey
                | E::InvalidMetadata => Hint::Response,
            },
        }
    }
}

/// A refused attempt with the reference code shown to the person and logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The cause.
    pub failure: SsoFailure,
    /// `SSO-` and 10 random characters.
    pub reference: String,
    /// The organization, when the URL named one.
    pub space_key: Option<SpaceKey>,
    /// The verified NameID, when verification got that far.
    pub name_id: Option<String>,
    /// Storage error detail for the log (never shown).
    pub detail: Option<String>,
}

/// A session made by single sign-on.
#[derive(Debug)]
pub struct SsoLogin {
    /// Session token (cookie value).
    pub token: SecretToken,
    /// The response was unsolicited (IdP-initiated): the session goes to the browser
    /// only through the confirmation step ([`App::continue_sso`]).
    pub unsolicited: bool,
    /// The managed account.
    pub account: AccountRecord,
    /// Where to go now (a same-site path).
    pub return_to: String,
    /// The session's length in seconds (for the cookie).
    pub max_age_seconds: i64,
}

/// What `/login/sso` does with an organization ID.
#[derive(Debug)]
pub enum StartSso {
    /// Send the browser to the IdP, with the binding secret in a cookie for the ACS of
    /// `space_key`.
    Redirect {
        /// The IdP URL with `SAMLRequest` and `RelayState`.
        url: String,
        /// The organization (names the cookie's path).
        space_key: SpaceKey,
        /// The secret the browser keeps (only its digest is stored).
        browser: SecretToken,
    },
    /// The neutral page.
    Neutral,
    /// Too many starts from this address.
    RateLimited {
        /// Seconds to wait.
        retry_after_seconds: i64,
    },
}

/// The unsolicited login's second step.
#[derive(Debug, Clone)]
pub enum Continue {
    /// Hand the session to the browser.
    Promote(AccountRecord),
    /// The browser is signed in as someone else: ask first.
    Confirm {
        /// Who the browser is signed in as.
        signed_in: AccountRecord,
        /// Who the IdP logged in.
        login: AccountRecord,
    },
}

/// The SAML settings as the administrators' API and page show them.
#[derive(Debug, Clone)]
pub struct SamlView {
    /// The stored settings, if configured.
    pub record: Option<SamlRecord>,
    /// Our entity ID, ACS and metadata URLs.
    pub sp: SpUrls,
}

/// The input of a managed account's creation.
#[derive(Debug, Clone, Default)]
pub struct ManagedInput<'a> {
    /// Email (in a verified domain).
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// `administrator`, `member` or `guest`.
    pub role: &'a str,
    /// Groups to join.
    pub group_ids: Vec<&'a str>,
}

impl<S: AccountStore + OrgStore + DomainStore + SsoStore, H, R: Random> App<S, H, R> {
    /// The organization's SAML settings and SP URLs (administrators).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::Unauthenticated`].
    pub async fn saml_settings(&self, token: &TokenHash, key: &str) -> Result<SamlView, AppError> {
        let (view, _) = self.member(token, key, OrgAction::ManagePlan).await?;
        self.saml_view(&view).await
    }

    /// What the Authentication tab shows: the caller's view of the organization, its
    /// SAML settings, its newest SSO failures and its SCIM provisioning, reading the
    /// caller's context once.
    ///
    /// # Errors
    /// As [`Self::saml_settings`].
    pub async fn authentication_tab(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<(OrgView, SamlView, Vec<SsoFailureRecord>, ProvisioningFacts), AppError> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.unknown_org(token).await);
        };
        // One batch: the caller's context, the settings, the failures.
        let page = self
            .store
            .authentication_page(token, self.now, &space_key)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (view, _) = decide(page.context, OrgAction::ManagePlan)?;
        let saml = SamlView {
            record: page.settings,
            sp: SpUrls::new(&self.config.base_url, space_key.as_str()),
        };
        Ok((view, saml, page.failures, page.provisioning))
    }

    async fn saml_view(&self, view: &OrgView) -> Result<SamlView, AppError> {
        let key = &view.org.space_key;
        Ok(SamlView {
            record: self.store.read_saml_settings(key).await?,
            sp: SpUrls::new(&self.config.base_url, key.as_str()),
        })
    }

    /// Saves SAML settings (administrators, add-on in trial or active). Refused while no
    /// normal administrator exists.
    ///
    /// # Errors
    /// Field errors, [`AppError::PassInactive`], [`AppError::LastUnmanagedAdmin`],
    /// [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn save_saml_settings(
        &self,
        token: &TokenHash,
        key: &str,
        settings: Result<SamlSettings, Invalid>,
    ) -> Result<SamlView, AppError> {
        let (view, permit) = self.sso_admin(token, key).await?;
        let settings = settings?;
        let space_key = &view.org.space_key;
        let event = self
            .event(Action::SamlUpdated, Actor::account(&view.viewer.id))
            .target("organization", space_key.as_str(), Some(&view.org.name));
        if !self
            .store
            .write_saml_settings(&permit, &settings, &view.viewer.id, self.now, &event)
            .await?
        {
            return Err(AppError::LastUnmanagedAdmin);
        }
        let record = SamlRecord {
            settings,
            updated_at: self.now,
        };
        Ok(SamlView {
            record: Some(record),
            sp: SpUrls::new(&self.config.base_url, space_key.as_str()),
        })
    }

    /// Removes the SAML settings: single sign-on stops; managed accounts stay (and log
    /// in again once settings are saved).
    ///
    /// # Errors
    /// [`AppError::NotFound`] when there were none, [`AppError::Forbidden`].
    pub async fn remove_saml_settings(&self, token: &TokenHash, key: &str) -> Result<(), AppError> {
        let (view, permit) = self.member(token, key, OrgAction::ManagePlan).await?;
        let event = self
            .event(Action::SamlDeleted, Actor::account(&view.viewer.id))
            .target(
                "organization",
                view.org.space_key.as_str(),
                Some(&view.org.name),
            );
        let deleted = self.store.delete_saml_settings(&permit, &event).await?;
        if deleted {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The organization's newest SSO failures (administrators).
    ///
    /// # Errors
    /// As [`Self::saml_settings`].
    pub async fn sso_failures(
        &self,
        token: &TokenHash,
        key: &str,
    ) -> Result<Vec<SsoFailureRecord>, AppError> {
        let (view, _) = self.member(token, key, OrgAction::ManagePlan).await?;
        Ok(self.store.read_sso_failures(&view.org.space_key).await?)
    }

    /// Creates a managed account (administrators, add-on in trial or active, SAML
    /// configured, the email in a verified domain) with its role and groups, and emails
    /// the person how to log in.
    ///
    /// # Errors
    /// Field errors (`invalid_email`, `invalid_name`, `invalid_role`, `unknown_group`),
    /// [`AppError::PassInactive`], [`AppError::SsoNotConfigured`],
    /// [`AppError::DomainNotVerified`], [`AppError::EmailTaken`],
    /// [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn create_managed_account(
        &self,
        token: &TokenHash,
        key: &str,
        input: &ManagedInput<'_>,
    ) -> Result<MemberRecord, AppError> {
        let mut invalid = Invalid::default();
        let email = invalid.check(Email::parse(input.email));
        let name = invalid.check(bounded_name(input.name));
        let role = invalid.check(Role::parse(input.role));
        invalid.into_result()?;
        let (Some(email), Some(name), Some(role)) = (email, name, role) else {
            return Err(AppError::Invalid(Invalid::default()));
        };
        let (view, permit) = self.sso_admin(token, key).await?;
        let mut group_ids: Vec<String> = Vec::new();
        for id in &input.group_ids {
            if !group_ids.iter().any(|g| g == id) {
                group_ids.push((*id).to_owned());
            }
        }
        let account_id = self.new_id("acct")?;
        let mail = super::mail::managed_account(
            self.new_id("mail")?,
            &email,
            &view.viewer.name,
            &view.org.name,
            view.org.organization_id.as_str(),
            &self.config.base_url,
        );
        let account = NewManagedAccount {
            account_id: account_id.clone(),
            email: email.clone(),
            name: name.clone(),
            role,
            group_ids: group_ids.clone(),
            mail: Some(mail),
            provisioned: None,
            now: self.now,
        };
        let event = self
            .event(
                Action::ManagedAccountCreated,
                Actor::account(&view.viewer.id),
            )
            .target("account", &account_id, Some(email.as_str()));
        match self
            .store
            .insert_managed_account(&permit, &account, &event)
            .await?
        {
            Ok(()) => Ok(MemberRecord {
                account_id,
                email,
                name,
                managed: true,
                membership: Membership {
                    role,
                    can_invite: false,
                },
                group_ids,
                shares_group: false,
            }),
            Err(ManagedRefusal::NotConfigured) => Err(AppError::SsoNotConfigured),
            Err(ManagedRefusal::DomainNotVerified) => Err(AppError::DomainNotVerified),
            Err(ManagedRefusal::EmailTaken) => Err(AppError::EmailTaken),
            Err(ManagedRefusal::UnknownGroup) => Err(AppError::Invalid(
                FieldError::new(
                    "group_ids",
                    "unknown_group",
                    "Choose groups of this organization.",
                )
                .into(),
            )),
        }
    }

    /// Deletes a managed account of the organization (administrators): the account, its
    /// membership, groups, project roles and sessions go at once.
    ///
    /// # Errors
    /// [`AppError::NotFound`] (also for a normal account or another organization's),
    /// [`AppError::LastAdmin`], [`AppError::Forbidden`].
    pub async fn remove_managed_account(
        &self,
        token: &TokenHash,
        key: &str,
        account_id: &str,
    ) -> Result<(), AppError> {
        let (view, permit) = self.member(token, key, OrgAction::ManageMembers).await?;
        let event = self
            .event(
                Action::ManagedAccountDeleted,
                Actor::account(&view.viewer.id),
            )
            .target("account", account_id, None);
        match self
            .store
            .delete_managed_account(&permit, account_id, &event)
            .await?
        {
            AdminChange::Done => Ok(()),
            AdminChange::LastAdmin => Err(AppError::LastAdmin),
            AdminChange::LastNormalAdmin => Err(AppError::LastUnmanagedAdmin),
            AdminChange::Missing => Err(AppError::NotFound),
        }
    }

    /// Starts a login for the organization with this ID: the URL to send the browser to
    /// (the IdP, with the AuthnRequest and RelayState) and the secret the browser keeps
    /// in a cookie, which binds the login to it (the ACS refuses the answer in any other
    /// browser). [`StartSso::Neutral`] — the same for an unknown ID, an organization
    /// without SAML, and an inactive add-on — so that the answer tells nobody which IDs
    /// exist; [`StartSso::RateLimited`] past the per-address limit.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn start_sso(
        &self,
        organization_id: &str,
        return_to: Option<&str>,
        ip: &str,
    ) -> Result<StartSso, AppError> {
        let Ok(organization_id) = OrganizationId::parse(organization_id) else {
            return Ok(StartSso::Neutral);
        };
        let relay = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        let browser = SecretToken::from_random(&self.random_bytes::<TOKEN_BYTES>()?);
        let request_random: [u8; 20] = self.random_bytes()?;
        // The request ID is fixed before the store names the organization; the XML
        // (which carries the organization's entity ID) is written after.
        let request_id = AuthnRequest::id_from(request_random);
        let pending = NewSsoRequest {
            relay_hash: relay.hash(),
            browser_hash: browser.hash(),
            ip: ip.to_owned(),
            request_id,
            return_to: return_to.and_then(same_site_path).unwrap_or("/").to_owned(),
            now: self.now,
            expires_at: self.now.plus_millis(REQUEST_MINUTES * MINUTE_MS),
        };
        let (space_key, sso_url) = match self
            .store
            .insert_sso_request(&organization_id, &pending)
            .await?
        {
            SsoStarted::Stored(space_key, sso_url) => (space_key, sso_url),
            SsoStarted::Neutral => return Ok(StartSso::Neutral),
            SsoStarted::RateLimited => {
                return Ok(StartSso::RateLimited {
                    retry_after_seconds: orgpass_core::ratelimit::retry_after(self.now).0,
                })
            }
        };
        let sp = SpUrls::new(&self.config.base_url, space_key.as_str());
        let request = AuthnRequest::new(
            request_random,
            self.now,
            &sp.entity_id,
            &sp.acs_url,
            &sso_url,
        );
        Ok(StartSso::Redirect {
            url: request.redirect_url(&sso_url, relay.expose()),
            space_key,
            browser,
        })
    }

    /// The second step of an unsolicited (IdP-initiated) login: the ACS made a session
    /// but handed it over only in a path-limited cookie, so that a browser signed in as
    /// someone else is never switched silently. Promotes it when the browser holds no
    /// other account's session; otherwise asks ([`Continue::Confirm`]).
    ///
    /// # Errors
    /// [`AppError::TokenExpired`] when the pending login is gone (expired, used, never
    /// made), [`AppError::Unavailable`].
    pub async fn continue_sso(
        &self,
        pending: &str,
        current: Option<&TokenHash>,
    ) -> Result<Continue, AppError> {
        let pending = SecretToken::parse(pending.trim()).ok_or(AppError::TokenExpired)?;
        let (login, signed_in) = self
            .store
            .pending_login(&pending.hash(), current, self.now)
            .await?;
        let login = login.ok_or(AppError::TokenExpired)?;
        Ok(match signed_in {
            Some(other) if other.id != login.id => Continue::Confirm {
                signed_in: other,
                login,
            },
            _ => Continue::Promote(login),
        })
    }

    /// The assertion consumer service: verifies the IdP's response and logs the managed
    /// account in, or records why not. `browser` is the binding cookie's value: a
    /// response to a login started here is accepted only in the browser that started it.
    ///
    /// # Errors
    /// A [`Refusal`] with its cause and reference (already recorded and to be logged).
    pub async fn acs(
        &self,
        signatures: &impl SignatureVerifier,
        key: &str,
        (saml_response, relay_state): (Option<&str>, Option<&str>),
        browser: Option<&str>,
        client: &Client,
    ) -> Result<SsoLogin, Refusal> {
        let Some(space_key) = SpaceKey::parse(key) else {
            return Err(self.refusal(SsoFailure::UnknownOrganization, None, None, None));
        };
        match self
            .consume(
                signatures,
                &space_key,
                (saml_response, relay_state),
                browser,
                client,
            )
            .await
        {
            Ok(login) => Ok(login),
            Err((failure, name_id, detail, kind)) => {
                let mut refusal = self.refusal(failure, Some(space_key), name_id, detail);
                if refusal.failure != SsoFailure::UnknownOrganization {
                    if let Some(space_key) = &refusal.space_key {
                        let mut event = self
                            .event(Action::SsoLoginFailed, Actor::idp(None))
                            .failed()
                            .detail("reference", &refusal.reference)
                            .detail("reason", refusal.failure.variant())
                            .detail("kind", kind.as_str());
                        if let Some(name_id) = &refusal.name_id {
                            event = event.detail("name_id", name_id);
                        }
                        if let Err(e) = self
                            .store
                            .record_sso_failure(space_key, kind, &event, &client.ip)
                            .await
                        {
                            refusal.detail = Some(e.to_string());
                        }
                    }
                }
                Err(refusal)
            }
        }
    }

    fn refusal(
        &self,
        failure: SsoFailure,
        space_key: Option<SpaceKey>,
        name_id: Option<String>,
        detail: Option<String>,
    ) -> Refusal {
        let random: [u8; 8] = self.random_bytes().unwrap_or([0; 8]);
        Refusal {
            failure,
            reference: reference(&random),
            space_key,
            name_id,
            detail,
        }
    }

    async fn consume(
        &self,
        signatures: &impl SignatureVerifier,
        space_key: &SpaceKey,
        (saml_response, relay_state): (Option<&str>, Option<&str>),
        browser: Option<&str>,
        client: &Client,
    ) -> Result<SsoLogin, (SsoFailure, Option<String>, Option<String>, FailureKind)> {
        let unavailable = |e: super::ports::PortError| {
            (
                SsoFailure::Unavailable,
                None,
                Some(e.0),
                FailureKind::Anonymous,
            )
        };
        let fail = |f: SsoFailure| (f, None, None, FailureKind::Anonymous);
        let relay_state = relay_state.map(str::trim).filter(|r| !r.is_empty());
        // A RelayState that is not a path is the secret of a login in flight.
        let relay_hash = relay_state
            .filter(|r| !r.starts_with('/'))
            .and_then(SecretToken::parse)
            .map(|t| t.hash());
        let state = self
            .store
            .acs_state(space_key, relay_hash.as_ref(), self.now)
            .await
            .map_err(unavailable)?;
        if !state.org_exists {
            return Err(fail(SsoFailure::UnknownOrganization));
        }
        let Some(settings) = state.settings else {
            return Err(fail(SsoFailure::NotConfigured));
        };
        if !state.sso_allowed {
            return Err(fail(SsoFailure::PassInactive));
        }
        let browser_hash = browser.and_then(SecretToken::parse).map(|b| b.hash());
        let same_browser = |r: &SsoRequestRecord| match (&r.browser_hash, &browser_hash) {
            (Some(stored), Some(presented)) => stored.matches(presented),
            _ => false,
        };
        let (in_response_to, return_to, relay_used) = match state.request {
            // Checked first: another browser learns nothing about the login's state.
            Some(r) if !same_browser(&r) => return Err(fail(SsoFailure::OtherBrowser)),
            Some(r) if r.used => return Err(fail(SsoFailure::RequestUsed)),
            Some(r) if r.expires_at <= self.now => return Err(fail(SsoFailure::RequestExpired)),
            Some(r) => (Some(r.request_id), r.return_to, relay_hash.as_ref()),
            // IdP-initiated: RelayState may only name a same-site path.
            None => (
                None,
                relay_state
                    .and_then(same_site_path)
                    .unwrap_or("/")
                    .to_owned(),
                None,
            ),
        };
        let encoded = saml_response
            .filter(|s| !s.trim().is_empty())
            .ok_or(fail(SsoFailure::MissingResponse))?;
        let xml =
            saml_sp::decode_base64(encoded.as_bytes()).map_err(|e| fail(SsoFailure::Saml(e)))?;
        let sp = SpUrls::new(&self.config.base_url, space_key.as_str());
        let expect = Expectations {
            idp_entity_id: &settings.idp_entity_id,
            sp_entity_id: &sp.entity_id,
            acs_url: &sp.acs_url,
            keys: &settings.keys,
            in_response_to: in_response_to.as_deref(),
            allow_idp_initiated: settings.allow_idp_initiated,
            allow_sha1: settings.allow_sha1,
            clock_skew_seconds: settings.clock_skew_seconds,
            now: self.now,
        };
        let refused = |e: SamlError| {
            // Refused before anything was verified: a response that names this
            // organization's IdP (a forged signature, say) is kept apart from junk.
            let names_our_idp = !e.is_unreadable()
                && saml_sp::response::claimed_issuer(&xml).as_deref()
                    == Some(settings.idp_entity_id.as_str());
            let kind = if names_our_idp {
                FailureKind::Issuer
            } else {
                FailureKind::Anonymous
            };
            (SsoFailure::Saml(e), None, None, kind)
        };
        // Sans-IO: the core names the signature checks, the port performs them.
        let pending = Pending::start(&xml, &expect).map_err(refused)?;
        let verdicts = signatures
            .verify(&pending.checks())
            .await
            .map_err(unavailable)?;
        let verified = pending.finish(&verdicts).map_err(refused)?;
        let name_id = Some(verified.name_id().to_owned());
        let Ok(email) = Email::parse(verified.name_id()) else {
            return Err((
                SsoFailure::AccountNotFound,
                name_id,
                None,
                FailureKind::Verified,
            ));
        };
        // Ours last SSO_SESSION_HOURS, never past the IdP's SessionNotOnOrAfter
        // (profiles §4.1.4.3).
        let ours = self.now.plus_millis(SSO_SESSION_HOURS * 60 * MINUTE_MS);
        let expires_at = verified
            .session_not_on_or_after()
            .map_or(ours, |end| end.min(ours));
        // The store fills in the account the NameID names.
        let (token, session) = self
            .new_session("", expires_at, client)
            .map_err(|_| fail(SsoFailure::Unavailable))?;
        let event = self.event(
            Action::SsoLoginSucceeded,
            Actor::idp(Some(&settings.idp_entity_id)),
        );
        let completion = SsoCompletion {
            event: &event,
            space_key,
            assertion_id: verified.assertion_id(),
            keep_until: verified.replay_until(settings.clock_skew_seconds),
            relay_hash: relay_used,
            email: &email,
            session: &session,
        };
        match self
            .store
            .complete_sso(&completion, self.now)
            .await
            .map_err(|e| {
                (
                    SsoFailure::Unavailable,
                    name_id.clone(),
                    Some(e.0),
                    FailureKind::Verified,
                )
            })? {
            SsoOutcome::LoggedIn(account) => Ok(SsoLogin {
                token,
                unsolicited: verified.in_response_to().is_none(),
                account,
                return_to,
                max_age_seconds: (expires_at.millis() - self.now.millis()).max(0) / 1000,
            }),
            SsoOutcome::Replayed => Err((SsoFailure::Replay, name_id, None, FailureKind::Verified)),
            SsoOutcome::RequestUsed => Err((
                SsoFailure::RequestUsed,
                name_id,
                None,
                FailureKind::Verified,
            )),
            SsoOutcome::NoAccount => Err((
                SsoFailure::AccountNotFound,
                name_id,
                None,
                FailureKind::Verified,
            )),
            SsoOutcome::Deactivated => Err((
                SsoFailure::AccountDeactivated,
                name_id,
                None,
                FailureKind::Verified,
            )),
        }
    }

    /// Deletes replay records past their time and logins in flight that expired (the
    /// Cron's housekeeping).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn purge_sso(&self) -> Result<u64, AppError> {
        Ok(self.store.delete_expired_sso(self.now).await?)
    }
}

/// A reference code: `SSO-` and 10 characters of Crockford's base32 (no I, L, O, U).
fn reference(random: &[u8; 8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut n = u64::from_be_bytes(*random);
    let mut out = String::from("SSO-");
    for _ in 0..10 {
        let index = usize::try_from(n % 32).unwrap_or(0);
        out.push(char::from(*ALPHABET.get(index).unwrap_or(&b'0')));
        n /= 32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_has_a_code_and_a_hint() {
        assert_eq!(
            SsoFailure::Saml(SamlError::SignatureInvalid).hint(),
            Hint::Certificate
        );
        assert_eq!(
            SsoFailure::Saml(SamlError::WrongAudience).hint(),
            Hint::EntityId
        );
        assert_eq!(SsoFailure::Saml(SamlError::Expired).hint(), Hint::Clock);
        assert_eq!(SsoFailure::Replay.hint(), Hint::StartAgain);
        assert_eq!(SsoFailure::PassInactive.hint(), Hint::PassInactive);
        assert_eq!(SsoFailure::AccountNotFound.hint(), Hint::AccountNotFound);
        assert_eq!(SsoFailure::Saml(SamlError::Doctype).variant(), "doctype");
        assert_eq!(SsoFailure::Replay.variant(), "replay");
    }

    #[test]
    fn references_are_ten_unambiguous_characters() {
        let r = reference(&[0xff; 8]);
        assert_eq!(r.len(), 14);
        assert!(r.starts_with("SSO-"));
        assert!(r[4..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() && !"ILOU".contains(c)));
        assert_ne!(reference(&[1; 8]), reference(&[2; 8]));
    }
}
