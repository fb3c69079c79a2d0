//! The HTTP half of `grantledger bench`: the server as a child process, the
//! point-in-time queries and the concurrent appends, timed client-side.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use grantledger_domain::Date;
use jiff::ToSpan;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::{proc_status_bytes, Project};

/// A `grantledger serve` child on a loopback port.
pub(crate) struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Seconds from spawning to the first 200 of `/healthz`.
    pub startup_s: f64,
}

impl Server {
    /// Spawns `exe serve --data-dir DATA --addr 127.0.0.1:PORT` (and
    /// `--snapshot-every K` when given) on a free
    /// port, its stdout and stderr to `log`, and waits until `/healthz`
    /// answers 200 (at most `timeout`).
    ///
    /// # Errors
    /// The child cannot be spawned, exits, or does not answer in time (its
    /// log's last lines are in the error).
    pub fn start(
        exe: &Path,
        data: &Path,
        log: &Path,
        rust_log: &str,
        snapshot_every: Option<u64>,
        timeout: Duration,
        runtime: &tokio::runtime::Runtime,
    ) -> anyhow::Result<Server> {
        // A port freed just now may be taken before the child binds it: retry.
        let mut last_err = None;
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .context("finding a free loopback port")?
                .port();
            let addr = format!("127.0.0.1:{port}");
            let out = std::fs::File::create(log)
                .with_context(|| format!("creating {}", log.display()))?;
            let mut command = Command::new(exe);
            command
                .arg("serve")
                .arg("--data-dir")
                .arg(data)
                .arg("--addr")
                .arg(&addr);
            if let Some(k) = snapshot_every {
                command.arg("--snapshot-every").arg(k.to_string());
            }
            let child = command
                .env("RUST_LOG", rust_log)
                .stdin(Stdio::null())
                .stdout(out.try_clone()?)
                .stderr(out)
                .spawn()
                .with_context(|| format!("starting {} serve", exe.display()))?;
            let mut server = Server {
                child: Some(child),
                base: format!("http://{addr}"),
                startup_s: 0.0,
            };
            let started = Instant::now();
            match runtime.block_on(server.wait_healthy(timeout)) {
                Ok(()) => {
                    server.startup_s = started.elapsed().as_secs_f64();
                    return Ok(server);
                }
                Err(e) => {
                    let _ = server.stop();
                    let tail = log_tail(log);
                    let in_use = tail.contains("in use");
                    last_err = Some(e.context(format!(
                        "the server did not start; the end of {}:\n{tail}",
                        log.display()
                    )));
                    if !in_use {
                        break;
                    }
                }
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("the server did not start")))
    }

    async fn wait_healthy(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let client = client()?;
        let url = format!("{}/healthz", self.base);
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("the server exited ({status})");
                }
            }
            if let Ok(r) = client.get(&url).send().await {
                if r.status() == reqwest::StatusCode::OK {
                    return Ok(());
                }
            }
            if started.elapsed() > timeout {
                bail!("no answer from {url} within {} s", timeout.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The child's (peak, current) resident set in bytes: `VmHWM`, `VmRSS`.
    pub fn peak_rss(&self) -> Option<(u64, u64)> {
        let pid = self.child.as_ref()?.id();
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        Some((
            proc_status_bytes(&s, "VmHWM:")?,
            proc_status_bytes(&s, "VmRSS:")?,
        ))
    }

    /// Stops the child: SIGTERM (in-flight requests finish), then after
    /// 30 s a kill; waits for it.
    ///
    /// # Errors
    /// Waiting for the child fails.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        let termed = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if termed {
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(30) {
                if child.try_wait()?.is_some() {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = child.kill();
        child.wait().context("waiting for the server to stop")?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// One keep-alive connection's client.
fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(600))
        .build()
        .context("making an HTTP client")
}

/// Latency figures in ms (nearest-rank percentiles).
fn summary(mut lat: Vec<Duration>) -> Value {
    lat.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let pct = |p: f64| -> Option<f64> {
        if lat.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * lat.len() as f64).ceil() as usize;
        Some(ms(lat[rank.clamp(1, lat.len()) - 1]))
    };
    let mean =
        (!lat.is_empty()).then(|| lat.iter().map(|d| ms(*d)).sum::<f64>() / lat.len() as f64);
    json!({
        "n": lat.len(),
        "p50_ms": pct(50.0),
        "p90_ms": pct(90.0),
        "p99_ms": pct(99.0),
        "max_ms": lat.last().map(|d| ms(*d)),
        "mean_ms": mean,
    })
}

/// GET `url` with the bearer `token`: the body and the round-trip time
/// (request sent to body read).
///
/// # Errors
/// The request fails or is answered anything but 200 (the error quotes the
/// first 400 bytes of the answer).
async fn get_ok(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<(Vec<u8>, Duration)> {
    let t = Instant::now();
    let resp = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let body = resp.bytes().await.with_context(|| format!("GET {url}"))?;
    let elapsed = t.elapsed();
    if status != reqwest::StatusCode::OK {
        bail!(
            "GET {url}: {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(400)])
        );
    }
    Ok((body.to_vec(), elapsed))
}

/// The days of the project period.
fn days(p: &Project) -> Vec<Date> {
    p.start
        .series(1.day())
        .take_while(|d| *d <= p.end)
        .collect()
}

/// The point-in-time queries.
pub(crate) struct Queries<'a> {
    pub base: &'a str,
    pub token: &'a str,
    pub project: &'a Project,
    pub head: u64,
    pub pairs: usize,
    pub seed: u64,
    pub budget: Duration,
}

impl Queries<'_> {
    /// For each of indicators, findings and the period report: `pairs` GETs
    /// at the head (random `as_of`) and `pairs` at random older prefixes,
    /// one at a time on one connection: half as `(as_of, at_seq=P)`, half as
    /// `(as_of, known_at=T)` with `T` the `recorded_at` of record `P` (read
    /// before the timing; the server resolves it to a seq ≥ P). Each
    /// endpoint gets its own points, so an older prefix folded for one
    /// endpoint is not a cache hit for the next.
    ///
    /// # Errors
    /// A request fails or is not answered 200.
    pub async fn run(&self) -> anyhow::Result<Value> {
        let client = client()?;
        let days = days(self.project);
        if days.is_empty() || self.head == 0 {
            bail!("an empty project period or log");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed.wrapping_add(0x5eed_0007));
        let mut out = json!({});
        for key in ["indicators", "findings", "period_report"] {
            for at in ["head", "any"] {
                let mut points: Vec<(Date, Option<String>)> = Vec::with_capacity(self.pairs);
                for i in 0..self.pairs {
                    let d = days[rng.random_range(0..days.len())];
                    let prefix = match at {
                        "any" => {
                            let seq = rng.random_range(1..=self.head);
                            Some(if i % 2 == 0 {
                                format!("at_seq={seq}")
                            } else {
                                format!("known_at={}", self.recorded_at(&client, seq).await?)
                            })
                        }
                        _ => None,
                    };
                    points.push((d, prefix));
                }
                let started = Instant::now();
                let mut lat = Vec::with_capacity(points.len());
                for (as_of, prefix) in points {
                    if started.elapsed() > self.budget {
                        break;
                    }
                    let mut url = match key {
                        "period_report" => format!(
                            "{}/api/v1/reports/period/{}?as_of={as_of}",
                            self.base,
                            self.project.period_of(as_of)
                        ),
                        _ => format!("{}/api/v1/{key}?as_of={as_of}", self.base),
                    };
                    if let Some(p) = prefix {
                        url.push('&');
                        url.push_str(&p);
                    }
                    let (_, elapsed) = get_ok(&client, &url, self.token).await?;
                    lat.push(elapsed);
                }
                let wanted = self.pairs;
                let mut s = summary(lat);
                s["stopped_early"] = json!(s["n"].as_u64() != Some(wanted as u64));
                eprintln!(
                    "bench: {key} at {at}: {} GETs, p50 {:.2} ms, p99 {:.2} ms",
                    s["n"],
                    s["p50_ms"].as_f64().unwrap_or(f64::NAN),
                    s["p99_ms"].as_f64().unwrap_or(f64::NAN)
                );
                out[key][at] = s;
            }
        }
        Ok(out)
    }

    /// The `recorded_at` of record `seq` (`GET /api/v1/events`), percent-encoded
    /// for a query string.
    async fn recorded_at(&self, client: &reqwest::Client, seq: u64) -> anyhow::Result<String> {
        let url = format!("{}/api/v1/events?from_seq={seq}&limit=1", self.base);
        let (body, _) = get_ok(client, &url, self.token).await?;
        let body: Value =
            serde_json::from_slice(&body).with_context(|| format!("GET {url}: not JSON"))?;
        let at = body["events"][0]["recorded_at"]
            .as_str()
            .with_context(|| format!("GET {url}: no recorded_at in {body}"))?;
        Ok(at.replace('+', "%2B").replace(':', "%3A"))
    }
}

