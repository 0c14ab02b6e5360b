"""Cross-checks of a detector's crossing (issue 16): a leak must appear in the pressure itself, beyond what the
thermometers can explain within their credibility; a loss that thermometers departing from the others carry, or
that every zone shares in proportion to its mass, is a temperature error.

Pure functions on a zone's per-bin series (the track's pressure [Pa]: the zone pressure for the air track, the N2
partial pressure for the N2 track; the zone temperature [K]; the measured flags), called by
:meth:`hullbreach.detect.detector.ZoneDetector._confirmed`; and :func:`review_alarms`, the engine's step that applies
:func:`thermometer_carried` and :func:`common_mode` to new alarms once every zone has its bins (it removes the alarms
they explain). docs/detection.md §2c.
"""

from __future__ import annotations

import math

import numpy as np

from hullbreach.detect.config import PRESSURE_ONLY_SWINGS
from hullbreach.detect.events import gas_moved_to_neighbour
from hullbreach.detect.glr import MIN_REF_BINS

#: History over which the thermometers' credibility is measured before an onset [bins] (6 h at 60 s: a few
#: orbital swings).
CREDIBILITY_BINS = 360


def _slope_on_temperature(p: np.ndarray, T: np.ndarray, ok: np.ndarray, ar1: bool) -> tuple:
    """Least-squares slope of ``p`` [Pa] on ``T`` [K] over the bins ``ok``, both detrended by a line (regression
    on ``[1, u, T]``), and its standard error [Pa/K]; with ``ar1`` the variance is inflated by ``(1 + rho) / (1 -
    rho)`` for the residuals' lag-1 autocorrelation ``rho`` (0..0.95). ``(nan, nan)`` when ``T`` moves less than
    0.02 K rms about its line (nothing shown)."""
    u = np.arange(len(p), dtype=float)[ok]
    X = np.vstack([np.ones_like(u), u - u.mean()]).T
    rp = p[ok] - X @ np.linalg.lstsq(X, p[ok], rcond=None)[0]
    rT = T[ok] - X @ np.linalg.lstsq(X, T[ok], rcond=None)[0]
    vT = float(np.sum(rT * rT))
    if not vT > 0 or math.sqrt(vT / len(rT)) < 0.02:
        return math.nan, math.nan
    beta = float(np.sum(rp * rT)) / vT
    resid = rp - beta * rT
    ss = float(np.sum(resid * resid))
    var = ss / max(len(rp) - 3, 1) / vT
    if ar1 and ss > 0:
        rho = min(max(float(np.sum(resid[1:] * resid[:-1])) / ss, 0.0), 0.95)
        var *= (1.0 + rho) / (1.0 - rho)
    return beta, math.sqrt(var)


def thermometer_credibility(p: np.ndarray, T: np.ndarray, real: np.ndarray, dp_dT: float, side: float = -2.0,
                            cap: float = 1.0) -> float:
    """How far the thermometers represent the gas, from the bins before an onset [-] (0..``cap``): the regression slope
    of the track's pressure ``p`` [Pa] on the zone temperature ``T`` [K] (both detrended; its lower
    2-standard-error side, ``side`` standard errors), divided by the ideal-gas ``p / T`` (``dp_dT`` [Pa/K]). A
    thermometer that follows the gas moves the pressure with it (the orbital swings); one that warms with its own
    electronics does not; one that shows only part of the gas's swings (stratified, near a wall, lagging) moves
    the pressure MORE than ``p / T`` per kelvin of its own: a slope above 1 (``cap`` above 1 lets it through). 0
    without enough history or temperature variation (not shown credible); NaN there when ``side`` > 0 (the upper
    side: nothing shown either way)."""
    none = 0.0 if side <= 0 else math.nan
    if len(p) < 3 * MIN_REF_BINS:
        return none
    ok = np.isfinite(p) & np.isfinite(T) & real
    if ok.sum() < 3 * MIN_REF_BINS:
        return none
    beta, se_beta = _slope_on_temperature(p, T, ok, ar1=False)
    if not math.isfinite(beta):  # swings below 0.02 K: nothing shown
        return none
    # the lower side (2 standard errors): credibility has to be shown
    return float(min(max((beta + side * se_beta) / dp_dT, 0.0), cap))


#: A thermometer whose credibility's upper side (2 standard errors) is below this is shown NOT to represent the
#: gas (it swings while the pressure does not follow): its zone's gas temperature is unmeasured [-].
DISCREDITED_BELOW = 0.5


def unmeasured_swing_pa(n_bins: int, swings: tuple, bin_s: float, dp_dT: float) -> float:
    """Standard deviation [Pa] of the pressure change over a ``n_bins`` least-squares span that unmeasured
    temperature swings ``(amplitude [K], period [s])`` make (each an OU of the sine's variance with correlation time
    ``period / 2 pi``, as :meth:`hullbreach.detect.noise.NoiseModel.set_prior` models a zone without a trusted
    thermometer), at ``dp_dT`` [Pa/K]."""
    from hullbreach.detect.glr import slope_slow_variance

    if n_bins < 3:
        return 0.0
    var = sum(0.5 * a * a * slope_slow_variance(int(n_bins), per / (2.0 * math.pi) / bin_s) for a, per in swings)
    return float(math.sqrt(var)) * (n_bins - 1) * dp_dT


