"""A fifth telemetry generator, written blind (issue 16, session 8).

Written without reading ``hullbreach.detect`` or the other generators (independent, thirdgen, fourthgen):
only the station files, the telemetry file formats and the user docs. It shares no code with
:mod:`hullbreach.sim`; from hullbreach it uses only the station model (to know the modules, hatches and
sensors a user's file would carry). Output: the files a user hands to ``hullbreach detect`` (long CSV in
the sensors' own units, events CSV), plus the truth for scoring.

Physics (SI inside; per module i):

* **Gas.** Moles of N2, O2, CO2, H2O per module; ideal gas p_i = n_i R T_i / V_i. Modules joined by open
  hatches share one pressure (the acoustic time of a module is milliseconds): after every step the zone's
  moles are redistributed so that n_i ∝ V_i / T_i; the gas that moves carries the composition of the
  modules it leaves (one pooled mixture). Inter-module ventilation (IMV, 0.07 m^3/s each way through an open
  hatch; ISS IMV fans deliver about 140 ft^3/min, NASA ISS ECLSS overview, Wieland 1998, NASA/TM-1998-206956)
  mixes composition and heat between neighbours.
* **Leak.** Choked isentropic orifice to vacuum, m_dot = C_d A p sqrt(gamma / (R T)) (2/(gamma+1))^((gamma+1)
  / (2 (gamma-1))) (Anderson, *Modern Compressible Flow*, 3rd ed., eq. 5.21; White, *Fluid Mechanics*,
  eq. 9.46), gas of the module's composition. The leak also cools its module's gas by m_dot R T / (m c_v)
  (energy balance of a rigid volume losing gas at its enthalpy).
* **Hatch equalization.** A closed hatch is reopened after its manual pressure equalization valve (MPEV,
  assumed C_d A = 2e-5 m^2: the project's assumed valve, docs/stations.md) has brought the difference
  under 0.2 mmHg; valve flow is the compressible orifice formula (subsonic branch, incompressible limit
  m_dot = C_d A sqrt(2 rho dp) close to equality), never past equality within a step.
* **Crew.** O2 use 0.82, CO2 1.04, water vapour 1.9 kg per crew member per day on average, scaled by activity
  (sleep 0.7, work 1.0, exercise 3.0; sensible heat 70 / 100 / 350 W) (NASA/TP-2015-218570, *Life Support
  Baseline Values and Assumptions Document*, Anderson et al. 2015, nominal crew member metabolic values).
  Crew members sleep in their segment's quarters, move between work modules every 0.5-2 h and exercise twice
  a day for an hour (node3 / zvezda on the ISS).
* **O2 supply.** An oxygen generator (node3 on the USOS, zvezda on the RS; or the first module) at a constant
  commanded rate close to the crew's use (the ground trims it), plus tank represses of O2 when the measured
  station ppO2 falls under 155 mmHg and planned air/N2 represses; each logged in the events file with a
  probability (``log_repress``).
* **CO2 removal.** A swing-bed unit (destiny: CDRA; zvezda: Vozdukh; or the first module) removes CO2 at a
  rate proportional to ppCO2; at each bed switch (every 144 min, the CDRA half cycle) the bed's void air that
  the air-save pump does not recover is lost to space when the unit vents (``co2_vents``).
* **Humidity.** The cabin heat exchanger condenses water when the air's vapour pressure exceeds the
  saturation pressure at its 4 C coil (Tetens 1930 / Murray 1967 saturation formula).
* **Heat.** Per module a gas node (c_v m) and a structure node (walls, racks, equipment; 15-25 kJ/K per m^3
  of module), coupled by h A (3 W/m^2/K on twice a cylinder's shell area, 2 x 6 V^(2/3)); the structure is cooled by cold plates on a
  coolant loop (one per segment) whose temperature follows ground-commanded set-point steps (+-0.2-0.6 K a
  few times a day) and the radiators' orbital ripple; air heat loads (equipment, crew, laptops, exercise);
  external orbital heating of the structure at each module's own phase and amplitude (92.7 min) and a
  daily cycle of equipment use. Modules with a cabin air assembly (the larger ones) remove air heat through a
  PI-controlled bypass on their OWN control thermistor (its own bias), not on the telemetry thermometer.
  Gas temperature is not uniform: the volume mean differs from the air at a thermometer by a stratification
  term proportional to the module's air heat load over its mixing conductance, with a per-sensor sign.

Nuisance (different in kind from an OU offset): physically driven and intermittent. Set-point steps of
the coolant loops (common to a segment), random-telegraph equipment loads (freezers cycling), laptops
parked near a thermometer (its reading +0.2-0.6 K for 1-4 h, the gas barely), exercise sessions (300-500 W
into one module for an hour), crew moving, O2 and water vapour from crew and supply, CO2 removal venting,
hatch operations (logged with probability ``log_hatch``), telemetry dropouts (per channel and common
loss-of-signal), irregular timestamps.

Sensors: pressure (calibration offset, linear ageing drift plus random walk, temperature coefficient on the
structure's temperature, white noise from 0.4x to 1.2x the declared noise, quantized at the declared
resolution); thermometers (first-order lag 30-300 s, self-heating 0.05-0.4 K rising when the local airflow
stops, placement bias toward the structure's temperature, quantized); mass-spectrometer partial pressures
(gain drift, noise, quantized, calibration pauses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

R_U = 8.314462618  # J/mol/K, CODATA 2018
MMHG_PA = 101325.0 / 760.0  # Pa per mmHg (NIST SP 811)
# species: N2, O2, CO2, H2O; molar masses [kg/mol]
SPECIES = ("n2", "o2", "co2", "h2o")
M_KG = np.array([0.0280134, 0.0319988, 0.0440095, 0.0180153])
CV_MOLAR = np.array([2.5, 2.5, 3.4, 3.04]) * R_U  # J/mol/K near 295 K (diatomic 5/2 R; CO2, H2O ~ NIST)
GAMMA_AIR = 1.4

KG_PER_DAY = 1.0 / 86400.0
O2_KG_DAY = 0.82  # BVAD 2015 nominal crew member
CO2_KG_DAY = 1.04
H2O_KG_DAY = 1.9
ACTIVITY = {"sleep": (0.7, 70.0), "work": (1.0, 100.0), "exercise": (3.0, 350.0)}  # (metabolic x, sensible W)
IMV_M3_S = 0.07
MPEV_CDA_M2 = 2e-5
CDRA_HALF_CYCLE_S = 144 * 60.0
ORBIT_S = 92.7 * 60.0
COIL_K = 277.15
SPINUP_S = 4 * 3600.0


def p_sat_pa(t_k):
    """Saturation vapour pressure of water [Pa] at ``t_k`` [K] (Tetens 1930, Murray 1967 coefficients)."""
    tc = np.asarray(t_k) - 273.15
    return 610.78 * np.exp(17.27 * tc / (tc + 237.3))


def choked_mass_flow(cda_m2: float, p_pa, t_k, r_specific, gamma: float = GAMMA_AIR):
    """Choked isentropic mass flow [kg/s] through an orifice of C_d A [m^2] from stagnation p [Pa], T [K]
    into vacuum (Anderson, Modern Compressible Flow, eq. 5.21). ``r_specific`` [J/kg/K]."""
    crit = (2.0 / (gamma + 1.0)) ** ((gamma + 1.0) / (2.0 * (gamma - 1.0)))
    return cda_m2 * p_pa * np.sqrt(gamma / (r_specific * t_k)) * crit


def orifice_mass_flow(cda_m2: float, p_up, p_down, t_up, r_specific, gamma: float = GAMMA_AIR):
    """Mass flow [kg/s] through an orifice C_d A [m^2] from p_up to p_down [Pa] (isentropic; choked below
    the critical ratio, incompressible limit sqrt(2 rho dp) when the ratio exceeds 0.999)."""
    r = p_down / p_up
    crit_r = (2.0 / (gamma + 1.0)) ** (gamma / (gamma - 1.0))
    if r <= crit_r:
        return choked_mass_flow(cda_m2, p_up, t_up, r_specific, gamma)
    rho = p_up / (r_specific * t_up)
    if r > 0.999:
        return cda_m2 * math.sqrt(2.0 * rho * (p_up - p_down))
    term = 2.0 * gamma / (gamma - 1.0) * (r ** (2.0 / gamma) - r ** ((gamma + 1.0) / gamma))
    return cda_m2 * p_up * math.sqrt(term / (r_specific * t_up))


@dataclass(frozen=True)
class Leak:
    """A hole opening at ``start_s`` in ``module``, sized so that its zone at onset loses
    ``rate_mmhg_h`` [mmHg/h] (effective area = C_d A, fixed after onset)."""

    module: str
    start_s: float
    rate_mmhg_h: float


@dataclass(frozen=True)
class HatchOp:
    """A hatch closed at ``close_s`` and reopened at ``open_s`` [s from start]; inf = stays closed.
    ``logged``: the operation is written to the events file."""

    hatch: str
    close_s: float
    open_s: float = math.inf
    logged: bool = True


@dataclass(frozen=True)
class Repress:
    """A planned repress of ``kg`` of ``gas`` (air, o2, n2) into ``module`` at ``time_s``."""

    time_s: float
    module: str
    kg: float
    gas: str = "air"
    logged: bool = True


@dataclass(frozen=True)
class Config:
    """One record. Durations [s]; nuisance scales are multipliers of the physical defaults."""

    duration_s: float = 24 * 3600.0
    dt_s: float = 5.0
    spinup_s: float = SPINUP_S  # simulated before the record starts (equilibrium), not written
    start_utc: str = "2026-03-14T00:00:00Z"
    crew: int = 3
    leaks: tuple[Leak, ...] = ()
    hatch_ops: tuple[HatchOp, ...] = ()
    represses: tuple[Repress, ...] = ()
    random_hatch_ops: int = 0  # extra hatch closures drawn at random (each 1-8 h)
    log_hatch: float = 0.85  # probability a random hatch operation is logged
    log_repress: float = 0.7  # probability an automatic O2 repress is logged
    co2_vents: bool = True
    heat_scale: float = 1.0  # scales intermittent loads, set-point steps, stratification
    thermo_scale: float = 1.0  # scales thermometer self-heating, placement bias, plumes
    background_kg_day: float = 0.08  # structural background leakage per 1000 m^3 of station [kg/day]
    cadence_s: dict = field(default_factory=lambda: {"pressure": 10.0, "temperature": 30.0, "pp": 60.0})
    dropouts: bool = True
    laptops: tuple = ()  # extra (module, start_s, duration_s, dK at its thermometer) beside the random ones


@dataclass
class Record:
    """Generated telemetry (long table in sensor units), events, and truth."""

    telemetry: pd.DataFrame  # time (str ISO), channel, value (str)
    events: pd.DataFrame  # time, kind, detail
    truth: pd.DataFrame  # per 60 s: time_s, plus per module p_pa, t_gas_k; leak_kg_s; leak zone volume
    leaks: list[dict]  # per leak: module, start_s, cda_m2, hole_d_m
    start_ns: int
    config: Config

    def write(self, out_dir: str | Path) -> tuple[Path, Path]:
        """Write ``telemetry.csv`` and ``events.csv`` as a user would hand them to ``hullbreach detect``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tp, ep = out / "telemetry.csv", out / "events.csv"
        with open(tp, "w") as f:
            f.write("time,channel,value\n")
            f.write("\n".join(self.telemetry["time"] + "," + self.telemetry["channel"] + ","
                              + self.telemetry["value"]))
            f.write("\n")
        with open(ep, "w") as f:
            f.write("time,kind,detail\n")
            for r in self.events.itertuples():
                f.write(f"{r.time},{r.kind},{r.detail}\n")
        return tp, ep


