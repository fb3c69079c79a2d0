//! The OpenAPI 3.1 document of the HTTP API (issue 6 part 4), generated from
//! the code: the `#[utoipa::path]` attributes on the handlers (method, path,
//! parameters, bodies, their doc comments), the response shapes below, the
//! schemars JSON Schemas of the event catalogue (`schemas/events/`) for the
//! request body of `POST /api/v1/events`, the problem+json error answers and
//! the roles of [`crate::auth::RULES`].
//!
//! Served at `GET /api/v1/openapi.json` and committed as
//! `schemas/api/openapi.json`; the test `openapi_document_matches_the_committed_file`
//! fails when they differ (regenerate with
//! `UPDATE_OPENAPI=1 cargo test -p grantledger-server openapi`). The document
//! is deterministic: keys sorted, no timestamps.

use std::sync::OnceLock;

use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// One documented operation: method, path (OpenAPI template), summary, and
/// the error statuses it answers (each a problem+json response of
/// `components.responses`).
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template as the router registers it (`{id}` segments).
    pub path: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Error statuses answered (problem+json).
    pub errors: &'static [u16],
}

const READ: &[u16] = &[400, 401, 403, 405, 500];
const READ_ONE: &[u16] = &[400, 401, 403, 404, 405, 500];
const WRITE: &[u16] = &[400, 401, 403, 405, 409, 413, 415, 422, 500];
const ERASE: &[u16] = &[400, 401, 403, 404, 405, 409, 413, 415, 500];

/// Every route of the router, the one list the document and the tests use.
pub const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/healthz",
        summary: "Liveness and the durable head",
        errors: &[405],
    },
    Route {
        method: "GET",
        path: "/api/v1/openapi.json",
        summary: "This OpenAPI 3.1 document",
        errors: &[401, 403, 405],
    },
    Route {
        method: "POST",
        path: "/api/v1/events",
        summary: "Append one event or an atomic batch",
        errors: WRITE,
    },
    Route {
        method: "GET",
        path: "/api/v1/events",
        summary: "Read the log by range",
        errors: READ,
    },
    Route {
        method: "GET",
        path: "/api/v1/events/{event_id}",
        summary: "One event with its corrections",
        errors: READ_ONE,
    },
    Route {
        method: "GET",
        path: "/api/v1/indicators",
        summary: "Indicator values as of a date",
        errors: READ,
    },
    Route {
        method: "GET",
        path: "/api/v1/indicators/series",
        summary: "Every indicator at every step",
        errors: READ,
    },
    Route {
        method: "GET",
        path: "/api/v1/participants/{id}",
        summary: "A participant's support hours",
        errors: READ_ONE,
    },
    Route {
        method: "POST",
        path: "/api/v1/participants/{id}/erase",
        summary: "Erase a participant's personal data",
        errors: ERASE,
    },
    Route {
        method: "GET",
        path: "/api/v1/timesheets/{staff_id}",
        summary: "A staff member's timesheet figures",
        errors: READ_ONE,
    },
    Route {
        method: "GET",
        path: "/api/v1/budget",
        summary: "Eligible expenses per budget line",
        errors: READ_ONE,
    },
    Route {
        method: "GET",
        path: "/api/v1/findings",
        summary: "Compliance findings",
        errors: READ,
    },
    Route {
        method: "GET",
        path: "/api/v1/explain",
        summary: "The events behind a figure",
        errors: READ_ONE,
    },
    Route {
        method: "GET",
        path: "/api/v1/reports/period/{no}",
        summary: "The monitoring-period report",
        errors: READ_ONE,
    },
    Route {
        method: "GET",
        path: "/api/v1/reports/corrections",
        summary: "A submitted report against now",
        errors: READ_ONE,
    },
    Route {
        method: "GET",
        path: "/api/v1/checkpoint",
        summary: "The signed checkpoint",
        errors: READ_ONE,
    },
    Route {
        method: "GET",
        path: "/api/v1/checkpoint/key",
        summary: "The checkpoint verifier key",
        errors: &[401, 403, 404, 405, 500],
    },
    Route {
        method: "GET",
        path: "/api/v1/proofs/inclusion",
        summary: "RFC 6962 inclusion proof",
        errors: READ_ONE,
    },
    Route {
        method: "GET",
        path: "/api/v1/proofs/consistency",
        summary: "RFC 6962 consistency proof",
        errors: READ,
    },
    Route {
        method: "GET",
        path: "/api/v1/verify",
        summary: "Verify the whole log",
        errors: READ,
    },
];

/// `GET /api/v1/openapi.json`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

/// This document: the OpenAPI 3.1 description of every route, with schemas,
/// examples and error responses (`schemas/api/openapi.json`).
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json",
        body = inline(Object), example = json!({"openapi": "3.1.0", "info": {"title": "grantledger"}, "paths": {}}))))]
async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document_text(),
    )
        .into_response()
}

/// The whole document, built once per process.
pub fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut s = serde_json::to_string_pretty(&document()).unwrap_or_default();
        s.push('\n');
        s
    })
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "grantledger",
        description = "The HTTP API of grantledger, an immutable, verifiable compliance ledger for ESF-funded projects (EVENTS.md). \
Writes are `POST /api/v1/events`; every read takes `as_of` (valid date) and `known_at` or `at_seq` (record time) and answers with a `manifest`. \
Errors are RFC 9457 `application/problem+json` naming the `field` and the `rule`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        crate::routes::health::health,
        openapi_json,
        crate::routes::events::append,
        crate::routes::events::list,
        crate::routes::events::one,
        crate::routes::reads::indicators,
        crate::routes::reads::participant,
        crate::routes::erase::erase,
        crate::routes::reads::timesheets,
        crate::routes::reads::budget,
        crate::routes::reads::findings,
        crate::routes::reports::period,
        crate::routes::reports::corrections,
        crate::routes::reports::explain,
        crate::routes::reports::series,
        crate::routes::proofs::checkpoint,
        crate::routes::proofs::key,
        crate::routes::proofs::inclusion,
        crate::routes::proofs::consistency,
        crate::routes::proofs::verify,
    ),
    components(schemas(Problem)),
    tags(
        (name = "health", description = "Liveness"),
        (name = "meta", description = "This document"),
        (name = "events", description = "The event log: append and read (EVENTS.md)"),
        (name = "figures", description = "Point-in-time figures: indicators, budget, timesheets, findings, explain (DOMAIN.md R1–R4)"),
        (name = "participants", description = "Participants and personal data (DOMAIN.md R1, R6)"),
        (name = "reports", description = "Monitoring-period and corrections reports (DOMAIN.md R5)"),
        (name = "transparency", description = "Signed checkpoints, RFC 6962 proofs and verification"),
    ),
)]
struct ApiDoc;

