"""A warming only the thermometers show is not a leak (issue 16: "a leak must appear in the pressure itself";
"a change carried only by temperature is reported as a thermometer suspicion, not as a leak").

Found by hb8-dgen on the fifth generator (tests/generators/fifthgen.py, written blind): a laptop or an exercise
machine beside a sealed module's only thermometer reads ~1 K above the gas for an hour while the N2 partial pressure
stays flat. The thermometer had followed the gas through the quiet hours before (credibility ~1), so
``pressure_confirms`` credited its warming as gas warming the pressure "should" have shown, and the flat pressure
passed as a loss (a7270d1: an N2-track LEAK, -0.7 mmHg/h, beside its own thermometer suspicion).
"""
import numpy as np

from hullbreach.detect.crosscheck import CREDIBILITY_BINS, pressure_confirms

BIN_S = 60.0
P0, T0 = 79_000.0, 295.0


def _history(n: int, seed: int = 0):
    """A thermometer that follows the gas: orbital swings 0.3 K, the pressure moving with them (p/T)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) * BIN_S
    T = T0 + 0.3 * np.sin(2 * np.pi * t / 5_520.0) + rng.normal(0.0, 0.005, n)
    p = P0 * T / T0 + rng.normal(0.0, 1.0, n)
    return p, T


def test_a_flat_pressure_under_a_warming_thermometer_is_a_suspicion_not_a_loss():
    p, T = _history(CREDIBILITY_BINS)
    n = 60  # one hour after the "onset": the thermometer warms 1 K (a laptop beside it), the pressure stays flat
    rng = np.random.default_rng(1)
    p_after = np.full(n, p[-1]) + rng.normal(0.0, 1.0, n)
    T_after = T[-1] + np.linspace(0.0, 1.0, n)
    ok, why = pressure_confirms(np.r_[p, p_after], np.r_[T, T_after], np.ones(len(p) + n, bool), 0, len(p), BIN_S)
    assert not ok
    assert "thermometer suspicion" in why


def test_a_loss_the_pressure_shows_is_still_confirmed_while_the_thermometer_warms():
    p, T = _history(CREDIBILITY_BINS)
    n = 60
    rng = np.random.default_rng(2)
    p_after = p[-1] - np.linspace(0.0, 120.0, n) + rng.normal(0.0, 1.0, n)  # 120 Pa lost in an hour
    T_after = T[-1] + np.linspace(0.0, 1.0, n)
    ok, _ = pressure_confirms(np.r_[p, p_after], np.r_[T, T_after], np.ones(len(p) + n, bool), 0, len(p), BIN_S)
    assert ok


def test_a_flat_pressure_under_a_cooling_thermometer_is_no_loss():
    p, T = _history(CREDIBILITY_BINS)
    n = 60
    rng = np.random.default_rng(3)
    p_after = np.full(n, p[-1]) + rng.normal(0.0, 1.0, n)
    T_after = T[-1] - np.linspace(0.0, 1.0, n)
    assert not pressure_confirms(np.r_[p, p_after], np.r_[T, T_after], np.ones(len(p) + n, bool), 0, len(p), BIN_S)[0]
