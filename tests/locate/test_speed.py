"""The fast paths of the localizer give the answers of plain computations (issue 13, "one localization < 2 s").

The compiled look-up loop (``locate/_srp_jit.py``) stands for a NumPy expression; the hidden layer
eigen-decomposes only the frequency bins the tables read. Each is checked against a plain computation
written here, and a whole localization on a recording of the independent generator
(``tests/generators/plate_images.py``) must give the same positions and candidates with the plain look-up.
No timing here (speed is measured in ``benchmarks/locate_bench.py --cases timing``).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from hullbreach.locate import localize, srp
from hullbreach.locate._srp_jit import _pairwise_sum
from hullbreach.locate.lamb import material
from hullbreach.locate.signals import Recording
from hullbreach.locate.wall import Stiffener, Wall

_spec = importlib.util.spec_from_file_location("plate_images", Path(__file__).parents[1] / "generators" / "plate_images.py")
gen = sys.modules.setdefault("plate_images", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(gen)


def plain_lookup(table, d0, dd, delta, scales=(1.0,), want_vals=False):
    """Linear interpolation of every pair's table at s·Δ, in NumPy (what the compiled loop stands for)."""
    table = np.asarray(table, dtype=np.float32)
    P, D = table.shape
    rows = np.arange(P)[None, :]
    means, vals = [], []
    for sc in scales:
        pos = np.clip(np.asarray(delta, np.float32) * np.float32(sc / dd) - np.float32(d0 / dd), 0, D - 1.001)
        i0 = pos.astype(np.int32)
        a = table[rows, i0]
        v = a + (table[rows, np.minimum(i0 + 1, D - 1)] - a) * (pos - i0)
        means.append(v.mean(axis=1))
        vals.append(v)
    return np.array(means), (np.array(vals) if want_vals else np.empty((0, 0, 0)))


