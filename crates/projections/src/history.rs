//! Bitemporal history of the derived dates (the performance issue: the
//! indicators at any `(as_of, known_at)` without a fold).
//!
//! Every counting indicator (R2) is "how many derived dates are ≤ `as_of`"
//! (crossing dates of supported persons, held dates of runs and courses,
//! dates of activities and internships, first seminar of a municipality).
//! When a ledger tracks its history, each record's change of those dates is
//! kept as steps `(seq, date, ±1)` appended in seq order, so the count known
//! at the prefix `seq ≤ at_seq` is the sum of the steps with `seq ≤ at_seq`
//! and `date ≤ as_of`: one pass over a few tens of thousands of steps, no
//! fold. The staff FTE indicators (R3.7) read contracts, amendments and
//! timesheets, which are few: a sub-ledger of only those events (and of the
//! project definition and their corrections) is kept, with a copy every
//! [`STAFF_MARK_EVERY`] of its records, and folded forward to `at_seq` on a
//! query.
//!
//! Everything is in persistent structures (`imbl`), so a ledger with its
//! history still clones in O(1).

use std::collections::BTreeSet;
use std::sync::Arc;

use grantledger_domain::events::Gender;
use grantledger_domain::{Date, Envelope, Event};

use crate::indicators::ByGender;
use crate::ledger::{Fact, Stamp};
use crate::Ledger;

/// A copy of the staff sub-ledger is kept every this many of its records; a
/// query folds at most this many staff records after the nearest copy.
pub(crate) const STAFF_MARK_EVERY: usize = 64;

/// One change of a count of derived dates: at the record `seq`, one date
/// `on` was added (`delta` +1) or removed (−1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Step {
    seq: u64,
    on: Date,
    delta: i32,
}

/// The steps of one count, in seq order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Series(imbl::Vector<Step>);

impl Series {
    fn push(&mut self, seq: u64, on: Date, delta: i32) {
        self.0.push_back(Step { seq, on, delta });
    }

    /// Records that at `seq` `n` dates `on` were added (`n` < 0: removed).
    pub(crate) fn add(&mut self, seq: u64, on: Date, n: i64) {
        if n != 0 {
            let delta = i32::try_from(n).unwrap_or(if n < 0 { i32::MIN } else { i32::MAX });
            self.push(seq, on, delta);
        }
    }

    /// Records that at `seq` the date `old` became `new` (no step when equal).
    pub(crate) fn change(&mut self, seq: u64, old: Option<Date>, new: Option<Date>) {
        if old == new {
            return;
        }
        if let Some(d) = old {
            self.push(seq, d, -1);
        }
        if let Some(d) = new {
            self.push(seq, d, 1);
        }
    }

    /// Records that at `seq` the multiset of dates `old` became `new`: one
    /// step per date that differs (both are sorted here first).
    pub(crate) fn change_all(&mut self, seq: u64, old: &[Date], new: &[Date]) {
        if old == new {
            return;
        }
        let mut old = old.to_vec();
        let mut new = new.to_vec();
        old.sort_unstable();
        new.sort_unstable();
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            match (old.get(i), new.get(j)) {
                (Some(a), Some(b)) if a == b => {
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a < b => {
                    self.push(seq, *a, -1);
                    i += 1;
                }
                (Some(_), Some(b)) => {
                    self.push(seq, *b, 1);
                    j += 1;
                }
                (Some(a), None) => {
                    self.push(seq, *a, -1);
                    i += 1;
                }
                (None, Some(b)) => {
                    self.push(seq, *b, 1);
                    j += 1;
                }
                (None, None) => break,
            }
        }
    }

    /// How many dates ≤ `as_of` the prefix `seq ≤ at_seq` holds.
    pub(crate) fn upto(&self, as_of: Date, at_seq: u64) -> u64 {
        let n: i64 = self
            .0
            .iter()
            .take_while(|s| s.seq <= at_seq)
            .filter(|s| s.on <= as_of)
            .map(|s| i64::from(s.delta))
            .sum();
        u64::try_from(n).unwrap_or(0)
    }
}

/// The first seminar of each municipality (R2.2), as steps
/// `(seq, municipality, date, ±1)`.
#[derive(Clone, Debug, Default)]
struct Municipalities(imbl::Vector<(u64, Arc<str>, Date, i32)>);

/// The staff sub-ledger at every prefix (R3.7 figures).
#[derive(Clone, Debug, Default)]
struct Staff {
    /// The sub-ledger at the head.
    head: Box<Ledger>,
    /// Every record folded into it, in seq order.
    records: imbl::Vector<StaffRecord>,
    /// (seq, number of records folded) → the sub-ledger then, every
    /// [`STAFF_MARK_EVERY`] records.
    marks: imbl::Vector<(u64, usize, Arc<Ledger>)>,
}

