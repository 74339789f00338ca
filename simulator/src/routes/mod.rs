//! HTTP routing, the fault/log middleware, and access rules shared by the endpoint modules.

mod groups;
mod oauth;
mod permissions;
mod projects;
mod repositories;
mod user;
mod workspaces;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::access;
use crate::auth::Caller;
use crate::data::Dataset;
use crate::faults::Decision;
use crate::render::{ApiError, rate_limited};
use crate::{AppState, lock};

/// Handler result.
pub(crate) type ApiResult = Result<Response, ApiError>;

/// Builds the router with every simulated endpoint.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let proj = "/2.0/workspaces/{workspace}/projects/{project_key}/permissions-config";
    let repo = "/2.0/repositories/{workspace}/{repo_slug}/permissions-config";
    Router::new()
        .route("/2.0/user", get(user::me))
        .route("/2.0/user/workspaces", get(user::workspaces))
        .route(
            "/2.0/user/workspaces/{workspace}/permission",
            get(user::permission),
        )
        .route(
            "/2.0/user/workspaces/{workspace}/permissions/repositories",
            get(user::repository_permissions),
        )
        .route("/2.0/users/{selected_user}", get(user::other))
        .route("/2.0/workspaces/{workspace}", get(workspaces::get_ws))
        .route(
            "/2.0/workspaces/{workspace}/members",
            get(workspaces::members),
        )
        .route(
            "/2.0/workspaces/{workspace}/members/{member}",
            get(workspaces::member),
        )
        .route(
            "/2.0/workspaces/{workspace}/permissions",
            get(workspaces::permissions),
        )
        .route("/2.0/workspaces/{workspace}/projects", get(projects::list))
        .route(
            "/2.0/workspaces/{workspace}/projects/{project_key}",
            get(projects::get_one),
        )
        .route(
            &format!("{proj}/users"),
            get(permissions::project_users_list),
        )
        .route(
            &format!("{proj}/users/{{selected_user_id}}"),
            get(permissions::project_users_get)
                .put(permissions::project_users_put)
                .delete(permissions::project_users_delete),
        )
        .route(
            &format!("{proj}/groups"),
            get(permissions::project_groups_list),
        )
        .route(
            &format!("{proj}/groups/{{group_slug}}"),
            get(permissions::project_groups_get)
                .put(permissions::project_groups_put)
                .delete(permissions::project_groups_delete),
        )
        .route("/2.0/repositories/{workspace}", get(repositories::list))
        .route(
            "/2.0/repositories/{workspace}/{repo_slug}",
            get(repositories::get_one),
        )
        .route(&format!("{repo}/users"), get(permissions::repo_users_list))
        .route(
            &format!("{repo}/users/{{selected_user_id}}"),
            get(permissions::repo_users_get)
                .put(permissions::repo_users_put)
                .delete(permissions::repo_users_delete),
        )
        .route(
            &format!("{repo}/groups"),
            get(permissions::repo_groups_list),
        )
        .route(
            &format!("{repo}/groups/{{group_slug}}"),
            get(permissions::repo_groups_get)
                .put(permissions::repo_groups_put)
                .delete(permissions::repo_groups_delete),
        )
        .route("/1.0/groups/{workspace}", get(groups::list))
        .route(
            "/1.0/groups/{workspace}/{group_slug}/members",
            get(groups::members),
        )
        .route(
            "/1.0/groups/{workspace}/{group_slug}/members/{member}",
            get(groups::member_get)
                .put(groups::member_put)
                .delete(groups::member_delete),
        )
        .route("/1.0/group-privileges/{workspace}", get(groups::privileges))
        .route(
            "/1.0/group-privileges/{workspace}/{repo_slug}",
            get(groups::privileges_repo),
        )
        .route("/site/oauth2/access_token", post(oauth::token))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

async fn fallback() -> Response {
    ApiError::not_found("Resource not found").into_response()
}

/// The rolling-window limit, latency, 429 and 5xx injection, the request log, and the count of
/// requests in flight.
async fn gate(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let _answering = st.in_flight.enter();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let endpoint = match req.extensions().get::<MatchedPath>() {
        Some(m) => format!("{method} {}", m.as_str()),
        None => format!("{method} <unmatched>"),
    };
    // Counted on arrival, per credential (requests that fail to authenticate are not limited here).
    let caller = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|h| Caller::from_header(&st, Some(h)));
    let verdict = match caller {
        Some(Ok(caller)) => Some(lock(&st.rolling).judge(&caller, &path, Instant::now())),
        _ => None,
    };
    let (decision, latency) = {
        let mut f = lock(&st.faults);
        (f.decide(), f.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let refused = lock(&st.refused).contains(&endpoint);
    let over_limit = verdict.as_ref().is_some_and(|v| v.refused);
    let mut resp = match decision {
        _ if over_limit => rate_limited(),
        Decision::Pass if refused => {
            ApiError::forbidden("Your credentials lack one or more required privilege scopes.")
                .into_response()
        }
        Decision::Pass => next.run(req).await,
        Decision::RateLimited => rate_limited(),
        Decision::Fault(s) => {
            ApiError::new(s, "Something went wrong (injected fault)").into_response()
        }
    };
    for (name, value) in verdict.map(|v| v.headers).unwrap_or_default() {
        if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, value);
        }
    }
    lock(&st.log).record(&method, &path, &endpoint, resp.status().as_u16());
    resp
}

/// Resolves a workspace (slug or `{uuid}`) the caller can see; 404 otherwise.
pub(crate) fn visible_ws(data: &Dataset, caller: &Caller, id: &str) -> Result<usize, ApiError> {
    let not_found = || ApiError::not_found(&format!("No workspace with identifier '{id}'."));
    let wi = data.ws_index(id).ok_or_else(not_found)?;
    let ws = &data.workspaces[wi];
    let ok = match caller {
        Caller::AccessToken => ws.slug == data.access_token_workspace,
        Caller::User { uuid, .. } => ws.role(uuid).is_some(),
    };
    if ok { Ok(wi) } else { Err(not_found()) }
}

/// The user behind a permission request; access tokens never may query or change permissions.
pub(crate) fn permission_user(caller: &Caller) -> Result<&str, ApiError> {
    caller.user().ok_or_else(|| {
        ApiError::forbidden("Access tokens cannot be used to query or manipulate permissions.")
    })
}

/// Workspace-wide permission endpoints that need the workspace's owner (1.0 group writes).
pub(crate) fn require_owner(data: &Dataset, caller: &Caller, wi: usize) -> Result<(), ApiError> {
    let user = permission_user(caller)?;
    if access::owns(&data.workspaces[wi], user) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "You do not have administrator access to this workspace.",
        ))
    }
}

/// Permission changes: refused to OAuth (and access tokens).
pub(crate) fn require_user_write(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::User { oauth: false, .. } => Ok(()),
        _ => Err(ApiError::forbidden(
            "This API is only accessible with the following authentication types: apppassword, api_token",
        )),
    }
}
