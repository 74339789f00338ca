//! How the host's requests reach the network: the HTTP client with its egress proxy, name
//! resolution and trusted roots, and what a failed connection means.
//!
//! The HTTP capability (`crate::http`) and the OAuth token fetch (`crate::credentials`) share
//! one client built here, so both honour the same proxy and roots.

pub mod failure;
pub mod proxy;
pub mod resolver;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use failure::{Failure, FailureKind, error_chain};
pub use proxy::{ProxyError, ProxyServer, ProxySettings};

/// Where requests go and which certificates are trusted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkSettings {
    /// The egress proxy; the default is none (direct).
    pub proxy: ProxySettings,
    /// A PEM file of CA certificates trusted in addition to the built-in (Mozilla) roots and the
    /// system's.
    pub extra_roots: Option<PathBuf>,
}

impl NetworkSettings {
    /// The settings the process environment names: the proxy variables (see [`proxy`]) and
    /// `SSL_CERT_FILE`.
    pub fn from_env() -> Result<Self, ProxyError> {
        Ok(Self {
            proxy: ProxySettings::from_env()?,
            extra_roots: std::env::var_os("SSL_CERT_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        })
    }
}

/// Where Linux distributions keep the system's CA bundle (as openssl-probe looks for it).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The system's CA bundle, read from its usual place. The native-roots loader reads
/// `SSL_CERT_FILE` *instead of* the system store when it is set; this keeps the system's roots
/// trusted beside the file's.
pub fn system_roots_pem() -> Option<Vec<u8>> {
    SYSTEM_BUNDLES.iter().find_map(|p| std::fs::read(p).ok())
}

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `SSL_CERT_FILE` cannot be used.
    #[error(
        "SSL_CERT_FILE {path}: {reason}; point it at a PEM file of CA certificates, or unset it"
    )]
    ExtraRoots {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// reqwest refused the configuration.
    #[error("cannot build the HTTP client: {0}; this is a bug or a broken TLS setup")]
    Build(String),
}

/// The client for requests to the API and its token endpoint: no redirects (a redirect could
/// leave the allow-list; the guest gets the 3xx), the proxy of `network` and nothing else (the
/// client's own reading of proxy variables is off, so there is one set of rules).
pub fn client(
    network: &NetworkSettings,
    connect_timeout: Duration,
) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(resolver::SystemResolver))
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("connector-host/", env!("CARGO_PKG_VERSION")));
    builder = if network.proxy.is_direct() {
        builder.no_proxy()
    } else {
        let proxy = network.proxy.clone();
        builder.proxy(reqwest::Proxy::custom(move |url| {
            proxy.proxy_for(url).map(|p| p.url().clone())
        }))
    };
    if let Some(path) = &network.extra_roots {
        let invalid = |reason: String| ClientError::ExtraRoots {
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| invalid(format!("cannot read it: {e}")))?;
        let roots = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| invalid(format!("not a PEM bundle: {}", error_chain(&e))))?;
        if roots.is_empty() {
            return Err(invalid("it holds no PEM certificate".into()));
        }
        for root in roots {
            builder = builder.add_root_certificate(root);
        }
        if let Some(system) = system_roots_pem() {
            for root in reqwest::Certificate::from_pem_bundle(&system).unwrap_or_default() {
                builder = builder.add_root_certificate(root);
            }
        }
    }
    builder
        .build()
        .map_err(|e| ClientError::Build(error_chain(&e)))
}
