"""hullbreach detect on the fifth generator (written blind, tests/generators/fifthgen.py), through the CLI.

Each record is generated, written as a user would hand it over (telemetry.csv in the sensors' units,
events.csv), and analysed with ``python -m hullbreach detect STATION telemetry.csv --events events.csv --json``
(every record is a detector start-up). Beside it, in the same run, a simple baseline: a dP/dt threshold
(least-squares slope of the median of the main zone's pressure gauges over the last 60 min below
-0.5 mmHg/h, the baseline of benchmarks/detect_bench.py).

Table: false alarms (leak-free records), alarms before onset, delay, rate and hole interval coverage (at
the alarm and latest), zone states (unmonitored / learning), sensor faults called, and the baseline.

    PYTHONPATH=src:. python benchmarks/detect_fifthgen.py --quick      # CI size, ~3 min
    PYTHONPATH=src:. python benchmarks/detect_fifthgen.py              # the sweep (--workers 1)
    PYTHONPATH=src:. python benchmarks/detect_fifthgen.py --days 100   # leak-free sweep: 100 records of 24 h
    ... --days 6 --compare /path/to/other/checkout/src                  # before/after on the same records

``--days N``: N leak-free 24 h records (each a detector start-up) on the quad station, iss-2025 and iss-2018 in
turn, seeds from ``--seed0``, 1-3 random hatch closures of 1-8 h each (15 % not logged); the summary gives the
simulated days, start-ups, hatch reconfigurations (each closure and each reopening inside the record) and false
leak alarms per day (issue 16's goal row: 0 in >= 100 days, >= 50 start-ups, >= 20 reconfigurations).
``--compare SRC`` runs ``hullbreach detect`` a second time on every record with another checkout's ``src`` (the
detector before a change), so that before and after come from the same records in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from hullbreach.station import load_station  # noqa: E402
from tests.generators.fifthgen import MMHG_PA, Config, Leak, generate, leak_pressure_rate_pa_s  # noqa: E402

QUAD = str(ROOT / "tests/generators/fifthgen-quad.toml")
MS09 = 0.6  # mmHg/h in the whole station (docs/reference/figures.md)
DAY1 = 1.0 / 24.0  # 1 mmHg/day in mmHg/h
BASE_MMHG_H = 0.5
BASE_WINDOW_S = 3600.0


@dataclass(frozen=True)
class Case:
    station: str
    name: str
    hours: float
    seed: int
    leak: tuple = ()  # (module, start_h, rate_mmhg_h)
    hatch_ops: int = 1
    crew: int = 3
    log_hatch: float = 0.85


def cases(quick: bool) -> list[Case]:
    if quick:
        return [
            Case(QUAD, "leak-free", 12, 1),
            Case(QUAD, "4x MS-09 capsule early", 8, 2, ("capsule", 2.0, MS09 * 4)),
            Case(QUAD, "10 mmHg/h hab late", 10, 3, ("hab", 8.0, 10.0)),
        ]
    out = []
    for s in range(4):
        out.append(Case(QUAD, "leak-free", 24, 100 + s, hatch_ops=2))
    for s in range(2):
        out.append(Case("iss-2025", "leak-free", 24, 200 + s, crew=7, hatch_ops=2))
    out.append(Case("iss-2018", "leak-free", 24, 300, crew=6, hatch_ops=2))
    out += [
        Case(QUAD, "1 mmHg/day lab", 48, 110, ("lab", 6.0, DAY1)),
        Case(QUAD, "MS-09 capsule early", 12, 111, ("capsule", 1.0, MS09)),
        Case(QUAD, "MS-09 node late", 24, 112, ("node", 18.0, MS09)),
        Case(QUAD, "10 mmHg/h hab", 14, 113, ("hab", 10.0, 10.0)),
        Case("iss-2025", "MS-09 soyuz-om", 16, 210, ("soyuz-om", 10.0, MS09), crew=7),
        Case("iss-2025", "10 mmHg/h crew-dragon early", 6, 211, ("crew-dragon", 1.5, 10.0), crew=7),
        Case("iss-2025", "1 mmHg/day destiny", 36, 212, ("destiny", 4.0, DAY1), crew=7),
        Case("iss-2018", "MS-09 soyuz-ms09-om late", 24, 310, ("soyuz-ms09-om", 20.0, MS09), crew=6),
    ]
    return out


SWEEP_STATIONS = ((QUAD, 3), ("iss-2025", 7), ("iss-2018", 6))  # (station, crew)


def sweep_cases(days: int, seed0: int) -> list[Case]:
    """``days`` leak-free 24 h records: the stations of :data:`SWEEP_STATIONS` in turn, seed ``seed0 + i``, 1-3
    random hatch closures drawn from the seed."""
    out = []
    for i in range(days):
        st, crew = SWEEP_STATIONS[i % len(SWEEP_STATIONS)]
        ops = int(np.random.default_rng(seed0 + i).integers(1, 4))
        out.append(Case(st, "leak-free sweep", 24, seed0 + i, hatch_ops=ops, crew=crew))
    return out


def _baseline(tel: pd.DataFrame, station, start_ns: int) -> float | None:
    """First time [s from start] the dP/dt baseline alarms, or None."""
    hatches = [h for h in station.hatches.values() if h.state == "open"]
    # main zone: the largest set of modules joined by open hatches in the station file
    adj = {m: set() for m in station.modules}
    for h in hatches:
        a, b = h.modules
        adj[a].add(b)
        adj[b].add(a)
    seen, best = set(), set()
    for m in station.modules:
        if m in seen:
            continue
        comp, stack = set(), [m]
        while stack:
            x = stack.pop()
            if x not in comp:
                comp.add(x)
                stack.extend(adj[x] - comp)
        seen |= comp
        if sum(station.modules[c].volume_m3 for c in comp) > sum(station.modules[c].volume_m3 for c in best):
            best = comp
    chans = [s.id for s in station.sensors.values() if s.quantity == "pressure" and s.module in best]
    d = tel[tel["channel"].isin(chans)]
    t = (pd.to_datetime(d["time"]) - pd.Timestamp(start_ns, tz="UTC")).dt.total_seconds().to_numpy()
    v = d["value"].astype(float).to_numpy()
    b = (t // 60).astype(int)
    ch = d["channel"].to_numpy()
    # per channel, remove its first-hour median (offsets), then the median over channels per bin
    off = {c: np.median(v[(ch == c) & (t < 3600)]) for c in chans if ((ch == c) & (t < 3600)).any()}
    rel = v - np.array([off.get(c, np.nan) for c in ch])
    df = pd.DataFrame({"b": b, "rel": rel}).dropna().groupby("b")["rel"].median()
    bins, y = df.index.to_numpy(), df.to_numpy()
    w = int(BASE_WINDOW_S // 60)
    for k in range(len(bins)):
        sel = (bins > bins[k] - w) & (bins <= bins[k])
        if bins[k] < w or sel.sum() < w // 2:
            continue
        slope = np.polyfit(bins[sel] * 60.0, y[sel], 1)[0] * 3600.0  # mmHg/h
        if slope < -BASE_MMHG_H:
            return float(bins[k] * 60.0 + 60.0)
    return None


def _covers(iv: dict | None, x: float) -> bool | None:
    if not iv or iv.get("low") is None or iv.get("high") is None:
        return None
    return bool(iv["low"] <= x <= iv["high"])


def _reconfigurations(ops, duration_s: float) -> int:
    """Hatch reconfigurations inside a record: each closure and each reopening, a hatch's overlapping closures
    counted once (the generator may draw the same hatch twice)."""
    n = 0
    for h in {o.hatch for o in ops}:
        spans = sorted((o.close_s, o.open_s) for o in ops if o.hatch == h)
        merged = [list(spans[0])]
        for a, b in spans[1:]:
            if a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        n += sum((a < duration_s) + (b < duration_s) for a, b in merged)
    return n


def _detect_cli(station: str, tp, ep, src: Path) -> tuple:
    """``hullbreach detect STATION telemetry --events events --json`` with the package of ``src``: (process, s)."""
    t0 = time.time()
    env = dict(os.environ, PYTHONPATH=f"{src}:{ROOT}")
    proc = subprocess.run([sys.executable, "-m", "hullbreach", "detect", station, str(tp), "--events", str(ep),
                           "--json"], capture_output=True, text=True, env=env)
    return proc, time.time() - t0


def _false_alarms(proc, start_ns: int) -> dict:
    """False leak alarms of a leak-free record's detect run: count, first time [h], first zone."""
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    al = [a for a in json.loads(proc.stdout)["alarms"] if a["kind"] == "leak"]
    out = {"false_alarms": len(al)}
    if al:
        out["first_alarm_h"] = round((pd.Timestamp(al[0]["time"]).value - start_ns) / 3.6e12, 2)
        out["alarm_zone"] = ",".join(al[0]["zone"][:3])
    return out


