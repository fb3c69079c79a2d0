//! Identifiers and small value types: project-chosen ids ([`ShortId`]), Czech
//! company ids ([`Ico`]), calendar months ([`YearMonth`]) and the personal-data
//! marker ([`Personal`]).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use compact_str::CompactString;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Empty or only spaces.
    #[error("must not be empty")]
    Empty,
    /// Longer than [`ShortId::MAX_LEN`] characters.
    #[error("is longer than 64 characters")]
    TooLong,
    /// Contains a control character or leading/trailing space.
    #[error("contains control characters or leading/trailing spaces")]
    BadCharacters,
    /// An IČO that is not exactly 8 digits.
    #[error("`{0}` is not an IČO of 8 digits")]
    Ico(String),
    /// A month that is not `YYYY-MM`.
    #[error("`{0}` is not a month YYYY-MM")]
    Month(String),
}

/// Parses a UUID written as JSON asks for it (`format: uuid`): 36
/// characters, 8-4-4-4-12 hex digits in either case
/// (`0191e0a0-0000-7000-8000-000000000001`). The braced, `urn:uuid:` and
/// 32-digit forms that the uuid crate also reads are refused, so that what
/// a client may send is what the schema says.
///
/// # Errors
/// A message naming the form required.
pub fn parse_uuid(text: &str) -> Result<uuid::Uuid, String> {
    let b = text.as_bytes();
    let hyphens = b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-');
    match uuid::Uuid::try_parse(text) {
        Ok(id) if hyphens => Ok(id),
        _ => Err(
            "must be a UUID written as 8-4-4-4-12 hex digits, such as 0191e0a0-0000-7000-8000-000000000001"
                .to_string(),
        ),
    }
}

/// serde of a uuid field of an event's `data`: JSON (a human-readable
/// format) takes only what [`parse_uuid`] takes; the binary codec is the
/// uuid crate's own. Use with `#[serde(with = "crate::ids::uuid_field")]`
/// and `#[schemars(with = "uuid::Uuid")]`.
pub mod uuid_field {
    use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
    use uuid::Uuid;

    /// As the uuid crate writes it (hyphenated, lower case, in JSON).
    pub fn serialize<S: Serializer>(id: &Uuid, s: S) -> Result<S::Ok, S::Error> {
        id.serialize(s)
    }

    /// Hyphenated text only, in JSON; bytes in the binary codec.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
        if d.is_human_readable() {
            d.deserialize_str(UuidText)
        } else {
            Uuid::deserialize(d)
        }
    }

    struct UuidText;

    impl de::Visitor<'_> for UuidText {
        type Value = Uuid;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a UUID string")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Uuid, E> {
            super::parse_uuid(v).map_err(E::custom)
        }
    }
}

/// A short identifier chosen by the project (course, run, session, staff,
/// organisation, seminar ids…): 1–64 characters, no control characters, no
/// leading or trailing spaces. EVENTS.md: "others are short strings chosen by
/// the project (≤ 64 chars)".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ShortId(CompactString);

impl ShortId {
    /// The longest id accepted, in characters.
    pub const MAX_LEN: usize = 64;

    /// Checks and wraps an id.
    ///
    /// # Errors
    /// [`IdError::Empty`], [`IdError::TooLong`] or [`IdError::BadCharacters`].
    pub fn new(s: impl AsRef<str>) -> Result<ShortId, IdError> {
        let s = s.as_ref();
        Self::check(s)?;
        // `CompactString::new` keeps ids of up to 24 bytes inline: no heap
        // allocation, and a map keyed by ids compares them without a pointer
        // chase (docs/PERFORMANCE.md, fourth step).
        Ok(ShortId(CompactString::new(s)))
    }

