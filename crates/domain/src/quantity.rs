//! Exact quantities of the event catalogue: money ([`Czk`]), hours ([`Hours`]) and
//! workload ([`Fte`]).
//!
//! EVENTS.md fixes their JSON form: money and hours are decimal strings with at
//! most 2 places (`"12100.50"`, `"6.5"`), FTE a decimal string (`"0.6"`). JSON
//! numbers are accepted too, for convenience. In the binary codec they are
//! stored as integers (haléře, hundredths of an hour) so sums are exact.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Why a decimal text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Not a plain decimal number (`"12.50"`), e.g. letters, exponent, empty.
    #[error("`{0}` is not a decimal number")]
    NotDecimal(String),
    /// More decimal places than the quantity allows.
    #[error("`{text}` has more than {max} decimal places")]
    TooManyPlaces {
        /// The refused text.
        text: String,
        /// The most places allowed.
        max: u32,
    },
    /// A negative value where only zero or more is allowed.
    #[error("`{0}` is negative")]
    Negative(String),
    /// Beyond [`MAX_UNITS`] in absolute value.
    #[error("`{0}` is too large: at most {1} in absolute value")]
    OutOfRange(String, String),
}

/// The largest quantity accepted, in units of its last decimal place, either
/// sign: 10^12 (10 000 000 000.00 CZK, 10 000 000 000 hours, 100 000 000
/// FTE). Far beyond any grant, and small enough that a sum of 9 million of
/// them still fits the 64-bit integers the totals are kept in (a total never
/// saturates).
pub const MAX_UNITS: i64 = 1_000_000_000_000;

/// Parses a decimal text with at most `places` decimal places into an integer
/// count of `10^-places` units. Exponents, spaces and signs other than a
/// leading `-` are refused.
fn parse_fixed(text: &str, places: u32) -> Result<i64, QuantityError> {
    let t = text;
    let plain = !t.is_empty()
        && t.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'));
    if !plain || t == "-" || t.starts_with('.') || t.ends_with('.') {
        return Err(QuantityError::NotDecimal(text.to_string()));
    }
    let too_large = || {
        let max = format_fixed(MAX_UNITS, places, 0);
        QuantityError::OutOfRange(text.to_string(), max)
    };
    let d = Decimal::from_str(t).map_err(|_| too_large())?;
    let d = d.normalize();
    if d.scale() > places {
        return Err(QuantityError::TooManyPlaces {
            text: text.to_string(),
            max: places,
        });
    }
    let scaled = d
        .checked_mul(Decimal::from(10i64.pow(places)))
        .ok_or_else(too_large)?;
    i64::try_from(scaled.trunc())
        .ok()
        .filter(|u| u.unsigned_abs() <= MAX_UNITS.unsigned_abs())
        .ok_or_else(too_large)
}

/// Formats an integer count of `10^-places` units as a decimal text, with
/// exactly `min_places` places at least (trailing zeros beyond it dropped).
fn format_fixed(units: i64, places: u32, min_places: u32) -> String {
    let d = Decimal::new(units, places);
    let mut s = d.normalize().to_string();
    if min_places > 0 {
        let have = s.split_once('.').map_or(0, |(_, f)| f.len() as u32);
        if have == 0 {
            s.push('.');
        }
        for _ in have..min_places {
            s.push('0');
        }
    }
    s
}

/// Deserialises a decimal given as a JSON string into its text.
struct DecimalText;

impl Visitor<'_> for DecimalText {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal string such as \"6.5\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
}

macro_rules! fixed_point {
    ($(#[$doc:meta])* $name:ident, places = $places:expr, min_places = $min:expr,
     nonneg = $nonneg:expr, example = $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Zero.
            pub const ZERO: $name = $name(0);
            /// Number of decimal places of the unit.
            pub const PLACES: u32 = $places;

            /// The value from its integer count of `10^-PLACES` units.
            pub const fn from_units(units: i64) -> Self {
                $name(units)
            }

            /// The integer count of `10^-PLACES` units.
            pub const fn units(self) -> i64 {
                self.0
            }

            /// Exact sum; `None` on overflow.
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map($name)
            }

            /// Saturating sum (for folds over stored, validated values).
            pub fn saturating_add(self, other: Self) -> Self {
                $name(self.0.saturating_add(other.0))
            }

            /// The value as an exact decimal.
            pub fn to_decimal(self) -> Decimal {
                Decimal::new(self.0, $places)
            }
        }

        impl FromStr for $name {
            type Err = QuantityError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let units = parse_fixed(s, $places)?;
                if $nonneg && units < 0 {
                    return Err(QuantityError::Negative(s.to_string()));
                }
                Ok($name(units))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(&format_fixed(self.0, $places, $min))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.collect_str(self)
                } else {
                    s.serialize_i64(self.0)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let text = d.deserialize_str(DecimalText)?;
                    text.parse().map_err(de::Error::custom)
                } else {
                    i64::deserialize(d).map($name)
                }
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let pattern = if $nonneg {
                    concat!("^[0-9]+(\\.[0-9]{1,", stringify!($places), "})?$")
                } else {
                    concat!("^-?[0-9]+(\\.[0-9]{1,", stringify!($places), "})?$")
                };
                json_schema!({
                    "type": "string",
                    "pattern": pattern,
                    "examples": [$example],
                })
            }
        }
    };
}

