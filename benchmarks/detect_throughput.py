"""Throughput benchmark: 30 days of 1 Hz telemetry for 20 channels (51.8 M samples) from Parquet -> leak answer.

Usage::

    python benchmarks/detect_throughput.py            # full: 30 days (writes ~0.9 GB of Parquet once)
    python benchmarks/detect_throughput.py --days 3   # quick
    python benchmarks/detect_throughput.py --baseline /tmp/base17   # beside another source tree's code

What is timed (each in a fresh Python process, so that peak RSS is its own):

* ``hullbreach detect STATION FILE --json``: the command an operator runs, end to end (interpreter start,
  imports, read, every data check, air mass, detector, intervals, JSON), on a wide Parquet file (time
  column + one column per channel, the layout of public ISS telemetry archives) and on a long one
  (``time, channel, value``, dictionary-encoded channel, time-major), both holding the same samples;
* the same two in-process, split into read + checks and detection;
* the baseline: what the first version of this benchmark did (and what one writes with pandas):
  ``pyarrow.parquet.read_table(...).to_pandas()`` of the long file, a vectorised unit conversion, and
  :func:`hullbreach.detect.detect` binning the 52 M-row long table. It runs **no data checks**, so it does
  less work than hullbreach.

Data: a 4-module, 240 m^3 station (``bench20.toml``, written next to the data): per module three pressure
gauges (mmHg) and a temperature sensor (degC), ppN2 and ppO2 in two modules; 1 Hz, Gaussian noise of the
declared ``noise_std``, an orbital (92.6 min) 0.3 K thermal cycle that moves pressure by ~2.6 mmHg/K, a few
spikes and NaNs per channel (the checks quarantine them), and a 1 mmHg/day leak from day ``days - 5``, so
the answer is a real alarm with intervals, not an idle "nominal".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

MODULES = ("a", "b", "c", "d")
LEAK_MMHG_PER_DAY = 1.0
T0_NS = 1_704_067_200 * 1_000_000_000  # 2024-01-01T00:00:00Z


def channels() -> list[tuple[str, str, str, str, float]]:
    """(id, module, quantity, unit, noise_std) of the 20 channels."""
    out = []
    for m in MODULES:
        out += [(f"{m}.p{k}", m, "pressure", "mmHg", 0.05) for k in range(3)]
        out.append((f"{m}.t", m, "temperature", "degC", 0.1))
    for m in MODULES[:2]:
        out += [(f"{m}.ppn2", m, "ppn2", "mmHg", 0.5), (f"{m}.ppo2", m, "ppo2", "mmHg", 0.5)]
    return out


def station_toml() -> str:
    lines = ['name = "bench20"', "evacuation_pressure_pa = 69328.0", "nominal_pressure_pa = 101325.0"]
    for m in MODULES:
        lines += ["[[module]]", f'id = "{m}"', "volume_m3 = 60.0"]
    for a, b in zip(MODULES[:-1], MODULES[1:]):
        lines += ["[[hatch]]", f'id = "{a}-{b}"', f'modules = ["{a}", "{b}"]', 'state = "open"', f'opens_into = "{b}"']
    for cid, m, q, u, nz in channels():
        lines += ["[[sensor]]", f'id = "{cid}"', f'module = "{m}"', f'quantity = "{q}"', f'unit = "{u}"',
                  f"noise_std = {nz}"]
    return "\n".join(lines) + "\n"


def leak_day(days: float) -> float:
    """Day of the record on which the leak starts (5 days before the end, or half way in short records)."""
    return max(days - 5.0, days / 2.0)


def write_data(work: Path, days: float) -> dict:
    """Write bench20.toml, wide.parquet and long.parquet into ``work`` (once per ``days``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    work.mkdir(parents=True, exist_ok=True)
    st = work / "bench20.toml"
    st.write_text(station_toml())
    tag = f"{days:g}d"
    wide, long = work / f"wide-{tag}.parquet", work / f"long-{tag}.parquet"
    if wide.exists() and long.exists():
        return {"station": st, "wide": wide, "long": long}
    chans = channels()
    names = [c[0] for c in chans]
    n_t = int(round(days * 86400))
    rng = np.random.default_rng(0)
    day = 86400
    w_writer = l_writer = None
    for c0 in range(0, n_t, day):
        tt = np.arange(c0, min(n_t, c0 + day), dtype=np.int64)
        T = 22.0 + 0.3 * np.sin(2 * np.pi * tt / 5556.0)
        leak = -LEAK_MMHG_PER_DAY * np.clip((tt - leak_day(days) * day) / day, 0.0, None)
        p = (745.0 + leak) * (T + 273.15) / 295.15
        vals = []
        for cid, m, q, u, nz in chans:
            base = {"pressure": p, "temperature": T, "ppn2": 0.78 * p, "ppo2": 0.21 * p}[q]
            x = base + nz * rng.standard_normal(len(tt))
            k = 3
            x[rng.integers(0, len(tt), k)] += 60 * nz + 2.0  # spikes
            x[rng.integers(0, len(tt), k)] = np.nan         # missing
            vals.append(x)
        t_ns = T0_NS + tt * 1_000_000_000
        tw = pa.table({"time": pa.array(t_ns, type=pa.timestamp("ns", tz="UTC")),
                       **{nm: pa.array(v) for nm, v in zip(names, vals)}})
        v_long = np.stack(vals, 1).ravel()
        tl = pa.table({"time": pa.array(np.repeat(t_ns, len(chans)), type=pa.timestamp("ns", tz="UTC")),
                       "channel": pa.DictionaryArray.from_arrays(pa.array(np.tile(np.arange(len(chans), dtype=np.int32), len(tt))),
                                                                 pa.array(names)),
                       "value": pa.array(v_long)})
        if w_writer is None:
            w_writer = pq.ParquetWriter(wide, tw.schema)
            l_writer = pq.ParquetWriter(long, tl.schema)
        w_writer.write_table(tw)
        l_writer.write_table(tl)
    w_writer.close()
    l_writer.close()
    return {"station": st, "wide": wide, "long": long}


def measure(kind: str, station_path: str, path: str) -> dict:
    """In a fresh process: ``ours`` (read_telemetry + detect) or ``baseline`` (pandas, no checks)."""
    import resource

    from telemetry_read import _peak_rss_mib  # this script's folder is on sys.path

    from hullbreach.detect.detector import detect
    from hullbreach.station import load_station
    st = load_station(station_path)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if kind == "ours":
        from hullbreach.telemetry import read_telemetry
        frame = read_telemetry(path, st)
    else:
        import pandas as pd
        import pyarrow.parquet as pq

        from hullbreach.telemetry.frame import ChannelReport, TelemetryFrame
        from hullbreach.units import to_si
        df = pq.read_table(path).to_pandas()
        cats = list(df["channel"].cat.categories)
        scale = np.array([to_si(1.0, st.sensors[c].unit) - to_si(0.0, st.sensors[c].unit) for c in cats])
        off = np.array([to_si(0.0, st.sensors[c].unit) for c in cats])
        codes = df["channel"].cat.codes.to_numpy()
        v = df["value"].to_numpy() * scale[codes] + off[codes]
        ok = np.isfinite(v)
        frame = TelemetryFrame(data=pd.DataFrame({"time": df["time"][ok], "channel": df["channel"][ok], "value": v[ok]}),
                               channels={c: ChannelReport(c, 1, 0) for c in cats}, source=path)
        del df
    t1 = time.perf_counter()
    res = detect(st, frame, None, keep_series=False)
    t2 = time.perf_counter()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    al = res.alarms[0] if res.alarms else None
    return {"kind": kind, "samples": int(frame.n_accepted + frame.n_quarantined), "quarantined": frame.n_quarantined,
            "read_s": t1 - t0, "detect_s": t2 - t1, "total_s": t2 - t0,
            "cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), "peak_rss_mib": _peak_rss_mib(),
            "status": res.status,
            "alarm": None if al is None else {"time_s": al.time_s, "onset_s": al.onset_s.estimate,
                                              **_rate_mmhg_day(al.estimate.pressure_rate_pa_s)}}


def _rate_mmhg_day(rate_pa_s) -> dict:
    """Loss rate [mmHg/day] (positive) with its 95 % interval, from a pressure rate interval [Pa/s]."""
    k = -86400 / 133.322368
    return {"rate_mmhg_day": rate_pa_s.estimate * k, "rate_lo": rate_pa_s.high * k, "rate_hi": rate_pa_s.low * k}


def _env(src: str | None) -> dict | None:
    """The environment of a child on another source tree (its ``src/`` first on the path), or None (this one)."""
    if src is None:
        return None
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(src) / "src"), str(Path(__file__).resolve().parent)]))


