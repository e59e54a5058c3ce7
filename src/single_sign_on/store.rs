//! SAML settings, managed accounts, logins in flight, replay records and SSO failures
//! in D1 ([`SsoStore`]).
//!
//! The login path is two round trips: [`SsoStore::acs_state`] reads the organization,
//! its add-on and the login in flight (and the settings on a cache miss) in one batch;
//! [`SsoStore::complete_sso`] writes the replay record, spends the login in flight and
//! creates the session in another. The replay record carries the new session's digest,
//! so the statements after it act only for the batch whose insert won.

use orgpass_app::ports::{
    AccountRecord, AcsState, AdminChange, AuthenticationPage, Event, FailureKind, ManagedRefusal,
    NewManagedAccount, NewSsoRequest, PortError, SamlRecord, SsoCompletion, SsoFailureRecord,
    SsoOutcome, SsoRequestRecord, SsoStarted, SsoStore, SSO_ANONYMOUS_FAILURES_KEPT,
    SSO_ANONYMOUS_FAILURES_PER_IP, SSO_FAILURES_KEPT, SSO_ISSUER_FAILURES_KEPT,
    SSO_VERIFIED_FAILURES_LISTED,
};
use orgpass_core::{
    policy::Permit,
    ratelimit,
    ratelimit::SSO_STARTS_PER_IP,
    saml_settings::{pem, LoginSettings, SamlSettings},
    OrganizationId, SpaceKey, Timestamp, TokenHash,
};
use saml_sp::{Certificate, VerificationKey};
use serde::Deserialize;
use worker::{D1PreparedStatement, D1Result};

use crate::{
    accounts::store::sso_allowed_sql,
    organizations::store::{context_from, CONTEXT_STATEMENTS},
    platform::d1::{
        changes, found, int, millis, opt_text, rows, text, time, total_changes, AccountRow,
        D1Store, ACCOUNT_COLUMNS,
    },
    provisioning::store::provisioning_from,
};

const SETTINGS_COLUMNS: &str = "idp_entity_id, idp_sso_url, certificates, allow_idp_initiated, \
     clock_skew_seconds, allow_sha1, updated_at";

/// A `saml_settings` row.
#[derive(Deserialize)]
struct SettingsRow {
    idp_entity_id: String,
    idp_sso_url: String,
    certificates: String,
    allow_idp_initiated: f64,
    clock_skew_seconds: f64,
    allow_sha1: f64,
    updated_at: f64,
}

