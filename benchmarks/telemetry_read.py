"""Benchmark: read + check telemetry (hullbreach.telemetry) against a naive pandas read_csv + Python loop.

Usage::

    python benchmarks/telemetry_read.py            # full: 30 days x 1 Hz x 20 channels (51.8 M samples)
    python benchmarks/telemetry_read.py --days 1   # quick

Each measurement runs in a fresh Python process so that its peak RSS (``ru_maxrss``) is its own. Data are
written once into ``--work`` (default /tmp/hullbreach-bench-telemetry). The station is the built-in
``iss-2018``; the first 20 of its pressure/temperature/partial-pressure channels are used, with values in the
sensors' units (mmHg, degC), 1 Hz, Gaussian noise of the declared ``noise_std`` rounded to ``resolution``,
plus a few spikes, NaNs and duplicates so that the checks have work to do.

The baseline is what one writes without thinking about speed: ``pandas.read_csv`` then a Python loop over
the rows that parses the time, checks the channel, NaN and duplicates, converts the unit, and finally sorts
(no spike or stuck detection, so it does less than hullbreach). It runs on a smaller set (``--baseline-hours``)
and is compared per sample.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

N_CHANNELS = 20
T0 = pd.Timestamp("2018-08-01T00:00:00Z")


def channels(station):
    out = [s for s in station.sensors.values() if s.quantity in ("pressure", "temperature", "ppo2", "ppn2", "ppco2")]
    return out[:N_CHANNELS]


TYPICAL_SI = {"pressure": 100_000.0, "temperature": 295.0, "ppo2": 21_300.0, "ppn2": 78_000.0, "ppco2": 400.0}


def make_wide(station, n: int, seed: int = 0) -> pd.DataFrame:
    """Wide table: time (UTC, 1 Hz) and one column per channel in the sensor's unit."""
    from hullbreach.units import from_si
    rng = np.random.default_rng(seed)
    cols = {"time": pd.date_range(T0, periods=n, freq="s")}
    for s in channels(station):
        mu = from_si(TYPICAL_SI[s.quantity], s.unit)
        x = mu + rng.normal(0.0, max(s.noise_std, 1e-3), n) + 0.2 * np.sin(np.arange(n) * 2 * np.pi / 5580.0)
        if s.resolution > 0:
            x = np.round(x / s.resolution) * s.resolution
        k = max(1, n // 100_000)
        x[rng.integers(0, n, k)] += 50.0 * max(s.noise_std, 0.05)  # spikes
        x[rng.integers(0, n, k)] = np.nan                           # missing
        cols[s.id] = x
    return pd.DataFrame(cols)


def write_sets(work: Path, days: float, baseline_hours: float) -> dict:
    from hullbreach.station import load_station
    from hullbreach.telemetry.writers import write_long_csv
    import pyarrow as pa
    import pyarrow.parquet as pq
    st = load_station("iss-2018")
    work.mkdir(parents=True, exist_ok=True)
    n = int(days * 86400)
    paths = {"wide_parquet": work / f"wide_{days:g}d.parquet", "long_parquet": work / f"long_{days:g}d.parquet",
             "small_csv": work / f"long_{baseline_hours:g}h.csv", "small_parquet": work / f"wide_{baseline_hours:g}h.parquet"}
    if not paths["wide_parquet"].exists():
        w = make_wide(st, n)
        pq.write_table(pa.Table.from_pandas(w, preserve_index=False), paths["wide_parquet"])
        if days <= 31:
            long = w.melt(id_vars="time", var_name="channel", value_name="value")
            long = long[long["value"].notna()].sort_values(["time", "channel"], kind="stable")
            t = pa.Table.from_pandas(long, preserve_index=False)
            t = t.set_column(1, "channel", t.column("channel").dictionary_encode())
            pq.write_table(t, paths["long_parquet"])
            del long
        del w
    if not paths["small_csv"].exists():
        w = make_wide(st, int(baseline_hours * 3600), seed=1)
        pq.write_table(pa.Table.from_pandas(w, preserve_index=False), paths["small_parquet"])
        long = w.melt(id_vars="time", var_name="channel", value_name="value").sort_values(["time", "channel"],
                                                                                          kind="stable")
        long = pd.concat([long, long.iloc[::50_000]], ignore_index=True)  # a few exact duplicates
        write_long_csv(long, paths["small_csv"])
    return {k: str(v) for k, v in paths.items()}


# ------------------------------------------------------------------------------------------ one measurement
def naive_read(path: str, station_name: str) -> tuple[int, int]:
    """The baseline: read_csv, then a per-row Python loop (parse, check, convert), then sort."""
    from hullbreach.station import load_station
    from hullbreach.units import to_si
    st = load_station(station_name)
    df = pd.read_csv(path)
    seen = set()
    times, chans, vals, bad = [], [], [], 0
    for t, c, v in zip(df["time"], df["channel"], df["value"]):
        try:
            ts = datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            bad += 1
            continue
        s = st.sensors.get(c)
        if s is None or v != v or math.isinf(v):
            bad += 1
            continue
        key = (ts, c)
        if key in seen:
            bad += 1
            continue
        seen.add(key)
        times.append(ts)
        chans.append(c)
        vals.append(to_si(float(v), s.unit))
    out = pd.DataFrame({"time": times, "channel": chans, "value": vals}).sort_values(["time", "channel"])
    return len(out), bad


def _peak_rss_mib() -> float:
    """Peak resident set size of this process [MiB] (VmHWM; unlike ru_maxrss it does not survive exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def measure(kind: str, path: str) -> dict:
    from hullbreach.station import load_station
    from hullbreach.telemetry import read_telemetry
    import resource
    station = load_station("iss-2018")
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if kind == "naive":
        n_ok, n_bad = naive_read(path, "iss-2018")
    else:
        f = read_telemetry(path, station)
        n_ok, n_bad = len(f.data), f.n_quarantined
    dt = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    rss = _peak_rss_mib()
    return {"kind": kind, "path": path, "seconds": dt, "cpu_seconds": cpu, "accepted": n_ok, "quarantined": n_bad, "peak_rss_mib": rss}


def run_child(kind: str, path: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, path], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--baseline-hours", type=float, default=6.0)
    ap.add_argument("--work", default="/tmp/hullbreach-bench-telemetry")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(measure(*a.child)))
        return 0
    paths = write_sets(Path(a.work), a.days, a.baseline_hours)
    rows = []
    for label, kind, key in (
        (f"naive read_csv + loop, long CSV, {a.baseline_hours:g} h", "naive", "small_csv"),
        (f"hullbreach, long CSV, {a.baseline_hours:g} h", "ours", "small_csv"),
        (f"hullbreach, wide Parquet, {a.baseline_hours:g} h", "ours", "small_parquet"),
        (f"hullbreach, wide Parquet, {a.days:g} d", "ours", "wide_parquet"),
        (f"hullbreach, long Parquet, {a.days:g} d", "ours", "long_parquet"),
    ):
        if not Path(paths[key]).exists():
            continue
        r = run_child(kind, paths[key])
        r["label"] = label
        n = r["accepted"] + r["quarantined"]
        r["us_per_sample"] = 1e6 * r["seconds"] / max(n, 1)
        rows.append(r)
    base = rows[0]["us_per_sample"]
    print(f"telemetry read + check benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} CPU, load average {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}, "
          f"pandas {pd.__version__}")
    base_cpu = rows[0]["cpu_seconds"] / max(rows[0]["accepted"] + rows[0]["quarantined"], 1)
    print(f"{'run':44s} {'samples':>11s} {'quarant.':>9s} {'wall s':>8s} {'CPU s':>8s} {'us/sample':>10s} "
          f"{'speed-up':>9s} {'CPU speed-up':>12s} {'peak RSS MiB':>12s}")
    for r in rows:
        n = r["accepted"] + r["quarantined"]
        cpu_per = r["cpu_seconds"] / max(n, 1)
        print(f"{r['label']:44s} {n:11,d} {r['quarantined']:9,d} {r['seconds']:8.2f} {r['cpu_seconds']:8.2f} "
              f"{r['us_per_sample']:10.3f} {base / r['us_per_sample']:8.1f}x {base_cpu / cpu_per:11.1f}x "
              f"{r['peak_rss_mib']:12.0f}")
    print("wall = elapsed time of the read + checks; CPU = user + system time of that process (less sensitive "
          "to other load on the machine); speed-up per sample against the first row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
