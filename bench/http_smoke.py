#!/usr/bin/env python3
"""Rough HTTP numbers for a running grantledger server (stdlib only).

Usage: bench/http_smoke.py http://127.0.0.1:8080 --token glt_… [--writers 8] [--appends 2000]
(a manager token: `serve --demo` prints one; or GRANTLEDGER_TOKEN)

1. Appends `--appends` single-event POSTs (workshops, unique ids) from
   `--writers` threads with keep-alive connections; prints events/s and
   p50/p99 latency. Every append is durable when acknowledged (group commit).
2. Times 200 GET /api/v1/indicators at the head and 200 at random older
   prefixes (at_seq) and as_of dates; prints p50/p99.

Not part of `cargo test`. The proper benchmarks are the performance issue's
`grantledger bench` and criterion suites; these figures are a first look.
"""
import argparse, http.client, json, os, random, threading, time, urllib.parse, uuid


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--appends", type=int, default=2000)
    ap.add_argument("--token", default=os.environ.get("GRANTLEDGER_TOKEN", ""))
    a = ap.parse_args()
    auth = {"authorization": f"Bearer {a.token}"} if a.token else {}
    u = urllib.parse.urlparse(a.base)

    def conn():
        return http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    lat, lock = [], threading.Lock()
    per = a.appends // a.writers

    def writer(w):
        c = conn()
        for i in range(per):
            body = json.dumps({"event_id": str(uuid.uuid4()), "kind": "workshop_held", "data": {
                "workshop_id": f"BENCH-{w}-{i}-{uuid.uuid4().hex[:8]}", "date": "2017-03-01",
                "venue": "Opava", "hours": "3", "attendees": 10}})
            t = time.perf_counter()
            c.request("POST", "/api/v1/events", body, {"content-type": "application/json", **auth})
            r = c.getresponse(); r.read()
            dt = time.perf_counter() - t
            assert r.status == 201, r.status
            with lock:
                lat.append(dt)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=writer, args=(w,)) for w in range(a.writers)]
    [t.start() for t in ts]; [t.join() for t in ts]
    el = time.perf_counter() - t0
    print(f"appends: {len(lat)} from {a.writers} writers in {el:.2f} s = {len(lat)/el:.0f} events/s; "
          f"p50 {pct(lat,50)*1e3:.2f} ms, p99 {pct(lat,99)*1e3:.2f} ms")

    c = conn()
    c.request("GET", "/healthz"); head = json.loads(c.getresponse().read())["head"]["seq"]
    for label, q in [("head", lambda: f"as_of=2018-09-30"),
                     ("older prefix", lambda: f"as_of=2017-{random.randint(1,12):02d}-15&at_seq={random.randint(1, head)}")]:
        xs = []
        for _ in range(200):
            t = time.perf_counter()
            c.request("GET", "/api/v1/indicators?" + q(), headers=auth); r = c.getresponse(); r.read()
            xs.append(time.perf_counter() - t)
            assert r.status == 200
        print(f"indicators at {label}: p50 {pct(xs,50)*1e3:.2f} ms, p99 {pct(xs,99)*1e3:.2f} ms (head seq {head})")


if __name__ == "__main__":
    main()
