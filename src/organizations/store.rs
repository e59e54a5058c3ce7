//! Organizations, their products, claimed organization IDs and memberships in D1.

use orgpass_app::ports::{
    Event, MemberContext, OrgChange, OrgRecord, OrgStore, OrgUpdate, PassApplication, PortError,
    ProductRecord,
};
use orgpass_core::{
    pass::Pass, policy::Permit, Email, OrganizationId, OrganizationName, Role, SpaceKey, Timestamp,
    TokenHash,
};
use serde::Deserialize;

use crate::{
    accounts::store::{live_account, membership},
    platform::d1::{changes, int, millis, opt_text, rows, text, time, D1Store},
};

pub(crate) const ORG_COLUMNS: &str = "o.space_key, o.organization_id, o.name, o.created_at, \
     o.pass_status, o.pass_trial_ends_at, o.pass_current_period_end, o.pass_cancel_at, \
     o.pass_admin_name, o.pass_admin_email, o.pass_company_name, o.pass_applied_at, \
     o.billing_subscription_id, o.require_two_step";

#[derive(Deserialize)]
pub(crate) struct OrgRow {
    space_key: String,
    organization_id: String,
    name: String,
    created_at: f64,
    pass_status: String,
    pass_trial_ends_at: Option<f64>,
    pass_current_period_end: Option<f64>,
    pass_cancel_at: Option<f64>,
    pass_admin_name: Option<String>,
    pass_admin_email: Option<String>,
    pass_company_name: Option<String>,
    pass_applied_at: Option<f64>,
    billing_subscription_id: Option<String>,
    require_two_step: f64,
}

#[derive(Deserialize)]
struct MemberOrgRow {
    #[serde(flatten)]
    org: OrgRow,
    role: String,
    can_invite: f64,
}

#[derive(Deserialize)]
pub(crate) struct ProductRow {
    product: String,
    plan: String,
    status: String,
    trial_ends_at: Option<f64>,
}

impl OrgRow {
    pub(crate) fn into_record(self, products: Vec<ProductRow>) -> Result<OrgRecord, PortError> {
        let bad = |what: &str| {
            PortError(format!(
                "d1: stored {what} of {} is invalid",
                self.space_key
            ))
        };
        Ok(OrgRecord {
            space_key: SpaceKey::parse(&self.space_key).ok_or_else(|| bad("space key"))?,
            organization_id: OrganizationId::parse(&self.organization_id)
                .map_err(|_| bad("organization id"))?,
            name: self.name,
            created_at: millis(self.created_at),
            products: products
                .into_iter()
                .map(|p| ProductRecord {
                    product: p.product,
                    plan: p.plan,
                    status: p.status,
                    trial_ends_at: p.trial_ends_at.map(millis),
                })
                .collect(),
            pass: Pass::from_columns(
                &self.pass_status,
                self.pass_trial_ends_at.map(millis),
                self.pass_current_period_end.map(millis),
                self.pass_cancel_at.map(millis),
            )
            .ok_or_else(|| bad("pass state"))?,
            application: match (
                self.pass_admin_name,
                self.pass_admin_email,
                self.pass_company_name,
                self.pass_applied_at,
            ) {
                (Some(admin_name), Some(email), Some(company_name), Some(at)) => {
                    Some(PassApplication {
                        admin_name,
                        admin_email: Email::from_stored(&email),
                        company_name,
                        applied_at: millis(at),
                    })
                }
                _ => None,
            },
            subscription_id: self.billing_subscription_id,
            require_two_step: self.require_two_step != 0.0,
        })
    }
}

pub(crate) const PRODUCTS_SQL: &str =
    "SELECT product, plan, status, trial_ends_at FROM organization_products \
     WHERE space_key = ?1 ORDER BY created_at, product";

