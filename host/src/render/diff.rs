//! `inspect diff`: the changes between the latest and the previous full sync (`c1z::diff`) as
//! Baton's `C1ZDiffOutput` protojson or as count and id tables.

use c1z::diff::{Changes, SyncDiff};
use c1z::{pb, rows::decode};
use serde_json::{Map, Value};

use super::baton_json;
use super::table::table as render_table;

fn render<M: prost::Message + Default>(
    kind: &'static str,
    list: &[(String, Vec<u8>)],
    f: fn(&M) -> Value,
) -> Vec<Value> {
    list.iter()
        .map(|(id, data)| match decode::<M>(kind, id, data) {
            Ok(m) => f(&m),
            // Keep the diff usable on a damaged row: show its id and the decode error.
            Err(e) => serde_json::json!({"id": id, "error": e.to_string()}),
        })
        .collect()
}

fn part_json<M: prost::Message + Default>(
    kind: &'static str,
    c: &Changes,
    f: fn(&M) -> Value,
) -> Value {
    let mut o = Map::new();
    for (k, list) in [
        ("created", &c.created),
        ("deleted", &c.deleted),
        ("modified", &c.modified),
    ] {
        // protojson omits empty repeated fields.
        if !list.is_empty() {
            o.insert(k.into(), Value::Array(render(kind, list, f)));
        }
    }
    Value::Object(o)
}

/// `C1ZDiffOutput{resources, entitlements, grants}`, each `{created, deleted, modified}`.
pub fn json(d: &SyncDiff) -> Value {
    serde_json::json!({
        "resources": part_json::<pb::Resource>("Resource", &d.resources, baton_json::resource),
        "entitlements": part_json::<pb::Entitlement>("Entitlement", &d.entitlements, baton_json::entitlement),
        "grants": part_json::<pb::Grant>("Grant", &d.grants, baton_json::grant),
    })
}

/// Counts per kind and change, then the ids.
pub fn table(d: &SyncDiff) -> String {
    let parts = [
        ("Resources", &d.resources),
        ("Entitlements", &d.entitlements),
        ("Grants", &d.grants),
    ];
    let rows: Vec<Vec<String>> = parts
        .iter()
        .map(|(k, c)| {
            vec![
                k.to_string(),
                c.created.len().to_string(),
                c.deleted.len().to_string(),
                c.modified.len().to_string(),
            ]
        })
        .collect();
    let mut out = format!(
        "Diff of sync {} (latest) against {} (previous)\n",
        d.applied_sync_id, d.base_sync_id
    );
    out.push_str(&render_table(
        &["Kind", "Created", "Deleted", "Modified"],
        &rows,
    ));
    let mut ids = Vec::new();
    for (k, c) in parts {
        for (change, list) in [
            ("created", &c.created),
            ("deleted", &c.deleted),
            ("modified", &c.modified),
        ] {
            for (id, _) in list {
                ids.push(vec![k.to_string(), change.to_string(), id.clone()]);
            }
        }
    }
    if !ids.is_empty() {
        out.push('\n');
        out.push_str(&render_table(&["Kind", "Change", "ID"], &ids));
    }
    out
}
