//! Resolving a Baton grant id against a sync when the grant itself is not in it (it was revoked
//! earlier): a grant id is `<entitlement id>:<principal type>:<principal id>`, and all three parts
//! may contain colons, so the id is split only where the sync holds both an entitlement with the
//! id's head and a principal resource with its tail.

use c1z::{C1zEditor, C1zError, pb};

/// What a grant id names in a sync.
#[derive(Debug)]
pub enum Resolution {
    /// Exactly one entitlement and principal of the sync make up the id.
    Found {
        /// The entitlement.
        entitlement: Box<pb::Entitlement>,
        /// The principal.
        principal: Box<pb::Resource>,
    },
    /// No entitlement of the sync is a head of the id.
    NoEntitlement,
    /// Entitlements are heads of the id, but no principal of the sync is the tail of any.
    NoPrincipal {
        /// The entitlement ids that matched.
        entitlements: Vec<String>,
    },
    /// Several splits name entitlements and principals of the sync (as `<entitlement> + <type>:<id>`).
    Ambiguous(Vec<String>),
}

/// Splits `grant_id` into an entitlement and a principal of `sync`, trying every colon.
pub fn resolve(editor: &C1zEditor, sync: &str, grant_id: &str) -> Result<Resolution, C1zError> {
    let colons: Vec<usize> = grant_id.match_indices(':').map(|(i, _)| i).collect();
    let mut entitlements = Vec::new();
    let mut found = Vec::new();
    for (n, &e) in colons.iter().enumerate() {
        let Some(entitlement) = editor.entitlement(sync, &grant_id[..e])? else {
            continue;
        };
        entitlements.push(entitlement.id.clone());
        for &t in &colons[n + 1..] {
            let (principal_type, principal_id) = (&grant_id[e + 1..t], &grant_id[t + 1..]);
            if principal_type.is_empty() || principal_id.is_empty() {
                continue;
            }
            // Resource rows are keyed by "<type>:<id>", so a lookup with the colon elsewhere finds
            // the same row: keep it only for the split it really has.
            let Some(principal) = editor.resource(sync, principal_type, principal_id)? else {
                continue;
            };
            if principal
                .id
                .as_ref()
                .is_some_and(|id| id.resource_type == principal_type && id.resource == principal_id)
            {
                found.push((entitlement.clone(), principal));
            }
        }
    }
    Ok(match found.len() {
        0 if entitlements.is_empty() => Resolution::NoEntitlement,
        0 => Resolution::NoPrincipal { entitlements },
        1 => {
            let (entitlement, principal) = found.remove(0);
            Resolution::Found {
                entitlement: Box::new(entitlement),
                principal: Box::new(principal),
            }
        }
        _ => Resolution::Ambiguous(
            found
                .iter()
                .map(|(e, p)| {
                    let id = p.id.clone().unwrap_or_default();
                    format!("{} + {}:{}", e.id, id.resource_type, id.resource)
                })
                .collect(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(t: &str, id: &str) -> pb::Resource {
        pb::Resource {
            id: Some(pb::ResourceId {
                resource_type: t.into(),
                resource: id.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// A finished sync holding these entitlements (on resource `t:r`) and principals.
    fn file(
        dir: &std::path::Path,
        entitlements: &[&str],
        principals: &[(&str, &str)],
    ) -> C1zEditor {
        let path = dir.join("s.c1z");
        let mut store = c1z::SyncStore::open(&path).unwrap();
        store.start_or_resume().unwrap();
        let on = resource("t", "r");
        let mut resources = vec![on.clone()];
        resources.extend(principals.iter().map(|(t, id)| resource(t, id)));
        store.put_resources(&resources).unwrap();
        let items: Vec<pb::Entitlement> = entitlements
            .iter()
            .map(|id| pb::Entitlement {
                id: id.to_string(),
                resource: Some(on.clone()),
                ..Default::default()
            })
            .collect();
        store.put_entitlements(&items).unwrap();
        store.checkpoint("").unwrap();
        store.finish().unwrap();
        C1zEditor::open(&path).unwrap()
    }

    #[test]
    fn ids_split_where_the_sync_holds_both_parts() {
        let dir = tempfile::tempdir().unwrap();
        let editor = file(
            dir.path(),
            &["t:r:{w}:write"],
            &[("user", "{u}"), ("user_group", "{w}:devs")],
        );
        let sync = editor.latest_full_sync().unwrap();
        let found = |id: &str| match resolve(&editor, &sync, id).unwrap() {
            Resolution::Found {
                entitlement,
                principal,
            } => {
                let p = principal.id.unwrap();
                format!("{} + {}:{}", entitlement.id, p.resource_type, p.resource)
            }
            other => format!("{other:?}"),
        };
        assert_eq!(found("t:r:{w}:write:user:{u}"), "t:r:{w}:write + user:{u}");
        assert_eq!(
            found("t:r:{w}:write:user_group:{w}:devs"),
            "t:r:{w}:write + user_group:{w}:devs"
        );
        assert!(matches!(
            resolve(&editor, &sync, "t:r:{w}:read:user:{u}").unwrap(),
            Resolution::NoEntitlement
        ));
        assert!(matches!(
            resolve(&editor, &sync, "t:r:{w}:write:user:{nobody}").unwrap(),
            Resolution::NoPrincipal { entitlements } if entitlements == ["t:r:{w}:write"]
        ));
        assert!(matches!(
            resolve(&editor, &sync, "nope").unwrap(),
            Resolution::NoEntitlement
        ));
    }

    #[test]
    fn an_id_with_two_readings_is_ambiguous() {
        let dir = tempfile::tempdir().unwrap();
        // "t:r:m" + user:"a:b" and "t:r:m:user" + a:"b" both exist.
        let editor = file(
            dir.path(),
            &["t:r:m", "t:r:m:user"],
            &[("user", "a:b"), ("a", "b")],
        );
        let sync = editor.latest_full_sync().unwrap();
        let Resolution::Ambiguous(splits) = resolve(&editor, &sync, "t:r:m:user:a:b").unwrap()
        else {
            panic!("expected an ambiguity");
        };
        assert_eq!(splits, ["t:r:m + user:a:b", "t:r:m:user + a:b"]);
    }
}
