"""Sensor realism (sensors.py): noise, quantization, drift, bias, stuck, spikes, dead, dropouts, clock jitter;
seeded and deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hullbreach.constants import PA_PER_MMHG
from hullbreach.sim import Scenario, SensorFault, simulate


def _ch(res, cid):
    g = res.telemetry[res.telemetry["channel"].astype(str) == cid]
    t = (g["time"] - pd.Timestamp(res.scenario.start)).dt.total_seconds().to_numpy()
    return t, g["value"].to_numpy()


def _truth(res, module, col="pressure_pa"):
    return res.truth.loc[res.truth.module == module, col].to_numpy()


def test_noise_and_quantization_follow_the_station_file(three_station):
    res = simulate(three_station, Scenario(nuisance="none", duration_s=20000.0), seed=1)
    _, c = _ch(res, "c.p")  # psi, noise 0.001
    true_psi = _truth(res, "c")[0] / 6894.757293168
    assert np.std(c - true_psi) == pytest.approx(0.001, rel=0.05)
    _, a = _ch(res, "a.p")  # mmHg, noise 0.05, resolution 0.1
    steps = np.round(a / 0.1)
    assert np.array_equal(a, np.round(steps * 0.1, 4))
    assert abs(np.mean(a) - 101325.0 / PA_PER_MMHG) < 0.01
    _, b = _ch(res, "b.p")  # kPa, exact
    assert np.all(b == pytest.approx(101.325, rel=1e-12))
    _, T = _ch(res, "a.T")
    assert np.mean(T) == pytest.approx(295.0 - 273.15, abs=0.01)


def test_faults(three_station):
    faults = (
        SensorFault(sensor="b.p", kind="drift", start_s=1000.0, magnitude=0.5),          # kPa per day
        SensorFault(sensor="lock.p", kind="bias", start_s=0.0, end_s=500.0, magnitude=3.0),
        SensorFault(sensor="c.p", kind="stuck", start_s=2000.0, end_s=3000.0),
        SensorFault(sensor="a.ppn2", kind="spike", magnitude=50.0, rate_per_h=20.0),
        SensorFault(sensor="b.ppco2", kind="dead", start_s=100.0, end_s=200.0),
        SensorFault(sensor="a.T", kind="dead", start_s=100.0, end_s=200.0, value=-99.0),
        SensorFault(sensor="a.p", kind="dropout", start_s=0.0, end_s=3600.0, magnitude=0.25),
    )
    res = simulate(three_station, Scenario(nuisance="none", duration_s=7200.0, sensor_faults=faults), seed=2)
    t, b = _ch(res, "b.p")
    expect = 101.325 + np.where(t >= 1000.0, 0.5 * (t - 1000.0) / 86400.0, 0.0)
    np.testing.assert_allclose(b, expect, rtol=1e-12)
    t, lock = _ch(res, "lock.p")
    p0 = 101325.0 / PA_PER_MMHG
    assert np.all(lock[t < 500] == pytest.approx(p0 + 3.0, rel=1e-12)) and np.all(lock[t >= 500] == pytest.approx(p0, rel=1e-12))
    t, c = _ch(res, "c.p")
    win = (t >= 2000) & (t < 3000)
    assert np.ptp(c[win]) == 0.0 and np.ptp(c[~win]) > 0.0
    t, n2 = _ch(res, "a.ppn2")
    spikes = np.abs(n2 - np.median(n2)) > 25.0
    assert 20 <= spikes.sum() <= 80  # 20 per hour over 2 h
    t, co2 = _ch(res, "b.ppco2")
    assert np.all(np.isnan(co2[(t >= 100) & (t < 200)])) and not np.any(np.isnan(co2[(t < 100) | (t >= 200)]))
    t, T = _ch(res, "a.T")
    assert np.all(T[(t >= 100) & (t < 200)] == -99.0)
    t, a = _ch(res, "a.p")
    first_hour = np.sum(t < 3600.0)
    assert 3600 * 0.65 < first_hour < 3600 * 0.85 and np.sum(t >= 3600.0) == 3600


def test_clock_jitter_and_determinism(three_station):
    sc = Scenario(nuisance="none", duration_s=600.0, clock_jitter_s=0.01, dropout_probability=0.05)
    r1 = simulate(three_station, sc, seed=5)
    r2 = simulate(three_station, sc, seed=5)
    r3 = simulate(three_station, sc, seed=6)
    pd.testing.assert_frame_equal(r1.telemetry, r2.telemetry)
    assert not r1.telemetry["value"].equals(r3.telemetry["value"]) or len(r1.telemetry) != len(r3.telemetry)
    t, _ = _ch(r1, "b.p")
    dev = t - np.round(t)
    assert 0.005 < np.std(dev) < 0.02
    assert np.allclose(dev * 1000, np.round(dev * 1000), atol=1e-6)  # 1 ms stamps
    assert len(r1.telemetry) == pytest.approx(600 * 7 * 0.95, rel=0.05)


def test_partial_pressure_channels_are_consistent(three_station):
    res = simulate(three_station, Scenario(nuisance="none", duration_s=600.0, initial_ppco2_pa=3 * PA_PER_MMHG))
    _, co2 = _ch(res, "b.ppco2")
    assert np.allclose(co2, 3.0, rtol=1e-9)
    tr = res.truth
    tot = tr[["ppo2_pa", "ppn2_pa", "ppco2_pa", "pph2o_pa"]].sum(axis=1)
    np.testing.assert_allclose(tot, tr["pressure_pa"], rtol=1e-12)
