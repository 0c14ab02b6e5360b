"""Noise model of a zone detector's track: white-noise sigma, its variance inflation kappa, and the slow noise.

:class:`NoiseModel` is owned by :class:`hullbreach.detect.detector.ZoneDetector` and reads the track it is
given (read only). For any bin it gives:

* the white-noise standard deviation of the track [kg] (robust pooled second differences over the last window,
  :func:`hullbreach.detect.glr.robust_sigma_blocks`);
* the inflation per time scale (:func:`hullbreach.detect.glr.kappa_scales`, gated on white noise, kept
  ``window_bins // 3`` bins, floored after a channel of the zone leaves its vote);
* the **slow noise**: the diffusion ``q`` [kg^2 per bin] of a random walk standing for what no channel
  measures (a bulk-gas temperature offset common to the modules, a thermometer that does not represent the
  gas, gauge drift). Before it is measured a conservative prior holds (:data:`SLOW_PRIOR_K` over
  :data:`SLOW_PRIOR_TAU_S`); it is learned online from the Allan-type second differences of block means
  (:func:`slow_diffusion_estimate`) and combined with the prior as ``NU_PRIOR`` pseudo degrees of freedom
  (a conjugate update of a variance), so the detector never uses a slow-noise level it has not measured. A zone
  formed by a hatch change starts from its parent zone's slow noise and pools the parent's Allan blocks with its
  own (:func:`pool_allan_rows`): the bulk-gas offset is the same gas's.

See docs/detection.md §2.

Also :class:`_Buf`, the growable array the detector keeps its per-bin series in.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from hullbreach.detect.glr import (
    KAPPA_AFTER_CHANGE,
    exp_quadratic_form,
    KAPPA_REL_SE,
    KAPPA_EVERY,
    KAPPA_HISTORY,
    KAPPA_SCALES,
    MIN_SIGMA_SAMPLES,
    SIGMA_BLOCK,
    kappa_scales,
    WINSOR,
    robust_sigma_blocks,
)

#: Weight of the prior, in degrees of freedom of a variance estimate [-].
NU_PRIOR = 2.0
#: Correlation times of the OU components the slow noise is fitted with [bins] (4 min to 17 h at 60 s), besides
#: the prior's own.
SLOW_TAUS = (4.0, 16.0, 64.0, 256.0, 1024.0)
#: Scales of the Allan-type estimate [bins] (second differences of block means of 4 to 256 bins).
SLOW_SCALES = (4, 16, 64, 256)
#: A scale of the Allan-type estimate counts once it has this many blocks and second differences [-].
ALLAN_MIN_BLOCKS = 8
ALLAN_MIN_COUNT = 6
#: The prior is an observation on every OU component whose correlation time exceeds this factor times the largest
#: scale measured (not yet measurable) [-].
FLOOR_FACTOR = 1.0
#: The zone is ``learning`` until the largest scale measured reaches the prior's correlation time over this factor
#: (the Allan-type variance at scale s responds to correlation times up to a few s): until then the prior's own
#: component rests on the prior (about 34 h of clean 60 s bins for the 6 h prior: the 256-bin scale).
UNMEASURED_FACTOR = 4.0
#: The slow noise in use is the fit times (1 + SLOW_UPPER x its relative standard error): its upper side.
SLOW_UPPER = 1.0
#: Prior of the unmeasured bulk-gas temperature offset [K] (standard deviation) and its correlation time [s]
#: before the slow noise is measured: the MS-09 row of the issue 16 goals (0.05 K, 6 h; the independent
#: generator's defaults). It is observed on its own component and on every component not yet measured
#: (:func:`fit_slow_noise`), with its upper side: about 0.1 K in use at start-up, the top of the goal envelope.
#: Tried 2026-12-07: the prior observed once (0 on the other unmeasured components), at 0.05 K the MS-09 rate was
#: found 1.5x sooner (74 instead of 107-115 min, sigma 0.05 K) but start-up alarms came back (sigma >= 0.05 K,
#: 10-11 h in); at an upper side of 0.1 K it kept them and lost the gain (docs/detection.md §2c).
SLOW_PRIOR_K = 0.05
SLOW_PRIOR_TAU_S = 6 * 3600.0


@functools.lru_cache(maxsize=256)
def allan_ou_coefficient(scale: int, tau_bins: float) -> float:
    """``E[(m3 - 2 m2 + m1)^2] / sigma^2`` for three adjacent ``scale``-bin means of an OU disturbance of
    variance ``sigma^2`` and correlation time ``tau_bins`` [-]."""
    s = int(scale)
    a = np.concatenate([np.full(s, 1.0 / s), np.full(s, -2.0 / s), np.full(s, 1.0 / s)])
    return float(exp_quadratic_form(a, tau_bins)[0])


def allan_excess(y: np.ndarray, real: np.ndarray, sigma2: float | None, min_count: int = ALLAN_MIN_COUNT) -> list:
    """Excess of the Allan-type variance over white noise per scale of :data:`SLOW_SCALES`.

    The second differences of ``s``-bin means have mean square ``6 sigma^2 / s`` for white noise of variance
    ``sigma^2``; slow noise adds to it (a linear trend, e.g. a constant leak, cancels). Squares are winsorized
    at :data:`~hullbreach.detect.glr.WINSOR` medians (the kink of a starting leak is not slow noise). The mean
    square of ``count`` second differences has the relative standard error ``KAPPA_REL_SE sqrt(2 / count)``
    (as :func:`hullbreach.detect.glr.kappa_scales`). ``sigma2`` None: from the median squared second
    difference of ``y``. ``min_count``: a scale counts from this many second differences (fewer than
    :data:`ALLAN_MIN_COUNT` only to be pooled with a parent zone's, :func:`pool_allan_rows`).

    Returns
    -------
    list of (scale, excess [kg^2], standard error [kg^2], count)
    """
    out = []
    if sigma2 is None and len(y) >= 3:
        d1 = (y[2:] - 2 * y[1:-1] + y[:-2])[real[2:] & real[1:-1] & real[:-2]]
        sigma2 = float(np.median(d1 * d1)) / 0.455 / 6.0 if len(d1) >= 10 else math.nan
    if not (sigma2 is not None and sigma2 > 0):
        return out
    for sc in SLOW_SCALES:
        nb = len(y) // sc
        if nb < (ALLAN_MIN_BLOCKS if min_count >= ALLAN_MIN_COUNT else 3):
            break
        m = y[len(y) - nb * sc:].reshape(nb, sc).mean(axis=1)
        r = real[len(y) - nb * sc:].reshape(nb, sc).all(axis=1)
        d2 = (m[2:] - 2 * m[1:-1] + m[:-2]) ** 2
        ok = r[2:] & r[1:-1] & r[:-2]
        cnt = int(ok.sum())
        if cnt < max(min_count, 1):
            break
        dd = d2[ok]
        med = float(np.partition(dd, len(dd) // 2)[len(dd) // 2])
        ms = float(np.minimum(dd, WINSOR * max(med, 1e-300)).mean())
        white = 6.0 * sigma2 / sc
        out.append((sc, ms - white, max(ms, white) * KAPPA_REL_SE * math.sqrt(2.0 / cnt), cnt))
    return out


def pool_allan_rows(own: list, parent: list, history_bins: int = KAPPA_HISTORY) -> list:
    """The Allan rows of a zone pooled with those its parent zone measured on the same gas, per scale
    ``(scale, excess [kg^2], standard error [kg^2], count)``: the excesses averaged by count (the standard errors
    combined as those of independent means), the parent's count cut so the two cover at most ``history_bins``
    (its standard error widened to match). Every scale either has, however few its second differences (the fit
    takes the :func:`counted` ones). ``parent``: the parent's rows in this track's units
    (:meth:`NoiseModel.relative_slow` times the mass squared).

    An unmeasured bulk-gas offset does not reset when a hatch closes: without pooling a zone formed by a hatch
    change needed its own 8 clean blocks of the largest scale (17 h of 120 s N2 bins, restarted by every operation
    that broke a block), so the zones of the third generator's 2-day records stayed ``learning`` throughout."""
    mine = {r[0]: r for r in own}
    par = {r[0]: r for r in parent}
    out = []
    for sc in SLOW_SCALES:
        o, p = mine.get(sc), par.get(sc)
        parts = [] if o is None else [(o[1], o[2], o[3])]
        if p is not None:
            room = max(history_bins // sc - 2 - (o[3] if o is not None else 0), 0)
            cp = min(int(p[3]), room)
            if cp > 0:
                parts.append((p[1], p[2] * math.sqrt(p[3] / cp), cp))
        cnt = sum(c for _e, _se, c in parts)
        if cnt < 1:
            continue
        e = sum(c * x for x, _se, c in parts) / cnt
        se = math.sqrt(sum((c * s_) ** 2 for _x, s_, c in parts)) / cnt
        out.append((sc, e, se, cnt))
    return out


def counted(rows: list) -> list:
    """The rows of the scales, from the smallest up, that have at least :data:`ALLAN_MIN_COUNT` second
    differences (what the slow-noise fit takes)."""
    out = []
    for r in rows:
        if r[3] < ALLAN_MIN_COUNT:
            break
        out.append(r)
    return out


def fit_slow_noise(rows: list, taus: tuple, prior_var: float, prior_col: int, inherited: np.ndarray | None = None,
                   inherited_largest: int = 0, extra: tuple = ()) -> tuple:
    """Variances of the OU components ``taus`` [bins] that fit the Allan excesses ``rows`` (weighted, non-negative
    least squares), then their upper side (:data:`SLOW_UPPER`). Returns ``(variances [kg^2], the largest scale
    measured [bins])``.

    The prior ``prior_var`` [kg^2] is one more observation, of relative standard error ``sqrt(2 / NU_PRIOR)``, on
    the prior's own component (``prior_col``) and on every component the data cannot measure yet (a correlation
    time beyond :data:`FLOOR_FACTOR` times the largest scale measured): the data outweigh it where they are
    precise. (A hard floor at the prior on those components, tried, made the MS-09 demo alarm 1.3-2.4 h after
    the onset instead of 18-26 min: docs/detection.md §2c.)

    ``inherited`` [kg^2]: the variances another zone's detector measured on the same gas (the zone this one was
    part of before a hatch changed, scaled to this track's mass), on the components its largest scale
    ``inherited_largest`` [bins] measured: one more observation each, of the prior's weight, in place of the prior
    on those components (an unmeasured bulk-gas offset does not reset when a hatch closes).

    ``extra``: prior processes known to be there ``(column, variance [kg^2])`` (the thermal swings of a zone
    without a trusted thermometer, whose cabin swings nothing measures): each observed on its own component like
    the prior, and a floor while the data cannot measure it yet (a smooth swing is not an OU process: the short
    scales, measured first, would argue its OU stand-in away, as they did on the pressure-only MS-09 record)."""
    from scipy.optimize import nnls

    largest = rows[-1][0] if rows else 0
    A, b = [], []
    for sc, e, se, _cnt in rows:
        A.append([allan_ou_coefficient(sc, t) / se for t in taus])
        b.append(e / se)
    rel_p = math.sqrt(2.0 / NU_PRIOR)
    known = max(largest, inherited_largest) if inherited is not None else largest
    for c, tau in enumerate(taus):
        by_parent = inherited is not None and tau <= FLOOR_FACTOR * inherited_largest
        if by_parent:
            se_i = max(float(inherited[c]), prior_var) * rel_p
            if se_i > 0:
                A.append([1.0 / se_i if j == c else 0.0 for j in range(len(taus))])
                b.append(float(inherited[c]) / se_i)
        elif any(c == ec for ec, _ in extra):
            ev = next(v for ec, v in extra if ec == c)
            A.append([1.0 / (ev * rel_p) if j == c else 0.0 for j in range(len(taus))])
            b.append(1.0 / rel_p)
        elif prior_var > 0 and (c == prior_col or tau > FLOOR_FACTOR * known):
            se_p = prior_var * rel_p
            A.append([1.0 / se_p if j == c else 0.0 for j in range(len(taus))])
            b.append(prior_var / se_p)
    if not A:
        return np.zeros(len(taus)), largest
    x, _res = nnls(np.array(A), np.array(b))
    rel = KAPPA_REL_SE * math.sqrt(2.0 / rows[-1][3]) if rows else math.sqrt(2.0 / NU_PRIOR)
    x = x * (1.0 + SLOW_UPPER * rel)
    for c, ev in extra:
        if taus[c] > FLOOR_FACTOR * largest:
            x[c] = max(x[c], ev)
    if inherited is not None:
        # what the parent measured and this zone cannot measure yet is a floor: the same gas, a few hours ago
        # (its own short record cannot argue a slow component away)
        for c, tau in enumerate(taus):
            if FLOOR_FACTOR * largest < tau <= FLOOR_FACTOR * inherited_largest:
                x[c] = max(x[c], float(inherited[c]))
    return x, largest


class _Buf:
    """Growable float array."""

    def __init__(self, dtype=float):
        self.a = np.zeros(256, dtype=dtype)
        self.n = 0

    def extend(self, x) -> None:
        x = np.asarray(x, dtype=self.a.dtype)
        need = self.n + len(x)
        if need > len(self.a):
            new = np.zeros(max(need, 2 * len(self.a)), dtype=self.a.dtype)
            new[: self.n] = self.a[: self.n]
            self.a = new
        self.a[self.n: need] = x
        self.n = need

    def push(self, x) -> None:
        """Append one value (the one-bin path: no temporary arrays)."""
        if self.n == len(self.a):
            new = np.zeros(2 * len(self.a), dtype=self.a.dtype)
            new[: self.n] = self.a[: self.n]
            self.a = new
        self.a[self.n] = x
        self.n += 1

    def reserve(self, size: int) -> None:
        """Make room for ``size`` values (doubling), keeping the values held."""
        if size > len(self.a):
            new = np.zeros(max(size, 2 * len(self.a)), dtype=self.a.dtype)
            new[: self.n] = self.a[: self.n]
            self.a = new

    def last(self) -> float:
        """The last value, as a Python float."""
        return float(self.a[self.n - 1])

    @property
    def v(self) -> np.ndarray:
        return self.a[: self.n]


class NoiseModel:
    """The noise of one zone detector's track at every bin: white sigma, kappa, slow-noise diffusion.

    Parameters
    ----------
    y, real : _Buf
        The detector's track [kg] and its measured (not filled) flags, read only (the detector appends).
    window_bins : int
        The detector's window [bins].
    """

    def __init__(self, y: _Buf, real: _Buf, window_bins: int, aux: _Buf | None = None, slow: bool = True):
        self.slow = bool(slow)  # False: white noise and kappa only (the calibration of the white-noise statistic)
        self.y = y
        self.real = real
        #: a more precise series of the same zone whose slow noise is the track's, scaled by ``aux_scale``
        #: (the air mass, measured by the total-pressure gauges, for the N2 track: an unmeasured bulk
        #: temperature offset moves both by the same fraction; crew O2 use and feeds only add to it, the
        #: conservative side). ``aux_scale``: track mass / aux mass [-] (0: not used).
        self.aux = aux
        self.aux_scale = 0.0
        self.window_bins = int(window_bins)
        self.block_sum = _Buf()
        self.block_cnt = _Buf()
        self.block_cs = _Buf()  # cumulative sums of block_sum and block_cnt, with a leading 0
        self.block_cc = _Buf()
        self.block_cs.extend([0.0])
        self.block_cc.extend([0.0])
        self.kappa: list = []  # per completed block: noise inflation per scale (the latest estimate)
        self.kappa_mem: list = []  # per completed block: the inflation in use (evidence kept window_bins // 3 bins)
        self._kmem: np.ndarray | None = None
        # per history of the estimate and scale: the latest estimate that passed its white-noise gate, and its block
        self.kappa_last = np.ones((3, len(KAPPA_SCALES)))
        self.kappa_last_b = np.full((3, len(KAPPA_SCALES)), -(10 ** 9), dtype=np.int64)
        self.change_k: list = []  # bins where a channel of the zone was left out
        self.k_first = 0  # bin of track index 0 (the detector's; it moves while leading invalid bins are dropped)
        self.taus: tuple = SLOW_TAUS  # OU components [bins]; the prior's own is appended by set_prior
        self.prior_var = 0.0  # prior variance of the slow noise [kg^2] (set_prior), on the last component
        #: relative variances [-] (per unit track mass squared) of the slow-noise components measured by the
        #: detector of the zone this one was part of, and its largest scale measured [bins] (None: no parent)
        self.inherit: tuple | None = None
        self._inherited: np.ndarray | None = None  # the same in kg^2 of this track (set_prior)
        self._level = 0.0  # the track's mass [kg] (set_prior)
        self.extra: tuple = ()  # further prior processes: (component, variance [kg^2]) (set_prior)
        self.slow_mem: list = []  # per completed block: variances of the components in use [kg^2]
        self._rows: list = []  # the Allan rows behind the latest slow-noise fit (pooled with the parent's) [kg^2]
        self.scale_mem: list = []  # per completed block: the largest scale measured [bins]
        self._smem: np.ndarray | None = None

    def set_prior(self, mass_kg: float, temperature_k: float, bin_s: float, sigma_k: float = SLOW_PRIOR_K,
                  tau_s: float = SLOW_PRIOR_TAU_S, swings: tuple = ()) -> None:
        """The slow-noise prior for a track of ``mass_kg`` [kg] at ``temperature_k`` [K] in bins of ``bin_s``
        [s]: a bulk-gas temperature offset of ``sigma_k`` [K] with correlation time ``tau_s`` [s] moves the
        apparent mass by ``m sigma_T / T`` (ideal gas, the thermometers not seeing it).

        ``swings``: unmeasured periodic temperature swings ``(amplitude [K], period [s])`` (the cabin's orbital and
        daily swings on a zone without a trusted thermometer), each a further prior process: an OU of the sine's
        variance ``A^2 / 2`` with correlation time ``period / 2 pi`` (its changes over a quarter period match the
        sine's typical ones), a floor until measured (``extra`` of :func:`fit_slow_noise`): they are known to be
        there."""
        s_kg = mass_kg * sigma_k / temperature_k
        self.prior_var = s_kg * s_kg
        sw = [(float(per) / (2 * math.pi) / float(bin_s), 0.5 * (mass_kg * amp / temperature_k) ** 2)
              for amp, per in swings if amp > 0]
        self.taus = SLOW_TAUS + tuple(t for t, _ in sw) + (float(tau_s) / float(bin_s),)
        self.extra = tuple((len(SLOW_TAUS) + i, v) for i, (_t, v) in enumerate(sw))
        self._level = float(mass_kg)
        if self.inherit is not None and len(self.inherit[0]) == len(self.taus):
            self._inherited = np.asarray(self.inherit[0], dtype=float) * mass_kg * mass_kg

    def relative_slow(self) -> tuple | None:
        """The slow noise in use now, per unit track mass squared [-] per component, with the largest scale
        measured [bins] and the Allan rows behind it (per unit mass squared; :func:`pool_allan_rows`), for the
        detector of a zone made from this one (None: nothing measured yet)."""
        if not self.slow or not self.slow_mem or not self._level > 0:
            return None
        largest = max(self.scale_mem[-1], self.inherit[1] if self._inherited is not None else 0)
        l2 = self._level * self._level
        rows = tuple((r[0], r[1] / l2, r[2] / l2, r[3]) for r in self._rows)
        return np.asarray(self.slow_mem[-1], dtype=float) / l2, int(largest), rows

    def note_change(self, k: int) -> None:
        """A channel the track depends on left the zone's vote at bin ``k`` (absolute; track bin
        ``k - k_first``, where ``k_first``, the bin of track index 0, is kept current by the detector)."""
        self.change_k.append(int(k))

    # -- white noise
    def sigma_at(self, n: np.ndarray) -> np.ndarray:
        """Noise std for bins n [kg]: pooled second differences of the blocks completed before n's block, over
        the last window, inflated by ``1 + 12/count`` for the uncertainty of a short estimate (NaN: too few)."""
        self.update()
        keep = max(self.window_bins // SIGMA_BLOCK, 1)
        cs, cc = self.block_cs.v, self.block_cc.v
        b = np.asarray(n) // SIGMA_BLOCK  # use blocks max(b - keep, 0) .. b - 1
        lo = np.maximum(b - keep, 0)
        tot, cnt = cs[b] - cs[lo], cc[b] - cc[lo]
        with np.errstate(divide="ignore", invalid="ignore"):
            var = tot / cnt / 6.0 * (1.0 + 12.0 / cnt)
        return np.where(cnt >= MIN_SIGMA_SAMPLES, np.sqrt(np.maximum(var, 1e-30)), np.nan)

    def sigma_one(self, n: int) -> float:
        """:meth:`sigma_at` for one bin, as a float [kg]."""
        return float(self.sigma_at(np.array([int(n)]))[0])

    # -- slow noise
    def slow_at(self, n: np.ndarray):
        """The slow noise in use at bins ``n``: ``(taus [bins], variances (len(n), len(taus)) [kg^2])``, as of
        the block before n's (the prior before any block); None when the model is off."""
        if not self.slow:
            return None
        self.update()
        b = np.asarray(n) // SIGMA_BLOCK - 1
        C = len(self.taus)
        prior = np.zeros(C)
        if self._inherited is not None:
            prior = self._fit([])[0]
        else:
            prior[-1] = self.prior_var * (1.0 + SLOW_UPPER * math.sqrt(2.0 / NU_PRIOR)) if len(self.taus) > len(SLOW_TAUS) else 0.0
            for c, v in self.extra:
                prior[c] = v * (1.0 + SLOW_UPPER * math.sqrt(2.0 / NU_PRIOR))
        out = np.tile(prior, (len(b), 1))
        has = (b >= 0) & (b < len(self.slow_mem))
        if has.any():
            out[has] = self._slow_mem_array()[b[has]]
        return self.taus, out

    def slow_variance_of(self, n: int, fn, *args) -> float:
        """Variance a statistic takes from the slow noise at bin ``n``: ``sum_c sigma_c^2 fn(*args, tau_c)`` for
        ``fn`` one of :func:`hullbreach.detect.glr.slope_slow_variance`, ``quad_slow_variance`` [units of fn
        times kg^2]; 0 when the model is off."""
        sl = self.slow_at(np.array([int(n)]))
        if sl is None:
            return 0.0
        taus, v = sl
        return float(sum(v[0, c] * fn(*args, tau) for c, tau in enumerate(taus) if v[0, c] > 0))

    def _slow_mem_array(self) -> np.ndarray:
        k = len(self.slow_mem)
        if self._smem is None or len(self._smem) != k:
            self._smem = np.array(self.slow_mem).reshape(k, len(self.taus))
        return self._smem

    def learning(self, n: int) -> bool:
        """True while the prior's own component of the slow noise at bin ``n`` is not measured yet
        (:data:`UNMEASURED_FACTOR`)."""
        if not self.slow:
            return False
        self.update()
        b = int(n) // SIGMA_BLOCK - 1
        largest = self.scale_mem[b] if 0 <= b < len(self.scale_mem) else 0
        if self._inherited is not None:
            largest = max(largest, self.inherit[1])
        return self.taus[-1] > UNMEASURED_FACTOR * largest

    def _parent_rows(self) -> list:
        """The parent zone's Allan rows in this track's units [kg^2] (:meth:`relative_slow`; empty: none)."""
        if self.inherit is None or len(self.inherit) < 3 or not self._level > 0:
            return []
        l2 = self._level * self._level
        return [(r[0], r[1] * l2, r[2] * l2, r[3]) for r in self.inherit[2]]

    def _fit(self, rows: list) -> tuple:
        """:func:`fit_slow_noise` of ``rows`` with this model's prior and inheritance."""
        inh = self._inherited
        return fit_slow_noise(rows, self.taus, self.prior_var, len(self.taus) - 1, inh,
                              self.inherit[1] if inh is not None else 0, self.extra)

    def _slow_update(self, e: int, s2: float) -> None:
        """The slow noise in use after the block ending at track bin ``e`` (white variance ``s2`` [kg^2])."""
        if not self.slow:
            return
        lo = max(0, e - KAPPA_HISTORY)
        # every scale with a second difference (a zone made from this one pools them with its own); the fit takes
        # the counted ones (as before pooling, bit for bit, for a zone without a parent)
        rows = allan_excess(self.y.v[lo:e], self.real.v[lo:e], s2, 1)
        if self.aux is not None and self.aux_scale > 0 and self.aux.n >= e:
            # per scale, the more precise of the track's own and the air mass's (scaled) measurement (taking the
            # larger excess instead, so that the air mass could only raise it, picked up the ppN2 analyser's noise
            # at every scale: 0.3 and 1 mmHg/day went undetected in the demo-station tests); a counted scale first
            k2 = self.aux_scale ** 2
            aux = {r[0]: (r[0], r[1] * k2, r[2] * k2, r[3]) for r in allan_excess(self.aux.v[lo:e], self.real.v[lo:e], None, 1)}
            mine = {r[0]: r for r in rows}
            rows = [min((x for x in (mine.get(sc), aux.get(sc)) if x is not None), key=lambda r: (r[3] < ALLAN_MIN_COUNT, r[2]))
                    for sc in SLOW_SCALES if sc in mine or sc in aux]
        parent = self._parent_rows()
        if parent:
            rows = pool_allan_rows(rows, parent)
        self._rows = rows
        rows = counted(rows)
        x, largest = self._fit(rows)
        self.slow_mem.append(x)
        self.scale_mem.append(largest)

    def update(self) -> None:
        """Noise blocks, their cumulative sums and the inflation and slow-noise estimates of every block
        completed so far."""
        nb_needed = self.y.n // SIGMA_BLOCK
        if self.block_sum.n < nb_needed:
            lo = self.block_sum.n * SIGMA_BLOCK
            hi = nb_needed * SIGMA_BLOCK
            pre = min(lo, 2)
            sums, cnts = robust_sigma_blocks(self.y.v[lo - pre: hi], self.real.v[lo - pre: hi], pre)
            self.block_sum.extend(sums)
            self.block_cnt.extend(cnts)
            keep = max(self.window_bins // SIGMA_BLOCK, 1)
            for b in range(nb_needed - len(sums), nb_needed):
                e = (b + 1) * SIGMA_BLOCK
                bs, bc = self.block_sum.v[max(0, b + 1 - keep): b + 1], self.block_cnt.v[max(0, b + 1 - keep): b + 1]
                s2 = float(bs.sum() / bc.sum() / 6.0) if bc.sum() > 0 else float("nan")
                if (b + 1) % KAPPA_EVERY == 0 or not self.kappa:
                    # the largest of a long (precise) and shorter (quick to react) estimates
                    ks = []
                    for hist in (KAPPA_HISTORY, self.window_bins, self.window_bins // 3):
                        lo_h = max(0, e - hist)
                        ks.append(kappa_scales(self.y.v[lo_h:e], self.real.v[lo_h:e], s2))
                    ks = np.array(ks)
                    self.kappa.append(np.max(ks, axis=0))
                    # per history and scale, the latest estimate that passed its gate replaces the earlier ones
                    gated = ks > 1.0
                    self.kappa_last[gated] = ks[gated]
                    self.kappa_last_b[gated] = b
                    self._slow_update(e, s2)
                else:
                    self.kappa.append(self.kappa[-1])
                    if self.slow and self.slow_mem:
                        self.slow_mem.append(self.slow_mem[-1])
                        self.scale_mem.append(self.scale_mem[-1])
                    else:
                        self._slow_update(e, s2)
                # evidence of slow disturbances is kept for window_bins // 3 bins, at the level of the latest
                # estimate that passed the gate per history (largest over the histories)
                mem = max(self.window_bins // 3 // SIGMA_BLOCK, 1)
                live = (b - self.kappa_last_b) < mem
                self.kappa_mem.append(np.max(np.where(live, self.kappa_last, 1.0), axis=0))
        if self.block_cs.n - 1 < self.block_sum.n:
            i0 = self.block_cs.n - 1
            self.block_cs.extend(np.cumsum(np.concatenate([self.block_cs.v[-1:], self.block_sum.v[i0:]]))[1:])
            self.block_cc.extend(np.cumsum(np.concatenate([self.block_cc.v[-1:], self.block_cnt.v[i0:]]))[1:])

    # -- inflation
    def _kappa_mem_array(self) -> np.ndarray:
        """``np.array(self.kappa_mem)``, converted once per new block."""
        k = len(self.kappa_mem)
        have = 0 if self._kmem is None else len(self._kmem)
        if have != k:
            new = np.array(self.kappa_mem[have:]) if have < k else None
            self._kmem = np.array(self.kappa_mem) if new is None or have == 0 else np.concatenate([self._kmem, new])
        return self._kmem

    def kappa_at(self, n: np.ndarray) -> np.ndarray:
        """Noise inflation per scale for bins n [-]: as of the block before n's, the latest estimate that passed
        its white-noise gate within ``window_bins // 3`` bins (1 if none); after a channel of the zone that its
        track depends on was left out, at least :data:`KAPPA_AFTER_CHANGE` for ``window_bins`` bins."""
        self.update()
        n = np.asarray(n)
        b = n // SIGMA_BLOCK - 1
        K = self._kappa_mem_array() if self.kappa_mem else np.ones((1, len(KAPPA_SCALES)))
        out = np.ones((len(n), len(KAPPA_SCALES)))
        has = (b >= 0) & (b < len(self.kappa_mem))
        if not self.slow:
            # with the slow-noise model on, its OU components carry what kappa measured (counting both would
            # count the same slow noise twice); the floor after a channel change stays
            out[has] = K[b[has]]
        span = self.window_bins
        for k in self.change_k:
            c = k - self.k_first
            sel = (n >= c) & (n < c + span)
            if sel.any():
                out[sel] = np.maximum(out[sel], np.asarray(KAPPA_AFTER_CHANGE)[None, :])
        return out
