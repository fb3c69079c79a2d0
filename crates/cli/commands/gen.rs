//! `grantledger gen`: a valid, realistic ESF project log of any size (issue 7).
//!
//! The project is SINEC's (fixtures/sinec: period 2016-10-01 … 2018-09-30, the
//! eight indicators, ten budget lines, four monitoring periods) scaled to N
//! participants: about N/2 member organisations; 20 course types whose runs
//! (8–16 seats, weekly sessions) are opened as participants need them; 1–5
//! runs per participant with ~93 % attendance, so that roughly 70 % end above
//! the 40 h threshold; internships; seminars in the 22 ORP municipalities,
//! workshops and a conference; a manager, an accountant, coordinators and DPP
//! lecturers with monthly timesheets and personnel costs; invoices (~3 per
//! participant); corrections and voids (~1 % of events) recorded after each
//! report; and the four `report_submitted` markers with `at_seq` = the line
//! before. Every line passes the admission rules (docs/RULES.md).
//!
//! Deterministic: every choice comes from ChaCha8 seeded with the seed, ids
//! are UUIDv5 of a namespace derived from the seed and a counter, record
//! times come from the plan (never the clock), and only ordered collections
//! are iterated. Memory is O(N): the plan holds entities, not events;
//! attendance is drawn while writing, and lines are written a day at a time.

// Money literals are haléře grouped as CZK and haléře: 24_000_00 is 24 000.00 CZK.
#![allow(clippy::inconsistent_digit_grouping)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use grantledger_domain::calendar::is_working_day;
use jiff::civil::Date;
use jiff::ToSpan;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use uuid::Uuid;

/// A day as an offset from [`BASE`].
type Day = u16;

/// Day 0 of the generator's calendar.
const BASE: Date = Date::constant(2016, 9, 1);
/// The last day anything is recorded on.
const LAST: Date = Date::constant(2018, 10, 31);

const ACTOR: &str = "manager:jana.kralova";
const ASSISTANT: &str = "manager:tomas.hruby";
const ACCOUNTANT: &str = "manager:petra.zelena";

const BENEFICIARY: (&str, &str) = (
    "Klastr sociálních inovací a podniků SINEC, z. s.",
    "04682017",
);

/// Budget lines: code, name, personnel.
const LINES: [(&str, &str, bool); 10] = [
    ("1.1.1.1", "Personální náklady – manažer projektu", true),
    ("1.1.1.2", "Personální náklady – lektoři (DPP)", true),
    ("1.1.1.3", "Personální náklady – účetní (DPČ)", true),
    ("1.1.1.4", "Personální náklady – koordinátoři kurzů", true),
    ("1.1.2.1", "Cestovní náhrady", false),
    ("1.1.3.1", "Drobný hmotný majetek a vybavení", false),
    (
        "1.1.4.1",
        "Nákup služeb – vzdělávací kurzy (učebny, materiály)",
        false,
    ),
    ("1.1.4.2", "Nákup služeb – semináře a workshopy", false),
    ("1.1.4.3", "Mezinárodní konference", false),
    ("1.1.4.4", "Stáže u členských podniků", false),
];
const L_MANAGER: usize = 0;
const L_LECTURERS: usize = 1;
const L_ACCOUNTANT: usize = 2;
const L_COORDINATORS: usize = 3;
const L_TRAVEL: usize = 4;
const L_EQUIPMENT: usize = 5;
const L_COURSES: usize = 6;
const L_SEMINARS: usize = 7;
const L_CONFERENCE: usize = 8;
const L_INTERNSHIPS: usize = 9;

const KA01: &str = "KA01 Řízení projektu";
const KA02: &str = "KA02 Vzdělávací kurzy";
const KA03: &str = "KA03 Semináře a workshopy";
const KA04: &str = "KA04 Mezinárodní konference";
const KA05: &str = "KA05 Stáže";

/// Course types: id, title, topic, planned hours, session length (hours).
const COURSES: [(&str, &str, &str, u32, u32); 20] = [
    (
        "K01",
        "Základy řízení sociálního podniku",
        "management",
        24,
        3,
    ),
    (
        "K02",
        "Účetnictví a daně v sociálním podniku",
        "finance",
        16,
        4,
    ),
    (
        "K03",
        "Marketing a prodej produktů sociálních podniků",
        "marketing",
        24,
        3,
    ),
    (
        "K04",
        "Personální práce se zaměstnanci se zdravotním postižením",
        "hr",
        32,
        4,
    ),
    (
        "K05",
        "Strategické plánování a podnikatelský plán",
        "management",
        40,
        4,
    ),
    (
        "K06",
        "Veřejné zakázky a sociálně odpovědné zadávání",
        "law",
        24,
        3,
    ),
    ("K07", "Pracovní právo pro vedoucí pracovníky", "law", 16, 4),
    (
        "K08",
        "Fundraising a vícezdrojové financování",
        "finance",
        24,
        3,
    ),
    (
        "K09",
        "Komunikace a řešení konfliktů na pracovišti",
        "soft skills",
        24,
        3,
    ),
    ("K10", "Ochrana osobních údajů v praxi", "law", 12, 3),
    ("K11", "Projektové řízení", "management", 24, 3),
    ("K12", "Měření sociálního dopadu", "impact", 20, 4),
    ("K13", "Digitální nástroje pro malé podniky", "it", 16, 4),
    ("K14", "Bezpečnost a ochrana zdraví při práci", "law", 8, 4),
    ("K15", "Vedení týmu a motivace", "soft skills", 16, 4),
    ("K16", "Finanční řízení a cash-flow", "finance", 24, 3),
    ("K17", "Prezentační dovednosti", "soft skills", 12, 3),
    (
        "K18",
        "Spolupráce s veřejnou správou",
        "public sector",
        16,
        4,
    ),
    ("K19", "Obchodní vyjednávání", "marketing", 16, 4),
    ("K20", "Inovace a rozvoj produktů", "management", 32, 4),
];

const VENUES: [&str; 8] = [
    "Ostrava, Provozní budova SINEC, Sokolská třída 24",
    "Ostrava, Vzdělávací centrum Nová Karolina",
    "Opava, Obecní dům Opava",
    "Třinec, ERGON Třinec",
    "Frýdek-Místek, Národní dům",
    "Karviná, Regionální centrum",
    "Nový Jičín, Kulturní dům Beseda",
    "Havířov, Kulturní dům Radost",
];

/// DOMAIN.md R2.3: the ORP municipalities of the Moravian-Silesian Region.
const ORP: [&str; 22] = [
    "Bílovec",
    "Bohumín",
    "Bruntál",
    "Český Těšín",
    "Frenštát pod Radhoštěm",
    "Frýdek-Místek",
    "Frýdlant nad Ostravicí",
    "Havířov",
    "Hlučín",
    "Jablunkov",
    "Karviná",
    "Kopřivnice",
    "Kravaře",
    "Krnov",
    "Nový Jičín",
    "Odry",
    "Opava",
    "Orlová",
    "Ostrava",
    "Rýmařov",
    "Třinec",
    "Vítkov",
];
const OTHER_PLACES: [&str; 4] = ["Štramberk", "Fulnek", "Hradec nad Moravicí", "Studénka"];

const GIVEN_F: [&str; 16] = [
    "Jana",
    "Eva",
    "Hana",
    "Lenka",
    "Petra",
    "Lucie",
    "Renata",
    "Martina",
    "Kateřina",
    "Veronika",
    "Alena",
    "Monika",
    "Tereza",
    "Michaela",
    "Zuzana",
    "Markéta",
];
const GIVEN_M: [&str; 16] = [
    "Jan",
    "Petr",
    "Pavel",
    "Martin",
    "Tomáš",
    "Marek",
    "David",
    "Jiří",
    "Josef",
    "Lukáš",
    "Radim",
    "Michal",
    "Ondřej",
    "Vladimír",
    "Karel",
    "Roman",
];
/// Family names, male and female forms.
const FAMILY: [(&str, &str); 24] = [
    ("Novák", "Nováková"),
    ("Dvořák", "Dvořáková"),
    ("Kolář", "Kolářová"),
    ("Pospíšil", "Pospíšilová"),
    ("Foltýn", "Foltýnová"),
    ("Navrátil", "Navrátilová"),
    ("Král", "Králová"),
    ("Šimek", "Šimková"),
    ("Vávra", "Vávrová"),
    ("Marek", "Marková"),
    ("Lasota", "Lasotová"),
    ("Hrubý", "Hrubá"),
    ("Zelený", "Zelená"),
    ("Kubečka", "Kubečková"),
    ("Sikora", "Sikorová"),
    ("Mrózek", "Mrózková"),
    ("Kowalczyk", "Kowalczyková"),
    ("Horák", "Horáková"),
    ("Němec", "Němcová"),
    ("Pokorný", "Pokorná"),
    ("Vlček", "Vlčková"),
    ("Polák", "Poláková"),
    ("Kraus", "Krausová"),
    ("Bílek", "Bílková"),
];
const TITLES: [&str; 4] = ["Mgr.", "Ing.", "Bc.", "PhDr."];

