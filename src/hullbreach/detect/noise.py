"""Noise model of a zone detector's track: white-noise sigma and the variance inflation kappa.

:class:`NoiseModel` holds the methods of :class:`hullbreach.detect.detector.ZoneDetector` that give, for
any bin, the noise standard deviation of the track [kg] (robust pooled second differences over the last
window, :func:`hullbreach.detect.glr.robust_sigma_blocks`) and the inflation per time scale
(:func:`hullbreach.detect.glr.kappa_scales`, gated on white noise, kept ``window_bins // 3`` bins, floored
after a channel of the zone leaves its vote). See docs/detection.md §2.

Also :class:`_Buf`, the growable array the detector keeps its per-bin series in.
"""

from __future__ import annotations

import math

import numpy as np

from hullbreach.detect.glr import (
    KAPPA_AFTER_CHANGE,
    KAPPA_EVERY,
    KAPPA_HISTORY,
    KAPPA_SCALES,
    MIN_SIGMA_SAMPLES,
    SIGMA_BLOCK,
    kappa_scales,
    robust_sigma_blocks,
)


class _Buf:
    """Growable float array."""

    def __init__(self, dtype=float):
        self.a = np.zeros(256, dtype=dtype)
        self.n = 0

    def extend(self, x) -> None:
        x = np.asarray(x, dtype=self.a.dtype)
        need = self.n + len(x)
        if need > len(self.a):
            new = np.zeros(max(need, 2 * len(self.a)), dtype=self.a.dtype)
            new[: self.n] = self.a[: self.n]
            self.a = new
        self.a[self.n: need] = x
        self.n = need

    def push(self, x) -> None:
        """Append one value (the one-bin path: no temporary arrays)."""
        if self.n == len(self.a):
            new = np.zeros(2 * len(self.a), dtype=self.a.dtype)
            new[: self.n] = self.a[: self.n]
            self.a = new
        self.a[self.n] = x
        self.n += 1

    def reserve(self, size: int) -> None:
        """Make room for ``size`` values (doubling), keeping the values held."""
        if size > len(self.a):
            new = np.zeros(max(size, 2 * len(self.a)), dtype=self.a.dtype)
            new[: self.n] = self.a[: self.n]
            self.a = new

    def last(self) -> float:
        """The last value, as a Python float."""
        return float(self.a[self.n - 1])

    @property
    def v(self) -> np.ndarray:
        return self.a[: self.n]


