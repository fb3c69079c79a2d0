//! CSV: one RFC 4180 file (CRLF line ends, fields quoted only when needed),
//! UTF-8 with a byte-order mark so a spreadsheet opens the Czech letters
//! right.
//!
//! Layout: the manifest block first, then one block per table of the report
//! (see [`super::table`]); a block is a title row (one field), a header row,
//! the data rows and an empty row. Rows of different blocks have different
//! widths. Values are locale-free: money with 2 places and no grouping
//! (`12100.50`), dates ISO (`2017-01-15`), instants RFC 3339 UTC, booleans
//! `yes`/`no`; the manifest block ends with an `encoding` row saying so.
//! Evidence columns hold a count and a range of seqs; the full lists are in
//! the last block, Evidence. Totals rows (shown in XLSX and HTML) are left
//! out, so sums over the data rows stay right.

use super::table::{corrections_sections, period_sections, Section};
use super::RenderError;
use crate::{CorrectionsReport, PeriodReport};

/// The UTF-8 byte-order mark.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// The last row of the manifest block: how to open the file (Excel detects
/// the BOM; LibreOffice asks for the character set and separator).
const ENCODING: &str = "UTF-8 with BOM, comma-separated, decimal point";

pub(super) fn period(report: &PeriodReport) -> Result<Vec<u8>, RenderError> {
    write(&period_sections(report))
}

pub(super) fn corrections(report: &CorrectionsReport) -> Result<Vec<u8>, RenderError> {
    write(&corrections_sections(report))
}

fn failed(e: impl std::fmt::Display) -> RenderError {
    RenderError::Failed(format!("csv: {e}"))
}

fn write(sections: &[Section]) -> Result<Vec<u8>, RenderError> {
    let mut out = BOM.to_vec();
    for table in sections.iter().flat_map(|s| &s.tables) {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(out);
        w.write_record([&table.title]).map_err(failed)?;
        w.write_record(&table.headers).map_err(failed)?;
        for row in &table.rows {
            w.write_record(row.iter().map(|c| c.spreadsheet_safe()))
                .map_err(failed)?;
        }
        if table.title == "Manifest" {
            w.write_record(["encoding", ENCODING]).map_err(failed)?;
        }
        out = w.into_inner().map_err(failed)?;
        // The blank separator row, a bare CRLF (the csv crate writes an empty
        // record as `""`).
        out.extend_from_slice(b"\r\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_text_cell_starting_with_a_formula_sign_is_not_a_formula() {
        use super::super::table::Cell;
        assert_eq!(Cell::Text("=1+1".into()).spreadsheet_safe(), "'=1+1");
        assert_eq!(
            Cell::Text("@SUM(A1)".into()).spreadsheet_safe(),
            "'@SUM(A1)"
        );
        assert_eq!(Cell::Text("ERGON".into()).spreadsheet_safe(), "ERGON");
        assert_eq!(
            Cell::Money(grantledger_domain::Czk::from_halere(-150)).spreadsheet_safe(),
            "-1.50"
        );
    }

    use super::super::fixture;
    use super::*;

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).expect("csv is UTF-8")
    }

    #[test]
    fn csv_starts_with_a_byte_order_mark_and_ends_every_line_with_crlf() {
        let out = period(&fixture::period_report()).unwrap();
        assert!(out.starts_with(BOM));
        let body = text(&out[BOM.len()..]);
        assert!(body.ends_with("\r\n"));
        // the one bare LF is the line break inside the quoted reason
        assert_eq!(body.replace("\r\n", "").matches('\n').count(), 1);
    }

    #[test]
    fn csv_period_report_is_a_manifest_block_then_one_block_per_section() {
        let out = period(&fixture::period_report()).unwrap();
        let body = text(&out[BOM.len()..]).replace("\r\n", "\n");
        insta::assert_snapshot!("csv_period_report", body);
    }

    #[test]
    fn csv_corrections_report_is_a_manifest_block_then_changes_and_corrections() {
        let out = corrections(&fixture::corrections_report()).unwrap();
        let body = text(&out[BOM.len()..]).replace("\r\n", "\n");
        insta::assert_snapshot!("csv_corrections_report", body);
    }

    #[test]
    fn csv_blocks_are_title_header_rows_and_a_blank_row() {
        let out = period(&fixture::period_report()).unwrap();
        let body = text(&out[BOM.len()..]);
        let titles: Vec<&str> = body
            .split("\r\n\r\n")
            .filter(|b| !b.is_empty())
            .map(|b| b.split("\r\n").next().unwrap_or_default())
            .collect();
        assert_eq!(
            titles,
            [
                "Manifest",
                "Indicators",
                "Supported persons",
                "Expenses",
                "Personnel",
                "Budget",
                "Budget summary",
                "Findings",
                "Series",
                "Evidence"
            ]
        );
    }

    #[test]
    fn csv_quotes_fields_with_commas_quotes_and_line_breaks_and_keeps_czech_letters() {
        let out = period(&fixture::period_report()).unwrap();
        let body = text(&out[BOM.len()..]);
        // the supplier is `Tiskárna "Žlutý kůň", s.r.o.`
        assert!(
            body.contains(r#","Tiskárna ""Žlutý kůň"", s.r.o.","#),
            "{body}"
        );
        // a reason with a line break stays one quoted field, and reads back
        let reason = "R4.3: double funding;\nsee the region's grant; R4.1: not yet paid";
        assert!(body.contains(&format!("\"{reason}\"")));
        let mut reader = ::csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(body.as_bytes());
        let row = reader
            .records()
            .map(|r| r.unwrap())
            .find(|r| r.get(0) == Some("17/003"))
            .expect("the second expense");
        assert_eq!(row.get(1), Some("Café <Ostrava> & syn"));
        assert_eq!(row.get(11), Some(reason));
    }

    #[test]
    fn csv_writes_money_with_two_places_and_no_grouping_and_dates_in_iso_form() {
        let out = period(&fixture::period_report()).unwrap();
        let body = text(&out[BOM.len()..]);
        let expense = body
            .lines()
            .find(|l| l.starts_with("FV-2017-0042,"))
            .expect("the expense row");
        assert!(
            expense.contains(",2017-01-15,2017-02-01,12100.50,2100.50,"),
            "{expense}"
        );
    }

    #[test]
    fn csv_manifest_says_how_the_file_is_encoded() {
        let out = corrections(&fixture::corrections_report()).unwrap();
        let body = text(&out[BOM.len()..]);
        let manifest = body.split("\r\n\r\n").next().unwrap();
        assert!(manifest.ends_with(&format!("encoding,\"{ENCODING}\"")));
    }

    #[test]
    fn csv_renders_the_same_bytes_twice() {
        let r = fixture::period_report();
        assert_eq!(period(&r).unwrap(), period(&r).unwrap());
        let c = fixture::corrections_report();
        assert_eq!(corrections(&c).unwrap(), corrections(&c).unwrap());
    }
}
