"""Probability that meteoroids or orbital debris perforate a wall: analytic quadrature and Monte Carlo.

The expected number of perforations of a wall of area A over an exposure T is

    N = A T  E_{v, theta}[ F( >= d*(v, theta) ) ],   P = 1 - exp(-N)   (Poisson),

the standard MMOD risk integral (NASA/TM-2009-214785 §2.7, Bumper code: "the number of MMOD particles that
exceed the ballistic limits"). F is the cumulative flux (``flux.py``), d* the larger of the ballistic-limit
diameter and the particle size that leaves the smallest hole of interest. The ballistic limit is either the
handbook's hard line (``limit=None``: d* = d_c, ``ballistic.py``) or the probabilistic limit of
``perforation.py`` (``limit=`` a fitted model): P(perforation | d) = Phi((ln d - m)/s + k) is a lognormal
threshold D*, so the expected count is E_{v, theta, U}[F(>= exp(m + s (U - k)))], U ~ N(0, 1) -- the flux
integrated against P(perforation) (integration by parts), one extra normal draw per Monte Carlo sample and
Gauss-Hermite nodes in the quadrature. Speeds follow
the handbook-based distributions of ``flux.py``; angles follow the cosine law of an isotropic flux on a
plate. Units: SI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hullbreach.cause import ballistic, flux, perforation
from hullbreach.errors import PhysicsError
from hullbreach.uncertain import Interval

POPULATIONS = ("meteoroid", "orbital_debris")

#: Multiplicative model uncertainty on the fluxes (95 % range = estimate x/÷ factor) [-]. An engineering
#: allowance, not a published figure: Grün+corrections and SSP 30425B differ by ~11 % at 3 mm (Table 2-3,
#: tests), while debris models for mm sizes have changed by factors of 2-3 between ORDEM versions.
FLUX_UNCERTAINTY_FACTOR = {"meteoroid": 2.0, "orbital_debris": 3.0}


@dataclass(frozen=True)
class Exposure:
    """What is exposed, where and for how long.

    area_m2 [m^2], duration_s [s], altitude_m [m], year (debris epoch), inclination_deg [deg],
    surface ("random", "ram"/"forward", "wake"/"aft", "port", "starboard", "zenith", "nadir"),
    min_hole_diameter_m [m]: the smallest hole of interest (0 = any perforation).
    """

    area_m2: float
    duration_s: float
    altitude_m: float = 400e3
    year: float = 2018.0
    inclination_deg: float = 51.6
    surface: str = "random"
    min_hole_diameter_m: float = 0.0

    def __post_init__(self):
        for k in ("area_m2", "duration_s", "altitude_m"):
            v = getattr(self, k)
            if not (math.isfinite(v) and v > 0):
                raise PhysicsError(f"exposure {k} must be > 0, got {v!r}")
        if not (self.min_hole_diameter_m >= 0):
            raise PhysicsError("min_hole_diameter_m must be >= 0")
        flux.surface_factor("debris", self.surface)  # validates the name


@dataclass(frozen=True)
class PenetrationResult:
    """Expected perforations and their probability for one population (or the total).

    expected_number [-], probability [-] (1 - exp(-N)), std_error: MC standard error of N (0 for
    quadrature), interval: 95 % range of the probability from :data:`FLUX_UNCERTAINTY_FACTOR`.
    """

    population: str
    expected_number: float
    probability: float
    method: str
    std_error: float
    n_samples: int
    interval: Interval

    def to_json(self) -> dict:
        return {"population": self.population, "expected_number": self.expected_number,
                "probability": self.interval.to_json(), "method": self.method,
                "std_error": self.std_error, "n_samples": self.n_samples}


def _density(population: str) -> float:
    return flux.METEOROID_DENSITY_KG_M3 if population == "meteoroid" else flux.DEBRIS_DENSITY_KG_M3


def _speed_range(population: str) -> tuple[float, float]:
    """Smallest and largest impact speed [m/s] of the population's speed model."""
    if population == "meteoroid":
        return flux.METEOROID_SPEED_MIN_M_S, flux.METEOROID_SPEED_MAX_M_S
    return flux.DEBRIS_SPEED_MIN_M_S, flux.DEBRIS_SPEED_MAX_M_S


