"""The scenario simulator: true state of every module and the telemetry its sensors would show.

Model
-----
* Modules joined by open hatches form one pressure **zone**: one pressure, one (well-mixed) gas
  composition, a temperature per module. With species masses m_s of the zone and S = sum_i V_i / T_i,
  the zone pressure is p = (sum_s m_s / M_s) R_u / S, and module i holds the share (V_i/T_i)/S of the mass
  (ideal gas and Dalton's law, :mod:`hullbreach.physics.gas`). Species: O2, N2, CO2, H2O.
* A closed hatch splits a zone (the mass is shared by S, so both sides start at the same pressure);
  opening it merges the zones (instant mixing).
* A leak is choked flow to vacuum (:func:`hullbreach.physics.orifice.choked_mass_flow`), which for the zone
  is dm/dt = -k m with k = G sum_l CdA_l sqrt(gamma R / T_l) / S. With k constant this is the exact
  exponential of :mod:`hullbreach.physics.blowdown`; with T(t) and a growing hole k(t) the solution
  m(t) = m0 exp(-integral k dt) is applied over each physics step (``dt_s``) with k at the step midpoint,
  and constant sources (crew, represses, airlock transfers, scrubber) are integrated exactly with it:
  m_{n+1} = a m_n + s (1 - a)/lambda, a = exp(-lambda dt). No time stepping error for constant T.
* ``thermo="adiabatic"``: in a leaking zone the gas cools isentropically, T_gas = T_wall theta,
  theta = (m/m_ref)^(gamma-1); the mass then follows the exact solution of dm/dt = -k m (m/m_ref)^((gamma-1)/2)
  (Shapiro 1953, as in :func:`hullbreach.physics.blowdown.adiabatic_pressure`); when the leak stops the gas
  returns to the wall temperature with a time constant of 30 min (estimate). Sources in a leaking
  adiabatic zone are added without venting (second order in dt), and the adiabatic model applies only to
  zones not coupled by an open equalization valve.
* An open equalization valve of a closed hatch is an orifice (choked or subsonic,
  :func:`hullbreach.physics.orifice.orifice_mass_flow`) between two zones: zones coupled by open valves are
  integrated step by step (Heun's method, the leaks still exact), with the transfer per step limited to
  the amount that equalizes the two pressures.
* Mass is bookkept exactly: initial + added = remaining + vented (leaks) + airlock vented + removed
  (crew O2 use, CO2 scrubbed); :attr:`SimResult.mass_balance`.

Events happen at their exact times: each stretch between events is cut into equal steps of at most ``dt_s``.

References
----------
.. [1] See :mod:`hullbreach.physics` (choked/subsonic orifice flow, Anderson 2003 §5.4; isothermal and
   adiabatic blowdown, Shapiro 1953 ch. 4).
.. [2] Crew O2 use 0.84 kg and CO2 output ~1.0 kg per person per day: NASA BVAD, NASA/TP-2015-218570.
.. [3] Heun's method (explicit trapezoidal rule): E. Hairer, S. P. Norsett, G. Wanner, *Solving Ordinary
   Differential Equations I*, 2nd ed., Springer, 1993, §II.1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hullbreach.constants import GAMMA_AIR, PA_PER_MMHG, R_UNIVERSAL, SECONDS_PER_DAY
from hullbreach.errors import ScenarioError
from hullbreach.physics.orifice import choked_mass_flow
from hullbreach.sim.integrate import G_AIR as _G
from hullbreach.sim.integrate import MOLAR as _MOLAR
from hullbreach.sim.integrate import SPECIES, integrate_cluster, integrate_zone, mixture_r  # noqa: F401 (SPECIES re-exported for tests)
from hullbreach.sim.scenario import Scenario
from hullbreach.sim.sensors import SensorBank
from hullbreach.sim.thermal import ThermalModel

#: Mass fractions of a repress gas. Air: 20.95 % O2 by volume, the rest counted as N2 (argon folded in).
_GAS_FRACTIONS = {
    "air": np.array([0.2095 * _MOLAR[0], 0.7905 * _MOLAR[1], 0.0, 0.0]) / (0.2095 * _MOLAR[0] + 0.7905 * _MOLAR[1]),
    "n2": np.array([0.0, 1.0, 0.0, 0.0]),
    "o2": np.array([1.0, 0.0, 0.0, 0.0]),
}
#: Longest stretch of simulated time processed at once (memory bound) [s].
CHUNK_S = 21600.0
TRUTH_COLUMNS = ("time", "module", "zone", "pressure_pa", "temperature_k", "mass_kg", "ppo2_pa", "ppn2_pa", "ppco2_pa", "pph2o_pa")


@dataclass
class SimResult:
    """What a simulation produced.

    Attributes
    ----------
    telemetry : pandas.DataFrame
        Raw long telemetry ``time`` (datetime64[ns, UTC]), ``channel`` (categorical), ``value`` (float, in
        each sensor's unit), time-major; every sensor of the station.
    events : pandas.DataFrame
        ``time, kind, detail`` (docs/design.md §3.2 kinds): hatch operations (detail = hatch id), represses
        (``module=..;kg=..;gas=..``), airlock depress/repress (``module=..``), leak sealed (``module=..``).
    truth : pandas.DataFrame
        Long table ``time, module, zone, pressure_pa, temperature_k, mass_kg, ppo2_pa, ppn2_pa, ppco2_pa,
        pph2o_pa`` every ``truth_dt_s`` (zone = first module of the zone in station order).
    leak_mass_flow_kg_s : pandas.DataFrame
        ``time`` and one column per leak id: choked outflow at the truth times [kg/s].
    vented_kg : float
        Mass lost through all leaks [kg].
    vented_by_leak_kg : dict[str, float]
    mass_balance : dict[str, float]
        ``initial_kg, added_kg, removed_kg, vented_kg, airlock_vented_kg, remaining_kg`` [kg].
    warnings : list[str]
    thermo : str
        ``isothermal`` or ``adiabatic`` (the venting model used).
    """

    station: object
    scenario: Scenario
    seed: int
    telemetry: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame
    leak_mass_flow_kg_s: pd.DataFrame
    vented_kg: float
    vented_by_leak_kg: dict
    mass_balance: dict
    zones_start: list = field(default_factory=list)
    zones_end: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    thermo: str = "isothermal"
    timings_s: dict = field(default_factory=dict)

    def write(self, out_dir) -> list[Path]:
        """Write ``telemetry.csv``, ``events.csv`` and ``truth.csv`` into ``out_dir``; returns the paths."""
        from hullbreach.telemetry.writers import write_events_csv, write_long_csv

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "telemetry.csv", out / "events.csv", out / "truth.csv"]
        write_long_csv(self.telemetry, paths[0])
        write_events_csv(self.events, paths[1])
        truth = self.truth.copy()
        truth["time"] = truth["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        truth.to_csv(paths[2], index=False, float_format="%.17g")
        return paths

    def zone_pressures(self, when: str = "start") -> list[tuple[tuple[str, ...], float]]:
        """``(modules, pressure_pa)`` for each zone at the first or last truth time."""
        tt = self.truth["time"].iloc[0] if when == "start" else self.truth["time"].iloc[-1]
        rows = self.truth[self.truth["time"] == tt]
        out = []
        for zone, g in rows.groupby("zone", sort=False):
            out.append((tuple(g["module"]), float(g["pressure_pa"].iloc[0])))
        return out

    def summary(self) -> dict:
        """A JSON-able summary: zone pressures at start and end, mass vented, mass balance."""
        def zl(when):
            return [{"modules": list(m), "pressure_pa": p, "pressure_mmhg": p / PA_PER_MMHG} for m, p in self.zone_pressures(when)]
        return {
            "station": getattr(self.station, "name", ""),
            "scenario": self.scenario.name,
            "start": self.scenario.start,
            "duration_s": self.scenario.duration_s,
            "seed": self.seed,
            "thermo": self.thermo,
            "zones_start": zl("start"),
            "zones_end": zl("end"),
            "vented_kg": self.vented_kg,
            "vented_by_leak_kg": dict(self.vented_by_leak_kg),
            "mass_balance": dict(self.mass_balance),
            "telemetry_samples": int(len(self.telemetry)),
            "events": int(len(self.events)),
            "warnings": list(self.warnings),
        }


def check_scenario(station, scenario: Scenario) -> None:
    """Check a scenario against a station: every module, hatch and sensor named must exist.

    Raises :class:`ScenarioError` naming the scenario file line and the known ids.
    """
    mods = station.modules
    hint_m = "modules: " + ", ".join(list(mods)[:40])

    def need_module(mid, src, what):
        if mid not in mods:
            raise ScenarioError(f"{what} names unknown module {mid!r} of station {station.name!r}", source=src or None, hint=hint_m)

    for lk in scenario.leaks:
        need_module(lk.module, lk.source, "leak")
    for r in scenario.represses:
        need_module(r.module, r.source, "repress")
    for a in scenario.airlock_cycles:
        need_module(a.module, a.source, "airlock cycle")
        if a.recover_into:
            need_module(a.recover_into, a.source, "airlock cycle recover_into")
        elif not station.neighbours(a.module):
            raise ScenarioError(f"airlock {a.module!r} has no hatch to recover air into", source=a.source or None)
    for p in scenario.thermal:
        if p.module != "*":
            need_module(p.module, p.source, "thermal profile")
    if scenario.crew.count > 0:
        need_module(scenario.crew.module, scenario.crew.source, "crew")
    for ev in scenario.hatch_events:
        if ev.hatch not in station.hatches:
            raise ScenarioError(f"hatch event names unknown hatch {ev.hatch!r}", source=ev.source or None,
                                hint="hatches: " + ", ".join(list(station.hatches)[:40]))
        if ev.action == "valve_open" and ev.valve_area_m2 is None and station.hatches[ev.hatch].valve_area_m2 <= 0:
            raise ScenarioError(f"hatch {ev.hatch!r} has no equalization valve (valve_area_m2 = 0)", source=ev.source or None,
                                hint="give valve_area_m2 in the hatch event or in the station file")
    for f in scenario.sensor_faults:
        if f.sensor not in station.sensors:
            raise ScenarioError(f"sensor fault names unknown sensor {f.sensor!r}", source=f.source or None,
                                hint="sensors: " + ", ".join(list(station.sensors)[:30]))


class _Run:
    """State of one simulation run (internal)."""

    def __init__(self, station, sc: Scenario, seed: int, telemetry: bool):
        self.st = station
        self.sc = sc
        self.rng = np.random.default_rng(seed)
        self.mods = list(station.modules)
        self.midx = {m: i for i, m in enumerate(self.mods)}
        self.V = np.array([station.modules[m].volume_m3 for m in self.mods], dtype=float)
        self.h = float(sc.dt_s)
        self.D = float(sc.duration_s)
        self.thermal = ThermalModel(self.mods, [station.modules[m].temperature_k for m in self.mods], sc.thermal,
                                    self.D, self.rng, sc.nuisance)
        self.closed = set(station.closed_hatches())
        self.valves: dict[str, float] = {}
        self.events: list[tuple[float, str, str]] = []
        self.warnings: list[str] = []
        self.added = 0.0
        self.removed = 0.0
        self.airlock_vented = 0.0
        self.vented = {lk.id: 0.0 for lk in sc.leaks}
        self.telemetry_on = telemetry
        self.bank = SensorBank.from_station(station, sc.sensor_faults, sc.dropout_probability, sc.clock_jitter_s,
                                            sc.nuisance, self.rng)
        self.tel_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.truth_parts: list[np.ndarray] = []
        self.truth_times: list[np.ndarray] = []
        self.truth_zone: list[np.ndarray] = []
        # initial state
        T0 = self.thermal.temperature([0.0])[0]
        p0 = float(sc.initial_pressure_pa if sc.initial_pressure_pa is not None else station.nominal_pressure_pa)
        ppco2 = min(sc.initial_ppco2_pa, 0.5 * p0)
        pph2o = min(sc.initial_pph2o_pa, 0.5 * p0 - ppco2)
        ppo2 = sc.initial_ppo2_pa if sc.initial_ppo2_pa is not None else 0.21 * p0
        ppo2 = min(ppo2, p0 - ppco2 - pph2o)
        pp = np.array([ppo2, p0 - ppo2 - ppco2 - pph2o, ppco2, pph2o])
        self.p0 = p0
        self.zones = [frozenset(z) for z in station.zones(self.closed)]
        self.zmass: dict[frozenset, np.ndarray] = {}
        self.theta: dict[frozenset, float] = {}
        for z in self.zones:
            S = self._S(z, T0)
            self.zmass[z] = pp * _MOLAR / R_UNIVERSAL * S  # m_s = pp_s V / (R_s T) summed over the zone
            self.theta[z] = 1.0
        self.initial = float(sum(m.sum() for m in self.zmass.values()))
        self.zones_start = [sorted(z, key=self.midx.get) for z in self.zones]

    # ------------------------------------------------------------------ helpers
    def _idx(self, z) -> np.ndarray:
        return np.array(sorted(self.midx[m] for m in z), dtype=np.int64)

    def _S(self, z, T) -> float:
        idx = self._idx(z)
        return float(np.sum(self.V[idx] / T[idx]))

    def zone_of(self, module: str) -> frozenset:
        for z in self.zones:
            if module in z:
                return z
        raise KeyError(module)

    def retopo(self, T) -> None:
        """Recompute zones after a hatch change: split by S = sum V/T, merge by summing (exact)."""
        new = [frozenset(z) for z in self.st.zones(self.closed)]
        pieces: list[tuple[frozenset, np.ndarray, float]] = []
        for z in self.zones:
            inside = [n for n in new if n <= z]
            if len(inside) == 1 and inside[0] == z:
                pieces.append((z, self.zmass[z], self.theta[z]))
                continue
            if sum(len(n) for n in inside) == len(z) and len(inside) > 1:  # split
                Ss = np.array([self._S(n, T) for n in inside])
                frac = Ss / Ss.sum()
                rest = self.zmass[z].copy()
                for j, n in enumerate(inside):
                    part = rest.copy() if j == len(inside) - 1 else self.zmass[z] * frac[j]
                    rest = rest - part
                    pieces.append((n, part, self.theta[z]))
            else:
                pieces.append((z, self.zmass[z], self.theta[z]))
        zm: dict[frozenset, np.ndarray] = {}
        th: dict[frozenset, float] = {}
        for n in new:
            parts = [(m, t) for (p, m, t) in pieces if p <= n]
            tot = sum(m for m, _ in parts)
            zm[n] = np.array(tot, dtype=float)
            w = np.array([m.sum() for m, _ in parts])
            th[n] = float(np.sum(w * np.array([t for _, t in parts])) / w.sum()) if w.sum() > 0 else 1.0
        self.zones = new
        self.zmass = zm
        self.theta = th

    def zone_pressure(self, z, T) -> float:
        m = self.zmass[z]
        return float((m / _MOLAR).sum() * R_UNIVERSAL / self._S(z, T) * self.theta[z])

    def log(self, t_s: float, kind: str, detail: str) -> None:
        self.events.append((t_s, kind, detail))


def _crew_breathes(p_pa: float, m_o2_kg: float, p0_pa: float, o2_rate_kg_s: float, rest_s: float) -> bool:
    """Whether the crew breathes in a zone at pressure ``p_pa`` holding ``m_o2_kg`` of O2 [Pa, kg]: at least
    half the initial pressure ``p0_pa`` and twice the O2 used at ``o2_rate_kg_s`` over ``rest_s`` [kg/s, s]."""
    return p_pa > 0.5 * p0_pa and m_o2_kg > 2.0 * o2_rate_kg_s * rest_s


def _crew_stop_step(run, z, m_hist: np.ndarray, theta: np.ndarray, T: np.ndarray, tg: np.ndarray, i1: float,
                    o2_rate: float) -> int | None:
    """First inner step n (0 < n < L) of a stretch at which zone ``z`` (species masses ``m_hist`` (L+1, 4) [kg],
    adiabatic factor ``theta``, temperatures ``T`` [K] at times ``tg`` [s]) no longer lets the crew breathe
    (:func:`_crew_breathes` with the rest of the stretch up to ``i1``); None if it does throughout."""
    idx = run._idx(z)
    S = (run.V[idx] / T[:, idx]).sum(axis=1)
    p = (m_hist / _MOLAR).sum(axis=1) * R_UNIVERSAL / S * theta
    ok = (p > 0.5 * run.p0) & (m_hist[:, 0] > 2.0 * o2_rate * (i1 - tg))
    bad = np.nonzero(~ok[1:-1])[0]
    return int(bad[0]) + 1 if bad.size else None


def simulate(station, scenario: Scenario, seed: int = 0, *, telemetry: bool = True, progress=None) -> SimResult:
    """Simulate ``scenario`` on ``station`` (a :class:`~hullbreach.station.Station` or a name/path).

    Deterministic for a given ``seed``. ``telemetry=False`` skips the sensor telemetry (truth only).
    ``progress(simulated_s, duration_s)``, if given, is called as the integration advances [s].
    Returns a :class:`SimResult`. Raises :class:`ScenarioError` when the scenario names modules, hatches
    or sensors the station lacks, or asks for an impossible operation (closing a closed hatch, an airlock
    cycle whose airlock is not sealed off, ...).
    """
    import time as _time

    from hullbreach.station import load_station

    t_wall = _time.perf_counter()
    st = load_station(station) if not hasattr(station, "modules") else station
    sc = scenario
    check_scenario(st, sc)
    run = _Run(st, sc, seed, telemetry)
    h, D = run.h, run.D

    def snap(t):  # exact event time, clipped to the run (rounded to 1 us against float noise)
        return float(min(max(round(float(t), 6), 0.0), D))

    # ------------------------------------------------------------------ schedule
    actions: dict[int, list] = {}
    bps = {0.0, D}

    def at(i, order, item):
        actions.setdefault(i, []).append((order, len(actions.get(i, [])), item))
        bps.add(i)

    for ev in sc.hatch_events:
        at(snap(ev.time_s), 0, ("hatch", ev))
    for r in sc.represses:
        i = snap(r.time_s)
        at(i, 1, ("repress", r))
        if r.duration_s > 0:
            bps.add(snap(r.time_s + r.duration_s))
    for a in sc.airlock_cycles:
        for ph, t0, t1 in a.phases:
            if ph == "hold":
                continue
            # the vent valve stays open to vacuum through the hold (EVA)
            end = a.phases[2][2] if ph == "vent" else t1
            at(snap(t0), 2, ("airlock", (a, ph, snap(end))))
            bps.add(snap(t1))
    for lk in sc.leaks:
        bps.add(snap(lk.onset_s))
        if lk.end_s is not None:
            at(snap(lk.end_s), 3, ("sealed", lk))
    crew = sc.crew
    feed_windows: list[tuple[int, int]] = []
    if crew.count > 0 and crew.o2_makeup:
        k = 1
        while k * crew.o2_feed_interval_s < D:
            i0 = snap(k * crew.o2_feed_interval_s)
            i1 = snap(k * crew.o2_feed_interval_s + crew.o2_feed_duration_s)
            if i1 > i0:
                feed_windows.append((i0, i1))
                bps.update((i0, i1))
            k += 1
    bps.update(np.arange(0.0, D, CHUNK_S).tolist())
    bps = sorted(b for b in bps if 0 <= b <= D)

    timed_src: list[tuple[int, int, str, np.ndarray, str, str]] = []  # (i0, i1, module, rate(4,), category, to_module)
    for r in sc.represses:
        if r.duration_s > 0:
            i0, i1 = snap(r.time_s), snap(r.time_s + r.duration_s)
            if i1 > i0:
                timed_src.append((i0, i1, r.module, _GAS_FRACTIONS[r.gas] * r.mass_kg / (i1 - i0), "added", ""))

    o2_rate = crew.count * crew.o2_kg_per_person_day / SECONDS_PER_DAY
    co2_rate = crew.count * crew.co2_kg_per_person_day / SECONDS_PER_DAY
    feed_rate = o2_rate * crew.o2_feed_interval_s / crew.o2_feed_duration_s if crew.count else 0.0
    leaks = [(lk, run.midx[lk.module]) for lk in sc.leaks]
    truth_t = np.arange(0.0, D + 1e-9, sc.truth_dt_s)
    if truth_t[-1] < D - 1e-9:
        truth_t = np.append(truth_t, D)
    sample_dt = 1.0 / sc.sample_rate_hz
    n_samples = int(math.floor(D / sample_dt - 1e-9)) + 1
    t_phys = 0.0

    # ------------------------------------------------------------------ main loop
    bi = 0
    while bi < len(bps) - 1:
        i0, i1 = bps[bi], bps[bi + 1]
        if progress is not None:
            progress(i0, D)
        T_i0 = run.thermal.temperature([i0])[0]
        for _, _, (kind, item) in sorted(actions.pop(i0, [])):
            _apply(run, kind, item, i0, T_i0, timed_src)
        if i1 <= i0:
            bi += 1
            continue
        # state before this stretch, restored if the crew stops breathing inside it (the stretch is then cut)
        saved = (dict(run.vented), run.removed, run.airlock_vented, dict(run.theta), dict(run.zmass))
        L = max(1, int(math.ceil((i1 - i0) / h - 1e-9)))
        hs = (i1 - i0) / L  # this stretch's step [s], at most dt_s
        tp = _time.perf_counter()
        tg = i0 + np.arange(L + 1) * hs
        tg[-1] = i1
        T = run.thermal.temperature(tg)
        Tm = 0.5 * (T[:-1] + T[1:])
        tmid = tg[:-1] + 0.5 * hs
        # sources per zone
        src: dict[frozenset, np.ndarray] = {z: np.zeros(4) for z in run.zones}
        cat_rates = {"added": 0.0, "removed": 0.0, "airlock_vented": 0.0}
        krm: dict[frozenset, np.ndarray] = {z: np.zeros(4) for z in run.zones}
        breathing = False
        if crew.count > 0:
            zc = run.zone_of(crew.module)
            # the crew breathes in their zone while it holds at least half the initial pressure and enough O2
            # for the rest of the stretch (checked again at every step below)
            breathing = _crew_breathes(run.zone_pressure(zc, T[0]), run.zmass[zc][0], run.p0, o2_rate, i1 - i0)
            if breathing:
                src[zc] += np.array([-o2_rate, 0.0, co2_rate, 0.0])
                cat_rates["removed"] += o2_rate
                cat_rates["added"] += co2_rate
                if crew.co2_removal:
                    m_set = crew.co2_setpoint_pa * run._S(zc, T[0]) * _MOLAR[2] / R_UNIVERSAL
                    krm[zc] = np.array([0.0, 0.0, co2_rate / m_set, 0.0])
                for f0, f1 in feed_windows:
                    if f0 <= i0 < f1:
                        src[zc] += np.array([feed_rate, 0.0, 0.0, 0.0])
                        cat_rates["added"] += feed_rate
        sinks: dict[frozenset, list] = {}
        for (s0, s1, mod, payload, cat, to_mod) in timed_src:
            if s0 <= i0 < s1:
                if cat == "added":
                    src[run.zone_of(mod)] += payload
                    cat_rates["added"] += float(payload.sum())
                else:  # first-order outflow [1/s]: airlock pump / vent, cabin donating to an airlock repress
                    sinks.setdefault(run.zone_of(mod), []).append((payload, cat, run.zone_of(to_mod) if to_mod else None))
        # leak rate coefficients k_l(t) per zone [1/s] at step midpoints (isothermal, wall temperature)
        kz: dict[frozenset, list] = {z: [] for z in run.zones}
        for lk, j in leaks:
            a = lk.cd_area_m2(tmid)
            if not np.any(a > 0):
                continue
            z = run.zone_of(lk.module)
            R = float(mixture_r(run.zmass[z]))
            idx = run._idx(z)
            S = (run.V[idx] / Tm[:, idx]).sum(axis=1)
            kz[z].append((lk.id, _G * a * np.sqrt(GAMMA_AIR * R / Tm[:, j]) / S))
        # valve couplings
        couplings = []
        for hid, area in run.valves.items():
            if hid not in run.closed:
                continue
            a_mod, b_mod = st.hatches[hid].modules
            za, zb = run.zone_of(a_mod), run.zone_of(b_mod)
            if za != zb:
                couplings.append((hid, area, za, zb, run.midx[a_mod], run.midx[b_mod]))
        clusters = _clusters(run.zones, couplings)
        # donors of transfers first, so that their recipients know what flows in at each step
        clusters.sort(key=lambda cl: 0 if any(any(c != "airlock_vented" for _, c, _ in sinks.get(z, ())) for z in cl) else 1)
        extra_in: dict[frozenset, np.ndarray] = {}
        zone_hist: dict[frozenset, np.ndarray] = {}
        theta_hist: dict[frozenset, np.ndarray] = {}
        for cl in clusters:
            if len(cl) == 1:
                z = cl[0]
                m_hist, th_hist, transfers = integrate_zone(run, z, src[z], krm[z], kz[z], L, hs, sc.thermo,
                                                            sinks.get(z, ()), extra_in.get(z))
                zone_hist[z] = m_hist
                theta_hist[z] = th_hist
                run.theta[z] = float(th_hist[-1])
            else:
                hists, transfers = integrate_cluster(run, cl, [c for c in couplings if c[2] in cl], src, krm, kz, tg, L, hs,
                                                     sinks, extra_in)
                for z in cl:
                    zone_hist[z] = hists[z]
                    theta_hist[z] = np.full(L + 1, run.theta[z])
            for z in cl:
                end = zone_hist[z][-1]
                run.zmass[z] = np.maximum(end, 0.0)
                # only the crew's constant O2 use can drive a mass below zero, in the one step where a leak
                # faster than the step (exp(-lambda dt) < 1/2) empties the zone before the check above stops
                # them: they could not use O2 that was not there, so the clipped amount was never removed
                run.removed += float(np.minimum(end, 0.0).sum())
            for to_zone, amounts in transfers:
                extra_in[to_zone] = extra_in.get(to_zone, 0.0) + amounts
        cut = _crew_stop_step(run, zc, zone_hist[zc], theta_hist[zc], T, tg, i1, o2_rate) if breathing else None
        if cut is not None:
            # the crew's constant O2 use must stop where the zone no longer supports it (a leak drained it):
            # running it to the end of the stretch would drive the O2 mass negative, and clipping it back to
            # zero would create mass. Redo this stretch up to that step; the next one starts without the crew.
            run.vented, run.removed, run.airlock_vented = dict(saved[0]), saved[1], saved[2]
            run.theta, run.zmass = dict(saved[3]), dict(saved[4])
            bps.insert(bi + 1, float(tg[cut]))
            t_phys += _time.perf_counter() - tp
            continue
        run.added += cat_rates["added"] * L * hs
        run.removed += cat_rates["removed"] * L * hs
        run.airlock_vented += cat_rates["airlock_vented"] * L * hs
        t_phys += _time.perf_counter() - tp
        # ---------------------------------------------------------- outputs in [tg0, tg_end)
        last = bi == len(bps) - 2
        _outputs(run, tg, zone_hist, theta_hist, truth_t, sample_dt, n_samples, last)
        bi += 1

    T_end = run.thermal.temperature([D])[0]
    for _, _, (kind, item) in sorted(actions.pop(D, [])):
        _apply(run, kind, item, D, T_end, timed_src)  # logged; nothing is simulated after them
    tp = _time.perf_counter()
    res = _finish(run, st, sc, seed, truth_t)
    res.timings_s = {"physics": t_phys, "total": _time.perf_counter() - t_wall}
    return res


def _clusters(zones, couplings):
    parent = {z: z for z in zones}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for c in couplings:
        a, b = find(c[2]), find(c[3])
        if a != b:
            parent[b] = a
    groups: dict = {}
    for z in zones:
        groups.setdefault(find(z), []).append(z)
    return list(groups.values())


def _apply(run: _Run, kind: str, item, i: float, T, timed_src: list) -> None:
    """Apply an instantaneous action at time ``i`` [s after start]."""
    t = i  # the time of the action [s]
    st = run.st
    if kind == "hatch":
        ev = item
        src = ev.source or None
        if ev.action == "close":
            if ev.hatch in run.closed:
                raise ScenarioError(f"hatch {ev.hatch!r} is already closed at t = {ev.time_s:g} s", source=src,
                                    hint="drop the event or open the hatch first")
            run.closed.add(ev.hatch)
            run.retopo(T)
            run.log(t, "hatch_close", ev.hatch)
        elif ev.action == "open":
            if ev.hatch not in run.closed:
                raise ScenarioError(f"hatch {ev.hatch!r} is already open at t = {ev.time_s:g} s", source=src,
                                    hint="drop the event or close the hatch first")
            a, b = st.hatches[ev.hatch].modules
            pa, pb = run.zone_pressure(run.zone_of(a), T), run.zone_pressure(run.zone_of(b), T)
            into = st.hatches[ev.hatch].opens_into
            if into in (a, b):
                p_into = pa if into == a else pb
                p_other = pb if into == a else pa
                if p_into - p_other > PA_PER_MMHG:
                    run.warnings.append(f"t={t:g} s: hatch {ev.hatch} opened against {(p_into - p_other) / PA_PER_MMHG:.1f} mmHg "
                                        f"(higher pressure on the side it opens into, {into}); a real hatch would not open")
            run.closed.discard(ev.hatch)
            run.retopo(T)
            run.log(t, "hatch_open", ev.hatch)
        elif ev.action == "valve_open":
            if ev.hatch not in run.closed:
                run.warnings.append(f"t={t:g} s: valve of open hatch {ev.hatch} opened (no effect while the hatch is open)")
            run.valves[ev.hatch] = float(ev.valve_area_m2 if ev.valve_area_m2 is not None else st.hatches[ev.hatch].valve_area_m2)
            run.log(t, "valve_open", ev.hatch)
        elif ev.action == "valve_close":
            run.valves.pop(ev.hatch, None)
            run.log(t, "valve_close", ev.hatch)
    elif kind == "repress":
        r = item
        if r.duration_s <= 0:
            z = run.zone_of(r.module)
            run.zmass[z] = run.zmass[z] + _GAS_FRACTIONS[r.gas] * r.mass_kg
            run.added += r.mass_kg
        run.log(t, "repress", f"module={r.module};kg={r.mass_kg:g};gas={r.gas}")
    elif kind == "airlock":
        a, phase, i_end = item
        src = a.source or None
        za = run.zone_of(a.module)
        rec = a.recover_into
        if not rec:
            for other, hatch in st.neighbours(a.module):
                if hatch.id in run.closed:
                    rec = other
                    break
            else:
                rec = st.neighbours(a.module)[0][0]
        zc = run.zone_of(rec)
        if zc == za:
            raise ScenarioError(f"airlock cycle of {a.module!r} at t = {a.start_s:g} s: the airlock is not sealed off from "
                                f"{rec!r} (hatch open)", source=src, hint="close the hatch between them before the cycle")
        dur = max(i_end - i, 1e-9)
        m = run.zmass[za]
        M = m.sum()
        # first-order outflows [1/s] (a pump of constant volumetric speed, a vent valve choked to vacuum,
        # the cabin donating to the repress); they never drive a mass negative
        if phase == "pump":
            pa = run.zone_pressure(za, T)
            if pa > a.pump_to_pa > 0:
                timed_src.append((i, i_end, a.module, np.log(pa / a.pump_to_pa) / dur, "transfer", rec))
            run.log(t, "airlock_depress", f"module={a.module}")
        elif phase == "vent":
            if M > 0:
                timed_src.append((i, i_end, a.module, np.log(1000.0) / a.vent_duration_s, "airlock_vented", ""))
        elif phase == "repress":
            mc = run.zmass[zc]
            Sa, Sc = run._S(za, T), run._S(zc, T)
            Ra, Rc = float(mixture_r(m)), float(mixture_r(mc))
            # equal pressures: (Ma + x) Rc / Sa = (Mc - x) Rc / Sc  (the repress gas is cabin gas)
            x = (mc.sum() * Rc / Sc - M * Ra / Sa) / (Rc / Sa + Rc / Sc)
            if 0 < x < mc.sum():
                timed_src.append((i, i_end, rec, -np.log1p(-x / mc.sum()) / dur, "transfer", a.module))
            run.log(t, "airlock_repress", f"module={a.module}")
    elif kind == "sealed":
        run.log(t, "leak_sealed", f"module={item.module}")


def _outputs(run: _Run, tg, zone_hist, theta_hist, truth_t, sample_dt, n_samples, last: bool) -> None:
    """Truth rows and telemetry for the times in [tg[0], tg[-1]) (and tg[-1] itself when ``last``)."""
    t0, t1 = tg[0], tg[-1]
    sel = (truth_t >= t0 - 1e-9) & ((truth_t < t1 - 1e-9) | last)
    tt = truth_t[sel]
    if tt.size:
        Q, zone_col = _state_at(run, tt, tg, zone_hist, theta_hist)
        run.truth_times.append(tt)
        run.truth_parts.append(Q)
        run.truth_zone.append(zone_col)
    if run.telemetry_on and run.bank.ids:
        k0 = int(math.ceil(t0 / sample_dt - 1e-9))
        k1 = n_samples if last else int(math.ceil(t1 / sample_dt - 1e-9))
        if k1 > k0:
            ts = np.arange(k0, k1) * sample_dt
            run.tel_parts.append(run.bank.measure(ts, _sensor_truth(run, ts, tg, zone_hist, theta_hist), run.rng))


def _zone_state(run: _Run, ts, tg, zone_hist, theta_hist):
    """Zone-level state at times ``ts``: zones, wall temperatures (n, n_modules), pressure (n, nz),
    partial pressures (n, nz, 4), theta (n, nz), S = sum V/T (n, nz), total mass (n, nz)."""
    L = tg.size - 1
    h = (tg[-1] - tg[0]) / L if L > 0 else 1.0
    fi = (ts - tg[0]) / h
    k = np.clip(np.floor(fi).astype(np.int64), 0, max(L - 1, 0))
    w = np.clip(fi - k, 0.0, 1.0)[:, None]
    k1 = np.minimum(k + 1, L)
    n = ts.size
    Tw = run.thermal.temperature(ts)
    zones = list(zone_hist)
    nz = len(zones)
    invT = run.V[None, :] / Tw
    member = np.zeros((len(run.mods), nz))
    for i, z in enumerate(zones):
        member[run._idx(z), i] = 1.0
    S = invT @ member  # sum of V/T over each zone
    mh = np.stack([zone_hist[z] for z in zones], axis=1)  # (L+1, nz, 4)
    thh = np.stack([theta_hist[z] for z in zones], axis=1)  # (L+1, nz)
    if L > 0:
        # geometric interpolation between steps: exact for the exponential decay of a leak
        w3 = w[:, :, None]
        ma, mb = mh[k], mh[k1]
        pos = (ma > 0) & (mb > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mz = np.where(pos, np.exp(np.log(np.where(pos, ma, 1.0)) * (1.0 - w3) + np.log(np.where(pos, mb, 1.0)) * w3),
                          ma * (1.0 - w3) + mb * w3)
        th = thh[k] * (1.0 - w) + thh[k1] * w
    else:
        mz = np.repeat(mh[:1], n, axis=0)
        th = np.repeat(thh[:1], n, axis=0)
    M = mz.sum(axis=2)
    mz /= _MOLAR
    mz *= (R_UNIVERSAL * th / S)[:, :, None]
    pp = mz  # partial pressures [Pa]
    return zones, Tw, invT, pp.sum(axis=2), pp, th, S, M


def _module_zone_index(run: _Run, zones) -> np.ndarray:
    zi = np.empty(len(run.mods), dtype=np.int64)
    for i, z in enumerate(zones):
        zi[run._idx(z)] = i
    return zi


def _state_at(run: _Run, ts, tg, zone_hist, theta_hist):
    """True state at times ``ts`` within a segment: array (7, n, n_modules) of pressure, gas temperature,
    ppo2, ppn2, ppco2, pph2o [Pa, K] and module mass [kg]; plus the zone label of each module."""
    zones, Tw, invT, p, pp, th, S, M = _zone_state(run, ts, tg, zone_hist, theta_hist)
    zi = _module_zone_index(run, zones)
    out = np.empty((7, ts.size, len(run.mods)))
    out[0] = p[:, zi]
    out[1] = Tw * th[:, zi]
    for s in range(4):
        out[2 + s] = pp[:, zi, s]
    out[6] = M[:, zi] * invT / S[:, zi]
    labels = np.array([int(run._idx(z)[0]) for z in zones], dtype=np.int64)[zi]  # code of the zone's first module
    return out, labels


def _sensor_truth(run: _Run, ts, tg, zone_hist, theta_hist) -> np.ndarray:
    """True value [SI] seen by every sensor at times ``ts``: array (n, n_sensors)."""
    zones, Tw, _, p, pp, th, _, _ = _zone_state(run, ts, tg, zone_hist, theta_hist)
    zi = _module_zone_index(run, zones)
    b = run.bank
    nz = len(zones)
    # zone quantities side by side: [p | ppo2 | ppn2 | ppco2 | pph2o], each nz columns
    ZQ = np.concatenate([p, pp.transpose(0, 2, 1).reshape(ts.size, 4 * nz)], axis=1)
    v = np.empty((ts.size, len(b.ids)))
    q = b.quantity_index
    zq = q != 1
    if zq.any():
        src = np.where(q[zq] == 0, 0, q[zq] - 1) * nz + zi[b.module_index[zq]]
        v[:, zq] = ZQ.take(src, axis=1)
    tq = ~zq
    if tq.any():
        mods = b.module_index[tq]
        v[:, tq] = Tw.take(mods, axis=1) * th.take(zi[mods], axis=1)
        off = run.thermal.offset(ts)
        if off is not None:  # the unmeasured bulk offset moves the gas, not the thermometers
            v[:, tq] -= off.take(mods, axis=1)
    return v


def _finish(run: _Run, st, sc: Scenario, seed: int, truth_t) -> SimResult:
    start = pd.Timestamp(sc.start)
    start_ns = start.value
    mods = run.mods
    nm = len(mods)
    # truth
    if run.truth_parts:
        tt = np.concatenate(run.truth_times)
        Q = np.concatenate(run.truth_parts, axis=1)  # (7, n, nm)
        zl = np.concatenate([np.tile(z, (t.size, 1)) for z, t in zip(run.truth_zone, run.truth_times)], axis=0)
    else:
        tt, Q, zl = np.empty(0), np.empty((7, 0, nm)), np.empty((0, nm), dtype=np.int64)
    n = tt.size
    tns = start_ns + np.round(tt * 1e9).astype(np.int64)
    truth = pd.DataFrame({
        "time": pd.DatetimeIndex(np.repeat(tns, nm).view("datetime64[ns]")).tz_localize("UTC"),
        "module": pd.Categorical.from_codes(np.tile(np.arange(nm), n), categories=mods),
        "zone": pd.Categorical.from_codes(zl.reshape(-1), categories=mods),
        "pressure_pa": Q[0].reshape(-1),
        "temperature_k": Q[1].reshape(-1),
        "mass_kg": Q[6].reshape(-1),
        "ppo2_pa": Q[2].reshape(-1),
        "ppn2_pa": Q[3].reshape(-1),
        "ppco2_pa": Q[4].reshape(-1),
        "pph2o_pa": Q[5].reshape(-1),
    })
    # leak flows at truth times (choked, from the true pressure and gas temperature of the leaking module)
    flows = {"time": pd.DatetimeIndex(tns.view("datetime64[ns]")).tz_localize("UTC")}
    for lk in sc.leaks:
        j = run.midx[lk.module]
        if n:
            pp = Q[2:6, :, j]  # (4, n)
            molfrac = pp / np.maximum(pp.sum(axis=0), 1e-300)
            Mmix = (molfrac * _MOLAR[:, None]).sum(axis=0)
            R = np.where(pp.sum(axis=0) > 0, R_UNIVERSAL / np.where(Mmix > 0, Mmix, 1.0), R_UNIVERSAL / 28.9644e-3)
            flows[lk.id] = choked_mass_flow(lk.cd_area_m2(tt), Q[0, :, j], Q[1, :, j], GAMMA_AIR, R)
        else:
            flows[lk.id] = np.empty(0)
    leak_flows = pd.DataFrame(flows)
    # telemetry
    if run.tel_parts:
        t_ns = np.concatenate([p[0] for p in run.tel_parts])
        ch = np.concatenate([p[1] for p in run.tel_parts])
        val = np.concatenate([p[2] for p in run.tel_parts])
        run.tel_parts.clear()
    else:
        t_ns, ch, val = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int32), np.empty(0)
    t_ns += start_ns
    tel = pd.DataFrame({
        "time": pd.DatetimeIndex(t_ns.view("datetime64[ns]")).tz_localize("UTC"),
        "channel": pd.Categorical.from_codes(ch, categories=run.bank.ids) if run.bank.ids else pd.Categorical([]),
        "value": val,
    }, copy=False)
    # events
    ev = sorted(run.events, key=lambda e: e[0])
    events = pd.DataFrame({
        "time": pd.to_datetime([start_ns + int(round(e[0] * 1e9)) for e in ev], utc=True) if ev else pd.Series([], dtype="datetime64[ns, UTC]"),
        "kind": pd.Series([e[1] for e in ev], dtype=object),
        "detail": pd.Series([e[2] for e in ev], dtype=object),
    })
    remaining = float(sum(m.sum() for m in run.zmass.values()))
    vented = float(sum(run.vented.values()))
    balance = {"initial_kg": run.initial, "added_kg": run.added, "removed_kg": run.removed, "vented_kg": vented,
               "airlock_vented_kg": run.airlock_vented, "remaining_kg": remaining,
               "residual_kg": run.initial + run.added - run.removed - vented - run.airlock_vented - remaining}
    return SimResult(station=st, scenario=sc, seed=seed, telemetry=tel, events=events, truth=truth,
                     leak_mass_flow_kg_s=leak_flows, vented_kg=vented, vented_by_leak_kg=dict(run.vented),
                     mass_balance=balance, zones_start=run.zones_start,
                     zones_end=[sorted(z, key=run.midx.get) for z in run.zones], warnings=run.warnings,
                     thermo=sc.thermo)
