//! The HTTP capability against real loopback servers: allow-list, credential injection, size
//! caps, timeouts, retries and counters.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use connector_host::credentials::Credential;
use connector_host::http::{
    BudgetSettings, CallDeadline, HttpCapability, HttpError, HttpSettings, Method, OutboundRequest,
};
use connector_host::secrets::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;
use url::Url;

const RATE_LIMIT_BODY: &str = "Rate limit for this resource has been exceeded";

/// A canned answer: status, headers, body.
type Canned = (u16, Vec<(&'static str, String)>, String);

/// What a scripted server saw.
#[derive(Default)]
struct Script {
    answers: Mutex<VecDeque<Canned>>,
    last: Mutex<Option<Canned>>,
    hits: AtomicUsize,
    seen: Mutex<Vec<HeaderMap>>,
}

async fn scripted_handler(
    State(s): State<Arc<Script>>,
    headers: HeaderMap,
    _body: Bytes,
) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    s.seen.lock().unwrap().push(headers);
    let next = s.answers.lock().unwrap().pop_front();
    let answer = match next {
        Some(a) => {
            *s.last.lock().unwrap() = Some(a.clone());
            a
        }
        None => s
            .last
            .lock()
            .unwrap()
            .clone()
            .unwrap_or((200, vec![], "ok".into())),
    };
    let mut resp = (StatusCode::from_u16(answer.0).unwrap(), answer.2).into_response();
    for (name, value) in answer.1 {
        resp.headers_mut().insert(name, value.parse().unwrap());
    }
    resp
}

/// An axum server answering `answers` in order (repeating the last one), on 127.0.0.1.
async fn scripted(answers: Vec<Canned>) -> (Url, Arc<Script>) {
    let script = Arc::new(Script {
        answers: Mutex::new(answers.into()),
        ..Default::default()
    });
    let app = Router::new()
        .fallback(scripted_handler)
        .with_state(script.clone());
    (serve(app).await, script)
}

async fn serve(app: Router) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Url::parse(&format!("http://127.0.0.1:{port}")).unwrap()
}

fn rate_limited() -> Canned {
    (
        429,
        vec![("content-type", "text/plain".into())],
        RATE_LIMIT_BODY.into(),
    )
}

fn status(code: u16) -> Canned {
    (code, vec![], format!("status {code}"))
}

/// What a raw TCP server does with each connection.
#[derive(Clone, Copy)]
enum Raw {
    /// Accepts and counts only (stands in for a forbidden host).
    Count,
    /// Reads the request and never answers.
    Hang,
    /// Reads the request and closes the connection without answering.
    CloseAfterRequest,
    /// Answers 200 with a chunked body of `n` chunks of 1 KiB, no Content-Length.
    Chunked(usize),
    /// Answers 200 announcing a Content-Length of `n` bytes but sends nothing.
    Announce(u64),
}

async fn raw_server(mode: Raw) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if matches!(mode, Raw::Count) {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                }
                let mut buf = vec![0u8; 16 * 1024];
                let _ = sock.read(&mut buf).await;
                match mode {
                    Raw::Count => {}
                    Raw::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                    Raw::CloseAfterRequest => drop(sock),
                    Raw::Chunked(n) => {
                        let _ = sock
                            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                            .await;
                        let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
                        for _ in 0..n {
                            if sock.write_all(chunk.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        let _ = sock.write_all(b"0\r\n\r\n").await;
                    }
                    Raw::Announce(len) => {
                        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
                        let _ = sock.write_all(head.as_bytes()).await;
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                }
            });
        }
    });
    (port, accepted)
}

/// Settings with short waits so tests stay fast.
fn fast(base: &Url) -> HttpSettings {
    HttpSettings {
        request_timeout: Duration::from_secs(5),
        max_retries: 3,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        max_total_wait: Duration::from_secs(10),
        ..HttpSettings::for_base_url(base.clone())
    }
}

fn get(url: impl Into<String>) -> OutboundRequest {
    request(Method::Get, url)
}

fn request(method: Method, url: impl Into<String>) -> OutboundRequest {
    OutboundRequest {
        method,
        url: url.into(),
        headers: vec![],
        body: None,
        endpoint: String::new(),
    }
}

