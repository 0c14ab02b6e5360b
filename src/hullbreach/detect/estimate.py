"""Leak estimates with 95 % intervals: mass flow, pressure rate, effective hole, reserve time.

This is where a measured rate of pressure (or air-mass) loss becomes the numbers a flight director
uses. Uncertainty is propagated by Monte Carlo over the inputs that matter (rate, free gas volume,
temperature), because the answers are non-linear in them (reserve time ~ 1/rate).

Conventions (docs/design.md §3.3): ``leak_mass_flow_kg_s`` is the outflow (positive for a leak);
``pressure_rate_pa_s`` is dp/dt (negative for a leak); ``effective_hole_diameter_m`` is the diameter of an
ideal (Cd = 1) orifice passing the same flow — the physical hole is larger by 1/sqrt(Cd).

References
----------
.. [1] Choked orifice flow and isothermal blowdown: see :mod:`hullbreach.physics.orifice` and
   :mod:`hullbreach.physics.blowdown`.
.. [2] Reserve time at the current rate: S. Cristoforetti, training logbook, 30 Sep 2013 (docs/reference/figures.md).
.. [3] Discharge coefficients of sharp-edged and short-tube orifices in compressible flow lie between about
   0.6 and 0.9 (R. C. Johnson, *Calculations of real-gas effects in flow through critical-flow nozzles*, and
   ISO 5167-2 for sharp-edged orifices, Cd ~ 0.6); drilled holes in a 2 mm wall are short tubes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from hullbreach.constants import GAMMA_AIR, R_AIR
from hullbreach.errors import PhysicsError
from hullbreach.physics import (
    area_from_diameter,
    choked_mass_flow,
    constant_rate_time_to_pressure,
    diameter_from_area,
    effective_area_from_mass_flow,
    isothermal_time_to_pressure,
)
from hullbreach.uncertain import Interval

#: Default one-sigma relative uncertainty of a zone's free gas volume [-]. Published ISS volumes are
#: pressurized volumes; racks and stowage displace part of it. 3 % is an estimate, stated as such.
DEFAULT_VOLUME_REL_STD = 0.03
#: Default one-sigma uncertainty of the zone's mean gas temperature [K] (estimate; ISS cabin 18-27 C).
DEFAULT_TEMPERATURE_STD_K = 1.5
#: Range of discharge coefficients of a real hole, used to bound the physical diameter ([3]).
DISCHARGE_COEFFICIENT_RANGE = (0.6, 0.9)

RESERVE_MODELS = ("constant-rate", "constant-hole")


#: Scale of the half-normal prior on the baseline loss, in units of the station's background allowance [-].
BASELINE_PRIOR_SPREAD = 1.0
#: Shortest history before a leak's onset whose loss rate is taken as the baseline the leak adds to [s] (3 h: more
#: than one CO2-removal half-cycle, 144 min on the third generator; ISS-like stations vent every few hours).
BASELINE_MIN_S = 3.0 * 3600.0


def widened(est: LeakEstimate, other: LeakEstimate, note: str, down: bool = True) -> LeakEstimate:
    """``est`` with its leak intervals reaching to those of ``other``, the same zone's leak under another reading of
    the data: smaller (``down``: part of the loss taken as background; the lower ends of the mass flow, area and hole
    diameters and the upper end of the negative pressure rate extended) or larger (part of the background taken as
    this leak, older than its onset; the other ends). The point estimates and the reserve time (counted at the
    total loss either way) stay ``est``'s; ``note`` is added."""
    def grow(i: Interval, j: Interval) -> Interval:
        return Interval(i.estimate, min(i.low, j.low), i.high) if down else Interval(i.estimate, i.low, max(i.high, j.high))
    r, q = est.pressure_rate_pa_s, other.pressure_rate_pa_s
    rate = Interval(r.estimate, r.low, max(r.high, q.high)) if down else Interval(r.estimate, min(r.low, q.low), r.high)
    return replace(est, notes=est.notes + (note,), pressure_rate_pa_s=rate,
                   **{k: grow(getattr(est, k), getattr(other, k)) for k in
                      ("leak_mass_flow_kg_s", "effective_area_m2", "effective_hole_diameter_m", "physical_hole_diameter_m")})


