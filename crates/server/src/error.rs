//! The API's one error type, rendered as RFC 9457 problem+json.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use grantledger_domain::{Rejection, RejectionKind};
use grantledger_store::{AppendError, StoreError};
use serde::Serialize;

/// An error answer: HTTP status plus the problem details naming the field and
/// the rule (EVENTS.md "Appending": 400, 404, 409, 413, 422, 500).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{status} {title}: {detail}")]
pub struct ApiError {
    /// HTTP status code.
    #[serde(skip)]
    pub status: u16,
    /// Short summary of the problem type; the problem `type` URI derives from it.
    pub title: &'static str,
    /// What went wrong in this request.
    pub detail: String,
    /// JSON path of the offending field or query parameter, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Rule id (DOMAIN.md id, ledger rule `G…`, `schema`, `range`, `version`, `idempotency`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl ApiError {
    /// A problem with `status`, `title` and `detail`.
    pub fn new(status: u16, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            title,
            detail: detail.into(),
            field: None,
            rule: None,
        }
    }

    /// Names the field.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Names the rule.
    pub fn rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }

    /// 400 for a bad query parameter.
    pub fn bad_param(name: &str, detail: impl Into<String>) -> Self {
        ApiError::new(400, "Bad request", detail)
            .field(name)
            .rule("schema")
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(404, "Not found", detail)
    }

    /// 500 for a storage failure (details go to the log, not the client).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        ApiError::new(
            500,
            "Internal error",
            "the ledger could not complete the request; nothing was stored",
        )
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        let (status, title) = match r.kind {
            RejectionKind::Malformed => (400, "Bad request"),
            RejectionKind::Refused => (422, "Rule violated"),
            RejectionKind::Conflict => (409, "Conflict"),
        };
        ApiError::new(status, title, r.message)
            .field(r.field)
            .rule(r.rule)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<AppendError> for ApiError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::VersionConflict {
                stream,
                expected,
                actual,
                ..
            } => ApiError::new(
                409,
                "Conflict",
                format!("stream {stream} is at version {actual}, not the expected {expected}"),
            )
            .field("expected_version")
            .rule("version"),
            AppendError::EventIdReused { event_id, seq } => ApiError::new(
                409,
                "Conflict",
                format!("event_id {event_id} is already stored at seq {seq} with other content"),
            )
            .field("event_id")
            .rule("idempotency"),
            AppendError::PartlyStored { event_id } => ApiError::new(
                409,
                "Conflict",
                format!("event_id {event_id} is already stored but other events of the batch are not; a batch is stored whole or not at all"),
            )
            .field("event_id")
            .rule("idempotency"),
            AppendError::DuplicateInBatch { event_id } => ApiError::new(
                409,
                "Conflict",
                format!("event_id {event_id} appears twice in the batch"),
            )
            .field("event_id")
            .rule("idempotency"),
            AppendError::EmptyBatch => ApiError::new(400, "Bad request", "the batch has no events").field("events").rule("schema"),
            AppendError::RecordedAtDecreasing { given, head } => ApiError::new(
                422,
                "Rule violated",
                format!("recorded_at {given} is before the log head's {head}"),
            )
            .field("recorded_at")
            .rule("G6"),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = serde_json::to_value(&self).unwrap_or_default();
        body["status"] = self.status.into();
        body["type"] = format!("/problems/{}", self.title.to_lowercase().replace(' ', "-")).into();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// Turns an error answer that is not problem+json (an axum extractor
/// rejection such as a bad path parameter, a timeout) into one, keeping its
/// status and using its text as the detail.
pub async fn problemize(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_string();
    let (title, detail) = match status.as_u16() {
        400 => ("Bad request", text),
        404 => ("Not found", text),
        408 => ("Request timeout", "the request took longer than the server's limit; nothing was stored unless the answer said so".to_string()),
        413 => ("Payload too large", text),
        415 => ("Unsupported media type", text),
        422 => ("Bad request", text),
        s if s >= 500 => ("Internal error", "the ledger could not complete the request".to_string()),
        _ => ("Request refused", text),
    };
    let detail = if detail.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        detail
    };
    let mut e = ApiError::new(status.as_u16(), title, detail);
    if status.as_u16() == 400 {
        e = e.rule("schema");
    }
    e.into_response()
}
