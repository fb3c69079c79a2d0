//! Reports, explain and the indicator series (DOMAIN.md R5).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use grantledger_domain::{Date, YearMonth};
use grantledger_projections::Ledger;
use grantledger_reports::{
    render_corrections, render_period, CorrectionsReport, Format, PeriodReport, ReportError,
};
use jiff::ToSpan;
use serde_json::{json, Value};
use uuid::Uuid;

use super::blocking;
use crate::query::{Params, GENERATOR, RULE_SET, TIME_PARAMS};
use crate::routes::events::record_json;
use crate::service::envelope;
use crate::{ApiError, AppState};

/// Most steps one series answer holds.
pub const MAX_SERIES_STEPS: usize = 4000;

/// The report routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/reports/period/{no}", get(period))
        .route("/api/v1/reports/corrections", get(corrections))
        .route("/api/v1/explain", get(explain))
        .route("/api/v1/indicators/series", get(series))
}

fn report_error(e: ReportError) -> ApiError {
    match e {
        ReportError::NoPeriod(_) => ApiError::not_found(e.to_string())
            .field("period_no")
            .rule("R5.1"),
        ReportError::NotSubmitted(_) | ReportError::NoProject => ApiError::not_found(e.to_string()),
        ReportError::Serialize(e) => ApiError::internal(e),
    }
}

fn with_time(extra: &[&'static str]) -> Vec<&'static str> {
    let mut allowed = extra.to_vec();
    allowed.extend(TIME_PARAMS);
    allowed
}

fn format_of(params: &Params) -> Result<Format, ApiError> {
    let name: Option<String> = params.get("format", "json, csv, xlsx or html")?;
    Format::parse(name.as_deref().unwrap_or("json"))
        .map_err(|e| ApiError::bad_param("format", e.to_string()))
}

/// The headers of a report response: its type, file name and body hash.
fn report_headers(
    format: Format,
    name: &str,
    body_sha256: &str,
) -> [(header::HeaderName, String); 3] {
    let disposition = format!("inline; filename=\"{name}.{}\"", format.extension());
    [
        (header::CONTENT_TYPE, format.content_type().to_string()),
        (header::CONTENT_DISPOSITION, disposition),
        (
            header::HeaderName::from_static("x-report-body-sha256"),
            body_sha256.to_string(),
        ),
    ]
}

/// Bytes of rendered JSON sent to the client at a time.
const STREAM_CHUNK: usize = 64 * 1024;

/// A report as its response: JSON is written into the body in chunks of
/// [`STREAM_CHUNK`] bytes while it is rendered (a period report of a
/// 10^6-event log is ≈ 50 MB of JSON, which then never sits in memory
/// whole); CSV, XLSX and HTML are rendered whole by `render` first. A JSON
/// body that fails half-way (the client gone, or not reading for `stall`:
/// the request timeout) ends the connection with an error, never as a
/// short 200, and frees the report and its thread.
///
/// # Errors
/// `render`'s error, as a 500.
fn report_response<T: serde::Serialize + Send + 'static>(
    report: T,
    format: Format,
    name: &str,
    body_sha256: &str,
    stall: std::time::Duration,
    render: impl FnOnce(&T, Format) -> Result<Vec<u8>, grantledger_reports::RenderError>,
) -> Result<Response, ApiError> {
    if format != Format::Json {
        let bytes = render(&report, format).map_err(ApiError::internal)?;
        return Ok((report_headers(format, name, body_sha256), bytes).into_response());
    }
    let body = stream_body(stall, move |out| {
        grantledger_reports::write_json(&report, out).is_ok()
    });
    Ok((report_headers(format, name, body_sha256), body).into_response())
}

/// A body written by `write` on a blocking thread into chunks of
/// [`STREAM_CHUNK`] bytes, each waiting at most `stall` for the client;
/// `write` says whether it wrote the whole body (else the body ends with an
/// error).
fn stream_body(
    stall: std::time::Duration,
    write: impl FnOnce(std::io::BufWriter<ChunkSender>) -> bool + Send + 'static,
) -> axum::body::Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(2);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let written = Arc::clone(&done);
    // held open until `done` is set: the body must not see the channel
    // closed (its end) before it can tell a finished body from a cut one
    let open = tx.clone();
    let sender = ChunkSender {
        tx,
        runtime: tokio::runtime::Handle::current(),
        stall,
    };
    tokio::task::spawn_blocking(move || {
        if write(std::io::BufWriter::with_capacity(STREAM_CHUNK, sender)) {
            written.store(true, std::sync::atomic::Ordering::Release);
        }
        drop(open);
    });
    chunk_body(rx, done)
}

