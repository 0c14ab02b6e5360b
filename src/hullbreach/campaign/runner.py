"""One isolation run with the simulator in the loop: a leak in a module, an IsolationSession planning
each configuration, :func:`hullbreach.sim.simulate` producing the telemetry of each step.

The simulator is re-run from the start with every hatch event planned so far (its physics is exact
and fast), always over a whole number of :data:`HORIZON_S` so that every re-run keeps the past the
session has read; a step's telemetry is the window of that step. Two sensor paths:

* ``telemetry="full"``: the simulator's own 1 Hz telemetry of every sensor (noise, quantization).
* ``telemetry="fast"`` (campaigns): the simulator's own sensor model sampled every 60 s, each sample
  standing for a 60 s block mean of the 1 Hz readings: the simulator runs at ``sample_rate_hz = 1/60``
  on a copy of the station whose sensors carry the noise of 60 averaged 1 Hz samples (sd / sqrt(60),
  quantization counted as a variance res^2/12, no quantization left). For white noise the least-squares
  slope of block means has the same variance as that of the samples, so the test sees the same
  information 60 times faster. Everything else is the simulator's sensor model
  (:mod:`hullbreach.sim.sensors`, ``_sensor_truth`` in :mod:`hullbreach.sim.simulator`): the thermometers
  do NOT see the unmeasured bulk-gas offset (it moves the gas, not the thermometers), they lag and
  self-heat, and the pressure sensors drift. (Before issue 16 the fast path read the simulator's truth
  temperatures, which include the unmeasured offset: its thermometers saw what real ones cannot; see
  ``docs/benchmarks/isolate.md``.) Validated against ``full`` in ``tests/campaign`` and
  ``benchmarks/isolate_campaign.py --validate``.

Hard constraints are checked against the simulator's truth (:func:`violations`).

Units: SI (kg s^-1, Pa, s).
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from hullbreach.constants import PA_PER_MMHG
from hullbreach.physics import choked_mass_flow
from hullbreach.station import Station, load_station

#: Block length of the fast sensor path [s].
FAST_BLOCK_S = 60.0
#: Grid of hatch openings in the simulated timeline [s] (a multiple of the truth step).
TRUTH_DT_S = 60.0
#: Every re-run of the simulator spans a whole number of these [s] (48 h). The simulator draws its noise
#: (HVAC noise, then the unmeasured offsets) for the scenario's whole duration from one stream, so a re-run
#: with a longer duration redraws the past: the steps the session had read happened in another world than
#: the truth the constraints were checked on (up to 0.3 mmHg between modules; issue 16 session 6, a
#: hatch "opened against 0.74 mmHg" that the session had measured at 0.47). A fixed horizon keeps the past.
HORIZON_S = 48 * 3600.0


@dataclass(frozen=True)
class Case:
    """One Monte Carlo case.

    ``mdot_kg_s`` the true leak mass flow at nominal pressure [kg s^-1]; ``estimate_rel_log_std`` the
    one-sigma error of the detector's estimate handed to the session (lognormal, from ``seed``);
    ``crew_count`` people in the first escape vehicle (O2 feeds paused during the search, CO2 scrubbed);
    ``thermal_amplitude_k`` the orbital temperature cycle [K]; ``hvac_noise_k`` Gauss-Markov temperature
    noise [K] (seen by the thermometers). ``nuisance`` the simulator's nuisance preset (``realistic``:
    unmeasured bulk-gas offsets, thermometer lag and self-heating, pressure drift; ``none``: the former
    simulator). ``valve_area_m2`` [m^2]: the equalization valve the session may assume on hatches the
    station file models without one (``Rules.assumed_valve_area_m2``; ISS hatches carry manual pressure
    equalization valves, the station files model only Quest's); 0: only the file's valves. The ``fast`` sensor path reads the simulator's truth, whose temperatures include the
    unmeasured offset: with ``realistic`` only ``full`` telemetry hides it from the thermometers.
    """

    station: str
    module: str
    mdot_kg_s: float
    seed: int = 0
    policy: str = "hullbreach"
    label: str = ""
    crew_count: int = 3
    estimate_rel_log_std: float = 0.15
    thermal_amplitude_k: float = 0.3
    hvac_noise_k: float = 0.05
    telemetry: str = "fast"
    max_steps: int = 30
    nuisance: str = "realistic"
    valve_area_m2: float = 0.0


def station_rate_to_mdot(station: Station, rate_pa_s: float) -> float:
    """Leak mass flow [kg s^-1] for a whole-station pressure-loss rate [Pa s^-1]
    (:func:`hullbreach.isolate.session.leak_mass_flow_from_rate`)."""
    from hullbreach.isolate.session import leak_mass_flow_from_rate

    return leak_mass_flow_from_rate(station, rate_pa_s)


def mdot_to_cd_area(station: Station, mdot_kg_s: float) -> float:
    """Effective hole area Cd*A [m^2] that passes ``mdot_kg_s`` choked at nominal pressure."""
    t = float(np.mean([m.temperature_k for m in station.modules.values()]))
    return float(mdot_kg_s / choked_mass_flow(1.0, station.nominal_pressure_pa, t))


def fast_station(station: Station, block_s: float = FAST_BLOCK_S) -> Station:
    """A copy of ``station`` whose sensors read ``block_s`` block means of the 1 Hz sensors: noise
    sqrt(sd^2 + res^2/12) / sqrt(block_s) in the sensor's unit, no quantization (the mean of many quantized
    samples of a noisy signal is not quantized). Simulated at ``sample_rate_hz = 1 / block_s``."""
    from dataclasses import replace

    k = math.sqrt(block_s)
    sensors = {sid: replace(s, noise_std=math.sqrt(s.noise_std ** 2 + s.resolution ** 2 / 12.0) / k, resolution=0.0)
               for sid, s in station.sensors.items()}
    return replace(station, sensors=sensors)


def violations(station: Station, truth: pd.DataFrame, start: pd.Timestamp, steps: list, tol_pa: float) -> list:
    """Hard-constraint violations seen in the simulator's truth.

    ``steps``: ``(step, t_ops_start_s, {hatch: t_open_s}, t_step_start_s, t_step_end_s)`` per step. Checks: a
    hatch opened while its ``opens_into`` side was higher by more than ``tol_pa`` (+0.2 mmHg for the
    truth sampling); a crewed zone below the evacuation pressure during the step; a crew zone without
    an escape vehicle.
    """
    out = []
    tt = (truth["time"] - start).dt.total_seconds().to_numpy()
    p = truth.assign(_t=tt).pivot_table(index="_t", columns="module", values="pressure_pa", aggfunc="first")
    ev = set(station.escape_vehicles())
    for step, t_ops, open_times, t0, t1 in steps:
        for h in step.open:
            t_open = open_times[h]
            hatch = station.hatches[h]
            into = hatch.opens_into or hatch.modules[1]
            other = hatch.other(into)
            before = p.loc[: t_open - 1e-6]
            row = before.iloc[-1] if len(before) else p.iloc[0]
            dp = float(row[into] - row[other])
            if dp > tol_pa + 0.2 * PA_PER_MMHG:
                out.append(f"step {step.index}: hatch {h} opened against {dp / PA_PER_MMHG:.2f} mmHg")
        win = p.loc[t_ops: t1]
        if step.crew_zone:
            if not set(step.crew_zone) & ev:
                out.append(f"step {step.index}: crew zone without an escape vehicle")
            low = float(win[sorted(step.crew_zone)].min().min()) if len(win) else math.inf
            if low < station.evacuation_pressure_pa:
                out.append(f"step {step.index}: crew zone at {low / PA_PER_MMHG:.0f} mmHg, below evacuation pressure")
    return out


def run_case(case: Case, station: Station | None = None, details: bool = False) -> dict:
    """Run one isolation with the simulator in the loop; returns a JSON-able dict of metrics.

    Keys: the case fields, ``found`` (module or None), ``correct``, ``status``, ``probability``,
    ``time_to_module_s``, ``steps``, ``violations`` (count) and ``violation_details``, ``air_lost_kg``
    (vented by the leak until the end of the search, from the simulator), ``alert`` (the result's
    crew-zone / escape-vehicle warning, said first) and ``alert_step`` (the step after which a warning
    was first said, 0 if never), ``wall_s``; with ``details``
    also ``log`` (each step and its outcome, JSON), ``advice`` and ``result``.
    """
    from hullbreach.isolate import IsolationSession
    from hullbreach.isolate.session import step_window
    from hullbreach.sim import Crew, HatchEvent, Leak, Scenario, ThermalProfile, simulate

    wall0 = _time.time()
    st = station or load_station(case.station)
    st_fast = fast_station(st)
    rng = np.random.default_rng(case.seed)
    est = case.mdot_kg_s * math.exp(case.estimate_rel_log_std * rng.standard_normal())
    area = mdot_to_cd_area(st, case.mdot_kg_s)
    evs = st.escape_vehicles()
    crew = Crew(count=case.crew_count, module=evs[0], o2_makeup=False) if (case.crew_count and evs) else Crew()
    thermal = (ThermalProfile(module="*", orbital_amplitude_k=case.thermal_amplitude_k, hvac_noise_k=case.hvac_noise_k),)
    leak = Leak(module=case.module, onset_s=0.0, effective_area_m2=area)
    from hullbreach.isolate.constraints import Rules

    sess = IsolationSession(st, leak_mass_flow_kg_s=est, seed=case.seed, policy=case.policy,
                            rules=Rules(assumed_valve_area_m2=case.valve_area_m2),
                            crew=({evs[0]: case.crew_count} if (case.crew_count and evs) else None))
    events: list = []
    t0 = 0.0
    steps_log = []
    detail_log: list = []
    res = None
    sim_seed = int(rng.integers(2 ** 31))
    status = "in-progress"
    first_alert = None  # (step index, text) of the first crew-zone / escape-vehicle warning
    while not sess.done and len(steps_log) < case.max_steps:
        step = sess.next_step()
        if step.state != "continue":
            break
        # the hatch work in the step's order (Step.operations): a valve opens when the crew starts
        # equalizing that hatch (after the openings before it) and closes once the hatch is open;
        # hatches open on a multiple of the truth step, one truth sample after the work before them:
        # the constraint check reads the true pressures at the last sample before each opening
        t = t0
        t_open = (math.ceil(t0 / TRUTH_DT_S) + 1) * TRUTH_DT_S
        open_times = {}
        eq_len = {h: secs for a, h, secs in step.sequence if a == "equalize"}
        for action, h in step.operations():
            if action == "equalize":
                events.append(HatchEvent(time_s=math.floor(t), hatch=h, action="valve_open",
                                         valve_area_m2=(st.hatches[h].valve_area_m2 or sess.rules.assumed_valve_area_m2)))
                t += eq_len.get(h, 0.0)
            elif action == "open":
                t_open = (math.ceil(t / TRUTH_DT_S) + 1) * TRUTH_DT_S
                open_times[h] = float(t_open)
                events.append(HatchEvent(time_s=open_times[h], hatch=h, action="open"))
                if h in step.equalize:
                    events.append(HatchEvent(time_s=open_times[h] + 1.0, hatch=h, action="valve_close"))
                t = float(t_open)
        t_last_open = max(open_times.values()) if open_times else float(t_open)
        t_start, t_end = step_window(t0, step)
        if step.open and t_start < t_last_open + 2.0:
            t_start, t_end = t_last_open + 2.0, t_last_open + 2.0 + step.dwell_s
        for h in step.close:
            events.append(HatchEvent(time_s=t_start - 1.0, hatch=h, action="close"))
        events.sort(key=lambda e: e.time_s)  # stable: same-time events keep the planned order
        fast = case.telemetry == "fast"
        horizon = HORIZON_S * math.ceil((t_end + 1.0) / HORIZON_S)
        sc = Scenario(nuisance=case.nuisance, duration_s=horizon, leaks=(leak,), hatch_events=tuple(events), thermal=thermal, crew=crew,
                      truth_dt_s=FAST_BLOCK_S if fast else TRUTH_DT_S / 2,
                      sample_rate_hz=1.0 / FAST_BLOCK_S if fast else 1.0)
        res = simulate(st_fast if fast else st, sc, seed=sim_seed, telemetry=True)
        start = pd.Timestamp(sc.start)
        tel = res.telemetry
        ts = (tel["time"] - start).dt.total_seconds()
        frame = tel.loc[(ts >= t_start) & (ts <= t_end)]
        out = sess.observe(frame)
        if out.alert and first_alert is None:
            first_alert = (len(steps_log) + 1, out.alert)
        t_stop = t_start + out.decision_s
        steps_log.append((step, t0, open_times, t_start, t_stop))
        if details:
            detail_log.append({"step": step.to_json(), "outcome": out.to_json(), "t_start_s": t_start, "t_stop_s": t_stop})
        t0 = t_stop
    r = sess.result
    status = r.status
    viol = violations(st, res.truth, pd.Timestamp(res.scenario.start), steps_log, sess.rules.dp_tolerance_pa) if res is not None else []
    air = math.nan
    if res is not None:
        lm = res.leak_mass_flow_kg_s
        tt = (lm["time"] - pd.Timestamp(res.scenario.start)).dt.total_seconds().to_numpy()
        q = lm.drop(columns=["time"]).sum(axis=1).to_numpy()
        sel = tt <= t0
        air = float(np.trapezoid(q[sel], tt[sel])) if sel.sum() > 1 else 0.0
    out = asdict(case)
    out.update({
        "mdot_estimate_kg_s": est,
        "found": r.module,
        "correct": bool(r.module == case.module),
        "status": status,
        "probability": r.probability,
        "time_to_module_s": r.elapsed_s if r.module is not None else math.nan,
        "elapsed_s": r.elapsed_s,
        "steps": len(steps_log),
        "violations": len(viol),
        "violation_details": "; ".join(viol),
        "air_lost_kg": air,
        "alert": r.alert,
        "alert_step": first_alert[0] if first_alert else 0,
        "wall_s": _time.time() - wall0,
    })
    if details:
        out.update({"log": detail_log, "advice": r.advice, "result": r.to_json(),
                    "events": [(e.time_s, e.hatch, e.action, e.valve_area_m2) for e in events]})
    return out
