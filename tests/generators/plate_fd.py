"""A finite-difference time-domain Mindlin-plate generator for checking ``hullbreach locate`` (tests and
benchmarks only; imports nothing from :mod:`hullbreach`).

Unlike the image-source generator (``plate_images.py``) it solves the wave equations on a grid, so the
wave field scatters from whatever the thickness field holds: an integral stiffener (a strip of thicker
plate) reflects, transmits and delays A0 as the physics says, a chemically milled pocket (thinner plate)
slows it, and the free edges reflect everything with the phase and near field the plate equations give.
Nothing here is tuned to the localizer's model (exact Rayleigh–Lamb A0, line stiffeners with one
transmission coefficient, image sources).

**Equations** — Mindlin–Reissner plate (Mindlin, "Influence of rotatory inertia and shear on flexural
motions of isotropic, elastic plates", J. Appl. Mech. 18:31–38, 1951; Graff, *Wave Motion in Elastic
Solids*, 1975, §8.3), in velocity–stress form with a thickness field h(x, y):

    ρh ∂v/∂t      = ∂Qx/∂x + ∂Qy/∂y + q − γ ρh v
    ρh³/12 ∂Ωx/∂t = ∂Mxx/∂x + ∂Mxy/∂y − Qx − γ ρh³/12 Ωx
    ρh³/12 ∂Ωy/∂t = ∂Mxy/∂x + ∂Myy/∂y − Qy − γ ρh³/12 Ωy
    ∂Mxx/∂t = D (∂Ωx/∂x + ν ∂Ωy/∂y),   ∂Myy/∂t = D (ν ∂Ωx/∂x + ∂Ωy/∂y),
    ∂Mxy/∂t = D (1 − ν)/2 (∂Ωx/∂y + ∂Ωy/∂x),
    ∂Qx/∂t = κ²Gh (∂v/∂x + Ωx),   ∂Qy/∂t = κ²Gh (∂v/∂y + Ωy),

v the normal velocity [m/s], Ωx, Ωy the rotation rates [rad/s], M the moments per unit length [N],
Q the shear forces per unit length [N/m], q the normal load [Pa], D = E h³/(12 (1 − ν²)), G = E/(2 (1 + ν)),
κ² = π²/12 (Mindlin's shear coefficient), γ [1/s] mass-proportional (Rayleigh) damping: every mode's
amplitude decays at γ/2, i.e. a loss factor η(f) = γ/(2π f) (given at 100 kHz).

**Scheme** — staggered grid in space and time (Virieux, "P-SV wave propagation in heterogeneous media:
velocity-stress finite-difference method", Geophysics 51(4):889–901, 1986: the Mindlin equations have the
same structure, moments and shear forces taking the stresses' place and the rotation rates and normal
velocity the velocities'; finite differences for plates in general: Bilbao, *Numerical Sound Synthesis*,
Wiley 2009, the plate chapters, Kirchhoff model), 4th-order staggered space differences (coefficients
9/8, −1/24; Levander, Geophysics 53(11), 1988) and leapfrog in time: v, Mxx, Myy at cell centres;
Qx, Ωx at x-faces; Qy, Ωy at y-faces; Mxy at corners. Free edges by the vacuum formalism: outside the plate h = 0, so D, κ²Gh and the
inertias vanish there (stiffness averaged harmonically, inertia arithmetically, between cells: the
standard treatment of material interfaces, Moczo et al., Bull. Seismol. Soc. Am. 92(8), 2002); the
normal moment and shear force then vanish on the edge. The same averaging makes a thickness jump
(stiffener, pocket) an interface the scheme handles without special code.

**Resolution and stability** — :func:`stable_dt` is the exact von Neumann limit of the scheme
(Ω_max dt ≤ 2, Ω² the eigenvalues of the semi-discrete operator at the grid's Nyquist wavenumbers, for the
thinnest and thickest cell); :func:`numerical_wavenumber` gives the grid's own A0 wavenumber, so the
numerical dispersion error at the band's top is a number (``tests/generators/test_plate_fd.py``).

**Output** — the normal velocity (or acceleration) at each sensor, bilinearly interpolated from the four
nearest cell centres, every FD step (dt = 1 µs / m), resampled to 1 MHz by a polyphase anti-alias filter.
Sources are point forces: a leak's band-limited random force (Gaussian, Butterworth-magnitude band) and
optionally a louder second source (equipment) with its own band. Sensor self-noise is white, at an SNR
defined against the mean received variance of everything the plate carries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np
from scipy.signal import resample_poly

#: Mindlin's shear coefficient κ² = π²/12 (matches the thickness-shear cut-off; Mindlin 1951) [-].
KAPPA2 = math.pi**2 / 12
#: 4th-order staggered first-derivative coefficients (Levander 1988) [-].
C1, C2 = 9.0 / 8.0, -1.0 / 24.0
#: Ghost cells of vacuum around the plate [-]: the 4th-order stencil reaches two cells, and the loop
#: (indices 2 … N−3) must include the face between the outermost vacuum cell and the plate on both sides.
GHOST = 3
#: AMg6 (the project's wall files: Soyuz orbital module, 1.9 mm AMG6; NASA/TM-2009-214785 §6):
#: E 71.0 GPa, ν 0.33, ρ 2640 kg/m³ (the values ``hullbreach.locate.lamb`` lists, written out here).
AMG6 = dict(youngs_modulus_pa=71.0e9, poisson_ratio=0.33, density_kg_m3=2640.0)


@dataclass(frozen=True)
class Strip:
    """An integral stiffener: a strip of thicker plate across the whole panel.

    ``direction`` "x": runs along x, centred at y = ``position_m``; "y": along y at x = ``position_m``.
    ``width_m`` its width, ``thickness_m`` the total thickness there [m].
    """

    direction: str
    position_m: float
    width_m: float
    thickness_m: float


@dataclass(frozen=True)
class Pocket:
    """A rectangular region of different (usually thinner: chemically milled) thickness [m]."""

    x0_m: float
    y0_m: float
    x1_m: float
    y1_m: float
    thickness_m: float


@dataclass(frozen=True)
class FDPlate:
    """The TRUE plate the grid simulates (SI)."""

    width_m: float
    height_m: float
    thickness_m: float
    youngs_modulus_pa: float = AMG6["youngs_modulus_pa"]
    poisson_ratio: float = AMG6["poisson_ratio"]
    density_kg_m3: float = AMG6["density_kg_m3"]
    strips: tuple[Strip, ...] = ()
    pockets: tuple[Pocket, ...] = ()
    loss_factor_100khz: float = 3e-3  # η at 100 kHz of the mass-proportional damping [-]
    dx_m: float = 2.0e-3

    @property
    def shape(self) -> tuple[int, int]:
        return int(round(self.width_m / self.dx_m)), int(round(self.height_m / self.dx_m))

    @property
    def gamma_1_s(self) -> float:
        """Damping rate γ [1/s] (amplitude decays as exp(−γ t / 2))."""
        return self.loss_factor_100khz * 2 * math.pi * 1e5


@dataclass(frozen=True)
class PointForce:
    """A point source at ``position_m`` [m]: band-limited Gaussian random force.

    ``band_hz`` its 4th-order Butterworth-magnitude band; ``level_db`` its force RMS re the leak's [dB].
    """

    position_m: tuple[float, float]
    band_hz: tuple[float, float] = (20e3, 180e3)
    level_db: float = 0.0


@dataclass(frozen=True)
class FDRecording:
    """What the sensors recorded: ``signals`` (N, T) at ``fs_hz``, sensor positions (N, 2) [m]."""

    fs_hz: float
    sensors_m: np.ndarray
    signals: np.ndarray
    dt_s: float = 0.0
    steps: int = 0
    info: dict = field(default_factory=dict)


def thickness_field(plate: FDPlate) -> np.ndarray:
    """h [m] at the cell centres (nx, ny), strips and pockets painted over the nominal thickness."""
    nx, ny = plate.shape
    x = (np.arange(nx) + 0.5) * plate.dx_m
    y = (np.arange(ny) + 0.5) * plate.dx_m
    X, Y = np.meshgrid(x, y, indexing="ij")
    h = np.full((nx, ny), plate.thickness_m)
    for p in plate.pockets:
        h[(X >= p.x0_m) & (X < p.x1_m) & (Y >= p.y0_m) & (Y < p.y1_m)] = p.thickness_m
    for s in plate.strips:
        c = Y if s.direction == "x" else X
        h[np.abs(c - s.position_m) < s.width_m / 2] = s.thickness_m
    return h


def _symbol_max(dx: float) -> float:
    """Largest value of the 4th-order staggered derivative's symbol, (2/dx)(9/8 + 1/24) [1/m]."""
    return 2.0 / dx * (C1 - C2)


