"""The channel vote of a zone (issue 16): median of its pressure (or temperature) channels after each channel's
offset, sensor faults, and what a module stands in with when its channel leaves the vote.

Split from :mod:`hullbreach.detect.airmass` (which owns one :class:`Consensus` per zone and quantity). The
temperature vote tracks each thermometer's offset from the consensus (``track``: a module's own orbital and daily
swing is not a fault; a step is); the pressure vote keeps the offset learned at each channel's first bin.
Units: SI (Pa, K).
docs/detection.md §1, §2c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: ``6 sqrt(2)``: a channel's tolerance in its noise per bin (the difference of two channels, 6 sigma).
SIX_SQRT2 = 6.0 * math.sqrt(2.0)
#: Bins a channel out of the pressure vote must have stayed beyond its tolerance, moving less than it from bin to
#: bin, before a sudden return counts as an equalization (:meth:`Consensus._watch_bin`) [bins] (10 min at 60 s:
#: a sealed module's gas drifts by ~1 Pa a minute; an erratic gauge is never calm that long).
CALM_BINS = 10
#: Largest departure, as a fraction of the zone pressure, from which a sudden return is bridged as an equalization
#: [-] (2 %: a sealed module's gas 6 K away from the cabin's, beyond the ISS cabin band of +-1.1 K, plus a night of
#: the rest of the zone's O2 feed and loss). A gauge coming back from further away had gas removed from or added to
#: its sealed module (an unlogged airlock depress, a repress): the step is a real change of the declared zone's
#: mass and is not bridged (the third generator's unlogged airlock cycle, pumped down to vacuum).
EQUALIZE_MAX_FRACTION = 0.02


# --------------------------------------------------------------------------------------- consensus
def median_list(vals: list) -> float:
    """:func:`nanmedian0` of one column given as a list of floats: NaN ignored, the same formula on the
    same sorted values (NaN if nothing is left)."""
    s = sorted(v for v in vals if not math.isnan(v))
    cnt = sum(1 for v in s if math.isfinite(v)) if s and not (math.isfinite(s[0]) and math.isfinite(s[-1])) else len(s)
    if cnt == 0:
        return math.nan
    lo, hi = s[(cnt - 1) // 2], s[cnt // 2]
    m = 0.5 * lo + 0.5 * hi
    return m if lo <= m <= hi else lo + 0.5 * (hi - lo)


def nanmedian0(a: np.ndarray) -> np.ndarray:
    """Median over axis 0 ignoring NaN; NaN where a column is all NaN (sort-based: fast for few rows)."""
    a = np.asarray(a, dtype=float)
    if a.ndim != 2 or a.shape[1] == 0:
        return np.zeros(0) if a.ndim == 2 else np.asarray(np.nan)
    s = np.sort(a, axis=0)  # NaN sort last
    cnt = np.isfinite(a).sum(axis=0)
    lo = np.maximum((cnt - 1) // 2, 0)
    hi = np.maximum(cnt // 2, 0)
    cols = np.arange(a.shape[1])
    # halves first: the same bits for every normal number (halving is exact), and no overflow to inf for two values
    # near the float's largest (a RuntimeWarning under hypothesis: detect/vote.py:43 until session 7)
    # near zero the halves of a subnormal round to 0 (5e-324 -> 0.0, below the column's minimum: hypothesis, session 9):
    # there the difference, which cannot overflow, is halved instead
    s_lo, s_hi = s[lo, cols], s[hi, cols]
    med = 0.5 * s_lo + 0.5 * s_hi
    bad = (med < s_lo) | (med > s_hi)
    if bad.any():
        med = np.where(bad, s_lo + 0.5 * (s_hi - s_lo), med)
    return np.where(cnt > 0, med, np.nan)


@dataclass
class Consensus:
    """Mutable state of one zone's channel vote (private; owned by an :class:`AirMassTracker`)."""

    sensors: tuple
    noise_si: np.ndarray
    abs_tol: float
    offsets: np.ndarray = None  # type: ignore[assignment]
    flag_k: np.ndarray = None  # type: ignore[assignment]
    learn_k: np.ndarray = None  # type: ignore[assignment]  # bin each offset was learned at (inf: not yet)
    #: per channel, its departure from the consensus (after its offset) at the last bin it voted in [SI]
    dev: np.ndarray = None  # type: ignore[assignment]
    #: per channel, the offset a flagged channel's module carries on with [SI] (NaN: not flagged by the vote):
    #: its offset plus its departure at the last bin it voted in, so that the consensus plus this offset
    #: continues the channel's last trusted value (see :meth:`fallback_offset`)
    carry: np.ndarray = None  # type: ignore[assignment]
    #: fraction of its departure from the consensus by which a voting channel's offset moves each bin [-]
    #: (0: offsets fixed at the channel's first bin; the temperature vote: ``1 - exp(-bin / tau)``, see
    #: :data:`hullbreach.detect.airmass.TEMPERATURE_OFFSET_TAU_S`)
    track: float = 0.0
    #: per channel, its offset as learned at its first bin (NaN: not yet) [SI]: the reference of the departure
    #: checks (:func:`hullbreach.detect.crosscheck.thermometer_carried`), not moved by the tracking
    offsets0: np.ndarray = None  # type: ignore[assignment]
    _tol_one: tuple | None = None  # (counts, tolerances) of the last single bin
    _offs_bin: np.ndarray | None = None  # tracked votes: each channel's offset after each bin of the last chunk
    #: bins a zone's numbers are bridged after an equalization the vote sees (0: not watched; the pressure vote
    #: watches, see :meth:`_watch`) [bins]
    step_bins: int = 0
    #: the last bin of the current equalization span (bins up to it are bridged) [bin index]
    step_until: int = -(2 ** 62)
    #: whether the last single bin (:meth:`run_one`) lies in an equalization span; per bin of the last chunk
    #: (:meth:`run`): :attr:`step_mask`
    step_now: bool = False
    step_mask: np.ndarray | None = None
    #: returns seen: (channel index, bin, departure before [SI], departure after [SI], bridged), in time order
    equalizations: list = field(default_factory=list)
    eq_noted: int = 0  # how many of them the tracker has turned into notes
    out_prev: list = None  # type: ignore[assignment]  # each channel's departure at the previous bin [SI]
    calm: list = None  # type: ignore[assignment]  # per channel: bins it has stayed out, calmly (see _watch_bin)

    def __post_init__(self) -> None:
        n = len(self.sensors)
        self.out_prev = [math.nan] * n
        self.calm = [0] * n
        self.offsets = np.full(n, np.nan)
        self.offsets0 = np.full(n, np.nan)
        self.flag_k = np.full(n, np.inf)
        self.learn_k = np.full(n, np.inf)
        self.dev = np.full(n, np.nan)
        self.carry = np.full(n, np.nan)

    def relearn(self, keep: tuple = ()) -> None:
        """Forget the offsets and flags learned so far (they are learned afresh at the next bin, as at a zone's
        first bin). Called once the known operation that formed the zone has settled: a hatch opened within a bin
        leaves that bin's gauges half-way through the equalization, and an offset learned there is wrong by up to
        half the pressures' difference (the fourth generator's dead-end module: its gauge called a fault minutes
        after each logged reopening). ``keep``: channels whose flag stays (judged faulty by the data checks)."""
        n = len(self.sensors)
        self.offsets = np.full(n, np.nan)
        self.offsets0 = np.full(n, np.nan)
        flag = np.full(n, np.inf)
        for i in keep:
            flag[i] = self.flag_k[i]
        self.flag_k = flag
        self.learn_k = np.full(n, np.inf)
        self.dev = np.full(n, np.nan)
        self.carry = np.full(n, np.nan)
        self.out_prev = [math.nan] * n
        self.calm = [0] * n

    def fallback_offset(self, i: int, ks):
        """Offset of channel ``i`` from the consensus at bins ``ks`` where the channel is not used [SI]: from the
        bin it was flagged on, the offset it carries on with (:attr:`carry`); before (a missing sample), its
        offset; 0 when it has none.

        Modules differ in temperature (their own orbital and daily swings, ~0.3 and 0.5 K each on the ISS), so a
        thermometer can leave the consensus tolerance while it still represents its module. Standing in for it
        with the consensus plus the offset learned at its first bin put a step of up to the tolerance (1.5 K)
        into the module's temperature, hence into the zone's mass: in a 4-module zone, 0.1 % of the mass at
        once, a leak alarm hours later (issue 16, the false alarms of the independent generator's sweep).
        Continuing from the last trusted departure puts no step in; a faulty channel's jump is not carried (its
        departure is taken before the bin that flagged it)."""
        if np.ndim(ks) and self._offs_bin is not None and self._offs_bin.shape[1] == len(ks):
            o = np.nan_to_num(self._offs_bin[i], nan=0.0)  # a tracked offset: its value at each bin
        else:
            o = self.offsets[i]
            o = 0.0 if math.isnan(o) else float(o)
        c = self.carry[i]
        if math.isnan(c):
            return o if np.ndim(ks) == 0 else np.broadcast_to(o, (len(ks),)).astype(float)
        if np.ndim(ks) == 0:
            return float(c) if ks >= self.flag_k[i] else o
        return np.where(np.asarray(ks) >= self.flag_k[i], float(c), o)

    def _carry_on(self, i: int, dev: float) -> None:
        """Channel ``i`` was just flagged; ``dev``: its departure at the last bin it voted in (NaN: none)."""
        if not math.isnan(dev) and not math.isnan(self.offsets[i]):
            self.carry[i] = self.offsets[i] + dev

    def run(self, x: np.ndarray, counts: np.ndarray, ks: np.ndarray) -> np.ndarray:
        """Zone consensus value per bin (NaN where no channel) for bins ``ks`` of channel means ``x``."""
        S, n = x.shape
        if S == 0:
            return np.full(n, np.nan)
        if self.track:
            # a tracked offset depends on every earlier bin's consensus: bin after bin, by the one implementation
            # of the single bin (so batch and streaming agree bit for bit)
            med = np.empty(n)
            self._offs_bin = np.empty((S, n))
            xl, cl = x.T.tolist(), np.asarray(counts, dtype=float).T.tolist()
            for j in range(n):
                med[j] = self.run_one(xl[j], cl[j], int(ks[j]))
                self._offs_bin[:, j] = self.offsets
            return med
        valid = np.isfinite(x)
        # offsets: learned at each channel's first valid bin, relative to the consensus of the channels
        # already known there (or to the median of all channels at the very first bin).
        while True:
            unknown = np.isnan(self.offsets) & valid.any(axis=1)
            if not unknown.any():
                break
            first = np.where(unknown, np.argmax(valid, axis=1), n)
            j = int(first.min())
            known = ~np.isnan(self.offsets) & valid[:, j] & (ks[j] < self.flag_k)
            if known.any():
                ref = float(np.median(x[known, j] - self.offsets[known]))
            else:
                ref = float(np.median(x[valid[:, j], j]))
            newly = unknown & (first == j)
            self.offsets[newly] = x[newly, j] - ref
            self.offsets0[newly] = self.offsets[newly]
            self.learn_k[newly] = ks[j]
        c = x - np.where(np.isnan(self.offsets), 0.0, self.offsets)[:, None]
        with np.errstate(invalid="ignore"):
            noise_bin = self.noise_si[:, None] / np.sqrt(np.maximum(counts, 1.0))
        tol = np.maximum(self.abs_tol, 6.0 * np.sqrt(2.0) * noise_bin)
        flag = self.flag_k.copy()
        if S >= 3:
            # Sequential rule, solved in time order: find the earliest bin where an active channel departs
            # from the consensus of the channels active there, flag it from that bin, repeat. Each pass fixes
            # the earliest remaining flag, so batch and bin-by-bin streaming agree.
            for _ in range(S):
                active = valid & (ks[None, :] < flag[:, None])
                med = nanmedian0(np.where(active, c, np.nan))
                n_active = active.sum(axis=0)
                bad = active & (np.abs(c - med[None, :]) > tol) & (n_active[None, :] >= 3)
                cols = np.nonzero(bad.any(axis=0))[0]
                if cols.size == 0:
                    break
                j = int(cols[0])
                flag[bad[:, j]] = ks[j]
        active = valid & (ks[None, :] < flag[:, None])
        med = nanmedian0(np.where(active, c, np.nan))
        # departures from the consensus where each channel voted; a channel flagged in this chunk carries on
        # from its departure at the last bin before its flag (the bins before it are final)
        dev = np.where(active & np.isfinite(med)[None, :], c - med[None, :], np.nan)
        for i in np.nonzero(flag != self.flag_k)[0]:
            j = int(np.searchsorted(ks, flag[i]))
            seen = np.nonzero(np.isfinite(dev[i, :j]))[0]
            self._carry_on(int(i), float(dev[i, seen[-1]]) if len(seen) else float(self.dev[i]))
        for i in range(S):
            seen = np.nonzero(np.isfinite(dev[i]))[0]
            if len(seen):
                self.dev[i] = dev[i, seen[-1]]
        self.flag_k = flag
        if self.step_bins:
            self._watch(c, med, valid, ks, tol)
        return med

    def _watch(self, c: np.ndarray, med: np.ndarray, valid: np.ndarray, ks: np.ndarray, tol: np.ndarray) -> None:
        """Equalizations of a chunk (:meth:`run`): :meth:`_watch_bin` bin after bin on the channels' departures
        ``c - med`` [SI] and tolerances ``tol`` [SI]; sets :attr:`step_mask`."""
        S, n = c.shape
        if S < 3 or n == 0:
            self.step_mask = np.zeros(n, dtype=bool)
            return
        d = np.where(valid & np.isfinite(med)[None, :], c - med[None, :], np.nan)
        # before the first bin any channel is out of the vote nothing can happen but the departures' update
        j0 = int(np.searchsorted(ks, self.flag_k.min())) if np.isfinite(self.flag_k).any() else n
        mask = ks[:j0] <= self.step_until
        if j0 > 0:
            self.out_prev = d[:, j0 - 1].tolist()
        dl, tl, kl, fl = d[:, j0:].T.tolist(), tol[:, j0:].T.tolist(), ks[j0:].tolist(), self.flag_k.tolist()
        ml = med[j0:].tolist()
        self.step_mask = np.concatenate([mask, np.array([self._watch_bin(dl[j], tl[j], kl[j], fl, ml[j])
                                                         for j in range(n - j0)], dtype=bool)])

    def _watch_bin(self, d: list, tol: list, k: int, flag: list, level: float) -> bool:
        """One bin of the equalization watch; True when bin ``k`` is to be bridged.

        ``d``: each channel's departure from the consensus [SI] (NaN: no sample), ``tol``: its tolerance [SI],
        ``flag``: the bin each channel left the vote (inf: voting), ``level``: the consensus [SI] (the zone's pressure).

        A pressure gauge that left its zone's vote because its module was sealed off by a hatch closure the events
        file does not log reads that module's own pressure: its departure grows smoothly (the sealed gas warms,
        cools, is used). When the hatch is reopened the two gases equalize within a bin or two (mass conserved:
        the gauge jumps back toward the zone and the zone's pressure steps toward it by the module's share of the
        volume). So: a channel out of the vote whose departure has stayed beyond its tolerance and moved by less
        than its tolerance from bin to bin for :data:`CALM_BINS` bins, and then shrinks by more than its tolerance
        within one bin, is an equalization; the zone's numbers step with no mass lost, and the bins from there to
        :attr:`step_bins` after it are bridged like a logged hatch opening. Only from a departure of at most
        :data:`EQUALIZE_MAX_FRACTION` of the zone pressure: beyond what a sealed module's gas does by itself, gas
        was removed or added there, and the step is a real change of the zone's mass (recorded, not bridged). An erratic gauge never stays calm, so
        it bridges nothing; a faulty gauge jumping back after a smooth drift costs one bridging. The channel
        stays out of the vote (batch and streaming agree). Units: SI (Pa)."""
        prev, calm = self.out_prev, self.calm
        eq = False
        for i, di in enumerate(d):
            pv = prev[i]
            if k >= flag[i]:
                if calm[i] >= CALM_BINS and abs(pv) - abs(di) > tol[i]:
                    bridged = abs(pv) <= EQUALIZE_MAX_FRACTION * abs(level)
                    self.equalizations.append((i, k, pv, di, bridged))
                    eq |= bridged
                    calm[i] = 0
                elif abs(di) > tol[i] and abs(di - pv) <= tol[i]:
                    calm[i] += 1
                else:
                    calm[i] = 0
            prev[i] = di
        if eq:
            self.step_until = max(self.step_until, k + self.step_bins)
        return k <= self.step_until

    def run_one(self, x: list, counts: list, k: int) -> float:
        """:meth:`run` for a single bin ``k``: ``x`` and ``counts`` are lists of floats (one per channel).

        The same IEEE arithmetic in the same order on Python floats (a bin of a 22-channel zone is a few
        dozen operations, far below the cost of NumPy calls on tiny arrays); the state (offsets, flags) is
        the same as after :meth:`run` on that bin. Returns the consensus value (NaN where no channel).
        """
        S = len(self.sensors)
        if S == 0:
            return math.nan
        isfin, isnan = math.isfinite, math.isnan
        offs = self.offsets.tolist()
        flag = self.flag_k.tolist()
        missing = [i for i, o in enumerate(offs) if isnan(o)]  # offsets not learned yet (usually none)
        unknown = [i for i in missing if isfin(x[i])]
        if unknown:
            # as in run(): every unknown valid channel has its first valid bin here
            known = [i for i in range(S) if isfin(x[i]) and not isnan(offs[i]) and k < flag[i]]
            if known:
                ref = float(np.median(np.array([x[i] for i in known]) - self.offsets[known]))
            else:
                ref = float(np.median(np.array([v for v in x if isfin(v)])))
            for i in unknown:
                offs[i] = x[i] - ref
                self.offsets[i] = offs[i]
                self.offsets0[i] = offs[i]
                self.learn_k[i] = k
            missing = [i for i in missing if i not in unknown]
        if missing:
            offs = [0.0 if isnan(o) else o for o in offs]
        c = [v - o for v, o in zip(x, offs)]
        active = [isfin(v) and k < f for v, f in zip(x, flag)]
        if S >= 3:
            key = tuple(counts)
            if self._tol_one is None or self._tol_one[0] != key:  # the counts rarely change from bin to bin
                six_sqrt2, atol = 6.0 * math.sqrt(2.0), self.abs_tol
                self._tol_one = (key, [max(atol, six_sqrt2 * (sd / math.sqrt(max(n, 1.0))))
                                       for sd, n in zip(self.noise_si.tolist(), counts)])
            tol = self._tol_one[1]
            changed = False
            final = None
            for _ in range(S):
                vals = [ci for ci, a in zip(c, active) if a]
                if len(vals) < 3:
                    break
                med = median_list(vals)
                bad = [i for i, (ci, a, t) in enumerate(zip(c, active, tol)) if a and abs(ci - med) > t]
                if not bad:
                    final = med  # nothing more flagged: the consensus is this median
                    break
                for i in bad:
                    flag[i] = float(k)
                    active[i] = False
                    self._carry_on(i, float(self.dev[i]))
                changed = True
            if changed:
                self.flag_k = np.array(flag)
            if final is None:
                final = median_list([ci for ci, a in zip(c, active) if a])
        else:
            final = median_list([ci for ci, a in zip(c, active) if a])
        if self.step_bins and S >= 3:
            fin = isfin(final)
            self.step_now = self._watch_bin([ci - final if (fin and isfin(v)) else math.nan for ci, v in zip(c, x)],
                                            tol, k, flag, final)
        if not isnan(final):
            tr = self.track
            for i, (ci, a) in enumerate(zip(c, active)):
                if a:
                    d = ci - final
                    if tr:
                        # tracked offset: moves by a share of the departure; the departure kept is the one left
                        # against the new offset (so a channel flagged later carries on from its last value)
                        step = tr * d
                        self.offsets[i] = offs[i] + step
                        d = d - step
                    self.dev[i] = d
        return final


def first_offset(vote: Consensus, rows: list):
    """Mean first offset [K] of a module's thermometers ``rows`` (0 where none is learned yet)."""
    o = [float(vote.offsets0[j]) for j in rows if not math.isnan(vote.offsets0[j])]
    return sum(o) / len(o) if o else 0.0
