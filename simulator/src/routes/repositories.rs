//! `/2.0/repositories/{workspace}[/{repo_slug}]`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};

use super::{ApiResult, visible_ws};
use crate::access;
use crate::auth::Caller;
use crate::data::{Repository, Workspace};
use crate::render::{ApiError, Ctx, matches_q, parse_q, repo_full};
use crate::{AppState, lock};

/// The caller's access level to a repository (owner 4, admin 3, write 2, read 1), for `role`.
fn caller_level(ws: &Workspace, r: &Repository, caller: &Caller) -> u8 {
    let Some(uuid) = caller.user() else {
        return 3;
    };
    if access::owns(ws, uuid) {
        return 4;
    }
    access::repo_level(ws, r, uuid)
}

/// `GET /2.0/repositories/{workspace}` (`q` on project.key/project.uuid/slug/name/uuid, `role`).
pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(ws_id): Path<String>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = visible_ws(&data, &caller, &ws_id)?;
    let ws = &data.workspaces[wi];
    let conds = parse_q(ctx.param("q").unwrap_or(""))?;
    let min_level = match ctx.param("role") {
        None => 0,
        Some("member") => 1,
        Some("contributor") => 2,
        Some("admin") => 3,
        Some("owner") => 4,
        Some(_) => return Err(ApiError::bad_request("Invalid role")),
    };
    let mut rows = vec![];
    for r in &ws.repositories {
        if min_level > 0 && caller_level(ws, r, &caller) < min_level {
            continue;
        }
        let project = ws.project_by_uuid(&r.project);
        let ok = matches_q(&conds, |f| match f {
            "project.key" => project.map(|p| p.key.clone()),
            "project.uuid" => project.map(|p| p.uuid.clone()),
            "project.name" => project.map(|p| p.name.clone()),
            "slug" => Some(r.slug.clone()),
            "name" => Some(r.name.clone()),
            "uuid" => Some(r.uuid.clone()),
            "full_name" => Some(format!("{}/{}", ws.slug, r.slug)),
            "is_private" => Some(r.is_private.to_string()),
            _ => None,
        })?;
        if ok {
            rows.push(r);
        }
    }
    let v = ctx.page(rows.len(), |range| {
        rows[range]
            .iter()
            .map(|r| repo_full(&ctx.base, &data, ws, r))
            .collect()
    })?;
    Ok(ctx.respond(v))
}

/// `GET /2.0/repositories/{workspace}/{repo_slug}` (slug or `{uuid}`; `%7B%7D` as workspace finds a repo by uuid anywhere).
pub(crate) async fn get_one(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(p): Path<HashMap<String, String>>,
) -> ApiResult {
    let data = lock(&st.data);
    let repo_id = &p["repo_slug"];
    let not_found = || {
        ApiError::not_found(&format!(
            "Repository {}/{repo_id} not found",
            p["workspace"]
        ))
    };
    let wi = if p["workspace"] == "{}" && repo_id.starts_with('{') {
        let wi = data
            .workspaces
            .iter()
            .position(|w| w.repo_index(repo_id).is_some())
            .ok_or_else(not_found)?;
        let slug = data.workspaces[wi].slug.clone();
        visible_ws(&data, &caller, &slug).map_err(|_| not_found())?
    } else {
        visible_ws(&data, &caller, &p["workspace"])?
    };
    let ws = &data.workspaces[wi];
    let ri = ws.repo_index(repo_id).ok_or_else(not_found)?;
    Ok(ctx.respond(repo_full(&ctx.base, &data, ws, &ws.repositories[ri])))
}
