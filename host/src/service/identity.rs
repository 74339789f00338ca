//! The ConductorOne client credentials: the client id `<name>@<tenant host>/<suffix>` and the
//! client secret `secret-token:conductorone.com:v1:<base64url JWK>`, an Ed25519 private key.
//!
//! Errors say which part is wrong and what to do, and never quote the secret or any piece of it.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::secrets::Secret;

/// What is wrong with the client id or the client secret. Never holds secret material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The client id is not `<name>@<tenant host>/<suffix>`.
    #[error(
        "the client id (--client-id, BATON_CLIENT_ID) is not a ConductorOne client id: {reason}; \
         it looks like <name>@<tenant>.conductor.one/<suffix>: copy it from the connector's page in ConductorOne"
    )]
    ClientId {
        /// What is wrong.
        reason: &'static str,
    },
    /// The client secret is malformed.
    #[error(
        "the client secret (--client-secret, BATON_CLIENT_SECRET or its _FILE) is malformed: {reason}; \
         copy the whole secret ConductorOne showed when the client was created \
         (secret-token:conductorone.com:v1:...), or rotate the client's secret and use the new one"
    )]
    ClientSecret {
        /// What is wrong (never any part of the secret).
        reason: &'static str,
    },
}

/// A parsed client id.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientId {
    raw: String,
    name: String,
    tenant_host: String,
}

impl ClientId {
    /// Parses `<name>@<tenant host>/<suffix>`: split at the first `@`, then at the next `/`, as
    /// baton-sdk does. The tenant host may carry a port (`127.0.0.1:8443`).
    pub fn parse(raw: &str) -> Result<ClientId, IdentityError> {
        let invalid = |reason| IdentityError::ClientId { reason };
        let raw = raw.trim();
        let (name, rest) = raw.split_once('@').ok_or(invalid("it has no '@'"))?;
        let (host, _suffix) = rest
            .split_once('/')
            .ok_or(invalid("it has no '/' after the tenant host"))?;
        if name.is_empty() {
            return Err(invalid("the name before '@' is empty"));
        }
        if host.is_empty() {
            return Err(invalid("the tenant host between '@' and '/' is empty"));
        }
        if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("the tenant host has spaces or control characters"));
        }
        Ok(ClientId {
            raw: raw.to_string(),
            name: name.to_string(),
            tenant_host: host.to_string(),
        })
    }

    /// The whole id, as sent in the token request and the assertion.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The client's name (before `@`), for the user agent.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tenant host, port included if the id has one: where tokens and tasks come from.
    pub fn tenant_host(&self) -> &str {
        &self.tenant_host
    }

    /// The assertion's audience: the tenant host without its port.
    pub fn audience(&self) -> &str {
        strip_port(&self.tenant_host)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({})", self.raw)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// `host` without `:port` (`[v6]:port` → `v6`), as Go's `net.SplitHostPort` leaves it.
pub fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[')
        && let Some((inner, after)) = rest.split_once(']')
        && (after.is_empty() || after.strip_prefix(':').is_some_and(is_port))
    {
        return inner;
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && is_port(port) => name,
        _ => host,
    }
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The client's private key. `Debug` shows only the public key.
pub struct ClientKey {
    key: SigningKey,
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ClientKey(public {})",
            URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes())
        )
    }
}

/// The JWK inside the secret; only the members an Ed25519 key has.
#[derive(Deserialize)]
struct Jwk {
    kty: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    d: Option<Zeroizing<String>>,
}

