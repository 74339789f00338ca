//! Which of a component's credential kinds the operator gave, as the credential the host applies.

use url::Url;

use super::schema::{credential_fields, env_var, file_field, flag};
use super::values::ComponentConfig;
use crate::credentials::Credential;
use crate::runtime::types;

/// The credential in use, and the name of its kind (passed to the guest as `auth-kind`).
#[derive(Debug, Clone)]
pub struct ChosenCredential {
    /// The kind's declared name, for example `basic`.
    pub kind: String,
    /// The credential.
    pub credential: Credential,
}

/// Why the given values do not make one credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// None was given.
    #[error("no {component} credentials: give {options}")]
    None {
        /// The component.
        component: String,
        /// The ways to give one.
        options: String,
    },
    /// More than one kind was given.
    #[error("conflicting credentials: {0} were both given; use only one way to authenticate")]
    Conflict(String),
    /// Half of a kind.
    #[error("{given} needs {missing}: {description}")]
    Incomplete {
        /// The flags given.
        given: String,
        /// The flag missing, with its alternatives.
        missing: String,
        /// The missing field's description.
        description: String,
    },
    /// The token URL is not a URL.
    #[error("{flag} {url:?} is not a valid URL ({reason})")]
    TokenUrl {
        /// The token URL's flag.
        flag: String,
        /// What was given.
        url: String,
        /// Why it is wrong.
        reason: String,
    },
}

/// The fields that mark a kind as chosen: those without a default (a token URL's default
/// does not mean the operator picked OAuth).
fn choosing_fields<'a>(
    config: &ComponentConfig,
    scheme: &'a types::CredentialScheme,
) -> Vec<(&'static str, &'a str, bool)> {
    credential_fields(scheme)
        .into_iter()
        .filter(|(_, name, _)| {
            config
                .schema()
                .field(name)
                .is_some_and(|f| f.default_value.is_none())
        })
        .collect()
}

fn flags_of(fields: &[(&str, &str, bool)], joiner: &str) -> String {
    fields
        .iter()
        .map(|(_, name, _)| flag(name))
        .collect::<Vec<_>>()
        .join(joiner)
}

/// The credential the operator gave, `None` when no credential field is given at all.
pub fn choose(config: &ComponentConfig) -> Result<Option<ChosenCredential>, CredentialError> {
    let kinds = &config.schema().credential_kinds;
    let given: Vec<&types::CredentialKind> = kinds
        .iter()
        .filter(|k| {
            choosing_fields(config, &k.scheme)
                .iter()
                .any(|(_, name, _)| config.is_given(name))
        })
        .collect();
    if given.len() > 1 {
        let named: Vec<String> = given
            .iter()
            .map(|k| flags_of(&choosing_fields(config, &k.scheme), "/"))
            .collect();
        return Err(CredentialError::Conflict(named.join(" and ")));
    }
    let Some(kind) = given.first() else {
        return Ok(None);
    };
    let fields = choosing_fields(config, &kind.scheme);
    if let Some((_, missing, secret)) = fields.iter().find(|(_, name, _)| !config.is_given(name)) {
        let given: Vec<(&str, &str, bool)> = fields
            .iter()
            .copied()
            .filter(|(_, name, _)| config.is_given(name))
            .collect();
        let missing_flag = if *secret {
            format!(
                "{} (or {}, {})",
                flag(missing),
                flag(&file_field(missing)),
                env_var(missing)
            )
        } else {
            format!("{} ({})", flag(missing), env_var(missing))
        };
        return Err(CredentialError::Incomplete {
            given: flags_of(&given, " and "),
            missing: missing_flag,
            description: config
                .schema()
                .field(missing)
                .map(|f| f.description.clone())
                .unwrap_or_default(),
        });
    }
    let text = |name: &str| config.text(name).unwrap_or_default().to_string();
    let secret = |name: &str| config.secret(name).cloned().unwrap_or_default();
    let credential = match &kind.scheme {
        types::CredentialScheme::Basic(b) => Credential::Basic {
            username: text(&b.username_field),
            password: secret(&b.password_field),
        },
        types::CredentialScheme::Bearer(b) => Credential::Bearer(secret(&b.token_field)),
        types::CredentialScheme::OauthClientCredentials(o) => {
            let url = text(&o.token_url_field);
            let token_url = Url::parse(&url).map_err(|e| CredentialError::TokenUrl {
                flag: flag(&o.token_url_field),
                url: url.clone(),
                reason: e.to_string(),
            })?;
            Credential::OAuthClientCredentials {
                key: text(&o.client_id_field),
                secret: secret(&o.client_secret_field),
                token_url,
            }
        }
    };
    Ok(Some(ChosenCredential {
        kind: kind.name.clone(),
        credential,
    }))
}

/// The credential flags of every kind, for advice: `--user/--password, --api-key`.
pub fn credential_flags(config: &ComponentConfig) -> String {
    config
        .schema()
        .credential_kinds
        .iter()
        .map(|k| flags_of(&choosing_fields(config, &k.scheme), "/"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for a run that needs a credential and got none.
pub fn none_given(config: &ComponentConfig) -> CredentialError {
    let options: Vec<String> = config
        .schema()
        .credential_kinds
        .iter()
        .map(|k| {
            format!(
                "{} ({})",
                flags_of(&choosing_fields(config, &k.scheme), " and "),
                k.description
            )
        })
        .collect();
    CredentialError::None {
        component: config.schema().component.clone(),
        options: options.join(", or "),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::schema::ConfigSchema;
    use super::super::schema::tests::{bearer, metadata, text};
    use super::super::values::Given;
    use super::*;

    fn schema() -> ConfigSchema {
        let fields = vec![
            text("api-url", false, None),
            text("user", false, None),
            text("password", true, None),
            text("api-key", true, None),
        ];
        let basic = types::CredentialKind {
            name: "basic".into(),
            description: "a user and password".into(),
            scheme: types::CredentialScheme::Basic(types::BasicCredential {
                username_field: "user".into(),
                password_field: "password".into(),
            }),
        };
        ConfigSchema::new("p", &metadata(fields, vec![basic, bearer("api-key")]), &[]).unwrap()
    }

    fn config(pairs: &[(&str, &str)]) -> ComponentConfig {
        let given = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Given::Text(v.to_string())))
            .collect::<BTreeMap<_, _>>();
        ComponentConfig::new(&schema(), given).unwrap()
    }

    #[test]
    fn one_complete_kind_is_the_credential() {
        let c = choose(&config(&[("api-key", "k")])).unwrap().unwrap();
        assert_eq!(c.kind, "bearer");
        assert!(matches!(c.credential, Credential::Bearer(_)));
        let c = choose(&config(&[("user", "u"), ("password", "p")]))
            .unwrap()
            .unwrap();
        assert_eq!(c.kind, "basic");
        assert!(choose(&config(&[("api-url", "x")])).unwrap().is_none());
    }

    #[test]
    fn conflicts_and_halves_name_their_flags() {
        let err = choose(&config(&[
            ("user", "u"),
            ("password", "p"),
            ("api-key", "k"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("--user/--password and --api-key"), "{err}");
        let err = choose(&config(&[("user", "u")])).unwrap_err().to_string();
        assert!(
            err.contains("--user needs --password (or --password-file, BATON_PASSWORD)"),
            "{err}"
        );
        let err = none_given(&config(&[])).to_string();
        assert_eq!(
            err,
            "no Thing credentials: give --user and --password (a user and password), or --api-key (an API key)"
        );
    }
}
