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
        # window terms (those of glr.glr_statistic for this window length), in its operation order
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
def glr_one(D0, Dj, n, c0n, cjn, sigma, kap, L, floor, allow, terms, ex, min_ref):
    """The one-bin statistic of hullbreach.detect.glr.glr_statistic_one: the window's line, the window test and
    the loop over change ages, in the operation order of glr_statistic. Returns (statistic [-], what gave it:
    -1 nothing (statistic 0), 0 the window test, j + 1 the change age ``terms[0, j]``)."""
    a = n - L + 1
    f = floor if floor > 0 else 0
    if f > a:
        a = f
    if n < a:
        a = n
    N = float(n - a + 1)
    if not N >= min_ref:
        return 0.0, -1
    Sy = c0n - D0[a]
    Suy = (cjn - Dj[a]) - n * Sy
    Su = -(N - 1) * N / 2
    Suu = (N - 1) * N * (2 * N - 1) / 6
    det = N * Suu - Su * Su
    A = (Suu * Sy - Su * Suy) / det
    B = (N * Suy - Su * Sy) / det
    R = N / det
    se_b = sigma * np.sqrt(R * kap)
    z_b = (-B - allow) / se_b
    llr_b = 0.5 * (z_b * z_b) if z_b > 0 else 0.0
    best = 0.0
    code = 0
    if terms.shape[1]:
        sk = sigma * np.sqrt(kap)
        best, j = glr_ages_one(D0, Dj, n, c0n, cjn, A, B, sk, allow, terms, ex, N, min_ref)
        code = j + 1
    if not best >= llr_b:
        best = llr_b
        code = 0
    return best, (-1 if best <= 0 else code)


@jit
def zone_step_one(n0, yv, p, T, m, s, kap, L, floor, run, clip_sigma, min_ref, allow, terms, ex,
                  y, real, C0, Cj, Cjj, pb, Tb, mb, fb, Q0, Qj, D0, Dj, D0e, Dje, unc, stat, sig):
    """One valid bin appended to a zone detector and its statistic (ZoneDetector._append_one,
    _append_clipped for one bin, _restore_last and _evaluate for one bin), in their operation order. The
    arrays have room for the bin; returns (clip run, statistic)."""
    jf = float(n0)
    y[n0] = yv
    real[n0] = True
    C0[n0 + 1] = C0[n0] + yv
    Cj[n0 + 1] = Cj[n0] + jf * yv
    Cjj[n0 + 1] = Cjj[n0] + jf * jf * yv
    pb[n0] = p
    Tb[n0] = T
    mb[n0] = m
    fb[n0] = floor
    # the clipped track (ZoneDetector._append_clipped)
    a = n0 - L
    if floor > a:
        a = floor
    if 0 > a:
        a = 0
    N = n0 - a
    yy = yv
    if N >= min_ref and s == s:
        Sy = Q0[n0] - Q0[a]
        Suy = (Qj[n0] - Qj[a]) - (n0 - 1) * Sy
        Su = -(N - 1) * N / 2.0
        Suu = (N - 1) * N * (2 * N - 1) / 6.0
        slope = (N * Suy - Su * Sy) / (N * Suu - Su * Su)
        pred = (Sy - slope * Su) / N + slope
        lim = clip_sigma * s
        dev = yy - pred
        if abs(dev) > lim:
            sign = 1 if dev > 0 else -1
            run = run + sign if run * sign > 0 else sign
            if abs(run) < 2:
                yy = pred + sign * lim
            elif abs(run) == 2:
                # ZoneDetector._restore_last: the previous bin, clipped, started this departure
                j = n0 - 1
                raw = y[j]
                clipped = D0[n0] - D0[j]
                D0[n0] = D0[j] + raw
                Dj[n0] = Dj[j] + float(j) * raw
                unc[j] = clipped - raw
        else:
            run = 0
    Q0[n0 + 1] = Q0[n0] + yy
    Qj[n0 + 1] = Qj[n0] + n0 * yy
    d0 = D0[n0]
    dj = Dj[n0]
    D0e[n0] = d0 + yy
    Dje[n0] = dj + jf * yy
    D0[n0 + 1] = d0 + yy
    Dj[n0 + 1] = dj + jf * yy
    unc[n0] = 0.0
    # the statistic (ZoneDetector._evaluate for one bin)
    st = 0.0
    if np.isfinite(s):
        st, _code = glr_one(D0, Dj, n0, D0e[n0], Dje[n0], s, kap, L, floor, allow, terms, ex, min_ref)
        sig[n0] = s
    else:
        sig[n0] = np.nan
    stat[n0] = st
    return run, st


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


