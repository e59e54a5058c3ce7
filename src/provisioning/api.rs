//! HTTP handlers of SCIM provisioning (docs/api.md "SCIM 2.0 provisioning"): the
//! administrators' token routes under `/api/v1/orgs/{org}/scim/tokens`, and the IdP's
//! service at `/scim/v2/{org}`, which answers in `application/scim+json` with SCIM error
//! bodies (RFC 7644 §3.12).

use orgpass_app::{
    ports::{ScimGroupRecord, ScimTokenRecord, ScimUserRecord},
    scim::{group_resource, group_version, user_resource, user_version, ScimClient, ScimError},
};
use orgpass_core::scim::{
    filter::parse_path,
    groups::GROUP_SCHEMA,
    users::{member, USER_SCHEMA},
};
use orgpass_core::{SecretToken, TokenHash};
use serde_json::{json, Value};
use worker::{Method, Request};

use super::discovery;
use crate::web::{
    auth::require_session,
    context::Ctx,
    http::{self, json_response, no_content, rfc3339},
    Handled,
};

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

fn token_json(t: &ScimTokenRecord) -> Value {
    json!({
        "id": t.id,
        "created_at": t.created_at.to_rfc3339(),
        "last_used_at": rfc3339(t.last_used_at),
        "active": t.active,
    })
}

/// `POST /api/v1/orgs/{org}/scim/tokens`
pub async fn create_token(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let (record, secret) = cx.app().create_scim_token(&token, key).await?;
    let mut response = json_response(
        201,
        &json!({ "token": token_json(&record), "secret": secret.expose() }),
    )?;
    response.headers_mut().set("cache-control", "no-store")?;
    Ok(response)
}

/// `GET /api/v1/orgs/{org}/scim/tokens`
pub async fn list_tokens(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let tokens = cx.app().scim_tokens(&token, key).await?;
    let list: Vec<Value> = tokens.iter().map(token_json).collect();
    Ok(json_response(200, &json!({ "tokens": list }))?)
}

/// `DELETE /api/v1/orgs/{org}/scim/tokens/{id}`
pub async fn revoke_token(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().revoke_scim_token(&token, key, id).await?;
    no_content()
}

/// A SCIM answer: `value` as `application/scim+json`.
fn scim_json(status: u16, value: &Value) -> Handled {
    let mut response = json_response(status, value)?;
    response
        .headers_mut()
        .set("content-type", "application/scim+json; charset=utf-8")?;
    Ok(response)
}

/// A SCIM error body (RFC 7644 §3.12).
fn scim_error(status: u16, scim_type: Option<&str>, detail: &str) -> Handled {
    let mut body = json!({
        "schemas": [ERROR_SCHEMA],
        "status": status.to_string(),
        "detail": detail,
    });
    if let (Some(t), Some(map)) = (scim_type, body.as_object_mut()) {
        map.insert("scimType".into(), t.into());
    }
    let mut response = scim_json(status, &body)?;
    if status == 401 {
        response
            .headers_mut()
            .set("www-authenticate", "Bearer realm=\"orgpass SCIM\"")?;
    }
    Ok(response)
}

/// The provisioning token an IdP presents: `Authorization: Bearer <secret>`.
fn bearer(req: &Request) -> Option<SecretToken> {
    let value = http::header(req, "authorization")?;
    let (scheme, secret) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    SecretToken::parse(secret.trim())
}

/// The resource types the service keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resource {
    Users,
    Groups,
}

