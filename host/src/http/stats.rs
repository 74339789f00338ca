//! Per-endpoint request counters for the end-of-run summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

/// Most distinct endpoint labels kept; a guest inventing labels cannot grow the map without bound.
const MAX_ENDPOINTS: usize = 512;
/// Longest endpoint label kept, in characters.
const MAX_LABEL_CHARS: usize = 160;
/// Where requests go once [`MAX_ENDPOINTS`] labels exist.
const OVERFLOW_LABEL: &str = "(other endpoints)";

/// Counters for one endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EndpointStats {
    /// Attempts sent (first tries and retries).
    pub requests: u64,
    /// Attempts that were retries (after 429/5xx/connection errors, or a 401 with a stale OAuth token).
    pub retries: u64,
    /// Responses by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Attempts that got no response, by kind ("connection", "timeout", "too-large", "auth").
    pub errors: BTreeMap<String, u64>,
    /// Requests refused before sending ("denied", "invalid-request").
    pub refused: BTreeMap<String, u64>,
    /// Total time spent waiting between attempts.
    #[serde(rename = "backoff_wait_ms", serialize_with = "as_millis")]
    pub backoff_wait: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A snapshot of all counters, keyed by endpoint label.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestStats {
    /// Per-endpoint counters.
    pub endpoints: BTreeMap<String, EndpointStats>,
}

impl RequestStats {
    /// Attempts sent over all endpoints.
    pub fn total_requests(&self) -> u64 {
        self.endpoints.values().map(|e| e.requests).sum()
    }

    /// Retries over all endpoints.
    pub fn total_retries(&self) -> u64 {
        self.endpoints.values().map(|e| e.retries).sum()
    }

    /// Backoff waiting over all endpoints.
    pub fn total_backoff_wait(&self) -> Duration {
        self.endpoints.values().map(|e| e.backoff_wait).sum()
    }

    /// The counters as a plain-text table for the end-of-run summary.
    pub fn render_table(&self) -> String {
        let mut rows: Vec<[String; 6]> = vec![[
            "endpoint".into(),
            "requests".into(),
            "retries".into(),
            "waited".into(),
            "statuses".into(),
            "errors".into(),
        ]];
        let mut total = EndpointStats::default();
        for (label, e) in &self.endpoints {
            rows.push(row(label, e));
            total.requests += e.requests;
            total.retries += e.retries;
            total.backoff_wait += e.backoff_wait;
            for (status, n) in &e.statuses {
                *total.statuses.entry(*status).or_default() += n;
            }
            for (kind, n) in e.errors.iter().chain(&e.refused) {
                *total.errors.entry(kind.clone()).or_default() += n;
            }
        }
        rows.push(row("total", &total));
        let widths: Vec<usize> = (0..6)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for r in &rows {
            let mut line = String::new();
            for (c, cell) in r.iter().enumerate() {
                // Text columns left-aligned, numbers right-aligned.
                let _ = match c {
                    0 | 4 | 5 => write!(line, "{cell:<w$}  ", w = widths[c]),
                    _ => write!(line, "{cell:>w$}  ", w = widths[c]),
                };
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

fn row(label: &str, e: &EndpointStats) -> [String; 6] {
    let statuses = e
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}×{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    let errors = e
        .errors
        .iter()
        .chain(&e.refused)
        .map(|(k, n)| format!("{k}×{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    [
        label.to_string(),
        e.requests.to_string(),
        e.retries.to_string(),
        format!("{:.1}s", e.backoff_wait.as_secs_f64()),
        statuses,
        errors,
    ]
}

/// The live counters behind [`RequestStats`].
#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    inner: std::sync::Mutex<RequestStats>,
}

impl StatsRecorder {
    /// Applies `f` to the counters of `label`.
    pub(crate) fn update(&self, label: &str, f: impl FnOnce(&mut EndpointStats)) {
        // A poisoned lock only means another thread panicked mid-update; counters stay usable.
        let mut stats = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let label = if stats.endpoints.contains_key(label) || stats.endpoints.len() < MAX_ENDPOINTS
        {
            label
        } else {
            OVERFLOW_LABEL
        };
        f(stats.endpoints.entry(label.to_string()).or_default());
    }

    /// A copy of the counters.
    pub(crate) fn snapshot(&self) -> RequestStats {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The label a request is counted under: the guest's endpoint template, else `METHOD /path`
/// (query dropped so that pages of one listing share a row).
pub(crate) fn endpoint_label(endpoint: &str, method: super::method::Method, url: &str) -> String {
    let endpoint = endpoint.trim();
    let label = if endpoint.is_empty() {
        let path = url::Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_else(|_| url.split(['?', '#']).next().unwrap_or_default().to_string());
        format!("{method} {path}")
    } else {
        endpoint.to_string()
    };
    // Control characters would garble the table and logs.
    label
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;

    #[test]
    fn labels_drop_queries_and_prefer_the_guest_template() {
        assert_eq!(
            endpoint_label("", Method::Get, "https://h/2.0/workspaces?page=2"),
            "GET /2.0/workspaces"
        );
        assert_eq!(
            endpoint_label(
                "GET /2.0/workspaces/{w}",
                Method::Get,
                "https://h/2.0/workspaces/x"
            ),
            "GET /2.0/workspaces/{w}"
        );
        assert_eq!(
            endpoint_label("", Method::Delete, "not a url?x"),
            "DELETE not a url"
        );
        assert_eq!(endpoint_label("a\nb", Method::Get, "https://h/"), "ab");
    }

    #[test]
    fn label_count_is_bounded() {
        let rec = StatsRecorder::default();
        for i in 0..(MAX_ENDPOINTS + 10) {
            rec.update(&format!("e{i}"), |e| e.requests += 1);
        }
        let snap = rec.snapshot();
        assert_eq!(snap.endpoints.len(), MAX_ENDPOINTS + 1);
        assert_eq!(snap.endpoints[OVERFLOW_LABEL].requests, 10);
        assert_eq!(snap.total_requests(), (MAX_ENDPOINTS + 10) as u64);
    }

    #[test]
    fn table_has_a_row_per_endpoint_and_a_total() {
        let rec = StatsRecorder::default();
        rec.update("GET /2.0/user", |e| {
            e.requests = 3;
            e.retries = 2;
            e.statuses.insert(429, 2);
            e.statuses.insert(200, 1);
            e.backoff_wait = Duration::from_millis(1500);
        });
        rec.update("GET /2.0/workspaces", |e| {
            e.requests = 1;
            e.errors.insert("timeout".into(), 1);
        });
        let table = rec.snapshot().render_table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[0].starts_with("endpoint"));
        assert!(
            lines[1].contains("GET /2.0/user")
                && lines[1].contains("200×1 429×2")
                && lines[1].contains("1.5s")
        );
        assert!(
            lines[3].starts_with("total") && lines[3].contains("timeout×1"),
            "{table}"
        );
        let json = serde_json::to_value(rec.snapshot()).unwrap();
        assert_eq!(json["endpoints"]["GET /2.0/user"]["backoff_wait_ms"], 1500);
    }
}
