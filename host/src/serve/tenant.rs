//! One tenant's task: wait until its sync is due, take one of the server's sync permits (first
//! come, first served, so no tenant is starved), sync with its own settings, and schedule the
//! next run; after a failure, back off and try again. Changes to its file take effect between
//! syncs. Every log line of the task carries the tenant's name. A tenant whose syncs go to
//! ConductorOne runs `service_tenant` instead, and a file may switch between the two.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::Shared;
use super::tenant_file::{Output, TenantSpec};
use crate::operations::{self, RunSettings, SyncOutcome, SyncRequest, SyncRunError};
use crate::sync::{NoEvents, SyncError};

/// Starts `name`'s task; it ends when its file is removed (`spec` becomes `None`) or at shutdown.
pub(super) fn spawn(
    shared: Arc<Shared>,
    name: String,
    spec: watch::Receiver<Option<Arc<TenantSpec>>>,
) -> JoinHandle<()> {
    let span = tracing::info_span!("tenant", tenant = %name);
    tokio::spawn(run(shared, name, spec).instrument(span))
}

/// Why one sync of a tenant did not finish.
enum RunFailure {
    /// Shutdown: it stopped at a checkpoint.
    Stopped,
    /// It failed; the message says why.
    Failed(String),
}

/// When the last finished full sync in `file` ended, if it holds one.
pub(crate) fn last_finished(file: &Path) -> Option<SystemTime> {
    if !file.exists() {
        return None;
    }
    let reader = c1z::C1zReader::open(file)
        .inspect_err(
            |e| tracing::warn!(file = %file.display(), "could not read the last sync: {e}"),
        )
        .ok()?;
    let sync = reader.latest_full_sync().ok()??;
    let civil = c1z::timestamp::parse_civil(sync.ended_at.as_deref()?)?;
    Some(c1z::timestamp::from_local(&civil))
}

/// Reads `file`'s last finished sync off the async threads (opening decompresses it).
async fn read_last_finished(file: &Path) -> Option<SystemTime> {
    let file = file.to_path_buf();
    tokio::task::spawn_blocking(move || last_finished(&file))
        .await
        .ok()
        .flatten()
}

/// Whether two versions of a tenant differ in what a sync does (not only in when it runs).
fn sync_changed(a: &TenantSpec, b: &TenantSpec) -> bool {
    let mut a = a.clone();
    a.schedule = b.schedule.clone();
    a != *b
}

/// The tenant's life: on its schedule while its syncs go to a directory, in service mode while
/// they go to ConductorOne; a file that changes from one to the other switches.
async fn run(
    shared: Arc<Shared>,
    name: String,
    mut spec_rx: watch::Receiver<Option<Arc<TenantSpec>>>,
) {
    let Some(mut spec) = spec_rx.borrow_and_update().clone() else {
        return;
    };
    loop {
        let next = match spec.output {
            Output::Dir(_) => scheduled(&shared, &name, spec, &mut spec_rx).await,
            Output::ConductorOne(_) => {
                super::service_tenant::run(&shared, &name, spec, &mut spec_rx).await
            }
        };
        match next {
            Some(changed) => spec = changed,
            None => return,
        }
    }
}