const ORG_A: [&str; 12] = [
    "ERGON",
    "Clear",
    "Naděje",
    "Slezská",
    "Beskydská",
    "Moravská",
    "Sociální",
    "Zelená",
    "Dobrá",
    "Nová",
    "Horní",
    "Ostravská",
];
const ORG_B: [&str; 10] = [
    "servis",
    "dílna",
    "družstvo",
    "pekárna",
    "zahrada",
    "úklid",
    "tiskárna",
    "kavárna",
    "prádelna",
    "řemesla",
];
const LEGAL: [&str; 5] = ["s.r.o.", "z. s.", "z. ú.", "o. p. s.", "družstvo"];

/// Suppliers of invoices: name and IČO (invented, valid check digit).
const SUPPLIERS: [(&str, &str); 10] = [
    ("Alza.cz a.s.", "27082440"),
    ("České dráhy, a.s.", "70994226"),
    ("Tiskárna Kleinwächter, s.r.o.", "07267118"),
    ("Hotel Imperial Ostrava, a.s.", "25386999"),
    ("Catering Slezsko s.r.o.", "28611829"),
    ("Dolní oblast Vítkovice, z. s.", "26810760"),
    ("Tlumočnické centrum Ostrava s.r.o.", "28572238"),
    ("Vzdělávací centrum Nová Karolina s.r.o.", "29387817"),
    ("Papírnictví Pavlík s.r.o.", "45192541"),
    ("DATART INTERNATIONAL, a.s.", "48400874"),
];
const S_ALZA: usize = 0;
const S_CD: usize = 1;
const S_PRINT: usize = 2;
const S_HOTEL: usize = 3;
const S_CATERING: usize = 4;
const S_DOV: usize = 5;
const S_INTERPRET: usize = 6;
const S_ROOMS: usize = 7;
const S_PAPER: usize = 8;
const S_DATART: usize = 9;

/// Entry point of `grantledger gen`.
///
/// # Errors
/// The file cannot be written.
pub fn run(participants: u32, seed: u64, out: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let stats = generate(participants, seed, &mut w)?;
    w.flush()
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "wrote {} events to {} ({} participants, {} over the threshold ({:.1} %), {} runs, {} sessions, {} expenses, {} corrections and voids)",
        stats.events,
        out.display(),
        participants,
        stats.supported,
        100.0 * stats.supported as f64 / f64::from(participants.max(1)),
        stats.runs,
        stats.sessions,
        stats.expenses,
        stats.amendments,
    );
    Ok(())
}

/// What was written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Lines (events) written.
    pub events: u64,
    /// Participants whose support hours exceed 40 (before corrections).
    pub supported: u64,
    /// Course runs.
    pub runs: usize,
    /// Sessions.
    pub sessions: usize,
    /// `expense_recorded` events.
    pub expenses: usize,
    /// `event_corrected` and `event_voided` events.
    pub amendments: u64,
}

// ---------------------------------------------------------------- calendar

/// The days from [`BASE`] to [`LAST`]: text and whether a working day.
struct Cal {
    text: Vec<String>,
    dates: Vec<Date>,
    working: Vec<bool>,
}

impl Cal {
    fn new() -> Cal {
        let dates: Vec<Date> = BASE.series(1.day()).take_while(|d| *d <= LAST).collect();
        Cal {
            text: dates.iter().map(|d| d.to_string()).collect(),
            working: dates.iter().map(|d| is_working_day(*d)).collect(),
            dates,
        }
    }
    fn last(&self) -> Day {
        (self.dates.len() - 1) as Day
    }
    /// The first working day on or after `d`.
    fn working_from(&self, mut d: Day) -> Day {
        while (d as usize) < self.working.len() - 1 && !self.working[d as usize] {
            d += 1;
        }
        d
    }
    /// The last working day on or before `d`.
    fn working_before(&self, mut d: Day) -> Day {
        while d > 0 && !self.working[d as usize] {
            d -= 1;
        }
        d
    }
    fn month_of(&self, d: Day) -> usize {
        let date = self.dates[d as usize];
        month_index(date.year(), date.month())
    }
}

fn day(y: i16, m: i8, d: i8) -> Day {
    (Date::constant(y, m, d) - BASE).get_days() as Day
}

/// Months of the project: 0 = 2016-10 … 23 = 2018-09.
const MONTHS: usize = 24;

fn month_index(y: i16, m: i8) -> usize {
    ((i32::from(y) - 2016) * 12 + i32::from(m) - 10) as usize
}

fn month_ym(i: usize) -> (i16, i8) {
    let n = 2016 * 12 + 9 + i as i32;
    ((n / 12) as i16, (n % 12 + 1) as i8)
}

fn month_text(i: usize) -> String {
    let (y, m) = month_ym(i);
    format!("{y}-{m:02}")
}

fn month_first(i: usize) -> Day {
    let (y, m) = month_ym(i);
    day(y, m, 1)
}

fn month_last(i: usize) -> Day {
    if i + 1 == MONTHS {
        day(2018, 9, 30)
    } else {
        month_first(i + 1) - 1
    }
}

// ------------------------------------------------------------ quantities

/// Hours in hundredths as a decimal string ("6", "6.5", "6.25").
fn hours(c: u32) -> String {
    match c % 100 {
        0 => (c / 100).to_string(),
        r if r % 10 == 0 => format!("{}.{}", c / 100, r / 10),
        r => format!("{}.{r:02}", c / 100),
    }
}

/// Money in haléře as a decimal string with 2 places.
fn czk(h: i64) -> String {
    format!("{}.{:02}", h / 100, h % 100)
}

/// FTE in thousandths as a decimal string.
fn fte(pm: u32) -> String {
    if pm.is_multiple_of(1000) {
        (pm / 1000).to_string()
    } else {
        let s = format!("{}.{:03}", pm / 1000, pm % 1000);
        s.trim_end_matches('0').to_string()
    }
}

/// VAT included in `amount` at `pct` %, rounded to the haléř.
fn vat_of(amount: i64, pct: i64) -> i64 {
    (amount * pct * 2 + (100 + pct)) / ((100 + pct) * 2)
}

/// An 8-digit IČO with a valid mod-11 check digit.
fn ico(rng: &mut ChaCha8Rng) -> String {
    loop {
        let d: Vec<u32> = (0..7).map(|_| rng.random_range(0..10)).collect();
        let sum: u32 = (0..7).map(|i| d[i] * (8 - i as u32)).sum();
        let check = match sum % 11 {
            0 => 1,
            1 => 0,
            r => 11 - r,
        };
        if check < 10 && d[0] != 0 {
            return d
                .iter()
                .chain([check].iter())
                .map(|x| x.to_string())
                .collect();
        }
    }
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, xs: &[T]) -> T {
    xs[rng.random_range(0..xs.len())]
}

// ------------------------------------------------------------------ plan

struct Org {
    id: String,
    name: String,
    ico: String,
    legal_form: &'static str,
    joined: Day,
    rec: Day,
}

struct Run {
    id: String,
    course: usize,
    rec: Day,
    sessions: Vec<Day>,
    session_rec: Vec<Day>,
    venue: usize,
    /// The lecturer's staff index.
    lecturer: usize,
    capacity: usize,
    members: Vec<u32>,
}

struct Enrolment {
    run: u32,
    on: Day,
    rec: Day,
}

struct Internship {
    host: u32,
    start: Day,
    end: Day,
    hours: u32,
    rec: Day,
}

struct Participant {
    entry: Day,
    reg_rec: Day,
    org: u32,
    runs: Vec<Enrolment>,
    internship: Option<Internship>,
    exit: Day,
    exit_rec: Day,
    completed: bool,
}

struct Staff {
    id: String,
    name: String,
    role: &'static str,
    contract: &'static str,
    /// FTE in thousandths (employment, DPČ).
    fte: Option<u32>,
    hourly: Option<i64>,
    monthly: Option<i64>,
    line: usize,
}

struct Entry {
    activity: &'static str,
    description: String,
    hours: u32,
    date: Option<Day>,
}

struct Timesheet {
    staff: usize,
    month: usize,
    entries: Vec<Entry>,
    non_project: u32,
    indirect: u32,
    rec: Day,
    /// May be corrected after the next report (employment and DPČ only).
    correctable: bool,
}

