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
    // Hashed as it is written: a 10^6-event period report's canonical JSON
    // is ≈ 25 MB, which need not sit in memory to be hashed.
    let mut hasher = std::io::BufWriter::with_capacity(64 * 1024, Sha256::new());
    serde_json::to_writer(&mut hasher, body)?;
    let hasher = hasher
        .into_inner()
        .map_err(|e| serde_json::Error::io(e.into_error()))?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_hash_is_of_the_compact_json_text() {
        #[derive(Serialize)]
        struct Body {
            a: Vec<u32>,
            b: &'static str,
        }
        let body = Body {
            a: vec![1, 2],
            b: "č",
        };
        // printf '{"a":[1,2],"b":"č"}' | sha256sum
        assert_eq!(
            body_sha256(&body).unwrap(),
            "ed986ce22cdde7e3ca4a221e1a1f0c8531be0843d3bc1722fbb92392186d907e"
        );
        // a body longer than the hasher's buffer hashes as its whole text
        let long = vec!["x".repeat(1000); 200];
        let text = serde_json::to_vec(&long).unwrap();
        assert_eq!(
            body_sha256(&long).unwrap(),
            hex::encode(Sha256::digest(&text))
        );
    }
}
