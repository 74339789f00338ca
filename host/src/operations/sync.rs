//! A full sync of a component into a `.c1z` file, as a library function: validate, run the
//! engine (resuming an interrupted sync of the same scope), report to an event sink.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::settings::{RunSettings, RunShared, SettingsError};
use crate::http::send_log::{Journal, SendLog};
use crate::http::{BudgetStatus, HttpCapability, RequestBudget, RequestStats};
use crate::runtime::CallError;
use crate::sync::{
    Carried, CarriedState, InstancePool, MakeInstance, RequestMeter, Resume, StopRequest,
    SyncError, SyncEvents, SyncOptions, SyncReport, SyncSelection, find_carried, run_sync,
};

/// What to sync into, and how.
#[derive(Clone, Debug)]
pub struct SyncRequest {
    /// The `.c1z` file to write.
    pub output: PathBuf,
    /// Whether an interrupted sync may be resumed.
    pub resume: Resume,
    /// Set to stop at the next checkpoint.
    pub stop: StopRequest,
    /// The longest time between checkpoints; `None` for the engine's default.
    pub checkpoint_interval: Option<Duration>,
    /// The parts of the sync to run (a ConductorOne task's flags); everything by default.
    pub selection: SyncSelection,
}

impl SyncRequest {
    /// A sync into `output` that resumes an interrupted sync of the same scope.
    pub fn into_file(output: impl Into<PathBuf>) -> SyncRequest {
        SyncRequest {
            output: output.into(),
            resume: Resume::SameScope,
            stop: StopRequest::new(),
            checkpoint_interval: None,
            selection: SyncSelection::default(),
        }
    }
}

/// What a sync produced, with the HTTP figures.
#[derive(Debug)]
pub struct SyncOutcome {
    /// The engine's report.
    pub report: SyncReport,
    /// The per-endpoint request table.
    pub requests_table: String,
    /// Requests sent in all.
    pub requests_total: u64,
    /// The per-endpoint counters behind the table.
    pub stats: RequestStats,
    /// Where the request budget stood at the end, when there is one.
    pub budget: Option<BudgetStatus>,
}

/// Why a sync did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SyncRunError {
    /// The run could not be set up.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The component refused its configuration or credentials.
    #[error("{component} could not validate its configuration: {cause}")]
    Validate {
        /// The component's display name.
        component: String,
        /// What it said.
        cause: CallError,
    },
    /// The file could not be opened.
    #[error(transparent)]
    Store(#[from] c1z::C1zError),
    /// The sync failed or was stopped.
    #[error(transparent)]
    Sync(#[from] SyncError),
}

/// Syncs the component of `settings` into `request.output`, telling `events` how it goes.
pub async fn sync(
    settings: &RunSettings,
    request: SyncRequest,
    events: &dyn SyncEvents,
) -> Result<SyncOutcome, SyncRunError> {
    let settings = &with_shared_reads(settings);
    let (mut instance, shared) = settings.instantiate().await?;
    let http = shared.http.clone();
    let meta = &settings.component.metadata;
    tracing::info!(plugin = instance.plugin(), connector = %meta.display_name, version = %meta.version, "plugin loaded");
    // The file first: what earlier runs into it sent still counts, from the first request on.
    let work = c1z::store::in_progress_path(&request.output);
    let had_work = work.exists() || journal_path(&request.output).exists();
    let store = c1z::SyncStore::open(&request.output)?;
    let journal = match http.budget() {
        Some(budget) => Some(carry_budget(budget, &store, &request.output)?),
        None => None,
    };
    if let Err(cause) = instance.validate().await {
        // Nothing was started: leave no working files behind a run that could not begin.
        drop(store);
        if !had_work {
            let mut sqlite_journal = work.clone().into_os_string();
            sqlite_journal.push("-journal");
            for path in [
                Some(work.clone()),
                Some(sqlite_journal.into()),
                journal.flatten(),
            ]
            .into_iter()
            .flatten()
            {
                let _ = std::fs::remove_file(path);
            }
        }
        return Err(SyncRunError::Validate {
            component: meta.display_name.clone(),
            cause,
        });
    }
    let mut scope = settings.scope();
    scope.selection = request.selection.clone();
    let mut options = SyncOptions {
        scope,
        resume: request.resume,
        stop: request.stop,
        limits: settings.limits.sync.clone(),
        carried: http
            .budget()
            .map(|b| Arc::new(BudgetCarried(b.clone())) as Arc<dyn CarriedState>)
            .into_iter()
            .collect(),
        selection: request.selection,
        ..SyncOptions::default()
    };
    if let Some(interval) = request.checkpoint_interval {
        options.checkpoint_interval = interval;
    }
    let pool = instance_pool(settings, instance, &shared);
    let report = match run_sync(pool, store, &options, events, &HttpMeter(http.clone())).await {
        Ok(report) => report,
        Err(e) => {
            // A sync stopped by a limit leaves nothing behind: its journal goes with its file.
            if let (SyncError::Limit { .. }, Some(Some(path))) = (&e, &journal) {
                let _ = std::fs::remove_file(path);
            }
            return Err(e.into());
        }
    };
    // The finished sync holds the record now.
    let budget = http.budget().map(|budget| {
        if let Some(Some(path)) = &journal {
            budget.close_journal();
            let _ = std::fs::remove_file(path);
        }
        let status = budget.status();
        tracing::info!(budget = %status, "sync finished within the request budget");
        status
    });
    let stats = http.stats();
    Ok(SyncOutcome {
        report,
        requests_table: stats.render_table(),
        requests_total: stats.total_requests(),
        stats,
        budget,
    })
}

/// The key of the request budget's record in the sync token.
const BUDGET_KEY: &str = "request-budget";

/// The request budget's record, carried in the sync token.
#[derive(Debug)]
struct BudgetCarried(Arc<RequestBudget>);

impl CarriedState for BudgetCarried {
    fn key(&self) -> &'static str {
        BUDGET_KEY
    }

    fn save(&self) -> serde_json::Value {
        serde_json::to_value(self.0.log()).unwrap_or_default()
    }
}

