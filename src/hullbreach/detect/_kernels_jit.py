"""Numba kernels of :mod:`hullbreach.detect.kernels` (imported by it on first use; see there for what they do
and why they give the same bits as the NumPy and Python paths)."""

from __future__ import annotations

import numba
import numpy as np

#: No fastmath (IEEE operations in source order, no contraction into fused multiply-adds); NumPy's error
#: model (x / 0 gives inf or NaN, as in NumPy); compiled code cached beside this file.
jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@jit
def glr_ages_one(C0, Cj, n, c0n, cjn, A, B, sk, allow, terms, ex, Nf, min_ref):
    """Best composite post-change statistic over the change ages of the grid, one bin (see
    :func:`hullbreach.detect.glr.glr_statistic_one`). ``terms`` rows: age m (float), h1, hh, hu, h1^2,
    h1 hu, hu^2 (:func:`hullbreach.detect.glr._grid_terms`); ``ex``: worst-case excess per age (unused when
    ``allow`` is 0). Returns (llr [-], index of the best age)."""
    G = terms.shape[1]
    Su = -(Nf - 1) * Nf / 2
    Suu = (Nf - 1) * Nf * (2 * Nf - 1) / 6
    det = Nf * Suu - Su * Su
    P = Suu / det
    Q = Su / det
    R = Nf / det
    best = 0.0
    best_j = 0
    lim = Nf - min_ref
    for i in range(G):
        m = terms[0, i]
        h1 = terms[1, i]
        hh = terms[2, i]
        hu = terms[3, i]
        h11 = terms[4, i]
        h1u = terms[5, i]
        huu = terms[6, i]
        # window terms (glr._window_terms_base), in its operation order
        v = hh - (P * h11 - 2.0 * Q * h1u + R * huu)
        w1 = 1.0 - (R * hu - Q * h1)
        Sw = Su - h1
        Sww = Suu - 2.0 * hu + hh
        Shw = hu - hh
        v2 = hh - (Sww * h11 - 2.0 * Sw * h1 * Shw + Nf * Shw * Shw) / (Nf * Sww - Sw * Sw)
        sq = np.sqrt(v2)
        # the statistic (glr_statistic_one), in its operation order
        g = int(m)
        lo = n + 1 - g
        if lo < 0:
            lo = 0
        Ty = c0n - C0[lo]
        Tjy = cjn - Cj[lo]
        u = (Tjy - (n - m) * Ty) - (h1 * A + hu * B)
        d = u / v
        b_post = B + d * w1
        z = (-b_post - allow) * sq / sk
        if allow > 0:
            z = z - allow * ex[i] * sq / sk
        llr = 0.0
        if m <= lim and d < 0 and z > 0 and np.isfinite(z):
            llr = 0.5 * z * z
        if llr > best:  # np.argmax: the first largest (all zero: index 0)
            best = llr
            best_j = i
    return best, best_j

@jit
def median(vals):
    """airmass._median_list on an array: NaN ignored, the same sorted values and formula."""
    s = np.sort(vals[~np.isnan(vals)])
    n = s.shape[0]
    if n == 0:
        return np.nan
    cnt = n
    if not (np.isfinite(s[0]) and np.isfinite(s[n - 1])):
        cnt = 0
        for i in range(n):
            if np.isfinite(s[i]):
                cnt += 1
    if cnt == 0:
        return np.nan
    return 0.5 * (s[(cnt - 1) // 2] + s[cnt // 2])

@jit
def _vote(xall, cnts, rows, offs, flag, noise, atol, six, k):
    """airmass._Consensus.run_one once every valid channel has its offset: consensus value and whether
    a channel was flagged (``flag`` is updated in place)."""
    S = rows.shape[0]
    c = np.empty(S)
    act = np.zeros(S, dtype=np.bool_)
    for i in range(S):
        x = xall[rows[i]]
        o = offs[i]
        if np.isnan(o):
            o = 0.0
        c[i] = x - o
        act[i] = np.isfinite(x) and k < flag[i]
    changed = False
    if S >= 3:
        for _ in range(S):
            if act.sum() < 3:
                break
            med = median(c[act])
            bad = False
            for i in range(S):
                if act[i]:
                    n = cnts[rows[i]]
                    if 1.0 > n:  # max(n, 1.0)
                        n = 1.0
                    t = six * (noise[i] / np.sqrt(n))
                    if not t > atol:  # max(atol, t)
                        t = atol
                    if abs(c[i] - med) > t:
                        flag[i] = float(k)
                        act[i] = False
                        bad = True
            if not bad:
                return med, changed
            changed = True
    return median(c[act]), changed

@jit
def zone_bin_one(xall, cnts, k, prow, p_offs, p_flag, p_noise, p_atol, trow, t_offs, t_flag, t_noise,
                 t_atol, t_single, vols, tnom, six):
    """Pressure vote, temperature vote and sum of V_i / T_i over the modules for one bin (see
    :func:`zone_bin_one` below). Status -1 (nothing done) when a valid channel still has to learn its
    offset."""
    for i in range(prow.shape[0]):
        if np.isnan(p_offs[i]) and np.isfinite(xall[prow[i]]):
            return -1, np.nan, np.nan, np.nan, False, False
    for i in range(trow.shape[0]):
        if np.isnan(t_offs[i]) and np.isfinite(xall[trow[i]]):
            return -1, np.nan, np.nan, np.nan, False, False
    p, chp = _vote(xall, cnts, prow, p_offs, p_flag, p_noise, p_atol, six, k)
    tc, cht = _vote(xall, cnts, trow, t_offs, t_flag, t_noise, t_atol, six, k)
    inv_t = 0.0  # summed over modules in order
    for i in range(t_single.shape[0]):
        j = t_single[i]
        if j >= 0:
            x = xall[trow[j]]
            if np.isfinite(x) and k < t_flag[j]:
                tm = x
            else:
                o = t_offs[j]
                if np.isnan(o):
                    o = 0.0
                tm = tc + o
        else:
            tm = tc
        if not np.isfinite(tm):
            tm = tnom[i]
        inv_t += vols[i] / tm
    change = False
    for i in range(p_flag.shape[0]):
        if p_flag[i] == k:
            change = True
    for i in range(t_flag.shape[0]):
        if t_flag[i] == k:
            change = True
    return 0, p, tc, inv_t, chp or cht, change
