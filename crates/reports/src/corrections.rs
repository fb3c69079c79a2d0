//! The corrections report (DOMAIN.md R5.4): the report as submitted beside
//! the report now, every changed figure with its old and new value and the
//! events recorded since the submission that changed it.

use std::collections::{BTreeMap, BTreeSet};

use grantledger_domain::{Date, Event};
use grantledger_projections::Ledger;
use serde::Serialize;
use serde_json::Value;

use crate::manifest::{body_sha256, ReportManifest};
use crate::period::{PeriodReport, ReportError};

/// An event recorded after the submission that changed a figure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CorrectionRef {
    /// Its seq.
    pub seq: u64,
    /// Its event id.
    pub event_id: String,
    /// Its kind (`event_corrected`, `event_voided`, or a late plain event).
    pub kind: String,
    /// When the ledger learned it.
    pub recorded_at: Option<jiff::Timestamp>,
    /// Who recorded it.
    pub actor: Option<String>,
    /// The reason given (corrections and voids).
    pub reason: Option<String>,
    /// The seq of the event it corrects or voids.
    pub target_seq: Option<u64>,
}

/// One changed figure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Report section: `indicators`, `supported_persons`, `expenses`,
    /// `personnel`, `budget`, `budget_summary`, `findings`.
    pub section: String,
    /// The row: indicator code, participant id, expense id, `staff month`,
    /// budget line code, `rule subject`.
    pub key: String,
    /// The field (`cumulative`, `eligible`, …; `row` when the row appeared or
    /// disappeared).
    pub field: String,
    /// As submitted (`null` when the row did not exist).
    pub old: Value,
    /// Now (`null` when the row no longer exists).
    pub new: Value,
    /// The events recorded after the submission behind the change.
    pub events: Vec<CorrectionRef>,
}

/// The corrections report of a submitted period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CorrectionsReport {
    /// Provenance (`at_seq` is the "now" prefix).
    pub manifest: ReportManifest,
    /// The period.
    pub period_no: u32,
    /// The `report_submitted` marker's seq.
    pub report_seq: u64,
    /// Date of submission.
    pub submitted_on: Date,
    /// The prefix the submitted report was built from.
    pub submitted_at_seq: u64,
    /// The signed checkpoint pinned in the marker, if any.
    pub submitted_checkpoint: Option<String>,
    /// Every changed figure.
    pub changes: Vec<Change>,
    /// Every correction and void recorded after the submission, in seq order.
    pub corrections: Vec<CorrectionRef>,
}

#[derive(Serialize)]
struct Body<'a> {
    period_no: u32,
    report_seq: u64,
    submitted_on: Date,
    submitted_at_seq: u64,
    submitted_checkpoint: &'a Option<String>,
    changes: &'a [Change],
    corrections: &'a [CorrectionRef],
}

/// Rows of a section keyed, each as (JSON without `seqs`, seqs).
type Rows = BTreeMap<String, (Value, Vec<u64>)>;

fn rows<T: Serialize>(items: &[T], key: impl Fn(&Value) -> String) -> Rows {
    items
        .iter()
        .filter_map(|i| serde_json::to_value(i).ok())
        .map(|mut v| {
            let seqs: Vec<u64> = v
                .get("seqs")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("seqs");
            }
            (key(&v), (v, seqs))
        })
        .collect()
}