def omega2_semidiscrete(kx_t, ky_t, h: float, plate: FDPlate) -> np.ndarray:
    """Squared angular frequencies [rad²/s²] of the homogeneous semi-discrete system for the derivative
    symbols kx_t, ky_t [1/m] (arrays): eigenvalues of −B·C, B: stresses → velocities, C: velocities → stresses."""
    E, nu, rho = plate.youngs_modulus_pa, plate.poisson_ratio, plate.density_kg_m3
    G = E / (2 * (1 + nu))
    D = E * h**3 / (12 * (1 - nu**2))
    S = KAPPA2 * G * h
    m, J = rho * h, rho * h**3 / 12
    kx = np.atleast_1d(np.asarray(kx_t, float))
    ky = np.atleast_1d(np.asarray(ky_t, float))
    n = kx.size
    B = np.zeros((n, 3, 5), complex)  # rows v, Ωx, Ωy; cols Mxx, Myy, Mxy, Qx, Qy
    C = np.zeros((n, 5, 3), complex)
    B[:, 0, 3], B[:, 0, 4] = 1j * kx / m, 1j * ky / m
    B[:, 1, 0], B[:, 1, 2], B[:, 1, 3] = 1j * kx / J, 1j * ky / J, -1 / J
    B[:, 2, 2], B[:, 2, 1], B[:, 2, 4] = 1j * kx / J, 1j * ky / J, -1 / J
    C[:, 0, 1], C[:, 0, 2] = D * 1j * kx, D * nu * 1j * ky
    C[:, 1, 1], C[:, 1, 2] = D * nu * 1j * kx, D * 1j * ky
    C[:, 2, 1], C[:, 2, 2] = D * (1 - nu) / 2 * 1j * ky, D * (1 - nu) / 2 * 1j * kx
    C[:, 3, 0], C[:, 3, 1] = S * 1j * kx, S
    C[:, 4, 0], C[:, 4, 2] = S * 1j * ky, S
    return np.sort(np.linalg.eigvals(-(B @ C)).real, axis=-1)


