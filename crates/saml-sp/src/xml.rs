//! One XML tree, parsed once, keeping exactly what canonicalization needs: elements
//! with their resolved namespaces, attributes and namespace declarations, text,
//! comments and processing instructions.
//!
//! Built on `quick-xml`'s event reader; namespaces are resolved here (the canonicalizer
//! needs the declarations themselves, not only the resolved names). Refused: DOCTYPE
//! (so no entity can be declared, hence no billion laughs), entity references other
//! than the five predefined ones and character references, more than one root,
//! non-whitespace text outside the root, duplicate attributes (by namespace and local
//! name), undeclared prefixes, documents over [`MAX_BYTES`] or deeper than [`MAX_DEPTH`].
//!
//! This runs on anything anyone posts to the ACS, before any signature is checked, so
//! every step is linear in the input and bounded: at most [`MAX_ATTRIBUTES`] attributes
//! and declarations per element, [`MAX_NODES`] nodes, [`MAX_TEXT_BYTES`] of text and
//! values; duplicate attributes are found with hash sets, and prefixes resolve through
//! a per-prefix stack of the declarations in scope (pushed when an element opens,
//! popped when it closes) rather than by walking up the tree.

use quick_xml::{
    events::{BytesStart, Event},
    Reader,
};

use super::SamlError;

/// The largest document accepted (the ACS takes 256 KiB bodies; base64 only grows).
pub const MAX_BYTES: usize = 256 * 1024;
/// The deepest element nesting accepted (real SAML responses nest about 8 deep).
pub const MAX_DEPTH: usize = 64;
/// The most attributes plus namespace declarations on one element (real ones carry
/// under 15).
pub const MAX_ATTRIBUTES: usize = 64;
/// The most nodes (elements, text, comments, processing instructions) in a document:
/// room for thousands of attribute values, far below what 256 KiB of `<a/>` holds.
pub const MAX_NODES: usize = 16_384;
/// The most text and attribute-value bytes in all (references may expand, never past
/// this).
pub const MAX_TEXT_BYTES: usize = MAX_BYTES;

/// The namespace the `xml` prefix is bound to, always.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Index of a node in its [`Document`].
pub type NodeId = usize;

/// A namespace-qualified name as written and as resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The prefix as written (`None` for an unprefixed name).
    pub prefix: Option<String>,
    /// The local part.
    pub local: String,
    /// The namespace URI the prefix (or the default namespace) resolved to.
    pub ns: Option<String>,
}

impl Name {
    /// Whether this is `{ns}local`.
    #[must_use]
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }
}

/// An attribute (namespace declarations are kept apart, in [`Element::ns_decls`]).
#[derive(Debug, Clone)]
pub struct Attribute {
    /// Its name.
    pub name: Name,
    /// Its value, references resolved and whitespace normalised as XML 1.0 says.
    pub value: String,
}

/// A namespace declaration: `xmlns="uri"` (prefix `None`) or `xmlns:p="uri"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsDecl {
    /// The prefix declared, `None` for the default namespace.
    pub prefix: Option<String>,
    /// The URI; empty only for `xmlns=""`.
    pub uri: String,
}

/// An element.
#[derive(Debug, Clone)]
pub struct Element {
    /// Its name.
    pub name: Name,
    /// Its attributes in document order.
    pub attributes: Vec<Attribute>,
    /// The namespace declarations written on it.
    pub ns_decls: Vec<NsDecl>,
    /// Its children in document order.
    pub children: Vec<NodeId>,
    /// Its parent element (`None` for the root).
    pub parent: Option<NodeId>,
}

/// A node of the tree.
#[derive(Debug, Clone)]
pub enum Node {
    /// An element.
    Element(Element),
    /// Character data (CDATA sections included, as canonical XML wants).
    Text(String),
    /// A comment's text.
    Comment(String),
    /// A processing instruction.
    Pi {
        /// Its target.
        target: String,
        /// What follows the target, leading whitespace removed.
        data: String,
    },
}

/// A parsed document: its nodes and its one root element.
#[derive(Debug, Clone)]
pub struct Document {
    nodes: Vec<Node>,
    root: NodeId,
}

