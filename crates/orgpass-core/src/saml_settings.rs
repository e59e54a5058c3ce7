//! An organization's SAML settings (docs/product.md §7 "SAML settings"): what an
//! administrator types or imports, validated into [`SamlSettings`], and the service
//! provider's own URLs derived from the space key.
//!
//! A certificate is trusted because an administrator configured it, not because of who
//! issued it or when it expires (IdPs sign with long-lived self-signed certificates and
//! keep signing after the date); the expiry is shown, with a warning inside
//! [`EXPIRY_WARNING_DAYS`]. RSA keys must be at least [`MIN_RSA_BITS`].

use base64::Engine as _;
use saml_sp::{metadata::IdpMetadata, Certificate, SamlError, VerificationKey};

use crate::{
    time::{Timestamp, DAY_MS},
    validation::{FieldError, Invalid},
};

/// The default allowed clock difference.
pub const DEFAULT_CLOCK_SKEW_SECONDS: i64 = 180;
/// The largest allowed clock difference.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 600;
/// At most this many signing certificates (two during a rotation).
pub const MAX_CERTIFICATES: usize = 2;
/// The smallest RSA key accepted.
pub const MIN_RSA_BITS: usize = 2048;
/// Certificates expiring within this many days are flagged.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
/// Longest entity ID or URL accepted.
const MAX_URI_LEN: usize = 1024;

/// Validated SAML settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlSettings {
    /// The IdP's entity ID (the Issuer of its responses).
    pub idp_entity_id: String,
    /// The IdP's SSO endpoint for the HTTP-Redirect binding.
    pub idp_sso_url: String,
    /// One or two signing certificates.
    pub certificates: Vec<Certificate>,
    /// Whether unsolicited (IdP-initiated) responses are accepted.
    pub allow_idp_initiated: bool,
    /// Allowed clock difference in seconds (0 to [`MAX_CLOCK_SKEW_SECONDS`]).
    pub clock_skew_seconds: i64,
    /// Whether RSA-SHA1 / SHA-1 digests are accepted.
    pub allow_sha1: bool,
}

/// What a login needs of the settings: the IdP, the keys of its certificates (no X.509
/// is parsed at login: the keys are stored when the settings are saved) and the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSettings {
    /// The IdP's entity ID (the Issuer of its responses).
    pub idp_entity_id: String,
    /// The keys of the signing certificates, in their order.
    pub keys: Vec<VerificationKey>,
    /// Whether unsolicited (IdP-initiated) responses are accepted.
    pub allow_idp_initiated: bool,
    /// Allowed clock difference in seconds.
    pub clock_skew_seconds: i64,
    /// Whether RSA-SHA1 / SHA-1 digests are accepted.
    pub allow_sha1: bool,
}

impl SamlSettings {
    /// What a login needs of these settings.
    #[must_use]
    pub fn login(&self) -> LoginSettings {
        LoginSettings {
            idp_entity_id: self.idp_entity_id.clone(),
            keys: self.certificates.iter().map(|c| c.key().clone()).collect(),
            allow_idp_initiated: self.allow_idp_initiated,
            clock_skew_seconds: self.clock_skew_seconds,
            allow_sha1: self.allow_sha1,
        }
    }
}

/// Settings as typed (or sent to the API).
#[derive(Debug, Clone, Default)]
pub struct SettingsInput<'a> {
    /// IdP entity ID.
    pub idp_entity_id: &'a str,
    /// IdP SSO URL.
    pub idp_sso_url: &'a str,
    /// PEM certificates (empty strings are ignored).
    pub certificates: Vec<&'a str>,
    /// Allow IdP-initiated login.
    pub allow_idp_initiated: bool,
    /// Clock skew; the default when absent.
    pub clock_skew_seconds: Option<i64>,
    /// Allow SHA-1.
    pub allow_sha1: bool,
}

/// The service provider's URLs of one organization (docs/api.md "SAML endpoints").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpUrls {
    /// `{BASE_URL}/saml/{org}`: our entity ID (the Audience).
    pub entity_id: String,
    /// `{BASE_URL}/saml/{org}/acs`: where the IdP posts (Destination, Recipient).
    pub acs_url: String,
    /// `{BASE_URL}/saml/{org}/metadata`.
    pub metadata_url: String,
}

impl SpUrls {
    /// The URLs of the organization `space_key` under `base_url` (no trailing slash).
    #[must_use]
    pub fn new(base_url: &str, space_key: &str) -> Self {
        let entity_id = format!("{base_url}/saml/{space_key}");
        Self {
            acs_url: format!("{entity_id}/acs"),
            metadata_url: format!("{entity_id}/metadata"),
            entity_id,
        }
    }
}

const fn field(field: &'static str, code: &'static str, message: &'static str) -> FieldError {
    FieldError::new(field, code, message)
}

