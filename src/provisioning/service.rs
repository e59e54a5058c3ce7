//! The IdP's SCIM 2.0 service at `/scim/v2/{org}` (RFC 7644): it answers in
//! `application/scim+json`, and every refusal with a SCIM error body (§3.12). A refusal
//! of an IdP whose token was accepted is also noted for the organization's
//! administrators (the Authentication tab lists the last ones).

use orgpass_app::{
    ports::{ScimGroupRecord, ScimUserRecord},
    scim::{group_version, user_version, ScimClient, ScimError},
};
use orgpass_core::{
    scim::{groups::GROUP_SCHEMA, users::USER_SCHEMA},
    SecretToken, TokenHash,
};
use serde_json::{json, Value};
use worker::{Method, Request};

use super::{
    discovery,
    resources::{group_json, project, user_json, Query},
};
use crate::web::{
    context::Ctx,
    http::{self, json_response, no_content},
    Handled,
};

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A SCIM answer: `value` as `application/scim+json`.
fn scim_json(status: u16, value: &Value) -> Handled {
    let mut response = json_response(status, value)?;
    response
        .headers_mut()
        .set("content-type", "application/scim+json; charset=utf-8")?;
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

/// One request to the service: who asks, for which organization, what.
struct Service<'a> {
    cx: &'a Ctx,
    key: &'a str,
    secret: Option<TokenHash>,
    /// `{BASE_URL}/scim/v2/{org}`.
    base: String,
    /// `PATCH /Users/acct_…`: what a noted refusal says was asked.
    request: String,
}

/// What a refused request is answered with: status, `scimType`, detail.
fn refusal_of(e: &ScimError) -> (u16, Option<&'static str>, &str) {
    match e {
        ScimError::Unauthenticated => (
            401,
            None,
            "A provisioning token of this organization is required.",
        ),
        ScimError::PassInactive => (
            403,
            None,
            "The organization's single sign-on add-on is not in trial or active.",
        ),
        ScimError::InvalidFilter(d) => (400, Some("invalidFilter"), d),
        ScimError::InvalidSyntax(d) => (400, Some("invalidSyntax"), d),
        ScimError::InvalidValue(d) => (400, Some("invalidValue"), d),
        ScimError::Uniqueness(d) => (409, Some("uniqueness"), d),
        ScimError::NotConfigured => (
            400,
            None,
            "Configure SAML single sign-on for the organization before provisioning people.",
        ),
        ScimError::InvalidPath(d) => (400, Some("invalidPath"), d),
        ScimError::NoTarget(d) => (400, Some("noTarget"), d),
        ScimError::Mutability(d) => (400, Some("mutability"), d),
        ScimError::PreconditionFailed => (
            412,
            None,
            "The resource has changed since the version named in If-Match.",
        ),
        ScimError::Conflict(d) => (409, None, d),
        ScimError::NotFound => (404, None, "No such resource."),
        ScimError::Unavailable(_) => (503, None, "The service is unavailable; try again."),
    }
}

impl Service<'_> {
    fn secret(&self) -> Option<&TokenHash> {
        self.secret.as_ref()
    }

    /// The answer to a refused request. Every refusal but 401, 403 and 503 comes after
    /// the token was accepted, and is noted for the administrators.
    async fn refuse(&self, e: &ScimError) -> Handled {
        if let ScimError::Unavailable(p) = e {
            worker::console_error!("scim: {p}");
        }
        let (status, scim_type, detail) = refusal_of(e);
        self.fail(status, scim_type, detail).await
    }

    /// A SCIM error body (RFC 7644 §3.12), noted unless it is 401, 403 or 503 (which an
    /// IdP without an accepted token, or a failing store, gets).
    async fn fail(&self, status: u16, scim_type: Option<&str>, detail: &str) -> Handled {
        if ![401, 403, 503].contains(&status) {
            let noted = self
                .cx
                .app()
                .note_scim_refusal(self.key, &self.request, status, scim_type, detail)
                .await;
            if let Err(e) = noted {
                worker::console_error!("scim: noting a refusal: {e}");
            }
        }
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
}

