"""Lamb waves in an isotropic plate: materials and the Rayleigh–Lamb dispersion relations.

The leak noise of a hole into vacuum travels in a thin hull mostly as the fundamental antisymmetric
(flexural) Lamb mode A0, which is strongly dispersive at 20–300 kHz in 1–3 mm aluminium; the
fundamental symmetric mode S0 is nearly non-dispersive there. This module solves the exact
Rayleigh–Lamb frequency equations for the phase velocity of both modes and derives the group velocity.

References
----------
J. L. Rose, *Ultrasonic Guided Waves in Solid Media*, Cambridge University Press, 2014, ch. 6
(Rayleigh–Lamb equations, eqs. 6.12–6.13; low-frequency limits, group velocity).
K. F. Graff, *Wave Motion in Elastic Solids*, Oxford, 1975 (Dover 1991), §8.1 (Rayleigh–Lamb), §4.2
(classical plate flexural waves), §6.3 (Rayleigh waves).
I. A. Viktorov, *Rayleigh and Lamb Waves*, Plenum, 1967: c_R ≈ c_T (0.87 + 1.12 ν)/(1 + ν).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hullbreach.errors import LocalizationError, PhysicsError


@dataclass(frozen=True)
class Material:
    """An isotropic elastic material.

    Attributes
    ----------
    name : str
        Short name (``"al-2219"``) or ``"custom"``.
    youngs_modulus_pa : float
        Young's modulus E [Pa].
    poisson_ratio : float
        Poisson's ratio ν [-], 0 < ν < 0.5.
    density_kg_m3 : float
        Density ρ [kg/m³].
    source : str
        Where the numbers come from.
    """

    name: str
    youngs_modulus_pa: float
    poisson_ratio: float
    density_kg_m3: float
    source: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.youngs_modulus_pa) and self.youngs_modulus_pa > 0):
            raise PhysicsError(f"material {self.name!r}: Young's modulus must be > 0 Pa, got {self.youngs_modulus_pa}")
        if not (math.isfinite(self.poisson_ratio) and 0.0 < self.poisson_ratio < 0.5):
            raise PhysicsError(f"material {self.name!r}: Poisson's ratio must be in (0, 0.5), got {self.poisson_ratio}")
        if not (math.isfinite(self.density_kg_m3) and self.density_kg_m3 > 0):
            raise PhysicsError(f"material {self.name!r}: density must be > 0 kg/m³, got {self.density_kg_m3}")

    @property
    def longitudinal_speed_m_s(self) -> float:
        """Bulk longitudinal (P) wave speed c_L = sqrt(E(1-ν)/(ρ(1+ν)(1-2ν))) [m/s] (Graff 1975, §5.1)."""
        E, nu, rho = self.youngs_modulus_pa, self.poisson_ratio, self.density_kg_m3
        return math.sqrt(E * (1 - nu) / (rho * (1 + nu) * (1 - 2 * nu)))

    @property
    def shear_speed_m_s(self) -> float:
        """Bulk shear (S) wave speed c_T = sqrt(E/(2ρ(1+ν))) [m/s] (Graff 1975, §5.1)."""
        E, nu, rho = self.youngs_modulus_pa, self.poisson_ratio, self.density_kg_m3
        return math.sqrt(E / (2 * rho * (1 + nu)))

    @property
    def plate_speed_m_s(self) -> float:
        """Low-frequency S0 ("plate") speed sqrt(E/(ρ(1-ν²))) [m/s] (Rose 2014, §6.4; Graff 1975, §8.1)."""
        E, nu, rho = self.youngs_modulus_pa, self.poisson_ratio, self.density_kg_m3
        return math.sqrt(E / (rho * (1 - nu**2)))

    @property
    def rayleigh_speed_m_s(self) -> float:
        """Exact Rayleigh surface-wave speed [m/s]: root of (2-ξ²)² = 4 sqrt(1-ξ²κ²) sqrt(1-ξ²), ξ = c/c_T.

        Graff 1975, §6.3, eq. 6.3.8; κ = c_T/c_L.
        """
        kap2 = (self.shear_speed_m_s / self.longitudinal_speed_m_s) ** 2

        def f(xi: float) -> float:
            return (2 - xi**2) ** 2 - 4 * math.sqrt(1 - xi**2 * kap2) * math.sqrt(1 - xi**2)

        lo, hi = 0.5, 0.999999
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            if f(lo) * f(mid) <= 0:
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi) * self.shear_speed_m_s

    def to_json(self) -> dict:
        """JSON-able dict (SI units in the key names)."""
        return {
            "name": self.name,
            "youngs_modulus_pa": self.youngs_modulus_pa,
            "poisson_ratio": self.poisson_ratio,
            "density_kg_m3": self.density_kg_m3,
            "source": self.source,
        }


def viktorov_rayleigh_speed(shear_speed_m_s: float, poisson_ratio: float) -> float:
    """Viktorov's approximation of the Rayleigh speed, c_R ≈ c_T (0.87 + 1.12 ν)/(1 + ν) [m/s].

    Viktorov, *Rayleigh and Lamb Waves* (1967); quoted in Rose 2014, §5.3 and Graff 1975, §6.3.
    """
    return shear_speed_m_s * (0.87 + 1.12 * poisson_ratio) / (1 + poisson_ratio)


#: Built-in materials. Handbook room-temperature values.
MATERIALS: dict[str, Material] = {
    "al-2219": Material(
        "al-2219", 73.1e9, 0.33, 2840.0,
        "Aluminium 2219-T87: ASM Aerospace Specification Metals / MatWeb data sheet (E 73.1 GPa, ν 0.33, ρ 2.84 g/cm³)",
    ),
    "amg6": Material(
        "amg6", 71.0e9, 0.33, 2640.0,
        "AMg6 (Al-6Mg, GOST 4784 grade 1560): E 71 GPa, ρ 2.64 g/cm³ (Beletsky & Krivov, "
        "'Aluminium alloys' handbook, 2005); ν 0.33 typical of Al-Mg alloys",
    ),
    "al-6061": Material(
        "al-6061", 68.9e9, 0.33, 2700.0,
        "Aluminium 6061-T6: ASM Aerospace Specification Metals / MatWeb data sheet (E 68.9 GPa, ν 0.33, ρ 2.70 g/cm³)",
    ),
    "al-2024": Material(
        "al-2024", 73.1e9, 0.33, 2780.0,
        "Aluminium 2024-T3: ASM Aerospace Specification Metals / MatWeb data sheet (E 73.1 GPa, ν 0.33, ρ 2.78 g/cm³)",
    ),
}


def material(name: str) -> Material:
    """The built-in material called ``name`` (case-insensitive; ``"AMg6"``, ``"al-2219"`` ...)."""
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    aliases = {"2219": "al-2219", "aa2219": "al-2219", "6061": "al-6061", "aa6061": "al-6061",
               "2024": "al-2024", "aa2024": "al-2024", "amg-6": "amg6", "1560": "amg6"}
    key = aliases.get(key, key)
    if key not in MATERIALS:
        raise LocalizationError(
            f"unknown material {name!r}",
            hint=f"use one of {', '.join(sorted(MATERIALS))} or a [material] table with youngs_modulus_pa, "
            "poisson_ratio, density_kg_m3",
        )
    return MATERIALS[key]


def flexural_phase_speed(frequency_hz, thickness_m: float, mat: Material):
    """Classical (Kirchhoff) plate flexural phase speed c = (ω² D/(ρ h))^(1/4) [m/s].

    D = E h³/(12(1-ν²)) is the bending stiffness; the low-frequency limit of A0 (Graff 1975, §4.2; Rose 2014,
    §6.4). Its group speed is twice the phase speed.
    """
    w = 2 * np.pi * np.asarray(frequency_hz, dtype=float)
    D = mat.youngs_modulus_pa * thickness_m**3 / (12 * (1 - mat.poisson_ratio**2))
    return (w**2 * D / (mat.density_kg_m3 * thickness_m)) ** 0.25


# ---------------------------------------------------------------------------------------------
# Rayleigh–Lamb frequency equations, written in real arithmetic.
#
# With p² = ω²/c_L² - k², q² = ω²/c_T² - k² and half-thickness d (Rose 2014 eqs. 6.12–6.13):
#   symmetric:      (q²-k²)² cos(pd) sin(qd) + 4k²pq sin(pd) cos(qd) = 0
#   antisymmetric:  (q²-k²)² sin(pd) cos(qd) + 4k²pq cos(pd) sin(qd) = 0
# Dividing by q (symmetric) or p (antisymmetric) and writing C(x²) = cos(xd), S(x²) = sin(xd)/x, both
# real for x² < 0 (cosh, sinh/|x|), gives real functions. For x² < 0 both C and S are scaled by e^{-|x|d}
# (a positive factor, roots unchanged) so nothing overflows at high frequency-thickness.
# ---------------------------------------------------------------------------------------------


def _cs(x2: np.ndarray, d: float):
    """Scaled C = cos(xd) and S = sin(xd)/x for real x² (see above)."""
    x2 = np.asarray(x2, dtype=float)
    C = np.empty_like(x2)
    S = np.empty_like(x2)
    pos = x2 >= 0
    x = np.sqrt(np.where(pos, x2, 0.0))
    xd = x * d
    C[pos] = np.cos(xd[pos])
    with np.errstate(invalid="ignore", divide="ignore"):
        S[pos] = np.where(xd[pos] > 1e-8, np.sin(xd[pos]) / np.where(x[pos] > 0, x[pos], 1.0), d)
    neg = ~pos
    a = np.sqrt(-x2[neg]) * d
    e = np.exp(-2 * a)
    C[neg] = 0.5 * (1 + e)
    with np.errstate(invalid="ignore", divide="ignore"):
        S[neg] = np.where(a > 1e-8, 0.5 * (1 - e) * d / np.where(a > 0, a, 1.0), d)
    return C, S


def _lamb_function(c: np.ndarray, omega: np.ndarray, d: float, cl: float, ct: float, mode: str) -> np.ndarray:
    """Real Rayleigh–Lamb function whose zeros in phase speed c are the symmetric / antisymmetric modes.

    Non-dimensionalised by ω/c_T so values are O(1) over the whole range.
    """
    k = omega / c
    k2 = k**2
    p2 = (omega / cl) ** 2 - k2
    q2 = (omega / ct) ** 2 - k2
    Cp, Sp = _cs(p2, d)
    Cq, Sq = _cs(q2, d)
    scale = (omega / ct) ** 2
    a = ((q2 - k2) / scale) ** 2
    if mode == "S":
        return a * Cp * Sq / d + 4 * (k2 / scale) * (p2 / scale) * Sp * Cq / d
    return a * Sp * Cq / d + 4 * (k2 / scale) * (q2 / scale) * Cp * Sq / d


def phase_velocity(frequency_hz, thickness_m: float, mat: Material, mode: str = "A0", n_scan: int = 1500) -> np.ndarray:
    """Phase velocity [m/s] of the A0 or S0 Lamb mode at the given frequencies [Hz] in a plate [m].

    Solves the exact Rayleigh–Lamb equations (Rose 2014, eqs. 6.12–6.13; Graff 1975, §8.1.2) by a scan in
    phase speed followed by vectorised bisection. A0 is the lowest antisymmetric root below the Rayleigh
    speed; S0 the lowest symmetric root between 0.8 c_R and the plate speed.
    """
    if mode not in ("A0", "S0"):
        raise PhysicsError(f"unknown Lamb mode {mode!r}", hint="use 'A0' or 'S0'")
    if not (thickness_m > 0 and math.isfinite(thickness_m)):
        raise PhysicsError(f"plate thickness must be > 0 m, got {thickness_m}")
    f = np.atleast_1d(np.asarray(frequency_hz, dtype=float))
    if np.any(~np.isfinite(f)) or np.any(f <= 0):
        raise PhysicsError("frequencies must be finite and > 0 Hz")
    cl, ct, cr = mat.longitudinal_speed_m_s, mat.shear_speed_m_s, mat.rayleigh_speed_m_s
    d = thickness_m / 2
    omega = 2 * np.pi * f
    if mode == "A0":
        c_low = np.minimum(0.5 * flexural_phase_speed(f, thickness_m, mat), 0.5 * cr)
        lo_grid = np.log(c_low)[:, None]
        hi = math.log(cr * (1 - 1e-12))
        grid = np.exp(lo_grid + (hi - lo_grid) * np.linspace(0, 1, n_scan)[None, :])
        kind = "A"
    else:
        grid = np.linspace(0.8 * cr, mat.plate_speed_m_s * (1 + 1e-9), n_scan)[None, :].repeat(len(f), axis=0)
        kind = "S"
    vals = _lamb_function(grid, omega[:, None], d, cl, ct, kind)
    sign_change = np.signbit(vals[:, :-1]) != np.signbit(vals[:, 1:])
    has = sign_change.any(axis=1)
    if not np.all(has):
        bad = f[~has]
        raise PhysicsError(
            f"no {mode} root found at {bad[:3].tolist()} Hz (thickness {thickness_m} m)",
            hint="frequency-thickness may be outside the solver's range (0 < f·h < 20 MHz·mm)",
        )
    idx = np.argmax(sign_change, axis=1)
    rows = np.arange(len(f))
    lo = grid[rows, idx].copy()
    hi_c = grid[rows, idx + 1].copy()
    flo = vals[rows, idx]
    for _ in range(60):
        mid = 0.5 * (lo + hi_c)
        fm = _lamb_function(mid, omega, d, cl, ct, kind)
        same = np.signbit(fm) == np.signbit(flo)
        lo = np.where(same, mid, lo)
        flo = np.where(same, fm, flo)
        hi_c = np.where(same, hi_c, mid)
    return 0.5 * (lo + hi_c)


def group_velocity(frequency_hz, thickness_m: float, mat: Material, mode: str = "A0") -> np.ndarray:
    """Group velocity c_g = dω/dk [m/s] of A0 or S0, by central differences of k(ω) = ω / c_p(ω).

    c_g = c_p² / (c_p - f dc_p/df) (Rose 2014, eq. 6.24), evaluated numerically with a relative step 1e-4.
    """
    f = np.atleast_1d(np.asarray(frequency_hz, dtype=float))
    h = 1e-4 * f
    k_hi = 2 * np.pi * (f + h) / phase_velocity(f + h, thickness_m, mat, mode)
    k_lo = 2 * np.pi * (f - h) / phase_velocity(f - h, thickness_m, mat, mode)
    return 2 * np.pi * (2 * h) / (k_hi - k_lo)


@dataclass(frozen=True)
class Dispersion:
    """Tabulated A0/S0 dispersion of one plate, with smooth interpolation of the wavenumber.

    Attributes
    ----------
    thickness_m : float
        Plate thickness h [m].
    material : Material
    frequency_hz : np.ndarray
        Table frequencies [Hz] (ascending, starting above 0).
    phase_a0_m_s, group_a0_m_s, phase_s0_m_s, group_s0_m_s : np.ndarray
        Phase and group velocities [m/s] at ``frequency_hz``.
    """

    thickness_m: float
    material: Material
    frequency_hz: np.ndarray = field(repr=False)
    phase_a0_m_s: np.ndarray = field(repr=False)
    group_a0_m_s: np.ndarray = field(repr=False)
    phase_s0_m_s: np.ndarray = field(repr=False)
    group_s0_m_s: np.ndarray = field(repr=False)

    def wavenumber(self, frequency_hz, mode: str = "A0") -> np.ndarray:
        """Wavenumber k(f) = 2π f / c_p(f) [rad/m], interpolated from the table (zero at 0 Hz)."""
        f = np.asarray(frequency_hz, dtype=float)
        cp = self.phase_a0_m_s if mode == "A0" else self.phase_s0_m_s
        ftab = np.concatenate([[0.0], self.frequency_hz])
        ktab = np.concatenate([[0.0], 2 * np.pi * self.frequency_hz / cp])
        return np.interp(np.abs(f), ftab, ktab, right=np.nan) * np.sign(f)

    def group(self, frequency_hz, mode: str = "A0") -> np.ndarray:
        """Group velocity [m/s] interpolated from the table."""
        cg = self.group_a0_m_s if mode == "A0" else self.group_s0_m_s
        return np.interp(np.asarray(frequency_hz, dtype=float), self.frequency_hz, cg)

    def phase(self, frequency_hz, mode: str = "A0") -> np.ndarray:
        """Phase velocity [m/s] interpolated from the table."""
        cp = self.phase_a0_m_s if mode == "A0" else self.phase_s0_m_s
        return np.interp(np.asarray(frequency_hz, dtype=float), self.frequency_hz, cp)

    def frequency_of_wavenumber(self, k_rad_m, mode: str = "A0") -> np.ndarray:
        """Inverse of :meth:`wavenumber` (k(f) is monotone for A0 and S0) [Hz]."""
        cp = self.phase_a0_m_s if mode == "A0" else self.phase_s0_m_s
        ftab = np.concatenate([[0.0], self.frequency_hz])
        ktab = np.concatenate([[0.0], 2 * np.pi * self.frequency_hz / cp])
        return np.interp(np.asarray(k_rad_m, dtype=float), ktab, ftab, right=np.nan)


def dispersion_table(thickness_m: float, mat: Material, f_max_hz: float = 1.0e6, n: int = 400) -> Dispersion:
    """Solve A0 and S0 on ``n`` frequencies up to ``f_max_hz`` [Hz] (denser at low frequency) for a plate."""
    f = np.geomspace(f_max_hz * 1e-3, f_max_hz, n)
    f[-1] = f_max_hz  # exact end point (geomspace may round it down)
    return Dispersion(
        thickness_m=thickness_m,
        material=mat,
        frequency_hz=f,
        phase_a0_m_s=phase_velocity(f, thickness_m, mat, "A0"),
        group_a0_m_s=group_velocity(f, thickness_m, mat, "A0"),
        phase_s0_m_s=phase_velocity(f, thickness_m, mat, "S0"),
        group_s0_m_s=group_velocity(f, thickness_m, mat, "S0"),
    )
