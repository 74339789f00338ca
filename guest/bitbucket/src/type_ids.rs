//! The resource type ids, and the entitlement slug other types refer to: resource files name
//! each other's types through here, not through each other.

/// A Bitbucket workspace.
pub const WORKSPACE: &str = "workspace";
/// A Bitbucket account.
pub const USER: &str = "user";
/// A user group of a workspace.
pub const USER_GROUP: &str = "user_group";
/// A project of a workspace.
pub const PROJECT: &str = "project";
/// A repository of a project.
pub const REPOSITORY: &str = "repository";

/// A user group's membership, which grants to the group expand to.
pub const GROUP_MEMBER: &str = "member";
