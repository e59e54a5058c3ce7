//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON: the use case reads the
//! resource, applies the operations here, checks the result as it would a replace
//! (PUT), and writes it with a compare-and-set on the version it read.
//!
//! Operation names, attribute names and the message's keys are compared
//! case-insensitively (Entra ID writes `Replace`, `Operations`). Paths are the PATCH
//! grammar of [`super::filter::parse_path`]. Attributes a resource does not keep (an
//! enterprise extension, `title`, `emails` of a User, whose one email is its userName)
//! may be set and are then ignored by the resource's check, as IdPs send them whatever
//! the schema says.

use serde_json::{Map, Value};

use super::{
    filter::{parse_path, AttrPath},
    users::member,
};

/// The PatchOp message's schema.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Why a PATCH was refused, with RFC 7644's `scimType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchError {
    /// `invalidSyntax`: not a PatchOp message, or an operation without what it needs.
    Syntax(String),
    /// `invalidPath`: a path that does not parse or names nothing we can change.
    Path(String),
    /// `noTarget`: `remove` without a path.
    NoTarget(String),
    /// `mutability`: a read-only attribute (`id`, `meta`, `schemas`).
    Mutability(String),
}

/// The most operations one PATCH may carry.
pub const MAX_OPERATIONS: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Applies the operations of `message` to `resource` (a JSON object). Operations on the
/// attributes named in `ignored` (which the resource derives or does not keep) are
/// accepted and skipped, value filters included; any other value filter is refused.
///
/// # Errors
/// [`PatchError`] for the first operation that cannot apply; `resource` is then in an
/// unspecified state and must be dropped.
pub fn apply(
    resource: &mut Map<String, Value>,
    message: &Value,
    ignored: &[&str],
) -> Result<(), PatchError> {
    let message = message
        .as_object()
        .ok_or_else(|| PatchError::Syntax("the body must be a PatchOp message".to_owned()))?;
    let operations = member(message, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| PatchError::Syntax("Operations must be a list".to_owned()))?;
    if operations.is_empty() || operations.len() > MAX_OPERATIONS {
        return Err(PatchError::Syntax(format!(
            "a PATCH carries 1 to {MAX_OPERATIONS} operations"
        )));
    }
    for operation in operations {
        let operation = operation
            .as_object()
            .ok_or_else(|| PatchError::Syntax("an operation must be an object".to_owned()))?;
        let op = match member(operation, "op").and_then(Value::as_str) {
            Some(o) if o.eq_ignore_ascii_case("add") => Op::Add,
            Some(o) if o.eq_ignore_ascii_case("replace") => Op::Replace,
            Some(o) if o.eq_ignore_ascii_case("remove") => Op::Remove,
            _ => {
                return Err(PatchError::Syntax(
                    "op must be add, replace or remove".to_owned(),
                ))
            }
        };
        let path = member(operation, "path").and_then(Value::as_str);
        let value = member(operation, "value");
        match (path, op) {
            (None, Op::Remove) => {
                return Err(PatchError::NoTarget("remove needs a path".to_owned()))
            }
            (None, Op::Add | Op::Replace) => {
                let Some(Value::Object(fields)) = value else {
                    return Err(PatchError::Syntax(
                        "without a path, the value must be an object of attributes".to_owned(),
                    ));
                };
                for (key, v) in fields {
                    // A key may be an attribute path itself (Entra: "name.givenName").
                    let path =
                        parse_path(key).map_err(|e| PatchError::Path(format!("{key}: {e}")))?;
                    set(resource, &path.attr, Some(v.clone()), ignored)?;
                }
            }
            (Some(text), _) => {
                let path =
                    parse_path(text).map_err(|e| PatchError::Path(format!("{text}: {e}")))?;
                if path.filter.is_some() {
                    if ignored
                        .iter()
                        .any(|a| path.attr.name.eq_ignore_ascii_case(a))
                    {
                        continue;
                    }
                    return Err(PatchError::Path(format!(
                        "{text}: no value filter applies to this attribute"
                    )));
                }
                let value = match op {
                    Op::Remove => None,
                    Op::Add | Op::Replace => Some(value.cloned().ok_or_else(|| {
                        PatchError::Syntax(format!("{text}: add and replace need a value"))
                    })?),
                };
                set(resource, &path.attr, value, ignored)?;
            }
        }
    }
    Ok(())
}

/// The key of `object` equal to `name` case-insensitively, else `name`.
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// Sets (or with `None` removes) the attribute at `path`.
fn set(
    resource: &mut Map<String, Value>,
    path: &AttrPath,
    value: Option<Value>,
    ignored: &[&str],
) -> Result<(), PatchError> {
    if ["id", "meta", "schemas"]
        .iter()
        .any(|a| path.name.eq_ignore_ascii_case(a))
    {
        return Err(PatchError::Mutability(format!("{path} cannot be changed")));
    }
    // Another schema's attribute (an extension): kept aside under its URI, ignored.
    if path
        .uri
        .as_deref()
        .is_some_and(|u| !u.eq_ignore_ascii_case(super::users::USER_SCHEMA))
    {
        return Ok(());
    }
    if ignored.iter().any(|a| path.name.eq_ignore_ascii_case(a)) {
        return Ok(());
    }
    let key = key_of(resource, &path.name);
    match (&path.sub, value) {
        (None, Some(v)) => {
            resource.insert(key, v);
        }
        (None, None) => {
            resource.remove(&key);
        }
        (Some(sub), value) => {
            let parent = resource
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            if parent.is_null() {
                *parent = Value::Object(Map::new());
            }
            let Value::Object(parent) = parent else {
                return Err(PatchError::Path(format!(
                    "{path}: its parent is not complex"
                )));
            };
            let sub_key = key_of(parent, sub);
            match value {
                Some(v) => {
                    parent.insert(sub_key, v);
                }
                None => {
                    parent.remove(&sub_key);
                }
            }
        }
    }
    Ok(())
}
