"""Time bins of telemetry: per-channel, per-bin sums and counts of SI samples.

Bins are aligned on multiples of the bin length since the UNIX epoch (bin ``k`` covers
``[k bin_s, (k+1) bin_s)`` UNIX seconds), so that batch and streaming see the same bins. Used by the air-mass
tracker (:mod:`hullbreach.detect.airmass`) and the streaming detector.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Default time bin [s].
DEFAULT_BIN_S = 60.0


def time_ns(t: pd.Series) -> np.ndarray:
    """UNIX time in integer nanoseconds of a datetime column (any resolution, UTC) or of UNIX seconds."""
    dt = t.dtype
    if isinstance(dt, pd.DatetimeTZDtype) and dt.unit == "ns":
        return t.array.asi8
    if isinstance(dt, pd.DatetimeTZDtype) or np.issubdtype(dt, np.datetime64):
        idx = pd.DatetimeIndex(t)
        if idx.unit != "ns":
            idx = idx.as_unit("ns")
        return idx.asi8
    return np.round(pd.to_numeric(t).to_numpy(dtype=float) * 1e9).astype("int64")


def bin_channels(data: pd.DataFrame, channels: list[str], bin_s: float = DEFAULT_BIN_S,
                 k_range: tuple[int, int] | None = None):
    """Per-channel, per-bin sums and counts of SI samples (one ``numpy.bincount``).

    Parameters
    ----------
    data : DataFrame
        ``time`` (datetime64[ns, UTC]), ``channel`` (str or categorical), ``value`` (SI).
    channels : list of str
        Channel order of the output rows; samples of other channels are ignored.
    bin_s : float
        Bin length [s].
    k_range : (int, int), optional
        Bins ``k0 .. k1-1`` to fill (bin k covers ``[k bin_s, (k+1) bin_s)`` UNIX seconds); default: all
        bins with data.

    Returns
    -------
    k0 : int, sums : ndarray (n_channels, n_bins), counts : ndarray (n_channels, n_bins)
    """
    n_ch = len(channels)
    if len(data) == 0:
        k0, k1 = k_range if k_range else (0, 0)
        return k0, np.zeros((n_ch, k1 - k0)), np.zeros((n_ch, k1 - k0))
    t_ns = time_ns(data["time"])
    bin_ns = int(round(bin_s * 1e9))
    k = np.floor_divide(t_ns, bin_ns)
    ch = data["channel"]
    if isinstance(ch.dtype, pd.CategoricalDtype):
        lut = np.array([channels.index(c) if c in channels else -1 for c in ch.cat.categories], dtype=np.int64)
        codes = ch.cat.codes.to_numpy()
        idx = np.where(codes >= 0, lut[np.maximum(codes, 0)], -1)
    else:
        codes, uniques = pd.factorize(ch, sort=False)
        lut = np.array([channels.index(c) if c in channels else -1 for c in uniques], dtype=np.int64)
        idx = lut[codes] if len(lut) else np.full(len(codes), -1)
    if k_range is None:
        k0, k1 = int(k.min()), int(k.max()) + 1
    else:
        k0, k1 = k_range
    v = data["value"].to_numpy(dtype=float)
    ok = (idx >= 0) & (k >= k0) & (k < k1) & np.isfinite(v)
    nb = k1 - k0
    flat = idx[ok] * nb + (k[ok] - k0)
    sums = np.bincount(flat, weights=v[ok], minlength=n_ch * nb).reshape(n_ch, nb)
    counts = np.bincount(flat, minlength=n_ch * nb).reshape(n_ch, nb).astype(float)
    return k0, sums, counts


def bin_frame(frame, channels: list[str], bin_s: float = DEFAULT_BIN_S, k_range: tuple[int, int] | None = None):
    """:func:`bin_channels` of a :class:`~hullbreach.telemetry.frame.TelemetryFrame` (same result).

    When the frame carries a (channel x time) :class:`~hullbreach.telemetry.frame.SampleGrid` (wide files),
    each channel is summed over its own contiguous row with ``numpy.add.reduceat`` on bin boundaries found
    once from the shared, increasing time column: no pass over the 52 M-row long table (30 days of 20
    channels at 1 Hz bin in ~0.3 s instead of ~3 s). Otherwise the long table is binned.

    Parameters and returns as for :func:`bin_channels` (sums of SI values and counts, per channel and bin).
    """
    g = getattr(frame, "grid", None)
    if g is None or len(g.time_ns) == 0:
        return bin_channels(frame.data, channels, bin_s, k_range)
    n_ch = len(channels)
    bin_ns = int(round(bin_s * 1e9))
    k = np.floor_divide(g.time_ns, bin_ns)
    if k_range is None:
        any_m = g.mask.any(axis=0)
        if not any_m.any():
            return bin_channels(frame.data, channels, bin_s, k_range)
        s, e = int(np.argmax(any_m)), len(any_m) - int(np.argmax(any_m[::-1]))
        k0, k1 = int(k[s]), int(k[e - 1]) + 1
    else:
        k0, k1 = k_range
        s, e = int(np.searchsorted(k, k0, "left")), int(np.searchsorted(k, k1, "left"))
    nb = k1 - k0
    sums, counts = np.zeros((n_ch, nb)), np.zeros((n_ch, nb))
    if e <= s:
        return k0, sums, counts
    kk = k[s:e] - k0
    starts = np.flatnonzero(np.concatenate(([True], kk[1:] != kk[:-1])))
    bins = kk[starts]
    width = np.diff(np.append(starts, e - s)).astype(float)
    row = {c: j for j, c in enumerate(g.channels)}
    for i, c in enumerate(channels):
        j = row.get(c)
        if j is None:
            continue
        m = g.mask[j, s:e]
        v = g.values[j, s:e]
        if m.all():
            sums[i, bins] = np.add.reduceat(v, starts)
            counts[i, bins] = width
        elif m.any():
            sums[i, bins] = np.add.reduceat(np.where(m, v, 0.0), starts)
            counts[i, bins] = np.add.reduceat(m.astype(float), starts)
    return k0, sums, counts


#: Bin multiples tried by :func:`track_bin_multiple` (a bin of up to 15 default bins, 15 min at 60 s).
BIN_MULTIPLES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15)
#: Share of a track's bins that must hold a sample of its channels [-].
TRACK_COVERAGE = 0.9
#: A run of empty bins longer than this, and than 10 median sample intervals, is an outage of the channel (a
#: gap), not its cadence [s].
OUTAGE_S = 1800.0


def track_bin_multiple(times_s_by_zone, bin_s: float = DEFAULT_BIN_S) -> int:
    """The smallest multiple ``m`` of ``bin_s`` (from :data:`BIN_MULTIPLES`) at which every zone's partial-pressure
    track has a sample in at least :data:`TRACK_COVERAGE` of its bins (issue 16, third generator).

    A mass spectrometer that serves several modules through sample ports in turn (the ISS's major constituent
    analyser does) measures a zone's ppN2 once every few minutes. With 60 s bins most N2-track bins are then
    empty, and the detector's noise estimate (second differences of three consecutive bins) never exists: the
    zone stayed "learning" and an MS-09-rate leak went unseen. A bin at least as long as the analyser's
    revisit gives the track a value in every bin.

    Parameters
    ----------
    times_s_by_zone : iterable of arrays
        Per zone, the UNIX times [s] of its track channels' samples (all channels together).
    bin_s : float
        The base bin [s].

    Returns
    -------
    int
        1 when every zone is covered at ``bin_s`` (or has no samples); otherwise the smallest sufficient
        multiple, at most ``BIN_MULTIPLES[-1]``. Runs of empty bins longer than :data:`OUTAGE_S` and than 10
        median sample intervals (an outage) are not counted.
    """
    need = 1
    for ts in times_s_by_zone:
        ts = np.sort(np.asarray(ts, dtype=float))
        if len(ts) < 3:
            continue
        outage = max(OUTAGE_S, 10.0 * float(np.median(np.diff(ts))))
        for m in BIN_MULTIPLES:
            if m < need:
                continue
            b = m * bin_s
            k = np.floor(ts / b).astype(np.int64)
            occupied = np.unique(k)
            gaps = np.diff(occupied) - 1  # empty bins between occupied ones
            empty = int(gaps[gaps * b <= outage].sum())
            if len(occupied) / (len(occupied) + empty) >= TRACK_COVERAGE:
                need = m
                break
        else:
            need = BIN_MULTIPLES[-1]
    return need