def stable_dt(plate: FDPlate) -> float:
    """The von Neumann limit dt_max = 2 / Ω_max [s] of the leapfrog scheme, over the plate's thicknesses.

    Ω_max is at the Nyquist corner (both derivative symbols at their largest); checked over a grid of
    wavenumbers in the tests. A heterogeneous grid with vacuum edges is run at :data:`SAFETY` of it."""
    hs = np.unique(thickness_field(plate))
    k = _symbol_max(plate.dx_m)
    g = np.linspace(0, k, 9)
    KX, KY = np.meshgrid(g, g)
    w2 = max(float(omega2_semidiscrete(KX.ravel(), KY.ravel(), float(h), plate).max()) for h in hs)
    return 2.0 / math.sqrt(w2)


#: Fraction of the von Neumann limit the simulations run at (the vacuum edges and thickness jumps are
#: not in the homogeneous analysis; the tests run at 0.99 and check it is stable).
SAFETY = 0.95


def steps_per_us(plate: FDPlate) -> int:
    """m: the FD step is 1 µs / m, the smallest m within :data:`SAFETY` of :func:`stable_dt`."""
    return int(math.ceil(1e-6 / (SAFETY * stable_dt(plate))))


def derivative_symbol(k, dx: float):
    """The 4th-order staggered first derivative's symbol k̃(k) = (2/dx)(c1 sin(k dx/2) + c2 sin(3 k dx/2)) [1/m]."""
    k = np.asarray(k, float)
    return 2.0 / dx * (C1 * np.sin(k * dx / 2) + C2 * np.sin(3 * k * dx / 2))


