//! The `c1.connector.v2` protobuf messages of the format, generated at build time from our own
//! `.proto` files in `c1z/proto/` (see `build.rs`), and the helpers the rest of the code uses
//! around them: annotations, row ids and the proto names of enum values.
//!
//! prost encodes fields in ascending field-number order, and every map (here `GrantSources`, and
//! prost-types' `Struct`) is a `BTreeMap`, so encoding is deterministic: the same message always
//! gives the same bytes, as baton-sdk's `Deterministic: true`.

mod annotations;
mod ids;

#[allow(clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/protos.rs"));
}

pub use generated::c1::connector::v2::*;
pub use prost_types::{Any, Struct, Timestamp, Value};

pub use annotations::{Annotation, contains, pick, take, update};
pub use ids::{entitlement_id, grant_id, resource_key};

/// `AppTrait.AppFlag`.
pub use app_trait::AppFlag;
/// `Entitlement.PurposeValue`: what holding an entitlement means.
pub use entitlement::PurposeValue as Purpose;
/// `GrantSources.GrantSource`: one source of an expanded grant.
pub use grant_sources::GrantSource;
/// `Resource.CreationSource`.
pub use resource::CreationSource;
/// `ResourceType.Trait`: what a type's resources are.
pub use resource_type::Trait;
/// `UserTrait.Status.Status`: an account's status (`Status.ResourceStatus` has the same values).
pub use user_trait::status::Status as StatusValue;
/// `UserTrait` parts.
pub use user_trait::{AccountType, Email, MfaStatus, SsoStatus, StructuredName};

/// Proto package of every message here.
pub const PACKAGE: &str = "c1.connector.v2";
/// Type URL prefix of annotations.
pub const TYPE_URL_PREFIX: &str = "type.googleapis.com/";

// The proto names of enum values held in `i32` fields, as protojson prints them; `None` for a
// value the enum does not define.

/// Name of a `ResourceType.Trait` value (`TRAIT_USER`).
pub fn trait_name(v: i32) -> Option<&'static str> {
    Trait::try_from(v).ok().map(|v| v.as_str_name())
}

/// Name of a status value (`STATUS_ENABLED`), for `UserTrait.Status` and `Resource.status` alike.
pub fn status_name(v: i32) -> Option<&'static str> {
    StatusValue::try_from(v).ok().map(|v| v.as_str_name())
}

/// Name of an `Entitlement.PurposeValue` value (`PURPOSE_VALUE_ASSIGNMENT`).
pub fn purpose_name(v: i32) -> Option<&'static str> {
    Purpose::try_from(v).ok().map(|v| v.as_str_name())
}

/// Name of a `UserTrait.AccountType` value (`ACCOUNT_TYPE_HUMAN`).
pub fn account_type_name(v: i32) -> Option<&'static str> {
    AccountType::try_from(v).ok().map(|v| v.as_str_name())
}

/// Name of a `Resource.CreationSource` value.
pub fn creation_source_name(v: i32) -> Option<&'static str> {
    CreationSource::try_from(v).ok().map(|v| v.as_str_name())
}

/// Name of an `AppTrait.AppFlag` value (`APP_FLAG_HIDDEN`).
pub fn app_flag_name(v: i32) -> Option<&'static str> {
    AppFlag::try_from(v).ok().map(|v| v.as_str_name())
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

    #[test]
    fn other_url_prefixes_match_on_the_full_name() {
        assert!(UserTrait::is_type_url(
            "example.com/x/c1.connector.v2.UserTrait"
        ));
        assert!(!UserTrait::is_type_url(
            "type.googleapis.com/c1.connector.v2.UserTraitX"
        ));
        assert!(!UserTrait::is_type_url(
            "type.googleapis.com/other.UserTrait"
        ));
        assert!(user_trait::Status::is_type_url(
            "type.googleapis.com/c1.connector.v2.UserTrait.Status"
        ));
        assert!(!user_trait::Status::is_type_url(
            "type.googleapis.com/c1.connector.v2.Status"
        ));
    }
}
