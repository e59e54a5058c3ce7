//! The OpenID Connect provider in D1: the clients, and the grants (codes, access and
//! refresh tokens) with the live session and memberships each one is read with.

use orgpass_app::ports::{
    AccessFacts, AuthorizationFacts, ClientRecord, ClientStore, EndedByHint, GrantClient,
    GrantFacts, LogoutAttempt, LogoutStore, NewCode, NewTokens, OidcStore, PendingLogout,
    PortError, SessionFacts, StoredGrant,
};
use orgpass_core::{
    oidc::claims::{OrgFacts, Person, ProductFacts},
    Role, Timestamp, TokenHash,
};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use crate::{
    accounts::store::sso_allowed_sql,
    platform::d1::{changes, found, int, millis, opt_text, rows, text, time, D1Store},
};

#[derive(Deserialize)]
struct ClientRow {
    client_id: String,
    name: String,
    product: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: Option<String>,
    created_at: f64,
}

impl ClientRow {
    fn into_record(self) -> Result<ClientRecord, PortError> {
        let list = |s: &str| {
            serde_json::from_str::<Vec<String>>(s)
                .map_err(|e| PortError(format!("d1: stored URIs of {}: {e}", self.client_id)))
        };
        Ok(ClientRecord {
            redirect_uris: list(&self.redirect_uris)?,
            post_logout_redirect_uris: list(&self.post_logout_redirect_uris)?,
            client_id: self.client_id,
            name: self.name,
            product: self.product,
            backchannel_logout_uri: self.backchannel_logout_uri,
            created_at: millis(self.created_at),
        })
    }
}

fn json_list(list: &[String]) -> Result<String, PortError> {
    serde_json::to_string(list).map_err(|e| PortError(format!("json: {e}")))
}

impl ClientStore for D1Store {
    async fn insert_client(
        &self,
        client: &ClientRecord,
        secret: &TokenHash,
    ) -> Result<(), PortError> {
        self.one(self.stmt(
            "INSERT INTO oidc_clients (client_id, name, product, secret_hash, redirect_uris, \
               post_logout_redirect_uris, backchannel_logout_uri, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                text(&client.client_id),
                text(&client.name),
                text(&client.product),
                text(&secret.to_hex()),
                text(&json_list(&client.redirect_uris)?),
                text(&json_list(&client.post_logout_redirect_uris)?),
                opt_text(client.backchannel_logout_uri.as_deref()),
                time(client.created_at),
            ],
        )?)
        .await?;
        Ok(())
    }

    async fn read_clients(&self) -> Result<Vec<ClientRecord>, PortError> {
        let result = self
            .one(self.stmt(
                &format!(
                    "SELECT {CLIENT_COLUMNS} FROM oidc_clients ORDER BY created_at, client_id"
                ),
                &[],
            )?)
            .await?;
        rows::<ClientRow>(Some(&result))?
            .into_iter()
            .map(ClientRow::into_record)
            .collect()
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, PortError> {
        let result = self
            .one(self.stmt(
                "DELETE FROM oidc_clients WHERE client_id = ?1",
                &[text(client_id)],
            )?)
            .await?;
        Ok(changes(Some(&result))? == 1)
    }

    async fn update_client_secret(
        &self,
        client_id: &str,
        secret: &TokenHash,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let result = self
            .one(self.stmt(
                "UPDATE oidc_clients SET secret_hash = ?2, secret_rotated_at = ?3 WHERE client_id = ?1",
                &[text(client_id), text(&secret.to_hex()), time(now)],
            )?)
            .await?;
        Ok(changes(Some(&result))? == 1)
    }
}

// ---- Grants: codes, access and refresh tokens -------------------------------------

/// The person and session columns of a grant's live session (`s` sessions, `a`
/// accounts).
const PERSON_COLUMNS: &str = "s.id AS session_id, s.created_at AS auth_time, a.id AS account_id, \
     a.email, a.name, a.managed_by, a.email_verified_at, a.totp_enabled_at";

#[derive(Deserialize)]
struct PersonRow {
    session_id: Option<String>,
    auth_time: Option<f64>,
    account_id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    managed_by: Option<String>,
    email_verified_at: Option<f64>,
    totp_enabled_at: Option<f64>,
}