/// The OpenAPI 3.1 document as JSON, keys sorted.
///
/// # Panics
/// When the handlers' attributes and [`ROUTES`] disagree, or a schema name of
/// the event catalogue collides with a response schema (both caught by the
/// tests).
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises");
    finish_operations(&mut doc);
    add_components(&mut doc);
    sort_keys(&mut doc);
    doc
}

/// Summaries from [`ROUTES`], descriptions from the handlers' doc comments,
/// the error responses and the bearer requirement with the allowed roles.
fn finish_operations(doc: &mut Value) {
    let paths = doc["paths"].as_object_mut().expect("paths");
    for (path, item) in paths.iter_mut() {
        for (method, op) in item.as_object_mut().expect("path item").iter_mut() {
            let upper = method.to_ascii_uppercase();
            let route = ROUTES
                .iter()
                .find(|r| r.method == upper && r.path == path)
                .unwrap_or_else(|| {
                    panic!("{upper} {path} is documented but not in openapi::ROUTES")
                });
            // utoipa takes the doc comment's first paragraph as the summary;
            // it is the operation's description here.
            let doc_text = [op.get("summary"), op.get("description")]
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|s| s.lines().map(str::trim).collect::<Vec<_>>().join("\n"))
                .collect::<Vec<_>>()
                .join("\n\n");
            op["summary"] = route.summary.into();
            op["description"] = doc_text.into();
            let responses = op["responses"].as_object_mut().expect("responses");
            for status in route.errors {
                let (name, _, _) = problem_response(*status);
                responses.insert(
                    status.to_string(),
                    json!({"$ref": format!("#/components/responses/{name}")}),
                );
            }
            if crate::auth::is_api_path(path) {
                let m = Method::from_bytes(upper.as_bytes()).expect("method");
                let roles: Vec<&str> = crate::auth::allowed_roles(&m, path)
                    .iter()
                    .map(|r| r.as_str())
                    .collect();
                op["security"] = json!([{ "bearer": roles }]);
            }
        }
    }
}

/// The reusable error response of a status: (name, title, example detail).
fn problem_response(status: u16) -> (&'static str, &'static str, Value) {
    let (name, title, example) = match status {
        400 => (
            "BadRequest",
            "Bad request",
            json!({"detail": "`x` is not a decimal number", "field": "data.hours", "rule": "schema"}),
        ),
        401 => (
            "Unauthorized",
            "Unauthorized",
            json!({"detail": "a bearer token is required: Authorization: Bearer glt_…"}),
        ),
        403 => (
            "Forbidden",
            "Forbidden",
            json!({"detail": "the role viewer may not do this"}),
        ),
        404 => (
            "NotFound",
            "Not found",
            json!({"detail": "no participant 7ce147a0-8d17-5228-a341-f0bfeb0f0dbc in the log prefix seq ≤ 1291"}),
        ),
        405 => (
            "MethodNotAllowed",
            "Method not allowed",
            json!({"detail": "this endpoint does not take that method; writes are POST /api/v1/events"}),
        ),
        409 => (
            "Conflict",
            "Conflict",
            json!({"detail": "stream participant-7ce147a0-8d17-5228-a341-f0bfeb0f0dbc is at version 4, not the expected 3", "field": "expected_version", "rule": "version"}),
        ),
        413 => (
            "PayloadTooLarge",
            "Payload too large",
            json!({"detail": "length limit exceeded", "rule": "max_body_bytes"}),
        ),
        415 => (
            "UnsupportedMediaType",
            "Unsupported media type",
            json!({"detail": "send the body as Content-Type: application/json, not `text/plain`", "field": "content-type", "rule": "schema"}),
        ),
        422 => (
            "UnprocessableContent",
            "Rule violated",
            json!({"detail": "session NOPE is not in the log", "field": "data.session_id", "rule": "G3"}),
        ),
        _ => (
            "InternalError",
            "Internal error",
            json!({"detail": "the ledger could not complete the request; nothing was stored"}),
        ),
    };
    let mut example = example;
    example["status"] = status.into();
    example["title"] = title.into();
    example["type"] = format!("/problems/{}", title.to_lowercase().replace(' ', "-")).into();
    (name, title, example)
}

/// Error statuses with a reusable response.
const ERROR_STATUSES: [u16; 10] = [400, 401, 403, 404, 405, 409, 413, 415, 422, 500];

/// The domain schemas that the response schemas name by placeholder.
const PLACEHOLDERS: [&str; 6] = ["Hours", "Czk", "Fte", "YearMonth", "Gender", "ContractType"];

