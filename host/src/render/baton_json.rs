//! protojson-style JSON of the messages, as the Baton CLI prints them: lowerCamelCase names, enums by proto name,
//! `Any` as `{"@type": url, ...fields}`, `Struct` as a plain object, `Timestamp` as RFC 3339, default values omitted.

use c1z::pb::{self, Annotation};
use c1z::timestamp;
use serde_json::{Map, Value, json};

/// A JSON object builder that skips default values, as protojson does.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    fn str(mut self, k: &str, v: &str) -> Self {
        if !v.is_empty() {
            self.0.insert(k.into(), v.into());
        }
        self
    }
    fn bool(mut self, k: &str, v: bool) -> Self {
        if v {
            self.0.insert(k.into(), true.into());
        }
        self
    }
    fn enumv(mut self, k: &str, v: i32, name: fn(i32) -> Option<&'static str>) -> Self {
        if v != 0 {
            self.0.insert(
                k.into(),
                name(v).map(Value::from).unwrap_or_else(|| v.into()),
            );
        }
        self
    }
    fn val(mut self, k: &str, v: Option<Value>) -> Self {
        if let Some(v) = v {
            self.0.insert(k.into(), v);
        }
        self
    }
    fn list(mut self, k: &str, v: Vec<Value>) -> Self {
        if !v.is_empty() {
            self.0.insert(k.into(), Value::Array(v));
        }
        self
    }
    fn strs(self, k: &str, v: &[String]) -> Self {
        self.list(k, v.iter().map(|s| Value::from(s.as_str())).collect())
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// `ResourceType` as JSON.
pub fn resource_type(m: &pb::ResourceType) -> Value {
    Obj::default()
        .str("id", &m.id)
        .str("displayName", &m.display_name)
        .list(
            "traits",
            m.traits
                .iter()
                .map(|t| enum_value(*t, pb::trait_name))
                .collect(),
        )
        .list("annotations", m.annotations.iter().map(any).collect())
        .str("description", &m.description)
        .bool("sourcedExternally", m.sourced_externally)
        .done()
}

fn enum_value(v: i32, name: fn(i32) -> Option<&'static str>) -> Value {
    name(v).map(Value::from).unwrap_or_else(|| v.into())
}

/// `ResourceId` as JSON.
pub fn resource_id(m: &pb::ResourceId) -> Value {
    Obj::default()
        .str("resourceType", &m.resource_type)
        .str("resource", &m.resource)
        .bool("batonResource", m.baton_resource)
        .done()
}

/// `Resource` as JSON.
pub fn resource(m: &pb::Resource) -> Value {
    Obj::default()
        .val("id", m.id.as_ref().map(resource_id))
        .val(
            "parentResourceId",
            m.parent_resource_id.as_ref().map(resource_id),
        )
        .str("displayName", &m.display_name)
        .list("annotations", m.annotations.iter().map(any).collect())
        .str("description", &m.description)
        .bool("batonResource", m.baton_resource)
        .val(
            "externalId",
            m.external_id.as_ref().map(|e| {
                Obj::default()
                    .str("id", &e.id)
                    .str("link", &e.link)
                    .str("description", &e.description)
                    .done()
            }),
        )
        .enumv(
            "creationSource",
            m.creation_source,
            pb::creation_source_name,
        )
        .val("profile", m.profile.as_ref().map(structure))
        .val("icon", m.icon.as_ref().map(asset))
        .val("status", m.status.as_ref().map(status))
        .val("createdAt", m.created_at.as_ref().map(ts))
        .done()
}

fn asset(a: &pb::AssetRef) -> Value {
    Obj::default().str("id", &a.id).done()
}

fn status(s: &pb::Status) -> Value {
    status_fields(s.status, &s.details)
}

fn user_status(s: &pb::user_trait::Status) -> Value {
    status_fields(s.status, &s.details)
}

/// Both status messages print their value by the user trait's names (`STATUS_ENABLED`).
fn status_fields(value: i32, details: &str) -> Value {
    Obj::default()
        .enumv("status", value, pb::status_name)
        .str("details", details)
        .done()
}

fn ts(t: &prost_types::Timestamp) -> Value {
    Value::from(timestamp::rfc3339_from_parts(
        t.seconds,
        t.nanos.max(0) as u32,
    ))
}

/// `Entitlement` as JSON.
pub fn entitlement(m: &pb::Entitlement) -> Value {
    Obj::default()
        .val("resource", m.resource.as_ref().map(resource))
        .str("id", &m.id)
        .str("displayName", &m.display_name)
        .str("description", &m.description)
        .list(
            "grantableTo",
            m.grantable_to.iter().map(resource_type).collect(),
        )
        .list("annotations", m.annotations.iter().map(any).collect())
        .enumv("purpose", m.purpose, pb::purpose_name)
        .str("slug", &m.slug)
        .done()
}

/// `Grant` as JSON.
pub fn grant(m: &pb::Grant) -> Value {
    let sources = m.sources.as_ref().map(|s| {
        let map: Map<String, Value> = s
            .sources
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Obj::default().bool("isDirect", v.is_direct).done(),
                )
            })
            .collect();
        Obj::default()
            .val("sources", (!map.is_empty()).then_some(Value::Object(map)))
            .done()
    });
    Obj::default()
        .val("entitlement", m.entitlement.as_ref().map(entitlement))
        .val("principal", m.principal.as_ref().map(resource))
        .str("id", &m.id)
        .list("annotations", m.annotations.iter().map(any).collect())
        .val("sources", sources)
        .done()
}

