"""The channel vote's median stays finite and warning-free for any finite values (absurd ones included): the
two middle values are halved before they are added. 17f9473 added them first and overflowed to inf with a
RuntimeWarning for two values near the largest float (detect/vote.py:43)."""

import math
import warnings

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hullbreach.detect.vote import median_list, nanmedian0

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(finite, min_size=1, max_size=6), min_size=1, max_size=4))
@example([[5e-324]])  # session 9 (hypothesis): the halves of the smallest subnormal round to 0.0, below the minimum
@example([[5e-324, 5e-324], [-5e-324]])
def test_median_of_finite_values_is_finite_and_warning_free(cols):
    n = max(len(c) for c in cols)
    a = np.full((n, len(cols)), np.nan)
    for j, c in enumerate(cols):
        a[: len(c), j] = c
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        med = nanmedian0(a)
        for j, c in enumerate(cols):
            one = median_list(list(a[:, j]))
            assert math.isfinite(med[j]) and min(c) <= med[j] <= max(c)
            assert one == med[j]


def test_two_huge_values():
    big = np.finfo(float).max
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nanmedian0(np.array([[big], [big]]))[0] == big
        assert median_list([big, big * 0.5]) == 0.75 * big


def test_same_bits_as_adding_first_for_ordinary_values():
    rng = np.random.default_rng(3)
    a = 101325.0 + rng.standard_normal((4, 1000)) * 30.0
    s = np.sort(a, axis=0)
    assert np.array_equal(nanmedian0(a), 0.5 * (s[1] + s[2]))
