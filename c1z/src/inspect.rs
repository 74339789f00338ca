//! `connector-host inspect ...`: the Baton CLI's listing commands over a .c1z, as console tables or protojson.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::C1zError;
use crate::reader::{C1zReader, ObjectTable, SyncInfo};
use crate::{diff, json, pb, timestamp};

/// What to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectCommand {
    /// Resource types: ID, Display Name, Traits.
    ResourceTypes,
    /// Resources: ID, Display Name, Resource Type, Parent Resource.
    Resources,
    /// Entitlements: ID, Display Name, Resource Type, Resource, Permission.
    Entitlements,
    /// Grants: ID, Resource Type, Resource, Entitlement, Principal.
    Grants,
    /// The distinct principals of the (filtered) grants.
    Principals,
    /// Object counts of the sync.
    Stats,
    /// Sync runs: ID, Started At, Ended At, Type, Parent ID, Token.
    Syncs,
    /// Latest vs previous full sync.
    Diff,
}

/// Filters, as the Baton CLI's `-t`, `-r`, `-e` and `--sync-id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectFilter {
    /// `-t`: resource type id.
    pub resource_type: Option<String>,
    /// `-r`: resource id (the object id, without the type).
    pub resource: Option<String>,
    /// `-e`: entitlement id.
    pub entitlement: Option<String>,
    /// `--sync-id`: a specific sync instead of the latest finished full sync.
    pub sync_id: Option<String>,
}

/// Console table or protojson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned columns, as the Baton CLI's console output.
    Table,
    /// One protojson object, as `baton -o json`.
    Json,
}

/// Runs one inspect command on the file at `path` and returns what to print.
pub fn inspect(
    path: &Path,
    command: InspectCommand,
    filter: &InspectFilter,
    format: OutputFormat,
) -> Result<String, C1zError> {
    let reader = C1zReader::open(path)?;
    if command == InspectCommand::Diff {
        let d = diff::diff(&reader)?;
        return Ok(match format {
            OutputFormat::Json => pretty(&d.to_json()),
            OutputFormat::Table => d.to_table(),
        });
    }
    if command == InspectCommand::Syncs {
        return syncs(&reader, format);
    }
    let sync = reader.resolve_sync(filter.sync_id.as_deref())?;
    let mut ctx = Lookup::new(&reader, &sync)?;
    match command {
        InspectCommand::ResourceTypes => resource_types(&ctx, format),
        InspectCommand::Resources => resources(&mut ctx, filter, format),
        InspectCommand::Entitlements => entitlements(&mut ctx, filter, format),
        InspectCommand::Grants => grants(&mut ctx, filter, format),
        InspectCommand::Principals => principals(&mut ctx, filter, format),
        InspectCommand::Stats => stats(&ctx, format),
        InspectCommand::Syncs | InspectCommand::Diff => unreachable!("handled above"),
    }
}

/// Cached lookups of referenced objects; a missing one is an error naming it.
struct Lookup<'a> {
    reader: &'a C1zReader,
    sync: &'a SyncInfo,
    types: Vec<pb::ResourceType>,
    resources: HashMap<(String, String), pb::Resource>,
    entitlements: HashMap<String, pb::Entitlement>,
}

impl<'a> Lookup<'a> {
    fn new(reader: &'a C1zReader, sync: &'a SyncInfo) -> Result<Self, C1zError> {
        let types = reader.resource_types(&sync.id)?;
        Ok(Lookup {
            reader,
            sync,
            types,
            resources: HashMap::new(),
            entitlements: HashMap::new(),
        })
    }

    fn missing(&self, referrer: String, kind: &'static str, id: String) -> C1zError {
        C1zError::MissingReference {
            referrer,
            kind,
            id,
            sync_id: self.sync.id.clone(),
        }
    }

