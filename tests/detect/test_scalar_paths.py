"""The streaming step's one-bin feed (``ZoneDetector._feed_one``: a one-bin chunk on Python floats) gives the
numbers of the general feed, bit for bit, on random tracks of both kinds."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullbreach.detect import detector as D
from hullbreach.detect.airmass import ZoneMass


class _GeneralFeed(D.ZoneDetector):
    """Every chunk through the general path of ``feed``."""

    def _feed_one(self, zm):
        return False


FIELDS = ("y", "real", "C0", "Cj", "Cjj", "p", "T", "mass", "Q0", "Qj", "D0", "Dj", "D0_end", "Dj_end", "unclip",
          "stat", "sig", "floor")


def _track(seed: int, n: int):
    rng = np.random.default_rng(seed)
    j = np.arange(n)
    m = 1000.0 + 0.5 * rng.standard_normal(n) + 0.3 * np.sin(j / rng.uniform(5, 80))
    if rng.uniform() < 0.5:
        s = int(rng.integers(n // 3, n))
        m[s:] -= rng.uniform(0.01, 0.2) * np.arange(n - s)  # a leak
    m[rng.uniform(size=n) < 0.01] += rng.choice([-1, 1]) * rng.uniform(3, 10)  # outliers
    ex = rng.uniform(size=n) < 0.01
    if rng.uniform() < 0.5:
        s0 = int(rng.integers(0, n - 30))
        ex[s0: s0 + int(rng.integers(1, 30))] = True
        m[s0 + 10:] += rng.uniform(-2, 5)
    m[rng.uniform(size=n) < 0.01] = np.nan
    vent = np.zeros(n, bool)
    if rng.uniform() < 0.2:
        s0 = int(rng.integers(0, n - 5))
        vent[s0: s0 + 3] = True
    chg = np.zeros(n, bool)
    if rng.uniform() < 0.4:
        chg[rng.integers(0, n, size=2)] = True
    n2 = m * 0.78 + 0.05 * rng.standard_normal(n)
    return m, n2, ex, vent, chg


def _run(cls, track, m, n2, ex, vent, chg, h, cfg=None):
    n = len(m)
    k = np.arange(n)
    det = cls(("z",), 100.0, cfg or D.DetectorConfig(), track, 100.0, 0, h=h)
    for i in range(n):
        s = slice(i, i + 1)
        det.feed(ZoneMass(zone=("z",), volume_m3=100.0, k=k[s], t_s=(k[s] + 0.5) * 60.0,
                          pressure_pa=np.full(1, 1e5 + i), temperature_k=np.full(1, 295.0 + 1e-3 * i), r_specific=287.0,
                          mass_kg=m[s], n2_mass_kg=n2[s] if track == "n2" else None, excluded=ex[s], vented=vent[s],
                          sensor_change=chg[s]))
    return det


def _assert_same_arrays_and_alarms(fast, ref):
    """Every per-bin array equal bit for bit, and the same alarms."""
    for f in FIELDS:
        x, z = getattr(fast, f).v, getattr(ref, f).v
        assert x.shape == z.shape, f
        assert np.array_equal(x.view(np.uint8), z.view(np.uint8)), f
    assert [(a.n_alarm, a.stat, a.tau, a.floor, a.growing_n) for a in fast.alarms] == \
        [(a.n_alarm, a.stat, a.tau, a.floor, a.growing_n) for a in ref.alarms]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(60, 1500), track=st.sampled_from(["air", "n2"]),
       h=st.floats(6.0, 20.0))
def test_feed_one_equals_general_feed(seed, n, track, h):
    m, n2, ex, vent, chg = _track(seed, n)
    fast, ref = _run(D.ZoneDetector, track, m, n2, ex, vent, chg, h), _run(_GeneralFeed, track, m, n2, ex, vent, chg, h)
    _assert_same_arrays_and_alarms(fast, ref)
    assert (fast.frac, fast.vented_now, fast.noise.change_k, fast.clip_run) == (ref.frac, ref.vented_now,
                                                                                ref.noise.change_k, ref.clip_run)
