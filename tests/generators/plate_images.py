"""An independent wall-noise generator for checking ``hullbreach locate`` (tests and benchmarks only).

It shares no code and no physics model with :mod:`hullbreach.locate` (it imports nothing from it), so
it can be used to check the localizer on recordings it was not tuned on:

* **Dispersion**: Mindlin thick-plate flexural theory (shear deformation + rotary inertia, shear
  coefficient κ² = π²/12), not the exact Rayleigh–Lamb A0 root the localizer uses. Plane-wave form of
  Mindlin's plate equation (Mindlin, J. Appl. Mech. 18, 1951; Graff, *Wave Motion in Elastic Solids*
  1975, eq. 8.3.35):

      D k⁴ − ω² ρ (D/(κ²G) + h³/12) k² − ρ h ω² + ρ² h³ ω⁴ / (12 κ² G) = 0,   D = E h³ / (12 (1 − ν²)).

  It agrees with A0 to a few per cent below f·h ≈ 1 MHz·mm and departs above (a built-in model error).
* **Attenuation**: a power law α(f) = α_ref (f / 100 kHz)^1.3 [Np/m] (not the localizer's loss-factor
  form).
* **Edges**: image sources up to order 2 (edges and corners) with a complex reflection coefficient
  r·exp(−iπ/2) per bounce (the propagating part of a flexural wave reflected at a free edge at normal
  incidence has phase −π/2; Graff 1975 §3.4 for the beam analogue).
* **Stiffener**: one line y = y_s; every (unfolded) path that crosses a copy of it is multiplied by a
  frequency-dependent transmission T(f) = T0 (1 − 0.3 f / 300 kHz) with a 0.3 rad phase; first-order
  reflection from it with amplitude sqrt(1 − T0²) and phase π.
* **Sources**: the leak is broadband noise (2nd-order high-pass at 25 kHz, 2nd-order low-pass at
  450 kHz); equipment is band-limited noise (4th-order Butterworth-magnitude band-pass, default
  50–250 kHz), optionally switching on and off (non-stationary, a pump cycling), optionally
  **amplitude-modulated at its shaft rate**: g(t) = 1 + m sin(2π f_m t + φ). Rotating machinery's
  high-frequency noise (bearings, gears, fan blades passing struts) is carried by the rotation, so its
  envelope repeats at the shaft or blade-pass rate — the basis of envelope analysis in machine
  diagnostics (Randall & Antoni, "Rolling element bearing diagnostics — a tutorial", Mech. Syst. Signal
  Process. 25(2), 2011, §2–3; Antoni, "Cyclostationarity by examples", MSSP 23(4), 2009). A leak's
  jet noise has no such carrier (stationary broadband turbulence). Stationary, unmodulated band noise
  (the default) is kept on purpose: it is statistically a leak with another spectrum, the case no
  discriminator can settle.
* **Sensors**: true positions differ from the declared ones (uniform in a disc), per-channel gain (dB)
  and timing (µs) errors, white self-noise at a per-sensor SNR (leak variance over noise variance, whole
  band, before the gain).

The whole record is synthesised in the frequency domain (circular convolution; for stationary noise
the same statistics as a linear one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Plate:
    """The TRUE plate (SI): thickness h [m], size [m], E [Pa], ν [-], ρ [kg/m³], stiffener line y [m]."""

    thickness_m: float
    width_m: float
    height_m: float
    youngs_modulus_pa: float
    poisson_ratio: float
    density_kg_m3: float
    edge_reflection: float = 0.8
    stiffener_y_m: float | None = None
    stiffener_transmission: float = 0.6
    attenuation_np_m: float = 0.4  # α at 100 kHz [Np/m]


@dataclass(frozen=True)
class NoiseSource:
    """A noise source at ``position_m`` [m]: ``kind`` "leak" (broadband) or "band" (band-limited)."""

    position_m: tuple[float, float]
    level_db: float = 0.0  # received variance re the leak's, averaged over sensors [dB] (leak: 0)
    kind: str = "leak"
    band_hz: tuple[float, float] = (50e3, 250e3)
    on_off_period_s: float | None = None  # None: stationary; else square on/off gating at this period
    modulation_depth: float = 0.0  # m of the shaft-rate amplitude modulation 1 + m sin(2π f_m t + φ) [-]
    modulation_hz: float = 0.0  # f_m, the shaft (or blade-pass) rate [Hz]


@dataclass(frozen=True)
class SensorErrors:
    """Differences between the declared and the true sensors."""

    position_m: float = 0.0  # max displacement [m]
    gain_db: float = 0.0  # gains uniform in ±gain_db [dB]
    timing_s: float = 0.0  # delays uniform in ±timing_s [s]


@dataclass(frozen=True)
class Synthetic:
    """One simulated recording: declared sensors, signals, and the truth behind them."""

    fs_hz: float
    declared_sensors_m: np.ndarray = field(repr=False)
    signals: np.ndarray = field(repr=False)
    true_sensors_m: np.ndarray = field(repr=False)
    sources: tuple[NoiseSource, ...] = ()
    gains: np.ndarray | None = field(default=None, repr=False)  # per-channel gain [-]
    delays_s: np.ndarray | None = field(default=None, repr=False)  # per-channel timing error [s]


def mindlin_wavenumber(f_hz, plate: Plate) -> np.ndarray:
    """Flexural wavenumber k(f) [rad/m] of a Mindlin plate (module docstring)."""
    w = 2 * np.pi * np.asarray(f_hz, dtype=float)
    E, nu, rho, h = plate.youngs_modulus_pa, plate.poisson_ratio, plate.density_kg_m3, plate.thickness_m
    G = E / (2 * (1 + nu))
    kap2 = math.pi**2 / 12
    D = E * h**3 / (12 * (1 - nu**2))
    a = D
    b = -w**2 * rho * (D / (kap2 * G) + h**3 / 12)
    c = -rho * h * w**2 + rho**2 * h**3 * w**4 / (12 * kap2 * G)
    disc = np.sqrt(b**2 - 4 * a * c)
    return np.sqrt((-b + disc) / (2 * a))


def _images(plate: Plate, src, order: int = 2):
    """Image points (M, 2), bounce counts (M,), and (x, y) reflection flags for the rectangle."""
    W, H = plate.width_m, plate.height_m
    pts, nb = [], []
    for m in range(-order, order + 1):
        for n in range(-order, order + 1):
            if abs(m) + abs(n) > order:
                continue
            x = (2 * ((m + 1) // 2) * W + (-1) ** (m % 2) * src[0]) if m else src[0]
            y = (2 * ((n + 1) // 2) * H + (-1) ** (n % 2) * src[1]) if n else src[1]
            pts.append((x, y))
            nb.append(abs(m) + abs(n))
    return np.array(pts), np.array(nb)


def _stiffener_crossings(plate: Plate, img: np.ndarray, rx: np.ndarray, order: int = 2) -> np.ndarray:
    """Number of mirrored stiffener lines crossed by each unfolded path (M, N)."""
    if plate.stiffener_y_m is None:
        return np.zeros((img.shape[0], rx.shape[0]), dtype=int)
    H, ys = plate.height_m, plate.stiffener_y_m
    copies = np.array([2 * n * H + s * ys for n in range(-order - 1, order + 2) for s in (1, -1)])
    lo = np.minimum(img[:, None, 1], rx[None, :, 1])[..., None]
    hi = np.maximum(img[:, None, 1], rx[None, :, 1])[..., None]
    return np.sum((copies > lo) & (copies < hi), axis=-1)


def transfer(plate: Plate, src, rx: np.ndarray, f_hz: np.ndarray, order: int = 2, near_m: float = 0.01) -> np.ndarray:
    """Transfer functions (N, F) from a point force at ``src`` to sensors ``rx`` (N, 2) [arbitrary units]."""
    k = mindlin_wavenumber(f_hz, plate)
    alpha = plate.attenuation_np_m * (np.asarray(f_hz) / 1e5) ** 1.3
    img, nb = _images(plate, src, order)
    refl = (plate.edge_reflection * np.exp(-0.5j * np.pi)) ** nb  # (M,)
    cross = _stiffener_crossings(plate, img, rx, order)  # (M, N)
    T = plate.stiffener_transmission * (1 - 0.3 * np.asarray(f_hz) / 300e3) * np.exp(0.3j)  # (F,)
    out = np.zeros((rx.shape[0], len(f_hz)), dtype=complex)
    prop = -(alpha + 1j * k)
    for mi in range(img.shape[0]):
        L = np.hypot(rx[:, 0] - img[mi, 0], rx[:, 1] - img[mi, 1])
        amp = refl[mi] / np.sqrt(np.maximum(L, near_m))
        for c in np.unique(cross[mi]):
            sel = cross[mi] == c
            out[sel] += (amp[sel, None] * T[None, :] ** c) * np.exp(prop[None, :] * L[sel, None])
    if plate.stiffener_y_m is not None:  # first-order reflection from the stiffener (same side only)
        ys = plate.stiffener_y_m
        same = (rx[:, 1] - ys) * (src[1] - ys) > 0
        if np.any(same):
            L = np.hypot(rx[same, 0] - src[0], rx[same, 1] - (2 * ys - src[1]))
            R = math.sqrt(max(0.0, 1 - plate.stiffener_transmission**2))
            out[same] += (-R / np.sqrt(np.maximum(L, near_m)))[:, None] * np.exp(prop[None, :] * L[:, None])
    return out


def _source_spectrum(src: NoiseSource, f: np.ndarray) -> np.ndarray:
    if src.kind == "leak":
        hp = (f / 25e3) ** 2 / np.sqrt(1 + (f / 25e3) ** 4)
        lp = 1 / np.sqrt(1 + (f / 450e3) ** 4)
        return hp * lp
    lo, hi = src.band_hz
    fc, bw = math.sqrt(lo * hi), hi - lo
    x = (f**2 - fc**2) / np.maximum(f * bw, 1e-9)
    return 1 / np.sqrt(1 + x**8)


def simulate(plate: Plate, declared_sensors_m, sources, *, fs_hz: float = 1e6, duration_s: float = 0.1,
             snr_db: float = 0.0, errors: SensorErrors = SensorErrors(), seed=0, leak_gain: float = 1.0,
             same_sensors_as: Synthetic | None = None) -> Synthetic:
    """Simulate the sensors' signals (module docstring). The first source must be the leak.

    ``leak_gain`` multiplies the leak's signal after every other level has been set relative to it (0: a
    reference recording of the same wall without the leak, the equipment and the sensors' self-noise at
    the same absolute levels). ``same_sensors_as``: reuse that recording's true sensor positions, gains
    and timing errors (the same sensors recording again) instead of drawing new ones.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    decl = np.asarray(declared_sensors_m, dtype=float)
    N = decl.shape[0]
    ang = rng.uniform(0, 2 * np.pi, N)
    rad = errors.position_m * np.sqrt(rng.uniform(0, 1, N))
    true = decl + np.stack([rad * np.cos(ang), rad * np.sin(ang)], axis=1)
    true[:, 0] = np.clip(true[:, 0], 1e-3, plate.width_m - 1e-3)
    true[:, 1] = np.clip(true[:, 1], 1e-3, plate.height_m - 1e-3)
    if same_sensors_as is not None:
        true = same_sensors_as.true_sensors_m
    n = int(round(duration_s * fs_hz))
    f = np.fft.rfftfreq(n, 1 / fs_hz)
    fb = f[1:]
    parts = []
    for src in sources:
        white = rng.standard_normal(n)
        if src.on_off_period_s:
            t = np.arange(n) / fs_hz
            phase0 = rng.uniform(0, src.on_off_period_s)
            white = white * ((((t + phase0) / src.on_off_period_s) % 1.0) < 0.5)
        if src.modulation_depth > 0:  # shaft-rate AM of the noise (module docstring)
            t = np.arange(n) / fs_hz
            white = white * (1 + src.modulation_depth * np.sin(2 * np.pi * src.modulation_hz * t
                                                               + rng.uniform(0, 2 * np.pi)))
        S = np.fft.rfft(white)[1:] * _source_spectrum(src, fb)
        Hs = transfer(plate, src.position_m, true, fb)
        X = np.zeros((N, len(f)), dtype=complex)
        X[:, 1:] = Hs * S[None, :]
        parts.append(np.fft.irfft(X, n=n, axis=1))
    leak_var = np.var(parts[0], axis=1)
    sig = leak_gain * parts[0]
    for src, x in zip(sources[1:], parts[1:]):
        scale = math.sqrt(np.mean(leak_var) * 10 ** (src.level_db / 10) / max(np.mean(np.var(x, axis=1)), 1e-300))
        sig += scale * x
    sig += np.sqrt(leak_var / 10 ** (snr_db / 10))[:, None] * rng.standard_normal((N, n))
    gains = 10 ** (rng.uniform(-errors.gain_db, errors.gain_db, N) / 20)
    delays = rng.uniform(-errors.timing_s, errors.timing_s, N)
    if same_sensors_as is not None:
        gains, delays = same_sensors_as.gains, same_sensors_as.delays_s
    spec = np.fft.rfft(sig, axis=1) * np.exp(-2j * np.pi * f[None, :] * delays[:, None]) * gains[:, None]
    return Synthetic(float(fs_hz), decl, np.fft.irfft(spec, n=n, axis=1), true, tuple(sources), gains, delays)


