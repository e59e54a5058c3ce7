//! What a product learns about the person it signs in: the ID token's and userinfo's
//! claims, and above all `organizations` — the organizations where the account may use
//! the client's product (docs/api.md "Products sign in").
//!
//! - A **normal account** gets every organization it belongs to that has the product,
//!   except one that requires two-step verification while the account has it off (the
//!   same rule that keeps it out of that organization's pages).
//! - A **managed account** belongs to its organization alone, and may use the products
//!   only while that organization's SSO add-on is `trial` or `active`: otherwise it has
//!   no access at all ([`Denied`]), and the endpoints answer `access_denied`,
//!   `invalid_grant` or 401.

use serde_json::{json, Map, Value};

use super::authorize::Scopes;
use crate::{Role, Timestamp};

/// One of the account's memberships, with what the claims need of its organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFacts {
    /// Space key.
    pub space_key: String,
    /// Organization ID.
    pub organization_id: String,
    /// Name.
    pub name: String,
    /// The account's role there.
    pub role: Role,
    /// The "can invite" privilege.
    pub can_invite: bool,
    /// The account is this organization's managed account.
    pub managed: bool,
    /// The SSO add-on allows single sign-on now: `trial` or `active`, within its
    /// dates (evaluated by the store from the stored end times, like every login).
    pub sso_allowed: bool,
    /// The organization requires two-step verification.
    pub require_two_step: bool,
    /// The organization's subscription to the client's product, if it has one.
    pub product: Option<ProductFacts>,
}

/// An organization's subscription to one product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFacts {
    /// Plan.
    pub plan: String,
    /// Status.
    pub status: String,
    /// End of the free trial.
    pub trial_ends_at: Option<Timestamp>,
}

/// The person behind a grant, as the claims describe them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Account id (`sub`).
    pub id: String,
    /// Email.
    pub email: String,
    /// Whether the email was confirmed.
    pub email_verified: bool,
    /// Display name.
    pub name: String,
    /// A managed account (owned by its organization).
    pub managed: bool,
    /// Two-step verification is on.
    pub two_step: bool,
}

/// A managed account whose organization's add-on is not `trial` or `active`: no
/// product may sign it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied;

/// The organizations where `person` may use the product, from all of its memberships.
///
/// # Errors
/// [`Denied`] for a managed account without a live add-on.
pub fn product_organizations(
    person: &Person,
    orgs: Vec<OrgFacts>,
) -> Result<Vec<OrgFacts>, Denied> {
    if person.managed {
        let own = orgs.into_iter().find(|o| o.managed).ok_or(Denied)?;
        if !own.sso_allowed {
            return Err(Denied);
        }
        return Ok(
            if own.product.is_some() && (person.two_step || !own.require_two_step) {
                vec![own]
            } else {
                Vec::new()
            },
        );
    }
    Ok(orgs
        .into_iter()
        .filter(|o| o.product.is_some() && (person.two_step || !o.require_two_step))
        .collect())
}

/// The claims of the granted scopes, shared by the ID token and the userinfo endpoint:
/// `sub`, then `name` (profile), `email` and `email_verified` (email), `organizations`.
#[must_use]
pub fn scope_claims(person: &Person, orgs: &[OrgFacts], scopes: Scopes) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(person.id));
    if scopes.profile {
        claims.insert("name".into(), json!(person.name));
    }
    if scopes.email {
        claims.insert("email".into(), json!(person.email));
        claims.insert("email_verified".into(), json!(person.email_verified));
    }
    if scopes.organizations {
        let list: Vec<Value> = orgs
            .iter()
            .map(|o| {
                let product = o.product.as_ref().map(|p| {
                    json!({
                        "plan": p.plan,
                        "status": p.status,
                        "trial_ends_at": p.trial_ends_at.map(Timestamp::to_rfc3339),
                    })
                });
                json!({
                    "space_key": o.space_key,
                    "organization_id": o.organization_id,
                    "name": o.name,
                    "role": o.role.as_str(),
                    "can_invite": o.can_invite,
                    "managed": o.managed,
                    "product": product,
                })
            })
            .collect();
        claims.insert("organizations".into(), Value::Array(list));
    }
    claims
}

/// What an ID token says besides the scope claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenFacts<'a> {
    /// `iss`: the issuer (orgpass's base URL).
    pub issuer: &'a str,
    /// `aud` and `azp`: the client.
    pub client_id: &'a str,
    /// `iat`.
    pub issued_at: Timestamp,
    /// Lifetime in seconds (`exp` − `iat`).
    pub lifetime_seconds: i64,
    /// `auth_time`: when the orgpass session logged in.
    pub auth_time: Timestamp,
    /// `sid`: the orgpass session's public id.
    pub session_id: &'a str,
    /// `nonce`, from the authorization request (never on a refresh).
    pub nonce: Option<&'a str>,
    /// `at_hash`: [`at_hash`] of the access token issued with it.
    pub at_hash: Option<String>,
}

/// Seconds since the epoch, as the JWT claims count time.
#[must_use]
pub const fn seconds(t: Timestamp) -> i64 {
    t.millis().div_euclid(1000)
}

