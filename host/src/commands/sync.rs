//! The one-shot sync on the command line: stop cleanly on Ctrl-C, and a summary of what came
//! out. The sync itself is `operations::sync`.

use std::path::Path;

use super::interrupt::{self, Interrupted};
use crate::operations::{RunSettings, SyncOutcome, SyncRequest, SyncRunError, sync};
use crate::sync::{SyncError, SyncEvents};

/// Runs `request`, stopping cleanly on Ctrl-C: the first press at the next checkpoint, a second
/// at once (the in-progress file then keeps the last checkpoint). Either way the error is
/// [`Interrupted`], saying that rerunning the same command resumes.
pub async fn sync_until_ctrl_c(
    settings: &RunSettings,
    request: SyncRequest,
    events: &dyn SyncEvents,
) -> anyhow::Result<SyncOutcome> {
    let stop = request.stop.clone();
    let work = c1z::store::in_progress_path(&request.output);
    let resumable = || {
        anyhow::Error::new(Interrupted(format!(
            "interrupted: the sync's progress is kept in {}; rerun the same command to resume",
            work.display()
        )))
    };
    match interrupt::until_ctrl_c(&stop, sync(settings, request, events)).await {
        None => Err(resumable()),
        Some(Err(SyncRunError::Sync(SyncError::Interrupted { .. }))) => Err(resumable()),
        Some(result) => Ok(result?),
    }
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
