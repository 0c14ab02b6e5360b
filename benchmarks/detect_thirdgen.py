"""hullbreach.detect on telemetry of the THIRD generator (``tests/generators/thirdgen.py``): a 6-module ring
station, lumped wall-gas thermal physics (orbit and beta-angle heating, equipment power steps, 1/f bulk
drift the thermometers do not see), ISS-like atmosphere control (crew O2/CO2, CO2 removal venting air, an
O2 generator on a ppO2 band, O2/N2 represses, an airlock cycle, a visiting vehicle at another pressure),
Student-t gauge noise, a 0.1 hPa-quantised gauge, a drifting gauge, a thermometer bias step, a channel
dropping out, cadence jitter and a port-switching mass spectrometer. Neither the generator nor this sweep
was used to tune the detector.

Runs ``hullbreach.detect.detector.detect`` (the public API: the data checks of the readers, then detect)
on each record, as a user would with ``hullbreach detect``; ``--cli N`` also runs the CLI on the first N
records' files and checks it says the same.

Sweep (each record = one detector start-up, 10 s cadence):

* **leak-free**, ``--days`` per record (default 2): scenario ``ops`` (every operation logged: O2 and N2
  represses, an airlock cycle with a 2 h vacuum hold, the cargo vehicle joined through its valve, a
  thermometer +0.4 K bias step, a gauge drifting 0.3 mmHg/day, the hub gauge dropped out 3 h), scenario
  ``quiet`` (no operations, same defects), scenario ``unlogged`` (the same operations, NOT in the events
  file: what the detector says about a repress or an airlock cycle nobody logged). Counted: records with
  any alarm, where (zone, hours after start), and the kind.
* **leaks** in the lab (main zone, 294 m^3): MS-09 rate 0.6 mmHg/h onset 6 h, 1 mmHg/day onset 12 h,
  0.6 mmHg/h starting 10 min after start-up, 0.6 mmHg/h starting during a logged O2 repress, adiabatic
  0.6 mmHg/h. Scored: alarm before onset, delay after onset, 95 % rate interval covering the true pressure
  rate of the leak (at the alarm: what the operator saw; and at the end), effective area within +-20 %.

Usage: ``PYTHONPATH=src:. python benchmarks/detect_thirdgen.py [--quick] [--workers 1] [--seeds N]``
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.generators.thirdgen import (  # noqa: E402
    CHOKE,
    MMHG_PA,
    R_S,
    LeakSpec,
    Operation,
    Scenario,
    generate,
    ring_station,
)

H = 3600.0
MAIN = ("airlock", "escape", "hab", "hub", "lab")


def _defects(sc: Scenario, days: float) -> Scenario:
    T = days * 86400.0
    return replace(sc, drift=(("hab.p", 0.2 * T, 0.3 * MMHG_PA),), thermometer_steps=(("lab.t", 0.55 * T, 0.4),),
                   dropouts=(("hub.p", 0.3 * T, 3 * H),))


def _ops(days: float, logged: bool) -> tuple:
    T = days * 86400.0
    return (Operation("o2_repress", 0.15 * T, kg=3.0, duration_s=1800.0, logged=logged),
            Operation("airlock_cycle", 0.4 * T, duration_s=2 * H, logged=logged),
            Operation("vehicle_join", 0.6 * T, duration_s=1200.0, logged=logged),
            Operation("n2_repress", 0.8 * T, kg=4.0, duration_s=2400.0, module="lab", logged=logged))


def scenario(kind: str, seed: int, days: float) -> Scenario:
    base = _defects(Scenario(duration_s=days * 86400.0, seed=seed), days)
    if kind == "quiet":
        return base
    if kind == "ops":
        return replace(base, operations=_ops(days, True))
    if kind == "unlogged":
        return replace(base, operations=_ops(days, False))
    raise ValueError(kind)


LEAKS = {
    "MS-09 0.6 mmHg/h @6h": dict(rate=0.6, onset=6 * H, dur=12 * H),
    "1 mmHg/day @12h": dict(rate=1.0 / 24.0, onset=12 * H, dur=12 * H + 2 * 86400.0),
    "MS-09 @10 min (start-up)": dict(rate=0.6, onset=600.0, dur=8 * H),
    "MS-09 during O2 repress": dict(rate=0.6, onset=6 * H, dur=12 * H, repress=True),
    "MS-09 adiabatic": dict(rate=0.6, onset=6 * H, dur=12 * H, thermo="adiabatic"),
}


def _detect(run):
    from hullbreach.detect.detector import detect
    t = time.perf_counter()
    res = detect(run.station, run.frame(), run.events if len(run.events) else None, keep_series=False)
    return res, time.perf_counter() - t


def free_job(args):
    kind, seed, days = args
    st = ring_station()
    run = generate(st, scenario(kind, seed, days))
    res, dt = _detect(run)
    alarms = [(a.kind, "+".join(a.zone), round((a.time_s - res.start_s) / H, 2)) for a in res.alarms]
    states = {"+".join(z.zone): z.state for z in res.zones}
    return dict(kind=kind, seed=seed, days=days, alarms=alarms, n_alarms=len(alarms), states=states,
                faults=sorted({f.sensor for f in res.sensor_faults}), detect_s=dt)


def _true_rate_pa_s(run, j: int, t_rel_s: float) -> float:
    """The leak's own pressure rate [Pa/s] in its zone at ``t_rel_s`` (choked flow at the true state)."""
    tr = run.truth
    k = min(int(round(t_rel_s / run.scenario.step_s)), len(tr["t_s"]) - 1)
    mods = tr["modules"]
    lk = run.scenario.leaks[j]
    i = mods.index(lk.module)
    zone = [mods.index(m) for m in MAIN]
    p = tr["pressure_pa"][k, i]
    temp = tr["bulk_temperature_k"][k]
    vol = np.array([run.station.modules[m].volume_m3 for m in mods])
    r_mix = (tr["pressure_pa"][k, i] * vol[i] / temp[i]) / tr["mass_kg"][k, i]
    mdot = run.leak_areas_m2[j] * p * CHOKE / math.sqrt(r_mix * temp[i])
    return mdot * r_mix / float((vol[zone] / temp[zone]).sum())


