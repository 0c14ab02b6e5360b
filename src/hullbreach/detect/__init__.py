"""Leak detection: air mass per zone, sequential detector, and leak estimates with intervals."""

from hullbreach.detect.estimate import (  # noqa: F401
    LeakEstimate,
    estimate_from_hole,
    estimate_from_rate,
    loss_rate_from_hole,
    reserve_time,
)
