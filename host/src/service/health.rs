//! Health endpoints, as the Baton SDK serves them with `--health-check`: `/live` (the process
//! runs), `/ready` and `/health` (ConductorOne said Hello back and is reachable), on
//! `--health-check-bind-address:--health-check-port`; and the probe behind the `health-check`
//! subcommand, for exec probes in images without curl.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The default port.
pub const DEFAULT_PORT: u16 = 8081;
/// The default bind address.
pub const DEFAULT_BIND: &str = "127.0.0.1";

/// What the endpoints report; cloned handles share it.
#[derive(Clone, Debug, Default)]
pub struct Health {
    said_hello: Arc<AtomicBool>,
    reachable: Arc<AtomicBool>,
}

impl Health {
    /// Nothing said yet: live, not ready.
    pub fn new() -> Health {
        Health::default()
    }

    /// ConductorOne answered the Hello.
    pub fn said_hello(&self) {
        self.said_hello.store(true, Ordering::SeqCst);
        self.reachable.store(true, Ordering::SeqCst);
    }

    /// Whether ConductorOne answered the last call.
    pub fn set_reachable(&self, reachable: bool) {
        self.reachable.store(reachable, Ordering::SeqCst);
    }

    /// Ready: Hello succeeded and ConductorOne is reachable.
    pub fn is_ready(&self) -> bool {
        self.said_hello.load(Ordering::SeqCst) && self.reachable.load(Ordering::SeqCst)
    }
}

/// Why the health server could not start.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// The bind address is not an IP address.
    #[error(
        "--health-check-bind-address {0:?} is not an IP address; use 127.0.0.1, or 0.0.0.0 for \
         probes from outside the pod"
    )]
    Address(String),
    /// The port is taken or not allowed.
    #[error(
        "cannot serve health checks on {addr}: {cause}; choose another --health-check-port \
         (BATON_HEALTH_CHECK_PORT)"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        cause: std::io::Error,
    },
}

/// The socket address of `bind` and `port`.
pub fn address(bind: &str, port: u16) -> Result<SocketAddr, HealthError> {
    let ip: IpAddr = bind
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| HealthError::Address(bind.to_string()))?;
    Ok(SocketAddr::new(ip, port))
}

/// Starts serving the endpoints on `addr`; returns the address bound (port 0 picks one).
pub async fn serve(addr: SocketAddr, health: Health) -> Result<SocketAddr, HealthError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|cause| HealthError::Bind { addr, cause })?;
    let bound = listener
        .local_addr()
        .map_err(|cause| HealthError::Bind { addr, cause })?;
    let app = Router::new()
        .route("/live", get(|| async { (StatusCode::OK, "live\n") }))
        .route("/ready", get(ready))
        .route("/health", get(ready))
        .with_state(health);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("the health server stopped: {e}");
        }
    });
    tracing::info!(address = %bound, "serving health checks on /health, /ready and /live");
    Ok(bound)
}

async fn ready(State(health): State<Health>) -> (StatusCode, &'static str) {
    if health.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: ConductorOne has not answered the Hello, or cannot be reached\n",
        )
    }
}

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Nothing answered.
    #[error(
        "no health server answers at {addr}: {cause}; is the connector running with \
         --health-check (BATON_HEALTH_CHECK=true) on this port and address?"
    )]
    Unreachable {
        /// The address.
        addr: SocketAddr,
        /// Why.
        cause: String,
    },
    /// It answered, but not 200.
    #[error("{path} on {addr} answered {status}: {body}")]
    Unhealthy {
        /// The address.
        addr: SocketAddr,
        /// The endpoint.
        path: String,
        /// The status line's code and reason.
        status: String,
        /// The body.
        body: String,
    },
}

/// Asks `path` on `addr` (an unspecified address probes loopback); `Ok` on 200.
pub async fn probe(addr: SocketAddr, path: &str) -> Result<String, ProbeError> {
    let addr = if addr.ip().is_unspecified() {
        let loopback: IpAddr = if addr.is_ipv4() {
            [127, 0, 0, 1].into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        };
        SocketAddr::new(loopback, addr.port())
    } else {
        addr
    };
    let unreachable = |cause: String| ProbeError::Unreachable { addr, cause };
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.take(64 * 1024).read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .map_err(|_| unreachable("no answer in 5 s".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status_line = head.lines().next().unwrap_or_default();
    let status = status_line.split_once(' ').map_or("", |(_, s)| s).trim();
    if status.starts_with("200") {
        Ok(body.trim().to_string())
    } else {
        Err(ProbeError::Unhealthy {
            addr,
            path: path.to_string(),
            status: status.to_string(),
            body: body.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ready_once_hello_succeeded_and_not_while_unreachable() {
        let health = Health::new();
        let addr = serve(address("127.0.0.1", 0).unwrap(), health.clone())
            .await
            .unwrap();
        assert!(probe(addr, "/live").await.is_ok());
        for path in ["/ready", "/health"] {
            let err = probe(addr, path).await.unwrap_err();
            assert!(err.to_string().contains("503"), "{err}");
        }
        health.said_hello();
        assert!(probe(addr, "/ready").await.is_ok());
        assert!(probe(addr, "/health").await.is_ok());
        health.set_reachable(false);
        assert!(probe(addr, "/ready").await.is_err());
        assert!(probe(addr, "/live").await.is_ok());
        let unspecified = SocketAddr::new([0, 0, 0, 0].into(), addr.port());
        assert!(probe(unspecified, "/live").await.is_ok());
        assert!(matches!(
            address("localhost", 1),
            Err(HealthError::Address(_))
        ));
    }
}
