//! The scheduler: runs the action stack, the store's own steps in this task and the plugin calls
//! on the pool's instances, as many at once as the pool allows. Calls of one phase are
//! independent of each other and run concurrently; a phase starts when the one before has
//! finished, and a walk over stored resources waits for the calls it started, so a sync at any
//! concurrency visits the same resources and writes the same rows as one call at a time.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use c1z::{C1zError, SyncStore};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::calls::{self, Reply};
use super::events::{Counts, SyncEvents};
use super::expand::ExpansionReport;
use super::pool::InstancePool;
use super::scope::{self, SyncScope};
use super::selection::SyncSelection;
use super::state::{Action, Operation, SyncState};
use super::steps::{self, Steps};
use super::stop::StopRequest;
use crate::runtime::{CallError, Instance};

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

/// A call in flight: its id, the instance it runs on, and what came back.
type Finished = (u64, Instance, Result<Reply, CallError>);

/// Runs (or resumes) a full sync on the pool's instances into `store`, then writes the file.
/// `requests` reports how many HTTP requests the plugin has made, for progress.
pub async fn run_sync(
    mut pool: InstancePool,
    mut store: SyncStore,
    options: &SyncOptions,
    events: &dyn SyncEvents,
    requests: &(dyn Fn() -> u64 + Sync),
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
        tracing::info!(sync_id = %run.id, concurrency = pool.limit(), "starting a full sync");
    }
    let stored = store.counts()?;
    let plugin = pool.plugin().unwrap_or_default();
    let mut steps = Steps {
        store: &mut store,
        state: &mut state,
        plugin,
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
    let mut calls: JoinSet<Finished> = JoinSet::new();
    // The actions of the calls in flight, by call id: checkpointed as still to do.
    let mut in_flight: BTreeMap<u64, Action> = BTreeMap::new();
    let mut next_id = 0u64;
    let mut last_checkpoint = Instant::now();
    loop {
        if options.stop.is_requested() {
            // The calls in flight are dropped; their actions are checkpointed as still to do.
            calls.abort_all();
            let token = token_with(steps.state, &in_flight);
            steps.store.checkpoint(&token)?;
            events.checkpointed();
            events.ended();
            tracing::info!(sync_id = %run.id, completed = steps.state.completed_actions_count, "sync stopped at a checkpoint");
            return Err(SyncError::Interrupted {
                work: steps.store.work_path().to_path_buf(),
            });
        }
        // Start everything that may run now.
        let mut progressed = false;
        while let Some(top) = steps.state.actions.last() {
            let running = in_flight.values().map(|a| steps::phase(a.operation)).min();
            let call = steps::is_call(top);
            let may_run = match running {
                None => true,
                // The store's own steps (walks, phase set-ups) wait for every call in flight.
                Some(_) if !call => false,
                Some(phase) => steps::phase(top.operation) == phase,
            };
            if !may_run || (call && !pool.has_room()) {
                break;
            }
            let action = steps.state.actions.pop().expect("the top exists");
            let operation = action.operation;
            let phase_done = if call {
                let prepared = steps.prepare(action.clone())?;
                let mut instance = match pool.take().await {
                    Some(made) => made?,
                    None => unreachable!("the pool had room"),
                };
                let id = next_id;
                next_id += 1;
                in_flight.insert(id, action);
                // In the caller's span, so a call's logs name the tenant it runs for.
                calls.spawn(
                    async move {
                        let reply = calls::perform(&mut instance, prepared).await;
                        (id, instance, reply)
                    }
                    .in_current_span(),
                );
                false
            } else {
                steps.state.completed_actions_count += 1;
                steps.run(action)?
            };
            progressed = true;
            if phase_done {
                steps
                    .store
                    .checkpoint(&token_with(steps.state, &in_flight))?;
                events.checkpointed();
                last_checkpoint = Instant::now();
            }
            steps.seen.requests = requests();
            events.progress(phase_name(operation), &steps.seen);
        }
        // Then wait for a call to finish.
        let Some(finished) = calls.join_next().await else {
            if steps.state.actions.is_empty() {
                break;
            }
            if !progressed {
                return Err(SyncError::Contract {
                    plugin: steps.plugin.clone(),
                    message: "the sync cannot go on: nothing runs and nothing is running".into(),
                });
            }
            continue;
        };
        let (id, instance, reply) = finished.map_err(|e| SyncError::Contract {
            plugin: steps.plugin.clone(),
            message: format!("a plugin call's task ended abnormally: {e}"),
        })?;
        pool.put_back(instance);
        let action = in_flight.remove(&id).expect("a call in flight");
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => {
                calls.abort_all();
                return Err(e.into());
            }
        };
        steps.state.completed_actions_count += 1;
        let phase_done = steps.apply(reply)?;
        if phase_done || last_checkpoint.elapsed() >= options.checkpoint_interval {
            steps
                .store
                .checkpoint(&token_with(steps.state, &in_flight))?;
            events.checkpointed();
            last_checkpoint = Instant::now();
        }
        steps.seen.requests = requests();
        events.progress(phase_name(action.operation), &steps.seen);
    }
    let expansion = std::mem::take(&mut steps.expansion);
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

/// The token to checkpoint: the state, with the actions of the calls in flight still to do.
fn token_with(state: &SyncState, in_flight: &BTreeMap<u64, Action>) -> String {
    if in_flight.is_empty() {
        return state.to_token();
    }
    let mut pending = state.clone();
    pending.actions.extend(in_flight.values().cloned());
    pending.to_token()
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
