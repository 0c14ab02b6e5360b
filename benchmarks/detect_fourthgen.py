"""hullbreach detect on telemetry of the FOURTH generator (``tests/generators/fourthgen.py``): an event-driven
ECLSS model (crew schedule, CO2-removal bed swaps venting air, an O2 generator on a sampled ppO2 band, logged
O2/N2 represses, a dead-end module closed every night), finite inter-module mixing, thermostat-controlled
cabins whose thermometers lag the gas and miss the warm layer of the heat load, and a recorder's defects
(0.1 mmHg / 0.002 psi / torr gauges, duplicated and swapped rows, a channel dropping out, a 5-min forward
clock jump, a gauge replaced mid-record). Neither the generator nor this sweep was used to tune the detector.

Each record is written as a user would receive it (a wide CSV of UNIX seconds, an events CSV on the ground
clock) and read back with ``hullbreach.telemetry.read_telemetry`` / ``read_events``, then
``hullbreach.detect.detector.detect`` runs (the CLI's path without the printing).

Sweep (each record = one detector start-up, ``--days`` long, 10 s cadence):

* **leak-free**: nuisance cells (stratification of the unseen warm layer 0.1 / 0.25 / 0.5 K per kW, beta
  angle 0 / 60 deg, intermodule ventilation 0.04 / 0.1 m^3/s), ``--seeds`` seeds each. Counted: records with
  an alarm (zone, hours after start, kind).
* **worst case found** (not with ``--quick``): 1 mmHg/day for 3.5 days with the dead-end module's hatch closed every
  night (logged), the same record without the nightly closure, and with the closures NOT logged; and (session 8) a
  leak-free 3.5-day record with the closures NOT logged.
* **leaks** in the lab, onset 12 h: the MS-09 rate (0.6 mmHg/h in the full 356 m^3 main zone) and 1 mmHg/day,
  over the same nuisance cells. Scored: alarm before onset (early), delay after onset (recorder clock), the
  95 % pressure-rate interval covering the leak's own rate (at the alarm, and at the end), the effective hole
  diameter interval covering the truth (Cd = 1), and the worst case.

Usage: ``PYTHONPATH=src:. python benchmarks/detect_fourthgen.py [--quick] [--days 2] [--seeds 1] [--workers 1]``
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.generators.fourthgen import MODULES, MOLAR, R_U, VOLUMES, Config, Leak, generate, read_back  # noqa: E402

NUISANCE = ({"stratification_k_per_kw": 0.1, "beta_deg": 0.0, "imv_m3_s": 0.1},
            {"stratification_k_per_kw": 0.25, "beta_deg": 60.0, "imv_m3_s": 0.07},
            {"stratification_k_per_kw": 0.5, "beta_deg": 30.0, "imv_m3_s": 0.04})
LEAKS = (("MS-09 rate 0.6 mmHg/h", 0.6), ("1 mmHg/day", 1.0 / 24.0))
ONSET_S = 12 * 3600.0


def true_rate_pa_s(rec, t_unix: float, zone: tuple) -> float:
    """The leak's own pressure rate of ``zone`` at recorder time ``t_unix`` [Pa/s] (negative)."""
    t = rec.truth["t_s"]
    tr = t_unix - rec.truth["t0_unix"] - (rec.clock_jump[1] if t_unix - rec.truth["t0_unix"] >= rec.clock_jump[0] + rec.clock_jump[1] else 0.0)
    k = int(np.clip(np.searchsorted(t, tr), 1, len(t) - 1))
    kg_s = (rec.truth["leak_kg"][k] - rec.truth["leak_kg"][k - 1]) / (t[k] - t[k - 1])
    idx = [MODULES.index(m) for m in zone if m in MODULES]
    p = rec.truth["pressure_pa"][k, idx]
    temp = rec.truth["temperature_k"][k, idx]
    mass = float(np.sum(p * VOLUMES[idx] / (R_U * temp)) * (MOLAR @ np.array([0.78, 0.21, 0.004]) / 0.994))
    return -kg_s / mass * float(np.mean(p))


