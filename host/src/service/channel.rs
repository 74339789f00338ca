//! The gRPC channel to ConductorOne: HTTP/2 over TLS 1.2+ (rustls), trusting the built-in
//! (Mozilla) roots, the system's, and the certificates in `SSL_CERT_FILE`; through the egress
//! proxy of `HTTPS_PROXY`/`NO_PROXY` (a CONNECT tunnel) as the Bitbucket client is.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Uri};
use url::Url;

use crate::transport::{NetworkSettings, ProxyServer};

/// How long connecting (TCP, tunnel and TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Why the channel could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The API host does not make a URL.
    #[error(
        "{host:?} is not a usable ConductorOne API host ({reason}); set --c1-api-host \
         (BATON_C1_API_HOST) to HOST or HOST:PORT, or unset it to use the client id's"
    )]
    Host {
        /// The host given.
        host: String,
        /// What is wrong.
        reason: String,
    },
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
    /// tonic refused the configuration.
    #[error("cannot set up the gRPC channel: {0}; this is a bug or a broken TLS setup")]
    Setup(String),
}

/// A channel to `https://<api_host>`, connecting when first used (so a ConductorOne that is
/// down at start is retried like one that goes away later).
pub fn channel(
    api_host: &str,
    user_agent: &str,
    network: &NetworkSettings,
) -> Result<Channel, ChannelError> {
    let bad_host = |reason: String| ChannelError::Host {
        host: api_host.to_string(),
        reason,
    };
    let url = Url::parse(&format!("https://{api_host}")).map_err(|e| bad_host(e.to_string()))?;
    if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
        return Err(bad_host("it has more than a host and a port".into()));
    }
    let host = url
        .host_str()
        .ok_or_else(|| bad_host("it has no host name".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    // The system's bundle read directly: the native-roots loader would read SSL_CERT_FILE
    // instead of it, and fails where a minimal image has no store at all.
    let mut tls = ClientTlsConfig::new()
        .with_webpki_roots()
        .domain_name(host.clone());
    if let Some(system) = crate::transport::system_roots_pem() {
        tls = tls.ca_certificate(Certificate::from_pem(system));
    }
    if let Some(path) = &network.extra_roots {
        let invalid = |reason: String| ChannelError::ExtraRoots {
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| invalid(format!("cannot read it: {e}")))?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(invalid("it holds no PEM certificate".into()));
        }
        tls = tls.ca_certificate(Certificate::from_pem(pem));
    }
    let uri = format!("https://{api_host}")
        .parse::<Uri>()
        .map_err(|e| bad_host(e.to_string()))?;
    let endpoint = Endpoint::from(uri)
        .user_agent(user_agent.to_string())
        .map_err(|e| ChannelError::Setup(e.to_string()))?
        .tls_config(tls)
        .map_err(|e| ChannelError::Setup(crate::transport::error_chain(&e)))?
        .connect_timeout(CONNECT_TIMEOUT)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true)
        .tcp_keepalive(Some(Duration::from_secs(60)));
    let proxy = network.proxy.proxy_for(&url).cloned();
    let target = (host, port);
    let connector = tower::service_fn(move |_: Uri| {
        let proxy = proxy.clone();
        let (host, port) = target.clone();
        async move {
            let stream = match &proxy {
                None => TcpStream::connect((host.as_str(), port)).await?,
                Some(proxy) => tunnel(proxy, &host, port).await?,
            };
            stream.set_nodelay(true)?;
            Ok::<_, std::io::Error>(TokioIo::new(stream))
        }
    });
    Ok(endpoint.connect_with_connector_lazy(connector))
}

/// A TCP stream to `host:port` through an HTTP proxy's CONNECT tunnel.
async fn tunnel(proxy: &ProxyServer, host: &str, port: u16) -> std::io::Result<TcpStream> {
    if proxy.url().scheme() == "https" {
        return Err(std::io::Error::other(format!(
            "the proxy {proxy} (from {}) is an https:// proxy, which the ConductorOne connection \
             does not support; give its http:// address",
            proxy.variable()
        )));
    }
    let failed = |what: String| {
        std::io::Error::other(format!(
            "the proxy {proxy} (from {}) {what}",
            proxy.variable()
        ))
    };
    let mut stream = TcpStream::connect(proxy.address())
        .await
        .map_err(|e| failed(format!("cannot be reached: {e}")))?;
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    let url = proxy.url();
    if !url.username().is_empty() {
        let user = percent_encoding::percent_decode_str(url.username()).decode_utf8_lossy();
        let password = url
            .password()
            .map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy())
            .unwrap_or_default();
        let credentials = zeroize::Zeroizing::new(format!("{user}:{password}"));
        request.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            STANDARD.encode(credentials.as_bytes())
        ));
    }
    request.push_str("\r\n");
    let request = zeroize::Zeroizing::new(request);
    stream.write_all(request.as_bytes()).await?;
    // The proxy's answer ends at the first empty line; nothing follows until we speak TLS.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(failed("answered CONNECT with an over-long header".into()));
        }
        if stream.read(&mut byte).await? == 0 {
            return Err(failed("closed the connection during CONNECT".into()));
        }
        head.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or_default();
    let code = status_line.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(failed(format!(
            "refused the tunnel to {authority}: {status_line}{}",
            if code == "407" {
                "; give the proxy's credentials as http://USER:PASSWORD@HOST:PORT"
            } else {
                ""
            }
        )));
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::ProxySettings;

    /// A one-shot proxy on loopback: records the CONNECT head and answers `status`.
    async fn proxy(status: &'static str) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                conn.read_exact(&mut byte).await.unwrap();
                head.push(byte[0]);
            }
            conn.write_all(format!("HTTP/1.1 {status}\r\n\r\n").as_bytes())
                .await
                .unwrap();
            conn.write_all(b"tunnelled").await.unwrap();
            String::from_utf8(head).unwrap()
        });
        (port, seen)
    }

    fn server(port: u16, credentials: &str) -> ProxyServer {
        let settings =
            ProxySettings::all(&format!("http://{credentials}127.0.0.1:{port}"), "").unwrap();
        settings
            .proxy_for(&Url::parse("https://tenant.conductor.one/").unwrap())
            .expect("a proxy for a remote host")
            .clone()
    }

    #[tokio::test]
    async fn a_connect_tunnel_names_the_destination_and_sends_the_proxy_credentials() {
        let (port, seen) = proxy("200 Connection established").await;
        let mut stream = tunnel(
            &server(port, "alice:s%3Acret@"),
            "tenant.conductor.one",
            443,
        )
        .await
        .unwrap();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert_eq!(
            rest, b"tunnelled",
            "bytes after the answer are the tunnel's"
        );
        let head = seen.await.unwrap();
        assert!(
            head.starts_with("CONNECT tenant.conductor.one:443 HTTP/1.1\r\n"),
            "{head}"
        );
        let expected = STANDARD.encode("alice:s:cret");
        assert!(
            head.contains(&format!("Proxy-Authorization: Basic {expected}\r\n")),
            "{head}"
        );
    }

    #[tokio::test]
    async fn a_refused_tunnel_says_what_the_proxy_answered_without_its_password() {
        let (port, _seen) = proxy("407 Proxy Authentication Required").await;
        let err = tunnel(&server(port, "alice:hunter2@"), "tenant.conductor.one", 443)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("407") && err.contains("USER:PASSWORD"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}
