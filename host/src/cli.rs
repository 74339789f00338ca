//! Command-line flags. Every flag has its `BATON_*` environment variable, named as Baton's SDK
//! names them (`BATON_` + the flag in upper snake case), so existing deployments keep working.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Runs the Bitbucket connector (or any baton:connector component) in a wasmtime sandbox and
/// writes a Baton-compatible .c1z file. Without a subcommand it runs a one-shot sync.
#[derive(Parser)]
#[command(name = "connector-host", version, about, long_about = None)]
pub struct Cli {
    /// What to do; a one-shot sync when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run a one-shot sync into --file (the default when no subcommand is given).
    Sync,
    /// Start the bundled Bitbucket simulator on loopback and sync it into demo.c1z.
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
}

/// Flags shared by every command.
#[derive(Args, Clone)]
pub struct GlobalArgs {
    /// Bitbucket username for Basic auth: your Atlassian account email when using an API token.
    #[arg(long, env = "BATON_USERNAME", global = true)]
    pub username: Option<String>,
    /// Atlassian API token (or a legacy app password) for --username.
    #[arg(
        long,
        env = "BATON_APP_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub app_password: Option<String>,
    /// File holding the API token or app password (for Kubernetes secret mounts).
    #[arg(long, env = "BATON_APP_PASSWORD_FILE", global = true)]
    pub app_password_file: Option<PathBuf>,
    /// Workspace, project or repository access token (sent as Bearer).
    #[arg(long, env = "BATON_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// File holding the access token.
    #[arg(long, env = "BATON_TOKEN_FILE", global = true)]
    pub token_file: Option<PathBuf>,
    /// OAuth consumer key (client credentials grant).
    #[arg(long, env = "BATON_CONSUMER_KEY", global = true)]
    pub consumer_key: Option<String>,
    /// OAuth consumer secret.
    #[arg(
        long,
        env = "BATON_CONSUMER_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub consumer_secret: Option<String>,
    /// File holding the OAuth consumer secret.
    #[arg(long, env = "BATON_CONSUMER_SECRET_FILE", global = true)]
    pub consumer_secret_file: Option<PathBuf>,
    /// Limit syncing to these workspaces (slugs or {uuids}, comma-separated); all when empty.
    #[arg(long, env = "BATON_WORKSPACES", value_delimiter = ',', global = true)]
    pub workspaces: Vec<String>,
    /// Bitbucket API base URL; only this host (and its OAuth token host) is reachable.
    #[arg(
        long,
        env = "BATON_BASE_URL",
        default_value = "https://api.bitbucket.org",
        global = true
    )]
    pub base_url: String,
    /// Don't look up account status for users whose listing lacks it (status is then unspecified).
    #[arg(long, env = "BATON_SKIP_USER_STATUS", global = true)]
    pub skip_user_status: bool,
    /// The .c1z file to write (sync) or read (inspect).
    #[arg(
        short = 'f',
        long,
        env = "BATON_FILE",
        default_value = "sync.c1z",
        global = true
    )]
    pub file: PathBuf,
    /// Allow provisioning (grant and revoke).
    #[arg(short = 'p', long, env = "BATON_PROVISIONING", global = true)]
    pub provisioning: bool,
    /// One-shot grant (Baton): the entitlement id to grant, looked up in --file (needs -p).
    #[arg(long, env = "BATON_GRANT_ENTITLEMENT", conflicts_with = "revoke_grant")]
    pub grant_entitlement: Option<String>,
    /// One-shot grant (Baton): the principal's resource id, looked up in --file.
    #[arg(long, env = "BATON_GRANT_PRINCIPAL", requires = "grant_entitlement")]
    pub grant_principal: Option<String>,
    /// One-shot grant (Baton): the principal's resource type, for example `user` or `user_group`.
    #[arg(
        long,
        env = "BATON_GRANT_PRINCIPAL_TYPE",
        requires = "grant_entitlement"
    )]
    pub grant_principal_type: Option<String>,
    /// One-shot revoke (Baton): the grant id to revoke, looked up in --file (needs -p).
    #[arg(long, env = "BATON_REVOKE_GRANT")]
    pub revoke_grant: Option<String>,
    /// ConductorOne client id (service mode).
    #[arg(long, env = "BATON_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// ConductorOne client secret (service mode).
    #[arg(
        long,
        env = "BATON_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub client_secret: Option<String>,
    /// File holding the ConductorOne client secret.
    #[arg(long, env = "BATON_CLIENT_SECRET_FILE", global = true)]
    pub client_secret_file: Option<PathBuf>,
    /// Log level: error, warn, info, debug or trace (or a tracing filter).
    #[arg(long, env = "BATON_LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,
    /// Log format; console on a terminal, json otherwise, when not given.
    #[arg(long, env = "BATON_LOG_FORMAT", value_enum, global = true)]
    pub log_format: Option<LogFormat>,
    /// Load this connector component instead of the embedded Bitbucket one.
    #[arg(long, env = "BATON_PLUGIN", global = true)]
    pub plugin: Option<PathBuf>,
    /// Extra non-secret setting for a --plugin component, as KEY=VALUE (repeatable).
    #[arg(long = "plugin-config", env = "BATON_PLUGIN_CONFIG", value_parser = parse_key_value, global = true)]
    pub plugin_config: Vec<(String, String)>,
    /// Memory limit of the plugin instance, in MiB.
    #[arg(
        long,
        env = "BATON_MEMORY_LIMIT_MIB",
        default_value_t = 128,
        global = true
    )]
    pub memory_limit_mib: usize,
    /// CPU time one plugin call may use, in seconds (time waiting for HTTP not counted).
    #[arg(
        long,
        env = "BATON_CPU_LIMIT_SECONDS",
        default_value_t = 30,
        global = true
    )]
    pub cpu_limit_seconds: u64,
    /// Wall-clock time one plugin call may take, HTTP included, in seconds.
    #[arg(
        long,
        env = "BATON_CALL_TIMEOUT_SECONDS",
        default_value_t = 900,
        global = true
    )]
    pub call_timeout_seconds: u64,
    /// Timeout of one HTTP request, in seconds.
    #[arg(
        long,
        env = "BATON_HTTP_TIMEOUT_SECONDS",
        default_value_t = 60,
        global = true
    )]
    pub http_timeout_seconds: u64,
    /// Largest HTTP response body accepted, in MiB.
    #[arg(
        long,
        env = "BATON_MAX_RESPONSE_MIB",
        default_value_t = 32,
        global = true
    )]
    pub max_response_mib: usize,
    /// Longest total time one request may wait in retries (rate limits, server errors), in seconds.
    #[arg(
        long,
        env = "BATON_MAX_RETRY_WAIT_SECONDS",
        default_value_t = 900,
        global = true
    )]
    pub max_retry_wait_seconds: u64,
    /// Pace requests to this many an hour (after a minute's burst), to stay under Bitbucket's
    /// hourly rate limit instead of running into it; 0 for no pacing.
    #[arg(
        long,
        env = "BATON_REQUESTS_PER_HOUR",
        default_value_t = 0,
        global = true
    )]
    pub requests_per_hour: u32,
    /// First wait before retrying a rate-limited or failed request, in milliseconds; it doubles each retry.
    #[arg(
        long,
        env = "BATON_RETRY_BACKOFF_BASE_MS",
        default_value_t = 500,
        global = true
    )]
    pub retry_backoff_base_ms: u64,
}

