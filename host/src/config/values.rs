//! A component's configuration values, checked against its schema: given by flags and `BATON_*`
//! variables, a tenant file or a task, defaults filled in, secrets loaded and kept apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::schema::{ConfigSchema, env_var, file_field, flag};
use crate::runtime::types;
use crate::secrets::{Secret, SecretError};

/// A value given for one field.
#[derive(Debug, Clone)]
pub enum Given {
    /// A plain value (for a secret field: the secret itself).
    Text(String),
    /// A secret value.
    Secret(Secret),
    /// The path of a file holding a secret field's value (`--<name>-file`).
    SecretFile(PathBuf),
}

/// Why the values do not fit the schema.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    /// A key the component does not declare (tenant files, `--plugin-config`).
    #[error("`{key}` is not a setting of {component}; its settings are: {known}")]
    Unknown {
        /// The component.
        component: String,
        /// The key given.
        key: String,
        /// The declared field names.
        known: String,
    },
    /// A value of the wrong kind.
    #[error("{flag} ({env}) {why}, got {value:?}")]
    Invalid {
        /// The field's flag.
        flag: String,
        /// The field's variable.
        env: String,
        /// What the value must be.
        why: &'static str,
        /// What was given (never for a secret).
        value: String,
    },
    /// A required field without a value.
    #[error("{component} needs {flag} ({env}): {description}")]
    Missing {
        /// The component.
        component: String,
        /// The field's flag.
        flag: String,
        /// The field's variable.
        env: String,
        /// The field's description.
        description: String,
    },
    /// A secret could not be loaded.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// A component's configuration: every non-secret field's value (given or default), for the
/// guest, and the secret fields given, for the host alone.
#[derive(Debug, Clone)]
pub struct ComponentConfig {
    schema: ConfigSchema,
    plain: BTreeMap<String, String>,
    secrets: BTreeMap<String, Secret>,
    given: BTreeSet<String>,
}

impl ComponentConfig {
    /// Checks `given` against `schema` and fills in defaults.
    pub fn new(
        schema: &ConfigSchema,
        given: BTreeMap<String, Given>,
    ) -> Result<ComponentConfig, ValueError> {
        let mut config = ComponentConfig {
            schema: schema.clone(),
            plain: BTreeMap::new(),
            secrets: BTreeMap::new(),
            given: BTreeSet::new(),
        };
        for (key, value) in given {
            let field = schema.field(&key).ok_or_else(|| ValueError::Unknown {
                component: schema.component.clone(),
                key: key.clone(),
                known: schema
                    .fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            if field.secret {
                let (inline, file) = match value {
                    Given::Text(t) => (Some(t), None),
                    Given::Secret(s) => (Some(s.expose().to_string()), None),
                    Given::SecretFile(p) => (None, Some(p)),
                };
                if let Some(secret) = Secret::from_value_or_file(inline, file, &key)? {
                    config.secrets.insert(key.clone(), secret);
                    config.given.insert(key);
                }
                continue;
            }
            let text = match value {
                Given::Text(t) => t,
                Given::Secret(s) => s.expose().to_string(),
                Given::SecretFile(_) => {
                    return Err(ValueError::Invalid {
                        flag: flag(&key),
                        env: env_var(&key),
                        why: "is not a secret, so it cannot come from a file",
                        value: String::new(),
                    });
                }
            };
            let value = normalise(field, &text)?;
            config.plain.insert(key.clone(), value);
            config.given.insert(key);
        }
        for field in &schema.fields {
            if field.secret || config.plain.contains_key(&field.name) {
                continue;
            }
            match &field.default_value {
                Some(d) => {
                    config.plain.insert(field.name.clone(), d.clone());
                }
                None if field.required => {
                    return Err(ValueError::Missing {
                        component: schema.component.clone(),
                        flag: flag(&field.name),
                        env: env_var(&field.name),
                        description: field.description.clone(),
                    });
                }
                None => {}
            }
        }
        for field in schema.fields.iter().filter(|f| f.secret && f.required) {
            if !config.secrets.contains_key(&field.name) {
                return Err(ValueError::Missing {
                    component: schema.component.clone(),
                    flag: format!(
                        "{} (or {})",
                        flag(&field.name),
                        flag(&file_field(&field.name))
                    ),
                    env: env_var(&field.name),
                    description: field.description.clone(),
                });
            }
        }
        Ok(config)
    }

    /// The schema the values were checked against.
    pub fn schema(&self) -> &ConfigSchema {
        &self.schema
    }

    /// Every non-secret field's value, given or default: what the guest may read.
    pub fn plain(&self) -> &BTreeMap<String, String> {
        &self.plain
    }

    /// A non-secret field's value, given or default.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.plain.get(name).map(String::as_str)
    }

    /// A secret field's value, when given.
    pub fn secret(&self, name: &str) -> Option<&Secret> {
        self.secrets.get(name)
    }

    /// Whether the operator gave the field (a default does not count).
    pub fn is_given(&self, name: &str) -> bool {
        self.given.contains(name)
    }
}

/// A non-secret value in the form the guest reads: booleans `true`/`false`, integers in decimal,
/// lists comma-separated without blanks.
fn normalise(field: &types::ConfigField, text: &str) -> Result<String, ValueError> {
    let invalid = |why| ValueError::Invalid {
        flag: flag(&field.name),
        env: env_var(&field.name),
        why,
        value: text.to_string(),
    };
    Ok(match field.field_type {
        types::FieldType::Text => text.to_string(),
        types::FieldType::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => "true".into(),
            "false" | "0" | "no" | "off" | "" => "false".into(),
            _ => return Err(invalid("must be true or false")),
        },
        types::FieldType::Integer => text
            .trim()
            .parse::<i64>()
            .map_err(|_| invalid("must be a whole number"))?
            .to_string(),
        types::FieldType::TextList => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(","),
    })
}