    fn resource_type(&self, id: &str, referrer: &str) -> Result<pb::ResourceType, C1zError> {
        self.types
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .ok_or_else(|| self.missing(referrer.to_string(), "resource type", id.to_string()))
    }

    fn resource(&mut self, id: &pb::ResourceId, referrer: &str) -> Result<pb::Resource, C1zError> {
        let key = (id.resource_type.clone(), id.resource.clone());
        if let Some(r) = self.resources.get(&key) {
            return Ok(r.clone());
        }
        let r = self
            .reader
            .resource(&self.sync.id, &id.resource_type, &id.resource)?
            .ok_or_else(|| {
                self.missing(
                    referrer.to_string(),
                    "resource",
                    pb::resource_key(&key.0, &key.1),
                )
            })?;
        self.resources.insert(key, r.clone());
        Ok(r)
    }

    fn entitlement(&mut self, id: &str, referrer: &str) -> Result<pb::Entitlement, C1zError> {
        if let Some(e) = self.entitlements.get(id) {
            return Ok(e.clone());
        }
        let e = self
            .reader
            .entitlement(&self.sync.id, id)?
            .ok_or_else(|| self.missing(referrer.to_string(), "entitlement", id.to_string()))?;
        self.entitlements.insert(id.to_string(), e.clone());
        Ok(e)
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values serialize");
    s.push('\n');
    s
}

/// Renders aligned columns separated by " | ", header first.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}", w = *w))
            .collect();
        let mut l = padded.join(" | ");
        l.truncate(l.trim_end().len());
        l.push('\n');
        l
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn rid_of(r: &pb::Resource) -> pb::ResourceId {
    r.id.clone().unwrap_or_default()
}

fn resource_types(ctx: &Lookup<'_>, format: OutputFormat) -> Result<String, C1zError> {
    Ok(match format {
        OutputFormat::Json => pretty(&json!({
            "resourceTypes": ctx.types.iter().map(|t| json!({"resourceType": json::resource_type(t)})).collect::<Vec<_>>()
        })),
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = ctx
                .types
                .iter()
                .map(|t| {
                    let traits: Vec<&str> = t
                        .traits
                        .iter()
                        .map(|v| pb::trait_name(*v).unwrap_or("TRAIT_UNKNOWN"))
                        .collect();
                    vec![t.id.clone(), t.display_name.clone(), traits.join(", ")]
                })
                .collect();
            table(&["ID", "Display Name", "Traits"], &rows)
        }
    })
}

fn resources(
    ctx: &mut Lookup<'_>,
    filter: &InspectFilter,
    format: OutputFormat,
) -> Result<String, C1zError> {
    let list = ctx
        .reader
        .resources(&ctx.sync.id, filter.resource_type.as_deref())?;
    let list: Vec<pb::Resource> = match &filter.resource {
        Some(r) => list
            .into_iter()
            .filter(|x| rid_of(x).resource == *r)
            .collect(),
        None => list,
    };
    resource_listing(ctx, list, format)
}

