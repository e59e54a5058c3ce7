//! The tokens orgpass receives back: an `id_token_hint` at the end-session endpoint
//! (RP-Initiated Logout 1.0 §2) is one of our own ID tokens, verified here with
//! `jwt-compact` (token parsing, header, claims) over RS256 implemented with the `rsa`
//! crate already in the tree ([`Rs256`]).
//!
//! A hint is accepted when its signature is one of the configured keys' (found by
//! `kid`) and its `iss` is ours. Its expiry is not checked: a product logs a person out
//! with the ID token it holds, which is often past its ten minutes (the specification
//! asks providers to accept such hints).

use std::borrow::Cow;

use jwt_compact::{Algorithm, AlgorithmExt, AlgorithmSignature, UntrustedToken};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// RS256 (RSASSA-PKCS1-v1_5 with SHA-256), verification only: orgpass signs through
/// WebCrypto, so there is no signing key here (an uninhabited type).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rs256;

/// There is no signing key for [`Rs256`]: tokens are signed by the runtime.
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

/// The DER prefix of a SHA-256 `DigestInfo` (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

impl Algorithm for Rs256 {
    type SigningKey = NoSigningKey;
    type VerifyingKey = rsa::PublicKey;
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
        verifying_key: &rsa::PublicKey,
        message: &[u8],
    ) -> bool {
        // The digest is ours (sha2 0.10): the DigestInfo is given whole, and `rsa`
        // compares the full encoded message with it (as the SAML verifier does).
        let digest_info = [&SHA256_DIGEST_INFO[..], &Sha256::digest(message)].concat();
        verifying_key
            .verify(
                rsa::Pkcs1v15Sign::new_unprefixed(),
                &digest_info,
                &signature.0,
            )
            .is_ok()
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

/// The hint `token` if it is an ID token of `issuer` signed by one of `keys` (by
/// `kid`, with the verifying key of each configured signing key).
#[must_use]
pub fn verify_hint(token: &str, keys: &[(String, rsa::PublicKey)], issuer: &str) -> Option<Hint> {
    let untrusted = UntrustedToken::new(token).ok()?;
    let kid = untrusted.header().key_id.as_deref()?;
    let (_, key) = keys.iter().find(|(k, _)| k == kid)?;
    let verified = Rs256
        .validator::<HintClaims>(key)
        .validate(&untrusted)
        .ok()?;
    let claims = &verified.claims().custom;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7515 appendix A.2: an RS256 JWS and its key (n, e as given there).
    #[test]
    fn rs256_verifies_rfc_7515s_example() {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
        let n = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
        let key = rsa::PublicKey::try_from(pkcs1::RsaPublicKey {
            modulus: pkcs1::UintRef::new(&B64URL.decode(n).unwrap()).unwrap(),
            public_exponent: pkcs1::UintRef::new(&[1, 0, 1]).unwrap(),
        })
        .unwrap();
        let input = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let signature = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
        let sig = RsaSignature(B64URL.decode(signature).unwrap());
        assert!(Rs256.verify_signature(&sig, &key, input.as_bytes()));
        assert!(!Rs256.verify_signature(&sig, &key, b"another message"));
    }

    #[test]
    fn garbage_is_no_hint() {
        assert_eq!(verify_hint("not a token", &[], "https://id.example"), None);
        assert_eq!(verify_hint("a.b.c", &[], "https://id.example"), None);
    }
}