/// Every request under `/scim/v2/{org}/…`: the token first, then the resource. Reads
/// of a list and reads and writes of one resource take the token in their own batch;
/// everything else asks for the client first.
pub async fn service(req: &mut Request, cx: &Ctx, key: &str, rest: &[&str]) -> Handled {
    let secret = bearer(req).map(|s| s.hash());
    let secret = secret.as_ref();
    let base = format!("{}/scim/v2/{key}", cx.settings.base_url);
    let resource = match rest.first() {
        Some(&"Users") => Some(Resource::Users),
        Some(&"Groups") => Some(Resource::Groups),
        _ => None,
    };
    match (resource, rest.get(1..).unwrap_or_default(), req.method()) {
        (Some(r), [], Method::Get) => {
            return list(cx, key, secret, &base, r, &Query::of_url(req)).await
        }
        (Some(r), [".search"], Method::Post) => {
            return search(req, cx, key, secret, &base, r).await
        }
        (Some(Resource::Users), [id], Method::Get | Method::Put | Method::Patch) => {
            return one_user(req, cx, key, secret, id, &base).await
        }
        (Some(Resource::Groups), [id], Method::Get | Method::Put | Method::Patch) => {
            return one_group(req, cx, key, secret, id, &base).await
        }
        _ => {}
    }
    let client = match cx.app().scim_client(key, secret).await {
        Ok(client) => client,
        Err(e) => return refusal(&e),
    };
    let schema = |id: &str| id.replace("%3A", ":").replace("%3a", ":");
    match (rest, req.method()) {
        (["ServiceProviderConfig"], Method::Get) => {
            scim_json(200, &discovery::service_provider_config(&base))
        }
        (["ResourceTypes"], Method::Get) => every(vec![
            discovery::user_resource_type(&base),
            discovery::group_resource_type(&base),
        ]),
        (["ResourceTypes", "User"], Method::Get) => {
            scim_json(200, &discovery::user_resource_type(&base))
        }
        (["ResourceTypes", "Group"], Method::Get) => {
            scim_json(200, &discovery::group_resource_type(&base))
        }
        (["Schemas"], Method::Get) => every(vec![
            discovery::user_schema(&base),
            discovery::group_schema(&base),
        ]),
        (["Schemas", id], Method::Get) if schema(id) == USER_SCHEMA => {
            scim_json(200, &discovery::user_schema(&base))
        }
        (["Schemas", id], Method::Get) if schema(id) == GROUP_SCHEMA => {
            scim_json(200, &discovery::group_schema(&base))
        }
        // RFC 7644 §3.4.3: a server may decline to search every resource type at once.
        ([".search"], Method::Post) => scim_error(
            501,
            None,
            "Search one resource type: POST /Users/.search or /Groups/.search.",
        ),
        (["Users"], Method::Post) => create_user(req, cx, &client, &base).await,
        (["Groups"], Method::Post) => create_group(req, cx, &client, &base).await,
        (["Users", id], Method::Delete) => match cx.app().delete_scim_user(&client, id).await {
            Ok(()) => no_content(),
            Err(e) => refusal(&e),
        },
        (["Groups", id], Method::Delete) => match cx.app().delete_scim_group(&client, id).await {
            Ok(()) => no_content(),
            Err(e) => refusal(&e),
        },
        (
            ["ServiceProviderConfig" | "ResourceTypes" | "Schemas" | "Users" | "Groups" | ".search"]
            | ["Users" | "Groups", _],
            _,
        ) => scim_error(405, None, "That method is not allowed here."),
        _ => scim_error(404, None, "No such SCIM resource."),
    }
}

/// `GET`, `PUT` or `PATCH …/Users/{id}`: the token and the User in one batch; a body is
/// judged after both.
async fn one_user(
    req: &mut Request,
    cx: &Ctx,
    key: &str,
    secret: Option<&TokenHash>,
    id: &str,
    base: &str,
) -> Handled {
    let app = cx.app();
    let method = req.method();
    let written = match method {
        Method::Get => {
            return match app.scim_user_for(key, secret, id).await {
                Ok((_, u)) => {
                    let query = Query::of_url(req);
                    let shown = project(
                        user_json(&u, base),
                        query.attributes.as_deref(),
                        query.excluded.as_deref(),
                    );
                    let mut response = scim_json(200, &shown)?;
                    response.headers_mut().set("etag", &user_version(&u))?;
                    Ok(response)
                }
                Err(e) => refusal(&e),
            }
        }
        Method::Put => {
            let body = json_body(req).await;
            let if_match = http::header(req, "if-match");
            app.replace_scim_user(key, secret, id, &body, if_match.as_deref())
                .await
        }
        _ => {
            let body = json_body(req).await;
            let if_match = http::header(req, "if-match");
            app.patch_scim_user(key, secret, id, &body, if_match.as_deref())
                .await
        }
    };
    match written {
        Ok(u) => user_response(200, &u, base),
        Err(e) => refusal(&e),
    }
}

