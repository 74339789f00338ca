//! The HTTP capability the host performs for the guest: allow-listed destinations, host-side
//! credentials, size caps, timeouts, retries with backoff, and per-endpoint counters.

mod allowlist;
mod budget;
mod deadline;
mod method;
mod retry;
pub mod send_log;
mod shared_reads;
mod stats;
mod window;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use tokio::time::Instant;
use url::Url;

pub use allowlist::{AllowList, AllowListError};
pub use budget::{BudgetSettings, BudgetStatus, RequestBudget, minimum_wall, now_ms};
pub use deadline::{CallDeadline, TimedOut};
pub use method::Method;
pub use stats::{EndpointStats, RequestStats};

use crate::credentials::{AuthError, Authenticator, Credential};
use crate::transport::{self, ClientError, Failure, FailureKind, NetworkSettings};
use stats::{StatsRecorder, endpoint_label};

/// Headers the guest may not set: credentials and routing belong to the host.
const DENIED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "cookie2",
    "host",
];

/// Connection-level headers the HTTP client manages; a guest value would corrupt framing.
const HOP_BY_HOP_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Settings of the HTTP capability.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// URLs whose origins the guest may reach (its component's declared origins, resolved).
    pub origins: Vec<Url>,
    /// Largest response body accepted (default 32 MiB).
    pub max_response_bytes: usize,
    /// Time allowed for one attempt, from sending to the end of the body.
    pub request_timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff wait.
    pub backoff_base: Duration,
    /// Longest single backoff wait (a `Retry-After` may ask for more).
    pub backoff_max: Duration,
    /// Longest total backoff waiting for one request before the last response is returned.
    pub max_total_wait: Duration,
    /// The rolling request budget; `None` for none.
    pub budget: Option<BudgetSettings>,
    /// Requests in flight at once, across the capability's users (a sync's instances), and so
    /// also in one `send-all` batch.
    pub max_in_flight: usize,
    /// Share GET responses between the capability's users, up to this many bytes of compressed
    /// bodies (a sync's instances); `None` sends every request.
    pub shared_reads_bytes: Option<usize>,
    /// Proxy and extra trusted roots. The default connects directly and ignores the environment;
    /// the CLI passes [`NetworkSettings::from_env`] (HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE, ...).
    pub network: NetworkSettings,
}

impl HttpSettings {
    /// Defaults for one service at `base_url`: 32 MiB bodies, 60 s per attempt, 8 retries,
    /// 500 ms → 30 s backoff, 10 min total wait.
    pub fn for_base_url(base_url: Url) -> Self {
        Self::for_origins(vec![base_url])
    }

    /// Defaults for a guest that may reach the origins of `origins`.
    pub fn for_origins(origins: Vec<Url>) -> Self {
        Self {
            origins,
            max_response_bytes: 32 << 20,
            request_timeout: Duration::from_secs(60),
            max_retries: 8,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(600),
            budget: None,
            shared_reads_bytes: None,
            max_in_flight: 8,
            network: NetworkSettings::default(),
        }
    }
}

impl Default for HttpSettings {
    /// Nothing reachable: a guest that only declares itself.
    fn default() -> Self {
        Self::for_origins(Vec::new())
    }
}

/// A request from the guest.
#[derive(Clone, Debug)]
pub struct OutboundRequest {
    /// The method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers; credentials, cookies and `Host` are refused.
    pub headers: Vec<(String, String)>,
    /// Body, if any.
    pub body: Option<Vec<u8>>,
    /// The endpoint's template for the counters (may be empty).
    pub endpoint: String,
}

/// A whole response for the guest; any status, including 4xx/5xx, is a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundResponse {
    /// Status code.
    pub status: u16,
    /// Headers (values that are not UTF-8 are converted lossily).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why no response is returned to the guest; mirrors WIT `http-error`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// Refused by the host (destination not allowed, forbidden header, credential problem).
    #[error("request refused: {0}")]
    Denied(String),
    /// Malformed request (bad URL, header name or value).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The server could not be reached: after retries, or at once when retrying cannot help.
    #[error("connection failed: {0}")]
    Connection(String),
    /// No response in the time allowed.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The body exceeded the size cap.
    #[error("response too large: {0}")]
    TooLarge(String),
}

impl HttpError {
    /// The counter key for this error.
    fn kind(&self) -> &'static str {
        match self {
            HttpError::Denied(_) => "denied",
            HttpError::InvalidRequest(_) => "invalid-request",
            HttpError::Connection(_) => "connection",
            HttpError::Timeout(_) => "timeout",
            HttpError::TooLarge(_) => "too-large",
        }
    }
}

