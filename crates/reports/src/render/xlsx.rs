//! XLSX: an Excel workbook with one sheet per section of the report (see
//! [`super::table`]): the period report has Manifest, Indicators, Supported
//! persons, Expenses, Personnel, Budget (lines, then totals below), Findings
//! and Series; the corrections report has Manifest, Changes and Corrections.
//!
//! Cells keep their type: counts, hours, FTE and rates are numbers; CZK
//! amounts are numbers formatted `#,##0.00 "Kč"`; dates are Excel dates
//! formatted `yyyy-mm-dd`, months `yyyy-mm`, instants date-times in UTC. The
//! header row is bold and frozen and repeats on every printed page; columns
//! are as wide as their longest value (within limits); sheets print on A4, as
//! wide as one page.
//!
//! Determinism: rust_xlsxwriter stamps zip entries with a fixed time, but it
//! sets the document's creation time to the wall clock unless told otherwise;
//! here it is the report's `as_of` at 00:00 UTC, so the bytes depend on the
//! report only.

use grantledger_domain::Date;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::table::{corrections_sections, period_sections, Cell, Section, Table};
use super::RenderError;
use crate::{CorrectionsReport, PeriodReport};

/// The number format of CZK amounts.
pub(super) const CZK_FORMAT: &str = "#,##0.00 \"Kč\"";
/// The number format of dates.
pub(super) const DATE_FORMAT: &str = "yyyy-mm-dd";

/// Column width limits, in characters.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;

/// Excel's paper size code for A4.
const PAPER_A4: u8 = 9;

pub(super) fn period(report: &PeriodReport) -> Result<Vec<u8>, RenderError> {
    let title = format!(
        "Monitoring report, period {} — {}",
        report.period.no, report.project.name
    );
    let props = Props {
        title: &title,
        subject: &report.project.project_id,
        author: &report.manifest.generator,
        company: &report.project.beneficiary,
        created: report.manifest.as_of,
    };
    write(&period_sections(report), &props).map_err(failed)
}

pub(super) fn corrections(report: &CorrectionsReport) -> Result<Vec<u8>, RenderError> {
    let title = format!("Corrections report, period {}", report.period_no);
    let props = Props {
        title: &title,
        subject: &report.manifest.report,
        author: &report.manifest.generator,
        company: "",
        created: report.manifest.as_of,
    };
    write(&corrections_sections(report), &props).map_err(failed)
}

fn failed(e: XlsxError) -> RenderError {
    RenderError::Failed(format!("xlsx: {e}"))
}

/// What goes into the document properties.
struct Props<'a> {
    title: &'a str,
    subject: &'a str,
    author: &'a str,
    company: &'a str,
    /// The creation date, written as 00:00 UTC of that day.
    created: Date,
}

/// The cell formats of one workbook.
struct Formats {
    header: Format,
    title: Format,
    money: Format,
    date: Format,
    month: Format,
    timestamp: Format,
    hours: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_border_bottom(FormatBorder::Thin)
                .set_background_color(0xE7E6E6),
            title: Format::new().set_bold(),
            money: Format::new().set_num_format(CZK_FORMAT),
            date: Format::new().set_num_format(DATE_FORMAT),
            month: Format::new().set_num_format("yyyy-mm"),
            timestamp: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss \"UTC\""),
            hours: Format::new().set_num_format("0.00"),
            wrap: Format::new().set_text_wrap(),
        }
    }
}

fn write(sections: &[Section], props: &Props) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    book.set_properties(
        &DocProperties::new()
            .set_title(props.title)
            .set_subject(props.subject)
            .set_author(props.author)
            .set_company(props.company)
            .set_creation_datetime(&props.created),
    );
    let f = Formats::new();
    for section in sections {
        let sheet = book.add_worksheet();
        sheet.set_name(section.name)?;
        sheet.set_paper_size(PAPER_A4);
        sheet.set_print_fit_to_pages(1, 0);
        let mut widths: Vec<usize> = Vec::new();
        let mut row: u32 = 0;
        for (i, table) in section.tables.iter().enumerate() {
            if i > 0 {
                // a further table: a blank row, then its title
                row += 1;
                sheet.write_string_with_format(row, 0, &table.title, &f.title)?;
                row += 1;
            }
            let header_row = row;
            row = write_table(sheet, table, row, &f, &mut widths)?;
            if i == 0 {
                sheet.set_freeze_panes(header_row + 1, 0)?;
                sheet.set_repeat_rows(header_row, header_row)?;
                if table.headers.len() > 8 {
                    sheet.set_landscape();
                }
            }
        }
        for (col, w) in widths.iter().enumerate() {
            let col = u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)?;
            let w = u32::try_from((*w + 2).clamp(MIN_WIDTH, MAX_WIDTH)).unwrap_or(60);
            sheet.set_column_width(col, w)?;
        }
    }
    book.save_to_buffer()
}

