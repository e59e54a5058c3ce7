//! XML-DSig verification of an enveloped signature over the element that holds it.
//!
//! What is accepted, and nothing else:
//! - `ds:Signature` = `SignedInfo`, `SignatureValue`, optional `KeyInfo` (read only to
//!   name an unconfigured certificate in the error; never a source of keys);
//! - `SignedInfo` = exclusive c14n (with or without comments), an allow-listed
//!   signature method, exactly one `Reference`;
//! - the `Reference` URI is `#` + the `ID` of the signature's parent element, its
//!   transforms exactly enveloped-signature then exclusive c14n, an allow-listed
//!   digest. A bare `#id` reference selects the element without comments (XML-DSig
//!   §4.4.3.3), whatever the c14n flavour says.
//!
//! Sans-IO: [`prepare`] reads the signature, checks its structure and canonicalises
//! `SignedInfo`; it names the [`SignatureCheck`]s it needs (one per configured key that
//! fits the algorithm), which a back end performs (RustCrypto in `crate::native`,
//! WebCrypto in the Worker). [`Prepared::conclude`] takes their verdicts, then checks
//! the reference's digest, and only it constructs a [`Verified`], the proof that an
//! element was signed by a configured certificate.

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{
    c14n::{self, Options},
    cert::{KeyKind, VerificationKey},
    xml::{Document, NodeId},
    SamlError, DSIG_NS,
};

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// A digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlg {
    /// SHA-1 (only with the opt-in).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlg {
    fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => Self::Sha1,
            "http://www.w3.org/2001/04/xmlenc#sha256" => Self::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Self::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => Self::Sha512,
            _ => return None,
        })
    }

    /// The digest of `data`.
    #[must_use]
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// A signature algorithm: a key kind and a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlg {
    /// RSA PKCS#1 v1.5.
    Rsa(DigestAlg),
    /// ECDSA (the curve is the key's).
    Ecdsa(DigestAlg),
}

impl SignatureAlg {
    fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => Self::Rsa(DigestAlg::Sha1),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Self::Rsa(DigestAlg::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Self::Rsa(DigestAlg::Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Self::Rsa(DigestAlg::Sha512),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => Self::Ecdsa(DigestAlg::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => Self::Ecdsa(DigestAlg::Sha384),
            _ => return None,
        })
    }

    /// The digest the signature is over.
    #[must_use]
    pub const fn digest(self) -> DigestAlg {
        match self {
            Self::Rsa(d) | Self::Ecdsa(d) => d,
        }
    }
}

/// Proof that element `node` was signed by a configured certificate. Only
/// [`Prepared::conclude`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    node: NodeId,
    fingerprint: String,
}

impl Verified {
    /// The element the signature covers (the enveloped signature excepted).
    #[must_use]
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The SHA-256 fingerprint of the certificate that verified it.
    #[must_use]
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// The one `ds:Signature` child of `element`, if any.
///
/// # Errors
/// [`SamlError::UnexpectedSignature`] when there are several.
pub fn signature_of(doc: &Document, element: NodeId) -> Result<Option<NodeId>, SamlError> {
    let mut sigs = doc.children_named(element, DSIG_NS, "Signature");
    let first = sigs.next();
    if sigs.next().is_some() {
        return Err(SamlError::UnexpectedSignature);
    }
    Ok(first)
}

/// One signature check a back end performs: does `signature` verify over `message`
/// with `key`, by `algorithm`?
#[derive(Debug, Clone, Copy)]
pub struct SignatureCheck<'a> {
    /// The signature method (for ECDSA the curve is the key's).
    pub algorithm: SignatureAlg,
    /// The configured key.
    pub key: &'a VerificationKey,
    /// The canonical `SignedInfo`.
    pub message: &'a [u8],
    /// The `SignatureValue` (RSA: the integer's bytes; ECDSA: r ‖ s, RFC 4050).
    pub signature: &'a [u8],
}

/// A signature whose structure is sound, waiting for its checks.
#[derive(Debug)]
pub struct Prepared {
    signed: NodeId,
    signature: NodeId,
    key_info: Option<NodeId>,
    algorithm: SignatureAlg,
    digest_alg: DigestAlg,
    ref_prefixes: Vec<String>,
    expected_digest: Vec<u8>,
    signed_info: Vec<u8>,
    signature_value: Vec<u8>,
    /// The configured keys (by index) that fit the algorithm, in order.
    candidates: Vec<usize>,
}

