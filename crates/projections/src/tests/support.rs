//! Builders for the tests: events made from their JSON (`Event::from_json`,
//! checked with `validate`), and a [`Log`] that wraps them in envelopes with
//! a gap-free `seq` from 1 and a `recorded_at` one minute apart.

use grantledger_domain::{Czk, Date, Envelope, Event, Hours, Rejection, RejectionKind};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{replay, Figure, Finding, IndicatorValue, Ledger, Severity};

/// Indicator codes of [`project_defined`], one per measure.
pub(crate) const SUPPORTED: &str = "6 00 00";
pub(crate) const COURSE_TYPES: &str = "P-KURZ-DRUH";
pub(crate) const COURSE_RUNS: &str = "P-KURZ-BEH";
pub(crate) const MUNICIPALITIES: &str = "P-SEM-OBCE";
pub(crate) const SEMINARS_WORKSHOPS: &str = "P-SEM-WS";
pub(crate) const CONFERENCES: &str = "P-KONF";
pub(crate) const INTERNSHIPS: &str = "P-STAZ";
pub(crate) const MANAGER_FTE: &str = "P-MAN-FTE";

/// The municipalities the `P-SEM-OBCE` indicator lists.
pub(crate) const LISTED: [&str; 3] = ["Ostrava", "Opava", "Karviná"];

/// The organisation every test participant works for.
pub(crate) const ORG: &str = "ORG-1";

/// A civil date from `YYYY-MM-DD` (test literals only).
pub(crate) fn d(s: &str) -> Date {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test date {s}: {e}"))
}

/// The event of `kind` with `data`, parsed and validated as the server would.
pub(crate) fn ev(kind: &str, data: Value) -> Event {
    let e = Event::from_json(kind, &data).unwrap_or_else(|r| panic!("{kind} does not parse: {r}"));
    e.validate()
        .unwrap_or_else(|r| panic!("{kind} is not valid: {r}"));
    e
}

/// Participant number `n`'s id.
pub(crate) fn person(n: u128) -> Uuid {
    Uuid::from_u128(0x0191_e0a0_0000_7000_8000_0000_0000_0000 + n)
}

/// A project over 2016-10-01..=2018-09-30 with support threshold "40" and one
/// indicator per measure (targets: 2 persons, 1 course type, 2 runs, 2
/// municipalities, 2 seminars+workshops, 1 conference, 1 internship, 0.6 FTE).
pub(crate) fn project_defined() -> Event {
    project_with_threshold("40")
}

/// [`project_defined`] with another support threshold (hours, decimal text).
pub(crate) fn project_with_threshold(threshold: &str) -> Event {
    let ind = |code: &str, target: &str, measure: &str| json!({"code": code, "name": format!("indicator {code}"), "unit": "count", "target": target, "measure": measure});
    let mut fte = ind(MANAGER_FTE, "0.6", "staff_fte");
    fte["role"] = json!("project_manager");
    fte["unit"] = json!("FTE");
    let mut towns = ind(MUNICIPALITIES, "2", "municipalities_reached");
    towns["municipalities"] = json!(LISTED);
    ev(
        "project_defined",
        json!({
            "project_id": "CZ.03.2.63/0.0/0.0/99_041/0002223",
            "name": "Test project",
            "beneficiary": {"name": "Beneficiary z. s.", "ico": "04682017"},
            "period": {"start": "2016-10-01", "end": "2018-09-30"},
            "timezone": "Europe/Prague",
            "support_threshold_hours": threshold,
            "indicators": [
                ind(SUPPORTED, "2", "supported_persons"),
                ind(COURSE_TYPES, "1", "course_types_held"),
                ind(COURSE_RUNS, "2", "course_runs_held"),
                towns,
                ind(SEMINARS_WORKSHOPS, "2", "seminars_and_workshops_held"),
                ind(CONFERENCES, "1", "conferences_held"),
                ind(INTERNSHIPS, "1", "internships_completed"),
                fte,
            ],
            "budget_lines": [{"code": "1.1", "name": "Staff", "amount": "100000.00", "personnel": true}],
            "indirect_cost_rate_pct": "25",
            "monitoring_periods": [
                {"no": 1, "start": "2016-10-01", "end": "2017-09-30"},
                {"no": 2, "start": "2017-10-01", "end": "2018-09-30", "final": true}
            ]
        }),
    )
}

