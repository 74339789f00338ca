//! Hand-written `c1.connector.v2` protobuf messages (field numbers from baton-sdk's .proto files) and annotation helpers.
//!
//! prost encodes fields in ascending tag order and map fields here (and in prost-types' `Struct`) are `BTreeMap`s,
//! so encoding is deterministic: the same message always gives the same bytes, as baton-sdk's `Deterministic: true`.

use std::collections::BTreeMap;

pub use prost_types::{Any, Struct, Timestamp, Value};

/// Proto package prefix of every message here.
pub const PACKAGE: &str = "c1.connector.v2";
/// Type URL prefix of annotations.
pub const TYPE_URL_PREFIX: &str = "type.googleapis.com/";

/// `c1.connector.v2.ResourceType`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceType {
    /// Type id, e.g. `user`.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Human name.
    #[prost(string, tag = "2")]
    pub display_name: String,
    /// Traits (enum `Trait`), packed.
    #[prost(enumeration = "Trait", repeated, tag = "3")]
    pub traits: Vec<i32>,
    /// Annotations.
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
    /// Description.
    #[prost(string, tag = "5")]
    pub description: String,
    /// Whether resources of this type come from another source.
    #[prost(bool, tag = "6")]
    pub sourced_externally: bool,
}

/// `c1.connector.v2.ResourceType.Trait`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Trait {
    /// Unspecified.
    Unspecified = 0,
    /// A user account.
    User = 1,
    /// A group.
    Group = 2,
    /// A role.
    Role = 3,
    /// An application.
    App = 4,
    /// A secret.
    Secret = 5,
    /// A security insight.
    SecurityInsight = 6,
    /// A scope binding.
    ScopeBinding = 7,
    /// A vendor.
    Vendor = 8,
    /// A vendor agreement.
    VendorAgreement = 9,
    /// A license profile.
    LicenseProfile = 10,
    /// An agent.
    Agent = 11,
    /// A managed device.
    ManagedDevice = 12,
}

/// `c1.connector.v2.ResourceId`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
pub struct ResourceId {
    /// Resource type id.
    #[prost(string, tag = "1")]
    pub resource_type: String,
    /// Object id.
    #[prost(string, tag = "2")]
    pub resource: String,
    /// Reserved for the SDK.
    #[prost(bool, tag = "3")]
    pub baton_resource: bool,
}

/// `c1.connector.v2.Resource`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Resource {
    /// Identity.
    #[prost(message, optional, tag = "1")]
    pub id: Option<ResourceId>,
    /// Parent, if any.
    #[prost(message, optional, tag = "2")]
    pub parent_resource_id: Option<ResourceId>,
    /// Human name.
    #[prost(string, tag = "3")]
    pub display_name: String,
    /// Annotations (traits, child types, ...).
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
    /// Description.
    #[prost(string, tag = "5")]
    pub description: String,
    /// Reserved for the SDK.
    #[prost(bool, tag = "6")]
    pub baton_resource: bool,
    /// Deprecated external id.
    #[prost(message, optional, tag = "7")]
    pub external_id: Option<ExternalId>,
    /// Deprecated creation source (enum `CreationSource`).
    #[prost(enumeration = "CreationSource", tag = "8")]
    pub creation_source: i32,
    /// Free-form profile.
    #[prost(message, optional, tag = "9")]
    pub profile: Option<Struct>,
    /// Icon.
    #[prost(message, optional, tag = "10")]
    pub icon: Option<AssetRef>,
    /// Status.
    #[prost(message, optional, tag = "11")]
    pub status: Option<Status>,
    /// Creation time.
    #[prost(message, optional, tag = "12")]
    pub created_at: Option<Timestamp>,
}

/// `c1.connector.v2.Resource.CreationSource`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum CreationSource {
    /// Unspecified.
    Unspecified = 0,
    /// Listed by ListResources.
    ConnectorListResources = 1,
    /// Created just in time from a grant principal.
    ConnectorListGrantsPrincipalJit = 2,
}

/// `c1.connector.v2.ExternalId`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExternalId {
    /// Id.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Link.
    #[prost(string, tag = "2")]
    pub link: String,
    /// Description.
    #[prost(string, tag = "3")]
    pub description: String,
}

/// `c1.connector.v2.AssetRef`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AssetRef {
    /// Asset id.
    #[prost(string, tag = "1")]
    pub id: String,
}

