//! Typed queries for access reviews over one .c1z file: effective access with how each entitlement is held
//! (directly or through which groups), holders of an entitlement, search by name, review findings, and what
//! changed since the previous full sync. Rendering (tables, JSON, spreadsheets, HTML) belongs to the callers.
//!
//! [`AccessIndex::load`] reads one sync into memory once; every query then runs on that index without SQL.

pub mod access;
pub mod changes;
pub mod index;
pub mod review;
pub mod search;

pub use access::{Holding, Route};
pub use changes::{
    ChangeKind, EntitlementChange, GrantChange, ResourceChange, SyncChanges, sync_changes,
};
pub use index::{
    AccessIndex, AccountStatus, EntitlementInfo, EntitlementRef, GrantInfo, GrantRef, ResourceInfo,
    ResourceRef, ResourceTypeInfo, SourceRef, UserInfo,
};
pub use review::{DormantAccess, ReviewFindings, is_privileged};
pub use search::{MatchQuality, MatchedField, SearchHit, SearchResults};