/// `POST …/Users/.search` and `POST …/Groups/.search` (RFC 7644 §3.4.3): a body that
/// cannot be read is judged only after the token.
async fn search(
    req: &mut Request,
    cx: &Ctx,
    key: &str,
    secret: Option<&TokenHash>,
    base: &str,
    resource: Resource,
) -> Handled {
    match json_body(req).await {
        Ok(body) => list(cx, key, secret, base, resource, &Query::of_search(&body)).await,
        Err(e) => match cx.app().scim_client(key, secret).await {
            Ok(_) => refusal(&e),
            Err(refused) => refusal(&refused),
        },
    }
}

/// A refused SCIM operation's error body.
fn refusal(e: &ScimError) -> Handled {
    match e {
        ScimError::Unauthenticated => scim_error(
            401,
            None,
            "A provisioning token of this organization is required.",
        ),
        ScimError::PassInactive => scim_error(
            403,
            None,
            "The organization's single sign-on add-on is not in trial or active.",
        ),
        ScimError::InvalidFilter(d) => scim_error(400, Some("invalidFilter"), d),
        ScimError::InvalidSyntax(d) => scim_error(400, Some("invalidSyntax"), d),
        ScimError::InvalidValue(d) => scim_error(400, Some("invalidValue"), d),
        ScimError::Uniqueness(d) => scim_error(409, Some("uniqueness"), d),
        ScimError::NotConfigured => scim_error(
            400,
            None,
            "Configure SAML single sign-on for the organization before provisioning people.",
        ),
        ScimError::InvalidPath(d) => scim_error(400, Some("invalidPath"), d),
        ScimError::NoTarget(d) => scim_error(400, Some("noTarget"), d),
        ScimError::Mutability(d) => scim_error(400, Some("mutability"), d),
        ScimError::PreconditionFailed => scim_error(
            412,
            None,
            "The User has changed since the version named in If-Match.",
        ),
        ScimError::Conflict(d) => scim_error(409, None, d),
        ScimError::NotFound => scim_error(404, None, "No such resource."),
        ScimError::Unavailable(p) => {
            worker::console_error!("scim: {p}");
            scim_error(503, None, "The service is unavailable; try again.")
        }
    }
}

/// A `ListResponse` of every one of `resources`.
fn every(resources: Vec<Value>) -> Handled {
    let total = resources.len() as u64;
    list_response(total, 1, resources)
}

/// A `ListResponse`: one page of `total`, from `start_index`.
fn list_response(total: u64, start_index: u32, resources: Vec<Value>) -> Handled {
    scim_json(
        200,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

/// A User resource (RFC 7643 §4.1): one email, of type `work`.
fn user_json(u: &ScimUserRecord, base: &str) -> Value {
    let mut user = user_resource(u);
    user.insert("schemas".into(), json!([USER_SCHEMA]));
    user.insert("id".into(), u.id.clone().into());
    user.insert(
        "emails".into(),
        json!([{ "value": u.email.as_str(), "type": "work", "primary": true }]),
    );
    user.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": u.created_at.to_rfc3339(),
            "lastModified": u.updated_at.to_rfc3339(),
            "location": format!("{base}/Users/{}", u.id),
            "version": user_version(u),
        }),
    );
    Value::Object(user)
}

fn user_response(status: u16, u: &ScimUserRecord, base: &str) -> Handled {
    let mut response = scim_json(status, &user_json(u, base))?;
    response.headers_mut().set("etag", &user_version(u))?;
    if status == 201 {
        response
            .headers_mut()
            .set("location", &format!("{base}/Users/{}", u.id))?;
    }
    Ok(response)
}

/// What a query asks (RFC 7644 §3.4.2, §3.9): from the URL, or a `.search` body.
struct Query {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded: Option<String>,
}

impl Query {
    /// Whether the answer shows the top-level attribute `name`.
    fn wants(&self, name: &str) -> bool {
        let names = |list: &Option<String>| -> Vec<String> {
            list.as_deref()
                .unwrap_or_default()
                .split(',')
                .filter_map(|p| parse_path(p.trim()).ok())
                .map(|p| p.attr.name)
                .collect()
        };
        let attributes = names(&self.attributes);
        let named = |list: &[String]| list.iter().any(|n| n.eq_ignore_ascii_case(name));
        (attributes.is_empty() || named(&attributes)) && !named(&names(&self.excluded))
    }

