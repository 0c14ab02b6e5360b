"""Hypervelocity-impact shot files in the pyBLOSSUM format: read, check, turn into walls and impacts.

Format (pyBLOSSUM databases, S. Ryan, github.com/shannonjryan/pyBLOSSUM, MIT licence): CSV, row 1 column
names, row 2 units, then one shot per row. Two shield families are understood, told apart by their columns:

* Whipple: ``proj_density`` [g/cm3], ``proj_diam`` [cm], ``angle`` [deg], ``velocity`` [km/s],
  ``bumper_density`` [g/cm3], ``bumper_thick`` [cm], ``standoff`` [cm], ``wall_yield`` [ksi],
  ``wall_thick`` [cm];
* stuffed Whipple: the same plus ``stuffing_AD`` [g/cm2] (Nextel/Kevlar blanket), ``wall_density``
  [g/cm3] and optionally ``MLI_AD`` [g/cm2] (blank = no MLI).

``perforated_class`` (1 perforated, 0 not) is optional: with it a file can be scored. Other columns
(source, shotID, materials, ``result``) are kept as text or ignored. Everything is converted to SI here.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hullbreach.cause.ballistic import KSI_PA, StuffedWhippleShield, WhippleShield
from hullbreach.errors import HullbreachError


class ShotsError(HullbreachError):
    """A shot file cannot be read, or a row is invalid in strict mode."""


#: Numeric columns, their unit in row 2, and whether a value is required (and must be > 0 or >= 0).
_WHIPPLE = {"proj_density": "g/cm3", "proj_diam": "cm", "angle": "deg", "velocity": "km/s",
            "bumper_density": "g/cm3", "bumper_thick": "cm", "standoff": "cm", "wall_yield": "ksi",
            "wall_thick": "cm"}
_STUFFED = {**_WHIPPLE, "stuffing_AD": "g/cm2", "wall_density": "g/cm3"}
_OPTIONAL = {"MLI_AD": "g/cm2"}
_ZERO_OK = {"angle", "MLI_AD"}


@dataclass(frozen=True)
class Shots:
    """Shots read from a file, in SI, one entry per kept row.

    ``family``: "whipple" or "stuffed-whipple"; ``row`` [-]: 1-based data row in the file (line = row + 2);
    ``diameter_m`` [m], ``density_kg_m3`` [kg/m^3], ``speed_m_s`` [m/s], ``angle_rad`` [rad];
    ``walls``: one shield per shot; ``perforated``: 0/1 per shot, or None if the file has no
    ``perforated_class`` column; ``source``: the ``source`` column (or ""); ``skipped``: (line, column,
    message) of every row left out in lenient mode.
    """

    path: str
    family: str
    row: np.ndarray
    diameter_m: np.ndarray
    density_kg_m3: np.ndarray
    speed_m_s: np.ndarray
    angle_rad: np.ndarray
    walls: tuple
    perforated: np.ndarray | None
    source: tuple
    skipped: tuple

    def __len__(self) -> int:
        return len(self.row)


def _number(text: str, name: str, where: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ShotsError(f"{name} = {text!r} is not a number", source=where,
                         hint="fix the value, or run without --strict to skip the row") from None
    if not math.isfinite(v):
        raise ShotsError(f"{name} = {text!r} is not finite", source=where,
                         hint="fix the value, or run without --strict to skip the row")
    return v


def read_shots(path: str | Path, strict: bool = False) -> Shots:
    """Read a pyBLOSSUM shot file (module docstring). ``strict``: the first bad row raises
    :class:`ShotsError` naming ``file:line (column)``; otherwise bad rows are skipped and listed in
    ``Shots.skipped``. A missing file, a missing column or a wrong unit always raises."""
    p = Path(path)
    name = str(path)
    try:
        with open(p, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except OSError as e:
        raise ShotsError(f"cannot read shot file: {e.strerror or e}", source=name,
                         hint="give a pyBLOSSUM CSV (row 1 names, row 2 units)") from None
    except UnicodeDecodeError:
        raise ShotsError("not a UTF-8 text file", source=name, hint="give a pyBLOSSUM CSV") from None
    if len(rows) < 2:
        raise ShotsError("needs a header row of column names and a row of units", source=name,
                         hint="pyBLOSSUM format: row 1 names, row 2 units, then one shot per row")
    header = [h.strip() for h in rows[0]]
    units = [u.strip() for u in rows[1]] + [""] * max(0, len(header) - len(rows[1]))
    col = {h: i for i, h in enumerate(header) if h}
    family = "stuffed-whipple" if "stuffing_AD" in col else "whipple"
    need = _STUFFED if family == "stuffed-whipple" else _WHIPPLE
    missing = [c for c in need if c not in col]
    if missing:
        raise ShotsError(f"missing column(s) {', '.join(missing)} for a {family} shot file", source=f"{name}:1",
                         hint=f"a {family} file needs {', '.join(need)}")
    for c, u in {**need, **{k: v for k, v in _OPTIONAL.items() if k in col}}.items():
        got = units[col[c]]
        if got.lower() != u.lower():
            raise ShotsError(f"column {c} has unit {got!r}, expected {u!r}", source=f"{name}:2 ({c})",
                             hint="row 2 must hold the units; convert the column")
    has_y = "perforated_class" in col
    out = {k: [] for k in ("row", "d", "rho", "v", "th", "wall", "y", "src")}
    skipped = []
    for i, r in enumerate(rows[2:], start=1):
        line = i + 2
        if not any(x.strip() for x in r):
            continue  # blank line: not a shot
        try:
            vals = {}
            for c in list(need) + [c for c in _OPTIONAL if c in col] + (["perforated_class"] if has_y else []):
                where = f"{name}:{line} ({c})"
                text = r[col[c]].strip() if col[c] < len(r) else ""
                if text == "" and c in _OPTIONAL:
                    vals[c] = 0.0
                    continue
                if text == "":
                    raise ShotsError(f"{c} is empty", source=where,
                                     hint="fill in the value, or run without --strict to skip the row")
                v = _number(text, c, where)
                if c == "perforated_class":
                    if v not in (0.0, 1.0):
                        raise ShotsError(f"perforated_class = {text!r} must be 0 or 1", source=where)
                elif c == "angle":
                    if not 0.0 <= v <= 90.0:
                        raise ShotsError(f"angle = {text} deg is outside 0-90", source=where)
                elif c in _ZERO_OK:
                    if v < 0:
                        raise ShotsError(f"{c} = {text} must be >= 0", source=where)
                elif not v > 0:
                    raise ShotsError(f"{c} = {text} must be > 0", source=where)
                vals[c] = v
            wall = _wall(family, vals)
        except ShotsError as e:
            if strict:
                raise
            skipped.append((line, e.source.rsplit("(", 1)[-1].rstrip(")") if e.source else "", e.message))
            continue
        out["row"].append(i)
        out["d"].append(vals["proj_diam"] * 1e-2)
        out["rho"].append(vals["proj_density"] * 1e3)
        out["v"].append(vals["velocity"] * 1e3)
        out["th"].append(math.radians(vals["angle"]))
        out["wall"].append(wall)
        out["y"].append(int(vals["perforated_class"]) if has_y else 0)
        out["src"].append(r[col["source"]].strip() if "source" in col and col["source"] < len(r) else "")
    return Shots(name, family, np.array(out["row"], dtype=int), np.array(out["d"]), np.array(out["rho"]),
                 np.array(out["v"]), np.array(out["th"]), tuple(out["wall"]),
                 np.array(out["y"], dtype=int) if has_y else None, tuple(out["src"]), tuple(skipped))


def _wall(family: str, v: dict):
    if family == "whipple":
        return WhippleShield(bumper_thickness_m=v["bumper_thick"] * 1e-2, rear_wall_thickness_m=v["wall_thick"] * 1e-2,
                             standoff_m=v["standoff"] * 1e-2, bumper_density_kg_m3=v["bumper_density"] * 1e3,
                             rear_wall_yield_pa=v["wall_yield"] * KSI_PA)
    return StuffedWhippleShield(
        bumper_thickness_m=v["bumper_thick"] * 1e-2, rear_wall_thickness_m=v["wall_thick"] * 1e-2,
        standoff_m=v["standoff"] * 1e-2, stuffing_areal_density_kg_m2=v["stuffing_AD"] * 10.0,
        mli_areal_density_kg_m2=v.get("MLI_AD", 0.0) * 10.0, bumper_density_kg_m3=v["bumper_density"] * 1e3,
        rear_wall_density_kg_m3=v["wall_density"] * 1e3, rear_wall_yield_pa=v["wall_yield"] * KSI_PA)
