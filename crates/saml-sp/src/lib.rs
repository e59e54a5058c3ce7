//! SAML 2.0 for the service provider side (pure): XML reading, exclusive
//! canonicalization, XML-DSig verification, Response/Assertion validation,
//! AuthnRequest and metadata.
//!
//! The rules (docs/saml.md) in one paragraph: the message is parsed once
//! into one [`xml::Document`]; signatures are verified on that tree
//! ([`dsig`]), each over the element it is a direct child of and nothing else; the
//! identity is read only from the one Assertion that is a direct child of the
//! Response, which is that verified element or inside it ([`response`]). Keys come
//! only from configured certificates ([`cert`]); algorithms and transforms are
//! allow-listed. Every refusal is its own [`SamlError`] variant.
//!
//! ```text
//!   bytes ─► Pending::start ─► checks ─► (a back end) ─► verdicts ─► Pending::finish ─► VerifiedLogin
//!              xml::Document     dsig::prepare               RustCrypto: native   dsig::conclude
//!              (Response and/or Assertion; keys: cert::VerificationKey, configured only;
//!               c14n::canonicalize, exclusive, enveloped)
//! ```
//!
//! The signature arithmetic is sans-IO: the core names each check it needs (algorithm,
//! key, canonical `SignedInfo`, signature value) and takes the verdicts back, so the
//! Worker performs them with the runtime's native WebCrypto while native builds (the
//! `saml-verify` command, tests, fuzzing, benches) use RustCrypto behind the
//! `rustcrypto` feature ([`native`]).

pub mod c14n;
pub mod cert;
pub mod dsig;
pub mod metadata;
#[cfg(feature = "rustcrypto")]
pub mod native;
pub mod request;
pub mod response;
pub mod time;
pub mod xml;

// The tests verify with the native back end.
#[cfg(test)]
#[cfg(feature = "rustcrypto")]
mod tests;

pub use cert::{Certificate, KeyKind, VerificationKey};
pub use dsig::SignatureCheck;
#[cfg(feature = "rustcrypto")]
pub use native::verify_response;
pub use response::{Expectations, Pending, VerifiedLogin};
pub use time::Timestamp;

