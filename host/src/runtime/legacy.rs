//! The declaration of a 0.1.0 component: its own name, description and version, with the
//! configuration the 0.1.0 host gave every component (`wit/since_v0.1.0/host-configuration.json`)
//! and a text field for each further key it says it reads.

use serde::Deserialize;

use super::bindings::types;

/// The 0.1.0 host's fixed configuration, frozen beside the 0.1.0 contract.
const HOST_CONFIGURATION: &str = include_str!("../../../wit/since_v0.1.0/host-configuration.json");

#[derive(Deserialize)]
struct HostConfiguration {
    fields: Vec<Field>,
    credential_kinds: Vec<Kind>,
    origins: Vec<Origin>,
}

#[derive(Deserialize)]
struct Field {
    name: String,
    description: String,
    #[serde(rename = "type")]
    field_type: String,
    secret: bool,
    group: String,
    #[serde(default)]
    default: Option<String>,
}

#[derive(Deserialize)]
struct Kind {
    name: String,
    description: String,
    #[serde(default)]
    basic: Option<Basic>,
    #[serde(default)]
    bearer: Option<Bearer>,
    #[serde(default)]
    oauth: Option<OAuth>,
}

#[derive(Deserialize)]
struct Basic {
    username_field: String,
    password_field: String,
}

#[derive(Deserialize)]
struct Bearer {
    token_field: String,
}

#[derive(Deserialize)]
struct OAuth {
    client_id_field: String,
    client_secret_field: String,
    token_url_field: String,
}

#[derive(Deserialize)]
struct Origin {
    from_field: String,
}

fn field_type(name: &str) -> types::FieldType {
    match name {
        "boolean" => types::FieldType::Boolean,
        "integer" => types::FieldType::Integer,
        "text-list" => types::FieldType::TextList,
        _ => types::FieldType::Text,
    }
}

/// The full declaration of a 0.1.0 component whose metadata says `name`, `description`,
/// `version` and reads `config_keys`.
pub fn metadata(
    display_name: String,
    description: String,
    version: String,
    config_keys: &[String],
) -> types::Metadata {
    let fixed: HostConfiguration =
        serde_json::from_str(HOST_CONFIGURATION).expect("the frozen 0.1.0 configuration parses");
    let mut config_fields: Vec<types::ConfigField> = fixed
        .fields
        .into_iter()
        .map(|f| types::ConfigField {
            name: f.name,
            description: f.description,
            field_type: field_type(&f.field_type),
            default_value: f.default,
            required: false,
            secret: f.secret,
            group: if f.group == "sync" {
                types::FieldGroup::Sync
            } else {
                types::FieldGroup::Connection
            },
        })
        .collect();
    for key in config_keys {
        // `auth-kind` is the host's to set, as in 0.1.0.
        if key != "auth-kind" && !config_fields.iter().any(|f| &f.name == key) {
            config_fields.push(types::ConfigField {
                name: key.clone(),
                description: format!("The component's `{key}` setting."),
                field_type: types::FieldType::Text,
                default_value: None,
                required: false,
                secret: false,
                group: types::FieldGroup::Sync,
            });
        }
    }
    let credential_kinds = fixed
        .credential_kinds
        .into_iter()
        .filter_map(|k| {
            let scheme = if let Some(b) = k.basic {
                types::CredentialScheme::Basic(types::BasicCredential {
                    username_field: b.username_field,
                    password_field: b.password_field,
                })
            } else if let Some(b) = k.bearer {
                types::CredentialScheme::Bearer(types::BearerCredential {
                    token_field: b.token_field,
                })
            } else {
                let o = k.oauth?;
                types::CredentialScheme::OauthClientCredentials(types::OauthClientCredential {
                    client_id_field: o.client_id_field,
                    client_secret_field: o.client_secret_field,
                    token_url_field: o.token_url_field,
                })
            };
            Some(types::CredentialKind {
                name: k.name,
                description: k.description,
                scheme,
            })
        })
        .collect();
    types::Metadata {
        display_name,
        description,
        version,
        config_fields,
        credential_kinds,
        origins: fixed
            .origins
            .into_iter()
            .map(|o| types::Origin::FromField(o.from_field))
            .collect(),
        // 0.1.0 could not say; its components are taken as sync-only.
        provisioning: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_component_gets_the_fixed_fields_and_its_own_keys() {
        let m = metadata(
            "Old".into(),
            "An old one.".into(),
            "1.0.0".into(),
            &["base-url".into(), "fixture".into(), "auth-kind".into()],
        );
        let names: Vec<&str> = m.config_fields.iter().map(|f| f.name.as_str()).collect();
        assert!(names.starts_with(&["username", "app-password", "token"]));
        assert_eq!(names.last(), Some(&"fixture"));
        assert!(!names.contains(&"auth-kind"));
        assert_eq!(names.iter().filter(|n| **n == "base-url").count(), 1);
        assert_eq!(m.credential_kinds.len(), 3);
        assert!(
            m.config_fields.iter().filter(|f| f.secret).all(|f| [
                "app-password",
                "token",
                "consumer-secret"
            ]
            .contains(&f.name.as_str()))
        );
        assert_eq!(m.origins, vec![types::Origin::FromField("base-url".into())]);
    }
}
