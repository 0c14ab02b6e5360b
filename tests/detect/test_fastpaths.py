"""The detector's fast paths give the numbers of the implementations they replaced, bit for bit.

The reference implementations below are the detector's code before the per-bin work was made cheaper
(``_append_clipped`` on NumPy scalars, ``_sigma_at`` re-accumulating the cumulative sums of all noise blocks
at every call); the fast ones must give identical prefix sums, clip decisions, noise scales, statistics and
alarms on random tracks (outliers, persistent departures, gaps, known steps, slow disturbances, leaks), fed
in one chunk, bin by bin, or in random chunks.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullbreach.detect import detector as D
from hullbreach.detect.airmass import ZoneMass
from hullbreach.detect.glr import CLIP_SIGMA, MIN_REF_BINS, MIN_SIGMA_SAMPLES, SIGMA_BLOCK


class _RefDetector(D.ZoneDetector):
    """ZoneDetector with the former implementations of ``_append``, ``_append_clipped``, ``_sigma_at`` and
    ``_evaluate`` (vectorised statistic for every chunk, one bin included)."""

    def _feed_one(self, zm):
        return False  # the former feed: every chunk through the general path

    def _append(self, yv, real, p, t, m):
        n0 = self.y.n
        yv = np.asarray(yv, dtype=float)
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

    def _evaluate(self, n0, n1):
        n = np.arange(n0, n1)
        sig = self._sigma_at(n)
        ok = np.isfinite(sig)
        stat = np.zeros(len(n))
        if ok.any():
            s, _bm = D.glr_statistic(self.D0.v, self.Dj.v, n[ok], sig[ok], self.cfg.window_bins, self.allow, self.grid,
                                     floor=self.floor.v[n[ok]], kappa=self._kappa_at(n[ok]),
                                     end_sums=(self.D0_end.v[n[ok]], self.Dj_end.v[n[ok]]))
            stat[ok] = s
        self.stat.extend(stat)
        self.sig.extend(np.where(ok, sig, np.nan))
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
                self.alarms.append(D._AlarmState(nn, float(stat[idx]), self._onset_mle(nn, fl)[0], fl))
                i = idx + 1
            elif cur.growing_n is None:
                g = self._growing(cur, n[i:])
                if g.any():
                    cur.growing_n = int(n[i + int(np.argmax(g))])
                break
            else:
                break

    def _append_clipped(self, n0, yv):
        k = len(yv)
        sig = self._sigma_at(np.arange(n0, n0 + k))
        q0, qj, dv, unc, prov = np.empty(k), np.empty(k), np.empty(k), np.zeros(k), np.empty(k)
        c0, cj = float(self.Q0.v[-1]), float(self.Qj.v[-1])
        Q0, Qj = self.Q0.v, self.Qj.v
        L, floor = self.cfg.window_bins, self.reset_n
        run = self.clip_run
        for i in range(k):
            jj = n0 + i
            y = float(yv[i])
            a = max(jj - L, floor, 0)
            N = jj - a
            s_i = sig[i]
            if N >= MIN_REF_BINS and s_i == s_i:
                qa0 = Q0[a] if a < len(Q0) else q0[a - len(Q0)]
                qaj = Qj[a] if a < len(Qj) else qj[a - len(Qj)]
                Sy = c0 - qa0
                Suy = (cj - qaj) - (jj - 1) * Sy
                Su = -(N - 1) * N / 2.0
                Suu = (N - 1) * N * (2 * N - 1) / 6.0
                slope = (N * Suy - Su * Sy) / (N * Suu - Su * Su)
                pred = (Sy - slope * Su) / N + slope
                lim = CLIP_SIGMA * s_i
                dev = y - pred
                if abs(dev) > lim:
                    sign = 1 if dev > 0 else -1
                    run = run + sign if run * sign > 0 else sign
                    if abs(run) < 2:
                        y = pred + sign * lim
                    elif abs(run) == 2:
                        if i > 0:
                            unc[i - 1] = dv[i - 1] - float(yv[i - 1])
                            dv[i - 1] = float(yv[i - 1])
                        else:
                            self._restore_last(n0)
                else:
                    run = 0
            dv[i] = y
            prov[i] = y
            c0 += y
            cj += jj * y
            q0[i] = c0
            qj[i] = cj
        self.Q0.extend(q0)
        self.Qj.extend(qj)
        jv = np.arange(n0, n0 + k, dtype=float)
        self.D0.extend(np.cumsum(np.concatenate([[self.D0.v[-1]], dv]))[1:])
        self.Dj.extend(np.cumsum(np.concatenate([[self.Dj.v[-1]], jv * dv]))[1:])
        self.D0_end.extend(self.D0.v[n0: n0 + k] + prov)
        self.Dj_end.extend(self.Dj.v[n0: n0 + k] + jv * prov)
        self.unclip.extend(unc)
        self.clip_run = run

    def _sigma_at(self, n):
        super()._sigma_at(n[:0])  # the block bookkeeping (noise blocks, kappa) is shared
        keep = max(self.cfg.window_bins // SIGMA_BLOCK, 1)
        cs = np.concatenate([[0.0], np.cumsum(self.block_sum.v)])
        cc = np.concatenate([[0.0], np.cumsum(self.block_cnt.v)])
        b = n // SIGMA_BLOCK
        lo = np.maximum(b - keep, 0)
        tot, cnt = cs[b] - cs[lo], cc[b] - cc[lo]
        with np.errstate(divide="ignore", invalid="ignore"):
            var = tot / cnt / 6.0 * (1.0 + 12.0 / cnt)
        return np.where(cnt >= MIN_SIGMA_SAMPLES, np.sqrt(np.maximum(var, 1e-30)), np.nan)


FIELDS = ("y", "real", "C0", "Cj", "Cjj", "p", "T", "mass", "Q0", "Qj", "D0", "Dj", "D0_end", "Dj_end", "unclip", "stat", "sig", "floor")


def _track(seed: int, n: int):
    rng = np.random.default_rng(seed)
    y = 1000 + 0.05 * rng.standard_normal(n)
    y += rng.uniform(0, 0.2) * np.sin(np.arange(n) / rng.uniform(20, 200))  # slow disturbance
    idx = rng.integers(0, n, size=int(rng.integers(0, 12)))
    y[idx] += rng.choice([-1, 1], size=len(idx)) * rng.uniform(0.3, 2, size=len(idx))  # outliers
    t0 = int(rng.integers(n // 3, n))
    y[t0:] -= rng.uniform(0, 0.03) * np.arange(n - t0) * (rng.uniform() < 0.7)  # a leak
    if rng.uniform() < 0.5:
        y[int(rng.integers(0, n)):] -= rng.uniform(0.5, 3)  # a fast step (persistent departure)
    ex = rng.uniform(size=n) < 0.01
    if rng.uniform() < 0.5:  # a known operation: excluded bins, then a level step
        s0 = int(rng.integers(0, n - 30))
        ex[s0: s0 + int(rng.integers(1, 30))] = True
        y[s0 + 10:] += rng.uniform(-2, 5)
    y[rng.uniform(size=n) < 0.01] = np.nan  # gaps
    chg = np.zeros(n, bool)
    if rng.uniform() < 0.3:
        chg[int(rng.integers(0, n))] = True
    return y, ex, chg


def _run(cls, y, ex, chg, cuts, h):
    n = len(y)
    k = np.arange(n)
    det = cls(("z",), 100.0, D.DetectorConfig(), "air", 100.0, 0, h=h)
    f = np.zeros(n, bool)
    for a, b in zip(cuts[:-1], cuts[1:]):
        s = slice(a, b)
        det.feed(ZoneMass(zone=("z",), volume_m3=100.0, k=k[s], t_s=(k[s] + 0.5) * 60.0, pressure_pa=np.full(b - a, 1e5),
                          temperature_k=np.full(b - a, 295.0), r_specific=287.0, mass_kg=y[s], n2_mass_kg=None,
                          excluded=ex[s], vented=f[s], sensor_change=chg[s]))
    return det


def _same_bits(a, b):
    for f in FIELDS:
        x, z = getattr(a, f).v, getattr(b, f).v
        assert x.shape == z.shape, f
        assert np.array_equal(x.view(np.uint8), z.view(np.uint8)), f  # bit for bit (NaN where NaN)
    assert np.array_equal(np.array(a.kappa_mem), np.array(b.kappa_mem))
    assert [(x.n_alarm, x.stat, x.tau, x.floor, x.growing_n) for x in a.alarms] == \
        [(x.n_alarm, x.stat, x.tau, x.floor, x.growing_n) for x in b.alarms]
    assert a.clip_run == b.clip_run


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(60, 1800), mode=st.sampled_from(["one", "bins", "rand"]),
       h=st.floats(6.0, 20.0))
def test_fast_paths_equal_reference(seed, n, mode, h):
    y, ex, chg = _track(seed, n)
    if mode == "one":
        cuts = [0, n]
    elif mode == "bins":
        cuts = list(range(n + 1))
    else:
        r = np.random.default_rng(seed + 1)
        cuts = [0] + sorted(set(r.integers(1, n, size=int(r.integers(1, 40))).tolist())) + [n]
    fast, ref = _run(D.ZoneDetector, y, ex, chg, cuts, h), _run(_RefDetector, y, ex, chg, cuts, h)
    _same_bits(fast, ref)


def test_reference_paths_are_exercised():
    """The random tracks do clip, restore and alarm (so the test above compares something)."""
    clipped = restored = alarms = 0
    for seed in range(6):
        y, ex, chg = _track(seed, 1500)
        det = _run(D.ZoneDetector, y, ex, chg, [0, 1500], 10.0)
        clipped += int(np.sum(det.Q0.v != det.C0.v))
        restored += int(np.sum(det.unclip.v != 0))
        alarms += len(det.alarms)
    assert clipped > 0 and restored > 0 and alarms > 0


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10_000), length=st.integers(2, 3000), window=st.sampled_from([40, 120, 500, 1440]),
       allow=st.sampled_from([0.0, 1e-4, 3e-3, 0.05]), kappa=st.floats(1.0, 30.0), sigma=st.floats(1e-4, 1.0),
       slope=st.floats(-0.05, 0.05), floor_frac=st.floats(0.0, 1.2), hindsight=st.booleans())
def test_glr_statistic_one_equals_vectorised(seed, length, window, allow, kappa, sigma, slope, floor_frac, hindsight):
    """The one-bin statistic of the streaming step is glr_statistic's, bit for bit."""
    from hullbreach.detect.glr import change_age_grid, glr_statistic, glr_statistic_one

    rng = np.random.default_rng(seed)
    y = sigma * rng.standard_normal(length)
    t0 = int(rng.integers(0, length))
    y[t0:] += slope * np.arange(length - t0)
    C0 = np.concatenate([[0.0], np.cumsum(y)])
    Cj = np.concatenate([[0.0], np.cumsum(np.arange(length) * y)])
    n = int(rng.integers(0, length))
    floor = int(floor_frac * n)
    c0n, cjn = (C0[n + 1] + 0.3 * sigma, Cj[n + 1] + 0.3 * sigma * n) if hindsight else (C0[n + 1], Cj[n + 1])
    grid = change_age_grid(window)
    kap = np.ones((1, 4))
    kap[0, -1] = kappa
    kap[0, 1:3] = rng.uniform(1.0, kappa, 2)
    s_ref, m_ref = glr_statistic(C0, Cj, np.array([n]), np.array([sigma]), window, allow, grid, floor=np.array([floor]),
                                 kappa=kap, end_sums=(np.array([c0n]), np.array([cjn])))
    s, m = glr_statistic_one(C0, Cj, n, sigma, window, allow, grid, floor, kappa, c0n, cjn)
    assert np.float64(s).tobytes() == np.float64(s_ref[0]).tobytes()
    assert m == int(m_ref[0])


