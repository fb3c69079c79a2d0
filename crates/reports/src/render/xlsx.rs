//! XLSX: an Excel workbook with one sheet per section of the report (see
//! [`super::table`]): the period report has Manifest, Indicators, Supported
//! persons, Expenses, Personnel, Budget (lines, then totals below), Findings
//! and Series; the corrections report has Manifest, Changes and Corrections.
//!
//! Cells keep their type: counts, hours, FTE and rates are numbers (hours
//! with as many places as they have, as in CSV and HTML; the indirect rate
//! formatted `25 %`); CZK amounts are numbers formatted `#,##0.00 "Kč"`;
//! dates are Excel dates formatted `yyyy-mm-dd`, months `yyyy-mm`, instants
//! date-times in UTC; yes/no is text, as in CSV and HTML. Text is indented
//! one step so it never touches a right-aligned number beside it; ids and
//! hashes never wrap; long text wraps and its row is made tall enough. The
//! header row is bold and frozen and repeats on every printed page; totals
//! rows are bold, an over-budget line is highlighted. Sheets print on A4
//! with gridlines, landscape above 6 columns, scaled to one page wide only
//! up to 10 columns (wider sheets span pages rather than shrink).
//!
//! Determinism: rust_xlsxwriter stamps zip entries with a fixed time, but it
//! sets the document's creation time to the wall clock unless told otherwise;
//! here it is the report's `as_of` at 00:00 UTC, so the bytes depend on the
//! report only.

use grantledger_domain::Date;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    DocProperties, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::table::{corrections_sections, period_sections, Cell, Section, Table};
use super::RenderError;
use crate::{CorrectionsReport, PeriodReport};

/// The number format of CZK amounts.
pub(super) const CZK_FORMAT: &str = "#,##0.00 \"Kč\"";
/// The number format of dates.
pub(super) const DATE_FORMAT: &str = "yyyy-mm-dd";

/// The number format of rates in percent (the value is `25` for 25 %).
pub(super) const PERCENT_FORMAT: &str = "General\" %\"";

/// Column width limits, in characters: text wraps beyond `MAX_WIDTH`; ids
/// and hashes are never wrapped and get up to `MAX_ID_WIDTH`.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 50;
const MAX_ID_WIDTH: usize = 90;
/// Room around a value, so a right-aligned number and the text beside it do
/// not touch.
const PADDING: usize = 3;
/// The height of one line of text in points, and the most lines a row is
/// made tall for.
const LINE_HEIGHT: f64 = 13.0;
const MAX_LINES: usize = 30;
/// Sheets with more columns print landscape; sheets with at most
/// `FIT_WIDTH_COLUMNS` are scaled to one page wide (wider ones span pages
/// rather than shrink to an unreadable size).
const LANDSCAPE_COLUMNS: usize = 6;
const FIT_WIDTH_COLUMNS: usize = 10;
/// The fill of a highlighted row (an over-budget line).
const FLAG_RGB: u32 = 0xFFC7CE;

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

/// How a row is shown: plain, a totals row (bold, a rule above) or a
/// highlighted row (an over-budget line).
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowStyle {
    Plain,
    Total,
    Flagged,
}

/// The kinds of cell format.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Wrap,
    Centre,
    Number,
    Money,
    Percent,
    Date,
    Month,
    Timestamp,
}