/// `organization_joined` of organisation `id`.
pub(crate) fn organization(id: &str) -> Event {
    ev(
        "organization_joined",
        json!({"organization_id": id, "name": format!("Member {id}"), "ico": "25379631",
               "legal_form": "s.r.o.", "joined_on": "2016-10-01"}),
    )
}

/// `course_defined` with `planned` hours.
pub(crate) fn course(id: &str, planned: &str) -> Event {
    ev(
        "course_defined",
        json!({"course_id": id, "title": format!("Course {id}"), "topic": "management", "planned_hours": planned}),
    )
}

/// `course_run_scheduled` of `course` over `start..=end`.
pub(crate) fn run(id: &str, course: &str, start: &str, end: &str) -> Event {
    ev(
        "course_run_scheduled",
        json!({"run_id": id, "course_id": course, "start": start, "end": end, "venue": "Ostrava", "lecturer": "L. Lektor"}),
    )
}

/// `session_held` of `run` on `date` lasting `hours`.
pub(crate) fn session(id: &str, run: &str, date: &str, hours: &str) -> Event {
    ev(
        "session_held",
        json!({"session_id": id, "run_id": run, "date": date, "hours": hours}),
    )
}

/// `seminar_held` in `town` on `date`.
pub(crate) fn seminar(id: &str, town: &str, date: &str) -> Event {
    ev(
        "seminar_held",
        json!({"seminar_id": id, "municipality": town, "date": date, "hours": "4", "attendees": 12}),
    )
}

/// `workshop_held` on `date`.
pub(crate) fn workshop(id: &str, date: &str) -> Event {
    ev(
        "workshop_held",
        json!({"workshop_id": id, "date": date, "venue": "Ostrava", "hours": "3", "attendees": 8}),
    )
}

/// `conference_held` over `start..=end`.
pub(crate) fn conference(id: &str, start: &str, end: &str) -> Event {
    ev(
        "conference_held",
        json!({"conference_id": id, "start": start, "end": end, "venue": "Ostrava", "attendees": 90,
               "foreign_experts": [{"country": "SK"}]}),
    )
}

/// `participant_registered` of `id` (`"female"` / `"male"`), entering on 2016-10-03, working for [`ORG`].
pub(crate) fn registered(id: Uuid, gender: &str) -> Event {
    ev(
        "participant_registered",
        json!({"participant_id": id, "given_name": "Test", "family_name": "Person", "birth_date": "1980-02-29",
               "gender": gender, "education_isced": 3, "labour_status": "employed",
               "organization_id": ORG, "entry_date": "2016-10-03"}),
    )
}

/// `attendance_recorded`: `participant` attended `session` for `hours`.
pub(crate) fn attendance(participant: Uuid, session: &str, hours: &str) -> Event {
    ev(
        "attendance_recorded",
        json!({"participant_id": participant, "session_id": session, "hours": hours,
               "sheet_ref": format!("AL-{session}")}),
    )
}

/// `internship_completed` over `start..=end` with `hours`.
pub(crate) fn internship(participant: Uuid, start: &str, end: &str, hours: &str) -> Event {
    ev(
        "internship_completed",
        json!({"participant_id": participant, "host": {"name": "Host s.r.o.", "ico": "25379631"},
               "start": start, "end": end, "hours": hours}),
    )
}

/// `staff_contracted`: an employment contract of `fte` over `start..=end`.
pub(crate) fn staff(id: &str, role: &str, fte: &str, start: &str, end: &str) -> Event {
    ev(
        "staff_contracted",
        json!({"staff_id": id, "name": format!("Staff {id}"), "role": role, "contract": "employment",
               "fte": fte, "monthly_salary": "30000", "start": start, "end": end}),
    )
}