struct Expense {
    line: usize,
    supplier: (String, String),
    document_no: String,
    amount: i64,
    vat: i64,
    tsd: Day,
    paid_on: Option<Day>,
    /// Paid later by `expense_paid`: (paid on, recorded on).
    paid_later: Option<(Day, Day)>,
    description: String,
    activity: &'static str,
    /// Personnel costs: staff index and month index.
    personnel: Option<(usize, usize)>,
    other_funding: Option<&'static str>,
    rec: Day,
    /// A second entry of another expense, voided after the next report.
    duplicate: bool,
}

struct Seminar {
    id: String,
    place: &'static str,
    date: Day,
    rec: Day,
    hours: u32,
    attendees: u32,
}

struct Workshop {
    id: String,
    date: Day,
    rec: Day,
    venue: usize,
    hours: u32,
    attendees: u32,
    duplicate: bool,
}

struct Lecturer {
    staff: usize,
    /// Hours planned per calendar year 2016, 2017, 2018 (hundredths).
    load: [u32; 3],
    busy: BTreeSet<Day>,
    runs: Vec<u32>,
}

struct Plan {
    orgs: Vec<Org>,
    runs: Vec<Run>,
    people: Vec<Participant>,
    staff: Vec<Staff>,
    timesheets: Vec<Timesheet>,
    expenses: Vec<Expense>,
    seminars: Vec<Seminar>,
    workshops: Vec<Workshop>,
    budget: [i64; 10],
    supported_target: u64,
    internships: usize,
}

/// Lecturers' yearly cap used when assigning runs (DPP: 300 h a year, R3.4).
const LECTURER_YEAR_CAP: u32 = 280 * 100;

fn year_slot(cal: &Cal, d: Day) -> usize {
    (cal.dates[d as usize].year() - 2016) as usize
}

/// Hours a lecturer spends on a run: teaching plus preparation (2 h before
/// the first session, 1 h before the others), by session.
fn lecturer_hours(session_len: u32, i: usize) -> u32 {
    session_len + if i == 0 { 200 } else { 100 }
}

