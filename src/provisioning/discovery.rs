//! The SCIM service's self-description (RFC 7644 §4, RFC 7643 §5–7):
//! `ServiceProviderConfig`, `ResourceTypes` and `Schemas`, as JSON. They say what
//! orgpass keeps of a User (`emails` is read-only, derived from `userName`) and of a
//! Group (its name, externalId and member Users).

use orgpass_app::scim::MAX_PAGE;
use orgpass_core::scim::{groups::GROUP_SCHEMA, users::USER_SCHEMA};
use serde_json::{json, Value};

const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// `GET …/ServiceProviderConfig`.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG_SCHEMA],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_PAGE },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Provisioning token",
            "description": "A provisioning token of the organization, sent as \
                            Authorization: Bearer <token>.",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

/// A resource type (RFC 7643 §6).
fn resource_type(base: &str, name: &str, schema: &str, description: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": format!("/{name}s"),
        "description": description,
        "schema": schema,
        "schemaExtensions": [],
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/{name}"),
        },
    })
}

/// The User resource type.
pub fn user_resource_type(base: &str) -> Value {
    resource_type(
        base,
        "User",
        USER_SCHEMA,
        "A managed account of the organization.",
    )
}

/// The Group resource type.
pub fn group_resource_type(base: &str) -> Value {
    resource_type(base, "Group", GROUP_SCHEMA, "A group of the organization.")
}

/// One attribute's definition (RFC 7643 §7); `extra` adds or overrides members.
fn attribute(name: &str, kind: &str, mutability: &str, description: &str, extra: Value) -> Value {
    let mut a = serde_json::Map::new();
    for (k, v) in [
        ("name", Value::from(name)),
        ("type", kind.into()),
        ("multiValued", false.into()),
        ("description", description.into()),
        ("required", false.into()),
        ("caseExact", false.into()),
        ("mutability", mutability.into()),
        ("returned", "default".into()),
        ("uniqueness", "none".into()),
    ] {
        a.insert(k.to_owned(), v);
    }
    if let Value::Object(extra) = extra {
        a.extend(extra);
    }
    Value::Object(a)
}

/// The User schema: the attributes orgpass keeps.
pub fn user_schema(base: &str) -> Value {
    let none = Value::Null;
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A managed account of the organization.",
        "attributes": [
            attribute(
                "userName",
                "string",
                "readWrite",
                "The person's email address, in a verified domain of the organization.",
                json!({ "required": true, "uniqueness": "server" }),
            ),
            attribute(
                "name",
                "complex",
                "readWrite",
                "The person's name.",
                json!({ "subAttributes": [
                    attribute("givenName", "string", "readWrite", "The given name.", none.clone()),
                    attribute("familyName", "string", "readWrite", "The family name.", none.clone()),
                ] }),
            ),
            attribute("displayName", "string", "readWrite", "The name shown.", none.clone()),
            attribute(
                "active",
                "boolean",
                "readWrite",
                "false ends the person's sessions and refuses their logins.",
                none.clone(),
            ),
            attribute(
                "emails",
                "complex",
                "readOnly",
                "The one email address: the userName.",
                json!({ "multiValued": true, "subAttributes": [
                    attribute("value", "string", "readOnly", "The email address.", none.clone()),
                    attribute("type", "string", "readOnly", "Always work.", json!({ "canonicalValues": ["work"] })),
                    attribute("primary", "boolean", "readOnly", "Always true.", none),
                ] }),
            ),
        ],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{USER_SCHEMA}"),
        },
    })
}

/// The Group schema: its name and its member Users.
pub fn group_schema(base: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group of the organization.",
        "attributes": [
            attribute(
                "displayName",
                "string",
                "readWrite",
                "The group's name, unique in the organization (case-insensitively).",
                json!({ "required": true, "uniqueness": "server" }),
            ),
            attribute(
                "members",
                "complex",
                "readWrite",
                "The Users in the group.",
                json!({ "multiValued": true, "subAttributes": [
                    attribute("value", "string", "immutable", "The User's id.", json!({ "caseExact": true })),
                    attribute("$ref", "reference", "immutable", "The User's URI.", json!({ "referenceTypes": ["User"] })),
                    attribute("type", "string", "immutable", "Always User.", json!({ "canonicalValues": ["User"] })),
                ] }),
            ),
        ],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{GROUP_SCHEMA}"),
        },
    })
}