/// Why the capability could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    /// A declared origin cannot be allowed.
    #[error("bad service URL {url}: {reason}")]
    BaseUrl {
        /// The URL without user info.
        url: String,
        /// What is wrong with it.
        reason: AllowListError,
    },
    /// The OAuth token URL would send the client secret in clear text or with user info.
    #[error(
        "the OAuth token URL {0} cannot be used: it must be https (plain http only to 127.0.0.1, localhost or [::1]) and carry no user name or password"
    )]
    TokenUrl(String),
    /// The HTTP client could not be built (extra roots, TLS setup).
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// The guest's HTTP capability for one tenant run; cheap to clone (shared state).
#[derive(Clone)]
pub struct HttpCapability {
    inner: Arc<Inner>,
}

struct Inner {
    settings: HttpSettings,
    allow: AllowList,
    client: reqwest::Client,
    auth: Option<Authenticator>,
    stats: StatsRecorder,
    budget: Option<Arc<RequestBudget>>,
    shared: Option<shared_reads::SharedReads>,
    /// Requests in flight at once, across every instance of the run: `max_in_flight`.
    in_flight: tokio::sync::Semaphore,
    /// Whether the API has answered (any status) in this run: from then on, failures to connect
    /// are passing trouble worth retrying rather than a wrong address.
    answered: AtomicBool,
}

impl fmt::Debug for HttpCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpCapability")
            .field("allow", &self.inner.allow.to_string())
            .field("auth", &self.inner.auth.as_ref().map(Authenticator::kind))
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// A request that passed the checks, ready to send (and resend).
struct Prepared {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    label: String,
}

/// Outcome of one attempt that produced no response.
enum AttemptError {
    /// Final: not worth retrying.
    Fatal(HttpError),
    /// Transport failure; `unsent` when no byte of the request reached the server.
    Connection {
        message: String,
        unsent: bool,
        kind: FailureKind,
    },
    /// The attempt ran out of time; `budget` when it was the guest call's deadline.
    Timeout { message: String, budget: bool },
}

impl AttemptError {
    fn into_http(self) -> HttpError {
        match self {
            AttemptError::Fatal(e) => e,
            AttemptError::Connection { message, .. } => HttpError::Connection(message),
            AttemptError::Timeout { message, .. } => HttpError::Timeout(message),
        }
    }
}

impl HttpCapability {
    /// A capability for `settings`, adding `credential` to every request.
    pub fn new(
        settings: HttpSettings,
        credential: Option<Credential>,
    ) -> Result<Self, HttpSetupError> {
        let shown = |url: &Url| {
            let mut shown = url.clone();
            let _ = shown.set_username("");
            let _ = shown.set_password(None);
            shown.to_string()
        };
        let allow = AllowList::for_origins(&settings.origins).map_err(|reason| {
            let url = settings
                .origins
                .iter()
                .find(|u| AllowList::for_base_url(u).is_err())
                .map(shown)
                .unwrap_or_default();
            HttpSetupError::BaseUrl { url, reason }
        })?;
        // The token endpoint is the host's to call, not the guest's: it need not be an allowed
        // origin, but the client secret must not travel in clear text.
        if let Some(Credential::OAuthClientCredentials { token_url, .. }) = &credential
            && AllowList::for_base_url(token_url).is_err()
        {
            return Err(HttpSetupError::TokenUrl(shown(token_url)));
        }
        let client = transport::client(
            &settings.network,
            settings.request_timeout.min(Duration::from_secs(30)),
        )?;
        if !settings.network.proxy.is_direct() {
            tracing::info!(proxy = %settings.network.proxy, "sending requests through the proxy from the environment");
        }
        let auth = credential
            .map(|c| Authenticator::new(c, client.clone(), settings.network.proxy.clone()));
        let budget = settings
            .budget
            .clone()
            .map(|b| Arc::new(RequestBudget::new(b)));
        let shared = settings
            .shared_reads_bytes
            .map(shared_reads::SharedReads::new);
        Ok(Self {
            inner: Arc::new(Inner {
                shared,
                in_flight: tokio::sync::Semaphore::new(settings.max_in_flight.max(1)),
                settings,
                allow,
                client,
                auth,
                budget,
                stats: StatsRecorder::default(),
                answered: AtomicBool::new(false),
            }),
        })
    }

