//! `/2.0/workspaces/{workspace}`, its `members` and `permissions`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::{ApiResult, permission_user, visible_ws};
use crate::auth::Caller;
use crate::data::{Dataset, Membership, Workspace};
use crate::render::{
    ApiError, Ctx, enc, matches_q, parse_q, user_condensed, workspace_embedded, workspace_full,
};
use crate::{AppState, lock};

/// `GET /2.0/workspaces/{workspace}`.
pub(crate) async fn get_ws(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(ws_id): Path<String>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = visible_ws(&data, &caller, &ws_id)?;
    Ok(ctx.respond(workspace_full(&ctx.base, &data.workspaces[wi])))
}

fn membership(
    ctx: &Ctx,
    data: &Dataset,
    ws: &Workspace,
    m: &Membership,
    with_permission: bool,
    with_status: bool,
) -> Value {
    let mut user = data
        .user(&m.user)
        .map(|u| user_condensed(&ctx.base, u))
        .unwrap_or(Value::Null);
    if with_status && let (Some(obj), Some(u)) = (user.as_object_mut(), data.user(&m.user)) {
        obj.insert("account_status".into(), json!(u.account_status));
    }
    let mut v = json!({
        "type": "workspace_membership",
        "user": user,
        "workspace": workspace_embedded(&ctx.base, ws),
        "links": {"self": {"href": format!("{}/2.0/workspaces/{}/members/{}", ctx.base, ws.slug, enc(&m.user))}}
    });
    if with_permission {
        v.as_object_mut()
            .expect("object")
            .insert("permission".into(), json!(m.permission));
    }
    v
}

fn user_field(data: &Dataset, m: &Membership, f: &str) -> Option<String> {
    let u = data.user(&m.user)?;
    match f {
        "user.uuid" => Some(u.uuid.clone()),
        "user.account_id" => Some(u.account_id.clone()),
        "user.display_name" => Some(u.display_name.clone()),
        "user.nickname" => Some(u.nickname.clone()),
        "user.email" => Some(u.email.clone()),
        "permission" => Some(m.permission.clone()),
        _ => None,
    }
}

fn listing(
    st: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    ws_id: &str,
    with_permission: bool,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = visible_ws(&data, caller, ws_id)?;
    // Every member may read the workspace's permissions (read:workspace:bitbucket, §1.6).
    if with_permission {
        permission_user(caller)?;
    }
    let ws = &data.workspaces[wi];
    let conds = parse_q(ctx.param("q").unwrap_or(""))?;
    let mut rows = vec![];
    for m in &ws.members {
        let ok = matches_q(&conds, |f| {
            if f == "permission" && !with_permission {
                return None;
            }
            user_field(&data, m, f)
        })?;
        if ok {
            rows.push(m);
        }
    }
    let with_status = st.member_status_in_listing && ctx.adds("values.user.account_status");
    let v = ctx.page(rows.len(), |r| {
        rows[r]
            .iter()
            .map(|m| membership(ctx, &data, ws, m, with_permission, with_status))
            .collect()
    })?;
    Ok(ctx.respond(v))
}

/// `GET /2.0/workspaces/{workspace}/members` (no `permission`, no `account_status`).
pub(crate) async fn members(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(ws_id): Path<String>,
) -> ApiResult {
    listing(&st, &caller, &ctx, &ws_id, false)
}

/// `GET /2.0/workspaces/{workspace}/permissions` (with `permission`; any member, no access token).
pub(crate) async fn permissions(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(ws_id): Path<String>,
) -> ApiResult {
    listing(&st, &caller, &ctx, &ws_id, true)
}

/// `GET /2.0/workspaces/{workspace}/members/{member}`.
pub(crate) async fn member(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(p): Path<HashMap<String, String>>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = visible_ws(&data, &caller, &p["workspace"])?;
    let ws = &data.workspaces[wi];
    let id = &p["member"];
    let not_member = || ApiError::not_found(&format!("{id} is not a member of this workspace"));
    let u = data.find_user(id).ok_or_else(not_member)?;
    let m = ws
        .members
        .iter()
        .find(|m| m.user == u.uuid)
        .ok_or_else(not_member)?;
    let with_status = st.member_status_in_listing && ctx.adds("user.account_status");
    Ok(ctx.respond(membership(&ctx, &data, ws, m, false, with_status)))
}
