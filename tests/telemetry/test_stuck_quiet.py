"""Stuck-sensor verdicts on quantized channels quieter than declared (issue 16, quantization).

A cabin thermometer at 0.1 degC resolution, declared with 0.1 degC noise, in a module whose temperature control
holds the air within a few hundredths of a kelvin for minutes, repeats one reading for 10-30 minutes: healthy.
a7270d1 called such channels "stuck" from the declared noise alone (the fifth generator, tests/generators/
fifthgen.py, in most of its records) and took them out of the detector's vote. A channel that really freezes
must still be called stuck.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from hullbreach.station import load_station
from hullbreach.telemetry import check_samples

QUAD = Path(__file__).parents[1] / "generators" / "fifthgen-quad.toml"


def _channel(values, cadence_s=30.0):
    t0 = pd.Timestamp("2026-03-14T00:00:00Z").value
    times = pd.to_datetime(t0 + (np.arange(len(values)) * cadence_s * 1e9).astype(np.int64), utc=True)
    return pd.DataFrame({"time": times, "channel": "lab.temperature", "value": values})


def _quiet_thermometer(seed, hours=24.0, cadence_s=30.0):
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, hours * 3600.0, cadence_s)
    # controlled cabin air: a slow wander of a few hundredths of a kelvin, a 92.7 min orbital ripple of 0.05 K,
    # sensor noise 0.02 K, quantized at 0.1 degC
    wander = np.cumsum(rng.normal(0, 0.002, t.size))
    wander -= np.convolve(wander, np.ones(121) / 121, mode="same") * 0.5
    true = 22.04 + 0.05 * np.sin(2 * np.pi * t / 5562.0) + wander + rng.normal(0, 0.02, t.size)
    return np.round(true / 0.1) * 0.1


def test_a_quiet_quantized_thermometer_is_not_stuck():
    station = load_station(QUAD)
    for seed in range(3):
        v = _quiet_thermometer(seed)
        # the record holds runs the declared noise (p = 0.28 per pair) calls stuck: >= 20 readings over 60 s
        eq = np.concatenate(([0], (v[1:] == v[:-1]).astype(int), [0]))
        runs = np.flatnonzero(np.diff(eq) == -1) - np.flatnonzero(np.diff(eq) == 1) + 1
        assert runs.max() >= 20
        frame = check_samples(_channel(v), station, strict=False, source="quiet.csv")
        rep = frame.channels["lab.temperature"]
        assert rep.trusted, rep.reason


def test_a_frozen_thermometer_is_still_stuck():
    station = load_station(QUAD)
    rng = np.random.default_rng(7)
    v = np.round((22.0 + np.cumsum(rng.normal(0, 0.03, 2880)) * 0.2 + rng.normal(0, 0.08, 2880)) / 0.1) * 0.1
    v[1000:1400] = v[1000]  # frozen for 3.3 h
    frame = check_samples(_channel(v), station, strict=False, source="frozen.csv")
    rep = frame.channels["lab.temperature"]
    assert not rep.trusted and rep.reason.startswith("stuck")