fn text(v: &Value, field: &str) -> String {
    match v.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

impl CorrectionsReport {
    /// Compares period `no`'s report as submitted (built from `then`, the
    /// prefix of the marker's `at_seq`) with the report built from `now`,
    /// both as of `as_of` (default the period's end). `describe` gives the
    /// envelope details (recorded_at, actor) of a seq.
    ///
    /// # Errors
    /// No project or period, or no `report_submitted` for the period in `now`.
    pub fn build(
        then: &Ledger,
        now: &Ledger,
        no: u32,
        as_of: Option<Date>,
        engine_rule_set: &str,
        generator: &str,
        describe: impl Fn(u64) -> (Option<jiff::Timestamp>, Option<String>),
    ) -> Result<CorrectionsReport, ReportError> {
        let (report_seq, marker) = now.report_marker(no).ok_or(ReportError::NotSubmitted(no))?;
        let before = PeriodReport::build(then, no, as_of, None, engine_rule_set, generator)?;
        let after = PeriodReport::build(now, no, as_of, None, engine_rule_set, generator)?;
        let since = then.at_seq();

        let describe_seq = |seq: u64| -> CorrectionRef {
            let (recorded_at, actor) = describe(seq);
            let (kind, reason, target_seq, event_id) = match now.amendment(seq) {
                Some((event, target, id)) => match event {
                    Event::EventCorrected(c) => (
                        "event_corrected".to_string(),
                        Some(c.reason.clone()),
                        target,
                        id,
                    ),
                    Event::EventVoided(v) => (
                        "event_voided".to_string(),
                        Some(v.reason.clone()),
                        target,
                        id,
                    ),
                    other => (other.kind().as_str().to_string(), None, target, id),
                },
                None => (
                    now.event(seq)
                        .map(|e| e.kind().as_str().to_string())
                        .unwrap_or_default(),
                    None,
                    None,
                    now.live(seq)
                        .map(|l| l.event_id.to_string())
                        .unwrap_or_default(),
                ),
            };
            CorrectionRef {
                seq,
                event_id,
                kind,
                recorded_at,
                actor,
                reason,
                target_seq,
            }
        };
        let corrections: Vec<CorrectionRef> = now
            .amendments_after(since)
            .into_iter()
            .map(|(seq, _)| describe_seq(seq))
            .collect();
        // target seq → the amendments (after the submission) that changed it
        let mut by_target: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for (seq, target) in now.amendments_after(since) {
            if let Some(t) = target {
                by_target.entry(t).or_default().push(seq);
            }
        }
        let blame = |seqs_then: &[u64], seqs_now: &[u64]| -> Vec<CorrectionRef> {
            let mut out: BTreeSet<u64> = BTreeSet::new();
            for s in seqs_then.iter().chain(seqs_now) {
                if *s > since {
                    out.insert(*s);
                }
                if let Some(a) = by_target.get(s) {
                    out.extend(a);
                }
            }
            out.into_iter().map(describe_seq).collect()
        };

        let mut changes = Vec::new();
        let mut diff = |section: &str, old: Rows, new: Rows| {
            let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            for k in keys {
                match (old.get(k), new.get(k)) {
                    (Some((o, so)), Some((n, sn))) => {
                        let fields: BTreeSet<&String> = o
                            .as_object()
                            .into_iter()
                            .flat_map(|m| m.keys())
                            .chain(n.as_object().into_iter().flat_map(|m| m.keys()))
                            .collect();
                        for f in fields {
                            let (ov, nv) = (
                                o.get(f).cloned().unwrap_or(Value::Null),
                                n.get(f).cloned().unwrap_or(Value::Null),
                            );
                            if ov != nv {
                                changes.push(Change {
                                    section: section.to_string(),
                                    key: k.clone(),
                                    field: f.clone(),
                                    old: ov,
                                    new: nv,
                                    events: blame(so, sn),
                                });
                            }
                        }
                    }
                    (o, n) => changes.push(Change {
                        section: section.to_string(),
                        key: k.clone(),
                        field: "row".to_string(),
                        old: o.map_or(Value::Null, |x| x.0.clone()),
                        new: n.map_or(Value::Null, |x| x.0.clone()),
                        events: blame(
                            o.map_or(&[][..], |x| &x.1[..]),
                            n.map_or(&[][..], |x| &x.1[..]),
                        ),
                    }),
                }
            }
        };
        diff(
            "indicators",
            rows(&before.indicators, |v| text(v, "code")),
            rows(&after.indicators, |v| text(v, "code")),
        );
        diff(
            "supported_persons",
            rows(&before.supported_persons, |v| text(v, "participant_id")),
            rows(&after.supported_persons, |v| text(v, "participant_id")),
        );
        diff(
            "expenses",
            rows(&before.expenses, |v| text(v, "expense_id")),
            rows(&after.expenses, |v| text(v, "expense_id")),
        );
        let staff_month = |v: &Value| format!("{} {}", text(v, "staff_id"), text(v, "month"));
        diff(
            "personnel",
            rows(&before.personnel, staff_month),
            rows(&after.personnel, staff_month),
        );
        diff(
            "budget",
            rows(&before.budget, |v| text(v, "code")),
            rows(&after.budget, |v| text(v, "code")),
        );
        let finding = |v: &Value| format!("{} {}", text(v, "rule"), text(v, "subject"));
        diff(
            "findings",
            rows(&before.findings, finding),
            rows(&after.findings, finding),
        );
        let summary = |r: &PeriodReport| -> Rows {
            let v = serde_json::to_value(&r.budget_summary).unwrap_or(Value::Null);
            BTreeMap::from([("totals".to_string(), (v, Vec::new()))])
        };
        diff("budget_summary", summary(&before), summary(&after));

        let mut report = CorrectionsReport {
            manifest: ReportManifest {
                report: format!("corrections {no}"),
                ..after.manifest.clone()
            },
            period_no: no,
            report_seq,
            submitted_on: marker.submitted_on,
            submitted_at_seq: marker.at_seq,
            submitted_checkpoint: marker.checkpoint.clone(),
            changes,
            corrections,
        };
        report.manifest.body_sha256 = body_sha256(&Body {
            period_no: report.period_no,
            report_seq: report.report_seq,
            submitted_on: report.submitted_on,
            submitted_at_seq: report.submitted_at_seq,
            submitted_checkpoint: &report.submitted_checkpoint,
            changes: &report.changes,
            corrections: &report.corrections,
        })?;
        Ok(report)
    }
}