# ------------------------------------------------------------------------------------------------
# The mismatch sweep of issue 13
# ------------------------------------------------------------------------------------------------

#: Declared panel of the sweep: 1.2 m x 1.0 m, 2 mm Al 2219 (E 73.1 GPa, ν 0.33, ρ 2840), frame at y = 0.55 m.
DECLARED = dict(thickness_m=0.002, width_m=1.2, height_m=1.0, youngs_modulus_pa=73.1e9, poisson_ratio=0.33,
                density_kg_m3=2840.0, stiffener_y_m=0.55)


def perimeter(n: int, width_m: float, height_m: float, margin_m: float = 0.05) -> np.ndarray:
    """N sensors evenly on a rectangle ``margin_m`` inside the edges [m].

    The same layout as ``hullbreach.locate.signals.perimeter_sensors``, written out here on purpose: this
    generator imports nothing from the package it checks.
    """
    W, H = width_m - 2 * margin_m, height_m - 2 * margin_m
    s = (np.arange(n) + 0.5) * 2 * (W + H) / n
    out = []
    for d in s:
        if d < W:
            out.append((margin_m + d, margin_m))
        elif d < W + H:
            out.append((margin_m + W, margin_m + d - W))
        elif d < 2 * W + H:
            out.append((margin_m + W - (d - W - H), margin_m + H))
        else:
            out.append((margin_m, margin_m + H - (d - 2 * W - H)))
    return np.array(out)