fn resource_listing(
    ctx: &mut Lookup<'_>,
    list: Vec<pb::Resource>,
    format: OutputFormat,
) -> Result<String, C1zError> {
    let mut items = Vec::with_capacity(list.len());
    for r in list {
        let id = rid_of(&r);
        let referrer = format!(
            "resource {}",
            pb::resource_key(&id.resource_type, &id.resource)
        );
        let rt = ctx.resource_type(&id.resource_type, &referrer)?;
        let parent = match &r.parent_resource_id {
            Some(p) => Some(ctx.resource(p, &referrer)?),
            None => None,
        };
        items.push((r, rt, parent));
    }
    Ok(match format {
        OutputFormat::Json => pretty(&json!({
            "resources": items.iter().map(|(r, rt, p)| {
                let mut o = Map::new();
                o.insert("resource".into(), json::resource(r));
                o.insert("resourceType".into(), json::resource_type(rt));
                if let Some(p) = p {
                    o.insert("parent".into(), json::resource(p));
                }
                Value::Object(o)
            }).collect::<Vec<_>>()
        })),
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|(r, rt, p)| {
                    vec![
                        rid_of(r).resource,
                        r.display_name.clone(),
                        rt.display_name.clone(),
                        p.as_ref()
                            .map(|p| p.display_name.clone())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            table(
                &["ID", "Display Name", "Resource Type", "Parent Resource"],
                &rows,
            )
        }
    })
}

fn entitlements(
    ctx: &mut Lookup<'_>,
    filter: &InspectFilter,
    format: OutputFormat,
) -> Result<String, C1zError> {
    let list = ctx.reader.entitlements(
        &ctx.sync.id,
        filter.resource_type.as_deref(),
        filter.resource.as_deref(),
    )?;
    let mut items = Vec::with_capacity(list.len());
    for e in list {
        let referrer = format!("entitlement {}", e.id);
        let res_id = e.resource.as_ref().map(rid_of).unwrap_or_default();
        let res = ctx.resource(&res_id, &referrer)?;
        let rt = ctx.resource_type(&res_id.resource_type, &referrer)?;
        items.push((e, res, rt));
    }
    Ok(match format {
        OutputFormat::Json => pretty(&json!({
            "entitlements": items.iter().map(|(e, r, rt)| json!({
                "entitlement": json::entitlement(e),
                "resource": json::resource(r),
                "resourceType": json::resource_type(rt),
            })).collect::<Vec<_>>()
        })),
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|(e, r, rt)| {
                    vec![
                        e.id.clone(),
                        e.display_name.clone(),
                        rt.display_name.clone(),
                        r.display_name.clone(),
                        e.slug.clone(),
                    ]
                })
                .collect();
            table(
                &[
                    "ID",
                    "Display Name",
                    "Resource Type",
                    "Resource",
                    "Permission",
                ],
                &rows,
            )
        }
    })
}

struct GrantRow {
    grant: pb::Grant,
    entitlement: pb::Entitlement,
    resource: pb::Resource,
    resource_type: pb::ResourceType,
    principal: pb::Resource,
}

fn grant_rows(ctx: &mut Lookup<'_>, filter: &InspectFilter) -> Result<Vec<GrantRow>, C1zError> {
    let list = ctx.reader.grants(
        &ctx.sync.id,
        filter.entitlement.as_deref(),
        filter.resource_type.as_deref(),
        filter.resource.as_deref(),
    )?;
    let mut rows = Vec::with_capacity(list.len());
    for g in list {
        let referrer = format!("grant {}", g.id);
        let ent_id = g
            .entitlement
            .as_ref()
            .map(|e| e.id.clone())
            .unwrap_or_default();
        let entitlement = ctx.entitlement(&ent_id, &referrer)?;
        let res_id = entitlement
            .resource
            .as_ref()
            .map(rid_of)
            .unwrap_or_default();
        let resource = ctx.resource(&res_id, &referrer)?;
        let resource_type = ctx.resource_type(&res_id.resource_type, &referrer)?;
        let pid = g.principal.as_ref().map(rid_of).unwrap_or_default();
        let principal = ctx.resource(&pid, &referrer)?;
        rows.push(GrantRow {
            grant: g,
            entitlement,
            resource,
            resource_type,
            principal,
        });
    }
    Ok(rows)
}

fn grants(
    ctx: &mut Lookup<'_>,
    filter: &InspectFilter,
    format: OutputFormat,
) -> Result<String, C1zError> {
    let rows = grant_rows(ctx, filter)?;
    Ok(match format {
        OutputFormat::Json => pretty(&json!({
            "grants": rows.iter().map(|r| json!({
                "grant": json::grant(&r.grant),
                "entitlement": json::entitlement(&r.entitlement),
                "resource": json::resource(&r.resource),
                "resourceType": json::resource_type(&r.resource_type),
                "principal": json::resource(&r.principal),
            })).collect::<Vec<_>>()
        })),
        OutputFormat::Table => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.grant.id.clone(),
                        r.resource_type.display_name.clone(),
                        r.resource.display_name.clone(),
                        r.entitlement.display_name.clone(),
                        r.principal.display_name.clone(),
                    ]
                })
                .collect();
            table(
                &[
                    "ID",
                    "Resource Type",
                    "Resource",
                    "Entitlement",
                    "Principal",
                ],
                &cells,
            )
        }
    })
}

