//! A loopback HTTP CONNECT proxy for tests. Whatever host a client asks to reach, the tunnel
//! leads to one loopback port, so a test can use a real-looking destination name
//! (`api.bitbucket.test`) while nothing leaves the machine. With a server configuration it also
//! terminates TLS inside the tunnel (as a TLS-inspecting corporate proxy does) and forwards the
//! plain bytes to that port. It records every request head it received.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::ServerConfig;

/// One request head the proxy received.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `CONNECT api.bitbucket.test:443 HTTP/1.1`
    pub request_line: String,
    /// The `Proxy-Authorization` header, if sent.
    pub proxy_authorization: Option<String>,
}

/// A running proxy.
pub struct ConnectProxy {
    /// Its loopback port.
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ConnectProxy {
    /// Starts a proxy whose tunnels lead to `127.0.0.1:upstream`; with `tls`, it terminates TLS
    /// inside the tunnel; with `required_auth`, it answers 407 to any other `Proxy-Authorization`.
    pub fn start(
        upstream: u16,
        tls: Option<Arc<ServerConfig>>,
        required_auth: Option<String>,
    ) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let port = super::spawn_server(move |listener| async move {
            while let Ok((client, _)) = listener.accept().await {
                let (log, tls, required_auth) = (log.clone(), tls.clone(), required_auth.clone());
                tokio::spawn(async move {
                    let _ = tunnel(client, upstream, tls, required_auth, log).await;
                });
            }
        });
        Self { port, seen }
    }

    /// The request heads received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn tunnel(
    mut client: TcpStream,
    upstream: u16,
    tls: Option<Arc<ServerConfig>>,
    required_auth: Option<String>,
    log: Arc<Mutex<Vec<Seen>>>,
) -> std::io::Result<()> {
    // Byte by byte up to the blank line, so no byte of the tunnelled stream is consumed here.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        head.push(client.read_u8().await?);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let proxy_authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_string());
    log.lock().unwrap().push(Seen {
        request_line: request_line.clone(),
        proxy_authorization: proxy_authorization.clone(),
    });
    if !request_line.starts_with("CONNECT ") {
        return client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await;
    }
    if required_auth.is_some() && proxy_authorization != required_auth {
        return client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
            )
            .await;
    }
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).await?;
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    match tls {
        Some(config) => {
            let mut inside = tokio_rustls::TlsAcceptor::from(config)
                .accept(client)
                .await?;
            tokio::io::copy_bidirectional(&mut inside, &mut server).await?;
        }
        None => {
            tokio::io::copy_bidirectional(&mut client, &mut server).await?;
        }
    }
    Ok(())
}
