"""Structure-borne ultrasound on a wall: recordings, their file format, and a simulator.

The simulator works in the frequency domain on the whole record at once. Each source (the leak, rack
equipment) is stationary random noise with a spectral shape; each sensor receives, per propagation path
(direct, edge images, stiffener reflections),

    H(f) = a_path · exp(-i k(f) L) · exp(-α(f) L) / sqrt(L / 1 m)

with k(f) the A0 (optionally plus a small S0 part) wavenumber from the Rayleigh–Lamb solver, cylindrical
spreading 1/sqrt(L) (Graff 1975, §8.2: far field of a point source in a plate), and the damping
α(f) = η ω / (2 c_g(f)) of a wave with structural loss factor η (Cremer, Heckl & Petersson,
*Structure-Borne Sound*, 3rd ed., Springer 2005, §2.8/§3). Edges are first-order image sources
(mirror images across the free edges, amplitude coefficient ``edge_reflection``); a stiffener transmits a
fraction T of the amplitude across it and reflects sqrt(1 - T²) (see :mod:`hullbreach.locate.wall`).
The spectrum multiplication is a circular convolution; for stationary noise this is statistically the
same as a linear one (the record is the steady state of a periodic noise of the record length).

A recording file (``.npz``) holds ``fs_hz`` (scalar), ``sensor_positions_m`` (N x 2, metres on the
unrolled wall) and ``signals`` (N x T).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from hullbreach.errors import LocalizationError
from hullbreach.locate.wall import Wall


@dataclass(frozen=True)
class Recording:
    """Simultaneous recordings of N wall sensors.

    Attributes
    ----------
    fs_hz : float
        Sampling rate [Hz].
    sensor_positions_m : np.ndarray
        (N, 2) sensor positions on the unrolled wall [m].
    signals : np.ndarray
        (N, T) samples (any consistent unit: V, m/s, ...).
    calibration : np.ndarray or None
        Optional active pitch-catch (N, N, Tc): ``calibration[i, j]`` is sensor j's signal when sensor i
        pulses, sample 0 at the pulse, at ``fs_hz`` (see :mod:`hullbreach.locate.calibrate`).
    """

    fs_hz: float
    sensor_positions_m: np.ndarray = field(repr=False)
    signals: np.ndarray = field(repr=False)
    calibration: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_sensors(self) -> int:
        """Number of sensors N."""
        return int(self.signals.shape[0])

    @property
    def duration_s(self) -> float:
        """Record length [s]."""
        return self.signals.shape[1] / self.fs_hz

    def save(self, path) -> Path:
        """Write the recording as ``.npz`` (keys ``fs_hz``, ``sensor_positions_m``, ``signals``)."""
        p = Path(path)
        extra = {} if self.calibration is None else {"calibration": self.calibration}
        np.savez(p, fs_hz=np.float64(self.fs_hz), sensor_positions_m=self.sensor_positions_m, signals=self.signals,
                 **extra)
        return p if p.suffix == ".npz" else p.with_name(p.name + ".npz")


def recording_from_arrays(fs_hz, sensor_positions_m, signals, source: str = "recording") -> Recording:
    """Check shapes and values of a recording; errors name the problem and the key."""
    fs = np.asarray(fs_hz)
    if fs.size != 1:
        raise LocalizationError(f"fs_hz must be a scalar, got an array of shape {fs.shape}", source=source)
    try:
        fs_val = float(fs.reshape(()))
    except (TypeError, ValueError):
        raise LocalizationError(f"fs_hz must be a number, got {fs!r}", source=source) from None
    if not (math.isfinite(fs_val) and fs_val > 0):
        raise LocalizationError(f"fs_hz must be a finite number > 0, got {fs_val}", source=source)
    pos = np.asarray(sensor_positions_m)
    sig = np.asarray(signals)
    if pos.dtype.kind not in "iuf":
        raise LocalizationError(f"sensor_positions_m must be numeric, got dtype {pos.dtype}", source=source)
    if sig.dtype.kind not in "iuf":
        raise LocalizationError(f"signals must be numeric, got dtype {sig.dtype}", source=source)
    if pos.ndim != 2 or pos.shape[1] != 2:
        raise LocalizationError(f"sensor_positions_m must have shape (N, 2), got {pos.shape}",
                                hint="one row [x, y] in metres per sensor", source=source)
    if sig.ndim != 2:
        raise LocalizationError(f"signals must have shape (N, T), got {sig.shape}",
                                hint="one row of samples per sensor", source=source)
    if sig.shape[0] != pos.shape[0]:
        raise LocalizationError(
            f"signals has {sig.shape[0]} rows but sensor_positions_m has {pos.shape[0]} sensors",
            hint="signals must be (N, T) with one row per sensor position", source=source)
    if pos.shape[0] < 3:
        raise LocalizationError(f"at least 3 sensors are needed to locate a point on a wall, got {pos.shape[0]}",
                                source=source)
    if not np.all(np.isfinite(pos)):
        raise LocalizationError("sensor_positions_m contains NaN or infinite values", source=source)
    bad = ~np.all(np.isfinite(sig), axis=1)
    if np.any(bad):
        rows = np.flatnonzero(bad)
        raise LocalizationError(
            f"signals contain NaN or infinite samples (sensor row(s) {', '.join(map(str, rows[:8].tolist()))})",
            hint="drop or repair those channels", source=source)
    d = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    if np.min(d) < 1e-6:
        i, j = np.unravel_index(np.argmin(d), d.shape)
        raise LocalizationError(f"sensors {i} and {j} are at the same position {pos[i].tolist()}", source=source)
    flat = np.flatnonzero(np.std(sig, axis=1) == 0)
    if flat.size:
        raise LocalizationError(f"sensor row(s) {flat.tolist()} are constant (dead channel)",
                                hint="remove dead channels from the recording", source=source)
    return Recording(fs_val, pos.astype(float), sig.astype(float))


def load_recording(path) -> Recording:
    """Read a recording ``.npz`` and check it (keys, shapes, NaN); errors name the problem."""
    p = Path(path)
    if not p.is_file():
        raise LocalizationError(f"recording not found: {p}", hint="pass --signals path/to/REC.npz")
    try:
        with np.load(p, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a user error here
        raise LocalizationError(f"cannot read {p} as a NumPy .npz file: {exc}") from None
    missing = [k for k in ("fs_hz", "sensor_positions_m", "signals") if k not in data]
    if missing:
        raise LocalizationError(f"recording is missing key(s) {', '.join(missing)}",
                                hint="the .npz needs fs_hz, sensor_positions_m (N x 2) and signals (N x T)",
                                source=str(p))
    rec = recording_from_arrays(data["fs_hz"], data["sensor_positions_m"], data["signals"], source=str(p))
    if "calibration" in data:
        from hullbreach.locate.calibrate import check_calibration

        rec = Recording(rec.fs_hz, rec.sensor_positions_m, rec.signals,
                        check_calibration(data["calibration"], rec.n_sensors, source=str(p)))
    return rec


# ------------------------------------------------------------------------------------------------
# Sources
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A stationary broadband noise source on the wall.

    Attributes
    ----------
    position_m : tuple[float, float]
        Where it is [m].
    amplitude : float
        Source strength (amplitude units at 1 m from the source, before damping) [arbitrary, consistent].
    kind : str
        ``"leak"`` or ``"equipment"``; sets the default spectrum.
    corner_low_hz, corner_high_hz : float
        Spectral shape. Leak: high-pass at ``corner_low_hz`` (12 dB/oct) and low-pass at ``corner_high_hz``
        (6 dB/oct) — the structure-borne noise of a gas jet through a hole is broadband ultrasound, with
        most energy between some tens and a few hundreds of kHz (Holland et al., JASA 121(6), 2007).
        Equipment (fans, pumps): low-pass at ``corner_high_hz`` with 12 dB/octave roll-off (an assumption:
        rotating machinery puts most of its structure-borne energy below ~20 kHz, which is why handheld
        detectors listen near 40 kHz and still hear racks).
    """

    position_m: tuple[float, float]
    amplitude: float = 1.0
    kind: str = "leak"
    corner_low_hz: float = 20e3
    corner_high_hz: float = 300e3

    def spectrum(self, f_hz: np.ndarray) -> np.ndarray:
        """Amplitude spectrum shape |S(f)| [-] (normalised to its maximum near 1)."""
        f = np.asarray(f_hz, dtype=float)
        if self.kind == "leak":
            hp = f**2 / (f**2 + self.corner_low_hz**2)
            lp = 1.0 / np.sqrt(1.0 + (f / self.corner_high_hz) ** 2)
            return hp * lp
        return 1.0 / (1.0 + (f / self.corner_high_hz) ** 2)


