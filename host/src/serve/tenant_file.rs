//! A tenant file, `<tenant>.toml` in the tenants directory: which component, when to sync, where
//! the file goes, the component's configuration (its schema's field names; secrets only by
//! reference) and the tenant's limits. Every error names the file and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::schedule::{Schedule, ScheduleError};
use crate::cli::LimitArgs;
use crate::config::{ConfigSchema, Given};
use crate::secrets::Secret;

/// The name of the embedded component in a tenant file's `plugin` key.
pub const EMBEDDED_PLUGIN: &str = "bitbucket";

/// The name of the file a tenant's sync writes in its output directory.
pub const SYNC_FILE: &str = "sync.c1z";

/// A tenant file that cannot be used: the file, the key (when one is to blame) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tenant file {}{}: {message}", path.display(), key.as_ref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
pub struct TenantFileError {
    /// The tenant file.
    pub path: PathBuf,
    /// The key at fault, as `section.key` inside a table.
    pub key: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Which component a tenant runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PluginRef {
    /// The component embedded in the binary (`plugin = "bitbucket"`, the default).
    Embedded,
    /// A component file, relative paths taken from the tenants directory.
    File(PathBuf),
}

/// Where a tenant's syncs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// `sync.c1z` in this directory, on the tenant's schedule.
    Dir(PathBuf),
    /// To ConductorOne, in service mode with the tenant's own client: ConductorOne says when to
    /// sync, grant and revoke.
    ConductorOne(ConductorOneOutput),
}

/// A tenant's ConductorOne client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConductorOneOutput {
    /// `output.client_id`.
    pub client_id: String,
    /// Where `output.client_secret_file` (or `client_secret = { file | env }`) says the secret is.
    pub client_secret: SecretSource,
    /// `output.c1_api_host`: where to connect instead of the client id's tenant host.
    pub api_host: Option<String>,
    /// `output.provisioning`: whether grant and revoke tasks may change access.
    pub provisioning: bool,
}

/// Where a secret of the tenant file is read from, when it is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A file (a mounted Secret).
    File(PathBuf),
    /// An environment variable of the server.
    Env(String),
}

impl SecretSource {
    /// Reads the secret now.
    pub fn read(&self) -> Result<Secret, String> {
        match self {
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map(|text| Secret::new(text.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|e| format!("could not read {}: {e}", path.display())),
            SecretSource::Env(var) => read_env(var).map(Secret::new),
        }
    }
}

/// One tenant, as its file describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSpec {
    /// The tenant's name: the file's name without `.toml`.
    pub name: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// The component it runs.
    pub plugin: PluginRef,
    /// When it syncs.
    pub schedule: Schedule,
    /// Where its syncs go.
    pub output: Output,
    /// The `[config]` table, checked against the component's schema when it is known.
    config: toml::Table,
    /// The `[limits]` table.
    pub limits: TenantLimits,
}

/// A tenant's `[limits]`: the sandbox flags of a one-shot run under kebab-case keys; what is not
/// given comes from `serve`'s own flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TenantLimits {
    /// `--memory-limit-mib`.
    pub memory_mib: Option<usize>,
    /// `--cpu-limit-seconds`.
    pub cpu_seconds: Option<u64>,
    /// `--call-timeout-seconds`.
    pub call_timeout_seconds: Option<u64>,
    /// `--http-timeout-seconds`.
    pub http_timeout_seconds: Option<u64>,
    /// `--max-response-mib`.
    pub max_response_mib: Option<usize>,
    /// `--max-retry-wait-seconds`.
    pub max_retry_wait_seconds: Option<u64>,
    /// `--requests-per-hour`.
    pub requests_per_hour: Option<u32>,
    /// `--retry-backoff-base-ms`.
    pub retry_backoff_base_ms: Option<u64>,
    /// `--concurrency`.
    pub concurrency: Option<usize>,
    /// `--rate-window-seconds`.
    pub rate_window_seconds: Option<u64>,
    /// `--sync-timeout-seconds`.
    pub sync_timeout_seconds: Option<u64>,
    /// `--max-sync-rows`.
    pub max_sync_rows: Option<u64>,
    /// `--max-sync-mib`.
    pub max_sync_mib: Option<u64>,
    /// `--max-log-line-bytes`.
    pub max_log_line_bytes: Option<usize>,
    /// `--log-lines-per-second`.
    pub log_lines_per_second: Option<u32>,
    /// `--log-burst-lines`.
    pub log_burst_lines: Option<u32>,
}