def test_glr_statistic_one_sees_alarms():
    """A clear slope change gives a positive statistic at a change age (the comparison above is not all zeros)."""
    from hullbreach.detect.glr import change_age_grid, glr_statistic_one

    rng = np.random.default_rng(0)
    y = 0.01 * rng.standard_normal(600)
    y[400:] -= 0.01 * np.arange(200)
    C0 = np.concatenate([[0.0], np.cumsum(y)])
    Cj = np.concatenate([[0.0], np.cumsum(np.arange(600) * y)])
    s, m = glr_statistic_one(C0, Cj, 599, 0.01, 1440, 1e-4, change_age_grid(1440), 0, 1.0, C0[600], Cj[600])
    assert s > 50 and 100 <= m <= 300


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.sampled_from([1, 7, 40, 4000]), p_inf=st.sampled_from([0.0, 0.01, 0.02, 0.1]),
       p_nan=st.sampled_from([0.0, 0.001]), ties=st.booleans())
def test_batched_intervals_equal_one_by_one(seed, n, p_inf, p_nan, ties):
    """estimate's _intervals (one sort-based percentile call over the stacked samples) gives _interval's numbers
    (np.percentile per array) bit for bit, with infinite and NaN samples (either branch) and ties; the one
    exception is the sign of a zero order statistic (sorting and NumPy's partition may leave -0.0 and 0.0 in
    either order), so zeros compare as equal numbers."""
    from hullbreach.detect.estimate import _interval, _intervals

    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(6):
        s = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8)
        if ties:
            s = np.round(s, 1)
        s[rng.uniform(size=n) < p_inf] = np.inf
        s[rng.uniform(size=n) < p_nan] = np.nan
        pairs.append((s, float(rng.standard_normal())))
    def outcome(f):
        try:
            return f()
        except ValueError as e:  # NaN samples: Interval refuses a NaN bound, in both
            return str(e)

    fast = outcome(lambda: _intervals(pairs))
    ref = outcome(lambda: [_interval(s, p) for s, p in pairs])
    assert type(fast) is type(ref)  # both raise (the first NaN bound met may differ), or both give intervals
    if isinstance(ref, str):
        return
    for a, b in zip(fast, ref):
        x, z = np.array([a.estimate, a.low, a.high]), np.array([b.estimate, b.low, b.high])
        assert (x + 0.0).tobytes() == (z + 0.0).tobytes()  # + 0.0: -0.0 -> 0.0, every other value unchanged