/// The body of chunks sent by a [`ChunkSender`]: they, then the end if
/// `done` was set before the sender went away, else an error (the
/// connection is closed, and the client sees the body is cut short).
fn chunk_body(
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    done: Arc<std::sync::atomic::AtomicBool>,
) -> axum::body::Body {
    let chunks = futures_util::stream::unfold(Some(rx), move |rx| {
        let done = Arc::clone(&done);
        async move {
            let mut rx = rx?;
            match rx.recv().await {
                Some(chunk) => Some((chunk, Some(rx))),
                None if done.load(std::sync::atomic::Ordering::Acquire) => None,
                None => Some((
                    Err(std::io::Error::other("the report stopped before its end")),
                    None,
                )),
            }
        }
    });
    axum::body::Body::from_stream(chunks)
}

/// The writing end of a streamed body: each write is one chunk, sent when
/// the client has taken the chunks before it (a blocking thread waits, at
/// most `stall` per chunk: then the write fails with `TimedOut`).
struct ChunkSender {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Vec<u8>>>,
    runtime: tokio::runtime::Handle,
    stall: std::time::Duration,
}

impl std::io::Write for ChunkSender {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let send = tokio::time::timeout(self.stall, self.tx.send(Ok(buf.to_vec())));
        match self.runtime.block_on(send) {
            Ok(Ok(())) => Ok(buf.len()),
            Ok(Err(_)) => Err(std::io::ErrorKind::BrokenPipe.into()),
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `GET /api/v1/reports/period/{no}?format=json|csv|xlsx|html&as_of=&known_at=|at_seq=`:
/// the monitoring-period report (R5.3). Default `as_of`: the period's end;
/// default prefix: the head. Header `X-Report-Body-SHA256` = the manifest's `body_sha256`.
#[utoipa::path(get, path = "/api/v1/reports/period/{no}", tag = "reports", operation_id = "period_report",
    params(("no" = u32, Path, minimum = 1, description = "The monitoring period number", example = 1),
        crate::openapi::FormatQuery, crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "The report, rendered as `format` asks",
        headers(("Content-Disposition" = String, description = "`inline; filename=\"period-{no}.{json|csv|xlsx|html}\"`"),
            ("X-Report-Body-SHA256" = String, description = "Hex SHA-256 of the body: the manifest's `body_sha256`")),
        content((crate::openapi::Report = "application/json"), (String = "text/csv", example = "\u{feff}Manifest\nfield,value\nreport,period 1\nas_of,2017-03-31\n"),
            (crate::openapi::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/html", example = "<!DOCTYPE html>\n<html lang=\"cs\">…</html>\n")))))]
async fn period(
    State(state): State<Arc<AppState>>,
    Path(no): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let no: u32 = no.parse().map_err(|_| {
        ApiError::bad_param(
            "no",
            format!(
                "`{}` is not a monitoring period number (a whole number ≥ 1, R5.1)",
                crate::query::clip(&no)
            ),
        )
    })?;
    let params = Params::parse(q.as_deref(), &with_time(&["format"]))?;
    let format = format_of(&params)?;
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let as_of = params.has("as_of").then_some(point.as_of);
        let (report, _) = s.service.at(&point, |l| {
            PeriodReport::build(l, no, as_of, point.known_at, RULE_SET, GENERATOR)
        })?;
        // the period is the path parameter `no` here (`period_no` in the
        // corrections report)
        let report = report.map_err(|e| match e {
            ReportError::NoPeriod(_) => report_error(e).field("no"),
            e => report_error(e),
        })?;
        let sha = report.manifest.body_sha256.clone();
        let stall = std::time::Duration::from_secs(s.config.request_timeout_secs);
        report_response(
            report,
            format,
            &format!("period-{no}"),
            &sha,
            stall,
            render_period,
        )
    })
    .await
}

