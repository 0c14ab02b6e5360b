"""Physics package: closed forms against numerical integration, orifice branches, and properties.

Validation figures: docs/reference/figures.md (docs/design.md §4: isothermal venting is exactly exponential with
tau = V / (Cd A sqrt(gamma R T) G), G = 0.5787 for air; adiabatic blowdown after Shapiro 1953 ch. 4).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from hullbreach.constants import GAMMA_AIR, PA_PER_MMHG, R_AIR
from hullbreach.physics import (
    adiabatic_pressure,
    adiabatic_time_to_pressure,
    air_mass,
    area_from_diameter,
    choked_mass_flow,
    critical_flow_factor,
    critical_pressure_ratio,
    diameter_from_area,
    effective_area_from_mass_flow,
    isothermal_pressure,
    isothermal_time_constant,
    isothermal_time_to_pressure,
    orifice_mass_flow,
    pressure_from_mass,
)
from hullbreach.physics.blowdown import adiabatic_temperature


def test_critical_factor_and_ratio_for_air():
    """G = 0.5787 and p*/p0 = 0.5283 for gamma = 1.4 (docs/design.md §4; Anderson 2003 §5.4)."""
    assert float(critical_flow_factor(1.4)) == pytest.approx(0.5787, abs=1e-4)
    assert float(critical_pressure_ratio(1.4)) == pytest.approx(0.5283, abs=1e-4)


def test_isothermal_exponential_matches_numerical_integration():
    """dm/dt = -choked(p(m)) with p = m R T / V integrated by LSODA equals p0 exp(-t/tau) to 1e-7."""
    V, cda, T, p0 = 30.0, 0.6 * area_from_diameter(4e-3), 295.0, 101325.0
    tau = float(isothermal_time_constant(V, cda, T))

    def rhs(t, m):
        return [-float(choked_mass_flow(cda, pressure_from_mass(m[0], V, T), T))]

    t = np.linspace(0, 3 * tau, 50)
    sol = solve_ivp(rhs, (0, t[-1]), [float(air_mass(p0, V, T))], method="LSODA", rtol=1e-11, atol=1e-12, t_eval=t)
    p_num = pressure_from_mass(sol.y[0], V, T)
    np.testing.assert_allclose(p_num, isothermal_pressure(t, p0, tau), rtol=1e-7)
    assert float(isothermal_time_to_pressure(p0, p0 / math.e, tau)) == pytest.approx(tau, rel=1e-12)


def test_adiabatic_closed_form_matches_numerical_integration():
    """Isentropic tank discharge: integrate dm/dt = -choked(p, T) with T = T0 (m/m0)^(gamma-1) and compare
    pressure and temperature with the closed forms (Shapiro 1953 ch. 4) to 1e-7."""
    V, cda, T0, p0, g = 5.0, area_from_diameter(2e-2), 295.0, 101325.0, GAMMA_AIR
    tau0 = float(isothermal_time_constant(V, cda, T0))
    m0 = float(air_mass(p0, V, T0))

    def temp(m):
        return T0 * (m / m0) ** (g - 1.0)

    def rhs(t, m):
        T = temp(m[0])
        return [-float(choked_mass_flow(cda, pressure_from_mass(m[0], V, T), T))]

    t = np.linspace(0, 4 * tau0, 40)
    sol = solve_ivp(rhs, (0, t[-1]), [m0], method="LSODA", rtol=1e-11, atol=1e-13, t_eval=t)
    T_num = temp(sol.y[0])
    p_num = pressure_from_mass(sol.y[0], V, T_num)
    np.testing.assert_allclose(p_num, adiabatic_pressure(t, p0, tau0), rtol=1e-7)
    np.testing.assert_allclose(T_num, adiabatic_temperature(t, T0, tau0), rtol=1e-7)
    # faster than isothermal: the cooling gas is denser, so it holds pressure worse
    assert np.all(adiabatic_pressure(t[1:], p0, tau0) < isothermal_pressure(t[1:], p0, tau0))
    th = 0.5 * p0
    tth = float(adiabatic_time_to_pressure(p0, th, tau0))
    assert float(adiabatic_pressure(tth, p0, tau0)) == pytest.approx(th, rel=1e-12)


def test_orifice_continuous_at_critical_ratio():
    """Subsonic and choked branches meet at p_down/p_up = critical ratio (no jump, matching slope 0)."""
    cda, p_up, T = 1e-4, 1e5, 295.0
    rc = float(critical_pressure_ratio())
    eps = 1e-9
    below = float(orifice_mass_flow(cda, p_up, T, p_up * (rc - eps)))
    above = float(orifice_mass_flow(cda, p_up, T, p_up * (rc + eps)))
    choked = float(choked_mass_flow(cda, p_up, T))
    assert below == pytest.approx(choked, rel=1e-12)
    assert above == pytest.approx(choked, rel=1e-8)
    # slope of the subsonic branch vanishes at the critical ratio
    d = 1e-4
    slope = (float(orifice_mass_flow(cda, p_up, T, p_up * (rc + d))) - above) / (p_up * d)
    assert abs(slope) * p_up / choked < 1e-2


def test_orifice_zero_flow_at_equal_pressure_and_reversal():
    assert float(orifice_mass_flow(1e-4, 9e4, 295.0, 9e4)) == 0.0
    assert float(orifice_mass_flow(1e-4, 5e4, 295.0, 9e4)) < 0


@settings(max_examples=200, deadline=None)
@given(p_up=st.floats(1e3, 2e5), ratio=st.floats(0.0, 1.0), T=st.floats(200.0, 350.0), cda=st.floats(1e-9, 1e-2))
def test_orifice_properties(p_up, ratio, T, cda):
    """Flow is non-negative downhill, bounded by the choked flow, equal to it below the critical ratio,
    proportional to Cd*A, and odd under swapping the sides (same upstream temperature)."""
    p_dn = ratio * p_up
    w = float(orifice_mass_flow(cda, p_up, T, p_dn))
    wc = float(choked_mass_flow(cda, p_up, T))
    assert 0.0 <= w <= wc * (1 + 1e-12)
    if ratio <= float(critical_pressure_ratio()):
        assert w == pytest.approx(wc, rel=1e-12)
    assert float(orifice_mass_flow(2 * cda, p_up, T, p_dn)) == pytest.approx(2 * w, rel=1e-12, abs=1e-300)
    assert float(orifice_mass_flow(cda, p_dn, T, p_up)) == pytest.approx(-w, rel=1e-12, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(flow=st.floats(1e-9, 10.0), p=st.floats(1e3, 2e5), T=st.floats(200.0, 350.0))
def test_effective_area_inverts_choked_flow(flow, p, T):
    a = float(effective_area_from_mass_flow(flow, p, T))
    assert float(choked_mass_flow(a, p, T)) == pytest.approx(flow, rel=1e-12)
    assert float(area_from_diameter(diameter_from_area(a))) == pytest.approx(a, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(V=st.floats(1.0, 1000.0), d=st.floats(1e-4, 5e-2), T=st.floats(250.0, 330.0),
       frac=st.floats(0.05, 0.99))
def test_isothermal_time_to_pressure_inverts_pressure(V, d, T, frac):
    p0 = 101325.0
    tau = float(isothermal_time_constant(V, area_from_diameter(d), T))
    t = float(isothermal_time_to_pressure(p0, frac * p0, tau))
    assert float(isothermal_pressure(t, p0, tau)) == pytest.approx(frac * p0, rel=1e-10)


def test_ideal_2mm_hole_iss_rate_is_about_1_9_mmhg_per_hour():
    """Reference README (Soyuz MS-09, derived): an ideal 2 mm orifice into 916 m^3 at 755 mmHg predicts
    ~1.9 mmHg/h."""
    p = 755 * PA_PER_MMHG
    T = 295.0
    mdot = float(choked_mass_flow(area_from_diameter(2e-3), p, T))
    rate_mmhg_h = mdot * R_AIR * T / 916.0 / PA_PER_MMHG * 3600
    assert rate_mmhg_h == pytest.approx(1.9, abs=0.1)