#: Largest credibility a thermometer's COOLING is credited with [-]: a thermometer shown (lower side) to see only
#: part of the gas's swings, as a stratified one beside an exercise machine does (fifth generator, quad seed 100:
#: the pressure moved 2.6 (lower side 2.0) times p / T per kelvin of the thermometer in the 1.5 h before), credits
#: the gas's cooling by its measured ratio, up to a thermometer that shows a third of it. A warming is credited
#: up to 1 only (crediting more would make a loss of a warming the gas did not have).
COOLING_CREDIBILITY_MAX = 3.0

#: Fewest measured bins the pressure is judged on when it confirms a loss [bins] (5 min at 60 s).
CONFIRM_MIN_BINS = 5


def span_follow(p: np.ndarray, T: np.ndarray, ok: np.ndarray, dp_dT: float) -> tuple:
    """How far the track's pressure ``p`` [Pa] followed the zone temperature ``T`` [K] over ONE span (the bins
    since an onset), as a share of the ideal-gas ``dp_dT = p / T`` [Pa/K] [-], and its standard error [-].

    Least squares of ``p`` on ``[1, u, T]`` over the bins ``ok``: the line takes a leak (a constant loss rate) and
    any slow drift, so what is left to ``T`` is the pressure's answer to the shape of the temperature (a warming
    that stops, a step). A gas at fixed mass and volume keeps ``p / T`` constant (Gay-Lussac's law; P. Atkins and
    J. de Paula, *Physical Chemistry*, 9th ed., §1.2) for the zone's mass-weighted mean gas temperature, and the
    pressure is one across a module within its acoustic time (~10 m at ~340 m/s: tens of milliseconds): a warming
    of the gas shows in the pressure within the bin, wherever it is, in proportion to the share of the gas warmed;
    a thermometer warmed alone (a laptop, an exercise machine beside it, in its own small plume) does not move it. The standard
    error is inflated for the residuals' lag-1 autocorrelation rho by ``(1 + rho) / (1 - rho)`` (AR(1); the gas's
    own slow swings are not white). ``(nan, nan)`` when the temperature's shape beyond the line is below 0.02 K
    rms or too few bins (nothing shown: a temperature that moves along a line is collinear with a leak)."""
    ok = ok & np.isfinite(p) & np.isfinite(T)
    if ok.sum() < MIN_REF_BINS or not dp_dT > 0:
        return math.nan, math.nan
    beta, se = _slope_on_temperature(p, T, ok, ar1=True)
    return beta / dp_dT, se / dp_dT


