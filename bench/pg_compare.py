#!/usr/bin/env python3
"""grantledger vs. PostgreSQL: the same point-in-time question, both ways.

Issue 7, item 4. Python 3.11 standard library only; PostgreSQL is driven
through `psql` (a persistent co-process for the queries, `\\copy` for the load).

What it does
------------
1. Makes (or reuses, `--events`) a log with `grantledger gen --participants N
   --seed S`; line N of the file is seq N, as grantledger assigns it when the
   file is imported into an empty data directory.
2. Installs PostgreSQL from Debian's packages if `initdb` is missing (root:
   `apt-get install -y postgresql`; idempotent) and starts a throwaway cluster
   in a temp directory on a free loopback port (as the `postgres` user via
   `runuser` when run as root). It is stopped at the end, also on error.
3. Loads the events into the table a competent engineer would design
   (bench/pg_schema.sql is the same DDL, for reading):

       events(seq bigint primary key, event_id uuid unique, stream text,
              kind text, recorded_at timestamptz, actor text, data jsonb)

   with COPY (`\\copy ... FROM file`, the JSON Lines split into the envelope
   columns by this script beforehand; that split is not timed), then builds
   the query's indexes and runs ANALYZE. Reported: COPY alone, and COPY +
   indexes + ANALYZE ("bulk import", events/s), against `grantledger import
   --batch 5000` (wall time of the command) and the server's start-up time.
4. For `--pairs` random (as_of D, at_seq P) pairs - half at the head
   (P = last seq), half at a uniformly random older P - asks "supported
   persons as of D, as known at seq <= P" (indicator measure
   `supported_persons`: value and by_gender female/male) of both:
   - PostgreSQL: one SQL statement (CTEs), SUPPORTED_SQL below, sent as text
     (so planning is included) over one persistent psql connection; the time
     is client-side, from writing the statement to reading its last row
     (like timing a psycopg call; psql's own overhead is well under 1 ms).
   - grantledger: `GET /api/v1/indicators?as_of=D&at_seq=P` with a bearer
     token of role auditor over one keep-alive http.client connection; the
     time is client-side and includes HTTP and the whole indicators answer
     (every measure, not only supported_persons).
   The first `--check-window` pairs are also answered by the literal
   window-function form (WINDOW_SQL) to show that the faster SUM form is the
   same question.
5. Prints p50/p99 per query kind, the ratio, both bulk-load figures and
   "results equal: N/N"; exits 1 on the first difference (printing both
   answers) after the table. `--json OUT` writes the figures.

Semantics (fixtures/expected/compute.py is the reference, DOMAIN.md R1.3-R1.5)
------------------------------------------------------------------------------
Within the prefix seq <= P: `event_voided` removes its target;
`event_corrected` replaces its target's data (the latest correction in the
prefix wins; the event keeps the target's seq and kind); corrections and voids
of targets outside the prefix are ignored. Of several live events of one
session_id / participant_id / project, the last in file order wins (compute.py
keeps dicts). Support items: each attendance's `hours` capped at its live
session's `hours`, valid date = the session's `date` (an attendance whose
session is not live counts nothing); each internship's `hours` on its `end`.
The crossing date is the first date whose running total (all items of one date
together) is strictly greater than `support_threshold_hours` of the project.
Counted: registered (live `participant_registered`) participants with crossing
date <= D, by that registration's `gender`.

Because hours are never negative (the schemas and compute.py's validation
allow only unsigned decimals), the running total is monotone, so "crossing
date <= D" is the same as "the items dated <= D add up to more than the
threshold". SUPPORTED_SQL uses that (a filter on D then GROUP BY/HAVING);
WINDOW_SQL is the literal walk (daily sums, running SUM() OVER, first date
over the threshold) and is cross-checked on the first pairs.

PostgreSQL tuning (what a competent engineer would do for this box and say)
--------------------------------------------------------------------------
shared_buffers = 25% of RAM (at most 8 GB), effective_cache_size = 50%,
work_mem 256MB (the query sorts/hashes ~10^6 rows), maintenance_work_mem 1GB
(index builds), max_wal_size 8GB and checkpoint_timeout 30min (no checkpoint
in the middle of the load), wal_level minimal + max_wal_senders 0 (COPY into
a table created in the same transaction skips WAL), random_page_cost 1.1
(SSD), jit off (it adds ~100 ms of compilation to every execution of a query
that is run repeatedly with new literals), parallel query left at the
defaults. fsync stays on (grantledger's import is durable too). VACUUM
ANALYZE after the load (statistics for the expression indexes, and the
visibility map). One warm-up execution of each side before timing.

Examples
--------
    python3 bench/pg_compare.py --participants 2000 --pairs 200
    python3 bench/pg_compare.py --participants 36000 --pairs 200 --json /tmp/pg.json
"""

