"""Meteoroid and debris flux: validation against SPENVIS and the NASA MMOD handbook tables."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.cause import flux
from hullbreach.errors import PhysicsError

# SPENVIS Grün-model output, unshielded, 1 AU, mass >= m (per m^2 per year): docs/reference/figures.md
SPENVIS = [(1e-12, 1.09e3), (1e-9, 95.4), (1e-6, 1.49), (1e-4, 1.04e-2), (1e-3, 5.99e-4)]


def test_spenvis_values_are_the_ones_in_the_reference(reference_readme):
    """The check values used below are those of docs/reference/figures.md (MMOD check values)."""
    line = next(l for l in reference_readme.splitlines() if l.startswith("| Grün flux, unshielded"))
    for text in ("1e-12 g: 1.09e3", "1e-9 g: 95.4", "1e-6 g: 1.49", "1e-4 g: 1.04e-2", "1e-3 g: 5.99e-4"):
        assert text in line


@pytest.mark.parametrize("mass_g,expected", SPENVIS)
def test_grun_matches_spenvis_within_1_percent(mass_g, expected):
    """Grün et al. 1985 (ECSS-E-ST-10-04C eq. 101) vs SPENVIS output: within 1 % (docs/reference/figures.md)."""
    assert flux.grun_flux_m2_yr(mass_g) == pytest.approx(expected, rel=0.01)


def test_flux_m2_s_is_per_year_over_seconds():
    f_s = flux.meteoroid_flux_m2_s(1e-9)  # 1e-6 g
    assert f_s * 365.25 * 86400 == pytest.approx(flux.grun_flux_m2_yr(1e-6), rel=1e-12)


def test_near_earth_altitude_ratios_match_handbook_table_2_3(handbook_text):
    """G x s_f ratio to 400 km vs the micro-meteoroid column of NASA/TM-2009-214785 Table 2-3 (within 2 %)."""
    rows = re.findall(r"^\s+(\d{3,4})\s+\S+\s+\S+\s+\S+\s+(\d\.\d\d)\s*$", handbook_text, flags=re.M)
    table = {int(a): float(r) for a, r in rows if int(a) in (300, 400, 500, 800, 1000, 1500)}
    assert len(table) == 6

    def g(h_km):
        return flux.gravitational_focusing_factor(h_km * 1e3) * flux.earth_shielding_factor(h_km * 1e3)

    for h, ratio in table.items():
        assert g(h) / g(400) == pytest.approx(ratio, rel=0.02), h


def test_meteoroid_3mm_flux_near_handbook_table_2_3():
    """>= 3 mm at 1 g/cm^3, 400 km: handbook (SSP 30425B) 2.79e-5 /m^2/yr. Grün + corrections differ as models
    do; we accept 20 % and document the gap (docs/cause.md)."""
    f = flux.meteoroid_flux_diameter_m2_s(3e-3, 400e3) * flux.SECONDS_PER_YEAR
    assert f == pytest.approx(2.79e-5, rel=0.20)


def test_meteoroid_1cm_flux_near_handbook_table_2_2():
    """>= 1 cm meteoroids on the 400 km cube (Table 2-2): 1.40e-6 over 6 m^2; Grün within 20 %."""
    f = flux.meteoroid_flux_diameter_m2_s(1e-2, 400e3) * flux.SECONDS_PER_YEAR
    assert f == pytest.approx(1.40e-6 / 6, rel=0.20)


def test_shielding_and_focusing_limits():
    assert flux.earth_shielding_factor(1e12) == pytest.approx(1.0, abs=1e-6)
    assert flux.gravitational_focusing_factor(1e12) == pytest.approx(1.0, abs=1e-4)
    assert flux.earth_shielding_factor(101e3) == pytest.approx(0.5, abs=0.01)
    with pytest.raises(PhysicsError):
        flux.earth_shielding_factor(50e3)


def test_transcribed_debris_tables_match_handbook_text(handbook_text):
    """Every number of Tables 2-3/2-4 in data/mmod_tables.toml appears on the handbook line of its row."""
    t = flux.handbook_tables()
    lines = handbook_text.splitlines()
    for alt, f in zip(t["table_2_3"]["altitude_km"], t["table_2_3"]["debris_flux_m2_yr"]):
        assert any(l.split()[:2] == [str(int(alt)), f"{f:.2E}"] for l in lines if l.split()), alt
    for year, f in zip(t["table_2_4"]["year"], t["table_2_4"]["debris_flux_m2_yr"]):
        token = f"{f:.2E}"
        assert any(str(year) in l.split() and token in l.split() for l in lines), year


@pytest.mark.parametrize("year,expected", [(2010, 9.92e-5), (2018, 1.19e-4), (2002, 6.25e-5)])
def test_debris_3mm_flux_reproduces_table_2_4(year, expected):
    """>= 3 mm debris flux at 400 km, 51.6 deg: NASA/TM-2009-214785 Table 2-4 (docs/reference/figures.md)."""
    f = flux.debris_flux_m2_s(3e-3, year=year, altitude_m=400e3) * flux.SECONDS_PER_YEAR
    assert f == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("alt_km,expected", [(300, 3.40e-5), (500, 2.05e-4), (800, 6.16e-4), (1500, 3.02e-4)])
def test_debris_3mm_flux_reproduces_table_2_3(alt_km, expected):
    """>= 3 mm, 2010, vs altitude: NASA/TM-2009-214785 Table 2-3."""
    f = flux.debris_flux_m2_s(3e-3, year=2010, altitude_m=alt_km * 1e3) * flux.SECONDS_PER_YEAR
    assert f == pytest.approx(expected, rel=1e-3)


def test_debris_size_nodes_reproduce_table_2_2():
    """Year 2002, 400 km: 0.1 mm and 1 cm nodes are the cube totals / 6 faces (Table 2-2)."""
    for d, total in [(1e-4, 21.3), (1e-2, 2.88e-6)]:
        f = flux.debris_flux_m2_s(d, year=2002) * flux.SECONDS_PER_YEAR
        assert f == pytest.approx(total / 6, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-5, 5e-2), st.floats(1.001, 3.0))
def test_debris_flux_decreasing_in_size(d, k):
    assert flux.debris_flux_m2_s(d * k) < flux.debris_flux_m2_s(d)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-18, 1e2), st.floats(1.001, 10.0))
def test_grun_decreasing_in_mass(m, k):
    assert flux.grun_flux_m2_yr(m * k) < flux.grun_flux_m2_yr(m)


def test_loglog_interpolation_is_power_law_between_nodes():
    d1, d2 = 1e-4, 3e-3
    f1, f2 = flux.debris_flux_m2_s(d1, 2002), flux.debris_flux_m2_s(d2, 2002)
    dm = math.sqrt(d1 * d2)
    assert flux.debris_flux_m2_s(dm, 2002) == pytest.approx(math.sqrt(f1 * f2), rel=1e-9)


def test_surface_factors_average_to_one():
    for pop in ("meteoroid", "debris"):
        faces = [flux.surface_factor(pop, s) for s in flux.SURFACES[1:]]
        assert np.mean(faces) == pytest.approx(1.0, rel=1e-3)  # table totals are rounded
    assert flux.surface_factor("debris", "ram") > flux.surface_factor("debris", "wake")
    with pytest.raises(PhysicsError):
        flux.surface_factor("debris", "sideways")


def test_speed_models_have_handbook_means():
    """Meteoroids average 19 km/s, debris ~9 km/s at 400 km (NASA/TM-2009-214785 §2.6)."""
    rng = np.random.default_rng(1)
    vm = flux.meteoroid_speed_sample_m_s(rng, 200_000)
    vd = flux.debris_speed_sample_m_s(rng, 200_000)
    assert vm.mean() == pytest.approx(19e3, rel=0.01)
    assert vd.mean() == pytest.approx(9e3, rel=0.01)
    assert vm.min() >= 11e3 and vm.max() <= 72e3
    v = np.linspace(0, 80e3, 80001)
    assert np.trapezoid(flux.meteoroid_speed_pdf(v), v) == pytest.approx(1.0, rel=1e-3)
    assert np.trapezoid(flux.debris_speed_pdf(v), v) == pytest.approx(1.0, rel=1e-3)


def test_angle_sample_is_cosine_law():
    th = flux.impact_angle_sample_rad(np.random.default_rng(2), 200_000)
    # mean of theta for p = sin(2 theta): pi/4
    assert th.mean() == pytest.approx(math.pi / 4, rel=0.01)