fn basic(user: &str, password: &str) -> Credential {
    Credential::Basic {
        username: user.into(),
        password: Secret::new(password),
    }
}

/// Captures log output for assertions on warnings.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// ---- rule 1: allow-list ----

#[tokio::test]
async fn refused_destinations_never_receive_a_connection() {
    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (allowed, script) = scripted(vec![]).await;
    let port_a = allowed.port().unwrap();
    let (port_b, accepted_b) = raw_server(Raw::Count).await;
    let http = HttpCapability::new(fast(&allowed), Some(basic("u", "pw"))).unwrap();

    for url in [
        format!("http://127.0.0.1:{port_b}/2.0/user"),
        format!("http://localhost:{port_b}/2.0/user"),
        format!("http://LOCALHOST.:{port_b}/2.0/user"),
        format!("http://127.0.0.1:{port_a}@127.0.0.1:{port_b}/2.0/user"),
        format!("http://user:pw@127.0.0.1:{port_a}/2.0/user"),
        format!("http://2130706433:{port_b}/2.0/user"),
        format!("http://[::1]:{port_b}/2.0/user"),
        format!("https://127.0.0.1:{port_a}/2.0/user"),
        format!("http://localhost:{port_a}/2.0/user"),
    ] {
        let err = http.send(get(url.clone()), None).await.unwrap_err();
        assert!(matches!(err, HttpError::Denied(_)), "{url}: {err:?}");
    }
    assert!(matches!(
        http.send(get("not a url"), None).await,
        Err(HttpError::InvalidRequest(_))
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        accepted_b.load(Ordering::SeqCst),
        0,
        "the forbidden listener was contacted"
    );
    assert_eq!(
        script.hits.load(Ordering::SeqCst),
        0,
        "a refused request reached the allowed server"
    );
    let logs = logs.text();
    assert!(
        logs.contains("WARN") && logs.contains("localhost"),
        "no warning naming the host: {logs}"
    );
    assert!(!logs.contains("pw"), "a secret reached the logs: {logs}");
    assert_eq!(
        http.stats().total_requests(),
        0,
        "refused requests are not counted as sent"
    );
}

#[tokio::test]
async fn equivalent_spellings_of_the_allowed_host_are_sent() {
    let (base, script) = scripted(vec![status(200)]).await;
    let port = base.port().unwrap();
    let http = HttpCapability::new(fast(&base), None).unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/a"),
        format!("http://0x7f.0.0.1:{port}/b"),
        format!("http://127.1:{port}/c"),
    ] {
        assert_eq!(http.send(get(url), None).await.unwrap().status, 200);
    }
    assert_eq!(script.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let (port_b, accepted_b) = raw_server(Raw::Count).await;
    let (base, script) = scripted(vec![(
        302,
        vec![("location", format!("http://127.0.0.1:{port_b}/steal"))],
        String::new(),
    )])
    .await;
    let http = HttpCapability::new(fast(&base), Some(basic("u", "pw"))).unwrap();
    let resp = http
        .send(get(base.join("/2.0/user").unwrap().as_str()), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 302);
    assert!(
        resp.headers
            .iter()
            .any(|(n, v)| n == "location" && v.contains(&port_b.to_string()))
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        accepted_b.load(Ordering::SeqCst),
        0,
        "the redirect target was contacted"
    );
    assert_eq!(script.hits.load(Ordering::SeqCst), 1);
}

#[test]
fn plain_http_to_a_remote_base_url_is_refused_at_setup() {
    let err = HttpCapability::new(
        HttpSettings::for_base_url(Url::parse("http://example.com").unwrap()),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
}

// ---- rule 2: credentials ----

#[tokio::test]
async fn host_injects_basic_auth_and_refuses_guest_credential_headers() {
    let (base, script) = scripted(vec![status(200)]).await;
    let http =
        HttpCapability::new(fast(&base), Some(basic("me@example.com", "api-token-1"))).unwrap();
    let url = base.join("/2.0/user").unwrap().to_string();
    for (name, value) in [
        ("Authorization", "Bearer guest"),
        ("authorization", "Basic Z3Vlc3Q6Z3Vlc3Q="),
        ("PROXY-AUTHORIZATION", "Basic x"),
        ("Cookie", "session=guest"),
        ("cookie", "a=b"),
        ("Host", "evil.example"),
    ] {
        let mut req = get(url.clone());
        req.headers = vec![
            ("Accept".into(), "application/json".into()),
            (name.into(), value.into()),
        ];
        let err = http.send(req, None).await.unwrap_err();
        assert!(
            matches!(&err, HttpError::Denied(m) if m.contains(name)),
            "{name}: {err:?}"
        );
    }
    assert_eq!(
        script.hits.load(Ordering::SeqCst),
        0,
        "a request with a guest credential header was sent"
    );

    let mut req = get(url);
    req.headers = vec![("Accept".into(), "application/json".into())];
    assert_eq!(http.send(req, None).await.unwrap().status, 200);
    let seen = script.seen.lock().unwrap();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("me@example.com:api-token-1")
    );
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].get_all("authorization").iter().collect::<Vec<_>>(),
        vec![expected.as_str()]
    );
    assert!(seen[0].get("cookie").is_none());
    assert_eq!(seen[0]["accept"], "application/json");
}

