//! Writer behaviour: round trips, expansion column, resume, finish and cleanup.

mod common;

use c1z::pb::{self, Annotation};
use c1z::{C1zReader, SyncStore};
use common::*;
use prost::Message;

#[test]
fn round_trip_every_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.c1z");
    let f = fixture();
    let id = write_file(&path, &f);
    let r = C1zReader::open(&path).unwrap();
    let s = r.resolve_sync(None).unwrap();
    assert_eq!(s.id, id);
    assert_eq!(s.sync_type, "full");
    assert!(s.ended_at.is_some());
    assert_eq!(r.resource_types(&id).unwrap(), f.types);
    assert_eq!(r.resources(&id, None).unwrap(), f.resources);
    assert_eq!(r.entitlements(&id, None, None).unwrap(), f.entitlements);
    let grants = r.grants(&id, None, None, None).unwrap();
    assert_eq!(grants[..2], f.grants[..2]);
    // The third grant had its GrantExpandable moved out of the blob.
    let mut expected = f.grants[2].clone();
    expected.annotations.clear();
    assert_eq!(grants[2], expected);
    let alice = r.resource(&id, "user", "alice").unwrap().unwrap();
    let t: pb::UserTrait = pb::pick(&alice.annotations).unwrap();
    assert_eq!(t.login, "alice");
    assert_eq!(t.emails[0].address, "alice@example.com");
    let stats: serde_json::Value = serde_json::from_str(s.stats.as_deref().unwrap()).unwrap();
    assert_eq!(stats["grants"], 3);
    assert_eq!(stats["resources_by_resource_type"]["user"], 2);
}

#[test]
fn grant_expandable_moves_to_expansion_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.c1z");
    let f = fixture();
    let mut store = SyncStore::open(&path).unwrap();
    store.start_or_resume().unwrap();
    write_fixture(&mut store, &f);
    let exp = store.expandable_grants().unwrap();
    assert_eq!(exp.len(), 1);
    assert_eq!(exp[0].0.id, f.grants[2].id);
    assert!(exp[0].0.annotations.is_empty());
    assert_eq!(
        exp[0].1.entitlement_ids,
        vec!["user_group:ws1:devs:member".to_string()]
    );
    // Expanded upsert replaces data but keeps the expansion columns.
    let mut merged = exp[0].0.clone();
    merged.sources = Some(pb::GrantSources {
        sources: [("x".to_string(), pb::GrantSource { is_direct: true })]
            .into_iter()
            .collect(),
    });
    store.put_expanded_grants(&[merged.clone()]).unwrap();
    assert_eq!(store.grant(&merged.id).unwrap().unwrap(), merged);
    assert_eq!(store.expandable_grants().unwrap().len(), 1);
    let path = store.finish().unwrap();
    let r = C1zReader::open(&path).unwrap();
    let sync = r.resolve_sync(None).unwrap().id;
    let e = r.grant_expansion(&sync, &f.grants[2].id).unwrap().unwrap();
    assert_eq!(e.entitlement_ids.len(), 1);
    assert!(r.grant_expansion(&sync, &f.grants[0].id).unwrap().is_none());
    let needs: i64 = r
        .connection()
        .query_row(
            "SELECT grants_backfilled FROM v1_sync_runs WHERE sync_id = ?1",
            [&sync],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(needs, 1);
}

#[test]
fn blank_grant_expandable_is_dropped_without_expansion() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SyncStore::open(&dir.path().join("o.c1z")).unwrap();
    store.start_or_resume().unwrap();
    let f = fixture();
    let mut g = f.grants[0].clone();
    g.annotations.push(
        pb::GrantExpandable {
            entitlement_ids: vec!["  ".into()],
            ..Default::default()
        }
        .to_any(),
    );
    store.put_grants(&[g.clone()]).unwrap();
    assert!(store.expandable_grants().unwrap().is_empty());
    assert!(store.grant(&g.id).unwrap().unwrap().annotations.is_empty());
}