/// `GET /api/v1/reports/corrections?period_no=N&format=&as_of=&known_at=|at_seq=`:
/// the period's report as submitted (the `at_seq` of its `report_submitted`)
/// beside the report at the chosen prefix (default the head), with every
/// changed figure and the events that changed it (R5.4).
#[utoipa::path(get, path = "/api/v1/reports/corrections", tag = "reports", operation_id = "corrections_report",
    params(crate::openapi::CorrectionsQuery, crate::openapi::FormatQuery, crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "The report, rendered as `format` asks",
        headers(("Content-Disposition" = String, description = "`inline; filename=\"corrections-{period_no}.{json|csv|xlsx|html}\"`"),
            ("X-Report-Body-SHA256" = String, description = "Hex SHA-256 of the body: the manifest's `body_sha256`")),
        content((crate::openapi::Report = "application/json"), (String = "text/csv"),
            (crate::openapi::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/html")))))]
async fn corrections(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(q.as_deref(), &with_time(&["period_no", "format"]))?;
    let format = format_of(&params)?;
    let no: u32 = params
        .get("period_no", "a monitoring period number")?
        .ok_or_else(|| ApiError::bad_param("period_no", "`period_no` is required"))?;
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let as_of = params.has("as_of").then_some(point.as_of);
        let (marker_at, _) = s
            .service
            .at(&point, |l| l.report_marker(no).map(|(_, m)| m.at_seq))?;
        let marker_at = marker_at.ok_or_else(|| report_error(ReportError::NotSubmitted(no)))?;
        let then = s.service.ledger_at(marker_at)?;
        let log = s.service.log().clone();
        let describe = move |seq: u64| match log.get(seq) {
            Ok(Some(r)) => (Some(r.recorded_at), Some(r.actor)),
            _ => (None, None),
        };
        let (report, _) = s.service.at(&point, |now| {
            CorrectionsReport::build(&then, now, no, as_of, RULE_SET, GENERATOR, &describe)
        })?;
        let report = report.map_err(report_error)?;
        let sha = report.manifest.body_sha256.clone();
        report_response(
            report,
            format,
            &format!("corrections-{no}"),
            &sha,
            std::time::Duration::from_secs(s.config.request_timeout_secs),
            render_corrections,
        )
    })
    .await
}

/// Which figure to explain.
enum Figure {
    Indicator(String),
    Participant(Uuid),
    BudgetLine(String),
    Finding { rule: String, subject: String },
}

/// `GET /api/v1/explain?indicator=CODE | participant=ID | budget_line=CODE |
/// finding=SUBJECT&rule=RULE` (+ time params, `from_seq`, `limit`): every seq
/// behind the figure (`seqs`, corrections included) and a page of their
/// events (those from `from_seq`, at most `limit` ≤ 1000, default 1000), each
/// `{seq, event_id, kind, valid_date, recorded_at, actor, hash, data,
/// corrected_by: [seq], voided_by, effective}`; `next_from_seq` continues
/// (null on the last page). Without `as_of`, a finding is looked up on the
/// date `GET /findings` defaults to (the day after the project end, from
/// then on).
#[utoipa::path(get, path = "/api/v1/explain", tag = "figures", operation_id = "explain",
    params(crate::openapi::ExplainQuery, crate::openapi::AsOfQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "The figure and the events behind it", body = crate::openapi::Explanation)))]
