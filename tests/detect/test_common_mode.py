"""Common-mode rejection across zones (issue 16): an apparent mass change shared by the zones, as a fraction of
their mass, is a temperature error, not a leak; a leak in one zone is not shared and still alarms, as soon as
without the check.

Telemetry from the independent generator (``tests/generators/independent.py``: its own gas law, leak ODE and
noise; an unmeasured bulk-gas temperature offset, OU, common to all modules plus a per-module part), as in
``benchmarks/robust_detect.py``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from hullbreach.detect.config import DetectorConfig
from hullbreach.detect.crosscheck import common_mode, hinge_loss
from hullbreach.detect.detector import detect
from hullbreach.detect.stream import StreamingDetector
from tests.generators.independent import (
    GenConfig,
    Leak,
    advance,
    concat,
    effective_area_for_rate,
    mmhg_per_h_to_pa_per_s,
    start,
    toy_station,
)

OFF = DetectorConfig(common_mode=False)


def _cfg(sigma: float, tau_h: float) -> GenConfig:
    """The robustness benchmark's nuisance (benchmarks/robust_detect.py ``_cfg``)."""
    return GenConfig(cadence_s=10.0, ou_common_sigma_k=sigma, ou_common_tau_s=tau_h * 3600.0,
                     ou_module_sigma_k=sigma / 2, ou_module_tau_s=tau_h * 3600.0, thermometer_lag_s=120.0,
                     self_heating_k=0.3, self_heating_tau_s=1e-9, pressure_drift_sigma_pa_per_day=1.0,
                     pressure_random_walk_pa_per_sqrt_day=1.0)


def _split_record(sigma: float, tau_h: float, seed: int, hours: float):
    """The sweep's 2-day leak-free record (the capsule's hatch closed at 16 h: two zones; reopened at 32 h), cut at
    ``hours``."""
    st = toy_station()
    a = advance(start(st, _cfg(sigma, tau_h), seed=seed), 16 * 3600.0)
    b = advance(a.state, 16 * 3600.0, closed=set(st.closed_hatches()) | {"hab-capsule"})
    c = advance(b.state, 16 * 3600.0, closed=set(st.closed_hatches()))
    seg = concat([a, b, c])
    cut = seg.raw["time"].iloc[0] + pd.Timedelta(hours=hours)
    return st, replace(seg, raw=seg.raw[seg.raw["time"] < cut].reset_index(drop=True),
                       events=seg.events[seg.events["time"] < cut].reset_index(drop=True))


@pytest.fixture
def no_pooling(monkeypatch):
    """The zones formed by the hatch change do NOT pool their parent's Allan blocks (17f9473's noise model): since
    session 7 the pooled slow noise keeps these records' crossings from happening at all (the next test), so the
    common-mode check, the second line of defence, is tested on the crossings it was built for."""
    from hullbreach.detect.noise import NoiseModel

    monkeypatch.setattr(NoiseModel, "_parent_rows", lambda self: [])


def test_pooled_noise_prevents_the_crossings_themselves():
    """With the parent's Allan blocks pooled (session 7) the two zones' noise is measured across the hatch change:
    no leak alarm even without the common-mode check (17f9473 without the check: capsule at 18.1 h, main zone at
    18.7 h)."""
    st, seg = _split_record(0.1, 6.0, 3, 19.0)
    assert not _leaks(detect(st, seg.frame(), seg.events, keep_series=False, config=OFF))


def _leaks(res):
    return [(a.zone, a.time_s) for a in res.alarms if a.kind == "leak"]


@pytest.mark.parametrize("sigma, tau_h, seed, hours", [(0.1, 6.0, 3, 19.0), (0.05, 1.0, 5, 28.0)])
def test_offset_shared_by_the_zones_is_not_a_leak(sigma, tau_h, seed, hours, no_pooling):
    """The two zones formed by the hatch change see the same unmeasured bulk-gas offset: without the check, leak
    alarms (sigma 0.1 K, tau 6 h, seed 3: capsule at 18.1 h and the main zone at 18.7 h; sigma 0.05 K, tau 1 h,
    seed 5: the main zone at 26.9 h, the sweep's records on 29a401b and e2e1b68); with it none, and the zone
    reports the temperature error."""
    st, seg = _split_record(sigma, tau_h, seed, hours)
    frame = seg.frame()
    assert _leaks(detect(st, frame, seg.events, keep_series=False, config=OFF))
    res = detect(st, frame, seg.events, keep_series=False)
    assert not _leaks(res)
    reasons = [z.reason for z in res.zones if z.reason]
    assert any(r.startswith("temperature error common to the zones") for r in reasons), reasons