impl PersonRow {
    /// The session's facts; `None` when the (left-joined) session is not live.
    fn into_session(self, orgs: Vec<OrgFacts>) -> Option<SessionFacts> {
        Some(SessionFacts {
            session_id: self.session_id?,
            auth_time: millis(self.auth_time?),
            person: Person {
                id: self.account_id?,
                email: self.email?,
                email_verified: self.email_verified_at.is_some(),
                name: self.name?,
                managed: self.managed_by.is_some(),
                two_step: self.totp_enabled_at.is_some(),
            },
            orgs,
        })
    }
}

/// The memberships of account `account` (an SQL expression) with the product `product`
/// (an SQL expression) of each organization and whether its add-on allows single
/// sign-on at `now` (an SQL parameter).
fn orgs_sql(account: &str, product: &str, now: &str) -> String {
    format!(
        "SELECT o.space_key, o.organization_id, o.name, m.role, m.can_invite, \
           (a.managed_by IS NOT NULL AND a.managed_by = o.space_key) AS managed, \
           {} AS sso_allowed, o.require_two_step, \
           p.plan, p.status, p.trial_ends_at \
         FROM memberships m JOIN organizations o ON o.space_key = m.space_key \
         JOIN accounts a ON a.id = m.account_id \
         LEFT JOIN organization_products p ON p.space_key = o.space_key AND p.product = {product} \
         WHERE m.account_id = {account} \
         ORDER BY o.name COLLATE NOCASE, o.space_key",
        sso_allowed_sql("o.space_key", now)
    )
}

#[derive(Deserialize)]
struct OrgRow {
    space_key: String,
    organization_id: String,
    name: String,
    role: String,
    can_invite: f64,
    managed: f64,
    sso_allowed: f64,
    require_two_step: f64,
    plan: Option<String>,
    status: Option<String>,
    trial_ends_at: Option<f64>,
}

fn org_facts(result: Option<&worker::D1Result>) -> Result<Vec<OrgFacts>, PortError> {
    rows::<OrgRow>(result)?
        .into_iter()
        .map(|r| {
            Ok(OrgFacts {
                role: Role::parse(&r.role)
                    .map_err(|_| PortError(format!("d1: unknown role {}", r.role)))?,
                can_invite: r.can_invite != 0.0,
                managed: r.managed != 0.0,
                sso_allowed: r.sso_allowed != 0.0,
                require_two_step: r.require_two_step != 0.0,
                product: match (r.plan, r.status) {
                    (Some(plan), Some(status)) => Some(ProductFacts {
                        plan,
                        status,
                        trial_ends_at: r.trial_ends_at.map(millis),
                    }),
                    _ => None,
                },
                space_key: r.space_key,
                organization_id: r.organization_id,
                name: r.name,
            })
        })
        .collect()
}

const CLIENT_COLUMNS: &str = "client_id, name, product, redirect_uris, post_logout_redirect_uris, \
     backchannel_logout_uri, created_at";

/// The registration of the client a statement's first result names.
fn client_record(result: Option<&worker::D1Result>) -> Result<Option<ClientRecord>, PortError> {
    rows::<ClientRow>(result)?
        .into_iter()
        .next()
        .map(ClientRow::into_record)
        .transpose()
}

/// The client that a statement over `SECRET_COLUMNS` found, by its secret's hash.
fn grant_client(result: Option<&worker::D1Result>) -> Result<Option<GrantClient>, PortError> {
    #[derive(Deserialize)]
    struct SecretRow {
        client_id: String,
        secret_hash: String,
    }
    rows::<SecretRow>(result)?
        .into_iter()
        .next()
        .map(|r| {
            Ok(GrantClient {
                secret_hash: TokenHash::from_hex(&r.secret_hash)
                    .ok_or_else(|| PortError(format!("d1: secret hash of {}", r.client_id)))?,
                client_id: r.client_id,
            })
        })
        .transpose()
}

/// The product of the client `?1` (an SQL expression for [`orgs_sql`]).
const CLIENT_PRODUCT: &str = "(SELECT product FROM oidc_clients WHERE client_id = ?1)";

/// What authenticates a client (`?1` its id).
const CLIENT_SECRET_SQL: &str =
    "SELECT client_id, secret_hash FROM oidc_clients WHERE client_id = ?1";

#[derive(Deserialize)]
struct GrantRow {
    family_id: String,
    client_id: String,
    redirect_uri: Option<String>,
    scope: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    expires_at: f64,
    spent: f64,
    #[serde(flatten)]
    person: PersonRow,
}

/// The live session joined to a grant row `g` (`?3` now).
const LIVE_SESSION_JOIN: &str = "LEFT JOIN sessions s ON s.id = g.session_id \
       AND s.revoked_at IS NULL AND s.expires_at > ?3 \
     LEFT JOIN accounts a ON a.id = s.account_id";

