//! `GET /healthz`.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::AppState;

/// `/healthz`.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/healthz", get(health))
}

/// Liveness plus the durable head: `{"status": "ok", "head": {"seq", "hash"}}`.
#[utoipa::path(get, path = "/healthz", tag = "health", operation_id = "health",
    responses((status = 200, description = "Alive", body = crate::openapi::Health)))]
async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
    let head = state.service.log().head();
    Json(json!({"status": "ok", "head": {"seq": head.seq, "hash": hex::encode(head.hash)}}))
}
