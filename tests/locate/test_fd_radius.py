"""The 95 % radius on a wall its model does not describe: the finite-difference plate (issue 13).

Recording: ``tests/data/locate/fd_behind_stiffener.npz``, case 3 of ``benchmarks/locate_fd.py`` (built by
``tests/data/locate/make_fd_fixture.py``): a Mindlin plate simulated on a grid (tests/generators/plate_fd.py,
no code shared with hullbreach.locate), 0.40 x 0.30 m, 1.9 mm AMg6, free edges, a 3 x thick integral stiffener
strip at y = 0.19 m that scatters (reflects 40 %, transmits 51 %), the leak behind it at (0.11, 0.25) m. The
wall file declares the plate exactly (with the stiffener as a line). On a7270d1 the answer was 23.7 mm off
with a 10.9 mm radius (the sensor bootstrap searched only ±8 mm), and on the first 8 ms of the same record
"found" 63.7 mm off with a 26.7 mm radius.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from hullbreach.locate import resolution as reso
from hullbreach.locate import srp
from hullbreach.locate.localize import locate
from hullbreach.locate.signals import Recording
from hullbreach.locate.wall import load_wall

DATA = Path(__file__).resolve().parents[1] / "data" / "locate" / "fd_behind_stiffener.npz"
LEAK_M = (0.11, 0.25)
BAND_HZ = (30e3, 150e3)  # the grid's valid band (benchmarks/locate_fd.py)
WALL_TOML = """name = "FD benchmark panel 0.40 x 0.30 m, 1.9 mm AMg6 (declared)"
thickness_m = 0.0019
width_m = 0.4
height_m = 0.3
material = "amg6"

[[stiffener]]
direction = "x"
position_m = 0.19
kind = "integral stiffener"
"""


@pytest.fixture(scope="module")
def fd_case(tmp_path_factory):
    path = tmp_path_factory.mktemp("fd") / "wall.toml"
    path.write_text(WALL_TOML)
    z = np.load(DATA)
    return load_wall(path), z


def _locate(fd_case, n_samples=None):
    wall, z = fd_case
    sig = z["signals"].astype(float)[:, :n_samples]
    return locate(wall, Recording(float(z["fs_hz"]), z["sensor_positions_m"], sig), band_hz=BAND_HZ)


def test_radius_covers_a_leak_behind_a_scattering_stiffener(fd_case):
    res = _locate(fd_case)
    err = math.dist(res.position_m, LEAK_M)
    # never "found" at the wrong place (aabd4c5: 23.7 mm off, "ambiguous"; since session 9 the 12 ms record has
    # 9 Welch segments, not 4: 8 mm off, "found" at P 0.80, its 41 mm radius covering the leak)
    assert res.status != "found" or err <= 0.03
    assert err <= res.uncertainty_radius_m, (err, res.uncertainty_radius_m)


def test_short_record_where_the_sensors_disagree_is_never_found(fd_case):
    res = _locate(fd_case, 8000)  # the first 8 ms
    assert res.position_m is None or res.status != "found"
    if res.position_m is not None:
        assert "do not agree" in res.message or "unreliable" in res.message


def _tables(sensors, lobes_at):
    """Pair tables (P, D) with one unit Gaussian lobe per pair at the path difference of ``lobes_at[p]``."""
    pi, pj = np.triu_indices(len(sensors), 1)
    d0, dd, n = -1.0, 5e-4, 4001
    d = d0 + dd * np.arange(n)
    real = np.zeros((len(pi), n), dtype=np.float32)
    for p, x in enumerate(lobes_at):
        delta = srp.pair_deltas(sensors, pi[p:p + 1], pj[p:p + 1], np.asarray(x, float)[None, :])[0, 0]
        real[p] = np.exp(-0.5 * ((d - delta) / 2e-3) ** 2)
    return SimpleNamespace(d0=d0, dd=dd, pi=pi, pj=pj), real


def _weights(n_sensors, pi, pj, b=100, seed=0):
    boot = np.random.default_rng(seed).multinomial(n_sensors, np.full(n_sensors, 1 / n_sensors), size=b).astype(float)
    w = boot[:, pi] * boot[:, pj]
    return w / w.sum(axis=1, keepdims=True)


def test_bootstrap_radius_small_when_pairs_agree_large_when_they_do_not():
    wall = SimpleNamespace(width_m=0.4, height_m=0.3)
    ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    sensors = np.c_[0.2 + 0.15 * np.cos(ang), 0.15 + 0.12 * np.sin(ang)]
    x, y = np.array([0.20, 0.15]), np.array([0.23, 0.15])  # 30 mm apart
    tabs, real = _tables(sensors, [x] * 66)
    w = _weights(12, tabs.pi, tabs.pj)
    assert reso.bootstrap_radius(tabs, real, sensors, wall, x, [1.0], w) <= 3e-3
    # the pairs of sensors 0-5 point at x, the others at y (a scatterer shifting some paths): the resamples'
    # peaks move between the two, and the radius must reach the other one
    lobes = [x if (i < 6 and j < 6) else y for i, j in zip(tabs.pi, tabs.pj)]
    tabs, real = _tables(sensors, lobes)
    assert reso.bootstrap_radius(tabs, real, sensors, wall, y, [1.0], w) >= 0.025
