//! SCIM filters and PATCH paths (RFC 7644 §3.4.2.2 and §3.5.2), parsed into a tree the
//! edge compiles to parameterised SQL; nothing here is ever spliced into a statement.
//!
//! Written here rather than taken from crates.io: the one Rust crate for the grammar,
//! `scim-filter` 0.2, matches filters against serde values in memory (we need the tree,
//! to compile it), leaves its parser's types undocumented, and brings `nom`,
//! `rust_decimal`, `chrono` and `log` into a Worker whose size is budgeted
//! (docs/performance.md). The grammar is small: a recursive-descent parser over it is
//! this file.
//!
//! ```text
//! FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"   (and "(" FILTER ")")
//! valuePath = attrPath "[" valFilter "]"           (orgpass also takes a sub-attribute
//!                                                    test after it: emails[type eq "work"].value eq "…")
//! attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//! logExp    = FILTER SP ("and" / "or") SP FILTER   ("not" binds tightest, then "and", then "or")
//! compValue = false / null / true / number / string   (JSON)
//! attrPath  = [URI ":"] ATTRNAME *1subAttr
//! PATH      = attrPath / valuePath [subAttr]          (PATCH)
//! ```
//!
//! Operators and attribute names are case-insensitive (RFC 7643 §2.1); names are kept as
//! written and compared with [`AttrPath::is`]. A filter is at most [`MAX_LENGTH`] bytes
//! and [`MAX_DEPTH`] levels deep, so that a hostile one costs bounded CPU and stack.

use std::fmt;

/// The longest filter or path accepted, in bytes.
pub const MAX_LENGTH: usize = 2048;
/// The deepest nesting accepted (parentheses, `not`, value paths, each a level).
pub const MAX_DEPTH: usize = 16;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `path pr` or `path op value`.
    Attr(AttrExpr),
    /// `not (filter)`.
    Not(Box<Filter>),
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
    /// `attr[filter]`, optionally followed by a test of one sub-attribute of the same
    /// element (`emails[type eq "work"].value eq "x"`). Paths inside are relative to
    /// `attr`'s elements.
    Value {
        /// The multi-valued attribute.
        attr: AttrPath,
        /// What one of its elements must satisfy.
        filter: Box<Filter>,
        /// A further test of that same element's sub-attribute.
        then: Option<AttrExpr>,
    },
}

/// An attribute test.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrExpr {
    /// The attribute.
    pub path: AttrPath,
    /// The test.
    pub test: Test,
}

/// What an attribute test asks.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `pr`: the attribute has a non-empty value.
    Present,
    /// `op value`.
    Compare(CompareOp, Value),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `co` (contains)
    Co,
    /// `sw` (starts with)
    Sw,
    /// `ew` (ends with)
    Ew,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }
}

/// A comparison value (JSON).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string, unescaped.
    String(String),
}

/// `[URI ":"] ATTRNAME ["." subAttr]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URI, when written (`urn:ietf:params:scim:schemas:core:2.0:User`).
    pub uri: Option<String>,
    /// The attribute's name, as written.
    pub name: String,
    /// The sub-attribute's name, as written.
    pub sub: Option<String>,
}

impl AttrPath {
    /// Whether this path names `name` (and `sub`), case-insensitively, with no schema
    /// URI or with `uri`.
    #[must_use]
    pub fn is(&self, uri: &str, name: &str, sub: Option<&str>) -> bool {
        self.uri
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(uri))
            && self.name.eq_ignore_ascii_case(name)
            && match (&self.sub, sub) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A PATCH operation's `path`: `attrPath`, or `valuePath` with an optional sub-attribute
/// (`members[value eq "2819c223"]`, `emails[type eq "work"].value`, `name.givenName`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (with its sub-attribute when no filter is given).
    pub attr: AttrPath,
    /// Which elements of a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute of those elements.
    pub sub: Option<String>,
}

