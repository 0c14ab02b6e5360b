"""Ballistic limit equations (BLEs): the smallest particle that perforates a wall, and the hole it leaves.

All equations are from NASA/TM-2009-214785 (Christiansen et al., "Handbook for Designing MMOD Protection",
2009; Tables 2-2..2-4 and 6-1 copied verbatim in tests/data/nasa-tm-2009-214785-tables.txt). The handbook writes them in cm, g/cm^3,
km/s and ksi; the functions here take and return SI (m, kg/m^3, m/s, rad) and convert at the edge.

* Single aluminium wall, Cour-Palais: eqs. 4-1, 4-2 (crater depth), 4-3..4-5 (thickness to prevent
  incipient spall, detached spall, perforation), 4-6 (critical diameter). Validated below 8 km/s
  (handbook Table 4-1).
* Whipple shield: design eqs. 4-21 (bumper), 4-22 (rear wall); performance eqs. 4-23 (Vn >= 7 km/s,
  melt/vaporization), 4-24 (Vn <= 3 km/s, ballistic), 4-25 (linear interpolation in the shatter regime),
  4-26 (angles above 65 deg use 65 deg).
* Stuffed Whipple shield (aluminium bumper, Nextel/Kevlar blanket halfway, aluminium rear wall):
  performance eqs. 4-48 (V >= 6.5 cos^-0.75 km/s), 4-49 (V <= 2.6 cos^-0.5 km/s), 4-50 (linear
  interpolation between the two threshold values); no cut-off angle (§4.3.2).
* Soyuz orbital-module wall (MLI blanket 1.5 cm in front of a 0.19 cm AMG6 shell): eqs. 6-2..6-4
  (baseline MLI, reproduces Table 6-1) and 6-5..6-7 (Nextel/Kevlar toughened MLI). The toughened
  constants printed in the handbook do NOT reproduce its own Table 6-1 (e.g. 0.086 cm vs 0.286 cm at
  7 km/s, 0 deg; docs/reference/figures.md): that wall is UNVALIDATED and every result says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from hullbreach.errors import PhysicsError
from hullbreach.uncertain import Interval

KSI_PA = 6.894757293168e6  # 1 ksi in Pa (NIST SP 811)


@dataclass(frozen=True)
class SingleWall:
    """A monolithic aluminium wall (defaults: Al 6061-T6, 2.713 g/cm^3, BHN 95, sound speed 5.1 km/s).

    ``damage_k`` is the handbook's damage parameter k: 1.8 perforation, 2.2 detached spall, 3.0 incipient
    spall (eqs. 4-3..4-6).
    """

    thickness_m: float = 1.9e-3
    density_kg_m3: float = 2713.0
    brinell: float = 95.0
    sound_speed_m_s: float = 5100.0
    damage_k: float = 1.8
    kind: str = field(default="single-wall", init=False)

    def __post_init__(self):
        _check_fields(self)


@dataclass(frozen=True)
class WhippleShield:
    """Aluminium bumper at standoff S in front of an aluminium rear wall.

    Defaults: the handbook's Figure 4-4 example, 0.12 cm Al 6061-T6 bumper, 10 cm standoff, 0.32 cm
    Al 6061-T6 rear wall (yield 40 ksi = 276 MPa).
    """

    bumper_thickness_m: float = 1.2e-3
    rear_wall_thickness_m: float = 3.2e-3
    standoff_m: float = 0.10
    bumper_density_kg_m3: float = 2713.0
    rear_wall_yield_pa: float = 40.0 * KSI_PA
    kind: str = field(default="whipple", init=False)

    def __post_init__(self):
        _check_fields(self)


@dataclass(frozen=True)
class SoyuzOrbitalModuleWall:
    """MLI blanket at 1.5 cm in front of an AMG6 pressure shell (handbook §6.2, eqs. 6-2..6-7).

    ``toughened=False``: baseline MLI, 0.188 g/cm^2, K_H 2.9, K_hi 0.878, K_li 0.923, K_L 1.7, high-speed
    threshold 6.0 (cos)^-0.5 km/s. ``toughened=True``: Nextel/Kevlar MLI, 0.307 g/cm^2, K_H 1.34, K_hi 0.729,
    K_li 0.923, K_L 1.7, threshold 6.2 (cos)^-0.25 km/s -- UNVALIDATED (see module docstring).
    """

    rear_wall_thickness_m: float = 1.9e-3
    toughened: bool = False

    def __post_init__(self):
        _positive(rear_wall_thickness_m=self.rear_wall_thickness_m)

    @property
    def kind(self) -> str:
        return "soyuz-om-toughened" if self.toughened else "soyuz-om"

    @property
    def validated(self) -> bool:
        return not self.toughened


@dataclass(frozen=True)
class StuffedWhippleShield:
    """Aluminium bumper, a Nextel/Kevlar blanket halfway, aluminium rear wall (handbook §4.3, Figure 4-8).

    ``standoff_m`` [m] is the overall bumper-to-rear-wall gap S; areal densities [kg/m^2] of the blanket
    (Nextel + Kevlar) and of any MLI on the bumper. Defaults: the Figure 4-9 shield (0.2 cm Al 6061-T6
    bumper, 6 Nextel AF62 + 6 Kevlar 710 = 0.79 g/cm^2, 11.4 cm standoff, 0.48 cm Al 2219-T87 rear wall,
    57 ksi).
    """

    bumper_thickness_m: float = 2.0e-3
    rear_wall_thickness_m: float = 4.8e-3
    standoff_m: float = 0.114
    stuffing_areal_density_kg_m2: float = 7.9
    mli_areal_density_kg_m2: float = 0.0
    bumper_density_kg_m3: float = 2713.0
    rear_wall_density_kg_m3: float = 2840.0
    rear_wall_yield_pa: float = 57.0 * KSI_PA
    kind: str = field(default="stuffed-whipple", init=False)

    def __post_init__(self):
        _check_fields(self, may_be_zero=("mli_areal_density_kg_m2",))


WALL_KINDS = ("single-wall", "whipple", "stuffed-whipple", "soyuz-om", "soyuz-om-toughened")

Wall = SingleWall | WhippleShield | StuffedWhippleShield | SoyuzOrbitalModuleWall


def make_wall(kind: str, thickness_m: float | None = None) -> Wall:
    """A wall by name (``single-wall``, ``whipple``, ``stuffed-whipple``, ``soyuz-om``, ``soyuz-om-toughened``).

    ``thickness_m`` [m] overrides the (rear) wall thickness.
    """
    kw = {} if thickness_m is None else {"thickness_m": thickness_m}
    if kind == "single-wall":
        return SingleWall(**kw)
    rw = {} if thickness_m is None else {"rear_wall_thickness_m": thickness_m}
    if kind == "whipple":
        return WhippleShield(**rw)
    if kind == "stuffed-whipple":
        return StuffedWhippleShield(**rw)
    if kind in ("soyuz-om", "soyuz-om-toughened"):
        return SoyuzOrbitalModuleWall(toughened=kind.endswith("toughened"), **rw)
    raise PhysicsError(f"unknown wall {kind!r}", hint=f"use one of {', '.join(WALL_KINDS)}")


def _check_fields(wall, may_be_zero=()) -> None:
    """Every numeric field of a wall dataclass must be > 0 (>= 0 for ``may_be_zero``)."""
    vals = {f.name: getattr(wall, f.name) for f in fields(wall) if f.init}
    _positive(**{k: v for k, v in vals.items() if k not in may_be_zero})
    for k in may_be_zero:
        v = vals[k]
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise PhysicsError(f"{k} must be >= 0, got {v!r}")


def _positive(**kw):
    for k, v in kw.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise PhysicsError(f"{k} must be a positive number, got {v!r}")


def _prep(speed_m_s, angle_rad, projectile_density_kg_m3):
    v = np.asarray(speed_m_s, dtype=float) / 1e3  # km/s
    th = np.asarray(angle_rad, dtype=float)
    rp = np.asarray(projectile_density_kg_m3, dtype=float) / 1e3  # g/cm^3
    if np.any(~(v > 0)):
        raise PhysicsError("impact speed must be > 0", hint="give the speed in km/s at the CLI, m/s in code")
    if np.any((th < 0) | (th > math.pi / 2 + 1e-12)):
        raise PhysicsError("impact angle must be between 0 and 90 deg from the surface normal")
    if np.any(~(rp > 0)):
        raise PhysicsError("projectile density must be > 0")
    return v, th, rp


def _out(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


# ---------------------------------------------------------------------------------------------- single wall

def single_wall_penetration_depth_m(diameter_m, speed_m_s, angle_rad, wall: SingleWall,
                                    projectile_density_kg_m3=2800.0):
    """Crater depth P in a semi-infinite aluminium target [m], Cour-Palais, handbook eqs. 4-1 / 4-2.

    P = 5.24 d^(19/18) BHN^-0.25 (rho_p/rho_t)^e (V cos(theta)/C)^(2/3) [cm], e = 0.5 for rho_p/rho_t < 1.5,
    2/3 otherwise; d [cm], V, C [km/s].
    """
    v, th, rp = _prep(speed_m_s, angle_rad, projectile_density_kg_m3)
    d = np.asarray(diameter_m, dtype=float) * 1e2
    rt, c = wall.density_kg_m3 / 1e3, wall.sound_speed_m_s / 1e3
    ratio = rp / rt
    e = np.where(ratio < 1.5, 0.5, 2.0 / 3.0)
    p = 5.24 * d ** (19 / 18) * wall.brinell**-0.25 * ratio**e * (v * np.cos(th) / c) ** (2 / 3)
    return _out(p * 1e-2)


def single_wall_thickness_to_prevent_m(depth_m, damage: str = "perforation"):
    """Wall thickness [m] that prevents a damage mode for a crater depth P (eqs. 4-3..4-5): 3.0 P incipient
    spall, 2.2 P detached spall, 1.8 P perforation."""
    k = {"incipient_spall": 3.0, "detached_spall": 2.2, "perforation": 1.8}[damage]
    return _out(k * np.asarray(depth_m, dtype=float))


def single_wall_critical_diameter_m(speed_m_s, angle_rad, wall: SingleWall, projectile_density_kg_m3=2800.0):
    """Critical projectile diameter [m] of a single aluminium wall, handbook eq. 4-6.

    d_c = [t BHN^0.25 (rho_t/rho_p)^0.5 / (k 5.24 (V cos(theta)/C)^(2/3))]^(18/19), t [cm], V, C [km/s].
    Validated below 8 km/s (handbook Table 4-1); :func:`validity` flags faster impacts.
    """
    v, th, rp = _prep(speed_m_s, angle_rad, projectile_density_kg_m3)
    t = wall.thickness_m * 1e2
    rt, c = wall.density_kg_m3 / 1e3, wall.sound_speed_m_s / 1e3
    vn = np.maximum(v * np.cos(th), 1e-9)
    dc = (t * wall.brinell**0.25 * (rt / rp) ** 0.5 / (wall.damage_k * 5.24 * (vn / c) ** (2 / 3))) ** (18 / 19)
    return _out(dc * 1e-2)


# ---------------------------------------------------------------------------------------------- whipple

def whipple_bumper_thickness_m(diameter_m, projectile_density_kg_m3, wall: WhippleShield):
    """Bumper thickness [m] to disrupt a projectile at Vn >= 7 km/s, handbook eq. 4-21:
    t_b = c_b d rho_p / rho_b, c_b = 0.25 (S/d < 30) or 0.20 (S/d >= 30)."""
    d = np.asarray(diameter_m, dtype=float)
    cb = np.where(wall.standoff_m / d < 30.0, 0.25, 0.20)
    return _out(cb * d * projectile_density_kg_m3 / wall.bumper_density_kg_m3)


def whipple_rear_wall_thickness_m(diameter_m, speed_m_s, angle_rad, projectile_density_kg_m3, wall: WhippleShield):
    """Rear wall thickness [m] to stop a projectile, handbook eq. 4-22 (Vn >= 7 km/s design):
    t_w = c_w d^0.5 (rho_p rho_b)^(1/6) M_p^(1/3) V_n / S^0.5 (70/sigma)^0.5, c_w = 0.16, cgs/km/s/ksi units."""
    v, th, rp = _prep(speed_m_s, angle_rad, projectile_density_kg_m3)
    d = np.asarray(diameter_m, dtype=float) * 1e2
    rb, s, sig = wall.bumper_density_kg_m3 / 1e3, wall.standoff_m * 1e2, wall.rear_wall_yield_pa / KSI_PA
    mp = math.pi / 6 * d**3 * rp
    tw = 0.16 * d**0.5 * (rp * rb) ** (1 / 6) * mp ** (1 / 3) * v * np.cos(th) / s**0.5 * (70.0 / sig) ** 0.5
    return _out(tw * 1e-2)


def whipple_critical_diameter_m(speed_m_s, angle_rad, wall: WhippleShield, projectile_density_kg_m3=2800.0):
    """Critical projectile diameter [m] of a Whipple shield, handbook eqs. 4-23..4-26.

    Vn = V cos(theta). Ballistic regime Vn <= 3 km/s (4-24):
    d_c = [(t_w (sigma/40)^0.5 + t_b) / (0.6 cos^(5/3) rho_p^0.5 V^(2/3))]^(18/19).
    Melt/vaporization regime Vn >= 7 km/s (4-23):
    d_c = 3.918 t_w^(2/3) rho_p^(-1/3) rho_b^(-1/9) (V cos)^(-2/3) S^(1/3) (sigma/70)^(1/3).
    Shatter regime 3 < Vn < 7 km/s (4-25): linear interpolation between the two at Vn = 3 and 7 km/s.
    Angles above 65 deg use 65 deg (4-26). cm, g/cm^3, km/s, ksi inside.
    """
    v, th, rp = _prep(speed_m_s, angle_rad, projectile_density_kg_m3)
    th = np.minimum(th, math.radians(65.0))
    c = np.cos(th)
    tb, tw, s = wall.bumper_thickness_m * 1e2, wall.rear_wall_thickness_m * 1e2, wall.standoff_m * 1e2
    rb, sig = wall.bumper_density_kg_m3 / 1e3, wall.rear_wall_yield_pa / KSI_PA
    vn = v * c
    low = ((tw * (sig / 40.0) ** 0.5 + tb) / (0.6 * c ** (5 / 3) * rp**0.5 * v ** (2 / 3))) ** (18 / 19)
    high = 3.918 * tw ** (2 / 3) * rp ** (-1 / 3) * rb ** (-1 / 9) * vn ** (-2 / 3) * s ** (1 / 3) * (sig / 70.0) ** (1 / 3)
    d3 = ((tw * (sig / 40.0) ** 0.5 + tb) / (1.248 * rp**0.5 * c)) ** (18 / 19)
    d7 = 1.071 * tw ** (2 / 3) * rp ** (-1 / 3) * rb ** (-1 / 9) * s ** (1 / 3) * (sig / 70.0) ** (1 / 3)
    mid = d3 * (1.75 - vn / 4.0) + d7 * (vn / 4.0 - 0.75)
    dc = np.where(vn <= 3.0, low, np.where(vn >= 7.0, high, mid))
    return _out(dc * 1e-2)


def whipple_regime(speed_m_s, angle_rad) -> str:
    """'ballistic' (Vn <= 3 km/s), 'shatter' (3-7 km/s) or 'melt/vaporization' (>= 7 km/s), eqs. 4-23..4-25."""
    vn = speed_m_s / 1e3 * math.cos(min(angle_rad, math.radians(65.0)))
    return "ballistic" if vn <= 3.0 else ("melt/vaporization" if vn >= 7.0 else "shatter")


# ---------------------------------------------------------------------------------------------- stuffed whipple

def stuffed_whipple_speed_limits_m_s(angle_rad, wall: StuffedWhippleShield | None = None):
    """Regime boundaries [m/s] of the stuffed Whipple eqs. 4-48..4-50: (2.6 cos^-0.5, 6.5 cos^-0.75) km/s."""
    c = np.maximum(np.cos(np.asarray(angle_rad, dtype=float)), 1e-6)
    return 2.6e3 * c**-0.5, 6.5e3 * c**-0.75


def stuffed_whipple_critical_diameter_m(speed_m_s, angle_rad, wall: StuffedWhippleShield,
                                        projectile_density_kg_m3=2800.0):
    """Critical projectile diameter [m] of a Nextel/Kevlar stuffed Whipple shield, handbook eqs. 4-48..4-50.

    High speed V >= 6.5 cos^-0.75 (4-48):
    d_c = K_H (t_w rho_w)^(1/3) rho_p^(-1/3) V^(-1/3) cos^(-0.5) S^(2/3) (sigma/40)^(1/6),
    K_H = 0.45 when the blanket is 10-15 % of the shield areal mass (bumper + blanket + rear wall), else 0.6.
    Low speed V <= 2.6 cos^-0.5 (4-49): d_c = 2.35 V^(-2/3) cos^(-4/3) rho_p^(-0.5) (t_w (sigma/40)^0.5 + 0.37 m_b),
    m_b = bumper + blanket + MLI areal density [g/cm^2]. Between (4-50): linear in V between the two threshold
    values (K_Li = 2.35 x 2.6^(-2/3) = 1.243, K_Hi = 0.6 x 6.5^(-1/3) = 0.321). cm, g/cm^3, km/s, ksi inside.
    """
    v, th, rp = _prep(speed_m_s, angle_rad, projectile_density_kg_m3)
    c = np.maximum(np.cos(th), 1e-6)
    tb, tw, s = wall.bumper_thickness_m * 1e2, wall.rear_wall_thickness_m * 1e2, wall.standoff_m * 1e2
    rb, rw, sig = wall.bumper_density_kg_m3 / 1e3, wall.rear_wall_density_kg_m3 / 1e3, wall.rear_wall_yield_pa / KSI_PA
    m_nk = wall.stuffing_areal_density_kg_m2 / 10.0  # kg/m^2 -> g/cm^2
    m_b = tb * rb + m_nk + wall.mli_areal_density_kg_m2 / 10.0
    m_shield = tb * rb + m_nk + tw * rw
    kh = 0.45 if 0.10 <= m_nk / m_shield <= 0.15 else 0.6
    vl, vh = 2.6 * c**-0.5, 6.5 * c**-0.75

    def low(vv):
        return 2.35 * vv ** (-2 / 3) * c ** (-4 / 3) * rp**-0.5 * (tw * (sig / 40.0) ** 0.5 + 0.37 * m_b)

    def high(vv):
        return kh * (tw * rw) ** (1 / 3) * rp ** (-1 / 3) * vv ** (-1 / 3) * c**-0.5 * s ** (2 / 3) * (sig / 40.0) ** (1 / 6)

    mid = low(vl) + (high(vh) - low(vl)) * (v - vl) / (vh - vl)
    dc = np.where(v <= vl, low(v), np.where(v >= vh, high(v), mid))
    return _out(dc * 1e-2)


# ---------------------------------------------------------------------------------------------- soyuz OM

_SOYUZ = {
    False: dict(KH=2.9, Khi=0.878, Kli=0.923, KL=1.7, mb=0.188, vh=6.0, eh=0.5),
    True: dict(KH=1.34, Khi=0.729, Kli=0.923, KL=1.7, mb=0.307, vh=6.2, eh=0.25),
}


def soyuz_om_critical_diameter_m(speed_m_s, angle_rad, wall: SoyuzOrbitalModuleWall | None = None,
                                 projectile_density_kg_m3=2800.0):
    """Critical diameter [m] for the Soyuz orbital-module wall, handbook eqs. 6-2..6-4 (6-5..6-7 toughened).

    High speed V >= V_H (cos)^-e: d_c = K_H t_w^(2/3) rho_p^(-1/3) (V cos)^(-2/3).
    Low speed V <= 2.5 (cos)^-1: d_c = K_L V^(-2/3) (cos)^(-4/3) rho_p^(-0.5) (t_w + 0.37 m_b).
    Between: linear blend of K_li (t_w + 0.37 m_b)/(cos^(2/3) rho_p^0.5) and K_hi t_w^(2/3) rho_p^(-1/3)
    cos^(-1/3) with weights (V_H cos^-e - V)/(V_H cos^-e - 2.5 cos^-1) and (V - 2.5 cos^-1)/(...).
    t_w [cm], m_b [g/cm^2], rho_p [g/cm^3], V [km/s]. Failure = any hole or through-crack in the shell.
    Baseline (V_H = 6.0, e = 0.5) reproduces Table 6-1; toughened (V_H = 6.2, e = 0.25) is unvalidated.
    """
    wall = wall or SoyuzOrbitalModuleWall()
    k = _SOYUZ[wall.toughened]
    v, th, rp = _prep(speed_m_s, angle_rad, projectile_density_kg_m3)
    c = np.maximum(np.cos(th), 1e-6)
    tw = wall.rear_wall_thickness_m * 1e2
    twm = tw + 0.37 * k["mb"]
    # evaluated in logs (one exp per term instead of several fractional powers), each regime only where it
    # applies (all at once when it applies everywhere): this is the inner loop of the Monte Carlo
    # logs before broadcasting: a scalar density (the usual case) costs one log, not one per sample
    shape = np.broadcast_shapes(c.shape, v.shape, rp.shape)
    lc, lv, lrp = (np.broadcast_to(np.log(x), shape) for x in (c, v, rp))
    c, v = np.broadcast_to(c, shape), np.broadcast_to(v, shape)
    vlo = 2.5 / c
    vhi = k["vh"] * np.exp(-k["eh"] * lc)
    low = v <= vlo
    high = (~low) & (v >= vhi)
    mid = ~(low | high)

    def high_(i):
        return k["KH"] * tw ** (2 / 3) * np.exp(-lrp[i] / 3 - (2 / 3) * (lv[i] + lc[i]))

    def low_(i):
        return k["KL"] * twm * np.exp(-(2 / 3) * lv[i] - (4 / 3) * lc[i] - 0.5 * lrp[i])

    def mid_(i):
        a = k["Kli"] * twm * np.exp(-(2 / 3) * lc[i] - 0.5 * lrp[i])
        b = k["Khi"] * tw ** (2 / 3) * np.exp(-lrp[i] / 3 - lc[i] / 3)
        return (a * (vhi[i] - v[i]) + b * (v[i] - vlo[i])) / (vhi[i] - vlo[i])

    dc = np.empty(v.shape)
    for mask, f in ((high, high_), (low, low_), (mid, mid_)):
        if mask.all():
            dc = f(Ellipsis)
        elif mask.any():
            dc[mask] = f(mask)
    return _out(dc * 1e-2)


# ---------------------------------------------------------------------------------------------- dispatch

def critical_diameter_m(wall: Wall, speed_m_s, angle_rad, projectile_density_kg_m3=2800.0):
    """Critical (ballistic-limit) projectile diameter [m] for any supported wall; vectorised over speed,
    angle and density. See the wall-specific functions for equations and sources."""
    if isinstance(wall, SingleWall):
        return single_wall_critical_diameter_m(speed_m_s, angle_rad, wall, projectile_density_kg_m3)
    if isinstance(wall, WhippleShield):
        return whipple_critical_diameter_m(speed_m_s, angle_rad, wall, projectile_density_kg_m3)
    if isinstance(wall, StuffedWhippleShield):
        return stuffed_whipple_critical_diameter_m(speed_m_s, angle_rad, wall, projectile_density_kg_m3)
    if isinstance(wall, SoyuzOrbitalModuleWall):
        return soyuz_om_critical_diameter_m(speed_m_s, angle_rad, wall, projectile_density_kg_m3)
    raise PhysicsError(f"unsupported wall {wall!r}")


def regime_speeds_m_s(wall: Wall, angle_rad):
    """Speeds [m/s] at which the wall's equation changes regime at this angle (the ends of its
    interpolated middle segment), as ``(low, high)`` arrays; ``()`` for the one-regime single wall.

    Whipple: Vn = 3 and 7 km/s (angle capped at 65 deg, eq. 4-26); stuffed Whipple: 2.6 cos^-0.5 and
    6.5 cos^-0.75 km/s; Soyuz OM: 2.5 cos^-1 and V_H cos^-e km/s. Between two boundaries each equation is
    monotone in speed, so the smallest critical diameter up to a speed is found among these points.
    """
    th = np.asarray(angle_rad, dtype=float)
    if isinstance(wall, WhippleShield):
        c = np.cos(np.minimum(th, math.radians(65.0)))
        return 3e3 / c, 7e3 / c
    if isinstance(wall, StuffedWhippleShield):
        return stuffed_whipple_speed_limits_m_s(th, wall)
    if isinstance(wall, SoyuzOrbitalModuleWall):
        k = _SOYUZ[wall.toughened]
        c = np.maximum(np.cos(th), 1e-6)
        return 2.5e3 / c, k["vh"] * 1e3 * np.exp(-k["eh"] * np.log(c))
    return ()


def validity(wall: Wall, speed_m_s: float | None = None) -> list[str]:
    """Plain-language warnings about where an equation is not validated (empty list: within range)."""
    notes = []
    if isinstance(wall, SingleWall) and speed_m_s is not None and speed_m_s >= 8e3:
        notes.append("single-wall eq. 4-6 is validated by test only below 8 km/s (handbook Table 4-1); "
                     "this speed is an extrapolation")
    if isinstance(wall, SoyuzOrbitalModuleWall) and wall.toughened:
        notes.append("UNVALIDATED: the toughened-MLI constants printed with eqs. 6-5..6-7 (K_H 1.34, K_hi 0.729) "
                     "do not reproduce the handbook's own Table 6-1 toughened column (about 0.086 cm vs 0.286 cm "
                     "at 7 km/s, 0 deg); do not use for decisions")
    return notes


# ---------------------------------------------------------------------------------------------- hole size

#: Ratio of perforation hole diameter to projectile diameter [-], a coarse engineering relation.
#: Anchors in NASA/TM-2009-214785 §7.2.2: a 0.8 mm aluminium particle at 5 km/s through a 1.59 mm Al 6061
#: plate left "a hole approximately 3 mm in diameter" (ratio 3.75); a 1 mm particle through MLI left a 3 mm
#: hole in the aluminium layer behind (ratio 3). At the ballistic limit the failure is "any hole or
#: through-crack" (§6.2), i.e. a hole much smaller than the particle, hence the low end 1.0 (and below).
HOLE_TO_PARTICLE_RATIO = Interval(3.0, 1.0, 4.0)


def hole_diameter_m(particle_diameter_m, ratio: Interval = HOLE_TO_PARTICLE_RATIO) -> Interval:
    """Hole diameter [m] for a perforating particle of diameter [m]: D_h = ratio x d (see
    :data:`HOLE_TO_PARTICLE_RATIO` for the handbook anchors and the range)."""
    d = float(particle_diameter_m)
    _positive(particle_diameter_m=d)
    return ratio.scale(d)


def particle_diameter_for_hole_m(hole_diameter_m_: float, ratio: Interval = HOLE_TO_PARTICLE_RATIO) -> Interval:
    """Inverse of :func:`hole_diameter_m`: particle diameter [m] that would leave a hole of this size."""
    _positive(hole_diameter_m=hole_diameter_m_)
    return Interval(hole_diameter_m_ / ratio.estimate, hole_diameter_m_ / ratio.high, hole_diameter_m_ / ratio.low)
