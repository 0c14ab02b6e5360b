"""Probabilistic ballistic limits: P(perforation | projectile diameter, density, speed, angle, wall).

A ballistic limit equation (BLE, ``ballistic.py``) is a line: d >= d_c perforates. Real shots scatter around
it. Here the handbook BLE stays the backbone and the scatter is learned from real hypervelocity-impact
shots (pyBLOSSUM databases, S. Ryan, MIT licence; training split only, tests/data/hvi/README.md):

    P(perforation) = Phi( ((1 + c_b + c_w) ln d - l(v) - c_b ln t_b - c_w ln t_w) / sigma + k )

    l(v) = min over speeds v' <= v of [ ln d_c(v') + mu_regime(v') ]      (at the same angle and density)

* ``mu_regime``: an offset of the BLE per speed regime of the wall's equation (Whipple: ballistic
  Vn <= 3 km/s, shatter, melt/vaporization Vn >= 7 km/s; stuffed Whipple: 2.6 cos^-0.5 and 6.5 cos^-0.75
  km/s); ``sigma`` the width; ``c_b``, ``c_w`` weigh the bumper-to-projectile and wall-to-projectile
  thickness ratios ln(t_b/d), ln(t_w/d) (the bumper ratio decides how well the projectile is broken up,
  Christiansen's t_b/d). Fitted by maximum likelihood; the complexity (which of these terms) was chosen by
  grouped cross-validation over test reports (``benchmarks/cause_ballistic.py``, docs/cause.md): the
  shipped Whipple model has one offset and the thickness terms, the stuffed-Whipple model one offset only.
  Other structures tried and not shipped (covariates, a between-laboratory variance, a wall-dependent
  width, other monotone envelopes): ``benchmarks/cause_candidates.py``, docs/benchmarks/cause.md.
* ``l(v)`` is the running minimum over speed of the BLE (+ offset): the handbook's Whipple and Soyuz curves
  *rise* through the shatter regime (a faster projectile breaks up better); the running minimum removes that
  rise, so a faster impact never lowers P. It is conservative there, and its cost is measured.
* ``k`` >= 0: a conservative shift [standard deviations], chosen by grouped cross-validation so that the
  non-conservative rate (perforated, predicted P < 0.5) is at most the goal; ``k = 0`` is the calibrated
  model.
* Uncertainty: a 95 % interval on P from moving the median threshold by +/- h, with h = the 95th percentile
  of the bootstrap-by-source spread of the threshold, plus 0.5 per e-fold of speed beyond the fastest shot
  (beyond the data the BLE's own extrapolation is all there is), plus, for walls without shots of their
  own (single wall, Soyuz orbital module), 0.3 for the transfer (engineering allowances, docs/cause.md).
* Walls without shots: the single wall and the Soyuz orbital-module wall use the *transfer* model, the
  Whipple fit without regime or thickness terms (one offset, one width) around their own BLE.

As P is a lognormal threshold in d, P = Pr(d >= D*) with ln D* = m + s (U - k), U ~ N(0, 1),
m = median threshold, s = sigma / (1 + c_b + c_w): :func:`threshold` returns (m, s) for the flux integral.
Units: SI (m, m/s, rad, kg/m^3).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy.special import log_ndtr, ndtr

from hullbreach.cause import ballistic
from hullbreach.errors import PhysicsError
from hullbreach.uncertain import Interval

FAMILIES = ("whipple", "stuffed-whipple", "transfer")
#: Widening of the 95 % band per e-fold of speed beyond the fastest shot [ln d per ln v] (allowance).
EXTRAPOLATION_WIDENING = 0.5
#: Extra 95 % band for walls without shots of their own [ln d] (allowance).
TRANSFER_WIDENING = 0.3


@dataclass(frozen=True)
class LimitModel:
    """Fitted parameters of one wall family (see the module docstring for the formula).

    mu [ln m offsets, one per regime or one], log_sigma [-], c_bumper, c_wall [-], shift k [std devs],
    monotone (running minimum over speed), speed_max_m_s: the fastest shot fitted [m/s],
    band_ln_d: h, the 95 % parameter band on ln(threshold) [-]; thickness_terms: whether c_b, c_w are
    fitted; n_shots, n_sources, sources: provenance.
    """

    family: str
    mu: tuple
    log_sigma: float
    c_bumper: float = 0.0
    c_wall: float = 0.0
    shift: float = 0.0
    monotone: bool = True
    speed_max_m_s: float = 10e3
    band_ln_d: float = 0.0
    thickness_terms: bool = False
    n_shots: int = 0
    n_sources: int = 0
    sources: tuple = ()

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise PhysicsError(f"unknown model family {self.family!r}", hint=f"use one of {', '.join(FAMILIES)}")
        if not 1.0 + self.c_bumper + self.c_wall > 0.05:
            raise PhysicsError("a limit model must grow with diameter: 1 + c_bumper + c_wall must be > 0.05")

    @property
    def sigma(self) -> float:
        return math.exp(self.log_sigma)

    @property
    def slope(self) -> float:
        """d ln(threshold) scale: P = Phi(slope (ln d - m) / sigma + k)."""
        return 1.0 + self.c_bumper + self.c_wall

    def to_json(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def family_of(wall) -> str:
    """Which fitted family a wall uses: whipple, stuffed-whipple, or transfer (no shots of its own)."""
    if isinstance(wall, ballistic.WhippleShield):
        return "whipple"
    if isinstance(wall, ballistic.StuffedWhippleShield):
        return "stuffed-whipple"
    if isinstance(wall, (ballistic.SingleWall, ballistic.SoyuzOrbitalModuleWall)):
        return "transfer"
    raise PhysicsError(f"no probabilistic limit for wall {wall!r}")


# ---------------------------------------------------------------------------------------------- features

def _candidates(wall, v, th, rho, monotone: bool, nmu: int = 3):
    """ln d_c [ln m] at the speed and at the regime boundaries below it, with each point's regime index and
    whether it counts (boundary <= v): shapes (..., 5); (..., 2) with one offset; (..., 1) for a one-regime
    wall or ``monotone=False``.

    Each segment of every equation is monotone in v (low: falling; middle: linear; high: falling), so the
    minimum over v' <= v is among these points. With one offset for all regimes the upper boundary is never
    needed: if the middle rises, d_c(hi) >= d_c(lo); if it falls, d_c(v) <= d_c(hi) for v >= hi. Only the
    impacts above the lower boundary evaluate d_c there (the inner loop of the flux Monte Carlo)."""
    v, th, rho = np.broadcast_arrays(np.asarray(v, float), np.asarray(th, float), np.asarray(rho, float))
    ln_dc = np.log(ballistic.critical_diameter_m(wall, v, th, rho))
    bounds = ballistic.regime_speeds_m_s(wall, th) if monotone or nmu > 1 else ()
    one = np.ones(v.shape + (1,), bool)
    if not bounds:
        return ln_dc[..., None], np.zeros(v.shape + (1,), int), one
    lo, hi = (np.broadcast_to(b, v.shape) for b in bounds)
    reg = np.where(v <= lo, 0, np.where(v >= hi, 2, 1))
    if not monotone:
        return ln_dc[..., None], reg[..., None], one

    def at(edge, use):
        # a hair below the boundary, so the lower regime's equation is the one evaluated (continuous there)
        edge = edge * (1.0 - 1e-12)
        if use.mean() > 0.5:  # most impacts: evaluate all (no gather), the mask decides later
            return np.log(ballistic.critical_diameter_m(wall, edge, th, rho))
        out = np.zeros(v.shape)
        if np.any(use):
            out[use] = np.log(ballistic.critical_diameter_m(wall, edge[use], th[use], rho[use]))
        return out

    above_lo = lo <= v
    ln_lo = at(lo, above_lo)
    if nmu == 1:
        return (np.stack([ln_dc, ln_lo], axis=-1), np.zeros(v.shape + (2,), int),
                np.stack([np.ones(v.shape, bool), above_lo], axis=-1))
    above_hi = hi <= v
    ln_hi = at(hi, above_hi)
    ell = np.stack([ln_dc, ln_lo, ln_lo, ln_hi, ln_hi], axis=-1)
    regs = np.stack([reg, np.zeros_like(reg), np.ones_like(reg), np.ones_like(reg), 2 * np.ones_like(reg)], axis=-1)
    use = np.stack([np.ones(v.shape, bool), above_lo, above_lo, above_hi, above_hi], axis=-1)
    return ell, regs, use


def _running_min_ln_dc(wall, v, th, rho):
    """min over v' <= v of ln d_c(v') [ln m] (same angle and density): ln d_c at v, or at the lower regime
    boundary when that is smaller and v is above it (the one-offset case of :func:`_candidates`, without
    its stacked candidate arrays)."""
    v, th = np.broadcast_arrays(np.asarray(v, float), np.asarray(th, float))
    ln_dc = np.log(ballistic.critical_diameter_m(wall, v, th, rho))
    bounds = ballistic.regime_speeds_m_s(wall, th)
    if not bounds:
        return ln_dc
    lo = np.broadcast_to(bounds[0], v.shape)
    above = lo <= v
    if not np.any(above):
        return ln_dc
    # a hair below the boundary, so the lower regime's equation is the one evaluated (continuous there);
    # when most impacts are above it, evaluating everywhere is cheaper than gathering the ones that are
    if above.mean() > 0.5:
        ln_lo = np.log(ballistic.critical_diameter_m(wall, lo * (1.0 - 1e-12), th, rho))
        return np.minimum(ln_dc, ln_lo, out=ln_dc, where=above)
    rho_a = np.broadcast_to(np.asarray(rho, float), v.shape)[above]
    ln_dc[above] = np.minimum(ln_dc[above], np.log(ballistic.critical_diameter_m(
        wall, lo[above] * (1.0 - 1e-12), th[above], rho_a)))
    return ln_dc


def _thickness_logs(wall):
    """ln bumper and ln rear-wall thickness [ln m] (0 for walls whose model has no thickness terms)."""
    if isinstance(wall, (ballistic.WhippleShield, ballistic.StuffedWhippleShield)):
        return math.log(wall.bumper_thickness_m), math.log(wall.rear_wall_thickness_m)
    return 0.0, 0.0


@dataclass(frozen=True)
class Design:
    """Per-impact quantities the likelihood needs, computed once (arrays over impacts)."""

    ln_d: np.ndarray
    ell: np.ndarray
    regs: np.ndarray
    use: np.ndarray
    ln_tb: np.ndarray
    ln_tw: np.ndarray
    speed_m_s: np.ndarray


def design(walls, diameter_m, speed_m_s, angle_rad, density_kg_m3, monotone: bool = True, nmu: int = 3) -> Design:
    """:class:`Design` for impacts on one wall (``walls`` a wall) or one wall per impact (a sequence), for a
    model with ``nmu`` regime offsets (1 or 3)."""
    d = np.atleast_1d(np.asarray(diameter_m, float))
    v, th, rho = (np.broadcast_to(np.asarray(x, float), d.shape) for x in (speed_m_s, angle_rad, density_kg_m3))
    if np.any(~(d > 0)):
        raise PhysicsError("projectile diameter must be > 0")
    if not isinstance(walls, (list, tuple)):
        ell, regs, use = _candidates(walls, v, th, rho, monotone, nmu)
        tb, tw = _thickness_logs(walls)
        return Design(np.log(d), ell, regs, use, np.full(d.shape, tb), np.full(d.shape, tw), v)
    parts = [_candidates(w, v[i], th[i], rho[i], monotone, nmu) for i, w in enumerate(walls)]
    width = max(p[0].shape[-1] for p in parts)

    def pad(a, fill):
        return np.concatenate([a, np.full((width - a.shape[-1],), fill, a.dtype)])

    ell = np.array([pad(p[0], 0.0) for p in parts])
    regs = np.array([pad(p[1], 0) for p in parts])
    use = np.array([pad(p[2], False) for p in parts])
    tl = np.array([_thickness_logs(w) for w in walls])
    return Design(np.log(d), ell, regs, use, tl[:, 0], tl[:, 1], v)


def _median_ln(theta, nmu: int, X: Design):
    """Median threshold m [ln m] and slope for a parameter vector (mu..., log_sigma[, c_b[, c_w]])."""
    return _combine(theta, nmu, X.ell, X.regs, X.use, X.ln_tb, X.ln_tw)


def _combine(theta, nmu: int, ell, regs, use, ln_tb, ln_tw):
    mu = np.asarray(theta[:nmu])
    cb = theta[nmu + 1] if len(theta) > nmu + 1 else 0.0
    cw = theta[nmu + 2] if len(theta) > nmu + 2 else 0.0
    if nmu == 1:  # one offset: add it after the minimum (one pass instead of a gather)
        lv = np.where(use, ell, np.inf).min(axis=-1) + mu[0]
    else:
        lv = np.where(use, ell + mu[np.minimum(regs, nmu - 1)], np.inf).min(axis=-1)
    slope = 1.0 + cb + cw
    return (lv + cb * ln_tb + cw * ln_tw) / slope, slope


def _z(theta, nmu: int, X: Design):
    m, slope = _median_ln(theta, nmu, X)
    return slope * (X.ln_d - m) / math.exp(theta[nmu])


def param_vector(model: LimitModel) -> list:
    """(mu..., log_sigma[, c_bumper, c_wall]) -- the fitted parameters in :func:`fit` order."""
    th = list(model.mu) + [model.log_sigma]
    if model.thickness_terms:
        th += [model.c_bumper, model.c_wall]
    return th


# ---------------------------------------------------------------------------------------------- predict

def _band(model: LimitModel, speed_m_s) -> np.ndarray:
    v = np.asarray(speed_m_s, float)
    h = model.band_ln_d + EXTRAPOLATION_WIDENING * np.log(np.maximum(v / model.speed_max_m_s, 1.0))
    return h + (TRANSFER_WIDENING if model.family == "transfer" else 0.0)


def threshold(model: LimitModel, wall, speed_m_s, angle_rad, density_kg_m3, band: int = 0):
    """Median perforation threshold m [ln m] and its width s [-] over impacts on one wall (vectorised):
    P(perforation | d) = Phi((ln d - m) / s + k). ``band`` = -1 / +1 moves m to the low / high end of its
    95 % band (low threshold = more perforations)."""
    v = np.atleast_1d(np.asarray(speed_m_s, float))
    if model.monotone and len(model.mu) == 1:  # the flux integrals' inner loop: no stacking, no gathers
        tb, tw = _thickness_logs(wall)
        lv = _running_min_ln_dc(wall, v, angle_rad, density_kg_m3)
        slope = model.slope
        m = (lv + model.mu[0] + model.c_bumper * tb + model.c_wall * tw) / slope
    else:
        ell, regs, use = _candidates(wall, v, angle_rad, density_kg_m3, model.monotone, len(model.mu))
        m, slope = _combine(param_vector(model), len(model.mu), ell, regs, use, *_thickness_logs(wall))
    if band:
        m = m + band * _band(model, v)
    return m, model.sigma / slope


#: Grid of :class:`ThresholdTable`: points in ln(speed) and in angle, and the largest tabulated angle [rad]
#: (above it ln cos diverges: the few impacts there are evaluated exactly).
TABLE_SPEEDS, TABLE_ANGLES, TABLE_ANGLE_MAX_RAD = 256, 1024, math.radians(89.0)


@dataclass(frozen=True, eq=False)
class ThresholdTable:
    """The median threshold m(v, theta) [ln m] of :func:`threshold` tabulated for one model, wall and
    projectile density, bilinear in (ln v, theta): the flux Monte Carlo's inner loop (10^6 samples) without
    evaluating the ballistic limit twice per sample. Speeds outside [v_min, v_max] and angles above
    :data:`TABLE_ANGLE_MAX_RAD` fall back to :func:`threshold`. m is continuous (the BLE regimes join, the
    running minimum of a continuous curve is continuous), so the interpolation error is second order away
    from the regime kinks and first order x grid step at them: < 5e-3 in ln d for the shipped walls
    (tests/cause/test_perforation.py; worst found 2.4e-3 over 4e6 random impacts, in the narrow, steep
    intermediate regime of the Soyuz equations at ~80 deg), against a threshold width s ~ 0.4. The angle grid
    is the finer one: the regime boundaries move fast with the angle near grazing incidence.

    Build with :func:`threshold_table` (cached)."""

    model: LimitModel
    wall: object
    density_kg_m3: float
    ln_v0: float
    inv_dlnv: float
    v_min: float
    v_max: float
    inv_dth: float
    m: np.ndarray  # (TABLE_SPEEDS, TABLE_ANGLES) [ln m], float32 (4e-7: half the memory traffic of the gathers)
    s: float
    exact: np.ndarray  # (TABLE_SPEEDS, TABLE_ANGLES) bool: the cell from this node straddles a regime boundary

    def __call__(self, speed_m_s, angle_rad):
        """(m [ln m], s [-]) like :func:`threshold` (band 0) for 1-D arrays of speeds [m/s] and angles [rad]."""
        v = np.asarray(speed_m_s, float)
        th = np.asarray(angle_rad, float)
        nv, nt = self.m.shape
        x = (np.log(v) - self.ln_v0) * self.inv_dlnv
        y = th * self.inv_dth
        i = np.clip(x.astype(np.intp), 0, nv - 2)
        j = np.clip(y.astype(np.intp), 0, nt - 2)
        fx = x - i
        fy = y - j
        k = i * nt + j
        out = self.exact.ravel()[k] | (v < self.v_min) | (v > self.v_max) | (th > TABLE_ANGLE_MAX_RAD)
        t = self.m.ravel()
        m00 = t[k]
        m01 = t[k + 1]
        k += nt
        m10 = t[k]
        m11 = t[k + 1]
        m = m00 + fx * (m10 - m00) + fy * ((m01 - m00) + fx * (m11 - m10 - m01 + m00))
        if np.any(out):
            m[out] = threshold(self.model, self.wall, v[out], th[out], self.density_kg_m3)[0]
        return m, self.s


@lru_cache(maxsize=8)  # 1.3 MB each
def threshold_table(model: LimitModel, wall, density_kg_m3: float, v_min_m_s: float,
                    v_max_m_s: float) -> ThresholdTable:
    """:class:`ThresholdTable` of ``model`` on ``wall`` for one projectile density [kg/m^3] over speeds
    [v_min_m_s, v_max_m_s] [m/s] and angles 0..:data:`TABLE_ANGLE_MAX_RAD` (exact values at the nodes)."""
    lnv = np.linspace(math.log(v_min_m_s), math.log(v_max_m_s), TABLE_SPEEDS)
    th = np.linspace(0.0, TABLE_ANGLE_MAX_RAD, TABLE_ANGLES)
    V, TH = np.meshgrid(np.exp(lnv), th, indexing="ij")
    m, s = threshold(model, wall, V.ravel(), TH.ravel(), density_kg_m3)
    # cells whose corners lie in different regimes of the BLE: a jump may run through them (the Soyuz
    # equations do not join at high angles), so impacts there are evaluated exactly
    exact = np.zeros(V.shape, bool)
    bounds = ballistic.regime_speeds_m_s(wall, TH)
    if bounds:
        reg = np.where(V <= bounds[0], 0, np.where(V >= bounds[1], 2, 1))
        c = reg[:-1, :-1]
        exact[:-1, :-1] = (c != reg[1:, :-1]) | (c != reg[:-1, 1:]) | (c != reg[1:, 1:])
    return ThresholdTable(model, wall, float(density_kg_m3), float(lnv[0]), float(1.0 / (lnv[1] - lnv[0])),
                          float(v_min_m_s), float(v_max_m_s), float(1.0 / (th[1] - th[0])),
                          np.ascontiguousarray(m.reshape(V.shape), dtype=np.float32), float(s), exact)


@dataclass(frozen=True)
class PerforationProbability:
    """P(perforation) for impacts (arrays): estimate, 95 % low/high, the hard BLE verdict, the model used."""

    p: np.ndarray
    low: np.ndarray
    high: np.ndarray
    ble_perforates: np.ndarray
    critical_diameter_m: np.ndarray
    family: str
    extrapolated: np.ndarray

    def interval(self, i: int = 0) -> Interval:
        return Interval(float(self.p[i]), float(self.low[i]), float(self.high[i]))


def perforation_probability(walls, diameter_m, speed_m_s, angle_rad, density_kg_m3=2800.0,
                            model: LimitModel | None = None) -> PerforationProbability:
    """P(perforation) [-] of projectiles of ``diameter_m`` [m], ``density_kg_m3`` [kg/m^3] at ``speed_m_s``
    [m/s], ``angle_rad`` [rad] from the normal on ``walls`` (one wall, or one per impact, same family),
    with its 95 % interval; the shipped model of the wall's family unless ``model`` is given."""
    first = walls[0] if isinstance(walls, (list, tuple)) else walls
    model = model or load_model(family_of(first))
    X = design(walls, diameter_m, speed_m_s, angle_rad, density_kg_m3, model.monotone, len(model.mu))
    theta = param_vector(model)
    m, slope = _median_ln(theta, len(model.mu), X)
    s = model.sigma / slope
    h = _band(model, X.speed_m_s)
    p = ndtr((X.ln_d - m) / s + model.shift)
    lo = ndtr((X.ln_d - m - h) / s + model.shift)
    hi = ndtr((X.ln_d - m + h) / s + model.shift)
    ln_dc = X.ell[..., 0]
    return PerforationProbability(p, lo, hi, X.ln_d >= ln_dc, np.exp(ln_dc), model.family,
                                  X.speed_m_s > model.speed_max_m_s)


