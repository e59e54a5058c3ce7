//! The tokens orgpass receives back: an `id_token_hint` at the end-session endpoint
//! (RP-Initiated Logout 1.0 §2) is one of our own ID tokens, read here with `jwt-compact`
//! (token parsing, header, claims). The RS256 check itself is sans-IO, as the SAML
//! core's: [`read_hint`] names it (the `kid`, the signing input, the signature), the
//! edge performs it with WebCrypto, and [`UntrustedHint::accept`] takes the verdict
//! through jwt-compact's validation ([`Rs256Verdict`]). No RSA arithmetic is linked here.
//!
//! A hint is accepted when its signature is one of the configured keys' (found by
//! `kid`) and its `iss` is ours. Its expiry is not checked: a product logs a person out
//! with the ID token it holds, which is often past its ten minutes (the specification
//! asks providers to accept such hints).

use std::borrow::Cow;

use jwt_compact::{Algorithm, AlgorithmExt, AlgorithmSignature, UntrustedToken};
use serde::Deserialize;

/// RS256 as jwt-compact sees it when the signature was checked elsewhere: the
/// "verifying key" is the verdict on one signature over one message, and only that pair
/// passes. orgpass signs through WebCrypto, so there is no signing key (an uninhabited
/// type).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rs256Verdict;

/// There is no signing key for [`Rs256Verdict`]: tokens are signed by the runtime.
#[derive(Debug, Clone, Copy)]
pub enum NoSigningKey {}

/// An RS256 signature, as the token carries it.
#[derive(Debug, Clone)]
pub struct RsaSignature(Vec<u8>);

impl AlgorithmSignature for RsaSignature {
    fn try_from_slice(slice: &[u8]) -> anyhow::Result<Self> {
        Ok(Self(slice.to_vec()))
    }

    fn as_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.0)
    }
}

/// The verdict of an RS256 check of `signature` over `message`.
#[derive(Debug, Clone)]
pub struct Verdict {
    message: Vec<u8>,
    signature: Vec<u8>,
    verified: bool,
}

impl Algorithm for Rs256Verdict {
    type SigningKey = NoSigningKey;
    type VerifyingKey = Verdict;
    type Signature = RsaSignature;

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("RS256")
    }

    fn sign(&self, signing_key: &NoSigningKey, _message: &[u8]) -> RsaSignature {
        match *signing_key {}
    }

    fn verify_signature(
        &self,
        signature: &RsaSignature,
        verdict: &Verdict,
        message: &[u8],
    ) -> bool {
        verdict.verified && verdict.message == message && verdict.signature == signature.0
    }
}

/// An `id_token_hint` read but not yet trusted: the RS256 check it needs.
pub struct UntrustedHint<'a> {
    token: UntrustedToken<'a>,
    kid: String,
    signing_input: &'a str,
}

/// Reads `token` as a compact JWS with RS256 and a `kid` (`None`: not a hint).
#[must_use]
pub fn read_hint(token: &str) -> Option<UntrustedHint<'_>> {
    let untrusted = UntrustedToken::new(token).ok()?;
    if untrusted.algorithm() != "RS256" {
        return None;
    }
    let kid = untrusted.header().key_id.clone()?;
    let (signing_input, _) = token.rsplit_once('.')?;
    Some(UntrustedHint {
        token: untrusted,
        kid,
        signing_input,
    })
}

impl UntrustedHint<'_> {
    /// The `kid` the signature claims.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWS signing input (header and payload, base64url, with their dot).
    #[must_use]
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The signature.
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        self.token.signature_bytes()
    }

    /// The hint, when the signature was `verified` (RS256 with the configured key
    /// named by [`Self::kid`]) and it is an ID token of `issuer`.
    #[must_use]
    pub fn accept(self, verified: bool, issuer: &str) -> Option<Hint> {
        let verdict = Verdict {
            message: self.signing_input().to_vec(),
            signature: self.signature().to_vec(),
            verified,
        };
        let checked = Rs256Verdict
            .validator::<HintClaims>(&verdict)
            .validate(&self.token)
            .ok()?;
        let claims = &checked.claims().custom;
        let client_id = match &claims.aud {
            Audience::One(aud) => aud.clone(),
            Audience::Many(list) if list.len() == 1 => list.first()?.clone(),
            Audience::Many(_) => return None,
        };
        (claims.iss == issuer).then(|| Hint {
            account_id: claims.sub.clone(),
            session_id: claims.sid.clone(),
            client_id,
        })
    }
}