def _hashable(*objs) -> bool:
    try:
        hash(objs)
    except TypeError:
        return False
    return True


def _check_population(population: str) -> None:
    if population not in POPULATIONS:
        raise PhysicsError(f"unknown population {population!r}", hint=f"use one of {', '.join(POPULATIONS)}")


def _flux_at(population, exposure: Exposure, d):
    """Cumulative flux [m^-2 s^-1] of particles of diameter >= ``d`` [m] (and >= the minimum-hole size)."""
    if exposure.min_hole_diameter_m > 0:
        d = np.maximum(d, exposure.min_hole_diameter_m / ballistic.HOLE_TO_PARTICLE_RATIO.estimate)
    if population == "meteoroid":
        return flux.meteoroid_flux_diameter_m2_s(d, exposure.altitude_m, exposure.surface, _density(population))
    return flux.debris_flux_m2_s(d, exposure.year, exposure.altitude_m, exposure.inclination_deg, exposure.surface)


def _flux_above(population, wall, exposure: Exposure, v, th, limit=None, u=None, band: int = 0):
    """Cumulative flux [m^-2 s^-1] of particles that perforate (and leave a hole >= the minimum).

    ``limit``: None = the hard BLE; a ``perforation.LimitModel``: the threshold exp(m + s (u - k)) for
    standard-normal ``u`` (same shape as ``v`` or broadcastable); ``band`` -1/+1: the low/high end of the
    model's 95 % threshold band."""
    rho = _density(population)
    if limit is None:
        return _flux_at(population, exposure, ballistic.critical_diameter_m(wall, v, th, rho))
    m, s = perforation.threshold(limit, wall, v, th, rho, band=band)
    return _flux_at(population, exposure, np.exp(m + s * (u - limit.shift)))


def _result(population, n_exp, method, se, n, n_band=None) -> PenetrationResult:
    """``n_band``: (N at the high, N at the low end of the limit model's threshold band), widened further by
    the flux factor (the two taken as fully correlated: conservative width)."""
    k = FLUX_UNCERTAINTY_FACTOR.get(population)
    if k is None:  # total: combine the two as fully correlated bounds (conservative width)
        k = max(FLUX_UNCERTAINTY_FACTOR.values())
    n_lo, n_hi = n_band or (n_exp, n_exp)
    p = -math.expm1(-n_exp)
    iv = Interval(p, -math.expm1(-n_lo / k), -math.expm1(-n_hi * k))
    return PenetrationResult(population, n_exp, p, method, se, n, iv)


def expected_penetrations_analytic(wall, exposure: Exposure, population: str, nodes: int = 160,
                                   limit=None, band: int = 0, hermite: int = 16,
                                   with_band: bool = True) -> PenetrationResult:
    """N and P by Gauss-Legendre quadrature over speed and sin^2(angle) (uniform for the cosine law).

    The speed integral is split at the kinks of the speed densities; ``nodes`` points per panel. With a
    probabilistic ``limit`` (``perforation.LimitModel``) the threshold is integrated by ``hermite``
    Gauss-Hermite nodes; ``band`` -1/+1 evaluates the low/high end of the model's threshold band, and
    ``with_band`` adds both ends to the 95 % range (two more quadratures).
    """
    _check_population(population)
    if population == "meteoroid":
        panels = [(flux.METEOROID_SPEED_MIN_M_S, 25e3), (25e3, flux.METEOROID_SPEED_MAX_M_S)]
        pdf = flux.meteoroid_speed_pdf
    else:
        panels = [(flux.DEBRIS_SPEED_MIN_M_S, 11e3), (11e3, flux.DEBRIS_SPEED_MAX_M_S)]
        pdf = flux.debris_speed_pdf
    x, w = np.polynomial.legendre.leggauss(nodes)
    u = 0.5 * (x + 1.0)  # sin^2(theta) in (0, 1)
    wu = 0.5 * w
    th = np.arcsin(np.sqrt(u))
    total = 0.0
    for a, b in panels:
        v = 0.5 * (b - a) * x + 0.5 * (b + a)
        wv = 0.5 * (b - a) * w * pdf(v)
        V, TH = np.meshgrid(v, th, indexing="ij")
        if limit is None:
            f = _flux_above(population, wall, exposure, V, TH)
        else:  # the threshold once per node, then the flux at each Gauss-Hermite point of U
            xh, wh = np.polynomial.hermite_e.hermegauss(hermite)
            wh = wh / wh.sum()
            m, s = perforation.threshold(limit, wall, V, TH, _density(population), band=band)
            f = sum(w_ * _flux_at(population, exposure, np.exp(m + s * (x_ - limit.shift))) for x_, w_ in zip(xh, wh))
        total += float(wv @ f @ wu)
    n_exp = total * exposure.area_m2 * exposure.duration_s
    if limit is None or band or not with_band:
        return _result(population, n_exp, "quadrature", 0.0, 0)
    n_band = tuple(expected_penetrations_analytic(wall, exposure, population, nodes, limit, b, hermite).expected_number
                   for b in (+1, -1))
    return _result(population, n_exp, "quadrature", 0.0, 0, n_band)


