//! Verifying a client's JWT assertion (RFC 7523 client authentication), as baton-sdk's
//! `c1TokenSource.Token` builds it: compact JWS, protected header `{"alg":"EdDSA","nonce":…}`,
//! claims `iss` = `sub` = client id, `aud` = tenant host without port, `exp`, `iat`, `nbf`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::Value;

/// How far `iat` and `nbf` may lie in the future: one machine, so a little.
const CLOCK_SKEW: Duration = Duration::from_secs(5);
/// The longest an assertion may live from now (baton-sdk signs for 2 minutes).
const MAX_REMAINING: Duration = Duration::from_secs(5 * 60);
/// How old `iat` may be (baton-sdk signs just before sending).
const MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// How far back `nbf` may lie (baton-sdk: now − 2 minutes).
const MAX_NBF_BACKDATE: Duration = Duration::from_secs(10 * 60);

/// What an assertion must match.
pub(crate) struct Expected<'a> {
    /// The `client_id` of the form: also `iss` and `sub`.
    pub client_id: &'a str,
    /// The tenant host without its port.
    pub audience: &'a str,
    /// The client's public key.
    pub key: &'a VerifyingKey,
    /// The time to judge `exp`, `iat` and `nbf` by.
    pub now: SystemTime,
}

/// A verified assertion: what the token endpoint remembers of it.
#[derive(Debug)]
pub(crate) struct Verified {
    /// The header's nonce (a replay check is the caller's).
    pub nonce: String,
}

/// Checks a compact JWS against `expected`; the error says what is wrong.
pub(crate) fn verify(jws: &str, expected: &Expected<'_>) -> Result<Verified, String> {
    let parts: Vec<&str> = jws.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = parts[..] else {
        return Err(format!(
            "a compact JWS has 3 dot-separated parts, this one {}",
            parts.len()
        ));
    };
    let header = json_part("header", header_b64)?;
    let claims = json_part("claims", claims_b64)?;

    match header.get("alg") {
        Some(Value::String(alg)) if alg == "EdDSA" => {}
        other => return Err(format!("header alg must be \"EdDSA\", is {other:?}")),
    }
    if let Some(typ) = header.get("typ")
        && typ != "JWT"
    {
        return Err(format!(
            "header typ, when present, must be \"JWT\", is {typ}"
        ));
    }
    if header.get("crit").is_some() {
        return Err("header crit names extensions the server does not support".into());
    }
    // go-jose's NonceSource puts the nonce in the protected header, not in the claims.
    let nonce = match header.get("nonce") {
        Some(Value::String(n)) if !n.is_empty() => n.clone(),
        other => {
            return Err(format!(
                "header nonce must be a non-empty string (baton-sdk: 16 random bytes, hex), is {other:?}"
            ));
        }
    };

    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|e| format!("signature is not base64url without padding: {e}"))?;
    let signature = Signature::from_slice(&signature)
        .map_err(|_| format!("an Ed25519 signature has 64 bytes, not {}", signature.len()))?;
    let signing_input = format!("{header_b64}.{claims_b64}");
    expected
        .key
        .verify_strict(signing_input.as_bytes(), &signature)
        .map_err(|_| "the signature does not verify with the client's public key".to_string())?;

    for claim in ["iss", "sub"] {
        match claims.get(claim) {
            Some(Value::String(v)) if v == expected.client_id => {}
            other => {
                return Err(format!(
                    "claim {claim} must be the client id {:?}, is {other:?}",
                    expected.client_id
                ));
            }
        }
    }
    // RFC 7519 allows a string or an array; go-jose writes a single audience as a string.
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == expected.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a == expected.audience),
        _ => false,
    };
    if !aud_ok {
        return Err(format!(
            "claim aud must be the tenant host without port {:?}, is {:?}",
            expected.audience,
            claims.get("aud")
        ));
    }

    let now = seconds(expected.now);
    let exp = numeric_date(&claims, "exp")?;
    let iat = numeric_date(&claims, "iat")?;
    let nbf = numeric_date(&claims, "nbf")?;
    if exp <= now {
        return Err(format!("the assertion expired (exp {exp}, now {now})"));
    }
    if exp > now + MAX_REMAINING.as_secs() {
        return Err(format!(
            "exp {exp} is more than {}s away (now {now}): an assertion is short-lived",
            MAX_REMAINING.as_secs()
        ));
    }
    if iat > now + CLOCK_SKEW.as_secs() || iat + MAX_AGE.as_secs() < now {
        return Err(format!("iat {iat} is not about now ({now})"));
    }
    if nbf > now + CLOCK_SKEW.as_secs() {
        return Err(format!(
            "the assertion is not valid yet (nbf {nbf}, now {now})"
        ));
    }
    if nbf + MAX_NBF_BACKDATE.as_secs() < now {
        return Err(format!("nbf {nbf} lies too far back (now {now})"));
    }
    if exp <= iat || exp <= nbf {
        return Err(format!("exp {exp} must come after iat {iat} and nbf {nbf}"));
    }
    Ok(Verified { nonce })
}

/// A base64url (no padding) JSON object.
fn json_part(what: &str, b64: &str) -> Result<serde_json::Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|e| format!("the {what} is not base64url without padding: {e}"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("the {what} is not a JSON object")),
        Err(e) => Err(format!("the {what} is not JSON: {e}")),
    }
}

/// A NumericDate claim, required, in whole seconds (go-jose writes integers).
fn numeric_date(claims: &serde_json::Map<String, Value>, name: &str) -> Result<u64, String> {
    claims.get(name).and_then(Value::as_u64).ok_or_else(|| {
        format!(
            "claim {name} must be a NumericDate in whole seconds, is {:?}",
            claims.get(name)
        )
    })
}

/// Seconds since the epoch.
fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}
