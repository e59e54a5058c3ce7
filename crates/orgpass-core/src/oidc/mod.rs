//! OpenID Connect provider rules that need no IO (docs/api.md "Products sign in"):
//! what a client registration may contain (here), the signing keys ([`keys`]), the
//! authorization request and PKCE ([`authorize`]), the claims a product receives
//! ([`claims`]), the compact JWS the tokens are sent as ([`jws`]) and the ID tokens
//! products send back as logout hints ([`hint`]).
//!
//! - A **redirect URI** (and a post-logout redirect or back-channel logout URI) is an
//!   absolute `https` URL, or `http` on a loopback host (RFC 8252 §7.3, for development),
//!   without a fragment (OAuth 2.0 §3.1.2) and without user information. It is stored
//!   exactly as registered: the authorization endpoint compares strings, never a
//!   normalised form, so what was registered is what matches.

pub mod authorize;
pub mod claims;
pub mod hint;
pub mod jws;
pub mod keys;

pub use keys::{thumbprint, KeyError, PublicJwk};

use super::{
    organization::Product,
    validation::{bounded_name, FieldError, Invalid},
};

/// The longest URI a client may register.
pub const URI_MAX: usize = 2000;
/// The most URIs of one kind a client may register.
pub const URIS_MAX: usize = 20;

/// A client registration as the operator asks for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRegistration {
    /// Name shown to people and the operator.
    pub name: String,
    /// The catalogue product it signs people into.
    pub product: &'static str,
    /// The exact redirect URIs (at least one).
    pub redirect_uris: Vec<String>,
    /// The exact URIs RP-initiated logout may return to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Where Back-Channel Logout tokens are posted.
    pub backchannel_logout_uri: Option<String>,
}

/// Whether `input` may be registered as a redirect-like URI.
#[must_use]
pub fn acceptable_uri(input: &str) -> bool {
    if input.len() > URI_MAX || input != input.trim() {
        return false;
    }
    let Ok(url) = url::Url::parse(input) else {
        return false;
    };
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    scheme_ok
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.fragment().is_none()
        && !input.contains('#')
        && url.username().is_empty()
        && url.password().is_none()
}

fn uris(
    list: &[String],
    field: &'static str,
    code: &'static str,
    message: &'static str,
) -> Result<Vec<String>, FieldError> {
    if list.len() > URIS_MAX || !list.iter().all(|u| acceptable_uri(u)) {
        return Err(FieldError::new(field, code, message));
    }
    let mut unique: Vec<String> = Vec::with_capacity(list.len());
    for uri in list {
        if !unique.contains(uri) {
            unique.push(uri.clone());
        }
    }
    Ok(unique)
}

impl ClientRegistration {
    /// Checks a registration.
    ///
    /// # Errors
    /// [`Invalid`] naming each refused field: `invalid_name`, `unknown_product`,
    /// `invalid_redirect_uri` (also for none at all), `invalid_post_logout_redirect_uri`,
    /// `invalid_backchannel_logout_uri`.
    pub fn check(
        name: &str,
        product: &str,
        redirect_uris: &[String],
        post_logout_redirect_uris: &[String],
        backchannel_logout_uri: Option<&str>,
    ) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let name = invalid.check(bounded_name(name));
        let product = invalid.check(Product::parse(product));
        let redirect = invalid.check(if redirect_uris.is_empty() {
            Err(FieldError::new(
                "redirect_uris",
                "invalid_redirect_uri",
                "Give at least one redirect URI.",
            ))
        } else {
            uris(
                redirect_uris,
                "redirect_uris",
                "invalid_redirect_uri",
                "Each redirect URI must be an absolute https URL (http only on a loopback host), without a fragment.",
            )
        });
        let post_logout = invalid.check(uris(
            post_logout_redirect_uris,
            "post_logout_redirect_uris",
            "invalid_post_logout_redirect_uri",
            "Each post-logout redirect URI must be an absolute https URL (http only on a loopback host), without a fragment.",
        ));
        let backchannel = invalid.check(match backchannel_logout_uri {
            Some(uri) if !acceptable_uri(uri) => Err(FieldError::new(
                "backchannel_logout_uri",
                "invalid_backchannel_logout_uri",
                "The back-channel logout URI must be an absolute https URL (http only on a loopback host), without a fragment.",
            )),
            other => Ok(other.map(str::to_owned)),
        });
        invalid.into_result()?;
        match (name, product, redirect, post_logout, backchannel) {
            (Some(name), Some(product), Some(redirect_uris), Some(post), Some(backchannel)) => {
                Ok(Self {
                    name,
                    product: product.key,
                    redirect_uris,
                    post_logout_redirect_uris: post,
                    backchannel_logout_uri: backchannel,
                })
            }
            _ => Err(Invalid::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_http_without_fragments() {
        for ok in [
            "https://tracker.example.com/callback",
            "https://tracker.example.com/cb?x=1",
            "http://127.0.0.1:3000/callback",
            "http://localhost/cb",
            "http://[::1]:8080/cb",
        ] {
            assert!(acceptable_uri(ok), "{ok}");
        }
        for bad in [
            "http://tracker.example.com/callback",
            "https://tracker.example.com/cb#frag",
            "https://tracker.example.com/cb#",
            "/callback",
            "javascript:alert(1)",
            "https://user:pw@tracker.example.com/cb",
            " https://tracker.example.com/cb",
            "custom-scheme://cb",
            "",
        ] {
            assert!(!acceptable_uri(bad), "{bad}");
        }
        assert!(!acceptable_uri(&format!(
            "https://a.example/{}",
            "x".repeat(URI_MAX)
        )));
    }

    #[test]
    fn a_registration_names_every_refused_field() {
        let Err(invalid) = ClientRegistration::check(
            "",
            "spreadsheets",
            &[],
            &["http://x.example/".to_owned()],
            Some("ftp://x"),
        ) else {
            panic!()
        };
        let codes: Vec<&str> = invalid.0.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            [
                "invalid_name",
                "unknown_product",
                "invalid_redirect_uri",
                "invalid_post_logout_redirect_uri",
                "invalid_backchannel_logout_uri"
            ]
        );
        let ok = ClientRegistration::check(
            " Tracker web ",
            "tracker",
            &[
                "https://t.example/cb".to_owned(),
                "https://t.example/cb".to_owned(),
            ],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(ok.name, "Tracker web");
        assert_eq!(ok.redirect_uris, ["https://t.example/cb"]);
    }
}
