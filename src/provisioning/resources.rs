//! What the SCIM service answers with and is asked: the User and Group resources as
//! JSON (RFC 7643 §4), a query's parameters from the URL or a `.search` body (RFC 7644
//! §3.4.2–3), and the attribute selection that shapes an answer (§3.9).

use orgpass_app::{
    ports::{ScimGroupRecord, ScimUserRecord},
    scim::{group_resource, group_version, user_resource, user_version},
};
use orgpass_core::scim::{
    filter::parse_path,
    groups::GROUP_SCHEMA,
    users::{member, USER_SCHEMA},
};
use serde_json::{json, Value};
use worker::Request;

use crate::web::http;

/// A User resource (RFC 7643 §4.1): one email, of type `work`.
pub(super) fn user_json(u: &ScimUserRecord, base: &str) -> Value {
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

/// A Group resource (RFC 7643 §4.2): its members are Users.
pub(super) fn group_json(g: &ScimGroupRecord, base: &str) -> Value {
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

/// What a query asks (RFC 7644 §3.4.2, §3.9): from the URL, or a `.search` body.
pub(super) struct Query {
    pub(super) filter: Option<String>,
    pub(super) start_index: Option<String>,
    pub(super) count: Option<String>,
    pub(super) attributes: Option<String>,
    pub(super) excluded: Option<String>,
}

impl Query {
    /// Whether the answer shows the top-level attribute `name`.
    pub(super) fn wants(&self, name: &str) -> bool {
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
    pub(super) fn of_url(req: &Request) -> Self {
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
    pub(super) fn of_search(body: &Value) -> Self {
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

/// `attributes` and `excludedAttributes` (RFC 7644 §3.9): comma-separated attribute
/// paths (`name.givenName`, with or without the schema URI). `id` and `schemas` are
/// always returned; a path that does not parse is ignored.
pub(super) fn project(resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
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
