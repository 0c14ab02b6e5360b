"""Ballistic limit equations of NASA/TM-2009-214785: Table 6-1 validation, regime continuity, inverses."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.cause import ballistic as b
from hullbreach.errors import PhysicsError

TABLE_6_1 = [(3.0, 0.0, 0.152), (7.0, 0.0, 0.186), (9.0, 45.0, 0.198)]


def test_table_6_1_values_are_in_the_handbook(handbook_text):
    """The baseline column of Table 6-1 (NASA/TM-2009-214785 p. 101) holds 0.152, 0.186, 0.198 cm."""
    start = handbook_text.index("Table 6-1. Example Aluminum Particle Diameters at Ballistic Limit")
    block = handbook_text[start:start + 1500]
    found = re.findall(r"(0\.\d{3})\s+(0\.\d{3})", block)
    assert [float(a) for a, _ in found] == [row[2] for row in TABLE_6_1]


@pytest.mark.parametrize("v_km_s,angle_deg,dc_cm", TABLE_6_1)
def test_soyuz_om_reproduces_table_6_1_within_1_percent(v_km_s, angle_deg, dc_cm):
    """Eqs. 6-2..6-4, baseline MLI over 0.19 cm AMG6, aluminium 2.8 g/cm^3: Table 6-1 baseline column
    within 1 % (NASA/TM-2009-214785; docs/reference/figures.md)."""
    dc = b.critical_diameter_m(b.SoyuzOrbitalModuleWall(), v_km_s * 1e3, math.radians(angle_deg))
    assert dc * 100 == pytest.approx(dc_cm, rel=0.01)


def test_toughened_is_flagged_unvalidated_and_does_not_match_table():
    """docs/reference/figures.md: eqs. 6-5..6-7 give ~0.086 cm at 7 km/s where Table 6-1 says 0.286 cm."""
    w = b.SoyuzOrbitalModuleWall(toughened=True)
    dc = b.critical_diameter_m(w, 7e3, 0.0) * 100
    assert dc == pytest.approx(0.086, abs=0.002)
    assert any("UNVALIDATED" in n for n in b.validity(w))
    assert not w.validated
    assert b.validity(b.SoyuzOrbitalModuleWall()) == []


def test_toughened_printed_constants_are_discontinuous():
    """Another sign the printed toughened constants are inconsistent: K_hi = 0.729 is not K_H * 6.2^(-2/3)
    (= 0.396), so eqs. 6-5 and 6-7 jump at the high-speed threshold (baseline: 2.9 * 6^(-2/3) = 0.878)."""
    w = b.SoyuzOrbitalModuleWall(toughened=True)
    lo = b.critical_diameter_m(w, 6.2e3 - 1.0, 0.0)
    hi = b.critical_diameter_m(w, 6.2e3 + 1.0, 0.0)
    assert lo / hi > 1.5


@settings(max_examples=80, deadline=None)
@given(st.floats(0.0, 80.0), st.just(False))
def test_soyuz_regimes_are_continuous(angle_deg, toughened):
    w = b.SoyuzOrbitalModuleWall(toughened=toughened)
    th = math.radians(angle_deg)
    c = math.cos(th)
    for edge in (2.5 / c, 6.0 * c**-0.5):
        lo = b.critical_diameter_m(w, (edge - 1e-6) * 1e3, th)
        hi = b.critical_diameter_m(w, (edge + 1e-6) * 1e3, th)
        assert lo == pytest.approx(hi, rel=1e-3)  # handbook constants are rounded to 3 digits


@settings(max_examples=80, deadline=None)
@given(st.floats(0.0, 80.0))
def test_whipple_regimes_are_continuous(angle_deg):
    w = b.WhippleShield()
    th = math.radians(angle_deg)
    c = math.cos(min(th, math.radians(65)))
    for vn in (3.0, 7.0):
        v = vn / c
        assert b.critical_diameter_m(w, (v - 1e-6) * 1e3, th) == pytest.approx(
            b.critical_diameter_m(w, (v + 1e-6) * 1e3, th), rel=1e-3)  # 1.071 = 3.918 * 7^(-2/3) rounded


def test_whipple_angle_above_65_uses_65():
    """Eq. 4-26."""
    w = b.WhippleShield()
    assert b.critical_diameter_m(w, 10e3, math.radians(80)) == b.critical_diameter_m(w, 10e3, math.radians(65))


def test_whipple_high_speed_formula_by_hand():
    """Eq. 4-23 evaluated by hand for the Fig. 4-4 shield at 10 km/s normal: 3.918 * 0.32^(2/3) * 2.8^(-1/3)
    * 2.713^(-1/9) * 10^(-2/3) * 10^(1/3) * (40/70)^(1/3) cm."""
    expected = 3.918 * 0.32 ** (2 / 3) * 2.8 ** (-1 / 3) * 2.713 ** (-1 / 9) * 10 ** (-2 / 3) * 10 ** (1 / 3) * (40 / 70) ** (1 / 3)
    assert b.critical_diameter_m(b.WhippleShield(), 10e3, 0.0) * 100 == pytest.approx(expected, rel=1e-6)
    assert b.whipple_regime(10e3, 0.0) == "melt/vaporization"
    assert b.whipple_regime(5e3, 0.0) == "shatter"
    assert b.whipple_regime(2e3, 0.0) == "ballistic"


def test_whipple_design_equations_are_consistent_with_performance():
    """A rear wall sized by eq. 4-22 for a particle should stop about that particle by eq. 4-23 (the two come
    from the same JSC model [34]; their constants agree to ~10 %)."""
    w = b.WhippleShield()
    d = b.critical_diameter_m(w, 10e3, 0.0)
    tw = b.whipple_rear_wall_thickness_m(d, 10e3, 0.0, 2800.0, w)
    assert tw == pytest.approx(w.rear_wall_thickness_m, rel=0.25)
    assert b.whipple_bumper_thickness_m(d, 2800.0, w) == pytest.approx(0.25 * d * 2800 / 2713)


@settings(max_examples=60, deadline=None)
@given(st.floats(1.0, 7.9), st.floats(0.0, 70.0), st.floats(0.5e-3, 6e-3))
def test_single_wall_4_6_is_the_inverse_of_4_1_and_4_5(v_km_s, angle_deg, t_m):
    """At d_c from eq. 4-6 the crater depth of eq. 4-1 (rho_p/rho_t < 1.5) is exactly t/1.8 (eq. 4-5)."""
    w = b.SingleWall(thickness_m=t_m)
    th = math.radians(angle_deg)
    dc = b.critical_diameter_m(w, v_km_s * 1e3, th, 2800.0)
    p = b.single_wall_penetration_depth_m(dc, v_km_s * 1e3, th, w, 2800.0)
    assert b.single_wall_thickness_to_prevent_m(p, "perforation") == pytest.approx(t_m, rel=1e-9)


def test_single_wall_validity_above_8_km_s():
    w = b.SingleWall()
    assert b.validity(w, 7e3) == []
    assert "8 km/s" in b.validity(w, 9e3)[0]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(b.WALL_KINDS), st.floats(1.0, 20.0), st.floats(0.0, 60.0), st.floats(1.05, 2.0))
def test_thicker_walls_stop_bigger_particles(kind, v, angle, k):
    th = math.radians(angle)
    thin = b.make_wall(kind, 1.5e-3)
    thick = b.make_wall(kind, 1.5e-3 * k)
    assert b.critical_diameter_m(thick, v * 1e3, th) > b.critical_diameter_m(thin, v * 1e3, th)


def test_vectorised_equals_scalar():
    w = b.SoyuzOrbitalModuleWall()
    v = np.array([2e3, 4e3, 8e3, 15e3])
    th = np.array([0.1, 0.5, 0.9, 1.2])
    vec = b.critical_diameter_m(w, v, th)
    assert np.allclose(vec, [b.critical_diameter_m(w, vi, ti) for vi, ti in zip(v, th)])


def test_bad_inputs_raise():
    with pytest.raises(PhysicsError):
        b.critical_diameter_m(b.SingleWall(), -1.0, 0.0)
    with pytest.raises(PhysicsError):
        b.critical_diameter_m(b.SingleWall(), 7e3, 2.0)
    with pytest.raises(PhysicsError):
        b.SingleWall(thickness_m=-1e-3)
    with pytest.raises(PhysicsError):
        b.make_wall("cardboard")


def test_hole_size_relation_and_inverse():
    """Anchor from NASA/TM-2009-214785 §7.2.2: 0.8 mm particle -> ~3 mm hole lies inside the interval."""
    h = b.hole_diameter_m(0.8e-3)
    assert h.contains(3e-3)
    p = b.particle_diameter_for_hole_m(2e-3)
    assert p.low <= 2e-3 / 3.0 <= p.high
    assert b.hole_diameter_m(p.estimate).estimate == pytest.approx(2e-3)
