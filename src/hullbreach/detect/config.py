"""Settings of the leak detector (:class:`DetectorConfig`) and the figures behind its defaults (SI except where
the name says). Re-exported by :mod:`hullbreach.detect.detector` and :mod:`hullbreach.detect`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hullbreach.detect.airmass import DEFAULT_BIN_S
from hullbreach.detect.binning import time_ns, track_bin_multiple
from hullbreach.detect.fastpath import FAST_THERMAL_K
from hullbreach.detect.glr import BACKGROUND_KG_DAY, MIN_REF_BINS, threshold_for_far
from hullbreach.detect.noise import SLOW_PRIOR_K, SLOW_PRIOR_TAU_S
from hullbreach.errors import DetectionError

#: Crew O2 use allowed when a crewed zone's N2 track falls back to the air mass [kg/day for the 916 m^3 ISS, the
#: same per m^3 elsewhere]: 6 crew x 0.84 kg O2 per person per day (docs/detection.md §3, NASA's ECLSS design load).
CREW_O2_KG_DAY = 6 * 0.84
#: The cabin's temperature swings unmeasured on a zone without a trusted thermometer, (amplitude [K], period [s]):
#: orbital 0.3 K at 92.6 min and daily 0.5 K (docs/detection.md §3); extra prior processes of that zone's noise
#: model, floors until measured (:meth:`hullbreach.detect.noise.NoiseModel.set_prior`). Until 2026-12-07 a
#: 0.5 K prior with the 6 h correlation time stood for both, and the data's short scales argued it away in the
#: first hour: the pressure-only MS-09 record alarmed 174 min before the onset, on the first half-orbit's cooling.
PRESSURE_ONLY_SWINGS = ((0.3, 5556.0), (0.5, 86400.0))


@dataclass(frozen=True)
class DetectorConfig:
    """Settings of the detector (all SI except where the name says).

    Attributes
    ----------
    far_per_year : float
        Requested false-alarm rate on nominal telemetry [1/year].
    bin_s : float
        Time bin [s].
    window_bins : int
        Length ``L`` of the GLR window [bins] (default 1440 = 24 h at 60 s).
    long_window_bins : int
        A second mass-point test of the loss rate over this longer window [bins] (default 4320 = 3 days at
        60 s; 0: none): a slow leak older than ``window_bins`` keeps adding evidence instead of being judged
        on one window forever (docs/detection.md §2d).
    background_kg_day : float
        Background leak of the ISS (916 m^3) that is not an alarm [kg/day]; a zone is allowed the same per
        cubic metre of its volume.
    settle_s : float
        Time after a known operation during which the track is bridged [s].
    track : str
        ``auto`` (N2 when the zone has ppN2, else air), ``air`` or ``n2``.
    reserve_model : str
        ``constant-rate`` (operational definition) or ``constant-hole``.
    threshold : float, optional
        Explicit LLR threshold (overrides ``far_per_year``).
    fast_path : bool
        Run the fast path for large leaks (:mod:`hullbreach.detect.fastpath`: 10 s pressure consensus),
        which takes ``FAST_FAR_SHARE`` of the false-alarm rate.
    fast_thermal_k : float
        Thermal gate of the fast path [K]: the largest fall of the zone's bulk gas temperature a fast alarm must
        exceed as a pressure fall (``p dT / T``; default 1.1 K, the ISS cabin control band, docs/detection.md
        §2b); 0: no gate (the fast path of c3455ae, alarming on rate alone).
    crew_o2_kg_day : float
        Crew O2 use allowed on a zone whose N2 track has no ppN2 samples and falls back to the air mass, for the
        916 m^3 ISS (a zone is allowed the same per cubic metre) [kg/day]: the total air mass then falls with the
        crew's breathing.
    slow_noise : bool
        Model the slow noise no channel measures (default; False: white noise and kappa only, as on the
        white-noise calibration of the threshold).
    common_mode : bool
        Common-mode rejection across zones (default): an alarm whose apparent loss the other zones share, as a
        fraction of their mass, is a temperature error (:func:`hullbreach.detect.crosscheck.review_alarms`).
    slow_noise_prior_k, slow_noise_prior_tau_s : float
        Prior of the unmeasured bulk-gas temperature offset [K] and its correlation time [s], used until the
        zone's slow noise is measured (:class:`hullbreach.detect.noise.NoiseModel`).
    """

    far_per_year: float = 1.0
    bin_s: float = DEFAULT_BIN_S
    window_bins: int = 1440
    long_window_bins: int = 4320
    background_kg_day: float = BACKGROUND_KG_DAY
    settle_s: float = 600.0
    track: str = "auto"
    reserve_model: str = "constant-rate"
    threshold: float | None = None
    fast_path: bool = True
    fast_thermal_k: float = FAST_THERMAL_K
    slow_noise: bool = True
    crew_o2_kg_day: float = CREW_O2_KG_DAY
    slow_noise_prior_k: float = SLOW_PRIOR_K
    slow_noise_prior_tau_s: float = SLOW_PRIOR_TAU_S
    common_mode: bool = True

    def __post_init__(self) -> None:
        if self.track not in ("auto", "air", "n2"):
            raise DetectionError(f"unknown track {self.track!r}", hint="use auto, air or n2")
        if self.window_bins < 2 * MIN_REF_BINS:
            raise DetectionError(f"window_bins must be at least {2 * MIN_REF_BINS}")
        if self.long_window_bins < 0:
            raise DetectionError("long_window_bins must be >= 0 (0: no long-window test)")
        if not (self.bin_s > 0):
            raise DetectionError("bin_s must be positive")
        if not (self.fast_thermal_k >= 0):
            raise DetectionError(f"fast_thermal_k must be >= 0 K (got {self.fast_thermal_k}; 0: no thermal gate)")
        if self.background_kg_day < 0:
            raise DetectionError("background_kg_day must be >= 0")

    @property
    def h(self) -> float:
        """The LLR threshold in use."""
        return float(self.threshold) if self.threshold is not None else threshold_for_far(self.far_per_year, self.bin_s)


def bin_for_tracks(station, frame, cfg: DetectorConfig) -> tuple:
    """``cfg`` with a longer bin when a zone's ppN2 channels sample more sparsely than the default bin (a mass
    spectrometer visiting its ports in turn; :func:`hullbreach.detect.binning.track_bin_multiple`), the
    windows kept at the same durations; and a note saying so (None when nothing changes). A bin the caller
    chose (not the default) is kept. (Moved from :mod:`hullbreach.detect.detector`, session 9.)"""
    if cfg.bin_s != DEFAULT_BIN_S or cfg.track == "air" or not len(frame.data):
        return cfg, None
    data = frame.data
    times = []
    for zone in station.zones():
        ids = [s.id for s in station.sensors_in(zone, "ppn2")]
        if ids:
            sel = data["channel"].isin(ids).to_numpy()
            times.append(time_ns(data["time"][sel]) / 1e9)
    m = track_bin_multiple(times, cfg.bin_s)
    if m == 1:
        return cfg, None
    new = replace(cfg, bin_s=cfg.bin_s * m, window_bins=max(int(round(cfg.window_bins / m)), 2 * MIN_REF_BINS),
                  long_window_bins=int(round(cfg.long_window_bins / m)))
    return new, (f"ppN2 is sampled more sparsely than every {cfg.bin_s:g} s (a mass spectrometer visiting its ports "
                 f"in turn): time bins of {new.bin_s:g} s, so that every bin of the N2 track holds a sample")
