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
from dataclasses import dataclass, replace

import numpy as np

from hullbreach.constants import SECONDS_PER_DAY
from hullbreach.detect.airmass import (
    DEFAULT_BIN_S,
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
    BACKGROUND_KG_DAY,
    BACKGROUND_VOLUME_M3,
    CLIP_SIGMA,
    MIN_REF_BINS,
    change_age_grid,
    glr_statistic,
    threshold_for_far,
)
from hullbreach.detect.fastpath import FAST_FAR_SHARE, SUB_BINS, FastPaths, merge_fast_alarms
from hullbreach.detect.alarmfit import AlarmFitting, _AlarmState
from hullbreach.detect.noise import SLOW_PRIOR_K, SLOW_PRIOR_TAU_S, NoiseModel, _Buf
from hullbreach.detect.result import Alarm, DetectionResult, ZoneStatus

#: Crew O2 use allowed when a crewed zone's N2 track falls back to the air mass [kg/day for the 916 m^3 ISS, the
#: same per m^3 elsewhere]: 6 crew x 0.84 kg O2 per person per day (docs/detection.md §3, NASA's ECLSS design load).
CREW_O2_KG_DAY = 6 * 0.84
#: History over which the thermometers' credibility is measured before an onset [bins] (6 h at 60 s: a few
#: orbital swings).
CREDIBILITY_BINS = 360
#: Prior of the unmeasured temperature offset of a zone without a trusted thermometer [K]: the ISS cabin's
#: orbital and daily swings (0.3 K and 0.5 K, docs/detection.md §3) are then noise on the pressure-only track.
PRESSURE_ONLY_PRIOR_K = 0.5