/// `staff_contract_amended`: `fte` from `from` on.
pub(crate) fn amended(id: &str, from: &str, fte: &str) -> Event {
    ev(
        "staff_contract_amended",
        json!({"staff_id": id, "effective_from": from, "fte": fte}),
    )
}

/// `timesheet_filed` of `id` for `month` (`YYYY-MM`) with `hours` of project work.
pub(crate) fn timesheet(id: &str, month: &str, hours: &str) -> Event {
    ev(
        "timesheet_filed",
        json!({"staff_id": id, "month": month,
               "entries": [{"activity": "KA1", "description": "management", "hours": hours}]}),
    )
}

/// `event_corrected`: `target`'s payload becomes `replacement`.
pub(crate) fn corrected(target: Uuid, replacement: &Event) -> Event {
    let replacement =
        serde_json::to_value(replacement).unwrap_or_else(|e| panic!("event to JSON: {e}"));
    ev(
        "event_corrected",
        json!({"target_event_id": target, "replacement": replacement, "reason": "typo in the sheet"}),
    )
}

/// `event_voided`: `target` is removed.
pub(crate) fn voided(target: Uuid) -> Event {
    ev(
        "event_voided",
        json!({"target_event_id": target, "reason": "entered twice"}),
    )
}

/// A log under test: envelopes with seq 1, 2, … and increasing record time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Log {
    pub envelopes: Vec<Envelope>,
}

impl Log {
    /// An empty log.
    pub fn new() -> Log {
        Log::default()
    }

    /// Given: a log of `events`, each admitted by the prefix before it.
    pub fn given(events: impl IntoIterator<Item = Event>) -> Log {
        let mut log = Log::new();
        for e in events {
            log.push(e);
        }
        log
    }

    /// The seq the next envelope gets.
    pub fn next_seq(&self) -> u64 {
        self.envelopes.len() as u64 + 1
    }

    /// Appends `event` without asking [`Ledger::admit`]; returns its event id.
    pub fn append(&mut self, event: Event) -> Uuid {
        let seq = self.next_seq();
        let id = Uuid::from_u128(0xe000_0000_0000_0000_0000_0000_0000_0000 + u128::from(seq));
        let mut hash = [0u8; 32];
        hash[..8].copy_from_slice(&seq.to_be_bytes());
        // 2016-09-20T08:00:00Z plus one minute per event.
        let recorded_at = Timestamp::from_second(1_474_358_400 + 60 * seq as i64)
            .unwrap_or_else(|e| panic!("record time: {e}"));
        self.envelopes.push(Envelope {
            seq,
            event_id: id,
            stream: event.stream().unwrap_or_else(|| "amendments".to_string()),
            stream_version: 1,
            recorded_at,
            actor: "manager:test".to_string(),
            event,
            hash,
        });
        id
    }

    /// Appends `event` after checking that the current prefix admits it.
    pub fn push(&mut self, event: Event) -> Uuid {
        if let Err(r) = self.when(&event) {
            panic!("given event {} is refused: {r}", event.kind());
        }
        self.append(event)
    }

    /// When: would the current prefix admit `event`?
    pub fn when(&self, event: &Event) -> Result<(), Rejection> {
        self.ledger().admit(event)
    }

    /// The ledger of the whole log.
    pub fn ledger(&self) -> Ledger {
        replay(&self.envelopes)
    }

    /// The ledger of the prefix `seq ≤ at_seq`.
    pub fn ledger_at(&self, at_seq: u64) -> Ledger {
        replay(self.envelopes.iter().take_while(|e| e.seq <= at_seq))
    }
}

