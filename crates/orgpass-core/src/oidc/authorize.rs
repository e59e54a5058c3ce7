//! The authorization request (OpenID Connect Core 1.0 §3.1.2.1, RFC 6749 §4.1.1,
//! RFC 7636 PKCE) and the parameters of the token request: what is accepted, and how
//! each refusal is answered.
//!
//! - Only the authorization code flow (`response_type=code`), only PKCE `S256`.
//! - A request whose `client_id` is unknown or whose `redirect_uri` is not one of the
//!   client's registered URIs (compared as strings) is answered at orgpass and never
//!   redirected ([`Refusal::Here`]): redirecting would make orgpass an open redirector.
//!   Every other refusal goes back to the redirect URI with `error` and `state`
//!   ([`Refusal::Back`]).
//! - A parameter given twice is refused (RFC 6749 §3.1).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The longest `state` accepted (it travels through the login pages in `return_to`).
pub const STATE_MAX: usize = 1024;
/// The longest `nonce` accepted (it is stored with the code and put in the ID token).
pub const NONCE_MAX: usize = 512;
/// The longest query an authorization request may have: a signed-out browser carries
/// it through the login pages (`return_to`, at most 8 KiB once escaped).
pub const QUERY_MAX: usize = 6000;

/// The scopes a client may ask for; `openid` is required and others are ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes {
    /// `profile`: `name`.
    pub profile: bool,
    /// `email`: `email`, `email_verified`.
    pub email: bool,
    /// `organizations`: the organizations the account may use the product in.
    pub organizations: bool,
    /// `offline_access`: a refresh token.
    pub offline_access: bool,
}

impl Scopes {
    /// The scopes of a space-separated `scope`; `None` without `openid`. Scopes orgpass
    /// does not know are left out of the grant (RFC 6749 §3.3), as Okta and Auth0 do.
    #[must_use]
    pub fn parse(scope: &str) -> Option<Self> {
        let mut openid = false;
        let mut scopes = Self::default();
        for s in scope.split(' ').filter(|s| !s.is_empty()) {
            match s {
                "openid" => openid = true,
                "profile" => scopes.profile = true,
                "email" => scopes.email = true,
                "organizations" => scopes.organizations = true,
                "offline_access" => scopes.offline_access = true,
                _ => {}
            }
        }
        openid.then_some(scopes)
    }

    /// The granted scopes as a `scope` value, in a fixed order.
    #[must_use]
    pub fn granted(self) -> String {
        let mut out = String::from("openid");
        for (on, name) in [
            (self.profile, "profile"),
            (self.email, "email"),
            (self.organizations, "organizations"),
            (self.offline_access, "offline_access"),
        ] {
            if on {
                out.push(' ');
                out.push_str(name);
            }
        }
        out
    }

    /// Whether every scope of `self` is also in `other`.
    #[must_use]
    pub fn within(self, other: Self) -> bool {
        (!self.profile || other.profile)
            && (!self.email || other.email)
            && (!self.organizations || other.organizations)
            && (!self.offline_access || other.offline_access)
    }
}

/// What the client asked about logging in (`prompt`, OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Log in only when there is no session (or it is older than `max_age`).
    Auto,
    /// Never show a page: without a usable session, `login_required`.
    None,
    /// Log in again even with a session.
    Login,
}

/// A checked authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// One of the client's registered redirect URIs, exactly.
    pub redirect_uri: String,
    /// Echoed back.
    pub state: Option<String>,
    /// Put in the ID token.
    pub nonce: Option<String>,
    /// Granted scopes.
    pub scopes: Scopes,
    /// The PKCE `S256` challenge (43 base64url characters).
    pub code_challenge: String,
    /// `prompt`.
    pub prompt: Prompt,
    /// `max_age` in seconds.
    pub max_age: Option<i64>,
}

/// Why an authorization request was refused, and where the answer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An error page at orgpass (400): the client or its redirect URI is not known.
    Here(&'static str),
    /// Back to the redirect URI with `error`, `error_description` and `state`.
    Back {
        /// The client's redirect URI.
        redirect_uri: String,
        /// The request's `state`, echoed.
        state: Option<String>,
        /// OAuth 2.0 error code.
        error: &'static str,
        /// Human-readable description.
        description: &'static str,
    },
}

/// The one value of parameter `name`: `Ok(None)` when absent or empty, `Err` when given
/// more than once.
fn single<'a>(pairs: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, ()> {
    let mut found = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
    match (found.next(), found.next()) {
        (Some(_), Some(_)) => Err(()),
        (Some(v), None) if !v.is_empty() => Ok(Some(v.as_str())),
        _ => Ok(None),
    }
}

