//! What a sync covers: the component, the API it talks to, its non-secret configuration and the
//! identity (never the secret) of the credential. The scope is checkpointed with the sync's state,
//! and an interrupted sync is resumed only by a run with the same scope, so a rerun with other
//! settings never mixes its rows with the old run's.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::selection::SyncSelection;
use crate::credentials::Credential;

/// The scope of one sync. Holds no secret: the credential is a one-way fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncScope {
    /// The component's name, from its metadata.
    pub component: String,
    /// The component's version, from its metadata.
    pub version: String,
    /// The API base URL the host lets it reach.
    pub base_url: String,
    /// The kind of credential ("basic", "bearer", "oauth" or "none").
    pub credential_kind: String,
    /// [`credential_fingerprint`] of the credential.
    pub credential: String,
    /// The non-secret configuration handed to the component (`config.get`).
    pub config: BTreeMap<String, String>,
    /// The parts of the sync run.
    #[serde(default)]
    pub selection: SyncSelection,
}

/// One way two scopes differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeChange {
    /// Another component.
    Component {
        /// Before.
        from: String,
        /// Now.
        to: String,
    },
    /// Another version of the component.
    Version {
        /// Before.
        from: String,
        /// Now.
        to: String,
    },
    /// Another API.
    BaseUrl {
        /// Before.
        from: String,
        /// Now.
        to: String,
    },
    /// Another credential (account, consumer or token); only kinds are shown.
    Credential {
        /// The kind before.
        from_kind: String,
        /// The kind now.
        to_kind: String,
    },
    /// Another part of the sync (resource types, skipped phases).
    Selection,
    /// A configuration value was set, changed or unset.
    Config {
        /// The key.
        key: String,
        /// Before (`None`: unset).
        from: Option<String>,
        /// Now (`None`: unset).
        to: Option<String>,
    },
}

impl SyncScope {
    /// How `self` differs from `earlier`, field by field; empty when they are the same.
    pub fn changes_since(&self, earlier: &SyncScope) -> Vec<ScopeChange> {
        let mut changes = Vec::new();
        let pair = |a: &String, b: &String| (a != b).then(|| (a.clone(), b.clone()));
        if let Some((from, to)) = pair(&earlier.component, &self.component) {
            changes.push(ScopeChange::Component { from, to });
        }
        if let Some((from, to)) = pair(&earlier.version, &self.version) {
            changes.push(ScopeChange::Version { from, to });
        }
        if let Some((from, to)) = pair(&earlier.base_url, &self.base_url) {
            changes.push(ScopeChange::BaseUrl { from, to });
        }
        if earlier.credential != self.credential || earlier.credential_kind != self.credential_kind
        {
            changes.push(ScopeChange::Credential {
                from_kind: earlier.credential_kind.clone(),
                to_kind: self.credential_kind.clone(),
            });
        }
        let keys: std::collections::BTreeSet<&String> =
            earlier.config.keys().chain(self.config.keys()).collect();
        for key in keys {
            let (from, to) = (earlier.config.get(key), self.config.get(key));
            // The host hands the base URL and credential kind to the component as config too:
            // a change already named above is not named again.
            let typed = |s: &SyncScope| match key.as_str() {
                "base-url" => Some(s.base_url.clone()),
                "auth-kind" => Some(s.credential_kind.clone()),
                _ => None,
            };
            let said = from.cloned() == typed(earlier) && to.cloned() == typed(self);
            if from != to && !said {
                changes.push(ScopeChange::Config {
                    key: key.clone(),
                    from: from.cloned(),
                    to: to.cloned(),
                });
            }
        }
        if self.selection != earlier.selection {
            changes.push(ScopeChange::Selection);
        }
        changes
    }
}

