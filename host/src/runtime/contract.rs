//! Checks that a component was built for a contract version this host implements, before
//! wasmtime's own type check gives a less helpful "matching implementation was not found".

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

/// The WIT package the host implements.
pub const CONTRACT_PACKAGE: &str = "baton:connector";
/// The current version of the WIT package.
pub const CONTRACT_VERSION: &str = "0.2.0";

/// Which contract a component was built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractVersion {
    /// `0.2.x`: the current contract.
    V0_2,
    /// `0.1.x`: run through the adapter in `bindings::since_v0_1_0`.
    V0_1,
}

impl ContractVersion {
    /// The version as written in WIT.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractVersion::V0_2 => "0.2.0",
            ContractVersion::V0_1 => "0.1.0",
        }
    }
}

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
    /// Built for a version of the package this host has no adapter for.
    #[error(
        "plugin {plugin} was built for contract {CONTRACT_PACKAGE}@{found}, which this host does not run \
         (it runs {CONTRACT_PACKAGE} 0.2.x and, through an adapter, 0.1.x); rebuild the plugin against \
         wit/connector.wit ({CONTRACT_VERSION}) or use a host that supports {found}"
    )]
    IncompatibleVersion { plugin: String, found: String },
    /// Not a connector at all.
    #[error(
        "plugin {plugin} is not a {CONTRACT_PACKAGE} component: it does not export `{missing}`; \
         build it from the world `connector` in wit/"
    )]
    MissingExport { plugin: String, missing: String },
}

/// The contract version a component was built for, from the version of its
/// `baton:connector/*` imports; refuses one the host does not run, or a component that lacks the
/// connector exports. A component importing nothing of the contract is taken as current (wasmtime's
/// type check then has the last word).
pub fn check(
    engine: &Engine,
    component: &Component,
    plugin: &str,
) -> Result<ContractVersion, ContractError> {
    let ty = component.component_type();
    let mut version = ContractVersion::V0_2;
    for (name, _) in ty.imports(engine) {
        if let Some(found) = imported_contract_version(name) {
            version = supported(found).ok_or_else(|| ContractError::IncompatibleVersion {
                plugin: plugin.to_string(),
                found: found.to_string(),
            })?;
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
    Ok(version)
}

/// `baton:connector/http@0.2.0` → `Some("0.2.0")`.
fn imported_contract_version(import: &str) -> Option<&str> {
    let rest = import.strip_prefix(CONTRACT_PACKAGE)?.strip_prefix('/')?;
    Some(rest.split_once('@').map(|(_, v)| v).unwrap_or(""))
}

/// The supported version `version` is compatible with, by wasmtime's rule: `0.M.x` within
/// `0.M`, `N.x.y` within major `N`; pre-releases never.
fn supported(version: &str) -> Option<ContractVersion> {
    let parts: Vec<&str> = version.split(['.', '-', '+']).collect();
    if version.contains('-') || parts.len() < 3 || parts[0] != "0" {
        return None;
    }
    match parts[1] {
        "2" => Some(ContractVersion::V0_2),
        "1" => Some(ContractVersion::V0_1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compatible_within_the_minor_for_zero_major() {
        assert_eq!(supported("0.2.0"), Some(ContractVersion::V0_2));
        assert_eq!(supported("0.2.7"), Some(ContractVersion::V0_2));
        assert_eq!(supported("0.1.0"), Some(ContractVersion::V0_1));
        assert_eq!(supported("0.3.0"), None);
        assert_eq!(supported("1.0.0"), None);
        assert_eq!(supported("9.0.0"), None);
        assert_eq!(supported("0.2.0-rc1"), None);
        assert_eq!(supported(""), None);
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
