//! The sync store: the writable SQLite database behind one output .c1z, used by the host's sync engine.
//!
//! Layout on disk while a sync runs: `<path>.in-progress` is a plain SQLite file (never something that looks like a
//! finished .c1z). Writes between checkpoints accumulate in one open transaction; `checkpoint` commits data and token
//! together, so a killed process resumes from the last checkpoint. `finish` compresses the database to `<path>.tmp`
//! and renames it over `<path>`.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use prost::Message;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{C1zError, SqlContext};
use crate::pb::{self, Annotation};
use crate::rows::{self, GrantFilter, decode};
use crate::{envelope, ksuid, schema, timestamp};

pub use crate::rows::SyncCounts;

/// How many finished full syncs `finish` keeps (baton-sdk's default for `BATON_KEEP_SYNC_COUNT`).
pub const KEEP_FULL_SYNCS: usize = 2;
/// Unfinished syncs older than this are not resumed (as baton-sdk).
const RESUME_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// SQLite page cache for the working db, in KiB. The indexes are built at the end, so writes mostly
/// append; 16 MiB kept a large sync as fast as 96 MiB did, 80 MiB lighter.
const CACHE_KIB: i64 = 16 * 1024;

/// A working SQLite db for one output file.
pub struct SyncStore {
    conn: Connection,
    path: PathBuf,
    work: PathBuf,
    sync_id: Option<String>,
    in_tx: bool,
    /// Whether the deferred grant indexes exist (see `schema::DEFERRED_GRANT_INDEXES`).
    indexes_ready: Cell<bool>,
}

/// The sync being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRun {
    /// KSUID of the sync.
    pub id: String,
    /// The engine's state token as last checkpointed ("" for a new sync).
    pub token: String,
    /// Whether an unfinished sync was resumed.
    pub resumed: bool,
}

/// `<path>.in-progress`: the working database of an unfinished sync.
pub fn in_progress_path(path: &Path) -> PathBuf {
    suffixed(path, ".in-progress")
}

/// `<path>.tmp`: where `finish` writes before renaming.
pub fn tmp_path(path: &Path) -> PathBuf {
    suffixed(path, ".tmp")
}

pub(crate) fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

const UPSERT_RESOURCE_TYPE: &str = "INSERT INTO v1_resource_types (external_id, data, sync_id, discovered_at) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (external_id, sync_id) DO UPDATE SET data = excluded.data";
const INSERT_RESOURCE: &str = "INSERT INTO v1_resources \
     (resource_type_id, external_id, parent_resource_type_id, parent_resource_id, data, sync_id, discovered_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
/// The conflict clause of `put_resources`: replace only when the new parent sorts first or equal
/// (no parent sorts before any parent).
const UPSERT_RESOURCE_FIRST_PARENT_WINS: &str = "ON CONFLICT (external_id, sync_id) DO UPDATE SET \
     data = excluded.data, parent_resource_type_id = excluded.parent_resource_type_id, \
     parent_resource_id = excluded.parent_resource_id \
     WHERE (coalesce(excluded.parent_resource_type_id, ''), coalesce(excluded.parent_resource_id, '')) \
     <= (coalesce(v1_resources.parent_resource_type_id, ''), coalesce(v1_resources.parent_resource_id, ''))";
const UPSERT_ENTITLEMENT: &str = "INSERT INTO v1_entitlements \
     (resource_type_id, resource_id, external_id, data, sync_id, discovered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
     ON CONFLICT (external_id, sync_id) DO UPDATE SET data = excluded.data";
const UPSERT_GRANT: &str = "INSERT INTO v1_grants (resource_type_id, resource_id, entitlement_id, \
     principal_resource_type_id, principal_resource_id, external_id, data, sync_id, discovered_at, expansion, \
     needs_expansion) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (external_id, sync_id) \
     DO UPDATE SET data = excluded.data, expansion = excluded.expansion, needs_expansion = excluded.needs_expansion";