def mindlin_wavenumber(f_hz, h: float, plate: FDPlate) -> np.ndarray:
    """Exact flexural (A0-branch) wavenumber of Mindlin's plate [rad/m] (Graff 1975, eq. 8.3.35):
    the continuum Ω(k) inverted, i.e. the smallest root of Ω²(k) = ω² on the lower branch."""
    w = 2 * np.pi * np.asarray(f_hz, float)
    E, nu, rho = plate.youngs_modulus_pa, plate.poisson_ratio, plate.density_kg_m3
    G = E / (2 * (1 + nu))
    D = E * h**3 / (12 * (1 - nu**2))
    a = D
    b = -w**2 * rho * (D / (KAPPA2 * G) + h**3 / 12)
    c = -rho * h * w**2 + rho**2 * h**3 * w**4 / (12 * KAPPA2 * G)
    return np.sqrt((-b + np.sqrt(b**2 - 4 * a * c)) / (2 * a))


def numerical_wavenumber(f_hz, h: float, plate: FDPlate, dt_s: float) -> np.ndarray:
    """The grid's own A0 wavenumber along x [rad/m] at frequency f: the leapfrog turns ω into
    ω̃ = (2/dt) sin(ω dt/2); the space differences turn k into k̃(k); solve Ω_lower(k̃(k)) = ω̃."""
    f = np.atleast_1d(np.asarray(f_hz, float))
    wt = 2.0 / dt_s * np.sin(np.pi * f * dt_s)
    kt = mindlin_wavenumber(wt / (2 * np.pi), h, plate)  # the continuum k whose Ω is ω̃ is the symbol k̃
    # invert k̃(k) = kt by bisection on [0, π/dx]
    lo, hi = np.zeros_like(kt), np.full_like(kt, np.pi / plate.dx_m)
    for _ in range(60):
        mid = (lo + hi) / 2
        small = derivative_symbol(mid, plate.dx_m) < kt
        lo, hi = np.where(small, mid, lo), np.where(small, hi, mid)
    return (lo + hi) / 2


def _coefficients(plate: FDPlate):
    """Padded per-cell coefficient arrays (float32): inverse inertias and stiffnesses on their grids."""
    E, nu, rho = plate.youngs_modulus_pa, plate.poisson_ratio, plate.density_kg_m3
    G = E / (2 * (1 + nu))
    h = np.pad(thickness_field(plate), GHOST)  # vacuum outside: h = 0
    NX, NY = h.shape
    D = E * h**3 / (12 * (1 - nu**2))

    def inv(a):
        out = np.zeros_like(a)
        np.divide(1.0, a, out=out, where=a > 0)
        return out

    def harm(*xs):
        xs = np.array(xs)
        ok = np.all(xs > 0, axis=0)
        out = np.zeros(xs.shape[1:])
        out[ok] = len(xs) / np.sum(1.0 / np.where(xs > 0, xs, 1.0), axis=0)[ok]
        return out

    sh = lambda a, di, dj: np.roll(a, (-di, -dj), axis=(0, 1))  # a[i+di, j+dj] (the ring is vacuum)  # noqa: E731
    bv = inv(rho * h)
    J = rho * h**3 / 12
    bwx = inv((J + sh(J, 1, 0)) / 2)  # x-faces (i+½, j)
    bwy = inv((J + sh(J, 0, 1)) / 2)  # y-faces (i, j+½)
    sx = KAPPA2 * G * harm(h, sh(h, 1, 0))
    sy = KAPPA2 * G * harm(h, sh(h, 0, 1))
    dxy = harm(D, sh(D, 1, 0), sh(D, 0, 1), sh(D, 1, 1)) * (1 - nu) / 2  # corners (i+½, j+½)
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return dict(bv=f32(bv), bwx=f32(bwx), bwy=f32(bwy), d=f32(D), dxy=f32(dxy), sx=f32(sx), sy=f32(sy),
                nu=float(nu), shape=(NX, NY))


