"""Replay: days of 1 Hz telemetry for 20 channels archived and detected by the monitor, against real time.

Usage: ``python benchmarks/ops_replay.py [--days 2]`` (the goal is 30 days; the figure scales linearly, as
the archive append and the streaming detector do per sample, so a shorter run is reported with its size).

Data: the 20-channel ``bench20`` station and its long Parquet file from ``benchmarks/detect_throughput.py``
(same generator: noise, orbital cycle, spikes, a 1 mmHg/day leak near the end). The monitor (in process,
no HTTP) takes one-hour batches: each is committed to the SQLite archive (WAL, synchronous=FULL) and then
analysed by the streaming detector (:meth:`Monitor.analyse_pending`). Baseline in the same run: the batch
detector (``hullbreach.detect.detect``) on the same file with no archive at all.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from detect_throughput import write_data  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=2.0)
    a = ap.parse_args()
    from hullbreach.detect.detector import detect
    from hullbreach.ops.archive import open_archive
    from hullbreach.ops.feeds import raw_from_file
    from hullbreach.ops.monitor import Monitor
    from hullbreach.station import load_station
    from hullbreach.telemetry.readers import read_telemetry

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = write_data(work, a.days)
        st = load_station(files["station"])
        t0 = time.perf_counter()
        raw = raw_from_file(files["long"], st)
        t_read = time.perf_counter() - t0
        t = np.asarray(pd.DatetimeIndex(raw["time"]).asi8)
        ch = raw["channel"].to_numpy(object)
        v = raw["value"].to_numpy(float)
        m = Monitor(st, open_archive(work / "a.sqlite"))
        span_s = (t[-1] - t[0]) / 1e9
        edges = np.searchsorted(t, np.arange(t[0], t[-1] + 3600e9, 3600e9))
        t0 = time.perf_counter()
        for i, j in zip(edges[:-1], edges[1:]):
            if j > i:
                m.ingest(t[i:j], ch[i:j], v[i:j])
                m.analyse_pending()
        wall = time.perf_counter() - t0
        status = m.state()["status"]
        t0 = time.perf_counter()
        res = detect(st, read_telemetry(files["long"], st))
        base = time.perf_counter() - t0
    n = len(t)
    print(f"| monitor: archive (SQLite FULL) + streaming detector, {a.days:g} days x 20 channels at 1 Hz ({n:,} samples), "
          f"1-hour batches | {wall:.1f} s | {span_s / wall:,.0f}x real time | answer {status} |")
    print(f"| (file read + checks before the replay, not timed above) | {t_read:.1f} s | | |")
    print(f"| baseline: batch detect() of the same file, no archive | {base:.1f} s | {span_s / base:,.0f}x real time | answer {res.status} |")


if __name__ == "__main__":
    main()