const UPSERT_EXPANDED_GRANT: &str = "INSERT INTO v1_grants (resource_type_id, resource_id, entitlement_id, \
     principal_resource_type_id, principal_resource_id, external_id, data, sync_id, discovered_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (external_id, sync_id) DO UPDATE SET data = excluded.data";

impl SyncStore {
    /// Opens the working db for output `path`: `<path>.in-progress` (a plain SQLite file) if an interrupted sync left
    /// one, else a copy of the existing `path` c1z decompressed (so previous full syncs are kept), else a new empty db.
    pub fn open(path: &Path) -> Result<SyncStore, C1zError> {
        let work = in_progress_path(path);
        let has_work = std::fs::metadata(&work)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
        if !has_work {
            // A stale journal without its db would be applied to the new db: drop it.
            let _ = std::fs::remove_file(suffixed(&work, "-journal"));
            if std::fs::metadata(path)
                .map(|m| m.len() > 0)
                .unwrap_or(false)
            {
                // Decompress beside the target and rename, so a kill mid-copy never leaves a half `.in-progress`.
                let part = suffixed(path, ".in-progress.part");
                envelope::decompress_to(path, &part)?;
                std::fs::rename(&part, &work).map_err(|e| {
                    C1zError::io(format!("renaming {} to", part.display()), &work, e)
                })?;
            }
        }
        let conn = Connection::open(&work).ctx(&format!("opening {}", work.display()))?;
        // Larger pages: fewer B-tree levels and page splits for rows of ~1 KiB; only takes effect on a new db.
        conn.execute_batch("PRAGMA page_size = 16384")
            .ctx("setting page_size")?;
        let check: Result<i64, _> =
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0));
        if let Err(e) = check {
            return Err(C1zError::NotSqlite {
                path: work,
                detail: format!("{e}; delete this leftover working file to start a fresh sync"),
            });
        }
        // TRUNCATE (not WAL) keeps the main file complete after each commit; NORMAL is durable enough for a
        // rollback journal; EXCLUSIVE locking keeps a second writer out and saves a lock round trip per transaction.
        let _: String = conn
            .query_row("PRAGMA journal_mode = TRUNCATE", [], |r| r.get(0))
            .ctx("setting journal_mode")?;
        conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL; PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -{CACHE_KIB}; \
             PRAGMA temp_store = FILE;"
        ))
        .ctx("setting pragmas")?;
        schema::ensure(&conn)?;
        schema::drop_deferred_indexes(&conn)?;
        Ok(SyncStore {
            conn,
            path: path.to_path_buf(),
            work,
            sync_id: None,
            in_tx: false,
            indexes_ready: Cell::new(false),
        })
    }

    /// The output path given to `open`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The working SQLite file (`<path>.in-progress`).
    pub fn work_path(&self) -> &Path {
        &self.work
    }

    /// The id of the current sync, if one was started or resumed.
    pub fn sync_id(&self) -> Option<&str> {
        self.sync_id.as_deref()
    }

    /// Resumes the newest unfinished full sync (token as last checkpointed) or starts a new one (KSUID id, token "").
    pub fn start_or_resume(&mut self) -> Result<SyncRun, C1zError> {
        if self.in_tx {
            self.conn.execute_batch("COMMIT").ctx("committing")?;
            self.in_tx = false;
        }
        let cutoff = timestamp::format_local(SystemTime::now() - RESUME_WINDOW);
        let found: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT sync_id, sync_token FROM v1_sync_runs WHERE ended_at IS NULL AND sync_type = 'full' \
                 AND started_at >= ?1 ORDER BY started_at DESC, sync_id DESC LIMIT 1",
                [&cutoff],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ctx("looking for an unfinished sync")?;
        let run = match found {
            Some((id, token)) => SyncRun {
                id,
                token,
                resumed: true,
            },
            None => return self.start_new(),
        };
        self.sync_id = Some(run.id.clone());
        self.begin()?;
        Ok(run)
    }

    /// The state tokens of the newest unfinished full sync and of the newest finished full sync,
    /// where the file holds them: what a new run of the engine may carry on from (its own
    /// checkpoint first, else the sync before).
    pub fn latest_tokens(&self) -> Result<(Option<String>, Option<String>), C1zError> {
        let newest = |condition: &str| -> Result<Option<String>, C1zError> {
            self.conn
                .query_row(
                    &format!(
                        "SELECT sync_token FROM v1_sync_runs WHERE sync_type = 'full' AND {condition} \
                         ORDER BY started_at DESC, sync_id DESC LIMIT 1"
                    ),
                    [],
                    |r| r.get(0),
                )
                .optional()
                .ctx("reading sync tokens")
        };
        Ok((newest("ended_at IS NULL")?, newest("ended_at IS NOT NULL")?))
    }

    /// Starts a new full sync even if an unfinished one exists (for example one left by another tool,
    /// whose checkpoint cannot be resumed); `finish` drops the abandoned one.
    pub fn start_new(&mut self) -> Result<SyncRun, C1zError> {
        if self.in_tx {
            self.conn.execute_batch("ROLLBACK").ctx("rolling back")?;
            self.in_tx = false;
        }
        let id = ksuid::new_ksuid();
        self.conn
            .execute(
                "INSERT INTO v1_sync_runs (sync_id, started_at, sync_token, sync_type, parent_sync_id, \
                 grants_backfilled) VALUES (?1, ?2, '', 'full', '', 1)",
                params![id, timestamp::now_local()],
            )
            .ctx("starting a sync")?;
        let run = SyncRun {
            id,
            token: String::new(),
            resumed: false,
        };
        self.sync_id = Some(run.id.clone());
        self.begin()?;
        Ok(run)
    }

    fn begin(&mut self) -> Result<(), C1zError> {
        self.conn
            .execute_batch("BEGIN")
            .ctx("beginning a transaction")?;
        self.in_tx = true;
        Ok(())
    }

    /// Builds the deferred grant indexes once, before the first query that uses them.
    fn ensure_indexes(&self) -> Result<(), C1zError> {
        if !self.indexes_ready.get() {
            schema::create_deferred_indexes(&self.conn)?;
            self.indexes_ready.set(true);
        }
        Ok(())
    }

    fn current(&self) -> Result<String, C1zError> {
        self.sync_id.clone().ok_or(C1zError::NoSync)
    }

    /// Upserts resource types into the current sync.
    pub fn put_resource_types(&mut self, items: &[pb::ResourceType]) -> Result<(), C1zError> {
        let sync = self.current()?;
        let now = timestamp::now_local();
        let mut stmt = self
            .conn
            .prepare_cached(UPSERT_RESOURCE_TYPE)
            .ctx("preparing")?;
        for rt in items {
            if rt.id.is_empty() {
                return Err(invalid("ResourceType", &rt.display_name, "the id is empty"));
            }
            stmt.execute(params![rt.id, rt.encode_to_vec(), sync, now])
                .ctx("writing a resource type")?;
        }
        Ok(())
    }

    /// Upserts resources into the current sync. A resource listed under several parents (a user
    /// who belongs to several workspaces) keeps one: the listing whose parent sorts first (by type,
    /// then id) wins, its row and its data together, so the parent columns and the message's
    /// `parent_resource_id` always agree and the choice does not depend on the listing order.
    /// A listing under the same parent (a resumed sync listing a page again) replaces the row.
    pub fn put_resources(&mut self, items: &[pb::Resource]) -> Result<(), C1zError> {
        self.write_resources(items, UPSERT_RESOURCE_FIRST_PARENT_WINS)
    }

    /// Inserts resources not yet in the current sync (grant principals not otherwise listed); existing rows are kept.
    pub fn put_resources_if_absent(&mut self, items: &[pb::Resource]) -> Result<(), C1zError> {
        self.write_resources(items, "ON CONFLICT (external_id, sync_id) DO NOTHING")
    }

    fn write_resources(&mut self, items: &[pb::Resource], conflict: &str) -> Result<(), C1zError> {
        let sync = self.current()?;
        let now = timestamp::now_local();
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{INSERT_RESOURCE} {conflict}"))
            .ctx("preparing")?;
        let mut buf = Vec::with_capacity(512);
        for r in items {
            let id = resource_id(r, "Resource", &r.display_name)?;
            let parent = r.parent_resource_id.as_ref();
            buf.clear();
            r.encode(&mut buf).expect("Vec grows as needed");
            stmt.execute(params![
                id.resource_type,
                pb::resource_key(&id.resource_type, &id.resource),
                parent.map(|p| p.resource_type.as_str()),
                parent.map(|p| p.resource.as_str()),
                buf,
                sync,
                now
            ])
            .ctx("writing a resource")?;
        }
        Ok(())
    }

    /// Upserts entitlements into the current sync.
    pub fn put_entitlements(&mut self, items: &[pb::Entitlement]) -> Result<(), C1zError> {
        let sync = self.current()?;
        let now = timestamp::now_local();
        let mut stmt = self
            .conn
            .prepare_cached(UPSERT_ENTITLEMENT)
            .ctx("preparing")?;
        let mut buf = Vec::with_capacity(512);
        for e in items {
            if e.id.is_empty() {
                return Err(invalid("Entitlement", &e.display_name, "the id is empty"));
            }
            let res = e
                .resource
                .as_ref()
                .ok_or_else(|| invalid("Entitlement", &e.id, "it has no resource"))?;
            let rid = resource_id(res, "Entitlement", &e.id)?;
            buf.clear();
            e.encode(&mut buf).expect("Vec grows as needed");
            stmt.execute(params![
                rid.resource_type,
                rid.resource,
                e.id,
                buf,
                sync,
                now
            ])
            .ctx("writing an entitlement")?;
        }
        Ok(())
    }

    /// Upsert; a GrantExpandable annotation is moved into the `expansion` column with needs_expansion=1 (SDK behaviour,
    /// grants_backfilled=1).
    pub fn put_grants(&mut self, items: &[pb::Grant]) -> Result<(), C1zError> {
        let sync = self.current()?;
        write_grants(&self.conn, &sync, items)
    }

    /// Upsert of expanded/merged grants: replaces `data` only, leaves expansion columns of existing rows untouched
    /// (NULL/0 for new rows).
    pub fn put_expanded_grants(&mut self, items: &[pb::Grant]) -> Result<(), C1zError> {
        let sync = self.current()?;
        let now = timestamp::now_local();
        let mut stmt = self
            .conn
            .prepare_cached(UPSERT_EXPANDED_GRANT)
            .ctx("preparing")?;
        let mut buf = Vec::with_capacity(512);
        for g in items {
            let cols = GrantColumns::of(g)?;
            buf.clear();
            g.encode(&mut buf).expect("Vec grows as needed");
            stmt.execute(params![
                cols.resource_type,
                cols.resource,
                cols.entitlement,
                cols.principal_type,
                cols.principal,
                g.id,
                buf,
                sync,
                now
            ])
            .ctx("writing an expanded grant")?;
        }
        Ok(())
    }

    /// Resource types of the current sync, in insertion order.
    pub fn resource_types(&self) -> Result<Vec<pb::ResourceType>, C1zError> {
        rows::resource_types(&self.conn, &self.current()?)
    }

    /// Resources of the current sync in rowid order, starting at rowid `from`; returns the rowid to continue from
    /// (None at the end).
    pub fn resources_page(
        &self,
        from: i64,
        limit: usize,
    ) -> Result<(Vec<pb::Resource>, Option<i64>), C1zError> {
        rows::resources_page(&self.conn, &self.current()?, from, limit)
    }

    /// One resource of the current sync.
    pub fn resource(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<pb::Resource>, C1zError> {
        rows::resource(&self.conn, &self.current()?, resource_type, id)
    }

    /// One entitlement of the current sync.
    pub fn entitlement(&self, id: &str) -> Result<Option<pb::Entitlement>, C1zError> {
        rows::entitlement(&self.conn, &self.current()?, id)
    }

    /// One grant of the current sync.
    pub fn grant(&self, id: &str) -> Result<Option<pb::Grant>, C1zError> {
        rows::grant(&self.conn, &self.current()?, id)
    }

    /// Grants of an entitlement in the current sync, in insertion order.
    pub fn grants_for_entitlement(&self, entitlement_id: &str) -> Result<Vec<pb::Grant>, C1zError> {
        let sync = self.current()?;
        self.ensure_indexes()?;
        let filter = GrantFilter {
            entitlement: Some(entitlement_id),
            ..GrantFilter::default()
        };
        rows::grants(&self.conn, &sync, filter)
    }

    /// Every grant of the current sync with needs_expansion=1, with its GrantExpandable.
    pub fn expandable_grants(&self) -> Result<Vec<(pb::Grant, pb::GrantExpandable)>, C1zError> {
        let sync = self.current()?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT external_id, data, expansion FROM v1_grants WHERE sync_id = ?1 AND needs_expansion = 1 \
                 ORDER BY id",
            )
            .ctx("preparing")?;
        let rows = stmt
            .query_map([&sync], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                ))
            })
            .ctx("reading expandable grants")?;
        rows.map(|row| {
            let (id, data, exp) = row.ctx("reading expandable grants")?;
            let grant: pb::Grant = decode("Grant", &id, &data)?;
            let exp: pb::GrantExpandable =
                decode("GrantExpandable", &id, exp.as_deref().unwrap_or_default())?;
            Ok((grant, exp))
        })
        .collect()
    }

    /// Marks the current sync's expandable grants as expanded (`needs_expansion = 0`), as the
    /// SDK leaves them once its expander has run; their `expansion` column is kept.
    pub fn mark_expanded(&mut self) -> Result<usize, C1zError> {
        let sync = self.current()?;
        self.conn
            .execute(
                "UPDATE v1_grants SET needs_expansion = 0 WHERE sync_id = ?1 AND needs_expansion = 1",
                [&sync],
            )
            .ctx("marking grants expanded")
    }

    /// Resource types, resources, entitlements and grants of the current sync.
    pub fn counts(&self) -> Result<SyncCounts, C1zError> {
        rows::counts(&self.conn, &self.current()?)
    }

    /// The working database's size in bytes, written pages and those still in the open
    /// transaction's cache alike (SQLite's page count times its page size), so it shows growth
    /// before a commit reaches the disk.
    pub fn size_bytes(&self) -> Result<u64, C1zError> {
        let (pages, page_size): (i64, i64) = self
            .conn
            .query_row(
                "SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ctx("reading the database size")?;
        Ok((pages.max(0) as u64).saturating_mul(page_size.max(0) as u64))
    }

    /// Abandons the sync: rolls back what was not checkpointed, closes the database and removes
    /// the working file and its journal, leaving the output file as it was. For a sync that must
    /// not be resumed (one stopped at a limit would only run into it again).
    pub fn discard(self) -> Result<(), C1zError> {
        let SyncStore { conn, work, .. } = self;
        // Closing rolls back the open transaction; the file goes either way.
        let _ = conn.close();
        for file in [suffixed(&work, "-journal"), work] {
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(C1zError::io("removing", &file, e)),
            }
        }
        Ok(())
    }

    /// Stores the engine's state token and commits everything written so far durably (data and token in one
    /// transaction).
    pub fn checkpoint(&mut self, token: &str) -> Result<(), C1zError> {
        let sync = self.current()?;
        self.conn
            .execute(
                "UPDATE v1_sync_runs SET sync_token = ?1 WHERE sync_id = ?2",
                params![token, sync],
            )
            .ctx("checkpointing the sync token")?;
        self.conn
            .execute_batch("COMMIT")
            .ctx("committing a checkpoint")?;
        self.in_tx = false;
        self.begin()
    }

    /// Ends the sync: ended_at, stats JSON, supports_diff=1, cleanup keeping the newest 2 finished full syncs (and
    /// dropping stale unfinished ones), VACUUM, then writes `C1ZF\0` + one zstd frame (with content size and checksum)
    /// to `<path>.tmp`, fsyncs, renames over `path`, removes `<path>.in-progress`. Returns the final path.
    pub fn finish(mut self) -> Result<PathBuf, C1zError> {
        let sync = self.current()?;
        let stats = rows::stats_json(&self.conn, &sync)?;
        self.conn
            .execute(
                "UPDATE v1_sync_runs SET ended_at = ?1, stats = ?2, supports_diff = 1 WHERE sync_id = ?3 \
                 AND ended_at IS NULL",
                params![timestamp::now_local(), stats, sync],
            )
            .ctx("ending the sync")?;
        self.cleanup()?;
        self.ensure_indexes()?;
        self.conn
            .execute_batch("COMMIT")
            .ctx("committing the finished sync")?;
        self.in_tx = false;
        let free: i64 = self
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .ctx("reading freelist")?;
        if free > 0 {
            // Only worth it when cleanup freed pages: on a db without free pages VACUUM just rewrites it, which for a
            // first sync of a million grants costs seconds for no size gain.
            self.conn.execute_batch("VACUUM").ctx("vacuuming")?;
        }
        let SyncStore {
            conn, path, work, ..
        } = self;
        conn.close().map_err(|(_, e)| C1zError::Sqlite {
            context: "closing the working db".into(),
            cause: e,
        })?;
        envelope::write_c1z(&work, &tmp_path(&path), &path)?;
        std::fs::remove_file(&work).map_err(|e| C1zError::io("removing", &work, e))?;
        let _ = std::fs::remove_file(suffixed(&work, "-journal"));
        Ok(path)
    }

    /// Deletes all but the newest `KEEP_FULL_SYNCS` finished full syncs, every unfinished sync, and finished syncs of
    /// other types older than the oldest kept full sync.
    fn cleanup(&mut self) -> Result<(), C1zError> {
        let runs: Vec<(String, Option<String>, String, String)> = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT sync_id, ended_at, sync_type, started_at FROM v1_sync_runs \
                     ORDER BY ended_at DESC, sync_id DESC",
                )
                .ctx("listing syncs")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .ctx("listing syncs")?
                .collect::<Result<_, _>>()
                .ctx("listing syncs")?
        };
        let full: Vec<&(String, Option<String>, String, String)> = runs
            .iter()
            .filter(|r| r.1.is_some() && r.2 == "full")
            .collect();
        let oldest_kept_start = full.iter().take(KEEP_FULL_SYNCS).map(|r| r.3.clone()).min();
        let mut doomed: Vec<&str> = full
            .iter()
            .skip(KEEP_FULL_SYNCS)
            .map(|r| r.0.as_str())
            .collect();
        for r in &runs {
            let stale_other = r.1.is_some()
                && r.2 != "full"
                && oldest_kept_start
                    .as_deref()
                    .is_some_and(|oldest| r.3.as_str() < oldest);
            if r.1.is_none() || stale_other {
                doomed.push(&r.0);
            }
        }
        for id in doomed {
            for table in schema::TABLES {
                self.conn
                    .execute(&format!("DELETE FROM {table} WHERE sync_id = ?1"), [id])
                    .ctx(&format!("deleting sync {id} from {table}"))?;
            }
        }
        Ok(())
    }
}

