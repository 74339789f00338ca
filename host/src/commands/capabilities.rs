//! `capabilities`: what the plugin syncs and provisions, per resource type, in the shape of Baton's
//! `baton_capabilities.json` (`c1.connector.v2.ConnectorCapabilities` as protojson).
//!
//! Every resource type is synced; a type is provisionable when the component's metadata says what
//! can be granted on it (a 0.1.0 component cannot say, so its types are sync-only).

use serde_json::{Value, json};

use crate::cli::{CapabilitiesArgs, OutputFormat};
use crate::component::DeclaredComponent;
use crate::http::{HttpCapability, HttpSettings};
use crate::runtime::types as wit;
use crate::sync::convert;

/// Baton's `Capability` enum names.
pub const SYNC: &str = "CAPABILITY_SYNC";
/// Baton's `Capability` enum name for grant/revoke.
pub const PROVISION: &str = "CAPABILITY_PROVISION";

/// Asks the component for its resource types (no credential, no request) and renders what each
/// can do, with what its metadata says it provisions.
pub async fn run(component: &DeclaredComponent, cap: &CapabilitiesArgs) -> anyhow::Result<String> {
    let limits = cap.limits.run_limits();
    let http = HttpCapability::new(HttpSettings::default(), None)?;
    let mut config = std::collections::BTreeMap::new();
    config.insert("auth-kind".to_string(), "none".to_string());
    let mut instance = component
        .plugin
        .instantiate(&limits.sandbox, http, config)
        .await?;
    let types = instance.resource_types().await?;
    let provisioning = component.provisioning();
    Ok(match cap.output {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&document(&types, provisioning))
                .expect("JSON values serialize")
                + "\n"
        }
        OutputFormat::Table => table(&types, provisioning),
    })
}

/// What can be granted on a type, if anything.
fn provisioned<'a>(
    rt: &wit::ResourceType,
    provisioning: &'a [wit::Provisioning],
) -> Option<&'a wit::Provisioning> {
    provisioning
        .iter()
        .find(|p| p.resource_type == rt.id && !p.slugs.is_empty())
}

/// The `ConnectorCapabilities` document.
pub fn document(types: &[wit::ResourceType], provisioning: &[wit::Provisioning]) -> Value {
    let per_type: Vec<Value> = types
        .iter()
        .map(|rt| {
            let mut caps = vec![SYNC];
            if provisioned(rt, provisioning).is_some() {
                caps.push(PROVISION);
            }
            json!({
                "resourceType": crate::render::baton_json::resource_type(&convert::resource_type(rt)),
                "capabilities": caps,
            })
        })
        .collect();
    let mut connector = Vec::new();
    if types
        .iter()
        .any(|rt| provisioned(rt, provisioning).is_some())
    {
        connector.push(PROVISION);
    }
    connector.push(SYNC);
    json!({
        "@type": "type.googleapis.com/c1.connector.v2.ConnectorCapabilities",
        "resourceTypeCapabilities": per_type,
        "connectorCapabilities": connector,
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
