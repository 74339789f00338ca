//! The HTTP side: a small `Transport` trait (the host's `http.send` + `log`, or a test double),
//! URL building with proper percent-encoding, and one generic JSON GET that follows Bitbucket's
//! paged envelopes. Every failure becomes a `ConnectorError` naming the endpoint.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::errors::{AuthKind, ConnectorError, malformed, status_error};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The endpoint's template, for example `GET /2.0/repositories/{workspace}`.
    pub endpoint: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Mirrors WIT `http-error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    Denied(String),
    InvalidRequest(String),
    Connection(String),
    Timeout(String),
    TooLarge(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
}

/// What the connector needs from its environment.
pub trait Transport {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, HttpError>;
    fn log(&self, level: LogLevel, message: &str);
}

/// Percent-encodes one path segment: everything but RFC 3986 unreserved characters
/// (so `{` → `%7B`, `}` → `%7D`, `/` → `%2F`, space → `%20`).
pub fn encode_segment(s: &str) -> String {
    encode(s, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
    })
}

/// Percent-encodes a query value; `,` stays readable, `+` becomes `%2B`.
pub fn encode_query(s: &str) -> String {
    encode(s, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b',' | b'*')
    })
}

fn encode(s: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The host part of a URL, for error messages.
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// One page of a 2.0 collection.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    #[serde(default = "Vec::new")]
    pub values: Vec<T>,
    #[serde(default)]
    pub next: Option<String>,
}

pub struct Client<T: Transport> {
    pub transport: T,
    base: String,
    pub auth: AuthKind,
}

impl<T: Transport> Client<T> {
    pub fn new(transport: T, base_url: &str, auth: AuthKind) -> Result<Self, ConnectorError> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        let base = if base.is_empty() {
            "https://api.bitbucket.org".to_string()
        } else {
            base
        };
        let base = base
            .strip_suffix("/2.0")
            .map(str::to_string)
            .unwrap_or(base);
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ConnectorError::InvalidArgument(format!(
                "base-url '{base_url}' must be an absolute http(s) URL such as https://api.bitbucket.org"
            )));
        }
        Ok(Client {
            transport,
            base,
            auth,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `{base}/{segments joined, each encoded}?{query}`. Segments are raw values (uuids with
    /// braces, slugs, keys); `version` is `2.0` or `1.0`.
    pub fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> String {
        let mut url = self.base.clone();
        for (i, s) in segments.iter().enumerate() {
            url.push('/');
            if i == 0 {
                url.push_str(s); // the API version, literal
            } else {
                url.push_str(&encode_segment(s));
            }
        }
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.push_str(&encode_query(v));
        }
        url
    }

    /// Resolves a `next` link (absolute, or relative to the base) onto the configured API host.
    /// An absolute link naming another spelling of the host (`localhost` for `127.0.0.1`, `http`
    /// behind a TLS proxy) keeps its path and query but goes to the configured base, so paging
    /// never leaves it and never fails on how a server spells its own name.
    pub fn resolve_next(&self, next: &str, endpoint: &str) -> Result<String, ConnectorError> {
        let path = if next.starts_with('/') {
            next
        } else if let Some(rest) = next
            .strip_prefix("https://")
            .or_else(|| next.strip_prefix("http://"))
        {
            rest.find('/').map(|i| &rest[i..]).unwrap_or("")
        } else {
            ""
        };
        if path.starts_with("/2.0/") || path.starts_with("/1.0/") {
            Ok(format!("{}{path}", self.base))
        } else {
            Err(ConnectorError::Internal(format!(
                "{endpoint} returned a next page link that is not an API page of {}: {next}",
                self.base
            )))
        }
    }

    /// Sends a request; transport failures become errors, any status is returned.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        endpoint: &str,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, ConnectorError> {
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if body.is_some() {
            headers.push(("Content-Type".to_string(), "application/json".to_string()));
        }
        let req = HttpRequest {
            method,
            url: url.to_string(),
            headers,
            body,
            endpoint: endpoint.to_string(),
        };
        self.transport
            .log(LogLevel::Debug, &format!("{} {url}", method.as_str()));
        self.transport.send(&req).map_err(|e| {
            let host = url_host(url);
            match e {
                // The host's message names the request, the cause and what to check.
                HttpError::Connection(m) => {
                    ConnectorError::Unavailable(format!("could not reach {host}: {m}"))
                }
                HttpError::Timeout(m) => ConnectorError::Unavailable(format!(
                    "{host} did not answer {endpoint} in time: {m}; retry later, or raise --http-timeout-seconds"
                )),
                HttpError::Denied(m) => ConnectorError::InvalidArgument(format!(
                    "the host refused to send {endpoint} to {host}: {m}; check base-url"
                )),
                HttpError::InvalidRequest(m) => {
                    ConnectorError::Internal(format!("{endpoint}: invalid request to {host}: {m}"))
                }
                HttpError::TooLarge(m) => ConnectorError::Unavailable(format!(
                    "the answer of {host} to {endpoint} exceeded the host's size limit: {m}"
                )),
            }
        })
    }

    /// Sends and maps non-2xx statuses to errors.
    pub fn send_ok(
        &self,
        method: Method,
        url: &str,
        endpoint: &str,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, ConnectorError> {
        let resp = self.send(method, url, endpoint, body)?;
        if (200..300).contains(&resp.status) {
            Ok(resp)
        } else {
            Err(status_error(resp.status, endpoint, &resp.body, self.auth))
        }
    }

    /// GET and decode a JSON body.
    pub fn get<D: DeserializeOwned>(&self, url: &str, endpoint: &str) -> Result<D, ConnectorError> {
        let resp = self.send_ok(Method::Get, url, endpoint, None)?;
        parse(&resp.body, endpoint)
    }

    /// GET one page of a 2.0 collection; `next` is resolved and checked.
    pub fn get_page<D: DeserializeOwned>(
        &self,
        url: &str,
        endpoint: &str,
    ) -> Result<(Vec<D>, Option<String>), ConnectorError> {
        let env: Envelope<D> = self.get(url, endpoint)?;
        let next = match env.next.as_deref().filter(|n| !n.is_empty()) {
            Some(n) => {
                let n = self.resolve_next(n, endpoint)?;
                if n == url {
                    return Err(ConnectorError::Internal(format!(
                        "{endpoint} returned a next page link equal to the page itself: {n}"
                    )));
                }
                Some(n)
            }
            None => None,
        };
        Ok((env.values, next))
    }

    /// GET every page of a 2.0 collection, following `next`.
    pub fn get_all<D: DeserializeOwned>(
        &self,
        url: &str,
        endpoint: &str,
    ) -> Result<Vec<D>, ConnectorError> {
        let mut all = Vec::new();
        let mut url = url.to_string();
        loop {
            let (values, next) = self.get_page(&url, endpoint)?;
            all.extend(values);
            match next {
                Some(n) => url = n,
                None => return Ok(all),
            }
        }
    }

    /// PUT a JSON body; the answer's body is ignored beyond its status.
    pub fn put_json(
        &self,
        url: &str,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> Result<(), ConnectorError> {
        self.send_ok(
            Method::Put,
            url,
            endpoint,
            Some(body.to_string().into_bytes()),
        )
        .map(|_| ())
    }

    pub fn delete(&self, url: &str, endpoint: &str) -> Result<(), ConnectorError> {
        self.send_ok(Method::Delete, url, endpoint, None)
            .map(|_| ())
    }
}

/// Decodes a JSON body into `D`, or `internal("<endpoint> returned malformed JSON: …")`.
pub fn parse<D: DeserializeOwned>(body: &[u8], endpoint: &str) -> Result<D, ConnectorError> {
    serde_json::from_slice(body).map_err(|e| malformed(endpoint, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    impl Transport for Nothing {
        fn send(&self, _: &HttpRequest) -> Result<HttpResponse, HttpError> {
            Err(HttpError::Connection("refused".into()))
        }
        fn log(&self, _: LogLevel, _: &str) {}
    }

    fn client() -> Client<Nothing> {
        Client::new(Nothing, "http://127.0.0.1:8080/", AuthKind::Basic).unwrap()
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("{abc-1}"), "%7Babc-1%7D");
        assert_eq!(encode_segment("my group/x"), "my%20group%2Fx");
        assert_eq!(encode_segment("KEY_1"), "KEY_1");
        assert_eq!(
            encode_query("-values.links,+values.user.account_status"),
            "-values.links,%2Bvalues.user.account_status"
        );
    }

    #[test]
    fn urls_are_built() {
        let c = client();
        assert_eq!(
            c.url(
                &["2.0", "workspaces", "{ws}", "projects"],
                &[("pagelen", "100")]
            ),
            "http://127.0.0.1:8080/2.0/workspaces/%7Bws%7D/projects?pagelen=100"
        );
        assert_eq!(
            c.url(&["1.0", "groups", "acme"], &[]),
            "http://127.0.0.1:8080/1.0/groups/acme"
        );
        let c2 = Client::new(Nothing, "https://api.bitbucket.org/2.0", AuthKind::Basic).unwrap();
        assert_eq!(c2.base(), "https://api.bitbucket.org");
        assert!(Client::new(Nothing, "api.bitbucket.org", AuthKind::Basic).is_err());
    }

    #[test]
    fn next_links_stay_on_host() {
        let c = client();
        assert_eq!(
            c.resolve_next("/2.0/x?page=2", "GET x").unwrap(),
            "http://127.0.0.1:8080/2.0/x?page=2"
        );
        assert!(
            c.resolve_next("http://127.0.0.1:8080/2.0/x?page=2", "GET x")
                .is_ok()
        );
        // Another host's link is followed on the configured host, never elsewhere.
        assert_eq!(
            c.resolve_next("https://evil.example/2.0/x?page=3", "GET x")
                .unwrap(),
            "http://127.0.0.1:8080/2.0/x?page=3"
        );
        assert_eq!(
            c.resolve_next("http://localhost:8080/1.0/groups/acme", "GET x")
                .unwrap(),
            "http://127.0.0.1:8080/1.0/groups/acme"
        );
        assert!(
            c.resolve_next("https://evil.example/steal", "GET x")
                .is_err()
        );
        assert!(c.resolve_next("page=2", "GET x").is_err());
        assert_eq!(
            url_host("https://api.bitbucket.org/2.0/x"),
            "api.bitbucket.org"
        );
    }

    #[test]
    fn connection_errors_name_the_host() {
        let e =
            client().get::<serde_json::Value>("http://127.0.0.1:8080/2.0/user", "GET /2.0/user");
        assert!(matches!(e, Err(ConnectorError::Unavailable(m)) if m.contains("127.0.0.1:8080")));
    }

    #[test]
    fn malformed_json_names_the_endpoint() {
        let e = parse::<Envelope<serde_json::Value>>(
            b"{not json",
            "GET /2.0/workspaces/{workspace}/projects",
        );
        assert!(
            matches!(e, Err(ConnectorError::Internal(m)) if m.starts_with("GET /2.0/workspaces/{workspace}/projects returned malformed JSON"))
        );
    }
}
