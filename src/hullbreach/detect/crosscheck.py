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
