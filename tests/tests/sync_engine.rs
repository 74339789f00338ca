//! The sync engine on generic graphs served by the fixture component: paging, the child-type
//! walk, every referenced object stored, and grant expansion (chains, diamonds, cycles, shallow
//! edges, type filters, order independence).

use std::collections::BTreeMap;

use connector_tests::{contents, grant_sources, sync_fixture};
use serde_json::{Value, json};

const M: &str = "member";

fn group(id: &str) -> Value {
    json!({"type": "group", "id": id})
}

fn user(id: &str) -> Value {
    json!({"type": "user", "id": id})
}

/// A member grant of group `g` to principal (`ptype`, `pid`).
fn member(g: &str, ptype: &str, pid: &str) -> Value {
    json!({"entitlement": ["group", g, M], "principal": [ptype, pid]})
}

/// Group `inner`'s members also get `outer`'s membership (inner is a member of outer).
fn nested(outer: &str, inner: &str, shallow: bool, types: &[&str]) -> Value {
    json!({"entitlement": ["group", outer, M], "principal": ["group", inner],
           "expand": {"entitlements": [["group", inner, M]], "shallow": shallow, "resource_types": types}})
}

fn world(groups: &[&str], users: &[&str], grants: Vec<Value>) -> Value {
    let mut resources: Vec<Value> = groups.iter().map(|g| group(g)).collect();
    resources.extend(users.iter().map(|u| user(u)));
    let entitlements: Vec<Value> = groups
        .iter()
        .map(|g| json!({"on": ["group", g, M], "grantable_to": ["user", "group"]}))
        .collect();
    json!({
        "resource_types": [{"id": "group", "traits": ["group"]}, {"id": "user", "traits": ["user"]}],
        "resources": resources, "entitlements": entitlements, "grants": grants, "page_size": 2
    })
}

async fn sources_of(fixture: &Value) -> BTreeMap<String, BTreeMap<String, bool>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.c1z");
    sync_fixture(fixture, &path).await.expect("sync");
    grant_sources(&path)
}

fn gid(g: &str, ptype: &str, pid: &str) -> String {
    format!("group:{g}:{M}:{ptype}:{pid}")
}

fn eid(g: &str) -> String {
    format!("group:{g}:{M}")
}

#[tokio::test]
async fn a_chain_expands_transitively_with_sources() {
    let f = world(
        &["g1", "g2", "g3"],
        &["u1"],
        vec![
            member("g1", "user", "u1"),
            nested("g2", "g1", false, &[]),
            nested("g3", "g2", false, &[]),
        ],
    );
    let s = sources_of(&f).await;
    assert_eq!(
        s[&gid("g2", "user", "u1")],
        BTreeMap::from([(eid("g1"), true)])
    );
    assert_eq!(
        s[&gid("g3", "user", "u1")],
        BTreeMap::from([(eid("g2"), false)])
    );
    // g1 itself holds g2's membership directly, so it is passed on to g3 too; the groups' own
    // grants are kept, and nothing else is invented.
    assert_eq!(
        s[&gid("g3", "group", "g1")],
        BTreeMap::from([(eid("g2"), true)])
    );
    assert_eq!(s[&gid("g2", "group", "g1")], BTreeMap::new());
    assert_eq!(s.len(), 6, "{s:#?}");
}

#[tokio::test]
async fn a_diamond_records_both_paths() {
    let f = world(
        &["top", "left", "right", "bottom"],
        &["u1"],
        vec![
            member("bottom", "user", "u1"),
            nested("left", "bottom", false, &[]),
            nested("right", "bottom", false, &[]),
            nested("top", "left", false, &[]),
            nested("top", "right", false, &[]),
        ],
    );
    let s = sources_of(&f).await;
    assert_eq!(
        s[&gid("top", "user", "u1")],
        BTreeMap::from([(eid("left"), false), (eid("right"), false)])
    );
}

#[tokio::test]
async fn a_cycle_terminates_and_everyone_gets_everything() {
    let f = world(
        &["a", "b"],
        &["u1", "u2"],
        vec![
            member("a", "user", "u1"),
            member("b", "user", "u2"),
            nested("a", "b", false, &[]),
            nested("b", "a", false, &[]),
        ],
    );
    let s = sources_of(&f).await;
    for (g, u) in [("a", "u1"), ("a", "u2"), ("b", "u1"), ("b", "u2")] {
        assert!(s.contains_key(&gid(g, "user", u)), "{g} {u}: {s:#?}");
    }
    // u1's direct membership of a gains the source b through the cycle, and records itself.
    assert_eq!(
        s[&gid("a", "user", "u1")],
        BTreeMap::from([(eid("a"), true), (eid("b"), false)])
    );
    assert_eq!(
        s[&gid("a", "user", "u2")],
        BTreeMap::from([(eid("b"), true)])
    );
}

#[tokio::test]
async fn a_shallow_edge_passes_on_only_direct_holders() {
    let f = world(
        &["g1", "g2", "g3"],
        &["u1", "u2"],
        vec![
            member("g1", "user", "u1"),
            member("g2", "user", "u2"),
            nested("g2", "g1", true, &[]),
            nested("g3", "g2", true, &[]),
        ],
    );
    let s = sources_of(&f).await;
    assert!(s.contains_key(&gid("g2", "user", "u1")));
    assert!(
        s.contains_key(&gid("g3", "user", "u2")),
        "u2 holds g2 directly"
    );
    assert!(
        !s.contains_key(&gid("g3", "user", "u1")),
        "u1 holds g2 only through expansion"
    );
}

