//! Reading .c1z files: checks the envelope, decompresses to a private temp copy (removed on drop), upgrades an older
//! SDK schema on that copy as baton-sdk does, and queries objects of a chosen sync.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use prost::Message;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::envelope;
use crate::error::{C1zError, SqlContext};
use crate::pb;
use crate::store::decode;

/// A read-only view of one .c1z file.
pub struct C1zReader {
    // Declared before `_tmp` so the connection closes before the temp dir is removed.
    conn: Connection,
    path: PathBuf,
    _tmp: tempfile::TempDir,
}

/// One row of `v1_sync_runs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncInfo {
    /// Sync id (KSUID).
    pub id: String,
    /// Local-time text.
    pub started_at: String,
    /// Local-time text; None while unfinished.
    pub ended_at: Option<String>,
    /// `full`, `partial`, ...
    pub sync_type: String,
    /// Parent sync for partial syncs.
    pub parent_sync_id: String,
    /// The state token.
    pub token: String,
    /// The stats JSON, if written.
    pub stats: Option<String>,
}

/// The object tables that diff compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectTable {
    /// `v1_resource_types`.
    ResourceTypes,
    /// `v1_resources`.
    Resources,
    /// `v1_entitlements`.
    Entitlements,
    /// `v1_grants`.
    Grants,
}

impl ObjectTable {
    fn name(self) -> &'static str {
        match self {
            ObjectTable::ResourceTypes => "v1_resource_types",
            ObjectTable::Resources => "v1_resources",
            ObjectTable::Entitlements => "v1_entitlements",
            ObjectTable::Grants => "v1_grants",
        }
    }
}

const SYNC_COLUMNS: &str =
    "sync_id, started_at, ended_at, sync_type, parent_sync_id, sync_token, stats";