impl Document {
    /// Parses `input` (UTF-8).
    ///
    /// # Errors
    /// The [`SamlError`] naming what is refused (see the module documentation).
    pub fn parse(input: &[u8]) -> Result<Self, SamlError> {
        if input.len() > MAX_BYTES {
            return Err(SamlError::TooLarge);
        }
        let text = std::str::from_utf8(input).map_err(|_| SamlError::NotUtf8)?;
        // XML 1.0 §2.11: line ends are normalised before parsing.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        Parser::default().run(&text)
    }

    /// The root element.
    #[must_use]
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// The node `id`.
    #[must_use]
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The element `id`, if it is one.
    #[must_use]
    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match self.nodes.get(id) {
            Some(Node::Element(e)) => Some(e),
            _ => None,
        }
    }

    /// The child elements of `id`, in order.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = (NodeId, &Element)> {
        self.element(id)
            .map(|e| e.children.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|&c| self.element(c).map(|e| (c, e)))
    }

    /// The child elements of `id` named `{ns}local`.
    pub fn children_named<'a>(
        &'a self,
        id: NodeId,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.child_elements(id)
            .filter(move |(_, e)| e.name.is(ns, local))
            .map(|(c, _)| c)
    }

    /// The value of the attribute `local` (in no namespace) of element `id`.
    #[must_use]
    pub fn attr(&self, id: NodeId, local: &str) -> Option<&str> {
        self.element(id)?
            .attributes
            .iter()
            .find(|a| a.name.ns.is_none() && a.name.local == local)
            .map(|a| a.value.as_str())
    }

    /// The concatenation of every text node under `id`, in document order. Comments
    /// and processing instructions are skipped, never a place where text stops:
    /// `admin@example.com<!---->.evil.com` reads as the whole of it.
    #[must_use]
    pub fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        self.collect_text(id, &mut out);
        out
    }

    fn collect_text(&self, id: NodeId, out: &mut String) {
        match self.nodes.get(id) {
            Some(Node::Text(t)) => out.push_str(t),
            Some(Node::Element(e)) => {
                for &c in &e.children {
                    self.collect_text(c, out);
                }
            }
            _ => {}
        }
    }

    /// Every element of the document in document order (the root first).
    pub fn elements(&self) -> impl Iterator<Item = (NodeId, &Element)> {
        self.nodes.iter().enumerate().filter_map(|(i, n)| match n {
            Node::Element(e) => Some((i, e)),
            _ => None,
        })
    }

    /// Whether `id` is `ancestor` or lies inside it.
    #[must_use]
    pub fn is_within(&self, mut id: NodeId, ancestor: NodeId) -> bool {
        loop {
            if id == ancestor {
                return true;
            }
            match self.element(id).and_then(|e| e.parent) {
                Some(p) => id = p,
                None => return false,
            }
        }
    }
}

#[derive(Default)]
struct Parser {
    nodes: Vec<Node>,
    stack: Vec<NodeId>,
    root: Option<NodeId>,
    /// The declarations in scope: a stack of URIs per prefix (`""`: the default
    /// namespace; never a prefix), looked up without allocating.
    scope: std::collections::HashMap<String, Vec<String>>,
    /// Text and attribute-value bytes so far.
    text_bytes: usize,
}

