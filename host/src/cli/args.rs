//! The host's own flags, in groups that the subcommands combine: each lists only what it uses.
//! Every flag has its `BATON_*` variable, named as Baton's SDK names them (`BATON_` + the flag in
//! upper snake case), so existing deployments keep working. The component's own flags come from
//! its declaration (`config::cli_args`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::operations::settings::{
    DEFAULT_MAX_SYNC_MIB, DEFAULT_MAX_SYNC_ROWS, DEFAULT_SYNC_TIMEOUT,
};
use crate::runtime::plugin_log::{
    DEFAULT_LOG_BURST_LINES, DEFAULT_LOG_LINES_PER_SECOND, DEFAULT_MAX_LOG_LINE_BYTES,
};

/// Logging, for every command.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Logging", next_display_order = 600)]
pub struct LogArgs {
    /// Log level: error, warn, info, debug or trace (or a tracing filter).
    #[arg(long, env = "BATON_LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,
    /// Log format; console on a terminal, json otherwise, when not given.
    #[arg(long, env = "BATON_LOG_FORMAT", value_enum, global = true)]
    pub log_format: Option<LogFormat>,
}

/// Log output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Console,
}

/// Which component runs.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Connection and credentials")]
pub struct PluginArgs {
    /// Run this connector component instead of the embedded one; `--plugin PATH --help` lists its
    /// own flags.
    #[arg(long, env = "BATON_PLUGIN")]
    pub plugin: Option<PathBuf>,
    /// A setting of the component as KEY=VALUE (repeatable), for fields it declares; its own flags
    /// do the same.
    #[arg(long = "plugin-config", env = "BATON_PLUGIN_CONFIG", value_parser = parse_key_value)]
    pub plugin_config: Vec<(String, String)>,
    /// Never set: places the component's "What to sync" flags right after the connection ones in
    /// the help (clap orders headings by their first argument, hidden ones included).
    #[arg(
        long = "help-heading-anchor",
        hide = true,
        help_heading = "What to sync"
    )]
    pub heading_anchor: bool,
}

