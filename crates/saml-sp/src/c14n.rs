//! Exclusive XML Canonicalization 1.0 (`http://www.w3.org/2001/10/xml-exc-c14n#`),
//! with or without comments, with an `InclusiveNamespaces PrefixList`, of one element
//! and its descendants, optionally leaving one subtree out (the enveloped signature).
//!
//! The rules, from the recommendation (and Canonical XML 1.0 for the common part):
//! - a namespace declaration is rendered on an element only where it is *visibly
//!   utilized* there (the element's own prefix, or a prefixed attribute's), or its
//!   prefix is in the PrefixList, and the nearest rendering ancestor did not already
//!   render the same prefix with the same URI; `xmlns=""` only where an ancestor
//!   rendered a non-empty default namespace;
//! - declarations sort by prefix (the default first), attributes by namespace URI then
//!   local name (unqualified ones first);
//! - empty elements become start-end pairs; text escapes `&`, `<`, `>` and CR;
//!   attribute values escape `&`, `<`, `"`, TAB, LF and CR;
//! - comments are kept only in the "with comments" flavour.

//!
//! The work is linear in the subtree: namespace look-ups go through two maps kept as
//! the walk descends (what is declared in scope, what the rendered ancestors rendered),
//! each a stack per prefix, pushed on entering an element and popped on leaving it.

use std::collections::HashMap;

use super::xml::{Document, Node, NodeId, XML_NS};

/// A stack of URIs per prefix (`None`: the default namespace).
type Scope<'a> = HashMap<Option<&'a str>, Vec<&'a str>>;

fn top<'a>(scope: &Scope<'a>, prefix: Option<&'a str>) -> Option<&'a str> {
    scope.get(&prefix).and_then(|v| v.last().copied())
}

fn push<'a>(scope: &mut Scope<'a>, prefix: Option<&'a str>, uri: &'a str) {
    scope.entry(prefix).or_default().push(uri);
}

fn pop<'a>(scope: &mut Scope<'a>, prefix: Option<&'a str>) {
    if let Some(v) = scope.get_mut(&prefix) {
        v.pop();
    }
}

/// What to canonicalize and how.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Keep comments.
    pub with_comments: bool,
    /// The InclusiveNamespaces PrefixList (`#default` names the default namespace).
    pub inclusive_prefixes: &'a [String],
    /// A subtree to leave out (the enveloped-signature transform).
    pub exclude: Option<NodeId>,
}

/// The canonical form of the element `apex` and its descendants.
#[must_use]
pub fn canonicalize(doc: &Document, apex: NodeId, options: Options<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    // What is declared above the apex is in scope for it (PrefixList look-ups).
    let mut ancestors = Vec::new();
    let mut at = doc.element(apex).and_then(|e| e.parent);
    while let Some(id) = at {
        ancestors.push(id);
        at = doc.element(id).and_then(|e| e.parent);
    }
    let mut declared = Scope::new();
    for &id in ancestors.iter().rev() {
        if let Some(e) = doc.element(id) {
            for d in &e.ns_decls {
                push(&mut declared, d.prefix.as_deref(), &d.uri);
            }
        }
    }
    let mut rendered = Scope::new();
    push(&mut rendered, None, "");
    Writer {
        doc,
        options,
        out: &mut out,
        declared,
        rendered,
    }
    .node(apex);
    out
}

struct Writer<'a> {
    doc: &'a Document,
    options: Options<'a>,
    out: &'a mut Vec<u8>,
    /// Declarations in scope at the current element.
    declared: Scope<'a>,
    /// What the nearest rendering ancestors rendered, per prefix.
    rendered: Scope<'a>,
}

impl<'a> Writer<'a> {
    fn node(&mut self, id: NodeId) {
        if Some(id) == self.options.exclude {
            return;
        }
        match self.doc.node(id) {
            Some(Node::Text(t)) => escape(self.out, t, false),
            Some(Node::Comment(c)) if self.options.with_comments => {
                self.out.extend_from_slice(b"<!--");
                self.out.extend_from_slice(c.as_bytes());
                self.out.extend_from_slice(b"-->");
            }
            Some(Node::Pi { target, data }) => {
                self.out.extend_from_slice(b"<?");
                self.out.extend_from_slice(target.as_bytes());
                if !data.is_empty() {
                    self.out.push(b' ');
                    self.out.extend_from_slice(data.as_bytes());
                }
                self.out.extend_from_slice(b"?>");
            }
            Some(Node::Element(_)) => self.element(id),
            Some(Node::Comment(_)) | None => {}
        }
    }

