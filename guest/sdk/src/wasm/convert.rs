//! Conversions, both ways, between the SDK's plain Rust records and the generated WIT types,
//! which have the same names, fields and cases.

use super::bindings::baton::connector::types as w;

mod m {
    pub use crate::error::ConnectorError;
    pub use crate::metadata::*;
    pub use crate::model::*;
}

/// A conversion between a model type and its generated twin.
pub(super) trait Convert<T> {
    /// The value as the other type.
    fn convert(self) -> T;
}

impl Convert<String> for String {
    fn convert(self) -> String {
        self
    }
}

impl Convert<bool> for bool {
    fn convert(self) -> bool {
        self
    }
}

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self) -> Vec<B> {
        self.into_iter().map(Convert::convert).collect()
    }
}

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self) -> Option<B> {
        self.map(Convert::convert)
    }
}

/// Records: field by field.
macro_rules! records {
    ($($name:ident { $($field:ident),* $(,)? })*) => {$(
        impl Convert<w::$name> for m::$name {
            fn convert(self) -> w::$name {
                w::$name { $($field: self.$field.convert()),* }
            }
        }
        impl Convert<m::$name> for w::$name {
            fn convert(self) -> m::$name {
                m::$name { $($field: self.$field.convert()),* }
            }
        }
    )*};
}

/// Enums: case by case.
macro_rules! enums {
    ($($name:ident { $($case:ident),* $(,)? })*) => {$(
        impl Convert<w::$name> for m::$name {
            fn convert(self) -> w::$name {
                match self { $(m::$name::$case => w::$name::$case),* }
            }
        }
        impl Convert<m::$name> for w::$name {
            fn convert(self) -> m::$name {
                match self { $(w::$name::$case => m::$name::$case),* }
            }
        }
    )*};
}

/// Variants whose every case carries one value.
macro_rules! variants {
    ($($name:ident { $($case:ident),* $(,)? })*) => {$(
        impl Convert<w::$name> for m::$name {
            fn convert(self) -> w::$name {
                match self { $(m::$name::$case(v) => w::$name::$case(v.convert())),* }
            }
        }
        impl Convert<m::$name> for w::$name {
            fn convert(self) -> m::$name {
                match self { $(w::$name::$case(v) => m::$name::$case(v.convert())),* }
            }
        }
    )*};
}

records! {
    ResourceType { id, display_name, description, traits }
    ResourceId { resource_type, id }
    ProfileEntry { key, value }
    UserTrait { login, status, status_details, account_type, given_name, family_name, emails }
    GroupTrait { profile }
    ResourceInfo { id, parent, display_name, description, user, group, child_resource_types, profile }
    Entitlement { resource_ref, slug, display_name, description, purpose, grantable_to }
    EntitlementRef { resource_ref, slug }
    GrantExpandable { entitlements, shallow, resource_type_ids }
    Grant { entitlement, principal, expandable }
    GrantOutcome { change, grants, message }
    RevokeOutcome { change, message }
    ConfigField { name, description, field_type, default_value, required, secret, group }
    CredentialKind { name, description, scheme }
    Provisioning { resource_type, slugs, principal_types }
    Metadata { display_name, description, version, config_fields, credential_kinds, origins, provisioning }
}

enums! {
    ResourceTrait { User, Group, Role, App }
    AccountStatus { Unspecified, Enabled, Disabled, Deleted }
    AccountType { Unspecified, Human, Service }
    EntitlementPurpose { Unspecified, Assignment, Permission, Ownership }
    ProvisionChange { Applied, AlreadySatisfied }
    FieldType { Text, Boolean, Integer, TextList }
    FieldGroup { Connection, Sync }
}

variants! {
    ConnectorError { Unauthenticated, PermissionDenied, NotFound, InvalidArgument, RateLimited, Unavailable, Internal }
    Origin { FromField, Fixed }
}

impl Convert<w::CredentialScheme> for m::CredentialScheme {
    fn convert(self) -> w::CredentialScheme {
        match self {
            m::CredentialScheme::Basic {
                username_field,
                password_field,
            } => w::CredentialScheme::Basic(w::BasicCredential {
                username_field,
                password_field,
            }),
            m::CredentialScheme::Bearer { token_field } => {
                w::CredentialScheme::Bearer(w::BearerCredential { token_field })
            }
            m::CredentialScheme::OauthClientCredentials {
                client_id_field,
                client_secret_field,
                token_url_field,
            } => w::CredentialScheme::OauthClientCredentials(w::OauthClientCredential {
                client_id_field,
                client_secret_field,
                token_url_field,
            }),
        }
    }
}

impl Convert<m::CredentialScheme> for w::CredentialScheme {
    fn convert(self) -> m::CredentialScheme {
        match self {
            w::CredentialScheme::Basic(b) => m::CredentialScheme::Basic {
                username_field: b.username_field,
                password_field: b.password_field,
            },
            w::CredentialScheme::Bearer(b) => m::CredentialScheme::Bearer {
                token_field: b.token_field,
            },
            w::CredentialScheme::OauthClientCredentials(o) => {
                m::CredentialScheme::OauthClientCredentials {
                    client_id_field: o.client_id_field,
                    client_secret_field: o.client_secret_field,
                    token_url_field: o.token_url_field,
                }
            }
        }
    }
}
