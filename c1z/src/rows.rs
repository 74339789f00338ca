//! Lookups of one sync's rows over a `rusqlite::Connection`, shared by the writer (`store`), the
//! reader (`reader`) and the editor (`edit`): objects by id, filtered listings in insertion
//! order, pages, counts and the stats JSON.

use std::collections::BTreeMap;

use prost::Message;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::error::{C1zError, SqlContext};
use crate::pb;

/// The object tables of a sync.
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
    /// The SQLite table name.
    pub fn name(self) -> &'static str {
        match self {
            ObjectTable::ResourceTypes => "v1_resource_types",
            ObjectTable::Resources => "v1_resources",
            ObjectTable::Entitlements => "v1_entitlements",
            ObjectTable::Grants => "v1_grants",
        }
    }
}

/// Object counts of one sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCounts {
    /// Resource types.
    pub resource_types: u64,
    /// Resources.
    pub resources: u64,
    /// Entitlements.
    pub entitlements: u64,
    /// Grants.
    pub grants: u64,
}

/// Which grants to list; every field that is set must match.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GrantFilter<'a> {
    /// The entitlement id.
    pub entitlement: Option<&'a str>,
    /// The entitlement's resource type.
    pub resource_type: Option<&'a str>,
    /// The entitlement's resource id.
    pub resource: Option<&'a str>,
    /// The principal's type.
    pub principal_type: Option<&'a str>,
    /// The principal's id.
    pub principal: Option<&'a str>,
}

/// Decodes a stored blob, naming the row on failure.
pub fn decode<M: Message + Default>(
    kind: &'static str,
    id: &str,
    data: &[u8],
) -> Result<M, C1zError> {
    M::decode(data).map_err(|cause| C1zError::Decode {
        kind,
        id: id.to_string(),
        cause,
    })
}

/// The object of `table` with `external_id` in `sync`.
fn one<M: Message + Default>(
    conn: &Connection,
    table: ObjectTable,
    kind: &'static str,
    sync: &str,
    external_id: &str,
) -> Result<Option<M>, C1zError> {
    let data: Option<Vec<u8>> = conn
        .prepare_cached(&format!(
            "SELECT data FROM {} WHERE external_id = ?1 AND sync_id = ?2",
            table.name()
        ))
        .and_then(|mut stmt| {
            stmt.query_row(params![external_id, sync], |r| r.get(0))
                .optional()
        })
        .ctx(&format!("reading {kind} {external_id}"))?;
    data.map(|d| decode(kind, external_id, &d)).transpose()
}

/// The objects of `table` in `sync` whose columns equal the given values (unset ones are not
/// compared), in insertion (rowid) order.
fn filtered<M: Message + Default>(
    conn: &Connection,
    table: ObjectTable,
    kind: &'static str,
    sync: &str,
    filters: &[(&str, Option<&str>)],
) -> Result<Vec<M>, C1zError> {
    let mut sql = format!(
        "SELECT external_id, data FROM {} WHERE sync_id = ?1",
        table.name()
    );
    let mut args = vec![SqlValue::Text(sync.to_string())];
    for (col, val) in filters {
        if let Some(v) = val {
            args.push(SqlValue::Text(v.to_string()));
            sql.push_str(&format!(" AND {col} = ?{}", args.len()));
        }
    }
    sql.push_str(" ORDER BY id");
    let ctx = format!("reading {kind}s");
    let mut stmt = conn.prepare_cached(&sql).ctx(&ctx)?;
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

/// Every resource type of `sync`.
pub(crate) fn resource_types(
    conn: &Connection,
    sync: &str,
) -> Result<Vec<pb::ResourceType>, C1zError> {
    filtered(conn, ObjectTable::ResourceTypes, "ResourceType", sync, &[])
}

/// One resource type of `sync`.
pub(crate) fn resource_type(
    conn: &Connection,
    sync: &str,
    id: &str,
) -> Result<Option<pb::ResourceType>, C1zError> {
    one(conn, ObjectTable::ResourceTypes, "ResourceType", sync, id)
}

/// The resources of `sync`, optionally of one type.
pub(crate) fn resources(
    conn: &Connection,
    sync: &str,
    resource_type: Option<&str>,
) -> Result<Vec<pb::Resource>, C1zError> {
    filtered(
        conn,
        ObjectTable::Resources,
        "Resource",
        sync,
        &[("resource_type_id", resource_type)],
    )
}

/// One resource of `sync`.
pub(crate) fn resource(
    conn: &Connection,
    sync: &str,
    resource_type: &str,
    id: &str,
) -> Result<Option<pb::Resource>, C1zError> {
    let key = pb::resource_key(resource_type, id);
    one(conn, ObjectTable::Resources, "Resource", sync, &key)
}

/// Resources of `sync` in rowid order, starting at rowid `from`; returns the rowid to continue
/// from (None at the end).
pub(crate) fn resources_page(
    conn: &Connection,
    sync: &str,
    from: i64,
    limit: usize,
) -> Result<(Vec<pb::Resource>, Option<i64>), C1zError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, external_id, data FROM v1_resources WHERE sync_id = ?1 AND id >= ?2 ORDER BY id LIMIT ?3",
        )
        .ctx("preparing")?;
    let mut rows = stmt
        .query(params![sync, from, limit as i64 + 1])
        .ctx("reading resources")?;
    let mut out = Vec::with_capacity(limit.min(10_000));
    while let Some(row) = rows.next().ctx("reading resources")? {
        let rowid: i64 = row.get(0).ctx("reading resources")?;
        if out.len() == limit {
            return Ok((out, Some(rowid)));
        }
        let id: String = row.get(1).ctx("reading resources")?;
        let data: Vec<u8> = row.get(2).ctx("reading resources")?;
        out.push(decode("Resource", &id, &data)?);
    }
    Ok((out, None))
}

