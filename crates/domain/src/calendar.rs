//! The working-time calendar (DOMAIN.md R3.2): Czech public holidays,
//! working days and the monthly working-time fund.
//!
//! Holidays are those of law 245/2000 Coll. as in force from 2016 (Good Friday
//! added by law 359/2015): 1 Jan, Good Friday, Easter Monday, 1 May, 8 May,
//! 5 Jul, 6 Jul, 28 Sep, 28 Oct, 17 Nov, 24–26 Dec. The same list is applied
//! to every year, Good Friday only from 2016 on. Easter Sunday comes from the
//! Gregorian computus (the anonymous algorithm).

use jiff::civil::{Date, Weekday};
use jiff::ToSpan;

use crate::{Hours, YearMonth};

/// Hours of a working day at 1.0 FTE.
pub const HOURS_PER_WORKING_DAY: i64 = 8;
/// The first year Good Friday is a public holiday.
pub const GOOD_FRIDAY_FROM_YEAR: i16 = 2016;

/// Easter Sunday of a Gregorian `year` (anonymous Gregorian algorithm,
/// "Meeus/Jones/Butcher"). Valid for years 1583–9999.
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // month is 3 or 4 and day 1–31 by construction.
    Date::constant(year, month as i8, day as i8)
}

/// Whether `d` is a Czech public holiday (day of rest).
pub fn is_public_holiday(d: Date) -> bool {
    const FIXED: [(i8, i8); 11] = [
        (1, 1),
        (5, 1),
        (5, 8),
        (7, 5),
        (7, 6),
        (9, 28),
        (10, 28),
        (11, 17),
        (12, 24),
        (12, 25),
        (12, 26),
    ];
    if FIXED.contains(&(d.month(), d.day())) {
        return true;
    }
    if !(3..=4).contains(&d.month()) {
        return false;
    }
    let easter = easter_sunday(d.year());
    let shifted = |days: i32| easter.checked_add(days.days()).ok();
    shifted(1) == Some(d) || (d.year() >= GOOD_FRIDAY_FROM_YEAR && shifted(-2) == Some(d))
}

/// Whether `d` is a weekend day.
pub fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// A working day: Monday–Friday and not a public holiday.
pub fn is_working_day(d: Date) -> bool {
    !is_weekend(d) && !is_public_holiday(d)
}

/// The working days of a month, in order.
pub fn working_days_of(month: YearMonth) -> impl Iterator<Item = Date> {
    let last = month.last_day();
    month
        .first_day()
        .series(1.day())
        .take_while(move |d| *d <= last)
        .filter(|d| is_working_day(*d))
}

/// Number of working days in a month.
pub fn working_days(month: YearMonth) -> u32 {
    working_days_of(month).count() as u32
}

/// The monthly working-time fund at 1.0 FTE: working days × 8 h (R3.2).
pub fn fund(month: YearMonth) -> Hours {
    Hours::from_whole(i64::from(working_days(month)) * HOURS_PER_WORKING_DAY)
}