@dataclass(frozen=True)
class Case:
    """One sweep case: the knobs drawn, the true plate, and what the localizer is told."""

    plate: Plate
    thickness_factor: float
    modulus_factor: float
    errors: SensorErrors
    snr_db: float
    leak_m: tuple[float, float]
    other: NoiseSource | None


#: Kinds of unknown equipment drawn by :func:`draw_case`: ``"band"`` stationary Gaussian band noise
#: (statistically a leak with another spectrum: indistinguishable by construction), ``"cycling"`` the
#: same switching on and off every 20–50 ms, ``"machine"`` the same amplitude-modulated at a shaft rate
#: of 20–200 Hz (1 200–12 000 rpm), depth 0.3–0.9.
EQUIPMENT_KINDS = ("band", "cycling", "machine")


def draw_case(rng, *, loud: bool = False, worst: bool = False, other_db_max: float = 15.0,
              equipment_kind: str | None = None) -> Case:
    """Draw a sweep case: thickness −20…+10 %, modulus ±7 %, edge reflection 0.3–0.9, sensor errors up to
    4 mm / 4 dB / 3 µs, SNR −12…0 dB; ``loud``: plus an unknown band-limited (50–250 kHz) source 0–15 dB
    louder than the leak, of kind ``equipment_kind`` (:data:`EQUIPMENT_KINDS`; None: stationary or
    cycling, half each, the draw of the first sweep); ``worst``: every knob at its harsh end (the
    equipment stationary band noise unless ``equipment_kind`` says otherwise)."""
    d = DECLARED
    tf = 0.80 if worst else rng.uniform(0.80, 1.10)
    ef = 0.93 if worst else rng.uniform(0.93, 1.07)
    refl = 0.9 if worst else rng.uniform(0.3, 0.9)
    err = SensorErrors(4e-3, 4.0, 3e-6) if worst else SensorErrors(rng.uniform(0, 4e-3), rng.uniform(0, 4.0),
                                                                    rng.uniform(0, 3e-6))
    snr = -12.0 if worst else rng.uniform(-12.0, 0.0)
    plate = Plate(d["thickness_m"] * tf, d["width_m"], d["height_m"], d["youngs_modulus_pa"] * ef,
                  d["poisson_ratio"], d["density_kg_m3"], refl, d["stiffener_y_m"], 0.6,
                  0.4 * rng.uniform(0.5, 2.0))
    leak_m = (rng.uniform(0.1, d["width_m"] - 0.1), rng.uniform(0.1, d["height_m"] - 0.1))
    other = None
    if loud:
        while True:
            p = (rng.uniform(0.1, d["width_m"] - 0.1), rng.uniform(0.1, d["height_m"] - 0.1))
            if math.hypot(p[0] - leak_m[0], p[1] - leak_m[1]) > 0.15:
                break
        level = other_db_max if worst else rng.uniform(0.0, other_db_max)
        if equipment_kind is None:
            cyc = None if (worst or rng.uniform() < 0.5) else rng.uniform(0.02, 0.05)
            other = NoiseSource(p, level, "band", (50e3, 250e3), cyc)
        elif equipment_kind == "band":
            other = NoiseSource(p, level, "band", (50e3, 250e3))
        elif equipment_kind == "cycling":
            other = NoiseSource(p, level, "band", (50e3, 250e3), rng.uniform(0.02, 0.05))
        elif equipment_kind == "machine":
            other = NoiseSource(p, level, "band", (50e3, 250e3), None, rng.uniform(0.3, 0.9), rng.uniform(20.0, 200.0))
        else:
            raise ValueError(f"equipment_kind must be one of {EQUIPMENT_KINDS}, got {equipment_kind!r}")
    return Case(plate, tf, ef, err, snr, leak_m, other)