impl OidcStore for D1Store {
    async fn read_authorization(
        &self,
        client_id: &str,
        session: Option<&TokenHash>,
        now: Timestamp,
    ) -> Result<AuthorizationFacts, PortError> {
        let args = [
            text(client_id),
            session.map_or(JsValue::NULL, |s| text(&s.to_hex())),
            time(now),
        ];
        let live = "(SELECT account_id FROM sessions WHERE token_hash = ?2 \
                      AND revoked_at IS NULL AND expires_at > ?3)";
        let results = self
            .batch(vec![
                self.stmt(
                    &format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE client_id = ?1"),
                    &args,
                )?,
                self.stmt(
                    &format!(
                        "SELECT {PERSON_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
                         WHERE s.token_hash = ?2 AND s.revoked_at IS NULL AND s.expires_at > ?3"
                    ),
                    &args,
                )?,
                self.stmt(
                    &orgs_sql(
                        live,
                        CLIENT_PRODUCT,
                        "?3",
                    ),
                    &args,
                )?,
            ])
            .await?;
        let client = client_record(results.first())?;
        let orgs = org_facts(results.get(2))?;
        let session = rows::<PersonRow>(results.get(1))?
            .into_iter()
            .next()
            .and_then(|p| p.into_session(orgs));
        Ok(AuthorizationFacts { client, session })
    }

