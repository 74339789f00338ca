//! What `connector-host tenants` shows: each tenant file's state, last and next sync, read from
//! the files alone (the tenant files and their outputs), so it works beside a running server.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::directory::read_tenants;
use super::shard::{Shard, shard_of};
use super::tenant::last_finished;
use super::tenant_file::TenantSpec;

/// One tenant's row.
#[derive(Clone, Debug, Serialize)]
pub struct TenantStatus {
    /// The tenant's name.
    pub tenant: String,
    /// `synced`, `never synced`, `in progress` (a sync runs, or waits to be resumed),
    /// `ConductorOne` (service mode: ConductorOne schedules it) or `invalid`.
    pub state: String,
    /// When its last sync finished (RFC 3339, UTC).
    pub last_sync: Option<String>,
    /// When it syncs next (RFC 3339, UTC); `now` when due.
    pub next_run: Option<String>,
    /// Its schedule as written.
    pub schedule: Option<String>,
    /// The replica that serves it.
    pub shard: u32,
    /// Its output file.
    pub output: Option<PathBuf>,
    /// Why the file is invalid.
    pub problem: Option<String>,
}

/// The rows of every tenant file in `dir`, by name; `shard` says which replica serves each.
pub fn tenant_statuses(
    dir: &Path,
    shard: Shard,
    now: SystemTime,
) -> Result<Vec<TenantStatus>, super::directory::DirectoryError> {
    let mut rows = Vec::new();
    for (name, entry) in read_tenants(dir)? {
        let parsed = std::str::from_utf8(&entry.bytes)
            .map_err(|_| format!("tenant file {} is not UTF-8 text", entry.path.display()))
            .and_then(|text| TenantSpec::parse(&entry.path, text).map_err(|e| e.to_string()));
        let row = match parsed {
            Err(problem) => TenantStatus {
                tenant: name.clone(),
                state: "invalid".into(),
                last_sync: None,
                next_run: None,
                schedule: None,
                shard: shard_of(&name, shard.count),
                output: None,
                problem: Some(problem),
            },
            Ok(spec) => match spec.sync_file() {
                // ConductorOne decides when it syncs; its files are uploaded, not kept here.
                None => TenantStatus {
                    tenant: name.clone(),
                    state: "ConductorOne".into(),
                    last_sync: None,
                    next_run: None,
                    schedule: Some("when ConductorOne asks".into()),
                    shard: shard_of(&name, shard.count),
                    output: None,
                    problem: None,
                },
                Some(file) => {
                    let last = last_finished(&file);
                    let next = spec.schedule.next_run(last, now);
                    let interrupted = c1z::store::in_progress_path(&file).exists();
                    let state = match (last, interrupted) {
                        (_, true) => "in progress",
                        (Some(_), false) => "synced",
                        (None, false) => "never synced",
                    };
                    TenantStatus {
                        tenant: name.clone(),
                        state: state.into(),
                        last_sync: last.map(|t| humantime::format_rfc3339_seconds(t).to_string()),
                        next_run: Some(if next <= now {
                            "now".into()
                        } else {
                            humantime::format_rfc3339_seconds(next).to_string()
                        }),
                        schedule: Some(spec.schedule.describe()),
                        shard: shard_of(&name, shard.count),
                        output: Some(file),
                        problem: None,
                    }
                }
            },
        };
        rows.push(row);
    }
    Ok(rows)
}