/// Then: the result is a refusal (422) at `field` under rule `rule`.
#[track_caller]
pub(crate) fn assert_refused(result: Result<(), Rejection>, field: &str, rule: &str) {
    match result {
        Ok(()) => panic!("expected a refusal at {field} ({rule}), the event was admitted"),
        Err(r) => {
            assert_eq!((r.field.as_str(), r.rule.as_str()), (field, rule), "{r}");
            assert_eq!(r.kind, RejectionKind::Refused, "{r}");
        }
    }
}

/// The indicator `code` of `ledger` as of `as_of`.
#[track_caller]
pub(crate) fn indicator(ledger: &Ledger, code: &str, as_of: Date) -> IndicatorValue {
    ledger
        .indicators(as_of)
        .into_iter()
        .find(|i| i.code == code)
        .unwrap_or_else(|| panic!("no indicator {code}"))
}

/// A counting indicator's value.
#[track_caller]
pub(crate) fn count(ledger: &Ledger, code: &str, as_of: &str) -> u64 {
    match indicator(ledger, code, d(as_of)).value {
        Figure::Count(n) => n,
        other => panic!("{code} is not a count: {other:?}"),
    }
}

/// The manager's FTE (`P-MAN-FTE`) as a decimal.
#[track_caller]
pub(crate) fn manager_fte(ledger: &Ledger, as_of: &str) -> Decimal {
    match indicator(ledger, MANAGER_FTE, d(as_of)).value {
        Figure::Decimal(x) => x,
        other => panic!("{MANAGER_FTE} is not a decimal: {other:?}"),
    }
}

/// An exact decimal from text (test literals only).
pub(crate) fn dec(s: &str) -> Decimal {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test decimal {s}: {e}"))
}

// ---------------------------------------------------------------------------
// Builders for the compliance tests (timesheets, budget, findings).
// ---------------------------------------------------------------------------

/// Sets every key of `patch` on the object `base`; a `null` in `patch` removes the key.
pub(crate) fn merge(mut base: Value, patch: Value) -> Value {
    if let (Some(b), Value::Object(p)) = (base.as_object_mut(), patch) {
        for (k, v) in p {
            if v.is_null() {
                b.remove(&k);
            } else {
                b.insert(k, v);
            }
        }
    }
    base
}

/// [`project_defined`] with top-level keys replaced by `patch` (e.g.
/// `budget_lines`, `period`, `monitoring_periods`).
pub(crate) fn project_defined_with(patch: Value) -> Event {
    let base = serde_json::to_value(project_defined())
        .unwrap_or_else(|e| panic!("project to JSON: {e}"))["data"]
        .clone();
    ev("project_defined", merge(base, patch))
}

/// `staff_contracted` of `id`: an employment contract at 1.0 FTE over the
/// whole project, `monthly_salary` 30000, name `Staff {id}`, role `lecturer`,
/// with the keys of `patch` replaced (`null` removes one).
pub(crate) fn staff_with(id: &str, patch: Value) -> Event {
    let base = json!({"staff_id": id, "name": format!("Staff {id}"), "role": "lecturer",
                      "contract": "employment", "fte": "1", "monthly_salary": "30000",
                      "start": "2016-10-01", "end": "2018-09-30"});
    ev("staff_contracted", merge(base, patch))
}

/// `staff_contracted`: a DPP of `id` for person `name` at `hourly_rate` over `start..=end`.
pub(crate) fn dpp(id: &str, name: &str, hourly_rate: &str, start: &str, end: &str) -> Event {
    staff_with(
        id,
        json!({"name": name, "contract": "dpp", "fte": null, "monthly_salary": null,
               "hourly_rate": hourly_rate, "start": start, "end": end}),
    )
}

/// `staff_contract_amended` of `id` from `from` on with the fields of `changes`.
pub(crate) fn amended_with(id: &str, from: &str, changes: Value) -> Event {
    ev(
        "staff_contract_amended",
        merge(json!({"staff_id": id, "effective_from": from}), changes),
    )
}

