//! The connector's error type (mirrors WIT `connector-error`) and the mapping from HTTP answers
//! to errors a Bitbucket administrator can act on.

use std::fmt;

/// Mirrors `baton:connector/types.connector-error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectorError {
    Unauthenticated(String),
    PermissionDenied(String),
    NotFound(String),
    InvalidArgument(String),
    RateLimited(String),
    Unavailable(String),
    Internal(String),
}

impl ConnectorError {
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

    /// The HTTP status this error came from, when it is the plain mapping of one.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ConnectorError::NotFound(_))
    }

    pub fn is_permission_denied(&self) -> bool {
        matches!(self, ConnectorError::PermissionDenied(_))
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

/// How the host authenticates the requests (config key `auth-kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// Atlassian account e-mail + API token (or a legacy app password), sent as Basic auth.
    Basic,
    /// A workspace, project or repository access token.
    Bearer,
    /// An OAuth consumer (client credentials).
    Oauth,
}

impl AuthKind {
    pub fn parse(value: Option<&str>) -> Result<AuthKind, ConnectorError> {
        match value.map(str::trim).unwrap_or("") {
            "" | "basic" => Ok(AuthKind::Basic),
            "bearer" => Ok(AuthKind::Bearer),
            "oauth" => Ok(AuthKind::Oauth),
            other => Err(ConnectorError::InvalidArgument(format!(
                "auth-kind '{other}' is not one of basic, bearer, oauth"
            ))),
        }
    }
}

/// The scopes a read-only sync needs from an Atlassian API token.
pub const READ_SCOPES: &str = "read:workspace:bitbucket, read:user:bitbucket, \
read:project:bitbucket, read:repository:bitbucket, read:permission:bitbucket";

/// What the credential needs to change permissions.
pub const PROVISIONING_CREDENTIAL: &str = "an Atlassian API token (--username with the account \
e-mail, --app-password with the token) of a workspace admin, with the scopes \
admin:project:bitbucket, admin:repository:bitbucket, write:permission:bitbucket and \
delete:permission:bitbucket; access tokens and OAuth consumers cannot change permissions";

/// The message for an HTTP 401, worded for the credential in use.
pub fn unauthenticated_message(auth: AuthKind) -> String {
    match auth {
        AuthKind::Basic => format!(
            "Bitbucket rejected the credentials (HTTP 401). --username must be your Atlassian \
account e-mail (not your Bitbucket username) and --app-password an Atlassian API token \
(app passwords stopped working on 2026-07-28) with these scopes: {READ_SCOPES} \
(add admin:project:bitbucket, admin:repository:bitbucket and write:permission:bitbucket \
for provisioning). Check also that the token has not expired."
        ),
        AuthKind::Bearer => "Bitbucket rejected the access token (HTTP 401). --token must be a \
current workspace or project access token (access tokens can expire or be revoked) with the \
account, project and repository read scopes."
            .to_string(),
        AuthKind::Oauth => "Bitbucket rejected the OAuth consumer (HTTP 401). Check \
--consumer-key and --consumer-secret, that the consumer is private (client credentials need \
a private consumer) and that it has the account, project and repository read scopes."
            .to_string(),
    }
}

/// Maps a non-2xx HTTP status to a connector error. `endpoint` is the request's template, for
/// example `GET /2.0/workspaces/{workspace}/projects`; `body` is Bitbucket's answer.
pub fn status_error(status: u16, endpoint: &str, body: &[u8], auth: AuthKind) -> ConnectorError {
    let detail = error_detail(body);
    let with_detail = |s: String| {
        if detail.is_empty() {
            s
        } else {
            format!("{s}: {detail}")
        }
    };
    match status {
        401 => ConnectorError::Unauthenticated(unauthenticated_message(auth)),
        403 => ConnectorError::PermissionDenied(with_detail(format!(
            "{endpoint} was refused (HTTP 403): the credential lacks the rights or scopes for it \
(reading permissions needs a workspace admin's credential with {READ_SCOPES})"
        ))),
        404 => ConnectorError::NotFound(with_detail(format!(
            "{endpoint} answered HTTP 404: it does not exist or the credential cannot see it"
        ))),
        429 => ConnectorError::RateLimited(format!(
            "{endpoint} was rate limited by Bitbucket (HTTP 429) even after the host's retries; \
Bitbucket allows about 1,000 API requests per hour per credential: run again later (the sync \
resumes where it stopped), pace requests with --requests-per-hour, or sync fewer workspaces"
        )),
        500..=599 => ConnectorError::Unavailable(with_detail(format!(
            "{endpoint} failed with HTTP {status}: Bitbucket is unavailable, try again later"
        ))),
        400..=499 => ConnectorError::InvalidArgument(with_detail(format!(
            "{endpoint} was rejected by Bitbucket (HTTP {status})"
        ))),
        _ => ConnectorError::Internal(with_detail(format!(
            "{endpoint} answered with the unexpected HTTP status {status}"
        ))),
    }
}

/// Bitbucket's own error message: the 2.0 envelope's `error.message` (+ `detail`), or a short
/// plain-text body.
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

    #[test]
    fn statuses_map_to_variants() {
        let e = "GET /2.0/x";
        assert!(matches!(
            status_error(401, e, b"", AuthKind::Basic),
            ConnectorError::Unauthenticated(m) if m.contains("Atlassian account e-mail") && m.contains("read:permission:bitbucket")
        ));
        assert!(matches!(
            status_error(401, e, b"", AuthKind::Bearer),
            ConnectorError::Unauthenticated(m) if m.contains("access token")
        ));
        assert!(matches!(
            status_error(401, e, b"", AuthKind::Oauth),
            ConnectorError::Unauthenticated(m) if m.contains("OAuth")
        ));
        assert!(matches!(
            status_error(403, e, b"", AuthKind::Basic),
            ConnectorError::PermissionDenied(_)
        ));
        assert!(matches!(
            status_error(404, e, br#"{"type":"error","error":{"message":"No such workspace"}}"#, AuthKind::Basic),
            ConnectorError::NotFound(m) if m.contains("No such workspace")
        ));
        assert!(matches!(
            status_error(
                429,
                e,
                b"Rate limit for this resource has been exceeded",
                AuthKind::Basic
            ),
            ConnectorError::RateLimited(_)
        ));
        assert!(matches!(
            status_error(503, e, b"", AuthKind::Basic),
            ConnectorError::Unavailable(_)
        ));
        assert!(matches!(
            status_error(400, e, b"", AuthKind::Basic),
            ConnectorError::InvalidArgument(_)
        ));
    }

    #[test]
    fn error_detail_reads_envelope_and_text() {
        assert_eq!(
            error_detail(br#"{"type":"error","error":{"message":"Bad","detail":"why"}}"#),
            "Bad (why)"
        );
        assert_eq!(error_detail(b"plain words\n"), "plain words");
        assert_eq!(error_detail(b"<html>"), "");
    }

    #[test]
    fn auth_kind_parses() {
        assert_eq!(AuthKind::parse(None).unwrap(), AuthKind::Basic);
        assert_eq!(AuthKind::parse(Some("bearer")).unwrap(), AuthKind::Bearer);
        assert_eq!(AuthKind::parse(Some("oauth")).unwrap(), AuthKind::Oauth);
        assert!(AuthKind::parse(Some("token")).is_err());
    }
}