/// Writes the header row at `row` and the data rows below; returns the row
/// after the last. Widens `widths` to the longest value of each column.
fn write_table(
    sheet: &mut Worksheet,
    table: &Table,
    mut row: u32,
    f: &Formats,
    widths: &mut Vec<usize>,
) -> Result<u32, XlsxError> {
    let mut widen = |col: usize, w: usize| {
        if widths.len() <= col {
            widths.resize(col + 1, 0);
        }
        widths[col] = widths[col].max(w);
    };
    for (col, h) in table.headers.iter().enumerate() {
        sheet.write_string_with_format(row, col_num(col)?, h, &f.header)?;
        widen(col, h.chars().count());
    }
    row += 1;
    for cells in &table.rows {
        for (col, cell) in cells.iter().enumerate() {
            write_cell(sheet, row, col_num(col)?, cell, f)?;
            widen(col, display_width(cell));
        }
        row += 1;
    }
    Ok(row)
}

fn col_num(col: usize) -> Result<u16, XlsxError> {
    u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    f: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) if s.chars().count() > MAX_WIDTH => {
            sheet.write_string_with_format(row, col, s, &f.wrap)?;
        }
        Cell::Text(s) => {
            sheet.write_string(row, col, s)?;
        }
        // counts and seqs are far below 2^53, exact as f64
        Cell::Int(n) => {
            sheet.write_number(row, col, *n as f64)?;
        }
        Cell::Decimal(d) => {
            sheet.write_number(row, col, d.to_f64().unwrap_or(f64::NAN))?;
        }
        Cell::Hours(h) => {
            sheet.write_number_with_format(
                row,
                col,
                h.to_decimal().to_f64().unwrap_or(f64::NAN),
                &f.hours,
            )?;
        }
        Cell::Money(m) => {
            sheet.write_number_with_format(
                row,
                col,
                m.to_decimal().to_f64().unwrap_or(f64::NAN),
                &f.money,
            )?;
        }
        Cell::Date(d) => {
            sheet.write_datetime_with_format(row, col, d, &f.date)?;
        }
        Cell::Month(m) => {
            sheet.write_datetime_with_format(row, col, m.first_day(), &f.month)?;
        }
        Cell::Timestamp(t) => {
            let utc = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
            sheet.write_datetime_with_format(row, col, utc, &f.timestamp)?;
        }
        Cell::Bool(b) => {
            sheet.write_boolean(row, col, *b)?;
        }
    }
    Ok(())
}