def pressure_confirms(series: np.ndarray, T: np.ndarray, real: np.ndarray, i_noise: int, i_fit: int,
                      bin_s: float, allow_pa: float = 0.0, swings: tuple = (), startup_swings: tuple = ()) -> tuple:
    """Does the track's pressure confirm a loss since an onset?

    ``series``, ``T``, ``real``: the track's pressure [Pa], the zone temperature [K] and the measured flags from the
    start of the credibility history (:data:`CREDIBILITY_BINS` before the fit) to the crossing; ``i_noise``: index
    from which the pressure's own noise is measured (robust second differences); ``i_fit``: index of the first bin
    after the onset; ``bin_s`` [s].

    The fall of the pressure since the onset, plus the measured warming times ``p / T`` times the thermometers'
    credibility (:func:`thermometer_credibility` on the bins before the onset), less the track's background
    allowance ``allow_pa`` [Pa per bin] over the span (the statistic's own null, "a loss of at most the allowance",
    on the pressure alone), must exceed 3 standard errors of the pressure's own noise. (Until session 7 the
    allowance was not taken off: a real recording's thermometer warming 1.6 K with its own electronics, not shown
    credible, while the pressure fell at a crew's O2 use, made a leak of the pressure's allowed fall; dreal's Astro
    Pi Mk II file, tests/generators/test_real_recording.py.) When the bins before the onset show the thermometers
    NOT to represent the gas (their credibility's upper side below :data:`DISCREDITED_BELOW`), the gas temperature is
    unmeasured: the pressure's change then also carries the unmeasured ``swings`` (:func:`unmeasured_swing_pa`),
    as on a zone without a trusted thermometer (the upper side is measured on every bin passed: a crossing whose
    onset is the record's first bin has no bins before it). With fewer than ``3 MIN_REF_BINS`` measured bins
    before the onset (a start-up: the thermometers' credibility not yet measurable) the change must also beat the
    ``startup_swings`` (same form as ``swings``). A warming since the onset that the pressure did not follow over
    the span (:func:`span_follow`'s upper side, 2 standard errors, below :data:`DISCREDITED_BELOW`) is the
    thermometers' alone: it is not credited and the pressure's change must also beat the unmeasured ``swings``
    (:data:`~hullbreach.detect.config.PRESSURE_ONLY_SWINGS` on a track given none); a warming the pressure follows
    keeps its credit, a leak during it included. (Until session 9 a laptop beside a sealed module's only
    thermometer, +1 K for 1.5 h, was credited by the credibility earned before and the flat N2 pressure confirmed
    a LEAK: F3, tests/generators/test_fifthgen_detect.py.) A cooling through a thermometer shown (lower side above
    1) to see only part of the gas's swings is credited at the measured ratio, up to
    :data:`COOLING_CREDIBILITY_MAX`, its uncertainty counted, and the standard error of the change is then at least
    that of the line through what the credited thermometer leaves unexplained (residuals, AR(1)). (Until
    session 9 an exercise cool-down seen 40 % by a stratified thermometer confirmed an air-track loss: F2, quad
    seed 100.) Returns ``(confirmed, suspicion)``: ``suspicion`` is the text of a thermometer
    suspicion when the pressure did not fall while the thermometers warmed (the fall of the track is then
    carried by temperature), else "". Too little data to tell (fewer than :data:`CONFIRM_MIN_BINS` measured
    bins, or the pressure's noise not yet measured): not confirmed yet, without a suspicion; an onset younger than
    :data:`CONFIRM_MIN_BINS` measured bins is judged on that many, on the pressure alone, and its change must then
    also beat the ``startup_swings`` (the thermometers not credited, the gas temperature over those minutes is
    unmeasured). (Until session 8 a young onset was judged against the pressure's white noise only: at the second
    generator's envelope corner (iss-2025, 0.1 K, thermometers self-heating 0.6 K) 4 of 24 leak-free 10 h records
    alarmed 1-3 h after start-up in small sealed zones, a 11-24 Pa fall within 3-5 min while the gas cooled with
    the orbit, its lagging thermometer still warming.) (Until session 7 too little data confirmed, so
    a crossing whose onset the statistic placed 2-3 bins before it skipped the check: on the second generator
    (tests/generators/independent.py, iss-2025, its default nuisance) 4 of 12 leak-free 10 h records alarmed
    2-5 h after start-up, the N2 track carrying a thermometer's power-on warming the pressure never showed.)
    """
    good = np.isfinite(series) & np.isfinite(T) & real
    measured = np.flatnonzero(good)
    if len(measured) < CONFIRM_MIN_BINS:
        return False, ""  # too little data to tell: wait for it (the statistic alone never decides)
    young = good[i_fit:].sum() < CONFIRM_MIN_BINS
    if young:
        # an onset younger than the shortest span the pressure is judged on: judge it on the last
        # CONFIRM_MIN_BINS measured bins, which hold the whole loss since that onset, and on the pressure alone
        # (a warming of the thermometers within minutes that the pressure did not follow is theirs, not the
        # gas's: the cabin's gas warms with the orbit over tens of minutes)
        i_fit = int(measured[-CONFIRM_MIN_BINS])
    p = series[i_fit:]
    Tf = T[i_fit:]
    ok = good[i_fit:]
    u = np.arange(len(p), dtype=float)[ok]
    uc = u - u.mean()
    sxx = float(np.sum(uc * uc))
    M = float(u[-1] - u[0])
    dp = float(np.sum(uc * (p[ok] - p[ok].mean())) / sxx) * M  # the track's pressure change over the span [Pa]
    dT = float(np.sum(uc * (Tf[ok] - Tf[ok].mean())) / sxx) * M  # temperature change [K]
    s, r = series[i_noise:], real[i_noise:]
    d2 = (s[2:] - 2 * s[1:-1] + s[:-2])[r[2:] & r[1:-1] & r[:-2]]
    d2 = d2[np.isfinite(d2)]
    if len(d2) < 5:
        return False, ""  # the pressure's noise is not measured yet: wait
    sig_p = math.sqrt(float(np.median(d2 * d2)) / 0.455 / 6.0)
    se_dp = sig_p * math.sqrt(1.0 / sxx) * M
    p_mean, T_mean = float(np.mean(p[ok])), float(np.mean(Tf[ok]))
    cred = 0.0 if young else thermometer_credibility(series[:i_fit], T[:i_fit], real[:i_fit], p_mean / T_mean,
                                                     cap=1.0 if dT >= 0 else COOLING_CREDIBILITY_MAX)
    stratified = cred > 1.0
    if stratified:
        # a cooling through a thermometer shown (lower side above 1) to see only part of the gas's swings: the
        # cooling is credited at the measured ratio (its estimate), the ratio's uncertainty counted with the noise
        est = thermometer_credibility(series[:i_fit], T[:i_fit], real[:i_fit], p_mean / T_mean, side=0.0,
                                      cap=COOLING_CREDIBILITY_MAX)
        se_dp = math.hypot(se_dp, 0.5 * (est - cred) * p_mean / T_mean * dT)
        cred = est
    unmeasured = False
    if startup_swings and (young or int(np.sum(good[:i_fit])) < 3 * MIN_REF_BINS):
        # a young onset is judged on the pressure alone: the gas temperature over its minutes is unmeasured (a
        # sealed 12 m^3 zone cooling 0.07 K with the orbit falls 24 Pa in 5 min, far beyond its gauge's noise)
        # no history before the onset (a detector's start-up): nothing has shown the thermometers to follow the
        # gas (a thermometer warming with its own electronics after power-on hides the gas cooling with the
        # orbit), and the gas temperature moves the pressure by itself (p dT / T at fixed mass): the pressure's
        # change must also beat what unmeasured temperature can do (startup_swings), as on a zone without a
        # trusted thermometer, until the history shows the thermometers credible
        se_dp = math.hypot(se_dp, unmeasured_swing_pa(int(M) + 1, startup_swings, bin_s, p_mean / T_mean))
    if swings:
        # on every bin passed (the onset may be the record's first): a leak is a trend, taken off with the line
        upper = thermometer_credibility(series, T, real, p_mean / T_mean, side=2.0)
        if upper < DISCREDITED_BELOW:  # NaN (nothing shown) is not below
            se_dp = math.hypot(se_dp, unmeasured_swing_pa(int(M) + 1, swings, bin_s, p_mean / T_mean))
            unmeasured = True
    alone = ""
    if cred > 0 and dT > 0:
        # the thermometers warmed since the onset: did the pressure follow them over these minutes? A warming the
        # pressure did not follow is the thermometers' alone (a laptop beside one): its credit, earned before,
        # is withdrawn for the span and the pressure is judged with a thermal allowance, as on a zone whose
        # thermometers are not credible. A warming the gas shares keeps its credit, a leak during it included
        # (the line takes the leak; the pressure still follows the warming's shape)
        c, se_c = span_follow(p, Tf, ok, p_mean / T_mean)
        if math.isfinite(c) and c + 2.0 * se_c < DISCREDITED_BELOW:
            cred = 0.0
            if not unmeasured:
                se_dp = math.hypot(se_dp, unmeasured_swing_pa(int(M) + 1, swings or PRESSURE_ONLY_SWINGS, bin_s,
                                                               p_mean / T_mean))
            alone = (f"thermometer suspicion: the thermometers warmed {dT:.2f} K over {M * bin_s / 60:.0f} min but "
                     f"the pressure followed {100 * c:.0f} % [{100 * (c - 2 * se_c):.0f}, {100 * (c + 2 * se_c):.0f}] "
                     f"of it (a warming of the gas moves it at once): their warming is not credited; the pressure's "
                     f"own change ({dp:+.1f} Pa) is within what unmeasured temperature swings make")
    if stratified and len(u) > 3:
        # a thermometer shown to see only part of the gas's swings misses their timing too (it lags, it is
        # stratified): what it leaves unexplained over the span comes in steps and waves, not white noise. The
        # loss is the line of the pressure less the credited temperature term, its standard error at least that
        # of the line on those residuals (AR(1)-inflated). (Applied to every credited thermometer it also delayed
        # an alarm on the simulator's own record and raised a spurious growing_leak there: test_cli's repress.)
        resid = p[ok] - cred * p_mean / T_mean * Tf[ok]
        resid = resid - np.polyval(np.polyfit(uc, resid, 1), uc)
        ss = float(np.sum(resid * resid))
        if ss > 0:
            rho = min(max(float(np.sum(resid[1:] * resid[:-1])) / ss, 0.0), 0.95)
            se_dp = max(se_dp, math.sqrt(ss / (len(resid) - 2) / sxx * (1 + rho) / (1 - rho)) * M)
    if -dp + cred * p_mean / T_mean * dT - max(allow_pa, 0.0) * M > 3.0 * se_dp:
        return True, ""
    if alone:
        return False, alone
    if unmeasured:
        return False, (f"thermometer suspicion: the pressure does not follow the thermometers (credibility below "
                       f"{DISCREDITED_BELOW:g}), so the gas temperature is unmeasured; the pressure's own change "
                       f"({dp:+.1f} Pa over {M * bin_s / 60:.0f} min) is within what unmeasured temperature swings make")
    if dT <= 0:
        return False, ""  # neither the pressure nor a warming: wait for the data to tell
    return False, (f"thermometer suspicion: the track fell but the pressure did not ({dp:+.1f} Pa while the "
                   f"temperature rose {dT:.2f} K over {M * bin_s / 60:.0f} min)")