def expected_penetrations_mc(wall, exposure: Exposure, population: str, n: int = 100_000,
                             seed: int | np.random.Generator = 0, limit=None) -> PenetrationResult:
    """N and P by vectorised Monte Carlo over speed and angle (and, with a probabilistic ``limit``, the
    threshold); ``std_error`` is the standard error of N."""
    _check_population(population)
    if n < 2:
        raise PhysicsError("Monte Carlo needs at least 2 samples")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if population == "meteoroid":
        v = flux.meteoroid_speed_sample_m_s(rng, n)
    else:
        v = flux.debris_speed_sample_m_s(rng, n)
    th = flux.impact_angle_sample_rad(rng, n)
    if limit is None:
        f = _flux_above(population, wall, exposure, v, th)
    elif _hashable(limit, wall):  # the threshold from its cached table: one bilinear lookup per sample
        lo, hi = _speed_range(population)
        m, s = perforation.threshold_table(limit, wall, _density(population), lo, hi)(v, th)
        f = _flux_at(population, exposure, np.exp(m + s * (rng.standard_normal(n) - limit.shift)))
    else:  # a model built with lists cannot key the cache: the exact threshold
        f = _flux_above(population, wall, exposure, v, th, limit, rng.standard_normal(n))
    scale = exposure.area_m2 * exposure.duration_s
    n_exp = float(f.mean()) * scale
    se = float(f.std(ddof=1)) / math.sqrt(n) * scale
    return _result(population, n_exp, "monte-carlo", se, n)


def penetration_probability(wall, exposure: Exposure, method: str = "quadrature", n: int = 100_000,
                            seed: int = 0, limit=None) -> dict[str, PenetrationResult]:
    """Per-population and total perforation probability: ``{"meteoroid", "orbital_debris", "total"}``.

    ``limit``: None = hard handbook BLE; a ``perforation.LimitModel`` = probabilistic limit (the 95 % range
    then also spans the model's threshold band; with the quadrature method only)."""
    out = {}
    rng = np.random.default_rng(seed)
    for pop in POPULATIONS:
        if method == "quadrature":
            out[pop] = expected_penetrations_analytic(wall, exposure, pop, limit=limit)
        elif method in ("mc", "monte-carlo"):
            out[pop] = expected_penetrations_mc(wall, exposure, pop, n, rng, limit=limit)
        else:
            raise PhysicsError(f"unknown method {method!r}", hint="use 'quadrature' or 'mc'")
    n_tot = sum(r.expected_number for r in out.values())
    se = math.sqrt(sum(r.std_error**2 for r in out.values()))
    tot = _result("total", n_tot, out["meteoroid"].method, se, out["meteoroid"].n_samples)
    # each population's band, back from its interval: N_band = -ln(1 - P_end) (x/÷ its flux factor)
    lo = -math.expm1(sum(math.log1p(-r.interval.low) for r in out.values()))
    hi = -math.expm1(sum(math.log1p(-r.interval.high) for r in out.values()))
    out["total"] = PenetrationResult("total", n_tot, tot.probability, tot.method, se, tot.n_samples,
                                     Interval(tot.probability, lo, hi))
    return out