impl ClientKey {
    /// Parses `secret-token:conductorone.com:v1:<base64url JWK>`: four parts split on `:`, the
    /// third `v1`, the JWK an Ed25519 private key (`kty` OKP, `crv` Ed25519, `d` the 32-byte
    /// seed, `x` its public key when present).
    pub fn parse(secret: &Secret) -> Result<ClientKey, IdentityError> {
        let invalid = |reason| IdentityError::ClientSecret { reason };
        let text = secret.expose().trim();
        let mut parts = text.splitn(4, ':');
        let (Some(scheme), Some(issuer), Some(version), Some(jwk)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid(
                "it does not have the four parts secret-token:conductorone.com:v1:<key>",
            ));
        };
        if scheme != "secret-token" || issuer != "conductorone.com" {
            return Err(invalid(
                "it does not start with secret-token:conductorone.com:",
            ));
        }
        if version != "v1" {
            return Err(invalid(
                "its version (the third part) is not v1, the only version this connector reads",
            ));
        }
        // baton-sdk decodes without padding; a padded copy is accepted too.
        let json = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(jwk)
                .or_else(|_| URL_SAFE.decode(jwk))
                .map_err(|_| invalid("the key after v1: is not base64url"))?,
        );
        let jwk: Jwk = serde_json::from_slice(&json)
            .map_err(|_| invalid("the key after v1: does not decode to a JSON Web Key"))?;
        if jwk.kty.as_deref() != Some("OKP") || jwk.crv.as_deref() != Some("Ed25519") {
            return Err(invalid(
                "the key is not an Ed25519 key (a JSON Web Key with kty OKP and crv Ed25519)",
            ));
        }
        let Some(d) = jwk.d else {
            return Err(invalid(
                "the key is a public key only; the secret must hold the private key",
            ));
        };
        let seed = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(d.as_bytes())
                .map_err(|_| invalid("the private key is not base64url"))?,
        );
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
            seed.as_slice()
                .try_into()
                .map_err(|_| invalid("the private key is not 32 bytes long"))?,
        );
        let key = SigningKey::from_bytes(&seed);
        if let Some(x) = jwk.x {
            let public = URL_SAFE_NO_PAD
                .decode(x.as_bytes())
                .map_err(|_| invalid("the public key is not base64url"))?;
            if public.as_slice() != key.verifying_key().as_bytes() {
                return Err(invalid("its public key does not belong to its private key"));
            }
        }
        Ok(ClientKey { key })
    }

    /// The key that signs client assertions.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The public key, which ConductorOne checks assertions with.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

/// The client id and its key, checked together at start.
#[derive(Debug)]
pub struct Identity {
    /// The client id.
    pub client_id: ClientId,
    /// The private key from the client secret.
    pub key: ClientKey,
}

