//! The OpenID Connect provider's use cases (docs/api.md "Products sign in"): the
//! authorization endpoint, the token endpoint (code and refresh grants), userinfo and
//! revocation. The ID token's claims are made here; the edge signs them.
//!
//! - Codes, access and refresh tokens are 256-bit random tokens stored as SHA-256.
//! - A code works once, for [`CODE_SECONDS`]; a refresh token works once and is
//!   replaced by a new one. Presenting a spent one again ends its whole family (every
//!   token the code led to), and so does losing a race to spend it.
//! - Every grant is tied to the orgpass session that logged in: when that session ends
//!   (logout, password reset, the session ended from `/account`, a managed account
//!   losing access, deletion), its codes and tokens stop working.
//! - The organizations, and whether a managed account may sign in at all, are read
//!   fresh at every grant and userinfo call ([`orgpass_core::oidc::claims`]).

use orgpass_core::{
    oidc::{
        authorize::{
            client_id, pkce_matches, redirect_with, return_after_login, AuthorizationRequest,
            ClientCredentials, Prompt, Refusal, Scopes,
        },
        claims::{self, at_hash, product_organizations, scope_claims, seconds, IdTokenFacts},
    },
    token::TOKEN_BYTES,
    SecretToken, TokenHash,
};
use serde_json::{Map, Value};

use super::{
    ports::{GrantClient, NewCode, NewTokens, OidcStore, PortError, Random, SessionFacts},
    App,
};

/// How long an authorization code works.
pub const CODE_SECONDS: i64 = 60;
/// How long an access token (and an ID token) works.
pub const ACCESS_SECONDS: i64 = 600;
/// How long a refresh token works unused (its session may end it sooner).
pub const REFRESH_DAYS: i64 = 30;
/// The path of the authorization endpoint (a signed-out browser comes back to it).
pub const AUTHORIZE_PATH: &str = "/oauth2/authorize";

/// What the authorization endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorize {
    /// An error page at orgpass (400) with this code: never a redirect.
    Here(&'static str),
    /// 303 to the client's redirect URI (with a code, or an error).
    Redirect(String),
    /// 303 to the login page, which comes back to `return_to`.
    Login {
        /// The authorization request to come back to.
        return_to: String,
    },
}

/// An OAuth 2.0 error of the token, userinfo and revocation endpoints (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    /// `invalid_request` (400).
    InvalidRequest(&'static str),
    /// `invalid_client` (401): unknown client or wrong secret.
    InvalidClient,
    /// `invalid_grant` (400).
    InvalidGrant(&'static str),
    /// `unsupported_grant_type` (400).
    UnsupportedGrantType,
    /// `invalid_scope` (400).
    InvalidScope,
    /// `invalid_token` (401, userinfo).
    InvalidToken,
    /// The store failed (500).
    Unavailable(PortError),
}

impl From<PortError> for OAuthError {
    fn from(e: PortError) -> Self {
        Self::Unavailable(e)
    }
}

/// A successful token response, before the edge signs `id_token`.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The ID token's claims.
    pub id_token: Value,
    /// The access token.
    pub access_token: SecretToken,
    /// The next refresh token (`offline_access`).
    pub refresh_token: Option<SecretToken>,
    /// The access token's lifetime in seconds.
    pub expires_in: i64,
    /// Granted scope.
    pub scope: String,
}

/// The value of the one parameter `name` of a form, if given once.
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut found = pairs.iter().filter(|(k, _)| k == name);
    match (found.next(), found.next()) {
        (Some((_, v)), None) if !v.is_empty() => Some(v.as_str()),
        _ => None,
    }
}

impl<S: OidcStore, H, R: Random> App<S, H, R> {
    fn issuer(&self) -> &str {
        &self.config.base_url
    }

