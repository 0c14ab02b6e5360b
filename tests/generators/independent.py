"""An independent telemetry generator: station cabin pressure and temperature with the nuisance reality has.

It shares no code, constants or noise model with :mod:`hullbreach.sim` (own gas law, own leak ODE, own
thermal and sensor models) so that hullbreach's detector and isolation can be checked on data they were not
tuned to. It only reads a :class:`hullbreach.station.Station` as input data (modules, volumes, hatches,
sensor ids, units, noise figures) so that its output is telemetry hullbreach reads.

Model (SI inside; the sensor's unit only in the output table)
------------------------------------------------------------
* **Zones.** Modules joined by open hatches share one pressure at every instant (a 0.8 m x 1.3 m hatch
  equalises a module in well under a second, far below the 1-10 s cadence); a zone's gas mass ``M_z``
  spreads over its modules as ``m_i = p V_i / (R T_i)``, ``p = M_z R / sum(V_i / T_i)`` [1]. A hatch
  change merges zones (mass conserved, pressure equalised) or splits them (each module keeps its mass).
* **Leaks.** A hole of effective area ``Cd*A`` to vacuum is always choked:
  ``mdot = Cd A p sqrt(gamma / (R T)) (2 / (gamma + 1))^((gamma + 1) / (2 (gamma - 1)))`` [2]; the cabin gas
  is either isothermal (held at the wall temperature) or adiabatic (the zone's gas cools by
  ``dT/dt = (gamma - 1) T mdot / M`` and relaxes to the wall with time constant ``wall_tau_s``) [3].
* **Equalisation valves** across closed hatches: compressible orifice flow, choked below the critical
  pressure ratio, subsonic above it [2] (linearised within 10 Pa of equilibrium to keep the ODE smooth).
* **Gas temperature** per module: ``T0 + A_orb sin(2 pi t / P_orb + phi_i) + A_day sin(2 pi t / 1 d + psi_i)``
  (each module its own phases), plus an *unmeasured* bulk offset that the thermometers do not see:
  Ornstein-Uhlenbeck, one common to all modules and one per module (sigma, tau), sampled exactly [4].
* **Thermometers** see the cyclic part (not the offset) through a first-order lag, plus self-heating of
  the sensor board rising as ``dT_sh (1 - exp(-t / tau_sh))`` after power-on, white noise and quantisation.
* **Pressure sensors**: bias, linear drift and random-walk drift per sensor, white noise, quantisation
  (steps may be coarser than the noise, e.g. 0.1 hPa); partial-pressure channels read the zone's
  composition times the pressure.
* Integration: classical Runge-Kutta 4 on (zone masses, adiabatic temperature deficits, vented masses) on
  its own grid (``integration_step_s``, ``valve_step_s`` while a valve is open), zone masses interpolated
  linearly to the sample times.

Piecewise use (closed loop)::

    from tests.generators.independent import GenConfig, Leak, start, advance, toy_station
    st = toy_station()
    s0 = start(st, GenConfig(cadence_s=10.0, ou_common_sigma_k=0.05), seed=1,
               leaks=[Leak("capsule", effective_area_m2=2e-7, start_s=1800.0)])
    seg1 = advance(s0, 3600.0)                                    # the file's hatch states
    seg2 = advance(seg1.state, 3600.0, closed={"hab-capsule"})   # a new configuration from here on
    both = concat([seg1, seg2])
    both.raw      # long table time, channel, value (sensor units) -> hullbreach.telemetry.check_samples
    both.events   # hatch_close / hatch_open / valve_* events (hullbreach's events table)
    both.truth    # Truth: pressure_pa, gas_temperature_k, offset_k, mass_kg per module, vented_kg per leak

References
----------
.. [1] Ideal gas, dry air: R = 287.05 J/(kg K) (U.S. Standard Atmosphere 1976, R* / M0 = 8314.32 / 28.9644).
.. [2] A. H. Shapiro, *The Dynamics and Thermodynamics of Compressible Fluid Flow*, vol. 1, 1953, ch. 4
   (isentropic nozzle flow, choked mass flux); gamma = 1.4 for air.
.. [3] Adiabatic discharge of a rigid vessel: with ``m = p V / (R T)`` and ``p ~ rho^gamma``,
   ``dT / T = (gamma - 1) dm / m``.
.. [4] Exact discretisation of an OU process: ``x_{k+1} = phi x_k + sigma sqrt(1 - phi^2) e_k``,
   ``phi = exp(-dt / tau)`` (D. T. Gillespie, Phys. Rev. E 54, 2084, 1996).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import lfilter

R_AIR_J_KG_K = 8314.32 / 28.9644
GAMMA_AIR = 1.4
#: choked mass-flux factor sqrt(gamma) (2/(gamma+1))^((gamma+1)/(2(gamma-1))) [-]
CHOKED_FACTOR = math.sqrt(GAMMA_AIR) * (2.0 / (GAMMA_AIR + 1.0)) ** ((GAMMA_AIR + 1.0) / (2.0 * (GAMMA_AIR - 1.0)))
CRITICAL_RATIO = (2.0 / (GAMMA_AIR + 1.0)) ** (GAMMA_AIR / (GAMMA_AIR - 1.0))
PA_PER_MMHG_OWN = 101325.0 / 760.0
DAY_S = 86400.0
ORBIT_S = 92.68 * 60.0  # ISS orbital period ~92.7 min (NASA ISS facts and figures)

# own unit table (value_in_unit = a * value_SI + b)
_PRESSURE_UNITS = {"pa": 1.0, "hpa": 1e-2, "mbar": 1e-2, "kpa": 1e-3, "bar": 1e-5, "mmhg": 1.0 / PA_PER_MMHG_OWN,
                   "torr": 1.0 / PA_PER_MMHG_OWN, "psi": 1.0 / 6894.757293168, "psia": 1.0 / 6894.757293168}
_TEMPERATURE_UNITS = {"k": (1.0, 0.0), "degc": (1.0, -273.15), "c": (1.0, -273.15), "°c": (1.0, -273.15),
                      "degf": (1.8, -459.67), "f": (1.8, -459.67)}


def _unit_map(unit: str, quantity: str) -> tuple[float, float]:
    u = unit.strip().lower()
    if quantity == "temperature":
        if u not in _TEMPERATURE_UNITS:
            raise ValueError(f"independent generator: unknown temperature unit {unit!r}")
        return _TEMPERATURE_UNITS[u]
    if u not in _PRESSURE_UNITS:
        raise ValueError(f"independent generator: unknown pressure unit {unit!r}")
    return _PRESSURE_UNITS[u], 0.0


@dataclass(frozen=True)
class GenConfig:
    """Generator settings (SI unless the name says otherwise).

    ``None`` for a sensor noise or step means: the station file's ``noise_std`` / ``resolution``.
    """

    cadence_s: float = 10.0
    orbital_period_s: float = ORBIT_S
    orbital_amplitude_k: float = 0.3
    daily_amplitude_k: float = 0.5
    ou_common_sigma_k: float = 0.05
    ou_common_tau_s: float = 6 * 3600.0
    ou_module_sigma_k: float = 0.0
    ou_module_tau_s: float = 3 * 3600.0
    thermometer_lag_s: float = 120.0
    self_heating_k: float = 0.3
    self_heating_tau_s: float = 1800.0
    thermometer_noise_k: float | None = None
    thermometer_step_k: float | None = None
    pressure_noise_pa: float | None = None
    pressure_step_pa: float | None = None
    pressure_bias_sigma_pa: float = 0.0
    pressure_drift_sigma_pa_per_day: float = 1.0
    pressure_random_walk_pa_per_sqrt_day: float = 1.0
    leak_thermo: str = "isothermal"
    wall_tau_s: float = 600.0
    integration_step_s: float = 60.0
    valve_step_s: float = 0.25
    start_pressure_pa: float | None = None
    n2_fraction: float = 0.785
    o2_fraction: float = 0.21
    ppco2_pa: float = 350.0
    #: Crew O2 use: ``((module, kg_s), ...)``, a constant loss of O2 [kg s^-1] from the zone holding each
    #: module (O2 feeds held, CO2 scrubbed: the crew breathes the zone's O2 down). It lowers the total
    #: pressure and ppO2, never ppN2. Empty: no crew (the generator before issue 16 session 7).
    crew_o2_kg_s: tuple = ()


@dataclass(frozen=True)
class Leak:
    """A hole to vacuum in ``module`` of effective area Cd*A [m^2], open from ``start_s`` to ``end_s`` [s
    after the generator's start]."""

    module: str
    effective_area_m2: float
    start_s: float = 0.0
    end_s: float | None = None
    id: str = ""

    @property
    def equivalent_diameter_m(self) -> float:
        """Diameter of an ideal (Cd = 1) orifice of the same effective area [m]."""
        return math.sqrt(4.0 * self.effective_area_m2 / math.pi)


def choked_mass_flow(effective_area_m2, pressure_pa, temperature_k):
    """Choked flow of air to vacuum [kg/s] (Shapiro 1953 ch. 4; gamma 1.4)."""
    return effective_area_m2 * pressure_pa * CHOKED_FACTOR / np.sqrt(R_AIR_J_KG_K * temperature_k)


def orifice_mass_flow(effective_area_m2, p_high_pa, p_low_pa, t_high_k):
    """Flow through an orifice from ``p_high`` to ``p_low`` [kg/s]: choked below the critical ratio,
    subsonic above it (Shapiro 1953 ch. 4), linear within 10 Pa of equality."""
    g = GAMMA_AIR
    r = p_low_pa / p_high_pa
    if r <= CRITICAL_RATIO:
        return float(choked_mass_flow(effective_area_m2, p_high_pa, t_high_k))

    def sub(rr):
        return effective_area_m2 * p_high_pa * math.sqrt(
            2.0 * g / ((g - 1.0) * R_AIR_J_KG_K * t_high_k) * max(rr ** (2.0 / g) - rr ** ((g + 1.0) / g), 0.0))

    dp = p_high_pa - p_low_pa
    if dp < 10.0:
        return sub(1.0 - 10.0 / p_high_pa) * dp / 10.0
    return sub(r)


def zones_of(station, closed) -> list[tuple[str, ...]]:
    """Modules joined by open hatches (own union-find), in station order."""
    mods = list(station.modules)
    parent = {m: m for m in mods}

    def root(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for h in station.hatches.values():
        if h.id in closed:
            continue
        a, b = root(h.modules[0]), root(h.modules[1])
        if a != b:
            parent[b] = a
    groups: dict[str, list[str]] = {}
    for m in mods:
        groups.setdefault(root(m), []).append(m)
    return sorted((tuple(g) for g in groups.values()), key=lambda g: mods.index(g[0]))


def effective_area_for_rate(station, module: str, rate_pa_per_s: float, *, closed=None,
                            pressure_pa: float | None = None, temperature_k: float | None = None) -> float:
    """Effective hole area [m^2] that makes the zone of ``module`` fall at ``rate_pa_per_s`` [Pa/s] at the
    start (isothermal): ``rate = mdot R T / V_zone``."""
    closed = station.closed_hatches() if closed is None else frozenset(closed)
    zone = next(z for z in zones_of(station, closed) if module in z)
    v = sum(station.modules[m].volume_m3 for m in zone)
    p = pressure_pa or station.nominal_pressure_pa
    t = temperature_k or station.modules[module].temperature_k
    return rate_pa_per_s * v / (p * CHOKED_FACTOR * math.sqrt(R_AIR_J_KG_K * t))


@dataclass
class Truth:
    """What really happened, at every sample time.

    Attributes: ``time`` (datetime64 UTC, n), ``modules`` (ids), ``pressure_pa``, ``gas_temperature_k``,
    ``visible_temperature_k`` (the part thermometers follow), ``offset_k`` (unmeasured bulk offset), ``mass_kg``
    (each n x n_modules), ``zone`` (n x n_modules: index of the zone's first module), ``leaks``,
    ``vented_kg`` and ``leak_mass_flow_kg_s`` (n x n_leaks), ``sensor_drift_pa`` (pressure sensor id -> its
    bias + drift + random walk at every sample [Pa], what an oracle that knows the nuisance would remove).
    """

    time: pd.DatetimeIndex
    modules: list
    pressure_pa: np.ndarray
    gas_temperature_k: np.ndarray
    visible_temperature_k: np.ndarray
    offset_k: np.ndarray
    mass_kg: np.ndarray
    zone: np.ndarray
    leaks: list
    vented_kg: np.ndarray
    leak_mass_flow_kg_s: np.ndarray
    sensor_drift_pa: dict = field(default_factory=dict)

    def module_frame(self, quantity: str = "pressure_pa") -> pd.DataFrame:
        """One truth quantity as a wide table (index time, one column per module)."""
        return pd.DataFrame(getattr(self, quantity), index=self.time, columns=self.modules)


@dataclass
class GenState:
    """Everything needed to continue a run (treat as immutable: :func:`advance` copies it)."""

    station: object
    cfg: GenConfig
    t0: pd.Timestamp
    t_s: float
    closed: frozenset
    valves_open: frozenset
    leaks: tuple
    mass_kg: np.ndarray
    deficit_k: np.ndarray
    vented_kg: np.ndarray
    ou_common: float
    ou_module: np.ndarray
    lag_k: np.ndarray
    rw_pa: np.ndarray
    # fixed per-run draws
    base_k: np.ndarray
    orb_phase: np.ndarray
    day_phase: np.ndarray
    sh_k: np.ndarray
    bias_pa: np.ndarray
    drift_pa_per_day: np.ndarray
    rng: np.random.Generator
    started: bool = False
    #: O2 the crew has used from each module's gas so far [kg] (``GenConfig.crew_o2_kg_s``).
    o2_used_kg: np.ndarray | None = None


@dataclass
class Segment:
    """Output of :func:`advance`: raw telemetry, events, truth and the state to continue from."""

    raw: pd.DataFrame
    events: pd.DataFrame
    truth: Truth
    state: GenState

    def frame(self, strict: bool = False):
        """The raw table through hullbreach's data checks: a ``TelemetryFrame`` for ``detect``."""
        from hullbreach.telemetry import check_samples
        return check_samples(self.raw, self.state.station, strict=strict, source="<independent generator>")

    def write(self, out_dir) -> dict:
        """Write ``telemetry.csv`` (long, ISO times, sensor units), ``events.csv`` and ``truth.csv`` (wide
        module pressures [Pa]); returns the paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        raw = self.raw.copy()
        raw["time"] = raw["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        paths = {"telemetry": out / "telemetry.csv", "events": out / "events.csv", "truth": out / "truth.csv"}
        raw.to_csv(paths["telemetry"], index=False)
        ev = self.events[["time", "kind", "detail"]].copy()
        ev["time"] = ev["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ev.to_csv(paths["events"], index=False)
        self.truth.module_frame().rename_axis("time").to_csv(paths["truth"])
        return paths


_EVENT_COLUMNS = ("time", "kind", "detail", "hatch", "module", "kg", "gas", "note")


def _events_table(rows) -> pd.DataFrame:
    df = pd.DataFrame({
        "time": pd.to_datetime([r[0] for r in rows], utc=True) if rows else pd.Series([], dtype="datetime64[ns, UTC]"),
        "kind": [r[1] for r in rows], "detail": [r[2] for r in rows], "hatch": [r[2] for r in rows],
        "module": ["" for _ in rows], "kg": [math.nan for _ in rows], "gas": ["" for _ in rows],
        "note": ["" for _ in rows]})
    return df[list(_EVENT_COLUMNS)]


def start(station, cfg: GenConfig = GenConfig(), *, seed: int = 0, t0="2025-01-01T00:00:00Z", closed=None,
          leaks=()) -> GenState:
    """Initial state: every zone at the start pressure (default the station's nominal), gas at rest.

    ``closed``: hatch ids closed at the start (default: the station file's closed hatches).
    """
    rng = np.random.default_rng(seed)
    mods = list(station.modules.values())
    n = len(mods)
    closed = station.closed_hatches() if closed is None else frozenset(closed)
    _check_hatches(station, closed)
    for lk in leaks:
        if lk.module not in station.modules:
            raise ValueError(f"leak module {lk.module!r} is not in the station")
    base = np.array([m.temperature_k for m in mods], dtype=float)
    p0 = cfg.start_pressure_pa or station.nominal_pressure_pa
    vol = np.array([m.volume_m3 for m in mods])
    psens = [s for s in station.sensors.values() if s.quantity == "pressure"]
    tsens = [s for s in station.sensors.values() if s.quantity == "temperature"]
    ou_c = cfg.ou_common_sigma_k * rng.standard_normal()
    ou_m = cfg.ou_module_sigma_k * rng.standard_normal(n)
    orb = rng.uniform(0, 2 * np.pi, n)
    day = rng.uniform(0, 2 * np.pi, n)
    sh = cfg.self_heating_k * rng.uniform(0.5, 1.5, len(tsens))
    bias = cfg.pressure_bias_sigma_pa * rng.standard_normal(len(psens))
    drift = cfg.pressure_drift_sigma_pa_per_day * rng.standard_normal(len(psens))
    t_gas0 = base + cfg.orbital_amplitude_k * np.sin(orb) + cfg.daily_amplitude_k * np.sin(day) + ou_c + ou_m
    mass = p0 * vol / (R_AIR_J_KG_K * t_gas0)
    idx = {m.id: i for i, m in enumerate(mods)}
    lag = np.array([base[idx[s.module]] + cfg.orbital_amplitude_k * np.sin(orb[idx[s.module]])
                    + cfg.daily_amplitude_k * np.sin(day[idx[s.module]]) for s in tsens])
    named = tuple(lk if lk.id else replace(lk, id=f"leak{i}") for i, lk in enumerate(leaks))
    return GenState(station=station, cfg=cfg, t0=pd.Timestamp(t0), t_s=0.0, closed=closed, valves_open=frozenset(),
                    leaks=named, mass_kg=mass, deficit_k=np.zeros(n), vented_kg=np.zeros(len(named)),
                    ou_common=float(ou_c), ou_module=ou_m, lag_k=lag, rw_pa=np.zeros(len(psens)), base_k=base,
                    orb_phase=orb, day_phase=day, sh_k=sh, bias_pa=bias, drift_pa_per_day=drift, rng=rng)


def _check_hatches(station, ids) -> None:
    bad = [h for h in ids if h not in station.hatches]
    if bad:
        raise ValueError(f"unknown hatch id(s) {bad}; the station's hatches are {list(station.hatches)}")


def _changes(station, before, after, t_s, added, removed) -> list:
    """Events turning the hatch set ``before`` into ``after`` at ``t_s``: ``added`` for new members, ``removed``
    for dropped ones, in station order."""
    return [(t_s, added if h in after else removed, h) for h in station.hatches if (h in after) != (h in before)]


def _ou(x0, sigma, tau, dt: float, n: int, rng) -> np.ndarray:
    """n further exact OU samples after ``x0`` at step ``dt`` [s] (rows: time, columns: processes) [4]."""
    x0 = np.atleast_1d(np.asarray(x0, dtype=float))
    phi = math.exp(-dt / tau)
    e = rng.standard_normal((n, x0.size)) * (np.asarray(sigma, dtype=float) * math.sqrt(1.0 - phi * phi))
    return lfilter([1.0], [1.0, -phi], e, axis=0, zi=(phi * x0)[None, :])[0]


def advance(state: GenState, duration_s: float, *, closed=None, valves_open=None, leaks=(), events=()) -> Segment:
    """Continue the run for ``duration_s`` [s] (rounded to whole samples) and return its telemetry.

    Parameters
    ----------
    state : GenState
        From :func:`start` or a previous :func:`advance` (not modified).
    closed, valves_open : set of hatch ids, optional
        The configuration from this segment's first sample on (default: as the state left it). Changes
        against the state are logged as ``hatch_close`` / ``hatch_open`` / ``valve_*`` events at that time.
    leaks : sequence of Leak
        Further leaks (their ``start_s`` counts from the generator's start).
    events : sequence of (t_s, kind, hatch)
        Changes inside the segment, ``t_s`` [s after the generator's start, rounded to a sample],
        ``kind`` in hatch_open / hatch_close / valve_open / valve_close.
    """
    st = copy.copy(state)
    st.rng = copy.deepcopy(state.rng)
    cfg, station = st.cfg, st.station
    mods = list(station.modules.values())
    mid = [m.id for m in mods]
    idx = {m: i for i, m in enumerate(mid)}
    nm = len(mods)
    vol = np.array([m.volume_m3 for m in mods])
    dt = cfg.cadence_s
    n = int(round(duration_s / dt))
    if n <= 0:
        raise ValueError("duration_s must be at least one sample interval")
    t_grid = st.t_s + dt * np.arange(n + 1)  # n samples plus the first of the next segment
    rng = st.rng
    ev_rows = []
    if leaks:
        extra = tuple(lk if lk.id else replace(lk, id=f"leak{len(st.leaks) + i}") for i, lk in enumerate(leaks))
        st.leaks = st.leaks + extra
        st.vented_kg = np.concatenate([st.vented_kg, np.zeros(len(extra))])
    # configuration changes at the first sample
    changes = []
    if closed is not None:
        closed = frozenset(closed)
        _check_hatches(station, closed)
        changes += _changes(station, st.closed, closed, st.t_s, "hatch_close", "hatch_open")
    if valves_open is not None:
        valves_open = frozenset(valves_open)
        _check_hatches(station, valves_open)
        changes += _changes(station, st.valves_open, valves_open, st.t_s, "valve_open", "valve_close")
    for t_e, kind, h in events:
        _check_hatches(station, [h])
        k = int(round((t_e - st.t_s) / dt))
        if not 0 <= k < n:
            raise ValueError(f"event at {t_e} s is outside this segment [{st.t_s}, {st.t_s + n * dt})")
        changes.append((st.t_s + k * dt, kind, h))
    changes.sort(key=lambda c: c[0])

    # ---------------------------------------------------------------- temperatures on the sample grid
    n1 = n + 1
    ou_c = _ou(st.ou_common, cfg.ou_common_sigma_k, cfg.ou_common_tau_s, dt, n1, rng)[:, 0] if cfg.ou_common_sigma_k > 0 \
        else np.zeros(n1)
    ou_m = _ou(st.ou_module, cfg.ou_module_sigma_k, cfg.ou_module_tau_s, dt, n1, rng) if cfg.ou_module_sigma_k > 0 \
        else np.zeros((n1, nm))
    # the first grid point is the state's own time: the OU value there is the stored one
    ou_c = np.concatenate([[st.ou_common], ou_c[:-1]])
    ou_m = np.vstack([st.ou_module[None, :], ou_m[:-1]])
    vis = (st.base_k[None, :]
           + cfg.orbital_amplitude_k * np.sin(2 * np.pi * t_grid[:, None] / cfg.orbital_period_s + st.orb_phase[None, :])
           + cfg.daily_amplitude_k * np.sin(2 * np.pi * t_grid[:, None] / DAY_S + st.day_phase[None, :]))
    offset = ou_c[:, None] + ou_m
    t_wall = vis + offset  # gas temperature before any adiabatic cooling

    # ---------------------------------------------------------------- piecewise-constant configuration
    mass_s = np.empty((n, nm))
    deficit_s = np.zeros((n, nm))
    vented_s = np.empty((n, len(st.leaks)))
    zone_s = np.empty((n, nm), dtype=np.int64)
    used = st.o2_used_kg.copy() if st.o2_used_kg is not None else np.zeros(nm)
    used_s = np.zeros((n, nm))
    sink = np.zeros(nm)
    for m_id, kg_s in cfg.crew_o2_kg_s:
        sink[idx[m_id]] += float(kg_s)
    bounds = sorted({0, n, *[int(round((c[0] - st.t_s) / dt)) for c in changes]})
    ci = 0
    for a, b in zip(bounds[:-1], bounds[1:]):
        while ci < len(changes) and int(round((changes[ci][0] - st.t_s) / dt)) <= a:
            t_e, kind, h = changes[ci]
            if kind == "hatch_close":
                st.closed = st.closed | {h}
            elif kind == "hatch_open":
                st.closed = st.closed - {h}
            elif kind == "valve_open":
                st.valves_open = st.valves_open | {h}
            elif kind == "valve_close":
                st.valves_open = st.valves_open - {h}
            else:
                raise ValueError(f"unknown event kind {kind!r}")
            ev_rows.append((st.t0 + pd.to_timedelta(t_e, unit="s"), kind, h))
            ci += 1
        zones = zones_of(station, st.closed)
        zi = [np.array([idx[m] for m in z]) for z in zones]
        # equalise within the new zones (a merge mixes; a split keeps each module's mass)
        M = np.array([st.mass_kg[z].sum() for z in zi])
        D = np.array([np.average(st.deficit_k[z], weights=st.mass_kg[z]) for z in zi])
        ts_sub = t_grid[a:b + 1]
        y_nodes, t_nodes = _integrate(st, cfg, station, zones, zi, vol, M, D, t_grid, t_wall, ts_sub, idx,
                                      zone_sink=np.array([sink[z].sum() for z in zi]))
        nz = len(zi)
        Mi = np.column_stack([np.interp(ts_sub, t_nodes, y_nodes[:, j]) for j in range(nz)])
        Di = np.column_stack([np.interp(ts_sub, t_nodes, y_nodes[:, nz + j]) for j in range(nz)])
        Vi = np.column_stack([np.interp(ts_sub, t_nodes, y_nodes[:, 2 * nz + j]) for j in range(len(st.leaks))]) \
            if st.leaks else np.zeros((ts_sub.size, 0))
        zone_of_mod = np.empty(nm, dtype=np.int64)
        for j, z in enumerate(zi):
            zone_of_mod[z] = j
        tg = t_wall[a:b + 1] - Di[:, zone_of_mod]
        denom = np.column_stack([(vol[z][None, :] / tg[:, z]).sum(axis=1) for z in zi])
        p_zone = Mi * R_AIR_J_KG_K / denom
        m_mod = p_zone[:, zone_of_mod] * vol[None, :] / (R_AIR_J_KG_K * tg)
        mass_s[a:b] = m_mod[:-1]
        if sink.any() or used.any():
            # the O2 a zone's crew used is mixed through the zone like its gas (shares of the mass)
            u_zone = np.array([used[z].sum() for z in zi])[None, :] + np.outer(ts_sub - ts_sub[0],
                                                                               [sink[z].sum() for z in zi])
            u_mod = u_zone[:, zone_of_mod] * m_mod / Mi[:, zone_of_mod]
            used_s[a:b] = u_mod[:-1]
            used = u_mod[-1].copy()
        deficit_s[a:b] = Di[:-1, zone_of_mod]
        vented_s[a:b] = Vi[:-1]
        zone_s[a:b] = np.array([zi[j][0] for j in zone_of_mod])[None, :]
        st.mass_kg = m_mod[-1].copy()
        st.deficit_k = Di[-1, zone_of_mod].copy()
        st.vented_kg = Vi[-1].copy()
    # ---------------------------------------------------------------- truth on the samples
    tg_s = t_wall[:n] - deficit_s
    p_mod = mass_s * R_AIR_J_KG_K * tg_s / vol[None, :]
    vis_meas = vis[:n] - deficit_s  # thermometers see adiabatic cooling (a real gas temperature change)
    flows = np.zeros((n, len(st.leaks)))
    for j, lk in enumerate(st.leaks):
        on = (t_grid[:n] >= lk.start_s) & ((t_grid[:n] < lk.end_s) if lk.end_s is not None else True)
        i = idx[lk.module]
        flows[:, j] = np.where(on, choked_mass_flow(lk.effective_area_m2, p_mod[:, i], tg_s[:, i]), 0.0)
    st.o2_used_kg = used
    times = pd.DatetimeIndex(st.t0 + pd.to_timedelta(t_grid[:n], unit="s")).as_unit("ns")
    truth = Truth(time=pd.DatetimeIndex(times), modules=mid, pressure_pa=p_mod, gas_temperature_k=tg_s,
                  visible_temperature_k=vis_meas, offset_k=offset[:n], mass_kg=mass_s, zone=zone_s,
                  leaks=list(st.leaks), vented_kg=vented_s, leak_mass_flow_kg_s=flows)
    raw = _sensors(st, cfg, station, idx, t_grid[:n], times, p_mod, vis_meas, rng, truth.sensor_drift_pa,
                   o2_used_pa=used_s * R_AIR_J_KG_K * tg_s / vol[None, :] if used_s.any() else None)
    # state at the next segment's first sample
    st.t_s = float(t_grid[n])
    st.ou_common = float(ou_c[n])
    st.ou_module = ou_m[n].copy()
    st.started = True
    return Segment(raw=raw, events=_events_table(ev_rows), truth=truth, state=st)


def _integrate(st, cfg, station, zones, zi, vol, M0, D0, t_grid, t_wall, ts_sub, idx, zone_sink=None):
    """RK4 on y = [zone masses, zone adiabatic deficits, vented masses] over ``ts_sub``; returns nodes.
    ``zone_sink``: the crew's constant O2 use per zone [kg s^-1]."""
    nz = len(zi)
    zone_of = {}
    for j, z in enumerate(zi):
        for i in z:
            zone_of[int(i)] = j
    valves = []
    for h in st.valves_open:
        hat = station.hatches[h]
        if h not in st.closed or hat.valve_area_m2 <= 0:
            continue
        za, zb = zone_of[idx[hat.modules[0]]], zone_of[idx[hat.modules[1]]]
        if za != zb:
            valves.append((za, zb, idx[hat.modules[0]], idx[hat.modules[1]], hat.valve_area_m2))
    h_step = cfg.valve_step_s if valves else cfg.integration_step_s
    ta, tb = ts_sub[0], ts_sub[-1]
    k = max(1, int(math.ceil((tb - ta) / h_step - 1e-9)))
    t_nodes = np.linspace(ta, tb, k + 1)
    tw_nodes = np.column_stack([np.interp(t_nodes, t_grid, t_wall[:, i]) for i in range(t_wall.shape[1])])
    leak_mod = [idx[lk.module] for lk in st.leaks]
    adiabatic = cfg.leak_thermo == "adiabatic"
    if cfg.leak_thermo not in ("isothermal", "adiabatic"):
        raise ValueError(f"leak_thermo must be isothermal or adiabatic, not {cfg.leak_thermo!r}")

    def rhs(t, tw, y):
        M, D = y[:nz], y[nz:2 * nz]
        tg = tw - D[[zone_of[i] for i in range(tw.size)]]
        p = np.array([M[j] * R_AIR_J_KG_K / (vol[z] / tg[z]).sum() for j, z in enumerate(zi)])
        dy = np.zeros_like(y)
        if zone_sink is not None:
            dy[:nz] -= zone_sink
        for q, lk in enumerate(st.leaks):
            if t < lk.start_s or (lk.end_s is not None and t >= lk.end_s):
                continue
            i = leak_mod[q]
            j = zone_of[i]
            md = float(choked_mass_flow(lk.effective_area_m2, p[j], tg[i]))
            dy[j] -= md
            dy[2 * nz + q] += md
            if adiabatic:
                dy[nz + j] += (GAMMA_AIR - 1.0) * tg[i] * md / M[j]
        for za, zb, ia, ib, area in valves:
            if p[za] >= p[zb]:
                md = orifice_mass_flow(area, p[za], p[zb], tg[ia])
            else:
                md = -orifice_mass_flow(area, p[zb], p[za], tg[ib])
            dy[za] -= md
            dy[zb] += md
        if adiabatic:
            dy[nz:2 * nz] -= D / cfg.wall_tau_s
        return dy

    y = np.concatenate([M0, D0, st.vented_kg])
    out = np.empty((k + 1, y.size))
    out[0] = y
    for s in range(k):
        t, h = t_nodes[s], t_nodes[s + 1] - t_nodes[s]
        tw0, tw1 = tw_nodes[s], tw_nodes[s + 1]
        twm = 0.5 * (tw0 + tw1)
        k1 = rhs(t, tw0, y)
        k2 = rhs(t + h / 2, twm, y + h / 2 * k1)
        k3 = rhs(t + h / 2, twm, y + h / 2 * k2)
        k4 = rhs(t + h, tw1, y + h * k3)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        out[s + 1] = y
    return out, t_nodes


def _sensors(st, cfg, station, idx, t_s, times, p_mod, vis, rng, drift_out: dict, o2_used_pa=None) -> pd.DataFrame:
    """Raw long table in the sensors' units, all channels at every sample time (time-major).
    ``o2_used_pa``: the partial pressure of the O2 the crew used, per sample and module [Pa] (ppN2 is
    the fraction of the pressure the gas would have without it; ppO2 loses all of it)."""
    n = t_s.size
    sensors = list(station.sensors.values())
    cols = np.empty((n, len(sensors)))
    ip = it = 0
    sh_rise = 1.0 - np.exp(-t_s / cfg.self_heating_tau_s) if cfg.self_heating_tau_s > 0 else np.ones(n)
    a_lag = math.exp(-cfg.cadence_s / cfg.thermometer_lag_s) if cfg.thermometer_lag_s > 0 else 0.0
    for c, s in enumerate(sensors):
        scale, off = _unit_map(s.unit, "temperature" if s.quantity == "temperature" else "pressure")
        i = idx[s.module]
        if s.quantity == "temperature":
            x = vis[:, i]
            # first-order lag y_k = a y_(k-1) + (1 - a) x_k, continued from the stored value
            y = lfilter([1.0 - a_lag], [1.0, -a_lag], x, zi=[a_lag * st.lag_k[it]])[0]
            st.lag_k = st.lag_k.copy()
            st.lag_k[it] = y[-1]
            si = y + st.sh_k[it] * sh_rise
            noise = (cfg.thermometer_noise_k if cfg.thermometer_noise_k is not None else s.noise_std / scale)
            step = cfg.thermometer_step_k if cfg.thermometer_step_k is not None else s.resolution / scale
            it += 1
        else:
            p = p_mod[:, i]
            if s.quantity == "pressure":
                rw_inc = cfg.pressure_random_walk_pa_per_sqrt_day * math.sqrt(cfg.cadence_s / DAY_S) * rng.standard_normal(n)
                rw = st.rw_pa[ip] + np.cumsum(rw_inc)
                st.rw_pa = st.rw_pa.copy()
                st.rw_pa[ip] = rw[-1]
                err = st.bias_pa[ip] + st.drift_pa_per_day[ip] * t_s / DAY_S + rw
                drift_out[s.id] = err
                si = p + err
                noise = cfg.pressure_noise_pa if cfg.pressure_noise_pa is not None else s.noise_std / scale
                step = cfg.pressure_step_pa if cfg.pressure_step_pa is not None else s.resolution / scale
                ip += 1
            else:
                frac = {"ppn2": cfg.n2_fraction, "ppo2": cfg.o2_fraction}.get(s.quantity)
                u = o2_used_pa[:, i] if o2_used_pa is not None else 0.0
                si = (p + u) * frac if frac is not None else np.full(n, cfg.ppco2_pa if s.quantity == "ppco2" else 1000.0)
                if s.quantity == "ppo2":
                    si = si - u
                noise = s.noise_std / scale
                step = s.resolution / scale
        v = si + noise * rng.standard_normal(n)
        v = v * scale + off
        step_u = step * scale
        if step_u > 0:
            v = np.round(v / step_u) * step_u
            v = np.round(v, 10)
        cols[:, c] = v
    ids = [s.id for s in sensors]
    return pd.DataFrame({"time": np.repeat(times.to_numpy(), len(ids)),
                         "channel": pd.Categorical(np.tile(np.array(ids, dtype=object), n), categories=ids),
                         "value": cols.reshape(-1)})


def concat(segments) -> Segment:
    """Join consecutive segments of one run into one."""
    segs = list(segments)
    tr = [s.truth for s in segs]
    nl = len(tr[-1].leaks)

    def pad(a):
        return np.hstack([a, np.zeros((a.shape[0], nl - a.shape[1]))]) if a.shape[1] < nl else a

    truth = Truth(time=pd.DatetimeIndex(np.concatenate([t.time.to_numpy() for t in tr])), modules=tr[0].modules,
                  pressure_pa=np.vstack([t.pressure_pa for t in tr]),
                  gas_temperature_k=np.vstack([t.gas_temperature_k for t in tr]),
                  visible_temperature_k=np.vstack([t.visible_temperature_k for t in tr]),
                  offset_k=np.vstack([t.offset_k for t in tr]), mass_kg=np.vstack([t.mass_kg for t in tr]),
                  zone=np.vstack([t.zone for t in tr]), leaks=tr[-1].leaks,
                  vented_kg=np.vstack([pad(t.vented_kg) for t in tr]),
                  leak_mass_flow_kg_s=np.vstack([pad(t.leak_mass_flow_kg_s) for t in tr]),
                  sensor_drift_pa={k: np.concatenate([t.sensor_drift_pa[k] for t in tr]) for k in tr[0].sensor_drift_pa})
    raw = pd.concat([s.raw for s in segs], ignore_index=True)
    ev = pd.concat([s.events for s in segs], ignore_index=True) if any(len(s.events) for s in segs) else segs[0].events
    return Segment(raw=raw, events=ev, truth=truth, state=segs[-1].state)


def generate(station, duration_s: float, cfg: GenConfig = GenConfig(), *, seed: int = 0, leaks=(), closed=None,
             events=(), t0="2025-01-01T00:00:00Z") -> Segment:
    """One run in one piece: :func:`start` then :func:`advance` (``events`` as in :func:`advance`)."""
    return advance(start(station, cfg, seed=seed, t0=t0, closed=closed, leaks=leaks), duration_s, events=events)


def logger_gap(segment: Segment, start_s: float, end_s: float, rewarm_k: float, *, seed: int = 0,
               rewarm_tau_s: float = 1800.0) -> pd.DataFrame:
    """``segment``'s raw table with a logger gap: every sample from ``start_s`` to ``end_s`` [s after the first
    sample] removed (a loss of signal), and every thermometer warming again with its own electronics from the gap's
    end, ``rewarm_k x U(0.5, 1.5) x (1 - exp(-(t - end_s) / rewarm_tau_s))`` [K] (a board's power-on self-heating,
    as at the run's start; its own draw per thermometer from ``seed``). The gas, the pressures and the truth are
    those of ``segment``: the re-warming is the thermometers' alone (issue 16, session 8's gap worst case)."""
    raw = segment.raw
    t_ns = raw["time"].astype("int64").to_numpy()
    t_s = (t_ns - t_ns.min()) / 1e9
    raw = raw[~((t_s >= start_s) & (t_s < end_s))].copy()
    t_s = t_s[~((t_s >= start_s) & (t_s < end_s))]
    rng = np.random.default_rng(seed)
    station = segment.state.station
    values = raw["value"].to_numpy(dtype=float).copy()
    chan = raw["channel"].astype(str).to_numpy()
    for s in station.sensors.values():
        if s.quantity != "temperature":
            continue
        m = (chan == s.id) & (t_s >= end_s)
        scale, _ = _unit_map(s.unit, "temperature")
        values[m] += scale * rewarm_k * rng.uniform(0.5, 1.5) * -np.expm1(-(t_s[m] - end_s) / rewarm_tau_s)
    raw["value"] = values
    return raw


# ------------------------------------------------------------------------------------------- stations
def toy_station():
    """A custom 4-module toy station (not a real spacecraft): core 100 m^3, lab 80 m^3, hab 60 m^3 and an
    escape capsule 8 m^3 behind a hatch with an equalisation valve; one pressure and one temperature
    channel per module (mmHg, 0.05 noise / 0.1 step; degC 0.05 / 0.1) and ppN2/ppO2 in the core."""
    from hullbreach.station import Hatch, Module, Sensor, Station

    mods = [Module("core", 100.0, kind="node", segment="usos", name="Core"),
            Module("lab", 80.0, name="Lab", segment="usos"),
            Module("hab", 60.0, name="Hab", segment="usos"),
            Module("capsule", 8.0, escape_vehicle=True, kind="vehicle", segment="vehicle", name="Capsule")]
    hatches = [Hatch("core-lab", ("core", "lab"), "open", "lab"),
               Hatch("core-hab", ("core", "hab"), "open", "hab"),
               Hatch("hab-capsule", ("hab", "capsule"), "open", "capsule", valve_area_m2=3.0e-5)]
    sensors = []
    for m in mods:
        sensors.append(Sensor(f"{m.id}.pressure", m.id, "pressure", "mmHg", 0.05, 0.1))
        sensors.append(Sensor(f"{m.id}.temperature", m.id, "temperature", "degC", 0.05, 0.1))
    sensors += [Sensor("core.ppn2", "core", "ppn2", "mmHg", 0.5, 0.1), Sensor("core.ppo2", "core", "ppo2", "mmHg", 0.5, 0.1)]
    return Station(name="Independent toy station", evacuation_pressure_pa=69328.0,
                   modules={m.id: m for m in mods}, hatches={h.id: h for h in hatches},
                   sensors={s.id: s for s in sensors}, nominal_pressure_pa=101325.0,
                   description="4-module toy station of the independent telemetry generator (tests only)")


def mmhg_per_day_to_pa_per_s(x: float) -> float:
    """[mmHg/day] -> [Pa/s]."""
    return x * PA_PER_MMHG_OWN / DAY_S


def mmhg_per_h_to_pa_per_s(x: float) -> float:
    """[mmHg/h] -> [Pa/s]."""
    return x * PA_PER_MMHG_OWN / 3600.0


__all__ = ["GenConfig", "GenState", "Leak", "Segment", "Truth", "advance", "choked_mass_flow", "concat",
           "effective_area_for_rate", "generate", "mmhg_per_day_to_pa_per_s", "mmhg_per_h_to_pa_per_s",
           "orifice_mass_flow", "start", "toy_station", "zones_of"]
