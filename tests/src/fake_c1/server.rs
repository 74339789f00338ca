//! The fake's one HTTPS listener on 127.0.0.1: TLS (the test CA's certificate), then HTTP/1.1
//! or HTTP/2 into one router holding the token endpoint and the gRPC service, as the tenant host
//! is both the token host and the gRPC host. Each connection can be killed from a handler (a
//! scripted drop): its I/O then fails at once, with no gRPC status and no TLS close.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tower::ServiceExt;

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A handle on one connection, in every request's extensions: kills it.
#[derive(Clone, Default)]
pub(crate) struct ConnectionHandle(Arc<KillSwitch>);

#[derive(Default)]
struct KillSwitch {
    killed: AtomicBool,
    // The reader waiting on the socket: woken so the kill takes effect at once.
    reader: Mutex<Option<Waker>>,
}

impl ConnectionHandle {
    /// Breaks the connection: every read and write on it fails from now on.
    pub fn kill(&self) {
        self.0.killed.store(true, Ordering::SeqCst);
        if let Some(waker) = self
            .0
            .reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            waker.wake();
        }
    }

    fn killed(&self) -> bool {
        self.0.killed.load(Ordering::SeqCst)
    }
}

/// A stream that fails once its handle is killed.
struct Killable<S> {
    inner: S,
    handle: ConnectionHandle,
}

fn reset() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "dropped by the fake ConductorOne",
    )
}

impl<S: AsyncRead + Unpin> AsyncRead for Killable<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // Register before checking, so a kill between the two still wakes this reader.
        *self
            .handle
            .0
            .reader
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        if self.handle.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Killable<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.handle.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.handle.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.handle.killed() {
            // No close_notify, no FIN handshake to wait for: the connection is gone.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Accepts connections on `listener` until the returned task is aborted (which also ends every
/// connection: they live in its JoinSet).
pub(crate) fn spawn(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    router: Router,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let acceptor = TlsAcceptor::from(tls);
        let mut connections = JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, router) = (acceptor.clone(), router.clone());
            connections.spawn(async move {
                let Ok(Ok(tls)) =
                    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
                else {
                    return;
                };
                let handle = ConnectionHandle::default();
                let stream = Killable {
                    inner: tls,
                    handle: handle.clone(),
                };
                let service =
                    tower::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(handle.clone());
                        router.clone().oneshot(request)
                    });
                // A broken connection is the client's (or the script's) business, not an error.
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .await;
            });
        }
    })
}
