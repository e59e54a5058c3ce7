//! Validation of a `samlp:Response` into a [`VerifiedLogin`] (docs/product.md §7).
//!
//! Order of the checks: the tree (no duplicate IDs, one Assertion, no signature out of
//! place), the signatures (every one present must verify; at least one of the Response
//! or the Assertion must carry one), then what the verified element says: status,
//! issuer, destination, InResponseTo, subject confirmation, conditions, audience.
//! Identity is read from the Assertion that is the Response's direct child, which is
//! either the verified element or inside it; the document is never searched by name
//! after verification.

use std::collections::BTreeMap;

use super::{
    cert::VerificationKey,
    dsig::{self, Prepared, SignatureCheck, Verified},
    xml::{Document, NodeId},
    SamlError, ASSERTION_NS, DSIG_NS, PROTOCOL_NS,
};
use crate::time::Timestamp;

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// The only Issuer Format the profile allows (absent means the same).
const ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
const ENCRYPTED_ASSERTION: &str = "EncryptedAssertion";

/// What the service provider expects of a response.
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    /// The IdP's entity ID (the Issuer).
    pub idp_entity_id: &'a str,
    /// Our entity ID (the Audience).
    pub sp_entity_id: &'a str,
    /// Our ACS URL (the Destination and the Recipient).
    pub acs_url: &'a str,
    /// The keys of the configured signing certificates.
    pub keys: &'a [VerificationKey],
    /// The ID of the AuthnRequest this browser started, if any.
    pub in_response_to: Option<&'a str>,
    /// Whether unsolicited (IdP-initiated) responses are accepted.
    pub allow_idp_initiated: bool,
    /// Whether SHA-1 digests and signatures are accepted.
    pub allow_sha1: bool,
    /// Allowed clock difference, in seconds.
    pub clock_skew_seconds: i64,
    /// Now.
    pub now: Timestamp,
}

/// A login proven by a configured IdP. Only [`Pending::finish`] makes one, and its
/// fields are private: what it says cannot be changed after the signature check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLogin {
    /// The NameID (all of its text).
    name_id: String,
    /// The NameID's Format, if given.
    name_id_format: Option<String>,
    /// Attributes by Name, each with all its values in order.
    attributes: BTreeMap<String, Vec<String>>,
    /// The AuthnStatement's SessionIndex, if given.
    session_index: Option<String>,
    /// The Assertion's Issuer.
    issuer: String,
    /// The earliest SessionNotOnOrAfter of the AuthnStatements: the session made from
    /// this login must end by then (profiles §4.1.4.3).
    session_not_on_or_after: Option<Timestamp>,
    /// The Assertion's ID: the replay record's key.
    assertion_id: String,
    /// The earliest NotOnOrAfter of the Assertion: after it (plus the skew) the
    /// Assertion can no longer be accepted, so its replay record may go.
    not_on_or_after: Timestamp,
    /// The request this answers (`None`: IdP-initiated).
    in_response_to: Option<String>,
    /// Whether the Response's signature was verified.
    response_signed: bool,
    /// Whether the Assertion's signature was verified.
    assertion_signed: bool,
    /// The signature check it rests on (private: nothing else can make one).
    proof: Verified,
}

impl VerifiedLogin {
    /// The NameID (all of its text).
    #[must_use]
    pub fn name_id(&self) -> &str {
        &self.name_id
    }

    /// The NameID's Format, if given.
    #[must_use]
    pub fn name_id_format(&self) -> Option<&str> {
        self.name_id_format.as_deref()
    }

    /// Attributes by Name, each with all its values in order.
    #[must_use]
    pub const fn attributes(&self) -> &BTreeMap<String, Vec<String>> {
        &self.attributes
    }

    /// The AuthnStatement's SessionIndex, if given.
    #[must_use]
    pub fn session_index(&self) -> Option<&str> {
        self.session_index.as_deref()
    }

    /// The Assertion's Issuer.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The earliest SessionNotOnOrAfter of the AuthnStatements: the session made from this login must end by then (profiles §4.1.4.3).
    #[must_use]
    pub const fn session_not_on_or_after(&self) -> Option<Timestamp> {
        self.session_not_on_or_after
    }

