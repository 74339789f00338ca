//! What one instance keeps of what it read, so each listing is asked once per instance. Every
//! entry is filled on first use, so a fresh instance (a resumed sync) refetches what it needs.

use std::collections::HashMap;
use std::rc::Rc;

use crate::api::{Group10, GroupPrivilegeGroup, Membership, Repository, WorkspaceBase};
use crate::readable::ReadablePermissions;

/// A workspace the sync covers, as `/2.0/user/workspaces` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ws {
    /// Its uuid, with braces.
    pub uuid: String,
    /// Its slug; empty when unknown.
    pub slug: String,
    /// Whether the credential administers it.
    pub admin: bool,
}

impl Ws {
    /// The path segment for 2.0 and 1.0 calls: the slug (1.0 requires it), else the uuid.
    pub fn path(&self) -> &str {
        if self.slug.is_empty() {
            &self.uuid
        } else {
            &self.slug
        }
    }
}

/// A workspace's members, from `/permissions` (with roles) or `/members` (without).
#[derive(Debug, Default)]
pub struct MemberList {
    /// The members, each once.
    pub members: Vec<Membership>,
    /// Whether `permission` (the role) was listed.
    pub has_roles: bool,
}

/// Group privileges of a workspace's repositories, by lower-case `full_name`.
pub type GroupPrivileges = HashMap<String, Vec<(GroupPrivilegeGroup, String)>>;

/// The instance's cache. Maps are keyed by normalised workspace uuid (`ids::norm`), statuses
/// by normalised user uuid.
#[derive(Debug, Default)]
pub struct Cache {
    /// The workspaces the sync covers.
    pub workspaces: Option<Rc<Vec<Ws>>>,
    /// `/2.0/workspaces/{ws}`.
    pub details: HashMap<String, Rc<WorkspaceBase>>,
    /// Members (and roles).
    pub members: HashMap<String, Rc<MemberList>>,
    /// `/1.0/groups/{ws}`, members embedded.
    pub groups: HashMap<String, Rc<Vec<Group10>>>,
    /// Why Bitbucket refused a workspace's user group listing.
    pub groups_refused: HashMap<String, String>,
    /// `/2.0/repositories/{ws}`.
    pub repos: HashMap<String, Rc<Vec<Repository>>>,
    /// `/1.0/group-privileges/{ws}`; `None` when that listing failed.
    pub group_privileges: HashMap<String, Option<Rc<GroupPrivileges>>>,
    /// What the credential may read per workspace.
    pub access: HashMap<String, Rc<ReadablePermissions>>,
    /// Account status per user (`None`: looked up, unknown).
    pub statuses: HashMap<String, Option<String>>,
}