fn plan(n: u32, rng: &mut ChaCha8Rng, cal: &Cal) -> Plan {
    let p_start = day(2016, 10, 1);
    let p_end = day(2018, 9, 30);

    // Organisations: 3/4 founding members, the rest joining until April 2018.
    let n_orgs = (n as usize / 2).max(2);
    let late_from = day(2016, 10, 10);
    let late_to = day(2018, 4, 30);
    let mut orgs: Vec<Org> = (0..n_orgs)
        .map(|i| {
            let (joined, rec) = if i < 2 || rng.random_bool(0.75) {
                (p_start, day(2016, 10, 3))
            } else {
                let j = cal.working_from(rng.random_range(late_from..=late_to));
                (j, j + rng.random_range(0..=3))
            };
            let name = format!(
                "{} {} {}",
                pick(rng, &ORG_A),
                pick(rng, &ORG_B),
                pick(rng, &ORP)
            );
            Org {
                id: String::new(),
                name,
                ico: ico(rng),
                legal_form: pick(rng, &LEGAL),
                joined,
                rec,
            }
        })
        .collect();
    orgs.sort_by_key(|o| (o.rec, o.joined));
    for (i, o) in orgs.iter_mut().enumerate() {
        o.id = format!("ORG-{:05}", i + 1);
    }

    // Staff: manager, accountant, coordinators; lecturers are added as runs need them.
    let mut staff = vec![
        Staff {
            id: "ST-0001".into(),
            name: "Jana Králová".into(),
            role: "project_manager",
            contract: "employment",
            fte: Some(600),
            hourly: None,
            monthly: Some(24_000_00),
            line: L_MANAGER,
        },
        Staff {
            id: "ST-0002".into(),
            name: "Petra Zelená".into(),
            role: "accountant",
            contract: "dpc",
            fte: Some(250),
            hourly: None,
            monthly: Some(7_500_00),
            line: L_ACCOUNTANT,
        },
    ];
    let mut name_no = 0usize;
    let mut staff_name = |rng: &mut ChaCha8Rng| {
        // Unique names (a person is identified by name, COMPLIANCE.md).
        let i = name_no;
        name_no += 1;
        let female = rng.random_bool(0.6);
        let title = TITLES[i % TITLES.len()];
        let k = i / TITLES.len();
        let given = if female { GIVEN_F } else { GIVEN_M }[k % GIVEN_F.len()];
        let fam = FAMILY[(k / GIVEN_F.len()) % FAMILY.len()];
        let family = if female { fam.1 } else { fam.0 };
        let extra = k / (GIVEN_F.len() * FAMILY.len());
        if extra == 0 {
            format!("{title} {given} {family}")
        } else {
            format!("{title} {given} {family} ({})", extra + 1)
        }
    };
    let n_coord = (n as usize / 1000).max(1);
    for _ in 0..n_coord {
        let full = rng.random_bool(0.5);
        let pm = if full { 1000 } else { 500 };
        staff.push(Staff {
            id: format!("ST-{:04}", staff.len() + 1),
            name: staff_name(rng),
            role: "coordinator",
            contract: "employment",
            fte: Some(pm),
            hourly: None,
            monthly: Some(i64::from(pm) * 30_000_00 / 1000),
            line: L_COORDINATORS,
        });
    }

    // Participants: entry dates over the first 18 months, in entry order.
    let entry_from = day(2016, 10, 5);
    let entry_to = day(2018, 3, 31);
    let mut entries: Vec<Day> = (0..n)
        .map(|_| cal.working_from(rng.random_range(entry_from..=entry_to)))
        .collect();
    entries.sort_unstable();
    let org_recs: Vec<Day> = orgs.iter().map(|o| o.rec).collect();

    let mut runs: Vec<Run> = Vec::new();
    let mut open: Vec<Vec<u32>> = vec![Vec::new(); COURSES.len()];
    let mut lecturers: Vec<Lecturer> = Vec::new();
    let mut people: Vec<Participant> = Vec::with_capacity(n as usize);
    let mut courses: Vec<usize> = (0..COURSES.len()).collect();
    let mut run_no = [0usize; COURSES.len()];
    let earliest_run_rec = day(2016, 9, 27);
    // How long a participant waits for a run to fill: runs of 8–16 seats fill
    // in days on a big project, in months on a small one.
    let window = (32_000 / n.max(1)).clamp(21, 120) as Day;
    for (pi, &entry) in entries.iter().enumerate() {
        let reg_rec = entry + rng.random_range(0..=2);
        let joined = org_recs.partition_point(|r| *r <= entry).max(1);
        let org = rng.random_range(0..joined) as u32;
        let wanted = match rng.random_range(0..100) {
            0..12 => 1,
            12..36 => 2,
            36..66 => 3,
            66..88 => 4,
            _ => 5,
        };
        courses.shuffle(rng);
        let mut avail = entry + 4;
        let mut mine = Vec::new();
        for &c in courses.iter().take(wanted) {
            let (_, _, _, planned, len) = COURSES[c];
            let n_sessions = (planned / len) as usize;
            // Drop runs that started before anyone still to come could join.
            open[c].retain(|&r| runs[r as usize].sessions[0] >= entry + 4);
            let found = open[c]
                .iter()
                .copied()
                .filter(|&r| {
                    let s = runs[r as usize].sessions[0];
                    s >= avail && s <= avail + window
                })
                .min_by_key(|&r| (runs[r as usize].sessions[0], r));
            let r = match found {
                Some(r) => r,
                None => {
                    let start = cal.working_from(avail + rng.random_range(window / 3..=window));
                    let sessions: Vec<Day> = (0..n_sessions)
                        .map(|j| cal.working_from(start + 7 * j as Day))
                        .collect();
                    let last = *sessions.last().unwrap_or(&start);
                    if last + 2 > p_end {
                        continue;
                    }
                    let rec = (start - rng.random_range(8..=14)).max(earliest_run_rec);
                    let mut session_rec = Vec::with_capacity(n_sessions);
                    let mut prev = 0;
                    for &s in &sessions {
                        prev = (s + rng.random_range(0..=5)).max(prev);
                        session_rec.push(prev);
                    }
                    run_no[c] += 1;
                    let lecturer = assign_lecturer(
                        &mut lecturers,
                        &mut staff,
                        &mut staff_name,
                        cal,
                        &sessions,
                        len * 100,
                        rng,
                    );
                    let id = runs.len() as u32;
                    lecturers[lecturer].runs.push(id);
                    runs.push(Run {
                        id: format!("{}-{}", COURSES[c].0, run_no[c]),
                        course: c,
                        rec,
                        sessions,
                        session_rec,
                        venue: if rng.random_bool(0.5) {
                            0
                        } else {
                            rng.random_range(1..VENUES.len())
                        },
                        lecturer: lecturers[lecturer].staff,
                        capacity: rng.random_range(8..=16),
                        members: Vec::new(),
                    });
                    open[c].push(id);
                    id
                }
            };
            let run = &mut runs[r as usize];
            run.members.push(pi as u32);
            if run.members.len() >= run.capacity {
                open[c].retain(|&x| x != r);
            }
            let start = run.sessions[0];
            let lo = entry.max(run.rec);
            let on = (start - rng.random_range(3..=12)).max(lo);
            let rec = (on + rng.random_range(0..=1))
                .max(reg_rec)
                .max(run.rec)
                .min(start - 1);
            mine.push(Enrolment { run: r, on, rec });
            avail = start + 14;
        }
        people.push(Participant {
            entry,
            reg_rec,
            org,
            runs: mine,
            internship: None,
            exit: 0,
            exit_rec: 0,
            completed: true,
        });
    }

    // Internships (~4 % of those who took a course) and exits.
    let mut internships = 0;
    for p in &mut people {
        let last = p
            .runs
            .iter()
            .map(|e| *runs[e.run as usize].sessions.last().unwrap())
            .max();
        let Some(last) = last else {
            p.completed = false;
            p.exit = (p.entry + rng.random_range(10..=40)).min(p_end);
            p.exit_rec = p.exit + rng.random_range(1..=5);
            continue;
        };
        let mut done = last;
        if rng.random_bool(0.04) {
            let start = cal.working_from(last + rng.random_range(5..=20));
            let days = rng.random_range(2..=5);
            let mut end = start;
            let mut worked = 1;
            while worked < days {
                end = cal.working_from(end + 1);
                worked += 1;
            }
            if end + 5 <= p_end {
                let per_day = if rng.random_bool(0.5) { 8 } else { 6 };
                p.internship = Some(Internship {
                    host: rng.random_range(0..orgs.len()) as u32,
                    start,
                    end,
                    hours: days * per_day * 100,
                    rec: end + rng.random_range(1..=5),
                });
                internships += 1;
                done = end;
            }
        }
        p.exit = (done + rng.random_range(0..=10)).min(p_end);
        p.exit_rec = p.exit + rng.random_range(1..=5);
    }

    // Seminars: each ORP municipality at least once, then more as N grows.
    let n_sem = (n as usize / 40).max(ORP.len());
    let ev_from = day(2016, 10, 10);
    let ev_to = day(2018, 9, 20);
    let mut sem_days: Vec<Day> = (0..n_sem)
        .map(|_| cal.working_from(rng.random_range(ev_from..=ev_to)))
        .collect();
    sem_days.sort_unstable();
    let mut places: Vec<&'static str> = ORP.to_vec();
    places.shuffle(rng);
    while places.len() < n_sem {
        places.push(if rng.random_bool(0.9) {
            pick(rng, &ORP)
        } else {
            pick(rng, &OTHER_PLACES)
        });
    }
    // Spread the first visits over the whole period.
    let mut order: Vec<usize> = (0..n_sem).collect();
    order.shuffle(rng);
    let mut seminar_place = vec![""; n_sem];
    for (k, &i) in order.iter().enumerate() {
        seminar_place[i] = places[k];
    }
    let seminars: Vec<Seminar> = sem_days
        .iter()
        .enumerate()
        .map(|(i, &d)| Seminar {
            id: format!("SEM-{:04}", i + 1),
            place: seminar_place[i],
            date: d,
            rec: d + rng.random_range(1..=7),
            hours: if rng.random_bool(0.7) { 400 } else { 300 },
            attendees: rng.random_range(6..=35),
        })
        .collect();

    // Workshops, and a few entered twice (voided later).
    let n_ws = (n as usize / 60).max(11);
    let mut ws_days: Vec<Day> = (0..n_ws)
        .map(|_| cal.working_from(rng.random_range(ev_from..=ev_to)))
        .collect();
    ws_days.sort_unstable();
    let mut workshops: Vec<Workshop> = ws_days
        .iter()
        .enumerate()
        .map(|(i, &d)| Workshop {
            id: format!("W{:04}", i + 1),
            date: d,
            rec: d + rng.random_range(0..=6),
            venue: rng.random_range(0..VENUES.len()),
            hours: if rng.random_bool(0.8) { 400 } else { 600 },
            attendees: rng.random_range(8..=25),
            duplicate: false,
        })
        .collect();
    for _ in 0..(n_ws / 100).max(1) {
        let o = rng.random_range(0..n_ws);
        let w = &workshops[o];
        let dup = Workshop {
            id: format!("W{:04}", workshops.len() + 1),
            date: w.date,
            rec: w.rec,
            venue: w.venue,
            hours: w.hours,
            attendees: w.attendees,
            duplicate: true,
        };
        workshops.push(dup);
    }

    // Timesheets: lecturers from their sessions, the others every month.
    let mut timesheets: Vec<Timesheet> = Vec::new();
    let mut by_month: BTreeMap<(usize, usize), Vec<Entry>> = BTreeMap::new();
    for (li, l) in lecturers.iter().enumerate() {
        for &r in &l.runs {
            let run = &runs[r as usize];
            let len = COURSES[run.course].4 * 100;
            for (i, &d) in run.sessions.iter().enumerate() {
                let e = by_month.entry((li, cal.month_of(d))).or_default();
                e.push(Entry {
                    activity: KA02,
                    description: format!("Příprava lekce {}-S{}", run.id, i + 1),
                    hours: lecturer_hours(len, i) - len,
                    date: Some(d),
                });
                e.push(Entry {
                    activity: KA02,
                    description: format!("Výuka {}-S{}", run.id, i + 1),
                    hours: len,
                    date: Some(d),
                });
            }
        }
    }
    for ((li, m), mut entries) in by_month {
        entries.sort_by_key(|e| e.date);
        timesheets.push(Timesheet {
            staff: lecturers[li].staff,
            month: m,
            entries,
            non_project: 0,
            indirect: 0,
            rec: month_last(m) + rng.random_range(1..=8),
            correctable: false,
        });
    }
    let accountant_raise = month_index(2018, 1);
    for m in 0..MONTHS {
        let days = (month_first(m)..=month_last(m))
            .filter(|d| cal.working[*d as usize])
            .count() as u32;
        let fund = days * 800;
        for (si, s) in staff.iter().enumerate() {
            let Some(mut pm) = s.fte else { continue };
            if si == 1 && m >= accountant_raise {
                pm = 300;
            }
            let contracted = pm * days * 8 / 10;
            let share = if pm == 1000 {
                rng.random_range(900..=960)
            } else {
                rng.random_range(900..=980)
            };
            let charged = contracted * share / 1000 / 50 * 50;
            let groups: &[(&'static str, &str)] = match s.role {
                "project_manager" => &[
                    (
                        KA01,
                        "Řízení projektu, koordinace týmu, komunikace s ŘO OPZ",
                    ),
                    (KA02, "Organizace běhů kurzů, nábor účastníků"),
                    (KA03, "Příprava seminářů pro obce a workshopů pro podniky"),
                    (KA01, "Monitorovací zprávy a žádosti o platbu"),
                ],
                "accountant" => &[(
                    KA01,
                    "Účetnictví projektu, mzdy, podklady k žádostem o platbu",
                )],
                _ => &[
                    (KA02, "Koordinace běhů kurzů, prezenční listiny"),
                    (KA02, "Komunikace s účastníky a lektory"),
                    (KA05, "Zajištění stáží u členských organizací"),
                ],
            };
            let parts = split(charged, groups.len(), rng);
            let entries = groups
                .iter()
                .zip(parts)
                .filter(|(_, h)| *h > 0)
                .map(|((a, d), h)| Entry {
                    activity: a,
                    description: (*d).to_string(),
                    hours: h,
                    date: None,
                })
                .collect();
            let indirect = (rng.random_range(2..=6) * 100).min(fund - charged);
            timesheets.push(Timesheet {
                staff: si,
                month: m,
                entries,
                non_project: 0,
                indirect,
                rec: month_last(m) + rng.random_range(1..=8),
                correctable: true,
            });
        }
    }
    timesheets.sort_by_key(|t| (t.rec, t.staff, t.month));

    // Expenses.
    let mut expenses: Vec<Expense> = Vec::new();
    let mut doc_no = 0u32;
    let mut doc = |prefix: &str, d: Day, cal: &Cal| {
        doc_no += 1;
        format!("{prefix}-{}-{doc_no:06}", cal.dates[d as usize].year())
    };
    let supplier = |s: usize| (SUPPLIERS[s].0.to_string(), SUPPLIERS[s].1.to_string());
    let pay = |rng: &mut ChaCha8Rng, tsd: Day| -> (Option<Day>, Option<(Day, Day)>, Day) {
        let rec = tsd + rng.random_range(1..=7);
        if rng.random_bool(0.88) {
            (Some((tsd + rng.random_range(3..=21)).min(p_end)), None, rec)
        } else {
            let paid = (tsd + rng.random_range(10..=35)).min(p_end);
            let paid_rec = (paid + rng.random_range(0..=3)).max(rec + 1);
            (None, Some((paid, paid_rec)), rec)
        }
    };
    for t in &timesheets {
        let s = &staff[t.staff];
        let (y, mo) = month_ym(t.month);
        let amount = match (s.hourly, s.monthly) {
            (Some(rate), _) => {
                let h: u32 = t.entries.iter().map(|e| e.hours).sum();
                i64::from(h) * rate / 100
            }
            (None, Some(_)) if t.staff == 1 && t.month >= accountant_raise => 9_000_00,
            (None, Some(monthly)) => monthly,
            (None, None) => 0,
        };
        expenses.push(Expense {
            line: s.line,
            supplier: (BENEFICIARY.0.to_string(), BENEFICIARY.1.to_string()),
            document_no: format!("MZ-{y}-{mo:02}-{}", s.id),
            amount,
            vat: 0,
            tsd: month_last(t.month),
            paid_on: Some(cal.working_before(month_last(t.month))),
            paid_later: None,
            description: format!("Hrubá mzda {} za {y}-{mo:02}", s.name),
            activity: if s.line == L_LECTURERS { KA02 } else { KA01 },
            personnel: Some((t.staff, t.month)),
            other_funding: None,
            rec: t.rec,
            duplicate: false,
        });
    }
    for i in 0..(n as usize / 400).max(2) {
        let tsd = cal.working_from(rng.random_range(day(2016, 10, 3)..=day(2017, 3, 31)));
        let amount = rng.random_range(8_000_00..=60_000_00);
        let (paid_on, paid_later, rec) = pay(rng, tsd);
        let s = if i % 2 == 0 { S_ALZA } else { S_DATART };
        expenses.push(Expense {
            line: L_EQUIPMENT,
            supplier: supplier(s),
            document_no: doc("FV", tsd, cal),
            amount,
            vat: vat_of(amount, 21),
            tsd,
            paid_on,
            paid_later,
            description: pick(
                rng,
                &[
                    "Notebooky pro realizační tým",
                    "Dataprojektor a plátno do učebny",
                    "Multifunkční tiskárna",
                    "Flipcharty a vybavení učebny",
                ],
            )
            .to_string(),
            activity: KA01,
            personnel: None,
            other_funding: None,
            rec,
            duplicate: false,
        });
    }
    for run in &runs {
        let members = run.members.len().max(1) as i64;
        let first = run.sessions[0];
        let last = *run.sessions.last().unwrap();
        // Course materials, printed before the first session.
        let tsd = cal.working_before((first - rng.random_range(1..=5)).max(p_start + 3));
        let tsd = tsd.max(p_start);
        let amount = members * rng.random_range(150_00..=400_00);
        let (paid_on, paid_later, rec) = pay(rng, tsd);
        expenses.push(Expense {
            line: L_COURSES,
            supplier: supplier(if rng.random_bool(0.5) {
                S_PRINT
            } else {
                S_PAPER
            }),
            document_no: doc("FV", tsd, cal),
            amount,
            vat: vat_of(amount, 21),
            tsd,
            paid_on,
            paid_later,
            description: format!("Studijní materiály pro běh {}", run.id),
            activity: KA02,
            personnel: None,
            other_funding: None,
            rec,
            duplicate: false,
        });
        let sessions = run.sessions.len() as i64;
        if run.venue != 0 && rng.random_bool(0.8) {
            let amount = sessions * rng.random_range(1_200_00..=2_800_00);
            let (paid_on, paid_later, rec) = pay(rng, last);
            expenses.push(Expense {
                line: L_COURSES,
                supplier: supplier(if run.venue == 1 { S_ROOMS } else { S_HOTEL }),
                document_no: doc("FV", last, cal),
                amount,
                vat: vat_of(amount, 21),
                tsd: last,
                paid_on,
                paid_later,
                description: format!("Pronájem učebny pro běh {} ({})", run.id, VENUES[run.venue]),
                activity: KA02,
                personnel: None,
                other_funding: None,
                rec,
                duplicate: false,
            });
        }
        if rng.random_bool(0.5) {
            let amount = members * sessions * rng.random_range(40_00..=90_00);
            let (paid_on, paid_later, rec) = pay(rng, last);
            expenses.push(Expense {
                line: L_COURSES,
                supplier: supplier(S_CATERING),
                document_no: doc("FV", last, cal),
                amount,
                vat: vat_of(amount, 15),
                tsd: last,
                paid_on,
                paid_later,
                description: format!("Občerstvení účastníků běhu {}", run.id),
                activity: KA02,
                personnel: None,
                other_funding: None,
                rec,
                duplicate: false,
            });
        }
        // Participants' travel, reimbursed per run.
        for &m in &run.members {
            if !rng.random_bool(0.7) {
                continue;
            }
            let amount = rng.random_range(80_00..=650_00);
            let (paid_on, paid_later, rec) = pay(rng, last);
            expenses.push(Expense {
                line: L_TRAVEL,
                supplier: supplier(S_CD),
                document_no: doc("JD", last, cal),
                amount,
                vat: vat_of(amount, 10),
                tsd: last,
                paid_on,
                paid_later,
                description: format!("Jízdné účastníka P-{:06} na běh {}", m + 1, run.id),
                activity: KA02,
                personnel: None,
                other_funding: None,
                rec,
                duplicate: false,
            });
        }
    }
    for s in &seminars {
        let amount = i64::from(s.attendees) * rng.random_range(120_00..=250_00);
        let (paid_on, paid_later, rec) = pay(rng, s.date);
        expenses.push(Expense {
            line: L_SEMINARS,
            supplier: supplier(S_CATERING),
            document_no: doc("FV", s.date, cal),
            amount,
            vat: vat_of(amount, 15),
            tsd: s.date,
            paid_on,
            paid_later,
            description: format!(
                "Občerstvení a pronájem sálu, seminář {} ({})",
                s.id, s.place
            ),
            activity: KA03,
            personnel: None,
            other_funding: None,
            rec,
            duplicate: false,
        });
    }
    for w in workshops.iter().filter(|w| !w.duplicate) {
        let amount = rng.random_range(6_000_00..=18_000_00);
        let (paid_on, paid_later, rec) = pay(rng, w.date);
        expenses.push(Expense {
            line: L_SEMINARS,
            supplier: supplier(if w.venue == 0 { S_CATERING } else { S_HOTEL }),
            document_no: doc("FV", w.date, cal),
            amount,
            vat: vat_of(amount, 21),
            tsd: w.date,
            paid_on,
            paid_later,
            description: format!("Workshop {} pro podniky: sál a občerstvení", w.id),
            activity: KA03,
            personnel: None,
            other_funding: None,
            rec,
            duplicate: false,
        });
    }
    let konf = day(2017, 9, 22);
    for (s, what, lo, hi) in [
        (
            S_DOV,
            "Pronájem sálu Gong, KONF-2017",
            120_000_00,
            160_000_00,
        ),
        (
            S_CATERING,
            "Catering konference KONF-2017",
            80_000_00,
            120_000_00,
        ),
        (
            S_INTERPRET,
            "Simultánní tlumočení CZ/EN/PL, KONF-2017",
            40_000_00,
            70_000_00,
        ),
        (
            S_HOTEL,
            "Ubytování zahraničních expertů, KONF-2017",
            20_000_00,
            40_000_00,
        ),
        (
            S_PRINT,
            "Sborník a propagační materiály KONF-2017",
            15_000_00,
            30_000_00,
        ),
    ] {
        let amount = rng.random_range(lo..=hi);
        let (paid_on, paid_later, rec) = pay(rng, konf);
        expenses.push(Expense {
            line: L_CONFERENCE,
            supplier: supplier(s),
            document_no: doc("FV", konf, cal),
            amount,
            vat: vat_of(amount, 21),
            tsd: konf,
            paid_on,
            paid_later,
            description: what.to_string(),
            activity: KA04,
            personnel: None,
            other_funding: None,
            rec,
            duplicate: false,
        });
    }
    for p in &people {
        let Some(i) = &p.internship else { continue };
        let host = &orgs[i.host as usize];
        let amount = i64::from(i.hours) * 300;
        let (paid_on, paid_later, rec) = pay(rng, i.end);
        expenses.push(Expense {
            line: L_INTERNSHIPS,
            supplier: (host.name.clone(), host.ico.clone()),
            document_no: doc("ST", i.end, cal),
            amount,
            vat: 0,
            tsd: i.end,
            paid_on,
            paid_later,
            description: format!("Zajištění stáže, {} h", hours(i.hours)),
            activity: KA05,
            personnel: None,
            other_funding: None,
            rec,
            duplicate: false,
        });
    }
    // The office, paid by the region: other funding (a finding, R4.3).
    for tsd in [day(2017, 12, 29), day(2018, 9, 28)] {
        expenses.push(Expense {
            line: L_COURSES,
            supplier: (BENEFICIARY.0.to_string(), BENEFICIARY.1.to_string()),
            document_no: doc("NP", tsd, cal),
            amount: 96_800_00,
            vat: 16_800_00,
            tsd,
            paid_on: Some(tsd),
            paid_later: None,
            description: "Kancelář a učebna Sokolská 24, nájem".into(),
            activity: KA01,
            personnel: None,
            other_funding: Some("Moravskoslezský kraj"),
            rec: tsd + 3,
            duplicate: false,
        });
    }
    // Invoices entered twice by mistake (voided after the next report).
    let invoices = expenses.len();
    for i in 0..invoices {
        let e = &expenses[i];
        if e.personnel.is_some() || e.other_funding.is_some() || e.paid_later.is_some() {
            continue;
        }
        if rng.random_bool(0.004) {
            let dup = Expense {
                line: e.line,
                supplier: e.supplier.clone(),
                document_no: format!("{} ", e.document_no.to_lowercase()),
                amount: e.amount,
                vat: e.vat,
                tsd: e.tsd,
                paid_on: e.paid_on,
                paid_later: None,
                description: e.description.clone(),
                activity: e.activity,
                personnel: None,
                other_funding: None,
                rec: e.rec,
                duplicate: true,
            };
            expenses.push(dup);
        }
    }

    // The budget: what is spent plus a reserve, in whole 10 000 CZK.
    let mut budget = [0i64; 10];
    for e in expenses.iter().filter(|e| !e.duplicate) {
        budget[e.line] += e.amount;
    }
    for b in &mut budget {
        *b = ((*b * 112 / 100) / 10_000_00 + 1) * 10_000_00;
    }

    Plan {
        orgs,
        runs,
        people,
        staff,
        timesheets,
        expenses,
        seminars,
        workshops,
        budget,
        supported_target: (u64::from(n) * 6).div_ceil(10),
        internships,
    }
}

/// Splits `total` hundredths (a multiple of 50) into `parts` multiples of 50.
fn split(total: u32, parts: usize, rng: &mut ChaCha8Rng) -> Vec<u32> {
    let units = total / 50;
    let weights: Vec<u32> = (0..parts).map(|_| rng.random_range(2..=10)).collect();
    let sum: u32 = weights.iter().sum();
    let mut out: Vec<u32> = weights.iter().map(|w| units * w / sum * 50).collect();
    let given: u32 = out.iter().sum();
    out[0] += total - given;
    out
}

/// Picks (or hires) a DPP lecturer free on every session day and under the
/// yearly cap; returns the lecturer's index.
fn assign_lecturer(
    lecturers: &mut Vec<Lecturer>,
    staff: &mut Vec<Staff>,
    staff_name: &mut impl FnMut(&mut ChaCha8Rng) -> String,
    cal: &Cal,
    sessions: &[Day],
    len: u32,
    rng: &mut ChaCha8Rng,
) -> usize {
    let mut need = [0u32; 3];
    for (i, &d) in sessions.iter().enumerate() {
        need[year_slot(cal, d)] += lecturer_hours(len, i);
    }
    let fits = |l: &Lecturer| {
        (0..3).all(|y| l.load[y] + need[y] <= LECTURER_YEAR_CAP)
            && sessions.iter().all(|d| !l.busy.contains(d))
    };
    let y0 = year_slot(cal, sessions[0]);
    let chosen = lecturers
        .iter()
        .enumerate()
        .filter(|(_, l)| fits(l))
        .min_by_key(|(i, l)| (l.load[y0], *i))
        .map(|(i, _)| i);
    let li = match chosen {
        Some(i) => i,
        None => {
            staff.push(Staff {
                id: format!("ST-{:04}", staff.len() + 1),
                name: staff_name(rng),
                role: "lecturer",
                contract: "dpp",
                fte: None,
                hourly: Some(rng.random_range(30..=45) * 10_00),
                monthly: None,
                line: L_LECTURERS,
            });
            lecturers.push(Lecturer {
                staff: staff.len() - 1,
                load: [0; 3],
                busy: BTreeSet::new(),
                runs: Vec::new(),
            });
            lecturers.len() - 1
        }
    };
    let l = &mut lecturers[li];
    for (load, need) in l.load.iter_mut().zip(need) {
        *load += need;
    }
    l.busy.extend(sessions.iter().copied());
    li
}

// ------------------------------------------------------------------ emit

/// Events of one day, written when the day is complete so that their record
/// times can be spread over the working day.
struct Out<'w, W: Write> {
    w: &'w mut W,
    ns: Uuid,
    line: u64,
    day: Vec<(&'static str, &'static str, Uuid, Value)>,
    kinds: BTreeMap<&'static str, u64>,
}

