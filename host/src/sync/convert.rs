//! Conversions between the contract's records (what a plugin returns) and Baton's protobuf
//! messages (what the `.c1z` stores). Profiles round-trip: a resource handed back to the plugin
//! carries exactly the profile entries, traits and child types it was returned with.

use c1z::pb::{self, Annotation};
use prost_types::value::Kind;
use prost_types::{Struct, Value};

use crate::runtime::types as wit;

/// A plugin's resource type as Baton's `ResourceType`.
pub fn resource_type(rt: &wit::ResourceType) -> pb::ResourceType {
    pb::ResourceType {
        id: rt.id.clone(),
        display_name: rt.display_name.clone(),
        traits: rt
            .traits
            .iter()
            .map(|t| match t {
                wit::ResourceTrait::User => pb::Trait::User,
                wit::ResourceTrait::Group => pb::Trait::Group,
                wit::ResourceTrait::Role => pb::Trait::Role,
                wit::ResourceTrait::App => pb::Trait::App,
            } as i32)
            .collect(),
        description: rt.description.clone(),
        ..Default::default()
    }
}

/// A resource id as Baton's `ResourceId`.
pub fn resource_id(id: &wit::ResourceId) -> pb::ResourceId {
    pb::ResourceId {
        resource_type: id.resource_type.clone(),
        resource: id.id.clone(),
        baton_resource: false,
    }
}

/// Baton's `ResourceId` as the contract's.
pub fn resource_id_back(id: &pb::ResourceId) -> wit::ResourceId {
    wit::ResourceId {
        resource_type: id.resource_type.clone(),
        id: id.resource.clone(),
    }
}

fn profile(entries: &[wit::ProfileEntry]) -> Option<Struct> {
    if entries.is_empty() {
        return None;
    }
    Some(Struct {
        fields: entries
            .iter()
            .map(|e| {
                let value = Value {
                    kind: Some(Kind::StringValue(e.value.clone())),
                };
                (e.key.clone(), value)
            })
            .collect(),
    })
}

fn profile_back(s: Option<&Struct>) -> Vec<wit::ProfileEntry> {
    let Some(s) = s else { return Vec::new() };
    s.fields
        .iter()
        .map(|(key, value)| wit::ProfileEntry {
            key: key.clone(),
            value: match &value.kind {
                Some(Kind::StringValue(v)) => v.clone(),
                Some(Kind::NumberValue(n)) => n.to_string(),
                Some(Kind::BoolValue(b)) => b.to_string(),
                _ => String::new(),
            },
        })
        .collect()
}

fn status(status: wit::AccountStatus, details: &str) -> pb::user_trait::Status {
    let value = match status {
        wit::AccountStatus::Unspecified => pb::StatusValue::Unspecified,
        wit::AccountStatus::Enabled => pb::StatusValue::Enabled,
        wit::AccountStatus::Disabled => pb::StatusValue::Disabled,
        wit::AccountStatus::Deleted => pb::StatusValue::Deleted,
    };
    pb::user_trait::Status {
        status: value as i32,
        details: details.to_string(),
    }
}

fn status_back(status: Option<&pb::user_trait::Status>) -> (wit::AccountStatus, String) {
    let Some(s) = status else {
        return (wit::AccountStatus::Unspecified, String::new());
    };
    let value = match pb::StatusValue::try_from(s.status) {
        Ok(pb::StatusValue::Enabled) => wit::AccountStatus::Enabled,
        Ok(pb::StatusValue::Disabled) => wit::AccountStatus::Disabled,
        Ok(pb::StatusValue::Deleted) => wit::AccountStatus::Deleted,
        _ => wit::AccountStatus::Unspecified,
    };
    (value, s.details.clone())
}

/// A plugin's resource as Baton's `Resource`, with its trait and child-type annotations.
/// Like baton-sdk's trait constructors, the profile and status are also set on the resource.
pub fn resource(r: &wit::ResourceInfo) -> pb::Resource {
    let mut out = pb::Resource {
        id: Some(resource_id(&r.id)),
        parent_resource_id: r.parent.as_ref().map(resource_id),
        display_name: r.display_name.clone(),
        description: r.description.clone(),
        profile: profile(&r.profile),
        ..Default::default()
    };
    if let Some(user) = &r.user {
        let st = status(user.status, &user.status_details);
        let trait_ = pb::UserTrait {
            emails: user
                .emails
                .iter()
                .enumerate()
                .map(|(i, address)| pb::Email {
                    address: address.clone(),
                    is_primary: i == 0,
                })
                .collect(),
            status: Some(st.clone()),
            profile: out.profile.clone(),
            account_type: match user.account_type {
                wit::AccountType::Unspecified => pb::AccountType::Unspecified,
                wit::AccountType::Human => pb::AccountType::Human,
                wit::AccountType::Service => pb::AccountType::Service,
            } as i32,
            login: user.login.clone(),
            structured_name: (!user.given_name.is_empty() || !user.family_name.is_empty()).then(
                || pb::StructuredName {
                    given_name: user.given_name.clone(),
                    family_name: user.family_name.clone(),
                    ..Default::default()
                },
            ),
            ..Default::default()
        };
        // The resource's own status has the same values as the trait's.
        out.status = Some(pb::Status {
            status: st.status,
            details: st.details,
        });
        out.annotations.push(trait_.to_any());
    }
    if let Some(group) = &r.group {
        let trait_ = pb::GroupTrait {
            profile: profile(&group.profile),
            ..Default::default()
        };
        out.annotations.push(trait_.to_any());
    }
    for child in &r.child_resource_types {
        out.annotations.push(
            pb::ChildResourceType {
                resource_type_id: child.clone(),
            }
            .to_any(),
        );
    }
    out
}