# ------------------------------------------------------------------------------------ common mode across zones
#: Bins of pre-onset history the common-mode check fits its line on [bins] (6 h at 60 s).
COMMON_MODE_PRE_BINS = 360
#: The other zones' shared apparent loss must reach this many standard errors to count as a common mode [-].
COMMON_MODE_Z = 2.0


def _robust_sigma(f: np.ndarray, ok: np.ndarray) -> float:
    """White noise per bin of a series from robust second differences (median of squares; NaN if too few)."""
    d2 = (f[2:] - 2.0 * f[1:-1] + f[:-2])[ok[2:] & ok[1:-1] & ok[:-2]]
    d2 = d2[np.isfinite(d2)]
    if len(d2) < 5:
        return math.nan
    return math.sqrt(float(np.median(d2 * d2)) / 0.455 / 6.0)


def hinge_loss(f: np.ndarray, ok: np.ndarray, i_on: int) -> tuple:
    """Loss rate after ``i_on`` beyond the line before it, of a series ``f`` (fractional mass [-] per bin), with
    its white-noise standard error: least squares on ``[1, u, (u - i_on)+]`` over the bins ``ok``; the loss is
    minus the hinge's slope change [1/bin]. ``(nan, nan)`` with too few bins on either side."""
    u = np.arange(len(f), dtype=float)
    ok = ok & np.isfinite(f)
    if ok[:i_on].sum() < MIN_REF_BINS or ok[i_on:].sum() < 3:
        return math.nan, math.nan
    sig = _robust_sigma(f, ok)
    if not math.isfinite(sig) or sig <= 0.0:
        return math.nan, math.nan
    uu = u[ok]
    X = np.vstack([np.ones_like(uu), uu - i_on, np.maximum(uu - i_on, 0.0)]).T
    beta = np.linalg.lstsq(X, f[ok], rcond=None)[0]
    cov = np.linalg.pinv(X.T @ X)
    return -float(beta[2]), sig * math.sqrt(max(float(cov[2, 2]), 0.0))