def equipment(position_m, amplitude: float = 1.0, corner_hz: float = 20e3) -> Source:
    """A rack noise source (fan, pump) at a mounting point [m] with a low-pass spectrum (corner [Hz])."""
    return Source(tuple(map(float, position_m)), float(amplitude), "equipment", 0.0, float(corner_hz))


def leak(position_m, amplitude: float = 1.0) -> Source:
    """A leak noise source at ``position_m`` [m] with the default leak spectrum."""
    return Source(tuple(map(float, position_m)), float(amplitude), "leak")


# ------------------------------------------------------------------------------------------------
# Propagation paths
# ------------------------------------------------------------------------------------------------


def _crossings(lines: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of lines (coordinates ``lines``) strictly between coordinates a and b (broadcast)."""
    if lines.size == 0:
        return np.zeros(np.broadcast(a, b).shape, dtype=int)
    lo = np.minimum(a, b)[..., None]
    hi = np.maximum(a, b)[..., None]
    return np.sum((lines > lo) & (lines < hi), axis=-1)


def propagation_paths(wall: Wall, source_m, sensors_m, edge_reflection: float = 0.8,
                      reflection_order: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Path lengths L (N, P) [m] and amplitude factors a (N, P) [-] from a source to N sensors.

    Paths: direct; first-order images in the four edges (``reflection_order >= 1``), and the four corner
    images (``reflection_order >= 2``), amplitude ``edge_reflection`` per bounce; first-order reflections
    from each stiffener when source and sensor are on the same side of it. Every path crossing a stiffener
    is multiplied by its transmission T (images see mirrored copies of the stiffeners).
    """
    s = np.asarray(source_m, dtype=float)
    r = np.asarray(sensors_m, dtype=float)
    W, H = wall.width_m, wall.height_m
    xs_lines = np.array([st.position_m for st in wall.stiffeners if st.direction == "y"])  # at x = c
    ys_lines = np.array([st.position_m for st in wall.stiffeners if st.direction == "x"])  # at y = c
    xs_T = np.array([st.transmission for st in wall.stiffeners if st.direction == "y"])
    ys_T = np.array([st.transmission for st in wall.stiffeners if st.direction == "x"])

    # images: (x transform, y transform, number of bounces); a transform is (sign, offset): x' = sign*x + offset
    images = [((1, 0.0), (1, 0.0), 0)]
    if reflection_order >= 1:
        images += [((-1, 0.0), (1, 0.0), 1), ((-1, 2 * W), (1, 0.0), 1),
                   ((1, 0.0), (-1, 0.0), 1), ((1, 0.0), (-1, 2 * H), 1)]
    if reflection_order >= 2:
        images += [((sx, ox), (sy, oy), 2) for sx, ox in ((-1, 0.0), (-1, 2 * W)) for sy, oy in ((-1, 0.0), (-1, 2 * H))]

    def transmission(lines, Ts, tr, a, b):
        if lines.size == 0:
            return np.ones(np.broadcast(a, b).shape)
        sign, off = tr
        copies = np.concatenate([lines, sign * lines + off]) if sign == -1 else lines
        Tc = np.concatenate([Ts, Ts]) if sign == -1 else Ts
        lo = np.minimum(a, b)[..., None]
        hi = np.maximum(a, b)[..., None]
        inside = (copies > lo) & (copies < hi)
        return np.prod(np.where(inside, Tc, 1.0), axis=-1)

    Ls, As = [], []
    for tx, ty, nb in images:
        ix = tx[0] * s[0] + tx[1]
        iy = ty[0] * s[1] + ty[1]
        L = np.hypot(r[:, 0] - ix, r[:, 1] - iy)
        a = edge_reflection**nb * transmission(xs_lines, xs_T, tx, ix, r[:, 0]) * transmission(ys_lines, ys_T, ty, iy, r[:, 1])
        Ls.append(L)
        As.append(a)
    # stiffener reflections (direct-path order only)
    for st in wall.stiffeners:
        c = st.position_m
        if st.direction == "x":  # line y = c
            iy = 2 * c - s[1]
            same = (r[:, 1] - c) * (s[1] - c) > 0
            L = np.hypot(r[:, 0] - s[0], r[:, 1] - iy)
            a = st.reflection * same * transmission(xs_lines, xs_T, (1, 0.0), s[0], r[:, 0])
            others = ys_lines[ys_lines != c]
            oT = ys_T[ys_lines != c]
            a = a * transmission(others, oT, (1, 0.0), s[1], r[:, 1])
        else:  # line x = c
            ix = 2 * c - s[0]
            same = (r[:, 0] - c) * (s[0] - c) > 0
            L = np.hypot(r[:, 0] - ix, r[:, 1] - s[1])
            a = st.reflection * same * transmission(ys_lines, ys_T, (1, 0.0), s[1], r[:, 1])
            others = xs_lines[xs_lines != c]
            oT = xs_T[xs_lines != c]
            a = a * transmission(others, oT, (1, 0.0), s[0], r[:, 0])
        Ls.append(L)
        As.append(a)
    return np.stack(Ls, axis=1), np.stack(As, axis=1)


def simulate(
    wall: Wall,
    sensors_m,
    sources: Sequence[Source],
    *,
    fs_hz: float = 1.0e6,
    duration_s: float = 0.05,
    snr_db: float | None = 0.0,
    self_noise_rms: float | None = None,
    loss_factor: float = 2e-3,
    edge_reflection: float = 0.8,
    reflection_order: int = 1,
    s0_fraction: float = 0.1,
    near_field_m: float = 0.01,
    seed: int | np.random.Generator = 0,
) -> Recording:
    """Simulate N sensor signals from leak and equipment sources on ``wall``.

    Parameters
    ----------
    wall : Wall
    sensors_m : array (N, 2)
        Sensor positions [m].
    sources : sequence of Source
        Leaks and equipment.
    fs_hz, duration_s : float
        Sampling rate [Hz] and record length [s].
    snr_db : float or None
        Per-sensor signal-to-noise ratio [dB]: the variance of the *leak* part of each sensor's signal over
        the variance of its white self-noise (0..fs/2). If None, ``self_noise_rms`` is used as is.
    loss_factor : float
        Structural loss factor η [-] (damping α = η ω / (2 c_g)).
    edge_reflection : float
        Amplitude reflection coefficient of the panel edges [-].
    reflection_order : int
        0: no edge images; 1: four edge images; 2: plus corner images.
    s0_fraction : float
        Amplitude of the S0 part relative to A0 [-] (normal-displacement sensors see little S0).
    near_field_m : float
        Distances are floored at this value in the spreading term [m].
    seed : int or Generator
        Random seed.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    pos = np.asarray(sensors_m, dtype=float)
    n = int(round(duration_s * fs_hz))
    if n < 16:
        raise LocalizationError(f"record too short: {n} samples", hint="raise duration_s or fs_hz")
    f = np.fft.rfftfreq(n, 1.0 / fs_hz)
    tab = wall.dispersion(f_max_hz=max(fs_hz / 2, 1e3))
    band = f > 0
    fb = f[band]
    kA = tab.wavenumber(fb, "A0")
    kS = tab.wavenumber(fb, "S0")
    wb = 2 * np.pi * fb
    aA = loss_factor * wb / (2 * tab.group(fb, "A0"))
    aS = loss_factor * wb / (2 * tab.group(fb, "S0"))
    leak_spec = np.zeros((pos.shape[0], fb.size), dtype=complex)
    other_spec = np.zeros((pos.shape[0], fb.size), dtype=complex)
    scale = math.sqrt(n / 2.0)  # white complex Gaussian spectrum with unit-variance samples in time
    for src in sources:
        S = src.amplitude * src.spectrum(fb) * scale * (rng.standard_normal(fb.size) + 1j * rng.standard_normal(fb.size)) / math.sqrt(2)
        L, a = propagation_paths(wall, src.position_m, pos, edge_reflection, reflection_order)
        spread = a / np.sqrt(np.maximum(L, near_field_m))
        target = leak_spec if src.kind == "leak" else other_spec
        for i in range(pos.shape[0]):
            keep = spread[i] != 0
            Li = L[i, keep][:, None]
            si = spread[i, keep][:, None]
            Hi = np.sum(si * np.exp(-(aA + 1j * kA)[None, :] * Li), axis=0)
            if s0_fraction:
                Hi += s0_fraction * np.sum(si * np.exp(-(aS + 1j * kS)[None, :] * Li), axis=0)
            target[i] += Hi * S
    full = np.zeros((pos.shape[0], f.size), dtype=complex)
    full[:, band] = leak_spec
    x_leak = np.fft.irfft(full, n=n, axis=1)
    full[:, band] = other_spec
    x_other = np.fft.irfft(full, n=n, axis=1)
    if snr_db is not None:
        var = np.var(x_leak, axis=1)
        if np.any(var == 0):
            var = np.where(var == 0, np.mean(var) if np.mean(var) > 0 else 1.0, var)
        noise_rms = np.sqrt(var / 10 ** (snr_db / 10))
    else:
        noise_rms = np.full(pos.shape[0], float(self_noise_rms or 0.0))
    x = x_leak + x_other + noise_rms[:, None] * rng.standard_normal((pos.shape[0], n))
    return Recording(float(fs_hz), pos.copy(), x)


def ring_array(center_m, n: int, radius_m: float) -> np.ndarray:
    """N sensor positions on a circle (a small array) [m]."""
    a = 2 * np.pi * np.arange(n) / n
    c = np.asarray(center_m, dtype=float)
    return np.stack([c[0] + radius_m * np.cos(a), c[1] + radius_m * np.sin(a)], axis=1)


def perimeter_sensors(wall: Wall, n: int, margin_m: float = 0.05) -> np.ndarray:
    """N distributed sensors evenly spaced on a rectangle inset by ``margin_m`` from the edges [m]."""
    W, H = wall.width_m - 2 * margin_m, wall.height_m - 2 * margin_m
    per = 2 * (W + H)
    s = (np.arange(n) + 0.5) * per / n
    pts = []
    for d in s:
        if d < W:
            pts.append((margin_m + d, margin_m))
        elif d < W + H:
            pts.append((margin_m + W, margin_m + d - W))
        elif d < 2 * W + H:
            pts.append((margin_m + W - (d - W - H), margin_m + H))
        else:
            pts.append((margin_m, margin_m + H - (d - 2 * W - H)))
    return np.array(pts)