/// Reads the enveloped signature `signature`, a child of the element it signs, and
/// canonicalises its `SignedInfo`.
///
/// # Errors
/// The [`SamlError`] naming the first rule of structure or algorithm broken.
pub fn prepare(
    doc: &Document,
    signature: NodeId,
    keys: &[VerificationKey],
    allow_sha1: bool,
) -> Result<Prepared, SamlError> {
    let signed = doc
        .element(signature)
        .and_then(|e| e.parent)
        .ok_or(SamlError::MalformedSignature)?;
    let parts: Vec<_> = doc.child_elements(signature).collect();
    let (signed_info, signature_value, key_info) = match parts.as_slice() {
        [(si, s), (sv, v)] if is_ds(s, "SignedInfo") && is_ds(v, "SignatureValue") => {
            (*si, *sv, None)
        }
        [(si, s), (sv, v), (ki, k)]
            if is_ds(s, "SignedInfo") && is_ds(v, "SignatureValue") && is_ds(k, "KeyInfo") =>
        {
            (*si, *sv, Some(*ki))
        }
        _ => return Err(SamlError::MalformedSignature),
    };

    // SignedInfo: CanonicalizationMethod, SignatureMethod, Reference.
    let info: Vec<_> = doc.child_elements(signed_info).collect();
    let [(cm, c), (sm, m), refs @ ..] = info.as_slice() else {
        return Err(SamlError::MalformedSignature);
    };
    if !is_ds(c, "CanonicalizationMethod") || !is_ds(m, "SignatureMethod") {
        return Err(SamlError::MalformedSignature);
    }
    let [(reference, r)] = refs else {
        return Err(SamlError::ReferenceCount);
    };
    if !is_ds(r, "Reference") {
        return Err(SamlError::ReferenceCount);
    }
    let (info_comments, info_prefixes) =
        exclusive_c14n(doc, *cm, SamlError::UnsupportedCanonicalization)?;
    let algorithm = doc
        .attr(*sm, "Algorithm")
        .and_then(SignatureAlg::from_uri)
        .ok_or(SamlError::UnsupportedSignatureAlgorithm)?;
    if algorithm.digest() == DigestAlg::Sha1 && !allow_sha1 {
        return Err(SamlError::Sha1NotAllowed);
    }

    // The Reference must name the element the signature is on.
    let id = doc.attr(signed, "ID").ok_or(SamlError::ReferenceMismatch)?;
    let uri = doc.attr(*reference, "URI").unwrap_or_default();
    if uri.strip_prefix('#') != Some(id) {
        return Err(SamlError::ReferenceMismatch);
    }
    let ref_parts: Vec<_> = doc.child_elements(*reference).collect();
    let [(transforms, t), (dm, d), (dv, v)] = ref_parts.as_slice() else {
        return Err(SamlError::MalformedSignature);
    };
    if !is_ds(t, "Transforms") || !is_ds(d, "DigestMethod") || !is_ds(v, "DigestValue") {
        return Err(SamlError::MalformedSignature);
    }
    let steps: Vec<_> = doc.child_elements(*transforms).collect();
    let [(t1, e1), (t2, e2)] = steps.as_slice() else {
        return Err(SamlError::UnsupportedTransform);
    };
    if !is_ds(e1, "Transform")
        || !is_ds(e2, "Transform")
        || doc.attr(*t1, "Algorithm") != Some(ENVELOPED)
        || doc.child_elements(*t1).next().is_some()
    {
        return Err(SamlError::UnsupportedTransform);
    }
    let (_, ref_prefixes) = exclusive_c14n(doc, *t2, SamlError::UnsupportedTransform)?;
    let digest_alg = doc
        .attr(*dm, "Algorithm")
        .and_then(DigestAlg::from_uri)
        .ok_or(SamlError::UnsupportedDigest)?;
    if digest_alg == DigestAlg::Sha1 && !allow_sha1 {
        return Err(SamlError::Sha1NotAllowed);
    }
    let expected_digest = base64(&doc.text(*dv))?;
    let signature_value = base64(&doc.text(signature_value))?;

    let signed_info = c14n::canonicalize(
        doc,
        signed_info,
        Options {
            with_comments: info_comments,
            inclusive_prefixes: &info_prefixes,
            exclude: None,
        },
    );
    let candidates = keys
        .iter()
        .enumerate()
        .filter(|(_, key)| fits(key.kind(), algorithm))
        .map(|(i, _)| i)
        .collect();
    Ok(Prepared {
        signed,
        signature,
        key_info,
        algorithm,
        digest_alg,
        ref_prefixes,
        expected_digest,
        signed_info,
        signature_value,
        candidates,
    })
}

/// Whether a key of `kind` can make a signature by `algorithm`.
const fn fits(kind: KeyKind, algorithm: SignatureAlg) -> bool {
    matches!(
        (kind, algorithm),
        (KeyKind::Rsa { .. }, SignatureAlg::Rsa(_))
            | (KeyKind::P256 | KeyKind::P384, SignatureAlg::Ecdsa(_))
    )
}

