"""Is a heard source a machine? Stationarity and shaft-rate amplitude modulation.

A leak's choked flow is steady over seconds (the cabin pressure decays over hours), so its coherent power
does not switch over a record; fans and pumps bolted to the structure often cycle, and rotating machinery
modulates its broadband noise at its shaft rate. Pure functions on the recording's segment spectra and
signals, used by :func:`hullbreach.locate.localize.locate` to describe each source and by
:func:`hullbreach.locate.sources.leak_likelihood` (as likelihood ratios) to weigh it:

* :func:`segment_powers` / :func:`stationarity` — each source's steered power per Welch segment and
  frequency block; a source is not stationary when the segment-to-segment variance of its power, common to
  the blocks, exceeds what independent blocks give (an F-ratio test on block-common variance), with louder
  sources' switching regressed out.
* :func:`modulation` / :func:`modulated_sources` — the envelope spectrum's shaft-rate line and its split
  over the sources by their spreading patterns (non-negative least squares, Lawson & Hanson 1974).

Split out of :mod:`hullbreach.locate.sources` (which keeps the source finding and the leak odds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: :func:`stationarity`: a source is not stationary when the segment-to-segment variance of its power,
#: common to the frequency blocks, exceeds this many times what independent blocks give (stationary
#: sources of the benchmark: ≤ 1.9, the 99.9 % point of F(22, 176) is ~2.3; sources cycling on and off
#: every 20–50 ms: 5–8) ...
STATIONARITY_RATIO = 3.5
#: ... and its power's standard deviation over segments exceeds this fraction of its mean [-] (cycling
#: 0.9–1.1; a weak stationary source's noisy estimate can exceed it, which the ratio rules out).
STATIONARITY_DEPTH = 0.3


def sensor_powers(Xseg: np.ndarray) -> np.ndarray:
    """Σ_i |X_i|² (F, S) of the segment spectra ``Xseg`` (F, N, S): the part of :func:`segment_powers`
    common to every source (computed once per recording and passed as its ``own_power``), 256 bins at a
    time (the same sums: each bin's is its own; no two (F, N, S) temporaries of ~35 MB)."""
    out = np.empty((Xseg.shape[0], Xseg.shape[2]), dtype=Xseg.real.dtype)
    for b in range(0, Xseg.shape[0], 256):
        out[b:b + 256] = np.sum(np.abs(Xseg[b:b + 256]) ** 2, axis=1)
    return out


def segment_powers(Xseg: np.ndarray, k: np.ndarray, sensors: np.ndarray, x, n_blocks: int = 8,
                   chunk: int = 4, own_power: np.ndarray | None = None) -> np.ndarray:
    """Coherent power of the source at ``x`` [m] per frequency block and Welch segment (n_blocks, S).

    Delay-and-sum of the segment spectra ``Xseg`` (F, N, S) with the A0 phases e^{i k_f |x − s_i|}
    (``k`` (F,) [rad/m], the calibrated model), minus the sensors' own powers (so noise adds no bias):
    |Σ_i e^{ikd_i} X_i|² − Σ_i |X_i|², summed over the bins of each block. Bins go to blocks in runs of
    ``chunk`` (4, round robin): each block spans the whole band, and Hann-correlated neighbours mostly
    share a block. ``own_power``: :func:`sensor_powers` of ``Xseg`` when already computed.
    """
    d = np.hypot(*(np.asarray(x, dtype=float)[None, :] - sensors).T)
    y = np.einsum("fn,fns->fs", np.exp(1j * np.outer(k, d)), Xseg)
    cp = np.abs(y) ** 2 - (sensor_powers(Xseg) if own_power is None else own_power)  # (F, S)
    blk = (np.arange(len(k)) // chunk) % n_blocks
    return np.array([cp[blk == b].sum(axis=0) for b in range(n_blocks)])


def stationarity(powers: np.ndarray) -> np.ndarray:
    """Per source: whether its power is steady over the record (True) or switches (False).

    ``powers`` (K, B, S): :func:`segment_powers` of each source. Envelope statistics over segments: a
    source that cycles on and off (a pump, a valve; 20–50 ms periods are shorter than the quarters of
    a 0.1 s record that the test used until session 4, so they averaged out) changes its power in every
    frequency block at once, whereas the sampling noise of a steady source's power is independent from
    block to block. So the variance over segments of the block mean is compared with the mean of the
    blocks' variances over B (ratio ≈ 1 for steady sources: an F test, e.g. Bendat & Piersol, *Random
    Data*, 4th ed., 2010, §4.6 and the nonstationarity tests of §12.5). A louder source leaks into a
    weaker one's steered power through the array's sidelobes, so its switching would show there too:
    each source's block powers are first regressed on the total powers of the sources louder than it
    (least squares with a constant) and the test is made on the residuals. Not stationary when the ratio
    exceeds :data:`STATIONARITY_RATIO` and the residual's standard deviation over segments exceeds
    :data:`STATIONARITY_DEPTH` of the mean power. Fewer than 8 segments: stationary (nothing to tell).
    """
    K, B, S = powers.shape
    out = np.ones(K, dtype=bool)
    if S < 8 or B < 2:
        return out
    tot = powers.sum(axis=1)  # (K, S)
    order = np.argsort(-tot.mean(axis=1))
    for n, k in enumerate(order):
        A = np.column_stack([np.ones(S)] + [tot[j] for j in order[:n]])
        blocks = powers[k]
        res = blocks - (A @ np.linalg.lstsq(A, blocks.T, rcond=None)[0]).T
        dof = max(S - A.shape[1], 1)
        var_mean = float(np.sum(res.mean(axis=0) ** 2)) / dof
        mean_var = float(np.mean(np.sum(res**2, axis=1))) / dof / B
        depth = math.sqrt(var_mean) * B / max(abs(float(tot[k].mean())), 1e-300)
        out[k] = not (var_mean > STATIONARITY_RATIO * mean_var and depth > STATIONARITY_DEPTH)
    return out


@dataclass(frozen=True)
class Modulation:
    """Amplitude modulation heard on the wall and where it comes from (:func:`modulation`).

    Attributes
    ----------
    peak_to_floor : float
        Largest Σ_i |Z_i(α)|² over α in the searched range, over its median there [-] (stationary
        noise: below ~12 in 99 %).
    rate_hz : float
        α*, the modulation (shaft or blade-pass) rate [Hz].
    index : np.ndarray
        Per source: the modulation index of its received power at α* [-] (0 = steady).
    parallel : np.ndarray | None
        (K, K) bool: pairs of sources whose spreading patterns the split cannot tell apart
        (:data:`MODULATION_PATTERN_COSINE`); None: not computed.
    """

    peak_to_floor: float
    rate_hz: float
    index: np.ndarray
    parallel: np.ndarray | None = None


def modulation(signals: np.ndarray, fs_hz: float, sensors: np.ndarray, sources_m: np.ndarray,
               band_hz=(30e3, 300e3), rates_hz=(20.0, 500.0), max_samples: int = 1 << 17) -> Modulation:
    """Which of the sources ``sources_m`` (K, 2) [m] is amplitude-modulated at a shaft rate.

    Rotating machinery's high-frequency noise is carried by the rotation, so its envelope repeats at the
    shaft or blade-pass rate (Randall & Antoni, Mech. Syst. Signal Process. 25(2), 2011, §2–3: envelope
    analysis); a leak's jet noise is stationary broadband turbulence with no such carrier. Per sensor i,
    the squared envelope e_i(t) of the band-passed analytic signal and its spectrum Z_i(α) over
    ``rates_hz``; the wall-level peak α* maximises Σ_i |Z_i(α)|² (stationary noise: near-exponential,
    compared with its median). The modulated power |Z_i(α*)| and the total power Z_i(0) are each split
    over the sources by non-negative least squares on their spreading pattern g_k(i) = 1/|s_i − x_k|
    (cylindrical spreading of a flexural wave's power, Graff 1975 §8.1) plus a uniform reverberant term;
    a source's index is its modulated share over its total share (times 2, the AM convention); sources
    whose patterns are nearly parallel share the larger index (the split cannot tell them apart). No phase
    model is used, so it survives wall mismatch. At most ``max_samples`` of the record are used.
    """
    from scipy.optimize import nnls

    x0 = signals[:, :max_samples]
    N, T = x0.shape
    K = len(sources_m)
    f = np.fft.rfftfreq(T, 1.0 / fs_hz)
    sel = np.flatnonzero((f >= band_hz[0]) & (f <= band_hz[1]))
    none = Modulation(0.0, 0.0, np.zeros(K))
    if K == 0 or len(sel) < 16 or T < 2 * fs_hz / rates_hz[0]:
        return none
    X = np.fft.rfft(x0 - x0.mean(axis=1, keepdims=True), axis=1)[:, sel]
    M = 1 << int(math.ceil(math.log2(len(sel) + 1)))
    e = np.abs(np.fft.ifft(X, n=M, axis=1)) ** 2  # squared envelopes at the band's rate
    Z = np.fft.rfft(e, axis=1)
    a = np.arange(Z.shape[1]) * fs_hz / T
    band = np.flatnonzero((a >= rates_hz[0]) & (a <= rates_hz[1]))
    if len(band) < 8:
        return none
    p = (np.abs(Z[:, band]) ** 2).sum(axis=0)
    j = int(np.argmax(p))
    ptf = float(p[j] / max(float(np.median(p)), 1e-300))
    mod, tot = 2 * np.abs(Z[:, band[j]]), Z[:, 0].real
    d = np.hypot(*(sensors[:, None, :] - np.asarray(sources_m)[None, :, :]).transpose(2, 0, 1))
    A = np.column_stack([1.0 / np.maximum(d, 0.02), np.ones(N)])  # (N, K + 1)
    cm = nnls(A, mod / mod.mean())[0][:K] * mod.mean()
    ct = nnls(A, tot / tot.mean())[0][:K] * tot.mean()
    idx = cm / np.maximum(ct, 1e-3 * max(float(ct.max()), 1e-300))
    # sources whose spreading patterns are nearly parallel (cosine ≥ 0.97: ~20 cm apart mid-panel, ~5 cm
    # near the sensors) cannot be told apart by this split: they share the larger index
    gn = A[:, :K] / np.linalg.norm(A[:, :K], axis=0)
    same = (gn.T @ gn) >= MODULATION_PATTERN_COSINE
    idx = np.array([idx[same[k]].max() for k in range(K)])
    return Modulation(ptf, float(a[band[j]]), np.clip(idx, 0.0, 2.0), same)


def modulated_sources(mods: Modulation, steady: np.ndarray, resolvable_hz: float) -> np.ndarray:
    """Per source: whether its power is amplitude-modulated at the wall's envelope line (bool (K,)).

    ``mods`` from :func:`modulation`; ``steady`` (K,) from :func:`stationarity`; ``resolvable_hz`` [Hz]
    the highest envelope rate the Welch segments of :func:`stationarity` follow (1 / (2 × segment
    length)). Modulated: the line is :data:`MODULATION_THRESHOLD` above the floor, the source's index is
    at least :data:`MODULATION_INDEX` and at least half the largest. The index split by spreading
    pattern is coarse; when the line is slow enough for the segments to follow and some source's power
    does switch over them, a source whose own power stays steady is not the modulated one (benchmark
    ``loud`` #7: equipment cycling on and off every 50 ms, a 20 Hz line; the split gave the leak index
    0.78 and the leak was taken for machinery).
    """
    idx = np.asarray(mods.index, dtype=float)
    if not len(idx):
        return np.zeros(0, dtype=bool)
    out = (mods.peak_to_floor >= MODULATION_THRESHOLD) & (idx >= MODULATION_INDEX) & (idx >= 0.5 * idx.max())
    steady = np.asarray(steady, dtype=bool)
    if mods.rate_hz <= resolvable_hz and not steady.all():
        # ... unless its spreading pattern cannot be told from that of a modulated source whose power does
        # switch: then it is that source's copy (a CLEAN residue next to it), and its own steadiness was
        # measured with that source regressed out (machine #8: a residue 11 cm from a 50 Hz fan came first)
        par = mods.parallel if mods.parallel is not None else np.eye(len(idx), dtype=bool)
        switching = out & ~steady
        out &= ~steady | (par & switching[None, :]).any(axis=1)
    return out


#: Peak-to-floor ratio of the wall's envelope spectrum above which something is amplitude-modulated: for
#: stationary noise the sum over sensors of |Z_i(α)|² is near-exponential and its maximum over the ~50
#: rates of a 0.1 s record exceeds 12 x the median with ~1 % probability; 20 leaves a margin.
MODULATION_THRESHOLD = 20.0
#: Modulation index of a source's received power above which it counts as modulated [-].
MODULATION_INDEX = 0.15
#: Cosine between two sources' spreading patterns above which the split cannot separate them [-].
MODULATION_PATTERN_COSINE = 0.97
