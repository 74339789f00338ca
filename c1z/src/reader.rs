//! Reading .c1z files: checks the envelope, decompresses to a private temp copy (removed on drop), upgrades an older
//! SDK schema on that copy as baton-sdk does, and queries objects of a chosen sync.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use prost::Message;
use rusqlite::{Connection, params};

use crate::envelope;
use crate::error::{C1zError, SqlContext};
use crate::pb;
use crate::rows::{self, GrantFilter, decode};
use crate::sync_runs;

pub use crate::rows::ObjectTable;
pub use crate::sync_runs::SyncInfo;

/// A read-only view of one .c1z file.
pub struct C1zReader {
    // Declared before `_tmp` so the connection closes before the temp dir is removed.
    conn: Connection,
    path: PathBuf,
    _tmp: tempfile::TempDir,
}

impl C1zReader {
    /// Opens a v1 .c1z file; garbage, v3, corrupt or truncated payloads and non-c1z databases give typed errors.
    pub fn open(path: &Path) -> Result<C1zReader, C1zError> {
        let envelope::Decompressed { conn, tmp, .. } = envelope::open_copy(path, "c1z-read-")?;
        // The copy is private and disposable: no journal, no fsync.
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            .ctx("setting pragmas")?;
        let reader = C1zReader {
            conn,
            path: path.to_path_buf(),
            _tmp: tmp,
        };
        reader.backfill_expansion()?;
        Ok(reader)
    }

    /// The file this reader opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves GrantExpandable out of grant data into the expansion column for syncs written without it (older SDKs
    /// and "option A" writers), as baton-sdk does on open, so every file reads the same way.
    fn backfill_expansion(&self) -> Result<(), C1zError> {
        let pending: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT sync_id FROM v1_sync_runs WHERE grants_backfilled = 0")
                .ctx("reading sync runs")?;
            stmt.query_map([], |r| r.get(0))
                .ctx("reading sync runs")?
                .collect::<Result<_, _>>()
                .ctx("reading sync runs")?
        };
        if pending.is_empty() {
            return Ok(());
        }
        let url = format!("{}{}.GrantExpandable", pb::TYPE_URL_PREFIX, pb::PACKAGE);
        self.conn.execute_batch("BEGIN").ctx("backfilling")?;
        for sync in &pending {
            let rows: Vec<(i64, String, Vec<u8>)> = {
                let mut stmt = self
                    .conn
                    .prepare("SELECT id, external_id, data FROM v1_grants WHERE sync_id = ?1 AND expansion IS NULL")
                    .ctx("backfilling")?;
                stmt.query_map([sync], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .ctx("backfilling")?
                    .collect::<Result<_, _>>()
                    .ctx("backfilling")?
            };
            for (rowid, id, data) in rows {
                // Cheap byte search first: decoding every grant of a large sync would dominate open time.
                if !contains(&data, url.as_bytes()) {
                    continue;
                }
                let mut grant: pb::Grant = decode("Grant", &id, &data)?;
                let exp =
                    pb::take::<pb::GrantExpandable>(&mut grant.annotations).and_then(Result::ok);
                let exp = exp.filter(|x| x.entitlement_ids.iter().any(|e| !e.trim().is_empty()));
                let needs = i64::from(exp.is_some());
                self.conn
                    .execute(
                        "UPDATE v1_grants SET data = ?1, expansion = ?2, needs_expansion = ?3 WHERE id = ?4",
                        params![grant.encode_to_vec(), exp.map(|e| e.encode_to_vec()), needs, rowid],
                    )
                    .ctx("backfilling")?;
            }
            self.conn
                .execute(
                    "UPDATE v1_sync_runs SET grants_backfilled = 1 WHERE sync_id = ?1",
                    [sync],
                )
                .ctx("backfilling")?;
        }
        self.conn.execute_batch("COMMIT").ctx("backfilling")?;
        Ok(())
    }

    /// Every sync run, oldest first.
    pub fn syncs(&self) -> Result<Vec<SyncInfo>, C1zError> {
        sync_runs::all(&self.conn)
    }

    /// Finished full syncs, newest first (baton's `ORDER BY ended_at DESC, sync_id DESC`).
    pub fn finished_full_syncs(&self) -> Result<Vec<SyncInfo>, C1zError> {
        sync_runs::finished_full(&self.conn)
    }