    async fn insert_code(&self, code: &NewCode<'_>, now: Timestamp) -> Result<(), PortError> {
        self.one(self.stmt(
            "INSERT INTO oidc_codes (code_hash, family_id, client_id, account_id, session_id, \
               redirect_uri, scope, nonce, code_challenge, auth_time, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            &[
                text(&code.hash.to_hex()),
                text(&code.family_id),
                text(code.client_id),
                text(code.account_id),
                text(code.session_id),
                text(code.redirect_uri),
                text(&code.scope),
                opt_text(code.nonce),
                text(code.code_challenge),
                time(code.auth_time),
                time(now),
                time(code.expires_at),
            ],
        )?)
        .await?;
        Ok(())
    }

    async fn read_grant(
        &self,
        client_id: &str,
        grant: &TokenHash,
        refresh: bool,
        now: Timestamp,
    ) -> Result<GrantFacts, PortError> {
        let args = [text(client_id), text(&grant.to_hex()), time(now)];
        let (row_sql, account) = if refresh {
            (
                format!(
                    "SELECT g.family_id, g.client_id, NULL AS redirect_uri, g.scope, NULL AS nonce, \
                       NULL AS code_challenge, g.expires_at, \
                       (g.used_at IS NOT NULL OR g.revoked_at IS NOT NULL) AS spent, {PERSON_COLUMNS} \
                     FROM oidc_tokens g {LIVE_SESSION_JOIN} \
                     WHERE g.token_hash = ?2 AND g.client_id = ?1 AND g.kind = 'refresh'"
                ),
                "(SELECT account_id FROM oidc_tokens WHERE token_hash = ?2 AND client_id = ?1)",
            )
        } else {
            (
                format!(
                    "SELECT g.family_id, g.client_id, g.redirect_uri, g.scope, g.nonce, \
                       g.code_challenge, g.expires_at, (g.used_at IS NOT NULL) AS spent, {PERSON_COLUMNS} \
                     FROM oidc_codes g {LIVE_SESSION_JOIN} \
                     WHERE g.code_hash = ?2 AND g.client_id = ?1"
                ),
                "(SELECT account_id FROM oidc_codes WHERE code_hash = ?2 AND client_id = ?1)",
            )
        };
        let results = self
            .batch(vec![
                self.stmt(CLIENT_SECRET_SQL, &args)?,
                self.stmt(&row_sql, &args)?,
                self.stmt(&orgs_sql(account, CLIENT_PRODUCT, "?3"), &args)?,
            ])
            .await?;
        let client = grant_client(results.first())?;
        let orgs = org_facts(results.get(2))?;
        let grant = rows::<GrantRow>(results.get(1))?
            .into_iter()
            .next()
            .map(|g| StoredGrant {
                family_id: g.family_id,
                client_id: g.client_id,
                redirect_uri: g.redirect_uri,
                scope: g.scope,
                nonce: g.nonce,
                code_challenge: g.code_challenge,
                expires_at: millis(g.expires_at),
                spent: g.spent != 0.0,
                session: g.person.into_session(orgs),
            });
        Ok(GrantFacts { client, grant })
    }

    async fn spend_grant(
        &self,
        grant: &TokenHash,
        refresh: bool,
        marker: &str,
        tokens: &NewTokens<'_>,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let (spend, spent) = if refresh {
            (
                "UPDATE oidc_tokens SET used_at = ?2, spent_by = ?3 WHERE token_hash = ?1 \
                   AND kind = 'refresh' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?2",
                "EXISTS (SELECT 1 FROM oidc_tokens WHERE token_hash = ?1 AND spent_by = ?3)",
            )
        } else {
            (
                "UPDATE oidc_codes SET used_at = ?2, spent_by = ?3 WHERE code_hash = ?1 \
                   AND used_at IS NULL AND expires_at > ?2",
                "EXISTS (SELECT 1 FROM oidc_codes WHERE code_hash = ?1 AND spent_by = ?3)",
            )
        };
        let insert = format!(
            "INSERT INTO oidc_tokens (token_hash, kind, family_id, client_id, account_id, session_id, \
               scope, auth_time, created_at, expires_at) \
             SELECT ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?2, ?12 WHERE {spent}"
        );
        let common = |hash: &TokenHash, kind: &str, expires: Timestamp| {
            vec![
                text(&grant.to_hex()),
                time(now),
                text(marker),
                text(&hash.to_hex()),
                text(kind),
                text(tokens.family_id),
                text(tokens.client_id),
                text(tokens.account_id),
                text(tokens.session_id),
                text(tokens.scope),
                time(tokens.auth_time),
                time(expires),
            ]
        };
        let mut statements = vec![
            self.stmt(spend, &common(&tokens.access.0, "access", tokens.access.1))?,
            self.stmt(
                &insert,
                &common(&tokens.access.0, "access", tokens.access.1),
            )?,
        ];
        if let Some((hash, expires)) = &tokens.refresh {
            statements.push(self.stmt(&insert, &common(hash, "refresh", *expires))?);
        }
        let results = self.batch(statements).await?;
        Ok(changes(results.first())? == 1)
    }

    async fn revoke_family(&self, family_id: &str, now: Timestamp) -> Result<(), PortError> {
        self.one(self.stmt(
            "UPDATE oidc_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
            &[text(family_id), time(now)],
        )?)
        .await?;
        Ok(())
    }

    async fn read_access(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<AccessFacts>, PortError> {
        let args = [text(&token.to_hex()), time(now)];
        let results = self
            .batch(vec![
                self.stmt(
                    &format!(
                        "SELECT g.scope, {PERSON_COLUMNS} FROM oidc_tokens g \
                         JOIN sessions s ON s.id = g.session_id AND s.revoked_at IS NULL AND s.expires_at > ?2 \
                         JOIN accounts a ON a.id = s.account_id \
                         WHERE g.token_hash = ?1 AND g.kind = 'access' AND g.revoked_at IS NULL \
                           AND g.expires_at > ?2"
                    ),
                    &args,
                )?,
                self.stmt(
                    &orgs_sql(
                        "(SELECT account_id FROM oidc_tokens WHERE token_hash = ?1)",
                        "(SELECT c.product FROM oidc_tokens t JOIN oidc_clients c \
                           ON c.client_id = t.client_id WHERE t.token_hash = ?1)",
                        "?2",
                    ),
                    &args,
                )?,
            ])
            .await?;
        #[derive(Deserialize)]
        struct AccessRow {
            scope: String,
            #[serde(flatten)]
            person: PersonRow,
        }
        let orgs = org_facts(results.get(1))?;
        Ok(rows::<AccessRow>(results.first())?
            .into_iter()
            .next()
            .and_then(|r| {
                let scope = r.scope;
                r.person
                    .into_session(orgs)
                    .map(|session| AccessFacts { scope, session })
            }))
    }

    async fn revoke_token(
        &self,
        client_id: &str,
        token: &TokenHash,
        now: Timestamp,
    ) -> Result<(), PortError> {
        let args = [text(client_id), text(&token.to_hex()), time(now)];
        self.batch(vec![
            self.stmt(
                "UPDATE oidc_tokens SET revoked_at = ?3 WHERE revoked_at IS NULL AND family_id = \
                   (SELECT family_id FROM oidc_tokens WHERE token_hash = ?2 AND client_id = ?1 \
                      AND kind = 'refresh')",
                &args,
            )?,
            self.stmt(
                "UPDATE oidc_tokens SET revoked_at = ?3 WHERE token_hash = ?2 AND client_id = ?1 \
                   AND kind = 'access' AND revoked_at IS NULL",
                &args,
            )?,
        ])
        .await?;
        Ok(())
    }

    async fn read_grant_client(&self, client_id: &str) -> Result<Option<GrantClient>, PortError> {
        let result = self
            .one(self.stmt(CLIENT_SECRET_SQL, &[text(client_id)])?)
            .await?;
        grant_client(Some(&result))
    }
}

