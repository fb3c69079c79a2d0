//! The reports as typed tables: one model of sections, headers and cells that
//! the CSV, XLSX and HTML renderers share, so the three show the same rows in
//! the same order with the same headers.
//!
//! A cell keeps its type (money, date, count, …) so each renderer can write it
//! its own way: CSV as plain text (`12100.50`, `2017-01-15`), XLSX as a number
//! or an Excel date with a format, HTML as grouped text.

use grantledger_domain::events::{AgeBand, ContractType};
use grantledger_domain::{Czk, Date, Hours, YearMonth};
use grantledger_projections::Figure;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::{Change, CorrectionRef, CorrectionsReport, PeriodReport, ReportManifest};

/// One typed cell.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Cell {
    /// Nothing (an absent optional value).
    Empty,
    /// Free text.
    Text(String),
    /// An identifier or code (ids, document numbers, staff ids, line codes,
    /// hashes): one token that should never be broken across lines.
    Id(String),
    /// A whole number (counts, seqs).
    Int(u64),
    /// An exact decimal that is not money (FTE, rates, fractional figures).
    Decimal(Decimal),
    /// Hours, exact to 1/100 h.
    Hours(Hours),
    /// CZK, exact to the haléř.
    Money(Czk),
    /// A civil date.
    Date(Date),
    /// A calendar month.
    Month(YearMonth),
    /// An instant (UTC).
    Timestamp(Timestamp),
    /// A rate in percent (`25` for 25 %).
    Percent(Decimal),
    /// Yes or no.
    Bool(bool),
}

impl Cell {
    /// Plain, locale-free text: money with exactly 2 places and no grouping
    /// (`12100.50`), dates ISO (`2017-01-15`), months `2017-04`, instants
    /// RFC 3339 in UTC, decimals without trailing zeros, booleans `yes`/`no`.
    pub(super) fn plain(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) | Cell::Id(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Decimal(d) | Cell::Percent(d) => d.normalize().to_string(),
            Cell::Hours(h) => h.to_string(),
            Cell::Money(m) => m.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Month(m) => m.to_string(),
            Cell::Timestamp(t) => t.to_string(),
            Cell::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        }
    }

    /// [`Cell::plain`] made safe for spreadsheets: a text starting with `=`,
    /// `+`, `-`, `@`, a tab or a carriage return gets a leading `'` so that no
    /// spreadsheet runs it as a formula (CSV injection). Numbers are left alone.
    pub(super) fn spreadsheet_safe(&self) -> String {
        let text = self.plain();
        match self {
            Cell::Text(_) | Cell::Id(_) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                format!("'{text}")
            }
            _ => text,
        }
    }

    /// Whether the cell holds a number (right-aligned in HTML).
    pub(super) fn is_numeric(&self) -> bool {
        matches!(
            self,
            Cell::Int(_) | Cell::Decimal(_) | Cell::Hours(_) | Cell::Money(_) | Cell::Percent(_)
        )
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<Figure> for Cell {
    fn from(f: Figure) -> Cell {
        match f {
            Figure::Count(n) => Cell::Int(n),
            Figure::Decimal(d) => Cell::Decimal(d),
        }
    }
}

impl From<Option<Date>> for Cell {
    fn from(d: Option<Date>) -> Cell {
        d.map_or(Cell::Empty, Cell::Date)
    }
}

/// One table: a title, a header row and data rows of the header's width.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Table {
    /// Title (the CSV title row, the HTML caption).
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Data rows.
    pub rows: Vec<Vec<Cell>>,
    /// A totals row under the data rows (XLSX and HTML show it; CSV leaves
    /// it out so that sums over the data rows stay right).
    pub totals: Option<Vec<Cell>>,
    /// Indexes of rows to highlight (an over-budget line).
    pub flagged: Vec<usize>,
}

impl Table {
    pub(super) fn new(title: &str, headers: &[&str]) -> Table {
        Table {
            title: title.to_string(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            totals: None,
            flagged: Vec::new(),
        }
    }
}

/// A section of a report: one XLSX sheet, one HTML section, one or more CSV
/// blocks (one per table).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Section {
    /// Sheet name (at most 31 characters, Excel's limit).
    pub name: &'static str,
    /// Its tables, first the main one.
    pub tables: Vec<Table>,
}