impl Staff {
    /// Whether `env` changes the staff figures: the project definition, a
    /// contract, amendment or timesheet, or a correction or void of one.
    fn wants(&self, env: &Envelope) -> bool {
        match &env.event {
            Event::ProjectDefined(_)
            | Event::StaffContracted(_)
            | Event::StaffContractAmended(_)
            | Event::TimesheetFiled(_) => true,
            Event::EventCorrected(c) => self.head.seq_of(&c.target_event_id).is_some(),
            Event::EventVoided(v) => self.head.seq_of(&v.target_event_id).is_some(),
            _ => false,
        }
    }

    /// Folds `env` in when it concerns the staff; `facts` are the facts of
    /// the ledger that folded it first (its fact is shared, not copied).
    fn apply(&mut self, env: &Envelope, facts: &crate::ledger::Facts) {
        if !self.wants(env) {
            return;
        }
        let stamp = Stamp::of(env);
        let record = match facts.fact(env.seq).map(crate::ledger::FactRef::to_fact) {
            Some(fact) => StaffRecord::Fact(stamp, fact),
            None => StaffRecord::Amendment(stamp, Arc::new(env.event.clone())),
        };
        record.fold_into(&mut self.head);
        self.records.push_back(record);
        if self.records.len().is_multiple_of(STAFF_MARK_EVERY) {
            self.marks
                .push_back((env.seq, self.records.len(), Arc::new((*self.head).clone())));
        }
    }

    /// The sub-ledger of the prefix `seq ≤ at_seq`.
    fn at(&self, at_seq: u64) -> Ledger {
        let i = match self.marks.binary_search_by(|(seq, _, _)| {
            if *seq <= at_seq {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            }
        }) {
            Ok(i) | Err(i) => i,
        };
        let (mut ledger, from) = match i.checked_sub(1).and_then(|i| self.marks.get(i)) {
            Some((_, n, l)) => ((**l).clone(), *n),
            None => (Ledger::default(), 0),
        };
        for record in self.records.iter().skip(from) {
            if record.seq() > at_seq {
                break;
            }
            record.fold_into(&mut ledger);
        }
        ledger
    }
}

/// A record of the staff sub-ledger: a fact, shared with the ledger whose
/// history this is (a correction there copies it first), or a correction
/// or void.
#[derive(Clone, Debug)]
enum StaffRecord {
    Fact(Stamp, Fact),
    Amendment(Stamp, Arc<Event>),
}

impl StaffRecord {
    fn seq(&self) -> u64 {
        match self {
            StaffRecord::Fact(s, _) | StaffRecord::Amendment(s, _) => s.seq,
        }
    }

    fn fold_into(&self, ledger: &mut Ledger) {
        match self {
            StaffRecord::Fact(stamp, fact) => ledger.apply_fact(*stamp, fact.clone()),
            StaffRecord::Amendment(stamp, event) => {
                ledger.apply_record(*stamp, std::borrow::Cow::Borrowed(&**event));
            }
        }
    }
}

/// The history of a ledger's derived dates (see the module docs).
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    supported_female: Series,
    supported_male: Series,
    pub internships: Series,
    pub runs_held: Series,
    pub courses_held: Series,
    pub seminars_and_workshops: Series,
    pub conferences: Series,
    municipalities: Municipalities,
    staff: Staff,
}

impl History {
    /// Records that at `seq` a participant's crossing date (and gender)
    /// became `new`.
    pub(crate) fn supported(
        &mut self,
        seq: u64,
        old: Option<(Date, Gender)>,
        new: Option<(Date, Gender)>,
    ) {
        if old == new {
            return;
        }
        let of = |g: Gender, x: Option<(Date, Gender)>| x.filter(|(_, h)| *h == g).map(|(d, _)| d);
        self.supported_female
            .change(seq, of(Gender::Female, old), of(Gender::Female, new));
        self.supported_male
            .change(seq, of(Gender::Male, old), of(Gender::Male, new));
    }

    /// Records that at `seq` the supported persons crossing on `on` lost
    /// `by` (a rebuild of every count after the project definition changed).
    pub(crate) fn forget_supported(&mut self, seq: u64, on: Date, by: ByGender) {
        self.supported_female.add(seq, on, -(by.female as i64));
        self.supported_male.add(seq, on, -(by.male as i64));
    }

    /// Records that at `seq` municipality `m`'s first seminar date became `new`.
    pub(crate) fn municipality(&mut self, seq: u64, m: &str, old: Option<Date>, new: Option<Date>) {
        if old == new {
            return;
        }
        if let Some(d) = old {
            self.municipalities.0.push_back((seq, m.into(), d, -1));
        }
        if let Some(d) = new {
            self.municipalities.0.push_back((seq, m.into(), d, 1));
        }
    }