    /// The URL's query parameters.
    fn of_url(req: &Request) -> Self {
        let q = |name| http::query(req, name);
        Self {
            filter: q("filter"),
            start_index: q("startIndex"),
            count: q("count"),
            attributes: q("attributes"),
            excluded: q("excludedAttributes"),
        }
    }

    /// A `SearchRequest` (RFC 7644 §3.4.3): the same parameters, as JSON.
    fn of_search(body: &Value) -> Self {
        let object = body.as_object();
        let get = |key: &str| object.and_then(|o| member(o, key));
        let text = |key: &str| {
            get(key).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let list = |key: &str| {
            get(key).map(|v| match v {
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Value::String(s) => s.clone(),
                _ => String::new(),
            })
        };
        Self {
            filter: text("filter"),
            start_index: text("startIndex"),
            count: text("count"),
            attributes: list("attributes"),
            excluded: list("excludedAttributes"),
        }
    }
}

/// `GET /scim/v2/{org}/Users?filter=…&startIndex=…&count=…` (and `Groups`), and
/// `POST …/.search`.
async fn list(
    cx: &Ctx,
    key: &str,
    secret: Option<&TokenHash>,
    base: &str,
    resource: Resource,
    query: &Query,
) -> Handled {
    let app = cx.app();
    let (filter, start, count) = (
        query.filter.as_deref(),
        query.start_index.as_deref(),
        query.count.as_deref(),
    );
    let page = match resource {
        Resource::Users => app
            .scim_users_page(key, secret, filter, start, count)
            .await
            .map(|p| {
                (
                    p.total,
                    p.start_index,
                    p.items.iter().map(|u| user_json(u, base)).collect(),
                )
            }),
        Resource::Groups => app
            .scim_groups_page(key, secret, filter, start, count, query.wants("members"))
            .await
            .map(|p| {
                (
                    p.total,
                    p.start_index,
                    p.items.iter().map(|g| group_json(g, base)).collect(),
                )
            }),
    };
    let (total, start_index, resources): (u64, u32, Vec<Value>) = match page {
        Ok(page) => page,
        Err(e) => return refusal(&e),
    };
    let resources = resources
        .into_iter()
        .map(|r| project(r, query.attributes.as_deref(), query.excluded.as_deref()))
        .collect();
    list_response(total, start_index, resources)
}

/// `attributes` and `excludedAttributes` (RFC 7644 §3.9): comma-separated attribute
/// paths (`name.givenName`, with or without the schema URI). `id` and `schemas` are
/// always returned; a path that does not parse is ignored.
fn project(resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let paths = |list: Option<&str>| -> Vec<(String, Option<String>)> {
        list.unwrap_or_default()
            .split(',')
            .filter_map(|p| parse_path(p.trim()).ok())
            .map(|p| (p.attr.name, p.attr.sub))
            .collect()
    };
    let Value::Object(mut resource) = resource else {
        return resource;
    };
    let always = |key: &str| key == "id" || key == "schemas";
    let wanted = paths(attributes);
    if !wanted.is_empty() {
        resource.retain(|key, value| {
            let subs: Vec<&String> = wanted
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case(key))
                .filter_map(|(_, sub)| sub.as_ref())
                .collect();
            let whole = wanted
                .iter()
                .any(|(name, sub)| name.eq_ignore_ascii_case(key) && sub.is_none());
            if always(key) || whole {
                return true;
            }
            if subs.is_empty() {
                return false;
            }
            if let Value::Object(inner) = value {
                inner.retain(|k, _| subs.iter().any(|s| s.eq_ignore_ascii_case(k)));
            }
            true
        });
    }
    for (name, sub) in paths(excluded) {
        let key = resource
            .keys()
            .find(|k| k.eq_ignore_ascii_case(&name))
            .cloned();
        let Some(key) = key.filter(|k| !always(k)) else {
            continue;
        };
        match sub {
            None => {
                resource.remove(&key);
            }
            Some(sub) => {
                if let Some(Value::Object(inner)) = resource.get_mut(&key) {
                    let k = inner.keys().find(|k| k.eq_ignore_ascii_case(&sub)).cloned();
                    if let Some(k) = k {
                        inner.remove(&k);
                    }
                }
            }
        }
    }
    Value::Object(resource)
}

