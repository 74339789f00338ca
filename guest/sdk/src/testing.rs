//! A native sync driver for component tests (feature `testing`): the host's order of calls
//! (validate; resources, walking child types; entitlements; grants), without the host.

use std::collections::BTreeSet;

use crate::component::Component;
use crate::error::ConnectorError;
use crate::model::{Entitlement, Grant, Page, ResourceInfo};

/// Everything one sync read.
#[derive(Debug, Default)]
pub struct Synced {
    /// Every resource once (the first listing of it wins), then principals never listed.
    pub resources: Vec<ResourceInfo>,
    /// The entitlements of every resource.
    pub entitlements: Vec<Entitlement>,
    /// The grants of every resource.
    pub grants: Vec<Grant>,
}

/// Every page of a listing, following `next_token`; a listing that hands out the token it was
/// given would never end, and is an error.
pub fn pages<T>(
    mut page: impl FnMut(&str) -> Result<Page<T>, ConnectorError>,
) -> Result<Vec<T>, ConnectorError> {
    let mut token = String::new();
    let mut out = Vec::new();
    loop {
        let p = page(&token)?;
        if !p.next_token.is_empty() && p.next_token == token {
            return Err(ConnectorError::Internal(format!(
                "a listing returned its own page token as the next one: {token}"
            )));
        }
        out.extend(p.items);
        if p.next_token.is_empty() {
            return Ok(out);
        }
        token = p.next_token;
    }
}

/// Syncs a component as the host does.
pub fn sync(c: &mut impl Component) -> Result<Synced, ConnectorError> {
    c.validate()?;
    let mut s = Synced::default();
    let mut queue = Vec::new();
    for t in c.resource_types()? {
        queue.extend(pages(|token| c.list_resources(&t.id, None, token))?);
    }
    while let Some(r) = queue.pop() {
        for child in &r.child_resource_types {
            queue.extend(pages(|token| c.list_resources(child, Some(&r.id), token))?);
        }
        s.resources.push(r);
    }
    let mut seen = BTreeSet::new();
    s.resources
        .retain(|r| seen.insert((r.id.resource_type.clone(), r.id.id.clone())));
    for r in s.resources.clone() {
        s.entitlements
            .extend(pages(|token| c.list_entitlements(&r, token))?);
        s.grants.extend(pages(|token| c.list_grants(&r, token))?);
    }
    // As the host's engine does, principals never listed are stored as resources.
    for g in &s.grants {
        if seen.insert((
            g.principal.id.resource_type.clone(),
            g.principal.id.id.clone(),
        )) {
            s.resources.push(g.principal.clone());
        }
    }
    Ok(s)
}
