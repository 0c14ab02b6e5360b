"""Numba kernels of :mod:`hullbreach.locate.srp` (imported by it on first use; see :func:`hullbreach.locate.srp.lookup`
for what the look-up computes and why it gives the same bits as NumPy).

Each look-up is a linear interpolation of a pair table at a path difference; a localization makes ~10⁸ of
them (coarse maps over the wall, refinement grids x wavenumber scales). NumPy needs ~6 temporaries of
(points x pairs) per scale for that; the compiled loop reads each table entry once, in a cache-friendly
order (pairs of one point, then the next point), and writes only what is asked for.
"""

from __future__ import annotations

import numba
import numpy as np

#: No fastmath (IEEE operations in source order, no fused multiply-add), NumPy's error model; the GIL is
#: released (the hidden layer's look-ups run on a second thread); compiled code cached beside this file.
jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@jit
def _block_sum(a, n0, n):
    """NumPy's pairwise sum of a block of n ≤ 128 values a[n0:n0+n] (8 accumulators)."""
    if n < 8:
        res = 0.0
        for i in range(n0, n0 + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[n0], a[n0 + 1], a[n0 + 2], a[n0 + 3]
    r4, r5, r6, r7 = a[n0 + 4], a[n0 + 5], a[n0 + 6], a[n0 + 7]
    i = 8
    while i < n - (n % 8):
        j = n0 + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[n0 + i]
        i += 1
    return res


@jit
def _pairwise_sum(a):
    """Σ a in NumPy's pairwise order (numpy/_core/src/umath/loops_utils.h.src: blocks of ≤ 128 summed with
    8 accumulators, longer runs split in two at a multiple of 8), so a mean over pairs is bit for bit
    ``ndarray.mean``. The recursion is unrolled on an explicit stack (Numba's cache cannot hold a
    recursive function)."""
    n = a.shape[0]
    if n <= 128:
        return _block_sum(a, 0, n)
    start = np.empty(64, dtype=np.int64)
    size = np.empty(64, dtype=np.int64)
    done = np.zeros(64, dtype=np.bool_)
    acc = np.empty(64)
    top, nacc = 0, 0
    start[0], size[0] = 0, n
    while top >= 0:
        s0, n1 = start[top], size[top]
        if n1 <= 128:
            acc[nacc] = _block_sum(a, s0, n1)
            nacc += 1
            top -= 1
        elif done[top]:  # both halves summed: combine them (left + right)
            acc[nacc - 2] = acc[nacc - 2] + acc[nacc - 1]
            nacc -= 1
            done[top] = False
            top -= 1
        else:
            n2 = n1 // 2
            n2 -= n2 % 8
            done[top] = True
            start[top + 1], size[top + 1] = s0 + n2, n1 - n2  # right half, summed second
            start[top + 2], size[top + 2] = s0, n2  # left half, summed first
            top += 2
    return acc[0]


@jit
def lookup(table, delta, mult, off, hi, means, vals, want_vals, block):
    """Interpolated pair-table values at path differences, for several wavenumber scales.

    table (P, D) float32; delta (G, P) float32 path differences [m]; mult (S,) float32 = scale / dd;
    off float32 = d0 / dd; hi float32 = D − 1.001. Table position pos = clip(delta·mult − off, 0, hi)
    (float32), value = a + (b − a)·(pos − ⌊pos⌋) in float64 (a, b the float32 neighbours: NumPy's type
    promotion of the same expression). Writes means (S, G) float64 (mean over pairs, NumPy's summation
    order) and, when ``want_vals``, vals (S, G, P) float64.

    Points are taken ``block`` at a time, pair by pair within a block: over a wall-wide grid, one pair's
    path differences within a block of neighbouring points span a few 10 kB of its table row, which
    stays in cache (point by point, every look-up reads a new cache line of a 12 MB table); block 1 is
    point by point, best for a small patch (every row's patch is in cache anyway). The values and the
    order of each point's sum do not depend on ``block``.
    """
    P, D = table.shape
    G = delta.shape[0]
    S = mult.shape[0]
    buf = np.empty((block, P))
    for s in range(S):
        m = mult[s]
        for g0 in range(0, G, block):
            n = min(block, G - g0)
            for p in range(P):
                for k in range(n):
                    pos = delta[g0 + k, p] * m - off
                    if pos < 0:
                        pos = np.float32(0.0)
                    if pos > hi:
                        pos = hi
                    i0 = np.int32(pos)
                    a = table[p, i0]
                    if i0 >= D - 1:  # hi rounds to D − 1 in single precision for D ≥ 2¹³: pos = D − 1, weight 0
                        buf[k, p] = np.float64(a)
                    else:
                        buf[k, p] = np.float64(a) + np.float64(table[p, i0 + 1] - a) * (np.float64(pos) - np.float64(i0))
            for k in range(n):
                means[s, g0 + k] = _pairwise_sum(buf[k]) / P
                if want_vals:
                    for p in range(P):
                        vals[s, g0 + k, p] = buf[k, p]


@jit
def running_max(mag, width, env):
    """env = the running maximum of mag over ``width`` samples along each row (P, D) float32.

    The window of sample n is [n − width//2, n − width//2 + width − 1], clamped at the row's ends:
    scipy.ndimage.maximum_filter1d with mode="nearest" (a maximum has no rounding, so any exact running
    maximum gives its bits). Van Herk / Gil–Werman: block-wise prefix and suffix maxima, three passes
    per row whatever the width.
    """
    P, D = mag.shape
    lo = width // 2
    n_pad = D + width - 1
    x = np.empty(n_pad, dtype=np.float32)
    g = np.empty(n_pad, dtype=np.float32)
    hmax = np.empty(n_pad, dtype=np.float32)
    for p in range(P):
        first, last = mag[p, 0], mag[p, D - 1]
        for j in range(n_pad):  # the row padded with its end values
            q = j - lo
            x[j] = first if q < 0 else (last if q >= D else mag[p, q])
        for b in range(0, n_pad, width):  # per block: prefix maxima g, suffix maxima hmax
            e = min(b + width, n_pad)
            m = x[b]
            for j in range(b, e):
                if x[j] > m:
                    m = x[j]
                g[j] = m
            m = x[e - 1]
            for j in range(e - 1, b - 1, -1):
                if x[j] > m:
                    m = x[j]
                hmax[j] = m
        for n in range(D):  # window x[n .. n + width − 1] spans at most two blocks
            a, c = hmax[n], g[n + width - 1]
            env[p, n] = a if a > c else c


@jit
def _rank_key(keys, k, hist):
    """The k-th smallest (0-based) of the uint32 ``keys`` (D,), by radix selection: three passes over the
    keys, on their top 11, middle 11 and low 10 bits (``hist`` (2048,) int64, scratch)."""
    prefix = np.uint32(0)
    for shift, nbits, known in ((21, 11, 0), (10, 11, 11), (0, 10, 22)):
        hist[:] = 0
        mask = np.uint32((1 << nbits) - 1)
        for j in range(keys.shape[0]):
            key = keys[j]
            if known == 0 or (key >> np.uint32(32 - known)) == prefix:
                hist[(key >> np.uint32(shift)) & mask] += 1
        b = 0
        while k >= hist[b]:
            k -= hist[b]
            b += 1
        prefix = (prefix << np.uint32(nbits)) | np.uint32(b)
    return prefix


@jit
def row_medians(a, out):
    """out[p] = np.median(a[p]) for a (P, D) float32 without NaN: the element of rank D//2 (odd D), or the
    float32 mean of the elements of ranks D//2 − 1 and D//2 (even D), as NumPy computes it. Exact (a
    selection, no arithmetic) by radix selection on the float32 bit patterns mapped to order-preserving
    unsigned keys (negative: all bits flipped; positive: the sign bit set). Linear time, ~5x NumPy's
    introselect on pair-table rows."""
    P, D = a.shape
    keys = np.empty(D, dtype=np.uint32)
    hist = np.empty(2048, dtype=np.int64)
    for p in range(P):
        bits = a[p].view(np.uint32)
        for j in range(D):
            b = bits[j]
            keys[j] = ~b if b >> np.uint32(31) else b | np.uint32(0x80000000)
        kk = _rank_key(keys, D // 2, hist)
        hi = a[p, 0]
        for j in range(D):
            if keys[j] == kk:
                hi = a[p, j]
                break
        if D % 2:
            out[p] = hi
        else:
            kl = _rank_key(keys, D // 2 - 1, hist)
            lo = a[p, 0]
            for j in range(D):
                if keys[j] == kl:
                    lo = a[p, j]
                    break
            out[p] = (lo + hi) / np.float32(2.0)
