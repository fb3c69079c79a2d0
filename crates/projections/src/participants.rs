//! Participants' support hours and the supported-person rule (DOMAIN.md R1.3–R1.5).

use grantledger_domain::events::{Gender, ParticipantRegistered};
use grantledger_domain::{Date, Event, Hours};
use serde::Serialize;
use uuid::Uuid;

use crate::Ledger;

/// One dated contribution to a participant's support hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SupportEntry {
    /// Valid date: the session's date (attendance) or the internship's last day.
    pub date: Date,
    /// Hours counted: attended hours capped at the session's hours (R1.4).
    pub hours: Hours,
    /// The event that gave them.
    pub seq: u64,
    /// For attendance, the session's event (its date and length decide the entry).
    pub session_seq: Option<u64>,
    /// The first day of the support: the session's date, the internship's
    /// first day (R1.2: support begun before the entry is a finding).
    pub start: Date,
}

impl SupportEntry {
    /// The seqs that decide this entry: the attendance or internship and its session.
    pub(crate) fn seqs(&self) -> impl Iterator<Item = u64> {
        std::iter::once(self.seq).chain(self.session_seq)
    }
}

/// A participant's figures as of a date (`GET /api/v1/participants/{id}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParticipantFigures {
    /// The participant.
    pub participant_id: Uuid,
    /// Support hours with valid date ≤ `as_of` (attendance + internships), R1.4.
    pub hours: Hours,
    /// Whether they are a supported person as of the date (R1.3, R1.5).
    pub supported: bool,
    /// The date their running total first exceeded the threshold, if it is ≤ `as_of`.
    pub supported_on: Option<Date>,
    /// Gender (R1.1).
    pub gender: Gender,
    /// Entry date.
    pub entry_date: Date,
    /// Exit date, if exited by `as_of`.
    pub exit_date: Option<Date>,
    /// Seqs of the events behind `hours` (attendance and its session, or an
    /// internship), in valid-date order, each followed by the seqs of the
    /// corrections that replaced its payload.
    pub evidence: Vec<u64>,
}

/// Every support entry's hours, summed saturating (as [`Ledger::crossing_date`] sums them).
fn total_hours(entries: &[SupportEntry]) -> Hours {
    entries
        .iter()
        .fold(Hours::ZERO, |t, e| t.saturating_add(e.hours))
}

impl Ledger {
    /// The participant's registration, if live (decoded: the ledger keeps
    /// registrations encoded).
    pub fn registration(&self, id: &Uuid) -> Option<Box<ParticipantRegistered>> {
        match self
            .ix
            .participants
            .get(id)
            .and_then(|s| self.event_owned(*s))
        {
            Some(Event::ParticipantRegistered(p)) => Some(p),
            _ => None,
        }
    }

    /// Every support entry of a participant, sorted by (date, seq). Attendance
    /// at a session that is not live has no valid date and gives nothing.
    pub(crate) fn support_entries(&self, id: &Uuid) -> Vec<SupportEntry> {
        let mut out = Vec::new();
        for seq in self
            .ix
            .attendance_by_participant
            .get(id)
            .into_iter()
            .flatten()
        {
            if let Some(Event::AttendanceRecorded(a)) = self.event(seq).as_deref() {
                // One lookup of the session id (a String key) serves both
                // the session's event and its seq.
                let session_seq = self.ix.sessions.get(a.session_id.as_str()).copied();
                if let Some(Event::SessionHeld(session)) = session_seq.and_then(|s| self.decoded(s))
                {
                    out.push(SupportEntry {
                        date: session.date,
                        hours: a.hours.min(session.hours),
                        seq,
                        session_seq,
                        start: session.date,
                    });
                }
            }
        }
        for seq in self
            .ix
            .internships_by_participant
            .get(id)
            .into_iter()
            .flatten()
        {
            if let Some(Event::InternshipCompleted(i)) = self.event(seq).as_deref() {
                out.push(SupportEntry {
                    date: i.end,
                    hours: i.hours,
                    seq,
                    session_seq: None,
                    start: i.start,
                });
            }
        }
        out.sort();
        out
    }

    /// The date a participant became a supported person: the valid date on
    /// which the running total of support hours first exceeds the threshold
    /// strictly (R1.3 "more than 40", R1.5). All hours of one date count together.
    pub(crate) fn crossing_date(&self, entries: &[SupportEntry]) -> Option<Date> {
        let threshold = self.project()?.support_threshold_hours;
        let mut total = Hours::ZERO;
        entries.iter().enumerate().find_map(|(i, e)| {
            total = total.saturating_add(e.hours);
            let last_of_date = entries.get(i + 1).is_none_or(|n| n.date != e.date);
            (last_of_date && total > threshold).then_some(e.date)
        })
    }

