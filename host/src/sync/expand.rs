//! Grant expansion, as Baton's expander does it: a grant of entitlement D to a principal P that
//! carries `GrantExpandable{entitlement_ids: [S…]}` means "whoever holds S (an entitlement of P)
//! also holds D". Computed as a least fixpoint over holder sets, so cycles terminate and the
//! result does not depend on the order grants were listed in.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use c1z::pb::{self, Annotation};
use c1z::{C1zError, SyncStore};

/// An edge S → D of the expansion graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    source: String,
    destination: String,
    shallow: bool,
    resource_types: Vec<String>,
}

/// A principal: (resource type, resource id).
type PrincipalKey = (String, String);

/// One holder of an entitlement, as far as expansion knows it: what the fixpoint needs, not
/// the whole grant (a large organisation has every grant of its repositories here).
struct Holding {
    /// The listed grant's id; empty for a grant expansion made.
    grant_id: String,
    /// The principal as its grant names it; a grant made through this holder names it so too.
    principal: Rc<pb::Resource>,
    /// Held directly (listed by the connector), not only through expansion.
    direct: bool,
    /// Its sources, entitlement id to whether that one is held directly: as listed, plus what
    /// expansion added.
    sources: BTreeMap<String, bool>,
    change: Change,
}

/// What expansion did to a holder's grant.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Nothing.
    None,
    /// The listed grant gained sources; it is read again and rewritten.
    Merged,
    /// Expansion made it.
    Created,
}

/// What expansion did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpansionReport {
    /// Grants created for principals who held no grant of the destination before.
    pub created: usize,
    /// Existing grants that gained a source.
    pub merged: usize,
    /// Expandable annotations ignored because they name an entitlement that is not the principal's.
    pub skipped_edges: usize,
}

/// Grants written at a time: whole grants held for writing add up (10,000 held 16 MB).
const WRITE_BATCH: usize = 1_000;

