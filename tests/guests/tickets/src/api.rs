//! The ticket tracker's JSON shapes and endpoint templates.

use serde::Deserialize;

/// Items asked per page.
pub const PER_PAGE: &str = "100";

/// The user listing.
pub const EP_USERS: &str = "GET /users";
/// The project listing.
pub const EP_PROJECTS: &str = "GET /projects";
/// One project.
pub const EP_PROJECT: &str = "GET /projects/{key}";
/// Setting a member's role.
pub const EP_MEMBER_PUT: &str = "PUT /projects/{key}/members/{user}";
/// Removing a member.
pub const EP_MEMBER_DELETE: &str = "DELETE /projects/{key}/members/{user}";

/// A user.
#[derive(Clone, Debug, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// A project with its members.
#[derive(Clone, Debug, Deserialize)]
pub struct Project {
    pub key: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub members: Vec<Member>,
}

/// A member of a project and their role.
#[derive(Clone, Debug, Deserialize)]
pub struct Member {
    pub user: String,
    pub role: String,
}