/// Baton's `Resource` back as the contract's record, to hand to the plugin.
pub fn resource_back(r: &pb::Resource) -> wit::ResourceInfo {
    let user = pb::pick::<pb::UserTrait>(&r.annotations).map(|u| {
        let (status, status_details) = status_back(u.status.as_ref());
        let name = u.structured_name.unwrap_or_default();
        wit::UserTrait {
            login: u.login,
            status,
            status_details,
            account_type: match pb::AccountType::try_from(u.account_type) {
                Ok(pb::AccountType::Human) => wit::AccountType::Human,
                Ok(pb::AccountType::Service) | Ok(pb::AccountType::System) => {
                    wit::AccountType::Service
                }
                _ => wit::AccountType::Unspecified,
            },
            given_name: name.given_name,
            family_name: name.family_name,
            emails: u.emails.into_iter().map(|e| e.address).collect(),
        }
    });
    let group = pb::pick::<pb::GroupTrait>(&r.annotations).map(|g| wit::GroupTrait {
        profile: profile_back(g.profile.as_ref()),
    });
    let child_resource_types = r
        .annotations
        .iter()
        .filter_map(pb::ChildResourceType::from_any)
        .filter_map(Result::ok)
        .map(|c| c.resource_type_id)
        .collect();
    wit::ResourceInfo {
        id: r
            .id
            .as_ref()
            .map(resource_id_back)
            .unwrap_or(wit::ResourceId {
                resource_type: String::new(),
                id: String::new(),
            }),
        parent: r.parent_resource_id.as_ref().map(resource_id_back),
        display_name: r.display_name.clone(),
        description: r.description.clone(),
        user,
        group,
        child_resource_types,
        profile: profile_back(r.profile.as_ref()),
    }
}

/// The Baton entitlement id of an entitlement reference.
pub fn entitlement_ref_id(e: &wit::EntitlementRef) -> String {
    pb::entitlement_id(&e.resource_ref.resource_type, &e.resource_ref.id, &e.slug)
}

/// A plugin's entitlement as Baton's, embedding the resource it is on.
pub fn entitlement(
    e: &wit::Entitlement,
    on: &pb::Resource,
    types: &[pb::ResourceType],
) -> pb::Entitlement {
    pb::Entitlement {
        resource: Some(on.clone()),
        id: pb::entitlement_id(&e.resource_ref.resource_type, &e.resource_ref.id, &e.slug),
        display_name: e.display_name.clone(),
        description: e.description.clone(),
        grantable_to: e
            .grantable_to
            .iter()
            .map(|id| {
                types
                    .iter()
                    .find(|t| &t.id == id)
                    .cloned()
                    .unwrap_or_else(|| pb::ResourceType {
                        id: id.clone(),
                        ..Default::default()
                    })
            })
            .collect(),
        purpose: match e.purpose {
            wit::EntitlementPurpose::Unspecified => pb::Purpose::Unspecified,
            wit::EntitlementPurpose::Assignment => pb::Purpose::Assignment,
            wit::EntitlementPurpose::Permission => pb::Purpose::Permission,
            wit::EntitlementPurpose::Ownership => pb::Purpose::Ownership,
        } as i32,
        slug: e.slug.clone(),
        ..Default::default()
    }
}

/// Baton's entitlement back as the contract's record (for provisioning calls).
pub fn entitlement_back(e: &pb::Entitlement) -> wit::Entitlement {
    let resource = e.resource.as_ref().map(resource_back);
    wit::Entitlement {
        resource_ref: resource.map(|r| r.id).unwrap_or(wit::ResourceId {
            resource_type: String::new(),
            id: String::new(),
        }),
        slug: e.slug.clone(),
        display_name: e.display_name.clone(),
        description: e.description.clone(),
        purpose: match pb::Purpose::try_from(e.purpose) {
            Ok(pb::Purpose::Assignment) => wit::EntitlementPurpose::Assignment,
            Ok(pb::Purpose::Permission) => wit::EntitlementPurpose::Permission,
            Ok(pb::Purpose::Ownership) => wit::EntitlementPurpose::Ownership,
            _ => wit::EntitlementPurpose::Unspecified,
        },
        grantable_to: e.grantable_to.iter().map(|t| t.id.clone()).collect(),
    }
}