def run_case(case: Case, sensors_m, *, duration_s: float = 0.1, fs_hz: float = 1e6, seed=0) -> Synthetic:
    """Simulate the recording of a :class:`Case` at the declared sensors."""
    srcs = [NoiseSource(case.leak_m)] + ([case.other] if case.other is not None else [])
    return simulate(case.plate, sensors_m, srcs, fs_hz=fs_hz, duration_s=duration_s, snr_db=case.snr_db,
                    errors=case.errors, seed=seed)


def run_reference(case: Case, recording: Synthetic, *, duration_s: float = 0.1, fs_hz: float = 1e6,
                  drift_db: float = 3.0, on_off_period_s: float | None = None, seed=0) -> Synthetic:
    """A reference recording of the same wall by the same sensors: the equipment running, no leak.

    A new noise realisation; the equipment's level differs from the recording's by a uniform draw in
    ±``drift_db`` [dB] (equipment is never exactly as loud twice); ``on_off_period_s``: it cycles on and off
    at this period during the reference. The sensors' self-noise has the same absolute level as in the
    recording (it is set relative to the leak's received variance before the leak is removed).
    """
    if case.other is None:
        raise ValueError("a reference recording needs equipment (case.other)")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    o = case.other
    eq = NoiseSource(o.position_m, o.level_db + rng.uniform(-drift_db, drift_db), o.kind, o.band_hz,
                     on_off_period_s if on_off_period_s is not None else o.on_off_period_s,
                     o.modulation_depth, o.modulation_hz)
    return simulate(case.plate, recording.declared_sensors_m, [NoiseSource(case.leak_m), eq], fs_hz=fs_hz,
                    duration_s=duration_s, snr_db=case.snr_db, errors=case.errors, seed=rng, leak_gain=0.0,
                    same_sensors_as=recording)