impl<W: Write> Out<'_, W> {
    fn push(&mut self, kind: &'static str, actor: &'static str, data: Value) -> Uuid {
        self.line += 1;
        let id = Uuid::new_v5(&self.ns, format!("event/{}", self.line).as_bytes());
        self.day.push((kind, actor, id, data));
        *self.kinds.entry(kind).or_default() += 1;
        id
    }

    /// Writes the day's events, recorded from 07:00 to 19:00 UTC.
    fn flush(&mut self, date: &str) -> std::io::Result<()> {
        let n = self.day.len() as u64;
        for (i, (kind, actor, id, data)) in self.day.drain(..).enumerate() {
            let t = 7 * 3600 + i as u64 * 12 * 3600 / n.max(1);
            write!(
                self.w,
                "{{\"event_id\":\"{id}\",\"recorded_at\":\"{date}T{:02}:{:02}:{:02}Z\",\"actor\":\"{actor}\",\"kind\":\"{kind}\",\"data\":",
                t / 3600,
                t / 60 % 60,
                t % 60
            )?;
            serde_json::to_writer(&mut *self.w, &data)?;
            self.w.write_all(b"}\n")?;
        }
        Ok(())
    }
}

/// A correction or void waiting for the report after its target.
struct Amendment {
    target: Uuid,
    /// `Some((kind, data))` for a correction, `None` for a void.
    replacement: Option<(&'static str, Value)>,
    reason: String,
}

/// Per-day lists of plan indices, one per category.
struct Buckets(Vec<Vec<u32>>);

impl Buckets {
    fn new(days: usize) -> Buckets {
        Buckets(vec![Vec::new(); days])
    }
    fn add(&mut self, d: Day, i: usize) {
        self.0[d as usize].push(i as u32);
    }
    fn take(&mut self, d: Day) -> Vec<u32> {
        std::mem::take(&mut self.0[d as usize])
    }
}

/// Writes the project for `n` participants and `seed` to `w`.
///
/// # Errors
/// Writing fails.
pub fn generate(n: u32, seed: u64, w: &mut impl Write) -> anyhow::Result<Stats> {
    let cal = Cal::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let plan = plan(n, &mut rng, &cal);
    let ns = Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("urn:grantledger:gen:seed:{seed}").as_bytes(),
    );
    let pid = |i: usize| Uuid::new_v5(&ns, format!("participant/{i}").as_bytes());
    let eid = |i: usize| Uuid::new_v5(&ns, format!("expense/{i}").as_bytes());

