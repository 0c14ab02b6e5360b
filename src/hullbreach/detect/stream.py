"""Streaming leak detection: feed batches of raw samples as they arrive, get the current answer.

:class:`StreamingDetector` drives the same :class:`~hullbreach.detect.detector.DetectionEngine` as the batch
:func:`~hullbreach.detect.detector.detect`, one completed time bin at a time, so that on the same samples it
gives the same alarms, onsets and estimates (tested). A bin is complete when a sample of a later bin
arrives; samples that arrive for a bin already processed are counted as ``late`` and left out (say so in the
notes), never silently dropped.

Raw batches go through the streaming data checks (:class:`hullbreach.telemetry.stream.TelemetryStream`:
units, duplicates, spikes, stuck sensors...) unless ``checks=False`` (samples already checked, values in
the sensor's unit): then only the unit conversion is done, which is the fastest path.

The work per batch is proportional to the batch: the usual batch (known channels, finite values, open bins)
is added to the open bins and the fast path's sub-bins by ``numpy.add.at``, each sample in order (the sums of
the batch's binning); any other batch first leaves out (and counts) what cannot be added. The detector runs once per completed bin (every 60 s at the defaults), each zone's bin passed
from the air-mass tracker to its detector as Python scalars (same numbers as the batch's chunk path, bit for
bit), and the result (with its Monte Carlo intervals) is only rebuilt when a bin was completed.
``benchmarks/detect_stream.py`` measures the latency (docs/benchmarks/detect-stream.md).

Latency and the garbage collector: CPython's full collection walks every container object of the process
and lands in whichever call happens to allocate at that moment; in a process holding a million objects
(e.g. a replay holding every batch as a DataFrame) that is a ~0.5 s pause inside some ``update``, although
no detector work is involved. A monitor process should call ``gc.collect(); gc.freeze()`` once it is set
up (Python docs, :func:`gc.freeze`) and not keep the batches it has fed.

Latency goal (issue 16): a decision within 1 s of a sample's arrival at 2,000 samples/s. Every step is plain
NumPy and Python, one implementation shared with the batch path (no compiled twin):
``benchmarks/detect_stream.py`` measures it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hullbreach.detect.airmass import SensorFault, time_ns
from hullbreach.detect.detector import DetectionEngine, DetectionResult, DetectorConfig
from hullbreach.detect.fastpath import SUB_BINS
from hullbreach.errors import DetectionError
from hullbreach.station import Station, load_station
from hullbreach.units import to_si


class StreamingDetector:
    """Incremental detector over a stream of raw telemetry batches.

    Parameters
    ----------
    station : Station or str
        Station model, built-in name or TOML path.
    events : DataFrame, optional
        Known operations ``time, kind, detail`` (docs/design.md §3.2); more can be added with :meth:`add_events`
        as long as they lie after the last processed bin.
    far_per_year : float
        Requested false-alarm rate [1/year] (ignored when ``config`` is given).
    config : DetectorConfig, optional
    checks : bool
        Run the streaming data checks (default) or only convert units (trusted, already checked input).
    seed : int
        Seed of the Monte Carlo intervals.

    Examples
    --------
    >>> det = StreamingDetector("iss-2018")                       # doctest: +SKIP
    >>> for batch in batches:                                     # doctest: +SKIP
    ...     result = det.update(batch)   # raw long table: time, channel, value (sensor units)
    ...     if result.status == "leak": ...
    """

    def __init__(self, station: Station | str, events: pd.DataFrame | None = None, *, far_per_year: float = 1.0,
                 config: DetectorConfig | None = None, checks: bool = True, seed: int = 0):
        self.station = station if isinstance(station, Station) else load_station(station)
        self.cfg = config or DetectorConfig(far_per_year=far_per_year)
        self.events = events
        self.engine = DetectionEngine(self.station, events, self.cfg, untrusted={})
        self.engine.keep_series = False
        self.channels = self.engine.tracker.channels
        self.row = {c: i for i, c in enumerate(self.channels)}
        self._units = [self.station.sensors[c].unit for c in self.channels]
        self._scale = np.array([float(to_si(1.0, u)) - float(to_si(0.0, u)) for u in self._units])
        self._offset = np.array([float(to_si(0.0, u)) for u in self._units])
        self.seed = seed
        self.checks = checks
        self._stream = None
        if checks:
            from hullbreach.telemetry.stream import TelemetryStream

            self._stream = TelemetryStream(self.station, retain=False)  # never asks frame(): bounded memory
        self.bin_ns = int(round(self.cfg.bin_s * 1e9))
        self._k_open: int | None = None   # first bin not yet processed
        self._sums: np.ndarray = np.zeros((len(self.channels), 0))
        self._counts: np.ndarray = np.zeros((len(self.channels), 0))
        self._k_newest: int | None = None
        self.late = 0
        self.unknown = 0
        self.quarantined = 0
        self._untrusted: dict[str, str] = {}
        self._result: DetectionResult | None = None
        # channel code -> station row (last entry -1, for a missing code): of a Categorical's categories
        # (_lut, for the categories _lut_key), and of station rows themselves (_rows_lut)
        self._rows_lut = np.append(np.arange(len(self.channels), dtype=np.int64), -1)
        self._lut = self._rows_lut
        self._lut_key = None
        self._dirty = True
        self._trusted: tuple | None = None  # (number of untrusted channels, the trusted ones)
        self.n_updates = 0
        # the fast path's sub-bins (pressure channels only): sums and counts from sub-bin _j_open on
        self._fast = self.engine.fast is not None
        self.sub_ns = int(round(self.cfg.bin_s / SUB_BINS * 1e9))
        self._prow = np.array([i for i, c in enumerate(self.channels) if self.station.sensors[c].quantity == "pressure"],
                              dtype=np.int64)
        self._pslot = np.full(len(self.channels), -1, dtype=np.int64)
        self._pslot[self._prow] = np.arange(len(self._prow))
        self._j_open: int | None = None
        self._j_newest: int | None = None
        self._ssums = np.zeros((len(self._prow), 0))
        self._scounts = np.zeros((len(self._prow), 0))

    # ------------------------------------------------------------------------------------------ input
    def add_events(self, events: pd.DataFrame) -> None:
        """Add known operations (they must lie after the last processed bin to take effect exactly)."""
        if events is None or len(events) == 0:
            return
        allev = events if self.events is None else pd.concat([self.events, events], ignore_index=True)
        self.events = allev
        from hullbreach.detect.airmass import AirMassTracker, parse_events

        evs = parse_events(allev, self.station)
        if self._k_open is not None and any(e.time_s < self._k_open * self.cfg.bin_s for e in parse_events(events, self.station)):
            raise DetectionError("events given after their time was already analysed",
                                 hint="give known operations before (or with) the telemetry that covers them")
        old = self.engine.tracker
        new = AirMassTracker(self.station, evs, bin_s=self.cfg.bin_s, untrusted=old.untrusted, settle_s=self.cfg.settle_s,
                             swings=old.swings)
        new._states, new._period_index, new.faults = old._states, -1, old.faults
        self.engine.tracker = new
        if self.engine.fast is not None:
            self.engine.fast.tracker = new
        self.engine.events = evs
        self.engine._seal_bins = sorted(int(math.floor(e.time_s / self.cfg.bin_s)) for e in evs if e.kind == "leak_sealed")

    def update(self, raw: pd.DataFrame) -> DetectionResult:
        """Feed a batch of raw samples (``time, channel, value`` in the sensor's unit); return the current
        :class:`~hullbreach.detect.detector.DetectionResult` (everything up to the last completed bin)."""
        self.n_updates += 1
        if self._stream is not None:
            fr = self._stream.push(raw)
            self.quarantined += fr.n_quarantined
            for rep in fr.channels.values():
                if not rep.trusted and rep.channel not in self._untrusted and rep.channel in self.row:
                    self._untrusted[rep.channel] = rep.reason or "judged faulty by the data checks"
                    self._mark_untrusted(rep.channel, self._untrusted[rep.channel])
            data = fr.data
            if len(data):
                self._accumulate(*_columns(data), si=True)
        elif len(raw):
            self._accumulate(*_columns(raw), si=False)
        return self.result()

    def _mark_untrusted(self, channel: str, reason: str) -> None:
        tr = self.engine.tracker
        tr.untrusted[channel] = reason
        tr.faults.setdefault(channel, SensorFault(channel, reason))
        k_now = self._k_open if self._k_open is not None else 0
        for st in tr._states.values():
            for vote in (st.p_vote, st.t_vote):
                if channel in vote.sensors:
                    i = vote.sensors.index(channel)
                    vote.flag_k[i] = min(vote.flag_k[i], k_now)

    def _accumulate(self, t_ns: np.ndarray, channel, value: np.ndarray, si: bool) -> None:
        """Add samples (times [ns], channel ids or a Categorical of them, values in the sensor's unit, or SI
        when ``si``) to the open bins and sub-bins; run the detector on the bins they complete."""
        if len(t_ns) == 0:
            return
        if isinstance(channel, pd.Categorical):
            cats = channel.categories
            if self._lut_key is not cats:
                self._lut = np.array([self.row.get(c, -1) for c in cats] + [-1], dtype=np.int64)
                self._lut_key = cats
            codes = channel.codes
            if self._k_open is not None and self._add(t_ns, codes.astype(np.int64), self._lut, value, si):
                return
            rows = self._lut[codes]  # code -1 (missing) maps to the last entry, -1
        else:
            ch = np.asarray(channel, dtype=object)
            rows = np.fromiter((self.row.get(c, -1) for c in ch), dtype=np.int64, count=len(ch))
            if self._k_open is not None and self._add(t_ns, rows, self._rows_lut, value, si):
                return
        # the general path: leave out (and count) what cannot be added, then the same addition
        k = np.floor_divide(t_ns, self.bin_ns)
        known = rows >= 0
        self.unknown += int((~known).sum())
        ok = known & np.isfinite(value)
        if not si:
            value = np.where(known, value * self._scale[np.maximum(rows, 0)] + self._offset[np.maximum(rows, 0)], np.nan)
        if self._k_open is None:
            self._k_open = int(k[ok].min()) if ok.any() else None
            if self._k_open is None:
                return
        late = ok & (k < self._k_open)
        if late.any():
            self.late += int(late.sum())
            self._dirty = True  # the notes change
        ok &= ~late
        if not ok.any():
            return
        added = self._add(t_ns[ok], rows[ok], self._rows_lut, value[ok], True)
        assert added  # every sample left is of a known channel, finite, in an open bin

    def _add(self, t_ns: np.ndarray, codes: np.ndarray, lut: np.ndarray, value: np.ndarray, si: bool) -> bool:
        """Add a batch whose every sample is of a known channel (station row ``lut[code]``; code -1: missing),
        finite and in an open bin to the bins and the fast path's sub-bins, each sample in order
        (``numpy.add.at``: unbuffered, index after index, so the sums are those of the batch's binning); then
        run the detector on the bins completed. False, with nothing added, for any other batch."""
        rows = lut[codes]
        value = np.asarray(value, dtype=float)
        k = t_ns // self.bin_ns
        if len(rows) == 0 or rows.min() < 0 or not np.isfinite(value).all() or k.min() < self._k_open:
            return False  # not a usual batch: the general path
        if not si:
            value = value * self._scale[rows] + self._offset[rows]
        k_hi = int(k.max())
        self._reserve(k_hi)
        at = (rows, k - self._k_open)
        np.add.at(self._sums, at, value)
        np.add.at(self._counts, at, 1.0)
        slot = self._pslot[rows]
        p = slot >= 0 if self._fast else np.zeros(0, dtype=bool)  # no sub-bins without the fast path
        if p.any():
            j = t_ns[p] // self.sub_ns
            j_lo, j_hi = int(j.min()), int(j.max())
            self._reserve_sub(j_lo, j_hi)
            if self._j_open is None:
                self._j_open = j_lo
            keep = j >= self._j_open  # sub-bins already handed over: left out of the fast path only
            at = (slot[p][keep], j[keep] - self._j_open)
            np.add.at(self._ssums, at, value[p][keep])
            np.add.at(self._scounts, at, 1.0)
            self._j_newest = j_hi if self._j_newest is None else max(self._j_newest, j_hi)
        self._complete(k_hi)
        return True

    def _reserve_sub(self, j_lo: int, j_hi: int) -> None:
        """Make room for the open sub-bins up to ``j_hi`` (from ``j_lo`` when none is open yet)."""
        jo = j_lo if self._j_open is None else self._j_open
        if j_hi - jo + 1 > self._ssums.shape[1]:
            cap = max(j_hi - jo + 1, 2 * self._ssums.shape[1], 8)
            self._ssums, self._scounts = (_widened(a, cap) for a in (self._ssums, self._scounts))

    def _reserve(self, k_hi: int) -> None:
        """Make room for the open bins up to ``k_hi``."""
        need = k_hi - self._k_open + 1
        if need > self._sums.shape[1]:
            self._sums, self._counts = (_widened(a, max(need, 2 * a.shape[1], 4)) for a in (self._sums, self._counts))

    def _complete(self, k_hi: int) -> None:
        """Note the newest sample's bin ``k_hi``; run the detector on every bin before it (and the fast path
        on every sub-bin before the newest sample's, each after the bin before its own: as in batch)."""
        self._k_newest = k_hi if self._k_newest is None else max(self._k_newest, k_hi)
        # every bin before the newest sample's bin is complete
        n_done = self._k_newest - self._k_open
        if n_done > 0:
            if self._fast:
                for i in range(n_done):  # bin by bin: the sub-bins of bin K go after bin K - 1
                    self._fast_upto((self._k_open + i + 1) * SUB_BINS)
                    self.engine.process(self._k_open + i, self._sums[:, i:i + 1].copy(), self._counts[:, i:i + 1].copy())
            else:
                self.engine.process(self._k_open, self._sums[:, :n_done].copy(), self._counts[:, :n_done].copy())
            # shift the open bins to the front in place (no new arrays)
            self._sums[:, :-n_done] = self._sums[:, n_done:]
            self._counts[:, :-n_done] = self._counts[:, n_done:]
            self._sums[:, -n_done:] = 0.0
            self._counts[:, -n_done:] = 0.0
            self._k_open += n_done
            self._dirty = True
        if self._fast and self._j_newest is not None:
            self._fast_upto(self._j_newest)

    def _fast_upto(self, j_end: int) -> None:
        """Hand the sub-bins before ``j_end`` to the fast path (means of the pressure channels)."""
        if self._j_open is None or j_end <= self._j_open:
            return
        n = min(j_end - self._j_open, self._ssums.shape[1])
        if n <= 0:
            return
        before = self.engine.fast.n_alarms
        # the whole (C-contiguous) arrays with the count n of sub-bins handed over
        self.engine.fast.process(self._j_open, self._ssums, self._scounts, self._prow, n)
        if self.engine.fast.n_alarms != before:
            self._dirty = True  # a fast alarm: the result changes (otherwise it does only at bin steps)
        self._ssums[:, :-n] = self._ssums[:, n:]
        self._scounts[:, :-n] = self._scounts[:, n:]
        self._ssums[:, -n:] = 0.0
        self._scounts[:, -n:] = 0.0
        self._j_open += n

    # ----------------------------------------------------------------------------------------- output
    def result(self) -> DetectionResult:
        """The current result (rebuilt only when a bin was completed since the last call)."""
        if self._dirty or self._result is None:
            notes = []
            if self.late:
                notes.append(f"{self.late} sample(s) arrived after their minute was analysed and were left out")
            if self.unknown:
                notes.append(f"{self.unknown} sample(s) of channels unknown to the station were left out")
            if self._trusted is None or self._trusted[0] != len(self._untrusted):  # (untrusted only grows)
                self._trusted = (len(self._untrusted), tuple(c for c in self.channels if c not in self._untrusted))
            trusted = self._trusted[1]
            self._result = self.engine.result(quarantined=self.quarantined, trusted=trusted, notes=tuple(notes),
                                              seed=self.seed)
            self._dirty = False
        return self._result


def _columns(raw: pd.DataFrame):
    """``time`` [ns], ``channel`` (Categorical or ids) and ``value`` (float) of a batch, as arrays.

    ``DataFrame._get_column_array`` returns a column's array without building a Series: three ``raw[name]``
    look-ups cost ~0.1 ms, more than the rest of a usual update (docs/benchmarks/detect-stream.md); it is
    pandas' internal accessor, so any failure of it falls back to the public ``raw[name]``."""
    cols = {}
    for name in ("time", "channel", "value"):
        if name not in raw.columns:
            raise DetectionError(f"a telemetry batch has no '{name}' column (it has {', '.join(map(str, raw.columns))})",
                                 hint="feed a long table with the columns time, channel, value")
        try:
            cols[name] = raw._get_column_array(raw.columns.get_loc(name))
        except (AttributeError, TypeError, ValueError, IndexError):
            cols[name] = raw[name].array
    t = cols["time"]
    if isinstance(t.dtype, pd.DatetimeTZDtype) and t.dtype.unit == "ns":
        t_ns = t.asi8
    else:
        ts = pd.Series(t, copy=False)
        if not (isinstance(ts.dtype, pd.DatetimeTZDtype) or pd.api.types.is_numeric_dtype(ts.dtype)):
            ts = pd.to_datetime(ts, utc=True)
        t_ns = time_ns(ts)
    ch = cols["channel"]
    v = cols["value"]
    value = v if isinstance(v, np.ndarray) and v.dtype == np.float64 else np.asarray(
        pd.Series(v, copy=False).to_numpy(dtype=float, na_value=np.nan))
    return t_ns, ch, value


def _widened(a: np.ndarray, cap: int) -> np.ndarray:
    """``a`` (rows x columns) with ``cap`` columns, the new ones zero."""
    out = np.zeros((a.shape[0], cap))
    out[:, : a.shape[1]] = a
    return out