def common_mode(f_zone: np.ndarray, ok_zone: np.ndarray, others: list, i_on: int, z_alarm: float,
                bin_s: float) -> tuple:
    """Is an apparent loss in one zone a temperature error shared by the other zones (common-mode rejection)?

    An unmeasured bulk-gas temperature offset common to the station moves every zone's apparent mass by the same
    fraction (m dT / T); a leak in one zone does not move the others. ``f_zone``, ``ok_zone``: the alarming zone's
    track as a fraction of its mass [-] per bin and its measured bins, from :data:`COMMON_MODE_PRE_BINS` before
    the onset to the crossing; ``others``: ``(f, ok, weight)`` of the other zones over the same bins (their tracks
    as fractions); ``i_on``: index of the first bin after the onset;
    ``z_alarm``: the loss, in standard errors, that the alarm needs (``sqrt(2 h)``); ``bin_s``: bin length [s].

    The others' mean, weighted by the inverse of their white noise variance, is the common mode. The crossing is a shared temperature error when the common
    mode lost significantly (:data:`COMMON_MODE_Z` white standard errors) after the onset and the zone's loss
    beyond it (the hinge of ``f_zone`` minus the common mode) stays below ``z_alarm`` white standard errors.
    White-noise standard errors make the second test claim a loss more easily than the alarm itself: a leak in
    one zone, whose excess is its whole loss, is not hidden. Returns ``(shared, text)``.
    """
    if not others:
        return False, ""
    F = np.vstack([o[0] for o in others])
    OK = np.vstack([o[1] for o in others]) & np.isfinite(F)
    sig = np.array([_robust_sigma(f, ok) for f, ok in zip(F, OK)])
    if not np.all(np.isfinite(sig) & (sig > 0)):
        return False, ""
    w = 1.0 / sig ** 2
    ok_ref = OK.all(axis=0)
    ref = (w[:, None] * np.where(OK, F, 0.0)).sum(axis=0) / w.sum()
    c_ref, se_ref = hinge_loss(ref, ok_ref, i_on)
    if not (math.isfinite(c_ref) and c_ref > COMMON_MODE_Z * se_ref):
        return False, ""
    c_z, _ = hinge_loss(f_zone, ok_zone, i_on)
    c_d, se_d = hinge_loss(f_zone - ref, ok_zone & ok_ref, i_on)
    if not math.isfinite(c_d) or c_d > z_alarm * se_d:
        return False, ""
    per_h = 1e6 * 3600.0 / bin_s
    return True, (f"temperature error common to the zones: the other zones' apparent mass fell too "
                  f"({c_ref * per_h:.2f} ppm/h, this zone {c_z * per_h:.2f} ppm/h; beyond the shared part "
                  f"{c_d / se_d:+.1f} standard errors), not a leak")


def _slope_loss(f: np.ndarray, ok: np.ndarray) -> tuple:
    """Loss rate of the whole window's least-squares line of ``f`` [1/bin] and its white standard error."""
    ok = ok & np.isfinite(f)
    sig = _robust_sigma(f, ok)
    if ok.sum() < MIN_REF_BINS or not math.isfinite(sig) or sig <= 0:
        return math.nan, math.nan
    u = np.arange(len(f), dtype=float)[ok]
    uc = u - u.mean()
    sxx = float(np.sum(uc * uc))
    return -float(np.sum(uc * (f[ok] - f[ok].mean())) / sxx), sig / math.sqrt(sxx)


def _loss_at(f: np.ndarray, ok: np.ndarray, on) -> tuple:
    """:func:`hinge_loss` at onset ``on``, or :func:`_slope_loss` when ``on`` is None."""
    return _slope_loss(f, ok) if on is None else hinge_loss(f, ok, on)


#: Share of an alarm's loss that thermometers' departures must carry for a thermometer suspicion [-].
CARRIED_SHARE = 0.5