/// Seqs as `12, 15, 18` (the full lists of the Evidence section).
pub(super) fn seq_list(seqs: &[u64]) -> String {
    seqs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The evidence column of a table: a count and the range of seqs
/// (`12 events (seq 55–1290)`); the full lists go to the Evidence section.
pub(super) fn evidence_summary(seqs: &[u64]) -> Cell {
    match (seqs.iter().min(), seqs.iter().max()) {
        (Some(lo), Some(hi)) if seqs.len() == 1 || lo == hi => {
            Cell::Text(format!("1 event (seq {lo})"))
        }
        (Some(lo), Some(hi)) => Cell::Text(format!("{} events (seq {lo}–{hi})", seqs.len())),
        _ => Cell::Empty,
    }
}

/// The header of the evidence column of every table.
const EVIDENCE: &str = "Evidence";

/// The longest seq list one row of the Evidence section holds, in
/// characters: under the 32 767 characters of a spreadsheet cell (Excel's
/// limit, which the XLSX writer enforces).
pub(super) const EVIDENCE_CELL_CHARS: usize = 32_000;

/// `seqs` cut into consecutive runs whose [`seq_list`] is at most
/// [`EVIDENCE_CELL_CHARS`] characters long (one run when it fits).
pub(super) fn seq_runs(seqs: &[u64]) -> Vec<&[u64]> {
    let mut runs = Vec::new();
    let (mut start, mut len) = (0, 0);
    for (i, s) in seqs.iter().enumerate() {
        // the seq's digits, plus the ", " before it unless it starts the run
        let digits = s.checked_ilog10().unwrap_or(0) as usize + 1;
        let add = if i == start { digits } else { digits + 2 };
        if i > start && len + add > EVIDENCE_CELL_CHARS {
            runs.push(&seqs[start..i]);
            (start, len) = (i, digits);
        } else {
            len += add;
        }
    }
    if start < seqs.len() {
        runs.push(&seqs[start..]);
    }
    runs
}

/// Collects the full seq lists of every row with evidence: the rows of the
/// Evidence section (table, row, count, seqs), in report order. A list longer
/// than a spreadsheet cell holds continues on the next rows, with the same
/// table and row and the count of the seqs on each.
#[derive(Default)]
struct Evidence {
    rows: Vec<Vec<Cell>>,
}

impl Evidence {
    /// Records the seqs of one row and returns its summary cell.
    fn cell(&mut self, table: &str, row: String, seqs: &[u64]) -> Cell {
        for run in seq_runs(seqs) {
            self.rows.push(vec![
                table.into(),
                Cell::Id(row.clone()),
                Cell::Int(run.len() as u64),
                Cell::Text(seq_list(run)),
            ]);
        }
        evidence_summary(seqs)
    }

    fn table(self) -> Table {
        let mut t = Table::new("Evidence", &["Table", "Row", "Events", "Seqs"]);
        t.rows = self.rows;
        t
    }
}

/// `under 25`, `25–54`, `over 54` (R1.2).
pub(super) fn age_band(a: AgeBand) -> &'static str {
    match a {
        AgeBand::Under25 => "under 25",
        AgeBand::From25To54 => "25–54",
        AgeBand::Over54 => "over 54",
    }
}

/// The Czech short name of a contract type: `HPP`, `DPP`, `DPČ`.
pub(super) fn contract(c: ContractType) -> &'static str {
    match c {
        ContractType::Employment => "HPP",
        ContractType::Dpp => "DPP",
        ContractType::Dpc => "DPČ",
    }
}