async fn explain(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(
        q.as_deref(),
        &with_time(&[
            "indicator",
            "participant",
            "budget_line",
            "finding",
            "rule",
            "from_seq",
            "limit",
        ]),
    )?;
    let given: Vec<&str> = ["indicator", "participant", "budget_line", "finding"]
        .into_iter()
        .filter(|p| params.has(p))
        .collect();
    if given.len() != 1 {
        return Err(ApiError::bad_param(
            "indicator",
            "name exactly one figure: indicator=CODE, participant=ID, budget_line=CODE or finding=SUBJECT&rule=RULE",
        ));
    }
    let figure = match given[0] {
        "indicator" => Figure::Indicator(
            params
                .get("indicator", "an indicator code")?
                .unwrap_or_default(),
        ),
        "participant" => Figure::Participant(
            params
                .get::<crate::query::UuidText>(
                    "participant",
                    "a participant UUID (8-4-4-4-12 hex digits)",
                )?
                .ok_or_else(|| ApiError::bad_param("participant", "missing"))?
                .0,
        ),
        "budget_line" => Figure::BudgetLine(
            params
                .get("budget_line", "a budget line code")?
                .unwrap_or_default(),
        ),
        _ => Figure::Finding {
            subject: params
                .get("finding", "a finding's subject")?
                .unwrap_or_default(),
            rule: params.get("rule", "the finding's rule")?.ok_or_else(|| {
                ApiError::bad_param(
                    "rule",
                    "a finding is named by finding=SUBJECT and rule=RULE",
                )
            })?,
        },
    };
    let page = super::events::page(&params, super::events::MAX_PAGE)?;
    blocking(&state, move |s| {
        let mut point = s.service.resolve(&params)?;
        if matches!(figure, Figure::Finding { .. }) && !params.has("as_of") {
            // the default view of findings, so that every finding it lists
            // can be explained without an `as_of`
            point.as_of = super::reads::findings_as_of(s, point.as_of);
        }
        let show = |e: &grantledger_domain::Event| s.service.reveal(e).data_json();
        let (found, manifest) = s
            .service
            .at(&point, |l| explain_in(l, &figure, point.as_of, page, &show))?;
        let (what, value, seqs, rows, next) = found?;
        let mut events = Vec::new();
        for (seq, extra) in rows {
            if let Some(r) = s.service.log().get(seq)? {
                let mut row = record_json(&r, &s.service.reveal(&envelope(&r)?.event));
                if let (Some(o), Value::Object(x)) = (row.as_object_mut(), extra) {
                    o.extend(x);
                }
                events.push(row);
            }
        }
        Ok(Json(
            json!({"figure": what, "value": value, "seqs": seqs, "events": events, "next_from_seq": next, "manifest": manifest}),
        ))
    })
    .await
}

/// The figure, its value, every seq behind it, the provenance of those in
/// the page asked for, and the first seq after the page (if any).
type Explained = (Value, Value, Vec<u64>, Vec<(u64, Value)>, Option<u64>);

