"""The independent generator against physics it must obey (not against hullbreach's simulator)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.generators.independent import (
    CHOKED_FACTOR,
    R_AIR_J_KG_K,
    GenConfig,
    Leak,
    _ou,
    advance,
    choked_mass_flow,
    concat,
    effective_area_for_rate,
    generate,
    mmhg_per_h_to_pa_per_s,
    start,
    toy_station,
)

QUIET = dict(orbital_amplitude_k=0.0, daily_amplitude_k=0.0, ou_common_sigma_k=0.0, ou_module_sigma_k=0.0,
             self_heating_k=0.0, thermometer_lag_s=0.0, pressure_drift_sigma_pa_per_day=0.0,
             pressure_random_walk_pa_per_sqrt_day=0.0)


@pytest.fixture(scope="module")
def toy():
    return toy_station()


def test_choked_flow_matches_nasa_glenn_constant():
    # NASA Glenn Research Center, "Mass Flow Choking": mdot = 0.0404 A p / sqrt(T) for air (SI, gamma 1.4),
    # e.g. 1 cm^2 at 101325 Pa and 293.15 K -> 0.02391 kg/s.
    mdot = choked_mass_flow(1e-4, 101325.0, 293.15)
    assert mdot == pytest.approx(0.0404 * 1e-4 * 101325.0 / math.sqrt(293.15), rel=2e-3)


def test_mass_conservation_through_hatch_and_valve_changes(toy):
    area = effective_area_for_rate(toy, "capsule", mmhg_per_h_to_pa_per_s(2.0))
    s0 = start(toy, GenConfig(cadence_s=10.0), seed=3, leaks=[Leak("capsule", area, start_s=600.0)])
    a = advance(s0, 1800.0)
    b = advance(a.state, 1800.0, closed={"hab-capsule"})
    c = advance(b.state, 600.0, valves_open={"hab-capsule"})
    d = advance(c.state, 600.0, closed=set(), valves_open=set())
    run = concat([a, b, c, d])
    total = run.truth.mass_kg.sum(axis=1) + run.truth.vented_kg.sum(axis=1)
    assert np.ptp(total) < 1e-9 * total[0]
    assert run.truth.vented_kg[-1, 0] > 0.05
    kinds = list(run.events["kind"])
    assert kinds == ["hatch_close", "valve_open", "hatch_open", "valve_close"]


def test_isothermal_leak_follows_the_exponential_of_choked_flow(toy):
    # p(t) = p0 exp(-t / tau), tau = V / (Cd A Psi sqrt(R T)) (constant T, whole station one zone)
    cfg = GenConfig(cadence_s=60.0, **QUIET)
    area = 2.0e-5
    run = generate(toy, 12 * 3600.0, cfg, seed=0, leaks=[Leak("lab", area, start_s=0.0)])
    v = sum(m.volume_m3 for m in toy.modules.values())
    t_k = 295.15
    tau = v / (area * CHOKED_FACTOR * math.sqrt(R_AIR_J_KG_K * t_k))
    t = (run.truth.time - run.truth.time[0]).total_seconds().to_numpy()
    p = run.truth.pressure_pa[:, 0]
    np.testing.assert_allclose(p, p[0] * np.exp(-t / tau), rtol=1e-7)


def test_area_for_rate_gives_the_rate(toy):
    rate = mmhg_per_h_to_pa_per_s(0.6)
    area = effective_area_for_rate(toy, "hab", rate)
    run = generate(toy, 600.0, GenConfig(cadence_s=10.0, **QUIET), leaks=[Leak("hab", area)])
    p = run.truth.pressure_pa[:, 2]
    assert (p[0] - p[-1]) / 590.0 == pytest.approx(rate, rel=1e-3)


def test_closing_a_hatch_splits_the_zones_and_a_valve_equalises(toy):
    area = effective_area_for_rate(toy, "capsule", mmhg_per_h_to_pa_per_s(1.0))
    s0 = start(toy, GenConfig(cadence_s=10.0, **QUIET), leaks=[Leak("capsule", area)])
    a = advance(s0, 3600.0, closed={"hab-capsule"})
    p = a.truth.pressure_pa
    core_drop, cap_drop = p[0, 0] - p[-1, 0], p[0, 3] - p[-1, 3]
    assert core_drop == pytest.approx(0.0, abs=1e-6)  # sealed from the leak
    assert cap_drop > 20 * mmhg_per_h_to_pa_per_s(1.0) * 3000.0  # 8 m3 alone falls ~31x faster
    b = advance(a.state, 1200.0, valves_open={"hab-capsule"})
    q = b.truth.pressure_pa
    assert abs(q[-1, 0] - q[-1, 3]) < 0.05 * abs(q[0, 0] - q[0, 3])


def test_ou_statistics():
    rng = np.random.default_rng(7)
    sigma, tau, dt = 0.08, 3600.0, 60.0
    x = _ou(sigma * rng.standard_normal(400), sigma, tau, dt, 600, rng)
    assert x.std() == pytest.approx(sigma, rel=0.05)
    lag = int(tau / dt)
    r = np.mean(x[lag:] * x[:-lag]) / np.mean(x * x)
    assert r == pytest.approx(math.exp(-1.0), abs=0.05)


def test_thermometers_do_not_see_the_bulk_offset(toy):
    cfg = GenConfig(cadence_s=10.0, ou_common_sigma_k=0.1, ou_common_tau_s=3600.0, ou_module_sigma_k=0.05,
                    self_heating_k=0.0, thermometer_lag_s=0.0, thermometer_noise_k=0.0, thermometer_step_k=0.0)
    run = generate(toy, 6 * 3600.0, cfg, seed=5)
    tr = run.truth
    np.testing.assert_allclose(tr.gas_temperature_k - tr.visible_temperature_k, tr.offset_k, atol=1e-9)
    assert np.ptp(tr.offset_k[:, 0]) > 0.05
    temp = run.raw[run.raw["channel"] == "core.temperature"]["value"].to_numpy() + 273.15
    np.testing.assert_allclose(temp, tr.visible_temperature_k[:, 0], atol=1e-9)


def test_piecewise_run_is_contiguous_and_a_state_can_branch(toy):
    s0 = start(toy, GenConfig(cadence_s=10.0), seed=11)
    a = advance(s0, 600.0)
    b1 = advance(a.state, 600.0)
    b2 = advance(a.state, 600.0)
    assert b1.raw.equals(b2.raw)  # advance does not change the state it continues from
    t = concat([a, b1]).truth.time
    assert (np.diff(t.asi8) == 10_000_000_000).all()
    assert a.state.t_s == 600.0


def test_quantisation_coarser_than_noise(toy):
    cfg = GenConfig(cadence_s=10.0, pressure_noise_pa=2.0, pressure_step_pa=10.0)  # 0.1 hPa steps
    run = generate(toy, 600.0, cfg)
    v = run.raw[run.raw["channel"] == "core.pressure"]["value"].to_numpy()
    steps = v / (10.0 * 760.0 / 101325.0)
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)
    assert len(np.unique(v)) <= 4


def test_output_runs_through_hullbreach_detect(toy):
    from hullbreach.detect.detector import detect

    run = generate(toy, 2 * 3600.0, GenConfig(cadence_s=10.0, **QUIET), seed=1)
    res = detect(toy, run.frame(), run.events, keep_series=False)
    assert res.trusted_channels
    assert res.status == "nominal"
