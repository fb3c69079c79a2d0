//! Point-in-time reads: indicators and participants.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::blocking;
use crate::query::{Params, TIME_PARAMS};
use grantledger_domain::YearMonth;
use grantledger_projections::Severity;

use crate::{ApiError, AppState};

/// The read routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/indicators", get(indicators))
        .route("/api/v1/participants/{id}", get(participant))
}

/// `GET /api/v1/indicators?as_of=&known_at=|at_seq=`:
/// `{"indicators": [{code, name, unit, target, value, met, by_gender?, measure}], "manifest"}`.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "figures", operation_id = "indicators",
    params(crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "Every indicator", body = crate::openapi::IndicatorList)))]
async fn indicators(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(q.as_deref(), &TIME_PARAMS)?;
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let (values, manifest) = s.service.indicators_at(&point)?;
        Ok(Json(json!({"indicators": values, "manifest": manifest})))
    })
    .await
}

/// `GET /api/v1/participants/{id}`: `{participant_id, hours, supported,
/// supported_on, gender, entry_date, exit_date, evidence, manifest}` (R1.3–R1.5).
#[utoipa::path(get, path = "/api/v1/participants/{id}", tag = "participants", operation_id = "participant",
    params(("id" = uuid::Uuid, Path, description = "The participant's UUID", example = "7ce147a0-8d17-5228-a341-f0bfeb0f0dbc"),
        crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "The participant's figures", body = crate::openapi::ParticipantFigures)))]
async fn participant(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let id = crate::query::path_uuid(&id, "id", "a participant UUID")?;
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

/// The rule ids findings are reported under (docs/COMPLIANCE.md).
pub const FINDING_RULES: [&str; 10] = [
    "R1.2", "R3.2", "R3.3", "R3.4", "R3.5", "R3.6", "R4.1", "R4.2", "R4.3", "R4.6",
];

/// The compliance routes (docs/COMPLIANCE.md).
pub fn compliance_router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/timesheets/{staff_id}", get(timesheets))
        .route("/api/v1/budget", get(budget))
        .route("/api/v1/findings", get(findings))
}

/// `GET /api/v1/timesheets/{staff_id}?month=YYYY-MM`: `{staff_id, month,
/// working_days, fund_hours, contracted_fte, contracted_hours, filed,
/// project_hours, non_project_hours, indirect_hours, actual_fte, evidence,
/// manifest}` (R3.2, R3.7). Without `month`: `{staff_id, months: [...], manifest}`
/// for every month of the contract within the project period.
#[utoipa::path(get, path = "/api/v1/timesheets/{staff_id}", tag = "figures", operation_id = "timesheets",
    params(("staff_id" = String, Path, description = "The staff member", example = "ST-01"),
        crate::openapi::TimesheetQuery, crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "One month, or every month", body = crate::openapi::TimesheetAnswer)))]
async fn timesheets(
    State(state): State<Arc<AppState>>,
    Path(staff_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let mut allowed = vec!["month"];
    allowed.extend(TIME_PARAMS);
    let params = Params::parse(q.as_deref(), &allowed)?;
    let month: Option<YearMonth> = params.get("month", "a month YYYY-MM")?;
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let (answer, manifest) = s.service.at(&point, |l| match month {
            Some(m) => l
                .timesheet_figures(&staff_id, m, point.as_of)
                .map(|t| serde_json::to_value(t).unwrap_or_default()),
            None => l.staff_months(&staff_id, point.as_of).map(|months| {
                let figures: Vec<_> = months
                    .into_iter()
                    .filter_map(|m| l.timesheet_figures(&staff_id, m, point.as_of))
                    .collect();
                json!({"staff_id": staff_id, "months": figures})
            }),
        })?;
        let mut body = answer.ok_or_else(|| {
            ApiError::not_found(format!(
                "no staff member {staff_id} in the log prefix seq ≤ {}",
                manifest.at_seq
            ))
            .field("staff_id")
        })?;
        body["manifest"] = serde_json::to_value(manifest).map_err(ApiError::internal)?;
        Ok(Json(body))
    })
    .await
}