/// Security scheme, error responses, and the event catalogue's JSON Schemas
/// (schemars, the same text as `schemas/events/append_request.schema.json`)
/// as `components.schemas`: its `$defs` by name, `AppendItem` (one event)
/// and `AppendRequest` (one event or `{"events": [...]}`).
fn add_components(doc: &mut Value) {
    let components = doc["components"].as_object_mut().expect("components");
    components.insert(
        "securitySchemes".into(),
        json!({"bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "glt_ + 43 base64url characters",
            "description": "A token made by `grantledger token add --role ROLE --name NAME` (shown once; the data directory keeps its SHA-256). \
Roles: `manager` (append, read), `auditor` (read everything, names included), `viewer` (read figures; participants only by id, personal fields masked), \
`admin` (everything, erasure, tokens). The roles listed in an operation's security requirement are the ones allowed (any of them). \
No or an unknown token: 401; a role not allowed: 403 — decided before routing."
        }}),
    );
    let mut responses = Map::new();
    for status in ERROR_STATUSES {
        let (name, title, example) = problem_response(status);
        let mut response = json!({
            "description": format!("{title} (RFC 9457 problem details)"),
            "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": example,
            }},
        });
        match status {
            401 => {
                response["headers"] = json!({"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}})
            }
            405 => {
                response["headers"] = json!({"Allow": {"description": "The methods the path takes", "schema": {"type": "string"}}})
            }
            _ => {}
        }
        responses.insert(name.into(), response);
    }
    components.insert("responses".into(), Value::Object(responses));

    let append: Value = grantledger_domain::schema::all_schemas()
        .into_iter()
        .find(|(name, _)| name == "append_request.schema.json")
        .map(|(_, text)| serde_json::from_str(&text).expect("append_request schema parses"))
        .expect("append_request schema");
    let schemas = components
        .get_mut("schemas")
        .and_then(Value::as_object_mut)
        .expect("components.schemas");
    let mut defs = append["$defs"].as_object().cloned().unwrap_or_default();
    let item = defs.remove("item").expect("append_request $defs.item");
    defs.insert("AppendItem".into(), item);
    let mut top = append.clone();
    if let Some(o) = top.as_object_mut() {
        o.remove("$defs");
        o.remove("$schema");
        o.insert("title".into(), "AppendRequest".into());
        o.insert(
            "description".into(),
            "The body of `POST /api/v1/events`: one event `{event_id?, kind, expected_version?, data}` or `{\"events\": [...]}` (a batch is atomic). The JSON Schemas are those of `schemas/events/` (schemars, crates/domain)."
                .into(),
        );
    }
    defs.insert("AppendRequest".into(), top);
    for (name, mut schema) in defs {
        rewrite_refs(&mut schema);
        if let Some(existing) = schemas.get(&name) {
            assert!(
                PLACEHOLDERS.contains(&name.as_str()),
                "event schema `{name}` collides with a response schema {existing}"
            );
        }
        schemas.insert(name, schema);
    }
}

/// `#/$defs/X` (schemars) → `#/components/schemas/X`, `item` → `AppendItem`.
fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if k == "$ref" {
                    if let Some(s) = x.as_str() {
                        if let Some(name) = s.strip_prefix("#/$defs/") {
                            let name = if name == "item" { "AppendItem" } else { name };
                            *x = format!("#/components/schemas/{name}").into();
                        }
                    }
                } else {
                    rewrite_refs(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// Sorts every object's keys (serde_json may be built with `preserve_order`).
fn sort_keys(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(o).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, mut x) in entries {
                sort_keys(&mut x);
                o.insert(k, x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Names of event-catalogue schemas used by the response schemas; replaced in
// `components.schemas` by the schemars definitions of the same name.

macro_rules! domain_schema {
    ($($name:ident: $doc:literal),* $(,)?) => {$(
        #[doc = $doc]
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .into()
            }
        }
        impl ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
        }
    )*};
}

domain_schema! {
    Hours: "Hours, a decimal string with at most 2 places (`\"6.5\"`).",
    Czk: "Money in CZK, a decimal string with at most 2 places (`\"12100.50\"`).",
    Fte: "FTE, a decimal string (`\"0.6\"`).",
    YearMonth: "A month, `YYYY-MM`.",
    Gender: "`female` or `male`.",
    ContractType: "`employment`, `dpp` or `dpc`.",
}

/// A binary body (an Excel workbook).
pub struct Binary;
impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Binary,
            )))
            .into()
    }
}
impl ToSchema for Binary {}

/// Any JSON object.
#[derive(ToSchema)]
pub struct Object {}

// ---------------------------------------------------------------------------
// Query parameters.

/// The valid date every read takes.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Valid date, inclusive (`YYYY-MM-DD`). Default: today in the project
    /// calendar, clamped to the project period.
    #[param(format = Date, example = "2017-03-31")]
    pub as_of: Option<String>,
}

/// The record time every read takes: `known_at` or `at_seq`, not both.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordTimeQuery {
    /// Record time (RFC 3339): the log prefix of the records recorded by then.
    /// Default: the head.
    #[param(format = DateTime, example = "2017-04-20T10:00:00Z")]
    pub known_at: Option<String>,
    /// The log prefix `seq ≤ at_seq` (≤ the head). Default: the head.
    #[param(minimum = 0, example = 363)]
    pub at_seq: Option<u64>,
}

fn kind_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some("Only events of this kind."))
        .enum_values(Some(
            grantledger_domain::Kind::ALL.iter().map(|k| k.as_str()),
        ))
        .examples(["attendance_recorded"])
        .build()
}

fn finding_rule_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some("Only findings of this rule (docs/COMPLIANCE.md)."))
        .enum_values(Some(crate::routes::reads::FINDING_RULES))
        .examples(["R4.2"])
        .build()
}

/// `GET /api/v1/events` filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// First seq to scan (default 1).
    #[param(minimum = 1, example = 100)]
    pub from_seq: Option<u64>,
    /// Most events returned, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000, example = 100)]
    pub limit: Option<u32>,
    /// Only events of this kind.
    #[param(schema_with = kind_schema, example = "attendance_recorded")]
    pub kind: Option<String>,
    /// Only events of this stream.
    #[param(example = "participant-7ce147a0-8d17-5228-a341-f0bfeb0f0dbc")]
    pub stream: Option<String>,
}

/// `GET /api/v1/timesheets/{staff_id}` month.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimesheetQuery {
    /// The month, `YYYY-MM`; without it every month of the contract.
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2017-04")]
    pub month: Option<String>,
}

/// The severity of a finding.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Severity {
    /// A breach.
    Error,
    /// Something to check.
    Warning,
}

/// `GET /api/v1/findings` filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// Only findings of this rule.
    #[param(schema_with = finding_rule_schema, example = "R4.2")]
    pub rule: Option<String>,
    /// Only `error` or `warning`.
    #[param(inline)]
    pub severity: Option<Severity>,
}

/// A report's rendering.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ReportFormat {
    /// `application/json`.
    Json,
    /// `text/csv`.
    Csv,
    /// Excel workbook.
    Xlsx,
    /// `text/html`.
    Html,
}