/// `google.protobuf.Struct` as a plain JSON object.
pub fn structure(s: &prost_types::Struct) -> Value {
    Value::Object(
        s.fields
            .iter()
            .map(|(k, v)| (k.clone(), value(v)))
            .collect(),
    )
}

fn value(v: &prost_types::Value) -> Value {
    use prost_types::value::Kind;
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::NumberValue(n)) => json!(n),
        Some(Kind::StringValue(s)) => Value::from(s.as_str()),
        Some(Kind::BoolValue(b)) => Value::from(*b),
        Some(Kind::StructValue(s)) => structure(s),
        Some(Kind::ListValue(l)) => Value::Array(l.values.iter().map(value).collect()),
    }
}

fn decoded<T: Annotation>(a: &prost_types::Any, f: fn(&T) -> Value) -> Option<Value> {
    T::from_any(a).map(|r| r.map(|m| f(&m)).unwrap_or_else(|_| raw_any(a)))
}

/// An annotation as `{"@type": url, ...fields}`; unknown types keep their bytes as base64 `value`.
pub fn any(a: &prost_types::Any) -> Value {
    let body = decoded::<pb::UserTrait>(a, user_trait)
        .or_else(|| {
            decoded::<pb::GroupTrait>(a, |g| {
                Obj::default()
                    .val("icon", g.icon.as_ref().map(asset))
                    .val("profile", g.profile.as_ref().map(structure))
                    .done()
            })
        })
        .or_else(|| {
            decoded::<pb::RoleTrait>(a, |r| {
                Obj::default()
                    .val("profile", r.profile.as_ref().map(structure))
                    .done()
            })
        })
        .or_else(|| {
            decoded::<pb::AppTrait>(a, |t| {
                Obj::default()
                    .str("helpUrl", &t.help_url)
                    .val("icon", t.icon.as_ref().map(asset))
                    .val("logo", t.logo.as_ref().map(asset))
                    .val("profile", t.profile.as_ref().map(structure))
                    .list(
                        "flags",
                        t.flags
                            .iter()
                            .map(|f| enum_value(*f, pb::app_flag_name))
                            .collect(),
                    )
                    .done()
            })
        })
        .or_else(|| {
            decoded::<pb::GrantExpandable>(a, |g| {
                Obj::default()
                    .strs("entitlementIds", &g.entitlement_ids)
                    .bool("shallow", g.shallow)
                    .strs("resourceTypeIds", &g.resource_type_ids)
                    .done()
            })
        })
        .or_else(|| {
            decoded::<pb::GrantImmutable>(a, |g| {
                Obj::default()
                    .str("sourceId", &g.source_id)
                    .val("metadata", g.metadata.as_ref().map(structure))
                    .done()
            })
        })
        .or_else(|| {
            decoded::<pb::ChildResourceType>(a, |c| {
                Obj::default()
                    .str("resourceTypeId", &c.resource_type_id)
                    .done()
            })
        })
        .or_else(|| decoded::<pb::ExternalLink>(a, |l| Obj::default().str("url", &l.url).done()))
        .or_else(|| decoded::<pb::SkipEntitlementsAndGrants>(a, |_| json!({})))
        .or_else(|| decoded::<pb::SkipGrants>(a, |_| json!({})))
        .or_else(|| decoded::<pb::SkipEntitlements>(a, |_| json!({})))
        .unwrap_or_else(|| raw_any(a));
    let mut out = Map::new();
    out.insert("@type".into(), a.type_url.clone().into());
    if let Value::Object(fields) = body {
        out.extend(fields);
    }
    Value::Object(out)
}