def baseline_loss(measured: float, measured_std: float, allowance: float) -> tuple:
    """The loss rate under way before a leak's onset (any rate unit, e.g. kg per bin) and its standard error: the
    slope measured before the onset (``measured`` +- ``measured_std``, positive = losing; NaN: nothing measured)
    combined with a prior, and kept to losses (truncated at 0: N2 only leaves a cabin, and a net gain of air before
    the onset is not a loss to take off the leak).

    The prior is a half-normal of scale :data:`BASELINE_PRIOR_SPREAD` times ``allowance``, the station's background
    allowance (the ISS figure per cubic metre, ``hullbreach.detect.glr.BACKGROUND_KG_DAY``): a loss of that order or
    less (mean 0.8, 95 % below 2 allowances). It decides when a few hours of a noisy track measure the baseline
    poorly (an N2 track from a port-switching analyser); a day of a clean track decides by itself. The update is
    the conjugate normal one (inverse-variance weighting, e.g. Gelman et al., *Bayesian Data Analysis*, 3rd ed.,
    §2.5), then truncated (:func:`_nonnegative`). ``allowance <= 0`` (no prior): the measurement."""
    s0 = BASELINE_PRIOR_SPREAD * allowance
    if not allowance > 0:
        return float(measured), float(measured_std)
    if not math.isfinite(measured_std) or not math.isfinite(measured):
        return _nonnegative(0.0, float(s0))
    if not measured_std > 0:
        return max(float(measured), 0.0), 0.0
    w_m, w_0 = 1.0 / measured_std ** 2, 1.0 / s0 ** 2
    return _nonnegative(float(w_m * measured / (w_m + w_0)), float(1.0 / math.sqrt(w_m + w_0)))


def _nonnegative(mu: float, sd: float) -> tuple:
    """Mean and standard deviation of a normal ``(mu, sd)`` truncated to ``>= 0`` [unit of ``mu``] (truncated normal
    moments, N. L. Johnson, S. Kotz and N. Balakrishnan, *Continuous Univariate Distributions*,
    vol. 1, 2nd ed., §10.1)."""
    if not sd > 0:
        return max(mu, 0.0), 0.0
    a = -mu / sd
    z = 0.5 * math.erfc(a / math.sqrt(2.0))  # P(X >= 0)
    if z < 1e-12:
        return 0.0, 0.0
    lam = math.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi) / z
    return mu + sd * lam, sd * math.sqrt(max(1.0 + a * lam - lam * lam, 0.0))


@dataclass(frozen=True)
class LeakEstimate:
    """What a leak means for one pressure zone, every uncertain number with its 95 % interval.

    Attributes
    ----------
    zone : tuple[str, ...]
        Module ids of the zone.
    volume_m3 : float
        Zone volume used [m^3].
    pressure_pa : float
        Zone pressure now [Pa].
    temperature_k : float
        Zone temperature used [K].
    threshold_pressure_pa : float
        Evacuation pressure [Pa].
    leak_mass_flow_kg_s : Interval
        Air outflow [kg s^-1].
    pressure_rate_pa_s : Interval
        dp/dt [Pa s^-1], negative for a leak.
    effective_area_m2 : Interval
        Cd*A [m^2].
    effective_hole_diameter_m : Interval
        Equivalent ideal-orifice (Cd = 1) diameter [m].
    physical_hole_diameter_m : Interval
        Diameter of a real hole with Cd in :data:`DISCHARGE_COEFFICIENT_RANGE` [m].
    reserve_time_s : Interval
        Time until the zone reaches the threshold [s].
    reserve_model : str
        ``constant-rate`` (at the current rate, the operational definition) or ``constant-hole``
        (isothermal exponential blowdown through the same hole; longer).
    """

    zone: tuple
    volume_m3: float
    pressure_pa: float
    temperature_k: float
    threshold_pressure_pa: float
    leak_mass_flow_kg_s: Interval
    pressure_rate_pa_s: Interval
    effective_area_m2: Interval
    effective_hole_diameter_m: Interval
    physical_hole_diameter_m: Interval
    reserve_time_s: Interval
    reserve_model: str = "constant-rate"
    notes: tuple = field(default_factory=tuple)

    def to_json(self) -> dict:
        """JSON dict with docs/design.md §3.3 key names."""
        return {
            "zone": list(self.zone),
            "volume_m3": self.volume_m3,
            "pressure_pa": self.pressure_pa,
            "temperature_k": self.temperature_k,
            "threshold_pressure_pa": self.threshold_pressure_pa,
            "leak_mass_flow_kg_s": self.leak_mass_flow_kg_s.to_json(),
            "pressure_rate_pa_s": self.pressure_rate_pa_s.to_json(),
            "effective_area_m2": self.effective_area_m2.to_json(),
            "effective_hole_diameter_m": self.effective_hole_diameter_m.to_json(),
            "physical_hole_diameter_m": self.physical_hole_diameter_m.to_json(),
            "reserve_time_s": self.reserve_time_s.to_json(),
            "reserve_model": self.reserve_model,
            "notes": list(self.notes),
        }


