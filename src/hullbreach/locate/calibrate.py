"""Self-calibration of the wall's A0 dispersion: from the noise itself, and from an active pitch-catch.

The localizer's model is the Rayleigh–Lamb A0 wavenumber k_model(f) of the *declared* plate. A real wall
differs (chemically milled pockets, temper, brackets): in the thin-plate regime k ∝ ω^½ h^(-½) E^(-¼)
(Kirchhoff flexural wave, Graff 1975 §8.1), so a thickness or modulus error scales k by a common factor
s = k_true / k_model. Only the product h·E^½ is identifiable from A0 there; the estimate is reported as s,
as the equivalent thickness with the declared modulus (h/s²), as the equivalent modulus with the declared
thickness (E/s⁴), and as the A0 phase speed at 100 kHz (c_p/s).

**Passive** (every localization): s is searched jointly with the source position (see
:func:`hullbreach.locate.localize.locate`); its interval is the 2.5–97.5 % range of the bootstrap over
sensors.

**Active pitch-catch** (optional, standard in structural health monitoring: each sensor pulses in turn,
the others listen). ``.npz`` key ``calibration``: array (N, N, Tc), ``calibration[i, j]`` = sensor j's
signal when sensor i pulses, sample 0 = the pulse, sampled at ``fs_hz`` (the recording's rate); the
diagonal is ignored. For pulser i the receivers' PHAT-whitened spectra are steered back to the pulser
with exp(+i s k_model(f) d_ij) and summed (a matched-field focus on the known source); the focus power
summed over pulsers is maximal at the true s. The interval is a bootstrap over pulsers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hullbreach.errors import LocalizationError
from hullbreach.locate.lamb import Dispersion
from hullbreach.locate.wall import Wall


@dataclass(frozen=True)
class PitchCatch:
    """Result of :func:`calibrate_pitch_catch`: scale s [-], its 95 % interval, pulsers used."""

    scale: float
    scale_interval: tuple[float, float]
    n_pulsers: int


def check_calibration(cal: np.ndarray, n_sensors: int, source: str = "recording") -> np.ndarray:
    """Check a pitch-catch array (N, N, Tc); errors name the problem."""
    c = np.asarray(cal)
    if c.dtype.kind not in "iuf":
        raise LocalizationError(f"calibration must be numeric, got dtype {c.dtype}", source=source)
    if c.ndim != 3 or c.shape[0] != n_sensors or c.shape[1] != n_sensors or c.shape[2] < 64:
        raise LocalizationError(
            f"calibration must have shape (N, N, Tc) with N = {n_sensors} sensors and Tc >= 64 samples, "
            f"got {c.shape}", hint="calibration[i, j] = sensor j's signal when sensor i pulses", source=source)
    if not np.all(np.isfinite(c)):
        raise LocalizationError("calibration contains NaN or infinite samples", source=source)
    return c.astype(float)


def calibrate_pitch_catch(wall: Wall, cal: np.ndarray, sensors: np.ndarray, fs_hz: float, band_hz,
                          n_bootstrap: int = 200, seed: int = 0) -> PitchCatch:
    """Estimate the A0 wavenumber scale s from a pitch-catch array (module docstring)."""
    N, _, Tc = cal.shape
    f = np.fft.rfftfreq(Tc, 1.0 / fs_hz)
    band = (f >= band_hz[0]) & (f <= band_hz[1])
    if band.sum() < 8:
        raise LocalizationError(f"calibration traces too short: {Tc} samples give {int(band.sum())} bins in the band",
                                hint="record at least 2 ms per pulse")
    fb = f[band]
    k = wall.dispersion(f_max_hz=max(fs_hz / 2, band_hz[1])).wavenumber(fb, "A0")
    Y = np.fft.rfft(cal * np.hanning(Tc)[None, None, :], axis=2)[:, :, band]
    Y = Y / np.maximum(np.abs(Y), 1e-300)
    d = np.hypot(*(sensors[:, None, :] - sensors[None, :, :]).transpose(2, 0, 1))

    def curves(scales):
        out = np.zeros((N, len(scales)))
        for i in range(N):
            rx = [j for j in range(N) if j != i]
            ph = np.exp(1j * np.einsum("s,j,f->sjf", scales, d[i, rx], k))  # (S, J, F)
            z = np.einsum("sjf,jf->sf", ph, Y[i, rx])
            out[i] = (np.abs(z) ** 2).sum(axis=1)
        return out

    coarse = np.arange(0.80, 1.25 + 1e-9, 0.01)
    c0 = curves(coarse).sum(axis=0)
    s0 = float(coarse[int(np.argmax(c0))])
    fine = s0 + np.arange(-0.012, 0.012 + 1e-9, 0.0005)
    cf = curves(fine)
    s_hat = float(fine[int(np.argmax(cf.sum(axis=0)))])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, N, size=(n_bootstrap, N))
    bs = fine[np.argmax(cf[idx].sum(axis=1), axis=1)]
    lo, hi = np.quantile(bs, [0.025, 0.975])
    return PitchCatch(s_hat, (float(lo) - 0.005, float(hi) + 0.005), N)


#: The tolerance box of a real wall against its file, over which the one-scale model's error is taken:
#: thickness x 0.80–1.10 (chemically milled pockets, skin tolerance), Young's modulus x 0.93–1.07 (temper).
WALL_TOLERANCE = ((0.80, 1.10), (0.93, 1.07))


def dispersion_shape_error(disp: Dispersion, band_hz, scale: float, scale_interval=None,
                           tolerance=WALL_TOLERANCE) -> float:
    """Relative error [-] of the one-scale model k_true(f) ≈ s·k_model(f) across ``band_hz`` [Hz].

    A0 depends on frequency and thickness only through f·h/c_T (Rayleigh–Lamb, Graff 1975 §8.1), so a wall
    with thickness t·h and modulus e·E has k_true(f) = k_model(f·t/√e)/t exactly. At low f·h that is the
    common factor t^(-½) e^(-¼); higher up the ratio k_true/k_model falls (A0 tends to the Rayleigh speed),
    so one scale cannot fit the whole band. Over the walls of the tolerance box whose band-mean ratio
    (uniform in k, as the pair tables weight it) lies in ``scale_interval`` (default ``scale`` ± 0.01;
    the nearest wall when none does), this returns the largest half-range of the ratio over the band,
    relative to its mean: the 95 % half-width of the model's scale error, which the radius propagates to
    position.
    """
    lo_i, hi_i = scale_interval if scale_interval is not None else (scale - 0.01, scale + 0.01)
    k_lo, k_hi = disp.wavenumber([band_hz[0], band_hz[1]], "A0")
    f = disp.frequency_of_wavenumber(np.linspace(k_lo, k_hi, 24), "A0")
    k0 = disp.wavenumber(f, "A0")
    best, near = 0.0, (np.inf, 0.0)
    for t in np.linspace(*tolerance[0], 13):
        for e in np.linspace(*tolerance[1], 5):
            r = disp.wavenumber(f * t / np.sqrt(e), "A0") / (t * k0)
            if not np.all(np.isfinite(r)):
                continue
            m = float(r.mean())
            half = float(r.max() - r.min()) / 2 / m
            if lo_i <= m <= hi_i:
                best = max(best, half)
            gap = max(lo_i - m, m - hi_i)
            if gap < near[0]:
                near = (gap, half)
    return best if best > 0 else near[1]


def _interval(v: float, lo: float, hi: float, unit: str) -> dict:
    return {"value": float(v), "low": float(min(lo, hi)), "high": float(max(lo, hi)), "unit": unit}


def wall_calibration(wall: Wall, disp: Dispersion, scale: float | None, boot_scales: list,
                     pitch: PitchCatch | None, echoes: Echoes | None = None) -> dict:
    """The ``calibration`` JSON block: what was estimated about the wall, with 95 % intervals (and, given
    ``echoes``, how much the wall rings: ``reverberation.echo_to_direct``, null when nothing coherent)."""
    out: dict = {"estimated": "A0 wavenumber scale s = k_true / k_model (thin plate: only h·sqrt(E) is identifiable)",
                 "declared_thickness_m": wall.thickness_m,
                 "declared_youngs_modulus_pa": wall.material.youngs_modulus_pa}
    if echoes is not None:
        out["reverberation"] = {
            "echo_to_direct": None if not np.isfinite(echoes.ratio) else _interval(echoes.ratio, *echoes.interval, "-"),
            "limit": ECHO_LIMIT, "pairs": echoes.pairs}
    if pitch is not None:
        out["pitch_catch"] = {"a0_wavenumber_scale": _interval(pitch.scale, *pitch.scale_interval, "-"),
                              "pulsers": pitch.n_pulsers}
    if scale is None:
        out["passive"] = None
        return out
    bs = np.asarray(boot_scales[0]) if boot_scales else np.array([scale])
    lo, hi = np.quantile(bs, [0.025, 0.975])
    lo, hi = min(lo, scale) - 0.002, max(hi, scale) + 0.002
    cp = float(disp.phase(1e5, "A0"))
    h, E = wall.thickness_m, wall.material.youngs_modulus_pa
    out["passive"] = {
        "a0_wavenumber_scale": _interval(scale, lo, hi, "-"),
        "equivalent_thickness_m": _interval(h / scale**2, h / hi**2, h / lo**2, "m"),
        "equivalent_youngs_modulus_pa": _interval(E / scale**4, E / hi**4, E / lo**4, "Pa"),
        "a0_phase_speed_100khz_m_s": _interval(cp / scale, cp / hi, cp / lo, "m/s"),
    }
    return out



#: Echo window: correlation at lags beyond a pair's direct window, up to this lag [s], is counted as echoes
#: (an η ≈ 0.3 % aluminium panel's reverberant energy has decayed to e⁻⁴ by ~2 ms at 100 kHz).
ECHO_WINDOW_S = 2.0e-3
#: Echoes carrying more correlation than the direct sound (ratio > 1): the map, built on the direct sound,
#: can be led by an echo. A physical boundary (reverberant = direct), not a fitted one.
ECHO_LIMIT = 1.0
#: At most this many samples of the record are used [-] (16 ms at 1 MHz: the 2 ms echo window and the floor
#: at 6.5–8 ms fit; measured 0.16 CPU-s with 32768 on a 0.5 s, 16-sensor recording, half that with this).
ECHO_MAX_SAMPLES = 16384


@dataclass(frozen=True)
class Echoes:
    """How much of what the sensors share is echoes rather than direct sound (:func:`echo_ratio`).

    ``ratio``: the in-band correlation energy at lags outside the pairs' direct windows over that inside
    them, summed over pairs [-] (NaN when the sensors share nothing coherent); ``interval``: its 95 %
    bootstrap interval over pairs; ``pairs``: pairs used.
    """

    ratio: float
    interval: tuple[float, float]
    pairs: int


def echo_ratio(signals: np.ndarray, sensors_m: np.ndarray, fs_hz: float, band_hz, group_speed_min_m_s: float,
               n_bootstrap: int = 200, seed: int = 0) -> Echoes:
    """Echo over direct correlation energy of the recording [-] (a wall that rings, measured from the data).

    Direct sound from any number of sources on the wall reaches sensors i and j with a delay difference
    |τ| ≤ d_ij / c_g,min (the path difference never exceeds the sensors' distance): all of its
    cross-correlation lies in that window — the premise of every time-difference and SRP locator. An echo
    (a reflection from an edge, a stiffener, a mode of the panel) arrives later and correlates with the
    direct sound at lags outside it, up to the wall's reverberation time. So, per pair, with ρ_ij(τ) the
    normalised in-band cross-correlation: E_in = Σ over |τ| ≤ d_ij/c_g,min + 2/B of (ρ² − floor), E_out = Σ
    over the next :data:`ECHO_WINDOW_S` of (ρ² − floor), the floor being the mean ρ² at lags 0.4–0.5 T
    (circular correlation: where nothing but the estimator's noise is). Returns ΣE_out / ΣE_in over the
    pairs and its bootstrap interval over pairs; NaN when ΣE_in is below 4 standard deviations of its
    estimator (independent noise: no direct sound to compare with). A room-acoustics analogue is the
    direct-to-reverberant ratio (Kuttruff, *Room Acoustics*, 2009); for a plate, the SEA power balance gives
    the reverberant energy Π/(ωη) (Lyon & DeJong, *Theory and Application of Statistical Energy Analysis*,
    1995), so a lightly damped panel's echoes outweigh its direct field.

    Units: signals (N, T) any unit, sensors [m], fs [Hz], band [Hz], group speed [m/s].
    """
    x = np.asarray(signals, dtype=float)[:, :ECHO_MAX_SAMPLES]
    N, T = x.shape
    f = np.fft.rfftfreq(T, 1.0 / fs_hz)
    band = (f >= band_hz[0]) & (f <= band_hz[1])
    X = np.fft.rfft(x - x.mean(axis=1, keepdims=True), axis=1) * band[None, :]
    P = np.sum(np.abs(X) ** 2, axis=1)
    lag = np.arange(T) / fs_hz
    lag = np.minimum(lag, T / fs_hz - lag)  # circular |τ|
    floor_sel = lag >= 0.4 * T / fs_hz
    width = 2.0 / (band_hz[1] - band_hz[0])
    corr = max(1.0, fs_hz / (band_hz[1] - band_hz[0]))  # samples per independent lag
    e_in, e_out, v_in = [], [], []
    for i in range(N):
        for j in range(i + 1, N):
            if P[i] <= 0 or P[j] <= 0:
                continue
            rho2 = (np.fft.irfft(X[i] * np.conj(X[j]), T) / np.sqrt(P[i] * P[j]) * 2) ** 2
            w = float(np.hypot(*(sensors_m[i] - sensors_m[j]))) / group_speed_min_m_s + width
            e = rho2 - rho2[floor_sel].mean()
            inside = lag <= w
            e_in.append(e[inside].sum())
            e_out.append(e[(lag > w) & (lag <= w + min(ECHO_WINDOW_S, 0.25 * T / fs_hz))].sum())
            v_in.append(rho2[floor_sel].var() * inside.sum() * corr)  # the estimator's variance of e_in
    e_in, e_out, v_in = np.array(e_in), np.array(e_out), np.array(v_in)
    # no coherent sound at all (independent noise): nothing to compare the echoes with
    if e_in.size == 0 or e_in.sum() < 4.0 * np.sqrt(v_in.sum()):
        return Echoes(float("nan"), (float("nan"), float("nan")), int(e_in.size))
    ratio = float(max(e_out.sum(), 0.0) / e_in.sum())
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, e_in.size, (n_bootstrap, e_in.size))
    boot = np.maximum(e_out[idx].sum(axis=1), 0.0) / np.maximum(e_in[idx].sum(axis=1), 1e-300)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return Echoes(ratio, (float(min(lo, ratio)), float(max(hi, ratio))), int(e_in.size))


def ringing_reason(echoes: Echoes | None) -> str | None:
    """Why an answer on a ringing wall is unreliable, in words, or None (echoes ≤ :data:`ECHO_LIMIT` or not
    measurable). The localizer's map, its detection threshold (the surrogate keeps coherence when the wall
    rings longer than its channel shift) and its 95 % radius all assume the direct sound dominates."""
    if echoes is None or not np.isfinite(echoes.ratio) or echoes.ratio <= ECHO_LIMIT:
        return None
    return (f"the wall rings: echoes carry {echoes.ratio:.1f} x the correlation of the direct sound (95 % "
            f"{echoes.interval[0]:.1f}-{echoes.interval[1]:.1f}), so an echo can pose as the source and the "
            f"radius and the detection threshold do not account for that; damp the panel, or listen with "
            f"sensors closer together around the suspected area")
