//! The AuthnRequest for the HTTP-Redirect binding (SAML Bindings §3.4): the XML,
//! raw DEFLATE, base64, URL encoding, with the RelayState beside it. Unsigned, as
//! `AuthnRequestsSigned="false"` in our metadata says.

use base64::Engine as _;

use super::{ASSERTION_NS, NAMEID_EMAIL, PROTOCOL_NS};
use crate::time::Timestamp;

/// An AuthnRequest ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    /// Its ID: the InResponseTo the response must carry.
    pub id: String,
    /// The XML.
    pub xml: String,
}

impl AuthnRequest {
    /// Builds a request. `random` makes the ID (`_` + 40 hex digits: 160 bits, an
    /// NCName as the schema requires).
    #[must_use]
    pub fn new(
        random: [u8; 20],
        now: Timestamp,
        sp_entity_id: &str,
        acs_url: &str,
        idp_sso_url: &str,
    ) -> Self {
        let id = Self::id_from(random);
        let xml = format!(
            concat!(
                r#"<samlp:AuthnRequest xmlns:samlp="{p}" xmlns:saml="{a}" ID="{id}" Version="2.0" "#,
                r#"IssueInstant="{instant}" Destination="{dest}" AssertionConsumerServiceURL="{acs}" "#,
                r#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">"#,
                r#"<saml:Issuer>{issuer}</saml:Issuer>"#,
                r#"<samlp:NameIDPolicy Format="{format}" AllowCreate="false"/>"#,
                r#"</samlp:AuthnRequest>"#
            ),
            p = PROTOCOL_NS,
            a = ASSERTION_NS,
            id = id,
            instant = now.to_rfc3339(),
            dest = escape(idp_sso_url),
            acs = escape(acs_url),
            issuer = escape(sp_entity_id),
            format = NAMEID_EMAIL,
        );
        Self { id, xml }
    }

    /// The ID a request made from `random` carries (`_` + 40 hex digits), known before
    /// the request is written.
    #[must_use]
    pub fn id_from(random: [u8; 20]) -> String {
        format!("_{}", hex::encode(random))
    }

    /// The URL that sends the browser to the IdP: `idp_sso_url` with `SAMLRequest`
    /// (raw DEFLATE, base64) and `RelayState` added to its query.
    #[must_use]
    pub fn redirect_url(&self, idp_sso_url: &str, relay_state: &str) -> String {
        let deflated = miniz_oxide::deflate::compress_to_vec(self.xml.as_bytes(), 6);
        let encoded = base64::engine::general_purpose::STANDARD.encode(deflated);
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("SAMLRequest", &encoded)
            .append_pair("RelayState", relay_state)
            .finish();
        let join = if idp_sso_url.contains('?') { '&' } else { '?' };
        format!("{idp_sso_url}{join}{query}")
    }
}

/// Escapes text for an XML attribute value or element content.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Document;

    #[test]
    fn builds_a_redirect_the_idp_can_read() {
        let req = AuthnRequest::new(
            [7; 20],
            Timestamp::from_millis(1_800_000_000_000),
            "https://sp.example/saml/acme",
            "https://sp.example/saml/acme/acs",
            "https://idp.example/sso?tenant=1&x=\"",
        );
        assert_eq!(req.id, format!("_{}", "07".repeat(20)));
        let doc = Document::parse(req.xml.as_bytes()).unwrap();
        assert_eq!(doc.attr(doc.root(), "ID"), Some(req.id.as_str()));
        assert_eq!(
            doc.attr(doc.root(), "Destination"),
            Some("https://idp.example/sso?tenant=1&x=\"")
        );
        let url = req.redirect_url("https://idp.example/sso?tenant=1", "r s/1");
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(base, "https://idp.example/sso");
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(pairs[0], ("tenant".into(), "1".into()));
        assert_eq!(pairs[2], ("RelayState".into(), "r s/1".into()));
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&pairs[1].1)
            .unwrap();
        let xml = miniz_oxide::inflate::decompress_to_vec(&raw).unwrap();
        assert_eq!(xml, req.xml.as_bytes());
    }
}
