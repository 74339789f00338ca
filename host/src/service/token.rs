//! Access tokens from ConductorOne's token endpoint: a client assertion exchanged at
//! `https://<api host>/auth/v1/token` (OAuth client credentials, RFC 7523 client
//! authentication), kept until shortly before it expires and then fetched again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use url::Url;

use super::assertion::new_client_assertion;
use super::identity::Identity;
use crate::credentials::{oauth_error_detail, read_limited};
use crate::secrets::Secret;
use crate::transport::{Failure, FailureKind, ProxySettings};

/// The token endpoint's path on the API host.
pub const TOKEN_PATH: &str = "/auth/v1/token";

/// A token is fetched again this long before it expires (as Go's oauth2 does), or after half its
/// life when it lives shorter than twice that.
const REFRESH_MARGIN: Duration = Duration::from_secs(10);

/// The largest token response read.
const MAX_RESPONSE: usize = 64 * 1024;

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// ConductorOne refused the client: a wrong or revoked secret, an unknown client id.
    #[error(
        "ConductorOne refused the client credentials at {url} (HTTP {status}{detail}): the client \
         id or secret is wrong, or the client was deleted or its secret rotated; create or rotate \
         the connector's client in ConductorOne and set BATON_CLIENT_ID and BATON_CLIENT_SECRET \
         to the new values"
    )]
    Rejected {
        /// The token endpoint.
        url: String,
        /// Its HTTP status.
        status: u16,
        /// The OAuth error code, formatted (`: invalid_client`), or nothing.
        detail: String,
    },
    /// The endpoint answered something this client cannot use; retrying will not help.
    #[error(
        "the token endpoint {url} answered {what}; check --c1-api-host (BATON_C1_API_HOST) and any proxy in between"
    )]
    Unusable {
        /// The token endpoint.
        url: String,
        /// What it answered.
        what: String,
    },
    /// The certificate of the endpoint is not trusted.
    #[error(
        "the TLS certificate of {url} is not trusted ({detail}); if a private CA signs it, put \
         the CA's PEM certificate in a file named by SSL_CERT_FILE"
    )]
    Certificate {
        /// The token endpoint.
        url: String,
        /// The TLS library's explanation.
        detail: String,
    },
    /// A failure that may pass: the network, a 5xx, a 429.
    #[error("could not get a token from {url}: {what}; retrying")]
    Transient {
        /// The token endpoint.
        url: String,
        /// What went wrong.
        what: String,
    },
}

impl TokenError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, TokenError::Transient { .. })
    }
}

/// A token and when to stop using it.
#[derive(Clone)]
struct Cached {
    header: Arc<Secret>,
    refresh_at: Instant,
}

/// Hands out `authorization` header values, fetching a token when there is none or the last is
/// about to expire. Cloned handles share the token.
#[derive(Clone)]
pub struct TokenSource {
    identity: Arc<Identity>,
    url: Url,
    http: reqwest::Client,
    proxies: ProxySettings,
    cached: Arc<tokio::sync::Mutex<Option<Cached>>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: zeroize::Zeroizing<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl TokenSource {
    /// A source for `identity` at `https://<api_host>/auth/v1/token`, sending with `http`.
    pub fn new(
        identity: Arc<Identity>,
        api_host: &str,
        http: reqwest::Client,
        proxies: ProxySettings,
    ) -> Result<TokenSource, TokenError> {
        let url = Url::parse(&format!("https://{api_host}{TOKEN_PATH}")).map_err(|e| {
            TokenError::Unusable {
                url: format!("https://{api_host}{TOKEN_PATH}"),
                what: format!("nothing: it is not a URL ({e})"),
            }
        })?;
        Ok(TokenSource {
            identity,
            url,
            http,
            proxies,
            cached: Arc::default(),
        })
    }

    /// The token endpoint.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The `authorization` header value (`Bearer <token>`), fetched if needed.
    pub async fn header(&self) -> Result<Arc<Secret>, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.refresh_at
        {
            return Ok(c.header.clone());
        }
        let fresh = self.fetch().await?;
        let header = fresh.header.clone();
        *cached = Some(fresh);
        Ok(header)
    }

    /// Forgets the token, so the next call fetches one (after ConductorOne refused it).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self) -> Result<Cached, TokenError> {
        let url = self.url.to_string();
        let assertion = Secret::new(new_client_assertion(&self.identity));
        let form = [
            ("client_id", self.identity.client_id.as_str()),
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.expose()),
        ];
        let started = Instant::now();
        let response = match self.http.post(self.url.clone()).form(&form).send().await {
            Ok(response) => response,
            Err(e) => {
                let proxy = self.proxies.proxy_for(&self.url);
                let failure = Failure::of(e, proxy);
                let what = failure.message(&self.url, proxy);
                return Err(if failure.kind == FailureKind::Certificate {
                    TokenError::Certificate { url, detail: what }
                } else {
                    TokenError::Transient { url, what }
                });
            }
        };
        let status = response.status();
        let body =
            read_limited(response, MAX_RESPONSE)
                .await
                .map_err(|what| TokenError::Transient {
                    url: url.clone(),
                    what,
                })?;
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            return Err(TokenError::Transient {
                url,
                what: format!("HTTP {status}"),
            });
        }
        if matches!(status.as_u16(), 400 | 401 | 403) {
            return Err(TokenError::Rejected {
                url,
                status: status.as_u16(),
                detail: oauth_error_detail(&body),
            });
        }
        if !status.is_success() {
            return Err(TokenError::Unusable {
                url,
                what: format!("HTTP {status}"),
            });
        }
        let token: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| TokenError::Unusable {
                url: url.clone(),
                what: format!("a body that is not a token response ({e})"),
            })?;
        if token.access_token.is_empty() {
            return Err(TokenError::Unusable {
                url,
                what: "an empty access_token".into(),
            });
        }
        // Go's oauth2 capitalises `bearer`; ConductorOne expects `Bearer`.
        let scheme = match token.token_type.as_deref() {
            None | Some("") => "Bearer".to_string(),
            Some(t) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_string(),
            Some(t) => t.to_string(),
        };
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600));
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        tracing::debug!(
            expires_in = lifetime.as_secs(),
            "got a ConductorOne access token"
        );
        Ok(Cached {
            header: Arc::new(Secret::new(format!(
                "{scheme} {}",
                token.access_token.as_str()
            ))),
            refresh_at: started + lifetime.saturating_sub(margin),
        })
    }
}