def _interval(samples: np.ndarray, point: float) -> Interval:
    s = np.asarray(samples, dtype=float)
    finite = s[np.isfinite(s)]
    if finite.size < 0.975 * s.size:  # more than 2.5 % infinite: the upper end is open
        lo = float(np.percentile(np.where(np.isfinite(s), s, np.inf), 2.5)) if finite.size else math.inf
        return Interval(point, min(lo, point), math.inf)
    lo, hi = np.percentile(s, [2.5, 97.5])
    return Interval(point, float(min(lo, point)), float(max(hi, point)))


def percentiles_linear(rows: np.ndarray, q_pct) -> np.ndarray:
    """``np.percentile(rows, q_pct, axis=1)`` (method ``linear``, Hyndman and Fan 1996 type 7) from one sort
    of each row: the same order statistics and the same interpolation formula as NumPy (virtual index
    ``(n - 1) q``, ``a + (b - a) g``, or ``b - (b - a)(1 - g)`` for ``g >= 0.5``; a row holding NaN gives NaN),
    so the same numbers bit for bit (tested against NumPy; only a zero order statistic may carry the other
    sign, as sorting and NumPy's partition may leave -0.0 and 0.0 in either order), about 4x faster for the
    Monte Carlo rows of 4000 samples (NumPy partitions around six indices, including the minimum and
    maximum).

    Parameters
    ----------
    rows : ndarray (m, n)
        Samples, one row per quantity (any unit).
    q_pct : sequence of float
        Percentiles in [0, 100].

    Returns
    -------
    ndarray (len(q_pct), m)
        In the unit of ``rows``.
    """
    s = np.sort(np.asarray(rows, dtype=float), axis=1)
    n = s.shape[1]
    q = np.true_divide(np.asarray(q_pct, dtype=float), 100)
    virtual = (n - 1) * q
    prev = np.floor(virtual)
    nxt = prev + 1
    above = virtual >= n - 1
    prev[above], nxt[above] = -1, -1
    below = virtual < 0
    prev[below], nxt[below] = 0, 0
    prev_i, next_i = prev.astype(np.intp), nxt.astype(np.intp)
    gamma = (virtual - prev_i)[:, None]
    a, b = s[:, prev_i].T, s[:, next_i].T
    with np.errstate(invalid="ignore"):  # inf - inf at an infinite order statistic: NaN, as NumPy's
        diff = b - a
        out = a + diff * gamma
        out = np.where(gamma >= 0.5, b - diff * (1 - gamma), out)
    nan_rows = np.isnan(s[:, -1])
    if nan_rows.any():
        out[:, nan_rows] = s[nan_rows, -1]
    return out


def _intervals(pairs) -> list:
    """``[_interval(samples, point) for samples, point in pairs]``, the percentiles of all sample arrays with
    at most 2.5 % non-finite values taken in one :func:`percentiles_linear` call along the rows of their stack
    (the same order statistics and interpolation per row as ``np.percentile`` per array: the same numbers,
    tested)."""
    out: list = [None] * len(pairs)
    rows, arrs = [], []
    for i, (samples, point) in enumerate(pairs):
        s = np.asarray(samples, dtype=float)
        if np.count_nonzero(np.isfinite(s)) < 0.975 * s.size or s.ndim != 1 or (arrs and len(s) != len(arrs[0])):
            out[i] = _interval(s, point)
        else:
            rows.append(i)
            arrs.append(s)
    if rows:
        q = percentiles_linear(np.stack(arrs), (2.5, 97.5))
        for r, i in enumerate(rows):
            point = pairs[i][1]
            lo, hi = q[0, r], q[1, r]
            out[i] = Interval(point, float(min(lo, point)), float(max(hi, point)))
    return out


