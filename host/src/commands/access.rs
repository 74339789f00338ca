//! `inspect access` (everything a principal holds, and how) and `inspect holders` (everyone holding an
//! entitlement, and how), as tables with names or as JSON with names and ids.

use std::path::Path;

use anyhow::Context;
use c1z::C1zReader;
use c1z::query::{AccessIndex, Holding, ResourceRef, Route};
use serde_json::{Value, json};

use super::wording::{email, handle, how_kind, how_text, principal_label, status_word};
use crate::cli::{InspectArgs, InspectWhat, OutputFormat};
use crate::render::table::{pretty, table};

/// Opens `file` and loads one sync (`sync_id`, or the latest full sync) for the access queries.
pub fn open_reader(file: &Path) -> anyhow::Result<C1zReader> {
    C1zReader::open(file).with_context(|| {
        format!(
            "cannot read {}; name a .c1z file with -f FILE (a sync or `demo` writes one)",
            file.display()
        )
    })
}

/// Runs `inspect access` or `inspect holders` on `file`.
pub fn run(file: &Path, args: &InspectArgs) -> anyhow::Result<String> {
    let reader = open_reader(file)?;
    let index = AccessIndex::load(&reader, args.sync_id.as_deref())?;
    match args.what {
        InspectWhat::Access => access(&index, args),
        InspectWhat::Holders => holders(&index, args),
        other => unreachable!("{other:?} is not an access query"),
    }
}

fn access(index: &AccessIndex, args: &InspectArgs) -> anyhow::Result<String> {
    let needle = args.resource.as_deref().context(
        "inspect access needs the principal: -t TYPE -r ID (for example -t user -r '{uuid}'); -r also takes a \
         login, e-mail or unique display name",
    )?;
    let principal = index.resolve_resource(args.resource_type.as_deref(), needle)?;
    let list = index.access_of(principal);
    Ok(match args.output.format {
        OutputFormat::Json => pretty(&json!({
            "principal": principal_json(index, principal),
            "access": list.iter().map(|h| holding_json(index, h)).collect::<Vec<_>>(),
        })),
        OutputFormat::Table => {
            let p = index.resource(principal);
            let mut out = format!(
                "Access of {} {}{}: {} entitlement{}\n",
                index.type_name(&p.resource_type),
                principal_label(index, principal),
                status_word(index, principal)
                    .map(|s| format!(", account {s}"))
                    .unwrap_or_default(),
                list.len(),
                if list.len() == 1 { "" } else { "s" },
            );
            let mut headers = vec!["Resource Type", "Resource", "Entitlement", "How"];
            if args.show_ids {
                headers.extend(["Resource ID", "Entitlement ID"]);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|h| {
                    let e = index.entitlement(h.entitlement);
                    let r = index.resource(e.resource);
                    let mut row = vec![
                        index.type_name(&r.resource_type).to_string(),
                        r.name().to_string(),
                        e.slug.clone(),
                        how_text(index, h),
                    ];
                    if args.show_ids {
                        row.extend([r.id.clone(), e.id.clone()]);
                    }
                    row
                })
                .collect();
            out.push_str(&table(&headers, &rows));
            out
        }
    })
}

fn holders(index: &AccessIndex, args: &InspectArgs) -> anyhow::Result<String> {
    let id = args.entitlement.as_deref().context(
        "inspect holders needs the entitlement: -e ID (list them with `inspect entitlements -t TYPE -r ID`)",
    )?;
    let entitlement = index
        .find_entitlement(id)
        .ok_or_else(|| c1z::C1zError::NotFound {
            what: format!("entitlement {id:?}"),
            sync_id: index.sync().id.clone(),
            hint: "list the entitlements of a resource with `inspect entitlements -t TYPE -r ID`"
                .into(),
        })?;
    let list = index.holders_of(entitlement);
    let e = index.entitlement(entitlement);
    let r = index.resource(e.resource);
    Ok(match args.output.format {
        OutputFormat::Json => pretty(&json!({
            "entitlement": {
                "id": e.id,
                "displayName": e.display_name,
                "slug": e.slug,
                "resource": resource_json(index, e.resource),
            },
            "holders": list.iter().map(|h| {
                let mut v = holding_json(index, h);
                v["principal"] = principal_json(index, h.principal);
                v
            }).collect::<Vec<_>>(),
        })),
        OutputFormat::Table => {
            let mut out = format!(
                "Holders of {} {} {}: {} principal{}\n",
                index.type_name(&r.resource_type),
                r.name(),
                e.slug,
                list.len(),
                if list.len() == 1 { "" } else { "s" },
            );
            let mut headers = vec!["Principal Type", "Principal", "Login", "Status", "How"];
            if args.show_ids {
                headers.push("Principal ID");
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|h| {
                    let p = index.resource(h.principal);
                    let mut row = vec![
                        index.type_name(&p.resource_type).to_string(),
                        p.name().to_string(),
                        handle(index, h.principal).unwrap_or_default().to_string(),
                        status_word(index, h.principal)
                            .unwrap_or_default()
                            .to_string(),
                        how_text(index, h),
                    ];
                    if args.show_ids {
                        row.push(p.id.clone());
                    }
                    row
                })
                .collect();
            out.push_str(&table(&headers, &rows));
            out
        }
    })
}

fn resource_json(index: &AccessIndex, r: ResourceRef) -> Value {
    let res = index.resource(r);
    json!({
        "resourceType": res.resource_type,
        "id": res.id,
        "displayName": res.display_name,
    })
}

fn principal_json(index: &AccessIndex, r: ResourceRef) -> Value {
    let mut v = resource_json(index, r);
    if let Some(user) = &index.resource(r).user {
        v["login"] = user.login.clone().into();
        if let Some(e) = email(index, r) {
            v["email"] = e.into();
        }
        v["status"] = user.effective_status().as_str().into();
    }
    v
}

fn route_json(index: &AccessIndex, route: &Route) -> Value {
    Value::Array(
        route
            .steps
            .iter()
            .map(|e| {
                let ent = index.entitlement(*e);
                json!({
                    "entitlementId": ent.id,
                    "slug": ent.slug,
                    "resource": resource_json(index, ent.resource),
                })
            })
            .collect(),
    )
}

fn holding_json(index: &AccessIndex, h: &Holding) -> Value {
    let e = index.entitlement(h.entitlement);
    let mut v = json!({
        "grantId": index.grant(h.grant).id,
        "entitlement": {
            "id": e.id,
            "displayName": e.display_name,
            "slug": e.slug,
        },
        "resource": resource_json(index, e.resource),
        "how": how_kind(h),
        "direct": h.direct,
        "through": h.routes.iter().map(|r| route_json(index, r)).collect::<Vec<_>>(),
    });
    if !h.missing_sources.is_empty() {
        v["missingSources"] = h.missing_sources.clone().into();
    }
    v
}
