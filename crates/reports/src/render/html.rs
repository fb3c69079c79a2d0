//! HTML: one self-contained printable page (UTF-8, no scripts, no external
//! resources), CSS embedded with print rules: A4 pages (landscape for wide
//! tables), each section on a new page, table headers repeated on every
//! page, rows never split.
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
    change_cells, corrections_sections, event_cells, period_sections, series_codes, Cell, Section,
    Table, CHANGE_HEADERS,
};
use super::RenderError;
use crate::{CorrectionsReport, IndicatorRow, PeriodReport};

/// Chart size in CSS pixels (scaled to the page width when printed).
const CHART_SIZE: (u32, u32) = (480, 210);
/// Line colours: the indicator's value and its target.
const VALUE_RGB: RGBColor = RGBColor(0x1f, 0x4e, 0x9e);
const TARGET_RGB: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
/// Sections whose main table has more columns than this print landscape.
const PORTRAIT_COLUMNS: usize = 8;

/// The embedded stylesheet.
const CSS: &str = r#"
@page { size: A4; margin: 14mm 12mm; }
@page wide { size: A4 landscape; margin: 12mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Noto Sans", "Liberation Sans", Arial, sans-serif; font-size: 9pt; color: #111; margin: 8mm auto; max-width: 273mm; line-height: 1.3; }
header { margin-bottom: 4mm; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; border-bottom: 1.5px solid #333; padding-bottom: 1mm; margin: 8mm 0 2mm; }
h3 { font-size: 10.5pt; margin: 5mm 0 1.5mm; }
p { margin: 0 0 1.5mm; }
table { border-collapse: collapse; width: 100%; margin: 0 0 3mm; }
th, td { border: 1px solid #b8b8b8; padding: 0.8mm 1.4mm; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #e7e6e6; font-weight: bold; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.date { white-space: nowrap; }
td.id { overflow-wrap: anywhere; font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 7.5pt; }
td.none { color: #666; font-style: italic; }
table.kv { width: auto; min-width: 60%; }
table.kv td.num { text-align: left; }
table.kv td:first-child { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; white-space: nowrap; }
.charts { display: flex; flex-wrap: wrap; gap: 4mm; }
figure { margin: 0; width: calc(50% - 2mm); border: 1px solid #ddd; padding: 2mm; }
figcaption { margin-bottom: 1mm; }
figcaption .legend { display: block; font-size: 8pt; color: #444; }
.value { color: #1f4e9e; font-weight: bold; }
.target { color: #c0392b; font-weight: bold; }
svg { display: block; width: 100%; height: auto; }
@media print {
  body { margin: 0; max-width: none; }
  section { break-before: page; }
  section.first { break-before: auto; }
  section.wide { page: wide; }
  thead { display: table-header-group; }
  tr, figure { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"#;

pub(super) fn period(report: &PeriodReport) -> Result<Vec<u8>, RenderError> {
    let p = &report.project;
    let q = &report.period;
    let title = format!("Monitoring report, period {} — {}", q.no, p.name);
    let mut out = String::new();
    open_page(&mut out, &title, &report.manifest.generator);
    let _ = write!(
        out,
        "<header>\n<h1>Monitoring report, period {no}{fin}</h1>\n\
         <p><strong>{name}</strong> · {id}</p>\n\
         <p>Beneficiary: {ben} (IČO {ico}) · project {ps} – {pe}</p>\n\
         <p>Period {qs} – {qe} · as of {as_of} · report due {due} ({days} working days after the period end, R5.2)</p>\n\
         </header>\n",
        no = q.no,
        fin = if q.r#final { " (final)" } else { "" },
        name = esc(&p.name),
        id = esc(&p.project_id),
        ben = esc(&p.beneficiary),
        ico = esc(&p.beneficiary_ico),
        ps = p.start,
        pe = p.end,
        qs = q.start,
        qe = q.end,
        as_of = report.manifest.as_of,
        due = q.due_date,
        days = q.due_working_days,
    );
    for (i, section) in period_sections(report).iter().enumerate() {
        open_section(&mut out, section, i == 0);
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
    let mut out = String::new();
    open_page(&mut out, &title, &report.manifest.generator);
    let _ = write!(
        out,
        "<header>\n<h1>{title}</h1>\n\
         <p>The report as submitted on {on} (marker seq {rs}, built from the log up to seq {ss}) \
         beside the report from the log up to seq {now}, both as of {as_of} (R5.4).</p>\n\
         <p>{n} changed figure(s); {c} correction(s) recorded since the submission.</p>\n\
         </header>\n",
        title = esc(&title),
        on = report.submitted_on,
        rs = report.report_seq,
        ss = report.submitted_at_seq,
        now = report.manifest.at_seq,
        as_of = report.manifest.as_of,
        n = report.changes.len(),
        c = report.corrections.len(),
    );
    for (i, section) in corrections_sections(report).iter().enumerate() {
        open_section(&mut out, section, i == 0);
        if section.name == "Changes" {
            write_changes(&mut out, report);
        } else {
            write_tables(&mut out, section);
        }
        out.push_str("</section>\n");
    }
    close_page(&mut out);
    Ok(out.into_bytes())
}

fn open_page(out: &mut String, title: &str, generator: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(generator),
        esc(title),
    );
}

fn close_page(out: &mut String) {
    out.push_str("</body>\n</html>\n");
}

/// `manifest`, `supported-persons`, …
fn section_id(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

fn open_section(out: &mut String, section: &Section, first: bool) {
    let mut class = Vec::new();
    if first {
        class.push("first");
    }
    if section
        .tables
        .first()
        .is_some_and(|t| t.headers.len() > PORTRAIT_COLUMNS)
    {
        class.push("wide");
    }
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{}\"", class.join(" "))
    };
    let _ = write!(
        out,
        "<section id=\"{}\"{class}>\n<h2>{}</h2>\n",
        section_id(section.name),
        esc(section.name)
    );
}

/// The section's tables: the first under the section's heading, the others
/// under their own title.
fn write_tables(out: &mut String, section: &Section) {
    for (i, table) in section.tables.iter().enumerate() {
        if i > 0 {
            let _ = writeln!(out, "<h3>{}</h3>", esc(&table.title));
        }
        write_table(out, table);
    }
}

fn write_table(out: &mut String, table: &Table) {
    let kv = table.headers.len() == 2 && table.headers[0] == "field";
    out.push_str(if kv {
        "<table class=\"kv\">\n"
    } else {
        "<table>\n"
    });
    write_head(out, table.headers.iter().map(String::as_str));
    out.push_str("<tbody>\n");
    if table.rows.is_empty() {
        let _ = writeln!(
            out,
            "<tr><td class=\"none\" colspan=\"{}\">none</td></tr>",
            table.headers.len()
        );
    }
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            write_cell(out, cell, "");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn write_head<'a>(out: &mut String, headers: impl Iterator<Item = &'a str>) {
    out.push_str("<thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead>\n");
}

/// One `<td>`; `attrs` is extra attributes (` rowspan="2"`). Numbers are
/// right-aligned, dates never wrap, long tokens (ids, hashes) may break
/// anywhere.
fn write_cell(out: &mut String, cell: &Cell, attrs: &str) {
    let class = match cell {
        c if c.is_numeric() => " class=\"num\"",
        Cell::Date(_) | Cell::Month(_) | Cell::Timestamp(_) => " class=\"date\"",
        Cell::Text(s) if s.len() >= 32 && !s.contains(char::is_whitespace) => " class=\"id\"",
        _ => "",
    };
    let _ = write!(out, "<td{class}{attrs}>{}</td>", cell_html(cell));
}

/// The cell as escaped HTML: money grouped by thousands with a narrow
/// no-break space and 2 places (`12&#8239;100.50`), line breaks kept.
fn cell_html(cell: &Cell) -> String {
    match cell {
        Cell::Money(m) => money(*m),
        Cell::Hours(h) => hours(*h),
        Cell::Text(s) => esc(s).replace('\n', "<br>"),
        other => esc(&other.plain()),
    }
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

/// The changes of a corrections report: the change's columns span the rows
/// of the events behind it (one row when none).
fn write_changes(out: &mut String, report: &CorrectionsReport) {
    out.push_str("<table>\n");
    let headers = CHANGE_HEADERS.iter().copied().chain([
        "Event seq",
        "Kind",
        "Recorded at",
        "Actor",
        "Reason",
        "Corrects seq",
    ]);
    write_head(out, headers);
    out.push_str("<tbody>\n");
    if report.changes.is_empty() {
        out.push_str("<tr><td class=\"none\" colspan=\"11\">none</td></tr>\n");
    }
    for change in &report.changes {
        let span = change.events.len().max(1);
        let attrs = if span > 1 {
            format!(" rowspan=\"{span}\"")
        } else {
            String::new()
        };
        out.push_str("<tr>");
        for cell in change_cells(change) {
            write_cell(out, &cell, &attrs);
        }
        match change.events.first() {
            Some(first) => event_cells(first)
                .iter()
                .for_each(|c| write_cell(out, c, "")),
            None => out.push_str(
                "<td class=\"none\" colspan=\"6\">no event recorded after the submission</td>",
            ),
        }
        out.push_str("</tr>\n");
        for e in change.events.iter().skip(1) {
            out.push_str("<tr>");
            event_cells(e).iter().for_each(|c| write_cell(out, c, ""));
            out.push_str("</tr>\n");
        }
    }
    out.push_str("</tbody>\n</table>\n");
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
            "<figure>\n<figcaption><strong>{code}</strong> {name}: {cum} of {target} {unit} as of {as_of}\
             <span class=\"legend\"><span class=\"value\">━━</span> value at each month end \
             <span class=\"target\">━━</span> target {target}</span></figcaption>\n{svg}</figure>\n",
            code = esc(&ind.code),
            name = esc(&ind.name),
            cum = esc(&Cell::from(ind.cumulative).plain()),
            target = esc(&Cell::from(ind.target).plain()),
            unit = esc(&ind.unit),
            as_of = report.manifest.as_of,
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
            .y_labels(6)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", 17))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()
            .map_err(chart_failed)?;
        chart
            .draw_series(LineSeries::new(
                [(0, target), (x_max, target)],
                TARGET_RGB.stroke_width(2),
            ))
            .map_err(chart_failed)?;
        chart
            .draw_series(LineSeries::new(points, VALUE_RGB.stroke_width(2)).point_size(3))
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
        // the dashed target line and the value line, in their colours
        assert_eq!(
            html.matches("stroke=\"#C0392B\"").count(),
            r.indicators.len(),
            "one target line each"
        );
        assert!(html.contains("stroke=\"#1F4E9E\""), "value colour");
        assert!(
            html.contains("\n2016-10\n</text>") && html.contains("\n2017-03\n</text>"),
            "month labels"
        );
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