#[test]
fn store_reads_current_sync() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SyncStore::open(&dir.path().join("o.c1z")).unwrap();
    assert!(matches!(
        store.put_resources(&[]),
        Err(c1z::C1zError::NoSync)
    ));
    store.start_or_resume().unwrap();
    let f = fixture();
    write_fixture(&mut store, &f);
    assert_eq!(store.resource_types().unwrap(), f.types);
    let (p1, next) = store.resources_page(0, 3).unwrap();
    assert_eq!(p1, f.resources[..3]);
    let (p2, end) = store.resources_page(next.unwrap(), 3).unwrap();
    assert_eq!(p2, f.resources[3..]);
    assert_eq!(end, None);
    assert_eq!(
        store.entitlement(&f.entitlements[0].id).unwrap().unwrap(),
        f.entitlements[0]
    );
    assert_eq!(
        store.grants_for_entitlement(&f.entitlements[1].id).unwrap(),
        vec![f.grants[1].clone()]
    );
    let c = store.counts().unwrap();
    assert_eq!(
        (c.resource_types, c.resources, c.entitlements, c.grants),
        (3, 4, 2, 3)
    );
    // put_resources_if_absent keeps the existing row; put_resources replaces it.
    let mut alice = f.resources[2].clone();
    alice.display_name = "Changed".into();
    store.put_resources_if_absent(&[alice.clone()]).unwrap();
    assert_eq!(
        store
            .resource("user", "alice")
            .unwrap()
            .unwrap()
            .display_name,
        "Alice"
    );
    store.put_resources(&[alice]).unwrap();
    assert_eq!(
        store
            .resource("user", "alice")
            .unwrap()
            .unwrap()
            .display_name,
        "Changed"
    );
    assert_eq!(store.counts().unwrap().resources, 4);
    // Invalid input gives a typed error.
    let bad = pb::Grant {
        id: "x".into(),
        ..Default::default()
    };
    let err = store.put_grants(&[bad]).unwrap_err();
    assert!(err.to_string().contains("no entitlement"), "{err}");
}

#[test]
fn kill_and_resume_from_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.c1z");
    let f = fixture();
    let first = {
        let mut store = SyncStore::open(&path).unwrap();
        let run = store.start_or_resume().unwrap();
        assert!(!run.resumed);
        assert_eq!(run.token, "");
        store.put_resource_types(&f.types).unwrap();
        store.put_resources(&f.resources).unwrap();
        store
            .checkpoint(r#"{"version":1,"step":"resources"}"#)
            .unwrap();
        // Written after the checkpoint: lost on a kill.
        store.put_entitlements(&f.entitlements).unwrap();
        run.id
        // Dropped without finish, like a SIGKILL after the checkpoint.
    };
    assert!(
        !path.exists(),
        "an unfinished sync must not produce the output file"
    );
    assert!(c1z::store::in_progress_path(&path).exists());
    let head = std::fs::read(c1z::store::in_progress_path(&path)).unwrap();
    assert!(
        head.starts_with(b"SQLite format 3\0"),
        "the working file is plain SQLite, not a c1z"
    );
    let mut store = SyncStore::open(&path).unwrap();
    let run = store.start_or_resume().unwrap();
    assert!(run.resumed);
    assert_eq!(run.id, first);
    assert_eq!(run.token, r#"{"version":1,"step":"resources"}"#);
    let c = store.counts().unwrap();
    assert_eq!((c.resource_types, c.resources, c.entitlements), (3, 4, 0));
    store.put_entitlements(&f.entitlements).unwrap();
    store.put_grants(&f.grants).unwrap();
    let out = store.finish().unwrap();
    assert_eq!(out, path);
    assert!(!c1z::store::in_progress_path(&path).exists());
    assert!(!c1z::store::tmp_path(&path).exists());
    let r = C1zReader::open(&path).unwrap();
    assert_eq!(r.syncs().unwrap().len(), 1);
    assert_eq!(
        r.count(c1z::reader::ObjectTable::Grants, &first).unwrap(),
        3
    );
}

#[test]
fn finish_keeps_two_full_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.c1z");
    let f = fixture();
    let ids: Vec<String> = (0..3).map(|_| write_file(&path, &f)).collect();
    // An abandoned unfinished sync is dropped by the next finish.
    {
        let mut store = SyncStore::open(&path).unwrap();
        store.start_or_resume().unwrap();
        store.put_resource_types(&f.types).unwrap();
        store.checkpoint("x").unwrap();
    }
    std::fs::remove_file(c1z::store::in_progress_path(&path)).unwrap();
    let last = write_file(&path, &f);
    let r = C1zReader::open(&path).unwrap();
    let syncs: Vec<String> = r
        .finished_full_syncs()
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(syncs, vec![last, ids[2].clone()]);
    assert_eq!(r.syncs().unwrap().len(), 2);
    let orphans: i64 = r
        .connection()
        .query_row(
            "SELECT count(*) FROM v1_grants WHERE sync_id NOT IN (SELECT sync_id FROM v1_sync_runs)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
}

#[test]
fn envelope_has_magic_fcs_and_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.c1z");
    write_file(&path, &fixture());
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..5], b"C1ZF\0");
    assert_eq!(
        &bytes[5..9],
        &[0x28, 0xb5, 0x2f, 0xfd],
        "one zstd frame follows the magic"
    );
    let fhd = bytes[9];
    assert_ne!(fhd & 0x04, 0, "content checksum flag");
    assert_ne!(fhd >> 6 | (fhd & 0x20), 0, "frame content size present");
    let size = zstd::zstd_safe::get_frame_content_size(&bytes[5..])
        .unwrap()
        .unwrap();
    let db = zstd::decode_all(&bytes[5..]).unwrap();
    assert_eq!(size as usize, db.len());
    assert!(db.starts_with(b"SQLite format 3\0"));
    // Journal mode is not WAL: the header's read/write versions are 1 (legacy), not 2.
    assert_eq!((db[18], db[19]), (1, 1));
}

