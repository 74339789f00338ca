//! One sync of a file loaded into memory once, with the lookups every access-review query needs: resources by id
//! and type, entitlements by resource, grants by principal and by entitlement. Only what the queries read is kept
//! (names, user details, grant sources), so a sync of 50,000 grants takes a few MiB.

use std::collections::{BTreeMap, HashMap};

use prost_types::value::Kind;

use crate::error::{C1zError, SqlContext};
use crate::pb;
use crate::reader::C1zReader;
use crate::rows::decode;
use crate::sync_runs::SyncInfo;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            /// Position in the index's list (load order).
            pub fn index(self) -> usize {
                self.0 as usize
            }

            fn at(i: usize) -> Self {
                $name(u32::try_from(i).expect("fewer than 2^32 objects in one sync"))
            }
        }
    };
}

handle!(
    /// A resource of the index.
    ResourceRef
);
handle!(
    /// An entitlement of the index.
    EntitlementRef
);
handle!(
    /// A grant of the index.
    GrantRef
);

/// A user account's status, as the connector reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountStatus {
    /// Deleted (Bitbucket: closed).
    Deleted,
    /// Disabled (Bitbucket: inactive).
    Disabled,
    /// Not known.
    Unspecified,
    /// Enabled (Bitbucket: active).
    Enabled,
}

impl AccountStatus {
    fn from_proto(v: i32) -> AccountStatus {
        match pb::StatusValue::try_from(v) {
            Ok(pb::StatusValue::Enabled) => AccountStatus::Enabled,
            Ok(pb::StatusValue::Disabled) => AccountStatus::Disabled,
            Ok(pb::StatusValue::Deleted) => AccountStatus::Deleted,
            _ => AccountStatus::Unspecified,
        }
    }

    /// A stable lower-case identifier: `enabled`, `disabled`, `deleted` or `unspecified`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Enabled => "enabled",
            AccountStatus::Disabled => "disabled",
            AccountStatus::Deleted => "deleted",
            AccountStatus::Unspecified => "unspecified",
        }
    }
}

/// A resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceTypeInfo {
    /// Type id, e.g. `repository`.
    pub id: String,
    /// Human name, e.g. `Repository`.
    pub display_name: String,
    /// Its traits.
    pub traits: Vec<pb::Trait>,
}

impl ResourceTypeInfo {
    /// The display name, or the id when there is none.
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.id
        } else {
            &self.display_name
        }
    }
}

/// What the user trait of an account says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// Login name.
    pub login: String,
    /// Email addresses, primary first.
    pub emails: Vec<String>,
    /// Whether the first of `emails` is marked primary.
    pub has_primary_email: bool,
    /// Account status; None when the trait carries no status at all.
    pub status: Option<AccountStatus>,
    /// The connector's own word for the status (Bitbucket: `active`, `inactive`, `closed`).
    pub status_details: String,
    /// The string values of the trait's profile (`first_name`, `last_name`, `user_id`, ...).
    pub profile: BTreeMap<String, String>,
    /// Structured given name.
    pub given_name: String,
    /// Structured family name.
    pub family_name: String,
}

impl UserInfo {
    /// The primary email address, if one is marked primary.
    pub fn primary_email(&self) -> Option<&str> {
        self.has_primary_email
            .then(|| self.emails.first().map(String::as_str))
            .flatten()
    }

    /// A profile string value.
    pub fn profile_value(&self, key: &str) -> Option<&str> {
        self.profile.get(key).map(String::as_str)
    }

    /// The status, reading "no status" as unspecified.
    pub fn effective_status(&self) -> AccountStatus {
        self.status.unwrap_or(AccountStatus::Unspecified)
    }
}

/// A resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// Resource type id.
    pub resource_type: String,
    /// Object id (without the type).
    pub id: String,
    /// Human name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// The parent resource, when it is in the sync.
    pub parent: Option<ResourceRef>,
    /// The user trait, for accounts.
    pub user: Option<UserInfo>,
}

impl ResourceInfo {
    /// The display name, or the id when there is none.
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.id
        } else {
            &self.display_name
        }
    }
}

/// An entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementInfo {
    /// `<type>:<resource>:<slug>`.
    pub id: String,
    /// Human name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Short name (`member`, `admin`, ...).
    pub slug: String,
    /// Purpose.
    pub purpose: pb::Purpose,
    /// The resource it belongs to.
    pub resource: ResourceRef,
}

/// Where an expanded grant comes from: another entitlement the principal holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRef {
    /// An entitlement of the sync (for Bitbucket, a user group's `member`).
    Entitlement(EntitlementRef),
    /// An entitlement id that is not in the sync.
    Missing(String),
}