fixed_point!(
    /// An amount of money in CZK, exact to the haléř (1/100 CZK), stored as an
    /// integer count of haléře. JSON: a decimal string with at most 2 places,
    /// written with exactly 2 (`"12100.50"`). May be negative (a credit note);
    /// payload validation says where that is allowed. DOMAIN.md R4.5.
    Czk, places = 2, min_places = 2, nonneg = false, example = "12100.50"
);

fixed_point!(
    /// A duration in hours, exact to 1/100 h, never negative. JSON: a decimal
    /// string with at most 2 places (`"6.5"`), written without trailing zeros.
    Hours, places = 2, min_places = 0, nonneg = true, example = "6.5"
);

impl Czk {
    /// Builds an amount from whole haléře.
    pub const fn from_halere(halere: i64) -> Self {
        Czk(halere)
    }
    /// The amount in haléře.
    pub const fn halere(self) -> i64 {
        self.0
    }
}

impl Hours {
    /// Whole hours.
    pub const fn from_whole(hours: i64) -> Self {
        Hours(hours * 100)
    }
    /// The duration in hundredths of an hour.
    pub const fn centihours(self) -> i64 {
        self.0
    }
}

impl std::iter::Sum for Hours {
    fn sum<I: Iterator<Item = Hours>>(iter: I) -> Hours {
        iter.fold(Hours::ZERO, Hours::saturating_add)
    }
}

/// A workload as a share of a full-time equivalent (1.0 = full time),
/// exact to 1/10 000. JSON: a decimal string (`"0.6"`), at most 4 places.
/// Contract FTEs are in (0, 1]; sums over staff may be larger. DOMAIN.md R3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fte(Decimal);

impl Fte {
    /// Zero FTE.
    pub const ZERO: Fte = Fte(Decimal::ZERO);
    /// Full time.
    pub const ONE: Fte = Fte(Decimal::ONE);
    /// Most decimal places accepted.
    pub const PLACES: u32 = 4;

    /// The FTE as an exact decimal, normalised (no trailing zeros).
    pub fn to_decimal(self) -> Decimal {
        self.0
    }

    /// Builds an FTE from a decimal; `None` if it is negative or has more than 4 places.
    pub fn from_decimal(d: Decimal) -> Option<Fte> {
        let d = d.normalize();
        (d >= Decimal::ZERO && d.scale() <= Self::PLACES).then_some(Fte(d))
    }
}

impl std::ops::Add for Fte {
    type Output = Fte;
    /// Exact sum.
    fn add(self, other: Fte) -> Fte {
        Fte((self.0 + other.0).normalize())
    }
}

impl FromStr for Fte {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let units = parse_fixed(s, Self::PLACES)?;
        if units < 0 {
            return Err(QuantityError::Negative(s.to_string()));
        }
        Ok(Fte(Decimal::new(units, Self::PLACES).normalize()))
    }
}