fn sync_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SyncInfo> {
    Ok(SyncInfo {
        id: r.get(0)?,
        started_at: r.get(1)?,
        ended_at: r.get(2)?,
        sync_type: r.get(3)?,
        parent_sync_id: r.get(4)?,
        token: r.get(5)?,
        stats: r.get(6)?,
    })
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
        self.query_syncs(&format!(
            "SELECT {SYNC_COLUMNS} FROM v1_sync_runs ORDER BY started_at, sync_id"
        ))
    }

    /// Finished full syncs, newest first (baton's `ORDER BY ended_at DESC, sync_id DESC`).
    pub fn finished_full_syncs(&self) -> Result<Vec<SyncInfo>, C1zError> {
        self.query_syncs(&format!(
            "SELECT {SYNC_COLUMNS} FROM v1_sync_runs WHERE ended_at IS NOT NULL AND sync_type = 'full' \
             ORDER BY ended_at DESC, sync_id DESC"
        ))
    }

    fn query_syncs(&self, sql: &str) -> Result<Vec<SyncInfo>, C1zError> {
        let mut stmt = self.conn.prepare(sql).ctx("reading sync runs")?;
        stmt.query_map([], sync_row)
            .ctx("reading sync runs")?
            .collect::<Result<_, _>>()
            .ctx("reading sync runs")
    }

    /// The latest finished full sync, if any.
    pub fn latest_full_sync(&self) -> Result<Option<SyncInfo>, C1zError> {
        Ok(self.finished_full_syncs()?.into_iter().next())
    }

    /// The sync a reader sees: `explicit` if given (it must exist), else the latest finished full sync, else the
    /// newest unfinished sync.
    pub fn resolve_sync(&self, explicit: Option<&str>) -> Result<SyncInfo, C1zError> {
        if let Some(id) = explicit {
            return self
                .conn
                .query_row(
                    &format!("SELECT {SYNC_COLUMNS} FROM v1_sync_runs WHERE sync_id = ?1"),
                    [id],
                    sync_row,
                )
                .optional()
                .ctx("reading sync runs")?
                .ok_or_else(|| C1zError::SyncNotFound {
                    path: self.path.clone(),
                    sync_id: id.to_string(),
                });
        }
        if let Some(s) = self.latest_full_sync()? {
            return Ok(s);
        }
        self.query_syncs(&format!(
            "SELECT {SYNC_COLUMNS} FROM v1_sync_runs WHERE ended_at IS NULL ORDER BY started_at DESC, sync_id DESC \
             LIMIT 1"
        ))?
        .into_iter()
        .next()
        .ok_or_else(|| C1zError::NoFinishedSync { path: self.path.clone() })
    }

    fn list<M: Message + Default>(
        &self,
        kind: &'static str,
        sql: &str,
        args: Vec<SqlValue>,
    ) -> Result<Vec<M>, C1zError> {
        let ctx = format!("reading {kind}s");
        let mut stmt = self.conn.prepare(sql).ctx(&ctx)?;
        let rows = stmt
            .query_map(params_from_iter(args), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .ctx(&ctx)?;
        rows.map(|row| {
            let (id, data) = row.ctx(&ctx)?;
            decode(kind, &id, &data)
        })
        .collect()
    }

    fn filtered<M: Message + Default>(
        &self,
        kind: &'static str,
        table: &str,
        sync: &str,
        filters: &[(&str, Option<&str>)],
    ) -> Result<Vec<M>, C1zError> {
        let mut sql = format!("SELECT external_id, data FROM {table} WHERE sync_id = ?1");
        let mut args = vec![SqlValue::Text(sync.to_string())];
        for (col, val) in filters {
            if let Some(v) = val {
                args.push(SqlValue::Text(v.to_string()));
                sql.push_str(&format!(" AND {col} = ?{}", args.len()));
            }
        }
        sql.push_str(" ORDER BY id");
        self.list(kind, &sql, args)
    }

    /// Resource types of a sync.
    pub fn resource_types(&self, sync: &str) -> Result<Vec<pb::ResourceType>, C1zError> {
        self.filtered("ResourceType", "v1_resource_types", sync, &[])
    }

    /// One resource type.
    pub fn resource_type(
        &self,
        sync: &str,
        id: &str,
    ) -> Result<Option<pb::ResourceType>, C1zError> {
        Ok(self
            .filtered(
                "ResourceType",
                "v1_resource_types",
                sync,
                &[("external_id", Some(id))],
            )?
            .into_iter()
            .next())
    }

    /// Resources of a sync, optionally of one type.
    pub fn resources(
        &self,
        sync: &str,
        resource_type: Option<&str>,
    ) -> Result<Vec<pb::Resource>, C1zError> {
        self.filtered(
            "Resource",
            "v1_resources",
            sync,
            &[("resource_type_id", resource_type)],
        )
    }

    /// One resource.
    pub fn resource(
        &self,
        sync: &str,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<pb::Resource>, C1zError> {
        let key = pb::resource_key(resource_type, id);
        Ok(self
            .filtered(
                "Resource",
                "v1_resources",
                sync,
                &[("external_id", Some(&key))],
            )?
            .into_iter()
            .next())
    }

    /// Entitlements of a sync, optionally of one resource type and resource.
    pub fn entitlements(
        &self,
        sync: &str,
        resource_type: Option<&str>,
        resource: Option<&str>,
    ) -> Result<Vec<pb::Entitlement>, C1zError> {
        self.filtered(
            "Entitlement",
            "v1_entitlements",
            sync,
            &[
                ("resource_type_id", resource_type),
                ("resource_id", resource),
            ],
        )
    }

    /// One entitlement.
    pub fn entitlement(&self, sync: &str, id: &str) -> Result<Option<pb::Entitlement>, C1zError> {
        Ok(self
            .filtered(
                "Entitlement",
                "v1_entitlements",
                sync,
                &[("external_id", Some(id))],
            )?
            .into_iter()
            .next())
    }

    /// Grants of a sync, optionally of one entitlement, or of one resource type and resource.
    pub fn grants(
        &self,
        sync: &str,
        entitlement: Option<&str>,
        resource_type: Option<&str>,
        resource: Option<&str>,
    ) -> Result<Vec<pb::Grant>, C1zError> {
        self.filtered(
            "Grant",
            "v1_grants",
            sync,
            &[
                ("entitlement_id", entitlement),
                ("resource_type_id", resource_type),
                ("resource_id", resource),
            ],
        )
    }

    /// Grants held by one principal.
    pub fn grants_for_principal(
        &self,
        sync: &str,
        principal_type: &str,
        principal: &str,
    ) -> Result<Vec<pb::Grant>, C1zError> {
        self.filtered(
            "Grant",
            "v1_grants",
            sync,
            &[
                ("principal_resource_type_id", Some(principal_type)),
                ("principal_resource_id", Some(principal)),
            ],
        )
    }

    /// Row count of a table for a sync.
    pub fn count(&self, table: ObjectTable, sync: &str) -> Result<u64, C1zError> {
        let n: i64 = self
            .conn
            .query_row(
                &format!("SELECT count(*) FROM {} WHERE sync_id = ?1", table.name()),
                [sync],
                |r| r.get(0),
            )
            .ctx("counting")?;
        Ok(n as u64)
    }

    /// Row counts per resource type id (resources, entitlements, grants).
    pub fn count_by_type(
        &self,
        table: ObjectTable,
        sync: &str,
    ) -> Result<BTreeMap<String, u64>, C1zError> {
        let col = if table == ObjectTable::ResourceTypes {
            "external_id"
        } else {
            "resource_type_id"
        };
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {col}, count(*) FROM {} WHERE sync_id = ?1 GROUP BY {col}",
                table.name()
            ))
            .ctx("counting")?;
        stmt.query_map([sync], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })
        .ctx("counting")?
        .collect::<Result<_, _>>()
        .ctx("counting")
    }

    /// external_id → data bytes of every row of a table in a sync (for diffs).
    pub fn rows(
        &self,
        table: ObjectTable,
        sync: &str,
    ) -> Result<BTreeMap<String, Vec<u8>>, C1zError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT external_id, data FROM {} WHERE sync_id = ?1",
                table.name()
            ))
            .ctx("reading rows")?;
        stmt.query_map([sync], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("reading rows")?
            .collect::<Result<_, _>>()
            .ctx("reading rows")
    }

    /// The expansion column of a grant (None when NULL).
    pub fn grant_expansion(
        &self,
        sync: &str,
        grant_id: &str,
    ) -> Result<Option<pb::GrantExpandable>, C1zError> {
        let data: Option<Option<Vec<u8>>> = self
            .conn
            .query_row(
                "SELECT expansion FROM v1_grants WHERE external_id = ?1 AND sync_id = ?2",
                params![grant_id, sync],
                |r| r.get(0),
            )
            .optional()
            .ctx("reading a grant's expansion")?;
        data.flatten()
            .map(|d| decode("GrantExpandable", grant_id, &d))
            .transpose()
    }

    /// The underlying (temp copy) database, for ad-hoc queries.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