    /// A participant's hours and supported status as of `as_of` (inclusive);
    /// `None` if no such participant is registered in this prefix.
    pub fn participant(&self, id: &Uuid, as_of: Date) -> Option<ParticipantFigures> {
        let reg = self.registration(id)?;
        let entries = self.support_entries(id);
        let crossing = self.crossing_date(&entries).filter(|d| *d <= as_of);
        let upto: Vec<&SupportEntry> = entries.iter().filter(|e| e.date <= as_of).collect();
        let exit_date = match self
            .ix
            .exits
            .get(id)
            .and_then(|s| self.event(*s))
            .as_deref()
        {
            Some(Event::ParticipantExited(x)) if x.exit_date <= as_of => Some(x.exit_date),
            _ => None,
        };
        Some(ParticipantFigures {
            participant_id: *id,
            hours: upto.iter().map(|e| e.hours).sum(),
            supported: crossing.is_some(),
            supported_on: crossing,
            gender: reg.gender,
            entry_date: reg.entry_date,
            exit_date,
            evidence: upto
                .iter()
                .flat_map(|e| e.seqs())
                .flat_map(|s| std::iter::once(s).chain(self.corrected_by(s)))
                .collect(),
        })
    }

    /// The valid dates (last days) of a participant's live internships.
    fn internship_dates(&self, id: &Uuid) -> Vec<Date> {
        self.ix
            .internships_by_participant
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|s| self.event(s).as_deref().and_then(Event::valid_date))
            .collect()
    }

    /// What a participant adds to the counts: the crossing date and gender
    /// when registered and over the threshold (R1.3–R1.5), the valid dates of
    /// the live internships, and every support hour counted
    /// ([`Ledger::person_state`] without the evidence and findings).
    pub(crate) fn person_counts(&self, id: &Uuid) -> (Option<(Date, Gender)>, Vec<Date>, Hours) {
        let internships = self.internship_dates(id);
        let entries = self.support_entries(id);
        let hours = total_hours(&entries);
        let supported = self.registration(id).and_then(|reg| {
            self.ix.participants.get(id)?;
            let on = self.crossing_date(&entries)?;
            Some((on, reg.gender))
        });
        (supported, internships, hours)
    }

    /// A participant's derived state: crossing date and gender (when
    /// registered and over the threshold) with the evidence up to the
    /// crossing, internship dates and findings (R1.2); and every support
    /// hour counted.
    pub(crate) fn person_state(&self, id: &Uuid) -> (crate::derived::Person, Hours) {
        let mut out = crate::derived::Person {
            internships: self.internship_dates(id).into_boxed_slice(),
            ..Default::default()
        };
        let entries = self.support_entries(id);
        let hours = total_hours(&entries);
        let (Some(reg), Some(&reg_seq)) = (self.registration(id), self.ix.participants.get(id))
        else {
            return (out, hours);
        };
        if let Some(on) = self.crossing_date(&entries) {
            out.supported = Some((on, reg.gender));
            // one allocation of the exact size: kept for every supported
            // person (and each older version in a snapshot), where pushes
            // would leave up to half of it unused
            let upto = entries.iter().filter(|e| e.date <= on);
            let mut evidence =
                Vec::with_capacity(1 + upto.clone().map(|e| e.seqs().count()).sum::<usize>());
            evidence.push(reg_seq);
            evidence.extend(upto.flat_map(|e| e.seqs()));
            out.evidence = evidence.into_boxed_slice();
        }
        out.findings = self
            .participant_findings(id, (reg_seq, reg.entry_date), &entries)
            .into_iter()
            .map(std::sync::Arc::new)
            .collect();
        (out, hours)
    }

    /// The seq of a participant's registration, if registered in this prefix.
    pub fn seq_of_participant(&self, id: &Uuid) -> Option<u64> {
        self.ix.participants.get(id).copied()
    }

    /// Whether the participant's personal data is erased in this prefix (a
    /// live `personal_data_erased`, R6).
    pub fn personal_data_erased(&self, id: &Uuid) -> bool {
        self.ix.erased.contains_key(id)
    }

    /// Ids of the participants whose personal data is erased in this prefix.
    pub fn erased_participants(&self) -> impl Iterator<Item = &Uuid> {
        self.ix.erased.keys()
    }

    /// Ids of every registered participant in this prefix, in id order.
    pub fn participant_ids(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.ix.participants.keys().collect();
        ids.sort_unstable();
        ids
    }
}
