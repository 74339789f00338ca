//! `http.send`: the guest's requests, performed by the HTTP capability under the current call's
//! deadline; the time spent here is not the guest's CPU time.

use std::time::Instant;

use crate::http::{HttpError, Method, OutboundRequest};
use crate::runtime::bindings::latest::baton::connector::http;
use crate::runtime::state::TenantState;

impl http::Host for TenantState {
    async fn send(
        &mut self,
        req: http::Request,
    ) -> wasmtime::Result<Result<http::Response, http::HttpError>> {
        let started = Instant::now();
        let outbound = OutboundRequest {
            method: match req.method {
                http::Method::Get => Method::Get,
                http::Method::Head => Method::Head,
                http::Method::Post => Method::Post,
                http::Method::Put => Method::Put,
                http::Method::Patch => Method::Patch,
                http::Method::Delete => Method::Delete,
            },
            url: req.url,
            headers: req.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: req.body,
            endpoint: req.endpoint,
        };
        let result = self.http.send(outbound, self.call_deadline.clone()).await;
        self.host_time += started.elapsed();
        Ok(match result {
            Ok(resp) => Ok(http::Response {
                status: resp.status,
                headers: resp
                    .headers
                    .into_iter()
                    .map(|(name, value)| http::Header { name, value })
                    .collect(),
                body: resp.body,
            }),
            Err(err) => Err(match err {
                HttpError::Denied(m) => http::HttpError::Denied(m),
                HttpError::InvalidRequest(m) => http::HttpError::InvalidRequest(m),
                HttpError::Connection(m) => http::HttpError::Connection(m),
                HttpError::Timeout(m) => http::HttpError::Timeout(m),
                HttpError::TooLarge(m) => http::HttpError::TooLarge(m),
            }),
        })
    }
}