impl SettingsRow {
    #[allow(clippy::cast_possible_truncation)]
    fn into_record(self) -> Result<SamlRecord, PortError> {
        let bad = || PortError("d1: stored SAML certificates are unreadable".to_owned());
        let pems: Vec<String> = serde_json::from_str(&self.certificates).map_err(|_| bad())?;
        let certificates = pems
            .iter()
            .map(|p| Certificate::parse(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad())?;
        Ok(SamlRecord {
            settings: SamlSettings {
                idp_entity_id: self.idp_entity_id,
                idp_sso_url: self.idp_sso_url,
                certificates,
                allow_idp_initiated: self.allow_idp_initiated != 0.0,
                clock_skew_seconds: self.clock_skew_seconds as i64,
                allow_sha1: self.allow_sha1 != 0.0,
            },
            updated_at: millis(self.updated_at),
        })
    }
}

/// The login path's keys stored for `settings` (`VerificationKey::stored`, in order).
fn signing_keys_json(settings: &SamlSettings) -> String {
    let keys: Vec<String> = settings
        .certificates
        .iter()
        .map(|c| c.key().stored())
        .collect();
    serde_json::Value::from(keys).to_string()
}

/// What the ACS reads of `saml_settings` (no X.509: the stored keys).
const LOGIN_COLUMNS: &str =
    "idp_entity_id, certificates, signing_keys, allow_idp_initiated, clock_skew_seconds, allow_sha1";

/// The login path's columns of a `saml_settings` row.
#[derive(Deserialize)]
struct LoginRow {
    idp_entity_id: String,
    certificates: String,
    signing_keys: Option<String>,
    allow_idp_initiated: f64,
    clock_skew_seconds: f64,
    allow_sha1: f64,
}

impl LoginRow {
    #[allow(clippy::cast_possible_truncation)]
    fn into_settings(self) -> Result<LoginSettings, PortError> {
        let bad = || PortError("d1: stored SAML keys are unreadable".to_owned());
        let keys = match &self.signing_keys {
            Some(json) => serde_json::from_str::<Vec<String>>(json)
                .map_err(|_| bad())?
                .iter()
                .map(|k| VerificationKey::from_stored(k))
                .collect::<Result<Vec<_>, _>>(),
            // Saved before the keys were stored (migration 0014): from the PEMs.
            None => serde_json::from_str::<Vec<String>>(&self.certificates)
                .map_err(|_| bad())?
                .iter()
                .map(|p| Certificate::parse(p).map(|c| c.key().clone()))
                .collect(),
        };
        Ok(LoginSettings {
            idp_entity_id: self.idp_entity_id,
            keys: keys.map_err(|_| bad())?,
            allow_idp_initiated: self.allow_idp_initiated != 0.0,
            clock_skew_seconds: self.clock_skew_seconds as i64,
            allow_sha1: self.allow_sha1 != 0.0,
        })
    }
}

/// The PEM list stored for `settings`.
pub(crate) fn certificates_json(settings: &SamlSettings) -> String {
    serde_json::Value::from(settings.certificates.iter().map(pem).collect::<Vec<_>>()).to_string()
}

/// Two yes/no answers of one `SELECT … AS a, … AS b`.
#[derive(Deserialize)]
struct Flags {
    a: f64,
    b: f64,
    #[serde(default)]
    c: f64,
}

impl D1Store {
    /// The organization's SAML settings.
    fn settings_stmt(&self, space_key: &SpaceKey) -> Result<D1PreparedStatement, PortError> {
        self.stmt(
            &format!("SELECT {SETTINGS_COLUMNS} FROM saml_settings WHERE space_key = ?1"),
            &[text(space_key.as_str())],
        )
    }

    /// The failures to list (see [`SsoStore::read_sso_failures`]).
    fn failures_stmt(&self, space_key: &SpaceKey) -> Result<D1PreparedStatement, PortError> {
        self.stmt(
            "SELECT occurred_at AS at, json_extract(details, '$.reference') AS reference, \
               json_extract(details, '$.reason') AS variant, json_extract(details, '$.name_id') AS name_id, \
               json_extract(details, '$.kind') AS kind FROM ( \
               SELECT * FROM (SELECT seq, occurred_at, details FROM audit_events \
                 WHERE space_key = ?1 AND action = 'sso.login_failed' \
                   AND json_extract(details, '$.kind') <> 'anonymous' ORDER BY seq DESC LIMIT ?2) \
               UNION ALL \
               SELECT * FROM (SELECT seq, occurred_at, details FROM audit_events \
                 WHERE space_key = ?1 AND action = 'sso.login_failed' \
                   AND json_extract(details, '$.kind') = 'anonymous' ORDER BY seq DESC LIMIT ?3)) \
             ORDER BY seq DESC",
            &[
                text(space_key.as_str()),
                int(i64::from(SSO_VERIFIED_FAILURES_LISTED)),
                int(i64::from(SSO_FAILURES_KEPT)),
            ],
        )
    }
}

/// Reads a [`D1Store::settings_stmt`] result.
fn settings_from(result: Option<&D1Result>) -> Result<Option<SamlRecord>, PortError> {
    rows::<SettingsRow>(result)?
        .into_iter()
        .next()
        .map(SettingsRow::into_record)
        .transpose()
}

/// Reads a [`D1Store::failures_stmt`] result.
fn failures_from(result: Option<&D1Result>) -> Result<Vec<SsoFailureRecord>, PortError> {
    #[derive(Deserialize)]
    struct Row {
        at: f64,
        reference: String,
        variant: String,
        name_id: Option<String>,
        kind: String,
    }
    Ok(rows::<Row>(result)?
        .into_iter()
        .map(|r| SsoFailureRecord {
            at: millis(r.at),
            reference: r.reference,
            variant: r.variant,
            name_id: r.name_id,
            kind: FailureKind::parse(&r.kind),
        })
        .collect())
}

impl SsoStore for D1Store {
    async fn read_saml_settings(
        &self,
        space_key: &SpaceKey,
    ) -> Result<Option<SamlRecord>, PortError> {
        let result = self.one(self.settings_stmt(space_key)?).await?;
        settings_from(Some(&result))
    }

