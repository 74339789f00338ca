//! `serve`'s HTTP endpoints: Prometheus `/metrics`, and the probes `/health`, `/live` and
//! `/ready` (ready once the tenants directory has been read, until shutdown begins).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::Shared;

/// The endpoints' router.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/health", get(health))
        .route("/live", get(live))
        .route("/ready", get(ready))
        .with_state(shared)
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.render_metrics(),
    )
}

async fn health(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let (status, text) = shared.health();
    (status, text)
}

async fn live() -> impl IntoResponse {
    (StatusCode::OK, "live\n")
}

async fn ready(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    if shared.is_ready() {
        (StatusCode::OK, "ready\n")
    } else if shared.is_stopping() {
        (StatusCode::SERVICE_UNAVAILABLE, "stopping\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "reading the tenants directory\n",
        )
    }
}
