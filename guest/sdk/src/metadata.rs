//! What a component declares about itself (WIT `metadata`): its configuration fields, its
//! credential kinds, the origins it may reach and what it can provision. The host builds its
//! flags, `BATON_*` variables, credential handling and HTTP allow-list from it.

/// What the connector is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// Product name, for example `Bitbucket`.
    pub display_name: String,
    /// One sentence describing what it syncs.
    pub description: String,
    /// The connector's own version.
    pub version: String,
    /// Its configuration fields: the credential fields and the settings read through `config`.
    pub config_fields: Vec<ConfigField>,
    /// The ways to authenticate, in order of preference.
    pub credential_kinds: Vec<CredentialKind>,
    /// Every origin the guest may reach; anything else is refused.
    pub origins: Vec<Origin>,
    /// What can be provisioned, per resource type; a type not listed is sync-only.
    pub provisioning: Vec<Provisioning>,
}

impl Metadata {
    /// Metadata with a name, a description and a version, and nothing declared yet.
    pub fn new(display_name: &str, description: &str, version: &str) -> Self {
        Metadata {
            display_name: display_name.to_string(),
            description: description.to_string(),
            version: version.to_string(),
            config_fields: Vec::new(),
            credential_kinds: Vec::new(),
            origins: Vec::new(),
            provisioning: Vec::new(),
        }
    }
}

/// The kind of value a configuration field holds. Values reach the guest as strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Free text.
    Text,
    /// `true` or `false`.
    Boolean,
    /// A whole number, in decimal.
    Integer,
    /// A comma-separated list of text values.
    TextList,
}

/// Where a field belongs in the operator's help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldGroup {
    /// Where the service is and how to authenticate to it.
    Connection,
    /// What to sync.
    Sync,
}

/// One configuration field, as Baton's `config_schema.json` describes fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigField {
    /// Kebab-case name, for example `app-password`; the host derives `--<name>` and `BATON_<NAME>`.
    pub name: String,
    /// One sentence for the operator's help.
    pub description: String,
    /// The kind of value.
    pub field_type: FieldType,
    /// The value used when none is given, if any.
    pub default_value: Option<String>,
    /// Whether a value must be given.
    pub required: bool,
    /// A secret: the host keeps it to itself and never passes it to the guest.
    pub secret: bool,
    /// Where it belongs in the help.
    pub group: FieldGroup,
}

impl ConfigField {
    /// An optional, non-secret field without a default.
    pub fn new(name: &str, field_type: FieldType, group: FieldGroup, description: &str) -> Self {
        ConfigField {
            name: name.to_string(),
            description: description.to_string(),
            field_type,
            default_value: None,
            required: false,
            secret: false,
            group,
        }
    }

    /// The field with a default value.
    pub fn with_default(mut self, value: &str) -> Self {
        self.default_value = Some(value.to_string());
        self
    }

    /// The field, required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The field, secret.
    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
}

/// How the host authenticates requests with a credential kind; every `*_field` names a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialScheme {
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The field holding the user name.
        username_field: String,
        /// The (secret) field holding the password or token.
        password_field: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The (secret) field holding the token.
        token_field: String,
    },
    /// OAuth 2.0 client credentials: the host fetches, caches and refreshes bearer tokens.
    OauthClientCredentials {
        /// The field holding the client id.
        client_id_field: String,
        /// The (secret) field holding the client secret.
        client_secret_field: String,
        /// The field holding the token endpoint's URL.
        token_url_field: String,
    },
}

/// One way to authenticate. The host tells the guest which one is in use through the
/// configuration key `auth-kind` (the kind's name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialKind {
    /// Short name, for example `basic`.
    pub name: String,
    /// One sentence for the operator's help.
    pub description: String,
    /// How the host applies it.
    pub scheme: CredentialScheme,
}

impl CredentialKind {
    /// Basic authentication from a user-name field and a password field.
    pub fn basic(
        name: &str,
        description: &str,
        username_field: &str,
        password_field: &str,
    ) -> Self {
        Self::with_scheme(
            name,
            description,
            CredentialScheme::Basic {
                username_field: username_field.to_string(),
                password_field: password_field.to_string(),
            },
        )
    }

    /// A bearer token from one field.
    pub fn bearer(name: &str, description: &str, token_field: &str) -> Self {
        Self::with_scheme(
            name,
            description,
            CredentialScheme::Bearer {
                token_field: token_field.to_string(),
            },
        )
    }

    /// OAuth client credentials from two fields, exchanged at the URL in a third.
    pub fn oauth_client_credentials(
        name: &str,
        description: &str,
        client_id_field: &str,
        client_secret_field: &str,
        token_url_field: &str,
    ) -> Self {
        Self::with_scheme(
            name,
            description,
            CredentialScheme::OauthClientCredentials {
                client_id_field: client_id_field.to_string(),
                client_secret_field: client_secret_field.to_string(),
                token_url_field: token_url_field.to_string(),
            },
        )
    }

    fn with_scheme(name: &str, description: &str, scheme: CredentialScheme) -> Self {
        CredentialKind {
            name: name.to_string(),
            description: description.to_string(),
            scheme,
        }
    }
}

/// An origin (scheme, host, port) the guest may send requests to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The origin of the URL held by this configuration field, for example `base-url`.
    FromField(String),
    /// A fixed origin, for example `https://api.example.com`.
    Fixed(String),
}

/// What can be granted and revoked on resources of one type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provisioning {
    /// The resource type.
    pub resource_type: String,
    /// The entitlement slugs that can be granted and revoked.
    pub slugs: Vec<String>,
    /// The resource types of principals they can be granted to.
    pub principal_types: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_builders_set_what_they_say() {
        let f = ConfigField::new(
            "api-key",
            FieldType::Text,
            FieldGroup::Connection,
            "The key.",
        )
        .secret()
        .required()
        .with_default("x");
        assert!(f.secret && f.required);
        assert_eq!(f.default_value.as_deref(), Some("x"));
        let plain = ConfigField::new("tags", FieldType::TextList, FieldGroup::Sync, "Tags.");
        assert!(!plain.secret && !plain.required && plain.default_value.is_none());
    }

    #[test]
    fn credential_kinds_name_their_fields() {
        let k = CredentialKind::oauth_client_credentials("oauth", "d", "id", "secret", "url");
        assert_eq!(
            k.scheme,
            CredentialScheme::OauthClientCredentials {
                client_id_field: "id".into(),
                client_secret_field: "secret".into(),
                token_url_field: "url".into()
            }
        );
        assert_eq!(k.name, "oauth");
    }
}
