"""Shared helpers for CLI commands: consoles, JSON output, unit formatting."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from rich.console import Console

from hullbreach.units import fmt_duration  # noqa: F401 (re-exported; the library's advice uses it too)
from hullbreach.uncertain import Interval

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _default(obj: Any):
    if isinstance(obj, Interval):
        return obj.to_json()
    if hasattr(obj, "to_json"):
        return obj.to_json()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, frozenset, tuple)):
        return sorted(obj) if isinstance(obj, (set, frozenset)) else list(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def _clean(obj: Any):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Interval):
        return obj.to_json()
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def print_json(payload: dict) -> None:
    """Write ``payload`` as JSON to stdout (infinities become ``null``, intervals become objects)."""
    sys.stdout.write(json.dumps(_clean(payload), default=_default, indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def fmt_interval(iv: Interval, fmt: str = "{:.3g}", scale: float = 1.0, unit: str = "") -> str:
    """``est [low, high] unit`` for a 95 % interval, scaled by ``scale``."""
    s = iv.scale(scale)
    u = f" {unit}" if unit else ""
    return f"{fmt.format(s.estimate)}{u} [{fmt.format(s.low)}, {fmt.format(s.high)}]"


def fmt_duration_interval(iv: Interval) -> str:
    """Duration interval for people: ``16.2 days [14.0 days, 19.1 days]``."""
    return f"{fmt_duration(iv.estimate)} [{fmt_duration(iv.low)} – {fmt_duration(iv.high)}]"
