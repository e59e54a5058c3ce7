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
//!
//! A multi-valued attribute of the [`Shape`] (a Group's `members`) is a list of objects
//! told apart by their `value`, changed element by element (RFC 7644 §3.5.2.1–3):
//! - `add` appends the elements whose `value` it does not hold yet;
//! - `replace` without a filter sets the whole list;
//! - `remove` with a value filter (`members[value eq "…"]`, as Okta sends it) drops the
//!   elements that match, and with a value list (`path: "members"`, `value: [{"value":
//!   "…"}]`, as Entra ID sends it) drops those values; without either it empties the list;
//! - `replace` with a value filter replaces the matching elements (or, with a
//!   sub-attribute, that sub-attribute of them); none matching is `noTarget`.
//!
//! Removing an element that is not there changes nothing and is not an error, so that an
//! IdP retrying a PATCH is answered the same way.

use serde_json::{Map, Value};

use super::{
    filter::{parse_path, AttrPath, CompareOp, Filter, Test, Value as Literal},
    users::member,
};

/// What a PATCH needs to know of a resource type.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// The core schema's URI: an attribute of another schema (an extension) is ignored.
    pub schema: &'static str,
    /// Attributes that may be named and are ignored (derived, or not kept), value
    /// filters included.
    pub ignored: &'static [&'static str],
    /// Multi-valued attributes of objects told apart by their `value`.
    pub multi_valued: &'static [&'static str],
}

impl Shape {
    fn ignores(&self, path: &AttrPath) -> bool {
        // Another schema's attribute (an extension) is ignored too.
        path.uri
            .as_deref()
            .is_some_and(|u| !u.eq_ignore_ascii_case(self.schema))
            || self
                .ignored
                .iter()
                .any(|a| path.name.eq_ignore_ascii_case(a))
    }

    fn is_multi_valued(&self, path: &AttrPath) -> bool {
        path.sub.is_none()
            && self
                .multi_valued
                .iter()
                .any(|a| path.name.eq_ignore_ascii_case(a))
    }
}

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

/// Applies the operations of `message` to `resource` (a JSON object) of the type
/// `shape`. Operations on the attributes it ignores are accepted and skipped, value
/// filters included; a value filter on an attribute that is not multi-valued is refused.
///
/// # Errors
/// [`PatchError`] for the first operation that cannot apply; `resource` is then in an
/// unspecified state and must be dropped.
pub fn apply(
    resource: &mut Map<String, Value>,
    message: &Value,
    shape: &Shape,
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
                    // Okta renames a Group with its id alongside: the read-only
                    // attributes of a value are ignored, as in a replace (§3.5.1).
                    if read_write(&path.attr).is_err() {
                        continue;
                    }
                    if op == Op::Add && shape.is_multi_valued(&path.attr) {
                        add_elements(resource, &path.attr, v)?;
                    } else {
                        set(resource, &path.attr, Some(v.clone()), shape)?;
                    }
                }
            }
            (Some(text), _) => {
                let path =
                    parse_path(text).map_err(|e| PatchError::Path(format!("{text}: {e}")))?;
                if shape.ignores(&path.attr) {
                    continue;
                }
                if let Some(filter) = &path.filter {
                    if !shape.is_multi_valued(&path.attr) {
                        return Err(PatchError::Path(format!(
                            "{text}: no value filter applies to this attribute"
                        )));
                    }
                    let value = match op {
                        Op::Remove => None,
                        Op::Add | Op::Replace => Some(value.ok_or_else(|| {
                            PatchError::Syntax(format!("{text}: add and replace need a value"))
                        })?),
                    };
                    change_matching(resource, &path.attr, filter, path.sub.as_deref(), value)
                        .map_err(|e| match e {
                            PatchError::NoTarget(_) => {
                                PatchError::NoTarget(format!("{text}: no element matches"))
                            }
                            other => other,
                        })?;
                    continue;
                }
                if shape.is_multi_valued(&path.attr) {
                    match (op, value) {
                        (Op::Add, Some(v)) => {
                            add_elements(resource, &path.attr, v)?;
                            continue;
                        }
                        (Op::Remove, Some(v)) => {
                            remove_elements(resource, &path.attr, v)?;
                            continue;
                        }
                        _ => {}
                    }
                }
                let value = match op {
                    Op::Remove => None,
                    Op::Add | Op::Replace => Some(value.cloned().ok_or_else(|| {
                        PatchError::Syntax(format!("{text}: add and replace need a value"))
                    })?),
                };
                set(resource, &path.attr, value, shape)?;
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
    shape: &Shape,
) -> Result<(), PatchError> {
    read_write(path)?;
    if shape.ignores(path) {
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

/// `mutability` for the attributes no client writes.
fn read_write(path: &AttrPath) -> Result<(), PatchError> {
    if ["id", "meta", "schemas"]
        .iter()
        .any(|a| path.name.eq_ignore_ascii_case(a))
    {
        return Err(PatchError::Mutability(format!("{path} cannot be changed")));
    }
    Ok(())
}

/// The elements of the multi-valued attribute at `path`, created empty if absent.
fn elements<'a>(
    resource: &'a mut Map<String, Value>,
    path: &AttrPath,
) -> Result<&'a mut Vec<Value>, PatchError> {
    read_write(path)?;
    let key = key_of(resource, &path.name);
    let list = resource
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()));
    if list.is_null() {
        *list = Value::Array(Vec::new());
    }
    match list {
        Value::Array(items) => Ok(items),
        _ => Err(PatchError::Path(format!("{path}: not a list"))),
    }
}

