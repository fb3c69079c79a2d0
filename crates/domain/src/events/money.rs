//! Expenses and payments (DOMAIN.md R4).

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Party;
use crate::validate::{check_text, Validate, RULE_RANGE, RULE_SCHEMA};
use crate::{Czk, Rejection, ShortId, YearMonth};

/// `expense_recorded`: an accounting document claimed on a budget line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseRecorded {
    /// The expense's id (uuid).
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub expense_id: Uuid,
    /// The supplier's document number (invoice no.); with the supplier's IČO it identifies the document (R4.3).
    pub document_no: String,
    /// Supplier.
    pub supplier: Party,
    /// Budget line code (R4.2).
    pub budget_line: ShortId,
    /// Key activity.
    pub activity: String,
    /// Total incl. VAT, CZK.
    pub amount: Czk,
    /// VAT included in `amount`, CZK (0 ≤ vat ≤ amount).
    pub vat: Czk,
    /// Taxable supply date (DUZP): when the cost was incurred (R4.1).
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub taxable_supply_date: Date,
    /// Payment date, if already paid (R4.1).
    #[serde(default, with = "crate::calendar::date_text::option")]
    #[schemars(with = "Option<Date>")]
    pub paid_on: Option<Date>,
    /// What was bought.
    pub description: String,
    /// Another source financing it (double funding, R4.3), e.g. `Moravian-Silesian Region`.
    #[serde(default)]
    pub other_funding: Option<String>,
    /// SHA-256 of the scanned document, 64 hex digits.
    #[serde(default)]
    pub evidence_sha256: Option<String>,
    /// Personnel costs: the staff member (R4.6).
    #[serde(default)]
    pub staff_id: Option<ShortId>,
    /// Personnel costs: the month of wage cost (R4.6).
    #[serde(default)]
    pub month: Option<YearMonth>,
}

impl Validate for ExpenseRecorded {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.document_no, "document_no", 64)?;
        check_text(&self.activity, "activity", 300)?;
        check_text(&self.description, "description", 1000)?;
        if let Some(other) = &self.other_funding {
            check_text(other, "other_funding", 300)?;
        }
        self.supplier.check("supplier")?;
        if self.amount <= Czk::ZERO {
            return Err(Rejection::malformed(
                "amount",
                RULE_RANGE,
                "must be more than 0 CZK",
            ));
        }
        if self.vat < Czk::ZERO || self.vat > self.amount {
            return Err(Rejection::malformed(
                "vat",
                RULE_RANGE,
                "VAT must be between 0 and the amount (the amount includes VAT)",
            ));
        }
        if let Some(h) = &self.evidence_sha256 {
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Rejection::malformed(
                    "evidence_sha256",
                    RULE_SCHEMA,
                    "must be 64 hex digits",
                ));
            }
        }
        if self.staff_id.is_some() != self.month.is_some() {
            return Err(Rejection::malformed(
                "month",
                RULE_SCHEMA,
                "personnel costs give both staff_id and month (R4.6)",
            ));
        }
        Ok(())
    }
}

/// `expense_paid`: the payment of a recorded expense.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpensePaid {
    /// The expense.
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub expense_id: Uuid,
    /// Payment date.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub paid_on: Date,
}

impl Validate for ExpensePaid {
    fn validate(&self) -> Result<(), Rejection> {
        Ok(())
    }
}