    /// The rules of [`ShortId::new`]: not blank, at most [`ShortId::MAX_LEN`]
    /// characters, no leading or trailing white space, no control character.
    fn check(s: &str) -> Result<(), IdError> {
        if s.is_ascii() {
            // the same rules byte by byte (every id of the log is ASCII):
            // white space is ' ' and U+0009–U+000D, control U+0000–U+001F and U+007F
            let b = s.as_bytes();
            let white = |c: u8| c == b' ' || (0x09..=0x0d).contains(&c);
            let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
                return Err(IdError::Empty);
            };
            if b.iter().all(|&c| white(c)) {
                return Err(IdError::Empty);
            }
            if b.len() > Self::MAX_LEN {
                return Err(IdError::TooLong);
            }
            if white(first) || white(last) || b.iter().any(|&c| c < 0x20 || c == 0x7f) {
                return Err(IdError::BadCharacters);
            }
            return Ok(());
        }
        if s.trim().is_empty() {
            return Err(IdError::Empty);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(IdError::TooLong);
        }
        if s.trim() != s || s.chars().any(char::is_control) {
            return Err(IdError::BadCharacters);
        }
        Ok(())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a [`CompactString`] (a cheap copy for an id of up to 24
    /// bytes: it is kept inline), for maps keyed by ids.
    pub fn as_compact(&self) -> &CompactString {
        &self.0
    }
}

impl fmt::Display for ShortId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ShortId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // borrows the text where the format allows (postcard, JSON without
        // escapes): an inline id is then read without a heap allocation
        let s = CompactString::deserialize(d)?;
        ShortId::check(&s).map_err(|e| de::Error::custom(format!("id {e}")))?;
        Ok(ShortId(s))
    }
}

impl JsonSchema for ShortId {
    fn schema_name() -> Cow<'static, str> {
        "ShortId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "minLength": 1, "maxLength": 64})
    }
}

/// A Czech company identification number (IČO): exactly 8 ASCII digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Ico(String);

impl Ico {
    /// The 8 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the 8th digit is the mod-11 check digit of the first seven
    /// (Czech statistical office rule). The ledger accepts any 8 digits; this
    /// is for findings.
    pub fn has_valid_check_digit(&self) -> bool {
        let d: Vec<u32> = self.0.chars().filter_map(|c| c.to_digit(10)).collect();
        let sum: u32 = (0..7).map(|i| d[i] * (8 - i as u32)).sum();
        let check = match sum % 11 {
            0 => 1,
            1 => 0,
            r => 11 - r,
        };
        d[7] == check
    }
}

impl FromStr for Ico {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Ico(s.to_string()))
        } else {
            Err(IdError::Ico(s.to_string()))
        }
    }
}

impl<'de> Deserialize<'de> for Ico {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(de::Error::custom)
    }
}

impl JsonSchema for Ico {
    fn schema_name() -> Cow<'static, str> {
        "Ico".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "pattern": "^[0-9]{8}$", "examples": ["25379631"]})
    }
}

/// A calendar month of the project's calendar, `YYYY-MM` in JSON (years 1000–9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i16,
    month: i8,
}

impl YearMonth {
    /// Builds a month; `None` unless 1000 ≤ year ≤ 9999 and 1 ≤ month ≤ 12.
    pub fn new(year: i16, month: i8) -> Option<YearMonth> {
        ((1000..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(YearMonth { year, month })
    }
    /// The year.
    pub fn year(self) -> i16 {
        self.year
    }
    /// The month, 1–12.
    pub fn month(self) -> i8 {
        self.month
    }
    /// The first day of the month.
    pub fn first_day(self) -> jiff::civil::Date {
        jiff::civil::Date::constant(self.year, self.month, 1)
    }
    /// The last day of the month (inclusive).
    pub fn last_day(self) -> jiff::civil::Date {
        self.first_day().last_of_month()
    }
    /// The month a date falls in.
    pub fn of(date: jiff::civil::Date) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || IdError::Month(s.to_string());
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return Err(bad());
        }
        let year: i16 = s[..4].parse().map_err(|_| bad())?;
        let month: i8 = s[5..].parse().map_err(|_| bad())?;
        if !s[..4].bytes().all(|c| c.is_ascii_digit())
            || !s[5..].bytes().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        YearMonth::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(de::Error::custom)
    }
}

impl JsonSchema for YearMonth {
    fn schema_name() -> Cow<'static, str> {
        "YearMonth".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "examples": ["2017-03"]})
    }
}

