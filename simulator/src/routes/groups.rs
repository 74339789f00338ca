//! The 1.0 leftovers: `/1.0/groups/…` (groups and membership) and `/1.0/group-privileges/…`.
//!
//! Bare JSON arrays and objects, no paging. The workspace must be given by slug: a `{uuid}` is
//! refused with 403.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{ApiResult, permission_user, require_owner, require_user_write, visible_ws};
use crate::access;
use crate::auth::Caller;
use crate::data::{Dataset, Group, Repository, Workspace};
use crate::render::{ApiError, member_v1, team_v1};
use crate::{AppState, lock};

/// Resolves the 1.0 workspace (slug only) for reading: owners, and members when the rules say so.
fn ws_v1(st: &AppState, data: &Dataset, caller: &Caller, id: &str) -> Result<usize, ApiError> {
    let wi = ws_v1_slug(data, caller, id)?;
    let user = permission_user(caller)?;
    if !access::reads_legacy_groups(&data.workspaces[wi], user, st.read_rules) {
        return Err(ApiError::forbidden(
            "You do not have administrator access to this workspace.",
        ));
    }
    Ok(wi)
}

/// Resolves the 1.0 workspace for changing group membership: owners only.
fn ws_v1_write(data: &Dataset, caller: &Caller, id: &str) -> Result<usize, ApiError> {
    let wi = ws_v1_slug(data, caller, id)?;
    require_owner(data, caller, wi)?;
    Ok(wi)
}

fn ws_v1_slug(data: &Dataset, caller: &Caller, id: &str) -> Result<usize, ApiError> {
    if id.starts_with('{') {
        return Err(ApiError::forbidden(
            "The 1.0 groups API requires the workspace slug, not its UUID.",
        ));
    }
    visible_ws(data, caller, id)
}

fn group_v1(data: &Dataset, ws: &Workspace, g: &Group) -> Value {
    json!({
        "name": g.name,
        "slug": g.slug,
        "permission": g.permission,
        "auto_add": false,
        "email_forwarding_disabled": false,
        "owner": team_v1(ws),
        "members": g.members.iter().filter_map(|m| data.user(m)).map(member_v1).collect::<Vec<_>>()
    })
}

fn group_index(ws: &Workspace, slug: &str) -> Result<usize, ApiError> {
    ws.group_index(slug)
        .ok_or_else(|| ApiError::not_found(&format!("Group {slug} not found")))
}

/// `GET /1.0/groups/{workspace}`: every group with its members embedded.
pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(ws_id): Path<String>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = ws_v1(&st, &data, &caller, &ws_id)?;
    let ws = &data.workspaces[wi];
    let v: Vec<Value> = ws.groups.iter().map(|g| group_v1(&data, ws, g)).collect();
    Ok(Json(v).into_response())
}

/// `GET /1.0/groups/{workspace}/{group_slug}/members`.
pub(crate) async fn members(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(p): Path<HashMap<String, String>>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = ws_v1(&st, &data, &caller, &p["workspace"])?;
    let ws = &data.workspaces[wi];
    let g = &ws.groups[group_index(ws, &p["group_slug"])?];
    let v: Vec<Value> = g
        .members
        .iter()
        .filter_map(|m| data.user(m))
        .map(member_v1)
        .collect();
    Ok(Json(v).into_response())
}

/// `GET /1.0/groups/{workspace}/{group_slug}/members/{member}`.
pub(crate) async fn member_get(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(p): Path<HashMap<String, String>>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = ws_v1(&st, &data, &caller, &p["workspace"])?;
    let ws = &data.workspaces[wi];
    let g = &ws.groups[group_index(ws, &p["group_slug"])?];
    let u = data
        .find_user(&p["member"])
        .filter(|u| g.members.contains(&u.uuid))
        .ok_or_else(|| ApiError::not_found("Not a member of this group"))?;
    Ok(Json(member_v1(u)).into_response())
}

/// `PUT /1.0/groups/{workspace}/{group_slug}/members/{member}`: 200 with the member object
/// (also when already a member); the user must be a workspace member.
pub(crate) async fn member_put(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(p): Path<HashMap<String, String>>,
) -> ApiResult {
    let mut data = lock(&st.data);
    let wi = ws_v1_write(&data, &caller, &p["workspace"])?;
    require_user_write(&caller)?;
    let gi = group_index(&data.workspaces[wi], &p["group_slug"])?;
    let id = &p["member"];
    let u = data
        .find_user(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(&format!("User {id} not found")))?;
    let ws = &mut data.workspaces[wi];
    if ws.role(&u.uuid).is_none() {
        return Err(ApiError::bad_request(
            "The user is not a member of this workspace",
        ));
    }
    let g = &mut ws.groups[gi];
    if !g.members.contains(&u.uuid) {
        g.members.push(u.uuid.clone());
    }
    Ok(Json(member_v1(&u)).into_response())
}

/// `DELETE /1.0/groups/{workspace}/{group_slug}/members/{member}`: 204.
pub(crate) async fn member_delete(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(p): Path<HashMap<String, String>>,
) -> ApiResult {
    let mut data = lock(&st.data);
    let wi = ws_v1_write(&data, &caller, &p["workspace"])?;
    require_user_write(&caller)?;
    let gi = group_index(&data.workspaces[wi], &p["group_slug"])?;
    let id = &p["member"];
    let uuid = data
        .find_user(id)
        .map(|u| u.uuid.clone())
        .ok_or_else(|| ApiError::not_found(&format!("User {id} not found")))?;
    data.workspaces[wi].groups[gi]
        .members
        .retain(|m| *m != uuid);
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn privileges_of(data: &Dataset, ws: &Workspace, r: &Repository) -> Vec<Value> {
    r.group_perms
        .iter()
        .filter_map(|gp| {
            let g = ws.groups.iter().find(|g| g.slug == gp.principal)?;
            Some(json!({
                "repo": format!("{}/{}", ws.slug, r.slug),
                "privilege": gp.permission,
                "group": {
                    "owner": team_v1(ws),
                    "name": g.name,
                    "slug": g.slug,
                    "members": g.members.iter().filter_map(|m| data.user(m)).map(member_v1).collect::<Vec<_>>()
                },
                "repository": {
                    "owner": team_v1(ws),
                    "name": r.name,
                    "slug": r.slug,
                    "is_private": r.is_private
                }
            }))
        })
        .collect()
}

/// `GET /1.0/group-privileges/{workspace}`: every group privilege on every repository.
pub(crate) async fn privileges(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(ws_id): Path<String>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = ws_v1(&st, &data, &caller, &ws_id)?;
    let ws = &data.workspaces[wi];
    let v: Vec<Value> = ws
        .repositories
        .iter()
        .flat_map(|r| privileges_of(&data, ws, r))
        .collect();
    Ok(Json(v).into_response())
}

/// `GET /1.0/group-privileges/{workspace}/{repo_slug}`.
pub(crate) async fn privileges_repo(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(p): Path<HashMap<String, String>>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = ws_v1(&st, &data, &caller, &p["workspace"])?;
    let ws = &data.workspaces[wi];
    let ri = ws
        .repo_index(&p["repo_slug"])
        .ok_or_else(|| ApiError::not_found("Repository not found"))?;
    Ok(Json(privileges_of(&data, ws, &ws.repositories[ri])).into_response())
}
