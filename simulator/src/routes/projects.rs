//! `/2.0/workspaces/{workspace}/projects[/{project_key}]`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};

use super::{ApiResult, visible_ws};
use crate::auth::Caller;
use crate::render::{ApiError, Ctx, matches_q, parse_q, project_full};
use crate::{AppState, lock};

/// `GET /2.0/workspaces/{workspace}/projects`.
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
    let mut rows = vec![];
    for p in &ws.projects {
        let ok = matches_q(&conds, |f| match f {
            "key" => Some(p.key.clone()),
            "uuid" => Some(p.uuid.clone()),
            "name" => Some(p.name.clone()),
            "is_private" => Some(p.is_private.to_string()),
            _ => None,
        })?;
        if ok {
            rows.push(p);
        }
    }
    let v = ctx.page(rows.len(), |r| {
        rows[r]
            .iter()
            .map(|p| project_full(&ctx.base, &data, ws, p))
            .collect()
    })?;
    Ok(ctx.respond(v))
}

/// `GET /2.0/workspaces/{workspace}/projects/{project_key}`.
pub(crate) async fn get_one(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(p): Path<HashMap<String, String>>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = visible_ws(&data, &caller, &p["workspace"])?;
    let ws = &data.workspaces[wi];
    let key = &p["project_key"];
    let pi = ws
        .project_by_key(key)
        .ok_or_else(|| ApiError::not_found(&format!("Project {key} not found")))?;
    Ok(ctx.respond(project_full(&ctx.base, &data, ws, &ws.projects[pi])))
}
