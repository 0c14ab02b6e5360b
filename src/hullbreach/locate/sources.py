"""Several sources, a detection threshold, honest radii, and which source is the leak.

Pure functions on the pair correlation tables of :mod:`hullbreach.locate.localize` (R_ij(Δ), Δ the path
difference [m]):

* :func:`null_threshold` — the detection threshold. The same map is made from a *surrogate* of the
  recording in which every channel is circularly shifted by a different multiple of T/N: each channel
  keeps its own spectrum and noise, but no source stays coherent between channels (a stationary
  source's cross-correlation lives at lags up to the reverberation time, much shorter than the shifts).
  The threshold is the surrogate map's median plus 1.25 × its largest excess (the look-elsewhere effect
  of searching the whole wall is in the surrogate's maximum). This is a surrogate-data test (Theiler et
  al., Physica D 58, 1992) applied to the steered-response map.
* :func:`pair_peaks` / :func:`subtract_source` — CLEAN in the pair domain (Högbom, A&AS 15, 1974, applied
  to correlations): for a found source, each pair's correlation lobe near the predicted path difference
  is measured (peak position δ̂_ij, complex amplitude) and the point-spread kernel
  K(u) = Σ_m w_m e^{i k_m u} / Σ w_m is subtracted there, so that weaker sources (and not the loud one's
  sidelobes) show in the next map.
* :func:`residual_radius` — the model-mismatch term of the 95 % radius: the pair residuals
  e_ij = δ̂_ij − δ_ij(x̂) are split into per-sensor errors n (e ≈ n_i − n_j, least squares) and pair noise,
  their robust variances give the covariance of the path differences, propagated to position through the
  Jacobian J of Δ_ij(x) (linearised least squares, e.g. Kay, *Fundamentals of Statistical Signal
  Processing I*, 1993, §8.9).
* :func:`scale_radius` — the model-error term of the radius: a relative error ε of the wall's A0 scale
  (its bootstrap interval and the one-scale model's shape error across the band,
  :func:`hullbreach.locate.calibrate.dispersion_shape_error`) scales every path difference, which moves
  the position by ε·|(JᵀJ)⁻¹JᵀΔ(x)|.
* :func:`characterize` — per source: coherent band, coherent power; :func:`hullbreach.locate.machinery.stationarity` — whether its
  power switches over the record (envelope statistics over Welch segments).
* :func:`reference_ratios` — whether each source's pair lobes are also in a reference recording.

Which source is the leak (the cues' likelihood ratios, the probabilities, the listing and the status) is
:mod:`hullbreach.locate.ranking`, split from here in session 7; its names are re-exported below for the
callers of ``sources.*``.
"""

from __future__ import annotations

import math

import numpy as np

from hullbreach.locate.ranking import (  # noqa: F401  (the ranking moved to ranking.py; its callers use these names)
    ALIKE_ADVICE, COHERENCE_POWER, COMPARABLE_COHERENCE, EQUIPMENT_PRIOR, FOUND_PROBABILITY, HIDDEN_LAYER_FACTOR,
    LEFTOVER_POWER_RATIO, LEFTOVER_RAMP_DB, LR_ABSENT_FROM_REFERENCE, LR_IN_REFERENCE, LR_MODULATED,
    LR_NAMED_EQUIPMENT, LR_NOT_STATIONARY, LR_SPECTRUM_MAX, R95_PER_SIGMA, UNLISTED_PROBABILITY, SourceInfo,
    UNRESOLVED_SHARE, candidate_status, equipment_probability, leak_likelihood, leak_odds, leak_probabilities,
    leftover_fraction, list_unresolved, power_excess_db, rank_candidates,
    LEAK_LEVEL_RANGE_DB, UNHEARD_SAID, candidate_odds, depth_phrase, detection_depth_db, unheard_chance, unheard_reason,
)

#: Kernel look-up step as a fraction of the table step (subtraction phase error < 0.1 rad).
_KERNEL_OVERSAMPLE = 8