fn principals(
    ctx: &mut Lookup<'_>,
    filter: &InspectFilter,
    format: OutputFormat,
) -> Result<String, C1zError> {
    if filter.entitlement.is_none() && filter.resource.is_some() && filter.resource_type.is_none() {
        return Err(C1zError::BadFilter(
            "principals: -r needs -t (the resource's type); or filter by entitlement with -e"
                .into(),
        ));
    }
    let rows = grant_rows(ctx, filter)?;
    let mut seen = BTreeSet::new();
    let mut list = Vec::new();
    for r in rows {
        let id = rid_of(&r.principal);
        if seen.insert((id.resource_type, id.resource)) {
            list.push(r.principal);
        }
    }
    resource_listing(ctx, list, format)
}

fn stats(ctx: &Lookup<'_>, format: OutputFormat) -> Result<String, C1zError> {
    let sync = &ctx.sync.id;
    let r = ctx.reader;
    let res = r.count_by_type(ObjectTable::Resources, sync)?;
    let ents = r.count(ObjectTable::Entitlements, sync)?;
    let grants = r.count(ObjectTable::Grants, sync)?;
    Ok(match format {
        OutputFormat::Json => pretty(&json!({
            "syncId": sync,
            "resourceTypes": ctx.types.len(),
            "resources": res,
            "entitlements": ents,
            "grants": grants,
        })),
        OutputFormat::Table => {
            let mut rows = vec![vec![
                "Resource Types".to_string(),
                ctx.types.len().to_string(),
            ]];
            for t in &ctx.types {
                rows.push(vec![
                    t.display_name.clone(),
                    res.get(&t.id).copied().unwrap_or(0).to_string(),
                ]);
            }
            rows.push(vec!["Entitlements".into(), ents.to_string()]);
            rows.push(vec!["Grants".into(), grants.to_string()]);
            table(&["Type", "Count"], &rows)
        }
    })
}

fn rfc3339(local: &str) -> String {
    timestamp::parse_civil(local)
        .map(|c| timestamp::rfc3339_utc(timestamp::from_local(&c)))
        .unwrap_or_else(|| local.to_string())
}

fn syncs(reader: &C1zReader, format: OutputFormat) -> Result<String, C1zError> {
    let list = reader.syncs()?;
    Ok(match format {
        OutputFormat::Json => pretty(&json!({
            "syncs": list.iter().map(|s| {
                let mut o = Map::new();
                o.insert("id".into(), s.id.clone().into());
                o.insert("startedAt".into(), rfc3339(&s.started_at).into());
                if let Some(e) = &s.ended_at {
                    o.insert("endedAt".into(), rfc3339(e).into());
                }
                for (k, v) in [("syncToken", &s.token), ("syncType", &s.sync_type), ("parentSyncId", &s.parent_sync_id)] {
                    if !v.is_empty() {
                        o.insert(k.into(), v.clone().into());
                    }
                }
                Value::Object(o)
            }).collect::<Vec<_>>()
        })),
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    vec![
                        s.id.clone(),
                        s.started_at.clone(),
                        s.ended_at.clone().unwrap_or_default(),
                        s.sync_type.clone(),
                        s.parent_sync_id.clone(),
                        s.token.clone(),
                    ]
                })
                .collect();
            table(
                &["ID", "Started At", "Ended At", "Type", "Parent ID", "Token"],
                &rows,
            )
        }
    })
}