/// The SAML protocol namespace (`samlp:`).
pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The SAML assertion namespace (`saml:`).
pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// The SAML metadata namespace (`md:`).
pub const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// The XML-DSig namespace (`ds:`).
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// NameID format `emailAddress`.
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// Why a SAML message (or a certificate, or metadata) was refused. Each variant is one
/// cause, for logs, tests and the administrator's failure list; people see a generic
/// message with a reference code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamlError {
    // The XML itself.
    /// Over [`xml::MAX_BYTES`].
    TooLarge,
    /// Nested deeper than [`xml::MAX_DEPTH`].
    TooDeep,
    /// More than [`xml::MAX_ATTRIBUTES`] attributes and namespace declarations on one
    /// element.
    TooManyAttributes,
    /// More than [`xml::MAX_NODES`] nodes (elements, text, comments, processing
    /// instructions).
    TooManyNodes,
    /// More than [`xml::MAX_TEXT_BYTES`] of text and attribute values in all.
    TooMuchText,
    /// An `InclusiveNamespaces` `PrefixList` of more than [`dsig::MAX_PREFIXES`].
    TooManyPrefixes,
    /// Not UTF-8.
    NotUtf8,
    /// Not base64 where base64 was expected.
    NotBase64,
    /// Not well-formed XML (`at`: byte offset, when known).
    MalformedXml {
        /// Where the reader stopped.
        at: u64,
    },
    /// A DOCTYPE (and with it any entity declaration).
    Doctype,
    /// A reference to an entity other than the five predefined ones.
    EntityReference,
    /// More than one root element.
    MultipleRoots,
    /// Text outside the root element.
    TextOutsideRoot,
    /// One attribute twice on one element.
    DuplicateAttribute,
    /// A prefix used without a declaration.
    UndeclaredPrefix,
    /// A declaration XML namespaces forbid (`xmlns:p=""`, rebinding `xml`/`xmlns`).
    InvalidNamespace,
    /// Two elements carry the same `ID`.
    DuplicateId,

    // The signature.
    /// Neither the Response nor the Assertion carries a signature.
    SignatureMissing,
    /// A `ds:Signature` somewhere other than as a child of the Response or Assertion,
    /// or two of them on one element.
    UnexpectedSignature,
    /// A signature whose structure is not SignedInfo, SignatureValue, KeyInfo?.
    MalformedSignature,
    /// SignedInfo holds other than exactly one Reference.
    ReferenceCount,
    /// The Reference does not point at the element the signature is on (`#` + its ID).
    ReferenceMismatch,
    /// A canonicalization method other than exclusive c14n (with or without comments).
    UnsupportedCanonicalization,
    /// Transforms other than enveloped-signature followed by exclusive c14n.
    UnsupportedTransform,
    /// A digest method not allowed.
    UnsupportedDigest,
    /// A signature method not allowed.
    UnsupportedSignatureAlgorithm,
    /// SHA-1 (digest or signature) without the organization's opt-in.
    Sha1NotAllowed,
    /// No configured certificate has a key of the signature's kind (RSA or ECDSA curve).
    KeyTypeMismatch,
    /// The signature does not verify, and the message names a certificate that is not
    /// configured (typically an IdP certificate rotation not yet saved).
    UntrustedCertificate,
    /// The signature does not verify with any configured certificate.
    SignatureInvalid,
    /// The signed element was changed after signing.
    DigestMismatch,

    // The Response and the Assertion.
    /// The root is not a `samlp:Response`.
    NotAResponse,
    /// A SAML version other than 2.0.
    UnsupportedVersion,
    /// The status is not Success (`code`: the top-level status code).
    StatusNotSuccess {
        /// The StatusCode Value received.
        code: String,
    },
    /// An EncryptedAssertion (not supported yet).
    EncryptedAssertion,
    /// Not exactly one Assertion in the document.
    AssertionCount,
    /// The Issuer is not the configured IdP entity ID.
    WrongIssuer,
    /// The Response's Destination is missing or not the ACS URL.
    WrongDestination,
    /// No bearer SubjectConfirmation.
    NoBearerConfirmation,
    /// The bearer confirmation's Recipient is not the ACS URL.
    WrongRecipient,
    /// No AudienceRestriction, or one that does not name the SP entity ID.
    WrongAudience,
    /// NotBefore is in the future (beyond the allowed skew).
    NotYetValid,
    /// NotOnOrAfter has passed (beyond the allowed skew), or is missing where required.
    Expired,
    /// A timestamp that is not an xs:dateTime.
    InvalidTimestamp,
    /// A request was expected but the response answers none.
    InResponseToMissing,
    /// The response answers another request.
    InResponseToMismatch,
    /// The response answers a request although none was expected.
    UnexpectedInResponseTo,
    /// An unsolicited response where IdP-initiated login is not allowed.
    IdpInitiatedNotAllowed,
    /// No NameID (or an empty one) in the Subject.
    MissingNameId,
    /// The Assertion has no ID.
    MissingAssertionId,
    /// An Issuer with a Format other than `…:nameid-format:entity` (profiles §4.1.4.2).
    IssuerFormat,
    /// A bearer SubjectConfirmationData with NotBefore (profiles §4.1.4.2: MUST NOT).
    ConfirmationNotBefore,
    /// A bearer SubjectConfirmationData without NotOnOrAfter (profiles §4.1.4.2: MUST).
    ConfirmationWithoutExpiry,
    /// Conditions NotBefore not earlier than NotOnOrAfter (core §2.5.1.2).
    InvalidTimeWindow,
    /// A condition this SP does not understand (core §2.5.1: validity indeterminate).
    UnsupportedCondition,
    /// OneTimeUse or ProxyRestriction twice in one Conditions (core §2.5.1.5, §2.5.1.6).
    DuplicateCondition,
    /// No AuthnStatement in the assertion (profiles §4.1.4.2).
    MissingAuthnStatement,
    /// An AuthnStatement without AuthnInstant or AuthnContext (core §2.7.2).
    MalformedAuthnStatement,
    /// The AuthnStatement's SessionNotOnOrAfter has passed (core §2.7.2, profiles
    /// §4.1.4.3).
    SessionEnded,

    // Certificates and metadata.
    /// Not a PEM or DER X.509 certificate.
    InvalidCertificate,
    /// A key type other than RSA, P-256 or P-384.
    UnsupportedKey,
    /// Metadata without an IdP entity (or with several).
    InvalidMetadata,
}

