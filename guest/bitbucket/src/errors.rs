//! How Bitbucket's answers become errors a Bitbucket administrator can act on: the SDK maps
//! statuses to error kinds, this says which flags, scopes and limits are involved.

use connector_sdk::Service;

use crate::settings::{AuthKind, BASE_URL, DEFAULT_BASE_URL};

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

/// The Bitbucket Cloud REST API, as the SDK's client sees it.
pub struct BitbucketApi {
    /// The credential in use, for the wording of a 401.
    pub auth: AuthKind,
}

impl Service for BitbucketApi {
    fn name(&self) -> &str {
        "Bitbucket"
    }

    fn url_field(&self) -> &str {
        BASE_URL
    }

    fn url_example(&self) -> &str {
        DEFAULT_BASE_URL
    }

    /// A blank URL is the public API; `…/2.0` (as the API documents its URLs) is its root.
    fn api_root(&self, configured: &str) -> String {
        let base = if configured.is_empty() {
            DEFAULT_BASE_URL
        } else {
            configured
        };
        base.strip_suffix("/2.0").unwrap_or(base).to_string()
    }

    fn is_page_path(&self, path: &str) -> bool {
        path.starts_with("/2.0/") || path.starts_with("/1.0/")
    }

    fn unauthenticated(&self, _endpoint: &str, _detail: &str) -> String {
        unauthenticated_message(self.auth)
    }

    fn permission_denied(&self, endpoint: &str) -> String {
        format!(
            "{endpoint} was refused (HTTP 403): the credential lacks the rights or scopes for it \
(reading permissions needs a workspace admin's credential with {READ_SCOPES})"
        )
    }

    fn rate_limited(&self, endpoint: &str) -> String {
        format!(
            "{endpoint} was rate limited by Bitbucket (HTTP 429) even after the host's retries; \
Bitbucket allows about 1,000 API requests per hour per credential: run again later (the sync \
resumes where it stopped), pace requests with --requests-per-hour, or sync fewer workspaces"
        )
    }
}

#[cfg(test)]
mod tests {
    use connector_sdk::ConnectorError;
    use connector_sdk::status::status_error;

    use super::*;

    fn status(code: u16, body: &[u8], auth: AuthKind) -> ConnectorError {
        status_error(code, "GET /2.0/x", body, &BitbucketApi { auth })
    }

    #[test]
    fn statuses_map_to_variants() {
        assert!(matches!(
            status(401, b"", AuthKind::Basic),
            ConnectorError::Unauthenticated(m) if m.contains("Atlassian account e-mail") && m.contains("read:permission:bitbucket")
        ));
        assert!(matches!(
            status(401, b"", AuthKind::Bearer),
            ConnectorError::Unauthenticated(m) if m.contains("access token")
        ));
        assert!(matches!(
            status(401, b"", AuthKind::Oauth),
            ConnectorError::Unauthenticated(m) if m.contains("OAuth")
        ));
        assert!(matches!(
            status(403, b"", AuthKind::Basic),
            ConnectorError::PermissionDenied(m) if m.ends_with(&format!("admin's credential with {READ_SCOPES})"))
        ));
        assert!(matches!(
            status(404, br#"{"type":"error","error":{"message":"No such workspace"}}"#, AuthKind::Basic),
            ConnectorError::NotFound(m) if m.contains("No such workspace")
        ));
        assert!(matches!(
            status(429, b"Rate limit for this resource has been exceeded", AuthKind::Basic),
            ConnectorError::RateLimited(m) if m.contains("--requests-per-hour") && m.contains("1,000")
        ));
        assert!(matches!(
            status(503, b"", AuthKind::Basic),
            ConnectorError::Unavailable(m) if m.contains("Bitbucket is unavailable")
        ));
        assert!(matches!(
            status(400, b"", AuthKind::Basic),
            ConnectorError::InvalidArgument(m) if m == "GET /2.0/x was rejected by Bitbucket (HTTP 400)"
        ));
    }

    #[test]
    fn the_api_root_and_its_pages() {
        let b = BitbucketApi {
            auth: AuthKind::Basic,
        };
        assert_eq!(b.api_root(""), "https://api.bitbucket.org");
        assert_eq!(
            b.api_root("https://api.bitbucket.org/2.0"),
            "https://api.bitbucket.org"
        );
        assert!(b.is_page_path("/1.0/groups/acme") && b.is_page_path("/2.0/x?page=2"));
        assert!(!b.is_page_path("/steal") && !b.is_page_path(""));
    }
}