    /// Folds a record into the staff sub-ledger when it concerns it;
    /// `facts` are those of the ledger that just folded it.
    pub(crate) fn apply_staff(&mut self, env: &Envelope, facts: &crate::ledger::Facts) {
        self.staff.apply(env, facts);
    }

    /// The staff sub-ledger's fact at `seq`, itself.
    #[cfg(test)]
    pub(crate) fn staff_fact(&self, seq: u64) -> Option<Fact> {
        self.staff
            .head
            .live
            .fact(seq)
            .map(crate::ledger::FactRef::to_fact)
    }

    /// The staff sub-ledger of the prefix `seq ≤ at_seq`: the project
    /// definition, contracts, amendments and timesheets as known then.
    pub(crate) fn staff_at(&self, at_seq: u64) -> Ledger {
        self.staff.at(at_seq)
    }

    /// Supported persons with a crossing date ≤ `as_of` known at `seq ≤ at_seq`.
    pub(crate) fn supported_upto(&self, as_of: Date, at_seq: u64) -> ByGender {
        ByGender {
            female: self.supported_female.upto(as_of, at_seq),
            male: self.supported_male.upto(as_of, at_seq),
        }
    }

    /// Municipalities (among `listed`, if given) whose first seminar is ≤
    /// `as_of`, known at `seq ≤ at_seq`.
    pub(crate) fn municipalities_upto(
        &self,
        listed: Option<&BTreeSet<String>>,
        as_of: Date,
        at_seq: u64,
    ) -> u64 {
        let n: i64 = self
            .municipalities
            .0
            .iter()
            .take_while(|(seq, _, _, _)| *seq <= at_seq)
            .filter(|(_, m, on, _)| *on <= as_of && listed.is_none_or(|l| l.contains(&**m)))
            .map(|(_, _, _, delta)| i64::from(*delta))
            .sum();
        u64::try_from(n).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn a_series_counts_the_dates_known_at_each_prefix() {
        let mut s = Series::default();
        s.change(3, None, Some(d("2017-05-01")));
        s.change(5, None, Some(d("2017-06-01")));
        // seq 8 moves the first date later (a correction)
        s.change(8, Some(d("2017-05-01")), Some(d("2017-07-01")));
        s.change(9, Some(d("2017-06-01")), Some(d("2017-06-01")));
        assert_eq!(s.0.len(), 4, "an unchanged date adds no step");
        assert_eq!(s.upto(d("2017-12-31"), 2), 0);
        assert_eq!(s.upto(d("2017-05-01"), 3), 1);
        assert_eq!(s.upto(d("2017-05-31"), 7), 1);
        assert_eq!(s.upto(d("2017-06-30"), 7), 2);
        assert_eq!(s.upto(d("2017-06-30"), 8), 1);
        assert_eq!(s.upto(d("2017-07-01"), 8), 2);
        assert_eq!(s.upto(d("2016-01-01"), 8), 0);
    }

    #[test]
    fn a_multiset_change_steps_only_the_dates_that_differ() {
        let mut s = Series::default();
        let (a, b, c) = (d("2017-01-01"), d("2017-02-01"), d("2017-03-01"));
        s.change_all(1, &[], &[b, a, a]);
        s.change_all(2, &[a, a, b], &[a, b, c]);
        assert_eq!(s.0.len(), 3 + 2);
        assert_eq!(s.upto(a, 1), 2);
        assert_eq!(s.upto(a, 2), 1);
        assert_eq!(s.upto(c, 2), 3);
    }

    #[test]
    fn municipalities_count_each_name_once() {
        let mut h = History::default();
        h.municipality(1, "brno", None, Some(d("2017-03-01")));
        h.municipality(2, "brno", Some(d("2017-03-01")), Some(d("2017-02-01")));
        h.municipality(2, "zlín", None, Some(d("2017-04-01")));
        h.municipality(3, "zlín", Some(d("2017-04-01")), Some(d("2017-04-01")));
        assert_eq!(
            h.municipalities.0.len(),
            4,
            "an unchanged first date adds no step"
        );
        let listed: BTreeSet<String> = ["zlín".to_string()].into();
        assert_eq!(h.municipalities_upto(None, d("2017-02-15"), 1), 0);
        assert_eq!(h.municipalities_upto(None, d("2017-02-15"), 2), 1);
        assert_eq!(h.municipalities_upto(None, d("2017-12-31"), 2), 2);
        assert_eq!(h.municipalities_upto(Some(&listed), d("2017-12-31"), 2), 1);
        assert_eq!(h.municipalities_upto(Some(&listed), d("2017-12-31"), 1), 0);
    }
}