impl SamlError {
    /// The document itself could not be read into a tree (nothing in it can be looked
    /// at again, so callers ranking a refusal need not parse it a second time).
    #[must_use]
    pub const fn is_unreadable(&self) -> bool {
        matches!(
            self,
            Self::TooLarge
                | Self::TooDeep
                | Self::TooManyAttributes
                | Self::TooManyNodes
                | Self::TooMuchText
                | Self::NotUtf8
                | Self::NotBase64
                | Self::MalformedXml { .. }
                | Self::Doctype
                | Self::EntityReference
                | Self::MultipleRoots
                | Self::TextOutsideRoot
                | Self::DuplicateAttribute
                | Self::UndeclaredPrefix
                | Self::InvalidNamespace
        )
    }

    /// The stable snake_case name of the variant.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::TooDeep => "too_deep",
            Self::TooManyAttributes => "too_many_attributes",
            Self::TooManyNodes => "too_many_nodes",
            Self::TooMuchText => "too_much_text",
            Self::TooManyPrefixes => "too_many_prefixes",
            Self::IssuerFormat => "issuer_format",
            Self::ConfirmationNotBefore => "confirmation_not_before",
            Self::ConfirmationWithoutExpiry => "confirmation_without_expiry",
            Self::InvalidTimeWindow => "invalid_time_window",
            Self::UnsupportedCondition => "unsupported_condition",
            Self::DuplicateCondition => "duplicate_condition",
            Self::MissingAuthnStatement => "missing_authn_statement",
            Self::MalformedAuthnStatement => "malformed_authn_statement",
            Self::SessionEnded => "session_ended",
            Self::NotUtf8 => "not_utf8",
            Self::NotBase64 => "not_base64",
            Self::MalformedXml { .. } => "malformed_xml",
            Self::Doctype => "doctype",
            Self::EntityReference => "entity_reference",
            Self::MultipleRoots => "multiple_roots",
            Self::TextOutsideRoot => "text_outside_root",
            Self::DuplicateAttribute => "duplicate_attribute",
            Self::UndeclaredPrefix => "undeclared_prefix",
            Self::InvalidNamespace => "invalid_namespace",
            Self::DuplicateId => "duplicate_id",
            Self::SignatureMissing => "signature_missing",
            Self::UnexpectedSignature => "unexpected_signature",
            Self::MalformedSignature => "malformed_signature",
            Self::ReferenceCount => "reference_count",
            Self::ReferenceMismatch => "reference_mismatch",
            Self::UnsupportedCanonicalization => "unsupported_canonicalization",
            Self::UnsupportedTransform => "unsupported_transform",
            Self::UnsupportedDigest => "unsupported_digest",
            Self::UnsupportedSignatureAlgorithm => "unsupported_signature_algorithm",
            Self::Sha1NotAllowed => "sha1_not_allowed",
            Self::KeyTypeMismatch => "key_type_mismatch",
            Self::UntrustedCertificate => "untrusted_certificate",
            Self::SignatureInvalid => "signature_invalid",
            Self::DigestMismatch => "digest_mismatch",
            Self::NotAResponse => "not_a_response",
            Self::UnsupportedVersion => "unsupported_version",
            Self::StatusNotSuccess { .. } => "status_not_success",
            Self::EncryptedAssertion => "encrypted_assertion",
            Self::AssertionCount => "assertion_count",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongDestination => "wrong_destination",
            Self::NoBearerConfirmation => "no_bearer_confirmation",
            Self::WrongRecipient => "wrong_recipient",
            Self::WrongAudience => "wrong_audience",
            Self::NotYetValid => "not_yet_valid",
            Self::Expired => "expired",
            Self::InvalidTimestamp => "invalid_timestamp",
            Self::InResponseToMissing => "in_response_to_missing",
            Self::InResponseToMismatch => "in_response_to_mismatch",
            Self::UnexpectedInResponseTo => "unexpected_in_response_to",
            Self::IdpInitiatedNotAllowed => "idp_initiated_not_allowed",
            Self::MissingNameId => "missing_name_id",
            Self::MissingAssertionId => "missing_assertion_id",
            Self::InvalidCertificate => "invalid_certificate",
            Self::UnsupportedKey => "unsupported_key",
            Self::InvalidMetadata => "invalid_metadata",
        }
    }
}

impl std::fmt::Display for SamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Decodes base64 as the HTTP-POST binding carries it (line breaks and spaces allowed).
///
/// # Errors
/// [`SamlError::NotBase64`], or [`SamlError::TooLarge`] past [`xml::MAX_BYTES`].
pub fn decode_base64(input: &[u8]) -> Result<Vec<u8>, SamlError> {
    use base64::Engine as _;
    let compact: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if compact.len() / 4 * 3 > xml::MAX_BYTES + 3 {
        return Err(SamlError::TooLarge);
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| SamlError::NotBase64)
}