/// Every request under `/scim/v2/{org}/…`: the token first, then the resource. Reads
/// of a list and reads and writes of one resource take the token in their own batch;
/// everything else asks for the client first.
pub async fn service(req: &mut Request, cx: &Ctx, key: &str, rest: &[&str]) -> Handled {
    let s = Service {
        cx,
        key,
        secret: bearer(req).map(|s| s.hash()),
        base: format!("{}/scim/v2/{key}", cx.settings.base_url),
        request: format!("{} /{}", req.method(), rest.join("/")),
    };
    let resource = match rest.first() {
        Some(&"Users") => Some(Resource::Users),
        Some(&"Groups") => Some(Resource::Groups),
        _ => None,
    };
    match (resource, rest.get(1..).unwrap_or_default(), req.method()) {
        (Some(r), [], Method::Get) => return list(&s, r, &Query::of_url(req)).await,
        (Some(r), [".search"], Method::Post) => return search(req, &s, r).await,
        (Some(Resource::Users), [id], Method::Get | Method::Put | Method::Patch) => {
            return one_user(req, &s, id).await
        }
        (Some(Resource::Groups), [id], Method::Get | Method::Put | Method::Patch) => {
            return one_group(req, &s, id).await
        }
        _ => {}
    }
    let client = match cx.app().scim_client(key, s.secret()).await {
        Ok(client) => client,
        Err(e) => return s.refuse(&e).await,
    };
    let base = s.base.as_str();
    let schema = |id: &str| id.replace("%3A", ":").replace("%3a", ":");
    match (rest, req.method()) {
        (["ServiceProviderConfig"], Method::Get) => {
            scim_json(200, &discovery::service_provider_config(base))
        }
        (["ResourceTypes"], Method::Get) => every(vec![
            discovery::user_resource_type(base),
            discovery::group_resource_type(base),
        ]),
        (["ResourceTypes", "User"], Method::Get) => {
            scim_json(200, &discovery::user_resource_type(base))
        }
        (["ResourceTypes", "Group"], Method::Get) => {
            scim_json(200, &discovery::group_resource_type(base))
        }
        (["Schemas"], Method::Get) => every(vec![
            discovery::user_schema(base),
            discovery::group_schema(base),
        ]),
        (["Schemas", id], Method::Get) if schema(id) == USER_SCHEMA => {
            scim_json(200, &discovery::user_schema(base))
        }
        (["Schemas", id], Method::Get) if schema(id) == GROUP_SCHEMA => {
            scim_json(200, &discovery::group_schema(base))
        }
        // RFC 7644 §3.4.3: a server may decline to search every resource type at once.
        ([".search"], Method::Post) => {
            s.fail(
                501,
                None,
                "Search one resource type: POST /Users/.search or /Groups/.search.",
            )
            .await
        }
        (["Users"], Method::Post) => create(req, &s, &client, Resource::Users).await,
        (["Groups"], Method::Post) => create(req, &s, &client, Resource::Groups).await,
        (["Users", id], Method::Delete) => {
            answered(&s, cx.app().delete_scim_user(&client, id).await).await
        }
        (["Groups", id], Method::Delete) => {
            answered(&s, cx.app().delete_scim_group(&client, id).await).await
        }
        (
            ["ServiceProviderConfig" | "ResourceTypes" | "Schemas" | "Users" | "Groups" | ".search"]
            | ["Users" | "Groups", _],
            _,
        ) => s.fail(405, None, "That method is not allowed here.").await,
        _ => s.fail(404, None, "No such SCIM resource.").await,
    }
}

/// A DELETE's answer: 204, or the refusal.
async fn answered(s: &Service<'_>, result: Result<(), ScimError>) -> Handled {
    match result {
        Ok(()) => no_content(),
        Err(e) => s.refuse(&e).await,
    }
}

/// A User or Group answered with its `ETag` (and, when created, its `Location`).
fn resource_response(status: u16, resource: Value, version: &str) -> Handled {
    let location = resource
        .pointer("/meta/location")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut response = scim_json(status, &resource)?;
    response.headers_mut().set("etag", version)?;
    if let (201, Some(location)) = (status, location) {
        response.headers_mut().set("location", &location)?;
    }
    Ok(response)
}

fn user_response(status: u16, u: &ScimUserRecord, base: &str) -> Handled {
    resource_response(status, user_json(u, base), &user_version(u))
}

fn group_response(status: u16, g: &ScimGroupRecord, base: &str) -> Handled {
    resource_response(status, group_json(g, base), &group_version(g))
}