@functools.lru_cache(maxsize=16)
def _rate_draws(seed: int, n_samples: int):
    """The random draws of :func:`estimate_from_rate` for a seed, in its order (rate, volume, temperature:
    standard normal; discharge coefficient: uniform over :data:`DISCHARGE_COEFFICIENT_RANGE`), drawn once per
    seed and sample count (read-only arrays: the same numbers as drawing them at every call)."""
    rng = np.random.default_rng(seed)
    out = (rng.standard_normal(n_samples), rng.standard_normal(n_samples), rng.standard_normal(n_samples),
           rng.uniform(*DISCHARGE_COEFFICIENT_RANGE, n_samples))
    for a in out:
        a.flags.writeable = False
    return out


def reserve_time(pressure_pa, threshold_pa, loss_rate_pa_s, model: str = "constant-rate"):
    """Reserve time [s] at a pressure-loss rate (positive = losing), by model ([1], [2]).

    ``constant-rate``: (p - p_th) / rate. ``constant-hole``: the loss rate falls with pressure
    (isothermal blowdown, tau = p / rate), so t = (p/rate) ln(p / p_th).
    """
    if model == "constant-rate":
        return constant_rate_time_to_pressure(pressure_pa, threshold_pa, loss_rate_pa_s)
    if model == "constant-hole":
        r = np.asarray(loss_rate_pa_s, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = np.where(r > 0, np.asarray(pressure_pa, dtype=float) / np.where(r > 0, r, 1.0), np.inf)
        return isothermal_time_to_pressure(pressure_pa, threshold_pa, tau)
    raise PhysicsError(f"unknown reserve model {model!r}", hint=f"use one of {', '.join(RESERVE_MODELS)}")


def estimate_from_rate(
    *,
    zone: tuple,
    volume_m3: float,
    pressure_pa: float,
    temperature_k: float,
    loss_rate_pa_s: float,
    loss_rate_std_pa_s: float = 0.0,
    threshold_pa: float,
    reserve_model: str = "constant-rate",
    background_loss_rate_pa_s: float = 0.0,
    volume_rel_std: float = DEFAULT_VOLUME_REL_STD,
    temperature_std_k: float = DEFAULT_TEMPERATURE_STD_K,
    gamma: float = GAMMA_AIR,
    r_specific: float = R_AIR,
    n_samples: int = 20000,
    seed: int = 0,
) -> LeakEstimate:
    """A :class:`LeakEstimate` from a measured rate of pressure loss in a zone.

    Parameters
    ----------
    loss_rate_pa_s : float
        Rate of pressure loss [Pa s^-1], positive for a leak (at constant temperature).
    loss_rate_std_pa_s : float
        One-sigma uncertainty of that rate [Pa s^-1] (from the fit).
    volume_m3, pressure_pa, temperature_k, threshold_pa
        Zone volume [m^3], pressure now [Pa], mean temperature [K], evacuation pressure [Pa].
    reserve_model : str
        ``constant-rate`` or ``constant-hole``.
    background_loss_rate_pa_s : float
        Loss already under way before the leak [Pa s^-1] (>= 0; CO2-removal venting, the station's background
        leakage, or an older leak): not the hole's, so the rate, flow and hole are the leak's own
        (``loss_rate_pa_s``), but the pressure falls at the sum, so the reserve time is counted at the sum.
    volume_rel_std, temperature_std_k
        One-sigma input uncertainties (relative, [K]).

    Notes
    -----
    Mass flow: mdot = V/(R T) * (-dp/dt) at constant T (ideal gas). Effective area from the choked-flow
    inverse at the current pressure. All intervals are 2.5/97.5 percentiles of the propagated samples.
    """
    if volume_m3 <= 0 or pressure_pa <= 0 or temperature_k <= 0:
        raise PhysicsError("volume, pressure and temperature must be positive")
    if not (math.isfinite(loss_rate_pa_s) and math.isfinite(loss_rate_std_pa_s)) or loss_rate_std_pa_s < 0:
        raise PhysicsError("the loss rate and its uncertainty must be finite (and the uncertainty >= 0)")
    if not (math.isfinite(background_loss_rate_pa_s) and background_loss_rate_pa_s >= 0):
        raise PhysicsError("the background loss rate must be finite and >= 0")
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        z_rate, z_vol, z_temp, cd = _rate_draws(int(seed), int(n_samples))
    else:  # a seed that is not a plain integer (None, a SeedSequence...): drawn at every call
        z_rate, z_vol, z_temp, cd = _rate_draws.__wrapped__(seed, n_samples)
    rate = loss_rate_pa_s + loss_rate_std_pa_s * z_rate
    vol = volume_m3 * np.exp(volume_rel_std * z_vol)
    temp = temperature_k + temperature_std_k * z_temp

    def derived(rate_, vol_, temp_):
        mdot = vol_ / (r_specific * temp_) * rate_
        area = effective_area_from_mass_flow(np.maximum(mdot, 0.0), pressure_pa, temp_, gamma, r_specific)
        d_eff = diameter_from_area(area)
        reserve = reserve_time(pressure_pa, threshold_pa, rate_ + background_loss_rate_pa_s, reserve_model)
        return mdot, area, d_eff, reserve

    p_mdot, p_area, p_d, p_res = (float(x) for x in derived(loss_rate_pa_s, volume_m3, temperature_k))
    s_mdot, s_area, s_d, s_res = derived(rate, vol, temp)
    s_phys = diameter_from_area(s_area / cd)
    p_phys = float(diameter_from_area(p_area / np.mean(DISCHARGE_COEFFICIENT_RANGE)))
    notes = (
        f"reserve time assumes a {reserve_model.replace('-', ' ')}",
        "effective hole = ideal orifice (Cd = 1) with the same flow; physical hole for Cd 0.6-0.9",
    ) + ((f"reserve time at the total loss: this leak plus {background_loss_rate_pa_s * 3600.0:.3g} Pa/h lost "
          "before it",) if background_loss_rate_pa_s > 0 else ())
    i_mdot, i_rate, i_area, i_d, i_phys, i_res = _intervals(
        [(s_mdot, p_mdot), (-rate, -loss_rate_pa_s), (s_area, p_area), (s_d, p_d), (s_phys, p_phys), (s_res, p_res)])
    return LeakEstimate(
        zone=tuple(zone),
        volume_m3=float(volume_m3),
        pressure_pa=float(pressure_pa),
        temperature_k=float(temperature_k),
        threshold_pressure_pa=float(threshold_pa),
        leak_mass_flow_kg_s=i_mdot,
        pressure_rate_pa_s=i_rate,
        effective_area_m2=i_area,
        effective_hole_diameter_m=i_d,
        physical_hole_diameter_m=i_phys,
        reserve_time_s=i_res,
        reserve_model=reserve_model,
        notes=notes,
    )


def loss_rate_from_hole(*, volume_m3: float, pressure_pa: float, temperature_k: float, diameter_m: float,
                        discharge_coefficient: float = 1.0, gamma: float = GAMMA_AIR, r_specific: float = R_AIR) -> float:
    """Pressure-loss rate [Pa s^-1] of a zone through a choked hole, isothermal: R T / V * mdot ([1])."""
    if diameter_m <= 0 or not 0 < discharge_coefficient <= 1:
        raise PhysicsError("hole diameter must be positive and the discharge coefficient in (0, 1]")
    mdot = choked_mass_flow(discharge_coefficient * area_from_diameter(diameter_m), pressure_pa, temperature_k, gamma, r_specific)
    return float(mdot * r_specific * temperature_k / volume_m3)


THERMO_MODELS = ("isothermal", "adiabatic")


def estimate_from_hole(
    *,
    zone: tuple,
    volume_m3: float,
    pressure_pa: float,
    temperature_k: float,
    diameter_m: float,
    threshold_pa: float,
    discharge_coefficient: float | None = None,
    thermo: str = "isothermal",
    volume_rel_std: float = DEFAULT_VOLUME_REL_STD,
    temperature_std_k: float = DEFAULT_TEMPERATURE_STD_K,
    gamma: float = GAMMA_AIR,
    r_specific: float = R_AIR,
    n_samples: int = 20000,
    seed: int = 0,
) -> LeakEstimate:
    """A :class:`LeakEstimate` for a hole of known physical diameter (constant-hole reserve time).

    Parameters
    ----------
    diameter_m : float
        Physical hole diameter [m].
    discharge_coefficient : float or None
        Cd of the hole [-]; ``None`` samples it uniformly over :data:`DISCHARGE_COEFFICIENT_RANGE` (the
        estimate uses the middle), so the interval covers not knowing the hole's shape.
    thermo : str
        ``isothermal`` (slow leaks; exponential blowdown, [1]) or ``adiabatic`` (fast venting,
        isentropic closed form of :mod:`hullbreach.physics.blowdown`).

    Notes
    -----
    The reserve time is the time for a constant hole to bring the zone from ``pressure_pa`` to
    ``threshold_pa``; the rates are those at ``pressure_pa``.
    """
    from hullbreach.physics import adiabatic_time_to_pressure, isothermal_time_constant

    if thermo not in THERMO_MODELS:
        raise PhysicsError(f"unknown thermodynamic model {thermo!r}", hint="use isothermal or adiabatic")
    if diameter_m <= 0 or not math.isfinite(diameter_m):
        raise PhysicsError(f"hole diameter must be a positive number, got {diameter_m!r}")
    if discharge_coefficient is not None and not 0 < discharge_coefficient <= 1:
        raise PhysicsError(f"discharge coefficient must be in (0, 1], got {discharge_coefficient}")
    if volume_m3 <= 0 or pressure_pa <= 0 or temperature_k <= 0:
        raise PhysicsError("volume, pressure and temperature must be positive")
    rng = np.random.default_rng(seed)
    cd_point = float(np.mean(DISCHARGE_COEFFICIENT_RANGE)) if discharge_coefficient is None else float(discharge_coefficient)
    cd = (rng.uniform(*DISCHARGE_COEFFICIENT_RANGE, n_samples) if discharge_coefficient is None
          else np.full(n_samples, cd_point))
    vol = volume_m3 * np.exp(volume_rel_std * rng.standard_normal(n_samples))
    temp = temperature_k + temperature_std_k * rng.standard_normal(n_samples)
    hole = float(area_from_diameter(diameter_m))

    def derived(cd_, vol_, temp_):
        area = cd_ * hole
        mdot = choked_mass_flow(area, pressure_pa, temp_, gamma, r_specific)
        rate = mdot * r_specific * temp_ / vol_
        tau = isothermal_time_constant(vol_, area, temp_, gamma, r_specific)
        if thermo == "isothermal":
            reserve = isothermal_time_to_pressure(pressure_pa, threshold_pa, tau)
        else:
            reserve = adiabatic_time_to_pressure(pressure_pa, threshold_pa, tau, gamma)
        return mdot, rate, area, diameter_from_area(area), reserve

    p = [float(x) for x in derived(cd_point, volume_m3, temperature_k)]
    s = derived(cd, vol, temp)
    return LeakEstimate(
        zone=tuple(zone),
        volume_m3=float(volume_m3),
        pressure_pa=float(pressure_pa),
        temperature_k=float(temperature_k),
        threshold_pressure_pa=float(threshold_pa),
        leak_mass_flow_kg_s=_interval(s[0], p[0]),
        pressure_rate_pa_s=_interval(-s[1], -p[1]),
        effective_area_m2=_interval(s[2], p[2]),
        effective_hole_diameter_m=_interval(s[3], p[3]),
        physical_hole_diameter_m=Interval.exact(float(diameter_m)),
        reserve_time_s=_interval(s[4], p[4]),
        reserve_model="constant-hole",
        notes=(f"reserve time assumes a constant hole ({thermo} blowdown)",
               "discharge coefficient " + (f"{cd_point:g}" if discharge_coefficient is not None
                                           else "unknown: sampled over 0.6-0.9")),
    )
