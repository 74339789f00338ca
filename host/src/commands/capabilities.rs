//! `capabilities`: what the plugin syncs and provisions, per resource type, in the shape of Baton's
//! `baton_capabilities.json` (`c1.connector.v2.ConnectorCapabilities` as protojson).
//!
//! Every resource type is synced; a type is provisionable when the component's metadata says what
//! can be granted on it (a 0.1.0 component cannot say, so its types are sync-only).

use c1z::pb;
use serde_json::{Value, json};

use crate::cli::{CapabilitiesArgs, OutputFormat};
use crate::component::DeclaredComponent;
use crate::operations::capabilities::{self, connector_capabilities, provisioned};
use crate::runtime::types as wit;

/// Asks the component for its resource types (no credential, no request) and renders what each
/// can do, with what its metadata says it provisions.
pub async fn run(component: &DeclaredComponent, cap: &CapabilitiesArgs) -> anyhow::Result<String> {
    let limits = cap.limits.run_limits();
    let types = capabilities::resource_types(component, &limits.sandbox).await?;
    let provisioning = component.provisioning();
    Ok(match cap.output {
        OutputFormat::Json => {
            let caps = connector_capabilities(&types, provisioning);
            serde_json::to_string_pretty(&document(&caps)).expect("JSON values serialize") + "\n"
        }
        OutputFormat::Table => table(&types, provisioning),
    })
}

/// The name protojson gives a `Capability` value.
fn capability_name(v: i32) -> Value {
    match pb::Capability::try_from(v) {
        Ok(c) => Value::from(c.as_str_name()),
        Err(_) => Value::from(v),
    }
}

/// The `ConnectorCapabilities` document, as protojson prints it in `baton_capabilities.json`.
pub fn document(caps: &pb::ConnectorCapabilities) -> Value {
    let per_type: Vec<Value> = caps
        .resource_type_capabilities
        .iter()
        .map(|c| {
            json!({
                "resourceType": crate::render::baton_json::resource_type(
                    &c.resource_type.clone().unwrap_or_default()
                ),
                "capabilities": c.capabilities.iter().copied().map(capability_name).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "@type": "type.googleapis.com/c1.connector.v2.ConnectorCapabilities",
        "resourceTypeCapabilities": per_type,
        "connectorCapabilities": caps.connector_capabilities.iter().copied().map(capability_name).collect::<Vec<_>>(),
    })
}

fn table(types: &[wit::ResourceType], provisioning: &[wit::Provisioning]) -> String {
    let width = types.iter().map(|t| t.id.len()).max().unwrap_or(4).max(13);
    let mut out = format!(
        "{:<width$}  sync  provision  what can be granted and revoked\n",
        "resource type"
    );
    for rt in types {
        let (yes, what) = match provisioned(rt, provisioning) {
            Some(p) => (
                "yes",
                format!(
                    "{}, to {}",
                    p.slugs.join(", "),
                    p.principal_types.join(" and ")
                ),
            ),
            None => ("no", String::new()),
        };
        let line = format!("{:<width$}  yes   {yes:<9}  {what}", rt.id);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
