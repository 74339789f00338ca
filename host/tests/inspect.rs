//! The `inspect` views' tables and protojson, on a small file written through the c1z writer.

// The c1z crate's own test fixture: the same small Bitbucket-like data set its tests use.
#[path = "../../c1z/tests/common/mod.rs"]
mod fixture;

use c1z::SyncStore;
use connector_host::render::inspect::{
    InspectCommand as C, InspectFilter, OutputFormat as F, inspect,
};
use fixture::*;
use serde_json::Value;

fn small_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.c1z");
    write_file(&path, &fixture());
    (dir, path)
}

fn header(out: &str) -> Vec<String> {
    out.lines()
        .next()
        .unwrap()
        .split(" | ")
        .map(|s| s.trim().to_string())
        .collect()
}

#[test]
fn table_columns_match_baton() {
    let (_d, p) = small_file();
    let none = InspectFilter::default();
    let cases = [
        (C::ResourceTypes, vec!["ID", "Display Name", "Traits"]),
        (
            C::Resources,
            vec!["ID", "Display Name", "Resource Type", "Parent Resource"],
        ),
        (
            C::Entitlements,
            vec![
                "ID",
                "Display Name",
                "Resource Type",
                "Resource",
                "Permission",
            ],
        ),
        (
            C::Grants,
            vec![
                "ID",
                "Resource Type",
                "Resource",
                "Entitlement",
                "Principal",
            ],
        ),
        (
            C::Syncs,
            vec!["ID", "Started At", "Ended At", "Type", "Parent ID", "Token"],
        ),
        (C::Stats, vec!["Type", "Count"]),
    ];
    for (cmd, cols) in cases {
        let out = inspect(&p, cmd, &none, F::Table).unwrap();
        assert_eq!(header(&out), cols, "{cmd:?}:\n{out}");
    }
    let rts = inspect(&p, C::ResourceTypes, &none, F::Table).unwrap();
    assert!(
        rts.lines()
            .any(|l| l.starts_with("user ") && l.contains("TRAIT_USER")),
        "{rts}"
    );
    let res = inspect(&p, C::Resources, &none, F::Table).unwrap();
    let devs = res.lines().find(|l| l.starts_with("ws1:devs")).unwrap();
    let cells: Vec<&str> = devs.split(" | ").map(str::trim).collect();
    assert_eq!(
        cells,
        vec!["ws1:devs", "Developers", "User Group", "Workspace ws1"]
    );
    let grants = inspect(&p, C::Grants, &none, F::Table).unwrap();
    assert_eq!(grants.lines().count(), 4);
    let stats = inspect(&p, C::Stats, &none, F::Table).unwrap();
    assert!(
        stats
            .lines()
            .any(|l| l.starts_with("Grants") && l.ends_with('3')),
        "{stats}"
    );
}