    let days = cal.dates.len();
    let mut orgs = Buckets::new(days);
    for (i, o) in plan.orgs.iter().enumerate() {
        orgs.add(o.rec, i);
    }
    let mut runs = Buckets::new(days);
    let mut sessions = Buckets::new(days);
    let mut n_sessions = 0;
    for (i, r) in plan.runs.iter().enumerate() {
        runs.add(r.rec, i);
        for (j, &d) in r.session_rec.iter().enumerate() {
            // Run index and session number packed together.
            sessions.add(d, i * 64 + j);
            n_sessions += 1;
        }
    }
    let mut regs = Buckets::new(days);
    let mut enrols = Buckets::new(days);
    let mut interns = Buckets::new(days);
    let mut exits = Buckets::new(days);
    for (i, p) in plan.people.iter().enumerate() {
        regs.add(p.reg_rec, i);
        for (k, e) in p.runs.iter().enumerate() {
            enrols.add(e.rec, i * 8 + k);
        }
        if let Some(x) = &p.internship {
            interns.add(x.rec, i);
        }
        exits.add(p.exit_rec, i);
    }
    let mut sems = Buckets::new(days);
    for (i, s) in plan.seminars.iter().enumerate() {
        sems.add(s.rec, i);
    }
    let mut wss = Buckets::new(days);
    for (i, s) in plan.workshops.iter().enumerate() {
        wss.add(s.rec, i);
    }
    let mut sheets = Buckets::new(days);
    for (i, t) in plan.timesheets.iter().enumerate() {
        sheets.add(t.rec, i);
    }
    let mut exps = Buckets::new(days);
    let mut paid = Buckets::new(days);
    for (i, e) in plan.expenses.iter().enumerate() {
        exps.add(e.rec, i);
        if let Some((_, rec)) = e.paid_later {
            paid.add(rec, i);
        }
    }
    let mut amend: Vec<Vec<Amendment>> = (0..days).map(|_| Vec::new()).collect();
    let mut pending: Vec<Amendment> = Vec::new();
    let mut support = vec![0u32; n as usize];