    /// Drops the responses kept for the run's instances to share (the sync makes no more
    /// requests); a later GET is sent again.
    pub fn forget_shared_reads(&self) {
        if let Some(shared) = &self.inner.shared {
            shared.clear();
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &HttpSettings {
        &self.inner.settings
    }

    /// A snapshot of the per-endpoint counters.
    pub fn stats(&self) -> RequestStats {
        self.inner.stats.snapshot()
    }

    /// The request budget its users share, if it has one.
    pub fn budget(&self) -> Option<&Arc<RequestBudget>> {
        self.inner.budget.as_ref()
    }

    /// Sends one request for the guest; `deadline` is the guest call's wall-clock deadline (never
    /// wait past it; time waiting for the request budget postpones it). With shared reads, a GET
    /// already answered in this run is answered again without a request.
    pub async fn send(
        &self,
        req: OutboundRequest,
        deadline: Option<CallDeadline>,
    ) -> Result<InboundResponse, HttpError> {
        let Some(shared) = self
            .inner
            .shared
            .as_ref()
            .filter(|_| req.method == Method::Get)
        else {
            return self.send_now(req, deadline).await;
        };
        let mut headers: Vec<String> = req
            .headers
            .iter()
            .map(|(k, v)| format!("{}: {v}", k.to_ascii_lowercase()))
            .collect();
        headers.sort();
        let key = format!("{}\n{}", req.url, headers.join("\n"));
        shared
            .get_or_send(key, || async move {
                match self.send_now(req, deadline).await {
                    // What a repeat would get again.
                    Ok(resp) if resp.status < 500 && resp.status != 429 => {
                        shared_reads::Outcome::Shared(resp)
                    }
                    other => shared_reads::Outcome::Own(other),
                }
            })
            .await
    }

    /// Sends one request (with its retries).
    async fn send_now(
        &self,
        req: OutboundRequest,
        call: Option<CallDeadline>,
    ) -> Result<InboundResponse, HttpError> {
        let label = endpoint_label(&req.endpoint, req.method, &req.url);
        let prepared = match self.prepare(req, label) {
            Ok(p) => p,
            Err((label, err)) => {
                self.inner.stats.update(&label, |e| {
                    *e.refused.entry(err.kind().into()).or_default() += 1
                });
                return Err(err);
            }
        };
        let settings = &self.inner.settings;
        let mut retries = 0u32;
        let mut waited = Duration::ZERO;
        let mut refreshed_token = false;
        loop {
            // One of the run's request slots first (it is never closed), then one in the budget's
            // window, so that concurrent senders never overshoot; the budget's wait is not the
            // call's.
            let slot = self.inner.in_flight.acquire().await.ok();
            let ticket = match &self.inner.budget {
                Some(budget) => {
                    let (ticket, waited) = budget.acquire().await;
                    if !waited.is_zero() {
                        tracing::debug!(endpoint = %prepared.label, ?waited, "waited for the request budget");
                        if let Some(call) = &call {
                            call.postpone(waited);
                        }
                    }
                    Some(ticket)
                }
                None => None,
            };
            let deadline = call.as_ref().map(CallDeadline::at);
            let (outcome, used_auth) = self.attempt(&prepared, deadline).await;
            drop(slot);
            if let Some(ticket) = ticket {
                match &outcome {
                    Ok(resp) => ticket.answered(resp.status, &resp.headers),
                    Err(_) => ticket.failed(),
                }
            }
            if outcome.is_ok() {
                self.inner.answered.store(true, Ordering::Relaxed);
            }
            self.inner.stats.update(&prepared.label, |e| {
                // A rejected credential stops the attempt before anything is sent.
                if !matches!(outcome, Err(AttemptError::Fatal(HttpError::Denied(_)))) {
                    e.requests += 1;
                }
                match &outcome {
                    Ok(resp) => *e.statuses.entry(resp.status).or_default() += 1,
                    Err(err) => {
                        let kind = match err {
                            AttemptError::Fatal(HttpError::Denied(_)) => "auth",
                            AttemptError::Fatal(e) => e.kind(),
                            AttemptError::Connection { .. } => "connection",
                            AttemptError::Timeout { .. } => "timeout",
                        };
                        *e.errors.entry(kind.into()).or_default() += 1;
                    }
                }
            });

            // An OAuth token can expire or be revoked early: fetch a new one and try once more.
            if let (Ok(resp), Some(auth), Some(used)) = (&outcome, &self.inner.auth, &used_auth)
                && resp.status == 401
                && auth.can_refresh()
                && !refreshed_token
            {
                refreshed_token = true;
                auth.invalidate(used).await;
                tracing::info!(endpoint = %prepared.label, "401 with an OAuth token; fetching a new token and retrying once");
                self.inner.stats.update(&prepared.label, |e| e.retries += 1);
                continue;
            }

            let wait = match &outcome {
                Ok(resp) if retry::retryable_status(resp.status, prepared.method) => {
                    Some(retry_after(resp).unwrap_or_else(|| {
                        retry::backoff(retries, settings.backoff_base, settings.backoff_max)
                    }))
                }
                // A request that never reached the server can be repeated whatever its method;
                // a wrong address or an untrusted certificate is not worth repeating at all.
                Err(AttemptError::Connection { unsent, kind, .. })
                    if kind.worth_retrying(self.inner.answered.load(Ordering::Relaxed))
                        && (*unsent || prepared.method.is_idempotent()) =>
                {
                    Some(retry::backoff(
                        retries,
                        settings.backoff_base,
                        settings.backoff_max,
                    ))
                }
                Err(AttemptError::Timeout { budget: false, .. })
                    if prepared.method.is_idempotent() =>
                {
                    Some(retry::backoff(
                        retries,
                        settings.backoff_base,
                        settings.backoff_max,
                    ))
                }
                _ => None,
            };
            let Some(wait) = wait else {
                return outcome.map_err(AttemptError::into_http);
            };
            let why = match &outcome {
                Ok(resp) => format!("HTTP {}", resp.status),
                Err(AttemptError::Timeout { .. }) => "timeout".to_string(),
                Err(_) => "connection error".to_string(),
            };
            if retries >= settings.max_retries {
                tracing::warn!(endpoint = %prepared.label, retries, last = %why, "giving up after the last retry");
                return outcome.map_err(AttemptError::into_http);
            }
            if waited + wait > settings.max_total_wait {
                tracing::warn!(endpoint = %prepared.label, waited = ?waited, next_wait = ?wait, last = %why,
                    "giving up: the next wait would exceed the total backoff limit");
                return outcome.map_err(AttemptError::into_http);
            }
            if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                tracing::warn!(endpoint = %prepared.label, next_wait = ?wait, last = %why,
                    "giving up: the next wait would outlast the guest call's time budget");
                return outcome.map_err(AttemptError::into_http);
            }
            tracing::info!(endpoint = %prepared.label, wait = ?wait, retry = retries + 1, last = %why, "retrying after backoff");
            tokio::time::sleep(wait).await;
            retries += 1;
            waited += wait;
            self.inner.stats.update(&prepared.label, |e| {
                e.retries += 1;
                e.backoff_wait += wait;
            });
        }
    }

    /// Checks the destination and headers; nothing is sent for a refused request.
    fn prepare(
        &self,
        req: OutboundRequest,
        label: String,
    ) -> Result<Prepared, (String, HttpError)> {
        let url = match self.inner.allow.check(&req.url) {
            Ok(url) => url,
            Err(allowlist::Refusal::Invalid(m)) => {
                return Err((label, HttpError::InvalidRequest(m)));
            }
            Err(allowlist::Refusal::Denied { host, message }) => {
                tracing::warn!(host = %host, endpoint = %label, "refused a guest request to a host outside the allow-list");
                return Err((label, HttpError::Denied(message)));
            }
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &req.headers {
            let lower = name.trim().to_ascii_lowercase();
            if DENIED_HEADERS.contains(&lower.as_str()) {
                tracing::warn!(header = %lower, endpoint = %label, "refused a guest request setting a reserved header");
                return Err((
                    label,
                    HttpError::Denied(format!(
                        "header `{name}` may not be set by the plugin: the host adds credentials and routing itself; remove it"
                    )),
                ));
            }
            if HOP_BY_HOP_HEADERS.contains(&lower.as_str()) {
                return Err((
                    label,
                    HttpError::InvalidRequest(format!(
                        "header `{name}` is managed by the HTTP client; remove it from the request"
                    )),
                ));
            }
            // The client computes it from the body; a guest value could only disagree.
            if lower == "content-length" {
                continue;
            }
            let name = HeaderName::from_bytes(lower.as_bytes()).map_err(|_| {
                (
                    label.clone(),
                    HttpError::InvalidRequest(format!("`{name}` is not a valid header name")),
                )
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                (
                    label.clone(),
                    HttpError::InvalidRequest(format!(
                        "the value of header `{name}` contains characters not allowed in HTTP (control characters or newlines)"
                    )),
                )
            })?;
            headers.append(name, value);
        }
        // Some APIs answer 411 to a body-less PUT without Content-Length; an empty body sends `Content-Length: 0`.
        let body = match (req.body, req.method) {
            (None, Method::Put | Method::Post | Method::Patch) => Some(Vec::new()),
            (body, _) => body,
        };
        Ok(Prepared {
            method: req.method,
            url,
            headers,
            body,
            label,
        })
    }

    /// One attempt: credentials, send, read the capped body, all within the per-attempt timeout
    /// and the guest's deadline. Also returns the `Authorization` value used, for a 401 refresh.
    async fn attempt(
        &self,
        p: &Prepared,
        deadline: Option<Instant>,
    ) -> (Result<InboundResponse, AttemptError>, Option<HeaderValue>) {
        let settings = &self.inner.settings;
        let now = Instant::now();
        let own_limit = now + settings.request_timeout;
        let (limit, budget) = match deadline {
            Some(d) if d <= own_limit => (d, true),
            _ => (own_limit, false),
        };
        let timeout_error = |budget: bool| {
            let message = if budget {
                format!(
                    "{} {}: the plugin call's time budget ran out before a response arrived",
                    p.method,
                    p.url.path()
                )
            } else {
                format!(
                    "{} {}: no complete response within {:?} (per-request timeout); the server is slow or unreachable",
                    p.method,
                    p.url.path(),
                    settings.request_timeout
                )
            };
            AttemptError::Timeout { message, budget }
        };
        if limit <= now {
            return (Err(timeout_error(budget)), None);
        }
        let mut used_auth = None;
        let work = async {
            let mut builder = self
                .inner
                .client
                .request(p.method.to_reqwest(), p.url.clone())
                .headers(p.headers.clone());
            if let Some(auth) = &self.inner.auth {
                let header = auth.header().await.map_err(auth_error)?;
                used_auth = Some(header.clone());
                builder = builder.header(reqwest::header::AUTHORIZATION, header);
            }
            if let Some(body) = &p.body {
                builder = builder.body(body.clone());
            }
            let response = builder
                .send()
                .await
                .map_err(|e| self.connection_error(p, e))?;
            self.read_response(p, response).await
        };
        let outcome = match tokio::time::timeout_at(limit, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(timeout_error(budget)),
        };
        (outcome, used_auth)
    }

    /// A transport error of an attempt, classified, with a message naming the cause and what to check.
    fn connection_error(&self, p: &Prepared, err: reqwest::Error) -> AttemptError {
        let unsent = err.is_connect();
        let timed_out = err.is_timeout();
        let proxy = self.inner.settings.network.proxy.proxy_for(&p.url);
        let failure = Failure::of(err, proxy);
        let message = format!(
            "{} {}: {}",
            p.method,
            p.url.path(),
            failure.message(&p.url, proxy)
        );
        if timed_out {
            return AttemptError::Timeout {
                message,
                budget: false,
            };
        }
        AttemptError::Connection {
            message,
            unsent,
            kind: failure.kind,
        }
    }

    /// Reads status, headers and the body, stopping as soon as the body passes the cap.
    async fn read_response(
        &self,
        p: &Prepared,
        mut response: reqwest::Response,
    ) -> Result<InboundResponse, AttemptError> {
        let max = self.inner.settings.max_response_bytes;
        let too_large = || {
            AttemptError::Fatal(HttpError::TooLarge(format!(
                "{} {}: the response body is larger than the host's {max}-byte limit; request smaller pages or raise the limit",
                p.method,
                p.url.path()
            )))
        };
        // HEAD responses announce the size of a body they do not carry.
        if p.method != Method::Head
            && response
                .content_length()
                .is_some_and(|len| len > max as u64)
        {
            return Err(too_large());
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let hint = response
            .content_length()
            .unwrap_or(0)
            .min(max as u64)
            .min(1 << 20);
        let mut body = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.connection_error(p, e))?
        {
            if body.len() + chunk.len() > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(InboundResponse {
            status,
            headers,
            body,
        })
    }
}

/// The `Retry-After` wait of a response, if it has a valid one.
fn retry_after(resp: &InboundResponse) -> Option<Duration> {
    let (_, value) = resp
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(RETRY_AFTER.as_str()))?;
    retry::parse_retry_after(value, SystemTime::now())
}

/// Credential failures reach the guest as `denied` (a bad credential is not worth retrying) or
/// `connection` (the token endpoint was unreachable or overloaded; retried like one).
fn auth_error(err: AuthError) -> AttemptError {
    // Debug only: the plugin gets the error and reports it, and retries are logged; once is enough.
    tracing::debug!(error = %err, "could not produce the Authorization header");
    match err {
        AuthError::TokenUnreachable { kind, .. } => AttemptError::Connection {
            message: err.to_string(),
            unsent: true,
            kind,
        },
        AuthError::TokenUnavailable { .. } => AttemptError::Connection {
            message: err.to_string(),
            unsent: true,
            kind: FailureKind::Other,
        },
        _ => AttemptError::Fatal(HttpError::Denied(err.to_string())),
    }
}
