"""A short record's Welch segments (issue 13, session 9).

The finite-difference benchmark's recordings (``benchmarks/locate_fd.py``: 0.40 x 0.30 m, 1.9 mm AMg6,
12 sensors 3 cm inside the edges, 12 ms at 1 MHz) have a largest pair delay τ of 0.29 ms (0.41 m at the
A0 group speed at 30 kHz, 1420 m/s). The segment rule asks for ≥ 8 τ = 2329 samples; rounded up to the next
power of two that was 4096, which leaves 4 Welch segments of 12 000 samples (aabd4c5): the pair coherences
are averaged over 4 segments and the map's peak stood only 2–5 dB over the detection threshold with the
leak alone (docs/benchmarks/locate.md, session 8). The shortest fast FFT length that keeps the rule gives 9
(``pairtables.segment_length``, ``MIN_SEGMENTS``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from hullbreach.locate import pairtables as pt
from hullbreach.locate.localize import locate
from hullbreach.locate.signals import Recording
from hullbreach.locate.wall import load_wall

from tests.generators.plate_images import perimeter

FD_WALL_TOML = """name = "FD benchmark panel (declared)"
thickness_m = 0.0019
width_m = 0.40
height_m = 0.30
material = "amg6"

[[stiffener]]
direction = "x"
position_m = 0.19
kind = "integral stiffener"
"""
BAND = (30e3, 150e3)


def _segments(n_samples: int, nseg: int) -> int:  # as pairtables.cross_spectra counts them (50 % overlap)
    return 1 + (n_samples - nseg) // (nseg // 2)


def _tau_samples(wall, sensors, fs_hz):  # the largest pair delay [samples], slowest A0 group speed in the band
    d = max(math.dist(a, b) for a in sensors for b in sensors)
    cg = float(np.min(wall.dispersion(f_max_hz=fs_hz / 2).group(np.linspace(*BAND, 64), "A0")))
    return d / cg * fs_hz


def test_a_short_record_gets_enough_welch_segments(tmp_path):
    (tmp_path / "wall.toml").write_text(FD_WALL_TOML)
    wall = load_wall(tmp_path / "wall.toml")
    sensors = perimeter(12, 0.40, 0.30, 0.03)
    tau = _tau_samples(wall, sensors, 1e6)
    rec = Recording(1e6, sensors, np.zeros((12, 12_000)))
    n = pt.segment_length(rec, wall, BAND)
    assert n >= 8 * tau  # the rule (phase turn per bin ≤ π/4, coherence lost to the delay ≤ 1/8) is kept
    assert _segments(12_000, n) >= 8  # aabd4c5: 4096 samples, 4 segments
    assert n % 2 == 0


def test_a_long_record_keeps_its_power_of_two_segments(tmp_path):
    """0.1 s and more (the image-source benchmarks, the timing case) have ≥ 20 segments: unchanged."""
    (tmp_path / "wall.toml").write_text(FD_WALL_TOML)
    wall = load_wall(tmp_path / "wall.toml")
    sensors = perimeter(12, 0.40, 0.30, 0.03)
    tau = _tau_samples(wall, sensors, 1e6)
    n = pt.segment_length(Recording(1e6, sensors, np.zeros((12, 100_000))), wall, BAND)
    assert n == 1 << math.ceil(math.log2(max(1024, 8 * tau)))


def test_the_fd_leak_behind_the_stiffener_is_placed_closer(tmp_path):
    """The 12 ms FD recording of ``tests/locate/test_fd_radius.py`` (case #3 of ``benchmarks/locate_fd.py``: the
    leak at (0.11, 0.25) m behind a scattering stiffener). With 4 Welch segments (aabd4c5) the answer was 23.7 mm
    off; with 9, 8.3 mm, inside its 95 % radius."""
    z = np.load(Path(__file__).resolve().parents[1] / "data" / "locate" / "fd_behind_stiffener.npz")
    (tmp_path / "wall.toml").write_text(FD_WALL_TOML)
    wall = load_wall(tmp_path / "wall.toml")
    res = locate(wall, Recording(float(z["fs_hz"]), z["sensor_positions_m"], z["signals"].astype(float)), band_hz=BAND)
    err = math.dist(res.position_m, (0.11, 0.25))
    assert err < 0.015 and err <= res.uncertainty_radius_m, (err, res.uncertainty_radius_m)