    /// The Assertion's ID: the replay record's key.
    #[must_use]
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }

    /// The earliest NotOnOrAfter of the Assertion.
    #[must_use]
    pub const fn not_on_or_after(&self) -> Timestamp {
        self.not_on_or_after
    }

    /// The request this answers (`None`: IdP-initiated).
    #[must_use]
    pub fn in_response_to(&self) -> Option<&str> {
        self.in_response_to.as_deref()
    }

    /// Whether the Response's signature was verified.
    #[must_use]
    pub const fn response_signed(&self) -> bool {
        self.response_signed
    }

    /// Whether the Assertion's signature was verified.
    #[must_use]
    pub const fn assertion_signed(&self) -> bool {
        self.assertion_signed
    }

    /// The SHA-256 fingerprint of the certificate that verified it.
    #[must_use]
    pub fn certificate_fingerprint(&self) -> &str {
        self.proof.fingerprint()
    }

    /// Until when the replay record must be kept: NotOnOrAfter plus the skew.
    #[must_use]
    pub fn replay_until(&self, clock_skew_seconds: i64) -> Timestamp {
        self.not_on_or_after.plus_millis(clock_skew_seconds * 1000)
    }
}

/// The Issuer a refused response *claims* (the Response's, else the Assertion's), read
/// from a fresh parse, unverified. For ranking what a failure list keeps only — never
/// for identity: a response naming the configured IdP is an attempt worth keeping,
/// junk is not.
#[must_use]
pub fn claimed_issuer(xml: &[u8]) -> Option<String> {
    let doc = Document::parse(xml).ok()?;
    let response = doc.root();
    if !doc.element(response)?.name.is(PROTOCOL_NS, "Response") {
        return None;
    }
    child_text(&doc, response, ASSERTION_NS, "Issuer")
        .or_else(|| {
            let assertion = one_child(&doc, response, ASSERTION_NS, "Assertion")?;
            child_text(&doc, assertion, ASSERTION_NS, "Issuer")
        })
        .map(|i| i.trim().to_owned())
}

/// A response whose structure is sound and whose signatures are prepared, waiting for
/// the verdicts of its [`SignatureCheck`]s (sans-IO: the caller performs them, with
/// RustCrypto natively or with WebCrypto in the Worker).
#[derive(Debug)]
pub struct Pending<'a> {
    expect: Expectations<'a>,
    doc: Document,
    response: NodeId,
    assertion: NodeId,
    response_sig: Option<Prepared>,
    /// Kept as a result: the Response's verdict comes first, as in a sequential check.
    assertion_sig: Option<Result<Prepared, SamlError>>,
}

impl<'a> Pending<'a> {
    /// Parses `xml` (a decoded `SAMLResponse`), checks the tree (no duplicate IDs, one
    /// Assertion, no signature out of place) and prepares its signatures.
    ///
    /// # Errors
    /// The [`SamlError`] naming the first rule broken.
    pub fn start(xml: &[u8], expect: &Expectations<'a>) -> Result<Self, SamlError> {
        let doc = Document::parse(xml)?;
        let response = doc.root();
        let r = doc.element(response).ok_or(SamlError::NotAResponse)?;
        if !r.name.is(PROTOCOL_NS, "Response") {
            return Err(SamlError::NotAResponse);
        }
        check_ids_unique(&doc)?;

        // Exactly one Assertion in the whole document, and it is a child of the Response.
        let assertion = the_assertion(&doc, response)?;
        // Signatures only where they belong: one on the Response, one on the Assertion.
        let response_sig = dsig::signature_of(&doc, response)?;
        let assertion_sig = dsig::signature_of(&doc, assertion)?;
        let placed = doc
            .elements()
            .filter(|(_, e)| e.name.is(DSIG_NS, "Signature"))
            .count();
        if placed != usize::from(response_sig.is_some()) + usize::from(assertion_sig.is_some()) {
            return Err(SamlError::UnexpectedSignature);
        }
        if response_sig.is_none() && assertion_sig.is_none() {
            return Err(SamlError::SignatureMissing);
        }
        let prepare = |sig| dsig::prepare(&doc, sig, expect.keys, expect.allow_sha1);
        let response_sig = response_sig.map(prepare).transpose()?;
        let assertion_sig = assertion_sig.map(prepare);
        Ok(Self {
            expect: *expect,
            response,
            assertion,
            response_sig,
            assertion_sig,
            doc,
        })
    }

