"""Recording format checks and the wall-noise simulator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.errors import LocalizationError
from hullbreach.locate.lamb import material
from hullbreach.locate.signals import (
    Recording,
    equipment,
    leak,
    load_recording,
    perimeter_sensors,
    propagation_paths,
    recording_from_arrays,
    ring_array,
    simulate,
)
from hullbreach.locate.wall import Stiffener, Wall

WALL = Wall(0.002, 1.0, 1.0, material("al-6061"))


def _ok():
    return 1e6, np.array([[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]]), np.random.default_rng(0).standard_normal((3, 1000))


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda fs, p, s: (np.array([1e6, 2e6]), p, s), "fs_hz must be a scalar"),
        (lambda fs, p, s: (-5.0, p, s), "fs_hz must be a finite number > 0"),
        (lambda fs, p, s: (fs, p[:, :1], s), r"sensor_positions_m must have shape \(N, 2\)"),
        (lambda fs, p, s: (fs, p, s[0]), r"signals must have shape \(N, T\)"),
        (lambda fs, p, s: (fs, p, s[:2]), "signals has 2 rows but sensor_positions_m has 3"),
        (lambda fs, p, s: (fs, p[:2], s[:2]), "at least 3 sensors"),
        (lambda fs, p, s: (fs, p, np.where(np.arange(1000) == 7, np.nan, s)), r"NaN or infinite samples \(sensor row\(s\) 0, 1, 2"),
        (lambda fs, p, s: (fs, np.where(p == 0.9, np.nan, p), s), "sensor_positions_m contains NaN"),
        (lambda fs, p, s: (fs, np.array([[0.1, 0.1], [0.1, 0.1], [0.5, 0.9]]), s), "sensors 0 and 1 are at the same"),
        (lambda fs, p, s: (fs, p, np.vstack([s[:2], np.zeros(1000)])), r"sensor row\(s\) \[2\] are constant"),
        (lambda fs, p, s: (fs, p, s.astype(str)), "signals must be numeric"),
    ],
)
def test_malformed_recordings_name_the_problem(mutate, match):
    with pytest.raises(LocalizationError, match=match):
        recording_from_arrays(*mutate(*_ok()))


def test_npz_roundtrip_and_missing_keys(tmp_path):
    rec = recording_from_arrays(*_ok())
    p = rec.save(tmp_path / "rec.npz")
    back = load_recording(p)
    assert back.fs_hz == 1e6 and np.array_equal(back.signals, rec.signals)
    np.savez(tmp_path / "bad.npz", fs_hz=1e6, signals=rec.signals)
    with pytest.raises(LocalizationError, match="missing key.*sensor_positions_m"):
        load_recording(tmp_path / "bad.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(LocalizationError, match="cannot read"):
        load_recording(tmp_path / "junk.npz")
    with pytest.raises(LocalizationError, match="recording not found"):
        load_recording(tmp_path / "none.npz")


@settings(max_examples=40, deadline=None)
@given(
    sx=st.floats(0.01, 0.99), sy=st.floats(0.01, 0.99),
    rx=st.floats(0.01, 0.99), ry=st.floats(0.01, 0.99),
)
def test_paths_direct_is_euclidean_and_images_are_longer(sx, sy, rx, ry):
    """Image sources across the edges are never closer than the direct path (method of images)."""
    L, a = propagation_paths(WALL, (sx, sy), np.array([[rx, ry]]), edge_reflection=0.8, reflection_order=2)
    assert L[0, 0] == pytest.approx(np.hypot(sx - rx, sy - ry))
    assert np.all(L[0, 1:] >= L[0, 0] - 1e-12)
    assert L.shape[1] == 9
    assert a[0, 0] == 1.0 and np.allclose(a[0, 1:5], 0.8) and np.allclose(a[0, 5:], 0.64)


def test_stiffener_transmission_and_reflection():
    w = Wall(0.002, 1.0, 1.0, material("al-6061"), (Stiffener("x", 0.5, transmission=0.6),))
    L, a = propagation_paths(w, (0.5, 0.2), np.array([[0.5, 0.8], [0.5, 0.4]]), reflection_order=0)
    # across the frame: direct path x T, no stiffener echo; same side: direct 1, echo sqrt(1-T^2) at 0.3+0.1
    assert a[0, 0] == pytest.approx(0.6) and a[0, 1] == 0.0
    assert a[1, 0] == pytest.approx(1.0) and a[1, 1] == pytest.approx(0.8)
    assert L[1, 1] == pytest.approx(0.3 + 0.1)


def test_cylindrical_spreading_without_damping():
    """Far from the source and without damping/reflections, A0 amplitude falls as 1/sqrt(r) (Graff 1975 §8.2)."""
    pos = np.array([[0.5, 0.6], [0.5, 0.9], [0.9, 0.2]])
    rec = simulate(WALL, pos, [leak((0.5, 0.5))], fs_hz=1e6, duration_s=0.02, snr_db=None, self_noise_rms=0.0,
                   loss_factor=0.0, reflection_order=0, s0_fraction=0.0, seed=3)
    rms = rec.signals.std(axis=1)
    assert rms[0] / rms[1] == pytest.approx(2.0, rel=0.05)


def test_snr_is_per_sensor():
    pos = perimeter_sensors(WALL, 6)
    clean = simulate(WALL, pos, [leak((0.3, 0.4))], duration_s=0.01, snr_db=None, self_noise_rms=0.0, seed=1)
    noisy = simulate(WALL, pos, [leak((0.3, 0.4))], duration_s=0.01, snr_db=0.0, seed=1)
    ratio = noisy.signals.var(axis=1) / clean.signals.var(axis=1)
    assert np.allclose(ratio, 2.0, rtol=0.1)  # 0 dB: noise variance = signal variance


def test_equipment_spectrum_is_low_frequency():
    pos = perimeter_sensors(WALL, 4)
    rec = simulate(WALL, pos, [equipment((0.5, 0.5), 1.0)], duration_s=0.02, snr_db=None, self_noise_rms=0.0, seed=2)
    spec = np.abs(np.fft.rfft(rec.signals[0])) ** 2
    f = np.fft.rfftfreq(rec.signals.shape[1], 1e-6)
    assert spec[f < 40e3].sum() > 10 * spec[f > 100e3].sum()


def test_helpers_geometry():
    ring = ring_array((0.5, 0.5), 8, 0.1)
    assert np.allclose(np.hypot(*(ring - 0.5).T), 0.1)
    per = perimeter_sensors(WALL, 12, margin_m=0.05)
    assert WALL.contains(per).all() and len(per) == 12
    assert isinstance(simulate(WALL, per[:3], [leak((0.5, 0.5))], duration_s=0.001), Recording)
