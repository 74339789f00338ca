//! Project and repository `permissions-config` (explicit user and group permissions).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{ApiResult, permission_user, require_user_write, visible_ws};
use crate::access;
use crate::auth::Caller;
use crate::data::{Dataset, Perm, Workspace, set_perm};
use crate::render::{ApiError, Ctx, enc};
use crate::{AppState, lock};

/// Project or repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Project,
    Repo,
}

/// User or group entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Principal {
    User,
    Group,
}

/// Resolved target: workspace index and project/repo index.
struct Target {
    wi: usize,
    idx: usize,
}

fn resolve(
    data: &Dataset,
    caller: &Caller,
    p: &HashMap<String, String>,
    kind: Kind,
) -> Result<Target, ApiError> {
    let wi = visible_ws(data, caller, &p["workspace"])?;
    let ws = &data.workspaces[wi];
    let idx = match kind {
        Kind::Project => {
            let key = &p["project_key"];
            ws.project_by_key(key)
                .ok_or_else(|| ApiError::not_found(&format!("Project {key} not found")))?
        }
        Kind::Repo => {
            let r = &p["repo_slug"];
            ws.repo_index(r)
                .ok_or_else(|| ApiError::not_found(&format!("Repository {r} not found")))?
        }
    };
    // Reading and changing explicit permissions needs admin on the project or repository itself
    // (explicit, through a group, through project admin, or as workspace owner).
    let user = permission_user(caller)?;
    let admin = match kind {
        Kind::Project => access::administers_project(ws, &ws.projects[idx], user),
        Kind::Repo => access::administers_repo(ws, &ws.repositories[idx], user),
    };
    if !admin {
        let what = match kind {
            Kind::Project => "project",
            Kind::Repo => "repository",
        };
        return Err(ApiError::forbidden(&format!(
            "You do not have admin access to this {what}."
        )));
    }
    Ok(Target { wi, idx })
}

fn perms<'a>(ws: &'a Workspace, t: &Target, kind: Kind, pr: Principal) -> &'a Vec<Perm> {
    match (kind, pr) {
        (Kind::Project, Principal::User) => &ws.projects[t.idx].user_perms,
        (Kind::Project, Principal::Group) => &ws.projects[t.idx].group_perms,
        (Kind::Repo, Principal::User) => &ws.repositories[t.idx].user_perms,
        (Kind::Repo, Principal::Group) => &ws.repositories[t.idx].group_perms,
    }
}

fn perms_mut<'a>(
    ws: &'a mut Workspace,
    t: &Target,
    kind: Kind,
    pr: Principal,
) -> &'a mut Vec<Perm> {
    match (kind, pr) {
        (Kind::Project, Principal::User) => &mut ws.projects[t.idx].user_perms,
        (Kind::Project, Principal::Group) => &mut ws.projects[t.idx].group_perms,
        (Kind::Repo, Principal::User) => &mut ws.repositories[t.idx].user_perms,
        (Kind::Repo, Principal::Group) => &mut ws.repositories[t.idx].group_perms,
    }
}

fn render(
    ctx: &Ctx,
    data: &Dataset,
    ws: &Workspace,
    t: &Target,
    kind: Kind,
    pr: Principal,
    perm: &Perm,
) -> Value {
    let prefix = match kind {
        Kind::Project => format!(
            "{}/2.0/workspaces/{}/projects/{}/permissions-config",
            ctx.base, ws.slug, ws.projects[t.idx].key
        ),
        Kind::Repo => format!(
            "{}/2.0/repositories/{}/{}/permissions-config",
            ctx.base, ws.slug, ws.repositories[t.idx].slug
        ),
    };
    let kind_name = match kind {
        Kind::Project => "project",
        Kind::Repo => "repository",
    };
    match pr {
        Principal::User => {
            let u = data.user(&perm.principal);
            let account_id = u.map(|u| u.account_id.clone()).unwrap_or_default();
            json!({
                "type": format!("{kind_name}_user_permission"),
                "permission": perm.permission,
                "user": u.map(|u| json!({
                    "type": "user",
                    "display_name": u.display_name,
                    "uuid": u.uuid,
                    "account_id": u.account_id,
                    "nickname": u.nickname
                })),
                "links": {"self": {"href": format!("{prefix}/users/{}", enc(&account_id))}}
            })
        }
        Principal::Group => {
            let g = ws.groups.iter().find(|g| g.slug == perm.principal);
            json!({
                "type": format!("{kind_name}_group_permission"),
                "permission": perm.permission,
                "group": {
                    "type": "group",
                    "name": g.map(|g| g.name.clone()).unwrap_or_else(|| perm.principal.clone()),
                    "slug": perm.principal,
                    "full_slug": format!("{}:{}", ws.slug, perm.principal)
                },
                "links": {"self": {"href": format!("{prefix}/groups/{}", enc(&perm.principal))}}
            })
        }
    }
}

/// Resolves the path's user or group to the stored principal key (user uuid or group slug).
fn principal_key(
    data: &Dataset,
    ws: &Workspace,
    p: &HashMap<String, String>,
    pr: Principal,
) -> Result<String, ApiError> {
    match pr {
        Principal::User => {
            let id = &p["selected_user_id"];
            data.find_user(id)
                .map(|u| u.uuid.clone())
                .ok_or_else(|| ApiError::not_found(&format!("User {id} not found")))
        }
        Principal::Group => {
            let slug = &p["group_slug"];
            ws.group_index(slug)
                .map(|_| slug.clone())
                .ok_or_else(|| ApiError::not_found(&format!("Group {slug} not found")))
        }
    }
}

