"""Durable ingest throughput of ``hullbreach serve`` (one process, SQLite WAL, synchronous=FULL).

Usage: ``python benchmarks/ops_ingest.py [--seconds 60] [--batch 5000] [--clients 2]``

Clients POST JSON batches of ``--batch`` samples (times as UNIX seconds, two channels) as fast as the
service acknowledges them, for ``--seconds``; every acknowledged sample is then counted in the archive
(zero loss). Baseline in the same run: the plain way to make every sample durable, one INSERT and one
COMMIT per sample (same SQLite settings), for a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import httpx

from ops_common import TOKEN, start


#: Pressure channels of iss-2018 the clients send (each client its own share, as separate feeds would).
CHANNELS = ("USLAB000058", "node1.pressure", "AIRLOCK000054", "node2.pressure", "node3.pressure", "zvezda.pressure")
T0 = 1535580000.0


def client(url, seconds, batch, k, n_clients, acked, lock, split=False):
    """Client ``k``: its channels on the shared timeline (each channel's own times advance 0.1 s a sample),
    values with a little noise (a constant would be judged a stuck sensor). Before 7 Dec 2026 the clients
    sent the same two channels on timelines 116 days apart: half the samples were quarantined as late and
    the run measured the quarantine's per-sample messages (docs/benchmarks/ops.md)."""
    chans = CHANNELS[k::n_clients] if not split else CHANNELS[:2]
    i = int(k * 2e8) if split else 0  # split: the old load (client k 1e7 s = 116 days later)
    end = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=60) as c:
        while time.monotonic() < end:
            body = json.dumps({"samples": [{"time": T0 + ((i + j) // len(chans)) * 0.1, "channel": chans[(i + j) % len(chans)],
                                            "value": 755.0 + ((i + j) * 7919 % 101) / 1000.0} for j in range(batch)]})
            r = c.post("/api/ingest", content=body, headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
            if r.status_code == 200:
                with lock:
                    acked[0] += r.json()["accepted"]
            i += batch


def baseline(db: Path, seconds: float) -> float:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE s (t INTEGER, c INTEGER, v REAL)")
    n, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        con.execute("BEGIN")
        con.execute("INSERT INTO s VALUES (?, ?, ?)", (n, 1, 755.0))
        con.execute("COMMIT")
        n += 1
    return n / (time.monotonic() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--split", action="store_true",
                    help="the load before 7 Dec 2026: both clients send the same two channels on timelines 116 days apart")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "a.sqlite"
        p, url, _ = start(db)
        acked, lock = [0], threading.Lock()
        ths = [threading.Thread(target=client, args=(url, a.seconds, a.batch, k, a.clients, acked, lock, a.split)) for k in range(a.clients)]
        t0 = time.monotonic()
        for t in ths:
            t.start()
        marks = [(0.0, 0)]                      # (s since start, acknowledged): the rate over the run
        step = min(10.0, a.seconds / 6)
        while any(t.is_alive() for t in ths):
            for t in ths:
                t.join(timeout=max(0.0, t0 + step * len(marks) - time.monotonic()))
            with lock:
                marks.append((time.monotonic() - t0, acked[0]))
        wall = marks[-1][0]
        p.terminate()
        p.wait(60)
        con = sqlite3.connect(db)
        stored = con.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
        con.close()
        base = baseline(Path(tmp) / "b.sqlite", 5.0)
    ours = acked[0] / wall
    print(f"| durable ingest, {a.clients} clients x {a.batch}-sample JSON batches{' (split timelines)' if a.split else ''}, {wall:.0f} s | {ours:,.0f} samples/s | "
          f"acknowledged {acked[0]:,}, archived {stored:,}, lost {max(0, acked[0] - stored)} |")
    print(f"| baseline: one INSERT + COMMIT per sample (WAL, FULL), 5 s | {base:,.0f} samples/s | ratio {ours / base:.1f}x |")
    rates = [(b[1] - a_[1]) / (b[0] - a_[0]) for a_, b in zip(marks, marks[1:]) if b[0] - a_[0] > 0.5 * step]
    if rates:
        print(f"| rate over the run, per {step:g} s window | first {rates[0]:,.0f}, "
              f"last {rates[-1]:,.0f}, min {min(rates):,.0f}, max {max(rates):,.0f} samples/s | load average "
              f"{os.getloadavg()[0]:.1f} at the end |")


if __name__ == "__main__":
    main()
