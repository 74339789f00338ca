//! `connector-host`: the command-line entry point.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use connector_host::cli::{Cli, Command, GlobalArgs, LogFormat, OutputFormat};
use connector_host::commands;
use connector_host::commands::interrupt::{EXIT_INTERRUPTED, Interrupted};
use connector_host::commands::output::{StdoutClosed, print};
use connector_host::progress::{LogWriter, Progress};
use connector_host::sync::Resume;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
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

async fn run(cli: Cli) -> anyhow::Result<()> {
    let args = &cli.global;
    match &cli.command {
        None | Some(Command::Sync) if commands::provision::from_baton_flags(args).is_some() => {
            let request =
                commands::provision::from_baton_flags(args).expect("checked by the guard")?;
            let report = commands::provision::run(args, request).await?;
            print(&commands::provision::render_text(&report))?;
        }
        None | Some(Command::Sync) => {
            if args.client_id.is_some()
                || args.client_secret.is_some()
                || args.client_secret_file.is_some()
            {
                anyhow::bail!(
                    "--client-id/--client-secret select ConductorOne service mode, which this build does not include yet; \
                     unset them (BATON_CLIENT_ID, BATON_CLIENT_SECRET) to run a one-shot sync into --file"
                );
            }
            let progress = Progress::new(true);
            let outcome =
                commands::sync::sync_until_ctrl_c(args, &args.file, &progress, Resume::SameScope)
                    .await?;
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
        }
        Some(Command::Inspect(inspect)) => {
            print(&commands::inspect::run(&args.file, inspect)?)?;
        }
        Some(Command::Grant(grant)) => {
            let (principal_type, principal_id) =
                commands::provision::parse_principal(&grant.principal)?;
            let request = commands::provision::Request::Grant {
                entitlement: grant.entitlement.clone(),
                principal_type,
                principal_id,
            };
            let report = commands::provision::run(args, request).await?;
            print(&render_provision(&report, grant.output))?;
        }
        Some(Command::Revoke(revoke)) => {
            let request = commands::provision::Request::Revoke {
                grant: revoke.grant.clone(),
            };
            let report = commands::provision::run(args, request).await?;
            print(&render_provision(&report, revoke.output))?;
        }
        Some(Command::Capabilities(cap)) => {
            print(&commands::capabilities::run(args, cap).await?)?;
        }
        Some(Command::Demo(demo)) => {
            print(&commands::demo::run(args, demo).await?)?;
        }
        Some(Command::Export(export)) => {
            let report = commands::export::run(&args.file, export)?;
            print!("{}", commands::export::summary(&report));
        }
        Some(Command::Explore(explore)) => {
            commands::explore::run(&args.file, explore).await?;
        }
    }
    Ok(())
}

fn render_provision(report: &commands::provision::Report, format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => commands::provision::render_json(report),
        OutputFormat::Table => commands::provision::render_text(report),
    }
}

fn init_logging(args: &GlobalArgs) {
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
