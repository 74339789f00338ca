//! The subcommands and their own flags.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::args::{
    FileArgs, HealthArgs, LimitArgs, OutputArgs, OutputFormat, PluginArgs, RunArgs, SyncArgs,
};

/// Where the tenant files are, for `serve` and `tenants`.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Tenants", next_display_order = 50)]
pub struct TenantsDirArgs {
    /// The directory of tenant files, one <tenant>.toml each (a mounted ConfigMap works).
    #[arg(long = "tenants", env = "BATON_TENANTS_DIR")]
    pub tenants: PathBuf,
    /// How many replicas share the tenants; replica i serves those whose name's FNV-1a 64 hash modulo this is i.
    #[arg(long, env = "BATON_SHARD_COUNT", default_value_t = 1)]
    pub shard_count: u32,
    /// This replica's index, from 0; by default the ordinal ending the pod's HOSTNAME (`connector-host-2` is 2).
    #[arg(long, env = "BATON_SHARD_INDEX")]
    pub shard_index: Option<u32>,
}

/// `serve` flags.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub dir: TenantsDirArgs,
    /// Address of the Prometheus /metrics and the /health, /ready and /live probes.
    #[arg(long, env = "BATON_LISTEN", default_value = "127.0.0.1:9464")]
    pub listen: std::net::SocketAddr,
    /// Syncs running at once over all tenants (a tenant runs one at a time; waiting tenants go first come, first served).
    #[arg(long, env = "BATON_MAX_CONCURRENT_SYNCS", default_value_t = 16,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=4096))]
    pub max_concurrent_syncs: usize,
    /// The most a tenant's `concurrency` may be (it sizes the instance pool).
    #[arg(long, env = "BATON_MAX_TENANT_CONCURRENCY", default_value_t = 16,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub max_tenant_concurrency: usize,
    /// The most a tenant's `memory-mib` may be, in MiB (each pooled instance slot reserves this much address space).
    #[arg(long, env = "BATON_MAX_TENANT_MEMORY_MIB", default_value_t = 256)]
    pub max_tenant_memory_mib: usize,
    /// How often the tenants directory is read again for added, changed and removed files, in seconds.
    #[arg(long, env = "BATON_RELOAD_SECONDS", default_value_t = 5)]
    pub reload_seconds: u64,
    /// First wait before a failed tenant's sync is tried again, in seconds; it doubles, up to the tenant's interval.
    #[arg(long, env = "BATON_FAILURE_BACKOFF_SECONDS", default_value_t = 30)]
    pub failure_backoff_seconds: u64,
    /// On SIGTERM, how long running syncs get to reach a checkpoint before the process exits, in seconds.
    #[arg(long, env = "BATON_SHUTDOWN_GRACE_SECONDS", default_value_t = 25)]
    pub shutdown_grace_seconds: u64,
    /// Do not use the pooling allocator (instances then map their memory on demand).
    #[arg(long, env = "BATON_NO_POOLING")]
    pub no_pooling: bool,
    /// The tenants' limits where their files' [limits] say nothing.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `tenants` flags.
#[derive(Args, Clone, Debug)]
pub struct TenantsArgs {
    #[command(flatten)]
    pub dir: TenantsDirArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run a one-shot sync into --file (the default when no subcommand is given).
    Sync(SyncArgs),
    /// Start the bundled simulator on loopback and sync it into demo.c1z with the embedded component.
    Demo(DemoArgs),
    /// Show what a .c1z file holds, with the Baton CLI's tables and JSON.
    Inspect(InspectArgs),
    /// Grant an entitlement of the --file's latest sync to a principal (needs -p/--provisioning).
    Grant(GrantArgs),
    /// Revoke a grant of the --file's latest sync (needs -p/--provisioning).
    Revoke(RevokeArgs),
    /// Print per resource type whether the connector syncs and provisions it (baton_capabilities.json).
    Capabilities(CapabilitiesArgs),
    /// Write the --file's latest sync as a spreadsheet: baton's `export csv|xlsx` columns, or a review sheet.
    Export(ExportArgs),
    /// Browse the --file in a local, read-only web explorer on 127.0.0.1 (access, holders, review, changes).
    Explore(ExploreArgs),
    /// Probe the health endpoints of a connector running in service mode; exit 0 when healthy (for exec probes).
    HealthCheck(HealthCheckArgs),
    /// Serve many tenants: one <tenant>.toml per tenant in --tenants, each synced on its schedule, with live reload,
    /// Prometheus /metrics and probes on --listen.
    Serve(ServeArgs),
    /// List the tenants of --tenants: state, last and next sync, read from the tenant files and their outputs.
    Tenants(TenantsArgs),
}

impl Command {
    /// Whether the subcommand runs the component with its own flags.
    pub fn runs_component(&self) -> bool {
        matches!(
            self,
            Command::Sync(_) | Command::Grant(_) | Command::Revoke(_)
        )
    }
}

/// The names of the subcommands that take the component's own flags.
pub const COMPONENT_COMMANDS: [&str; 3] = ["sync", "grant", "revoke"];

/// `health-check` flags.
#[derive(Args, Clone, Debug)]
pub struct HealthCheckArgs {
    /// Which endpoint to ask.
    #[arg(
        long = "health-check-endpoint",
        env = "BATON_HEALTH_CHECK_ENDPOINT",
        value_enum,
        default_value = "health"
    )]
    pub endpoint: HealthEndpoint,
    #[command(flatten)]
    pub health: HealthArgs,
}

/// The health endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum HealthEndpoint {
    /// `/health`: ready.
    Health,
    /// `/ready`: ConductorOne answered the Hello and is reachable.
    Ready,
    /// `/live`: the process runs.
    Live,
}

