//! SAML metadata: ours (the SP's, for administrators to paste into their IdP) and the
//! IdP's (imported to fill in the SAML settings).

use super::{
    request::escape, xml::Document, Certificate, SamlError, DSIG_NS, METADATA_NS, NAMEID_EMAIL,
};

const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// The SP metadata document for `entity_id` with its ACS.
#[must_use]
pub fn sp_metadata(entity_id: &str, acs_url: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<md:EntityDescriptor xmlns:md="{md}" entityID="{entity}">"#,
            r#"<md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" "#,
            r#"protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">"#,
            r#"<md:NameIDFormat>{format}</md:NameIDFormat>"#,
            r#"<md:AssertionConsumerService Binding="{post}" Location="{acs}" index="0" isDefault="true"/>"#,
            r#"</md:SPSSODescriptor></md:EntityDescriptor>"#,
            "\n"
        ),
        md = METADATA_NS,
        entity = escape(entity_id),
        format = NAMEID_EMAIL,
        post = POST_BINDING,
        acs = escape(acs_url),
    )
}

/// What an IdP's metadata tells us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    /// Its entity ID.
    pub entity_id: String,
    /// Its SSO endpoint for the HTTP-Redirect binding, if it has one.
    pub sso_url: Option<String>,
    /// Every signing certificate (KeyDescriptors with `use="signing"` or no `use`).
    pub certificates: Vec<Certificate>,
}

impl IdpMetadata {
    /// Reads an `EntityDescriptor` (or an `EntitiesDescriptor` holding exactly one IdP).
    ///
    /// # Errors
    /// [`SamlError::InvalidMetadata`], an XML error, or a certificate error.
    pub fn parse(xml: &[u8]) -> Result<Self, SamlError> {
        let doc = Document::parse(xml)?;
        let root = doc.root();
        let root_el = doc.element(root).ok_or(SamlError::InvalidMetadata)?;
        let candidates: Vec<_> = if root_el.name.is(METADATA_NS, "EntityDescriptor") {
            vec![root]
        } else if root_el.name.is(METADATA_NS, "EntitiesDescriptor") {
            doc.children_named(root, METADATA_NS, "EntityDescriptor")
                .collect()
        } else {
            return Err(SamlError::InvalidMetadata);
        };
        let idps: Vec<_> = candidates
            .into_iter()
            .filter_map(|e| {
                doc.children_named(e, METADATA_NS, "IDPSSODescriptor")
                    .next()
                    .map(|d| (e, d))
            })
            .collect();
        let [(entity, descriptor)] = idps.as_slice() else {
            return Err(SamlError::InvalidMetadata);
        };
        let entity_id = doc
            .attr(*entity, "entityID")
            .filter(|e| !e.trim().is_empty())
            .ok_or(SamlError::InvalidMetadata)?
            .trim()
            .to_owned();
        let sso_url = doc
            .children_named(*descriptor, METADATA_NS, "SingleSignOnService")
            .find(|s| doc.attr(*s, "Binding") == Some(REDIRECT_BINDING))
            .and_then(|s| doc.attr(s, "Location"))
            .map(|l| l.trim().to_owned());
        let mut certificates: Vec<Certificate> = Vec::new();
        for key in doc.children_named(*descriptor, METADATA_NS, "KeyDescriptor") {
            if !matches!(doc.attr(key, "use"), None | Some("signing")) {
                continue;
            }
            let found = doc
                .children_named(key, DSIG_NS, "KeyInfo")
                .flat_map(|k| doc.children_named(k, DSIG_NS, "X509Data"))
                .flat_map(|d| doc.children_named(d, DSIG_NS, "X509Certificate"));
            for c in found {
                let cert = Certificate::parse(&doc.text(c))?;
                if !certificates.contains(&cert) {
                    certificates.push(cert);
                }
            }
        }
        if certificates.is_empty() {
            return Err(SamlError::InvalidMetadata);
        }
        Ok(Self {
            entity_id,
            sso_url,
            certificates,
        })
    }
}
