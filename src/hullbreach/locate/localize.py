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

import dataclasses
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import maximum_filter

from hullbreach.errors import LocalizationError
from hullbreach.locate import pairtables as pt
from hullbreach.locate import srp
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
        95 % radius around it [m] (bootstrap over sensors and pair-residual model-mismatch term).
    kind : str
        ``"leak"``, or ``"equipment"`` when it is more likely than not equipment named in the wall file
        (:func:`hullbreach.locate.sources.equipment_probability`) or is also heard in the reference recording.
    probability : float
        Probability that this candidate is the leak [-] (one leak on the wall; the candidates'
        probabilities sum to 1 − :attr:`Localization.unheard_probability`).
    power_db : float
        Coherent power of its source at the sensors [dB re 1 (signal unit)²].
    band_hz : tuple[float, float]
        Band where its source is coherent [Hz].
    leak_likelihood : float
        How leak-like its source is, in (0, 1) (band, equipment, reference, stationarity).
    stationary : bool
        Whether its source is stationary over the record.
    reasons : tuple[str, ...]
        The evidence behind ``leak_likelihood``, in words.
    source : int
        Index of the physical source (several candidates of one source = a multi-peak likelihood).
    equipment : str
        Name of the wall file's equipment it most likely is, the one nearest its source's positions, when
        that is more likely than not (:func:`hullbreach.locate.sources.equipment_probability`); ``""`` else.
    """

    position_m: tuple[float, float]
    score: float
    uncertainty_radius_m: float
    kind: str = "leak"
    probability: float = 1.0
    power_db: float = float("nan")
    band_hz: tuple[float, float] = (0.0, 0.0)
    leak_likelihood: float = 0.5
    stationary: bool = True
    reasons: tuple[str, ...] = ()
    source: int = 0
    equipment: str = ""

    def to_json(self) -> dict:
        """JSON dict."""
        return {"position_m": [float(self.position_m[0]), float(self.position_m[1])],
                "probability": float(self.probability), "power_db": float(self.power_db),
                "band_hz": [float(self.band_hz[0]), float(self.band_hz[1])],
                "leak_likelihood": float(self.leak_likelihood), "score": float(self.score),
                "uncertainty_radius_m": float(self.uncertainty_radius_m), "kind": self.kind,
                "stationary": bool(self.stationary), "source": int(self.source), "reasons": list(self.reasons),
                "equipment": self.equipment or None}


@dataclass(frozen=True)
class Localization:
    """Result of :func:`locate`.

    Attributes
    ----------
    position_m : tuple[float, float] | None
        The most probable leak position [m]; None when no source was found.
    uncertainty_radius_m : float | None
        Radius of the 95 % region around it [m].
    candidates : tuple[Candidate, ...]
        Every source position the data support, most probable leak first.
    method : str
    band_hz : tuple[float, float]
    image : np.ndarray
        Coarse SRP map (ny, nx) over the wall [-], for plotting.
    image_x_m, image_y_m : np.ndarray
        Grid coordinates of ``image`` [m].
    elapsed_s : float
        Wall-clock time of the localization [s].
    noise_floor : float
        Detection threshold on the coarse map [-] (surrogate-data test).
    segment_samples : int
        Welch segment length used [samples].
    speed_scale : float
        Self-calibrated A0 wavenumber scale k_true / k_model [-].
    status : str
        ``"found"``, ``"ambiguous"`` or ``"no source"``.
    message : str
        Why that status, in words (says "unreliable" when it is).
    calibration : dict
        What was estimated about the wall, with 95 % intervals.
    not_listed : int
        Peaks above the detection threshold not listed as sources: what CLEAN left of a listed source (its
        residue), copies of one in the hidden layer, weak peaks made of a louder source's echo cross-terms
        (:func:`hullbreach.locate.sources.echoes`), and sources whose every candidate was weak and improbable.
    unheard_probability : float
        P [-] that the leak is none of the candidates: too weak to be heard beside the loudest source
        (:func:`hullbreach.locate.ranking.unheard_chance`); 1 minus the candidates' probabilities, 1 with
        no source found.
    detection_depth_db : float
        How far under the loudest source heard another is still heard [dB]
        (:func:`hullbreach.locate.ranking.detection_depth_db`).
    """

    position_m: tuple[float, float] | None
    uncertainty_radius_m: float | None
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
    status: str = "found"
    message: str = ""
    calibration: dict = field(default_factory=dict)
    not_listed: int = 0
    unheard_probability: float = 0.0
    detection_depth_db: float = 0.0

    @property
    def reliable(self) -> bool:
        """True only when one source stands out as the leak."""
        return self.status == "found"

    def to_json(self) -> dict:
        """The CLI JSON contract: ``status``, ``position_m``, ``uncertainty_radius_m``, ``candidates``,
        ``calibration`` (+ details)."""
        return {
            "status": self.status,
            "reliable": self.reliable,
            "message": self.message,
            "position_m": None if self.position_m is None else [float(self.position_m[0]), float(self.position_m[1])],
            "uncertainty_radius_m": None if self.uncertainty_radius_m is None else float(self.uncertainty_radius_m),
            "candidates": [c.to_json() for c in self.candidates],
            "calibration": self.calibration,
            "detection_threshold": float(self.noise_floor),
            "not_listed": int(self.not_listed),
            "unheard_probability": float(self.unheard_probability),
            "detection_depth_db": float(self.detection_depth_db),
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
            hint=("sensor_positions_m are metres on the unrolled wall, origin at a corner"
                  + ("; these fit the wall if they are millimetres: divide them by 1000"
                     if np.all(wall.contains(rec.sensor_positions_m / 1000.0, tol_m)) else "")),
        )


# ------------------------------------------------------------------------------------------------
#: Status words of the JSON contract.
STATUS_FOUND, STATUS_AMBIGUOUS, STATUS_NONE = "found", "ambiguous", "no source"

#: Default self-calibration range of the A0 wavenumber scale: thickness −20…+10 % and modulus ±7 % move
#: the Kirchhoff wavenumber k ∝ h^(-1/2) E^(-1/4) by 0.94…1.14; the range adds a margin.
DEFAULT_SPEED_SCALE_RANGE = (0.90, 1.18)


@srp.blas_on_one_thread
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
    speed_scale_range: tuple[float, float] | None = None,
    equipment_m=None,
    equipment_radius_m: float = 0.1,
    reference: Recording | None = None,
    calibration=None,
    seed: int = 0,
) -> Localization:
    """Find every coherent source on ``wall`` in ``rec`` and say which is most likely the leak.

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
        At most this many distinct sources are reported (their ambiguous twin positions come on top).
    relative_threshold : float
        An alternative position of the same source (a second likelihood peak explained by the same pair
        lobes) is reported when its score is at least this fraction of the best.
    n_bootstrap : int
        Bootstrap resamples of the sensors (radius, scale interval, twin probabilities).
    fine_step_m : float
        Fine grid spacing [m] (sets the floor of the 95 % radius).
    coarse_points : int
        Approximate number of coarse grid points over the wall (default: 3e6 / number of pairs, clipped to
        20 000–100 000).
    speed_scale_range : (float, float)
        Range searched for the common A0 wavenumber scale s (self-calibration: k_true ≈ s k_model).
        Default :data:`DEFAULT_SPEED_SCALE_RANGE`, or the pitch-catch interval when ``calibration`` is
        given. (1, 1) turns the search off.
    equipment_m : array (K, 2)
        Known mounting points of noisy equipment [m] (default: the wall's ``equipment``).
    equipment_radius_m : float
        95 % radius of where each named equipment really is around its mount [m] (its size plus how well
        the wall file knows its place); with each source's own 95 % radius it gives the probability that
        the source is that equipment (:func:`hullbreach.locate.sources.equipment_probability`).
    reference : Recording
        Optional quiet recording (same sensors, no leak): sources heard in it are taken for equipment.
    calibration : PitchCatch
        Optional pitch-catch calibration (default: the one stored in ``rec``, if any).
    seed : int
        Seed of the bootstrap.
    """
    from hullbreach.locate import machinery as mach
    from hullbreach.locate import resolution as reso
    from hullbreach.locate import sources as srcs
    from hullbreach.locate.calibrate import (calibrate_pitch_catch, dispersion_shape_error, echo_ratio, ringing_reason,
                                             wall_calibration)

    t0 = time.perf_counter()
    if method not in METHODS:
        raise LocalizationError(f"unknown method {method!r}", hint=f"use one of {', '.join(METHODS)}")
    band_hz = (float(band_hz[0]), float(band_hz[1]))
    check_recording(rec, wall, band_hz)
    sensors = rec.sensor_positions_m
    N = sensors.shape[0]
    nseg = pt.segment_length(rec, wall, band_hz)
    f, G, pi, pj, Xseg, C_data = pt.cross_spectra(rec, nseg, band_hz)
    if len(f) < 8:
        raise LocalizationError(
            f"only {len(f)} frequency bins in the band {band_hz[0]:g}–{band_hz[1]:g} Hz",
            hint="record longer (at least a few milliseconds) or widen the band")
    dmax = float(np.hypot(*(sensors[pi] - sensors[pj]).T).max())
    disp = wall.dispersion(f_max_hz=max(rec.fs_hz / 2, band_hz[1]))
    speed = float(disp.group(0.5 * (band_hz[0] + band_hz[1]), "A0"))  # the baseline's one speed
    k_model = disp.wavenumber(f, "A0") if method == "dispersive" else 2 * np.pi * f / speed

    def tables(Gx, fx=f, fs=rec.fs_hz, magnitude=False):  # (magnitude: |R| only, for the surrogates)
        if method == "dispersive":
            return pt.tables_dispersive(fx, Gx, pi, pj, wall, fs, dmax, band_hz, magnitude=magnitude)
        return pt.tables_gcc(fx, Gx, pi, pj, speed, dmax, fs, magnitude)

    # the frequency bins the pair tables read (the dispersive tables interpolate about a third of them onto
    # their wavenumber grid): the surrogate and the hidden layer need their eigen-decompositions only there
    if method == "dispersive":
        _, _, ki0, ki1, _ = pt.k_resampling(f, wall, rec.fs_hz, dmax, band_hz)
        tbins = np.union1d(ki0, ki1)
    else:
        tbins = np.arange(len(f))

    def at_bins(Gb, bins):  # (P, F) cross-spectra, zero outside ``bins``
        out = np.zeros_like(G)
        out[:, bins] = Gb
        return out

    def surrogate():
        """Welch matrices (at the table bins) and pair tables of the shifted surrogate (no coherent source
        by construction), for the detection threshold."""
        S = Xseg.shape[2]
        if S >= 2 * N:  # enough Welch segments: roll channel i by i·S/N (≥ 2) segments, no new FFT
            sur_x = np.empty((len(tbins), N, S), dtype=Xseg.dtype)
            for i in range(N):  # (a channel at a time: no whole copy of the table bins' spectra first)
                sur_x[:, i, :] = np.roll(Xseg[tbins, i, :], (i * S) // N, axis=1)
        else:  # shift the samples instead
            sur = Recording(rec.fs_hz, sensors, srcs.shifted_surrogate(rec.signals))
            sur_x = pt.cross_spectra(sur, nseg, band_hz)[4][tbins]
        C_sur = np.empty((len(tbins), N, N), dtype=complex)  # (F', N, N) at the table bins
        for b in range(0, len(tbins), 256):  # (each bin's product is its own BLAS call either way)
            C_sur[b:b + 256] = sur_x[b:b + 256] @ np.conj(sur_x[b:b + 256].transpose(0, 2, 1))
        C_sur /= S
        return C_sur, tables(at_bins(C_sur[:, pi, pj].T, tbins), magnitude=True).R

    with ThreadPoolExecutor(max_workers=1) as pool:  # the surrogate's tables on a second thread meanwhile
        sur_job = pool.submit(surrogate)
        tabs = tables(G)
        # CLEAN's pair point-spread kernel (a function of the tables' wavenumbers only), while the surrogate runs
        kern = srcs.kernel_table(tabs.k, tabs.w, tabs.dd, 5 * 2 * math.pi / max(tabs.k[-1] - tabs.k[0], 1e-9))
        half_width = reso.lobe_half_width(kern)  # a pair lobe's half-width [m]: what one pair resolves
        C_sur, R_sur = sur_job.result()

    pitch = None
    if calibration is None:
        calibration = rec.calibration
    if calibration is not None and method == "dispersive":
        pitch = calibrate_pitch_catch(wall, calibration, sensors, rec.fs_hz, band_hz)
    if speed_scale_range is None:
        speed_scale_range = (pitch.scale_interval if pitch is not None else DEFAULT_SPEED_SCALE_RANGE)
    s_lo, s_hi = speed_scale_range
    scales1 = np.arange(s_lo, s_hi + 1e-12, 0.005) if s_hi > s_lo else np.array([s_lo])
    scale_half = 0.04 if s_hi > s_lo else 0.0

    # coarse map grid
    if coarse_points is None:  # ~3 million table look-ups for the coarse map, 20 000–100 000 points
        coarse_points = int(np.clip(2e6 / len(pi), 15000, 100000))
    h = max(math.sqrt(wall.width_m * wall.height_m / coarse_points), 2 * fine_step_m)
    width = max(1, int(round(2.0 * h / tabs.dd)))
    gx, gy, pts = srp.grid(0.0, wall.width_m, 0.0, wall.height_m, h)
    sep = max(1, int(round(0.05 / h)))

    def magnitude(R):  # |R| in single precision
        return srp.magnitude(R)

    def envelope(mag):  # |R| max-filtered over the path-difference change within one coarse cell
        return srp.running_max(mag, width)

    # the coarse map's path differences (double precision distances, stored in single)
    r_pts = np.hypot(pts[:, None, 0] - sensors[None, :, 0], pts[:, None, 1] - sensors[None, :, 1])
    delta_pts = (r_pts[:, pi] - r_pts[:, pj]).astype(np.float32)  # (G, P)

    def coarse(R, scale=1.0, env=None):  # the map of R, or of its envelope ``env`` when already made
        env = envelope(magnitude(R)) if env is None else env
        return srp.lookup(env, tabs.d0, tabs.dd, delta_pts, (scale,))[0][0].reshape(len(gy), len(gx))

    null0 = coarse(None, env=envelope(R_sur))  # (R_sur is |R| already)
    threshold = srcs.null_threshold(null0)

    rng = np.random.default_rng(seed)
    boot = rng.multinomial(N, np.full(N, 1.0 / N), size=n_bootstrap).astype(float)  # (B, N)
    wpairs = boot[:, pi] * boot[:, pj]
    wpairs /= np.maximum(wpairs.sum(axis=1, keepdims=True), 1e-12)
    if equipment_m is None:
        equipment_m = [(e.x_m, e.y_m) for e in wall.equipment]
        eq_names = [e.name for e in wall.equipment]
    else:
        eq_names = [f"equipment #{k + 1}" for k in range(len(equipment_m))]
    eq = np.asarray(equipment_m, dtype=float).reshape(-1, 2)

    cmap0 = None
    found = []  # per source: dict
    residues = []  # peaks above the threshold taken for what CLEAN left of a found source (not listed)
    # the one-scale A0 model's error across the band, for walls within the tolerance box (dispersive only:
    # the baseline's one-speed model error is its point)
    shape_err = 0.0
    s_wall = None

    def clean(R, threshold, layer, cap):
        """CLEAN loop on the pair tables R: append every source above ``threshold`` to ``found``."""
        nonlocal cmap0, s_wall, shape_err
        mag = env_max = None  # |R| and its envelope, when already made for this R
        for _ in range(cap + 2):
            mag = magnitude(R) if mag is None else mag
            cmap = coarse(R, 1.0 if s_wall is None else s_wall, envelope(mag) if env_max is None else env_max)
            if cmap0 is None:
                cmap0 = cmap
            peaks = (cmap == maximum_filter(cmap, size=2 * sep + 1, mode="nearest")) & (cmap >= threshold)
            iy, ix = np.nonzero(peaks)
            if len(iy) == 0:
                break
            order = []  # strongest peaks at least 5 cm apart (the max-filtered map has plateaus)
            for o in np.argsort(cmap[iy, ix])[::-1]:
                if all(math.hypot(gx[ix[o]] - gx[ix[q]], gy[iy[o]] - gy[iy[q]]) >= 0.05 for q in order):
                    order.append(o)
                if len(order) == 4:
                    break
            order = [o for o in order if cmap[iy[o], ix[o]] >= 0.6 * cmap[iy[order[0]], ix[order[0]]]]
            env, mag, env_max = mag, None, None
            real = R.real.astype(np.float32)
            med_env = srp.row_medians(env)  # a pair's lobe is significant at 3x its median envelope
            sc1 = scales1 if s_wall is None else np.array([s_wall])
            sh = scale_half if s_wall is None else min(scale_half, 0.005)
            refined = []
            for o in order:
                # the coarse map is made at scale 1: with the wall's scale unknown its peak can sit a few cm off
                est, score, scale, r_boot, bsc = srp.refine(tabs, env, real, sensors, wall, gx[ix[o]], gy[iy[o]], h,
                                                         fine_step_m, sc1, sh, wpairs, 0.03 if s_wall is None else 0.0)
                if any(math.hypot(*(est - r["x"])) < 0.05 for r in refined):
                    continue
                refined.append(dict(x=est, score=score, scale=scale, r_boot=r_boot, bscales=bsc,
                                    cval=float(cmap[iy[o], ix[o]])))
            refined.sort(key=lambda r: r["score"], reverse=True)
            top = refined[0]
            # what CLEAN leaves of a found source (its lobes are chirped where the dispersion model is off)
            # shows again near it: subtract again, do not count it as a new source
            residue = srcs.is_residue(found, top["x"], layer)
            if s_wall is None:
                s_wall = top["scale"]
                if method == "dispersive":
                    b_lo, b_hi = np.quantile(top["bscales"], [0.025, 0.975]) if len(top["bscales"]) else (s_wall,) * 2
                    shape_err = dispersion_shape_error(disp, band_hz, s_wall, (min(b_lo, s_wall - 0.01),
                                                                               max(b_hi, s_wall + 0.01)))
            dpred, _ = srcs.path_differences(sensors, pi, pj, top["x"])
            win = 3e-3 + 0.01 * np.abs(dpred)
            dhat, amp, penv = srcs.pair_peaks(R, tabs.d0, tabs.dd, dpred * top["scale"], win)
            signif = penv > 3.0 * med_env
            r_res, mad, inl = srcs.residual_radius(sensors, pi, pj, top["x"], top["scale"], dhat, signif)
            R_next = srcs.subtract_source(R, tabs.d0, tabs.dd, dhat, amp, kern, inplace=True)  # R is ours
            # its echoes (mirror images in the edges and stiffeners) are not new sources: take their lobes too
            for img in srcs.mirror_images(top["x"], wall):
                dimg, _ = srcs.path_differences(sensors, pi, pj, img)
                di, ai, ei = srcs.pair_peaks(R_next, tabs.d0, tabs.dd, dimg * top["scale"], win)
                keep = ei > 3.0 * med_env
                if keep.any():
                    R_next = srcs.subtract_source(R_next, tabs.d0, tabs.dd, di, np.where(keep, ai, 0), kern, inplace=True)
            close_to = []  # the found sources it is near, when the pairs resolve it from them (resolution.py)
            if residue:
                near = [k for k, src in enumerate(found)
                        if any(reso.separation_m(top["x"], g["x"]) < srcs.RESIDUE_M for g in src["group"])]
                ratio = top["score"] / max(max(found[k]["group"][0]["score"] for k in near), 1e-12) if near else 0.0
                second, _, _ = reso.second_source(dpred * top["scale"], signif, [found[k]["dhat"] for k in near],
                                                  half_width, shape_err, ratio, srcs.COMPARABLE_COHERENCE) \
                    if near else (False, 0, 0.0)
                residue = not second
                close_to = near if second else []
                k0 = min(near, key=lambda k: reso.separation_m(top["x"], found[k]["group"][0]["x"])) if near else None
                if residue and k0 is not None and ratio >= srcs.COMPARABLE_COHERENCE and \
                        found[k0]["r95"] < reso.separation_m(top["x"], found[k0]["group"][0]["x"]) < srcs.RESIDUE_M:
                    # as coherent as a source, outside its 95 % disc, but the pairs do not separate it (in either
                    # layer: the hidden one shows a source under a louder one): one source or two cannot be told,
                    # so the source's answer must cover this peak too (its 95 % disc: bootstrap + residuals)
                    found[k0]["unresolved"].append((top["x"], math.hypot(top["r_boot"], r_res)))
                    found[k0]["unresolved_score"].append(top["score"])
            if residue:
                residues.append(top["x"])
                R = R_next
                continue
            # other peaks of this map that vanish with the source's lobes are its ambiguous twins
            twins = []
            for r in refined[1:]:
                if r["score"] < relative_threshold * top["score"]:
                    continue
                if env_max is None:  # (kept for the next map: R_next is the next R)
                    mag = magnitude(R_next)
                    env_max = envelope(mag)
                env_next = env_max
                left = float(srp.srp_map(env_next, tabs.d0, tabs.dd, pi, pj, sensors, r["x"][None, :])[0])
                if left < threshold:
                    twins.append(r)
            group = [top] + twins
            if twins:  # bootstrap share of each position being the best of the group
                vals = np.stack([srp.lookup(real, tabs.d0, tabs.dd, srp.pair_deltas(sensors, pi, pj, g["x"][None, :]),
                                         (g["scale"],), want_vals=True)[1][0, 0] for g in group])  # (C, P)
                # P(twin c is the true position) = 2 Φ(−(s_top − s_c)/σ_c), σ_c the bootstrap SD of the
                # difference (an exact mirror ambiguity gives 1 : 1), normalised over the group
                bsc = wpairs @ vals.T  # (B, C)
                diff = bsc[:, :1] - bsc
                # (floored at the single-precision resolution of the scores: an exact mirror must stay 1 : 1)
                sd = np.maximum(diff.std(axis=0), 1e-4 * abs(group[0]["score"]) + 1e-9)
                raw = np.array([1.0] + [math.erfc((group[0]["score"] - g["score"]) / sd[c] / math.sqrt(2))
                                        for c, g in enumerate(group[1:], 1)])
                shares = raw / raw.sum()
            else:
                shares = np.ones(1)
            # model error: the scale's bootstrap half-width and the one-scale model's shape error, to position
            q_lo, q_hi = np.quantile(top["bscales"], [0.025, 0.975]) if len(top["bscales"]) else (top["scale"],) * 2
            eps = math.hypot((q_hi - q_lo) / 2 / top["scale"], shape_err)
            r_sc = srcs.scale_radius(sensors, pi, pj, top["x"], eps, inl)
            # the bootstrap over sensors searched wide enough to see the resamples' peaks wander (refine's
            # stops at ±8 mm), the scale free within its bootstrap interval (resolution.bootstrap_radius)
            bsc = np.arange(min(q_lo, top["scale"]), max(q_hi, top["scale"]) + 1e-9, 0.01)
            r_wide = reso.bootstrap_radius(tabs, real, sensors, wall, top["x"], bsc, wpairs)
            r95 = math.sqrt(top["r_boot"] ** 2 + r_res**2 + r_sc**2)
            # ``r95`` (refine's ±8 mm bootstrap) still decides copies, residues and rivals (a comparable peak
            # outside it is a place of its own to check, however far the resamples wander); the answer's radius
            # is ``r95_wide``
            r95_wide = math.sqrt(max(top["r_boot"], r_wide) ** 2 + r_res**2 + r_sc**2)
            found.append(dict(group=group, shares=shares, r95=max(r95, fine_step_m), dhat=dhat, inl=inl,
                              scale=top["scale"], bscales=top["bscales"], mad=mad, layer=layer, close_to=close_to,
                              unresolved=[], unresolved_score=[], r_wide=r_wide, r95_wide=max(r95_wide, fine_step_m)))
            R = R_next
            if sum(src["layer"] == layer for src in found) >= cap:
                return


    def hidden_layer():
        # a source hidden under a louder one: per frequency, the cross-spectral matrix without its dominant
        # eigen-component (model-free: whatever the propagation, the loud source's transfer vector goes)
        G2 = at_bins(pt.without_dominant(C_data[tbins], pi, pj), tbins)  # the rest only if a hidden source is found
        return G2, tables(G2).R, tables(at_bins(pt.without_dominant(C_sur, pi, pj), tbins), magnitude=True).R

    rest = np.setdiff1d(np.arange(len(f)), tbins)  # the bins the tables do not read

    # the hidden layer's tables do not depend on the first CLEAN pass: made on a second thread meanwhile;
    # then, on that thread while CLEAN runs, the hidden layer's other bins, which a hidden source's
    # description reads (left unused, and the thread let go, when CLEAN finds no hidden source)
    pool = ThreadPoolExecutor(max_workers=1)
    pending = pool.submit(hidden_layer) if N >= 4 else None
    own_job = pool.submit(mach.sensor_powers, Xseg)  # (the sensors' own powers, for every source's segment powers)
    rest_job = pool.submit(pt.without_dominant, C_data[rest], pi, pj) if N >= 4 and len(rest) else None
    clean(tabs.R.copy(), threshold, 0, max_sources + len(eq))
    layer2 = pending.result() if pending is not None else None
    G_layers = [G]
    if layer2 is not None and found:
        G2, R2, R2_sur = layer2
        # margin 2 (not 1.25): with S Welch segments the loud source leaves ~1/sqrt(S) of itself in this
        # layer, structured like its lobes, which the surrogate does not have
        thr2 = srcs.null_threshold(coarse(None, s_wall, envelope(R2_sur)), margin=2.0)
        G_layers.append(G2)
        clean(R2, thr2, 1, max_sources)
    drop = srcs.source_copies(found)  # CLEAN residues and hidden-layer copies of sources already found
    # weak peaks made of a louder source's echo cross-terms (sources.echoes): heard, but not sources
    drop = sorted(set(drop) | set(srcs.echoes(found, sensors, pi, pj, wall, half_width)))
    drop = [k for k in drop if not found[k]["close_to"]]  # a second source the pairs resolve is no copy
    found = [src for k, src in enumerate(found) if k not in drop]

    # describe each source, then the leak odds
    ref_ratio = None  # id(source) -> its lobes' ratio in the reference recording
    if reference is not None:
        if reference.sensor_positions_m.shape != sensors.shape or not np.allclose(
                reference.sensor_positions_m, sensors, atol=1e-3):
            raise LocalizationError("the reference recording's sensor positions differ from the recording's",
                                    hint="record the reference with the same sensors in the same places")
        ref_rec = reference
        nref = min(nseg, pt.segment_length(ref_rec, wall, band_hz))
        fr, Gr = pt.cross_spectra(ref_rec, nref, band_hz)[:2]
        tr = tables(Gr, fr, ref_rec.fs_hz)

        # are each source's own pair lobes in the reference (sources.reference_ratios)
        ref_ratio = dict(zip(map(id, found), srcs.reference_ratios(tr.R, tabs.R, tr.d0, tr.dd, found, kern)))

    # shaft-rate amplitude modulation, attributed to the sources by their spreading pattern (machinery)
    mods = mach.modulation(rec.signals, rec.fs_hz, sensors, np.array([src["group"][0]["x"] for src in found]).reshape(-1, 2),
                           (band_hz[0], min(band_hz[1], band_hz[0] + 100e3)))  # 100 kHz of band carry the envelope
    cands: list[Candidate] = []
    if any(src["layer"] == 1 for src in found) and rest_job is not None:  # a hidden source's description reads every bin
        G_layers[1][:, rest] = rest_job.result()
    own = own_job.result()
    pool.shutdown(wait=False, cancel_futures=True)

    def powers(src):  # (pure, like characterize: two sources at a time on two threads)
        return mach.segment_powers(Xseg, k_model * src["scale"], sensors, src["group"][0]["x"], own_power=own)

    def describe(si):  # band and power (sources.characterize: pure, so two at a time on two threads)
        src = found[si]
        return srcs.characterize(f, G_layers[src["layer"]], Xseg, k_model, sensors, pi, pj, src["group"][0]["x"],
                                 src["scale"], src["dhat"], src["inl"], rec.fs_hz, nseg, band_hz,
                                 stationary=bool(steady[si]))

    with ThreadPoolExecutor(max_workers=2) as describers:
        # whether each source's power switches over the record (a louder one's switching regressed out)
        steady = mach.stationarity(np.array(list(describers.map(powers, found))).reshape(len(found), 8, Xseg.shape[2]))
        modded = mach.modulated_sources(mods, steady, rec.fs_hz / (2 * nseg))
        infos = list(describers.map(describe, range(len(found))))
    for si, src in enumerate(found):
        modulated = bool(modded[si])
        info = infos[si]
        p_eq = srcs.equipment_probability(eq, equipment_radius_m, [g["x"] for g in src["group"]], src["shares"],
                                          src["r95"], wall.width_m * wall.height_m)
        near = p_eq >= 0.5
        named = ""  # the named equipment nearest any of the source's positions: the one it most likely is
        if near and len(eq):
            xs = np.array([g["x"] for g in src["group"]])  # (C, 2) [m]
            named = eq_names[int(np.argmin(np.hypot(*(xs[:, None, :] - eq[None, :, :]).transpose(2, 0, 1)).min(axis=0)))]
        in_ref = srcs.reference_verdict(ref_ratio[id(src)]) if ref_ratio is not None else None
        ll, why = srcs.leak_likelihood(info, p_eq, in_ref, (mods.rate_hz, float(mods.index[si])) if modulated else None)
        for g, share in zip(src["group"], src["shares"]):
            cands.append(Candidate((float(g["x"][0]), float(g["x"][1])), g["score"], src["r95_wide"],
                                   "equipment" if (near or in_ref) else "leak", float(share), info.power_db,
                                   info.band_hz, ll, info.stationary, tuple(why), si, named))
    # probability that each candidate is the leak (one leak among the heard sources); echoes and CLEAN
    # residue improbable as the leak are counted, not listed (sources.rank_candidates)
    # ... and that the leak is none of them, too weak to be heard beside the loudest (ranking.unheard_chance)
    depth = (srcs.detection_depth_db(float(cmap0.max()), threshold, float(np.median(null0)))
             if cmap0 is not None else 0.0)
    cands, weak = srcs.rank_candidates(cands, {si: src["layer"] for si, src in enumerate(found)},
                                       srcs.unheard_chance(depth))

    # a wall that rings (echoes outweigh the direct sound) breaks the map's premise (calibrate.echo_ratio);
    # the slowest A0 of the scale range bounds every pair's direct window
    echoes = echo_ratio(rec.signals, sensors, rec.fs_hz, band_hz,
                        float(np.min(disp.group(np.linspace(*band_hz, 64), "A0"))) / max(s_hi, 1.0))
    ringing = ringing_reason(echoes)
    calib = wall_calibration(wall, disp, s_wall, [src["bscales"] for src in found[:1]], pitch, echoes)
    if not cands:
        status, why = STATUS_NONE, (f"no source found: no point of the map reached the detection threshold "
                                    f"{threshold:.3f} (surrogate-data test)")
        if ringing:  # the sensors do share a coherent sound: the threshold may have hidden it
            why += "; unreliable: " + ringing
        pos, r95 = None, None
    else:
        # two sources closer than the map separates, resolved by the pairs (resolution.py): either may be the
        # leak, so the answer is the area that holds both, never "found" at one point
        close = reso.close_rival(cands, {si for si, src in enumerate(found) if src["close_to"]}, srcs.RESIDUE_M)
        # peaks as coherent as a source within RESIDUE_M of the best one's position that the pairs did not
        # separate from it: one source or two, the answer is the area that covers them
        blur = reso.unresolved_extent(cands[0].position_m, found[cands[0].source]["unresolved"])
        if close is not None or blur is not None:
            wide = max(e[1] for e in (close, blur) if e is not None)
            cands[0] = dataclasses.replace(cands[0], uncertainty_radius_m=max(cands[0].uncertainty_radius_m, wide))
        best = cands[0]
        pos, r95 = best.position_m, best.uncertainty_radius_m
        # a self-calibrated scale at the edge of its search range: the wall is further from its file than
        # the search covers, and the position is a compromise
        at_bound = s_hi > s_lo and s_wall is not None and min(s_wall - s_lo, s_hi - s_wall) < 0.01
        status, parts = srcs.candidate_status(cands, N, at_bound, (s_lo, s_hi), depth)
        # the sensors do not agree where the best source is: 5 % of their resamples put its peak at the edge of
        # the square searched or beyond (resolution.bootstrap_radius): the data do not place it, never "found"
        r_wide = found[best.source]["r_wide"]
        if r_wide >= reso.BOOTSTRAP_HALF_M:
            status = STATUS_AMBIGUOUS
            parts.append(f"the sensors do not agree on its position: resampling them moves the peak {r_wide * 1e3:.0f} mm "
                         f"or more; open the panel area within {r95 * 1e3:.0f} mm, not the point")
        if close is not None:
            status = STATUS_AMBIGUOUS
            parts.append(f"two or more sources within {close[0] * 1e3:.0f} mm of each other, closer than the map "
                         f"separates them; open the panel area within {r95 * 1e3:.0f} mm, not the point")
        elif blur is not None:
            status = STATUS_AMBIGUOUS
            parts.append(f"a peak as coherent as a source {blur[0] * 1e3:.0f} mm from it that the sensor pairs do "
                         f"not separate: one source or two sources within {blur[0] * 1e3:.0f} mm; open the panel "
                         f"area within {r95 * 1e3:.0f} mm, not the point")
        # the best source's unresolved peaks are places to check too, inside the answer's radius (ranking.list_unresolved)
        src0 = found[cands[0].source]
        cands = srcs.list_unresolved(cands, [(x, r, s) for (x, r), s in zip(src0["unresolved"], src0["unresolved_score"])])
        if ringing:
            status = STATUS_AMBIGUOUS
            parts.append(ringing)
        if status == STATUS_FOUND:
            why = "one source stands out as the leak"
            if weak:
                why += f" ({len(weak)} echo-like source(s) with P(leak) < {srcs.UNLISTED_PROBABILITY:.1%} not listed)"
        else:
            why = "unreliable: " + "; ".join(parts)
    return Localization(
        position_m=pos,
        uncertainty_radius_m=r95,
        candidates=tuple(cands),
        method=method,
        band_hz=band_hz,
        image=cmap0,
        image_x_m=gx,
        image_y_m=gy,
        elapsed_s=time.perf_counter() - t0,
        noise_floor=threshold,
        segment_samples=nseg,
        speed_scale=float(s_wall) if s_wall is not None else 1.0,
        status=status,
        message=why,
        calibration=calib,
        not_listed=len(residues) + len(drop) + len({c.source for c in weak} - {c.source for c in cands}),
        unheard_probability=1.0 - sum(c.probability for c in cands) if cands else 1.0,
        detection_depth_db=depth,
    )
