//! The Baton CLI's listings of one sync (`baton resources`, `entitlements`, `grants`,
//! `principals`, `stats`) as typed rows: each object with the objects it references, as Baton's
//! `*ListOutput` wrappers hold them. A missing reference is an error naming it, as `baton` aborts
//! on one. Rendering the rows (tables, protojson) is the caller's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::error::C1zError;
use crate::pb;
use crate::reader::C1zReader;
use crate::rows::ObjectTable;
use crate::sync_runs::SyncInfo;

/// Which objects to list, as the Baton CLI's `-t`, `-r` and `-e`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// `-t`: resource type id.
    pub resource_type: Option<String>,
    /// `-r`: resource id (the object id, without the type).
    pub resource: Option<String>,
    /// `-e`: entitlement id.
    pub entitlement: Option<String>,
}

/// A resource with its type and parent (`ResourceListOutput`'s item).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    /// The resource.
    pub resource: pb::Resource,
    /// Its type.
    pub resource_type: pb::ResourceType,
    /// Its parent, if it has one.
    pub parent: Option<pb::Resource>,
}

/// An entitlement with its resource and the resource's type (`EntitlementListOutput`'s item).
#[derive(Debug, Clone, PartialEq)]
pub struct EntitlementRow {
    /// The entitlement.
    pub entitlement: pb::Entitlement,
    /// Its resource.
    pub resource: pb::Resource,
    /// The resource's type.
    pub resource_type: pb::ResourceType,
}

/// A grant with everything it references (`GrantListOutput`'s item).
#[derive(Debug, Clone, PartialEq)]
pub struct GrantRow {
    /// The grant.
    pub grant: pb::Grant,
    /// Its entitlement, as stored (not the grant's stub).
    pub entitlement: pb::Entitlement,
    /// The entitlement's resource.
    pub resource: pb::Resource,
    /// The resource's type.
    pub resource_type: pb::ResourceType,
    /// Who holds it, as stored.
    pub principal: pb::Resource,
}

/// Object counts of a sync, as `baton stats` shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListStats {
    /// Resources per resource type id.
    pub resources_by_type: BTreeMap<String, u64>,
    /// Entitlements.
    pub entitlements: u64,
    /// Grants.
    pub grants: u64,
}

/// One sync of a file, with cached lookups of the objects rows reference.
pub struct Listing<'a> {
    reader: &'a C1zReader,
    sync: SyncInfo,
    types: Vec<pb::ResourceType>,
    resources: HashMap<(String, String), pb::Resource>,
    entitlements: HashMap<String, pb::Entitlement>,
}

fn rid_of(r: &pb::Resource) -> pb::ResourceId {
    r.id.clone().unwrap_or_default()
}

impl<'a> Listing<'a> {
    /// Lists the sync `sync_id`, or the one a reader sees by default (the latest finished full sync).
    pub fn open(reader: &'a C1zReader, sync_id: Option<&str>) -> Result<Self, C1zError> {
        let sync = reader.resolve_sync(sync_id)?;
        let types = reader.resource_types(&sync.id)?;
        Ok(Listing {
            reader,
            sync,
            types,
            resources: HashMap::new(),
            entitlements: HashMap::new(),
        })
    }

    /// The sync listed.
    pub fn sync(&self) -> &SyncInfo {
        &self.sync
    }

    /// The sync's resource types, in insertion order.
    pub fn resource_types(&self) -> &[pb::ResourceType] {
        &self.types
    }

    fn resource_type(&self, id: &str, referrer: &str) -> Result<pb::ResourceType, C1zError> {
        self.types
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .ok_or_else(|| {
                C1zError::missing_reference(
                    &self.sync.id,
                    referrer.to_string(),
                    "resource type",
                    id.to_string(),
                )
            })
    }

    fn resource(&mut self, id: &pb::ResourceId, referrer: &str) -> Result<pb::Resource, C1zError> {
        let key = (id.resource_type.clone(), id.resource.clone());
        if let Some(r) = self.resources.get(&key) {
            return Ok(r.clone());
        }
        let r = self
            .reader
            .resource(&self.sync.id, &id.resource_type, &id.resource)?
            .ok_or_else(|| {
                C1zError::missing_reference(
                    &self.sync.id,
                    referrer.to_string(),
                    "resource",
                    pb::resource_key(&key.0, &key.1),
                )
            })?;
        self.resources.insert(key, r.clone());
        Ok(r)
    }

    fn entitlement(&mut self, id: &str, referrer: &str) -> Result<pb::Entitlement, C1zError> {
        if let Some(e) = self.entitlements.get(id) {
            return Ok(e.clone());
        }
        let e = self.reader.entitlement(&self.sync.id, id)?.ok_or_else(|| {
            C1zError::missing_reference(
                &self.sync.id,
                referrer.to_string(),
                "entitlement",
                id.to_string(),
            )
        })?;
        self.entitlements.insert(id.to_string(), e.clone());
        Ok(e)
    }

