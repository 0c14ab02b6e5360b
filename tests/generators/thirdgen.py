"""A third telemetry generator: a 6-module "ring" station with ISS-like atmosphere control, lumped thermal
physics and real data defects — for checking hullbreach's detector on physics and noise forms it was not
tuned on.

It imports nothing from :mod:`hullbreach.sim` nor from :mod:`tests.generators.independent` (own gas law,
own thermal model, own sensor models, own event physics). It builds its station with hullbreach's
``Station`` dataclasses (input data only) so that its output is telemetry ``hullbreach detect`` reads.

What is different from the other two generators
-----------------------------------------------
* **Bulk gas temperature is not an Ornstein-Uhlenbeck process.** Per module, a lumped wall-gas model:
  the wall is heated in sunlight and not in eclipse (eclipse fraction from the beta angle [5], beta
  cycling over ~60 days [6]); the wall's first-order response (``wall_tau_s``) drives the gas through
  ``wall_to_gas``; equipment heat load changes in **steps** (power on/off, a Poisson process) and heats
  the gas with ``gas_tau_s``; the **thermometer** (at the cabin fan's inlet) sees the wall-driven part
  and most of the equipment part, but not the stratification the heat load leaves in the bulk
  (``stratification_k_per_kw``) and not the **pink (1/f) drift** of the bulk, synthesised in the
  frequency domain (Timmer & König 1995 [7]: power ∝ f^-1 between 1/(record) and 1/(10 min)), one part
  common to all modules and one per module.
* **Atmosphere control that is not a leak** [1], [2]: crew O2 use (0.82 kg/person/day) and CO2 output
  (1.04 kg/person/day) [1]; a CO2 removal assembly that adsorbs CO2 and **vents it to space** in
  half-cycles, each venting a little air with it (``cdra_air_loss_kg_per_cycle``: a real, small mass loss
  counted in the ISS background leakage [2]); an O2 generator switched on and off by a ppO2 band (ppO2
  cycles, total pressure with them); O2 and N2 represses from tanks (with or without an event in the log);
  an **airlock cycle** (hatch closed, depress pump returns the airlock's air to the station down to
  ``airlock_pump_floor_pa``, the residual vented, vacuum hold, repress from cabin air through the hatch
  valve, hatch opened) and a **visiting vehicle** at a different pressure and composition joined through
  its valve and hatch.
* **Sensor models and data defects**: pressure noise with Student-t tails (``pressure_noise_dof``) scaled to
  the declared standard deviation; quantisation (the lab gauge in hPa with 0.1 hPa steps, coarser than its
  noise); one gauge drifting linearly; a thermometer bias step (recalibration); a channel dropping out for
  hours; cadence jitter and random missing samples; ppN2/ppO2 from a mass spectrometer that visits its
  ports in turn (one port every ``ms_port_period_s``).
* **Leaks**: choked flow to vacuum [3]; isothermal, or adiabatic expansion of the cabin gas [4] with
  the gas-wall relaxation of the thermal model.

Model (SI inside)
-----------------
Species N2, O2, CO2 per module; modules joined by open hatches share pressure and composition (mass
spread as ``V_i / T_i``); ``p = sum_s m_s R_s / sum_i V_i / T_i`` [3]. Explicit integration on a fixed
``step_s`` grid (default 10 s), valve flows linear in the pressure difference with ``valve_tau_s``.
Sensors are sampled at jittered times by linear interpolation of the grid.

Usage::

    from tests.generators.thirdgen import Scenario, LeakSpec, generate, ring_station
    st = ring_station()
    run = generate(st, Scenario(duration_s=2 * 86400, seed=3,
                                leaks=(LeakSpec("lab", rate_mmhg_per_h=0.6, start_s=6 * 3600),)))
    run.raw      # time, channel, value (sensor units)  -> hullbreach.telemetry.check_samples
    run.events   # time, kind, detail (the logged operations only)
    run.truth    # dict of arrays: t_s, pressure_pa (n x modules), n2_kg, bulk_temperature_k, ...
    run.write(dir)   # telemetry.csv (long), events.csv, truth.csv

References
----------
.. [1] M. S. Anderson et al., *Life Support Baseline Values and Assumptions Document*, NASA/TP-2015-218570
   Rev 2, 2022: O2 consumption 0.82 kg/CM/day, CO2 output 1.04 kg/CM/day (nominal crew member).
.. [2] D. E. Williams, D. J. Leonard, P. J. Smith, "Determination of On-Orbit Cabin Air Loss from the ISS",
   SAE 2004-01-2597 (NTRS 20050217416): the daily cabin air loss includes structural leakage, Vozdukh and
   CDRA losses; tracked on ppN2 because O2 varies. Per-cycle CDRA loss here is an assumption of that order
   (0.2 kg/day total budget over ~10 half-cycles/day gives < 0.02 kg each).
.. [3] Ideal gas; R_s = 8.314462618 / M_s (CODATA 2018; M: N2 28.0134, O2 31.9988, CO2 44.0095 g/mol).
   Choked orifice flow to vacuum, gamma 1.4: ``mdot = Cd A p sqrt(gamma / (R T)) (2/(gamma+1))^3`` [4].
.. [4] J. D. Anderson, *Modern Compressible Flow*, 3rd ed., 2003, §5.4 (choked nozzle mass flow); rigid
   vessel discharge: ``dT/T = (gamma - 1) dm/m`` for adiabatic gas.
.. [5] S. L. Rickman, *Introduction to Orbital Mechanics and Spacecraft Attitudes for Thermal Engineers*,
   NASA TFAWS 2014: eclipse fraction ``f_e = acos(sqrt(h^2 + 2 R h) / ((R + h) cos beta)) / pi`` for
   ``|beta| < beta*``, 0 above.
.. [6] ISS: orbit ~92.7 min at ~420 km, 51.6 deg inclination; the beta angle spans about +-75 deg over a
   ~60-day cycle (NASA ISS facts and figures; J. Ahrens et al., ISS thermal environment notes).
.. [7] J. Timmer, M. König, "On generating power law noise", Astron. Astrophys. 300, 707-710, 1995.
.. [8] Quest joint airlock 34 m^3 (NASA element page); its depress pump returns most of the crewlock air
   to the cabin before the residual is vented (NASA Quest page: "without major loss of ... air").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

RU = 8.314462618
M_KG_MOL = {"n2": 0.0280134, "o2": 0.0319988, "co2": 0.0440095}
SPECIES = ("n2", "o2", "co2")
R_S = np.array([RU / M_KG_MOL[s] for s in SPECIES])  # J/(kg K)
GAMMA = 1.4
CHOKE = math.sqrt(GAMMA) * (2.0 / (GAMMA + 1.0)) ** ((GAMMA + 1.0) / (2.0 * (GAMMA - 1.0)))
MMHG_PA = 101325.0 / 760.0
HPA_PA = 100.0
EARTH_R_M = 6371.0e3
ORBIT_S = 92.68 * 60.0
DAY_S = 86400.0
_UNIT_PA = {"mmhg": MMHG_PA, "torr": MMHG_PA, "hpa": HPA_PA, "mbar": HPA_PA, "kpa": 1000.0, "pa": 1.0}


# ------------------------------------------------------------------------------------------ station
def ring_station():
    """The generator's own 6-module station (not a real spacecraft): hub 70 m^3, lab 105, hab 75, an airlock
    34 m^3 (Quest's volume [8]), an escape vehicle 10 m^3 and a visiting cargo vehicle 20 m^3 behind a closed
    hatch with a valve. Pressure gauges in mmHg (0.05 noise, 0.1 steps) except the lab's in hPa (0.02 hPa
    noise, 0.1 hPa steps: quantisation coarser than noise); thermometers in degC (0.05 / 0.1) except in the
    cargo vehicle; ppN2 / ppO2 from one mass spectrometer with ports in hub and hab (0.5 mmHg noise)."""
    from hullbreach.station import Hatch, Module, Sensor, Station

    mods = [Module("hub", 70.0, kind="node", segment="core", name="Hub"),
            Module("lab", 105.0, kind="module", segment="core", name="Lab"),
            Module("hab", 75.0, kind="module", segment="core", name="Hab"),
            Module("airlock", 34.0, kind="airlock", segment="core", name="Airlock"),
            Module("escape", 10.0, escape_vehicle=True, kind="vehicle", segment="vehicle", name="Escape vehicle"),
            Module("cargo", 20.0, kind="vehicle", segment="vehicle", name="Cargo vehicle")]
    hatches = [Hatch("hub-lab", ("hub", "lab"), "open", "lab"),
               Hatch("hub-hab", ("hub", "hab"), "open", "hab"),
               Hatch("hub-airlock", ("hub", "airlock"), "open", "airlock", valve_area_m2=2.0e-4),
               Hatch("hab-escape", ("hab", "escape"), "open", "escape", valve_area_m2=3.0e-5),
               Hatch("hab-cargo", ("hab", "cargo"), "closed", "cargo", valve_area_m2=3.0e-5)]
    sensors = []
    for m in mods:
        if m.id == "lab":
            sensors.append(Sensor("lab.p_hpa", "lab", "pressure", "hPa", 0.02, 0.1))
        else:
            sensors.append(Sensor(f"{m.id}.p", m.id, "pressure", "mmHg", 0.05, 0.1))
        if m.id != "cargo":
            sensors.append(Sensor(f"{m.id}.t", m.id, "temperature", "degC", 0.05, 0.1))
    for port in ("hub", "hab"):
        sensors.append(Sensor(f"{port}.ppn2", port, "ppn2", "mmHg", 0.5, 0.1))
        sensors.append(Sensor(f"{port}.ppo2", port, "ppo2", "mmHg", 0.5, 0.1))
    return Station(name="Third-generator ring station", evacuation_pressure_pa=69328.0,
                   modules={m.id: m for m in mods}, hatches={h.id: h for h in hatches},
                   sensors={s.id: s for s in sensors}, nominal_pressure_pa=101325.0,
                   description="6-module station of tests/generators/thirdgen.py (tests and benchmarks only)")


# ------------------------------------------------------------------------------------------ scenario
@dataclass(frozen=True)
class LeakSpec:
    """A hole to vacuum in ``module``: either its effective area Cd*A [m^2], or the rate [mmHg/h] at which it
    makes its zone (at start-up hatch states, nominal pressure and temperature) fall at onset."""

    module: str
    rate_mmhg_per_h: float | None = None
    effective_area_m2: float | None = None
    start_s: float = 0.0
    thermo: str = "isothermal"  # or "adiabatic"


@dataclass(frozen=True)
class Operation:
    """A scheduled operation. ``kind``: ``o2_repress`` / ``n2_repress`` (``kg`` over ``duration_s``, into
    ``module``), ``airlock_cycle`` (``duration_s`` = vacuum hold), ``vehicle_join`` (the cargo vehicle's
    valve opened, hatch opened ``duration_s`` later). ``logged``: whether the events file carries it."""

    kind: str
    t_s: float
    kg: float = 0.0
    duration_s: float = 1800.0
    module: str = "hub"
    logged: bool = True


@dataclass(frozen=True)
class Scenario:
    """Everything a run depends on (SI unless named). Defaults are the 'typical day' of the docstring."""

    duration_s: float = 2 * DAY_S
    seed: int = 0
    t0: str = "2025-03-01T00:00:00Z"
    step_s: float = 10.0
    cadence_s: float = 10.0
    temperature_cadence_s: float = 30.0
    jitter_s: float = 0.7
    drop_fraction: float = 0.01
    # thermal
    gas_setpoint_k: float = 295.4
    beta_deg_max: float = 70.0
    beta_period_s: float = 60 * DAY_S
    beta_phase: float | None = None
    orbit_alt_m: float = 420e3
    wall_swing_k: float = 2.0            # wall's sun/eclipse heating amplitude (before its lag)
    wall_tau_s: float = 2400.0
    wall_to_gas: float = 0.15            # steady gas response per K of wall
    gas_tau_s: float = 900.0
    equipment_rate_per_day: float = 4.0  # power on/off steps per module
    equipment_step_kw: tuple = (0.1, 0.5)
    gas_k_per_kw: float = 0.6            # steady gas warming per kW of equipment (seen by the thermometer)
    stratification_k_per_kw: float = 0.15  # bulk minus thermometer, per kW (unseen)
    stratification_tau_s: float = 3600.0
    pink_common_k: float = 0.03          # std of the unseen 1/f bulk drift, common to all modules
    pink_module_k: float = 0.02          # and per module
    pink_fmax_hz: float = 1.0 / 600.0
    pink_tau_s: float | None = None      # corner of the 1/f drift: flat below 1/(2 pi tau) (None: 1/f to 1/record)
    thermometer_lag_s: float = 300.0
    # atmosphere
    crew: int = 3
    o2_kg_per_person_day: float = 0.82   # [1]
    co2_kg_per_person_day: float = 1.04  # [1]
    crew_zone_module: str = "hub"
    cdra_half_cycle_s: float = 144 * 60.0
    cdra_air_loss_kg_per_cycle: float = 0.01
    cdra_tau_s: float = 0.5 * DAY_S      # CO2 removal time constant (ppCO2 ~ 2-3 mmHg at 3 crew)
    oga_kg_per_day: float = 4.0
    ppo2_band_mmhg: tuple = (150.0, 158.0)
    start_pressure_mmhg: float = 752.0
    start_ppo2_mmhg: float = 156.0
    start_ppco2_mmhg: float = 2.5
    cargo_pressure_mmhg: float = 738.0
    cargo_o2_fraction: float = 0.24
    airlock_pump_floor_pa: float = 13.8e3
    airlock_pump_s: float = 1800.0
    valve_tau_s: float = 300.0
    operations: tuple = ()
    leaks: tuple = ()
    # sensors and data defects
    pressure_noise_dof: float = 4.0      # Student-t tails (inf: Gaussian)
    pressure_bias_mmhg: float = 0.3      # std of each gauge's constant bias
    drift: tuple = ()                    # (channel, start_s, Pa/day)
    thermometer_steps: tuple = ()        # (channel, t_s, K)
    dropouts: tuple = ()                 # (channel, t_s, duration_s)
    ms_port_period_s: float = 120.0      # mass spectrometer dwell per port


@dataclass
class Run:
    """A generated record: raw telemetry (sensor units), the logged events and the truth."""

    raw: pd.DataFrame
    events: pd.DataFrame
    truth: dict
    station: object
    scenario: Scenario
    leak_areas_m2: tuple = field(default_factory=tuple)

    def frame(self):
        """The raw table through hullbreach's data checks (as its readers do)."""
        from hullbreach.telemetry import check_samples
        return check_samples(self.raw, self.station, strict=False, source="<thirdgen>")

    def write(self, out_dir) -> dict:
        """``telemetry.csv`` (long, ISO 8601 Z, sensor units), ``events.csv`` (``time,kind,detail``),
        ``truth.csv`` (module pressures [Pa] on the grid); returns the paths. Written with pandas (microsecond
        times), not with ``hullbreach.telemetry.write_long_csv``, on purpose: hullbreach's reader then meets files
        its own writer did not make."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        raw = self.raw.copy()
        raw["time"] = raw["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        paths = {"telemetry": out / "telemetry.csv", "events": out / "events.csv", "truth": out / "truth.csv"}
        raw.to_csv(paths["telemetry"], index=False)
        ev = self.events.copy()
        ev["time"] = ev["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ev.to_csv(paths["events"], index=False)
        tr = pd.DataFrame(self.truth["pressure_pa"], columns=self.truth["modules"])
        tr.insert(0, "time", (pd.Timestamp(self.scenario.t0) + pd.to_timedelta(self.truth["t_s"], unit="s"))
                  .strftime("%Y-%m-%dT%H:%M:%SZ"))
        tr.to_csv(paths["truth"], index=False)
        return paths


# ------------------------------------------------------------------------------------------ physics
def eclipse_fraction(beta_rad, alt_m: float = 420e3):
    """Fraction of an orbit in Earth's shadow for beta angle ``beta_rad`` [rad] at altitude ``alt_m`` [m]
    (cylindrical shadow; Rickman 2014 [5]). 0 above beta* = asin(R / (R + h))."""
    r = EARTH_R_M
    c = math.sqrt(alt_m ** 2 + 2 * r * alt_m) / ((r + alt_m) * np.cos(beta_rad))
    return np.where(np.abs(c) < 1.0, np.arccos(np.clip(c, -1.0, 1.0)) / math.pi, 0.0)


def pink_noise(n: int, dt_s: float, std: float, fmax_hz: float, rng, tau_s: float | None = None) -> np.ndarray:
    """1/f noise of standard deviation ``std`` on ``n`` samples ``dt_s`` apart, power ∝ 1/f from 1/(n dt) to
    ``fmax_hz`` and 0 above (Timmer & König 1995 [7]: Gaussian real and imaginary parts per frequency).

    ``tau_s``: the spectrum is flat below the corner ``1 / (2 pi tau_s)`` (a band-limited 1/f process, the sum of
    relaxations with time constants up to ``tau_s``: its correlation time is of order ``tau_s``, the sweep
    variable of issue 16's OU nuisance); None: 1/f down to the record's lowest frequency."""
    if std <= 0 or n < 4:
        return np.zeros(n)
    m = 2 * n
    f = np.fft.rfftfreq(m, dt_s)
    amp = np.zeros_like(f)
    ok = (f > 0) & (f <= fmax_hz)
    amp[ok] = 1.0 / np.sqrt(f[ok] if tau_s is None else np.maximum(f[ok], 1.0 / (2.0 * math.pi * tau_s)))
    spec = amp * (rng.standard_normal(len(f)) + 1j * rng.standard_normal(len(f)))
    x = np.fft.irfft(spec, m)[:n]
    s = x.std()
    return x * (std / s) if s > 0 else x


def lowpass(x: np.ndarray, dt_s: float, tau_s: float, x0: float | None = None) -> np.ndarray:
    """First-order lag ``tau dy/dt = x - y`` (exact for a piecewise-constant input), y(0) = ``x0`` or x[0]."""
    from scipy.signal import lfilter
    a = math.exp(-dt_s / tau_s)
    y0 = x[0] if x0 is None else x0
    y, _ = lfilter([1 - a], [1, -a], x, zi=[a * y0])
    return y


def choked_flow(area_m2, p_pa, t_k, r_gas):
    """Choked mass flow to vacuum [kg/s] [4]."""
    return area_m2 * p_pa * CHOKE / np.sqrt(r_gas * t_k)


# ------------------------------------------------------------------------------------------ generator
def _zones(station, closed):
    mods = list(station.modules)
    lab = {m: i for i, m in enumerate(mods)}
    comp = list(range(len(mods)))

    def f(i):
        while comp[i] != i:
            i = comp[i]
        return i
    for h in station.hatches.values():
        if h.id not in closed:
            a, b = f(lab[h.modules[0]]), f(lab[h.modules[1]])
            comp[max(a, b)] = min(a, b)
    return np.array([f(i) for i in range(len(mods))])


def _temperatures(st, sc: Scenario, t: np.ndarray, rng):
    """Bulk gas [K] and thermometer-true [K] temperature per module on the grid (n x modules)."""
    mods = list(st.modules)
    n, nm = len(t), len(mods)
    dt = sc.step_s
    phase = rng.uniform(0, 2 * math.pi) if sc.beta_phase is None else sc.beta_phase
    beta = np.deg2rad(sc.beta_deg_max) * np.sin(2 * math.pi * t / sc.beta_period_s + phase)
    fe = eclipse_fraction(beta, sc.orbit_alt_m)
    orbit_pos = (t / ORBIT_S) % 1.0
    sun = (orbit_pos >= fe).astype(float)  # eclipse at the start of each orbit
    bulk = np.empty((n, nm))
    seen = np.empty((n, nm))
    common_pink = pink_noise(n, dt, sc.pink_common_k, sc.pink_fmax_hz, rng, sc.pink_tau_s)
    for i, _m in enumerate(mods):
        lag = rng.uniform(0.5, 1.5)
        heat = np.roll(sun, int(rng.uniform(0, ORBIT_S / 4) / dt))  # each module's own attitude/shading
        wall = lowpass(sc.wall_swing_k * (heat - heat.mean()), dt, sc.wall_tau_s * lag)
        k_steps = rng.poisson(sc.equipment_rate_per_day * t[-1] / DAY_S) if n > 1 else 0
        q = np.zeros(n)
        level = rng.uniform(0.2, 1.0)
        q[:] = level
        for ts in np.sort(rng.uniform(0, t[-1], k_steps)):
            dq = rng.uniform(*sc.equipment_step_kw) * rng.choice((-1.0, 1.0))
            level = min(max(level + dq, 0.0), 2.0)
            q[t >= ts] = level
        gas_eq = lowpass(sc.wall_to_gas * wall + sc.gas_k_per_kw * (q - q[0]), dt, sc.gas_tau_s, 0.0)
        strat = lowpass(sc.stratification_k_per_kw * (q - q[0]), dt, sc.stratification_tau_s, 0.0)
        pink = common_pink + pink_noise(n, dt, sc.pink_module_k, sc.pink_fmax_hz, rng, sc.pink_tau_s)
        off = rng.normal(0.0, 0.4)
        seen[:, i] = sc.gas_setpoint_k + off + gas_eq
        bulk[:, i] = seen[:, i] + strat + pink
    return bulk, seen


def generate(station, sc: Scenario) -> Run:
    """One record of ``sc.duration_s`` from start-up (see the module docstring)."""
    rng = np.random.default_rng(sc.seed)
    mods = list(station.modules)
    nm = len(mods)
    mi = {m: i for i, m in enumerate(mods)}
    vol = np.array([station.modules[m].volume_m3 for m in mods])
    n = int(round(sc.duration_s / sc.step_s)) + 1
    t = np.arange(n) * sc.step_s
    bulk, seen = _temperatures(station, sc, t, rng)

    # ---- schedule of topology and flows from the operations
    closed = {h.id for h in station.hatches.values() if h.state == "closed"}
    topo = []  # (t_s, hatch, "close"/"open"/"valve_open"/"valve_close")
    adds = []  # (t0, t1, module, species index or "air_from_zone", kg)
    vents = []  # (t0, t1, module) airlock residual vent
    pumps = []  # (t0, t1, from_module, to_module, floor_pa)
    ev_rows = []
    for op in sc.operations:
        if op.kind in ("o2_repress", "n2_repress"):
            adds.append((op.t_s, op.t_s + op.duration_s, op.module, 1 if op.kind == "o2_repress" else 0, op.kg))
            if op.logged:
                ev_rows.append((op.t_s, "repress", f"module={op.module};kg={op.kg:.2f};gas={op.kind[:2]}"))
        elif op.kind == "airlock_cycle":
            t1 = op.t_s
            topo.append((t1, "hub-airlock", "close"))
            pumps.append((t1 + 300.0, t1 + 300.0 + sc.airlock_pump_s, "airlock", "hub", sc.airlock_pump_floor_pa))
            tv = t1 + 300.0 + sc.airlock_pump_s
            vents.append((tv, tv + 300.0, "airlock"))
            tr = tv + 300.0 + op.duration_s
            topo.append((tr, "hub-airlock", "valve_open"))
            topo.append((tr + 4 * sc.valve_tau_s, "hub-airlock", "open"))
            topo.append((tr + 4 * sc.valve_tau_s, "hub-airlock", "valve_close"))
            if op.logged:
                ev_rows += [(t1, "hatch_close", "hub-airlock"), (t1 + 300.0, "airlock_depress", "airlock"),
                            (tr, "airlock_repress", "airlock"), (tr + 4 * sc.valve_tau_s, "hatch_open", "hub-airlock")]
        elif op.kind == "vehicle_join":
            topo.append((op.t_s, "hab-cargo", "valve_open"))
            topo.append((op.t_s + op.duration_s, "hab-cargo", "open"))
            topo.append((op.t_s + op.duration_s, "hab-cargo", "valve_close"))
            if op.logged:
                ev_rows += [(op.t_s, "valve_open", "hab-cargo"), (op.t_s + op.duration_s, "hatch_open", "hab-cargo"),
                            (op.t_s + op.duration_s, "valve_close", "hab-cargo")]
        else:
            raise ValueError(f"thirdgen: unknown operation {op.kind!r}")
    topo.sort(key=lambda r: r[0])

    # ---- initial state: composition per module
    comp0 = _composition(sc.start_pressure_mmhg * MMHG_PA, sc.start_ppo2_mmhg * MMHG_PA, sc.start_ppco2_mmhg * MMHG_PA)
    mass = np.zeros((nm, 3))
    for i, m in enumerate(mods):
        if m == "cargo":
            p = sc.cargo_pressure_mmhg * MMHG_PA
            c = _composition(p, sc.cargo_o2_fraction * p, 0.0)
        else:
            c = comp0
        mass[i] = c * vol[i] / bulk[0, i]  # c = partial pressure / R_s  -> m = pp V / (R_s T)

    # leaks: area from rate at start-up zones
    zone0 = _zones(station, closed)
    areas = []
    for lk in sc.leaks:
        if lk.effective_area_m2 is not None:
            areas.append(lk.effective_area_m2)
            continue
        z = zone0 == zone0[mi[lk.module]]
        v = vol[z].sum()
        r_mix = float((mass[mi[lk.module]] * R_S).sum() / mass[mi[lk.module]].sum())
        p = sc.start_pressure_mmhg * MMHG_PA
        tk = sc.gas_setpoint_k
        rate = lk.rate_mmhg_per_h * MMHG_PA / 3600.0
        areas.append(rate * v / (p * CHOKE * math.sqrt(r_mix * tk)))
    areas = np.array(areas)
    deficit = np.zeros(nm)  # adiabatic cooling of the gas below the thermal model [K]

    # ---- records
    p_rec = np.empty((n, nm))
    t_rec = np.empty((n, nm))
    m_rec = np.empty((n, nm, 3))
    vented_leak = np.zeros(len(sc.leaks))
    crew_i = mi[sc.crew_zone_module]
    oga_on = False
    cdra_next = sc.cdra_half_cycle_s
    ti = 0
    zone = zone0.copy()
    valves = set()
    dt = sc.step_s
    for k in range(n):
        tk_s = t[k]
        changed = False
        while ti < len(topo) and topo[ti][0] <= tk_s:
            _, h, what = topo[ti]
            if what == "close":
                closed.add(h)
            elif what == "open":
                closed.discard(h)
            elif what == "valve_open":
                valves.add(h)
            else:
                valves.discard(h)
            ti += 1
            changed = True
        if changed:
            zone = _zones(station, closed)
        temp = bulk[k] - deficit
        # equalise each zone (pressure and composition shared; mass as V/T)
        w = vol / temp
        for z in np.unique(zone):
            idx = np.nonzero(zone == z)[0]
            if len(idx) > 1:
                tot = mass[idx].sum(axis=0)
                mass[idx] = np.outer(w[idx] / w[idx].sum(), tot)
        p = (mass * R_S).sum(axis=1) * temp / vol
        p_rec[k] = p
        t_rec[k] = temp
        m_rec[k] = mass
        if k == n - 1:
            break
        dm = np.zeros((nm, 3))
        # crew metabolism in the crew zone (spread over it): O2 used, CO2 produced
        cz = np.nonzero(zone == zone[crew_i])[0]
        frac = w[cz] / w[cz].sum()
        dm[cz, 1] -= sc.crew * sc.o2_kg_per_person_day / DAY_S * dt * frac
        dm[cz, 2] += sc.crew * sc.co2_kg_per_person_day / DAY_S * dt * frac
        # CO2 removal (adsorbed, vented to space); air lost each half-cycle
        dm[cz, 2] -= mass[cz, 2] * dt / sc.cdra_tau_s
        if tk_s >= cdra_next:
            cdra_next += sc.cdra_half_cycle_s
            air = mass[cz, :2].sum(axis=0)
            dm[cz, :2] -= np.outer(frac, sc.cdra_air_loss_kg_per_cycle * air / air.sum())
        # O2 generator on a ppO2 band (measured in the crew module)
        ppo2 = mass[crew_i, 1] * R_S[1] * temp[crew_i] / vol[crew_i] / MMHG_PA
        if ppo2 < sc.ppo2_band_mmhg[0]:
            oga_on = True
        elif ppo2 > sc.ppo2_band_mmhg[1]:
            oga_on = False
        if oga_on:
            dm[cz, 1] += sc.oga_kg_per_day / DAY_S * dt * frac
        # tank represses
        for a0, a1, mod, s, kg in adds:
            if a0 <= tk_s < a1:
                dm[mi[mod], s] += kg * dt / (a1 - a0)
        # airlock pump: airlock air returned to the cabin down to the floor pressure
        for a0, a1, src, dst, floor in pumps:
            if a0 <= tk_s < a1 and p[mi[src]] > floor:
                take = mass[mi[src]] * min(1.0, dt / max(a1 - tk_s, dt)) * (1.0 - floor / p[mi[src]])
                dm[mi[src]] -= take
                dm[mi[dst]] += take
        for a0, a1, mod in vents:
            if a0 <= tk_s < a1:
                dm[mi[mod]] -= mass[mi[mod]] * min(1.0, dt / max(a1 - tk_s, dt))
        # valves across closed hatches: linear in the pressure difference (time constant valve_tau_s)
        for h in valves:
            if h not in closed:
                continue
            a, b = (mi[x] for x in station.hatches[h].modules)
            za, zb = zone == zone[a], zone == zone[b]
            cap = 1.0 / (1.0 / (vol[za] / temp[za]).sum() + 1.0 / (vol[zb] / temp[zb]).sum())  # [m^3/K]
            dp = p[a] - p[b]
            src = a if dp > 0 else b
            dst = b if dp > 0 else a
            molar = abs(dp) * cap * (1.0 - math.exp(-dt / sc.valve_tau_s))  # p V/T moved [Pa m^3/K]
            fr = mass[src] * R_S / (mass[src] * R_S).sum()  # fraction of p per species
            moved = molar * fr / R_S
            dm[src] -= moved
            dm[dst] += moved
        # leaks: choked flow of the mixture, species in proportion
        for j, lk in enumerate(sc.leaks):
            if tk_s < lk.start_s:
                continue
            i = mi[lk.module]
            r_mix = float((mass[i] * R_S).sum() / mass[i].sum())
            mdot = float(choked_flow(areas[j], p[i], temp[i], r_mix))
            out = mdot * dt * mass[i] / mass[i].sum()
            zi = np.nonzero(zone == zone[i])[0]
            dm[i] -= out
            vented_leak[j] += mdot * dt
            if lk.thermo == "adiabatic":
                mz = mass[zi].sum()
                deficit[zi] += (GAMMA - 1.0) * temp[zi] * mdot * dt / mz
        deficit *= math.exp(-dt / sc.wall_tau_s * 4.0)  # gas-wall relaxation (gas_tau-scale)
        mass = np.maximum(mass + dm, 0.0)

    truth = dict(t_s=t, modules=mods, pressure_pa=p_rec, bulk_temperature_k=t_rec, seen_temperature_k=seen,
                 n2_kg=m_rec[:, :, 0], mass_kg=m_rec.sum(axis=2), leak_areas_m2=areas, vented_leak_kg=vented_leak)
    raw = _sensors(station, sc, t, p_rec, seen, m_rec, vol, t_rec, rng)
    events = pd.DataFrame({"time": pd.Timestamp(sc.t0) + pd.to_timedelta([r[0] for r in ev_rows], unit="s"),
                           "kind": [r[1] for r in ev_rows], "detail": [r[2] for r in ev_rows]})
    events = events.sort_values("time", kind="stable").reset_index(drop=True)
    return Run(raw=raw, events=events, truth=truth, station=station, scenario=sc, leak_areas_m2=tuple(areas))


def _composition(p_pa, ppo2_pa, ppco2_pa):
    """Per-species ``pp / R_s`` [kg K / m^3] of a gas at total ``p_pa`` with the given ppO2/ppCO2 (rest N2)."""
    pp = np.array([p_pa - ppo2_pa - ppco2_pa, ppo2_pa, ppco2_pa])
    return pp / R_S


def _sample_times(sc: Scenario, cadence: float, n_end: float, rng):
    ts = np.arange(rng.uniform(0, cadence), n_end, cadence)
    ts = ts + rng.normal(0.0, sc.jitter_s, len(ts))
    ts = np.clip(ts, 0.0, n_end)
    keep = rng.random(len(ts)) >= sc.drop_fraction
    return np.sort(ts[keep])


def _sensors(station, sc: Scenario, t, p_rec, seen, m_rec, vol, temp, rng) -> pd.DataFrame:
    mods = list(station.modules)
    mi = {m: i for i, m in enumerate(mods)}
    end = t[-1]
    frames = []
    # mass spectrometer port schedule
    ports = sorted({s.module for s in station.sensors.values() if s.quantity in ("ppn2", "ppo2")})
    for s in station.sensors.values():
        i = mi[s.module]
        if s.quantity == "pressure":
            ts = _sample_times(sc, sc.cadence_s, end, rng)
            f = _UNIT_PA[s.unit.lower()]
            val = np.interp(ts, t, p_rec[:, i])
            val = val + rng.normal(0.0, sc.pressure_bias_mmhg) * MMHG_PA
            for ch, t_d, rate in sc.drift:
                if ch == s.id:
                    val = val + np.maximum(ts - t_d, 0.0) * rate / DAY_S
            if math.isfinite(sc.pressure_noise_dof):
                nu = sc.pressure_noise_dof
                e = rng.standard_t(nu, len(ts)) * math.sqrt((nu - 2.0) / nu)
            else:
                e = rng.standard_normal(len(ts))
            val = val / f + s.noise_std * e
        elif s.quantity == "temperature":
            ts = _sample_times(sc, sc.temperature_cadence_s, end, rng)
            lagged = lowpass(seen[:, i], sc.step_s, sc.thermometer_lag_s)
            val = np.interp(ts, t, lagged) - 273.15
            for ch, t_b, dk in sc.thermometer_steps:
                if ch == s.id:
                    val = val + np.where(ts >= t_b, dk, 0.0)
            val = val + s.noise_std * rng.standard_normal(len(ts))
        else:  # ppN2 / ppO2 from the mass spectrometer, one port at a time
            period = sc.ms_port_period_s * len(ports)
            k0 = ports.index(s.module) * sc.ms_port_period_s
            ts = np.arange(k0 + sc.ms_port_period_s / 2, end, period)
            sp = 0 if s.quantity == "ppn2" else 1
            pp = m_rec[:, i, sp] * R_S[sp] * temp[:, i] / vol[i]
            val = np.interp(ts, t, pp) / MMHG_PA + s.noise_std * rng.standard_normal(len(ts))
        for ch, t_d, dur in sc.dropouts:
            if ch == s.id:
                keep = (ts < t_d) | (ts >= t_d + dur)
                ts, val = ts[keep], val[keep]
        if s.resolution > 0:
            val = np.round(val / s.resolution) * s.resolution
        frames.append(pd.DataFrame({"t": ts, "channel": s.id, "value": val}))
    raw = pd.concat(frames, ignore_index=True).sort_values("t", kind="stable")
    raw.insert(0, "time", pd.Timestamp(sc.t0) + pd.to_timedelta(raw.pop("t").to_numpy(), unit="s"))
    return raw.reset_index(drop=True)


__all__ = ["LeakSpec", "Operation", "Run", "Scenario", "choked_flow", "eclipse_fraction", "generate", "lowpass",
           "pink_noise", "ring_station"]