/// Upserts grants into `sync`; a GrantExpandable annotation is moved into the `expansion` column.
pub(crate) fn write_grants(
    conn: &Connection,
    sync: &str,
    items: &[pb::Grant],
) -> Result<(), C1zError> {
    let now = timestamp::now_local();
    let mut stmt = conn.prepare_cached(UPSERT_GRANT).ctx("preparing")?;
    let mut buf = Vec::with_capacity(512);
    let expandable_url = pb::GrantExpandable::type_url();
    for g in items {
        let cols = GrantColumns::of(g)?;
        buf.clear();
        let mut expansion: Option<Vec<u8>> = None;
        if g.annotations.iter().any(|a| a.type_url == expandable_url) {
            // Clone only the rare grants that carry the annotation: the hot path encodes in place.
            let mut stripped = g.clone();
            let exp = pb::take::<pb::GrantExpandable>(&mut stripped.annotations)
                .transpose()
                .map_err(|e| {
                    invalid(
                        "Grant",
                        &g.id,
                        &format!("its GrantExpandable does not decode: {e}"),
                    )
                })?;
            if let Some(exp) =
                exp.filter(|x| x.entitlement_ids.iter().any(|id| !id.trim().is_empty()))
            {
                expansion = Some(exp.encode_to_vec());
            }
            stripped.encode(&mut buf).expect("Vec grows as needed");
        } else {
            g.encode(&mut buf).expect("Vec grows as needed");
        }
        let needs = i64::from(expansion.is_some());
        stmt.execute(params![
            cols.resource_type,
            cols.resource,
            cols.entitlement,
            cols.principal_type,
            cols.principal,
            g.id,
            buf,
            sync,
            now,
            expansion,
            needs
        ])
        .ctx("writing a grant")?;
    }
    Ok(())
}