/// The figure and the seqs behind it, with per-seq provenance for the seqs
/// of `page` (from seq, at most that many: the supported persons stand on
/// 10^5 events and more at 10^6 events, each read from the log for its row).
/// `show` gives an event's `data` as readers see it (personal data opened or erased).
fn explain_in(
    l: &Ledger,
    figure: &Figure,
    as_of: Date,
    (from, limit): (u64, usize),
    show: &dyn Fn(&grantledger_domain::Event) -> Value,
) -> Result<Explained, ApiError> {
    let (what, value, evidence): (Value, Value, Vec<u64>) = match figure {
        Figure::Indicator(code) => {
            let def = l.project().and_then(|p| p.indicator(code)).ok_or_else(|| {
                ApiError::not_found(format!("no indicator {code}")).field("indicator")
            })?;
            let v = l.indicator(def, as_of);
            (
                json!({"indicator": code}),
                serde_json::to_value(&v).unwrap_or_default(),
                v.evidence,
            )
        }
        Figure::Participant(id) => {
            let f = l.participant(id, as_of).ok_or_else(|| {
                ApiError::not_found(format!("no participant {id}")).field("participant")
            })?;
            let mut seqs = f.evidence.clone();
            seqs.extend(l.seq_of_participant(id));
            (
                json!({"participant": id}),
                json!({"hours": f.hours, "supported": f.supported, "supported_on": f.supported_on}),
                seqs,
            )
        }
        Figure::BudgetLine(code) => {
            let b = l
                .budget(as_of)
                .ok_or_else(|| ApiError::not_found("the project is not defined"))?;
            let line = b
                .lines
                .into_iter()
                .find(|x| &x.code == code)
                .ok_or_else(|| {
                    ApiError::not_found(format!("no budget line {code}")).field("budget_line")
                })?;
            // the line's eligible expenses with their payments, timesheets
            // and contracts (the budget's own evidence lists the expenses)
            let seqs = l.budget_line_evidence(code, as_of);
            (
                json!({"budget_line": code}),
                serde_json::to_value(&line).unwrap_or_default(),
                seqs,
            )
        }
        Figure::Finding { rule, subject } => {
            let f = l
                .findings(as_of)
                .into_iter()
                .find(|f| f.rule == rule && &f.subject == subject)
                .ok_or_else(|| {
                    ApiError::not_found(format!("no finding {rule} {subject} as of {as_of}"))
                        .field("finding")
                })?;
            let seqs = f.seqs.clone();
            (
                json!({"finding": subject, "rule": rule}),
                serde_json::to_value(&f).unwrap_or_default(),
                seqs,
            )
        }
    };
    let mut value = value;
    if let Some(o) = value.as_object_mut() {
        o.remove("evidence");
        o.remove("seqs");
    }
    let seqs = l.with_corrections(&evidence);
    let mut paged = seqs.iter().copied().filter(|&s| s >= from);
    let rows = paged
        .by_ref()
        .take(limit)
        .map(|seq| {
            let live = l.live(seq);
            let target = l.amendment(seq).and_then(|(_, t, _)| t);
            (
                seq,
                json!({
                    "valid_date": l.valid_date_of(seq).or_else(|| target.and_then(|t| l.valid_date_of(t))),
                    "corrected_by": l.corrected_by(seq).collect::<Vec<_>>(),
                    "voided_by": l.voided_by(seq),
                    "corrects": target,
                    "effective": live.map(|x| json!({"kind": x.event.kind().as_str(), "data": show(&x.event)})),
                }),
            )
        })
        .collect();
    let next = paged.next();
    Ok((what, value, seqs, rows, next))
}

/// `GET /api/v1/indicators/series?from=&to=&step=day|month` (+ time params):
/// every indicator at every step, `{series: [{date, values: {code: value}}],
/// manifest}`, from one fold of the prefix (the state holds every dated fact;
/// each step only evaluates it). `month` steps are month ends (and `to`).
/// Defaults: the project period. The manifest's `as_of` is the last step.
#[utoipa::path(get, path = "/api/v1/indicators/series", tag = "figures", operation_id = "indicator_series",
    params(crate::openapi::SeriesQuery, crate::openapi::RecordTimeQuery),
    responses((status = 200, description = "Every indicator at every step", body = crate::openapi::Series)))]
