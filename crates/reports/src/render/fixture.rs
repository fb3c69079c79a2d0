//! A small synthetic period report and corrections report, built by hand,
//! for the renderers' layout tests. The figures are made up and need not
//! agree with each other: renderer tests assert layout, never figures.

use std::collections::BTreeMap;

use grantledger_domain::events::{AgeBand, ContractType, Gender};
use grantledger_domain::{Czk, Date, Hours, YearMonth};
use grantledger_projections::{ByGender, Figure, Finding, Severity};
use jiff::civil::date;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use crate::{
    BudgetRow, BudgetSummary, Change, CorrectionRef, CorrectionsReport, ExpenseRow, IndicatorRow,
    PeriodInfo, PeriodReport, PersonRow, PersonnelRow, ProjectInfo, ReportManifest, SeriesPoint,
};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn ym(y: i16, m: i8) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

fn manifest(report: &str) -> ReportManifest {
    ReportManifest {
        report: report.to_string(),
        as_of: date(2017, 3, 31),
        known_at: Some("2017-04-20T09:15:00Z".parse().unwrap()),
        at_seq: 118,
        head_hash: "9f2c4e0b7a1d3c5e8f6a0b2d4c6e8a0f1b3d5f7a9c1e3a5b7d9f1a3c5e7a9b1d".to_string(),
        rule_sets: vec![
            "grantledger-rules 1".to_string(),
            "Pravidla pro žadatele a příjemce v. 5".to_string(),
        ],
        generator: "grantledger 0.1.0".to_string(),
        body_sha256: "0d4f3c2b1a09f8e7d6c5b4a392817f6e5d4c3b2a19087f6e5d4c3b2a19087f6e".to_string(),
    }
}

fn series_point(d: Date, persons: u64, fte: &str, conferences: u64) -> SeriesPoint {
    SeriesPoint {
        date: d,
        values: BTreeMap::from([
            ("6 00 00".to_string(), Figure::Count(persons)),
            ("P-KONF".to_string(), Figure::Count(conferences)),
            ("P-MAN-FTE".to_string(), Figure::Decimal(dec(fte))),
        ]),
    }
}

/// Period 1 of a made-up project: three indicators, one supported person,
/// two expenses (one with quotes, commas and Czech letters in the supplier,
/// one with markup in its name and a line break in its reason), one staff
/// month, two budget lines, two findings and six months of series.
pub(super) fn period_report() -> PeriodReport {
    PeriodReport {
        manifest: manifest("period 1"),
        project: ProjectInfo {
            project_id: "CZ.03.1.51/0.0/0.0/15_019/0001234".to_string(),
            name: "Vzdělávání pracovníků členských organizací".to_string(),
            beneficiary: "Sdružení obcí & měst, z. s.".to_string(),
            beneficiary_ico: "12345678".to_string(),
            start: date(2016, 10, 1),
            end: date(2018, 9, 30),
        },
        period: PeriodInfo {
            no: 1,
            start: date(2016, 10, 1),
            end: date(2017, 3, 31),
            r#final: false,
            due_date: date(2017, 5, 3),
            due_working_days: 20,
        },
        indicators: vec![
            IndicatorRow {
                code: "6 00 00".to_string(),
                name: "Celkový počet účastníků".to_string(),
                unit: "persons".to_string(),
                target: Figure::Count(40),
                period: Figure::Count(12),
                cumulative: Figure::Count(12),
                met: false,
                by_gender: Some(BTreeMap::from([
                    ("cumulative".to_string(), ByGender { female: 7, male: 5 }),
                    ("period".to_string(), ByGender { female: 7, male: 5 }),
                ])),
                seqs: vec![12, 31, 40],
            },
            IndicatorRow {
                code: "P-KONF".to_string(),
                name: "International conferences held".to_string(),
                unit: "events".to_string(),
                target: Figure::Count(1),
                period: Figure::Count(0),
                cumulative: Figure::Count(0),
                met: false,
                by_gender: None,
                seqs: vec![],
            },
            IndicatorRow {
                code: "P-MAN-FTE".to_string(),
                name: "Manager's workload (FTE)".to_string(),
                unit: "FTE".to_string(),
                target: Figure::Decimal(dec("0.6")),
                period: Figure::Decimal(dec("0.45")),
                cumulative: Figure::Decimal(dec("0.45")),
                met: false,
                by_gender: None,
                seqs: vec![5, 77],
            },
        ],
        supported_persons: vec![PersonRow {
            participant_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
            gender: Gender::Female,
            age_band: AgeBand::From25To54,
            entry_date: date(2016, 11, 7),
            exit_date: None,
            hours_in_period: Hours::from_units(4_250),
            hours: Hours::from_units(4_250),
            supported_on: date(2017, 2, 14),
            seqs: vec![12, 31, 40],
        }],
        expenses: vec![
            ExpenseRow {
                expense_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0042),
                document_no: "FV-2017-0042".to_string(),
                supplier: "Tiskárna \"Žlutý kůň\", s.r.o.".to_string(),
                supplier_ico: "87654321".to_string(),
                taxable_supply_date: date(2017, 1, 15),
                paid_on: Some(date(2017, 2, 1)),
                amount: Czk::from_halere(1_210_050),
                vat: Czk::from_halere(210_050),
                budget_line: "1.1.3".to_string(),
                activity: "KA2".to_string(),
                eligible: true,
                eligible_amount: Czk::from_halere(1_210_050),
                reasons: vec![],
                note: None,
                seqs: vec![55, 61],
            },
            ExpenseRow {
                expense_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0043),
                document_no: "17/003".to_string(),
                supplier: "Café <Ostrava> & syn".to_string(),
                supplier_ico: "11223344".to_string(),
                taxable_supply_date: date(2017, 3, 2),
                paid_on: None,
                amount: Czk::from_halere(123_456_789),
                vat: Czk::ZERO,
                budget_line: "1.2".to_string(),
                activity: "KA1".to_string(),
                eligible: false,
                eligible_amount: Czk::ZERO,
                reasons: vec![
                    "R4.3: double funding;\nsee the region's grant".to_string(),
                    "R4.1: not yet paid".to_string(),
                ],
                note: None,
                seqs: vec![70],
            },
        ],
        personnel: vec![PersonnelRow {
            staff_id: "ST-01".to_string(),
            name: "Jiří Čermák".to_string(),
            role: "project_manager".to_string(),
            contract: ContractType::Employment,
            month: ym(2017, 3),
            fund_hours: Hours::from_whole(184),
            contracted_fte: dec("0.5"),
            project_hours: Hours::from_units(8_280),
            actual_fte: dec("0.45"),
            filed: true,
            seqs: vec![5, 77],
        }],
        budget: vec![
            BudgetRow {
                code: "1.1.3".to_string(),
                name: "Tisk a propagace".to_string(),
                amount: Czk::from_halere(5_000_000),
                eligible_in_period: Czk::from_halere(1_210_050),
                eligible: Czk::from_halere(1_210_050),
                over_budget: Czk::ZERO,
                remaining: Czk::from_halere(3_789_950),
                seqs: vec![55],
            },
            BudgetRow {
                code: "1.2".to_string(),
                name: "Nájem".to_string(),
                amount: Czk::from_halere(100_000_000),
                eligible_in_period: Czk::ZERO,
                eligible: Czk::ZERO,
                over_budget: Czk::ZERO,
                remaining: Czk::from_halere(100_000_000),
                seqs: vec![],
            },
        ],
        budget_summary: BudgetSummary {
            direct_in_period: Czk::from_halere(1_210_050),
            direct: Czk::from_halere(1_210_050),
            indirect_rate_pct: dec("25"),
            indirect: Czk::from_halere(302_513),
            total: Czk::from_halere(1_512_563),
            total_budget: Czk::from_halere(105_000_000),
            rounding: "half away from zero to the haléř, once, on the total (R4.5)".to_string(),
        },
        findings: vec![
            Finding {
                rule: "R4.3",
                severity: Severity::Error,
                subject: "expense 17/003".to_string(),
                message: "Financed from another source: <region's grant>".to_string(),
                date: date(2017, 3, 2),
                seqs: vec![70],
            },
            Finding {
                rule: "R3.2",
                severity: Severity::Warning,
                subject: "staff ST-01 2017-03".to_string(),
                message: "Project hours above the contracted hours".to_string(),
                date: date(2017, 3, 31),
                seqs: vec![77],
            },
        ],
        series: vec![
            series_point(date(2016, 10, 31), 0, "0.2", 0),
            series_point(date(2016, 11, 30), 0, "0.2", 0),
            series_point(date(2016, 12, 31), 3, "0.3", 0),
            series_point(date(2017, 1, 31), 5, "0.4", 0),
            series_point(date(2017, 2, 28), 9, "0.45", 0),
            series_point(date(2017, 3, 31), 12, "0.45", 0),
        ],
    }
}