/// A grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantInfo {
    /// `<entitlement id>:<principal type>:<principal id>`.
    pub id: String,
    /// What is granted.
    pub entitlement: EntitlementRef,
    /// To whom.
    pub principal: ResourceRef,
    /// Held directly: no sources, or the grant's own entitlement among them (baton-sdk's expander records a
    /// grant that existed before expansion that way).
    pub direct: bool,
    /// The other entitlements it is held through.
    pub sources: Vec<SourceRef>,
}

/// One sync of a file, in memory.
pub struct AccessIndex {
    sync: SyncInfo,
    types: Vec<ResourceTypeInfo>,
    resources: Vec<ResourceInfo>,
    entitlements: Vec<EntitlementInfo>,
    grants: Vec<GrantInfo>,
    /// Type id → object id → resource: nested so lookups borrow instead of building a key.
    resource_ids: HashMap<String, HashMap<String, ResourceRef>>,
    entitlement_ids: HashMap<String, EntitlementRef>,
    by_type: BTreeMap<String, Vec<ResourceRef>>,
    children: Vec<Vec<ResourceRef>>,
    entitlements_of: Vec<Vec<EntitlementRef>>,
    grants_of_principal: Vec<Vec<GrantRef>>,
    grants_of_entitlement: Vec<Vec<GrantRef>>,
    grant_by_pair: HashMap<(EntitlementRef, ResourceRef), GrantRef>,
}

/// The fields of `Entitlement` the index keeps; the embedded resource (field 1) is skipped unread.
#[derive(Clone, PartialEq, prost::Message)]
struct EntitlementView {
    #[prost(string, tag = "2")]
    id: String,
    #[prost(string, tag = "3")]
    display_name: String,
    #[prost(string, tag = "4")]
    description: String,
    #[prost(enumeration = "pb::Purpose", tag = "7")]
    purpose: i32,
    #[prost(string, tag = "8")]
    slug: String,
}

/// Only `Grant.sources`: the ids come from the row's columns, so the embedded entitlement and principal are skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct GrantSourcesView {
    #[prost(message, optional, tag = "5")]
    sources: Option<pb::GrantSources>,
}

/// A stored row: `N` text columns, then the data blob.
type Row<const N: usize> = ([String; N], Vec<u8>);

/// The rows of `sql` (bound to the sync id).
fn rows<const N: usize>(
    reader: &C1zReader,
    what: &str,
    sql: &str,
    sync: &str,
) -> Result<Vec<Row<N>>, C1zError> {
    let ctx = format!("loading {what}");
    let mut stmt = reader.connection().prepare(sql).ctx(&ctx)?;
    stmt.query_map([sync], |r| {
        let text: Vec<String> = (0..N).map(|i| r.get(i)).collect::<Result<_, _>>()?;
        let text: [String; N] = text.try_into().expect("N columns were read");
        Ok((text, r.get(N)?))
    })
    .ctx(&ctx)?
    .collect::<Result<_, _>>()
    .ctx(&ctx)
}

fn profile_strings(s: Option<&pb::Struct>) -> BTreeMap<String, String> {
    s.map(|s| {
        s.fields
            .iter()
            .filter_map(|(k, v)| match &v.kind {
                Some(Kind::StringValue(x)) => Some((k.clone(), x.clone())),
                _ => None,
            })
            .collect()
    })
    .unwrap_or_default()
}

fn user_info(t: pb::UserTrait) -> UserInfo {
    let mut emails: Vec<&pb::Email> = t.emails.iter().collect();
    // Primary first, keeping the connector's order otherwise.
    emails.sort_by_key(|e| !e.is_primary);
    let name = t.structured_name.unwrap_or_default();
    UserInfo {
        login: t.login,
        has_primary_email: emails.first().is_some_and(|e| e.is_primary),
        emails: emails.iter().map(|e| e.address.clone()).collect(),
        status: t
            .status
            .as_ref()
            .map(|s| AccountStatus::from_proto(s.status)),
        status_details: t.status.map(|s| s.details).unwrap_or_default(),
        profile: profile_strings(t.profile.as_ref()),
        given_name: name.given_name,
        family_name: name.family_name,
    }
}

impl AccessIndex {
    /// Loads the sync `sync_id`, or the one a reader sees by default (the latest finished full sync).
    pub fn load(reader: &C1zReader, sync_id: Option<&str>) -> Result<AccessIndex, C1zError> {
        let sync = reader.resolve_sync(sync_id)?;
        let types = reader
            .resource_types(&sync.id)?
            .into_iter()
            .map(|t| ResourceTypeInfo {
                traits: t
                    .traits
                    .iter()
                    .filter_map(|v| pb::Trait::try_from(*v).ok())
                    .collect(),
                id: t.id,
                display_name: t.display_name,
            })
            .collect();
        let mut index = AccessIndex {
            sync,
            types,
            resources: Vec::new(),
            entitlements: Vec::new(),
            grants: Vec::new(),
            resource_ids: HashMap::new(),
            entitlement_ids: HashMap::new(),
            by_type: BTreeMap::new(),
            children: Vec::new(),
            entitlements_of: Vec::new(),
            grants_of_principal: Vec::new(),
            grants_of_entitlement: Vec::new(),
            grant_by_pair: HashMap::new(),
        };
        index.load_resources(reader)?;
        index.load_entitlements(reader)?;
        index.load_grants(reader)?;
        Ok(index)
    }

