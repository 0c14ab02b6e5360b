"""Unit tables: conversions at the edges (NIST SP 811 factors) and unit mix-up hints."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hullbreach.constants import PA_PER_MMHG
from hullbreach.errors import UnitError
from hullbreach.units import check_unit_for_quantity, from_si, guess_unit, to_si, unit_kind


def test_known_factors():
    # NIST SP 811 B.8: 1 mmHg = 133.3224 Pa, 1 psi = 6894.757 Pa, 1 torr = 101325/760 Pa.
    assert to_si(1.0, "mmHg") == pytest.approx(133.3224, rel=1e-6)
    assert to_si(1.0, "psi") == pytest.approx(6894.757, rel=1e-6)
    assert to_si(760.0, "torr") == pytest.approx(101325.0, rel=1e-12)
    assert to_si(14.7, "psi") / PA_PER_MMHG == pytest.approx(760.2, abs=0.1)
    assert to_si(22.0, "degC") == pytest.approx(295.15)
    assert to_si(32.0, "degF") == pytest.approx(273.15)
    assert to_si(1013.25, "mbar") == pytest.approx(101325.0)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(["Pa", "kPa", "mmHg", "torr", "psi", "mbar", "K", "degC", "degF", "mm", "g"]))
def test_round_trip(value, unit):
    assert from_si(to_si(value, unit), unit) == pytest.approx(value, rel=1e-12, abs=1e-9)


def test_arrays_convert_elementwise():
    a = np.array([700.0, 755.0])
    assert np.allclose(to_si(a, "mmHg"), a * PA_PER_MMHG)


def test_unknown_unit_names_the_choices():
    with pytest.raises(UnitError, match="unknown unit 'furlong'.*mmHg"):
        unit_kind("furlong")


def test_unit_must_fit_quantity():
    check_unit_for_quantity("mmHg", "ppn2")
    with pytest.raises(UnitError, match="temperature unit"):
        check_unit_for_quantity("degC", "pressure")
    with pytest.raises(UnitError, match="unknown quantity"):
        check_unit_for_quantity("Pa", "humidity")


def test_guess_unit_explains_psi_on_a_mmhg_channel():
    # 14.7 on a mmHg channel is 1960 Pa: impossible for a cabin; as psi it is one atmosphere.
    assert guess_unit(14.7, "pressure", "mmHg") == "psi"
    assert guess_unit(101.3, "pressure", "mmHg") == "kPa"
    assert guess_unit(295.0, "temperature", "degC") == "K"
    assert guess_unit(-1e9, "pressure", "mmHg") is None
    assert math.isfinite(to_si(14.7, "psi"))