#[test]
fn json_wrappers_are_protojson() {
    let (_d, p) = small_file();
    let none = InspectFilter::default();
    let j = |cmd, f: &InspectFilter| -> Value {
        serde_json::from_str(&inspect(&p, cmd, f, F::Json).unwrap()).unwrap()
    };
    let rt = j(C::ResourceTypes, &none);
    assert_eq!(
        rt["resourceTypes"][2]["resourceType"]["traits"][0],
        "TRAIT_USER"
    );
    assert_eq!(
        rt["resourceTypes"][0]["resourceType"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["displayName", "id"]
    );
    let res = j(C::Resources, &none);
    let r1 = &res["resources"][1];
    assert_eq!(r1["resource"]["id"]["resourceType"], "user_group");
    assert_eq!(r1["resourceType"]["id"], "user_group");
    assert_eq!(r1["parent"]["id"]["resource"], "ws1");
    assert!(res["resources"][0].get("parent").is_none());
    let alice = &res["resources"][2]["resource"];
    let ut = &alice["annotations"][0];
    assert_eq!(ut["@type"], "type.googleapis.com/c1.connector.v2.UserTrait");
    assert_eq!(ut["accountType"], "ACCOUNT_TYPE_HUMAN");
    assert_eq!(ut["status"]["status"], "STATUS_ENABLED");
    assert_eq!(
        ut["profile"],
        serde_json::json!({"alpha": 1.0, "zeta": "z"})
    );
    let ents = j(
        C::Entitlements,
        &InspectFilter {
            resource_type: Some("user_group".into()),
            ..Default::default()
        },
    );
    assert_eq!(ents["entitlements"].as_array().unwrap().len(), 1);
    let e = &ents["entitlements"][0];
    assert_eq!(
        e.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["entitlement", "resource", "resourceType"]
    );
    assert_eq!(e["entitlement"]["purpose"], "PURPOSE_VALUE_ASSIGNMENT");
    let g = j(
        C::Grants,
        &InspectFilter {
            entitlement: Some("workspace:ws1:member".into()),
            ..Default::default()
        },
    );
    let gs = g["grants"].as_array().unwrap();
    assert_eq!(gs.len(), 2);
    assert_eq!(
        gs[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "entitlement",
            "grant",
            "principal",
            "resource",
            "resourceType"
        ]
    );
    assert_eq!(gs[0]["principal"]["displayName"], "Alice");
    let syncs = j(C::Syncs, &none);
    let s = &syncs["syncs"][0];
    assert_eq!(s["syncType"], "full");
    assert!(s["startedAt"].as_str().unwrap().ends_with('Z'));
    assert!(s.get("syncToken").is_none(), "empty token omitted");
    // Principals of the workspace membership: alice and the group.
    let pr = j(
        C::Principals,
        &InspectFilter {
            entitlement: Some("workspace:ws1:member".into()),
            ..Default::default()
        },
    );
    let ids: Vec<&str> = pr["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource"]["id"]["resource"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["alice", "ws1:devs"]);
}

#[test]
fn missing_reference_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.c1z");
    let mut f = fixture();
    f.resources
        .retain(|r| r.id.as_ref().unwrap().resource != "bob");
    write_file(&path, &f);
    let err = inspect(&path, C::Grants, &InspectFilter::default(), F::Table).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("user:bob") && msg.contains("resource"),
        "{msg}"
    );
}

#[test]
fn diff_created_deleted_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.c1z");
    let f = fixture();
    write_file(&path, &f);
    let err = inspect(&path, C::Diff, &InspectFilter::default(), F::Json).unwrap_err();
    assert!(err.to_string().contains("a diff needs two"), "{err}");
    // Second sync: carol created, bob deleted (with his grant), alice modified.
    let mut g = fixture();
    g.resources
        .retain(|r| r.id.as_ref().unwrap().resource != "bob");
    g.grants.retain(|x| !x.id.ends_with(":user:bob"));
    g.resources[2].display_name = "Alice Renamed".into();
    g.resources.push(user("carol", "Carol"));
    let mut store = SyncStore::open(&path).unwrap();
    store.start_or_resume().unwrap();
    write_fixture(&mut store, &g);
    store.finish().unwrap();
    let out: Value =
        serde_json::from_str(&inspect(&path, C::Diff, &InspectFilter::default(), F::Json).unwrap())
            .unwrap();
    let r = &out["resources"];
    assert_eq!(r["created"][0]["id"]["resource"], "carol");
    assert_eq!(r["deleted"][0]["id"]["resource"], "bob");
    assert_eq!(r["modified"][0]["displayName"], "Alice Renamed");
    assert_eq!(r["created"].as_array().unwrap().len(), 1);
    assert_eq!(
        out["grants"]["deleted"][0]["id"],
        "user_group:ws1:devs:member:user:bob"
    );
    assert!(out["grants"].get("created").is_none());
    assert_eq!(out["entitlements"], serde_json::json!({}));
    let table = inspect(&path, C::Diff, &InspectFilter::default(), F::Table).unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("Resources") && l.replace(' ', "") == "Resources|1|1|1"),
        "{table}"
    );
    assert!(table.contains("user:carol"));
}