    fn load_resources(&mut self, reader: &C1zReader) -> Result<(), C1zError> {
        let list = rows::<1>(
            reader,
            "resources",
            "SELECT external_id, data FROM v1_resources WHERE sync_id = ?1 ORDER BY id",
            &self.sync.id,
        )?;
        let mut parents = Vec::with_capacity(list.len());
        for ([key], data) in list {
            let r: pb::Resource = decode("Resource", &key, &data)?;
            let id = r.id.clone().unwrap_or_default();
            let at = ResourceRef::at(self.resources.len());
            self.resource_ids
                .entry(id.resource_type.clone())
                .or_default()
                .insert(id.resource.clone(), at);
            self.by_type
                .entry(id.resource_type.clone())
                .or_default()
                .push(at);
            parents.push(r.parent_resource_id.clone());
            self.resources.push(ResourceInfo {
                resource_type: id.resource_type,
                id: id.resource,
                user: pb::pick::<pb::UserTrait>(&r.annotations).map(user_info),
                display_name: r.display_name,
                description: r.description,
                parent: None,
            });
        }
        self.children = vec![Vec::new(); self.resources.len()];
        for (i, parent) in parents.into_iter().enumerate() {
            // A parent outside the sync is left out, as baton's resource listing shows it blank.
            let parent = parent.and_then(|p| self.find_resource(&p.resource_type, &p.resource));
            if let Some(p) = parent {
                self.children[p.index()].push(ResourceRef::at(i));
            }
            self.resources[i].parent = parent;
        }
        Ok(())
    }

    fn load_entitlements(&mut self, reader: &C1zReader) -> Result<(), C1zError> {
        let list = rows::<3>(
            reader,
            "entitlements",
            "SELECT external_id, resource_type_id, resource_id, data FROM v1_entitlements WHERE sync_id = ?1 \
             ORDER BY id",
            &self.sync.id,
        )?;
        self.entitlements_of = vec![Vec::new(); self.resources.len()];
        for ([id, rt, res], data) in list {
            let view: EntitlementView = decode("Entitlement", &id, &data)?;
            let resource = self.find_resource(&rt, &res).ok_or_else(|| {
                C1zError::missing_reference(
                    &self.sync.id,
                    format!("entitlement {id}"),
                    "resource",
                    pb::resource_key(&rt, &res),
                )
            })?;
            let at = EntitlementRef::at(self.entitlements.len());
            self.entitlement_ids.insert(id.clone(), at);
            self.entitlements_of[resource.index()].push(at);
            self.entitlements.push(EntitlementInfo {
                id,
                display_name: view.display_name,
                description: view.description,
                slug: view.slug,
                purpose: pb::Purpose::try_from(view.purpose).unwrap_or(pb::Purpose::Unspecified),
                resource,
            });
        }
        Ok(())
    }

    fn load_grants(&mut self, reader: &C1zReader) -> Result<(), C1zError> {
        let list = rows::<4>(
            reader,
            "grants",
            "SELECT external_id, entitlement_id, principal_resource_type_id, principal_resource_id, data \
             FROM v1_grants WHERE sync_id = ?1 ORDER BY id",
            &self.sync.id,
        )?;
        self.grants_of_principal = vec![Vec::new(); self.resources.len()];
        self.grants_of_entitlement = vec![Vec::new(); self.entitlements.len()];
        for ([id, ent, prt, pid], data) in list {
            let referrer = || format!("grant {id}");
            let entitlement = self.find_entitlement(&ent).ok_or_else(|| {
                C1zError::missing_reference(&self.sync.id, referrer(), "entitlement", ent.clone())
            })?;
            let principal = self.find_resource(&prt, &pid).ok_or_else(|| {
                C1zError::missing_reference(
                    &self.sync.id,
                    referrer(),
                    "resource",
                    pb::resource_key(&prt, &pid),
                )
            })?;
            let view: GrantSourcesView = decode("Grant", &id, &data)?;
            let sources = view.sources.map(|s| s.sources).unwrap_or_default();
            let direct = sources.is_empty() || sources.contains_key(&ent);
            let sources = sources
                .into_keys()
                .filter(|s| *s != ent)
                .map(|s| match self.find_entitlement(&s) {
                    Some(e) => SourceRef::Entitlement(e),
                    None => SourceRef::Missing(s),
                })
                .collect();
            let at = GrantRef::at(self.grants.len());
            self.grants_of_principal[principal.index()].push(at);
            self.grants_of_entitlement[entitlement.index()].push(at);
            self.grant_by_pair.insert((entitlement, principal), at);
            self.grants.push(GrantInfo {
                id,
                entitlement,
                principal,
                direct,
                sources,
            });
        }
        Ok(())
    }

