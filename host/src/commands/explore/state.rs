//! What the explorer computes once at start: the index of the sync, its review findings and the changes since the
//! previous full sync.

use std::path::{Path, PathBuf};

use c1z::query::{AccessIndex, ReviewFindings, SyncChanges, sync_changes};

/// The loaded file.
pub struct Explorer {
    /// The file shown.
    pub file: PathBuf,
    /// Its sync, in memory.
    pub index: AccessIndex,
    /// What a reviewer looks at first.
    pub review: ReviewFindings,
    /// The changes since the previous full sync, or why there are none to show.
    pub changes: Result<SyncChanges, String>,
}

impl Explorer {
    /// Reads `file` (sync `sync_id`, or the latest full sync) and computes everything the pages show.
    pub fn load(file: &Path, sync_id: Option<&str>) -> anyhow::Result<Explorer> {
        let reader = crate::commands::access::open_reader(file)?;
        let index = AccessIndex::load(&reader, sync_id)?;
        let review = index.review();
        // A file with one full sync has nothing to compare: the changes page says so instead of failing.
        let changes = sync_changes(&reader).map_err(|e| e.to_string());
        Ok(Explorer {
            file: file.to_path_buf(),
            index,
            review,
            changes,
        })
    }
}
