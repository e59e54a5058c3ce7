//! A typed SCIM filter (`orgpass_core::scim::typed`) as a SQL `WHERE` clause whose every
//! value is a bound parameter: only column names and operators, given by the stores of
//! this room, are ever written into the SQL.

use orgpass_core::scim::{
    filter::CompareOp,
    typed::{Attribute, Kind, Typed},
};
use worker::wasm_bindgen::JsValue;

use crate::platform::d1::{int, text, time};

/// Where an attribute's values are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Column {
    /// One value per row: this expression.
    Plain(&'static str),
    /// Many values per row (a Group's members): `expr` over the rows of `within`, a
    /// correlated `SELECT 1 FROM … WHERE …` to which the test is added with `AND`. The
    /// test holds when it holds for one of them.
    Many {
        /// The subquery.
        within: &'static str,
        /// The value in it.
        expr: &'static str,
    },
}

/// `filter` as SQL over the columns `column` names; its values are appended to `args`
/// and named by their position there. Every test is 0 or 1, never NULL, so that `NOT`
/// of a missing attribute's test is true, as RFC 7644 reads it.
pub(crate) fn where_sql<A: Attribute>(
    filter: &Typed<A>,
    args: &mut Vec<JsValue>,
    column: &dyn Fn(A) -> Column,
) -> String {
    let mut bind = |value: JsValue| {
        args.push(value);
        format!("?{}", args.len())
    };
    let of = |attr: A, test: &dyn Fn(&str) -> String| match column(attr) {
        Column::Plain(c) => format!("COALESCE({}, 0)", test(c)),
        Column::Many { within, expr } => format!("EXISTS ({within} AND {})", test(expr)),
    };
    match filter {
        Typed::Present(attr) => match attr.kind() {
            Kind::Text { .. } => of(*attr, &|c| format!("{c} IS NOT NULL AND {c} <> ''")),
            Kind::Bool | Kind::Time => of(*attr, &|c| format!("{c} IS NOT NULL")),
        },
        Typed::Text(attr, op, value) => {
            let p = bind(text(value));
            of(*attr, &|c| match op {
                CompareOp::Eq => format!("{c} = {p}"),
                CompareOp::Ne => format!("{c} IS NULL OR {c} <> {p}"),
                CompareOp::Co => format!("instr({c}, {p}) > 0"),
                CompareOp::Sw => format!("substr({c}, 1, length({p})) = {p}"),
                CompareOp::Ew => {
                    format!(
                        "{c} IS NOT NULL AND (length({p}) = 0 OR substr({c}, -length({p})) = {p})"
                    )
                }
                CompareOp::Gt => format!("{c} > {p}"),
                CompareOp::Ge => format!("{c} >= {p}"),
                CompareOp::Lt => format!("{c} < {p}"),
                CompareOp::Le => format!("{c} <= {p}"),
            })
        }
        Typed::Bool(attr, equal, value) => {
            let p = bind(int(i64::from(*value)));
            if *equal {
                of(*attr, &|c| format!("{c} = {p}"))
            } else {
                of(*attr, &|c| format!("{c} IS NULL OR {c} <> {p}"))
            }
        }
        Typed::Time(attr, op, at) => {
            let p = bind(time(*at));
            let sign = match op {
                CompareOp::Eq => "=",
                CompareOp::Ne => "<>",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
                CompareOp::Lt => "<",
                // `co`, `sw` and `ew` are refused for times by the core.
                CompareOp::Le | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => "<=",
            };
            of(*attr, &|c| format!("{c} {sign} {p}"))
        }
        Typed::And(a, b) => {
            let a = where_sql(a, args, column);
            let b = where_sql(b, args, column);
            format!("({a} AND {b})")
        }
        Typed::Or(a, b) => {
            let a = where_sql(a, args, column);
            let b = where_sql(b, args, column);
            format!("({a} OR {b})")
        }
        Typed::Not(a) => format!("(NOT {})", where_sql(a, args, column)),
    }
}