struct GrantColumns<'a> {
    resource_type: &'a str,
    resource: &'a str,
    entitlement: &'a str,
    principal_type: &'a str,
    principal: &'a str,
}

impl<'a> GrantColumns<'a> {
    fn of(g: &'a pb::Grant) -> Result<Self, C1zError> {
        if g.id.is_empty() {
            return Err(invalid("Grant", "", "the id is empty"));
        }
        let ent = g
            .entitlement
            .as_ref()
            .ok_or_else(|| invalid("Grant", &g.id, "it has no entitlement"))?;
        if ent.id.is_empty() {
            return Err(invalid("Grant", &g.id, "its entitlement has an empty id"));
        }
        let res = ent
            .resource
            .as_ref()
            .ok_or_else(|| invalid("Grant", &g.id, "its entitlement has no resource"))?;
        let rid = resource_id(res, "Grant", &g.id)?;
        let principal = g
            .principal
            .as_ref()
            .ok_or_else(|| invalid("Grant", &g.id, "it has no principal"))?;
        let pid = resource_id(principal, "Grant", &g.id)?;
        Ok(GrantColumns {
            resource_type: &rid.resource_type,
            resource: &rid.resource,
            entitlement: &ent.id,
            principal_type: &pid.resource_type,
            principal: &pid.resource,
        })
    }
}

fn resource_id<'a>(
    r: &'a pb::Resource,
    kind: &'static str,
    owner: &str,
) -> Result<&'a pb::ResourceId, C1zError> {
    match r.id.as_ref() {
        Some(id) if !id.resource_type.is_empty() && !id.resource.is_empty() => Ok(id),
        _ => Err(invalid(
            kind,
            owner,
            "a resource lacks its id (resource_type and resource must be set)",
        )),
    }
}

fn invalid(kind: &'static str, id: &str, reason: &str) -> C1zError {
    C1zError::InvalidObject {
        kind,
        id: id.to_string(),
        reason: reason.to_string(),
    }
}
