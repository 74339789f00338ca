//! ConductorOne service mode: the connector keeps a connection to ConductorOne, says Hello, polls
//! for tasks (sync, grant, revoke), heartbeats while it works on one and uploads each sync's
//! file. Entered with `--client-id`/`--client-secret`.
//!
//! One module per concept: the credentials (`identity`), the client assertion (`assertion`), the
//! access token (`token`), the TLS channel (`channel`), the RPCs (`client`), the Hello
//! (`hello`), heartbeats (`heartbeat`), the upload (`upload`), the work of each task (`tasks`)
//! and the health endpoints (`health`).

pub mod assertion;
pub mod channel;
pub mod client;
pub mod health;
pub mod heartbeat;
pub mod hello;
pub mod identity;
pub mod pb;
pub mod tasks;
pub mod token;
pub mod upload;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tonic::Code;

use crate::operations::capabilities::{self, CapabilitiesError};
use crate::operations::{RunSettings, SyncOutcome};
use crate::transport::{self, NetworkSettings};
use client::{C1Client, RpcError};
use health::{Health, HealthError};
use identity::{Identity, IdentityError};
use token::TokenSource;

/// The longest wait between two polls or retries.
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// The shortest wait after an answer with nothing to do.
const IDLE_FLOOR: Duration = Duration::from_millis(100);

/// Everything service mode needs.
pub struct ServiceSettings {
    /// The client id and key.
    pub identity: Arc<Identity>,
    /// Where the token endpoint and the `BatonService` are: `--c1-api-host`, else the client
    /// id's tenant host.
    pub api_host: String,
    /// The host id of every request.
    pub host_id: String,
    /// The component's run settings (its configuration and credential, the limits).
    pub run: RunSettings,
    /// Whether grant and revoke tasks may change access (`--provisioning`).
    pub provisioning: bool,
    /// The proxy and extra roots, for ConductorOne as for the API.
    pub network: NetworkSettings,
    /// Where to serve health checks, if at all.
    pub health: Option<SocketAddr>,
    /// Permits a sync task waits for, shared with other tenants (`serve`); `None`: none.
    pub sync_permits: Option<Arc<tokio::sync::Semaphore>>,
    /// Told how each sync task goes (`serve`'s per-tenant figures); `None`: nobody.
    pub observer: Option<Arc<dyn SyncObserver>>,
}

/// How a sync task ended, for a [`SyncObserver`].
pub enum SyncEnd<'a> {
    /// It finished and its file was uploaded.
    Uploaded {
        /// What the sync did.
        outcome: &'a SyncOutcome,
        /// Bytes uploaded.
        bytes: u64,
    },
    /// The sync or its upload failed.
    Failed,
    /// It was cancelled, or abandoned because the connector stops.
    Abandoned,
}

/// Told when each sync task starts and how it ends.
pub trait SyncObserver: Send + Sync {
    /// A sync task starts.
    fn started(&self);
    /// The task started last ended, after `took`.
    fn ended(&self, end: SyncEnd<'_>, took: Duration);
}

/// Why service mode stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The client id or secret is malformed.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The gRPC channel could not be set up.
    #[error(transparent)]
    Channel(#[from] channel::ChannelError),
    /// The HTTP client for the token endpoint could not be built.
    #[error(transparent)]
    Http(#[from] transport::ClientError),
    /// The token endpoint is not a URL.
    #[error(transparent)]
    Token(#[from] token::TokenError),
    /// The health server could not start.
    #[error(transparent)]
    Health(#[from] HealthError),
    /// The component could not say what it has.
    #[error("cannot read the connector's capabilities for the Hello: {0}")]
    Capabilities(#[from] CapabilitiesError),
    /// ConductorOne refused the credentials.
    #[error("{0}")]
    Refused(RpcError),
    /// ConductorOne refused the Hello for another reason.
    #[error(
        "ConductorOne refused the Hello: {0}; check that the client belongs to a connector of \
         this kind and that --c1-api-host (BATON_C1_API_HOST), if set, names ConductorOne"
    )]
    Hello(RpcError),
}

/// A stop request (SIGTERM, SIGINT) shared by everything that waits.
#[derive(Clone)]
pub struct Shutdown(tokio::sync::watch::Receiver<bool>);

/// The side that asks for the stop.
pub struct ShutdownTrigger(tokio::sync::watch::Sender<bool>);

impl Shutdown {
    /// A stop request and its trigger.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (ShutdownTrigger(tx), Shutdown(rx))
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Returns once a stop is asked for (never, if the trigger is dropped unused).
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        if rx.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Sleeps `d`; `false` if a stop came first.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(d) => true,
            () = self.wait() => false,
        }
    }
}

impl ShutdownTrigger {
    /// Asks everything to stop.
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }

    /// Triggers on the first SIGTERM or SIGINT.
    pub fn on_signals(self) {
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                tracing::warn!("cannot listen for SIGTERM and SIGINT");
                return;
            };
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            tracing::info!("{name}: stopping; no new tasks are taken");
            self.trigger();
        });
    }
}