/// `c1.connector.v2.Status` (also the shape of `UserTrait.Status`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    /// Enum `StatusValue`.
    #[prost(enumeration = "StatusValue", tag = "1")]
    pub status: i32,
    /// Details.
    #[prost(string, tag = "2")]
    pub details: String,
}

/// The status enum of `Status` and `UserTrait.Status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum StatusValue {
    /// Unspecified.
    Unspecified = 0,
    /// Enabled.
    Enabled = 1,
    /// Disabled.
    Disabled = 2,
    /// Deleted.
    Deleted = 3,
}

/// `c1.connector.v2.Entitlement`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Entitlement {
    /// The resource it belongs to.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    /// `<rt>:<resource>:<slug>`.
    #[prost(string, tag = "2")]
    pub id: String,
    /// Human name.
    #[prost(string, tag = "3")]
    pub display_name: String,
    /// Description.
    #[prost(string, tag = "4")]
    pub description: String,
    /// Types it can be granted to.
    #[prost(message, repeated, tag = "5")]
    pub grantable_to: Vec<ResourceType>,
    /// Annotations.
    #[prost(message, repeated, tag = "6")]
    pub annotations: Vec<Any>,
    /// Enum `Purpose`.
    #[prost(enumeration = "Purpose", tag = "7")]
    pub purpose: i32,
    /// Short name ("member", "read", ...).
    #[prost(string, tag = "8")]
    pub slug: String,
}

/// `c1.connector.v2.Entitlement.PurposeValue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Purpose {
    /// Unspecified.
    Unspecified = 0,
    /// Assignment (membership).
    Assignment = 1,
    /// Permission.
    Permission = 2,
    /// Ownership.
    Ownership = 3,
}

/// `c1.connector.v2.Grant`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Grant {
    /// The entitlement (often a stub: id and resource).
    #[prost(message, optional, tag = "1")]
    pub entitlement: Option<Entitlement>,
    /// Who holds it.
    #[prost(message, optional, tag = "2")]
    pub principal: Option<Resource>,
    /// `<entitlement id>:<principal rt>:<principal id>`.
    #[prost(string, tag = "3")]
    pub id: String,
    /// Annotations.
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
    /// Where an expanded grant comes from.
    #[prost(message, optional, tag = "5")]
    pub sources: Option<GrantSources>,
}

/// `c1.connector.v2.GrantSources`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantSources {
    /// Source entitlement id → source; a BTreeMap so entries encode sorted by key.
    #[prost(btree_map = "string, message", tag = "1")]
    pub sources: BTreeMap<String, GrantSource>,
}

/// `c1.connector.v2.GrantSources.GrantSource`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantSource {
    /// Whether the grant is also direct.
    #[prost(bool, tag = "1")]
    pub is_direct: bool,
}

/// `c1.connector.v2.UserTrait`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UserTrait {
    /// Email addresses.
    #[prost(message, repeated, tag = "1")]
    pub emails: Vec<Email>,
    /// Account status.
    #[prost(message, optional, tag = "2")]
    pub status: Option<Status>,
    /// Profile.
    #[prost(message, optional, tag = "3")]
    pub profile: Option<Struct>,
    /// Icon.
    #[prost(message, optional, tag = "4")]
    pub icon: Option<AssetRef>,
    /// Enum `AccountType`.
    #[prost(enumeration = "AccountType", tag = "5")]
    pub account_type: i32,
    /// Login name.
    #[prost(string, tag = "6")]
    pub login: String,
    /// Other logins.
    #[prost(string, repeated, tag = "7")]
    pub login_aliases: Vec<String>,
    /// Creation time.
    #[prost(message, optional, tag = "8")]
    pub created_at: Option<Timestamp>,
    /// Last login.
    #[prost(message, optional, tag = "9")]
    pub last_login: Option<Timestamp>,
    /// MFA status.
    #[prost(message, optional, tag = "10")]
    pub mfa_status: Option<MfaStatus>,
    /// SSO status.
    #[prost(message, optional, tag = "11")]
    pub sso_status: Option<SsoStatus>,
    /// Structured name.
    #[prost(message, optional, tag = "12")]
    pub structured_name: Option<StructuredName>,
    /// Employee ids.
    #[prost(string, repeated, tag = "13")]
    pub employee_ids: Vec<String>,
}

