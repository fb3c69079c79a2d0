//! The manifest every report carries (issue "Audit-ready reports", R5.5).

use grantledger_domain::Date;
use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Where a report comes from: the log prefix and valid date it was built
/// for, the rules applied, the program, and the hash of its body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportManifest {
    /// What report: `period 2`, `corrections 2`.
    pub report: String,
    /// Valid date the figures are for, inclusive.
    pub as_of: Date,
    /// The record-time instant asked for, else the `recorded_at` of the record at `at_seq`.
    pub known_at: Option<Timestamp>,
    /// The log prefix: `seq ≤ at_seq`.
    pub at_seq: u64,
    /// Hex chain hash of the record at `at_seq`.
    pub head_hash: String,
    /// Rule sets applied: the engine's rule set, then every `rule_set_adopted`
    /// in force on `as_of` (R5.5).
    pub rule_sets: Vec<String>,
    /// Generator name and version.
    pub generator: String,
    /// Hex SHA-256 of the report body: the canonical JSON of the report
    /// without its manifest. The same for every format of one report.
    pub body_sha256: String,
}

/// Hex SHA-256 of the canonical JSON of `body` (struct fields in declaration
/// order, maps sorted, no whitespace).
///
/// # Errors
/// The body does not serialise (never for the report types).
pub fn body_sha256<T: Serialize>(body: &T) -> Result<String, serde_json::Error> {
    let bytes = serde_json::to_vec(body)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}
