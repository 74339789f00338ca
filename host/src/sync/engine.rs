//! The action loop.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use c1z::pb;
use c1z::{C1zError, SyncStore};

use super::convert;
use super::events::{Counts, SyncEvents};
use super::expand::{self, ExpansionReport};
use super::scope::{self, SyncScope};
use super::selection::SyncSelection;
use super::state::{Action, Operation, SyncState};
use super::stop::StopRequest;
use crate::runtime::{CallError, Instance};

/// How many stored resources a walk takes per step.
const WALK_PAGE: usize = 100;

/// Principals kept resolved at once; far more than the users and groups of a large tenant.
const PRINCIPAL_CACHE: usize = 100_000;

/// Settings of one sync.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// The longest time between two checkpoints.
    pub checkpoint_interval: Duration,
    /// What this sync covers; an interrupted sync of another scope is not resumed.
    pub scope: SyncScope,
    /// Whether an interrupted sync of the same scope is resumed.
    pub resume: Resume,
    /// Set to stop at the next checkpoint with [`SyncError::Interrupted`].
    pub stop: StopRequest,
    /// The parts of the sync to run (part of the scope too).
    pub selection: SyncSelection,
}

impl Default for SyncOptions {
    fn default() -> Self {
        // Baton checkpoints at most every 10 s; a commit costs little, so a killed sync loses less.
        SyncOptions {
            checkpoint_interval: Duration::from_secs(2),
            scope: SyncScope::default(),
            resume: Resume::SameScope,
            stop: StopRequest::new(),
            selection: SyncSelection::default(),
        }
    }
}

/// When an interrupted sync in the file is continued.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Resume {
    /// When it was checkpointed with the same scope.
    #[default]
    SameScope,
    /// Never; the reason is logged when an interrupted sync is set aside.
    Never(String),
}

/// What a finished sync produced.
#[derive(Clone, Debug)]
pub struct SyncReport {
    /// The sync run's id.
    pub sync_id: String,
    /// Whether it continued an interrupted sync.
    pub resumed: bool,
    /// Why an interrupted sync found in the file was set aside for a new one (dropped when this
    /// one finished), if one was.
    pub restarted: Option<String>,
    /// The file written.
    pub path: PathBuf,
    /// Rows of the finished sync.
    pub counts: c1z::SyncCounts,
    /// What grant expansion added.
    pub expansion: ExpansionReport,
    /// Wall time of this run.
    pub elapsed: Duration,
}

/// Why a sync failed. The output file is left as it was; the in-progress state is kept for resume.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The plugin failed or returned an error.
    #[error(transparent)]
    Plugin(#[from] CallError),
    /// The sync file could not be written or read.
    #[error(transparent)]
    Store(#[from] C1zError),
    /// The plugin broke the contract (for example a page token that never advances).
    #[error("plugin {plugin} broke the contract: {message}")]
    Contract {
        /// The plugin's name.
        plugin: String,
        /// What was wrong.
        message: String,
    },
    /// The sync asked for a part the component does not have.
    #[error("{0}")]
    Selection(String),
    /// The checkpoint of an interrupted sync cannot be resumed.
    #[error("{0}; delete the .in-progress file next to the output to start over")]
    Resume(String),
    /// A stop was requested; the sync stopped at a checkpoint and can be resumed.
    #[error(
        "the sync was stopped at a checkpoint; its progress is kept in {}",
        work.display()
    )]
    Interrupted {
        /// The working file holding the checkpointed sync.
        work: PathBuf,
    },
}