@numba.njit(cache=True, fastmath=True, nogil=True)
def _run(v, wx, wy, mxx, myy, mxy, qx, qy, bv, bwx, bwy, d, dxy, sx, sy, nu, dt, dx, gamma,
         src_i, src_j, src_w, forces, rec_i, rec_j, rec_w, out):  # pragma: no cover - compiled
    """The time loop: ``forces`` (S, steps) [N] at their 4 weighted cells, ``out`` (R, steps) the sensors."""
    NX, NY = v.shape
    c1 = np.float32(C1 / dx)
    c2 = np.float32(C2 / dx)
    dtf = np.float32(dt)
    damp = np.float32(1.0 - gamma * dt)
    nuf = np.float32(nu)
    area = np.float32(dx * dx)
    nsteps = forces.shape[1]
    for n in range(nsteps):
        # velocities (half step): v at centres, Ωx at x-faces, Ωy at y-faces. No branches (the loops
        # vectorise): outside the plate every coefficient is 0, so the vacuum stays at rest.
        for i in range(2, NX - 2):
            for j in range(2, NY - 2):
                dq = (c1 * (qx[i, j] - qx[i - 1, j]) + c2 * (qx[i + 1, j] - qx[i - 2, j])
                      + c1 * (qy[i, j] - qy[i, j - 1]) + c2 * (qy[i, j + 1] - qy[i, j - 2]))
                v[i, j] = damp * v[i, j] + dtf * bv[i, j] * dq
        for i in range(2, NX - 2):
            for j in range(2, NY - 2):
                dm = (c1 * (mxx[i + 1, j] - mxx[i, j]) + c2 * (mxx[i + 2, j] - mxx[i - 1, j])
                      + c1 * (mxy[i, j] - mxy[i, j - 1]) + c2 * (mxy[i, j + 1] - mxy[i, j - 2]))
                wx[i, j] = damp * wx[i, j] + dtf * bwx[i, j] * (dm - qx[i, j])
        for i in range(2, NX - 2):
            for j in range(2, NY - 2):
                dm = (c1 * (mxy[i, j] - mxy[i - 1, j]) + c2 * (mxy[i + 1, j] - mxy[i - 2, j])
                      + c1 * (myy[i, j + 1] - myy[i, j]) + c2 * (myy[i, j + 2] - myy[i, j - 1]))
                wy[i, j] = damp * wy[i, j] + dtf * bwy[i, j] * (dm - qy[i, j])
        for s in range(src_i.shape[0]):
            f = forces[s, n] * dtf / area
            for a in range(2):
                for b in range(2):
                    i, j = src_i[s] + a, src_j[s] + b
                    v[i, j] += f * src_w[s, a, b] * bv[i, j]
        # stresses (whole step)
        for i in range(2, NX - 2):
            for j in range(2, NY - 2):
                ex = c1 * (wx[i, j] - wx[i - 1, j]) + c2 * (wx[i + 1, j] - wx[i - 2, j])
                ey = c1 * (wy[i, j] - wy[i, j - 1]) + c2 * (wy[i, j + 1] - wy[i, j - 2])
                mxx[i, j] += dtf * d[i, j] * (ex + nuf * ey)
                myy[i, j] += dtf * d[i, j] * (nuf * ex + ey)
        for i in range(2, NX - 2):
            for j in range(2, NY - 2):
                e = (c1 * (wx[i, j + 1] - wx[i, j]) + c2 * (wx[i, j + 2] - wx[i, j - 1])
                     + c1 * (wy[i + 1, j] - wy[i, j]) + c2 * (wy[i + 2, j] - wy[i - 1, j]))
                mxy[i, j] += dtf * dxy[i, j] * e
        for i in range(2, NX - 2):
            for j in range(2, NY - 2):
                qx[i, j] += dtf * sx[i, j] * (c1 * (v[i + 1, j] - v[i, j]) + c2 * (v[i + 2, j] - v[i - 1, j]) + wx[i, j])
                qy[i, j] += dtf * sy[i, j] * (c1 * (v[i, j + 1] - v[i, j]) + c2 * (v[i, j + 2] - v[i, j - 1]) + wy[i, j])
        for r in range(rec_i.shape[0]):
            acc = np.float32(0.0)
            for a in range(2):
                for b in range(2):
                    acc += rec_w[r, a, b] * v[rec_i[r] + a, rec_j[r] + b]
            out[r, n] = acc


def _bilinear(points_m, dx: float):
    """Lower-left padded cell index (i, j) and 2x2 weights of points [m] on the cell-centre grid."""
    p = np.atleast_2d(np.asarray(points_m, float)) / dx - 0.5 + GHOST
    i0 = np.floor(p).astype(np.int64)
    t = p - i0
    w = np.empty((len(p), 2, 2), np.float32)
    w[:, 0, 0] = (1 - t[:, 0]) * (1 - t[:, 1])
    w[:, 1, 0] = t[:, 0] * (1 - t[:, 1])
    w[:, 0, 1] = (1 - t[:, 0]) * t[:, 1]
    w[:, 1, 1] = t[:, 0] * t[:, 1]
    return i0[:, 0].copy(), i0[:, 1].copy(), w