    let reports: [(u32, Day); 4] = [
        (1, day(2017, 4, 20)),
        (2, day(2017, 10, 16)),
        (3, day(2018, 4, 17)),
        (4, day(2018, 10, 15)),
    ];
    let p_start = day(2016, 10, 1);
    let p_end = day(2018, 9, 30);
    let mut out = Out {
        w,
        ns,
        line: 0,
        day: Vec::new(),
        kinds: BTreeMap::new(),
    };
    let d = |x: Day| cal.text[x as usize].as_str();

    for today in day(2016, 9, 20)..=cal.last() {
        if today == day(2016, 9, 20) {
            out.push("project_defined", ACTOR, project(&plan, n));
        }
        for i in orgs.take(today) {
            let o = &plan.orgs[i as usize];
            out.push(
                "organization_joined",
                ACTOR,
                json!({"organization_id": o.id, "name": o.name, "ico": o.ico,
                       "legal_form": o.legal_form, "joined_on": d(o.joined)}),
            );
        }
        if today == day(2016, 10, 3) {
            for s in &plan.staff {
                let mut v = json!({"staff_id": s.id, "name": s.name, "role": s.role,
                    "contract": s.contract, "start": d(p_start), "end": d(p_end)});
                if let Some(f) = s.fte {
                    v["fte"] = json!(fte(f));
                }
                if let Some(r) = s.hourly {
                    v["hourly_rate"] = json!(czk(r));
                }
                if let Some(m) = s.monthly {
                    v["monthly_salary"] = json!(czk(m));
                }
                out.push("staff_contracted", ACTOR, v);
            }
        }
        if today == day(2017, 12, 20) {
            out.push(
                "staff_contract_amended",
                ACTOR,
                json!({"staff_id": plan.staff[1].id, "effective_from": "2018-01-01",
                       "fte": "0.3", "monthly_salary": "9000.00"}),
            );
        }
        if today == day(2016, 9, 26) {
            for (id, title, topic, planned, _) in COURSES {
                out.push(
                    "course_defined",
                    ACTOR,
                    json!({"course_id": id, "title": title, "topic": topic,
                           "planned_hours": hours(planned * 100)}),
                );
            }
        }
        for i in runs.take(today) {
            let r = &plan.runs[i as usize];
            out.push(
                "course_run_scheduled",
                ACTOR,
                json!({"run_id": r.id, "course_id": COURSES[r.course].0,
                       "start": d(r.sessions[0]), "end": d(*r.sessions.last().unwrap()),
                       "venue": VENUES[r.venue], "lecturer": plan.staff[r.lecturer].name}),
            );
        }
        for i in regs.take(today) {
            let p = &plan.people[i as usize];
            let female = rng.random_bool(0.58);
            let fam = pick(&mut rng, &FAMILY);
            let entry = cal.dates[p.entry as usize];
            let birth = Date::new(
                entry.year() - rng.random_range(20..=62),
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            )?;
            let mut dis = Vec::new();
            if rng.random_bool(0.12) {
                dis.push("disability");
            }
            if rng.random_bool(0.04) {
                dis.push("migrant_minority");
            }
            if rng.random_bool(0.03) {
                dis.push("other");
            }
            let isced = match rng.random_range(0..100) {
                0..5 => 2,
                5..40 => 3,
                40..50 => 4,
                50..55 => 5,
                55..80 => 6,
                80..98 => 7,
                _ => 8,
            };
            out.push(
                "participant_registered",
                ACTOR,
                json!({"participant_id": pid(i as usize),
                       "given_name": if female { pick(&mut rng, &GIVEN_F) } else { pick(&mut rng, &GIVEN_M) },
                       "family_name": if female { fam.1 } else { fam.0 },
                       "birth_date": birth.to_string(),
                       "gender": if female { "female" } else { "male" },
                       "education_isced": isced,
                       "labour_status": if rng.random_bool(0.92) { "employed" } else { "self_employed" },
                       "disadvantages": dis,
                       "organization_id": plan.orgs[p.org as usize].id,
                       "entry_date": d(p.entry)}),
            );
        }
        for i in enrols.take(today) {
            let (pi, k) = (i as usize / 8, i as usize % 8);
            let e = &plan.people[pi].runs[k];
            out.push(
                "participant_enrolled",
                ACTOR,
                json!({"participant_id": pid(pi), "run_id": plan.runs[e.run as usize].id,
                       "enrolled_on": d(e.on)}),
            );
        }
        for i in sessions.take(today) {
            let (ri, j) = (i as usize / 64, i as usize % 64);
            let r = &plan.runs[ri];
            let len = COURSES[r.course].4 * 100;
            let sid = format!("{}-S{}", r.id, j + 1);
            out.push(
                "session_held",
                ACTOR,
                json!({"session_id": sid, "run_id": r.id, "date": d(r.sessions[j]), "hours": hours(len)}),
            );
            let sheet = format!("PL-{sid}");
            for &m in &r.members {
                if !rng.random_bool(0.93) {
                    continue;
                }
                let h = if rng.random_bool(0.85) {
                    len
                } else {
                    len.saturating_sub(rng.random_range(1..=4) * 50).max(50)
                };
                support[m as usize] += h;
                let data = json!({"participant_id": pid(m as usize), "session_id": sid,
                                  "hours": hours(h), "sheet_ref": sheet});
                let id = out.push("attendance_recorded", ASSISTANT, data);
                if rng.random_bool(0.011) {
                    let new = if h == len {
                        len - rng.random_range(1..=4) * 50
                    } else {
                        len
                    };
                    pending.push(Amendment {
                        target: id,
                        replacement: Some((
                            "attendance_recorded",
                            json!({"participant_id": pid(m as usize), "session_id": sid,
                                   "hours": hours(new), "sheet_ref": sheet}),
                        )),
                        reason: format!(
                            "Kontrola prezenční listiny {sheet}: účastník byl přítomen {} h, při přepisu uvedeno {} h.",
                            hours(new),
                            hours(h)
                        ),
                    });
                }
            }
        }
        for i in interns.take(today) {
            let p = &plan.people[i as usize];
            let x = p.internship.as_ref().expect("bucketed internships exist");
            let host = &plan.orgs[x.host as usize];
            support[i as usize] += x.hours;
            out.push(
                "internship_completed",
                ACTOR,
                json!({"participant_id": pid(i as usize), "host": {"name": host.name, "ico": host.ico},
                       "start": d(x.start), "end": d(x.end), "hours": hours(x.hours)}),
            );
        }
        for i in exits.take(today) {
            let p = &plan.people[i as usize];
            out.push(
                "participant_exited",
                ACTOR,
                json!({"participant_id": pid(i as usize), "exit_date": d(p.exit),
                       "exit_status": if p.completed { "completed" } else { "left_early" }}),
            );
        }
        for i in sems.take(today) {
            let s = &plan.seminars[i as usize];
            out.push(
                "seminar_held",
                ACTOR,
                json!({"seminar_id": s.id, "municipality": s.place, "date": d(s.date),
                       "hours": hours(s.hours), "attendees": s.attendees}),
            );
        }
        for i in wss.take(today) {
            let s = &plan.workshops[i as usize];
            let id = out.push(
                "workshop_held",
                ACTOR,
                json!({"workshop_id": s.id, "date": d(s.date), "venue": VENUES[s.venue],
                       "hours": hours(s.hours), "attendees": s.attendees}),
            );
            if s.duplicate {
                pending.push(Amendment {
                    target: id,
                    replacement: None,
                    reason: format!(
                        "Workshop {} je druhý zápis téhož workshopu ze dne {}; duplicitní záznam se ruší.",
                        s.id,
                        d(s.date)
                    ),
                });
            }
        }
        if today == day(2017, 9, 27) {
            out.push(
                "conference_held",
                ACTOR,
                json!({"conference_id": "KONF-2017", "start": "2017-09-21", "end": "2017-09-22",
                       "venue": "Ostrava, Dolní oblast Vítkovice, Gong",
                       "attendees": 94 + n / 50,
                       "foreign_experts": [{"country": "SK"}, {"country": "SK"}, {"country": "PL"},
                                           {"country": "AT"}, {"country": "DE"}]}),
            );
        }
        for i in sheets.take(today) {
            let t = &plan.timesheets[i as usize];
            let entries: Vec<Value> = t
                .entries
                .iter()
                .map(|e| {
                    let mut v = json!({"activity": e.activity, "description": e.description,
                                       "hours": hours(e.hours)});
                    if let Some(x) = e.date {
                        v["date"] = json!(d(x));
                    }
                    v
                })
                .collect();
            let data = json!({"staff_id": plan.staff[t.staff].id, "month": month_text(t.month),
                              "entries": entries, "non_project_hours": hours(t.non_project),
                              "indirect_hours": hours(t.indirect)});
            let fix = t.correctable
                && !t.entries.is_empty()
                && t.entries[0].hours > 250
                && rng.random_bool(0.03);
            let old = t.entries.first().map_or(0, |e| e.hours);
            let replacement = fix.then(|| {
                let mut v = data.clone();
                let new = old - rng.random_range(1..=4) * 50;
                v["entries"][0]["hours"] = json!(hours(new));
                (v, new)
            });
            let id = out.push("timesheet_filed", ACCOUNTANT, data);
            if let Some((v, new)) = replacement {
                pending.push(Amendment {
                    target: id,
                    replacement: Some(("timesheet_filed", v)),
                    reason: format!(
                        "Oprava výkazu {} za {}: {} místo {} h u činnosti {} (chyba při přepisu).",
                        plan.staff[t.staff].id,
                        month_text(t.month),
                        hours(new),
                        hours(old),
                        t.entries[0].activity
                    ),
                });
            }
        }
        for i in exps.take(today) {
            let i = i as usize;
            let e = &plan.expenses[i];
            let mut v = json!({"expense_id": eid(i), "document_no": e.document_no,
                "supplier": {"name": e.supplier.0, "ico": e.supplier.1},
                "budget_line": LINES[e.line].0, "activity": e.activity,
                "amount": czk(e.amount), "vat": czk(e.vat),
                "taxable_supply_date": d(e.tsd), "description": e.description});
            if let Some(p) = e.paid_on {
                v["paid_on"] = json!(d(p));
            }
            if let Some(f) = e.other_funding {
                v["other_funding"] = json!(f);
            }
            if let Some((s, m)) = e.personnel {
                v["staff_id"] = json!(plan.staff[s].id);
                v["month"] = json!(month_text(m));
            } else {
                let mut h = [0u8; 32];
                rng.fill(&mut h);
                v["evidence_sha256"] = json!(hex::encode(h));
            }
            let fix = !e.duplicate
                && e.personnel.is_none()
                && e.other_funding.is_none()
                && rng.random_bool(0.015);
            let replacement = fix.then(|| {
                let mut r = v.clone();
                let new = (e.amount * rng.random_range(900..=1100) / 1000).max(100);
                r["amount"] = json!(czk(new));
                r["vat"] = json!(czk(e.vat * new / e.amount));
                (r, new)
            });
            let id = out.push("expense_recorded", ACCOUNTANT, v);
            if let Some((r, new)) = replacement {
                pending.push(Amendment {
                    target: id,
                    replacement: Some(("expense_recorded", r)),
                    reason: format!(
                        "Částka dokladu {} opravena podle originálu faktury: {} CZK místo {} CZK.",
                        e.document_no,
                        czk(new),
                        czk(e.amount)
                    ),
                });
            }
            if e.duplicate {
                pending.push(Amendment {
                    target: id,
                    replacement: None,
                    reason: format!(
                        "Doklad {} byl zaevidován dvakrát; duplicitní záznam se ruší.",
                        e.document_no.trim()
                    ),
                });
            }
        }
        for i in paid.take(today) {
            let e = &plan.expenses[i as usize];
            let (on, _) = e.paid_later.expect("bucketed payments exist");
            out.push(
                "expense_paid",
                ACCOUNTANT,
                json!({"expense_id": eid(i as usize), "paid_on": d(on)}),
            );
        }
        for a in std::mem::take(&mut amend[today as usize]) {
            match a.replacement {
                Some((kind, data)) => out.push(
                    "event_corrected",
                    ACTOR,
                    json!({"target_event_id": a.target,
                           "replacement": {"kind": kind, "data": data}, "reason": a.reason}),
                ),
                None => out.push(
                    "event_voided",
                    ACTOR,
                    json!({"target_event_id": a.target, "reason": a.reason}),
                ),
            };
        }
        if let Some(&(no, _)) = reports.iter().find(|(_, r)| *r == today) {
            let at_seq = out.line;
            out.push(
                "report_submitted",
                ACTOR,
                json!({"period_no": no, "submitted_on": d(today), "at_seq": at_seq}),
            );
            // What this report showed is corrected in the weeks after it.
            let span = if no == 4 { cal.last() - today } else { 45 };
            for a in pending.drain(..) {
                let when = cal
                    .working_from(today + rng.random_range(1..=span))
                    .min(cal.last());
                amend[when as usize].push(a);
            }
        }
        out.flush(d(today))?;
    }
    let supported = support.iter().filter(|h| **h > 4000).count() as u64;
    let amendments = out.kinds.get("event_corrected").copied().unwrap_or(0)
        + out.kinds.get("event_voided").copied().unwrap_or(0);
    Ok(Stats {
        events: out.line,
        supported,
        runs: plan.runs.len(),
        sessions: n_sessions,
        expenses: plan.expenses.len(),
        amendments,
    })
}