impl Prepared {
    /// The checks this signature needs, one per configured key that fits, in the order
    /// of `keys` (the ones [`prepare`] was given).
    pub fn checks<'a>(
        &'a self,
        keys: &'a [VerificationKey],
    ) -> impl Iterator<Item = SignatureCheck<'a>> {
        self.candidates.iter().filter_map(move |i| {
            Some(SignatureCheck {
                algorithm: self.algorithm,
                key: keys.get(*i)?,
                message: &self.signed_info,
                signature: &self.signature_value,
            })
        })
    }

    /// How many checks [`Self::checks`] names.
    #[must_use]
    pub fn check_count(&self) -> usize {
        self.candidates.len()
    }

    /// The proof, given the verdicts of [`Self::checks`] in their order (a missing
    /// verdict is a failed check): the first key whose check passed signed it; then
    /// the element's digest, without its signature and without comments, must match.
    ///
    /// # Errors
    /// [`SamlError::UntrustedCertificate`], [`SamlError::SignatureInvalid`] or
    /// [`SamlError::KeyTypeMismatch`] when no check passed;
    /// [`SamlError::DigestMismatch`].
    pub fn conclude(
        &self,
        doc: &Document,
        keys: &[VerificationKey],
        verdicts: &[bool],
    ) -> Result<Verified, SamlError> {
        let signer = self
            .candidates
            .iter()
            .zip(verdicts)
            .find(|(_, ok)| **ok)
            .and_then(|(i, _)| keys.get(*i));
        let Some(signer) = signer else {
            if names_other_certificate(doc, self.key_info, keys) {
                return Err(SamlError::UntrustedCertificate);
            }
            return Err(if self.candidates.is_empty() {
                SamlError::KeyTypeMismatch
            } else {
                SamlError::SignatureInvalid
            });
        };
        let content = c14n::canonicalize(
            doc,
            self.signed,
            Options {
                with_comments: false,
                inclusive_prefixes: &self.ref_prefixes,
                exclude: Some(self.signature),
            },
        );
        let actual = self.digest_alg.digest(&content);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            actual.as_slice(),
            self.expected_digest.as_slice(),
        )) {
            return Err(SamlError::DigestMismatch);
        }
        Ok(Verified {
            node: self.signed,
            fingerprint: signer.fingerprint_sha256(),
        })
    }
}

fn is_ds(e: &super::xml::Element, local: &str) -> bool {
    e.name.is(DSIG_NS, local)
}

/// The most prefixes an `InclusiveNamespaces` `PrefixList` may name (IdPs send a
/// handful; canonicalization looks each one up at every element).
pub const MAX_PREFIXES: usize = 32;

/// Reads an exclusive c14n method element: (with comments, PrefixList); `other` is the
/// refusal of any other method.
fn exclusive_c14n(
    doc: &Document,
    method: NodeId,
    other: SamlError,
) -> Result<(bool, Vec<String>), SamlError> {
    let with_comments = match doc.attr(method, "Algorithm") {
        Some(EXC_C14N) => false,
        Some(EXC_C14N_COMMENTS) => true,
        _ => return Err(other),
    };
    let mut prefixes = Vec::new();
    for (child, e) in doc.child_elements(method) {
        if !e.name.is(EXC_C14N, "InclusiveNamespaces") {
            return Err(other);
        }
        if let Some(list) = doc.attr(child, "PrefixList") {
            // One more than allowed is enough to refuse.
            let room = (MAX_PREFIXES + 1).saturating_sub(prefixes.len());
            prefixes.extend(list.split_ascii_whitespace().take(room).map(str::to_owned));
        }
    }
    if prefixes.len() > MAX_PREFIXES {
        return Err(SamlError::TooManyPrefixes);
    }
    Ok((with_comments, prefixes))
}

fn base64(text: &str) -> Result<Vec<u8>, SamlError> {
    super::decode_base64(text.as_bytes()).map_err(|_| SamlError::MalformedSignature)
}

/// Whether KeyInfo carries an X509Certificate that is none of the configured ones.
fn names_other_certificate(
    doc: &Document,
    key_info: Option<NodeId>,
    keys: &[VerificationKey],
) -> bool {
    let Some(key_info) = key_info else {
        return false;
    };
    doc.children_named(key_info, DSIG_NS, "X509Data")
        .flat_map(|data| doc.children_named(data, DSIG_NS, "X509Certificate"))
        .filter_map(|c| base64(&doc.text(c)).ok())
        .map(|der| <[u8; 32]>::from(Sha256::digest(der)))
        .any(|sha| keys.iter().all(|key| key.certificate_sha256() != &sha))
}