impl OrgStore for D1Store {
    async fn create_organization(
        &self,
        org: &OrgRecord,
        creator: &str,
        role: Role,
        event: &Event,
    ) -> Result<bool, PortError> {
        let key = text(org.space_key.as_str());
        let id = text(org.organization_id.as_str());
        let at = time(org.created_at);
        // The claim comes first: a free ID is claimed for this space key, a taken one
        // is left alone, and every later statement runs only if the claim is ours. A
        // (vanishingly unlikely) space-key collision fails the organization insert
        // and with it the whole batch.
        let ours =
            "EXISTS (SELECT 1 FROM organization_ids WHERE organization_id = ?2 AND space_key = ?1)";
        // A managed account belongs to its organization alone (docs/product.md §1): it never
        // becomes the creator of another, whatever the use case read before.
        let creator_may =
            "NOT EXISTS (SELECT 1 FROM accounts WHERE id = ?4 AND managed_by IS NOT NULL)";
        let mut statements = vec![
            self.stmt(
                &format!(
                    "INSERT INTO organization_ids (organization_id, space_key, claimed_at) \
                     SELECT ?2, ?1, ?3 WHERE {creator_may} \
                     ON CONFLICT (organization_id) DO NOTHING"
                ),
                &[key.clone(), id.clone(), at.clone(), text(creator)],
            )?,
            self.stmt(
                &format!(
                    "INSERT INTO organizations (space_key, organization_id, name, created_at, pass_status) \
                     SELECT ?1, ?2, ?3, ?4, ?5 WHERE {ours}"
                ),
                &[key.clone(), id.clone(), text(&org.name), at.clone(), text(org.pass.status())],
            )?,
            self.stmt(
                &format!(
                    "INSERT INTO memberships (space_key, account_id, role, can_invite, created_at) \
                     SELECT ?1, ?3, ?4, 0, ?5 WHERE {ours}"
                ),
                &[key.clone(), id.clone(), text(creator), text(role.as_str()), at.clone()],
            )?,
        ];
        for p in &org.products {
            statements.push(self.stmt(
                &format!(
                    "INSERT INTO organization_products (space_key, product, plan, status, trial_ends_at, created_at) \
                     SELECT ?1, ?3, ?4, ?5, ?6, ?7 WHERE {ours}"
                ),
                &[
                    key.clone(),
                    id.clone(),
                    text(&p.product),
                    text(&p.plan),
                    text(&p.status),
                    p.trial_ends_at.map_or(worker::wasm_bindgen::JsValue::NULL, time),
                    at.clone(),
                ],
            )?);
        }
        let results = self
            .batch_recording(statements, 1, event, &org.space_key)
            .await?;
        Ok(changes(results.get(1))? == 1)
    }