# ----------------------------------------------------------------------------------------------------
# station layout helpers


def _segment_of(mod) -> str:
    return mod.segment if mod.segment in ("usos", "rs") else "vehicle"


def _zones(ids: list[str], edges: list[tuple[int, int]]) -> np.ndarray:
    """Zone label per module from the open hatches (connected components of the module graph)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(ids)
    a = np.array([e[0] for e in edges], int)
    b = np.array([e[1] for e in edges], int)
    g = coo_matrix((np.ones(len(edges)), (a, b)), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _pick(ids, prefer, fallback_idx=0):
    for p in prefer:
        if p in ids:
            return ids.index(p)
    return fallback_idx


def _iso(ns: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC text with milliseconds and Z."""
    s = pd.to_datetime(ns, utc=True).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return np.array([x[:-3] + "Z" for x in s], dtype=object)


# ----------------------------------------------------------------------------------------------------


def generate(station, cfg: Config, seed: int = 0) -> Record:
    """Simulate ``cfg.duration_s`` of ``station`` (a :class:`hullbreach.station.Station`) and sample its
    sensors. Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    ids = list(station.modules)
    nm = len(ids)
    mods = [station.modules[i] for i in ids]
    V = np.array([m.volume_m3 for m in mods], float)
    seg = [_segment_of(m) for m in mods]
    hatches = list(station.hatches.values())
    h_idx = [(ids.index(h.modules[0]), ids.index(h.modules[1])) for h in hatches]
    h_open0 = np.array([h.state == "open" for h in hatches])
    hid = [h.id for h in hatches]
    HA = np.array([a for a, _ in h_idx], int)
    HB = np.array([b for _, b in h_idx], int)

    dt = cfg.dt_s
    # the record starts after a spin-up (SPINUP_S) from a uniform cabin, so that every module begins in its own
    # thermal and composition equilibrium (a real station has no start-up transient when its telemetry begins)
    n_spin = int(round(cfg.spinup_s / dt))
    nstep = int(round(cfg.duration_s / dt)) + 1 + n_spin
    t_grid = (np.arange(nstep) - n_spin) * dt
    start_ns = int(pd.Timestamp(cfg.start_utc).value)
    tod0 = (start_ns / 1e9) % 86400.0  # UTC time of day at start [s]

    # ---------------- thermal parameters per module
    T_set = 295.15 + rng.normal(0.0, 0.6)  # crew-selected cabin set point
    C_w = V * rng.uniform(15e3, 25e3, nm)  # J/K structure + racks
    # gas-structure: h 3 W/m^2/K on the shell (a cylinder's ~6 V^(2/3)) and as much again of racks and equipment
    UA = 3.0 * 2.0 * 6.0 * V ** (2.0 / 3.0) * rng.uniform(0.8, 1.2, nm)  # W/K
    K_cold = V * rng.uniform(2.0, 4.0, nm)  # W/K structure to coolant
    q_equip_air = V * rng.uniform(2.0, 6.0, nm)  # W base air heat load
    q_equip_wall = V * rng.uniform(10.0, 25.0, nm)  # W to structure (cold-plated racks)
    orb_amp = V * rng.uniform(0.5, 3.0, nm)  # W external orbital heating amplitude (through MLI)
    orb_phase = rng.uniform(0, 2 * np.pi, nm)
    day_amp = rng.uniform(0.1, 0.3, nm)  # fraction of equipment load that follows the crew day
    has_thc = V >= 40.0
    thc_G_max = np.where(has_thc, V * rng.uniform(2.5, 3.5, nm), 0.0)  # W/K through the coil, full open
    thc_bias = rng.normal(0.0, 0.3, nm)  # control thermistor bias [K]
    kp, ki = 0.6, 0.6 / 900.0  # PI on bypass fraction per K
    strat = rng.normal(0.0, 0.5, nm) * cfg.heat_scale  # sensor stratification sign/size (K per (kW / (kW/K)))
    # freezer-like cycling loads (random telegraph) in a few modules
    # (refrigerators, pumps: rack equipment, so only in rack modules, >= 40 m^3)
    cyc_w = np.where((rng.random(nm) < 0.3) & (V >= 40.0), rng.uniform(50, 200, nm), 0.0) * cfg.heat_scale
    cyc_period = rng.uniform(1200, 3600, nm)
    cyc_phase = rng.uniform(0, 1, nm)

    # coolant loops: per segment set point + commanded steps + orbital ripple
    segs = sorted(set(seg))
    cool = {}
    for s in segs:
        base = T_set - rng.uniform(4.0, 6.0)
        n_steps = rng.poisson(cfg.duration_s / 86400.0 * 3.0)
        st = np.sort(rng.uniform(0, cfg.duration_s, n_steps))
        sz = rng.choice([-1, 1], n_steps) * rng.uniform(0.2, 0.6, n_steps) * cfg.heat_scale
        lvl = base + np.concatenate([[0.0], np.cumsum(sz)])
        k = np.searchsorted(st, t_grid, side="right")
        ripple = 0.15 * np.sin(2 * np.pi * t_grid / ORBIT_S + rng.uniform(0, 2 * np.pi))
        # the loop's own response: first order, 20 min
        target = lvl[k] + ripple
        out = np.empty(nstep)
        out[0] = target[0]
        a = dt / 1200.0
        for j in range(1, nstep):
            out[j] = out[j - 1] + a * (target[j] - out[j - 1])
        cool[s] = out
    T_cool = np.stack([cool[s] for s in seg], axis=1)  # (nstep, nm)

    # ---------------- crew schedule (module index per crew member per step, activity)
    usos_q = _pick(ids, ["node2"], 0)
    rs_q = _pick(ids, ["zvezda"], usos_q)
    work = [i for i in range(nm) if V[i] >= 30 and mods[i].kind not in ("airlock",)] or list(range(nm))
    own_ex = int(rng.choice(work))  # where a station without the ISS modules keeps its exercise machines
    ex_mods = [_pick(ids, ["node3"], own_ex), _pick(ids, ["zvezda"], own_ex), _pick(ids, ["destiny"], own_ex)]
    crew_mod = np.zeros((nstep, cfg.crew), int)
    crew_act = np.zeros((nstep, cfg.crew))  # metabolic multiplier
    crew_heat = np.zeros((nstep, cfg.crew))
    tod = (tod0 + t_grid) % 86400.0
    for c in range(cfg.crew):
        quarters = rs_q if (c % 3 == 2) else usos_q
        wake = 6 * 3600 + rng.normal(0, 900)
        sleep = 21.5 * 3600 + rng.normal(0, 900)
        ex_t = [rng.uniform(8, 11) * 3600, rng.uniform(14, 18) * 3600]
        ex_m = ex_mods[c % len(ex_mods)]
        cur, next_move = rng.choice(work), 0.0
        for j in range(nstep):
            h = tod[j]
            if h < wake or h >= sleep:
                crew_mod[j, c] = quarters
                a = ACTIVITY["sleep"]
            elif any(e <= h < e + 3600 for e in ex_t):
                crew_mod[j, c] = ex_m
                a = ACTIVITY["exercise"]
            else:
                if t_grid[j] >= next_move:
                    cur = rng.choice(work)
                    next_move = t_grid[j] + rng.uniform(1800, 7200)
                crew_mod[j, c] = cur
                a = ACTIVITY["work"]
            crew_act[j, c], crew_heat[j, c] = a
    # normalise so the daily mean multiplier is 1 (BVAD figures are daily means)
    if cfg.crew:
        crew_act /= crew_act.mean()

    # ---------------- intermittent loads: laptops near thermometers, extra exercise heat
    plume = np.zeros((nstep, nm))  # K added at the thermometer only
    q_extra = np.zeros((nstep, nm))  # W into the gas
    n_lap = rng.poisson(cfg.duration_s / 86400.0 * 4.0)
    laptops = [(ids[int(rng.choice(work))], rng.uniform(0, cfg.duration_s), rng.uniform(3600, 4 * 3600),
                rng.uniform(0.2, 0.6) * cfg.thermo_scale) for _ in range(n_lap)]  # where the crew works
    for mod_id, t0, dur, dk in laptops + list(cfg.laptops):
        i = ids.index(mod_id)
        sel = (t_grid >= t0) & (t_grid < t0 + dur)
        plume[sel, i] += dk
        q_extra[sel, i] += 60.0 * cfg.heat_scale
    for j_c in range(cfg.crew):  # exercise machines' own heat (beside the crew member's)
        ex = crew_act[:, j_c] > 2.0
        np.add.at(q_extra, (np.nonzero(ex)[0], crew_mod[ex, j_c]),
                  rng.uniform(300, 500) * cfg.heat_scale)

    # ---------------- hatch operations
    ops = list(cfg.hatch_ops)
    closable = [k for k, h in enumerate(hatches) if h_open0[k]]
    for _ in range(cfg.random_hatch_ops):
        k = closable[rng.integers(len(closable))]
        t0 = rng.uniform(0.05, 0.85) * cfg.duration_s
        ops.append(HatchOp(hid[k], t0, t0 + rng.uniform(3600, 8 * 3600), bool(rng.random() < cfg.log_hatch)))
    # per step desired state: closed while close_s <= t < open_s
    want_closed = np.zeros((nstep, len(hatches)), bool)
    for op in ops:
        k = hid.index(op.hatch)
        want_closed[(t_grid >= op.close_s) & (t_grid < op.open_s), k] = True

    # ---------------- initial state
    T_g = np.full(nm, T_set) + rng.normal(0, 0.3, nm)
    T_w = T_g + rng.normal(0, 0.2, nm)
    p0 = station.nominal_pressure_pa * (1 + rng.normal(0, 0.001))
    x0 = np.array([0.0, 0.214, 0.0045, 0.0135])
    x0[0] = 1.0 - x0[1:].sum()
    n = (p0 * V / (R_U * T_g))[None, :] * x0[:, None]  # (4, nm)
    thc_int = np.zeros(nm)

    # O2 generators and CO2 removal
    o2gen = {"usos": _pick(ids, ["node3"], 0), "rs": _pick(ids, ["zvezda"], 0)}
    crew_per_seg = {"usos": cfg.crew - cfg.crew // 3, "rs": cfg.crew // 3}
    if all(_segment_of(m) != "rs" for m in mods):
        crew_per_seg = {"usos": cfg.crew, "rs": 0}
    o2_rate = {s: crew_per_seg[s] * O2_KG_DAY * KG_PER_DAY * rng.uniform(0.9, 1.1) / M_KG[1]
               for s in crew_per_seg}  # mol/s
    co2_units = [(_pick(ids, ["destiny"], 0), rng.uniform(0.006, 0.009)),
                 (_pick(ids, ["zvezda"], 0), rng.uniform(0.003, 0.005))]
    co2_units = list({u[0]: u for u in co2_units}.values())
    # bed void air the air-save pump does not recover, per half cycle and unit: 0.02-0.06 kg/day per unit,
    # so that the ISS's units and its structure stay near the 0.23 kg/day station allowance (NTRS 20110012997)
    void_loss_kg = rng.uniform(0.002, 0.006) if cfg.co2_vents else 0.0
    switch_phase = rng.uniform(0, CDRA_HALF_CYCLE_S)
    bg_cda = None

    # leaks: sized at onset
    leak_cda = [None] * len(cfg.leaks)
    leak_info = []
    represses = list(cfg.represses)
    o2_repress_next = 0.0

    hatch_state = h_open0.copy()  # physically open
    valve_active = np.zeros(len(hatches), bool)
    op_log = []  # (t, kind, detail)
    for op in ops:
        if op.logged:
            op_log.append((op.close_s, "hatch_close", op.hatch))
    rec_every = max(1, int(round(60.0 / dt)))
    truth_rows = []
    P_hist = np.empty((nstep, nm))
    Tg_hist = np.empty((nstep, nm))
    Tw_hist = np.empty((nstep, nm))
    x_hist = np.empty((nstep, 4, nm))
    leak_hist = np.zeros(nstep)
    n_initial = n.copy()
    ledger = np.zeros(4)  # moles per species added (+) or removed (-) across the boundary

    for j in range(nstep):
        t = t_grid[j]
        if j == n_spin:  # the record begins: the ledger counts from here
            n_initial = n.copy()
            ledger[:] = 0.0
        # hatch logic: close at once; reopening waits for equalization through the MPEV
        for k in np.nonzero(want_closed[j] & hatch_state)[0]:
            hatch_state[k] = False
            valve_active[k] = False
        if j == 0 or not np.array_equal(hatch_state, last_state):
            zone = _zones(ids, [h_idx[k] for k in range(len(hatches)) if hatch_state[k]])
            nz = zone.max() + 1
            last_state = hatch_state.copy()
        n_tot = n.sum(axis=0)
        P = n_tot * R_U * T_g / V
        for k in np.nonzero(~hatch_state & h_open0 & ~want_closed[j])[0]:
            a, b = h_idx[k]
            if abs(P[a] - P[b]) < 0.2 * MMHG_PA:
                hatch_state[k] = True
                valve_active[k] = False
                op = next((o for o in ops if o.hatch == hid[k] and o.open_s <= t), None)
                if op is not None and op.logged:
                    op_log.append((t, "hatch_open", hid[k]))
            else:
                valve_active[k] = True
        if not np.array_equal(hatch_state, last_state):
            zone = _zones(ids, [h_idx[k] for k in range(len(hatches)) if hatch_state[k]])
            nz = zone.max() + 1
            last_state = hatch_state.copy()

        x = n / n_tot
        M_mix = (x * M_KG[:, None]).sum(axis=0)
        r_spec = R_U / M_mix
        dn = np.zeros_like(n)
        dU = np.zeros(nm)  # J into gas

        # crew metabolism
        ci = crew_mod[j]
        for c in range(cfg.crew):
            i = ci[c]
            m_ = crew_act[j, c]
            dn[1, i] -= m_ * O2_KG_DAY * KG_PER_DAY / M_KG[1] * dt
            dn[2, i] += m_ * CO2_KG_DAY * KG_PER_DAY / M_KG[2] * dt
            dn[3, i] += m_ * (H2O_KG_DAY * KG_PER_DAY / M_KG[3]) * dt * (1.6 if m_ > 2 else 1.0)
            dU[i] += crew_heat[j, c] * dt
        # O2 generation
        for s, i in o2gen.items():
            if crew_per_seg.get(s, 0) > 0:
                dn[1, i] += o2_rate[s] * dt
        # CO2 removal and bed switches
        for i, q_m3s in co2_units:
            dn[2, i] -= 0.8 * q_m3s * n[2, i] / V[i] * dt
        if (t + switch_phase) % CDRA_HALF_CYCLE_S < dt and void_loss_kg > 0:
            for i, _ in co2_units:
                dn[:, i] -= void_loss_kg / M_mix[i] * x[:, i]
        # water condensation in the cabin air assemblies (only the bypass-open share through the coil)
        thc_f = np.clip(kp * (T_g + thc_bias - T_set) + thc_int, 0.0, 1.0) * has_thc
        thc_int = np.clip(thc_int + ki * (T_g + thc_bias - T_set) * dt, -0.5, 1.0)
        pv = x[3] * P
        cond = np.where(pv > p_sat_pa(COIL_K), thc_f * 0.08 * V / 100.0 * (pv - p_sat_pa(COIL_K)) / (R_U * T_g), 0.0)
        dn[3] -= cond * dt
        # represses
        while represses and represses[0].time_s <= t:
            r_ = represses.pop(0)
            i = ids.index(r_.module)
            comp = {"air": np.array([0.78, 0.22, 0, 0]), "o2": np.array([0, 1.0, 0, 0]),
                    "n2": np.array([1.0, 0, 0, 0])}[r_.gas]
            mol = r_.kg / (comp * M_KG).sum()
            dn[:, i] += comp * mol
            if r_.logged:
                op_log.append((t, "repress", f"module={r_.module};kg={r_.kg:.2f};gas={r_.gas}"))
        # automatic O2 repress when the station's ppO2 is low
        ppo2_main = (x[1, o2gen["usos"]] * P[o2gen["usos"]])
        if ppo2_main < 155 * MMHG_PA and t >= o2_repress_next:
            i = _pick(ids, ["quest", "destiny"], 0)
            kg = rng.uniform(0.6, 1.2)
            dn[1, i] += kg / M_KG[1]
            o2_repress_next = t + 4 * 3600
            if rng.random() < cfg.log_repress:
                op_log.append((t, "repress", f"module={ids[i]};kg={kg:.2f};gas=o2"))
        # background leakage (spread over modules by volume) and the leaks
        if bg_cda is None:
            bg_mdot = cfg.background_kg_day * KG_PER_DAY * V.sum() / 1000.0
            bg_cda = bg_mdot / choked_mass_flow(1.0, p0, T_set, 287.0) * V / V.sum()
        mdot = choked_mass_flow(bg_cda, P, T_g, r_spec)
        lk_total = 0.0
        for li, lk in enumerate(cfg.leaks):
            if t < lk.start_s:
                continue
            i = ids.index(lk.module)
            if leak_cda[li] is None:
                vz = V[zone == zone[i]].sum()
                tz = np.average(T_g[zone == zone[i]], weights=V[zone == zone[i]])
                rate_pa_s = lk.rate_mmhg_h * MMHG_PA / 3600.0
                m_needed = rate_pa_s * vz / (r_spec[i] * tz)
                leak_cda[li] = m_needed / choked_mass_flow(1.0, P[i], T_g[i], r_spec[i])
                leak_info.append({"module": lk.module, "start_s": lk.start_s, "cda_m2": leak_cda[li],
                                  "hole_d_m": math.sqrt(4 * leak_cda[li] / math.pi),
                                  "rate_mmhg_h": lk.rate_mmhg_h, "zone_volume_m3": vz})
            m_l = choked_mass_flow(leak_cda[li], P[i], T_g[i], r_spec[i])
            mdot = mdot.copy()
            mdot[i] += m_l
            lk_total += m_l
        leak_hist[j] = lk_total
        dn -= (mdot * dt / M_mix)[None, :] * x
        # leak's cooling of the gas: -mdot R T (energy of a rigid volume losing gas at its enthalpy)
        dU -= mdot * r_spec * T_g * dt

        ledger += dn.sum(axis=1)  # everything above crosses the station's boundary (or the crew's)
        # valve equalization across closed hatches being reopened
        for k in np.nonzero(valve_active)[0]:
            a, b = h_idx[k]
            up, dw = (a, b) if P[a] > P[b] else (b, a)
            m_v = orifice_mass_flow(MPEV_CDA_M2, P[up], P[dw], T_g[up], r_spec[up]) * dt
            za, zb = zone == zone[up], zone == zone[dw]
            # never past equality: moles that would equalize the two zones
            ca, cb = (V[za] / T_g[za]).sum() / R_U, (V[zb] / T_g[zb]).sum() / R_U
            dn_eq = (P[up] - P[dw]) / (1 / ca + 1 / cb)
            mol = min(m_v / M_mix[up], dn_eq)
            dn[:, up] -= mol * x[:, up]
            dn[:, dw] += mol * x[:, up]

        # IMV mixing through open hatches (composition and heat)
        oe = np.nonzero(hatch_state)[0]
        ea, eb = HA[oe], HB[oe]
        mol_ex = IMV_M3_S * dt * (n[:, ea] / V[ea] - n[:, eb] / V[eb])  # net moles a->b per species
        np.subtract.at(dn, (slice(None), ea), mol_ex)
        np.add.at(dn, (slice(None), eb), mol_ex)
        G = IMV_M3_S * p0 / (287.0 * T_set) * 1005.0  # W/K carried by the exchanged air
        dQ_mix = np.zeros(nm)
        np.add.at(dQ_mix, ea, G * (T_g[eb] - T_g[ea]))
        np.add.at(dQ_mix, eb, G * (T_g[ea] - T_g[eb]))

        n = np.maximum(n + dn, 0.0)

        # heat: gas and structure
        day = 1.0 + day_amp * np.sin(2 * np.pi * (tod[j] - 14 * 3600) / 86400.0)
        cyc = cyc_w * (((t / cyc_period + cyc_phase) % 1.0) < 0.5)
        q_air = q_equip_air * day + cyc + q_extra[j]
        q_thc = thc_f * thc_G_max * (T_g - COIL_K)
        q_ext = orb_amp * np.sin(2 * np.pi * t / ORBIT_S + orb_phase)
        C_g = (n * CV_MOLAR[:, None]).sum(axis=0)
        Tc = T_cool[j]
        dTg = (UA * (T_w - T_g) + q_air + dQ_mix - q_thc) * dt + dU
        dTw = (UA * (T_g - T_w) + q_equip_wall * day + q_ext - K_cold * (T_w - Tc)) * dt
        # semi-implicit on the stiff gas-structure coupling
        T_g = T_g + dTg / (C_g + UA * dt)
        T_w = T_w + dTw / (C_w + (UA + K_cold) * dt)

        # pressure equalization inside each zone (n_i proportional to V_i / T_i; moved gas pooled per zone)
        n_tot = n.sum(axis=0)
        w = V / T_g
        tgt = np.bincount(zone, n_tot, nz)[zone] * w / np.bincount(zone, w, nz)[zone]
        excess = n_tot - tgt
        give = np.clip(excess, 0, None)
        take = np.clip(-excess, 0, None)
        xs = n / n_tot
        gsum = np.bincount(zone, give, nz)
        pool = np.stack([np.bincount(zone, xs[k] * give, nz) for k in range(4)]) / np.maximum(gsum, 1e-300)
        n = n - xs * give + pool[:, zone] * take
        n_tot = n.sum(axis=0)
        P = n_tot * R_U * T_g / V
        P_hist[j], Tg_hist[j], Tw_hist[j] = P, T_g, T_w
        x_hist[j] = n / n_tot
        if j >= n_spin and (j - n_spin) % rec_every == 0:
            truth_rows.append((t, zone.copy()))

    # keep the record, drop the spin-up
    nstep -= n_spin
    t_grid = t_grid[n_spin:]
    P_hist, Tg_hist, Tw_hist, x_hist = P_hist[n_spin:], Tg_hist[n_spin:], Tw_hist[n_spin:], x_hist[n_spin:]
    leak_hist, plume, q_extra = leak_hist[n_spin:], plume[n_spin:], q_extra[n_spin:]

    # ---------------- sensors
    rows_t, rows_c, rows_v = [], [], []
    start_s = start_ns / 1e9
    # common loss of signal
    los = []
    if cfg.dropouts:
        for _ in range(rng.poisson(cfg.duration_s / 86400.0 * 2.0)):
            t0 = rng.uniform(0, cfg.duration_s)
            los.append((t0, t0 + rng.uniform(120, 900)))
    tel_mod = {}
    for sid, s in station.sensors.items():
        i = ids.index(s.module)
        q = s.quantity
        cad = cfg.cadence_s["pressure" if q == "pressure" else "temperature" if q == "temperature" else "pp"]
        ts = np.arange(rng.uniform(0, cad), cfg.duration_s, cad)
        ts = ts + rng.normal(0, 0.04 * cad, ts.size)
        ts = np.clip(ts, 0, cfg.duration_s - 1e-3)
        keep = np.ones(ts.size, bool)
        if cfg.dropouts:
            for a, b in los:
                keep &= ~((ts >= a) & (ts < b))
            for _ in range(rng.poisson(cfg.duration_s / 86400.0 * 1.5)):
                t0 = rng.uniform(0, cfg.duration_s)
                keep &= ~((ts >= t0) & (ts < t0 + rng.exponential(300)))
        ts = np.sort(ts[keep])
        jj = np.clip(np.round(ts / dt).astype(int), 0, nstep - 1)
        days = ts / 86400.0
        res = s.resolution
        if q == "pressure":
            sig = s.noise_std * MMHG_PA * rng.uniform(0.4, 1.2) if s.unit.lower() == "mmhg" else 0.0
            true = P_hist[jj, i]
            offset = rng.normal(0, 0.15) * MMHG_PA
            age = rng.normal(0, 0.03) * MMHG_PA * days
            walk = np.cumsum(rng.normal(0, 0.01 * MMHG_PA * math.sqrt(cad / 86400.0), ts.size))
            tco = rng.normal(0, 0.02) * MMHG_PA * (Tw_hist[jj, i] - Tw_hist[0, i])
            si = true + offset + age + walk + tco + rng.normal(0, sig, ts.size)
            val = si / MMHG_PA if s.unit.lower() in ("mmhg", "torr") else _from_si(si, s.unit)
        elif q == "temperature":
            tau = rng.uniform(30, 300)
            tg = Tg_hist[:, i]
            # stratification: volume mean vs air at the sensor ~ air heat load / mixing conductance
            local = tg + strat[i] * (q_extra[:, i] + 0.3 * q_equip_air[i]) / (UA[i] + 500.0)
            beta = rng.uniform(0.0, 0.3) * cfg.thermo_scale
            local = local + beta * (Tw_hist[:, i] - tg) + plume[:, i]
            # self-heating, larger when the module's airflow stops (no open hatch, no cabin air assembly)
            sh = rng.uniform(0.05, 0.4) * cfg.thermo_scale
            airflow_low = np.zeros(nstep, bool)
            if not has_thc[i]:
                alone = np.array([(zz == zz[i]).sum() == 1 for _, zz in truth_rows])
                airflow_low = np.repeat(alone, rec_every)[:nstep]
            local = local + sh * np.where(airflow_low, 1.8, 1.0)  # through the sensor's own lag
            a = dt / tau
            lag = np.empty(nstep)
            lag[0] = local[0]
            for k in range(1, nstep):
                lag[k] = lag[k - 1] + a * (local[k] - lag[k - 1])
            si = lag[jj] + rng.normal(0, rng.uniform(0.02, 0.08), ts.size)
            val = si - 273.15 if s.unit in ("degC", "C") else _from_si(si, s.unit)
        else:
            k = {"ppn2": 0, "ppo2": 1, "ppco2": 2, "pph2o": 3}[q]
            gain = 1 + rng.normal(0, 0.003) + np.cumsum(rng.normal(0, 0.0005 * math.sqrt(cad / 86400.0), ts.size))
            true = x_hist[jj, k, i] * P_hist[jj, i]
            sig = s.noise_std * MMHG_PA * rng.uniform(0.5, 1.1)
            si = true * gain + rng.normal(0, sig, ts.size)
            # calibration pauses of the analyser: 15 min twice a day
            keep = ((ts % 43200.0) > 900.0)
            ts, si = ts[keep], si[keep]
            val = si / MMHG_PA if s.unit.lower() in ("mmhg", "torr") else _from_si(si, s.unit)
        if res > 0:
            val = np.round(val / res) * res
        dec = max(0, int(math.ceil(-math.log10(res))) + 1) if res > 0 else 4
        ns = (start_ns + np.round(ts * 1e3).astype(np.int64) * 1_000_000)
        rows_t.append(ns)
        rows_c.append(np.full(ts.size, sid, dtype=object))
        rows_v.append(np.array([f"{v:.{dec}f}" for v in val], dtype=object))
        tel_mod[sid] = i
    ns_all = np.concatenate(rows_t)
    order = np.argsort(ns_all, kind="stable")
    tel = pd.DataFrame({"time": _iso(ns_all[order]), "channel": np.concatenate(rows_c)[order],
                        "value": np.concatenate(rows_v)[order]})
    op_log.sort(key=lambda e: e[0])
    ev = pd.DataFrame({"time": _iso(np.array([start_ns + int(e[0] * 1e9) for e in op_log], dtype=np.int64))
                       if op_log else [],
                       "kind": [e[1] for e in op_log], "detail": [e[2] for e in op_log]})
    sel = np.arange(0, nstep, rec_every)
    cols = {"time_s": t_grid[sel], "leak_kg_s": leak_hist[sel]}
    for i, mid in enumerate(ids):
        cols[f"p_pa:{mid}"] = P_hist[sel, i]
        cols[f"t_gas_k:{mid}"] = Tg_hist[sel, i]
        cols[f"ppn2_pa:{mid}"] = x_hist[sel, 0, i] * P_hist[sel, i]
        cols[f"zone:{mid}"] = np.array([zz[i] for _, zz in truth_rows][: sel.size])
    truth = pd.DataFrame(cols)
    truth.attrs["ops"] = ops
    truth.attrs["moles_initial"] = n_initial.sum(axis=1)
    truth.attrs["moles_final"] = n.sum(axis=1)
    truth.attrs["moles_exchanged"] = ledger
    truth.attrs["leaked_kg"] = float(leak_hist.sum() * dt)
    return Record(tel, ev, truth, leak_info, start_ns, cfg)


def _from_si(v, unit: str):
    from hullbreach.units import from_si

    return from_si(v, unit)


def leak_pressure_rate_pa_s(record: Record, t_s: float, station) -> float:
    """The leaks' own pressure rate [Pa/s, < 0] in the first leak's zone at ``t_s`` (the truth a detector's
    rate estimates): -m_dot R T / V_zone with the zone's volume and mean gas temperature at that time."""
    tr = record.truth
    j = int(np.clip(np.searchsorted(tr["time_s"].to_numpy(), t_s), 0, len(tr) - 1))
    lk = record.leaks[0]
    ids = list(station.modules)
    zone = np.array([tr[f"zone:{m}"].iloc[j] for m in ids])
    zi = zone[ids.index(lk["module"])]
    mem = [m for m, z in zip(ids, zone) if z == zi]
    V = np.array([station.modules[m].volume_m3 for m in mem])
    T = np.array([tr[f"t_gas_k:{m}"].iloc[j] for m in mem])
    r_air = R_U / 0.02897
    return -float(tr["leak_kg_s"].iloc[j]) * r_air * np.average(T, weights=V) / V.sum()