import argparse
import http.client
import io
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# --------------------------------------------------------------------------
# The schema and the queries

SCHEMA_SQL = """
CREATE TABLE events (
    seq         bigint PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    stream      text,
    kind        text NOT NULL,
    recorded_at timestamptz NOT NULL,
    actor       text,
    data        jsonb NOT NULL
);
"""

INDEX_SQL = """
-- every query filters by kind within a seq prefix
CREATE INDEX events_kind_seq ON events (kind, seq);
-- record time -> prefix (known_at = the recorded_at of seq P)
CREATE INDEX events_recorded_at ON events (recorded_at);
-- corrections and voids by their target
CREATE INDEX events_target ON events (((data->>'target_event_id')::uuid), seq)
    WHERE kind IN ('event_corrected', 'event_voided');
-- a participant's events (participant pages; stats for the joins)
CREATE INDEX events_participant ON events ((data->>'participant_id'), seq)
    WHERE data ? 'participant_id';
-- sessions by id and attendance by session (the attendance -> session join)
CREATE INDEX events_session ON events ((data->>'session_id'), seq)
    WHERE kind IN ('session_held', 'attendance_recorded');
CREATE INDEX events_stream ON events (stream, seq);
"""

# The effective events of the prefix seq <= P (voids and corrections applied);
# NOT MATERIALIZED so that each use is planned with its own kind filter.
_EFFECTIVE = """
eff AS NOT MATERIALIZED (
    SELECT e.seq, e.kind, coalesce(f.data, e.data) AS data
    FROM events e
    LEFT JOIN fix f ON f.id = e.event_id
    WHERE e.seq <= {P}
      AND e.kind IN ('project_defined', 'session_held', 'participant_registered',
                     'attendance_recorded', 'internship_completed')
      AND NOT EXISTS (SELECT 1 FROM dead x WHERE x.id = e.event_id)
)"""

_COMMON = """
WITH
dead AS (   -- targets voided within the prefix
    SELECT DISTINCT (data->>'target_event_id')::uuid AS id
    FROM events
    WHERE kind = 'event_voided' AND seq <= {P}
),
fix AS (    -- the latest correction of each target within the prefix
    SELECT DISTINCT ON ((data->>'target_event_id')::uuid)
           (data->>'target_event_id')::uuid AS id,
           data->'replacement'->'data' AS data
    FROM events
    WHERE kind = 'event_corrected' AND seq <= {P}
    ORDER BY (data->>'target_event_id')::uuid, seq DESC
),""" + _EFFECTIVE + """,
proj AS (
    SELECT (data->>'support_threshold_hours')::numeric AS threshold
    FROM eff WHERE kind = 'project_defined'
    ORDER BY seq DESC LIMIT 1
),
sess AS (   -- live sessions, the last of each id
    SELECT DISTINCT ON (data->>'session_id')
           data->>'session_id' AS session_id,
           (data->>'date')::date AS day,
           (data->>'hours')::numeric AS hours
    FROM eff WHERE kind = 'session_held'
    ORDER BY data->>'session_id', seq DESC
),
reg AS (    -- live registrations, the last of each participant
    SELECT DISTINCT ON (data->>'participant_id')
           data->>'participant_id' AS pid, data->>'gender' AS gender
    FROM eff WHERE kind = 'participant_registered'
    ORDER BY data->>'participant_id', seq DESC
),
items AS (  -- support hours with their valid dates (R1.4)
    SELECT a.data->>'participant_id' AS pid, s.day,
           least((a.data->>'hours')::numeric, s.hours) AS hours
    FROM eff a JOIN sess s ON s.session_id = a.data->>'session_id'
    WHERE a.kind = 'attendance_recorded'{SDAY}
    UNION ALL
    SELECT data->>'participant_id', (data->>'end')::date, (data->>'hours')::numeric
    FROM eff WHERE kind = 'internship_completed'{IDAY}
),"""

