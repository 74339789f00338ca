//! The configuration: the fields the component declares (the host builds its flags and
//! `BATON_*` variables from them, so the names are the public connector's flags), its
//! credential kinds and origins, and the typed settings an instance reads from it.

use connector_sdk::{
    Config, ConfigField, ConnectorError, CredentialKind, FieldGroup, FieldType, Origin,
};

use crate::ids::norm;

/// Basic auth user name: the Atlassian account e-mail.
pub const USERNAME: &str = "username";
/// Basic auth password: an Atlassian API token or a legacy app password.
pub const APP_PASSWORD: &str = "app-password";
/// A workspace, project or repository access token.
pub const TOKEN: &str = "token";
/// OAuth consumer key.
pub const CONSUMER_KEY: &str = "consumer-key";
/// OAuth consumer secret.
pub const CONSUMER_SECRET: &str = "consumer-secret";
/// OAuth token endpoint.
pub const OAUTH_TOKEN_URL: &str = "oauth-token-url";
/// The API's base URL.
pub const BASE_URL: &str = "base-url";
/// The workspaces to sync.
pub const WORKSPACES: &str = "workspaces";
/// Whether to skip per-user account status lookups.
pub const SKIP_USER_STATUS: &str = "skip-user-status";

/// The API's base URL when none is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.bitbucket.org";
/// Bitbucket's OAuth token endpoint.
pub const DEFAULT_OAUTH_TOKEN_URL: &str = "https://bitbucket.org/site/oauth2/access_token";

/// The configuration fields, as declared in the metadata.
pub fn config_fields() -> Vec<ConfigField> {
    use FieldGroup::{Connection, Sync};
    use FieldType::{Boolean, Text, TextList};
    vec![
        ConfigField::new(
            USERNAME,
            Text,
            Connection,
            "Bitbucket username for Basic auth: your Atlassian account email when using an API token.",
        ),
        ConfigField::new(
            APP_PASSWORD,
            Text,
            Connection,
            "Atlassian API token (or a legacy app password) for --username.",
        )
        .secret(),
        ConfigField::new(
            TOKEN,
            Text,
            Connection,
            "Workspace, project or repository access token (sent as Bearer).",
        )
        .secret(),
        ConfigField::new(
            CONSUMER_KEY,
            Text,
            Connection,
            "OAuth consumer key (client credentials grant).",
        ),
        ConfigField::new(CONSUMER_SECRET, Text, Connection, "OAuth consumer secret.").secret(),
        ConfigField::new(
            OAUTH_TOKEN_URL,
            Text,
            Connection,
            "OAuth token endpoint for --consumer-key/--consumer-secret.",
        )
        .with_default(DEFAULT_OAUTH_TOKEN_URL),
        ConfigField::new(
            BASE_URL,
            Text,
            Connection,
            "Bitbucket API base URL; only this host is reachable.",
        )
        .with_default(DEFAULT_BASE_URL),
        ConfigField::new(
            WORKSPACES,
            TextList,
            Sync,
            "Limit syncing to these workspaces (slugs or {uuids}, comma-separated); all when empty.",
        ),
        ConfigField::new(
            SKIP_USER_STATUS,
            Boolean,
            Sync,
            "Don't look up account status for users whose listing lacks it (status is then unspecified).",
        )
        .with_default("false"),
    ]
}

/// The credential kinds, in order of preference.
pub fn credential_kinds() -> Vec<CredentialKind> {
    vec![
        CredentialKind::basic(
            AuthKind::Basic.name(),
            "an Atlassian API token with your account email",
            USERNAME,
            APP_PASSWORD,
        ),
        CredentialKind::bearer(
            AuthKind::Bearer.name(),
            "a workspace, project or repository access token",
            TOKEN,
        ),
        CredentialKind::oauth_client_credentials(
            AuthKind::Oauth.name(),
            "an OAuth consumer",
            CONSUMER_KEY,
            CONSUMER_SECRET,
            OAUTH_TOKEN_URL,
        ),
    ]
}