impl TenantLimits {
    /// `defaults` with this table's values over them.
    pub fn over(&self, defaults: &LimitArgs) -> LimitArgs {
        let mut l = defaults.clone();
        let set = |slot: &mut _, v: Option<_>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut l.memory_limit_mib, self.memory_mib);
        set(&mut l.max_response_mib, self.max_response_mib);
        set(&mut l.concurrency, self.concurrency);
        set(&mut l.max_log_line_bytes, self.max_log_line_bytes);
        let set64 = |slot: &mut u64, v: Option<u64>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set64(&mut l.cpu_limit_seconds, self.cpu_seconds);
        set64(&mut l.call_timeout_seconds, self.call_timeout_seconds);
        set64(&mut l.http_timeout_seconds, self.http_timeout_seconds);
        set64(&mut l.max_retry_wait_seconds, self.max_retry_wait_seconds);
        set64(&mut l.retry_backoff_base_ms, self.retry_backoff_base_ms);
        set64(&mut l.rate_window_seconds, self.rate_window_seconds);
        set64(&mut l.sync_timeout_seconds, self.sync_timeout_seconds);
        set64(&mut l.max_sync_rows, self.max_sync_rows);
        set64(&mut l.max_sync_mib, self.max_sync_mib);
        for (slot, v) in [
            (&mut l.log_lines_per_second, self.log_lines_per_second),
            (&mut l.log_burst_lines, self.log_burst_lines),
        ] {
            if let Some(v) = v {
                *slot = v;
            }
        }
        if let Some(v) = self.requests_per_hour {
            l.requests_per_hour = Some(v);
        }
        l
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    plugin: Option<String>,
    interval: Option<String>,
    schedule: Option<String>,
    output: Option<RawOutput>,
    #[serde(default)]
    config: toml::Table,
    #[serde(default)]
    limits: TenantLimits,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    dir: Option<PathBuf>,
    client_id: Option<String>,
    client_secret_file: Option<PathBuf>,
    client_secret: Option<toml::Value>,
    c1_api_host: Option<String>,
    provisioning: Option<bool>,
}

/// The interval of a tenant file that names neither `interval` nor `schedule`.
pub const DEFAULT_INTERVAL: &str = "6h";

/// Whether `name` can be a tenant's name: a letter or digit, then letters, digits, `.`, `_`, `-`
/// (so it is a safe label, log field and Kubernetes-friendly name).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name.len() <= 128
}

