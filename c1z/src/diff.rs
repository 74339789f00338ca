//! Diff of the latest and the previous finished full sync inside one file (`baton diff`): created, deleted and
//! modified (same external id, different data bytes) resources, entitlements and grants, as typed data; rendering
//! it is the caller's.

use std::collections::BTreeMap;

use crate::error::C1zError;
use crate::reader::C1zReader;
use crate::rows::ObjectTable;

/// Changes of one object kind; each list holds (external id, data of the relevant side), sorted by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// In the latest sync only (latest data).
    pub created: Vec<(String, Vec<u8>)>,
    /// In the previous sync only (previous data).
    pub deleted: Vec<(String, Vec<u8>)>,
    /// In both with different bytes (latest data).
    pub modified: Vec<(String, Vec<u8>)>,
}

/// The diff of two syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncDiff {
    /// The previous full sync.
    pub base_sync_id: String,
    /// The latest full sync.
    pub applied_sync_id: String,
    /// Resource changes.
    pub resources: Changes,
    /// Entitlement changes.
    pub entitlements: Changes,
    /// Grant changes.
    pub grants: Changes,
}

/// Compares two maps of external id → data.
pub fn compare(old: &BTreeMap<String, Vec<u8>>, new: &BTreeMap<String, Vec<u8>>) -> Changes {
    let mut c = Changes::default();
    for (id, data) in new {
        match old.get(id) {
            None => c.created.push((id.clone(), data.clone())),
            Some(o) if o != data => c.modified.push((id.clone(), data.clone())),
            Some(_) => {}
        }
    }
    for (id, data) in old {
        if !new.contains_key(id) {
            c.deleted.push((id.clone(), data.clone()));
        }
    }
    c
}

/// The ids of the latest finished full sync and the previous one, which a diff compares.
pub fn latest_and_previous(reader: &C1zReader) -> Result<(String, String), C1zError> {
    let syncs = reader.finished_full_syncs()?;
    match syncs.as_slice() {
        [latest, previous, ..] => Ok((latest.id.clone(), previous.id.clone())),
        _ => Err(C1zError::NotEnoughSyncs {
            path: reader.path().to_path_buf(),
            found: syncs.len(),
        }),
    }
}

/// Diffs the latest finished full sync against the previous one.
pub fn diff(reader: &C1zReader) -> Result<SyncDiff, C1zError> {
    let (new, old) = &latest_and_previous(reader)?;
    let part = |t| -> Result<Changes, C1zError> {
        Ok(compare(&reader.rows(t, old)?, &reader.rows(t, new)?))
    };
    Ok(SyncDiff {
        base_sync_id: old.clone(),
        applied_sync_id: new.clone(),
        resources: part(ObjectTable::Resources)?,
        entitlements: part(ObjectTable::Entitlements)?,
        grants: part(ObjectTable::Grants)?,
    })
}
