"""Find the leak on the wall from N sensor recordings of continuous structure-borne noise.

Two methods share one steered-response-power (SRP) engine on a grid of candidate points x:

    P(x) = (1/#pairs) Σ_{i<j} Re R_ij( |x - s_i| - |x - s_j| )

where R_ij(Δ) is a pair "correlation in path difference" Δ [m]:

* ``dispersive`` (hullbreach): the PHAT-weighted cross-spectrum G_ij(f)/|G_ij(f)| is resampled from a
  uniform frequency grid onto a uniform A0 *wavenumber* grid k (from the Rayleigh–Lamb solver) and
  inverse-Fourier transformed in k, so R_ij(Δ) = Σ_k Ĝ_ij(k) exp(i k Δ) peaks exactly at the path
  difference whatever the dispersion. This is the frequency-to-wavenumber mapping of Wilcox,
  "A rapid signal processing technique to remove the effect of dispersion from guided wave signals",
  IEEE TUFFC 50(4), 2003, applied to cross-correlations — i.e. matched-field (Bartlett) processing of
  the cross-spectral matrix with the exact A0 phase model.
* ``gcc-phat`` (baseline): the classic generalised cross-correlation with phase transform (Knapp & Carter,
  IEEE TASSP 24(4), 1976) in time lag τ, steered with one wave speed, Δ = c τ, as SRP-PHAT (DiBiase,
  Silverman & Brandstein 2001; pyroomacoustics ``srp``). The speed is the A0 group velocity at the
  band centre.

Search is coarse-to-fine: a coarse grid over the whole wall using the envelope |R| (max-filtered to the
grid spacing so no peak falls between grid points), local maxima as candidates, then a fine grid
(0.5 mm) using Re R around each. The 95 % radius is the 95th percentile of the peak displacement when
the sensors are resampled with replacement (bootstrap over sensors, Efron & Tibshirani 1993), floored
at the fine grid spacing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.fft as sfft
from scipy.ndimage import maximum_filter, maximum_filter1d

from hullbreach.errors import LocalizationError
from hullbreach.locate.signals import Recording
from hullbreach.locate.wall import Wall

DEFAULT_BAND_HZ = (30e3, 300e3)
METHODS = ("dispersive", "gcc-phat")


@dataclass(frozen=True)
class Candidate:
    """A possible source position.

    Attributes
    ----------
    position_m : tuple[float, float]
        [m] on the unrolled wall.
    score : float
        Mean PHAT coherence over sensor pairs at the peak [-] (1 = perfectly coherent, ~0 = noise).
    uncertainty_radius_m : float
        95 % radius around it [m].
    kind : str
        ``"leak"``, or ``"equipment"`` when it lies within ``equipment_radius_m`` of a known noisy
        equipment mounting point (a fan or pump on a rack), which is then not taken for the leak.
    """

    position_m: tuple[float, float]
    score: float
    uncertainty_radius_m: float
    kind: str = "leak"

    def to_json(self) -> dict:
        """JSON dict."""
        return {"position_m": [float(self.position_m[0]), float(self.position_m[1])], "score": float(self.score),
                "uncertainty_radius_m": float(self.uncertainty_radius_m), "kind": self.kind}


@dataclass(frozen=True)
class Localization:
    """Result of :func:`locate`.

    Attributes
    ----------
    position_m : tuple[float, float]
        Best estimate of the (loudest coherent) leak position [m].
    uncertainty_radius_m : float
        Radius of the 95 % region around it [m].
    candidates : tuple[Candidate, ...]
        Every source the data support, best first (the first is ``position_m``).
    method : str
    band_hz : tuple[float, float]
    image : np.ndarray
        Coarse SRP map (ny, nx) over the wall [-], for plotting.
    image_x_m, image_y_m : np.ndarray
        Grid coordinates of ``image`` [m].
    elapsed_s : float
        Wall-clock time of the localization [s].
    noise_floor : float
        Coarse-map level above which a secondary candidate is reported [-].
    segment_samples : int
        Welch segment length used [samples].
    speed_scale : float
        Self-calibrated scale of the path differences (k_true / k_model) at the best candidate [-].
    """

    position_m: tuple[float, float]
    uncertainty_radius_m: float
    candidates: tuple[Candidate, ...]
    method: str
    band_hz: tuple[float, float]
    image: np.ndarray = field(repr=False)
    image_x_m: np.ndarray = field(repr=False)
    image_y_m: np.ndarray = field(repr=False)
    elapsed_s: float = 0.0
    noise_floor: float = 0.0
    segment_samples: int = 0
    speed_scale: float = 1.0

    def to_json(self) -> dict:
        """The CLI JSON contract: ``position_m``, ``uncertainty_radius_m``, ``candidates`` (+ details)."""
        return {
            "position_m": [float(self.position_m[0]), float(self.position_m[1])],
            "uncertainty_radius_m": float(self.uncertainty_radius_m),
            "candidates": [c.to_json() for c in self.candidates],
            "method": self.method,
            "band_hz": [float(self.band_hz[0]), float(self.band_hz[1])],
            "noise_floor": float(self.noise_floor),
            "segment_samples": int(self.segment_samples),
            "speed_scale": float(self.speed_scale),
            "elapsed_s": float(self.elapsed_s),
        }


# ------------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------------


def check_recording(rec: Recording, wall: Wall, band_hz=DEFAULT_BAND_HZ, tol_m: float = 1e-3) -> None:
    """Raise LocalizationError if ``rec`` cannot be localised on ``wall`` in ``band_hz`` [Hz]."""
    lo, hi = band_hz
    if not (0 < lo < hi):
        raise LocalizationError(f"band must satisfy 0 < low < high, got {band_hz} Hz")
    if rec.fs_hz / 2 < hi:
        raise LocalizationError(
            f"sampling rate fs_hz = {rec.fs_hz:g} Hz is too low for the analysis band {lo:g}–{hi:g} Hz "
            f"(Nyquist {rec.fs_hz / 2:g} Hz < {hi:g} Hz)",
            hint=f"record at fs_hz >= {2 * hi:g} or lower the band's upper edge (--band-high-hz)",
        )
    inside = wall.contains(rec.sensor_positions_m, tol_m)
    if not np.all(inside):
        bad = np.flatnonzero(~inside)
        i = int(bad[0])
        raise LocalizationError(
            f"sensor {i} at {rec.sensor_positions_m[i].round(4).tolist()} m is outside the wall "
            f"(0..{wall.width_m} x 0..{wall.height_m} m)"
            + (f"; {len(bad)} sensors in all" if len(bad) > 1 else ""),
            hint="sensor_positions_m are metres on the unrolled wall, origin at a corner",
        )


# ------------------------------------------------------------------------------------------------
# Cross-spectra and pair correlation tables
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tables:
    """Per-pair correlation in path difference: complex R (P, D) sampled at Δ = d0 + n·dd [m]."""

    R: np.ndarray
    d0: float
    dd: float
    pi: np.ndarray
    pj: np.ndarray


def _segment_length(rec: Recording, wall: Wall, band_hz) -> int:
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
    return n


def _cross_spectra(rec: Recording, nseg: int, band_hz):
    """Welch cross-spectra (Hann, 50 % overlap) of all sensor pairs in the band: (f, G (P, F), pi, pj)."""
    x = rec.signals - rec.signals.mean(axis=1, keepdims=True)
    N, T = x.shape
    hop = nseg // 2
    nsegs = max(1, 1 + (T - nseg) // hop)
    f = np.fft.rfftfreq(nseg, 1.0 / rec.fs_hz)
    band = (f >= band_hz[0]) & (f <= band_hz[1])
    win = np.hanning(nseg)
    frames = np.lib.stride_tricks.sliding_window_view(x, nseg, axis=1)[:, ::hop][:, :nsegs]  # (N, S, nseg)
    i0, i1 = np.flatnonzero(band)[[0, -1]]
    X = np.empty((nsegs, N, int(i1 - i0 + 1)), dtype=np.complex128)
    for i in range(N):
        X[:, i, :] = sfft.rfft(frames[i] * win, axis=1, workers=-1)[:, i0:i1 + 1]
    Xf = np.ascontiguousarray(X.transpose(2, 1, 0))  # (F, N, S)
    C = Xf @ np.conj(Xf.transpose(0, 2, 1))  # (F, N, N)
    pi, pj = np.triu_indices(N, 1)
    G = C[:, pi, pj].T / nsegs  # (P, F): E[X_i conj(X_j)]
    return f[band], G, pi, pj


def _phat(G: np.ndarray) -> np.ndarray:
    mag = np.abs(G)
    return G / np.where(mag > 0, mag, 1.0)


def _tables_dispersive(f, G, pi, pj, wall: Wall, fs_hz: float, dmax: float, band_hz, dd_m: float = 4e-4) -> _Tables:
    tab = wall.dispersion(f_max_hz=max(fs_hz / 2, band_hz[1]))
    Gw = _phat(G)
    k_lo, k_hi = tab.wavenumber([f[0], f[-1]], "A0")
    dk = 2 * math.pi / (2.5 * max(dmax, 1e-3))  # unambiguous path-difference range 2.5 dmax > 2 dmax
    M = int(math.floor((k_hi - k_lo) / dk)) + 1
    k = k_lo + dk * np.arange(M)
    fk = tab.frequency_of_wavenumber(k, "A0")
    df = f[1] - f[0]
    pos = np.clip((fk - f[0]) / df, 0, len(f) - 1 - 1e-9)
    i0 = np.floor(pos).astype(int)
    w = pos - i0
    i1 = np.minimum(i0 + 1, len(f) - 1)
    Gk = Gw[:, i0] * (1 - w) + Gw[:, i1] * w
    Gk = _phat(Gk) * np.hanning(M + 2)[1:-1]  # taper in k: lower sidelobes in Δ
    L = 1 << int(math.ceil(math.log2(max(2 * M, 2 * math.pi / (dk * dd_m)))))
    dd = 2 * math.pi / (L * dk)
    R = sfft.ifft(Gk, n=L, axis=1, workers=-1) * (L / np.sum(np.hanning(M + 2)[1:-1]))
    n_half = int(math.ceil(dmax / dd)) + 2
    n_half = min(n_half, L // 2 - 1)
    idx = np.concatenate([np.arange(L - n_half, L), np.arange(0, n_half + 1)])
    delta = (np.arange(-n_half, n_half + 1)) * dd
    R = R[:, idx] * np.exp(1j * k_lo * delta)[None, :]
    return _Tables(R, -n_half * dd, dd, pi, pj)


def _tables_gcc(f, G, pi, pj, speed_m_s: float, dmax: float, fs_hz: float) -> _Tables:
    Gw = _phat(G) * np.hanning(len(f) + 2)[1:-1]
    df = f[1] - f[0]
    dtau = 0.25 / fs_hz  # 4x upsampled lag grid, as GCC-PHAT implementations interpolate
    L = 1 << int(math.ceil(math.log2(max(2 * len(f), 1.0 / (df * dtau)))))
    dtau = 1.0 / (L * df)
    R = sfft.ifft(Gw, n=L, axis=1, workers=-1) * (L / np.sum(np.hanning(len(f) + 2)[1:-1]))
    n_half = min(int(math.ceil(dmax / speed_m_s / dtau)) + 2, L // 2 - 1)
    idx = np.concatenate([np.arange(L - n_half, L), np.arange(0, n_half + 1)])
    tau = np.arange(-n_half, n_half + 1) * dtau
    R = R[:, idx] * np.exp(2j * np.pi * f[0] * tau)[None, :]
    return _Tables(R, -n_half * dtau * speed_m_s, dtau * speed_m_s, pi, pj)


# ------------------------------------------------------------------------------------------------
# SRP engine
# ------------------------------------------------------------------------------------------------


def _pair_values(table: np.ndarray, d0: float, dd: float, pi, pj, sensors: np.ndarray, points: np.ndarray,
                 scale: float = 1.0) -> np.ndarray:
    """Table values (G, P) at the path differences of ``points`` (G, 2) for every pair (linear interp).

    ``scale`` multiplies the path differences: a wave-speed error by a factor 1/s (plate thickness or
    stiffness off nominal) moves the table peaks from Δ to s·Δ.
    """
    r = np.hypot(points[:, None, 0] - sensors[None, :, 0], points[:, None, 1] - sensors[None, :, 1])
    delta = (r[:, pi] - r[:, pj]) * scale
    pos = (delta - d0) / dd
    D = table.shape[1]
    pos = np.clip(pos, 0, D - 1.000001)
    i0 = pos.astype(np.int64)
    w = pos - i0
    rows = np.arange(table.shape[0])[None, :] * D
    flat = table.ravel()
    return flat[rows + i0] * (1 - w) + flat[rows + i0 + 1] * w


def _srp(table, d0, dd, pi, pj, sensors, points, chunk: int = 4000, scale: float = 1.0) -> np.ndarray:
    out = np.empty(points.shape[0])
    for a in range(0, points.shape[0], chunk):
        out[a:a + chunk] = _pair_values(table, d0, dd, pi, pj, sensors, points[a:a + chunk], scale).mean(axis=1)
    return out


def _grid(x0, x1, y0, y1, h):
    nx = max(2, int(round((x1 - x0) / h)) + 1)
    ny = max(2, int(round((y1 - y0) / h)) + 1)
    gx = np.linspace(x0, x1, nx)
    gy = np.linspace(y0, y1, ny)
    X, Y = np.meshgrid(gx, gy)
    return gx, gy, np.stack([X.ravel(), Y.ravel()], axis=1)


def locate(
    wall: Wall,
    rec: Recording,
    *,
    method: str = "dispersive",
    band_hz=DEFAULT_BAND_HZ,
    max_sources: int = 3,
    relative_threshold: float = 0.35,
    n_bootstrap: int = 100,
    fine_step_m: float = 5e-4,
    coarse_points: int | None = None,
    speed_scale_range: tuple[float, float] = (0.95, 1.05),
    equipment_m=None,
    equipment_radius_m: float = 0.1,
    seed: int = 0,
) -> Localization:
    """Locate the leak(s) on ``wall`` from ``rec``.

    Parameters
    ----------
    wall : Wall
    rec : Recording
    method : str
        ``"dispersive"`` (A0 dispersion-compensated matched field, the default) or ``"gcc-phat"``
        (non-dispersive baseline).
    band_hz : (float, float)
        Analysis band [Hz].
    max_sources : int
        At most this many candidates are reported.
    relative_threshold : float
        A secondary candidate is reported when its score is at least this fraction of the best one and
        above the noise floor (median + 6 robust standard deviations of the coarse map).
    n_bootstrap : int
        Bootstrap resamples of the sensors for the 95 % radius.
    fine_step_m : float
        Fine grid spacing [m] (sets the floor of the 95 % radius).
    coarse_points : int
        Approximate number of coarse grid points over the wall (default: 3e6 / number of pairs, clipped to
        20 000–100 000).
    speed_scale_range : (float, float)
        Range searched for a common scale factor s of the path differences (self-calibration of the
        wave speed: the plate's thickness and modulus are known only to a few per cent, and a 1 % speed
        error shifts the A0 phase by many radians over a metre). (1, 1) turns the search off.
    equipment_m : array (K, 2)
        Known mounting points of noisy equipment [m] (default: the wall's ``equipment``); candidates within ``equipment_radius_m`` of one are
        reported with kind ``"equipment"`` and are not taken for the leak.
    seed : int
        Seed of the bootstrap.
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        raise LocalizationError(f"unknown method {method!r}", hint=f"use one of {', '.join(METHODS)}")
    band_hz = (float(band_hz[0]), float(band_hz[1]))
    check_recording(rec, wall, band_hz)
    sensors = rec.sensor_positions_m
    nseg = _segment_length(rec, wall, band_hz)
    f, G, pi, pj = _cross_spectra(rec, nseg, band_hz)
    if len(f) < 8:
        raise LocalizationError(
            f"only {len(f)} frequency bins in the band {band_hz[0]:g}–{band_hz[1]:g} Hz",
            hint="record longer (at least a few milliseconds) or widen the band")
    pair_d = np.hypot(*(sensors[pi] - sensors[pj]).T)
    dmax = float(pair_d.max())
    if method == "dispersive":
        tabs = _tables_dispersive(f, G, pi, pj, wall, rec.fs_hz, dmax, band_hz)
    else:
        disp = wall.dispersion(f_max_hz=max(rec.fs_hz / 2, band_hz[1]))
        speed = float(disp.group(0.5 * (band_hz[0] + band_hz[1]), "A0"))
        tabs = _tables_gcc(f, G, pi, pj, speed, dmax, rec.fs_hz)
    env = np.ascontiguousarray(np.abs(tabs.R))
    real = np.ascontiguousarray(tabs.R.real)

    # coarse map: envelope max-filtered over the path-difference change within one grid cell
    if coarse_points is None:  # ~3 million table look-ups for the coarse map, 20 000–100 000 points
        coarse_points = int(np.clip(3e6 / len(pi), 20000, 100000))
    h = max(math.sqrt(wall.width_m * wall.height_m / coarse_points), 2 * fine_step_m)
    width = max(1, int(round(2.0 * h / tabs.dd)))
    env_s = np.ascontiguousarray(maximum_filter1d(env, size=width, axis=1, mode="nearest"))
    gx, gy, pts = _grid(0.0, wall.width_m, 0.0, wall.height_m, h)
    cmap = _srp(env_s, tabs.d0, tabs.dd, pi, pj, sensors, pts).reshape(len(gy), len(gx))

    # candidates: local maxima of the coarse map, separated by at least 5 cm
    sep = max(1, int(round(0.05 / h)))
    peaks = (cmap == maximum_filter(cmap, size=2 * sep + 1, mode="nearest"))
    med = float(np.median(cmap))
    mad = float(np.median(np.abs(cmap - med))) * 1.4826
    floor = med + 6.0 * mad
    iy, ix = np.nonzero(peaks)
    if equipment_m is None:
        equipment_m = [(e.x_m, e.y_m) for e in wall.equipment]
    n_eq = len(np.asarray(equipment_m, dtype=float).reshape(-1, 2))
    order = np.argsort(cmap[iy, ix])[::-1][: max(3 * max_sources, 6) + n_eq]
    rng = np.random.default_rng(seed)
    N = sensors.shape[0]
    boot = rng.multinomial(N, np.full(N, 1.0 / N), size=n_bootstrap).astype(float)  # (B, N)
    wpairs = boot[:, pi] * boot[:, pj]  # (B, P)
    wpairs /= np.maximum(wpairs.sum(axis=1, keepdims=True), 1e-12)
    half = max(1.5 * h, 5e-3)
    s_lo, s_hi = speed_scale_range
    refined: list[tuple[Candidate, float, float]] = []
    s_wall: float | None = None  # the speed scale is a property of the wall: searched once, then reused
    for rank, o in enumerate(order):
        cval = float(cmap[iy[o], ix[o]])
        if rank > 0 and cval < floor:
            break
        cx, cy = gx[ix[o]], gy[iy[o]]
        # stage 1: envelope (no smoothing) on a medium grid x speed scale
        fx, fy, fpts = _grid(max(0.0, cx - half), min(wall.width_m, cx + half),
                             max(0.0, cy - half), min(wall.height_m, cy + half), 4 * fine_step_m)
        if s_hi <= s_lo:
            scales = np.array([1.0])
        elif s_wall is None:
            scales = np.arange(s_lo, s_hi + 1e-12, 0.005)
        else:
            scales = np.array([s_wall])
        e = np.stack([_srp(env, tabs.d0, tabs.dd, pi, pj, sensors, fpts, scale=sc) for sc in scales])
        si, gi = np.unravel_index(int(np.argmax(e)), e.shape)
        ex, ey = fpts[gi]
        # stage 2: phase-coherent map over position (1 mm) x speed scale (0.1 %, whole range): the
        # envelope pins the position to a few mm but not the scale, the phase pins both
        hw = max(8e-3, 4 * fine_step_m)
        step2 = 2 * fine_step_m
        fx, fy, fpts = _grid(max(0.0, ex - hw), min(wall.width_m, ex + hw),
                             max(0.0, ey - hw), min(wall.height_m, ey + hw), step2)
        if s_hi <= s_lo:
            fscales = np.array([1.0])
        elif s_wall is None:
            fscales = np.arange(s_lo, s_hi + 1e-12, 0.001)
        else:
            fscales = s_wall + np.arange(-0.003, 0.003 + 1e-12, 0.001)
        vals = np.concatenate([_pair_values(real, tabs.d0, tabs.dd, pi, pj, sensors, fpts, scale=sc)
                               for sc in fscales])  # (S*G, P)
        m = vals.mean(axis=1)
        best = int(np.argmax(m))
        allpts = np.tile(fpts, (len(fscales), 1))
        allsc = np.repeat(fscales, len(fpts))
        bmaps = wpairs @ vals.T  # (B, S*G)
        bbest = np.argmax(bmaps, axis=1)
        # stage 3: polish at the fine step around the best (position, scale)
        px, py = allpts[best]
        s2 = float(allsc[best])
        _, _, ppts = _grid(max(0.0, px - step2), min(wall.width_m, px + step2),
                           max(0.0, py - step2), min(wall.height_m, py + step2), fine_step_m)
        pscales = s2 + np.array([-0.0005, 0.0, 0.0005]) if s_hi > s_lo else np.array([1.0])
        pm = np.concatenate([_srp(real, tabs.d0, tabs.dd, pi, pj, sensors, ppts, scale=sc) for sc in pscales])
        pbest = int(np.argmax(pm))
        est = np.tile(ppts, (len(pscales), 1))[pbest]
        bpos = allpts[bbest]
        r95 = float(np.quantile(np.hypot(*(bpos - allpts[best]).T), 0.95)) if n_bootstrap > 0 else 0.0
        r95 = max(r95, fine_step_m)
        m = pm
        best = pbest
        fscales = pscales
        fpts = ppts
        score = float(m[best])
        if any(math.hypot(est[0] - c.position_m[0], est[1] - c.position_m[1]) < 0.05 for c, _, _ in refined):
            continue
        refined.append((Candidate((float(est[0]), float(est[1])), score, r95), cval,
                        float(fscales[best // len(fpts)])))
        if s_wall is None:
            s_wall = refined[-1][2]
    eq = np.asarray(equipment_m, dtype=float).reshape(-1, 2)
    if len(eq):
        refined = [(c if np.min(np.hypot(*(eq - np.array(c.position_m)).T)) > equipment_radius_m
                    else Candidate(c.position_m, c.score, c.uncertainty_radius_m, "equipment"), cv, sc)
                   for c, cv, sc in refined]
    refined.sort(key=lambda t: (t[0].kind == "leak", t[0].score), reverse=True)
    top, _, top_scale = refined[0]
    keep = [top] + [c for c, cv, _ in refined[1:]
                    if c.kind == "leak" and c.score >= relative_threshold * top.score and cv >= floor]
    keep = keep[:max_sources]
    keep += [c for c, cv, _ in refined if c.kind == "equipment" and c is not top and cv >= floor]
    return Localization(
        position_m=top.position_m,
        uncertainty_radius_m=top.uncertainty_radius_m,
        candidates=tuple(keep),
        method=method,
        band_hz=band_hz,
        image=cmap,
        image_x_m=gx,
        image_y_m=gy,
        elapsed_s=time.perf_counter() - t0,
        noise_floor=floor,
        segment_samples=nseg,
        speed_scale=top_scale,
    )


def plot_likelihood(result: Localization, wall: Wall, rec: Recording | None, path, truth=None) -> str:
    """Write a PNG of the coarse SRP map over the wall with sensors, stiffeners, candidates, 95 % circle."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    fig, ax = plt.subplots(figsize=(6.0, 6.0 * wall.height_m / wall.width_m + 0.6), dpi=110)
    im = ax.imshow(result.image, origin="lower", extent=(0, wall.width_m, 0, wall.height_m), cmap="magma",
                   aspect="equal")
    fig.colorbar(im, ax=ax, shrink=0.8, label="SRP coherence (envelope)")
    for st in wall.stiffeners:
        if st.direction == "x":
            ax.axhline(st.position_m, color="white", lw=1.5, ls="--", alpha=0.7)
        else:
            ax.axvline(st.position_m, color="white", lw=1.5, ls="--", alpha=0.7)
    for k, e in enumerate(wall.equipment):
        ax.plot(e.x_m, e.y_m, "s", mfc="none", mec="orange", ms=9, mew=1.5, label="known equipment" if k == 0 else None)
    if rec is not None:
        ax.plot(rec.sensor_positions_m[:, 0], rec.sensor_positions_m[:, 1], "^", color="cyan", ms=7, label="sensors")
    for i, c in enumerate(result.candidates):
        ax.plot(*c.position_m, "x" if i else "+", color="lime", ms=12, mew=2,
                label="estimate" if i == 0 else ("other candidates" if i == 1 else None))
        ax.add_patch(Circle(c.position_m, max(c.uncertainty_radius_m, 0.004), fill=False, color="lime", lw=1.2))
    if truth is not None:
        for t in np.atleast_2d(truth):
            ax.plot(t[0], t[1], "o", mfc="none", mec="white", ms=10, label="true leak")
    ax.set_xlabel("x along the wall [m]")
    ax.set_ylabel("y along the wall [m]")
    ax.set_title(f"leak likelihood ({result.method}); 95 % radius {result.uncertainty_radius_m * 1000:.1f} mm")
    ax.legend(loc="upper right", fontsize=7, framealpha=0.6)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)