    async fn authentication_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<AuthenticationPage>, PortError> {
        let mut statements = self.context_statements(token, now, space_key)?;
        statements.push(self.settings_stmt(space_key)?);
        statements.push(self.failures_stmt(space_key)?);
        statements.extend(self.provisioning_statements(space_key)?);
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        Ok(Some(AuthenticationPage {
            context,
            settings: settings_from(results.get(CONTEXT_STATEMENTS))?,
            failures: failures_from(results.get(CONTEXT_STATEMENTS + 1))?,
            provisioning: provisioning_from(
                results.get(CONTEXT_STATEMENTS + 2..).unwrap_or_default(),
            )?,
        }))
    }

    async fn write_saml_settings(
        &self,
        permit: &Permit,
        settings: &SamlSettings,
        by: &str,
        now: Timestamp,
        event: &Event,
    ) -> Result<bool, PortError> {
        let space_key = permit.space_key();
        // Saving is refused while no normal administrator exists (an IdP outage must
        // not lock the organization out).
        let results = self
            .batch_recording(
                vec![self.stmt(
                "INSERT INTO saml_settings (space_key, idp_entity_id, idp_sso_url, certificates, \
                   allow_idp_initiated, clock_skew_seconds, allow_sha1, updated_at, updated_by, \
                   signing_keys) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 \
                 WHERE EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id \
                   WHERE m.space_key = ?1 AND m.role = 'administrator' AND a.managed_by IS NULL) \
                 ON CONFLICT (space_key) DO UPDATE SET idp_entity_id = excluded.idp_entity_id, \
                   idp_sso_url = excluded.idp_sso_url, certificates = excluded.certificates, \
                   signing_keys = excluded.signing_keys, \
                   allow_idp_initiated = excluded.allow_idp_initiated, \
                   clock_skew_seconds = excluded.clock_skew_seconds, allow_sha1 = excluded.allow_sha1, \
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                &[
                    text(space_key.as_str()),
                    text(&settings.idp_entity_id),
                    text(&settings.idp_sso_url),
                    text(&certificates_json(settings)),
                    int(i64::from(settings.allow_idp_initiated)),
                    int(settings.clock_skew_seconds),
                    int(i64::from(settings.allow_sha1)),
                    time(now),
                    text(by),
                    text(&signing_keys_json(settings)),
                ],
            )?],
                0,
                event,
                space_key,
            )
            .await?;
        Ok(changes(results.first())? == 1)
    }

    async fn delete_saml_settings(
        &self,
        permit: &Permit,
        event: &Event,
    ) -> Result<bool, PortError> {
        let space_key = permit.space_key();
        let results = self
            .batch_recording(
                vec![self.stmt(
                    "DELETE FROM saml_settings WHERE space_key = ?1",
                    &[text(space_key.as_str())],
                )?],
                0,
                event,
                space_key,
            )
            .await?;
        Ok(changes(results.first())? == 1)
    }

    async fn read_sso_failures(
        &self,
        space_key: &SpaceKey,
    ) -> Result<Vec<SsoFailureRecord>, PortError> {
        let result = self.one(self.failures_stmt(space_key)?).await?;
        failures_from(Some(&result))
    }