/// `GET /api/v1/reports/period/{no}` rendering.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// Rendering (default `json`).
    #[param(inline)]
    pub format: Option<ReportFormat>,
}

/// `GET /api/v1/reports/corrections` period.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CorrectionsQuery {
    /// The monitoring period whose submitted report is compared.
    #[param(minimum = 1, example = 1)]
    pub period_no: u32,
}

/// `GET /api/v1/explain`: name exactly one figure.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    /// An indicator code.
    #[param(example = "P-KONF")]
    pub indicator: Option<String>,
    /// A participant UUID.
    #[param(format = Uuid, example = "7ce147a0-8d17-5228-a341-f0bfeb0f0dbc")]
    pub participant: Option<String>,
    /// A budget line code.
    #[param(example = "1.1.4.3")]
    pub budget_line: Option<String>,
    /// A finding's subject (with `rule`).
    #[param(example = "budget_line 1.1.4.3")]
    pub finding: Option<String>,
    /// The finding's rule (with `finding`).
    #[param(example = "R4.2")]
    pub rule: Option<String>,
    /// The page of events: the first seq shown (default 1; `next_from_seq`
    /// of the page before).
    #[param(minimum = 1, example = 1)]
    pub from_seq: Option<u64>,
    /// Most events shown, 1–1000 (default 1000); `seqs` lists every one.
    #[param(minimum = 1, maximum = 1000, example = 1000)]
    pub limit: Option<u32>,
}

/// Series step.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Step {
    /// Every day.
    Day,
    /// Every month end (and `to`).
    Month,
}

/// `GET /api/v1/indicators/series` range.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// First date (default the project start).
    #[param(format = Date, example = "2017-01-01")]
    pub from: Option<String>,
    /// Last date (default the project end); at most 4000 steps.
    #[param(format = Date, example = "2017-06-30")]
    pub to: Option<String>,
    /// `day` or `month` (default `month`).
    #[param(inline)]
    pub step: Option<Step>,
}

/// A tree size.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TreeSizeQuery {
    /// Records in the tree, 1–head (default the head).
    #[param(minimum = 1, example = 8)]
    pub tree_size: Option<u64>,
}

/// `GET /api/v1/proofs/inclusion`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The record, 1–tree_size.
    #[param(minimum = 1, example = 5)]
    pub seq: u64,
}

/// `GET /api/v1/proofs/consistency`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree size, 1–`to`.
    #[param(minimum = 1, example = 5)]
    pub from: u64,
    /// The newer tree size, ≤ head (default the head).
    #[param(minimum = 1, example = 8)]
    pub to: Option<u64>,
}

// ---------------------------------------------------------------------------
// Bodies.

/// RFC 9457 problem details: every 4xx and 5xx answer
/// (`application/problem+json`).
#[derive(ToSchema)]
#[schema(example = json!({"type": "/problems/rule-violated", "title": "Rule violated", "status": 422,
    "detail": "session NOPE is not in the log", "field": "data.session_id", "rule": "G3"}))]
pub struct Problem {
    /// `/problems/{title in kebab case}`.
    #[schema(format = "uri-reference")]
    pub r#type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// JSON path of the offending field or query parameter, if one.
    pub field: Option<String>,
    /// Rule id: DOMAIN.md id, ledger rule `G…`, `schema`, `range`,
    /// `version`, `idempotency`, `max_body_bytes`.
    pub rule: Option<String>,
}

/// The body of `POST /api/v1/participants/{id}/erase`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "the data subject's request of 2018-11-02"}))]
pub struct EraseRequest {
    /// Why (e.g. the data subject's request); 1–1000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// The durable head: last seq and its chain hash.
#[derive(ToSchema)]
pub struct Head {
    /// Seq of the last record (0 for an empty log).
    pub seq: u64,
    /// Hex SHA-256 chain hash of that record.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub hash: String,
}

/// `GET /healthz`.
#[derive(ToSchema)]
#[schema(example = json!({"status": "ok", "head": {"seq": 1291, "hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4"}}))]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The durable head.
    pub head: Head,
}

/// One stored event of an append.
#[derive(ToSchema)]
pub struct Appended {
    /// The event id (the idempotency key).
    pub event_id: uuid::Uuid,
    /// Its position in the log.
    pub seq: u64,
    /// The stream the server derived from the data.
    pub stream: String,
    /// The stream's version after it.
    pub stream_version: u64,
    /// Record time.
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// Hex chain hash.
    pub hash: String,
}

/// The answer to an append.
#[derive(ToSchema)]
#[schema(example = json!({"appended": [{"event_id": "01a22c4a-80bb-74c2-8aa8-b6fd46684bb4", "seq": 1292, "stream": "course-K99",
    "stream_version": 1, "recorded_at": "2026-11-30T11:50:09.851338049Z", "hash": "0acbec648339d9ee427d8d38307bcf71f68f9ea0689825e39fa181707fd57bf3"}],
    "head": {"seq": 1292, "hash": "0acbec648339d9ee427d8d38307bcf71f68f9ea0689825e39fa181707fd57bf3"}}))]
pub struct AppendResponse {
    /// The stored (or, for a repeat, already stored) events, in order.
    pub appended: Vec<Appended>,
    /// The head after the append.
    pub head: Head,
}

/// Every read answer's provenance (EVENTS.md "Reading").
#[derive(ToSchema)]
#[schema(example = json!({"as_of": "2018-09-30", "known_at": "2018-10-29T13:44:41Z", "at_seq": 1291,
    "head_hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4",
    "rule_set": "grantledger-rules/1 (DOMAIN.md R1–R5)", "generator": "grantledger 0.1.0"}))]
pub struct Manifest {
    /// Valid date, inclusive.
    #[schema(format = Date)]
    pub as_of: String,
    /// The record-time instant asked for, else the `recorded_at` of the record
    /// at `at_seq` (null for an empty log).
    #[schema(format = DateTime, required = true)]
    pub known_at: Option<String>,
    /// The log prefix used: `seq ≤ at_seq`.
    pub at_seq: u64,
    /// Hex SHA-256 chain hash of the record at `at_seq`.
    pub head_hash: String,
    /// Rule-set version applied.
    pub rule_set: String,
    /// Generator name and version.
    pub generator: String,
}

