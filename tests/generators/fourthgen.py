"""A fourth telemetry generator: an event-driven ISS-like ECLSS model with a crew schedule, finite
inter-module mixing, thermostat-controlled cabins and a recorder's defects, written as the wide CSV of a
public telemetry archive — for checking ``hullbreach detect`` on physics, control loops and file defects it
was not tuned on.

It imports nothing from :mod:`hullbreach.sim`, :mod:`tests.generators.independent` or
:mod:`tests.generators.thirdgen`; it uses hullbreach's ``Station`` dataclasses (input data only) so that the
station it declares is the one ``hullbreach detect`` reads, and it writes files the way a hobby archive does
(UNIX seconds, one column per item, empty cells) so the reader meets a file hullbreach did not write.

How it differs in kind from the other two generators
----------------------------------------------------
* **Event-driven.** A priority queue of discrete events (crew schedule changes, CO2-removal bed swaps, O2
  generator controller samples, thermostat switchings, represses, hatch operations, the leak's start, a
  sensor swap, a recorder clock jump) is processed at its exact time; between events the continuous state
  (species moles per module, gas temperatures) is advanced on <= 10 s sub-steps that end on the event.
* **Crew schedule** [1]: each crew member sleeps 8.5 h (in the hab), exercises 2 x 1 h (in the node) and works
  in the lab; O2 use 0.82 kg/person/day and CO2 output at 0.92 mol per mol O2 on daily average [1], scaled by
  activity (sleep 0.75, exercise 2.6, otherwise 0.92: the day averages to 1), metabolic heat 120 W per unit.
* **Air revitalisation as control loops** [2], [3]: CO2 removal in the lab proportional to its ppCO2
  (process flow ``cdra_flow_m3_s``) with a bed swap every half-cycle (drawn 72-155 min) venting a little
  cabin air to space [3]; an O2 generator in the lab switched by a sampled ppO2 band (hysteresis);
  scheduled O2 and N2 represses from tanks (logged); a dead-end module (``pmm``) whose hatch is closed for
  the night and reopened in the morning (logged).
* **Finite mixing** [4]: total pressure equalises at once through open hatches (moles move to keep one
  pressure, carrying the donor's composition), composition and heat mix through the intermodule
  ventilation at ``imv_m3_s`` per hatch (mixing time V/Q ~ 25 min): ppO2 and ppCO2 differ between modules.
* **Cabin temperature control band** [5]: the lab and the hab each have a thermostat (cooling on above
  setpoint + 0.5 K, off below setpoint - 0.5 K: a sawtooth within the ISS band of +-1.1 K) against a heat
  load from equipment, crew and the orbit (sunlit fraction from the beta angle, through the wall's lag).
  The thermometer sits at the air-conditioner inlet: it lags the gas (``thermometer_lag_s``) and misses the
  warm layer a module's heat load leaves in the bulk (``stratification_k_per_kw``): the crew's exercise and
  the orbit move the gas temperature the thermometers do not see. The node has no thermometer.
* **Recorder defects**: quantisation (0.1 mmHg / 0.1 degC / 0.002 psi), a gauge in psi and one in torr,
  Gaussian noise, a channel dropping out for hours, duplicated rows, rows swapped out of order, a forward
  clock jump of the recorder, and a pressure gauge **replaced** mid-record (new offset and noise, not
  logged).

Model (SI inside): species N2, O2, CO2 as moles per module; ``p = R sum(n) / sum(V/T)`` per connected zone [6];
choked leak flow through an effective area ``A`` [6]: ``mdot = A p sqrt(gamma M / (R T)) (2/(gamma+1))^((gamma+1)/
(2(gamma-1)))``, isothermal.

References
----------
.. [1] M. S. Anderson et al., *Life Support Baseline Values and Assumptions Document*, NASA/TP-2015-218570
   Rev 2, 2022 (O2 0.82 kg/CM/day, CO2 1.04 kg/CM/day, metabolic heat by activity level).
.. [2] L. Supra, S. Brasseaux, "Molecular Sieve CO2 Removal Systems: International Space Station and
   Lunar-Mars Life Support Test Project", SAE 972419, 1997 (CDRA half-cycles and operating modes).
.. [3] D. E. Williams, D. J. Leonard, P. J. Smith, "Determination of On-Orbit Cabin Air Loss from the ISS",
   SAE 2004-01-2597 (the daily air loss includes the CO2-removal bed swaps).
.. [4] NASA, *International Space Station ECLSS*, intermodule ventilation: ~0.07 m^3/s per hatch (order of
   magnitude used here; the sweep varies it).
.. [5] T. D. Scull, K. D. Devin, J. Bedard, "Temperature and Humidity Control for the ISS", SAE 981618
   (cabin temperature held within +-2 F of its setpoint).
.. [6] F. M. White, *Fluid Mechanics*, 7th ed., §9.4 (ideal gas, choked flow).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

R_U = 8.314462618  # J/(mol K)
MOLAR = np.array([0.0280134, 0.0319988, 0.04401])  # N2, O2, CO2 [kg/mol]
MMHG = 133.322387415  # Pa
PSI = 6894.757293168  # Pa
GAMMA = 1.4
CHOKE = (2.0 / (GAMMA + 1.0)) ** ((GAMMA + 1.0) / (2.0 * (GAMMA - 1.0)))
DAY = 86400.0
MODULES = ("lab", "node", "hab", "pmm")
VOLUMES = np.array([106.0, 70.0, 110.0, 70.0])  # m^3 (own station, not a real one)
HATCHES = (("lab", "node"), ("node", "hab"), ("node", "pmm"))
PMM_HATCH = 2


def station():
    """The generator's station: lab 106 m^3, node 70, hab 110 and a dead-end stowage module pmm 70 behind
    the hatch ``node-pmm``. Gauges: lab in torr (0.1 steps), node in psi (0.002 psi steps), hab and pmm in
    mmHg; thermometers (degC, 0.1 steps) in lab and hab at the air-conditioner inlet; a major-constituent
    analyser in the lab (ppN2, ppO2, ppCO2 in mmHg, one sample a minute)."""
    from hullbreach.station import Hatch, Module, Sensor, Station

    mods = [Module(m, float(v), kind="module", segment="core", name=m.upper()) for m, v in zip(MODULES, VOLUMES)]
    hatches = [Hatch(f"{a}-{b}", (a, b), "open", b) for a, b in HATCHES]
    sensors = [Sensor("LAB_P", "lab", "pressure", "torr", 0.03, 0.1),
               Sensor("NODE_P", "node", "pressure", "psi", 0.001, 0.002),
               Sensor("HAB_P", "hab", "pressure", "mmHg", 0.04, 0.1),
               Sensor("PMM_P", "pmm", "pressure", "mmHg", 0.04, 0.1),
               Sensor("LAB_T", "lab", "temperature", "degC", 0.03, 0.1),
               Sensor("HAB_T", "hab", "temperature", "degC", 0.03, 0.1),
               Sensor("LAB_PPN2", "lab", "ppn2", "mmHg", 0.6, 0.1),
               Sensor("LAB_PPO2", "lab", "ppo2", "mmHg", 0.4, 0.1),
               Sensor("LAB_PPCO2", "lab", "ppco2", "mmHg", 0.05, 0.1)]
    by_id = lambda items: {x.id: x for x in items}  # noqa: E731
    return Station("Fourth-generator ECLSS station", 69328.0, by_id(mods), by_id(hatches), by_id(sensors),
                   101325.0, "4-module station of tests/generators/fourthgen.py (tests and benchmarks only)")


def read_back(rec) -> tuple:
    """``(station, frame, events)`` of a :class:`Record` as a user gets them: written as files, then read with
    hullbreach's reader (``read_telemetry`` / ``read_events``)."""
    import tempfile

    from hullbreach.telemetry import read_events, read_telemetry

    st = station()
    with tempfile.TemporaryDirectory() as d:
        paths = rec.write(d)
        return st, read_telemetry(paths["telemetry"], st), read_events(paths["events"], st)


