//! The Bitbucket connector as the SDK sees it: what it declares about itself, how an instance
//! is made from the configuration, what `validate` checks, and its resource types.

use std::rc::Rc;

use connector_sdk::{Config, Connector, ConnectorError, Metadata, ResourceSyncer, Transport};

use crate::instance::Bitbucket;
use crate::resources::SYNCERS;
use crate::settings::{self, Settings};

impl Connector for Bitbucket {
    fn metadata() -> Metadata {
        Metadata {
            config_fields: settings::config_fields(),
            credential_kinds: settings::credential_kinds(),
            origins: settings::origins(),
            ..Metadata::new(
                "Bitbucket",
                "Syncs Bitbucket Cloud workspaces, users, user groups, projects and repositories \
with their memberships and permissions, and provisions group membership and project and \
repository permissions.",
                env!("CARGO_PKG_VERSION"),
            )
        }
    }

    fn syncers() -> &'static [&'static dyn ResourceSyncer<Self>] {
        SYNCERS
    }

    fn new(transport: Rc<dyn Transport>, config: &Config) -> Result<Self, ConnectorError> {
        Bitbucket::with_settings(transport, Settings::from_config(config)?)
    }

    /// Fails only when nothing at all is readable; reads (and caches) the workspaces and their
    /// details, which the sync needs first.
    fn validate(&mut self) -> Result<(), ConnectorError> {
        let wss = self.workspaces()?;
        if wss.is_empty() {
            return Err(ConnectorError::PermissionDenied(
                "the credential is not a member of any Bitbucket workspace, so there is nothing \
to sync"
                    .to_string(),
            ));
        }
        for ws in wss.iter() {
            self.workspace_detail(ws)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use connector_sdk::{
        Component, CredentialKind, Dispatcher, FieldGroup, FieldType, Origin, Provisioning,
    };

    use super::*;

    fn provisioning(t: &str, slugs: &[&str], principals: &[&str]) -> Provisioning {
        Provisioning {
            resource_type: t.into(),
            slugs: slugs.iter().map(|s| s.to_string()).collect(),
            principal_types: principals.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// name, type, default, required, secret, group, description.
    type Row<'a> = (
        &'a str,
        FieldType,
        Option<&'a str>,
        bool,
        bool,
        FieldGroup,
        &'a str,
    );

    #[test]
    fn the_metadata_declares_todays_flags_credentials_origin_and_provisioning() {
        use FieldGroup::{Connection, Sync};
        use FieldType::{Boolean, Text, TextList};
        let m = Dispatcher::<Bitbucket>::metadata();
        assert_eq!(m.display_name, "Bitbucket");
        let fields: Vec<Row> = m
            .config_fields
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.field_type,
                    f.default_value.as_deref(),
                    f.required,
                    f.secret,
                    f.group,
                    f.description.as_str(),
                )
            })
            .collect();
        let expected: Vec<Row> = vec![
            (
                "username",
                Text,
                None,
                false,
                false,
                Connection,
                "Bitbucket username for Basic auth: your Atlassian account email when using an API token.",
            ),
            (
                "app-password",
                Text,
                None,
                false,
                true,
                Connection,
                "Atlassian API token (or a legacy app password) for --username.",
            ),
            (
                "token",
                Text,
                None,
                false,
                true,
                Connection,
                "Workspace, project or repository access token (sent as Bearer).",
            ),
            (
                "consumer-key",
                Text,
                None,
                false,
                false,
                Connection,
                "OAuth consumer key (client credentials grant).",
            ),
            (
                "consumer-secret",
                Text,
                None,
                false,
                true,
                Connection,
                "OAuth consumer secret.",
            ),
            (
                "oauth-token-url",
                Text,
                Some("https://bitbucket.org/site/oauth2/access_token"),
                false,
                false,
                Connection,
                "OAuth token endpoint for --consumer-key/--consumer-secret.",
            ),
            (
                "base-url",
                Text,
                Some("https://api.bitbucket.org"),
                false,
                false,
                Connection,
                "Bitbucket API base URL; only this host is reachable.",
            ),
            (
                "workspaces",
                TextList,
                None,
                false,
                false,
                Sync,
                "Limit syncing to these workspaces (slugs or {uuids}, comma-separated); all when empty.",
            ),
            (
                "skip-user-status",
                Boolean,
                Some("false"),
                false,
                false,
                Sync,
                "Don't look up account status for users whose listing lacks it (status is then unspecified).",
            ),
        ];
        assert_eq!(fields, expected);
        assert_eq!(
            m.credential_kinds,
            vec![
                CredentialKind::basic(
                    "basic",
                    "an Atlassian API token with your account email",
                    "username",
                    "app-password"
                ),
                CredentialKind::bearer(
                    "bearer",
                    "a workspace, project or repository access token",
                    "token"
                ),
                CredentialKind::oauth_client_credentials(
                    "oauth",
                    "an OAuth consumer",
                    "consumer-key",
                    "consumer-secret",
                    "oauth-token-url"
                ),
            ]
        );
        assert_eq!(m.origins, vec![Origin::FromField("base-url".into())]);
        assert_eq!(
            m.provisioning,
            vec![
                provisioning("user_group", &["member"], &["user"]),
                provisioning(
                    "project",
                    &["read", "write", "create-repo", "admin"],
                    &["user", "user_group"]
                ),
                provisioning(
                    "repository",
                    &["read", "write", "admin"],
                    &["user", "user_group"]
                ),
            ]
        );
    }

    #[test]
    fn resource_types_answer_whatever_the_configuration() {
        struct Nowhere;
        impl Transport for Nowhere {
            fn send(
                &self,
                _: &connector_sdk::HttpRequest,
            ) -> Result<connector_sdk::HttpResponse, connector_sdk::HttpError> {
                Err(connector_sdk::HttpError::Denied(
                    "no requests in this test".into(),
                ))
            }
            fn log(&self, _: connector_sdk::LogLevel, _: &str) {}
        }
        // The host passes `auth-kind=none` without a credential, which a sync refuses.
        let config = Config::from_pairs(&[("auth-kind", "none")]);
        let mut c = <Dispatcher<Bitbucket> as Component>::new(Rc::new(Nowhere), config);
        let types: Vec<String> = c
            .resource_types()
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(
            types,
            vec!["workspace", "user", "user_group", "project", "repository"]
        );
        assert_eq!(
            c.validate(),
            Err(ConnectorError::InvalidArgument(
                "auth-kind 'none' is not one of basic, bearer, oauth".into()
            ))
        );
    }
}
