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
bin ``K`` use the vote and the masses of bin ``K - 1``), so they give the same alarms: one NumPy
implementation (:meth:`FastZone._track`) takes a whole zone run at once (batch) or a few sub-bins at a time
(streaming, the earlier sub-bins it needs from the zone's rings); ``tests/detect/test_fastpath.py`` checks
that any chunking gives the same statistic, alarm and state bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_YEAR
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
_RING = 512  # sub-bins of a zone's track kept between calls (> FAST_NOISE_SUB, the gate's look-back, a window)
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
        # earlier sub-bins a scan reads: the noise's, the gate's look-back, a window's
        self._history = max(FAST_NOISE_SUB, self.gate_sub, max(FAST_WINDOWS))

    def scan(self, j0: int, X: np.ndarray, act: np.ndarray, off: np.ndarray, ratio: np.ndarray,
             excl: np.ndarray) -> np.ndarray:
        """Feed sub-bins ``j0 ..`` (must be the next ones): channel means ``X`` [Pa] (channels x sub-bins),
        usable channels ``act``, offsets ``off`` [Pa], a scale per sub-bin ``ratio`` [-] (1 in use; NaN where
        the zone's previous detector bin is unknown), exclusions
        ``excl``. Returns the statistic per sub-bin [-]."""
        return self._track(j0, consensus(np.asarray(X, dtype=float), np.asarray(act, dtype=bool),
                                         np.asarray(off, dtype=float), np.asarray(ratio, dtype=float)),
                           np.asarray(excl, dtype=bool))

    def scan_run(self, sums: np.ndarray, counts: np.ndarray, j0: int, pos: np.ndarray, vote, ratio: np.ndarray,
                 excl: np.ndarray, n_bins: int, k_first: int, iv0: np.ndarray, iv1: np.ndarray, b: int) -> np.ndarray:
        """:meth:`scan` of sub-bins ``j_next .. b - 1`` with its inputs built from the zone's channel sums [Pa]
        and counts (from sub-bin ``j0``, rows ``pos``; mean = sum / count), its pressure ``vote``, the ratios
        (air mass per pressure [kg/Pa]: only whether it is known is used) and exclusions of its ``n_bins``
        detector bins from ``k_first``, and known-operation intervals ``[iv0, iv1]`` [detector bins] (see
        :func:`run_inputs`). Returns the statistic per sub-bin [-]."""
        X, act, off, r, ex = run_inputs(sums, counts, j0, pos, vote.learn_k, vote.flag_k, vote.offsets, ratio, excl,
                                        n_bins, k_first, iv0, iv1, self.j_next, b)
        return self._track(self.j_next, consensus(X, act, off, r), ex)

    def _track(self, a: int, m: np.ndarray, excl: np.ndarray) -> np.ndarray:
        """Feed the consensus pressure ``m`` [Pa] of sub-bins ``a ..`` (must be the next ones) and their
        exclusions; returns the statistic per sub-bin [-] (-inf where it cannot be computed).

        One implementation for batch (a whole run at once) and streaming (a sub-bin or a few at a time): the
        sub-bins' values are put after the last few hundred of the zone's rings (track [Pa], squared second
        differences [Pa^2], exclusions; sub-bin ``j`` in slot ``j % _RING``) and every quantity is computed over
        whole arrays for the new sub-bins only:

        * squared second difference ``(m_j - 2 m_{j-1} + m_{j-2})^2`` where the three sub-bins are usable;
        * noise ``sigma``, renewed at sub-bins ``j_first + r FAST_NOISE_EVERY`` (at least FAST_NOISE_SUB in)
          from the median of the finite squared second differences of the previous FAST_NOISE_SUB sub-bins,
          ``sqrt(median / 0.4549 / 6)``, when more than FAST_NOISE_MIN are finite (else NaN), kept in between;
        * per window ``M`` of FAST_WINDOWS, the least-squares slope of the last ``M`` values (sums in index
          order), its standard error ``sigma / sqrt(sxx)`` and ``z = (-slope - allow) / se`` where no sub-bin of
          the window is excluded; the sub-bin's statistic is the largest ``z``;
        * thermal gate: ``ref`` the highest value of the sub-bin's unexcluded stretch within ``gate_sub``
          sub-bins, the window's fitted end level ``s0 / M + slope (M - 1) / 2``; an alarm needs
          ``ref - level > gate_rel ref + threshold sigma``;
        * the alarm (once per zone run): the first sub-bin, and there the first window, with ``z`` over the
          threshold and the gate passed.
        """
        if a != self.j_next:
            raise ValueError(f"fast path fed sub-bin {a}, expected {self.j_next}")
        n = len(m)
        z = np.full(n, -np.inf)
        if n == 0:
            return z
        R, jf, st = _RING, self.j_first, self._st
        h = min(a - jf, self._history)  # earlier sub-bins of the run taken from the rings
        old = np.arange(a - h, a) % R
        with np.errstate(invalid="ignore"):
            ex = np.concatenate([self._ex[old], excl | ~np.isfinite(m)])
        m = np.concatenate([self._m[old], m])
        d2 = np.concatenate([self._d2[old], np.full(n, np.nan)])
        j_of = a - h  # sub-bin of index 0 of these arrays
        N = h + n
        # squared second differences of the new sub-bins (from the run's third sub-bin on)
        lo = max(h, jf + 2 - j_of)
        if lo < N:
            e = m[lo:] - 2.0 * m[lo - 1:N - 1] + m[lo - 2:N - 2]
            ok = ~(ex[lo:] | ex[lo - 1:N - 1] | ex[lo - 2:N - 2])
            d2[lo:] = np.where(ok, e * e, np.nan)
        # noise: the value in use, renewed at the renewal sub-bins among the new ones
        sig = np.full(N, st[0])
        ev = FAST_NOISE_EVERY
        first = jf + max(-(-FAST_NOISE_SUB // ev), -(-(a - jf) // ev)) * ev
        renew = np.arange(first, a + n, ev) - j_of
        if len(renew):
            W = np.sort(d2[renew[:, None] - FAST_NOISE_SUB + np.arange(FAST_NOISE_SUB)[None, :]], axis=1)  # NaN last
            k = np.isfinite(W).sum(axis=1)
            hk = k >> 1
            r = np.arange(len(renew))
            with np.errstate(invalid="ignore"):
                med = np.where(k & 1 == 1, W[r, hk], (W[r, np.maximum(hk - 1, 0)] + W[r, hk]) / 2)
                val = np.where(k > FAST_NOISE_MIN, np.sqrt(med / 0.4549 / 6.0), np.nan)
            seg = np.repeat(np.arange(len(renew)), np.diff(np.append(renew, N)))
            sig[renew[0]:] = val[seg]
        # thermal gate: the highest track value of each new sub-bin's unexcluded stretch within gate_sub (a max:
        # exact in any order)
        gs = self.gate_sub
        ref = np.full(N, -np.inf)
        if gs > 0:
            v = np.concatenate([np.full(gs, -np.inf), np.where(ex, -np.inf, m)])
            segs = np.cumsum(ex)
            sp = np.concatenate([np.full(gs, -1), segs])
            for c0 in range(h, N, 4096):  # in chunks: (4096, gate_sub + 1) at a time
                c1 = min(N, c0 + 4096)
                Wv = sliding_window_view(v[c0:c1 + gs], gs + 1)
                Ws = sliding_window_view(sp[c0:c1 + gs], gs + 1)
                ref[c0:c1] = np.where(Ws == segs[c0:c1, None], Wv, -np.inf).max(axis=1)
        # loss-rate windows over the new sub-bins that have M values of the run
        exc = np.concatenate([[0], np.cumsum(ex)])
        usable = np.isfinite(sig) & (sig > 0)
        hit = (N, 0, 0.0, 0.0, 0.0, np.nan)
        for M in (int(w) for w in self._windows):
            i0 = max(h, jf + M - 1 - j_of)  # first index with M values of the run
            if i0 >= N:
                continue
            sxx = 0.0
            for i in range(M):
                u = i - (M - 1) / 2.0
                sxx += u * u
            s = np.zeros(N - i0)
            s0 = np.zeros(N - i0)
            for i in range(M):
                x = m[i0 - M + 1 + i:N - M + 1 + i]
                s = s + (i - (M - 1) / 2.0) * x
                s0 = s0 + x
            slope = s / sxx
            se = sig[i0:] / math.sqrt(sxx)
            with np.errstate(invalid="ignore", divide="ignore"):
                zm = (-slope - self.allow) / se
            zm = np.where(usable[i0:] & (exc[i0 + 1:] - exc[i0 + 1 - M:N + 1 - M] == 0), zm, -np.inf)
            zc = z[i0 - h:]
            z[i0 - h:] = np.where(zm > zc, zm, zc)
            gate = True
            fall = np.full(N - i0, np.nan)
            if gs > 0:
                with np.errstate(invalid="ignore"):
                    rf = ref[i0:]
                    fall = rf - (s0 / M + slope * ((M - 1) / 2.0))
                    gate = fall > self.gate_rel * rf + self.threshold * sig[i0:]
            up = np.flatnonzero((zm > self.threshold) & gate)
            if len(up) and i0 + up[0] < hit[0]:
                c = int(up[0])
                hit = (i0 + c, M, float(zm[c]), float(slope[c]), float(se[c]), float(fall[c]))
        if hit[0] < N and st[1] < 0:
            i, M, zv, sl, sev, fl = hit
            st[1], st[2], st[3], st[4], st[5], st[6] = float(j_of + i), zv, sl, sev, float(M), fl
        # the rings' new sub-bins (the last _RING of them), the noise in use
        tail = slice(max(h, N - R), N)
        slots = (np.arange(tail.start, N) + j_of) % R
        self._m[slots], self._d2[slots], self._ex[slots] = m[tail], d2[tail], ex[tail]
        st[0] = sig[-1]
        self.j_next = a + n
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


def consensus(X: np.ndarray, act: np.ndarray, off: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """The zone's consensus pressure per sub-bin [Pa]: the median of the usable channels' means ``X`` [Pa]
    (channels x sub-bins, ``act``) after their offsets ``off`` [Pa], times ``ratio`` [-]; NaN with fewer than
    :data:`FAST_MIN_CHANNELS` usable channels."""
    if X.shape[0] == 0:
        return np.full(X.shape[1], np.nan)
    V = np.sort(np.where(act, X - off[:, None], np.inf), axis=0)  # absent channels sort last as +inf
    cnt = act.sum(axis=0)
    cols = np.arange(X.shape[1])
    lo, hi = np.maximum((cnt - 1) // 2, 0), np.minimum(cnt // 2, X.shape[0] - 1)
    with np.errstate(invalid="ignore"):
        return np.where(cnt >= FAST_MIN_CHANNELS, 0.5 * (V[lo, cols] + V[hi, cols]) * ratio, np.nan)


def run_inputs(sums, counts, j0: int, pos, learn_k, flag_k, offsets, rratio, rexcl, rn: int, k_first: int, iv0, iv1,
               a: int, b: int):
    """Inputs of :meth:`FastZone.scan` for sub-bins ``a .. b - 1`` of one zone run: the channel means ``X`` [Pa]
    (``sums`` / ``counts`` of the zone's rows ``pos``, from sub-bin ``j0``; NaN without samples), the channels
    usable there (finite, offset learned and not flagged as of the previous detector bin: the vote's
    ``learn_k``, ``flag_k`` [bins]), the ``offsets`` [Pa] (0 where none), the scale per sub-bin (1 where the
    zone's previous detector bin is known: ``rratio`` finite, ``rn`` bins from ``k_first``; else NaN) and the
    exclusions (that bin's ``rexcl``, or inside a known-operation interval ``[iv0, iv1]`` [bins])."""
    jj = np.arange(a, b, dtype=np.int64)
    prev = jj // SUB_BINS - 1
    S = sums[pos, a - j0:b - j0]
    C = counts[pos, a - j0:b - j0]
    with np.errstate(invalid="ignore", divide="ignore"):
        X = np.where(C > 0, S / np.where(C > 1.0, C, 1.0), np.nan)
    act = np.isfinite(X) & (learn_k[:, None] <= prev[None, :]) & (flag_k[:, None] > prev[None, :])
    off = np.where(np.isnan(offsets), 0.0, offsets)
    idx = prev - k_first
    inside = (idx >= 0) & (idx < rn)
    ic = np.clip(idx, 0, max(rn - 1, 0))
    ratio = np.where(inside, np.where(np.isfinite(rratio[ic]) if rn else False, 1.0, np.nan), np.nan)
    excl = np.where(inside, rexcl[ic] if rn else True, True)
    K = prev + 1
    for q in range(len(iv0)):
        excl |= (iv0[q] <= K) & (K <= iv1[q])
    return X, act, off, ratio, excl


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
