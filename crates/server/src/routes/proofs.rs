//! Checkpoints, proofs and online verification (RFC 6962, C2SP tlog-checkpoint).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::blocking;
use crate::query::Params;
use crate::service::check_tree_size;
use crate::transparency::{b64, verify_log};
use crate::{ApiError, AppState};

/// The transparency routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/checkpoint", get(checkpoint))
        .route("/api/v1/checkpoint/key", get(key))
        .route("/api/v1/proofs/inclusion", get(inclusion))
        .route("/api/v1/proofs/consistency", get(consistency))
        .route("/api/v1/verify", get(verify))
}

/// `GET /api/v1/checkpoint[?tree_size=N]`: the signed checkpoint (C2SP
/// signed note, `text/plain`) of the durable head or of the first N records.
#[utoipa::path(get, path = "/api/v1/checkpoint", tag = "transparency", operation_id = "checkpoint",
    params(crate::openapi::TreeSizeQuery),
    responses((status = 200, description = "C2SP signed note", content_type = "text/plain", body = String,
        example = "grantledger-f991fcdc\n1291\nGl2s8vaAVFyT7jgEGNL9RO8cS1kb1kLECO/Gtma2Zdg=\n\n— grantledger-f991fcdc mV1ouQzq8O+nPqzBkB/V2xERpl2XJU5FFLFQTVHFgF3X3lNQDBVX+wgdzsitTVTO3EGuzyWdpteHeANhrcoOKfSqMw8=\n")))]
async fn checkpoint(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let params = Params::parse(q.as_deref(), &["tree_size"])?;
    let size: Option<u64> = params.get("tree_size", "a whole number ≥ 1")?;
    let signed = blocking(&state, move |s| s.service.checkpoint(size)).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        signed.to_text(),
    ))
}

/// `GET /api/v1/checkpoint/key`: the verifier key (`name+keyid+base64`, `text/plain`).
#[utoipa::path(get, path = "/api/v1/checkpoint/key", tag = "transparency", operation_id = "checkpoint_key",
    responses((status = 200, description = "The verifier key", content_type = "text/plain", body = String,
        example = "grantledger-f991fcdc+995d68b9+AaBPU5AxkZe1nHyK5MaGgVegiJ/bZTsPaeUzu1T3TPmu\n")))]
async fn key(State(state): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let notary = state
        .service
        .notary()
        .ok_or_else(|| ApiError::not_found("this server signs no checkpoints"))?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        notary.verifier().to_encoded() + "\n",
    ))
}

/// `GET /api/v1/proofs/inclusion?seq=&tree_size=`: RFC 6962 audit path of the
/// record at `seq` (leaf index seq − 1) in the tree of `tree_size` records
/// (default the head): `{seq, leaf_index, tree_size, record_hash (hex),
/// leaf_hash, root_hash, proof: [...]}` (hashes base64) and the signed
/// `checkpoint` of that size.
#[utoipa::path(get, path = "/api/v1/proofs/inclusion", tag = "transparency", operation_id = "inclusion_proof",
    params(crate::openapi::InclusionQuery, crate::openapi::TreeSizeQuery),
    responses((status = 200, description = "The audit path", body = crate::openapi::InclusionProof)))]
async fn inclusion(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(q.as_deref(), &["seq", "tree_size"])?;
    let seq: u64 = params
        .get("seq", "a whole number ≥ 1")?
        .ok_or_else(|| ApiError::bad_param("seq", "`seq` is required"))?;
    let size: Option<u64> = params.get("tree_size", "a whole number ≥ 1")?;
    blocking(&state, move |s| {
        let (size, bound) = proof_size("tree_size", size, s.service.log().head().seq)?;
        check_tree_size("seq", seq, size, bound)?;
        let (leaf, proof, root) = s
            .service
            .with_tree(|t| {
                Ok::<_, grantledger_store::ProofError>((
                    t.leaf(seq - 1)?,
                    t.inclusion_proof(seq - 1, size)?,
                    t.root(size)?,
                ))
            })
            .map_err(ApiError::internal)?;
        let record = s
            .service
            .log()
            .get(seq)?
            .ok_or_else(|| ApiError::not_found(format!("no record {seq}")))?;
        let checkpoint = s.service.checkpoint(Some(size)).ok().map(|c| c.to_text());
        Ok(Json(json!({
            "seq": seq,
            "leaf_index": seq - 1,
            "tree_size": size,
            "record_hash": hex::encode(record.hash),
            "leaf_hash": b64(&leaf),
            "root_hash": b64(&root),
            "proof": proof.iter().map(|h| b64(h)).collect::<Vec<_>>(),
            "checkpoint": checkpoint,
        })))
    })
    .await
}