/// The format of a cell of `kind` in a row of `style`. Every cell is aligned
/// to the top (rows with wrapped text are taller) and text is indented by one
/// step, so it never runs into a right-aligned number on its left.
fn format(kind: Kind, style: RowStyle) -> Format {
    let f = Format::new().set_align(FormatAlign::Top);
    let f = match kind {
        Kind::Text => f.set_indent(1),
        Kind::Wrap => f.set_indent(1).set_text_wrap(),
        Kind::Centre => f.set_align(FormatAlign::Center),
        Kind::Number => f,
        Kind::Money => f.set_num_format(CZK_FORMAT),
        Kind::Percent => f.set_num_format(PERCENT_FORMAT),
        Kind::Date => f.set_num_format(DATE_FORMAT),
        Kind::Month => f.set_num_format("yyyy-mm"),
        Kind::Timestamp => f.set_num_format("yyyy-mm-dd hh:mm:ss \"UTC\""),
    };
    match style {
        RowStyle::Plain => f,
        RowStyle::Total => f.set_bold().set_border_top(FormatBorder::Thin),
        RowStyle::Flagged => f.set_background_color(FLAG_RGB).set_font_color(0x9C0006),
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
    let header = Format::new()
        .set_bold()
        .set_align(FormatAlign::Top)
        .set_text_wrap()
        .set_border_bottom(FormatBorder::Thin)
        .set_background_color(0xE7E6E6);
    let title = Format::new().set_bold();
    for section in sections {
        let sheet = book.add_worksheet();
        sheet.set_name(section.name)?;
        sheet.set_paper_size(PAPER_A4);
        sheet.set_print_gridlines(true);
        let widths = column_widths(section);
        for (col, w) in widths.iter().enumerate() {
            sheet.set_column_width(col_num(col)?, *w as f64)?;
        }
        let columns = section.tables.first().map_or(0, |t| t.headers.len());
        if columns > LANDSCAPE_COLUMNS {
            sheet.set_landscape();
        }
        if columns <= FIT_WIDTH_COLUMNS {
            sheet.set_print_fit_to_pages(1, 0);
        }
        let mut row: u32 = 0;
        for (i, table) in section.tables.iter().enumerate() {
            if i > 0 {
                // a further table: a blank row, then its title
                row += 1;
                sheet.write_string_with_format(row, 0, &table.title, &title)?;
                row += 1;
            }
            let header_row = row;
            row = write_table(sheet, table, row, &header, &widths)?;
            if i == 0 {
                sheet.set_freeze_panes(header_row + 1, 0)?;
                sheet.set_repeat_rows(header_row, header_row)?;
            }
        }
    }
    book.save_to_buffer()
}

/// The width of each column of a section, in characters: as wide as its
/// longest value (ids and hashes in full, text up to [`MAX_WIDTH`], wrapped
/// beyond), at least its header's longest word and half the header, plus
/// padding.
fn column_widths(section: &Section) -> Vec<usize> {
    let mut widths: Vec<usize> = Vec::new();
    let mut widen = |col: usize, w: usize| {
        if widths.len() <= col {
            widths.resize(col + 1, MIN_WIDTH);
        }
        widths[col] = widths[col].max(w);
    };
    for table in &section.tables {
        for (col, h) in table.headers.iter().enumerate() {
            let longest_word = h.split(' ').map(|w| w.chars().count()).max();
            let half = h.chars().count().div_ceil(2);
            widen(col, longest_word.unwrap_or(0).max(half) + PADDING);
        }
        for cells in table.rows.iter().chain(&table.totals) {
            for (col, cell) in cells.iter().enumerate() {
                let w = match cell {
                    Cell::Id(s) => s.chars().count().min(MAX_ID_WIDTH),
                    Cell::Text(s) => s
                        .lines()
                        .map(|l| l.chars().count())
                        .max()
                        .unwrap_or(0)
                        .min(MAX_WIDTH),
                    other => display_width(other),
                };
                widen(col, w + PADDING);
            }
        }
    }
    widths
}

/// How many lines `text` takes in a column `width` characters wide.
fn lines(text: &str, width: usize) -> usize {
    let room = width.saturating_sub(PADDING).max(1);
    text.split('\n')
        .map(|l| l.chars().count().div_ceil(room).max(1))
        .sum()
}

/// Writes the header row at `row`, the data rows and the totals row below;
/// returns the row after the last. Rows with wrapped text get the height of
/// their tallest cell, so wrapped text never overprints the next row.
fn write_table(
    sheet: &mut Worksheet,
    table: &Table,
    mut row: u32,
    header: &Format,
    widths: &[usize],
) -> Result<u32, XlsxError> {
    let width = |col: usize| widths.get(col).copied().unwrap_or(MIN_WIDTH);
    let mut tallest = 1;
    for (col, h) in table.headers.iter().enumerate() {
        sheet.write_string_with_format(row, col_num(col)?, h, header)?;
        tallest = tallest.max(lines(h, width(col)));
    }
    set_height(sheet, row, tallest)?;
    row += 1;
    let data = table.rows.iter().enumerate().map(|(i, cells)| {
        let style = if table.flagged.contains(&i) {
            RowStyle::Flagged
        } else {
            RowStyle::Plain
        };
        (cells, style)
    });
    let totals = table.totals.iter().map(|cells| (cells, RowStyle::Total));
    for (cells, style) in data.chain(totals) {
        let mut tallest = 1;
        for (col, cell) in cells.iter().enumerate() {
            let wrap = match cell {
                Cell::Text(s) => lines(s, width(col)),
                _ => 1,
            };
            tallest = tallest.max(wrap);
            write_cell(sheet, row, col_num(col)?, cell, style, wrap > 1)?;
        }
        set_height(sheet, row, tallest)?;
        row += 1;
    }
    Ok(row)
}

/// Sets the height of a row of `lines` lines of text (the default height
/// for one).
fn set_height(sheet: &mut Worksheet, row: u32, lines: usize) -> Result<(), XlsxError> {
    if lines > 1 {
        let lines = u32::try_from(lines.min(MAX_LINES)).unwrap_or(1);
        sheet.set_row_height(row, f64::from(lines) * LINE_HEIGHT + 2.0)?;
    }
    Ok(())
}

fn col_num(col: usize) -> Result<u16, XlsxError> {
    u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    style: RowStyle,
    wrap: bool,
) -> Result<(), XlsxError> {
    let f = |kind| format(kind, style);
    match cell {
        Cell::Empty if style == RowStyle::Plain => {}
        Cell::Empty => {
            sheet.write_blank(row, col, &f(Kind::Text))?;
        }
        Cell::Text(s) if wrap => {
            sheet.write_string_with_format(row, col, s, &f(Kind::Wrap))?;
        }
        Cell::Text(s) | Cell::Id(s) => {
            sheet.write_string_with_format(row, col, s, &f(Kind::Text))?;
        }
        // counts and seqs are far below 2^53, exact as f64
        Cell::Int(n) => {
            sheet.write_number_with_format(row, col, *n as f64, &f(Kind::Number))?;
        }
        Cell::Decimal(d) => {
            sheet.write_number_with_format(
                row,
                col,
                d.to_f64().unwrap_or(f64::NAN),
                &f(Kind::Number),
            )?;
        }
        Cell::Percent(d) => {
            sheet.write_number_with_format(
                row,
                col,
                d.to_f64().unwrap_or(f64::NAN),
                &f(Kind::Percent),
            )?;
        }
        // as many places as the value has, as in CSV and HTML
        Cell::Hours(h) => {
            sheet.write_number_with_format(
                row,
                col,
                h.to_decimal().to_f64().unwrap_or(f64::NAN),
                &f(Kind::Number),
            )?;
        }
        Cell::Money(m) => {
            sheet.write_number_with_format(
                row,
                col,
                m.to_decimal().to_f64().unwrap_or(f64::NAN),
                &f(Kind::Money),
            )?;
        }
        Cell::Date(d) => {
            sheet.write_datetime_with_format(row, col, d, &f(Kind::Date))?;
        }
        Cell::Month(m) => {
            sheet.write_datetime_with_format(row, col, m.first_day(), &f(Kind::Month))?;
        }
        Cell::Timestamp(t) => {
            let utc = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
            sheet.write_datetime_with_format(row, col, utc, &f(Kind::Timestamp))?;
        }
        // text, as in CSV and HTML
        Cell::Bool(_) => {
            sheet.write_string_with_format(row, col, cell.plain(), &f(Kind::Centre))?;
        }
    }
    Ok(())
}

/// About how many characters the cell shows as formatted.
fn display_width(cell: &Cell) -> usize {
    match cell {
        Cell::Empty => 0,
        Cell::Text(s) | Cell::Id(s) => s.chars().count(),
        // grouping separators and ` Kč`
        Cell::Money(m) => {
            let digits = m.to_string().len();
            digits + digits.saturating_sub(4) / 3 + 3
        }
        Cell::Percent(d) => d.normalize().to_string().len() + 2,
        Cell::Date(_) => 10,
        Cell::Month(_) => 7,
        Cell::Timestamp(_) => 23,
        Cell::Bool(_) => 3,
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
                "Series",
                "Evidence"
            ]
        );
        assert_eq!(header(&mut book, "Manifest"), ["field", "value"]);
        assert_eq!(
            header(&mut book, "Evidence"),
            ["Table", "Row", "Events", "Seqs"]
        );
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
        // booleans as text, as in CSV and HTML
        assert_eq!(expenses.get((1, 9)), Some(&Data::String("yes".into())));
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
            first_column[..6],
            ["Line", "1.1.3", "1.2", "Total", "", "Budget summary"]
        );
        assert_eq!(budget.get((6, 0)), Some(&Data::String("Item".into())));
        assert_eq!(budget.get((7, 1)), Some(&Data::Float(12100.5)));
        // the rate in percent, with a percent format
        assert_eq!(budget.get((9, 1)), Some(&Data::Float(25.0)));
        let styles = book.worksheet_style("Budget").unwrap();
        let rate = styles
            .get((9, 1))
            .and_then(|s| s.number_format.as_ref())
            .map(|n| n.format_code.clone());
        assert_eq!(rate.as_deref(), Some(PERCENT_FORMAT));
    }

    #[test]
    fn xlsx_totals_rows_sum_the_amounts_and_evidence_lists_are_in_the_evidence_sheet() {
        let r = fixture::period_report();
        let mut book = open(period(&r).unwrap());
        let expenses = book.worksheet_range("Expenses").unwrap();
        let last = expenses.rows().next_back().unwrap().to_vec();
        assert!(matches!(&last[0], Data::String(s) if s.starts_with("Total")));
        let sum: f64 = r.expenses.iter().map(|e| e.amount.halere() as f64).sum();
        assert_eq!(last[5], Data::Float(sum / 100.0));
        let evidence = book.worksheet_range("Evidence").unwrap();
        let n: usize = [
            r.indicators.iter().filter(|i| !i.seqs.is_empty()).count(),
            r.supported_persons
                .iter()
                .filter(|i| !i.seqs.is_empty())
                .count(),
            r.expenses.iter().filter(|i| !i.seqs.is_empty()).count(),
            r.personnel.iter().filter(|i| !i.seqs.is_empty()).count(),
            r.budget.iter().filter(|i| !i.seqs.is_empty()).count(),
            r.findings.iter().filter(|i| !i.seqs.is_empty()).count(),
        ]
        .iter()
        .sum();
        assert_eq!(evidence.rows().count(), n + 1);
    }

    /// A seq list longer than an Excel cell holds (32 767 characters: 10 000
    /// seven-digit seqs are 89 998) continues on the next Evidence rows, each
    /// under the limit, together the whole list in order.
    #[test]
    fn xlsx_a_long_evidence_list_continues_on_the_next_rows() {
        let mut r = fixture::period_report();
        let seqs: Vec<u64> = (1_000_000..1_010_000).collect();
        r.indicators[0].seqs = seqs.clone();
        let mut book = open(period(&r).expect("an Excel cell limit is no error"));
        let code = r.indicators[0].code.clone();
        let evidence = book.worksheet_range("Evidence").unwrap();
        let parts: Vec<(f64, String)> = evidence
            .rows()
            .filter(|row| matches!(&row[1], Data::String(s) if *s == code))
            .map(|row| match (&row[2], &row[3]) {
                (Data::Float(n), Data::String(s)) => (*n, s.clone()),
                other => panic!("unexpected cells {other:?}"),
            })
            .collect();
        assert_eq!(
            parts.len(),
            3,
            "89 998 characters in runs of at most 32 000"
        );
        assert!(parts.iter().all(|(_, s)| s.chars().count() <= 32_767));
        assert_eq!(parts.iter().map(|(n, _)| n).sum::<f64>(), 10_000.0);
        let joined: Vec<u64> = parts
            .iter()
            .flat_map(|(_, s)| s.split(", ").map(|x| x.parse::<u64>().unwrap()))
            .collect();
        assert_eq!(joined, seqs);
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