fn raw_any(a: &prost_types::Any) -> Value {
    Obj::default().str("value", &base64(&a.value)).done()
}

fn user_trait(u: &pb::UserTrait) -> Value {
    Obj::default()
        .list(
            "emails",
            u.emails
                .iter()
                .map(|e| {
                    Obj::default()
                        .str("address", &e.address)
                        .bool("isPrimary", e.is_primary)
                        .done()
                })
                .collect(),
        )
        .val("status", u.status.as_ref().map(user_status))
        .val("profile", u.profile.as_ref().map(structure))
        .val("icon", u.icon.as_ref().map(asset))
        .enumv("accountType", u.account_type, pb::account_type_name)
        .str("login", &u.login)
        .strs("loginAliases", &u.login_aliases)
        .val("createdAt", u.created_at.as_ref().map(ts))
        .val("lastLogin", u.last_login.as_ref().map(ts))
        .val(
            "mfaStatus",
            u.mfa_status
                .as_ref()
                .map(|m| Obj::default().bool("mfaEnabled", m.mfa_enabled).done()),
        )
        .val(
            "ssoStatus",
            u.sso_status
                .as_ref()
                .map(|m| Obj::default().bool("ssoEnabled", m.sso_enabled).done()),
        )
        .val(
            "structuredName",
            u.structured_name.as_ref().map(|n| {
                Obj::default()
                    .str("givenName", &n.given_name)
                    .str("familyName", &n.family_name)
                    .strs("middleNames", &n.middle_names)
                    .str("prefix", &n.prefix)
                    .str("suffix", &n.suffix)
                    .done()
            }),
        )
        .strs("employeeIds", &u.employee_ids)
        .done()
}

/// Standard base64 with padding (protojson's bytes encoding).
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn protojson_shape() {
        let rt = pb::ResourceType {
            id: "user".into(),
            display_name: "User".into(),
            traits: vec![pb::Trait::User as i32],
            ..Default::default()
        };
        assert_eq!(
            resource_type(&rt),
            json!({"id": "user", "displayName": "User", "traits": ["TRAIT_USER"]})
        );
        let r = pb::Resource {
            id: Some(pb::ResourceId {
                resource_type: "user".into(),
                resource: "a".into(),
                baton_resource: false,
            }),
            annotations: vec![
                pb::UserTrait {
                    login: "a".into(),
                    ..Default::default()
                }
                .to_any(),
            ],
            ..Default::default()
        };
        assert_eq!(
            resource(&r),
            json!({"id": {"resourceType": "user", "resource": "a"},
                   "annotations": [{"@type": "type.googleapis.com/c1.connector.v2.UserTrait", "login": "a"}]})
        );
    }
}