def pitch_catch(plate: Plate, sensors_m, *, fs_hz: float = 1e6, n: int = 2048, band_hz=(30e3, 300e3),
                seed=0, snr_db: float = 20.0) -> np.ndarray:
    """Active pitch-catch (N, N, n): sensor i emits a band-limited pulse at sample 0, all sensors listen.

    The pulse spectrum is a raised-cosine band over ``band_hz`` with zero phase; self-noise at ``snr_db``
    below the traces' mean power. ``calibration[i, i]`` (the pulser itself) is noise only.
    """
    rng = np.random.default_rng(seed)
    s = np.asarray(sensors_m, dtype=float)
    f = np.fft.rfftfreq(n, 1 / fs_hz)
    lo, hi = band_hz
    inside = (f >= lo) & (f <= hi)
    P = np.where(inside, np.sin(np.pi * (f - lo) / (hi - lo)) ** 2, 0.0)
    out = np.zeros((len(s), len(s), n))
    fb = f[1:]
    for i in range(len(s)):
        H = transfer(plate, s[i], s, fb)
        X = np.zeros((len(s), len(f)), dtype=complex)
        X[:, 1:] = H * P[None, 1:]
        out[i] = np.fft.irfft(X, n=n, axis=1)
        out[i, i] = 0.0
    p = np.mean(out**2)
    return out + math.sqrt(p / 10 ** (snr_db / 10)) * rng.standard_normal(out.shape)