def thermometer_carried(f_zone: np.ndarray, ok: np.ndarray, g: np.ndarray) -> tuple:
    """Is an apparent loss carried by thermometers departing from their zone's consensus, not by the pressure?

    ``f_zone``: the zone's track as a fraction of its mass [-] per bin over the alarm's test window, ``ok`` its
    measured bins; ``g``: the log of the zone's effective temperature minus the log of its consensus temperature
    (every module at the consensus of the zone's thermometers plus the offset its thermometer had at its first bin)
    [-], so that ``-g`` is the part of the track's fractional change that the thermometers' departures from each
    other make.

    A thermometer that drifts (or warms with its own electronics) moves away from the others and takes its module's
    apparent mass with it, while the pressure, which the gas makes, stays: the loss is then in ``-g``, not in the
    consensus track ``f_zone + g``. The alarm's evidence is taken where the track's loss is most significant (the
    window's slope, or a hinge on a geometric grid of onsets, white standard errors). Carried when there the
    departures lose significantly (3 white standard errors) and carry more than :data:`CARRIED_SHARE` of the loss. A
    leak, which the pressure carries, stays in the consensus track; it waits only while modules' gas warms away
    from the others by as much (a leak must appear beyond what the thermometers can explain). Returns
    ``(carried, text)``.
    """
    n = len(f_zone)
    okg = ok & np.isfinite(g) & np.isfinite(f_zone)
    ons: list = [None]
    i = n - 3
    while i >= MIN_REF_BINS:
        ons.append(i)
        i = n - int(math.ceil((n - i) * 1.5))
    best, on = -math.inf, None
    for o in ons:
        c, se = _loss_at(f_zone, okg, o)
        if math.isfinite(c) and se > 0 and c / se > best:
            best, on = c / se, o
    if not best > 0:
        return False, ""
    loss = _loss_at(f_zone, okg, on)[0]
    dep, se_dep = _loss_at(-g, okg, on)
    if not (math.isfinite(dep) and dep > 3.0 * se_dep and dep > CARRIED_SHARE * loss):
        return False, ""
    rest = _loss_at(f_zone + g, okg, on)[0]
    return True, (f"thermometer suspicion: thermometers departing from their zone's other thermometers carry "
                  f"{100 * min(dep / loss, 9.99):.0f} % of the track's fall (the consensus temperature "
                  f"{100 * rest / loss:.0f} %); the pressure does not show it")


def _track_fraction(det, i0: int, i1: int) -> tuple:
    """A zone detector's track over its bins ``i0 .. i1`` as a fraction of the track's mass [-], and the measured
    flags (the track is kg per bin relative to its start; its level is the air mass times the track's share)."""
    m = np.asarray(det.mass.v[i0:i1 + 1], dtype=float)
    level = det.frac * float(np.nanmean(m)) if np.isfinite(m).any() else math.nan
    y = np.asarray(det.y.v[i0:i1 + 1], dtype=float)
    return y / level, np.asarray(det.real.v[i0:i1 + 1], dtype=bool).copy()


def _active_at(det, k: int, seen: int) -> bool:
    """Has ``det`` a confirmed alarm (one of its first ``seen``) active at bin ``k``?"""
    for al in det.alarms[:seen]:
        if det.k_first + al.n_alarm <= k and (al.end_n is None or det.k_first + al.end_n >= k):
            return True
    return False