/// A stored record: the envelope with the payload as `data`.
#[derive(ToSchema)]
pub struct EventRecord {
    /// Position in the log, from 1.
    pub seq: u64,
    /// The event id.
    pub event_id: uuid::Uuid,
    /// Stream, e.g. `participant-{id}`.
    pub stream: String,
    /// Version within the stream, from 1.
    pub stream_version: u64,
    /// Record time.
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// Who appended it: `{role}:{name}` of the token.
    pub actor: String,
    /// Event kind.
    pub kind: String,
    /// Payload schema version of the kind.
    pub schema_version: u32,
    /// The payload (see `AppendItem` for each kind's schema); personal
    /// fields are masked for `viewer` and shown as erased after erasure.
    pub data: Object,
    /// Hex chain hash of the previous record.
    pub prev_hash: String,
    /// Hex chain hash of this record.
    pub hash: String,
}

/// `GET /api/v1/events`.
#[derive(ToSchema)]
#[schema(example = json!({"events": [{"seq": 100, "event_id": "0e4706f4-ed3c-5b03-931f-4d3c3e2472be",
    "stream": "participant-7b408da3-b8bc-5e10-a903-b6cadb6f3f33", "stream_version": 3, "recorded_at": "2016-10-21T13:48:00Z",
    "actor": "manager:tomas.hruby", "kind": "attendance_recorded", "schema_version": 2,
    "data": {"hours": "8", "mode": null, "participant_id": "7b408da3-b8bc-5e10-a903-b6cadb6f3f33", "session_id": "K02-1-S1", "sheet_ref": "PL-K02-1-S1"},
    "prev_hash": "570a00abecbc54e348cb0e3f5f0ec6e2a4aa4a256599a38a8a1aa97b2a7fca06",
    "hash": "a6b74793ad40f1355dc9c8ee72caa3e19330576556ed2abfdbcd3a7aa0146bfc"}],
    "next_from_seq": 101,
    "manifest": {"as_of": "2018-09-30", "known_at": "2018-10-29T13:44:41Z", "at_seq": 1291,
        "head_hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4",
        "rule_set": "grantledger-rules/1 (DOMAIN.md R1–R5)", "generator": "grantledger 0.1.0"}}))]
pub struct EventPage {
    /// The matching records, in seq order.
    pub events: Vec<EventRecord>,
    /// Where to continue the scan; null at the end of the prefix.
    #[schema(required = true)]
    pub next_from_seq: Option<u64>,
    /// Provenance.
    pub manifest: Manifest,
}

/// An event's effective payload in the prefix.
#[derive(ToSchema)]
pub struct Effective {
    /// Event kind.
    pub kind: String,
    /// The payload after corrections.
    pub data: Object,
}

/// `GET /api/v1/events/{event_id}`.
#[derive(ToSchema)]
pub struct EventDetail {
    /// The record.
    pub event: EventRecord,
    /// The `event_corrected` / `event_voided` records that apply to it.
    pub corrections: Vec<EventRecord>,
    /// The effective payload; null if voided (or for a correction record).
    #[schema(required = true)]
    pub effective: Option<Effective>,
    /// Whether it is voided in the prefix.
    pub voided: bool,
    /// Provenance.
    pub manifest: Manifest,
}

/// A count (JSON number) or an exact decimal such as an FTE (JSON string).
#[derive(ToSchema)]
#[serde(untagged)]
pub enum Figure {
    /// A whole count.
    Count(u64),
    /// An exact decimal, e.g. `"0.6"`.
    Decimal(String),
}

/// A count split by gender (R1.1).
#[derive(ToSchema)]
pub struct ByGender {
    /// Women.
    pub female: u64,
    /// Men.
    pub male: u64,
}

/// The actual FTE of a month (R3.7).
#[derive(ToSchema)]
pub struct ActualFte {
    /// The month.
    pub month: YearMonth,
    /// Whether any timesheet of the role's staff is filed for the month.
    pub filed: bool,
    /// Charged project hours ÷ fund, 4 places; null when nothing is filed.
    #[schema(required = true)]
    pub fte: Option<Figure>,
}

/// One indicator's value as of a date.
#[derive(ToSchema)]
pub struct IndicatorValue {
    /// Indicator code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Target.
    pub target: Figure,
    /// Value as of the date.
    pub value: Figure,
    /// Whether value ≥ target.
    pub met: bool,
    /// For person counts: the split by gender.
    pub by_gender: Option<ByGender>,
    /// The measure computed (DOMAIN.md R2).
    pub measure: String,
    /// For `staff_fte`: the actual FTE of the last complete month.
    pub actual: Option<ActualFte>,
}

/// `GET /api/v1/indicators`.
#[derive(ToSchema)]
#[schema(example = json!({"indicators": [
    {"code": "6 00 00", "name": "Celkový počet účastníků", "unit": "persons", "target": 40, "value": 47, "met": true,
     "by_gender": {"female": 29, "male": 18}, "measure": "supported_persons"},
    {"code": "P-MAN-FTE", "name": "Úvazek manažera projektu", "unit": "FTE", "target": "0.6", "value": "0.6", "met": true,
     "measure": "staff_fte", "actual": {"month": "2018-09", "filed": true, "fte": "0.5658"}}],
    "manifest": {"as_of": "2018-09-30", "known_at": "2018-10-29T13:44:41Z", "at_seq": 1291,
        "head_hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4",
        "rule_set": "grantledger-rules/1 (DOMAIN.md R1–R5)", "generator": "grantledger 0.1.0"}}))]
pub struct IndicatorList {
    /// In definition order.
    pub indicators: Vec<IndicatorValue>,
    /// Provenance.
    pub manifest: Manifest,
}

/// `GET /api/v1/participants/{id}` (R1.3–R1.5).
#[derive(ToSchema)]
#[schema(example = json!({"participant_id": "7ce147a0-8d17-5228-a341-f0bfeb0f0dbc", "hours": "54.5", "supported": true,
    "supported_on": "2017-04-04", "gender": "female", "entry_date": "2016-10-05", "exit_date": "2017-04-11",
    "evidence": [82, 90, 105, 222, 227, 232, 341, 347],
    "manifest": {"as_of": "2018-09-30", "known_at": "2018-10-29T13:44:41Z", "at_seq": 1291,
        "head_hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4",
        "rule_set": "grantledger-rules/1 (DOMAIN.md R1–R5)", "generator": "grantledger 0.1.0"}}))]
