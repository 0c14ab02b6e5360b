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

from hullbreach.telemetry.checks import (
    INFINITE,
    MISSING,
    OK,
    REASON_NAMES,
    _check_channel,
    _quarantine_table,
    _summarise,
)
from hullbreach.telemetry.config import DEFAULT_CONFIG, CheckConfig
from hullbreach.telemetry.frame import TelemetryFrame
from hullbreach.telemetry.parse import _utc


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
        ``column(name) -> (values, present)``: the column's values as float64 in the sensor's unit, and
        which rows hold a sample (``None``: all). Called once per channel, so one column at a time needs
        to be in memory as numpy.
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
    # Quarantined cells: (line, file column, virtual long row, code, time, raw value, channel).
    q_parts = []
    details: dict[int, str] = {}
    naive_counts: dict[str, int] = {}
    naive_first = None  # (file column, row) of the first candidate with a zone-less time
    offset = 0  # virtual row index of the long path: channel-major, present cells only
    any_naive = bool(naive.any())
    for fc, sid in enumerate(names):
        vals, pres = column(sid)
        vals = np.asarray(vals, dtype=np.float64)
        prow = None if pres is None or bool(np.all(pres)) else np.flatnonzero(pres)
        x = vals if prow is None else vals[prow]           # present cells, file order
        m = len(x)
        if m == 0:
            return None  # a column without samples is no channel at all in the long path
        finite = np.isfinite(x)
        all_finite = bool(finite.all())
        if not all_finite and not finite.any():
            return None  # a channel without any usable sample: report shape of the long path
        cand = None if all_finite else np.flatnonzero(finite)
        if cand is None:
            rows_of_cand = prow  # row index of each candidate (None: identity)
            v_c = x
        else:
            rows_of_cand = cand if prow is None else prow[cand]
            v_c = x[cand]
        t_c = ns if rows_of_cand is None else ns[rows_of_cand]
        virt = offset + (np.arange(m, dtype=np.int64) if cand is None else cand)
        sensor = station.sensors[sid]
        mod = station.modules.get(sensor.module)
        r = _check_channel(t_c, v_c, virt, sensor, cfg, getattr(mod, "kind", "") or "")
        details.update(r.details)
        if any_naive:
            nv = naive if rows_of_cand is None else naive[rows_of_cand]
            k = int(np.count_nonzero(nv))
            naive_counts[sid] = k
            if k and naive_first is None:
                i0 = int(np.argmax(nv))
                naive_first = int(i0 if rows_of_cand is None else rows_of_cand[i0])
        # accepted cells into the grid (row of each accepted cell)
        j = jcol[sid]
        loc = r.rows - offset  # index into the present cells
        if len(loc) == n:
            grid_v[j] = r.si
            grid_m[j] = True
        else:
            arow = loc if prow is None else prow[loc]
            grid_v[j, arow] = r.si
            grid_m[j, arow] = True
        # quarantined cells: missing / infinite before the channel pass, and the channel's own verdicts
        qloc_parts, qcode_parts = [], []
        if not all_finite:
            bad = np.flatnonzero(~finite)
            qloc_parts.append(bad)
            qcode_parts.append(np.where(np.isnan(x[bad]), MISSING, INFINITE).astype(np.int8))
        if len(r.q_rows):
            qloc_parts.append(r.q_rows - offset)
            qcode_parts.append(r.q_codes.astype(np.int8))
        if qloc_parts:
            qloc = np.concatenate(qloc_parts)
            qrow = qloc if prow is None else prow[qloc]
            q_parts.append((lines[qrow], np.full(len(qloc), fc), offset + qloc, np.concatenate(qcode_parts),
                            ns[qrow], x[qloc], sid))
        r.n_accepted = int(len(r.rows))
        r.t = r.si = r.rows = None  # released: the grid holds them now
        results[sid] = r
        offset += m
        del vals, pres, x, v_c, t_c, virt
    if strict and q_parts:
        return None  # the long path raises at the first problem with its exact message

    # ---- quarantine table, file order (line, then column)
    if q_parts:
        q_line = np.concatenate([p[0] for p in q_parts])
        q_fc = np.concatenate([p[1] for p in q_parts])
        q_virt = np.concatenate([p[2] for p in q_parts])
        q_code = np.concatenate([p[3] for p in q_parts])
        q_t = np.concatenate([p[4] for p in q_parts])
        q_v = np.concatenate([p[5] for p in q_parts])
        q_ch = np.concatenate([np.full(len(p[0]), p[6], dtype=object) for p in q_parts])
        order = np.lexsort((q_fc, q_line))
        q_line, q_virt, q_code, q_t, q_v, q_ch = (a[order] for a in (q_line, q_virt, q_code, q_t, q_v, q_ch))
    else:
        q_line = q_virt = q_t = np.empty(0, np.int64)
        q_code = np.empty(0, np.int8)
        q_v = np.empty(0)
        q_ch = np.empty(0, dtype=object)

    def reason_text(i: int, c: int) -> str:
        if c == MISSING:
            return "missing value (NaN or empty)"
        if c == INFINITE:
            return f"infinite value {pd.Series(q_v[i:i + 1]).iloc[0]!r}"
        return details.get(int(q_virt[i]), "") or REASON_NAMES.get(c, "rejected")

    ck = SimpleNamespace(code=q_code, lines_arr=q_line, t_ns=q_t, v=q_v,
                         raw=pd.DataFrame({"channel": pd.Series(q_ch, dtype=object)}),
                         files=None, source=source, line_label=line_label, reason_text=reason_text)
    quarantined = _quarantine_table(ck, np.arange(len(q_code)))

    # ---- accepted data: read the (channel x time) grid time by time -> (time, channel) order, no sort
    data = _grid_frame(ns, grid_v, grid_m, present)
    del grid_v, grid_m

    # ---- reports
    qcounts = pd.Series(q_ch, dtype=object).value_counts() if len(q_ch) else None
    n_naive = int(sum(naive_counts.values()))
    channels, counts, warnings, gaps = _summarise(
        results, present, station, q_codes=q_code,
        q_channel_counts=list(qcounts.items()) if qcounts is not None else [],
        naive_counts=naive_counts if n_naive else {}, n_naive=n_naive,
        naive_where=f"{source}:{line_label}{int(lines[naive_first])}" if n_naive else "",
        ooo_counts={}, n_ooo=0, ooo_where="")
    return TelemetryFrame(data=data, quarantined=quarantined, channels=channels, source=source,
                          counts=counts, warnings=tuple(warnings), gaps=gaps)


def _grid_frame(ns: np.ndarray, grid_v: np.ndarray, grid_m: np.ndarray, present: list[str]) -> pd.DataFrame:
    """Long (time, channel, value) frame from a (channel x time) grid of values and a mask of samples."""
    nch, n = grid_v.shape
    codes_dtype = np.int8 if nch < 127 else np.int32
    vt = np.ascontiguousarray(grid_v.T)
    if bool(grid_m.all()):
        values = vt.reshape(-1)
        t = np.repeat(ns, nch)
        codes = np.tile(np.arange(nch, dtype=codes_dtype), n)
    else:
        mt = np.ascontiguousarray(grid_m.T)
        values = vt[mt]
        del vt
        t = np.repeat(ns, mt.sum(axis=1))
        codes = np.broadcast_to(np.arange(nch, dtype=codes_dtype), (n, nch))[mt]
    return pd.DataFrame({
        "time": _utc(t),
        "channel": pd.Categorical.from_codes(codes, categories=present),
        "value": values,
    }, copy=False)
