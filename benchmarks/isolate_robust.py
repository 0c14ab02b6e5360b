"""Closed-loop isolation on telemetry hullbreach did not make (issue 16 goal row "isolation").

    PYTHONPATH=$PWD/src:$PWD python benchmarks/isolate_robust.py --sigmas 0.02 0.05 0.1 --reps 1 [--csv runs.csv]
    PYTHONPATH=$PWD/src:$PWD python benchmarks/isolate_robust.py --wide --reps 12 [--corner] [--csv runs.csv]
        [--modules all] [--baseline]

For each leaking module of iss-2025 (all 27, escape vehicles included), each common OU sigma of the
unmeasured bulk-gas temperature offset (tau 6 h) and each repetition, a leak of 1-2 mmHg/day (station-wide
rate, drawn uniformly) runs in the INDEPENDENT generator ``tests/generators/independent.py`` (own gas law,
choked-leak ODE, per-module thermal phases, thermometer lag and self-heating, pressure drift, 10 s cadence).
An :class:`IsolationSession` (defaults; the generator has no crew metabolism, so no crew O2 use is declared;
crews wait in the escape vehicles' zones as the constraints require; leak estimate off by a lognormal
factor, sd 0.15 in ln) plans each step; the generator is advanced piece by piece through the hatch operations
(openings, equalization valves, closures) and the wait; the session reads the wait's raw telemetry
(through the same data checks as ``detect``); the generator then continues from the moment the step's
test decided (it branches: ``advance`` never mutates its input).

Scored per run: right module (``found`` == truth), state (found / stop / undecided / no-leak), time to the
answer, constraint violations seen in the generator's truth (a hatch opened against more than the
tolerance + 0.2 mmHg, a crew zone below the evacuation pressure, a crew zone without an escape vehicle),
and repeated configurations without information (the same closed set twice in a row when the first did
not lower the posterior entropy by PROGRESS_MIN_BITS).

``--wide`` draws every nuisance of the generator per run from :data:`WIDE_LEVELS` (common and per-module
offsets with tau 1-12 h, thermometer lag and self-heating, pressure drift, leak class, leak start during
step 1) and prints the right-module rate with its exact 95 % interval (issue 16 goal row); ``--corner``
puts every nuisance at its worst level at once.

``--baseline`` runs the same cases with the inference of 53ac87c's model (``Nuisance(0, 0)``: independent
zone errors; the rest of the session as now), as the named baseline in the same run.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from hullbreach.campaign.run import clopper_pearson
from hullbreach.constants import PA_PER_MMHG
from hullbreach.isolate import IsolationSession, infer
from hullbreach.isolate.crew import CREW_O2_KG_S_PER_PERSON
from hullbreach.isolate.session import PROGRESS_MIN_BITS, leak_mass_flow_from_rate
from hullbreach.station import load_station
from tests.generators.independent import GenConfig, Leak, advance, effective_area_for_rate, start

STATION = "iss-2025"
#: Time left to the generator after the step's operations when the session has ended [s] (not scored).
TAIL_S = 0.0


def _violations(station, truth, step, opened_dp_pa: dict, tol_pa: float) -> list:
    out = []
    for h, dp in opened_dp_pa.items():
        if dp > tol_pa + 0.2 * PA_PER_MMHG:
            out.append(f"step {step.index}: hatch {h} opened against {dp / PA_PER_MMHG:.2f} mmHg")
    ev = set(station.escape_vehicles())
    if step.crew_zone and not set(step.crew_zone) & ev:
        out.append(f"step {step.index}: crew zone without an escape vehicle")
    if step.crew_zone:
        idx = [truth.modules.index(m) for m in step.crew_zone]
        low = float(truth.pressure_pa[:, idx].min())
        if low < station.evacuation_pressure_pa:
            out.append(f"step {step.index}: crew zone at {low / PA_PER_MMHG:.0f} mmHg")
    return out


def _dp_now(station, truth, hatch_id) -> float:
    """Pressure on the side the hatch swings into minus the other side, at the last truth sample [Pa]."""
    h = station.hatches[hatch_id]
    into = h.opens_into or h.modules[1]
    other = h.other(into)
    p = truth.pressure_pa[-1]
    return float(p[truth.modules.index(into)] - p[truth.modules.index(other)])


def run_one(station, module: str, rate_mmhg_day: float, sigma_k: float, seed: int, nuisance=None,
            max_steps: int = 20, cfg: GenConfig | None = None, leak_start_s: float = 0.0, crew: dict | None = None,
            crew_o2_factor: float = 1.0) -> dict:
    """One closed-loop session. ``cfg`` (default: the generator's defaults with a common OU ``sigma_k``,
    tau 6 h) sets every nuisance of the generator; ``leak_start_s`` [s] opens the hole that long after the
    session starts (a leak that begins during the first step). ``crew``: module -> people waiting there
    for the whole run, declared to the session; the generator takes their O2 from that module's zone at
    ``crew_o2_factor`` times the BVAD figure the session assumes (its truth, unknown to the session)."""
    wall = time.time()
    rng = np.random.default_rng([seed, 7])
    rate = rate_mmhg_day * PA_PER_MMHG / 86400.0
    mdot_true = leak_mass_flow_from_rate(station, rate)
    est = mdot_true * math.exp(0.15 * rng.standard_normal())
    if cfg is None:
        cfg = GenConfig(cadence_s=10.0, ou_common_sigma_k=sigma_k, ou_common_tau_s=6 * 3600.0)
    # the hole that gives this station-wide rate: the same mass flow, whichever module holds it
    area = effective_area_for_rate(station, module, mdot_true_to_zone_rate(station, module, mdot_true))
    if crew:
        cfg = replace(cfg, crew_o2_kg_s=tuple((m, n * CREW_O2_KG_S_PER_PERSON * crew_o2_factor) for m, n in crew.items()))
    gstate = start(station, cfg, seed=seed, leaks=[Leak(module, area, start_s=leak_start_s)])
    s = IsolationSession(station, leak_mass_flow_kg_s=est, seed=seed, nuisance=nuisance, crew=crew or None)
    closed = frozenset(station.closed_hatches())
    viol: list = []
    repeats = 0
    prev = None  # (closed set, progress)
    for _ in range(max_steps):
        step = s.next_step()
        if step.state != "continue":
            break
        h0 = s._entropy_bits()
        # the hatch work one operation after the other, in the step's order (Step.sequence: each valve
        # right before its hatch, after the openings before it, so it equalizes against the pressures the
        # earlier openings left); the true pressure difference is read when the crew opens each hatch;
        # the closures come at the start of the wait
        mid = closed - set(step.open)
        opened_dp = {}
        cad = cfg.cadence_s
        cur, done = set(closed), 0.0
        for a, h, secs in step.sequence:
            if a == "equalize":
                gstate = advance(gstate, max(secs, cad), closed=frozenset(cur), valves_open={h}).state
                done += max(secs, cad)
            elif a == "open":
                probe = advance(gstate, cad, closed=frozenset(cur))
                opened_dp[h] = _dp_now(station, probe.truth, h)
                cur.discard(h)
                gstate = advance(gstate, max(secs, cad), closed=frozenset(cur)).state
                done += max(secs, cad)
        ops = advance(gstate, max(step.operations_s - done, cad), closed=mid)
        wait = advance(ops.state, max(step.dwell_s, 3 * cad), closed=frozenset(step.closed_hatches))
        out = s.observe(wait.raw)
        used = advance(ops.state, max(out.decision_s, cad), closed=frozenset(step.closed_hatches))
        viol += _violations(station, used.truth, step, opened_dp, s.rules.dp_tolerance_pa)
        gstate = used.state
        same = prev is not None and prev[0] == frozenset(step.closed_hatches)
        if same and not prev[1]:
            repeats += 1
        prev = (frozenset(step.closed_hatches), h0 - s._entropy_bits() >= PROGRESS_MIN_BITS)
        closed = frozenset(step.closed_hatches)
    r = s.result
    return {"module": module, "rate_mmhg_day": rate_mmhg_day, "sigma_k": sigma_k, "seed": seed,
            "model": "independent-errors (53ac87c)" if nuisance is not None else "correlated (now)",
            "found": r.module, "state": r.state, "correct": r.module == module, "probability": r.probability,
            "time_h": r.elapsed_s / 3600.0, "steps": len(s.history), "violations": len(viol),
            "violation_details": "; ".join(viol), "repeats_without_info": repeats,
            "alert": bool(r.alert), "wall_s": time.time() - wall}


def mdot_true_to_zone_rate(station, module, mdot_kg_s) -> float:
    """The pressure-loss rate [Pa/s] of the leaking module's zone (file's hatch states) for a mass flow."""
    from hullbreach.constants import R_AIR

    zone = station.zone_of(module, station.closed_hatches())
    t = float(np.mean([station.modules[m].temperature_k for m in zone]))
    return mdot_kg_s * R_AIR * t / station.zone_volume_m3(zone)


#: The wide sweep (``--wide``): each run draws every nuisance of the generator independently from these
#: levels (issue 16's range: sigma <= 0.1 K, tau 1-12 h), and a leak class. Levels are [K], [h], [s], [Pa/day].
WIDE_LEVELS = {
    "common_sigma_k": (0.02, 0.05, 0.1),
    "common_tau_h": (1.0, 6.0, 12.0),
    "module_sigma_k": (0.0, 0.02, 0.05),
    "module_tau_h": (1.0, 3.0, 12.0),
    "thermometer_lag_s": (0.0, 120.0, 300.0),
    "self_heating_k": (0.0, 0.3, 0.6),
    "pressure_drift_pa_day": (0.5, 1.0, 2.0),
    "leak": ("1 mmHg/day", "2 mmHg/day", "1-2 mmHg/day", "MS-09 0.6 mmHg/h"),
    "leak_start_s": (0.0, 0.0, 0.0, 1200.0),  # one run in four: the hole opens 20 min into the first step
}
#: The corner: every nuisance at its worst level at once (``--corner``).
CORNER = {"common_sigma_k": 0.1, "common_tau_h": 1.0, "module_sigma_k": 0.05, "module_tau_h": 1.0,
          "thermometer_lag_s": 300.0, "self_heating_k": 0.6, "pressure_drift_pa_day": 2.0}


def _leak_rate_mmhg_day(leak: str, rng) -> float:
    return {"1 mmHg/day": 1.0, "2 mmHg/day": 2.0, "MS-09 0.6 mmHg/h": 0.6 * 24.0}.get(
        leak, None) or float(rng.uniform(1.0, 2.0))


#: ``--crew N``: the crew waits in one of these escape vehicles, drawn per run, and uses O2 at a factor of
#: the BVAD figure drawn uniformly from CREW_O2_FACTORS (the session assumes 1 +- 0.25 sd).
CREW_VEHICLES = ("soyuz-dm", "crew-dragon")
CREW_O2_FACTORS = (0.75, 1.25)


def wide_case(rng, module: str, corner: bool = False, crew: int = 0) -> dict:
    """One run's nuisance and leak, drawn from :data:`WIDE_LEVELS` (or :data:`CORNER` with a drawn leak);
    with ``crew`` people, their vehicle and O2 factor (drawn after the rest: crew-free draws unchanged)."""
    c = {k: v[int(rng.integers(len(v)))] for k, v in WIDE_LEVELS.items()}
    if corner:
        c.update(CORNER)
    c["module"] = module
    c["rate_mmhg_day"] = _leak_rate_mmhg_day(c["leak"], rng)
    c["seed"] = int(rng.integers(2 ** 31))
    if crew:
        c["crew_count"] = crew
        c["crew_module"] = CREW_VEHICLES[int(rng.integers(len(CREW_VEHICLES)))]
        c["crew_o2_factor"] = float(rng.uniform(*CREW_O2_FACTORS))
    return c


def run_case(station, c: dict) -> dict:
    """Run one :func:`wide_case` closed loop; the row carries the case's nuisance levels."""
    cfg = GenConfig(cadence_s=10.0, ou_common_sigma_k=c["common_sigma_k"],
                    ou_common_tau_s=c["common_tau_h"] * 3600.0, ou_module_sigma_k=c["module_sigma_k"],
                    ou_module_tau_s=c["module_tau_h"] * 3600.0, thermometer_lag_s=c["thermometer_lag_s"],
                    self_heating_k=c["self_heating_k"],
                    pressure_drift_sigma_pa_per_day=c["pressure_drift_pa_day"],
                    pressure_random_walk_pa_per_sqrt_day=c["pressure_drift_pa_day"])
    try:
        crew = {c["crew_module"]: c["crew_count"]} if c.get("crew_count") else None
        row = run_one(station, c["module"], c["rate_mmhg_day"], c["common_sigma_k"], c["seed"], cfg=cfg,
                      leak_start_s=c["leak_start_s"], crew=crew, crew_o2_factor=c.get("crew_o2_factor", 1.0))
    except Exception as exc:  # noqa: BLE001 - recorded, not hidden
        row = {"module": c["module"], "found": None, "state": f"error: {type(exc).__name__}: {exc}",
               "correct": False, "probability": math.nan, "time_h": math.nan, "steps": 0, "violations": 0,
               "violation_details": "", "repeats_without_info": 0, "alert": False, "wall_s": math.nan}
    row.update({k: v for k, v in c.items() if k not in row or k == "seed"})
    return row


