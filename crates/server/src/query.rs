//! Read parameters shared by every query (`as_of`, `known_at`, `at_seq`) and
//! the manifest every answer carries (EVENTS.md "Reading").

use std::collections::BTreeMap;

use grantledger_domain::Date;
use jiff::Timestamp;
use serde::Serialize;

use grantledger_projections::{IndicatorValue, Ledger};

use crate::{ApiError, Service};

/// The rule-set version the projections implement (DOMAIN.md as of v1).
pub const RULE_SET: &str = "grantledger-rules/1 (DOMAIN.md R1–R5)";
/// The program that computed an answer.
pub const GENERATOR: &str = concat!("grantledger ", env!("CARGO_PKG_VERSION"));

/// Query-string parameters, refused if unknown (a typo such as `asof` must not
/// silently give today's figures).
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Parses a raw query string, allowing only `allowed` names.
    ///
    /// # Errors
    /// 400 naming an unknown, repeated or undecodable parameter.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
                ApiError::bad_param("query", format!("the query string does not decode: {e}"))
            })?;
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if !allowed.contains(&k.as_str()) {
                return Err(ApiError::bad_param(
                    &k,
                    format!(
                        "unknown query parameter `{k}`; this endpoint takes {}",
                        allowed.join(", ")
                    ),
                ));
            }
            if map.insert(k.clone(), v).is_some() {
                return Err(ApiError::bad_param(&k, format!("`{k}` is given twice")));
            }
        }
        Ok(Params(map))
    }

    /// Whether the parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// A parameter parsed with `FromStr`, or `None` if absent.
    ///
    /// # Errors
    /// 400 naming the parameter and the expected form.
    pub fn get<T: std::str::FromStr>(
        &self,
        name: &str,
        expected: &str,
    ) -> Result<Option<T>, ApiError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_param(
                    name,
                    format!("`{name}` must be {expected}, not `{}`", clip(v)),
                )
            }),
        }
    }
}

/// A date as a query parameter takes it: exactly `YYYY-MM-DD`, a real day
/// ([`grantledger_domain::calendar::parse_date`]), as in an event; not jiff's
/// other forms (`20170301`, `2017-03-01T00:00`).
pub struct DateText(pub Date);

impl std::str::FromStr for DateText {
    type Err = String;

    fn from_str(s: &str) -> Result<DateText, String> {
        grantledger_domain::calendar::parse_date(s).map(DateText)
    }
}

/// The UUID of a path segment (`/participants/{id}`), taken as
/// [`UuidText`] takes it.
///
/// # Errors
/// 400 naming `field`: "`{text}` is not {what} (8-4-4-4-12 hex digits)".
pub fn path_uuid(text: &str, field: &str, what: &str) -> Result<uuid::Uuid, ApiError> {
    grantledger_domain::parse_uuid(text).map_err(|_| {
        ApiError::bad_param(
            field,
            format!("`{}` is not {what} (8-4-4-4-12 hex digits)", clip(text)),
        )
    })
}

/// A UUID as a query parameter or path segment takes it: 8-4-4-4-12 hex
/// digits in either case, as in an event ([`grantledger_domain::parse_uuid`]),
/// not the braced, `urn:uuid:` or 32-digit forms.
pub struct UuidText(pub uuid::Uuid);

impl std::str::FromStr for UuidText {
    type Err = String;

    fn from_str(s: &str) -> Result<UuidText, String> {
        grantledger_domain::parse_uuid(s).map(UuidText)
    }
}

/// The names of the time parameters every read takes.
pub const TIME_PARAMS: [&str; 3] = ["as_of", "known_at", "at_seq"];

/// A resolved point in the two time axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    /// Valid date, inclusive.
    pub as_of: Date,
    /// The log prefix `seq ≤ at_seq`; `None` for the head.
    pub at_seq: Option<u64>,
    /// The record-time instant asked for, if given.
    pub known_at: Option<Timestamp>,
}

/// Every answer's provenance: which prefix and date it was computed for, by
/// what. Deterministic: no wall clock (DESIGN.md "Determinism").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// Valid date, inclusive.
    pub as_of: Date,
    /// The record-time instant: the one asked for, else the `recorded_at` of
    /// the record at `at_seq` (null for an empty log).
    pub known_at: Option<Timestamp>,
    /// The log prefix used: `seq ≤ at_seq`.
    pub at_seq: u64,
    /// Hex SHA-256 chain hash of the record at `at_seq`.
    pub head_hash: String,
    /// Rule-set version applied.
    pub rule_set: &'static str,
    /// Generator name and version.
    pub generator: &'static str,
}

