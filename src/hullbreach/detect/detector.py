"""Sequential leak detector on a zone's air-mass (or N2-mass) track: alarm, onset, size, reserve time.

The test
--------
Each zone gives one track ``y_j`` [kg] per time bin ``j`` (default 60 s): the N2 mass when the zone has a
ppN2 channel (as ISS ground control tracks leaks on the ppN2 trend: crew O2 use and O2 feeds move the
total mass by kilograms a day, N2 only leaks; docs/reference/figures.md), the total air mass otherwise. Known
operations are bridged (:mod:`hullbreach.detect.airmass`). On it runs a **window-limited generalized
likelihood ratio (GLR) test for a change in slope** [1], [2]:

* null: ``y_j = a + b j + e_j`` over the last ``L`` bins (default 24 h; ``b`` is the background loss,
  fitted, so the slow ISS seal leakage is never an alarm), ``e_j`` white with std ``sigma``;
* alternative: a hinge, ``y_j = a + b j + d (j - tau)_+`` with ``d < 0`` (a new loss starting at ``tau``)
  whose total loss rate after ``tau``, ``c = -(b + d)``, exceeds the background allowance (default
  0.23 kg/day for the 916 m^3 ISS, the 2011 figure, i.e. the same per cubic metre of the zone; reference
  README);
* the statistic is ``max over tau`` of the GLR of the one-sided hypothesis on that linear parameter,
  ``z_post^2 / 2`` with ``z_post = (c_hat - allowance) / se(c_hat)`` (regressors ``[1, u - h, h]``,
  ``h = (j - tau)_+``), over a geometric grid of change ages (1, 2, 3 ... ``L``-20 bins), plus a plain
  mass-point test [3] of the whole window's slope against the allowance (catches a leak that was already
  there when the record starts). The allowance is counted at its worst case over null records whose loss
  changes within the window (:func:`hullbreach.detect.glr.worst_case_excess`), so under every null record,
  constant or changing, each ``z_post`` has a mean <= 0 and the statistic is stochastically at most its law
  on white noise without allowance, on which the threshold is calibrated. Until 2026-11-27 the statistic was the slope-change LLR ``(h' M y)^2 / (2 sigma^2 h' M h)``
  counted only where ``z_post > 3``; the present one uses the information on the loss *after* the change
  (it needs the pre-change line only for the level at ``tau``), which is larger when the reference before
  the change is short (docs/benchmarks/detect-delay.md);
* ``sigma`` is estimated from second differences (insensitive to any trend), robustly (median) over
  the last day in 20-bin blocks; slow disturbances by the variance ratio ``kappa`` of block means, counted
  only when it passes a white-noise gate (:func:`hullbreach.detect.glr.kappa_scales`) and applied at the
  largest scale to every change age.

An alarm is raised when the statistic crosses ``h``; ``h`` comes from the requested false-alarm rate via
a tail law fitted by simulation of the exact statistic on white noise (see :func:`threshold_for_far`,
``benchmarks/detect_calibrate.py``; the GLR statistic is pivotal under the null, so one calibration
holds for every zone and noise level, with ``sigma`` estimated as above).

After the alarm
---------------
* **onset**: the maximum-likelihood change point of the hinge model over the window, with a
  likelihood-ratio interval ``{tau : LLR(tau_hat) - LLR(tau) <= 1.92}`` (chi-square(1) 95 %; the usual
  approximation for change-point intervals, Hinkley 1970 [4]);
* **rate**: least-squares slope of the track from the onset to now (or to ``leak_sealed``), its standard
  error from ``sigma``; converted to air mass flow, pressure rate, effective hole and reserve time with
  95 % intervals by :func:`hullbreach.detect.estimate.estimate_from_rate`;
* **growing leak** (a crack propagating): a separate alert when a quadratic term in the post-onset fit is
  significant (``z > 5``) and the loss rate has grown by more than 25 % since the onset.

References
----------
.. [1] T. L. Lai, "Information bounds and quick detection of parameter changes in stochastic systems",
   IEEE Trans. Inf. Theory 44(7), 2917-2929, 1998 (window-limited GLR).
.. [2] D. Siegmund and E. S. Venkatraman, "Using the generalized likelihood ratio statistic for sequential
   detection of a change-point", Ann. Statist. 23(1), 255-271, 1995; A. S. Willsky and H. L. Jones,
   "A generalized likelihood ratio approach to the detection and estimation of jumps in linear systems",
   IEEE Trans. Autom. Control 21(1), 108-112, 1976.
.. [3] ANSI/ANS-56.8-2020, mass-point method (least-squares slope of contained air mass).
.. [4] D. V. Hinkley, "Inference about the change-point in a sequence of random variables", Biometrika
   57(1), 1-17, 1970.
.. [5] G. Lorden, "Procedures for reacting to a change in distribution", Ann. Math. Statist. 42(6),
   1897-1908, 1971 (the delay lower bound used in the benchmark).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from hullbreach.constants import SECONDS_PER_DAY
from hullbreach.detect.airmass import (
    R_N2,
    AirMassTracker,
    ZoneMass,
    bin_frame,
    concat_zone_masses,
    parse_events,
)
from hullbreach.errors import DetectionError
from hullbreach.station import Station

from hullbreach.detect.glr import (
    ANCHOR_BINS,
    slope_slow_variance,
    BACKGROUND_VOLUME_M3,
    MIN_REF_BINS,
    change_age_grid,
    glr_statistic,
    threshold_for_far,
)
from hullbreach.detect.fastpath import FAST_FAR_SHARE, SUB_BINS, FastPaths, merge_fast_alarms
from hullbreach.detect.alarmfit import AlarmFitting, _AlarmState
from hullbreach.detect.noise import NU_PRIOR, SLOW_UPPER, NoiseModel, _Buf
from hullbreach.detect.result import Alarm, DetectionResult, ZoneStatus
from hullbreach.detect.config import PRESSURE_ONLY_SWINGS, DetectorConfig, bin_for_tracks
from hullbreach.detect.crosscheck import CREDIBILITY_BINS, pressure_confirms, review_alarms
from hullbreach.detect.restart import bridge_step
from hullbreach.detect.track import TrackSums

# ------------------------------------------------------------------------------------- zone detector

class ZoneDetector(AlarmFitting):
    """Sequential detector of one zone over one zone period; fed chunks of :class:`ZoneMass`."""

    def __init__(self, zone: tuple, volume_m3: float, cfg: DetectorConfig, track: str, station_volume_m3: float,
                 k_first: int, h: float | None = None):
        self.zone = zone
        self.volume_m3 = volume_m3
        self.cfg = cfg
        self.track = track
        self.h = cfg.h if h is None else float(h)
        self.grid = change_age_grid(cfg.window_bins)
        self.k_first = int(k_first)  # bin of track index 0
        self.sums = TrackSums(cfg.window_bins)
        # the track and its running sums are the TrackSums' (the same buffers, named here for the estimates)
        sm = self.sums
        self.y, self.real, self.C0, self.Cj, self.Cjj = sm.y, sm.real, sm.C0, sm.Cj, sm.Cjj
        self.Q0, self.Qj, self.D0, self.Dj, self.unclip = sm.Q0, sm.Qj, sm.D0, sm.Dj, sm.unclip
        self.D0_end, self.Dj_end, self.floor, self.p, self.T, self.mass = sm.D0_end, sm.Dj_end, sm.floor, sm.p, sm.T, sm.mass
        self.stat = _Buf()
        self.sig = _Buf()
        self.noise = NoiseModel(self.y, self.real, cfg.window_bins, aux=self.mass if track == "n2" else None,
                                slow=cfg.slow_noise)
        self.noise.k_first = self.k_first
        self.sums.sigma_at = self.noise.sigma_at
        self.frac = 1.0  # track mass / air mass
        self.r_specific = None
        self.y_ref: float | None = None
        self.offset = 0.0
        self.pending: list = []  # bins waiting for the next valid bin: (p, T, m)
        self.anchor: list = []  # valid bins after a known step, waiting to re-anchor the level
        self.reset_n = 0  # the window never reaches before this bin (set when a leak is sealed)
        self.step_in_pending = self.restart_in_pending = False  # a known step / a thermometer restart pending
        self.alarms: list[_AlarmState] = []
        # the ISS figure per cubic metre of its volume, times the zone's volume
        self.allow_air = cfg.background_kg_day / SECONDS_PER_DAY * cfg.bin_s * volume_m3 / BACKGROUND_VOLUME_M3
        self.vented_now = False
        self.pressure_only = False  # no trusted thermometer: the nominal temperature, a thermal allowance
        self._n2_missing = 0  # bins with air mass but no N2 mass before the track started
        self.fallback = ""  # why the track is not the configured one
        self.prior_k = cfg.slow_noise_prior_k  # prior of the unmeasured temperature offset [K]
        self.suspicion = ""  # thermometer suspicion (text) of the latest crossing the pressure did not confirm
        self.transfer = ""  # why the latest crossing was gas moved to a neighbour: held while the statistic is over h

    @property
    def clip_run(self) -> int:
        """Consecutive bins beyond the clip limit (signed; :class:`~hullbreach.detect.track.TrackSums`)."""
        return self.sums.clip_run

    @property
    def allow(self) -> float:
        """Background allowance on the track [kg per bin]."""
        return self.allow_air * self.frac

    # -- ingest
    def feed(self, zm: ZoneMass) -> None:
        """Add a chunk of the zone's bins (contiguous with the previous chunk)."""
        if len(zm.mass_kg) == 1 and self._feed_one(zm):
            return
        if self.r_specific is None:
            self.r_specific = zm.r_specific
        x = np.asarray(zm.mass_kg if self.track == "air" else zm.n2_mass_kg, dtype=float)
        if self.track == "n2" and self.y.n == 0:
            # the N2 track needs ppN2 samples: without any (an ISS Live file with the total pressure only), fall
            # back to the track the data support, the air mass from pressure and temperature
            have = np.isfinite(zm.mass_kg) & ~zm.excluded & ~zm.vented
            self._n2_missing += int(np.sum(have & ~np.isfinite(x)))
            if self._n2_missing >= ANCHOR_BINS and not np.isfinite(x).any():
                self.track, self.frac = "air", 1.0
                self.noise.aux = None
                # the crew's O2 use is a steady loss of air mass the N2 track did not see: allowed for
                crew = self.cfg.crew_o2_kg_day * self.volume_m3 / BACKGROUND_VOLUME_M3  # the ISS crew per m^3
                self.allow_air += crew / SECONDS_PER_DAY * self.cfg.bin_s
                self.fallback = (f"no ppN2 samples: the air-mass track ("
                                 f"{'pressure alone' if self.pressure_only else 'pressure and temperature'}) is used, "
                                 f"with {crew:.3g} kg/day of crew O2 use allowed")
                x = np.asarray(zm.mass_kg, dtype=float)
        rs = zm.restart if zm.restart is not None else np.zeros(len(x), dtype=bool)  # thermometers warming (restart.py)
        ok = np.isfinite(x) & ~zm.excluded & ~zm.vented & np.isfinite(zm.mass_kg) & ~rs
        if self.track == "n2" and self.frac == 1.0:
            good = ok & (zm.mass_kg > 0)
            if good.any():
                j = int(np.argmax(good))
                self.frac = float(x[j] / zm.mass_kg[j])
                self.noise.aux_scale = self.frac
        self.vented_now = bool(zm.vented[-1]) if len(zm.vented) else self.vented_now
        if zm.sensor_change is not None and zm.sensor_change.any():
            # track index of bin k is k - k_first (the track has no holes once started)
            for k in zm.k[zm.sensor_change]:
                self.noise.note_change(int(k))
        meta = lambda i: (zm.pressure_pa[i], zm.temperature_k[i], zm.mass_kg[i])  # noqa: E731
        L = len(x)
        i = 0
        while i < L:
            if not ok[i]:
                if self.anchor:  # the re-anchoring run was interrupted: it joins the gap
                    self.pending.extend(m for _, m in self.anchor)
                    self.anchor = []
                self.pending.append(meta(i))
                self.step_in_pending |= bool(zm.excluded[i] or zm.vented[i])
                self.restart_in_pending |= bool(rs[i])
                i += 1
                continue
            if self.pending and (self.step_in_pending or self.restart_in_pending) and self.y.n > 0:
                # after a known step (or a restart), wait for ANCHOR_BINS valid bins to re-anchor the level
                self.anchor.append((float(x[i]), meta(i)))
                i += 1
                if len(self.anchor) >= ANCHOR_BINS:
                    if not self.step_in_pending:
                        self._flush_step(restart=True)
                    elif self._still_rising():
                        # gas still being added (a slow repress, an airlock pump-down): keep bridging
                        self.pending.append(self.anchor.pop(0)[1])
                    else:
                        self._flush_step()
                continue
            nxt = np.nonzero(~ok[i:])[0]
            j = i + int(nxt[0]) if len(nxt) else L
            if self.y_ref is None:
                self.y_ref = float(x[i])
                self.noise.set_prior(abs(self.y_ref), float(zm.temperature_k[i]), self.cfg.bin_s, self.prior_k,
                                     self.cfg.slow_noise_prior_tau_s,
                                     swings=PRESSURE_ONLY_SWINGS if self.pressure_only else ())
            if self.pending:
                self._flush_gap(float(x[i]))
            self._append(x[i:j] - self.y_ref - self.offset, np.ones(j - i, dtype=bool), zm.pressure_pa[i:j],
                         zm.temperature_k[i:j], zm.mass_kg[i:j])
            i = j
        self._catch_up()

    def _feed_one(self, zm: ZoneMass) -> bool:
        """:meth:`feed` for a one-bin chunk in the common case (:meth:`feed_scalars`); False (nothing done)
        otherwise, and the general path runs."""
        ch = zm.sensor_change
        if ch is not None and ch[0]:
            return False
        n2 = zm.n2_mass_kg
        return self.feed_scalars(float(zm.pressure_pa[0]), float(zm.temperature_k[0]), float(zm.mass_kg[0]),
                                 math.nan if n2 is None else float(n2[0]), bool(zm.excluded[0] or zm.vented[0]))

    def feed_scalars(self, p: float, t: float, m: float, n2: float, skip: bool) -> bool:
        """:meth:`feed` of one bin given as Python floats (zone pressure [Pa], temperature [K], air mass [kg],
        N2 mass [kg], ``skip``: inside a known operation or vented) in the common case: a valid bin, nothing
        pending, track level and N2 fraction already set, no channel change (the caller's to check). False
        (nothing done) otherwise, and the general path runs. Same values as the general path
        (``tests/detect/test_fastpaths.py``, ``tests/detect/test_stream.py``)."""
        if self.r_specific is None or self.y_ref is None or self.pending or self.anchor:
            return False
        if self.track == "n2" and self.frac == 1.0:
            return False
        x = m if self.track == "air" else n2
        if not (math.isfinite(x) and math.isfinite(m)) or skip:
            return False
        self.vented_now = False
        yv = x - self.y_ref - self.offset
        self._append_one(yv, True, p, t, m)
        if self.y.n > self.stat.n:
            self._evaluate(self.stat.n, self.y.n)
        return True

    def _catch_up(self) -> None:
        """Evaluate the statistic for every appended bin not yet evaluated (results do not depend on when)."""
        if self.y.n > self.stat.n:
            self._evaluate(self.stat.n, self.y.n)

    def _line_at_last(self):
        """Fitted level at the last bin and slope [kg, kg per bin] of the track over the window."""
        return self.sums.line_at_last(self.reset_n)

    def _append(self, yv, real, p, t, m) -> None:
        self.sums.append(yv, real, p, t, m, self.reset_n)

    def _append_one(self, y: float, real, p, t, m) -> None:
        self.sums.append_one(y, real, p, t, m, self.reset_n)

    def _take_pending(self):
        p = [q[0] for q in self.pending]
        t = [q[1] for q in self.pending]
        mm = [q[2] for q in self.pending]
        self.pending = []
        self.step_in_pending = self.restart_in_pending = False
        return p, t, mm

    def _still_rising(self) -> bool:
        """True while the track after a known operation still rises (by > 2 standard errors)."""
        self._catch_up()
        xs = np.array([a for a, _ in self.anchor])
        k = len(xs)
        sig = self.sig.v[self.sig.n - 1] if self.sig.n and np.isfinite(self.sig.v[self.sig.n - 1]) else np.nan
        if not np.isfinite(sig):
            return False
        u = np.arange(k) - (k - 1) / 2
        slope = float(np.sum(u * (xs - xs.mean())) / np.sum(u * u))
        se = sig * math.sqrt(12.0 / (k ** 3 - k))
        return slope - max(self._background_slope(), 0.0) > 2.0 * se

    def _flush_step(self, restart: bool = False) -> None:
        """Bridge a known operation: fill the gap along the fitted line and re-anchor the level on the
        mean of the first ANCHOR_BINS bins after it (so the step, whatever its size, is not a loss). After a
        thermometer restart (``restart``, :mod:`hullbreach.detect.restart`) the level is re-anchored only within the
        thermal allowance of the gap: the step beyond it (:func:`~hullbreach.detect.restart.bridge_step`) stays a
        change of the track, filled linearly from the level before, and the window keeps its history."""
        g = len(self.pending)
        level, slope = self._line_at_last()
        xs = np.array([a for a, _ in self.anchor])
        pos = np.arange(g + 1, g + 1 + len(xs))
        keep = 0.0
        if restart:  # the level, the track's mass, the zone temperature and the time since the last measured bin
            slope, keep = 0.0, bridge_step(float(np.mean(xs - self.y_ref - self.offset)) - level, float(np.mean(xs)),
                                           float(np.mean([m[1] for _, m in self.anchor])),
                                           (g + (len(xs) + 1) / 2.0) * self.cfg.bin_s, startup_swings(self.cfg))
        self.offset = float(np.mean(xs - self.y_ref - (level + slope * pos))) - keep
        p, t, mm = self._take_pending()
        if restart:
            fill = level + keep * np.arange(1, g + 1) / (g + 1)
        else:
            fill = level + slope * np.arange(1, g + 1)
            if not (self.alarms and self.alarms[-1].end_n is None):
                # The level across a known operation is only known to ~sigma/sqrt(ANCHOR_BINS); a day-long
                # window would read that as a slope change. The test window restarts after the operation
                # (an active alarm keeps its evidence for the estimates). The restart is set *before* the
                # fill is appended: the fill is the pre-operation line extrapolated without noise over the
                # whole operation (hours for an airlock vacuum hold), not data, and tested with the old window
                # it turned that line's slope, known only to the noise of the last hour, into evidence growing
                # with the length of the hold (a false alarm in the held airlock's zone). Fill bins thus get a
                # window floor beyond themselves: their statistic is 0 and no alarm falls inside an operation.
                self.reset_n = self.y.n + g
        self._append(fill, np.zeros(g, dtype=bool), p, t, mm)
        am = [m for _, m in self.anchor]
        self._append(xs - self.y_ref - self.offset, np.ones(len(xs), dtype=bool), [m[0] for m in am],
                     [m[1] for m in am], [m[2] for m in am])
        self.anchor = []

    def _flush_gap(self, x_next: float) -> None:
        """Fill a data gap (no known operation) by interpolation, so a loss during the gap still shows."""
        g = len(self.pending)
        if self.y.n == 0:
            # nothing before: drop the leading invalid bins from the track (they carry no information)
            self.k_first += g
            self.noise.k_first = self.k_first
            self._take_pending()
            return
        level, _slope = self._line_at_last()
        y_next = x_next - self.y_ref - self.offset
        p, t, mm = self._take_pending()
        self._append(level + (y_next - level) * np.arange(1, g + 1) / (g + 1), np.zeros(g, dtype=bool), p, t, mm)

    def _background_slope(self) -> float:
        """Slope of the track over the last window [kg per bin] (0 with too little data)."""
        return self._line_at_last()[1] if self.y.n else 0.0


    def _evaluate(self, n0: int, n1: int) -> None:
        """The statistic at bins ``n0 .. n1 - 1`` (one implementation for one bin or many), then the alarms."""
        n = np.arange(n0, n1)
        sig = self.noise.sigma_at(n)
        ok = np.isfinite(sig)
        stat = np.zeros(len(n))
        best_m = np.full(len(n), -1)
        if ok.any():
            kap = self.noise.kappa_at(n[ok])
            s, bm = glr_statistic(self.D0.v, self.Dj.v, n[ok], sig[ok], self.cfg.window_bins, self.allow, self.grid,
                                  floor=self.floor.v[n[ok]], kappa=kap,
                                  end_sums=(self.D0_end.v[n[ok]], self.Dj_end.v[n[ok]]),
                                  slow=self.noise.slow_at(n[ok]), long_window_bins=self.cfg.long_window_bins)
            stat[ok] = s
            best_m[ok] = bm
        self.stat.extend(stat)
        self.sig.extend(np.where(ok, sig, np.nan))
        self._alarm_scan(n, stat)

    def _alarm_scan(self, n: np.ndarray, stat: np.ndarray) -> None:
        """Open an alarm at the first bin of ``n`` whose statistic crosses ``h`` (none active), or mark the
        active alarm as growing."""
        i = 0
        while i < len(n):
            cur = self.alarms[-1] if self.alarms else None
            if cur is None or cur.end_n is not None:
                # only at a bin with data: a bin filled across a data gap is not a measurement (in streaming it is
                # filled when the next measured bin arrives; an alarm dated inside the gap, as on hb7-dreal's
                # Columbus recording, reported a time with no data and a rate fitted to the fill)
                hit = np.nonzero((stat[i:] > self.h) & self.real.v[n[i:]])[0]
                if not len(hit):
                    break
                idx = i + int(hit[0])
                nn = int(n[idx])
                fl = int(self.floor.v[nn])
                tau = self._onset_mle(nn, fl, tau_max=nn - 1)[0]
                i = idx + 1
                if not self._confirmed(tau, nn):
                    continue
                self.alarms.append(_AlarmState(nn, float(stat[idx]), tau, fl, fit_a=self._fit_start(tau, nn)))
            elif cur.growing_n is None:
                g = self._growing(cur, n[i:])
                if g.any():
                    cur.growing_n = int(n[i + int(np.argmax(g))])
                break
            else:
                break

    def _confirmed(self, tau: int, n: int) -> bool:
        """Cross-checks of a crossing at bin ``n`` with onset ``tau`` (data up to ``n`` only):

        * the loss rate since the onset is significant: its 95 % interval excludes zero;
        * the loss appears in the pressure itself (the zone pressure for the air track, the N2 partial pressure
          for the N2 track: crew O2 feeds move the total) beyond what the thermometers can explain within their
          credibility: the fall since the onset, plus the measured warming times ``p / T`` times the
          thermometers' credibility (:func:`~hullbreach.detect.crosscheck.thermometer_credibility`, how far the pressure followed them
          before), exceeds 3 standard errors of the pressure's own noise. When it does not while the
          thermometers warmed, the fall of the track is carried by temperature: a thermometer suspicion (noted,
          not an alarm).
        """
        a = self._fit_start(tau, n)
        slope, se = self._fit_rate(a, n)
        if not (np.isfinite(slope) and -slope - 1.96 * (se if np.isfinite(se) else 0.0) > 0):
            return False
        lo0 = max(a - 4 * MIN_REF_BINS, 0)
        lo = max(a - CREDIBILITY_BINS, 0)
        # the allowance as the track's pressure [Pa per bin]: m R T / V (the air's gas constant or N2's)
        r_gas = (self.r_specific or math.nan) if self.track == "air" else R_N2
        allow_pa = self.allow * r_gas * float(np.nanmedian(self.T.v[a: n + 1])) / self.volume_m3
        ok, why = pressure_confirms(self._track_pressure(lo, n), self.T.v[lo: n + 1], self.real.v[lo: n + 1],
                                    lo0 - lo, a - lo, self.cfg.bin_s, allow_pa if math.isfinite(allow_pa) else 0.0,
                                    # the zone pressure's gauges can show a thermometer not following the gas; the
                                    # N2 track's analyser is too noisy to (third generator: upper side 0.46-0.5)
                                    PRESSURE_ONLY_SWINGS if self.track == "air" else (), startup_swings(self.cfg))
        if why:
            self.suspicion = why
        return ok

    @staticmethod
    def _fit_start(tau: int, n: int) -> int:
        """First bin of the rate fit that confirms a crossing at ``n`` with onset ``tau``: the first bin after the
        onset, or 3 bins back when the onset is younger (a slope needs 3 bins)."""
        a = tau + 1
        return max(n - 2, 0) if n - a + 1 < 3 else a

    def _track_pressure(self, a: int, n: int) -> np.ndarray:
        """The pressure the track's gas exerts at bins ``a .. n`` [Pa]: the zone pressure for the air track, the
        N2 partial pressure for the N2 track (``m_N2 R_N2 T / V``, from the track and the zone temperature)."""
        if self.track == "air":
            return np.asarray(self.p.v[a: n + 1], dtype=float)
        level = abs(self.y_ref) + self.offset
        return (self.y.v[a: n + 1] + level) * R_N2 * self.T.v[a: n + 1] / self.volume_m3

    def seal(self) -> None:
        """End the current alarm (leak sealed, or zone changed)."""
        if self.alarms and self.alarms[-1].end_n is None:
            self.alarms[-1].end_n = self.y.n - 1
            self.reset_n = self.y.n + len(self.pending) + len(self.anchor)

    # -- estimation

    def min_detectable_rate(self) -> float:
        """Smallest constant loss on the track present over the test window so far that the window test
        alarms on now [kg per bin of the track] (the allowance plus ``sqrt(2 h)`` standard errors of the
        window's slope, white and slow noise; NaN before the test runs)."""
        n = self.y.n - 1
        if n < 0:
            return math.nan
        a = max(n - self.cfg.window_bins + 1, self.reset_n, 0)
        N = n - a + 1
        sig = float(self.sig.v[n]) if n < self.sig.n else math.nan
        if N < MIN_REF_BINS or not math.isfinite(sig):
            return math.nan
        Su = -(N - 1) * N / 2.0
        Suu = (N - 1) * N * (2 * N - 1) / 6.0
        R = N / (N * Suu - Su * Su)
        kap = float(self.noise.kappa_at(np.array([n]))[0, -1])
        se = math.sqrt(sig * sig * R * kap + self.noise.slow_variance_of(n, slope_slow_variance, N))
        return self.allow + math.sqrt(2.0 * self.h) * se

    def status(self) -> ZoneStatus:
        """Current zone status (state, the smallest detectable leak, the thermometer suspicion)."""
        n = self.y.n - 1
        nan = math.nan
        if n < 0:
            return ZoneStatus(self.zone, self.track, self.volume_m3, nan, nan, nan, 0.0, 0.0, nan, 0, self.vented_now,
                              state="learning")
        sig = float(self.sig.a[n])
        T, p = float(self.T.a[n]), float(self.p.a[n])
        c = self.min_detectable_rate()
        air = c / self.frac / self.cfg.bin_s if math.isfinite(c) else nan
        r = self.r_specific if self.r_specific is not None else nan
        active = bool(self.alarms and self.alarms[-1].end_n is None)
        held = self.transfer if (self.transfer and not active and float(self.stat.a[n]) > self.h) else ""
        state = "alarm" if active else ("learning" if (self.noise.learning(n) or not math.isfinite(c)) else "nominal")
        return ZoneStatus(self.zone, self.track, self.volume_m3, p, T, float(self.mass.a[n]), float(self.stat.a[n]),
                          -self._line_at_last()[1] / self.frac / self.cfg.bin_s, sig if math.isfinite(sig) else nan,
                          self.y.n, self.vented_now, state=state, min_detectable_mass_flow_kg_s=air,
                          min_detectable_pressure_rate_pa_s=air * r * T / self.volume_m3,
                          reason=held or self.suspicion, thermometer_suspicion=bool(self.suspicion) and not held)


