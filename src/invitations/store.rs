//! Invitations in D1. Creating many is three statements whatever their number (the
//! list travels as one JSON parameter); acceptance is one conditional update that only
//! one batch can win, and the statements that join the member run only for the batch
//! whose `accept_id` the invitation then carries.

use orgpass_app::ports::{
    Acceptance, AccountRecord, Event, InvitationLookup, InvitationRecord, InvitationStore,
    InvitationsPage, InviteFacts, Joiner, MemberContext, NewInvitation, PortError,
};
use orgpass_core::{
    invitation::InvitationState, policy::Permit, Email, Role, SpaceKey, Timestamp, TokenHash,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    accounts::store::live_account,
    members::store::{group_records, groups_sql},
    organizations::store::{context_from, CONTEXT_STATEMENTS},
    platform::d1::{changes, found, int, millis, opt_text, rows, text, time, D1Store},
};

const COLUMNS: &str = "i.id, i.space_key, i.email, i.role, i.group_ids, i.message, i.invited_by, \
     i.status, i.created_at, i.expires_at, i.decided_at";

#[derive(Deserialize)]
struct Row {
    id: String,
    space_key: String,
    email: String,
    role: String,
    group_ids: String,
    message: Option<String>,
    invited_by: String,
    status: String,
    created_at: f64,
    expires_at: f64,
    decided_at: Option<f64>,
}

impl Row {
    fn into_record(self) -> Result<InvitationRecord, PortError> {
        let bad = |what: &str| {
            PortError(format!(
                "d1: stored {what} of invitation {} is invalid",
                self.id
            ))
        };
        Ok(InvitationRecord {
            space_key: SpaceKey::parse(&self.space_key).ok_or_else(|| bad("space key"))?,
            email: Email::from_stored(&self.email),
            role: Role::parse(&self.role).map_err(|_| bad("role"))?,
            group_ids: serde_json::from_str(&self.group_ids).map_err(|_| bad("groups"))?,
            message: self.message,
            invited_by: self.invited_by,
            state: InvitationState::from_columns(
                &self.status,
                millis(self.expires_at),
                self.decided_at.map(millis),
            )
            .ok_or_else(|| bad("status"))?,
            created_at: millis(self.created_at),
            id: self.id,
        })
    }
}

#[derive(Deserialize)]
struct LookupRow {
    #[serde(flatten)]
    invitation: Row,
    org_name: String,
    organization_id: String,
    inviter_name: String,
}

