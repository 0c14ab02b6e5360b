"""Fast path of the data checks for wide tables (one time column, one float column per channel).

A wide file already holds the per-channel arrays the checks need, so :func:`check_wide` checks it column
by column, without the long ``time, channel, value`` detour of :func:`~hullbreach.telemetry.checks.check_samples`:
the shared time column is parsed and tested once (strictly increasing means that no channel has
duplicates, conflicts or out-of-order samples), each column is checked on its own contiguous float64
array (missing, infinite, impossible, spikes, stuck, gaps; the same per-channel code as the long path),
and the long table of accepted samples is built once at the end from a (time x channel) grid, with no sort.

Same result as the long path (tested): same ``data``, ``quarantined`` (file order), channel reports,
counts, warnings and gaps. When the file needs what only the long path does (unreadable or repeated or
unsorted times, unknown channels, a channel without any usable sample, strict mode with a problem) the
function returns ``None`` and the caller uses :func:`check_samples`.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Callable

import numpy as np
import pandas as pd

from hullbreach.telemetry.channel import check_channel
from hullbreach.telemetry.checks import quarantine_table, summarise
from hullbreach.telemetry.config import DEFAULT_CONFIG, CheckConfig
from hullbreach.telemetry.frame import SampleGrid, TelemetryFrame
from hullbreach.telemetry.parse import utc_times
from hullbreach.telemetry.reasons import INFINITE, MISSING, REASON_NAMES


def check_wide(ns: np.ndarray, naive: np.ndarray, names: list[str],
               column: Callable[[str], tuple[np.ndarray, np.ndarray | None]], station, *,
               strict: bool = False, source: str = "<data>", lines: np.ndarray | None = None,
               line_label: str = "", config: CheckConfig | None = None) -> TelemetryFrame | None:
    """Check a wide table column by column; ``None`` when the long path is needed (see module docstring).

    Parameters
    ----------
    ns : numpy.ndarray of int64
        Time of each row [ns since 1970-01-01T00:00:00Z, UTC], already parsed (no unreadable time).
    naive : numpy.ndarray of bool
        Rows whose time was written without a zone (read as UTC).
    names : list of str
        Channel columns in file order (sensor ids).
    column : callable
        ``column(name) -> (values, present[, lines])``: the column's values as float64 in the sensor's unit,
        which rows hold a sample (``None``: all) and, optionally, the 1-based file line (row) of each
        sample when it is not the row's (a long file laid out on a time grid: every sample has its own
        row). Called once per channel, so one column at a time needs to be in memory as numpy.
    station, strict, source, line_label, config
        As for :func:`~hullbreach.telemetry.checks.check_samples`.
    lines : numpy.ndarray of int64, optional
        1-based line (row) number of each row; default row number + 1.

    Returns
    -------
    TelemetryFrame or None
        The same frame :func:`check_samples` returns on the equivalent long table.
    """
    cfg = config or DEFAULT_CONFIG
    ns = np.asarray(ns, dtype=np.int64)
    n = len(ns)
    lines = np.arange(1, n + 1, dtype=np.int64) if lines is None else np.asarray(lines, dtype=np.int64)
    naive = np.asarray(naive, dtype=bool)
    if strict and naive.any():
        return None
    if len(set(names)) != len(names) or not names or any(c not in station.sensors for c in names):
        return None
    if n > 1 and not bool(np.all(ns[1:] > ns[:-1])):
        return None  # repeated or unsorted times: duplicates / out of order need the long path
    present = sorted(names)
    jcol = {sid: j for j, sid in enumerate(present)}
    nch = len(present)
    grid_v = np.empty((nch, n))
    grid_m = np.zeros((nch, n), bool)
    results: dict = {}
    # Quarantined cells per channel: (line, file column, code, time, raw value, channel, reason text).
    q_parts = []
    naive_counts: dict[str, int] = {}
    naive_first = None  # line of the first candidate with a zone-less time (first column that has one)
    any_naive = bool(naive.any())
    buf_v, buf_t, all_rows = np.empty(n), np.empty(n, np.int64), None
    for fc, sid in enumerate(names):
        got = column(sid)
        vals, pres = got[0], got[1]
        col_lines = got[2] if len(got) > 2 and got[2] is not None else lines
        vals = np.asarray(vals, dtype=np.float64)  # nulls (no sample) are NaN here; ``pres`` tells them apart
        if pres is not None and bool(np.all(pres)):
            pres = None
        if pres is not None and not pres.any():
            return None  # a column without samples is no channel at all in the long path
        fin = np.isfinite(vals)
        all_fin = bool(fin.all())
        if not all_fin and not fin.any():
            return None  # a channel without any usable sample: the long path reports it
        # candidates (present, finite), as row indices in time order; gathered into buffers reused by every
        # channel (fresh n-sized arrays per channel cost more in page faults than in copying)
        if all_fin:
            if all_rows is None:
                all_rows = np.arange(n, dtype=np.int64)
            rows, v_c, t_c = all_rows, vals, ns
        else:
            rows = np.flatnonzero(fin)
            v_c = np.take(vals, rows, out=buf_v[:len(rows)])
            t_c = np.take(ns, rows, out=buf_t[:len(rows)])
        sensor = station.sensors[sid]
        mod = station.modules.get(sensor.module)
        r = check_channel(t_c, v_c, rows, sensor, cfg, getattr(mod, "kind", "") or "", increasing=True,
                           compact=False)
        del v_c, t_c, rows
        if any_naive:
            nv = naive if all_fin else naive & fin
            k = int(np.count_nonzero(nv))
            naive_counts[sid] = k
            if k and naive_first is None:
                naive_first = int(col_lines[int(np.argmax(nv))])
        # accepted cells into the grid
        j = jcol[sid]
        # (r.rows / r.si: every candidate, the quarantined ones included; they are masked out below)
        if all_fin:
            grid_v[j] = r.si
            grid_m[j] = True
        else:
            grid_v[j, fin] = r.si
            grid_m[j] = fin
        grid_m[j, r.q_rows] = False
        # quarantined cells: missing / infinite (before the channel pass), then the channel's own verdicts
        qrow_parts, qcode_parts = [], []
        if not all_fin:
            bad = np.flatnonzero(~fin if pres is None else ~fin & pres)
            qrow_parts.append(bad)
            qcode_parts.append(np.where(np.isnan(vals[bad]), MISSING, INFINITE).astype(np.int8))
        if len(r.q_rows):
            qrow_parts.append(r.q_rows)
            qcode_parts.append(r.q_codes.astype(np.int8))
        if qrow_parts:
            qrow = np.concatenate(qrow_parts)
            qtext = np.array([r.details.get(int(i), "") for i in qrow], dtype=object)
            q_parts.append((col_lines[qrow], np.full(len(qrow), fc), np.concatenate(qcode_parts), ns[qrow], vals[qrow],
                            sid, qtext))
        r.t = r.si = r.rows = None  # released: the grid holds them now
        results[sid] = r
        del vals, pres, fin
    if strict and q_parts:
        return None  # the long path raises at the first problem with its exact message

    # ---- quarantine table, file order (line, then column)
    if q_parts:
        q_line = np.concatenate([p[0] for p in q_parts])
        q_fc = np.concatenate([p[1] for p in q_parts])
        q_code = np.concatenate([p[2] for p in q_parts])
        q_t = np.concatenate([p[3] for p in q_parts])
        q_v = np.concatenate([p[4] for p in q_parts])
        q_ch = np.concatenate([np.full(len(p[0]), p[5], dtype=object) for p in q_parts])
        q_text = np.concatenate([p[6] for p in q_parts])
        order = np.lexsort((q_fc, q_line))
        q_line, q_code, q_t, q_v, q_ch, q_text = (a[order] for a in (q_line, q_code, q_t, q_v, q_ch, q_text))
    else:
        q_line = q_t = np.empty(0, np.int64)
        q_code = np.empty(0, np.int8)
        q_v = np.empty(0)
        q_ch = q_text = np.empty(0, dtype=object)

    def reason_text(i: int, c: int) -> str:
        if c == MISSING:
            return "missing value (NaN or empty)"
        if c == INFINITE:
            return f"infinite value {pd.Series(q_v[i:i + 1]).iloc[0]!r}"
        return q_text[i] or REASON_NAMES.get(c, "rejected")

    ck = SimpleNamespace(code=q_code, lines_arr=q_line, t_ns=q_t, v=q_v,
                         raw=pd.DataFrame({"channel": pd.Series(q_ch, dtype=object)}),
                         files=None, source=source, line_label=line_label, reason_text=reason_text)
    quarantined = quarantine_table(ck, np.arange(len(q_code)))

    # ---- accepted data: a (channel x time) grid; grid_to_long reads it time by time when asked (no sort)
    # (the long table is built from the grid only if someone reads frame.data: the detector bins the grid)
    grid = SampleGrid(time_ns=ns, values=grid_v, mask=grid_m, channels=tuple(present))
    del grid_v, grid_m

    # ---- reports
    qcounts = pd.Series(q_ch, dtype=object).value_counts() if len(q_ch) else None
    n_naive = int(sum(naive_counts.values()))
    channels, counts, warnings, gaps = summarise(
        results, present, station, q_codes=q_code,
        q_channel_counts=list(qcounts.items()) if qcounts is not None else [],
        naive_counts=naive_counts if n_naive else {}, n_naive=n_naive,
        naive_where=f"{source}:{line_label}{naive_first}" if n_naive else "",
        ooo_counts={}, n_ooo=0, ooo_where="")
    return TelemetryFrame(data=None, quarantined=quarantined, channels=channels, source=source,
                          counts=counts, warnings=tuple(warnings), gaps=gaps, grid=grid)


def grid_to_long(ns: np.ndarray, grid_v: np.ndarray, grid_m: np.ndarray, present: list[str],
                block: int = 16384) -> pd.DataFrame:
    """Long (time, channel, value) frame from a (channel x time) grid of values and a mask of samples.

    The grid is read time by time in blocks of ``block`` times: each block is transposed (and, when it
    holds a hole, compressed) straight into the output, so the 52 M values are written once.
    """
    nch, n = grid_v.shape
    codes_dtype = np.int8 if nch < 127 else np.int32
    per_row = grid_m.sum(axis=0)
    cum = np.zeros(n + 1, np.int64)
    np.cumsum(per_row, out=cum[1:])
    total = int(cum[-1])
    values = np.empty(total)
    codes = np.empty(total, codes_dtype)
    t = ns.repeat(per_row) if total != n * nch else ns.repeat(nch)
    ar = np.arange(nch, dtype=codes_dtype)
    for s in range(0, n, block):
        e = min(n, s + block)
        o0, o1 = int(cum[s]), int(cum[e])
        if o1 - o0 == (e - s) * nch:
            values[o0:o1].reshape(e - s, nch)[...] = grid_v[:, s:e].T
            codes[o0:o1].reshape(e - s, nch)[...] = ar
        elif o1 > o0:
            mb = grid_m[:, s:e].T
            values[o0:o1] = grid_v[:, s:e].T[mb]
            codes[o0:o1] = np.broadcast_to(ar, (e - s, nch))[mb]
    return pd.DataFrame({
        "time": utc_times(t),
        "channel": pd.Categorical.from_codes(codes, categories=present),
        "value": values,
    }, copy=False)