/// The corrections report of period 1: a changed indicator with the
/// correction behind it, an expense that appeared (a whole row, old empty),
/// a change no recorded event explains, and the corrections list.
pub(super) fn corrections_report() -> CorrectionsReport {
    let corrected = CorrectionRef {
        seq: 131,
        event_id: "0190a1b2-0000-7000-8000-000000000131".to_string(),
        kind: "event_corrected".to_string(),
        recorded_at: Some("2017-06-02T08:30:00Z".parse().unwrap()),
        actor: Some("účetní <finance>".to_string()),
        reason: Some("Docházka zapsána dvakrát; opraveno podle prezenční listiny".to_string()),
        target_seq: Some(31),
    };
    let late = CorrectionRef {
        seq: 135,
        event_id: "0190a1b2-0000-7000-8000-000000000135".to_string(),
        kind: "expense_recorded".to_string(),
        recorded_at: Some("2017-06-05T12:00:00Z".parse().unwrap()),
        actor: Some("finance".to_string()),
        reason: None,
        target_seq: None,
    };
    CorrectionsReport {
        manifest: ReportManifest {
            at_seq: 140,
            ..manifest("corrections 1")
        },
        period_no: 1,
        report_seq: 120,
        submitted_on: date(2017, 4, 28),
        submitted_at_seq: 119,
        submitted_checkpoint: Some("ckpt-119".to_string()),
        changes: vec![
            Change {
                section: "indicators".to_string(),
                key: "6 00 00".to_string(),
                field: "cumulative".to_string(),
                old: json!(12),
                new: json!(11),
                events: vec![corrected.clone()],
            },
            Change {
                section: "expenses".to_string(),
                key: "0190a1b2-0000-7000-8000-000000000135".to_string(),
                field: "row".to_string(),
                old: serde_json::Value::Null,
                new: json!({"document_no": "FV-17/9", "amount": "500.00"}),
                events: vec![late.clone()],
            },
            Change {
                section: "budget_summary".to_string(),
                key: "totals".to_string(),
                field: "direct".to_string(),
                old: json!("12100.50"),
                new: json!("12600.50"),
                events: vec![corrected.clone(), late.clone()],
            },
            Change {
                section: "findings".to_string(),
                key: "R3.2 staff ST-01 2017-03".to_string(),
                field: "message".to_string(),
                old: json!("old text"),
                new: json!("new text"),
                events: vec![],
            },
        ],
        corrections: vec![corrected, late],
    }
}