def wide_summary(df: pd.DataFrame, evs: set) -> str:
    """Markdown summary of a wide sweep: the right-module rate with its 95 % Clopper-Pearson interval,
    violations, repeats, times, then the right-module rate per level of each nuisance."""
    n, k = len(df), int(df["correct"].sum())
    lo, hi = clopper_pearson(k, n)
    t = df.loc[df["correct"], "time_h"]
    ev = df[df["module"].isin(evs)]
    out = ["| runs | right module | 95 % CP interval | wrong module | stop | undecided | errors | violations | "
           "repeats w/o info | median h | p90 h | max h | alert when the leak is in an escape vehicle |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
           f"| {n} | {k} ({k / n:.2%}) | [{lo:.2%}, {hi:.2%}] | {int((df['found'].notna() & ~df['correct']).sum())} | "
           f"{int((df['state'] == 'stop').sum())} | {int((df['state'] == 'undecided').sum())} | "
           f"{int(df['state'].astype(str).str.startswith('error').sum())} | {int(df['violations'].sum())} | "
           f"{int(df['repeats_without_info'].sum())} | {t.median():.2f} | {t.quantile(0.9):.2f} | {t.max():.2f} | "
           f"{int(ev['alert'].sum())}/{len(ev)} |", ""]
    out.append("| nuisance | level | runs | right | median h | max h |")
    out.append("|---|---|---|---|---|---|")
    for key in [k_ for k_ in WIDE_LEVELS if k_ in df]:
        for lev, g in df.groupby(key):
            tt = g.loc[g["correct"], "time_h"]
            out.append(f"| {key} | {lev} | {len(g)} | {g['correct'].mean():.1%} | {tt.median():.2f} | "
                       f"{tt.max():.2f} |")
    return "\n".join(out)


