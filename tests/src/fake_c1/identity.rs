//! A test client's identity: an Ed25519 key, the client id that names the tenant host, and the
//! client secret that carries the private key as a JWK.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{SigningKey, VerifyingKey};

/// The part of a client id after the tenant host (`<name>@<host>/<suffix>`); the fake ignores it.
const SUFFIX: &str = "fake-c1";

/// A client's credentials as ConductorOne would hand them out, and the public key the fake checks.
#[derive(Clone)]
pub struct ClientIdentity {
    name: String,
    tenant_host: String,
    client_id: String,
    client_secret: String,
    key: SigningKey,
}

impl std::fmt::Debug for ClientIdentity {
    // The secret stays out of test output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ClientIdentity {
    /// A new random key for client `name` of the tenant at `tenant_host` (`host[:port]`).
    pub fn generate(name: &str, tenant_host: &str) -> Self {
        assert!(
            !name.contains('@') && !tenant_host.contains(['@', '/']),
            "a client name has no '@' and a host no '@' or '/'"
        );
        let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        let jwk = serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            "d": URL_SAFE_NO_PAD.encode(key.to_bytes()),
        });
        Self {
            name: name.to_string(),
            tenant_host: tenant_host.to_string(),
            client_id: format!("{name}@{tenant_host}/{SUFFIX}"),
            client_secret: format!(
                "secret-token:conductorone.com:v1:{}",
                URL_SAFE_NO_PAD.encode(jwk.to_string())
            ),
            key,
        }
    }

    /// `<name>@<tenant host>/<suffix>`: what `--client-id` takes.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// `secret-token:conductorone.com:v1:<base64url JWK>`: what `--client-secret` takes.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// The client name (before the `@`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tenant host named by the client id (between `@` and `/`), port included.
    pub fn tenant_host(&self) -> &str {
        &self.tenant_host
    }

    /// The `aud` the client's assertion must carry: the tenant host without its port.
    pub fn audience(&self) -> String {
        audience_of(&self.tenant_host)
    }

    /// The public key the fake verifies assertions with.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

/// The `(name, tenant host)` of a client id, split as baton-sdk's `parseClientID` does: at the
/// first `@`, then at the first `/` after it, both parts required.
pub fn parse_client_id(client_id: &str) -> Option<(&str, &str)> {
    let (name, rest) = client_id.split_once('@')?;
    let (host, _suffix) = rest.split_once('/')?;
    Some((name, host))
}

/// A host with any port stripped, as Go's `net.SplitHostPort` leaves it (`[::1]:1` → `::1`); a
/// host without a port is kept whole.
pub fn audience_of(host_port: &str) -> String {
    if let Some(inner) = host_port.strip_prefix('[')
        && let Some((host, port)) = inner.split_once("]:")
        && !port.contains(':')
    {
        return host.to_string();
    }
    match host_port.split_once(':') {
        Some((host, port)) if !port.contains(':') => host.to_string(),
        _ => host_port.to_string(),
    }
}