    /// The signature checks to perform: the Response's, then the Assertion's.
    #[must_use]
    pub fn checks(&self) -> Vec<SignatureCheck<'_>> {
        self.prepared()
            .flat_map(|p| p.checks(self.expect.keys))
            .collect()
    }

    fn prepared(&self) -> impl Iterator<Item = &Prepared> {
        self.response_sig
            .iter()
            .chain(self.assertion_sig.iter().filter_map(|r| r.as_ref().ok()))
    }

    /// Concludes with the `verdicts` of [`Self::checks`], in their order: every
    /// signature present must verify, then what the verified element says is checked
    /// (status, issuer, destination, InResponseTo, subject confirmation, conditions,
    /// audience).
    ///
    /// # Errors
    /// The [`SamlError`] naming the first rule broken.
    pub fn finish(self, verdicts: &[bool]) -> Result<VerifiedLogin, SamlError> {
        let Self {
            expect,
            doc,
            response,
            assertion,
            response_sig,
            assertion_sig,
        } = self;
        let keys = expect.keys;
        let split = response_sig.as_ref().map_or(0, Prepared::check_count);
        let (first, rest) = verdicts.split_at(split.min(verdicts.len()));
        let response_ok: Option<Verified> = response_sig
            .map(|p| p.conclude(&doc, keys, first))
            .transpose()?;
        let assertion_ok: Option<Verified> = assertion_sig
            .map(|p| p.and_then(|p| p.conclude(&doc, keys, rest)))
            .transpose()?;
        conclude(
            &expect,
            &doc,
            response,
            assertion,
            response_ok,
            assertion_ok,
        )
    }
}

/// What the verified response says, checked (see [`Pending::finish`]).
#[allow(clippy::too_many_lines, reason = "the profile's checks in their order")]
fn conclude(
    expect: &Expectations<'_>,
    doc: &Document,
    response: NodeId,
    assertion: NodeId,
    response_ok: Option<Verified>,
    assertion_ok: Option<Verified>,
) -> Result<VerifiedLogin, SamlError> {
    let proof = match (&response_ok, &assertion_ok) {
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => return Err(SamlError::SignatureMissing),
    };
    // What is read is what was verified: the Assertion is the verified element or
    // a direct child of it.
    if !doc.is_within(assertion, proof.node()) {
        return Err(SamlError::ReferenceMismatch);
    }

    version(doc, response)?;
    version(doc, assertion)?;
    status(doc, response)?;
    if let Some(node) = one_child(doc, response, ASSERTION_NS, "Issuer") {
        if doc.text(node).trim() != expect.idp_entity_id {
            return Err(SamlError::WrongIssuer);
        }
        entity_format(doc, node)?;
    }
    let issuer_node =
        one_child(doc, assertion, ASSERTION_NS, "Issuer").ok_or(SamlError::WrongIssuer)?;
    let issuer = doc.text(issuer_node);
    if issuer.trim() != expect.idp_entity_id {
        return Err(SamlError::WrongIssuer);
    }
    entity_format(doc, issuer_node)?;
    if doc.attr(response, "Destination") != Some(expect.acs_url) {
        return Err(SamlError::WrongDestination);
    }
    let in_response_to = answered_request(expect, doc.attr(response, "InResponseTo"))?;

    let assertion_id = doc
        .attr(assertion, "ID")
        .filter(|id| !id.is_empty())
        .ok_or(SamlError::MissingAssertionId)?
        .to_owned();
    let subject =
        one_child(doc, assertion, ASSERTION_NS, "Subject").ok_or(SamlError::MissingNameId)?;
    let name_id_node =
        one_child(doc, subject, ASSERTION_NS, "NameID").ok_or(SamlError::MissingNameId)?;
    let name_id = doc.text(name_id_node).trim().to_owned();
    if name_id.is_empty() {
        return Err(SamlError::MissingNameId);
    }
    let confirmation_until = bearer_confirmation(doc, subject, expect, in_response_to)?;
    let conditions_until = conditions(doc, assertion, expect)?;
    let session_not_on_or_after = authn_statements(doc, assertion, expect)?;
    let not_on_or_after = match conditions_until {
        Some(c) if c < confirmation_until => c,
        _ => confirmation_until,
    };

    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in doc.children_named(assertion, ASSERTION_NS, "AttributeStatement") {
        for attribute in doc.children_named(statement, ASSERTION_NS, "Attribute") {
            let Some(name) = doc.attr(attribute, "Name") else {
                continue;
            };
            let values = attributes.entry(name.to_owned()).or_default();
            for value in doc.children_named(attribute, ASSERTION_NS, "AttributeValue") {
                values.push(doc.text(value));
            }
        }
    }
    let session_index = doc
        .children_named(assertion, ASSERTION_NS, "AuthnStatement")
        .find_map(|s| doc.attr(s, "SessionIndex"))
        .map(str::to_owned);

    Ok(VerifiedLogin {
        name_id,
        name_id_format: doc.attr(name_id_node, "Format").map(str::to_owned),
        attributes,
        session_index,
        issuer: issuer.trim().to_owned(),
        session_not_on_or_after,
        assertion_id,
        not_on_or_after,
        in_response_to: in_response_to.map(str::to_owned),
        response_signed: response_ok.is_some(),
        assertion_signed: assertion_ok.is_some(),
        proof: proof.clone(),
    })
}