    fn element(&mut self, id: NodeId) {
        let doc = self.doc;
        let Some(e) = doc.element(id) else { return };
        for d in &e.ns_decls {
            push(&mut self.declared, d.prefix.as_deref(), &d.uri);
        }
        // The namespaces this element must render: (prefix, uri), each prefix once
        // (at most one per attribute and the name: the reader bounds attributes).
        let mut needed: HashMap<Option<&'a str>, &'a str> = HashMap::new();
        let mut need = |prefix: Option<&'a str>, uri: &'a str| {
            if prefix != Some("xml") {
                needed.entry(prefix).or_insert(uri);
            }
        };
        need(e.name.prefix.as_deref(), e.name.ns.as_deref().unwrap_or(""));
        for a in &e.attributes {
            if let Some(p) = a.name.prefix.as_deref() {
                need(Some(p), a.name.ns.as_deref().unwrap_or(""));
            }
        }
        for p in self.options.inclusive_prefixes {
            let prefix = (p != "#default").then_some(p.as_str());
            if let Some(uri) = top(&self.declared, prefix).filter(|u| !u.is_empty()) {
                need(prefix, uri);
            }
        }
        let rendered = &self.rendered;
        let mut decls: Vec<(Option<&'a str>, &'a str)> = needed
            .into_iter()
            .filter(|&(p, uri)| top(rendered, p).unwrap_or("") != uri)
            .collect();
        decls.sort_by(|a, b| a.0.unwrap_or("").cmp(b.0.unwrap_or("")));

        self.out.push(b'<');
        qname(self.out, e.name.prefix.as_deref(), &e.name.local);
        for (prefix, uri) in &decls {
            match prefix {
                Some(p) => {
                    self.out.extend_from_slice(b" xmlns:");
                    self.out.extend_from_slice(p.as_bytes());
                }
                None => self.out.extend_from_slice(b" xmlns"),
            }
            self.out.extend_from_slice(b"=\"");
            escape(self.out, uri, true);
            self.out.push(b'"');
        }
        let mut attrs: Vec<_> = e.attributes.iter().collect();
        attrs.sort_by(|a, b| {
            let ns = |x: &'a super::xml::Attribute| x.name.ns.as_deref().unwrap_or("");
            ns(a)
                .cmp(ns(b))
                .then_with(|| a.name.local.cmp(&b.name.local))
        });
        for a in attrs {
            self.out.push(b' ');
            let prefix = match a.name.ns.as_deref() {
                Some(XML_NS) => Some("xml"),
                _ => a.name.prefix.as_deref(),
            };
            qname(self.out, prefix, &a.name.local);
            self.out.extend_from_slice(b"=\"");
            escape(self.out, &a.value, true);
            self.out.push(b'"');
        }
        self.out.push(b'>');

        for &(prefix, uri) in &decls {
            push(&mut self.rendered, prefix, uri);
        }
        for &c in &e.children {
            self.node(c);
        }
        for &(prefix, _) in &decls {
            pop(&mut self.rendered, prefix);
        }
        for d in &e.ns_decls {
            pop(&mut self.declared, d.prefix.as_deref());
        }
        self.out.extend_from_slice(b"</");
        qname(self.out, e.name.prefix.as_deref(), &e.name.local);
        self.out.push(b'>');
    }
}

fn qname(out: &mut Vec<u8>, prefix: Option<&str>, local: &str) {
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

fn escape(out: &mut Vec<u8>, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' if !attribute => out.extend_from_slice(b"&gt;"),
            '"' if attribute => out.extend_from_slice(b"&quot;"),
            '\t' if attribute => out.extend_from_slice(b"&#x9;"),
            '\n' if attribute => out.extend_from_slice(b"&#xA;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str, path: &[usize], with_comments: bool, prefixes: &[&str]) -> String {
        let doc = Document::parse(xml.as_bytes()).unwrap();
        let mut id = doc.root();
        for &i in path {
            id = doc.child_elements(id).nth(i).unwrap().0;
        }
        let prefixes: Vec<String> = prefixes.iter().map(|p| (*p).to_owned()).collect();
        let options = Options {
            with_comments,
            inclusive_prefixes: &prefixes,
            exclude: None,
        };
        String::from_utf8(canonicalize(&doc, id, options)).unwrap()
    }

    /// The example of the Exclusive XML Canonicalization recommendation, §2.2: the
    /// same `n1:elem2` subtree inside two different contexts canonicalizes the same
    /// way exclusively (inclusive c14n would differ).
    #[test]
    fn w3c_exclusive_c14n_section_2_2() {
        let first = r#"<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>"#;
        let second = r#"<n2:pdu xmlns:n1="http://example.com" xmlns:n2="http://foo.example" xml:lang="fr" xml:space="retain"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n2:pdu>"#;
        let want = r#"<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>"#;
        assert_eq!(c14n(first, &[0], false, &[]), want);
        assert_eq!(c14n(second, &[0], false, &[]), want);
        // With n3 in the PrefixList it is rendered on the apex where it is in scope.
        let with_n3 = r#"<n1:elem2 xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" xml:lang="en"><n3:stuff></n3:stuff></n1:elem2>"#;
        assert_eq!(c14n(first, &[0], false, &["n3"]), with_n3);
    }

    #[test]
    fn sorting_escaping_comments_and_default_namespaces() {
        let xml = "<r xmlns=\"urn:d\" xmlns:b=\"urn:b\" xmlns:a=\"urn:a\"><e z=\"1\" b:y=\"&lt;&quot;&#9;\" a:x=\"2\" b=\"0\">a&gt;b&amp;c&#13;<!-- c --><?pi  data?><f xmlns=\"\"/></e></r>";
        assert_eq!(
            c14n(xml, &[0], false, &[]),
            "<e xmlns=\"urn:d\" xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" b=\"0\" z=\"1\" a:x=\"2\" b:y=\"&lt;&quot;&#x9;\">a&gt;b&amp;c&#xD;<?pi data?><f xmlns=\"\"></f></e>"
        );
        assert!(c14n(xml, &[0], true, &[]).contains("<!-- c -->"));
        // An unqualified element under no default namespace renders no xmlns="".
        assert_eq!(c14n("<a><b/></a>", &[], false, &[]), "<a><b></b></a>");
        // #default in the PrefixList renders the default namespace in scope.
        assert_eq!(
            c14n(
                "<a xmlns=\"urn:d\"><p:b xmlns:p=\"urn:p\"/></a>",
                &[0],
                false,
                &["#default"]
            ),
            "<p:b xmlns=\"urn:d\" xmlns:p=\"urn:p\"></p:b>"
        );
    }
}
