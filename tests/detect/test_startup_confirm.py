"""A crossing must show in the pressure itself, also at a detector's start-up (issue 16, session 7).

Found on the second, independent generator (``tests/generators/independent.py``, not tuned against): on iss-2025
with the generator's default nuisance (a common bulk-gas OU offset of 0.05 K over 6 h, thermometers warming
0.3 K with their own electronics after power-on, pressure-gauge drift), 4 of 12 leak-free 10 h records alarmed
2-5 h after start-up on 17f9473 and on the session-7 merge. Two causes, both in
:func:`hullbreach.detect.crosscheck.pressure_confirms`:

* an onset the statistic placed 2-3 bins before the crossing left fewer than 5 bins to judge the pressure on,
  and "too little data" confirmed the crossing (the statistic alone decided);
* with the onset at the record's first bin nothing had shown the thermometers to follow the gas, and a ppN2 fall
  of 16 Pa in 2 h (the unmeasured gas offset cooling by 0.06 K) passed as the pressure's own loss.
"""

from __future__ import annotations

import numpy as np
import pytest

from hullbreach.detect.crosscheck import CONFIRM_MIN_BINS, pressure_confirms
from hullbreach.detect.detector import detect
from hullbreach.station import load_station
from tests.generators import independent as ig

BIN_S = 60.0