@dataclass(frozen=True)
class Leak:
    """A leak to space from ``module`` starting at ``start_s`` [s after the record's start], sized to lower the
    full main zone's pressure at ``rate_mmhg_per_h`` at the start (effective area, Cd = 1)."""

    module: str = "lab"
    rate_mmhg_per_h: float = 0.6
    start_s: float = 6 * 3600.0


@dataclass(frozen=True)
class Config:
    """One record. Times [s], temperatures [K], flows [m^3/s]."""

    duration_s: float = 2 * DAY
    seed: int = 0
    crew: int = 4
    leak: Leak | None = None
    cadence_s: float = 10.0
    t0_unix: float = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    imv_m3_s: float = 0.07
    cdra_flow_m3_s: float = 0.0067
    cdra_half_cycle_s: float | None = None  # None: drawn 72-155 min
    cdra_vent_kg: float | None = None  # air lost per bed swap; None: drawn 0.005-0.015 kg
    setpoint_k: float = 295.65
    stratification_k_per_kw: float = 0.25
    thermometer_lag_s: float = 120.0
    beta_deg: float = 30.0
    orbit_heat_kw: float = 0.6
    pmm_nights: bool = True
    log_hatches: bool = True  # False: the nightly closures happen but are not in the events log
    represses: bool = True
    defects: bool = True
    extra_events: tuple = ()  # (time_s, kind, detail) added to the log (e.g. a wrong entry)


