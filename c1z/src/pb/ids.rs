//! The `external_id` forms of rows (reference §4): resources, entitlements and grants.

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
