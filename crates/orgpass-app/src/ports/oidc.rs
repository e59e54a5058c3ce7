//! The OpenID Connect provider's grants: authorization codes, access and refresh
//! tokens, each kept as a hash and tied to the orgpass session that logged in.

use orgpass_core::{
    oidc::claims::{OrgFacts, Person},
    Timestamp, TokenHash,
};

use super::*;

/// A client as the token and revocation endpoints need it: what authenticates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantClient {
    /// `client_id`.
    pub client_id: String,
    /// SHA-256 of its secret.
    pub secret_hash: TokenHash,
}

/// The orgpass session an authorization request found, with its person and their
/// memberships (each with the client's product).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    /// The session's public id (`sid`).
    pub session_id: String,
    /// When it logged in.
    pub auth_time: Timestamp,
    /// The account.
    pub person: Person,
    /// Its memberships.
    pub orgs: Vec<OrgFacts>,
}

/// What the authorization endpoint reads in one round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationFacts {
    /// The client, if registered.
    pub client: Option<ClientRecord>,
    /// The browser's live session, if any.
    pub session: Option<SessionFacts>,
}

/// An authorization code to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode<'a> {
    /// SHA-256 of the code.
    pub hash: TokenHash,
    /// The family of every token it leads to.
    pub family_id: String,
    /// The client.
    pub client_id: &'a str,
    /// The account.
    pub account_id: &'a str,
    /// The session.
    pub session_id: &'a str,
    /// The redirect URI it was sent to (the token request must name it again).
    pub redirect_uri: &'a str,
    /// Granted scope.
    pub scope: String,
    /// `nonce`.
    pub nonce: Option<&'a str>,
    /// PKCE S256 challenge.
    pub code_challenge: &'a str,
    /// The session's login time.
    pub auth_time: Timestamp,
    /// Until when it works.
    pub expires_at: Timestamp,
}

/// A stored code or refresh token, read back for a grant, with the facts of its still
/// live session (`None` when the session has ended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGrant {
    /// The family.
    pub family_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// For a code: the redirect URI it was sent to.
    pub redirect_uri: Option<String>,
    /// Granted scope.
    pub scope: String,
    /// For a code: `nonce`.
    pub nonce: Option<String>,
    /// For a code: the PKCE challenge.
    pub code_challenge: Option<String>,
    /// Until when it works.
    pub expires_at: Timestamp,
    /// Already used (a code exchanged, a refresh token rotated), or its family revoked.
    pub spent: bool,
    /// The live session, its person and memberships; `None` once the session ended.
    pub session: Option<SessionFacts>,
}

/// What the token endpoint reads in one round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantFacts {
    /// The authenticating client, if registered.
    pub client: Option<GrantClient>,
    /// The presented code or refresh token, if known.
    pub grant: Option<StoredGrant>,
}

/// Tokens to store when a grant succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTokens<'a> {
    /// The family.
    pub family_id: &'a str,
    /// The client.
    pub client_id: &'a str,
    /// The account.
    pub account_id: &'a str,
    /// The session.
    pub session_id: &'a str,
    /// Granted scope.
    pub scope: &'a str,
    /// The session's login time.
    pub auth_time: Timestamp,
    /// SHA-256 of the access token and its end.
    pub access: (TokenHash, Timestamp),
    /// SHA-256 of the refresh token and its end, when one is issued.
    pub refresh: Option<(TokenHash, Timestamp)>,
}

/// What the userinfo endpoint reads: the access token's grant, if it is live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessFacts {
    /// Granted scope.
    pub scope: String,
    /// The live session, its person and memberships (with the token's client's product).
    pub session: SessionFacts,
}

