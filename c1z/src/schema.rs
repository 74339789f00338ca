//! The v1 SQLite schema (baton-sdk engine version "1"), including every migration-added column and the exact index
//! names — with upstream's swapped resource index names, so `sqlite_master` matches files the SDK writes.

use rusqlite::Connection;

use crate::error::{C1zError, SqlContext};

/// Table names in upstream creation order.
pub const TABLES: [&str; 7] = [
    "v1_resource_types",
    "v1_resources",
    "v1_entitlements",
    "v1_sync_runs",
    "v1_grants",
    "v1_assets",
    "v1_connector_sessions",
];

/// Tables a file must already have to count as a c1z (older SDKs lack assets and sessions).
pub const REQUIRED_TABLES: [&str; 5] = [
    "v1_resource_types",
    "v1_resources",
    "v1_entitlements",
    "v1_sync_runs",
    "v1_grants",
];

const CREATE: &str = r#"
CREATE TABLE IF NOT EXISTS v1_resource_types (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL,
    data BLOB NOT NULL,
    sync_id TEXT NOT NULL,
    discovered_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_resource_types_external_sync_v1 ON v1_resource_types (external_id, sync_id);

CREATE TABLE IF NOT EXISTS v1_resources (
    id INTEGER PRIMARY KEY,
    resource_type_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    parent_resource_type_id TEXT,
    parent_resource_id TEXT,
    data BLOB NOT NULL,
    sync_id TEXT NOT NULL,
    discovered_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_resources_resource_type_id_v1 ON v1_resources (resource_type_id);
CREATE INDEX IF NOT EXISTS idx_resources_external_sync_v1 ON v1_resources (parent_resource_type_id, parent_resource_id);
CREATE UNIQUE INDEX IF NOT EXISTS idx_resources_parent_resource_id_v1 ON v1_resources (external_id, sync_id);

CREATE TABLE IF NOT EXISTS v1_entitlements (
    id INTEGER PRIMARY KEY,
    resource_type_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    data BLOB NOT NULL,
    sync_id TEXT NOT NULL,
    discovered_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_entitlements_resource_id_v1 ON v1_entitlements (resource_type_id, resource_id);
CREATE UNIQUE INDEX IF NOT EXISTS idx_entitlements_external_sync_v1 ON v1_entitlements (external_id, sync_id);

CREATE TABLE IF NOT EXISTS v1_sync_runs (
    id INTEGER PRIMARY KEY,
    sync_id TEXT NOT NULL,
    started_at DATETIME NOT NULL,
    ended_at DATETIME,
    sync_token TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_sync_runs_sync_id_v1 ON v1_sync_runs (sync_id);

CREATE TABLE IF NOT EXISTS v1_grants (
    id INTEGER PRIMARY KEY,
    resource_type_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    entitlement_id TEXT NOT NULL,
    principal_resource_type_id TEXT NOT NULL,
    principal_resource_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    data BLOB NOT NULL,
    sync_id TEXT NOT NULL,
    discovered_at DATETIME NOT NULL
);

CREATE TABLE IF NOT EXISTS v1_assets (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    sync_id TEXT NOT NULL,
    discovered_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_assets_external_sync_v1 ON v1_assets (external_id, sync_id);

CREATE TABLE IF NOT EXISTS v1_connector_sessions (
    id INTEGER PRIMARY KEY,
    sync_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_session_store_sync_key_v1 ON v1_connector_sessions (sync_id, key);
"#;

/// Columns added by upstream migrations, in upstream order: (table, column, declaration).
const MIGRATED_COLUMNS: &[(&str, &str, &str)] = &[
    ("v1_sync_runs", "sync_type", "TEXT NOT NULL DEFAULT 'full'"),
    ("v1_sync_runs", "parent_sync_id", "TEXT NOT NULL DEFAULT ''"),
    ("v1_sync_runs", "linked_sync_id", "TEXT NOT NULL DEFAULT ''"),
    (
        "v1_sync_runs",
        "supports_diff",
        "INTEGER NOT NULL DEFAULT 0",
    ),
    (
        "v1_sync_runs",
        "grants_backfilled",
        "INTEGER NOT NULL DEFAULT 0",
    ),
    ("v1_sync_runs", "stats", "TEXT"),
    (
        "v1_sync_runs",
        "ingest_invariant_generation",
        "TEXT NOT NULL DEFAULT ''",
    ),
    (
        "v1_sync_runs",
        "ingest_invariant_coverage",
        "TEXT NOT NULL DEFAULT ''",
    ),
    (
        "v1_sync_runs",
        "ingest_invariant_mode",
        "TEXT NOT NULL DEFAULT ''",
    ),
    ("v1_grants", "expansion", "BLOB"),
    ("v1_grants", "needs_expansion", "INTEGER NOT NULL DEFAULT 0"),
];

/// Grant indexes the writer needs while a sync runs (upsert key, pending expansions); created after the migrations
/// because one is partial on a migrated column.
const GRANT_INDEXES: &str = r#"
CREATE UNIQUE INDEX IF NOT EXISTS idx_grants_external_sync_v1 ON v1_grants (external_id, sync_id);
CREATE INDEX IF NOT EXISTS idx_grants_sync_needs_expansion_v1 ON v1_grants (sync_id) WHERE needs_expansion = 1;
"#;

/// The other grant indexes, in upstream order: (name, definition). The writer drops them while grants stream in
/// and rebuilds them in one sorted pass before the first query that needs them (or at finish): maintaining five
/// B-trees of long random text keys row by row made inserts several times slower.
pub const DEFERRED_GRANT_INDEXES: [(&str, &str); 5] = [
    (
        "idx_grants_resource_type_id_resource_id_v1",
        "v1_grants (resource_type_id, resource_id)",
    ),
    (
        "idx_grants_principal_id_v1",
        "v1_grants (principal_resource_type_id, principal_resource_id)",
    ),
    (
        "idx_grants_entitlement_id_principal_id_v1",
        "v1_grants (entitlement_id, principal_resource_type_id, principal_resource_id)",
    ),
    (
        "idx_grants_entitlement_sync_grant_v1",
        "v1_grants (entitlement_id, sync_id, id)",
    ),
    (
        "idx_grants_sync_expansion_v1",
        "v1_grants (sync_id) WHERE expansion IS NOT NULL",
    ),
];

/// Creates the deferred grant indexes that are missing.
pub fn create_deferred_indexes(conn: &Connection) -> Result<(), C1zError> {
    for (name, def) in DEFERRED_GRANT_INDEXES {
        conn.execute_batch(&format!("CREATE INDEX IF NOT EXISTS {name} ON {def}"))
            .ctx(&format!("creating index {name}"))?;
    }
    Ok(())
}

/// Drops the deferred grant indexes (the writer rebuilds them later).
pub fn drop_deferred_indexes(conn: &Connection) -> Result<(), C1zError> {
    for (name, _) in DEFERRED_GRANT_INDEXES {
        conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))
            .ctx(&format!("dropping index {name}"))?;
    }
    Ok(())
}

/// Creates missing tables, columns and indexes (an older, smaller schema is upgraded in place, as the SDK does).
pub fn ensure(conn: &Connection) -> Result<(), C1zError> {
    conn.execute_batch(CREATE).ctx("creating the c1z tables")?;
    for (table, column, decl) in MIGRATED_COLUMNS {
        if !has_column(conn, table, column)? {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))
                .ctx(&format!("adding column {table}.{column}"))?;
        }
    }
    conn.execute_batch(GRANT_INDEXES)
        .ctx("creating the grant indexes")?;
    Ok(())
}

/// Whether `table` has `column`.
pub fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool, C1zError> {
    let mut stmt = conn
        .prepare(&format!("PRAGMA table_info({table})"))
        .ctx("reading the schema")?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(1))
        .ctx("reading the schema")?
        .collect::<Result<Vec<_>, _>>()
        .ctx("reading the schema")?;
    Ok(names.iter().any(|n| n == column))
}

/// The tables of `REQUIRED_TABLES` missing from the database.
pub fn missing_tables(conn: &Connection) -> Result<Vec<String>, rusqlite::Error> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    let present = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(REQUIRED_TABLES
        .iter()
        .filter(|t| !present.iter().any(|p| p == *t))
        .map(|t| t.to_string())
        .collect())
}
