//! Credentials of a service and the [`Authenticator`] that turns them into `Authorization`
//! headers, including OAuth 2.0 client-credentials tokens fetched, cached and refreshed host-side.

use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::secrets::Secret;
use crate::transport::{Failure, FailureKind, ProxySettings, error_chain};

/// Largest token-endpoint response read; real ones are a few hundred bytes.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// Longest time a token is refreshed ahead of its expiry.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A credential for a service's API. `Debug` never prints the secret parts.
#[derive(Clone, Debug)]
pub enum Credential {
    /// `Authorization: Basic base64(username:password)` (API token with the account e-mail, or a
    /// legacy app password).
    Basic {
        /// The user name (for some services an account e-mail).
        username: String,
        /// The password or API token.
        password: Secret,
    },
    /// `Authorization: Bearer <token>` (an access token or API key).
    Bearer(Secret),
    /// An OAuth consumer using the client-credentials grant; the host fetches bearer tokens.
    OAuthClientCredentials {
        /// The consumer's key (client id).
        key: String,
        /// The consumer's secret.
        secret: Secret,
        /// The token endpoint.
        token_url: Url,
    },
}

impl Credential {
    /// The credential's kind as passed to the guest in config `auth-kind`: "basic", "bearer" or "oauth".
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Basic { .. } => "basic",
            Credential::Bearer(_) => "bearer",
            Credential::OAuthClientCredentials { .. } => "oauth",
        }
    }
}

/// Why no `Authorization` header could be produced. Messages never contain the secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token endpoint answered with an error status (usually a wrong key or secret).
    #[error(
        "the OAuth token endpoint {url} refused the client credentials with HTTP {status}{detail}; check the consumer key and secret and that the consumer is private (client credentials need a private consumer)"
    )]
    TokenRejected {
        /// The token endpoint.
        url: String,
        /// The HTTP status it answered.
        status: u16,
        /// The OAuth error code and description, if any, with the secret scrubbed.
        detail: String,
    },
    /// The token endpoint is rate limiting or failing (429, 5xx); worth retrying later.
    #[error(
        "the OAuth token endpoint {url} is unavailable (HTTP {status}); retry later or check the service's status page"
    )]
    TokenUnavailable {
        /// The token endpoint.
        url: String,
        /// The HTTP status it answered.
        status: u16,
    },
    /// The token endpoint could not be reached.
    #[error("cannot reach the OAuth token endpoint {url}: {reason}")]
    TokenUnreachable {
        /// The token endpoint.
        url: String,
        /// The connection error and what to check.
        reason: String,
        /// What kind of failure it was, for the retry decision.
        kind: FailureKind,
    },
    /// The token endpoint's answer was not a usable token.
    #[error(
        "the OAuth token endpoint {url} sent an unusable answer: {reason}; check the OAuth token URL"
    )]
    TokenMalformed {
        /// The token endpoint.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A credential contains characters that cannot go into an HTTP header.
    #[error(
        "the {kind} credential contains characters not allowed in an HTTP header (control characters or newlines); re-create it"
    )]
    InvalidHeader {
        /// The credential's kind.
        kind: &'static str,
    },
}

/// An access token and when to stop using it.
struct CachedToken {
    header: Secret,
    refresh_at: Option<Instant>,
}