/// `total` single-event POSTs (`workshop_held`, fresh ids, dates in the
/// project period) from `clients` concurrent clients, one keep-alive
/// connection each; every one must be answered 201 (stored, durable).
///
/// # Errors
/// A request fails or is answered anything but 201.
pub(crate) async fn appends(
    base: &str,
    token: &str,
    clients: usize,
    total: usize,
    project: &Project,
) -> anyhow::Result<Value> {
    let days = std::sync::Arc::new(days(project));
    if days.is_empty() {
        bail!("an empty project period");
    }
    let url = format!("{base}/api/v1/events");
    let run = jiff::Timestamp::now().as_millisecond();
    let clients = clients.max(1);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let n = total / clients + usize::from(c < total % clients);
        let client = client()?;
        let url = url.clone();
        let token = token.to_string();
        let days = days.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(n);
            for j in 0..n {
                let date = days[(c * 131 + j * 7) % days.len()];
                let body = json!({
                    "event_id": uuid::Uuid::new_v4(),
                    "kind": "workshop_held",
                    "data": {
                        "workshop_id": format!("BENCH-{run}-{c}-{j}"),
                        "date": date.to_string(),
                        "venue": "Opava",
                        "hours": "3",
                        "attendees": 10,
                    },
                });
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .with_context(|| format!("POST {url}"))?;
                let status = resp.status();
                let answer = resp.bytes().await.with_context(|| format!("POST {url}"))?;
                let elapsed = t.elapsed();
                if status != reqwest::StatusCode::CREATED {
                    bail!(
                        "POST {url} (client {c}, append {j}): {status}: {}",
                        String::from_utf8_lossy(&answer[..answer.len().min(400)])
                    );
                }
                lat.push(elapsed);
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::with_capacity(total);
    let mut first_err = None;
    for t in tasks {
        match t.await.context("an append client failed") {
            Ok(Ok(lat)) => all.extend(lat),
            Ok(Err(e)) | Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    if let Some(e) = first_err {
        return Err(e);
    }
    let n = all.len();
    let mut s = summary(all);
    s["clients"] = json!(clients);
    s["seconds"] = json!(wall);
    s["events_per_s"] = json!(n as f64 / wall.max(1e-9));
    eprintln!(
        "bench: {n} appends in {wall:.2} s = {:.0} events/s; p50 {:.2} ms, p99 {:.2} ms",
        n as f64 / wall.max(1e-9),
        s["p50_ms"].as_f64().unwrap_or(f64::NAN),
        s["p99_ms"].as_f64().unwrap_or(f64::NAN)
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let lat: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = summary(lat);
        assert_eq!(s["n"], 100);
        assert_eq!(s["p50_ms"].as_f64(), Some(50.0));
        assert_eq!(s["p99_ms"].as_f64(), Some(99.0));
        assert_eq!(s["max_ms"].as_f64(), Some(100.0));
        assert_eq!(summary(Vec::new())["p99_ms"], Value::Null);
    }
}