/// Why a filter or path was refused: what was expected, and the byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The byte offset in the input.
    pub at: usize,
    /// What was wrong there.
    pub message: &'static str,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.at)
    }
}

/// Parses a filter.
///
/// # Errors
/// A [`SyntaxError`] naming the first thing wrong.
pub fn parse(input: &str) -> Result<Filter, SyntaxError> {
    let mut p = Parser::new(input)?;
    let filter = p.or(0)?;
    p.end()?;
    Ok(filter)
}

/// Parses a PATCH path.
///
/// # Errors
/// A [`SyntaxError`] naming the first thing wrong.
pub fn parse_path(input: &str) -> Result<PatchPath, SyntaxError> {
    let mut p = Parser::new(input)?;
    p.skip_space();
    let attr = p.attr_path()?;
    let mut path = PatchPath {
        attr,
        filter: None,
        sub: None,
    };
    if p.peek() == Some(b'[') {
        if path.attr.sub.is_some() {
            return Err(p.error("a value filter follows an attribute, not a sub-attribute"));
        }
        p.pos += 1;
        path.filter = Some(p.or(1)?);
        p.skip_space();
        p.expect(b']')?;
        if p.eat(b'.') {
            path.sub = Some(p.name()?.to_owned());
        }
    }
    p.end()?;
    Ok(path)
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Self, SyntaxError> {
        if src.len() > MAX_LENGTH {
            return Err(SyntaxError {
                at: MAX_LENGTH,
                message: "the filter is too long",
            });
        }
        Ok(Self { src, pos: 0 })
    }

    fn error(&self, message: &'static str) -> SyntaxError {
        SyntaxError {
            at: self.pos,
            message,
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<u8> {
        self.rest().bytes().next()
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), SyntaxError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error(match byte {
                b')' => "expected ')'",
                b']' => "expected ']'",
                _ => "expected '('",
            }))
        }
    }

    fn end(&mut self) -> Result<(), SyntaxError> {
        self.skip_space();
        if self.pos == self.src.len() {
            Ok(())
        } else {
            Err(self.error("unexpected text after the filter"))
        }
    }

    /// The next word (letters, digits, `-`, `_`, `.`, `:`, `$`), not consumed.
    fn word(&self) -> &'a str {
        let rest = self.rest();
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || b"-_.:$".contains(b))
            .count();
        rest.get(..len).unwrap_or("")
    }

    /// Consumes the keyword `kw` (case-insensitive) when it is the next whole word.
    fn keyword(&mut self, kw: &str) -> bool {
        if self.word().eq_ignore_ascii_case(kw) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        let mut left = self.and(depth)?;
        loop {
            self.skip_space();
            let mark = self.pos;
            if self.keyword("or") && self.space_follows() {
                let right = self.and(depth)?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = mark;
                return Ok(left);
            }
        }
    }

    fn and(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        let mut left = self.unary(depth)?;
        loop {
            self.skip_space();
            let mark = self.pos;
            if self.keyword("and") && self.space_follows() {
                let right = self.unary(depth)?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = mark;
                return Ok(left);
            }
        }
    }

    fn space_follows(&self) -> bool {
        matches!(self.peek(), Some(b' ' | b'\t'))
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("the filter nests too deeply"));
        }
        self.skip_space();
        let mark = self.pos;
        if self.keyword("not") {
            self.skip_space();
            if self.peek() == Some(b'(') {
                let inner = self.group(depth + 1)?;
                return Ok(Filter::Not(Box::new(inner)));
            }
            // An attribute named "not…" is a path, not the operator.
            self.pos = mark;
        }
        if self.peek() == Some(b'(') {
            return self.group(depth + 1);
        }
        let path = self.attr_path()?;
        if self.peek() == Some(b'[') {
            if path.sub.is_some() {
                return Err(self.error("a value filter follows an attribute, not a sub-attribute"));
            }
            self.pos += 1;
            let filter = self.or(depth + 1)?;
            self.skip_space();
            self.expect(b']')?;
            let then = if self.eat(b'.') {
                let sub = self.name()?.to_owned();
                let test = self.test()?;
                Some(AttrExpr {
                    path: AttrPath {
                        uri: None,
                        name: sub,
                        sub: None,
                    },
                    test,
                })
            } else {
                None
            };
            return Ok(Filter::Value {
                attr: path,
                filter: Box::new(filter),
                then,
            });
        }
        let test = self.test()?;
        Ok(Filter::Attr(AttrExpr { path, test }))
    }

    fn group(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        self.expect(b'(')?;
        let inner = self.or(depth)?;
        self.skip_space();
        self.expect(b')')?;
        Ok(inner)
    }

    /// ` pr` or ` op value` after a path.
    fn test(&mut self) -> Result<Test, SyntaxError> {
        if !self.space_follows() {
            return Err(self.error("expected an operator after the attribute"));
        }
        self.skip_space();
        let word = self.word();
        if word.eq_ignore_ascii_case("pr") {
            self.pos += word.len();
            return Ok(Test::Present);
        }
        let op = CompareOp::parse(word).ok_or_else(|| self.error("expected an operator"))?;
        self.pos += word.len();
        if !self.space_follows() {
            return Err(self.error("expected a value after the operator"));
        }
        self.skip_space();
        Ok(Test::Compare(op, self.value()?))
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        let rest = self.rest();
        if rest.starts_with('"') {
            let len = json_string_len(rest).ok_or_else(|| self.error("unterminated string"))?;
            let text = rest.get(..len).unwrap_or("");
            let value: String =
                serde_json::from_str(text).map_err(|_| self.error("invalid string escape"))?;
            self.pos += len;
            return Ok(Value::String(value));
        }
        let word = self.word();
        let value = if word.eq_ignore_ascii_case("true") {
            Value::Bool(true)
        } else if word.eq_ignore_ascii_case("false") {
            Value::Bool(false)
        } else if word.eq_ignore_ascii_case("null") {
            Value::Null
        } else {
            let len = rest
                .bytes()
                .take_while(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
                .count();
            let number = rest.get(..len).unwrap_or("");
            let parsed = serde_json::from_str::<serde_json::Number>(number).map_err(|_| {
                self.error("expected a value (a string, number, true, false or null)")
            })?;
            self.pos += len;
            return Ok(Value::Number(parsed));
        };
        self.pos += word.len();
        Ok(value)
    }

    /// `ATTRNAME = ALPHA *(ALPHA / DIGIT / "-" / "_" / "$")` ("$ref" is one).
    fn name(&mut self) -> Result<&'a str, SyntaxError> {
        let rest = self.rest();
        let first = rest.bytes().next();
        if !first.is_some_and(|b| b.is_ascii_alphabetic() || b == b'$') {
            return Err(self.error("expected an attribute name"));
        }
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || b"-_$".contains(b))
            .count();
        self.pos += len;
        Ok(rest.get(..len).unwrap_or(""))
    }

    /// `[URI ":"] ATTRNAME ["." subAttr]`. A URI is recognised by its `urn:` prefix and
    /// ends at its last `:` (`urn:…:2.0:User:name.givenName`).
    fn attr_path(&mut self) -> Result<AttrPath, SyntaxError> {
        let word = self.word();
        let uri = if word.len() > 4
            && word
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        {
            let cut = word.rfind(':').unwrap_or(0);
            let uri = word.get(..cut).unwrap_or("").to_owned();
            self.pos += cut + 1;
            Some(uri)
        } else {
            None
        };
        let name = self.name()?.to_owned();
        let sub = if self.eat(b'.') {
            Some(self.name()?.to_owned())
        } else {
            None
        };
        Ok(AttrPath { uri, name, sub })
    }
}

/// The length of the JSON string at the start of `s` (quotes included), if it ends.
fn json_string_len(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match (escaped, b) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return Some(i + 1),
            _ => {}
        }
    }
    None
}