/// `GET /api/v1/budget`: per line `{code, name, amount, eligible, remaining,
/// personnel, evidence}`, `direct_eligible`, `indirect_cost_rate_pct`,
/// `indirect`, `total_eligible`, `total_budget`, `rounding`, `manifest` (R4).
#[utoipa::path(get, path = "/api/v1/budget", tag = "figures", operation_id = "budget",
    params(crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "The budget", body = crate::openapi::BudgetFigures)))]
async fn budget(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(q.as_deref(), &TIME_PARAMS)?;
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let (budget, manifest) = s.service.at(&point, |l| l.budget(point.as_of))?;
        let mut body = match budget {
            Some(b) => serde_json::to_value(b).map_err(ApiError::internal)?,
            None => return Err(ApiError::not_found("the project is not defined yet")),
        };
        body["manifest"] = serde_json::to_value(manifest).map_err(ApiError::internal)?;
        Ok(Json(body))
    })
    .await
}

/// `GET /api/v1/findings?rule=&severity=`: `{findings: [{rule, severity,
/// subject, message, date, seqs}], counts: {error, warning}, manifest}` —
/// every finding that has arisen by `as_of` in the prefix. Default `as_of`:
/// today, up to the day after the project end (when the end-of-project
/// findings arise).
#[utoipa::path(get, path = "/api/v1/findings", tag = "figures", operation_id = "findings",
    params(crate::openapi::FindingsQuery, crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "The findings", body = crate::openapi::FindingList)))]
async fn findings(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let mut allowed = vec!["rule", "severity"];
    allowed.extend(TIME_PARAMS);
    let params = Params::parse(q.as_deref(), &allowed)?;
    let rule: Option<String> = params.get("rule", "a rule id such as R3.2")?;
    let severity: Option<String> = params.get("severity", "error or warning")?;
    if let Some(sev) = &severity {
        if sev != "error" && sev != "warning" {
            return Err(ApiError::bad_param(
                "severity",
                format!("severity is `error` or `warning`, not `{sev}`"),
            ));
        }
    }
    if let Some(r) = &rule {
        if !FINDING_RULES.contains(&r.as_str()) {
            return Err(ApiError::bad_param(
                "rule",
                format!(
                    "`{r}` is not a rule findings are reported for; one of {}",
                    FINDING_RULES.join(", ")
                ),
            ));
        }
    }
    blocking(&state, move |s| {
        let mut point = s.service.resolve(&params)?;
        if !params.has("as_of") {
            point.as_of = findings_as_of(s, point.as_of);
        }
        let (all, manifest) = s.service.at(&point, |l| l.findings(point.as_of))?;
        let list: Vec<_> = all
            .into_iter()
            .filter(|f| rule.as_deref().is_none_or(|r| f.rule == r))
            .filter(|f| severity.as_deref().is_none_or(|v| f.severity.as_str() == v))
            .collect();
        let errors = list
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        Ok(Json(json!({
            "findings": list,
            "counts": {"error": errors, "warning": list.len() - errors},
            "manifest": manifest,
        })))
    })
    .await
}

/// The `as_of` of a view of findings when the request names none, given
/// the default `today`: from the project end on, the day after it (or
/// today, if earlier), so that findings dated the day after the end
/// (unpaid at the end, no exit at the final report) belong to the default
/// view too. `GET /findings` and `GET /explain?finding=` use it.
pub(crate) fn findings_as_of(
    s: &AppState,
    today: grantledger_domain::Date,
) -> grantledger_domain::Date {
    s.service.with_head(|l| match l.project() {
        Some(p) if today >= p.period.end => {
            let after = p.period.end.tomorrow().unwrap_or(p.period.end);
            jiff::Zoned::now().date().clamp(p.period.end, after)
        }
        _ => today,
    })
}
