//! The sync engine's state: an explicit stack of actions with their page tokens, serialized as
//! JSON into the sync run's `sync_token` at every checkpoint so a killed sync resumes where it was.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::scope::SyncScope;

/// What an action does, in Baton's vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// Pushes the phases in order.
    Init,
    /// Lists resource types.
    ListResourceTypes,
    /// With no type: pushes one listing per resource type; with a type: lists its resources.
    ListResources,
    /// With no resource: walks stored resources; with one: lists its entitlements.
    ListEntitlements,
    /// With no resource: walks stored resources; with one: lists its grants.
    ListGrants,
    /// Expands grant-expandable grants.
    GrantExpansion,
}

/// One unit of work. Empty strings mean "not set", as in Baton's token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// What to do.
    pub operation: Operation,
    /// Where the listing stopped (a plugin page token, or a stored-resource cursor for walks).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page_token: String,
    /// The resource type listed, or of the resource the action is about.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_type_id: String,
    /// The resource the action is about.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_id: String,
    /// The parent's type, for child resource listings.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parent_resource_type_id: String,
    /// The parent's id, for child resource listings.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parent_resource_id: String,
}

impl Action {
    /// An action with only its operation set.
    pub fn new(operation: Operation) -> Action {
        Action {
            operation,
            page_token: String::new(),
            resource_type_id: String::new(),
            resource_id: String::new(),
            parent_resource_type_id: String::new(),
            parent_resource_id: String::new(),
        }
    }

    /// The same action, continuing at `token`.
    pub fn at(&self, token: &str) -> Action {
        Action {
            page_token: token.to_string(),
            ..self.clone()
        }
    }

    /// A walk over stored resources (no resource set) rather than one resource's listing.
    pub fn is_walk(&self) -> bool {
        self.resource_type_id.is_empty()
    }
}

/// The whole engine state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// Format marker, so a token written by another tool is recognised as foreign.
    pub version: u32,
    /// The action stack; the last entry runs next.
    pub actions: Vec<Action>,
    /// Whether some grant asked for expansion.
    #[serde(default)]
    pub needs_expansion: bool,
    /// Actions finished so far.
    #[serde(default)]
    pub completed_actions_count: u64,
    /// What the sync covers; only a run with the same scope resumes it.
    #[serde(default)]
    pub scope: SyncScope,
    /// State its surroundings keep across runs, by key (see `carried.rs`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub carried: BTreeMap<String, serde_json::Value>,
}

/// The token format version this engine writes (2: with the scope).
pub const STATE_VERSION: u32 = 2;

impl SyncState {
    /// A fresh sync of `scope`.
    pub fn start(scope: SyncScope) -> SyncState {
        SyncState {
            version: STATE_VERSION,
            actions: vec![Action::new(Operation::Init)],
            needs_expansion: false,
            completed_actions_count: 0,
            scope,
            carried: BTreeMap::new(),
        }
    }

    /// Reads a checkpointed token. An empty token (a sync killed before its first checkpoint,
    /// which committed nothing) starts fresh with `scope`.
    pub fn from_token(token: &str, scope: &SyncScope) -> Result<SyncState, String> {
        if token.trim().is_empty() {
            return Ok(SyncState::start(scope.clone()));
        }
        let state: SyncState = serde_json::from_str(token)
            .map_err(|e| format!("its checkpoint is unreadable ({e})"))?;
        if state.version != STATE_VERSION {
            return Err(format!(
                "it was checkpointed by an incompatible version (token version {})",
                state.version
            ));
        }
        Ok(state)
    }

    /// The token to checkpoint.
    pub fn to_token(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_round_trips_and_omits_empty_fields() {
        let mut state = SyncState::start(SyncScope {
            component: "Tickets".into(),
            ..Default::default()
        });
        state.actions.push(Action {
            operation: Operation::ListResources,
            page_token: "p2".into(),
            resource_type_id: "repository".into(),
            parent_resource_type_id: "project".into(),
            parent_resource_id: "a:b:C".into(),
            resource_id: String::new(),
        });
        let token = state.to_token();
        assert!(token.contains(r#""operation":"list-resources""#));
        assert!(token.contains(r#""component":"Tickets""#));
        assert!(!token.contains("resource_id\":\"\""));
        let other = SyncScope::default();
        assert_eq!(SyncState::from_token(&token, &other).unwrap(), state);
        assert_eq!(
            SyncState::from_token("", &other).unwrap(),
            SyncState::start(other.clone())
        );
        assert!(SyncState::from_token("{\"actions\":[]}", &other).is_err());
        // A version 1 token (no scope) is another version's.
        let v1 = token.replace("\"version\":2", "\"version\":1");
        assert!(SyncState::from_token(&v1, &other).is_err());
    }
}