def band_noise(rng, n: int, dt_s: float, band_hz, order: int = 4) -> np.ndarray:
    """Gaussian noise (n samples at step dt) shaped by a Butterworth-magnitude band-pass, unit RMS [-]."""
    x = rng.standard_normal(n)
    f = np.fft.rfftfreq(n, dt_s)
    lo, hi = band_hz
    with np.errstate(divide="ignore"):
        hp = 1.0 / np.sqrt(1.0 + (lo / np.maximum(f, 1e-9)) ** (2 * order))
    g = hp / np.sqrt(1.0 + (f / hi) ** (2 * order))
    y = np.fft.irfft(np.fft.rfft(x) * g, n)
    return y / np.std(y)


def simulate_pulse(plate: FDPlate, source_m, receivers_m, force: np.ndarray, dt_s: float) -> np.ndarray:
    """Run the grid from rest with one point force (samples at step dt [N]) and return the normal velocity
    at each receiver every step (R, len(force)) [m/s]. No resampling: for the solver's own tests."""
    return _simulate(plate, np.atleast_2d(source_m), np.asarray(force, np.float32)[None, :], receivers_m, dt_s)


def _simulate(plate, sources_m, forces, receivers_m, dt_s):
    c = _coefficients(plate)
    NX, NY = c["shape"]
    z = lambda: np.zeros((NX, NY), np.float32)  # noqa: E731
    fields = [z() for _ in range(8)]
    si, sj, sw = _bilinear(sources_m, plate.dx_m)
    ri, rj, rw = _bilinear(receivers_m, plate.dx_m)
    out = np.zeros((len(ri), forces.shape[1]), np.float32)
    _run(*fields, c["bv"], c["bwx"], c["bwy"], c["d"], c["dxy"], c["sx"], c["sy"], c["nu"], dt_s, plate.dx_m,
         plate.gamma_1_s, si, sj, sw, np.ascontiguousarray(forces, np.float32), ri, rj, rw, out)
    return out


def simulate(plate: FDPlate, sensors_m, sources: list[PointForce], *, duration_s: float = 0.02,
             spinup_s: float = 0.002, fs_hz: float = 1e6, snr_db: float | None = 0.0, quantity: str = "velocity",
             seed=0) -> FDRecording:
    """Record ``duration_s`` of the plate driven by ``sources`` (after ``spinup_s`` to reach a steady
    reverberant field) at ``sensors_m`` [m], at ``fs_hz`` (1 MHz: the FD runs at 1 µs / m and is resampled).

    ``snr_db``: white sensor self-noise at (mean received variance) / (noise variance); None: no noise.
    ``quantity``: "velocity" [m/s] or "acceleration" [m/s²]."""
    if quantity not in ("velocity", "acceleration"):
        raise ValueError(f"quantity must be 'velocity' or 'acceleration', got {quantity!r}")
    rng = np.random.default_rng(seed)
    m = int(round(steps_per_us(plate) * 1e6 / fs_hz)) if fs_hz != 1e6 else steps_per_us(plate)
    dt = 1.0 / (fs_hz * m)
    n_keep = int(round(duration_s * fs_hz))
    n_spin = int(round(spinup_s * fs_hz))
    nsteps = (n_keep + n_spin) * m
    forces = np.stack([band_noise(rng, nsteps, dt, s.band_hz) * 10 ** (s.level_db / 20) for s in sources])
    pos = np.array([s.position_m for s in sources], float)
    out = _simulate(plate, pos, forces, sensors_m, dt).astype(float)
    if quantity == "acceleration":
        out = np.gradient(out, dt, axis=1)
    sig = resample_poly(out, 1, m, axis=1)[:, n_spin:n_spin + n_keep]
    if snr_db is not None:
        s2 = float(np.mean(np.var(sig, axis=1)))
        sig = sig + rng.standard_normal(sig.shape) * math.sqrt(s2 / 10 ** (snr_db / 10))
    return FDRecording(fs_hz, np.asarray(sensors_m, float), sig, dt, nsteps,
                       dict(steps_per_us=m, stable_dt_s=stable_dt(plate), shape=plate.shape))
