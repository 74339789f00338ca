//! Pins the SQLite schema of a written file to the reference (tables, declared column types, indexes).

mod common;

use c1z::C1zReader;

/// (table, name, unique, columns, partial clause).
type IndexRow = (String, String, bool, Vec<String>, Option<String>);

fn columns(
    conn: &rusqlite::Connection,
    table: &str,
) -> Vec<(String, String, bool, Option<String>)> {
    let mut s = conn
        .prepare(&format!("PRAGMA table_info({table})"))
        .unwrap();
    s.query_map([], |r| {
        Ok((r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? == 1, r.get(4)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn col(
    name: &str,
    ty: &str,
    not_null: bool,
    default: Option<&str>,
) -> (String, String, bool, Option<String>) {
    (name.into(), ty.into(), not_null, default.map(String::from))
}

#[test]
fn schema_matches_reference() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.c1z");
    common::write_file(&path, &common::fixture());
    let r = C1zReader::open(&path).unwrap();
    // Compare the file's own schema: open the decompressed bytes directly, not the reader's upgraded copy.
    let bytes = std::fs::read(&path).unwrap();
    let db = dir.path().join("raw.db");
    std::fs::write(&db, zstd::decode_all(&bytes[5..]).unwrap()).unwrap();
    drop(r);
    let conn = rusqlite::Connection::open(&db).unwrap();

    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "v1_resource_types",
            "v1_resources",
            "v1_entitlements",
            "v1_sync_runs",
            "v1_grants",
            "v1_assets",
            "v1_connector_sessions"
        ]
    );
    let id = col("id", "INTEGER", false, None);
    let data = col("data", "BLOB", true, None);
    let sync = col("sync_id", "TEXT", true, None);
    let disc = col("discovered_at", "DATETIME", true, None);
    let t = |n: &str| col(n, "TEXT", true, None);
    assert_eq!(
        columns(&conn, "v1_resource_types"),
        vec![
            id.clone(),
            t("external_id"),
            data.clone(),
            sync.clone(),
            disc.clone()
        ]
    );
    assert_eq!(
        columns(&conn, "v1_resources"),
        vec![
            id.clone(),
            t("resource_type_id"),
            t("external_id"),
            col("parent_resource_type_id", "TEXT", false, None),
            col("parent_resource_id", "TEXT", false, None),
            data.clone(),
            sync.clone(),
            disc.clone()
        ]
    );
    assert_eq!(
        columns(&conn, "v1_entitlements"),
        vec![
            id.clone(),
            t("resource_type_id"),
            t("resource_id"),
            t("external_id"),
            data.clone(),
            sync.clone(),
            disc.clone()
        ]
    );
    assert_eq!(
        columns(&conn, "v1_sync_runs"),
        vec![
            id.clone(),
            sync.clone(),
            col("started_at", "DATETIME", true, None),
            col("ended_at", "DATETIME", false, None),
            t("sync_token"),
            col("sync_type", "TEXT", true, Some("'full'")),
            col("parent_sync_id", "TEXT", true, Some("''")),
            col("linked_sync_id", "TEXT", true, Some("''")),
            col("supports_diff", "INTEGER", true, Some("0")),
            col("grants_backfilled", "INTEGER", true, Some("0")),
            col("stats", "TEXT", false, None),
            col("ingest_invariant_generation", "TEXT", true, Some("''")),
            col("ingest_invariant_coverage", "TEXT", true, Some("''")),
            col("ingest_invariant_mode", "TEXT", true, Some("''")),
        ]
    );
    let mut grants = vec![
        id.clone(),
        t("resource_type_id"),
        t("resource_id"),
        t("entitlement_id"),
        t("principal_resource_type_id"),
        t("principal_resource_id"),
        t("external_id"),
        data.clone(),
        sync.clone(),
        disc.clone(),
    ];
    grants.push(col("expansion", "BLOB", false, None));
    grants.push(col("needs_expansion", "INTEGER", true, Some("0")));
    assert_eq!(columns(&conn, "v1_grants"), grants);
    assert_eq!(
        columns(&conn, "v1_assets"),
        vec![
            id.clone(),
            t("external_id"),
            t("content_type"),
            data.clone(),
            sync.clone(),
            disc.clone()
        ]
    );
    assert_eq!(
        columns(&conn, "v1_connector_sessions"),
        vec![id, sync, t("key"), col("value", "BLOB", true, None)]
    );

    // Indexes: (table, name, unique, columns, partial clause).
    let mut idx: Vec<IndexRow> = Vec::new();
    let mut s = conn
        .prepare("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
        .unwrap();
    let rows: Vec<(String, String, Option<String>)> = s
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (table, name, sql) in rows {
        let sql = sql.expect("no automatic indexes");
        let unique: bool = conn
            .query_row(
                &format!("SELECT \"unique\" FROM pragma_index_list('{table}') WHERE name = ?1"),
                [&name],
                |r| r.get(0),
            )
            .unwrap();
        let cols: Vec<String> = conn
            .prepare(&format!(
                "SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let partial = sql.split_once(" WHERE ").map(|(_, w)| w.trim().to_string());
        idx.push((table, name, unique, cols, partial));
    }
    let e = |t: &str, n: &str, u: bool, c: &[&str], p: Option<&str>| {
        (
            t.to_string(),
            n.to_string(),
            u,
            c.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            p.map(String::from),
        )
    };
    let mut expected = vec![
        e(
            "v1_resource_types",
            "idx_resource_types_external_sync_v1",
            true,
            &["external_id", "sync_id"],
            None,
        ),
        e(
            "v1_resources",
            "idx_resources_resource_type_id_v1",
            false,
            &["resource_type_id"],
            None,
        ),
        // Upstream's swapped names, reproduced on purpose.
        e(
            "v1_resources",
            "idx_resources_external_sync_v1",
            false,
            &["parent_resource_type_id", "parent_resource_id"],
            None,
        ),
        e(
            "v1_resources",
            "idx_resources_parent_resource_id_v1",
            true,
            &["external_id", "sync_id"],
            None,
        ),
        e(
            "v1_entitlements",
            "idx_entitlements_resource_id_v1",
            false,
            &["resource_type_id", "resource_id"],
            None,
        ),
        e(
            "v1_entitlements",
            "idx_entitlements_external_sync_v1",
            true,
            &["external_id", "sync_id"],
            None,
        ),
        e(
            "v1_sync_runs",
            "idx_sync_runs_sync_id_v1",
            true,
            &["sync_id"],
            None,
        ),
        e(
            "v1_grants",
            "idx_grants_resource_type_id_resource_id_v1",
            false,
            &["resource_type_id", "resource_id"],
            None,
        ),
        e(
            "v1_grants",
            "idx_grants_principal_id_v1",
            false,
            &["principal_resource_type_id", "principal_resource_id"],
            None,
        ),
        e(
            "v1_grants",
            "idx_grants_entitlement_id_principal_id_v1",
            false,
            &[
                "entitlement_id",
                "principal_resource_type_id",
                "principal_resource_id",
            ],
            None,
        ),
        e(
            "v1_grants",
            "idx_grants_external_sync_v1",
            true,
            &["external_id", "sync_id"],
            None,
        ),
        e(
            "v1_grants",
            "idx_grants_entitlement_sync_grant_v1",
            false,
            &["entitlement_id", "sync_id", "id"],
            None,
        ),
        e(
            "v1_grants",
            "idx_grants_sync_expansion_v1",
            false,
            &["sync_id"],
            Some("expansion IS NOT NULL"),
        ),
        e(
            "v1_grants",
            "idx_grants_sync_needs_expansion_v1",
            false,
            &["sync_id"],
            Some("needs_expansion = 1"),
        ),
        e(
            "v1_assets",
            "idx_assets_external_sync_v1",
            true,
            &["external_id", "sync_id"],
            None,
        ),
        e(
            "v1_connector_sessions",
            "idx_session_store_sync_key_v1",
            true,
            &["sync_id", "key"],
            None,
        ),
    ];
    expected.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(idx, expected);

    // Row rules: every row has sync_id and a Baton-layout discovered_at; the run is a finished full sync.
    let (started, ended, ty, diffable, backfilled): (String, String, String, i64, i64) = conn
        .query_row(
            "SELECT started_at, ended_at, sync_type, supports_diff, grants_backfilled FROM v1_sync_runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!((ty.as_str(), diffable, backfilled), ("full", 1, 1));
    for ts in [&started, &ended] {
        let c = c1z::timestamp::parse_civil(ts).unwrap();
        assert_eq!(
            &c1z::timestamp::format_civil(&c),
            ts,
            "layout with trimmed fraction"
        );
        assert!(!ts.contains('T') && !ts.ends_with('Z'));
    }
    assert!(ended >= started);
    let bad: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM v1_grants WHERE sync_id = '' OR length(discovered_at) < 19) + \
             (SELECT count(*) FROM v1_resources WHERE sync_id = '' OR length(discovered_at) < 19)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bad, 0);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_ne!(mode, "wal");
}