pub struct ParticipantFigures {
    /// The participant.
    pub participant_id: uuid::Uuid,
    /// Support hours with valid date ≤ `as_of` (R1.4).
    pub hours: Hours,
    /// Whether a supported person as of the date (R1.3, R1.5).
    pub supported: bool,
    /// The date the running total first exceeded the threshold.
    #[schema(format = Date, required = true)]
    pub supported_on: Option<String>,
    /// Gender (R1.1).
    pub gender: Gender,
    /// Entry date.
    #[schema(format = Date)]
    pub entry_date: String,
    /// Exit date, if exited by `as_of`.
    #[schema(format = Date, required = true)]
    pub exit_date: Option<String>,
    /// Seqs of the events behind `hours`, in valid-date order, each followed by the corrections that replaced it.
    pub evidence: Vec<u64>,
    /// Provenance.
    pub manifest: Manifest,
}

/// One staff member's month (R3.2, R3.7).
#[derive(ToSchema)]
pub struct TimesheetFigures {
    /// The staff member.
    pub staff_id: String,
    /// The month.
    pub month: YearMonth,
    /// Contract type.
    pub contract: ContractType,
    /// Working days of the month.
    pub working_days: u32,
    /// Fund at 1.0 FTE: working days × 8 h.
    pub fund_hours: Hours,
    /// Contracted hours ÷ fund, 4 places.
    pub contracted_fte: String,
    /// Σ over working days in force of FTE × 8 h.
    pub contracted_hours: String,
    /// Whether a timesheet for the month is filed.
    pub filed: bool,
    /// Charged project hours (R3.1).
    pub project_hours: Hours,
    /// Hours on other work.
    pub non_project_hours: Hours,
    /// Hours on indirect-cost work.
    pub indirect_hours: Hours,
    /// Project hours ÷ fund, 4 places.
    pub actual_fte: String,
    /// Seqs of the contract, its amendments and the timesheet.
    pub evidence: Vec<u64>,
    /// Provenance (only in the one-month answer).
    pub manifest: Option<Manifest>,
}

/// `GET /api/v1/timesheets/{staff_id}` without `month`.
#[derive(ToSchema)]
pub struct TimesheetMonths {
    /// The staff member.
    pub staff_id: String,
    /// Every month of the contract within the project period.
    pub months: Vec<TimesheetFigures>,
    /// Provenance.
    pub manifest: Manifest,
}

/// `GET /api/v1/timesheets/{staff_id}`: one month (`?month=`) or every month.
#[derive(ToSchema)]
#[schema(example = json!({"staff_id": "ST-01", "month": "2017-04", "contract": "employment", "working_days": 18, "fund_hours": "144",
    "contracted_fte": "0.6", "contracted_hours": "86.4", "filed": true, "project_hours": "86.4", "non_project_hours": "0",
    "indirect_hours": "3", "actual_fte": "0.6", "evidence": [47, 210, 388],
    "manifest": {"as_of": "2018-09-30", "known_at": "2018-10-29T13:44:41Z", "at_seq": 1291,
        "head_hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4",
        "rule_set": "grantledger-rules/1 (DOMAIN.md R1–R5)", "generator": "grantledger 0.1.0"}}))]
#[serde(untagged)]
pub enum TimesheetAnswer {
    /// With `month`.
    Month(TimesheetFigures),
    /// Without `month`.
    Months(TimesheetMonths),
}

/// One budget line as of a date (R4).
#[derive(ToSchema)]
pub struct BudgetLineFigures {
    /// Line code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Budget amount.
    pub amount: Czk,
    /// Σ of the line's eligible expenses.
    pub claimed: Czk,
    /// What the line can reimburse (capped at `amount`, R4.2).
    pub eligible: Czk,
    /// claimed − eligible.
    pub over_budget: Czk,
    /// amount − eligible.
    pub remaining: Czk,
    /// Whether it is a personnel line.
    pub personnel: bool,
    /// Seqs of the eligible expenses and of the corrections that replaced them, sorted.
    pub evidence: Vec<u64>,
}

/// `GET /api/v1/budget`.
#[derive(ToSchema)]
#[schema(example = json!({"lines": [{"code": "1.1.4.3", "name": "Mezinárodní konference", "amount": "480000.00", "claimed": "498890.00",
    "eligible": "480000.00", "over_budget": "18890.00", "remaining": "0.00", "personnel": false, "evidence": [657, 658, 659]}],
    "direct_eligible": "2254187.37", "indirect_cost_rate_pct": "25", "indirect": "563546.84", "total_eligible": "2817734.21",
    "total_budget": "5550000.00", "rounding": "R4.5: amounts are summed exactly; …",
    "manifest": {"as_of": "2018-09-30", "known_at": "2018-10-29T13:44:41Z", "at_seq": 1291,
        "head_hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4",
        "rule_set": "grantledger-rules/1 (DOMAIN.md R1–R5)", "generator": "grantledger 0.1.0"}}))]
pub struct BudgetFigures {
    /// Per line.
    pub lines: Vec<BudgetLineFigures>,
    /// Σ eligible direct costs.
    pub direct_eligible: Czk,
    /// Flat rate of indirect costs, percent (R4.4).
    pub indirect_cost_rate_pct: String,
    /// Indirect costs (R4.4, R4.5).
    pub indirect: Czk,
    /// direct_eligible + indirect.
    pub total_eligible: Czk,
    /// Σ of the line amounts.
    pub total_budget: Czk,
    /// The rounding rule applied (R4.5).
    pub rounding: String,
    /// Provenance.
    pub manifest: Manifest,
}

/// One finding.
#[derive(ToSchema)]
pub struct Finding {
    /// DOMAIN.md rule id.
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// What it is about.
    pub subject: String,
    /// What is wrong.
    pub message: String,
    /// The valid date it arises on.
    #[schema(format = Date)]
    pub date: String,
    /// Seqs of the evidence.
    pub seqs: Vec<u64>,
}