/// A plugin's grant as Baton's: a stub entitlement `{id, resource}`, the principal resource,
/// and the grant-expandable annotation when the principal's holders inherit it.
pub fn grant(
    g: &wit::Grant,
    entitlement_resource: &pb::Resource,
    principal: pb::Resource,
) -> pb::Grant {
    let entitlement_id = entitlement_ref_id(&g.entitlement);
    let mut annotations = Vec::new();
    if let Some(x) = &g.expandable {
        annotations.push(
            pb::GrantExpandable {
                entitlement_ids: x.entitlements.iter().map(entitlement_ref_id).collect(),
                shallow: x.shallow,
                resource_type_ids: x.resource_type_ids.clone(),
            }
            .to_any(),
        );
    }
    pb::Grant {
        id: pb::grant_id(
            &entitlement_id,
            &g.principal.id.resource_type,
            &g.principal.id.id,
        ),
        entitlement: Some(pb::Entitlement {
            id: entitlement_id,
            resource: Some(entitlement_resource.clone()),
            slug: g.entitlement.slug.clone(),
            ..Default::default()
        }),
        principal: Some(principal),
        annotations,
        sources: None,
    }
}

/// Baton's grant back as the contract's record (for `revoke`).
pub fn grant_back(g: &pb::Grant) -> wit::Grant {
    let entitlement = g.entitlement.clone().unwrap_or_default();
    let slug = if entitlement.slug.is_empty() {
        entitlement
            .id
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string()
    } else {
        entitlement.slug.clone()
    };
    let resource_ref = entitlement
        .resource
        .as_ref()
        .and_then(|r| r.id.as_ref())
        .map(resource_id_back)
        .unwrap_or(wit::ResourceId {
            resource_type: String::new(),
            id: String::new(),
        });
    let expandable =
        pb::pick::<pb::GrantExpandable>(&g.annotations).map(|x| wit::GrantExpandable {
            entitlements: x
                .entitlement_ids
                .iter()
                .filter_map(|id| parse_entitlement_id(id))
                .collect(),
            shallow: x.shallow,
            resource_type_ids: x.resource_type_ids,
        });
    wit::Grant {
        entitlement: wit::EntitlementRef { resource_ref, slug },
        principal: g
            .principal
            .as_ref()
            .map(resource_back)
            .unwrap_or_else(|| resource_back(&pb::Resource::default())),
        expandable,
    }
}

/// `<type>:<resource id with colons>:<slug>` → its parts (the type has no colon, nor the slug).
pub fn parse_entitlement_id(id: &str) -> Option<wit::EntitlementRef> {
    let (resource_type, rest) = id.split_once(':')?;
    let (resource, slug) = rest.rsplit_once(':')?;
    Some(wit::EntitlementRef {
        resource_ref: wit::ResourceId {
            resource_type: resource_type.to_string(),
            id: resource.to_string(),
        },
        slug: slug.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> wit::ResourceInfo {
        wit::ResourceInfo {
            id: wit::ResourceId {
                resource_type: "user".into(),
                id: "{u1}".into(),
            },
            parent: Some(wit::ResourceId {
                resource_type: "workspace".into(),
                id: "{w1}".into(),
            }),
            display_name: "Zoë Ångström".into(),
            description: "A user".into(),
            user: Some(wit::UserTrait {
                login: "zoe".into(),
                status: wit::AccountStatus::Deleted,
                status_details: "closed".into(),
                account_type: wit::AccountType::Human,
                given_name: "Zoë".into(),
                family_name: "Ångström".into(),
                emails: vec!["z@example.com".into()],
            }),
            group: None,
            child_resource_types: vec!["project".into(), "user_group".into()],
            profile: vec![
                wit::ProfileEntry {
                    key: "account_id".into(),
                    value: "557058:1".into(),
                },
                wit::ProfileEntry {
                    key: "login".into(),
                    value: "zoe".into(),
                },
            ],
        }
    }

    #[test]
    fn a_resource_round_trips_through_baton_messages() {
        let original = sample();
        let stored = resource(&original);
        assert_eq!(
            stored.status.as_ref().unwrap().status,
            pb::StatusValue::Deleted as i32
        );
        assert!(pb::contains::<pb::UserTrait>(&stored.annotations));
        let back = resource_back(&stored);
        assert_eq!(back, original);
    }

    #[test]
    fn entitlement_ids_split_at_the_first_and_last_colon() {
        let e = parse_entitlement_id("repository:{w}:{p}:KEY:{r}:admin").unwrap();
        assert_eq!(e.resource_ref.resource_type, "repository");
        assert_eq!(e.resource_ref.id, "{w}:{p}:KEY:{r}");
        assert_eq!(e.slug, "admin");
        assert_eq!(entitlement_ref_id(&e), "repository:{w}:{p}:KEY:{r}:admin");
    }
}