/// `POST /scim/v2/{org}/Users`
async fn create_user(req: &mut Request, cx: &Ctx, client: &ScimClient, base: &str) -> Handled {
    let body = match json_body(req).await {
        Ok(body) => body,
        Err(e) => return refusal(&e),
    };
    match cx.app().create_scim_user(client, &body).await {
        Ok(user) => user_response(201, &user, base),
        Err(e) => refusal(&e),
    }
}

/// The request's JSON body (`application/scim+json` or `application/json`).
async fn json_body(req: &mut Request) -> Result<Value, ScimError> {
    let bytes = http::body(req, http::BODY_LIMIT)
        .await
        .map_err(|_| ScimError::InvalidSyntax("the body is too large or unreadable".to_owned()))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ScimError::InvalidSyntax(format!("the body is not JSON: {e}")))
}

/// A Group resource (RFC 7643 §4.2): its members are Users.
fn group_json(g: &ScimGroupRecord, base: &str) -> Value {
    let mut group = group_resource(g);
    group.insert("schemas".into(), json!([GROUP_SCHEMA]));
    group.insert("id".into(), g.id.clone().into());
    if let Some(Value::Array(members)) = group.get_mut("members") {
        for m in members.iter_mut() {
            if let Some(m) = m.as_object_mut() {
                let id = m.get("value").and_then(Value::as_str).unwrap_or_default();
                let uri = format!("{base}/Users/{id}");
                m.insert("$ref".into(), uri.into());
                m.insert("type".into(), "User".into());
            }
        }
    }
    group.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": g.created_at.to_rfc3339(),
            "lastModified": g.updated_at.to_rfc3339(),
            "location": format!("{base}/Groups/{}", g.id),
            "version": group_version(g),
        }),
    );
    Value::Object(group)
}

fn group_response(status: u16, g: &ScimGroupRecord, base: &str) -> Handled {
    let mut response = scim_json(status, &group_json(g, base))?;
    response.headers_mut().set("etag", &group_version(g))?;
    if status == 201 {
        response
            .headers_mut()
            .set("location", &format!("{base}/Groups/{}", g.id))?;
    }
    Ok(response)
}

/// `GET`, `PUT` or `PATCH …/Groups/{id}`: the token and the Group in one batch; a body
/// is judged after both.
async fn one_group(
    req: &mut Request,
    cx: &Ctx,
    key: &str,
    secret: Option<&TokenHash>,
    id: &str,
    base: &str,
) -> Handled {
    let app = cx.app();
    let written = match req.method() {
        Method::Get => {
            return match app.scim_group_for(key, secret, id).await {
                Ok((_, g)) => {
                    let query = Query::of_url(req);
                    let shown = project(
                        group_json(&g, base),
                        query.attributes.as_deref(),
                        query.excluded.as_deref(),
                    );
                    let mut response = scim_json(200, &shown)?;
                    response.headers_mut().set("etag", &group_version(&g))?;
                    Ok(response)
                }
                Err(e) => refusal(&e),
            }
        }
        Method::Put => {
            let body = json_body(req).await;
            let if_match = http::header(req, "if-match");
            app.replace_scim_group(key, secret, id, &body, if_match.as_deref())
                .await
        }
        _ => {
            let body = json_body(req).await;
            let if_match = http::header(req, "if-match");
            app.patch_scim_group(key, secret, id, &body, if_match.as_deref())
                .await
        }
    };
    match written {
        Ok(g) => group_response(200, &g, base),
        Err(e) => refusal(&e),
    }
}

/// `POST /scim/v2/{org}/Groups`
async fn create_group(req: &mut Request, cx: &Ctx, client: &ScimClient, base: &str) -> Handled {
    let body = match json_body(req).await {
        Ok(body) => body,
        Err(e) => return refusal(&e),
    };
    match cx.app().create_scim_group(client, &body).await {
        Ok(group) => group_response(201, &group, base),
        Err(e) => refusal(&e),
    }
}