/// `c1.connector.v2.UserTrait.Email`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Email {
    /// Address.
    #[prost(string, tag = "1")]
    pub address: String,
    /// Primary address?
    #[prost(bool, tag = "2")]
    pub is_primary: bool,
}

/// `c1.connector.v2.UserTrait.MFAStatus`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MfaStatus {
    /// MFA on?
    #[prost(bool, tag = "1")]
    pub mfa_enabled: bool,
}

/// `c1.connector.v2.UserTrait.SSOStatus`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SsoStatus {
    /// SSO on?
    #[prost(bool, tag = "1")]
    pub sso_enabled: bool,
}

/// `c1.connector.v2.UserTrait.StructuredName`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StructuredName {
    /// Given name.
    #[prost(string, tag = "1")]
    pub given_name: String,
    /// Family name.
    #[prost(string, tag = "2")]
    pub family_name: String,
    /// Middle names.
    #[prost(string, repeated, tag = "3")]
    pub middle_names: Vec<String>,
    /// Prefix.
    #[prost(string, tag = "4")]
    pub prefix: String,
    /// Suffix.
    #[prost(string, tag = "5")]
    pub suffix: String,
}

/// `c1.connector.v2.UserTrait.AccountType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum AccountType {
    /// Unspecified.
    Unspecified = 0,
    /// A person.
    Human = 1,
    /// A service account.
    Service = 2,
    /// A system account.
    System = 3,
}

/// `c1.connector.v2.GroupTrait` (fields 3-4, group source types, are not modelled: prost skips them on decode).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GroupTrait {
    /// Icon.
    #[prost(message, optional, tag = "1")]
    pub icon: Option<AssetRef>,
    /// Profile.
    #[prost(message, optional, tag = "2")]
    pub profile: Option<Struct>,
}

/// `c1.connector.v2.RoleTrait` (field 2, scope conditions, is not modelled).
#[derive(Clone, PartialEq, prost::Message)]
pub struct RoleTrait {
    /// Profile.
    #[prost(message, optional, tag = "1")]
    pub profile: Option<Struct>,
}

/// `c1.connector.v2.AppTrait` (fields 6-7, app source types, are not modelled).
#[derive(Clone, PartialEq, prost::Message)]
pub struct AppTrait {
    /// Help URL.
    #[prost(string, tag = "1")]
    pub help_url: String,
    /// Icon.
    #[prost(message, optional, tag = "2")]
    pub icon: Option<AssetRef>,
    /// Logo.
    #[prost(message, optional, tag = "3")]
    pub logo: Option<AssetRef>,
    /// Profile.
    #[prost(message, optional, tag = "4")]
    pub profile: Option<Struct>,
    /// Flags (enum `AppFlag`).
    #[prost(enumeration = "AppFlag", repeated, tag = "5")]
    pub flags: Vec<i32>,
}

/// `c1.connector.v2.AppTrait.AppFlag`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum AppFlag {
    /// Unspecified.
    Unspecified = 0,
    /// Hidden.
    Hidden = 1,
    /// Inactive.
    Inactive = 2,
    /// SAML.
    Saml = 3,
    /// OIDC.
    Oidc = 4,
    /// Bookmark.
    Bookmark = 5,
}

/// `c1.connector.v2.GrantExpandable`: holders of `entitlement_ids` also hold the annotated grant's entitlement.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantExpandable {
    /// Source entitlement ids.
    #[prost(string, repeated, tag = "1")]
    pub entitlement_ids: Vec<String>,
    /// Only direct source grants count.
    #[prost(bool, tag = "2")]
    pub shallow: bool,
    /// Principal type filter.
    #[prost(string, repeated, tag = "3")]
    pub resource_type_ids: Vec<String>,
}

/// `c1.connector.v2.GrantImmutable`: marks expanded grants.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantImmutable {
    /// Source id.
    #[prost(string, tag = "1")]
    pub source_id: String,
    /// Metadata.
    #[prost(message, optional, tag = "2")]
    pub metadata: Option<Struct>,
}

/// `c1.connector.v2.ChildResourceType`, placed on a parent resource.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ChildResourceType {
    /// The child type id.
    #[prost(string, tag = "1")]
    pub resource_type_id: String,
}

/// `c1.connector.v2.ExternalLink`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExternalLink {
    /// URL.
    #[prost(string, tag = "1")]
    pub url: String,
}

