//! `serve` and `tenants` on the command line: options from the flags, the pooled runtime, and
//! SIGTERM or Ctrl-C as the end of serving. The server itself is `crate::serve`.

use std::time::{Duration, SystemTime};

use crate::cli::{OutputFormat, ServeArgs, TenantsArgs, TenantsDirArgs};
use crate::render::table::{pretty, table};
use crate::runtime::{PoolSettings, Runtime};
use crate::serve::shard::Shard;
use crate::serve::status::tenant_statuses;
use crate::serve::{ServeOptions, Server};
use crate::transport::NetworkSettings;

impl TenantsDirArgs {
    /// This replica's shard, from the flags or the pod's HOSTNAME.
    pub fn shard(&self) -> anyhow::Result<Shard> {
        let hostname = std::env::var("HOSTNAME").ok();
        Ok(Shard::resolve(
            self.shard_index,
            self.shard_count,
            hostname.as_deref(),
        )?)
    }
}

impl ServeArgs {
    /// The server's options.
    pub fn options(&self) -> anyhow::Result<ServeOptions> {
        Ok(ServeOptions {
            tenants_dir: self.dir.tenants.clone(),
            listen: Some(self.listen),
            shard: self.dir.shard()?,
            max_concurrent_syncs: self.max_concurrent_syncs,
            max_tenant_concurrency: self.max_tenant_concurrency,
            max_tenant_memory_mib: self.max_tenant_memory_mib,
            reload_every: Duration::from_secs(self.reload_seconds.max(1)),
            failure_backoff: Duration::from_secs(self.failure_backoff_seconds.max(1)),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_seconds),
            limits: self.limits.clone(),
            network: NetworkSettings::from_env()?,
            checkpoint_interval: None,
        })
    }

    /// The instance pool: every sync at its largest concurrency, and the components' own
    /// metadata instances.
    pub fn pool(&self) -> PoolSettings {
        let instances = self.max_concurrent_syncs * self.max_tenant_concurrency + 16;
        PoolSettings {
            instances: u32::try_from(instances).unwrap_or(u32::MAX),
            max_memory_bytes: self.max_tenant_memory_mib << 20,
        }
    }
}

/// The runtime `serve` runs tenants on: pooled unless `--no-pooling`, on demand if the pool
/// cannot be set up (for example under a small address-space limit).
pub fn runtime(args: &ServeArgs) -> anyhow::Result<Runtime> {
    if args.no_pooling {
        return Ok(Runtime::new()?);
    }
    match Runtime::pooled(&args.pool()) {
        Ok(r) => Ok(r),
        Err(e) => {
            tracing::warn!(
                "the pooling allocator is not available ({e}); instances map their memory on demand"
            );
            Ok(Runtime::new()?)
        }
    }
}

/// Runs `serve` until SIGTERM or Ctrl-C; running syncs stop at a checkpoint and it returns Ok.
pub async fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let options = args.options()?;
    let server = Server::bind(runtime(args)?, options).await?;
    if let Some(addr) = server.local_addr() {
        tracing::info!(%addr, "metrics on http://{addr}/metrics; probes /health, /ready, /live");
    }
    server.run(terminated()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGTERM (Kubernetes stopping the pod) or SIGINT.
pub async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM"),
                _ = int.recv() => tracing::info!("SIGINT"),
            }
        }
        // No signals to listen to: serve until killed.
        _ => std::future::pending().await,
    }
}

/// `tenants`: the table (or JSON) of every tenant file's state.
pub fn list(args: &TenantsArgs) -> anyhow::Result<String> {
    let rows = tenant_statuses(&args.dir.tenants, args.dir.shard()?, SystemTime::now())?;
    Ok(match args.output.format {
        OutputFormat::Json => pretty(&serde_json::to_value(&rows)?),
        OutputFormat::Table => {
            let sharded = args.dir.shard_count > 1;
            let mut headers = vec!["tenant", "state", "last sync", "next run", "schedule"];
            if sharded {
                headers.push("replica");
            }
            headers.push("output or problem");
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    let mut row = vec![
                        r.tenant.clone(),
                        r.state.clone(),
                        r.last_sync.clone().unwrap_or_else(|| "-".into()),
                        r.next_run.clone().unwrap_or_else(|| "-".into()),
                        r.schedule.clone().unwrap_or_else(|| "-".into()),
                    ];
                    if sharded {
                        row.push(r.shard.to_string());
                    }
                    row.push(match (&r.problem, &r.output) {
                        (Some(p), _) => p.clone(),
                        (None, Some(o)) => o.display().to_string(),
                        (None, None) => String::new(),
                    });
                    row
                })
                .collect();
            if cells.is_empty() {
                format!(
                    "no tenant files (<tenant>.toml) in {}\n",
                    args.dir.tenants.display()
                )
            } else {
                table(&headers, &cells)
            }
        }
    })
}
