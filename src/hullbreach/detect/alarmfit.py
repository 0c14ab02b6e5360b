"""After an alarm: onset, loss rate, growth and the operator's estimates of a zone detector.

:class:`AlarmFitting` holds the methods of :class:`hullbreach.detect.detector.ZoneDetector` that work on an
alarm already raised (the test itself is in ``detector.py``): the maximum-likelihood onset of the hinge
model with its likelihood-ratio interval (Hinkley 1970), the least-squares loss rate since the onset and its
standard error, the quadratic fit that flags a growing leak, and the conversion to mass flow, pressure
rate, effective hole and reserve time with 95 % intervals (:func:`hullbreach.detect.estimate.estimate_from_rate`).
Method docstrings give the units; the references are those of ``detector.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from hullbreach.constants import SECONDS_PER_DAY
from hullbreach.detect.airmass import iso
from hullbreach.detect.crosscheck import STEP_FOLLOW_MAX, step_gap_bins, thermometer_steps
from hullbreach.detect.estimate import BASELINE_MIN_S, baseline_loss, estimate_from_rate, widened
from hullbreach.detect.glr import (
    GROWTH_MIN_FRACTION,
    GROWTH_Z,
    KAPPA_SCALES,
    MC_SAMPLES,
    MIN_FIT_BINS,
    MIN_REF_BINS,
    ONSET_LR_95,
    _power_sum,
    quad_slow_variance,
    slope_slow_variance,
)
from hullbreach.detect.result import Alarm
from hullbreach.uncertain import Interval

if TYPE_CHECKING:  # annotations only (detector.py imports this module)
    from hullbreach.detect.config import DetectorConfig
    from hullbreach.station import Station


@dataclass
class _AlarmState:
    n_alarm: int
    stat: float
    tau: int
    floor: int = 0
    growing_n: int | None = None
    end_n: int | None = None
    at_alarm: tuple | None = None
    onset: tuple | None = None  # ((n_eval, floor), onset MLE and interval) of the last result rebuild
    final: tuple | None = None  # ((a, end, growing, seed), estimate) of an ended alarm (its data no longer change)
    fit_a: int | None = None  # first bin of the rate fit that confirmed the alarm (the at-alarm estimate's span)


class AlarmFitting:
    """Mixin of :class:`~hullbreach.detect.detector.ZoneDetector`: the fits made once an alarm is raised."""

    def _onset_mle(self, n: int, lo_bound: int | None = None, tau_max: int | None = None, honest: bool = False):
        """Change point MLE over the window ending at n, and its LR interval (track indices); with ``tau_max``
        (the alarm's bin) the change is sought at or before it only: an alarm's onset is never after its time.

        ``honest`` (the onset reported with an alarm; the detection itself uses the plain MLE): the interval also
        holds what the slow noise allows and what the window cannot see:

        * the LR drop is scaled by ``1 + slow / white``, the ratio of the variances of the post-change slope
          over the MLE's age under the slow noise in use and under white noise (the profile likelihood is
          computed with white noise; an unmeasured temperature offset makes it too sharp);
        * when the loss rate over the window before the MLE is not significantly smaller than after it (2
          standard errors with the slow noise), the data cannot tell that the loss is new: the onset is the
          window's start and its interval reaches back to the first bin the detector has (a slow leak found a
          day after it began: the kink the MLE finds is then a recent noise excursion, and its sharp interval
          missed the truth by up to ~24 h in the robust sweep)."""
        a = max(n - self.cfg.window_bins + 1, self.reset_n if lo_bound is None else lo_bound, 0)
        N = n - a + 1
        sig = self.sig.v[n] if n < self.sig.n and np.isfinite(self.sig.v[n]) else np.nanmedian(self.sig.v) if self.sig.n else 1.0
        if not np.isfinite(sig) or sig <= 0:
            sig = 1.0
        # interval under slow disturbances: the variance ratio at the scale of the change's age
        sig *= math.sqrt(float(self.noise.kappa_at(np.array([n]))[0][-1]))
        ms = np.arange(1, max(N - 2, 2))
        C0, Cj = self.C0.v, self.Cj.v
        Sy = C0[n + 1] - C0[a]
        Suy = (Cj[n + 1] - Cj[a]) - n * Sy
        Su = -(N - 1) * N / 2
        Suu = (N - 1) * N * (2 * N - 1) / 6
        det = N * Suu - Su * Su
        m = ms.astype(float)
        lo = n - ms + 1
        Ty = C0[n + 1] - C0[lo]
        Tjy = Cj[n + 1] - Cj[lo]
        hy = (Tjy - n * Ty) + m * Ty
        h1 = _power_sum(m, 1)
        hh = _power_sum(m, 2)
        hu = hh - m * h1
        with np.errstate(divide="ignore", invalid="ignore"):
            ginv_y = (h1 * (Suu * Sy - Su * Suy) + hu * (-Su * Sy + N * Suy)) / det
            ginv_g = (h1 * (Suu * h1 - Su * hu) + hu * (-Su * h1 + N * hu)) / det
            u = hy - ginv_y
            v = hh - ginv_g
            llr = np.where((u < 0) & (v > 0), u * u / (2 * sig * sig * v), 0.0)
        if tau_max is not None:
            llr = np.where(n - ms <= tau_max, llr, 0.0)
        if not np.any(llr > 0):
            # No loss kink inside the window: the window's own line explains the track, so a loss it shows was
            # under way at the window's first bin (a leak that began before a known operation restarted the
            # window, or one older than the window). The onset is the window's start, its interval reaching back
            # to the track's first bin. Until 7 Dec 2026 the crossing's own bin was returned: an onset interval
            # of zero width hours after the truth, and a confirmation fit of 3 bins that failed for an hour
            # (an MS-09 leak starting during an O2 repress, third generator: alarm 4.4 h after onset).
            t = a if tau_max is None else min(a, tau_max)
            return t, 0 if honest else t, t
        i = int(np.argmax(llr))
        widen = 1.0
        if honest:
            P = int(ms[i]) + 1  # points of the post-change slope
            if P >= 3:
                white = sig * sig * 12.0 / (P ** 3 - P)
                widen = 1.0 + self.noise.slow_variance_of(n, slope_slow_variance, P) / white
        inside = llr >= llr[i] - ONSET_LR_95 * widen
        taus = n - ms  # change between tau and tau+1: the first bin of the loss is tau + 1 -> onset at bin edge
        if tau_max is not None:
            inside &= taus <= tau_max
        t_hat = int(taus[i])
        t_lo, t_hi = int(taus[inside].min()), int(taus[inside].max())
        if honest and t_hat - a + 1 >= MIN_REF_BINS and self._loss_not_new(a, t_hat, n, sig):
            # reaching back to the track's first bin, as said above: the window's floor is where a known operation
            # restarted the test, not a bound on the loss (a leak 10 min older than an O2 repress was outside an
            # interval that stopped at the repress's end)
            return a, 0, t_hi
        return t_hat, t_lo, t_hi

    def _slope_se(self, a: int, b: int, n: int, sig: float) -> tuple:
        """Least-squares slope of the track over bins ``a .. b`` [kg per bin] and its standard error (white noise
        ``sig`` [kg] and the slow noise in use at ``n``); NaN with fewer than 3 bins."""
        P = b - a + 1
        if P < 3:
            return math.nan, math.nan
        C0, Cj = self.C0.v, self.Cj.v
        Sy = C0[b + 1] - C0[a]
        Suy = (Cj[b + 1] - Cj[a]) - a * Sy  # u = j - a
        Su = (P - 1) * P / 2.0
        Suu = (P - 1) * P * (2 * P - 1) / 6.0
        slope = (P * Suy - Su * Sy) / (P * Suu - Su * Su)
        return slope, math.sqrt(sig * sig * 12.0 / (P ** 3 - P) + self.noise.slow_variance_of(n, slope_slow_variance, P))

    def _loss_not_new(self, a: int, t: int, n: int, sig: float) -> bool:
        """The data cannot tell that the loss began at ``t`` rather than before: the loss rate over ``a .. t``
        is not significantly (2 standard errors) smaller than over ``t + 1 .. n``."""
        pre, se_pre = self._slope_se(a, t, n, sig)
        post, se_post = self._slope_se(t + 1, n, n, sig)
        if not (math.isfinite(pre) and math.isfinite(post)):
            return True
        return bool((-post) - (-pre) < 2.0 * math.hypot(se_pre, se_post))

    def _growing(self, al: _AlarmState, ns: np.ndarray) -> np.ndarray:
        """Growing-leak test at bins ``ns`` (vectorised): quadratic fit of the track from the onset."""
        a = al.tau + 1
        ns = np.asarray(ns, dtype=np.int64)
        M = (ns - a).astype(float)
        ok = (M >= 10) & (M >= 0.5 * (al.n_alarm - al.tau))
        out = np.zeros(len(ns), dtype=bool)
        if not ok.any():
            return out
        ns, M = ns[ok], M[ok]
        C0, Cj, Cjj = self.C0.v, self.Cj.v, self.Cjj.v
        Sy = C0[ns + 1] - C0[a]
        Sjy = Cj[ns + 1] - Cj[a]
        Sjjy = Cjj[ns + 1] - Cjj[a]
        Y0 = Sy
        Y1 = (Sjy - a * Sy) / M
        Y2 = (Sjjy - 2 * a * Sjy + a * a * Sy) / (M * M)
        # moments of v = u / M, u = 0..M
        S0 = M + 1
        S1 = M * (M + 1) / 2 / M
        S2 = M * (M + 1) * (2 * M + 1) / 6 / M ** 2
        S3 = (M * (M + 1) / 2) ** 2 / M ** 3
        S4 = M * (M + 1) * (2 * M + 1) * (3 * M * M + 3 * M - 1) / 30 / M ** 4
        A = np.empty((len(M), 3, 3))  # the symmetric moment matrix, filled in place (no stacking)
        A[:, 0, 0] = S0
        A[:, 0, 1] = A[:, 1, 0] = S1
        A[:, 0, 2] = A[:, 1, 1] = A[:, 2, 0] = S2
        A[:, 1, 2] = A[:, 2, 1] = S3
        A[:, 2, 2] = S4
        rhs = np.empty((len(M), 3))
        rhs[:, 0], rhs[:, 1], rhs[:, 2] = Y0, Y1, Y2
        try:
            inv = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            return out
        beta = np.einsum("nij,nj->ni", inv, rhs)
        # white-noise sigma inflated by the measured variance ratio at the largest scale (slow disturbances
        # look like curvature over hours)
        sig = self.sig.v[ns] * np.sqrt(self.noise.kappa_at(ns)[:, -1])
        b = beta[:, 1] / M  # kg per bin at the onset
        c = beta[:, 2] / (M * M)
        # white part, and the slow noise's (the OU components' curvature over the fit)
        slow = np.array([self.noise.slow_variance_of(int(j), quad_slow_variance, int(mm) + 1) for j, mm in zip(ns, M)])
        se_c = np.sqrt(sig * sig * np.maximum(inv[:, 2, 2], 0) / M ** 4 + slow)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = -c / se_c
        rate0 = -b
        rate_now = -(b + 2 * c * M)
        g = (z > GROWTH_Z) & (rate0 > 0) & ((rate_now - rate0) > GROWTH_MIN_FRACTION * rate0) & np.isfinite(z)
        out[np.nonzero(ok)[0]] = g
        return out

    def _quad_fit(self, a: int, n: int):
        """Fit y = b0 + b u + c u^2 on [a, n] (u = j - a); returns (c, se_c, b)."""
        u = np.arange(0, n - a + 1, dtype=float)
        y = self.y.v[a: n + 1]
        sig = np.nanmedian(self.sig.v[max(a, 0): n + 1]) if self.sig.n else np.nan
        if not np.isfinite(sig):
            return np.nan, np.nan, np.nan
        X = np.vstack([np.ones_like(u), u, u * u]).T
        XtX = X.T @ X
        try:
            inv = np.linalg.inv(XtX)
        except np.linalg.LinAlgError:
            return np.nan, np.nan, np.nan
        beta = inv @ (X.T @ y)
        return float(beta[2]), float(sig * math.sqrt(inv[2, 2])), float(beta[1])

    def _fit_rate(self, a: int, b: int, y_span: tuple | None = None, at: int | None = None):
        """Slope on [a, b] (track indices) and its standard error [kg per bin]. ``y_span``: ``(y, use, first)``, a
        corrected copy of the track from its bin ``first`` on and the bins the fit may use (a thermometer's
        transition left out; :meth:`_corrected_track`), instead of the track itself. ``at``: the bin whose noise
        model (slow noise, variance ratio) is used (default ``b``; a later bin for a span before an onset, whose
        own bins may still hold the start-up prior)."""
        at = b if at is None else at
        u = np.arange(0, b - a + 1, dtype=float)
        y = self.y.v[a: b + 1]
        if y_span is not None:
            yc, use, first = y_span
            y, keep = yc[a - first: b - first + 1], use[a - first: b - first + 1]
            u, y = u[keep], y[keep]
        if len(u) < 3:
            return np.nan, np.nan
        sig = np.nanmedian(self.sig.v[a: b + 1]) if self.sig.n else np.nan
        uc = u - u.mean()
        sxx = float(np.sum(uc * uc))
        slope = float(np.sum(uc * (y - y.mean())) / sxx)
        if not np.isfinite(sig):
            resid = y - y.mean() - slope * uc
            sig = float(np.std(resid, ddof=2)) if len(u) > 3 else 0.0
        # slow disturbances make a long fit less certain than white noise says: inflate by the measured
        # variance ratio at the largest scale the fit spans
        kap = self.noise.kappa_at(np.array([at]))[0]
        kap_fit = kap[min(int(np.searchsorted(np.asarray(KAPPA_SCALES), len(u), side="left")), len(kap) - 1)]
        # and by the slow noise (random walk of diffusion q: the slope's variance q sum K^2)
        slow = self.noise.slow_variance_of(at, slope_slow_variance, len(u))
        return slope, float(math.sqrt(sig * sig * kap_fit / sxx + slow))

    def _corrected_track(self, first: int, end: int, bin_s: float, t_history) -> tuple:
        """The track over bins ``first .. end`` with the air-mass steps its thermometers made removed
        (:func:`~hullbreach.detect.crosscheck.thermometer_steps`, from the tracker's temperature history
        ``t_history(zone, k0, k1)``): ``((y, use, first), steps, level)``, the corrected track [kg], the bins a fit
        may use (each step's transition left out), the steps, and the track's level [kg]. Each step is removed by
        the air mass's own step there (the pressure over the thermometers): a thermometer fault's whole step, a
        gas warming's nothing, whichever it was."""
        key = (int(first), int(end), float(bin_s), t_history is not None)
        memo = self.__dict__.setdefault("_corrected_memo", {})
        if key in memo:
            # the same span again (the whole loss and the change since the onset of one alarm update, or the next
            # update before a bin arrived): the bins and their temperature history before ``end`` do not change
            (y, use, f0), steps, level = memo[key]
            return (y.copy(), use.copy(), f0), list(steps), level
        out = self._corrected_track_of(first, end, bin_s, t_history)
        if len(memo) >= 8:
            memo.pop(next(iter(memo)))
        (y, use, f0), steps, level = out
        memo[key] = ((y.copy(), use.copy(), f0), list(steps), level)
        return out

    def _corrected_track_of(self, first: int, end: int, bin_s: float, t_history) -> tuple:
        """:meth:`_corrected_track` computed (no memo)."""
        y = np.asarray(self.y.v[first: end + 1], dtype=float).copy()
        use = np.asarray(self.real.v[first: end + 1], dtype=bool).copy()
        m = np.asarray(self.mass.v[first: end + 1], dtype=float)
        level = float(np.nanmedian(m)) * self.frac if np.isfinite(m).any() else math.nan
        if t_history is None or not math.isfinite(level) or end - first < 8:
            return (y, use, first), [], level
        te, tc = t_history(self.zone, self.k_first + first, self.k_first + end)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.log(te) - np.log(tc)
        steps = thermometer_steps(g, np.asarray(self.p.v[first: end + 1], dtype=float),
                                  np.asarray(self.T.v[first: end + 1], dtype=float), use, bin_s)
        gap = step_gap_bins(bin_s)
        for k, mass_step, _se, _fol, _fault in steps:
            y[k + gap:] -= level * mass_step
            use[k: k + gap] = False
        return (y, use, first), steps, level

    def _estimate(self, a: int, end: int, station: Station, cfg: DetectorConfig, growing: bool, seed: int,
                  pre: tuple | None = None, t_history=None, maybe: tuple | None = None):
        """LeakEstimate from the track between bins a and end (post-onset): the slope over the recent part
        in which the zone lost at most 5 % of its gas (so a fast, decaying leak is sized by its current
        rate), or the quadratic end-rate for a growing leak.

        ``pre``: ``(b0, b1)``, bins before the onset (up to the lower end of its 95 % interval) whose slope is the
        baseline loss (CO2-removal venting, the station's background leakage): the leak is the change of the loss
        rate since the onset, the baseline's standard error added to the rate's, and the reserve time counted at
        the total loss (:func:`~hullbreach.detect.estimate.estimate_from_rate`). The baseline is the least-squares
        slope over up to one test window (24 h) before the onset, so a periodic venting (CO2 removal every 144 min
        on the third generator) is averaged over the cycles that span holds (its last partial cycle is noise in
        that slope, counted by the slow-noise terms of :meth:`_fit_rate`), and combined with the station's
        background allowance as a prior (:func:`~hullbreach.detect.estimate.baseline_loss`: a few hours of a noisy
        track measure it poorly). A baseline gain is not subtracted (only its uncertainty counted); a measured
        baseline loss above the allowance is said in the notes (an older leak may be under way). None: the whole loss since the onset (the data cannot tell the loss is
        new, or too little history before it).

        ``t_history``: the tracker's temperature history; with it, thermometer steps in the fitted span are removed
        from the track first (:meth:`_corrected_track`) and a step the pressure did not follow is reported as a
        thermometer suspicion in the notes.

        ``maybe``: ``(b0, t)`` when the data cannot tell that the loss is new (the onset's interval reaches back to
        the track's first bin) but the likelihood has its kink at ``t``: the loss before ``t`` may be background or
        the same leak, older than the record. The estimate is then the whole loss (a slow leak older than the record
        is not subtracted from itself) and its intervals reach down to the change since ``t`` over the baseline on
        ``b0 .. t`` (:func:`~hullbreach.detect.estimate.widened`): both readings are covered.
        """
        if maybe == ():
            # no history before the onset at all: the whole loss, its interval reaching down to what is left once
            # the prior's background (:func:`baseline_loss` without a measurement) is taken off
            whole = self._estimate(a, end, station, cfg, growing, seed, t_history=t_history)
            change = self._estimate(a, end, station, cfg, growing, seed, pre=(), t_history=t_history)
            return widened(whole, change, "no history before the onset to learn the background loss from: the estimate "
                                          "is the whole loss, its interval reaching down to the station's nominal "
                                          "background taken off")
        if maybe is not None:
            whole = self._estimate(a, end, station, cfg, growing, seed, t_history=t_history)
            b0, t = maybe
            if end - t < 3:
                return whole
            change = self._estimate(t + 1, end, station, cfg, growing, seed, pre=(b0, t), t_history=t_history)
            lost = -self._fit_rate(b0, t)[0] * SECONDS_PER_DAY / cfg.bin_s / self.frac
            return widened(whole, change, f"the data cannot tell whether the loss before {iso((self.k_first + t + 1) * cfg.bin_s)} "
                                          f"({lost:.3g} kg/day) is background or this leak, older than the record: the "
                                          f"estimate is the whole loss, its interval reaching down to the change since then")
        bin_s = cfg.bin_s
        first = a if not pre else min(pre[0], a)
        ys, steps, level = self._corrected_track(first, end, bin_s, t_history)
        slope, se = self._fit_rate(a, end, ys)
        fit0 = a
        if np.isfinite(slope) and slope < 0:
            m_track = float(np.nanmedian(self.mass.v[a: end + 1])) * self.frac
            w = int(max(MIN_FIT_BINS, 0.05 * m_track / -slope))
            if w < end - a + 1:
                fit0 = end - w + 1
                slope, se = self._fit_rate(fit0, end, ys)
        if growing:
            c, _se, bq = self._quad_fit(a, end)
            if np.isfinite(c):
                slope = bq + 2 * c * (end - a)
        if not np.isfinite(slope):
            slope, se = -self.allow, 0.0
        se = se if np.isfinite(se) else 0.0
        notes = []
        older = ""
        base = 0.0
        pre_slope = math.nan
        if pre == ():  # the prior alone
            b_hat, se_b = baseline_loss(math.nan, math.nan, self.allow)
            base = max(b_hat, 0.0)
            se = math.hypot(se, se_b)
        elif pre is not None and pre[1] - pre[0] + 1 >= max(MIN_REF_BINS, int(BASELINE_MIN_S / bin_s)):
            pre_slope, se_pre = self._fit_rate(pre[0], pre[1], ys, at=end)
            if math.isfinite(pre_slope) and math.isfinite(se_pre):
                b_hat, se_b = baseline_loss(-pre_slope, se_pre, self.allow)
                base = max(b_hat, 0.0)
                se = math.hypot(se, se_b)
                if -pre_slope > self.allow + 2.0 * se_pre:
                    per_day = SECONDS_PER_DAY / bin_s / self.frac
                    older = (f"a loss of {-pre_slope * per_day:.3g} kg/day was under way before the onset, above the "
                             f"station's background allowance ({self.allow * per_day:.3g} kg/day): it may be this leak, "
                             f"older than its onset says; the estimate is the change since the onset, its interval "
                             f"reaching up to the whole loss since {iso((self.k_first + pre[0]) * bin_s)}")
        # the steps' own uncertainty, through each one's leverage on the fitted slopes
        for k, mass_step, se_step, followed, fault in steps:
            jump = np.zeros(len(ys[0]))
            jump[k:] = 1.0
            lev = self._lever(jump, ys, fit0, end)
            if math.isfinite(pre_slope):  # the baseline's slope moves with the step too
                lev -= self._lever(jump, ys, pre[0], pre[1])
            se = math.hypot(se, level * se_step * lev)
            when = iso((self.k_first + first + k) * bin_s)
            dT = -mass_step * float(np.nanmedian(self.T.v[a: end + 1]))
            if fault:
                notes.append(f"thermometer suspicion: the zone's thermometers stepped {dT:+.2f} K at {when} while the "
                             f"pressure followed {100 * followed:.0f} % of it (a gas cannot change temperature in "
                             f"minutes without its pressure, p/T constant): removed from the track for this estimate")
            elif followed < STEP_FOLLOW_MAX:
                notes.append(f"a thermometer step at {when} that the pressure cannot tell from gas warming (air mass "
                             f"{mass_step * 1e6:+.0f} +- {se_step * 1e6:.0f} ppm): the track's step there taken from the "
                             f"air mass, its uncertainty included")
        loss_air = max(-slope - base, 1e-30) / self.frac / bin_s  # kg/s
        se_air = se / self.frac / bin_s
        base_air = base / self.frac / bin_s
        T = float(np.nanmedian(self.T.v[a: end + 1])) if end >= a else float(self.T.v[-1])
        p_now = float(self.p.v[end]) if np.isfinite(self.p.v[end]) else float(np.nanmedian(self.p.v))
        r = self.r_specific
        k_rate = r * T / self.volume_m3  # Pa per kg at constant T
        est = estimate_from_rate(zone=self.zone, volume_m3=self.volume_m3, pressure_pa=p_now, temperature_k=T,
                                 loss_rate_pa_s=loss_air * k_rate, loss_rate_std_pa_s=se_air * k_rate,
                                 threshold_pa=station.evacuation_pressure_pa, reserve_model=cfg.reserve_model,
                                 background_loss_rate_pa_s=base_air * k_rate, r_specific=r, seed=seed,
                                 n_samples=MC_SAMPLES)
        if base > 0:
            notes.insert(0, f"rate and hole relative to the loss before the onset ({base_air * k_rate * 3600.0:.3g} "
                            f"Pa/h, its uncertainty included)")
        est = replace(est, notes=est.notes + tuple(notes)) if notes else est
        if older:  # the reading in which the loss before the onset is this leak too: the whole loss since then
            whole = self._estimate(pre[0], end, station, cfg, growing, seed, t_history=t_history)
            est = widened(est, whole, older, down=False)
        return est

    @staticmethod
    def _lever(x: np.ndarray, ys: tuple, a: int, b: int) -> float:
        """Least-squares slope of ``x`` (aligned with ``ys``'s corrected track) over bins ``a .. b`` on the bins
        the fit uses [per bin]: what a unit step in the track does to the fitted slope."""
        _y, use, first = ys
        i0, i1 = a - first, b - first + 1
        u = np.arange(i0, i1, dtype=float)[use[i0:i1]]
        if len(u) < 3:
            return 0.0
        uc = u - u.mean()
        return float(np.sum(uc * x[i0:i1][use[i0:i1]]) / np.sum(uc * uc))

    def alarms_out(self, station: Station, cfg: DetectorConfig, seed: int = 0, t_history=None) -> list[Alarm]:
        """The zone's alarms with their estimates, from the data seen so far (``t_history``: the tracker's
        temperature history, :meth:`~hullbreach.detect.airmass.AirMassTracker.temperature_history`, for the
        thermometer steps of :meth:`_estimate`)."""
        out = []
        bin_s = cfg.bin_s
        last = self.y.n - 1
        for al in self.alarms:
            end = al.end_n if al.end_n is not None else last
            # onset from data up to a little after the alarm (where the hinge model holds best)
            age = max(al.n_alarm - al.tau, 5)
            n_eval = min(end, al.n_alarm + 2 * age, max(al.n_alarm, al.tau + self.cfg.window_bins // 2))
            # the onset depends on data up to n_eval only (append-only sums, the noise and kappa at n_eval) when
            # the noise at n_eval is known (else it takes the median noise so far): once n_eval stops moving (a
            # little after the alarm) it is cached with the alarm
            okey = (n_eval, al.floor)
            fixed = n_eval < self.sig.n and bool(np.isfinite(self.sig.v[n_eval]))
            if fixed and al.onset is not None and al.onset[0] == okey:
                tau_hat, tau_lo, tau_hi = al.onset[1]
            else:
                tau_hat, tau_lo, tau_hi = self._onset_mle(n_eval, al.floor, tau_max=al.n_alarm - 1, honest=True)
                al.onset = (okey, (tau_hat, tau_lo, tau_hi)) if fixed else None
            a = tau_hat + 1
            # the baseline: up to a window before the onset's 95 % interval, not across the known operation that
            # restarted the test; none when the interval reaches back to the track's first bin (the data cannot
            # tell that the loss is new: a slow leak older than the record is not subtracted from itself)
            b0 = max(tau_lo - cfg.window_bins, int(al.floor), self.reset_n, 0)
            pre = (b0, tau_lo) if tau_lo > 0 and tau_lo < a else None
            maybe = None
            if pre is None:  # the likelihood's own kink, when the data cannot tell that the loss is new
                b0 = max(int(al.floor), self.reset_n, 0)
                t_mle = self._onset_mle(n_eval, al.floor, tau_max=al.n_alarm - 1)[0]
                if t_mle - b0 + 1 >= max(MIN_REF_BINS, int(BASELINE_MIN_S / bin_s)) and t_mle >= a:
                    maybe = (max(b0, t_mle - cfg.window_bins), t_mle)
                else:
                    maybe = ()
            fit = dict(pre=pre, t_history=t_history, maybe=maybe)
            if al.end_n is None:
                est = self._estimate(a, end, station, cfg, al.growing_n is not None, seed, **fit)
            else:
                # an ended alarm's estimate uses bins a .. end only (append-only sums and noise): computed once,
                # not at every bin step of a monitor that runs on for days
                fkey = (a, end, al.growing_n is not None, seed, pre, maybe)
                if al.final is None or al.final[0] != fkey:
                    est = self._estimate(a, end, station, cfg, al.growing_n is not None, seed, **fit)
                    al.final = (fkey, est) if math.isfinite(self.p.v[end]) else None
                else:
                    est = al.final[1]
            if al.n_alarm < end:
                # at the alarm: from the onset estimate, unless that span's rate interval includes zero; then the
                # span that confirmed the alarm (its interval excludes zero)
                key = (a, al.fit_a, al.n_alarm, seed, pre, maybe)
                if al.at_alarm is None or al.at_alarm[0] != key:  # fixed once the alarm is past: cache it
                    e0 = self._estimate(a, max(al.n_alarm, a + 2), station, cfg, False, seed, **fit)
                    if not e0.leak_mass_flow_kg_s.low > 0 and (pre is not None or maybe is not None):
                        # the alarm proved a loss beyond the allowance, not yet its split from the baseline
                        e0 = self._estimate(a, max(al.n_alarm, a + 2), station, cfg, False, seed, t_history=t_history)
                    if not e0.leak_mass_flow_kg_s.low > 0 and al.fit_a is not None and al.fit_a != a:
                        e0 = self._estimate(al.fit_a, max(al.n_alarm, al.fit_a + 2), station, cfg, False, seed,
                                            t_history=t_history)
                    al.at_alarm = (key, e0)
                est_alarm = al.at_alarm[1]
            else:
                est_alarm = est
            t_of = lambda j: (self.k_first + j + 1) * bin_s  # noqa: E731 - end of bin j
            # the loss shows from bin tau+1 on: the change happened within a bin of the edge
            onset = Interval(t_of(tau_hat), t_of(tau_lo - 1), t_of(tau_hi + 1))
            active = al.end_n is None
            base = Alarm(kind="leak", zone=self.zone, time_s=t_of(al.n_alarm), onset_s=onset, statistic=al.stat,
                         threshold=self.h, track=self.track, estimate=est, active=active,
                         end_s=None if active else t_of(end), fit_span_s=(end - a + 1) * bin_s,
                         estimate_at_alarm=est_alarm)
            out.append(base)
            if al.growing_n is not None:
                out.append(replace(base, kind="growing_leak", time_s=t_of(al.growing_n)))
        return out
