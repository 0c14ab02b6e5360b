"""The wall being searched: a flat plate or an unrolled cylindrical panel, with edges and stiffeners.

Coordinates are metres on the (unrolled) wall: x across ``width_m``, y along ``height_m``, origin at a
corner. For a cylindrical panel the curvature is ignored for wave propagation (a panel of radius R ≫ the
wavelength behaves as a flat plate for A0 above the ring frequency c_plate/(2πR), a few hundred Hz for
a 1–2 m radius module — Graff 1975, §8.4), so x is simply arc length.

WALL.toml::

    thickness_m = 0.002
    width_m = 1.0
    height_m = 1.0
    material = "al-2219"        # or a [material] table: youngs_modulus_pa, poisson_ratio, density_kg_m3
    radius_m = 2.1              # optional: cylindrical panel (informational)
    [[stiffener]]
    direction = "x"             # "x": the stiffener runs along x at y = position_m (a ring frame on an
    position_m = 1.0            #      unrolled cylinder); "y": runs along y at x = position_m (a stringer)
    transmission = 0.6          # optional amplitude transmission coefficient of A0 across it (0..1)
    kind = "frame"              # optional label
    [[equipment]]               # optional: known noisy equipment (rack fans, pumps) on this wall
    name = "rack LAB1O3 fan"
    x_m = 0.4
    y_m = 1.2
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hullbreach.errors import HullbreachError, LocalizationError
from hullbreach.locate.lamb import Dispersion, Material, dispersion_table, material

#: Default A0 amplitude transmission across a stiffener [-]. An assumed mid value, not a measurement: the
#: real coefficient depends on the stiffener section, the joint and the frequency. Give a measured value
#: per stiffener in the wall file when one is known.
DEFAULT_STIFFENER_TRANSMISSION = 0.6


@dataclass(frozen=True)
class Stiffener:
    """A straight stiffener across the whole wall.

    Attributes
    ----------
    direction : str
        ``"x"`` (runs along x, at y = ``position_m``) or ``"y"`` (runs along y, at x = ``position_m``).
    position_m : float
        Its coordinate [m].
    transmission : float
        A0 amplitude transmission coefficient [-]; the reflected amplitude is sqrt(1 - T²).
    kind : str
        Label (``"frame"``, ``"stringer"`` ...).
    """

    direction: str
    position_m: float
    transmission: float = DEFAULT_STIFFENER_TRANSMISSION
    kind: str = "stiffener"

    @property
    def reflection(self) -> float:
        """Amplitude reflection coefficient sqrt(1 - T²) [-] (energy balance, no loss in the stiffener)."""
        return math.sqrt(max(0.0, 1.0 - self.transmission**2))


@dataclass(frozen=True)
class Equipment:
    """A known noise source on the wall (rack fan, pump) at ``(x_m, y_m)`` [m]."""

    name: str
    x_m: float
    y_m: float


@dataclass(frozen=True)
class Wall:
    """A rectangular wall panel.

    Attributes
    ----------
    thickness_m, width_m, height_m : float
        Plate thickness and panel size [m].
    material : Material
    stiffeners : tuple[Stiffener, ...]
    equipment : tuple[Equipment, ...]
        Known noisy equipment; the localizer labels candidates there as equipment.
    radius_m : float | None
        Radius of the cylinder the panel was unrolled from [m], or None for a flat plate.
    name : str
    """

    thickness_m: float
    width_m: float
    height_m: float
    material: Material
    stiffeners: tuple[Stiffener, ...] = ()
    radius_m: float | None = None
    name: str = "wall"
    source: str = field(default="", compare=False)
    equipment: tuple[Equipment, ...] = ()

    def __post_init__(self) -> None:
        for key in ("thickness_m", "width_m", "height_m"):
            v = getattr(self, key)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise LocalizationError(f"wall {key} must be a number > 0, got {v!r}", source=self.source or None)
        if self.thickness_m > 0.05:
            raise LocalizationError(
                f"wall thickness_m = {self.thickness_m} m is not a thin hull (more than 5 cm)",
                hint="give the thickness in metres, e.g. 0.002 for 2 mm",
                source=self.source or None,
            )
        for i, e in enumerate(self.equipment):
            if not (0 <= e.x_m <= self.width_m and 0 <= e.y_m <= self.height_m):
                raise LocalizationError(f"equipment {i + 1} ({e.name}) at ({e.x_m}, {e.y_m}) m is outside the wall",
                                        source=self.source or None)
        for i, s in enumerate(self.stiffeners):
            if s.direction not in ("x", "y"):
                raise LocalizationError(f"stiffener {i + 1}: direction must be 'x' or 'y', got {s.direction!r}",
                                        source=self.source or None)
            limit = self.height_m if s.direction == "x" else self.width_m
            if not (0 < s.position_m < limit):
                raise LocalizationError(
                    f"stiffener {i + 1}: position_m = {s.position_m} is outside the wall (0..{limit} m)",
                    source=self.source or None,
                )
            if not (0 <= s.transmission <= 1):
                raise LocalizationError(f"stiffener {i + 1}: transmission must be in [0, 1], got {s.transmission}",
                                        source=self.source or None)

    def contains(self, points_m, tol_m: float = 1e-9) -> np.ndarray:
        """True for points (…, 2) [m] on the wall (edges included, within ``tol_m``)."""
        p = np.asarray(points_m, dtype=float)
        return (
            (p[..., 0] >= -tol_m) & (p[..., 0] <= self.width_m + tol_m)
            & (p[..., 1] >= -tol_m) & (p[..., 1] <= self.height_m + tol_m)
        )

    def dispersion(self, f_max_hz: float = 1.0e6) -> Dispersion:
        """A0/S0 dispersion table of this plate up to ``f_max_hz`` [Hz] (cached per plate)."""
        # tabulate 5 % beyond the request so the Nyquist bin and speed-scaled lookups stay inside the table
        return _cached_table(float(self.thickness_m), self.material, float(f_max_hz) * 1.05)

    def to_json(self) -> dict:
        """JSON-able description."""
        return {
            "name": self.name,
            "thickness_m": self.thickness_m,
            "width_m": self.width_m,
            "height_m": self.height_m,
            "radius_m": self.radius_m,
            "material": self.material.to_json(),
            "equipment": [{"name": e.name, "x_m": e.x_m, "y_m": e.y_m} for e in self.equipment],
            "stiffeners": [
                {"direction": s.direction, "position_m": s.position_m, "transmission": s.transmission, "kind": s.kind}
                for s in self.stiffeners
            ],
        }


@functools.lru_cache(maxsize=16)
def _cached_table(thickness_m: float, mat: Material, f_max_hz: float) -> Dispersion:
    return dispersion_table(thickness_m, mat, f_max_hz=f_max_hz, n=300)


_TOP_KEYS = {"thickness_m", "width_m", "height_m", "material", "stiffener", "radius_m", "name", "description",
             "equipment"}
_EQ_KEYS = {"name", "x_m", "y_m"}
_MAT_KEYS = {"youngs_modulus_pa", "poisson_ratio", "density_kg_m3", "name", "source"}
_STIFF_KEYS = {"direction", "position_m", "transmission", "kind"}


def _num(value, what: str, src: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LocalizationError(f"{what} must be a number, got {value!r}", source=src)
    return float(value)


def wall_from_dict(data: dict, source: str = "WALL.toml") -> Wall:
    """Build a :class:`Wall` from parsed WALL.toml content; errors name the key and what to do."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise LocalizationError(
            f"unknown key(s) {', '.join(sorted(unknown))}",
            hint=f"allowed: {', '.join(sorted(_TOP_KEYS))}",
            source=source,
        )
    for key in ("thickness_m", "width_m", "height_m", "material"):
        if key not in data:
            raise LocalizationError(f"missing required key {key!r}", hint="a wall needs thickness_m, width_m, "
                                    "height_m and material", source=source)
    mat_raw = data["material"]
    if isinstance(mat_raw, str):
        try:
            mat = material(mat_raw)
        except LocalizationError as exc:
            raise LocalizationError(exc.message, hint=exc.hint, source=f"{source} (material)") from None
    elif isinstance(mat_raw, dict):
        unknown = set(mat_raw) - _MAT_KEYS
        if unknown:
            raise LocalizationError(f"unknown key(s) in [material]: {', '.join(sorted(unknown))}",
                                    hint=f"allowed: {', '.join(sorted(_MAT_KEYS))}", source=source)
        missing = [k for k in ("youngs_modulus_pa", "poisson_ratio", "density_kg_m3") if k not in mat_raw]
        if missing:
            raise LocalizationError(f"[material] is missing {', '.join(missing)}", source=source)
        try:
            mat = Material(
                str(mat_raw.get("name", "custom")),
                _num(mat_raw["youngs_modulus_pa"], "material.youngs_modulus_pa", source),
                _num(mat_raw["poisson_ratio"], "material.poisson_ratio", source),
                _num(mat_raw["density_kg_m3"], "material.density_kg_m3", source),
                str(mat_raw.get("source", "wall file")),
            )
        except HullbreachError as exc:
            if isinstance(exc, LocalizationError):
                raise
            raise LocalizationError(exc.message, hint=exc.hint, source=source) from None
    else:
        raise LocalizationError(f"material must be a name or a [material] table, got {mat_raw!r}", source=source)
    stiffeners = []
    raw_st = data.get("stiffener", [])
    if not isinstance(raw_st, list):
        raise LocalizationError("stiffener must be an array of tables ([[stiffener]])", source=source)
    for i, s in enumerate(raw_st):
        unknown = set(s) - _STIFF_KEYS
        if unknown:
            raise LocalizationError(f"stiffener {i + 1}: unknown key(s) {', '.join(sorted(unknown))}",
                                    hint=f"allowed: {', '.join(sorted(_STIFF_KEYS))}", source=source)
        for k in ("direction", "position_m"):
            if k not in s:
                raise LocalizationError(f"stiffener {i + 1}: missing {k!r}", hint="direction = 'x' or 'y', "
                                        "position_m = coordinate across it", source=source)
        stiffeners.append(Stiffener(
            direction=str(s["direction"]),
            position_m=_num(s["position_m"], f"stiffener {i + 1} position_m", source),
            transmission=_num(s.get("transmission", DEFAULT_STIFFENER_TRANSMISSION),
                              f"stiffener {i + 1} transmission", source),
            kind=str(s.get("kind", "stiffener")),
        ))
    equipment = []
    raw_eq = data.get("equipment", [])
    if not isinstance(raw_eq, list):
        raise LocalizationError("equipment must be an array of tables ([[equipment]])", source=source)
    for i, e in enumerate(raw_eq):
        unknown = set(e) - _EQ_KEYS
        if unknown:
            raise LocalizationError(f"equipment {i + 1}: unknown key(s) {', '.join(sorted(unknown))}",
                                    hint=f"allowed: {', '.join(sorted(_EQ_KEYS))}", source=source)
        for k in ("x_m", "y_m"):
            if k not in e:
                raise LocalizationError(f"equipment {i + 1}: missing {k!r}", source=source)
        equipment.append(Equipment(str(e.get("name", f"equipment {i + 1}")),
                                   _num(e["x_m"], f"equipment {i + 1} x_m", source),
                                   _num(e["y_m"], f"equipment {i + 1} y_m", source)))
    radius = data.get("radius_m")
    if radius is not None:
        radius = _num(radius, "radius_m", source)
        if radius <= 0:
            raise LocalizationError(f"radius_m must be > 0, got {radius}", source=source)
    return Wall(
        thickness_m=_num(data["thickness_m"], "thickness_m", source),
        width_m=_num(data["width_m"], "width_m", source),
        height_m=_num(data["height_m"], "height_m", source),
        material=mat,
        stiffeners=tuple(stiffeners),
        radius_m=radius,
        name=str(data.get("name", Path(source).stem)),
        source=source,
        equipment=tuple(equipment),
    )


def load_wall(path) -> Wall:
    """Read a WALL.toml file (format in the module docstring)."""
    p = Path(path)
    if not p.is_file():
        raise LocalizationError(f"wall file not found: {p}", hint="pass --wall path/to/WALL.toml")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LocalizationError(f"not valid TOML: {exc}", source=str(p)) from None
    return wall_from_dict(data, source=str(p))