    async fn insert_managed_account(
        &self,
        permit: &Permit,
        account: &NewManagedAccount,
        event: &Event,
    ) -> Result<Result<(), ManagedRefusal>, PortError> {
        let space_key = permit.space_key();
        let groups = serde_json::Value::from(account.group_ids.clone()).to_string();
        let args = [
            text(space_key.as_str()),
            text(&account.account_id),
            text(account.email.as_str()),
            text(&account.name),
            text(account.role.as_str()),
            time(account.now),
            text(account.email.domain()),
            text(&groups),
        ];
        // The checks, then the writes guarded by all of them (same snapshot: a batch is
        // one transaction).
        let configured = "EXISTS (SELECT 1 FROM saml_settings WHERE space_key = ?1)";
        let verified = "EXISTS (SELECT 1 FROM domains WHERE space_key = ?1 AND name = ?7 AND status = 'verified')";
        // An unverified sign-up never blocks the owner of the address: it does not count
        // as taken, and the batch deletes it before creating the managed account.
        let free = "NOT EXISTS (SELECT 1 FROM accounts WHERE email = ?3 \
             AND (email_verified_at IS NOT NULL OR managed_by IS NOT NULL))";
        let known_groups = "(SELECT count(*) FROM json_each(?8)) = \
             (SELECT count(*) FROM groups WHERE space_key = ?1 AND id IN (SELECT value FROM json_each(?8)))";
        let created = "EXISTS (SELECT 1 FROM accounts WHERE id = ?2 AND managed_by = ?1)";
        let mut statements = vec![
                self.stmt(
                    &format!("SELECT {configured} AS a, {verified} AS b, {free} AS c, {known_groups} AS d"),
                    &args,
                )?,
                self.stmt(
                    &format!(
                        "DELETE FROM accounts WHERE email = ?3 AND email_verified_at IS NULL \
                           AND managed_by IS NULL AND {configured} AND {verified} AND {known_groups} \
                           AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = accounts.id)"
                    ),
                    &args,
                )?,
                self.stmt(
                    &format!(
                        "INSERT INTO accounts (id, email, name, password_hash, managed_by, email_verified_at, created_at) \
                         SELECT ?2, ?3, ?4, NULL, ?1, ?6, ?6 \
                         WHERE {configured} AND {verified} AND {free} AND {known_groups} \
                           AND NOT EXISTS (SELECT 1 FROM accounts WHERE email = ?3)"
                    ),
                    &args,
                )?,
                self.stmt(
                    &format!(
                        "INSERT INTO memberships (space_key, account_id, role, can_invite, created_at) \
                         SELECT ?1, ?2, ?5, 0, ?6 WHERE {created}"
                    ),
                    &args[..6],
                )?,
                self.stmt(
                    &format!(
                        "INSERT INTO group_members (group_id, space_key, account_id, added_at) \
                         SELECT g.id, ?1, ?2, ?6 FROM groups g \
                         WHERE g.space_key = ?1 AND g.id IN (SELECT value FROM json_each(?8)) AND {created}"
                    ),
                    &args,
                )?,
        ];
        if let Some(mail) = &account.mail {
            statements.push(self.outbox_insert(mail, account.now, Some(&account.account_id))?);
        }
        if let Some(p) = &account.provisioned {
            statements.push(
                self.stmt(
                    &format!(
                        "INSERT INTO scim_users (account_id, space_key, external_id, given_name, \
                       family_name, display_name, active, created_at, updated_at) \
                     SELECT ?2, ?1, ?9, ?10, ?11, ?12, ?13, ?6, ?6 WHERE {created}"
                    ),
                    &[
                        &args[..],
                        &[
                            opt_text(p.external_id.as_deref()),
                            opt_text(p.given_name.as_deref()),
                            opt_text(p.family_name.as_deref()),
                            opt_text(p.display_name.as_deref()),
                            p.active
                                .map_or(worker::wasm_bindgen::JsValue::NULL, |a| int(i64::from(a))),
                        ],
                    ]
                    .concat(),
                )?,
            );
        }
        // The event follows the account's insertion (the third statement).
        let results = self
            .batch_recording(statements, 2, event, space_key)
            .await?;
        if changes(results.get(2))? == 1 {
            return Ok(Ok(()));
        }
        #[derive(Deserialize)]
        struct Checks {
            a: f64,
            b: f64,
            c: f64,
            d: f64,
        }
        let checks = rows::<Checks>(results.first())?
            .into_iter()
            .next()
            .ok_or_else(|| PortError("d1: no check row".to_owned()))?;
        Ok(Err(if checks.a == 0.0 {
            ManagedRefusal::NotConfigured
        } else if checks.b == 0.0 {
            ManagedRefusal::DomainNotVerified
        } else if checks.c == 0.0 || checks.d != 0.0 {
            // (All checks passing but nothing written: the email was taken meanwhile.)
            ManagedRefusal::EmailTaken
        } else {
            ManagedRefusal::UnknownGroup
        }))
    }

