"""SIGKILL the service during steady ingest, restart it on the same file: every acknowledged sample is there,
and the detector rebuilt from the archive gives the same answer as a run that was never interrupted.

CI does 2 kills at random moments; ``benchmarks/ops_crash.py`` does >= 20."""

from __future__ import annotations

import random
import sqlite3
import threading
import time

import httpx
import numpy as np

from hullbreach.ops.archive import open_archive
from hullbreach.ops.monitor import Monitor


def _steady_ingest(url: str, token: str, start_i: int, acked: list, stop: threading.Event) -> None:
    """Send 200-sample batches until stopped or the server dies; record every acknowledged batch."""
    i = start_i
    with httpx.Client(base_url=url, timeout=10) as c:
        while not stop.is_set():
            samples = [{"time": 1535580000 + (i + k) * 0.5, "channel": "USLAB000058" if k % 2 else "node1.pressure",
                        "value": 755.0 - ((i + k) % 97) * 0.01} for k in range(200)]
            try:
                r = c.post("/api/ingest", json={"samples": samples}, headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError:
                return
            if r.status_code == 200 and r.json()["accepted"] == 200:
                acked.append((i, samples))
            i += 200


def test_sigkill_during_ingest_loses_no_acknowledged_sample(tmp_path, launch, token):
    db = tmp_path / "crash.sqlite"
    acked: list = []
    rng = random.Random(12)
    i = 0
    for _kill in range(2):
        s = launch(db, "--rate", "1000")
        stop = threading.Event()
        th = threading.Thread(target=_steady_ingest, args=(s.url, token, i, acked, stop))
        th.start()
        time.sleep(rng.uniform(1.0, 2.5))
        s.kill()  # SIGKILL at a random moment of the ingest
        stop.set()
        th.join(timeout=30)
        i = (acked[-1][0] + 10_000) if acked else i + 10_000
    assert len(acked) > 5
    db_ro = sqlite3.connect(db)
    stored = set(db_ro.execute("SELECT t_ns FROM samples"))
    db_ro.close()
    want = {(int(round(smp["time"] * 1e9)),) for _, batch in acked for smp in batch}
    missing = want - stored
    assert not missing, f"{len(missing)} acknowledged samples lost"
    # the second round was already a restart after a SIGKILL: it rebuilt the detector and took more samples
    assert acked[-1][0] > 10_000
    # the rebuilt detector equals one fed the same archived batches without interruption
    a = open_archive(db)
    fresh = Monitor("iss-2018", a)
    for b in a.batches():
        fresh.detector.update(b.frame())
    rebuilt = Monitor("iss-2018", a)
    rebuilt.rebuild()
    keys = ("status", "alarms", "zones", "quarantined_samples", "end_time")
    assert {k: rebuilt.state()[k] for k in keys} == {k: fresh.detector.state()[k] for k in keys}
    assert np.isfinite(len(want))
