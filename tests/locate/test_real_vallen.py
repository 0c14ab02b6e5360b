"""Validation on a real acoustic-emission recording: Vallen's 4-channel steel-plate example event.

Data: pyVallenAE examples/steel_plate (MIT), see tests/data/locate/README.md. It is a burst on a steel
plate of unstated thickness, not leak hiss, so it cannot check the localizer's accuracy on a leak. What it
checks: (1) the fixture is the event Vallen located (threshold crossings reproduce Vallen's hit times);
(2) Vallen's own example localisation, reproduced; (3) on this real recording — 4 sensors, thickness
unknown — the localizer never calls an answer certain.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from hullbreach.locate.lamb import Material
from hullbreach.locate.localize import locate
from hullbreach.locate.signals import load_recording
from hullbreach.locate.wall import Wall

DATA = Path(__file__).parents[1] / "data" / "locate" / "vallen_steel_plate_burst.npz"
VALLEN_XY_M = (0.222, 0.366)  # ex5_location.py result (LUCY, 5000 m/s), README of the fixture
STEEL = Material("steel (generic)", 200e9, 0.29, 7850.0, "generic carbon steel handbook values")


@pytest.fixture(scope="module")
def z():
    with np.load(DATA) as f:
        return {k: f[k] for k in f.files}


def test_fixture_is_the_event_vallen_located(z):
    """First threshold crossing of each aligned channel = Vallen's hit time, within 3 µs (1 MHz samples)."""
    x, thr = z["signals"], float(z["vallen_threshold_v"])
    cross = np.argmax(np.abs(x) > thr, axis=1) / float(z["fs_hz"]) + float(z["start_time_s"])
    hit = dict(zip(z["vallen_hit_channels"].tolist(), z["vallen_hit_times_s"].tolist()))
    for i, ch in enumerate(z["channels"].tolist()):
        assert abs(cross[i] - hit[ch]) < 3e-6


def test_vallen_example_localisation_reproduced(z):
    """LUCY (Vallen: RMS of the path-difference residuals over n − 1) on the hit times at 5000 m/s."""
    pos = dict(zip(z["channels"].tolist(), map(tuple, z["sensor_positions_m"])))
    ch = z["vallen_hit_channels"].tolist()
    p = np.array([pos[c] for c in ch])
    dt = np.asarray(z["vallen_hit_times_s"]) - z["vallen_hit_times_s"][0]
    v = float(z["vallen_velocity_m_s"])

    def lucy(xy):
        d = np.hypot(*(np.asarray(xy)[None, :] - p).T)
        return np.linalg.norm((d[1:] - d[0]) - v * dt[1:]) / np.sqrt(len(p) - 1)

    g = np.arange(0.0, 0.8, 0.005)
    best = min(((lucy((a, b)), (a, b)) for a in g for b in g))[1]
    res = minimize(lucy, best, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-9})
    assert np.hypot(*(res.x - VALLEN_XY_M)) < 2e-3 and res.fun < 2e-3


@pytest.mark.parametrize("thickness_m", [0.002, 0.005])
def test_localizer_on_the_real_burst_never_claims_certainty(thickness_m):
    """Thickness unstated, 4 sensors, a burst: whatever the localizer says, it must not say "found"."""
    rec = load_recording(DATA)
    r = locate(Wall(thickness_m, 0.8, 0.8, STEEL, name="Vallen steel plate"), rec)
    assert r.status in ("ambiguous", "no source")
    if r.position_m is not None:
        assert "unreliable" in r.message
    else:
        assert r.candidates == ()