# --------------------------------------------------------------------------------------- the engine
class DetectionEngine:
    """Air mass tracker + one :class:`ZoneDetector` per zone and zone period. Batch and streaming both
    drive this object, bin chunk by bin chunk, so that they give the same answer."""

    def __init__(self, station: Station, events=None, cfg: DetectorConfig | None = None, untrusted: dict | None = None):
        self.station = station
        self.cfg = cfg or DetectorConfig()
        self.events = parse_events(events, station) if events is None or hasattr(events, "columns") else tuple(events)
        self.tracker = AirMassTracker(station, self.events, bin_s=self.cfg.bin_s, untrusted=untrusted,
                                      swings=startup_swings(self.cfg),
                                      settle_s=self.cfg.settle_s)
        # the requested false-alarm rate is for the whole station: split over its monitored zones
        n_zones = sum(1 for z in station.zones() if station.sensors_in(z, "pressure"))
        self.n_zones = max(n_zones, 1)
        # the fast path takes its share of the false-alarm rate (fastpath.FAST_FAR_SHARE)
        far_slow = self.cfg.far_per_year * ((1.0 - FAST_FAR_SHARE) if self.cfg.fast_path else 1.0)
        self.h = (float(self.cfg.threshold) if self.cfg.threshold is not None
                  else threshold_for_far(far_slow / self.n_zones, self.cfg.bin_s))
        self.fast = (FastPaths(self.tracker, self.cfg.bin_s, self.cfg.far_per_year, self.cfg.fast_thermal_k)
                     if self.cfg.fast_path else None)
        self.detectors: dict[tuple, ZoneDetector] = {}
        self.finished: list[ZoneDetector] = []
        self.parts: list[ZoneMass] = []
        self.k_start: int | None = None
        self.k_next: int | None = None
        self._seal_bins = sorted(int(math.floor(e.time_s / self.cfg.bin_s)) for e in self.events if e.kind == "leak_sealed")
        self.keep_series = True
        #: one-bin chunks go through the tracker's and detectors' scalar step (the same numbers as the ZoneMass
        #: path, tested; False forces that path)
        self.scalar_step = True
        self._notes_cache: tuple | None = None
        self._faults_cache: tuple | None = None
        self._k_next_of: dict[tuple, int] = {}  # per zone: the bin after the last one its detector was fed
        #: per zone detector (id): how many of its alarms the common-mode review kept (crosscheck.review_alarms)
        self._cm_seen: dict[int, int] = {}

    def process(self, k0: int, sums: np.ndarray, counts: np.ndarray) -> None:
        """Feed complete bins ``k0 ..`` (per-channel sums and counts, station sensor order)."""
        if sums.shape[1] == 0:
            return
        if self.k_start is None:
            self.k_start = k0
        # split at leak_sealed bins so the alarm ends where the event says
        cuts = [k for k in self._seal_bins if k0 < k < k0 + sums.shape[1]]
        bounds = [k0] + cuts + [k0 + sums.shape[1]]
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            if lo in self._seal_bins:
                for det in self.detectors.values():
                    det.seal()
            live = set()
            if hi - lo == 1 and self.scalar_step and self.tracker.single_bin_path:
                # the streaming step: one bin as Python scalars, a ZoneMass only where the general path needs it
                # (or the series are kept)
                for st, b in self.tracker.process_one(lo, sums[:, lo - k0], counts[:, lo - k0]):
                    zm = self.tracker.zone_mass_of(st, lo, b) if self.keep_series else None
                    det = self.detectors.get(st.zone)
                    if det is None or b.change or not det.feed_scalars(b.p, b.t_eff, b.mass,
                                                                       math.nan if b.n2 is None else b.n2,
                                                                       b.excluded or b.vented or b.restart):
                        if zm is None:
                            zm = self.tracker.zone_mass_of(st, lo, b)
                        if det is None:
                            det = self._new_detector(zm)
                        det.feed(self._track_changes(zm, det.track))
                    if self.fast is not None:
                        self.fast.on_bin(st.zone, lo, b.p, b.mass, b.excluded or b.vented)
                    live.add(st.zone)
                    if zm is not None and self.keep_series:
                        self.parts.append(zm)
            else:
                for zm in self.tracker.process(lo, sums[:, lo - k0: hi - k0], counts[:, lo - k0: hi - k0]):
                    det = self.detectors.get(zm.zone)
                    if det is not None and int(zm.k[0]) != self._k_next_of.get(zm.zone):
                        # the zone existed before, then not (a hatch closed and reopened inside this chunk): its
                        # detector ended there, as in streaming; a new one starts (reusing it squeezed the gap
                        # out of its track: a level jump and wrong alarm times)
                        self._end_zone(zm.zone)
                        det = None
                    if det is None:
                        det = self._new_detector(zm)
                    det.feed(self._track_changes(zm, det.track))
                    if self.fast is not None:
                        self.fast.on_bins(zm)
                    live.add(zm.zone)
                    if self.keep_series:
                        self.parts.append(zm)
                    self._k_next_of[zm.zone] = int(zm.k[-1]) + 1
            review_alarms(self)  # every zone has this chunk: thermometer and common-mode cross-checks of new alarms
            for z in list(self.detectors):
                if z not in live:
                    self._end_zone(z)
        self.k_next = k0 + sums.shape[1]

    def _end_zone(self, z: tuple) -> None:
        """The zone ``z`` no longer exists: its detector is sealed and kept with the finished ones."""
        d = self.detectors.pop(z)
        d.seal()
        self.finished.append(d)
        if self.fast is not None:
            self.fast.on_zone_end(z)

    def _new_detector(self, zm: ZoneMass) -> ZoneDetector:
        """The detector of a zone first seen in ``zm`` (track: the configured one, N2 when the zone has ppN2)."""
        track = self.cfg.track
        if track == "auto":
            track = "n2" if zm.n2_mass_kg is not None else "air"
        if track == "n2" and zm.n2_mass_kg is None:
            track = "air"
        det = ZoneDetector(zm.zone, zm.volume_m3, self.cfg, track, self.station.total_volume_m3, int(zm.k[0]), h=self.h)
        parent = self._parent_of(zm.zone)
        if parent is not None:
            det.noise.inherit = parent.noise.relative_slow()
        if not self.tracker._state(zm.zone).t_vote.sensors:
            # pressure alone (no trusted thermometer): the cabin's thermal swings are unmeasured noise
            det.fallback = "no trusted temperature channel: pressure alone with a thermal allowance"
            det.pressure_only = True
        self.detectors[zm.zone] = det
        return det

    def _parent_of(self, zone: tuple) -> ZoneDetector | None:
        """The detector of the zone that ``zone`` was part of (or that was part of it) until now: sharing a module,
        fed most recently, the largest shared volume first. Its slow noise, per unit mass, is the new detector's
        starting point: an unmeasured bulk-gas temperature offset does not change when a hatch does."""
        mods = set(zone)
        best, key = None, None
        for d in list(self.detectors.values()) + self.finished:
            shared = mods & set(d.zone)
            if not shared or d.y.n == 0:
                continue
            k = (d.k_first + d.y.n, sum(self.station.modules[m].volume_m3 for m in shared))
            if key is None or k > key:
                best, key = d, k
        return best

    def unmonitored(self) -> list:
        """Zones of the current zone structure without a verdict, as :class:`ZoneStatus` (state ``unmonitored``)
        with the reason: no trusted pressure channel, or no data for the zone's track."""
        if self.k_next is None:
            zones = list(self.station.zones())
        else:
            per = self.tracker.periods[self.tracker._period_at(self.k_next - 1)]
            zones = list(per.zones)
        out = []
        nan = math.nan
        for z in zones:
            zt = tuple(z)
            det = self.detectors.get(zt)
            if det is not None and det.y.n > 0:
                continue
            st = self.tracker._state(zt)
            if not st.p_sensors:
                bad = [f"{s.id} ({self.tracker.untrusted.get(s.id, 'untrusted')})"
                       for s in self.station.sensors_in(zt, "pressure")]
                why = "no trusted pressure channel" + (": " + "; ".join(bad) if bad else " in the station file")
            elif det is not None and det.track == "n2":
                why = "no samples of the zone's track (ppN2) yet"
            else:
                why = "no pressure samples for this zone"
            out.append(ZoneStatus(zt, "none", self.station.zone_volume_m3(zt), nan, nan, nan, nan, nan, nan, 0,
                                  state="unmonitored", reason=why))
        return out

    def _track_changes(self, zm: ZoneMass, track: str) -> ZoneMass:
        """``zm`` with ``sensor_change`` kept only where it can change the noise of the detector's track.

        A temperature channel leaving its zone's vote leaves its module's own swings unmeasured (both tracks:
        :data:`KAPPA_AFTER_CHANGE`); a pressure gauge leaving the vote matters for the total-mass track only,
        since the N2 track is ppN2 * sum(V_i / T_i) / R_N2 and does not use the total pressure. A change bin
        whose channel cannot be identified is kept (the conservative side)."""
        ch = zm.sensor_change
        if ch is None or track != "n2" or (len(ch) == 1 and not ch[0]) or not ch.any():
            return zm
        mods = set(zm.zone)
        by_bin: dict[int, set] = {}
        for f in self.tracker.faults.values():
            s = self.station.sensors.get(f.sensor)
            if f.time_s is None or s is None or s.module not in mods:
                continue
            by_bin.setdefault(int(math.floor(f.time_s / self.cfg.bin_s)), set()).add(s.quantity)
        keep = ch.copy()
        for i in np.nonzero(ch)[0]:
            q = by_bin.get(int(zm.k[i]))
            if q is not None and q <= {"pressure"}:
                keep[i] = False
        return replace(zm, sensor_change=keep)

    def _engine_notes(self) -> list:
        """The threshold and the track of each zone, as notes (rebuilt only when the zones change)."""
        key = tuple((d.zone, d.track, d.y.n > 0) for d in self.detectors.values())
        if self._notes_cache is None or self._notes_cache[0] != key:
            tracks = sorted({f"{_zone_name(z)}: {t}" for z, t, _ in key})
            n_mon = sum(1 for d in self.detectors.values() if d.y.n > 0)
            out = [f"threshold {self.h:.2f} (log-likelihood ratio) for {self.cfg.far_per_year:g} false alarm(s) per "
                   f"year, split over the station's {self.n_zones} zone(s) with pressure channels; "
                   f"{n_mon} zone(s) monitored now"]
            out += sorted({f"{_zone_name(d.zone)}: {d.fallback}" for d in self.detectors.values() if d.fallback})
            if tracks:
                out.append("tracks (n2 = ppN2 mass, as ISS ground control; air = total air mass): " + "; ".join(tracks))
            self._notes_cache = (key, out)
        return list(self._notes_cache[1])

    def result(self, *, quarantined: int = 0, trusted: tuple = (), notes: tuple = (), seed: int = 0) -> DetectionResult:
        """The current :class:`DetectionResult`."""
        alarms: list[Alarm] = []
        for det in self.finished + list(self.detectors.values()):
            alarms.extend(det.alarms_out(self.station, self.cfg, seed=seed, t_history=self.tracker.temperature_history))
        fast_notes = merge_fast_alarms(self, alarms, seed) if self.fast is not None else []
        alarms.sort(key=lambda a: (a.time_s, a.kind))
        zones = tuple(d.status() for d in self.detectors.values() if d.y.n > 0) + tuple(self.unmonitored())
        fd = self.tracker.faults  # faults are only ever added: sorted again when there are more
        c = self._faults_cache
        if c is None or c[0] is not fd or c[1] != len(fd):
            c = self._faults_cache = (fd, len(fd), tuple(sorted(fd.values(), key=lambda f: f.sensor)))
        faults = c[2]
        # a thermometer step an estimate took off the track (the pressure did not follow it) is said once per zone
        susp = sorted({f"{_zone_name(a.zone)}: {n}" for a in alarms if a.estimate is not None
                       for n in a.estimate.notes if n.startswith("thermometer suspicion")})
        all_notes = list(notes) + self._engine_notes() + fast_notes + susp + self.tracker.operation_notes()
        return DetectionResult(
            station=self.station.name,
            status="leak" if alarms else ("nominal" if any(z.state != "unmonitored" for z in zones) else "unmonitored"),
            alarms=tuple(alarms),
            sensor_faults=faults, quarantined_samples=int(quarantined), trusted_channels=tuple(trusted),
            zones=zones, threshold=self.h, far_per_year=self.cfg.far_per_year,
            start_s=None if self.k_start is None else self.k_start * self.cfg.bin_s,
            end_s=None if self.k_next is None else self.k_next * self.cfg.bin_s, bin_s=self.cfg.bin_s,
            notes=tuple(all_notes), series=tuple(concat_zone_masses(self.parts)) if self.keep_series else ())