def test_cached_draws_are_the_draws_of_a_fresh_generator():
    """estimate_from_rate's draws, cached per seed, are those of default_rng(seed) in its order (and read-only)."""
    import pytest

    from hullbreach.detect.estimate import DISCHARGE_COEFFICIENT_RANGE, _rate_draws

    for seed in (0, 3):
        rng = np.random.default_rng(seed)
        fresh = (rng.standard_normal(4000), rng.standard_normal(4000), rng.standard_normal(4000),
                 rng.uniform(*DISCHARGE_COEFFICIENT_RANGE, 4000))
        cached = _rate_draws(seed, 4000)
        assert cached is _rate_draws(seed, 4000)
        for a, b in zip(cached, fresh):
            assert np.array_equal(a, b)
        with pytest.raises(ValueError):
            cached[0][0] = 1.0


def test_kappa_mem_array_is_the_list_as_an_array():
    """The per-block kappa rows, converted once per new block, equal np.array(kappa_mem) at every step (fed in
    random chunks, so blocks arrive one or many at a time)."""
    y, ex, chg = _track(11, 2400)
    n = len(y)
    k = np.arange(n)
    f = np.zeros(n, bool)
    det = D.ZoneDetector(("z",), 100.0, D.DetectorConfig(), "air", 100.0, 0, h=12.0)
    cuts = [0] + sorted(set(np.random.default_rng(2).integers(1, n, size=60).tolist())) + [n]
    checked = 0
    for a, b in zip(cuts[:-1], cuts[1:]):
        s = slice(a, b)
        det.feed(ZoneMass(zone=("z",), volume_m3=100.0, k=k[s], t_s=(k[s] + 0.5) * 60.0, pressure_pa=np.full(b - a, 1e5),
                          temperature_k=np.full(b - a, 295.0), r_specific=287.0, mass_kg=y[s], n2_mass_kg=None,
                          excluded=ex[s], vented=f[s], sensor_change=chg[s]))
        if det.kappa_mem:
            assert np.array_equal(det._kappa_mem_array(), np.array(det.kappa_mem))
            checked += 1
    assert checked > 20 and len(det.kappa_mem) > 100