    /// The latest finished full sync, if any.
    pub fn latest_full_sync(&self) -> Result<Option<SyncInfo>, C1zError> {
        Ok(self.finished_full_syncs()?.into_iter().next())
    }

    /// The sync a reader sees: `explicit` if given (it must exist), else the latest finished full sync, else the
    /// newest unfinished sync.
    pub fn resolve_sync(&self, explicit: Option<&str>) -> Result<SyncInfo, C1zError> {
        if let Some(id) = explicit {
            return sync_runs::by_id(&self.conn, id)?.ok_or_else(|| C1zError::SyncNotFound {
                path: self.path.clone(),
                sync_id: id.to_string(),
            });
        }
        if let Some(s) = self.latest_full_sync()? {
            return Ok(s);
        }
        sync_runs::newest_unfinished(&self.conn)?.ok_or_else(|| C1zError::NoFinishedSync {
            path: self.path.clone(),
        })
    }

    /// Resource types of a sync.
    pub fn resource_types(&self, sync: &str) -> Result<Vec<pb::ResourceType>, C1zError> {
        rows::resource_types(&self.conn, sync)
    }

    /// One resource type.
    pub fn resource_type(
        &self,
        sync: &str,
        id: &str,
    ) -> Result<Option<pb::ResourceType>, C1zError> {
        rows::resource_type(&self.conn, sync, id)
    }

    /// Resources of a sync, optionally of one type.
    pub fn resources(
        &self,
        sync: &str,
        resource_type: Option<&str>,
    ) -> Result<Vec<pb::Resource>, C1zError> {
        rows::resources(&self.conn, sync, resource_type)
    }

    /// One resource.
    pub fn resource(
        &self,
        sync: &str,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<pb::Resource>, C1zError> {
        rows::resource(&self.conn, sync, resource_type, id)
    }

    /// Entitlements of a sync, optionally of one resource type and resource.
    pub fn entitlements(
        &self,
        sync: &str,
        resource_type: Option<&str>,
        resource: Option<&str>,
    ) -> Result<Vec<pb::Entitlement>, C1zError> {
        rows::entitlements(&self.conn, sync, resource_type, resource)
    }

    /// One entitlement.
    pub fn entitlement(&self, sync: &str, id: &str) -> Result<Option<pb::Entitlement>, C1zError> {
        rows::entitlement(&self.conn, sync, id)
    }

    /// Grants of a sync, optionally of one entitlement, or of one resource type and resource.
    pub fn grants(
        &self,
        sync: &str,
        entitlement: Option<&str>,
        resource_type: Option<&str>,
        resource: Option<&str>,
    ) -> Result<Vec<pb::Grant>, C1zError> {
        let filter = GrantFilter {
            entitlement,
            resource_type,
            resource,
            ..GrantFilter::default()
        };
        rows::grants(&self.conn, sync, filter)
    }

    /// Grants held by one principal.
    pub fn grants_for_principal(
        &self,
        sync: &str,
        principal_type: &str,
        principal: &str,
    ) -> Result<Vec<pb::Grant>, C1zError> {
        let filter = GrantFilter {
            principal_type: Some(principal_type),
            principal: Some(principal),
            ..GrantFilter::default()
        };
        rows::grants(&self.conn, sync, filter)
    }

    /// Row count of a table for a sync.
    pub fn count(&self, table: ObjectTable, sync: &str) -> Result<u64, C1zError> {
        rows::count(&self.conn, table, sync)
    }

    /// Row counts per resource type id (resources, entitlements, grants).
    pub fn count_by_type(
        &self,
        table: ObjectTable,
        sync: &str,
    ) -> Result<BTreeMap<String, u64>, C1zError> {
        rows::count_by_type(&self.conn, table, sync)
    }

    /// external_id → data bytes of every row of a table in a sync (for diffs).
    pub fn rows(
        &self,
        table: ObjectTable,
        sync: &str,
    ) -> Result<BTreeMap<String, Vec<u8>>, C1zError> {
        rows::raw_rows(&self.conn, table, sync)
    }

    /// The expansion column of a grant (None when NULL).
    pub fn grant_expansion(
        &self,
        sync: &str,
        grant_id: &str,
    ) -> Result<Option<pb::GrantExpandable>, C1zError> {
        rows::grant_expansion(&self.conn, sync, grant_id)
    }

    /// The underlying (temp copy) database, for ad-hoc queries.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