/// Expands every grant of the current sync that asked for it, writing new and updated grants,
/// then marks those grants expanded.
pub fn expand(store: &mut SyncStore) -> Result<ExpansionReport, C1zError> {
    let mut report = ExpansionReport::default();
    let mut edges = BTreeSet::new();
    for (grant, expandable) in store.expandable_grants()? {
        let Some(destination) = grant.entitlement.as_ref().map(|e| e.id.clone()) else {
            continue;
        };
        let principal = grant
            .principal
            .as_ref()
            .and_then(|p| p.id.clone())
            .unwrap_or_default();
        for source in expandable
            .entitlement_ids
            .iter()
            .filter(|s| !s.trim().is_empty())
        {
            // Baton requires the source to be an entitlement of the principal itself.
            let prefix = format!("{}:{}:", principal.resource_type, principal.resource);
            if !source.starts_with(&prefix) {
                tracing::warn!(grant = %grant.id, source = %source, "ignoring a grant-expandable source that is not an entitlement of the grant's principal");
                report.skipped_edges += 1;
                continue;
            }
            edges.insert(Edge {
                source: source.clone(),
                destination: destination.clone(),
                shallow: expandable.shallow,
                resource_types: expandable.resource_type_ids.clone(),
            });
        }
    }
    if edges.is_empty() {
        store.mark_expanded()?;
        return Ok(report);
    }

    // Load the current holders of every entitlement on the graph; each principal once, however
    // many entitlements it holds.
    let mut holders: BTreeMap<String, BTreeMap<PrincipalKey, Holding>> = BTreeMap::new();
    let mut principals: BTreeMap<PrincipalKey, Rc<pb::Resource>> = BTreeMap::new();
    let mut stubs: BTreeMap<String, pb::Entitlement> = BTreeMap::new();
    for edge in &edges {
        for id in [&edge.source, &edge.destination] {
            if holders.contains_key(id) {
                continue;
            }
            let mut held = BTreeMap::new();
            for grant in store.grants_for_entitlement(id)? {
                let Some(key) = principal_key(&grant) else {
                    continue;
                };
                let direct = is_direct(&grant, id);
                let sources = grant
                    .sources
                    .map(|s| {
                        s.sources
                            .into_iter()
                            .map(|(k, v)| (k, v.is_direct))
                            .collect()
                    })
                    .unwrap_or_default();
                let principal = principals
                    .entry(key.clone())
                    .or_insert_with(|| Rc::new(grant.principal.unwrap_or_default()))
                    .clone();
                held.insert(
                    key,
                    Holding {
                        grant_id: grant.id,
                        principal,
                        direct,
                        sources,
                        change: Change::None,
                    },
                );
            }
            holders.insert(id.clone(), held);
            let resource = store
                .entitlement(id)?
                .and_then(|e| e.resource)
                .map(|r| pb::Resource {
                    id: r.id,
                    ..Default::default()
                });
            stubs.insert(
                id.clone(),
                pb::Entitlement {
                    id: id.clone(),
                    resource,
                    ..Default::default()
                },
            );
        }
    }

    // Least fixpoint: keep applying every edge until no holder set grows and no source is added.
    loop {
        let mut changed = false;
        for edge in &edges {
            let sources: Vec<(PrincipalKey, Rc<pb::Resource>, bool)> = holders[&edge.source]
                .iter()
                .filter(|((rt, _), _)| {
                    edge.resource_types.is_empty() || edge.resource_types.contains(rt)
                })
                .filter(|(_, h)| !edge.shallow || h.direct)
                .map(|(k, h)| (k.clone(), h.principal.clone(), h.direct))
                .collect();
            let destination = holders.get_mut(&edge.destination).expect("loaded above");
            for (key, principal, source_direct) in sources {
                match destination.get_mut(&key) {
                    None => {
                        let holding = Holding {
                            grant_id: String::new(),
                            principal,
                            direct: false,
                            sources: BTreeMap::from([(edge.source.clone(), source_direct)]),
                            change: Change::Created,
                        };
                        destination.insert(key, holding);
                        report.created += 1;
                        changed = true;
                    }
                    Some(holding) => {
                        if !holding.sources.contains_key(&edge.source) {
                            if holding.sources.is_empty() {
                                // A direct grant gaining its first source records itself too.
                                holding.sources.insert(edge.destination.clone(), true);
                            }
                            holding.sources.insert(edge.source.clone(), source_direct);
                            if holding.change == Change::None {
                                holding.change = Change::Merged;
                                report.merged += 1;
                            }
                            changed = true;
                        }
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }

    let mut updated = Vec::new();
    for (entitlement, held) in holders {
        for ((rt, id), holding) in held {
            let grant = match holding.change {
                Change::None => continue,
                Change::Created => pb::Grant {
                    id: pb::grant_id(&entitlement, &rt, &id),
                    entitlement: Some(stubs[&entitlement].clone()),
                    principal: Some(Rc::unwrap_or_clone(holding.principal)),
                    annotations: vec![pb::GrantImmutable::default().to_any()],
                    sources: Some(grant_sources(holding.sources)),
                },
                Change::Merged => {
                    let Some(mut grant) = store.grant(&holding.grant_id)? else {
                        continue;
                    };
                    grant.sources = Some(grant_sources(holding.sources));
                    grant
                }
            };
            updated.push(grant);
            if updated.len() == WRITE_BATCH {
                store.put_expanded_grants(&updated)?;
                updated.clear();
            }
        }
    }
    store.put_expanded_grants(&updated)?;
    // Written in the same transaction as the expanded grants: a kill before the next checkpoint
    // rolls both back, and the expansion runs again on resume.
    store.mark_expanded()?;
    Ok(report)
}

fn principal_key(grant: &pb::Grant) -> Option<PrincipalKey> {
    let id = grant.principal.as_ref()?.id.as_ref()?;
    Some((id.resource_type.clone(), id.resource.clone()))
}

/// Baton's rule: a grant is direct when it has no sources or lists its own entitlement.
fn is_direct(grant: &pb::Grant, entitlement_id: &str) -> bool {
    grant
        .sources
        .as_ref()
        .is_none_or(|s| s.sources.is_empty() || s.sources.contains_key(entitlement_id))
}

fn grant_sources(sources: BTreeMap<String, bool>) -> pb::GrantSources {
    pb::GrantSources {
        sources: sources
            .into_iter()
            .map(|(id, is_direct)| (id, pb::GrantSource { is_direct }))
            .collect(),
    }
}
