//! `POST /api/v1/events`, `GET /api/v1/events`, `GET /api/v1/events/{event_id}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use grantledger_domain::Event;
use grantledger_store::Record;
use serde_json::{json, Value};

use super::blocking;
use crate::auth::Principal;
use crate::query::{Params, TIME_PARAMS};
use crate::request::parse_body_form;
use crate::service::envelope;
use crate::{ApiError, AppState};

/// Most records one `GET /api/v1/events` returns.
pub const MAX_PAGE: usize = 1000;

/// The event routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/events", get(list).post(append))
        .route("/api/v1/events/{event_id}", get(one))
}

/// Refuses a body that is not plain JSON: a Content-Type other than
/// `application/json` or a compressed body (415, field `content-type` /
/// `content-encoding`).
///
/// # Errors
/// 415 problem+json.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(ctype) = headers.get(header::CONTENT_TYPE) {
        let ctype = ctype.to_str().unwrap_or_default();
        let essence = ctype
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" {
            return Err(ApiError::new(
                415,
                "Unsupported media type",
                format!("send the body as Content-Type: application/json, not `{ctype}`"),
            )
            .field("content-type")
            .rule("schema"));
        }
    }
    if headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes() != b"identity")
    {
        return Err(ApiError::new(
            415,
            "Unsupported media type",
            "compressed request bodies are not accepted",
        )
        .field("content-encoding")
        .rule("schema"));
    }
    Ok(())
}

/// The answer to an append: `{"appended": [{event_id, seq, stream,
/// stream_version, recorded_at, hash}], "head": {seq, hash}}` (EVENTS.md).
pub fn appended_json(records: &[Record], head: grantledger_store::Head) -> Value {
    let appended: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({"event_id": r.event_id, "seq": r.seq, "stream": r.stream, "stream_version": r.stream_version,
                   "recorded_at": r.recorded_at, "hash": hex::encode(r.hash)})
        })
        .collect();
    json!({"appended": appended, "head": {"seq": head.seq, "hash": hex::encode(head.hash)}})
}

/// The JSON of a stored record: the envelope with the payload as `data`
/// (pass the event through [`Service::reveal`](crate::Service::reveal) first,
/// so that personal data shows opened or `"[erased]"`).
pub fn record_json(r: &Record, event: &Event) -> Value {
    json!({
        "seq": r.seq,
        "event_id": r.event_id,
        "stream": r.stream,
        "stream_version": r.stream_version,
        "recorded_at": r.recorded_at,
        "actor": r.actor,
        "kind": r.kind,
        "schema_version": r.schema_version,
        "data": event.data_json(),
        "prev_hash": hex::encode(r.prev_hash),
        "hash": hex::encode(r.hash),
    })
}

/// Appends one event or a batch (EVENTS.md "Appending"): 201 with the stored
/// envelopes, 200 for an exact repeat. The envelopes' `actor` is the
/// token's `{role}:{name}`.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", operation_id = "append_events",
    request_body(content = ref("#/components/schemas/AppendRequest"), content_type = "application/json",
        description = "One event or `{\"events\": [...]}` (atomic; at most `max_batch` events, `max_body_bytes` bytes)",
        examples(("one" = (value = json!({"kind": "attendance_recorded", "expected_version": 3,
            "data": {"participant_id": "7ce147a0-8d17-5228-a341-f0bfeb0f0dbc", "session_id": "K03-1-S2", "hours": "6", "sheet_ref": "PL-K03-1-S2"}}))),
            ("batch" = (value = json!({"events": [{"event_id": "0e4706f4-ed3c-5b03-931f-4d3c3e2472be", "kind": "expense_paid",
                "data": {"expense_id": "2d10c2db-62e9-54f8-b254-ec7621d0f07f", "paid_on": "2017-04-12"}}]}))))),
    responses((status = 201, description = "Stored", body = crate::openapi::AppendResponse),
        (status = 200, description = "An exact repeat of stored `event_id`s: nothing new stored", body = crate::openapi::AppendResponse)))]
async fn append(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| {
        let status = e.status().as_u16();
        let err = ApiError::new(
            status,
            if status == 413 {
                "Payload too large"
            } else {
                "Bad request"
            },
            e.body_text(),
        );
        if status == 413 {
            err.rule("max_body_bytes")
        } else {
            err
        }
    })?;
    require_json(&headers)?;
    let max_batch = state.config.max_batch;
    let (requests, batch_form) = parse_body_form(&body, max_batch)?;
    let actor = principal.actor();
    let outcome = blocking(&state, move |s| {
        if batch_form {
            s.service.append_batch(requests, &actor)
        } else {
            s.service.append(requests, &actor)
        }
    })
    .await?;
    let body = appended_json(&outcome.records, state.service.log().head());
    let status = if outcome.repeated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(body)).into_response())
}