#[tokio::test]
async fn host_injects_bearer_tokens() {
    let (base, script) = scripted(vec![status(200)]).await;
    let http = HttpCapability::new(
        fast(&base),
        Some(Credential::Bearer(Secret::new("ws-token"))),
    )
    .unwrap();
    http.send(get(base.join("/2.0/user").unwrap().as_str()), None)
        .await
        .unwrap();
    assert_eq!(
        script.seen.lock().unwrap()[0]["authorization"],
        "Bearer ws-token"
    );
}

/// A loopback OAuth token endpoint plus an API that accepts only the latest token.
#[derive(Default)]
struct OAuthServer {
    issued: AtomicUsize,
    valid: Mutex<String>,
    expires_in: u64,
    api_hits: AtomicUsize,
    reject_all: std::sync::atomic::AtomicBool,
    /// How many token requests to answer with 503 first.
    unavailable: AtomicUsize,
}

async fn token_endpoint(
    State(s): State<Arc<OAuthServer>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("consumer-key:consumer-secret")
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str())
        || body != "grant_type=client_credentials"
    {
        // Deliberately echoes what it got, the way a careless server might.
        let echoed = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        return (
            StatusCode::UNAUTHORIZED,
            format!(r#"{{"error":"invalid_client","error_description":"bad client {echoed} consumer-secret-WRONG"}}"#),
        )
            .into_response();
    }
    if s.unavailable.load(Ordering::SeqCst) > 0 {
        s.unavailable.fetch_sub(1, Ordering::SeqCst);
        return (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response();
    }
    let n = s.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("tok-{n}");
    *s.valid.lock().unwrap() = token.clone();
    axum::Json(serde_json::json!({
        "access_token": token, "expires_in": s.expires_in, "token_type": "bearer",
        "scopes": "account", "state": "client_credentials", "refresh_token": "r"
    }))
    .into_response()
}

async fn oauth_api(State(s): State<Arc<OAuthServer>>, headers: HeaderMap) -> Response {
    s.api_hits.fetch_add(1, Ordering::SeqCst);
    let want = format!("Bearer {}", s.valid.lock().unwrap());
    let got = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if got == want && !s.reject_all.load(Ordering::SeqCst) {
        (StatusCode::OK, "{}").into_response()
    } else {
        (StatusCode::UNAUTHORIZED, "expired").into_response()
    }
}

async fn oauth_server(expires_in: u64) -> (Url, Arc<OAuthServer>) {
    let state = Arc::new(OAuthServer {
        expires_in,
        ..Default::default()
    });
    let app = Router::new()
        .route(
            "/site/oauth2/access_token",
            axum::routing::post(token_endpoint),
        )
        .route("/2.0/user", axum::routing::get(oauth_api))
        .with_state(state.clone());
    (serve(app).await, state)
}

fn oauth(base: &Url, secret: &str) -> Credential {
    Credential::OAuthClientCredentials {
        key: "consumer-key".into(),
        secret: Secret::new(secret),
        token_url: base.join("/site/oauth2/access_token").unwrap(),
    }
}

#[tokio::test]
async fn oauth_token_is_fetched_once_cached_and_refreshed_once_after_a_401() {
    let (base, server) = oauth_server(7200).await;
    let http = HttpCapability::new(fast(&base), Some(oauth(&base, "consumer-secret"))).unwrap();
    let url = base.join("/2.0/user").unwrap().to_string();
    assert_eq!(http.send(get(url.clone()), None).await.unwrap().status, 200);
    assert_eq!(http.send(get(url.clone()), None).await.unwrap().status, 200);
    assert_eq!(
        server.issued.load(Ordering::SeqCst),
        1,
        "the token was not cached"
    );

    // Revoked server-side: a 401, a new token, one retry.
    *server.valid.lock().unwrap() = "revoked".into();
    assert_eq!(http.send(get(url.clone()), None).await.unwrap().status, 200);
    assert_eq!(server.issued.load(Ordering::SeqCst), 2);
    assert_eq!(server.api_hits.load(Ordering::SeqCst), 4);

    // A 401 that a new token does not cure is returned after exactly one refresh.
    server.reject_all.store(true, Ordering::SeqCst);
    assert_eq!(http.send(get(url.clone()), None).await.unwrap().status, 401);
    assert_eq!(server.issued.load(Ordering::SeqCst), 3);
    assert_eq!(server.api_hits.load(Ordering::SeqCst), 6);
    assert_eq!(http.stats().endpoints["GET /2.0/user"].retries, 2);
}

#[tokio::test]
async fn oauth_token_is_refreshed_before_it_expires() {
    let (base, server) = oauth_server(1).await;
    let http = HttpCapability::new(fast(&base), Some(oauth(&base, "consumer-secret"))).unwrap();
    let url = base.join("/2.0/user").unwrap().to_string();
    http.send(get(url.clone()), None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(http.send(get(url), None).await.unwrap().status, 200);
    assert_eq!(
        server.issued.load(Ordering::SeqCst),
        2,
        "an almost-expired token was reused"
    );
    assert_eq!(
        server.api_hits.load(Ordering::SeqCst),
        2,
        "a request went out with a stale token"
    );
}

#[tokio::test]
async fn oauth_rejection_names_the_problem_but_never_the_secret() {
    let (base, server) = oauth_server(7200).await;
    let secret = "consumer-secret-WRONG";
    let http = HttpCapability::new(fast(&base), Some(oauth(&base, secret))).unwrap();
    let err = http
        .send(get(base.join("/2.0/user").unwrap().as_str()), None)
        .await
        .unwrap_err();
    let HttpError::Denied(message) = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("invalid_client") && message.contains("401"),
        "{message}"
    );
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("consumer-key:{secret}"));
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(
            !shown.contains(secret) && !shown.contains(&encoded),
            "secret leaked: {shown}"
        );
    }
    assert_eq!(server.api_hits.load(Ordering::SeqCst), 0);
    let e = &http.stats().endpoints["GET /2.0/user"];
    assert_eq!(
        (e.requests, e.errors["auth"]),
        (0, 1),
        "a request that was never sent was counted"
    );
}