impl HealthEndpoint {
    /// The path.
    pub fn path(self) -> &'static str {
        match self {
            HealthEndpoint::Health => "/health",
            HealthEndpoint::Ready => "/ready",
            HealthEndpoint::Live => "/live",
        }
    }
}

/// `demo` flags.
#[derive(Args)]
pub struct DemoArgs {
    /// Size of the simulated organisation.
    #[arg(long, env = "BATON_DEMO_SCALE", value_enum, default_value = "small")]
    pub scale: DemoScale,
    /// Where to write the file.
    #[arg(long, env = "BATON_DEMO_OUTPUT", default_value = "demo.c1z")]
    pub output: PathBuf,
}

/// Simulator sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DemoScale {
    /// About 25 users and 30 repositories.
    Small,
    /// 5 workspaces, 300 users, 600 repositories.
    Medium,
    /// 7 workspaces, 3,000 users, 10,000 repositories.
    Large,
}

/// `inspect` flags.
#[derive(Args)]
pub struct InspectArgs {
    /// What to show.
    #[arg(value_enum)]
    pub what: InspectWhat,
    /// Only this resource type.
    #[arg(short = 't', long = "resource-type", env = "BATON_RESOURCE_TYPE")]
    pub resource_type: Option<String>,
    /// Only this resource id.
    #[arg(short = 'r', long = "resource", env = "BATON_RESOURCE")]
    pub resource: Option<String>,
    /// Only this entitlement id.
    #[arg(short = 'e', long = "entitlement", env = "BATON_ENTITLEMENT")]
    pub entitlement: Option<String>,
    /// A specific sync id instead of the latest finished full sync.
    #[arg(long = "sync-id", env = "BATON_SYNC_ID")]
    pub sync_id: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// `access` and `holders`: add the ids beside the names in tables (JSON always has them).
    #[arg(long = "show-ids", env = "BATON_SHOW_IDS")]
    pub show_ids: bool,
    #[command(flatten)]
    pub file: FileArgs,
}

/// `export` flags.
#[derive(Args)]
pub struct ExportArgs {
    /// Spreadsheet format.
    #[arg(value_enum)]
    pub format: ExportFormat,
    /// Where to write it; `sync.csv` or `sync.xlsx` by default, as baton's export.
    #[arg(long, env = "BATON_OUT")]
    pub out: Option<PathBuf>,
    /// Columns and rows: baton's export (Identity, Entitlement and Grant rows), or one row per principal and
    /// entitlement with how it is held and the account status.
    #[arg(long, env = "BATON_LAYOUT", value_enum, default_value = "baton")]
    pub layout: ExportLayout,
    /// A specific sync id instead of the latest finished full sync.
    #[arg(long = "sync-id", env = "BATON_SYNC_ID")]
    pub sync_id: Option<String>,
    #[command(flatten)]
    pub file: FileArgs,
}

/// Spreadsheet formats of `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

/// Row layouts of `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportLayout {
    /// Exactly the columns and rows of `baton export`, for sheets and uploads made for baton.
    Baton,
    /// One row per principal and entitlement: how it is held (direct or through which groups), account status,
    /// privileged or not.
    Review,
}

/// `explore` flags.
#[derive(Args)]
pub struct ExploreArgs {
    /// Port on 127.0.0.1 to listen on; 0 picks a free one.
    #[arg(long, env = "BATON_LISTEN_PORT", default_value_t = 0)]
    pub listen_port: u16,
    /// Open the explorer in the default web browser once it listens.
    #[arg(long, env = "BATON_OPEN_BROWSER")]
    pub open_browser: bool,
    /// A specific sync id instead of the latest finished full sync.
    #[arg(long = "sync-id", env = "BATON_SYNC_ID")]
    pub sync_id: Option<String>,
    #[command(flatten)]
    pub file: FileArgs,
}

/// `grant` flags.
#[derive(Args)]
pub struct GrantArgs {
    /// The entitlement id, for example `repository:<project id>:<repo uuid>:write` (see `inspect entitlements`).
    #[arg(long, env = "BATON_PROVISION_ENTITLEMENT")]
    pub entitlement: String,
    /// The principal as TYPE:ID, for example `user:{uuid}` or `user_group:{workspace uuid}:developers`.
    #[arg(long, env = "BATON_PROVISION_PRINCIPAL")]
    pub principal: String,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// `revoke` flags.
#[derive(Args)]
pub struct RevokeArgs {
    /// The grant id (see `inspect grants`).
    #[arg(long, env = "BATON_PROVISION_GRANT")]
    pub grant: String,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// `capabilities` flags.
#[derive(Args)]
pub struct CapabilitiesArgs {
    /// Output format: Baton's baton_capabilities.json (json) or a table.
    #[arg(
        short = 'o',
        long = "output-format",
        env = "BATON_OUTPUT_FORMAT",
        value_enum,
        default_value = "json"
    )]
    pub output: OutputFormat,
    #[command(flatten)]
    pub plugin: PluginArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What `inspect` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InspectWhat {
    /// Resource types.
    ResourceTypes,
    /// Resources.
    Resources,
    /// Entitlements.
    Entitlements,
    /// Grants.
    Grants,
    /// Principals holding grants.
    Principals,
    /// Counts of the latest sync.
    Stats,
    /// The sync runs in the file.
    Syncs,
    /// Changes between the latest and the previous full sync.
    Diff,
    /// Everything a principal (-t TYPE -r ID; -r also takes a login, e-mail or unique name) holds, and how.
    Access,
    /// Everyone holding an entitlement (-e ID), and how.
    Holders,
}