/// A one-way fingerprint of who the credential is: the account (username) of Basic auth, the
/// consumer key of OAuth, a hash of the token for Bearer. A rotated password or consumer secret
/// keeps the fingerprint; another account, consumer or token changes it. Nothing secret can be
/// recovered from it (the token enters only as its own SHA-256).
pub fn credential_fingerprint(credential: Option<&Credential>) -> String {
    let mut h = Sha256::new();
    h.update(b"connector-host sync scope credential v1\0");
    match credential {
        None => h.update(b"none"),
        Some(Credential::Basic { username, .. }) => {
            h.update(b"basic\0");
            h.update(username.as_bytes());
        }
        Some(Credential::Bearer(token)) => {
            h.update(b"bearer\0");
            h.update(token.sha256());
        }
        Some(Credential::OAuthClientCredentials { key, token_url, .. }) => {
            h.update(b"oauth\0");
            h.update(key.as_bytes());
            h.update(b"\0");
            h.update(token_url.as_str().as_bytes());
        }
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Longest configuration value shown in a message; longer ones are only said to have changed.
const SHOWN_VALUE: usize = 80;

fn shown(value: &Option<String>) -> String {
    match value {
        None => "unset".to_string(),
        Some(v) if v.is_empty() => "\"\"".to_string(),
        Some(v) if v.chars().count() > SHOWN_VALUE => "a long value".to_string(),
        Some(v) => format!("{v:?}"),
    }
}

impl fmt::Display for ScopeChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeChange::Component { from, to } => write!(f, "component {from:?} → {to:?}"),
            ScopeChange::Version { from, to } => write!(f, "component version {from} → {to}"),
            ScopeChange::BaseUrl { from, to } => write!(f, "base URL {from} → {to}"),
            ScopeChange::Credential { from_kind, to_kind } if from_kind == to_kind => {
                write!(f, "another {to_kind} credential")
            }
            ScopeChange::Credential { from_kind, to_kind } => {
                write!(f, "credential {from_kind} → {to_kind}")
            }
            ScopeChange::Config { key, from, to } => {
                write!(f, "{key} {} → {}", shown(from), shown(to))
            }
            ScopeChange::Selection => {
                write!(f, "the parts synced (resource types, skipped phases)")
            }
        }
    }
}

/// The changes as one phrase: "workspaces \"acme\" → \"\"; skip-user-status ...".
pub fn describe(changes: &[ScopeChange]) -> String {
    changes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    fn scope() -> SyncScope {
        SyncScope {
            component: "Tickets".into(),
            version: "0.1.0".into(),
            base_url: "http://127.0.0.1:4000".into(),
            credential_kind: "basic".into(),
            credential: credential_fingerprint(Some(&Credential::Basic {
                username: "a@example.com".into(),
                password: Secret::new("pw"),
            })),
            config: [
                ("base-url", "http://127.0.0.1:4000"),
                ("workspaces", "acme"),
                ("skip-user-status", "false"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            selection: Default::default(),
        }
    }

    #[test]
    fn the_same_scope_has_no_changes_and_each_field_is_named() {
        let a = scope();
        assert!(a.changes_since(&a.clone()).is_empty());

        let mut b = a.clone();
        b.config.insert("workspaces".into(), String::new());
        b.config.remove("skip-user-status");
        b.config.insert("fixture".into(), "x".repeat(200));
        assert_eq!(
            describe(&b.changes_since(&a)),
            "fixture unset → a long value; skip-user-status \"false\" → unset; workspaces \"acme\" → \"\""
        );

        let mut c = a.clone();
        c.base_url = "http://127.0.0.1:5000".into();
        c.config
            .insert("base-url".into(), "http://127.0.0.1:5000".into());
        c.version = "0.2.0".into();
        assert_eq!(
            describe(&c.changes_since(&a)),
            "component version 0.1.0 → 0.2.0; base URL http://127.0.0.1:4000 → http://127.0.0.1:5000"
        );
    }

    #[test]
    fn the_credential_fingerprint_names_the_identity_not_the_secret() {
        let basic = |user: &str, pw: &str| {
            credential_fingerprint(Some(&Credential::Basic {
                username: user.into(),
                password: Secret::new(pw),
            }))
        };
        // A rotated token of the same account is the same identity; another account is not.
        assert_eq!(basic("a@example.com", "old"), basic("a@example.com", "new"));
        assert_ne!(basic("a@example.com", "pw"), basic("b@example.com", "pw"));
        let bearer = |t: &str| credential_fingerprint(Some(&Credential::Bearer(Secret::new(t))));
        assert_ne!(bearer("token-1"), bearer("token-2"));
        let fp = bearer("token-1");
        assert_eq!(fp.len(), 64);
        assert!(!fp.contains("token-1"));
        assert_ne!(fp, hex(&Sha256::digest(b"token-1")));
        assert_ne!(credential_fingerprint(None), bearer(""));

        let mut a = scope();
        let before = a.clone();
        a.credential = bearer("token-1");
        a.credential_kind = "bearer".into();
        assert_eq!(
            describe(&a.changes_since(&before)),
            "credential basic → bearer"
        );
        let mut b = before.clone();
        b.credential = basic("b@example.com", "pw");
        assert_eq!(
            describe(&b.changes_since(&before)),
            "another basic credential"
        );
    }
}
