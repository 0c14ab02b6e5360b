"""What the fast path's thermal gate (issue 16, session 6; docs/detection.md §2b) costs: alarm delay of large
leaks with the gate (default, 1.1 K), without it (``fast_thermal_k=0``: the fast path of c3455ae) and with
the 60 s test alone (``fast_path=False``), against the reserve time, in the same run on the same records.

Two generators:

* ``sim``: hullbreach's own simulator on iss-2018 at 0.2 Hz (detect_bench's scenario: thermal cycles, 6 crew,
  a repress, a drifting and a stuck gauge), leak in Destiny (main zone, all hatches open);
* ``third``: the third generator (``tests/generators/thirdgen.py``, not used to tune the detector), 6-module
  ring station, unseen 1/f bulk drift sigma 0.1 K, tau 1 h (the false alarms' cell), leak in the lab.

Leaks: 1, 10, 60 (1 mmHg/min, detect_bench's), 100 and 300 mmHg/h (zone pressure rate at onset) and sudden
holes of 5 and 10 mm diameter (Cd 0.6, choked), onset 3 h (third) / 6 h (sim) after start-up. Reserve time =
(p0 - evacuation pressure) / rate at onset.

Usage: ``PYTHONPATH=src:. python benchmarks/detect_fastgate.py [--seeds 2] [--gen sim,third] [--workers 1]``
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ONSET_S = 3 * 3600.0  # third generator
SIM_ONSET_S = 6 * 3600.0  # sim: after detect_bench's repress at 5 h (30 min) and its settling
AFTER_S = 1.5 * 3600.0
CD = 0.6
CASES = {"1 mmHg/h": ("rate", 1.0), "10 mmHg/h": ("rate", 10.0), "1 mmHg/min": ("rate", 60.0),
         "100 mmHg/h": ("rate", 100.0), "300 mmHg/h": ("rate", 300.0), "5 mm hole": ("hole", 5e-3),
         "10 mm hole": ("hole", 10e-3)}


def _configs():
    from hullbreach.detect.detector import DetectorConfig
    return {"gate": DetectorConfig(), "no gate": DetectorConfig(fast_thermal_k=0.0),
            "60 s only": DetectorConfig(fast_path=False)}


def _sim(case, seed):
    """(station, frame, events, onset UNIX s, zone rate at onset [Pa/s], p0 [Pa]) on hullbreach.sim, iss-2018."""
    from hullbreach.constants import PA_PER_MMHG, R_AIR, SECONDS_PER_DAY
    from hullbreach.physics import choked_mass_flow
    from hullbreach.sim import simulate
    from hullbreach.station import load_station

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import detect_bench as B  # noqa: E402  (its scenario and frame builder)

    st = load_station("iss-2018")
    z = max(st.zones(), key=st.zone_volume_m3)
    V = st.zone_volume_m3(z)
    p0, T = st.nominal_pressure_pa, 295.15
    kind, x = CASES[case]
    area = (x * PA_PER_MMHG / 3600 * V / (R_AIR * T)) / float(choked_mass_flow(1.0, p0, T)) if kind == "rate" \
        else CD * math.pi * x * x / 4.0
    rate = float(choked_mass_flow(area, p0, T)) * R_AIR * T / V
    sc = B.scenario(1.0, (SIM_ONSET_S + AFTER_S) / SECONDS_PER_DAY)
    sc = replace(sc, leaks=(replace(sc.leaks[0], onset_s=SIM_ONSET_S, effective_area_m2=area),))
    r = simulate(st, sc, seed=seed)
    onset = pd.Timestamp(sc.start).timestamp() + SIM_ONSET_S
    return st, B._frame(r.telemetry, st), r.events, onset, rate, p0


def _third(case, seed):
    """The same on the third generator (sigma 0.1 K, tau 1 h, quiet scenario with its sensor defects)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from detect_thirdgen import scenario
    from tests.generators.thirdgen import CHOKE, MMHG_PA, LeakSpec, generate, ring_station

    st = ring_station()
    kind, x = CASES[case]
    sc = scenario("quiet", seed, (ONSET_S + AFTER_S) / 86400.0, sigma=0.1, tau_h=1.0)
    main = max(st.zones(), key=st.zone_volume_m3)
    V = st.zone_volume_m3(main)
    p0, T = sc.start_pressure_mmhg * MMHG_PA, sc.gas_setpoint_k
    r_air = 287.05
    if kind == "rate":
        leak = LeakSpec(module="lab", rate_mmhg_per_h=x, start_s=ONSET_S)
        rate = x * MMHG_PA / 3600.0
    else:
        area = CD * math.pi * x * x / 4.0
        leak = LeakSpec(module="lab", effective_area_m2=area, start_s=ONSET_S)
        rate = area * p0 * CHOKE * math.sqrt(r_air * T) / V
    run = generate(st, replace(sc, leaks=(leak,)))
    fr = run.frame()
    start = pd.Timestamp(sc.t0).timestamp()
    return st, fr, run.events if len(run.events) else None, start + ONSET_S, rate, p0


def job(args):
    gen, case, seed = args
    from hullbreach.detect.detector import detect
    st, fr, ev, onset, rate, p0 = (_sim if gen == "sim" else _third)(case, seed)
    reserve_s = (p0 - st.evacuation_pressure_pa) / rate
    row = dict(gen=gen, case=case, seed=seed, rate_mmhg_min=rate / (101325.0 / 760.0) * 60.0, reserve_min=reserve_s / 60)
    for name, cfg in _configs().items():
        res = detect(st, fr, ev, config=cfg, keep_series=False)
        leaks = [a for a in res.alarms if a.kind == "leak"]
        early = [a for a in leaks if a.time_s < onset]
        after = [a for a in leaks if a.time_s >= onset]
        row[name] = (after[0].time_s - onset) / 60.0 if after else math.nan
        row[name + " track"] = after[0].track if after else ""
        row[name + " early"] = len(early)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--gen", default="sim,third")
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    jobs = [(g, c, s) for g in a.gen.split(",") for c in CASES for s in range(a.seeds)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.workers) as ex:
        rows = list(ex.map(job, jobs))
    d = pd.DataFrame(rows)
    d["extra_min"] = d["gate"] - d["no gate"]
    d["extra_of_reserve_%"] = 100.0 * d["extra_min"] / d["reserve_min"]
    print(f"# detect_fastgate wall={time.perf_counter() - t0:.0f} s ({pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC)")
    print("delay after onset [min]: gate (default) / no gate (c3455ae's fast path) / 60 s test alone; extra = gate - no gate")
    with pd.option_context("display.width", 250):
        print(d[["gen", "case", "seed", "rate_mmhg_min", "reserve_min", "gate", "no gate", "60 s only", "extra_min",
                 "extra_of_reserve_%", "gate track", "gate early", "no gate early"]].to_string(
            index=False, float_format=lambda x: f"{x:.2f}"))
    g = d.groupby(["gen", "case"], sort=False)[["gate", "no gate", "60 s only", "extra_min", "extra_of_reserve_%"]].max()
    print("\nworst per case (max over seeds):")
    print(g.to_string(float_format=lambda x: f"{x:.2f}"))


if __name__ == "__main__":
    main()
