//! The client assertion: a JWT signed with the client's Ed25519 key (EdDSA), which the token
//! endpoint exchanges for an access token (RFC 7523 client authentication).
//!
//! As baton-sdk signs it with go-jose: the protected header is `{"alg":"EdDSA","nonce":…}` with 16
//! random bytes in hex as the nonce; the claims are iss = sub = the client id, aud = the tenant
//! host without its port (a string), exp = now + 2 min, iat = now, nbf = now − 2 min, in whole
//! seconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer;
use serde::Serialize;

use super::identity::Identity;

/// How long an assertion is valid, and how far back its `nbf` goes (clock skew).
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(120);

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    nonce: String,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    nbf: u64,
}

/// A compact JWS `header.claims.signature` for `identity`, issued at `now`, with `nonce` (16
/// bytes) in its header.
pub fn client_assertion(identity: &Identity, now: SystemTime, nonce: [u8; 16]) -> String {
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let id = identity.client_id.as_str();
    let header = Header {
        alg: "EdDSA",
        nonce: hex(&nonce),
    };
    let claims = Claims {
        iss: id,
        sub: id,
        aud: identity.client_id.audience(),
        exp: secs + ASSERTION_LIFETIME.as_secs(),
        iat: secs,
        nbf: secs.saturating_sub(ASSERTION_LIFETIME.as_secs()),
    };
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).expect("the header serializes")),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("the claims serialize")),
    );
    let signature = identity.key.signing_key().sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

/// A fresh assertion with a random nonce.
pub fn new_client_assertion(identity: &Identity) -> String {
    client_assertion(identity, SystemTime::now(), rand::random())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;
    use crate::service::identity::tests::secret_for;
    use ed25519_dalek::{Signature, SigningKey};

    #[test]
    fn the_assertion_is_an_eddsa_jwt_with_the_claims_and_a_valid_signature() {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let identity = Identity::parse(
            "bitbucket@acme.conductor.one:8443/pcc",
            &Secret::new(secret_for(&key)),
        )
        .unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let jwt = client_assertion(&identity, now, [0xab; 16]);
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3, "{jwt}");
        let decode = |p: &str| -> serde_json::Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
        };
        assert_eq!(
            decode(parts[0]),
            serde_json::json!({"alg": "EdDSA", "nonce": "ab".repeat(16)})
        );
        assert_eq!(
            decode(parts[1]),
            serde_json::json!({
                "iss": "bitbucket@acme.conductor.one:8443/pcc",
                "sub": "bitbucket@acme.conductor.one:8443/pcc",
                "aud": "acme.conductor.one",
                "exp": 1_700_000_120u64,
                "iat": 1_700_000_000u64,
                "nbf": 1_699_999_880u64,
            })
        );
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        key.verifying_key()
            .verify_strict(signed.as_bytes(), &signature)
            .expect("the signature verifies with the client's public key");
        let other = SigningKey::from_bytes(&[4u8; 32]).verifying_key();
        assert!(other.verify_strict(signed.as_bytes(), &signature).is_err());
        // Two fresh assertions differ in their nonce.
        let (a, b) = (
            new_client_assertion(&identity),
            new_client_assertion(&identity),
        );
        assert_ne!(a.split('.').next(), b.split('.').next());
    }
}