/// One timesheet entry of `hours` on activity KA1, dated `date` if given.
pub(crate) fn entry(hours: &str, date: Option<&str>) -> Value {
    let mut e = json!({"activity": "KA1", "description": "work", "hours": hours});
    if let Some(day) = date {
        e["date"] = json!(day);
    }
    e
}

/// `timesheet_filed` of `id` for `month` with `entries` (see [`entry`]),
/// `non_project` and `indirect` hours.
pub(crate) fn sheet(
    id: &str,
    month: &str,
    entries: Vec<Value>,
    non_project: &str,
    indirect: &str,
) -> Event {
    ev(
        "timesheet_filed",
        json!({"staff_id": id, "month": month, "entries": entries,
               "non_project_hours": non_project, "indirect_hours": indirect}),
    )
}

/// Expense number `n`'s id.
pub(crate) fn expense_id(n: u128) -> Uuid {
    Uuid::from_u128(0x0191_e0a0_0000_7000_9000_0000_0000_0000 + n)
}

/// The supplier IČO of [`expense`] unless patched.
pub(crate) const SUPPLIER: &str = "25379631";

/// `expense_recorded` number `n`: document `FV-{n}` of supplier [`SUPPLIER`],
/// line `2.1`, 1000.00 CZK, incurred 2017-03-10 and paid 2017-03-20, with the
/// keys of `patch` replaced (`null` removes one, e.g. `paid_on`).
pub(crate) fn expense(n: u128, patch: Value) -> Event {
    let base = json!({"expense_id": expense_id(n), "document_no": format!("FV-{n}"),
                      "supplier": {"name": "Supplier s.r.o.", "ico": SUPPLIER},
                      "budget_line": "2.1", "activity": "KA1", "amount": "1000.00", "vat": "0.00",
                      "taxable_supply_date": "2017-03-10", "paid_on": "2017-03-20",
                      "description": "services"});
    ev("expense_recorded", merge(base, patch))
}

/// `expense_paid`: expense `n` paid on `on`.
pub(crate) fn paid(n: u128, on: &str) -> Event {
    ev(
        "expense_paid",
        json!({"expense_id": expense_id(n), "paid_on": on}),
    )
}

/// `participant_exited`: `participant` left on `on`, having completed.
pub(crate) fn exited(participant: Uuid, on: &str) -> Event {
    ev(
        "participant_exited",
        json!({"participant_id": participant, "exit_date": on, "exit_status": "completed"}),
    )
}

/// Then: the findings of `rule` listed as of `as_of`, as (severity, subject, date).
#[track_caller]
pub(crate) fn findings_of(
    ledger: &Ledger,
    rule: &str,
    as_of: &str,
) -> Vec<(Severity, String, Date)> {
    ledger
        .findings(d(as_of))
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.severity, f.subject, f.date))
        .collect()
}

/// The one finding of `rule` about `subject` in the whole prefix.
#[track_caller]
pub(crate) fn the_finding(ledger: &Ledger, rule: &str, subject: &str) -> Finding {
    let mut all: Vec<Finding> = ledger
        .all_findings()
        .into_iter()
        .filter(|f| f.rule == rule && f.subject == subject)
        .collect();
    assert_eq!(all.len(), 1, "findings of {rule} about {subject}: {all:?}");
    all.remove(0)
}

/// An error finding of `rule` about `subject` on `date`, as [`findings_of`] lists it.
pub(crate) fn error(subject: &str, date: &str) -> (Severity, String, Date) {
    (Severity::Error, subject.to_string(), d(date))
}

/// A warning finding about `subject` on `date`, as [`findings_of`] lists it.
pub(crate) fn warning(subject: &str, date: &str) -> (Severity, String, Date) {
    (Severity::Warning, subject.to_string(), d(date))
}

/// Exact CZK from text (test literals only).
pub(crate) fn czk(s: &str) -> Czk {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test amount {s}: {e}"))
}

/// Exact hours from text (test literals only).
pub(crate) fn hours(s: &str) -> Hours {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test hours {s}: {e}"))
}