def test_streaming_equals_batch_with_common_mode(no_pooling):
    """The review runs after every zone has its bins, reading data up to the alarm's bin only: streaming (10 min
    batches) gives the batch's alarms and zone reasons on a record where it removes crossings in both zones."""
    st, seg = _split_record(0.1, 6.0, 3, 19.0)
    batch = detect(st, seg.frame(), seg.events, keep_series=False)
    sd = StreamingDetector(st, seg.events)
    raw = seg.raw.sort_values("time", kind="stable").reset_index(drop=True)
    batch_no = ((raw["time"] - raw["time"].iloc[0]).dt.total_seconds() // 600).to_numpy()
    res = None
    for b in np.unique(batch_no):
        res = sd.update(raw[batch_no == b])
    assert _leaks(res) == _leaks(batch) == []
    # (the batch result also lists the zone that ended at the hatch change; streaming only the zones now)
    now = {z.zone: z.reason for z in res.zones}
    assert now == {z.zone: z.reason for z in batch.zones if z.zone in now}
    assert now[("capsule",)].startswith("temperature error common to the zones")


def _three_zones():
    """The toy station with the lab and the capsule closed off: zones {core, hab} (N2 track), {lab}, {capsule}."""
    st = toy_station()
    return replace(st, hatches={k: replace(h, state="closed") if k in ("core-lab", "hab-capsule") else h
                                for k, h in st.hatches.items()})


@pytest.mark.parametrize("module", ["lab", "capsule"])
def test_leak_in_one_of_three_zones_alarms_as_without_the_check(module):
    """MS-09 rate (0.6 mmHg/h) in one of three closed-off zones, sigma 0.1 K, tau 6 h (its neighbours' small common
    mode beside it): the leak alarms in its zone at the same bin as without common-mode rejection (checked by hand
    on 16 records, lab / capsule / core at sigma 0.02-0.1 K: the same alarm times)."""
    st = _three_zones()
    onset = 6 * 3600.0
    area = effective_area_for_rate(st, module, mmhg_per_h_to_pa_per_s(0.6))
    seg = advance(start(st, _cfg(0.1, 6.0), seed=0, leaks=[Leak(module, area, start_s=onset)]), 9.5 * 3600.0)
    frame = seg.frame()
    on = detect(st, frame, seg.events, keep_series=False)
    off = detect(st, frame, seg.events, keep_series=False, config=OFF)
    assert _leaks(on) == _leaks(off)
    (zone, t), = _leaks(on)
    assert zone == (module,) and t > on.start_s + onset


# ------------------------------------------------------------------------------------------- the pure check
def _series(rng, n: int, white: float, shared: np.ndarray, leak_per_bin: float, i_on: int) -> np.ndarray:
    u = np.arange(n)
    return shared - leak_per_bin * np.maximum(u - i_on, 0) + white * rng.standard_normal(n)


def test_common_mode_pure():
    """Synthetic fractional tracks (white 2e-6 per bin; a shared dip of 2e-5 over the last 60 bins): the dip in every
    zone is shared; a leak of 1e-6 per bin in the zone alone is not, nor with the same dip beside it; a zone alone
    (no other zone) is never judged shared."""
    rng = np.random.default_rng(4)
    n, i_on = 420, 360
    u = np.arange(n)
    dip = -2e-5 * np.clip((u - i_on) / 60.0, 0.0, 1.0)
    ok = np.ones(n, dtype=bool)
    others = [(_series(rng, n, 2e-6, dip, 0.0, i_on), ok), (_series(rng, n, 4e-6, dip, 0.0, i_on), ok)]
    zone_dip = _series(rng, n, 2e-6, dip, 0.0, i_on)
    assert common_mode(zone_dip, ok, others, i_on, 4.9, 60.0)[0]
    assert not common_mode(zone_dip, ok, [], i_on, 4.9, 60.0)[0]
    flat = [(_series(rng, n, 2e-6, 0 * dip, 0.0, i_on), ok)]
    assert not common_mode(_series(rng, n, 2e-6, 0 * dip, 1e-6, i_on), ok, flat, i_on, 4.9, 60.0)[0]
    assert not common_mode(_series(rng, n, 2e-6, dip, 1e-6, i_on), ok, others, i_on, 4.9, 60.0)[0]
    loss, se = hinge_loss(_series(rng, n, 2e-6, 0 * dip, 1e-6, i_on), ok, i_on)
    assert abs(loss - 1e-6) < 4 * se
