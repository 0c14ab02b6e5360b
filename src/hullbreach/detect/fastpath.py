"""Fast path of the leak detector: a large leak seen within a minute, from the zone's pressure gauges.

The sequential test of :mod:`hullbreach.detect.detector` watches the N2 mass in 60 s bins and decides at bin
ends: a 1 mmHg/min leak is seen after 2-3 minutes. For leaks that fast, crew O2 use and feeds (the reason the
test watches N2) do not matter, and the consensus of a zone's pressure gauges is far more precise (as air
mass, 0.035 kg against 0.156 kg per 60 s bin on iss-2018: docs/benchmarks/detect-delay.md §4). The fast path
watches that pressure in sub-bins of ``bin_s / SUB_BINS`` (10 s):

* consensus pressure: median over the zone's pressure channels after their offsets, using the channels the
  60 s vote trusted *as of the previous detector bin* (offset learned, not flagged), at least three;
* no temperature correction: at this time scale the thermal drifts (the orbital cycle moves the ISS at most
  ~0.05 mmHg/min) stay below the allowance, and a temperature glitch or a thermometer leaving the vote would
  otherwise enter the track as a step (measured: the same delays, fewer large values on leak-free runs);
* statistic: the least-squares loss rate over the last 3, 6 and 12 sub-bins against an allowance of
  0.1 mmHg/min (far above crew O2 use, feeds and thermal drifts), ``z = (loss - allowance) / se``, the noise
  from the median of squared second differences over the previous hour (robust; Rousseeuw and Croux 1993
  for the median-based scale), the largest ``z`` over the three windows;
* sub-bins inside a known operation (and its settling) are left out; the noise needs an hour of data;
* thermal gate (session 6, issue 16): a temperature change moves the pressure by ``p dT / T`` however fast
  it happens, and the cabin's temperature control bounds ``dT`` (:data:`FAST_THERMAL_K`), while a leak's
  pressure loss keeps growing. So an alarm also needs the window's fitted end level below the highest
  consensus pressure of the last :data:`FAST_GATE_S` (since the last known operation) by more than
  ``p FAST_THERMAL_K / FAST_CABIN_T_K`` (2.8 mmHg at 1 atm) plus the threshold times the sub-bin noise. A
  fast unmeasured temperature swing (the third generator's 1/f bulk drift: 0.36 K in 7 min, a rate above the
  allowance) stays below it; a leak passes it after ``2.8 mmHg / rate`` (docs/detection.md §2b: about 1 %
  of the reserve time whatever the rate).

An alarm is raised at the first sub-bin whose ``z`` exceeds :func:`fast_threshold`: the Gaussian level for a
share of the requested false-alarm rate over the three windows (Bonferroni), doubled because the tails of
real tracks are heavier (docs/benchmarks/detect-delay.md §4: on the benchmark's 36 leak-free days the largest
``z`` was 6.5 against a Gaussian 5.6). It is reported as the zone's leak alarm (its time; onset and estimates
from the 60 s detector once that one alarms too; until then from the fast fit).

Batch and streaming run the same scan over the same sub-bins with the same inputs (the sub-bins of detector
bin ``K`` use the vote and the masses of bin ``K - 1``), so they give the same alarms. Streaming runs it in
compiled code (:func:`hullbreach.detect.kernels.fast_scan`), a few sub-bins at a time; a zone run scanned
from its first sub-bin in one call (the batch) runs :func:`scan_run_numpy`, the same IEEE operations in the
same order over whole arrays (tested equal bit for bit), so that ``hullbreach detect`` never imports Numba
(~1 s with its cache).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_YEAR
from hullbreach.detect.kernels import fast_scan, fast_scan_run
from hullbreach.detect.noise import _Buf

#: Sub-bins per detector bin (10 s at the default 60 s bins).
SUB_BINS = 6
#: Loss-rate windows [sub-bins].
FAST_WINDOWS = (3, 6, 12)
#: Loss rate not to alarm on [mmHg/min] (crew O2 use ~0.002, a 5 kg repress over 30 min ~0.1 upwards).
FAST_ALLOW_MMHG_MIN = 0.1
#: Noise history and renewal [sub-bins]; fewest finite second differences for a noise estimate.
FAST_NOISE_SUB = 360
FAST_NOISE_EVERY = 60
FAST_NOISE_MIN = 100
#: Share of the requested false-alarm rate given to the fast path, and the factor on its Gaussian threshold.
FAST_FAR_SHARE = 0.1
FAST_TAIL_FACTOR = 2.0
#: Fewest pressure channels for a consensus.
FAST_MIN_CHANNELS = 3
_RING = 512  # > FAST_NOISE_SUB + the largest window
#: Fewest sub-bins for which a fresh run is scanned by :func:`scan_run_numpy` rather than the kernel.
NUMPY_SCAN_MIN = 64
#: Thermal gate: the largest fall of the zone's bulk gas temperature not to alarm on [K]: the ISS cabin air
#: temperature is held within +-2 F (+-1.1 K) of its setpoint (Scull, Devin and Bedard, "International Space
#: Station Temperature and Humidity Control Subassembly Hardware, Control and Performance Description", SAE
#: 981618, 1998), so a fall from the setpoint to the band's edge; at a nominal cabin temperature [K] (22 C).
FAST_THERMAL_K = 1.1
FAST_CABIN_T_K = 295.15
#: How far back the thermal gate looks for the zone's highest pressure [s]: long enough for a leak at the
#: allowance to fall by the thermal bound (2.8 mmHg at 0.1 mmHg/min: 28 min).
FAST_GATE_S = 1800.0


def fast_threshold(far_per_year: float, sub_s: float) -> float:
    """Threshold on the fast path's ``z`` [-] for ``far_per_year`` false alarms a year [1/yr] at sub-bins of
    ``sub_s`` seconds: ``FAST_TAIL_FACTOR`` times the Gaussian level of ``FAST_FAR_SHARE * far_per_year``
    spread over the sub-bins of a year and the windows (Bonferroni)."""
    per = FAST_FAR_SHARE * far_per_year / (SECONDS_PER_YEAR / sub_s) / len(FAST_WINDOWS)
    # upper Gaussian quantile (Wichura's AS 241 in the standard library; scipy.stats would add ~1 s of import)
    return FAST_TAIL_FACTOR * -NormalDist().inv_cdf(per)


@dataclass(frozen=True)
class FastAlarm:
    """A fast-path alarm of one zone.

    Attributes
    ----------
    zone : tuple[str, ...]
    j : int
        Sub-bin of the alarm (sub-bin j covers ``[j sub_s, (j + 1) sub_s)`` UNIX seconds).
    time_s : float
        Alarm time, UNIX [s] (end of the sub-bin).
    z, threshold : float
        Statistic at the alarm and the threshold [-].
    loss_pa_s, loss_se_pa_s : float
        Pressure loss rate of the window that alarmed and its standard error [Pa/s].
    window_s : float
        Length of that window [s].
    fall_pa : float
        Fall of the window's end level from the thermal gate's high [Pa] (NaN without the gate).
    lookback_s : float
        The gate's look-back [s] (0 without the gate).
    """

    zone: tuple
    j: int
    time_s: float
    z: float
    threshold: float
    loss_pa_s: float
    loss_se_pa_s: float
    window_s: float
    fall_pa: float = math.nan
    lookback_s: float = 0.0


class FastZone:
    """Fast-path state of one zone over one zone period (fed sub-bins in order, in any chunking)."""

    def __init__(self, zone: tuple, j_first: int, sub_s: float, threshold: float,
                 gate_rel: float = FAST_THERMAL_K / FAST_CABIN_T_K, gate_s: float = FAST_GATE_S):
        self.zone = zone
        self.j_first = int(j_first)
        self.j_next = int(j_first)
        self.sub_s = float(sub_s)
        self.threshold = float(threshold)
        # allowance on the consensus pressure [Pa per sub-bin]
        self.allow = FAST_ALLOW_MMHG_MIN * PA_PER_MMHG / 60.0 * self.sub_s
        self._m = np.full(_RING, np.nan)
        self._d2 = np.full(_RING, np.nan)
        self._ex = np.ones(_RING, dtype=bool)
        self._st = np.array([np.nan, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        self._windows = np.asarray(FAST_WINDOWS, dtype=np.int64)
        # thermal gate: relative pressure fall a temperature change can explain [-], look-back [sub-bins]
        # (0: no gate)
        self.gate_rel = float(gate_rel)
        self.gate_sub = int(round(gate_s / self.sub_s))
        if self.gate_sub >= _RING - max(FAST_WINDOWS):
            raise ValueError(f"fast path gate of {gate_s} s is longer than its ring of {_RING} sub-bins")

    def scan(self, j0: int, X: np.ndarray, act: np.ndarray, off: np.ndarray, ratio: np.ndarray,
             excl: np.ndarray) -> np.ndarray:
        """Feed sub-bins ``j0 ..`` (must be the next ones): channel means ``X`` [Pa] (channels x sub-bins),
        usable channels ``act``, offsets ``off`` [Pa], a scale per sub-bin ``ratio`` [-] (1 in use; NaN where
        the zone's previous detector bin is unknown), exclusions
        ``excl``. Returns the statistic per sub-bin [-]."""
        if j0 != self.j_next:
            raise ValueError(f"fast path fed sub-bin {j0}, expected {self.j_next}")
        X = np.ascontiguousarray(X, dtype=float)
        z = fast_scan(X, np.ascontiguousarray(act, dtype=bool), np.ascontiguousarray(off, dtype=float),
                      np.ascontiguousarray(ratio, dtype=float), np.ascontiguousarray(excl, dtype=bool), int(j0),
                      self.j_first, self._windows, float(self.allow), self.threshold, FAST_NOISE_SUB,
                      FAST_NOISE_EVERY, FAST_NOISE_MIN, self._m, self._d2, self._ex, self._st, self.gate_rel,
                      self.gate_sub)
        self.j_next = j0 + X.shape[1]
        return z

    def scan_run(self, sums: np.ndarray, counts: np.ndarray, j0: int, pos: np.ndarray, vote, ratio: np.ndarray,
                 excl: np.ndarray, n_bins: int, k_first: int, iv0: np.ndarray, iv1: np.ndarray, b: int) -> np.ndarray:
        """:meth:`scan` of sub-bins ``j_next .. b - 1`` with the inputs built in compiled code from the zone's
        channel sums [Pa] and counts (from sub-bin ``j0``, rows ``pos``; mean = sum / count), its pressure
        ``vote``, the ratios
        (air mass per pressure [kg/Pa]: only whether it is known is used) and exclusions of its ``n_bins``
        detector bins from ``k_first``, and known-operation intervals
        ``[iv0, iv1]`` [detector bins]. Returns the statistic per sub-bin [-]."""
        a = self.j_next
        # a whole run from its start (the batch) takes the same scan in NumPy (no Numba import)
        scan = scan_run_numpy if a == self.j_first and b - a >= NUMPY_SCAN_MIN else fast_scan_run
        z = scan(sums, counts, int(j0), pos, vote.learn_k, vote.flag_k, vote.offsets, ratio, excl, int(n_bins),
                 int(k_first), iv0, iv1, int(a), int(b), SUB_BINS, self.j_first, self._windows, float(self.allow),
                 self.threshold, FAST_NOISE_SUB, FAST_NOISE_EVERY, FAST_NOISE_MIN, self._m, self._d2, self._ex,
                 self._st, self.gate_rel, self.gate_sub)
        self.j_next = int(b)
        return z

    @property
    def alarm(self) -> FastAlarm | None:
        """The zone's fast alarm, if one was raised."""
        st = self._st
        if st[1] < 0:
            return None
        j = int(st[1])
        return FastAlarm(zone=self.zone, j=j, time_s=(j + 1) * self.sub_s, z=float(st[2]), threshold=self.threshold,
                         loss_pa_s=-float(st[3]) / self.sub_s, loss_se_pa_s=float(st[4]) / self.sub_s,
                         window_s=float(st[5]) * self.sub_s, fall_pa=float(st[6]) if self.gate_sub > 0 else math.nan,
                         lookback_s=self.gate_sub * self.sub_s)


class _Run:
    """One zone over one zone period, as the fast path needs it."""

    def __init__(self, zone: tuple, state, k_first: int, fast: FastZone):
        self.zone = zone
        self.state = state  # the tracker's _ZoneState (its pressure vote)
        self.k_first = int(k_first)
        self.ratio = _Buf()  # air mass per pressure of each detector bin [kg/Pa] (NaN: unknown)
        self.excl = _Buf(bool)  # bin inside a known operation, or vented
        self.pos: tuple | None = None  # (rows key, positions of the zone's pressure channels in them)
        self.iv: tuple | None = None  # (tracker, starts, ends) of the known-operation intervals [bins]
        self.fast = fast
        self.alarmed = False

    @property
    def k_last(self) -> int:
        return self.k_first + self.ratio.n - 1


class FastPaths:
    """The fast path of every zone of a :class:`~hullbreach.detect.detector.DetectionEngine` (batch and
    streaming drive it the same way: detector bins through :meth:`on_bins`, sub-bins through :meth:`process`)."""

    def __init__(self, tracker, bin_s: float, far_per_year: float, thermal_k: float = FAST_THERMAL_K):
        self.tracker = tracker
        # thermal gate of every zone [K] (0: none)
        self.gate = ({"gate_rel": thermal_k / FAST_CABIN_T_K} if thermal_k > 0 else {"gate_rel": 0.0, "gate_s": 0.0})
        self.bin_s = float(bin_s)
        self.sub_s = self.bin_s / SUB_BINS
        self.threshold = fast_threshold(far_per_year, self.sub_s)
        self.runs: list[_Run] = []
        self.live: dict[tuple, _Run] = {}
        self._n_alarms = 0

    def _run_for(self, zone: tuple, k1: int) -> _Run | None:
        """The live run of ``zone``, started at detector bin ``k1`` if there is none (None: no fast path for the
        zone: fewer than FAST_MIN_CHANNELS gauges)."""
        run = self.live.get(zone)
        if run is None:
            st = self.tracker._states.get(zone)
            if st is None or len(st.p_sensors) < FAST_MIN_CHANNELS:
                return None
            run = _Run(zone, st, k1, FastZone(zone, (k1 + 1) * SUB_BINS, self.sub_s, self.threshold, **self.gate))
            self.runs.append(run)
            self.live[zone] = run
        return run

    @staticmethod
    def _push(run: _Run, p: float, m: float, skip: bool) -> None:
        run.ratio.push(m / p if p > 0 and math.isfinite(m) else math.nan)
        run.excl.push(skip)

    def on_bin(self, zone: tuple, k: int, p: float, m: float, skip: bool) -> None:
        """Record one detector bin ``k`` of a zone as scalars: zone pressure [Pa], air mass [kg], ``skip``
        (inside a known operation, or vented); the same as :meth:`on_bins` of its one-bin ZoneMass."""
        run = self._run_for(zone, k)
        if run is not None:
            self._push(run, p, m, skip)

    def on_bins(self, zm) -> None:
        """Record a chunk of detector bins of a zone (a :class:`~hullbreach.detect.airmass.ZoneMass`)."""
        run = self._run_for(zm.zone, int(zm.k[0]))
        if run is None:
            return
        if len(zm.k) == 1:  # the streaming step: Python floats, the same division
            self._push(run, float(zm.pressure_pa[0]), float(zm.mass_kg[0]), bool(zm.excluded[0] or zm.vented[0]))
            return
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where((zm.pressure_pa > 0) & np.isfinite(zm.mass_kg), zm.mass_kg / zm.pressure_pa, np.nan)
        run.ratio.extend(r)
        run.excl.extend(np.asarray(zm.excluded) | np.asarray(zm.vented))

    def on_zone_end(self, zone: tuple) -> None:
        """The zone ended (its run keeps the sub-bins of the bin after its last, as streaming hands them over)."""
        self.live.pop(zone, None)

    def process(self, j0: int, sums: np.ndarray, counts: np.ndarray, rows: np.ndarray, n: int | None = None) -> None:
        """Sub-bins ``j0 ..`` of the pressure channels: ``sums`` [Pa] and ``counts`` of their samples (one row per
        entry of ``rows``, the channels' rows in station sensor order; C-contiguous float). Each zone takes the sub-bins of its detector bins ``K`` whose
        bin ``K - 1`` it has (every zone's run, ended or live), in order."""
        n = sums.shape[1] if n is None else int(n)  # sub-bins given (the arrays may hold more columns)
        if n == 0:
            return
        rows_key = np.asarray(rows, dtype=np.int64).tobytes()
        for run in self.runs:
            # the sub-bins of the detector bins after each of its bins (streaming hands over the sub-bins of the
            # open bin before that bin is analysed, whether or not the zone then continues)
            k_hi = run.k_last + 1
            b = min(j0 + n, (k_hi + 1) * SUB_BINS)
            if b <= run.fast.j_next:
                continue
            if j0 > run.fast.j_next:  # sub-bins never given (no samples at all): scanned as empty
                gap = min(j0, b) - run.fast.j_next
                empty = np.zeros((len(run.state.prow), gap), dtype=bool)
                run.fast.scan(run.fast.j_next, np.full(empty.shape, np.nan), empty, np.zeros(len(run.state.prow)),
                              np.full(gap, np.nan), np.ones(gap, dtype=bool))
                if b <= j0:
                    continue
            if run.pos is None or run.pos[0] != rows_key:
                where = {int(r): i for i, r in enumerate(rows)}
                run.pos = (rows_key, np.array([where[int(r)] for r in run.state.prow], dtype=np.int64))
            if run.iv is None or run.iv[0] is not self.tracker:
                run.iv = (self.tracker,) + self._intervals(run.zone)
            run.fast.scan_run(sums, counts, j0, run.pos[1], run.state.p_vote, run.ratio.a, run.excl.a, run.ratio.n, run.k_first,
                              run.iv[1], run.iv[2], b)
            if not run.alarmed and run.fast._st[1] >= 0:
                run.alarmed = True
                self._n_alarms += 1

    def _intervals(self, zone: tuple):
        """Detector-bin intervals of known operations (and of an unmonitored airlock) that concern ``zone``."""
        iv = [(k0, k1) for k0, k1, _ev in self.tracker._excl]
        iv += [(k0, k1) for k0, k1, mod in self.tracker._unmon if mod in zone]
        return (np.array([x[0] for x in iv], dtype=np.int64), np.array([x[1] for x in iv], dtype=np.int64))

    @property
    def n_alarms(self) -> int:
        """How many zone runs have raised a fast alarm."""
        return self._n_alarms

    def alarms(self) -> list[FastAlarm]:
        """Every fast alarm so far, in time order."""
        out = [r.fast.alarm for r in self.runs if r.fast.alarm is not None]
        return sorted(out, key=lambda a: a.time_s)


#: A fast alarm and a 60 s alarm of the same zone are one leak when the 60 s one comes within this after it
#: [s] (or was already active).
SAME_LEAK_S = 3600.0


def merge_fast_alarms(engine, alarms: list, seed: int = 0) -> list[str]:
    """Merge the fast path's alarms into the engine's ``alarms`` (list of
    :class:`~hullbreach.detect.result.Alarm`, changed in place); returns notes for the result.

    A fast alarm followed within :data:`SAME_LEAK_S` by the 60 s test's alarm of the same zone (or raised
    while one is active) is the same leak: the alarm keeps the earlier time, its onset and estimates are the
    60 s test's (more data). A fast alarm alone is reported with the fast fit: the loss rate of its window
    with its standard error, the onset within two windows before the alarm.
    """
    notes: list = []
    if engine.fast.n_alarms == 0:
        return notes  # (before the imports below: this runs at every streaming bin step)
    from dataclasses import replace

    from hullbreach.detect.estimate import estimate_from_rate
    from hullbreach.detect.glr import MC_SAMPLES
    from hullbreach.detect.result import Alarm
    from hullbreach.uncertain import Interval

    for fa in engine.fast.alarms():
        same = [i for i, a in enumerate(alarms) if a.kind == "leak" and a.zone == fa.zone and (
            fa.time_s <= a.time_s <= fa.time_s + SAME_LEAK_S
            or (a.time_s <= fa.time_s and (a.active or (a.end_s is not None and a.end_s >= fa.time_s))))]
        when = _utc(fa.time_s)
        if same:
            i = same[0]
            if fa.time_s < alarms[i].time_s:
                notes.append(f"zone {_zone_name(fa.zone)}: first seen by the fast path at {when} "
                             f"(z {fa.z:.1f} > {fa.threshold:.1f}), {alarms[i].time_s - fa.time_s:.0f} s before the 60 s test")
                # the onset is never after the alarm's time: the 60 s test's onset is at its bin edges and may fall
                # after the fast path's sub-bin (an unlogged airlock repress: onset 2 min after the alarm, third
                # generator); the fast window's own onset bounds it then
                o = alarms[i].onset_s
                fo = _fast_onset(fa)
                onset = Interval(min(o.estimate, fo.estimate), min(o.low, fo.low),
                                 min(o.high, fa.time_s)) if o.estimate > fa.time_s or o.high > fa.time_s else o
                alarms[i] = replace(alarms[i], time_s=fa.time_s, onset_s=onset)
            continue
        det = engine.detectors.get(fa.zone)
        if det is None:
            det = next((d for d in reversed(engine.finished) if d.zone == fa.zone), None)
        if det is None or det.y.n == 0:
            continue
        n = det.y.n - 1
        p = float(det.p.a[n])
        T = float(det.T.a[n])
        est = estimate_from_rate(zone=fa.zone, volume_m3=det.volume_m3, pressure_pa=p, temperature_k=T,
                                 loss_rate_pa_s=fa.loss_pa_s, loss_rate_std_pa_s=fa.loss_se_pa_s,
                                 threshold_pa=engine.station.evacuation_pressure_pa,
                                 reserve_model=engine.cfg.reserve_model,
                                 r_specific=det.r_specific or 287.05, seed=seed, n_samples=MC_SAMPLES)
        onset = _fast_onset(fa)
        alarms.append(Alarm(kind="leak", zone=fa.zone, time_s=fa.time_s, onset_s=onset, statistic=fa.z,
                            threshold=fa.threshold, track="air (fast path)", estimate=est,
                            active=fa.zone in engine.detectors, end_s=None, fit_span_s=fa.window_s,
                            estimate_at_alarm=est))
        notes.append(f"zone {_zone_name(fa.zone)}: fast-path alarm at {when} (z {fa.z:.1f} > {fa.threshold:.1f}); "
                     "estimates from its short window until the 60 s test confirms")
    return notes


def _fast_onset(fa: FastAlarm):
    """Onset interval of a fast alarm alone [UNIX s]: without the thermal gate, within two windows before the
    alarm; with it, the loss had to grow past the gate's bound first: the estimate is the fall from the gate's
    high over the window's loss rate, the low end the gate's look-back (the high lies within it)."""
    from hullbreach.uncertain import Interval

    if fa.lookback_s > 0 and math.isfinite(fa.fall_pa) and fa.loss_pa_s > 0:
        low = max(2.0 * fa.window_s, fa.lookback_s)
        back = min(max(fa.fall_pa / fa.loss_pa_s, fa.window_s), low)
        return Interval(fa.time_s - back, fa.time_s - low, fa.time_s)
    return Interval(fa.time_s - fa.window_s, fa.time_s - 2 * fa.window_s, fa.time_s)


def _zone_name(zone: tuple) -> str:
    return "-".join(zone) if len(zone) <= 3 else f"{zone[0]} +{len(zone) - 1}"


def _utc(t_s: float) -> str:
    import pandas as pd

    return pd.Timestamp(t_s, unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M:%S UTC")


def scan_run_numpy(sums, counts, j0, pos, learn_k, flag_k, offsets, rratio, rexcl, rn, k_first, iv0, iv1, a, b,
                   sub_bins, jf, windows, allow, thr, noise_sub, noise_every, noise_min, m_ring, d2_ring, ex_ring,
                   st, gate_rel=0.0, gate_sub=0) -> np.ndarray:
    """:func:`hullbreach.detect.kernels.fast_scan_run` of a run scanned from its first sub-bin (``a == jf``,
    rings and state ``st`` as :class:`FastZone` creates them), over whole arrays: the same IEEE-754 operations
    in the same order per sub-bin, so the same statistic, alarm and final state bit for bit
    (``tests/detect/test_fastpath.py``). Units and arguments as the kernel's: channel sums [Pa] and counts from
    sub-bin ``j0``, the vote's ``learn_k``, ``flag_k`` [bins] and ``offsets`` [Pa], the run's detector-bin
    ``rratio`` and ``rexcl`` (``rn`` bins from ``k_first``), known-operation intervals ``[iv0, iv1]`` [bins],
    the allowance [Pa per sub-bin] and threshold [-], the thermal gate's relative fall [-] and look-back
    [sub-bins] (0: none). Returns ``z`` per sub-bin ``a .. b - 1`` [-]."""
    if a != jf:
        raise ValueError("scan_run_numpy scans a run from its first sub-bin only")
    n = b - a
    R = m_ring.shape[0]
    jj = np.arange(a, b, dtype=np.int64)
    prev = jj // sub_bins - 1
    # channel means and usable channels (sum / count, count > 1; NaN without samples), offsets applied
    S = sums[pos, a - j0:b - j0]
    C = counts[pos, a - j0:b - j0]
    with np.errstate(invalid="ignore", divide="ignore"):
        X = np.where(C > 0, S / np.where(C > 1.0, C, 1.0), np.nan)
    act = np.isfinite(X) & (learn_k[:, None] <= prev[None, :]) & (flag_k[:, None] > prev[None, :])
    off = np.where(np.isnan(offsets), 0.0, offsets)
    # consensus: the median of the usable channels (sorted values; absent ones sort last as +inf)
    V = np.sort(np.where(act, X - off[:, None], np.inf), axis=0)
    cnt = act.sum(axis=0)
    cols = np.arange(n)
    lo_i, hi_i = np.maximum((cnt - 1) // 2, 0), cnt // 2
    idx = prev - k_first
    inside = (idx >= 0) & (idx < rn)
    ic = np.clip(idx, 0, max(rn - 1, 0))
    ratio = np.where(inside, np.where(np.isfinite(rratio[ic]) if rn else False, 1.0, np.nan), np.nan)
    excl = np.where(inside, rexcl[ic] if rn else True, True)
    K = prev + 1
    for q in range(iv0.shape[0]):
        excl |= (iv0[q] <= K) & (K <= iv1[q])
    with np.errstate(invalid="ignore"):
        m = np.where(cnt >= 3, 0.5 * (V[lo_i, cols] + V[np.minimum(hi_i, V.shape[0] - 1), cols]) * ratio, np.nan)
    ex = excl | ~np.isfinite(m)
    # squared second differences where the three sub-bins are usable
    d2 = np.full(n, np.nan)
    if n > 2:
        e = m[2:] - 2.0 * m[1:-1] + m[:-2]
        ok = ~(ex[2:] | ex[1:-1] | ex[:-2])
        d2[2:] = np.where(ok, e * e, np.nan)
    # noise, renewed at sub-bins jf + r noise_every (r noise_every >= noise_sub) from the previous noise_sub
    sig = np.full(n, np.nan)
    renew = np.arange(-(-noise_sub // noise_every) * noise_every, n, noise_every)
    if len(renew):
        W = np.sort(d2[renew[:, None] - noise_sub + np.arange(noise_sub)[None, :]], axis=1)  # NaN sort last
        k = np.isfinite(W).sum(axis=1)
        h = k >> 1
        r = np.arange(len(renew))
        with np.errstate(invalid="ignore"):
            med = np.where(k & 1 == 1, W[r, h], (W[r, np.maximum(h - 1, 0)] + W[r, h]) / 2)
            val = np.where(k > noise_min, np.sqrt(med / 0.4549 / 6.0), np.nan)
        seg = np.repeat(np.arange(len(renew)), np.diff(np.append(renew, n)))
        sig[renew[0]:] = val[seg]
    # thermal gate: the highest track value of each sub-bin's unexcluded stretch within gate_sub (exact: a max)
    ref = np.full(n, -np.inf)
    if gate_sub > 0 and n:
        from numpy.lib.stride_tricks import sliding_window_view

        v = np.concatenate([np.full(gate_sub, -np.inf), np.where(ex, -np.inf, m)])
        seg = np.cumsum(ex)
        sp = np.concatenate([np.full(gate_sub, -1), seg])
        for c0 in range(0, n, 4096):  # in chunks: (4096, gate_sub + 1) at a time
            c1 = min(n, c0 + 4096)
            W = sliding_window_view(v[c0:c1 + gate_sub], gate_sub + 1)
            S = sliding_window_view(sp[c0:c1 + gate_sub], gate_sub + 1)
            ref[c0:c1] = np.where(S == seg[c0:c1, None], W, -np.inf).max(axis=1)
    # loss-rate windows: the largest z, the first window over the threshold (and the gate) at the first such
    # sub-bin
    z = np.full(n, -np.inf)
    exc = np.concatenate([[0], np.cumsum(ex)])
    usable = np.isfinite(sig) & (sig > 0)
    first = (n, 0, 0.0, 0.0, 0.0, np.nan)
    for M in (int(w) for w in windows):
        if n < M:
            continue
        sxx = 0.0
        for i in range(M):
            u = i - (M - 1) / 2.0
            sxx += u * u
        s = np.zeros(n - M + 1)
        s0 = np.zeros(n - M + 1)
        for i in range(M):
            s = s + (i - (M - 1) / 2.0) * m[i:n - M + 1 + i]
            s0 = s0 + m[i:n - M + 1 + i]
        slope = s / sxx
        se = sig[M - 1:] / math.sqrt(sxx)
        with np.errstate(invalid="ignore", divide="ignore"):
            zm = (-slope - allow) / se
        valid = usable[M - 1:] & (exc[M:] - exc[:n - M + 1] == 0)
        zm = np.where(valid, zm, -np.inf)
        zc = z[M - 1:]
        z[M - 1:] = np.where(zm > zc, zm, zc)
        gate = True
        fall = np.full(n - M + 1, np.nan)
        if gate_sub > 0:
            with np.errstate(invalid="ignore"):
                lvl = s0 / M + slope * ((M - 1) / 2.0)
                rf = ref[M - 1:]
                fall = rf - lvl
                gate = fall > gate_rel * rf + thr * sig[M - 1:]
        hit = np.flatnonzero((zm > thr) & gate)
        if len(hit) and hit[0] + M - 1 < first[0]:
            c = int(hit[0])
            first = (c + M - 1, M, float(zm[c]), float(slope[c]), float(se[c]), float(fall[c]))
    if first[0] < n:
        c, M, zv, sl, sev, fl = first
        st[1], st[2], st[3], st[4], st[5], st[6] = float(a + c), zv, sl, sev, float(M), fl
    # the state the kernel leaves: the rings' last R sub-bins, the noise in use
    tail = slice(max(n - R, 0), n)
    slots = jj[tail] % R
    m_ring[slots] = m[tail]
    d2_ring[slots] = d2[tail]
    ex_ring[slots] = ex[tail]
    st[0] = sig[-1] if n and len(renew) else st[0]
    return z