/// Working days in an inclusive date range.
pub fn working_days_between(start: Date, end: Date) -> u32 {
    if end < start {
        return 0;
    }
    start
        .series(1.day())
        .take_while(|d| *d <= end)
        .filter(|d| is_working_day(*d))
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    #[test]
    fn easter_dates_match_domain_md() {
        assert_eq!(easter_sunday(2016), date(2016, 3, 27));
        assert_eq!(easter_sunday(2017), date(2017, 4, 16));
        assert_eq!(easter_sunday(2018), date(2018, 4, 1));
        // other known Easters
        assert_eq!(easter_sunday(2000), date(2000, 4, 23));
        assert_eq!(easter_sunday(2038), date(2038, 4, 25));
        assert_eq!(easter_sunday(2285), date(2285, 3, 22));
    }

    #[test]
    fn good_friday_and_easter_monday_are_holidays_from_2016() {
        for d in [
            date(2016, 3, 25),
            date(2016, 3, 28),
            date(2017, 4, 14),
            date(2017, 4, 17),
            date(2018, 3, 30),
            date(2018, 4, 2),
        ] {
            assert!(is_public_holiday(d), "{d}");
        }
        assert!(
            !is_public_holiday(date(2015, 4, 3)),
            "Good Friday 2015 was a working day"
        );
        assert!(is_public_holiday(date(2015, 4, 6)));
    }

    /// DOMAIN.md R3.2 table, month by month.
    #[test]
    fn working_days_match_the_domain_md_table() {
        let table = [
            ("2016-10", 20),
            ("2016-11", 21),
            ("2016-12", 21),
            ("2017-01", 22),
            ("2017-02", 20),
            ("2017-03", 23),
            ("2017-04", 18),
            ("2017-05", 21),
            ("2017-06", 22),
            ("2017-07", 19),
            ("2017-08", 23),
            ("2017-09", 20),
            ("2017-10", 22),
            ("2017-11", 21),
            ("2017-12", 19),
            ("2018-01", 22),
            ("2018-02", 20),
            ("2018-03", 21),
            ("2018-04", 20),
            ("2018-05", 21),
            ("2018-06", 21),
            ("2018-07", 20),
            ("2018-08", 23),
            ("2018-09", 19),
        ];
        for (m, days) in table {
            assert_eq!(working_days(ym(m)), days, "{m}");
            assert_eq!(fund(ym(m)), Hours::from_whole(8 * i64::from(days)), "{m}");
        }
    }

    #[test]
    fn yearly_and_project_totals_match_domain_md() {
        let year = |y: i16| working_days_between(date(y, 1, 1), date(y, 12, 31));
        assert_eq!((year(2016), year(2017), year(2018)), (252, 250, 250));
        assert_eq!(
            working_days_between(date(2016, 10, 1), date(2018, 9, 30)),
            499
        );
    }

    #[test]
    fn fund_of_april_2017_at_0_6_fte_is_86_4_hours() {
        let f = fund(ym("2017-04"));
        assert_eq!(f, Hours::from_whole(144));
        assert_eq!(f.centihours() * 6 / 10, 8640);
    }

    proptest! {
        /// The month count equals a plain day-by-day count with the holiday
        /// list written out independently, for 1990–2100.
        #[test]
        fn month_counts_equal_a_plain_day_by_day_count(year in 1990i16..=2100, month in 1i8..=12) {
            let first = date(year, month, 1);
            let mut plain = 0;
            let mut d = first;
            let easter = easter_sunday(year);
            let good_friday = easter.checked_sub(2.days()).unwrap();
            let easter_monday = easter.checked_add(1.days()).unwrap();
            while d.month() == month {
                let fixed = matches!((d.month(), d.day()),
                    (1, 1) | (5, 1) | (5, 8) | (7, 5) | (7, 6) | (9, 28) | (10, 28) | (11, 17) | (12, 24) | (12, 25) | (12, 26));
                let holiday = fixed || d == easter_monday || (year >= 2016 && d == good_friday);
                let weekday = d.weekday().to_monday_one_offset() <= 5;
                if weekday && !holiday { plain += 1; }
                d = d.tomorrow().unwrap();
            }
            prop_assert_eq!(working_days(YearMonth::new(year, month).unwrap()), plain);
        }

        /// Easter Sunday is a Sunday between 22 March and 25 April.
        #[test]
        fn easter_is_a_sunday_between_22_march_and_25_april(year in 1583i16..=9999) {
            let e = easter_sunday(year);
            prop_assert_eq!(e.weekday(), Weekday::Sunday);
            prop_assert!(e >= date(year, 3, 22) && e <= date(year, 4, 25));
        }
    }
}

/// What a date refused by [`parse_date`] is told.
pub const DATE_EXPECTED: &str = "a valid date YYYY-MM-DD (a real calendar day)";

