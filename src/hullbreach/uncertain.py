"""Numbers with a 95 % interval, as the JSON contract (docs/design.md §3.3) writes them."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    """An estimate with a 95 % interval ``low <= estimate <= high`` (same unit as the estimate).

    ``math.inf`` is allowed for an open upper end (for example a reserve time with no leak).
    """

    estimate: float
    low: float
    high: float

    def __post_init__(self) -> None:
        vals = (self.estimate, self.low, self.high)
        if any(isinstance(v, float) and math.isnan(v) for v in vals):
            raise ValueError(f"Interval has NaN: {vals}")
        if not (self.low <= self.estimate <= self.high):
            object.__setattr__(self, "low", min(vals))
            object.__setattr__(self, "high", max(vals))

    @classmethod
    def exact(cls, value: float) -> "Interval":
        """An interval of zero width (a number that is known, not estimated)."""
        return cls(value, value, value)

    def map(self, fn) -> "Interval":
        """Apply a monotone function to all three numbers (reorders if ``fn`` is decreasing)."""
        a, b, c = fn(self.low), fn(self.estimate), fn(self.high)
        return Interval(b, min(a, c), max(a, c))

    def scale(self, factor: float) -> "Interval":
        """Multiply by a constant (unit conversion)."""
        return self.map(lambda v: v * factor)

    def contains(self, value: float) -> bool:
        """True when ``low <= value <= high``."""
        return self.low <= value <= self.high

    def to_json(self) -> dict:
        """``{"estimate", "low", "high"}`` with infinities written as ``null`` (JSON has no inf)."""

        def f(v: float):
            return None if (isinstance(v, float) and math.isinf(v)) else float(v)

        return {"estimate": f(self.estimate), "low": f(self.low), "high": f(self.high)}
