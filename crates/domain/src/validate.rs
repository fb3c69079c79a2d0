//! Refusals: why an event was not stored, naming the field and the rule.

use serde::Serialize;

/// How a refusal maps onto the HTTP contract (EVENTS.md "Appending").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    /// The input is malformed: bad JSON, unknown or missing field, a value of
    /// the wrong type or outside its range. HTTP 400.
    Malformed,
    /// A domain rule refused a well-formed event (needs the ledger's state). HTTP 422.
    Refused,
    /// The event conflicts with what is stored (version, reused id). HTTP 409.
    Conflict,
}

/// Why an event was refused: the field (a JSON path such as `data.hours`), the
/// rule (a DOMAIN.md id such as `R1.4`, a ledger rule `G…` from docs/RULES.md,
/// or `schema` / `range` for malformed input) and a message a manager understands.
///
/// Displayed as `field: message (rule r)`, or `message (rule r)` when no field
/// is named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}{message} (rule {rule})", if field.is_empty() { String::new() } else { format!("{field}: ") })]
pub struct Rejection {
    /// 400, 422 or 409.
    pub kind: RejectionKind,
    /// JSON path of the offending field, relative to the event (`data.hours`);
    /// empty when the event as a whole is refused.
    pub field: String,
    /// The rule's id.
    pub rule: String,
    /// What is wrong, in words.
    pub message: String,
}

impl Rejection {
    /// A malformed field (400).
    pub fn malformed(field: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        Rejection {
            kind: RejectionKind::Malformed,
            field: field.into(),
            rule: rule.to_string(),
            message: message.into(),
        }
    }

    /// A domain rule refused the event (422).
    pub fn refused(field: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        Rejection {
            kind: RejectionKind::Refused,
            field: field.into(),
            rule: rule.to_string(),
            message: message.into(),
        }
    }

    /// The event conflicts with the stored log (409).
    pub fn conflict(field: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        Rejection {
            kind: RejectionKind::Conflict,
            field: field.into(),
            rule: rule.to_string(),
            message: message.into(),
        }
    }

    /// The same refusal with its field path put under `prefix` (`data` →
    /// `events[2].data`).
    pub fn under(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

/// Rule id for malformed input: wrong type, unknown/missing field, bad format.
pub const RULE_SCHEMA: &str = "schema";
/// Rule id for a well-typed value outside its allowed range.
pub const RULE_RANGE: &str = "range";

/// Stateless checks of one payload: ranges and internal consistency that need
/// no other event. Types already guarantee formats.
pub trait Validate {
    /// # Errors
    /// The first problem found, as a [`RejectionKind::Malformed`] refusal whose
    /// `field` is relative to the payload (`hours`, `period.end`).
    fn validate(&self) -> Result<(), Rejection>;
}

/// Checks `start ≤ end` (both inclusive civil dates).
pub(crate) fn check_range(
    start: jiff::civil::Date,
    end: jiff::civil::Date,
    end_field: &str,
) -> Result<(), Rejection> {
    if end < start {
        return Err(Rejection::malformed(
            end_field,
            RULE_RANGE,
            format!("{end} is before the start {start}"),
        ));
    }
    Ok(())
}

/// Checks that a day's hours are within 0 < h ≤ 24.
pub(crate) fn check_day_hours(hours: crate::Hours, field: &str) -> Result<(), Rejection> {
    if hours > crate::Hours::from_whole(24) {
        return Err(Rejection::malformed(
            field,
            RULE_RANGE,
            format!("{hours} h is more than the 24 hours of a day"),
        ));
    }
    Ok(())
}

/// Checks that a text field is not blank and not longer than `max` characters.
pub(crate) fn check_text(text: &str, field: &str, max: usize) -> Result<(), Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::malformed(
            field,
            RULE_SCHEMA,
            "must not be empty",
        ));
    }
    if text.chars().count() > max {
        return Err(Rejection::malformed(
            field,
            RULE_RANGE,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_without_a_field_displays_no_empty_field_name() {
        let r = Rejection::malformed("", RULE_SCHEMA, "the line must be a JSON object");
        assert_eq!(
            r.to_string(),
            "the line must be a JSON object (rule schema)"
        );
        let r = Rejection::malformed("data.hours", RULE_RANGE, "is more than 24");
        assert_eq!(r.to_string(), "data.hours: is more than 24 (rule range)");
    }
}