/// `c1.connector.v2.SkipEntitlementsAndGrants` (empty marker).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SkipEntitlementsAndGrants {}

/// `c1.connector.v2.SkipGrants` (empty marker).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SkipGrants {}

/// `c1.connector.v2.SkipEntitlements` (empty marker).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SkipEntitlements {}

/// A message that can travel as an annotation `Any`.
pub trait Annotation: prost::Message + Default + Sized {
    /// The short name inside `c1.connector.v2`.
    const NAME: &'static str;

    /// `type.googleapis.com/c1.connector.v2.<Name>`.
    fn type_url() -> String {
        format!("{TYPE_URL_PREFIX}{PACKAGE}.{}", Self::NAME)
    }

    /// Packs this message into an `Any`.
    fn to_any(&self) -> Any {
        Any {
            type_url: Self::type_url(),
            value: self.encode_to_vec(),
        }
    }

    /// Unpacks an `Any` of this type; `None` when the type URL differs.
    fn from_any(any: &Any) -> Option<Result<Self, prost::DecodeError>> {
        is_type_url(&any.type_url, Self::NAME).then(|| Self::decode(any.value.as_slice()))
    }
}

fn is_type_url(url: &str, name: &str) -> bool {
    // Match on the full name after the last '/', as anypb does, so other URL prefixes still match.
    let full = url.rsplit('/').next().unwrap_or(url);
    full.strip_prefix(PACKAGE).and_then(|r| r.strip_prefix('.')) == Some(name)
}

macro_rules! annotation {
    ($($t:ident),* $(,)?) => { $(impl Annotation for $t { const NAME: &'static str = stringify!($t); })* };
}
annotation!(
    UserTrait,
    GroupTrait,
    RoleTrait,
    AppTrait,
    GrantExpandable,
    GrantImmutable,
    ChildResourceType,
    ExternalLink,
    SkipEntitlementsAndGrants,
    SkipGrants,
    SkipEntitlements,
);

/// The first annotation of type `T` (decode errors are treated as absent: annotations are advisory).
pub fn pick<T: Annotation>(annotations: &[Any]) -> Option<T> {
    annotations
        .iter()
        .find_map(|a| T::from_any(a))
        .and_then(Result::ok)
}

/// Whether an annotation of type `T` is present.
pub fn contains<T: Annotation>(annotations: &[Any]) -> bool {
    annotations
        .iter()
        .any(|a| is_type_url(&a.type_url, T::NAME))
}

/// Replaces the annotation of `T`'s type, or appends it (baton-sdk's `Update`).
pub fn update<T: Annotation>(annotations: &mut Vec<Any>, value: &T) {
    let any = value.to_any();
    match annotations
        .iter_mut()
        .find(|a| is_type_url(&a.type_url, T::NAME))
    {
        Some(slot) => *slot = any,
        None => annotations.push(any),
    }
}

/// Removes every annotation of type `T`, returning the first one (decoded).
pub fn take<T: Annotation>(annotations: &mut Vec<Any>) -> Option<Result<T, prost::DecodeError>> {
    let mut first = None;
    annotations.retain(|a| {
        if is_type_url(&a.type_url, T::NAME) {
            if first.is_none() {
                first = Some(T::decode(a.value.as_slice()));
            }
            false
        } else {
            true
        }
    });
    first
}

/// Entitlement id: `"<rt>:<resource>:<slug>"`.
pub fn entitlement_id(resource_type: &str, resource: &str, slug: &str) -> String {
    format!("{resource_type}:{resource}:{slug}")
}

/// Grant id: `"<entitlement id>:<principal rt>:<principal id>"`.
pub fn grant_id(entitlement_id: &str, principal_type: &str, principal_id: &str) -> String {
    format!("{entitlement_id}:{principal_type}:{principal_id}")
}

/// Resource row key: `"<rt>:<id>"`.
pub fn resource_key(resource_type: &str, resource: &str) -> String {
    format!("{resource_type}:{resource}")
}

/// Proto enum value names, as protojson prints them.
pub fn trait_name(v: i32) -> Option<&'static str> {
    Some(match Trait::try_from(v).ok()? {
        Trait::Unspecified => "TRAIT_UNSPECIFIED",
        Trait::User => "TRAIT_USER",
        Trait::Group => "TRAIT_GROUP",
        Trait::Role => "TRAIT_ROLE",
        Trait::App => "TRAIT_APP",
        Trait::Secret => "TRAIT_SECRET",
        Trait::SecurityInsight => "TRAIT_SECURITY_INSIGHT",
        Trait::ScopeBinding => "TRAIT_SCOPE_BINDING",
        Trait::Vendor => "TRAIT_VENDOR",
        Trait::VendorAgreement => "TRAIT_VENDOR_AGREEMENT",
        Trait::LicenseProfile => "TRAIT_LICENSE_PROFILE",
        Trait::Agent => "TRAIT_AGENT",
        Trait::ManagedDevice => "TRAIT_MANAGED_DEVICE",
    })
}

/// Proto name of a `Status` value.
pub fn status_name(v: i32) -> Option<&'static str> {
    Some(match StatusValue::try_from(v).ok()? {
        StatusValue::Unspecified => "STATUS_UNSPECIFIED",
        StatusValue::Enabled => "STATUS_ENABLED",
        StatusValue::Disabled => "STATUS_DISABLED",
        StatusValue::Deleted => "STATUS_DELETED",
    })
}

/// Proto name of a `Purpose` value.
pub fn purpose_name(v: i32) -> Option<&'static str> {
    Some(match Purpose::try_from(v).ok()? {
        Purpose::Unspecified => "PURPOSE_VALUE_UNSPECIFIED",
        Purpose::Assignment => "PURPOSE_VALUE_ASSIGNMENT",
        Purpose::Permission => "PURPOSE_VALUE_PERMISSION",
        Purpose::Ownership => "PURPOSE_VALUE_OWNERSHIP",
    })
}