#[derive(Deserialize)]
struct EmailRow {
    email: String,
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

/// The inviter of invitation `i` may still invite with its role (docs/architecture.md
/// "No privilege beyond the granter's":
/// an invitation carries no more than its sender holds when it is accepted): an
/// administrator, or a member with **can invite** for `member` and `guest`.
const INVITER_MAY_INVITE: &str = "EXISTS (SELECT 1 FROM memberships im \
     WHERE im.space_key = i.space_key AND im.account_id = i.invited_by \
       AND (im.role = 'administrator' OR (im.role = 'member' AND im.can_invite = 1 AND i.role <> 'administrator')))";

/// The inviter of invitation `i` may still put a member into group `g`: an
/// administrator, or a member of that group (the policy's `ManageGroup`).
const INVITER_MAY_PLACE: &str = "(EXISTS (SELECT 1 FROM memberships im \
       WHERE im.space_key = i.space_key AND im.account_id = i.invited_by AND im.role = 'administrator') \
     OR EXISTS (SELECT 1 FROM group_members gm JOIN memberships im \
       ON im.space_key = gm.space_key AND im.account_id = gm.account_id AND im.role = 'member' \
       WHERE gm.group_id = g.id AND gm.account_id = i.invited_by))";

fn expires_at(record: &InvitationRecord) -> Timestamp {
    match record.state {
        InvitationState::Pending { expires_at } => expires_at,
        _ => record.created_at,
    }
}

impl D1Store {
    /// The invitation of a token, with its organization's and inviter's names.
    fn lookup_stmt(&self, token: &TokenHash) -> Result<worker::D1PreparedStatement, PortError> {
        self.stmt(
            &format!(
                "SELECT {COLUMNS}, o.name AS org_name, o.organization_id, \
                   coalesce(a.name, '') AS inviter_name \
                 FROM invitations i JOIN organizations o ON o.space_key = i.space_key \
                 LEFT JOIN accounts a ON a.id = i.invited_by WHERE i.token_hash = ?1"
            ),
            &[text(&token.to_hex())],
        )
    }
}

/// Reads the row of a [`D1Store::lookup_stmt`].
fn lookup_from(result: Option<&worker::D1Result>) -> Result<Option<InvitationLookup>, PortError> {
    rows::<LookupRow>(result)?
        .into_iter()
        .next()
        .map(|row| {
            Ok(InvitationLookup {
                invitation: row.invitation.into_record()?,
                org_name: row.org_name,
                organization_id: row.organization_id,
                inviter_name: row.inviter_name,
            })
        })
        .transpose()
}

impl InvitationStore for D1Store {
    async fn invite_facts(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        emails: &[Email],
    ) -> Result<Option<(MemberContext, InviteFacts)>, PortError> {
        let list: Vec<&str> = emails.iter().map(Email::as_str).collect();
        let list = serde_json::to_string(&list).map_err(|e| PortError(format!("json: {e}")))?;
        // `?1`–`?3` are the context's (token hash, now, space key); `?4` the emails.
        let args = [
            text(&token.to_hex()),
            time(now),
            text(space_key.as_str()),
            text(&list),
        ];
        let mut statements = self.context_statements(token, now, space_key)?;
        for sql in [
            "SELECT a.email FROM accounts a \
             JOIN memberships m ON m.account_id = a.id AND m.space_key = ?3 \
             WHERE a.email IN (SELECT value FROM json_each(?4))",
            "SELECT id FROM groups WHERE space_key = ?3",
            "SELECT group_id AS id FROM group_members WHERE space_key = ?3 AND account_id = \
               (SELECT account_id FROM sessions WHERE token_hash = ?1)",
            "SELECT DISTINCT email FROM invitations WHERE space_key = ?3 AND status = 'pending' \
               AND expires_at > ?2 AND email IN (SELECT value FROM json_each(?4))",
        ] {
            statements.push(self.stmt(sql, &args)?);
        }
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        let at = CONTEXT_STATEMENTS;
        let emails_of = |i: usize| -> Result<Vec<Email>, PortError> {
            Ok(rows::<EmailRow>(results.get(i))?
                .into_iter()
                .map(|r| Email::from_stored(&r.email))
                .collect())
        };
        let ids_of = |i: usize| -> Result<Vec<String>, PortError> {
            Ok(rows::<IdRow>(results.get(i))?
                .into_iter()
                .map(|r| r.id)
                .collect())
        };
        Ok(Some((
            context,
            InviteFacts {
                members: emails_of(at)?,
                group_ids: ids_of(at + 1)?,
                inviter_group_ids: ids_of(at + 2)?,
                pending: emails_of(at + 3)?,
            },
        )))
    }