/// Runs (or resumes) a full sync of `instance` into `store`, then writes the file.
/// `requests` reports how many HTTP requests the plugin has made, for progress.
pub async fn run_sync(
    instance: &mut Instance,
    mut store: SyncStore,
    options: &SyncOptions,
    events: &dyn SyncEvents,
    requests: &dyn Fn() -> u64,
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let mut run = store.start_or_resume()?;
    let mut state = SyncState::from_token(&run.token, &options.scope);
    let set_aside = match (&state, &options.resume) {
        _ if !run.resumed => None,
        // Another tool's or another version's checkpoint.
        (Err(why), _) => Some(why.clone()),
        (Ok(_), Resume::Never(why)) => Some(why.clone()),
        (Ok(old), Resume::SameScope) => {
            let changes = options.scope.changes_since(&old.scope);
            (!changes.is_empty())
                .then(|| format!("it covers another scope ({})", scope::describe(&changes)))
        }
    };
    if let Some(why) = &set_aside {
        // Start over in a new sync rather than mix with its rows; `finish` drops the old one.
        tracing::warn!(sync_id = %run.id, "not resuming the interrupted sync: {why}; starting a new sync instead");
        run = store.start_new()?;
        state = Ok(SyncState::start(options.scope.clone()));
    }
    let mut state = state.map_err(SyncError::Resume)?;
    if run.resumed {
        tracing::info!(sync_id = %run.id, completed = state.completed_actions_count, "resuming the interrupted sync");
    } else {
        tracing::info!(sync_id = %run.id, "starting a full sync");
    }
    let stored = store.counts()?;
    let mut engine = Engine {
        instance,
        store: &mut store,
        state: &mut state,
        types: Vec::new(),
        expansion: ExpansionReport::default(),
        seen: Counts {
            resources: stored.resources,
            entitlements: stored.entitlements,
            grants: stored.grants,
            requests: 0,
        },
        principals: HashMap::new(),
        selection: options.selection.clone(),
    };
    let mut last_checkpoint = Instant::now();
    while let Some(action) = engine.state.actions.last().cloned() {
        if options.stop.is_requested() {
            // Between steps the state matches what was written: commit both and stop.
            engine.store.checkpoint(&engine.state.to_token())?;
            events.checkpointed();
            events.ended();
            tracing::info!(sync_id = %run.id, completed = engine.state.completed_actions_count, "sync stopped at a checkpoint");
            return Err(SyncError::Interrupted {
                work: engine.store.work_path().to_path_buf(),
            });
        }
        let operation = action.operation;
        let phase_done = engine.step(action).await?;
        engine.state.completed_actions_count += 1;
        if phase_done || last_checkpoint.elapsed() >= options.checkpoint_interval {
            engine.store.checkpoint(&engine.state.to_token())?;
            events.checkpointed();
            last_checkpoint = Instant::now();
        }
        engine.seen.requests = requests();
        events.progress(phase_name(operation), &engine.seen);
    }
    let expansion = engine.expansion;
    store.checkpoint(&state.to_token())?;
    let counts = store.counts()?;
    let path = store.finish()?;
    events.ended();
    Ok(SyncReport {
        sync_id: run.id,
        resumed: run.resumed,
        restarted: set_aside,
        path,
        counts,
        expansion,
        elapsed: started.elapsed(),
    })
}

fn phase_name(op: Operation) -> &'static str {
    match op {
        Operation::Init | Operation::ListResourceTypes => "resource types",
        Operation::ListResources => "resources",
        Operation::ListEntitlements => "entitlements",
        Operation::ListGrants => "grants",
        Operation::GrantExpansion => "grant expansion",
    }
}

struct Engine<'a> {
    instance: &'a mut Instance,
    store: &'a mut SyncStore,
    state: &'a mut SyncState,
    /// Resource types of this sync, loaded lazily (needed to embed them in entitlements).
    types: Vec<pb::ResourceType>,
    expansion: ExpansionReport,
    /// Objects listed so far (shown as progress; upserts of the same id count again).
    seen: Counts,
    /// Principals already resolved for grants, by (type, id).
    principals: HashMap<(String, String), pb::Resource>,
    /// The parts of the sync to run.
    selection: SyncSelection,
}

impl Engine<'_> {
    /// Runs the top action. Returns true at a phase boundary (a checkpoint is due).
    async fn step(&mut self, action: Action) -> Result<bool, SyncError> {
        self.state.actions.pop();
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
            Operation::ListResourceTypes => {
                let types = self.instance.resource_types().await?;
                let types: Vec<pb::ResourceType> =
                    types.iter().map(convert::resource_type).collect();
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
                        self.instance.plugin(),
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
            Operation::ListResources if action.is_walk() => {
                let types = self.store.resource_types()?;
                for t in types.iter().rev() {
                    let mut a = Action::new(Operation::ListResources);
                    a.resource_type_id = t.id.clone();
                    self.state.actions.push(a);
                }
                Ok(true)
            }
            Operation::ListResources => self.list_resources(action).await,
            Operation::ListEntitlements | Operation::ListGrants if action.is_walk() => {
                self.walk(action)
            }
            Operation::ListEntitlements => self.list_entitlements(action).await,
            Operation::ListGrants => self.list_grants(action).await,
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
        }
    }

    fn contract(&self, message: String) -> SyncError {
        SyncError::Contract {
            plugin: self.instance.plugin().to_string(),
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

    async fn list_resources(&mut self, action: Action) -> Result<bool, SyncError> {
        let parent = (!action.parent_resource_type_id.is_empty()).then(|| {
            crate::runtime::types::ResourceId {
                resource_type: action.parent_resource_type_id.clone(),
                id: action.parent_resource_id.clone(),
            }
        });
        let page = self
            .instance
            .list_resources(
                &action.resource_type_id,
                parent.as_ref(),
                &action.page_token,
            )
            .await?;
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

    /// The principal to embed in a grant: the listed resource when the sync has one (so every
    /// grant carries the same, listed version of its principal, whatever the plugin had cached
    /// when it built the grant), else the plugin's version, which is then also stored.
    fn principal(
        &mut self,
        given: &crate::runtime::types::ResourceInfo,
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

    async fn list_entitlements(&mut self, action: Action) -> Result<bool, SyncError> {
        let resource = self.stored_resource(&action)?;
        let page = self
            .instance
            .list_entitlements(&convert::resource_back(&resource), &action.page_token)
            .await?;
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

    async fn list_grants(&mut self, action: Action) -> Result<bool, SyncError> {
        let resource = self.stored_resource(&action)?;
        let page = self
            .instance
            .list_grants(&convert::resource_back(&resource), &action.page_token)
            .await?;
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
}
