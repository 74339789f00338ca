//! What a component needs from its environment: the host's `http.send` and `log` imports,
//! behind a trait so the same logic runs natively against a test transport.

use std::rc::Rc;

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// The method as sent, for example `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A buffered request. The host adds `Authorization`; a guest-set one is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// Request body, if any.
    pub body: Option<Vec<u8>>,
    /// The endpoint's template, for the host's per-endpoint counters, for example
    /// `GET /2.0/repositories/{workspace}`.
    pub endpoint: String,
}

/// A buffered response; any status is a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

/// Why no response came back (WIT `http-error`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// The host refused to send the request (origin not allowed, forbidden header).
    Denied(String),
    /// The request was malformed (bad URL, bad header).
    InvalidRequest(String),
    /// The server could not be reached, after the host's retries.
    Connection(String),
    /// No response within the time allowed.
    Timeout(String),
    /// The response body exceeded the host's size cap.
    TooLarge(String),
}

/// The severity of a log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Very detailed.
    Trace,
    /// Detailed.
    Debug,
    /// Normal operation.
    Info,
    /// Something the operator should know about.
    Warn,
    /// Something failed.
    Error,
}

/// The outside world of a component: one HTTP capability and a log.
pub trait Transport {
    /// Sends a request and waits for the whole response.
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, HttpError>;
    /// Sends independent requests, at once where the transport can; results in order.
    fn send_all(&self, requests: &[HttpRequest]) -> Vec<Result<HttpResponse, HttpError>> {
        requests.iter().map(|r| self.send(r)).collect()
    }
    /// Writes one line to the host's log.
    fn log(&self, level: LogLevel, message: &str);
}

// A test keeps a handle on its transport to inspect what was sent and logged.
impl<T: Transport + ?Sized> Transport for Rc<T> {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, HttpError> {
        (**self).send(request)
    }
    fn send_all(&self, requests: &[HttpRequest]) -> Vec<Result<HttpResponse, HttpError>> {
        (**self).send_all(requests)
    }
    fn log(&self, level: LogLevel, message: &str) {
        (**self).log(level, message)
    }
}
