//! Lookups of `v1_sync_runs`, shared by the reader and the editor: which syncs a file holds and
//! which one a reader sees.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{C1zError, SqlContext};

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

const COLUMNS: &str = "sync_id, started_at, ended_at, sync_type, parent_sync_id, sync_token, stats";

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

fn query(conn: &Connection, condition_and_order: &str) -> Result<Vec<SyncInfo>, C1zError> {
    let sql = format!("SELECT {COLUMNS} FROM v1_sync_runs {condition_and_order}");
    let mut stmt = conn.prepare(&sql).ctx("reading sync runs")?;
    stmt.query_map([], sync_row)
        .ctx("reading sync runs")?
        .collect::<Result<_, _>>()
        .ctx("reading sync runs")
}

/// Every sync run, oldest first.
pub(crate) fn all(conn: &Connection) -> Result<Vec<SyncInfo>, C1zError> {
    query(conn, "ORDER BY started_at, sync_id")
}

/// Finished full syncs, newest first (baton's `ORDER BY ended_at DESC, sync_id DESC`).
pub(crate) fn finished_full(conn: &Connection) -> Result<Vec<SyncInfo>, C1zError> {
    query(
        conn,
        "WHERE ended_at IS NOT NULL AND sync_type = 'full' ORDER BY ended_at DESC, sync_id DESC",
    )
}

/// The newest unfinished sync, of any type.
pub(crate) fn newest_unfinished(conn: &Connection) -> Result<Option<SyncInfo>, C1zError> {
    Ok(query(
        conn,
        "WHERE ended_at IS NULL ORDER BY started_at DESC, sync_id DESC LIMIT 1",
    )?
    .into_iter()
    .next())
}

/// The sync with id `id`, if the file holds it.
pub(crate) fn by_id(conn: &Connection, id: &str) -> Result<Option<SyncInfo>, C1zError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM v1_sync_runs WHERE sync_id = ?1"),
        [id],
        sync_row,
    )
    .optional()
    .ctx("reading sync runs")
}