def leak_job(args):
    label, seed = args
    c = LEAKS[label]
    days = c["dur"] / 86400.0
    ops = (Operation("o2_repress", c["onset"] - 600.0, kg=3.0, duration_s=2400.0),) if c.get("repress") else ()
    sc = replace(_defects(Scenario(duration_s=c["dur"], seed=1000 + seed), days), operations=ops,
                 leaks=(LeakSpec("lab", rate_mmhg_per_h=c["rate"], start_s=c["onset"], thermo=c.get("thermo", "isothermal")),))
    st = ring_station()
    run = generate(st, sc)
    res, dt = _detect(run)
    onset = c["onset"]
    rel = [(a, a.time_s - res.start_s) for a in res.alarms]
    early = [(a.kind, "+".join(a.zone), round(t / H, 2)) for a, t in rel if t < onset]
    hits = [(a, t) for a, t in rel if a.kind == "leak" and "lab" in a.zone and t >= onset]
    out = dict(label=label, seed=seed, early=early, delay_min=None, cover_at_alarm=None, cover_end=None,
               hole_err=None, rate_at_alarm=None, true_rate=None, onset_err_min=None, detect_s=dt)
    if hits:
        a, t = min(hits, key=lambda x: x[1])
        out["delay_min"] = (t - onset) / 60.0
        tr_alarm = _true_rate_pa_s(run, 0, t)
        tr_end = _true_rate_pa_s(run, 0, c["dur"])
        ea = a.estimate_at_alarm or a.estimate
        r = ea.pressure_rate_pa_s
        out["rate_at_alarm"] = (r.estimate / MMHG_PA * H, r.low / MMHG_PA * H, r.high / MMHG_PA * H)
        out["true_rate"] = tr_alarm / MMHG_PA * H
        out["cover_at_alarm"] = bool(r.low <= tr_alarm <= r.high)
        re_ = a.estimate.pressure_rate_pa_s
        out["cover_end"] = bool(re_.low <= tr_end <= re_.high) if a.active else None
        out["hole_err"] = a.estimate.effective_area_m2.estimate / run.leak_areas_m2[0] - 1.0
        out["onset_err_min"] = (a.onset_s.estimate - res.start_s - onset) / 60.0
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one seed per case, 1-day leak-free records")
    ap.add_argument("--seeds", type=int, default=5, help="seeds per leak-free scenario (default 5)")
    ap.add_argument("--leak-seeds", type=int, default=3)
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", choices=("free", "leaks", "all"), default="all")
    a = ap.parse_args()
    seeds = 1 if a.quick else a.seeds
    days = 1.0 if a.quick else a.days
    free_jobs = [(k, s, days) for k in ("quiet", "ops", "unlogged") for s in range(seeds)] if a.only != "leaks" else []
    leak_jobs = [(lab, s) for lab in LEAKS for s in range(1 if a.quick else a.leak_seeds)] if a.only != "free" else []
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.workers) as ex:
        free = list(ex.map(free_job, free_jobs))
        leaks = list(ex.map(leak_job, leak_jobs))
    wall = time.perf_counter() - t0
    print(f"# detect_thirdgen quick={a.quick} wall={wall:.0f} s ({pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC)")
    if free:
        fd = pd.DataFrame(free)
        print("\n## Leak-free records (one detector start-up each)")
        print(fd[["kind", "seed", "days", "n_alarms", "alarms", "faults"]].to_string(index=False))
        for k, g in fd.groupby("kind"):
            print(f"{k}: {int((g['n_alarms'] > 0).sum())} of {len(g)} records ({g['days'].sum():.0f} days) with an alarm")
        logged = fd[fd["kind"] != "unlogged"]
        print(f"TOTAL (logged operations): {int((logged['n_alarms'] > 0).sum())} of {len(logged)} records, "
              f"{logged['days'].sum():.0f} simulated days")
    if leaks:
        ld = pd.DataFrame(leaks)
        print("\n## Leaks in the lab (main zone 294 m^3)")
        cols = ["label", "seed", "early", "delay_min", "onset_err_min", "true_rate", "rate_at_alarm", "cover_at_alarm",
                "cover_end", "hole_err"]
        with pd.option_context("display.width", 250, "display.max_colwidth", 60):
            print(ld[cols].to_string(index=False, float_format=lambda x: f"{x:.3g}"))
        print(f"missed: {int(ld['delay_min'].isna().sum())} of {len(ld)}; alarms before onset: "
              f"{int((ld['early'].map(len) > 0).sum())}; rate interval at alarm covers truth: "
              f"{int(ld['cover_at_alarm'].fillna(False).sum())} of {int(ld['cover_at_alarm'].notna().sum())}; "
              f"at end: {int(ld['cover_end'].fillna(False).sum())} of {int(ld['cover_end'].notna().sum())}; "
              f"hole within 20 %: {int((ld['hole_err'].astype(float).abs() <= 0.2).sum())} of {int(ld['hole_err'].notna().sum())}")


if __name__ == "__main__":
    main()