/// Produces `Authorization` header values for one credential; shared by all requests of a run.
pub struct Authenticator {
    credential: Credential,
    client: reqwest::Client,
    /// The client's proxy, to name in connection errors.
    proxy: ProxySettings,
    /// Precomputed header for Basic and Bearer credentials.
    fixed: Option<Secret>,
    /// The current OAuth token. An async mutex so that concurrent requests wait for one refresh
    /// instead of each fetching a token.
    token: Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator for `credential`, fetching OAuth tokens with `client` (which sends
    /// through `proxy`).
    pub fn new(credential: Credential, client: reqwest::Client, proxy: ProxySettings) -> Self {
        let fixed = match &credential {
            Credential::Basic { username, password } => {
                // Held in a `Secret` so the plain `user:password` is wiped when it goes out of scope.
                let pair = Secret::new(format!("{username}:{}", password.expose()));
                Some(Secret::new(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair.expose())
                )))
            }
            Credential::Bearer(token) => Some(Secret::new(format!("Bearer {}", token.expose()))),
            Credential::OAuthClientCredentials { .. } => None,
        };
        Self {
            credential,
            client,
            proxy,
            fixed,
            token: Mutex::new(None),
        }
    }

    /// The credential's kind ("basic", "bearer", "oauth").
    pub fn kind(&self) -> &'static str {
        self.credential.kind()
    }

    /// Whether a 401 can be cured by fetching a new token (OAuth only).
    pub fn can_refresh(&self) -> bool {
        matches!(self.credential, Credential::OAuthClientCredentials { .. })
    }

    /// The OAuth token endpoint, if this is an OAuth credential.
    pub fn token_url(&self) -> Option<&Url> {
        match &self.credential {
            Credential::OAuthClientCredentials { token_url, .. } => Some(token_url),
            _ => None,
        }
    }

    /// The `Authorization` header for the next request, marked sensitive; fetches an OAuth token
    /// when none is cached or the cached one is about to expire.
    pub async fn header(&self) -> Result<HeaderValue, AuthError> {
        let value = match &self.fixed {
            Some(fixed) => fixed.clone(),
            None => self.oauth_header().await?,
        };
        let mut header = HeaderValue::from_str(value.expose())
            .map_err(|_| AuthError::InvalidHeader { kind: self.kind() })?;
        // Keeps the value out of hyper's and reqwest's Debug output.
        header.set_sensitive(true);
        Ok(header)
    }

    /// Drops the cached OAuth token after the API answered 401 to `rejected`, so the next
    /// [`Authenticator::header`] fetches a new one. A token already replaced by a concurrent
    /// request is kept.
    pub async fn invalidate(&self, rejected: &HeaderValue) {
        let mut cached = self.token.lock().await;
        if cached
            .as_ref()
            .is_some_and(|t| t.header.expose().as_bytes() == rejected.as_bytes())
        {
            *cached = None;
        }
    }

    async fn oauth_header(&self) -> Result<Secret, AuthError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref()
            && token.refresh_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(token.header.clone());
        }
        let token = self.fetch_token().await?;
        let header = token.header.clone();
        *cached = Some(token);
        Ok(header)
    }

    async fn fetch_token(&self) -> Result<CachedToken, AuthError> {
        let Credential::OAuthClientCredentials {
            key,
            secret,
            token_url,
        } = &self.credential
        else {
            unreachable!("fetch_token is only called for OAuth credentials");
        };
        let url = token_url.to_string();
        let started = Instant::now();
        let mut basic = HeaderValue::from_str(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{key}:{}", secret.expose()))
        ))
        .map_err(|_| AuthError::InvalidHeader { kind: "oauth" })?;
        basic.set_sensitive(true);
        let response = self
            .client
            .post(token_url.clone())
            .header(AUTHORIZATION, basic)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| {
                let proxy = self.proxy.proxy_for(token_url);
                let failure = Failure::of(e, proxy);
                AuthError::TokenUnreachable {
                    url: url.clone(),
                    reason: failure.message(token_url, proxy),
                    kind: failure.kind,
                }
            })?;
        let status = response.status().as_u16();
        let body = read_limited(response, MAX_TOKEN_RESPONSE_BYTES)
            .await
            .map_err(|reason| AuthError::TokenUnreachable {
                url: url.clone(),
                reason,
                kind: FailureKind::Other,
            })?;
        let scrub = |text: &str| scrub_secret(text, secret.expose());
        if status == 429 || status >= 500 {
            return Err(AuthError::TokenUnavailable { url, status });
        }
        if !(200..300).contains(&status) {
            return Err(AuthError::TokenRejected {
                url,
                status,
                detail: scrub(&oauth_error_detail(&body)),
            });
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| AuthError::TokenMalformed {
            url: url.clone(),
            // serde's message can quote values from the body (tokens), so only say where it broke.
            reason: format!(
                "not a JSON token response with access_token and expires_in (line {}, column {})",
                e.line(),
                e.column()
            ),
        })?;
        if parsed.access_token.is_empty() {
            return Err(AuthError::TokenMalformed {
                url,
                reason: "empty access_token".into(),
            });
        }
        if let Some(kind) = &parsed.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(AuthError::TokenMalformed {
                url,
                reason: format!("token_type {kind:?}, expected bearer"),
            });
        }
        // Refresh ahead of expiry so a request never carries a token that dies in flight: up to a
        // minute early, and at half-life for short-lived tokens.
        let refresh_at = parsed.expires_in.map(|secs| {
            let lifetime = Duration::from_secs(secs);
            started + lifetime - (lifetime / 2).min(MAX_REFRESH_MARGIN)
        });
        tracing::debug!(token_url = %url, expires_in = ?parsed.expires_in, "fetched an OAuth access token");
        Ok(CachedToken {
            header: Secret::new(format!("Bearer {}", parsed.access_token.expose())),
            refresh_at,
        })
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    #[serde(deserialize_with = "secret_string")]
    access_token: Secret,
    expires_in: Option<u64>,
    token_type: Option<String>,
}

fn secret_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    <String as serde::Deserialize>::deserialize(d).map(Secret::new)
}

/// The OAuth `error` code (RFC 6749 §5.2, e.g. `invalid_client`) from an error body, formatted
/// for a message. `error_description` is left out: a server may echo the credentials in it.
pub(crate) fn oauth_error_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct OAuthError {
        error: Option<String>,
    }
    match serde_json::from_slice::<OAuthError>(body) {
        Ok(OAuthError { error: Some(code) })
            if !code.is_empty()
                && code.len() <= 64
                && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
        {
            format!(" ({code})")
        }
        _ => String::new(),
    }
}

/// Replaces any occurrence of the secret in text bound for an error message.
fn scrub_secret(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, crate::secrets::REDACTED)
    }
}

/// Reads a response body up to `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| error_chain(&e.without_url()))?
    {
        if body.len() + chunk.len() > limit {
            return Err(format!("response larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