/// The `client_id` of a request, to look the client up.
///
/// # Errors
/// [`Refusal::Here`] `invalid_client` when it is missing or given twice.
pub fn client_id(pairs: &[(String, String)]) -> Result<&str, Refusal> {
    match single(pairs, "client_id") {
        Ok(Some(id)) => Ok(id),
        _ => Err(Refusal::Here("invalid_client")),
    }
}

impl AuthorizationRequest {
    /// Checks a request against the client's registered redirect URIs (`None`: no such
    /// client).
    ///
    /// # Errors
    /// [`Refusal`]: `invalid_client` and `invalid_redirect_uri` here; `invalid_request`,
    /// `unsupported_response_type`, `invalid_scope`, `request_not_supported`,
    /// `request_uri_not_supported`, `registration_not_supported` back at the client.
    pub fn check(
        pairs: &[(String, String)],
        query_len: usize,
        registered: Option<&[String]>,
    ) -> Result<Self, Refusal> {
        let client_id = client_id(pairs)?.to_owned();
        let registered = registered.ok_or(Refusal::Here("invalid_client"))?;
        let redirect_uri = match single(pairs, "redirect_uri") {
            Ok(Some(uri)) if registered.iter().any(|r| r == uri) => uri.to_owned(),
            _ => return Err(Refusal::Here("invalid_redirect_uri")),
        };
        let state = single(pairs, "state").ok().flatten();
        let back = |error, description| Refusal::Back {
            redirect_uri: redirect_uri.clone(),
            state: state.filter(|s| s.len() <= STATE_MAX).map(str::to_owned),
            error,
            description,
        };
        let invalid = |description| back("invalid_request", description);
        let names = [
            "response_type",
            "scope",
            "state",
            "nonce",
            "code_challenge",
            "code_challenge_method",
            "prompt",
            "max_age",
            "response_mode",
        ];
        if names.iter().any(|n| single(pairs, n).is_err()) {
            return Err(invalid("A parameter was given more than once."));
        }
        let get = |name| single(pairs, name).ok().flatten();
        if query_len > QUERY_MAX {
            return Err(invalid("The authorization request is too long."));
        }
        if get("request").is_some() {
            return Err(back(
                "request_not_supported",
                "Request objects are not supported.",
            ));
        }
        if get("request_uri").is_some() {
            return Err(back(
                "request_uri_not_supported",
                "request_uri is not supported.",
            ));
        }
        if get("registration").is_some() {
            return Err(back(
                "registration_not_supported",
                "Dynamic registration is not supported.",
            ));
        }
        match get("response_type") {
            Some("code") => {}
            None => return Err(invalid("response_type is required.")),
            Some(_) => {
                return Err(back(
                    "unsupported_response_type",
                    "Only the authorization code flow (response_type=code) is supported.",
                ))
            }
        }
        if !matches!(get("response_mode"), None | Some("query")) {
            return Err(invalid("Only response_mode=query is supported."));
        }
        let Some(scopes) = get("scope").and_then(Scopes::parse) else {
            return Err(back("invalid_scope", "The scope must include openid."));
        };
        if state.is_some_and(|s| s.len() > STATE_MAX) {
            return Err(invalid("state is too long."));
        }
        let nonce = get("nonce");
        if nonce.is_some_and(|n| n.len() > NONCE_MAX) {
            return Err(invalid("nonce is too long."));
        }
        let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
            (Some(c), Some("S256")) if c.len() == 43 && c.bytes().all(is_base64url) => c.to_owned(),
            (None, _) => {
                return Err(invalid(
                    "PKCE is required: send code_challenge with code_challenge_method=S256.",
                ))
            }
            _ => {
                return Err(invalid(
                    "code_challenge_method must be S256, with a 43-character code_challenge.",
                ))
            }
        };
        let prompt = match get("prompt") {
            None => Prompt::Auto,
            Some(p) => {
                let values: Vec<&str> = p.split(' ').filter(|v| !v.is_empty()).collect();
                if values.contains(&"none") && values.len() > 1 {
                    return Err(invalid("prompt=none cannot be combined with other values."));
                }
                if values
                    .iter()
                    .any(|v| !matches!(*v, "none" | "login" | "consent" | "select_account"))
                {
                    return Err(invalid("Unknown prompt value."));
                }
                if values.contains(&"none") {
                    Prompt::None
                } else if values.contains(&"login") {
                    Prompt::Login
                } else {
                    // First-party clients: there is no consent screen, and one account
                    // per browser session.
                    Prompt::Auto
                }
            }
        };
        let max_age = match get("max_age") {
            None => None,
            Some(m) => match m.parse::<i64>() {
                Ok(seconds) if seconds >= 0 && m.bytes().all(|b| b.is_ascii_digit()) => {
                    Some(seconds)
                }
                _ => return Err(invalid("max_age must be a non-negative number of seconds.")),
            },
        };
        Ok(Self {
            client_id,
            redirect_uri,
            state: state.map(str::to_owned),
            nonce: nonce.map(str::to_owned),
            scopes,
            code_challenge,
            prompt,
            max_age,
        })
    }

    /// Whether a session that logged in at `auth_time_seconds` (Unix seconds) must log
    /// in again before this request gets a code, at `now_seconds`.
    #[must_use]
    pub fn needs_fresh_login(&self, auth_time_seconds: i64, now_seconds: i64) -> bool {
        self.prompt == Prompt::Login
            || self
                .max_age
                .is_some_and(|max| now_seconds.saturating_sub(auth_time_seconds) > max)
    }
}

