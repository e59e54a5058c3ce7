//! Compact JWS (RFC 7515 §7.1) as orgpass sends its tokens: the header and claims are
//! serialised here, the signature over [`signing_input`] is made by the runtime
//! (WebCrypto RS256 in the Worker) and appended by [`compact`].

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use serde_json::{json, Value};

/// The protected header of an RS256 token signed with key `kid`; `typ` is `JWT` for
/// ID tokens and `logout+jwt` for logout tokens (Back-Channel Logout 1.0 §2.4).
#[must_use]
pub fn header(kid: &str, typ: &str) -> Value {
    json!({ "alg": "RS256", "typ": typ, "kid": kid })
}

/// `BASE64URL(header) . BASE64URL(claims)`: the bytes the signature covers.
#[must_use]
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    )
}

/// The compact serialisation: the signing input, `.`, the signature in base64url.
#[must_use]
pub fn compact(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", B64URL.encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_are_base64url_json() {
        let input = signing_input(&header("k1", "JWT"), &json!({"sub": "a"}));
        let (h, c) = input.split_once('.').unwrap();
        let h: Value = serde_json::from_slice(&B64URL.decode(h).unwrap()).unwrap();
        assert_eq!(h, json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}));
        assert_eq!(B64URL.decode(c).unwrap(), br#"{"sub":"a"}"#);
        assert_eq!(compact("a.b", &[0xfb, 0xff]), "a.b.-_8");
    }
}