@dataclass(frozen=True)
class DetectorConfig:
    """Settings of the detector (all SI except where the name says).

    Attributes
    ----------
    far_per_year : float
        Requested false-alarm rate on nominal telemetry [1/year].
    bin_s : float
        Time bin [s].
    window_bins : int
        Length ``L`` of the GLR window [bins] (default 1440 = 24 h at 60 s).
    background_kg_day : float
        Background leak of the ISS (916 m^3) that is not an alarm [kg/day]; a zone is allowed the same per
        cubic metre of its volume.
    settle_s : float
        Time after a known operation during which the track is bridged [s].
    track : str
        ``auto`` (N2 when the zone has ppN2, else air), ``air`` or ``n2``.
    reserve_model : str
        ``constant-rate`` (operational definition) or ``constant-hole``.
    threshold : float, optional
        Explicit LLR threshold (overrides ``far_per_year``).
    fast_path : bool
        Run the fast path for large leaks (:mod:`hullbreach.detect.fastpath`: 10 s pressure consensus),
        which takes ``FAST_FAR_SHARE`` of the false-alarm rate.
    crew_o2_kg_day : float
        Crew O2 use allowed on a zone whose N2 track has no ppN2 samples and falls back to the air mass, for the
        916 m^3 ISS (a zone is allowed the same per cubic metre) [kg/day]: the total air mass then falls with the
        crew's breathing.
    slow_noise : bool
        Model the slow noise no channel measures (default; False: white noise and kappa only, as on the
        white-noise calibration of the threshold).
    slow_noise_prior_k, slow_noise_prior_tau_s : float
        Prior of the unmeasured bulk-gas temperature offset [K] and its correlation time [s], used until the
        zone's slow noise is measured (:class:`hullbreach.detect.noise.NoiseModel`).
    """

    far_per_year: float = 1.0
    bin_s: float = DEFAULT_BIN_S
    window_bins: int = 1440
    background_kg_day: float = BACKGROUND_KG_DAY
    settle_s: float = 600.0
    track: str = "auto"
    reserve_model: str = "constant-rate"
    threshold: float | None = None
    fast_path: bool = True
    slow_noise: bool = True
    crew_o2_kg_day: float = CREW_O2_KG_DAY
    slow_noise_prior_k: float = SLOW_PRIOR_K
    slow_noise_prior_tau_s: float = SLOW_PRIOR_TAU_S

    def __post_init__(self) -> None:
        if self.track not in ("auto", "air", "n2"):
            raise DetectionError(f"unknown track {self.track!r}", hint="use auto, air or n2")
        if self.window_bins < 2 * MIN_REF_BINS:
            raise DetectionError(f"window_bins must be at least {2 * MIN_REF_BINS}")
        if not (self.bin_s > 0):
            raise DetectionError("bin_s must be positive")
        if self.background_kg_day < 0:
            raise DetectionError("background_kg_day must be >= 0")

    @property
    def h(self) -> float:
        """The LLR threshold in use."""
        return float(self.threshold) if self.threshold is not None else threshold_for_far(self.far_per_year, self.bin_s)


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
        self.y = _Buf()          # bridged track [kg]
        self.real = _Buf(bool)   # measured (not filled)
        self.C0 = _Buf()
        self.Cj = _Buf()
        self.Cjj = _Buf()
        self.C0.extend([0.0])
        self.Cj.extend([0.0])
        self.Cjj.extend([0.0])
        self.clip_run = 0  # consecutive bins beyond the clip limit (signed)
        self.Q0 = _Buf()  # prefix sums of the clipped track (detection statistic)
        self.Qj = _Buf()
        self.Q0.extend([0.0])
        self.Qj.extend([0.0])
        # the same with one bin of hindsight (a clipped bin followed by a departure on the same side is
        # restored: it was the start of a persistent change); ``unclip[j]`` = clipped - final value of bin j
        self.D0 = _Buf()
        self.Dj = _Buf()
        self.D0.extend([0.0])
        self.Dj.extend([0.0])
        self.unclip = _Buf()
        self.D0_end = _Buf()  # D0[n + 1] and Dj[n + 1] as they were when bin n arrived (bin n as clipped)
        self.Dj_end = _Buf()
        self.stat = _Buf()
        self.floor = _Buf(np.int64)  # window floor in effect when each bin was appended
        self.sig = _Buf()
        self.p = _Buf()
        self.T = _Buf()
        self.mass = _Buf()
        self.noise = NoiseModel(self.y, self.real, cfg.window_bins, aux=self.mass if track == "n2" else None,
                                slow=cfg.slow_noise)
        self.noise.k_first = self.k_first
        self.frac = 1.0  # track mass / air mass
        self.r_specific = None
        self.y_ref: float | None = None
        self.offset = 0.0
        self.pending: list = []  # bins waiting for the next valid bin: (p, T, m)
        self.anchor: list = []  # valid bins after a known step, waiting to re-anchor the level
        self.reset_n = 0  # the window never reaches before this bin (set when a leak is sealed)
        self.step_in_pending = False
        self.alarms: list[_AlarmState] = []
        # the ISS figure per cubic metre of its volume, times the zone's volume
        self.allow_air = cfg.background_kg_day / SECONDS_PER_DAY * cfg.bin_s * volume_m3 / BACKGROUND_VOLUME_M3
        self.vented_now = False
        self.pressure_only = False  # no trusted thermometer: the nominal temperature, a thermal allowance
        self._n2_missing = 0  # bins with air mass but no N2 mass before the track started
        self.fallback = ""  # why the track is not the configured one
        self.prior_k = cfg.slow_noise_prior_k  # prior of the unmeasured temperature offset [K]
        self.suspicion = ""  # thermometer suspicion (text) of the latest crossing the pressure did not confirm

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
        ok = np.isfinite(x) & ~zm.excluded & ~zm.vented & np.isfinite(zm.mass_kg)
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
                i += 1
                continue
            if self.pending and self.step_in_pending and self.y.n > 0:
                # after a known step, wait for ANCHOR_BINS valid bins to re-anchor the level
                self.anchor.append((float(x[i]), meta(i)))
                i += 1
                if len(self.anchor) >= ANCHOR_BINS:
                    if self._still_rising():
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
                                     self.cfg.slow_noise_prior_tau_s)
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
        n = self.y.n - 1
        a = max(n - self.cfg.window_bins + 1, self.reset_n, 0)
        N = n - a + 1
        if N < 2:
            return float(self.y.v[-1]), 0.0
        C0, Cj = self.C0.a, self.Cj.a  # (n + 1 < C0.n); Python floats: the same IEEE operations, faster
        Sy = float(C0[n + 1]) - float(C0[a])
        Suy = (float(Cj[n + 1]) - float(Cj[a])) - n * Sy
        Su = -(N - 1) * N / 2
        Suu = (N - 1) * N * (2 * N - 1) / 6
        det = N * Suu - Su * Su
        slope = (N * Suy - Su * Sy) / det if N >= MIN_REF_BINS else 0.0
        level = (Sy - slope * Su) / N
        return float(level), float(slope)

    def _take_pending(self):
        p = [q[0] for q in self.pending]
        t = [q[1] for q in self.pending]
        mm = [q[2] for q in self.pending]
        self.pending = []
        self.step_in_pending = False
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

    def _flush_step(self) -> None:
        """Bridge a known operation: fill the gap along the fitted line and re-anchor the level on the
        mean of the first ANCHOR_BINS bins after it (so the step, whatever its size, is not a loss)."""
        g = len(self.pending)
        level, slope = self._line_at_last()
        xs = np.array([a for a, _ in self.anchor])
        pos = np.arange(g + 1, g + 1 + len(xs))
        self.offset = float(np.mean(xs - self.y_ref - (level + slope * pos)))
        p, t, mm = self._take_pending()
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
        self._append(level + slope * np.arange(1, g + 1), np.zeros(g, dtype=bool), p, t, mm)
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

    def _append(self, yv, real, p, t, m) -> None:
        n0 = self.y.n
        yv = np.asarray(yv, dtype=float)
        if len(yv) == 1:
            self._append_one(float(yv[0]), real[0], p[0], t[0], m[0])
            return
        self.y.extend(yv)
        self.real.extend(real)
        j = np.arange(n0, n0 + len(yv), dtype=float)
        self.C0.extend(np.cumsum(np.concatenate([[self.C0.v[-1]], yv]))[1:])
        self.Cj.extend(np.cumsum(np.concatenate([[self.Cj.v[-1]], j * yv]))[1:])
        self.Cjj.extend(np.cumsum(np.concatenate([[self.Cjj.v[-1]], j * j * yv]))[1:])
        self.p.extend(p)
        self.T.extend(t)
        self.mass.extend(m)
        self.floor.extend(np.full(len(yv), self.reset_n))
        self._append_clipped(n0, yv)

    def _append_one(self, y: float, real, p, t, m) -> None:
        """One bin (the streaming step): the same additions as :meth:`_append`'s cumulative sums, on Python
        floats."""
        n0 = self.y.n
        jf = float(n0)
        self.y.push(y)
        self.real.push(real)
        self.C0.push(self.C0.last() + y)
        self.Cj.push(self.Cj.last() + jf * y)
        self.Cjj.push(self.Cjj.last() + jf * jf * y)
        self.p.push(p)
        self.T.push(t)
        self.mass.push(m)
        self.floor.push(self.reset_n)
        self._append_clipped(n0, [y])

    def _append_clipped(self, n0: int, yv) -> None:
        """Prefix sums of the track clipped at CLIP_SIGMA standard deviations from its one-step prediction
        (the line fitted over the window so far): one bad bin (a temperature channel failing mid-bin) then
        moves the statistic by at most CLIP_SIGMA^2/2, while a real loss keeps pushing it. The estimates use
        the raw track.

        Two versions: ``Q`` (each bin as clipped when it arrived; the one-step prediction uses these) and
        ``D`` (for the detection statistic), in which a clipped bin followed by a departure on the same side
        is restored to its measured value: it was the first bin of a persistent change (a fast leak's first
        bin, which the clip would otherwise hold back by one bin). The statistic at bin ``n`` uses bin ``n``
        as clipped (``D0_end``, ``Dj_end``: the sums up to ``n`` as they were when ``n`` arrived; ``unclip``
        records clipped - restored value) and earlier bins with that one bin of hindsight, i.e. only data up
        to ``n``, in streaming and batch alike (bit for bit: the same additions in any chunking)."""
        k = len(yv)
        # Python floats and lists (the same IEEE operations in the same order as on NumPy scalars, without
        # their per-operation overhead): the window's prefix values from its earliest start a0 on, extended
        # with this chunk's values as they are computed
        sig = self.noise.sigma_at(np.arange(n0, n0 + k)).tolist()
        ys = yv if isinstance(yv, list) else yv.tolist()
        L, floor = self.cfg.window_bins, self.reset_n
        a0 = max(n0 - L, floor, 0)
        nq = self.Q0.n
        # the bins of this chunk start their windows at a0 .. a0 + k - 1 (a0 + k - 1 < nq, or the chunk's own
        # values follow the existing ones contiguously)
        q0 = self.Q0.v[a0: min(a0 + k, nq)].tolist() if a0 < nq else []
        qj = self.Qj.v[a0: min(a0 + k, nq)].tolist() if a0 < nq else []
        base = a0 if a0 < nq else nq  # q0[i] is the prefix value at index base + i
        dv = list(ys)  # values for D: clipped, restored below when the next bin continues the departure
        unc = [0.0] * k
        prov = [0.0] * k  # each bin's value as clipped when it arrived
        c0, cj = float(self.Q0.v[-1]), float(self.Qj.v[-1])
        run = self.clip_run
        for i in range(k):
            jj = n0 + i
            y = ys[i]
            a = max(jj - L, floor, 0)
            N = jj - a
            s_i = sig[i]
            if N >= MIN_REF_BINS and s_i == s_i:
                # prefix values at a and jj (jj = current position, sums of bins < jj)
                Sy = c0 - q0[a - base]
                Suy = (cj - qj[a - base]) - (jj - 1) * Sy
                Su = -(N - 1) * N / 2.0
                Suu = (N - 1) * N * (2 * N - 1) / 6.0
                slope = (N * Suy - Su * Sy) / (N * Suu - Su * Su)
                pred = (Sy - slope * Su) / N + slope
                lim = CLIP_SIGMA * s_i
                dev = y - pred
                if abs(dev) > lim:
                    sign = 1 if dev > 0 else -1
                    run = run + sign if run * sign > 0 else sign
                    if abs(run) < 2:  # an isolated outlier is clipped; a persistent departure goes through
                        y = pred + sign * lim
                    elif abs(run) == 2:  # the previous bin, clipped, started this departure: restore it
                        if i > 0:
                            unc[i - 1] = dv[i - 1] - ys[i - 1]
                            dv[i - 1] = ys[i - 1]
                        else:
                            self._restore_last(n0)
                else:
                    run = 0
            dv[i] = y
            prov[i] = y
            c0 += y
            cj += jj * y
            q0.append(c0)
            qj.append(cj)
        # sequential sums from the last prefix value: the same additions in any chunking (streaming == batch)
        d0, dj = float(self.D0.v[-1]), float(self.Dj.v[-1])
        D0n, Djn, D0e, Dje = [0.0] * k, [0.0] * k, [0.0] * k, [0.0] * k
        for i in range(k):
            jj = n0 + i
            x, pv = dv[i], prov[i]
            D0e[i] = d0 + pv  # D0[n + 1] and Dj[n + 1] with bin n as clipped when it arrived
            Dje[i] = dj + float(jj) * pv
            d0 += x
            dj += float(jj) * x
            D0n[i] = d0
            Djn[i] = dj
        if k == 1:
            self.Q0.push(q0[-1])
            self.Qj.push(qj[-1])
            self.D0.push(D0n[0])
            self.Dj.push(Djn[0])
            self.D0_end.push(D0e[0])
            self.Dj_end.push(Dje[0])
            self.unclip.push(unc[0])
        else:
            self.Q0.extend(q0[len(q0) - k:])
            self.Qj.extend(qj[len(qj) - k:])
            self.D0.extend(D0n)
            self.Dj.extend(Djn)
            self.D0_end.extend(D0e)
            self.Dj_end.extend(Dje)
            self.unclip.extend(unc)
        self.clip_run = run

    def _restore_last(self, n0: int) -> None:
        """Restore bin ``n0 - 1`` (the last one appended, clipped) to its measured value in the D sums."""
        j = n0 - 1
        raw = float(self.y.v[j])
        clipped = float(self.D0.v[n0] - self.D0.v[j])
        # recomputed from the previous prefix value, as one chunk holding both bins would have done
        self.D0.v[n0] = self.D0.v[j] + raw
        self.Dj.v[n0] = self.Dj.v[j] + float(j) * raw
        self.unclip.v[j] = clipped - raw

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
                                  slow=self.noise.slow_at(n[ok]))
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
                hit = np.nonzero(stat[i:] > self.h)[0]
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
          thermometers' credibility (:meth:`_thermometer_credibility`, how far the pressure followed them
          before), exceeds 3 standard errors of the pressure's own noise. When it does not while the
          thermometers warmed, the fall of the track is carried by temperature: a thermometer suspicion (noted,
          not an alarm).
        """
        a = self._fit_start(tau, n)
        slope, se = self._fit_rate(a, n)
        if not (np.isfinite(slope) and -slope - 1.96 * (se if np.isfinite(se) else 0.0) > 0):
            return False
        series = self._track_pressure(max(a - 4 * MIN_REF_BINS, 0), n)
        lo0 = max(a - 4 * MIN_REF_BINS, 0)
        p = series[a - lo0:]
        T = self.T.v[a: n + 1]
        ok = np.isfinite(p) & np.isfinite(T) & self.real.v[a: n + 1]
        if ok.sum() < 5:
            return True
        u = np.arange(n - a + 1, dtype=float)[ok]
        uc = u - u.mean()
        sxx = float(np.sum(uc * uc))
        M = float(u[-1] - u[0])
        dp = float(np.sum(uc * (p[ok] - p[ok].mean())) / sxx) * M  # the track's pressure change over the span [Pa]
        dT = float(np.sum(uc * (T[ok] - T[ok].mean())) / sxx) * M  # temperature change [K]
        real = self.real.v[lo0: n + 1]
        d2 = (series[2:] - 2 * series[1:-1] + series[:-2])[real[2:] & real[1:-1] & real[:-2]]
        d2 = d2[np.isfinite(d2)]
        if len(d2) < 5:
            return True
        sig_p = math.sqrt(float(np.median(d2 * d2)) / 0.455 / 6.0)
        se_dp = sig_p * math.sqrt(1.0 / sxx) * M
        p_mean, T_mean = float(np.mean(p[ok])), float(np.mean(T[ok]))
        cred = self._thermometer_credibility(a, p_mean / T_mean)
        if -dp + cred * p_mean / T_mean * dT > 3.0 * se_dp:
            return True
        if dT <= 0:
            return False  # neither the pressure nor a warming: wait for the data to tell
        # the pressure did not fall beyond what the thermometers credibly explain: the fall of the track is
        # carried by the thermometers' warming
        self.suspicion = (f"thermometer suspicion: the track fell but the pressure did not ({dp:+.1f} Pa while the "
                          f"temperature rose {dT:.2f} K over {M * self.cfg.bin_s / 60:.0f} min)")
        return False

    @staticmethod
    def _fit_start(tau: int, n: int) -> int:
        """First bin of the rate fit that confirms a crossing at ``n`` with onset ``tau``: the first bin after the
        onset, or 3 bins back when the onset is younger (a slope needs 3 bins)."""
        a = tau + 1
        return max(n - 2, 0) if n - a + 1 < 3 else a

    def _thermometer_credibility(self, a: int, dp_dT: float) -> float:
        """How far the thermometers represent the gas, from the bins before ``a`` [-] (0..1): the regression
        slope of the track's pressure on the zone temperature over the last :data:`CREDIBILITY_BINS` (both
        detrended; its lower 2-standard-error side), divided by the ideal-gas ``p / T`` (``dp_dT`` [Pa/K]). A thermometer that follows the gas
        moves the pressure with it (the orbital swings); one that warms with its own electronics does not. 0
        without enough history or temperature variation (not shown credible)."""
        lo = max(a - CREDIBILITY_BINS, 0)
        if a - lo < 3 * MIN_REF_BINS:
            return 0.0
        p = self._track_pressure(lo, a - 1)
        T = self.T.v[lo: a]
        ok = np.isfinite(p) & np.isfinite(T) & self.real.v[lo: a]
        if ok.sum() < 3 * MIN_REF_BINS:
            return 0.0
        u = np.arange(a - lo, dtype=float)[ok]
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
        state = "alarm" if active else ("learning" if (self.noise.learning(n) or not math.isfinite(c)) else "nominal")
        return ZoneStatus(self.zone, self.track, self.volume_m3, p, T, float(self.mass.a[n]), float(self.stat.a[n]),
                          -self._line_at_last()[1] / self.frac / self.cfg.bin_s, sig if math.isfinite(sig) else nan,
                          self.y.n, self.vented_now, state=state, min_detectable_mass_flow_kg_s=air,
                          min_detectable_pressure_rate_pa_s=air * r * T / self.volume_m3,
                          reason=self.suspicion, thermometer_suspicion=bool(self.suspicion))


# --------------------------------------------------------------------------------------- the engine
class DetectionEngine:
    """Air mass tracker + one :class:`ZoneDetector` per zone and zone period. Batch and streaming both
    drive this object, bin chunk by bin chunk, so that they give the same answer."""

    def __init__(self, station: Station, events=None, cfg: DetectorConfig | None = None, untrusted: dict | None = None):
        self.station = station
        self.cfg = cfg or DetectorConfig()
        self.events = parse_events(events, station) if events is None or hasattr(events, "columns") else tuple(events)
        self.tracker = AirMassTracker(station, self.events, bin_s=self.cfg.bin_s, untrusted=untrusted,
                                      settle_s=self.cfg.settle_s)
        # the requested false-alarm rate is for the whole station: split over its monitored zones
        n_zones = sum(1 for z in station.zones() if station.sensors_in(z, "pressure"))
        self.n_zones = max(n_zones, 1)
        # the fast path takes its share of the false-alarm rate (fastpath.FAST_FAR_SHARE)
        far_slow = self.cfg.far_per_year * ((1.0 - FAST_FAR_SHARE) if self.cfg.fast_path else 1.0)
        self.h = (float(self.cfg.threshold) if self.cfg.threshold is not None
                  else threshold_for_far(far_slow / self.n_zones, self.cfg.bin_s))
        self.fast = FastPaths(self.tracker, self.cfg.bin_s, self.cfg.far_per_year) if self.cfg.fast_path else None
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
                                                                       b.excluded or b.vented):
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
        if not self.tracker._state(zm.zone).t_vote.sensors:
            # pressure alone (no trusted thermometer): the cabin's thermal swings are unmeasured noise
            det.prior_k = max(self.cfg.slow_noise_prior_k, PRESSURE_ONLY_PRIOR_K)
            det.fallback = "no trusted temperature channel: pressure alone with a thermal allowance"
            det.pressure_only = True
        self.detectors[zm.zone] = det
        return det

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
            tracks = sorted({f"{'-'.join(z) if len(z) <= 3 else z[0] + ' +' + str(len(z) - 1)}: {t}" for z, t, _ in key})
            n_mon = sum(1 for d in self.detectors.values() if d.y.n > 0)
            out = [f"threshold {self.h:.2f} (log-likelihood ratio) for {self.cfg.far_per_year:g} false alarm(s) per "
                   f"year, split over the station's {self.n_zones} zone(s) with pressure channels; "
                   f"{n_mon} zone(s) monitored now"]
            out += sorted({f"{'-'.join(d.zone) if len(d.zone) <= 3 else d.zone[0] + ' +' + str(len(d.zone) - 1)}: "
                           f"{d.fallback}" for d in self.detectors.values() if d.fallback})
            if tracks:
                out.append("tracks (n2 = ppN2 mass, as ISS ground control; air = total air mass): " + "; ".join(tracks))
            self._notes_cache = (key, out)
        return list(self._notes_cache[1])

    def result(self, *, quarantined: int = 0, trusted: tuple = (), notes: tuple = (), seed: int = 0) -> DetectionResult:
        """The current :class:`DetectionResult`."""
        alarms: list[Alarm] = []
        for det in self.finished + list(self.detectors.values()):
            alarms.extend(det.alarms_out(self.station, self.cfg, seed=seed))
        fast_notes = merge_fast_alarms(self, alarms, seed) if self.fast is not None else []
        alarms.sort(key=lambda a: (a.time_s, a.kind))
        zones = tuple(d.status() for d in self.detectors.values() if d.y.n > 0) + tuple(self.unmonitored())
        fd = self.tracker.faults  # faults are only ever added: sorted again when there are more
        c = self._faults_cache
        if c is None or c[0] is not fd or c[1] != len(fd):
            c = self._faults_cache = (fd, len(fd), tuple(sorted(fd.values(), key=lambda f: f.sensor)))
        faults = c[2]
        all_notes = list(notes) + self._engine_notes() + fast_notes
        return DetectionResult(
            station=self.station.name,
            status="leak" if alarms else ("nominal" if any(z.state != "unmonitored" for z in zones) else "unmonitored"),
            alarms=tuple(alarms),
            sensor_faults=faults, quarantined_samples=int(quarantined), trusted_channels=tuple(trusted),
            zones=zones, threshold=self.h, far_per_year=self.cfg.far_per_year,
            start_s=None if self.k_start is None else self.k_start * self.cfg.bin_s,
            end_s=None if self.k_next is None else self.k_next * self.cfg.bin_s, bin_s=self.cfg.bin_s,
            notes=tuple(all_notes), series=tuple(concat_zone_masses(self.parts)) if self.keep_series else ())


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
                      notes=tuple(getattr(frame, "warnings", ()))[:5], seed=seed)