/// Reads a civil date as EVENTS.md writes it: exactly `YYYY-MM-DD` (four
/// digit year, two digit month and day) naming a real day. jiff's own
/// parser also takes `20170301`, `2017-03-01T00:00:00` (dropping the time)
/// and `+002017-03-01`; the contract does not.
///
/// # Errors
/// A message quoting `text` (cut to 40 characters): `"2017-3-1" is not a
/// valid date YYYY-MM-DD (a real calendar day)`.
pub fn parse_date(text: &str) -> Result<Date, String> {
    match ymd(text) {
        Some(d) => Ok(d),
        None => {
            let shown: String = text.chars().take(40).collect();
            let cut = if shown.len() < text.len() { "…" } else { "" };
            Err(format!("\"{shown}{cut}\" is not {DATE_EXPECTED}"))
        }
    }
}

/// The date written exactly `YYYY-MM-DD` (a real day), read digit by digit:
/// what jiff's parser gives for that form, without its general grammar.
fn ymd(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0i16, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i16::from(c - b'0'))
        })
    };
    let (y, m, d) = (number(&b[0..4])?, number(&b[5..7])?, number(&b[8..10])?);
    Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// serde for a [`Date`] field of an event: JSON (and every human-readable
/// format) takes only [`parse_date`]'s form; the log's binary codec reads
/// what it wrote (jiff's own form, the same text), so stored events decode
/// as before. Written as jiff writes it.
///
/// Use with `#[serde(with = "crate::calendar::date_text")]` and
/// `#[schemars(with = "Date")]`; [`date_text::option`] for `Option<Date>`.
pub mod date_text {
    use jiff::civil::Date;
    use serde::{Deserializer, Serializer};

    /// Writes `date` as `YYYY-MM-DD` (jiff's `Display`).
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(date)
    }

    /// Reads a date: strictly from a human-readable format, as jiff does
    /// from the log.
    ///
    /// # Errors
    /// A value that is not a string, or not [`super::parse_date`]'s form.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        if d.is_human_readable() {
            d.deserialize_str(Strict)
        } else {
            d.deserialize_str(Stored)
        }
    }

    /// A date as the log stores it: jiff's text, `YYYY-MM-DD` for every
    /// year the log can hold (read digit by digit), any other form jiff
    /// writes read by jiff.
    struct Stored;

    impl serde::de::Visitor<'_> for Stored {
        type Value = Date;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a date as jiff writes it")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
            match super::ymd(v) {
                Some(d) => Ok(d),
                None => v.parse::<Date>().map_err(E::custom),
            }
        }
    }

    struct Strict;

    impl serde::de::Visitor<'_> for Strict {
        type Value = Date;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a date YYYY-MM-DD")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
            super::parse_date(v).map_err(E::custom)
        }
    }

    /// Reads a date in clear as personal data (a registration's birth date),
    /// as [`deserialize`] does.
    ///
    /// # Errors
    /// As [`deserialize`].
    pub fn personal<'de, D: Deserializer<'de>>(d: D) -> Result<crate::Personal<Date>, D::Error> {
        deserialize(d).map(crate::Personal::Clear)
    }

    /// The same for an `Option<Date>` (`null` or absent: `None`; pair with
    /// `#[serde(default)]`).
    pub mod option {
        use jiff::civil::Date;
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes `None` as none, a date as [`super::serialize`] does.
        ///
        /// # Errors
        /// The serializer's.
        pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(d) => s.serialize_some(&Text(*d)),
                None => s.serialize_none(),
            }
        }

        /// Reads `null` as `None`, a date as [`super::deserialize`] does.
        ///
        /// # Errors
        /// As [`super::deserialize`].
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
            Ok(Option::<Text>::deserialize(d)?.map(|t| t.0))
        }

        struct Text(Date);

        impl serde::Serialize for Text {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                super::serialize(&self.0, s)
            }
        }

        impl<'de> Deserialize<'de> for Text {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
                super::deserialize(d).map(Text)
            }
        }
    }
}