def _shared_loss(det, al, dets: list, seen: dict, bin_s: float, tracker) -> str:
    """Why the alarm ``al`` of ``det`` is not a leak ("" when it is one): a loss carried only by thermometers
    departing from the others (:func:`thermometer_carried`, from the ``tracker``'s temperature history), or a
    temperature error shared by the other zones' detectors ``dets`` (:func:`common_mode`; those covering the
    alarm's window with no restart and no confirmed alarm of their own)."""
    n = al.n_alarm
    a = det._fit_start(al.tau, n)
    i0 = max(a - COMMON_MODE_PRE_BINS, int(al.floor), 0)
    k0, k_n = det.k_first + i0, det.k_first + n
    others = []
    for o in dets:
        if o is det or o.y.n == 0:
            continue
        j0, j1 = k0 - o.k_first, k_n - o.k_first
        if j0 < 0 or j1 >= o.y.n or o.reset_n > j0 or _active_at(o, k_n, seen.get(id(o), 0)):
            continue
        others.append(_track_fraction(o, j0, j1))
    w0 = max(int(al.floor), n - det.cfg.window_bins + 1, 0)  # the alarm's test window
    fw, okw = _track_fraction(det, w0, n)
    t_eff, t_ce = tracker.temperature_history(det.zone, det.k_first + w0, k_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.log(t_eff) - np.log(t_ce)
    carried, text = thermometer_carried(fw, okw, g)
    if carried:
        return text
    if not others or not det.cfg.common_mode:
        return ""
    f, ok = _track_fraction(det, i0, n)
    shared, text = common_mode(f, ok, others, a - i0, math.sqrt(2.0 * det.h), bin_s)
    return text if shared else ""


def review_alarms(engine) -> None:
    """Cross-checks of new alarms across the zone detectors of ``engine`` (a
    :class:`~hullbreach.detect.detector.DetectionEngine`), after each chunk of bins has been fed to every zone.

    Every alarm not reviewed yet, in the order of its bin (then zone), is checked with data up to its bin: a loss
    carried by thermometers departing from the others (:func:`thermometer_carried`, from the tracker's temperature
    history), then, when ``cfg.common_mode``, a temperature error shared by the other zones (:func:`common_mode`).
    Such an alarm is removed (the detector's ``suspicion`` says why) and the detector's later crossings of the chunk
    are scanned again. Batch (one chunk) and streaming (a bin at a time) review the same alarms with the same data,
    since every zone has its chunk by then and only bins up to the alarm's are read."""
    seen = engine._cm_seen
    dets = list(engine.detectors.values()) + list(engine.finished)
    live = {id(d) for d in engine.detectors.values()}
    while True:
        todo = [(d.k_first + d.alarms[seen.get(id(d), 0)].n_alarm, d.zone, i) for i, d in enumerate(dets)
                if len(d.alarms) > seen.get(id(d), 0)]
        if not todo:
            return
        _, _, i = min(todo)
        det = dets[i]
        j = seen.get(id(det), 0)
        al = det.alarms[j]
        moved = gas_moved_to_neighbour(det, al, dets, engine.station, engine.cfg.bin_s)
        why = moved or _shared_loss(det, al, dets, seen, engine.cfg.bin_s, engine.tracker)
        if not why:
            seen[id(det)] = j + 1
            continue
        if moved:
            det.transfer = moved  # equalizing: not a thermometer suspicion
        else:
            det.suspicion = why
        del det.alarms[j:]
        nn = np.arange(al.n_alarm + 1, det.stat.n)
        det._alarm_scan(nn, np.asarray(det.stat.v[al.n_alarm + 1:det.stat.n], dtype=float))
        if id(det) not in live and det.alarms and det.alarms[-1].end_n is None:
            det.seal()  # an ended zone's alarm ends with it, as when it was fed


# ------------------------------------------------------------------------- thermometer steps the pressure ignores
#: A step in the thermometers' departure from their consensus must exceed this many robust standard deviations of
#: the local step statistic over the span, and :data:`STEP_MIN_K`, to be examined [-].
STEP_Z = 5.0
#: Smallest temperature step examined [K] (a 0.03 K step moves a zone's apparent mass by 1e-4; the thermometers'
#: fault tolerance is 1.5 K).
STEP_MIN_K = 0.03
#: A step is called the thermometer's when the pressure followed less than this share of it [-] (a gas warmed at
#: fixed mass and volume raises its pressure in proportion, p / T constant) and the air mass's step is
#: :data:`STEP_FAULT_Z` standard errors from zero.
STEP_FOLLOW_MAX = 0.5
STEP_FAULT_Z = 3.0
#: Local windows of the step statistic on each side [s], and the transition left out between them [s] (a
#: thermometer's lag, minutes).
STEP_WINDOW_S = 1800.0
STEP_GAP_S = 300.0


def local_steps(x: np.ndarray, ok: np.ndarray, w: int, gap: int) -> np.ndarray:
    """Local step statistic of a series ``x`` (any unit) at every bin [unit of ``x``]: the jump between the level of
    the ``w`` bins before bin ``k`` and that of the ``w`` bins from ``k + gap`` on (the ``gap`` bins between, a
    sensor's transition, left out), both lines sharing one slope (least squares), so a ramp (a leak, a slow
    drift) gives no step. NaN where either window has a bin not ``ok``."""
    n = len(x)
    out = np.full(n, np.nan)
    if n < 2 * w + gap or w < 2:
        return out
    good = ok & np.isfinite(x)
    xv = np.where(good, x, 0.0)
    j = np.arange(n, dtype=float)
    c0 = np.concatenate([[0.0], np.cumsum(xv)])
    c1 = np.concatenate([[0.0], np.cumsum(xv * j)])
    cg = np.concatenate([[0], np.cumsum(good)])
    k = np.arange(w, n - gap - w + 1)
    lo_l, lo_r = k - w, k + gap
    full = (cg[k] - cg[lo_l] == w) & (cg[lo_r + w] - cg[lo_r] == w)
    s0_l, s0_r = c0[k] - c0[lo_l], c0[lo_r + w] - c0[lo_r]
    mean_l, mean_r = s0_l / w, s0_r / w
    cen_l, cen_r = lo_l + (w - 1) / 2.0, lo_r + (w - 1) / 2.0
    sxy = (c1[k] - c1[lo_l] - cen_l * s0_l) + (c1[lo_r + w] - c1[lo_r] - cen_r * s0_r)
    sxx = 2.0 * (w ** 3 - w) / 12.0
    slope = sxy / sxx
    step = mean_r - mean_l - slope * (cen_r - cen_l)
    out[k[full]] = step[full]
    return out


def _robust_scale(v: np.ndarray) -> float:
    """1.4826 times the median absolute deviation of the finite values of ``v`` (NaN with fewer than 10)."""
    f = v[np.isfinite(v)]
    if len(f) < 10:
        return math.nan
    return 1.4826 * float(np.median(np.abs(f - np.median(f))))


def step_gap_bins(bin_s: float) -> int:
    """The thermometer transition left out at a step [bins] (:data:`STEP_GAP_S`)."""
    return max(int(math.ceil(STEP_GAP_S / bin_s)), 1)


def thermometer_steps(g: np.ndarray, p: np.ndarray, T: np.ndarray, ok: np.ndarray, bin_s: float,
                      max_steps: int = 3) -> list:
    """Steps of a zone's thermometers, each with the air-mass step it made and whether the pressure followed it.

    A gas at fixed mass and volume keeps ``p / T`` constant (ideal gas law, Gay-Lussac's law; e.g. P. Atkins and
    J. de Paula, *Physical Chemistry*, 9th ed., §1.2): its temperature cannot move by tenths of a kelvin within
    minutes without its pressure moving by the same fraction, and a leak takes hours to move the air mass that far.
    A thermometer that is recalibrated or gets a bias step jumps alone: the air mass computed from it,
    ``p V / R T``, jumps by ``-dT / T``, which a rate fit across the step reads as a loss (or a gain), while a gas
    that warmed (an equipment power step) leaves the air mass where it was.

    ``g``: the log of the zone's effective temperature minus the log of its thermometers' consensus (single
    thermometers departing from the others, :meth:`~hullbreach.detect.airmass.AirMassTracker.temperature_history`;
    with one thermometer, all-zero departures: the air mass's own steps are scanned, where ``T`` stepped the other
    way) [-]; ``p``: the zone pressure [Pa];
    ``T``: the zone's effective temperature [K] (``p V / R T`` is its air mass); ``ok``: the bins measured (not
    inside a known operation); ``bin_s`` [s].

    The local step statistic (:func:`local_steps`, windows of :data:`STEP_WINDOW_S`, transition of
    :func:`step_gap_bins`) of ``g`` is scanned for its largest jumps (at most ``max_steps``, each at least
    :data:`STEP_Z` robust standard deviations of the statistic over the span and :data:`STEP_MIN_K`). At each, the
    air mass's own step (``log(p / T)``, the same statistic; the swings the pressure follows cancel in it) is what
    the thermometers' step did to the air mass beyond the gas: about ``-dT / T`` for a thermometer fault, about 0
    for a gas that warmed; a step of the air mass outside that range (the pressure followed less than
    ``-STEP_FOLLOW_MAX`` or more than ``1 + STEP_FOLLOW_MAX`` of the thermometers' step: gas added or lost, an
    unlogged repress) is not the thermometers' and is not returned (a composition change moves the air mass and
    not the N2 track). Returns ``[(k, mass_step, se, followed, fault)]`` in bin order: ``k`` the first bin of
    the transition (bins ``k .. k + gap - 1``), ``mass_step`` the step of log(air mass) [-] and its standard error
    (the robust standard deviation of the statistic over the span) [-], ``followed`` the share of the thermometers'
    step the pressure followed (``1 + mass_step / dlog T``) [-], ``fault`` whether that share is below
    :data:`STEP_FOLLOW_MAX` with the mass step :data:`STEP_FAULT_Z` standard errors from zero (a thermometer
    fault, not gas warming). An empty list when nothing stepped or the span is too short.
    """
    w = max(int(round(STEP_WINDOW_S / bin_s)), 3)
    gap = step_gap_bins(bin_s)
    okp = ok & np.isfinite(p) & (p > 0) & np.isfinite(T) & (T > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lT = np.log(np.where(okp, T, 1.0))
        dm = local_steps(np.log(np.where(okp, p, 1.0)) - lT, okp, w, gap)
    oks = ok & np.isfinite(g)
    dg = local_steps(g, oks, w, gap)
    s_g, s_m = _robust_scale(dg), _robust_scale(dm)
    if not (math.isfinite(s_m) and s_m > 0):
        return []
    if not (math.isfinite(s_g) and s_g > 0):
        # one thermometer (no departures): the steps of the air mass itself, where the temperature stepped the
        # other way by at least half as much (so a pressure gauge's own step is not taken for the thermometer's)
        dT = local_steps(lT, okp, w, gap)
        dg = np.where(np.isfinite(dT) & (-dm * dT > 0) & (np.abs(dT) > 0.5 * np.abs(dm)), -dm, 0.0)
        s_g = s_m
    d = np.where(np.isfinite(dg) & np.isfinite(dm), np.abs(dg), 0.0)
    floor = max(STEP_Z * s_g, STEP_MIN_K / float(np.median(T[okp])))
    out = []
    for _ in range(max_steps):
        k = int(np.argmax(d))
        if not d[k] > floor:
            break
        d[max(k - w - gap, 0): k + w + gap + 1] = 0.0
        followed = 1.0 + float(dm[k] / dg[k])
        if not -STEP_FOLLOW_MAX < followed < 1.0 + STEP_FOLLOW_MAX:
            continue  # the air mass moved beyond what the thermometers say: gas added or lost, not a thermometer
        fault = followed < STEP_FOLLOW_MAX and abs(float(dm[k])) > STEP_FAULT_Z * s_m
        out.append((k, float(dm[k]), s_m, followed, bool(fault)))
    return sorted(out)