    async fn create_invitations(
        &self,
        permit: &Permit,
        invitations: &[NewInvitation],
        (replace_pending, revoked): (bool, &Event),
        now: Timestamp,
    ) -> Result<(), PortError> {
        let space_key = permit.space_key();
        let list: Vec<serde_json::Value> = invitations
            .iter()
            .map(|n| {
                let r = &n.record;
                json!({
                    "id": r.id,
                    "email": r.email.as_str(),
                    "role": r.role.as_str(),
                    "group_ids": serde_json::to_string(&r.group_ids).unwrap_or_else(|_| "[]".to_owned()),
                    "message": r.message,
                    "invited_by": r.invited_by,
                    "token_hash": n.token.to_hex(),
                    "expires_at": expires_at(r).millis(),
                    "mail_id": n.mail.id,
                    "subject": n.mail.subject,
                    "text": n.mail.text,
                    "html": n.mail.html,
                })
            })
            .collect();
        let list = serde_json::to_string(&list).map_err(|e| PortError(format!("json: {e}")))?;
        let args = [
            text(space_key.as_str()),
            time(now),
            text(&list),
            int(i64::from(replace_pending)),
        ];
        let field = |name: &str| format!("json_extract(j.value, '$.{name}')");
        // Without `replace_pending` (?4 = 0) only expired pending invitations give way,
        // and a live one keeps its email out of the insert: a re-invite replaces only
        // what its sender could revoke.
        let replaced = "space_key = ?1 AND status = 'pending' AND (?4 = 1 OR expires_at <= ?2) \
             AND email IN (SELECT json_extract(value, '$.email') FROM json_each(?3))";
        let mut statements = vec![
            // The invitations given way first record their revocation (same rows: the
            // batch is one transaction).
            self.events_stmt(
                Some(space_key),
                revoked,
                &format!(
                    "SELECT space_key, json_array(json_object('type', 'invitation', 'id', id, 'name', email)) \
                       AS targets, NULL AS actor_id FROM invitations WHERE {replaced}"
                ),
                &args,
            )?,
            self.stmt(
                &format!("UPDATE invitations SET status = 'revoked', decided_at = ?2 WHERE {replaced}"),
                &args,
            )?,
            self.stmt(
                &format!(
                    "INSERT INTO invitations (id, space_key, email, role, group_ids, message, invited_by, \
                       token_hash, status, created_at, expires_at) \
                     SELECT {id}, ?1, {email}, {role}, {groups}, {message}, {by}, {hash}, 'pending', ?2, {expires} \
                     FROM json_each(?3) j WHERE NOT EXISTS (SELECT 1 FROM accounts a \
                       JOIN memberships m ON m.account_id = a.id AND m.space_key = ?1 WHERE a.email = {email}) \
                       AND NOT EXISTS (SELECT 1 FROM invitations p WHERE p.space_key = ?1 \
                         AND p.email = {email} AND p.status = 'pending' AND p.expires_at > ?2)",
                    id = field("id"),
                    email = field("email"),
                    role = field("role"),
                    groups = field("group_ids"),
                    message = field("message"),
                    by = field("invited_by"),
                    hash = field("token_hash"),
                    expires = field("expires_at"),
                ),
                &args[..3],
            )?,
            self.stmt(
                &format!(
                    "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
                     SELECT {mail}, {email}, {subject}, {text}, {html}, ?2 FROM json_each(?3) j \
                     WHERE EXISTS (SELECT 1 FROM invitations WHERE id = {id} AND space_key = ?1)",
                    mail = field("mail_id"),
                    email = field("email"),
                    subject = field("subject"),
                    text = field("text"),
                    html = field("html"),
                    id = field("id"),
                ),
                &args[..3],
            )?,
        ];
        // Each invitation written records its `invitation.sent`.
        for n in invitations {
            statements.push(self.event_stmt_where(
                space_key,
                &n.event,
                "EXISTS (SELECT 1 FROM invitations WHERE id = ?1 AND token_hash = ?2)",
                &[text(&n.record.id), text(&n.token.to_hex())],
            )?);
        }
        self.batch(statements).await?;
        Ok(())
    }