/// Findings by severity.
#[derive(ToSchema)]
pub struct FindingCounts {
    /// Errors.
    pub error: u64,
    /// Warnings.
    pub warning: u64,
}

/// `GET /api/v1/findings`.
#[derive(ToSchema)]
#[schema(example = json!({"findings": [{"rule": "R4.2", "severity": "error", "subject": "budget_line 1.1.4.3",
    "message": "budget line 1.1.4.3 (Mezinárodní konference) reached 498890.00 CZK on 2017-09-27, above its 480000.00 CZK",
    "date": "2017-09-27", "seqs": [657, 658, 659, 660, 661, 669, 672]}],
    "counts": {"error": 1, "warning": 0},
    "manifest": {"as_of": "2018-10-01", "known_at": "2018-10-29T13:44:41Z", "at_seq": 1291,
        "head_hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4",
        "rule_set": "grantledger-rules/1 (DOMAIN.md R1–R5)", "generator": "grantledger 0.1.0"}}))]
pub struct FindingList {
    /// Every finding arisen by `as_of`, filtered.
    pub findings: Vec<Finding>,
    /// Counts of the listed findings.
    pub counts: FindingCounts,
    /// Provenance.
    pub manifest: Manifest,
}

/// A record behind a figure, with its provenance.
#[derive(ToSchema)]
pub struct ExplainedEvent {
    /// The record.
    #[serde(flatten)]
    pub record: EventRecord,
    /// Valid date of the fact (of its target, for a correction).
    #[schema(format = Date, required = true)]
    pub valid_date: Option<String>,
    /// Seqs of the corrections of it.
    pub corrected_by: Vec<u64>,
    /// Seq of the void of it.
    #[schema(required = true)]
    pub voided_by: Option<u64>,
    /// For a correction or void: the seq it amends.
    #[schema(required = true)]
    pub corrects: Option<u64>,
    /// The effective payload; null if voided.
    #[schema(required = true)]
    pub effective: Option<Effective>,
}

/// `GET /api/v1/explain`.
#[derive(ToSchema)]
pub struct Explanation {
    /// The figure named, e.g. `{"indicator": "P-KONF"}`.
    pub figure: Object,
    /// The figure's value (as in its own answer, without evidence).
    pub value: Object,
    /// Every seq behind it, corrections included.
    pub seqs: Vec<u64>,
    /// The records of the page asked for (`from_seq`, `limit`), in seq order.
    pub events: Vec<ExplainedEvent>,
    /// Where the next page starts; null on the last page.
    #[schema(required = true)]
    pub next_from_seq: Option<u64>,
    /// Provenance.
    pub manifest: Manifest,
}

/// One step of a series.
#[derive(ToSchema)]
pub struct SeriesStep {
    /// The date.
    #[schema(format = Date)]
    pub date: String,
    /// Indicator code → value.
    pub values: std::collections::BTreeMap<String, Figure>,
}

/// `GET /api/v1/indicators/series`.
#[derive(ToSchema)]
#[schema(example = json!({"series": [{"date": "2017-01-31", "values": {"6 00 00": 4, "P-KONF": 0, "P-MAN-FTE": "0.6"}},
    {"date": "2017-02-28", "values": {"6 00 00": 6, "P-KONF": 0, "P-MAN-FTE": "0.6"}}], "step": "month",
    "manifest": {"as_of": "2018-09-30", "known_at": "2018-10-29T13:44:41Z", "at_seq": 1291,
        "head_hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4",
        "rule_set": "grantledger-rules/1 (DOMAIN.md R1–R5)", "generator": "grantledger 0.1.0"}}))]
pub struct Series {
    /// Every step.
    pub series: Vec<SeriesStep>,
    /// The step used.
    pub step: Step,
    /// Provenance.
    pub manifest: Manifest,
}

/// A report's manifest (with the hash of the rendered body).
#[derive(ToSchema)]
pub struct ReportManifest {
    /// `period N` or `corrections N`.
    pub report: String,
    /// Valid date.
    #[schema(format = Date)]
    pub as_of: String,
    /// Record time of the prefix.
    #[schema(format = DateTime, required = true)]
    pub known_at: Option<String>,
    /// The log prefix used.
    pub at_seq: u64,
    /// Hex chain hash at `at_seq`.
    pub head_hash: String,
    /// Rule sets applied.
    pub rule_sets: Vec<String>,
    /// Generator.
    pub generator: String,
    /// Hex SHA-256 of the body (also the `X-Report-Body-SHA256` header).
    pub body_sha256: String,
}

/// A report rendered as JSON: the manifest and its sections.
#[derive(ToSchema)]
pub struct Report {
    /// Provenance.
    pub manifest: ReportManifest,
}

/// `GET /api/v1/proofs/inclusion` (hashes base64 unless named hex).
#[derive(ToSchema)]
#[schema(example = json!({"seq": 5, "leaf_index": 4, "tree_size": 8,
    "record_hash": "f4163dc0fb88b7e42c595001a6cef1e1b0e3ba8e0b759e8dd2d060144977da55",
    "leaf_hash": "iIbfErCtl5u6epIqrh47Sthjz3iN6EICLupa4mWTnng=", "root_hash": "dYu65SdyC/Qm9+gsD0/YZre+ERusPor4YqDBgBmwphM=",
    "proof": ["Zb19uchCOoVqqyXbvoY2dGf4uC7C3MPrqrtzFZq4Gq0=", "+MvhFvSDVSKCsfEMRSBgsLINXgf6t6Ywip/eWyF0SNo=", "nMtobyXmBr7U7F1fe8yF6fnlhh4/2Q5LBRLh7ZLL8zI="],
    "checkpoint": "grantledger-f991fcdc\n8\ndYu65SdyC/Qm9+gsD0/YZre+ERusPor4YqDBgBmwphM=\n\n— grantledger-f991fcdc mV1ouRfyMlnMrT44KpdNdcChgurLjSrgMJhYs76dgc4pHni43BPtg9o8sEzWwhKC1yLyDpDuzAdvWq32WEs0/NbIsQk=\n"}))]