#[test]
fn deterministic_encoding() {
    let a = user("alice", "Alice");
    let mut b = user("alice", "Alice");
    // Rebuild the profile map in the opposite insertion order.
    let t: pb::UserTrait = pb::pick(&b.annotations).unwrap();
    let mut t2 = t.clone();
    let fields: Vec<_> = t.profile.unwrap().fields.into_iter().rev().collect();
    t2.profile = Some(prost_types::Struct {
        fields: fields.into_iter().collect(),
    });
    pb::update(&mut b.annotations, &t2);
    assert_eq!(a.encode_to_vec(), b.encode_to_vec());
    let g1 = pb::GrantSources {
        sources: [("b", true), ("a", false)]
            .iter()
            .map(|(k, v)| (k.to_string(), pb::GrantSource { is_direct: *v }))
            .collect(),
    };
    let bytes = g1.encode_to_vec();
    // The "a" entry is encoded first.
    let pos_a = bytes
        .windows(3)
        .position(|w| w == [0x0a, 0x01, b'a'])
        .unwrap();
    let pos_b = bytes
        .windows(3)
        .position(|w| w == [0x0a, 0x01, b'b'])
        .unwrap();
    assert!(pos_a < pos_b);
    // Same input → same blobs in two files.
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (dir.path().join("1.c1z"), dir.path().join("2.c1z"));
    let (s1, s2) = (write_file(&p1, &fixture()), write_file(&p2, &fixture()));
    let (r1, r2) = (C1zReader::open(&p1).unwrap(), C1zReader::open(&p2).unwrap());
    for t in [
        c1z::reader::ObjectTable::Resources,
        c1z::reader::ObjectTable::Grants,
    ] {
        assert_eq!(r1.rows(t, &s1).unwrap(), r2.rows(t, &s2).unwrap());
    }
}

/// A user listed under three workspaces keeps one parent: the one that sorts first, in the
/// columns and in the message alike, whatever order the listings came in.
#[test]
fn a_resource_listed_under_several_parents_keeps_the_first_sorting_one_in_columns_and_data() {
    let parent_of = |order: &[&str]| -> (String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.c1z");
        let mut store = SyncStore::open(&path).unwrap();
        store.start_or_resume().unwrap();
        for ws in order {
            let mut alice = user("alice", &format!("Alice as listed in {ws}"));
            alice.parent_resource_id = Some(rid("workspace", ws));
            store.put_resources(&[alice]).unwrap();
        }
        // Listed again under its winning parent (a resumed page): replaced, same parent.
        let stored = store.resource("user", "alice").unwrap().unwrap();
        store.put_resources(&[stored]).unwrap();
        store.checkpoint("").unwrap();
        store.finish().unwrap();
        let reader = C1zReader::open(&path).unwrap();
        let (column, data): (String, Vec<u8>) = reader
            .connection()
            .query_row(
                "SELECT parent_resource_id, data FROM v1_resources WHERE external_id = 'user:alice'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let decoded = pb::Resource::decode(data.as_slice()).unwrap();
        let in_data = decoded.parent_resource_id.unwrap().resource;
        assert_eq!(column, in_data, "columns and data disagree");
        (column, decoded.display_name)
    };
    let a = parent_of(&["ws-c", "ws-a", "ws-b"]);
    let b = parent_of(&["ws-b", "ws-c", "ws-a"]);
    let c = parent_of(&["ws-a", "ws-b", "ws-c"]);
    assert_eq!(
        a,
        ("ws-a".to_string(), "Alice as listed in ws-a".to_string())
    );
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn size_grows_before_a_commit_and_discard_removes_the_working_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.c1z");
    let f = fixture();
    let first = write_file(&path, &f);
    let before = std::fs::read(&path).unwrap();

    let mut store = SyncStore::open(&path).unwrap();
    store.start_new().unwrap();
    let empty = store.size_bytes().unwrap();
    let many: Vec<pb::Resource> = (0..2000)
        .map(|i| user(&format!("u{i}"), &"x".repeat(200)))
        .collect();
    store.put_resources(&many).unwrap();
    let grown = store.size_bytes().unwrap();
    assert!(
        grown >= empty + 2000 * 200,
        "{empty} bytes, then {grown} after 2000 rows of 200+ bytes (uncommitted)"
    );
    let work = store.work_path().to_path_buf();
    assert!(work.exists());
    store.discard().unwrap();
    assert!(!work.exists(), "the in-progress file is removed");
    assert!(!c1z::store::tmp_path(&path).exists());
    // The output keeps its finished sync, untouched.
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let r = C1zReader::open(&path).unwrap();
    assert_eq!(r.resolve_sync(None).unwrap().id, first);
}