/// Refuses two elements with one ID, whatever the attribute's spelling (`ID`, `Id`,
/// `id`): another library reading this document must not be able to pick another one.
fn check_ids_unique(doc: &Document) -> Result<(), SamlError> {
    let mut seen = std::collections::HashSet::new();
    for (id, _) in doc.elements() {
        for name in ["ID", "Id", "id"] {
            if let Some(value) = doc.attr(id, name) {
                if !seen.insert(value) {
                    return Err(SamlError::DuplicateId);
                }
            }
        }
    }
    Ok(())
}

fn the_assertion(doc: &Document, response: NodeId) -> Result<NodeId, SamlError> {
    let everywhere: Vec<NodeId> = doc
        .elements()
        .filter(|(_, e)| e.name.ns.as_deref() == Some(ASSERTION_NS))
        .filter_map(|(id, e)| match e.name.local.as_str() {
            "Assertion" | ENCRYPTED_ASSERTION => Some(id),
            _ => None,
        })
        .collect();
    if doc
        .children_named(response, ASSERTION_NS, ENCRYPTED_ASSERTION)
        .next()
        .is_some()
    {
        return Err(SamlError::EncryptedAssertion);
    }
    match everywhere.as_slice() {
        [one] if doc.element(*one).and_then(|e| e.parent) == Some(response) => Ok(*one),
        _ => Err(SamlError::AssertionCount),
    }
}

fn one_child(doc: &Document, parent: NodeId, ns: &str, local: &str) -> Option<NodeId> {
    let mut it = doc.children_named(parent, ns, local);
    let first = it.next();
    if it.next().is_some() {
        return None;
    }
    first
}

fn child_text(doc: &Document, parent: NodeId, ns: &str, local: &str) -> Option<String> {
    one_child(doc, parent, ns, local).map(|c| doc.text(c))
}

fn version(doc: &Document, element: NodeId) -> Result<(), SamlError> {
    if doc.attr(element, "Version") == Some("2.0") {
        Ok(())
    } else {
        Err(SamlError::UnsupportedVersion)
    }
}