impl Identity {
    /// Parses both; the id first, so a swapped pair is reported by its id.
    pub fn parse(client_id: &str, client_secret: &Secret) -> Result<Identity, IdentityError> {
        Ok(Identity {
            client_id: ClientId::parse(client_id)?,
            key: ClientKey::parse(client_secret)?,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A client secret holding `key`, as ConductorOne writes one.
    pub(crate) fn secret_for(key: &SigningKey) -> String {
        let jwk = serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            "d": URL_SAFE_NO_PAD.encode(key.to_bytes()),
        });
        format!(
            "secret-token:conductorone.com:v1:{}",
            URL_SAFE_NO_PAD.encode(jwk.to_string())
        )
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn encoded(json: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(json.to_string())
    }

    #[test]
    fn a_client_id_names_its_tenant_host_with_or_without_port() {
        let id = ClientId::parse("bitbucket@acme.conductor.one/pcc").unwrap();
        assert_eq!(
            (id.name(), id.tenant_host(), id.audience()),
            ("bitbucket", "acme.conductor.one", "acme.conductor.one")
        );
        let id = ClientId::parse("x@127.0.0.1:8443/suffix/more").unwrap();
        assert_eq!(
            (id.tenant_host(), id.audience()),
            ("127.0.0.1:8443", "127.0.0.1")
        );
        assert_eq!(strip_port("[::1]:443"), "::1");
        assert_eq!(strip_port("::1"), "::1");
        for bad in [
            "no-at-sign/x",
            "name@host-without-slash",
            "@host/x",
            "name@/x",
        ] {
            let err = ClientId::parse(bad).unwrap_err();
            assert!(
                matches!(err, IdentityError::ClientId { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains("--client-id"), "{err}");
        }
    }

    #[test]
    fn a_good_secret_gives_its_key() {
        let secret = Secret::new(secret_for(&key()));
        let parsed = ClientKey::parse(&secret).unwrap();
        assert_eq!(parsed.verifying_key(), key().verifying_key());
        // Without the optional public part, and padded: still the same key.
        let jwk = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "d": URL_SAFE_NO_PAD.encode(key().to_bytes())});
        let padded = URL_SAFE.encode(jwk.to_string());
        let parsed = ClientKey::parse(&Secret::new(format!(
            "secret-token:conductorone.com:v1:{padded}"
        )))
        .unwrap();
        assert_eq!(parsed.verifying_key(), key().verifying_key());
        let debug = format!("{parsed:?}");
        assert!(
            !debug.contains(&URL_SAFE_NO_PAD.encode(key().to_bytes())),
            "{debug}"
        );
    }

    #[test]
    fn malformed_secrets_are_refused_without_quoting_them() {
        let good = secret_for(&key());
        let d = URL_SAFE_NO_PAD.encode(key().to_bytes());
        let x = URL_SAFE_NO_PAD.encode(key().verifying_key().as_bytes());
        let other_x = URL_SAFE_NO_PAD.encode(
            SigningKey::from_bytes(&[9u8; 32])
                .verifying_key()
                .as_bytes(),
        );
        let v1 = |jwk: String| format!("secret-token:conductorone.com:v1:{jwk}");
        let cases: Vec<(&str, String, &str)> = vec![
            (
                "wrong prefix",
                good.replacen("secret-token", "secret-tokn", 1),
                "does not start with",
            ),
            (
                "other issuer",
                good.replacen("conductorone.com", "example.com", 1),
                "does not start with",
            ),
            (
                "too few parts",
                format!("secret-token:conductorone.com:{d}"),
                "four parts",
            ),
            ("not v1", good.replacen(":v1:", ":v2:", 1), "not v1"),
            ("bad base64", v1(format!("{d}!!*")), "not base64url"),
            (
                "not JSON",
                v1(URL_SAFE_NO_PAD.encode(format!("not json {d}"))),
                "JSON Web Key",
            ),
            (
                "public key only",
                v1(encoded(
                    &serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x}),
                )),
                "public key only",
            ),
            (
                "not Ed25519 (EC)",
                v1(encoded(
                    &serde_json::json!({"kty": "EC", "crv": "P-256", "x": x, "y": x, "d": d}),
                )),
                "not an Ed25519 key",
            ),
            (
                "not Ed25519 (X25519)",
                v1(encoded(
                    &serde_json::json!({"kty": "OKP", "crv": "X25519", "x": x, "d": d}),
                )),
                "not an Ed25519 key",
            ),
            (
                "short seed",
                v1(encoded(
                    &serde_json::json!({"kty": "OKP", "crv": "Ed25519", "d": URL_SAFE_NO_PAD.encode([1u8; 16])}),
                )),
                "32 bytes",
            ),
            (
                "mismatched halves",
                v1(encoded(
                    &serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": other_x, "d": d}),
                )),
                "does not belong",
            ),
        ];
        for (what, text, says) in cases {
            let err = ClientKey::parse(&Secret::new(text.clone())).unwrap_err();
            let message = err.to_string();
            assert!(message.contains(says), "{what}: {message}");
            assert!(message.contains("--client-secret"), "{what}: {message}");
            let debug = format!("{err:?}");
            for shown in [&message, &debug] {
                assert!(
                    !shown.contains(&d),
                    "{what}: the private key is quoted: {shown}"
                );
                let jwk_part = text.rsplit(':').next().unwrap();
                assert!(
                    jwk_part.len() < 8 || !shown.contains(jwk_part),
                    "{what}: the secret's key part is quoted: {shown}"
                );
            }
        }
    }
}
