//! Diff of the latest and the previous finished full sync inside one file (`baton diff`): created, deleted and
//! modified (same external id, different data bytes) resources, entitlements and grants.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::C1zError;
use crate::reader::{C1zReader, ObjectTable};
use crate::store::decode;
use crate::{json, pb};

/// Changes of one object kind; each list holds (external id, data of the relevant side), sorted by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// In the latest sync only (latest data).
    pub created: Vec<(String, Vec<u8>)>,
    /// In the previous sync only (previous data).
    pub deleted: Vec<(String, Vec<u8>)>,
    /// In both with different bytes (latest data).
    pub modified: Vec<(String, Vec<u8>)>,
}

/// The diff of two syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncDiff {
    /// The previous full sync.
    pub base_sync_id: String,
    /// The latest full sync.
    pub applied_sync_id: String,
    /// Resource changes.
    pub resources: Changes,
    /// Entitlement changes.
    pub entitlements: Changes,
    /// Grant changes.
    pub grants: Changes,
}

/// Compares two maps of external id → data.
pub fn compare(old: &BTreeMap<String, Vec<u8>>, new: &BTreeMap<String, Vec<u8>>) -> Changes {
    let mut c = Changes::default();
    for (id, data) in new {
        match old.get(id) {
            None => c.created.push((id.clone(), data.clone())),
            Some(o) if o != data => c.modified.push((id.clone(), data.clone())),
            Some(_) => {}
        }
    }
    for (id, data) in old {
        if !new.contains_key(id) {
            c.deleted.push((id.clone(), data.clone()));
        }
    }
    c
}

/// The ids of the latest finished full sync and the previous one, which a diff compares.
pub fn latest_and_previous(reader: &C1zReader) -> Result<(String, String), C1zError> {
    let syncs = reader.finished_full_syncs()?;
    match syncs.as_slice() {
        [latest, previous, ..] => Ok((latest.id.clone(), previous.id.clone())),
        _ => Err(C1zError::NotEnoughSyncs {
            path: reader.path().to_path_buf(),
            found: syncs.len(),
        }),
    }
}

/// Diffs the latest finished full sync against the previous one.
pub fn diff(reader: &C1zReader) -> Result<SyncDiff, C1zError> {
    let (new, old) = &latest_and_previous(reader)?;
    let part = |t| -> Result<Changes, C1zError> {
        Ok(compare(&reader.rows(t, old)?, &reader.rows(t, new)?))
    };
    Ok(SyncDiff {
        base_sync_id: old.clone(),
        applied_sync_id: new.clone(),
        resources: part(ObjectTable::Resources)?,
        entitlements: part(ObjectTable::Entitlements)?,
        grants: part(ObjectTable::Grants)?,
    })
}

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

impl SyncDiff {
    /// `C1ZDiffOutput{resources, entitlements, grants}`, each `{created, deleted, modified}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "resources": part_json::<pb::Resource>("Resource", &self.resources, json::resource),
            "entitlements": part_json::<pb::Entitlement>("Entitlement", &self.entitlements, json::entitlement),
            "grants": part_json::<pb::Grant>("Grant", &self.grants, json::grant),
        })
    }

    /// Counts per kind and change, then the ids.
    pub fn to_table(&self) -> String {
        let parts = [
            ("Resources", &self.resources),
            ("Entitlements", &self.entitlements),
            ("Grants", &self.grants),
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
            self.applied_sync_id, self.base_sync_id
        );
        out.push_str(&crate::inspect::table(
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
            out.push_str(&crate::inspect::table(&["Kind", "Change", "ID"], &ids));
        }
        out
    }
}