def main_wide(a, st) -> int:
    mods = list(st.modules) if a.modules == ["all"] else a.modules
    rng = np.random.default_rng(a.seed)
    rows = []
    t0 = time.time()
    for rep in range(a.reps):
        for m in mods:
            row = run_case(st, wide_case(rng, m, corner=a.corner, crew=a.crew))
            rows.append(row)
            print(f"{len(rows):4d} {m:15s} -> {str(row['found']):15s} {str(row['state'])[:60]:10s} "
                  f"{row['time_h']:.2f} h, {row['steps']} steps, {row['violations']} viol, "
                  f"{row['repeats_without_info']} rep | sig {row['common_sigma_k']} tau {row['common_tau_h']} "
                  f"mod {row['module_sigma_k']} lag {row['thermometer_lag_s']:.0f} sh {row['self_heating_k']} "
                  f"{row['leak']} start {row['leak_start_s']:.0f}"
                  + (f" crew {row['crew_count']} in {row['crew_module']} x{row['crew_o2_factor']:.2f}" if a.crew else ""),
                  flush=True)
            if a.csv and len(rows) % 20 == 0:
                pd.DataFrame(rows).to_csv(a.csv, index=False)
    df = pd.DataFrame(rows)
    if a.csv:
        df.to_csv(a.csv, index=False)
    print(f"\n{len(df)} runs in {(time.time() - t0) / 60:.1f} min (median {df['wall_s'].median():.1f} s/run)\n")
    print(wide_summary(df, _ev_group(st)))
    worst = df.sort_values("time_h", ascending=False).head(5)
    cols = ["module", "found", "state", "time_h", "steps", "common_sigma_k", "common_tau_h", "module_sigma_k",
            "thermometer_lag_s", "self_heating_k", "pressure_drift_pa_day", "leak", "leak_start_s", "seed"]
    cols += [k for k in ("crew_module", "crew_o2_factor") if k in df]
    print("\nWorst cases (longest):")
    print(worst[cols].to_string(index=False))
    bad = df[~df["correct"] | (df["violations"] > 0) | (df["repeats_without_info"] > 0)]
    if len(bad):
        print("\nNot right, violated or repeated:")
        print(bad[cols + ["violation_details"]].to_string(index=False))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sigmas", type=float, nargs="+", default=[0.02, 0.05, 0.1])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--modules", nargs="+", default=["all"])
    ap.add_argument("--baseline", action="store_true", help="also run the 53ac87c error model on the same cases")
    ap.add_argument("--only-baseline", action="store_true", help="run only the 53ac87c error model")
    ap.add_argument("--csv", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--wide", action="store_true",
                    help="draw every generator nuisance per run from WIDE_LEVELS (reps x modules runs)")
    ap.add_argument("--corner", action="store_true", help="with --wide: every nuisance at its worst level")
    ap.add_argument("--crew", type=int, default=0,
                    help="with --wide: this many crew wait in soyuz-dm or crew-dragon (drawn per run), declared "
                         "to the session; the generator takes their O2 (0.75-1.25 x BVAD)")
    a = ap.parse_args(argv)
    st = load_station(STATION)
    if a.wide:
        return main_wide(a, st)
    mods = list(st.modules) if a.modules == ["all"] else a.modules
    rng = np.random.default_rng(a.seed)
    rows = []
    t0 = time.time()
    for sig in a.sigmas:
        for rep in range(a.reps):
            for m in mods:
                rate = float(rng.uniform(1.0, 2.0))
                seed = int(rng.integers(2 ** 31))
                old = infer.Nuisance(0.0, 0.0, thermal_residual_k=0.0, transient_k=(0.0,), transient_weights=(1.0,))
                models = [old] if a.only_baseline else ([None, old] if a.baseline else [None])
                for nz in models:
                    try:
                        row = run_one(st, m, rate, sig, seed, nuisance=nz)
                    except Exception as exc:  # noqa: BLE001 - recorded, not hidden
                        row = {"module": m, "rate_mmhg_day": rate, "sigma_k": sig, "seed": seed,
                               "model": "independent-errors (53ac87c)" if nz is not None else "correlated (now)",
                               "found": None, "state": f"error: {type(exc).__name__}: {exc}", "correct": False,
                               "probability": math.nan, "time_h": math.nan, "steps": 0, "violations": 0,
                               "violation_details": "", "repeats_without_info": 0, "alert": False, "wall_s": math.nan}
                    rows.append(row)
                    print(f"{row['model'][:11]} sigma {sig} {m:15s} -> {str(row['found']):15s} {row['state'][:60]:10s} "
                          f"{row['time_h']:.2f} h, {row['steps']} steps, {row['violations']} viol, "
                          f"{row['repeats_without_info']} rep", flush=True)
                    if a.csv:
                        pd.DataFrame(rows).to_csv(a.csv, index=False)
    df = pd.DataFrame(rows)
    print(f"\n{len(df)} runs in {(time.time() - t0) / 60:.1f} min\n")
    print("| model | sigma K | runs | right module | wrong module | stop | undecided | errors | violations | "
          "repeats w/o info | median h | p90 h | max h | ev/crew alert when leak in an escape vehicle |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    evs = set().union(*[g for g in [_ev_group(st)]])
    for (model, sig), g in df.groupby(["model", "sigma_k"]):
        t = g.loc[g["correct"], "time_h"]
        ev_rows = g[g["module"].isin(evs)]
        print(f"| {model} | {sig} | {len(g)} | {g['correct'].mean():.1%} | "
              f"{(g['found'].notna() & ~g['correct']).sum()} | {(g['state'] == 'stop').sum()} | "
              f"{(g['state'] == 'undecided').sum()} | {g['state'].astype(str).str.startswith('error').sum()} | "
              f"{int(g['violations'].sum())} | {int(g['repeats_without_info'].sum())} | "
              f"{t.median():.2f} | {t.quantile(0.9):.2f} | {t.max():.2f} | "
              f"{int(ev_rows['alert'].sum())}/{len(ev_rows)} |")
    worst = df.sort_values("time_h", ascending=False).head(3)
    print("\nWorst cases (longest):")
    print(worst[["model", "sigma_k", "module", "found", "state", "time_h", "steps"]].to_string(index=False))
    bad = df[~df["correct"]]
    if len(bad):
        print("\nNot right:")
        print(bad[["model", "sigma_k", "module", "found", "state", "probability", "time_h", "steps"]].to_string(index=False))
    return 0


def _ev_group(st) -> set:
    from hullbreach.isolate.plan import vehicle_groups

    return set().union(*[g for g, _b in vehicle_groups(st)])


if __name__ == "__main__":
    sys.exit(main())
