"""Numba kernels of :mod:`hullbreach.detect.kernels` (imported by it on first use; see there for what they do
and why they give the same bits as the NumPy and Python paths)."""

from __future__ import annotations

import numba
import numpy as np

#: No fastmath (IEEE operations in source order, no contraction into fused multiply-adds); NumPy's error
#: model (x / 0 gives inf or NaN, as in NumPy); compiled code cached beside this file.
jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@jit
def median(vals):
    """vote.median_list on an array: NaN ignored, the same sorted values and formula."""
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
def _vote(xall, cnts, rows, offs, flag, noise, atol, dev, carry, track, six, k):
    """vote.Consensus.run_one once every valid channel has its offset: consensus value and whether
    a channel was flagged (``flag``, ``dev``, ``carry`` and, when ``track``, ``offs`` are updated in place)."""
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
                        if not np.isnan(dev[i]) and not np.isnan(offs[i]):
                            carry[i] = offs[i] + dev[i]
            if not bad:
                _note_dev(c, act, med, offs, dev, track)
                return med, changed
            changed = True
    med = median(c[act])
    _note_dev(c, act, med, offs, dev, track)
    return med, changed


@jit
def _note_dev(c, act, med, offs, dev, track):
    """Each voting channel's departure from the consensus ``med`` (vote.Consensus.dev) and its tracked
    offset (end of vote.Consensus.run_one)."""
    if not np.isnan(med):
        for i in range(c.shape[0]):
            if act[i]:
                d = c[i] - med
                if track != 0.0:
                    step = track * d
                    offs[i] = offs[i] + step
                    d = d - step
                dev[i] = d

@jit
def zone_bin_one(xall, cnts, k, prow, p_offs, p_flag, p_noise, p_atol, p_dev, p_carry, p_track, trow, t_offs, t_flag,
                 t_noise, t_atol, t_dev, t_carry, t_track, t_single, vols, tnom, six):
    """Pressure vote, temperature vote and sum of V_i / T_i over the modules for one bin (see
    :func:`zone_bin_one` below). Status -1 (nothing done) when a valid channel still has to learn its
    offset."""
    for i in range(prow.shape[0]):
        if np.isnan(p_offs[i]) and np.isfinite(xall[prow[i]]):
            return -1, np.nan, np.nan, np.nan, False, False
    for i in range(trow.shape[0]):
        if np.isnan(t_offs[i]) and np.isfinite(xall[trow[i]]):
            return -1, np.nan, np.nan, np.nan, False, False
    p, chp = _vote(xall, cnts, prow, p_offs, p_flag, p_noise, p_atol, p_dev, p_carry, p_track, six, k)
    tc, cht = _vote(xall, cnts, trow, t_offs, t_flag, t_noise, t_atol, t_dev, t_carry, t_track, six, k)
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
                if k >= t_flag[j] and not np.isnan(t_carry[j]):
                    o = t_carry[j]  # vote.Consensus.fallback_offset
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
              m_ring, d2_ring, ex_ring, st, gate_rel, gate_sub):
    """The fast path over sub-bins ``j0 .. j0 + X.shape[1] - 1`` (see hullbreach.detect.fastpath.FastZone).

    ``X`` (channels x sub-bins): channel means [Pa]; ``act``: channel usable there; ``off``: channel offsets
    [Pa]; ``ratio``: scale of the track per sub-bin (1 in use; NaN: the zone's previous bin is unknown);
    ``excl``: sub-bin inside a known operation; ``jf``: the zone's first sub-bin; rings (length a power of two)
    of the track [Pa], its squared second differences [Pa^2] and the exclusion flags. ``st`` (float64):
    [sigma, alarm sub-bin (-1), z at the alarm, slope at the alarm [Pa/sub-bin], its standard error, its
    window, the fall from the gate's high at the alarm [Pa] (NaN without the gate)]. Thermal gate
    (``gate_sub`` > 0): an alarm also needs the window's fitted end level below the highest track value of the last ``gate_sub`` sub-bins of its unexcluded stretch by more than
    ``gate_rel`` times that value plus ``thr`` sigma. Returns the statistic per sub-bin (-inf where it cannot be
    computed)."""
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
        # thermal gate: the highest track value of the sub-bin's unexcluded stretch within gate_sub
        ref = -np.inf
        if gate_sub > 0:
            q = j
            while q >= jf and q >= j - gate_sub and not ex_ring[q % R]:
                x = m_ring[q % R]
                if x > ref:
                    ref = x
                q -= 1
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
                s0 = 0.0
                for i in range(M):
                    x = m_ring[(j - M + 1 + i) % R]
                    s += (i - (M - 1) / 2.0) * x
                    s0 += x
                slope = s / sxx
                se = sig / np.sqrt(sxx)
                zm = (-slope - allow) / se
                if zm > z:
                    z = zm
                gate = True
                lvl = np.nan
                if gate_sub > 0:
                    lvl = s0 / M + slope * ((M - 1) / 2.0)
                    gate = ref - lvl > gate_rel * ref + thr * sig
                if zm > thr and gate and st[1] < 0:
                    st[1] = j
                    st[2] = zm
                    st[3] = slope
                    st[4] = se
                    st[5] = M
                    st[6] = ref - lvl
        out[c] = z
    return out


@jit
def fast_scan_run(sums, counts, j0, pos, learn_k, flag_k, offsets, rratio, rexcl, rn, k_first, iv0, iv1, a, b,
                  sub_bins, jf, windows, allow, thr, noise_sub, noise_every, noise_min, m_ring, d2_ring, ex_ring, st,
                  gate_rel, gate_sub):
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
                     m_ring, d2_ring, ex_ring, st, gate_rel, gate_sub)


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