# ---------------------------------------------------------------------------------------------- fit

def nll(theta, nmu: int, X: Design, y: np.ndarray, shift: float = 0.0) -> float:
    """Negative log-likelihood of 0/1 outcomes ``y`` (probit)."""
    z = _z(theta, nmu, X) + shift
    return float(-(y * log_ndtr(z) + (1 - y) * log_ndtr(-z)).sum())


def fit(X: Design, y: np.ndarray, nmu: int, thickness_terms: bool, theta0=None,
        prior_sd: float | None = None) -> np.ndarray:
    """Maximum-likelihood parameters (mu..., log_sigma[, c_b, c_w]) for ``nmu`` offsets (1 or 3).

    ``prior_sd``: a weak Gaussian prior N(theta0 or 0, prior_sd^2) on every parameter (used for bootstrap
    resamples, where a few sources may not overlap and the plain maximum runs off to infinity)."""
    from scipy.optimize import minimize

    n = nmu + 1 + (2 if thickness_terms else 0)
    x0 = np.zeros(n) if theta0 is None else np.asarray(theta0, float)
    y = np.asarray(y, float)

    def f(th):
        if thickness_terms and 1.0 + th[nmu + 1] + th[nmu + 2] <= 0.05:
            return 1e12
        pen = 0.0 if prior_sd is None else 0.5 * float(np.sum(((th - x0) / prior_sd) ** 2))
        return nll(th, nmu, X, y) + pen

    r = minimize(f, x0, method="Nelder-Mead" if n <= 2 else "BFGS", options={"maxiter": 5000})
    r2 = minimize(f, r.x, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-8})
    return r2.x if r2.fun <= r.fun else r.x