@dataclass
class Record:
    """Output of :func:`generate`: the wide table (sensor units, UNIX-second times as the recorder wrote
    them), the events log, the truth per step and the leak's effective area [m^2]."""

    wide: pd.DataFrame
    events: pd.DataFrame
    truth: dict = field(default_factory=dict)
    leak_area_m2: float = 0.0
    clock_jump: tuple = (math.inf, 0.0)  # (true time [s] of the jump, seconds added to the recorder's clock)

    def write(self, out_dir) -> dict:
        """``telemetry.csv`` (wide, UNIX seconds, empty cell = no sample) and ``events.csv``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"telemetry": out / "telemetry.csv", "events": out / "events.csv"}
        wide = self.wide.copy()
        wide["time"] = wide["time"].map("{:.1f}".format)
        wide.to_csv(paths["telemetry"], index=False, float_format="%.10g")
        ev = self.events.copy()
        ev["time"] = pd.to_datetime(ev["time"], unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        ev.to_csv(paths["events"], index=False)
        return paths

    def logged_time(self, t_s: float) -> float:
        """UNIX time the recorder wrote for true time ``t_s`` [s after the start]."""
        jump_at, jump = self.clock_jump
        return self.truth["t0_unix"] + t_s + (jump if t_s >= jump_at else 0.0)


# --------------------------------------------------------------------------------------------- physics
def sunlit_fraction(beta_deg: float, alt_m: float = 420e3) -> float:
    """Sunlit fraction of a circular orbit at beta angle ``beta_deg`` (cylindrical shadow)."""
    r = 6371e3
    b = math.radians(beta_deg)
    bstar = math.asin(r / (r + alt_m))
    if abs(b) >= bstar:
        return 1.0
    return 1.0 - math.acos(math.sqrt(alt_m ** 2 + 2 * r * alt_m) / ((r + alt_m) * math.cos(b))) / math.pi


def choked_kg_s(area_m2: float, p_pa: float, t_k: float, m_kg_mol: float) -> float:
    """Choked mass flow of a gas of molar mass ``m_kg_mol`` through ``area_m2`` to vacuum [kg/s] [6]."""
    return area_m2 * p_pa * math.sqrt(GAMMA * m_kg_mol / (R_U * t_k)) * CHOKE


def _zones(pmm_open: bool) -> list[list[int]]:
    return [[0, 1, 2, 3]] if pmm_open else [[0, 1, 2], [3]]


class _Plant:
    """The continuous state and its sub-step; events mutate it between sub-steps."""

    def __init__(self, cfg: Config, rng):
        self.cfg, self.rng = cfg, rng
        self.T = np.full(4, cfg.setpoint_k) + rng.normal(0, 0.2, 4)
        p0 = 101.0e3 + rng.normal(0, 300)
        x0 = np.array([0.78, 0.215, 0.004])
        x0 /= x0.sum()
        ntot = p0 * VOLUMES / (R_U * self.T)
        self.n = np.outer(x0, ntot)  # (species, module)
        self.T_wall = self.T.copy()
        self.T_therm = self.T.copy()
        self.cooling = np.array([False, False, False, False])
        self.pmm_open = True
        self.oga_on = True
        self.leak_area = 0.0
        self.leak_mod = 0
        self.crew_where = np.zeros(4)  # persons per module
        self.crew_factor = np.zeros(4)  # sum of activity factors per module
        self.leak_kg = 0.0

    def pressures(self) -> np.ndarray:
        p = np.empty(4)
        for z in _zones(self.pmm_open):
            p[z] = R_U * self.n[:, z].sum() / np.sum(VOLUMES[z] / self.T[z])
        return p

    def heat_w(self, t: float) -> np.ndarray:
        """Heat load per module [W]: equipment and the crew (120 W per unit of activity factor [1])."""
        return np.array([1500.0, 300.0, 900.0, 100.0]) + 120.0 * self.crew_factor

    def step(self, t: float, dt: float) -> None:
        cfg = self.cfg
        Vc = VOLUMES
        # crew: O2 use and CO2 output (mol/s), per module where they are
        o2_mol_s = 0.82 / DAY / MOLAR[1] * self.crew_factor
        self.n[1] -= o2_mol_s * dt
        self.n[2] += 0.92 * o2_mol_s * dt
        # CO2 removal (lab), O2 generation (lab)
        c_lab = self.n[:, 0] / Vc[0]
        self.n[2, 0] -= min(cfg.cdra_flow_m3_s * c_lab[2] * dt, 0.5 * self.n[2, 0])
        if self.oga_on:
            self.n[1, 0] += 1.4 * cfg.crew * 0.82 / DAY / MOLAR[1] * dt
        # leak (choked, the module's composition)
        if self.leak_area > 0:
            i = self.leak_mod
            p = self.pressures()[i]
            x = self.n[:, i] / self.n[:, i].sum()
            m_mix = float(x @ MOLAR)
            kg_s = choked_kg_s(self.leak_area, p, self.T[i], m_mix)
            self.n[:, i] -= x * kg_s / m_mix * dt
            self.leak_kg += kg_s * dt
        # IMV mixing of composition and heat through open hatches
        for h, (a, b) in enumerate(HATCHES):
            if h == PMM_HATCH and not self.pmm_open:
                continue
            ia, ib = MODULES.index(a), MODULES.index(b)
            qa = cfg.imv_m3_s * dt
            fa, fb = self.n[:, ia] * qa / Vc[ia], self.n[:, ib] * qa / Vc[ib]
            self.n[:, ia] += fb - fa
            self.n[:, ib] += fa - fb
            dT = self.T[ia] - self.T[ib]
            self.T[ia] -= qa / Vc[ia] * dT
            self.T[ib] += qa / Vc[ib] * dT
        # thermal: orbit heating through the wall's lag, loads, thermostats (lab, hab)
        period = 5556.0
        lit = (t % period) / period < sunlit_fraction(cfg.beta_deg)
        wall_target = cfg.setpoint_k + (cfg.orbit_heat_kw if lit else -cfg.orbit_heat_kw) * 0.8
        self.T_wall += (wall_target - self.T_wall) * dt / 1800.0
        cap = 20.0 * 1.2 * 1005.0 * Vc  # air with the racks' and walls' heat capacity [J/K]
        q = self.heat_w(t) + 400.0 * (self.T_wall - self.T)
        for i in (0, 2):  # thermostats at the air-conditioner inlet reading
            if self.T_therm[i] > cfg.setpoint_k + 0.5:
                self.cooling[i] = True
            elif self.T_therm[i] < cfg.setpoint_k - 0.5:
                self.cooling[i] = False
        q -= np.where(self.cooling, 3500.0, 600.0) * np.array([1, 0, 1, 0])
        q[[1, 3]] -= 250.0  # node and pmm lose heat to the conditioned modules through their walls
        self.T += q / cap * dt
        # thermometers: lag of the inlet reading, and the warm layer the heat load leaves in the bulk unseen
        strat = cfg.stratification_k_per_kw * (self.heat_w(t) - 1000.0) / 1000.0
        self.T_therm += (self.T - strat - self.T_therm) * min(dt / cfg.thermometer_lag_s, 1.0)
        # one pressure per zone: moles move to the modules that need them, with the donors' composition
        for z in _zones(self.pmm_open):
            if len(z) < 2:
                continue
            p = R_U * self.n[:, z].sum() / np.sum(VOLUMES[z] / self.T[z])
            target = p * VOLUMES[z] / (R_U * self.T[z])
            d = target - self.n[:, z].sum(axis=0)
            give = np.maximum(-d, 0)
            if give.sum() <= 0:
                continue
            xs = self.n[:, z] / self.n[:, z].sum(axis=0)
            pool = xs @ give
            self.n[:, z] -= xs * give
            self.n[:, z] += np.outer(pool / pool.sum(), np.maximum(d, 0))


# --------------------------------------------------------------------------------------------- events
def _schedule(cfg: Config, rng) -> list:
    """The events of the record: (time [s], order, kind, args). Crew days at 06:00-21:30 GMT."""
    ev = []
    days = int(math.ceil(cfg.duration_s / DAY)) + 1
    for d in range(days):
        t = d * DAY
        ev += [(t + 6.0 * 3600 + rng.uniform(0, 600), 1, "wake", None),
               (t + 21.5 * 3600 + rng.uniform(0, 600), 1, "sleep", None)]
        for start in (9.0, 15.5):
            s = t + start * 3600 + rng.uniform(0, 1800)
            ev += [(s, 1, "exercise", True), (s + 3600.0, 1, "exercise", False)]
        if cfg.pmm_nights:
            ev += [(t + 21.0 * 3600 + rng.uniform(0, 900), 2, "pmm", False),
                   (t + 7.0 * 3600 + rng.uniform(0, 900), 2, "pmm", True)]
    half = cfg.cdra_half_cycle_s or rng.uniform(72, 155) * 60.0
    t = rng.uniform(0, half)
    while t < cfg.duration_s:
        ev.append((t, 3, "bed_swap", None))
        t += half
    for t in np.arange(0.0, cfg.duration_s, 600.0):
        ev.append((float(t) + 1.0, 4, "oga_control", None))
    if cfg.represses:
        ev.append((rng.uniform(0.3, 0.7) * cfg.duration_s, 5, "repress", ("o2", rng.uniform(1.0, 2.5))))
        ev.append((rng.uniform(0.2, 0.9) * cfg.duration_s, 5, "repress", ("n2", rng.uniform(1.0, 3.0))))
    if cfg.leak is not None:
        ev.append((cfg.leak.start_s, 0, "leak", None))
    return sorted(e for e in ev if 0 <= e[0] < cfg.duration_s)


def _full_zone_area(plant: _Plant, leak: Leak) -> float:
    """Effective area that lowers the full main zone's pressure at ``leak.rate_mmhg_per_h`` now."""
    p = plant.pressures()
    i = MODULES.index(leak.module)
    x = plant.n[:, i] / plant.n[:, i].sum()
    m_mix = float(x @ MOLAR)
    z = _zones(True)[0]
    mass = float((plant.n[:, z].T @ MOLAR).sum())
    kg_s = leak.rate_mmhg_per_h * MMHG / 3600.0 / p[i] * mass
    return kg_s / choked_kg_s(1.0, p[i], plant.T[i], m_mix)


