"""The fast paths of the localizer give the answers of plain computations (issue 13, "one localization < 2 s").

The compiled look-up loop (``locate/_srp_jit.py``) stands for a NumPy expression; the hidden layer
eigen-decomposes only the frequency bins the tables read. Each is checked against a plain computation
written here, and a whole localization on a recording of the independent generator
(``tests/generators/plate_images.py``) must give the same positions and candidates with the plain look-up.
No timing here (speed is measured in ``benchmarks/locate_bench.py --cases timing``).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.fft as sfft

from hullbreach.locate import localize, pairtables, srp
from hullbreach.locate import machinery as mach
from hullbreach.locate import sources as srcs
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
    assert np.allclose(pairtables.without_dominant(C[bins], pi, pj), plain[:, bins], rtol=0, atol=1e-12)
    assert np.allclose(pairtables.without_dominant(C, pi, pj), plain, rtol=0, atol=1e-12)


def pinned_case() -> tuple[Wall, Recording]:
    """A recording of the independent generator: wall 10 % thin, a 50–250 kHz source 8 dB louder than the
    leak, so CLEAN and the hidden layer both run (16 sensors, 50 ms)."""
    d = gen.DECLARED
    wall = Wall(d["thickness_m"], d["width_m"], d["height_m"], material("al-2219"),
                (Stiffener("x", d["stiffener_y_m"], 0.6, "frame"),))
    plate = gen.Plate(d["thickness_m"] * 0.9, d["width_m"], d["height_m"], d["youngs_modulus_pa"], d["poisson_ratio"],
                      d["density_kg_m3"], 0.6, d["stiffener_y_m"], 0.6, 0.4)
    sensors = gen.perimeter(16, d["width_m"], d["height_m"])
    syn = gen.simulate(plate, sensors, [gen.NoiseSource((0.35, 0.72)), gen.NoiseSource((0.85, 0.25), 8.0, "band")],
                       duration_s=0.05, snr_db=-3.0, errors=gen.SensorErrors(2e-3, 2.0, 1e-6), seed=5)
    return wall, Recording(syn.fs_hz, syn.declared_sensors_m, syn.signals)


def pinned_answer(res) -> dict:
    """Everything a localization says (its JSON but the run time, and the coarse map's sum, maximum and
    its place)."""
    j = res.to_json()
    j.pop("elapsed_s")
    img = np.asarray(res.image)
    j.update(image_sum=float(img.sum()), image_max=float(img.max()), image_argmax=int(img.argmax()))
    return j


#: The localizer's answer on :func:`pinned_case` (made with c3455ae, before session 6's speed work;
#: tests/data/locate/README.md).
PINNED = Path(__file__).parents[1] / "data" / "locate" / "pinned_locate.json"


def _same(a, b, path="") -> list[str]:
    """Where two answers differ beyond floating-point level (numbers: relative 1e-9; the rest: exactly)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a)} != {sorted(b)}"]
        return [d for k in a for d in _same(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _same(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_speed_work_changes_no_answer():
    """The speed work of session 6 (tables made a block of pairs at a time, surrogate tables as |R| only,
    shared sensor powers, ...) changes no answer: the whole JSON answer on :func:`pinned_case` is
    c3455ae's (tests/data/locate/README.md says how the file was made). A change of answers on purpose
    rewrites the file (python tests/data/locate/make_pinned_locate.py) and says so in its commit."""
    wall, rec = pinned_case()
    got = pinned_answer(localize.locate(wall, rec))
    want = json.loads(PINNED.read_text())
    assert got["status"] == want["status"] and len(got["candidates"]) == len(want["candidates"]) >= 2
    assert _same(got, want) == []


def test_pinned_comparison_sees_a_changed_answer():
    """The comparison of :func:`test_speed_work_changes_no_answer` fails on a radius moved by 0.1 µm or a
    reordered reason."""
    want = json.loads(PINNED.read_text())
    moved = json.loads(PINNED.read_text())
    moved["candidates"][0]["uncertainty_radius_m"] += 1e-7
    assert _same(moved, want)
    moved = json.loads(PINNED.read_text())
    moved["candidates"][0]["reasons"] = moved["candidates"][0]["reasons"][::-1]
    assert _same(moved, want)
    assert _same(json.loads(PINNED.read_text()), want) == []


def test_fast_localization_equals_the_plain_one(monkeypatch):
    """On :func:`pinned_case`: the same status, positions (< 0.1 mm), radii and candidates with the plain
    NumPy look-up as with the compiled one."""
    wall, rec = pinned_case()
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


@pytest.mark.parametrize("shape", [(3, 5), (120, 9001), (1, 40000)])
def test_magnitude_is_numpys(shape):
    """srp.magnitude (a few rows at a time through a small buffer; rows on two threads from
    ``srp.SPLIT_LOOKUPS`` values on) gives np.abs(R).astype(np.float32)'s bits, tiny and huge values too."""
    rng = np.random.default_rng(shape[1])
    R = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * 10.0 ** rng.integers(-40, 30, shape)
    assert np.array_equal(srp.magnitude(R), np.abs(R).astype(np.float32))


@pytest.mark.parametrize("magnitude", [False, True])
def test_tables_a_block_of_pairs_at_a_time_are_the_whole_transform(magnitude):
    """pairtables.centred transforms 16 pairs at a time: the same table as one inverse FFT of all pairs
    (and, for the surrogates, the same |R| as srp.magnitude of it)."""
    rng = np.random.default_rng(7)
    P, M, L, n_half = 37, 300, 4096, 1500
    Gw = rng.standard_normal((P, M)) + 1j * rng.standard_normal((P, M))
    phase = np.exp(1j * rng.uniform(0, 6, 2 * n_half + 1))
    R = sfft.ifft(Gw, n=L, axis=1)
    R *= 1.7
    whole = np.concatenate([R[:, L - n_half:] * phase[:n_half], R[:, :n_half + 1] * phase[n_half:]], axis=1)
    got = pairtables.centred(Gw, L, 1.7, n_half, phase, magnitude)
    assert np.array_equal(got, np.abs(whole).astype(np.float32) if magnitude else whole)


def test_kernel_table_in_row_blocks_is_one_product():
    """sources.kernel_table makes its phase matrix 256 rows at a time: the kernel of one matrix product."""
    k = 800.0 + 0.755 * np.arange(763)
    w = np.hanning(765)[1:-1]
    u0, du, K = srcs.kernel_table(k, w, 2.3e-4, 0.05)
    n = (len(K) - 1) // 2
    u = np.arange(-n, n + 1) * du
    assert u[0] == u0 and len(K) > 2 * srcs._KERNEL_ROWS
    assert np.array_equal(K, (np.exp(1j * np.outer(u, k)) @ w) / np.sum(w))


def test_shared_sensor_powers_change_no_segment_power():
    """machinery.segment_powers with the sensors' own powers made once (machinery.sensor_powers, 256 bins
    at a time) gives the bits it gives computing them itself."""
    rng = np.random.default_rng(11)
    F, N, S = 700, 8, 13
    X = rng.standard_normal((F, N, S)) + 1j * rng.standard_normal((F, N, S))
    own = mach.sensor_powers(X)
    assert np.array_equal(own, np.sum(np.abs(X) ** 2, axis=1))
    sensors = rng.uniform(0, 1, (N, 2))
    k = np.linspace(100, 900, F)
    for x in ([0.3, 0.4], [0.9, 0.1]):
        assert np.array_equal(mach.segment_powers(X, k, sensors, x, own_power=own), mach.segment_powers(X, k, sensors, x))
