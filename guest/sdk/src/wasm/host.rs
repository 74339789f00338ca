//! The host's imports as the SDK's [`Transport`] and [`Config`].

use super::bindings::baton::connector::{config, http, log};
use crate::config::Config;
use crate::transport::{HttpError, HttpRequest, HttpResponse, LogLevel, Method, Transport};

/// Requests and log lines through the host's `http` and `log` imports.
pub struct HostTransport;

impl Transport for HostTransport {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        response(http::send(&request(req)))
    }

    fn send_all(&self, reqs: &[HttpRequest]) -> Vec<Result<HttpResponse, HttpError>> {
        // The host takes at most 1,000 per call.
        let mut out = Vec::with_capacity(reqs.len());
        for chunk in reqs.chunks(1000) {
            let batch: Vec<http::Request> = chunk.iter().map(request).collect();
            out.extend(http::send_all(&batch).into_iter().map(response));
        }
        out
    }

    fn log(&self, level: LogLevel, message: &str) {
        let level = match level {
            LogLevel::Trace => log::Level::Trace,
            LogLevel::Debug => log::Level::Debug,
            LogLevel::Info => log::Level::Info,
            LogLevel::Warn => log::Level::Warn,
            LogLevel::Error => log::Level::Error,
        };
        log::log(level, message);
    }
}

/// The configuration the host gives this instance.
pub fn config() -> Config {
    Config::new(config::get)
}

fn request(req: &HttpRequest) -> http::Request {
    let method = match req.method {
        Method::Get => http::Method::Get,
        Method::Head => http::Method::Head,
        Method::Post => http::Method::Post,
        Method::Put => http::Method::Put,
        Method::Patch => http::Method::Patch,
        Method::Delete => http::Method::Delete,
    };
    http::Request {
        method,
        url: req.url.clone(),
        headers: req
            .headers
            .iter()
            .map(|(name, value)| http::Header {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        body: req.body.clone(),
        endpoint: req.endpoint.clone(),
    }
}

fn response(result: Result<http::Response, http::HttpError>) -> Result<HttpResponse, HttpError> {
    match result {
        Ok(resp) => Ok(HttpResponse {
            status: resp.status,
            headers: resp
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            body: resp.body,
        }),
        Err(http::HttpError::Denied(s)) => Err(HttpError::Denied(s)),
        Err(http::HttpError::InvalidRequest(s)) => Err(HttpError::InvalidRequest(s)),
        Err(http::HttpError::Connection(s)) => Err(HttpError::Connection(s)),
        Err(http::HttpError::Timeout(s)) => Err(HttpError::Timeout(s)),
        Err(http::HttpError::TooLarge(s)) => Err(HttpError::TooLarge(s)),
    }
}
