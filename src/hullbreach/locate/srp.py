"""The steered-response-power engine of :mod:`hullbreach.locate.localize`: pair-table look-ups, maps,
grids and the refinement of a map peak.

A pair table holds R_ij(Δ), the correlation of sensors i and j at path difference Δ = d0 + n·dd [m]; the
SRP at a point x is the mean over pairs of R_ij(|x − s_i| − |x − s_j|) (DiBiase, Silverman & Brandstein
2001). The look-ups are one compiled loop (:mod:`hullbreach.locate._srp_jit`, Numba) performing the same
IEEE operations as the NumPy expression ``(a + (b − a)·(pos − i0)).mean(axis=1)`` and summing over the
pairs in NumPy's order, so a localization gives the same bits as with NumPy (tests/locate/test_speed.py).
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from hullbreach.locate.wall import Wall


def pair_deltas(sensors: np.ndarray, pi, pj, points: np.ndarray) -> np.ndarray:
    """Path differences |x − s_i| − |x − s_j| (G, P) [m] of ``points`` (G, 2) for every pair, in single
    precision (table index resolution ~1e-3 samples at 10⁴ samples: ample)."""
    p32, s32 = points.astype(np.float32), sensors.astype(np.float32)
    r = np.hypot(p32[:, None, 0] - s32[None, :, 0], p32[:, None, 1] - s32[None, :, 1])
    return r[:, pi] - r[:, pj]


@functools.cache
def _kernels():
    """The compiled loops, :mod:`hullbreach.locate._srp_jit` (imports Numba and loads or compiles them on
    first use)."""
    from hullbreach.locate import _srp_jit

    return _srp_jit


@functools.cache
def _blas_controller():
    """threadpoolctl's handle on the BLAS libraries NumPy loaded (found once: a scan of the process)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_on_one_thread(fn):
    """``fn`` with NumPy's BLAS (OpenBLAS) limited to one thread while it runs (threadpoolctl).

    The localizer's matrix products are small (bootstrap scores 100 x 120 by 120 x 3 000–23 000, 16 x 16
    Welch matrices, the CLEAN kernel's 3 443 x 763 by 763): OpenBLAS's extra thread spins between them
    and competes with the localizer's own second thread (the hidden layer, the look-ups' halves) for
    the 2 cores, ~10 % more CPU for no gain. GEMM and GEMV split their outputs, not their sums, over
    threads, so the bits are the same (tests/locate/test_speed.py). The limit is process-wide while
    ``fn`` runs (two localizations run at once in two threads each restore it on exit).
    """

    @functools.wraps(fn)
    def limited(*args, **kwargs):
        with _blas_controller().limit(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return limited


def _in_two(kernel, first: tuple, second: tuple) -> None:
    """kernel(*first) on this thread and kernel(*second) on a second one at the same time (the compiled
    loops release the GIL; the two calls write disjoint outputs, so the split changes no bit)."""
    other = threading.Thread(target=kernel, args=second)
    other.start()
    kernel(*first)
    other.join()


def _row_halves(kernel, a: np.ndarray, out: np.ndarray, *args) -> None:
    """kernel(rows, *args, out rows) over the rows of ``a`` (P, D), in two halves on two threads when the
    array is large (:data:`SPLIT_LOOKUPS` values or more)."""
    if a.size < SPLIT_LOOKUPS or a.shape[0] < 2:
        kernel(a, *args, out)
        return
    h = a.shape[0] // 2
    _in_two(kernel, (a[:h], *args, out[:h]), (a[h:], *args, out[h:]))


def running_max(mag: np.ndarray, width: int) -> np.ndarray:
    """Running maximum of ``mag`` (P, D) over ``width`` samples along each row, the window of sample n
    being [n − width//2, n − width//2 + width − 1] clamped at the ends (scipy.ndimage.maximum_filter1d,
    mode "nearest"), compiled, rows split over two threads."""
    mag = np.ascontiguousarray(mag, dtype=np.float32)
    out = np.empty_like(mag)
    _row_halves(_kernels().running_max, mag, out, int(width))
    return out


def _abs_rows(R: np.ndarray, out: np.ndarray) -> None:
    """out = np.abs(R).astype(np.float32), a few rows at a time through a small double-precision buffer."""
    rows = max(1, MAGNITUDE_BLOCK // max(R.shape[1], 1))
    buf = np.empty((min(rows, R.shape[0]), R.shape[1]))
    for r0 in range(0, R.shape[0], rows):
        n = min(rows, R.shape[0] - r0)
        np.abs(R[r0:r0 + n], out=buf[:n])
        out[r0:r0 + n] = buf[:n]  # float64 -> float32, rounded to nearest as astype does


def magnitude(R: np.ndarray) -> np.ndarray:
    """np.abs(R).astype(np.float32) of a pair table R (P, D) complex, the same bits (NumPy's complex
    absolute value gives an element the same bits wherever it sits in an array), without the (P, D)
    double-precision temporary: a pair table is ~50 MB, and every fresh array of that size is mapped
    anew and cleared by the kernel page by page, which cost as much as the arithmetic. Rows split over
    two threads (NumPy's loops release the GIL)."""
    R = np.ascontiguousarray(R)
    out = np.empty(R.shape, dtype=np.float32)
    if R.size < SPLIT_LOOKUPS or R.shape[0] < 2:
        _abs_rows(R, out)
    else:
        h = R.shape[0] // 2
        _in_two(_abs_rows, (R[:h], out[:h]), (R[h:], out[h:]))
    return out


#: :func:`magnitude` converts this many values at a time (a 256 kB double-precision buffer, in cache).
MAGNITUDE_BLOCK = 32768


def row_medians(a: np.ndarray) -> np.ndarray:
    """np.median(a, axis=1) of ``a`` (P, D) float32 without NaN, the same bits (an exact selection,
    compiled: :func:`hullbreach.locate._srp_jit.row_medians`), rows split over two threads."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    out = np.empty(a.shape[0], dtype=np.float32)
    _row_halves(_kernels().row_medians, a, out)
    return out


def lookup(table: np.ndarray, d0: float, dd: float, delta: np.ndarray, scales=(1.0,),
            want_vals: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Pair-table values at the path differences ``delta`` (G, P) [m] scaled by each of ``scales``.

    A wave-speed error by a factor 1/s (plate thickness or stiffness off nominal) moves the table peaks
    from Δ to s·Δ. Table (P, D) float32 sampled at Δ = d0 + n·dd [m], linear interpolation at the
    clipped position s·Δ/dd − d0/dd (single precision), values in double precision. Returns the mean
    over pairs (S, G) and, with ``want_vals``, the values (S, G, P) (else an empty array). Compiled
    (:mod:`hullbreach.locate._srp_jit`): the same IEEE operations and summation order as the NumPy
    expression ``(a + (b - a) * (pos - i0)).mean(axis=1)``.
    """
    table = np.ascontiguousarray(table, dtype=np.float32)
    delta = np.ascontiguousarray(delta, dtype=np.float32)
    G, P = delta.shape
    mult = np.array([np.float32(sc / dd) for sc in scales], dtype=np.float32)
    S = len(mult)
    means = np.empty((S, G))
    vals = np.empty((S, G, P) if want_vals else (0, 0, 0))
    kernel, off, hi = _kernels().lookup, np.float32(d0 / dd), np.float32(table.shape[1] - 1.001)
    block = LOOKUP_BLOCK if G >= LOOKUP_BLOCK_FROM else 1  # a map over the wall: points in blocks (cache)
    if S * G * P < SPLIT_LOOKUPS:
        kernel(table, delta, mult, off, hi, means, vals, want_vals, block)
        return means, vals
    # two halves, one on a second thread (the loop releases the GIL; each value is computed alone, so the
    # split changes no bit): along the scales, or along the points when there is one scale
    if S >= 2:
        h = S // 2
        halves = [(delta, mult[:h], means[:h], vals[:h] if want_vals else vals),
                  (delta, mult[h:], means[h:], vals[h:] if want_vals else vals)]
    else:
        h = G // 2
        halves = [(delta[:h], mult, means[:, :h], vals[:, :h] if want_vals else vals),
                  (delta[h:], mult, means[:, h:], vals[:, h:] if want_vals else vals)]
    _in_two(kernel, (table, halves[0][0], halves[0][1], off, hi, halves[0][2], halves[0][3], want_vals, block),
            (table, halves[1][0], halves[1][1], off, hi, halves[1][2], halves[1][3], want_vals, block))
    return means, vals


#: Look-ups (scales x points x pairs) above which :func:`lookup` splits the work over two threads.
SPLIT_LOOKUPS = 1_000_000
#: :func:`lookup` takes the points this many at a time, pair by pair, from this many points on (the
#: coarse maps over the whole wall: 1.8x faster; a refinement patch of ≤ 1 000 points is faster point by
#: point). Same bits either way.
LOOKUP_BLOCK, LOOKUP_BLOCK_FROM = 256, 4096


def srp_map(table, d0, dd, pi, pj, sensors, points, scale: float = 1.0) -> np.ndarray:
    """Mean pair-table value (G,) at ``points`` (G, 2) [m], path differences scaled by ``scale``."""
    return lookup(table, d0, dd, pair_deltas(sensors, pi, pj, points), (scale,))[0][0]


def grid(x0, x1, y0, y1, h):
    nx = max(2, int(round((x1 - x0) / h)) + 1)
    ny = max(2, int(round((y1 - y0) / h)) + 1)
    gx = np.linspace(x0, x1, nx)
    gy = np.linspace(y0, y1, ny)
    X, Y = np.meshgrid(gx, gy)
    return gx, gy, np.stack([X.ravel(), Y.ravel()], axis=1)


def patch(wall: Wall, cx: float, cy: float, half: float, h: float) -> np.ndarray:
    """Grid points (G, 2) [m] of step ``h`` [m] on the square of half-side ``half`` [m] around (cx, cy) [m],
    clipped to the wall."""
    return grid(max(0.0, cx - half), min(wall.width_m, cx + half),
                max(0.0, cy - half), min(wall.height_m, cy + half), h)[2]


def bootstrap_scores(wpairs: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """Each sensor resample's map (B, N): ``wpairs`` (B, P) its pair weights, ``vals`` (N, P) the pair-table
    values at N (scale, point) columns. Single-precision weights, as the tables (product in the precision of
    ``vals``)."""
    return wpairs.astype(np.float32) @ vals.T


def bootstrap_spread(bm: np.ndarray, pts: np.ndarray, centre, cols: tuple[int, int] | None = None,
                     coverage: float = 0.95) -> float:
    """The ``coverage`` quantile [m] of the distance from ``centre`` (2,) [m] to each resample's map maximum.

    The bootstrap over sensors (Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 6):
    ``bm`` (B, S·G) the resamples' maps (:func:`bootstrap_scores`) over S scales x the G points ``pts``
    (G, 2) [m], the point index running fastest; ``cols`` (first, last) limits the maximum to those
    columns (consecutive scales). The one implementation behind :func:`refine`'s radius and
    :func:`hullbreach.locate.resolution.bootstrap_radius`.
    """
    if cols is None:
        idx = np.argmax(bm, axis=1)
    else:
        idx = cols[0] + np.argmax(bm[:, cols[0]:cols[1] + 1], axis=1)
    best = pts[idx % len(pts)]
    return float(np.quantile(np.hypot(best[:, 0] - centre[0], best[:, 1] - centre[1]), coverage))


def refine(tabs, env: np.ndarray, real: np.ndarray, sensors, wall: Wall, cx: float, cy: float, h: float,
            fine_step_m: float, scales1: np.ndarray, scale_half: float, wpairs: np.ndarray, half: float = 0.0):
    """Coarse peak (cx, cy) → (position (2,), score, scale, bootstrap radius [m], bootstrap scales (B,)).

    Stage 1: envelope on a 4-step grid x ``scales1``; stage 2: phase-coherent map (2 steps) x scales within
    ±``scale_half`` of the stage-1 scale (0.1 % steps), bootstrap over sensors; stage 3: polish at the fine
    step.
    """
    pi, pj = tabs.pi, tabs.pj
    half = max(1.5 * h, 5e-3, half)
    fpts = patch(wall, cx, cy, half, 4 * fine_step_m)
    e = lookup(env, tabs.d0, tabs.dd, pair_deltas(sensors, pi, pj, fpts), scales1)[0]  # (S, G)
    si, gi = np.unravel_index(int(np.argmax(e)), e.shape)
    ex, ey = fpts[gi]
    s1 = float(scales1[si])
    hw = max(8e-3, 4 * fine_step_m)
    step2 = 2 * fine_step_m
    fpts = patch(wall, ex, ey, hw, step2)
    fscales = s1 + np.arange(-scale_half, scale_half + 1e-12, 0.001) if scale_half > 0 else np.array([s1])
    m, vals = lookup(real, tabs.d0, tabs.dd, pair_deltas(sensors, pi, pj, fpts), fscales, want_vals=True)
    m, vals = m.ravel(), vals.reshape(-1, vals.shape[2])  # (S*G,), (S*G, P)
    best = int(np.argmax(m))
    allsc = np.repeat(fscales, len(fpts))
    bm = bootstrap_scores(wpairs, vals) if len(wpairs) else m[None, :]
    bscales = allsc[np.argmax(bm, axis=1)]  # the scale's bootstrap spread (calibration interval)
    px, py = fpts[best % len(fpts)]
    s2 = float(allsc[best])
    # position spread at the wall's scale (±0.01): with few sensors a resample can trade a far scale for a
    # far position; the scale's own uncertainty enters the radius through its own term (scale_radius)
    near = np.flatnonzero(np.abs(allsc - s2) <= 0.0100001)  # consecutive columns (allsc is sorted)
    r_boot = bootstrap_spread(bm, fpts, (px, py), (near[0], near[-1])) if len(wpairs) else 0.0
    ppts = patch(wall, px, py, step2, fine_step_m)
    pscales = s2 + np.array([-0.0005, 0.0, 0.0005]) if scale_half > 0 else np.array([s2])
    pm = lookup(real, tabs.d0, tabs.dd, pair_deltas(sensors, pi, pj, ppts), pscales)[0].ravel()
    pbest = int(np.argmax(pm))
    est = np.tile(ppts, (len(pscales), 1))[pbest]
    return est, float(pm[pbest]), float(pscales[pbest // len(ppts)]), r_boot, bscales
