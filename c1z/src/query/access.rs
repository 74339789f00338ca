//! Effective access: what a principal holds and who holds an entitlement, each with how it is held (directly, or
//! through which groups, following the grant sources that grant expansion recorded).

use std::cmp::Ordering;

use super::index::{AccessIndex, EntitlementRef, GrantRef, ResourceRef, SourceRef};

/// Longest chain of groups followed (baton-sdk's expander stops at depth 20 too).
const MAX_DEPTH: usize = 20;
/// Most distinct routes reported for one grant; more is noise for a reviewer.
const MAX_ROUTES: usize = 16;

/// One way a grant is held through other entitlements: `steps[0]` is the source entitlement recorded on the grant
/// (for Bitbucket, a user group's `member`), `steps[1]` the source through which the principal holds `steps[0]`,
/// and so on up to an entitlement the principal holds directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Source entitlements, nearest first.
    pub steps: Vec<EntitlementRef>,
}

/// How a principal holds one entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// The grant.
    pub grant: GrantRef,
    /// The entitlement held.
    pub entitlement: EntitlementRef,
    /// The principal holding it.
    pub principal: ResourceRef,
    /// Granted to the principal itself.
    pub direct: bool,
    /// The routes through groups, if any.
    pub routes: Vec<Route>,
    /// Source entitlement ids that are not in the sync.
    pub missing_sources: Vec<String>,
}

impl Holding {
    /// Held only because of group membership (or another expanded source).
    pub fn only_through_groups(&self) -> bool {
        !self.direct
    }
}

impl AccessIndex {
    /// How the grant `g` is held.
    pub fn holding(&self, g: GrantRef) -> Holding {
        let grant = self.grant(g);
        let mut routes = Vec::new();
        let mut missing = Vec::new();
        for s in &grant.sources {
            match s {
                SourceRef::Entitlement(e) => {
                    let mut path = vec![grant.entitlement];
                    self.routes_from(*e, grant.principal, &mut path, &mut routes)
                }
                SourceRef::Missing(id) => missing.push(id.clone()),
            }
        }
        Holding {
            grant: g,
            entitlement: grant.entitlement,
            principal: grant.principal,
            direct: grant.direct,
            routes,
            missing_sources: missing,
        }
    }

    /// Collects the routes by which `principal` holds `source`; `path` holds the entitlements already on the way
    /// (the grant's own first), so a cycle of groups ends.
    fn routes_from(
        &self,
        source: EntitlementRef,
        principal: ResourceRef,
        path: &mut Vec<EntitlementRef>,
        out: &mut Vec<Route>,
    ) {
        if out.len() >= MAX_ROUTES || path.contains(&source) {
            return;
        }
        let route_here = |path: &[EntitlementRef]| Route {
            steps: path[1..].iter().copied().chain([source]).collect(),
        };
        let Some(g) = self.find_grant(source, principal) else {
            // The source was recorded but its grant is gone: still say where the access came from.
            out.push(route_here(path));
            return;
        };
        let grant = self.grant(g);
        if grant.direct || path.len() >= MAX_DEPTH {
            out.push(route_here(path));
        }
        if path.len() >= MAX_DEPTH {
            return;
        }
        path.push(source);
        for s in &grant.sources {
            if let SourceRef::Entitlement(next) = s {
                self.routes_from(*next, principal, path, out);
            }
        }
        path.pop();
    }

    /// Everything `principal` holds, ordered by resource type, resource name and entitlement.
    pub fn access_of(&self, principal: ResourceRef) -> Vec<Holding> {
        let mut list: Vec<Holding> = self
            .grants_of_principal(principal)
            .iter()
            .map(|g| self.holding(*g))
            .collect();
        list.sort_by(|a, b| self.by_entitlement(a, b));
        list
    }

    /// Everyone holding `entitlement`, users first, then by name.
    pub fn holders_of(&self, entitlement: EntitlementRef) -> Vec<Holding> {
        let mut list: Vec<Holding> = self
            .grants_of_entitlement(entitlement)
            .iter()
            .map(|g| self.holding(*g))
            .collect();
        list.sort_by(|a, b| self.by_principal(a, b));
        list
    }

    /// Orders holdings by resource type, resource name, entitlement slug.
    pub fn by_entitlement(&self, a: &Holding, b: &Holding) -> Ordering {
        let key = |h: &Holding| {
            let e = self.entitlement(h.entitlement);
            let r = self.resource(e.resource);
            (
                r.resource_type.as_str(),
                r.name(),
                e.slug.as_str(),
                e.id.as_str(),
            )
        };
        key(a).cmp(&key(b))
    }

    /// Orders holdings by principal: accounts before groups and others, then by name.
    pub fn by_principal(&self, a: &Holding, b: &Holding) -> Ordering {
        let key = |h: &Holding| {
            let p = self.resource(h.principal);
            (
                p.user.is_none(),
                p.resource_type.as_str(),
                p.name(),
                p.id.as_str(),
            )
        };
        key(a).cmp(&key(b))
    }
}
