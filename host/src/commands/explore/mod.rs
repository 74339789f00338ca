//! `explore`: a local, read-only web explorer of one .c1z file. The sync is loaded into memory once at start
//! (the reader's decompressed temp copy is gone before the first request), so every page is rendered from memory.
//! It binds 127.0.0.1 only, answers GET and HEAD only, only for the Host it listens on (no DNS rebinding), and
//! sends pages with no external assets and a strict content security policy.

mod browse;
mod changes;
mod entitlement;
mod home;
mod layout;
mod links;
mod resource;
mod review;
mod search;
mod state;
mod user;
mod widgets;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::cli::ExploreArgs;
pub use state::Explorer;

/// Shared, immutable state of the running explorer.
type Shared = Arc<Explorer>;

/// Loads `file`, listens on 127.0.0.1 and serves until Ctrl-C.
pub async fn run(file: &Path, args: &ExploreArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let explorer = Explorer::load(file, args.sync_id.as_deref())?;
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.listen_port)))
            .await
            .with_context(|| {
                format!(
                    "listening on 127.0.0.1:{}; pick another --listen-port, or 0 for a free one",
                    args.listen_port
                )
            })?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let url = format!("http://{addr}/");
    eprintln!(
        "Loaded {} (sync {}: {} resources, {} entitlements, {} grants) in {:.2} s",
        file.display(),
        explorer.index.sync().id,
        explorer.index.resources().len(),
        explorer.index.entitlements().len(),
        explorer.index.grants().len(),
        started.elapsed().as_secs_f64()
    );
    // stdout carries the address alone, for people and for scripts that start the explorer.
    println!("Explorer listening on {url}");
    eprintln!("Read-only, on this machine only. Press Ctrl-C to stop.");
    if args.open_browser
        && let Err(e) = webbrowser::open(&url)
    {
        eprintln!("Could not open a browser ({e}); open {url} yourself.");
    }
    axum::serve(listener, router(Arc::new(explorer), addr.port()))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving the explorer")?;
    Ok(())
}

/// Every page, behind the request guards.
pub fn router(explorer: Shared, port: u16) -> Router {
    let allowed_hosts: Arc<[String]> = [format!("127.0.0.1:{port}"), format!("localhost:{port}")]
        .into_iter()
        .collect();
    Router::new()
        .route("/", get(home::page))
        .route("/search", get(search::page))
        .route("/browse", get(browse::page))
        .route("/resource", get(resource::page))
        .route("/user", get(user::page))
        .route("/entitlement", get(entitlement::page))
        .route("/review", get(review::overview))
        .route("/review/{section}", get(review::section))
        .route("/changes", get(changes::page))
        .fallback(not_found)
        .with_state(explorer)
        .layer(middleware::from_fn(timed))
        .layer(middleware::from_fn(move |req, next| {
            guard(allowed_hosts.clone(), req, next)
        }))
}

async fn not_found() -> Response {
    layout::error_page(
        StatusCode::NOT_FOUND,
        "No such page",
        "Start again from the home page.",
    )
}

/// Read-only and loopback-only: GET/HEAD for our own Host header, nothing else.
async fn guard(allowed_hosts: Arc<[String]>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = (
            StatusCode::METHOD_NOT_ALLOWED,
            "The explorer is read-only: only GET and HEAD are answered.\n",
        )
            .into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return secured(r);
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !allowed_hosts.iter().any(|a| a == host) {
        return secured(
            (
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "The explorer answers only requests for {}; open that address.\n",
                    allowed_hosts.join(" or ")
                ),
            )
                .into_response(),
        );
    }
    secured(next.run(req).await)
}

/// Headers every answer carries: no external anything, no caching, no framing, no sniffing.
fn secured(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Measures each page: a `Server-Timing` header (shown by browsers' developer tools, read by the benchmarks) and a
/// debug log line.
async fn timed(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let path = req.uri().path().to_string();
    let mut r = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = HeaderValue::from_str(&format!("page;dur={ms:.2}")) {
        r.headers_mut().insert("server-timing", v);
    }
    tracing::debug!(path, ms, status = r.status().as_u16(), "explorer page");
    r
}