    async fn delete_managed_account(
        &self,
        permit: &Permit,
        account_id: &str,
        event: &Event,
    ) -> Result<AdminChange, PortError> {
        let space_key = permit.space_key();
        let args = [text(space_key.as_str()), text(account_id)];
        // Its memberships, groups, project roles, sessions and tokens go with it (the
        // foreign keys cascade). The event goes first, guarded by the deletion's own
        // condition, so that it can still name the account's email.
        let deletes = format!(
            "id = ?2 AND managed_by = ?1 AND NOT {}",
            crate::members::store::LAST_ADMIN_ANYWHERE
        );
        let results = self
            .batch(vec![
                self.event_stmt_where(
                    space_key,
                    event,
                    &format!("EXISTS (SELECT 1 FROM accounts WHERE {deletes})"),
                    &args,
                )?,
                self.ending_sessions(&format!("DELETE FROM accounts WHERE {deletes}"), &args)?,
                self.stmt(
                    "SELECT 1 AS x FROM accounts WHERE id = ?2 AND managed_by = ?1",
                    &args,
                )?,
            ])
            .await?;
        let results = results.get(1..).unwrap_or_default();
        Ok(if changes(results.first())? >= 1 {
            AdminChange::Done
        } else if found(results.get(1))? {
            AdminChange::LastAdmin
        } else {
            AdminChange::Missing
        })
    }

    async fn insert_sso_request(
        &self,
        organization_id: &OrganizationId,
        request: &NewSsoRequest,
    ) -> Result<SsoStarted, PortError> {
        let window = ratelimit::window_start(request.now);
        let args = [
            text(&request.relay_hash.to_hex()),
            text(organization_id.as_str()),
            text(&request.request_id),
            text(&request.return_to),
            time(request.now),
            time(request.expires_at),
            text(&request.browser_hash.to_hex()),
            text(&format!("sso-start:{}", request.ip)),
            time(window),
            int(SSO_STARTS_PER_IP),
        ];
        let allowed = sso_allowed_sql("o.space_key", "?5");
        // Every start counts for the address (known ID or not, so the limit tells
        // nothing), and the row is written only while the count is within the limit.
        let within =
            "(SELECT count FROM login_failures WHERE key = ?8 AND window_start = ?9) <= ?10";
        let results = self
            .batch(vec![
                self.stmt(
                    "INSERT INTO login_failures (key, window_start, count) VALUES (?1, ?2, 1) \
                     ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1",
                    &[args[7].clone(), args[8].clone()],
                )?,
                self.stmt(
                    &format!(
                        "INSERT INTO saml_requests (relay_hash, space_key, request_id, return_to, created_at, expires_at, browser_hash) \
                         SELECT ?1, o.space_key, ?3, ?4, ?5, ?6, ?7 FROM organizations o \
                         JOIN saml_settings s ON s.space_key = o.space_key \
                         WHERE o.organization_id = ?2 AND {allowed} AND {within}"
                    ),
                    &args,
                )?,
                self.stmt(
                    "SELECT r.space_key, s.idp_sso_url FROM saml_requests r \
                     JOIN saml_settings s ON s.space_key = r.space_key WHERE r.relay_hash = ?1",
                    &args[..1],
                )?,
                self.stmt(
                    &format!("SELECT 1 AS x WHERE {within}"),
                    &args,
                )?,
            ])
            .await?;
        #[derive(Deserialize)]
        struct Row {
            space_key: String,
            idp_sso_url: String,
        }
        if !found(results.get(3))? {
            return Ok(SsoStarted::RateLimited);
        }
        Ok(rows::<Row>(results.get(2))?
            .into_iter()
            .next()
            .and_then(|r| SpaceKey::parse(&r.space_key).map(|k| (k, r.idp_sso_url)))
            .map_or(SsoStarted::Neutral, |(k, url)| SsoStarted::Stored(k, url)))
    }

    async fn pending_login(
        &self,
        pending: &TokenHash,
        current: Option<&TokenHash>,
        now: Timestamp,
    ) -> Result<(Option<AccountRecord>, Option<AccountRecord>), PortError> {
        let mut statements = vec![self.live_account_stmt(pending, now)?];
        if let Some(current) = current {
            statements.push(self.live_account_stmt(current, now)?);
        }
        let results = self.batch(statements).await?;
        let pending = crate::accounts::store::live_account(rows(results.first())?)?;
        let current = match current {
            Some(_) => crate::accounts::store::live_account(rows(results.get(1))?)?,
            None => None,
        };
        Ok((pending, current))
    }

