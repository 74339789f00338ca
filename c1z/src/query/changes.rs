//! What changed between the previous and the latest full sync of a file (the data of `diff`), with names: created
//! and modified objects are named from the latest sync, deleted ones from the previous sync.

use std::collections::BTreeMap;

use super::index::{AccountStatus, decoded_user_status};
use crate::diff;
use crate::error::C1zError;
use crate::pb;
use crate::reader::C1zReader;
use crate::rows::ObjectTable;
use crate::rows::decode;

/// How an object changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// Only in the latest sync.
    Created,
    /// Only in the previous sync.
    Deleted,
    /// In both, with different data.
    Modified,
}

/// A changed resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    /// How.
    pub kind: ChangeKind,
    /// Resource type id.
    pub resource_type: String,
    /// Object id.
    pub id: String,
    /// Display name (latest, or previous for a deleted one).
    pub display_name: String,
    /// Account status in the previous sync, for accounts that were there.
    pub status_before: Option<AccountStatus>,
    /// Account status in the latest sync, for accounts that are there.
    pub status_after: Option<AccountStatus>,
}

/// A changed entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementChange {
    /// How.
    pub kind: ChangeKind,
    /// Entitlement id.
    pub id: String,
    /// Its display name.
    pub display_name: String,
    /// Its resource's type id.
    pub resource_type: String,
    /// Its resource's id.
    pub resource_id: String,
    /// Its resource's display name.
    pub resource_name: String,
}

/// A changed grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantChange {
    /// How.
    pub kind: ChangeKind,
    /// Grant id.
    pub id: String,
    /// The entitlement id.
    pub entitlement_id: String,
    /// The entitlement's display name.
    pub entitlement_name: String,
    /// The entitlement's resource type id.
    pub resource_type: String,
    /// The entitlement's resource id.
    pub resource_id: String,
    /// The entitlement's resource display name.
    pub resource_name: String,
    /// The principal's type id.
    pub principal_type: String,
    /// The principal's id.
    pub principal_id: String,
    /// The principal's display name.
    pub principal_name: String,
    /// Whether it was held directly in the previous sync (None: not there).
    pub direct_before: Option<bool>,
    /// Whether it is held directly in the latest sync (None: not there).
    pub direct_after: Option<bool>,
}

/// The changes between the two newest full syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncChanges {
    /// The previous full sync.
    pub base_sync_id: String,
    /// The latest full sync.
    pub latest_sync_id: String,
    /// Changed resources, by kind then id.
    pub resources: Vec<ResourceChange>,
    /// Changed entitlements, by kind then id.
    pub entitlements: Vec<EntitlementChange>,
    /// Changed grants, by kind then id.
    pub grants: Vec<GrantChange>,
}

/// The rows of one sync, decoded on demand for names.
struct Side {
    resources: BTreeMap<String, Vec<u8>>,
    entitlements: BTreeMap<String, Vec<u8>>,
    grants: BTreeMap<String, Vec<u8>>,
}

impl Side {
    fn load(reader: &C1zReader, sync: &str) -> Result<Side, C1zError> {
        Ok(Side {
            resources: reader.rows(ObjectTable::Resources, sync)?,
            entitlements: reader.rows(ObjectTable::Entitlements, sync)?,
            grants: reader.rows(ObjectTable::Grants, sync)?,
        })
    }

    fn resource(&self, key: &str) -> Option<pb::Resource> {
        let data = self.resources.get(key)?;
        decode::<pb::Resource>("Resource", key, data).ok()
    }

    fn resource_name(&self, rt: &str, id: &str) -> String {
        self.resource(&pb::resource_key(rt, id))
            .map(|r| r.display_name)
            .unwrap_or_default()
    }

    fn entitlement(&self, id: &str) -> Option<pb::Entitlement> {
        let data = self.entitlements.get(id)?;
        decode::<pb::Entitlement>("Entitlement", id, data).ok()
    }

