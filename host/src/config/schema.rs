//! A component's configuration schema, as its metadata declares it, checked once: field names,
//! the flags and `BATON_*` variables derived from them (the Baton SDK's convention), and the
//! credential kinds and origins that refer to them.

use crate::runtime::types;

/// Why a component's declaration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A field name that cannot be a flag.
    #[error(
        "plugin {plugin} declares the configuration field {name:?}; field names must be kebab-case \
         (lower-case letters, digits and single dashes, starting with a letter)"
    )]
    BadName {
        /// The plugin's name.
        plugin: String,
        /// The name declared.
        name: String,
    },
    /// Two fields with one name, or a field named like one of the host's own flags.
    #[error(
        "plugin {plugin} declares the configuration field `{name}` {why}; rename it in the component"
    )]
    Clash {
        /// The plugin's name.
        plugin: String,
        /// The field.
        name: String,
        /// Twice, or which host flag it shadows.
        why: String,
    },
    /// A credential kind or origin naming a field that is not declared or of the wrong sort.
    #[error("plugin {plugin} declares {what}; fix the component's metadata")]
    BadReference {
        /// The plugin's name.
        plugin: String,
        /// What is wrong.
        what: String,
    },
}

/// The flag of a field: `--<name>`.
pub fn flag(name: &str) -> String {
    format!("--{name}")
}