/// Waits that double from 1 s to 5 min, reset after a success.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The wait before the next try, after one more failure.
    pub fn next_wait(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        Duration::from_secs(1u64 << self.failures.saturating_sub(1).min(9)).min(MAX_WAIT)
    }

    /// After a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// `next_poll` as a wait: within 0 and 5 minutes.
pub fn poll_wait(next: Option<&prost_types::Duration>) -> Duration {
    next.and_then(|d| Duration::try_from(*d).ok())
        .unwrap_or_default()
        .min(MAX_WAIT)
}

/// Runs service mode until `shutdown` (then `Ok`) or a failure that retrying cannot mend.
pub async fn run(settings: ServiceSettings, shutdown: Shutdown) -> Result<(), ServiceError> {
    let identity = settings.identity.clone();
    let http = transport::client(&settings.network, Duration::from_secs(20))?;
    let tokens = TokenSource::new(
        identity.clone(),
        &settings.api_host,
        http,
        settings.network.proxy.clone(),
    )?;
    let user_agent = format!(
        "{} {}/{}",
        identity.client_id.name(),
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );
    let channel = channel::channel(&settings.api_host, &user_agent, &settings.network)?;
    let client = C1Client::new(channel, tokens, settings.host_id.clone());
    let health = Health::new();
    if let Some(addr) = settings.health {
        health::serve(addr, health.clone()).await?;
    }
    let types =
        capabilities::resource_types(&settings.run.component, &settings.run.limits.sandbox).await?;
    let metadata = capabilities::connector_metadata(&settings.run.component, &types);
    tracing::info!(
        api_host = %settings.api_host,
        host_id = %settings.host_id,
        client_id = %identity.client_id,
        "service mode: connecting to ConductorOne"
    );

    if !say_hello(&client, &metadata, &health, &shutdown).await? {
        return Ok(());
    }
    let mut backoff = Backoff::default();
    while !shutdown.is_requested() {
        let polled = tokio::select! {
            polled = client.get_task() => polled,
            () = shutdown.wait() => break,
        };
        let answer = match polled {
            Ok(answer) => {
                backoff.reset();
                health.set_reachable(true);
                answer
            }
            Err(e) if e.is_auth_failure() => return Err(ServiceError::Refused(e)),
            Err(e) => {
                health.set_reachable(false);
                let wait = backoff.next_wait();
                tracing::warn!(retry_in = ?wait, "cannot get a task from ConductorOne: {e}");
                shutdown.sleep(wait).await;
                continue;
            }
        };
        let next_poll = poll_wait(answer.next_poll.as_ref());
        let first_heartbeat = heartbeat::interval(answer.next_heartbeat.as_ref());
        match answer.task {
            Some(task) if !is_idle(&task) => {
                tasks::run(
                    &client,
                    &settings,
                    &metadata,
                    task,
                    first_heartbeat,
                    &shutdown,
                )
                .await?;
            }
            _ => {
                // A zero next_poll is honoured, short of spinning.
                shutdown.sleep(next_poll.max(IDLE_FLOOR)).await;
            }
        }
    }
    tracing::info!("service mode stopped");
    Ok(())
}

/// Whether a task is "nothing to do".
fn is_idle(task: &pb::Task) -> bool {
    matches!(task.task_type, Some(pb::TaskType::None(_)))
        || (task.id.is_empty() && task.task_type.is_none())
}

/// Says Hello until ConductorOne answers; `false` if a stop came first.
async fn say_hello(
    client: &C1Client,
    metadata: &c1z::pb::ConnectorMetadata,
    health: &Health,
    shutdown: &Shutdown,
) -> Result<bool, ServiceError> {
    let mut backoff = Backoff::default();
    loop {
        if shutdown.is_requested() {
            return Ok(false);
        }
        let request = hello::request(client.host_id(), "", metadata);
        let said = tokio::select! {
            said = client.hello(request) => said,
            () = shutdown.wait() => return Ok(false),
        };
        match said {
            Ok(()) => {
                tracing::info!("ConductorOne answered the Hello; waiting for tasks");
                health.said_hello();
                return Ok(true);
            }
            Err(e) if e.is_auth_failure() => return Err(ServiceError::Refused(e)),
            Err(e)
                if matches!(
                    e.code(),
                    Code::InvalidArgument
                        | Code::Unimplemented
                        | Code::FailedPrecondition
                        | Code::NotFound
                ) =>
            {
                return Err(ServiceError::Hello(e));
            }
            Err(e) => {
                health.set_reachable(false);
                let wait = backoff.next_wait();
                tracing::warn!(retry_in = ?wait, "ConductorOne cannot be reached for the Hello: {e}");
                if !shutdown.sleep(wait).await {
                    return Ok(false);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_five_minutes_and_polls_are_clamped() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..12).map(|_| b.next_wait().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        b.reset();
        assert_eq!(b.next_wait(), Duration::from_secs(1));
        let d = |seconds| prost_types::Duration { seconds, nanos: 0 };
        assert_eq!(poll_wait(None), Duration::ZERO);
        assert_eq!(poll_wait(Some(&d(-3))), Duration::ZERO);
        assert_eq!(poll_wait(Some(&d(4))), Duration::from_secs(4));
        assert_eq!(poll_wait(Some(&d(4000))), MAX_WAIT);
    }
}
