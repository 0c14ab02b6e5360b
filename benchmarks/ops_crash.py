"""SIGKILL the monitor during steady ingest, again and again; count acknowledged samples lost; compare the
detector rebuilt from the archive with one fed the same batches without interruption.

Usage: ``python benchmarks/ops_crash.py [--kills 20]``

Each round: start ``hullbreach serve`` on the same SQLite file (it rebuilds the detector from the archive),
ingest 200-sample batches from two clients, SIGKILL it after a random 0.3-3 s. Then every acknowledged sample
is looked up in the archive. Baseline in the same run: a detector fed the archived batches one by one without
interruption; the detector rebuilt from the archive (as the service does on start) must equal it.
"""

from __future__ import annotations

import argparse
import sys
import random
import signal
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import httpx

from ops_common import TOKEN, start


_NEXT = [0]
_LOCK = threading.Lock()


def ingest(url, acked, stop):
    """Post 200-sample batches with contiguous, never reused times (both clients draw from one counter)."""
    with httpx.Client(base_url=url, timeout=10) as c:
        while not stop.is_set():
            with _LOCK:
                i = _NEXT[0]
                _NEXT[0] += 200
            batch = [{"time": 1535580000 + (i + k) * 0.5, "channel": "USLAB000058" if k % 2 else "node1.pressure",
                      "value": 755.0 - ((i + k) % 97) * 0.01} for k in range(200)]
            try:
                r = c.post("/api/ingest", json={"samples": batch}, headers={"Authorization": f"Bearer {TOKEN}"})
            except httpx.HTTPError:
                return
            if r.status_code == 200:
                acked.extend(int(round(s["time"] * 1e9)) for s in batch)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=20)
    a = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "a.sqlite"
        acked: list = []
        t_start = time.monotonic()
        restarts = []
        for k in range(a.kills):
            p, url, t_up = start(db)
            restarts.append(t_up)
            stop = threading.Event()
            ths = [threading.Thread(target=ingest, args=(url, acked, stop)) for _ in range(2)]
            for th in ths:
                th.start()
            print(f"round {k}: up in {t_up:.1f} s", file=sys.stderr, flush=True)
            time.sleep(rng.uniform(0.3, 3.0))
            p.send_signal(signal.SIGKILL)
            p.wait()
            stop.set()
            for th in ths:
                th.join()
        con = sqlite3.connect(db)
        stored = {r[0] for r in con.execute("SELECT t_ns FROM samples")}
        con.close()
        lost = len(set(acked) - stored)
        from hullbreach.ops.archive import open_archive
        from hullbreach.ops.monitor import Monitor

        arch = open_archive(db)
        fresh = Monitor("iss-2018", arch)
        for b in arch.batches():
            fresh.detector.update(b.frame())
        rebuilt = Monitor("iss-2018", arch)
        t0 = time.perf_counter()
        n = rebuilt.rebuild()
        t_rebuild = time.perf_counter() - t0
        keys = ("status", "alarms", "zones", "quarantined_samples", "end_time")
        equal = {k: rebuilt.state()[k] for k in keys} == {k: fresh.detector.state()[k] for k in keys}
    print(f"| {a.kills} SIGKILLs during ingest ({time.monotonic() - t_start:.0f} s) | acknowledged {len(acked):,}, "
          f"archived {len(stored):,}, lost {lost} | detector rebuilt from {n:,} samples in {t_rebuild:.1f} s equals "
          f"the uninterrupted one: {equal} | restart to 'serving' {min(restarts):.1f}-{max(restarts):.1f} s |")


if __name__ == "__main__":
    main()
