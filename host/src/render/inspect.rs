//! `connector-host inspect ...`: the Baton CLI's listing commands over a .c1z, as console tables
//! or protojson. The rows come from `c1z::listing`; this module only renders them.

use std::path::Path;

use c1z::listing::{EntitlementRow, GrantRow, ListFilter, ListStats, Listing, ResourceRow};
use c1z::{C1zError, C1zReader, SyncInfo, diff, pb, timestamp};
use serde_json::{Map, Value, json};

use super::baton_json;
use super::table::{pretty, table};

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

impl InspectFilter {
    fn list_filter(&self) -> ListFilter {
        ListFilter {
            resource_type: self.resource_type.clone(),
            resource: self.resource.clone(),
            entitlement: self.entitlement.clone(),
        }
    }
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
            OutputFormat::Json => pretty(&super::diff::json(&d)),
            OutputFormat::Table => super::diff::table(&d),
        });
    }
    if command == InspectCommand::Syncs {
        return Ok(syncs(&reader.syncs()?, format));
    }
    let mut listing = Listing::open(&reader, filter.sync_id.as_deref())?;
    let f = filter.list_filter();
    Ok(match command {
        InspectCommand::ResourceTypes => resource_types(listing.resource_types(), format),
        InspectCommand::Resources => resources(&listing.resources(&f)?, format),
        InspectCommand::Entitlements => entitlements(&listing.entitlements(&f)?, format),
        InspectCommand::Grants => grants(&listing.grants(&f)?, format),
        InspectCommand::Principals => resources(&listing.principals(&f)?, format),
        InspectCommand::Stats => stats(
            &listing.sync().id,
            listing.resource_types(),
            &listing.stats()?,
            format,
        ),
        InspectCommand::Syncs | InspectCommand::Diff => unreachable!("handled above"),
    })
}

fn resource_types(types: &[pb::ResourceType], format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => pretty(&json!({
            "resourceTypes": types.iter().map(|t| json!({"resourceType": baton_json::resource_type(t)})).collect::<Vec<_>>()
        })),
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = types
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
    }
}

fn resources(items: &[ResourceRow], format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => pretty(&json!({
            "resources": items.iter().map(|row| {
                let mut o = Map::new();
                o.insert("resource".into(), baton_json::resource(&row.resource));
                o.insert("resourceType".into(), baton_json::resource_type(&row.resource_type));
                if let Some(p) = &row.parent {
                    o.insert("parent".into(), baton_json::resource(p));
                }
                Value::Object(o)
            }).collect::<Vec<_>>()
        })),
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|row| {
                    vec![
                        row.resource.id.clone().unwrap_or_default().resource,
                        row.resource.display_name.clone(),
                        row.resource_type.display_name.clone(),
                        row.parent
                            .as_ref()
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
    }
}

fn entitlements(items: &[EntitlementRow], format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => pretty(&json!({
            "entitlements": items.iter().map(|row| json!({
                "entitlement": baton_json::entitlement(&row.entitlement),
                "resource": baton_json::resource(&row.resource),
                "resourceType": baton_json::resource_type(&row.resource_type),
            })).collect::<Vec<_>>()
        })),
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|row| {
                    vec![
                        row.entitlement.id.clone(),
                        row.entitlement.display_name.clone(),
                        row.resource_type.display_name.clone(),
                        row.resource.display_name.clone(),
                        row.entitlement.slug.clone(),
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
    }
}

fn grants(rows: &[GrantRow], format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => pretty(&json!({
            "grants": rows.iter().map(|r| json!({
                "grant": baton_json::grant(&r.grant),
                "entitlement": baton_json::entitlement(&r.entitlement),
                "resource": baton_json::resource(&r.resource),
                "resourceType": baton_json::resource_type(&r.resource_type),
                "principal": baton_json::resource(&r.principal),
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
    }
}

fn stats(sync: &str, types: &[pb::ResourceType], s: &ListStats, format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => pretty(&json!({
            "syncId": sync,
            "resourceTypes": types.len(),
            "resources": s.resources_by_type,
            "entitlements": s.entitlements,
            "grants": s.grants,
        })),
        OutputFormat::Table => {
            let mut rows = vec![vec!["Resource Types".to_string(), types.len().to_string()]];
            for t in types {
                rows.push(vec![
                    t.display_name.clone(),
                    s.resources_by_type
                        .get(&t.id)
                        .copied()
                        .unwrap_or(0)
                        .to_string(),
                ]);
            }
            rows.push(vec!["Entitlements".into(), s.entitlements.to_string()]);
            rows.push(vec!["Grants".into(), s.grants.to_string()]);
            table(&["Type", "Count"], &rows)
        }
    }
}

fn rfc3339(local: &str) -> String {
    timestamp::parse_civil(local)
        .map(|c| timestamp::rfc3339_utc(timestamp::from_local(&c)))
        .unwrap_or_else(|| local.to_string())
}

fn syncs(list: &[SyncInfo], format: OutputFormat) -> String {
    match format {
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
    }
}