/// `GET`, `PUT` or `PATCH …/Users/{id}`: the token and the User in one batch; a body is
/// judged after both.
async fn one_user(req: &mut Request, s: &Service<'_>, id: &str) -> Handled {
    let (app, key, secret) = (s.cx.app(), s.key, s.secret());
    let written = match req.method() {
        Method::Get => {
            return match app.scim_user_for(key, secret, id).await {
                Ok((_, u)) => {
                    let query = Query::of_url(req);
                    let shown = project(
                        user_json(&u, &s.base),
                        query.attributes.as_deref(),
                        query.excluded.as_deref(),
                    );
                    resource_response(200, shown, &user_version(&u))
                }
                Err(e) => s.refuse(&e).await,
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
        Ok(u) => user_response(200, &u, &s.base),
        Err(e) => s.refuse(&e).await,
    }
}

/// `GET`, `PUT` or `PATCH …/Groups/{id}`: the token and the Group in one batch; a body
/// is judged after both.
async fn one_group(req: &mut Request, s: &Service<'_>, id: &str) -> Handled {
    let (app, key, secret) = (s.cx.app(), s.key, s.secret());
    let written = match req.method() {
        Method::Get => {
            return match app.scim_group_for(key, secret, id).await {
                Ok((_, g)) => {
                    let query = Query::of_url(req);
                    let shown = project(
                        group_json(&g, &s.base),
                        query.attributes.as_deref(),
                        query.excluded.as_deref(),
                    );
                    resource_response(200, shown, &group_version(&g))
                }
                Err(e) => s.refuse(&e).await,
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
        Ok(g) => group_response(200, &g, &s.base),
        Err(e) => s.refuse(&e).await,
    }
}

/// `POST …/Users` or `POST …/Groups`.
async fn create(req: &mut Request, s: &Service<'_>, client: &ScimClient, r: Resource) -> Handled {
    let body = match json_body(req).await {
        Ok(body) => body,
        Err(e) => return s.refuse(&e).await,
    };
    let app = s.cx.app();
    let created = match r {
        Resource::Users => app
            .create_scim_user(client, &body)
            .await
            .map(|u| user_response(201, &u, &s.base)),
        Resource::Groups => app
            .create_scim_group(client, &body)
            .await
            .map(|g| group_response(201, &g, &s.base)),
    };
    match created {
        Ok(response) => response,
        Err(e) => s.refuse(&e).await,
    }
}

/// `POST …/Users/.search` and `POST …/Groups/.search` (RFC 7644 §3.4.3): a body that
/// cannot be read is judged only after the token.
async fn search(req: &mut Request, s: &Service<'_>, resource: Resource) -> Handled {
    match json_body(req).await {
        Ok(body) => list(s, resource, &Query::of_search(&body)).await,
        Err(e) => match s.cx.app().scim_client(s.key, s.secret()).await {
            Ok(_) => s.refuse(&e).await,
            Err(refused) => s.refuse(&refused).await,
        },
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

/// `GET /scim/v2/{org}/Users?filter=…&startIndex=…&count=…` (and `Groups`), and
/// `POST …/.search`.
async fn list(s: &Service<'_>, resource: Resource, query: &Query) -> Handled {
    let (app, key, secret, base) = (s.cx.app(), s.key, s.secret(), s.base.as_str());
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
                let items = p.items.iter().map(|u| user_json(u, base)).collect();
                (p.total, p.start_index, items)
            }),
        Resource::Groups => app
            .scim_groups_page(key, secret, filter, start, count, query.wants("members"))
            .await
            .map(|p| {
                let items = p.items.iter().map(|g| group_json(g, base)).collect();
                (p.total, p.start_index, items)
            }),
    };
    let (total, start_index, resources): (u64, u32, Vec<Value>) = match page {
        Ok(page) => page,
        Err(e) => return s.refuse(&e).await,
    };
    let resources = resources
        .into_iter()
        .map(|r| project(r, query.attributes.as_deref(), query.excluded.as_deref()))
        .collect();
    list_response(total, start_index, resources)
}

/// The request's JSON body (`application/scim+json` or `application/json`).
async fn json_body(req: &mut Request) -> Result<Value, ScimError> {
    let bytes = http::body(req, http::BODY_LIMIT)
        .await
        .map_err(|_| ScimError::InvalidSyntax("the body is too large or unreadable".to_owned()))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ScimError::InvalidSyntax(format!("the body is not JSON: {e}")))
}