// ---- Logout: RP-initiated, and the Back-Channel Logout queue ----------------------

#[derive(Deserialize)]
struct PendingRow {
    jti: String,
    client_id: String,
    uri: String,
    session_id: String,
    account_id: String,
    attempts: f64,
}

impl LogoutStore for D1Store {
    async fn lease_logouts(
        &self,
        marker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        max_attempts: i64,
        limit: u32,
    ) -> Result<Vec<PendingLogout>, PortError> {
        let args = [
            text(marker),
            time(now),
            time(lease_until),
            int(max_attempts),
            int(i64::from(limit)),
        ];
        let results = self
            .batch(vec![
                self.stmt(
                    "UPDATE oidc_logouts SET leased_by = ?1, next_attempt_at = ?3, \
                       attempts = attempts + 1 \
                     WHERE jti IN (SELECT jti FROM oidc_logouts WHERE delivered_at IS NULL \
                       AND next_attempt_at <= ?2 AND attempts < ?4 \
                       ORDER BY next_attempt_at LIMIT ?5) \
                       AND delivered_at IS NULL AND next_attempt_at <= ?2",
                    &args,
                )?,
                self.stmt(
                    "SELECT l.jti, l.client_id, c.backchannel_logout_uri AS uri, l.session_id, \
                       l.account_id, l.attempts \
                     FROM oidc_logouts l JOIN oidc_clients c ON c.client_id = l.client_id \
                     WHERE l.leased_by = ?1 AND l.next_attempt_at = ?3 \
                       AND c.backchannel_logout_uri IS NOT NULL",
                    &args,
                )?,
            ])
            .await?;
        rows::<PendingRow>(results.get(1))?
            .into_iter()
            .map(|r| {
                Ok(PendingLogout {
                    jti: r.jti,
                    client_id: r.client_id,
                    uri: r.uri,
                    session_id: r.session_id,
                    account_id: r.account_id,
                    #[allow(clippy::cast_possible_truncation)]
                    attempts: r.attempts as i64,
                })
            })
            .collect()
    }

    async fn finish_logouts(
        &self,
        attempts: &[LogoutAttempt],
        now: Timestamp,
    ) -> Result<(), PortError> {
        let statements = attempts
            .iter()
            .map(|a| match &a.error {
                None => self.stmt(
                    "UPDATE oidc_logouts SET delivered_at = ?2, leased_by = NULL, last_error = NULL \
                     WHERE jti = ?1",
                    &[text(&a.jti), time(now)],
                ),
                Some(error) => self.stmt(
                    // Without a retry time the row keeps its lease's time: it has no
                    // attempts left, so no lease picks it again.
                    "UPDATE oidc_logouts SET leased_by = NULL, last_error = ?2, \
                       next_attempt_at = COALESCE(?3, next_attempt_at) WHERE jti = ?1",
                    &[
                        text(&a.jti),
                        text(&error.chars().take(200).collect::<String>()),
                        a.retry_at.map_or(JsValue::NULL, time),
                    ],
                ),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !statements.is_empty() {
            self.batch(statements).await?;
        }
        Ok(())
    }

    async fn end_hinted_session(
        &self,
        client_id: &str,
        account_id: &str,
        session_id: &str,
        cookie: Option<&TokenHash>,
        now: Timestamp,
    ) -> Result<EndedByHint, PortError> {
        let args = [
            text(client_id),
            text(account_id),
            text(session_id),
            cookie.map_or(JsValue::NULL, |c| text(&c.to_hex())),
            time(now),
        ];
        let results = self
            .batch(vec![
                self.stmt(
                    &format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE client_id = ?1"),
                    &args,
                )?,
                self.stmt(
                    "SELECT 1 AS yes FROM sessions WHERE token_hash = ?4 AND id = ?3",
                    &args,
                )?,
                self.ending_sessions(
                    "UPDATE sessions SET revoked_at = ?5 WHERE id = ?3 AND account_id = ?2 \
                       AND revoked_at IS NULL",
                    &args,
                )?,
            ])
            .await?;
        Ok(EndedByHint {
            client: client_record(results.first())?,
            was_cookie_session: found(results.get(1))?,
        })
    }
}