def subset(X: Design, idx) -> Design:
    """The rows ``idx`` of a design."""
    return Design(*(getattr(X, f)[idx] for f in ("ln_d", "ell", "regs", "use", "ln_tb", "ln_tw", "speed_m_s")))


def predict(theta, nmu: int, X: Design, shift: float = 0.0) -> np.ndarray:
    """P(perforation) for a design and parameter vector."""
    return ndtr(_z(theta, nmu, X) + shift)


def scores(p: np.ndarray, y: np.ndarray) -> dict:
    """accuracy, Brier, log loss and non-conservative rate (perforated but p < 0.5, over all shots)."""
    p = np.asarray(p, float)
    y = np.asarray(y, float)
    pc = np.clip(p, 1e-12, 1 - 1e-12)
    return {"n": int(len(y)), "accuracy": float(np.mean((p >= 0.5) == (y == 1))),
            "brier": float(np.mean((p - y) ** 2)),
            "log_loss": float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))),
            "non_conservative_rate": float(np.mean((p < 0.5) & (y == 1)))}


# ---------------------------------------------------------------------------------------------- shipped

@lru_cache(maxsize=None)
def _shipped() -> dict:
    text = (resources.files("hullbreach.cause") / "data" / "perforation_model.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_model(family: str) -> LimitModel:
    """The shipped model of a family (``cause/data/perforation_model.json``, written by
    ``benchmarks/cause_ballistic.py --write-model`` from tests/data/hvi)."""
    models = _shipped()["models"]
    if family not in models:
        raise PhysicsError(f"no shipped limit model for {family!r}", hint=f"use one of {', '.join(models)}")
    d = dict(models[family])
    d["mu"] = tuple(d["mu"])
    d["sources"] = tuple(d.get("sources", ()))
    return LimitModel(**d)


def provenance() -> dict:
    """Where the shipped parameters come from (data, licence, command, date, cross-validated scores)."""
    return _shipped()["provenance"]


def score_shots(shots) -> dict:
    """Predictions for every kept shot of a :class:`hullbreach.cause.shots.Shots` and, when the file has
    ``perforated_class``, the scores of the model and of the hard handbook BLE (JSON-ready dict).

    ``predictions``: ``{"row", "p_perforation", "p_perforation_95", "ble_perforates"}``, rows 1-based in file
    order; ``accuracy``, ``brier``, ``non_conservative_rate`` (perforated but P < 0.5, over all shots),
    ``log_loss`` at the top level (model) and under ``"ble"``."""
    out = {"file": shots.path, "shield": shots.family, "n_shots": len(shots), "skipped": len(shots.skipped),
           "skipped_rows": [{"line": ln, "column": c, "reason": msg} for ln, c, msg in shots.skipped]}
    if len(shots) == 0:
        out["predictions"] = []
        return out
    model = load_model(shots.family)
    pp = perforation_probability(list(shots.walls), shots.diameter_m, shots.speed_m_s, shots.angle_rad,
                                 shots.density_kg_m3, model)
    out["model"] = {"family": model.family, "shift_sd": model.shift, "fitted_shots": model.n_shots,
                    "fitted_sources": model.n_sources, "fastest_shot_km_s": model.speed_max_m_s / 1e3}
    out["predictions"] = [{"row": int(r), "p_perforation": float(p), "p_perforation_95": [float(lo), float(hi)],
                           "ble_perforates": bool(b)}
                          for r, p, lo, hi, b in zip(shots.row, pp.p, pp.low, pp.high, pp.ble_perforates)]
    out["extrapolated_rows"] = [int(r) for r, e in zip(shots.row, pp.extrapolated) if e]
    if shots.perforated is not None:
        sc = scores(pp.p, shots.perforated)
        out.update({k: sc[k] for k in ("accuracy", "brier", "non_conservative_rate", "log_loss")})
        ble = scores(pp.ble_perforates.astype(float), shots.perforated)
        out["ble"] = {k: ble[k] for k in ("accuracy", "brier", "non_conservative_rate")}
        inside = (pp.low <= shots.perforated) & (shots.perforated <= pp.high)
        out["overlap_note"] = ("p_perforation_95 is the band of the probability, not of the outcome; "
                               f"{int(inside.sum())} of {len(shots)} outcomes fall inside it")
    return out