/// The environment variable of a field: `BATON_<NAME>` with `-` as `_`.
pub fn env_var(name: &str) -> String {
    format!("BATON_{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// The companion of a secret field that names a file holding it: `<name>-file`.
pub fn file_field(name: &str) -> String {
    format!("{name}-file")
}

fn kebab_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// A checked declaration: the fields, the credential kinds and the origins of one component.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigSchema {
    /// The component's display name, for messages.
    pub component: String,
    /// The fields, in the component's order.
    pub fields: Vec<types::ConfigField>,
    /// The credential kinds, in the component's order of preference.
    pub credential_kinds: Vec<types::CredentialKind>,
    /// The origins the guest may reach.
    pub origins: Vec<types::Origin>,
}

impl ConfigSchema {
    /// Checks `metadata`'s declaration. `reserved` are the host's own flag names (without
    /// dashes), which a field may not take.
    pub fn new(
        plugin: &str,
        metadata: &types::Metadata,
        reserved: &[&str],
    ) -> Result<ConfigSchema, SchemaError> {
        let schema = ConfigSchema {
            component: metadata.display_name.clone(),
            fields: metadata.config_fields.clone(),
            credential_kinds: metadata.credential_kinds.clone(),
            origins: metadata.origins.clone(),
        };
        let clash = |name: &str, why: String| SchemaError::Clash {
            plugin: plugin.to_string(),
            name: name.to_string(),
            why,
        };
        let bad = |what: String| SchemaError::BadReference {
            plugin: plugin.to_string(),
            what,
        };
        for (i, f) in schema.fields.iter().enumerate() {
            if !kebab_case(&f.name) {
                return Err(SchemaError::BadName {
                    plugin: plugin.to_string(),
                    name: f.name.clone(),
                });
            }
            if schema.fields[..i].iter().any(|g| g.name == f.name) {
                return Err(clash(&f.name, "twice".into()));
            }
            let taken = |n: &str| reserved.contains(&n) || n == "auth-kind";
            if taken(&f.name) || (f.secret && taken(&file_field(&f.name))) {
                return Err(clash(&f.name, "like one of the host's own settings".into()));
            }
            if f.secret && schema.fields.iter().any(|g| g.name == file_field(&f.name)) {
                return Err(clash(
                    &file_field(&f.name),
                    format!("beside the secret field `{}`", f.name),
                ));
            }
        }
        let field = |name: &str| schema.fields.iter().find(|f| f.name == name);
        for kind in &schema.credential_kinds {
            for (role, name, must_be_secret) in credential_fields(&kind.scheme) {
                match field(name) {
                    None => {
                        return Err(bad(format!(
                            "the credential kind `{}` whose {role} is the undeclared field `{name}`",
                            kind.name
                        )));
                    }
                    Some(f) if must_be_secret && !f.secret => {
                        return Err(bad(format!(
                            "the credential kind `{}` whose {role} `{name}` is not a secret field",
                            kind.name
                        )));
                    }
                    Some(_) => {}
                }
            }
        }
        for origin in &schema.origins {
            if let types::Origin::FromField(name) = origin {
                match field(name) {
                    Some(f) if !f.secret => {}
                    _ => {
                        return Err(bad(format!(
                            "an origin from `{name}`, which is not a declared non-secret field"
                        )));
                    }
                }
            }
        }
        Ok(schema)
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&types::ConfigField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// The fields a credential kind uses: (role, field, must be secret).
pub fn credential_fields(scheme: &types::CredentialScheme) -> Vec<(&'static str, &str, bool)> {
    match scheme {
        types::CredentialScheme::Basic(b) => vec![
            ("user name", b.username_field.as_str(), false),
            ("password", b.password_field.as_str(), true),
        ],
        types::CredentialScheme::Bearer(b) => vec![("token", b.token_field.as_str(), true)],
        types::CredentialScheme::OauthClientCredentials(o) => vec![
            ("client id", o.client_id_field.as_str(), false),
            ("client secret", o.client_secret_field.as_str(), true),
            ("token URL", o.token_url_field.as_str(), false),
        ],
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn text(name: &str, secret: bool, default: Option<&str>) -> types::ConfigField {
        types::ConfigField {
            name: name.into(),
            description: format!("The {name}."),
            field_type: types::FieldType::Text,
            default_value: default.map(str::to_string),
            required: false,
            secret,
            group: types::FieldGroup::Connection,
        }
    }

    pub(crate) fn metadata(
        fields: Vec<types::ConfigField>,
        kinds: Vec<types::CredentialKind>,
    ) -> types::Metadata {
        types::Metadata {
            display_name: "Thing".into(),
            description: "A thing.".into(),
            version: "1".into(),
            config_fields: fields,
            credential_kinds: kinds,
            origins: vec![types::Origin::FromField("api-url".into())],
            provisioning: vec![],
        }
    }

    pub(crate) fn bearer(field: &str) -> types::CredentialKind {
        types::CredentialKind {
            name: "bearer".into(),
            description: "an API key".into(),
            scheme: types::CredentialScheme::Bearer(types::BearerCredential {
                token_field: field.into(),
            }),
        }
    }

    #[test]
    fn names_become_baton_flags_and_variables() {
        assert_eq!(flag("app-password"), "--app-password");
        assert_eq!(env_var("app-password"), "BATON_APP_PASSWORD");
        assert_eq!(file_field("app-password"), "app-password-file");
        assert!(kebab_case("base-url") && kebab_case("a1"));
        for bad in ["Base", "base_url", "-x", "x-", "a--b", "", "1a"] {
            assert!(!kebab_case(bad), "{bad}");
        }
    }

    #[test]
    fn a_declaration_is_checked() {
        let ok = metadata(
            vec![text("api-url", false, None), text("api-key", true, None)],
            vec![bearer("api-key")],
        );
        assert!(ConfigSchema::new("p", &ok, &["file"]).is_ok());
        let not_secret = metadata(
            vec![text("api-url", false, None), text("api-key", false, None)],
            vec![bearer("api-key")],
        );
        assert!(matches!(
            ConfigSchema::new("p", &not_secret, &[]),
            Err(SchemaError::BadReference { .. })
        ));
        let missing = metadata(vec![text("api-url", false, None)], vec![bearer("api-key")]);
        assert!(ConfigSchema::new("p", &missing, &[]).is_err());
        let shadows = metadata(
            vec![text("api-url", false, None), text("file", false, None)],
            vec![],
        );
        let err = ConfigSchema::new("p", &shadows, &["file"]).unwrap_err();
        assert!(err.to_string().contains("host's own"), "{err}");
        let twice = metadata(
            vec![text("api-url", false, None), text("api-url", false, None)],
            vec![],
        );
        assert!(ConfigSchema::new("p", &twice, &[]).is_err());
        let bad_name = metadata(
            vec![text("api-url", false, None), text("API_KEY", false, None)],
            vec![],
        );
        assert!(matches!(
            ConfigSchema::new("p", &bad_name, &[]),
            Err(SchemaError::BadName { .. })
        ));
        let secret_origin = metadata(vec![text("api-url", true, None)], vec![]);
        assert!(ConfigSchema::new("p", &secret_origin, &[]).is_err());
    }
}
