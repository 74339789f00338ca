//! `capabilities`: what the plugin syncs and provisions, per resource type, in the shape of Baton's
//! `baton_capabilities.json` (`c1.connector.v2.ConnectorCapabilities` as protojson).
//!
//! The contract has no provisioning flag, so the host applies a documented rule
//! (docs/provisioning.md): every resource type is synced; a type is provisionable when it carries
//! the `group` trait (its resources hold members or permissions the connector can change).
//! Workspaces (no trait) and users (`user` trait) are therefore sync-only.

use serde_json::{Value, json};

use crate::cli::{CapabilitiesArgs, GlobalArgs, OutputFormat};
use crate::runtime::types as wit;
use crate::sync::convert;

/// Baton's `Capability` enum names.
pub const SYNC: &str = "CAPABILITY_SYNC";
/// Baton's `Capability` enum name for grant/revoke.
pub const PROVISION: &str = "CAPABILITY_PROVISION";

/// Whether the host treats resources of this type as provisionable (see the module doc).
pub fn provisionable(rt: &wit::ResourceType) -> bool {
    rt.traits.contains(&wit::ResourceTrait::Group)
}

/// Asks the plugin for its resource types (no credential, no request) and renders the capabilities.
pub async fn run(args: &GlobalArgs, cap: &CapabilitiesArgs) -> anyhow::Result<String> {
    let mut instance = super::sync::prepare(args, false).await?.instance;
    let types = instance.resource_types().await?;
    Ok(match cap.output {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&document(&types)).expect("JSON values serialize") + "\n"
        }
        OutputFormat::Table => table(&types),
    })
}

/// The `ConnectorCapabilities` document.
pub fn document(types: &[wit::ResourceType]) -> Value {
    let per_type: Vec<Value> = types
        .iter()
        .map(|rt| {
            let mut caps = vec![SYNC];
            if provisionable(rt) {
                caps.push(PROVISION);
            }
            json!({
                "resourceType": crate::render::baton_json::resource_type(&convert::resource_type(rt)),
                "capabilities": caps,
            })
        })
        .collect();
    let mut connector = Vec::new();
    if types.iter().any(provisionable) {
        connector.push(PROVISION);
    }
    connector.push(SYNC);
    json!({
        "@type": "type.googleapis.com/c1.connector.v2.ConnectorCapabilities",
        "resourceTypeCapabilities": per_type,
        "connectorCapabilities": connector,
    })
}

fn table(types: &[wit::ResourceType]) -> String {
    let width = types.iter().map(|t| t.id.len()).max().unwrap_or(4).max(13);
    let mut out = format!("{:<width$}  sync  provision\n", "resource type");
    for rt in types {
        out.push_str(&format!(
            "{:<width$}  yes   {}\n",
            rt.id,
            if provisionable(rt) { "yes" } else { "no" }
        ));
    }
    out
}
