"""A wall that rings: echoes outweigh the direct sound (issue 13, second generator).

On the finite-difference Mindlin plate (tests/generators/plate_fd.py) with free edges and a loss factor of
0.3 % (an isolated aluminium panel), the reverberant field carries several times the direct sound's
correlation. The localizer's map, its surrogate threshold and its 95 % radius all assume the direct sound
dominates; before this check (17f9473) it answered the recording below "found", 31 mm from the leak with
a 14 mm radius (band 30-150 kHz). Now it measures the echoes (calibrate.echo_ratio), reports them, and
is never "found" there.
"""

from __future__ import annotations

import numpy as np
import pytest

from hullbreach.locate.calibrate import ECHO_LIMIT, echo_ratio, ringing_reason
from hullbreach.locate.lamb import material
from hullbreach.locate.localize import locate
from hullbreach.locate.signals import Recording
from hullbreach.locate.wall import Wall
from tests.generators import plate_fd as fd
from tests.generators.plate_images import perimeter

W, H = 0.16, 0.12
LEAK = (0.06, 0.05)


@pytest.fixture(scope="module")
def ringing():
    """3 ms of a 0.16 x 0.12 m, 1.9 mm AMg6 plate with free edges, η 0.3 %, 8 sensors (~5-20 s)."""
    sens = perimeter(8, W, H, 0.02)
    plate = fd.FDPlate(W, H, 0.0019, loss_factor_100khz=3e-3, dx_m=2e-3)
    rec = fd.simulate(plate, sens, [fd.PointForce(LEAK, (20e3, 160e3))], duration_s=0.003, spinup_s=0.0005,
                      snr_db=6.0, seed=1)
    return Recording(1e6, sens, rec.signals)


def test_echoes_of_a_ringing_plate_outweigh_the_direct_sound(ringing):
    e = echo_ratio(ringing.signals, ringing.sensor_positions_m, 1e6, (30e3, 150e3), 1100.0)
    assert e.interval[0] > ECHO_LIMIT  # measured 3.5 [2.9, 4.2]
    assert "rings" in ringing_reason(e)


def test_independent_noise_has_no_echo_ratio(ringing):
    x = np.random.default_rng(2).standard_normal(ringing.signals.shape)
    e = echo_ratio(x, ringing.sensor_positions_m, 1e6, (30e3, 150e3), 1100.0)
    assert np.isnan(e.ratio) and ringing_reason(e) is None


def test_direct_sound_alone_has_no_echoes():
    """Two sensors hearing one source's direct sound only (a pure delay): every correlation is in the window."""
    rng = np.random.default_rng(3)
    s = rng.standard_normal(20000)
    x = np.stack([s[100:10100], s[40:10040], s[:10000]]) + 0.3 * rng.standard_normal((3, 10000))
    sens = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.15]])
    e = echo_ratio(x, sens, 1e6, (30e3, 150e3), 1000.0)
    assert e.ratio < 0.05


def test_a_ringing_wall_is_never_found(ringing):
    wall = Wall(0.0019, W, H, material("amg6"))
    res = locate(wall, ringing, band_hz=(30e3, 150e3))  # the generator's band (numerical dispersion <= 1 %)
    rev = res.calibration["reverberation"]["echo_to_direct"]
    assert rev["low"] > ECHO_LIMIT
    assert res.status != "found"
    assert "the wall rings" in res.message
