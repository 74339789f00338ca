//! The fake's certificates: a CA that exists for one fake, the server certificate it issues for
//! `127.0.0.1` and `localhost`, and the CA's PEM file a client trusts through `SSL_CERT_FILE`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The names the server certificate covers: loopback only.
const SERVER_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// A throwaway CA, its PEM file, and the TLS configuration of the fake's listener.
pub struct TestPki {
    ca_pem: String,
    ca_file: tempfile::NamedTempFile,
    server: Arc<ServerConfig>,
}

impl TestPki {
    /// A new CA, a server certificate it signs, and the CA written to a temporary PEM file.
    pub fn new() -> anyhow::Result<Self> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "fake ConductorOne test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
        let ca_pem = ca.pem();

        // rcgen makes IP-address SANs of the names that parse as addresses.
        let key = KeyPair::generate()?;
        let cert = CertificateParams::new(SERVER_NAMES.map(String::from).to_vec())?
            .signed_by(&key, &ca)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        // ring explicitly: the process-wide default provider is ambiguous if another crate in
        // the test binary enables aws-lc-rs.
        let mut server = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)?;
        // gRPC needs HTTP/2 (grpc-go refuses a server without ALPN h2); the token request may
        // come over either.
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

        let mut ca_file = tempfile::Builder::new()
            .prefix("fake-c1-ca-")
            .suffix(".pem")
            .tempfile()?;
        ca_file
            .write_all(ca_pem.as_bytes())
            .and_then(|()| ca_file.flush())
            .context("writing the fake's CA file")?;
        Ok(Self {
            ca_pem,
            ca_file,
            server: Arc::new(server),
        })
    }

    /// The CA certificate, PEM-encoded.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The PEM file holding the CA certificate (for `SSL_CERT_FILE`); removed with the fake.
    pub fn ca_file(&self) -> &Path {
        self.ca_file.path()
    }

    /// The listener's TLS configuration.
    pub(crate) fn server_config(&self) -> Arc<ServerConfig> {
        self.server.clone()
    }
}
