"""Rayleigh–Lamb solver against its analytic limits (Rose 2014 ch. 6; Graff 1975 §4.2, §6.3, §8.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.errors import LocalizationError, PhysicsError
from hullbreach.locate.lamb import (
    MATERIALS,
    Material,
    dispersion_table,
    flexural_phase_speed,
    group_velocity,
    material,
    phase_velocity,
    viktorov_rayleigh_speed,
)


@pytest.mark.parametrize("name", sorted(MATERIALS))
def test_low_frequency_a0_is_classical_flexural_wave(name):
    """At f·h -> 0, A0 tends to the Kirchhoff plate flexural wave c = (ω² D/(ρh))^(1/4) (Graff 1975 §4.2),
    and its group speed to twice its phase speed."""
    m = material(name)
    h = 2e-3
    f = np.array([200.0, 1000.0])
    cp = phase_velocity(f, h, m, "A0")
    ref = flexural_phase_speed(f, h, m)
    assert np.allclose(cp, ref, rtol=3e-3)
    cg = group_velocity(f, h, m, "A0")
    assert np.allclose(cg, 2 * ref, rtol=6e-3)


@pytest.mark.parametrize("name", sorted(MATERIALS))
def test_low_frequency_s0_is_plate_speed(name):
    """At f·h -> 0, S0 tends to sqrt(E/(ρ(1-ν²))) (Rose 2014 §6.4), non-dispersive (c_g = c_p)."""
    m = material(name)
    cp = phase_velocity([1000.0], 2e-3, m, "S0")[0]
    cg = group_velocity([1000.0], 2e-3, m, "S0")[0]
    expected = math.sqrt(m.youngs_modulus_pa / (m.density_kg_m3 * (1 - m.poisson_ratio**2)))
    assert cp == pytest.approx(expected, rel=1e-5)
    assert cg == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("name", sorted(MATERIALS))
def test_high_frequency_both_modes_approach_rayleigh_speed(name):
    """At large f·h, A0 (from below) and S0 (from above) both tend to the Rayleigh speed (Graff 1975 §8.1);
    Viktorov's approximation c_R ≈ c_T (0.87+1.12ν)/(1+ν) agrees with the exact root within 0.5 %."""
    m = material(name)
    cr = m.rayleigh_speed_m_s
    assert cr == pytest.approx(viktorov_rayleigh_speed(m.shear_speed_m_s, m.poisson_ratio), rel=5e-3)
    f = 10e6  # f·h = 20 MHz·mm
    a0 = phase_velocity([f], 2e-3, m, "A0")[0]
    s0 = phase_velocity([f], 2e-3, m, "S0")[0]
    assert a0 < cr < s0
    assert a0 == pytest.approx(cr, rel=1e-3)
    assert s0 == pytest.approx(cr, rel=1e-3)


def test_a0_at_100khz_2mm_aluminium_textbook_value():
    """A0 in 2 mm aluminium at 100 kHz (0.2 MHz·mm): about 1.3 km/s phase and 2.3 km/s group speed, as read
    from the aluminium dispersion curves in Rose 2014, ch. 6 (read by eye, hence 5 %)."""
    m = material("al-6061")
    assert phase_velocity([1e5], 2e-3, m, "A0")[0] == pytest.approx(1300, rel=0.05)
    assert group_velocity([1e5], 2e-3, m, "A0")[0] == pytest.approx(2300, rel=0.05)


@settings(max_examples=25, deadline=None)
@given(
    f1=st.floats(5e3, 2e6),
    ratio=st.floats(1.05, 3.0),
    h=st.floats(0.5e-3, 5e-3),
)
def test_a0_phase_speed_rises_with_frequency_and_group_exceeds_phase(f1, ratio, h):
    """A0 is normally dispersive below the Rayleigh speed: c_p increases with f·h, stays below c_R, and
    c_g > c_p (Rose 2014 §6.5)."""
    m = material("al-2219")
    cp = phase_velocity([f1, f1 * ratio], h, m, "A0")
    assert cp[0] < cp[1] < m.rayleigh_speed_m_s
    cg = group_velocity([f1], h, m, "A0")[0]
    assert cg > cp[0]


@settings(max_examples=20, deadline=None)
@given(scale=st.floats(0.5, 2.0), f=st.floats(1e4, 1e6))
def test_dispersion_depends_on_frequency_thickness_product(scale, f):
    """The Rayleigh–Lamb equations depend on f and h only through f·h (Rose 2014 §6.3)."""
    m = material("amg6")
    a = phase_velocity([f], 2e-3, m, "A0")[0]
    b = phase_velocity([f / scale], 2e-3 * scale, m, "A0")[0]
    assert a == pytest.approx(b, rel=1e-6)


def test_table_wavenumber_roundtrip():
    tab = dispersion_table(2e-3, material("al-2219"), f_max_hz=5e5, n=200)
    f = np.array([3e4, 1e5, 2.5e5])
    k = tab.wavenumber(f)
    assert np.allclose(k, 2 * np.pi * f / phase_velocity(f, 2e-3, material("al-2219")), rtol=2e-3)
    assert np.allclose(tab.frequency_of_wavenumber(k), f, rtol=2e-3)


def test_errors():
    with pytest.raises(LocalizationError, match="unknown material"):
        material("unobtainium")
    with pytest.raises(PhysicsError):
        Material("x", -1.0, 0.3, 2700.0)
    with pytest.raises(PhysicsError):
        Material("x", 70e9, 0.6, 2700.0)
    with pytest.raises(PhysicsError):
        phase_velocity([-1.0], 2e-3, material("amg6"))
    assert material("AMg6").name == "amg6"