    /// Resources (of type `-t`; with id `-r`), in insertion order.
    pub fn resources(&mut self, filter: &ListFilter) -> Result<Vec<ResourceRow>, C1zError> {
        let list = self
            .reader
            .resources(&self.sync.id, filter.resource_type.as_deref())?;
        let list: Vec<pb::Resource> = match &filter.resource {
            Some(r) => list
                .into_iter()
                .filter(|x| rid_of(x).resource == *r)
                .collect(),
            None => list,
        };
        self.resource_rows(list)
    }

    fn resource_rows(&mut self, list: Vec<pb::Resource>) -> Result<Vec<ResourceRow>, C1zError> {
        let mut rows = Vec::with_capacity(list.len());
        for r in list {
            let id = rid_of(&r);
            let referrer = format!(
                "resource {}",
                pb::resource_key(&id.resource_type, &id.resource)
            );
            let resource_type = self.resource_type(&id.resource_type, &referrer)?;
            let parent = match &r.parent_resource_id {
                Some(p) => Some(self.resource(p, &referrer)?),
                None => None,
            };
            rows.push(ResourceRow {
                resource: r,
                resource_type,
                parent,
            });
        }
        Ok(rows)
    }

    /// Entitlements (of resource type `-t` and resource `-r`), in insertion order.
    pub fn entitlements(&mut self, filter: &ListFilter) -> Result<Vec<EntitlementRow>, C1zError> {
        let list = self.reader.entitlements(
            &self.sync.id,
            filter.resource_type.as_deref(),
            filter.resource.as_deref(),
        )?;
        let mut rows = Vec::with_capacity(list.len());
        for e in list {
            let referrer = format!("entitlement {}", e.id);
            let res_id = e.resource.as_ref().map(rid_of).unwrap_or_default();
            let resource = self.resource(&res_id, &referrer)?;
            let resource_type = self.resource_type(&res_id.resource_type, &referrer)?;
            rows.push(EntitlementRow {
                entitlement: e,
                resource,
                resource_type,
            });
        }
        Ok(rows)
    }

    /// Grants (of entitlement `-e`; on resource type `-t` and resource `-r`), in insertion order.
    pub fn grants(&mut self, filter: &ListFilter) -> Result<Vec<GrantRow>, C1zError> {
        let list = self.reader.grants(
            &self.sync.id,
            filter.entitlement.as_deref(),
            filter.resource_type.as_deref(),
            filter.resource.as_deref(),
        )?;
        let mut rows = Vec::with_capacity(list.len());
        for g in list {
            let referrer = format!("grant {}", g.id);
            let ent_id = g
                .entitlement
                .as_ref()
                .map(|e| e.id.clone())
                .unwrap_or_default();
            let entitlement = self.entitlement(&ent_id, &referrer)?;
            let res_id = entitlement
                .resource
                .as_ref()
                .map(rid_of)
                .unwrap_or_default();
            let resource = self.resource(&res_id, &referrer)?;
            let resource_type = self.resource_type(&res_id.resource_type, &referrer)?;
            let pid = g.principal.as_ref().map(rid_of).unwrap_or_default();
            let principal = self.resource(&pid, &referrer)?;
            rows.push(GrantRow {
                grant: g,
                entitlement,
                resource,
                resource_type,
                principal,
            });
        }
        Ok(rows)
    }

    /// The distinct principals of the grants `filter` selects, in the order first seen.
    pub fn principals(&mut self, filter: &ListFilter) -> Result<Vec<ResourceRow>, C1zError> {
        if filter.entitlement.is_none()
            && filter.resource.is_some()
            && filter.resource_type.is_none()
        {
            return Err(C1zError::BadFilter(
                "principals: -r needs -t (the resource's type); or filter by entitlement with -e"
                    .into(),
            ));
        }
        let rows = self.grants(filter)?;
        let mut seen = BTreeSet::new();
        let mut list = Vec::new();
        for r in rows {
            let id = rid_of(&r.principal);
            if seen.insert((id.resource_type, id.resource)) {
                list.push(r.principal);
            }
        }
        self.resource_rows(list)
    }

    /// Object counts of the sync.
    pub fn stats(&self) -> Result<ListStats, C1zError> {
        let sync = &self.sync.id;
        Ok(ListStats {
            resources_by_type: self.reader.count_by_type(ObjectTable::Resources, sync)?,
            entitlements: self.reader.count(ObjectTable::Entitlements, sync)?,
            grants: self.reader.count(ObjectTable::Grants, sync)?,
        })
    }
}
