//! What a sync covers short of everything: ConductorOne's sync-task flags and Baton's
//! `--sync-resource-types`, `--skip-entitlements-and-grants` and `--skip-grants`.

use serde::{Deserialize, Serialize};

/// The parts of a full sync to run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSelection {
    /// Only these resource types (and their resources, entitlements and grants); all when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_types: Vec<String>,
    /// Resources only: no entitlements, grants or expansion.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_entitlements_and_grants: bool,
    /// Resources and entitlements: no grants or expansion.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_grants: bool,
    /// Everything but grant expansion.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_expand_grants: bool,
}

impl SyncSelection {
    /// Whether resources of `resource_type` are synced.
    pub fn includes(&self, resource_type: &str) -> bool {
        self.resource_types.is_empty() || self.resource_types.iter().any(|t| t == resource_type)
    }

    /// Whether entitlements are listed.
    pub fn lists_entitlements(&self) -> bool {
        !self.skip_entitlements_and_grants
    }

    /// Whether grants are listed.
    pub fn lists_grants(&self) -> bool {
        !self.skip_entitlements_and_grants && !self.skip_grants
    }

    /// Whether group grants are expanded to their holders.
    pub fn expands_grants(&self) -> bool {
        self.lists_grants() && !self.skip_expand_grants
    }

    /// Whether this is the whole sync.
    pub fn is_everything(&self) -> bool {
        *self == SyncSelection::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipping_entitlements_skips_what_depends_on_them() {
        let all = SyncSelection::default();
        assert!(all.is_everything() && all.includes("x") && all.expands_grants());
        let no_ents = SyncSelection {
            skip_entitlements_and_grants: true,
            ..SyncSelection::default()
        };
        assert!(
            !no_ents.lists_entitlements() && !no_ents.lists_grants() && !no_ents.expands_grants()
        );
        let no_grants = SyncSelection {
            skip_grants: true,
            ..SyncSelection::default()
        };
        assert!(no_grants.lists_entitlements() && !no_grants.lists_grants());
        let some = SyncSelection {
            resource_types: vec!["user".into()],
            ..SyncSelection::default()
        };
        assert!(some.includes("user") && !some.includes("project"));
        assert_eq!(serde_json::to_string(&all).unwrap(), "{}");
    }
}
