//! `POST /api/v1/participants/{id}/erase`: erasure of a participant's
//! personal data (DOMAIN.md R6, DESIGN.md "Personal data").

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::blocking;
use crate::auth::Principal;
use crate::{ApiError, AppState};

/// The erasure route.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/participants/{id}/erase", post(erase))
}

/// The body of an erasure.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseBody {
    /// Why (e.g. the data subject's request of a date), 1–1000 characters.
    reason: String,
}

/// Destroys the participant's personal-data key and appends
/// `personal_data_erased {participant_id, reason}`: 201 with the stored
/// envelope. Afterwards every answer shows the names and birth date as
/// `"[erased]"`; every figure stays as it was.
///
/// # Errors
/// 400 for a bad id or body, 404 for a participant not registered, 409 when
/// already erased.
#[utoipa::path(post, path = "/api/v1/participants/{id}/erase", tag = "participants", operation_id = "erase_participant",
    params(("id" = uuid::Uuid, Path, description = "The participant's UUID", example = "7ce147a0-8d17-5228-a341-f0bfeb0f0dbc")),
    request_body(content = crate::openapi::EraseRequest, content_type = "application/json"),
    responses((status = 201, description = "The `personal_data_erased` event stored", body = crate::openapi::AppendResponse)))]
async fn erase(
    State(state): State<Arc<AppState>>,
    principal: Option<Extension<Principal>>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    super::events::require_json(&headers)?;
    let id = crate::query::path_uuid(&id, "id", "a participant UUID")?;
    let body =
        body.map_err(|e| ApiError::new(e.status().as_u16(), "Bad request", e.body_text()))?;
    let EraseBody { reason } = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            400,
            "Bad request",
            format!("the body is {{\"reason\": \"...\"}}: {e}"),
        )
        .field("reason")
        .rule("schema")
    })?;
    let actor = principal.map_or_else(|| "api".to_string(), |Extension(p)| p.actor());
    let outcome = blocking(&state, move |s| s.service.erase(id, reason, &actor)).await?;
    let body = super::events::appended_json(&outcome.records, state.service.log().head());
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