# Monotone form: supported as of D <=> hours dated <= D exceed the threshold.
SUPPORTED_SQL = (_COMMON + """
supported AS (
    SELECT i.pid
    FROM items i
    GROUP BY i.pid
    HAVING sum(i.hours) > (SELECT threshold FROM proj)
)
SELECT count(*) AS value,
       count(*) FILTER (WHERE r.gender = 'female') AS female,
       count(*) FILTER (WHERE r.gender = 'male') AS male
FROM supported s JOIN reg r ON r.pid = s.pid;
""").replace("{SDAY}", "\n      AND s.day <= DATE '{D}'").replace(
    "{IDAY}", "\n      AND (data->>'end')::date <= DATE '{D}'")

# Literal form: daily sums, running total, first date strictly over the threshold.
WINDOW_SQL = (_COMMON + """
daily AS (
    SELECT pid, day, sum(hours) AS hours FROM items GROUP BY pid, day
),
running AS (
    SELECT pid, day, sum(hours) OVER (PARTITION BY pid ORDER BY day) AS total FROM daily
),
crossing AS (
    SELECT pid, min(day) AS day
    FROM running
    WHERE total > (SELECT threshold FROM proj)
    GROUP BY pid
)
SELECT count(*) AS value,
       count(*) FILTER (WHERE r.gender = 'female') AS female,
       count(*) FILTER (WHERE r.gender = 'male') AS male
FROM crossing c JOIN reg r ON r.pid = c.pid
WHERE c.day <= DATE '{D}';
""").replace("{SDAY}", "").replace("{IDAY}", "")


def sql_for(template, d, p):
    return template.replace("{P}", str(int(p))).replace("{D}", d.isoformat())


# --------------------------------------------------------------------------
# Helpers

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(cmd, **kw)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def mem_bytes():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 4 << 30


# --------------------------------------------------------------------------
# grantledger

def ensure_grantledger(path):
    if path is None:
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        path = os.path.join(target, "release", "grantledger")
        if not os.path.exists(path):
            log("building grantledger (cargo build --release) ...")
            run(["cargo", "build", "--release", "--bin", "grantledger"], cwd=ROOT)
    if not os.path.exists(path):
        sys.exit("no grantledger binary at %s" % path)
    return os.path.abspath(path)


class Server:
    def __init__(self, binary, data_dir, workdir):
        self.binary, self.data_dir = binary, data_dir
        self.port = free_port()
        self.log_path = os.path.join(workdir, "grantledger-serve.log")
        self.proc = None

    def start(self):
        t0 = time.perf_counter()
        self.logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data-dir", self.data_dir, "--addr", "127.0.0.1:%d" % self.port,
             "--request-timeout-secs", "3600"],
            stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.time() + 3600
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("grantledger serve exited (%s); see %s" % (self.proc.returncode, self.log_path))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return time.perf_counter() - t0
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("grantledger serve did not become healthy")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.logf.close()


class GlClient:
    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        self.headers = {"Authorization": "Bearer " + token, "Connection": "keep-alive"}

    def supported(self, d, p):
        path = "/api/v1/indicators?as_of=%s&at_seq=%d" % (d.isoformat(), p)
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        body = r.read()
        dt = time.perf_counter() - t0
        if r.status != 200:
            raise RuntimeError("GET %s: %d %s" % (path, r.status, body[:500]))
        doc = json.loads(body)
        inds = doc["indicators"] if isinstance(doc, dict) else doc
        sp = [i for i in inds if i.get("measure") == "supported_persons"]
        if len(sp) != 1:
            raise RuntimeError("GET %s: %d supported_persons indicators" % (path, len(sp)))
        bg = sp[0].get("by_gender") or {}
        ans = (int(sp[0]["value"]), int(bg.get("female", 0)), int(bg.get("male", 0)))
        at = doc.get("manifest", {}).get("at_seq") if isinstance(doc, dict) else None
        if at is not None and at != p:
            raise RuntimeError("GET %s answered at_seq %s" % (path, at))
        return ans, dt


# --------------------------------------------------------------------------
# PostgreSQL