/// The ID token's claims (OIDC Core §2): `iss, sub, aud, azp, exp, iat, auth_time, sid`,
/// `nonce` and `at_hash` when given, then the scopes' claims.
#[must_use]
pub fn id_token(facts: &IdTokenFacts<'_>, scope: Map<String, Value>) -> Value {
    let iat = seconds(facts.issued_at);
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(facts.issuer));
    claims.insert("aud".into(), json!(facts.client_id));
    claims.insert("azp".into(), json!(facts.client_id));
    claims.insert("iat".into(), json!(iat));
    claims.insert("exp".into(), json!(iat + facts.lifetime_seconds));
    claims.insert("auth_time".into(), json!(seconds(facts.auth_time)));
    claims.insert("sid".into(), json!(facts.session_id));
    if let Some(nonce) = facts.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    if let Some(at_hash) = &facts.at_hash {
        claims.insert("at_hash".into(), json!(at_hash));
    }
    claims.extend(scope);
    Value::Object(claims)
}

/// `at_hash` for RS256 (OIDC Core §3.1.3.6): the base64url of the left half of the
/// SHA-256 of the access token's ASCII.
#[must_use]
pub fn at_hash(access_token: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(access_token.as_bytes());
    B64URL.encode(digest.get(..16).unwrap_or_default())
}

/// The `events` member of a logout token (Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How long a logout token is valid (`exp` − `iat`).
pub const LOGOUT_TOKEN_SECONDS: i64 = 120;

/// A logout token's claims (Back-Channel Logout 1.0 §2.4): `iss, aud, iat, exp, jti,
/// sub, sid, events`, and never a `nonce`.
#[must_use]
pub fn logout_token(
    issuer: &str,
    client_id: &str,
    account_id: &str,
    session_id: &str,
    jti: &str,
    now: Timestamp,
) -> Value {
    let iat = seconds(now);
    json!({
        "iss": issuer,
        "aud": client_id,
        "iat": iat,
        "exp": iat + LOGOUT_TOKEN_SECONDS,
        "jti": jti,
        "sub": account_id,
        "sid": session_id,
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(key: &str, managed: bool, sso_allowed: bool, product: bool) -> OrgFacts {
        OrgFacts {
            space_key: key.into(),
            organization_id: key.to_lowercase(),
            name: key.into(),
            role: Role::Member,
            can_invite: false,
            managed,
            sso_allowed,
            require_two_step: false,
            product: product.then(|| ProductFacts {
                plan: "trial".into(),
                status: "trialing".into(),
                trial_ends_at: Some(Timestamp::from_millis(0)),
            }),
        }
    }

    fn person(managed: bool) -> Person {
        Person {
            id: "acct_1".into(),
            email: "a@x.example".into(),
            email_verified: true,
            name: "A".into(),
            managed,
            two_step: false,
        }
    }

    #[test]
    fn normal_accounts_see_the_organizations_with_the_product() {
        let mut strict = org("C", false, false, true);
        strict.require_two_step = true;
        let got = product_organizations(
            &person(false),
            vec![
                org("A", false, false, true),
                org("B", false, false, false),
                strict.clone(),
            ],
        )
        .unwrap();
        assert_eq!(
            got.iter().map(|o| o.space_key.as_str()).collect::<Vec<_>>(),
            ["A"]
        );
        let mut with_two_step = person(false);
        with_two_step.two_step = true;
        assert_eq!(
            product_organizations(&with_two_step, vec![strict])
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn managed_accounts_need_a_live_add_on() {
        let got = product_organizations(&person(true), vec![org("M", true, true, true)]).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            product_organizations(&person(true), vec![org("M", true, false, true)]),
            Err(Denied)
        );
        assert_eq!(
            product_organizations(&person(true), vec![org("M", true, true, false)]).unwrap(),
            []
        );
        assert_eq!(product_organizations(&person(true), vec![]), Err(Denied));
    }

    #[test]
    fn claims_follow_the_scopes() {
        let orgs = [org("A", false, false, true)];
        let none = scope_claims(&person(false), &orgs, Scopes::default());
        assert_eq!(Value::Object(none), json!({"sub": "acct_1"}));
        let all = scope_claims(
            &person(false),
            &orgs,
            Scopes {
                profile: true,
                email: true,
                organizations: true,
                offline_access: false,
            },
        );
        assert_eq!(
            all["organizations"][0]["product"]["trial_ends_at"],
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(all["email_verified"], true);
        let token = id_token(
            &IdTokenFacts {
                issuer: "https://id.example",
                client_id: "cli_1",
                issued_at: Timestamp::from_millis(10_999),
                lifetime_seconds: 600,
                auth_time: Timestamp::from_millis(5_000),
                session_id: "sess_1",
                nonce: Some("n"),
                at_hash: None,
            },
            all,
        );
        assert_eq!(
            (token["iat"].as_i64(), token["exp"].as_i64()),
            (Some(10), Some(610))
        );
        assert_eq!(token["auth_time"], 5);
        assert_eq!(token["name"], "A");
    }

    #[test]
    fn logout_tokens_name_the_session_and_the_event() {
        let t = logout_token(
            "https://id.example",
            "cli_1",
            "acct_1",
            "sess_1",
            "j1",
            Timestamp::from_millis(5_000),
        );
        assert_eq!(t["events"][BACKCHANNEL_LOGOUT_EVENT], json!({}));
        assert_eq!((t["iat"].as_i64(), t["exp"].as_i64()), (Some(5), Some(125)));
        assert!(t.get("nonce").is_none());
        assert_eq!(
            (&t["sid"], &t["sub"], &t["aud"]),
            (&json!("sess_1"), &json!("acct_1"), &json!("cli_1"))
        );
    }

    /// OIDC Core §A.3's example: access token and its at_hash.
    #[test]
    fn at_hash_is_the_left_half_of_sha_256() {
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