class NoiseModel:
    """Mixin of :class:`~hullbreach.detect.detector.ZoneDetector`: the track's noise at every bin."""

    def _sigma_at(self, n: np.ndarray) -> np.ndarray:
        """Noise std for bins n: pooled second differences of the blocks completed before n's block, over
        the last window, inflated by ``1 + 12/count`` for the uncertainty of a short estimate."""
        self._update_blocks()
        if len(n) == 1:
            return np.array([self._sigma_one(int(n[0]))])
        keep = max(self.cfg.window_bins // SIGMA_BLOCK, 1)
        cs, cc = self.block_cs.v, self.block_cc.v
        b = n // SIGMA_BLOCK  # use blocks max(b - keep, 0) .. b - 1
        lo = np.maximum(b - keep, 0)
        tot, cnt = cs[b] - cs[lo], cc[b] - cc[lo]
        with np.errstate(divide="ignore", invalid="ignore"):
            var = tot / cnt / 6.0 * (1.0 + 12.0 / cnt)
        return np.where(cnt >= MIN_SIGMA_SAMPLES, np.sqrt(np.maximum(var, 1e-30)), np.nan)

    def _sigma_one(self, n: int) -> float:
        """:meth:`_sigma_at` for one bin ``n`` as a Python float [kg] (NaN without enough second differences):
        the same operations on Python floats (the streaming step). Brings the noise blocks up to date first."""
        self._update_blocks()
        b = n // SIGMA_BLOCK
        lo = max(b - max(self.cfg.window_bins // SIGMA_BLOCK, 1), 0)
        cc = self.block_cc.a
        cnt = float(cc[b] - cc[lo])
        if not cnt >= MIN_SIGMA_SAMPLES:
            return math.nan
        cs = self.block_cs.a
        tot = float(cs[b] - cs[lo])
        var = tot / cnt / 6.0 * (1.0 + 12.0 / cnt)
        return math.sqrt(max(var, 1e-30))

    def _update_blocks(self) -> None:
        """Noise blocks, their cumulative sums and the inflation estimates of every block completed so far."""
        nb_needed = self.y.n // SIGMA_BLOCK
        if self.block_sum.n < nb_needed:
            lo = self.block_sum.n * SIGMA_BLOCK
            hi = nb_needed * SIGMA_BLOCK
            pre = min(lo, 2)
            sums, cnts = robust_sigma_blocks(self.y.v[lo - pre: hi], self.real.v[lo - pre: hi], pre)
            self.block_sum.extend(sums)
            self.block_cnt.extend(cnts)
            keep = max(self.cfg.window_bins // SIGMA_BLOCK, 1)
            for b in range(nb_needed - len(sums), nb_needed):
                e = (b + 1) * SIGMA_BLOCK
                bs, bc = self.block_sum.v[max(0, b + 1 - keep): b + 1], self.block_cnt.v[max(0, b + 1 - keep): b + 1]
                s2 = float(bs.sum() / bc.sum() / 6.0) if bc.sum() > 0 else float("nan")
                if (b + 1) % KAPPA_EVERY == 0 or not self.kappa:
                    # the largest of a long (precise) and shorter (quick to react) estimates
                    ks = []
                    for hist in (KAPPA_HISTORY, self.cfg.window_bins, self.cfg.window_bins // 3):
                        lo_h = max(0, e - hist)
                        ks.append(kappa_scales(self.y.v[lo_h:e], self.real.v[lo_h:e], s2))
                    ks = np.array(ks)
                    self.kappa.append(np.max(ks, axis=0))
                    # per history and scale, the latest estimate that passed its gate replaces the earlier ones:
                    # it has seen the newer data (and, for the long histories, all of the older data too)
                    gated = ks > 1.0
                    self.kappa_last[gated] = ks[gated]
                    self.kappa_last_b[gated] = b
                else:
                    self.kappa.append(self.kappa[-1])
                # evidence of slow disturbances is kept for window_bins // 3 bins: an estimate that passes
                # its white-noise gate only now and then (moderate slow noise, a few blocks per estimate)
                # must not let the inflation flap back to 1 between two estimates. The level kept is that of
                # the latest estimate that passed the gate, per history (largest over the histories), not the
                # largest of all estimates of those bins: that maximum of upper sides picked the noisiest
                # early estimate (e.g. 22.4 from 6 second differences, 4 x the measured ratio) and held it 8 h
                mem = max(self.cfg.window_bins // 3 // SIGMA_BLOCK, 1)
                live = (b - self.kappa_last_b) < mem
                self.kappa_mem.append(np.max(np.where(live, self.kappa_last, 1.0), axis=0))
        if self.block_cs.n - 1 < self.block_sum.n:
            # cumulative sums of the blocks, extended by the new ones only (sequential additions: the values
            # of np.cumsum over all blocks)
            i0 = self.block_cs.n - 1
            self.block_cs.extend(np.cumsum(np.concatenate([self.block_cs.v[-1:], self.block_sum.v[i0:]]))[1:])
            self.block_cc.extend(np.cumsum(np.concatenate([self.block_cc.v[-1:], self.block_cnt.v[i0:]]))[1:])

    def _kappa_mem_array(self) -> np.ndarray:
        """``np.array(self.kappa_mem)``, converted once per new block (was at every call: a cost linear in the
        record length)."""
        k = len(self.kappa_mem)
        have = 0 if self._kmem is None else len(self._kmem)
        if have != k:
            new = np.array(self.kappa_mem[have:]) if have < k else None
            self._kmem = np.array(self.kappa_mem) if new is None or have == 0 else np.concatenate([self._kmem, new])
        return self._kmem

    def _kappa_last_one(self, n: int) -> float:
        """``_kappa_at([n])[0, -1]`` (the inflation at the largest scale for bin ``n``) as a Python float [-],
        without the arrays (the streaming step; the same values and the same maximum)."""
        b = n // SIGMA_BLOCK - 1
        out = float(self.kappa_mem[b][-1]) if 0 <= b < len(self.kappa_mem) else 1.0
        if self.change_k:
            span = self.cfg.window_bins
            floor = float(KAPPA_AFTER_CHANGE[-1])
            for k in self.change_k:
                c = k - self.k_first
                if c <= n < c + span:
                    out = float(np.maximum(out, floor))
        return out

    def _kappa_at(self, n: np.ndarray) -> np.ndarray:
        """Noise inflation per scale for bins n: as of the block before n's, the latest estimate that passed its
        white-noise gate within ``window_bins // 3`` bins (per history of the estimate, the largest of the
        histories; 1 if none); after a channel of the zone that its track depends on was left out, at least
        :data:`KAPPA_AFTER_CHANGE` for ``window_bins`` bins (a day at the defaults)."""
        b = n // SIGMA_BLOCK - 1
        K = self._kappa_mem_array() if self.kappa_mem else np.ones((1, len(KAPPA_SCALES)))
        out = np.ones((len(n), len(KAPPA_SCALES)))
        has = (b >= 0) & (b < len(self.kappa_mem))
        out[has] = K[b[has]]
        span = self.cfg.window_bins
        for k in self.change_k:
            c = k - self.k_first
            sel = (n >= c) & (n < c + span)
            if sel.any():
                out[sel] = np.maximum(out[sel], np.asarray(KAPPA_AFTER_CHANGE)[None, :])
        return out
