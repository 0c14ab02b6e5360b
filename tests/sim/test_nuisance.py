"""The realistic nuisance of issue 16: unmeasured bulk-gas offsets, thermometer lag and self-heating,
pressure-sensor drift and coarse quantization; ``realistic`` by default, ``none`` with one key."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hullbreach.errors import ScenarioError
from hullbreach.sim import Nuisance, Scenario, ThermalProfile, parse_scenario, simulate

ZERO = dict(common_offset_k=0.0, module_offset_k=0.0, thermometer_lag_s=0.0, thermometer_self_heating_k=0.0,
            pressure_drift_pa_per_day=0.0, pressure_random_walk_pa_per_sqrt_day=0.0)


@pytest.fixture()
def exact(exact_station):
    return exact_station


def _channel(res, ch):
    t = res.telemetry
    sel = t[t["channel"] == ch]
    return (sel["time"] - t["time"].iloc[0]).dt.total_seconds().to_numpy(), sel["value"].to_numpy()


def _truth(res, module, col):
    tr = res.truth[res.truth["module"] == module]
    return (tr["time"] - tr["time"].iloc[0]).dt.total_seconds().to_numpy(), tr[col].to_numpy()


def test_realistic_is_the_default_and_none_is_one_key():
    assert Scenario().nuisance.preset == "realistic"
    assert Scenario().nuisance.active
    assert not Scenario(nuisance="none").nuisance.active
    sc = parse_scenario('start = "2024-01-01T00:00:00Z"\nduration_s = 60\nnuisance = "none"\n')
    assert sc.nuisance.preset == "none"
    sc = parse_scenario('start = "2024-01-01T00:00:00Z"\nduration_s = 60\n[nuisance]\ncommon_offset_k = 0.1\n')
    assert sc.nuisance.value("common_offset_k") == 0.1
    assert sc.nuisance.value("thermometer_lag_s") == 120.0  # the rest from the realistic preset


def test_bad_nuisance_keys_name_the_line():
    with pytest.raises(ScenarioError) as e:
        parse_scenario('start = "2024-01-01T00:00:00Z"\nduration_s = 60\n[nuisance]\ncommon_ofset_k = 0.1\n', "s.toml")
    assert "s.toml:4" in str(e.value) and "common_ofset_k" in str(e.value)
    with pytest.raises(ScenarioError) as e:
        parse_scenario('start = "2024-01-01T00:00:00Z"\nduration_s = 60\nnuisance = "reel"\n', "s.toml")
    assert "s.toml:3" in str(e.value) and "realistic" in str(e.value)
    with pytest.raises(ScenarioError):
        Nuisance(common_offset_k=-0.1)


def test_zeroed_realistic_equals_none(exact):
    """Every realistic term set to zero draws no random numbers: the former simulator, sample for sample."""
    base = dict(duration_s=3600.0, thermal=(ThermalProfile(orbital_amplitude_k=0.3, hvac_noise_k=0.05),))
    a = simulate(exact, Scenario(nuisance="none", **base), seed=3)
    b = simulate(exact, Scenario(nuisance=Nuisance(**ZERO), **base), seed=3)
    assert a.telemetry.equals(b.telemetry)
    assert a.truth.equals(b.truth)


def test_bulk_offset_moves_the_pressure_not_the_thermometers(exact):
    nu = Nuisance(**{**ZERO, "common_offset_k": 0.1, "common_offset_tau_s": 1800.0, "module_offset_k": 0.03})
    res = simulate(exact, Scenario(duration_s=6 * 3600.0, truth_dt_s=60.0, nuisance=nu), seed=1)
    _, t_gas = _truth(res, "a", "temperature_k")
    _, p = _truth(res, "a", "pressure_pa")
    assert np.ptp(t_gas) > 0.1  # the gas temperature wanders
    _, t_meas = _channel(res, "a.T")
    assert np.ptp(t_meas) < 1e-9  # the thermometer reads the nominal 295 K throughout
    # sealed zone: the mass is constant, so p / (sum V/T) is constant; the pressure follows the gas
    _, t_gas_b = _truth(res, "b", "temperature_k")
    inv = 50.0 / t_gas + 30.0 / t_gas_b
    np.testing.assert_allclose(p * inv, (p * inv)[0], rtol=1e-10)
    assert np.ptp(p) > 10.0


def test_thermometer_lag_follows_a_step_with_its_time_constant(exact):
    nu = Nuisance(**{**ZERO, "thermometer_lag_s": 300.0})
    th = (ThermalProfile(steps=((600.0, 1.0),)),)
    res = simulate(exact, Scenario(duration_s=3000.0, sample_rate_hz=0.1, thermal=th, nuisance=nu), seed=0)
    t, v = _channel(res, "a.T")
    after = t >= 600.0
    # sampled first-order lag: y_k = 1 - a^(k+1) after the step, a = exp(-dt/tau) (Doebelin)
    k = np.arange(after.sum())
    np.testing.assert_allclose(v[after] - 295.0, 1.0 - math.exp(-10.0 / 300.0) ** (k + 1), atol=1e-9)
    assert np.all(v[~after] == pytest.approx(295.0))


def test_self_heating_after_power_on(exact):
    nu = Nuisance(**{**ZERO, "thermometer_self_heating_k": 2.0, "thermometer_power_on_s": 0.0,
                     "thermometer_self_heating_tau_s": 1200.0})
    res = simulate(exact, Scenario(duration_s=7200.0, sample_rate_hz=0.1, nuisance=nu), seed=2)
    t, v = _channel(res, "a.T")
    rise = v - 295.0
    amp = rise[-1] / (1.0 - math.exp(-t[-1] / 1200.0))
    assert 1.0 <= amp <= 3.0  # each sensor draws 0.5-1.5 x the mean
    np.testing.assert_allclose(rise, amp * (1.0 - np.exp(-t / 1200.0)), atol=1e-9)
    _, p = _channel(res, "a.p")
    assert np.ptp(p) < 1e-6  # the gas did not change


def test_pressure_drift_moves_the_reading_not_the_gas(exact):
    nu = Nuisance(**{**ZERO, "pressure_drift_pa_per_day": 5.0, "pressure_random_walk_pa_per_sqrt_day": 1.0})
    res = simulate(exact, Scenario(duration_s=2 * 86400.0, dt_s=60.0, sample_rate_hz=1 / 60, nuisance=nu), seed=4)
    _, p_true = _truth(res, "a", "pressure_pa")
    assert np.ptp(p_true) < 1e-6
    t, a = _channel(res, "a.p")
    _, b = _channel(res, "b.p")
    assert abs(a[-1] - a[0]) > 0.05 and abs(b[-1] - b[0]) > 0.05
    assert abs((a[-1] - a[0]) - (b[-1] - b[0])) > 0.05  # each sensor its own drift
    assert np.all(np.abs(a - 101325.0) < 60.0)  # 5 Pa/day sigma over 2 days: far below 60 Pa


def test_pressure_quantization_coarser_than_noise(exact):
    nu = Nuisance(**{**ZERO, "pressure_resolution_pa": 10.0})  # 0.1 hPa steps on exact sensors
    res = simulate(exact, Scenario(duration_s=600.0, nuisance=nu,
                                   thermal=(ThermalProfile(orbital_amplitude_k=0.02, orbital_period_s=600.0),)), seed=0)
    _, v = _channel(res, "a.p")
    np.testing.assert_allclose(v / 10.0, np.round(v / 10.0), atol=1e-9)
    assert 2 <= len(np.unique(v)) <= 3  # +-7 Pa of thermal swing shows as one or two 10 Pa steps