fn entity_id(input: &str) -> Result<String, FieldError> {
    let id = input.trim();
    if id.is_empty() || id.len() > MAX_URI_LEN || id.chars().any(char::is_control) {
        return Err(field(
            "idp_entity_id",
            "invalid_idp_entity_id",
            "Enter the IdP's entity ID (its Issuer), as its metadata or admin console shows it.",
        ));
    }
    Ok(id.to_owned())
}

fn sso_url(input: &str) -> Result<String, FieldError> {
    let bad = field(
        "idp_sso_url",
        "invalid_idp_sso_url",
        "Enter the IdP's single sign-on URL for the HTTP-Redirect binding (https://…).",
    );
    let url = input.trim();
    if url.len() > MAX_URI_LEN {
        return Err(bad);
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => Ok(url.to_owned()),
        _ => Err(bad),
    }
}

fn skew(input: Option<i64>) -> Result<i64, FieldError> {
    match input {
        None => Ok(DEFAULT_CLOCK_SKEW_SECONDS),
        Some(s) if (0..=MAX_CLOCK_SKEW_SECONDS).contains(&s) => Ok(s),
        Some(_) => Err(field(
            "clock_skew_seconds",
            "invalid_clock_skew",
            "The clock skew is a number of seconds from 0 to 600.",
        )),
    }
}

fn certificate_error(error: &SamlError) -> FieldError {
    match error {
        SamlError::UnsupportedKey => field(
            "idp_certificates",
            "unsupported_key",
            "The certificate's key must be RSA (2048 bits or more) or ECDSA P-256/P-384.",
        ),
        _ => field(
            "idp_certificates",
            "invalid_certificate",
            "Paste the IdP's signing certificate in PEM form (-----BEGIN CERTIFICATE-----).",
        ),
    }
}

/// Checks one certificate's key.
fn acceptable(cert: Certificate) -> Result<Certificate, FieldError> {
    match cert.rsa_bits() {
        Some(bits) if bits < MIN_RSA_BITS => Err(field(
            "idp_certificates",
            "weak_key",
            "RSA keys shorter than 2048 bits are refused.",
        )),
        _ => Ok(cert),
    }
}

fn certificates(list: Vec<Certificate>) -> Result<Vec<Certificate>, FieldError> {
    if list.is_empty() || list.len() > MAX_CERTIFICATES {
        return Err(field(
            "idp_certificates",
            "invalid_certificate_count",
            "Give one signing certificate, or two during a rotation.",
        ));
    }
    let mut out: Vec<Certificate> = Vec::with_capacity(list.len());
    for cert in list {
        let cert = acceptable(cert)?;
        if !out.iter().any(|c| c.der() == cert.der()) {
            out.push(cert);
        }
    }
    Ok(out)
}

impl SamlSettings {
    /// Validates typed settings.
    ///
    /// # Errors
    /// Every refused field: `invalid_idp_entity_id`, `invalid_idp_sso_url`,
    /// `invalid_certificate`, `unsupported_key`, `weak_key`,
    /// `invalid_certificate_count`, `invalid_clock_skew`.
    pub fn from_input(input: &SettingsInput<'_>) -> Result<Self, Invalid> {
        let parsed: Result<Vec<Certificate>, FieldError> = input
            .certificates
            .iter()
            .filter(|pem| !pem.trim().is_empty())
            .map(|pem| Certificate::parse(pem).map_err(|e| certificate_error(&e)))
            .collect();
        Self::checked(
            entity_id(input.idp_entity_id),
            sso_url(input.idp_sso_url),
            parsed.and_then(certificates),
            skew(input.clock_skew_seconds),
            (input.allow_idp_initiated, input.allow_sha1),
        )
    }

    /// Settings from the IdP's metadata XML: its entity ID, its HTTP-Redirect SSO
    /// endpoint and every signing certificate (all kept, up to [`MAX_CERTIFICATES`]),
    /// with the options given.
    ///
    /// # Errors
    /// `invalid_metadata` (not IdP metadata, or no HTTP-Redirect SSO endpoint), or the
    /// field errors of [`Self::from_input`] for what the metadata carries.
    pub fn from_metadata(
        xml: &str,
        allow_idp_initiated: bool,
        clock_skew_seconds: Option<i64>,
        allow_sha1: bool,
    ) -> Result<Self, Invalid> {
        let bad = field(
            "idp_metadata_xml",
            "invalid_metadata",
            "Paste the IdP's SAML metadata XML (an EntityDescriptor with an IDPSSODescriptor).",
        );
        let metadata = IdpMetadata::parse(xml.as_bytes()).map_err(|e| match e {
            SamlError::InvalidCertificate | SamlError::UnsupportedKey => {
                Invalid::from(certificate_error(&e))
            }
            _ => Invalid::from(bad),
        })?;
        let sso = metadata.sso_url.ok_or(Invalid::from(field(
            "idp_metadata_xml",
            "invalid_metadata",
            "The metadata has no single sign-on endpoint for the HTTP-Redirect binding.",
        )))?;
        Self::checked(
            entity_id(&metadata.entity_id),
            sso_url(&sso),
            certificates(metadata.certificates),
            skew(clock_skew_seconds),
            (allow_idp_initiated, allow_sha1),
        )
    }

