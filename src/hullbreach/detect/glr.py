"""Statistics of the leak detector: the window-limited GLR slope-change statistic, robust noise scales,
the calibrated threshold for a false-alarm rate, and their constants.

Split from :mod:`hullbreach.detect.detector` (which documents the test and its references [1]-[5]); pure
NumPy functions with no state.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from hullbreach.constants import SECONDS_PER_YEAR
from hullbreach.detect.airmass import DEFAULT_BIN_S
from hullbreach.errors import DetectionError

#: Whole-station background leak not to alarm on [kg/day]: ISS 2011 figure (~0.227 kg/day, NASA NTRS
#: 20110012997 as summarized in docs/reference/figures.md).
BACKGROUND_KG_DAY = 0.23
#: Station volume the background figure belongs to [m^3] (ISS total pressurized volume, docs/reference/figures.md).
BACKGROUND_VOLUME_M3 = 916.0
#: Tail law of the false-alarm rate per bin of the statistic on white noise: rate(h) = exp(A - B h)
#: (fitted by ``benchmarks/detect_calibrate.py``; valid for the default window and grid).
TAIL_A = -0.6281
TAIL_B = 1.0439
#: The loss rate after the change must exceed the background allowance by this many standard errors
#: (so the end of a gas addition, after which the mass is merely flat, is not a leak).
Z_POST = 3.0
#: Time scales [bins] at which the noise is compared with white noise (see :func:`kappa_scales`), and the
#: history used for it [bins].
KAPPA_SCALES = (1, 4, 16, 64)
KAPPA_HISTORY = 4096
#: Relative standard error of the variance ratio per sqrt(2 / count) for white noise: the second differences
#: of block means are an MA(2) sequence (autocorrelations -2/3, 1/6), so the mean of their squares has
#: variance 2 (1 + 2 (4/9 + 1/36)) / count = 3.9 / count, i.e. 1.39 sqrt(2 / count) relative.
KAPPA_REL_SE = 1.39
#: A variance ratio counts as evidence of slow disturbances only above the upper quantile of this (nominal)
#: level of its white-noise law approximated by a scaled chi-square with 2 count / 3.9 degrees of freedom
#: (same variance). The sum of correlated squares has a heavier tail than that chi-square: simulated on
#: white noise, 1e-5 gives a rate of 0.12-0.14 % per estimate at 11 to 118 second differences.
KAPPA_EVIDENCE_ALPHA = 1e-5
#: The inflation is re-estimated every this many noise blocks (1 h at the defaults).
KAPPA_EVERY = 3
#: Noise inflation assumed per scale right after a channel of the zone is left out, until measured
#: (a module then follows the zone's temperature, and its own HVAC swings, ~0.05 K over ~10 min, go
#: unmeasured; estimate from simulated faults, see docs/detection.md).
KAPPA_AFTER_CHANGE = (1.0, 3.0, 6.0, 12.0)
#: Monte Carlo samples of the estimate intervals (2.5/97.5 percentiles to ~1 % of their width).
MC_SAMPLES = 4000
#: Fewest bins in a rate fit after the alarm.
MIN_FIT_BINS = 10
#: Bins further than this many noise standard deviations from their one-step prediction are clipped
#: there before they enter the detection statistic (one bad bin cannot raise an alarm on its own).
CLIP_SIGMA = 4.0
#: Valid bins averaged to re-anchor the level after a known operation [bins].
ANCHOR_BINS = 10
#: Bins of reference data needed before testing (and before a change age counts) [-].
MIN_REF_BINS = 20
#: Block length of the robust noise estimate [bins].
SIGMA_BLOCK = 20
#: Onset likelihood-ratio interval half-width (chi-square(1), 95 %).
ONSET_LR_95 = 1.92
#: Growing-leak alert: z of the quadratic term, and the minimum relative growth of the loss rate.
GROWTH_Z = 5.0
GROWTH_MIN_FRACTION = 0.25
#: Winsorizing level of squared second differences, in block medians (chi-square(1): median 0.455,
#: so 20 medians = 9.1, the 99.7th percentile).
WINSOR = 20.0
#: Minimum number of second differences before the noise estimate is used (and the test runs).
MIN_SIGMA_SAMPLES = 3 * SIGMA_BLOCK // 2


def threshold_for_far(far_per_year: float, bin_s: float = DEFAULT_BIN_S) -> float:
    """Alarm threshold ``h`` on the log-likelihood ratio for a false-alarm rate [1/year].

    Uses the tail law ``rate per bin = exp(TAIL_A - TAIL_B h)`` fitted on simulated white noise through
    the exact statistic (module docstring); ``rate per bin = far_per_year * bin_s / year``.
    """
    if not (far_per_year > 0 and math.isfinite(far_per_year)):
        raise DetectionError(f"false-alarm rate must be a positive number per year, got {far_per_year!r}",
                             hint="e.g. --far-per-year 1")
    per_bin = far_per_year * bin_s / SECONDS_PER_YEAR
    return max((TAIL_A - math.log(per_bin)) / TAIL_B, 3.0)


def change_age_grid(window_bins: int) -> np.ndarray:
    """Geometric grid of change ages ``m = n - tau`` tested at each bin [bins] (ratio ~1.2)."""
    g = np.unique(np.round(1.2 ** np.arange(0, 80)).astype(int))
    return g[(g >= 1) & (g <= window_bins - MIN_REF_BINS)]


# ------------------------------------------------------------------------------------ the statistic
def _power_sum(m, p):
    """sum_{i=1}^{m} i^p for p = 0, 1, 2 (vectorised)."""
    m = np.asarray(m, dtype=float)
    if p == 0:
        return m
    if p == 1:
        return m * (m + 1) / 2
    return m * (m + 1) * (2 * m + 1) / 6


def glr_statistic(C0, Cj, n, sigma, window_bins, allow_per_bin, grid, rows_per_block: int = 2048, floor: int = 0,
                  kappa=None, window_test: bool = True, composite: bool = True, end_sums=None, slow=None,
                  long_window_bins: int = 0):
    """Window-limited hinge GLR and the window mass-point z at bins ``n`` (vectorised over ``n``).

    Parameters
    ----------
    C0, Cj : ndarray
        Prefix sums ``C0[i] = sum_{j<i} y_j`` and ``Cj[i] = sum_{j<i} j y_j`` [kg, kg].
    n : ndarray of int
        Bins to evaluate (``n < len(C0) - 1``).
    sigma : ndarray
        Noise std at those bins [kg].
    window_bins : int
        ``L``.
    allow_per_bin : float
        Background allowance [kg per bin] (a loss rate, positive).
    grid : ndarray of int
        Change ages to test.
    floor : int or ndarray of int
        The window never starts before this bin (per bin of ``n`` or one for all): after a known operation
        or a sealed leak the test starts afresh.
    kappa : ndarray, optional
        ``(len(n), len(KAPPA_SCALES))`` noise variance inflation per scale; a change of age ``m`` uses the
        smallest scale ``>= m`` (default: white noise, all 1).
    window_test : bool
        Include the mass-point test of the whole window's slope (default True).
    composite : bool
        Statistic of the composite null "loss after the change <= allowance": ``z_post^2 / 2`` (default);
        False: the slope-change LLR, counted only where ``z_post > Z_POST`` (the detector until 2026-11-27).
    end_sums : (ndarray, ndarray), optional
        Per bin of ``n``, the values to use for ``C0[n + 1]`` and ``Cj[n + 1]`` (the detector's one-bin
        hindsight on the clip: the statistic at ``n`` sees bin ``n`` as clipped when it arrived).
    slow : (tuple, ndarray), optional
        The track's slow noise (:class:`hullbreach.detect.noise.NoiseModel`): correlation times [bins] of its
        OU components and, per bin of ``n``, their variances ``(len(n), len(taus))`` [kg^2]; its variance
        (:func:`slow_variance`, :func:`slope_slow_variance`) is added to that of the white noise in every z
        (default none).
    long_window_bins : int
        A second mass-point test of the window's slope over this longer window [bins] (0 or ``<= window_bins``:
        none): a steady loss that began more than ``window_bins`` ago keeps adding evidence (the hinge and the
        ``window_bins`` slope only ever see one window of it). Its weights are all >= 0, so the allowance is
        not widened; its slow-noise variance is the window slope's (:func:`slope_slow_variance`).

    Returns
    -------
    llr : ndarray
        Max LLR per bin (0 where nothing qualifies).
    best_m : ndarray of int
        Change age of the max (0 for the window test, -1 for none).

    Notes
    -----
    With the line ``X = [1, u]`` (``u = j - n``) over the window and the hinge ``h`` (values 1..m on the
    last m bins): ``u_stat = h'y - g' (X'X)^-1 X'y``, ``v = h'h - g' (X'X)^-1 g`` with ``g = X'h``; the
    slope change is ``d = u_stat / v`` and ``LLR = u_stat^2 / (2 sigma^2 v)`` [1].
    """
    n = np.asarray(n, dtype=np.int64)
    sigma = np.asarray(sigma, dtype=float)
    a = np.minimum(np.maximum(n - window_bins + 1, np.maximum(np.asarray(floor, dtype=np.int64), 0)), n)
    if end_sums is not None:
        c0n, cjn = np.asarray(end_sums[0], dtype=float), np.asarray(end_sums[1], dtype=float)
    else:
        c0n, cjn = C0[n + 1], Cj[n + 1]
    N, Su, Suu, A, B, P, Q, R = _window_line(C0, Cj, c0n, cjn, n, a)
    if kappa is None:
        kappa = np.ones((len(n), len(KAPPA_SCALES)))
    kappa = np.asarray(kappa, dtype=float)
    # A change of any age m is judged with the inflation at the largest scale: the hinge contrast compares
    # the last m bins with the line of the whole window, so a slow disturbance enters it through its level
    # (variance up to the largest scale's), not only through its variation at scale m. (Until 2026-11-27
    # the scale >= m was used, which was safe only with the old, always-inflated estimate of kappa.)
    scale_of_m = np.full(len(grid), len(KAPPA_SCALES) - 1)
    taus, s2 = (), np.zeros((len(n), 0))
    if slow is not None:
        taus, s2 = tuple(slow[0]), np.asarray(slow[1], dtype=float)
    z_b = _window_slope_z(N, B, R, sigma, kappa[:, -1], allow_per_bin, taus, s2)
    ok_n = N >= MIN_REF_BINS
    llr_b = np.where(ok_n & (z_b > 0) & window_test, 0.5 * z_b ** 2, 0.0)
    if window_test and long_window_bins > window_bins:
        full = N >= window_bins  # otherwise the long window is the window
        if full.any():
            a_l = np.minimum(np.maximum(n - long_window_bins + 1, np.maximum(np.asarray(floor, dtype=np.int64), 0)), n)
            N_l, _Su, _Suu, _A, B_l, _P, _Q, R_l = _window_line(C0, Cj, c0n[full], cjn[full], n[full], a_l[full])
            z_l = _window_slope_z(N_l, B_l, R_l, sigma[full], kappa[full, -1], allow_per_bin, taus, s2[full])
            llr_b[full] = np.maximum(llr_b[full], np.where(z_l > 0, 0.5 * z_l ** 2, 0.0))
    m = grid.astype(float)
    h1 = _power_sum(m, 1)
    hh = _power_sum(m, 2)
    hu = hh - m * h1
    h11, h1u, huu = h1 * h1, h1 * hu, hu * hu
    best = np.zeros(len(n))
    best_m = np.zeros(len(n), dtype=np.int64)
    two_s2 = 2.0 * sigma * sigma
    kap = kappa[:, scale_of_m]  # (len(n), len(grid))
    for r0 in range(0, len(n), rows_per_block):
        sl = slice(r0, r0 + rows_per_block)
        nn = n[sl][:, None]
        valid = ok_n[sl][:, None] & (grid[None, :] <= (N[sl][:, None] - MIN_REF_BINS))
        lo = np.maximum(nn + 1 - grid[None, :], 0)
        Ty = c0n[sl][:, None] - C0[lo]
        Tjy = cjn[sl][:, None] - Cj[lo]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = (Tjy - (nn - m[None, :]) * Ty) - (h1 * A[sl][:, None] + hu * B[sl][:, None])
            v = hh - (P[sl][:, None] * h11 - 2.0 * Q[sl][:, None] * h1u + R[sl][:, None] * huu)
            d = u / v
            b_post = B[sl][:, None] + d * (1.0 - (R[sl][:, None] * hu - Q[sl][:, None] * h1))
            llr = u * u / (two_s2[sl][:, None] * kap[sl] * v)
            # standard error of the post-change slope: regressors [1, u - h, h], coefficient of h
            Nn = N[sl][:, None]
            Sw = Su[sl][:, None] - h1
            Sww = Suu[sl][:, None] - 2.0 * hu + hh
            Shw = hu - hh
            v2 = hh - (Sww * h11 - 2.0 * Sw * h1 * Shw + Nn * Shw * Shw) / (Nn * Sww - Sw * Sw)
            # standard error of the post-change loss: white noise (inflated by kappa) and slow noise
            Ni = excess_window(N[sl].astype(np.int64))
            ex = np.zeros((len(Ni), len(grid)))
            sv = np.zeros((len(Ni), len(grid)))
            gkey = tuple(int(x) for x in grid)
            for Nv in np.unique(Ni):
                if allow_per_bin > 0:
                    ex[Ni == Nv] = worst_case_excess(int(Nv), gkey)
                sel = np.nonzero(Ni == Nv)[0]
                for c, tau in enumerate(taus):
                    sv[sel] += s2[sl][sel, c, None] * slow_variance(int(Nv), gkey, tau)[None, :]
            se_post = np.sqrt(sigma[sl][:, None] ** 2 * kap[sl] / v2 + sv)
            z_post = (-b_post - allow_per_bin) / se_post
        if composite:
            # GLR of the composite null "loss after tau <= allowance" (one-sided test on the post-change
            # slope, a linear parameter of the hinge model): LLR = z_post^2 / 2 for z_post > 0 [1], [5]; the
            # allowance counted at its worst case over null paths that change within the window
            if allow_per_bin > 0:
                z_post = z_post - allow_per_bin * ex / se_post
            llr = np.where(valid & (d < 0) & (z_post > 0) & np.isfinite(z_post), 0.5 * z_post * z_post, 0.0)
        else:
            llr = np.where(valid & (d < 0) & (z_post > Z_POST) & np.isfinite(llr), llr, 0.0)
        if llr.shape[1]:
            j = np.argmax(llr, axis=1)
            best[sl] = llr[np.arange(llr.shape[0]), j]
            best_m[sl] = grid[j]
    use_h = best >= llr_b
    out = np.where(use_h, best, llr_b)
    best_m = np.where(out <= 0, -1, np.where(use_h, best_m, 0))
    return out, best_m


def _window_line(C0, Cj, c0n, cjn, n, a) -> tuple:
    """Least-squares line over bins ``a .. n`` (``u = j - n``) from the prefix sums ``C0``, ``Cj`` (and their values
    ``c0n``, ``cjn`` at ``n + 1``): ``N``, ``Su``, ``Suu``, the intercept at ``u = 0`` [kg], the slope [kg per bin]
    and ``P, Q, R`` (``(X'X)^-1 = [[P, -Q], [-Q, R]]``-type terms; ``R = N / det``, the slope's variance per unit
    white variance) [-]."""
    N = (n - a + 1).astype(float)
    Sy = c0n - C0[a]
    Suy = (cjn - Cj[a]) - n * Sy  # u = j - n
    Su = -(N - 1) * N / 2
    Suu = (N - 1) * N * (2 * N - 1) / 6
    det = N * Suu - Su * Su
    with np.errstate(divide="ignore", invalid="ignore"):
        A = (Suu * Sy - Su * Suy) / det   # intercept at u = 0
        B = (N * Suy - Su * Sy) / det     # slope [kg per bin]
        P, Q, R = Suu / det, Su / det, N / det
    return N, Su, Suu, A, B, P, Q, R


def _window_slope_z(N, B, R, sigma, kappa_last, allow_per_bin, taus, s2) -> np.ndarray:
    """z of the loss rate ``-B`` [kg per bin] of a window line (:func:`_window_line`) against the allowance
    (one-sided; the mass-point test of :func:`glr_statistic`), with the white noise ``sigma`` [kg] inflated by
    ``kappa_last`` and the slow-noise components ``taus`` [bins], ``s2`` (len(N), len(taus)) [kg^2] [-]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        vb = np.zeros(len(N))
        for c, tau in enumerate(taus):
            vb += s2[:, c] * np.array([slope_slow_variance(int(x), tau) if x >= 3 else 0.0 for x in N])
        se_b = np.sqrt(sigma * sigma * R * kappa_last + vb)
        return (-B - allow_per_bin) / se_b


@functools.lru_cache(maxsize=64)
def _grid_terms(gkey: tuple):
    """Per change age of the grid ``gkey``: ``m``, the hinge sums ``h1 = sum h``, ``hh = sum h^2``, ``hu``
    and the products ``h1^2``, ``h1 hu``, ``hu^2`` of :func:`glr_statistic` (the same operations, done once)."""
    grid = np.asarray(gkey, dtype=np.int64)
    m = grid.astype(float)
    h1 = _power_sum(m, 1)
    hh = _power_sum(m, 2)
    hu = hh - m * h1
    out = (grid, m, h1, hh, hu, h1 * h1, h1 * hu, hu * hu)
    for a in out:
        a.flags.writeable = False  # shared by every call
    return out


@functools.lru_cache(maxsize=8)
def _zeros(n: int) -> np.ndarray:
    """A cached array of ``n`` zeros (the excess when there is no allowance; never written)."""
    return np.zeros(n)


@functools.lru_cache(maxsize=64)
def _grid_terms_stacked(gkey: tuple) -> np.ndarray:
    """:func:`_grid_terms` as one C-contiguous (7, G) array: age, h1, hh, hu, h1^2, h1 hu, hu^2 (read-only)."""
    _grid, m, h1, hh, hu, h11, h1u, huu = _grid_terms(gkey)
    out = np.ascontiguousarray(np.stack([m, h1, hh, hu, h11, h1u, huu]))
    out.flags.writeable = False
    return out


def excess_window(n_bins):
    """The window length [bins] whose :func:`worst_case_excess` the statistic uses for a window of ``n_bins``
    (int or int array): the next multiple of SIGMA_BLOCK. The excess grows with the window length (checked for
    every length up to 1440 bins at the default grid), so that value is a bound, from few cached arrays."""
    return -(-n_bins // SIGMA_BLOCK) * SIGMA_BLOCK


@functools.lru_cache(maxsize=2048)
def _hinge_increment_weights(n_window: int, grid: tuple):
    """The post-change loss estimate of the hinge fit as weights on the track's increments: ``K`` with
    ``c_hat = sum_j K[g, j] (y_{j+1} - y_j)`` for each change age ``g`` of ``grid`` that fits a window of
    ``n_window`` bins (``ok``; regressors ``[1, w, h]`` of :func:`glr_statistic`), and the weights ``a`` on the
    track's values themselves (``c_hat = sum_i a[g, i] y_i``). Read-only, cached.

    The one place the hinge's weights are written out: :func:`worst_case_excess` (allowance) and
    :func:`slow_variance` (slow noise) both read them."""
    N = int(n_window)
    g = np.asarray(grid, dtype=np.int64)
    ok = g <= N - MIN_REF_BINS
    if not ok.any():
        return ok, np.zeros((0, max(N - 1, 0))), np.zeros((0, N))
    m = g[ok].astype(float)
    # X'X of the regressors [1, w, h] in closed form (u = i - (N - 1); pre: w = u, h = 0; post: w = -m, h = u + m)
    s_pre1 = -(_power_sum(N - 1, 1) - _power_sum(m - 1, 1))
    s_pre2 = _power_sum(N - 1, 2) - _power_sum(m - 1, 2)
    h1, hh = _power_sum(m, 1), _power_sum(m, 2)
    A = np.empty((len(m), 3, 3))
    A[:, 0, 0] = N
    A[:, 0, 1] = A[:, 1, 0] = s_pre1 - m * m
    A[:, 0, 2] = A[:, 2, 0] = h1
    A[:, 1, 1] = s_pre2 + m ** 3
    A[:, 1, 2] = A[:, 2, 1] = -m * h1
    A[:, 2, 2] = hh
    r = np.linalg.inv(A)[:, 2, :]  # coefficient row of h
    u = np.arange(N, dtype=float)[None, :] - (N - 1)
    post = u > -m[:, None]
    a = np.where(post, r[:, 0:1] - r[:, 1:2] * m[:, None] + r[:, 2:3] * (u + m[:, None]), r[:, 0:1] + r[:, 1:2] * u)
    K = np.cumsum(a[:, :0:-1], axis=1)  # K_j = sum_{i > j} a_i (j = N-2 .. 0; the order does not matter)
    for x in (ok, K, a):
        x.flags.writeable = False
    return ok, K, a


@functools.lru_cache(maxsize=8192)
def worst_case_excess(n_window: int, grid: tuple) -> np.ndarray:
    """Worst-case excess of the post-change loss estimate over the allowance, per allowance, for a window of
    ``n_window`` bins and each change age of ``grid`` [-] (0 where the age does not fit the window).

    The post-change slope of the hinge fit is a linear function of the track's increments,
    ``c_hat = sum_j K_j (y_{j+1} - y_j)`` with ``sum_j K_j = 1`` (:func:`_hinge_increment_weights`).
    Under the composite null (a loss of at most ``A`` per bin at every time, changing as it may) the
    increments lie in ``[-A, 0]``, so the mean of ``-c_hat`` is at most ``A sum_j max(K_j, 0) = A (1 + E)``
    with ``E = -sum_j min(K_j, 0)``: the pre-change line, fitted with a free slope, can turn an allowed loss
    that started inside the window into an apparent excess after a later ``tau``. Testing ``-c_hat``
    against ``A (1 + E)`` keeps every null path at a mean ``z <= 0`` (the white-noise calibration then bounds
    the false-alarm rate for all of them); ``E`` is small for old changes and large for young ones, where a
    leak worth alarming on is many allowances anyway.
    """
    ok, K, _a = _hinge_increment_weights(n_window, grid)
    out = np.zeros(len(ok))
    if len(K):
        out[ok] = -np.minimum(K, 0.0).sum(axis=1)
    return out


def exp_quadratic_form(a: np.ndarray, tau_bins: float) -> np.ndarray:
    """``a_r' G a_r`` for each row of ``a`` with ``G_ij = exp(-|i - j| / tau_bins)`` [-]: the variance of the
    linear functional ``a`` of a unit-variance Ornstein-Uhlenbeck sequence of correlation time ``tau_bins``.
    O(len) per row: ``G a`` is a forward plus a backward first-order recursion (minus the diagonal counted
    twice)."""
    from scipy.signal import lfilter

    a = np.atleast_2d(np.asarray(a, dtype=float))
    if a.shape[1] == 0:
        return np.zeros(a.shape[0])
    rho = math.exp(-1.0 / float(tau_bins))
    f = lfilter([1.0], [1.0, -rho], a, axis=1)
    b = lfilter([1.0], [1.0, -rho], a[:, ::-1], axis=1)[:, ::-1]
    return np.einsum("ij,ij->i", a, f + b - a)


@functools.lru_cache(maxsize=8192)
def slow_variance(n_window: int, grid: tuple, tau_bins: float) -> np.ndarray:
    """Variance of the hinge's post-change loss estimate per unit variance of an Ornstein-Uhlenbeck
    disturbance of correlation time ``tau_bins`` on the track, for a window of ``n_window`` bins and each
    change age of ``grid`` [bins^-2 ... i.e. (kg per bin)^2 per kg^2] (0 where the age does not fit).

    Slow noise no channel measures (an unmeasured bulk-gas temperature offset, a thermometer that does not
    represent the gas) is a sum of such components (:class:`hullbreach.detect.noise.NoiseModel`); the
    statistic adds ``sum_c sigma_c^2 slow_variance(N, grid, tau_c)`` to the variance of the white noise."""
    ok, _K, a = _hinge_increment_weights(n_window, grid)
    out = np.zeros(len(ok))
    if len(a):
        out[ok] = exp_quadratic_form(a, tau_bins)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=65536)
def slope_slow_variance(n_points: int, tau_bins: float) -> float:
    """Variance of a least-squares slope over ``n_points`` equally spaced bins per unit variance of an
    Ornstein-Uhlenbeck disturbance of correlation time ``tau_bins`` [bins^-2]."""
    n = int(n_points)
    if n < 3:
        return math.inf
    u = np.arange(n, dtype=float) - (n - 1) / 2.0
    return float(exp_quadratic_form(u / float(np.sum(u * u)), tau_bins)[0])


@functools.lru_cache(maxsize=8192)
def quad_slow_variance(n_points: int, tau_bins: float) -> float:
    """Variance of the quadratic coefficient of a least-squares parabola over ``n_points`` bins per unit
    variance of an Ornstein-Uhlenbeck disturbance of correlation time ``tau_bins`` [bins^-4]."""
    n = int(n_points)
    if n < 4:
        return math.inf
    u = np.arange(n, dtype=float)
    X = np.vstack([np.ones(n), u, u * u]).T
    w = np.linalg.solve(X.T @ X, X.T)[2]
    return float(exp_quadratic_form(w, tau_bins)[0])


def robust_sigma_blocks(y: np.ndarray, real: np.ndarray, pre: int = 0):
    """Per-block sums of squared second differences (winsorized) and their counts.

    ``y[pre:]`` holds whole blocks of :data:`SIGMA_BLOCK` bins, ``y[:pre]`` (at most 2) the bins just
    before them. ``E[(y_j - 2 y_{j-1} + y_{j-2})^2] = 6 sigma^2`` for white noise and any linear trend.
    Squares above ``WINSOR`` times the block median are clipped there (steps, outliers).

    Returns
    -------
    sums, counts : ndarray, ndarray (one entry per block)
    """
    y = np.asarray(y, dtype=float)
    real = np.asarray(real, dtype=bool)
    n = len(y) - pre
    nb = n // SIGMA_BLOCK
    if nb <= 0:
        return np.zeros(0), np.zeros(0)
    d2 = np.full(len(y), np.nan)
    if len(y) >= 3:
        ok = real[2:] & real[1:-1] & real[:-2]
        d2[2:] = np.where(ok, (y[2:] - 2 * y[1:-1] + y[:-2]) ** 2, np.nan)
    blocks = d2[pre: pre + nb * SIGMA_BLOCK].reshape(nb, SIGMA_BLOCK)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(blocks, axis=1)
    clipped = np.minimum(blocks, WINSOR * med[:, None])
    fin = np.isfinite(clipped)
    return np.where(fin, clipped, 0.0).sum(axis=1), fin.sum(axis=1).astype(float)


@functools.lru_cache(maxsize=4096)
def _kappa_gate(count: int) -> float:
    """Upper :data:`KAPPA_EVIDENCE_ALPHA` quantile of the variance ratio on white noise from ``count`` second
    differences [-]: ``chi2(nu) / nu`` with ``nu = 2 count / KAPPA_REL_SE^2`` (Satterthwaite's approximation,
    matching the variance of the mean of the correlated squares), the chi-square quantile by the
    Wilson-Hilferty cube-root approximation (E. B. Wilson and M. M. Hilferty, Proc. Natl. Acad. Sci. 17,
    684-688, 1931; no SciPy import on the detector's path)."""
    nu = 2.0 * count / KAPPA_REL_SE ** 2
    z = _normal_upper_quantile(KAPPA_EVIDENCE_ALPHA)
    c = 2.0 / (9.0 * nu)
    return float((1.0 - c + z * math.sqrt(c)) ** 3)


def _normal_upper_quantile(alpha: float) -> float:
    """z with P(N(0,1) > z) = alpha, by bisection on math.erfc (alpha in (0, 0.5))."""
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(mid / math.sqrt(2.0)) > alpha:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def kappa_scales(y: np.ndarray, real: np.ndarray, sigma2: float) -> np.ndarray:
    """Variance inflation of the track's noise at the time scales :data:`KAPPA_SCALES` [-].

    For white noise the second differences of ``s``-bin means have mean square ``6 sigma^2 / s``; the
    ratio of the observed mean square to that is ``kappa_s`` (an Allan-variance ratio; 1 for white noise,
    larger when slow disturbances such as uncompensated temperature swings are present). Squares above
    :data:`WINSOR` times their median are clipped (steps, the kink of a starting leak). A ratio counts only
    when it exceeds its white-noise quantile :func:`_kappa_gate` (else 1); then its upper side is taken. Returned non-decreasing in scale and >= 1.
    """
    out = np.ones(len(KAPPA_SCALES))
    if not (sigma2 > 0) or len(y) < 8 * KAPPA_SCALES[1]:
        return out
    s0 = KAPPA_SCALES[1]
    nb = len(y) // s0
    m = y[len(y) - nb * s0:].reshape(nb, s0).sum(axis=1) / s0
    r = real[len(y) - nb * s0:].reshape(nb, s0).all(axis=1)
    prev_scale = s0
    for i, sc in enumerate(KAPPA_SCALES[1:], start=1):
        f = sc // prev_scale
        if f > 1:
            nb = len(m) // f
            m = m[len(m) - nb * f:].reshape(nb, f).sum(axis=1) / f
            r = r[len(r) - nb * f:].reshape(nb, f).all(axis=1)
        prev_scale = sc
        if len(m) < 8:
            out[i:] = out[i - 1]
            break
        d2 = (m[2:] - 2 * m[1:-1] + m[:-2]) ** 2
        ok = r[2:] & r[1:-1] & r[:-2]
        if ok.sum() < 6:
            out[i:] = out[i - 1]
            break
        ref = 6.0 * sigma2 / sc
        # squares winsorized at WINSOR medians (as the noise blocks): a step or the kink of a starting leak
        # adds at most WINSOR * 0.455 / count to the ratio instead of passing as evidence of slow noise
        dd = d2[ok]
        med = float(np.partition(dd, len(dd) // 2)[len(dd) // 2])  # (upper) median
        k_hat = float(np.minimum(dd, WINSOR * med).mean()) / ref
        if k_hat > _kappa_gate(int(ok.sum())):
            # evidence of slow disturbances: take the upper side of the estimate
            k_hat *= 1.0 + 3.0 * math.sqrt(2.0 / ok.sum())
        else:
            # no significant excess over white noise: the ratio is 1 (a chance excess of the estimate,
            # common with few blocks, would otherwise deflate the statistic on white noise)
            k_hat = 1.0
        out[i] = max(out[i - 1], k_hat)
    return out