fn status(doc: &Document, response: NodeId) -> Result<(), SamlError> {
    let code = one_child(doc, response, PROTOCOL_NS, "Status")
        .and_then(|s| one_child(doc, s, PROTOCOL_NS, "StatusCode"))
        .and_then(|c| doc.attr(c, "Value"))
        .unwrap_or_default();
    if code == SUCCESS {
        Ok(())
    } else {
        Err(SamlError::StatusNotSuccess {
            code: code.chars().take(200).collect(),
        })
    }
}

/// Checks InResponseTo against the pending request; returns the request answered.
fn answered_request<'a>(
    expect: &Expectations<'a>,
    got: Option<&str>,
) -> Result<Option<&'a str>, SamlError> {
    match (expect.in_response_to, got) {
        (Some(want), Some(got)) if want == got => Ok(Some(want)),
        (Some(_), Some(_)) => Err(SamlError::InResponseToMismatch),
        (Some(_), None) => Err(SamlError::InResponseToMissing),
        (None, Some(_)) => Err(SamlError::UnexpectedInResponseTo),
        (None, None) if expect.allow_idp_initiated => Ok(None),
        (None, None) => Err(SamlError::IdpInitiatedNotAllowed),
    }
}

/// Finds a bearer SubjectConfirmation whose data fits; returns its NotOnOrAfter.
fn bearer_confirmation(
    doc: &Document,
    subject: NodeId,
    expect: &Expectations<'_>,
    request: Option<&str>,
) -> Result<Timestamp, SamlError> {
    let mut first_error = SamlError::NoBearerConfirmation;
    for confirmation in doc.children_named(subject, ASSERTION_NS, "SubjectConfirmation") {
        if doc.attr(confirmation, "Method") != Some(BEARER) {
            continue;
        }
        let checked = (|| {
            let data = one_child(doc, confirmation, ASSERTION_NS, "SubjectConfirmationData")
                .ok_or(SamlError::WrongRecipient)?;
            if doc.attr(data, "Recipient") != Some(expect.acs_url) {
                return Err(SamlError::WrongRecipient);
            }
            // Profiles §4.1.4.2: a bearer confirmation limits when the assertion may be
            // delivered (NotOnOrAfter, required) and MUST NOT carry NotBefore.
            if doc.attr(data, "NotBefore").is_some() {
                return Err(SamlError::ConfirmationNotBefore);
            }
            if doc.attr(data, "NotOnOrAfter").is_none() {
                return Err(SamlError::ConfirmationWithoutExpiry);
            }
            if doc.attr(data, "InResponseTo") != request {
                return Err(if request.is_some() {
                    SamlError::InResponseToMismatch
                } else {
                    SamlError::UnexpectedInResponseTo
                });
            }
            let until = window(doc, data, expect)?.ok_or(SamlError::Expired)?;
            Ok(until)
        })();
        match checked {
            Ok(until) => return Ok(until),
            Err(e) if first_error == SamlError::NoBearerConfirmation => first_error = e,
            Err(_) => {}
        }
    }
    Err(first_error)
}

/// Checks Conditions (time window, audience, and that every condition is one we
/// understand); returns its NotOnOrAfter.
fn conditions(
    doc: &Document,
    assertion: NodeId,
    expect: &Expectations<'_>,
) -> Result<Option<Timestamp>, SamlError> {
    let conditions =
        one_child(doc, assertion, ASSERTION_NS, "Conditions").ok_or(SamlError::WrongAudience)?;
    // Core §2.5.1.2: NotBefore MUST be earlier than NotOnOrAfter.
    if let (Some(before), Some(after)) = (
        doc.attr(conditions, "NotBefore"),
        doc.attr(conditions, "NotOnOrAfter"),
    ) {
        if parse_time(before)? >= parse_time(after)? {
            return Err(SamlError::InvalidTimeWindow);
        }
    }
    let until = window(doc, conditions, expect)?;
    // Core §2.5.1: a condition not understood makes the assertion's validity
    // indeterminate, so it is refused. OneTimeUse is met by the replay record, and a
    // ProxyRestriction binds only those who pass the assertion on, which we never do;
    // each at most once (§2.5.1.5, §2.5.1.6).
    let (mut audiences, mut one_time, mut proxy) = (0, 0, 0);
    for (child, e) in doc.child_elements(conditions) {
        let counter = if e.name.is(ASSERTION_NS, "AudienceRestriction") {
            // Each AudienceRestriction is satisfied on its own (§2.5.1.4).
            let names_us = doc
                .children_named(child, ASSERTION_NS, "Audience")
                .any(|a| doc.text(a).trim() == expect.sp_entity_id);
            if !names_us {
                return Err(SamlError::WrongAudience);
            }
            &mut audiences
        } else if e.name.is(ASSERTION_NS, "OneTimeUse") {
            &mut one_time
        } else if e.name.is(ASSERTION_NS, "ProxyRestriction") {
            &mut proxy
        } else {
            return Err(SamlError::UnsupportedCondition);
        };
        *counter += 1;
    }
    if audiences == 0 {
        return Err(SamlError::WrongAudience);
    }
    if one_time > 1 || proxy > 1 {
        return Err(SamlError::DuplicateCondition);
    }
    Ok(until)
}

