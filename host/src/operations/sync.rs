//! A full sync of a component into a `.c1z` file, as a library function: validate, run the
//! engine (resuming an interrupted sync of the same scope), report to an event sink.

use std::path::PathBuf;
use std::time::Duration;

use super::settings::{RunSettings, SettingsError};
use crate::http::RequestStats;
use crate::runtime::CallError;
use crate::sync::{
    InstancePool, MakeInstance, Resume, StopRequest, SyncError, SyncEvents, SyncOptions,
    SyncReport, run_sync,
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
}

impl SyncRequest {
    /// A sync into `output` that resumes an interrupted sync of the same scope.
    pub fn into_file(output: impl Into<PathBuf>) -> SyncRequest {
        SyncRequest {
            output: output.into(),
            resume: Resume::SameScope,
            stop: StopRequest::new(),
            checkpoint_interval: None,
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
    let (mut instance, http) = settings.instantiate().await?;
    let meta = &settings.component.metadata;
    tracing::info!(plugin = instance.plugin(), connector = %meta.display_name, version = %meta.version, "plugin loaded");
    instance
        .validate()
        .await
        .map_err(|cause| SyncRunError::Validate {
            component: meta.display_name.clone(),
            cause,
        })?;
    let store = c1z::SyncStore::open(&request.output)?;
    let mut options = SyncOptions {
        scope: settings.scope(),
        resume: request.resume,
        stop: request.stop,
        ..SyncOptions::default()
    };
    if let Some(interval) = request.checkpoint_interval {
        options.checkpoint_interval = interval;
    }
    let pool = instance_pool(settings, instance, &http);
    let counter = http.clone();
    let report = run_sync(pool, store, &options, events, &move || {
        counter.stats().total_requests()
    })
    .await?;
    let stats = http.stats();
    Ok(SyncOutcome {
        report,
        requests_table: stats.render_table(),
        requests_total: stats.total_requests(),
        stats,
    })
}

/// Bodies of GET responses a sync's instances share: the listings every instance reads again
/// (workspaces, members, groups) are far smaller.
const SHARED_READS_BYTES: usize = 64 << 20;

/// The settings of a sync whose instances share their reads, when it runs several.
fn with_shared_reads(settings: &RunSettings) -> RunSettings {
    let mut settings = settings.clone();
    if settings.limits.concurrency > 1 && settings.http.shared_reads_bytes.is_none() {
        settings.http.shared_reads_bytes = Some(SHARED_READS_BYTES);
    }
    settings
}

/// The validated instance, and more of the same component on the same HTTP capability as calls
/// run concurrently, up to the run's concurrency.
fn instance_pool(
    settings: &RunSettings,
    first: crate::runtime::Instance,
    http: &crate::http::HttpCapability,
) -> InstancePool {
    let limit = settings.limits.concurrency.max(1);
    if limit == 1 {
        return InstancePool::single(first);
    }
    let settings = settings.clone();
    let http = http.clone();
    let make: MakeInstance = Box::new(move || {
        let settings = settings.clone();
        let http = http.clone();
        Box::pin(async move { settings.instantiate_with(http).await })
    });
    InstancePool::new(first, limit, make)
}
