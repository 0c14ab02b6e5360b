"""Cross-checks of a detector's crossing (issue 16): a leak must appear in the pressure itself, beyond what the
thermometers can explain within their credibility.

Pure functions on a zone's per-bin series (the track's pressure [Pa]: the zone pressure for the air track, the N2
partial pressure for the N2 track; the zone temperature [K]; the measured flags), called by
:meth:`hullbreach.detect.detector.ZoneDetector._confirmed`. docs/detection.md §2c.
"""

from __future__ import annotations

import math

import numpy as np

from hullbreach.detect.glr import MIN_REF_BINS

#: History over which the thermometers' credibility is measured before an onset [bins] (6 h at 60 s: a few
#: orbital swings).
CREDIBILITY_BINS = 360


def thermometer_credibility(p: np.ndarray, T: np.ndarray, real: np.ndarray, dp_dT: float) -> float:
    """How far the thermometers represent the gas, from the bins before an onset [-] (0..1): the regression slope
    of the track's pressure ``p`` [Pa] on the zone temperature ``T`` [K] (both detrended; its lower
    2-standard-error side), divided by the ideal-gas ``p / T`` (``dp_dT`` [Pa/K]). A thermometer that follows the
    gas moves the pressure with it (the orbital swings); one that warms with its own electronics does not. 0
    without enough history or temperature variation (not shown credible)."""
    if len(p) < 3 * MIN_REF_BINS:
        return 0.0
    ok = np.isfinite(p) & np.isfinite(T) & real
    if ok.sum() < 3 * MIN_REF_BINS:
        return 0.0
    u = np.arange(len(p), dtype=float)[ok]
    X = np.vstack([np.ones_like(u), u - u.mean()]).T
    rp = p[ok] - X @ np.linalg.lstsq(X, p[ok], rcond=None)[0]
    rT = T[ok] - X @ np.linalg.lstsq(X, T[ok], rcond=None)[0]
    vT = float(np.sum(rT * rT))
    if not vT > 0 or math.sqrt(vT / len(rT)) < 0.02:  # swings below 0.02 K: nothing shown
        return 0.0
    beta = float(np.sum(rp * rT)) / vT
    resid = rp - beta * rT
    se_beta = math.sqrt(float(np.sum(resid * resid)) / max(len(rp) - 3, 1) / vT)
    # the lower side (2 standard errors): credibility has to be shown
    return float(min(max((beta - 2.0 * se_beta) / dp_dT, 0.0), 1.0))


def pressure_confirms(series: np.ndarray, T: np.ndarray, real: np.ndarray, i_noise: int, i_fit: int,
                      bin_s: float) -> tuple:
    """Does the track's pressure confirm a loss since an onset?

    ``series``, ``T``, ``real``: the track's pressure [Pa], the zone temperature [K] and the measured flags from the
    start of the credibility history (:data:`CREDIBILITY_BINS` before the fit) to the crossing; ``i_noise``: index
    from which the pressure's own noise is measured (robust second differences); ``i_fit``: index of the first bin
    after the onset; ``bin_s`` [s].

    The fall of the pressure since the onset, plus the measured warming times ``p / T`` times the thermometers'
    credibility (:func:`thermometer_credibility` on the bins before the onset), must exceed 3 standard errors of
    the pressure's own noise. Returns ``(confirmed, suspicion)``: ``suspicion`` is the text of a thermometer
    suspicion when the pressure did not fall while the thermometers warmed (the fall of the track is then
    carried by temperature), else "". Too little data to tell: confirmed (the statistic alone decides).
    """
    p = series[i_fit:]
    Tf = T[i_fit:]
    ok = np.isfinite(p) & np.isfinite(Tf) & real[i_fit:]
    if ok.sum() < 5:
        return True, ""
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
        return True, ""
    sig_p = math.sqrt(float(np.median(d2 * d2)) / 0.455 / 6.0)
    se_dp = sig_p * math.sqrt(1.0 / sxx) * M
    p_mean, T_mean = float(np.mean(p[ok])), float(np.mean(Tf[ok]))
    cred = thermometer_credibility(series[:i_fit], T[:i_fit], real[:i_fit], p_mean / T_mean)
    if -dp + cred * p_mean / T_mean * dT > 3.0 * se_dp:
        return True, ""
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


def _shared_loss(det, al, dets: list, seen: dict, bin_s: float) -> str:
    """The common-mode text when the alarm ``al`` of ``det`` is a temperature error shared by the other zones'
    detectors ``dets`` (those covering the alarm's window with no restart and no confirmed alarm of their own),
    else ""."""
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
    if not others:
        return ""
    f, ok = _track_fraction(det, i0, n)
    shared, text = common_mode(f, ok, others, a - i0, math.sqrt(2.0 * det.h), bin_s)
    return text if shared else ""


def review_alarms(engine) -> None:
    """Common-mode rejection over the zone detectors of ``engine`` (a
    :class:`~hullbreach.detect.detector.DetectionEngine`), after each chunk of bins has been fed to every zone.

    Every alarm not reviewed yet, in the order of its bin (then zone), is checked with :func:`common_mode` against
    the other zones' tracks up to its bin; a shared temperature error is removed (the detector's ``suspicion``
    says why) and the detector's later crossings of the chunk are scanned again. Both batch (one chunk) and
    streaming (a bin at a time) review the same alarms with the same data, since every zone has its chunk by
    then and only bins up to the alarm's are read."""
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
        why = _shared_loss(det, al, dets, seen, engine.cfg.bin_s)
        if not why:
            seen[id(det)] = j + 1
            continue
        det.suspicion = why
        del det.alarms[j:]
        nn = np.arange(al.n_alarm + 1, det.stat.n)
        det._alarm_scan(nn, np.asarray(det.stat.v[al.n_alarm + 1:det.stat.n], dtype=float))
        if id(det) not in live and det.alarms and det.alarms[-1].end_n is None:
            det.seal()  # an ended zone's alarm ends with it, as when it was fed