async fn series(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(q.as_deref(), &["from", "to", "step", "known_at", "at_seq"])?;
    let date = |name| {
        params
            .get::<crate::query::DateText>(name, "a date YYYY-MM-DD")
            .map(|d| d.map(|d| d.0))
    };
    let (from, to): (Option<Date>, Option<Date>) = (date("from")?, date("to")?);
    let step: String = params
        .get("step", "day or month")?
        .unwrap_or_else(|| "month".to_string());
    if step != "day" && step != "month" {
        return Err(ApiError::bad_param(
            "step",
            format!("step is `day` or `month`, not `{step}`"),
        ));
    }
    blocking(&state, move |s| {
        let point = s.service.resolve(&params)?;
        let (answer, manifest) = s.service.at(&point, |l| {
            let period = l.project().map(|p| p.period);
            let from = from.or(period.map(|p| p.start)).unwrap_or(point.as_of);
            let to = to.or(period.map(|p| p.end)).unwrap_or(point.as_of);
            if to < from {
                return Err(
                    ApiError::bad_param("to", format!("to {to} is before from {from}"))
                        .rule("range"),
                );
            }
            let mut dates = Vec::new();
            let mut d = from;
            while d <= to && dates.len() <= MAX_SERIES_STEPS {
                if step == "day" {
                    dates.push(d);
                    d = match d.tomorrow() {
                        Ok(n) => n,
                        Err(_) => break,
                    };
                } else {
                    let end = YearMonth::of(d).last_day().min(to);
                    dates.push(end);
                    d = match end.checked_add(1.day()) {
                        Ok(n) => n,
                        Err(_) => break,
                    };
                }
            }
            if dates.len() > MAX_SERIES_STEPS {
                return Err(ApiError::bad_param(
                    "to",
                    format!("a series holds at most {MAX_SERIES_STEPS} steps"),
                )
                .rule("range"));
            }
            let last = dates.last().copied();
            let series = dates
                .into_iter()
                .map(|d| {
                    let values: serde_json::Map<String, Value> = l
                        .indicator_values(d)
                        .into_iter()
                        .map(|v| (v.code, serde_json::to_value(v.value).unwrap_or_default()))
                        .collect();
                    json!({"date": d, "values": values})
                })
                .collect::<Vec<_>>();
            Ok((last, series))
        })?;
        let (last, series) = answer?;
        let mut manifest = manifest;
        if let Some(d) = last {
            manifest.as_of = d;
        }
        Ok(Json(
            json!({"series": series, "step": step, "manifest": manifest}),
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::{chunk_body, ChunkSender};
    use std::io::Write;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// A client that stops reading: the writer's next chunk waits `stall`,
    /// then fails (the report and its thread are freed), instead of waiting
    /// as long as the connection stays open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_whose_client_stops_reading_gives_up_after_the_stall() {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let mut sender = ChunkSender {
            tx,
            runtime: tokio::runtime::Handle::current(),
            stall: Duration::from_millis(200),
        };
        let (result, waited) = tokio::task::spawn_blocking(move || {
            sender.write_all(b"first").expect("room for one chunk");
            let t = Instant::now();
            (sender.write_all(b"second"), t.elapsed())
        })
        .await
        .unwrap();
        assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        assert!(waited >= Duration::from_millis(200), "{waited:?}");
    }

    /// A client that is gone: the write fails at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_whose_client_is_gone_fails_at_once() {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        drop(rx);
        let mut sender = ChunkSender {
            tx,
            runtime: tokio::runtime::Handle::current(),
            stall: Duration::from_secs(60),
        };
        let result = tokio::task::spawn_blocking(move || sender.write_all(b"x"))
            .await
            .unwrap();
        assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    }

    /// A finished body always ends cleanly, however quickly the client
    /// reads its last chunk (the writer's end is not taken for the body's
    /// before it says it finished).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_finished_body_always_ends_cleanly() {
        for n in 0..20_000 {
            let body = super::stream_body(Duration::from_secs(5), move |mut out| {
                out.write_all(format!("{n}").as_bytes()).is_ok() && out.flush().is_ok()
            });
            let bytes = axum::body::to_bytes(body, 1 << 20).await;
            assert_eq!(&bytes.expect("a whole body")[..], n.to_string().as_bytes());
        }
    }

    /// The body ends cleanly only when the writer finished; a writer that
    /// stopped half-way (timed out, failed) makes the body an error, never
    /// a short 200.
    #[tokio::test]
    async fn a_body_ends_with_an_error_unless_the_writer_finished() {
        for finished in [true, false] {
            let (tx, rx) = tokio::sync::mpsc::channel(2);
            tx.send(Ok(b"{\"a\":".to_vec())).await.unwrap();
            drop(tx);
            let body = chunk_body(rx, Arc::new(AtomicBool::new(finished)));
            let bytes = axum::body::to_bytes(body, 1 << 20).await;
            match finished {
                true => assert_eq!(&bytes.unwrap()[..], b"{\"a\":"),
                false => assert!(bytes.is_err(), "a cut body read as complete"),
            }
        }
    }
}
