//! Why the HTTP client got no response, whether trying again can help, and a message that says
//! what to check.
//!
//! A host name that does not resolve, a port where nothing listens, a proxy that will not tunnel
//! or a TLS handshake that fails do not fix themselves in the minutes a retry loop waits, so
//! before the API has answered once in a run they are reported at once. Once it has answered, the
//! same errors are passing network trouble and are retried. A certificate that is not trusted is
//! never retried.

use std::error::Error;
use std::io;

use url::Url;

use super::proxy::ProxyServer;
use super::resolver::ResolveError;

/// What kind of failure it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// A host name (the destination's or the proxy's) did not resolve.
    Dns,
    /// Nothing listens at the address (connection refused).
    Refused,
    /// The server's certificate is not trusted: unknown issuer, expired, another name.
    Certificate,
    /// The TLS handshake failed otherwise (no TLS on that port, no common protocol version).
    Tls,
    /// The proxy did not open a tunnel (refused the CONNECT, wants credentials, closed).
    Tunnel,
    /// Anything else: reset, closed, an I/O error mid-response.
    Other,
}

impl FailureKind {
    /// Whether a retry may help; `answered` tells whether the API has answered in this run.
    pub fn worth_retrying(self, answered: bool) -> bool {
        match self {
            FailureKind::Certificate => false,
            FailureKind::Dns | FailureKind::Refused | FailureKind::Tls | FailureKind::Tunnel => {
                answered
            }
            FailureKind::Other => true,
        }
    }
}

/// A classified failure of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The kind.
    pub kind: FailureKind,
    /// The innermost useful explanation (the resolver's, the TLS library's, ...).
    detail: String,
    /// The name that did not resolve, for [`FailureKind::Dns`].
    unresolved: Option<String>,
    /// The whole cause chain.
    chain: String,
}

impl Failure {
    /// Classifies a transport error of a request sent directly or through `proxy`.
    pub fn of(err: reqwest::Error, proxy: Option<&ProxyServer>) -> Self {
        let is_connect = err.is_connect();
        // Without the URL: reqwest repeats it in every message, and the caller names the endpoint.
        let err = err.without_url();
        let chain = error_chain(&err);
        let mut failure = Failure {
            kind: FailureKind::Other,
            detail: chain.clone(),
            unresolved: None,
            chain,
        };
        let mut next: Option<&(dyn Error + 'static)> = Some(&err);
        while let Some(e) = next {
            if let Some(dns) = e.downcast_ref::<ResolveError>() {
                failure.kind = FailureKind::Dns;
                failure.detail = dns.cause.to_string();
                failure.unresolved = Some(dns.host.clone());
                return failure;
            }
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                failure.kind = match tls {
                    rustls::Error::InvalidCertificate(_) => FailureKind::Certificate,
                    _ => FailureKind::Tls,
                };
                failure.detail = tls.to_string();
                return failure;
            }
            if let Some(io) = e.downcast_ref::<io::Error>() {
                if io.kind() == io::ErrorKind::ConnectionRefused {
                    failure.kind = FailureKind::Refused;
                    failure.detail = io.to_string();
                    return failure;
                }
                // io::Error's source() skips the error it wraps (tokio-rustls wraps rustls' this way).
                if let Some(inner) = io.get_ref() {
                    next = Some(inner);
                    continue;
                }
            }
            next = e.source();
        }
        // The proxy's own failures (a CONNECT answered with 403 or 407) have no public type.
        if proxy.is_some() && is_connect {
            failure.kind = FailureKind::Tunnel;
        }
        failure
    }

    /// A message for a request to `dest` (sent through `proxy`, if any) that names the cause and
    /// what to check.
    pub fn message(&self, dest: &Url, proxy: Option<&ProxyServer>) -> String {
        let target = format!(
            "{}:{}",
            dest.host_str().unwrap_or_default(),
            dest.port_or_known_default().unwrap_or_default()
        );
        let detail = &self.detail;
        match (self.kind, proxy) {
            (FailureKind::Dns, Some(p)) if self.unresolved.as_deref() == p.url().host_str() => {
                format!(
                    "cannot resolve the proxy host {} ({detail}); check {} ({p})",
                    p.url().host_str().unwrap_or_default(),
                    p.variable()
                )
            }
            (FailureKind::Dns, _) => format!(
                "cannot resolve the host name {} ({detail}); check --base-url, and the proxy variables \
                 (HTTPS_PROXY, NO_PROXY) if this machine reaches the internet only through a proxy",
                self.unresolved.as_deref().unwrap_or(&target)
            ),
            (FailureKind::Refused, Some(p)) => format!(
                "the proxy {p} refused the connection: nothing listens there; check {} and that the proxy is running",
                p.variable()
            ),
            (FailureKind::Refused, None) => format!(
                "{target} refused the connection: nothing listens there; check --base-url (host and port)"
            ),
            (FailureKind::Certificate, _) => format!(
                "the TLS certificate of {target} is not trusted ({detail}); check --base-url, and if a proxy or a \
                 private CA signs this host's certificates, put that CA certificate in a PEM file named by SSL_CERT_FILE"
            ),
            (FailureKind::Tls, _) => format!(
                "the TLS handshake with {target} failed ({detail}); check that --base-url names an https:// endpoint"
            ),
            (FailureKind::Tunnel, Some(p)) => format!(
                "the proxy {p} did not open a tunnel to {target} ({}); check {} (host, port, credentials) and NO_PROXY",
                self.chain,
                p.variable()
            ),
            (FailureKind::Tunnel | FailureKind::Other, _) => {
                let via = match proxy {
                    Some(p) => format!(" through the proxy {p} ({})", p.variable()),
                    None => String::new(),
                };
                format!(
                    "{}; check --base-url and that this machine can reach {target}{via}",
                    self.chain
                )
            }
        }
    }
}

/// An error and its causes joined by ": ", each cause once (reqwest's own Display hides the
/// useful cause, and some causes repeat their source's text).
pub fn error_chain(err: &dyn Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
