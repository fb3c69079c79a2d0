//! HTML: one self-contained printable page (UTF-8, no scripts, no external
//! resources), CSS embedded with print rules: A4 pages (landscape for wide
//! tables), big sections on a new page, table headers repeated on every
//! page, rows never split, a running footer with the report's identity and
//! page numbers. Tables have a fixed layout at the page width with column
//! widths from their content; ids never wrap (UUIDs shortened to 8
//! characters, the full id as the title).
//!
//! The manifest comes first; then every table of the report (see
//! [`super::table`]), all text HTML-escaped. The period report draws, for each
//! indicator, its value at each month end of the report's `series` against
//! its target line, as an inline SVG chart made with plotters' SVG backend.
//!
//! Determinism of the charts: plotters is built without a font backend
//! (no `ttf`, no `ab_glyph`), so it never reads system fonts; it sizes labels
//! with its fixed estimate and writes them as SVG `<text>` for the browser to
//! set. Coordinates are whole pixels; the SVG depends on the series only.

use std::fmt::Write as _;

use grantledger_domain::{Czk, Hours};
use grantledger_projections::Figure;
use plotters::prelude::*;
use rust_decimal::prelude::ToPrimitive;

use super::table::{
    change_cells, corrections_sections, period_sections, series_codes, Cell, Section, Table,
    CHANGE_HEADERS,
};
use super::RenderError;
use crate::{CorrectionRef, CorrectionsReport, IndicatorRow, PeriodReport, ReportManifest};

/// Chart size in CSS pixels (scaled to the page width when printed).
const CHART_SIZE: (u32, u32) = (480, 210);
/// Line colours: the indicator's value and its target.
const VALUE_RGB: RGBColor = RGBColor(0x1f, 0x4e, 0x9e);
const TARGET_RGB: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
/// Sections whose main table has more columns than this print landscape.
const PORTRAIT_COLUMNS: usize = 8;

