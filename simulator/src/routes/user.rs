//! `/2.0/user`, `/2.0/user/workspaces`, `/2.0/user/workspaces/{workspace}/permission`, `/2.0/users/{selected_user}`.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::json;

use super::{ApiResult, visible_ws};
use crate::access;
use crate::auth::Caller;
use crate::render::{
    ApiError, Ctx, matches_q, parse_q, user_condensed, user_full, workspace_base,
    workspace_embedded,
};
use crate::{AppState, lock};

/// `GET /2.0/user`.
pub(crate) async fn me(State(st): State<Arc<AppState>>, caller: Caller, ctx: Ctx) -> ApiResult {
    let data = lock(&st.data);
    match caller.user() {
        Some(uuid) => {
            let u = data.user(uuid).ok_or_else(ApiError::unauthorized)?;
            Ok(ctx.respond(user_full(&ctx.base, u, true)))
        }
        None => {
            // The access token's bot user.
            let ws = data
                .ws_by_slug(&data.access_token_workspace)
                .ok_or_else(ApiError::unauthorized)?;
            Ok(ctx.respond(json!({
                "type": "app_user",
                "uuid": "{00000000-0000-4000-8000-00000000a11c}",
                "account_id": "712020:00000000-0000-4000-8000-00000000a11c",
                "display_name": format!("{} access token", ws.name),
                "account_status": "active",
                "kind": "workspace_access_token",
                "links": {"avatar": {"href": "https://bitbucket.org/account/bot/avatar/"}}
            })))
        }
    }
}

/// `GET /2.0/user/workspaces` (`workspace_access` elements; `administrator`, `q` on slug).
pub(crate) async fn workspaces(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
) -> ApiResult {
    let data = lock(&st.data);
    let conds = parse_q(ctx.param("q").unwrap_or(""))?;
    let admin_filter = match ctx.param("administrator") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(ApiError::bad_request("Invalid administrator value")),
    };
    let mut rows = vec![];
    for ws in &data.workspaces {
        let admin = match &caller {
            Caller::AccessToken if ws.slug == data.access_token_workspace => false,
            Caller::AccessToken => continue,
            Caller::User { uuid, .. } => match ws.role(uuid) {
                Some(r) => r == "owner",
                None => continue,
            },
        };
        if admin_filter.is_some_and(|a| a != admin) {
            continue;
        }
        let ok = matches_q(&conds, |f| match f {
            "slug" | "workspace.slug" => Some(ws.slug.clone()),
            "uuid" | "workspace.uuid" => Some(ws.uuid.clone()),
            "administrator" => Some(admin.to_string()),
            _ => None,
        })?;
        if ok {
            rows.push((ws, admin));
        }
    }
    if ctx
        .param("sort")
        .is_some_and(|s| s.trim_start_matches('-') == "slug")
    {
        rows.sort_by(|a, b| a.0.slug.cmp(&b.0.slug));
        if ctx.param("sort").is_some_and(|s| s.starts_with('-')) {
            rows.reverse();
        }
    }
    let v = ctx.page(rows.len(), |r| {
        rows[r]
            .iter()
            .map(|(ws, admin)| {
                json!({
                    "type": "workspace_access",
                    "administrator": admin,
                    "workspace": workspace_base(&ctx.base, ws),
                    "links": {"self": {"href": format!("{}/2.0/user/workspaces/{}/permission", ctx.base, ws.slug)}}
                })
            })
            .collect()
    })?;
    Ok(ctx.respond(v))
}

/// `GET /2.0/user/workspaces/{workspace}/permission`.
pub(crate) async fn permission(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(ws_id): Path<String>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = data
        .ws_index(&ws_id)
        .ok_or_else(|| ApiError::not_found(&format!("No workspace with identifier '{ws_id}'.")))?;
    let ws = &data.workspaces[wi];
    let Some(uuid) = caller.user() else {
        return Err(ApiError::forbidden(
            "Access tokens have no workspace membership.",
        ));
    };
    let role = ws
        .role(uuid)
        .ok_or_else(|| ApiError::forbidden("You are not a member of this workspace."))?;
    let u = data.user(uuid).ok_or_else(ApiError::unauthorized)?;
    Ok(ctx.respond(json!({
        "type": "workspace_membership",
        "permission": role,
        "user": user_condensed(&ctx.base, u),
        "workspace": workspace_embedded(&ctx.base, ws),
        "links": {"self": {"href": format!("{}/2.0/workspaces/{}/members/{}", ctx.base, ws.slug, crate::render::enc(&u.uuid))}}
    })))
}

/// `GET /2.0/users/{selected_user}` (account id or `{uuid}`).
pub(crate) async fn other(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult {
    let _ = visible_ws; // any authenticated caller may look users up
    let data = lock(&st.data);
    let u = data
        .find_user(&id)
        .ok_or_else(|| ApiError::not_found(&format!("{id} is not a valid user")))?;
    let is_self = caller.user() == Some(u.uuid.as_str());
    Ok(ctx.respond(user_full(&ctx.base, u, is_self)))
}

/// `GET /2.0/user/workspaces/{workspace}/permissions/repositories`: the caller's effective
/// permission on each repository it has been given access to (directly, through a group, through
/// the project, or as workspace owner); no admin needed. `q` on `permission` and `repository.*`.
pub(crate) async fn repository_permissions(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ctx: Ctx,
    Path(ws_id): Path<String>,
) -> ApiResult {
    let data = lock(&st.data);
    let wi = visible_ws(&data, &caller, &ws_id)?;
    let ws = &data.workspaces[wi];
    let Some(uuid) = caller.user() else {
        return Err(ApiError::forbidden(
            "Access tokens have no repository permissions of their own.",
        ));
    };
    let u = data.user(uuid).ok_or_else(ApiError::unauthorized)?;
    let conds = parse_q(ctx.param("q").unwrap_or(""))?;
    let mut rows = vec![];
    for r in &ws.repositories {
        let Some(permission) = access::level_name(access::repo_level(ws, r, uuid)) else {
            continue;
        };
        let ok = matches_q(&conds, |f| match f {
            "permission" => Some(permission.to_string()),
            "repository.name" => Some(r.name.clone()),
            "repository.full_name" => Some(format!("{}/{}", ws.slug, r.slug)),
            "repository.uuid" => Some(r.uuid.clone()),
            _ => None,
        })?;
        if ok {
            rows.push((r, permission));
        }
    }
    let v = ctx.page(rows.len(), |range| {
        rows[range]
            .iter()
            .map(|(r, permission)| {
                json!({
                    "type": "repository_permission",
                    "permission": permission,
                    "user": user_condensed(&ctx.base, u),
                    "repository": {
                        "type": "repository",
                        "name": r.name,
                        "full_name": format!("{}/{}", ws.slug, r.slug),
                        "uuid": r.uuid,
                        "links": {"self": {"href": format!("{}/2.0/repositories/{}/{}", ctx.base, ws.slug, r.slug)}}
                    }
                })
            })
            .collect()
    })?;
    Ok(ctx.respond(v))
}
