"""Calibration of the detector's threshold: its statistic on white noise (the null) and upcrossing rates.

``benchmarks/detect_calibrate.py`` fits the tail law ``rate(h) = exp(A - B h)`` of
:func:`hullbreach.detect.glr.threshold_for_far` from these (the GLR statistic is pivotal under the null, so
one calibration holds for every zone and noise level).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hullbreach.detect.airmass import ZoneMass
from hullbreach.detect.detector import DetectorConfig, ZoneDetector


def null_statistic(n_bins: int, seed: int = 0, cfg: DetectorConfig | None = None, sigma_kg: float = 0.05) -> np.ndarray:
    """The detector statistic on a white-noise track without any leak (the null), bin by bin.

    Runs the exact :class:`ZoneDetector` code on ``y_j = e_j``, ``e ~ N(0, sigma^2)`` with the background
    allowance set to 0 (the least favourable null: a background loss exactly at the allowance) and without
    the slow-noise term (which only adds variance to every z: the white-noise law bounds it). The
    statistic is pivotal (does not depend on ``sigma``); used to fit the tail law of
    :func:`threshold_for_far`.
    """
    cfg = cfg or DetectorConfig()
    cfg = replace(cfg, background_kg_day=0.0, threshold=1e300, slow_noise=False)
    rng = np.random.default_rng(seed)
    det = ZoneDetector(("null",), 1.0, cfg, "air", 1.0, 0)
    y = 1000.0 + sigma_kg * rng.standard_normal(n_bins)
    k = np.arange(n_bins)
    f = np.zeros(n_bins, dtype=bool)
    det.r_specific = 287.0
    det.feed(ZoneMass(zone=("null",), volume_m3=1.0, k=k, t_s=(k + 0.5) * cfg.bin_s, pressure_pa=np.full(n_bins, 1e5),
                      temperature_k=np.full(n_bins, 295.0), r_specific=287.0, mass_kg=y, n2_mass_kg=None, excluded=f,
                      vented=f))
    return det.stat.v.copy()


def upcrossing_rate(stat: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Rate of upcrossings of each level in ``h`` per bin (an alarm episode = one upcrossing)."""
    s = np.asarray(stat)
    prev = np.concatenate([[0.0], s[:-1]])
    return np.array([np.sum((s > x) & (prev <= x)) for x in np.atleast_1d(h)]) / max(len(s), 1)