/// `GET /api/v1/proofs/consistency?from=&to=`: RFC 6962 consistency proof
/// that the tree of `to` records (default the head) extends the tree of
/// `from`: `{from, to, root_from, root_to, proof: [...]}` (base64) and the
/// signed checkpoints of both sizes.
#[utoipa::path(get, path = "/api/v1/proofs/consistency", tag = "transparency", operation_id = "consistency_proof",
    params(crate::openapi::ConsistencyQuery),
    responses((status = 200, description = "The consistency proof", body = crate::openapi::ConsistencyProof)))]
async fn consistency(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(q.as_deref(), &["from", "to"])?;
    let from: u64 = params
        .get("from", "a whole number ≥ 1")?
        .ok_or_else(|| ApiError::bad_param("from", "`from` is required"))?;
    let to: Option<u64> = params.get("to", "a whole number ≥ 1")?;
    blocking(&state, move |s| {
        let (to, bound) = proof_size("to", to, s.service.log().head().seq)?;
        check_tree_size("from", from, to, bound)?;
        let (proof, r1, r2) = s
            .service
            .with_tree(|t| {
                Ok::<_, grantledger_store::ProofError>((
                    t.consistency_proof(from, to)?,
                    t.root(from)?,
                    t.root(to)?,
                ))
            })
            .map_err(ApiError::internal)?;
        Ok(Json(json!({
            "from": from,
            "to": to,
            "root_from": b64(&r1),
            "root_to": b64(&r2),
            "proof": proof.iter().map(|h| b64(h)).collect::<Vec<_>>(),
            "checkpoint_from": s.service.checkpoint(Some(from)).ok().map(|c| c.to_text()),
            "checkpoint_to": s.service.checkpoint(Some(to)).ok().map(|c| c.to_text()),
        })))
    })
    .await
}

/// `GET /api/v1/verify`: re-reads every record, recomputes the chain and the
/// tree and checks every stored checkpoint; `{ok, records, head_hash,
/// root_hash, checkpoints_checked, first_bad_seq, problem}`.
#[utoipa::path(get, path = "/api/v1/verify", tag = "transparency", operation_id = "verify",
    responses((status = 200, description = "The verification report (`ok: false` names the first bad seq)", body = crate::transparency::VerifyReport)))]
async fn verify(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(q.as_deref(), &[])?;
    blocking(&state, move |s| {
        let (checkpoints, key) = match s.service.notary() {
            Some(n) => (n.stored().map_err(ApiError::internal)?, Some(n.verifier())),
            None => (Vec::new(), None),
        };
        let report = verify_log(s.service.log().as_ref(), &checkpoints, key.as_ref());
        Ok(Json(
            serde_json::to_value(report).map_err(ApiError::internal)?,
        ))
    })
    .await
}

/// The tree size a proof is made at: the parameter `name` if `given`
/// (checked: 1 to `head`), else the log head; with what to call it when it
/// bounds another parameter (`name`, or `the log head`).
///
/// # Errors
/// 400 naming `name`, rule `range` ([`check_tree_size`]).
fn proof_size(
    name: &'static str,
    given: Option<u64>,
    head: u64,
) -> Result<(u64, &'static str), ApiError> {
    match given {
        Some(size) => {
            check_tree_size(name, size, head, "the log head")?;
            Ok((size, name))
        }
        None => Ok((head, "the log head")),
    }
}
