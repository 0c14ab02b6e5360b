"""Streaming equals batch: the detector fed bin by bin or in random chunks gives the bits of one chunk.

Random tracks with outliers, persistent departures, gaps, known steps, slow disturbances and leaks; identical
prefix sums, clip decisions, noise scales (white, kappa, slow), statistics and alarms. Also the estimates'
batched intervals and cached draws.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullbreach.detect import detector as D
from hullbreach.detect.airmass import ZoneMass


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
        det.feed(ZoneMass(zone=("z",), volume_m3=100.0, k=k[s], t_s=(k[s] + 0.5) * 60.0,
                          pressure_pa=y[s] * 287.0 * 295.0 / 100.0,  # the pressure of that mass: the cross-check sees a loss
                          temperature_k=np.full(b - a, 295.0), r_specific=287.0, mass_kg=y[s], n2_mass_kg=None,
                          excluded=ex[s], vented=f[s], sensor_change=chg[s]))
    return det


def _same_bits(a, b):
    for f in FIELDS:
        x, z = getattr(a, f).v, getattr(b, f).v
        assert x.shape == z.shape, f
        if f == "unclip":  # bookkeeping of a restore (which bin holds it) may differ at a chunk edge; the sums
            continue       # it feeds (D0, Dj) are compared bit for bit
        assert np.array_equal(x.view(np.uint8), z.view(np.uint8)), f  # bit for bit (NaN where NaN)
    assert np.array_equal(np.array(a.noise.kappa_mem), np.array(b.noise.kappa_mem))
    assert np.array_equal(np.array(a.noise.slow_mem), np.array(b.noise.slow_mem))
    assert [(x.n_alarm, x.stat, x.tau, x.floor, x.growing_n) for x in a.alarms] == \
        [(x.n_alarm, x.stat, x.tau, x.floor, x.growing_n) for x in b.alarms]
    assert a.clip_run == b.clip_run


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(60, 1800), mode=st.sampled_from(["bins", "rand"]),
       h=st.floats(6.0, 20.0))
def test_any_chunking_gives_the_same_bits(seed, n, mode, h):
    """One implementation of the bin step: fed bin by bin (streaming) or in random chunks, the detector writes
    every per-bin array, noise estimate and alarm exactly as fed in one chunk (batch)."""
    y, ex, chg = _track(seed, n)
    if mode == "bins":
        cuts = list(range(n + 1))
    else:
        r = np.random.default_rng(seed + 1)
        cuts = [0] + sorted(set(r.integers(1, n, size=int(r.integers(1, 40))).tolist())) + [n]
    _same_bits(_run(D.ZoneDetector, y, ex, chg, cuts, h), _run(D.ZoneDetector, y, ex, chg, [0, n], h))


def test_reference_paths_are_exercised():
    """The random tracks do clip, restore and alarm (so the test above compares something)."""  # noqa: D401
    clipped = restored = alarms = 0
    for seed in range(6):
        y, ex, chg = _track(seed, 1500)
        det = _run(D.ZoneDetector, y, ex, chg, [0, 1500], 10.0)
        clipped += int(np.sum(det.Q0.v != det.C0.v))
        restored += int(np.sum(det.unclip.v != 0))
        alarms += len(det.alarms)
    assert clipped > 0 and restored > 0 and alarms > 0


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
        if det.noise.kappa_mem:
            assert np.array_equal(det.noise._kappa_mem_array(), np.array(det.noise.kappa_mem))
            checked += 1
    assert checked > 20 and len(det.noise.kappa_mem) > 100