    async fn member_context(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Option<MemberContext>, PortError> {
        let results = self
            .batch(self.context_statements(token, now, space_key)?)
            .await?;
        context_from(&results)
    }

    async fn update_organization(
        &self,
        permit: &Permit,
        change: &OrgChange<'_>,
        now: Timestamp,
        event: &Event,
    ) -> Result<OrgUpdate, PortError> {
        let (name, organization_id) = (change.name, change.organization_id);
        let space_key = permit.space_key();
        let key = text(space_key.as_str());
        let name = opt_text(name.map(OrganizationName::as_str));
        let mut statements = Vec::new();
        if let Some(id) = organization_id {
            let id = text(id.as_str());
            statements.push(self.stmt(
                "INSERT INTO organization_ids (organization_id, space_key, claimed_at) VALUES (?2, ?1, ?3) \
                 ON CONFLICT (organization_id) DO NOTHING",
                &[key.clone(), id.clone(), time(now)],
            )?);
            statements.push(self.stmt(
                "UPDATE organizations SET organization_id = ?2, name = coalesce(?3, name) \
                 WHERE space_key = ?1 AND EXISTS \
                 (SELECT 1 FROM organization_ids WHERE organization_id = ?2 AND space_key = ?1)",
                &[key.clone(), id, name.clone()],
            )?);
        } else {
            statements.push(self.stmt(
                "UPDATE organizations SET name = coalesce(?2, name) WHERE space_key = ?1",
                &[key.clone(), name.clone()],
            )?);
        }
        let update_index = statements.len() - 1;
        // Only with the rename or ID change above (all or nothing), and turning it on
        // only while the actor has two-step verification on.
        let (two_step, actor) = change.require_two_step.map_or(
            (
                worker::wasm_bindgen::JsValue::NULL,
                worker::wasm_bindgen::JsValue::NULL,
            ),
            |(on, actor)| (int(i64::from(on)), text(actor)),
        );
        statements.push(self.stmt(
            "UPDATE organizations SET require_two_step = ?2 WHERE space_key = ?1 AND ?2 IS NOT NULL \
             AND (?2 = 0 OR EXISTS (SELECT 1 FROM accounts WHERE id = ?3 AND totp_enabled_at IS NOT NULL))",
            &[key.clone(), two_step.clone(), actor],
        )?);
        // Recorded when the organization is now as asked (the use case asks only for
        // what differs): a taken ID or a refused two-step rule records nothing.
        statements.push(self.event_stmt_where(
            space_key,
            event,
            "EXISTS (SELECT 1 FROM organizations WHERE space_key = ?1 \
               AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR organization_id = ?3) \
               AND (?4 IS NULL OR require_two_step = ?4))",
            &[
                key.clone(),
                name.clone(),
                opt_text(organization_id.map(OrganizationId::as_str)),
                two_step,
            ],
        )?);
        statements.push(self.stmt(
            &format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.space_key = ?1"),
            std::slice::from_ref(&key),
        )?);
        statements.push(self.stmt(PRODUCTS_SQL, &[key])?);
        let results = self.batch(statements).await?;
        let updated = changes(results.get(update_index))? == 1;
        let Some(row) = rows::<OrgRow>(results.get(update_index + 3))?
            .into_iter()
            .next()
        else {
            return Ok(OrgUpdate::Missing);
        };
        if !updated {
            return Ok(OrgUpdate::IdTaken);
        }
        let org = row.into_record(rows(results.get(update_index + 4))?)?;
        if let Some((on, _)) = change.require_two_step {
            if org.require_two_step != on {
                return Ok(OrgUpdate::TwoStepNotEnabled);
            }
        }
        Ok(OrgUpdate::Updated(Box::new(org)))
    }
}

/// Statements [`D1Store::context_statements`] puts first in a batch.
pub(crate) const CONTEXT_STATEMENTS: usize = 3;

impl D1Store {
    /// The statements of a member context (the live session's account, the
    /// organization with the membership, its products), to lead a batch so that an
    /// organization-scoped read costs one round trip; `?1` token hash, `?2` now, `?3`
    /// space key.
    pub(crate) fn context_statements(
        &self,
        token: &TokenHash,
        now: Timestamp,
        space_key: &SpaceKey,
    ) -> Result<Vec<worker::D1PreparedStatement>, PortError> {
        let key = text(space_key.as_str());
        Ok(vec![
            self.live_account_stmt(token, now)?,
            self.stmt(
                &format!(
                    "SELECT {ORG_COLUMNS}, m.role, m.can_invite FROM sessions s \
                     JOIN memberships m ON m.account_id = s.account_id AND m.space_key = ?3 \
                     JOIN organizations o ON o.space_key = m.space_key \
                     WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2"
                ),
                &[text(&token.to_hex()), time(now), key.clone()],
            )?,
            self.stmt(PRODUCTS_SQL, &[key])?,
        ])
    }
}

/// Reads the member context from the first [`CONTEXT_STATEMENTS`] results.
pub(crate) fn context_from(
    results: &[worker::D1Result],
) -> Result<Option<MemberContext>, PortError> {
    let Some(account) = live_account(rows(results.first())?)? else {
        return Ok(None);
    };
    let org = match rows::<MemberOrgRow>(results.get(1))?.into_iter().next() {
        Some(row) => {
            let membership = membership(&row.role, row.can_invite)?;
            Some((row.org.into_record(rows(results.get(2))?)?, membership))
        }
        None => None,
    };
    Ok(Some(MemberContext { account, org }))
}