@jit
def fast_scan(X, act, off, ratio, excl, j0, jf, windows, allow, thr, noise_sub, noise_every, noise_min,
              m_ring, d2_ring, ex_ring, st):
    """The fast path over sub-bins ``j0 .. j0 + X.shape[1] - 1`` (see hullbreach.detect.fastpath.FastZone).

    ``X`` (channels x sub-bins): channel means [Pa]; ``act``: channel usable there; ``off``: channel offsets
    [Pa]; ``ratio``: scale of the track per sub-bin (1 in use; NaN: the zone's previous bin is unknown);
    ``excl``: sub-bin inside a known operation; ``jf``: the zone's first sub-bin; rings (length a power of two)
    of the track [Pa], its squared second differences [Pa^2] and the exclusion flags. ``st`` (float64):
    [sigma, alarm sub-bin (-1), z at the alarm, slope at the alarm [Pa/sub-bin], its standard error, its
    window]. Returns the statistic per sub-bin (-inf where it cannot be computed)."""
    R = m_ring.shape[0]
    nc = X.shape[0]
    out = np.full(X.shape[1], -np.inf)
    vals = np.empty(nc)
    w = np.empty(noise_sub)
    for c in range(X.shape[1]):
        j = j0 + c
        # consensus pressure of the zone (median after offsets, at least 3 channels; the values are finite,
        # sorted in place by insertion: the same sorted values, so the same median as median())
        n = 0
        for i in range(nc):
            if act[i, c]:
                x = X[i, c] - off[i]
                q = n
                while q > 0 and vals[q - 1] > x:
                    vals[q] = vals[q - 1]
                    q -= 1
                vals[q] = x
                n += 1
        m = np.nan
        if n >= 3:
            m = 0.5 * (vals[(n - 1) // 2] + vals[n // 2]) * ratio[c]
        m_ring[j % R] = m
        ex_ring[j % R] = excl[c] or not np.isfinite(m)
        d2 = np.nan
        if j - jf >= 2 and not (ex_ring[j % R] or ex_ring[(j - 1) % R] or ex_ring[(j - 2) % R]):
            e = m - 2.0 * m_ring[(j - 1) % R] + m_ring[(j - 2) % R]
            d2 = e * e
        d2_ring[j % R] = d2
        # noise: robust second differences over the previous noise_sub sub-bins, renewed every noise_every
        if j - jf >= noise_sub and (j - jf) % noise_every == 0:
            k = 0
            for q in range(j - noise_sub, j):
                x = d2_ring[q % R]
                if np.isfinite(x):
                    w[k] = x
                    k += 1
            st[0] = np.sqrt(np.median(w[:k]) / 0.4549 / 6.0) if k > noise_min else np.nan
        sig = st[0]
        z = -np.inf
        if np.isfinite(sig) and sig > 0:
            for wi in range(windows.shape[0]):
                M = windows[wi]
                if j - jf < M - 1:
                    continue
                ok = True
                for q in range(j - M + 1, j + 1):
                    if ex_ring[q % R]:
                        ok = False
                if not ok:
                    continue
                sxx = 0.0
                for i in range(M):
                    u = i - (M - 1) / 2.0
                    sxx += u * u
                s = 0.0
                for i in range(M):
                    s += (i - (M - 1) / 2.0) * m_ring[(j - M + 1 + i) % R]
                slope = s / sxx
                se = sig / np.sqrt(sxx)
                zm = (-slope - allow) / se
                if zm > z:
                    z = zm
                    if zm > thr and st[1] < 0:
                        st[1] = j
                        st[2] = zm
                        st[3] = slope
                        st[4] = se
                        st[5] = M
        out[c] = z
    return out


@jit
def fast_scan_run(sums, counts, j0, pos, learn_k, flag_k, offsets, rratio, rexcl, rn, k_first, iv0, iv1, a, b,
                  sub_bins, jf, windows, allow, thr, noise_sub, noise_every, noise_min, m_ring, d2_ring, ex_ring, st):
    """fast_scan over sub-bins a .. b - 1 of one zone run with its inputs built here (FastPaths.process):
    ``sums``, ``counts`` (pressure channels x sub-bins from j0) [Pa], [-]: the channel means are sum / count
    where count > 0, else NaN; ``pos`` the zone's channels among them, its vote
    (learn_k, flag_k, offsets), its detector bins' ratios and exclusions (rratio, rexcl, rn bins from k_first)
    and the known-operation intervals [iv0, iv1] of detector bins that concern it."""
    n = b - a
    P = pos.shape[0]
    X = np.empty((P, n))
    act = np.zeros((P, n), dtype=np.bool_)
    off = np.empty(P)
    for i in range(P):
        o = offsets[i]
        off[i] = 0.0 if np.isnan(o) else o
    ratio = np.empty(n)
    excl = np.zeros(n, dtype=np.bool_)
    for c in range(n):
        j = a + c
        K = j // sub_bins
        prev = K - 1
        for i in range(P):
            cnt = counts[pos[i], j - j0]
            x = sums[pos[i], j - j0] / (cnt if cnt > 1.0 else 1.0) if cnt > 0 else np.nan
            X[i, c] = x
            act[i, c] = np.isfinite(x) and learn_k[i] <= prev and flag_k[i] > prev
        idx = prev - k_first
        if 0 <= idx < rn:
            # the pressure itself (a fixed scale): the previous bin only says whether the zone was there and
            # usable (its temperatures would carry a glitch or a flagged thermometer into the track as a step)
            ratio[c] = 1.0 if np.isfinite(rratio[idx]) else np.nan
            e = rexcl[idx]
        else:
            ratio[c] = np.nan
            e = True
        for q in range(iv0.shape[0]):
            if iv0[q] <= K <= iv1[q]:
                e = True
        excl[c] = e
    return fast_scan(X, act, off, ratio, excl, a, jf, windows, allow, thr, noise_sub, noise_every, noise_min,
                     m_ring, d2_ring, ex_ring, st)


@jit
def stream_add(t_ns, codes, lut, value, si, scale, offset, bin_ns, k_open, sums, counts, pslot, sub_ns, j_open,
               ssums, scounts):
    """The streaming detector's accumulation of a usual batch in one pass: station row of each sample from its
    channel code (``lut``; code -1 = missing), SI value (``value * scale + offset`` unless ``si``), bin
    (``t_ns // bin_ns``) and, for pressure channels (``pslot >= 0``), sub-bin (``t_ns // sub_ns``); then each
    sample added, in order, to the open bins from ``k_open`` and sub-bins from ``j_open`` (-1: none yet; those
    before it are left out of the sub-bins only).

    Returns (status, last bin, first sub-bin, last sub-bin): status 0 = added; 1 = not a usual batch (a sample
    of an unknown channel, not finite, or of a bin before ``k_open``): nothing added, the caller's general
    path handles it; 2 = the bins or sub-bins do not fit the arrays: nothing added, grow them and call again.
    """
    n = t_ns.shape[0]
    nl = lut.shape[0]
    k_hi = -1
    j_lo = -1
    j_hi = -1
    for s in range(n):
        c = codes[s]
        if c < 0 or c >= nl - 1:
            return 1, k_hi, j_lo, j_hi
        r = lut[c]
        if r < 0 or not np.isfinite(value[s]):
            return 1, k_hi, j_lo, j_hi
        k = t_ns[s] // bin_ns
        if k < k_open:
            return 1, k_hi, j_lo, j_hi
        if k > k_hi:
            k_hi = k
        if pslot[r] >= 0:
            j = t_ns[s] // sub_ns
            if j_lo < 0 or j < j_lo:
                j_lo = j
            if j > j_hi:
                j_hi = j
    jo = j_open if j_open >= 0 else j_lo
    if k_hi - k_open + 1 > sums.shape[1] or (j_hi >= 0 and j_hi - jo + 1 > ssums.shape[1]):
        return 2, k_hi, j_lo, j_hi
    for s in range(n):
        r = lut[codes[s]]
        v = value[s] if si else value[s] * scale[r] + offset[r]
        k = t_ns[s] // bin_ns
        sums[r, k - k_open] += v
        counts[r, k - k_open] += 1.0
        sl = pslot[r]
        if sl >= 0:
            j = t_ns[s] // sub_ns
            if j >= jo:
                ssums[sl, j - jo] += v
                scounts[sl, j - jo] += 1.0
    return 0, k_hi, j_lo, j_hi
