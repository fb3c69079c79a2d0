//! Reports from the demo data: figures equal the independent expected ones,
//! byte-identical output from the same prefix (also on a copy of the data
//! directory), the submitted report reproduced from its marker's at_seq, and
//! the corrections report naming the fixture's corrections with their reasons.

use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::support::{bin, copy_dir, fixture_path, Server};

fn expected(name: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(fixture_path(&format!("fixtures/expected/{name}"))).unwrap(),
    )
    .unwrap()
}

fn get_bytes(s: &Server, path: &str) -> (u16, String, Vec<u8>) {
    let r = s.client.get(format!("{}{path}", s.base)).send().unwrap();
    let status = r.status().as_u16();
    let sha = r
        .headers()
        .get("x-report-body-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, sha, r.bytes().unwrap().to_vec())
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn period_reports_state_the_independently_computed_figures() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let ind = expected("indicators.json");
    let fin = expected("findings.json");
    for no in 1..=4u64 {
        let (status, _, body) = get_bytes(&s, &format!("/api/v1/reports/period/{no}"));
        assert_eq!(status, 200);
        let report: Value = serde_json::from_slice(&body).unwrap();
        let end = report["period"]["end"].as_str().unwrap().to_string();
        // cumulative indicators = the expected figures at the period end, at the head
        let case = ind["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["as_of"] == end.as_str() && c["at_seq"] == ind["head_seq"])
            .unwrap();
        for row in report["indicators"].as_array().unwrap() {
            let want = &case["indicators"][row["code"].as_str().unwrap()];
            assert_eq!(
                row["cumulative"], want["value"],
                "period {no} {}",
                row["code"]
            );
            if let Some(g) = want.get("by_gender") {
                assert_eq!(row["by_gender"]["cumulative"], *g);
            }
        }
        // budget totals = the expected ones
        let bcase = fin["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["as_of"] == end.as_str() && c["at_seq"] == fin["head_seq"])
            .unwrap();
        assert_eq!(
            report["budget_summary"]["direct"], bcase["budget"]["direct_eligible"],
            "period {no}"
        );
        assert_eq!(
            report["budget_summary"]["indirect"],
            bcase["budget"]["indirect"]
        );
        assert_eq!(
            report["budget_summary"]["total"],
            bcase["budget"]["total_eligible"]
        );
        // the period's indicator value is cumulative minus the previous period end's
        if no > 1 {
            let prev_end = ind["cases"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| {
                    c["at_seq"] == ind["head_seq"] && c["as_of"].as_str().unwrap() < end.as_str()
                })
                .map(|c| c["as_of"].as_str().unwrap().to_string())
                .max()
                .unwrap();
            let prev = ind["cases"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["as_of"] == prev_end.as_str() && c["at_seq"] == ind["head_seq"])
                .unwrap();
            let runs = report["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["code"] == "P-KURZ-BEH")
                .unwrap();
            assert_eq!(
                runs["period"].as_u64().unwrap(),
                case["indicators"]["P-KURZ-BEH"]["value"].as_u64().unwrap()
                    - prev["indicators"]["P-KURZ-BEH"]["value"].as_u64().unwrap()
            );
        }
        assert!(report["period"]["due_date"].as_str().unwrap() > end.as_str());
    }
}

#[test]
fn the_same_prefix_gives_the_same_bytes_in_every_format_also_on_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &["--demo"]);
    let head = s.head_seq();
    let mut first = Vec::new();
    for format in ["json", "csv", "xlsx", "html"] {
        let path = format!("/api/v1/reports/period/2?format={format}&at_seq={head}");
        let (status, body_sha, a) = get_bytes(&s, &path);
        assert_eq!(status, 200, "{format}");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let (_, body_sha2, b) = get_bytes(&s, &path);
        assert_eq!(sha(&a), sha(&b), "{format} twice");
        assert_eq!(body_sha, body_sha2);
        first.push((format, sha(&a), body_sha));
    }
    // every format carries the same body hash
    assert!(first.iter().all(|(_, _, b)| *b == first[0].2));
    s.stop();
    // a copy of the data directory, offline through the CLI
    let copy = dir.path().join("copy");
    copy_dir(&data, &copy);
    for (format, want, _) in &first {
        let out = dir.path().join(format!("p2.{format}"));
        let o = Command::new(bin())
            .args([
                "report",
                "period",
                "2",
                "--format",
                format,
                "--at-seq",
                &head.to_string(),
                "--data-dir",
            ])
            .arg(&copy)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            &sha(&std::fs::read(&out).unwrap()),
            want,
            "{format} from the copy"
        );
    }
}

#[test]
fn the_report_at_its_markers_at_seq_is_the_one_submitted_and_the_corrections_report_names_the_fixes(
) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let ind = expected("indicators.json");
    // the period-1 report as submitted
    let (_, page) = s.get("/api/v1/events?from_seq=1&limit=1000");
    let marker = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "report_submitted" && e["data"]["period_no"] == 1)
        .unwrap()
        .clone();
    let at = marker["data"]["at_seq"].as_u64().unwrap();
    let (_, _, body) = get_bytes(&s, &format!("/api/v1/reports/period/1?at_seq={at}"));
    let submitted: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(submitted["manifest"]["at_seq"], at);
    let case = ind["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["at_seq"] == at && c["as_of"] == "2017-03-31")
        .unwrap();
    for row in submitted["indicators"].as_array().unwrap() {
        assert_eq!(
            row["cumulative"],
            case["indicators"][row["code"].as_str().unwrap()]["value"],
            "{}",
            row["code"]
        );
    }
    // the pinned checkpoint names the same log position
    let pinned = marker["data"]["checkpoint"].as_str().unwrap();
    assert_eq!(pinned.lines().nth(1).unwrap(), at.to_string());

    // the corrections report of period 1 lists the fixture's post-report fixes of period 1 with their reasons
    let (status, _, body) = get_bytes(&s, "/api/v1/reports/corrections?period_no=1");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let corr: Value = serde_json::from_slice(&body).unwrap();
    let fixes: Vec<u64> = ind["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["period_no"] == 1)
        .map(|c| c["seq"].as_u64().unwrap())
        .collect();
    let listed: Vec<u64> = corr["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_u64().unwrap())
        .collect();
    for f in &fixes {
        assert!(listed.contains(f), "correction {f} listed in {listed:?}");
    }
    assert!(corr["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["reason"].as_str().is_some_and(|r| !r.is_empty())));
    // each indicator change the fixture documents is a change with the event behind it
    for fix in ind["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["period_no"] == 1)
    {
        for (code, _) in fix["changed"].as_object().unwrap() {
            let change = corr["changes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| {
                    c["section"] == "indicators"
                        && c["key"] == code.as_str()
                        && c["field"] == "cumulative"
                })
                .unwrap_or_else(|| panic!("no change of {code}"));
            assert!(
                change["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["seq"] == fix["seq"]),
                "{code}: {change}"
            );
        }
    }
    let (status, problem) = s.get("/api/v1/reports/corrections?period_no=9");
    assert_eq!(status, 404, "{problem}");
}

#[test]
fn explain_lists_the_events_behind_a_figure_and_the_series_has_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let (status, e) = s.get("/api/v1/explain?indicator=P-KONF&as_of=2018-09-30");
    assert_eq!(status, 200, "{e}");
    let events = e["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "conference_held");
    assert!(
        events[0]["hash"].as_str().unwrap().len() == 64
            && events[0]["recorded_at"].is_string()
            && events[0]["actor"].is_string()
    );
    assert_eq!(events[0]["valid_date"], "2017-09-22");
    // a corrected figure shows its correction
    let ind = expected("indicators.json");
    let fix = ind["corrections"][1]["seq"].as_u64().unwrap();
    let (_, page) = s.get(&format!("/api/v1/events?from_seq={fix}&limit=1"));
    let target = page["events"][0]["data"]["target_event_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, ev) = s.get(&format!("/api/v1/events/{target}"));
    let pid = ev["event"]["data"]["participant_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, ex) = s.get(&format!(
        "/api/v1/explain?participant={pid}&as_of=2018-09-30"
    ));
    let corrected = ex["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["event_id"] == target.as_str())
        .unwrap();
    assert_eq!(corrected["corrected_by"], serde_json::json!([fix]));
    assert!(ex["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["seq"] == fix && x["kind"] == "event_corrected"));

    let (status, series) =
        s.get("/api/v1/indicators/series?from=2016-10-01&to=2018-09-30&step=month");
    assert_eq!(status, 200);
    let points = series["series"].as_array().unwrap();
    assert_eq!(points.len(), 24);
    assert_eq!(points[23]["values"]["P-KURZ-BEH"], 28);
    let (_, daily) = s.get("/api/v1/indicators/series?from=2017-03-01&to=2017-03-31&step=day");
    assert_eq!(daily["series"].as_array().unwrap().len(), 31);
    assert_eq!(
        daily["manifest"]["as_of"], "2017-03-31",
        "a series' manifest is as of its last step"
    );
    let (status, problem) = s.get("/api/v1/explain?indicator=P-KONF&participant=x");
    assert_eq!(status, 400, "{problem}");
}

/// A figure standing on many events is explained page by page: `seqs` lists
/// every one, `events` those of the page, `next_from_seq` the next page.
#[test]
fn explain_pages_the_events_of_a_large_figure() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let (status, all) = s.get("/api/v1/explain?indicator=6 00 00&as_of=2018-09-30");
    assert_eq!(status, 200, "{all}");
    let seqs: Vec<u64> = all["seqs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert!(seqs.len() > 3, "{} seqs", seqs.len());
    assert_eq!(all["events"].as_array().unwrap().len(), seqs.len());
    assert_eq!(all["next_from_seq"], Value::Null);
    // pages of 2: the same events, in order, and the same `seqs` on each
    let mut from = 1;
    let mut paged = Vec::new();
    loop {
        let (status, page) = s.get(&format!(
            "/api/v1/explain?indicator=6 00 00&as_of=2018-09-30&limit=2&from_seq={from}"
        ));
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["seqs"], all["seqs"]);
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 2);
        paged.extend(events.iter().cloned());
        match page["next_from_seq"].as_u64() {
            Some(next) => {
                assert_eq!(events.len(), 2);
                assert!(next > events[1]["seq"].as_u64().unwrap());
                from = next;
            }
            None => break,
        }
    }
    assert_eq!(&paged, all["events"].as_array().unwrap());
    let (_, second) = s.get(&format!(
        "/api/v1/explain?indicator=6 00 00&as_of=2018-09-30&limit=1&from_seq={}",
        seqs[1]
    ));
    assert_eq!(second["events"][0]["seq"], seqs[1]);
    assert_eq!(second["next_from_seq"], seqs[2]);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("from_seq=0", "from_seq"),
    ] {
        let (status, problem) = s.get(&format!("/api/v1/explain?indicator=P-KONF&{query}"));
        assert_eq!(status, 400, "{query}: {problem}");
        assert!(problem.to_string().contains(field), "{query}: {problem}");
    }
}

/// An amount in CZK (`"25869.80"`) in haléře, read as the domain reads it.
fn halere(v: &Value) -> i64 {
    serde_json::from_value::<grantledger_domain::Czk>(v.clone())
        .unwrap_or_else(|e| panic!("{v} is not an amount in CZK: {e}"))
        .halere()
}

/// A period report lists every expense its budget counts in the period: an
/// expense incurred in one period and paid in the next is eligible in the
/// next (R4.1), so that report's rows list it, and the eligible rows of a
/// line add up to the line's `eligible_in_period` (each row rounded to the
/// haléř, so within a haléř a row; lines over their amount are capped, R4.2,
/// and left out).
#[test]
fn a_period_reports_eligible_expense_rows_add_up_to_its_budget_drawdown() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let mut carried = 0;
    // at each period's end (the default), and as of the project end: an
    // expense paid after its period is claimed in the later period only
    let asked = (1..=4).flat_map(|no| [(no, String::new()), (no, "?as_of=2018-09-30".into())]);
    for (no, as_of) in asked {
        let (status, r) = s.get(&format!("/api/v1/reports/period/{no}{as_of}"));
        assert_eq!(status, 200, "{r}");
        let (start, end) = (
            r["period"]["start"].as_str().unwrap().to_string(),
            r["period"]["end"].as_str().unwrap().to_string(),
        );
        let rows = r["expenses"].as_array().unwrap();
        for line in r["budget"].as_array().unwrap() {
            if halere(&line["over_budget"]) != 0 {
                continue;
            }
            let mine: Vec<&Value> = rows
                .iter()
                .filter(|x| x["budget_line"] == line["code"] && x["eligible"] == true)
                .collect();
            let sum: i64 = mine.iter().map(|x| halere(&x["eligible_amount"])).sum();
            let want = halere(&line["eligible_in_period"]);
            assert!(
                (sum - want).abs() <= mine.len() as i64,
                "period {no}{as_of} line {}: rows {sum} against {want}",
                line["code"]
            );
        }
        // rows incurred before the period (only in it because they became
        // eligible in it)
        carried += rows
            .iter()
            .filter(|x| {
                let t = x["taxable_supply_date"].as_str().unwrap();
                no > 1 && t < start.as_str() && x["eligible"] == true
            })
            .count();
        assert!(rows
            .iter()
            .all(|x| x["taxable_supply_date"].as_str().unwrap() <= end.as_str() || no == 4));
    }
    assert!(carried > 0, "the demo has expenses paid in a later period");
    // a period number that is not one, an unknown staff member: named
    for (path, status, field) in [
        ("/api/v1/reports/period/abc", 400, "no"),
        ("/api/v1/reports/period/-1", 400, "no"),
        ("/api/v1/timesheets/ST-NOPE?month=2018-08", 404, "staff_id"),
        ("/api/v1/reports/period/9", 404, "no"),
    ] {
        let (got, problem) = s.get(path);
        assert_eq!(
            (got, problem["field"].as_str()),
            (status, Some(field)),
            "{path}: {problem}"
        );
    }
}

/// Every finding the default view of findings lists can be explained
/// without an `as_of`: those dated the day after the project end too.
#[test]
fn explain_finds_a_finding_dated_the_day_after_the_project_end_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    // at seq 1000 some participants have no exit recorded yet (R1.2,
    // dated the day after the project end)
    let (status, list) = s.get("/api/v1/findings?at_seq=1000");
    assert_eq!(status, 200, "{list}");
    let late = list["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["date"] == "2018-10-01")
        .expect("the demo has a finding dated the day after its end")
        .clone();
    let (status, e) = s.get(&format!(
        "/api/v1/explain?finding={}&rule={}&at_seq=1000",
        late["subject"].as_str().unwrap(),
        late["rule"].as_str().unwrap()
    ));
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["value"]["date"], "2018-10-01");
    assert!(!e["events"].as_array().unwrap().is_empty());
}