#[tokio::test]
async fn a_type_filter_limits_who_inherits() {
    let f = world(
        &["outer", "inner", "sub"],
        &["u1"],
        vec![
            member("inner", "user", "u1"),
            member("inner", "group", "sub"),
            nested("outer", "inner", false, &["user"]),
        ],
    );
    let s = sources_of(&f).await;
    assert!(s.contains_key(&gid("outer", "user", "u1")));
    assert!(!s.contains_key(&gid("outer", "group", "sub")));
}

#[tokio::test]
async fn the_result_does_not_depend_on_listing_order() {
    let grants = vec![
        member("g1", "user", "u1"),
        member("g2", "user", "u2"),
        member("g3", "user", "u1"),
        nested("g2", "g1", false, &[]),
        nested("g3", "g2", false, &[]),
        nested("g1", "g3", true, &[]),
    ];
    let mut reversed = grants.clone();
    reversed.reverse();
    let a = sources_of(&world(&["g1", "g2", "g3"], &["u1", "u2"], grants)).await;
    let b = sources_of(&world(&["g3", "g2", "g1"], &["u2", "u1"], reversed)).await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn children_are_walked_every_page_is_read_and_every_referenced_object_is_stored() {
    let mut resources = vec![json!({"type": "org", "id": "o1", "children": ["team"]})];
    let mut grants = Vec::new();
    let mut entitlements = Vec::new();
    for t in 0..7 {
        let team = format!("t{t}");
        resources.push(json!({"type": "team", "id": team, "parent": ["org", "o1"]}));
        entitlements.push(json!({"on": ["team", team, "member"], "grantable_to": ["user"]}));
        for u in 0..3 {
            // Users who are never listed as resources: the engine must store them from the grants.
            grants.push(json!({"entitlement": ["team", team, "member"], "principal": ["user", format!("u{u}")]}));
        }
    }
    let f = json!({
        "resource_types": [{"id": "org"}, {"id": "team", "traits": ["group"]}, {"id": "user", "traits": ["user"]}],
        "resources": resources, "entitlements": entitlements, "grants": grants, "page_size": 2
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("walk.c1z");
    let report = sync_fixture(&f, &path).await.unwrap();
    assert!(!report.resumed);
    let c = contents(&path);
    assert_eq!(c.resource_types.len(), 3);
    assert_eq!(c.resources.len(), 1 + 7 + 3, "{:?}", c.resources.keys());
    assert_eq!(c.entitlements.len(), 7);
    assert_eq!(c.grants.len(), 21);
    assert!(c.resources.contains_key("team:t6"));
    assert!(c.resources.contains_key("user:u2"));
    // No .in-progress or .tmp file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["walk.c1z".to_string()]);
}

#[tokio::test]
async fn syncing_twice_into_one_file_keeps_the_previous_sync() {
    let f = world(&["g1"], &["u1"], vec![member("g1", "user", "u1")]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twice.c1z");
    for _ in 0..3 {
        sync_fixture(&f, &path).await.unwrap();
    }
    let reader = c1z::C1zReader::open(&path).unwrap();
    assert_eq!(
        reader.finished_full_syncs().unwrap().len(),
        2,
        "at most two full syncs are kept"
    );
}

#[tokio::test]
async fn an_unfinished_sync_with_a_foreign_checkpoint_is_abandoned_not_mixed_in() {
    let f = world(&["g1"], &["u1"], vec![member("g1", "user", "u1")]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign.c1z");
    {
        // Another tool left an unfinished sync with its own token format and a stray row.
        let mut store = c1z::SyncStore::open(&path).unwrap();
        store.start_or_resume().unwrap();
        store
            .put_resource_types(&[c1z::pb::ResourceType {
                id: "stray".into(),
                ..Default::default()
            }])
            .unwrap();
        store
            .checkpoint(r#"{"actions":[{"operation":"list-grants"}],"completed_actions_count":45}"#)
            .unwrap();
    }
    let report = sync_fixture(&f, &path).await.unwrap();
    assert!(!report.resumed, "a foreign checkpoint is not resumed");
    let c = contents(&path);
    assert!(
        !c.resource_types.contains_key("stray"),
        "{:?}",
        c.resource_types.keys()
    );
    assert_eq!(c.grants.len(), 1);
}

#[tokio::test]
async fn expanded_grants_are_left_marked_as_expanded_like_the_sdk_does() {
    let f = world(
        &["g1", "g2"],
        &["u1"],
        vec![member("g1", "user", "u1"), nested("g2", "g1", false, &[])],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("marked.c1z");
    sync_fixture(&f, &path).await.unwrap();
    let reader = c1z::C1zReader::open(&path).unwrap();
    let (pending, expandable): (i64, i64) = reader
        .connection()
        .query_row(
            "SELECT coalesce(sum(needs_expansion), 0), count(expansion) FROM v1_grants",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        pending, 0,
        "no grant is left pending expansion in a finished sync"
    );
    assert_eq!(
        expandable, 1,
        "the expandable grant keeps its expansion column"
    );
}
