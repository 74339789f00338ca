//! `connector-host`: the command-line entry point. It parses, dispatches to an operation or a
//! command, and prints; the work is in the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use connector_host::cli::{self, Command, Invocation, LogArgs, LogFormat, OutputFormat, SyncArgs};
use connector_host::commands;
use connector_host::commands::interrupt::{EXIT_INTERRUPTED, Interrupted};
use connector_host::commands::output::{StdoutClosed, print};
use connector_host::operations::provision::Report;
use connector_host::operations::{ProvisionError, ProvisionRequest, SyncRequest, provision};
use connector_host::progress::{LogWriter, Progress};
use connector_host::runtime::Runtime;
use connector_host::secrets::Secret;
use connector_host::service::identity::Identity;
use connector_host::service::{self, ServiceSettings, Shutdown, health, hello};
use connector_host::transport::NetworkSettings;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // The probe of an exec health check: no component to load, nothing to compile.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "health-check")
    {
        return health_check();
    }
    let tokio = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // One engine, epoch ticker and compiled component for the whole process.
    let runtime = match Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let argv = std::env::args_os().collect();
    let invocation = match tokio.block_on(cli::parse_from(&runtime, argv)) {
        Ok(invocation) => invocation,
        Err(failure) => {
            if let Some(e) = &failure.component {
                eprintln!("note: the component's own flags are not shown: {e}");
            }
            failure.error.exit()
        }
    };
    init_logging(&invocation.cli.log);
    match tokio.block_on(run(&runtime, &invocation)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is::<Interrupted>() => {
            eprintln!("{err}");
            ExitCode::from(EXIT_INTERRUPTED)
        }
        // `| head` and the like: the reader has what it wanted.
        Err(err) if err.is::<StdoutClosed>() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(runtime: &Runtime, inv: &Invocation) -> anyhow::Result<()> {
    match &inv.cli.command {
        None => default_command(inv, &inv.cli.sync).await?,
        Some(Command::Sync(args)) => default_command(inv, args).await?,
        Some(Command::Inspect(inspect)) => {
            print(&commands::inspect::run(&inspect.file.file, inspect)?)?;
        }
        Some(Command::Grant(grant)) => {
            let (principal_type, principal_id) =
                commands::provision::parse_principal(&grant.principal)?;
            let request = commands::provision::Request::Grant {
                entitlement: grant.entitlement.clone(),
                principal_type,
                principal_id,
            };
            let report = provision_with(inv, &grant.run, request).await?;
            print(&render_provision(&report, grant.output))?;
        }
        Some(Command::Revoke(revoke)) => {
            let request = commands::provision::Request::Revoke {
                grant: revoke.grant.clone(),
            };
            let report = provision_with(inv, &revoke.run, request).await?;
            print(&render_provision(&report, revoke.output))?;
        }
        Some(Command::Capabilities(cap)) => {
            let component = inv.component.as_ref().map_err(|e| anyhow::anyhow!("{e}"))?;
            print(&commands::capabilities::run(component, cap).await?)?;
        }
        Some(Command::Demo(demo)) => {
            print(&commands::demo::run(runtime, demo).await?)?;
        }
        Some(Command::Export(export)) => {
            let report = commands::export::run(&export.file.file, export)?;
            print(&commands::export::summary(&report))?;
        }
        Some(Command::Explore(explore)) => {
            commands::explore::run(&explore.file.file, explore).await?;
        }
        // Handled in `main` before anything is loaded.
        Some(Command::HealthCheck(_)) => unreachable!("health-check runs before parsing"),
    }
    Ok(())
}

/// The default command: Baton's one-shot provisioning flags, else a one-shot sync.
async fn default_command(inv: &Invocation, args: &SyncArgs) -> anyhow::Result<()> {
    if args.service.any() {
        return service_mode(inv, args).await;
    }
    if let Some(request) = commands::provision::from_baton_flags(&args.one_shot) {
        let report = provision_with(inv, &args.run, request?).await?;
        print(&commands::provision::render_text(&report))?;
        return Ok(());
    }
    let settings = inv.run_settings(&args.run.limits, true)?;
    let progress = Progress::new(true);
    let request = SyncRequest::into_file(&args.run.file.file);
    let outcome = commands::sync::sync_until_ctrl_c(&settings, request, &progress).await?;
    // On a terminal a summary table; otherwise nothing but logs.
    if std::io::stdout().is_terminal() {
        print(&format!("{}\n", commands::sync::summary(&outcome)))?;
    } else {
        let c = &outcome.report.counts;
        tracing::info!(
            file = %outcome.report.path.display(),
            resource_types = c.resource_types,
            resources = c.resources,
            entitlements = c.entitlements,
            grants = c.grants,
            expanded_grants = outcome.report.expansion.created,
            requests = outcome.requests_total,
            seconds = outcome.report.elapsed.as_secs_f64(),
            resumed = outcome.report.resumed,
            "sync finished"
        );
    }
    Ok(())
}

/// ConductorOne service mode, until SIGTERM or SIGINT (exit 0) or a refusal (an error).
async fn service_mode(inv: &Invocation, args: &SyncArgs) -> anyhow::Result<()> {
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
    };
    let (trigger, shutdown) = Shutdown::new();
    trigger.on_signals();
    service::run(settings, shutdown).await?;
    Ok(())
}

/// `health-check`: asks the health endpoint; exit 0 when it answers 200.
fn health_check() -> ExitCode {
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

async fn provision_with(
    inv: &Invocation,
    run: &cli::RunArgs,
    request: commands::provision::Request,
) -> anyhow::Result<Report> {
    if !run.provisioning.provisioning {
        let component = inv
            .component
            .as_ref()
            .map(|c| c.metadata.display_name.clone())
            .unwrap_or_else(|_| "the service".to_string());
        return Err(ProvisionError::Disabled { component }.into());
    }
    let settings = inv.run_settings(&run.limits, true)?;
    let request = ProvisionRequest {
        file: run.file.file.clone(),
        allowed: run.provisioning.provisioning,
        request,
    };
    Ok(provision(&settings, request).await?)
}

fn render_provision(report: &Report, format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => commands::provision::render_json(report),
        OutputFormat::Table => commands::provision::render_text(report),
    }
}

fn init_logging(args: &LogArgs) {
    let filter = EnvFilter::try_new(&args.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let format = args
        .log_format
        .unwrap_or(if std::io::stderr().is_terminal() {
            LogFormat::Console
        } else {
            LogFormat::Json
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_writer(|| LogWriter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Console => builder.init(),
    }
}