def startup_swings(cfg: DetectorConfig) -> tuple:
    """What the gas temperature can do to the pressure while the thermometers' credibility is unmeasured (a start-up;
    a restart, :mod:`hullbreach.detect.restart`), ``((amplitude [K], period [s]), ...)`` as
    :func:`~hullbreach.detect.crosscheck.unmeasured_swing_pa` takes it: the bulk gas's unmeasured offset, an OU of the
    slow-noise prior's upper side (variance ``slow_noise_prior_k^2 (1 + SLOW_UPPER sqrt(2 / NU_PRIOR))``, amplitude
    ``sqrt(2)`` sigma, period ``2 pi slow_noise_prior_tau_s``), and the cabin's orbital and daily swings
    (:data:`~hullbreach.detect.config.PRESSURE_ONLY_SWINGS`)."""
    sigma_k = cfg.slow_noise_prior_k * math.sqrt(1.0 + SLOW_UPPER * math.sqrt(2.0 / NU_PRIOR))
    return ((math.sqrt(2.0) * sigma_k, 2.0 * math.pi * cfg.slow_noise_prior_tau_s),) + PRESSURE_ONLY_SWINGS


def _zone_name(zone: tuple) -> str:
    """A zone's short name in notes: its modules joined by '-', or the first one and how many more."""
    return "-".join(zone) if len(zone) <= 3 else f"{zone[0]} +{len(zone) - 1}"