impl TenantSpec {
    /// Parses the tenant file at `path` (its text is `text`); relative paths in it are taken
    /// from the file's directory.
    pub fn parse(path: &Path, text: &str) -> Result<TenantSpec, TenantFileError> {
        let err = |key: Option<&str>, message: String| TenantFileError {
            path: path.to_path_buf(),
            key: key.map(str::to_string),
            message,
        };
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !valid_name(&name) {
            return Err(err(
                None,
                "a tenant's file is named <tenant>.toml, the name a letter or digit followed by letters, digits, `.`, `_` or `-`; rename the file".into(),
            ));
        }
        let raw: RawTenant = toml::from_str(text).map_err(|e| {
            let key = e.span().and_then(|span| key_at(text, span.start));
            err(key.as_deref(), e.message().to_string())
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let plugin = match raw.plugin.as_deref() {
            None | Some(EMBEDDED_PLUGIN) => PluginRef::Embedded,
            Some("") => {
                return Err(err(
                    Some("plugin"),
                    format!("give `\"{EMBEDDED_PLUGIN}\"` or the path of a component"),
                ));
            }
            Some(p) => PluginRef::File(base.join(p)),
        };
        let schedule = match (raw.interval.as_deref(), raw.schedule.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(err(
                    Some("schedule"),
                    "give either `interval` or `schedule`, not both".into(),
                ));
            }
            (Some(i), None) => {
                Schedule::every(i).map_err(|e| err(Some("interval"), e.to_string()))?
            }
            (None, Some(s)) => {
                Schedule::cron(s).map_err(|e| err(Some("schedule"), e.to_string()))?
            }
            (None, None) => Schedule::every(DEFAULT_INTERVAL)
                .map_err(|e: ScheduleError| err(None, e.to_string()))?,
        };
        let output = output(raw.output, base).map_err(|(key, m)| err(Some(key), m))?;
        if matches!(output, Output::ConductorOne(_))
            && let Some(key) = [("interval", &raw.interval), ("schedule", &raw.schedule)]
                .into_iter()
                .find_map(|(key, v)| v.as_ref().map(|_| key))
        {
            return Err(err(
                Some(key),
                "ConductorOne says when a tenant with a `client_id` output syncs; remove the key"
                    .into(),
            ));
        }
        if raw.limits.concurrency == Some(0) {
            return Err(err(Some("limits.concurrency"), "must be at least 1".into()));
        }
        for (key, value) in &raw.config {
            check_reference(value).map_err(|m| err(Some(&format!("config.{key}")), m))?;
        }
        Ok(TenantSpec {
            name,
            path: path.to_path_buf(),
            plugin,
            schedule,
            output,
            config: raw.config,
            limits: raw.limits,
        })
    }

    /// The `.c1z` file its syncs write; `None` for a tenant whose syncs go to ConductorOne
    /// (each to a temporary file, uploaded).
    pub fn sync_file(&self) -> Option<PathBuf> {
        match &self.output {
            Output::Dir(dir) => Some(dir.join(SYNC_FILE)),
            Output::ConductorOne(_) => None,
        }
    }

    /// The `[config]` values as the component's schema takes them. With `load_secrets` false
    /// every secret is a placeholder and nothing is read (a check of the file alone); with it,
    /// `{ env = ... }` is read now and `{ file = ... }` when the settings are built.
    pub fn given(
        &self,
        schema: &ConfigSchema,
        load_secrets: bool,
    ) -> Result<BTreeMap<String, Given>, TenantFileError> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        let mut given = BTreeMap::new();
        for (key, value) in &self.config {
            let err = |message: String| TenantFileError {
                path: self.path.clone(),
                key: Some(format!("config.{key}")),
                message,
            };
            let Some(field) = schema.field(key) else {
                let known: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
                return Err(err(format!(
                    "not a setting of {}; its settings are: {}",
                    schema.component,
                    known.join(", ")
                )));
            };
            let value = match (value, field.secret) {
                (toml::Value::Table(t), secret) => {
                    let reference = reference(t).map_err(err)?;
                    match (reference, secret, load_secrets) {
                        (_, true, false) => Given::Secret(Secret::new("checked-when-syncing")),
                        (Reference::File(p), true, true) => Given::SecretFile(base.join(p)),
                        (Reference::Env(var), true, true) => {
                            Given::Secret(Secret::new(read_env(var).map_err(err)?))
                        }
                        (Reference::File(p), false, _) => {
                            let path = base.join(p);
                            let text = std::fs::read_to_string(&path).map_err(|e| {
                                err(format!("could not read {}: {e}", path.display()))
                            })?;
                            Given::Text(text.trim_end_matches(['\n', '\r']).to_string())
                        }
                        (Reference::Env(var), false, _) => Given::Text(read_env(var).map_err(err)?),
                    }
                }
                (_, true) => {
                    return Err(err(format!(
                        "is a secret, which a tenant file only names: write `{key} = {{ file = \"/run/secrets/...\" }}` or `{key} = {{ env = \"VARIABLE\" }}`"
                    )));
                }
                (value, false) => Given::Text(plain_text(value).map_err(err)?),
            };
            given.insert(key.clone(), value);
        }
        Ok(given)
    }
}