def run_case(case: Case, compare: str = "") -> dict:
    station = load_station(case.station)
    leaks = (Leak(case.leak[0], case.leak[1] * 3600.0, case.leak[2]),) if case.leak else ()
    cfg = Config(duration_s=case.hours * 3600.0, crew=case.crew, leaks=leaks, random_hatch_ops=case.hatch_ops,
                 log_hatch=case.log_hatch)
    t0 = time.time()
    rec = generate(station, cfg, seed=case.seed)
    gen_s = time.time() - t0
    with tempfile.TemporaryDirectory(prefix="fifthgen-") as tmp:
        tp, ep = rec.write(tmp)
        proc, det_s = _detect_cli(case.station, tp, ep, ROOT / "src")
        other = _detect_cli(case.station, tp, ep, Path(compare))[0] if compare else None
    row = {"station": Path(case.station).stem, "case": case.name, "seed": case.seed, "hours": case.hours,
           "gen_s": round(gen_s, 1), "detect_s": round(det_s, 1)}
    ops = rec.truth.attrs["ops"]
    row["ops"] = ";".join(f"{o.hatch}@{o.close_s / 3600:.1f}-{o.open_s / 3600:.1f}h{'' if o.logged else '(unlogged)'}"
                          for o in ops)
    row["reconfigs"] = _reconfigurations(ops, cfg.duration_s)
    if other is not None and not rec.leaks:
        row.update({f"cmp_{k}": v for k, v in _false_alarms(other, rec.start_ns).items()})
    elif other is not None and other.returncode == 0:
        # the other detector's first alarm in the leak's zone after onset, and its alarms before onset
        on, mod = rec.leaks[0]["start_s"], rec.leaks[0]["module"]
        al = [((pd.Timestamp(a["time"]).value - rec.start_ns) / 1e9, a["zone"])
              for a in json.loads(other.stdout)["alarms"] if a["kind"] == "leak"]
        hit = [t for t, z in al if t >= on and mod in z]
        row["cmp_before_onset"] = sum(t < on for t, _ in al)
        row["cmp_delay_min"] = round((hit[0] - on) / 60.0, 1) if hit else None
    if proc.returncode != 0:
        row["error"] = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        return row
    out = json.loads(proc.stdout)
    leak_alarms = [a for a in out["alarms"] if a["kind"] == "leak"]
    start_ns = rec.start_ns

    def ts(s):
        return (pd.Timestamp(s).value - start_ns) / 1e9

    row["status"] = out["status"]
    states = [z.get("state") for z in out["zones"]]
    row["zones"] = len(states)
    row["unmonitored"] = states.count("unmonitored")
    row["learning"] = states.count("learning")
    row["faults"] = len(out["sensor_faults"])
    row["fault_ids"] = ",".join(sorted({f["sensor"] for f in out["sensor_faults"]}))
    onset = rec.leaks[0]["start_s"] if rec.leaks else None
    if onset is None:
        row["false_alarms"] = len(leak_alarms)
        if leak_alarms:
            row["first_alarm_h"] = round(ts(leak_alarms[0]["time"]) / 3600.0, 2)
            row["alarm_zone"] = ",".join(leak_alarms[0]["zone"][:3])
    else:
        mod = rec.leaks[0]["module"]
        early = [a for a in leak_alarms if ts(a["time"]) < onset]
        row["before_onset"] = len(early)
        hit = [a for a in leak_alarms if ts(a["time"]) >= onset and mod in a["zone"]]
        row["wrong_zone_after"] = len([a for a in leak_alarms if ts(a["time"]) >= onset and mod not in a["zone"]])
        if hit:
            a = hit[0]
            t_al = ts(a["time"])
            row["delay_min"] = round((t_al - onset) / 60.0, 1)
            truth_rate = leak_pressure_rate_pa_s(rec, t_al, station)
            truth_end = leak_pressure_rate_pa_s(rec, case.hours * 3600.0 - 60, station)
            d_true = rec.leaks[0]["hole_d_m"]
            at = a.get("at_alarm", {})
            row["rate_true_mmhg_h"] = round(truth_rate * 3600 / MMHG_PA, 4)
            r_iv = at.get("pressure_rate_pa_s")
            row["rate_alarm_mmhg_h"] = (f"{r_iv['estimate'] * 3600 / MMHG_PA:.3f} [{r_iv['low'] * 3600 / MMHG_PA:.3f}, "
                                        f"{r_iv['high'] * 3600 / MMHG_PA:.3f}]") if r_iv else ""
            row["rate_cover_alarm"] = _covers(r_iv, truth_rate)
            row["rate_cover_latest"] = _covers(a.get("pressure_rate_pa_s"), truth_end)
            row["hole_true_mm"] = round(d_true * 1e3, 3)
            h_iv = at.get("effective_hole_diameter_m")
            row["hole_alarm_mm"] = (f"{h_iv['estimate'] * 1e3:.3f} [{h_iv['low'] * 1e3:.3f}, {h_iv['high'] * 1e3:.3f}]"
                                    if h_iv else "")
            row["hole_cover_alarm"] = _covers(h_iv, d_true)
            row["hole_cover_latest"] = _covers(a.get("effective_hole_diameter_m"), d_true)
            row["hole_err_latest_pct"] = round((a["effective_hole_diameter_m"]["estimate"] / d_true - 1) * 100, 1)
        else:
            row["delay_min"] = None
    b = _baseline(rec.telemetry, station, start_ns)
    if onset is None:
        row["base_false"] = int(b is not None)
    else:
        row["base_before_onset"] = int(b is not None and b < onset)
        # the baseline's first alarm after onset: a find only when the leak is above its threshold (0.5 mmHg/h)
        row["base_alarm_min"] = round((b - onset) / 60.0, 1) if b is not None and b >= onset else None
    return row


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="three small records (CI size)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", default="",
                    help="run only cases whose 'station name seed' contains this text (several: comma-separated)")
    ap.add_argument("--json", default="", help="write the rows to this JSON file")
    ap.add_argument("--days", type=int, default=0,
                    help="leak-free sweep instead: this many 24 h records (stations in turn, 1-3 random hatch ops)")
    ap.add_argument("--seed0", type=int, default=5000, help="first seed of the --days sweep")
    ap.add_argument("--compare", default="",
                    help="also run detect with this checkout's src directory (before/after on the same records)")
    args = ap.parse_args(argv)
    pool = sweep_cases(args.days, args.seed0) if args.days else cases(args.quick)
    todo = [c for c in pool if any(o in f"{c.station} {c.name} {c.seed}" for o in args.only.split(","))]
    t0 = time.time()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as ex:
            rows = list(ex.map(run_case, todo, [args.compare] * len(todo)))
    else:
        rows = []
        for c in todo:
            rows.append(run_case(c, args.compare))
            print(json.dumps(rows[-1]), flush=True)
    df = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    print(df.drop(columns=[c for c in ("ops", "fault_ids") if c in df]).to_string(index=False))
    free = df[df["case"].str.startswith("leak-free")]
    lk = df[~df["case"].str.startswith("leak-free")]
    if len(free):
        print(f"\nleak-free records: {len(free)}, with a false leak alarm: {int((free['false_alarms'] > 0).sum())} "
              f"(dP/dt baseline: {int(free.get('base_false', pd.Series(dtype=int)).fillna(0).sum())})")
        days = free["hours"].sum() / 24.0
        fa = free.get("false_alarms", pd.Series(dtype=float)).fillna(0)
        print(f"simulated days {days:g}, detector start-ups {len(free)}, hatch reconfigurations "
              f"{int(free['reconfigs'].sum())}; false leak alarms {int(fa.sum())} ({fa.sum() / days:.3f} per day)")
        if "cmp_false_alarms" in free:
            cf = free["cmp_false_alarms"].fillna(0)
            print(f"--compare {args.compare}: false leak alarms {int(cf.sum())} ({cf.sum() / days:.3f} per day), "
                  f"records with one {int((cf > 0).sum())}")
    if len(lk):
        if "cmp_delay_min" in lk:
            print("--compare: delays " + ", ".join(f"{r.case} {r.delay_min} min (other {r.cmp_delay_min})"
                                                    for r in lk.itertuples()))
        print(f"leak records: {len(lk)}, alarms before onset: {int(lk['before_onset'].fillna(0).gt(0).sum())} "
              f"(baseline {int(lk['base_before_onset'].fillna(0).sum())}), found: {int(lk['delay_min'].notna().sum())} "
              f"(baseline alarms after onset {int(lk['base_alarm_min'].notna().sum())})")
    print(f"wall {time.time() - t0:.0f} s; load {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
