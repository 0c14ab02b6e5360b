"""The track of one zone detector and its running sums (:class:`TrackSums`).

A :class:`~hullbreach.detect.detector.ZoneDetector` is a composition: this class holds the bridged track and
the prefix sums the statistic, the estimates and the clip read; :class:`~hullbreach.detect.noise.NoiseModel`
holds the noise; :class:`~hullbreach.detect.alarmfit.AlarmFitting` fits onset, rate and growth after an alarm.

The prefix sums: ``C0[i] = sum_{j<i} y_j``, ``Cj[i] = sum_{j<i} j y_j``, ``Cjj`` (the same with ``j^2``) of the
raw track [kg]; ``Q``, ``D`` the same of the track clipped at :data:`~hullbreach.detect.glr.CLIP_SIGMA` from its
one-step prediction (see :meth:`TrackSums._append_clipped`). One bin or many: the same additions in the same
order, so streaming equals batch bit for bit (``tests/detect/test_scalar_paths.py``).
"""

from __future__ import annotations

import numpy as np

from hullbreach.detect.glr import CLIP_SIGMA, MIN_REF_BINS
from hullbreach.detect.noise import _Buf


class TrackSums:
    """A zone detector's track [kg per bin], its flags, the zone's pressure [Pa], temperature [K] and air mass [kg]
    per bin, and the running sums over them.

    Parameters
    ----------
    window_bins : int
        The detector's window [bins].
    sigma_at : callable, optional
        Noise standard deviation [kg] of the track at bins ``n`` (the detector's
        :meth:`~hullbreach.detect.noise.NoiseModel.sigma_at`; set before the first append).
    """

    def __init__(self, window_bins: int, sigma_at=None):
        self.window_bins = int(window_bins)
        self.sigma_at = sigma_at
        self.y = _Buf()          # bridged track [kg]
        self.real = _Buf(bool)   # measured (not filled)
        self.C0, self.Cj, self.Cjj = _Buf(), _Buf(), _Buf()
        self.clip_run = 0  # consecutive bins beyond the clip limit (signed)
        self.Q0, self.Qj = _Buf(), _Buf()  # prefix sums of the clipped track (detection statistic)
        # the same with one bin of hindsight (a clipped bin followed by a departure on the same side is
        # restored: it was the start of a persistent change); ``unclip[j]`` = clipped - final value of bin j
        self.D0, self.Dj = _Buf(), _Buf()
        for b in (self.C0, self.Cj, self.Cjj, self.Q0, self.Qj, self.D0, self.Dj):
            b.extend([0.0])
        self.unclip = _Buf()
        self.D0_end = _Buf()  # D0[n + 1] and Dj[n + 1] as they were when bin n arrived (bin n as clipped)
        self.Dj_end = _Buf()
        self.floor = _Buf(np.int64)  # window floor in effect when each bin was appended
        self.p = _Buf()
        self.T = _Buf()
        self.mass = _Buf()

    def line_at_last(self, floor: int):
        """Fitted level at the last bin and slope [kg, kg per bin] of the track over the window (never before bin
        ``floor``)."""
        n = self.y.n - 1
        a = max(n - self.window_bins + 1, floor, 0)
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

    def append(self, yv, real, p, t, m, floor: int) -> None:
        """Append bins: track values ``yv`` [kg], measured flags ``real``, zone pressure ``p`` [Pa], temperature
        ``t`` [K], air mass ``m`` [kg]; ``floor``: the window never starts before this bin."""
        n0 = self.y.n
        yv = np.asarray(yv, dtype=float)
        if len(yv) == 1:
            self.append_one(float(yv[0]), real[0], p[0], t[0], m[0], floor)
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
        self.floor.extend(np.full(len(yv), floor))
        self._append_clipped(n0, yv, floor)

    def append_one(self, y: float, real, p, t, m, floor: int) -> None:
        """One bin (the streaming step): the same additions as :meth:`append`'s cumulative sums, on Python
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
        self.floor.push(floor)
        self._append_clipped(n0, [y], floor)

    def _append_clipped(self, n0: int, yv, floor: int) -> None:
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
        sig = self.sigma_at(np.arange(n0, n0 + k)).tolist()
        ys = yv if isinstance(yv, list) else yv.tolist()
        L = self.window_bins
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