/// The authorization request to come back to after a login: the same parameters,
/// without `prompt` and `max_age` (the login that follows is the one they asked for;
/// kept, `max_age=0` would send the person back to log in again whenever the login
/// took a second).
#[must_use]
pub fn return_after_login(path: &str, pairs: &[(String, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs
        .iter()
        .filter(|(k, _)| k != "prompt" && k != "max_age")
    {
        query.append_pair(k, v);
    }
    format!("{path}?{}", query.finish())
}

/// `redirect_uri` with `pairs` added to its query (a registered URI may have one).
#[must_use]
pub fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let query = query.finish();
    let separator = if redirect_uri.contains('?') {
        if redirect_uri.ends_with('?') || redirect_uri.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    format!("{redirect_uri}{separator}{query}")
}

const fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Whether `verifier` is a well-formed PKCE code verifier (RFC 7636 §4.1: 43 to 128
/// unreserved characters) whose `S256` challenge is `challenge`, compared in constant
/// time.
#[must_use]
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    let computed = B64URL.encode(Sha256::digest(verifier.as_bytes()));
    well_formed && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// How a client authenticated at the token or revocation endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// `client_id`.
    pub client_id: String,
    /// The secret it presented.
    pub secret: String,
    /// Whether it came in an `Authorization: Basic` header (a refusal then carries
    /// `WWW-Authenticate: Basic`).
    pub basic: bool,
}

/// Why client credentials could not even be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsError {
    /// None given: `invalid_client`.
    Missing,
    /// Malformed, or given two ways at once: `invalid_request`.
    Malformed,
}

/// The client credentials of a request: `client_secret_basic` (the header, whose two
/// halves are form-urlencoded first) or `client_secret_post` (the body), never both.
///
/// # Errors
/// [`CredentialsError`].
pub fn client_credentials(
    authorization: Option<&str>,
    body: &[(String, String)],
) -> Result<ClientCredentials, CredentialsError> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let posted_id = single(body, "client_id").map_err(|()| CredentialsError::Malformed)?;
    let posted_secret = single(body, "client_secret").map_err(|()| CredentialsError::Malformed)?;
    let basic = authorization.and_then(|h| {
        let (scheme, value) = h.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("basic").then(|| value.trim())
    });
    match (basic, posted_secret) {
        (Some(_), Some(_)) => Err(CredentialsError::Malformed),
        (Some(value), None) => {
            let decoded = STANDARD
                .decode(value)
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or(CredentialsError::Malformed)?;
            let (id, secret) = decoded.split_once(':').ok_or(CredentialsError::Malformed)?;
            let unescape = |s: &str| -> String {
                form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let client_id = unescape(id);
            if posted_id.is_some_and(|p| p != client_id) {
                return Err(CredentialsError::Malformed);
            }
            Ok(ClientCredentials {
                client_id,
                secret: unescape(secret),
                basic: true,
            })
        }
        (None, Some(secret)) => Ok(ClientCredentials {
            client_id: posted_id.ok_or(CredentialsError::Missing)?.to_owned(),
            secret: secret.to_owned(),
            basic: false,
        }),
        (None, None) => Err(CredentialsError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    const OK: &str = "client_id=cli_1&redirect_uri=https%3A%2F%2Ft.example%2Fcb&response_type=code\
        &scope=openid%20email%20unknown&state=s1&nonce=n1\
        &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

    fn check(q: &str) -> Result<AuthorizationRequest, Refusal> {
        let registered = ["https://t.example/cb".to_owned()];
        AuthorizationRequest::check(&pairs(q), q.len(), Some(&registered))
    }

    fn error_of(q: &str) -> &'static str {
        match check(q) {
            Err(Refusal::Back { error, .. } | Refusal::Here(error)) => error,
            Ok(_) => "ok",
        }
    }

    #[test]
    fn a_good_request_is_read() {
        let r = check(OK).unwrap();
        assert_eq!(r.redirect_uri, "https://t.example/cb");
        assert_eq!(r.scopes.granted(), "openid email");
        assert_eq!(r.prompt, Prompt::Auto);
        assert_eq!(r.nonce.as_deref(), Some("n1"));
    }

    #[test]
    fn unknown_clients_and_redirect_uris_are_never_redirected_to() {
        let registered = ["https://t.example/cb".to_owned()];
        assert_eq!(
            AuthorizationRequest::check(&pairs(OK), OK.len(), None),
            Err(Refusal::Here("invalid_client"))
        );
        for q in [
            OK.replace("%2Fcb", "%2Fcb%2F"),
            OK.replace("%2Fcb", "%2FCB"),
            OK.replace("redirect_uri=https%3A%2F%2Ft.example%2Fcb&", ""),
            format!("{OK}&redirect_uri=https%3A%2F%2Ft.example%2Fcb"),
        ] {
            assert_eq!(
                AuthorizationRequest::check(&pairs(&q), q.len(), Some(&registered)),
                Err(Refusal::Here("invalid_redirect_uri")),
                "{q}"
            );
        }
    }

    #[test]
    fn other_refusals_go_back_with_state() {
        let Err(Refusal::Back { state, error, .. }) =
            check(&OK.replace("&code_challenge_method=S256", ""))
        else {
            panic!()
        };
        assert_eq!((state.as_deref(), error), (Some("s1"), "invalid_request"));
        assert_eq!(error_of(&OK.replace("S256", "plain")), "invalid_request");
        assert_eq!(
            error_of(&OK.replace(
                "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ""
            )),
            "invalid_request"
        );
        assert_eq!(
            error_of(&OK.replace("=code", "=token")),
            "unsupported_response_type"
        );
        assert_eq!(error_of(&OK.replace("openid%20", "")), "invalid_scope");
        assert_eq!(error_of(&format!("{OK}&state=again")), "invalid_request");
        assert_eq!(
            error_of(&format!("{OK}&request=eyJ")),
            "request_not_supported"
        );
        assert_eq!(
            error_of(&format!("{OK}&prompt=none%20login")),
            "invalid_request"
        );
        assert_eq!(error_of(&format!("{OK}&max_age=-1")), "invalid_request");
        assert_eq!(error_of(&format!("{OK}&max_age=%2B5")), "invalid_request");
        assert_eq!(
            error_of(&format!("{OK}&response_mode=fragment")),
            "invalid_request"
        );
    }

    #[test]
    fn prompt_and_max_age_decide_a_fresh_login() {
        let r = check(&format!("{OK}&prompt=login")).unwrap();
        assert!(r.needs_fresh_login(100, 100));
        let r = check(&format!("{OK}&max_age=60")).unwrap();
        assert!(!r.needs_fresh_login(100, 160));
        assert!(r.needs_fresh_login(100, 161));
        assert_eq!(
            check(&format!("{OK}&prompt=none")).unwrap().prompt,
            Prompt::None
        );
        assert_eq!(
            check(&format!("{OK}&prompt=consent")).unwrap().prompt,
            Prompt::Auto
        );
        let back = return_after_login(
            "/oauth2/authorize",
            &pairs(&format!("{OK}&prompt=login&max_age=0")),
        );
        assert!(
            !back.contains("prompt") && !back.contains("max_age"),
            "{back}"
        );
        assert!(back.starts_with("/oauth2/authorize?client_id=cli_1&"));
    }

    /// RFC 7636 appendix B.
    #[test]
    fn pkce_s256_is_rfc_7636s() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_matches(
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn redirects_keep_the_registered_query() {
        assert_eq!(
            redirect_with("https://t.example/cb", &[("code", "a b"), ("state", "s")]),
            "https://t.example/cb?code=a+b&state=s"
        );
        assert_eq!(
            redirect_with("https://t.example/cb?x=1", &[("code", "c")]),
            "https://t.example/cb?x=1&code=c"
        );
    }

    #[test]
    fn client_credentials_come_one_way() {
        use base64::{engine::general_purpose::STANDARD, Engine};
        let header = format!("Basic {}", STANDARD.encode("cli_1:s%3Ac%2Bt"));
        let got = client_credentials(Some(&header), &[]).unwrap();
        assert_eq!(
            (got.client_id.as_str(), got.secret.as_str(), got.basic),
            ("cli_1", "s:c+t", true)
        );
        let body = pairs("client_id=cli_1&client_secret=abc");
        let got = client_credentials(None, &body).unwrap();
        assert_eq!((got.secret.as_str(), got.basic), ("abc", false));
        assert_eq!(
            client_credentials(Some(&header), &body),
            Err(CredentialsError::Malformed)
        );
        assert_eq!(
            client_credentials(None, &pairs("client_id=cli_1")),
            Err(CredentialsError::Missing)
        );
        assert_eq!(
            client_credentials(Some("Basic !!"), &[]),
            Err(CredentialsError::Malformed)
        );
    }
}
