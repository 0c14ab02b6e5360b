"""Pair cross-spectra and pair correlation tables of the localizer (split out of ``localize.py``, which
had passed the house limit of ~800 lines).

Welch cross-spectra of all sensor pairs (Welch 1967, Hann window, 50 % overlap) and, per pair, the
correlation in path difference R_ij(Δ) that the steered-response-power search reads:

* ``tables_dispersive``: PHAT-weighted cross-spectra resampled onto a uniform A0 wavenumber grid and
  inverse-transformed in k (Wilcox, IEEE TUFFC 50(4), 2003), so R_ij peaks at the path difference whatever
  the dispersion;
* ``tables_gcc``: the classic GCC-PHAT in time lag (Knapp & Carter, IEEE TASSP 24(4), 1976), steered with one
  wave speed.

Units: frequencies [Hz], wavenumbers [rad/m], path differences [m], samples [-].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft

from hullbreach.errors import LocalizationError
from hullbreach.locate import srp
from hullbreach.locate.signals import Recording
from hullbreach.locate.wall import Wall

# Cross-spectra and pair correlation tables
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tables:
    """Per-pair correlation in path difference: complex R (P, D) sampled at Δ = d0 + n·dd [m]."""

    R: np.ndarray
    d0: float
    dd: float
    pi: np.ndarray
    pj: np.ndarray
    k: np.ndarray  # wavenumbers of the transform [rad/m] (point-spread kernel of a pair lobe)
    w: np.ndarray  # their taper weights [-]


def segment_length(rec: Recording, wall: Wall, band_hz) -> int:
    """Welch segment length [samples]: ≥ 8 × the largest pair delay, so the cross-spectrum phase turns by
    at most π/4 per frequency bin (keeps the k-grid interpolation accurate and the correlation unbiased)."""
    pos = rec.sensor_positions_m
    dmax = float(np.max(np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))))
    tab = wall.dispersion(f_max_hz=max(rec.fs_hz / 2, band_hz[1]))
    fb = np.linspace(band_hz[0], band_hz[1], 64)
    cg_min = float(np.min(tab.group(fb, "A0")))
    tau = dmax / cg_min
    n = 1 << int(math.ceil(math.log2(max(1024, 8 * tau * rec.fs_hz))))
    T = rec.signals.shape[1]
    need = int(max(1024, 2 * tau * rec.fs_hz))
    if T < need:
        raise LocalizationError(
            f"recording too short: {T} samples ({T / rec.fs_hz * 1e3:.2f} ms); the largest sensor-to-sensor "
            f"delay is {tau * 1e3:.2f} ms and at least {need} samples ({need / rec.fs_hz * 1e3:.2f} ms) are needed",
            hint="record longer; 20 ms or more gives good averages")
    if n > T:
        n = 1 << int(math.floor(math.log2(T)))
    if welch_segments(T, n) < MIN_SEGMENTS:
        # a short record: the power of two above 8 τ (up to twice the rule's length) would leave too few
        # segments; the shortest even fast FFT length that keeps the rule gives more (the variance of a Welch
        # cross-spectrum falls as 1/segments, Bendat & Piersol, *Random Data*, 4th ed. 2010, §11.6; the
        # coherence lost to the delay across a segment, ~τ/length, stays ≤ 1/8 either way)
        m = sfft.next_fast_len(int(math.ceil(max(1024, 8 * tau * rec.fs_hz))), real=True)
        while m % 2:
            m = sfft.next_fast_len(m + 1, real=True)
        if m < n:
            n = m
    return n


#: A record whose power-of-two Welch segments would number fewer than this gets the shortest fast length
#: that keeps the ≥ 8 τ rule instead (:func:`segment_length`). The finite-difference benchmark's 12 ms
#: records (12 sensors, τ 0.29 ms): 4096 samples, 4 segments → 2400, 9 segments, the map's peak 1 dB further
#: above the detection threshold on average over 24 two-source mixtures, more of the sources' echoes heard too
#: (docs/benchmarks/locate.md, session 9). Records of 0.1 s and more on the project's walls have ≥ 20
#: power-of-two segments and keep them.
MIN_SEGMENTS = 8


def welch_segments(n_samples: int, nseg: int) -> int:
    """Number of Welch segments (50 % overlap) of ``nseg`` samples in ``n_samples`` [-] (as :func:`cross_spectra`)."""
    return max(1, 1 + (n_samples - nseg) // (nseg // 2))


def cross_spectra(rec: Recording, nseg: int, band_hz):
    """Welch cross-spectra (Hann, 50 % overlap) of all sensor pairs in the band: (f, G (P, F), pi, pj,
    segment spectra (F, N, S), cross-spectral matrix (F, N, N))."""
    mean = rec.signals.mean(axis=1, keepdims=True)
    N, T = rec.signals.shape
    x = np.empty((N, T), dtype=np.float32)  # the centred samples in single precision, a channel at a time
    for i in range(N):
        x[i] = rec.signals[i] - mean[i]
    hop = nseg // 2
    nsegs = welch_segments(T, nseg)
    f = np.fft.rfftfreq(nseg, 1.0 / rec.fs_hz)
    band = (f >= band_hz[0]) & (f <= band_hz[1])
    win = np.hanning(nseg).astype(np.float32)  # single precision: the spectra's errors ~1e-7, far below the noise
    frames = np.lib.stride_tricks.sliding_window_view(x, nseg, axis=1)[:, ::hop][:, :nsegs]
    i0, i1 = np.flatnonzero(band)[[0, -1]]
    # (F, N, S), each channel's single-precision spectra written straight in (exact), and the (F, N, N)
    # products a block of bins at a time: no full-size temporaries (~70 MB each, mapped and cleared anew)
    Xf = np.empty((int(i1 - i0 + 1), N, nsegs), dtype=np.complex128)
    for i in range(N):
        Xf[:, i, :] = sfft.rfft(frames[i] * win, axis=1, workers=-1)[:, i0:i1 + 1].T
    C = np.empty((Xf.shape[0], N, N), dtype=np.complex128)
    for b in range(0, Xf.shape[0], 256):  # (each bin's product is its own BLAS call either way)
        C[b:b + 256] = Xf[b:b + 256] @ np.conj(Xf[b:b + 256].transpose(0, 2, 1))
    pi, pj = np.triu_indices(N, 1)
    C /= nsegs
    G = C[:, pi, pj].T  # (P, F): E[X_i conj(X_j)]
    return f[band], G, pi, pj, Xf, C


def without_dominant(C: np.ndarray, pi, pj) -> np.ndarray:
    """Pair cross-spectra (P, F) of the Welch matrices C (F, N, N) minus their dominant eigen-component.

    C(f) = X Xᴴ / S = Σ λ v vᴴ, and C − λ₁ v₁ v₁ᴴ keeps what the loudest source (whatever its transfer
    vector) does not explain. Each bin is its own problem, so any subset of bins can be passed.
    """
    # (exact eigen-decomposition: power or block iteration is not faster at N = 16 and leaves the loud
    # source's residue where its eigenvalue gap is small)
    lam_all, V = np.linalg.eigh(C)
    v, lam = V[:, :, -1], lam_all[:, -1]
    # only the pairs' entries (i < j), each by the same operations as the whole matrix's
    return (C[:, pi, pj] - lam[:, None] * v[:, pi] * np.conj(v[:, pj])).T


def phat(G: np.ndarray) -> np.ndarray:
    mag = np.abs(G)
    return G / np.where(mag > 0, mag, 1.0)


def k_resampling(f, wall: Wall, fs_hz: float, dmax: float, band_hz):
    """The uniform A0 wavenumber grid k (M,) [rad/m] of the dispersive tables, its step dk [rad/m] and, per
    k, the two frequency bins i0, i1 (M,) and the weight w (M,) of linear interpolation between them."""
    tab = wall.dispersion(f_max_hz=max(fs_hz / 2, band_hz[1]))
    k_lo, k_hi = tab.wavenumber([f[0], f[-1]], "A0")
    dk = 2 * math.pi / (2.5 * max(dmax, 1e-3))  # unambiguous path-difference range 2.5 dmax > 2 dmax
    M = int(math.floor((k_hi - k_lo) / dk)) + 1
    k = k_lo + dk * np.arange(M)
    fk = tab.frequency_of_wavenumber(k, "A0")
    df = f[1] - f[0]
    pos = np.clip((fk - f[0]) / df, 0, len(f) - 1 - 1e-9)
    i0 = np.floor(pos).astype(int)
    return k, dk, i0, np.minimum(i0 + 1, len(f) - 1), pos - i0


def tables_dispersive(f, G, pi, pj, wall: Wall, fs_hz: float, dmax: float, band_hz, dd_m: float = 4e-4,
                       magnitude: bool = False) -> Tables:
    """Dispersion-compensated pair tables; only the bins of :func:`k_resampling` of ``G`` are read (with
    ``magnitude``, the tables' R is their |R| in single precision, :func:`centred`)."""
    k, dk, i0, i1, w = k_resampling(f, wall, fs_hz, dmax, band_hz)
    M, k_lo = len(k), k[0]
    Gk = phat(G[:, i0]) * (1 - w) + phat(G[:, i1]) * w
    Gk = phat(Gk) * np.hanning(M + 2)[1:-1]  # taper in k: lower sidelobes in Δ
    # the next power of two (the next fast length, 137561a, was 41 % shorter and ~1.3x faster but moved weak
    # candidates enough to drop the leak from one 'band' case of the mismatch sweep: docs/benchmarks/locate.md)
    L = 1 << int(math.ceil(math.log2(max(2 * M, 2 * math.pi / (dk * dd_m)))))
    dd = 2 * math.pi / (L * dk)
    n_half = int(math.ceil(dmax / dd)) + 2
    n_half = min(n_half, L // 2 - 1)
    delta = (np.arange(-n_half, n_half + 1)) * dd
    return Tables(centred(Gk, L, L / np.sum(np.hanning(M + 2)[1:-1]), n_half, np.exp(1j * k_lo * delta), magnitude),
                   -n_half * dd, dd, pi, pj, k, np.hanning(M + 2)[1:-1])


def centred(Gw: np.ndarray, L: int, norm: float, n_half: int, phase: np.ndarray, magnitude: bool = False) -> np.ndarray:
    """Lags −n_half..n_half of the circular correlations R = ``norm`` · ifft(Gw, L) (P, L), times ``phase``
    (2 n_half + 1,), as a new row-major table (a fancy index would give a column-major one, and every
    look-up a copy of it). The inverse transforms are made :data:`TABLE_ROWS` rows at a time: the
    whole (P, L) one was a ~60 MB temporary per table, mapped and cleared anew by the kernel (pocketfft
    transforms each row alone: the same bits, tests/locate/test_speed.py). With ``magnitude``: the
    table's |·| in single precision (:func:`hullbreach.locate.srp.magnitude` of it, the same bits), for
    the surrogates, whose phases nothing reads."""
    out = np.empty((Gw.shape[0], 2 * n_half + 1), dtype=np.float32 if magnitude else complex)
    block = np.empty((min(TABLE_ROWS, Gw.shape[0]), 2 * n_half + 1), dtype=complex) if magnitude else None
    for r0 in range(0, Gw.shape[0], TABLE_ROWS):
        R = sfft.ifft(Gw[r0:r0 + TABLE_ROWS], n=L, axis=1, workers=-1)
        R *= norm
        dst = out[r0:r0 + TABLE_ROWS] if block is None else block[:len(R)]
        np.multiply(R[:, L - n_half:], phase[:n_half], out=dst[:, :n_half])
        np.multiply(R[:, :n_half + 1], phase[n_half:], out=dst[:, n_half:])
        if block is not None:
            out[r0:r0 + TABLE_ROWS] = srp.magnitude(dst)
    return out


#: :func:`centred` transforms this many pairs at a time (16 x 32 768 complex: 8 MB).
TABLE_ROWS = 16


def tables_gcc(f, G, pi, pj, speed_m_s: float, dmax: float, fs_hz: float, magnitude: bool = False) -> Tables:
    Gw = phat(G) * np.hanning(len(f) + 2)[1:-1]
    df = f[1] - f[0]
    dtau = 0.25 / fs_hz  # 4x upsampled lag grid, as GCC-PHAT implementations interpolate
    L = 1 << int(math.ceil(math.log2(max(2 * len(f), 1.0 / (df * dtau)))))
    dtau = 1.0 / (L * df)
    n_half = min(int(math.ceil(dmax / speed_m_s / dtau)) + 2, L // 2 - 1)
    tau = np.arange(-n_half, n_half + 1) * dtau
    return Tables(centred(Gw, L, L / np.sum(np.hanning(len(f) + 2)[1:-1]), n_half, np.exp(2j * np.pi * f[0] * tau),
                           magnitude),
                   -n_half * dtau * speed_m_s,
                   dtau * speed_m_s, pi, pj, 2 * np.pi * f / speed_m_s, np.hanning(len(f) + 2)[1:-1])
