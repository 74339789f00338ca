//! What the generic HTTP client knows of the service a connector talks to, and how the errors
//! users see are worded. The defaults name the service and the field holding its URL; a
//! connector overrides what it can say better (for example which flags to check on a 401).

/// The service behind a [`Client`](crate::Client).
pub trait Service {
    /// The service's name in messages, for example `Bitbucket`.
    fn name(&self) -> &str;

    /// The configuration field holding the base URL, for example `base-url`.
    fn url_field(&self) -> &str;

    /// An example base URL for messages, for example `https://api.bitbucket.org`.
    fn url_example(&self) -> &str;

    /// The API root for a configured base URL (trimmed, without trailing `/`).
    fn api_root(&self, configured: &str) -> String {
        configured.to_string()
    }

    /// Whether a page link's path (and query) is a page of this API; others are refused, so
    /// paging never goes anywhere else.
    fn is_page_path(&self, path: &str) -> bool {
        path.starts_with('/')
    }

    /// The message of an HTTP 401; `detail` is the service's own explanation, if any.
    fn unauthenticated(&self, endpoint: &str, detail: &str) -> String {
        with_detail(
            format!(
                "{} rejected the credentials for {endpoint} (HTTP 401): check the credential \
given to the connector, and that it has not expired or been revoked",
                self.name()
            ),
            detail,
        )
    }

    /// The message of an HTTP 403, before the service's own explanation.
    fn permission_denied(&self, endpoint: &str) -> String {
        format!(
            "{endpoint} was refused (HTTP 403): the credential lacks the rights or scopes for it"
        )
    }

    /// The message of an HTTP 429 that outlasted the host's retries.
    fn rate_limited(&self, endpoint: &str) -> String {
        format!(
            "{endpoint} was rate limited by {} (HTTP 429) even after the host's retries: run again \
later (the sync resumes where it stopped) or pace requests with --requests-per-hour",
            self.name()
        )
    }
}

/// `message: detail`, or `message` alone when there is no detail.
pub fn with_detail(message: String, detail: &str) -> String {
    if detail.is_empty() {
        message
    } else {
        format!("{message}: {detail}")
    }
}
