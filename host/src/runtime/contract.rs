//! Checks that a component was built for a contract version this host implements, before
//! wasmtime's own type check gives a less helpful "matching implementation was not found".

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

/// The WIT package the host implements.
pub const CONTRACT_PACKAGE: &str = "baton:connector";
/// The version of the WIT package the host implements.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The exports every connector component must have.
const REQUIRED_EXPORTS: [&str; 8] = [
    "metadata",
    "validate",
    "resource-types",
    "list-resources",
    "list-entitlements",
    "list-grants",
    "grant",
    "revoke",
];

/// Why a component does not fit the contract.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// Built for another version of the package.
    #[error(
        "plugin {plugin} was built for contract {CONTRACT_PACKAGE}@{found}, but this host implements \
         {CONTRACT_PACKAGE}@{CONTRACT_VERSION}; rebuild the plugin against a 0.1.x contract or use a host that supports {found}"
    )]
    IncompatibleVersion { plugin: String, found: String },
    /// Not a connector at all.
    #[error(
        "plugin {plugin} is not a {CONTRACT_PACKAGE} component: it does not export `{missing}`; \
         build it from the world `connector` in wit/"
    )]
    MissingExport { plugin: String, missing: String },
}

/// Refuses a component whose `baton:connector/*` imports carry an incompatible version, or
/// that lacks the connector exports.
pub fn check(engine: &Engine, component: &Component, plugin: &str) -> Result<(), ContractError> {
    let ty = component.component_type();
    for (name, _) in ty.imports(engine) {
        if let Some(version) = imported_contract_version(name)
            && !compatible(version)
        {
            return Err(ContractError::IncompatibleVersion {
                plugin: plugin.to_string(),
                found: version.to_string(),
            });
        }
    }
    let exported: Vec<(String, bool)> = ty
        .exports(engine)
        .map(|(name, item)| {
            (
                name.to_string(),
                matches!(item.ty, ComponentItem::ComponentFunc(_)),
            )
        })
        .collect();
    for required in REQUIRED_EXPORTS {
        if !exported
            .iter()
            .any(|(name, is_func)| *is_func && name == required)
        {
            return Err(ContractError::MissingExport {
                plugin: plugin.to_string(),
                missing: required.to_string(),
            });
        }
    }
    Ok(())
}

/// `baton:connector/http@0.2.0` → `Some("0.2.0")`.
fn imported_contract_version(import: &str) -> Option<&str> {
    let rest = import.strip_prefix(CONTRACT_PACKAGE)?.strip_prefix('/')?;
    Some(rest.split_once('@').map(|(_, v)| v).unwrap_or(""))
}

/// Same rule as wasmtime's: `0.M.x` is compatible within `0.M`, `N.x.y` within major `N`.
fn compatible(version: &str) -> bool {
    let ours: Vec<&str> = CONTRACT_VERSION.split('.').collect();
    let theirs: Vec<&str> = version.split(['.', '-', '+']).collect();
    if version.contains('-') || theirs.len() < 3 {
        return false;
    }
    if ours[0] == "0" {
        theirs[0] == "0" && theirs[1] == ours[1]
    } else {
        theirs[0] == ours[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compatible_within_the_minor_for_zero_major() {
        assert!(compatible("0.1.0"));
        assert!(compatible("0.1.7"));
        assert!(!compatible("0.2.0"));
        assert!(!compatible("1.1.0"));
        assert!(!compatible("0.1.0-rc1"));
        assert!(!compatible(""));
    }

    #[test]
    fn parses_the_version_of_a_contract_import() {
        assert_eq!(
            imported_contract_version("baton:connector/http@0.2.0"),
            Some("0.2.0")
        );
        assert_eq!(imported_contract_version("wasi:io/poll@0.2.6"), None);
        assert_eq!(imported_contract_version("baton:connector/log"), Some(""));
    }
}
