//! `http.send` and `http.send-all`: the guest's requests, performed by the HTTP capability under
//! the current call's deadline; the time spent here is not the guest's CPU time.

use std::time::Instant;

use futures::stream::{self, StreamExt};

use crate::http::{HttpError, InboundResponse, Method, OutboundRequest};
use crate::runtime::bindings::latest::baton::connector::http;
use crate::runtime::state::TenantState;

/// The most requests one `send-all` may carry.
const MAX_BATCH: usize = 1000;

impl http::Host for TenantState {
    async fn send(
        &mut self,
        req: http::Request,
    ) -> wasmtime::Result<Result<http::Response, http::HttpError>> {
        let started = Instant::now();
        let result = self
            .http
            .send(outbound(req), self.call_deadline.clone())
            .await;
        self.host_time += started.elapsed();
        Ok(inbound(result))
    }

    async fn send_all(
        &mut self,
        reqs: Vec<http::Request>,
    ) -> wasmtime::Result<Vec<Result<http::Response, http::HttpError>>> {
        if reqs.len() > MAX_BATCH {
            let refusal = format!(
                "a send-all call carries {} requests; at most {MAX_BATCH} are allowed: split the batch",
                reqs.len()
            );
            return Ok(reqs
                .iter()
                .map(|_| Err(http::HttpError::InvalidRequest(refusal.clone())))
                .collect());
        }
        let started = Instant::now();
        let (http, deadline) = (&self.http, &self.call_deadline);
        let in_flight = http.settings().max_in_flight.max(1);
        let results: Vec<_> = stream::iter(reqs)
            .map(|req| http.send(outbound(req), deadline.clone()))
            .buffered(in_flight)
            .collect()
            .await;
        self.host_time += started.elapsed();
        Ok(results.into_iter().map(inbound).collect())
    }
}

fn outbound(req: http::Request) -> OutboundRequest {
    OutboundRequest {
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
    }
}

fn inbound(result: Result<InboundResponse, HttpError>) -> Result<http::Response, http::HttpError> {
    match result {
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
    }
}