def run_child(kind: str, station: Path, path: Path, src: str | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(station), str(path)], capture_output=True,
                         text=True, env=_env(src))
    if out.returncode:
        raise SystemExit(f"child {kind} {path} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cli(station: Path, path: Path, src: str | None = None) -> dict:
    """``hullbreach detect STATION FILE --json`` as a user runs it: wall time and peak RSS (GNU time); with
    ``src``, the same command on that source tree (``python -m hullbreach.cli.main`` with its src/ first)."""
    exe = shutil.which("hullbreach") if src is None else None
    cmd = [exe, "detect", str(station), str(path), "--json"] if exe else \
        [sys.executable, "-m", "hullbreach.cli.main", "detect", str(station), str(path), "--json"]
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if gnu_time:
        cmd = [gnu_time, "-f", "%e %U %S %M"] + cmd
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(src))
    wall = time.perf_counter() - t0
    if out.returncode:
        raise SystemExit(f"hullbreach detect failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout)
    cpu = rss = float("nan")
    if gnu_time:
        e, u, s, m = out.stderr.strip().splitlines()[-1].split()
        cpu, rss = float(u) + float(s), int(m) / 1024.0
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss, "status": res["status"], "alarms": len(res["alarms"])}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--work", default="/tmp/hullbreach-bench-detect")
    ap.add_argument("--baseline", default=None,
                    help="another source tree (e.g. `git worktree add /tmp/base17 17f9473`): its rows beside ours")
    ap.add_argument("--child", nargs=3, metavar=("KIND", "STATION", "PATH"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(measure(*a.child)))
        return 0
    t_gen = time.perf_counter()
    paths = write_data(Path(a.work), a.days)
    t_gen = time.perf_counter() - t_gen
    st = paths["station"]
    print(f"# detect throughput, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPU, load average "
          f"{os.getloadavg()[0]:.1f}; {a.days:g} days x 1 Hz x 20 channels; data ready in {t_gen:.0f} s "
          f"(wide {paths['wide'].stat().st_size / 1e6:.0f} MB, long {paths['long'].stat().st_size / 1e6:.0f} MB)")
    print("\n| run | samples | read + checks s | detect s | total s | CPU s | peak RSS MiB | answer |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    rows = {}
    runs = [("hullbreach, wide Parquet", "ours", "wide", None), ("hullbreach, long Parquet", "ours", "long", None),
            ("baseline: pandas long table, no checks", "baseline", "long", None)]
    if a.baseline:
        runs[2:2] = [(f"baseline code ({a.baseline}), wide Parquet", "ours", "wide", a.baseline),
                     (f"baseline code ({a.baseline}), long Parquet", "ours", "long", a.baseline)]
    for label, kind, key, src in runs:
        r = run_child(kind, st, paths[key], src)
        rows[label] = r
        al = r["alarm"]
        ans = r["status"] if al is None else (f"leak, onset day {(al['onset_s'] - T0_NS / 1e9) / 86400:.2f}, alarm day "
                                              f"{(al['time_s'] - T0_NS / 1e9) / 86400:.2f}, "
                                              f"{al['rate_mmhg_day']:.2f} [{al['rate_lo']:.2f}, {al['rate_hi']:.2f}] mmHg/day")
        print(f"| {label} | {r['samples'] / 1e6:.1f} M | {r['read_s']:.2f} | {r['detect_s']:.2f} | {r['total_s']:.2f} | "
              f"{r['cpu_s']:.2f} | {r['peak_rss_mib']:,.0f} | {ans} |")
    base = rows["baseline: pandas long table, no checks"]["total_s"]
    print("\n| command (fresh process: start, imports, read, checks, detect, JSON) | wall s | CPU s | peak RSS MiB | "
          "status | baseline / this (in-process totals) |")
    print("|---|---:|---:|---:|---|---:|")
    for key, label in (("wide", "hullbreach, wide Parquet"), ("long", "hullbreach, long Parquet")):
        for src in (None, a.baseline) if a.baseline else (None,):
            c = run_cli(st, paths[key], src)
            who = "" if src is None else f" (baseline code, {src})"
            ref = label if src is None else f"baseline code ({a.baseline}), {key} Parquet"
            print(f"| `hullbreach detect bench20.toml {paths[key].name} --json`{who} | {c['wall_s']:.2f} | {c['cpu_s']:.2f} | "
                  f"{c['peak_rss_mib']:,.0f} | {c['status']} ({c['alarms']} alarm(s)) | {base / rows[ref]['total_s']:.1f}x |")
    if a.baseline:
        for key in ("wide", "long"):
            ours, other = rows[f"hullbreach, {key} Parquet"], rows[f"baseline code ({a.baseline}), {key} Parquet"]
            print(f"\n{key}: detect {ours['detect_s']:.2f} s here, {other['detect_s']:.2f} s on the baseline code "
                  f"(ratio baseline / here {other['detect_s'] / ours['detect_s']:.2f}x); same answer: "
                  f"{ours['status'] == other['status'] and ours['alarm'] == other['alarm']}")
    print(f"\nleak simulated: {LEAK_MMHG_PER_DAY} mmHg/day from day {leak_day(a.days):g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