    /// The authorization endpoint: `pairs` are the request's parameters (`query_len`
    /// its length), `session` the browser's cookie session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    pub async fn authorize(
        &self,
        pairs: &[(String, String)],
        query_len: usize,
        session: Option<&TokenHash>,
    ) -> Result<Authorize, PortError> {
        let id = match client_id(pairs) {
            Ok(id) => id,
            Err(Refusal::Here(code)) => return Ok(Authorize::Here(code)),
            Err(Refusal::Back { .. }) => return Ok(Authorize::Here("invalid_client")),
        };
        let facts = self.store.read_authorization(id, session, self.now).await?;
        let registered = facts.client.as_ref().map(|c| c.redirect_uris.as_slice());
        let request = match AuthorizationRequest::check(pairs, query_len, registered) {
            Ok(request) => request,
            Err(Refusal::Here(code)) => return Ok(Authorize::Here(code)),
            Err(Refusal::Back {
                redirect_uri,
                state,
                error,
                description,
            }) => {
                return Ok(Authorize::Redirect(self.back(
                    &redirect_uri,
                    state.as_deref(),
                    error,
                    description,
                )))
            }
        };
        let back = |error, description| {
            Ok(Authorize::Redirect(self.back(
                &request.redirect_uri,
                request.state.as_deref(),
                error,
                description,
            )))
        };
        let login = || {
            Ok(Authorize::Login {
                return_to: return_after_login(AUTHORIZE_PATH, pairs),
            })
        };
        let Some(found) = facts.session else {
            return if request.prompt == Prompt::None {
                back("login_required", "Nobody is logged in to orgpass.")
            } else {
                login()
            };
        };
        if request.needs_fresh_login(seconds(found.auth_time), seconds(self.now)) {
            return if request.prompt == Prompt::None {
                back("login_required", "The login is older than max_age allows.")
            } else {
                login()
            };
        }
        if product_organizations(&found.person, found.orgs.clone()).is_err() {
            return back(
                "access_denied",
                "This managed account's organization has no active single sign-on add-on.",
            );
        }
        let code = self.token()?;
        self.store
            .insert_code(
                &NewCode {
                    hash: code.hash(),
                    family_id: self.fresh_id("fam")?,
                    client_id: &request.client_id,
                    account_id: &found.person.id,
                    session_id: &found.session_id,
                    redirect_uri: &request.redirect_uri,
                    scope: request.scopes.granted(),
                    nonce: request.nonce.as_deref(),
                    code_challenge: &request.code_challenge,
                    auth_time: found.auth_time,
                    expires_at: self.now.plus_millis(CODE_SECONDS * 1000),
                },
                self.now,
            )
            .await?;
        let mut answer = vec![("code", code.expose())];
        if let Some(state) = &request.state {
            answer.push(("state", state));
        }
        answer.push(("iss", self.issuer()));
        Ok(Authorize::Redirect(redirect_with(
            &request.redirect_uri,
            &answer,
        )))
    }

    /// The redirect URI with an error, `state` and `iss` (RFC 9207).
    fn back(&self, uri: &str, state: Option<&str>, error: &str, description: &str) -> String {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        pairs.push(("iss", self.issuer()));
        redirect_with(uri, &pairs)
    }

    fn token(&self) -> Result<SecretToken, PortError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        self.random.fill(&mut bytes)?;
        Ok(SecretToken::from_random(&bytes))
    }

    /// Whether `credentials` name `client` with its current secret (compared in
    /// constant time, as hashes).
    fn authenticated(credentials: &ClientCredentials, client: Option<&GrantClient>) -> bool {
        client.is_some_and(|c| {
            SecretToken::parse(&credentials.secret)
                .is_some_and(|secret| secret.hash().matches(&c.secret_hash))
        })
    }

    /// The token endpoint: the `authorization_code` and `refresh_token` grants. Two
    /// round trips: one read, one guarded write.
    ///
    /// # Errors
    /// [`OAuthError`].
    pub async fn grant(
        &self,
        credentials: &ClientCredentials,
        body: &[(String, String)],
    ) -> Result<Grant, OAuthError> {
        let refresh = match param(body, "grant_type") {
            Some("authorization_code") => false,
            Some("refresh_token") => true,
            Some(_) => return Err(OAuthError::UnsupportedGrantType),
            None => return Err(OAuthError::InvalidRequest("grant_type is required.")),
        };
        let presented = param(body, if refresh { "refresh_token" } else { "code" }).ok_or(
            OAuthError::InvalidRequest(if refresh {
                "refresh_token is required."
            } else {
                "code is required."
            }),
        )?;
        // A value that is not one of our tokens cannot be one: no need to look.
        let hash = SecretToken::parse(presented).map(|t| t.hash());
        let facts = match &hash {
            Some(hash) => {
                self.store
                    .read_grant(&credentials.client_id, hash, refresh, self.now)
                    .await?
            }
            None => self.grant_client_only(&credentials.client_id).await?,
        };
        if !Self::authenticated(credentials, facts.client.as_ref()) {
            return Err(OAuthError::InvalidClient);
        }
        let (Some(hash), Some(grant)) = (hash, facts.grant) else {
            return Err(OAuthError::InvalidGrant(
                "The code or refresh token is not valid.",
            ));
        };
        if grant.spent {
            self.store.revoke_family(&grant.family_id, self.now).await?;
            return Err(OAuthError::InvalidGrant(
                "The code or refresh token was already used; every token it led to is revoked.",
            ));
        }
        if grant.expires_at <= self.now {
            return Err(OAuthError::InvalidGrant(
                "The code or refresh token has expired.",
            ));
        }
        let mut scopes = Scopes::parse(&grant.scope).unwrap_or_default();
        if refresh {
            if let Some(asked) = param(body, "scope") {
                let narrower = Scopes::parse(asked).ok_or(OAuthError::InvalidScope)?;
                if !narrower.within(scopes) {
                    return Err(OAuthError::InvalidScope);
                }
                scopes = narrower;
            }
        } else {
            if param(body, "redirect_uri") != grant.redirect_uri.as_deref() {
                return Err(OAuthError::InvalidGrant(
                    "redirect_uri is not the one the code was sent to.",
                ));
            }
            let verified = param(body, "code_verifier").is_some_and(|v| {
                grant
                    .code_challenge
                    .as_deref()
                    .is_some_and(|c| pkce_matches(v, c))
            });
            if !verified {
                return Err(OAuthError::InvalidGrant(
                    "The code_verifier does not match the code_challenge.",
                ));
            }
        }
        let Some(found) = grant.session else {
            return Err(OAuthError::InvalidGrant("The orgpass session has ended."));
        };
        let Ok(orgs) = product_organizations(&found.person, found.orgs.clone()) else {
            return Err(OAuthError::InvalidGrant(
                "This managed account's organization has no active single sign-on add-on.",
            ));
        };
        let access = self.token()?;
        let next = if scopes.offline_access {
            Some(self.token()?)
        } else {
            None
        };
        let scope = scopes.granted();
        let marker = self.fresh_id("spend")?;
        let stored = self
            .store
            .spend_grant(
                &hash,
                refresh,
                &marker,
                &NewTokens {
                    family_id: &grant.family_id,
                    client_id: &credentials.client_id,
                    account_id: &found.person.id,
                    session_id: &found.session_id,
                    scope: &scope,
                    auth_time: found.auth_time,
                    access: (access.hash(), self.now.plus_millis(ACCESS_SECONDS * 1000)),
                    refresh: next
                        .as_ref()
                        .map(|t| (t.hash(), self.now.plus_days(REFRESH_DAYS))),
                },
                self.now,
            )
            .await?;
        if !stored {
            // Another request spent it in the meantime: that is a reuse as well.
            self.store.revoke_family(&grant.family_id, self.now).await?;
            return Err(OAuthError::InvalidGrant(
                "The code or refresh token was already used; every token it led to is revoked.",
            ));
        }
        let id_token = self.id_token(
            &credentials.client_id,
            &found,
            &orgs,
            scopes,
            if refresh {
                None
            } else {
                grant.nonce.as_deref()
            },
            &access,
        );
        Ok(Grant {
            id_token,
            access_token: access,
            refresh_token: next,
            expires_in: ACCESS_SECONDS,
            scope,
        })
    }

    async fn grant_client_only(
        &self,
        client_id: &str,
    ) -> Result<super::ports::GrantFacts, PortError> {
        Ok(super::ports::GrantFacts {
            client: self.store.read_grant_client(client_id).await?,
            grant: None,
        })
    }

    fn id_token(
        &self,
        client_id: &str,
        found: &SessionFacts,
        orgs: &[claims::OrgFacts],
        scopes: Scopes,
        nonce: Option<&str>,
        access: &SecretToken,
    ) -> Value {
        claims::id_token(
            &IdTokenFacts {
                issuer: self.issuer(),
                client_id,
                issued_at: self.now,
                lifetime_seconds: ACCESS_SECONDS,
                auth_time: found.auth_time,
                session_id: &found.session_id,
                nonce,
                at_hash: Some(at_hash(access.expose())),
            },
            scope_claims(&found.person, orgs, scopes),
        )
    }

    /// The userinfo endpoint: the claims of the access token's scopes, read fresh. One
    /// round trip.
    ///
    /// # Errors
    /// [`OAuthError::InvalidToken`] for an unknown, expired or revoked token, one whose
    /// session ended, or a managed account without an active add-on.
    pub async fn userinfo(&self, token: Option<&str>) -> Result<Map<String, Value>, OAuthError> {
        let hash = token
            .and_then(SecretToken::parse)
            .ok_or(OAuthError::InvalidToken)?
            .hash();
        let facts = self
            .store
            .read_access(&hash, self.now)
            .await?
            .ok_or(OAuthError::InvalidToken)?;
        let orgs = product_organizations(&facts.session.person, facts.session.orgs.clone())
            .map_err(|_| OAuthError::InvalidToken)?;
        let scopes = Scopes::parse(&facts.scope).unwrap_or_default();
        Ok(scope_claims(&facts.session.person, &orgs, scopes))
    }

    /// The revocation endpoint (RFC 7009): the client's own token is revoked; an
    /// unknown token is not an error (§2.2).
    ///
    /// # Errors
    /// [`OAuthError::InvalidClient`], [`OAuthError::InvalidRequest`] without `token`.
    pub async fn revoke(
        &self,
        credentials: &ClientCredentials,
        body: &[(String, String)],
    ) -> Result<(), OAuthError> {
        let token = param(body, "token").ok_or(OAuthError::InvalidRequest("token is required."))?;
        let client = self.store.read_grant_client(&credentials.client_id).await?;
        if !Self::authenticated(credentials, client.as_ref()) {
            return Err(OAuthError::InvalidClient);
        }
        if let Some(token) = SecretToken::parse(token) {
            self.store
                .revoke_token(&credentials.client_id, &token.hash(), self.now)
                .await?;
        }
        Ok(())
    }
}
