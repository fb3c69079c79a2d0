//! Bitemporal folds over the event log (DESIGN.md "Time", "Projections").
//!
//! A [`Ledger`] is the state of one log prefix (`seq ≤ at_seq`, i.e. "as the
//! project knew it then"), built by [`Projection::apply`] one envelope at a time
//! in `seq` order, with `event_corrected` / `event_voided` taking effect when
//! they are inside the prefix. The state keeps every fact with its valid date,
//! so any `as_of` date (valid time, inclusive) is answered from the same state:
//! [`Ledger::indicators`], [`Ledger::participant`]. [`Ledger::admit`] decides
//! whether a new event may be appended; `apply` never refuses.
//!
//! No I/O: the server feeds envelopes from the store.
#![deny(missing_docs)]

mod admit;
mod budget;
mod derived;
mod findings;
mod history;
mod indicators;
mod intern;
mod ledger;
mod participants;
mod seqs;
mod staff;

#[cfg(test)]
mod tests;

pub use budget::{Budget, BudgetLineFigures, ExpenseStatus, ROUNDING_RULE};
pub use findings::{minimum_wage, Finding, Severity, MINIMUM_WAGE_PER_HOUR};
pub use indicators::{ActualFte, ByGender, Figure, IndicatorValue};
pub use ledger::{Ledger, Live, PreparedFact, StoredIds};
pub use participants::ParticipantFigures;
pub use staff::{Terms, TimesheetFigures};

use grantledger_domain::Envelope;

/// A fold over envelopes in `seq` order.
pub trait Projection {
    /// Folds one envelope in. Never refuses: rules are decided by
    /// [`Ledger::admit`] before an event is stored. Envelopes must come in
    /// increasing `seq` order.
    fn apply(&mut self, envelope: &Envelope);
}

/// Builds a ledger from scratch (replay) over `envelopes` in order.
pub fn replay<'a>(envelopes: impl IntoIterator<Item = &'a Envelope>) -> Ledger {
    let mut ledger = Ledger::default();
    for e in envelopes {
        ledger.apply(e);
    }
    ledger
}