/// A value of a change as readable text: strings bare, numbers as they
/// are, booleans `yes`/`no`, `null` empty (`(no row)` for a whole row),
/// lists joined by `; `, an object of figures as `female 4, male 3`, nested
/// objects as `period: female 4, male 3; cumulative: …`, and a whole row
/// (field `row`) as `field: value; …` with the field names in words, the
/// row's key and empty fields left out.
pub(super) fn value_text(c: &Change, v: &Value) -> String {
    if c.field == "row" {
        return match v {
            Value::Null => "(no row)".to_string(),
            Value::Object(m) => m
                .iter()
                .filter(|(k, v)| k.as_str() != "seqs" && !is_blank(v) && scalar_text(k, v) != c.key)
                .map(|(k, v)| format!("{}: {}", words(k), nested_text(k, v)))
                .collect::<Vec<_>>()
                .join("; "),
            other => nested_text(&c.field, other),
        };
    }
    nested_text(&c.field, v)
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A value nested in a change: objects of scalars as `k v, k v`, deeper
/// objects as `k: …; k: …`.
fn nested_text(field: &str, v: &Value) -> String {
    match v {
        Value::Object(m) if m.values().all(|v| !v.is_object() && !v.is_array()) => m
            .iter()
            .map(|(k, v)| format!("{} {}", words(k), scalar_text(k, v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{}: {}", words(k), nested_text(k, v)))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Array(a) => a
            .iter()
            .map(|v| nested_text(field, v))
            .collect::<Vec<_>>()
            .join("; "),
        other => scalar_text(field, other),
    }
}

/// A scalar as text; enum values of known fields in the report's words
/// (`from25_to54` → `25–54`, `dpc` → `DPČ`).
fn scalar_text(field: &str, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::String(s) => match (field, s.as_str()) {
            ("age_band", "under25") => age_band(AgeBand::Under25).to_string(),
            ("age_band", "from25_to54") => age_band(AgeBand::From25To54).to_string(),
            ("age_band", "over54") => age_band(AgeBand::Over54).to_string(),
            ("contract", "employment") => contract(ContractType::Employment).to_string(),
            ("contract", "dpp") => contract(ContractType::Dpp).to_string(),
            ("contract", "dpc") => contract(ContractType::Dpc).to_string(),
            ("role", role) => words(role),
            _ => s.clone(),
        },
        other => other.to_string(),
    }
}

/// The manifest as `field, value` rows (field names as in the JSON).
fn manifest_rows(m: &ReportManifest) -> Vec<Vec<Cell>> {
    vec![
        vec!["report".into(), m.report.as_str().into()],
        vec!["as_of".into(), Cell::Date(m.as_of)],
        vec![
            "known_at".into(),
            m.known_at.map_or(Cell::Empty, Cell::Timestamp),
        ],
        vec!["at_seq".into(), Cell::Int(m.at_seq)],
        vec!["head_hash".into(), Cell::Id(m.head_hash.clone())],
        vec!["rule_sets".into(), m.rule_sets.join("; ").into()],
        vec!["generator".into(), m.generator.as_str().into()],
        vec!["body_sha256".into(), Cell::Id(m.body_sha256.clone())],
    ]
}

/// The manifest table of a period report: the manifest, then the project and
/// the period (with the due date, R5.2).
fn period_manifest(r: &PeriodReport) -> Table {
    let mut t = Table::new("Manifest", &["field", "value"]);
    t.rows = manifest_rows(&r.manifest);
    let p = &r.project;
    let q = &r.period;
    t.rows.extend([
        vec!["project_id".into(), Cell::Id(p.project_id.clone())],
        vec!["project_name".into(), p.name.as_str().into()],
        vec!["beneficiary".into(), p.beneficiary.as_str().into()],
        vec![
            "beneficiary_ico".into(),
            Cell::Id(p.beneficiary_ico.clone()),
        ],
        vec!["project_start".into(), Cell::Date(p.start)],
        vec!["project_end".into(), Cell::Date(p.end)],
        vec!["period_no".into(), Cell::Int(u64::from(q.no))],
        vec!["period_start".into(), Cell::Date(q.start)],
        vec!["period_end".into(), Cell::Date(q.end)],
        vec!["period_final".into(), Cell::Bool(q.r#final)],
        vec!["due_date".into(), Cell::Date(q.due_date)],
        vec![
            "due_working_days".into(),
            Cell::Int(u64::from(q.due_working_days)),
        ],
    ]);
    t
}

/// Indicator columns of the series: the report's indicators in order, then
/// any other code the series holds, sorted.
pub(super) fn series_codes(r: &PeriodReport) -> Vec<String> {
    let mut codes: Vec<String> = r.indicators.iter().map(|i| i.code.clone()).collect();
    let mut extra: Vec<String> = r
        .series
        .iter()
        .flat_map(|p| p.values.keys())
        .filter(|c| !codes.contains(c))
        .cloned()
        .collect();
    extra.sort();
    extra.dedup();
    codes.extend(extra);
    codes
}

/// The sections of a monitoring-period report (R5.3), in report order:
/// Manifest, Indicators, Supported persons, Expenses, Personnel, Budget
/// (lines, then totals), Findings, Series, Evidence (the full seq lists
/// behind every row; each table shows a count and a range).
pub(super) fn period_sections(r: &PeriodReport) -> Vec<Section> {
    let mut ev = Evidence::default();
    let mut indicators = Table::new(
        "Indicators",
        &[
            "Code",
            "Indicator",
            "Unit",
            "Target",
            "In period",
            "Cumulative",
            "Target met",
            "Women in period",
            "Men in period",
            "Women cumulative",
            "Men cumulative",
            EVIDENCE,
        ],
    );
    for i in &r.indicators {
        let g = |which: &str, female: bool| -> Cell {
            i.by_gender
                .as_ref()
                .and_then(|m| m.get(which))
                .map_or(Cell::Empty, |b| {
                    Cell::Int(if female { b.female } else { b.male })
                })
        };
        indicators.rows.push(vec![
            Cell::Id(i.code.clone()),
            i.name.as_str().into(),
            i.unit.as_str().into(),
            i.target.into(),
            i.period.into(),
            i.cumulative.into(),
            Cell::Bool(i.met),
            g("period", true),
            g("period", false),
            g("cumulative", true),
            g("cumulative", false),
            ev.cell("Indicators", i.code.clone(), &i.seqs),
        ]);
    }

    let mut persons = Table::new(
        "Supported persons",
        &[
            "Participant",
            "Gender",
            "Age band at entry",
            "Entry date",
            "Exit date",
            "Hours in period",
            "Hours cumulative",
            "Supported on",
            EVIDENCE,
        ],
    );
    for p in &r.supported_persons {
        persons.rows.push(vec![
            Cell::Id(p.participant_id.to_string()),
            p.gender.as_str().into(),
            age_band(p.age_band).into(),
            Cell::Date(p.entry_date),
            p.exit_date.into(),
            Cell::Hours(p.hours_in_period),
            Cell::Hours(p.hours),
            Cell::Date(p.supported_on),
            ev.cell("Supported persons", p.participant_id.to_string(), &p.seqs),
        ]);
    }

    let mut expenses = Table::new(
        "Expenses",
        &[
            "Document no.",
            "Supplier",
            "Supplier IČO",
            "Taxable supply date",
            "Paid on",
            "Amount (CZK)",
            "VAT (CZK)",
            "Budget line",
            "Activity",
            "Eligible",
            "Eligible amount (CZK)",
            "Why not (fully) eligible",
            "Expense id",
            EVIDENCE,
        ],
    );
    let mut sum = [0i64; 3];
    for e in &r.expenses {
        sum[0] += e.amount.halere();
        sum[1] += e.vat.halere();
        sum[2] += e.eligible_amount.halere();
        expenses.rows.push(vec![
            Cell::Id(e.document_no.clone()),
            e.supplier.as_str().into(),
            Cell::Id(e.supplier_ico.clone()),
            Cell::Date(e.taxable_supply_date),
            e.paid_on.into(),
            Cell::Money(e.amount),
            Cell::Money(e.vat),
            Cell::Id(e.budget_line.clone()),
            e.activity.as_str().into(),
            Cell::Bool(e.eligible),
            Cell::Money(e.eligible_amount),
            e.reasons
                .iter()
                .chain(&e.note)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
                .into(),
            Cell::Id(e.expense_id.to_string()),
            ev.cell(
                "Expenses",
                format!("{} {}", e.document_no, e.expense_id),
                &e.seqs,
            ),
        ]);
    }
    if !r.expenses.is_empty() {
        let mut t = vec![Cell::Empty; expenses.headers.len()];
        t[0] = format!("Total ({} documents)", r.expenses.len()).into();
        t[5] = Cell::Money(Czk::from_halere(sum[0]));
        t[6] = Cell::Money(Czk::from_halere(sum[1]));
        t[10] = Cell::Money(Czk::from_halere(sum[2]));
        expenses.totals = Some(t);
    }

    let mut personnel = Table::new(
        "Personnel",
        &[
            "Staff",
            "Name",
            "Role",
            "Contract",
            "Month",
            "Fund at 1.0 FTE (h)",
            "Contracted FTE",
            "Project hours",
            "Actual FTE",
            "Timesheet filed",
            EVIDENCE,
        ],
    );
    for p in &r.personnel {
        personnel.rows.push(vec![
            Cell::Id(p.staff_id.clone()),
            p.name.as_str().into(),
            words(&p.role).into(),
            contract(p.contract).into(),
            Cell::Month(p.month),
            Cell::Hours(p.fund_hours),
            Cell::Decimal(p.contracted_fte),
            Cell::Hours(p.project_hours),
            Cell::Decimal(p.actual_fte),
            Cell::Bool(p.filed),
            ev.cell("Personnel", format!("{} {}", p.staff_id, p.month), &p.seqs),
        ]);
    }

    let mut budget = Table::new(
        "Budget",
        &[
            "Line",
            "Name",
            "Budget (CZK)",
            "Eligible in period (CZK)",
            "Eligible cumulative (CZK)",
            "Over budget (CZK)",
            "Remaining (CZK)",
            EVIDENCE,
        ],
    );
    let mut sum = [0i64; 5];
    for (n, b) in r.budget.iter().enumerate() {
        for (s, m) in sum.iter_mut().zip([
            b.amount,
            b.eligible_in_period,
            b.eligible,
            b.over_budget,
            b.remaining,
        ]) {
            *s += m.halere();
        }
        if b.over_budget.halere() > 0 {
            budget.flagged.push(n);
        }
        budget.rows.push(vec![
            Cell::Id(b.code.clone()),
            b.name.as_str().into(),
            Cell::Money(b.amount),
            Cell::Money(b.eligible_in_period),
            Cell::Money(b.eligible),
            Cell::Money(b.over_budget),
            Cell::Money(b.remaining),
            ev.cell("Budget", b.code.clone(), &b.seqs),
        ]);
    }
    if !r.budget.is_empty() {
        let mut t = vec![Cell::from("Total"), Cell::Empty];
        t.extend(sum.iter().map(|h| Cell::Money(Czk::from_halere(*h))));
        t.push(Cell::Empty);
        budget.totals = Some(t);
    }
    let s = &r.budget_summary;
    let mut summary = Table::new("Budget summary", &["Item", "Value"]);
    summary.rows = vec![
        vec![
            "Direct eligible costs in period (CZK)".into(),
            Cell::Money(s.direct_in_period),
        ],
        vec![
            "Direct eligible costs cumulative (CZK)".into(),
            Cell::Money(s.direct),
        ],
        vec![
            "Indirect cost rate (%)".into(),
            Cell::Percent(s.indirect_rate_pct),
        ],
        vec![
            "Indirect costs cumulative (CZK)".into(),
            Cell::Money(s.indirect),
        ],
        vec![
            "Total eligible cumulative (CZK)".into(),
            Cell::Money(s.total),
        ],
        vec!["Total budget (CZK)".into(), Cell::Money(s.total_budget)],
        vec!["Rounding".into(), s.rounding.as_str().into()],
    ];

    let mut findings = Table::new(
        "Findings",
        &["Date", "Rule", "Severity", "Subject", "Message", EVIDENCE],
    );
    for f in &r.findings {
        findings.rows.push(vec![
            Cell::Date(f.date),
            rule_title(f.rule).into(),
            f.severity.as_str().into(),
            Cell::Id(subject(&f.subject)),
            f.message.as_str().into(),
            ev.cell(
                "Findings",
                format!("{} {} {}", f.date, f.rule, subject(&f.subject)),
                &f.seqs,
            ),
        ]);
    }

    let codes = series_codes(r);
    let mut series = Table::new("Series", &[]);
    series.headers = std::iter::once("Date".to_string())
        .chain(codes.iter().cloned())
        .collect();
    for p in &r.series {
        let mut row = vec![Cell::Date(p.date)];
        row.extend(
            codes
                .iter()
                .map(|c| p.values.get(c).map_or(Cell::Empty, |f| Cell::from(*f))),
        );
        series.rows.push(row);
    }

    vec![
        Section {
            name: "Manifest",
            tables: vec![period_manifest(r)],
        },
        Section {
            name: "Indicators",
            tables: vec![indicators],
        },
        Section {
            name: "Supported persons",
            tables: vec![persons],
        },
        Section {
            name: "Expenses",
            tables: vec![expenses],
        },
        Section {
            name: "Personnel",
            tables: vec![personnel],
        },
        Section {
            name: "Budget",
            tables: vec![budget, summary],
        },
        Section {
            name: "Findings",
            tables: vec![findings],
        },
        Section {
            name: "Series",
            tables: vec![series],
        },
        Section {
            name: "Evidence",
            tables: vec![ev.table()],
        },
    ]
}

/// A DOMAIN.md rule id with a short title: `R4.2 budget line limit`.
pub(super) fn rule_title(rule: &str) -> String {
    let title = match rule {
        "R1.2" => "participant records",
        "R3.2" => "working time",
        "R3.3" => "monthly fund",
        "R3.4" => "DPP limits",
        "R3.5" => "DPČ limit",
        "R3.6" => "minimum wage",
        "R4.1" => "dates and payment",
        "R4.2" => "budget line limit",
        "R4.3" => "double funding",
        "R4.5" => "rounding",
        "R4.6" => "personnel cost evidence",
        _ => return rule.to_string(),
    };
    format!("{rule} {title}")
}

/// A finding's subject with its kind in words: `budget_line 1.1.4.3` →
/// `budget line 1.1.4.3`.
pub(super) fn subject(s: &str) -> String {
    match s.split_once(' ') {
        Some((kind, rest)) => format!("{} {rest}", words(kind)),
        None => s.to_string(),
    }
}

/// A snake_case name in words: `hours_in_period` → `hours in period`, with
/// a few abbreviations kept (`VAT`, `IČO`, `FTE`).
pub(super) fn words(name: &str) -> String {
    match name {
        "vat" => "VAT".to_string(),
        "supplier_ico" => "supplier IČO".to_string(),
        "beneficiary_ico" => "beneficiary IČO".to_string(),
        "document_no" => "document no.".to_string(),
        "contracted_fte" => "contracted FTE".to_string(),
        "actual_fte" => "actual FTE".to_string(),
        "met" => "target met".to_string(),
        "period" => "in period".to_string(),
        other => other.replace('_', " "),
    }
}

/// The headers of the event columns of a change row.
const EVENT_HEADERS: [&str; 6] = [
    "Event seq",
    "Event kind",
    "Recorded at",
    "Actor",
    "Reason",
    "Corrects seq",
];

/// The event columns of a change row or a correction row.
pub(super) fn event_cells(c: &CorrectionRef) -> Vec<Cell> {
    vec![
        Cell::Int(c.seq),
        c.kind.as_str().into(),
        c.recorded_at.map_or(Cell::Empty, Cell::Timestamp),
        c.actor.as_deref().map_or(Cell::Empty, Cell::from),
        c.reason.as_deref().map_or(Cell::Empty, Cell::from),
        c.target_seq.map_or(Cell::Empty, Cell::Int),
    ]
}

/// The change columns of a change row: section, key, field, old, new.
pub(super) fn change_cells(c: &Change) -> Vec<Cell> {
    vec![
        words(&c.section).into(),
        Cell::Id(c.key.clone()),
        words(&c.field).into(),
        value_text(c, &c.old).into(),
        value_text(c, &c.new).into(),
    ]
}

/// The headers of the change columns.
pub(super) const CHANGE_HEADERS: [&str; 5] =
    ["Section", "Key", "Field", "Old (as submitted)", "New (now)"];

/// The sections of a corrections report (R5.4): Manifest (with the
/// submission), Changes (one row per changed figure and event behind it; a
/// change with no recorded event has one row with empty event columns),
/// Corrections.
pub(super) fn corrections_sections(r: &CorrectionsReport) -> Vec<Section> {
    let mut manifest = Table::new("Manifest", &["field", "value"]);
    manifest.rows = manifest_rows(&r.manifest);
    manifest.rows.extend([
        vec!["period_no".into(), Cell::Int(u64::from(r.period_no))],
        vec!["report_seq".into(), Cell::Int(r.report_seq)],
        vec!["submitted_on".into(), Cell::Date(r.submitted_on)],
        vec!["submitted_at_seq".into(), Cell::Int(r.submitted_at_seq)],
        vec![
            "submitted_checkpoint".into(),
            r.submitted_checkpoint
                .as_deref()
                .map_or(Cell::Empty, Cell::from),
        ],
    ]);

    let headers: Vec<&str> = CHANGE_HEADERS
        .iter()
        .chain(EVENT_HEADERS.iter())
        .copied()
        .collect();
    let mut changes = Table::new("Changes", &headers);
    for c in &r.changes {
        if c.events.is_empty() {
            let mut row = change_cells(c);
            row.extend(std::iter::repeat_n(Cell::Empty, EVENT_HEADERS.len()));
            changes.rows.push(row);
        }
        for e in &c.events {
            let mut row = change_cells(c);
            row.extend(event_cells(e));
            changes.rows.push(row);
        }
    }

    let mut corrections = Table::new(
        "Corrections",
        &[
            "Seq",
            "Kind",
            "Recorded at",
            "Actor",
            "Reason",
            "Corrects seq",
            "Event id",
        ],
    );
    for c in &r.corrections {
        let mut row = event_cells(c);
        row.push(Cell::Id(c.event_id.clone()));
        corrections.rows.push(row);
    }

    vec![
        Section {
            name: "Manifest",
            tables: vec![manifest],
        },
        Section {
            name: "Changes",
            tables: vec![changes],
        },
        Section {
            name: "Corrections",
            tables: vec![corrections],
        },
    ]
}