impl Service {
    /// Resolves `as_of`, `known_at` / `at_seq` against the durable head.
    /// Default `as_of`: today in the project calendar, clamped to the project
    /// period; default prefix: the head.
    ///
    /// # Errors
    /// 400 for malformed values, both `known_at` and `at_seq`, or `at_seq`
    /// beyond the head.
    pub fn resolve(&self, p: &Params) -> Result<Point, ApiError> {
        let as_of = p
            .get::<DateText>("as_of", "a date YYYY-MM-DD")?
            .map(|d| d.0);
        let known_at: Option<Timestamp> = p.get(
            "known_at",
            "an RFC 3339 instant such as 2017-04-20T10:00:00Z",
        )?;
        let at_seq: Option<u64> =
            p.get("at_seq", "a whole number from 0 to 18446744073709551615")?;
        let head = self.log().head().seq;
        let at_seq = match (known_at, at_seq) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_param(
                    "at_seq",
                    "give known_at or at_seq, not both",
                ));
            }
            (Some(t), None) => Some(self.log().seq_at(t)?.min(head)),
            (None, Some(n)) if n > head => {
                return Err(ApiError::bad_param(
                    "at_seq",
                    format!("at_seq {n} is beyond the log head {head}"),
                )
                .rule("range"));
            }
            (None, n) => n,
        };
        let as_of = match as_of {
            Some(d) => d,
            None => self.with_head(|l| {
                let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
                let tz_today = l
                    .project()
                    .and_then(|p| jiff::tz::TimeZone::get(&p.timezone).ok())
                    .map(|tz| Timestamp::now().to_zoned(tz).date())
                    .unwrap_or(today);
                match l.project() {
                    Some(p) => tz_today.clamp(p.period.start, p.period.end),
                    None => tz_today,
                }
            }),
        };
        Ok(Point {
            as_of,
            at_seq,
            known_at,
        })
    }

    /// Every indicator's figures at `point` (no evidence) with the manifest.
    /// An older prefix is answered from the head's history of derived dates
    /// (no fold: a few passes over the recorded changes), the head from its
    /// up-to-date counts.
    ///
    /// # Errors
    /// A storage error while reading the record at `at_seq` or folding.
    pub fn indicators_at(
        &self,
        point: &Point,
    ) -> Result<(Vec<IndicatorValue>, Manifest), ApiError> {
        if let Some(n) = point.at_seq {
            if let Some(values) = self.with_head(|h| {
                (n < h.at_seq())
                    .then(|| h.indicator_values_at(point.as_of, n))
                    .flatten()
            }) {
                self.log().wait_durable(n)?;
                let record = if n == 0 { None } else { self.log().get(n)? };
                let manifest = Manifest {
                    as_of: point.as_of,
                    known_at: point.known_at.or(record.as_ref().map(|r| r.recorded_at)),
                    at_seq: n,
                    head_hash: hex::encode(record.map_or([0; 32], |r| r.hash)),
                    rule_set: RULE_SET,
                    generator: GENERATOR,
                };
                return Ok((values, manifest));
            }
        }
        self.at(point, |l| l.indicator_values(point.as_of))
    }

    /// Computes `f` on the ledger state at `point` and returns it with the
    /// manifest of that state.
    ///
    /// # Errors
    /// A storage error while folding an older prefix.
    pub fn at<R>(
        &self,
        point: &Point,
        f: impl FnOnce(&Ledger) -> R,
    ) -> Result<(R, Manifest), ApiError> {
        self.read(point.at_seq, |l| {
            let manifest = Manifest {
                as_of: point.as_of,
                known_at: point.known_at.or(l.head_recorded_at()),
                at_seq: l.at_seq(),
                head_hash: hex::encode(l.head_hash()),
                rule_set: RULE_SET,
                generator: GENERATOR,
            };
            (f(l), manifest)
        })
    }
}

/// A refused value as quoted back in an error: at most 100 characters.
pub(crate) fn clip(v: &str) -> String {
    match v.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", &v[..i]),
        None => v.to_string(),
    }
}