/// The entitlements of `sync`, optionally of one resource type and resource.
pub(crate) fn entitlements(
    conn: &Connection,
    sync: &str,
    resource_type: Option<&str>,
    resource: Option<&str>,
) -> Result<Vec<pb::Entitlement>, C1zError> {
    filtered(
        conn,
        ObjectTable::Entitlements,
        "Entitlement",
        sync,
        &[
            ("resource_type_id", resource_type),
            ("resource_id", resource),
        ],
    )
}

/// One entitlement of `sync`.
pub(crate) fn entitlement(
    conn: &Connection,
    sync: &str,
    id: &str,
) -> Result<Option<pb::Entitlement>, C1zError> {
    one(conn, ObjectTable::Entitlements, "Entitlement", sync, id)
}

/// The grants of `sync` that match `filter`.
pub(crate) fn grants(
    conn: &Connection,
    sync: &str,
    filter: GrantFilter<'_>,
) -> Result<Vec<pb::Grant>, C1zError> {
    filtered(
        conn,
        ObjectTable::Grants,
        "Grant",
        sync,
        &[
            ("entitlement_id", filter.entitlement),
            ("resource_type_id", filter.resource_type),
            ("resource_id", filter.resource),
            ("principal_resource_type_id", filter.principal_type),
            ("principal_resource_id", filter.principal),
        ],
    )
}

/// One grant of `sync`.
pub(crate) fn grant(
    conn: &Connection,
    sync: &str,
    id: &str,
) -> Result<Option<pb::Grant>, C1zError> {
    one(conn, ObjectTable::Grants, "Grant", sync, id)
}

/// The `expansion` column of a grant (None when NULL or when there is no such grant).
pub(crate) fn grant_expansion(
    conn: &Connection,
    sync: &str,
    grant_id: &str,
) -> Result<Option<pb::GrantExpandable>, C1zError> {
    let data: Option<Option<Vec<u8>>> = conn
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

/// external_id → data bytes of every row of `table` in `sync` (for diffs).
pub(crate) fn raw_rows(
    conn: &Connection,
    table: ObjectTable,
    sync: &str,
) -> Result<BTreeMap<String, Vec<u8>>, C1zError> {
    let mut stmt = conn
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

/// The row count of `table` in `sync`.
pub(crate) fn count(conn: &Connection, table: ObjectTable, sync: &str) -> Result<u64, C1zError> {
    let n: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM {} WHERE sync_id = ?1",
            table.name()
        ))
        .and_then(|mut s| s.query_row([sync], |r| r.get(0)))
        .ctx(&format!("counting {}", table.name()))?;
    Ok(n as u64)
}

/// Row counts of `table` in `sync` per resource type id (the type's own id for resource types).
pub(crate) fn count_by_type(
    conn: &Connection,
    table: ObjectTable,
    sync: &str,
) -> Result<BTreeMap<String, u64>, C1zError> {
    let col = if table == ObjectTable::ResourceTypes {
        "external_id"
    } else {
        "resource_type_id"
    };
    let mut stmt = conn
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

/// Resource types, resources, entitlements and grants of `sync`.
pub(crate) fn counts(conn: &Connection, sync: &str) -> Result<SyncCounts, C1zError> {
    Ok(SyncCounts {
        resource_types: count(conn, ObjectTable::ResourceTypes, sync)?,
        resources: count(conn, ObjectTable::Resources, sync)?,
        entitlements: count(conn, ObjectTable::Entitlements, sync)?,
        grants: count(conn, ObjectTable::Grants, sync)?,
    })
}

/// The stats JSON of `sync`: Go's `encoding/json` of `c1.reader.v2.SyncStats` (snake_case keys,
/// zero values omitted).
pub(crate) fn stats_json(conn: &Connection, sync: &str) -> Result<String, C1zError> {
    let c = counts(conn, sync)?;
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("resource_types", c.resource_types),
        ("resources", c.resources),
        ("entitlements", c.entitlements),
        ("grants", c.grants),
    ] {
        if v > 0 {
            m.insert(k.into(), v.into());
        }
    }
    for (k, table) in [
        ("resources_by_resource_type", ObjectTable::Resources),
        ("grants_by_resource_type", ObjectTable::Grants),
        ("entitlements_by_resource_type", ObjectTable::Entitlements),
    ] {
        let map = count_by_type(conn, table, sync)?;
        if !map.is_empty() {
            m.insert(
                k.into(),
                serde_json::to_value(map).expect("a map of ints serializes"),
            );
        }
    }
    Ok(serde_json::Value::Object(m).to_string())
}
