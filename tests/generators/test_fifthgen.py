"""The fifth generator's own physics (tests/generators/fifthgen.py): mass conservation, the choked-orifice
leak against a hand calculation, hatch equalization and thermal equilibrium. Fast (a few hours of a
4-module station)."""

import math
from pathlib import Path

import numpy as np
import pytest

from hullbreach.station import load_station
from tests.generators.fifthgen import (
    MMHG_PA,
    Config,
    HatchOp,
    Leak,
    M_KG,
    R_U,
    choked_mass_flow,
    generate,
    leak_pressure_rate_pa_s,
    orifice_mass_flow,
    p_sat_pa,
)

QUAD = Path(__file__).with_name("fifthgen-quad.toml")


@pytest.fixture(scope="module")
def quad():
    return load_station(QUAD)


def test_choked_flow_matches_a_hand_calculation():
    # air, 101325 Pa, 295 K, a 1 mm ideal hole: A p sqrt(gamma/(R T)) (2/(gamma+1))^((gamma+1)/(2(gamma-1)))
    # = 7.854e-7 m2 x 101325 Pa x sqrt(1.4 / (287.05 x 295)) x (1/1.2)^3 = 1.873e-4 kg/s (by hand)
    area = math.pi * 1e-3**2 / 4
    assert choked_mass_flow(area, 101325.0, 295.0, 287.05) == pytest.approx(1.873e-4, rel=2e-3)


def test_orifice_flow_is_continuous_from_incompressible_to_choked():
    p_up = 100000.0
    # near equality the incompressible form sqrt(2 rho dp)
    rho = p_up / (287.05 * 295.0)
    assert orifice_mass_flow(1e-5, p_up, p_up - 10.0, 295.0, 287.05) == pytest.approx(
        1e-5 * math.sqrt(2 * rho * 10.0), rel=1e-9)
    # just below the 0.999 switch the compressible form agrees with the incompressible one within 0.1 %
    b = orifice_mass_flow(1e-5, p_up, p_up * 0.99899, 295.0, 287.05)
    assert b == pytest.approx(1e-5 * math.sqrt(2 * rho * p_up * 0.00101), rel=1e-3)
    # below the critical ratio 0.528 the flow no longer depends on the downstream pressure
    assert orifice_mass_flow(1e-5, p_up, 0.3 * p_up, 295.0, 287.05) == pytest.approx(
        orifice_mass_flow(1e-5, p_up, 0.1 * p_up, 295.0, 287.05))


def test_saturation_pressure_at_known_points():
    # Tetens/Murray: 611 Pa at 0 C, 2339 Pa at 20 C (steam tables 2339 Pa), within 0.5 %
    assert p_sat_pa(273.15) == pytest.approx(610.78, rel=1e-6)
    assert p_sat_pa(293.15) == pytest.approx(2339.0, rel=5e-3)


def test_moles_are_conserved_through_hatches_valves_and_leaks(quad):
    cfg = Config(spinup_s=1800.0, duration_s=3 * 3600.0, crew=2, leaks=(Leak("capsule", 3600.0, 2.0),),
                 hatch_ops=(HatchOp("node-hab", 1200.0, 5400.0, logged=False),), dropouts=False)
    rec = generate(quad, cfg, seed=3)
    a = rec.truth.attrs
    # every mole inside now = what was there + what crossed the boundary (crew, supply, removal, leaks)
    np.testing.assert_allclose(a["moles_final"], a["moles_initial"] + a["moles_exchanged"], rtol=1e-10,
                               atol=1e-6)
    # the leak's mass is the boundary's loss beyond the rest (it is part of the exchange)
    assert a["leaked_kg"] > 0
    lost_kg = -(a["moles_exchanged"] * M_KG)[:1].sum()  # N2 only leaves (no N2 source in this record)
    assert lost_kg >= 0.78 * a["leaked_kg"] * 0.9