/// A value given for a multi-valued attribute: a list of objects, or one object.
fn given(path: &AttrPath, value: &Value) -> Result<Vec<Value>, PatchError> {
    let items = match value {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![value.clone()],
        _ => {
            return Err(PatchError::Syntax(format!(
                "{path}: the value must be a list of objects"
            )))
        }
    };
    if items.iter().all(Value::is_object) {
        Ok(items)
    } else {
        Err(PatchError::Syntax(format!(
            "{path}: the value must be a list of objects"
        )))
    }
}

/// An element's `value`.
fn value_of(element: &Value) -> Option<&Value> {
    element.as_object().and_then(|e| member(e, "value"))
}

fn add_elements(
    resource: &mut Map<String, Value>,
    path: &AttrPath,
    value: &Value,
) -> Result<(), PatchError> {
    let new = given(path, value)?;
    let list = elements(resource, path)?;
    for element in new {
        let held = value_of(&element).is_some_and(|v| list.iter().any(|e| value_of(e) == Some(v)));
        if !held {
            list.push(element);
        }
    }
    Ok(())
}

fn remove_elements(
    resource: &mut Map<String, Value>,
    path: &AttrPath,
    value: &Value,
) -> Result<(), PatchError> {
    let gone: Vec<Value> = given(path, value)?
        .iter()
        .filter_map(|e| value_of(e).cloned())
        .collect();
    elements(resource, path)?.retain(|e| value_of(e).is_none_or(|v| !gone.contains(v)));
    Ok(())
}

/// A `path[filter]` operation: `value` `None` removes (the elements, or their `sub`).
fn change_matching(
    resource: &mut Map<String, Value>,
    path: &AttrPath,
    filter: &Filter,
    sub: Option<&str>,
    value: Option<&Value>,
) -> Result<(), PatchError> {
    let list = elements(resource, path)?;
    let mut hits = Vec::new();
    for (i, element) in list.iter().enumerate() {
        if matches(element, filter)? {
            hits.push(i);
        }
    }
    match (value, sub) {
        (None, None) => {
            let mut i = 0;
            list.retain(|_| {
                i += 1;
                !hits.contains(&(i - 1))
            });
        }
        (None, Some(sub)) => {
            for &i in &hits {
                if let Some(Value::Object(e)) = list.get_mut(i) {
                    let k = key_of(e, sub);
                    e.remove(&k);
                }
            }
        }
        (Some(v), sub) => {
            if hits.is_empty() {
                return Err(PatchError::NoTarget(String::new()));
            }
            for &i in &hits {
                match (list.get_mut(i), sub) {
                    (Some(Value::Object(e)), Some(sub)) => {
                        let k = key_of(e, sub);
                        e.insert(k, v.clone());
                    }
                    (Some(slot), None) if v.is_object() => *slot = v.clone(),
                    _ => {
                        return Err(PatchError::Syntax(format!(
                            "{path}: the value must be an object"
                        )))
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether one element of a multi-valued attribute satisfies a value filter. Its
/// sub-attributes compare exactly (a member's `value` is an id).
fn matches(element: &Value, filter: &Filter) -> Result<bool, PatchError> {
    Ok(match filter {
        Filter::Attr(expr) => {
            if expr.path.uri.is_some() || expr.path.sub.is_some() {
                return Err(PatchError::Path(format!(
                    "{}: not a sub-attribute of the elements",
                    expr.path
                )));
            }
            let got = element.as_object().and_then(|e| member(e, &expr.path.name));
            match &expr.test {
                Test::Present => got.is_some_and(|v| v.as_str() != Some("")),
                Test::Compare(op, want) => compare(got, *op, want),
            }
        }
        Filter::Not(inner) => !matches(element, inner)?,
        Filter::And(a, b) => matches(element, a)? && matches(element, b)?,
        Filter::Or(a, b) => matches(element, a)? || matches(element, b)?,
        Filter::Value { attr, .. } => {
            return Err(PatchError::Path(format!(
                "{attr}[…]: value filters do not nest"
            )))
        }
    })
}

fn compare(got: Option<&Value>, op: CompareOp, want: &Literal) -> bool {
    match (got, want) {
        (None, Literal::Null) => op == CompareOp::Eq,
        (Some(_), Literal::Null) => op == CompareOp::Ne,
        (Some(Value::String(g)), Literal::String(w)) => match op {
            CompareOp::Eq => g == w,
            CompareOp::Ne => g != w,
            CompareOp::Co => g.contains(w.as_str()),
            CompareOp::Sw => g.starts_with(w.as_str()),
            CompareOp::Ew => g.ends_with(w.as_str()),
            CompareOp::Gt => g > w,
            CompareOp::Ge => g >= w,
            CompareOp::Lt => g < w,
            CompareOp::Le => g <= w,
        },
        (Some(Value::Bool(g)), Literal::Bool(w)) => match op {
            CompareOp::Eq => g == w,
            CompareOp::Ne => g != w,
            _ => false,
        },
        (Some(Value::Number(g)), Literal::Number(w)) => match op {
            CompareOp::Eq => g == w,
            CompareOp::Ne => g != w,
            _ => false,
        },
        // Absent, or of another type: only `ne` holds.
        _ => op == CompareOp::Ne,
    }
}
