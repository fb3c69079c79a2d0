//! The domain of grantledger: the event catalogue of EVENTS.md as typed
//! payloads, exact value types and stateless validation. Pure: no I/O.
//!
//! - [`Event`] / [`Kind`]: every event kind, its JSON (`{kind, data}`) and
//!   binary (postcard) forms, stream and valid date.
//! - [`Czk`] (haléře), [`Hours`] (1/100 h), [`Fte`], [`Quantity`]: exact decimals.
//! - [`Rejection`]: why an event is refused, naming field and rule.
#![deny(missing_docs)]

pub mod calendar;
mod envelope;
mod event;
pub mod events;
mod ids;
mod quantity;
pub mod schema;
mod shape;
pub mod upcast;
mod validate;

pub use envelope::Envelope;
pub use event::{DecodeError, EncodeError, Event, Kind};
pub use ids::{parse_uuid, Ico, IdError, Personal, ShortId, YearMonth};
pub use jiff::civil::Date;
pub use quantity::{Czk, Fte, Hours, Quantity, QuantityError};
pub use validate::{Rejection, RejectionKind, Validate, RULE_RANGE, RULE_SCHEMA};
