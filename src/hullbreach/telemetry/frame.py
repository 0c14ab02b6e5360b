"""The telemetry frame passed between readers, checks, the detector and isolation.

Raw telemetry (as in files and the streaming API) is a long table ``time, channel, value`` with ``value``
in the sensor's own unit (station file). A :class:`TelemetryFrame` holds the accepted samples converted
to SI, and every sample that was set aside with the reason, so that nothing is ever silently lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Columns of a raw long telemetry table (docs/design.md §3.2).
RAW_COLUMNS = ("time", "channel", "value")
#: Columns of the quarantine table.
QUARANTINE_COLUMNS = ("time", "channel", "value", "reason", "source")
#: Columns of the gap table (one row per gap in a channel's samples).
GAP_COLUMNS = ("channel", "start", "end", "duration_s")
#: Kinds an events file may name (docs/design.md §3.2).
EVENT_KINDS = ("hatch_close", "hatch_open", "repress", "airlock_depress", "airlock_repress",
               "vehicle_dock", "vehicle_undock", "leak_sealed", "valve_open", "valve_close")


def empty_raw() -> pd.DataFrame:
    """An empty raw telemetry table with the right dtypes."""
    return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]"),
                         "channel": pd.Series([], dtype=object), "value": pd.Series([], dtype=float)})


def empty_quarantine() -> pd.DataFrame:
    """An empty quarantine table."""
    return _EMPTY_QUARANTINE.copy()


def _make_empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]"),
                         "channel": pd.Series([], dtype=object), "value": pd.Series([], dtype=float),
                         "reason": pd.Series([], dtype=object), "source": pd.Series([], dtype=object)})


def empty_gaps() -> pd.DataFrame:
    """An empty gap table (``channel, start, end, duration_s``; times UTC, duration in s)."""
    return _EMPTY_GAPS.copy()


def _make_empty_gaps() -> pd.DataFrame:
    return pd.DataFrame({"channel": pd.Series([], dtype=object),
                         "start": pd.Series([], dtype="datetime64[ns, UTC]"),
                         "end": pd.Series([], dtype="datetime64[ns, UTC]"),
                         "duration_s": pd.Series([], dtype=float)})


_EMPTY_QUARANTINE = _make_empty_quarantine()
_EMPTY_GAPS = _make_empty_gaps()


@dataclass(frozen=True)
class ChannelReport:
    """What the checks concluded about one channel.

    ``trusted`` is False for a channel judged faulty (stuck, unknown to the station, wrong unit);
    ``reason`` says why. ``accepted`` and ``quarantined`` count samples. The remaining fields (added by
    :mod:`hullbreach.telemetry.checks`, all optional) describe the channel further: ``out_of_order``
    samples (sorted, kept), ``naive_times`` (times without a zone read as UTC), ``gaps`` (number of gaps)
    and ``max_gap_s`` [s], ``median_dt_s`` (typical sampling interval [s]), and free-text ``notes``.
    ``declared`` is False for a column the station file does not declare (quarantined, never a sensor fault).
    """

    channel: str
    accepted: int
    quarantined: int
    trusted: bool = True
    reason: str = ""
    out_of_order: int = 0
    naive_times: int = 0
    gaps: int = 0
    max_gap_s: float = 0.0
    median_dt_s: float = float("nan")
    notes: tuple = ()
    declared: bool = True


@dataclass(frozen=True, eq=False)
class SampleGrid:
    """The accepted samples of a frame as a (channel x time) grid, when the reader had one (wide files).

    A by-product of the column-by-column checks (:mod:`hullbreach.telemetry.wide`): the same samples as the
    frame's long ``data``, laid out so that consumers that work per channel (the detector's binning) need no
    52 M-row pass over the long table.

    Attributes
    ----------
    time_ns : numpy.ndarray of int64, shape (n,)
        Time of each column [ns since 1970-01-01T00:00:00Z, UTC], strictly increasing.
    values : numpy.ndarray of float64, shape (n_channels, n)
        Values [SI: Pa, K]; only meaningful where ``mask`` is True.
    mask : numpy.ndarray of bool, shape (n_channels, n)
        Accepted samples (exactly the rows of ``data``).
    channels : tuple of str
        Sensor id of each row of ``values``.
    """

    time_ns: np.ndarray
    values: np.ndarray
    mask: np.ndarray
    channels: tuple


@dataclass(frozen=True)
class TelemetryFrame:
    """Accepted telemetry in SI plus the quarantined samples.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns ``time`` (datetime64[ns, UTC]), ``channel`` (sensor id; a pandas Categorical when produced by
        the checks), ``value`` (float, SI: Pa or K), sorted by time then channel. Only samples that passed
        the checks. May be given as ``None`` together with a ``grid``: the long table is then built from the
        grid the first time it is read (30 days of 20 channels at 1 Hz: ~1.4 s and ~0.9 GB that a detector
        binning from the grid never needs).
    quarantined : pandas.DataFrame
        Columns ``time, channel, value, reason, source``: samples set aside, with the raw value in the
        sensor's unit, why, and where they came from (``file:line``).
    channels : dict[str, ChannelReport]
        Per-channel verdicts.
    source : str
        File name (or ``<stream>``).
    counts : dict[str, int]
        How many samples each check touched, by name (``quarantined`` reasons such as ``spike`` or
        ``duplicate``, and warnings such as ``out_of_order`` or ``naive_time``). Empty when no check ran.
    warnings : tuple[str, ...]
        Plain-text warnings about things that were accepted but are worth knowing (times read as UTC,
        samples re-sorted, stuck channels).
    gaps : pandas.DataFrame
        ``channel, start, end, duration_s``: gaps in each channel's accepted samples (not errors).
    grid : SampleGrid, optional
        The same accepted samples as a (channel x time) grid, when the reader built one (wide files); must
        describe exactly ``data`` (a frame made with ``dataclasses.replace(frame, data=...)`` must drop it).
    """

    data: pd.DataFrame | None
    quarantined: pd.DataFrame = field(default_factory=empty_quarantine)
    channels: dict = field(default_factory=dict)
    source: str = ""
    counts: dict = field(default_factory=dict)
    warnings: tuple = ()
    gaps: pd.DataFrame = field(default_factory=empty_gaps)
    grid: SampleGrid | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.data is None:
            if self.grid is None:
                raise ValueError("TelemetryFrame needs data or a grid")
            object.__delattr__(self, "data")  # built on first access (__getattr__)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: ``data`` of a frame made from a grid, not built yet
        if name == "data" and self.__dict__.get("grid") is not None:
            from hullbreach.telemetry.wide import grid_to_long
            g = self.grid
            data = grid_to_long(g.time_ns, g.values, g.mask, list(g.channels))
            object.__setattr__(self, "data", data)
            return data
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def n_accepted(self) -> int:
        """Number of accepted samples."""
        if "data" not in self.__dict__ and self.grid is not None:
            return int(np.count_nonzero(self.grid.mask))
        return int(len(self.data))

    @property
    def n_quarantined(self) -> int:
        """Number of quarantined samples."""
        return int(len(self.quarantined))

    def trusted_channels(self) -> list[str]:
        """Channels judged trustworthy."""
        return [c for c, r in self.channels.items() if r.trusted]

    def faults(self) -> list[ChannelReport]:
        """Sensors of the station judged faulty (a column the station does not declare is no sensor: see
        :meth:`undeclared`)."""
        return [r for r in self.channels.values() if not r.trusted and r.declared]

    def undeclared(self) -> list[str]:
        """Columns of the file that are not sensors of the station (their samples are quarantined)."""
        return [c for c, r in self.channels.items() if not r.declared]
