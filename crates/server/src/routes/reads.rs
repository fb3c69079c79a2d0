//! Point-in-time reads: indicators and participants.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use uuid::Uuid;

use super::blocking;
use crate::query::{Params, TIME_PARAMS};
use crate::{ApiError, AppState};

/// The read routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/indicators", get(indicators))
        .route("/api/v1/participants/{id}", get(participant))
}

/// `GET /api/v1/indicators?as_of=&known_at=|at_seq=`:
/// `{"indicators": [{code, name, unit, target, value, met, by_gender?, measure}], "manifest"}`.
async fn indicators(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(q.as_deref(), &TIME_PARAMS)?;
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let (values, manifest) = s.service.at(&point, |l| l.indicators(point.as_of))?;
        Ok(Json(json!({"indicators": values, "manifest": manifest})))
    })
    .await
}

/// `GET /api/v1/participants/{id}`: `{participant_id, hours, supported,
/// supported_on, gender, entry_date, exit_date, evidence, manifest}` (R1.3–R1.5).
async fn participant(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::bad_param("id", format!("`{id}` is not a participant UUID")))?;
    let params = Params::parse(q.as_deref(), &TIME_PARAMS)?;
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let (figures, manifest) = s.service.at(&point, |l| l.participant(&id, point.as_of))?;
        let figures = figures.ok_or_else(|| {
            ApiError::not_found(format!(
                "no participant {id} in the log prefix seq ≤ {}",
                manifest.at_seq
            ))
        })?;
        let mut body = serde_json::to_value(figures).map_err(ApiError::internal)?;
        body["manifest"] = serde_json::to_value(manifest).map_err(ApiError::internal)?;
        Ok(Json(body))
    })
    .await
}
