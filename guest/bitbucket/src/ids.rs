//! Composite resource ids, identical to the Go connector's:
//! user_group `<ws uuid>:<group slug>`, project `<ws uuid>:<project uuid>:<KEY>`,
//! repository `<ws uuid>:<project uuid>:<KEY>:<repo uuid>`. Uuids keep their braces.

use connector_sdk::ConnectorError;

/// A user group id, decomposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupId {
    /// The workspace uuid.
    pub workspace: String,
    /// The group slug.
    pub slug: String,
}

/// A project id, decomposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectId {
    /// The workspace uuid.
    pub workspace: String,
    /// The project uuid.
    pub project: String,
    /// The project key.
    pub key: String,
}

/// A repository id, decomposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryId {
    /// The project it belongs to.
    pub project: ProjectId,
    /// The repository uuid.
    pub repository: String,
}

/// `<workspace uuid>:<group slug>`.
pub fn compose_group(workspace_uuid: &str, slug: &str) -> String {
    format!("{workspace_uuid}:{slug}")
}

/// `<workspace uuid>:<project uuid>:<project key>`.
pub fn compose_project(workspace_uuid: &str, project_uuid: &str, key: &str) -> String {
    format!("{workspace_uuid}:{project_uuid}:{key}")
}

/// `<project id>:<repository uuid>`.
pub fn compose_repository(project_id: &str, repo_uuid: &str) -> String {
    format!("{project_id}:{repo_uuid}")
}

fn split<const N: usize>(id: &str, what: &str, form: &str) -> Result<[String; N], ConnectorError> {
    let parts: Vec<&str> = id.split(':').collect();
    if parts.len() != N || parts.iter().any(|p| p.trim().is_empty()) {
        return Err(ConnectorError::InvalidArgument(format!(
            "'{id}' is not a valid {what} id: expected {form}"
        )));
    }
    Ok(std::array::from_fn(|i| parts[i].to_string()))
}

/// A user group id's parts, or an invalid-argument error saying the expected form.
pub fn decompose_group(id: &str) -> Result<GroupId, ConnectorError> {
    let [workspace, slug] = split::<2>(id, "user_group", "<workspace uuid>:<group slug>")?;
    Ok(GroupId { workspace, slug })
}

/// A project id's parts, or an invalid-argument error saying the expected form.
pub fn decompose_project(id: &str) -> Result<ProjectId, ConnectorError> {
    let [workspace, project, key] = split::<3>(
        id,
        "project",
        "<workspace uuid>:<project uuid>:<project key>",
    )?;
    Ok(ProjectId {
        workspace,
        project,
        key,
    })
}

/// A repository id's parts, or an invalid-argument error saying the expected form.
pub fn decompose_repository(id: &str) -> Result<RepositoryId, ConnectorError> {
    let [workspace, project, key, repository] = split::<4>(
        id,
        "repository",
        "<workspace uuid>:<project uuid>:<project key>:<repository uuid>",
    )?;
    Ok(RepositoryId {
        project: ProjectId {
            workspace,
            project,
            key,
        },
        repository,
    })
}

impl ProjectId {
    /// The project id again.
    pub fn compose(&self) -> String {
        compose_project(&self.workspace, &self.project, &self.key)
    }
}

/// Whether a project id names the project a repository or listing refers to (uuid, else key).
pub fn same_project(id: &ProjectId, uuid: Option<&str>, key: Option<&str>) -> bool {
    match (uuid, key) {
        (Some(u), _) if !u.is_empty() => same_uuid(u, &id.project),
        (_, Some(k)) => k == id.key,
        _ => false,
    }
}

/// A uuid or slug without surrounding blanks and braces. Byte by byte: all of them are ASCII.
fn bare(id: &str) -> &str {
    let id = id.trim_ascii();
    let bytes = id.as_bytes();
    let start = bytes.iter().position(|&b| b != b'{').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b'}')
        .map_or(start, |e| e + 1);
    &id[start..end.max(start)]
}

/// A uuid or slug normalised for comparison: lower-case, without braces.
pub fn norm(id: &str) -> String {
    bare(id).to_ascii_lowercase()
}

/// Whether two Bitbucket uuids are the same (case-insensitive, braces optional). Compares in
/// place: listings filter thousands of repositories per project with it.
pub fn same_uuid(a: &str, b: &str) -> bool {
    !a.is_empty() && bare(a).eq_ignore_ascii_case(bare(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "{a15fb181-db1f-48f7-b41f-e1eff06929d6}";
    const PR: &str = "{cfb0022f-0000-4000-8000-000000000001}";
    const RE: &str = "{545d507d-0000-4000-8000-000000000002}";

    #[test]
    fn group_round_trip() {
        let id = compose_group(WS, "developers");
        assert_eq!(id, format!("{WS}:developers"));
        let g = decompose_group(&id).unwrap();
        assert_eq!(g.workspace, WS);
        assert_eq!(g.slug, "developers");
    }

    #[test]
    fn project_and_repository_round_trip() {
        let p = compose_project(WS, PR, "API");
        let r = compose_repository(&p, RE);
        assert_eq!(r.split(':').count(), 4);
        let d = decompose_repository(&r).unwrap();
        assert_eq!(d.project.compose(), p);
        assert_eq!(d.repository, RE);
        assert_eq!(d.project.key, "API");
        assert_eq!(decompose_project(&p).unwrap().project, PR);
    }

    #[test]
    fn wrong_shapes_are_invalid_argument() {
        assert!(matches!(
            decompose_group("nocolon"),
            Err(ConnectorError::InvalidArgument(_))
        ));
        assert!(decompose_group("a:b:c").is_err());
        assert!(decompose_group("a:").is_err());
        assert!(decompose_project("a:b").is_err());
        assert!(decompose_repository("a:b:c").is_err());
        assert!(decompose_repository("a:b:c:d:e").is_err());
    }

    #[test]
    fn uuids_compare_loosely() {
        assert!(same_uuid(WS, &WS.to_uppercase()));
        assert!(same_uuid(WS, WS.trim_matches(|c| c == '{' || c == '}')));
        assert!(!same_uuid("", ""));
        assert!(same_uuid(" {Ab-1} ", "ab-1"));
        assert!(!same_uuid("{ab-1}", "{ab-12}"));
        assert_eq!(norm("{ABC}"), "abc");
        assert_eq!(norm(" {{}} "), "");
        assert_eq!(norm("x}"), "x");
    }
}