/// The page a request asks for: `from_seq` (a seq ≥ 1, default 1) and
/// `limit` (1–[`MAX_PAGE`] records, default `default_limit`).
///
/// # Errors
/// 400 naming `from_seq` or `limit` when out of range or not a whole number.
pub(crate) fn page(params: &Params, default_limit: usize) -> Result<(u64, usize), ApiError> {
    let from: u64 = params.get("from_seq", "a whole number ≥ 1")?.unwrap_or(1);
    if from == 0 {
        return Err(ApiError::bad_param(
            "from_seq",
            "from_seq is a whole number ≥ 1 (seqs start at 1); got 0",
        )
        .rule("range"));
    }
    let limit: usize = params
        .get("limit", &format!("a whole number 1–{MAX_PAGE}"))?
        .unwrap_or(default_limit);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_param(
            "limit",
            format!("limit is a whole number 1–{MAX_PAGE}; got {limit}"),
        )
        .rule("range"));
    }
    Ok((from, limit))
}

/// The log by range: `?from_seq=1&limit=100` (limit ≤ 1000), optionally only
/// one `kind` or `stream`, within the prefix chosen by `known_at` / `at_seq`;
/// `next_from_seq` continues the scan.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", operation_id = "list_events",
    params(crate::openapi::EventsQuery, crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "A page of the log", body = crate::openapi::EventPage)))]
async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let mut allowed = vec!["from_seq", "limit", "kind", "stream"];
    allowed.extend(TIME_PARAMS);
    let params = Params::parse(q.as_deref(), &allowed)?;
    let kind: Option<String> = params.get("kind", "an event kind")?;
    if let Some(k) = &kind {
        k.parse::<grantledger_domain::Kind>().map_err(|_| {
            ApiError::bad_param(
                "kind",
                format!("`{}` is not an event kind", crate::query::clip(k)),
            )
        })?;
    }
    let stream: Option<String> = params.get("stream", "a stream name")?;
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let (from, limit) = page(&params, 100)?;
        let (upto, manifest) = s.service.at(&point, |l| l.at_seq())?;
        // Scan forward from `from` until `limit` matching records or the prefix end.
        let mut events = Vec::new();
        let mut next = from;
        while next <= upto && events.len() < limit {
            let want = usize::try_from(upto - next + 1)
                .unwrap_or(usize::MAX)
                .min(1000);
            let records = s.service.log().read_range(next, want)?;
            let Some(last) = records.last().map(|r| r.seq) else {
                break;
            };
            for r in &records {
                next = r.seq + 1;
                let keep = kind.as_deref().is_none_or(|k| r.kind == k)
                    && stream.as_deref().is_none_or(|st| r.stream == st);
                if keep {
                    events.push(record_json(r, &s.service.reveal(&envelope(r)?.event)));
                    if events.len() == limit {
                        break;
                    }
                }
            }
            if next <= last {
                break;
            }
        }
        let next = Some(next).filter(|n| *n <= upto);
        Ok(Json(
            json!({"events": events, "next_from_seq": next, "manifest": manifest}),
        ))
    })
    .await
}

/// One envelope with the corrections and void that apply to it in the prefix,
/// and its effective payload there (`null` if voided).
#[utoipa::path(get, path = "/api/v1/events/{event_id}", tag = "events", operation_id = "get_event",
    params(("event_id" = uuid::Uuid, Path, description = "The event id", example = "0e4706f4-ed3c-5b03-931f-4d3c3e2472be"),
        crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "The event", body = crate::openapi::EventDetail)))]
async fn one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let id = crate::query::path_uuid(&id, "event_id", "a UUID")?;
    let params = Params::parse(q.as_deref(), &TIME_PARAMS)?;
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let ((seq, amendments, effective), manifest) = s.service.at(&point, |l| {
            let Some(seq) = l.seq_of(&id) else {
                return (None, Vec::new(), None);
            };
            let live = l.live(seq);
            let mut seqs: Vec<u64> = l.corrected_by(seq).collect();
            seqs.extend(l.voided_by(seq));
            seqs.sort_unstable();
            let effective = live.map(|x| {
                json!({"kind": x.event.kind().as_str(), "data": s.service.reveal(&x.event).data_json()})
            });
            (Some(seq), seqs, effective)
        })?;
        let not_found = || {
            ApiError::not_found(format!(
                "no event {id} in the log prefix seq ≤ {}",
                manifest.at_seq
            ))
        };
        let record = s
            .service
            .log()
            .get(seq.ok_or_else(not_found)?)?
            .ok_or_else(not_found)?;
        let mut corrections = Vec::new();
        for seq in amendments {
            if let Some(r) = s.service.log().get(seq)? {
                corrections.push(record_json(&r, &s.service.reveal(&envelope(&r)?.event)));
            }
        }
        let event = record_json(&record, &s.service.reveal(&envelope(&record)?.event));
        let voided = effective.is_none() && record_is_fact(&record);
        Ok(Json(json!({
            "event": event,
            "corrections": corrections,
            "effective": effective,
            "voided": voided,
            "manifest": manifest,
        })))
    })
    .await
}

fn record_is_fact(r: &Record) -> bool {
    r.kind != "event_corrected" && r.kind != "event_voided"
}
