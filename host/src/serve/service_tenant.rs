//! A tenant whose syncs go to ConductorOne: service mode with the tenant's own client, on the
//! server's runtime and sync permits. ConductorOne says when to sync, grant and revoke; the
//! tenant's figures come from its sync tasks. A changed file stops the service (a task in
//! progress ends as service mode ends one at shutdown) and starts it again as the file now says;
//! a refused client backs off and tries again, and never takes the server down.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use super::Shared;
use super::tenant::{backoff, run_settings};
use super::tenant_file::{ConductorOneOutput, Output, TenantSpec};
use crate::service::identity::Identity;
use crate::service::{self, ServiceSettings, Shutdown, SyncEnd, SyncObserver, hello};

/// The longest wait before a refused or unreachable client tries again.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(3600);

/// Runs the tenant's service until it is removed or the server stops (`None`) or its file sends
/// its syncs to a directory (the new version).
pub(super) async fn run(
    shared: &Arc<Shared>,
    name: &str,
    mut spec: Arc<TenantSpec>,
    spec_rx: &mut watch::Receiver<Option<Arc<TenantSpec>>>,
) -> Option<Arc<TenantSpec>> {
    let mut stopping = shared.stopping.subscribe();
    let mut failures: u32 = 0;
    loop {
        let Output::ConductorOne(c1) = &spec.output else {
            return Some(spec);
        };
        let (trigger, shutdown) = Shutdown::new();
        let ended = match settings(shared, name, &spec, c1).await {
            Ok(settings) => {
                tracing::info!(api_host = %settings.api_host, "service mode: the tenant's syncs go to ConductorOne");
                let service = service::run(settings, shutdown);
                tokio::pin!(service);
                let woken = tokio::select! {
                    biased;
                    _ = stopping.wait_for(|s| *s) => Woken::Stopping,
                    changed = spec_rx.changed() => Woken::Changed(
                        if changed.is_ok() { spec_rx.borrow_and_update().clone() } else { None }
                    ),
                    result = &mut service => Woken::Ended(result.map_err(|e| e.to_string())),
                };
                if !matches!(woken, Woken::Ended(_)) {
                    // Let the service end its task as at shutdown, then act on why it stopped.
                    trigger.trigger();
                    if let Err(e) = service.await {
                        tracing::warn!("service mode stopped with an error: {e}");
                    }
                }
                woken
            }
            Err(message) => Woken::Ended(Err(message)),
        };
        let woken = match ended {
            // service::run ends by itself only with an error (or a stop asked of it).
            Woken::Ended(result) => {
                let wait = match result {
                    Ok(()) => shared.options.failure_backoff,
                    Err(message) => {
                        failures += 1;
                        let wait =
                            backoff(failures, shared.options.failure_backoff, MAX_RETRY_WAIT);
                        shared.metrics.sync_failed(name, Duration::ZERO, failures);
                        tracing::error!(
                            failures,
                            retry_in_seconds = wait.as_secs_f64(),
                            "service mode stopped: {message}"
                        );
                        wait
                    }
                };
                tokio::select! {
                    biased;
                    _ = stopping.wait_for(|s| *s) => Woken::Stopping,
                    changed = spec_rx.changed() => Woken::Changed(
                        if changed.is_ok() { spec_rx.borrow_and_update().clone() } else { None }
                    ),
                    _ = tokio::time::sleep(wait) => Woken::Due,
                }
            }
            other => other,
        };
        match woken {
            Woken::Stopping => return None,
            Woken::Changed(None) => {
                shared.metrics.forget(name);
                tracing::info!("tenant removed");
                return None;
            }
            Woken::Changed(Some(new)) => {
                tracing::info!("tenant file changed: service mode starts again with it");
                spec = new;
                failures = 0;
            }
            Woken::Due | Woken::Ended(_) => {}
        }
    }
}

/// Why the service of one version of the file ended, or a retry's wait did.
enum Woken {
    Stopping,
    Changed(Option<Arc<TenantSpec>>),
    Ended(Result<(), String>),
    Due,
}

/// The tenant's service settings, read afresh (so a rotated secret file is read again).
async fn settings(
    shared: &Arc<Shared>,
    name: &str,
    spec: &TenantSpec,
    c1: &ConductorOneOutput,
) -> Result<ServiceSettings, String> {
    let run = run_settings(shared, spec).await?;
    let at_key = |key: &str, m: String| {
        format!(
            "tenant file {}, key `output.{key}`: {m}",
            spec.path.display()
        )
    };
    let secret = c1
        .client_secret
        .read()
        .map_err(|m| at_key("client_secret", m))?;
    let identity = Identity::parse(&c1.client_id, &secret)
        .map_err(|e| at_key("client_secret", e.to_string()))?;
    drop(secret);
    let api_host = c1
        .api_host
        .clone()
        .unwrap_or_else(|| identity.client_id.tenant_host().to_string());
    Ok(ServiceSettings {
        identity: Arc::new(identity),
        api_host,
        // One process serves many tenants: each says which it is.
        host_id: hello::host_id(Some(&format!("{}/{name}", hello::host_id(None)))),
        run,
        provisioning: c1.provisioning,
        network: shared.options.network.clone(),
        health: None,
        sync_permits: Some(shared.permits.clone()),
        observer: Some(Arc::new(TenantFigures {
            shared: shared.clone(),
            name: name.to_string(),
            failures: AtomicU32::new(0),
        })),
    })
}

/// The tenant's figures, from its sync tasks.
struct TenantFigures {
    shared: Arc<Shared>,
    name: String,
    failures: AtomicU32,
}

impl SyncObserver for TenantFigures {
    fn started(&self) {
        self.shared.syncing.fetch_add(1, Ordering::SeqCst);
    }

    fn ended(&self, end: SyncEnd<'_>, took: Duration) {
        self.shared.syncing.fetch_sub(1, Ordering::SeqCst);
        let metrics = &self.shared.metrics;
        match end {
            SyncEnd::Uploaded { outcome, bytes } => {
                self.failures.store(0, Ordering::SeqCst);
                metrics.sync_finished(&self.name, SystemTime::now(), took, bytes);
                metrics.requests(&self.name, &outcome.stats);
                if let Some(budget) = &outcome.budget {
                    metrics.budget_left(&self.name, u64::from(budget.left));
                }
            }
            SyncEnd::Failed => {
                let failures = self.failures.fetch_add(1, Ordering::SeqCst) + 1;
                metrics.sync_failed(&self.name, took, failures);
            }
            SyncEnd::Abandoned => {}
        }
    }
}
