//! The token endpoint, `POST /auth/v1/token`: OAuth client credentials with a JWT client
//! assertion (RFC 7523), answered with a bearer token of the configured lifetime.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::assertion::{self, Expected};
use super::records::TokenRequest;
use super::state::{Shared, Token};

/// The path baton-sdk posts to.
pub const TOKEN_PATH: &str = "/auth/v1/token";
/// The only `client_assertion_type` there is.
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The router serving the token endpoint.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(TOKEN_PATH, post(issue))
        .with_state(shared)
}

/// A refusal: HTTP status, OAuth error code, description.
struct Refusal(StatusCode, &'static str, String);

async fn issue(
    AxumState(shared): AxumState<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let form = parse_form(&headers, &body);
    let client_id = form.as_ref().ok().and_then(|f| f.get("client_id").cloned());
    shared.update(|state| {
        let outcome = form.and_then(|form| {
            let field = |name: &str| {
                form.get(name).map(String::as_str).ok_or_else(|| {
                    Refusal(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        format!("the form has no {name}"),
                    )
                })
            };
            let grant_type = field("grant_type")?;
            if grant_type != "client_credentials" {
                return Err(Refusal(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    format!("grant_type must be client_credentials, is {grant_type:?}"),
                ));
            }
            let assertion_type = field("client_assertion_type")?;
            if assertion_type != ASSERTION_TYPE {
                return Err(Refusal(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!(
                        "client_assertion_type must be {ASSERTION_TYPE}, is {assertion_type:?}"
                    ),
                ));
            }
            let client_id = field("client_id")?;
            let jws = field("client_assertion")?;
            let unauthorized =
                |why: String| Refusal(StatusCode::UNAUTHORIZED, "invalid_client", why);
            let client = state
                .clients
                .get(client_id)
                .ok_or_else(|| unauthorized(format!("unknown client {client_id:?}")))?;
            if client.revoked {
                return Err(unauthorized(format!("client {client_id} is revoked")));
            }
            let verified = assertion::verify(
                jws,
                &Expected {
                    client_id,
                    audience: &client.audience,
                    key: &client.key,
                    now: SystemTime::now(),
                },
            )
            .map_err(unauthorized)?;
            if !state.nonces.insert(verified.nonce.clone()) {
                return Err(unauthorized(format!(
                    "nonce {:?} was used before: an assertion is signed afresh for each request",
                    verified.nonce
                )));
            }
            let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
            let lifetime = state.config.token_lifetime;
            state.tokens.insert(
                token.clone(),
                Token {
                    client_id: client_id.to_string(),
                    expires_at: Instant::now() + lifetime,
                },
            );
            Ok((token, lifetime.as_secs_f64().ceil().max(1.0) as u64))
        });
        let (record, response) = match outcome {
            Ok((token, expires_in)) => (
                Ok(token.clone()),
                (
                    StatusCode::OK,
                    axum::Json(serde_json::json!({
                        "access_token": token,
                        "token_type": "bearer",
                        "expires_in": expires_in,
                    })),
                )
                    .into_response(),
            ),
            Err(Refusal(status, error, description)) => (
                Err((status.as_u16(), description.clone())),
                (
                    status,
                    axum::Json(serde_json::json!({
                        "error": error,
                        "error_description": format!("fake ConductorOne: {description}"),
                    })),
                )
                    .into_response(),
            ),
        };
        state.records.token_requests.push(TokenRequest {
            client_id,
            user_agent,
            outcome: record,
            at: Instant::now(),
        });
        response
    })
}

/// The fields of an `application/x-www-form-urlencoded` body, each at most once.
fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, Refusal> {
    let bad = |why: String| Refusal(StatusCode::BAD_REQUEST, "invalid_request", why);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(bad(format!(
            "Content-Type must be application/x-www-form-urlencoded, is {content_type:?}"
        )));
    }
    let mut form = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        // RFC 6749 §3.2: request parameters must not be repeated.
        if form.insert(name.to_string(), value.to_string()).is_some() {
            return Err(bad(format!("the form repeats {name}")));
        }
    }
    Ok(form)
}
