//! ConductorOne service mode from the command line: the flags become `ServiceSettings`, and
//! `health-check` probes a running connector's health endpoints.

use std::process::ExitCode;

use crate::cli::{self, Invocation, SyncArgs};
use crate::secrets::Secret;
use crate::service::identity::Identity;
use crate::service::{self, ServiceSettings, Shutdown, health, hello};
use crate::transport::NetworkSettings;

/// ConductorOne service mode, until SIGTERM or SIGINT (exit 0) or a refusal (an error).
pub async fn run(inv: &Invocation, args: &SyncArgs) -> anyhow::Result<()> {
    let service = &args.service;
    let client_id = service.client_id.as_deref().ok_or_else(|| {
        anyhow::anyhow!(
            "service mode needs the client id too: set --client-id (BATON_CLIENT_ID) to the \
             ConductorOne client id that goes with the secret"
        )
    })?;
    let secret = Secret::from_value_or_file(
        service.client_secret.clone(),
        service.client_secret_file.clone(),
        "client-secret",
    )?
    .ok_or_else(|| {
        anyhow::anyhow!(
            "service mode needs the client secret too: set --client-secret (BATON_CLIENT_SECRET) \
             or --client-secret-file (BATON_CLIENT_SECRET_FILE)"
        )
    })?;
    let identity = Identity::parse(client_id, &secret)?;
    drop(secret);
    let api_host = service
        .c1_api_host
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| {
            h.trim_start_matches("https://")
                .trim_end_matches('/')
                .to_string()
        })
        .unwrap_or_else(|| identity.client_id.tenant_host().to_string());
    let health = if service.health.health_check {
        Some(health::address(
            &service.health.health_check_bind_address,
            service.health.health_check_port,
        )?)
    } else {
        None
    };
    let settings = ServiceSettings {
        identity: std::sync::Arc::new(identity),
        api_host,
        host_id: hello::host_id(service.host_id.as_deref()),
        run: inv.run_settings(&args.run.limits, true)?,
        provisioning: args.run.provisioning.provisioning,
        network: NetworkSettings::from_env()?,
        health,
        sync_permits: None,
        observer: None,
    };
    let (trigger, shutdown) = Shutdown::new();
    trigger.on_signals();
    service::run(settings, shutdown).await?;
    Ok(())
}

/// `health-check`: asks the health endpoint; exit 0 when it answers 200.
pub fn health_check() -> ExitCode {
    use clap::{Args, FromArgMatches};
    let cmd = cli::HealthCheckArgs::augment_args(clap::Command::new("connector-host health-check"));
    let matches = cmd.get_matches_from(std::env::args_os().skip(1));
    let args = match cli::HealthCheckArgs::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    let addr = match health::address(
        &args.health.health_check_bind_address,
        args.health.health_check_port,
    ) {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let probe = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(health::probe(addr, args.endpoint.path()))
                .map_err(|e| e.to_string())
        });
    match probe {
        Ok(body) => {
            println!("{body}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("unhealthy: {e}");
            ExitCode::FAILURE
        }
    }
}