def pg_bindir():
    for base in ("/usr/lib/postgresql",):
        if os.path.isdir(base):
            vers = sorted((v for v in os.listdir(base) if v.isdigit()), key=int, reverse=True)
            for v in vers:
                b = os.path.join(base, v, "bin")
                if os.path.exists(os.path.join(b, "initdb")) and os.path.exists(os.path.join(b, "postgres")):
                    return b
    w = shutil.which("initdb")
    if w and shutil.which("pg_ctl") and shutil.which("postgres"):
        return os.path.dirname(os.path.realpath(w))
    return None


def ensure_postgres():
    b = pg_bindir()
    if b:
        return b
    if os.geteuid() != 0:
        sys.exit("PostgreSQL server binaries are missing and we are not root to apt-get them")
    log("installing PostgreSQL (apt-get install -y postgresql) ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update"], env=env)
    run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"], env=env)
    b = pg_bindir()
    if not b:
        sys.exit("apt-get installed postgresql but no initdb was found")
    return b


class PgCluster:
    def __init__(self, bindir, workdir):
        self.bindir = bindir
        self.dir = os.path.join(workdir, "pg")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        self.started = False

    def _cmd(self, argv):
        if self.as_postgres:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def start(self):
        os.makedirs(self.sock, exist_ok=True)
        if self.as_postgres:
            run(["chown", "-R", "postgres:", self.dir])
            os.chmod(os.path.dirname(self.dir), 0o755)
        run(self._cmd([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                       "--auth=trust", "-E", "UTF8", "--locale=C"]), stdout=subprocess.DEVNULL)
        mem = mem_bytes()
        mb = lambda n: "%dMB" % max(128, n // (1 << 20))  # noqa: E731
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "'%s'" % self.sock,
            "shared_buffers": mb(min(mem // 4, 8 << 30)),
            "effective_cache_size": mb(mem // 2),
            "work_mem": "'256MB'",
            "maintenance_work_mem": "'1GB'",
            "max_wal_size": "'8GB'",
            "checkpoint_timeout": "'30min'",
            "wal_level": "minimal",
            "max_wal_senders": "0",
            "random_page_cost": "1.1",
            "jit": "off",
            "fsync": "on",
            "synchronous_commit": "on",
        }
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
            for k, v in conf.items():
                if k in ("shared_buffers", "effective_cache_size"):
                    v = "'%s'" % v
                f.write("%s = %s\n" % (k, v))
        run(self._cmd([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", self.log_path,
                       "-w", "-t", "120", "start"]), stdout=subprocess.DEVNULL)
        self.started = True

    def stop(self):
        if self.started:
            run(self._cmd([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast",
                           "-w", "stop"]), stdout=subprocess.DEVNULL, check=False)
            self.started = False

    def psql_argv(self):
        psql = os.path.join(self.bindir, "psql")
        if not os.path.exists(psql):
            psql = shutil.which("psql")
        return [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                "-U", "postgres", "-d", "postgres"]

    def psql(self, sql, capture=False):
        r = run(self.psql_argv() + ["-A", "-t", "-c", sql], capture_output=capture, text=True)
        return r.stdout if capture else None


class PsqlSession:
    """One persistent psql connection; a statement's time is from writing it to
    reading the sentinel echoed after its result."""

    SENTINEL = "__pg_compare_done__"

    def __init__(self, cluster):
        self.p = subprocess.Popen(cluster.psql_argv() + ["-A", "-t", "-F", ","],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def query(self, sql):
        t0 = time.perf_counter()
        self.p.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo " + self.SENTINEL + "\n")
        self.p.stdin.flush()
        rows = []
        while True:
            line = self.p.stdout.readline()
            if line == "":
                raise RuntimeError("psql exited (%s) on:\n%s" % (self.p.poll(), sql))
            line = line.rstrip("\n")
            if line == self.SENTINEL:
                break
            if line:
                rows.append(line)
        return rows, time.perf_counter() - t0

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(30)
        except Exception:
            self.p.kill()


def pg_answer(session, template, d, p):
    rows, dt = session.query(sql_for(template, d, p))
    if len(rows) != 1:
        raise RuntimeError("expected one row, got %r" % rows)
    v, f, m = (int(x) for x in rows[0].split(","))
    return (v, f, m), dt


# --------------------------------------------------------------------------
# The log

STREAMS = {  # kind -> (stream prefix, id field), as grantledger's Event::stream()
    "organization_joined": ("organization", "organization_id"), "course_defined": ("course", "course_id"),
    "course_run_scheduled": ("run", "run_id"), "session_held": ("run", "run_id"),
    "seminar_held": ("seminar", "seminar_id"), "workshop_held": ("workshop", "workshop_id"),
    "conference_held": ("conference", "conference_id"),
    "participant_registered": ("participant", "participant_id"),
    "participant_enrolled": ("participant", "participant_id"),
    "attendance_recorded": ("participant", "participant_id"),
    "internship_completed": ("participant", "participant_id"),
    "participant_exited": ("participant", "participant_id"),
    "personal_data_erased": ("participant", "participant_id"),
    "staff_contracted": ("staff", "staff_id"), "staff_contract_amended": ("staff", "staff_id"),
    "timesheet_filed": ("staff", "staff_id"), "expense_recorded": ("expense", "expense_id"),
    "expense_paid": ("expense", "expense_id"), "report_submitted": ("report", "period_no"),
}


def stream_of(kind, data):
    if kind in ("project_defined", "rule_set_adopted"):
        return "project"
    if kind in STREAMS:
        prefix, key = STREAMS[kind]
        return "%s-%s" % (prefix, data.get(key))
    return None


def prepare_copy(events_path, tsv_path):
    """JSON Lines -> COPY text rows; returns per-seq (recorded_at) and facts."""
    def esc(s):
        if s is None:
            return "\\N"
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    recorded = []
    stream_by_id = {}
    project = None
    with open(events_path, "r", encoding="utf-8") as f, open(tsv_path, "w", encoding="utf-8") as out:
        seq = 0
        for raw in f:
            if not raw.strip():
                continue  # grantledger import skips blank lines as well (none in gen output)
            seq += 1
            obj = json.loads(raw)
            kind, data = obj["kind"], obj["data"]
            if kind in ("event_corrected", "event_voided"):
                stream = stream_by_id.get(data["target_event_id"])
            else:
                stream = stream_of(kind, data)
            stream_by_id[obj["event_id"]] = stream
            if kind == "project_defined" and project is None:
                project = data
            rec = obj.get("recorded_at")
            if rec is None:
                sys.exit("line %d has no recorded_at; this harness needs record times in the file" % seq)
            recorded.append(rec)
            out.write("\t".join([str(seq), obj["event_id"], esc(stream), esc(kind), rec,
                                 esc(obj.get("actor")),
                                 esc(json.dumps(data, ensure_ascii=False, separators=(",", ":")))]) + "\n")
    return recorded, project


# --------------------------------------------------------------------------
# Main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--participants", type=int, default=36000, help="grantledger gen size (36000 ~ 10^6 events)")
    ap.add_argument("--seed", type=int, default=1, help="seed of gen and of the random pairs")
    ap.add_argument("--pairs", type=int, default=1000, help="random (as_of, at_seq) pairs, half at the head")
    ap.add_argument("--grantledger", help="the binary (default target/release/grantledger, built if missing)")
    ap.add_argument("--events", help="use this JSON Lines log instead of running gen")
    ap.add_argument("--check-window", type=int, default=20,
                    help="also answer the first N pairs with the literal window-function SQL")
    ap.add_argument("--tmpdir", help="where to make the temp directory (log, cluster, data dir); e.g. /dev/shm "
                    "to take the disk out of both sides' figures (default: the system's temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory (log, data dirs, cluster)")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()

    binary = ensure_grantledger(args.grantledger)
    bindir = ensure_postgres()
    workdir = tempfile.mkdtemp(prefix="pg_compare-", dir=args.tmpdir)
    os.chmod(workdir, 0o755)
    log("work directory: %s" % workdir)
    cluster = PgCluster(bindir, workdir)
    server = None
    session = None
    gl = None
    status = 0
    try:
        # ---- the log
        if args.events:
            events_path = os.path.abspath(args.events)
        else:
            events_path = os.path.join(workdir, "events.jsonl")
            t0 = time.perf_counter()
            run([binary, "gen", "--participants", str(args.participants), "--seed", str(args.seed),
                 "-o", events_path], stdout=subprocess.DEVNULL)
            log("gen: %.1f s" % (time.perf_counter() - t0))
        tsv_path = os.path.join(workdir, "events.tsv")
        recorded, project = prepare_copy(events_path, tsv_path)
        os.chmod(workdir, 0o755)
        os.chmod(tsv_path, 0o644)
        head = len(recorded)
        log("log: %d events" % head)

        # ---- PostgreSQL load
        cluster.start()
        cluster.psql(SCHEMA_SQL)
        t0 = time.perf_counter()
        cluster.psql("\\copy events (seq, event_id, stream, kind, recorded_at, actor, data) FROM '%s'"
                     % tsv_path.replace("'", "''"))
        t_copy = time.perf_counter() - t0
        t1 = time.perf_counter()
        cluster.psql(INDEX_SQL)
        t_index = time.perf_counter() - t1
        t1 = time.perf_counter()
        cluster.psql("VACUUM ANALYZE events")
        t_analyze = time.perf_counter() - t1
        t_pg_load = time.perf_counter() - t0
        size = cluster.psql("SELECT pg_size_pretty(pg_total_relation_size('events'))", capture=True).strip()
        log("postgres: COPY %.1f s, indexes %.1f s, VACUUM ANALYZE %.1f s (table+indexes %s)"
            % (t_copy, t_index, t_analyze, size))

        # ---- grantledger import
        data_dir = os.path.join(workdir, "gl-data")
        t0 = time.perf_counter()
        run([binary, "import", events_path, "--data-dir", data_dir, "--batch", "5000"],
            stdout=subprocess.DEVNULL)
        t_gl_import = time.perf_counter() - t0
        log("grantledger import: %.1f s" % t_gl_import)
        token = run([binary, "token", "add", "--role", "auditor", "--name", "bench", "--data-dir", data_dir],
                    capture_output=True, text=True).stdout.strip().splitlines()[-1].strip()
        server = Server(binary, data_dir, workdir)
        t_gl_start = server.start()
        log("grantledger serve: healthy after %.1f s" % t_gl_start)
        gl = GlClient(server.port, token)
        session = PsqlSession(cluster)

        # ---- the pairs
        rng = random.Random(args.seed)
        pstart = date.fromisoformat(project["period"]["start"])
        pend = date.fromisoformat(project["period"]["end"])
        lo, hi = pstart - timedelta(days=30), pend + timedelta(days=30)
        n_head = (args.pairs + 1) // 2
        pairs = []
        for i in range(args.pairs):
            d = lo + timedelta(days=rng.randint(0, (hi - lo).days))
            if i < n_head or head < 2:
                pairs.append(("head", d, head))
            else:
                pairs.append(("older", d, rng.randint(1, head - 1)))
        rng.shuffle(pairs)

        # warm-up (caches, the server's head state); not timed
        pg_answer(session, SUPPORTED_SQL, pend, head)
        gl.supported(pend, head)

        times = {"head": {"pg": [], "gl": []}, "older": {"pg": [], "gl": []}}
        equal = 0
        first_diff = None
        window_checked = window_equal = 0
        t_run = time.perf_counter()
        for n, (what, d, p) in enumerate(pairs, 1):
            a_pg, dt_pg = pg_answer(session, SUPPORTED_SQL, d, p)
            a_gl, dt_gl = gl.supported(d, p)
            times[what]["pg"].append(dt_pg)
            times[what]["gl"].append(dt_gl)
            if n <= args.check_window:
                a_w, _ = pg_answer(session, WINDOW_SQL, d, p)
                window_checked += 1
                window_equal += a_w == a_pg
                if a_w != a_pg and first_diff is None:
                    first_diff = ("window SQL vs SUM SQL", d, p, a_w, a_pg)
            if a_pg == a_gl:
                equal += 1
            elif first_diff is None:
                first_diff = ("PostgreSQL vs grantledger", d, p, a_pg, a_gl)
            if n % 50 == 0 or n == len(pairs):
                log("  %d/%d pairs, %d equal, %.0f s" % (n, len(pairs), equal, time.perf_counter() - t_run))

        # ---- the table
        ms = lambda s: s * 1000.0  # noqa: E731
        rows = []
        figures = {"participants": args.participants if not args.events else None, "seed": args.seed,
                   "workdir_fs": run(["df", "-T", workdir], capture_output=True, text=True).stdout.split("\n")[1],
                   "grantledger": binary,
                   "events": head, "pairs": len(pairs), "events_file": events_path,
                   "pg_version": cluster.psql("SHOW server_version", capture=True).strip(),
                   "pg_timing": "client-side round trip over one psql connection (statement text, planning "
                                "included)",
                   "gl_timing": "client-side HTTP round trip, keep-alive (GET /api/v1/indicators, all measures)",
                   "load": {"pg_copy_s": t_copy, "pg_index_s": t_index, "pg_vacuum_analyze_s": t_analyze,
                            "pg_total_s": t_pg_load, "pg_copy_events_per_s": head / t_copy,
                            "pg_events_per_s": head / t_pg_load, "pg_size": size,
                            "gl_import_s": t_gl_import, "gl_events_per_s": head / t_gl_import,
                            "gl_serve_start_s": t_gl_start},
                   "queries": {}}
        for what, label in (("head", "at the head (P = last seq)"), ("older", "at a random older P")):
            pg, glt = times[what]["pg"], times[what]["gl"]
            if not pg:
                continue
            q = {"n": len(pg), "pg_p50_ms": ms(pct(pg, .5)), "pg_p99_ms": ms(pct(pg, .99)),
                 "gl_p50_ms": ms(pct(glt, .5)), "gl_p99_ms": ms(pct(glt, .99)),
                 "pg_mean_ms": ms(statistics.fmean(pg)), "gl_mean_ms": ms(statistics.fmean(glt))}
            q["ratio_p50_gl_over_pg"] = q["gl_p50_ms"] / q["pg_p50_ms"]
            q["ratio_p99_gl_over_pg"] = q["gl_p99_ms"] / q["pg_p99_ms"]
            figures["queries"][what] = q
            rows.append((label, q))
        figures["results_equal"] = equal
        figures["window_sql_checked"] = window_checked
        figures["window_sql_equal"] = window_equal

        out = io.StringIO()
        out.write("\nsupported persons (as_of D, at_seq P): %d events, %d pairs\n" % (head, len(pairs)))
        out.write("%-28s %5s %11s %11s %11s %11s %9s %9s\n" % (
            "query", "n", "PG p50 ms", "PG p99 ms", "GL p50 ms", "GL p99 ms", "GL/PG p50", "GL/PG p99"))
        for label, q in rows:
            out.write("%-28s %5d %11.2f %11.2f %11.2f %11.2f %9.2f %9.2f\n" % (
                label, q["n"], q["pg_p50_ms"], q["pg_p99_ms"], q["gl_p50_ms"], q["gl_p99_ms"],
                q["ratio_p50_gl_over_pg"], q["ratio_p99_gl_over_pg"]))
        L = figures["load"]
        out.write("bulk load: PostgreSQL COPY %.0f events/s (%.1f s); COPY+indexes+VACUUM ANALYZE %.0f events/s "
                  "(%.1f s, %s)\n" % (L["pg_copy_events_per_s"], t_copy, L["pg_events_per_s"], t_pg_load, size))
        out.write("           grantledger import --batch 5000 %.0f events/s (%.1f s); serve start-up %.1f s\n"
                  % (L["gl_events_per_s"], t_gl_import, t_gl_start))
        out.write("timing: PG = %s; GL = %s\n" % (figures["pg_timing"], figures["gl_timing"]))
        out.write("window-function SQL = SUM SQL: %d/%d\n" % (window_equal, window_checked))
        out.write("results equal: %d/%d\n" % (equal, len(pairs)))
        print(out.getvalue(), flush=True)
        if first_diff is not None:
            what, d, p, a, b = first_diff
            print("FIRST DIFFERENCE (%s) at as_of=%s at_seq=%d (known_at=%s):\n  first:  %s\n  second: %s"
                  % (what, d, p, recorded[p - 1], fmt(a), fmt(b)), flush=True)
            figures["first_difference"] = {"what": what, "as_of": d.isoformat(), "at_seq": p,
                                           "answers": [list(a), list(b)]}
            status = 1
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(figures, f, indent=1)
                f.write("\n")
    finally:
        if session:
            session.close()
        if gl:
            gl.conn.close()
        if server:
            server.stop()
        cluster.stop()
        if args.keep:
            log("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return status


def fmt(a):
    return "value %d (female %d, male %d)" % a


if __name__ == "__main__":
    sys.exit(main())