/// Log output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Console,
}

/// `demo` flags.
#[derive(Args)]
pub struct DemoArgs {
    /// Size of the simulated Bitbucket.
    #[arg(long, env = "BATON_DEMO_SCALE", value_enum, default_value = "small")]
    pub scale: DemoScale,
    /// Where to write the file (overrides --file, whose default is sync.c1z).
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
    /// Output format.
    #[arg(
        short = 'o',
        long = "output-format",
        env = "BATON_OUTPUT_FORMAT",
        value_enum,
        default_value = "table"
    )]
    pub output: OutputFormat,
    /// `access` and `holders`: add the ids beside the names in tables (JSON always has them).
    #[arg(long = "show-ids", env = "BATON_SHOW_IDS")]
    pub show_ids: bool,
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
    /// Output format.
    #[arg(
        short = 'o',
        long = "output-format",
        env = "BATON_OUTPUT_FORMAT",
        value_enum,
        default_value = "table"
    )]
    pub output: OutputFormat,
}

/// `revoke` flags.
#[derive(Args)]
pub struct RevokeArgs {
    /// The grant id (see `inspect grants`).
    #[arg(long, env = "BATON_PROVISION_GRANT")]
    pub grant: String,
    /// Output format.
    #[arg(
        short = 'o',
        long = "output-format",
        env = "BATON_OUTPUT_FORMAT",
        value_enum,
        default_value = "table"
    )]
    pub output: OutputFormat,
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

/// Output formats of `inspect`, `grant`, `revoke` and `capabilities`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tables, like the baton CLI's console output.
    Table,
    /// JSON in the baton CLI's output wrappers.
    Json,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}
