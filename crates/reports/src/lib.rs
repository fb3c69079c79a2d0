//! Audit-ready reports (DOMAIN.md R5): the monitoring-period report and the
//! corrections report, built from a ledger state (a log prefix) and a valid
//! date, with a manifest that pins them to the log, and renderers to JSON,
//! CSV, XLSX and HTML.
//!
//! Determinism: a report is a function of (prefix, as_of, format) only — no
//! wall clock, no hash-map order, no locale — so the same inputs give the same
//! bytes on any machine.
#![deny(missing_docs)]

mod corrections;
mod manifest;
mod period;
pub mod render;

pub use corrections::{Change, CorrectionRef, CorrectionsReport};
pub use manifest::{body_sha256, ReportManifest};
pub use period::{
    BudgetRow, BudgetSummary, ExpenseRow, IndicatorRow, PeriodInfo, PeriodReport, PersonRow,
    PersonnelRow, ProjectInfo, ReportError, SeriesPoint,
};
pub use render::{render_corrections, render_period, write_json, Format, RenderError};
