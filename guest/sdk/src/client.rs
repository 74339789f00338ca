//! The generic JSON HTTP client: URLs built from percent-encoded path segments, one GET that
//! decodes JSON, paged GETs that follow `next` links without ever leaving the configured base
//! URL, PUT and DELETE, and every failure mapped to an error naming the endpoint.

use std::rc::Rc;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::ConnectorError;
use crate::service::Service;
use crate::status::{malformed, status_error};
use crate::transport::{HttpError, HttpRequest, HttpResponse, LogLevel, Method, Transport};
use crate::url::{encode_query, encode_segment, path_and_query, url_host};

/// One page of a paged collection: `{"values": [...], "next": "<absolute or root-relative URL>"}`.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub values: Vec<T>,
    /// The next page's URL; absent or empty on the last page.
    #[serde(default)]
    pub next: Option<String>,
}

/// An HTTP client for one API, sending through the component's transport.
pub struct Client {
    transport: Rc<dyn Transport>,
    base: String,
    service: Box<dyn Service>,
}

impl Client {
    /// A client for the API at `base_url` (trimmed, without trailing `/`, then `Service::api_root`).
    pub fn new(
        transport: Rc<dyn Transport>,
        base_url: &str,
        service: impl Service + 'static,
    ) -> Result<Client, ConnectorError> {
        let base = service.api_root(base_url.trim().trim_end_matches('/'));
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ConnectorError::InvalidArgument(format!(
                "{} '{base_url}' must be an absolute http(s) URL such as {}",
                service.url_field(),
                service.url_example()
            )));
        }
        Ok(Client {
            transport,
            base,
            service: Box::new(service),
        })
    }

    /// The API's base URL, without trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The transport requests go through.
    pub fn transport(&self) -> &dyn Transport {
        self.transport.as_ref()
    }

    /// Writes one line to the host's log.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.transport.log(level, message);
    }

    /// `{base}/{segments, each percent-encoded}?{query, values percent-encoded}`. Segments are
    /// raw values (ids with braces, slugs, keys).
    pub fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> String {
        let mut url = self.base.clone();
        for s in segments {
            url.push('/');
            url.push_str(&encode_segment(s));
        }
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.push_str(&encode_query(v));
        }
        url
    }

    /// Resolves a `next` link (absolute, or relative to the root) onto the configured base URL:
    /// its path and query are kept, its scheme and host are not, so paging never leaves the base
    /// URL and never fails on how a server spells its own name (`localhost` for `127.0.0.1`,
    /// `http` behind a TLS proxy). The path goes after the base URL, without repeating the base
    /// URL's own path if the link already starts with it. A link that is not a page of the API
    /// is refused.
    pub fn resolve_next(&self, next: &str, endpoint: &str) -> Result<String, ConnectorError> {
        let path = path_and_query(next).unwrap_or("");
        let below_base = strip_base_path(path, url_path(&self.base));
        if self.service.is_page_path(below_base) {
            Ok(format!("{}{below_base}", self.base))
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
        let req = self.request(method, url, endpoint, body);
        self.transport
            .send(&req)
            .map_err(|e| self.transport_error(e, url, endpoint))
    }

    fn request(
        &self,
        method: Method,
        url: &str,
        endpoint: &str,
        body: Option<Vec<u8>>,
    ) -> HttpRequest {
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if body.is_some() {
            headers.push(("Content-Type".to_string(), "application/json".to_string()));
        }
        self.transport
            .log(LogLevel::Debug, &format!("{} {url}", method.as_str()));
        HttpRequest {
            method,
            url: url.to_string(),
            headers,
            body,
            endpoint: endpoint.to_string(),
        }
    }

    /// GETs independent URLs at once (the host sends them concurrently) and decodes each JSON
    /// body; one result per URL, in order, non-2xx statuses as errors.
    pub fn get_each<D: DeserializeOwned>(
        &self,
        urls: &[String],
        endpoint: &str,
    ) -> Vec<Result<D, ConnectorError>> {
        let reqs: Vec<HttpRequest> = urls
            .iter()
            .map(|u| self.request(Method::Get, u, endpoint, None))
            .collect();
        self.transport
            .send_all(&reqs)
            .into_iter()
            .zip(urls)
            .map(|(result, url)| {
                let resp = result.map_err(|e| self.transport_error(e, url, endpoint))?;
                if !(200..300).contains(&resp.status) {
                    return Err(status_error(
                        resp.status,
                        endpoint,
                        &resp.body,
                        self.service.as_ref(),
                    ));
                }
                parse(&resp.body, endpoint)
            })
            .collect()
    }

    fn transport_error(&self, e: HttpError, url: &str, endpoint: &str) -> ConnectorError {
        let host = url_host(url);
        let field = self.service.url_field();
        match e {
            // The host's message names the request, the cause and what to check.
            HttpError::Connection(m) => {
                ConnectorError::Unavailable(format!("could not reach {host}: {m}"))
            }
            HttpError::Timeout(m) => ConnectorError::Unavailable(format!(
                "{host} did not answer {endpoint} in time: {m}; retry later, or raise --http-timeout-seconds"
            )),
            HttpError::Denied(m) => ConnectorError::InvalidArgument(format!(
                "the host refused to send {endpoint} to {host}: {m}; check {field}"
            )),
            HttpError::InvalidRequest(m) => {
                ConnectorError::Internal(format!("{endpoint}: invalid request to {host}: {m}"))
            }
            HttpError::TooLarge(m) => ConnectorError::Unavailable(format!(
                "the answer of {host} to {endpoint} exceeded the host's size limit: {m}"
            )),
        }
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
            Err(status_error(
                resp.status,
                endpoint,
                &resp.body,
                self.service.as_ref(),
            ))
        }
    }

    /// GET and decode a JSON body.
    pub fn get<D: DeserializeOwned>(&self, url: &str, endpoint: &str) -> Result<D, ConnectorError> {
        let resp = self.send_ok(Method::Get, url, endpoint, None)?;
        parse(&resp.body, endpoint)
    }

    /// GET one page of a paged collection, with the next page's URL (resolved and checked).
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

    /// GET every page of a paged collection, following `next`.
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

    /// DELETE; the answer's body is ignored beyond its status.
    pub fn delete(&self, url: &str, endpoint: &str) -> Result<(), ConnectorError> {
        self.send_ok(Method::Delete, url, endpoint, None)
            .map(|_| ())
    }
}