/// The `project_defined` event: SINEC's definition with targets and budget scaled to the plan.
fn project(plan: &Plan, n: u32) -> Value {
    let seminars_and_workshops =
        plan.seminars.len() + plan.workshops.iter().filter(|w| !w.duplicate).count();
    let runs_target = (plan.runs.len() * 95 / 100).max(1);
    json!({
        "project_id": format!("CZ.03.2.63/0.0/0.0/99_041/G{n:07}"),
        "name": format!("Stabilizace Klastru sociálních inovací a podniků SINEC a podpora jeho členů (generovaný projekt, {n} účastníků)"),
        "beneficiary": {"name": BENEFICIARY.0, "ico": BENEFICIARY.1},
        "period": {"start": "2016-10-01", "end": "2018-09-30"},
        "timezone": "Europe/Prague",
        "support_threshold_hours": "40",
        "indicators": [
            {"code": "6 00 00", "name": "Celkový počet účastníků", "unit": "persons",
             "target": plan.supported_target.to_string(), "measure": "supported_persons"},
            {"code": "P-KURZ-DRUH", "name": "Počet realizovaných druhů kurzů", "unit": "course types",
             "target": "20", "measure": "course_types_held"},
            {"code": "P-KURZ-BEH", "name": "Počet realizovaných běhů kurzů", "unit": "runs",
             "target": runs_target.to_string(), "measure": "course_runs_held"},
            {"code": "P-SEM-OBCE", "name": "Počet obcí s rozšířenou působností a statutárních měst kraje zasažených semináři",
             "unit": "municipalities", "target": "22", "measure": "municipalities_reached",
             "municipalities": ORP},
            {"code": "P-SEM-WS", "name": "Počet seminářů pro veřejnou správu a workshopů pro podniky",
             "unit": "events", "target": seminars_and_workshops.to_string(),
             "measure": "seminars_and_workshops_held"},
            {"code": "P-KONF", "name": "Počet mezinárodních konferencí", "unit": "conferences",
             "target": "1", "measure": "conferences_held"},
            {"code": "P-STAZ", "name": "Počet absolvovaných stáží", "unit": "internships",
             "target": plan.internships.max(1).to_string(), "measure": "internships_completed"},
            {"code": "P-MAN-FTE", "name": "Úvazek manažera projektu", "unit": "FTE", "target": "0.6",
             "measure": "staff_fte", "role": "project_manager"},
        ],
        "budget_lines": LINES.iter().zip(plan.budget.iter()).map(|((code, name, personnel), amount)| {
            let mut v = json!({"code": code, "name": name, "amount": czk(*amount)});
            if *personnel {
                v["personnel"] = json!(true);
            }
            v
        }).collect::<Vec<_>>(),
        "indirect_cost_rate_pct": "25",
        "monitoring_periods": [
            {"no": 1, "start": "2016-10-01", "end": "2017-03-31", "final": false},
            {"no": 2, "start": "2017-04-01", "end": "2017-09-30", "final": false},
            {"no": 3, "start": "2017-10-01", "end": "2018-03-31", "final": false},
            {"no": 4, "start": "2018-04-01", "end": "2018-09-30", "final": true},
        ],
    })
}