    async fn invitations(
        &self,
        space_key: &SpaceKey,
        status: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<InvitationRecord>, PortError> {
        let result = self
            .one(self.stmt(
                &format!(
                    "SELECT {COLUMNS} FROM invitations i WHERE i.space_key = ?1 AND (?2 IS NULL OR \
                       (CASE WHEN i.status = 'pending' AND i.expires_at <= ?3 THEN 'expired' ELSE i.status END) = ?2) \
                     ORDER BY i.created_at DESC, i.email LIMIT 500"
                ),
                &[text(space_key.as_str()), opt_text(status), time(now)],
            )?)
            .await?;
        rows::<Row>(Some(&result))?
            .into_iter()
            .map(Row::into_record)
            .collect()
    }

    async fn invitations_page(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<InvitationsPage>, PortError> {
        let key = text(space_key.as_str());
        let session = text(&token.to_hex());
        let mut statements = self.context_statements(token, now, space_key)?;
        // The groups for a member of the organization; the invitations for an
        // administrator only (the use case decides again with the policy).
        statements.push(self.stmt(
            &format!(
                "{groups} AND EXISTS (SELECT 1 FROM sessions s \
                   JOIN memberships v ON v.account_id = s.account_id AND v.space_key = ?1 \
                   WHERE s.token_hash = ?2 AND s.revoked_at IS NULL AND s.expires_at > ?3) \
                 ORDER BY g.name_key",
                groups = groups_sql("?1")
            ),
            &[key.clone(), session.clone(), time(now)],
        )?);
        statements.push(self.stmt(
            &format!(
                "SELECT {COLUMNS} FROM invitations i WHERE i.space_key = ?1 \
                   AND EXISTS (SELECT 1 FROM sessions s \
                     JOIN memberships v ON v.account_id = s.account_id AND v.space_key = ?1 \
                       AND v.role = 'administrator' \
                     WHERE s.token_hash = ?2 AND s.revoked_at IS NULL AND s.expires_at > ?3) \
                 ORDER BY i.created_at DESC, i.email LIMIT 500"
            ),
            &[key, session, time(now)],
        )?);
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        Ok(Some(InvitationsPage {
            context,
            groups: group_records(results.get(CONTEXT_STATEMENTS))?,
            invitations: rows::<Row>(results.get(CONTEXT_STATEMENTS + 1))?
                .into_iter()
                .map(Row::into_record)
                .collect::<Result<_, _>>()?,
        }))
    }

    async fn invitation(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
        id: &str,
    ) -> Result<Option<(MemberContext, Option<InvitationRecord>)>, PortError> {
        let mut statements = self.context_statements(token, now, space_key)?;
        statements.push(self.stmt(
            &format!("SELECT {COLUMNS} FROM invitations i WHERE i.space_key = ?3 AND i.id = ?4"),
            &[
                text(&token.to_hex()),
                time(now),
                text(space_key.as_str()),
                text(id),
            ],
        )?);
        let results = self.batch(statements).await?;
        let Some(context) = context_from(&results)? else {
            return Ok(None);
        };
        let invitation = rows::<Row>(results.get(CONTEXT_STATEMENTS))?
            .into_iter()
            .next()
            .map(Row::into_record)
            .transpose()?;
        Ok(Some((context, invitation)))
    }

    async fn refresh_invitation(
        &self,
        permit: &Permit,
        invitation: &NewInvitation,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let r = &invitation.record;
        let results = self
            .batch_recording(vec![
                self.stmt(
                    "UPDATE invitations SET token_hash = ?3, status = 'pending', expires_at = ?4, created_at = ?5 \
                     WHERE space_key = ?1 AND id = ?2 AND status IN ('pending', 'expired')",
                    &[
                        text(permit.space_key().as_str()),
                        text(&r.id),
                        text(&invitation.token.to_hex()),
                        time(expires_at(r)),
                        time(now),
                    ],
                )?,
                self.stmt(
                    "INSERT INTO outbox (id, to_email, subject, text_body, html_body, created_at) \
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
                     WHERE EXISTS (SELECT 1 FROM invitations WHERE id = ?7 AND token_hash = ?8)",
                    &[
                        text(&invitation.mail.id),
                        text(invitation.mail.to.as_str()),
                        text(&invitation.mail.subject),
                        text(&invitation.mail.text),
                        text(&invitation.mail.html),
                        time(now),
                        text(&r.id),
                        text(&invitation.token.to_hex()),
                    ],
                )?,
            ], 0, &invitation.event, permit.space_key())
            .await?;
        Ok(changes(results.first())? == 1)
    }

    async fn mark_invitation_revoked(
        &self,
        permit: &Permit,
        id: &str,
        now: Timestamp,
        event: &Event,
    ) -> Result<bool, PortError> {
        let space_key = permit.space_key();
        let results = self
            .batch_recording(
                vec![self.stmt(
                    "UPDATE invitations SET status = 'revoked', decided_at = ?3 \
                     WHERE space_key = ?1 AND id = ?2 AND status = 'pending' AND expires_at > ?3",
                    &[text(space_key.as_str()), text(id), time(now)],
                )?],
                0,
                event,
                space_key,
            )
            .await?;
        Ok(changes(results.first())? == 1)
    }

    async fn invitation_by_token(
        &self,
        token: &TokenHash,
    ) -> Result<Option<InvitationLookup>, PortError> {
        let result = self.one(self.lookup_stmt(token)?).await?;
        lookup_from(Some(&result))
    }

    async fn session_and_invitation(
        &self,
        session: Option<&TokenHash>,
        now: Timestamp,
        token: &TokenHash,
    ) -> Result<(Option<AccountRecord>, Option<InvitationLookup>), PortError> {
        let Some(session) = session else {
            return Ok((None, self.invitation_by_token(token).await?));
        };
        let results = self
            .batch(vec![
                self.live_account_stmt(session, now)?,
                self.lookup_stmt(token)?,
            ])
            .await?;
        Ok((
            live_account(rows(results.first())?)?,
            lookup_from(results.get(1))?,
        ))
    }

    async fn consume_invitation(
        &self,
        token: &TokenHash,
        joiner: &Joiner<'_>,
        now: Timestamp,
        (space_key, event): (&SpaceKey, &Event),
    ) -> Result<Acceptance, PortError> {
        let hash = text(&token.to_hex());
        let account = joiner.account;
        let accept_id = text(joiner.accept_id);
        let mut statements = Vec::new();
        if let Some((password_record, _)) = joiner.signup {
            let args = [
                text(&account.id),
                text(account.email.as_str()),
                text(&account.name),
                text(password_record),
                time(now),
                hash.clone(),
            ];
            let pending = format!(
                "EXISTS (SELECT 1 FROM invitations i WHERE i.token_hash = ?6 AND i.status = 'pending' \
                   AND i.expires_at > ?5 AND i.email = ?2 AND {INVITER_MAY_INVITE})"
            );
            // An unverified sign-up of the invited address never blocks its owner: the
            // invitation (which reached the address) replaces it.
            statements.push(self.stmt(
                &format!(
                    "DELETE FROM accounts WHERE email = ?2 AND email_verified_at IS NULL \
                       AND managed_by IS NULL AND {pending} \
                       AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = accounts.id)"
                ),
                &args,
            )?);
            // The account exists only if the invitation is still pending for its email.
            statements.push(self.stmt(
                &format!(
                    "INSERT INTO accounts (id, email, name, password_hash, email_verified_at, created_at) \
                     SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE email = ?2) \
                       AND {pending}"
                ),
                &args,
            )?);
        }
        let decide = statements.len();
        statements.push(self.stmt(
            &format!(
                "UPDATE invitations AS i SET status = 'accepted', decided_at = ?2, accepted_by = ?3, accept_id = ?4 \
                 WHERE i.token_hash = ?1 AND i.status = 'pending' AND i.expires_at > ?2 \
                   AND i.email = (SELECT email FROM accounts WHERE id = ?3) AND {INVITER_MAY_INVITE}"
            ),
            &[hash.clone(), time(now), text(&account.id), accept_id.clone()],
        )?);
        statements.push(self.stmt(
            "INSERT INTO memberships (space_key, account_id, role, can_invite, created_at) \
             SELECT space_key, ?2, role, 0, ?3 FROM invitations WHERE accept_id = ?1 \
             ON CONFLICT (space_key, account_id) DO NOTHING",
            &[accept_id.clone(), text(&account.id), time(now)],
        )?);
        statements.push(self.stmt(
            &format!(
                "INSERT INTO group_members (group_id, space_key, account_id, added_at) \
                 SELECT g.id, g.space_key, ?2, ?3 FROM invitations i, json_each(i.group_ids) j \
                 JOIN groups g ON g.id = j.value AND g.space_key = i.space_key WHERE i.accept_id = ?1 \
                   AND {INVITER_MAY_PLACE} \
                 ON CONFLICT (group_id, account_id) DO NOTHING"
            ),
            &[accept_id.clone(), text(&account.id), time(now)],
        )?);
        if let Some((_, session)) = joiner.signup {
            statements.push(self.stmt(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, id, ip, user_agent, last_used_at) \
                 SELECT ?1, ?2, ?3, ?4, ?6, ?7, ?8, ?3 WHERE EXISTS (SELECT 1 FROM invitations WHERE accept_id = ?5)",
                &[
                    text(&session.token_hash.to_hex()),
                    text(&session.account_id),
                    time(session.created_at),
                    time(session.expires_at),
                    accept_id,
                    text(&session.id),
                    text(&session.client.ip),
                    text(&session.client.user_agent),
                ],
            )?);
        }
        let right = statements.len();
        statements.push(self.stmt(
            &format!(
                "SELECT 1 AS x FROM invitations i WHERE i.token_hash = ?1 AND NOT {INVITER_MAY_INVITE}"
            ),
            &[hash],
        )?);
        let results = self
            .batch_recording(statements, decide, event, space_key)
            .await?;
        Ok(if changes(results.get(decide))? == 1 {
            Acceptance::Joined
        } else if found(results.get(right))? {
            Acceptance::InviterLacksRight
        } else {
            Acceptance::Lost
        })
    }

    async fn mark_expired_invitations(&self, now: Timestamp) -> Result<u64, PortError> {
        let result = self
            .one(self.stmt(
                "UPDATE invitations SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?1",
                &[time(now)],
            )?)
            .await?;
        Ok(changes(Some(&result))? as u64)
    }
}