fn list(
    st: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    p: &HashMap<String, String>,
    kind: Kind,
    pr: Principal,
) -> ApiResult {
    let data = lock(&st.data);
    let t = resolve(&data, caller, p, kind)?;
    let ws = &data.workspaces[t.wi];
    let entries = perms(ws, &t, kind, pr);
    let v = ctx.page(entries.len(), |r| {
        entries[r]
            .iter()
            .map(|e| render(ctx, &data, ws, &t, kind, pr, e))
            .collect()
    })?;
    Ok(ctx.respond(v))
}

fn get_one(
    st: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    p: &HashMap<String, String>,
    kind: Kind,
    pr: Principal,
) -> ApiResult {
    let data = lock(&st.data);
    let t = resolve(&data, caller, p, kind)?;
    let ws = &data.workspaces[t.wi];
    let key = principal_key(&data, ws, p, pr)?;
    let e = perms(ws, &t, kind, pr)
        .iter()
        .find(|e| e.principal == key)
        .ok_or_else(|| ApiError::not_found("No explicit permission for this principal"))?;
    Ok(ctx.respond(render(ctx, &data, ws, &t, kind, pr, e)))
}

#[allow(clippy::too_many_arguments)]
fn put_one(
    st: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    p: &HashMap<String, String>,
    body: &[u8],
    kind: Kind,
    pr: Principal,
) -> ApiResult {
    let mut data = lock(&st.data);
    let t = resolve(&data, caller, p, kind)?;
    require_user_write(caller)?;
    let ws = &data.workspaces[t.wi];
    let key = principal_key(&data, ws, p, pr)?;
    let parsed: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("No permission value was provided"))?;
    let obj = parsed
        .as_object()
        .ok_or_else(|| ApiError::bad_request("No permission value was provided"))?;
    if obj.keys().any(|k| k != "permission") {
        return Err(ApiError::bad_request("Unexpected field in request body"));
    }
    let allowed: &[&str] = match kind {
        Kind::Project => &["read", "write", "create-repo", "admin"],
        Kind::Repo => &["read", "write", "admin"],
    };
    let perm = obj
        .get("permission")
        .and_then(|v| v.as_str())
        .ok_or_else(|| ApiError::bad_request("No permission value was provided"))?;
    if !allowed.contains(&perm) {
        return Err(ApiError::bad_request(&format!(
            "Invalid permission value: {perm}"
        )));
    }
    if pr == Principal::User {
        match ws.role(&key) {
            Some("owner") | None => {
                return Err(ApiError::bad_request(
                    "The selected user is not a valid user to update",
                ));
            }
            _ => {}
        }
    }
    let ws = &mut data.workspaces[t.wi];
    set_perm(perms_mut(ws, &t, kind, pr), &key, perm);
    let data = &*data;
    let ws = &data.workspaces[t.wi];
    let e = perms(ws, &t, kind, pr)
        .iter()
        .find(|e| e.principal == key)
        .expect("just set");
    Ok(ctx.respond(render(ctx, data, ws, &t, kind, pr, e)))
}

fn delete_one(
    st: &AppState,
    caller: &Caller,
    p: &HashMap<String, String>,
    kind: Kind,
    pr: Principal,
) -> ApiResult {
    let mut data = lock(&st.data);
    let t = resolve(&data, caller, p, kind)?;
    require_user_write(caller)?;
    let key = principal_key(&data, &data.workspaces[t.wi], p, pr)?;
    let ws = &mut data.workspaces[t.wi];
    perms_mut(ws, &t, kind, pr).retain(|e| e.principal != key);
    Ok(StatusCode::NO_CONTENT.into_response())
}

macro_rules! handlers {
    ($kind:expr, $pr:expr, $list:ident, $get:ident, $put:ident, $del:ident) => {
        /// List endpoint.
        pub(crate) async fn $list(
            State(st): State<Arc<AppState>>,
            caller: Caller,
            ctx: Ctx,
            Path(p): Path<HashMap<String, String>>,
        ) -> ApiResult {
            list(&st, &caller, &ctx, &p, $kind, $pr)
        }
        /// Single GET endpoint.
        pub(crate) async fn $get(
            State(st): State<Arc<AppState>>,
            caller: Caller,
            ctx: Ctx,
            Path(p): Path<HashMap<String, String>>,
        ) -> ApiResult {
            get_one(&st, &caller, &ctx, &p, $kind, $pr)
        }
        /// PUT (upsert) endpoint.
        pub(crate) async fn $put(
            State(st): State<Arc<AppState>>,
            caller: Caller,
            ctx: Ctx,
            Path(p): Path<HashMap<String, String>>,
            body: Bytes,
        ) -> ApiResult {
            put_one(&st, &caller, &ctx, &p, &body, $kind, $pr)
        }
        /// DELETE endpoint.
        pub(crate) async fn $del(
            State(st): State<Arc<AppState>>,
            caller: Caller,
            Path(p): Path<HashMap<String, String>>,
        ) -> ApiResult {
            delete_one(&st, &caller, &p, $kind, $pr)
        }
    };
}

handlers!(
    Kind::Project,
    Principal::User,
    project_users_list,
    project_users_get,
    project_users_put,
    project_users_delete
);
handlers!(
    Kind::Project,
    Principal::Group,
    project_groups_list,
    project_groups_get,
    project_groups_put,
    project_groups_delete
);
handlers!(
    Kind::Repo,
    Principal::User,
    repo_users_list,
    repo_users_get,
    repo_users_put,
    repo_users_delete
);
handlers!(
    Kind::Repo,
    Principal::Group,
    repo_groups_list,
    repo_groups_get,
    repo_groups_put,
    repo_groups_delete
);
