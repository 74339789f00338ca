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
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // The probe of an exec health check: no component to load, nothing to compile.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "health-check")
    {
        return commands::service::health_check();
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
            print(&render_provision(&report, grant.output.format))?;
        }
        Some(Command::Revoke(revoke)) => {
            let request = commands::provision::Request::Revoke {
                grant: revoke.grant.clone(),
            };
            let report = provision_with(inv, &revoke.run, request).await?;
            print(&render_provision(&report, revoke.output.format))?;
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
        Some(Command::Serve(serve)) => commands::serve::run(serve).await?,
        Some(Command::Tenants(tenants)) => print(&commands::serve::list(tenants)?)?,
    }
    Ok(())
}

/// The default command: Baton's one-shot provisioning flags, else a one-shot sync.
async fn default_command(inv: &Invocation, args: &SyncArgs) -> anyhow::Result<()> {
    if args.service.any() {
        return commands::service::run(inv, args).await;
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