/// The `output` table: a directory, or a ConductorOne client; on error the key and why.
fn output(raw: Option<RawOutput>, base: &Path) -> Result<Output, (&'static str, String)> {
    let Some(raw) = raw else {
        return Err((
            "output",
            "missing: say where the syncs go, for example `output = { dir = \"/var/lib/connector/acme\" }` or `output = { client_id = \"...\", client_secret_file = \"/run/secrets/...\" }`".into(),
        ));
    };
    let Some(client_id) = raw.client_id else {
        let service_only = [
            (
                "output.client_secret_file",
                raw.client_secret_file.is_some(),
            ),
            ("output.client_secret", raw.client_secret.is_some()),
            ("output.c1_api_host", raw.c1_api_host.is_some()),
            ("output.provisioning", raw.provisioning.is_some()),
        ];
        if let Some((key, _)) = service_only.into_iter().find(|(_, given)| *given) {
            return Err((
                key,
                "goes with `client_id` (ConductorOne service mode); give `client_id` too, or only `dir`".into(),
            ));
        }
        return match raw.dir {
            Some(dir) => Ok(Output::Dir(base.join(dir))),
            None => Err((
                "output",
                "give `dir`, for example `output = { dir = \"/var/lib/connector/acme\" }`, or a ConductorOne `client_id`".into(),
            )),
        };
    };
    if raw.dir.is_some() {
        return Err((
            "output.dir",
            "a tenant's syncs go either to a directory or to ConductorOne (`client_id`), not both"
                .into(),
        ));
    }
    if client_id.trim().is_empty() {
        return Err((
            "output.client_id",
            "is empty; give the ConductorOne client id".into(),
        ));
    }
    let client_secret = match (raw.client_secret_file, raw.client_secret) {
        (Some(_), Some(_)) => {
            return Err((
                "output.client_secret",
                "give either `client_secret_file` or `client_secret`, not both".into(),
            ));
        }
        (Some(path), None) => SecretSource::File(base.join(path)),
        (None, Some(toml::Value::Table(t))) => {
            match reference(&t).map_err(|m| ("output.client_secret", m))? {
                Reference::File(p) => SecretSource::File(base.join(p)),
                Reference::Env(var) => SecretSource::Env(var.to_string()),
            }
        }
        (None, Some(_)) => {
            return Err((
                "output.client_secret",
                "a secret is not written in a tenant file: give `client_secret_file = \"/run/secrets/...\"` or `client_secret = { env = \"VARIABLE\" }`".into(),
            ));
        }
        (None, None) => {
            return Err((
                "output.client_id",
                "goes with the client's secret: add `client_secret_file = \"/run/secrets/...\"` (or `client_secret = { env = \"VARIABLE\" }`)".into(),
            ));
        }
    };
    let api_host = raw
        .c1_api_host
        .map(|h| {
            h.trim()
                .trim_start_matches("https://")
                .trim_end_matches('/')
                .to_string()
        })
        .filter(|h| !h.is_empty());
    Ok(Output::ConductorOne(ConductorOneOutput {
        client_id: client_id.trim().to_string(),
        client_secret,
        api_host,
        provisioning: raw.provisioning.unwrap_or(false),
    }))
}

/// A value given by reference.
enum Reference<'a> {
    File(&'a str),
    Env(&'a str),
}

/// The reference of a `{ file = ... }` or `{ env = ... }` table.
fn reference(t: &toml::Table) -> Result<Reference<'_>, String> {
    let bad = || {
        "a table here names where the value is: `{ file = \"PATH\" }` or `{ env = \"VARIABLE\" }`"
            .to_string()
    };
    if t.len() != 1 {
        return Err(bad());
    }
    match t.iter().next() {
        Some((k, toml::Value::String(v))) if k == "file" && !v.is_empty() => Ok(Reference::File(v)),
        Some((k, toml::Value::String(v))) if k == "env" && !v.is_empty() => Ok(Reference::Env(v)),
        _ => Err(bad()),
    }
}

/// Checks what a `[config]` value can be checked for without the schema: a table is a reference.
fn check_reference(value: &toml::Value) -> Result<(), String> {
    match value {
        toml::Value::Table(t) => reference(t).map(|_| ()),
        _ => Ok(()),
    }
}

fn read_env(var: &str) -> Result<String, String> {
    std::env::var(var).map_err(|_| {
        format!("the environment variable {var} is not set (or not UTF-8); set it in the server's environment")
    })
}

/// A plain value as a flag would give it: lists comma-separated.
fn plain_text(value: &toml::Value) -> Result<String, String> {
    Ok(match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Array(items) => {
            let mut parts = Vec::new();
            for item in items {
                match item {
                    toml::Value::Array(_) | toml::Value::Table(_) => {
                        return Err("a list holds plain values (strings, numbers)".into());
                    }
                    other => parts.push(plain_text(other)?),
                }
            }
            parts.join(",")
        }
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Table(_) => unreachable!("tables are references, handled by the caller"),
    })
}