impl fmt::Display for Fte {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl Serialize for Fte {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fte {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = if d.is_human_readable() {
            d.deserialize_str(DecimalText)?
        } else {
            String::deserialize(d)?
        };
        text.parse().map_err(de::Error::custom)
    }
}

impl JsonSchema for Fte {
    fn schema_name() -> Cow<'static, str> {
        "Fte".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]{1,4})?$",
            "examples": ["0.6"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Quantities stop at 10^12 units either way, so that no total of a log
    /// saturates (a fresh-user trial's expense of 92 233 720 368 547 758.07
    /// CZK made a budget line's total i64::MAX haléře).
    #[test]
    fn a_quantity_beyond_ten_to_the_twelve_units_is_refused_naming_the_bound() {
        assert_eq!("10000000000.00".parse::<Czk>().unwrap().halere(), MAX_UNITS);
        assert_eq!("-10000000000".parse::<Czk>().unwrap().halere(), -MAX_UNITS);
        for text in [
            "10000000000.01",
            "-10000000000.01",
            "92233720368547758.07",
            "1e30",
        ] {
            let e = text.parse::<Czk>().unwrap_err();
            if text != "1e30" {
                assert_eq!(
                    e.to_string(),
                    format!("`{text}` is too large: at most 10000000000 in absolute value")
                );
            }
        }
        assert!("100000000.0000".parse::<Fte>().is_ok());
        assert!("100000000.0001".parse::<Fte>().is_err());
        assert!("10000000000.01".parse::<Hours>().is_err());
        // 9 million of the largest still add up exactly
        let max = Czk::from_halere(MAX_UNITS);
        let total = (0..9_000_000).try_fold(Czk::from_halere(0), |t, _| t.checked_add(max));
        assert_eq!(total.map(Czk::halere), Some(9_000_000 * MAX_UNITS));
    }

    #[test]
    fn money_parses_and_prints_with_two_places() {
        assert_eq!("12100.5".parse::<Czk>().unwrap().halere(), 1_210_050);
        assert_eq!("12100.50".parse::<Czk>().unwrap().to_string(), "12100.50");
        assert_eq!("7".parse::<Czk>().unwrap().to_string(), "7.00");
        assert_eq!("-0.01".parse::<Czk>().unwrap().halere(), -1);
    }

    #[test]
    fn money_with_three_places_is_refused() {
        assert!(matches!(
            "1.005".parse::<Czk>(),
            Err(QuantityError::TooManyPlaces { max: 2, .. })
        ));
    }

    #[test]
    fn malformed_decimals_are_refused() {
        for bad in [
            "", "abc", "1e3", "1.", ".5", "--1", "1,5", " ", "+1", "NaN", " 1", "1 ",
        ] {
            assert!(bad.parse::<Hours>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn negative_hours_are_refused() {
        assert_eq!(
            "-1".parse::<Hours>(),
            Err(QuantityError::Negative("-1".into()))
        );
    }

    #[test]
    fn hours_print_without_trailing_zeros() {
        assert_eq!("6.50".parse::<Hours>().unwrap().to_string(), "6.5");
        assert_eq!("40".parse::<Hours>().unwrap().to_string(), "40");
        assert_eq!("40.25".parse::<Hours>().unwrap().centihours(), 4025);
    }

    #[test]
    fn fte_keeps_four_places_and_normalises() {
        assert_eq!("0.60".parse::<Fte>().unwrap().to_string(), "0.6");
        assert_eq!("0.1234".parse::<Fte>().unwrap().to_string(), "0.1234");
        assert!("0.12345".parse::<Fte>().is_err());
    }

    #[test]
    fn json_numbers_are_refused_and_strings_written() {
        assert!(serde_json::from_str::<Hours>("6.5").is_err());
        assert!(serde_json::from_str::<Czk>("1e1").is_err());
        let h: Hours = serde_json::from_str("\"6.5\"").unwrap();
        assert_eq!(serde_json::to_string(&h).unwrap(), "\"6.5\"");
        let m: Czk = serde_json::from_str("\"100\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"100.00\"");
    }

    proptest! {
        #[test]
        fn money_text_round_trips(units in -10_000_000_000i64..10_000_000_000) {
            let m = Czk::from_halere(units);
            prop_assert_eq!(m.to_string().parse::<Czk>().unwrap(), m);
            let bin = postcard::to_allocvec(&m).unwrap();
            prop_assert_eq!(postcard::from_bytes::<Czk>(&bin).unwrap(), m);
        }

        #[test]
        fn hours_text_round_trips(units in 0i64..10_000_000) {
            let h = Hours::from_units(units);
            prop_assert_eq!(h.to_string().parse::<Hours>().unwrap(), h);
        }
    }
}

fixed_point!(
    /// A general non-negative decimal quantity, exact to 1/10 000: indicator
    /// targets (`"40"`, `"0.6"`) and rates in percent (`"25"`). JSON: a
    /// decimal string, written without trailing zeros.
    Quantity, places = 4, min_places = 0, nonneg = true, example = "40"
);
