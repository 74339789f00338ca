//! The request log: counts per endpoint template and status, and every changing request.

use std::collections::BTreeMap;

use serde::Serialize;

/// One changing request (PUT, POST, DELETE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// The path as requested (still percent-encoded).
    pub path: String,
    /// The endpoint template, e.g. `PUT /1.0/groups/{workspace}/{group_slug}/members/{member}`.
    pub endpoint: String,
    /// Response status.
    pub status: u16,
}

/// A snapshot of the request log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequestLog {
    /// Every request received, including refused ones.
    pub total: u64,
    /// Requests per endpoint template (`"GET /2.0/workspaces/{workspace}/members"`); unmatched paths count as `"<METHOD> <unmatched>"`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Requests per response status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests per endpoint template and status.
    pub by_endpoint_status: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Changing requests (PUT/POST/DELETE) in arrival order.
    pub changes: Vec<LoggedRequest>,
}

impl RequestLog {
    /// Endpoints answered 403, with how many times.
    pub fn refused(&self) -> BTreeMap<String, u64> {
        self.by_endpoint_status
            .iter()
            .filter_map(|(e, by)| by.get(&403).map(|n| (e.clone(), *n)))
            .collect()
    }

    /// Records one request.
    pub fn record(&mut self, method: &str, path: &str, endpoint: &str, status: u16) {
        self.total += 1;
        *self.by_endpoint.entry(endpoint.to_string()).or_default() += 1;
        *self.statuses.entry(status).or_default() += 1;
        *self
            .by_endpoint_status
            .entry(endpoint.to_string())
            .or_default()
            .entry(status)
            .or_default() += 1;
        if matches!(method, "PUT" | "POST" | "DELETE" | "PATCH") {
            self.changes.push(LoggedRequest {
                method: method.into(),
                path: path.into(),
                endpoint: endpoint.into(),
                status,
            });
        }
    }

    /// Requests to one endpoint template.
    pub fn count(&self, endpoint: &str) -> u64 {
        self.by_endpoint.get(endpoint).copied().unwrap_or(0)
    }
}