    /// The settings if every check passed, else every refused field.
    fn checked(
        entity: Result<String, FieldError>,
        sso: Result<String, FieldError>,
        certificates: Result<Vec<Certificate>, FieldError>,
        skew: Result<i64, FieldError>,
        (allow_idp_initiated, allow_sha1): (bool, bool),
    ) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let idp_entity_id = invalid.check(entity);
        let idp_sso_url = invalid.check(sso);
        let certificates = invalid.check(certificates);
        let clock_skew_seconds = invalid.check(skew);
        invalid.into_result()?;
        match (idp_entity_id, idp_sso_url, certificates, clock_skew_seconds) {
            (
                Some(idp_entity_id),
                Some(idp_sso_url),
                Some(certificates),
                Some(clock_skew_seconds),
            ) => Ok(Self {
                idp_entity_id,
                idp_sso_url,
                certificates,
                allow_idp_initiated,
                clock_skew_seconds,
                allow_sha1,
            }),
            _ => Err(Invalid::default()),
        }
    }
}

/// A certificate in PEM form (64-character lines).
#[must_use]
pub fn pem(cert: &Certificate) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert.der());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// How close a certificate is to its expiry, for the settings page and API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// More than [`EXPIRY_WARNING_DAYS`] away.
    Valid,
    /// Within [`EXPIRY_WARNING_DAYS`] (whole days left).
    Soon(i64),
    /// Past (signatures still verify: trust comes from the configuration).
    Expired,
}

impl Expiry {
    /// The expiry state of `cert` at `now`.
    #[must_use]
    pub fn of(cert: &Certificate, now: Timestamp) -> Self {
        let left = cert.not_after().millis() - now.millis();
        if left <= 0 {
            Self::Expired
        } else if left <= EXPIRY_WARNING_DAYS * DAY_MS {
            Self::Soon(left / DAY_MS)
        } else {
            Self::Valid
        }
    }

    /// `valid`, `expires_soon` or `expired`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Soon(_) => "expires_soon",
            Self::Expired => "expired",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn fixture_cert(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/../saml-sp/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn input<'a>(certs: Vec<&'a str>) -> SettingsInput<'a> {
        SettingsInput {
            idp_entity_id: "https://idp.example.com/metadata",
            idp_sso_url: "https://idp.example.com/sso",
            certificates: certs,
            allow_idp_initiated: false,
            clock_skew_seconds: None,
            allow_sha1: false,
        }
    }

    #[test]
    fn typed_settings_are_checked_field_by_field() {
        let pem_2048 = fixture_cert("keys/rsa2048.crt");
        let ok = SamlSettings::from_input(&input(vec![&pem_2048, &pem_2048])).unwrap();
        assert_eq!(
            ok.certificates.len(),
            1,
            "the same certificate twice is kept once"
        );
        assert_eq!(ok.clock_skew_seconds, DEFAULT_CLOCK_SKEW_SECONDS);
        // The stored PEM reads back to the same certificate.
        assert_eq!(
            Certificate::parse(&pem(&ok.certificates[0])).unwrap(),
            ok.certificates[0]
        );

        let mut bad = input(vec!["not a certificate"]);
        bad.idp_entity_id = " ";
        bad.idp_sso_url = "ftp://idp.example.com";
        bad.clock_skew_seconds = Some(601);
        let codes: Vec<_> = SamlSettings::from_input(&bad)
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(
            codes,
            [
                "invalid_idp_entity_id",
                "invalid_idp_sso_url",
                "invalid_certificate",
                "invalid_clock_skew"
            ]
        );
        let none = SamlSettings::from_input(&input(vec![])).unwrap_err();
        assert_eq!(none.code(), "invalid_certificate_count");
        let weak = fixture_cert("keys/rsa1024.crt");
        assert_eq!(
            SamlSettings::from_input(&input(vec![&weak]))
                .unwrap_err()
                .code(),
            "weak_key"
        );
    }

    #[test]
    fn urls_and_expiry() {
        let urls = SpUrls::new("http://127.0.0.1:8787", "ABCDE12345");
        assert_eq!(urls.entity_id, "http://127.0.0.1:8787/saml/ABCDE12345");
        assert_eq!(urls.acs_url, "http://127.0.0.1:8787/saml/ABCDE12345/acs");
        let cert = Certificate::parse(&fixture_cert("keys/rsa2048.crt")).unwrap();
        let end = cert.not_after();
        assert_eq!(Expiry::of(&cert, end), Expiry::Expired);
        assert_eq!(
            Expiry::of(&cert, end.plus_millis(-DAY_MS * 3 - 1)),
            Expiry::Soon(3)
        );
        assert_eq!(
            Expiry::of(&cert, end.plus_millis(-DAY_MS * 31)),
            Expiry::Valid
        );
    }
}
