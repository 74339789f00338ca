//! What the credential may read in one workspace.
//!
//! Bitbucket shows a workspace's member permissions to every member, and a project's or
//! repository's explicit permissions (`permissions-config`) to that project's or repository's
//! admins: explicit admins, admins through a group or through the project, and workspace owners.
//! In a workspace the credential administers everything is readable. Elsewhere the credential's
//! own effective repository permissions (one paged listing, no admin needed) name the repositories
//! it administers; a project is taken as administered when the credential administers every one
//! of its repositories (project admins do), so no request is spent on a refusal the listing could
//! have predicted. A project without repositories cannot be told apart and is not read.

use std::collections::HashSet;

use crate::api::{OwnRepositoryPermission, Repository, nonblank};
use crate::ids::{ProjectId, norm, same_project};

/// The permission listings of one workspace the credential may read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadablePermissions {
    /// The credential administers the workspace: every listing is readable.
    pub administers_workspace: bool,
    /// The repositories it administers (normalised uuids), outside an administered workspace.
    repositories: HashSet<String>,
    /// The projects it administers, as (normalised uuid, key), outside an administered workspace.
    projects: Vec<(String, String)>,
    /// Repositories of the workspace the credential can see (0 when not listed).
    pub repositories_seen: usize,
}

impl ReadablePermissions {
    /// An administered workspace.
    pub fn administered() -> ReadablePermissions {
        ReadablePermissions {
            administers_workspace: true,
            ..ReadablePermissions::default()
        }
    }

    /// No permission listing is readable (access tokens).
    pub fn none() -> ReadablePermissions {
        ReadablePermissions::default()
    }

    /// A workspace the credential is a member of: what its own repository permissions show it
    /// administers, among the workspace's repositories.
    pub fn from_own_permissions(
        repositories: &[Repository],
        own: &[OwnRepositoryPermission],
    ) -> ReadablePermissions {
        let administered: HashSet<String> = own
            .iter()
            .filter(|p| nonblank(&p.permission) == Some("admin"))
            .map(|p| norm(&p.repository.uuid))
            .collect();
        let mut projects: Vec<(String, String)> = Vec::new();
        for r in repositories {
            let Some(p) = &r.project else { continue };
            let id = (
                p.uuid.as_deref().map(norm).unwrap_or_default(),
                p.key.clone().unwrap_or_default(),
            );
            if !projects.contains(&id) {
                projects.push(id);
            }
        }
        projects.retain(|(uuid, key)| {
            let id = ProjectId {
                workspace: String::new(),
                project: uuid.clone(),
                key: key.clone(),
            };
            repositories
                .iter()
                .filter(|r| {
                    r.project
                        .as_ref()
                        .is_some_and(|p| same_project(&id, p.uuid.as_deref(), p.key.as_deref()))
                })
                .all(|r| administered.contains(&norm(&r.uuid)))
        });
        ReadablePermissions {
            administers_workspace: false,
            repositories: administered,
            projects,
            repositories_seen: repositories.len(),
        }
    }

    /// Whether the repository's `permissions-config` is readable.
    pub fn reads_repository(&self, uuid: &str) -> bool {
        self.administers_workspace || self.repositories.contains(&norm(uuid))
    }

    /// Whether the project's `permissions-config` is (taken to be) readable.
    pub fn reads_project(&self, id: &ProjectId) -> bool {
        self.administers_workspace
            || self.projects.iter().any(|(uuid, key)| {
                same_project(id, (!uuid.is_empty()).then_some(uuid.as_str()), Some(key))
            })
    }

    /// Projects and repositories whose permissions are read, outside an administered workspace.
    pub fn administered_counts(&self) -> (usize, usize) {
        (self.projects.len(), self.repositories.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(uuid: &str, project: &str) -> Repository {
        serde_json::from_value(serde_json::json!({
            "uuid": uuid, "full_name": format!("ws/{uuid}"),
            "project": {"uuid": format!("{{{project}}}"), "key": project.to_uppercase()}
        }))
        .unwrap()
    }

    fn own(uuid: &str, permission: &str) -> OwnRepositoryPermission {
        serde_json::from_value(serde_json::json!({
            "permission": permission, "repository": {"uuid": uuid}
        }))
        .unwrap()
    }

    fn project(uuid: &str) -> ProjectId {
        ProjectId {
            workspace: "{w}".into(),
            project: format!("{{{uuid}}}"),
            key: uuid.to_uppercase(),
        }
    }

    #[test]
    fn a_project_is_read_when_every_repository_of_it_is_administered() {
        let repos = [
            repo("{R1}", "p"),
            repo("{r2}", "p"),
            repo("{r3}", "q"),
            repo("{r4}", "q"),
            repo("{r5}", "s"),
        ];
        let a = ReadablePermissions::from_own_permissions(
            &repos,
            &[
                own("{r1}", "admin"),
                own("{R2}", "admin"),
                own("{r3}", "admin"),
                own("{r4}", "write"),
                own("{r5}", "read"),
            ],
        );
        assert!(a.reads_repository("{r1}") && a.reads_repository("{r3}"));
        assert!(!a.reads_repository("{r4}") && !a.reads_repository("{r5}"));
        assert!(a.reads_project(&project("p")));
        assert!(!a.reads_project(&project("q")));
        assert!(!a.reads_project(&project("s")));
        // A project without repositories cannot be told apart from one not administered.
        assert!(!a.reads_project(&project("empty")));
        assert_eq!(a.administered_counts(), (1, 3));
        assert_eq!(a.repositories_seen, 5);
        let all = ReadablePermissions::administered();
        assert!(all.reads_project(&project("empty")) && all.reads_repository("{x}"));
        let none = ReadablePermissions::none();
        assert!(!none.reads_project(&project("p")) && !none.reads_repository("{r1}"));
    }
}
