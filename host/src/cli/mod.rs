//! The command line: the host's own flags (`args`), the subcommands (`commands`), and the flags of
//! the component in use, built from its declaration, so `--plugin X --help` shows X's fields.

pub mod args;
pub mod argv;
pub mod commands;
mod run_settings;

use std::collections::BTreeMap;
use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches, Parser};

pub use args::{
    FileArgs, HealthArgs, LimitArgs, LogArgs, LogFormat, OneShotArgs, OutputFormat, PluginArgs,
    ProvisioningArgs, RunArgs, ServiceArgs, SyncArgs,
};
pub use commands::*;

use crate::component::{ComponentError, ComponentSource, DeclaredComponent};
use crate::config::{Given, cli_args};
use crate::runtime::Runtime;

/// Runs a Baton connector component (by default the embedded Bitbucket connector) in a wasmtime
/// sandbox and writes a Baton-compatible .c1z file. Without a subcommand it runs a one-shot sync.
#[derive(Parser)]
#[command(name = "connector-host", version, about, long_about = None)]
pub struct Cli {
    /// What to do; a one-shot sync when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub sync: SyncArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// A parsed command line, with the component it runs and the values given for its fields.
pub struct Invocation {
    /// The host's flags and the subcommand.
    pub cli: Cli,
    /// The component the command line names, compiled and asked what it declares.
    pub component: Result<DeclaredComponent, ComponentError>,
    /// The values given for the component's fields (flags, variables, `--plugin-config`).
    pub given: BTreeMap<String, Given>,
}

/// The host's own flag names, which a component's fields may not take.
pub fn reserved_names() -> Vec<String> {
    fn collect(cmd: &clap::Command, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if let Some(long) = arg.get_long() {
                out.push(long.to_string());
            }
        }
        for sub in cmd.get_subcommands() {
            collect(sub, out);
        }
    }
    let mut out = vec!["help".to_string(), "version".to_string()];
    collect(&Cli::command(), &mut out);
    out.sort();
    out.dedup();
    out
}

/// Which component the command line names: `--plugin` (anywhere) or `BATON_PLUGIN`, else the
/// embedded one. Read before the flags are parsed, because the component's fields are flags.
pub fn component_source(argv: &[OsString]) -> ComponentSource {
    let mut tokens = argv.iter().skip(1).map(|t| t.to_string_lossy());
    while let Some(token) = tokens.next() {
        if token == "--" {
            break;
        }
        if token == "--plugin" {
            return ComponentSource::from_flag(tokens.next().map(|v| v.into_owned().into()));
        }
        if let Some(path) = token.strip_prefix("--plugin=") {
            return ComponentSource::File(path.into());
        }
    }
    ComponentSource::from_flag(std::env::var_os("BATON_PLUGIN").map(Into::into))
}

/// A command line that did not parse, or asked for help or the version.
pub struct ParseFailure {
    /// Clap's error or help text, to print and exit with.
    pub error: clap::Error,
    /// Why the component's flags are missing, when it could not be loaded.
    pub component: Option<ComponentError>,
}

/// Parses `argv`: loads the component it names (through `runtime`, which keeps it compiled),
/// adds the component's flags to the commands that run it, and reads them back.
pub async fn parse_from(
    runtime: &Runtime,
    argv: Vec<OsString>,
) -> Result<Invocation, ParseFailure> {
    let reserved = reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    let component = DeclaredComponent::load(runtime, &component_source(&argv), &reserved).await;
    let mut cmd = Cli::command();
    if let Ok(c) = &component {
        let fields = cli_args::args(&c.schema);
        cmd = cmd.args(fields.clone());
        for name in COMPONENT_COMMANDS {
            cmd = cmd.mut_subcommand(name, |s| s.args(fields.clone()));
        }
    }
    let argv = argv::hoist_subcommand(&cmd, argv);
    let parsed = cmd
        .try_get_matches_from(argv)
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (m, cli)));
    let (matches, cli) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            return Err(ParseFailure {
                error,
                component: component.err(),
            });
        }
    };
    let mut given = BTreeMap::new();
    if let Ok(c) = &component {
        let (active, plugin_config) = match (matches.subcommand(), &cli.command) {
            (Some((_, sub)), Some(Command::Sync(a))) => (sub, &a.run.plugin.plugin_config),
            (Some((_, sub)), Some(Command::Grant(a))) => (sub, &a.run.plugin.plugin_config),
            (Some((_, sub)), Some(Command::Revoke(a))) => (sub, &a.run.plugin.plugin_config),
            _ => (&matches, &cli.sync.run.plugin.plugin_config),
        };
        // `--plugin-config` first: the component's own flags say the same and win.
        for (key, value) in plugin_config {
            given.insert(key.clone(), Given::Text(value.clone()));
        }
        given.extend(cli_args::given(&c.schema, active));
    }
    Ok(Invocation {
        cli,
        component,
        given,
    })
}