/// Syncs on the tenant's schedule into its directory, until it is removed or the server stops
/// (`None`) or its file sends its syncs elsewhere (the new version).
async fn scheduled(
    shared: &Arc<Shared>,
    name: &str,
    mut spec: Arc<TenantSpec>,
    spec_rx: &mut watch::Receiver<Option<Arc<TenantSpec>>>,
) -> Option<Arc<TenantSpec>> {
    let Some(mut file) = spec.sync_file() else {
        return Some(spec);
    };
    let mut stopping = shared.stopping.subscribe();
    let mut last = read_last_finished(&file).await;
    let mut failures: u32 = 0;
    let mut retry_at: Option<SystemTime> = None;
    let mut force = false;
    match last {
        Some(t) => {
            tracing::info!(last_sync = %humantime::format_rfc3339_seconds(t), "found the last finished sync")
        }
        None => tracing::info!("no finished sync yet: syncing at once"),
    }
    loop {
        let now = SystemTime::now();
        let due = if force {
            now
        } else {
            retry_at.unwrap_or_else(|| spec.schedule.next_run(last, now))
        };
        shared.metrics.next_run(name, due);
        let wait = due.duration_since(now).unwrap_or_default();
        enum Woken {
            Stopping,
            Changed(Option<Arc<TenantSpec>>),
            Due,
        }
        let woken = tokio::select! {
            biased;
            _ = stopping.wait_for(|s| *s) => Woken::Stopping,
            changed = spec_rx.changed() => Woken::Changed(
                if changed.is_ok() { spec_rx.borrow_and_update().clone() } else { None }
            ),
            _ = tokio::time::sleep(wait) => Woken::Due,
        };
        match woken {
            Woken::Stopping => break,
            Woken::Changed(None) => {
                shared.metrics.forget(name);
                tracing::info!("tenant removed");
                return None;
            }
            Woken::Changed(Some(new)) => {
                let Some(new_file) = new.sync_file() else {
                    tracing::info!("the tenant's syncs go to ConductorOne now");
                    shared.metrics.forget(name);
                    return Some(new);
                };
                if new_file != file {
                    last = read_last_finished(&new_file).await;
                    file = new_file;
                }
                // A new configuration syncs at once; a new schedule only moves the next run.
                force = sync_changed(&spec, &new);
                spec = new;
                failures = 0;
                retry_at = None;
                continue;
            }
            Woken::Due => {}
        }
        let permit = tokio::select! {
            biased;
            _ = stopping.wait_for(|s| *s) => None,
            permit = shared.permits.acquire() => permit.ok(),
        };
        let Some(_permit) = permit else { break };
        force = false;
        if failures > 0 {
            shared.metrics.retrying(name);
        }
        shared.syncing.fetch_add(1, Ordering::SeqCst);
        let started = Instant::now();
        // A task of its own, so a panic in one sync is that sync's failure, not the tenant's end.
        let sync = AbortOnDrop(tokio::spawn(
            sync_once(shared.clone(), spec.clone()).in_current_span(),
        ));
        let result = sync.join().await.unwrap_or_else(|e| {
            Err(RunFailure::Failed(format!(
                "the sync stopped unexpectedly: {e}"
            )))
        });
        shared.syncing.fetch_sub(1, Ordering::SeqCst);
        let took = started.elapsed();
        match result {
            Ok(outcome) => {
                let finished = SystemTime::now();
                last = Some(finished);
                failures = 0;
                retry_at = None;
                let bytes = std::fs::metadata(&outcome.report.path).map_or(0, |m| m.len());
                shared.metrics.sync_finished(name, finished, took, bytes);
                shared.metrics.requests(name, &outcome.stats);
                // What the tenant's rolling window still allows, as the sync's budget saw it.
                if let Some(budget) = &outcome.budget {
                    shared.metrics.budget_left(name, u64::from(budget.left));
                }
                let c = &outcome.report.counts;
                tracing::info!(
                    file = %outcome.report.path.display(),
                    resources = c.resources,
                    entitlements = c.entitlements,
                    grants = c.grants,
                    requests = outcome.requests_total,
                    bytes,
                    seconds = took.as_secs_f64(),
                    resumed = outcome.report.resumed,
                    "sync finished"
                );
            }
            Err(RunFailure::Stopped) => {
                tracing::info!(
                    seconds = took.as_secs_f64(),
                    "sync stopped at a checkpoint for shutdown; the next start resumes it"
                );
                break;
            }
            Err(RunFailure::Failed(message)) => {
                failures += 1;
                let now = SystemTime::now();
                let backoff = backoff(
                    failures,
                    shared.options.failure_backoff,
                    spec.schedule.period(now),
                );
                retry_at = Some(now + backoff);
                shared.metrics.sync_failed(name, took, failures);
                tracing::error!(
                    failures,
                    retry_in_seconds = backoff.as_secs_f64(),
                    "sync failed: {message}"
                );
            }
        }
    }
    None
}

/// A sync's task, aborted if the tenant's task is (a shutdown past its grace period).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The wait after the `failures`th failure in a row: `base` doubling, at most `cap` (the
/// tenant's period, so it retries at least as often as it would sync) and an hour.
pub(super) fn backoff(failures: u32, base: Duration, cap: Duration) -> Duration {
    let doubled = base.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    doubled
        .min(cap)
        .min(Duration::from_secs(3600))
        .max(base.min(cap))
}

/// The tenant's run settings as its file says now, secrets read afresh (so a rotated secret file
/// is read again); an error names the file and, where it can, the key.
pub(super) async fn run_settings(
    shared: &Shared,
    spec: &TenantSpec,
) -> Result<RunSettings, String> {
    let component = shared
        .components
        .get(&spec.plugin)
        .await
        .map_err(|m| format!("tenant file {}, key `plugin`: {m}", spec.path.display()))?;
    let given = spec
        .given(&component.schema, true)
        .map_err(|e| e.to_string())?;
    let limits = spec.limits.over(&shared.options.limits).run_limits();
    RunSettings::new(
        component,
        given,
        limits,
        shared.options.network.clone(),
        true,
    )
    .map_err(|e| super::settings_error(spec, &e.to_string()).to_string())
}

/// One sync of the tenant as its file says now: settings built afresh (so a rotated secret
/// file is read again), into its output directory.
async fn sync_once(shared: Arc<Shared>, spec: Arc<TenantSpec>) -> Result<SyncOutcome, RunFailure> {
    let failed = |m: String| RunFailure::Failed(m);
    let settings = run_settings(&shared, &spec).await.map_err(failed)?;
    let Some(file) = spec.sync_file() else {
        return Err(failed(
            "the tenant's syncs go to ConductorOne, which starts them".into(),
        ));
    };
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            failed(format!(
                "could not create the output directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut request = SyncRequest::into_file(&file);
    request.stop = shared.stop.clone();
    request.checkpoint_interval = shared.options.checkpoint_interval;
    match operations::sync(&settings, request, &NoEvents).await {
        Ok(outcome) => Ok(outcome),
        Err(SyncRunError::Sync(SyncError::Interrupted { .. })) => Err(RunFailure::Stopped),
        Err(e) => Err(failed(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_period() {
        let base = Duration::from_secs(30);
        let day = Duration::from_secs(86_400);
        assert_eq!(backoff(1, base, day), base);
        assert_eq!(backoff(2, base, day), base * 2);
        assert_eq!(backoff(5, base, day), base * 16);
        assert_eq!(backoff(30, base, day), Duration::from_secs(3600));
        assert_eq!(
            backoff(9, base, Duration::from_secs(600)),
            Duration::from_secs(600)
        );
        assert_eq!(
            backoff(1, base, Duration::from_secs(10)),
            Duration::from_secs(10)
        );
    }
}