#[tokio::test]
async fn an_unavailable_token_endpoint_is_retried_like_a_connection_error() {
    let (base, server) = oauth_server(7200).await;
    server.unavailable.store(2, Ordering::SeqCst);
    let http = HttpCapability::new(fast(&base), Some(oauth(&base, "consumer-secret"))).unwrap();
    let resp = http
        .send(get(base.join("/2.0/user").unwrap().as_str()), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(
        (
            server.issued.load(Ordering::SeqCst),
            server.api_hits.load(Ordering::SeqCst)
        ),
        (1, 1)
    );
}

#[test]
fn oauth_token_url_outside_the_allow_list_is_refused_at_setup() {
    let base = Url::parse("http://127.0.0.1:9").unwrap();
    let credential = Credential::OAuthClientCredentials {
        key: "k".into(),
        secret: Secret::new("s3cret"),
        token_url: Url::parse("http://10.0.0.1/site/oauth2/access_token").unwrap(),
    };
    let err = HttpCapability::new(HttpSettings::for_base_url(base), Some(credential)).unwrap_err();
    assert!(
        err.to_string().contains("token URL") && !err.to_string().contains("s3cret"),
        "{err}"
    );
}

// ---- rule 3: size cap ----

#[tokio::test]
async fn announced_oversized_body_is_refused_without_reading_it() {
    let (port, _) = raw_server(Raw::Announce(10 << 20)).await;
    let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let http = HttpCapability::new(
        HttpSettings {
            max_response_bytes: 1 << 20,
            ..fast(&base)
        },
        None,
    )
    .unwrap();
    let started = Instant::now();
    let err = http
        .send(get(base.join("/big").unwrap().as_str()), None)
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::TooLarge(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited for a body it should not read"
    );
}

#[tokio::test]
async fn streamed_body_is_cut_at_the_cap() {
    let (port, _) = raw_server(Raw::Chunked(64)).await; // 64 KiB, chunked, no Content-Length
    let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let url = base.join("/big").unwrap().to_string();
    let small = HttpCapability::new(
        HttpSettings {
            max_response_bytes: 32 * 1024,
            ..fast(&base)
        },
        None,
    )
    .unwrap();
    assert!(matches!(
        small.send(get(url.clone()), None).await,
        Err(HttpError::TooLarge(_))
    ));
    let exact = HttpCapability::new(
        HttpSettings {
            max_response_bytes: 64 * 1024,
            ..fast(&base)
        },
        None,
    )
    .unwrap();
    assert_eq!(
        exact.send(get(url), None).await.unwrap().body.len(),
        64 * 1024
    );
}

// ---- rule 4: timeouts and the guest's deadline ----

#[tokio::test]
async fn per_request_timeout_applies_and_idempotent_requests_are_retried() {
    let (port, accepted) = raw_server(Raw::Hang).await;
    let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let settings = HttpSettings {
        request_timeout: Duration::from_millis(200),
        max_retries: 1,
        ..fast(&base)
    };
    let http = HttpCapability::new(settings, None).unwrap();
    let started = Instant::now();
    let err = http
        .send(get(base.join("/slow").unwrap().as_str()), None)
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Timeout(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_guest_deadline_bounds_requests_and_backoff() {
    let (port, _) = raw_server(Raw::Hang).await;
    let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let http = HttpCapability::new(
        HttpSettings {
            request_timeout: Duration::from_secs(30),
            ..fast(&base)
        },
        None,
    )
    .unwrap();
    let started = Instant::now();
    let err = http
        .send(
            get(base.join("/slow").unwrap().as_str()),
            Some(CallDeadline::after(Duration::from_millis(300))),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Timeout(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // A backoff that would outlast the deadline is not started: the 429 comes back at once.
    let (base, script) = scripted(vec![rate_limited()]).await;
    let settings = HttpSettings {
        backoff_base: Duration::from_secs(5),
        backoff_max: Duration::from_secs(5),
        ..fast(&base)
    };
    let http = HttpCapability::new(settings, None).unwrap();
    let started = Instant::now();
    let resp = http
        .send(
            get(base.join("/2.0/user").unwrap().as_str()),
            Some(CallDeadline::after(Duration::from_secs(1))),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 429);
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(script.hits.load(Ordering::SeqCst), 1);
}

// ---- rule 5: retries ----

#[tokio::test]
async fn bitbucket_429_is_retried_then_succeeds() {
    let (base, script) = scripted(vec![rate_limited(), status(200)]).await;
    let http = HttpCapability::new(fast(&base), None).unwrap();
    let mut req = get(base
        .join("/2.0/workspaces/acme/members?page=2")
        .unwrap()
        .as_str());
    req.endpoint = "GET /2.0/workspaces/{workspace}/members".into();
    let resp = http.send(req, None).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(script.hits.load(Ordering::SeqCst), 2);
    let stats = http.stats();
    let e = &stats.endpoints["GET /2.0/workspaces/{workspace}/members"];
    assert_eq!((e.requests, e.retries), (2, 1));
    assert_eq!(e.statuses.get(&429), Some(&1));
    assert_eq!(e.statuses.get(&200), Some(&1));
    assert!(e.backoff_wait >= Duration::from_millis(10));
    assert!(
        stats
            .render_table()
            .contains("GET /2.0/workspaces/{workspace}/members")
    );
}

#[tokio::test]
async fn service_unavailable_is_retried_then_succeeds() {
    let (base, script) = scripted(vec![status(503), status(200)]).await;
    let http = HttpCapability::new(fast(&base), None).unwrap();
    let resp = http
        .send(get(base.join("/2.0/user?x=1").unwrap().as_str()), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(script.hits.load(Ordering::SeqCst), 2);
    assert_eq!(
        http.stats().endpoints["GET /2.0/user"].retries,
        1,
        "fallback label drops the query"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (base, _) = scripted(vec![
        (
            429,
            vec![("retry-after", "1".into())],
            RATE_LIMIT_BODY.into(),
        ),
        status(200),
    ])
    .await;
    let settings = HttpSettings {
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(2),
        ..fast(&base)
    };
    let http = HttpCapability::new(settings, None).unwrap();
    let started = Instant::now();
    assert_eq!(
        http.send(get(base.join("/2.0/user").unwrap().as_str()), None)
            .await
            .unwrap()
            .status,
        200
    );
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn total_wait_cap_returns_the_last_429_to_the_guest() {
    let (base, script) = scripted(vec![rate_limited()]).await;
    let settings = HttpSettings {
        max_retries: 10,
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_secs(1),
        max_total_wait: Duration::from_millis(300),
        ..fast(&base)
    };
    let http = HttpCapability::new(settings, None).unwrap();
    let resp = http
        .send(get(base.join("/2.0/user").unwrap().as_str()), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 429);
    assert_eq!(resp.body, RATE_LIMIT_BODY.as_bytes());
    assert!(
        resp.headers
            .iter()
            .any(|(n, v)| n == "content-type" && v.starts_with("text/plain"))
    );
    // First wait is exactly the 200 ms base; the second (≥ 200 ms) would pass 300 ms.
    assert_eq!(script.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn attempts_are_capped_by_max_retries() {
    let (base, script) = scripted(vec![status(503)]).await;
    let http = HttpCapability::new(
        HttpSettings {
            max_retries: 2,
            ..fast(&base)
        },
        None,
    )
    .unwrap();
    assert_eq!(
        http.send(get(base.join("/x").unwrap().as_str()), None)
            .await
            .unwrap()
            .status,
        503
    );
    assert_eq!(script.hits.load(Ordering::SeqCst), 3);
    let e = &http.stats().endpoints["GET /x"];
    assert_eq!((e.requests, e.retries, e.statuses[&503]), (3, 2, 3));
}

#[tokio::test]
async fn non_idempotent_methods_retry_only_when_the_server_did_not_act() {
    let (base, script) = scripted(vec![status(502), status(200)]).await;
    let http = HttpCapability::new(fast(&base), None).unwrap();
    let url = base.join("/x").unwrap().to_string();
    let mut post = request(Method::Post, url.clone());
    post.body = Some(b"{}".to_vec());
    assert_eq!(
        http.send(post.clone(), None).await.unwrap().status,
        502,
        "POST retried after a 502"
    );
    assert_eq!(script.hits.load(Ordering::SeqCst), 1);

    let (base, script) = scripted(vec![rate_limited(), status(201)]).await;
    let http = HttpCapability::new(fast(&base), None).unwrap();
    post.url = base.join("/x").unwrap().to_string();
    assert_eq!(http.send(post, None).await.unwrap().status, 201);
    assert_eq!(script.hits.load(Ordering::SeqCst), 2);

    let (base, script) = scripted(vec![status(502), status(504), status(200)]).await;
    let http = HttpCapability::new(fast(&base), None).unwrap();
    assert_eq!(
        http.send(
            request(Method::Put, base.join("/x").unwrap().as_str()),
            None
        )
        .await
        .unwrap()
        .status,
        200
    );
    assert_eq!(script.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn connection_errors_are_retried_for_idempotent_methods_only() {
    let (port, accepted) = raw_server(Raw::CloseAfterRequest).await;
    let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let http = HttpCapability::new(
        HttpSettings {
            max_retries: 2,
            ..fast(&base)
        },
        None,
    )
    .unwrap();
    let url = base.join("/x").unwrap().to_string();
    let err = http.send(get(url.clone()), None).await.unwrap_err();
    assert!(matches!(err, HttpError::Connection(_)), "{err:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    assert_eq!(http.stats().endpoints["GET /x"].errors["connection"], 3);

    let before = accepted.load(Ordering::SeqCst);
    let err = http
        .send(request(Method::Patch, url), None)
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Connection(_)), "{err:?}");
    assert_eq!(
        accepted.load(Ordering::SeqCst) - before,
        1,
        "PATCH was resent after the server may have acted"
    );
}

#[tokio::test]
async fn refused_connections_end_in_a_connection_error_naming_the_host() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let http = HttpCapability::new(
        HttpSettings {
            max_retries: 1,
            ..fast(&base)
        },
        None,
    )
    .unwrap();
    let err = http
        .send(get(base.join("/x?q=1").unwrap().as_str()), None)
        .await
        .unwrap_err();
    let HttpError::Connection(message) = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("127.0.0.1") && message.contains("GET /x"),
        "{message}"
    );
    assert_eq!(
        http.stats().endpoints["GET /x"].requests,
        1,
        "before the API has answered, a refused connection is a wrong address: not retried"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retried_once_the_api_has_answered() {
    // Answers one request, then nothing listens: the API went away during the run.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        drop(listener);
        let mut buf = vec![0u8; 16 * 1024];
        let _ = sock.read(&mut buf).await;
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
    });
    let http = HttpCapability::new(
        HttpSettings {
            max_retries: 2,
            ..fast(&base)
        },
        None,
    )
    .unwrap();
    let url = base.join("/x").unwrap();
    assert_eq!(
        http.send(get(url.as_str()), None).await.unwrap().status,
        200
    );
    let err = http.send(get(url.as_str()), None).await.unwrap_err();
    assert!(matches!(err, HttpError::Connection(_)), "{err:?}");
    let e = &http.stats().endpoints["GET /x"];
    assert_eq!((e.requests, e.retries), (4, 2), "{e:?}");
}

// ---- rule 7: no secrets in Debug output ----

#[tokio::test]
async fn debug_output_never_contains_secrets() {
    let base = Url::parse("http://127.0.0.1:9").unwrap();
    let credentials = [
        basic("me@example.com", "SECRET-basic"),
        Credential::Bearer(Secret::new("SECRET-bearer")),
        oauth(&base, "SECRET-oauth"),
    ];
    for credential in credentials {
        let kind = credential.kind();
        let http = HttpCapability::new(fast(&base), Some(credential.clone())).unwrap();
        for shown in [
            format!("{credential:?}"),
            format!("{http:?}"),
            format!("{:?}", http.clone()),
        ] {
            assert!(!shown.contains("SECRET"), "{kind}: {shown}");
        }
    }
    let secret = Secret::new("SECRET-plain");
    assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
    assert_eq!(secret.expose(), "SECRET-plain");
}

#[tokio::test]
async fn a_full_window_holds_the_next_request_until_the_first_leaves_it() {
    let (base, script) = scripted(vec![status(200), status(200), status(200)]).await;
    // Two requests in any rolling second.
    let window = Duration::from_millis(1000);
    let settings = HttpSettings {
        budget: Some(BudgetSettings {
            limit: 2,
            window,
            adopt_reported: false,
        }),
        ..fast(&base)
    };
    let http = HttpCapability::new(settings, None).unwrap();
    let url = base.join("/2.0/user").unwrap();
    let started = Instant::now();
    for _ in 0..2 {
        assert_eq!(
            http.send(get(url.as_str()), None).await.unwrap().status,
            200
        );
    }
    // Within the budget: not slowed.
    assert!(started.elapsed() < window / 2, "{:?}", started.elapsed());
    // The third waits for the window, then goes, past a deadline the wait postpones.
    let deadline = CallDeadline::after(Duration::from_millis(200));
    assert_eq!(
        http.send(get(url.as_str()), Some(deadline))
            .await
            .unwrap()
            .status,
        200
    );
    assert!(started.elapsed() >= window, "{:?}", started.elapsed());
    assert_eq!(script.hits.load(Ordering::SeqCst), 3);
}
