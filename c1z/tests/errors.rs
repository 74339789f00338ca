//! Unreadable inputs give typed errors, never panics.

mod common;

use c1z::{C1zError, C1zReader};
use std::io::Write;

fn file_with(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.c1z");
    std::fs::write(&p, bytes).unwrap();
    (dir, p)
}

fn err(bytes: &[u8]) -> C1zError {
    let (_d, p) = file_with(bytes);
    match C1zReader::open(&p) {
        Ok(_) => panic!("opened an invalid file"),
        Err(e) => e,
    }
}

fn valid_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.c1z");
    common::write_file(&p, &common::fixture());
    std::fs::read(p).unwrap()
}

#[test]
fn empty_file() {
    assert!(matches!(err(b""), C1zError::EmptyFile { .. }));
}

#[test]
fn garbage() {
    let e = err(b"hello world, not a c1z");
    assert!(matches!(e, C1zError::NotC1z { .. }), "{e}");
    assert!(e.to_string().contains("not a .c1z"));
    assert!(matches!(err(b"C1"), C1zError::NotC1z { .. }));
}

#[test]
fn v3_magic() {
    let e = err(b"C1Z3\0\0\0\0\x10rest");
    assert!(matches!(e, C1zError::UnsupportedV3 { .. }));
    assert!(e.to_string().contains("--storage-engine sqlite"), "{e}");
}

#[test]
fn truncated() {
    let v = valid_bytes();
    for cut in [5, 8, v.len() / 2, v.len() - 1] {
        let e = err(&v[..cut]);
        assert!(
            matches!(e, C1zError::CorruptPayload { .. }),
            "cut at {cut}: {e}"
        );
    }
}

#[test]
fn corrupted_payload() {
    let mut v = valid_bytes();
    let mid = v.len() / 2;
    for b in &mut v[mid..mid + 16] {
        *b ^= 0x5a;
    }
    let e = err(&v);
    assert!(
        matches!(
            e,
            C1zError::CorruptPayload { .. } | C1zError::NotSqlite { .. }
        ),
        "{e}"
    );
}

fn c1z_of(payload: &[u8]) -> Vec<u8> {
    let mut out = b"C1ZF\0".to_vec();
    let mut enc = zstd::Encoder::new(Vec::new(), 3).unwrap();
    enc.write_all(payload).unwrap();
    out.extend(enc.finish().unwrap());
    out
}

#[test]
fn payload_not_sqlite() {
    let e = err(&c1z_of(&[7u8; 8192]));
    assert!(matches!(e, C1zError::NotSqlite { .. }), "{e}");
}

#[test]
fn sqlite_without_c1z_tables() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plain.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(conn);
    let e = err(&c1z_of(&std::fs::read(&db).unwrap()));
    match e {
        C1zError::MissingTables { missing, .. } => {
            assert!(missing.contains(&"v1_grants".to_string()))
        }
        other => panic!("{other}"),
    }
}

#[test]
fn missing_file() {
    let e = C1zReader::open(std::path::Path::new("/nonexistent/x.c1z"))
        .err()
        .unwrap();
    assert!(matches!(e, C1zError::Io { .. }));
}

#[test]
fn old_sdk_schema_is_readable() {
    // A v0.2-era file: 5-column sync runs, grants without expansion columns, GrantExpandable inside data.
    use c1z::pb::Annotation;
    use prost::Message;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE v1_resource_types (id INTEGER PRIMARY KEY, external_id TEXT NOT NULL, data BLOB NOT NULL, sync_id TEXT NOT NULL, discovered_at DATETIME NOT NULL);
         CREATE TABLE v1_resources (id INTEGER PRIMARY KEY, resource_type_id TEXT NOT NULL, external_id TEXT NOT NULL, parent_resource_type_id TEXT, parent_resource_id TEXT, data BLOB NOT NULL, sync_id TEXT NOT NULL, discovered_at DATETIME NOT NULL);
         CREATE TABLE v1_entitlements (id INTEGER PRIMARY KEY, resource_type_id TEXT NOT NULL, resource_id TEXT NOT NULL, external_id TEXT NOT NULL, data BLOB NOT NULL, sync_id TEXT NOT NULL, discovered_at DATETIME NOT NULL);
         CREATE TABLE v1_sync_runs (id INTEGER PRIMARY KEY, sync_id TEXT NOT NULL, started_at DATETIME NOT NULL, ended_at DATETIME, sync_token TEXT NOT NULL);
         CREATE TABLE v1_grants (id INTEGER PRIMARY KEY, resource_type_id TEXT NOT NULL, resource_id TEXT NOT NULL, entitlement_id TEXT NOT NULL, principal_resource_type_id TEXT NOT NULL, principal_resource_id TEXT NOT NULL, external_id TEXT NOT NULL, data BLOB NOT NULL, sync_id TEXT NOT NULL, discovered_at DATETIME NOT NULL);
         CREATE INDEX idx_grants_entitlement_id_v1 ON v1_grants (entitlement_id);
         INSERT INTO v1_sync_runs (sync_id, started_at, ended_at, sync_token) VALUES ('old1', '2024-01-01 10:00:00', '2024-01-01 10:05:00.5', '');",
    )
    .unwrap();
    let f = common::fixture();
    let g = &f.grants[2];
    assert!(c1z::pb::contains::<c1z::pb::GrantExpandable>(
        &g.annotations
    ));
    conn.execute(
        "INSERT INTO v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id, data, sync_id, discovered_at) VALUES ('workspace','ws1',?1,'user_group','ws1:devs',?2,?3,'old1','2024-01-01 10:01:00')",
        rusqlite::params![g.entitlement.as_ref().unwrap().id, g.id, g.encode_to_vec()],
    )
    .unwrap();
    drop(conn);
    let (_d, p) = file_with(&c1z_of(&std::fs::read(&db).unwrap()));
    let r = C1zReader::open(&p).unwrap();
    let s = r.resolve_sync(None).unwrap();
    assert_eq!((s.id.as_str(), s.sync_type.as_str()), ("old1", "full"));
    let grants = r.grants("old1", None, None, None).unwrap();
    assert!(
        grants[0].annotations.is_empty(),
        "GrantExpandable moved out of data on open"
    );
    let exp = r.grant_expansion("old1", &g.id).unwrap().unwrap();
    assert_eq!(
        exp.to_any().type_url,
        "type.googleapis.com/c1.connector.v2.GrantExpandable"
    );
    assert_eq!(
        exp.entitlement_ids,
        vec!["user_group:ws1:devs:member".to_string()]
    );
}