impl Parser {
    fn run(mut self, text: &str) -> Result<Document, SamlError> {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        loop {
            let at = reader.buffer_position();
            let event = reader
                .read_event()
                .map_err(|_| SamlError::MalformedXml { at })?;
            match event {
                Event::Start(start) => {
                    let id = self.open(&start, at)?;
                    self.stack.push(id);
                    if self.stack.len() > MAX_DEPTH {
                        return Err(SamlError::TooDeep);
                    }
                }
                Event::Empty(start) => {
                    let id = self.open(&start, at)?;
                    if self.stack.len() + 1 > MAX_DEPTH {
                        return Err(SamlError::TooDeep);
                    }
                    self.close(id);
                }
                Event::End(_) => {
                    if let Some(id) = self.stack.pop() {
                        self.close(id);
                    }
                }
                Event::Text(t) => {
                    let t = t.decode().map_err(|_| SamlError::MalformedXml { at })?;
                    self.text(&t)?;
                }
                Event::CData(t) => {
                    let t = t.decode().map_err(|_| SamlError::MalformedXml { at })?;
                    self.text(&t)?;
                }
                Event::GeneralRef(r) => {
                    let c = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => {
                            let name = r.decode().map_err(|_| SamlError::MalformedXml { at })?;
                            predefined_entity(&name).ok_or(SamlError::EntityReference)?
                        }
                        Err(_) => return Err(SamlError::MalformedXml { at }),
                    };
                    self.text(c.encode_utf8(&mut [0; 4]))?;
                }
                Event::Comment(t) => {
                    let t = t.decode().map_err(|_| SamlError::MalformedXml { at })?;
                    self.count_text(t.len())?;
                    self.leaf(Node::Comment(t.into_owned()))?;
                }
                Event::PI(pi) => {
                    let target = String::from_utf8_lossy(pi.target()).into_owned();
                    if target.eq_ignore_ascii_case("xml") {
                        return Err(SamlError::MalformedXml { at });
                    }
                    let data = String::from_utf8_lossy(pi.content())
                        .trim_start()
                        .to_owned();
                    self.count_text(target.len() + data.len())?;
                    self.leaf(Node::Pi { target, data })?;
                }
                Event::DocType(_) => return Err(SamlError::Doctype),
                Event::Decl(_) => {}
                Event::Eof => break,
            }
        }
        if !self.stack.is_empty() {
            return Err(SamlError::MalformedXml {
                at: reader.buffer_position(),
            });
        }
        let root = self.root.ok_or(SamlError::MalformedXml { at: 0 })?;
        Ok(Document {
            nodes: self.nodes,
            root,
        })
    }

    /// Takes the declarations of element `id` out of scope.
    fn close(&mut self, id: NodeId) {
        if let Some(Node::Element(e)) = self.nodes.get(id) {
            for d in &e.ns_decls {
                if let Some(stack) = self.scope.get_mut(d.prefix.as_deref().unwrap_or("")) {
                    stack.pop();
                }
            }
        }
    }

    /// Makes room for one more node.
    fn count_node(&self) -> Result<(), SamlError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(SamlError::TooManyNodes);
        }
        Ok(())
    }

    /// Counts `n` more bytes of text or attribute values.
    fn count_text(&mut self, n: usize) -> Result<(), SamlError> {
        self.text_bytes += n;
        if self.text_bytes > MAX_TEXT_BYTES {
            return Err(SamlError::TooMuchText);
        }
        Ok(())
    }

    /// Appends a comment or PI inside the current element (outside the root they are
    /// not part of any element the verifier reads or canonicalizes).
    fn leaf(&mut self, node: Node) -> Result<(), SamlError> {
        if let Some(&parent) = self.stack.last() {
            self.count_node()?;
            let id = self.nodes.len();
            self.nodes.push(node);
            if let Some(Node::Element(p)) = self.nodes.get_mut(parent) {
                p.children.push(id);
            }
        }
        Ok(())
    }

    fn text(&mut self, t: &str) -> Result<(), SamlError> {
        self.count_text(t.len())?;
        let Some(&parent) = self.stack.last() else {
            return if t.chars().all(|c| matches!(c, ' ' | '\t' | '\n')) {
                Ok(())
            } else {
                Err(SamlError::TextOutsideRoot)
            };
        };
        // Adjacent character data (text, references, CDATA) is one text node.
        let last = match self.nodes.get(parent) {
            Some(Node::Element(p)) => p.children.last().copied(),
            _ => None,
        };
        if let Some(Node::Text(prev)) = last.and_then(|l| self.nodes.get_mut(l)) {
            prev.push_str(t);
            Ok(())
        } else {
            self.leaf(Node::Text(t.to_owned()))
        }
    }

    fn open(&mut self, start: &BytesStart<'_>, at: u64) -> Result<NodeId, SamlError> {
        let parent = self.stack.last().copied();
        if parent.is_none() && self.root.is_some() {
            return Err(SamlError::MultipleRoots);
        }
        self.count_node()?;
        let qname = std::str::from_utf8(start.name().into_inner())
            .map_err(|_| SamlError::MalformedXml { at })?;
        let mut ns_decls = Vec::new();
        let mut raw_attrs = Vec::new();
        // quick-xml's own duplicate check compares every pair; a hash set is linear.
        let mut seen = std::collections::HashSet::new();
        for attr in start.attributes().with_checks(false) {
            let attr = attr.map_err(|_| SamlError::MalformedXml { at })?;
            if seen.len() >= MAX_ATTRIBUTES {
                return Err(SamlError::TooManyAttributes);
            }
            let key = std::str::from_utf8(attr.key.into_inner())
                .map_err(|_| SamlError::MalformedXml { at })?;
            if !seen.insert(key) {
                return Err(SamlError::DuplicateAttribute);
            }
            // XML 1.0 §3.3.3: literal whitespace in a value becomes a space; what a
            // character reference produces is kept.
            let raw =
                std::str::from_utf8(&attr.value).map_err(|_| SamlError::MalformedXml { at })?;
            let value = unescape_attr(&raw.replace(['\t', '\n'], " "))?;
            self.count_text(value.len())?;
            if key == "xmlns" {
                ns_decls.push(NsDecl {
                    prefix: None,
                    uri: value,
                });
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                let reserved = (p == "xml") != (value == XML_NS) || p == "xmlns";
                // `xmlns:=…` names no prefix (and "" keys the default in the scope).
                if p.is_empty() || value.is_empty() || reserved || value == XMLNS_NS {
                    return Err(SamlError::InvalidNamespace);
                }
                if p != "xml" {
                    ns_decls.push(NsDecl {
                        prefix: Some(p.to_owned()),
                        uri: value,
                    });
                }
            } else {
                raw_attrs.push((key.to_owned(), value));
            }
        }
        // Declarations are in scope for the element's own name and attributes.
        for d in &ns_decls {
            self.scope
                .entry(d.prefix.clone().unwrap_or_default())
                .or_default()
                .push(d.uri.clone());
        }
        let id = self.nodes.len();
        self.nodes.push(Node::Element(Element {
            name: Name {
                prefix: None,
                local: String::new(),
                ns: None,
            },
            attributes: Vec::new(),
            ns_decls,
            children: Vec::new(),
            parent,
        }));
        let name = self.resolve(qname, true)?;
        let mut attributes: Vec<Attribute> = Vec::with_capacity(raw_attrs.len());
        let mut names = std::collections::HashSet::new();
        for (key, value) in raw_attrs {
            let name = self.resolve(&key, false)?;
            if !names.insert((name.ns.clone(), name.local.clone())) {
                return Err(SamlError::DuplicateAttribute);
            }
            attributes.push(Attribute { name, value });
        }
        if let Some(Node::Element(e)) = self.nodes.get_mut(id) {
            e.name = name;
            e.attributes = attributes;
        }
        match parent {
            Some(p) => {
                if let Some(Node::Element(pe)) = self.nodes.get_mut(p) {
                    pe.children.push(id);
                }
            }
            None => self.root = Some(id),
        }
        Ok(id)
    }

    /// The URI `prefix` is bound to now (`xmlns=""` undeclares the default).
    fn in_scope(&self, prefix: Option<&str>) -> Option<&str> {
        self.scope
            .get(prefix.unwrap_or(""))
            .and_then(|v| v.last())
            .map(String::as_str)
            .filter(|u| !u.is_empty())
    }

    /// Resolves a qualified name at the element being opened (its declarations are in
    /// scope).
    fn resolve(&self, qname: &str, element: bool) -> Result<Name, SamlError> {
        let (prefix, local) = match qname.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, qname),
        };
        if local.is_empty() || local.contains(':') || prefix == Some("") {
            return Err(SamlError::MalformedXml { at: 0 });
        }
        let ns = match prefix {
            Some("xml") => Some(XML_NS.to_owned()),
            Some("xmlns") => return Err(SamlError::InvalidNamespace),
            Some(p) => Some(
                self.in_scope(Some(p))
                    .ok_or(SamlError::UndeclaredPrefix)?
                    .to_owned(),
            ),
            // The default namespace applies to elements, never to attributes.
            None if element => self.in_scope(None).map(str::to_owned),
            None => None,
        };
        Ok(Name {
            prefix: prefix.map(str::to_owned),
            local: local.to_owned(),
            ns,
        })
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Resolves the references in an attribute value.
fn unescape_attr(raw: &str) -> Result<String, SamlError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let after = rest.get(amp + 1..).unwrap_or_default();
        let semi = after.find(';').ok_or(SamlError::MalformedXml { at: 0 })?;
        let name = after.get(..semi).unwrap_or_default();
        let c = if let Some(num) = name.strip_prefix('#') {
            let code = match num.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => num.parse(),
            };
            code.ok()
                .and_then(char::from_u32)
                .filter(|&c| c != '\0')
                .ok_or(SamlError::MalformedXml { at: 0 })?
        } else {
            predefined_entity(name).ok_or(SamlError::EntityReference)?
        };
        out.push(c);
        rest = after.get(semi + 1..).unwrap_or_default();
    }
    if rest.contains('<') {
        return Err(SamlError::MalformedXml { at: 0 });
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Document, SamlError> {
        Document::parse(s.as_bytes())
    }

    #[test]
    fn resolves_namespaces_and_keeps_declarations() {
        let d = parse(
            r#"<p:a xmlns:p="urn:p" xmlns="urn:d" q="1" p:r="2"><b xmlns=""/><c>x&amp;y&#x41;<![CDATA[<z>]]></c></p:a>"#,
        )
        .unwrap();
        let a = d.element(d.root()).unwrap();
        assert!(a.name.is("urn:p", "a"));
        assert_eq!(a.ns_decls.len(), 2);
        assert_eq!(a.attributes[0].name.ns, None);
        assert_eq!(a.attributes[1].name.ns.as_deref(), Some("urn:p"));
        let kids: Vec<_> = d.child_elements(d.root()).collect();
        assert_eq!(kids[0].1.name.ns, None);
        assert_eq!(kids[1].1.name.ns.as_deref(), Some("urn:d"));
        assert_eq!(d.text(kids[1].0), "x&yA<z>");
    }

    #[test]
    fn text_runs_through_comments() {
        let d = parse("<n>admin@example.com<!---->.evil.com</n>").unwrap();
        assert_eq!(d.text(d.root()), "admin@example.com.evil.com");
    }

    #[test]
    fn normalises_line_ends_and_attribute_whitespace() {
        let d = parse("<a v=\"x\ty\r\nz&#10;\">1\r\n2\r3</a>").unwrap();
        assert_eq!(d.attr(d.root(), "v"), Some("x y z\n"));
        assert_eq!(d.text(d.root()), "1\n2\n3");
    }

    #[test]
    fn refuses_what_it_must() {
        let cases: &[(&str, SamlError)] = &[
            (
                "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
                SamlError::Doctype,
            ),
            ("<a>&x;</a>", SamlError::EntityReference),
            ("<a v=\"&x;\"/>", SamlError::EntityReference),
            ("<a/><b/>", SamlError::MultipleRoots),
            ("<a/>text", SamlError::TextOutsideRoot),
            ("<a x=\"1\" x=\"2\"/>", SamlError::DuplicateAttribute),
            (
                "<a xmlns:p=\"urn:x\" xmlns:q=\"urn:x\" p:x=\"1\" q:x=\"2\"/>",
                SamlError::DuplicateAttribute,
            ),
            ("<p:a/>", SamlError::UndeclaredPrefix),
            ("<a xmlns:p=\"\"/>", SamlError::InvalidNamespace),
            ("<a xmlns:xml=\"urn:x\"/>", SamlError::InvalidNamespace),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input).err().as_ref(), Some(want), "{input}");
        }
        assert!(matches!(
            parse("<a><b></a>"),
            Err(SamlError::MalformedXml { .. })
        ));
        assert!(matches!(parse(""), Err(SamlError::MalformedXml { .. })));
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(parse(&deep).err(), Some(SamlError::TooDeep));
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let big = format!("<a>{}</a>", "x".repeat(MAX_BYTES));
        assert_eq!(parse(&big).err(), Some(SamlError::TooLarge));
    }
}
