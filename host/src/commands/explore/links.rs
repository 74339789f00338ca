//! The explorer's URLs. Ids go in query strings, percent-encoded: ids may hold `{`, `}` and `:`.

use c1z::query::{AccessIndex, EntitlementRef, ResourceRef};
use url::form_urlencoded::Serializer;

/// `path?k=v&...`, with every value encoded.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut q = Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    format!("{path}?{}", q.finish())
}

/// The page of a resource: the account page for accounts, the resource page for everything else.
pub fn resource(index: &AccessIndex, r: ResourceRef) -> String {
    let res = index.resource(r);
    let path = if res.user.is_some() {
        "/user"
    } else {
        "/resource"
    };
    with_query(path, &[("type", &res.resource_type), ("id", &res.id)])
}

/// Everything a principal holds (the account page shows it for any principal).
pub fn access(index: &AccessIndex, r: ResourceRef) -> String {
    let res = index.resource(r);
    with_query("/user", &[("type", &res.resource_type), ("id", &res.id)])
}

/// All holders of an entitlement.
pub fn entitlement(index: &AccessIndex, e: EntitlementRef) -> String {
    with_query("/entitlement", &[("id", &index.entitlement(e).id)])
}

/// The resources of a type.
pub fn browse(resource_type: &str) -> String {
    with_query("/browse", &[("type", resource_type)])
}