/// Profiles §4.1.4.2: at least one AuthnStatement; core §2.7.2: each has AuthnInstant
/// and AuthnContext. Returns the earliest SessionNotOnOrAfter (the session this SP
/// makes must end by then, §4.1.4.3), refusing one that has already passed.
fn authn_statements(
    doc: &Document,
    assertion: NodeId,
    expect: &Expectations<'_>,
) -> Result<Option<Timestamp>, SamlError> {
    let mut any = false;
    let mut session_end: Option<Timestamp> = None;
    for statement in doc.children_named(assertion, ASSERTION_NS, "AuthnStatement") {
        any = true;
        let instant = doc
            .attr(statement, "AuthnInstant")
            .ok_or(SamlError::MalformedAuthnStatement)?;
        parse_time(instant)?;
        if one_child(doc, statement, ASSERTION_NS, "AuthnContext").is_none() {
            return Err(SamlError::MalformedAuthnStatement);
        }
        if let Some(end) = doc.attr(statement, "SessionNotOnOrAfter") {
            let end = parse_time(end)?;
            session_end = Some(session_end.map_or(end, |e| e.min(end)));
        }
    }
    if !any {
        return Err(SamlError::MissingAuthnStatement);
    }
    if let Some(end) = session_end {
        let skew = expect.clock_skew_seconds.saturating_mul(1000);
        if expect.now.millis().saturating_sub(skew) >= end.millis() {
            return Err(SamlError::SessionEnded);
        }
    }
    Ok(session_end)
}

/// Profiles §4.1.4.2: an Issuer's Format is absent or `…:nameid-format:entity`.
fn entity_format(doc: &Document, issuer: NodeId) -> Result<(), SamlError> {
    match doc.attr(issuer, "Format") {
        None | Some(ENTITY) => Ok(()),
        Some(_) => Err(SamlError::IssuerFormat),
    }
}

/// Checks NotBefore / NotOnOrAfter of `element` with the skew; returns NotOnOrAfter.
fn window(
    doc: &Document,
    element: NodeId,
    expect: &Expectations<'_>,
) -> Result<Option<Timestamp>, SamlError> {
    let skew = expect.clock_skew_seconds.saturating_mul(1000);
    let now = expect.now.millis();
    if let Some(before) = doc.attr(element, "NotBefore") {
        if now.saturating_add(skew) < parse_time(before)?.millis() {
            return Err(SamlError::NotYetValid);
        }
    }
    match doc.attr(element, "NotOnOrAfter") {
        Some(after) => {
            let after = parse_time(after)?;
            if now.saturating_sub(skew) >= after.millis() {
                return Err(SamlError::Expired);
            }
            Ok(Some(after))
        }
        None => Ok(None),
    }
}

/// An xs:dateTime as SAML uses it (UTC; fractions allowed).
fn parse_time(text: &str) -> Result<Timestamp, SamlError> {
    Timestamp::parse_rfc3339(text.trim()).ok_or(SamlError::InvalidTimestamp)
}