def detect(station: Station, frame, events=None, *, far_per_year: float = 1.0, config: DetectorConfig | None = None,
           seed: int = 0, keep_series: bool = True) -> DetectionResult:
    """Batch detection on a checked telemetry record.

    Parameters
    ----------
    station : Station
    frame : TelemetryFrame
        Checked telemetry in SI (from :func:`hullbreach.telemetry.readers.read_telemetry`).
    events : DataFrame, optional
        Known operations (``time, kind, detail``; :func:`hullbreach.telemetry.readers.read_events`).
    far_per_year : float
        Requested false-alarm rate [1/year] (ignored when ``config`` is given).
    config : DetectorConfig, optional
    seed : int
        Seed of the Monte Carlo intervals.
    keep_series : bool
        Keep the per-zone series in the result (for plots).

    Returns
    -------
    DetectionResult
        Uses every complete time bin (all but the one holding the last sample).
    """
    cfg = config or DetectorConfig(far_per_year=far_per_year)
    untrusted = {r.channel: r.reason or "judged faulty by the data checks" for r in frame.faults()}
    # a thermometer without a single sample in the record cannot correct anything: its zone runs on pressure
    # alone with a thermal allowance (a record of the pressure channels only)
    have = set(frame.data["channel"].unique()) if len(frame.data) else set()
    for s in station.sensors.values():
        if s.quantity == "temperature" and s.id not in have:
            untrusted.setdefault(s.id, "no samples in the record")
    notes = tuple(getattr(frame, "warnings", ()))[:5]
    cfg, bin_note = bin_for_tracks(station, frame, cfg)
    if bin_note:
        notes = (bin_note,) + notes
    eng = DetectionEngine(station, events, cfg, untrusted)
    eng.keep_series = keep_series
    if frame.n_accepted == 0:
        raise DetectionError(f"no accepted telemetry samples in {frame.source or 'the record'}",
                             hint="check the file, the station's channel ids and the quarantine counts")
    known = [c for c in eng.tracker.channels]
    k0, sums, counts = bin_frame(frame, known, cfg.bin_s)
    if not any(station.sensors[c].quantity == "pressure" and counts[i].sum() > 0 for i, c in enumerate(known)):
        raise DetectionError("no pressure channel of the station has accepted samples",
                             hint=f"the station's pressure channels are {', '.join(s.id for s in station.sensors.values() if s.quantity == 'pressure')}")
    n = sums.shape[1] - 1
    eng.process(k0, sums[:, :n], counts[:, :n])
    if eng.fast is not None:
        # the fast path's sub-bins of the pressure channels, all but the one holding the last sample
        prow = np.array([i for i, c in enumerate(known) if station.sensors[c].quantity == "pressure"], dtype=np.int64)
        j0, ssum, scnt = bin_frame(frame, [known[i] for i in prow], cfg.bin_s / SUB_BINS)
        m = max(ssum.shape[1] - 1, 0)
        eng.fast.process(j0, np.ascontiguousarray(ssum[:, :m], dtype=float), np.ascontiguousarray(scnt[:, :m], dtype=float),
                         prow)
    return eng.result(quarantined=frame.n_quarantined, trusted=tuple(frame.trusted_channels()),
                      notes=notes, seed=seed)
