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
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Decimal(d) => d.normalize().to_string(),
            Cell::Hours(h) => h.to_string(),
            Cell::Money(m) => m.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Month(m) => m.to_string(),
            Cell::Timestamp(t) => t.to_string(),
            Cell::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        }
    }

    /// Whether the cell holds a number (right-aligned in HTML).
    pub(super) fn is_numeric(&self) -> bool {
        matches!(
            self,
            Cell::Int(_) | Cell::Decimal(_) | Cell::Hours(_) | Cell::Money(_)
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
}

impl Table {
    fn new(title: &str, headers: &[&str]) -> Table {
        Table {
            title: title.to_string(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
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

/// Seqs as `12, 15, 18` (evidence columns).
pub(super) fn seqs(seqs: &[u64]) -> Cell {
    Cell::Text(
        seqs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    )
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

/// A JSON value of a change as text: strings bare, `null` empty, anything
/// else compact JSON.
pub(super) fn json_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
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
        vec!["head_hash".into(), m.head_hash.as_str().into()],
        vec!["rule_sets".into(), m.rule_sets.join("; ").into()],
        vec!["generator".into(), m.generator.as_str().into()],
        vec!["body_sha256".into(), m.body_sha256.as_str().into()],
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
        vec!["project_id".into(), p.project_id.as_str().into()],
        vec!["project_name".into(), p.name.as_str().into()],
        vec!["beneficiary".into(), p.beneficiary.as_str().into()],
        vec!["beneficiary_ico".into(), p.beneficiary_ico.as_str().into()],
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
/// (lines, then totals), Findings, Series.
pub(super) fn period_sections(r: &PeriodReport) -> Vec<Section> {
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
            "Evidence seqs",
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
            i.code.as_str().into(),
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
            seqs(&i.seqs),
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
            "Evidence seqs",
        ],
    );
    for p in &r.supported_persons {
        persons.rows.push(vec![
            p.participant_id.to_string().into(),
            p.gender.as_str().into(),
            age_band(p.age_band).into(),
            Cell::Date(p.entry_date),
            p.exit_date.into(),
            Cell::Hours(p.hours_in_period),
            Cell::Hours(p.hours),
            Cell::Date(p.supported_on),
            seqs(&p.seqs),
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
            "Why not eligible",
            "Expense id",
            "Evidence seqs",
        ],
    );
    for e in &r.expenses {
        expenses.rows.push(vec![
            e.document_no.as_str().into(),
            e.supplier.as_str().into(),
            e.supplier_ico.as_str().into(),
            Cell::Date(e.taxable_supply_date),
            e.paid_on.into(),
            Cell::Money(e.amount),
            Cell::Money(e.vat),
            e.budget_line.as_str().into(),
            e.activity.as_str().into(),
            Cell::Bool(e.eligible),
            Cell::Money(e.eligible_amount),
            e.reasons.join("; ").into(),
            e.expense_id.to_string().into(),
            seqs(&e.seqs),
        ]);
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
            "Evidence seqs",
        ],
    );
    for p in &r.personnel {
        personnel.rows.push(vec![
            p.staff_id.as_str().into(),
            p.name.as_str().into(),
            p.role.as_str().into(),
            contract(p.contract).into(),
            Cell::Month(p.month),
            Cell::Hours(p.fund_hours),
            Cell::Decimal(p.contracted_fte),
            Cell::Hours(p.project_hours),
            Cell::Decimal(p.actual_fte),
            Cell::Bool(p.filed),
            seqs(&p.seqs),
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
            "Evidence seqs",
        ],
    );
    for b in &r.budget {
        budget.rows.push(vec![
            b.code.as_str().into(),
            b.name.as_str().into(),
            Cell::Money(b.amount),
            Cell::Money(b.eligible_in_period),
            Cell::Money(b.eligible),
            Cell::Money(b.over_budget),
            Cell::Money(b.remaining),
            seqs(&b.seqs),
        ]);
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
            Cell::Decimal(s.indirect_rate_pct),
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
        &[
            "Date",
            "Rule",
            "Severity",
            "Subject",
            "Message",
            "Evidence seqs",
        ],
    );
    for f in &r.findings {
        findings.rows.push(vec![
            Cell::Date(f.date),
            f.rule.into(),
            f.severity.as_str().into(),
            f.subject.as_str().into(),
            f.message.as_str().into(),
            seqs(&f.seqs),
        ]);
    }

    let codes = series_codes(r);
    let mut series = Table {
        title: "Series".to_string(),
        headers: std::iter::once("Date".to_string())
            .chain(codes.iter().cloned())
            .collect(),
        rows: Vec::new(),
    };
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
    ]
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
        c.section.as_str().into(),
        c.key.as_str().into(),
        c.field.as_str().into(),
        json_text(&c.old).into(),
        json_text(&c.new).into(),
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
        row.push(c.event_id.as_str().into());
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