def run_one(job: dict) -> dict:
    from hullbreach.detect.detector import detect

    cfg = Config(duration_s=job["days"] * 86400.0, seed=job["seed"], leak=job["leak"], **job["nuisance"])
    t0 = time.perf_counter()
    rec = generate(cfg)
    st, frame, events = read_back(rec)
    res = detect(st, frame, events, keep_series=False)
    ops = [f"{m.group(1)} x{m.group(2)}" for m in (re.match(r"unlogged hatch operation\? (\S+) .*?\((\d+) time\(s\)\)", n)
                                                  for n in res.notes) if m]
    out = {"name": job["name"], "seed": job["seed"], "cell": job["cell"], "wall_s": time.perf_counter() - t0,
           "counts": dict(frame.counts), "faults": [f.sensor for f in res.sensor_faults],
           "states": sorted({z.state for z in res.zones}), "alarms": [], "ops": ops}
    onset_unix = rec.logged_time(ONSET_S) if cfg.leak is not None else math.inf
    d_true = math.sqrt(4 * rec.leak_area_m2 / math.pi)
    for a in res.alarms:
        e_at = a.estimate_at_alarm or a.estimate
        row = {"kind": a.kind, "zone": "-".join(a.zone), "h": (a.time_s - cfg.t0_unix) / 3600.0,
               "early": a.time_s < onset_unix, "delay_min": (a.time_s - onset_unix) / 60.0}
        if cfg.leak is not None and not row["early"]:
            r_at = true_rate_pa_s(rec, a.time_s, a.zone)
            r_end = true_rate_pa_s(rec, cfg.t0_unix + cfg.duration_s - 60.0, a.zone)
            ra, re_ = e_at.pressure_rate_pa_s, a.estimate.pressure_rate_pa_s
            row.update(rate_at=(ra.low, ra.estimate, ra.high, r_at), cover_at=ra.low <= r_at <= ra.high,
                       cover_end=re_.low <= r_end <= re_.high, rate_end=(re_.low, re_.estimate, re_.high, r_end))
            h = a.estimate.effective_hole_diameter_m
            row.update(hole=(h.low, h.estimate, h.high, d_true), hole_cover=h.low <= d_true <= h.high,
                       hole_err=h.estimate / d_true - 1.0)
        out["alarms"].append(row)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1-day records, one nuisance cell per part")
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args(argv)
    days = 1.0 if a.quick else a.days
    cells = NUISANCE[1:2] if a.quick else NUISANCE
    jobs = []
    for ci, nu in enumerate(cells):
        for s in range(a.seeds):
            jobs.append({"name": "leak-free", "seed": 100 + 10 * ci + s, "cell": ci, "nuisance": nu, "leak": None,
                         "days": days})
            for name, rate in LEAKS:
                jobs.append({"name": name, "seed": 200 + 10 * ci + s, "cell": ci, "nuisance": nu,
                             "leak": Leak("lab", rate, ONSET_S), "days": days})
    if not a.quick:
        # the worst case found: a slow leak while a hatch is closed every night (each zone restarts learning)
        for nights, logged in ((True, True), (False, True), (True, False)):
            nu = dict(NUISANCE[0], pmm_nights=nights, log_hatches=logged)
            jobs.append({"name": f"1 mmHg/day, 3.5 d, pmm closed nightly: {nights}{'' if logged else ' (NOT logged)'}",
                         "seed": 300, "cell": 0, "nuisance": nu, "leak": Leak("lab", 1.0 / 24.0, ONSET_S), "days": 3.5})
        # the same routine, leak-free and not logged: is an unlogged reopening ever an alarm? (session 8)
        jobs.append({"name": "leak-free, 3.5 d, pmm closed nightly (NOT logged)", "seed": 310, "cell": 0,
                     "nuisance": dict(NUISANCE[0], pmm_nights=True, log_hatches=False), "leak": None, "days": 3.5})
    t0 = time.perf_counter()
    if a.workers > 1:
        with ProcessPoolExecutor(a.workers) as ex:
            rows = list(ex.map(run_one, jobs))
    else:
        rows = [run_one(j) for j in jobs]
    print(f"fourth generator: {len(rows)} records of {days:g} day(s){'' if a.quick else ' (the three worst-case records 3.5 days)'}, "
          f"wall {time.perf_counter() - t0:.0f} s")
    print("| record | cell | seed | alarms (zone @ h after start, kind) | delay [min] | rate at alarm [Pa/s] (truth) | "
          "covers at alarm / end | hole [mm] (truth) | reader counts | sensor faults | unlogged hatch operations noted |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    worst = None
    free_fa = early = missed = cov_at = cov_end = hole_cov = n_leak = 0
    for r in rows:
        al = r["alarms"]
        first = next((x for x in al if not x["early"]), None)
        if r["name"].startswith("leak-free"):
            free_fa += bool(al)
        else:
            n_leak += 1
            early += any(x["early"] for x in al)
            missed += first is None
            if first is not None and "cover_at" in first:
                cov_at += first["cover_at"]
                cov_end += first["cover_end"]
                hole_cov += first["hole_cover"]
                if worst is None or first["delay_min"] > worst[0]:
                    worst = (first["delay_min"], r["name"], r["cell"], r["seed"])
        desc = "; ".join(f"{x['zone']} @ {x['h']:.2f} h {x['kind']}{' EARLY' if x['early'] else ''}" for x in al) or "none"
        delay = f"{first['delay_min']:.0f}" if first is not None and not r["name"].startswith("leak-free") else "-"
        rate = (f"{first['rate_at'][1]:.4f} [{first['rate_at'][0]:.4f}, {first['rate_at'][2]:.4f}] ({first['rate_at'][3]:.4f})"
                if first is not None and "rate_at" in first else "-")
        cov = f"{first['cover_at']} / {first['cover_end']}" if first is not None and "cover_at" in first else "-"
        hole = (f"{1e3 * first['hole'][1]:.3f} [{1e3 * first['hole'][0]:.3f}, {1e3 * first['hole'][2]:.3f}] ({1e3 * first['hole'][3]:.3f})"
                if first is not None and "hole" in first else "-")
        print(f"| {r['name']} | {r['cell']} | {r['seed']} | {desc} | {delay} | {rate} | {cov} | {hole} | "
              f"{r['counts']} | {', '.join(r['faults']) or '-'} | {'; '.join(r['ops']) or '-'} |")
    n_free = sum(r["name"].startswith("leak-free") for r in rows)
    print(f"\nleak-free records with an alarm: {free_fa}/{n_free}; leak records: early {early}/{n_leak}, "
          f"missed {missed}/{n_leak}; rate interval covers the truth at the alarm {cov_at}/{n_leak - missed}, "
          f"at the end {cov_end}/{n_leak - missed}; hole interval covers {hole_cov}/{n_leak - missed}")
    if worst:
        print(f"worst delay: {worst[0]:.0f} min ({worst[1]}, cell {worst[2]}, seed {worst[3]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
