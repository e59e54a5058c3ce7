//! Filters resolved against one resource type's attributes, with their types checked
//! (RFC 7644 §3.4.2.2), so that the edge only maps attributes to columns and every
//! refusal is `invalidFilter` from here. A resource type names its attributes
//! ([`Attribute`]) and how a path resolves to one; [`resolve`] does the rest.
//!
//! A value filter (`emails[type eq "work"]`, `members[value eq "…"]`) becomes its
//! conditions on the multi-valued attribute's sub-attributes, joined by `and`: each
//! condition holds for some element. For a User's one email that is exact; for a
//! Group's members, `members[value eq "a" and value eq "b"]` asks for both members.

use super::filter::{AttrExpr, AttrPath, CompareOp, Filter, Test, Value};
use crate::Timestamp;

/// What kind of value an attribute holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string; `case_exact` false compares case-insensitively.
    Text {
        /// RFC 7643's `caseExact`.
        case_exact: bool,
    },
    /// A boolean.
    Bool,
    /// A dateTime.
    Time,
}

/// A filterable attribute of a resource type.
pub trait Attribute: Copy {
    /// The attribute's kind.
    fn kind(self) -> Kind;
}

/// A filter over one resource type's attributes `A`, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed<A> {
    /// The attribute has a non-empty value.
    Present(A),
    /// A string comparison; the value is lower-cased when the attribute is not
    /// case-exact.
    Text(A, CompareOp, String),
    /// `eq` (true) or `ne` (false) of a boolean.
    Bool(A, bool, bool),
    /// A comparison of times (no `co`, `sw`, `ew`).
    Time(A, CompareOp, Timestamp),
    /// Both.
    And(Box<Self>, Box<Self>),
    /// Either.
    Or(Box<Self>, Box<Self>),
    /// Not.
    Not(Box<Self>),
}

/// Why a filter was refused (RFC 7644 `invalidFilter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

/// Resolves a parsed filter over the resource type `what` (`"Users"`): `attr_of` names
/// the attribute of a path, given the multi-valued attribute whose value filter it is
/// inside (`None` at the top).
///
/// # Errors
/// [`FilterError`]: an unknown attribute, or an operator or value that does not fit the
/// attribute's type.
pub fn resolve<A: Attribute>(
    f: &Filter,
    what: &str,
    attr_of: &dyn Fn(&AttrPath, Option<&AttrPath>) -> Option<A>,
) -> Result<Typed<A>, FilterError> {
    within(f, what, attr_of, None)
}

fn within<A: Attribute>(
    f: &Filter,
    what: &str,
    attr_of: &dyn Fn(&AttrPath, Option<&AttrPath>) -> Option<A>,
    parent: Option<&AttrPath>,
) -> Result<Typed<A>, FilterError> {
    let attr = |path: &AttrPath, parent: Option<&AttrPath>| {
        attr_of(path, parent).ok_or_else(|| {
            let shown = parent.map_or_else(|| path.to_string(), |p| format!("{p}[{path}]"));
            FilterError(format!(
                "\"{shown}\" is not an attribute one can filter {what} by"
            ))
        })
    };
    let again = |g: &Filter| within(g, what, attr_of, parent);
    Ok(match f {
        Filter::Attr(expr) => test(attr(&expr.path, parent)?, expr)?,
        Filter::Not(inner) => Typed::Not(Box::new(again(inner)?)),
        Filter::And(a, b) => Typed::And(Box::new(again(a)?), Box::new(again(b)?)),
        Filter::Or(a, b) => Typed::Or(Box::new(again(a)?), Box::new(again(b)?)),
        Filter::Value {
            attr: outer,
            filter,
            then,
        } => {
            if parent.is_some() {
                return Err(FilterError(format!(
                    "\"{outer}[…]\": value filters do not nest"
                )));
            }
            let inner = within(filter, what, attr_of, Some(outer))?;
            match then {
                None => inner,
                Some(expr) => Typed::And(
                    Box::new(inner),
                    Box::new(test(attr(&expr.path, Some(outer))?, expr)?),
                ),
            }
        }
    })
}

/// `expr`'s test of `attr`, checked against the attribute's kind.
fn test<A: Attribute>(attr: A, expr: &AttrExpr) -> Result<Typed<A>, FilterError> {
    let (op, value) = match &expr.test {
        Test::Present => return Ok(Typed::Present(attr)),
        Test::Compare(op, value) => (*op, value),
    };
    let misfit = || {
        FilterError(format!(
            "\"{}\" cannot be compared that way with that value",
            expr.path
        ))
    };
    // `eq null` asks for absence, `ne null` for presence (RFC 7644 §3.4.2.2).
    if *value == Value::Null {
        return match op {
            CompareOp::Eq => Ok(Typed::Not(Box::new(Typed::Present(attr)))),
            CompareOp::Ne => Ok(Typed::Present(attr)),
            _ => Err(misfit()),
        };
    }
    match (attr.kind(), value) {
        (Kind::Text { case_exact }, Value::String(s)) => {
            let s = if case_exact {
                s.clone()
            } else {
                s.to_lowercase()
            };
            Ok(Typed::Text(attr, op, s))
        }
        (Kind::Bool, Value::Bool(_) | Value::String(_)) => {
            // Entra ID writes booleans as strings ("True", "False").
            let b = match value {
                Value::Bool(b) => *b,
                Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Err(misfit()),
            };
            match op {
                CompareOp::Eq => Ok(Typed::Bool(attr, true, b)),
                CompareOp::Ne => Ok(Typed::Bool(attr, false, b)),
                _ => Err(misfit()),
            }
        }
        (Kind::Time, Value::String(s)) => {
            let at = Timestamp::parse_rfc3339(s).ok_or_else(misfit)?;
            match op {
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => Err(misfit()),
                _ => Ok(Typed::Time(attr, op, at)),
            }
        }
        _ => Err(misfit()),
    }
}