/// Personal data (DOMAIN.md R6): names and birth dates of participants, in
/// one of three states. The log never holds it in clear: the server seals it
/// with the participant's key before encoding (`participant_registered` v2)
/// and opens it for readers who may see it; erasure destroys the key.
///
/// JSON: `Clear(v)` serialises as `v`; `Sealed` as the string `"[sealed]"`
/// (opened neither here nor in exports); `Erased` as `"[erased]"`. JSON input
/// always reads as `Clear`. There is no binary form of its own: the sealed
/// bytes are written by the event that holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Personal<T> {
    /// In clear: from a request, from a v1 record, or opened with the key.
    Clear(T),
    /// Sealed: nonce ‖ ciphertext (XChaCha20-Poly1305) as stored; not opened.
    Sealed(Vec<u8>),
    /// Erased (the participant's key is destroyed) or not available here.
    Erased,
}

impl<T> Personal<T> {
    /// JSON text of a sealed value.
    pub const SEALED: &'static str = "[sealed]";
    /// JSON text of an erased value.
    pub const ERASED: &'static str = "[erased]";

    /// The value in clear, if it is (callers that may see personal data only).
    pub fn expose(&self) -> Option<&T> {
        match self {
            Personal::Clear(v) => Some(v),
            _ => None,
        }
    }

    /// The same state with the clear value mapped.
    pub fn map<U>(&self, f: impl FnOnce(&T) -> U) -> Personal<U> {
        match self {
            Personal::Clear(v) => Personal::Clear(f(v)),
            Personal::Sealed(b) => Personal::Sealed(b.clone()),
            Personal::Erased => Personal::Erased,
        }
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Personal::Clear(v) => v.serialize(s),
            Personal::Sealed(_) => s.serialize_str(Self::SEALED),
            Personal::Erased => s.serialize_str(Self::ERASED),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Personal<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Personal::Clear)
    }
}

impl<T: JsonSchema> JsonSchema for Personal<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let mut s = T::json_schema(g);
        s.insert("x-personal-data".into(), true.into());
        s
    }
    fn inline_schema() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules as first written (for any text), which the byte-wise
    /// check of ASCII ids must equal.
    fn reference(s: &str) -> Result<(), IdError> {
        if s.trim().is_empty() {
            return Err(IdError::Empty);
        }
        if s.chars().count() > ShortId::MAX_LEN {
            return Err(IdError::TooLong);
        }
        if s.trim() != s || s.chars().any(char::is_control) {
            return Err(IdError::BadCharacters);
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn an_id_is_checked_as_the_reference_rules_say(
            s in "[ \t\n\x0b\x0c\r\x00\x1f\x7fa-zA-Z0-9_./-]{0,70}|[ a\u{85}\u{a0}č]{0,5}"
        ) {
            proptest::prop_assert_eq!(ShortId::check(&s), reference(&s), "{:?}", s);
        }
    }

    #[test]
    fn short_id_over_64_characters_is_refused() {
        assert_eq!(ShortId::new("x".repeat(65)), Err(IdError::TooLong));
        assert!(ShortId::new("č".repeat(64)).is_ok());
        assert_eq!(ShortId::new(" a"), Err(IdError::BadCharacters));
        assert_eq!(ShortId::new(""), Err(IdError::Empty));
    }

    #[test]
    fn ico_must_be_eight_digits() {
        assert!("25379631".parse::<Ico>().is_ok());
        assert!("2537963".parse::<Ico>().is_err());
        assert!("2537963a".parse::<Ico>().is_err());
    }

    #[test]
    fn ico_check_digit_follows_mod_11() {
        // 00006947 (Ministry of Finance): 0*8+0*7+0*6+0*5+6*4+9*3+4*2 = 59, 59 % 11 = 4, 11-4 = 7.
        assert!("00006947".parse::<Ico>().unwrap().has_valid_check_digit());
        assert!(!"00006948".parse::<Ico>().unwrap().has_valid_check_digit());
    }

    #[test]
    fn month_parses_yyyy_mm_only() {
        let m: YearMonth = "2017-03".parse().unwrap();
        assert_eq!((m.year(), m.month()), (2017, 3));
        assert_eq!(m.last_day(), jiff::civil::date(2017, 3, 31));
        for bad in [
            "2017-3", "2017-13", "17-03", "2017/03", "2017-00", "+017-03",
        ] {
            assert!(bad.parse::<YearMonth>().is_err(), "{bad}");
        }
    }
}