def generate(cfg: Config = Config()) -> Record:
    """Simulate one record (see the module docstring); deterministic in ``cfg.seed``."""
    rng = np.random.default_rng(cfg.seed)
    plant = _Plant(cfg, rng)
    events = _schedule(cfg, rng)
    heapq.heapify(events)
    awake, exercising = False, False
    log = []
    grid = np.arange(0.0, cfg.duration_s, cfg.cadence_s)
    rec_p, rec_T, rec_therm, rec_x, rec_leak = [], [], [], [], []
    t, k = 0.0, 0
    area = 0.0
    while k < len(grid):
        t_next = grid[k]
        while events and events[0][0] <= t_next:
            te, _, kind, arg = heapq.heappop(events)
            if te > t:
                plant.step(t, te - t)
                t = te
            if kind in ("wake", "sleep", "exercise"):
                awake = kind != "sleep" if kind != "exercise" else awake
                exercising = bool(arg) if kind == "exercise" else exercising
            elif kind == "pmm":
                plant.pmm_open = bool(arg)
                if cfg.log_hatches:
                    log.append((te, "hatch_open" if arg else "hatch_close", "node-pmm"))
            elif kind == "bed_swap":
                lab = plant.n[:, 0]
                vent = cfg.cdra_vent_kg if cfg.cdra_vent_kg is not None else rng.uniform(0.005, 0.015)
                plant.n[:, 0] -= lab / lab.sum() * vent / float(lab / lab.sum() @ MOLAR)
            elif kind == "oga_control":
                ppo2 = plant.pressures()[0] * plant.n[1, 0] / plant.n[:, 0].sum() / MMHG
                plant.oga_on = ppo2 < 162.0 if plant.oga_on else ppo2 < 154.0
            elif kind == "repress":
                gas, kg = arg
                s = 0 if gas == "n2" else 1
                plant.n[s, 1] += kg / MOLAR[s]
                log.append((te, "repress", f"module=node;kg={kg:.2f};gas={gas}"))
            elif kind == "leak":
                area = _full_zone_area(plant, cfg.leak)
                plant.leak_area, plant.leak_mod = area, MODULES.index(cfg.leak.module)
            # crew placement after any schedule event
            n = cfg.crew
            where = np.zeros(4)
            factor = np.zeros(4)
            if not awake:
                where[2], factor[2] = n, 0.75 * n
            else:
                ex = 1 if exercising else 0
                where[1] += ex
                factor[1] += 2.6 * ex
                where[0] += n - ex
                factor[0] += 0.92 * (n - ex)
            plant.crew_where, plant.crew_factor = where, factor
        if t_next > t:
            plant.step(t, t_next - t)
            t = t_next
        rec_p.append(plant.pressures())
        rec_T.append(plant.T.copy())
        rec_therm.append(plant.T_therm.copy())
        rec_x.append(plant.n[:, 0] / plant.n[:, 0].sum())
        rec_leak.append(plant.leak_kg)
        k += 1
    for te, kind, detail in cfg.extra_events:
        log.append((te, kind, detail))
    truth = {"t_s": grid, "pressure_pa": np.array(rec_p), "temperature_k": np.array(rec_T),
             "thermometer_k": np.array(rec_therm), "lab_fractions": np.array(rec_x),
             "leak_kg": np.array(rec_leak), "t0_unix": cfg.t0_unix}
    return _recorder(cfg, rng, truth, log, area)