def _flat(n: int, noise_pa: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = 79_000.0 + rng.normal(0.0, noise_pa, n)
    T = 295.0 + rng.normal(0.0, 0.01, n)
    return p, T, np.ones(n, dtype=bool)


def test_a_young_onset_is_judged_on_the_last_bins_not_waved_through():
    # a flat pressure: an onset 2 bins before the crossing used to be "too little data: confirmed"
    p, T, real = _flat(200, 2.0)
    ok, _ = pressure_confirms(p, T, real, 0, len(p) - 2, BIN_S)
    assert not ok
    # a real fall over the last CONFIRM_MIN_BINS bins is still confirmed at once
    p2 = p.copy()
    p2[-CONFIRM_MIN_BINS:] -= np.linspace(0.0, 60.0, CONFIRM_MIN_BINS)
    assert pressure_confirms(p2, T, real, 0, len(p2) - 2, BIN_S)[0]


def test_too_little_data_waits():
    p, T, real = _flat(4, 2.0)
    assert pressure_confirms(p, T, real, 0, 1, BIN_S) == (False, "")


def test_at_start_up_the_pressure_must_beat_the_unmeasured_gas_offset():
    # onset at the first bin (no history): a 16 Pa fall in 2 h, far beyond the gauge's white noise, is within what
    # a 0.07 K bulk-gas offset makes (p dT / T = 19 Pa); a fall of 150 Pa is not
    n = 120
    p, T, real = _flat(n, 1.0)
    fall = p - np.linspace(0.0, 16.0, n)
    swings = ((np.sqrt(2.0) * 0.0707, 2.0 * np.pi * 6 * 3600.0),)
    assert pressure_confirms(fall, T, real, 0, 1, BIN_S)[0]  # the white noise alone
    assert not pressure_confirms(fall, T, real, 0, 1, BIN_S, startup_swings=swings)[0]
    big = p - np.linspace(0.0, 150.0, n)
    assert pressure_confirms(big, T, real, 0, 1, BIN_S, startup_swings=swings)[0]
    # with 3 h of history before the onset the start-up term no longer applies
    assert pressure_confirms(np.r_[p[:60], p[:60], fall], np.r_[T, T, T][:n + 120], np.ones(n + 120, bool), 0, 121, BIN_S,
                             startup_swings=swings)[0]


@pytest.mark.parametrize("seed", [0, 4])
def test_second_generator_leak_free_start_up_raises_no_alarm(seed):
    # seeds 0 and 4 alarmed on 17f9473 (columbus +21 zone, N2 track, at 02:30 and 02:02); the generator's defaults
    st = load_station("iss-2025")
    run = ig.generate(st, 10 * 3600.0, ig.GenConfig(cadence_s=10.0), seed=seed)
    res = detect(st, run.frame(), run.events, keep_series=False)
    assert not res.alarms, [(a.kind, a.zone[0], a.track) for a in res.alarms]


def test_second_generator_leak_after_start_up_is_found_after_its_onset():
    # an MS-09-rate hole (1.1e-6 m^2 effective, ~0.6 mmHg/h on the station) in destiny 5 h in: found, never before
    st = load_station("iss-2025")
    run = ig.generate(st, 10 * 3600.0, ig.GenConfig(cadence_s=10.0), seed=4, leaks=[ig.Leak("destiny", 1.1e-6, 5 * 3600.0)])
    res = detect(st, run.frame(), run.events, keep_series=False)
    leaks = [a for a in res.alarms if a.kind == "leak"]
    assert leaks, "the leak was missed"
    t0 = np.datetime64("2025-01-01T00:00:00").astype("datetime64[s]").astype(float)
    assert all(a.time_s - t0 > 5 * 3600.0 for a in leaks), [(a.zone[0], (a.time_s - t0) / 3600) for a in leaks]


def test_second_generator_sealed_zone_cooling_at_start_up_is_no_leak():
    # the 12 m^3 progress-aft + zvezda-prk zone (its hatch to Zvezda closed) cools with the orbit in the first hour
    # (its true pressure falls 157 Pa) while its thermometer warms 0.3 K with its own electronics: on the
    # session-7 merge it alarmed at 01:01 with a rate interval holding zero; the leak itself (destiny, from 0.5 h)
    # is found in the main zone, after its onset
    st = load_station("iss-2025")
    run = ig.generate(st, 8 * 3600.0, ig.GenConfig(cadence_s=10.0), seed=0, leaks=[ig.Leak("destiny", 1.1e-6, 0.5 * 3600.0)])
    res = detect(st, run.frame(), run.events, keep_series=False)
    t0 = np.datetime64("2025-01-01T00:00:00").astype("datetime64[s]").astype(float)
    leaks = [a for a in res.alarms if a.kind == "leak"]
    assert [a.zone[0] for a in leaks] == ["columbus"], [(a.zone[0], (a.time_s - t0) / 3600) for a in leaks]
    assert leaks[0].time_s - t0 > 0.5 * 3600.0


# ------------------------------------------------------------------------------------------------ session 8
CORNER = dict(ou_common_sigma_k=0.1, self_heating_k=0.6)  # the generator's envelope corner (session 7's 5/24)


def _orbit_history(n: int, seed: int = 1):
    """A sealed air zone whose gas swings 0.3 K with the orbit (92.7 min) and whose thermometer follows it: the
    history shows the thermometer credible."""
    rng = np.random.default_rng(seed)
    u = np.arange(n, dtype=float)
    T = 295.0 + 0.3 * np.sin(2 * np.pi * u * BIN_S / 5562.0)
    p = 101_000.0 * T / 295.0 + rng.normal(0.0, 2.0, n)
    return p, T + rng.normal(0.0, 0.005, n), np.ones(n, dtype=bool)


def test_a_young_onset_judged_on_the_pressure_alone_must_beat_unmeasured_temperature():
    # 3 h of credible history, then the gas cools 0.07 K in 3 min (24 Pa: the orbit's cooling) while the
    # thermometer, lagging and still self-heating, warms: the onset 2 bins before the crossing is judged on the
    # pressure alone, and a 24 Pa fall is what the unmeasured gas temperature does in minutes, not a loss
    # (a7270d1: confirmed against the gauge's white noise)
    from hullbreach.detect.config import PRESSURE_ONLY_SWINGS

    p, T, real = _orbit_history(183)
    p[-3:], T[-3:] = p[-4] - np.array([8.0, 16.0, 24.0]), T[-4] + np.array([0.04, 0.08, 0.12])
    swings = ((np.sqrt(2.0) * 0.0707, 2.0 * np.pi * 6 * 3600.0),) + PRESSURE_ONLY_SWINGS
    assert not pressure_confirms(p, T, real, 0, len(p) - 2, BIN_S, startup_swings=swings)[0]
    # a fall no temperature swing makes in minutes (an MS-09-sized hole in a 12 m^3 zone: ~300 Pa in 3 min)
    p2 = p.copy()
    p2[-3:] = p[-4] - np.array([100.0, 200.0, 300.0])
    assert pressure_confirms(p2, T, real, 0, len(p2) - 2, BIN_S, startup_swings=swings)[0]


@pytest.mark.parametrize("seed", [20, 35])
def test_corner_start_up_small_sealed_zone_cooling_with_the_orbit_is_no_leak(seed):
    # the envelope's corner: on a7270d1 seed 20 alarmed in quest-crewlock at 02:18, seed 35 in pma3 at 01:15,
    # both on an onset 2 bins before the crossing (a 11-16 Pa fall in minutes, the thermometer warming)
    st = load_station("iss-2025")
    run = ig.generate(st, 10 * 3600.0, ig.GenConfig(cadence_s=10.0, **CORNER), seed=seed)
    res = detect(st, run.frame(), run.events, keep_series=False)
    assert not res.alarms, [(a.kind, a.zone[0], a.track) for a in res.alarms]


@pytest.mark.xfail(strict=True, reason="open (session 8): a credited thermometer's lag and power-on warming are not "
                   "counted in the pressure check; measuring them on the history was tried and not kept (robust.md)")
def test_corner_start_up_lagging_self_heated_thermometer_is_no_leak():
    # the envelope's corner, seed 14: progress-aft alarms at 02:01 (a7270d1 and now), a 17 min orbital cooling
    # (120 Pa) of which the lagging (2 min), still self-heating thermometer credits 82 Pa (credibility 0.98 on the
    # 103 bins before the onset); the other 38 Pa pass against the gauge's white noise (3 Pa)
    st = load_station("iss-2025")
    run = ig.generate(st, 10 * 3600.0, ig.GenConfig(cadence_s=10.0, **CORNER), seed=14)
    res = detect(st, run.frame(), run.events, keep_series=False)
    assert not res.alarms, [(a.kind, a.zone[0], a.track) for a in res.alarms]
