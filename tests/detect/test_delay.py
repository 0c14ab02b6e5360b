"""Detection-delay machinery: the clip's one-bin hindsight, the evidence gate of the variance ratio, and the
composite null of the background allowance (docs/detection.md §2, docs/benchmarks/detect-delay.md)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.constants import SECONDS_PER_DAY
from hullbreach.detect.airmass import ZoneMass
from hullbreach.detect.detector import DetectorConfig, ZoneDetector
from hullbreach.detect.glr import CLIP_SIGMA
from hullbreach.detect.glr import KAPPA_SCALES, _kappa_gate, kappa_scales


def _zm(y, k0=0):
    n = len(y)
    k = np.arange(k0, k0 + n)
    f = np.zeros(n, dtype=bool)
    # the zone pressure of that mass (ideal gas at 295 K), so the detector's pressure cross-check sees the loss
    y = np.asarray(y, float)
    return ZoneMass(("z",), 916.0, k, (k + 0.5) * 60.0, y * 287.0 * 295.0 / 916.0, np.full(n, 295.0), 287.0, y,
                    None, f, f)


def _detector(cfg=None):
    """A zone detector of the white-noise statistic (these tests are about it: no slow-noise term)."""
    return ZoneDetector(("z",), 916.0, cfg or DetectorConfig(slow_noise=False), "air", 916.0, 0)


def _track(seed, n=1500, sigma=0.05, onset=None, rate=0.0, jump_at=None, jump=0.0):
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    y = 900.0 + sigma * rng.standard_normal(n)
    if onset is not None:
        y -= rate * np.maximum(k - onset + 0.5, 0.0)  # bin means of a loss starting at the edge of bin `onset`
    if jump_at is not None:
        y[jump_at] += jump
    return y


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), cuts=st.lists(st.integers(1, 1199), min_size=1, max_size=6, unique=True))
def test_statistic_streaming_equals_batch_with_hindsight(seed, cuts):
    """The clip's hindsight (a clipped bin restored when the next bin continues its departure) reaches back
    across chunk boundaries; the statistic at every bin is the same whatever the chunking."""
    y = _track(seed, n=1200, onset=1100, rate=0.3)  # a fast loss: clipped first bins, then restored
    y[700] -= 1.0  # and an isolated outlier
    whole = _detector()
    whole.feed(_zm(y))
    parts = _detector()
    edges = [0] + sorted(cuts) + [len(y)]
    for a, b in zip(edges[:-1], edges[1:]):
        parts.feed(_zm(y[a:b], a))
    np.testing.assert_array_equal(parts.stat.v, whole.stat.v)
    np.testing.assert_array_equal(parts.D0.v, whole.D0.v)
    assert [a.n_alarm for a in parts.alarms] == [a.n_alarm for a in whole.alarms]


def test_fast_loss_alarms_on_its_first_full_bin():
    """A loss of 8 sigma per bin starting at a bin edge: the first (half-loss) bin is below the alarm level on
    its own; the second is clipped as it arrives but its departure is so large that the crossing comes one bin
    later at the latest (before the hindsight it could come two bins later); the hindsight restored a bin. Since
    session 8 an onset younger than ``CONFIRM_MIN_BINS`` is judged on the pressure alone against what unmeasured
    temperature does in those minutes (crosscheck.pressure_confirms): this loss (37 Pa/min in 916 m^3, 17 mmHg/h)
    is confirmed once its onset is that old, at most ``CONFIRM_MIN_BINS`` bins after it (it was 2 bins)."""
    from hullbreach.detect.crosscheck import CONFIRM_MIN_BINS

    delays = []
    for seed in range(10):
        det = _detector()
        det.feed(_zm(_track(seed, onset=1400, rate=0.4)))
        assert det.alarms
        delays.append(det.alarms[0].n_alarm - 1400)
        assert np.any(det.unclip.v[1400:] != 0.0)
    assert max(delays) <= CONFIRM_MIN_BINS and min(delays) >= 1


def test_an_isolated_outlier_stays_clipped():
    """One bad bin (20 sigma) moves the statistic by at most about CLIP_SIGMA^2 / 2: no alarm, no restore."""
    for seed in range(5):
        det = _detector()
        det.feed(_zm(_track(seed, jump_at=1300, jump=-1.0)))
        assert not det.alarms
        assert np.all(det.unclip.v == 0.0)
        assert det.stat.v[1300] < CLIP_SIGMA ** 2 / 2 + 6.0


def test_kappa_gate_rarely_fires_on_white_noise():
    """On white noise the variance ratio passes its evidence gate in well under 1 % of the estimates (the
    gate's measured rate is ~0.13 %, docs/detection.md); before the gate, any chance excess was used."""
    rng = np.random.default_rng(0)
    fired = 0
    runs = 400
    for _ in range(runs):
        y = rng.standard_normal(1440)
        fired += bool(np.any(kappa_scales(y, np.ones(1440, bool), 1.0) > 1.0))
    assert fired / runs < 0.02  # three scales per estimate


def test_kappa_gate_sees_slow_disturbances():
    """White noise plus a Gauss-Markov disturbance (10-bin correlation, variance 0.3 of the white noise), as
    an unmeasured module temperature gives: the ratio at the largest scale passes the gate in most estimates
    over a day, and the gate itself falls with the number of second differences."""
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(50):
        n = 1440
        e = rng.standard_normal(n)
        a = np.exp(-1 / 10)
        g = np.zeros(n)
        w = rng.standard_normal(n) * np.sqrt(0.3 * (1 - a * a))
        for i in range(1, n):
            g[i] = a * g[i - 1] + w[i]
        hits += kappa_scales(e + g, np.ones(n, bool), 1.0)[-1] > 1.0
    assert hits >= 45
    assert _kappa_gate(10) > _kappa_gate(100) > _kappa_gate(1000) > 1.0
    assert len(KAPPA_SCALES) == 4


def test_background_within_the_allowance_is_not_an_alarm():
    """The null is composite: any loss within the allowance, constant or changing. With a constant loss of
    exactly the allowance the statistic is bin for bin at most the one of the same noise without loss and
    without allowance (the white-noise null of the calibration); a loss that steps from 0 to the allowance
    mid-record, which the pre-change line can turn into an apparent excess after a later change point,
    raises no alarm (the slope-change statistic before 2026-11-27 alarmed in every one of these runs);
    three times the allowance from mid-record is found after it starts."""
    allow = DetectorConfig().background_kg_day / SECONDS_PER_DAY * 60.0  # kg per bin for 916 m^3
    for seed in range(4):
        det = _detector()
        det.feed(_zm(_track(seed, n=3000, sigma=0.01, onset=0, rate=allow)))
        ref = _detector(DetectorConfig(background_kg_day=0.0, slow_noise=False))
        ref.feed(_zm(_track(seed, n=3000, sigma=0.01)))
        assert np.all(det.stat.v <= ref.stat.v + 1e-6)
        assert ref.stat.v.max() > 1.0  # not trivially zero
    for seed in range(6):
        det = _detector()
        det.feed(_zm(_track(seed, n=4000, sigma=0.01, onset=1000, rate=allow)))
        assert not det.alarms, [(a.n_alarm, a.stat) for a in det.alarms]
    det = _detector()
    det.feed(_zm(_track(0, n=4000, sigma=0.01, onset=1000, rate=3 * allow)))
    assert det.alarms and det.alarms[0].n_alarm > 1000
