"""Telemetry and events readers (docs/design.md §3.2).

:func:`read_telemetry` reads the canonical long CSV, the wide CSV of public ISS telemetry archives, Parquet
(long or wide columns) and ISS Live recorder files (one file, or a folder of them), runs the data checks of
:mod:`hullbreach.telemetry.checks`, converts values from the sensor's unit (station file) to SI and returns a
:class:`~hullbreach.telemetry.frame.TelemetryFrame`. :func:`read_events` (the events CSV) lives in
:mod:`hullbreach.telemetry.events` and is re-exported here.

Formats (full description in docs/telemetry.md):

* ``long``: CSV with header ``time,channel,value`` (any column order; extra columns are ignored). ``time``
  is ISO 8601 with a zone or UNIX seconds [s].
* ``wide``: CSV whose first column is the time (UNIX seconds, or ISO 8601) and every other column a channel
  (sensor id). An empty cell is "no sample" (archives leave a cell empty when an item did not update); a
  cell reading ``nan`` is a missing sample and is quarantined.
* ``parquet``: columns ``time, channel, value`` (long) or a time column first and one column per channel
  (wide; null = no sample, NaN = missing sample). ``time`` may be a timestamp (with zone; zone-less is read
  as UTC and counted) or UNIX seconds. Locations are ``file:row N`` (1-based data row).
* ``isslive``: see :mod:`hullbreach.telemetry.isslive`.

Auto-detection (``fmt=None``): a folder is ``isslive``; ``.parquet``/``.pq`` is ``parquet``; a file named
like an ISS Live file whose first line is two numbers is ``isslive``; a CSV whose header holds ``time``,
``channel`` and ``value`` is ``long``; any other CSV is ``wide``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hullbreach.errors import TelemetryError
from hullbreach.telemetry import isslive as _isslive
from hullbreach.telemetry.checks import CheckConfig, check_samples
from hullbreach.telemetry.csvtext import read_csv_text
from hullbreach.telemetry.events import DETAIL_KEYS, GASES, parse_detail, read_events  # noqa: F401 (re-exported)
from hullbreach.telemetry.frame import TelemetryFrame
from hullbreach.telemetry.parse import check_time_column, parse_times, time_column, utc_times

FORMATS = ("long", "wide", "parquet", "isslive")


def _station(station):
    from hullbreach.station import Station, load_station
    return station if isinstance(station, Station) else load_station(station)


# ------------------------------------------------------------------------------------------- detection
def _first_line(path: Path) -> str:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            for line in fh:
                if line.strip():
                    return line.strip()
    except OSError as exc:
        raise TelemetryError(f"cannot read {path}: {exc.strerror}", source=str(path)) from None
    return ""


def _header_fields(line: str) -> list[str]:
    return [f.strip().strip('"').strip().lower() for f in line.split(",")]


def detect_format(path: str | Path) -> str:
    """Guess the telemetry format of ``path``: one of :data:`FORMATS` (rules in the module docstring)."""
    p = Path(path)
    if not p.exists():
        raise TelemetryError(f"telemetry file {p} does not exist", hint="check the path")
    if p.is_dir():
        return "isslive"
    if p.suffix.lower() in (".parquet", ".pq"):
        return "parquet"
    if _isslive.looks_like_isslive(p):
        return "isslive"
    head = _header_fields(_first_line(p))
    if {"time", "channel", "value"} <= set(head):
        return "long"
    return "wide"


# --------------------------------------------------------------------------------------------- readers
def read_telemetry(path: str | Path, station, *, strict: bool = False, fmt: str | None = None,
                   year: int | None = None, config: CheckConfig | None = None) -> TelemetryFrame:
    """Read a telemetry file (or ISS Live folder), check it and convert it to SI.

    Parameters
    ----------
    path : str or Path
        Telemetry file, or a folder of ISS Live recorder files.
    station : Station or str
        Station model, built-in name or TOML path; gives each channel's unit, quantity and noise.
    strict : bool
        Raise :class:`~hullbreach.errors.TelemetryError` at the first problem (message: file, line,
        channel, what to do). Default lenient: bad samples are quarantined and counted.
    fmt : {"long", "wide", "parquet", "isslive"}, optional
        Format; detected when omitted.
    year : int, optional
        Year of ISS Live files whose names carry no date.
    config : CheckConfig, optional
        Check thresholds.

    Returns
    -------
    TelemetryFrame
        ``data``: time (datetime64[ns, UTC]), channel (categorical of sensor ids), value [SI: Pa, K],
        sorted by time then channel. Every input sample is in ``data`` or ``quarantined``.
    """
    st = _station(station)
    p = Path(path)
    if fmt is None:
        fmt = detect_format(p)
    elif fmt not in FORMATS:
        raise TelemetryError(f"unknown telemetry format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    if not p.exists():
        raise TelemetryError(f"telemetry file {p} does not exist", hint="check the path")
    if fmt == "long":
        raw, lines = read_long_csv_raw(p, strict=strict)
        return check_samples(raw, st, strict=strict, source=str(p), lines=lines, config=config)
    if fmt == "wide":
        raw, lines = read_wide_csv_raw(p, strict=strict)
        return check_samples(raw, st, strict=strict, source=str(p), lines=lines, config=config,
                             lines_are_times=raw.attrs.get("lines_are_times", False))
    if fmt == "parquet":
        return _read_parquet(p, st, strict, config)
    return read_isslive(p, st, strict=strict, year=year, config=config)


def read_long_csv_raw(path: str | Path, *, strict: bool = False):
    """Read a canonical long CSV as text: ``(raw, lines)`` for :func:`check_samples`."""
    p = Path(path)
    df, lines, problems = read_csv_text(p, strict)
    cols = {c.lower(): c for c in df.columns}
    missing = [c for c in ("time", "channel", "value") if c not in cols]
    if missing:
        raise TelemetryError(f"long CSV header lacks {', '.join(missing)} (header: {','.join(df.columns)})",
                             source=f"{p}:1", hint="the header must be time,channel,value")
    raw = pd.DataFrame({"time": df[cols["time"]], "channel": df[cols["channel"]],
                        "value": df[cols["value"]]})
    if problems is not None:
        raw["reason"] = pd.Series(problems, dtype=object)
    return raw, lines


def read_wide_csv_raw(path: str | Path, *, strict: bool = False):
    """Read a wide CSV (first column time, then one column per channel) into a channel-major raw table.

    Empty cells are not samples. Returns ``(raw, lines)`` with columns ``time`` (datetime64 UTC, NaT where
    unreadable), ``channel``, ``value`` (text), ``reason`` and ``naive_time``.
    """
    p = Path(path)
    df, lines, problems = read_csv_text(p, strict)
    if df.shape[1] < 2:
        raise TelemetryError("wide CSV needs a time column and at least one channel column", source=f"{p}:1",
                             hint="write 'time,<channel>,<channel>...' or use the long format time,channel,value")
    names = list(df.columns)
    it = time_column(names)
    tcol, chans = names[it], names[:it] + names[it + 1:]
    if len(set(chans)) != len(chans):
        dup = sorted({c for c in chans if chans.count(c) > 1})
        raise TelemetryError(f"channel column(s) {', '.join(dup)} appear twice in the header", source=f"{p}:1",
                             hint="give each channel one column")
    return _wide_to_raw(df[tcol], {c: df[c] for c in chans}, lines, problems, text=True, where=f"{p}:1")


def _wide_to_raw(time_col: pd.Series, columns: dict, lines: np.ndarray, problems=None, text: bool = True,
                 present: dict | None = None, where: str = ""):
    """Channel-major long table from a wide table; the time column is parsed once.

    ``present[c]`` (bool per row) says which cells of column ``c`` are samples; by default non-empty text.
    Rows whose time is unreadable carry a ``reason``; zone-less times are flagged in ``naive_time``. A time
    column that counts rows raises (:func:`~hullbreach.telemetry.parse.check_time_column`; ``where`` is the
    header's ``file:line``).
    """
    ns, bad, naive = parse_times(time_col)
    check_time_column(str(time_col.name), ns, bad, where)
    nrow = len(time_col)
    row_reason = np.full(nrow, None, dtype=object)
    if bad.any():
        txt = time_col.astype("str").to_numpy(dtype=object)
        row_reason[bad] = [f"unreadable time {x!r}" for x in txt[bad]]
    if problems is not None:
        prob = np.asarray(problems, dtype=object)
        has = pd.notna(prob)
        row_reason[has] = prob[has]
    has_reason = pd.notna(row_reason)
    names = list(columns)
    idxs = []
    for c in names:
        if present is not None:
            keep = np.asarray(present[c], dtype=bool)
        elif text:
            keep = columns[c].to_numpy(dtype=object) != ""
        else:
            keep = np.ones(nrow, bool)
        idxs.append(None if keep.all() else np.flatnonzero(keep))
    counts = [nrow if i is None else len(i) for i in idxs]
    vdtype = object if text else float

    def stack(a: np.ndarray) -> np.ndarray:
        """Column-major repetition of a per-row array, keeping only the cells that are samples."""
        if all(i is None for i in idxs):
            return np.tile(a, len(names))
        return np.concatenate([a if i is None else a[i] for i in idxs]) if names else a[:0]

    vals = np.concatenate([columns[c].to_numpy(dtype=vdtype) if i is None else columns[c].to_numpy(dtype=vdtype)[i]
                           for c, i in zip(names, idxs)]) if names else np.empty(0)
    raw = pd.DataFrame({
        "time": utc_times(stack(ns)),
        "channel": pd.Categorical.from_codes(np.repeat(np.arange(len(names), dtype=np.int8 if len(names) < 127
                                                                 else np.int32), counts), categories=names),
        "value": vals,
    }, copy=False)
    if has_reason.any():
        raw["reason"] = stack(row_reason)
    if naive.any():
        raw["naive_time"] = stack(naive)
    good = ns[~bad]
    raw.attrs["lines_are_times"] = bool(len(good) < 2 or np.all(good[1:] > good[:-1]))
    return raw, stack(np.asarray(lines, dtype=np.int64))


def _parquet_schema_names(p: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        return list(pq.read_schema(p).names)
    except (OSError, pa.ArrowInvalid) as exc:
        raise TelemetryError(f"cannot read Parquet file: {exc}", source=str(p),
                             hint="check the file is Parquet, or give fmt") from None


def _parquet_is_long(names: list[str]) -> bool:
    return {"time", "channel", "value"} <= {n.lower() for n in names}


def read_parquet_raw(path: str | Path):
    """Read a Parquet telemetry file (long or wide) as a raw table; returns ``(raw, rows)`` (1-based rows)."""
    import pyarrow.parquet as pq
    p = Path(path)
    names = _parquet_schema_names(p)
    low = {n.lower(): n for n in names}
    if _parquet_is_long(names):
        return _parquet_long_raw(_read_long_table(p, names), low)
    if len(names) < 2:
        raise TelemetryError("Parquet telemetry needs columns time, channel, value or a time column and "
                             "one column per channel", source=str(p))
    return _parquet_wide_raw(pq.read_table(p), str(p))


def _read_long_table(p: Path, names: list[str]):
    import pyarrow.parquet as pq
    low = {n.lower(): n for n in names}
    return pq.read_table(p, columns=[low["time"], low["channel"], low["value"]], read_dictionary=[low["channel"]])


def _parquet_long_raw(tab, low: dict):
    """A long Arrow table (time, channel, value) as a raw long table; returns ``(raw, rows)`` (1-based)."""
    import pyarrow as pa
    n = tab.num_rows
    ch = tab.column(low["channel"]).combine_chunks()
    if pa.types.is_dictionary(ch.type):
        channel = pd.Categorical.from_codes(
            ch.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32),
            categories=[str(x) for x in ch.dictionary.to_pylist()])
    else:
        channel = pd.Series(ch.to_pandas(), dtype=object)
    val = tab.column(low["value"])
    value = val.to_pandas() if not pa.types.is_floating(val.type) else \
        val.combine_chunks().to_numpy(zero_copy_only=False)
    raw = pd.DataFrame({"time": _arrow_time(tab.column(low["time"])), "channel": channel, "value": value})
    return raw, np.arange(1, n + 1, dtype=np.int64)


def _parquet_wide_raw(tab, source: str = "<parquet>"):
    """A wide Arrow table (time first, one column per channel) as a channel-major raw long table."""
    import pyarrow as pa
    names = list(tab.column_names)
    n = tab.num_rows
    tcol = _arrow_time(tab.column(0)).rename(names[0])
    cols, present = {}, {}
    for name in names[1:]:
        col = tab.column(name).combine_chunks()
        present[name] = ~col.is_null().to_numpy(zero_copy_only=False)
        if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
            cols[name] = pd.Series(col.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False))
        else:
            cols[name] = pd.Series(col.to_pandas(), dtype=object)
    text = not all(pd.api.types.is_float_dtype(c.dtype) for c in cols.values())
    return _wide_to_raw(tcol, cols, np.arange(1, n + 1, dtype=np.int64), None, text=text, present=present,
                        where=f"{source}:header")


def _read_parquet(p: Path, st, strict: bool, config) -> TelemetryFrame:
    """Read and check a Parquet file; wide files of numbers are checked column by column (:mod:`.wide`)."""
    import pyarrow.parquet as pq
    names = _parquet_schema_names(p)
    if _parquet_is_long(names):
        low = {n.lower(): n for n in names}
        frame = _check_long_file(p, names, st, strict, config)
        if frame is not None:
            return frame
        tab = _read_long_table(p, names)
        frame = _check_long_table(tab, low, p, st, strict, config, dense_first=False)
        if frame is not None:
            return frame
        raw, lines = _parquet_long_raw(tab, low)
        del tab
    elif len(names) < 2:
        raw, lines = read_parquet_raw(p)
    else:
        tab = pq.read_table(p)
        it = time_column(names)
        if it:  # the time column first (a logger's row number may come first)
            tab = tab.select([names[it]] + names[:it] + names[it + 1:])
        frame = _check_wide_table(tab, p, st, strict, config)
        if frame is not None:
            return frame
        raw, lines = _parquet_wide_raw(tab, str(p))
        del tab
    return check_samples(raw, st, strict=strict, source=str(p), lines=lines, line_label="row ", config=config,
                         lines_are_times=raw.attrs.get("lines_are_times", False))


def _check_wide_table(tab, p: Path, st, strict: bool, config) -> TelemetryFrame | None:
    """The column-by-column checks on a wide Arrow table of numbers, or None when they do not apply."""
    import pyarrow as pa
    from hullbreach.telemetry.wide import check_wide
    names = list(tab.column_names)
    chans = names[1:]
    if len(set(chans)) != len(chans):
        return None
    if not all(pa.types.is_floating(tab.column(c).type) or pa.types.is_integer(tab.column(c).type) for c in chans):
        return None
    ns, bad, naive = parse_times(_arrow_time(tab.column(0)))
    if bad.any():
        return None
    check_time_column(names[0], ns, bad, f"{p}:header")

    def column(name):
        col = tab.column(name)
        if not pa.types.is_float64(col.type):
            col = col.cast(pa.float64())
        present = None
        if col.null_count:
            present = ~col.is_null().to_numpy()
            col = col.fill_null(np.nan)
        vals = col.chunk(0).to_numpy() if col.num_chunks == 1 else col.to_numpy()
        return vals, present

    return check_wide(ns, naive, chans, column, st, strict=strict, source=str(p), line_label="row ",
                      config=config)


def _grid_path_types(time_type, value_type) -> bool:
    """Whether a long file's column types allow the grid path: times with a zone or UNIX seconds, numeric
    values (text or zone-less times go to the long path, which parses and counts them)."""
    import pyarrow as pa
    num = lambda t: pa.types.is_integer(t) or pa.types.is_floating(t)  # noqa: E731
    return bool((pa.types.is_timestamp(time_type) and time_type.tz) or num(time_type)) and num(value_type)


def _check_dense(dense, p: Path, st, strict: bool, config) -> TelemetryFrame | None:
    from hullbreach.telemetry.wide import check_wide
    times, in_order, column = dense
    return check_wide(times, np.zeros(len(times), bool), in_order, column, st, strict=strict, source=str(p),
                      line_label="row ", config=config)


def _check_long_file(p: Path, names: list[str], st, strict: bool, config) -> TelemetryFrame | None:
    """The usual long layout checked while it is read (:func:`_dense_long_layout` on the Parquet file's
    record batches: the Arrow table is never built), or None."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    low = {n.lower(): n for n in names}
    try:
        pf = pq.ParquetFile(p, read_dictionary=[low["channel"]])
        sch = pf.schema_arrow
        if not _grid_path_types(sch.field(low["time"]).type, sch.field(low["value"]).type):
            return None
        cols = [low["time"], low["channel"], low["value"]]
        dense = _dense_long_layout(pf.iter_batches(batch_size=1 << 20, columns=cols), pf.metadata.num_rows, 0, 1, 2)
    except (OSError, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return None if dense is None else _check_dense(dense, p, st, strict, config)


def _check_long_table(tab, low: dict, p: Path, st, strict: bool, config,
                      dense_first: bool = True) -> TelemetryFrame | None:
    """The column-by-column checks on a long Arrow table laid out on a time grid, or None when they do not apply.

    A long file sorted by time, with at most one sample per channel and time, is a wide table written row by
    row: each channel's samples are gathered onto the file's distinct times (absent = no sample) with their
    own file rows as locations, and checked by :func:`hullbreach.telemetry.wide.check_wide` (same frame as
    the long path; tested). Files with unsorted or repeated samples, zone-less or unreadable times, text
    values or unknown channels go to the long path, which reports them.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from hullbreach.telemetry.wide import check_wide
    tcol, ccol, vcol = tab.column(low["time"]), tab.column(low["channel"]), tab.column(low["value"])
    n = tab.num_rows
    if n == 0 or tcol.null_count or ccol.null_count:
        return None
    if not _grid_path_types(tcol.type, vcol.type):
        return None
    names_fc = list(tab.column_names)
    if dense_first:
        dense = _dense_long_layout(tab.to_batches(), n, names_fc.index(low["time"]), names_fc.index(low["channel"]),
                                   names_fc.index(low["value"]))
        if dense is not None:
            return _check_dense(dense, p, st, strict, config)
    try:
        ch = ccol.unify_dictionaries().combine_chunks() if pa.types.is_dictionary(ccol.type) else \
            pc.dictionary_encode(ccol.combine_chunks())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if not pa.types.is_string(ch.type.value_type) and not pa.types.is_large_string(ch.type.value_type):
        return None
    dict_names = [str(x) for x in ch.dictionary.to_pylist()]
    codes = ch.indices.to_numpy(zero_copy_only=False)
    ns = _arrow_ns(tcol)
    if ns is None:
        return None
    if n > 1 and bool(np.any(ns[1:] < ns[:-1])):
        return None  # out of order: the long path re-sorts and counts
    per_code = np.bincount(codes, minlength=len(dict_names))
    used = [(dict_names[c], c) for c in range(len(dict_names)) if per_code[c]]
    if len({nm for nm, _ in used}) != len(used):
        return None
    if vcol.null_count:
        vcol = vcol.fill_null(np.nan)
    v = vcol.combine_chunks().cast(pa.float64()).to_numpy(zero_copy_only=False)
    new = np.empty(n, bool)
    new[0] = True
    np.not_equal(ns[1:], ns[:-1], out=new[1:])
    times = ns[new]
    n_t = len(times)
    # scatter every row onto a (channel x time) grid: cell = slot * n_t + time index
    slot_lut = np.full(len(dict_names), -1, np.int64)
    for j, (_, c) in enumerate(used):
        slot_lut[c] = j
    cell = np.cumsum(new, dtype=np.int64)
    del new, ns
    cell -= 1
    cell += slot_lut[codes] * n_t
    m = len(used)
    present = np.zeros(m * n_t, bool)
    present[cell] = True
    if int(np.count_nonzero(present)) != n:
        return None  # two samples of a channel at one time: duplicates and conflicts need the long path
    grid = np.empty(m * n_t)
    grid[cell] = v
    row_of = np.empty(m * n_t, np.int64 if n >= 2**31 - 1 else np.int32)
    row_of[cell] = np.arange(1, n + 1, dtype=row_of.dtype)
    del cell, v
    grid, present, row_of = grid.reshape(m, n_t), present.reshape(m, n_t), row_of.reshape(m, n_t)
    slot = {nm: j for j, (nm, _) in enumerate(used)}

    def column(name):
        j = slot[name]
        pres = present[j]
        vals = grid[j]
        if not pres.all():
            vals = np.where(pres, vals, np.nan)  # cells without a row are "no sample" (NaN, not present)
        return vals, pres, row_of[j].astype(np.int64)

    return check_wide(times, np.zeros(n_t, bool), [nm for nm, _ in used], column, st, strict=strict,
                      source=str(p), line_label="row ", config=config)


_NS_PER_UNIT = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def _arrow_ns(col) -> np.ndarray | None:
    """UTC nanoseconds of an Arrow time column or array (timestamp with zone, or UNIX seconds); None if
    any time is unreadable (same conversion as :func:`parse_times`)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if pa.types.is_timestamp(col.type):  # UTC integers in the column's unit: no pandas round trip
        ns = np.asarray(pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        f = _NS_PER_UNIT[col.type.unit]
        return ns * f if f != 1 else ns
    ns, bad, _ = parse_times(pd.Series(col.to_numpy(zero_copy_only=False)))
    return None if bad.any() else np.asarray(ns, dtype=np.int64)


def _dense_long_layout(batches, n: int, it: int, ic: int, iv: int):
    """Recognise the usual long layout while reading it, batch by batch, into a (channel x time) grid.

    Every time holds the same ``m`` channels once, in the same order, and times strictly increase (how a
    logger writes a long file). ``batches`` is an iterable of Arrow record batches (a table's, or a Parquet
    file's ``iter_batches``: then no whole column is ever in memory) with ``n`` rows in all; ``it, ic, iv``
    are the time, channel and value column indices. Returns ``(times, channels, column)`` for
    :func:`hullbreach.telemetry.wide.check_wide` (``column(name) -> (values, None, file rows)``), or None
    as soon as a batch breaks the layout.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    order: list[str] = []
    m = n_t = 0
    times = grid = pattern = None
    g0 = 0
    for b in batches:
        L = b.num_rows
        if L == 0:
            continue
        t_b = _arrow_ns(b.column(it))
        if t_b is None:
            return None
        c = b.column(ic)
        if not pa.types.is_dictionary(c.type):
            c = pc.dictionary_encode(c)
        if c.null_count:
            return None
        names = c.dictionary.to_pylist()
        if not all(isinstance(x, str) for x in names):
            return None
        idx = c.indices.to_numpy(zero_copy_only=False)
        if grid is None:  # the first batch fixes m (rows of the first time) and the channel order
            later = np.flatnonzero(t_b[:4096] != t_b[0])
            if not len(later) or n % int(later[0]):
                return None
            m = int(later[0])
            order = [names[k] for k in idx[:m].tolist()]
            if len(set(order)) != m:
                return None
            n_t = n // m
            times, grid = np.empty(n_t, np.int64), np.empty((m, n_t))
        # channels: this batch's codes repeat the first time's order, from phase g0 % m
        code_of = {x: k for k, x in enumerate(names)}
        if any(nm not in code_of for nm in order) or g0 + L > n:
            return None
        row = np.array([code_of[nm] for nm in order], dtype=idx.dtype)
        if pattern is None or pattern.dtype != row.dtype or len(pattern) < L + m or \
                not np.array_equal(pattern[:m], row):
            pattern = np.resize(row, L + m)  # the codes repeating from phase 0 (built once, not per batch)
        ph = g0 % m
        if not np.array_equal(idx, pattern[ph:ph + L]):
            return None
        # times: constant within each time (group of m rows), one value per group
        i0 = (-g0) % m  # first row of this batch that starts a group
        k = (L - i0) // m if L > i0 else 0
        seg = t_b[i0::m]
        times[(g0 + i0) // m:(g0 + i0) // m + len(seg)] = seg
        if i0 and not bool(np.all(t_b[:min(i0, L)] == times[g0 // m])):
            return None  # the group begun in the previous batch
        if k and not bool((t_b[i0:i0 + k * m].reshape(k, m) == seg[:k, None]).all()):
            return None
        if i0 + k * m < L and not bool(np.all(t_b[i0 + k * m:] == t_b[i0 + k * m])):
            return None  # a group continued in the next batch
        vb = b.column(iv)
        if vb.null_count:
            vb = vb.fill_null(np.nan)
        vb = np.asarray(vb.cast(pa.float64()).to_numpy(zero_copy_only=False))
        for j in range(m):
            i0 = (j - g0) % m
            if i0 < L:
                seg = vb[i0::m]
                o = (g0 + i0) // m
                grid[j, o:o + len(seg)] = seg
        g0 += L
    if grid is None or g0 != n or (n_t > 1 and not bool(np.all(times[1:] > times[:-1]))):
        return None
    slot_of = {nm: j for j, nm in enumerate(order)}

    def column(name):
        j = slot_of[name]
        return grid[j], None, np.arange(j + 1, n + 1, m, dtype=np.int64)

    return times, order, column


def _arrow_time(col) -> pd.Series:
    """An Arrow time column as a pandas Series: timestamps keep their zone (or lack of it); numbers stay numbers."""
    import pyarrow as pa
    if pa.types.is_timestamp(col.type):
        s = col.to_pandas()
        return s.dt.as_unit("ns") if hasattr(s, "dt") else s
    return col.to_pandas()


def read_isslive(path: str | Path, station, *, strict: bool = False, year: int | None = None,
                 config: CheckConfig | None = None) -> TelemetryFrame:
    """Read one ISS Live recorder file or a folder of them (one telemetry set) and check it."""
    st = _station(station)
    p = Path(path)
    if p.is_dir():
        files, other = _isslive.isslive_files(p)
        if other and strict:
            raise TelemetryError(f"{other[0].name} in the ISS Live folder is not named <ITEM>_<YYYY-MM-DD>.txt",
                                 source=str(other[0]), hint="move it out of the folder or rename it")
        if not files:
            raise TelemetryError("no ISS Live recorder files in this folder", source=str(p),
                                 hint="files are named <ITEM>_<YYYY-MM-DD>.txt, e.g. USLAB000058_2018-08-29.txt")
    else:
        files, other = [p], []
    raws, lines, srcs = [], [], []
    for f in files:
        raw, ln = _isslive.read_isslive_file(f, year)
        raws.append(raw)
        lines.append(ln)
        srcs.append(np.full(len(raw), str(f), dtype=object))
    raw = pd.concat(raws, ignore_index=True) if len(raws) > 1 else raws[0]
    frame = check_samples(raw, st, strict=strict, source=str(p), lines=np.concatenate(lines),
                          files=np.concatenate(srcs), config=config)
    if other:
        from dataclasses import replace
        frame = replace(frame, warnings=frame.warnings + tuple(
            f"ignored {o.name}: not named like an ISS Live file (<ITEM>_<YYYY-MM-DD>.txt)" for o in other))
    return frame