/// The path of an absolute URL without trailing `/`; empty for none.
fn url_path(url: &str) -> &str {
    path_and_query(url)
        .map(|p| p.split(['?', '#']).next().unwrap_or(p))
        .unwrap_or("")
        .trim_end_matches('/')
}

/// `path` below `base_path` when it starts with it (as whole segments), else `path`.
fn strip_base_path<'a>(path: &'a str, base_path: &str) -> &'a str {
    match path.strip_prefix(base_path) {
        Some(rest)
            if !base_path.is_empty() && (rest.is_empty() || rest.starts_with(['/', '?'])) =>
        {
            rest
        }
        _ => path,
    }
}

/// Decodes a JSON body into `D`, or `internal("<endpoint> returned malformed JSON: …")`.
pub fn parse<D: DeserializeOwned>(body: &[u8], endpoint: &str) -> Result<D, ConnectorError> {
    serde_json::from_slice(body).map_err(|e| malformed(endpoint, e))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Answers each request with the next canned response and remembers the URLs asked.
    struct Canned {
        answers: RefCell<Vec<Result<HttpResponse, HttpError>>>,
        asked: RefCell<Vec<String>>,
    }

    impl Canned {
        fn new(answers: Vec<Result<HttpResponse, HttpError>>) -> Rc<Canned> {
            Rc::new(Canned {
                answers: RefCell::new(answers.into_iter().rev().collect()),
                asked: RefCell::new(Vec::new()),
            })
        }
    }

    impl Transport for Canned {
        fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
            self.asked.borrow_mut().push(req.url.clone());
            self.answers
                .borrow_mut()
                .pop()
                .unwrap_or(Err(HttpError::Connection("no more answers".into())))
        }
        fn log(&self, _: LogLevel, _: &str) {}
    }

    fn ok(status: u16, body: &str) -> Result<HttpResponse, HttpError> {
        Ok(HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        })
    }

    struct Api;
    impl Service for Api {
        fn name(&self) -> &str {
            "Example"
        }
        fn url_field(&self) -> &str {
            "api-url"
        }
        fn url_example(&self) -> &str {
            "https://api.example.com"
        }
        fn is_page_path(&self, path: &str) -> bool {
            path.starts_with("/v1/")
        }
    }

    fn client(t: Rc<Canned>) -> Client {
        Client::new(t, " http://127.0.0.1:8080/ ", Api).unwrap()
    }

    #[test]
    fn urls_are_built_from_encoded_segments() {
        let c = client(Canned::new(vec![]));
        assert_eq!(c.base(), "http://127.0.0.1:8080");
        assert_eq!(
            c.url(
                &["v1", "teams", "{ws}", "a b"],
                &[("pagelen", "100"), ("fields", "+x")]
            ),
            "http://127.0.0.1:8080/v1/teams/%7Bws%7D/a%20b?pagelen=100&fields=%2Bx"
        );
        let e = Client::new(Canned::new(vec![]), "api.example.com/", Api)
            .err()
            .unwrap();
        assert_eq!(
            e,
            ConnectorError::InvalidArgument(
                "api-url 'api.example.com/' must be an absolute http(s) URL such as https://api.example.com".into()
            )
        );
    }

    #[test]
    fn next_links_stay_on_the_base_url() {
        let c = client(Canned::new(vec![]));
        assert_eq!(
            c.resolve_next("/v1/x?page=2", "GET x").unwrap(),
            "http://127.0.0.1:8080/v1/x?page=2"
        );
        assert_eq!(
            c.resolve_next("https://evil.example/v1/x?page=3", "GET x")
                .unwrap(),
            "http://127.0.0.1:8080/v1/x?page=3"
        );
        assert!(
            c.resolve_next("https://evil.example/steal", "GET x")
                .is_err()
        );
        assert!(c.resolve_next("page=2", "GET x").is_err());
    }

    #[test]
    fn a_base_url_with_a_path_is_not_repeated() {
        let c = Client::new(Canned::new(vec![]), "http://127.0.0.1:8080/api/", Api).unwrap();
        // Links as the server writes them (under its own path) and without it (behind a proxy).
        assert_eq!(
            c.resolve_next("http://localhost:8080/api/v1/x?page=2", "GET x")
                .unwrap(),
            "http://127.0.0.1:8080/api/v1/x?page=2"
        );
        assert_eq!(
            c.resolve_next("https://upstream.example/v1/x?page=2", "GET x")
                .unwrap(),
            "http://127.0.0.1:8080/api/v1/x?page=2"
        );
        // `/apis/...` is not below `/api`.
        assert!(c.resolve_next("/apis/v1/x", "GET x").is_err());
        assert_eq!(strip_base_path("/api?page=2", "/api"), "?page=2");
        assert_eq!(url_path("https://h/a/b/?q=1"), "/a/b");
        assert_eq!(url_path("https://h"), "");
    }

    #[test]
    fn get_all_follows_next_and_refuses_a_loop() {
        let t = Canned::new(vec![
            ok(
                200,
                r#"{"values":[1,2],"next":"http://localhost:8080/v1/n?page=2"}"#,
            ),
            ok(200, r#"{"values":[3]}"#),
        ]);
        let c = client(t.clone());
        let all: Vec<u32> = c
            .get_all("http://127.0.0.1:8080/v1/n", "GET /v1/n")
            .unwrap();
        assert_eq!(all, vec![1, 2, 3]);
        assert_eq!(t.asked.borrow()[1], "http://127.0.0.1:8080/v1/n?page=2");
        let looping = client(Canned::new(vec![ok(
            200,
            r#"{"values":[],"next":"/v1/n"}"#,
        )]));
        let e = looping.get_page::<u32>("http://127.0.0.1:8080/v1/n", "GET /v1/n");
        assert!(
            matches!(e, Err(ConnectorError::Internal(m)) if m.contains("equal to the page itself"))
        );
    }

    #[test]
    fn statuses_and_transport_failures_become_errors() {
        let c = client(Canned::new(vec![
            ok(404, ""),
            Err(HttpError::Connection("refused".into())),
            Err(HttpError::Denied("origin not allowed".into())),
            ok(200, "{not json"),
            ok(204, ""),
            ok(200, ""),
        ]));
        assert!(matches!(
            c.get::<u32>("http://127.0.0.1:8080/v1/a", "GET /v1/a"),
            Err(ConnectorError::NotFound(_))
        ));
        assert!(matches!(
            c.get::<u32>("http://127.0.0.1:8080/v1/a", "GET /v1/a"),
            Err(ConnectorError::Unavailable(m)) if m == "could not reach 127.0.0.1:8080: refused"
        ));
        assert!(matches!(
            c.get::<u32>("http://127.0.0.1:8080/v1/a", "GET /v1/a"),
            Err(ConnectorError::InvalidArgument(m)) if m.ends_with("check api-url")
        ));
        assert!(matches!(
            c.get::<u32>("http://127.0.0.1:8080/v1/a", "GET /v1/a"),
            Err(ConnectorError::Internal(m)) if m.starts_with("GET /v1/a returned malformed JSON")
        ));
        c.put_json(
            "http://127.0.0.1:8080/v1/a",
            "PUT /v1/a",
            &serde_json::json!({"k": 1}),
        )
        .unwrap();
        c.delete("http://127.0.0.1:8080/v1/a", "DELETE /v1/a")
            .unwrap();
    }
}
