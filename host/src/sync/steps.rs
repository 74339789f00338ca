//! The store side of a sync: the steps that need no plugin call (the phases' set-up, walks over
//! stored resources, grant expansion), the calls prepared from the store, and the replies written
//! back into it. One task owns this; the calls themselves run elsewhere (see `engine`).

use std::collections::HashMap;

use c1z::{SyncStore, pb};

use super::calls::{Call, Reply};
use super::convert;
use super::engine::SyncError;
use super::events::Counts;
use super::expand::{self, ExpansionReport};
use super::selection::SyncSelection;
use super::state::{Action, Operation, SyncState};
use crate::runtime::types as wit;

/// How many stored resources a walk takes per step.
const WALK_PAGE: usize = 100;

/// Principals kept resolved at once; far more than the users and groups of a large tenant.
const PRINCIPAL_CACHE: usize = 100_000;

/// The engine's state and its store.
pub(super) struct Steps<'a> {
    pub(super) store: &'a mut SyncStore,
    pub(super) state: &'a mut SyncState,
    /// The plugin's name, for contract errors.
    pub(super) plugin: String,
    /// Resource types of this sync, loaded lazily (needed to embed them in entitlements).
    pub(super) types: Vec<pb::ResourceType>,
    pub(super) expansion: ExpansionReport,
    /// Objects listed so far (shown as progress; upserts of the same id count again).
    pub(super) seen: Counts,
    /// Principals already resolved for grants, by (type, id).
    pub(super) principals: HashMap<(String, String), pb::Resource>,
    /// The parts of the sync to run.
    pub(super) selection: SyncSelection,
}

/// The order of the phases: every action of one runs before any of the next.
pub(super) fn phase(op: Operation) -> u8 {
    match op {
        Operation::Init => 0,
        Operation::ListResourceTypes => 1,
        Operation::ListResources => 2,
        Operation::ListEntitlements => 3,
        Operation::ListGrants => 4,
        Operation::GrantExpansion => 5,
    }
}

/// Whether an action of this operation is, or leads to, plugin calls: all but grant expansion.
fn leads_to_calls(op: Operation) -> bool {
    !matches!(op, Operation::GrantExpansion)
}

/// Whether any plugin call is still to come once `next` runs, of it or of the `queued` actions.
pub(super) fn calls_ahead(next: Operation, queued: &[Action]) -> bool {
    leads_to_calls(next) || queued.iter().any(|a| leads_to_calls(a.operation))
}

/// Whether the action is a plugin call (else a step of the store's own).
pub(super) fn is_call(action: &Action) -> bool {
    match action.operation {
        Operation::ListResourceTypes => true,
        Operation::ListResources | Operation::ListEntitlements | Operation::ListGrants => {
            !action.is_walk()
        }
        Operation::Init | Operation::GrantExpansion => false,
    }
}