def test_leak_is_sized_to_the_requested_rate(quad):
    cfg = Config(spinup_s=1800.0, duration_s=2 * 3600.0, crew=0, leaks=(Leak("hab", 1800.0, 10.0),), dropouts=False,
                 background_kg_day=0.0, co2_vents=False)
    rec = generate(quad, cfg, seed=1)
    lk = rec.leaks[0]
    # hand calculation: dp/dt V / (R T) = m_dot; m_dot = C_d A p sqrt(gamma/(R T)) 0.5787
    rate = 10.0 * MMHG_PA / 3600.0
    r_air = R_U / 0.02897
    m_dot = rate * 228.0 / (r_air * 295.3)
    cda = m_dot / (100658.0 * math.sqrt(1.4 / (r_air * 295.3)) * (1 / 1.2) ** 3)
    assert lk["cda_m2"] == pytest.approx(cda, rel=0.02)
    # the truth's own rate at onset is the requested rate, and the zone's pressure falls at it
    assert -leak_pressure_rate_pa_s(rec, 1900.0, quad) == pytest.approx(rate, rel=0.02)
    tr = rec.truth
    p = tr["p_pa:lab"].to_numpy()
    t = tr["time_s"].to_numpy()
    sel = (t > 2400) & (t < 7000)
    slope = np.polyfit(t[sel], p[sel], 1)[0]
    assert slope == pytest.approx(-rate, rel=0.15)  # crew-free, but the thermal control still breathes


def test_reopened_hatch_equalizes_before_it_opens_and_the_zone_shares_one_pressure(quad):
    cfg = Config(spinup_s=1800.0, duration_s=4 * 3600.0, crew=1, leaks=(Leak("capsule", 1800.0, 30.0),),
                 hatch_ops=(HatchOp("hab-capsule", 1200.0, 7200.0),), dropouts=False)
    rec = generate(quad, cfg, seed=2)
    tr = rec.truth
    t = tr["time_s"].to_numpy()
    dp = (tr["p_pa:hab"] - tr["p_pa:capsule"]).to_numpy() / MMHG_PA
    closed = (t > 1900) & (t < 7200)
    assert dp[closed].max() > 5.0  # the sealed capsule lost gas on its own
    # the logged opening comes after the MPEV has brought the difference under 0.2 mmHg
    ev = rec.events
    assert list(ev["kind"]) == ["hatch_close", "hatch_open"]
    t_open = (np.datetime64(ev["time"].iloc[1][:-1]) - np.datetime64(rec.config.start_utc[:-1])) / np.timedelta64(1, "s")
    assert t_open > 7200.0
    j = np.searchsorted(t, t_open + 60)
    assert abs(dp[j]) < 0.2
    # modules joined by open hatches share one pressure at every minute
    for m in ("node", "hab"):
        np.testing.assert_allclose(tr[f"p_pa:{m}"], tr["p_pa:lab"], rtol=1e-9)


def test_thermal_control_holds_the_cabin_near_its_set_point(quad):
    rec = generate(quad, Config(spinup_s=1800.0, duration_s=8 * 3600.0, crew=3, dropouts=False), seed=5)
    tr = rec.truth
    late = tr["time_s"] > 2 * 3600
    for m in ("lab", "hab"):  # modules with a cabin air assembly
        T = tr.loc[late, f"t_gas_k:{m}"]
        assert 293.0 < T.mean() < 298.0
        assert T.max() - T.min() < 2.5
    # a closed-system check of the ideal gas: p V = n R T per module
    # (pressure from the truth and moles from the ledger agree to 1e-9 at the end)
    n_end = rec.truth.attrs["moles_final"].sum()
    V = np.array([quad.modules[m].volume_m3 for m in quad.modules])
    T_end = np.array([tr[f"t_gas_k:{m}"].iloc[-1] for m in quad.modules])
    p_end = tr["p_pa:lab"].iloc[-1]
    assert p_end * (V / (R_U * T_end)).sum() == pytest.approx(n_end, rel=2e-4)


def test_files_read_back_as_a_user_would_hand_them(quad, tmp_path):
    from hullbreach.telemetry import read_events, read_telemetry

    cfg = Config(spinup_s=1800.0, duration_s=2 * 3600.0, crew=2, random_hatch_ops=1, log_hatch=1.0)
    rec = generate(quad, cfg, seed=7)
    tp, ep = rec.write(tmp_path)
    frame = read_telemetry(str(tp), str(QUAD))
    assert len(frame.data) + len(frame.quarantined) == len(rec.telemetry)
    assert set(frame.data.channel.astype(str)) == set(quad.sensors)
    ev = read_events(str(ep), quad)
    assert set(ev["kind"]) <= {"hatch_close", "hatch_open", "repress"}