/// What a verified `id_token_hint` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The account (`sub`).
    pub account_id: String,
    /// The orgpass session it was issued for (`sid`).
    pub session_id: String,
    /// The client it was issued to (`aud`).
    pub client_id: String,
}

#[derive(Deserialize)]
struct HintClaims {
    iss: String,
    sub: String,
    aud: Audience,
    sid: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7515 appendix A.2: an RS256 JWS and its key (n, e as given there). The
    /// check the hint names is the one RSA verifies (here natively, with `rsa` as a
    /// development dependency; WebCrypto at the edge).
    #[test]
    fn the_check_a_hint_names_is_rfc_7515s_example() {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
        use sha2::{Digest, Sha256};
        let n = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
        let key = rsa::PublicKey::try_from(pkcs1::RsaPublicKey {
            modulus: pkcs1::UintRef::new(&B64URL.decode(n).unwrap()).unwrap(),
            public_exponent: pkcs1::UintRef::new(&[1, 0, 1]).unwrap(),
        })
        .unwrap();
        // The example's header with a kid, so that it reads as a hint: the signing
        // input and signature are what RFC 7515 A.2 gives, re-wrapped.
        let input = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let signature = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
        let verify = |message: &[u8], sig: &[u8]| {
            let digest_info = [
                &[
                    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                    0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
                ][..],
                &Sha256::digest(message),
            ]
            .concat();
            key.verify(rsa::Pkcs1v15Sign::new_unprefixed(), &digest_info, sig)
                .is_ok()
        };
        let sig = B64URL.decode(signature).unwrap();
        assert!(verify(input.as_bytes(), &sig));
        // A hint hands over exactly its signing input and signature.
        let token = format!("{input}.{signature}");
        let untrusted = UntrustedToken::new(&token).unwrap();
        assert_eq!(untrusted.signature_bytes(), sig.as_slice());
        assert!(read_hint(&token).is_none(), "no kid: not a hint");
    }

    /// A hint of ours: read, checked (the verdict given), accepted only when the verdict
    /// says so and the issuer is ours.
    #[test]
    fn a_hint_is_accepted_only_with_a_passing_check_and_our_issuer() {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
        let header = B64URL.encode(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#);
        let claims = B64URL.encode(
            r#"{"iss":"https://id.example","sub":"acc_1","aud":"cli_1","sid":"ses_1","exp":1}"#,
        );
        let token = format!("{header}.{claims}.{}", B64URL.encode([7u8; 256]));
        let hint = read_hint(&token).unwrap();
        assert_eq!(hint.kid(), "k1");
        assert_eq!(
            hint.signing_input(),
            format!("{header}.{claims}").as_bytes()
        );
        assert_eq!(hint.signature(), [7u8; 256]);
        assert_eq!(
            read_hint(&token)
                .unwrap()
                .accept(true, "https://id.example"),
            Some(Hint {
                account_id: "acc_1".into(),
                session_id: "ses_1".into(),
                client_id: "cli_1".into(),
            }),
            "accepted past its exp"
        );
        assert_eq!(
            read_hint(&token)
                .unwrap()
                .accept(false, "https://id.example"),
            None
        );
        assert_eq!(
            read_hint(&token)
                .unwrap()
                .accept(true, "https://other.example"),
            None
        );
        let hs256 = token.replacen(&header, &B64URL.encode(r#"{"alg":"HS256","kid":"k1"}"#), 1);
        assert!(read_hint(&hs256).is_none());
    }

    #[test]
    fn garbage_is_no_hint() {
        assert!(read_hint("not a token").is_none());
        assert!(read_hint("a.b.c").is_none());
    }
}
