//! The error every export returns, mirroring WIT `connector-error`: the host maps its variant to
//! exit codes and retry decisions, and shows its message to the operator.

use std::fmt;

/// Why a call failed. The message says what went wrong and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectorError {
    /// The credentials were rejected (HTTP 401).
    Unauthenticated(String),
    /// The credentials are valid but may not do this (HTTP 403).
    PermissionDenied(String),
    /// The object does not exist or is invisible to the credentials (HTTP 404).
    NotFound(String),
    /// The request or the configuration is wrong.
    InvalidArgument(String),
    /// The service refused because of its rate limit, after the host's retries.
    RateLimited(String),
    /// The service could not be reached or answered with a server error.
    Unavailable(String),
    /// A bug or an unexpected answer (for example malformed JSON).
    Internal(String),
}

impl ConnectorError {
    /// The message, without the kind.
    pub fn message(&self) -> &str {
        match self {
            ConnectorError::Unauthenticated(m)
            | ConnectorError::PermissionDenied(m)
            | ConnectorError::NotFound(m)
            | ConnectorError::InvalidArgument(m)
            | ConnectorError::RateLimited(m)
            | ConnectorError::Unavailable(m)
            | ConnectorError::Internal(m) => m,
        }
    }
}

impl fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            ConnectorError::Unauthenticated(_) => "unauthenticated",
            ConnectorError::PermissionDenied(_) => "permission denied",
            ConnectorError::NotFound(_) => "not found",
            ConnectorError::InvalidArgument(_) => "invalid argument",
            ConnectorError::RateLimited(_) => "rate limited",
            ConnectorError::Unavailable(_) => "unavailable",
            ConnectorError::Internal(_) => "internal",
        };
        write!(f, "{kind}: {}", self.message())
    }
}

impl std::error::Error for ConnectorError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_kind() {
        let e = ConnectorError::NotFound("no such workspace".into());
        assert_eq!(e.to_string(), "not found: no such workspace");
        assert_eq!(e.message(), "no such workspace");
    }
}