#[cfg(test)]
mod date_text_tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Strict {
        #[serde(with = "date_text")]
        day: Date,
        #[serde(default, with = "date_text::option")]
        maybe: Option<Date>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Jiff {
        day: Date,
        #[serde(default)]
        maybe: Option<Date>,
    }

    #[test]
    fn only_yyyy_mm_dd_of_a_real_day_parses() {
        assert_eq!(parse_date("2017-03-01"), Ok(Date::constant(2017, 3, 1)));
        assert_eq!(parse_date("0999-12-31"), Ok(Date::constant(999, 12, 31)));
        for bad in [
            "20170301",
            "2017-03-01T00:00:00",
            "+002017-03-01",
            "2017-3-1",
            " 2017-03-01",
            "2017-02-29",
            "2017-13-01",
            "2017/03/01",
            "",
        ] {
            let e = parse_date(bad).unwrap_err();
            assert_eq!(e, format!("\"{bad}\" is not {DATE_EXPECTED}"));
        }
        let long = "9".repeat(100);
        assert!(parse_date(&long)
            .unwrap_err()
            .starts_with(&format!("\"{}…\"", "9".repeat(40))));
    }

    proptest::proptest! {
        /// Every date jiff can write (years −9999..=9999) reads back from
        /// the log's bytes as jiff reads it; `YYYY-MM-DD` digit by digit as
        /// jiff parses it, real day or not.
        #[test]
        fn the_stored_form_reads_every_date_as_jiff_does(
            y in -9999i16..=9999, m in 1i8..=12, d in 1i8..=31, text in "[0-9]{4}-[0-9]{2}-[0-9]{2}"
        ) {
            if let Ok(day) = Date::new(y, m, d) {
                let plain = Jiff { day, maybe: Some(day) };
                let bytes = postcard::to_allocvec(&plain).unwrap();
                let read = postcard::from_bytes::<Strict>(&bytes).unwrap();
                proptest::prop_assert_eq!((read.day, read.maybe), (day, Some(day)));
            }
            proptest::prop_assert_eq!(ymd(&text), text.parse::<Date>().ok());
        }
    }

    /// The log's bytes are jiff's: a strict field writes what a plain one
    /// wrote and reads it back (old records decode as before), while JSON is
    /// strict and a plain jiff field is not.
    #[test]
    fn the_binary_form_is_jiffs_and_json_is_strict() {
        let day = Date::constant(2017, 3, 1);
        for maybe in [None, Some(Date::constant(2018, 2, 28))] {
            let strict = Strict { day, maybe };
            let plain = Jiff { day, maybe };
            let bytes = postcard::to_allocvec(&strict).unwrap();
            assert_eq!(bytes, postcard::to_allocvec(&plain).unwrap());
            assert_eq!(postcard::from_bytes::<Strict>(&bytes).unwrap(), strict);
            let text = serde_json::to_string(&strict).unwrap();
            assert_eq!(text, serde_json::to_string(&plain).unwrap());
            assert_eq!(serde_json::from_str::<Strict>(&text).unwrap(), strict);
        }
        let lenient = r#"{"day": "20170301", "maybe": null}"#;
        assert!(
            serde_json::from_str::<Jiff>(lenient).is_ok(),
            "jiff takes it"
        );
        let e = serde_json::from_str::<Strict>(lenient)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("\"20170301\" is not a valid date"), "{e}");
        let e = serde_json::from_str::<Strict>(r#"{"day": "2017-03-01", "maybe": "2017-3-1"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("\"2017-3-1\" is not a valid date"), "{e}");
        let absent: Strict = serde_json::from_str(r#"{"day": "2017-03-01"}"#).unwrap();
        assert_eq!(absent.maybe, None);
    }
}