impl Steps<'_> {
    fn contract(&self, message: String) -> SyncError {
        SyncError::Contract {
            plugin: self.plugin.clone(),
            message,
        }
    }

    fn check_token(&self, action: &Action, next: &str, what: &str) -> Result<(), SyncError> {
        if !next.is_empty() && next == action.page_token {
            return Err(self.contract(format!(
                "{what} returned the page token it was given ({next:?}); the listing would never end"
            )));
        }
        Ok(())
    }

    /// Runs a step that needs no plugin call. Returns true at a phase boundary.
    pub(super) fn run(&mut self, action: Action) -> Result<bool, SyncError> {
        match action.operation {
            Operation::Init => {
                let s = &self.selection;
                for (op, wanted) in [
                    (Operation::GrantExpansion, s.expands_grants()),
                    (Operation::ListGrants, s.lists_grants()),
                    (Operation::ListEntitlements, s.lists_entitlements()),
                    (Operation::ListResources, true),
                    (Operation::ListResourceTypes, true),
                ] {
                    if wanted {
                        self.state.actions.push(Action::new(op));
                    }
                }
                Ok(true)
            }
            Operation::ListResources => {
                let types = self.store.resource_types()?;
                for t in types.iter().rev() {
                    let mut a = Action::new(Operation::ListResources);
                    a.resource_type_id = t.id.clone();
                    self.state.actions.push(a);
                }
                Ok(true)
            }
            Operation::ListEntitlements | Operation::ListGrants => self.walk(action),
            Operation::GrantExpansion => {
                if self.state.needs_expansion {
                    self.expansion = expand::expand(self.store)?;
                    self.seen.grants += self.expansion.created as u64;
                    tracing::info!(
                        created = self.expansion.created,
                        merged = self.expansion.merged,
                        "grant expansion done"
                    );
                }
                Ok(true)
            }
            Operation::ListResourceTypes => Err(self.contract(
                "listing resource types is a plugin call, not a step of the store".into(),
            )),
        }
    }

    /// One step of a walk over stored resources: pushes a per-resource action for each of the
    /// next `WALK_PAGE` resources, and the walk's continuation below them.
    fn walk(&mut self, action: Action) -> Result<bool, SyncError> {
        let from = action.page_token.parse::<i64>().unwrap_or(0);
        let (resources, next) = self.store.resources_page(from, WALK_PAGE)?;
        if let Some(next) = next {
            self.state.actions.push(action.at(&next.to_string()));
        }
        for r in resources.iter().rev() {
            let Some(id) = &r.id else { continue };
            let mut a = Action::new(action.operation);
            a.resource_type_id = id.resource_type.clone();
            a.resource_id = id.resource.clone();
            self.state.actions.push(a);
        }
        Ok(next.is_none())
    }

    /// The call that carries out `action`, with what it needs from the store.
    pub(super) fn prepare(&mut self, action: Action) -> Result<Call, SyncError> {
        Ok(match action.operation {
            Operation::ListResourceTypes => Call::ResourceTypes,
            Operation::ListResources => Call::Resources(action),
            Operation::ListEntitlements => {
                let resource = self.stored_resource(&action)?;
                Call::Entitlements(action, resource)
            }
            Operation::ListGrants => {
                let resource = self.stored_resource(&action)?;
                Call::Grants(action, resource)
            }
            Operation::Init | Operation::GrantExpansion => {
                return Err(self.contract(format!(
                    "{:?} is a step of the store, not a plugin call",
                    action.operation
                )));
            }
        })
    }

    fn stored_resource(&self, action: &Action) -> Result<pb::Resource, SyncError> {
        self.store
            .resource(&action.resource_type_id, &action.resource_id)?
            .ok_or_else(|| {
                SyncError::Resume(format!(
                    "resource {}:{} vanished from the sync store",
                    action.resource_type_id, action.resource_id
                ))
            })
    }

    /// Writes a call's reply into the store and pushes what follows from it. Returns true at a
    /// phase boundary.
    pub(super) fn apply(&mut self, reply: Reply) -> Result<bool, SyncError> {
        match reply {
            Reply::ResourceTypes(types) => self.resource_types(types),
            Reply::Resources(action, page) => self.resources(action, page),
            Reply::Entitlements(action, resource, page) => {
                self.entitlements(action, resource, page)
            }
            Reply::Grants(action, resource, page) => self.grants(action, resource, page),
        }
    }

    fn resource_types(&mut self, types: Vec<wit::ResourceType>) -> Result<bool, SyncError> {
        let types: Vec<pb::ResourceType> = types.iter().map(convert::resource_type).collect();
        if let Some(bad) = types.iter().find(|t| t.id.is_empty()) {
            return Err(self.contract(format!(
                "resource type {:?} has an empty id",
                bad.display_name
            )));
        }
        let offered: Vec<&str> = types.iter().map(|t| t.id.as_str()).collect();
        if let Some(unknown) = self
            .selection
            .resource_types
            .iter()
            .find(|t| !offered.contains(&t.as_str()))
        {
            return Err(SyncError::Selection(format!(
                "the resource type {unknown:?} asked for is not one {} syncs; it syncs {}",
                self.plugin,
                offered.join(", ")
            )));
        }
        let types: Vec<pb::ResourceType> = types
            .into_iter()
            .filter(|t| self.selection.includes(&t.id))
            .collect();
        self.store.put_resource_types(&types)?;
        Ok(true)
    }

    fn resources(&mut self, action: Action, page: wit::ResourcePage) -> Result<bool, SyncError> {
        self.check_token(&action, &page.next_token, "list-resources")?;
        let mut stored = Vec::with_capacity(page.items.len());
        for r in &page.items {
            if r.id.resource_type != action.resource_type_id || r.id.id.is_empty() {
                return Err(self.contract(format!(
                    "list-resources for type {} returned resource {}:{}",
                    action.resource_type_id, r.id.resource_type, r.id.id
                )));
            }
            stored.push(convert::resource(r));
        }
        self.store.put_resources(&stored)?;
        self.seen.resources += stored.len() as u64;
        // Depth-first: the children of this page run before the parent's next page.
        if !page.next_token.is_empty() {
            self.state.actions.push(action.at(&page.next_token));
        }
        for r in page.items.iter().rev() {
            for child in r
                .child_resource_types
                .iter()
                .rev()
                .filter(|c| self.selection.includes(c))
            {
                let mut a = Action::new(Operation::ListResources);
                a.resource_type_id = child.clone();
                a.parent_resource_type_id = r.id.resource_type.clone();
                a.parent_resource_id = r.id.id.clone();
                self.state.actions.push(a);
            }
        }
        Ok(false)
    }

    fn entitlements(
        &mut self,
        action: Action,
        resource: pb::Resource,
        page: wit::EntitlementPage,
    ) -> Result<bool, SyncError> {
        self.check_token(&action, &page.next_token, "list-entitlements")?;
        if self.types.is_empty() {
            self.types = self.store.resource_types()?;
        }
        let items: Vec<pb::Entitlement> = page
            .items
            .iter()
            .map(|e| convert::entitlement(e, &resource, &self.types))
            .collect();
        self.store.put_entitlements(&items)?;
        self.seen.entitlements += items.len() as u64;
        if !page.next_token.is_empty() {
            self.state.actions.push(action.at(&page.next_token));
        }
        Ok(false)
    }

    fn grants(
        &mut self,
        action: Action,
        resource: pb::Resource,
        page: wit::GrantPage,
    ) -> Result<bool, SyncError> {
        self.check_token(&action, &page.next_token, "list-grants")?;
        let mut grants = Vec::with_capacity(page.items.len());
        let mut unlisted = Vec::new();
        for g in &page.items {
            let on = &g.entitlement.resource_ref;
            let entitlement_resource =
                if on.resource_type == action.resource_type_id && on.id == action.resource_id {
                    resource.clone()
                } else {
                    self.store
                        .resource(&on.resource_type, &on.id)?
                        .unwrap_or_else(|| pb::Resource {
                            id: Some(convert::resource_id(on)),
                            ..Default::default()
                        })
                };
            if g.expandable.is_some() {
                self.state.needs_expansion = true;
            }
            let principal = self.principal(&g.principal, &mut unlisted)?;
            grants.push(convert::grant(g, &entitlement_resource, principal));
        }
        // Baton's readers need every principal as a resource: store those never listed.
        self.store.put_resources_if_absent(&unlisted)?;
        self.store.put_grants(&grants)?;
        self.seen.grants += grants.len() as u64;
        if !page.next_token.is_empty() {
            self.state.actions.push(action.at(&page.next_token));
        }
        Ok(false)
    }

    /// The principal to embed in a grant: the listed resource when the sync has one (so every
    /// grant carries the same, listed version of its principal, whatever the plugin had cached
    /// when it built the grant), else the plugin's version, which is then also stored.
    fn principal(
        &mut self,
        given: &wit::ResourceInfo,
        unlisted: &mut Vec<pb::Resource>,
    ) -> Result<pb::Resource, SyncError> {
        let key = (given.id.resource_type.clone(), given.id.id.clone());
        if let Some(found) = self.principals.get(&key) {
            return Ok(found.clone());
        }
        let resource = match self.store.resource(&key.0, &key.1)? {
            Some(listed) => listed,
            None => {
                let r = convert::resource(given);
                unlisted.push(r.clone());
                r
            }
        };
        if self.principals.len() >= PRINCIPAL_CACHE {
            self.principals.clear();
        }
        self.principals.insert(key, resource.clone());
        Ok(resource)
    }
}
