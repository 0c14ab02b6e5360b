"""A thermometer that warms or cools ALONE is a suspicion, not a leak (issue 16, F3 and F2 of
docs/benchmarks/robust-fifth.md; :func:`hullbreach.detect.crosscheck.pressure_confirms`).

Records are built from the ideal gas at fixed mass and volume, ``p = p0 T_gas / T0`` (the pressure follows the
zone's mean gas temperature within the bin), with the thermometer reading something else:

* F3 (fifth generator, quad seed 1, ``test_fifthgen_detect.py``): a laptop beside a sealed module's only
  thermometer makes it read 1 K above the gas for 1.5 h; the credibility earned before credited that warming and
  the flat pressure was a loss. The cost case beside it: a leak while the gas itself warms 1 K keeps its credit.
* F2 (fifth generator, quad seed 100, 18:54): two crew exercising; the stratified thermometer shows ~40 % of the
  gas's swings (the pressure moved 2.6 x p / T per kelvin of it in the 1.5 h before); the gas then cools 0.8 K and
  the thermometer shows 0.32 K of it: the pressure's fall, credited with only 0.32 K, was a loss.
"""

import math

import numpy as np

from hullbreach.detect.crosscheck import pressure_confirms, span_follow

BIN_S = 60.0
P0, T0 = 101300.0, 295.0
ORBIT_S = 5556.0


def _history(n: int, gas_swing_k: float, seen: float, rng) -> tuple:
    """``n`` bins of gas orbital swings (amplitude ``gas_swing_k`` [K]) read by a thermometer that shows the
    share ``seen`` of them: (gas T [K], thermometer T [K])."""
    t = np.arange(n, dtype=float)
    gas = T0 + gas_swing_k * np.sin(2 * math.pi * t * BIN_S / ORBIT_S)
    return gas, T0 + seen * (gas - T0) + 0.01 * rng.standard_normal(n)


def _ramp(m: int, k: float, tau_bins: float) -> np.ndarray:
    """A first-order approach to ``k`` [K] over ``m`` bins with time constant ``tau_bins``."""
    return k * (1.0 - np.exp(-np.arange(m, dtype=float) / tau_bins))


def _record(gas_extra: np.ndarray, thermo_extra: np.ndarray, leak_pa_per_bin: float, seen: float = 1.0,
            seed: int = 3) -> tuple:
    """6 h of credible history, then the span (``len(gas_extra)`` bins) where the gas and the thermometer get
    their own extra temperatures [K] and a leak takes ``leak_pa_per_bin`` [Pa]; 5 Pa white gauge noise."""
    rng = np.random.default_rng(seed)
    n0, m = 360, len(gas_extra)
    gas, th = _history(n0 + m, 0.15, seen, rng)
    gas[n0:] += gas_extra
    th[n0:] += thermo_extra
    p = P0 * gas / T0 + 5.0 * rng.standard_normal(n0 + m)
    p[n0:] -= leak_pa_per_bin * np.arange(m)
    return p, th, np.ones(n0 + m, dtype=bool), n0


def test_a_thermometer_warmed_alone_by_a_laptop_is_no_loss():
    """F3: the thermometer reads +1 K (10 min time constant) for 90 min, the gas does not warm, no leak. On
    aabd4c5 the credited warming (1 K x p / T = 343 Pa) made the flat pressure a confirmed loss."""
    m = 90
    p, T, real, n0 = _record(np.zeros(m), _ramp(m, 1.0, 10.0), 0.0)
    ok, why = pressure_confirms(p, T, real, 0, n0, BIN_S)
    assert not ok
    assert "not credited" in why
    follow, se = span_follow(p[n0:], T[n0:], real[n0:], P0 / T0)
    assert follow + 2 * se < 0.5


def test_a_leak_while_the_gas_really_warms_keeps_the_warming_credited():
    """The cost case the session-8 coordinator's reverted rule failed: the gas (and its thermometer) warm 1 K
    over 90 min while a leak takes 2 Pa/min (0.9 mmHg/h, the pressure's net change +163 Pa: a rise): the pressure
    follows the warming's shape, the warming keeps its credit and the loss is confirmed."""
    m = 90
    warm = _ramp(m, 1.0, 10.0)
    p, T, real, n0 = _record(warm, warm, 2.0)
    ok, why = pressure_confirms(p, T, real, 0, n0, BIN_S)
    assert ok, why
    follow, se = span_follow(p[n0:], T[n0:], real[n0:], P0 / T0)
    assert abs(follow - 1.0) < 3 * se + 0.1


def test_a_cooling_a_stratified_thermometer_shows_in_part_is_no_loss():
    """F2: the thermometer shows 40 % of the gas's swings; the gas cools 0.8 K in 30 min after exercise and then
    holds, the thermometer shows 0.32 K of it; no leak. On aabd4c5 the cooling was credited at most 1 x p / T per
    kelvin of the thermometer (110 Pa of the 275 Pa fall) and the rest was a confirmed loss."""
    m = 60
    cool = -_ramp(m, 0.8, 8.0)
    p, T, real, n0 = _record(cool, 0.4 * cool, 0.0, seen=0.4)
    assert not pressure_confirms(p, T, real, 0, n0, BIN_S)[0]


def test_a_leak_after_the_cooling_with_a_stratified_thermometer_is_confirmed():
    """The same stratified thermometer and cooling, with a leak of 3 Pa/min (1.4 mmHg/h) that goes on after the
    cooling stops: confirmed (the leak's signature is a fall that persists when the temperature holds)."""
    m = 120
    cool = -_ramp(m, 0.8, 8.0)
    p, T, real, n0 = _record(cool, 0.4 * cool, 3.0, seen=0.4)
    ok, why = pressure_confirms(p, T, real, 0, n0, BIN_S)
    assert ok, why