#[cfg(test)]
mod tests {
    use super::super::schema::tests::{bearer, metadata, text};
    use super::*;

    fn schema() -> ConfigSchema {
        let mut fields = vec![
            text("api-url", false, Some("https://api.example.com")),
            text("api-key", true, None),
        ];
        fields.push(types::ConfigField {
            field_type: types::FieldType::TextList,
            ..text("projects", false, None)
        });
        fields.push(types::ConfigField {
            field_type: types::FieldType::Boolean,
            ..text("verbose", false, Some("false"))
        });
        ConfigSchema::new("p", &metadata(fields, vec![bearer("api-key")]), &[]).unwrap()
    }

    #[test]
    fn defaults_fill_in_and_secrets_stay_apart() {
        let given = BTreeMap::from([
            ("api-key".to_string(), Given::Text("s3cret".into())),
            ("projects".to_string(), Given::Text(" a, ,b ".into())),
            ("verbose".to_string(), Given::Text("YES".into())),
        ]);
        let c = ComponentConfig::new(&schema(), given).unwrap();
        assert_eq!(c.text("api-url"), Some("https://api.example.com"));
        assert_eq!(c.text("projects"), Some("a,b"));
        assert_eq!(c.text("verbose"), Some("true"));
        assert!(!c.plain().contains_key("api-key"));
        assert_eq!(c.secret("api-key").unwrap().expose(), "s3cret");
        assert!(c.is_given("api-key") && !c.is_given("api-url"));
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn bad_values_are_explained() {
        let unknown = BTreeMap::from([("nope".to_string(), Given::Text("x".into()))]);
        let err = ComponentConfig::new(&schema(), unknown).unwrap_err();
        assert!(err.to_string().contains("api-url, api-key"), "{err}");
        let bad = BTreeMap::from([("verbose".to_string(), Given::Text("maybe".into()))]);
        let err = ComponentConfig::new(&schema(), bad)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--verbose") && err.contains("BATON_VERBOSE"),
            "{err}"
        );
        let mut s = schema();
        s.fields[0].default_value = None;
        s.fields[0].required = true;
        let err = ComponentConfig::new(&s, BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs --api-url (BATON_API_URL)"), "{err}");
    }
}