/// The origins requests may go to: the base URL's only; the host fetches OAuth tokens itself.
pub fn origins() -> Vec<Origin> {
    vec![Origin::FromField(BASE_URL.to_string())]
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
    /// The credential kind's name, as declared and as the host passes it.
    pub fn name(self) -> &'static str {
        match self {
            AuthKind::Basic => "basic",
            AuthKind::Bearer => "bearer",
            AuthKind::Oauth => "oauth",
        }
    }

    /// The kind named by `auth-kind`; Basic when not given.
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

/// The settings an instance reads from the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The API's base URL, as configured.
    pub base_url: String,
    /// Configured workspace slugs or uuids, as written; empty = all.
    pub workspaces: Vec<String>,
    /// No account status lookups for users whose listing lacks it.
    pub skip_user_status: bool,
    /// The credential kind in use.
    pub auth: AuthKind,
}

impl Settings {
    /// The settings of a configuration, or an invalid-argument error naming the bad value.
    pub fn from_config(config: &Config) -> Result<Settings, ConnectorError> {
        let base_url = config
            .text(BASE_URL)
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let workspaces = parse_workspace_list(config.get(WORKSPACES).as_deref().unwrap_or(""));
        let skip_user_status = config.flag(SKIP_USER_STATUS)?;
        let auth = AuthKind::parse(config.auth_kind().as_deref())?;
        Ok(Settings {
            base_url,
            workspaces,
            skip_user_status,
            auth,
        })
    }
}

/// Splits `a, b,{uuid}` into entries; blanks dropped, duplicates (by slug or uuid) kept once.
pub fn parse_workspace_list(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split([',', ' ', '\n']) {
        let p = part.trim();
        if !p.is_empty() && !out.iter().any(|o| norm(o) == norm(p)) {
            out.push(p.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse() {
        let s = Settings::from_config(&Config::new(|k| match k {
            "workspaces" => Some(" acme, {b-2} ,,acme".into()),
            "skip-user-status" => Some("TRUE".into()),
            "auth-kind" => Some("oauth".into()),
            _ => None,
        }))
        .unwrap();
        assert_eq!(s.workspaces, vec!["acme".to_string(), "{b-2}".to_string()]);
        assert!(s.skip_user_status);
        assert_eq!(s.auth, AuthKind::Oauth);
        assert_eq!(s.base_url, "https://api.bitbucket.org");
        assert!(
            Settings::from_config(&Config::from_pairs(&[("skip-user-status", "maybe")])).is_err()
        );
    }

    #[test]
    fn auth_kind_parses() {
        assert_eq!(AuthKind::parse(None).unwrap(), AuthKind::Basic);
        assert_eq!(AuthKind::parse(Some("bearer")).unwrap(), AuthKind::Bearer);
        assert_eq!(AuthKind::parse(Some("oauth")).unwrap(), AuthKind::Oauth);
        assert!(AuthKind::parse(Some("token")).is_err());
        for kind in credential_kinds() {
            assert_eq!(AuthKind::parse(Some(&kind.name)).unwrap().name(), kind.name);
        }
    }

    #[test]
    fn every_field_a_credential_names_is_declared() {
        let fields: Vec<String> = config_fields().into_iter().map(|f| f.name).collect();
        for kind in credential_kinds() {
            let named = match kind.scheme {
                connector_sdk::CredentialScheme::Basic {
                    username_field,
                    password_field,
                } => vec![username_field, password_field],
                connector_sdk::CredentialScheme::Bearer { token_field } => vec![token_field],
                connector_sdk::CredentialScheme::OauthClientCredentials {
                    client_id_field,
                    client_secret_field,
                    token_url_field,
                } => vec![client_id_field, client_secret_field, token_url_field],
            };
            for f in named {
                assert!(fields.contains(&f), "{} names {f}", kind.name);
            }
        }
        assert_eq!(origins(), vec![Origin::FromField("base-url".into())]);
    }
}
