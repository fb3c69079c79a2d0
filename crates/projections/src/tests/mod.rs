//! The projections' tests: given a log, when a query or an admission, then
//! figures and refusals computed by hand from DOMAIN.md.
//!
//! - `support`: event builders (from JSON) and the test [`support::Log`];
//! - `supported_persons`: R1.3–R1.5; `indicators`: R2; `corrections`: the
//!   bitemporal rules of DESIGN.md "Time: two axes"; `admit`: the refusals;
//! - `properties`: correction equivalence, incremental = replay, monotone in `as_of`.

mod admit;
mod corrections;
mod indicators;
mod properties;
mod support;
mod supported_persons;
