//! The payloads of every event kind of EVENTS.md, one file per area.
//!
//! Each payload is a plain struct with the JSON field names of EVENTS.md,
//! unknown fields refused, and a [`crate::Validate`] impl for its stateless
//! rules. Dates are civil dates of the project calendar (`YYYY-MM-DD`), ranges
//! inclusive of both ends.

pub mod money;
pub mod participants;
pub mod project;
pub mod reporting;
pub mod staff;
pub mod training;

pub use money::*;
pub use participants::*;
pub use project::*;
pub use reporting::*;
pub use staff::*;
pub use training::*;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::validate::{check_text, Validate};
use crate::{Ico, Rejection};

/// A legal person named with its IČO: a beneficiary, supplier or internship host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Registered name.
    pub name: String,
    /// IČO, 8 digits.
    pub ico: Ico,
}

impl Party {
    pub(crate) fn check(&self, field: &str) -> Result<(), Rejection> {
        check_text(&self.name, &format!("{field}.name"), 300)
    }
}

impl Validate for Party {
    fn validate(&self) -> Result<(), Rejection> {
        self.check("")
    }
}