/// The sandbox's limits on the component and on its requests.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Sandbox limits", next_display_order = 100)]
pub struct LimitArgs {
    /// Memory limit of the plugin instance, in MiB.
    #[arg(long, env = "BATON_MEMORY_LIMIT_MIB", default_value_t = 128)]
    pub memory_limit_mib: usize,
    /// CPU time one plugin call may use, in seconds (time waiting for HTTP not counted).
    #[arg(long, env = "BATON_CPU_LIMIT_SECONDS", default_value_t = 30)]
    pub cpu_limit_seconds: u64,
    /// Wall-clock time one plugin call may take, HTTP included, in seconds.
    #[arg(long, env = "BATON_CALL_TIMEOUT_SECONDS", default_value_t = 900)]
    pub call_timeout_seconds: u64,
    /// Timeout of one HTTP request, in seconds.
    #[arg(long, env = "BATON_HTTP_TIMEOUT_SECONDS", default_value_t = 60)]
    pub http_timeout_seconds: u64,
    /// Largest HTTP response body accepted, in MiB.
    #[arg(long, env = "BATON_MAX_RESPONSE_MIB", default_value_t = 32)]
    pub max_response_mib: usize,
    /// Longest total time one request may wait in retries (rate limits, server errors), in seconds.
    #[arg(long, env = "BATON_MAX_RETRY_WAIT_SECONDS", default_value_t = 900)]
    pub max_retry_wait_seconds: u64,
    /// Requests allowed in any rolling window (--rate-window-seconds), as the service counts
    /// them: requests go at once while the window has room, and wait exactly until it has when
    /// it is full. What earlier runs into the same file sent still counts. Default 1000
    /// (Bitbucket's hourly limit for user credentials), or the limit the API reports
    /// (X-RateLimit-Limit, sent for access tokens); 0 for no budget.
    #[arg(long, env = "BATON_REQUESTS_PER_HOUR")]
    pub requests_per_hour: Option<u32>,
    /// Length of the rolling window of --requests-per-hour, in seconds.
    #[arg(long, env = "BATON_RATE_WINDOW_SECONDS", default_value_t = 3600,
        value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..))]
    pub rate_window_seconds: u64,
    /// First wait before retrying a rate-limited or failed request, in milliseconds; it doubles each retry.
    #[arg(long, env = "BATON_RETRY_BACKOFF_BASE_MS", default_value_t = 500)]
    pub retry_backoff_base_ms: u64,
    /// Plugin calls of a sync run at once, each on an instance of its own, and requests in flight
    /// at once across them (1: one at a time).
    #[arg(long, env = "BATON_CONCURRENCY", default_value_t = crate::operations::settings::DEFAULT_CONCURRENCY,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub concurrency: usize,
    /// Wall-clock time a sync may take from the start of its listing (after the plugin's
    /// validate), in seconds; past it the sync fails and its in-progress file is removed. The default, 24 h, is twice what a very large workspace needs
    /// under Bitbucket's 1,000 requests an hour (about 12,000 requests in 12 h), so only a sync
    /// that never ends reaches it. 0 for no deadline.
    #[arg(long, env = "BATON_SYNC_TIMEOUT_SECONDS", default_value_t = DEFAULT_SYNC_TIMEOUT.as_secs())]
    pub sync_timeout_seconds: u64,
    /// Rows (resources, entitlements and grants, expansion included) a sync may write; past it
    /// the sync fails and its in-progress file is removed, so a plugin whose listings never end
    /// cannot fill the disk. The default is ten times a large organisation's (3,000 users and
    /// 10,000 repositories make 94,000 rows). 0 for no cap.
    #[arg(long, env = "BATON_MAX_SYNC_ROWS", default_value_t = DEFAULT_MAX_SYNC_ROWS)]
    pub max_sync_rows: u64,
    /// MiB a sync may add to its in-progress file; past it the sync fails and the file is
    /// removed. Bounds what rows alone do not: very large objects (the default is just above the
    /// row cap at a Bitbucket row's 2.7 KB). 0 for no cap.
    #[arg(long, env = "BATON_MAX_SYNC_MIB", default_value_t = DEFAULT_MAX_SYNC_MIB)]
    pub max_sync_mib: u64,
    /// Longest plugin log line kept, in bytes; the rest is cut and marked.
    #[arg(long, env = "BATON_MAX_LOG_LINE_BYTES", default_value_t = DEFAULT_MAX_LOG_LINE_BYTES,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(64..))]
    pub max_log_line_bytes: usize,
    /// Plugin log lines (its log, stdout and stderr, all instances of a run together) let
    /// through a second once a burst is spent; the rest are dropped and counted in a note.
    /// 0 for no cap.
    #[arg(long, env = "BATON_LOG_LINES_PER_SECOND", default_value_t = DEFAULT_LOG_LINES_PER_SECOND)]
    pub log_lines_per_second: u32,
    /// Plugin log lines let through at once before --log-lines-per-second applies.
    #[arg(long, env = "BATON_LOG_BURST_LINES", default_value_t = DEFAULT_LOG_BURST_LINES)]
    pub log_burst_lines: u32,
}

impl Default for LimitArgs {
    fn default() -> Self {
        LimitArgs {
            memory_limit_mib: 128,
            cpu_limit_seconds: 30,
            call_timeout_seconds: 900,
            http_timeout_seconds: 60,
            max_response_mib: 32,
            max_retry_wait_seconds: 900,
            requests_per_hour: None,
            rate_window_seconds: 3600,
            retry_backoff_base_ms: 500,
            concurrency: crate::operations::settings::DEFAULT_CONCURRENCY,
            sync_timeout_seconds: DEFAULT_SYNC_TIMEOUT.as_secs(),
            max_sync_rows: DEFAULT_MAX_SYNC_ROWS,
            max_sync_mib: DEFAULT_MAX_SYNC_MIB,
            max_log_line_bytes: DEFAULT_MAX_LOG_LINE_BYTES,
            log_lines_per_second: DEFAULT_LOG_LINES_PER_SECOND,
            log_burst_lines: DEFAULT_LOG_BURST_LINES,
        }
    }
}