/// About how many characters the cell shows as formatted.
fn display_width(cell: &Cell) -> usize {
    match cell {
        Cell::Empty => 0,
        Cell::Text(s) => s.chars().count(),
        // grouping separators and ` Kč`
        Cell::Money(m) => {
            let digits = m.to_string().len();
            digits + digits.saturating_sub(4) / 3 + 3
        }
        Cell::Date(_) => 10,
        Cell::Month(_) => 7,
        Cell::Timestamp(_) => 23,
        Cell::Bool(_) => 5,
        other => other.plain().len(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};

    use super::super::fixture;
    use super::*;

    fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
        open_workbook_from_rs(Cursor::new(bytes)).expect("a readable workbook")
    }

    fn header(book: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str) -> Vec<String> {
        let range = book.worksheet_range(sheet).expect("the sheet");
        range
            .rows()
            .next()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .unwrap_or_default()
    }

    /// Excel's serial day number of a date (1900 system).
    fn serial(d: Date) -> f64 {
        let days = d.since(jiff::civil::date(1899, 12, 30)).unwrap().get_days();
        f64::from(days)
    }

    #[test]
    fn xlsx_period_report_has_one_sheet_per_section_with_its_header_row() {
        let mut book = open(period(&fixture::period_report()).unwrap());
        assert_eq!(
            book.sheet_names(),
            [
                "Manifest",
                "Indicators",
                "Supported persons",
                "Expenses",
                "Personnel",
                "Budget",
                "Findings",
                "Series"
            ]
        );
        assert_eq!(header(&mut book, "Manifest"), ["field", "value"]);
        assert_eq!(
            header(&mut book, "Indicators")[..4],
            ["Code", "Indicator", "Unit", "Target"]
        );
        assert_eq!(
            header(&mut book, "Expenses")[..3],
            ["Document no.", "Supplier", "Supplier IČO"]
        );
        assert_eq!(
            header(&mut book, "Series"),
            ["Date", "6 00 00", "P-KONF", "P-MAN-FTE"]
        );
        assert_eq!(header(&mut book, "Budget")[0], "Line");
    }

    #[test]
    fn xlsx_writes_amounts_and_figures_as_numbers_and_dates_as_excel_dates() {
        let mut book = open(period(&fixture::period_report()).unwrap());
        let expenses = book.worksheet_range("Expenses").unwrap();
        // row 1 = the first expense: supply date, paid on, amount, VAT
        assert!(
            matches!(expenses.get((1, 1)), Some(Data::String(s)) if s == "Tiskárna \"Žlutý kůň\", s.r.o.")
        );
        let Some(Data::DateTime(supplied)) = expenses.get((1, 3)) else {
            panic!("{:?}", expenses.get((1, 3)))
        };
        assert_eq!(supplied.as_f64(), serial(jiff::civil::date(2017, 1, 15)));
        assert_eq!(expenses.get((1, 5)), Some(&Data::Float(12100.5)));
        assert_eq!(expenses.get((1, 6)), Some(&Data::Float(2100.5)));
        assert_eq!(expenses.get((1, 9)), Some(&Data::Bool(true)));
        let indicators = book.worksheet_range("Indicators").unwrap();
        assert_eq!(indicators.get((1, 3)), Some(&Data::Float(40.0)));
        assert_eq!(indicators.get((3, 5)), Some(&Data::Float(0.45)));
        let series = book.worksheet_range("Series").unwrap();
        assert!(
            matches!(series.get((1, 0)), Some(Data::DateTime(d)) if d.as_f64() == serial(jiff::civil::date(2016, 10, 31)))
        );
    }

    #[test]
    fn xlsx_budget_sheet_has_the_lines_then_the_totals() {
        let mut book = open(period(&fixture::period_report()).unwrap());
        let budget = book.worksheet_range("Budget").unwrap();
        let first_column: Vec<String> = budget.rows().map(|r| r[0].to_string()).collect();
        assert_eq!(
            first_column[..5],
            ["Line", "1.1.3", "1.2", "", "Budget summary"]
        );
        assert_eq!(budget.get((5, 0)), Some(&Data::String("Item".into())));
        assert_eq!(budget.get((6, 1)), Some(&Data::Float(12100.5)));
    }

    #[test]
    fn xlsx_amounts_carry_the_czk_format_dates_the_date_format_and_headers_are_bold() {
        let mut book = open(period(&fixture::period_report()).unwrap());
        let styles = book.worksheet_style("Expenses").unwrap();
        let format = |pos| {
            styles
                .get(pos)
                .and_then(|s| s.number_format.as_ref())
                .map(|n| n.format_code.clone())
        };
        assert_eq!(format((1, 5)).as_deref(), Some(CZK_FORMAT));
        assert_eq!(format((1, 3)).as_deref(), Some(DATE_FORMAT));
        let bold = |pos| {
            styles
                .get(pos)
                .and_then(|s| s.font.as_ref())
                .is_some_and(|f| f.is_bold())
        };
        assert!(bold((0, 0)) && bold((0, 13)));
        assert!(!bold((1, 0)));
    }

    #[test]
    fn xlsx_corrections_report_has_manifest_changes_and_corrections_sheets() {
        let mut book = open(corrections(&fixture::corrections_report()).unwrap());
        assert_eq!(book.sheet_names(), ["Manifest", "Changes", "Corrections"]);
        assert_eq!(
            header(&mut book, "Changes"),
            [
                "Section",
                "Key",
                "Field",
                "Old (as submitted)",
                "New (now)",
                "Event seq",
                "Event kind",
                "Recorded at",
                "Actor",
                "Reason",
                "Corrects seq"
            ]
        );
        let changes = book.worksheet_range("Changes").unwrap();
        assert_eq!(changes.get((1, 5)), Some(&Data::Float(131.0)));
        assert!(matches!(changes.get((1, 7)), Some(Data::DateTime(_))));
        let corrections = book.worksheet_range("Corrections").unwrap();
        assert_eq!(corrections.rows().count(), 3);
    }

    #[test]
    fn xlsx_bytes_do_not_depend_on_the_wall_clock() {
        let r = fixture::period_report();
        let first = period(&r).unwrap();
        // the document's creation time has whole seconds: outlive one
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(first, period(&r).unwrap());
        let c = fixture::corrections_report();
        let first = corrections(&c).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(first, corrections(&c).unwrap());
    }
}