def shifted_surrogate(signals: np.ndarray) -> np.ndarray:
    """Each channel i circularly shifted by i·T/N samples: same spectra, no inter-channel coherence."""
    N, T = signals.shape
    return np.stack([np.roll(signals[i], (i * T) // N) for i in range(N)])


def null_threshold(null_map: np.ndarray, margin: float = 1.25) -> float:
    """Detection threshold [-] from the surrogate map: median + ``margin`` × (max − median)."""
    med = float(np.median(null_map))
    return med + margin * (float(np.max(null_map)) - med)


def kernel_table(k: np.ndarray, w: np.ndarray, dd: float, half_width_m: float):
    """The pair point-spread kernel K(u) on a grid u = -U..U with step dd/16: (u0, du, K).

    K = (e^{i u kᵀ} @ w) / Σw, the (U, M) phase matrix made :data:`_KERNEL_ROWS` rows at a time (one
    whole was ~40 MB, mapped and cleared anew by the kernel for every localization; the product of each
    row is the same dot product, tests/locate/test_speed.py)."""
    du = dd / _KERNEL_OVERSAMPLE
    n = int(math.ceil(half_width_m / du))
    u = np.arange(-n, n + 1) * du
    K = np.empty(len(u), dtype=complex)
    for r0 in range(0, len(u), _KERNEL_ROWS):
        K[r0:r0 + _KERNEL_ROWS] = np.exp(1j * np.outer(u[r0:r0 + _KERNEL_ROWS], k)) @ w
    K /= np.sum(w)
    return float(u[0]), du, K


#: :func:`kernel_table` makes its phase matrix this many rows at a time (a power of two: BLAS's
#: matrix-vector kernels treat rows in groups of 4-16, so every row gets the dot product it gets in one call).
_KERNEL_ROWS = 256


def _interp_rows(R: np.ndarray, d0: float, dd: float, x: np.ndarray) -> np.ndarray:
    """Complex linear interpolation of each row p of R at position x[p] [m]."""
    pos = np.clip((x - d0) / dd, 0, R.shape[1] - 1.000001)
    i0 = pos.astype(np.int64)
    w = pos - i0
    rows = np.arange(R.shape[0])
    return R[rows, i0] * (1 - w) + R[rows, i0 + 1] * w


def pair_peaks(R: np.ndarray, d0: float, dd: float, delta_pred: np.ndarray, window_m: np.ndarray):
    """Per pair: the envelope peak of R within ±window of the predicted path difference.

    Returns (δ̂ (P,) [m], complex amplitude (P,), envelope at the peak (P,)); the peak position is refined
    by a parabola through the three samples around the maximum.
    """
    P, D = R.shape
    wn = np.maximum(2, np.ceil(window_m / dd).astype(int))
    c = np.round((delta_pred - d0) / dd).astype(int)
    W = int(wn.max())
    offs = np.arange(-W, W + 1)
    idx = np.clip(c[:, None] + offs[None, :], 1, D - 2)
    env = np.abs(R[np.arange(P)[:, None], idx])
    env = np.where(np.abs(offs)[None, :] <= wn[:, None], env, -1.0)
    j = np.argmax(env, axis=1)
    i = idx[np.arange(P), j]
    rows = np.arange(P)
    a, b, cc = np.abs(R[rows, i - 1]), np.abs(R[rows, i]), np.abs(R[rows, i + 1])
    den = a - 2 * b + cc
    frac = np.where(den < 0, 0.5 * (a - cc) / np.where(den < 0, den, -1.0), 0.0)
    delta = d0 + (i + np.clip(frac, -0.5, 0.5)) * dd
    amp = _interp_rows(R, d0, dd, delta)
    return delta, amp, np.abs(amp)


def subtract_source(R: np.ndarray, d0: float, dd: float, delta: np.ndarray, amp: np.ndarray, kern,
                    inplace: bool = False) -> np.ndarray:
    """R minus amp_p·K(Δ − δ_p) for every pair p (a new array, or R itself when ``inplace``)."""
    u0, du, K = kern
    n = (len(K) - 1) // 2
    span = int(math.floor(n * du / dd))
    out = R if inplace else R.copy()
    P, D = R.shape
    x = (delta - d0) / dd
    c = np.round(x).astype(np.int64)
    offs = np.arange(-span, span + 1)
    # the kernel at the nearest of its samples (step dd/8: phase error ≤ k_max·dd/16, a few hundredths of
    # a radian), every row at its own fractional offset
    kidx = np.clip(np.rint((offs[None, :] + (c - x)[:, None]) * (dd / du)).astype(np.int64) + n, 0, len(K) - 1)
    vals = amp[:, None] * K[kidx]
    idx = c[:, None] + offs[None, :]
    rows = np.arange(P)[:, None]
    if int(idx.min()) >= 0 and int(idx.max()) < D:
        out[rows, idx] -= vals  # (row, index) pairs are distinct: no ufunc.at needed
    else:
        ok = (idx >= 0) & (idx < D)
        out[np.broadcast_to(rows, idx.shape)[ok], idx[ok]] -= vals[ok]
    return out


#: A hidden-layer source with a position within this distance [m] of a first-layer source's best position
#: is a distorted copy of it (:func:`source_copies`).
HIDDEN_COPY_M = 0.08


def source_copies(found: list) -> list[int]:
    """Indices of sources in ``found`` that are copies of earlier ones, not sources of their own.

    ``found``: per source a dict with ``layer`` (0 first CLEAN layer, 1 the hidden layer: the cross-spectra
    without their dominant eigen-component), ``group`` (its positions, dicts with ``x`` [m], the best
    first) and ``r95`` [m], in CLEAN order (the loudest first).

    * First layer: a source one of whose positions (its best or a twin) lies within the sum of the two
      95 % radii of an earlier source's best position is what CLEAN left of that one (its lobes are
      chirped where the dispersion model is off). The CLEAN loop already skips a residue whose *best*
      position is within 8 cm; its twins were not checked (sweep #0 of the benchmark: two "sources" with
      twins 9 and 11 mm from the leak, listed as rivals of it). A fixed 8 cm for twins was tried and
      dropped real leaks whose far twin fell near the machine (``loud`` #15).
    * Hidden layer: it exists to show a source buried under the loudest one. But the eigen-removal takes
      away only the frequency bins where a source dominated and leaves the rest, whose chirped lobes,
      searched again, peak 5–7 cm from it, with twins (``sweep`` #2: a twin 5.5 cm from the loudest).
      Dropped when one of its positions lies within :data:`HIDDEN_COPY_M` of the loudest source, or its
      best position within that of another first-layer source's best. Twins are not used for the others:
      a real leak buried under 15 dB of machinery had a twin 6 cm from a residue of the machine (``worst``
      #0); copies of a weaker first-layer source are therefore kept (``band+ref`` #1, #5: listed, ranked).

    Limit: a real source that close to another one's position is dropped with the copies.
    """
    out = []
    for k, s in enumerate(found):
        xs = [np.asarray(g["x"]) for g in s["group"]]
        if s["layer"] == 0:
            near = [(np.asarray(e["group"][0]["x"]), e["r95"] + s["r95"]) for e in found[:k] if e["layer"] == 0]
        else:  # any position near the loudest; only the best position near the others
            near = [(np.asarray(e["group"][0]["x"]), HIDDEN_COPY_M) for e in found if e["layer"] == 0]
            if any(math.hypot(*(x - near[0][0])) < HIDDEN_COPY_M for x in xs) or any(
                    math.hypot(*(xs[0] - f)) < r for f, r in near[1:]):
                out.append(k)
            continue
        if any(math.hypot(*(x - f)) < r for x in xs for f, r in near):
            out.append(k)
    return out


#: A CLEAN peak within this distance [m] of a found source's position is what CLEAN left of it (:func:`is_residue`).
RESIDUE_M = 0.08


def is_residue(found: list, x, layer: int) -> bool:
    """Whether the best peak ``x`` [m] of a CLEAN map of ``layer`` is what CLEAN left of a source in ``found``.

    ``found``: as in :func:`source_copies`. A source's lobes are chirped where the dispersion model is
    off, so after its subtraction something of it shows again near it: within :data:`RESIDUE_M` of any
    position (best or twin) of a source of the same layer, or of the loudest source (the first found);
    within it of the *best* position of another first-layer source. Not near a weaker first-layer source's
    twin: in the hidden layer a source masked by a louder one stands out, and in the first layer its
    lobes may only have made a twin of some residue (benchmark ``loud`` #7: a cycling band source 6.8 dB
    above the leak; the first layer's third "source" had its best position 25 cm from the leak and a
    twin 2 mm from it, the hidden layer's strongest peak was the leak, taken for that twin's residue and
    never listed).
    """
    x = np.asarray(x, dtype=float)
    for k, src in enumerate(found):
        every = src["layer"] == layer or k == 0
        for g in (src["group"] if every else src["group"][:1]):
            if math.hypot(*(x - np.asarray(g["x"]))) < RESIDUE_M:
                return True
    return False


def path_differences(sensors: np.ndarray, pi, pj, x) -> tuple[np.ndarray, np.ndarray]:
    """Δ_ij(x) = |x − s_i| − |x − s_j| (P,) [m] and its gradient J (P, 2) [-]."""
    d = np.asarray(x, dtype=float)[None, :] - sensors
    r = np.hypot(d[:, 0], d[:, 1])
    u = d / np.maximum(r, 1e-9)[:, None]
    return r[pi] - r[pj], u[pi] - u[pj]


def mirror_images(x, wall) -> list[np.ndarray]:
    """First-order mirror images [m] of a source at ``x`` in the four edges and in every stiffener line."""
    x0, y0 = float(x[0]), float(x[1])
    out = [np.array([-x0, y0]), np.array([2 * wall.width_m - x0, y0]), np.array([x0, -y0]),
           np.array([x0, 2 * wall.height_m - y0])]
    for st in wall.stiffeners:
        c = st.position_m
        out.append(np.array([x0, 2 * c - y0]) if st.direction == "x" else np.array([2 * c - x0, y0]))
    return out


def echo_path_differences(sensors: np.ndarray, pi, pj, x, wall) -> np.ndarray:
    """Path differences [m] (T, P) of a source's echo *cross-terms*: r_a(s_i) − r_b(s_j) for every two
    different points a ≠ b among the source at ``x`` and its first-order mirror images
    (:func:`mirror_images`), r_a(s) the distance from point a to sensor s.

    Why: a sensor hears the source's direct wave and its echoes, x_i = Σ_a h(t − r_a(s_i)/c), so the pair
    correlation R_ij has a lobe at every r_a(s_i) − r_b(s_j) (the image-source method of room and plate
    acoustics, Allen & Berkley, J. Acoust. Soc. Am. 65, 1979). CLEAN takes the direct lobe (a = b = the
    source) and each image's own (a = b = an image); the cross-terms a ≠ b (sensor i's direct wave against
    sensor j's echo) stay, and where several of them meet the map has a peak that no source makes
    (:func:`echoes`).
    """
    pts = [np.asarray(x, dtype=float)] + mirror_images(x, wall)
    r = np.array([np.hypot(*(p[None, :] - sensors).T) for p in pts])  # (A, N) [m]
    return np.array([r[a, pi] - r[b, pj] for a in range(len(pts)) for b in range(len(pts)) if a != b])


#: A weak source is an echo of a louder one (:func:`echoes`) when at least this fraction of its pairs' lobes
#: lie on the louder one's echo cross-terms [-].
ECHO_PAIR_FRACTION = 0.8
#: ... counted over at least this many pairs carrying its lobe (with fewer, nothing is said).
ECHO_MIN_PAIRS = 6


def echoes(found: list, sensors: np.ndarray, pi, pj, wall, half_width_m: float) -> list[int]:
    """Indices of sources in ``found`` that are made of a louder source's echo cross-terms, not sources.

    ``found``: per source a dict with ``group`` (its positions, the best first, each with ``x`` [m] and
    ``score``), ``dhat`` (P,) its pair lobes' measured path differences [m, table scale], ``inl`` (P,)
    the pairs that carry them, ``scale`` (the A0 wavenumber scale it was found at). Source k is an echo of
    source e when k is weaker than :data:`COMPARABLE_COHERENCE` × e's coherence and at least
    :data:`ECHO_PAIR_FRACTION` of its ≥ :data:`ECHO_MIN_PAIRS` lobes lie within a lobe half-width
    ``half_width_m`` [m] (:func:`hullbreach.locate.resolution.lobe_half_width`) of one of e's echo
    cross-terms (:func:`echo_path_differences`, at e's scale).

    Measured (session 7, docs/benchmarks/locate.md): the demo's five weak "sources" 7–25 cm from the hole
    (8 sensors, edges reflecting 0.8; none when simulated without reflections) have 100 % of their lobes on
    the hole's cross-terms, the cabin fan 42 %. On the independent generator (16 sensors, 120 pairs, 30
    cross-terms each, so ~20–35 % by chance) the leaks under louder equipment 19–61 % (one leak-side
    duplicate of a leak also found in the hidden layer 74 %), the weak peaks that are neither source
    49–100 % — so the threshold is set high, to drop only peaks that are clearly echoes; the others stay
    listed, weak and improbable. Subtracting the cross-terms inside CLEAN instead (tried) cleaned the
    one-leak recordings but ate the lobes of leaks under louder equipment: ``loud`` leak listed 14/16
    (was 16/16), two wrong "found".
    """
    out = []
    for k, s in enumerate(found):
        use = np.asarray(s["inl"], dtype=bool)
        if int(use.sum()) < ECHO_MIN_PAIRS:
            continue
        for e in found:
            if e is s or s["group"][0]["score"] >= COMPARABLE_COHERENCE * e["group"][0]["score"]:
                continue
            E = echo_path_differences(sensors, pi, pj, e["group"][0]["x"], wall) * e["scale"]
            on = np.min(np.abs(E - np.asarray(s["dhat"])[None, :]), axis=0) < half_width_m
            if float(on[use].mean()) >= ECHO_PAIR_FRACTION:
                out.append(k)
                break
    return out


def residual_radius(sensors: np.ndarray, pi, pj, x, scale: float, delta_hat: np.ndarray, significant: np.ndarray,
                    coverage: float = 0.95) -> tuple[float, float, np.ndarray]:
    """95 % radius [m] from the pair residuals, their robust scale [m], and the inlier mask.

    Residuals e = δ̂/s − Δ(x) of the pairs whose lobe is ``significant``; outliers (|e| > 5 robust SD, a
    lobe of another source) are dropped. Per-sensor errors n: least-squares solution of n_i − n_j = e_ij
    (zero mean); the rest is pair noise; both variances are robust (1.4826 × median absolute value)².
    Cov(x) = A (σ_n² B Bᵀ + σ_w² I) Aᵀ with A = (JᵀJ)⁻¹Jᵀ, B the pair–sensor incidence matrix.
    The circle radius is sqrt(χ²₂(coverage) · λ_max(Cov)).
    """
    N = sensors.shape[0]
    dpred, J = path_differences(sensors, pi, pj, x)
    e = delta_hat / scale - dpred
    base = significant if significant.sum() >= 3 else np.ones_like(significant)
    med = float(np.median(e[base]))
    mad = 1.4826 * float(np.median(np.abs(e[base] - med))) + 1e-6
    ok = base & (np.abs(e - med) <= 5 * mad)
    if ok.sum() < 3:
        ok = base
    B = np.zeros((len(pi), N))
    B[np.arange(len(pi)), pi] = 1.0
    B[np.arange(len(pi)), pj] = -1.0
    Bo, eo, Jo = B[ok], e[ok], J[ok]
    n_hat = np.linalg.lstsq(Bo, eo, rcond=None)[0]
    used = np.flatnonzero(np.abs(Bo).sum(axis=0) > 0)
    n_hat -= n_hat[used].mean()
    w = eo - Bo @ n_hat
    # robust variances, with the degrees of freedom the fit used back (the position takes 2, the sensor
    # errors N' − 1 of the pairs): with 4 sensors little is left and the radius grows accordingly
    nu = len(used)
    sig_n2 = (1.4826 * float(np.median(np.abs(n_hat[used])))) ** 2 * (nu - 1) / max(nu - 3, 0.5)
    dof_w = len(eo) - (nu - 1) - 2
    sig_w2 = (1.4826 * float(np.median(np.abs(w)))) ** 2 * len(eo) / max(dof_w, 0.5)
    JtJ = Jo.T @ Jo
    if np.linalg.cond(JtJ) > 1e10:
        return float("inf"), mad, ok
    A = np.linalg.solve(JtJ, Jo.T)
    cov = A @ (sig_n2 * (Bo @ Bo.T) + sig_w2 * np.eye(len(eo))) @ A.T
    lam = float(np.max(np.linalg.eigvalsh(cov)))
    chi2 = -2.0 * math.log(1.0 - coverage)  # χ² with 2 degrees of freedom
    return math.sqrt(chi2 * max(lam, 0.0)), mad, ok


def scale_radius(sensors: np.ndarray, pi, pj, x, rel_scale_error: float, use: np.ndarray | None = None) -> float:
    """Position error [m] that a relative error ε of the A0 wavenumber scale causes at ``x``.

    A scale error multiplies every path difference: δΔ_ij = ε Δ_ij(x). Linearised least squares moves
    the position by δx = A δΔ, A = (JᵀJ)⁻¹Jᵀ over the pairs ``use`` (Kay 1993 §8.9), so the radius is
    |A Δ(x)| ε. Inside the array this is small (the path differences of opposite pairs cancel); near or
    outside the sensor hull scale and range trade off and it reaches ~0.6 m per unit ε.
    """
    d, J = path_differences(sensors, pi, pj, x)
    if use is not None and int(np.sum(use)) >= 3:
        d, J = d[use], J[use]
    JtJ = J.T @ J
    if np.linalg.cond(JtJ) > 1e10:
        return float("inf")
    return float(np.hypot(*np.linalg.solve(JtJ, J.T @ d))) * abs(rel_scale_error)


def characterize(f: np.ndarray, G: np.ndarray, Xseg: np.ndarray, k_model: np.ndarray, sensors: np.ndarray,
                 pi, pj, x, scale: float, delta_hat: np.ndarray, inliers: np.ndarray, fs_hz: float,
                 nseg: int, band_hz, n_blocks: int = 24, stationary: bool = True) -> SourceInfo:
    """Band and power of the source at ``x`` (see :class:`SourceInfo`; ``stationary`` is passed through,
    from :func:`hullbreach.locate.machinery.stationarity`).

    ``G`` (P, F) are the raw cross-spectra, ``Xseg`` (F, N, S) the segment spectra, ``k_model`` (F,) the
    model A0 wavenumber [rad/m]. Each pair is steered with its measured path difference δ̂ (so the
    phase model error is taken out); frequency blocks (log-spaced) whose steered PHAT coherence exceeds
    the noise level (3 σ of a sum of unit phasors) make the band.
    """
    ksc = k_model * scale
    use = np.flatnonzero(inliers)
    steer = np.exp(1j * np.outer(delta_hat[use] / scale, ksc))  # (P', F): undo e^{-ikΔ}
    Gs = G[use] * steer
    mag = np.abs(G[use])
    ph = Gs / np.where(mag > 0, mag, 1.0)
    edges = np.geomspace(band_hz[0], band_hz[1], n_blocks + 1)
    blk = np.clip(np.searchsorted(edges, f, side="right") - 1, 0, n_blocks - 1)
    hits = []
    for b in range(n_blocks):
        sel = blk == b
        m = int(sel.sum())
        if m < 2:
            continue
        # per pair |mean of the block's steered unit phasors| (insensitive to a residual phase per pair);
        # null: mean of m/1.5 independent unit phasors (Hann-correlated bins) has E|.| = sqrt(π/(4 m')),
        # SD sqrt((1 − π/4)/m'), averaged over P' pairs
        mp = max(m / 1.5, 1.0)
        stat = float(np.abs(ph[:, sel].mean(axis=1)).mean())
        null = math.sqrt(math.pi / (4 * mp)) + 4.0 * math.sqrt((1 - math.pi / 4) / mp) / math.sqrt(len(use))
        if stat > null:
            hits.append(b)
    if hits:
        lo, hi = edges[min(hits)], edges[max(hits) + 1]
    else:
        lo, hi = band_hz
    frac = math.log(hi / lo) / math.log(band_hz[1] / band_hz[0]) if hits else 0.0
    # coherent power: per coherent block, mean over pairs of |Σ_f steered cross-spectrum|, Welch-normalised
    win = np.hanning(nseg)
    norm = 2.0 / (fs_hz * np.sum(win**2))
    df = f[1] - f[0]
    # per block: mean over pairs of |Σ_f steered G| minus what random phases give (sqrt(π/4 Σ|G|²))
    dens = np.zeros(n_blocks)
    for b in range(n_blocks):
        sel = blk == b
        if sel.sum() == 0:
            continue
        coh = np.abs(Gs[:, sel].sum(axis=1)) - np.sqrt(math.pi / 4 * (np.abs(Gs[:, sel]) ** 2).sum(axis=1))
        dens[b] = max(float(coh.mean()), 0.0) / sel.sum()
    pw = sum(dens[b] * (blk == b).sum() for b in hits) * norm * df
    third, sixth = n_blocks // 3, max(1, n_blocks // 6)
    mid, top = dens[third:2 * third].mean(), dens[n_blocks - sixth:].mean()
    hf_db = 10 * math.log10(max(top, 1e-300) / max(mid, 1e-300)) if mid > 0 else -99.0
    return SourceInfo(10 * math.log10(max(pw, 1e-300)), (float(lo), float(hi)), bool(stationary), float(frac),
                      float(max(hf_db, -99.0)))


#: Reference test (:func:`reference_ratios`): a source whose pair lobes keep at least this fraction of their
#: amplitude in the reference recording is heard there [-] (equipment whose level drifts by ±3 dB keeps
#: ~0.7–1.4 of its PHAT lobe); at most :data:`REFERENCE_ABSENT` it is absent; in between, undecided.
REFERENCE_PRESENT = 0.5
REFERENCE_ABSENT = 0.3
#: Path-difference offsets [m] where :func:`reference_ratios` measures a pair's background.
_REFERENCE_CONTROL_M = (-0.08, -0.05, -0.03, 0.03, 0.05, 0.08)


def _lobe_excess(R: np.ndarray, d0: float, dd: float, delta_hat: np.ndarray) -> np.ndarray:
    """Per pair: |R| at δ̂ minus the pair's background (|R| 3–8 cm of path difference away, median of six)."""
    at = np.abs(_interp_rows(R, d0, dd, delta_hat))
    bg = np.median([np.abs(_interp_rows(R, d0, dd, delta_hat + o)) for o in _REFERENCE_CONTROL_M], axis=0)
    return at - bg


def reference_ratios(R_ref: np.ndarray, R_rec: np.ndarray, d0: float, dd: float, found: list, kern) -> list[float]:
    """Per found source: how much of its pair lobes the reference recording also has [-] (≈1 heard there,
    ≈0 absent, NaN when the recording's own lobe cannot be measured).

    ``R_ref``, ``R_rec`` (P, D): the reference's and the recording's pair tables (same sensors, same
    path-difference grid d0, dd [m]; the recording's before any CLEAN step, so both are normalised alike).
    ``found``: the sources in CLEAN order, dicts with ``dhat`` (P,) [m] (lobe positions measured in the
    recording) and ``inl`` (P,) bool (the pairs that carry its lobe). The CLEAN sequence is replayed on
    both tables: per source, per pair the lobe excess at δ̂ (the envelope there minus the pair's background
    a few cm of path difference away); the ratio of the medians over its pairs, reference over recording;
    then its lobes are subtracted from both, so that a weaker source is compared without the louder ones.
    The same propagation puts the same lobe at the same path difference, so it is read there (no search).
    The median is the point: a louder source's lobes or echoes cross a given path difference in a few
    pairs only, so the test asks "are *this* source's lobes there", not "is the reference map high here"
    (it is, all over a reverberant wall with loud equipment running).
    """
    ref, rec = R_ref.copy(), R_rec.copy()
    out = []
    for src in found:
        dh = src["dhat"]
        use = np.asarray(src["inl"], dtype=bool)
        if use.sum() < 3:
            use = np.ones_like(use)
        e_rec = float(np.median(_lobe_excess(rec, d0, dd, dh)[use]))
        e_ref = float(np.median(_lobe_excess(ref, d0, dd, dh)[use]))
        out.append(e_ref / e_rec if e_rec > 0 else float("nan"))
        for R in (ref, rec):
            med = np.median(np.abs(R), axis=1)
            di, ai, ei = pair_peaks(R, d0, dd, dh, np.full(len(dh), 2e-3))
            keep = ei > 3.0 * med
            if keep.any():
                subtract_source(R, d0, dd, di, np.where(keep, ai, 0), kern, inplace=True)
    return out


def reference_verdict(ratio: float) -> bool | None:
    """True (heard in the reference), False (absent) or None (undecided) from :func:`reference_ratios`."""
    if not math.isfinite(ratio):
        return None
    if ratio >= REFERENCE_PRESENT:
        return True
    if ratio <= REFERENCE_ABSENT:
        return False
    return None