# --------------------------------------------------------------------------------------------- recorder
def _q(x: np.ndarray, step: float) -> np.ndarray:
    return np.round(x / step) * step


def _recorder(cfg: Config, rng, truth: dict, log: list, area: float) -> Record:
    """The wide file a recorder of the public feed writes: sensor units, quantised, with its defects."""
    t = truth["t_s"]
    n = len(t)
    p, th, x = truth["pressure_pa"], truth["thermometer_k"], truth["lab_fractions"]
    cols = {}
    off = rng.normal(0, 0.15, 4) * MMHG  # calibration offsets of the four gauges
    cols["LAB_P"] = _q((p[:, 0] + off[0] + rng.normal(0, 0.03 * MMHG, n)) / (101325.0 / 760.0), 0.1)
    node = p[:, 1] + off[1] + rng.normal(0, 0.001 * PSI, n)
    swap_at = rng.uniform(0.3, 0.8) * cfg.duration_s if cfg.defects else math.inf
    new = t >= swap_at  # the node gauge replaced: another offset and noise, not logged
    node[new] += rng.choice([-1, 1]) * rng.uniform(0.2, 0.5) * MMHG + rng.normal(0, 0.0015 * PSI, int(new.sum()))
    cols["NODE_P"] = _q(node / PSI, 0.002)
    cols["HAB_P"] = _q((p[:, 2] + off[2] + rng.normal(0, 0.04 * MMHG, n)) / MMHG, 0.1)
    cols["PMM_P"] = _q((p[:, 3] + off[3] + rng.normal(0, 0.04 * MMHG, n)) / MMHG, 0.1)
    cols["LAB_T"] = _q(th[:, 0] - 273.15 + rng.normal(0, 0.03, n), 0.1)
    cols["HAB_T"] = _q(th[:, 2] - 273.15 + rng.normal(0, 0.03, n), 0.1)
    mca = (np.arange(n) % max(int(round(60.0 / cfg.cadence_s)), 1)) == 0
    for j, (name, sd) in enumerate((("LAB_PPN2", 0.6), ("LAB_PPO2", 0.4), ("LAB_PPCO2", 0.05))):
        cols[name] = np.where(mca, _q(p[:, 0] * x[:, j] / MMHG + rng.normal(0, sd, n), 0.1), np.nan)
    wide = pd.DataFrame(cols)
    times = cfg.t0_unix + t + rng.normal(0, 0.3, n)
    jump = (math.inf, 0.0)
    if cfg.defects:
        # a channel drops out for 1-3 h; the recorder's clock jumps forward 5 min once
        lost = (t >= rng.uniform(0.1, 0.8) * cfg.duration_s)
        lost &= t < t[lost][0] + rng.uniform(1, 3) * 3600 if lost.any() else lost
        wide.loc[lost, rng.choice(["HAB_P", "LAB_T", "LAB_PPN2"])] = np.nan
        jump = (rng.uniform(0.2, 0.9) * cfg.duration_s, 300.0)
        times = times + np.where(t >= jump[0], jump[1], 0.0)
    wide.insert(0, "time", np.round(times, 1))
    if cfg.defects:
        # duplicated rows (re-sent) and neighbours swapped (out of order), ~0.2 % each
        dup = rng.choice(n, size=max(n // 500, 1), replace=False)
        wide = pd.concat([wide, wide.iloc[dup]]).sort_index(kind="stable").reset_index(drop=True)
        sw = rng.choice(len(wide) - 1, size=max(n // 500, 1), replace=False)
        idx = np.arange(len(wide))
        idx[sw], idx[sw + 1] = idx[sw + 1], idx[sw]
        wide = wide.iloc[idx].reset_index(drop=True)
    ev = pd.DataFrame(sorted(log), columns=["time", "kind", "detail"])
    rec = Record(wide=wide, events=ev, truth=truth, leak_area_m2=area, clock_jump=jump)
    # the log is kept on the ground clock (true time); the recorder's clock is the one that jumped
    rec.events["time"] = cfg.t0_unix + rec.events["time"].astype(float)
    return rec