/// The grants in the store. Each method is one round trip.
pub trait OidcStore {
    /// The client `client_id` and the live session of `session` (with the memberships
    /// and the client's product).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn read_authorization(
        &self,
        client_id: &str,
        session: Option<&TokenHash>,
        now: Timestamp,
    ) -> Result<AuthorizationFacts, PortError>;

    /// Stores a code.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn insert_code(&self, code: &NewCode<'_>, now: Timestamp) -> Result<(), PortError>;

    /// The client and the code (`refresh: false`) or refresh token (`true`) with hash
    /// `grant`, each only if issued to that client.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn read_grant(
        &self,
        client_id: &str,
        grant: &TokenHash,
        refresh: bool,
        now: Timestamp,
    ) -> Result<GrantFacts, PortError>;

    /// Spends the code or refresh token `grant` (unused, unexpired, its family not
    /// revoked) and stores `tokens` in the same batch; `false` when another request
    /// spent it first (nothing is stored then).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn spend_grant(
        &self,
        grant: &TokenHash,
        refresh: bool,
        marker: &str,
        tokens: &NewTokens<'_>,
        now: Timestamp,
    ) -> Result<bool, PortError>;

    /// Ends every token of `family_id` (a code or refresh token was presented again).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn revoke_family(&self, family_id: &str, now: Timestamp) -> Result<(), PortError>;

    /// The live grant of access token `token`.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn read_access(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<AccessFacts>, PortError>;

    /// Revokes `token` if `client_id` holds it: a refresh token ends its family, an
    /// access token only itself (RFC 7009 §2.1).
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn revoke_token(
        &self,
        client_id: &str,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<(), PortError>;

    /// The client `client_id` with its secret's hash.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn read_grant_client(&self, client_id: &str) -> Result<Option<GrantClient>, PortError>;
}

/// A Back-Channel Logout waiting to be delivered (leased by one deliverer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogout {
    /// The logout token's `jti` (the same on every attempt).
    pub jti: String,
    /// The client (`aud`).
    pub client_id: String,
    /// Its `backchannel_logout_uri`.
    pub uri: String,
    /// The ended session (`sid`).
    pub session_id: String,
    /// Its account (`sub`).
    pub account_id: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutAttempt {
    /// The row.
    pub jti: String,
    /// `None`: delivered; `Some(error)`: failed, try again at `retry_at`.
    pub error: Option<String>,
    /// When to try again after a failure (`None`: no attempts left).
    pub retry_at: Option<Timestamp>,
}

/// What RP-initiated logout found and did with a verified hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedByHint {
    /// The hint's client, if still registered.
    pub client: Option<ClientRecord>,
    /// The browser's cookie session was the ended one (its cookie is cleared).
    pub was_cookie_session: bool,
}

/// Back-Channel Logout delivery and RP-initiated logout in the store. Each method is
/// one round trip.
pub trait LogoutStore {
    /// Leases up to `limit` due logouts (not delivered, attempts left, due at `now`)
    /// under `marker` until `lease_until`, counting the attempt.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn lease_logouts(
        &self,
        marker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        max_attempts: i64,
        limit: u32,
    ) -> Result<Vec<PendingLogout>, PortError>;

    /// Records the attempts' outcomes.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn finish_logouts(
        &self,
        attempts: &[LogoutAttempt],
        now: Timestamp,
    ) -> Result<(), PortError>;

    /// Ends session `session_id` of `account_id` (if live) and reads the hint's client
    /// and whether `cookie` is that session.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    async fn end_hinted_session(
        &self,
        client_id: &str,
        account_id: &str,
        session_id: &str,
        cookie: Option<&TokenHash>,
        now: Timestamp,
    ) -> Result<EndedByHint, PortError>;
}

/// Where logout tokens go: the runtime signs them and posts them.
pub trait LogoutChannel {
    /// The compact JWS of `claims`, typed `logout+jwt`.
    ///
    /// # Errors
    /// [`PortError`] when signing fails.
    async fn sign(&self, claims: &serde_json::Value) -> Result<String, PortError>;

    /// POSTs `logout_token` to `uri`; `Err` with what went wrong (status, timeout).
    async fn post(&self, uri: &str, logout_token: &str) -> Result<(), String>;
}
