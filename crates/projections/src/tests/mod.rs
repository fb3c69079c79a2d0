//! The projections' tests: given a log, when a query or an admission, then
//! figures and refusals computed by hand from DOMAIN.md.
//!
//! - `support`: event builders (from JSON) and the test [`support::Log`];
//! - `supported_persons`: R1.3–R1.5; `indicators`: R2; `corrections`: the
//!   bitemporal rules of DESIGN.md "Time: two axes"; `admit`: the refusals;
//! - `properties`: correction equivalence, incremental = replay, monotone in `as_of`;
//! - `timesheets`: R3.1, R3.2, R3.7 figures and the manager's FTE; `budget`:
//!   R4 eligibility, budget, rounding and expense findings; `findings`: R3.3–R3.6,
//!   R1.2 and corrected breaches (docs/COMPLIANCE.md).

mod admit;
mod bench;
mod budget;
mod corrections;
mod derived;
mod findings;
mod indicators;
mod properties;
mod reference;
mod support;
mod supported_persons;
mod timesheets;