    /// The sync loaded.
    pub fn sync(&self) -> &SyncInfo {
        &self.sync
    }

    /// Every resource type, in load order.
    pub fn resource_types(&self) -> &[ResourceTypeInfo] {
        &self.types
    }

    /// A resource type by id.
    pub fn resource_type(&self, id: &str) -> Option<&ResourceTypeInfo> {
        self.types.iter().find(|t| t.id == id)
    }

    /// The display name of a resource type id, or the id itself.
    pub fn type_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.resource_type(id).map_or(id, ResourceTypeInfo::name)
    }

    /// A resource.
    pub fn resource(&self, r: ResourceRef) -> &ResourceInfo {
        &self.resources[r.index()]
    }

    /// A resource by type and id.
    pub fn find_resource(&self, resource_type: &str, id: &str) -> Option<ResourceRef> {
        self.resource_ids.get(resource_type)?.get(id).copied()
    }

    /// Every resource, in load order.
    pub fn resources(&self) -> impl ExactSizeIterator<Item = (ResourceRef, &ResourceInfo)> {
        self.resources
            .iter()
            .enumerate()
            .map(|(i, r)| (ResourceRef::at(i), r))
    }

    /// The resources of one type, in load order.
    pub fn resources_of_type(&self, resource_type: &str) -> &[ResourceRef] {
        self.by_type.get(resource_type).map_or(&[], Vec::as_slice)
    }

    /// Resources whose parent is `r`, in load order.
    pub fn children(&self, r: ResourceRef) -> &[ResourceRef] {
        &self.children[r.index()]
    }

    /// Whether resources of this type carry the given trait.
    pub fn type_has_trait(&self, resource_type: &str, t: pb::Trait) -> bool {
        self.resource_type(resource_type)
            .is_some_and(|rt| rt.traits.contains(&t))
    }

    /// An entitlement.
    pub fn entitlement(&self, e: EntitlementRef) -> &EntitlementInfo {
        &self.entitlements[e.index()]
    }

    /// An entitlement by id.
    pub fn find_entitlement(&self, id: &str) -> Option<EntitlementRef> {
        self.entitlement_ids.get(id).copied()
    }

    /// Every entitlement, in load order.
    pub fn entitlements(
        &self,
    ) -> impl ExactSizeIterator<Item = (EntitlementRef, &EntitlementInfo)> {
        self.entitlements
            .iter()
            .enumerate()
            .map(|(i, e)| (EntitlementRef::at(i), e))
    }

    /// The entitlements of a resource, in load order.
    pub fn entitlements_of(&self, r: ResourceRef) -> &[EntitlementRef] {
        &self.entitlements_of[r.index()]
    }

    /// A grant.
    pub fn grant(&self, g: GrantRef) -> &GrantInfo {
        &self.grants[g.index()]
    }

    /// Every grant, in load order.
    pub fn grants(&self) -> impl ExactSizeIterator<Item = (GrantRef, &GrantInfo)> {
        self.grants
            .iter()
            .enumerate()
            .map(|(i, g)| (GrantRef::at(i), g))
    }

    /// The grants held by a principal, in load order.
    pub fn grants_of_principal(&self, r: ResourceRef) -> &[GrantRef] {
        &self.grants_of_principal[r.index()]
    }

    /// The grants of an entitlement, in load order.
    pub fn grants_of_entitlement(&self, e: EntitlementRef) -> &[GrantRef] {
        &self.grants_of_entitlement[e.index()]
    }

    /// The grant of `e` to `principal`, if any.
    pub fn find_grant(&self, e: EntitlementRef, principal: ResourceRef) -> Option<GrantRef> {
        self.grant_by_pair.get(&(e, principal)).copied()
    }
}

impl std::fmt::Debug for AccessIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessIndex")
            .field("sync", &self.sync.id)
            .field("resources", &self.resources.len())
            .field("entitlements", &self.entitlements.len())
            .field("grants", &self.grants.len())
            .finish()
    }
}

/// Decoding helper shared with the change view: a resource's user status, if it is an account.
pub(crate) fn decoded_user_status(r: &pb::Resource) -> Option<AccountStatus> {
    pb::pick::<pb::UserTrait>(&r.annotations).map(|t| {
        t.status.map_or(AccountStatus::Unspecified, |s| {
            AccountStatus::from_proto(s.status)
        })
    })
}
