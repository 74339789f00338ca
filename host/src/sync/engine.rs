//! The scheduler: runs the action stack, the store's own steps in this task and the plugin calls
//! on the pool's instances, as many at once as the pool allows. Calls of one phase are
//! independent of each other and run concurrently; a phase starts when the one before has
//! finished, and a walk over stored resources waits for the calls it started, so a sync at any
//! concurrency visits the same resources and writes the same rows as one call at a time.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use c1z::{C1zError, SyncStore};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::calls::{self, Reply};
use super::carried::CarriedState;
use super::events::{Counts, RequestMeter, SyncEvents};
use super::expand::ExpansionReport;
use super::limits::{SyncLimit, SyncLimits};
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
    /// Its deadline and caps; one reached fails the sync and removes its in-progress file.
    pub limits: SyncLimits,
    /// State kept in every checkpoint and in the finished sync beside the engine's own.
    pub carried: Vec<Arc<dyn CarriedState>>,
}

/// How often the progress is told while calls are running (a call may wait long for the
/// request budget), and a stop request looked at.
const PROGRESS_TICK: Duration = Duration::from_secs(1);

impl Default for SyncOptions {
    fn default() -> Self {
        // Baton checkpoints at most every 10 s; a commit costs little, so a killed sync loses less.
        SyncOptions {
            checkpoint_interval: Duration::from_secs(2),
            scope: SyncScope::default(),
            resume: Resume::SameScope,
            stop: StopRequest::new(),
            selection: SyncSelection::default(),
            limits: SyncLimits::default(),
            carried: Vec::new(),
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
    /// The sync reached one of its limits; it was stopped and its in-progress file removed.
    #[error("the sync {}; it was stopped and its in-progress file {} removed, so nothing partial is left; {}", limit.what(), work.display(), limit.hint())]
    Limit {
        /// Which limit.
        limit: SyncLimit,
        /// The in-progress file, now removed.
        work: PathBuf,
    },
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
/// `meter` reports the HTTP requests the plugin has made and the request budget, for progress.
/// A sync that reaches one of `options.limits` fails with [`SyncError::Limit`] and its
/// in-progress file is removed; any other failure keeps it for a resume.
pub async fn run_sync(
    pool: InstancePool,
    mut store: SyncStore,
    options: &SyncOptions,
    events: &dyn SyncEvents,
    meter: &(impl RequestMeter + ?Sized),
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let driven = drive(pool, &mut store, options, events, meter, started);
    let driven = match options.limits.timeout {
        // Dropping the drive at the deadline aborts the calls in flight and ends its borrow of
        // the store, which is then discarded below.
        Some(timeout) => {
            tokio::time::timeout(timeout, driven)
                .await
                .unwrap_or(Err(SyncError::Limit {
                    limit: SyncLimit::Timeout(timeout),
                    work: PathBuf::new(),
                }))
        }
        None => driven.await,
    };
    let driven = match driven {
        Ok(driven) => driven,
        Err(SyncError::Limit { limit, .. }) => {
            let work = store.work_path().to_path_buf();
            // What it had come to, for the operator: rows of this sync, size of the file.
            let rows = store
                .counts()
                .map(|c| c.resources + c.entitlements + c.grants)
                .unwrap_or_default();
            let mib = store.size_bytes().unwrap_or_default() >> 20;
            tracing::warn!(work = %work.display(), rows, mib, "the sync {}; removing its in-progress file", limit.what());
            store.discard()?;
            events.ended();
            return Err(SyncError::Limit { limit, work });
        }
        Err(e) => return Err(e),
    };
    let counts = store.counts()?;
    let path = store.finish()?;
    events.ended();
    Ok(SyncReport {
        sync_id: driven.sync_id,
        resumed: driven.resumed,
        restarted: driven.restarted,
        path,
        counts,
        expansion: driven.expansion,
        elapsed: started.elapsed(),
    })
}

/// What a sync driven to its end leaves for the file to be written.
struct Driven {
    sync_id: String,
    resumed: bool,
    restarted: Option<String>,
    expansion: ExpansionReport,
}

/// Runs the sync's steps and calls until its action stack is empty, and checkpoints the end.
async fn drive(
    mut pool: InstancePool,
    store: &mut SyncStore,
    options: &SyncOptions,
    events: &dyn SyncEvents,
    meter: &(impl RequestMeter + ?Sized),
    started: Instant,
) -> Result<Driven, SyncError> {
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
    let size_at_start = store.size_bytes()?;
    let plugin = pool.plugin().unwrap_or_default();
    let mut steps = Steps {
        store,
        state: &mut state,
        plugin,
        types: Vec::new(),
        expansion: ExpansionReport::default(),
        seen: Counts {
            resources: stored.resources,
            entitlements: stored.entitlements,
            grants: stored.grants,
            requests: 0,
            budget: None,
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
        // The timeout around the drive fires only where it awaits; a sync whose calls all come
        // back at once may not, so the deadline is also checked here.
        if let Some(timeout) = options.limits.timeout.filter(|&t| started.elapsed() >= t) {
            calls.abort_all();
            return Err(SyncError::Limit {
                limit: SyncLimit::Timeout(timeout),
                work: PathBuf::new(),
            });
        }
        if options.stop.is_requested() {
            // The calls in flight are dropped; their actions are checkpointed as still to do.
            calls.abort_all();
            let token = token_with(steps.state, &in_flight, &options.carried);
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
                // Store steps run with no call in flight; when none is left to come either,
                // the instances go before the store's heaviest step, grant expansion.
                if !steps::calls_ahead(operation, &steps.state.actions) {
                    pool.release();
                }
                steps.state.completed_actions_count += 1;
                let phase_done = steps.run(action)?;
                check_limits(&steps, &options.limits, size_at_start)?;
                phase_done
            };
            progressed = true;
            if phase_done {
                steps
                    .store
                    .checkpoint(&token_with(steps.state, &in_flight, &options.carried))?;
                events.checkpointed();
                last_checkpoint = Instant::now();
            }
            steps.seen.requests = meter.requests();
            steps.seen.budget = meter.budget();
            events.progress(phase_name(operation), &steps.seen);
        }
        // Then wait for a call to finish, telling the progress meanwhile.
        let next = tokio::select! {
            next = calls.join_next() => next,
            _ = tokio::time::sleep(PROGRESS_TICK), if !calls.is_empty() => {
                steps.seen.requests = meter.requests();
                steps.seen.budget = meter.budget();
                if let Some(action) = in_flight.values().next() {
                    events.progress(phase_name(action.operation), &steps.seen);
                }
                continue;
            }
        };
        let Some(finished) = next else {
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
        if let Err(e) = check_limits(&steps, &options.limits, size_at_start) {
            calls.abort_all();
            return Err(e);
        }
        if phase_done || last_checkpoint.elapsed() >= options.checkpoint_interval {
            steps
                .store
                .checkpoint(&token_with(steps.state, &in_flight, &options.carried))?;
            events.checkpointed();
            last_checkpoint = Instant::now();
        }
        steps.seen.requests = meter.requests();
        steps.seen.budget = meter.budget();
        events.progress(phase_name(action.operation), &steps.seen);
    }
    let expansion = std::mem::take(&mut steps.expansion);
    steps
        .store
        .checkpoint(&token_with(steps.state, &BTreeMap::new(), &options.carried))?;
    Ok(Driven {
        sync_id: run.id,
        resumed: run.resumed,
        restarted: set_aside,
        expansion,
    })
}

/// Fails the sync once it has written more rows, or grown its file more, than its limits allow.
fn check_limits(steps: &Steps, limits: &SyncLimits, size_at_start: u64) -> Result<(), SyncError> {
    if limits.max_rows.is_none() && limits.max_bytes.is_none() {
        return Ok(());
    }
    let seen = &steps.seen;
    let rows = seen.resources + seen.entitlements + seen.grants;
    let added = match limits.max_bytes {
        Some(_) => steps.store.size_bytes()?.saturating_sub(size_at_start),
        None => 0,
    };
    match limits.exceeded(rows, added) {
        Some(limit) => Err(SyncError::Limit {
            limit,
            work: PathBuf::new(),
        }),
        None => Ok(()),
    }
}

/// The token to checkpoint: the state, with the actions of the calls in flight still to do, and
/// the carried state as it is now.
fn token_with(
    state: &SyncState,
    in_flight: &BTreeMap<u64, Action>,
    carried: &[Arc<dyn CarriedState>],
) -> String {
    let mut pending = state.clone();
    pending.actions.extend(in_flight.values().cloned());
    pending.carried = carried
        .iter()
        .map(|c| (c.key().to_string(), c.save()))
        .collect();
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
