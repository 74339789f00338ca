//! The one-shot sync: validate the plugin, sync into the `-f` file, print a summary.

use std::path::Path;

use anyhow::Context;

use crate::cli::GlobalArgs;
use crate::embedded::{BITBUCKET_COMPONENT, BITBUCKET_PLUGIN_NAME};
use crate::http::HttpCapability;
use crate::progress::Progress;
use crate::runtime::{Instance, Plugin, Runtime};
use crate::settings::{self, SettingsError};
use crate::sync::scope::credential_fingerprint;
use crate::sync::{Resume, StopRequest, SyncError, SyncOptions, SyncReport, SyncScope, run_sync};

use super::interrupt::{self, Interrupted};

/// Loads the plugin named by `--plugin`, or the embedded Bitbucket component.
pub fn load_plugin(runtime: &Runtime, args: &GlobalArgs) -> anyhow::Result<Plugin> {
    Ok(match &args.plugin {
        Some(path) => runtime.load_plugin_file(path)?,
        None => runtime.load_plugin(BITBUCKET_PLUGIN_NAME, BITBUCKET_COMPONENT)?,
    })
}

/// What a sync run produced, with the HTTP figures.
pub struct SyncOutcome {
    /// The engine's report.
    pub report: SyncReport,
    /// The per-endpoint request table.
    pub requests_table: String,
    /// Requests sent in all.
    pub requests_total: u64,
}

/// A plugin instance set up from the flags: credential, HTTP capability, configuration, limits.
pub struct Prepared {
    /// The instance.
    pub instance: Instance,
    /// Its HTTP capability (for request counters).
    pub http: HttpCapability,
    /// What a sync by this instance covers, but for the component's name and version (from its
    /// metadata, see [`SyncScope`]).
    pub scope: SyncScope,
}

/// Loads the plugin and instantiates it with the flags' credential and settings. With
/// `credential_needed` false (or a custom `--plugin`), missing credentials are allowed.
pub async fn prepare(args: &GlobalArgs, credential_needed: bool) -> anyhow::Result<Prepared> {
    let base = settings::base_url(args)?;
    // A custom plugin may need no Bitbucket credential; the embedded Bitbucket one does to sync.
    let credential = match settings::credential(args, &base) {
        Ok(c) => Some(c),
        Err(SettingsError::NoCredentials) if !credential_needed || args.plugin.is_some() => None,
        Err(e) => return Err(e.into()),
    };
    let config = settings::plugin_config(args, &base, credential.as_ref());
    let scope = SyncScope {
        base_url: base.as_str().trim_end_matches('/').to_string(),
        credential_kind: credential.as_ref().map_or("none", |c| c.kind()).to_string(),
        credential: credential_fingerprint(credential.as_ref()),
        config: config.clone(),
        ..SyncScope::default()
    };
    let http = HttpCapability::new(settings::http_settings(args, &base)?, credential)?;
    let runtime = Runtime::new()?;
    let plugin = load_plugin(&runtime, args)?;
    let instance = plugin
        .instantiate(&settings::limits(args), http.clone(), config)
        .await?;
    Ok(Prepared {
        instance,
        http,
        scope,
    })
}

/// Syncs into `output` with the flags' credentials and settings, resuming an interrupted sync of
/// the same scope.
pub async fn sync_to(
    args: &GlobalArgs,
    output: &Path,
    progress: &Progress,
) -> anyhow::Result<SyncOutcome> {
    sync_with(
        args,
        output,
        progress,
        Resume::SameScope,
        StopRequest::new(),
    )
    .await
}

/// Like [`sync_to`], but stops cleanly on Ctrl-C: the first press at the next checkpoint, a
/// second at once (the in-progress file then keeps the last checkpoint). Either way the error is
/// [`Interrupted`], saying that rerunning the same command resumes.
pub async fn sync_until_ctrl_c(
    args: &GlobalArgs,
    output: &Path,
    progress: &Progress,
    resume: Resume,
) -> anyhow::Result<SyncOutcome> {
    let stop = StopRequest::new();
    let work = c1z::store::in_progress_path(output);
    let resumable = || {
        anyhow::Error::new(Interrupted(format!(
            "interrupted: the sync's progress is kept in {}; rerun the same command to resume",
            work.display()
        )))
    };
    match interrupt::until_ctrl_c(
        &stop,
        sync_with(args, output, progress, resume, stop.clone()),
    )
    .await
    {
        None => Err(resumable()),
        Some(Err(e)) if matches!(e.downcast_ref(), Some(SyncError::Interrupted { .. })) => {
            Err(resumable())
        }
        Some(result) => result,
    }
}

/// The sync behind [`sync_to`] and [`sync_until_ctrl_c`]: the scope comes from the flags and the
/// component's metadata.
async fn sync_with(
    args: &GlobalArgs,
    output: &Path,
    progress: &Progress,
    resume: Resume,
    stop: StopRequest,
) -> anyhow::Result<SyncOutcome> {
    let Prepared {
        mut instance,
        http,
        scope,
    } = prepare(args, true).await?;
    let meta = instance.metadata().await?;
    tracing::info!(plugin = instance.plugin(), connector = %meta.display_name, version = %meta.version, "plugin loaded");
    instance
        .validate()
        .await
        .with_context(|| format!("{} could not validate its configuration", meta.display_name))?;

    let store = c1z::SyncStore::open(output)?;
    let stats_http = http.clone();
    let options = SyncOptions {
        scope: SyncScope {
            component: meta.display_name.clone(),
            version: meta.version.clone(),
            ..scope
        },
        resume,
        stop,
        ..SyncOptions::default()
    };
    let report = run_sync(&mut instance, store, &options, progress, &move || {
        stats_http.stats().total_requests()
    })
    .await?;
    let stats = http.stats();
    Ok(SyncOutcome {
        report,
        requests_table: stats.render_table(),
        requests_total: stats.total_requests(),
    })
}

/// A short human summary of a finished sync: counts per resource type, entitlements, grants,
/// requests and time, then the per-endpoint request table.
pub fn summary(outcome: &SyncOutcome) -> String {
    let r = &outcome.report;
    let c = &r.counts;
    let mut out = format!(
        "Synced into {} in {:.2}s{}\n\n",
        r.path.display(),
        r.elapsed.as_secs_f64(),
        match (r.resumed, &r.restarted) {
            (true, _) => " (resumed an interrupted sync)".to_string(),
            (false, Some(why)) => format!(" (a new sync, not the interrupted one: {why})"),
            (false, None) => String::new(),
        },
    );
    out.push_str("  resources by type\n");
    for (resource_type, n) in resources_by_type(&r.path, &r.sync_id) {
        out.push_str(&format!("    {resource_type:<14}{n:>8}\n"));
    }
    out.push_str(&format!(
        "  {:<16}{:>8}\n  {:<16}{:>8}  ({} added by expansion)\n  {:<16}{:>8}\n\n{}",
        "entitlements",
        c.entitlements,
        "grants",
        c.grants,
        r.expansion.created,
        "requests",
        outcome.requests_total,
        outcome.requests_table,
    ));
    out
}

/// Resources of the sync per type, read back from the written file; empty if it can't be read.
fn resources_by_type(path: &Path, sync_id: &str) -> Vec<(String, u64)> {
    c1z::C1zReader::open(path)
        .and_then(|reader| reader.count_by_type(c1z::reader::ObjectTable::Resources, sync_id))
        .map(|counts| counts.into_iter().collect())
        .unwrap_or_default()
}
