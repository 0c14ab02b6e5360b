"""Unit tables used at the edges only (files, CLI, display). Inside the package everything is SI.

Pressure: Pa, kPa, hPa, mbar, bar, mmHg, torr, psi. Temperature: K, degC (also "C"), degF.
Partial pressures use the pressure units. Fractions: "fraction", "percent" (for ppO2 given as a share).
Sources for the factors: NIST SP 811 (2008), Appendix B.8.
"""

from __future__ import annotations

import math

import numpy as np

from hullbreach.constants import PA_PER_MMHG, PA_PER_PSI
from hullbreach.errors import UnitError

#: Multiplicative factors to SI for linear units, by quantity kind.
_PRESSURE = {
    "pa": 1.0,
    "kpa": 1e3,
    "hpa": 1e2,
    "mbar": 1e2,
    "bar": 1e5,
    "mmhg": PA_PER_MMHG,
    # 1 torr = 101325/760 Pa exactly; differs from mmHg by 1.4e-7 relative (NIST SP 811 B.8).
    "torr": 101325.0 / 760.0,
    "psi": PA_PER_PSI,
    "psia": PA_PER_PSI,
    "inhg": 3386.389,
}
_TEMPERATURE = {"k", "degc", "c", "°c", "degf", "f", "°f"}
_LENGTH = {"m": 1.0, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "in": 0.0254, "ft": 0.3048}
_MASS = {"kg": 1.0, "g": 1e-3, "lb": 0.45359237}
_FRACTION = {"fraction": 1.0, "percent": 1e-2, "%": 1e-2}

#: Quantities a sensor may measure, with the kind of unit they take.
QUANTITY_KIND = {
    "pressure": "pressure",
    "ppo2": "pressure",
    "ppn2": "pressure",
    "ppco2": "pressure",
    "pph2o": "pressure",
    "temperature": "temperature",
}

#: Plausible SI ranges for a quantity inside a crewed cabin [SI]; used to catch unit mix-ups.
PLAUSIBLE_SI = {
    "pressure": (0.0, 1.2e5),
    "ppo2": (0.0, 6.0e4),
    "ppn2": (0.0, 1.0e5),
    "ppco2": (0.0, 5.0e3),
    "pph2o": (0.0, 7.0e3),
    "temperature": (250.0, 330.0),
}

KNOWN_UNITS = sorted(set(_PRESSURE) | _TEMPERATURE | set(_LENGTH) | set(_MASS) | set(_FRACTION))


def _key(unit: str) -> str:
    return unit.strip().lower().replace(" ", "")


def unit_kind(unit: str) -> str:
    """Return the kind of a unit: ``"pressure"``, ``"temperature"``, ``"length"``, ``"mass"``, ``"fraction"``.

    Raises :class:`UnitError` naming the known units when the unit is unknown.
    """
    k = _key(unit)
    if k in _PRESSURE:
        return "pressure"
    if k in _TEMPERATURE:
        return "temperature"
    if k in _LENGTH:
        return "length"
    if k in _MASS:
        return "mass"
    if k in _FRACTION:
        return "fraction"
    raise UnitError(
        f"unknown unit {unit!r}",
        hint="use one of Pa kPa hPa mbar bar mmHg torr psi K degC degF m mm kg g",
    )


def to_si(value, unit: str):
    """Convert ``value`` (scalar or array) in ``unit`` to SI (Pa, K, m, kg, fraction)."""
    k = _key(unit)
    if k in _PRESSURE:
        return np.asarray(value, dtype=float) * _PRESSURE[k] if not np.isscalar(value) else float(value) * _PRESSURE[k]
    if k in ("k",):
        return np.asarray(value, dtype=float) if not np.isscalar(value) else float(value)
    if k in ("degc", "c", "°c"):
        return (np.asarray(value, dtype=float) if not np.isscalar(value) else float(value)) + 273.15
    if k in ("degf", "f", "°f"):
        v = np.asarray(value, dtype=float) if not np.isscalar(value) else float(value)
        return (v - 32.0) * 5.0 / 9.0 + 273.15
    for table in (_LENGTH, _MASS, _FRACTION):
        if k in table:
            return np.asarray(value, dtype=float) * table[k] if not np.isscalar(value) else float(value) * table[k]
    unit_kind(unit)  # raises with the list of units
    raise AssertionError("unreachable")


def from_si(value, unit: str):
    """Convert ``value`` in SI to ``unit`` (inverse of :func:`to_si`)."""
    k = _key(unit)
    if k in _PRESSURE:
        return np.asarray(value, dtype=float) / _PRESSURE[k] if not np.isscalar(value) else float(value) / _PRESSURE[k]
    if k == "k":
        return np.asarray(value, dtype=float) if not np.isscalar(value) else float(value)
    if k in ("degc", "c", "°c"):
        return (np.asarray(value, dtype=float) if not np.isscalar(value) else float(value)) - 273.15
    if k in ("degf", "f", "°f"):
        v = np.asarray(value, dtype=float) if not np.isscalar(value) else float(value)
        return (v - 273.15) * 9.0 / 5.0 + 32.0
    for table in (_LENGTH, _MASS, _FRACTION):
        if k in table:
            return np.asarray(value, dtype=float) / table[k] if not np.isscalar(value) else float(value) / table[k]
    unit_kind(unit)
    raise AssertionError("unreachable")


def check_unit_for_quantity(unit: str, quantity: str) -> None:
    """Raise :class:`UnitError` when ``unit`` cannot measure ``quantity`` (e.g. degC for pressure)."""
    if quantity not in QUANTITY_KIND:
        raise UnitError(
            f"unknown quantity {quantity!r}", hint=f"use one of {', '.join(sorted(QUANTITY_KIND))}"
        )
    kind = unit_kind(unit)
    if kind != QUANTITY_KIND[quantity]:
        raise UnitError(f"unit {unit!r} is a {kind} unit and cannot measure {quantity}")


def guess_unit(value_si_if_unit: float, quantity: str, declared_unit: str) -> str | None:
    """Name a unit under which a raw value would be plausible for ``quantity``, other than the declared one.

    Used to explain a likely unit mix-up: ``14.7`` on a mmHg channel is impossible (1960 Pa) but is
    exactly 1 atm in psi. Returns ``None`` when no other unit makes the value plausible.
    """
    lo, hi = PLAUSIBLE_SI.get(quantity, (-np.inf, np.inf))
    if quantity == "temperature":
        candidates = ["K", "degC", "degF"]
    else:
        candidates = ["psi", "kPa", "mmHg", "Pa", "mbar", "bar"]
        lo = max(lo, 0.3 * hi) if quantity == "pressure" else lo
    for u in candidates:
        if _key(u) == _key(declared_unit):
            continue
        v = to_si(float(value_si_if_unit), u)
        if lo < v <= hi:
            return u
    return None


def fmt_duration(seconds: float) -> str:
    """A duration [s] for people: ``3 h 12 min``, ``16.2 days``, ``never`` for infinity (display edge;
    the library's plain-language advice and the CLI share it)."""
    if seconds is None or not math.isfinite(seconds):
        return "never (no net loss)"
    if seconds < 0:
        return "already below"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        h = int(seconds // 3600)
        m = int((seconds - h * 3600) // 60)
        return f"{h} h {m:02d} min"
    if seconds < 1000 * 86400:
        return f"{seconds / 86400:.1f} days"
    return f"{seconds / (365.25 * 86400):.3g} years"
