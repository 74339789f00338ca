//! One file per resource type, each a `ResourceSyncer`, plus what projects and repositories
//! share (`permissions`). A new resource type is one file here and one line in `SYNCERS`.

pub mod permissions;
pub mod project;
pub mod repository;
pub mod user;
pub mod user_group;
pub mod workspace;

use connector_sdk::ResourceSyncer;

use crate::instance::Bitbucket;

/// The registry: every resource type the connector syncs, in the order they are listed.
pub const SYNCERS: &[&dyn ResourceSyncer<Bitbucket>] = &[
    &workspace::WorkspaceSyncer,
    &user::UserSyncer,
    &user_group::UserGroupSyncer,
    &project::ProjectSyncer,
    &repository::RepositorySyncer,
];
