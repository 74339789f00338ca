//! `POST /site/oauth2/access_token`: OAuth 2.0 client credentials and refresh grants.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::basic;
use crate::render::parse_form;
use crate::{AppState, lock};

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Issues a bearer token acting as the consumer's owner (the admin), `expires_in` 7200.
pub(crate) async fn token(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let (key, secret) = match headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(basic)
    {
        Some(kv) => kv,
        None => (
            field("client_id").unwrap_or_default(),
            field("client_secret").unwrap_or_default(),
        ),
    };
    if key != st.creds.oauth_key || secret != st.creds.oauth_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid OAuth client credentials",
        );
    }
    let grant = field("grant_type").unwrap_or_default();
    let mut tokens = lock(&st.oauth);
    match grant.as_str() {
        "client_credentials" => {}
        "refresh_token" => {
            let rt = field("refresh_token").unwrap_or_default();
            if tokens.refresh.remove(&rt).is_none() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid refresh_token",
                );
            }
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("Unsupported grant type: {grant}"),
            );
        }
    }
    tokens.counter += 1;
    let n = tokens.counter;
    let access = format!(
        "sim-oauth-access-{n:06}-{:016x}",
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    );
    let refresh = format!("sim-oauth-refresh-{n:06}");
    tokens
        .access
        .insert(access.clone(), Instant::now() + st.oauth_token_ttl);
    tokens.refresh.insert(refresh.clone(), ());
    Json(json!({
        "access_token": access,
        "scopes": "account project repository team",
        "expires_in": st.oauth_token_ttl.as_secs(),
        "token_type": "bearer",
        "state": grant,
        "refresh_token": refresh
    }))
    .into_response()
}
