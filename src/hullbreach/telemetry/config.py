"""Thresholds of the telemetry data checks (:class:`CheckConfig`; defaults in docs/telemetry.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckConfig:
    """Thresholds of the data checks (defaults documented in docs/telemetry.md).

    Attributes
    ----------
    spike_k : float
        A sample is a spike when it is more than ``spike_k`` robust standard deviations from the median
        of its 5-sample neighbourhood [-]. The noise scale is 1.4826 x the median absolute first
        difference / sqrt(2) over blocks of ``spike_block`` samples, floored by the sensor's ``noise_std``
        and ``resolution``.
    spike_block : int
        Samples per block for the local robust scale.
    stuck_false_alarm : float
        Probability [-] that a healthy sensor (declared noise and resolution) repeats one value for the
        run length that is called stuck.
    stuck_min_samples, stuck_min_duration_s : int, float
        A stuck run is at least this long [samples] and [s].
    frozen_clock_min : int
        Number of different values of one channel sharing one timestamp that is called a frozen clock
        (two different values are a ``conflict``).
    gap_factor, gap_min_s : float
        A gap is an interval between consecutive accepted samples longer than ``gap_factor`` x the
        channel's median interval and longer than ``gap_min_s`` [s].
    unix_min_s, unix_max_s : float
        Plausible range of UNIX-second times [s] (1970 .. 2100); outside it the time is unreadable
        (a millisecond stamp is named as such).
    """

    spike_k: float = 8.0
    spike_block: int = 1024
    stuck_false_alarm: float = 1e-9
    stuck_min_samples: int = 20
    stuck_min_duration_s: float = 60.0
    frozen_clock_min: int = 3
    gap_factor: float = 10.0
    gap_min_s: float = 0.0
    unix_min_s: float = 0.0
    unix_max_s: float = 4102444800.0


DEFAULT_CONFIG = CheckConfig()