def main(argv=None) -> None:
    """Write one record: ``python -m tests.generators.fifthgen STATION OUT_DIR --hours 24 --seed 0
    [--leak MODULE,START_H,RATE_MMHG_H] [--hatch-ops N] [--crew N] [--log-hatch P]``."""
    import argparse

    from hullbreach.station import load_station

    ap = argparse.ArgumentParser(description="fifth telemetry generator (written blind)")
    ap.add_argument("station")
    ap.add_argument("out_dir")
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--leak", default="")
    ap.add_argument("--hatch-ops", type=int, default=1)
    ap.add_argument("--crew", type=int, default=3)
    ap.add_argument("--log-hatch", type=float, default=0.85)
    a = ap.parse_args(argv)
    leaks = ()
    if a.leak:
        m, s, r = a.leak.split(",")
        leaks = (Leak(m, float(s) * 3600.0, float(r)),)
    st = load_station(a.station)
    rec = generate(st, Config(duration_s=a.hours * 3600.0, crew=a.crew, leaks=leaks, random_hatch_ops=a.hatch_ops,
                              log_hatch=a.log_hatch), seed=a.seed)
    tp, ep = rec.write(a.out_dir)
    rec.truth.to_csv(Path(a.out_dir) / "truth.csv", index=False)
    ops = [(o.hatch, round(o.close_s / 3600, 2), round(o.open_s / 3600, 2), o.logged) for o in rec.truth.attrs["ops"]]
    print(f"{tp}\n{ep}\nops (hatch, close h, open h, logged): {ops}\nleaks: {rec.leaks}")


if __name__ == "__main__":
    main()
