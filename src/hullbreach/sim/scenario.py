"""Scenarios: what happens to a station during a simulation (leaks, hatch operations, represses, airlock
cycles, temperature, crew, sensor faults), as frozen dataclasses and as a TOML file.

Times inside a scenario are seconds after ``Scenario.start`` (an ISO 8601 UTC instant). In a TOML file any
``*_s`` time key (``onset_s``, ``end_s``, ``time_s``, ``start_s``) may instead be given without the ``_s``
as an ISO 8601 time or TOML datetime (``onset = 2018-08-29T23:00:00Z``); it is converted to seconds after
``start``. SI units everywhere (Pa, K, kg, m, s).

Scenario TOML (every table optional except the top keys ``start`` and ``duration_s``)::

    name = "MS-09"
    start = "2018-08-29T19:00:00Z"
    duration_s = 172800
    dt_s = 1.0                    # physics step [s]
    sample_rate_hz = 1.0          # telemetry rate [Hz]
    truth_dt_s = 60.0             # truth table step [s]
    thermo = "isothermal"         # or "adiabatic" (fast venting)
    [[leak]]
    module = "soyuz-ms09-om"
    onset = 2018-08-29T23:00:00Z
    diameter_m = 2e-3
    discharge_coefficient = 0.3
    [[hatch_event]]
    time_s = 3600
    hatch = "node1-destiny"
    action = "close"              # close | open | valve_open | valve_close
    [[repress]]
    time_s = 7200
    module = "zvezda"
    mass_kg = 10.0
    gas = "air"                   # air | n2 | o2
    [[thermal]]
    module = "*"
    orbital_amplitude_k = 0.3
    [crew]
    count = 6
    module = "zvezda"
    [nuisance]                    # or: nuisance = "none" (no unmeasured offsets, ideal thermometers)
    preset = "realistic"          # the default; any key below overrides it
    common_offset_k = 0.05        # OU std of the bulk-gas offset the thermometers miss [K]
    common_offset_tau_s = 21600
    thermometer_lag_s = 120
    pressure_drift_pa_per_day = 0.5
    [[sensor_fault]]
    sensor = "USLAB000058"
    kind = "drift"
    start_s = 0
    magnitude = 0.5               # drift: sensor unit per day

References
----------
.. [1] Crew metabolic O2 consumption 0.84 kg per crew member per day and CO2 output 1.04 kg per crew
   member per day (nominal values, rounded here to 1.0 as the project brief asks): NASA Baseline Values
   and Assumptions Document (BVAD), M. S. Anderson et al., NASA/TP-2015-218570, 2015, Table 4.3-1 (scaled
   metabolic rates) and §4.
.. [2] Orbital period of the ISS about 92.6 min at ~400 km (NASA ISS facts and figures).
.. [3] ISS Quest crewlock depressurization: the depress pump recovers cabin air down to about 5 psia
   (34.5 kPa); the remainder is vented overboard (NASA, *The International Space Station: Operating an
   Outpost*, ch. on EVA; estimate of the durations).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hullbreach.errors import ScenarioError
from hullbreach.tomlpos import TomlLines, load_toml

#: Orbital period of the ISS [s] (92.6 min, [2]).
ORBITAL_PERIOD_S = 92.6 * 60.0
#: Crew O2 consumption [kg per person per day] ([1]).
O2_KG_PER_PERSON_DAY = 0.84
#: Crew CO2 output [kg per person per day] ([1], brief value 1.0).
CO2_KG_PER_PERSON_DAY = 1.0
#: Kinds of sensor fault the simulator knows.
FAULT_KINDS = ("stuck", "drift", "dropout", "spike", "dead", "bias")
#: Hatch actions.
HATCH_ACTIONS = ("close", "open", "valve_open", "valve_close")
#: Gases a repress may add.
REPRESS_GASES = ("air", "n2", "o2")
#: Thermodynamic models for leak venting.
THERMO_MODELS = ("isothermal", "adiabatic")
_DAY = 86400.0


def _check(cond: bool, msg: str, source: str = "", hint: str | None = None) -> None:
    if not cond:
        raise ScenarioError(msg, source=source or None, hint=hint)


def _finite(x: float) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Leak:
    """A hole in the pressure wall of one module, venting to vacuum as choked flow.

    Give the hole either as ``diameter_m`` (with ``discharge_coefficient``, default 1 = ideal orifice) or
    as an ``effective_area_m2`` (Cd*A directly), or as a crack: ``crack_width_m`` x ``crack_length_m``
    (times the discharge coefficient) whose length grows linearly by ``crack_growth_m_per_day``.

    Attributes
    ----------
    module : str
        Module id holding the hole.
    onset_s : float
        Time the hole appears [s after start].
    diameter_m : float, optional
        Physical hole diameter [m].
    discharge_coefficient : float
        Cd [-]; the effective area is Cd * pi d^2/4 (or Cd * crack area).
    effective_area_m2 : float, optional
        Cd*A [m^2], instead of a diameter.
    area_growth_per_day : float
        Linear relative growth of the area [1/day]: A(t) = A0 (1 + g (t - onset)/86400 s).
    crack_width_m, crack_length_m, crack_growth_m_per_day : float, optional
        A slit crack: A(t) = Cd w (L0 + v (t - onset)/86400 s) [m, m, m/day].
    end_s : float, optional
        Time the hole is sealed [s]; logged as a ``leak_sealed`` event.
    id : str
        Name used in results (default ``leak0``, ``leak1``...).
    """

    module: str
    onset_s: float = 0.0
    diameter_m: float | None = None
    discharge_coefficient: float = 1.0
    effective_area_m2: float | None = None
    area_growth_per_day: float = 0.0
    crack_width_m: float | None = None
    crack_length_m: float | None = None
    crack_growth_m_per_day: float = 0.0
    end_s: float | None = None
    id: str = ""
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        src = self.source
        given = [self.diameter_m is not None, self.effective_area_m2 is not None,
                 self.crack_width_m is not None or self.crack_length_m is not None]
        _check(sum(given) == 1, f"leak in {self.module!r}: give exactly one of diameter_m, effective_area_m2 or "
               "crack_width_m + crack_length_m", src)
        for name in ("diameter_m", "effective_area_m2", "crack_width_m", "crack_length_m"):
            v = getattr(self, name)
            if v is not None:
                _check(_finite(v) and v >= 0, f"leak {name} must be a non-negative number, got {v!r}", src)
        if self.crack_width_m is not None or self.crack_length_m is not None:
            _check(self.crack_width_m is not None and self.crack_length_m is not None,
                   "a crack needs both crack_width_m and crack_length_m", src)
        _check(_finite(self.discharge_coefficient) and 0 < self.discharge_coefficient <= 1.0,
               f"discharge_coefficient must be in (0, 1], got {self.discharge_coefficient!r}", src)
        _check(_finite(self.onset_s) and self.onset_s >= 0, f"leak onset_s must be >= 0, got {self.onset_s!r}", src)
        _check(_finite(self.area_growth_per_day) and self.area_growth_per_day >= 0,
               f"area_growth_per_day must be >= 0, got {self.area_growth_per_day!r}", src)
        _check(_finite(self.crack_growth_m_per_day) and self.crack_growth_m_per_day >= 0,
               f"crack_growth_m_per_day must be >= 0, got {self.crack_growth_m_per_day!r}", src)
        if self.end_s is not None:
            _check(_finite(self.end_s) and self.end_s > self.onset_s,
                   f"leak end_s ({self.end_s!r}) must come after onset_s ({self.onset_s!r})", src)

    @property
    def initial_cd_area_m2(self) -> float:
        """Effective area Cd*A at onset [m^2]."""
        if self.effective_area_m2 is not None:
            return float(self.effective_area_m2)
        if self.diameter_m is not None:
            return float(self.discharge_coefficient * math.pi * self.diameter_m ** 2 / 4.0)
        return float(self.discharge_coefficient * self.crack_width_m * self.crack_length_m)

    def cd_area_m2(self, t_s) -> np.ndarray:
        """Effective area Cd*A at times ``t_s`` [m^2]; 0 before onset and from ``end_s`` on."""
        t = np.asarray(t_s, dtype=float)
        age_day = np.maximum(t - self.onset_s, 0.0) / _DAY
        if self.crack_width_m is not None:
            a = self.discharge_coefficient * self.crack_width_m * (self.crack_length_m + self.crack_growth_m_per_day * age_day)
        else:
            a = self.initial_cd_area_m2 * (1.0 + self.area_growth_per_day * age_day)
        on = t >= self.onset_s
        if self.end_s is not None:
            on &= t < self.end_s
        return np.where(on, a, 0.0)

    @property
    def growing(self) -> bool:
        """True when the hole grows with time."""
        return self.area_growth_per_day > 0 or (self.crack_width_m is not None and self.crack_growth_m_per_day > 0)


@dataclass(frozen=True)
class HatchEvent:
    """A hatch operation at ``time_s``: ``close``, ``open``, ``valve_open`` or ``valve_close``.

    ``valve_open`` opens the manual pressure-equalization valve of a closed hatch (effective area
    ``Hatch.valve_area_m2`` of the station, or ``valve_area_m2`` here when given) [m^2].
    """

    time_s: float
    hatch: str
    action: str
    valve_area_m2: float | None = None
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        _check(_finite(self.time_s) and self.time_s >= 0, f"hatch event time_s must be >= 0, got {self.time_s!r}", self.source)
        _check(self.action in HATCH_ACTIONS, f"unknown hatch action {self.action!r}", self.source,
               hint=f"use one of {', '.join(HATCH_ACTIONS)}")
        if self.valve_area_m2 is not None:
            _check(_finite(self.valve_area_m2) and self.valve_area_m2 > 0,
                   f"valve_area_m2 must be positive, got {self.valve_area_m2!r}", self.source)


@dataclass(frozen=True)
class Repress:
    """Gas added to a module (from a Progress tank, the station's N2/O2 tanks, ...).

    ``mass_kg`` [kg] of ``gas`` (``air``, ``n2`` or ``o2``) added at a constant rate over ``duration_s``
    [s] starting at ``time_s`` (0 = all at once). Logged as a ``repress`` event.
    """

    time_s: float
    module: str
    mass_kg: float
    gas: str = "air"
    duration_s: float = 0.0
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        _check(_finite(self.time_s) and self.time_s >= 0, f"repress time_s must be >= 0, got {self.time_s!r}", self.source)
        _check(_finite(self.mass_kg) and self.mass_kg > 0, f"repress mass_kg must be positive, got {self.mass_kg!r}", self.source)
        _check(self.gas in REPRESS_GASES, f"unknown repress gas {self.gas!r}", self.source,
               hint=f"use one of {', '.join(REPRESS_GASES)}")
        _check(_finite(self.duration_s) and self.duration_s >= 0, f"repress duration_s must be >= 0, got {self.duration_s!r}", self.source)


@dataclass(frozen=True)
class AirlockCycle:
    """An airlock depress / repress cycle (an EVA) of ``module``, which must be behind a closed hatch.

    Phases: pump-down from ``start_s`` for ``pump_duration_s`` recovering air into ``recover_into`` (the
    module across the closed hatch by default) until ``pump_to_pa``; vent the rest overboard over
    ``vent_duration_s`` (logged ``airlock_depress``); hold at vacuum ``hold_s``; repress from the cabin
    (``recover_into``) to equal pressure over ``repress_duration_s`` (logged ``airlock_repress``). Each
    transfer runs at a constant mass rate. Defaults follow the Quest crewlock ([3], durations estimated).
    """

    module: str
    start_s: float
    recover_into: str = ""
    pump_to_pa: float = 34474.0
    pump_duration_s: float = 1800.0
    vent_duration_s: float = 600.0
    hold_s: float = 6.5 * 3600.0
    repress_duration_s: float = 900.0
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("start_s", "pump_to_pa", "pump_duration_s", "vent_duration_s", "hold_s", "repress_duration_s"):
            v = getattr(self, name)
            _check(_finite(v) and v >= 0, f"airlock cycle {name} must be >= 0, got {v!r}", self.source)
        for name in ("pump_duration_s", "vent_duration_s", "repress_duration_s"):
            _check(getattr(self, name) > 0, f"airlock cycle {name} must be positive", self.source)

    @property
    def phases(self) -> list[tuple[str, float, float]]:
        """``(phase, start_s, end_s)`` for ``pump``, ``vent``, ``hold``, ``repress``."""
        t0 = self.start_s
        t1 = t0 + self.pump_duration_s
        t2 = t1 + self.vent_duration_s
        t3 = t2 + self.hold_s
        t4 = t3 + self.repress_duration_s
        return [("pump", t0, t1), ("vent", t1, t2), ("hold", t2, t3), ("repress", t3, t4)]

    @property
    def end_s(self) -> float:
        """End of the repress [s]."""
        return self.phases[-1][2]


@dataclass(frozen=True)
class ThermalProfile:
    """Gas temperature of a module (``"*"`` = every module without its own profile).

    T(t) = mean + orbital_amplitude sin(2 pi t / orbital_period + phase) + daily_amplitude sin(2 pi t / 1 day)
    + HVAC noise (a first-order Gauss-Markov process of std ``hvac_noise_k`` and correlation time
    ``hvac_tau_s``) + the sum of ``steps`` ``(time_s, delta_k)`` that have occurred [K].
    ``mean_k`` defaults to the module's nominal temperature.
    """

    module: str = "*"
    mean_k: float | None = None
    orbital_amplitude_k: float = 0.0
    orbital_period_s: float = ORBITAL_PERIOD_S
    orbital_phase_rad: float = 0.0
    daily_amplitude_k: float = 0.0
    hvac_noise_k: float = 0.0
    hvac_tau_s: float = 600.0
    steps: tuple[tuple[float, float], ...] = ()
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple((float(a), float(b)) for a, b in self.steps))
        for name in ("orbital_amplitude_k", "daily_amplitude_k", "hvac_noise_k"):
            v = getattr(self, name)
            _check(_finite(v) and v >= 0, f"thermal {name} must be >= 0, got {v!r}", self.source)
        _check(_finite(self.orbital_period_s) and self.orbital_period_s > 0, "thermal orbital_period_s must be positive", self.source)
        _check(_finite(self.hvac_tau_s) and self.hvac_tau_s > 0, "thermal hvac_tau_s must be positive", self.source)
        if self.mean_k is not None:
            _check(_finite(self.mean_k) and 150 < self.mean_k < 400, f"thermal mean_k must be a cabin temperature in K, got {self.mean_k!r}", self.source)


@dataclass(frozen=True)
class Crew:
    """The crew: ``count`` people in ``module`` (their O2 use and CO2 output go to that module's zone).

    O2 use ``o2_kg_per_person_day`` and CO2 output ``co2_kg_per_person_day`` ([1], BVAD). With ``o2_makeup``
    the O2 consumed is fed back every ``o2_feed_interval_s`` over ``o2_feed_duration_s`` (a saw-tooth in
    ppO2, as on the ISS); with ``co2_removal`` a scrubber removes CO2 at a first-order rate that holds
    ppCO2 at ``co2_setpoint_pa`` [Pa] in steady state.
    """

    count: int = 0
    module: str = ""
    o2_kg_per_person_day: float = O2_KG_PER_PERSON_DAY
    co2_kg_per_person_day: float = CO2_KG_PER_PERSON_DAY
    o2_makeup: bool = True
    o2_feed_interval_s: float = 12 * 3600.0
    o2_feed_duration_s: float = 1800.0
    co2_removal: bool = True
    co2_setpoint_pa: float = 400.0
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        _check(isinstance(self.count, int) and not isinstance(self.count, bool) and self.count >= 0,
               f"crew count must be a whole number >= 0, got {self.count!r}", self.source)
        _check(self.count == 0 or bool(self.module), "crew needs a module when count > 0", self.source)
        for name in ("o2_kg_per_person_day", "co2_kg_per_person_day"):
            v = getattr(self, name)
            _check(_finite(v) and v >= 0, f"crew {name} must be >= 0, got {v!r}", self.source)
        _check(_finite(self.o2_feed_interval_s) and self.o2_feed_interval_s > 0, "o2_feed_interval_s must be positive", self.source)
        _check(_finite(self.o2_feed_duration_s) and 0 < self.o2_feed_duration_s <= self.o2_feed_interval_s,
               "o2_feed_duration_s must be positive and at most o2_feed_interval_s", self.source)
        _check(_finite(self.co2_setpoint_pa) and self.co2_setpoint_pa > 0, "co2_setpoint_pa must be positive", self.source)


@dataclass(frozen=True)
class SensorFault:
    """A fault of one sensor between ``start_s`` and ``end_s`` (None = to the end).

    kinds and what ``magnitude`` means (in the sensor's unit unless said):
    ``stuck`` value frozen at its value at ``start_s``; ``drift`` a ramp of ``magnitude`` per day;
    ``bias`` a constant offset ``magnitude``; ``spike`` random spikes of amplitude ``magnitude`` at
    ``rate_per_h`` per hour; ``dropout`` each sample missing with probability ``magnitude`` (0..1, default
    1 = all); ``dead`` NaN, or the constant ``value`` when given.
    """

    sensor: str
    kind: str
    start_s: float = 0.0
    end_s: float | None = None
    magnitude: float = 0.0
    rate_per_h: float = 1.0
    value: float | None = None
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        _check(self.kind in FAULT_KINDS, f"unknown sensor fault kind {self.kind!r}", self.source,
               hint=f"use one of {', '.join(FAULT_KINDS)}")
        _check(_finite(self.start_s) and self.start_s >= 0, f"fault start_s must be >= 0, got {self.start_s!r}", self.source)
        if self.end_s is not None:
            _check(_finite(self.end_s) and self.end_s > self.start_s, "fault end_s must come after start_s", self.source)
        _check(_finite(self.magnitude), f"fault magnitude must be a number, got {self.magnitude!r}", self.source)
        if self.kind == "dropout":
            _check(0 <= self.magnitude <= 1, f"dropout magnitude is a probability 0..1, got {self.magnitude!r}", self.source)
        if self.kind == "spike":
            _check(_finite(self.rate_per_h) and self.rate_per_h >= 0, "spike rate_per_h must be >= 0", self.source)


#: Nuisance presets: ``realistic`` (the default; figures and sources in :data:`NUISANCE_SOURCES`) and ``none``
#: (the simulator before issue 16: the thermometers read the gas temperature exactly, no sensor drift).
_REALISTIC = {
    "common_offset_k": 0.05, "common_offset_tau_s": 6 * 3600.0,
    "module_offset_k": 0.02, "module_offset_tau_s": 3 * 3600.0,
    "thermometer_lag_s": 120.0, "thermometer_self_heating_k": 0.1, "thermometer_power_on_s": None,
    "thermometer_self_heating_tau_s": 1800.0,
    "pressure_drift_pa_per_day": 0.5, "pressure_random_walk_pa_per_sqrt_day": 0.5,
    "pressure_resolution_pa": None,
}
NUISANCE_PRESETS = {
    "realistic": _REALISTIC,
    # every magnitude zero, time constants kept (they only matter with a magnitude)
    "none": {k: (v if v is None or k.endswith("tau_s") else 0.0) for k, v in _REALISTIC.items()},
}
#: Where the realistic figures come from (docs/simulator.md repeats this with the arithmetic).
NUISANCE_SOURCES = {
    "common_offset_k": "estimate: 0.05 K, 5 % of the +/-2 F (1.1 K) band the ISS THC holds the cabin air to around its "
                       "set point (Scull, Devin, Bedard, SAE 981618, 1998); a bulk offset the cabin thermometers miss",
    "common_offset_tau_s": "estimate: 6 h, between the 92.6 min orbit and the day (issue 16 generator: tau 6 h)",
    "module_offset_k": "estimate: 0.02 K per module (well mixed by the IMV fans; a fraction of the common term)",
    "module_offset_tau_s": "estimate: 3 h",
    "thermometer_lag_s": "estimate: 120 s, first-order time constant of a sheathed RTD in ventilated cabin air",
    "thermometer_self_heating_k": "estimate: 0.1 K steady self-heating of a powered cabin temperature sensor",
    "pressure_drift_pa_per_day": "estimate: 0.5 Pa/day (one sigma of a sensor's linear drift); a precision silicon "
                                 "barometer drifts 0.25 hPa/year = 0.07 Pa/day (Honeywell HPB long-term stability), "
                                 "a flight sensor between calibrations is taken 7x worse",
    "pressure_random_walk_pa_per_sqrt_day": "estimate: 0.5 Pa after one day",
    "pressure_resolution_pa": "the station file's resolution (ISS Live pressure 0.1 mmHg); set e.g. 10 Pa for 0.1 hPa",
}


@dataclass(frozen=True)
class Nuisance:
    """What reality adds to the telemetry beyond sensor white noise (issue 16).

    ``preset`` (``realistic``, the default, or ``none``) gives every value; any key set here overrides it.

    Attributes
    ----------
    preset : str
        ``realistic`` or ``none`` (the one switch back to the simulator's former nominal nuisance).
    common_offset_k, common_offset_tau_s : float
        Std [K] and correlation time [s] of an Ornstein-Uhlenbeck offset of the bulk gas temperature shared
        by all modules, which the thermometers do not see (it moves the pressure, not the readings).
    module_offset_k, module_offset_tau_s : float
        The same, independent per module [K, s].
    thermometer_lag_s : float
        First-order time constant of every temperature sensor [s] (0 = none).
    thermometer_self_heating_k : float
        Mean warming of a temperature sensor by its own electronics [K]; each sensor draws 0.5-1.5 times it.
    thermometer_power_on_s, thermometer_self_heating_tau_s : float
        When given, the sensors are powered on at ``thermometer_power_on_s`` [s after start] and their
        self-heating rises as ``1 - exp(-(t - t_on) / tau)``; otherwise it is steady.
    pressure_drift_pa_per_day : float
        One sigma of each pressure-like sensor's linear drift [Pa/day].
    pressure_random_walk_pa_per_sqrt_day : float
        Random-walk drift of each pressure-like sensor [Pa after one day].
    pressure_resolution_pa : float, optional
        Quantization step of the total-pressure sensors [Pa] instead of the station file's resolution.
    """

    preset: str = "realistic"
    common_offset_k: float | None = None
    common_offset_tau_s: float | None = None
    module_offset_k: float | None = None
    module_offset_tau_s: float | None = None
    thermometer_lag_s: float | None = None
    thermometer_self_heating_k: float | None = None
    thermometer_power_on_s: float | None = None
    thermometer_self_heating_tau_s: float | None = None
    pressure_drift_pa_per_day: float | None = None
    pressure_random_walk_pa_per_sqrt_day: float | None = None
    pressure_resolution_pa: float | None = None
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        _check(self.preset in NUISANCE_PRESETS, f"unknown nuisance preset {self.preset!r}", self.source,
               hint=f"use one of {', '.join(NUISANCE_PRESETS)}")
        for name in NUISANCE_PRESETS["none"]:
            v = getattr(self, name)
            if v is not None:
                _check(_finite(v) and v >= 0, f"nuisance {name} must be a number >= 0, got {v!r}", self.source)
        for name in ("common_offset_tau_s", "module_offset_tau_s", "thermometer_self_heating_tau_s"):
            v = getattr(self, name)
            if v is not None:
                _check(v > 0, f"nuisance {name} must be positive, got {v!r}", self.source)

    def value(self, name: str):
        """The value in effect for ``name``: the key when set, else the preset's."""
        v = getattr(self, name)
        return NUISANCE_PRESETS[self.preset][name] if v is None else v

    @property
    def active(self) -> bool:
        """True when any nuisance term is non-zero."""
        return any(self.value(k) for k in ("common_offset_k", "module_offset_k", "thermometer_lag_s",
                                           "thermometer_self_heating_k", "pressure_drift_pa_per_day",
                                           "pressure_random_walk_pa_per_sqrt_day", "pressure_resolution_pa"))


@dataclass(frozen=True)
class Scenario:
    """Everything that happens during a simulation. Times in seconds after ``start``.

    Attributes
    ----------
    start : str
        ISO 8601 UTC start instant.
    duration_s, dt_s : float
        Simulated span and physics step [s].
    leaks, hatch_events, represses, airlock_cycles, thermal, sensor_faults : tuples
        See the classes.
    crew : Crew
        Crew and life support (none by default).
    nuisance : Nuisance
        Unmeasured gas-temperature offsets, thermometer lag and self-heating, pressure-sensor drift and
        coarse quantization; ``realistic`` by default, ``Nuisance("none")`` (or ``nuisance = "none"``) for none.
    initial_pressure_pa : float, optional
        Initial total pressure everywhere [Pa]; station nominal when None.
    initial_ppo2_pa, initial_ppco2_pa, initial_pph2o_pa : float
        Initial partial pressures [Pa] (the rest is N2). Defaults: ppO2 21 % of the total, ppCO2 400 Pa
        (3 mmHg), ppH2O 1300 Pa (about 10 mmHg, 50 % relative humidity at 22 C).
    sample_rate_hz : float
        Telemetry rate of every sensor [Hz].
    clock_jitter_s : float
        One-sigma jitter of telemetry time stamps [s] (stamps rounded to 1 ms).
    dropout_probability : float
        Probability that any one sample is missing (all sensors) [-].
    truth_dt_s : float
        Step of the truth table [s].
    thermo : str
        ``isothermal`` (default; slow leaks, gas held at the wall temperature) or ``adiabatic`` (fast
        venting: the gas of a leaking zone cools isentropically, no heat from the walls).
    """

    start: str = "2000-01-01T00:00:00Z"
    duration_s: float = 3600.0
    dt_s: float = 1.0
    leaks: tuple[Leak, ...] = ()
    hatch_events: tuple[HatchEvent, ...] = ()
    represses: tuple[Repress, ...] = ()
    airlock_cycles: tuple[AirlockCycle, ...] = ()
    thermal: tuple[ThermalProfile, ...] = ()
    crew: Crew = field(default_factory=Crew)
    nuisance: Nuisance = field(default_factory=Nuisance)
    sensor_faults: tuple[SensorFault, ...] = ()
    initial_pressure_pa: float | None = None
    initial_ppo2_pa: float | None = None
    initial_ppco2_pa: float = 400.0
    initial_pph2o_pa: float = 1300.0
    sample_rate_hz: float = 1.0
    clock_jitter_s: float = 0.0
    dropout_probability: float = 0.0
    truth_dt_s: float = 60.0
    thermo: str = "isothermal"
    name: str = ""
    description: str = ""
    station: str = ""
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        src = self.source
        for name in ("leaks", "hatch_events", "represses", "airlock_cycles", "thermal", "sensor_faults"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.crew is None:
            object.__setattr__(self, "crew", Crew())
        if self.nuisance is None or isinstance(self.nuisance, str):
            object.__setattr__(self, "nuisance", Nuisance(preset=self.nuisance or "realistic", source=src))
        try:
            t0 = pd.Timestamp(self.start)
        except (ValueError, TypeError):
            raise ScenarioError(f"start {self.start!r} is not an ISO 8601 time", source=src or None,
                                hint='write e.g. "2018-08-29T19:00:00Z"') from None
        if t0.tzinfo is None:
            t0 = t0.tz_localize("UTC")
        object.__setattr__(self, "start", t0.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z"))
        _check(_finite(self.duration_s) and self.duration_s > 0, f"duration_s must be positive, got {self.duration_s!r}", src)
        _check(_finite(self.dt_s) and 0 < self.dt_s <= self.duration_s, f"dt_s must be positive and at most duration_s, got {self.dt_s!r}", src)
        _check(_finite(self.sample_rate_hz) and self.sample_rate_hz > 0, f"sample_rate_hz must be positive, got {self.sample_rate_hz!r}", src)
        _check(_finite(self.truth_dt_s) and self.truth_dt_s > 0, f"truth_dt_s must be positive, got {self.truth_dt_s!r}", src)
        _check(_finite(self.clock_jitter_s) and self.clock_jitter_s >= 0, "clock_jitter_s must be >= 0", src)
        _check(_finite(self.dropout_probability) and 0 <= self.dropout_probability < 1, "dropout_probability must be in [0, 1)", src)
        _check(self.thermo in THERMO_MODELS, f"unknown thermo {self.thermo!r}", src, hint="use isothermal or adiabatic")
        if self.initial_pressure_pa is not None:
            _check(_finite(self.initial_pressure_pa) and self.initial_pressure_pa > 0, "initial_pressure_pa must be positive", src)
        for name in ("initial_ppo2_pa", "initial_ppco2_pa", "initial_pph2o_pa"):
            v = getattr(self, name)
            if v is not None:
                _check(_finite(v) and v >= 0, f"{name} must be >= 0", src)
        last = -math.inf
        for ev in self.hatch_events:
            _check(ev.time_s >= last, f"hatch events out of order: {ev.hatch} {ev.action} at {ev.time_s:g} s comes after "
                   f"an event at {last:g} s", ev.source or src, hint="list hatch events in time order")
            last = ev.time_s
        last = -math.inf
        for r in self.represses:
            _check(r.time_s >= last, f"represses out of order: {r.module} at {r.time_s:g} s", r.source or src,
                   hint="list represses in time order")
            last = r.time_s
        last = -math.inf
        for a in self.airlock_cycles:
            _check(a.start_s >= last, f"airlock cycles overlap or are out of order ({a.module} at {a.start_s:g} s)", a.source or src)
            last = a.end_s
        for items, label, attr in ((self.hatch_events, "hatch event", "time_s"), (self.represses, "repress", "time_s"),
                                   (self.airlock_cycles, "airlock cycle", "start_s")):
            for it in items:
                _check(getattr(it, attr) <= self.duration_s, f"{label} at {getattr(it, attr):g} s is after the end of the "
                       f"scenario ({self.duration_s:g} s)", it.source or src, hint="raise duration_s or drop the event")
        ids = [lk.id for lk in self.leaks if lk.id]
        _check(len(ids) == len(set(ids)), "duplicate leak id", src)
        leaks = tuple(lk if lk.id else replace(lk, id=f"leak{i}") for i, lk in enumerate(self.leaks))
        ids = [lk.id for lk in leaks]
        _check(len(ids) == len(set(ids)), "duplicate leak id (ids leakN are given to leaks without one)", src)
        object.__setattr__(self, "leaks", leaks)

    @property
    def start_time(self) -> pd.Timestamp:
        """``start`` as a UTC timestamp."""
        return pd.Timestamp(self.start)

    def time_of(self, t_s: float) -> pd.Timestamp:
        """UTC timestamp of ``t_s`` seconds after start."""
        return self.start_time + pd.to_timedelta(t_s, unit="s")


# ------------------------------------------------------------------------------------------- TOML
_TABLES = {"leak": Leak, "hatch_event": HatchEvent, "repress": Repress, "airlock_cycle": AirlockCycle,
           "thermal": ThermalProfile, "sensor_fault": SensorFault}
_SCENARIO_ATTR = {"leak": "leaks", "hatch_event": "hatch_events", "repress": "represses",
                  "airlock_cycle": "airlock_cycles", "thermal": "thermal", "sensor_fault": "sensor_faults"}
_TIME_KEYS = ("onset_s", "end_s", "time_s", "start_s")


def _to_seconds(value: Any, start: pd.Timestamp, where: str) -> float:
    try:
        if isinstance(value, (_dt.datetime, _dt.date)):
            t = pd.Timestamp(value)
        else:
            t = pd.Timestamp(str(value))
    except (ValueError, TypeError):
        raise ScenarioError(f"{value!r} is not an ISO 8601 time", source=where,
                            hint='write e.g. 2018-08-29T23:00:00Z, or give seconds after start with the _s key') from None
    if t.tzinfo is None:
        t = t.tz_localize("UTC")
    return float((t - start).total_seconds())


def _build(cls, entry: dict, table: str, index: int, lines: TomlLines, filename: str, start: pd.Timestamp):
    names = {f.name for f in fields(cls)} - {"source"}
    kwargs: dict[str, Any] = {}
    for key, value in entry.items():
        where = lines.where(filename, table, index, key)
        if key + "_s" in _TIME_KEYS and key + "_s" in names:
            if key + "_s" in entry:
                raise ScenarioError(f"both {key} and {key}_s given", source=where, hint="give one of them")
            kwargs[key + "_s"] = _to_seconds(value, start, where)
            continue
        if key not in names:
            raise ScenarioError(f"unknown key {key!r} in [{'[' + table + ']' if table not in ('crew', 'nuisance') else table}]", source=where,
                                hint=f"known keys: {', '.join(sorted(names))}")
        if key == "steps":
            if not isinstance(value, list) or not all(isinstance(s, list) and len(s) == 2 for s in value):
                raise ScenarioError("steps must be a list of [time_s, delta_k] pairs", source=where)
        elif isinstance(value, (list, dict)):
            raise ScenarioError(f"{key} must be a single value, got {value!r}", source=where)
        kwargs[key] = value
    try:
        kwargs["source"] = lines.where(filename, table, index)
        return cls(**kwargs)
    except ScenarioError as exc:
        # point at the key the message is about: the one whose value it quotes, else one it names
        words = set(re.findall(r"[A-Za-z0-9_]+", exc.message))
        keys = [k for k, v in entry.items() if not isinstance(v, (list, dict)) and (repr(v) in exc.message or str(v) in words)]
        keys += [k for k in entry if k in words]
        if keys:
            raise ScenarioError(exc.message, source=lines.where(filename, table, index, keys[0]), hint=exc.hint) from None
        raise
    except TypeError as exc:
        raise ScenarioError(f"bad [{table}] entry: {exc}", source=lines.where(filename, table, index)) from None


def parse_scenario(text: str, filename: str = "<string>") -> Scenario:
    """Parse a scenario TOML text (see the module docstring). Errors name the file, line and key."""
    data, lines = load_toml(text, filename, ScenarioError)
    top_names = {f.name for f in fields(Scenario)} - {"source", "crew", "nuisance"} - set(_SCENARIO_ATTR.values())
    allowed = top_names | set(_TABLES) | {"crew", "nuisance"}
    for key in data:
        if key not in allowed:
            raise ScenarioError(f"unknown key {key!r}", source=lines.where(filename, "", 0, key),
                                hint=f"top-level keys and tables: {', '.join(sorted(allowed))}")
    if "start" not in data:
        raise ScenarioError("missing required key 'start'", source=filename, hint='add start = "2018-08-29T19:00:00Z"')
    start_value = data["start"]
    try:
        start = pd.Timestamp(start_value if not isinstance(start_value, _dt.datetime) else start_value)
    except (ValueError, TypeError):
        raise ScenarioError(f"start {start_value!r} is not an ISO 8601 time", source=lines.where(filename, "", 0, "start")) from None
    if start.tzinfo is None:
        start = start.tz_localize("UTC")
    kwargs: dict[str, Any] = {}
    for key in top_names:
        if key in data:
            v = data[key]
            if key == "start":
                v = start.isoformat()
            elif isinstance(v, (list, dict)):
                raise ScenarioError(f"{key} must be a single value", source=lines.where(filename, "", 0, key))
            kwargs[key] = v
    for table, cls in _TABLES.items():
        if table not in data:
            continue
        entries = data[table]
        if isinstance(entries, dict):
            entries = [entries]
        if not isinstance(entries, list):
            raise ScenarioError(f"{table} must be a table array [[{table}]]", source=lines.where(filename, "", 0, table))
        kwargs[_SCENARIO_ATTR[table]] = tuple(_build(cls, e, table, i, lines, filename, start) for i, e in enumerate(entries))
    if "crew" in data:
        if not isinstance(data["crew"], dict):
            raise ScenarioError("crew must be a table [crew]", source=lines.where(filename, "", 0, "crew"))
        kwargs["crew"] = _build(Crew, data["crew"], "crew", 0, lines, filename, start)
    if "nuisance" in data:
        nu = data["nuisance"]
        if isinstance(nu, str):  # nuisance = "none" | "realistic": the one switch
            kwargs["nuisance"] = Nuisance(preset=nu, source=lines.where(filename, "", 0, "nuisance")) \
                if nu in NUISANCE_PRESETS else _bad_preset(nu, lines.where(filename, "", 0, "nuisance"))
        elif isinstance(nu, dict):
            kwargs["nuisance"] = _build(Nuisance, nu, "nuisance", 0, lines, filename, start)
        else:
            raise ScenarioError('nuisance must be "realistic", "none" or a table [nuisance]',
                                source=lines.where(filename, "", 0, "nuisance"))
    kwargs["source"] = filename
    try:
        return Scenario(**kwargs)
    except ScenarioError as exc:
        if exc.source == filename:
            for key in kwargs:
                if key in exc.message:
                    raise ScenarioError(exc.message, source=lines.where(filename, "", 0, key), hint=exc.hint) from None
        raise
    except TypeError as exc:
        raise ScenarioError(f"bad scenario: {exc}", source=filename) from None


def _bad_preset(value, where: str):
    raise ScenarioError(f"unknown nuisance preset {value!r}", source=where,
                        hint=f"use one of {', '.join(NUISANCE_PRESETS)}")


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file. Raises :class:`ScenarioError` naming the file, line and key."""
    p = Path(path)
    if not p.exists():
        raise ScenarioError(f"scenario file {p} does not exist", hint="check the path")
    if p.is_dir():
        raise ScenarioError(f"{p} is a folder, not a scenario file", hint="give a .toml file")
    return parse_scenario(p.read_text(encoding="utf-8"), str(p))


def builtin_scenario_path(name: str) -> Path:
    """Path of a scenario shipped in ``hullbreach/sim/scenarios`` (e.g. ``ms09``)."""
    return Path(str(resources.files("hullbreach.sim") / "scenarios" / f"{name}.toml"))


def ms09_scenario() -> Scenario:
    """The Soyuz MS-09 leak of 29-30 Aug 2018 on ``iss-2018`` (``hullbreach/sim/scenarios/ms09.toml``).

    A 2 mm hole in the Soyuz MS-09 orbital module with a discharge coefficient chosen so that Cd*A equals
    an ideal 1.1 mm hole (whole-station rate ~0.6 mmHg/h, reference README), onset ~23:00 UTC 29 Aug,
    sealed ~16:30 UTC 30 Aug, then a repress of ~10 mmHg from Progress; orbital and daily thermal cycles.
    """
    return load_scenario(builtin_scenario_path("ms09"))