@pytest.mark.parametrize("n_pairs", [3, 28, 120, 136, 300])
def test_lookup_kernel_is_the_numpy_expression(n_pairs):
    """Same bits as NumPy, for means and values, several scales, positions clipped at both table ends."""
    rng = np.random.default_rng(n_pairs)
    D, dd = 9000, 4e-4  # D > 2¹³: D − 1.001 rounds to D − 1 in single precision (the last sample is read)
    d0 = -(D // 2) * dd
    table = rng.standard_normal((n_pairs, D)).astype(np.float32)
    delta = rng.uniform(-1.0, 1.0, (257, n_pairs)).astype(np.float32)
    delta[:3] = [[-5.0], [5.0], [(D - 1 + D // 2 - 1) * dd]]  # off both ends, and exactly the last sample
    scales = np.array([0.9, 1.0, 1.0371])
    m, v = srp.lookup(table, d0, dd, delta, scales, want_vals=True)
    pm, pv = plain_lookup(table, d0, dd, delta, scales, want_vals=True)
    assert np.array_equal(v, pv) and np.array_equal(m, pm)
    m1, v1 = srp.lookup(table, d0, dd, delta, scales)
    assert np.array_equal(m1, pm) and v1.size == 0


@pytest.mark.parametrize("n_scales", [1, 3])
def test_lookup_split_over_two_threads_changes_no_bit(n_scales):
    """Above ``srp.SPLIT_LOOKUPS`` the look-ups run in two halves (points or scales) on two threads."""
    rng = np.random.default_rng(n_scales)
    P, D, dd = 120, 20000, 4e-4
    table = rng.standard_normal((P, D)).astype(np.float32)
    G = srp.SPLIT_LOOKUPS // (P * n_scales) + 7
    delta = rng.uniform(-3.0, 3.0, (G, P)).astype(np.float32)
    scales = np.linspace(0.95, 1.05, n_scales)
    m, v = srp.lookup(table, -(D // 2) * dd, dd, delta, scales, want_vals=True)
    pm, pv = plain_lookup(table, -(D // 2) * dd, dd, delta, scales, want_vals=True)
    assert np.array_equal(m, pm) and np.array_equal(v, pv)
    assert np.array_equal(srp.lookup(table, -(D // 2) * dd, dd, delta, scales)[0], pm)


def test_lookup_in_point_blocks_changes_no_bit():
    """From ``srp.LOOKUP_BLOCK_FROM`` points on (a map over the wall), the loop takes the points in blocks,
    pair by pair: the same bits as NumPy, also for a last partial block."""
    rng = np.random.default_rng(11)
    P, D, dd = 28, 5000, 4e-4
    table = rng.standard_normal((P, D)).astype(np.float32)
    G = srp.LOOKUP_BLOCK_FROM + srp.LOOKUP_BLOCK // 2 + 3
    delta = rng.uniform(-1.2, 1.2, (G, P)).astype(np.float32)
    scales = (0.97, 1.02)
    m, v = srp.lookup(table, -(D // 2) * dd, dd, delta, scales, want_vals=True)
    pm, pv = plain_lookup(table, -(D // 2) * dd, dd, delta, scales, want_vals=True)
    assert np.array_equal(m, pm) and np.array_equal(v, pv)


def test_running_max_is_scipys_maximum_filter():
    from scipy.ndimage import maximum_filter1d

    rng = np.random.default_rng(5)
    for P, D in ((12, 3000), (5, 7), (3, 1)):
        mag = np.abs(rng.standard_normal((P, D))).astype(np.float32)
        mag[0, : D // 2] = mag[0, 0]  # a plateau
        for width in (1, 2, 3, 8, 95, 5000):
            plain = maximum_filter1d(mag, size=width, axis=1, mode="nearest")
            assert np.array_equal(srp.running_max(mag, width), plain), (P, D, width)


@pytest.mark.parametrize("shape", [(5, 7), (3, 2), (1, 1), (120, 2001), (136, 9000), (400, 5000)])
def test_row_medians_are_numpys(shape):
    """The compiled radix selection gives np.median's bits: odd and even rows, ties, zeros of both signs,
    all-positive rows, and rows large enough to be split over two threads."""
    P, D = shape
    rng = np.random.default_rng(P * D)
    a = rng.standard_normal(shape).astype(np.float32)
    a[0, : D // 2] = 0.0
    a[0, 0] = -0.0
    if P > 2:
        a[1] = np.abs(a[1]) * 1e-30  # tiny positive values (subnormal range)
        a[2, ::3] = a[2, 1]  # many ties
    assert np.array_equal(srp.row_medians(a), np.median(a, axis=1))


@pytest.mark.parametrize("n_cols", [3179, 23409])
def test_one_blas_thread_changes_no_bit(n_cols):
    """locate() runs with BLAS on one thread (srp.blas_on_one_thread): the refinement's bootstrap product
    (100 x 120 by 120 x columns, sizes OpenBLAS threads) gives the same bits as with its default threads."""
    rng = np.random.default_rng(n_cols)
    w = rng.random((100, 120)).astype(np.float32)
    vals = rng.standard_normal((n_cols, 120))
    one = srp.blas_on_one_thread(lambda: w @ vals.T)()
    assert np.array_equal(one, w @ vals.T)


@pytest.mark.parametrize("n", [1, 7, 8, 120, 128, 129, 2016, 5000])
def test_pairwise_sum_is_numpys(n):
    x = np.random.default_rng(n).standard_normal(n) * 10.0 ** np.random.default_rng(n + 1).integers(-8, 8, n)
    assert _pairwise_sum(x) == np.add.reduce(x)


def test_hidden_layer_on_a_subset_of_bins_is_the_full_one():
    """C − λ₁v₁v₁ᴴ per bin, computed on some bins, equals the plain per-bin computation on all of them."""
    rng = np.random.default_rng(3)
    F, N, S = 40, 8, 17
    X = rng.standard_normal((F, N, S)) + 1j * rng.standard_normal((F, N, S))
    X[:, :, :] += 3 * np.outer(np.exp(1j * rng.uniform(0, 6, N)), rng.standard_normal(S))[None]  # a loud source
    C = X @ np.conj(X.transpose(0, 2, 1)) / S
    pi, pj = np.triu_indices(N, 1)
    plain = np.empty((len(pi), F), dtype=complex)
    for f in range(F):
        lam, V = np.linalg.eigh(C[f])
        plain[:, f] = (C[f] - lam[-1] * np.outer(V[:, -1], np.conj(V[:, -1])))[pi, pj]
    bins = np.array([0, 3, 4, 17, 39])
    assert np.allclose(localize._without_dominant(C[bins], pi, pj), plain[:, bins], rtol=0, atol=1e-12)
    assert np.allclose(localize._without_dominant(C, pi, pj), plain, rtol=0, atol=1e-12)


def test_fast_localization_equals_the_plain_one(monkeypatch):
    """A recording of the independent generator (wall 10 % thin, a 50–250 kHz source 8 dB louder than the
    leak, so CLEAN and the hidden layer both run): the same status, positions (< 0.1 mm), radii and
    candidates with the plain NumPy look-up as with the compiled one."""
    d = gen.DECLARED
    wall = Wall(d["thickness_m"], d["width_m"], d["height_m"], material("al-2219"),
                (Stiffener("x", d["stiffener_y_m"], 0.6, "frame"),))
    plate = gen.Plate(d["thickness_m"] * 0.9, d["width_m"], d["height_m"], d["youngs_modulus_pa"], d["poisson_ratio"],
                      d["density_kg_m3"], 0.6, d["stiffener_y_m"], 0.6, 0.4)
    sensors = gen.perimeter(16, d["width_m"], d["height_m"])
    syn = gen.simulate(plate, sensors, [gen.NoiseSource((0.35, 0.72)), gen.NoiseSource((0.85, 0.25), 8.0, "band")],
                       duration_s=0.05, snr_db=-3.0, errors=gen.SensorErrors(2e-3, 2.0, 1e-6), seed=5)
    rec = Recording(syn.fs_hz, syn.declared_sensors_m, syn.signals)
    fast = localize.locate(wall, rec)
    monkeypatch.setattr(srp, "lookup", plain_lookup)
    plain = localize.locate(wall, rec)
    assert fast.status == plain.status and len(fast.candidates) == len(plain.candidates) >= 2
    assert math.dist(fast.position_m, plain.position_m) < 1e-4
    for a, b in zip(fast.candidates, plain.candidates):
        assert math.dist(a.position_m, b.position_m) < 1e-4
        assert a.uncertainty_radius_m == pytest.approx(b.uncertainty_radius_m, abs=1e-4)
        assert a.probability == pytest.approx(b.probability, abs=1e-3) and a.kind == b.kind
    assert fast.speed_scale == plain.speed_scale
