"""A thermometer shown not to represent the gas (its swings do not move the pressure) leaves the gas temperature
unmeasured: an air-mass loss carried by its slow warming is confirmed only when the pressure's own fall exceeds the
track's allowance and what unmeasured temperature swings make (issue 16's cross-check; hb7-dreal's Astro Pi Mk II
recording: a board thermometer 10 K above the cabin warmed 1.6 K while the pressure fell at the crew's O2 use, a
false LEAK on 17f9473)."""

import math

import numpy as np

from hullbreach.detect.config import PRESSURE_ONLY_SWINGS
from hullbreach.detect.crosscheck import pressure_confirms

BIN_S = 60.0


def _record(follows: bool, fall_pa_per_bin: float, seed: int = 4):
    """20 h at 60 s: a board thermometer warming 1.6 K with its own 0.2 K swings (92.6 min), the pressure falling
    ``fall_pa_per_bin`` (and following the thermometer's swings when ``follows``)."""
    rng = np.random.default_rng(seed)
    n = 1200
    t = np.arange(n, dtype=float)
    swing = 0.2 * np.sin(2 * math.pi * t * BIN_S / 5556.0)
    T = 306.0 + 1.6 * t / n + swing + 0.01 * rng.standard_normal(n)
    p = 101300.0 - fall_pa_per_bin * t + 1.0 * rng.standard_normal(n)
    if follows:
        p = p + 101300.0 / 306.0 * (T - T.mean())
    return p, T, np.ones(n, dtype=bool)


def test_pressure_fall_within_unmeasured_swings_is_not_a_leak():
    p, T, real = _record(follows=False, fall_pa_per_bin=0.15)  # 180 Pa in 20 h: a crew's O2 use, no leak
    ok, why = pressure_confirms(p, T, real, 0, 360, BIN_S, 0.0, PRESSURE_ONLY_SWINGS)
    assert not ok
    assert "does not follow the thermometers" in why
    # the old check (no unmeasured swings): the same fall, 3 standard errors of the gauge noise, "confirmed"
    assert pressure_confirms(p, T, real, 0, 360, BIN_S)[0]


def test_a_leak_still_shows_in_the_pressure():
    p, T, real = _record(follows=False, fall_pa_per_bin=4.0)  # 0.03 mmHg/min: beyond any unmeasured swing
    assert pressure_confirms(p, T, real, 0, 360, BIN_S, 0.0, PRESSURE_ONLY_SWINGS)[0]


def test_a_thermometer_that_follows_the_gas_keeps_the_old_check():
    p, T, real = _record(follows=True, fall_pa_per_bin=0.3)
    got = pressure_confirms(p, T, real, 0, 360, BIN_S, 0.0, PRESSURE_ONLY_SWINGS)
    assert got == pressure_confirms(p, T, real, 0, 360, BIN_S)


def test_the_allowance_is_taken_off_the_pressure_fall():
    p, T, real = _record(follows=True, fall_pa_per_bin=0.3)
    assert pressure_confirms(p, T, real, 0, 360, BIN_S)[0]
    assert not pressure_confirms(p, T, real, 0, 360, BIN_S, allow_pa=0.5)[0]
