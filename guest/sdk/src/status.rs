//! HTTP answers as errors users can act on: each names the endpoint, says what the status means
//! and what to do, and keeps the service's own explanation.

use std::fmt;

use crate::error::ConnectorError;
use crate::service::{Service, with_detail};

/// Maps a non-2xx status to a connector error. `endpoint` is the request's template, for
/// example `GET /2.0/workspaces/{workspace}/projects`; `body` is the service's answer.
pub fn status_error(
    status: u16,
    endpoint: &str,
    body: &[u8],
    service: &dyn Service,
) -> ConnectorError {
    let detail = error_detail(body);
    let name = service.name();
    match status {
        401 => ConnectorError::Unauthenticated(service.unauthenticated(endpoint, &detail)),
        403 => ConnectorError::PermissionDenied(with_detail(
            service.permission_denied(endpoint),
            &detail,
        )),
        404 => ConnectorError::NotFound(with_detail(
            format!(
                "{endpoint} answered HTTP 404: it does not exist or the credential cannot see it"
            ),
            &detail,
        )),
        429 => ConnectorError::RateLimited(service.rate_limited(endpoint)),
        500..=599 => ConnectorError::Unavailable(with_detail(
            format!("{endpoint} failed with HTTP {status}: {name} is unavailable, try again later"),
            &detail,
        )),
        400..=499 => ConnectorError::InvalidArgument(with_detail(
            format!("{endpoint} was rejected by {name} (HTTP {status})"),
            &detail,
        )),
        _ => ConnectorError::Internal(with_detail(
            format!("{endpoint} answered with the unexpected HTTP status {status}"),
            &detail,
        )),
    }
}

/// The service's own error message: a JSON envelope's `error.message` (+ `detail`), or a short
/// plain-text body; nothing for HTML pages.
pub fn error_detail(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let err = &v["error"];
        let msg = err["message"].as_str().unwrap_or("");
        let detail = err["detail"].as_str().unwrap_or("");
        return match (msg.is_empty(), detail.is_empty()) {
            (false, false) => format!("{msg} ({detail})"),
            (false, true) => msg.to_string(),
            (true, false) => detail.to_string(),
            (true, true) => String::new(),
        };
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.starts_with('<') {
        return String::new();
    }
    text.chars().take(200).collect()
}

/// The error for a response whose body is not the JSON expected.
pub fn malformed(endpoint: &str, why: impl fmt::Display) -> ConnectorError {
    ConnectorError::Internal(format!("{endpoint} returned malformed JSON: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tickets;
    impl Service for Tickets {
        fn name(&self) -> &str {
            "Tickets"
        }
        fn url_field(&self) -> &str {
            "api-url"
        }
        fn url_example(&self) -> &str {
            "https://tickets.example.com"
        }
    }

    #[test]
    fn statuses_map_to_variants_with_default_wording() {
        let e = "GET /users";
        let s = &Tickets;
        assert_eq!(
            status_error(401, e, br#"{"error":{"message":"token expired"}}"#, s),
            ConnectorError::Unauthenticated(
                "Tickets rejected the credentials for GET /users (HTTP 401): check the credential \
given to the connector, and that it has not expired or been revoked: token expired"
                    .into()
            )
        );
        assert_eq!(
            status_error(403, e, b"", s),
            ConnectorError::PermissionDenied(
                "GET /users was refused (HTTP 403): the credential lacks the rights or scopes for it"
                    .into()
            )
        );
        assert!(matches!(
            status_error(404, e, br#"{"error":{"message":"No such thing"}}"#, s),
            ConnectorError::NotFound(m) if m.ends_with(": No such thing")
        ));
        assert!(matches!(
            status_error(429, e, b"slow down", s),
            ConnectorError::RateLimited(m) if m.contains("--requests-per-hour") && !m.contains("slow down")
        ));
        assert!(matches!(
            status_error(503, e, b"", s),
            ConnectorError::Unavailable(m) if m == "GET /users failed with HTTP 503: Tickets is unavailable, try again later"
        ));
        assert!(matches!(
            status_error(400, e, b"", s),
            ConnectorError::InvalidArgument(m) if m == "GET /users was rejected by Tickets (HTTP 400)"
        ));
        assert!(matches!(
            status_error(302, e, b"", s),
            ConnectorError::Internal(m) if m.contains("unexpected HTTP status 302")
        ));
    }

    #[test]
    fn error_detail_reads_envelope_and_text() {
        assert_eq!(
            error_detail(br#"{"type":"error","error":{"message":"Bad","detail":"why"}}"#),
            "Bad (why)"
        );
        assert_eq!(error_detail(br#"{"error":{"detail":"why"}}"#), "why");
        assert_eq!(error_detail(b"plain words\n"), "plain words");
        assert_eq!(error_detail(b"<html>"), "");
        assert_eq!(error_detail(&[b'x'; 300]).len(), 200);
    }
}