/// Proto name of an `AccountType` value.
pub fn account_type_name(v: i32) -> Option<&'static str> {
    Some(match AccountType::try_from(v).ok()? {
        AccountType::Unspecified => "ACCOUNT_TYPE_UNSPECIFIED",
        AccountType::Human => "ACCOUNT_TYPE_HUMAN",
        AccountType::Service => "ACCOUNT_TYPE_SERVICE",
        AccountType::System => "ACCOUNT_TYPE_SYSTEM",
    })
}

/// Proto name of a `CreationSource` value.
pub fn creation_source_name(v: i32) -> Option<&'static str> {
    Some(match CreationSource::try_from(v).ok()? {
        CreationSource::Unspecified => "CREATION_SOURCE_UNSPECIFIED",
        CreationSource::ConnectorListResources => "CREATION_SOURCE_CONNECTOR_LIST_RESOURCES",
        CreationSource::ConnectorListGrantsPrincipalJit => {
            "CREATION_SOURCE_CONNECTOR_LIST_GRANTS_PRINCIPAL_JIT"
        }
    })
}

/// Proto name of an `AppFlag` value.
pub fn app_flag_name(v: i32) -> Option<&'static str> {
    Some(match AppFlag::try_from(v).ok()? {
        AppFlag::Unspecified => "APP_FLAG_UNSPECIFIED",
        AppFlag::Hidden => "APP_FLAG_HIDDEN",
        AppFlag::Inactive => "APP_FLAG_INACTIVE",
        AppFlag::Saml => "APP_FLAG_SAML",
        AppFlag::Oidc => "APP_FLAG_OIDC",
        AppFlag::Bookmark => "APP_FLAG_BOOKMARK",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn resource_type_sample_bytes() {
        let rt = ResourceType {
            id: "user".into(),
            display_name: "User".into(),
            traits: vec![Trait::User as i32],
            ..Default::default()
        };
        let b = rt.encode_to_vec();
        assert_eq!(&b[..], b"\x0a\x04user\x12\x04User\x1a\x01\x01");
    }

    #[test]
    fn annotation_round_trip_and_update() {
        let mut annos = vec![];
        update(
            &mut annos,
            &ChildResourceType {
                resource_type_id: "a".into(),
            },
        );
        update(
            &mut annos,
            &ChildResourceType {
                resource_type_id: "b".into(),
            },
        );
        assert_eq!(annos.len(), 1);
        assert_eq!(
            annos[0].type_url,
            "type.googleapis.com/c1.connector.v2.ChildResourceType"
        );
        assert_eq!(
            pick::<ChildResourceType>(&annos).unwrap().resource_type_id,
            "b"
        );
        assert!(pick::<UserTrait>(&annos).is_none());
        assert!(take::<ChildResourceType>(&mut annos).is_some());
        assert!(annos.is_empty());
    }
}