pub struct InclusionProof {
    /// The record.
    pub seq: u64,
    /// seq − 1.
    pub leaf_index: u64,
    /// Records in the tree.
    pub tree_size: u64,
    /// Hex chain hash of the record.
    pub record_hash: String,
    /// The RFC 6962 leaf hash.
    #[schema(required = true)]
    pub leaf_hash: Option<String>,
    /// Merkle root of the tree.
    pub root_hash: String,
    /// The audit path.
    pub proof: Vec<String>,
    /// The signed checkpoint of that size; null when the server signs none.
    #[schema(required = true)]
    pub checkpoint: Option<String>,
}

/// `GET /api/v1/proofs/consistency` (hashes base64).
#[derive(ToSchema)]
#[schema(example = json!({"from": 5, "to": 8, "root_from": "XiH7upvCgsB9pZOLQ9bHBPvW5yYaFWGNvFYNfwwaP0g=",
    "root_to": "dYu65SdyC/Qm9+gsD0/YZre+ERusPor4YqDBgBmwphM=",
    "proof": ["iIbfErCtl5u6epIqrh47Sthjz3iN6EICLupa4mWTnng=", "Zb19uchCOoVqqyXbvoY2dGf4uC7C3MPrqrtzFZq4Gq0="],
    "checkpoint_from": "grantledger-f991fcdc\n5\nXiH7upvCgsB9pZOLQ9bHBPvW5yYaFWGNvFYNfwwaP0g=\n\n— grantledger-f991fcdc mV1ouWRXaTFaUJXJGPxiMM65D04XSIwiJUbGJHOqDwuKdhfQG8UJ7om30WmLUQPCyYwhtWPs6rjBapTRcahfaVZAWw0=\n",
    "checkpoint_to": "grantledger-f991fcdc\n8\ndYu65SdyC/Qm9+gsD0/YZre+ERusPor4YqDBgBmwphM=\n\n— grantledger-f991fcdc mV1ouRfyMlnMrT44KpdNdcChgurLjSrgMJhYs76dgc4pHni43BPtg9o8sEzWwhKC1yLyDpDuzAdvWq32WEs0/NbIsQk=\n"}))]
pub struct ConsistencyProof {
    /// The older size.
    pub from: u64,
    /// The newer size.
    pub to: u64,
    /// Root of the older tree.
    pub root_from: String,
    /// Root of the newer tree.
    pub root_to: String,
    /// The proof.
    pub proof: Vec<String>,
    /// Signed checkpoint of `from`; null when the server signs none.
    #[schema(required = true)]
    pub checkpoint_from: Option<String>,
    /// Signed checkpoint of `to`; null when the server signs none.
    #[schema(required = true)]
    pub checkpoint_to: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;

    fn committed_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/api/openapi.json")
    }

    #[test]
    fn openapi_document_matches_the_committed_file() {
        let text = document_text();
        let path = committed_path();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "schemas/api/openapi.json differs from the code; run UPDATE_OPENAPI=1 cargo test -p grantledger-server openapi"
        );
    }

    #[test]
    fn openapi_document_is_3_1_and_deterministic() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            serde_json::to_string(&document()).unwrap()
        );
        // Every $ref resolves inside the document.
        fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
            match v {
                Value::Object(o) => {
                    for (k, x) in o {
                        match (k.as_str(), x.as_str()) {
                            ("$ref", Some(s)) => out.push(s),
                            _ => refs(x, out),
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        for r in all {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("external $ref {r}"));
            assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
        }
        // Every error answer is problem+json; every /api/v1 operation needs a token.
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                assert!(
                    !op["summary"].as_str().unwrap().is_empty(),
                    "{method} {path}"
                );
                assert!(
                    !op["description"].as_str().unwrap().is_empty(),
                    "{method} {path} has no doc comment"
                );
                assert_eq!(
                    op.get("security").is_some(),
                    path.starts_with("/api/v1/"),
                    "{method} {path}"
                );
                for (status, _) in op["responses"].as_object().unwrap() {
                    assert!(
                        status.starts_with('2')
                            || ERROR_STATUSES.iter().any(|s| s.to_string() == *status),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }

    /// `(METHOD, path)` of every `.route("path", get(..).post(..))` in the
    /// server's sources.
    fn routes_in_sources() -> BTreeSet<(String, String)> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut found = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (i, _) in text.match_indices(".route(\"") {
                let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
                if text[line_start..i].trim_start().starts_with("//") {
                    continue;
                }
                let rest = &text[i + ".route(\"".len()..];
                let path = &rest[..rest.find('"').unwrap()];
                // The method router: up to the parenthesis closing `.route(`.
                let mut depth = 1;
                let mut end = 0;
                for (j, c) in rest.char_indices().skip(path.len() + 1) {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = j;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let methods = &rest[path.len() + 1..end];
                let mut any = false;
                for m in ["get", "post", "put", "patch", "delete"] {
                    let called = methods.match_indices(&format!("{m}(")).any(|(k, _)| {
                        k == 0 || !methods[..k].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                    });
                    if called {
                        any = true;
                        found.insert((m.to_ascii_uppercase(), path.to_string()));
                    }
                }
                assert!(any, "{}: no method in .route(\"{path}\" …)", file.display());
            }
        }
        found
    }

    #[test]
    fn every_route_is_documented() {
        let listed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        assert_eq!(listed.len(), ROUTES.len(), "a route is listed twice");
        let doc = document();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(p, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (m.to_ascii_uppercase(), p.clone()))
            })
            .collect();
        assert_eq!(
            documented, listed,
            "the document and openapi::ROUTES differ"
        );
        let routed = routes_in_sources();
        let undocumented: Vec<_> = routed.difference(&listed).collect();
        assert!(
            undocumented.is_empty(),
            "routes missing from openapi::ROUTES and the document: {undocumented:?}"
        );
        let unrouted: Vec<_> = listed.difference(&routed).collect();
        assert!(
            unrouted.is_empty(),
            "documented routes the router does not have: {unrouted:?}"
        );
    }

    #[tokio::test]
    async fn openapi_json_is_served() {
        use tower::ServiceExt;
        let response = router::<()>()
            .oneshot(
                axum::http::Request::get("/api/v1/openapi.json")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let served: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(served, document());
    }
}