    fn grant_direct(&self, id: &str) -> Option<bool> {
        let data = self.grants.get(id)?;
        let g = decode::<pb::Grant>("Grant", id, data).ok()?;
        let ent = g.entitlement.map(|e| e.id).unwrap_or_default();
        let sources = g.sources.map(|s| s.sources).unwrap_or_default();
        Some(sources.is_empty() || sources.contains_key(&ent))
    }
}

fn rid(r: Option<&pb::Resource>) -> pb::ResourceId {
    r.and_then(|r| r.id.clone()).unwrap_or_default()
}

/// Compares the latest finished full sync of the file with the previous one.
pub fn sync_changes(reader: &C1zReader) -> Result<SyncChanges, C1zError> {
    let (latest_id, base_id) = diff::latest_and_previous(reader)?;
    let latest = Side::load(reader, &latest_id)?;
    let base = Side::load(reader, &base_id)?;
    let side = |k: ChangeKind| {
        if k == ChangeKind::Deleted {
            &base
        } else {
            &latest
        }
    };
    let kinds = |c: diff::Changes| {
        let mut all = Vec::new();
        for (kind, list) in [
            (ChangeKind::Created, c.created),
            (ChangeKind::Deleted, c.deleted),
            (ChangeKind::Modified, c.modified),
        ] {
            all.extend(list.into_iter().map(|(id, data)| (kind, id, data)));
        }
        all
    };

    let mut resources = Vec::new();
    for (kind, key, data) in kinds(diff::compare(&base.resources, &latest.resources)) {
        let r: pb::Resource = decode("Resource", &key, &data)?;
        let id = rid(Some(&r));
        let before = base.resource(&key);
        let after = latest.resource(&key);
        resources.push(ResourceChange {
            kind,
            status_before: before.as_ref().and_then(decoded_user_status),
            status_after: after.as_ref().and_then(decoded_user_status),
            resource_type: id.resource_type,
            id: id.resource,
            display_name: r.display_name,
        });
    }

    let mut entitlements = Vec::new();
    for (kind, id, data) in kinds(diff::compare(&base.entitlements, &latest.entitlements)) {
        let e: pb::Entitlement = decode("Entitlement", &id, &data)?;
        let res = rid(e.resource.as_ref());
        entitlements.push(EntitlementChange {
            kind,
            resource_name: side(kind).resource_name(&res.resource_type, &res.resource),
            resource_type: res.resource_type,
            resource_id: res.resource,
            display_name: e.display_name,
            id,
        });
    }

    let mut grants = Vec::new();
    for (kind, id, data) in kinds(diff::compare(&base.grants, &latest.grants)) {
        let g: pb::Grant = decode("Grant", &id, &data)?;
        let s = side(kind);
        let ent_id = g
            .entitlement
            .as_ref()
            .map(|e| e.id.clone())
            .unwrap_or_default();
        let ent = s.entitlement(&ent_id);
        let res = rid(ent
            .as_ref()
            .and_then(|e| e.resource.as_ref())
            .or(g.entitlement.as_ref().and_then(|e| e.resource.as_ref())));
        let principal = rid(g.principal.as_ref());
        grants.push(GrantChange {
            kind,
            entitlement_name: ent.map(|e| e.display_name).unwrap_or_default(),
            resource_name: s.resource_name(&res.resource_type, &res.resource),
            principal_name: s.resource_name(&principal.resource_type, &principal.resource),
            direct_before: base.grant_direct(&id),
            direct_after: latest.grant_direct(&id),
            entitlement_id: ent_id,
            resource_type: res.resource_type,
            resource_id: res.resource,
            principal_type: principal.resource_type,
            principal_id: principal.resource,
            id,
        });
    }
    Ok(SyncChanges {
        base_sync_id: base_id,
        latest_sync_id: latest_id,
        resources,
        entitlements,
        grants,
    })
}
