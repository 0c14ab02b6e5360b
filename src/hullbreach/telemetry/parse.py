"""Parsing of raw telemetry columns: times to UTC nanoseconds, values to float, channel ids to codes.

Used by the data checks (:mod:`hullbreach.telemetry.checks`), the readers and the streaming API. Everything
is vectorised (Arrow compute kernels and numpy); unreadable cells are flagged, never dropped.

Public helpers shared by the telemetry modules (no private name crosses a module): :data:`NAT_NS`,
:func:`parse_times`, :func:`parse_values`, :func:`unix_to_ns`, :func:`channel_codes`, :func:`format_ns`,
:func:`utc_times`, :func:`time_column`, :func:`check_time_column`. Times are int64 nanoseconds since the UNIX
epoch, UTC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hullbreach.errors import TelemetryError
from hullbreach.telemetry.config import DEFAULT_CONFIG, CheckConfig

#: int64 nanoseconds of NaT (unreadable time).
NAT_NS = np.iinfo(np.int64).min

_NUMBER_RX = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_ZONED_RX = r"\d{1,2}:\d{2}.*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"
_MISSING_TEXT = {"", "nan", "na", "n/a", "null", "none", "-nan"}


def _pc():
    import pyarrow.compute as pc
    return pc


def _arrow_text(series: pd.Series):
    """A column as an Arrow string array, blanks trimmed (nulls stay null)."""
    import pyarrow as pa
    try:
        if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
            arr = pa.array(series.array)  # no copy
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            if arr.type != pa.string():
                arr = arr.cast(pa.string())
        else:
            arr = pa.array(series.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array(series.astype(str).to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    return _pc().utf8_trim_whitespace(arr)


def parse_times(series: pd.Series, cfg: CheckConfig = DEFAULT_CONFIG):
    """Parse a time column to UTC nanoseconds.

    Accepts datetime64 (zone-aware: converted to UTC; zone-less: read as UTC and flagged), numbers (UNIX
    seconds [s]) and strings (ISO 8601, or UNIX seconds written as a number).

    Returns
    -------
    ns : numpy.ndarray of int64
        Nanoseconds since 1970-01-01T00:00:00Z; ``iinfo(int64).min`` where unreadable.
    bad : numpy.ndarray of bool
        Unreadable (or missing) times.
    naive : numpy.ndarray of bool
        Times written without a zone (read as UTC).
    """
    n = len(series)
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        s = series if str(dtype.tz) == "UTC" else series.dt.tz_convert("UTC")
        if s.dt.unit != "ns":
            s = s.dt.as_unit("ns")
        try:
            ns = np.asarray(s.array.asi8)  # zero-copy view of the UTC nanoseconds
        except AttributeError:  # pragma: no cover - other pandas versions
            ns = s.dt.tz_localize(None).to_numpy().view(np.int64)
        bad = ns == NAT_NS
        return ns, bad, np.zeros(n, bool)
    if pd.api.types.is_datetime64_dtype(dtype):
        ns = series.dt.as_unit("ns").to_numpy().view(np.int64)
        bad = ns == NAT_NS
        return ns, bad, ~bad
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return (*unix_to_ns(np.asarray(series, dtype=float), cfg), np.zeros(n, bool))
    # Strings (or mixed objects): vectorised with Arrow compute kernels (no per-row Python).
    arr = _arrow_text(series)
    is_num = _pc().match_substring_regex(arr, _NUMBER_RX).to_numpy(zero_copy_only=False)
    is_num = np.asarray(pd.array(is_num).fillna(False) if is_num.dtype == object else is_num, dtype=bool)
    ns = np.full(n, NAT_NS, dtype=np.int64)
    bad = np.zeros(n, bool)
    naive = np.zeros(n, bool)
    if is_num.any():
        num = _pc().cast(arr.filter(is_num), "float64").to_numpy(zero_copy_only=False)
        ns_num, bad_num = unix_to_ns(np.asarray(num, dtype=float), cfg)
        ns[is_num] = ns_num
        bad[is_num] = bad_num
    rest = ~is_num
    if rest.any():
        sub_arr = arr.filter(rest)
        sub = pd.Series(sub_arr.to_pandas(), dtype=object)
        parsed = pd.to_datetime(sub, utc=True, format="ISO8601", errors="coerce")
        sub_ns = parsed.dt.tz_localize(None).dt.as_unit("ns").to_numpy().view(np.int64)
        ns[rest] = sub_ns
        bad[rest] = sub_ns == NAT_NS
        # A zone must follow a clock time: a date-only "2018-08-29" ends in "-29", which is no zone.
        zoned = _pc().match_substring_regex(sub_arr, _ZONED_RX).fill_null(False).to_numpy(zero_copy_only=False)
        naive[rest] = ~np.asarray(zoned, dtype=bool) & ~bad[rest]
    return ns, bad, naive


def unix_to_ns(sec: np.ndarray, cfg: CheckConfig):
    """UNIX seconds (float) to int64 ns, exact to the float's precision; out-of-range -> bad.

    Returns ``(ns, bad)``; ``ns`` is :data:`NAT_NS` where ``bad``."""
    ok = np.isfinite(sec) & (sec >= cfg.unix_min_s) & (sec <= cfg.unix_max_s)
    ns = np.full(len(sec), NAT_NS, dtype=np.int64)
    s = sec[ok]
    whole = np.floor(s)
    ns[ok] = whole.astype(np.int64) * 1_000_000_000 + np.round((s - whole) * 1e9).astype(np.int64)
    return ns, ~ok


def parse_values(series: pd.Series):
    """Parse a value column to float.

    Returns ``(values, missing, infinite, unreadable)``: float64 values (NaN where missing or unreadable)
    and three boolean masks. Empty text, ``nan``, ``NA``, ``null`` and ``None`` count as missing.
    """
    dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        v = series.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(v)
        return v, missing, np.isinf(v), np.zeros(len(v), bool)
    arr = _arrow_text(series)
    pc = _pc()
    n = len(arr)
    numeric = np.asarray(pc.match_substring_regex(arr, _NUMBER_RX).fill_null(False).to_numpy(zero_copy_only=False),
                         dtype=bool)
    v = np.full(n, np.nan)
    if numeric.any():
        v[numeric] = np.asarray(pc.cast(arr.filter(numeric), "float64").to_numpy(zero_copy_only=False), dtype=float)
    rest = np.flatnonzero(~numeric)
    if len(rest):  # words (nan, inf, NA, ...), empties and garbage: few rows, the careful path
        text = pd.Series(arr.take(rest).to_pandas(), dtype=object).fillna("")
        v[rest] = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    nan = np.isnan(v)
    missing = nan.copy()
    unreadable = np.zeros(len(v), bool)
    if nan.any():
        idx = np.flatnonzero(nan)
        words = pd.Series(arr.take(idx).to_pandas(), dtype=object).fillna("").astype(str).str.lower()
        is_missing_word = words.isin(_MISSING_TEXT).to_numpy(dtype=bool) | series.iloc[idx].isna().to_numpy(dtype=bool)
        missing[idx] = is_missing_word
        unreadable[idx] = ~is_missing_word
    return v, missing, np.isinf(v), unreadable


def channel_codes(ch: pd.Series, sensor_ids: list[str]) -> np.ndarray:
    """Index of each row's channel in ``sensor_ids`` (-1 when unknown or missing)."""
    index = pd.Index(sensor_ids, dtype=object)
    if isinstance(ch.dtype, pd.CategoricalDtype):
        codes = ch.cat.codes.to_numpy()
        mapping = index.get_indexer(pd.Index(ch.cat.categories.astype(str), dtype=object))
        mapping = np.append(mapping, -1)  # code -1 (missing) maps to -1
        return mapping[codes].astype(np.int32)
    if isinstance(ch.dtype, pd.StringDtype) and ch.dtype.storage == "pyarrow":
        import pyarrow as pa
        arr = pa.array(ch.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        enc = arr.dictionary_encode()
        mapping = index.get_indexer(pd.Index(enc.dictionary.to_pylist(), dtype=object))
        mapping = np.append(mapping, -1)
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return mapping[codes].astype(np.int32)
    return index.get_indexer(pd.Index(ch.to_numpy(dtype=object), dtype=object)).astype(np.int32)


def format_ns(ns: int) -> str:
    """One time in int64 UTC nanoseconds as ISO 8601 text ending in ``Z`` (``NaT`` for :data:`NAT_NS`)."""
    if ns == NAT_NS:
        return "NaT"
    return pd.Timestamp(int(ns), tz="UTC").isoformat().replace("+00:00", "Z")


def utc_times(ns: np.ndarray):
    """UTC nanoseconds (int64) as zone-aware datetimes, without a conversion pass or a copy.

    Returns a ``DatetimeArray`` (UTC) sharing memory with ``ns`` when pandas allows it (the public
    constructors copy: 0.5 s and 400 MB for 52 M times), else a DatetimeIndex.
    """
    m8 = np.ascontiguousarray(ns, dtype=np.int64).view("datetime64[ns]")
    try:
        from pandas.core.arrays import DatetimeArray
        out = DatetimeArray._simple_new(m8, dtype=_UTC_DTYPE)
        if out.dtype == _UTC_DTYPE and len(out) == len(m8):
            return out
    except (ImportError, AttributeError, TypeError, ValueError):  # pragma: no cover - other pandas versions
        pass
    return pd.DatetimeIndex(m8, dtype="datetime64[ns, UTC]")  # pragma: no cover


_UTC_DTYPE = pd.DatetimeTZDtype("ns", "UTC")


#: Column names that say "time" (lower case, letters only): ``time``, ``time_stamp``, ``Date/Time``,
#: ``timestamp``, ``UTC``, ``unix_time`` ... A wide table's time column is the first column, unless another one
#: is named so and the first is not (a logger's row number first, its time stamp last: the Astro Pi's files).
TIME_NAMES = frozenset({"time", "times", "timestamp", "timestamps", "datetime", "date", "utc", "gmt", "timeutc",
                        "utctime", "timegmt", "unixtime", "unixtimes", "unix", "epoch", "t", "ts", "timeunix", "timesec",
                        "timestamputc", "datetimeutc", "utcdatetime", "timeiso"})
#: Earliest time a telemetry sample can carry [ns since 1970, UTC]: 1998-11-20, the ISS's first module in
#: orbit. A column whose every value reads earlier (UNIX seconds 1, 2, 3 ...) counts rows, not time.
EARLIEST_NS = 911_520_000 * 10**9


def _letters(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if "a" <= ch <= "z")


def time_column(names: list[str]) -> int:
    """Index of the time column of a wide table with header ``names``: the first column, unless it is not
    named like a time (:data:`TIME_NAMES`) and a later column is, which is then the time column."""
    if not names or _letters(names[0]) in TIME_NAMES:
        return 0
    return next((i for i, n in enumerate(names) if _letters(n) in TIME_NAMES), 0)


def check_time_column(name: str, ns: np.ndarray, bad: np.ndarray, where: str) -> None:
    """Refuse a time column that counts rows: not named like a time and every readable value before
    :data:`EARLIEST_NS` (so read as UNIX seconds in 1970). Raises :class:`TelemetryError` naming the column
    and ``where`` (``file:line`` of the header). A column named like a time may hold any times (simulated
    records count seconds from 0)."""
    good = ns[~bad]
    if _letters(name) in TIME_NAMES or not len(good) or good.max() >= EARLIEST_NS:
        return
    raise TelemetryError(
        f"the time column {name!r} does not hold times: its values read as UNIX seconds "
        f"{good.min() / 1e9:g}-{good.max() / 1e9:g}, in 1970 (a row number?)", source=where,
        hint="name the time column 'time' (ISO 8601 with a zone, or UNIX seconds) or put it first")
