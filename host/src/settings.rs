//! Turns command-line flags into the typed settings of a run: the credential (kept secret),
//! the HTTP capability's settings, the plugin's non-secret configuration and its limits.

use std::collections::BTreeMap;
use std::time::Duration;

use url::Url;

use crate::cli::GlobalArgs;
use crate::credentials::Credential;
use crate::http::HttpSettings;
use crate::runtime::Limits;
use crate::secrets::Secret;
use crate::transport::{NetworkSettings, ProxyError};

/// Why the flags do not describe a usable run.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// No credential given.
    #[error(
        "no Bitbucket credentials: give --username and --app-password (your Atlassian account email and an API token), \
         or --token (an access token), or --consumer-key and --consumer-secret (an OAuth consumer)"
    )]
    NoCredentials,
    /// More than one kind of credential.
    #[error("conflicting credentials: {0} were both given; use only one way to authenticate")]
    Conflict(String),
    /// Half of a pair.
    #[error("{0}")]
    Incomplete(String),
    /// A secret could not be loaded.
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    /// A proxy variable is unusable.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    /// A bad base URL.
    #[error(
        "--base-url {url:?} is not a valid URL ({reason}); use for example https://api.bitbucket.org"
    )]
    BaseUrl {
        /// What was given.
        url: String,
        /// Why it is wrong.
        reason: String,
    },
}

/// The parsed base URL, without a trailing slash in its path.
pub fn base_url(args: &GlobalArgs) -> Result<Url, SettingsError> {
    let url =
        Url::parse(args.base_url.trim_end_matches('/')).map_err(|e| SettingsError::BaseUrl {
            url: args.base_url.clone(),
            reason: e.to_string(),
        })?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(SettingsError::BaseUrl {
            url: args.base_url.clone(),
            reason: "it needs an http(s) scheme and a host".into(),
        });
    }
    Ok(url)
}

/// The credential named by the flags; exactly one kind must be complete.
pub fn credential(args: &GlobalArgs, base: &Url) -> Result<Credential, SettingsError> {
    let app_password = Secret::from_value_or_file(
        args.app_password.clone(),
        args.app_password_file.clone(),
        "app-password",
    )?;
    let token = Secret::from_value_or_file(args.token.clone(), args.token_file.clone(), "token")?;
    let consumer_secret = Secret::from_value_or_file(
        args.consumer_secret.clone(),
        args.consumer_secret_file.clone(),
        "consumer-secret",
    )?;

    let basic = args.username.is_some() || app_password.is_some();
    let oauth = args.consumer_key.is_some() || consumer_secret.is_some();
    let bearer = token.is_some();
    let given: Vec<&str> = [
        (basic, "--username/--app-password"),
        (bearer, "--token"),
        (oauth, "--consumer-key/--consumer-secret"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect();
    if given.len() > 1 {
        return Err(SettingsError::Conflict(given.join(" and ")));
    }
    if basic {
        return match (args.username.clone(), app_password) {
            (Some(username), Some(password)) if !username.trim().is_empty() => {
                Ok(Credential::Basic { username, password })
            }
            (_, Some(_)) => Err(SettingsError::Incomplete(
                "--app-password needs --username (BATON_USERNAME): your Atlassian account email".into(),
            )),
            _ => Err(SettingsError::Incomplete(
                "--username needs --app-password (or --app-password-file, BATON_APP_PASSWORD): an Atlassian API token".into(),
            )),
        };
    }
    if let Some(token) = token {
        return Ok(Credential::Bearer(token));
    }
    if oauth {
        return match (args.consumer_key.clone(), consumer_secret) {
            (Some(key), Some(secret)) => Ok(Credential::OAuthClientCredentials {
                key,
                secret,
                token_url: crate::credentials::default_token_url(base),
            }),
            (Some(_), None) => Err(SettingsError::Incomplete(
                "--consumer-key needs --consumer-secret (or --consumer-secret-file, BATON_CONSUMER_SECRET)".into(),
            )),
            _ => Err(SettingsError::Incomplete(
                "--consumer-secret needs --consumer-key (BATON_CONSUMER_KEY)".into(),
            )),
        };
    }
    Err(SettingsError::NoCredentials)
}

/// The HTTP capability's settings, with the proxy and extra roots the environment names.
pub fn http_settings(args: &GlobalArgs, base: &Url) -> Result<HttpSettings, SettingsError> {
    Ok(HttpSettings {
        base_url: base.clone(),
        max_response_bytes: args.max_response_mib << 20,
        request_timeout: Duration::from_secs(args.http_timeout_seconds),
        max_total_wait: Duration::from_secs(args.max_retry_wait_seconds),
        backoff_base: Duration::from_millis(args.retry_backoff_base_ms.max(1)),
        requests_per_hour: (args.requests_per_hour > 0).then_some(args.requests_per_hour),
        network: NetworkSettings::from_env()?,
        ..HttpSettings::for_base_url(base.clone())
    })
}

/// The plugin's sandbox limits.
pub fn limits(args: &GlobalArgs) -> Limits {
    Limits {
        memory_bytes: args.memory_limit_mib << 20,
        cpu_per_call: Duration::from_secs(args.cpu_limit_seconds),
        wall_per_call: Duration::from_secs(args.call_timeout_seconds),
    }
}

/// The plugin's non-secret configuration (`config.get`).
pub fn plugin_config(
    args: &GlobalArgs,
    base: &Url,
    credential: Option<&Credential>,
) -> BTreeMap<String, String> {
    let mut config = BTreeMap::new();
    config.insert(
        "base-url".to_string(),
        base.as_str().trim_end_matches('/').to_string(),
    );
    let workspaces: Vec<&str> = args
        .workspaces
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .collect();
    config.insert("workspaces".to_string(), workspaces.join(","));
    config.insert(
        "skip-user-status".to_string(),
        args.skip_user_status.to_string(),
    );
    config.insert(
        "auth-kind".to_string(),
        credential
            .map(Credential::kind)
            .unwrap_or("none")
            .to_string(),
    );
    for (key, value) in &args.plugin_config {
        config.insert(key.clone(), value.clone());
    }
    config
}