/// The embedded stylesheet. Tables have a fixed layout at the page width
/// (column widths from their content, see [`col_widths`]), so no table is
/// ever wider than the page; ids never wrap; long text wraps anywhere.
const CSS: &str = r#"
@page { size: A4; margin: 14mm 12mm 16mm; }
@page wide { size: A4 landscape; margin: 12mm 12mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Noto Sans", "Liberation Sans", Arial, sans-serif; font-size: 9pt; color: #111; margin: 8mm auto; max-width: 273mm; line-height: 1.3; }
header { margin-bottom: 4mm; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; border-bottom: 1.5px solid #333; padding-bottom: 1mm; margin: 8mm 0 1mm; }
h3 { font-size: 10.5pt; margin: 5mm 0 1.5mm; }
p { margin: 0 0 1.5mm; }
p.ident { font-size: 7pt; color: #555; margin: 0 0 2mm; }
p.note { font-size: 7.5pt; color: #444; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: 0 0 3mm; }
table.dense { font-size: 7.5pt; }
th, td { border: 1px solid #b8b8b8; padding: 0.6mm 1.2mm; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #e7e6e6; font-weight: bold; overflow-wrap: normal; hyphens: manual; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.date { white-space: nowrap; }
td.id { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.85em; }
td.bool { text-align: center; }
td.val, td.seqs { overflow-wrap: anywhere; }
td.seqs { font-size: 7pt; }
td.none { color: #666; font-style: italic; }
tr.flag td { background: #ffc7ce; color: #9c0006; }
tfoot td { font-weight: bold; border-top: 1.5px solid #333; background: #f4f4f4; }
table.kv { width: auto; min-width: 60%; max-width: 100%; table-layout: auto; }
table.kv td.num { text-align: left; }
table.kv td.id { white-space: normal; overflow-wrap: anywhere; }
table.kv td.bool { text-align: left; }
table.changes td.id { white-space: normal; }
table.kv td:first-child { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; white-space: nowrap; }
.ev + .ev { border-top: 1px dotted #bbb; margin-top: 0.6mm; padding-top: 0.6mm; }
.ev .why { color: #333; }
.nw { white-space: nowrap; }
.charts { display: flex; flex-wrap: wrap; gap: 4mm; }
figure { margin: 0; width: calc(50% - 2mm); border: 1px solid #ddd; padding: 2mm; }
figcaption { margin-bottom: 1mm; }
figcaption .legend { display: block; font-size: 8pt; color: #444; }
.value { color: #1f4e9e; font-weight: bold; }
.target { color: #c0392b; font-weight: bold; }
svg { display: block; width: 100%; height: auto; }
@media print {
  body { margin: 0; max-width: none; }
  section.big { break-before: page; }
  section.wide { page: wide; }
  thead { display: table-header-group; }
  tfoot { display: table-row-group; }
  tr, figure { break-inside: avoid; }
  h2, h3, p.ident { break-after: avoid; }
}
"#;

/// The style of the running footer (the report's identity, page numbers).
const FOOTER_STYLE: &str =
    "font-family: \"DejaVu Sans\", \"Noto Sans\", sans-serif; font-size: 6.5pt; color: #555;";
/// A section with more rows than this starts on a new page; smaller ones
/// follow the one before.
const BIG_ROWS: usize = 25;
/// Tables with more columns than this are set in a smaller font.
const DENSE_COLUMNS: usize = 7;
/// Wrapped text counts as at most this many characters wide when the
/// columns are sized.
const TEXT_WIDTH: usize = 32;
/// Column sizing: the font sizes of tables (points), the printable widths
/// of an A4 page (mm), the padding and border of a cell (mm), and the
/// average widths of characters in em: digits, text, bold header text, ids.
const BODY_PT: f64 = 9.0;
const DENSE_PT: f64 = 7.5;
const MM_PER_PT: f64 = 25.4 / 72.0;
const PORTRAIT_MM: f64 = 186.0;
const LANDSCAPE_MM: f64 = 273.0;
const CELL_PAD_MM: f64 = 3.0;
const DIGIT_EM: f64 = 0.64;
const TEXT_EM: f64 = 0.58;
const HEADER_EM: f64 = 0.68;
const ID_EM: f64 = 0.52;
const BOLD: f64 = 1.1;

pub(super) fn period(report: &PeriodReport) -> Result<Vec<u8>, RenderError> {
    let p = &report.project;
    let q = &report.period;
    let title = format!("Monitoring report, period {} — {}", q.no, p.name);
    let ident = identity(
        &format!("Monitoring report, period {} — {}", q.no, p.project_id),
        &report.manifest,
    );
    let mut out = String::new();
    open_page(&mut out, &title, &report.manifest.generator, &ident);
    let _ = write!(
        out,
        "<header>\n<h1>Monitoring report, period {no}{fin}</h1>\n\
         <p><strong>{name}</strong> · {id}</p>\n\
         <p>Beneficiary: {ben} (IČO {ico}) · project {ps} – {pe}</p>\n\
         <p>Period {qs} – {qe} · as of {as_of} · report due {due} ({days} working days after the period end, R5.2)</p>\n\
         <p class=\"note\">Ids of 36 characters are shown by their first 8 (the full id is in the tooltip and in the CSV, XLSX and JSON forms). \
         Each table gives the number of events behind a row and their range of seqs; the full lists are in the Evidence section at the end.</p>\n\
         </header>\n",
        no = q.no,
        fin = if q.r#final { " (final)" } else { "" },
        name = esc(&p.name),
        id = esc(&p.project_id),
        ben = esc(&p.beneficiary),
        ico = esc(&p.beneficiary_ico),
        ps = nw(&p.start.to_string()),
        pe = nw(&p.end.to_string()),
        qs = nw(&q.start.to_string()),
        qe = nw(&q.end.to_string()),
        as_of = nw(&report.manifest.as_of.to_string()),
        due = nw(&q.due_date.to_string()),
        days = q.due_working_days,
    );
    for (i, section) in period_sections(report).iter().enumerate() {
        open_section(&mut out, section, i == 0, &ident);
        write_tables(&mut out, section);
        if section.name == "Indicators" {
            write_charts(&mut out, report)?;
        }
        out.push_str("</section>\n");
    }
    close_page(&mut out);
    Ok(out.into_bytes())
}

pub(super) fn corrections(report: &CorrectionsReport) -> Result<Vec<u8>, RenderError> {
    let title = format!("Corrections report, period {}", report.period_no);
    let ident = identity(&title, &report.manifest);
    let mut out = String::new();
    open_page(&mut out, &title, &report.manifest.generator, &ident);
    let _ = write!(
        out,
        "<header>\n<h1>{title}</h1>\n\
         <p>The report as submitted on {on} (marker seq {rs}, built from the log up to seq {ss}) \
         beside the report from the log up to seq {now}, both as of {as_of} (R5.4).</p>\n\
         <p>{n} changed figure(s); {c} correction(s) recorded since the submission.</p>\n\
         </header>\n",
        title = esc(&title),
        on = nw(&report.submitted_on.to_string()),
        rs = report.report_seq,
        ss = report.submitted_at_seq,
        now = report.manifest.at_seq,
        as_of = nw(&report.manifest.as_of.to_string()),
        n = report.changes.len(),
        c = report.corrections.len(),
    );
    for (i, section) in corrections_sections(report).iter().enumerate() {
        if section.name == "Changes" {
            open_changes(&mut out, report, &ident);
            write_changes(&mut out, report);
        } else {
            open_section(&mut out, section, i == 0, &ident);
            write_tables(&mut out, section);
        }
        out.push_str("</section>\n");
    }
    close_page(&mut out);
    Ok(out.into_bytes())
}

/// The report's identity for the running footer and the line under each
/// section heading: name, as_of, log prefix and the start of the body hash.
fn identity(name: &str, m: &ReportManifest) -> String {
    let sha: String = m.body_sha256.chars().take(12).collect();
    format!(
        "{name} · as of {} · seq {} · body sha256 {sha}…",
        m.as_of, m.at_seq
    )
}

/// `text` that never wraps.
fn nw(text: &str) -> String {
    format!("<span class=\"nw\">{}</span>", esc(text))
}

/// A CSS string literal of `s`: quotes, backslashes and anything that could
/// end the style element escaped.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '&' | '\'' => {
                let _ = write!(out, "\\{:x} ", u32::from(c));
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn open_page(out: &mut String, title: &str, generator: &str, ident: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>{}</title>\n<style>{CSS}\
         @page {{ @bottom-left {{ content: {}; {FOOTER_STYLE} }} \
         @bottom-right {{ content: \"page \" counter(page) \" of \" counter(pages); {FOOTER_STYLE} }} }}\n\
         </style>\n</head>\n<body>\n",
        esc(generator),
        esc(title),
        css_string(ident),
    );
}

fn close_page(out: &mut String) {
    out.push_str("</body>\n</html>\n");
}

/// `manifest`, `supported-persons`, …
fn section_id(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

/// Opens a section: landscape when its main table is wide, on a new page
/// when it is big (small sections follow the one before), its heading and
/// the report's identity under it.
fn open_section(out: &mut String, section: &Section, first: bool, ident: &str) {
    let columns = section.tables.first().map_or(0, |t| t.headers.len());
    let rows: usize = section.tables.iter().map(|t| t.rows.len()).sum();
    write_section_head(
        out,
        section.name,
        columns > PORTRAIT_COLUMNS,
        !first && rows > BIG_ROWS,
        ident,
    );
}

fn write_section_head(out: &mut String, name: &str, wide: bool, big: bool, ident: &str) {
    let class: Vec<&str> = [(wide, "wide"), (big, "big")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| *c)
        .collect();
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{}\"", class.join(" "))
    };
    let _ = write!(
        out,
        "<section id=\"{}\"{class}>\n<h2>{}</h2>\n<p class=\"ident\">{}</p>\n",
        section_id(name),
        esc(name),
        esc(ident)
    );
}

/// The section's tables: the first under the section's heading, the others
/// under their own title.
fn write_tables(out: &mut String, section: &Section) {
    let wide = section
        .tables
        .first()
        .is_some_and(|t| t.headers.len() > PORTRAIT_COLUMNS);
    for (i, table) in section.tables.iter().enumerate() {
        if i > 0 {
            let _ = writeln!(out, "<h3>{}</h3>", esc(&table.title));
        }
        write_table(out, table, wide);
    }
}

/// How wide a cell is as shown, in em of the table's font, and whether it
/// may wrap: numbers and dates (DejaVu digits are 0.64 em) and ids (a
/// monospace font at 0.85 em) never wrap; text wraps at spaces, up to
/// [`TEXT_WIDTH`] characters a line.
fn shown_width(cell: &Cell) -> (f64, f64, bool) {
    let chars = |s: &str| s.chars().count() as f64;
    match cell {
        Cell::Empty => (0.0, 0.0, false),
        Cell::Money(m) => (chars(&m.to_string()) * DIGIT_EM, 0.0, false),
        Cell::Id(s) => (chars(&short_id(s).0) * ID_EM, 0.0, false),
        Cell::Text(s) => {
            let longest_word = s.split_whitespace().map(chars).fold(0.0, f64::max);
            let longest_line = s.lines().map(chars).fold(0.0, f64::max);
            let cap = TEXT_WIDTH as f64;
            (
                longest_line.min(cap) * TEXT_EM,
                longest_word.min(cap) * TEXT_EM,
                true,
            )
        }
        Cell::Bool(_) => (3.0 * TEXT_EM, 0.0, false),
        Cell::Timestamp(_) => (20.0 * DIGIT_EM, 0.0, false),
        other => (chars(&other.plain()) * DIGIT_EM, 0.0, false),
    }
}

/// The width of each column in percent of the table. Every column gets
/// what its widest cell (or its header's longest word) needs; when that is
/// more than the page holds, the columns of wrapping text give way, down to
/// their longest word, so numbers, dates and ids keep their room.
fn col_widths(table: &Table, wide: bool, dense: bool) -> Vec<String> {
    let font_mm = if dense { DENSE_PT } else { BODY_PT } * MM_PER_PT;
    let page_em = if wide { LANDSCAPE_MM } else { PORTRAIT_MM } / font_mm;
    let pad_em = CELL_PAD_MM / font_mm;
    // (need, least, wraps) per column
    let mut cols: Vec<(f64, f64, bool)> = table
        .headers
        .iter()
        .map(|h| {
            let word = h.split(' ').map(|w| w.chars().count()).max().unwrap_or(0);
            let w = word as f64 * HEADER_EM;
            (w, w, false)
        })
        .collect();
    let rows = table.rows.iter().map(|r| (r, 1.0));
    // the totals row is bold, a little wider
    let totals = table.totals.iter().map(|r| (r, BOLD));
    for (row, scale) in rows.chain(totals) {
        for (col, cell) in cols.iter_mut().zip(row) {
            let (need, least, wraps) = shown_width(cell);
            let (need, least) = (need * scale, least * scale);
            col.0 = col.0.max(need);
            col.1 = col.1.max(if wraps { least } else { need });
            col.2 |= wraps;
        }
    }
    let fixed: f64 = cols
        .iter()
        .map(|c| if c.2 { c.1 } else { c.0 } + pad_em)
        .sum();
    let give: f64 = cols.iter().filter(|c| c.2).map(|c| c.0 - c.1).sum();
    let room = page_em - fixed;
    // what the wrapping columns get beyond their longest word: what they
    // need (in part, when the page is too narrow), and any room left over
    // in proportion to their need
    let wrapping: f64 = cols.iter().filter(|c| c.2).map(|c| c.0).sum();
    let share = if give > 0.0 {
        (room / give).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let spare = if wrapping > 0.0 {
        (room - give).max(0.0) / wrapping
    } else {
        0.0
    };
    let widths: Vec<f64> = cols
        .iter()
        .map(|c| {
            pad_em
                + if c.2 {
                    c.1 + (c.0 - c.1) * share + c.0 * spare
                } else {
                    c.0
                }
        })
        .collect();
    let total: f64 = widths.iter().sum::<f64>().max(1.0);
    widths
        .iter()
        .map(|w| format!("{:.1}%", (w * 1000.0 / total).round() / 10.0))
        .collect()
}

fn write_colgroup(out: &mut String, widths: &[String]) {
    out.push_str("<colgroup>");
    for w in widths {
        let _ = write!(out, "<col style=\"width:{w}\">");
    }
    out.push_str("</colgroup>\n");
}

fn write_table(out: &mut String, table: &Table, wide: bool) {
    let kv = table.headers.len() == 2 && table.headers[0] == "field";
    let dense = table.headers.len() > DENSE_COLUMNS;
    if kv {
        out.push_str("<table class=\"kv\">\n");
    } else {
        out.push_str(if dense {
            "<table class=\"dense\">\n"
        } else {
            "<table>\n"
        });
        write_colgroup(out, &col_widths(table, wide, dense));
    }
    write_head(out, table.headers.iter().map(String::as_str));
    out.push_str("<tbody>\n");
    if table.rows.is_empty() {
        let _ = writeln!(
            out,
            "<tr><td class=\"none\" colspan=\"{}\">none</td></tr>",
            table.headers.len()
        );
    }
    let seqs = table.headers.last().is_some_and(|h| h == "Seqs");
    for (i, row) in table.rows.iter().enumerate() {
        out.push_str(if table.flagged.contains(&i) {
            "<tr class=\"flag\">"
        } else {
            "<tr>"
        });
        for (col, cell) in row.iter().enumerate() {
            if seqs && col + 1 == row.len() {
                let _ = write!(out, "<td class=\"seqs\">{}</td>", cell_html(cell));
            } else {
                write_cell(out, cell, "");
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n");
    if let Some(totals) = &table.totals {
        out.push_str("<tfoot><tr>");
        for cell in totals {
            write_cell(out, cell, "");
        }
        out.push_str("</tr></tfoot>\n");
    }
    out.push_str("</table>\n");
}

fn write_head<'a>(out: &mut String, headers: impl Iterator<Item = &'a str>) {
    out.push_str("<thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead>\n");
}

/// One `<td>`; `attrs` is extra attributes. Numbers are right-aligned,
/// dates and ids never wrap (ids in a small monospace font, 36-character
/// ids shortened to 8 with the full id as the title).
fn write_cell(out: &mut String, cell: &Cell, attrs: &str) {
    let class = match cell {
        c if c.is_numeric() => " class=\"num\"",
        Cell::Date(_) | Cell::Month(_) | Cell::Timestamp(_) => " class=\"date\"",
        Cell::Id(_) => " class=\"id\"",
        Cell::Bool(_) => " class=\"bool\"",
        Cell::Text(s) if s.len() >= 32 && !s.contains(char::is_whitespace) => " class=\"val\"",
        _ => "",
    };
    let title = match cell {
        Cell::Id(s) if short_id(s).1 => format!(" title=\"{}\"", esc(s)),
        _ => String::new(),
    };
    let _ = write!(out, "<td{class}{title}{attrs}>{}</td>", cell_html(cell));
}

/// The cell as escaped HTML: money grouped by thousands with a narrow
/// no-break space and 2 places (`12&#8239;100.50`), line breaks kept.
fn cell_html(cell: &Cell) -> String {
    match cell {
        Cell::Money(m) => money(*m),
        Cell::Hours(h) => hours(*h),
        Cell::Percent(d) => format!("{}&#8239;%", d.normalize()),
        Cell::Id(s) => esc(&short_id(s).0),
        Cell::Text(s) => esc(s).replace('\n', "<br>"),
        other => esc(&other.plain()),
    }
}

/// `s` with every UUID in it shortened to its first 8 hex digits and `…`;
/// whether any was.
fn short_id(s: &str) -> (String, bool) {
    fn is_uuid(b: &[u8]) -> bool {
        b.len() == 36
            && b.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
    }
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes.len() - i >= 36 && is_uuid(&bytes[i..i + 36]) {
            out.push_str(&s[i..i + 8]);
            out.push('…');
            i += 36;
            changed = true;
        } else {
            let c = s[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    (out, changed)
}

/// `-1&#8239;234&#8239;567.89`: thousands grouped, exactly 2 places.
fn money(m: Czk) -> String {
    let plain = m.to_string();
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |d| ("-", d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    format!("{sign}{}.{frac}", group(int))
}

fn hours(h: Hours) -> String {
    let plain = h.to_string();
    match plain.split_once('.') {
        Some((int, frac)) => format!("{}.{frac}", group(int)),
        None => group(&plain),
    }
}

/// Groups the ASCII digits of `int` by three with narrow no-break spaces.
fn group(int: &str) -> String {
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push_str("&#8239;");
        }
        out.push(c);
    }
    out
}

/// Escapes `& < > " '` (text and attribute values).
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Opens the Changes section (landscape: six columns, two of them long).
fn open_changes(out: &mut String, report: &CorrectionsReport, ident: &str) {
    write_section_head(out, "Changes", true, report.changes.len() > 3, ident);
}

/// Column widths of the changes table: section, key, field, old, new,
/// events.
const CHANGE_WIDTHS: [&str; 6] = ["8%", "10%", "8%", "19%", "19%", "36%"];

/// The changes of a corrections report: one row per changed figure, its old
/// and new value as readable text, and the events behind it listed in the
/// last cell (seq · kind · recorded at · actor · what it corrects, then the
/// reason).
fn write_changes(out: &mut String, report: &CorrectionsReport) {
    out.push_str("<table class=\"changes\">\n");
    write_colgroup(out, &CHANGE_WIDTHS.map(String::from));
    write_head(
        out,
        CHANGE_HEADERS
            .iter()
            .copied()
            .chain(["Events behind the change"]),
    );
    out.push_str("<tbody>\n");
    if report.changes.is_empty() {
        out.push_str("<tr><td class=\"none\" colspan=\"6\">none</td></tr>\n");
    }
    for change in &report.changes {
        out.push_str("<tr>");
        let cells = change_cells(change);
        for (i, cell) in cells.iter().enumerate() {
            if i == 3 || i == 4 {
                let _ = write!(out, "<td class=\"val\">{}</td>", cell_html(cell));
            } else {
                write_cell(out, cell, "");
            }
        }
        if change.events.is_empty() {
            out.push_str("<td class=\"none\">no event recorded after the submission</td>");
        } else {
            out.push_str("<td class=\"val\">");
            for e in &change.events {
                write_event(out, e);
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// One event behind a change, compactly:
/// `seq 419 · event_corrected · 2017-05-11 14:40:00Z · manager:… · corrects seq 227`,
/// the reason on the next line.
fn write_event(out: &mut String, e: &CorrectionRef) {
    let mut parts = vec![nw(&format!("seq {}", e.seq)), esc(&e.kind)];
    if let Some(at) = e.recorded_at {
        parts.push(nw(&at.strftime("%Y-%m-%d %H:%M UTC").to_string()));
    }
    if let Some(actor) = &e.actor {
        parts.push(esc(actor));
    }
    if let Some(t) = e.target_seq {
        parts.push(nw(&format!("corrects seq {t}")));
    }
    let _ = write!(out, "<div class=\"ev\">{}", parts.join(" · "));
    if let Some(reason) = &e.reason {
        let _ = write!(
            out,
            "<br><span class=\"why\">{}</span>",
            esc(reason).replace('\n', "<br>")
        );
    }
    out.push_str("</div>");
}

/// One chart per indicator, in the report's order.
fn write_charts(out: &mut String, report: &PeriodReport) -> Result<(), RenderError> {
    out.push_str("<h3>Progress against targets</h3>\n<div class=\"charts\">\n");
    let codes = series_codes(report);
    for ind in &report.indicators {
        if !codes.contains(&ind.code) {
            continue;
        }
        let svg = chart(report, ind)?;
        let _ = write!(
            out,
            "<figure>\n<figcaption><strong class=\"nw\">{code}</strong> {name}: {cum} of {target} {unit} as of {as_of}\
             <span class=\"legend\"><span class=\"value\">━━</span> value at each month end \
             <span class=\"target\">╍╍</span> target {target}</span></figcaption>\n{svg}</figure>\n",
            code = esc(&ind.code),
            name = esc(&ind.name),
            cum = esc(&Cell::from(ind.cumulative).plain()),
            target = esc(&Cell::from(ind.target).plain()),
            unit = esc(&ind.unit),
            as_of = nw(&report.manifest.as_of.to_string()),
        );
    }
    out.push_str("</div>\n");
    Ok(())
}

fn figure_f64(f: Figure) -> f64 {
    f.to_decimal().to_f64().unwrap_or(0.0)
}

/// A y-axis label: counts as whole numbers (no label between them),
/// decimals with at most 2 places.
fn y_label(v: f64, whole: bool) -> String {
    if whole {
        if (v - v.round()).abs() < 1e-9 {
            format!("{v:.0}")
        } else {
            String::new()
        }
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn chart_failed(e: impl std::fmt::Display) -> RenderError {
    RenderError::Failed(format!("html chart: {e}"))
}

/// The SVG chart of one indicator: its value at each series date (x: the
/// point's index, labelled `YYYY-MM`) and its target as a red line.
fn chart(report: &PeriodReport, ind: &IndicatorRow) -> Result<String, RenderError> {
    let points: Vec<(i32, f64)> = report
        .series
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            Some((
                i32::try_from(i).ok()?,
                figure_f64(*p.values.get(&ind.code)?),
            ))
        })
        .collect();
    let dates: Vec<String> = report
        .series
        .iter()
        .map(|p| p.date.strftime("%Y-%m").to_string())
        .collect();
    let whole =
        matches!(ind.target, Figure::Count(_)) && points.iter().all(|(_, v)| v.fract() == 0.0);
    let target = figure_f64(ind.target);
    let top = points.iter().map(|(_, v)| *v).fold(target, f64::max);
    let y_max = if whole {
        (top * 1.1).ceil().max(top + 1.0)
    } else {
        (top * 1.15).max(0.1)
    };
    let x_max = i32::try_from(report.series.len().saturating_sub(1))
        .unwrap_or(0)
        .max(1);
    let x_labels = report.series.len().clamp(2, 7);
    // counts: at most one label per whole number, so no tick falls between
    let y_labels = if whole {
        (y_max as usize + 1).clamp(2, 6)
    } else {
        6
    };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_failed)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_right(28)
            .x_label_area_size(30)
            .y_label_area_size(44)
            .build_cartesian_2d(0..x_max, 0f64..y_max)
            .map_err(chart_failed)?;
        let x_fmt = |i: &i32| {
            usize::try_from(*i)
                .ok()
                .and_then(|i| dates.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let y_fmt = |v: &f64| y_label(*v, whole);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(x_labels)
            .y_labels(y_labels)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", 17))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()
            .map_err(chart_failed)?;
        // the target dashed and thin, the value thick on top of it, so a
        // value that reaches the target stays visible
        chart
            .draw_series(DashedLineSeries::new(
                [(0, target), (x_max, target)],
                8,
                5,
                TARGET_RGB.stroke_width(1),
            ))
            .map_err(chart_failed)?;
        chart
            .draw_series(LineSeries::new(points, VALUE_RGB.stroke_width(3)).point_size(3))
            .map_err(chart_failed)?;
        root.present().map_err(chart_failed)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    fn page(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("html is UTF-8")
    }

    #[test]
    fn html_period_report_layout() {
        insta::assert_snapshot!(
            "html_period_report",
            page(period(&fixture::period_report()).unwrap())
        );
    }

    #[test]
    fn html_corrections_report_layout() {
        insta::assert_snapshot!(
            "html_corrections_report",
            page(corrections(&fixture::corrections_report()).unwrap())
        );
    }

    #[test]
    fn html_page_has_no_scripts_and_no_external_resources() {
        for html in [
            page(period(&fixture::period_report()).unwrap()),
            page(corrections(&fixture::corrections_report()).unwrap()),
        ] {
            let lower = html.to_lowercase();
            for banned in [
                "<script",
                "javascript:",
                "<link",
                "<img",
                "<iframe",
                "<object",
                "src=",
                "href=",
                "@import",
                "url(",
            ] {
                assert!(!lower.contains(banned), "found {banned}");
            }
            // the SVG namespace is a name, not a resource
            assert_eq!(
                lower.matches("http").count(),
                lower
                    .matches("xmlns=\"http://www.w3.org/2000/svg\"")
                    .count()
            );
        }
    }

    #[test]
    fn html_declares_utf8_and_keeps_czech_letters() {
        let html = page(period(&fixture::period_report()).unwrap());
        assert!(html
            .starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"));
        assert!(html.contains("Vzdělávání pracovníků členských organizací"));
        assert!(html.contains("Jiří Čermák"));
    }

    #[test]
    fn html_escapes_suppliers_names_reasons_and_messages() {
        let html = page(period(&fixture::period_report()).unwrap());
        assert!(html.contains("Café &lt;Ostrava&gt; &amp; syn"));
        assert!(html.contains("Tiskárna &quot;Žlutý kůň&quot;, s.r.o."));
        assert!(html.contains("Sdružení obcí &amp; měst, z. s."));
        assert!(html.contains("R4.3: double funding;<br>see the region&#39;s grant"));
        assert!(html.contains("Financed from another source: &lt;region&#39;s grant&gt;"));
        assert!(!html.contains("<Ostrava>") && !html.contains("<region"));
        let html = page(corrections(&fixture::corrections_report()).unwrap());
        assert!(html.contains("účetní &lt;finance&gt;"));
    }

    #[test]
    fn html_puts_the_manifest_first_with_every_field() {
        let html = page(period(&fixture::period_report()).unwrap());
        let manifest = html
            .find("<section id=\"manifest\"")
            .expect("a manifest section");
        assert!(html.find("<section").is_some_and(|first| first == manifest));
        for field in [
            "as_of",
            "known_at",
            "at_seq",
            "head_hash",
            "rule_sets",
            "generator",
            "body_sha256",
        ] {
            assert!(html.contains(&format!("<tr><td>{field}</td>")), "{field}");
        }
    }

    #[test]
    fn html_draws_one_svg_chart_per_indicator_with_its_target_line() {
        let r = fixture::period_report();
        let html = page(period(&r).unwrap());
        assert_eq!(html.matches("<svg").count(), r.indicators.len());
        // the dashed target line (several dashes) and the value line, in
        // their colours, the value drawn last (on top) and thicker
        assert!(html.matches("stroke=\"#C0392B\"").count() > r.indicators.len());
        for svg in html.split("<svg").skip(1) {
            let target = svg.rfind("stroke=\"#C0392B\"").expect("a target line");
            let value = svg.rfind("stroke=\"#1F4E9E\"").expect("a value line");
            assert!(value > target, "the value line on top");
        }
        assert!(html.contains("stroke=\"#1F4E9E\""), "value colour");
        assert!(
            html.contains("\n2016-10\n</text>") && html.contains("\n2017-03\n</text>"),
            "month labels"
        );
    }

    #[test]
    fn html_changes_are_one_row_each_with_readable_values_and_fit_the_page() {
        let c = fixture::corrections_report();
        let html = page(corrections(&c).unwrap());
        let changes = &html[html.find("<table class=\"changes\">").unwrap()..];
        let changes = &changes[..changes.find("</table>").unwrap()];
        assert_eq!(changes.matches("<tr>").count(), c.changes.len() + 1);
        // no raw JSON: a new row as `field: value; …` in words
        assert!(!changes.contains("{&quot;"));
        assert!(changes.contains("amount: 500.00; document no.: FV-17/9"));
        assert!(changes.contains("<td class=\"val\">(no row)</td>"));
        assert!(html.contains("table-layout: fixed"));
    }

    #[test]
    fn html_shortens_uuids_keeps_ids_whole_and_adds_totals_and_evidence() {
        let html = page(period(&fixture::period_report()).unwrap());
        assert!(html.contains(
            "<td class=\"id\" title=\"01900000-0000-7000-8000-000000000042\">01900000…</td>"
        ));
        assert!(html.contains("<tfoot><tr><td>Total (2 documents)</td>"));
        assert!(html.contains("<section id=\"evidence\""));
        assert!(html.contains("@bottom-right { content: \"page \" counter(page)"));
        assert_eq!(short_id("expense 17/003").0, "expense 17/003");
    }

    #[test]
    fn html_groups_money_by_thousands_with_two_places() {
        assert_eq!(
            money(Czk::from_halere(123_456_789)),
            "1&#8239;234&#8239;567.89"
        );
        assert_eq!(money(Czk::from_halere(-50)), "-0.50");
        assert_eq!(money(Czk::from_halere(100_000)), "1&#8239;000.00");
    }

    #[test]
    fn html_renders_the_same_bytes_twice() {
        let r = fixture::period_report();
        assert_eq!(period(&r).unwrap(), period(&r).unwrap());
        let c = fixture::corrections_report();
        assert_eq!(corrections(&c).unwrap(), corrections(&c).unwrap());
    }
}