/// The key on the line of byte `offset` of a TOML text, as `table.key` under a `[table]`
/// header: what a parse error points at.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text[line_start..line_end].trim();
    let header = |l: &str| {
        let l = l.trim();
        (l.starts_with('[') && l.ends_with(']'))
            .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_string())
    };
    if let Some(h) = header(line) {
        return Some(h);
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"').to_string();
    let section = text[..line_start].lines().rev().find_map(header);
    Some(match section {
        Some(s) => format!("{s}.{key}"),
        None => key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TenantSpec, TenantFileError> {
        TenantSpec::parse(Path::new("/etc/tenants/acme.toml"), text)
    }

    const GOOD: &str = r#"
plugin = "bitbucket"
interval = "6h"
output = { dir = "/var/lib/connector/acme" }
[config]
base-url = "https://api.bitbucket.org"
workspaces = ["acme", "acme-labs"]
username = "svc@acme.example"
app-password = { file = "/run/secrets/acme/token" }
[limits]
memory-mib = 64
cpu-seconds = 30
concurrency = 4
requests-per-hour = 1000
"#;

    #[test]
    fn a_good_file_parses() {
        let spec = parse(GOOD).unwrap();
        assert_eq!(spec.name, "acme");
        assert_eq!(spec.plugin, PluginRef::Embedded);
        assert_eq!(
            spec.sync_file().unwrap(),
            Path::new("/var/lib/connector/acme/sync.c1z")
        );
        let limits = spec.limits.over(&LimitArgs::default());
        assert_eq!(limits.memory_limit_mib, 64);
        assert_eq!(limits.concurrency, 4);
        assert_eq!(limits.requests_per_hour, Some(1000));
        assert_eq!(
            limits.call_timeout_seconds,
            LimitArgs::default().call_timeout_seconds
        );
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let cases = [
            (
                GOOD.replace("interval = \"6h\"", "interval = \"soon\""),
                "interval",
            ),
            (
                GOOD.replace("interval = \"6h\"", "intervall = \"6h\""),
                "intervall",
            ),
            (
                GOOD.replace("memory-mib = 64", "memory-mib = \"lots\""),
                "limits.memory-mib",
            ),
            (
                GOOD.replace("memory-mib = 64", "memory = 64"),
                "limits.memory",
            ),
            (
                GOOD.replace("interval = \"6h\"", "schedule = \"every day\""),
                "schedule",
            ),
            (
                GOOD.replace("{ file = \"/run/secrets/acme/token\" }", "{ path = \"x\" }"),
                "config.app-password",
            ),
            (
                GOOD.replace("output = { dir = \"/var/lib/connector/acme\" }", ""),
                "output",
            ),
            (
                GOOD.replace(
                    "output = { dir = \"/var/lib/connector/acme\" }",
                    "output = { client_id = \"x\", client_secret = \"inline\" }",
                ),
                "output.client_secret",
            ),
            (
                GOOD.replace(
                    "output = { dir = \"/var/lib/connector/acme\" }",
                    "output = { client_id = \"x\" }",
                ),
                "output.client_id",
            ),
            (
                GOOD.replace(
                    "output = { dir = \"/var/lib/connector/acme\" }",
                    "output = { dir = \"/d\", client_secret_file = \"/s\" }",
                ),
                "output.client_secret_file",
            ),
            (
                GOOD.replace(
                    "output = { dir = \"/var/lib/connector/acme\" }",
                    "output = { client_id = \"x\", client_secret_file = \"/s\" }",
                ),
                "interval",
            ),
        ];
        for (text, key) in cases {
            let e = parse(&text).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{e}");
            let shown = e.to_string();
            assert!(
                shown.starts_with("tenant file /etc/tenants/acme.toml, key `"),
                "{shown}"
            );
        }
        let e = parse("plugin = \"bitbucket\"\noutput = { dir = \"x\" \n").unwrap_err();
        assert!(e.to_string().contains("acme.toml"), "{e}");
    }

    #[test]
    fn a_conductorone_output_names_its_client_and_where_the_secret_is() {
        let text = GOOD.replace("interval = \"6h\"\n", "").replace(
            "output = { dir = \"/var/lib/connector/acme\" }",
            "output = { client_id = \"svc@acme.conductor.one/pcc\", client_secret_file = \"secrets/c1\", c1_api_host = \"https://acme.conductor.one/\", provisioning = true }",
        );
        let spec = parse(&text).unwrap();
        assert_eq!(spec.sync_file(), None);
        assert_eq!(
            spec.output,
            Output::ConductorOne(ConductorOneOutput {
                client_id: "svc@acme.conductor.one/pcc".into(),
                client_secret: SecretSource::File("/etc/tenants/secrets/c1".into()),
                api_host: Some("acme.conductor.one".into()),
                provisioning: true,
            })
        );
        let by_env = parse(&text.replace(
            "client_secret_file = \"secrets/c1\"",
            "client_secret = { env = \"ACME_C1_SECRET\" }",
        ))
        .unwrap();
        let Output::ConductorOne(c1) = by_env.output else {
            panic!("a ConductorOne output");
        };
        assert_eq!(c1.client_secret, SecretSource::Env("ACME_C1_SECRET".into()));
    }

    #[test]
    fn names_must_be_safe() {
        assert!(valid_name("acme-corp_2.eu"));
        for bad in ["", ".hidden", "..data", "a b", "a/b", "-x"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn relative_paths_are_from_the_file() {
        let spec = parse(&GOOD.replace("/var/lib/connector/acme", "out/acme")).unwrap();
        assert_eq!(
            spec.sync_file().unwrap(),
            Path::new("/etc/tenants/out/acme/sync.c1z")
        );
    }
}
