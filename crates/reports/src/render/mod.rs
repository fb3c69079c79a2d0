//! Renderers: the same report as JSON, CSV, XLSX or printable HTML.
//!
//! Every renderer is deterministic: the bytes depend only on the report.
//! CSV, XLSX and HTML show the same tables (module `table`): one model of
//! sections, headers and typed cells, written three ways.

mod csv;
#[cfg(test)]
mod fixture;
mod html;
mod json;
mod table;
mod xlsx;

use crate::{CorrectionsReport, PeriodReport};

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The format name is not known.
    #[error("unknown format `{0}`; use json, csv, xlsx or html")]
    UnknownFormat(String),
    /// The renderer failed.
    #[error("{0}")]
    Failed(String),
}

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Pretty JSON (UTF-8).
    Json,
    /// RFC 4180 CSV, UTF-8 with BOM, one block per section.
    Csv,
    /// An Excel workbook, one sheet per section.
    Xlsx,
    /// One self-contained printable HTML page (no scripts), with SVG charts.
    Html,
}

impl Format {
    /// Parses `json`, `csv`, `xlsx`, `html`.
    ///
    /// # Errors
    /// [`RenderError::UnknownFormat`].
    pub fn parse(s: &str) -> Result<Format, RenderError> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "html" => Ok(Format::Html),
            other => Err(RenderError::UnknownFormat(other.to_string())),
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Html => "text/html; charset=utf-8",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
        }
    }
}

/// Renders a monitoring-period report.
///
/// # Errors
/// [`RenderError::Failed`] if the renderer fails.
pub fn render_period(report: &PeriodReport, format: Format) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Json => json::render(report),
        Format::Csv => csv::period(report),
        Format::Xlsx => xlsx::period(report),
        Format::Html => html::period(report),
    }
}

/// Renders a corrections report.
///
/// # Errors
/// [`RenderError::Failed`] if the renderer fails.
pub fn render_corrections(
    report: &CorrectionsReport,
    format: Format,
) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Json => json::render(report),
        Format::Csv => csv::corrections(report),
        Format::Xlsx => xlsx::corrections(report),
        Format::Html => html::corrections(report),
    }
}

/// Writes a report as [`Format::Json`] to `out` while it is rendered, so
/// that the whole text (≈ 50 MB for a period of a 10^6-event log) need not
/// be in memory at once: the same bytes as [`render_period`] or
/// [`render_corrections`] give for JSON. Put a buffer in front of an
/// unbuffered `out`: the serialiser writes many small pieces.
///
/// # Errors
/// [`RenderError::Failed`] when `out` fails (a client gone) or the report
/// does not serialise.
pub fn write_json<T: serde::Serialize>(
    report: &T,
    out: impl std::io::Write,
) -> Result<(), RenderError> {
    json::write(report, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Format; 4] = [Format::Json, Format::Csv, Format::Xlsx, Format::Html];

    #[test]
    fn every_format_renders_the_same_bytes_twice() {
        let period = fixture::period_report();
        let corrections = fixture::corrections_report();
        for format in ALL {
            let first = render_period(&period, format).unwrap();
            assert!(!first.is_empty());
            assert_eq!(
                first,
                render_period(&period, format).unwrap(),
                "period {format:?}"
            );
            let first = render_corrections(&corrections, format).unwrap();
            assert_eq!(
                first,
                render_corrections(&corrections, format).unwrap(),
                "corrections {format:?}"
            );
        }
    }

    #[test]
    fn format_names_parse_and_unknown_ones_are_refused() {
        for format in ALL {
            assert_eq!(Format::parse(format.extension()).unwrap(), format);
        }
        assert!(matches!(Format::parse("pdf"), Err(RenderError::UnknownFormat(f)) if f == "pdf"));
    }
}