/// The `.c1z` file a command writes or reads.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Output", next_display_order = 200)]
pub struct FileArgs {
    /// The .c1z file to write (sync) or read.
    #[arg(short = 'f', long, env = "BATON_FILE", default_value = "sync.c1z")]
    pub file: PathBuf,
}

/// Whether changing access is allowed.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Provisioning", next_display_order = 300)]
pub struct ProvisioningArgs {
    /// Allow provisioning (grant and revoke).
    #[arg(short = 'p', long, env = "BATON_PROVISIONING")]
    pub provisioning: bool,
}

/// Baton's one-shot provisioning flags, on the default command.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Provisioning", next_display_order = 310)]
pub struct OneShotArgs {
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
}

/// ConductorOne service mode.
#[derive(Args, Clone, Debug, Default)]
#[command(
    next_help_heading = "ConductorOne service mode",
    next_display_order = 400
)]
pub struct ServiceArgs {
    /// ConductorOne client id; with the secret, runs in service mode (takes tasks from ConductorOne).
    #[arg(long, env = "BATON_CLIENT_ID")]
    pub client_id: Option<String>,
    /// ConductorOne client secret (secret-token:conductorone.com:v1:...).
    #[arg(long, env = "BATON_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// File holding the ConductorOne client secret (a mounted Kubernetes secret).
    #[arg(long, env = "BATON_CLIENT_SECRET_FILE")]
    pub client_secret_file: Option<PathBuf>,
    /// ConductorOne API host (HOST or HOST:PORT) instead of the client id's tenant host.
    #[arg(long = "c1-api-host", env = "BATON_C1_API_HOST")]
    pub c1_api_host: Option<String>,
    /// The host id ConductorOne knows this process by; the host name when not given.
    #[arg(long, env = "BATON_HOST_ID")]
    pub host_id: Option<String>,
    #[command(flatten)]
    pub health: HealthArgs,
}

impl ServiceArgs {
    /// Whether any service-mode flag is given.
    pub fn any(&self) -> bool {
        self.client_id.is_some()
            || self.client_secret.is_some()
            || self.client_secret_file.is_some()
    }
}

/// Where the health endpoints are served (service mode) or probed (`health-check`).
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Health checks", next_display_order = 450)]
pub struct HealthArgs {
    /// Serve /health, /ready and /live (service mode).
    #[arg(long, env = "BATON_HEALTH_CHECK")]
    pub health_check: bool,
    /// Port of the health endpoints.
    #[arg(long, env = "BATON_HEALTH_CHECK_PORT", default_value_t = 8081)]
    pub health_check_port: u16,
    /// Address the health endpoints listen on; 0.0.0.0 for probes from outside the pod.
    #[arg(
        long,
        env = "BATON_HEALTH_CHECK_BIND_ADDRESS",
        default_value = "127.0.0.1"
    )]
    pub health_check_bind_address: String,
}

impl Default for HealthArgs {
    fn default() -> Self {
        HealthArgs {
            health_check: false,
            health_check_port: 8081,
            health_check_bind_address: "127.0.0.1".into(),
        }
    }
}

/// What a run of the component needs: which one, its limits, the file, and whether it may
/// change access. Its own flags are added beside these.
#[derive(Args, Clone, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub plugin: PluginArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub file: FileArgs,
    #[command(flatten)]
    pub provisioning: ProvisioningArgs,
}

/// The default command (and `sync`): a run, with Baton's one-shot provisioning flags and
/// service mode.
#[derive(Args, Clone, Debug)]
pub struct SyncArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub one_shot: OneShotArgs,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// Output formats of `inspect`, `grant`, `revoke`, `capabilities` and `tenants`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tables, like the baton CLI's console output.
    Table,
    /// JSON in the baton CLI's output wrappers.
    Json,
}

/// The `--output-format` flag of every command that prints a result.
#[derive(Args, Clone, Copy, Debug)]
pub struct OutputArgs {
    /// Output format.
    #[arg(
        short = 'o',
        long = "output-format",
        env = "BATON_OUTPUT_FORMAT",
        value_enum,
        default_value = "table"
    )]
    pub format: OutputFormat,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}