    async fn acs_state(
        &self,
        space_key: &SpaceKey,
        relay_hash: Option<&TokenHash>,
        now: Timestamp,
    ) -> Result<AcsState, PortError> {
        let key = text(space_key.as_str());
        let relay = relay_hash.map_or(worker::wasm_bindgen::JsValue::NULL, |h| text(&h.to_hex()));
        let statements = vec![
            self.stmt(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM organizations WHERE space_key = ?1) AS a, {} AS b",
                    sso_allowed_sql("?1", "?2")
                ),
                &[key.clone(), time(now)],
            )?,
            self.stmt(
                "SELECT request_id, return_to, expires_at, used_at, browser_hash FROM saml_requests \
                 WHERE relay_hash = ?2 AND space_key = ?1",
                &[key.clone(), relay],
            )?,
            self.stmt(
                &format!("SELECT {LOGIN_COLUMNS} FROM saml_settings WHERE space_key = ?1"),
                &[key],
            )?,
        ];
        let results = self.batch(statements).await?;
        let flags = rows::<Flags>(results.first())?
            .into_iter()
            .next()
            .ok_or_else(|| PortError("d1: no state row".to_owned()))?;
        #[derive(Deserialize)]
        struct RequestRow {
            request_id: String,
            return_to: String,
            expires_at: f64,
            used_at: Option<f64>,
            browser_hash: Option<String>,
        }
        let request = rows::<RequestRow>(results.get(1))?
            .into_iter()
            .next()
            .map(|r| SsoRequestRecord {
                request_id: r.request_id,
                return_to: r.return_to,
                expires_at: millis(r.expires_at),
                used: r.used_at.is_some(),
                browser_hash: r.browser_hash.as_deref().and_then(TokenHash::from_hex),
            });
        let settings = rows::<LoginRow>(results.get(2))?
            .into_iter()
            .next()
            .map(LoginRow::into_settings)
            .transpose()?;
        Ok(AcsState {
            org_exists: flags.a != 0.0,
            sso_allowed: flags.b != 0.0,
            settings,
            request,
        })
    }

    async fn complete_sso(
        &self,
        c: &SsoCompletion<'_>,
        now: Timestamp,
    ) -> Result<SsoOutcome, PortError> {
        let session = text(&c.session.token_hash.to_hex());
        let args = [
            text(c.space_key.as_str()),
            text(c.assertion_id),
            time(c.keep_until),
            session,
            c.relay_hash
                .map_or(worker::wasm_bindgen::JsValue::NULL, |h| text(&h.to_hex())),
            time(now),
            time(c.session.expires_at),
            text(c.email.as_str()),
            text(&c.session.id),
            text(&c.session.client.ip),
            text(&c.session.client.user_agent),
        ];
        let won = "EXISTS (SELECT 1 FROM saml_replays WHERE space_key = ?1 AND assertion_id = ?2 AND session_hash = ?4)";
        // Deactivated by the organization's IdP (SCIM): no session until reactivated.
        let deactivated =
            "EXISTS (SELECT 1 FROM accounts da JOIN scim_users su ON su.account_id = da.id \
             WHERE da.email = ?8 AND da.managed_by = ?1 AND su.active = 0)";
        let results = self
            .batch(vec![
                // 1. The assertion ID, once; for an SP-initiated login only while its
                //    request is still unanswered.
                self.stmt(
                    "INSERT INTO saml_replays (space_key, assertion_id, keep_until, session_hash) \
                     SELECT ?1, ?2, ?3, ?4 \
                     WHERE NOT EXISTS (SELECT 1 FROM saml_replays WHERE space_key = ?1 AND assertion_id = ?2) \
                       AND (?5 IS NULL OR EXISTS (SELECT 1 FROM saml_requests \
                         WHERE relay_hash = ?5 AND space_key = ?1 AND used_at IS NULL AND expires_at > ?6))",
                    &args[..6],
                )?,
                // 2. The request is answered.
                self.stmt(
                    &format!(
                        "UPDATE saml_requests SET used_at = ?6 WHERE relay_hash = ?5 AND used_at IS NULL AND {won}"
                    ),
                    &args[..6],
                )?,
                // 3. The session of the organization's managed account with this email.
                self.stmt(
                    &format!(
                        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, id, ip, user_agent, last_used_at) \
                         SELECT ?4, a.id, ?6, ?7, ?9, ?10, ?11, ?6 FROM accounts a \
                         JOIN memberships m ON m.account_id = a.id AND m.space_key = ?1 \
                         WHERE a.email = ?8 AND a.managed_by = ?1 AND {won} AND NOT {deactivated}"
                    ),
                    &args,
                )?,
                // Its event, with the account logged in.
                self.events_stmt(
                    Some(c.space_key),
                    c.event,
                    "SELECT ?11 AS space_key, json_array(json_object('type', 'account', 'id', s.account_id)) \
                       AS targets, NULL AS actor_id FROM sessions s WHERE s.token_hash = ?1",
                    &args[3..4],
                )?,
                // 4. Who is logged in now, and whether this batch won.
                self.stmt(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
                         WHERE s.token_hash = ?4"
                    ),
                    &args[..4],
                )?,
                self.stmt(
                    &format!(
                        "SELECT {won} AS a, EXISTS (SELECT 1 FROM saml_replays \
                           WHERE space_key = ?1 AND assertion_id = ?2) AS b, {deactivated} AS c"
                    ),
                    &args,
                )?,
            ])
            .await?;
        if let Some(row) = rows::<AccountRow>(results.get(4))?.into_iter().next() {
            return Ok(SsoOutcome::LoggedIn(row.into_record()?.0));
        }
        let flags = rows::<Flags>(results.get(5))?.into_iter().next();
        Ok(match flags {
            Some(f) if f.a != 0.0 && f.c != 0.0 => SsoOutcome::Deactivated,
            Some(f) if f.a != 0.0 => SsoOutcome::NoAccount,
            Some(f) if f.b != 0.0 => SsoOutcome::Replayed,
            _ => SsoOutcome::RequestUsed,
        })
    }

    async fn record_sso_failure(
        &self,
        space_key: &SpaceKey,
        kind: FailureKind,
        event: &Event,
        ip: &str,
    ) -> Result<(), PortError> {
        let args = [
            text(space_key.as_str()),
            text(kind.as_str()),
            text(&format!("sso-failure:{ip}")),
            time(ratelimit::window_start(event.at)),
            int(SSO_ANONYMOUS_FAILURES_PER_IP),
        ];
        // Only the IdP's key makes verified failures. Anyone can post the others, so
        // they are counted per address, and each of those kinds pushes out only its own
        // beyond its cap; verified ones are kept like every event.
        let mut statements = Vec::new();
        if kind != FailureKind::Verified {
            statements.push(self.stmt(
                "INSERT INTO login_failures (key, window_start, count) VALUES (?1, ?2, 1) \
                 ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1",
                &args[2..4],
            )?);
        }
        statements.push(self.event_stmt_where(
            space_key,
            event,
            "EXISTS (SELECT 1 FROM organizations WHERE space_key = ?1) \
               AND (?2 = 'verified' OR coalesce((SELECT count FROM login_failures \
                 WHERE key = ?3 AND window_start = ?4), 0) <= ?5)",
            &args,
        )?);
        if kind != FailureKind::Verified {
            let kept = if kind == FailureKind::Anonymous {
                SSO_ANONYMOUS_FAILURES_KEPT
            } else {
                SSO_ISSUER_FAILURES_KEPT
            };
            statements.push(self.stmt(
                "DELETE FROM audit_events WHERE space_key = ?1 AND action = 'sso.login_failed' \
                   AND json_extract(details, '$.kind') = ?2 AND seq NOT IN (SELECT seq FROM audit_events \
                     WHERE space_key = ?1 AND action = 'sso.login_failed' \
                       AND json_extract(details, '$.kind') = ?2 ORDER BY seq DESC LIMIT ?3)",
                &[args[0].clone(), args[1].clone(), int(i64::from(kept))],
            )?);
        }
        self.batch(statements).await?;
        Ok(())
    }

    async fn delete_expired_sso(&self, now: Timestamp) -> Result<u64, PortError> {
        let results = self
            .batch(vec![
                self.stmt(
                    "DELETE FROM saml_replays WHERE keep_until <= ?1",
                    &[time(now)],
                )?,
                self.stmt(
                    "DELETE FROM saml_requests WHERE expires_at <= ?1",
                    &[time(now)],
                )?,
            ])
            .await?;
        total_changes(&results)
    }
}