/// Requests and the budget, for progress.
struct HttpMeter(HttpCapability);

impl RequestMeter for HttpMeter {
    fn requests(&self) -> u64 {
        self.0.stats().total_requests()
    }

    fn budget(&self) -> Option<BudgetStatus> {
        self.0.budget().map(|b| b.status())
    }
}

/// `<output>.in-progress.sends`: the journal of the requests of the sync in progress.
fn journal_path(output: &Path) -> PathBuf {
    let mut path = c1z::store::in_progress_path(output).into_os_string();
    path.push(".sends");
    PathBuf::from(path)
}

/// Seeds the budget with what earlier runs into `output` sent: the journal a killed run left,
/// else the record in its last checkpoint, else the one of the last finished sync; then journals
/// this run's requests. Returns the journal's path, `None` if it cannot be written.
fn carry_budget(
    budget: &RequestBudget,
    store: &c1z::SyncStore,
    output: &Path,
) -> Result<Option<PathBuf>, c1z::C1zError> {
    let path = journal_path(output);
    let now = crate::http::now_ms();
    let from_journal = Journal::load(&path, now).unwrap_or_else(|e| {
        tracing::warn!(file = %path.display(), error = %e, "cannot read the request journal a stopped sync left; going by its last checkpoint");
        None
    });
    let (log, source) = match from_journal {
        Some(log) => (Some(log), "the journal of the interrupted sync"),
        None => match find_carried(store, BUDGET_KEY)? {
            Some(Carried::InProgress(v)) => (
                serde_json::from_value::<SendLog>(v).ok(),
                "the interrupted sync's checkpoint",
            ),
            Some(Carried::Finished(v)) => (
                serde_json::from_value::<SendLog>(v)
                    .ok()
                    .map(SendLog::after_finish),
                "the previous sync",
            ),
            None => (None, ""),
        },
    };
    if let Some(log) = &log {
        budget.restore(log);
        let status = budget.status();
        tracing::info!(from = source, budget = %status, "requests sent before still count against the request budget");
    }
    match budget.keep_journal(&path) {
        Ok(()) => Ok(Some(path)),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot write the request journal; a sync killed midway may overspend the budget when resumed");
            Ok(None)
        }
    }
}

/// Compressed bodies of GET responses a sync's instances share, about ten times as much JSON:
/// the listings every instance reads again (workspaces, members, groups, repositories) are far
/// smaller, and one-off reads age out first.
const SHARED_READS_BYTES: usize = 16 << 20;

/// The settings of a sync whose instances share their reads, when it runs several.
fn with_shared_reads(settings: &RunSettings) -> RunSettings {
    let mut settings = settings.clone();
    if settings.limits.concurrency > 1 && settings.http.shared_reads_bytes.is_none() {
        settings.http.shared_reads_bytes = Some(SHARED_READS_BYTES);
    }
    settings
}

/// The validated instance, and more of the same component in the same run (HTTP capability,
/// plugin log) as calls run concurrently, up to the run's concurrency.
fn instance_pool(
    settings: &RunSettings,
    first: crate::runtime::Instance,
    shared: &RunShared,
) -> InstancePool {
    let limit = settings.limits.concurrency.max(1);
    if limit == 1 {
        return InstancePool::single(first);
    }
    let http = shared.http.clone();
    let settings = settings.clone();
    let shared = shared.clone();
    let make: MakeInstance = Box::new(move || {
        let settings = settings.clone();
        let shared = shared.clone();
        Box::pin(async move { settings.instantiate_with(&shared).await })
    });
    InstancePool::new(first, limit, make).on_release(Box::new(move || http.forget_shared_reads()))
}
